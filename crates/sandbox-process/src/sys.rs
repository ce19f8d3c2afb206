//! The only unsafe code of this crate: `fork(2)`, `_exit(2)`, signal sets, the signal
//! mask, `sigwaitinfo(2)`, signal dispositions, the shared page of a signal note and
//! `close_range(2)`, which rustix has no safe call for.

use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

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
            errno: last_errno(),
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

/// Ends the process at once: `_exit(2)`.
pub(crate) fn exit(code: i32) -> ! {
    // SAFETY: _exit(2) takes a plain integer, touches no memory of ours and never returns.
    unsafe { libc::_exit(code) }
}

/// A set of signals (`sigset_t`).
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// The empty set.
    pub(crate) fn empty() -> Self {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given a valid pointer to; it
        // cannot fail for a valid pointer.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: initialised by sigemptyset just above.
        SigSet(unsafe { set.assume_init() })
    }

    /// Adds `signal` (a number; an invalid one is left out).
    pub(crate) fn insert(&mut self, signal: i32) {
        // SAFETY: `self.0` is an initialised sigset_t we hold mutably; for a number that is
        // no signal sigaddset only returns EINVAL.
        unsafe { libc::sigaddset(&mut self.0, signal) };
    }

    /// Whether `signal` is in the set.
    pub(crate) fn contains(&self, signal: i32) -> bool {
        // SAFETY: `self.0` is an initialised sigset_t; sigismember only reads it (and
        // returns -1 for a number that is no signal).
        unsafe { libc::sigismember(&self.0, signal) == 1 }
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
pub(crate) fn wait_signal(set: &SigSet) -> Result<Signal, Errno> {
    // SAFETY: `set` is a valid sigset_t; a null info pointer asks for no siginfo.
    let r = unsafe { libc::sigwaitinfo(&set.0, std::ptr::null_mut()) };
    if r > 0 {
        // SAFETY: sigwaitinfo returned the number of a signal it took, which is a valid
        // signal number (what `from_raw_unchecked` requires).
        Ok(unsafe { Signal::from_raw_unchecked(r) })
    } else {
        Err(last_errno())
    }
}

/// Gives `signal` its default disposition again: `signal(signal, SIG_DFL)`.
pub(crate) fn default_action(signal: Signal) -> Result<(), Errno> {
    // SAFETY: SIG_DFL installs no handler code; the call touches no memory of ours.
    if unsafe { libc::signal(signal.as_raw(), libc::SIG_DFL) } == libc::SIG_ERR {
        return Err(last_errno());
    }
    Ok(())
}

/// Where pid 1 notes the signal that ended it ([`crate::SignalNote`]): null until the
/// note is armed in this process, then a word of a shared page that stays mapped until
/// the process ends ([`NotePage::arm`]). Read from signal handlers, hence an atomic pointer.
static NOTE: AtomicPtr<AtomicI32> = AtomicPtr::new(std::ptr::null_mut());

/// Notes `signal` in the armed note, if there is one. Async-signal-safe: two atomic
/// accesses.
pub(crate) fn note_signal(signal: i32) -> i32 {
    let note = NOTE.load(Ordering::SeqCst);
    if note.is_null() {
        return signal;
    }
    // SAFETY: a non-null NOTE points into a page that `NotePage::arm` leaked: mapped until
    // the process ends, aligned for an AtomicI32 (the page is), and only ever accessed
    // atomically.
    let word = unsafe { &*note };
    // The first signal noted wins: two handlers running at once on two threads must exit
    // with the code of the signal the note names.
    match word.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => signal,
        Err(first) => first,
    }
}

/// Whether `signal`'s default action ends the process (rather than stopping it,
/// continuing it, or doing nothing).
pub(crate) fn ends_by_default(signal: i32) -> bool {
    (1..=libc::SIGRTMAX()).contains(&signal)
        && ![
            libc::SIGCHLD,
            libc::SIGCONT,
            libc::SIGSTOP,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGURG,
            libc::SIGWINCH,
        ]
        .contains(&signal)
}

/// What a signal's disposition is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    Default,
    Ignore,
    Handler(usize),
}

