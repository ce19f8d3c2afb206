//! Fork a child (into a new pid namespace), make it die with its parent without a race,
//! supervise it, and pass its exit status on.
//!
//! - [`fork`] checks that the process is single-threaded before forking (the only state
//!   in which the child may run arbitrary code), and hands the parent a [`Child`] that
//!   holds a pidfd (kernel 5.3), so signals never reach a recycled pid.
//! - [`ParentWatch`] closes the race of `PR_SET_PDEATHSIG`: created before the fork, it
//!   lets the child check, after arming the death signal, that the parent has not already
//!   gone. `getppid()` cannot tell: in a new pid namespace the child is pid 1 and its
//!   parent is outside (`getppid()` is 0).
//! - [`Child::wait_forwarding`] passes the signals a supervisor gets (`SIGTERM`, ...) on
//!   to the child and returns its status, without polling.
//! - [`ExitStatus::code`] follows the shell: the exit code, or 128 + the signal.
//!
//! # Example
//!
//! ```no_run
//! use rustix::process::Signal;
//! use sandbox_process::{fork, Fork, ParentWatch};
//!
//! # fn serve() {}
//! let watch = ParentWatch::new()?;
//! match fork()? {
//!     Fork::Child => {
//!         if watch.die_with_parent(Signal::KILL).is_err() {
//!             std::process::exit(1); // the parent is already gone (or prctl failed)
//!         }
//!         serve();
//!         std::process::exit(0);
//!     }
//!     Fork::Parent(mut child) => {
//!         watch.parent_keep();
//!         let status = child.wait_forwarding(&[Signal::TERM, Signal::INT, Signal::HUP])?;
//!         std::process::exit(status.code());
//!     }
//! }
//! # Ok::<(), sandbox_process::Error>(())
//! ```
#![deny(unsafe_code)]

#[allow(unsafe_code)]
mod sys;

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, IntoRawFd, OwnedFd};

use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal, WaitOptions};

/// Everything that can go wrong in this crate.
///
/// The errno, when the kernel gave one, is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The single-threaded check before `fork` failed: the process has more than one
    /// thread ([`sandbox_namespaces::Error::MultiThreaded`], which names how many), or
    /// `/proc/self/task` could not be read.
    #[error(transparent)]
    SingleThreaded(sandbox_namespaces::Error),
    /// `fork(2)` failed: `EAGAIN` at `RLIMIT_NPROC` or the pid limit, `ENOMEM` in a pid
    /// namespace whose pid 1 has exited.
    #[error("fork")]
    Fork {
        /// The errno of `fork(2)`.
        source: Errno,
    },
    /// `waitpid(2)` for the child failed (`ECHILD` when `SIGCHLD` is ignored and the
    /// kernel reaped the child itself).
    #[error("wait for process {pid}")]
    Wait {
        /// The child.
        pid: Pid,
        /// The errno of `waitpid(2)`.
        source: Errno,
    },
    /// Sending a signal to the child failed (`ESRCH` when it no longer exists).
    #[error("send {} to process {pid}", SignalName(signal.as_raw()))]
    Kill {
        /// The child.
        pid: Pid,
        /// The signal.
        signal: Signal,
        /// The errno of `pidfd_send_signal(2)` or `kill(2)`.
        source: Errno,
    },
    /// The child was already reaped; its pid may belong to another process by now, so no
    /// signal is sent.
    #[error("process {pid} was already reaped; no signal sent")]
    AlreadyReaped {
        /// The child's former pid.
        pid: Pid,
    },
    /// Changing the signal mask (`sigprocmask(2)`) failed.
    #[error("change the signal mask")]
    SignalMask {
        /// The errno.
        source: Errno,
    },
    /// Waiting for a signal (`sigwaitinfo(2)`) failed.
    #[error("wait for a signal")]
    SignalWait {
        /// The errno.
        source: Errno,
    },
    /// `prctl(PR_SET_PDEATHSIG)` failed.
    #[error("set the parent-death signal to {}", SignalName(signal.as_raw()))]
    SetDeathSignal {
        /// The signal.
        signal: Signal,
        /// The errno of `prctl(2)`.
        source: Errno,
    },
    /// Setting up or checking the watch on the parent (`pipe2`, `poll`) failed.
    #[error("watch the parent process")]
    WatchParent {
        /// The errno.
        source: Errno,
    },
    /// The parent exited before the child armed its parent-death signal, so that signal
    /// will never come: the child should exit.
    #[error("the parent process exited before the child asked to die with it")]
    ParentGone,
}

