//! The error type of this crate, and signal names for messages.

use std::fmt;

use rustix::io::Errno;
use rustix::process::{Pid, Signal};

/// Everything that can go wrong in this crate.
///
/// Each variant names one operation and its arguments; the message reads like a log line
/// and names the errno once, when the kernel gave one (`send SIGTERM to process 42: No
/// such process (os error 3)`). The errno is a field (see [`errno`](Error::errno)), never
/// a [`source`](std::error::Error::source); [`Error::SingleThreaded`] shows the
/// [`sandbox_namespaces::Error`] it wraps and returns it, typed, as the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The single-threaded check before `fork` failed: the process has more than one
    /// thread ([`sandbox_namespaces::Error::MultiThreaded`], which names how many), or
    /// `/proc/self/task` could not be read.
    #[error("fork: {0}")]
    SingleThreaded(#[source] sandbox_namespaces::Error),
    /// `fork(2)` failed: `EAGAIN` at `RLIMIT_NPROC` or the pid limit, `ENOMEM` in a pid
    /// namespace whose pid 1 has exited.
    #[error("fork: {errno}")]
    Fork {
        /// The errno of `fork(2)`.
        errno: Errno,
    },
    /// `waitpid(2)` for the child failed (`ECHILD` when `SIGCHLD` is ignored and the
    /// kernel reaped the child itself).
    #[error("wait for process {pid}: {errno}")]
    Wait {
        /// The child.
        pid: Pid,
        /// The errno of `waitpid(2)`.
        errno: Errno,
    },
    /// Sending a signal to the child failed (`ESRCH` when it no longer exists).
    #[error("send {} to process {pid}: {errno}", SignalName(signal.as_raw()))]
    Kill {
        /// The child.
        pid: Pid,
        /// The signal.
        signal: Signal,
        /// The errno of `pidfd_send_signal(2)` or `kill(2)`.
        errno: Errno,
    },
    /// The child was already reaped; its pid may belong to another process by now, so no
    /// signal is sent.
    #[error("process {pid} was already reaped; no signal sent")]
    AlreadyReaped {
        /// The child's former pid.
        pid: Pid,
    },
    /// Changing the signal mask (`sigprocmask(2)`) failed.
    #[error("change the signal mask: {errno}")]
    SignalMask {
        /// The errno.
        errno: Errno,
    },
    /// Waiting for a signal (`sigwaitinfo(2)`) failed.
    #[error("wait for a signal: {errno}")]
    SignalWait {
        /// The errno.
        errno: Errno,
    },
    /// Giving a signal its default action back (`signal(2)` with `SIG_DFL`) failed.
    #[error("restore the default action of {}: {errno}", SignalName(signal.as_raw()))]
    DefaultSignal {
        /// The signal.
        signal: Signal,
        /// The errno of `signal(2)` (`EINVAL` for `SIGKILL` and `SIGSTOP`).
        errno: Errno,
    },
    /// Installing the handler that exits with 128 + the signal (`sigaction(2)`) failed.
    #[error("make {} exit the process with 128 + the signal: {errno}", SignalName(signal.as_raw()))]
    ExitOnSignal {
        /// The signal.
        signal: Signal,
        /// The errno of `sigaction(2)` (`EINVAL` for `SIGKILL` and `SIGSTOP`).
        errno: Errno,
    },
    /// `prctl(PR_SET_PDEATHSIG)` failed.
    #[error("set the parent-death signal to {}: {errno}", SignalName(signal.as_raw()))]
    SetDeathSignal {
        /// The signal.
        signal: Signal,
        /// The errno of `prctl(2)`.
        errno: Errno,
    },
    /// Setting up or checking the watch on the parent (`pipe2`, `poll`) failed.
    #[error("watch the parent process: {errno}")]
    WatchParent {
        /// The errno.
        errno: Errno,
    },
    /// Mapping the shared page of a [`SignalNote`](crate::SignalNote) (`mmap(2)`) failed.
    #[error("map a page to note how pid 1 ends: {errno}")]
    SignalNote {
        /// The errno of `mmap(2)` (`ENOMEM`).
        errno: Errno,
    },
    /// Opening a pidfd of the parent for the watch (`pidfd_open(2)`) failed with an errno
    /// other than `ENOSYS` (before Linux 5.3) and `EPERM` (a seccomp profile), the two that
    /// leave the pipe alone to watch: `EMFILE` at the descriptor limit, `ENOMEM`.
    #[error("open a pidfd of the parent process to watch it (pidfd_open): {errno}")]
    ParentPidfd {
        /// The errno of `pidfd_open(2)`.
        errno: Errno,
    },
    /// Opening a pidfd of the child just forked (`pidfd_open(2)`) failed with an errno other
    /// than `ENOSYS` and `EPERM`, which leave the pid alone to signal it by: `EMFILE` at
    /// the descriptor limit, `ENOMEM`. [`fork`](crate::fork) has killed and reaped the
    /// child (with `ESRCH` the kernel had reaped it already).
    #[error(
        "open a pidfd of child process {pid} after fork (pidfd_open; the child was ended): {errno}"
    )]
    ChildPidfd {
        /// The child's former pid.
        pid: Pid,
        /// The errno of `pidfd_open(2)`.
        errno: Errno,
    },
    /// The parent exited before the child armed its parent-death signal, so that signal
    /// will never come: the child should exit.
    #[error("the parent process exited before the child asked to die with it")]
    ParentGone,
}

