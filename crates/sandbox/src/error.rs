//! The error of `sandbox`: which step failed, where, and why.

use std::fmt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::cause::Cause;
use crate::ExitStatus;

/// The setup steps of [`Sandbox::enter`](crate::Sandbox::enter), in order.
///
/// An [`Error::Setup`] names the step it failed in, whether the failure happened in the
/// original process or in the sandboxed child (which reports it over a pipe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Step {
    /// Counting the threads of the calling process.
    CheckThreads = 1,
    /// `unshare(2)` of the namespaces the original process creates (user, pid, time).
    UnshareParent,
    /// Writing `/proc/self/setgroups`, `gid_map` and `uid_map`.
    WriteIdMaps,
    /// Preparing the pipe and the parent watch before forking.
    PrepareFork,
    /// `fork(2)` into the new pid namespace.
    Fork,
    /// `PR_SET_PDEATHSIG` and the check that the parent is still alive.
    DieWithParent,
    /// `fchdir(2)` to the shared directory, before the mount namespace is unshared.
    EnterSharedDir,
    /// `unshare(2)` of the namespaces the sandboxed child creates (mount, net, ipc, uts, cgroup).
    UnshareChild,
    /// Changing the propagation of `/` (slave or private, recursively).
    Propagation,
    /// Mounting a fresh proc on `/proc`.
    MountProc,
    /// Capturing `/proc/self/fd` as a verified handle.
    CaptureProcFd,
    /// Bind-mounting the shared directory onto itself.
    BindSharedDir,
    /// Remounting the shared directory read-only.
    ReadOnly,
    /// `pivot_root(2)` into the shared directory and detaching the old root.
    PivotRoot,
    /// `chroot(2)` into the shared directory (chroot mode).
    Chroot,
    /// Reading the sandboxed child's report.
    Report,
    /// Checking the descriptors the process holds, and closing or marking the inherited
    /// ones (see [`InheritedFds`](crate::InheritedFds)).
    Fds,
    /// Remounting the shared directory `nodev`.
    Nodev,
    /// Checking that the cwd is the new root, after the pivot.
    CheckCwd,
    /// A hardening option: `RLIMIT_NOFILE`, `setsid(2)`, `PR_SET_NO_NEW_PRIVS`.
    Hardening,
    /// Dropping the capabilities not kept (bounding, ambient, then `capset(2)`).
    Capabilities,
    /// Forking the daemon under the minimal init.
    Init,
    /// `setns(2)` into a user, mount or network namespace given to the builder.
    JoinNamespace,
    /// Joining a fresh, anonymous session keyring (`keyctl(KEYCTL_JOIN_SESSION_KEYRING)`).
    Keyring,
    /// Setting `user.max_user_namespaces` to 0 in the sandbox's user namespace.
    NestedUserNamespaces,
    /// Taking the uid and gid the sandboxed process runs as inside its user namespace
    /// (`setresgid(2)`, `setresuid(2)`).
    SwitchIds,
    /// Replacing a kept descriptor of the shared directory's tree by one on the sandbox's
    /// own mounts.
    KeptDescriptor,
    /// Installing the seccomp filter, the last step.
    Seccomp,
}

impl Step {
    const ALL: [Step; 28] = [
        Step::CheckThreads,
        Step::UnshareParent,
        Step::WriteIdMaps,
        Step::PrepareFork,
        Step::Fork,
        Step::DieWithParent,
        Step::EnterSharedDir,
        Step::UnshareChild,
        Step::Propagation,
        Step::MountProc,
        Step::CaptureProcFd,
        Step::BindSharedDir,
        Step::ReadOnly,
        Step::PivotRoot,
        Step::Chroot,
        Step::Report,
        Step::Fds,
        Step::Nodev,
        Step::CheckCwd,
        Step::Hardening,
        Step::Capabilities,
        Step::Init,
        Step::JoinNamespace,
        Step::Keyring,
        Step::NestedUserNamespaces,
        Step::SwitchIds,
        Step::KeptDescriptor,
        Step::Seccomp,
    ];

