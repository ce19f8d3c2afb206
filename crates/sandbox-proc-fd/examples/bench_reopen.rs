//! Cost of `ProcSelfFd::reopen` against a bare `openat(handle, "<fd>")`.
//!
//! Opens a small temp file `O_PATH`, takes a handle with `open_unconfined` (no privilege
//! needed), then for each round times N reopens through the library and N raw `openat`
//! calls on the same handle and name, alternating which goes first. Prints one line per
//! round and finally exactly one line
//!
//! ```text
//! median_ns reopen=<f64> openat=<f64> ratio=<f64>
//! ```
//!
//! (medians of the per-round ns/op; ratio = reopen / openat), which `cargo xtask bench`
//! parses.
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
    let (rounds, iters) = test_support::bench::parse_args(USAGE, 100_000)?;

    let path = std::env::temp_dir().join(format!("bench_reopen.{}", std::process::id()));
    std::fs::write(&path, b"a small file\n")
        .map_err(|e| format!("write {}: {e}", path.display()))?;
    let opened = rustix::fs::open(&path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty());
    // The O_PATH fd keeps the file reachable; the name is no longer needed.
    let _ = std::fs::remove_file(&path);
    let file = opened.map_err(|e| format!("open {} O_PATH: {e}", path.display()))?;

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
    let mut time_openat = || -> Result<f64, String> {
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

    // One untimed warm-up of each: page in the code, fill the dentry cache.
    let warm = iters.min(1000);
    for _ in 0..warm {
        drop(
            handle
                .reopen(&file, OFlags::RDONLY)
                .map_err(|e| e.to_string())?,
        );
    }

    let (mut reopen_ns, mut openat_ns) = test_support::bench::alternate(
        rounds,
        "ns/op",
        ("reopen", &mut time_reopen),
        ("openat", &mut time_openat),
    )?;
    let r = test_support::bench::median(&mut reopen_ns);
    let o = test_support::bench::median(&mut openat_ns);
    println!("median_ns reopen={r:.1} openat={o:.1} ratio={:.4}", r / o);
    Ok(())
}
