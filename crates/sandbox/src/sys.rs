//! The few calls rustix has no safe wrapper for: `_exit(2)` and resetting a signal's
//! disposition, the signal mask, `close_range(2)`, and the few calls on descriptors known
//! only by number (the ones a process inherited). All of this crate's `unsafe` is here.

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use rustix::io::FdFlags;

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

/// The errno the last failed libc call left.
fn last_errno() -> rustix::io::Errno {
    rustix::io::Errno::from_io_error(&std::io::Error::last_os_error())
        .unwrap_or(rustix::io::Errno::INVAL)
}

/// `fcntl(fd, cmd, arg)` on a descriptor known only by number, which may not be open
/// (EBADF then). Raw: a `BorrowedFd` must name an open descriptor, which is what the
/// callers are finding out.
fn fcntl_raw(
    fd: RawFd,
    cmd: libc::c_int,
    arg: libc::c_int,
) -> Result<libc::c_int, rustix::io::Errno> {
    // SAFETY: F_GETFD, F_SETFD and F_GETFL take and return integers only; on a number that
    // is not open the kernel answers EBADF. Nothing is closed or borrowed.
    let rc = unsafe { libc::fcntl(fd, cmd, arg) };
    if rc >= 0 {
        Ok(rc)
    } else {
        Err(last_errno())
    }
}

/// `fcntl(fd, F_GETFD)` on a descriptor known only by number (EBADF when it is not open).
pub(crate) fn fd_flags(fd: RawFd) -> Result<FdFlags, rustix::io::Errno> {
    fcntl_raw(fd, libc::F_GETFD, 0).map(|f| FdFlags::from_bits_retain(f as u32))
}

/// `fcntl(fd, F_SETFD, flags)` on a descriptor known only by number.
pub(crate) fn set_fd_flags(fd: RawFd, flags: FdFlags) -> Result<(), rustix::io::Errno> {
    fcntl_raw(fd, libc::F_SETFD, flags.bits() as libc::c_int).map(drop)
}

/// `fcntl(fd, F_GETFL)` on a descriptor known only by number: its access mode and
/// status flags (`O_PATH` among them).
pub(crate) fn fd_status_flags(fd: RawFd) -> Result<rustix::fs::OFlags, rustix::io::Errno> {
    fcntl_raw(fd, libc::F_GETFL, 0).map(|f| rustix::fs::OFlags::from_bits_retain(f as u32))
}

/// Puts a copy of `src` at the number `target` (`dup3(2)`), closing whatever `target`
/// named before, with close-on-exec as asked.
pub(crate) fn dup_onto(
    src: BorrowedFd<'_>,
    target: RawFd,
    cloexec: bool,
) -> Result<(), rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let flags = if cloexec { libc::O_CLOEXEC } else { 0 };
    // SAFETY: dup3 takes integers. `target` is a descriptor the caller kept from before
    // entering (no Rust object of this crate owns it); the kernel closes what it named and
    // puts the copy there atomically, so the caller's owner of that number stays valid.
    let rc = unsafe { libc::dup3(src.as_raw_fd(), target, flags) };
    if rc >= 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// `close_range(first, last, 0)` (Linux 5.9): closes every descriptor in the range.
