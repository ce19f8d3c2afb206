//! The daemon's hot path under the default seccomp filter, for `cargo xtask bench`:
//! reopening an `O_PATH` descriptor through the proc-fd handle (`ProcSelfFd::reopen`,
//! then close), by 1 and by 4 threads at once, with [`Filter::default_deny`] installed
//! against the same loop without it.
//!
//! Two forked workers hold the same file and a handle of their own (a handle made before
//! the fork would name the parent's descriptor table, and `reopen` refuses it there): one
//! installs the filter (with TSYNC, before any thread starts, so every thread has it), the
//! other does not. When asked (a byte with the thread count), a worker starts that many
//! threads, lets them all begin at once, and reports the time from the first one's start
//! to the last one's end over the iterations each ran: ns per reopen per thread.
//! The rounds ask both in turn, the first alternating. Prints one line per round and
//! finally exactly one line
//!
//! ```text
//! median_ns unfiltered_1=<f64> filtered_1=<f64> ratio_1=<f64> unfiltered_4=<f64> filtered_4=<f64> ratio_4=<f64>
//! ```
//!
//! (medians of the per-round figures; the ratios are medians of the per-round ratios
//! filtered / unfiltered), which `cargo xtask bench` reads. Needs no privilege.
//!
//! Usage: `cargo run --release -p sandbox --example bench_hotpath -- [--rounds R] [--iters N]`

use std::hint::black_box;
use std::os::fd::{AsFd, BorrowedFd};
use std::process::ExitCode;
use std::sync::Barrier;
use std::time::Instant;

use rustix::fs::{Mode, OFlags};
use sandbox::{Filter, ProcSelfFd};
use test_support::bench::{alternate, median, paired_ratio, Worker};

const USAGE: &str = "usage: bench_hotpath [--rounds R] [--iters N]";
const THREADS: [u8; 2] = [1, 4];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_hotpath: {e}");
            ExitCode::FAILURE
        }
    }
}

/// ns per reopen per thread: `threads` threads each reopen `file` `iters` times. The time
/// runs from the first thread's start to the last one's end, each read by the thread
/// itself: the spawning thread, which the busy ones may keep off the CPUs for a while,
/// would start the clock late (with a few thousand reopens a round, by most of it).
fn time_threads(
    handle: &ProcSelfFd,
    file: BorrowedFd<'_>,
    threads: usize,
    iters: usize,
) -> Result<f64, String> {
    let start_line = Barrier::new(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start_line.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        let fd = handle
                            .reopen(black_box(file), OFlags::RDONLY)
                            .map_err(|e| e.to_string())?;
                        drop(black_box(fd));
                    }
                    Ok::<_, String>((start, Instant::now()))
                })
            })
            .collect();
        let mut span: Option<(Instant, Instant)> = None;
        for w in workers {
            let (start, end) = w.join().map_err(|_| "a thread panicked".to_owned())??;
            span = Some(match span {
                None => (start, end),
                Some((first, last)) => (first.min(start), last.max(end)),
            });
        }
        let (first, last) = span.ok_or("no thread ran")?;
        Ok((last - first).as_nanos() as f64 / iters as f64)
    })
}

/// A forked worker with its own handle, with or without the filter, timing a round with
/// the number of threads each request names.
fn worker(
    name: &'static str,
    program: Option<&sandbox_seccomp::Program>,
    file: BorrowedFd<'_>,
    iters: usize,
) -> Result<Worker, String> {
    Worker::spawn(name, || {
        let handle = ProcSelfFd::open_unconfined().map_err(|e| e.to_string())?;
        if let Some(program) = program {
            program.install().map_err(|e| e.to_string())?;
        }
        Ok(move |threads: u8| time_threads(&handle, file, threads.into(), iters))
    })
}

fn run() -> Result<(), String> {
    let (rounds, iters) = test_support::bench::parse_args(USAGE, 2_000)?;
    // Not kept on one CPU (as bench_filter is): the 4 threads need both cores.
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let path = dir.path().join("small");
    std::fs::write(&path, b"a small file\n")
        .map_err(|e| format!("write {}: {e}", path.display()))?;
    let file = rustix::fs::open(&path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| format!("open {} O_PATH: {e}", path.display()))?;
    // Compiled before the fork; the worker only installs it.
    let program = Filter::default_deny()
        .compile()
        .map_err(|e| e.to_string())?;
    let unfiltered = worker("bench_hotpath: unfiltered", None, file.as_fd(), iters)?;
    let filtered = worker(
        "bench_hotpath: filtered",
        Some(&program),
        file.as_fd(),
        iters,
    )?;
    // One untimed round of each: page in the code, fill the dentry cache.
    for threads in THREADS {
        unfiltered.ask(threads)?;
        filtered.ask(threads)?;
    }
    let mut last = String::from("median_ns");
    for threads in THREADS {
        println!("{threads} thread(s):");
        let (mut f, mut u) = alternate(
            rounds,
            "ns/op",
            ("filtered", &mut || filtered.ask(threads)),
            ("unfiltered", &mut || unfiltered.ask(threads)),
        )?;
        let ratio = paired_ratio(&f, &u);
        let (u, f) = (median(&mut u), median(&mut f));
        last += &format!(
            " unfiltered_{threads}={u:.1} filtered_{threads}={f:.1} ratio_{threads}={ratio:.4}"
        );
    }
    drop((filtered, unfiltered));
    println!("{last}");
    Ok(())
}
