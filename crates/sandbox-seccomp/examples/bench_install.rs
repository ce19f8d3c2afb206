//! What a seccomp filter costs a short-lived process, for `cargo xtask bench`: the
//! kernel's part, which every sandbox that installs a filter pays.
//!
//! Three contenders, each timed from `fork` to the child reaped, whose children make the
//! same calls before the install ([`Program::install`]'s: `capget`, and `no_new_privs`
//! without `CAP_SYS_ADMIN`): a child that then exits (`none`); one that installs a filter
//! of one instruction that allows everything (`one`); one that installs
//! [`Filter::default_deny`], compiled before the fork (`default`). Each round times N
//! cycles of each, in an order shuffled anew each round. A filter costs in the install
//! call and when its process is reaped, where the kernel releases it, part of that
//! afterwards in a kernel worker that frees its machine code (which may fall into a later
//! cycle); the benchmark does not tell these apart. Prints one line per round and
//! finally exactly one line
//!
//! ```text
//! median_us none=<f64> one=<f64> default=<f64> ratio_one=<f64> ratio_default=<f64>
//! ```
//!
//! (medians of the per-round µs per cycle; `ratio_one` is the median of the per-round
//! ratios one / none, `ratio_default` of default / one), which `cargo xtask bench`
//! parses. Needs no privilege. Not kept on one CPU (unlike `bench_filter`): the cost
//! spans both, a fork's and a filter's freeing included.
//!
//! Usage: `cargo run --release -p sandbox-seccomp --example bench_install -- [--rounds R] [--iters N]`

use std::process::ExitCode;
use std::time::Instant;

use sandbox_seccomp::{Filter, Program};
use test_support::bench::{median, paired_ratio, parse_args, RoundOrder};

const USAGE: &str = "usage: bench_install [--rounds R] [--iters N]";

/// The contenders, in the order of the output.
const NAMES: [&str; 3] = ["none", "one", "default"];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_install: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What [`Program::install`] does before its `seccomp` call: `capget`, and without
/// `CAP_SYS_ADMIN`, `no_new_privs`, which the filter then requires.
fn before_install() -> Result<(), String> {
    let caps = rustix::thread::capabilities(None).map_err(|e| format!("capget: {e}"))?;
    if !caps
        .effective
        .contains(rustix::thread::CapabilitySet::SYS_ADMIN)
    {
        rustix::thread::set_no_new_privs(true).map_err(|e| format!("no_new_privs: {e}"))?;
    }
    Ok(())
}

/// Installs a filter of one instruction, `return ALLOW`, as [`Program::install`] installs
/// its own (with `SECCOMP_FILTER_FLAG_TSYNC`): what any filter costs, whatever it holds.
fn install_one_instruction() -> Result<(), String> {
    before_install()?;
    let allow = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ALLOW,
    }];
    let program = libc::sock_fprog {
        len: 1,
        filter: allow.as_ptr().cast_mut(),
    };
    // SAFETY: seccomp(2) reads the program through the pointer, which points at
    // `program`, itself pointing at `allow`: both live until the call returns.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_TSYNC,
            &program as *const libc::sock_fprog,
        )
    };
    match rc {
        0 => Ok(()),
        // With TSYNC, a thread that could not take the filter (none here: one thread).
        tid if tid > 0 => Err(format!("seccomp: thread {tid} could not take the filter")),
        _ => Err(format!("seccomp: {}", std::io::Error::last_os_error())),
    }
}

/// µs per cycle over `iters` cycles of contender `which`: fork, set up in the child, exit
/// at once, reap.
fn time_cycles(which: usize, default: &Program, iters: usize) -> Result<f64, String> {
    let start = Instant::now();
    for _ in 0..iters {
        let pid = test_support::syscalls::fork_process(|| {
            let installed = match which {
                0 => before_install(),
                1 => install_one_instruction(),
                _ => default.install().map_err(|e| e.to_string()),
            };
            match installed {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("bench_install: {}: {e}", NAMES[which]);
                    3
                }
            }
        })
        .map_err(|e| format!("fork: {e:?}"))?;
        let ended = test_support::syscalls::waitpid(pid).map_err(|e| format!("wait: {e:?}"))?;
        if !matches!(ended, test_support::syscalls::Ended::Code(0)) {
            return Err(format!("the {} child ended {ended:?}", NAMES[which]));
        }
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / iters as f64)
}

fn run() -> Result<(), String> {
    let (rounds, iters) = parse_args(USAGE, 10)?;
    // Compiled before the forks, as `sandbox`'s build() does; the children only install.
    let default = Filter::default_deny()
        .compile()
        .map_err(|e| e.to_string())?;
    // One untimed round of each: it works, and the code is paged in.
    for which in 0..NAMES.len() {
        time_cycles(which, &default, 1)?;
    }
    let mut us = vec![Vec::with_capacity(rounds); NAMES.len()];
    let mut order = RoundOrder::new(NAMES.len());
    for round in 0..rounds {
        for &which in order.next_round() {
            us[which].push(time_cycles(which, &default, iters)?);
        }
        println!(
            "round {:>2}/{rounds}: none {:.1} µs  one {:.1} µs  default {:.1} µs per cycle",
            round + 1,
            us[0][round],
            us[1][round],
            us[2][round]
        );
    }
    let ratio_one = paired_ratio(&us[1], &us[0]);
    let ratio_default = paired_ratio(&us[2], &us[1]);
    let [none, one, default] = [0, 1, 2].map(|i| median(&mut us[i].clone()));
    println!(
        "median_us none={none:.1} one={one:.1} default={default:.1} \
         ratio_one={ratio_one:.4} ratio_default={ratio_default:.4}"
    );
    Ok(())
}
