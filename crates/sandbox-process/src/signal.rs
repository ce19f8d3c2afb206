//! Signals for a process that supervises a child or is pid 1: sets, the mask, taking a
//! signal synchronously, dispositions, and ending the process as a signal would.

use std::fmt;

use rustix::process::Signal;

use crate::error::SignalName;
use crate::{sys, Error, ExitStatus};

/// A set of signals: a `sigset_t`.
///
/// ```
/// use rustix::process::Signal;
/// use sandbox_process::SignalSet;
///
/// let set: SignalSet = [Signal::TERM, Signal::INT].into_iter().collect();
/// assert!(set.contains(Signal::TERM));
/// assert!(!set.contains(Signal::HUP));
/// ```
#[derive(Clone, Copy)]
pub struct SignalSet(sys::SigSet);

impl SignalSet {
    /// The empty set (`sigemptyset`).
    #[doc(alias = "sigemptyset")]
    pub fn empty() -> Self {
        SignalSet(sys::SigSet::empty())
    }

    /// Adds `signal` (`sigaddset`).
    #[doc(alias = "sigaddset")]
    pub fn insert(&mut self, signal: Signal) {
        self.0.insert(signal.as_raw());
    }

    /// Whether `signal` is in the set (`sigismember`).
    #[doc(alias = "sigismember")]
    pub fn contains(&self, signal: Signal) -> bool {
        self.0.contains(signal.as_raw())
    }

    /// The signal numbers in the set, from 1 up to the last real-time signal.
    fn numbers(&self) -> impl Iterator<Item = i32> + '_ {
        (1..=libc::SIGRTMAX()).filter(|&n| self.0.contains(n))
    }
}

impl Default for SignalSet {
    fn default() -> Self {
        SignalSet::empty()
    }
}

impl FromIterator<Signal> for SignalSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(signals: I) -> Self {
        let mut set = SignalSet::empty();
        set.extend(signals);
        set
    }
}

impl Extend<Signal> for SignalSet {
    fn extend<I: IntoIterator<Item = Signal>>(&mut self, signals: I) {
        for signal in signals {
            self.insert(signal);
        }
    }
}

/// `{SIGINT, SIGTERM}`.
impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.numbers().map(|n| format!("{}", SignalName(n))))
            .finish()
    }
}

impl PartialEq for SignalSet {
    fn eq(&self, other: &SignalSet) -> bool {
        self.numbers().eq(other.numbers())
    }
}

impl Eq for SignalSet {}

/// Blocks the signals of `set` in the calling thread, in addition to those already
/// blocked: `pthread_sigmask(SIG_BLOCK, set)`. Returns the mask from before, to give
/// back to [`set_signal_mask`].
///
/// A blocked signal stays pending until it is unblocked or taken with [`wait_signal`].
/// `SIGKILL` and `SIGSTOP` cannot be blocked (the kernel leaves them out). The mask is
/// the calling thread's, and a forked child inherits it.
///
/// # Errors
///
/// [`Error::SignalMask`] with the errno of `pthread_sigmask` (`EINVAL` only for a bad
/// argument, which this cannot pass; a seccomp filter may refuse it).
#[doc(alias = "sigprocmask", alias = "pthread_sigmask", alias = "SIG_BLOCK")]
pub fn block_signals(set: &SignalSet) -> Result<SignalSet, Error> {
    sys::block(&set.0)
        .map(SignalSet)
        .map_err(|errno| Error::SignalMask { errno })
}

/// Makes `mask` the calling thread's signal mask: `pthread_sigmask(SIG_SETMASK, mask)`.
/// The way back from [`block_signals`]; signals unblocked here that are pending are
/// delivered at once.
///
/// # Errors
///
/// [`Error::SignalMask`] with the errno of `pthread_sigmask`.
#[doc(
    alias = "sigprocmask",
    alias = "pthread_sigmask",
    alias = "SIG_SETMASK"
)]
pub fn set_signal_mask(mask: &SignalSet) -> Result<(), Error> {
    sys::set_mask(&mask.0).map_err(|errno| Error::SignalMask { errno })
}

