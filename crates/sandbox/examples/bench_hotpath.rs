//! The daemon's hot path under the default seccomp filter, for `cargo xtask bench`:
//! reopening an `O_PATH` descriptor through the proc-fd handle (`ProcSelfFd::reopen`,
//! then close), by 1 and by 4 threads at once, with [`Filter::default_deny`] installed
//! against the same loop without it.
//!
//! Two forked workers hold the same file and a handle of their own (a handle made before
//! the fork would name the parent's descriptor table, and `reopen` refuses it there): one
//! installs the filter (with TSYNC, before any thread starts, so every thread has it), the
//! other does not. When asked (a
//! byte with the thread count), a worker starts that many threads, lets them all begin at
//! once, and reports the wall time over the iterations each ran: ns per reopen per thread.
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
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::ExitCode;
use std::sync::Barrier;
use std::time::Instant;

use rustix::fs::{Mode, OFlags};
use sandbox::{Filter, ProcSelfFd};
use test_support::bench::{alternate, median, paired_ratio};

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

/// ns per reopen per thread: `threads` threads each reopen `file` `iters` times.
fn time_threads(
    handle: &ProcSelfFd,
    file: BorrowedFd<'_>,
    threads: usize,
    iters: usize,
) -> Result<f64, String> {
    let start_line = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start_line.wait();
                    for _ in 0..iters {
                        let fd = handle
                            .reopen(black_box(file), OFlags::RDONLY)
                            .map_err(|e| e.to_string())?;
                        drop(black_box(fd));
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        for w in workers {
            w.join().map_err(|_| "a thread panicked".to_owned())??;
        }
        Ok(start.elapsed().as_nanos() as f64 / iters as f64)
    })
}

/// A forked worker, with or without the filter, timing rounds when asked.
struct Worker {
    pid: libc::pid_t,
    go: Option<OwnedFd>,
    results: OwnedFd,
}

impl Worker {
    fn spawn(
        program: Option<&sandbox_seccomp::Program>,
        file: BorrowedFd<'_>,
        iters: usize,
    ) -> Result<Worker, String> {
        let (go_r, go_w) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
        let (res_r, res_w) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
        // SAFETY: this process has one thread (main, before any is started), so the child
        // may run any code.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(format!("fork: {}", std::io::Error::last_os_error()));
        }
        if pid == 0 {
            drop((go_w, res_r));
            let code = serve(program, file, iters, &go_r, &res_w);
            // SAFETY: ends the forked child without the parent's exit handlers.
            unsafe { libc::_exit(code) }
        }
        Ok(Worker {
            pid,
            go: Some(go_w),
            results: res_r,
        })
    }

    /// One round with `threads` threads: ns per reopen per thread.
    fn time(&self, threads: u8) -> Result<f64, String> {
        let go = self.go.as_ref().ok_or("the worker was stopped")?;
        rustix::io::write(go, &[threads]).map_err(|e| format!("ask the worker: {e}"))?;
        let mut bytes = [0u8; 8];
        let mut got = 0;
        while got < bytes.len() {
            match rustix::io::read(&self.results, &mut bytes[got..]) {
                Ok(0) => return Err("the worker ended early".into()),
                Ok(n) => got += n,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(format!("read from the worker: {e}")),
            }
        }
        let ns = f64::from_le_bytes(bytes);
        match ns.is_nan() {
            true => Err("the worker failed (see above)".into()),
            false => Ok(ns),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // EOF on its request pipe ends the worker.
        drop(self.go.take());
        // SAFETY: waits for the child forked in spawn; a null status pointer is allowed.
        unsafe { libc::waitpid(self.pid, std::ptr::null_mut(), 0) };
    }
}

/// The worker's side: makes its own handle, installs `program` if any, then serves rounds
/// until EOF.
fn serve(
    program: Option<&sandbox_seccomp::Program>,
    file: BorrowedFd<'_>,
    iters: usize,
    go: &OwnedFd,
    results: &OwnedFd,
) -> i32 {
    let handle = match ProcSelfFd::open_unconfined() {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("bench_hotpath: {e}");
            let _ = rustix::io::write(results, &f64::NAN.to_le_bytes());
            return 1;
        }
    };
    let handle = &handle;
    if let Some(program) = program {
        if let Err(e) = program.install() {
            eprintln!("bench_hotpath: {e}");
            let _ = rustix::io::write(results, &f64::NAN.to_le_bytes());
            return 1;
        }
    }
    let mut threads = [0u8; 1];
    while let Ok(1) = rustix::io::read(go, &mut threads) {
        let ns = time_threads(handle, file, threads[0].into(), iters).unwrap_or_else(|e| {
            eprintln!("bench_hotpath: {e}");
            f64::NAN
        });
        if rustix::io::write(results, &ns.to_le_bytes()) != Ok(8) {
            return 1;
        }
    }
    0
}

fn run() -> Result<(), String> {
    let (rounds, iters) = test_support::bench::parse_args(USAGE, 20_000)?;
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
    let unfiltered = Worker::spawn(None, file.as_fd(), iters)?;
    let filtered = Worker::spawn(Some(&program), file.as_fd(), iters)?;
    // One untimed round of each: page in the code, fill the dentry cache.
    for threads in THREADS {
        unfiltered.time(threads)?;
        filtered.time(threads)?;
    }
    let mut last = String::from("median_ns");
    for threads in THREADS {
        println!("{threads} thread(s):");
        let (mut f, mut u) = alternate(
            rounds,
            "ns/op",
            ("filtered", &mut || filtered.time(threads)),
            ("unfiltered", &mut || unfiltered.time(threads)),
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
