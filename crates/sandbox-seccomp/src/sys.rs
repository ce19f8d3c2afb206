//! The only unsafe code of this crate: the `seccomp(2)` system call, which neither rustix
//! nor seccompiler offers in the form needed (seccompiler's always sets `no_new_privs`
//! and reports `std::io::Error`).

use rustix::io::Errno;
use seccompiler::sock_filter;

/// How `seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)` failed.
pub(crate) enum InstallError {
    /// It returned -1 with this errno.
    Errno(Errno),
    /// TSYNC failed for this thread id.
    Thread(i32),
}

/// `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog)`.
pub(crate) fn set_mode_filter_tsync(program: &[sock_filter]) -> Result<(), InstallError> {
    // The kernel's limit is 4096 instructions (BPF_MAXINSNS), which seccompiler enforces;
    // a length that does not fit the u16 field would be refused by the kernel the same way.
    let len = u16::try_from(program.len()).map_err(|_| InstallError::Errno(Errno::INVAL))?;
    let prog = libc::sock_fprog {
        len,
        // seccompiler's `sock_filter` is `#[repr(C)]` with the fields of the kernel's
        // `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k), the layout of libc's.
        filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    };
    // SAFETY: `prog` points to `len` valid instructions that live until the call returns;
    // the kernel only reads them (copy_from_user) and does not keep the pointer. The
    // flags and operation are constants the kernel validates.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_TSYNC,
            &prog as *const libc::sock_fprog,
        )
    };
    match r {
        0 => Ok(()),
        r if r > 0 => Err(InstallError::Thread(i32::try_from(r).unwrap_or(i32::MAX))),
        _ => Err(InstallError::Errno(last_errno())),
    }
}

/// `seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action)`: `Ok` when the kernel knows `action`.
pub(crate) fn action_available(action: u32) -> Result<(), Errno> {
    let action: u32 = action;
    // SAFETY: the kernel reads one u32 through the pointer, which is valid for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_ACTION_AVAIL,
            0,
            &action as *const u32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

/// The errno the last failed libc call left (no allocation: an OS error is a number).
fn last_errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL)
}