impl Error {
    /// The errno the kernel returned, if the error came from a system call.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::SingleThreaded(e) => e.errno(),
            Error::Fork { source }
            | Error::Wait { source, .. }
            | Error::Kill { source, .. }
            | Error::SignalMask { source }
            | Error::SignalWait { source }
            | Error::SetDeathSignal { source, .. }
            | Error::WatchParent { source } => Some(*source),
            Error::AlreadyReaped { .. } | Error::ParentGone => None,
        }
    }
}

/// Displays a signal number as its name (`SIGTERM`), or `signal N`.
struct SignalName(i32);

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

/// What [`fork`] returned in this process.
#[derive(Debug)]
pub enum Fork {
    /// In the parent: the handle on the new child.
    Parent(Child),
    /// In the child.
    Child,
}

/// Forks the calling process: `fork(2)`, after checking that it has exactly one thread.
///
/// Only then is the child allowed to run arbitrary code (allocate, lock, print): in a
/// multi-threaded process the child inherits locks other threads held. After
/// `unshare(CLONE_NEWPID)` the child is pid 1 of the new pid namespace.
///
/// In the parent, the [`Child`] holds a pidfd for the child (`pidfd_open`, kernel 5.3)
/// when the kernel has one, and only the pid otherwise. The child is a plain copy: it
/// should end with `_exit`-like calls (or `std::process::exit` if flushing the copied
/// stdio buffers is wanted), and arm [`ParentWatch::die_with_parent`] if it must not
/// outlive the parent.
///
/// # Errors
///
/// - [`Error::SingleThreaded`] with [`sandbox_namespaces::Error::MultiThreaded`] naming
///   the thread count, or [`sandbox_namespaces::Error::CountThreads`] without `/proc`.
/// - [`Error::Fork`] with the kernel's errno (`EAGAIN`, `ENOMEM`).
pub fn fork() -> Result<Fork, Error> {
    match sys::fork()? {
        sys::Forked::Child => Ok(Fork::Child),
        sys::Forked::Parent(pid) => {
            // The child cannot have been reaped yet (unless SIGCHLD is ignored, in which
            // case pidfd_open fails with ESRCH), so the pidfd is for our child. Any
            // failure (ENOSYS before 5.3, a seccomp filter) leaves us with the pid.
            let pidfd = rustix::process::pidfd_open(pid, PidfdFlags::empty()).ok();
            Ok(Fork::Parent(Child {
                pid,
                pidfd,
                status: None,
            }))
        }
    }
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It called `exit` with this code (0 to 255).
    Exited(i32),
    /// A signal killed it.
    Signaled {
        /// The signal number.
        signal: i32,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// The exit code, or 128 + the signal number for a child killed by a signal, as a
    /// shell reports it: pass it to `std::process::exit` to end the same way.
    pub fn code(&self) -> i32 {
        match *self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled { signal, .. } => 128 + signal,
        }
    }

    /// The signal that killed the child, if one did.
    pub fn signal(&self) -> Option<i32> {
        match *self {
            ExitStatus::Exited(_) => None,
            ExitStatus::Signaled { signal, .. } => Some(signal),
        }
    }

    /// Whether the child exited with code 0.
    pub fn success(&self) -> bool {
        *self == ExitStatus::Exited(0)
    }

    /// Decodes a wait status of a terminated process, as `waitpid(2)` returns it
    /// (`WIFEXITED`/`WEXITSTATUS`, `WTERMSIG`, `WCOREDUMP`). Statuses of stopped or
    /// continued processes, which [`Child`] never asks for, decode as `Signaled` with a
    /// meaningless signal.
    pub fn from_raw(wait_status: i32) -> Self {
        let signal = wait_status & 0x7f;
        if signal == 0 {
            ExitStatus::Exited((wait_status >> 8) & 0xff)
        } else {
            ExitStatus::Signaled {
                signal,
                core_dumped: wait_status & 0x80 != 0,
            }
        }
    }
}

