//! Cost of `ProcSelfFd::reopen` against two peers, on the same small file:
//! - `magic`: the same magic-link `openat(handle, "<fd>")` done by hand on the same handle
//!   (what `reopen` does, minus its checks: the cost of the library's own code);
//! - `byname`: a plain `openat(dir, "name")` of the file by its name in its directory
//!   (what a daemon that keeps names instead of descriptors would pay; no magic link).
//!
//! Opens the file `O_PATH` and its directory, takes a handle with `open_unconfined` (no
//! privilege needed), then for each round times N opens (and closes) of each, in an order
//! shuffled anew each round. Prints one line per round and finally exactly one line
//!
//! ```text
//! median_ns reopen=<f64> magic=<f64> byname=<f64> ratio_magic=<f64> ratio_byname=<f64>
//! ```
//!
//! (medians of the per-round ns/op; the ratios are medians of the per-round ratios reopen
//! / peer), which `cargo xtask bench` parses.
//!
//! Usage: `cargo run --release -p sandbox-proc-fd --example bench_reopen -- [--rounds R] [--iters N]`

use std::hint::black_box;
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Instant;

use rustix::fs::{Mode, OFlags};
use rustix::path::DecInt;
use sandbox_proc_fd::ProcSelfFd;

const USAGE: &str = "usage: bench_reopen [--rounds R] [--iters N]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_reopen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let (rounds, iters) = test_support::bench::parse_args(USAGE, 10_000)?;

    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    const NAME: &str = "small";
    let path = dir.path().join(NAME);
    std::fs::write(&path, b"a small file\n")
        .map_err(|e| format!("write {}: {e}", path.display()))?;
    let file = rustix::fs::open(&path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| format!("open {} O_PATH: {e}", path.display()))?;
    let parent = rustix::fs::open(
        dir.path(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("open {}: {e}", dir.path().display()))?;

    let handle = ProcSelfFd::open_unconfined().map_err(|e| e.to_string())?;

    let mut time_reopen = || -> Result<f64, String> {
        let start = Instant::now();
        for _ in 0..iters {
            let fd = handle
                .reopen(black_box(file.as_fd()), OFlags::RDONLY)
                .map_err(|e| e.to_string())?;
            drop(black_box(fd));
        }
        Ok(start.elapsed().as_nanos() as f64 / iters as f64)
    };
    let mut time_magic = || -> Result<f64, String> {
        let start = Instant::now();
        for _ in 0..iters {
            let name = DecInt::from_fd(black_box(file.as_fd()));
            let fd = rustix::fs::openat(
                &handle,
                name.as_c_str(),
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| format!("openat: {e}"))?;
            drop(black_box(fd));
        }
        Ok(start.elapsed().as_nanos() as f64 / iters as f64)
    };
    let mut time_byname = || -> Result<f64, String> {
        let start = Instant::now();
        for _ in 0..iters {
            let fd = rustix::fs::openat(
                &parent,
                black_box(NAME),
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| format!("openat {NAME}: {e}"))?;
            drop(black_box(fd));
        }
        Ok(start.elapsed().as_nanos() as f64 / iters as f64)
    };

    // One untimed warm-up of each: page in the code, fill the dentry cache.
    let warm = iters.min(1000);
    for _ in 0..warm {
        drop(
            handle
                .reopen(&file, OFlags::RDONLY)
                .map_err(|e| e.to_string())?,
        );
    }
    time_byname()?;

    let figures = test_support::bench::alternate_many(
        rounds,
        "ns/op",
        &mut [
            ("reopen", &mut time_reopen),
            ("magic", &mut time_magic),
            ("byname", &mut time_byname),
        ],
    )?;
    let ratio_magic = test_support::bench::paired_ratio(&figures[0], &figures[1]);
    let ratio_byname = test_support::bench::paired_ratio(&figures[0], &figures[2]);
    let [r, m, b] = [0, 1, 2].map(|i| test_support::bench::median(&mut figures[i].clone()));
    println!(
        "median_ns reopen={r:.1} magic={m:.1} byname={b:.1} ratio_magic={ratio_magic:.4} \
         ratio_byname={ratio_byname:.4}"
    );
    Ok(())
}
