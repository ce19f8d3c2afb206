//! `sandbox-process` and `sandbox-proc-fd`.

use super::super::{Reader, Wire, Writer};
use super::unknown_variant;

impl Wire for rustix::process::Pid {
    fn put(&self, w: &mut Writer) {
        w.i32(self.as_raw_nonzero().get());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        rustix::process::Pid::from_raw(r.i32()?)
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

impl Wire for sandbox_process::Error {
    fn put(&self, w: &mut Writer) {
        use sandbox_process::Error as E;
        match self {
            E::SingleThreaded(e) => {
                w.u8(0);
                w.put(e);
            }
            E::Fork { errno } => {
                w.u8(1);
                w.put(errno);
            }
            E::Wait { pid, errno } => {
                w.u8(2);
                w.put(pid);
                w.put(errno);
            }
            E::Kill { pid, signal, errno } => {
                w.u8(3);
                w.put(pid);
                w.put(signal);
                w.put(errno);
            }
            E::AlreadyReaped { pid } => {
                w.u8(4);
                w.put(pid);
            }
            E::SignalMask { errno } => {
                w.u8(5);
                w.put(errno);
            }
            E::SignalWait { errno } => {
                w.u8(6);
                w.put(errno);
            }
            E::DefaultSignal { signal, errno } => {
                w.u8(7);
                w.put(signal);
                w.put(errno);
            }
            E::ExitOnSignal { signal, errno } => {
                w.u8(8);
                w.put(signal);
                w.put(errno);
            }
            E::SetDeathSignal { signal, errno } => {
                w.u8(9);
                w.put(signal);
                w.put(errno);
            }
            E::WatchParent { errno } => {
                w.u8(10);
                w.put(errno);
            }
            E::ParentGone => w.u8(11),
            other => unknown_variant(w, other.errno()),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_process::Error as E;
        Some(match r.u8()? {
            0 => E::SingleThreaded(r.get()?),
            1 => E::Fork { errno: r.get()? },
            2 => E::Wait {
                pid: r.get()?,
                errno: r.get()?,
            },
            3 => E::Kill {
                pid: r.get()?,
                signal: r.get()?,
                errno: r.get()?,
            },
            4 => E::AlreadyReaped { pid: r.get()? },
            5 => E::SignalMask { errno: r.get()? },
            6 => E::SignalWait { errno: r.get()? },
            7 => E::DefaultSignal {
                signal: r.get()?,
                errno: r.get()?,
            },
            8 => E::ExitOnSignal {
                signal: r.get()?,
                errno: r.get()?,
            },
            9 => E::SetDeathSignal {
                signal: r.get()?,
                errno: r.get()?,
            },
            10 => E::WatchParent { errno: r.get()? },
            11 => E::ParentGone,
            _ => return None,
        })
    }
}

impl Wire for sandbox_proc_fd::Error {
    fn put(&self, w: &mut Writer) {
        use sandbox_proc_fd::Error as E;
        match self {
            E::Open { path, errno } => {
                w.u8(0);
                w.put(path);
                w.put(errno);
            }
            E::BindOverProc { path, errno } => {
                w.u8(1);
                w.put(path);
                w.put(errno);
            }
            E::Detach { path, errno } => {
                w.u8(2);
                w.put(path);
                w.put(errno);
            }
            E::Statfs { errno } => {
                w.u8(3);
                w.put(errno);
            }
            E::NotProcfs { f_type } => {
                w.u8(4);
                w.u64(*f_type as u64);
            }
            E::NotOwnFdTable => w.u8(5),
            E::Stat { errno } => {
                w.u8(6);
                w.put(errno);
            }
            E::Pipe { errno } => {
                w.u8(7);
                w.put(errno);
            }
            E::InvalidFlags { flags } => {
                w.u8(8);
                w.put(flags);
            }
            E::Reopen { fd, flags, errno } => {
                w.u8(9);
                w.i32(*fd);
                w.put(flags);
                w.put(errno);
            }
            other => unknown_variant(w, other.errno()),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_proc_fd::Error as E;
        Some(match r.u8()? {
            0 => E::Open {
                path: r.get()?,
                errno: r.get()?,
            },
            1 => E::BindOverProc {
                path: r.get()?,
                errno: r.get()?,
            },
            2 => E::Detach {
                path: r.get()?,
                errno: r.get()?,
            },
            3 => E::Statfs { errno: r.get()? },
            4 => E::NotProcfs {
                f_type: r.u64()?.try_into().ok()?,
            },
            5 => E::NotOwnFdTable,
            6 => E::Stat { errno: r.get()? },
            7 => E::Pipe { errno: r.get()? },
            8 => E::InvalidFlags { flags: r.get()? },
            9 => E::Reopen {
                fd: r.i32()?,
                flags: r.get()?,
                errno: r.get()?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use rustix::io::Errno;

    use super::super::tests::{p, round_trips};
    use rustix::process::{Pid, Signal};

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
            F::Reopen {
                fd: 5,
                flags: OFlags::RDWR | OFlags::APPEND,
                errno: e,
            },
        ]);
    }
}