impl fmt::Display for ExitStatus {
    /// `exited with code 7`, `killed by SIGKILL`, `killed by SIGSEGV (core dumped)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitStatus::Exited(code) => write!(f, "exited with code {code}"),
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => {
                write!(f, "killed by {}", SignalName(signal))?;
                if core_dumped {
                    f.write_str(" (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

/// The parent's handle on a child from [`fork`].
///
/// Dropping it neither kills nor reaps the child.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    pidfd: Option<OwnedFd>,
    status: Option<ExitStatus>,
}

impl Child {
    /// The child's pid, in the parent's pid namespace.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The pidfd the child is signalled through, if the kernel has `pidfd_open` (5.3) and
    /// the child has not been reaped.
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(AsFd::as_fd)
    }

    fn reaped(&mut self, status: ExitStatus) -> ExitStatus {
        self.status = Some(status);
        self.pidfd = None;
        status
    }

    fn waitpid(&mut self, options: WaitOptions) -> Result<Option<ExitStatus>, Error> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        loop {
            return match rustix::process::waitpid(Some(self.pid), options) {
                Ok(Some((_, status))) => {
                    Ok(Some(self.reaped(ExitStatus::from_raw(status.as_raw()))))
                }
                Ok(None) => Ok(None),
                Err(Errno::INTR) => continue,
                Err(source) => Err(Error::Wait {
                    pid: self.pid,
                    source,
                }),
            };
        }
    }

    /// Waits until the child ends and reaps it: `waitpid(2)`, retried on `EINTR`. Once
    /// reaped, this returns the same status again without a system call.
    ///
    /// # Errors
    ///
    /// [`Error::Wait`]: `ECHILD` when the child was reaped elsewhere (by a `waitpid(-1)`
    /// of other code, or by the kernel when `SIGCHLD` is ignored).
    #[doc(alias = "waitpid")]
    pub fn wait(&mut self) -> Result<ExitStatus, Error> {
        loop {
            if let Some(status) = self.waitpid(WaitOptions::empty())? {
                return Ok(status);
            }
        }
    }

    /// Reaps the child if it has ended (`waitpid(2)` with `WNOHANG`): `None` while it
    /// runs.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        self.waitpid(WaitOptions::NOHANG)
    }

    /// Sends `signal` to the child: `pidfd_send_signal(2)` through the pidfd (so never
    /// to a process that reused the pid), or `kill(2)` without one. A child that has
    /// ended but is not reaped yet still takes the signal (and ignores it).
    ///
    /// # Errors
    ///
    /// - [`Error::AlreadyReaped`] after [`wait`](Self::wait) or a successful
    ///   [`try_wait`](Self::try_wait).
    /// - [`Error::Kill`]: `ESRCH` when the child no longer exists (reaped elsewhere),
    ///   `EPERM` when it changed its credentials out of reach.
    #[doc(alias = "pidfd_send_signal")]
    pub fn kill(&self, signal: Signal) -> Result<(), Error> {
        if self.status.is_some() {
            return Err(Error::AlreadyReaped { pid: self.pid });
        }
        match &self.pidfd {
            Some(pidfd) => rustix::process::pidfd_send_signal(pidfd, signal),
            None => rustix::process::kill_process(self.pid, signal),
        }
        .map_err(|source| Error::Kill {
            pid: self.pid,
            signal,
            source,
        })
    }

