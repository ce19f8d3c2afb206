//! The error of `sandbox`: which step failed, where, and why, with the leaf crate's error
//! kept typed, also when it crossed the pipe from the sandboxed child.
//!
//! One convention for every crate of the workspace: an error's one-line `Display` names the
//! operation, its arguments and the errno, once; a daemon logs `{e}` and has everything. An
//! errno is never a `source()`: it is in the text. An error that wraps another (the
//! [`Error::Setup`] around a leaf crate's error) shows the inner text after its own context
//! and gives the inner error, typed, from `source()`, for matching:
//!
//! ```no_run
//! # fn main() {
//! let Err(e) = sandbox::Sandbox::builder("/srv/shared").build().and_then(|s| s.enter()) else {
//!     return;
//! };
//! if let Some(mount) = std::error::Error::source(&e)
//!     .and_then(|s| s.downcast_ref::<sandbox_mount::Error>())
//! {
//!     eprintln!("the mount step failed: {mount}");
//! }
//! # }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::call::SysError;
use crate::cause::Cause;
use crate::step::Step;
use crate::ExitStatus;
use rustix::io::Errno;

/// What is wrong with the path given to [`Sandbox::builder`](crate::Sandbox::builder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    /// The path is empty.
    Empty,
    /// The path contains a NUL byte.
    ContainsNul,
    /// Nothing exists at the path.
    NotFound,
    /// The path exists but is not a directory.
    NotADirectory,
    /// A component of the path cannot be searched.
    PermissionDenied,
    /// Opening the path failed otherwise (too many symlinks, name too long, ...).
    Unopenable,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::Empty => "the path is empty",
            PathProblem::ContainsNul => "the path contains a NUL byte",
            PathProblem::NotFound => "no such directory",
            PathProblem::NotADirectory => "not a directory",
            PathProblem::PermissionDenied => "permission denied",
            PathProblem::Unopenable => "cannot be opened",
        })
    }
}

/// The broad class of an [`Error`], for callers that decide what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input is wrong (a bad path, an invalid id map).
    InvalidInput,
    /// The shared directory does not exist.
    NotFound,
    /// The kernel refused for lack of privilege (EPERM, EACCES).
    PermissionDenied,
    /// The kernel or the environment lacks the feature (ENOSYS, EINVAL from pivot_root on an
    /// initramfs, user namespaces disabled).
    Unsupported,
    /// A limit was reached (ENOSPC from `user.max_user_namespaces`, EMFILE, ENOMEM).
    LimitReached,
    /// The process is not in a state where it can enter (more than one thread, or it
    /// entered already).
    Precondition,
    /// Anything else.
    Other,
}

/// A builder option that [`Builder::build`](crate::Builder::build) refused, by the name of
/// its method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuilderOption {
    /// [`Builder::read_only`](crate::Builder::read_only).
    ReadOnly,
    /// [`Builder::namespaces`](crate::Builder::namespaces).
    Namespaces,
    /// [`Builder::uid_map`](crate::Builder::uid_map).
    UidMap,
    /// [`Builder::gid_map`](crate::Builder::gid_map).
    GidMap,
    /// [`Builder::init`](crate::Builder::init).
    Init,
    /// [`Builder::inside_ids`](crate::Builder::inside_ids).
    InsideIds,
    /// [`Builder::subordinate_ids`](crate::Builder::subordinate_ids).
    SubordinateIds,
    /// [`Builder::setgroups`](crate::Builder::setgroups).
    Setgroups,
    /// [`Builder::join_user_namespace`](crate::Builder::join_user_namespace).
    JoinUserNamespace,
    /// One of the `join_*_namespace` options.
    JoinNamespace,
    /// [`Builder::propagation`](crate::Builder::propagation).
    Propagation,
}

impl BuilderOption {
    /// The method's name (`read_only`).
    pub fn name(self) -> &'static str {
        match self {
            BuilderOption::ReadOnly => "read_only",
            BuilderOption::Namespaces => "namespaces",
            BuilderOption::UidMap => "uid_map",
            BuilderOption::GidMap => "gid_map",
            BuilderOption::Init => "init",
            BuilderOption::InsideIds => "inside_ids",
            BuilderOption::SubordinateIds => "subordinate_ids",
            BuilderOption::Setgroups => "setgroups",
            BuilderOption::JoinUserNamespace => "join_user_namespace",
            BuilderOption::JoinNamespace => "join_*_namespace",
            BuilderOption::Propagation => "propagation",
        }
    }
}