/// Reads `signal`'s disposition (`sigaction(2)` with no new action).
pub(crate) fn disposition(signal: i32) -> Result<Disposition, Errno> {
    // SAFETY: a zeroed sigaction is a valid value for sigaction(2) to fill; querying the
    // disposition (a null new action) changes nothing and is async-signal-safe.
    let (rc, handler) = unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        let rc = libc::sigaction(signal, std::ptr::null(), &mut current);
        (rc, current.sa_sigaction)
    };
    if rc != 0 {
        return Err(last_errno());
    }
    Ok(match handler {
        libc::SIG_DFL => Disposition::Default,
        libc::SIG_IGN => Disposition::Ignore,
        handler => Disposition::Handler(handler),
    })
}

/// One page shared with the children forked later (`MAP_SHARED | MAP_ANONYMOUS`), zeroed:
/// the word at its start is a signal note. Unmapped on drop, unless armed.
#[derive(Debug)]
pub(crate) struct NotePage(NonNull<AtomicI32>);

// SAFETY: the page is plain shared memory, only ever accessed through an AtomicI32, so it
// may be used and dropped from any thread.
unsafe impl Send for NotePage {}
// SAFETY: as above: shared access goes through atomic operations only.
unsafe impl Sync for NotePage {}

/// The length of the note's mapping: one page on every architecture we run on.
const NOTE_LEN: usize = 4096;
// (A page on x86_64 and 4K-page aarch64 kernels; on 16K or 64K pages the mapping is one
// page all the same, and munmap of the first 4096 bytes unmaps that whole page.)

impl NotePage {
    pub(crate) fn new() -> Result<NotePage, Errno> {
        // SAFETY: an anonymous mapping at an address of the kernel's choosing touches no
        // memory of ours; the result is checked before use.
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                NOTE_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if page == libc::MAP_FAILED {
            return Err(last_errno());
        }
        NonNull::new(page.cast::<AtomicI32>())
            .map(NotePage)
            .ok_or(Errno::NOMEM)
    }

    /// The word noted so far (0: nothing).
    pub(crate) fn load(&self) -> i32 {
        // SAFETY: the page is mapped for as long as `self` lives, page-aligned (so aligned
        // for an AtomicI32), and only ever accessed atomically.
        unsafe { self.0.as_ref() }.load(Ordering::SeqCst)
    }

    /// Marks the page `MADV_DONTFORK`: children forked from now on do not get it.
    pub(crate) fn keep_from_later_forks(&self) -> Result<(), Errno> {
        // SAFETY: the page is a NOTE_LEN mapping this value owns; madvise changes only
        // what a later fork copies.
        let rc = unsafe { libc::madvise(self.0.as_ptr().cast(), NOTE_LEN, libc::MADV_DONTFORK) };
        if rc == 0 {
            Ok(())
        } else {
            Err(last_errno())
        }
    }

    /// Writes the word, as a lying child would (unit tests of the reading side).
    #[cfg(test)]
    pub(crate) fn store_for_test(&self, value: i32) {
        // SAFETY: as in `load`.
        unsafe { self.0.as_ref() }.store(value, Ordering::SeqCst);
    }

    /// Makes this page the one this process's handlers and init write to; it then stays
    /// mapped until the process ends.
    pub(crate) fn arm(self) {
        NOTE.store(self.0.as_ptr(), Ordering::SeqCst);
        std::mem::forget(self);
    }
}

impl Drop for NotePage {
    fn drop(&mut self) {
        // SAFETY: `self.0` is the start of a NOTE_LEN mapping that only this value owns
        // (an armed page is never dropped); an error leaves it mapped, which is harmless.
        unsafe { libc::munmap(self.0.as_ptr().cast(), NOTE_LEN) };
    }
}

