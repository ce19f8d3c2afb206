//! The error type of this crate.

use std::fmt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::{IdMapToolStatus, Namespaces};

/// Everything that can go wrong in this crate.
///
/// Each variant names one operation and carries its arguments; the message reads like a
/// log line and names the errno once, when the kernel gave one: `unshare user|mnt:
/// Operation not permitted (os error 1)`. The errno is a field (see
/// [`errno`](Error::errno)), never a [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The process has more than one thread, so `unshare(CLONE_NEWUSER)` (and a sound
    /// `fork`) are impossible. The kernel would answer `EINVAL`; this says why.
    #[error("the process has {threads} threads; unshare and fork need exactly one")]
    MultiThreaded {
        /// How many threads `/proc/self/task` listed.
        threads: usize,
    },
    /// Listing `/proc/self/task` to count the threads failed (is `/proc` mounted?).
    #[error("count the threads in /proc/self/task: {errno}")]
    CountThreads {
        /// The errno of `open` or `getdents64`.
        errno: Errno,
    },
    /// The namespace flags contain bits that are not namespaces (for example
    /// `CLONE_FILES`, which [`Namespaces::from_bits_retain`] lets through).
    #[error("unknown namespace flags {bits:#x}")]
    UnknownNamespaces {
        /// The bits that are not namespaces.
        bits: u32,
    },
    /// `unshare(2)` failed.
    #[error("unshare {namespaces}: {errno}")]
    Unshare {
        /// The namespaces asked for.
        namespaces: Namespaces,
        /// The errno of `unshare(2)`.
        errno: Errno,
    },
    /// `setns(2)` failed.
    #[error("setns {namespaces}: {errno}")]
    Setns {
        /// The namespace type asked for (empty: any type).
        namespaces: Namespaces,
        /// The errno of `setns(2)`.
        errno: Errno,
    },
    /// Opening a `/proc/<pid>/ns/<name>` file failed.
    #[error("open {}: {errno}", path.display())]
    OpenNamespace {
        /// The file.
        path: PathBuf,
        /// The errno of `open(2)`.
        errno: Errno,
    },
    /// `stat(2)` of a `/proc/<pid>/ns/<name>` file failed.
    #[error("stat {}: {errno}", path.display())]
    StatNamespace {
        /// The file.
        path: PathBuf,
        /// The errno of `stat(2)`.
        errno: Errno,
    },
    /// The operation works on one namespace type, and was given none or several.
    #[error("{namespaces} is not a single namespace type")]
    NotSingleNamespace {
        /// What was given.
        namespaces: Namespaces,
    },
    /// A uid or gid map is one the kernel would refuse; nothing was written.
    #[error("invalid {file}: {reason}")]
    InvalidIdMap {
        /// `"uid_map"`, `"gid_map"`, or `"id map"` from [`validate_id_map`](crate::validate_id_map).
        file: &'static str,
        /// What is wrong with it.
        reason: IdMapError,
    },
    /// Writing `/proc/self/setgroups`, `/proc/self/gid_map` or `/proc/self/uid_map` failed.
    #[error("write {}: {errno}", path.display())]
    WriteIdMap {
        /// The file.
        path: PathBuf,
        /// The errno of `open(2)` or `write(2)`.
        errno: Errno,
    },
    /// Reading `/etc/subuid`, `/etc/subgid` or `/etc/passwd` failed (other than the file
    /// not existing, which means no entries).
    #[error("read {}: {errno}", path.display())]
    ReadIdFile {
        /// The file.
        path: PathBuf,
        /// The errno of `open(2)` or `read(2)`.
        errno: Errno,
    },
    /// `newuidmap` or `newgidmap` was not found in any directory of `PATH` (package
    /// `uidmap` on Debian and Ubuntu, `shadow-utils` elsewhere).
    #[error("{program} is not installed (not found in PATH)")]
    IdMapToolNotFound {
        /// The program name looked for.
        program: PathBuf,
    },
    /// Starting `newuidmap` or `newgidmap` failed.
    #[error("run {}: {errno}", program.display())]
    SpawnIdMapTool {
        /// The program.
        program: PathBuf,
        /// The errno of `execve(2)` (or `fork`).
        errno: Errno,
    },
    /// `newuidmap` or `newgidmap` ran and refused: usually the map asks for ids that
    /// `/etc/subuid` or `/etc/subgid` do not grant the user.
    #[error("{} {pid} refused ({status}): {message}", program.display())]
    IdMapToolFailed {
        /// The program.
        program: PathBuf,
        /// The process whose map it was asked to write.
        pid: i32,
        /// How it ended: an exit code other than 0, or a signal.
        status: IdMapToolStatus,
        /// What it printed on stderr, trimmed (its reason).
        message: String,
    },
    /// Getting the namespace of a process through its pidfd failed: the
    /// `ioctl(PIDFD_GET_<type>_NAMESPACE)` (Linux 6.11), or the `fstat(2)` of the
    /// namespace descriptor it returned.
    #[error(
        "get the {namespaces} namespace through a pidfd (ioctl PIDFD_GET_*_NAMESPACE): {errno}"
    )]
    PidfdNamespace {
        /// The namespace type asked for.
        namespaces: Namespaces,
        /// The errno: `ENOTTY` before Linux 6.11, `ESRCH` for a process that exited,
        /// `EPERM` without ptrace read access to it.
        errno: Errno,
    },
}

