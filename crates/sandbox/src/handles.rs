//! What entering hands out: [`Entered`], the sandboxed process's [`Inside`], and the
//! original process's [`Child`].

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use rustix::io::Errno;

use crate::{Audit, Error, ExitStatus, Pid, ProcSelfFd, Signal};

/// What [`Sandbox::enter`](crate::Sandbox::enter) returns, in each of the two processes.
#[derive(Debug)]
pub enum Entered {
    /// In the original process: a handle on the sandboxed child.
    Parent(Child),
    /// In the sandboxed process (pid 1 of the new pid namespace in [`Mode::Namespace`](crate::Mode::Namespace)).
    Inside(Inside),
}

/// The sandboxed process's view: what it got from entering.
#[derive(Debug)]
pub struct Inside {
    pub(crate) proc_self_fd: ProcSelfFd,
    pub(crate) pivoted: bool,
    pub(crate) nofile_limit: Option<u64>,
    pub(crate) landlock: Option<crate::landlock::Enforced>,
    /// What the sandbox asked for, for [`Inside::audit`].
    pub(crate) audit: Box<crate::audit::Expected>,
}

impl Inside {
    /// The verified handle on `/proc/self/fd`, to reopen `O_PATH` descriptors.
    ///
    /// It was captured by the sandboxed process itself: a process it forks later has its
    /// own descriptor table, which this handle does not show.
    pub fn proc_self_fd(&self) -> &ProcSelfFd {
        &self.proc_self_fd
    }

    /// Takes the handle out.
    pub fn into_proc_self_fd(self) -> ProcSelfFd {
        self.proc_self_fd
    }

    /// Whether the root was changed. False in [`Mode::None`](crate::Mode::None), and when the shared directory
    /// already was the root (sharing `/`).
    pub fn root_changed(&self) -> bool {
        self.pivoted
    }

    /// How much of the Landlock layer the kernel enforces ([`Builder::landlock`](crate::Builder::landlock),
    /// [`Mode::Landlock`](crate::Mode::Landlock)); `None` when no layer was asked for.
    pub fn landlock(&self) -> Option<crate::landlock::Enforced> {
        self.landlock
    }

    /// The soft `RLIMIT_NOFILE` in force after [`Builder::raise_nofile_limit`](crate::Builder::raise_nofile_limit) raised it:
    /// `fs.nr_open` when the kernel allowed it, else the hard limit. `None` when the
    /// option was not asked for.
    #[doc(alias = "RLIMIT_NOFILE")]
    pub fn nofile_limit(&self) -> Option<u64> {
        self.nofile_limit
    }

    /// Reads the sandbox back from the kernel, in this process, and compares it with what
    /// was asked: one [`AuditRow`](crate::AuditRow) per [`Check`](crate::Check), each with
    /// what was expected, what the kernel answered, and whether that holds.
    /// [`Audit::is_confined`] says whether every row holds (never in
    /// [`Mode::None`](crate::Mode::None)); its `Display` is a table to log at startup.
    ///
    /// Everything is read live, at each call: the namespaces through a pidfd of the process
    /// itself (`PIDFD_GET_*_NAMESPACE`, Linux 6.11), the mounts through `listmount(2)` and
    /// `statmount(2)` (Linux 6.8), the capabilities, `no_new_privs` and the seccomp mode
    /// through `capget(2)` and `prctl(2)`, the session through `getsid(2)`, the keyring
    /// through `keyctl(2)`, Landlock through `landlock_create_ruleset(2)` and a probe, the
    /// descriptors through the proc-fd handle. The one exception: the id maps, which the
    /// sandboxed process read back from its fresh proc before the pivot (a user namespace's
    /// maps never change; the row checks live that the process is still in that user
    /// namespace). Where a kernel interface is missing (an older kernel) or refused (a seccomp
    /// allowlist without these calls), the row says which and does not hold: an audit
    /// proves what it can read, nothing more. The [`Check`](crate::Check) variants say what
    /// each row reads.
    ///
    /// The descriptors row counts every descriptor open now: call it right after entering,
    /// before the daemon opens its own. A seccomp filter whose action kills on a refused call
    /// ([`SeccompAction`](crate::SeccompAction)) and that refuses one of these calls kills
    /// the process here: the default filter refuses only `keyctl` among them, with `EPERM`.
    ///
    /// Cost: about 85 system calls and a few small allocations, a few tens of
    /// microseconds (`cargo xtask bench` measures it); cheap enough for every start.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let inside = sandbox::Sandbox::builder("/srv/shared").build()?.confine()?;
    /// let audit = inside.audit();
    /// eprintln!("{audit}");
    /// if !audit.is_confined() {
    ///     std::process::exit(1);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn audit(&self) -> Audit {
        crate::audit::audit(self)
    }
}

/// The original process's handle on the sandboxed child.
///
/// Wait for it: a child that is never waited for stays a zombie until the original
/// process exits.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    /// A pidfd of our own on the child (Linux 5.3), so that one thread can signal it
    /// while another waits: a pidfd never reaches a process that reused the pid.
    pidfd: Option<OwnedFd>,
    inner: Mutex<sandbox_process::Child>,
    /// Where the child, pid 1 of its namespace, notes the signal that ended it.
    note: Option<sandbox_process::SignalNote>,
}

