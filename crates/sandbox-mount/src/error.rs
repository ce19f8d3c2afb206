//! The one error type of this crate.

use std::fmt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::{MountAttr, Propagation, UnmountFlags};

/// A mount operation failed.
///
/// One variant per operation, with the arguments it was given; the message reads like a
/// log line and names the errno once (`mount proc on /proc: Operation not permitted (os
/// error 1)`). The errno is a field (see [`errno`](Error::errno)), not a
/// [`source`](std::error::Error::source): no variant has a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`set_propagation`](crate::set_propagation) or
    /// [`set_propagation_recursive`](crate::set_propagation_recursive) failed.
    #[error("make {} {}: {errno}", target.display(), PropagationName(*propagation, *recursive))]
    Propagation {
        /// The mount point whose propagation was to change.
        target: PathBuf,
        /// The propagation type asked for.
        propagation: Propagation,
        /// Whether `MS_REC` was asked for.
        recursive: bool,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`bind`](crate::bind) or [`bind_recursive`](crate::bind_recursive) failed, or the
    /// `mount(2)` of [`bind_tree`](crate::bind_tree)'s legacy path (the paths are then
    /// what the descriptors' `/proc/self/fd` links name).
    #[error("{}: {errno}", BindName { source_path, target, recursive: *recursive })]
    Bind {
        /// The directory or file to bind.
        source_path: PathBuf,
        /// Where it was to be bound.
        target: PathBuf,
        /// Whether `MS_REC` was asked for (submounts bound too).
        recursive: bool,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`mount_proc`](crate::mount_proc) failed.
    #[error("mount proc on {}: {errno}", target.display())]
    MountProc {
        /// Where proc was to be mounted.
        target: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`mount_tmpfs`](crate::mount_tmpfs) failed.
    #[error("mount tmpfs{} on {}: {errno}", SizeName(*size), target.display())]
    MountTmpfs {
        /// Where the tmpfs was to be mounted.
        target: PathBuf,
        /// The size limit asked for, in bytes (`None`: the kernel's default).
        size: Option<u64>,
        /// What the kernel said.
        errno: Errno,
    },
    /// `statvfs(2)` of the target, to read the flags to keep, failed.
    #[error("statvfs {}: {errno}", target.display())]
    Statvfs {
        /// The path given to `statvfs`.
        target: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`remount_read_only`](crate::remount_read_only) failed in the remount itself.
    #[error("remount {} read-only: {errno}", target.display())]
    RemountReadOnly {
        /// The mount point to make read-only.
        target: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`unmount`](crate::unmount) failed.
    #[error("unmount {}{}: {errno}", target.display(), UnmountFlagsName(*flags))]
    Unmount {
        /// The mount point to unmount.
        target: PathBuf,
        /// The flags asked for (`MNT_DETACH`, ...).
        flags: UnmountFlags,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`clone_tree`](crate::clone_tree) or
    /// [`clone_tree_recursive`](crate::clone_tree_recursive) (`open_tree(2)` with
    /// `OPEN_TREE_CLONE`) failed, also as the first step of [`bind_tree`](crate::bind_tree).
    #[error("clone the mount tree at a directory fd (open_tree): {errno}")]
    CloneTree {
        /// What the kernel said.
        errno: Errno,
    },
    /// [`attach_tree`](crate::attach_tree) (`move_mount(2)`) failed.
    #[error("attach a detached mount tree onto a directory fd (move_mount): {errno}")]
    AttachTree {
        /// What the kernel said.
        errno: Errno,
    },
    /// [`set_attributes`](crate::set_attributes) or
    /// [`set_attributes_recursive`](crate::set_attributes_recursive) failed in
    /// `mount_setattr(2)` (the new API).
    #[error("set {set} and clear {clear} on a mount{} (mount_setattr): {errno}",
        if *recursive { " and every mount below it" } else { "" })]
    SetAttributes {
        /// The attributes to set.
        set: MountAttr,
        /// The attributes to clear.
        clear: MountAttr,
        /// Whether `AT_RECURSIVE` was asked for.
        recursive: bool,
        /// What the kernel said.
        errno: Errno,
    },
    /// The legacy path of [`set_attributes_recursive`](crate::set_attributes_recursive)
    /// could not identify or
    /// reach a mount of the tree (`ESTALE`: the path led to another mount than mountinfo
    /// said; `ELOOP`: a symlink where a directory was).
    #[error("reach the mount at {} to change its attributes: {errno}", mount_point.display())]
    Submount {
        /// The mount point, as mountinfo shows it.
        mount_point: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },
    /// The legacy path of [`set_attributes`](crate::set_attributes) failed to remount one
    /// mount of the tree.
    #[error("remount {} to set {set} and clear {clear}: {errno}", mount_point.display())]
    Remount {
        /// The mount point, as mountinfo shows it.
        mount_point: PathBuf,
        /// The attributes to set.
        set: MountAttr,
        /// The attributes to clear.
        clear: MountAttr,
        /// What the kernel said.
        errno: Errno,
    },
    /// The legacy path of [`bind_tree`](crate::bind_tree) bound the tree, but could not
    /// open the new mount by the target's path (`readlink` of its `/proc/self/fd` link,
    /// `openat` with `O_NOFOLLOW` of that path or, for a path past 4095 bytes, of each of
    /// its components, or `statx` failed).
    #[error("open the tree bound onto {}: {errno}", target.display())]
    OpenBoundTree {
        /// The target directory, as its `/proc/self/fd` link names it (or mountinfo, for
        /// a path past 4095 bytes).
        target: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },
    /// The legacy path of [`bind_tree`](crate::bind_tree) bound the tree, but the
    /// target's path then led to another directory, or to a mount that was there before
    /// the bind: something moved the path in between. [`errno`](Error::errno) gives
    /// `ESTALE`.
    #[error("open the tree bound onto {}: the path leads elsewhere now (something moved it)", target.display())]
    BoundTreeMoved {
        /// The target directory, as its `/proc/self/fd` link named it.
        target: PathBuf,
    },
    /// Reading a mountinfo file failed.
    #[error("read {}: {errno}", path.display())]
    ReadMountinfo {
        /// The file read (`/proc/self/mountinfo`).
        path: PathBuf,
        /// What the kernel said.
        errno: Errno,
    },
    /// A line of mountinfo text is not in the format of `proc(5)`.
    #[error("parse mountinfo line {line}: {reason}")]
    ParseMountinfo {
        /// The line number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// [`root_mount_id`](crate::root_mount_id): `statx("/", STATX_MNT_ID_UNIQUE)` failed,
    /// or gave no unique mount id (`ENOSYS`: Linux before 6.8).
    #[error("read the unique id of the root's mount (statx STATX_MNT_ID_UNIQUE): {errno}")]
    RootMountId {
        /// What the kernel said.
        errno: Errno,
    },
    /// `listmount(2)` failed (Linux 6.8).
    #[error("list the mounts below mount {id} (listmount): {errno}")]
    ListMounts {
        /// The unique id of the mount whose submounts were asked for.
        id: u64,
        /// What the kernel said.
        errno: Errno,
    },
    /// [`set_attributes`](crate::set_attributes) and its kin were given a directory that
    /// is not the root of a mount: the kernel changes attributes of whole mounts only, and
    /// refused with `EINVAL` ([`errno`](Error::errno) says so).
    #[error(
        "{} is not the root of a mount: mount attributes apply to whole mounts (bind the directory onto itself to make it one): {}",
        path.display(),
        Errno::INVAL
    )]
    NotAMountRoot {
        /// The directory, as its `/proc/self/fd` link names it.
        path: PathBuf,
    },
    /// [`stat_mount`](crate::stat_mount): `statmount(2)` failed (Linux 6.8).
    #[error("describe mount {id} (statmount): {errno}")]
    StatMount {
        /// The unique id of the mount.
        id: u64,
        /// What the kernel said.
        errno: Errno,
    },
}

