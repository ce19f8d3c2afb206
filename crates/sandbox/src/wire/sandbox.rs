//! The encoding of `sandbox`'s own types: [`Error`] with every variant, its steps, calls
//! and causes.

use std::path::PathBuf;

use rustix::thread::CapabilitySet;

use super::{wire_by_tag, Reader, Wire, Writer};
use crate::call::{Call, SysError};
use crate::cause::Cause;
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

wire_by_tag!(PathProblem {
    PathProblem::Empty,
    PathProblem::ContainsNul,
    PathProblem::NotFound,
    PathProblem::NotADirectory,
    PathProblem::PermissionDenied,
    PathProblem::Unopenable,
});

wire_by_tag!(BuilderOption {
    BuilderOption::ReadOnly,
    BuilderOption::Namespaces,
    BuilderOption::UidMap,
    BuilderOption::GidMap,
    BuilderOption::Init,
    BuilderOption::InsideIds,
    BuilderOption::SubordinateIds,
    BuilderOption::Setgroups,
    BuilderOption::JoinUserNamespace,
    BuilderOption::JoinNamespace,
    BuilderOption::Propagation,
});

wire_by_tag!(OptionConflict {
    OptionConflict::NeedsNamespaceMode,
    OptionConflict::ReachesTheHost,
    OptionConflict::JoinedUserNamespace,
    OptionConflict::NeedsOwnUserNamespace,
});

