//! The only unsafe code of this crate: `unshare(2)`, which rustix marks unsafe because of
//! `CLONE_FILES`, and the `PIDFD_GET_*_NAMESPACE` ioctls, which rustix does not wrap.

use rustix::io::Errno;
use rustix::thread::UnshareFlags;

use crate::Namespaces;

/// `unshare(namespaces)`. Bits of `namespaces` that are not namespace types (which
/// [`Namespaces::from_bits_retain`] lets through) are left out.
pub(crate) fn unshare(namespaces: Namespaces) -> Result<(), Errno> {
    let flags = UnshareFlags::from_bits_retain((namespaces & Namespaces::all()).bits());
    // SAFETY: `unshare_unsafe` is unsafe only because `CLONE_FILES` can leave threads with
    // different file descriptor tables. `flags` holds only `CLONE_NEW*` namespace bits:
    // `Namespaces::all()` has no FILES flag, and everything outside it was masked off
    // just above.
    unsafe { rustix::thread::unshare_unsafe(flags) }
}

/// `CLONE_THREAD` (`<linux/sched.h>`), which rustix's `UnshareFlags` does not name.
const CLONE_THREAD: u32 = 0x0001_0000;

/// `unshare(CLONE_THREAD)`, which changes nothing and which the kernel refuses with
/// `EINVAL` exactly when the calling process has another thread: the cheapest way to ask
/// whether it has one (no proc, no path walk).
pub(crate) fn unshare_thread() -> Result<(), Errno> {
    // SAFETY: as in `unshare`: the flags hold no `CLONE_FILES`. A process with one thread
    // shares its thread group with no one, so the kernel has nothing to unshare.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::from_bits_retain(CLONE_THREAD)) }
}

/// `ioctl(pidfd, PIDFD_GET_<type>_NAMESPACE)` (Linux 6.11): a new descriptor on the
/// namespace of type `number` (the `nr` of the `_IO(0xFF, nr)` request) that the process
/// behind `pidfd` is in.
pub(crate) fn pidfd_namespace(
    pidfd: std::os::fd::BorrowedFd<'_>,
    number: u8,
) -> Result<std::os::fd::OwnedFd, Errno> {
    // SAFETY: the PIDFD_GET_*_NAMESPACE requests take no argument (the pointer passed is
    // null and never read), so the call touches no memory of ours; `GetNamespace` turns
    // the non-negative return value, a new descriptor nothing else owns, into an OwnedFd.
    unsafe { rustix::ioctl::ioctl(pidfd, GetNamespace(number)) }
}

/// The `PIDFD_GET_*_NAMESPACE` request with number `.0`, whose return value is a new
/// descriptor.
struct GetNamespace(u8);

// SAFETY: the request is `_IO(PIDFS_IOCTL_MAGIC, nr)`: no argument, nothing read or
// written through the pointer, and the kernel returns a new descriptor or an error.
unsafe impl rustix::ioctl::Ioctl for GetNamespace {
    type Output = std::os::fd::OwnedFd;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> rustix::ioctl::Opcode {
        /// `PIDFS_IOCTL_MAGIC` of `<linux/pidfd.h>`.
        const PIDFS_IOCTL_MAGIC: u8 = 0xFF;
        rustix::ioctl::opcode::none(PIDFS_IOCTL_MAGIC, self.0)
    }

    fn as_ptr(&mut self) -> *mut std::ffi::c_void {
        std::ptr::null_mut()
    }

    unsafe fn output_from_ptr(
        out: rustix::ioctl::IoctlOutput,
        _extract_output: *mut std::ffi::c_void,
    ) -> rustix::io::Result<Self::Output> {
        use std::os::fd::FromRawFd;
        // SAFETY: rustix calls this only for a non-negative return value, which for these
        // requests is a descriptor the kernel just opened for us.
        Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(out) })
    }
}