    /// Supervises the child until it ends, passing the signals in `forward` on to it, and
    /// returns its status: what a parent that only waits for its sandboxed child does.
    ///
    /// Blocks `forward` and `SIGCHLD` in the calling thread (`sigprocmask(2)`), then
    /// takes them one at a time with `sigwaitinfo(2)`: a forwarded signal is sent to the
    /// child with [`kill`](Self::kill), `SIGCHLD` makes it reap the child if it ended
    /// (`waitpid` with `WNOHANG`). It reaps once before the first wait, since a `SIGCHLD`
    /// sent before the mask was set may have been discarded. No polling, no sleeping.
    /// The previous mask is restored before returning; a forwarded signal that arrives
    /// after the child was reaped stays pending and is delivered then.
    ///
    /// `SIGKILL` and `SIGSTOP` cannot be caught and are never forwarded; `SIGCHLD` in
    /// `forward` is taken as the reaping signal. The process should have no other
    /// thread (which would get these signals instead) and no other child whose
    /// `SIGCHLD` it needs.
    ///
    /// # Errors
    ///
    /// - [`Error::SignalMask`] when the mask cannot be set or restored; if restoring
    ///   failed after the child was reaped, [`wait`](Self::wait) still returns its status.
    /// - [`Error::SignalWait`] when `sigwaitinfo` fails otherwise than by `EINTR`.
    /// - [`Error::Wait`] and [`Error::Kill`] (other than `ESRCH` from a child that is
    ///   ending, which is ignored) as for [`wait`](Self::wait) and [`kill`](Self::kill).
    pub fn wait_forwarding(&mut self, forward: &[Signal]) -> Result<ExitStatus, Error> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let set = sys::SigSet::new(forward.iter().copied().chain([Signal::CHILD]));
        let old = sys::block(&set).map_err(|source| Error::SignalMask { source })?;
        let result = self.forward_until_reaped(&set, forward);
        let restored = sys::set_mask(&old).map_err(|source| Error::SignalMask { source });
        let status = result?;
        restored?;
        Ok(status)
    }

    fn forward_until_reaped(
        &mut self,
        set: &sys::SigSet,
        forward: &[Signal],
    ) -> Result<ExitStatus, Error> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let taken = match sys::wait_signal(set) {
                Ok(signal) => signal,
                Err(Errno::INTR) => continue,
                Err(source) => return Err(Error::SignalWait { source }),
            };
            if taken == Signal::CHILD.as_raw() {
                continue;
            }
            if let Some(&signal) = forward.iter().find(|s| s.as_raw() == taken) {
                match self.kill(signal) {
                    // Gone between try_wait and now: its SIGCHLD is on the way.
                    Err(Error::Kill {
                        source: Errno::SRCH,
                        ..
                    }) => {}
                    other => other?,
                }
            }
        }
    }
}

/// What a child watches to learn whether its parent is alive, created in the parent
/// before [`fork`].
///
/// `prctl(PR_SET_PDEATHSIG)` in the child asks the kernel for a signal when the parent
/// dies, but a parent that died before the `prctl` sends none. So the child checks, after
/// the `prctl`, two things the parent prepared:
///
/// - a pidfd of the parent (`pidfd_open(getpid())`, kernel 5.3), readable once the parent
///   has exited, even if other processes share what the parent holds;
/// - a close-on-exec pipe whose write end only the parent keeps: `POLLHUP` on the read
///   end once the parent's files are closed. The kernel closes them before it reparents
///   the children (the step that reads their death signal) and only marks the parent a
///   zombie (what makes the pidfd readable) after that, so the pipe also covers a child
///   that arms in between. It works on any kernel, but a process forked later that keeps
///   the write end open hides the parent's exit from it; the pidfd does not.
///
/// Either one saying "gone" is [`Error::ParentGone`].
#[derive(Debug)]
pub struct ParentWatch {
    pidfd: Option<OwnedFd>,
    read: OwnedFd,
    write: OwnedFd,
}