impl Wire for ExitStatus {
    fn put(&self, w: &mut Writer) {
        match *self {
            ExitStatus::Exited(code) => {
                w.u8(0);
                w.i32(code);
            }
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => {
                w.u8(1);
                w.i32(signal);
                w.bool(core_dumped);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.u8()? {
            0 => Some(ExitStatus::Exited(r.i32()?)),
            1 => Some(ExitStatus::Signaled {
                signal: r.i32()?,
                core_dumped: r.bool()?,
            }),
            _ => None,
        }
    }
}

impl Wire for Call {
    fn put(&self, w: &mut Writer) {
        // The tag is the variant's place in this list; fields follow.
        match *self {
            Call::Fchdir => w.u8(0),
            Call::OpenSharedDir => w.u8(1),
            Call::StatSharedDir => w.u8(2),
            Call::ChdirRoot => w.u8(3),
            Call::CheckCwd => w.u8(4),
            Call::SetIds { uid, gid } => {
                w.u8(5);
                w.u32(uid);
                w.u32(gid);
            }
            Call::Setsid => w.u8(6),
            Call::JoinSessionKeyring => w.u8(7),
            Call::NoNewPrivs => w.u8(8),
            Call::DropCapabilities { keep } => {
                w.u8(9);
                w.u64(keep.bits());
            }
            Call::LimitUserNamespaces => w.u8(10),
            Call::RaiseNofileLimit => w.u8(11),
            Call::ReopenDescriptor { fd } => {
                w.u8(12);
                w.i32(fd);
            }
            Call::DescriptorState { fd } => {
                w.u8(13);
                w.i32(fd);
            }
            Call::CloseDescriptors => w.u8(14),
            Call::MarkCloseOnExec { fd } => {
                w.u8(15);
                w.i32(fd);
            }
            Call::ReplaceKept { fd } => {
                w.u8(16);
                w.i32(fd);
            }
            Call::Pipe => w.u8(17),
            Call::ReadReport => w.u8(18),
            Call::TellHelper => w.u8(19),
            Call::ReadHelperReport => w.u8(20),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(match r.u8()? {
            0 => Call::Fchdir,
            1 => Call::OpenSharedDir,
            2 => Call::StatSharedDir,
            3 => Call::ChdirRoot,
            4 => Call::CheckCwd,
            5 => Call::SetIds {
                uid: r.u32()?,
                gid: r.u32()?,
            },
            6 => Call::Setsid,
            7 => Call::JoinSessionKeyring,
            8 => Call::NoNewPrivs,
            9 => Call::DropCapabilities {
                keep: CapabilitySet::from_bits(r.u64()?)?,
            },
            10 => Call::LimitUserNamespaces,
            11 => Call::RaiseNofileLimit,
            12 => Call::ReopenDescriptor { fd: r.i32()? },
            13 => Call::DescriptorState { fd: r.i32()? },
            14 => Call::CloseDescriptors,
            15 => Call::MarkCloseOnExec { fd: r.i32()? },
            16 => Call::ReplaceKept { fd: r.i32()? },
            17 => Call::Pipe,
            18 => Call::ReadReport,
            19 => Call::TellHelper,
            20 => Call::ReadHelperReport,
            _ => return None,
        })
    }
}

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

impl Wire for SetupError {
    fn put(&self, w: &mut Writer) {
        match self {
            SetupError::Namespaces(e) => {
                w.u8(0);
                w.put(e);
            }
            SetupError::Mount(e) => {
                w.u8(1);
                w.put(e);
            }
            SetupError::PivotRoot(e) => {
                w.u8(2);
                w.put(e);
            }
            SetupError::ProcFd(e) => {
                w.u8(3);
                w.put(e);
            }
            SetupError::Process(e) => {
                w.u8(4);
                w.put(e);
            }
            SetupError::Seccomp(e) => {
                w.u8(5);
                w.put(e);
            }
            SetupError::Sys(e) => {
                w.u8(6);
                w.put(e);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(match r.u8()? {
            0 => SetupError::Namespaces(r.get()?),
            1 => SetupError::Mount(r.get()?),
            2 => SetupError::PivotRoot(r.get()?),
            3 => SetupError::ProcFd(r.get()?),
            4 => SetupError::Process(r.get()?),
            5 => SetupError::Seccomp(r.get()?),
            6 => SetupError::Sys(r.get()?),
            _ => return None,
        })
    }
}

impl Wire for Cause {
    fn put(&self, w: &mut Writer) {
        match self {
            Cause::UserNamespacesDisabled => w.u8(0),
            Cause::NamespaceLimitReached => w.u8(1),
            Cause::AppArmorRestricted => w.u8(2),
            Cause::UnprivilegedUsernsCloneDisabled => w.u8(3),
            Cause::SeccompRefused => w.u8(4),
            Cause::UnshareRefused => w.u8(5),
            Cause::IdMapToolMissing { program } => {
                w.u8(6);
                w.put(program);
            }
            Cause::NoSubordinateIds { user, file } => {
                w.u8(7);
                w.put(user);
                w.put(file);
            }
            Cause::IdMapToolRefused { program, message } => {
                w.u8(8);
                w.put(program);
                w.put(message);
            }
            Cause::OwnIdsOnly => w.u8(9),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(match r.u8()? {
            0 => Cause::UserNamespacesDisabled,
            1 => Cause::NamespaceLimitReached,
            2 => Cause::AppArmorRestricted,
            3 => Cause::UnprivilegedUsernsCloneDisabled,
            4 => Cause::SeccompRefused,
            5 => Cause::UnshareRefused,
            6 => Cause::IdMapToolMissing { program: r.get()? },
            7 => Cause::NoSubordinateIds {
                user: r.get()?,
                file: r.get()?,
            },
            8 => Cause::IdMapToolRefused {
                program: r.get()?,
                message: r.get()?,
            },
            9 => Cause::OwnIdsOnly,
            _ => return None,
        })
    }
}

impl Wire for Error {
    fn put(&self, w: &mut Writer) {
        match self {
            Error::SharedDir {
                path,
                problem,
                errno,
            } => {
                w.u8(0);
                w.put(path);
                w.put(problem);
                w.put(errno);
            }
            Error::InvalidOption { option, reason } => {
                w.u8(1);
                w.put(option);
                w.put(reason);
            }
            Error::IdMap(e) => {
                w.u8(2);
                w.put(e);
            }
            Error::IdMaps { source, cause } => {
                w.u8(3);
                w.put(source);
                w.put(cause);
            }
            Error::NoSubordinateIds { user, file } => {
                w.u8(4);
                w.put(user);
                w.put(file);
            }
            Error::SubordinateIds(e) => {
                w.u8(5);
                w.put(e);
            }
            Error::MultiThreaded { threads } => {
                w.u8(6);
                w.u64(*threads as u64);
            }
            Error::Setup {
                step,
                source,
                shared_dir,
                in_child,
            } => {
                w.u8(7);
                w.put(step);
                w.put(source);
                w.put(shared_dir);
                w.put(in_child);
            }
            Error::ChildVanished { status } => {
                w.u8(8);
                w.put(status);
            }
            Error::LeakedDirectory { fd, path } => {
                w.u8(9);
                w.i32(*fd);
                w.put(path);
            }
            Error::KeptFdChanged { fd } => {
                w.u8(10);
                w.i32(*fd);
            }
            Error::Seccomp(e) => {
                w.u8(11);
                w.put(e);
            }
            Error::Supervise(e) => {
                w.u8(12);
                w.put(e);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(match r.u8()? {
            0 => Error::SharedDir {
                path: r.get::<PathBuf>()?,
                problem: r.get()?,
                errno: r.get()?,
            },
            1 => Error::InvalidOption {
                option: r.get()?,
                reason: r.get()?,
            },
            2 => Error::IdMap(r.get()?),
            3 => Error::IdMaps {
                source: r.get()?,
                cause: r.get()?,
            },
            4 => Error::NoSubordinateIds {
                user: r.get()?,
                file: r.get()?,
            },
            5 => Error::SubordinateIds(r.get()?),
            6 => Error::MultiThreaded {
                threads: usize::try_from(r.u64()?).ok()?,
            },
            7 => Error::Setup {
                step: r.get()?,
                source: r.get()?,
                shared_dir: r.get()?,
                in_child: r.get()?,
            },
            8 => Error::ChildVanished { status: r.get()? },
            9 => Error::LeakedDirectory {
                fd: r.i32()?,
                path: r.get()?,
            },
            10 => Error::KeptFdChanged { fd: r.i32()? },
            11 => Error::Seccomp(r.get()?),
            12 => Error::Supervise(r.get()?),
            _ => return None,
        })
    }
}

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
        ];
        for call in calls {
            assert_eq!(decode::<Call>(&encode(&call)), Some(call));
        }
        assert_eq!(decode::<Call>(&[21]), None);
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
        ];
        for e in all {
            let got = decode::<Error>(&encode(&e)).expect("decodes");
            assert_eq!(format!("{got:?}"), format!("{e:?}"));
        }
        let cause = Cause::IdMapToolRefused {
            program: "/usr/bin/newuidmap".into(),
            message: "m".into(),
        };
        assert_eq!(decode::<Cause>(&encode(&cause)), Some(cause));
    }
}