impl Error {
    /// The errno the kernel returned, if the error came from a system call;
    /// `ESTALE` for [`Error::BoundTreeMoved`].
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Propagation { errno, .. }
            | Error::Bind { errno, .. }
            | Error::MountProc { errno, .. }
            | Error::MountTmpfs { errno, .. }
            | Error::Statvfs { errno, .. }
            | Error::RemountReadOnly { errno, .. }
            | Error::Unmount { errno, .. }
            | Error::CloneTree { errno }
            | Error::AttachTree { errno }
            | Error::SetAttributes { errno, .. }
            | Error::Submount { errno, .. }
            | Error::Remount { errno, .. }
            | Error::OpenBoundTree { errno, .. }
            | Error::ReadMountinfo { errno, .. }
            | Error::RootMountId { errno }
            | Error::ListMounts { errno, .. }
            | Error::StatMount { errno, .. } => Some(*errno),
            Error::BoundTreeMoved { .. } => Some(Errno::STALE),
            Error::NotAMountRoot { .. } => Some(Errno::INVAL),
            Error::ParseMountinfo { .. } => None,
        }
    }

    /// The path the failed operation was about: the target of a mount, the source of a
    /// [`bind`](crate::bind) (the directory being bound; the message names both), the
    /// target of [`bind_tree`](crate::bind_tree)'s lookup, or the mountinfo file read.
    ///
    /// `None` for the fd-based operations and for parse errors.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Bind { source_path, .. } => Some(source_path),
            Error::Propagation { target, .. }
            | Error::MountProc { target, .. }
            | Error::MountTmpfs { target, .. }
            | Error::Statvfs { target, .. }
            | Error::RemountReadOnly { target, .. }
            | Error::Unmount { target, .. } => Some(target),
            Error::Submount { mount_point, .. } | Error::Remount { mount_point, .. } => {
                Some(mount_point)
            }
            Error::OpenBoundTree { target, .. } | Error::BoundTreeMoved { target } => Some(target),
            Error::ReadMountinfo { path, .. } | Error::NotAMountRoot { path } => Some(path),
            Error::CloneTree { .. }
            | Error::AttachTree { .. }
            | Error::SetAttributes { .. }
            | Error::ParseMountinfo { .. }
            | Error::RootMountId { .. }
            | Error::ListMounts { .. }
            | Error::StatMount { .. } => None,
        }
    }
}

