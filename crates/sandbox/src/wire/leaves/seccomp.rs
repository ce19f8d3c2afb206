//! `sandbox-seccomp`.

use super::super::{wire_enum, Reader, Writer};

wire_enum!(sandbox_seccomp::Action {
    0 => Errno(errno),
    1 => KillProcess,
    2 => Log,
    3 => Trap,
});

wire_enum!(sandbox_seccomp::Missing {
    0 => NoNewPrivs,
    1 => SeccompSyscall,
    2 => FilterMode,
    3 => Action(action),
});

// `Compile` is not listed: a filter is compiled at `build()`, in the original process,
// never in the sandboxed child.
wire_enum!(sandbox_seccomp::Error {
    0 => UnsupportedArch { arch as this_arch },
    1 => UnknownSyscall { name },
    2 => InvalidErrno { errno },
    4 => Unsupported { missing, errno },
    5 => Capabilities { errno },
    6 => NoNewPrivs { errno },
    7 => Install { installed, total, errno },
    8 => ThreadSync { thread },
    9 => ReadStatus { errno },
    10 => MalformedStatus { line },
});

/// The architecture of `UnsupportedArch`: this binary's, the same on both sides of the pipe.
mod this_arch {
    use super::{Reader, Writer};

    pub(super) fn put(_: &&'static str, _: &mut Writer) {}

    pub(super) fn get(_: &mut Reader<'_>) -> Option<&'static str> {
        Some(std::env::consts::ARCH)
    }
}

#[cfg(test)]
mod tests {
    use rustix::io::Errno;

    use super::super::tests::round_trips;

    #[test]
    fn every_seccomp_variant_round_trips() {
        let e = Errno::AGAIN;
        use sandbox_seccomp::{Action, Error as S, Missing};
        round_trips(vec![
            S::UnsupportedArch {
                arch: std::env::consts::ARCH,
            },
            S::UnknownSyscall {
                name: "frobnicate".into(),
            },
            S::InvalidErrno { errno: 5000 },
            S::Unsupported {
                missing: Missing::Action(Action::Errno(Errno::PERM)),
                errno: Errno::INVAL,
            },
            S::Unsupported {
                missing: Missing::SeccompSyscall,
                errno: Errno::NOSYS,
            },
            S::Capabilities { errno: e },
            S::NoNewPrivs { errno: e },
            S::Install {
                installed: 1,
                total: 2,
                errno: e,
            },
            S::ThreadSync { thread: 99 },
            S::ReadStatus { errno: e },
            S::MalformedStatus {
                line: "Seccomp: x".into(),
            },
        ]);
    }
}
