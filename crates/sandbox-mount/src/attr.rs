//! Per-mount attributes (read-only, nosuid, ...) for a whole tree of mounts, through
//! `mount_setattr(2)` (Linux 5.12) or, before it, a walk of the submounts with one
//! `mount(2)` remount each.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use bitflags::bitflags;
use rustix::fs::StatVfsMountFlags;
use rustix::io::Errno;
use rustix::mount::MountFlags;

use crate::mountinfo::{self, MountInfo};
use crate::{fd_path, kept_flags, open_beneath, shown_path, sys, Error, Identity};

/// Which kernel interface the fd-based operations of this crate use.
///
/// The new mount API (`open_tree(2)`, `move_mount(2)`: Linux 5.2; `mount_setattr(2)`:
/// Linux 5.12) works on descriptors and changes a whole tree in one call. The legacy
/// interface is `mount(2)` on `/proc/self/fd/N` paths, one mount at a time; it works on
/// any kernel this workspace supports, and is what seccomp profiles that predate the new
/// calls still allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MountApi {
    /// The new API; the legacy one where the kernel or a seccomp profile refuses it with
    /// `ENOSYS` or `EPERM`. The default.
    #[default]
    Auto,
    /// Only the new API: `ENOSYS` and `EPERM` are errors.
    New,
    /// Only `mount(2)`: for old kernels, and to test that path on new ones.
    Legacy,
}

impl fmt::Display for MountApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MountApi::Auto => "auto",
            MountApi::New => "new",
            MountApi::Legacy => "legacy",
        })
    }
}

bitflags! {
    /// Per-mount attributes, as `mount_setattr(2)`'s `MOUNT_ATTR_*` (and `mount(2)`'s
    /// `MS_*`) flags. They belong to a mount, not to the file system: the same directory
    /// can be writable at one mount and read-only at another.
    ///
    /// Displayed as mountinfo spells them: `ro,nosuid`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct MountAttr: u64 {
        /// Writes fail with `EROFS` (`MOUNT_ATTR_RDONLY`, `MS_RDONLY`).
        #[doc(alias = "MOUNT_ATTR_RDONLY", alias = "MS_RDONLY")]
        const RDONLY = 0x1;
        /// Set-user-id and set-group-id bits and file capabilities are ignored
        /// (`MOUNT_ATTR_NOSUID`, `MS_NOSUID`).
        #[doc(alias = "MOUNT_ATTR_NOSUID", alias = "MS_NOSUID")]
        const NOSUID = 0x2;
        /// Device files cannot be opened (`MOUNT_ATTR_NODEV`, `MS_NODEV`).
        #[doc(alias = "MOUNT_ATTR_NODEV", alias = "MS_NODEV")]
        const NODEV = 0x4;
        /// Files cannot be executed (`MOUNT_ATTR_NOEXEC`, `MS_NOEXEC`).
        #[doc(alias = "MOUNT_ATTR_NOEXEC", alias = "MS_NOEXEC")]
        const NOEXEC = 0x8;
        /// Symlinks are not followed in path lookups (`MOUNT_ATTR_NOSYMFOLLOW`,
        /// `MS_NOSYMFOLLOW`, Linux 5.10).
        #[doc(alias = "MOUNT_ATTR_NOSYMFOLLOW", alias = "MS_NOSYMFOLLOW")]
        const NOSYMFOLLOW = 0x0020_0000;
    }
}

impl MountAttr {
    const NAMES: [(MountAttr, &'static str, MountFlags); 5] = [
        (MountAttr::RDONLY, "ro", MountFlags::RDONLY),
        (MountAttr::NOSUID, "nosuid", MountFlags::NOSUID),
        (MountAttr::NODEV, "nodev", MountFlags::NODEV),
        (MountAttr::NOEXEC, "noexec", MountFlags::NOEXEC),
        (
            MountAttr::NOSYMFOLLOW,
            "nosymfollow",
            MountFlags::NOSYMFOLLOW,
        ),
    ];

    fn ms_flags(self) -> MountFlags {
        Self::NAMES
            .into_iter()
            .filter(|(a, _, _)| self.contains(*a))
            .fold(MountFlags::empty(), |acc, (_, _, ms)| acc | ms)
    }
}

impl fmt::Display for MountAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing");
        }
        let names: Vec<&str> = Self::NAMES
            .into_iter()
            .filter(|(a, _, _)| self.contains(*a))
            .map(|(_, n, _)| n)
            .collect();
        f.write_str(&names.join(","))
    }
}