/// `rslave`, `private`, ... as `mount(8)` spells them.
struct PropagationName(Propagation, bool);

impl fmt::Display for PropagationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 {
            f.write_str("r")?;
        }
        fmt::Display::fmt(&self.0, f)
    }
}

struct BindName<'a> {
    source_path: &'a Path,
    target: &'a Path,
    recursive: bool,
}

impl fmt::Display for BindName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bind {} onto ", self.source_path.display())?;
        if self.source_path == self.target {
            f.write_str("itself")?;
        } else {
            write!(f, "{}", self.target.display())?;
        }
        if self.recursive {
            f.write_str(" recursively")?;
        }
        Ok(())
    }
}

/// ` (detach)`, ` (force,detach)`: the flags of `umount2(2)` asked for, if any.
struct UnmountFlagsName(UnmountFlags);

impl fmt::Display for UnmountFlagsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (UnmountFlags::FORCE, "force"),
            (UnmountFlags::DETACH, "detach"),
            (UnmountFlags::EXPIRE, "expire"),
            (UnmountFlags::NOFOLLOW, "nofollow"),
        ];
        let mut known = UnmountFlags::empty();
        let mut sep = " (";
        for (flag, name) in names {
            if self.0.contains(flag) {
                write!(f, "{sep}{name}")?;
                sep = ",";
                known |= flag;
            }
        }
        let unknown = self.0.bits() & !known.bits();
        if unknown != 0 {
            write!(f, "{sep}{unknown:#x}")?;
            sep = ",";
        }
        if sep == "," {
            f.write_str(")")?;
        }
        Ok(())
    }
}

struct SizeName(Option<u64>);