/// The handler of [`exit_on`]: ends pid 1 with `128 + signal`, noting the signal.
extern "C" fn end_on_signal(signal: libc::c_int) {
    let ours = end_on_signal as extern "C" fn(libc::c_int) as usize;
    // A query that fails (a seccomp filter answering rt_sigaction with an errno) counts as
    // "still ours": stepping aside then would leave pid 1 ignoring the signal.
    match disposition(signal) {
        // A handler installed later (signal-hook, tokio) calls the one it replaced first:
        // the daemon has its own handler now, which runs once this returns.
        Ok(Disposition::Handler(current)) if current != ours => return,
        // The daemon chose to ignore it meanwhile.
        Ok(Disposition::Ignore) => return,
        _ => {}
    }
    // SAFETY: getpid(2) is async-signal-safe and takes no argument.
    if unsafe { libc::getpid() } != 1 {
        // A process forked by pid 1 inherited this handler: as an ordinary process it can
        // die of the signal itself, which is the truest report. The signal is blocked while
        // its handler runs; raised now, it is delivered, with its default action, on return.
        // SAFETY: signal(2) with SIG_DFL installs no code; raise(3) is async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
        return;
    }
    let noted = note_signal(signal);
    // SAFETY: _exit(2) is async-signal-safe and takes a plain integer.
    unsafe { libc::_exit(128 + noted) }
}

/// Makes `signal` end pid 1 with exit code `128 + signal`, noting the signal: a handler
/// that steps aside for any handler installed after it (see [`end_on_signal`]). A signal
/// that already has a handler, or is ignored, keeps its disposition: returns whether the
/// handler was installed.
pub(crate) fn exit_on(signal: Signal) -> Result<bool, Errno> {
    if disposition(signal.as_raw())? != Disposition::Default {
        return Ok(false);
    }
    // SAFETY: a zeroed sigaction is a valid "no flags" value and its mask is filled (every
    // signal blocked while the handler runs, so two of ours never interleave); the handler
    // is an extern "C" fn that only makes async-signal-safe calls; the pointers passed to
    // sigaction(2) point to this initialised local.
    let rc = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = end_on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigfillset(&mut action.sa_mask);
        libc::sigaction(signal.as_raw(), &action, std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(last_errno());
    }
    Ok(true)
}

/// Makes `signal` ignored again (`SIG_IGN`), restoring what [`default_action`] replaced.
pub(crate) fn ignore(signal: Signal) {
    // SAFETY: SIG_IGN installs no handler code; the call touches no memory of ours.
    unsafe { libc::signal(signal.as_raw(), libc::SIG_IGN) };
}

/// Gives `signal` its default action back if it is ignored; a handler stays.
pub(crate) fn unignore(signal: Signal) -> Result<(), Errno> {
    match disposition(signal.as_raw())? {
        Disposition::Ignore => default_action(signal),
        _ => Ok(()),
    }
}

/// Ends the process with `signal`, falling back to `_exit(128 + signal)`. Dumps no core:
/// the process only passes on how another one ended, and a core of its own would be
/// nobody's (and, through a piped `core_pattern`, would run a host program).
pub(crate) fn exit_like_signal(signal: i32) -> ! {
    if !ends_by_default(signal) {
        // Raising a stop signal would stop this process instead of ending it; an ignored
        // one would do nothing.
        exit(128 + signal)
    }
    // SAFETY: prctl(PR_SET_DUMPABLE) and setrlimit take integers and a pointer to a local;
    // signal(2) with SIG_DFL installs no handler code; sigprocmask gets pointers to a
    // local, initialised sigset_t; raise(3) sends a signal to ourselves. None of these
    // touches memory the compiler does not know about.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    // A core-dumping signal may take a moment to be acted on; should the signal not end
    // the process after all (a pid 1 raising it), it leaves us here.
    exit(128 + signal)
}

/// Closes every descriptor from `first` up: `close_range(first, ~0, 0)` (Linux 5.9), else
/// one `close(2)` per number below the soft `RLIMIT_NOFILE` (at most 2^20).
///
/// Only for the minimal init right after it forked the daemon: from here to its
/// `_exit` it runs only the code of [`crate::init`], which holds no descriptor, and it
/// never returns to code whose values own the closed numbers (they are never dropped).
pub(crate) fn close_from_in_init(first: u32) {
    // SAFETY: the close_range syscall takes three integers and touches no memory. What it
    // closes is owned by values in frames the init never returns to (see above), and the
    // process has one thread (the init forked after the single-threaded check).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0) };
    if rc == 0 {
        return;
    }
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024)
        .min(1 << 20);
    for fd in u64::from(first)..limit {
        // SAFETY: close(2) on a number, as close_range above, for the same reasons;
        // numbers that are not open give EBADF, which is ignored.
        unsafe { libc::close(fd as libc::c_int) };
    }
}
