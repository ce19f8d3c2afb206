//! The encoding of `sandbox`'s own types: [`Error`] with every variant, its steps, calls
//! and causes.

use rustix::thread::CapabilitySet;

use super::{wire_by_bits, wire_enum, Reader, Wire, Writer};
use crate::call::{Call, SysError};
use crate::cause::{Cause, NamespaceLimit, ProcessLimit};
use crate::error::{BuilderOption, Error, OptionConflict, PathProblem, SetupError};
use crate::step::Step;
use crate::ExitStatus;

impl Wire for Step {
    fn put(&self, w: &mut Writer) {
        w.u8(*self as u8);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Step::from_u8(r.u8()?)
    }
}

wire_enum!(PathProblem {
    0 => Empty,
    1 => ContainsNul,
    2 => NotFound,
    3 => NotADirectory,
    4 => PermissionDenied,
    5 => Unopenable,
});

wire_enum!(BuilderOption {
    0 => ReadOnly,
    1 => Namespaces,
    2 => UidMap,
    3 => GidMap,
    4 => Init,
    5 => InsideIds,
    6 => SubordinateIds,
    7 => Setgroups,
    8 => JoinUserNamespace,
    9 => JoinNamespace,
    10 => Propagation,
});

wire_enum!(OptionConflict {
    0 => NeedsNamespaceMode,
    1 => ReachesTheHost,
    2 => JoinedUserNamespace,
    3 => NeedsOwnUserNamespace,
});

wire_enum!(ExitStatus {
    0 => Exited(code),
    1 => Signaled { signal, core_dumped },
});

wire_by_bits!(CapabilitySet);

wire_enum!(Call {
    0 => Fchdir,
    1 => OpenSharedDir,
    2 => StatSharedDir,
    3 => ChdirRoot,
    4 => CheckCwd,
    5 => SetIds { uid, gid },
    6 => Setsid,
    7 => JoinSessionKeyring,
    8 => NoNewPrivs,
    9 => DropCapabilities { keep },
    10 => LimitUserNamespaces,
    11 => RaiseNofileLimit,
    12 => ReopenDescriptor { fd },
    13 => DescriptorState { fd },
    14 => CloseDescriptors,
    15 => MarkCloseOnExec { fd },
    16 => ReplaceKept { fd },
    17 => Pipe,
    18 => ReadReport,
    19 => TellHelper,
    20 => ReadHelperReport,
    21 => Landlock,
    22 => PrivateProc,
    23 => Chroot,
    24 => ReserveDescriptors { needed, open, limit },
});

impl Wire for SysError {
    fn put(&self, w: &mut Writer) {
        w.put(&self.call);
        w.put(&self.path);
        w.put(&self.errno);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(SysError {
            call: r.get()?,
            path: r.get()?,
            errno: r.get()?,
        })
    }
}

wire_enum!(SetupError {
    0 => Namespaces(e),
    1 => Mount(e),
    2 => PivotRoot(e),
    3 => ProcFd(e),
    4 => Process(e),
    5 => Seccomp(e),
    6 => Sys(e),
});

wire_enum!(Cause {
    0 => UserNamespacesDisabled,
    1 => NamespaceLimitReached,
    2 => AppArmorRestricted,
    3 => UnprivilegedUsernsCloneDisabled,
    4 => SeccompRefused,
    5 => UnshareRefused,
    6 => IdMapToolMissing { program },
    7 => NoSubordinateIds { user, file },
    8 => IdMapToolRefused { program, message },
    9 => OwnIdsOnly,
    10 => EnclosingNamespaceLimit { local_limit },
    11 => ProcessLimitReached { limit },
    12 => DescriptorLimitReached { needed, open, limit },
    13 => ProcCovered { mounts },
    14 => NamespaceTypeLimitReached { limits },
});

impl Wire for NamespaceLimit {
    fn put(&self, w: &mut Writer) {
        w.put(&self.namespace);
        w.put(&self.limit);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(NamespaceLimit {
            namespace: r.get()?,
            limit: r.get()?,
        })
    }
}

