//! The parent's handle on a forked child: wait, kill, and supervise with signals passed
//! on.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

use crate::signal::{block_signals, set_signal_mask, wait_signal, SignalSet};
use crate::sys::Disposition;
use crate::{Error, ExitStatus};

/// The parent's handle on a child from [`fork`](crate::fork).
///
/// Dropping it neither kills nor reaps the child.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    pidfd: Option<OwnedFd>,
    status: Option<ExitStatus>,
}

impl Child {
    pub(crate) fn new(pid: Pid, pidfd: Option<OwnedFd>) -> Child {
        Child {
            pid,
            pidfd,
            status: None,
        }
    }

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
                Err(errno) => Err(Error::Wait {
                    pid: self.pid,
                    errno,
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
        .map_err(|errno| Error::Kill {
            pid: self.pid,
            signal,
            errno,
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
    /// `forward` is taken as the reaping signal. A `SIGCHLD` the caller ignores (`SIG_IGN`,
    /// which would have the kernel reap the child and send no signal) gets its default
    /// action for the wait, and `SIG_IGN` back after it; a child the kernel reaped before
    /// gives [`Error::Wait`] with `ECHILD`. The process should have no other
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
        let set: SignalSet = forward.iter().copied().chain([Signal::CHILD]).collect();
        // A caller that ignores SIGCHLD (SIG_IGN) gets none, and its children are reaped by
        // the kernel: the wait below would never end. SIGCHLD's default action ignores it
        // too, without either effect; restored afterwards.
        let chld_ignored = crate::sys::disposition(libc::SIGCHLD) == Ok(Disposition::Ignore);
        if chld_ignored {
            crate::sys::default_action(Signal::CHILD).map_err(|errno| Error::DefaultSignal {
                signal: Signal::CHILD,
                errno,
            })?;
        }
        let old = block_signals(&set)?;
        let result = self.forward_until_reaped(&set, forward);
        let restored = set_signal_mask(&old);
        if chld_ignored {
            crate::sys::ignore(Signal::CHILD);
        }
        let status = result?;
        restored?;
        Ok(status)
    }

    fn forward_until_reaped(
        &mut self,
        set: &SignalSet,
        forward: &[Signal],
    ) -> Result<ExitStatus, Error> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let taken = match wait_signal(set) {
                Ok(signal) => signal,
                Err(Error::SignalWait { errno: Errno::INTR }) => continue,
                Err(e) => return Err(e),
            };
            if taken == Signal::CHILD {
                continue;
            }
            if forward.contains(&taken) {
                match self.kill(taken) {
                    // Gone between try_wait and now: its SIGCHLD is on the way.
                    Err(Error::Kill {
                        errno: Errno::SRCH, ..
                    }) => {}
                    other => other?,
                }
            }
        }
    }
}
