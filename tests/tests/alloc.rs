//! What the sandboxed child allocates on its way in: nothing, with the defaults, as root.
//!
//! A forked child shares its parent's pages until either writes to one; the child's first
//! `malloc` or `free` writes the allocator's state and the heap pages it touches, and
//! each such page costs the child a copy (a page fault, a few microseconds on the machine
//! of the README's benchmark). So everything the child's setup needs is made before the
//! fork, and what it inherited is left unfreed (see `let_go_in_child` in
//! `crates/sandbox/src/parent.rs`). This binary's global allocator counts every call
//! made by a process other than the one that entered; the sandboxed child reads the count
//! as soon as `enter()` returns in it.
//!
//! As an unprivileged user the sandbox makes a user namespace, whose id maps the child
//! reads back from its fresh proc for the audit (a few allocations): skipped.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use common::*;
use sandbox::{Entered, Sandbox};
use test_support::{ensure_eq, skip, TestResult};

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
    if !test_support::is_root() {
        skip!("unprivileged: the child reads its user namespace's id maps back (allocating)");
    }
    let (_top, shared) = shared_dir()?;
    let sandbox = Sandbox::builder(&shared).build()?;
    ORIGINAL.store(getpid(), Ordering::Relaxed);
    match sandbox.enter()? {
        Entered::Inside(inside) => {
            let calls = ELSEWHERE.load(Ordering::Relaxed);
            std::mem::forget(inside);
            // 0 for none; else 1 + the count, at most 100.
            exit_now(calls.min(99) as i32 + i32::from(calls > 0))
        }
        Entered::Parent(child) => {
            let status = child.wait()?;
            ensure_eq!(
                status.code(),
                0,
                "the child made (1 less than) this many allocator calls before enter() returned"
            );
            Ok(())
        }
    }
}
