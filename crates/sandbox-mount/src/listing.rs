//! The mounts a process can see, as the kernel describes them through `listmount(2)` and
//! `statmount(2)` (Linux 6.8): no `/proc` is needed, so a process can list its mounts
//! after `pivot_root` into a directory that has none.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{AtFlags, StatxFlags, CWD};
use rustix::io::Errno;

use crate::{sys, Error, MountAttr};

/// One mount, as `statmount(2)` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MountStatus {
    /// The mount's unique 64-bit id (`STATX_MNT_ID_UNIQUE`; never reused, unlike the
    /// 32-bit id of mountinfo).
    pub id: u64,
    /// The unique id of the mount it is mounted on.
    pub parent_id: u64,
    /// The 32-bit id mountinfo shows (field 1), and `statx`'s `STATX_MNT_ID`.
    pub mountinfo_id: u32,
    /// Where it is mounted, relative to the caller's root.
    pub mount_point: PathBuf,
    /// The directory of its file system that is the root of the mount (`/` unless it is
    /// a bind mount of a subdirectory).
    pub root: PathBuf,
    /// The file system type (`ext4`, `tmpfs`, `proc`).
    pub fs_type: String,
    /// The file system's magic number (`f_type` of `statfs(2)`: `PROC_SUPER_MAGIC`, ...).
    pub magic: u64,
    /// The mount's own attributes (`MOUNT_ATTR_*`: read-only, nodev, ...), those
    /// [`MountAttr`] names.
    pub attributes: MountAttr,
    /// Whether the file system itself is read-only (`SB_RDONLY`), for every mount of it.
    pub read_only_super: bool,
}

impl MountStatus {
    /// Whether writes through this mount fail with `EROFS`: the mount is read-only, or its
    /// file system is.
    pub fn is_read_only(&self) -> bool {
        self.attributes.contains(MountAttr::RDONLY) || self.read_only_super
    }
}

/// `STATX_MNT_ID_UNIQUE` (Linux 6.8).
const STATX_MNT_ID_UNIQUE: StatxFlags = StatxFlags::from_bits_retain(0x4000);
/// `STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT |
/// STATMOUNT_FS_TYPE`.
const STATMOUNT_MASK: u64 = 0x1 | 0x2 | 0x8 | 0x10 | 0x20;
/// `SB_RDONLY`.
const SB_RDONLY: u32 = 0x1;

/// The unique id of the mount the caller's root is on: `statx("/", STATX_MNT_ID_UNIQUE)`.
///
/// # Errors
///
/// [`Error::RootMountId`]: `ENOSYS` before Linux 6.8 (the kernel gives no unique id).
pub fn root_mount_id() -> Result<u64, Error> {
    let failed = |errno| Error::RootMountId { errno };
    let st = rustix::fs::statx(CWD, "/", AtFlags::empty(), STATX_MNT_ID_UNIQUE).map_err(failed)?;
    if st.stx_mask & STATX_MNT_ID_UNIQUE.bits() == 0 {
        return Err(failed(Errno::NOSYS));
    }
    Ok(st.stx_mnt_id)
}

/// What the kernel says about the mount with the unique id `id`: `statmount(2)` (Linux
/// 6.8) with its basic, root, mount point and file system type fields.
///
/// # Errors
///
/// [`Error::StatMount`]: `ENOENT` for no such mount in the caller's mount namespace,
/// `EPERM` for one the caller cannot reach from its root, `ENOSYS` before Linux 6.8.
#[doc(alias = "statmount")]
pub fn stat_mount(id: u64) -> Result<MountStatus, Error> {
    let sm = sys::statmount(id, STATMOUNT_MASK).map_err(|errno| Error::StatMount { id, errno })?;
    let text = |offset: u32| -> &[u8] {
        let rest = sm.strings.get(offset as usize..).unwrap_or_default();
        rest.split(|&b| b == 0).next().unwrap_or_default()
    };
    let h = &sm.head;
    Ok(MountStatus {
        id: h.mnt_id,
        parent_id: h.mnt_parent_id,
        mountinfo_id: h.mnt_id_old,
        mount_point: PathBuf::from(OsStr::from_bytes(text(h.mnt_point))),
        root: PathBuf::from(OsStr::from_bytes(text(h.mnt_root))),
        fs_type: String::from_utf8_lossy(text(h.fs_type)).into_owned(),
        magic: h.sb_magic,
        attributes: MountAttr::from_bits_truncate(h.mnt_attr),
        read_only_super: h.sb_flags & SB_RDONLY != 0,
    })
}

/// Every mount the caller can see from its root, the root's own mount first: its unique
/// id from [`root_mount_id`], the mounts below it from `listmount(2)` (asked again for
/// each mount found, which older kernels need: Linux 6.8 lists only the children of a
/// mount), then [`stat_mount`] of each. The kernel's own answer, live, without `/proc`:
/// after `pivot_root` with the old root detached this is the whole mount namespace.
///
/// Needs Linux 6.8 and no privilege.
///
/// # Errors
///
/// - [`Error::RootMountId`], [`Error::StatMount`]: see those functions (`ENOSYS` before
///   Linux 6.8).
/// - [`Error::ListMounts`]: `listmount(2)` failed (`ENOSYS` before Linux 6.8, `EPERM`
///   from a seccomp filter that refuses it).
#[doc(alias = "listmount")]
pub fn visible_mounts() -> Result<Vec<MountStatus>, Error> {
    let mut ids = vec![root_mount_id()?];
    let mut next = 0;
    while let Some(&parent) = ids.get(next) {
        next += 1;
        let mut after = 0;
        loop {
            let mut page = [0u64; 64];
            let n = sys::listmount(parent, after, &mut page)
                .map_err(|errno| Error::ListMounts { id: parent, errno })?;
            for &id in &page[..n] {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            if n < page.len() {
                break;
            }
            after = page[n - 1];
        }
    }
    ids.into_iter().map(stat_mount).collect()
}
