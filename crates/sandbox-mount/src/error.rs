//! The one error type of this crate.

use std::fmt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::{MountAttr, Propagation};

/// A mount operation failed.
///
/// One variant per operation, with the arguments it was given; the message reads like a
/// log line (`mount proc on /proc: Operation not permitted (os error 1)`) and the errno is
/// also the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`set_propagation`](crate::set_propagation) failed.
    #[error("make {} {}: {source}", target.display(), PropagationName(*propagation, *recursive))]
    Propagation {
        /// The mount point whose propagation was to change.
        target: PathBuf,
        /// The propagation type asked for.
        propagation: Propagation,
        /// Whether `MS_REC` was asked for.
        recursive: bool,
        /// What the kernel said.
        source: Errno,
    },
    /// [`bind`](crate::bind) failed.
    #[error("{}: {source}", BindName { source_path, target, recursive: *recursive })]
    Bind {
        /// The directory or file to bind.
        source_path: PathBuf,
        /// Where it was to be bound.
        target: PathBuf,
        /// Whether `MS_REC` was asked for (submounts bound too).
        recursive: bool,
        /// What the kernel said.
        source: Errno,
    },
    /// [`mount_proc`](crate::mount_proc) failed.
    #[error("mount proc on {}: {source}", target.display())]
    MountProc {
        /// Where proc was to be mounted.
        target: PathBuf,
        /// What the kernel said.
        source: Errno,
    },
    /// [`mount_tmpfs`](crate::mount_tmpfs) failed.
    #[error("mount tmpfs{} on {}: {source}", SizeName(*size), target.display())]
    MountTmpfs {
        /// Where the tmpfs was to be mounted.
        target: PathBuf,
        /// The size limit asked for, in bytes (`None`: the kernel's default).
        size: Option<u64>,
        /// What the kernel said.
        source: Errno,
    },
    /// `statvfs(2)` of the target, to read the flags to keep, failed.
    #[error("statvfs {}: {source}", target.display())]
    Statvfs {
        /// The path given to `statvfs`.
        target: PathBuf,
        /// What the kernel said.
        source: Errno,
    },
    /// [`remount_read_only`](crate::remount_read_only) failed in the remount itself.
    #[error("remount {} read-only: {source}", target.display())]
    RemountReadOnly {
        /// The mount point to make read-only.
        target: PathBuf,
        /// What the kernel said.
        source: Errno,
    },
    /// [`unmount`](crate::unmount) failed.
    #[error("unmount {}{}: {source}", target.display(), if *detach { " (detach)" } else { "" })]
    Unmount {
        /// The mount point to unmount.
        target: PathBuf,
        /// Whether `MNT_DETACH` was asked for.
        detach: bool,
        /// What the kernel said.
        source: Errno,
    },
    /// [`clone_tree`](crate::clone_tree) (`open_tree(2)` with `OPEN_TREE_CLONE`) failed.
    #[error("clone the mount tree at a directory fd (open_tree): {source}")]
    CloneTree {
        /// What the kernel said.
        source: Errno,
    },
    /// [`attach_tree`](crate::attach_tree) (`move_mount(2)`) failed.
    #[error("attach a detached mount tree onto a directory fd (move_mount): {source}")]
    AttachTree {
        /// What the kernel said.
        source: Errno,
    },
    /// [`set_attributes`](crate::set_attributes) failed in `mount_setattr(2)` (the new
    /// API).
    #[error("set {set} and clear {clear} on a mount{} (mount_setattr): {source}",
        if *recursive { " and every mount below it" } else { "" })]
    SetAttributes {
        /// The attributes to set.
        set: MountAttr,
        /// The attributes to clear.
        clear: MountAttr,
        /// Whether `AT_RECURSIVE` was asked for.
        recursive: bool,
        /// What the kernel said.
        source: Errno,
    },
    /// The legacy path of [`set_attributes`](crate::set_attributes) could not identify or
    /// reach a mount of the tree (`ESTALE`: the path led to another mount than mountinfo
    /// said; `ELOOP`: a symlink where a directory was).
    #[error("reach the mount at {} to change its attributes: {source}", mount_point.display())]
    Submount {
        /// The mount point, as mountinfo shows it.
        mount_point: PathBuf,
        /// What the kernel said.
        source: Errno,
    },
    /// The legacy path of [`set_attributes`](crate::set_attributes) failed to remount one
    /// mount of the tree.
    #[error("remount {} to set {set} and clear {clear}: {source}", mount_point.display())]
    Remount {
        /// The mount point, as mountinfo shows it.
        mount_point: PathBuf,
        /// The attributes to set.
        set: MountAttr,
        /// The attributes to clear.
        clear: MountAttr,
        /// What the kernel said.
        source: Errno,
    },
    /// Reading a mountinfo file failed.
    #[error("read {}: {source}", path.display())]
    ReadMountinfo {
        /// The file read (`/proc/self/mountinfo`).
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A line of mountinfo text is not in the format of `proc(5)`.
    #[error("parse mountinfo line {line}: {reason}")]
    ParseMountinfo {
        /// The line number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// The errno the kernel returned, if the error came from a system call.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Propagation { source, .. }
            | Error::Bind { source, .. }
            | Error::MountProc { source, .. }
            | Error::MountTmpfs { source, .. }
            | Error::Statvfs { source, .. }
            | Error::RemountReadOnly { source, .. }
            | Error::Unmount { source, .. }
            | Error::CloneTree { source }
            | Error::AttachTree { source }
            | Error::SetAttributes { source, .. }
            | Error::Submount { source, .. }
            | Error::Remount { source, .. } => Some(*source),
            Error::ReadMountinfo { source, .. } => Errno::from_io_error(source),
            Error::ParseMountinfo { .. } => None,
        }
    }

    /// The path the failed operation was about: the target of a mount, the source of a
    /// [`bind`](crate::bind) (the directory being bound; the message names both), or the
    /// mountinfo file read.
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
            Error::ReadMountinfo { path, .. } => Some(path),
            Error::CloneTree { .. }
            | Error::AttachTree { .. }
            | Error::SetAttributes { .. }
            | Error::ParseMountinfo { .. } => None,
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
            source: Errno::PERM,
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
            source: Errno::INVAL,
        };
        assert_eq!(
            e.to_string(),
            "make / rslave: Invalid argument (os error 22)"
        );

        let e = Error::Bind {
            source_path: "/srv/shared".into(),
            target: "/srv/shared".into(),
            recursive: false,
            source: Errno::NOENT,
        };
        assert_eq!(
            e.to_string(),
            "bind /srv/shared onto itself: No such file or directory (os error 2)"
        );
        let e = Error::Bind {
            source_path: "/a".into(),
            target: "/b".into(),
            recursive: true,
            source: Errno::NOENT,
        };
        assert!(e.to_string().starts_with("bind /a onto /b recursively: "));

        let e = Error::MountTmpfs {
            target: "/tmp/x".into(),
            size: Some(1024),
            source: Errno::NOMEM,
        };
        assert!(e
            .to_string()
            .starts_with("mount tmpfs (size=1024) on /tmp/x: "));

        let e = Error::Unmount {
            target: "/mnt".into(),
            detach: true,
            source: Errno::BUSY,
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
            source: Errno::PERM,
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
            source: Errno::PERM,
        };
        assert_eq!(
            e.to_string(),
            "remount /srv/shared/sub to set nothing and clear nosuid,nodev: \
             Operation not permitted (os error 1)"
        );
        assert_eq!(e.path(), Some(Path::new("/srv/shared/sub")));
        let e = Error::Submount {
            mount_point: "/srv/shared/sub".into(),
            source: Errno::STALE,
        };
        assert!(e
            .to_string()
            .starts_with("reach the mount at /srv/shared/sub to change its attributes: "));
        assert_eq!(e.errno(), Some(Errno::STALE));
    }

    #[test]
    fn read_errors_give_their_errno() {
        let e = Error::ReadMountinfo {
            path: "/proc/self/mountinfo".into(),
            source: std::io::Error::from_raw_os_error(2),
        };
        assert_eq!(e.errno(), Some(Errno::NOENT));
        assert_eq!(e.path(), Some(Path::new("/proc/self/mountinfo")));
    }
}
