//! What entering hands out: [`Entered`], the sandboxed process's [`Inside`], and the
//! original process's [`Child`].

use std::cell::RefCell;

use crate::{Error, ExitStatus, Pid, ProcSelfFd, Signal};

/// What [`Sandbox::enter`] returns, in each of the two processes.
#[derive(Debug)]
pub enum Entered {
    /// In the original process: a handle on the sandboxed child.
    Parent(Child),
    /// In the sandboxed process (pid 1 of the new pid namespace in [`Mode::Namespace`]).
    Inside(Inside),
}

/// The sandboxed process's view: what it got from entering.
#[derive(Debug)]
pub struct Inside {
    pub(crate) proc_self_fd: ProcSelfFd,
    pub(crate) pivoted: bool,
    pub(crate) nofile_limit: Option<u64>,
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

    /// Whether the root was changed. False in [`Mode::None`], and when the shared directory
    /// already was the root (sharing `/`).
    pub fn root_changed(&self) -> bool {
        self.pivoted
    }

    /// The soft `RLIMIT_NOFILE` in force after [`Builder::raise_nofile_limit`] raised it:
    /// `fs.nr_open` when the kernel allowed it, else the hard limit. `None` when the
    /// option was not asked for.
    #[doc(alias = "RLIMIT_NOFILE")]
    pub fn nofile_limit(&self) -> Option<u64> {
        self.nofile_limit
    }
}

/// The original process's handle on the sandboxed child.
///
/// Wait for it: a child that is never waited for stays a zombie until the original
/// process exits.
#[derive(Debug)]
pub struct Child {
    inner: RefCell<sandbox_process::Child>,
}

impl Child {
    pub(crate) fn new(child: sandbox_process::Child) -> Child {
        Child {
            inner: RefCell::new(child),
        }
    }

    /// The child's pid, as the original process sees it.
    pub fn pid(&self) -> Pid {
        self.inner.borrow().pid()
    }

    /// Waits for the child to end and returns how it ended. Calling it again returns the
    /// same status.
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when `waitpid(2)` fails.
    pub fn wait(&self) -> Result<ExitStatus, Error> {
        self.inner.borrow_mut().wait().map_err(Error::Supervise)
    }

    /// Returns the status if the child has ended, without blocking.
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when `waitpid(2)` fails.
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, Error> {
        self.inner.borrow_mut().try_wait().map_err(Error::Supervise)
    }

    /// Sends `signal` to the child (through a pidfd where the kernel has them, so a
    /// recycled pid is never hit).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when the child was already reaped or the kernel refused.
    pub fn kill(&self, signal: Signal) -> Result<(), Error> {
        self.inner.borrow().kill(signal).map_err(Error::Supervise)
    }

    /// Waits for the child while passing the given signals on to it: they are blocked in
    /// this process meanwhile (and unblocked again before returning).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when changing the signal mask or waiting fails.
    pub fn wait_forwarding(&self, signals: &[Signal]) -> Result<ExitStatus, Error> {
        self.inner
            .borrow_mut()
            .wait_forwarding(signals)
            .map_err(Error::Supervise)
    }
}
