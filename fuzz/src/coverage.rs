//! Coverage feedback from LLVM's sanitizer coverage, on stable Rust.
//!
//! `cargo xtask fuzz` builds this package with `-C passes=sancov-module` and
//! `-C llvm-args=-sanitizer-coverage-trace-pc-guard` (the way cargo-afl does on stable):
//! the compiler then gives every edge of the program a guard, numbers them through
//! [`__sanitizer_cov_trace_pc_guard_init`] at start-up, and calls
//! [`__sanitizer_cov_trace_pc_guard`] each time an edge runs, which sets its bit in
//! [`HIT`]. In a plain build nothing calls them and no input ever counts as new.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Bits of the edge map; edges past it share bits.
const BITS: usize = 1 << 18;

/// One bit per edge that ran since the last [`Seen::new`].
static HIT: [AtomicU64; BITS / 64] = [const { AtomicU64::new(0) }; BITS / 64];

/// Whether edges count now: only while a target checks an input (see [`Seen::record`]),
/// not while the fuzzer itself mutates, so that its own branches are never "new code".
static RECORDING: AtomicBool = AtomicBool::new(false);

/// The next guard number to hand out (0 is "not numbered").
static NEXT_GUARD: AtomicU32 = AtomicU32::new(1);

/// Numbers the guards of one module, once.
///
/// # Safety
///
/// Called by the code the compiler inserts, with `start..stop` the module's guards.
#[allow(unsafe_code)]
#[no_mangle]
pub unsafe extern "C" fn __sanitizer_cov_trace_pc_guard_init(start: *mut u32, stop: *mut u32) {
    if start == stop {
        return;
    }
    let mut guard = start;
    while guard < stop {
        // SAFETY: `guard` lies in `start..stop`, the array of u32 guards the compiler
        // made for this module and hands to this function; nothing else writes them
        // before the program's own code runs.
        unsafe {
            if *guard == 0 {
                *guard = NEXT_GUARD.fetch_add(1, Ordering::Relaxed);
            }
            guard = guard.add(1);
        }
    }
}

/// Marks the edge of `guard` as run.
///
/// # Safety
///
/// Called by the code the compiler inserts, with a guard numbered at start-up.
#[allow(unsafe_code)]
#[no_mangle]
pub unsafe extern "C" fn __sanitizer_cov_trace_pc_guard(guard: *mut u32) {
    // SAFETY: the compiler passes a pointer to one of the guards it numbered through
    // __sanitizer_cov_trace_pc_guard_init, valid for the life of the program.
    let edge = unsafe { *guard } as usize % BITS;
    if !RECORDING.load(Ordering::Relaxed) {
        return;
    }
    let (word, bit) = (&HIT[edge / 64], 1 << (edge % 64));
    // Most edges ran before: a load, and the atomic write only for a new one.
    if word.load(Ordering::Relaxed) & bit == 0 {
        word.fetch_or(bit, Ordering::Relaxed);
    }
}

/// The edges one target's inputs have reached so far.
pub struct Seen {
    bits: Vec<u64>,
}

impl Seen {
    /// Nothing seen yet; forgets what earlier targets ran.
    pub fn new() -> Seen {
        for word in &HIT {
            word.store(0, Ordering::Relaxed);
        }
        Seen {
            bits: vec![0; BITS / 64],
        }
    }

    /// Runs `f` with the edges it reaches counted.
    pub fn record<T>(f: impl FnOnce() -> T) -> T {
        RECORDING.store(true, Ordering::Relaxed);
        let result = f();
        RECORDING.store(false, Ordering::Relaxed);
        result
    }

    /// Whether the inputs since the last call reached an edge none before did; takes
    /// them in.
    pub fn take_new(&mut self) -> bool {
        let mut new = false;
        for (seen, hit) in self.bits.iter_mut().zip(&HIT) {
            let hit = hit.load(Ordering::Relaxed);
            if hit & !*seen != 0 {
                new = true;
                *seen |= hit;
            }
        }
        new
    }

    /// How many edges were reached.
    pub fn count(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether this build has coverage at all.
    pub fn instrumented() -> bool {
        NEXT_GUARD.load(Ordering::Relaxed) > 1
    }
}
