//! `sandbox-process` and `sandbox-proc-fd`.

use super::super::{wire_by_bits, wire_enum, Reader, Wire, Writer};

impl Wire for rustix::process::Pid {
    fn put(&self, w: &mut Writer) {
        w.i32(self.as_raw_nonzero().get());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        // A pid is positive; `from_raw` debug-asserts that (a panic in tests and debug
        // builds, a nonsense pid in release ones).
        let raw = r.i32()?;
        (raw > 0).then(|| rustix::process::Pid::from_raw(raw))?
    }
}

impl Wire for rustix::process::Signal {
    fn put(&self, w: &mut Writer) {
        w.i32(self.as_raw());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        rustix::process::Signal::from_named_raw(r.i32()?)
    }
}

wire_enum!(sandbox_process::Error {
    0 => SingleThreaded(namespaces),
    1 => Fork { errno },
    2 => Wait { pid, errno },
    3 => Kill { pid, signal, errno },
    4 => AlreadyReaped { pid },
    5 => SignalMask { errno },
    6 => SignalWait { errno },
    7 => DefaultSignal { signal, errno },
    8 => ExitOnSignal { signal, errno },
    9 => SetDeathSignal { signal, errno },
    10 => WatchParent { errno },
    11 => ParentGone,
    12 => SignalNote { errno },
    13 => ParentPidfd { errno },
    14 => ChildPidfd { pid, errno },
});

wire_by_bits!(rustix::fs::OFlags);

wire_enum!(sandbox_proc_fd::Error {
    0 => Open { path, errno },
    1 => BindOverProc { path, errno },
    2 => Detach { path, errno },
    3 => Statfs { errno },
    4 => NotProcfs { f_type as fs_word },
    5 => NotOwnFdTable,
    6 => Stat { errno },
    7 => Pipe { errno },
    8 => InvalidFlags { flags },
    9 => Reopen { fd, flags, errno },
    10 => PrivateProc { errno },
    11 => NotOwner { owner },
});

/// `statfs`'s `f_type`, whose integer type differs between architectures.
mod fs_word {
    use rustix::fs::FsWord;

    use super::{Reader, Writer};

    pub(super) fn put(word: &FsWord, w: &mut Writer) {
        w.u64(*word as u64);
    }

    pub(super) fn get(r: &mut Reader<'_>) -> Option<FsWord> {
        Some(r.u64()? as FsWord)
    }
}

#[cfg(test)]
mod tests {
    use rustix::io::Errno;

    use super::super::super::decode;
    use super::super::tests::{p, round_trips};
    use rustix::process::{Pid, Signal};

    #[test]
    fn a_pid_that_is_not_positive_is_garbage_not_a_panic() {
        for raw in [0, -1, i32::MIN] {
            assert_eq!(decode::<Pid>(&raw.to_le_bytes()), None, "{raw}");
        }
        assert_eq!(decode::<Pid>(&7i32.to_le_bytes()), Pid::from_raw(7));
    }

    #[test]
    fn every_process_and_proc_fd_variant_round_trips() {
        let e = Errno::AGAIN;
        let pid = Pid::from_raw(7).expect("a pid");
        use sandbox_process::Error as E;
        round_trips(vec![
            E::SingleThreaded(sandbox_namespaces::Error::MultiThreaded { threads: 2 }),
            E::Fork { errno: e },
            E::Wait { pid, errno: e },
            E::Kill {
                pid,
                signal: Signal::TERM,
                errno: e,
            },
            E::AlreadyReaped { pid },
            E::SignalMask { errno: e },
            E::SignalWait { errno: e },
            E::DefaultSignal {
                signal: Signal::HUP,
                errno: e,
            },
            E::ExitOnSignal {
                signal: Signal::INT,
                errno: e,
            },
            E::SetDeathSignal {
                signal: Signal::KILL,
                errno: e,
            },
            E::WatchParent {
                errno: Errno::MFILE,
            },
            E::ParentGone,
            E::SignalNote {
                errno: Errno::NOMEM,
            },
            E::ParentPidfd {
                errno: Errno::MFILE,
            },
            E::ChildPidfd {
                pid,
                errno: Errno::MFILE,
            },
        ]);
        use rustix::fs::OFlags;
        use sandbox_proc_fd::Error as F;
        round_trips(vec![
            F::Open {
                path: p("/proc/self/fd"),
                errno: e,
            },
            F::BindOverProc {
                path: p("/proc"),
                errno: e,
            },
            F::Detach {
                path: p("/proc"),
                errno: e,
            },
            F::Statfs { errno: e },
            F::NotProcfs { f_type: 0x1234 },
            F::NotOwnFdTable,
            F::Stat { errno: e },
            F::Pipe { errno: e },
            F::InvalidFlags {
                flags: OFlags::CREATE,
            },
            F::PrivateProc { errno: e },
            F::Reopen {
                fd: 5,
                flags: OFlags::RDWR | OFlags::APPEND,
                errno: e,
            },
            F::NotOwner { owner: 1 },
        ]);
    }
}