impl fmt::Display for SizeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(size) => write!(f, " (size={size})"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_log_lines() {
        let e = Error::MountProc {
            target: "/proc".into(),
            errno: Errno::PERM,
        };
        assert_eq!(
            e.to_string(),
            "mount proc on /proc: Operation not permitted (os error 1)"
        );
        assert_eq!(e.errno(), Some(Errno::PERM));
        assert_eq!(e.path(), Some(Path::new("/proc")));

        let e = Error::Propagation {
            target: "/".into(),
            propagation: Propagation::Slave,
            recursive: true,
            errno: Errno::INVAL,
        };
        assert_eq!(
            e.to_string(),
            "make / rslave: Invalid argument (os error 22)"
        );

        let e = Error::Bind {
            source_path: "/srv/shared".into(),
            target: "/srv/shared".into(),
            recursive: false,
            errno: Errno::NOENT,
        };
        assert_eq!(
            e.to_string(),
            "bind /srv/shared onto itself: No such file or directory (os error 2)"
        );
        let e = Error::Bind {
            source_path: "/a".into(),
            target: "/b".into(),
            recursive: true,
            errno: Errno::NOENT,
        };
        assert!(e.to_string().starts_with("bind /a onto /b recursively: "));

        let e = Error::MountTmpfs {
            target: "/tmp/x".into(),
            size: Some(1024),
            errno: Errno::NOMEM,
        };
        assert!(e
            .to_string()
            .starts_with("mount tmpfs (size=1024) on /tmp/x: "));

        let e = Error::Unmount {
            target: "/mnt".into(),
            flags: UnmountFlags::DETACH,
            errno: Errno::BUSY,
        };
        assert!(e.to_string().starts_with("unmount /mnt (detach): "));

        let e = Error::ParseMountinfo {
            line: 3,
            reason: "no separator".into(),
        };
        assert_eq!(e.to_string(), "parse mountinfo line 3: no separator");
        assert_eq!(e.errno(), None);
        assert_eq!(e.path(), None);
    }

    #[test]
    fn attribute_errors_name_the_attributes_and_the_mount() {
        use crate::MountAttr;
        let e = Error::SetAttributes {
            set: MountAttr::RDONLY,
            clear: MountAttr::empty(),
            recursive: true,
            errno: Errno::PERM,
        };
        assert_eq!(
            e.to_string(),
            "set ro and clear nothing on a mount and every mount below it (mount_setattr): \
             Operation not permitted (os error 1)"
        );
        assert_eq!(e.path(), None);
        let e = Error::Remount {
            mount_point: "/srv/shared/sub".into(),
            set: MountAttr::empty(),
            clear: MountAttr::NOSUID | MountAttr::NODEV,
            errno: Errno::PERM,
        };
        assert_eq!(
            e.to_string(),
            "remount /srv/shared/sub to set nothing and clear nosuid,nodev: \
             Operation not permitted (os error 1)"
        );
        assert_eq!(e.path(), Some(Path::new("/srv/shared/sub")));
        let e = Error::Submount {
            mount_point: "/srv/shared/sub".into(),
            errno: Errno::STALE,
        };
        assert!(e
            .to_string()
            .starts_with("reach the mount at /srv/shared/sub to change its attributes: "));
        assert_eq!(e.errno(), Some(Errno::STALE));
    }

    #[test]
    fn the_errno_is_named_once_and_is_no_source() {
        use std::error::Error as _;
        let e = Error::Bind {
            source_path: "/srv/shared".into(),
            target: "/srv/shared".into(),
            recursive: true,
            errno: Errno::PERM,
        };
        assert_eq!(
            e.to_string(),
            "bind /srv/shared onto itself recursively: Operation not permitted (os error 1)"
        );
        assert!(e.source().is_none());
        let e = Error::Unmount {
            target: "/mnt".into(),
            flags: UnmountFlags::empty(),
            errno: Errno::BUSY,
        };
        assert_eq!(
            e.to_string(),
            "unmount /mnt: Device or resource busy (os error 16)"
        );
        let e = Error::Unmount {
            target: "/mnt".into(),
            flags: UnmountFlags::FORCE | UnmountFlags::DETACH,
            errno: Errno::BUSY,
        };
        assert!(e.to_string().starts_with("unmount /mnt (force,detach): "));
    }

    #[test]
    fn bound_tree_errors_name_the_target() {
        let e = Error::BoundTreeMoved {
            target: "/srv/shared".into(),
        };
        assert_eq!(
            e.to_string(),
            "open the tree bound onto /srv/shared: the path leads elsewhere now (something \
             moved it)"
        );
        assert_eq!(e.errno(), Some(Errno::STALE));
        assert_eq!(e.path(), Some(Path::new("/srv/shared")));
        let e = Error::OpenBoundTree {
            target: "/srv/shared".into(),
            errno: Errno::LOOP,
        };
        assert_eq!(
            e.to_string(),
            "open the tree bound onto /srv/shared: Too many levels of symbolic links (os error 40)"
        );
        assert_eq!(e.errno(), Some(Errno::LOOP));
    }

    #[test]
    fn read_errors_give_their_errno() {
        let e = Error::ReadMountinfo {
            path: "/proc/self/mountinfo".into(),
            errno: Errno::NOENT,
        };
        assert_eq!(e.errno(), Some(Errno::NOENT));
        assert_eq!(e.path(), Some(Path::new("/proc/self/mountinfo")));
    }
}
