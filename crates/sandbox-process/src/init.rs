//! The minimal init: pid 1 stays behind, forks the daemon, passes signals on to it, reaps
//! every process that ends up orphaned in the namespace, and exits with the daemon's
//! status.

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

use crate::signal::{
    block_signals, default_signals, exit_now, set_signal_mask, wait_signal, SignalSet,
};
use crate::{sys, Error, Fork};

/// The exit code of the init ([`start_init`]) when it cannot go on: `confine_init`
/// failed, or waiting for its children failed in a way that leaves no status to pass on.
pub const INIT_FAILED: i32 = 125;

/// Turns the calling process into a minimal init and returns in a new child, the daemon,
/// only. The init stays behind as the parent and never returns.
///
/// Without an init the daemon itself is pid 1 of its pid namespace: every orphan of the
/// namespace is reparented to it, and a daemon that does not reap children it never knew
/// about collects zombies; and it ignores every signal it has no handler for. With one,
/// the daemon is pid 2 and an ordinary process.
///
/// 1. Blocks `forward` and `SIGCHLD` ([`block_signals`]) and [`fork`](crate::fork)s.
/// 2. In the daemon: gives `forward` their default action again ([`default_signals`]),
///    restores the signal mask from before, and returns `Ok(())`.
/// 3. In the init: runs `confine_init` (to drop what the init does not need: its
///    capabilities, a seccomp filter; its error is dropped), closes every descriptor it
///    holds, stdin, stdout and stderr included (the daemon has its own copies, and a copy
///    kept here would hide an end-of-file from whoever waits for one), then loops: reaps
///    every child that ended (`waitpid(-1, WNOHANG)`), takes one signal of `forward` or
///    `SIGCHLD` ([`wait_signal`]) and sends a forwarded one on to the daemon. When the
///    daemon is reaped the init exits with its exit code, or 128 + the signal that killed
///    it (pid 1 cannot die of a signal it sends itself), noting that signal in the armed
///    [`SignalNote`](crate::SignalNote), if any, for the parent to pass on. When `confine_init` fails, or
///    waiting fails otherwise than by `EINTR`, it exits with [`INIT_FAILED`]: nothing can
///    be reported any more, and the end of pid 1 ends the namespace.
///
/// Call it in pid 1 of a new pid namespace (the first child after
/// `unshare(CLONE_NEWPID)`), early: before anything whose descriptors or mounts the
/// daemon should own alone, and before any thread starts (the fork needs a
/// single-threaded process). `forward` should not hold `SIGKILL` or `SIGSTOP`, which
/// cannot be blocked and reach pid 1 from an ancestor namespace anyway. Whatever the
/// calling process holds (memory, descriptors) the init keeps until it exits, without
/// running any destructor.
///
/// # Errors
///
/// In the calling process (then nothing was forked, and the mask is restored):
/// [`Error::SignalMask`], [`Error::SingleThreaded`], [`Error::Fork`]. In the daemon:
/// [`Error::DefaultSignal`], [`Error::SignalMask`]; the init then goes on, and ends with
/// the daemon.
///
/// ```no_run
/// use rustix::process::Signal;
/// use sandbox_process::start_init;
///
/// // In pid 1 of a new pid namespace:
/// let forward = [Signal::TERM, Signal::INT, Signal::HUP];
/// start_init(&forward, || -> Result<(), std::io::Error> {
///     // The init's own confinement: drop capabilities, install a seccomp filter, ...
///     Ok(())
/// })?;
/// // Only the daemon (pid 2) gets here.
/// # Ok::<(), sandbox_process::Error>(())
/// ```
pub fn start_init<E>(
    forward: &[Signal],
    confine_init: impl FnOnce() -> Result<(), E>,
) -> Result<(), Error> {
    let blocked: SignalSet = forward.iter().copied().chain([Signal::CHILD]).collect();
    let old = block_signals(&blocked)?;
    match crate::fork() {
        Ok(Fork::Parent(child)) => run(child.pid(), &blocked, confine_init),
        Ok(Fork::Child) => {
            default_signals(forward)?;
            set_signal_mask(&old)?;
            Ok(())
        }
        Err(e) => {
            let _ = set_signal_mask(&old);
            Err(e)
        }
    }
}

/// The init's life, after the fork: `waited` are the forwarded signals and `SIGCHLD`.
fn run<E>(daemon: Pid, waited: &SignalSet, confine_init: impl FnOnce() -> Result<(), E>) -> ! {
    // Before the descriptors are closed: whatever the closure owns (descriptors in its
    // error included) is dropped while it still names what it owned.
    let confined = confine_init().is_ok();
    sys::close_from_in_init(0);
    if !confined {
        exit_now(INIT_FAILED)
    }
    loop {
        loop {
            match rustix::process::wait(WaitOptions::NOHANG) {
                Ok(Some((pid, status))) => {
                    if pid == daemon {
                        let code = match status.terminating_signal() {
                            Some(signal) => {
                                // Pid 1 cannot die of it: the armed note tells the parent
                                // (and the code agrees with what the note says).
                                128 + sys::note_signal(signal)
                            }
                            None => status.exit_status().unwrap_or(0),
                        };
                        exit_now(code)
                    }
                }
                Ok(None) | Err(Errno::INTR) => break,
                // ECHILD: the daemon is gone and was reaped (it cannot be: we reap it
                // above); anything else leaves no way to learn its status.
                Err(_) => exit_now(INIT_FAILED),
            }
        }
        match wait_signal(waited) {
            // The daemon may be gone already: its SIGCHLD follows.
            Ok(signal) if signal != Signal::CHILD => {
                let _ = rustix::process::kill_process(daemon, signal);
            }
            _ => {}
        }
    }
}
