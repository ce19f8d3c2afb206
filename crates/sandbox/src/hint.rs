//! What an [`Error`] means for the caller: its broad [`ErrorKind`], the environmental
//! [`Cause`] found, and a hint at what to do.

use rustix::io::Errno;

use crate::call::{Call, SysError};
use crate::cause::Cause;
use crate::error::{Error, ErrorKind, PathProblem, SetupError};
use crate::privilege::Privilege;
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

    /// What in the environment made this error, when it is one the environment explains:
    /// why user namespaces, or the id maps of one, are not available
    /// (`user.max_user_namespaces` 0 here or in an enclosing namespace, AppArmor, a seccomp
    /// filter, the id-map tool missing or refusing, no subordinate ids), which limit on
    /// another namespace type was reached (`user.max_net_namespaces`, ...), or which limit was
    /// reached (`EAGAIN` from `fork`: a pids cgroup or `RLIMIT_NPROC`; `EMFILE`:
    /// `RLIMIT_NOFILE`). Keyed on the failing call, not on the step alone.
    ///
    /// This reads the sysctls, `/proc/self/status`, the limits, the cgroup and the
    /// descriptor table when called (after a `fork` `EAGAIN`, every `/proc/<pid>/status`
    /// too, to count the real uid's tasks): call it in the process that got the error.
    pub fn cause(&self) -> Option<Cause> {
        match self {
            Error::IdMaps { cause, .. } => cause.clone(),
            Error::NoSubordinateIds { user, file } => Some(Cause::NoSubordinateIds {
                user: user.clone(),
                file: file.clone(),
            }),
            // Keyed on the failing call: the same errno means other things elsewhere.
            Error::Setup { step, source, .. } => match (step, source, source.errno()?) {
                // The check before entering counted, with the shared directory's
                // descriptor still open.
                (
                    _,
                    SetupError::Sys(SysError {
                        call:
                            Call::ReserveDescriptors {
                                needed,
                                open,
                                limit,
                            },
                        ..
                    }),
                    _,
                ) => Some(Cause::DescriptorLimitReached {
                    needed: *needed,
                    open: *open,
                    limit: *limit,
                }),
                // Counted now, when entering has closed the shared directory's descriptor.
                (_, _, Errno::MFILE) => {
                    let (open, limit) = crate::limits::descriptors_open()?;
                    Some(Cause::DescriptorLimitReached {
                        needed: crate::limits::ENTER_DESCRIPTORS + 1,
                        open,
                        limit,
                    })
                }
                (_, SetupError::Process(sandbox_process::Error::Fork { .. }), Errno::AGAIN) => {
                    Some(Cause::ProcessLimitReached {
                        limit: crate::limits::process_limit(),
                    })
                }
                // The failed call's own namespaces: the user-namespace causes only where
                // it made one (at unshare-child the original process may be in the
                // sandbox's user namespace by now, whose limits are not the ones reached).
                (
                    _,
                    SetupError::Namespaces(
                        sandbox_namespaces::Error::Unshare { namespaces, .. }
                        | sandbox_namespaces::Error::Setns { namespaces, .. },
                    ),
                    errno,
                ) => crate::cause::unshare_cause(*namespaces, errno),
                (
                    Step::WriteIdMaps,
                    SetupError::Namespaces(sandbox_namespaces::Error::WriteIdMap { .. }),
                    Errno::PERM,
                ) => Some(Cause::OwnIdsOnly),
                (_, SetupError::Mount(sandbox_mount::Error::MountProc { .. }), errno) => {
                    crate::proc_cover::proc_mount_cause(
                        errno,
                        crate::proc_cover::in_child_user_namespace(),
                    )
                }
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
        // Keyed on the failing call, not on the step: a step makes several calls, and the
        // same errno from two of them has two causes.
        match (step, source, errno) {
            (_, SetupError::Mount(sandbox_mount::Error::MountProc { .. }), Errno::PERM) => Some(
                "mounting proc needs a pid namespace of its own and a fully visible /proc on the \
                 host (no mounts over /proc subdirectories, as some container runtimes add)"
                    .into(),
            ),
            (
                _,
                SetupError::PivotRoot(sandbox_pivot_root::Error::PivotRoot { .. }),
                Errno::INVAL,
            ) => Some(format!(
                "pivot_root is not possible when the root file system is an initramfs \
                 (rootfs); {}",
                match Privilege::at_build().may_chroot() {
                    true => "use Mode::Chroot there",
                    false => {
                        "Mode::Landlock confines the file system there (Mode::Chroot would \
                         need CAP_SYS_CHROOT, which this process lacks)"
                    }
                }
            )),
            // open_tree and move_mount name no path: an LSM's mount rules or a seccomp
            // profile refused the new mount API.
            (
                _,
                SetupError::Mount(
                    sandbox_mount::Error::CloneTree { .. } | sandbox_mount::Error::AttachTree { .. },
                ),
                Errno::ACCESS | Errno::PERM,
            ) => Some(
                "the new mount API (open_tree, move_mount) was refused: a seccomp profile or an \
                 LSM's mount rules (AppArmor, SELinux) forbid it; MountApi::Auto falls back to \
                 mount(2) on EPERM and ENOSYS only, MountApi::Legacy uses mount(2) always"
                    .into(),
            ),
            // Only the mount(2) fallback looks the bound directory up by path.
            (
                _,
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
            (
                _,
                SetupError::Sys(SysError {
                    call: Call::Landlock,
                    ..
                }),
                Errno::NOSYS | Errno::OPNOTSUPP,
            ) => Some(
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
        // Hints follow the call: fchdir's EPERM is not the proc mount's.
        assert_eq!(e.hint(), None);
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
        let pivot = Error::setup(
            Step::PivotRoot,
            sandbox_pivot_root::Error::PivotRoot {
                errno: Errno::INVAL,
            },
        );
        assert!(pivot.hint().is_some_and(|h| h.contains("initramfs")));
        assert_eq!(setup(Step::PivotRoot, Errno::INVAL).hint(), None);
    }

    #[test]
    fn hints_are_keyed_on_the_failing_call() {
        let mount = |e: sandbox_mount::Error| Error::setup(Step::BindSharedDir, e);
        // EACCES from anything but the fallback's lookup gets no advice about searching.
        let e = setup(Step::BindSharedDir, Errno::ACCESS);
        assert!(!e.hint().is_some_and(|h| h.contains("search")));
        let lookup = mount(sandbox_mount::Error::OpenBoundTree {
            target: "/srv/shared".into(),
            errno: Errno::ACCESS,
        });
        assert!(lookup.hint().is_some_and(|h| h.contains("search")));
        // open_tree's EACCES, in the same step, is the new mount API refused.
        let open_tree = mount(sandbox_mount::Error::CloneTree {
            errno: Errno::ACCESS,
        });
        let hint = open_tree.hint().unwrap_or_default();
        assert!(
            hint.contains("open_tree") && !hint.contains("search"),
            "{hint}"
        );
        // The proc hint belongs to mounting proc, not to any EPERM of its step.
        let proc = Error::setup(
            Step::MountProc,
            sandbox_mount::Error::MountProc {
                target: "/proc".into(),
                errno: Errno::PERM,
            },
        );
        assert!(proc
            .hint()
            .is_some_and(|h| h.contains("fully visible /proc")));
        assert_eq!(setup(Step::MountProc, Errno::PERM).hint(), None);
    }

    #[test]
    fn fork_eagain_and_emfile_name_their_limit() {
        let fork = Error::setup(
            Step::Fork,
            sandbox_process::Error::Fork {
                errno: Errno::AGAIN,
            },
        );
        assert!(matches!(
            fork.cause(),
            Some(Cause::ProcessLimitReached { .. })
        ));
        assert!(fork.hint().is_some_and(|h| h.contains("EAGAIN")));
        assert_eq!(fork.kind(), ErrorKind::LimitReached);
        let reserve = Error::setup(
            Step::Fds,
            SysError::new(
                Call::ReserveDescriptors {
                    needed: 6,
                    open: 7,
                    limit: 12,
                },
                Errno::MFILE,
            ),
        );
        assert!(reserve
            .to_string()
            .contains("entering needs about 13 descriptors, 7 open and 6 more at once, and the soft RLIMIT_NOFILE is 12"));
        assert_eq!(
            reserve.cause(),
            Some(Cause::DescriptorLimitReached {
                needed: 6,
                open: 7,
                limit: 12
            })
        );
    }
}