/// Waits until one of the signals of `set` is pending and takes it, without running any
/// handler: `sigwaitinfo(2)`. The signals must be blocked first ([`block_signals`]): an
/// unblocked one may be delivered to its handler (or its default action) instead.
///
/// # Errors
///
/// [`Error::SignalWait`]: `EINTR` when a signal outside `set` ran a handler meanwhile
/// (call again), anything else from a seccomp filter.
#[doc(alias = "sigwaitinfo", alias = "sigwait")]
pub fn wait_signal(set: &SignalSet) -> Result<Signal, Error> {
    sys::wait_signal(&set.0).map_err(|errno| Error::SignalWait { errno })
}

/// Gives each of `signals` its default action again (`signal(sig, SIG_DFL)`): what a
/// process that inherited handlers or ignored signals (a forked child of pid 1, say)
/// does before it runs as an ordinary process.
///
/// # Errors
///
/// [`Error::DefaultSignal`] for the first signal that fails (`EINVAL` for `SIGKILL` and
/// `SIGSTOP`, whose action cannot change); those before it are changed.
#[doc(alias = "SIG_DFL", alias = "signal")]
pub fn default_signals(signals: &[Signal]) -> Result<(), Error> {
    for &signal in signals {
        sys::default_action(signal).map_err(|errno| Error::DefaultSignal { signal, errno })?;
    }
    Ok(())
}

/// Makes each of `signals` that is at its default action end the process with exit code
/// `128 + signal`: what pid 1 of a pid namespace needs.
///
/// The init of a pid namespace ignores every signal it has no handler for, except
/// `SIGKILL` and `SIGSTOP` from an ancestor namespace: without a handler, `SIGTERM` from a
/// supervisor, or a parent-death signal, would do nothing to it. With these handlers
/// such a signal ends it, with the exit code a shell gives a process killed by that
/// signal; an armed [`SignalNote`] records which signal it was, so that the parent can
/// tell that end from an `exit(128 + signal)` of the daemon's own.
///
/// The daemon's own handlers take over, however and whenever they are installed:
/// - one installed before this call keeps its place (only signals at their default action
///   get the handler), and so does `SIG_IGN` (as `nohup` leaves `SIGHUP`; see
///   [`unignore_signals`]);
/// - one installed later with a plain `sigaction(2)` replaces this one;
/// - one installed later by a library that keeps the previous handler and calls it first
///   (`signal-hook`, and `tokio::signal`, which uses it): this handler sees that it is no
///   longer the installed one and returns at once, so the daemon's runs. (A signal that
///   arrives while such a library is swapping handlers on another thread may find the
///   new handler installed and be lost to both; libraries install before they serve.)
///
/// The handler queries the disposition (`sigaction(2)`), calls `getpid(2)` and `_exit(2)`:
/// all async-signal-safe. Should the query fail (a seccomp filter answering it with an
/// errno) the handler ends the process anyway. In a process forked from pid 1, which
/// inherits these handlers, the signal instead ends the process as it would any ordinary
/// one (the handler gives it its default action back and raises it). The handlers are
/// reset by `execve`.
///
/// # Errors
///
/// [`Error::ExitOnSignal`] for the first signal that fails (`EINVAL` for `SIGKILL` and
/// `SIGSTOP`); those before it have their handler.
#[doc(alias = "sigaction")]
pub fn exit_on_signals(signals: &[Signal]) -> Result<(), Error> {
    for &signal in signals {
        sys::exit_on(signal).map_err(|errno| Error::ExitOnSignal { signal, errno })?;
    }
    Ok(())
}

