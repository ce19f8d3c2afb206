//! The only unsafe code of this crate: a page of memory that `fork(2)` hands to the
//! child zeroed (`MADV_WIPEONFORK`), which tells a handle, for the price of one load,
//! whether it is still in the process that made it.
//!
//! The page holds the process's *mark*: 0 until the process makes its first handle, then
//! a number that no handle it inherited can hold. Each handle keeps the mark of the
//! process that made it, and [`mark`] gives the mark of the process running now.
//!
//! A mark is not a pid, because pids repeat across pid namespaces: a pid 1 that makes a
//! handle, unshares a pid namespace and forks has a child that is pid 1 again. Marks come
//! from a counter in ordinary memory ([`ISSUED`]), which a forked child inherits with its
//! value at the fork, whereas its page arrives zeroed. Every handle in a process's memory
//! was made either by the process itself or, before a fork, by an ancestor, whose mark was
//! at most the counter's value at that fork; the child's own mark is drawn from the
//! counter it inherited, so it is larger than all of them, and an inherited handle never
//! matches it. No randomness is needed, and nothing can fail.
//!
//! Without the page (kernels before 4.14, or when the mapping fails) the mark is the pid,
//! read with `getpid(2)` on each check. Then a process that is a namespace's pid 1, such as
//! a sandboxed daemon, and its grandchild that unshared a pid namespace of its own and is
//! pid 1 there, share a mark: an inherited handle passes the check in that grandchild.
//! Which of the two ways a process uses is decided at its first handle and kept for good
//! (a forked child inherits the decision), so marks of both kinds never meet.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// The mark a handle keeps: see the module docs.
pub(crate) type Mark = u64;

/// The page, once decided: null before the first handle; [`NO_PAGE`]'s address when the
/// kernel gave no wipe-on-fork page, in which case marks are pids.
static PAGE: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());

/// The sentinel [`PAGE`] points to when there is no page; it is never read or written.
static NO_PAGE: AtomicU64 = AtomicU64::new(0);

/// The last mark handed out in this process or, before a fork, in its ancestors. Ordinary
/// memory: a forked child inherits it.
static ISSUED: AtomicU64 = AtomicU64::new(0);

/// The mark of the calling process, claimed now if it has none yet: what a new handle
/// keeps.
pub(crate) fn claim() -> Mark {
    let Some(page) = page() else {
        return own_pid();
    };
    let mark = page.load(Ordering::Acquire);
    if mark != 0 {
        return mark;
    }
    let fresh = ISSUED.fetch_add(1, Ordering::AcqRel) + 1;
    // Another thread of this process may claim at the same moment: the first one's mark
    // is the process's, and the other's number stays unused.
    match page.compare_exchange(0, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => fresh,
        Err(theirs) => theirs,
    }
}

/// The mark of the process running now: the one it claimed since its last `fork`, 0 in a
/// child that claimed none (the page was wiped). Without the page, its pid.
pub(crate) fn mark() -> Mark {
    let page = PAGE.load(Ordering::Acquire);
    if page.is_null() || page == no_page() {
        return own_pid();
    }
    // SAFETY: any other value of PAGE points to a page that `page()` mapped and never
    // unmaps (in a forked child it stays mapped, zeroed), aligned for an AtomicU64, and
    // only ever accessed atomically.
    unsafe { &*page }.load(Ordering::Acquire)
}

fn own_pid() -> Mark {
    // A pid is positive, so as a mark it is never 0, a wiped page's value.
    rustix::process::getpid()
        .as_raw_nonzero()
        .get()
        .unsigned_abs()
        .into()
}

fn no_page() -> *mut AtomicU64 {
    std::ptr::addr_of!(NO_PAGE).cast_mut()
}

/// The wipe-on-fork page, mapped on first use; `None` if the kernel gave none, then or
/// at an earlier call.
///
/// No lock: a thread that finds no page yet maps one and offers it; the first offer
/// stands, and a thread whose offer lost unmaps its own. (A lock held by another thread
/// when the process forks would stay locked for good in the child.)
fn page() -> Option<&'static AtomicU64> {
    let mut page = PAGE.load(Ordering::Acquire);
    if page.is_null() {
        let offer = map_wiped_on_fork().unwrap_or_else(no_page);
        page = match PAGE.compare_exchange(
            std::ptr::null_mut(),
            offer,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => offer,
            Err(winner) => {
                if offer != no_page() {
                    // SAFETY: `offer` is the mapping this thread made in
                    // `map_wiped_on_fork`, of that length, which no one else has seen.
                    unsafe { libc::munmap(offer.cast(), page_len()) };
                }
                winner
            }
        };
    }
    if page == no_page() {
        return None;
    }
    // SAFETY: as in `mark`: mapped for the life of the process, aligned, atomic only.
    Some(unsafe { &*page })
}

/// The length of the mapping: one page of the running kernel (4 KiB, 16 KiB, 64 KiB).
fn page_len() -> usize {
    // The C library's copy of the auxiliary vector's value: no system call. (rustix's
    // `page_size` reads the whole auxiliary vector from the kernel on its first use, which
    // in a freshly forked sandboxed process is here.)
    // SAFETY: sysconf reads a value; it touches no memory of ours.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        len if len > 0 => len as usize,
        _ => rustix::param::page_size(),
    }
}

fn map_wiped_on_fork() -> Option<*mut AtomicU64> {
    let len = page_len();
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
    // no memory of ours; the result is checked.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            // Populated now: else the claim's first read maps the zero page and its
            // write then faults again for a page of its own.
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
            -1,
            0,
        )
    };
    if page == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: `page` is the mapping of `len` bytes made just above, which nothing else uses.
    if unsafe { libc::madvise(page, len, libc::MADV_WIPEONFORK) } != 0 {
        // Before 4.14 (EINVAL): no way to tell a fork by memory; marks are pids.
        // SAFETY: the same mapping, unused by anyone.
        unsafe { libc::munmap(page, len) };
        return None;
    }
    // A fresh anonymous mapping is zeroed: the page reads 0 until a claim.
    Some(page.cast())
}