pub(crate) fn close_range(first: u32, last: u32) -> Result<(), rustix::io::Errno> {
    // SAFETY: the close_range syscall takes three integers. The callers pass ranges that
    // leave out every descriptor the sandbox itself still uses and the ones the daemon
    // kept; what it closes belongs to no Rust object this crate uses afterwards (values of
    // the daemon that own them must not be used inside, as the docs say).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: creates a new, anonymous session keyring
/// and makes it the calling process's.
pub(crate) fn join_new_session_keyring() -> Result<(), rustix::io::Errno> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl with this operation takes a name pointer, here NULL (an anonymous
    // keyring); no memory of ours is read or written.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if rc >= 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// Opens `fd` again as an `O_PATH` directory descriptor of our own (`openat(fd, ".")`):
/// ENOTDIR when it is not a directory, EBADF when it is not open.
pub(crate) fn reopen_directory(fd: RawFd) -> Result<OwnedFd, rustix::io::Errno> {
    use std::os::fd::FromRawFd;
    // SAFETY: openat with a descriptor number (EBADF when it is not open), a NUL-terminated
    // literal path and integer flags; it only reads the path.
    let rc = unsafe {
        libc::openat(
            fd,
            c".".as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if rc < 0 {
        return Err(last_errno());
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(rc) })
}

/// Opens the file `fd` names again as an `O_PATH` descriptor of our own, through its
/// `/proc/self/fd` link (which works for any file, also one opened `O_PATH`).
pub(crate) fn reopen_file(fd: RawFd) -> Result<OwnedFd, rustix::io::Errno> {
    rustix::fs::openat(
        rustix::fs::CWD,
        format!("/proc/self/fd/{fd}"),
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
}

/// The file offset of `fd` (`lseek(fd, 0, SEEK_CUR)`); 0 for what has none (a pipe).
pub(crate) fn fd_offset(fd: RawFd) -> Result<u64, rustix::io::Errno> {
    // SAFETY: lseek takes integers; on a number that is not open the kernel answers EBADF.
    let off = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
    match off {
        -1 => match last_errno() {
            rustix::io::Errno::SPIPE => Ok(0),
            e => Err(e),
        },
        off => Ok(off as u64),
    }
}

/// Closes a descriptor inherited from the caller, known only by number. Errors are
/// ignored: after close(2) the number is free whatever it says.
pub(crate) fn close_fd(fd: RawFd) {
    // SAFETY: close(2) on a number. The callers pass only numbers that no Rust object of
    // this crate still uses (they leave out the sandbox's own descriptors and the kept
    // ones); owners in the daemon's code must not use or drop them inside, as the docs of
    // `InheritedFds::Close` say.
    unsafe { libc::close(fd) };
}

/// `close_range(first, last, CLOSE_RANGE_CLOEXEC)` (Linux 5.11): marks every descriptor
/// in the range close-on-exec. ENOSYS or EINVAL on older kernels.
pub(crate) fn close_range_cloexec(first: u32, last: u32) -> Result<(), rustix::io::Errno> {
    // SAFETY: the close_range syscall takes three integers; with CLOSE_RANGE_CLOEXEC it
    // closes nothing and touches no memory.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            last as libc::c_uint,
            libc::CLOSE_RANGE_CLOEXEC as libc::c_uint,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// Closes every descriptor from `first` up: `close_range(first, ~0, 0)` (Linux 5.9), else
/// one by one below the soft `RLIMIT_NOFILE`. For a process that owns nothing any more
/// (the minimal init after forking the daemon).
pub(crate) fn close_from(first: u32) {
    // The only caller is the init process, which holds no Rust object owning a descriptor
    // from `first` up that it uses afterwards.
    if close_range(first, u32::MAX).is_err() {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(1024)
            .min(1 << 20);
        for fd in u64::from(first)..limit {
            close_fd(fd as RawFd);
        }
    }
}

/// A set of signals (`sigset_t`) made of raw signal numbers.
fn sigset(signals: &[i32]) -> libc::sigset_t {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the whole set behind the valid pointer.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: initialised just above.
    let mut set = unsafe { set.assume_init() };
    for &signal in signals {
        // SAFETY: `set` is an initialised sigset_t; an invalid number only gives EINVAL.
        unsafe { libc::sigaddset(&mut set, signal) };
    }
    set
}

/// Blocks `signals` in the calling thread; returns the mask from before.
pub(crate) fn block_signals(signals: &[i32]) -> Result<libc::sigset_t, rustix::io::Errno> {
    let set = sigset(signals);
    let mut old = sigset(&[]);
    // SAFETY: both pointers are valid, initialised sigset_t for the duration of the call.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
    if rc == 0 {
        Ok(old)
    } else {
        Err(rustix::io::Errno::from_raw_os_error(rc))
    }
}

/// Sets the calling thread's signal mask.
pub(crate) fn set_signal_mask(mask: &libc::sigset_t) -> Result<(), rustix::io::Errno> {
    // SAFETY: `mask` is a valid sigset_t; a null old-mask pointer asks for nothing back.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, mask, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(rustix::io::Errno::from_raw_os_error(rc))
    }
}

/// Waits for one of the (blocked) `signals` and takes it: `sigwaitinfo(2)`.
pub(crate) fn wait_signal(signals: &[i32]) -> Result<i32, rustix::io::Errno> {
    let set = sigset(signals);
    // SAFETY: `set` is a valid sigset_t; a null info pointer asks for no siginfo.
    let rc = unsafe { libc::sigwaitinfo(&set, std::ptr::null_mut()) };
    if rc > 0 {
        Ok(rc)
    } else {
        Err(last_errno())
    }
}

/// Gives `signals` their default disposition again (`SIG_DFL`).
pub(crate) fn default_signals(signals: &[i32]) -> Result<(), rustix::io::Errno> {
    for &signal in signals {
        // SAFETY: SIG_DFL installs no handler code; the call touches no memory of ours.
        if unsafe { libc::signal(signal, libc::SIG_DFL) } == libc::SIG_ERR {
            return Err(last_errno());
        }
    }
    Ok(())
}
