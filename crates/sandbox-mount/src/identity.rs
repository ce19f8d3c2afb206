//! What identifies a file, and the mount it is reached through.

use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{AtFlags, StatxAttributes, StatxFlags, CWD};
use rustix::io::Errno;

use crate::mountinfo::MountInfo;

/// The identity of a file as the kernel sees it through one descriptor or path: the
/// device and inode of the file, and the mount it was reached through.
///
/// The same directory can be reached through several mounts (a bind mount makes a second
/// one), and a mount can be stacked on a directory while a descriptor still refers to the
/// one below: device and inode say which file ([`same_file`](Self::same_file)), the mount
/// id says through which mount ([`same_mount`](Self::same_mount)). "The same directory on
/// the same mount" is [`is_same`](Self::is_same).
///
/// Taken with `statx(2)`; the mount id needs `STATX_MNT_ID` (Linux 5.8) and is `None`
/// before. On a kernel without `statx` (before 4.11) it falls back to `fstat(2)` /
/// `stat(2)`, which give neither the mount id nor [`is_mount_root`](Self::is_mount_root).
///
/// The derived `PartialEq` compares every field as it is; to compare two files use the
/// methods, which say what an unknown mount id means.
///
/// ```
/// use sandbox_mount::Identity;
///
/// let root = Identity::of_path("/")?;
/// let again = Identity::of(std::fs::File::open("/")?)?;
/// assert!(root.is_same(&again));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Identity {
    device: (u32, u32),
    inode: u64,
    mount_id: Option<u64>,
    mount_root: Option<bool>,
}