/// Sets the attributes `set` and clears `clear` on the mount whose root `dir` refers to,
/// and on no other: the mounts below it keep theirs (for them too, see
/// [`set_attributes_recursive`]). The host's mounts are untouched as long as `dir` is a
/// mount of the caller's own mount namespace (a bind made there, or any mount after
/// `unshare(CLONE_NEWNS)`): attributes belong to a mount, not to the file system.
///
/// - New API: `mount_setattr(dir, "", AT_EMPTY_PATH, {set, clear})`. Needs Linux 5.12.
/// - Legacy: `mount(NULL, "/proc/self/fd/N", NULL, MS_REMOUNT|MS_BIND|<flags>, NULL)`,
///   where `<flags>` are the mount's current flags (read-only, nosuid, nodev, noexec,
///   nosymfollow and the atime flags, from `fstatvfs`) with `set` added and `clear` taken
///   away. Works on any kernel; needs a procfs on `/proc`.
///
/// [`MountApi::Auto`] takes the legacy path when `mount_setattr` fails with `ENOSYS` (a
/// kernel before 5.12) or `EPERM` (a seccomp profile; a real permission problem then
/// fails again, on the legacy path, and that error is returned).
///
/// **Locked flags.** In a user namespace the kernel locks the read-only, nosuid, nodev,
/// noexec and atime flags of mounts that came from a more privileged mount namespace.
/// Neither path drops one silently: the legacy path passes every current flag back, and
/// asking to clear a locked flag fails with `EPERM` on both.
///
/// This changes the **caller's mount namespace**; call it in a private one. `dir` must be
/// the root of a mount (see [`bind_tree`](crate::bind_tree),
/// [`clone_tree`](crate::clone_tree)).
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// - [`Error::SetAttributes`] (new API): `EPERM` without the capability or to clear a
///   locked flag, `EINVAL` when `dir` is not a mount root or is in another mount
///   namespace, `ENOSYS` before Linux 5.12 (with [`MountApi::New`]).
/// - Legacy: [`Error::Statvfs`]; [`Error::Remount`] (`EINVAL` when `dir` is not a mount
///   root, `EPERM` to clear a locked flag).
#[doc(alias = "mount_setattr", alias = "MS_REMOUNT")]
pub fn set_attributes(
    dir: impl AsFd,
    set: MountAttr,
    clear: MountAttr,
    api: MountApi,
) -> Result<(), Error> {
    change_attributes(dir.as_fd(), set, clear, false, api)
}

/// Sets the attributes `set` and clears `clear` on the mount whose root `dir` refers to
/// and on every mount below it, as [`set_attributes`] does for one.
///
/// - New API: `mount_setattr(dir, "", AT_EMPTY_PATH|AT_RECURSIVE, {set, clear})`, one
///   call that changes the whole tree or nothing. Needs Linux 5.12.
/// - Legacy: reads `/proc/self/mountinfo`, finds the mount of `dir` and the mounts below
///   it, and remounts each as [`set_attributes`] does. Each submount is reached from
///   `dir` one path component at a time with `O_PATH|O_NOFOLLOW` (no symlink is ever
///   followed) and checked to be the mount mountinfo named (by mount id from Linux 5.8,
///   else by device; see [`Identity::is_on`](crate::Identity::is_on)). A mount that other
///   mounts cover is not reachable by any path and is skipped. Works on any kernel;
///   needs a procfs of the caller's mount namespace on `/proc`. Not atomic: a failure can
///   leave the mounts before it changed.
///
/// The fallback of [`MountApi::Auto`], the locked flags, what it changes and what it
/// needs are as for [`set_attributes`].
///
/// # Errors
///
/// - [`Error::SetAttributes`] (new API): as for [`set_attributes`].
/// - Legacy: [`Error::ReadMountinfo`] or [`Error::ParseMountinfo`]; [`Error::Submount`]
///   when a mount cannot be identified or reached, or the path reached another mount
///   than mountinfo said (`ESTALE`: something moved it meanwhile); [`Error::Statvfs`];
///   [`Error::Remount`] (`EPERM` to clear a locked flag).
#[doc(alias = "mount_setattr", alias = "MS_REMOUNT", alias = "AT_RECURSIVE")]
pub fn set_attributes_recursive(
    dir: impl AsFd,
    set: MountAttr,
    clear: MountAttr,
    api: MountApi,
) -> Result<(), Error> {
    change_attributes(dir.as_fd(), set, clear, true, api)
}

