//! The only unsafe code of this crate: a page of memory that `fork(2)` hands to the
//! child zeroed (`MADV_WIPEONFORK`), which tells a handle, for the price of one load,
//! whether it is still in the process that made it.

use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::sync::Mutex;

/// The page, once mapped: null before the first handle, or when the kernel has no
/// `MADV_WIPEONFORK` (before 4.14), in which case [`owner`] asks `getpid(2)`.
static PAGE: AtomicPtr<AtomicI32> = AtomicPtr::new(std::ptr::null_mut());
/// Serialises the first mapping (handles are rarely made, never on a hot path).
static MAPPING: Mutex<()> = Mutex::new(());

const PAGE_LEN: usize = 4096;

/// Marks the calling process as the owner of the handles it makes from now on, and
/// returns the mark to keep in each: its pid.
pub(crate) fn claim() -> i32 {
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    if let Some(page) = page() {
        page.store(pid, Ordering::SeqCst);
    }
    pid
}

/// The mark of the process running now: its pid if it claimed since its last `fork`, 0
/// in a child that did not (the page was wiped). Without the page, its pid.
pub(crate) fn owner() -> i32 {
    let page = PAGE.load(Ordering::Acquire);
    if page.is_null() {
        return rustix::process::getpid().as_raw_nonzero().get();
    }
    // SAFETY: a non-null PAGE points to a page mapped by `page()` that is never unmapped
    // (in a forked child it stays mapped, zeroed), aligned for an AtomicI32, and only ever
    // accessed atomically.
    unsafe { &*page }.load(Ordering::Acquire)
}

/// The wipe-on-fork page, mapped on first use; `None` if the kernel refuses.
fn page() -> Option<&'static AtomicI32> {
    let _first = MAPPING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut page = PAGE.load(Ordering::Acquire);
    if page.is_null() {
        page = map_wiped_on_fork()?;
        PAGE.store(page, Ordering::Release);
    }
    // SAFETY: as in `owner`: mapped for the life of the process, aligned, atomic only.
    Some(unsafe { &*page })
}

fn map_wiped_on_fork() -> Option<*mut AtomicI32> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
    // no memory of ours; the result is checked.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE_LEN,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if page == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: `page` is the PAGE_LEN mapping made just above, which nothing else uses.
    if unsafe { libc::madvise(page, PAGE_LEN, libc::MADV_WIPEONFORK) } != 0 {
        // Before 4.14: no way to tell a fork by memory; `owner` falls back to getpid.
        // SAFETY: the same mapping, unused by anyone.
        unsafe { libc::munmap(page, PAGE_LEN) };
        return None;
    }
    Some(page.cast())
}