impl Child {
    /// The handle on the child just forked. Where the leaf's handle holds a pidfd, this
    /// one keeps a copy of it (`F_DUPFD_CLOEXEC`), for [`kill`](Self::kill) during another
    /// thread's wait; without one (the leaf fell back to the pid), neither has.
    ///
    /// # Errors
    ///
    /// [`sandbox_process::Error::ChildPidfd`] when the copy fails (`EMFILE`): the child is
    /// killed through the leaf's pidfd and reaped first, so that no sandboxed process is
    /// left running that the caller holds no handle on.
    pub(crate) fn new(
        mut child: sandbox_process::Child,
        note: Option<sandbox_process::SignalNote>,
    ) -> Result<Child, sandbox_process::Error> {
        let pid = child.pid();
        let pidfd = match child.pidfd().map(|fd| fd.try_clone_to_owned()) {
            None => None,
            Some(Ok(pidfd)) => Some(pidfd),
            Some(Err(e)) => {
                let errno = Errno::from_io_error(&e).unwrap_or(Errno::MFILE);
                let _ = child.kill(Signal::KILL);
                let _ = child.wait();
                return Err(sandbox_process::Error::ChildPidfd { pid, errno });
            }
        };
        Ok(Child {
            pid,
            pidfd,
            inner: Mutex::new(child),
            note,
        })
    }

    /// The descriptors this handle holds (its pidfds), which the original process must
    /// keep to wait for the child.
    pub(crate) fn own_fds(&self) -> Vec<RawFd> {
        let inner = self.inner().pidfd().map(|fd| fd.as_raw_fd());
        let own = self.pidfd.as_ref().map(|fd| fd.as_raw_fd());
        inner.into_iter().chain(own).collect()
    }

    /// How the child really ended: death by the signal its pid 1 noted, where it could
    /// only exit with `128 +` that signal.
    fn resolve(&self, status: ExitStatus) -> ExitStatus {
        match &self.note {
            Some(note) => note.resolve(status),
            None => status,
        }
    }

    fn inner(&self) -> MutexGuard<'_, sandbox_process::Child> {
        // A thread that panicked while waiting leaves the child as it was: still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The child's pid, as the original process sees it (the sandboxed process itself
    /// sees 1). [`Pid`] displays as the number:
    ///
    /// ```no_run
    /// # fn main() -> Result<(), sandbox::Error> {
    /// if let sandbox::Entered::Parent(child) = sandbox::Sandbox::builder("/srv").build()?.enter()? {
    ///     eprintln!("sandboxed process {}", child.pid());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits for the child to end and returns how it ended. Calling it again returns the
    /// same status. One thread at a time waits; another thread may [`kill`](Self::kill)
    /// meanwhile.
    ///
    /// A sandboxed pid 1 that ended on a signal (through the handlers `enter()` gives it,
    /// or as the minimal init passing on its daemon's death) cannot die of it and exits
    /// with `128 +` the signal instead; it notes the signal in memory shared with this
    /// process, and the status returned here is death by that signal, as for any other
    /// process ([`ExitStatus::Signaled`](crate::ExitStatus::Signaled), never with a core).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when `waitpid(2)` fails.
    pub fn wait(&self) -> Result<ExitStatus, Error> {
        self.inner()
            .wait()
            .map(|status| self.resolve(status))
            .map_err(Error::Supervise)
    }

    /// Returns the status if the child has ended, without blocking (but for another
    /// thread's [`wait`](Self::wait), which it waits for).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when `waitpid(2)` fails.
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, Error> {
        self.inner()
            .try_wait()
            .map(|status| status.map(|status| self.resolve(status)))
            .map_err(Error::Supervise)
    }

    /// Sends `signal` to the child, through a pidfd where the kernel has them (Linux 5.3),
    /// so a recycled pid is never hit. While another thread waits for the child, the
    /// signal goes through that pidfd; without one (older kernels) it waits for the wait
    /// to end instead, since the pid alone could name another process by then.
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when the child was already reaped or the kernel refused.
    pub fn kill(&self, signal: Signal) -> Result<(), Error> {
        match (self.inner.try_lock(), &self.pidfd) {
            (Ok(inner), _) => inner.kill(signal),
            (Err(TryLockError::Poisoned(inner)), _) => inner.into_inner().kill(signal),
            (Err(TryLockError::WouldBlock), Some(pidfd)) => {
                rustix::process::pidfd_send_signal(pidfd, signal).map_err(|errno| {
                    sandbox_process::Error::Kill {
                        pid: self.pid,
                        signal,
                        errno,
                    }
                })
            }
            (Err(TryLockError::WouldBlock), None) => self.inner().kill(signal),
        }
        .map_err(Error::Supervise)
    }

    /// Waits for the child while passing the given signals on to it: they are blocked in
    /// this process meanwhile (and unblocked again before returning).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when changing the signal mask or waiting fails.
    pub fn wait_forwarding(&self, signals: &[Signal]) -> Result<ExitStatus, Error> {
        self.inner()
            .wait_forwarding(signals)
            .map(|status| self.resolve(status))
            .map_err(Error::Supervise)
    }
}