fn change_attributes(
    dir: BorrowedFd<'_>,
    set: MountAttr,
    clear: MountAttr,
    recursive: bool,
    api: MountApi,
) -> Result<(), Error> {
    match try_change_attributes(dir, set, clear, recursive, api) {
        // Both paths refuse a directory that is not a mount's root with EINVAL, under a
        // message that names the call; say what is wrong instead (checked only on failure,
        // so success costs no statx).
        Err(e)
            if e.errno() == Some(Errno::INVAL)
                && Identity::of(dir).ok().and_then(|id| id.is_mount_root()) == Some(false) =>
        {
            Err(Error::NotAMountRoot {
                path: crate::shown_path(dir),
            })
        }
        other => other,
    }
}

fn try_change_attributes(
    dir: BorrowedFd<'_>,
    set: MountAttr,
    clear: MountAttr,
    recursive: bool,
    api: MountApi,
) -> Result<(), Error> {
    if api != MountApi::Legacy {
        match sys::mount_setattr(dir, recursive, set.bits(), clear.bits()) {
            Ok(()) => return Ok(()),
            Err(Errno::NOSYS | Errno::PERM) if api == MountApi::Auto => {}
            Err(errno) => {
                return Err(Error::SetAttributes {
                    set,
                    clear,
                    recursive,
                    errno,
                })
            }
        }
    }
    legacy_set_attributes(dir, set, clear, recursive)
}

/// Makes the mount whose root `dir` refers to read-only, and no other:
/// [`set_attributes`] with [`MountAttr::RDONLY`]. Writes through this mount then fail
/// with `EROFS`; the mounts below it stay writable, and so does the file system
/// elsewhere (on the host).
///
/// The new API needs Linux 5.12; the legacy path any kernel (see [`set_attributes`]).
///
/// # Errors
///
/// As [`set_attributes`].
#[doc(alias = "MOUNT_ATTR_RDONLY", alias = "MS_RDONLY")]
pub fn make_read_only(dir: impl AsFd, api: MountApi) -> Result<(), Error> {
    set_attributes(dir, MountAttr::RDONLY, MountAttr::empty(), api)
}

/// Makes the mount whose root `dir` refers to and every mount below it read-only:
/// [`set_attributes_recursive`] with [`MountAttr::RDONLY`]. Writes through these mounts
/// then fail with `EROFS`; the file systems stay writable elsewhere (on the host).
///
/// The new API needs Linux 5.12; the legacy path any kernel (see
/// [`set_attributes_recursive`]).
///
/// # Errors
///
/// As [`set_attributes_recursive`].
#[doc(
    alias = "MOUNT_ATTR_RDONLY",
    alias = "MS_RDONLY",
    alias = "AT_RECURSIVE"
)]
pub fn make_read_only_recursive(dir: impl AsFd, api: MountApi) -> Result<(), Error> {
    set_attributes_recursive(dir, MountAttr::RDONLY, MountAttr::empty(), api)
}

