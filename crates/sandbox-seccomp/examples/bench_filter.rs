//! Cost of the default filter on a file server's hot path: reopen an `O_PATH` descriptor
//! through its magic link (`open("/proc/self/fd/<n>", O_RDONLY)`), read 4 KiB, close.
//!
//! Two forked workers, alike but for the filter, time N iterations of that loop on the
//! same descriptor number and file when this process asks: one installs
//! [`Filter::default_deny`] first (and, without `CAP_SYS_ADMIN`, sets `no_new_privs`, as
//! the filter requires), the other runs unfiltered. Both are copies of this process made
//! the same way, so that only the filter differs between them, and kept on one CPU
//! (`test_support::bench::pin_to_this_cpu`). The rounds alternate which goes first.
//! Prints one line per round and finally exactly one line
//!
//! ```text
//! median_ns unfiltered=<f64> filtered=<f64> ratio=<f64>
//! ```
//!
//! (medians of the per-round ns/iteration, and the median of the per-round ratios
//! filtered / unfiltered, which a load that drifts between rounds moves less than the
//! ratio of the medians), which `cargo xtask bench` parses. Needs no privilege.
//!
//! Usage: `cargo run --release -p sandbox-seccomp --example bench_filter -- [--rounds R] [--iters N]`

use std::ffi::CString;
use std::hint::black_box;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::process::ExitCode;
use std::time::Instant;

use rustix::fs::{Mode, OFlags};
use sandbox_seccomp::Filter;

const USAGE: &str = "usage: bench_filter [--rounds R] [--iters N]";
/// What each iteration reads.
const CHUNK: usize = 4096;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_filter: {e}");
            ExitCode::FAILURE
        }
    }
}

/// ns per iteration of: open the magic link of `file`, read [`CHUNK`] bytes, close.
fn time_loop(file: BorrowedFd<'_>, iters: usize) -> Result<f64, String> {
    let link = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(|e| format!("the magic link's name: {e}"))?;
    let mut buf = [0u8; CHUNK];
    let start = Instant::now();
    for _ in 0..iters {
        let fd = rustix::fs::open(
            black_box(link.as_c_str()),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("open {link:?}: {e}"))?;
        let n = rustix::io::read(&fd, &mut buf).map_err(|e| format!("read {link:?}: {e}"))?;
        if n != CHUNK {
            return Err(format!("read {link:?}: {n} bytes, not {CHUNK}"));
        }
        drop(black_box(fd));
    }
    Ok(start.elapsed().as_nanos() as f64 / iters as f64)
}

fn run() -> Result<(), String> {
    let (rounds, iters) = test_support::bench::parse_args(USAGE, 2_000)?;
    // Both sides run in turns in two processes: on one CPU, they meet the same drift.
    test_support::bench::pin_to_this_cpu();

    let path = std::env::temp_dir().join(format!("bench_filter.{}", std::process::id()));
    std::fs::write(&path, [b'x'; CHUNK]).map_err(|e| format!("write {}: {e}", path.display()))?;
    let opened = rustix::fs::open(&path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty());
    // The O_PATH fd keeps the file reachable; the name is no longer needed.
    let _ = std::fs::remove_file(&path);
    let file = opened.map_err(|e| format!("open {} O_PATH: {e}", path.display()))?;

    // Compiled before the fork (this allocates); the child only installs it.
    let program = Filter::default_deny()
        .compile()
        .map_err(|e| e.to_string())?;
    // Each side a forked worker timing a loop per request, the filtered one under the
    // filter.
    let filtered = test_support::bench::Worker::spawn("bench_filter: filtered", || {
        program.install().map_err(|e| e.to_string())?;
        Ok(|_| time_loop(file.as_fd(), iters))
    })?;
    let unfiltered = test_support::bench::Worker::spawn("bench_filter: unfiltered", || {
        Ok(|_| time_loop(file.as_fd(), iters))
    })?;

    // One untimed round of each: page in the code, fill the dentry cache.
    filtered.ask(0)?;
    unfiltered.ask(0)?;

    let (mut filtered_ns, mut unfiltered_ns) = test_support::bench::alternate(
        rounds,
        "ns/iter",
        ("filtered", &mut || filtered.ask(0)),
        ("unfiltered", &mut || unfiltered.ask(0)),
    )?;
    let mut ratios: Vec<f64> = filtered_ns
        .iter()
        .zip(&unfiltered_ns)
        .map(|(f, u)| f / u)
        .collect();
    drop((filtered, unfiltered));

    let u = test_support::bench::median(&mut unfiltered_ns);
    let f = test_support::bench::median(&mut filtered_ns);
    let ratio = test_support::bench::median(&mut ratios);
    println!("median_ns unfiltered={u:.1} filtered={f:.1} ratio={ratio:.4}");
    Ok(())
}
