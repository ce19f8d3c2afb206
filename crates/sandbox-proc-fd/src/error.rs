//! The error type of this crate.

use std::fmt;
use std::path::{Path, PathBuf};

use rustix::fs::{FsWord, OFlags};
use rustix::io::Errno;

/// What went wrong capturing, verifying or using a [`ProcSelfFd`](crate::ProcSelfFd).
///
/// Each variant names one operation and its arguments; the message reads like a log line
/// and names the errno once, when the kernel gave one (`bind /proc/self/fd onto /proc:
/// Operation not permitted (os error 1)`). The errno is a field (see
/// [`errno`](Error::errno)), never a [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening a path (`/proc/self/fd`, or the proc mount after the bind) failed.
    #[error("open {}: {errno}", path.display())]
    Open {
        /// The path opened.
        path: PathBuf,
        /// The errno of `openat(2)`.
        errno: Errno,
    },
    /// Bind-mounting `<proc mount>/self/fd` onto the proc mount failed.
    #[error("bind {}/self/fd onto {}: {errno}", path.display(), path.display())]
    BindOverProc {
        /// The proc mount (usually `/proc`).
        path: PathBuf,
        /// The errno of `mount(2)` with `MS_BIND`.
        errno: Errno,
    },
    /// Detaching the bind from the proc mount failed; the caller's mount table still has it.
    #[error("detach the bind of the fd directory from {}: {errno}", path.display())]
    Detach {
        /// The proc mount (usually `/proc`).
        path: PathBuf,
        /// The errno of `umount2(2)` with `MNT_DETACH`.
        errno: Errno,
    },
    /// `fstatfs` on the handle failed.
    #[error("fstatfs on the /proc/self/fd handle: {errno}")]
    Statfs {
        /// The errno of `fstatfs(2)`.
        errno: Errno,
    },
    /// The handle is not on procfs.
    #[error(
        "the /proc/self/fd handle is not on procfs: f_type {f_type:#x}, want PROC_SUPER_MAGIC {:#x}",
        rustix::fs::PROC_SUPER_MAGIC
    )]
    NotProcfs {
        /// The `f_type` that `fstatfs` reported.
        f_type: FsWord,
    },
    /// The handle is on procfs but is not this process's fd table (another process's fd
    /// directory, a handle inherited across `fork`, `/proc` itself, a file).
    #[error(
        "the /proc/self/fd handle is not this process's fd table: its entries do not lead to this process's descriptors"
    )]
    NotOwnFdTable,
    /// `fstat` or `fstatat` during verification failed with an unexpected errno.
    #[error("stat through the /proc/self/fd handle: {errno}")]
    Stat {
        /// The errno of `fstat(2)` or `fstatat(2)`.
        errno: Errno,
    },
    /// Creating the pipe that verification follows through the handle failed (`EMFILE`,
    /// `ENFILE`).
    #[error("create a pipe to verify the /proc/self/fd handle: {errno}")]
    Pipe {
        /// The errno of `pipe2(2)`.
        errno: Errno,
    },
    /// [`ProcSelfFd::open_private`](crate::ProcSelfFd::open_private): the kernel refused a
    /// private proc instance.
    #[error("mount a private proc instance (fsopen proc, subset=pid): {errno}")]
    PrivateProc {
        /// The errno of the failed call.
        errno: Errno,
    },
    /// [`ProcSelfFd::reopen`](crate::ProcSelfFd::reopen) was asked for flags it refuses (see [`REFUSED_REOPEN_FLAGS`](crate::REFUSED_REOPEN_FLAGS)).
    #[error(
        "reopen through /proc/self/fd with {}: O_CREAT, O_EXCL, O_TMPFILE and O_NOFOLLOW have no meaning there",
        DisplayOFlags(*flags)
    )]
    InvalidFlags {
        /// The flags asked for, some of them in [`REFUSED_REOPEN_FLAGS`](crate::REFUSED_REOPEN_FLAGS).
        flags: OFlags,
    },
    /// `openat(handle, "<fd>", flags)` failed.
    #[error("reopen fd {fd} with {} through /proc/self/fd: {errno}", DisplayOFlags(*flags))]
    Reopen {
        /// The raw number of the descriptor being reopened.
        fd: i32,
        /// The flags asked for (without the `O_CLOEXEC` that is always added).
        flags: OFlags,
        /// The errno of `openat(2)`.
        errno: Errno,
    },
    /// [`ProcSelfFd::reopen`](crate::ProcSelfFd::reopen) was called in a process other
    /// than the one that made the handle: a child forked after it, or a descendant. The
    /// handle names that process's descriptor table, where the same number may be another
    /// file, so nothing is opened.
    #[error(
        "reopen through /proc/self/fd: the handle is process {owner}'s descriptor table, not this process's (a handle does not follow fork); reopen in process {owner}, or share its table (threads)"
    )]
    NotOwner {
        /// The pid of the process that made the handle, in that process's own pid
        /// namespace: a descendant in a nested pid namespace may have the same number
        /// (the check itself does not compare pids, where the kernel has
        /// `MADV_WIPEONFORK`).
        owner: i32,
    },
}