/// Gives each of `signals` that is ignored (`SIG_IGN`) its default action back; a signal
/// with a handler keeps it. For a signal the process must not ignore, such as the
/// parent-death signal, before [`exit_on_signals`].
///
/// # Errors
///
/// [`Error::DefaultSignal`] for the first signal whose disposition cannot be read or
/// changed.
pub fn unignore_signals(signals: &[Signal]) -> Result<(), Error> {
    for &signal in signals {
        sys::unignore(signal).map_err(|errno| Error::DefaultSignal { signal, errno })?;
    }
    Ok(())
}

/// A note, in a page of memory shared across [`fork`](crate::fork), of the signal that
/// really ended pid 1 of a pid namespace (or, under [`start_init`](crate::start_init),
/// the daemon it forked).
///
/// Pid 1 cannot die of a signal sent from inside its namespace, nor of one it raises
/// itself: when [`exit_on_signals`]' handler or the init ends it "as" a signal, the
/// parent only sees exit code `128 + signal`, which a daemon may also choose for itself.
/// With a note, made before the fork and armed in the child, the handler and the init
/// write the signal down before they exit, and the parent's [`resolve`](Self::resolve)
/// turns that status back into death by the signal, which [`exit_like`] then passes on
/// truly.
///
/// The page is the child's to write: a child may write anything there. The parent only
/// believes a note that agrees with the exit code (`128 + signal`) and names a signal
/// whose default action ends a process (never a stop signal: the parent would stop), and
/// [`exit_like`] dumps no core; so the most a lying child can do is make its parent report
/// death by such a signal instead of the code `128 +` that signal, which it could also
/// cause honestly.
///
/// Costs one `mmap(2)` before the fork and one `madvise(2)` after it
/// ([`parent_keep`](Self::parent_keep)), and `munmap(2)` when the parent drops it.
///
/// ```no_run
/// use rustix::process::Signal;
/// use sandbox_process::{fork, Fork, SignalNote};
///
/// // In a process that has unshared a pid namespace: the child is its pid 1.
/// let note = SignalNote::new()?;
/// match fork()? {
///     Fork::Child => {
///         note.arm();
///         sandbox_process::exit_on_signals(&[Signal::TERM])?;
///         // ... serve ...
///     }
///     Fork::Parent(mut child) => {
///         let status = note.resolve(child.wait()?);
///         sandbox_process::exit_like(status); // dies of SIGTERM if the child did
///     }
/// }
/// # Ok::<(), sandbox_process::Error>(())
/// ```
#[derive(Debug)]
pub struct SignalNote {
    page: sys::NotePage,
}

impl SignalNote {
    /// Maps the shared page (zeroed: no signal noted), before the fork.
    ///
    /// # Errors
    ///
    /// [`Error::SignalNote`] with the errno of `mmap(2)` (`ENOMEM`).
    #[doc(alias = "mmap")]
    pub fn new() -> Result<SignalNote, Error> {
        sys::NotePage::new()
            .map(|page| SignalNote { page })
            .map_err(|errno| Error::SignalNote { errno })
    }

    /// In the child: makes this the note that [`exit_on_signals`]' handlers and
    /// [`start_init`](crate::start_init)'s init write to. The page stays mapped in this
    /// process from then on.
    pub fn arm(self) {
        self.page.arm();
    }

    /// In the parent after the fork: the page is not passed on to children forked later
    /// (`MADV_DONTFORK`), so that it stays a channel between this process and the one
    /// child it is for, not between that child and every later one.
    ///
    /// # Errors
    ///
    /// [`Error::SignalNote`] with the errno of `madvise(2)`; the note still works.
    #[doc(alias = "MADV_DONTFORK")]
    pub fn parent_keep(&self) -> Result<(), Error> {
        self.page
            .keep_from_later_forks()
            .map_err(|errno| Error::SignalNote { errno })
    }

    /// The signal noted so far, if any: one whose default action ends a process.
    pub fn signal(&self) -> Option<i32> {
        let noted = self.page.load();
        sys::ends_by_default(noted).then_some(noted)
    }