    /// A short, stable name for logs (`mount-proc`).
    pub fn name(self) -> &'static str {
        match self {
            Step::CheckThreads => "check-threads",
            Step::UnshareParent => "unshare-parent",
            Step::WriteIdMaps => "write-id-maps",
            Step::PrepareFork => "prepare-fork",
            Step::Fork => "fork",
            Step::DieWithParent => "die-with-parent",
            Step::EnterSharedDir => "enter-shared-dir",
            Step::UnshareChild => "unshare-child",
            Step::Propagation => "propagation",
            Step::MountProc => "mount-proc",
            Step::CaptureProcFd => "capture-proc-fd",
            Step::BindSharedDir => "bind-shared-dir",
            Step::ReadOnly => "read-only",
            Step::PivotRoot => "pivot-root",
            Step::Chroot => "chroot",
            Step::Report => "report",
            Step::Fds => "fds",
            Step::Nodev => "nodev",
            Step::CheckCwd => "check-cwd",
            Step::Hardening => "hardening",
            Step::Capabilities => "capabilities",
            Step::Init => "init",
            Step::JoinNamespace => "join-namespace",
            Step::Keyring => "keyring",
            Step::NestedUserNamespaces => "nested-user-namespaces",
            Step::SwitchIds => "switch-ids",
            Step::KeptDescriptor => "kept-descriptor",
            Step::Seccomp => "seccomp",
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<Step> {
        Step::ALL.into_iter().find(|s| *s as u8 == v)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
    /// The process is not in a state where it can enter (more than one thread).
    Precondition,
    /// Anything else.
    Other,
}

/// Everything that can go wrong when building or entering a sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`Builder::build`](crate::Builder::build) refused the shared directory.
    #[error("shared directory {}: {problem}", path.display())]
    SharedDir {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        problem: PathProblem,
        /// The errno, when the kernel said so.
        #[source]
        errno: Option<Errno>,
    },
    /// A builder option was refused: one that the chosen mode cannot honour (read-only,
    /// namespaces or id maps outside [`Mode::Namespace`](crate::Mode::Namespace)), or a
    /// propagation that would let the sandbox's mounts reach the host.
    #[error("option {option}: {reason}")]
    InvalidOption {
        /// The option (`read_only`, `namespaces`, `propagation`, ...).
        option: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// An id map given to the builder is invalid.
    #[error("invalid id map: {0}")]
    IdMap(#[source] sandbox_namespaces::Error),
    /// The uid and gid maps could not be written by the helper process (`newuidmap` and
    /// `newgidmap`, or root writing them from outside), or its tools were not found.
    /// [`Error::cause`] says why.
    #[error("sandbox setup failed at write-id-maps: {source}")]
    IdMaps {
        /// What failed (boxed: it carries the tool's message).
        #[source]
        source: Box<sandbox_namespaces::Error>,
        /// The cause found: the tool missing, no subordinate ids, the tool's refusal.
        cause: Option<Cause>,
    },
    /// [`Builder::subordinate_ids`](crate::Builder::subordinate_ids) found no subordinate
    /// ids for the user.
    #[error("no subordinate ids for user {user} in {}", file.display())]
    NoSubordinateIds {
        /// The user, by name when `/etc/passwd` has one, else by uid.
        user: String,
        /// `/etc/subuid` or `/etc/subgid`.
        file: PathBuf,
    },
    /// Reading `/etc/subuid` or `/etc/subgid` failed.
    #[error("read subordinate ids: {0}")]
    SubordinateIds(#[source] sandbox_namespaces::Error),
    /// The calling process has more than one thread; `unshare(CLONE_NEWUSER)` and a safe
    /// `fork` need exactly one.
    #[error("the process has {threads} threads; entering a sandbox needs exactly one (enter before starting threads)")]
    MultiThreaded {
        /// How many threads the process had.
        threads: usize,
    },
    /// A setup step failed, in the original process or in the sandboxed child.
    ///
    /// A failure in the child is reported to the parent over a pipe and comes back as this
    /// same variant, with `in_child` set; the child has exited and been reaped.
    #[error("sandbox setup failed at {step}{}: {message}", if *in_child { " (in the sandboxed process)" } else { "" })]
    Setup {
        /// The step that failed.
        step: Step,
        /// The path the failing operation worked on, if any.
        path: Option<PathBuf>,
        /// The leaf crate's message (`mount proc on /proc: Operation not permitted (os error 1)`).
        message: String,
        /// The errno the kernel returned, if any.
        #[source]
        errno: Option<Errno>,
        /// Whether the failure happened in the sandboxed child.
        in_child: bool,
    },
    /// The sandboxed child ended during setup without reporting success or an error (it
    /// was killed, or a seccomp filter killed it).
    #[error("the sandboxed process ended during setup without a report ({status})")]
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
    #[error("descriptor {fd} is a directory outside the shared directory, or not reachable by its path there ({}): it would lead out of the sandbox; close it, or open the directory inside the shared directory", path.display())]
    LeakedDirectory {
        /// The descriptor number.
        fd: i32,
        /// Where it points, as `/proc/self/fd` says (`?` when proc is not mounted).
        path: PathBuf,
    },
    /// [`Builder::build`](crate::Builder::build) could not compile the seccomp filter
    /// (an architecture without filter support, a filter past the kernel's size limit).
    #[error("seccomp filter: {0}")]
    Seccomp(#[source] sandbox_seccomp::Error),
    /// Waiting for, or signalling, the sandboxed process failed.
    #[error("supervise the sandboxed process: {0}")]
    Supervise(#[source] sandbox_process::Error),
}

/// What a leaf error contributes to [`Error::Setup`]: its message, errno and path.
pub(crate) trait LeafError: fmt::Display {
    fn leaf_errno(&self) -> Option<Errno>;
    fn leaf_path(&self) -> Option<&Path>;
}

macro_rules! leaf_error {
    ($($t:ty, $has_path:tt);* $(;)?) => {$(
        impl LeafError for $t {
            fn leaf_errno(&self) -> Option<Errno> {
                self.errno()
            }
            fn leaf_path(&self) -> Option<&Path> {
                leaf_error!(@path self, $has_path)
            }
        }
    )*};
    (@path $s:ident, yes) => { $s.path() };
    (@path $s:ident, no) => { None };
}

leaf_error! {
    sandbox_namespaces::Error, yes;
    sandbox_mount::Error, yes;
    sandbox_pivot_root::Error, no;
    sandbox_proc_fd::Error, yes;
    sandbox_process::Error, no;
    sandbox_seccomp::Error, no;
}

impl LeafError for Errno {
    fn leaf_errno(&self) -> Option<Errno> {
        Some(*self)
    }
    fn leaf_path(&self) -> Option<&Path> {
        None
    }
}

impl Error {
    /// Wraps a leaf crate's error with the step it happened in.
    pub(crate) fn setup(step: Step, e: &dyn LeafError) -> Error {
        Error::Setup {
            step,
            path: e.leaf_path().map(Path::to_path_buf),
            message: e.to_string(),
            errno: e.leaf_errno(),
            in_child: false,
        }
    }

    /// The step a setup failure happened in.
    pub fn step(&self) -> Option<Step> {
        match self {
            Error::Setup { step, .. } => Some(*step),
            Error::MultiThreaded { .. } => Some(Step::CheckThreads),
            Error::LeakedDirectory { .. } => Some(Step::Fds),
            Error::IdMaps { .. } => Some(Step::WriteIdMaps),
            _ => None,
        }
    }

    /// The errno the kernel returned, if the error came from a system call.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::SharedDir { errno, .. } | Error::Setup { errno, .. } => *errno,
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
            Error::Setup { path, .. } => path.as_deref(),
            Error::LeakedDirectory { path, .. } => Some(path),
            Error::IdMaps { source, .. } => source.path(),
            Error::SubordinateIds(source) => source.path(),
            Error::NoSubordinateIds { file, .. } => Some(file),
            _ => None,
        }
    }

    /// The broad class of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::SharedDir { problem, .. } => match problem {
                PathProblem::NotFound => ErrorKind::NotFound,
                PathProblem::PermissionDenied => ErrorKind::PermissionDenied,
                _ => ErrorKind::InvalidInput,
            },
            Error::IdMap(_) | Error::InvalidOption { .. } | Error::LeakedDirectory { .. } => {
                ErrorKind::InvalidInput
            }
            Error::MultiThreaded { .. } => ErrorKind::Precondition,
            Error::Setup { step, errno, .. } => match *errno {
                Some(Errno::PERM) | Some(Errno::ACCESS) => ErrorKind::PermissionDenied,
                Some(Errno::NOSYS) | Some(Errno::OPNOTSUPP) => ErrorKind::Unsupported,
                Some(Errno::INVAL) if *step == Step::PivotRoot => ErrorKind::Unsupported,
                Some(Errno::INVAL) if *step == Step::UnshareParent => ErrorKind::Unsupported,
                Some(Errno::NOSPC) | Some(Errno::USERS) | Some(Errno::MFILE)
                | Some(Errno::NFILE) | Some(Errno::NOMEM) | Some(Errno::AGAIN) => {
                    ErrorKind::LimitReached
                }
                _ => ErrorKind::Other,
            },
            Error::IdMaps { cause, .. } => match cause {
                Some(Cause::IdMapToolMissing { .. }) => ErrorKind::Unsupported,
                _ => ErrorKind::PermissionDenied,
            },
            Error::NoSubordinateIds { .. } => ErrorKind::PermissionDenied,
            Error::ChildVanished { .. } | Error::Supervise(_) | Error::SubordinateIds(_) => {
                ErrorKind::Other
            }
            Error::Seccomp(_) => ErrorKind::Unsupported,
        }
    }

    /// Why user namespaces, or the id maps of one, are not available, when this error is
    /// such a failure: `user.max_user_namespaces` 0, AppArmor, a seccomp filter, the
    /// id-map tool missing or refusing, no subordinate ids.
    ///
    /// For `unshare` failures this reads the sysctls and `/proc/self/status` when called:
    /// call it in the process that got the error.
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Error::IdMaps { cause, .. } => cause.clone(),
            Error::NoSubordinateIds { user, file } => Some(Cause::NoSubordinateIds {
                user: user.clone(),
                file: file.clone(),
            }),
            Error::Setup {
                step: Step::UnshareParent | Step::UnshareChild | Step::JoinNamespace,
                errno: Some(errno),
                ..
            } => crate::cause::unshare_cause(*errno),
            Error::Setup {
                step: Step::WriteIdMaps,
                errno: Some(Errno::PERM),
                ..
            } => Some(Cause::OwnIdsOnly),
            _ => None,
        }
    }

    /// A hint at the likely cause when the environment, not the caller, is the problem:
    /// the [`cause`](Error::cause) when there is one, else advice for the step that failed.
    ///
    /// Reads the relevant sysctls (`user.max_user_namespaces`,
    /// `kernel.apparmor_restrict_unprivileged_userns`) when it is called, so call it in the
    /// process that got the error.
    pub fn hint(&self) -> Option<String> {
        let (step, errno) =
            match self {
                Error::MultiThreaded { .. } => {
                    return Some(
                        "call enter() early in main, before any thread (tokio runtime, logger, \
                     thread pool) is started"
                            .into(),
                    )
                }
                Error::ChildVanished { status } if status.signal() == Some(31) => return Some(
                    "the sandboxed process died of SIGSYS: a seccomp filter killed it during setup"
                        .into(),
                ),
                Error::Setup { step, errno, .. } => (*step, *errno),
                _ => return self.cause().map(|c| c.to_string()),
            };
        if let Some(cause) = self.cause() {
            return Some(cause.to_string());
        }
        match (step, errno?) {
            (Step::MountProc, Errno::PERM) => Some(
                "mounting proc needs a pid namespace of its own and a fully visible /proc on the \
                 host (no mounts over /proc subdirectories, as some container runtimes add)"
                    .into(),
            ),
            (Step::PivotRoot, Errno::INVAL) => Some(
                "pivot_root is not possible when the root file system is an initramfs (rootfs); \
                 use Mode::Chroot there"
                    .into(),
            ),
            (Step::BindSharedDir, Errno::ACCESS) => Some(
                "the mount(2) fallback looks the bound shared directory up by its path once, so \
                 the sandboxed uid must be able to search every directory above it; the new \
                 mount API (Linux 5.2, MountApi::Auto or MountApi::New) works from descriptors \
                 and needs no such permission"
                    .into(),
            ),
            (_, Errno::NOSYS) => {
                Some("the kernel, or a seccomp filter, does not provide this system call".into())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_round_trips_through_its_byte() {
        for s in Step::ALL {
            assert_eq!(Step::from_u8(s as u8), Some(s));
        }
        assert_eq!(Step::from_u8(0), None);
        assert_eq!(Step::from_u8(200), None);
    }

    #[test]
    fn setup_error_reads_as_one_log_line() {
        let e = Error::Setup {
            step: Step::MountProc,
            path: Some("/proc".into()),
            message: "mount proc on /proc: Operation not permitted (os error 1)".into(),
            errno: Some(Errno::PERM),
            in_child: true,
        };
        assert_eq!(
            e.to_string(),
            "sandbox setup failed at mount-proc (in the sandboxed process): mount proc on /proc: \
             Operation not permitted (os error 1)"
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.hint().is_some_and(|h| h.contains("proc")));
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn leaked_directory_names_the_descriptor_and_path() {
        let e = Error::LeakedDirectory {
            fd: 7,
            path: "/etc".into(),
        };
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.step(), Some(Step::Fds));
        assert_eq!(e.path(), Some(Path::new("/etc")));
        let msg = e.to_string();
        assert!(msg.starts_with("descriptor 7 is a directory outside the shared directory"));
        assert!(msg.contains("(/etc)"));
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn kinds_follow_the_errno_and_step() {
        let mk = |step, errno| Error::Setup {
            step,
            path: None,
            message: String::new(),
            errno: Some(errno),
            in_child: false,
        };
        assert_eq!(
            mk(Step::PivotRoot, Errno::INVAL).kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            mk(Step::UnshareParent, Errno::NOSPC).kind(),
            ErrorKind::LimitReached
        );
        assert_eq!(mk(Step::Fork, Errno::NOSYS).kind(), ErrorKind::Unsupported);
        assert_eq!(mk(Step::BindSharedDir, Errno::IO).kind(), ErrorKind::Other);
        let dir = Error::SharedDir {
            path: "/nope".into(),
            problem: PathProblem::NotFound,
            errno: Some(Errno::NOENT),
        };
        assert_eq!(dir.kind(), ErrorKind::NotFound);
        assert_eq!(dir.to_string(), "shared directory /nope: no such directory");
        assert_eq!(
            mk(Step::PivotRoot, Errno::INVAL)
                .hint()
                .as_deref()
                .map(|h| h.contains("initramfs")),
            Some(true)
        );
    }
}