impl fmt::Display for BuilderOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for BuilderOption {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// Why a builder option was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionConflict {
    /// Only [`Mode::Namespace`](crate::Mode::Namespace) can provide it.
    NeedsNamespaceMode,
    /// Shared or unbindable propagation: only slave or private keep the sandbox's mounts
    /// off the host (and `pivot_root` refuses a shared root).
    ReachesTheHost,
    /// A joined user namespace has its maps and setgroups already.
    JoinedUserNamespace,
    /// Inside ids need a user namespace made by the sandbox: id maps (as root) or entering
    /// without root, and no joined one.
    NeedsOwnUserNamespace,
}

impl fmt::Display for OptionConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionConflict::NeedsNamespaceMode => "only Mode::Namespace can provide it",
            OptionConflict::ReachesTheHost => {
                "only slave or private keep the sandbox's mounts off the host (and pivot_root \
                 refuses a shared root)"
            }
            OptionConflict::JoinedUserNamespace => {
                "a joined user namespace has its maps and setgroups already; give no id map and \
                 no setgroups"
            }
            OptionConflict::NeedsOwnUserNamespace => {
                "needs a user namespace made by the sandbox: give id maps (as root) or enter \
                 without root, and do not join one"
            }
        })
    }
}

/// The error a setup step failed with: a leaf crate's, typed, or one of the system calls
/// `sandbox` makes itself.
#[derive(Debug)]
#[non_exhaustive]
pub enum SetupError {
    /// From `sandbox-namespaces`: unshare, setns, the id maps.
    Namespaces(sandbox_namespaces::Error),
    /// From `sandbox-mount`: propagation, proc, binds, attributes.
    Mount(sandbox_mount::Error),
    /// From `sandbox-pivot-root`.
    PivotRoot(sandbox_pivot_root::Error),
    /// From `sandbox-proc-fd`: capturing the handle.
    ProcFd(sandbox_proc_fd::Error),
    /// From `sandbox-process`: fork, the parent watch.
    Process(sandbox_process::Error),
    /// From `sandbox-seccomp`: installing the filter.
    Seccomp(sandbox_seccomp::Error),
    /// A call `sandbox` makes itself.
    Sys(SysError),
}

impl SetupError {
    /// The error itself, as the leaf crate's type.
    pub fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        match self {
            SetupError::Namespaces(e) => e,
            SetupError::Mount(e) => e,
            SetupError::PivotRoot(e) => e,
            SetupError::ProcFd(e) => e,
            SetupError::Process(e) => e,
            SetupError::Seccomp(e) => e,
            SetupError::Sys(e) => e,
        }
    }

    /// The errno the kernel returned, if any.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            SetupError::Namespaces(e) => e.errno(),
            SetupError::Mount(e) => e.errno(),
            SetupError::PivotRoot(e) => e.errno(),
            SetupError::ProcFd(e) => e.errno(),
            SetupError::Process(e) => e.errno(),
            SetupError::Seccomp(e) => e.errno(),
            SetupError::Sys(e) => Some(e.errno),
        }
    }

    /// The path the failed operation named, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            SetupError::Namespaces(e) => e.path(),
            SetupError::Mount(e) => e.path(),
            SetupError::ProcFd(e) => e.path(),
            SetupError::Sys(e) => e.path.as_deref(),
            SetupError::PivotRoot(_) | SetupError::Process(_) | SetupError::Seccomp(_) => None,
        }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_error(), f)
    }
}

macro_rules! setup_error_from {
    ($($variant:ident($t:ty)),* $(,)?) => {$(
        impl From<$t> for SetupError {
            fn from(e: $t) -> Self {
                SetupError::$variant(e)
            }
        }
    )*};
}

setup_error_from! {
    Namespaces(sandbox_namespaces::Error),
    Mount(sandbox_mount::Error),
    PivotRoot(sandbox_pivot_root::Error),
    ProcFd(sandbox_proc_fd::Error),
    Process(sandbox_process::Error),
    Seccomp(sandbox_seccomp::Error),
    Sys(SysError),
}

