//! The only unsafe code of this crate: `fork(2)` and the signal mask, which rustix has no
//! safe call for.

use std::mem::MaybeUninit;

use rustix::io::Errno;
use rustix::process::{Pid, Signal};

use crate::Error;

/// What `fork` returned in this process.
pub(crate) enum Forked {
    /// In the parent: the child's pid.
    Parent(Pid),
    /// In the child.
    Child,
}

/// Checks that the process has one thread, then forks.
pub(crate) fn fork() -> Result<Forked, Error> {
    sandbox_namespaces::ensure_single_threaded().map_err(Error::SingleThreaded)?;
    // SAFETY: `fork` is unsound in a multi-threaded process because the child gets a copy
    // of memory where other threads may hold locks (the allocator's, stdio's) that nobody
    // will release, and may only call async-signal-safe functions. We just checked that
    // this process has exactly one thread, and nothing between that check and this call
    // starts one, so the child's memory is the consistent state of the one thread that
    // called us, and it may run any code. `fork` takes no pointers.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(Error::Fork {
            source: last_errno(),
        });
    }
    Ok(match Pid::from_raw(pid) {
        Some(pid) => Forked::Parent(pid),
        None => Forked::Child,
    })
}

/// The errno the last failed libc call left.
fn last_errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL)
}

/// A set of signals (`sigset_t`).
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// The set of `signals`.
    pub(crate) fn new(signals: impl IntoIterator<Item = Signal>) -> Self {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given a valid pointer to; it
        // cannot fail for a valid pointer.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised by sigemptyset just above.
        let mut set = unsafe { set.assume_init() };
        for signal in signals {
            // SAFETY: `set` is an initialised sigset_t; a rustix `Signal` is a valid signal
            // number, so sigaddset cannot fail.
            unsafe { libc::sigaddset(&mut set, signal.as_raw()) };
        }
        SigSet(set)
    }

    fn empty() -> Self {
        SigSet::new([])
    }
}

fn sigmask(how: libc::c_int, set: &SigSet) -> Result<SigSet, Errno> {
    let mut old = SigSet::empty();
    // SAFETY: both pointers are valid sigset_t for the duration of the call; the mask is
    // a per-thread property of the calling thread and touches no memory of ours.
    let r = unsafe { libc::pthread_sigmask(how, &set.0, &mut old.0) };
    if r == 0 {
        Ok(old)
    } else {
        Err(Errno::from_raw_os_error(r))
    }
}

/// Adds `set` to the calling thread's signal mask; returns the previous mask.
pub(crate) fn block(set: &SigSet) -> Result<SigSet, Errno> {
    sigmask(libc::SIG_BLOCK, set)
}

/// Sets the calling thread's signal mask to `set`.
pub(crate) fn set_mask(set: &SigSet) -> Result<(), Errno> {
    sigmask(libc::SIG_SETMASK, set).map(drop)
}

/// Waits for one of the (blocked) signals in `set` and takes it: `sigwaitinfo(2)`.
/// Returns the signal number.
pub(crate) fn wait_signal(set: &SigSet) -> Result<i32, Errno> {
    // SAFETY: `set` is a valid sigset_t; a null info pointer asks for no siginfo.
    let r = unsafe { libc::sigwaitinfo(&set.0, std::ptr::null_mut()) };
    if r > 0 {
        Ok(r)
    } else {
        Err(last_errno())
    }
}
