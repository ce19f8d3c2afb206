//! What `Inside::audit()` costs, for `cargo xtask bench`.
//!
//! The original process enters a default sandbox over a fresh directory; the sandboxed
//! process times `--iters` audits per round when asked over a pipe, and the original
//! process times as many reads of `/proc/self/status` (open, read to the end, close) in
//! between: the peer, what any audit that reads the process's state from proc pays at the
//! least, once. (There is no proc inside the sandbox to read it there.) The original
//! process installs the default seccomp filter too, so that both sides pay the filter's
//! cost on each system call. The rounds alternate which goes first; both processes are
//! kept on one CPU (`test_support::bench::pin_to_this_cpu`). Prints one line per round,
//! then exactly one line
//!
//! ```text
//! median_ns audit=<f64> status=<f64> ratio=<f64>
//! ```
//!
//! (medians of the per-round ns per call, and the median of the per-round ratios audit /
//! status), which `cargo xtask bench` reads. Runs as root or, through a user namespace,
//! as a plain user.
//!
//! Usage: `cargo run --release -p sandbox --example bench_audit -- [--rounds R] [--iters N]`

use std::hint::black_box;
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use sandbox::{Entered, Inside, Sandbox};

const USAGE: &str = "usage: bench_audit [--rounds R] [--iters N]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_audit: {e}");
            ExitCode::FAILURE
        }
    }
}

/// ns per read of `/proc/self/status`: open, read to the end, close.
fn time_status(iters: usize) -> Result<f64, String> {
    let mut buf = Vec::with_capacity(4096);
    let start = Instant::now();
    for _ in 0..iters {
        buf.clear();
        let mut file =
            std::fs::File::open("/proc/self/status").map_err(|e| format!("open status: {e}"))?;
        file.read_to_end(&mut buf)
            .map_err(|e| format!("read status: {e}"))?;
        black_box(&buf);
    }
    Ok(start.elapsed().as_nanos() as f64 / iters as f64)
}

/// The sandboxed side: for each byte read from `go`, time `iters` audits and write the ns
/// per audit back (NaN if the sandbox does not audit as confined). Exits at EOF.
fn serve(inside: &Inside, mut go: PipeReader, mut results: PipeWriter, iters: usize) -> i32 {
    let first = inside.audit();
    let confined = first.is_confined();
    if !confined {
        eprintln!("bench_audit: the sandbox does not audit as confined:\n{first}");
    }
    let mut byte = [0u8; 1];
    while let Ok(1) = go.read(&mut byte) {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(inside.audit());
        }
        let ns = match confined {
            true => start.elapsed().as_nanos() as f64 / iters as f64,
            false => f64::NAN,
        };
        if results.write_all(&ns.to_le_bytes()).is_err() {
            return 1;
        }
    }
    0
}

/// One round of audits in the sandboxed process: ns per audit.
fn time_audit(go: &mut PipeWriter, results: &mut PipeReader) -> Result<f64, String> {
    go.write_all(b"g")
        .map_err(|e| format!("ask the sandboxed process: {e}"))?;
    let mut bytes = [0u8; 8];
    results
        .read_exact(&mut bytes)
        .map_err(|e| format!("read from the sandboxed process: {e}"))?;
    let ns = f64::from_le_bytes(bytes);
    if ns.is_nan() {
        return Err("the sandboxed process failed (see above)".into());
    }
    Ok(ns)
}

fn run() -> Result<(), String> {
    let (rounds, iters) = test_support::bench::parse_args(USAGE, 20)?;
    // Both sides run in turns in two processes: on one CPU, they meet the same drift.
    test_support::bench::pin_to_this_cpu();
    let dir = tempfile::Builder::new()
        .prefix("bench-audit-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let (go_r, mut go_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let (mut res_r, res_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let sandbox = Sandbox::builder(dir.path())
        .keep_fd(&go_r)
        .keep_fd(&res_w)
        .build()
        .map_err(|e| e.to_string())?;
    let child = match sandbox.enter().map_err(|e| e.to_string())? {
        Entered::Inside(inside) => {
            // Not kept, so closed inside: never close those numbers again.
            std::mem::forget((go_w, res_r));
            let code = serve(&inside, go_r, res_w, iters);
            std::process::exit(code);
        }
        Entered::Parent(child) => child,
    };
    drop((go_r, res_w));
    // The sandboxed process runs under the default filter: so does the peer.
    sandbox::Filter::default_deny()
        .compile()
        .and_then(|program| program.install())
        .map_err(|e| format!("install the default filter here: {e}"))?;

    // One untimed round of each.
    time_status(iters)?;
    time_audit(&mut go_w, &mut res_r)?;
    let (mut audit_ns, mut status_ns) = test_support::bench::alternate(
        rounds,
        "ns/call",
        ("audit", &mut || time_audit(&mut go_w, &mut res_r)),
        ("status", &mut || time_status(iters)),
    )?;
    drop(go_w);
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.code() != 0 {
        return Err(format!("the sandboxed process {status}"));
    }
    drop(dir);
    let mut ratios: Vec<f64> = audit_ns
        .iter()
        .zip(&status_ns)
        .map(|(a, s)| a / s)
        .collect();
    let a = test_support::bench::median(&mut audit_ns);
    let s = test_support::bench::median(&mut status_ns);
    let ratio = test_support::bench::median(&mut ratios);
    println!("median_ns audit={a:.1} status={s:.1} ratio={ratio:.4}");
    Ok(())
}