/// Everything that can go wrong when building or entering a sandbox.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// [`Builder::build`](crate::Builder::build) refused the shared directory.
    SharedDir {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        problem: PathProblem,
        /// The errno, when the kernel said so.
        errno: Option<Errno>,
    },
    /// A builder option was refused: one that the chosen mode cannot honour (read-only,
    /// namespaces or id maps outside [`Mode::Namespace`](crate::Mode::Namespace)), or a
    /// propagation that would let the sandbox's mounts reach the host.
    InvalidOption {
        /// The option.
        option: BuilderOption,
        /// Why it was refused.
        reason: OptionConflict,
    },
    /// An id map given to the builder is invalid.
    IdMap(sandbox_namespaces::Error),
    /// The uid and gid maps could not be written by the helper process (`newuidmap` and
    /// `newgidmap`, or root writing them from outside), or its tools were not found.
    /// [`Error::cause`] says why.
    IdMaps {
        /// What failed (boxed: it carries the tool's message).
        source: Box<sandbox_namespaces::Error>,
        /// The cause found: the tool missing, no subordinate ids, the tool's refusal.
        cause: Option<Cause>,
    },
    /// [`Builder::subordinate_ids`](crate::Builder::subordinate_ids) found no subordinate
    /// ids for the user.
    NoSubordinateIds {
        /// The user, by name when `/etc/passwd` has one, else by uid.
        user: String,
        /// `/etc/subuid` or `/etc/subgid`.
        file: PathBuf,
    },
    /// Reading `/etc/subuid` or `/etc/subgid` failed.
    SubordinateIds(sandbox_namespaces::Error),
    /// The calling process has more than one thread; `unshare(CLONE_NEWUSER)` and a safe
    /// `fork` need exactly one.
    MultiThreaded {
        /// How many threads the process had.
        threads: usize,
    },
    /// A setup step failed, in the original process or in the sandboxed child.
    ///
    /// A failure in the child is sent to the parent over a pipe, encoded field by field,
    /// and comes back as this same variant with the same typed `source`, and `in_child`
    /// set; the child has exited and been reaped. `source()` gives the leaf crate's error
    /// itself (a `sandbox_mount::Error`, ...), to `downcast_ref`.
    Setup {
        /// The step that failed.
        step: Step,
        /// The error of the failed operation.
        source: SetupError,
        /// The shared directory, when the operation worked on a descriptor of it and its
        /// error names no path of its own.
        shared_dir: Option<PathBuf>,
        /// Whether the failure happened in the sandboxed child.
        in_child: bool,
    },
    /// The sandboxed child ended during setup without reporting success or an error (it
    /// was killed, or a seccomp filter killed it).
    ChildVanished {
        /// How it ended.
        status: ExitStatus,
    },
    /// A directory descriptor that would survive into the sandbox (kept with
    /// [`Builder::keep_fd`](crate::Builder::keep_fd), standard input, output or error, or
    /// any descriptor under [`InheritedFds::CloseOnExec`](crate::InheritedFds::CloseOnExec))
    /// points outside the shared directory: through it (`openat(fd, "..")`, runc's
    /// CVE-2024-21626) the sandboxed process would reach the host's file system. Refused
    /// before anything changes. Do not keep it, or open the directory inside the shared
    /// directory instead.
    LeakedDirectory {
        /// The descriptor number.
        fd: i32,
        /// Where it points, as `/proc/self/fd` says (`?` when proc is not mounted).
        path: PathBuf,
    },
    /// A descriptor kept with [`Builder::keep_fd`](crate::Builder::keep_fd) is not the
    /// open file it was then (device and inode): it was closed, and its number is free or
    /// names another file now. `keep_fd` records a number; keeping a different file than
    /// the one meant, or sparing a stranger from being closed, would be wrong either way.
    /// Refused before anything changes.
    KeptFdChanged {
        /// The descriptor number.
        fd: i32,
    },
    /// This process entered a sandbox already, or went far enough in an attempt to change
    /// something (a namespace, its descriptors): a process enters once. Refused before
    /// anything changes, from the original process and from inside alike.
    AlreadyEntered,
    /// [`Builder::build`](crate::Builder::build) could not compile the seccomp filter
    /// (an architecture without filter support, a filter past the kernel's size limit).
    Seccomp(sandbox_seccomp::Error),
    /// Waiting for, or signalling, the sandboxed process failed.
    Supervise(sandbox_process::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SharedDir {
                path,
                problem,
                errno,
            } => {
                write!(f, "shared directory {}: {problem}", path.display())?;
                match (problem, errno) {
                    (PathProblem::Unopenable, Some(errno)) => write!(f, " ({errno})"),
                    _ => Ok(()),
                }
            }
            Error::InvalidOption { option, reason } => write!(f, "option {option}: {reason}"),
            Error::IdMap(e) => write!(f, "invalid id map: {e}"),
            Error::IdMaps { source, .. } => {
                write!(f, "sandbox setup failed at {}: {source}", Step::WriteIdMaps)
            }
            Error::NoSubordinateIds { user, file } => {
                write!(
                    f,
                    "no subordinate ids for user {user} in {}",
                    file.display()
                )
            }
            Error::SubordinateIds(e) => write!(f, "read subordinate ids: {e}"),
            Error::MultiThreaded { threads } => write!(
                f,
                "the process has {threads} threads; entering a sandbox needs exactly one \
                 (enter before starting threads)"
            ),
            Error::Setup {
                step,
                source,
                shared_dir,
                in_child,
            } => {
                write!(f, "sandbox setup failed at {step}")?;
                if *in_child {
                    f.write_str(" (in the sandboxed process)")?;
                }
                write!(f, ": {source}")?;
                match shared_dir {
                    Some(dir) if source.path().is_none() => {
                        write!(f, " (shared directory {})", dir.display())
                    }
                    _ => Ok(()),
                }
            }
            Error::ChildVanished { status } => write!(
                f,
                "the sandboxed process ended during setup without a report ({status})"
            ),
            Error::LeakedDirectory { fd, path } => write!(
                f,
                "descriptor {fd} is a directory outside the shared directory, or not reachable \
                 by its path there ({}): it would lead out of the sandbox; close it, or open \
                 the directory inside the shared directory",
                path.display()
            ),
            Error::KeptFdChanged { fd } => write!(
                f,
                "descriptor {fd}, kept with keep_fd, is not the open file it was then (closed \
                 since; its number is free or names another file): keep it open until entering"
            ),
            Error::AlreadyEntered => f.write_str(
                "this process has entered a sandbox already (or changed itself trying to): a \
                 process enters once; enter from a fresh process",
            ),
            Error::Seccomp(e) => write!(f, "seccomp filter: {e}"),
            Error::Supervise(e) => write!(f, "supervise the sandboxed process: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::IdMap(e) | Error::SubordinateIds(e) => Some(e),
            Error::IdMaps { source, .. } => Some(&**source),
            Error::Setup { source, .. } => Some(source.as_error()),
            Error::Seccomp(e) => Some(e),
            Error::Supervise(e) => Some(e),
            Error::SharedDir { .. }
            | Error::InvalidOption { .. }
            | Error::NoSubordinateIds { .. }
            | Error::MultiThreaded { .. }
            | Error::ChildVanished { .. }
            | Error::LeakedDirectory { .. }
            | Error::KeptFdChanged { .. }
            | Error::AlreadyEntered => None,
        }
    }
}

