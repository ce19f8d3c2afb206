//! The crate's only unsafe code: the `mount_setattr(2)` system call, which rustix does
//! not wrap.

use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::io::Errno;

/// `AT_EMPTY_PATH`: act on the descriptor itself.
const AT_EMPTY_PATH: libc::c_uint = 0x1000;
/// `AT_RECURSIVE`: the mount and every mount below it.
const AT_RECURSIVE: libc::c_uint = 0x8000;

/// `struct mount_attr` of `<linux/mount.h>` (`MOUNT_ATTR_SIZE_VER0`, 32 bytes).
#[repr(C)]
struct MountAttrArg {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `mount_setattr(dir, "", AT_EMPTY_PATH[|AT_RECURSIVE], {attr_set, attr_clr}, 32)`.
pub(crate) fn mount_setattr(
    dir: BorrowedFd<'_>,
    recursive: bool,
    attr_set: u64,
    attr_clr: u64,
) -> Result<(), Errno> {
    let mut flags = AT_EMPTY_PATH;
    if recursive {
        flags |= AT_RECURSIVE;
    }
    let attr = MountAttrArg {
        attr_set,
        attr_clr,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: the path is a valid NUL-terminated string (empty, with AT_EMPTY_PATH the
    // kernel acts on `dir`, a descriptor we borrow for the call); `attr` is a live,
    // initialised `struct mount_attr` whose size we pass, and the kernel only reads it.
    // The syscall touches no other memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dir.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const MountAttrArg,
            std::mem::size_of::<MountAttrArg>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    }
}
