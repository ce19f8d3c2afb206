//! `sandbox-seccomp`.

use super::super::{Reader, Wire, Writer};
use super::{parent_only, unknown_variant};

impl Wire for sandbox_seccomp::Action {
    fn put(&self, w: &mut Writer) {
        use sandbox_seccomp::Action as A;
        match self {
            A::Errno(errno) => {
                w.u8(0);
                w.put(errno);
            }
            A::KillProcess => w.u8(1),
            A::Log => w.u8(2),
            A::Trap => w.u8(3),
            _ => unknown_variant(w, None),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_seccomp::Action as A;
        Some(match r.u8()? {
            0 => A::Errno(r.get()?),
            1 => A::KillProcess,
            2 => A::Log,
            3 => A::Trap,
            _ => return None,
        })
    }
}

impl Wire for sandbox_seccomp::Missing {
    fn put(&self, w: &mut Writer) {
        use sandbox_seccomp::Missing as M;
        match self {
            M::NoNewPrivs => w.u8(0),
            M::SeccompSyscall => w.u8(1),
            M::FilterMode => w.u8(2),
            M::Action(action) => {
                w.u8(3);
                w.put(action);
            }
            _ => unknown_variant(w, None),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_seccomp::Missing as M;
        Some(match r.u8()? {
            0 => M::NoNewPrivs,
            1 => M::SeccompSyscall,
            2 => M::FilterMode,
            3 => M::Action(r.get()?),
            _ => return None,
        })
    }
}

impl Wire for sandbox_seccomp::Error {
    fn put(&self, w: &mut Writer) {
        use sandbox_seccomp::Error as E;
        match self {
            // The architecture is this binary's, the same on both sides of the pipe.
            E::UnsupportedArch { .. } => w.u8(0),
            E::UnknownSyscall { name } => {
                w.u8(1);
                w.put(name);
            }
            E::InvalidErrno { errno } => {
                w.u8(2);
                w.i32(*errno);
            }
            E::Compile { .. } => parent_only(w),
            E::Unsupported { missing, errno } => {
                w.u8(4);
                w.put(missing);
                w.put(errno);
            }
            E::Capabilities { errno } => {
                w.u8(5);
                w.put(errno);
            }
            E::NoNewPrivs { errno } => {
                w.u8(6);
                w.put(errno);
            }
            E::Install {
                installed,
                total,
                errno,
            } => {
                w.u8(7);
                w.u64(*installed as u64);
                w.u64(*total as u64);
                w.put(errno);
            }
            E::ThreadSync { thread } => {
                w.u8(8);
                w.i32(*thread);
            }
            E::ReadStatus { errno } => {
                w.u8(9);
                w.put(errno);
            }
            E::MalformedStatus { line } => {
                w.u8(10);
                w.put(line);
            }
            other => unknown_variant(w, other.errno()),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_seccomp::Error as E;
        let usize = |r: &mut Reader<'_>| usize::try_from(r.u64()?).ok();
        Some(match r.u8()? {
            0 => E::UnsupportedArch {
                arch: std::env::consts::ARCH,
            },
            1 => E::UnknownSyscall { name: r.get()? },
            2 => E::InvalidErrno { errno: r.i32()? },
            4 => E::Unsupported {
                missing: r.get()?,
                errno: r.get()?,
            },
            5 => E::Capabilities { errno: r.get()? },
            6 => E::NoNewPrivs { errno: r.get()? },
            7 => E::Install {
                installed: usize(r)?,
                total: usize(r)?,
                errno: r.get()?,
            },
            8 => E::ThreadSync { thread: r.i32()? },
            9 => E::ReadStatus { errno: r.get()? },
            10 => E::MalformedStatus { line: r.get()? },
            _ => return None,
        })
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
