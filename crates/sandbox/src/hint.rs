//! What an [`Error`] means for the caller: its broad [`ErrorKind`], the environmental
//! [`Cause`] found, and a hint at what to do.

use rustix::io::Errno;

use crate::call::{Call, SysError};
use crate::cause::Cause;
use crate::error::{Error, ErrorKind, PathProblem, SetupError};
use crate::step::Step;
use crate::Signal;

impl Error {
    /// The broad class of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::SharedDir { problem, .. } => match problem {
                PathProblem::NotFound => ErrorKind::NotFound,
                PathProblem::PermissionDenied => ErrorKind::PermissionDenied,
                _ => ErrorKind::InvalidInput,
            },
            Error::IdMap(_)
            | Error::InvalidOption { .. }
            | Error::LeakedDirectory { .. }
            | Error::KeptFdChanged { .. } => ErrorKind::InvalidInput,
            Error::MultiThreaded { .. } | Error::AlreadyEntered => ErrorKind::Precondition,
            Error::Setup { step, source, .. } => match source.errno() {
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
            Error::Setup { step, source, .. } => match (step, source.errno()?) {
                (Step::UnshareParent | Step::UnshareChild | Step::JoinNamespace, errno) => {
                    crate::cause::unshare_cause(errno)
                }
                (Step::WriteIdMaps, Errno::PERM) => Some(Cause::OwnIdsOnly),
                (Step::MountProc, errno) => crate::proc_cover::proc_mount_cause(
                    errno,
                    crate::proc_cover::in_child_user_namespace(),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    /// A hint at the likely cause when the environment, not the caller, is the problem:
    /// the [`cause`](Error::cause) when there is one, else advice for the operation that
    /// failed.
    ///
    /// Reads the relevant sysctls (`user.max_user_namespaces`,
    /// `kernel.apparmor_restrict_unprivileged_userns`) when it is called, so call it in the
    /// process that got the error.
    pub fn hint(&self) -> Option<String> {
        let (step, source) = match self {
            Error::MultiThreaded { .. } => {
                return Some(
                    "call enter() early in main, before any thread (tokio runtime, logger, \
                     thread pool) is started"
                        .into(),
                )
            }
            Error::ChildVanished { status } if status.signal() == Some(Signal::SYS.as_raw()) => {
                return Some(
                    "the sandboxed process died of SIGSYS: a seccomp filter killed it during \
                     setup"
                        .into(),
                )
            }
            Error::Setup { step, source, .. } => (*step, source),
            _ => return self.cause().map(|c| c.to_string()),
        };
        if let Some(cause) = self.cause() {
            return Some(cause.to_string());
        }
        let errno = source.errno()?;
        match (step, source, errno) {
            (Step::MountProc, _, Errno::PERM) => Some(
                "mounting proc needs a pid namespace of its own and a fully visible /proc on the \
                 host (no mounts over /proc subdirectories, as some container runtimes add)"
                    .into(),
            ),
            (Step::PivotRoot, _, Errno::INVAL) => Some(
                "pivot_root is not possible when the root file system is an initramfs (rootfs); \
                 use Mode::Chroot there"
                    .into(),
            ),
            // Keyed on the call, not the step: only the mount(2) fallback looks the bound
            // directory up by path.
            (
                Step::BindSharedDir,
                SetupError::Mount(sandbox_mount::Error::OpenBoundTree { .. }),
                Errno::ACCESS,
            ) => Some(
                "the mount(2) fallback looks the bound shared directory up by its path once, \
                     so the sandboxed uid must be able to search every directory above it; the \
                     new mount API (Linux 5.2, MountApi::Auto or MountApi::New) works from \
                     descriptors and needs no such permission"
                    .into(),
            ),
            (
                _,
                SetupError::Sys(SysError {
                    call: Call::CloseDescriptors,
                    ..
                }),
                _,
            ) => Some(
                "a descriptor stayed open after close_range and close: a seccomp filter may \
                 refuse close"
                    .into(),
            ),
            (Step::Landlock, _, Errno::NOSYS | Errno::OPNOTSUPP) => Some(
                "Mode::Landlock needs Landlock in the kernel (Linux 5.13, CONFIG_SECURITY_LANDLOCK, \
                 and landlock in the lsm= boot list): without it the mode would confine nothing"
                    .into(),
            ),
            (_, _, Errno::NOSYS) => {
                Some("the kernel, or a seccomp filter, does not provide this system call".into())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::path::Path;

    use super::*;

    fn setup(step: Step, errno: Errno) -> Error {
        Error::setup(step, SysError::new(Call::Fchdir, errno))
    }

    #[test]
    fn setup_error_reads_as_one_log_line_with_the_errno_once() {
        let e = Error::Setup {
            step: Step::MountProc,
            source: SysError::at(Call::Fchdir, "/srv/x", Errno::PERM).into(),
            shared_dir: None,
            in_child: true,
        };
        let line = e.to_string();
        assert_eq!(
            line,
            format!(
                "sandbox setup failed at mount-proc (in the sandboxed process): fchdir to /srv/x: {}",
                Errno::PERM
            )
        );
        assert_eq!(line.matches(&Errno::PERM.to_string()).count(), 1);
        assert!(!line.contains('\n'));
        // The source is the typed error, and it names no errno source after it.
        let source = e.source().expect("a source");
        assert!(source.downcast_ref::<SysError>().is_some());
        assert!(source.source().is_none());
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.hint().is_some_and(|h| h.contains("proc")));
    }

    #[test]
    fn the_shared_dir_is_named_when_the_leaf_names_no_path() {
        let e = Error::setup_on(
            Step::Nodev,
            SysError::new(Call::CheckCwd, Errno::PERM),
            Path::new("/srv/shared"),
        );
        assert!(e.to_string().ends_with("(shared directory /srv/shared)"));
        assert_eq!(e.path(), Some(Path::new("/srv/shared")));
        let own = Error::setup_on(
            Step::Nodev,
            SysError::at(Call::Fchdir, "/srv/a", Errno::PERM),
            Path::new("/srv/shared"),
        );
        assert!(!own.to_string().contains("shared directory"));
        assert_eq!(own.path(), Some(Path::new("/srv/a")));
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
        assert_eq!(
            setup(Step::PivotRoot, Errno::INVAL).kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            setup(Step::UnshareParent, Errno::NOSPC).kind(),
            ErrorKind::LimitReached
        );
        assert_eq!(
            setup(Step::Fork, Errno::NOSYS).kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            setup(Step::BindSharedDir, Errno::IO).kind(),
            ErrorKind::Other
        );
        let dir = Error::SharedDir {
            path: "/nope".into(),
            problem: PathProblem::NotFound,
            errno: Some(Errno::NOENT),
        };
        assert_eq!(dir.kind(), ErrorKind::NotFound);
        assert_eq!(dir.to_string(), "shared directory /nope: no such directory");
        assert!(setup(Step::PivotRoot, Errno::INVAL)
            .hint()
            .is_some_and(|h| h.contains("initramfs")));
    }

    #[test]
    fn a_bind_hint_is_given_for_the_path_lookup_only() {
        // EACCES from anything but the fallback's lookup gets no advice about searching.
        let e = setup(Step::BindSharedDir, Errno::ACCESS);
        assert!(!e.hint().is_some_and(|h| h.contains("search")));
    }
}