impl Error {
    /// The errno the kernel returned, if the error came from a system call.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::CountThreads { errno }
            | Error::Unshare { errno, .. }
            | Error::Setns { errno, .. }
            | Error::OpenNamespace { errno, .. }
            | Error::StatNamespace { errno, .. }
            | Error::WriteIdMap { errno, .. }
            | Error::ReadIdFile { errno, .. }
            | Error::SpawnIdMapTool { errno, .. }
            | Error::PidfdNamespace { errno, .. } => Some(*errno),
            Error::MultiThreaded { .. }
            | Error::UnknownNamespaces { .. }
            | Error::NotSingleNamespace { .. }
            | Error::InvalidIdMap { .. }
            | Error::IdMapToolNotFound { .. }
            | Error::IdMapToolFailed { .. } => None,
        }
    }

    /// The file the failed operation worked on, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::OpenNamespace { path, .. }
            | Error::StatNamespace { path, .. }
            | Error::WriteIdMap { path, .. }
            | Error::ReadIdFile { path, .. } => Some(path),
            Error::IdMapToolNotFound { program }
            | Error::SpawnIdMapTool { program, .. }
            | Error::IdMapToolFailed { program, .. } => Some(program),
            Error::CountThreads { .. } => Some(Path::new("/proc/self/task")),
            _ => None,
        }
    }
}

/// Which side of an [`IdMap`](crate::IdMap) entry a problem is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdSide {
    /// The ids inside the new user namespace.
    Inside,
    /// The ids in the parent user namespace.
    Outside,
}

impl fmt::Display for IdSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdSide::Inside => "inside",
            IdSide::Outside => "outside",
        })
    }
}

/// Why [`validate_id_map`](crate::validate_id_map) refused a map: each is a reason the
/// kernel's `map_write()` would return `EINVAL`. Entries are counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum IdMapError {
    /// The map has no entry.
    #[error("the map is empty")]
    Empty,
    /// The map has more entries than the kernel accepts.
    #[error("{entries} entries; the kernel accepts at most {max}", max = crate::MAX_ID_MAP_ENTRIES)]
    TooManyEntries {
        /// How many were given.
        entries: usize,
    },
    /// An entry maps no id.
    #[error("entry {index} has a count of 0")]
    ZeroCount {
        /// The entry.
        index: usize,
    },
    /// An entry's range goes past the last valid id, 4294967294 (`(u32)-1` is the
    /// invalid id).
    #[error("entry {index}: {side} ids {first} + {count} go past 4294967294")]
    Overflow {
        /// The entry.
        index: usize,
        /// Which range overflows.
        side: IdSide,
        /// Its first id.
        first: u32,
        /// Its count.
        count: u32,
    },
    /// Two entries share ids on one side.
    #[error("entries {first} and {second} overlap on the {side} side")]
    Overlap {
        /// The earlier entry.
        first: usize,
        /// The later entry.
        second: usize,
        /// Where they overlap.
        side: IdSide,
    },
    /// The text of the map does not fit into one write the kernel accepts (less than a
    /// page).
    #[error("the map is {bytes} bytes; the kernel accepts less than {max} in one write")]
    TooLong {
        /// The length of the text.
        bytes: usize,
        /// The page size.
        max: usize,
    },
}
