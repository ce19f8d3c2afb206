//! Fork a child (into a new pid namespace), make it die with its parent without a race,
//! supervise it, pass its exit status on; signals, and the minimal init of a pid
//! namespace.
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
//! - [`ExitStatus::code`] follows the shell: the exit code, or 128 + the signal;
//!   [`exit_like`] ends the calling process the same way (the same code, or death by the
//!   same signal), so that its own parent sees how the child ended.
//! - Signals: a [`SignalSet`], [`block_signals`] and [`set_signal_mask`], taking a signal
//!   synchronously with [`wait_signal`], [`default_signals`], and [`exit_on_signals`],
//!   the handlers pid 1 needs to end on `SIGTERM` at all (they step aside for the
//!   daemon's own, however installed).
//! - [`SignalNote`]: pid 1 cannot die of a signal from its own namespace; it notes the
//!   signal in a page shared with its parent, which passes on a death by that signal
//!   instead of the exit code `128 +` it.
//! - [`start_init`]: a minimal init for a new pid namespace. It stays pid 1, forks the
//!   daemon, passes signals on to it, reaps every orphan and exits with the daemon's
//!   status.
//!
//! The unsafe code (`fork`, `_exit`, the signal calls rustix has no safe wrapper for) is
//! in one private module; everything public is safe.
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
//!         // End as the child did: the same exit code, or death by the same signal.
//!         sandbox_process::exit_like(status);
//!     }
//! }
//! # Ok::<(), sandbox_process::Error>(())
//! ```
#![deny(unsafe_code)]

mod child;
mod error;
mod init;
mod signal;
mod status;
#[allow(unsafe_code)]
mod sys;
mod watch;

pub use child::Child;
pub use error::Error;
pub use init::{start_init, INIT_FAILED};
pub use signal::{
    block_signals, default_signals, exit_like, exit_like_signal, exit_now, exit_on_signals,
    set_signal_mask, unignore_signals, wait_signal, SignalNote, SignalSet,
};
pub use status::ExitStatus;
pub use watch::ParentWatch;

use rustix::io::Errno;
use rustix::process::PidfdFlags;

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
/// when the kernel has one, and only the pid where it has none (`ENOSYS`, or `EPERM` from a
/// seccomp profile): the pid is safe to signal while the child is unreaped. The child is a
/// plain copy: it should end with `_exit`-like calls (or `std::process::exit` if flushing
/// the copied stdio buffers is wanted), and arm [`ParentWatch::die_with_parent`] if it
/// must not outlive the parent.
///
/// # Errors
///
/// - [`Error::SingleThreaded`] with [`sandbox_namespaces::Error::MultiThreaded`] naming
///   the thread count, or [`sandbox_namespaces::Error::CountThreads`] without `/proc`.
/// - [`Error::Fork`] with the kernel's errno (`EAGAIN`, `ENOMEM`).
/// - [`Error::ChildPidfd`] when `pidfd_open` of the new child fails otherwise (`EMFILE`
///   at the descriptor limit, `ENOMEM`): the child, which has begun to run, is killed
///   with `SIGKILL` and reaped before this returns, so no process is left behind that the
///   caller has no handle on. With `ESRCH` it is gone already: the kernel reaped it
///   (`SIGCHLD` ignored), and it is not signalled, as its pid may name another process.
pub fn fork() -> Result<Fork, Error> {
    match sys::fork()? {
        sys::Forked::Child => Ok(Fork::Child),
        sys::Forked::Parent(pid) => {
            // The child cannot have been reaped yet (unless SIGCHLD is ignored, in which
            // case pidfd_open fails with ESRCH), so the pidfd is for our child.
            let pidfd = match rustix::process::pidfd_open(pid, PidfdFlags::empty()) {
                Ok(pidfd) => Some(pidfd),
                // No pidfds here (before 5.3, or a seccomp profile): the pid it is.
                Err(Errno::NOSYS | Errno::PERM) => None,
                Err(errno @ Errno::SRCH) => return Err(Error::ChildPidfd { pid, errno }),
                Err(errno) => {
                    // Unreaped, the child keeps its pid: SIGKILL reaches it and no other.
                    let mut child = Child::new(pid, None);
                    let _ = child.kill(rustix::process::Signal::KILL);
                    let _ = child.wait();
                    return Err(Error::ChildPidfd { pid, errno });
                }
            };
            Ok(Fork::Parent(Child::new(pid, pidfd)))
        }
    }
}