impl Error {
    /// The errno behind this error, if a syscall failed.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Open { errno, .. }
            | Error::BindOverProc { errno, .. }
            | Error::Detach { errno, .. }
            | Error::Statfs { errno }
            | Error::Stat { errno }
            | Error::Pipe { errno }
            | Error::PrivateProc { errno }
            | Error::Reopen { errno, .. } => Some(*errno),
            Error::NotProcfs { .. }
            | Error::NotOwnFdTable
            | Error::InvalidFlags { .. }
            | Error::NotOwner { .. } => None,
        }
    }

    /// The path the failed operation was about, if it was about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Open { path, .. }
            | Error::BindOverProc { path, .. }
            | Error::Detach { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Shows open flags with their C names: `O_RDWR | O_APPEND | O_CLOEXEC`.
struct DisplayOFlags(OFlags);

impl fmt::Display for DisplayOFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: &[(OFlags, &str)] = &[
            (OFlags::PATH, "O_PATH"),
            (OFlags::TMPFILE, "O_TMPFILE"),
            (OFlags::DIRECTORY, "O_DIRECTORY"),
            (OFlags::CREATE, "O_CREAT"),
            (OFlags::EXCL, "O_EXCL"),
            (OFlags::NOFOLLOW, "O_NOFOLLOW"),
            (OFlags::TRUNC, "O_TRUNC"),
            (OFlags::APPEND, "O_APPEND"),
            (OFlags::NONBLOCK, "O_NONBLOCK"),
            (OFlags::SYNC, "O_SYNC"),
            (OFlags::DIRECT, "O_DIRECT"),
            (OFlags::NOATIME, "O_NOATIME"),
            (OFlags::NOCTTY, "O_NOCTTY"),
            (OFlags::LARGEFILE, "O_LARGEFILE"),
            (OFlags::ASYNC, "O_ASYNC"),
            (OFlags::CLOEXEC, "O_CLOEXEC"),
        ];
        let access = self.0 & OFlags::ACCMODE;
        let mut rest = self.0.difference(OFlags::ACCMODE);
        f.write_str(match access.bits() {
            a if a == OFlags::RDONLY.bits() => "O_RDONLY",
            a if a == OFlags::WRONLY.bits() => "O_WRONLY",
            a if a == OFlags::RDWR.bits() => "O_RDWR",
            _ => "O_ACCMODE",
        })?;
        for &(flag, name) in NAMES {
            if !flag.is_empty() && rest.contains(flag) {
                write!(f, " | {name}")?;
                rest.remove(flag);
            }
        }
        if !rest.is_empty() {
            write!(f, " | {:#o}", rest.bits())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_display_with_c_names() {
        assert_eq!(DisplayOFlags(OFlags::RDONLY).to_string(), "O_RDONLY");
        assert_eq!(
            DisplayOFlags(OFlags::RDWR | OFlags::APPEND).to_string(),
            "O_RDWR | O_APPEND"
        );
        assert_eq!(
            DisplayOFlags(OFlags::WRONLY | OFlags::TMPFILE).to_string(),
            "O_WRONLY | O_TMPFILE"
        );
        assert_eq!(
            DisplayOFlags(OFlags::DIRECTORY).to_string(),
            "O_RDONLY | O_DIRECTORY"
        );
    }

    #[test]
    fn error_messages_read_as_log_lines() {
        let e = Error::BindOverProc {
            path: "/proc".into(),
            errno: Errno::PERM,
        };
        assert_eq!(
            e.to_string(),
            "bind /proc/self/fd onto /proc: Operation not permitted (os error 1)"
        );
        assert_eq!(e.errno(), Some(Errno::PERM));
        assert_eq!(e.path(), Some(Path::new("/proc")));
        assert!(
            std::error::Error::source(&e).is_none(),
            "the errno is no source"
        );

        let e = Error::Reopen {
            fd: 7,
            flags: OFlags::WRONLY,
            errno: Errno::ACCESS,
        };
        assert_eq!(
            e.to_string(),
            "reopen fd 7 with O_WRONLY through /proc/self/fd: Permission denied (os error 13)"
        );
        assert_eq!(e.errno(), Some(Errno::ACCESS));
        assert_eq!(e.path(), None);

        let e = Error::NotProcfs {
            f_type: 0x0102_1994,
        };
        assert_eq!(
            e.to_string(),
            "the /proc/self/fd handle is not on procfs: f_type 0x1021994, want PROC_SUPER_MAGIC 0x9fa0"
        );
        assert_eq!(e.errno(), None);
    }
}
