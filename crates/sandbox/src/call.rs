//! The system calls `sandbox` makes itself, not through a leaf crate, and their error.

use std::fmt;
use std::path::PathBuf;

use rustix::io::Errno;
use rustix::thread::CapabilitySet;

/// A system call that the `sandbox` crate makes itself, not through a leaf crate: the
/// operation of a [`SysError`], with the arguments that are not a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Call {
    /// `fchdir(2)` to the shared directory, before the mount namespace is unshared.
    Fchdir,
    /// `openat(2)` of the shared directory again, in the new mount namespace.
    OpenSharedDir,
    /// `fstat(2)` of the shared directory.
    StatSharedDir,
    /// `chdir("/")`, sharing `/`.
    ChdirRoot,
    /// The check after the pivot that the cwd is the new root (`EXDEV` when it is not).
    CheckCwd,
    /// `setresgid(2)` and `setresuid(2)` to the inside ids.
    SetIds {
        /// The uid inside.
        uid: u32,
        /// The gid inside.
        gid: u32,
    },
    /// `setsid(2)`.
    Setsid,
    /// `keyctl(KEYCTL_JOIN_SESSION_KEYRING)`.
    JoinSessionKeyring,
    /// `prctl(PR_SET_NO_NEW_PRIVS)`.
    NoNewPrivs,
    /// Dropping every capability but the kept ones (bounding, ambient, `capset(2)`).
    DropCapabilities {
        /// The capabilities kept.
        keep: CapabilitySet,
    },
    /// Writing 0 to `user.max_user_namespaces`.
    LimitUserNamespaces,
    /// `setrlimit(RLIMIT_NOFILE)`.
    RaiseNofileLimit,
    /// Opening a descriptor's file again through `/proc/self/fd`, to look at it.
    ReopenDescriptor {
        /// The descriptor.
        fd: i32,
    },
    /// `fcntl(F_GETFL)` or `lseek(2)` on a kept descriptor, to carry its flags and offset.
    DescriptorState {
        /// The descriptor.
        fd: i32,
    },
    /// Closing every descriptor not kept (`EBADF` when one is still open afterwards).
    CloseDescriptors,
    /// `fcntl(F_SETFD, FD_CLOEXEC)` on an inherited descriptor.
    MarkCloseOnExec {
        /// The descriptor.
        fd: i32,
    },
    /// Opening a kept descriptor's file inside, on the sandbox's mounts (`ESTALE` when
    /// another file is at its path now), and putting it at the kept number (`dup3(2)`).
    ReplaceKept {
        /// The kept descriptor.
        fd: i32,
    },
    /// Building and enforcing the Landlock ruleset (`landlock_create_ruleset`,
    /// `landlock_add_rule`, `landlock_restrict_self`).
    Landlock,
    /// Opening a private proc instance (`fsopen("proc")` with `subset=pid`, `fsmount`).
    PrivateProc,
    /// `chroot(2)` into the shared directory.
    Chroot,
    /// `pipe2(2)`.
    Pipe,
    /// Reading the sandboxed process's report.
    ReadReport,
    /// Telling the id-map helper to write the maps.
    TellHelper,
    /// Reading the id-map helper's report (`EPIPE` when it ended without one).
    ReadHelperReport,
    /// The check, before anything changes, that enough descriptor numbers are free below
    /// the soft `RLIMIT_NOFILE` for entering (`EMFILE` when not): `getrlimit(2)` and
    /// `fcntl(F_GETFD)` from the limit down.
    ReserveDescriptors {
        /// How many entering opens at once.
        needed: u32,
        /// How many are open below the limit.
        open: u32,
        /// The soft limit.
        limit: u64,
    },
    /// Reading the report of the child that makes a
    /// [`SharedNetwork`](crate::SharedNetwork)'s namespace (`EPIPE` when it ended without
    /// one).
    ReadNetworkHolder,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Fchdir => f.write_str("fchdir to"),
            Call::OpenSharedDir => f.write_str("open"),
            Call::StatSharedDir => f.write_str("fstat"),
            Call::ChdirRoot => f.write_str("chdir to /, the shared directory"),
            Call::CheckCwd => f.write_str("check that the cwd is the new root"),
            Call::SetIds { uid, gid } => write!(f, "setresgid {gid} and setresuid {uid}"),
            Call::Setsid => f.write_str("setsid"),
            Call::JoinSessionKeyring => f.write_str("keyctl(KEYCTL_JOIN_SESSION_KEYRING)"),
            Call::NoNewPrivs => f.write_str("prctl(PR_SET_NO_NEW_PRIVS)"),
            Call::DropCapabilities { keep } if keep.is_empty() => {
                f.write_str("drop every capability")
            }
            Call::DropCapabilities { keep } => write!(f, "drop every capability but {keep:?}"),
            Call::LimitUserNamespaces => f.write_str("write 0 to"),
            Call::RaiseNofileLimit => f.write_str("setrlimit(RLIMIT_NOFILE)"),
            Call::ReopenDescriptor { fd } => {
                write!(f, "reopen descriptor {fd} through /proc/self/fd")
            }
            Call::DescriptorState { fd } => {
                write!(f, "read the status flags and offset of descriptor {fd}")
            }
            Call::CloseDescriptors => f.write_str("close every descriptor not kept"),
            Call::MarkCloseOnExec { fd } => {
                write!(f, "fcntl(F_SETFD, FD_CLOEXEC) on descriptor {fd}")
            }
            Call::ReplaceKept { fd } => write!(f, "reopen kept descriptor {fd} as"),
            Call::Landlock => f.write_str("restrict the process with Landlock"),
            Call::PrivateProc => f.write_str("mount a private proc instance (subset=pid)"),
            Call::Chroot => f.write_str("chroot into"),
            Call::Pipe => f.write_str("pipe2"),
            Call::ReadReport => f.write_str("read the sandboxed process's report"),
            Call::TellHelper => f.write_str("tell the id-map helper to write the maps"),
            Call::ReadHelperReport => f.write_str("read the id-map helper's report"),
            Call::ReserveDescriptors {
                needed,
                open,
                limit,
            } => write!(
                f,
                "entering needs about {} descriptors, {open} open and {needed} more at once, \
                 and the soft RLIMIT_NOFILE is {limit}",
                u64::from(*open) + u64::from(*needed)
            ),
            Call::ReadNetworkHolder => {
                f.write_str("read the report of the child making the shared network namespace")
            }
        }
    }
}

/// A system call that `sandbox` makes itself failed: the call, the path it worked on, and
/// the errno (`fchdir to /srv/shared: Permission denied (os error 13)`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SysError {
    /// The call.
    pub call: Call,
    /// The path it worked on, if any.
    pub path: Option<PathBuf>,
    /// What the kernel answered.
    pub errno: Errno,
}

impl SysError {
    pub(crate) fn new(call: Call, errno: Errno) -> SysError {
        SysError {
            call,
            path: None,
            errno,
        }
    }

    pub(crate) fn at(call: Call, path: impl Into<PathBuf>, errno: Errno) -> SysError {
        SysError {
            call,
            path: Some(path.into()),
            errno,
        }
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.call)?;
        if let Some(path) = &self.path {
            write!(f, " {}", path.display())?;
        }
        write!(f, ": {}", self.errno)
    }
}

impl std::error::Error for SysError {}
