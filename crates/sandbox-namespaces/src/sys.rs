//! The only unsafe code of this crate: `unshare(2)`, which rustix marks unsafe because of
//! `CLONE_FILES`.

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
