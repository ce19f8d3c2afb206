//! The minimal init: the sandbox's first process stays pid 1, forks the daemon (pid 2),
//! passes signals on to it, reaps every process that ends up orphaned in the namespace,
//! and exits with the daemon's status.
//!
//! Without it the daemon itself is pid 1: every orphan of the namespace is reparented to
//! it, and a daemon that does not reap children it never knew about collects zombies.

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

use crate::error::{Error, Step};
use crate::sys;

/// Blocks `signals` and SIGCHLD, forks the daemon, and returns in the daemon only, after
/// unblocking them and giving them their default action back (the daemon is no init: they
/// act on it as on any process). The init (pid 1) goes on in [`run`] and never returns.
///
/// Called after proc is mounted and before anything else: the rest of the setup, its
/// report to the original process included, happens in the daemon, whose own
/// `/proc/self/fd` is the one captured. `pivot_root` moves the init's root along (it
/// shares the mount namespace).
pub(crate) fn start(signals: &[i32]) -> Result<(), Error> {
    let mut blocked = signals.to_vec();
    blocked.push(Signal::CHILD.as_raw());
    let old = sys::block_signals(&blocked).map_err(|e| Error::setup(Step::Init, &e))?;
    match sandbox_process::fork() {
        Ok(sandbox_process::Fork::Parent(child)) => run(child.pid(), signals),
        Ok(sandbox_process::Fork::Child) => {
            sys::default_signals(signals).map_err(|e| Error::setup(Step::Init, &e))?;
            sys::set_signal_mask(&old).map_err(|e| Error::setup(Step::Init, &e))?;
            Ok(())
        }
        Err(e) => {
            let _ = sys::set_signal_mask(&old);
            Err(Error::setup(Step::Init, &e))
        }
    }
}

/// The init's life: close everything it holds (the daemon has its own copies, and a copy
/// kept here would hide an end-of-file from whoever waits for one), then take each signal
/// in `signals` and send it on to the daemon, reap every child, and when the daemon is
/// reaped exit with its code, or 128 + the signal that killed it (pid 1 cannot die of a
/// signal it sends itself).
///
/// It keeps only `CAP_KILL` (to signal a daemon that changed its uid) and runs under the
/// default seccomp filter, whatever filter the daemon gets: it needs only wait, sigwait,
/// kill and exit. A failure here can no longer be reported: the init exits instead, which
/// ends the namespace, and the original process sees the sandbox vanish during setup.
fn run(daemon: Pid, signals: &[i32]) -> ! {
    sys::close_from(0);
    if crate::harden::drop_capabilities(rustix::thread::CapabilitySet::KILL).is_err() {
        sys::exit_now(SETUP_LOST)
    }
    let filtered = sandbox_seccomp::Filter::default_deny()
        .compile()
        .and_then(|program| program.install());
    if filtered.is_err() {
        sys::exit_now(SETUP_LOST)
    }
    let mut waited = signals.to_vec();
    waited.push(Signal::CHILD.as_raw());
    loop {
        loop {
            match rustix::process::wait(WaitOptions::NOHANG) {
                Ok(Some((pid, status))) => {
                    if pid == daemon {
                        let code = match status.terminating_signal() {
                            Some(signal) => 128 + signal,
                            None => status.exit_status().unwrap_or(0),
                        };
                        sys::exit_now(code)
                    }
                }
                Ok(None) | Err(Errno::INTR) => break,
                // ECHILD: the daemon is gone and was reaped (it cannot be: we reap it
                // above); anything else leaves no way to learn its status.
                Err(_) => sys::exit_now(SETUP_LOST),
            }
        }
        match sys::wait_signal(&waited) {
            Ok(signal) if signal != Signal::CHILD.as_raw() => {
                // The daemon may be gone already: its SIGCHLD follows.
                if let Some(signal) = Signal::from_named_raw(signal) {
                    let _ = rustix::process::kill_process(daemon, signal);
                }
            }
            _ => {}
        }
    }
}

/// Exit code of the init when it can no longer wait for the daemon.
const SETUP_LOST: i32 = 125;