impl Error {
    /// Wraps the error of a setup step.
    pub(crate) fn setup(step: Step, e: impl Into<SetupError>) -> Error {
        Error::Setup {
            step,
            source: e.into(),
            shared_dir: None,
            in_child: false,
        }
    }

    /// Wraps the error of a setup step that worked on a descriptor of the shared directory
    /// `dir`.
    pub(crate) fn setup_on(step: Step, e: impl Into<SetupError>, dir: &Path) -> Error {
        Error::Setup {
            step,
            source: e.into(),
            shared_dir: Some(dir.to_path_buf()),
            in_child: false,
        }
    }

    /// The step a setup failure happened in.
    pub fn step(&self) -> Option<Step> {
        match self {
            Error::Setup { step, .. } => Some(*step),
            Error::MultiThreaded { .. } => Some(Step::CheckThreads),
            Error::LeakedDirectory { .. } | Error::KeptFdChanged { .. } => Some(Step::Fds),
            Error::IdMaps { .. } => Some(Step::WriteIdMaps),
            _ => None,
        }
    }

    /// The errno the kernel returned, if the error came from a system call.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::SharedDir { errno, .. } => *errno,
            Error::Setup { source, .. } => source.errno(),
            Error::IdMap(e) | Error::SubordinateIds(e) => e.errno(),
            Error::IdMaps { source, .. } => source.errno(),
            Error::Supervise(e) => e.errno(),
            Error::Seccomp(e) => e.errno(),
            _ => None,
        }
    }

    /// The path involved, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::SharedDir { path, .. } => Some(path),
            Error::Setup {
                source, shared_dir, ..
            } => source.path().or(shared_dir.as_deref()),
            Error::LeakedDirectory { path, .. } => Some(path),
            Error::IdMaps { source, .. } => source.path(),
            Error::SubordinateIds(source) => source.path(),
            Error::NoSubordinateIds { file, .. } => Some(file),
            _ => None,
        }
    }

    /// The leaf crate's error of a failed setup step, typed (also after it crossed the
    /// pipe from the sandboxed child).
    pub fn setup_error(&self) -> Option<&SetupError> {
        match self {
            Error::Setup { source, .. } => Some(source),
            _ => None,
        }
    }
}