impl Error {
    /// The errno the kernel returned, if the error came from a system call, looking into
    /// a wrapped [`sandbox_namespaces::Error`].
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::SingleThreaded(e) => e.errno(),
            Error::Fork { errno }
            | Error::Wait { errno, .. }
            | Error::Kill { errno, .. }
            | Error::SignalMask { errno }
            | Error::SignalWait { errno }
            | Error::DefaultSignal { errno, .. }
            | Error::ExitOnSignal { errno, .. }
            | Error::SetDeathSignal { errno, .. }
            | Error::WatchParent { errno }
            | Error::SignalNote { errno }
            | Error::ParentPidfd { errno }
            | Error::ChildPidfd { errno, .. } => Some(*errno),
            Error::AlreadyReaped { .. } | Error::ParentGone => None,
        }
    }
}

/// Displays a signal number as its name (`SIGTERM`), or `signal N`.
pub(crate) struct SignalName(pub(crate) i32);

impl fmt::Display for SignalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match signal_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGPWR => "SIGPWR",
        libc::SIGSYS => "SIGSYS",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_log_lines_with_the_errno_once() {
        use std::error::Error as _;
        let pid = Pid::from_raw(42).unwrap();
        let err = Error::Kill {
            pid,
            signal: Signal::TERM,
            errno: Errno::SRCH,
        };
        assert_eq!(
            err.to_string(),
            "send SIGTERM to process 42: No such process (os error 3)"
        );
        assert_eq!(err.errno(), Some(Errno::SRCH));
        assert!(err.source().is_none());
        let err = Error::SingleThreaded(sandbox_namespaces::Error::MultiThreaded { threads: 3 });
        assert_eq!(
            err.to_string(),
            "fork: the process has 3 threads; unshare and fork need exactly one"
        );
        assert!(matches!(
            err.source()
                .and_then(|s| s.downcast_ref::<sandbox_namespaces::Error>()),
            Some(sandbox_namespaces::Error::MultiThreaded { threads: 3 })
        ));
        assert_eq!(err.errno(), None);
        assert_eq!(
            Error::AlreadyReaped { pid }.to_string(),
            "process 42 was already reaped; no signal sent"
        );
        assert_eq!(
            Error::ExitOnSignal {
                signal: Signal::KILL,
                errno: Errno::INVAL
            }
            .to_string(),
            "make SIGKILL exit the process with 128 + the signal: Invalid argument (os error 22)"
        );
        assert_eq!(
            Error::DefaultSignal {
                signal: Signal::TERM,
                errno: Errno::INVAL
            }
            .to_string(),
            "restore the default action of SIGTERM: Invalid argument (os error 22)"
        );
    }
}