wire_enum!(ProcessLimit {
    0 => PidsCgroup { cgroup, max },
    1 => Nproc { limit },
    2 => Unknown,
});

wire_enum!(Error {
    0 => SharedDir { path, problem, errno },
    1 => InvalidOption { option, reason },
    2 => IdMap(e),
    3 => IdMaps { source, cause },
    4 => NoSubordinateIds { user, file },
    5 => SubordinateIds(e),
    6 => MultiThreaded { threads },
    7 => Setup { step, source, shared_dir, in_child },
    8 => ChildVanished { status },
    9 => LeakedDirectory { fd, path },
    10 => KeptFdChanged { fd },
    11 => Seccomp(e),
    12 => Supervise(e),
    13 => AlreadyEntered,
});

#[cfg(test)]
mod tests {
    use rustix::io::Errno;

    use super::super::{decode, encode};
    use super::*;

    #[test]
    fn every_call_round_trips() {
        let calls = [
            Call::Fchdir,
            Call::OpenSharedDir,
            Call::StatSharedDir,
            Call::ChdirRoot,
            Call::CheckCwd,
            Call::SetIds { uid: 7, gid: 9 },
            Call::Setsid,
            Call::JoinSessionKeyring,
            Call::NoNewPrivs,
            Call::DropCapabilities {
                keep: CapabilitySet::CHOWN | CapabilitySet::KILL,
            },
            Call::LimitUserNamespaces,
            Call::RaiseNofileLimit,
            Call::ReopenDescriptor { fd: 5 },
            Call::DescriptorState { fd: 5 },
            Call::CloseDescriptors,
            Call::MarkCloseOnExec { fd: 5 },
            Call::ReplaceKept { fd: 5 },
            Call::Pipe,
            Call::ReadReport,
            Call::TellHelper,
            Call::ReadHelperReport,
            Call::Landlock,
            Call::PrivateProc,
            Call::Chroot,
            Call::ReserveDescriptors {
                needed: 6,
                open: 7,
                limit: 12,
            },
        ];
        for call in calls {
            assert_eq!(decode::<Call>(&encode(&call)), Some(call));
        }
        assert_eq!(decode::<Call>(&[25]), None);
    }

    #[test]
    fn a_setup_error_comes_back_with_its_fields() {
        let sent = Error::Setup {
            step: Step::KeptDescriptor,
            source: SysError::at(Call::ReplaceKept { fd: 9 }, "/a\nb", Errno::ROFS).into(),
            shared_dir: Some("/srv/shared dir".into()),
            in_child: true,
        };
        let got = decode::<Error>(&encode(&sent)).expect("decodes");
        assert_eq!(got.to_string(), sent.to_string());
        match got {
            Error::Setup {
                step: Step::KeptDescriptor,
                source: SetupError::Sys(e),
                in_child: true,
                ..
            } => assert_eq!(
                e,
                SysError::at(Call::ReplaceKept { fd: 9 }, "/a\nb", Errno::ROFS)
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_other_variants_round_trip() {
        let all = [
            Error::SharedDir {
                path: "/x".into(),
                problem: PathProblem::Unopenable,
                errno: Some(Errno::LOOP),
            },
            Error::InvalidOption {
                option: BuilderOption::InsideIds,
                reason: OptionConflict::NeedsOwnUserNamespace,
            },
            Error::NoSubordinateIds {
                user: "nobody".into(),
                file: "/etc/subuid".into(),
            },
            Error::MultiThreaded { threads: 3 },
            Error::ChildVanished {
                status: ExitStatus::Signaled {
                    signal: 31,
                    core_dumped: false,
                },
            },
            Error::LeakedDirectory {
                fd: 4,
                path: "/etc".into(),
            },
            Error::KeptFdChanged { fd: 12 },
            Error::AlreadyEntered,
        ];
        for e in all {
            let got = decode::<Error>(&encode(&e)).expect("decodes");
            assert_eq!(format!("{got:?}"), format!("{e:?}"));
        }
        for cause in crate::cause::tests::every_cause() {
            assert_eq!(decode::<Cause>(&encode(&cause)), Some(cause));
        }
    }
}