impl ParentWatch {
    /// Opens the watch, in the parent, before [`fork`]: a close-on-exec pipe, and a
    /// pidfd of the calling process when the kernel has `pidfd_open` (5.3).
    ///
    /// # Errors
    ///
    /// [`Error::WatchParent`] when the pipe cannot be created (`EMFILE`, `ENFILE`).
    pub fn new() -> Result<Self, Error> {
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|source| Error::WatchParent { source })?;
        // ENOSYS before 5.3, EPERM under some seccomp filters: the pipe alone still works.
        let pidfd =
            rustix::process::pidfd_open(rustix::process::getpid(), PidfdFlags::empty()).ok();
        Ok(ParentWatch { pidfd, read, write })
    }

    /// Whether the watch includes a pidfd of the parent (`pidfd_open` worked).
    pub fn uses_pidfd(&self) -> bool {
        self.pidfd.is_some()
    }

    /// In the child after [`fork`]: asks the kernel to send `signal` to this process
    /// when its parent dies (`prctl(PR_SET_PDEATHSIG)`), then checks that the parent is
    /// still alive (one `poll` of the pipe and the pidfd), closing the race where it died
    /// before the `prctl`.
    ///
    /// Works in a new pid namespace, where the child is pid 1 and `getppid()` is 0. But
    /// pid 1 of a namespace ignores every signal it has no handler for, except `SIGKILL`
    /// (and `SIGSTOP`) from an ancestor namespace: there, pass `SIGKILL`, or install a
    /// handler for the signal first (`SIGKILL` cannot have one). The kernel sends the
    /// signal when the thread that forked exits, and clears it when the child changes its
    /// credentials (`setuid`, a set-user-ID `execve`): arm it after those. It survives a
    /// plain `execve`.
    ///
    /// # Errors
    ///
    /// - [`Error::SetDeathSignal`] when `prctl` fails.
    /// - [`Error::WatchParent`] when `poll` fails.
    /// - [`Error::ParentGone`] when the parent has already exited: the child should exit
    ///   now, as nobody will signal it.
    #[doc(alias = "PR_SET_PDEATHSIG")]
    pub fn die_with_parent(self, signal: Signal) -> Result<(), Error> {
        let ParentWatch { pidfd, read, write } = self;
        rustix::process::set_parent_process_death_signal(Some(signal))
            .map_err(|source| Error::SetDeathSignal { signal, source })?;
        // Our copy of the write end must go, or we would keep the pipe open ourselves.
        drop(write);
        let mut fds = vec![PollFd::new(&read, PollFlags::IN)];
        if let Some(pidfd) = &pidfd {
            fds.push(PollFd::new(pidfd, PollFlags::IN));
        }
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            match rustix::event::poll(&mut fds, Some(&zero)) {
                Ok(_) => break,
                Err(Errno::INTR) => continue,
                Err(source) => return Err(Error::WatchParent { source }),
            }
        }
        // Nobody writes to the pipe: readable or hung up both mean no writer is left.
        // A pidfd is readable once its process has exited.
        if fds
            .iter()
            .any(|fd| fd.revents().intersects(PollFlags::IN | PollFlags::HUP))
        {
            return Err(Error::ParentGone);
        }
        Ok(())
    }

    /// In the parent after [`fork`]: keeps what the child watches alive for as long as
    /// the parent lives. The pidfd and the read end are closed; the write end of the pipe
    /// stays open, deliberately never closed, until the process exits (it is
    /// close-on-exec).
    pub fn parent_keep(self) {
        let ParentWatch { pidfd, read, write } = self;
        drop(pidfd);
        drop(read);
        // Leaked on purpose: its closing at exit is what the child watches.
        let _ = write.into_raw_fd();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_decodes_wait_statuses() {
        assert_eq!(ExitStatus::from_raw(0), ExitStatus::Exited(0));
        assert_eq!(ExitStatus::from_raw(7 << 8), ExitStatus::Exited(7));
        assert_eq!(ExitStatus::from_raw(255 << 8), ExitStatus::Exited(255));
        assert_eq!(
            ExitStatus::from_raw(9),
            ExitStatus::Signaled {
                signal: 9,
                core_dumped: false
            }
        );
        assert_eq!(
            ExitStatus::from_raw(11 | 0x80),
            ExitStatus::Signaled {
                signal: 11,
                core_dumped: true
            }
        );
    }

    #[test]
    fn code_follows_the_shell() {
        assert_eq!(ExitStatus::Exited(7).code(), 7);
        assert_eq!(ExitStatus::from_raw(9).code(), 137);
        assert_eq!(ExitStatus::from_raw(15).signal(), Some(15));
        assert_eq!(ExitStatus::Exited(3).signal(), None);
        assert!(ExitStatus::Exited(0).success());
        assert!(!ExitStatus::Exited(1).success());
        assert!(!ExitStatus::from_raw(9).success());
    }

    #[test]
    fn messages_read_like_log_lines() {
        assert_eq!(ExitStatus::Exited(7).to_string(), "exited with code 7");
        assert_eq!(ExitStatus::from_raw(9).to_string(), "killed by SIGKILL");
        assert_eq!(
            ExitStatus::from_raw(11 | 0x80).to_string(),
            "killed by SIGSEGV (core dumped)"
        );
        assert_eq!(ExitStatus::from_raw(40).to_string(), "killed by signal 40");
        let pid = Pid::from_raw(42).unwrap();
        let err = Error::Kill {
            pid,
            signal: Signal::TERM,
            source: Errno::SRCH,
        };
        assert_eq!(err.to_string(), "send SIGTERM to process 42");
        assert_eq!(err.errno(), Some(Errno::SRCH));
        let err = Error::SingleThreaded(sandbox_namespaces::Error::MultiThreaded { threads: 3 });
        assert_eq!(
            err.to_string(),
            "the process has 3 threads; unshare and fork need exactly one"
        );
        assert_eq!(err.errno(), None);
        assert_eq!(
            Error::AlreadyReaped { pid }.to_string(),
            "process 42 was already reaped; no signal sent"
        );
    }
}
