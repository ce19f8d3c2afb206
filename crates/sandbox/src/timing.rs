//! Step times for `cargo xtask bench --steps`: hidden from the docs and not part of the
//! API; no stability promised, nothing here for daemons.
//!
//! Built with the `step-times` cargo feature (which only the bench's `bench_steps`
//! example turns on), each step of entering records the `CLOCK_MONOTONIC` time at which
//! it ended, in whichever process it ran: the original process or the sandboxed one. That
//! clock is the same in both (the sandbox makes no time namespace by default), so the two
//! lists merge into one timeline, and a step's time is the distance to the mark before
//! it. Without the feature the marks compile to nothing, and [`take`] returns nothing.

use std::sync::Mutex;

use crate::step::Step;

/// Whether this build records step times (the `step-times` feature).
pub const ENABLED: bool = cfg!(feature = "step-times");

/// The marks of this process so far: label and `CLOCK_MONOTONIC` nanoseconds. A forked
/// child inherits the ones made before the fork; the process that enters is
/// single-threaded, so the lock is free at every fork.
static MARKS: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());

/// `CLOCK_MONOTONIC` now, in nanoseconds.
pub fn now_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

/// Records that `step` ended now. Nothing without the `step-times` feature.
#[inline(always)]
pub(crate) fn mark(step: Step) {
    if ENABLED {
        mark_named(step.name());
    }
}

/// Records that the moment named `label` is now (for the bench's own marks: its start,
/// the build, the wait). Nothing without the `step-times` feature.
pub fn mark_named(label: &'static str) {
    if ENABLED {
        let now = now_ns();
        if let Ok(mut marks) = MARKS.lock() {
            marks.push((label, now));
        }
    }
}

/// Takes this process's marks, oldest first (with those inherited through the fork in
/// the sandboxed process: the caller tells them apart by time).
pub fn take() -> Vec<(&'static str, u64)> {
    MARKS
        .lock()
        .map(|mut marks| std::mem::take(&mut *marks))
        .unwrap_or_default()
}
