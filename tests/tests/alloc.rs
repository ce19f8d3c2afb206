//! What the sandboxed child allocates on its way in: nothing, with the defaults, where no
//! user namespace is made (as root with `CAP_SYS_ADMIN`).
//!
//! A forked child shares its parent's pages until either writes to one; the child's first
//! `malloc` or `free` writes the allocator's state and the heap pages it touches, and
//! each such page costs the child a copy (a page fault, a few microseconds on the machine
//! of the README's benchmark). So everything the child's setup needs is made before the
//! fork, and what it inherited is left unfreed (see `let_go_in_child` in
//! `crates/sandbox/src/parent.rs`). This binary's global allocator counts every call
//! made by a process other than the one that entered; the sandboxed child reads the count
//! as soon as `enter()` returns in it. Only Rust's allocations are counted, not the C
//! library's own (none on this path today).
//!
//! Skipped where the child must allocate: with a user namespace (unprivileged, or root
//! without `CAP_SYS_ADMIN`), whose id maps the child reads back from its fresh proc for
//! the audit; and without `close_range` (before Linux 5.9), which makes the child list
//! `/proc/self/fd`. (A daemon's own first allocation inside pays part of what this
//! saves: the win is in the time to ready, and in pages never copied.)

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use common::*;
use sandbox::{Entered, Namespaces, Sandbox};
use test_support::{ensure, ensure_eq, skip, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        default_sandbox_child_allocates_nothing_on_its_way_in,
    ]);
}

/// The pid of the process that enters, once it is about to; 0 before.
static ORIGINAL: AtomicI32 = AtomicI32::new(0);
/// Allocator calls made by any other process (the sandboxed child, in its copy).
static ELSEWHERE: AtomicUsize = AtomicUsize::new(0);

struct Counting;

impl Counting {
    fn note(&self) {
        let original = ORIGINAL.load(Ordering::Relaxed);
        if original != 0 && rustix::process::getpid().as_raw_nonzero().get() != original {
            ELSEWHERE.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; counting touches
// only atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.note();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.note();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.note();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.note();
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn default_sandbox_child_allocates_nothing_on_its_way_in() -> TestResult {
    if !close_range_exists() {
        skip!("no close_range (before Linux 5.9): the child lists /proc/self/fd, which allocates");
    }
    let (_top, shared) = shared_dir()?;
    let sandbox = Sandbox::builder(&shared).build()?;
    if sandbox.namespaces().contains(Namespaces::USER) {
        skip!("a user namespace is made (no CAP_SYS_ADMIN): the child reads its id maps back, which allocates");
    }
    let original = getpid();
    ORIGINAL.store(original, Ordering::Relaxed);
    match sandbox.enter()? {
        Entered::Inside(inside) => {
            let calls = ELSEWHERE.load(Ordering::Relaxed);
            std::mem::forget(inside);
            if getpid() == original {
                // Not a forked child: nothing was counted, and nothing is proved.
                exit_now(101)
            }
            exit_now(calls.min(100) as i32)
        }
        Entered::Parent(child) => {
            let status = child.wait()?;
            ensure!(
                status.code() != 101,
                "enter() returned Inside in the original process"
            );
            ensure_eq!(
                status.code(),
                0,
                "allocator calls the sandboxed child made before enter() returned (100: 100 or more)"
            );
            Ok(())
        }
    }
}

/// Whether the kernel has `close_range(2)`: asked with a range that is empty (first past
/// last), which it refuses with `EINVAL`, closing nothing; without the call, `ENOSYS`.
fn close_range_exists() -> bool {
    // SAFETY: an empty range closes no descriptor; the call takes integers only.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 1u32, 0u32, 0u32) };
    rc == 0 || errno() != libc::ENOSYS
}