fn legacy_set_attributes(
    dir: BorrowedFd<'_>,
    set: MountAttr,
    clear: MountAttr,
    recursive: bool,
) -> Result<(), Error> {
    let shown = shown_path(dir);
    if !recursive {
        return remount(dir, &shown, set, clear);
    }
    let submount_error = |mount_point: &Path, errno| Error::Submount {
        mount_point: mount_point.to_path_buf(),
        errno,
    };
    let mounts = mountinfo::read_self()?;
    let me = Identity::of(dir).map_err(|e| submount_error(&shown, e))?;
    // The top mount at the path, when the device is all there is to go by.
    let Some(root) = mounts
        .iter()
        .rev()
        .find(|m| me.is_on(m) && (me.mount_id().is_some() || m.mount_point == shown))
    else {
        return Err(submount_error(&shown, Errno::NOENT));
    };
    remount(dir, &root.mount_point, set, clear)?;

    // The mounts below, parents before children.
    let mut children: BTreeMap<u32, Vec<&MountInfo>> = BTreeMap::new();
    for m in mounts.iter().filter(|m| m.mount_id != m.parent_id) {
        children.entry(m.parent_id).or_default().push(m);
    }
    let mut below: Vec<&MountInfo> = Vec::new();
    let mut ancestors: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    ancestors.insert(root.mount_id, BTreeSet::new());
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        let mut chain = ancestors.get(&parent.mount_id).cloned().unwrap_or_default();
        chain.insert(parent.mount_id);
        for &child in children.get(&parent.mount_id).into_iter().flatten() {
            if ancestors.contains_key(&child.mount_id) {
                continue;
            }
            ancestors.insert(child.mount_id, chain.clone());
            below.push(child);
            queue.push(child);
        }
    }

    // Reach each mount by its path first: a mount that another one covers (mounted later
    // on its mount point or on a directory above it, and not inside it) is reachable by
    // no path, and is left as it is; any other surprise is an error.
    let reached: Vec<Result<OwnedFd, Errno>> = below
        .iter()
        .map(|m| {
            let rel = m
                .mount_point
                .strip_prefix(&root.mount_point)
                .map_err(|_| Errno::INVAL)?;
            let fd = open_beneath(dir, rel)?;
            if Identity::of(&fd)?.is_on(m) {
                Ok(fd)
            } else {
                // The path led elsewhere than mountinfo said.
                Err(Errno::STALE)
            }
        })
        .collect();
    let visible: Vec<&MountInfo> = below
        .iter()
        .zip(&reached)
        .filter(|(_, r)| r.is_ok())
        .map(|(m, _)| *m)
        .collect();
    for (m, r) in below.iter().zip(reached) {
        match r {
            Ok(fd) => remount(fd.as_fd(), &m.mount_point, set, clear)?,
            Err(e) => {
                let chain = ancestors.get(&m.mount_id);
                let covered = visible.iter().any(|over| {
                    over.mount_id != m.mount_id
                        && !chain.is_some_and(|c| c.contains(&over.mount_id))
                        && m.mount_point.starts_with(&over.mount_point)
                });
                if !covered {
                    return Err(submount_error(&m.mount_point, e));
                }
            }
        }
    }
    Ok(())
}

/// One bind remount of the mount whose root `fd` refers to, with its current flags kept
/// except those asked to change.
fn remount(
    fd: BorrowedFd<'_>,
    mount_point: &Path,
    set: MountAttr,
    clear: MountAttr,
) -> Result<(), Error> {
    let path = fd_path(fd);
    let current = rustix::fs::fstatvfs(fd)
        .map_err(|errno| Error::Statvfs {
            target: mount_point.to_path_buf(),
            errno,
        })?
        .f_flag;
    let mut flags = kept_flags(current);
    if current.contains(StatVfsMountFlags::RDONLY) {
        flags |= MountFlags::RDONLY;
    }
    let flags = (flags - clear.ms_flags()) | set.ms_flags() | MountFlags::BIND;
    rustix::mount::mount_remount(&path, flags, "").map_err(|errno| Error::Remount {
        mount_point: mount_point.to_path_buf(),
        set,
        clear,
        errno,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_map_to_ms_flags_and_print_as_mountinfo_does() {
        assert_eq!(
            (MountAttr::RDONLY | MountAttr::NOEXEC).ms_flags(),
            MountFlags::RDONLY | MountFlags::NOEXEC
        );
        assert_eq!(
            MountAttr::all().ms_flags().bits(),
            0x1 | 0x2 | 0x4 | 0x8 | 0x100
        );
        assert_eq!(
            (MountAttr::RDONLY | MountAttr::NOSUID).to_string(),
            "ro,nosuid"
        );
        assert_eq!(MountAttr::empty().to_string(), "nothing");
        assert_eq!(MountApi::default(), MountApi::Auto);
        assert_eq!(MountApi::Legacy.to_string(), "legacy");
    }
}
