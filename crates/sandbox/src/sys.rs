//! The few calls rustix has no safe wrapper for: `_exit(2)` and resetting a signal's
//! disposition. All of this crate's `unsafe` is here.

/// Ends the process at once with `code`, without running atexit handlers or flushing
/// stdio buffers: in a forked child those belong to the parent, and flushing them would
/// print the parent's pending output twice.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit(2) takes a plain integer, touches no memory of ours and never returns.
    unsafe { libc::_exit(code) }
}

/// Ends the process the way a child died: with the same signal, so that whoever waits for
/// this process sees the same status. Falls back to `exit(128 + signal)` when the signal
/// does not end the process (a stop signal, or one whose default action is to ignore).
pub(crate) fn exit_like_signal(signal: i32) -> ! {
    // SAFETY: signal(2) with SIG_DFL installs no handler code; sigprocmask gets pointers to
    // a local, initialised sigset_t; raise(3) sends a signal to ourselves. None of these
    // touches memory the compiler does not know about.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    // A core-dumping signal may take a moment to be acted on; any that was not fatal leaves
    // us here.
    exit_now(128 + signal)
}

/// Makes each of `signals` end the process with exit code `128 + signal`.
///
/// The init of a pid namespace ignores every signal it has no handler for, except SIGKILL
/// and SIGSTOP from an ancestor namespace: without a handler, SIGTERM from a supervisor or
/// the die-with-parent signal would do nothing to the sandboxed process. A daemon that
/// installs its own handlers afterwards replaces these.
pub(crate) fn exit_on_signals(signals: &[i32]) -> Result<(), rustix::io::Errno> {
    extern "C" fn exit_with_signal(signal: libc::c_int) {
        // SAFETY: _exit(2) is async-signal-safe and takes a plain integer.
        unsafe { libc::_exit(128 + signal) }
    }
    for &signal in signals {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler is
        // an extern "C" fn that only calls the async-signal-safe _exit; the pointers passed
        // to sigaction(2) point to this initialised local.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = exit_with_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(
                rustix::io::Errno::from_io_error(&std::io::Error::last_os_error())
                    .unwrap_or(rustix::io::Errno::INVAL),
            );
        }
    }
    Ok(())
}