    /// In the parent, once the child ended with `status`: death by the noted signal when
    /// the child exited with `128 +` that signal, else `status` unchanged.
    pub fn resolve(&self, status: ExitStatus) -> ExitStatus {
        match (status, self.signal()) {
            (ExitStatus::Exited(code), Some(signal)) if code == 128 + signal => {
                ExitStatus::Signaled {
                    signal,
                    core_dumped: false,
                }
            }
            _ => status,
        }
    }
}

/// Ends the process at once with `code`: `_exit(2)`, without running atexit handlers,
/// destructors or flushing stdio buffers. What a forked child calls to end: the buffers it
/// holds are copies of its parent's, and flushing them would print the parent's pending
/// output twice.
#[doc(alias = "_exit")]
pub fn exit_now(code: i32) -> ! {
    sys::exit(code)
}

/// Ends the process as if `signal` had killed it, so that whoever waits for it sees the
/// same status (`WIFSIGNALED`, `WTERMSIG`): gives `signal` its default action, unblocks it
/// and raises it, without dumping core. When the signal does not end the process (its
/// default action is to ignore, to stop or to continue, or it is no signal number) the
/// process exits with code `128 + signal` instead, as a shell reports such a death, and
/// never raises it: a stop signal would stop it. Pid 1 of a pid namespace
/// cannot die of a signal it sends itself, and so exits with that code too.
///
/// Takes a number, as [`ExitStatus::signal`] gives it (real-time signals included).
/// Nothing is flushed; see [`exit_now`].
#[doc(alias = "raise")]
pub fn exit_like_signal(signal: i32) -> ! {
    sys::exit_like_signal(signal)
}

/// Ends the process the way `status` says a child ended: with the same exit code
/// ([`exit_now`]), or dying of the same signal ([`exit_like_signal`]). What a supervisor
/// that only waits for its child does last, so that its own parent sees the child's end.
pub fn exit_like(status: ExitStatus) -> ! {
    match status.signal() {
        Some(signal) => exit_like_signal(signal),
        None => exit_now(status.code()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_believed_only_for_a_matching_code_and_a_signal_that_ends() {
        let note = SignalNote::new().expect("mmap a page");
        let exited = |code| ExitStatus::Exited(code);
        assert_eq!(note.resolve(exited(143)), exited(143), "nothing noted");
        note.page.store_for_test(libc::SIGTERM);
        assert_eq!(
            note.resolve(exited(143)),
            ExitStatus::Signaled {
                signal: libc::SIGTERM,
                core_dumped: false
            }
        );
        assert_eq!(note.resolve(exited(0)), exited(0), "another code");
        // A lying child: a stop signal would stop the parent instead of ending it.
        for stop in [libc::SIGSTOP, libc::SIGTSTP, libc::SIGTTIN, libc::SIGCHLD] {
            note.page.store_for_test(stop);
            assert_eq!(
                note.resolve(exited(128 + stop)),
                exited(128 + stop),
                "{stop}"
            );
        }
        for garbage in [-1, 0, 65, i32::MAX] {
            note.page.store_for_test(garbage);
            assert_eq!(note.signal(), None, "{garbage}");
        }
    }

    #[test]
    fn a_set_holds_what_was_inserted() {
        let mut set = SignalSet::empty();
        assert!(!set.contains(Signal::TERM));
        set.insert(Signal::TERM);
        set.extend([Signal::INT, Signal::CHILD]);
        assert!(set.contains(Signal::TERM) && set.contains(Signal::INT));
        assert!(set.contains(Signal::CHILD) && !set.contains(Signal::HUP));
        assert_eq!(format!("{set:?}"), r#"{"SIGINT", "SIGTERM", "SIGCHLD"}"#);
        let same: SignalSet = [Signal::CHILD, Signal::INT, Signal::TERM]
            .into_iter()
            .collect();
        assert_eq!(set, same);
        assert_ne!(set, SignalSet::default());
    }
}