impl Identity {
    /// The identity of what `fd` refers to: `statx(fd, "", AT_EMPTY_PATH,
    /// STATX_INO|STATX_MNT_ID)`. Any descriptor works, `O_PATH` ones included.
    ///
    /// # Errors
    ///
    /// The errno of `statx` (or of `fstat` where the kernel has no `statx`).
    #[doc(alias = "statx", alias = "STATX_MNT_ID")]
    pub fn of(fd: impl AsFd) -> Result<Identity, Errno> {
        let fd = fd.as_fd();
        match rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, Self::MASK) {
            Err(Errno::NOSYS) => rustix::fs::fstat(fd).map(Self::from_stat),
            result => result.map(Self::from_statx),
        }
    }

    /// The identity of the file at `path`, following symlinks as `stat(2)` does: `statx(AT_FDCWD,
    /// path, 0, STATX_INO|STATX_MNT_ID)`. A relative path starts at the cwd.
    ///
    /// # Errors
    ///
    /// The errno of `statx` (or of `stat` where the kernel has no `statx`): `ENOENT`,
    /// `EACCES`, ...
    pub fn of_path(path: impl AsRef<Path>) -> Result<Identity, Errno> {
        let path = path.as_ref();
        match rustix::fs::statx(CWD, path, AtFlags::empty(), Self::MASK) {
            Err(Errno::NOSYS) => rustix::fs::stat(path).map(Self::from_stat),
            result => result.map(Self::from_statx),
        }
    }

    const MASK: StatxFlags = StatxFlags::INO.union(StatxFlags::MNT_ID);

    fn from_statx(st: rustix::fs::Statx) -> Identity {
        Identity {
            device: (st.stx_dev_major, st.stx_dev_minor),
            inode: st.stx_ino,
            mount_id: (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id),
            mount_root: st
                .stx_attributes_mask
                .contains(StatxAttributes::MOUNT_ROOT)
                .then(|| st.stx_attributes.contains(StatxAttributes::MOUNT_ROOT)),
        }
    }

    fn from_stat(st: rustix::fs::Stat) -> Identity {
        Identity {
            device: (rustix::fs::major(st.st_dev), rustix::fs::minor(st.st_dev)),
            inode: st.st_ino,
            mount_id: None,
            mount_root: None,
        }
    }

    /// The device of the file system (major, minor): `st_dev`.
    pub fn device(&self) -> (u32, u32) {
        self.device
    }

    /// The inode number: `st_ino`.
    pub fn inode(&self) -> u64 {
        self.inode
    }

    /// The id of the mount the file was reached through (`stx_mnt_id`, the first field of
    /// mountinfo), or `None` before Linux 5.8.
    pub fn mount_id(&self) -> Option<u64> {
        self.mount_id
    }

    /// Whether the file is the root of the mount it was reached through
    /// (`STATX_ATTR_MOUNT_ROOT`, Linux 5.8), or `None` when the kernel cannot say.
    pub fn is_mount_root(&self) -> Option<bool> {
        self.mount_root
    }

    /// Whether both are the same file: the same device and inode, whatever the mounts.
    pub fn same_file(&self, other: &Identity) -> bool {
        self.device == other.device && self.inode == other.inode
    }

    /// Whether both were reached through the same mount: `Some` when both mount ids are
    /// known, `None` when either is not (before Linux 5.8). Two files on one mount need
    /// not be the same file.
    pub fn same_mount(&self, other: &Identity) -> Option<bool> {
        match (self.mount_id, other.mount_id) {
            (Some(a), Some(b)) => Some(a == b),
            _ => None,
        }
    }

    /// Whether both are the same file on the same mount: [`same_file`](Self::same_file),
    /// and not [known](Self::same_mount) to be on different mounts. Before Linux 5.8 the
    /// device and inode decide alone: a bind mount of the same directory elsewhere then
    /// counts as the same.
    pub fn is_same(&self, other: &Identity) -> bool {
        self.same_file(other) && self.same_mount(other) != Some(false)
    }

    /// Whether the file is on the mount `mount` describes: the same mount id, or, before
    /// Linux 5.8, the same device (which all bind mounts of one file system share).
    pub fn is_on(&self, mount: &MountInfo) -> bool {
        match self.mount_id {
            Some(id) => id == u64::from(mount.mount_id),
            None => self.device == (mount.major, mount.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(inode: u64, mount_id: Option<u64>) -> Identity {
        Identity {
            device: (8, 1),
            inode,
            mount_id,
            mount_root: None,
        }
    }

    #[test]
    fn the_same_directory_needs_the_same_mount_when_known() {
        assert!(id(2, Some(5)).is_same(&id(2, Some(5))));
        assert!(
            !id(2, Some(5)).is_same(&id(2, Some(6))),
            "a bind of / elsewhere"
        );
        assert!(id(2, Some(5)).same_file(&id(2, Some(6))));
        assert_eq!(id(2, Some(5)).same_mount(&id(2, Some(6))), Some(false));
        assert!(!id(2, Some(5)).is_same(&id(3, Some(5))));
        assert_eq!(id(2, Some(5)).same_mount(&id(3, Some(5))), Some(true));
        assert!(
            id(2, None).is_same(&id(2, Some(6))),
            "no mount id: dev/ino decide"
        );
        assert_eq!(id(2, None).same_mount(&id(2, Some(6))), None);
        let mut other_dev = id(2, None);
        other_dev.device = (0, 30);
        assert!(!other_dev.is_same(&id(2, None)));
        assert!(!other_dev.same_file(&id(2, None)));
    }

    #[test]
    fn a_file_is_on_the_mount_with_its_id_or_before_5_8_its_device() {
        let m = crate::mountinfo::parse("5 1 8:1 / /srv rw - ext4 /dev/sda1 rw\n").unwrap();
        assert!(id(2, Some(5)).is_on(&m[0]));
        assert!(!id(2, Some(6)).is_on(&m[0]));
        assert!(id(2, None).is_on(&m[0]));
        let mut other_dev = id(2, None);
        other_dev.device = (0, 30);
        assert!(!other_dev.is_on(&m[0]));
    }

    #[test]
    fn root_by_path_and_by_fd_is_the_same() {
        let by_path = Identity::of_path("/").unwrap();
        let by_fd = Identity::of(std::fs::File::open("/").unwrap()).unwrap();
        assert!(by_path.is_same(&by_fd));
        assert_eq!(by_path, by_fd);
    }
}
