//! The few calls rustix has no safe wrapper for: `close_range(2)`, the session keyring,
//! the calls on descriptors known only by number (the ones a process inherited), and for
//! the audit `getsid`/`getpgid` (whose answer may be 0) and Landlock's ABI version, and the
//! fork of the child that makes a shared network namespace. All of
//! this crate's `unsafe` is here, but for the one caller that closes what other owners
//! hold (`fds::seal`). Signals, `_exit` and the init live in `sandbox-process`.

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use rustix::io::FdFlags;

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

/// The device and inode of the open file `fd` names (`fstat`), or `None` when the number
/// is not open.
pub(crate) fn fd_identity(fd: RawFd) -> Option<(u64, u64)> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat(2) on a number fills the local stat buffer and nothing else; on a
    // number that is not open the kernel answers EBADF. It neither closes nor takes over
    // the descriptor, so no owner of it is affected.
    let rc = unsafe { libc::fstat(fd, st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: fstat returned 0, so it filled the whole buffer.
    let st = unsafe { st.assume_init() };
    Some((st.st_dev, st.st_ino))
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
///
/// # Safety
///
/// No owner of a descriptor in the range may use or drop it afterwards.
pub(crate) unsafe fn close_range(first: u32, last: u32) -> Result<(), rustix::io::Errno> {
    // SAFETY: the close_range syscall takes three integers and touches no memory; the
    // caller promises that no owner of a closed descriptor uses it again.
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
///
/// # Safety
///
/// Whatever owns `fd` (a `File`, an `OwnedFd` of the daemon's) must not use or drop it
/// afterwards: the number may name another file by then.
pub(crate) unsafe fn close_fd(fd: RawFd) {
    // SAFETY: close(2) on a number touches no memory; the caller promises that no owner
    // of the number uses it again.
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

/// Whether `getcwd(2)` says `/`: into a buffer of two bytes, on the stack. Any other
/// answer is longer (`ERANGE`, or `ENOENT` for a cwd the kernel calls unreachable): `false`.
pub(crate) fn cwd_is_root() -> Result<bool, rustix::io::Errno> {
    let mut buf = [0u8; 2];
    // SAFETY: getcwd writes at most `buf.len()` bytes into `buf`, which lives for the call.
    let ptr = unsafe { libc::getcwd(buf.as_mut_ptr().cast(), buf.len()) };
    if !ptr.is_null() {
        return Ok(buf == *b"/\0");
    }
    match last_errno() {
        rustix::io::Errno::RANGE | rustix::io::Errno::NOENT => Ok(false),
        errno => Err(errno),
    }
}

/// `getsid(0)` and `getpgid(0)`: the caller's session and process group ids as its pid
/// namespace numbers them, 0 for a leader outside that namespace. (rustix's `getsid` and
/// `getpgrp` return a `Pid`, which cannot be 0.)
pub(crate) fn session_and_group() -> (
    Result<i32, rustix::io::Errno>,
    Result<i32, rustix::io::Errno>,
) {
    // SAFETY: getsid and getpgid take an integer (0: the caller) and touch no memory.
    let (sid, pgid) = unsafe { (libc::getsid(0), libc::getpgid(0)) };
    let result = |id: libc::pid_t| if id >= 0 { Ok(id) } else { Err(last_errno()) };
    (result(sid), result(pgid))
}

/// `keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)`: the serial number of the
/// calling process's session keyring (its user's session keyring when it has none);
/// creates nothing.
pub(crate) fn session_keyring_id() -> Result<i32, rustix::io::Errno> {
    const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
    const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
    // SAFETY: keyctl with this operation takes integers only (the keyring to look up and
    // whether to create it, here not) and touches no memory of ours.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0 as libc::c_long,
        )
    };
    if rc >= 0 {
        Ok(rc as i32)
    } else {
        Err(last_errno())
    }
}

/// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`: the highest
/// Landlock ABI the kernel supports. `ENOSYS` for a kernel built without Landlock,
/// `EOPNOTSUPP` for one that has it but did not enable it at boot (`lsm=`).
pub(crate) fn landlock_abi() -> Result<u32, rustix::io::Errno> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag the kernel reads
    // no memory and creates no ruleset; it returns a number.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0 as libc::size_t,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if rc >= 0 {
        Ok(rc as u32)
    } else {
        Err(last_errno())
    }
}

/// Forks the holder of a new network namespace, for
/// [`SharedNetwork::new`](crate::SharedNetwork::new): the child closes `hold_w` (its copy of
/// the write end the caller keeps), makes a network namespace of its own
/// (`unshare(CLONE_NEWNET)`), writes that call's errno (0 for success) as 4 bytes to
/// `ready`, then waits until `hold` reaches end of file and exits. Returns its pid.
pub(crate) fn fork_network_holder(
    ready: BorrowedFd<'_>,
    hold: BorrowedFd<'_>,
    hold_w: BorrowedFd<'_>,
) -> Result<libc::pid_t, rustix::io::Errno> {
    use std::os::fd::AsRawFd;
    let (ready, hold, hold_w) = (ready.as_raw_fd(), hold.as_raw_fd(), hold_w.as_raw_fd());
    // SAFETY: the child makes only async-signal-safe calls (close, unshare, write, read,
    // _exit) on integers and local buffers, and never returns: sound after a fork even in a
    // process with other threads. The parent only gets a number.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(last_errno());
    }
    if pid > 0 {
        return Ok(pid);
    }
    let errno = |rc: libc::c_int| match rc {
        0 => 0,
        _ => std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL),
    };
    // SAFETY: as above; in the child, closing its copy of the caller's write end is what
    // lets the caller's close reach this read, and _exit runs none of the parent's code.
    unsafe {
        libc::close(hold_w);
        let failed = errno(libc::unshare(libc::CLONE_NEWNET));
        let bytes = failed.to_le_bytes();
        if libc::write(ready, bytes.as_ptr().cast(), bytes.len()) == 4 && failed == 0 {
            let mut byte = 0u8;
            loop {
                let n = libc::read(hold, (&mut byte as *mut u8).cast(), 1);
                if n > 0 || (n < 0 && errno(-1) == libc::EINTR) {
                    continue;
                }
                break;
            }
        }
        libc::_exit(0)
    }
}
