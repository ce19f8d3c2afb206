//! One sandboxed run for `cargo xtask bench --steps`: enter a default sandbox over DIR, do
//! nothing inside, exit 0, and print when each step of entering ended.
//!
//! Built with the `step-times` feature of `sandbox` (without it there are no marks, and it
//! says so). Both processes print their marks, `CLOCK_MONOTONIC` nanoseconds, one line
//! each: `mark parent LABEL NS` in the original process and `mark child LABEL NS` in the
//! sandboxed one, whose list starts at the fork. Besides the steps of
//! [`sandbox::Step`], the labels are this program's: `main` (its start), `build`,
//! `inside` (the sandboxed process has its `Entered::Inside`), `print` (about to print),
//! `entered` (the original process has its `Entered::Parent`) and `waited` (the sandboxed
//! process ended and was reaped). `cargo xtask bench --steps` sums them over many runs.
//!
//! Usage: `cargo run --release -p sandbox --features step-times --example bench_steps -- DIR`

use std::fmt::Write as _;
use std::io::Write as _;

use sandbox::{timing, Entered, Sandbox};

/// Prints `marks` with one write, tagged with `process`.
fn print(process: &str, marks: &[(&str, u64)]) {
    let mut out = String::new();
    for (label, ns) in marks {
        let _ = writeln!(out, "mark {process} {label} {ns}");
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    let _ = std::io::stdout().flush();
}

fn main() {
    timing::mark_named("main");
    if !timing::ENABLED {
        eprintln!("bench_steps: built without the step-times feature of sandbox");
        std::process::exit(2);
    }
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: bench_steps DIR");
        std::process::exit(2);
    };
    let sandbox = match Sandbox::builder(dir).build() {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("bench_steps: {e}");
            std::process::exit(1);
        }
    };
    timing::mark_named("build");
    match sandbox.enter() {
        Ok(Entered::Inside(_inside)) => {
            timing::mark_named("inside");
            let mut marks = timing::take();
            // The marks made before the fork are the original process's.
            let forked = marks.iter().position(|(l, _)| *l == "fork").unwrap_or(0);
            marks.drain(..forked);
            marks.push(("print", timing::now_ns()));
            print("child", &marks);
            // SAFETY: ends the sandboxed process at once, as the floor's child does (the
            // marks are written and flushed).
            unsafe { libc::_exit(0) }
        }
        Ok(Entered::Parent(child)) => {
            timing::mark_named("entered");
            let status = child.wait();
            timing::mark_named("waited");
            print("parent", &timing::take());
            match status {
                Ok(s) => std::process::exit(s.code()),
                Err(e) => {
                    eprintln!("bench_steps: wait: {e}");
                    std::process::exit(1);
                }
            }
        }
        Err(e) => {
            eprintln!("bench_steps: {e}");
            std::process::exit(1);
        }
    }
}
