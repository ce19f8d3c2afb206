//! Many sandboxes at once, for `cargo xtask bench`: how many whole sandboxed runs (enter
//! over DIR, exit) complete per second when K processes keep entering at the same time.
//!
//! The contenders, each a program run again and again by K threads for S seconds:
//! - `fresh`: `bench_enter DIR`, a default sandbox with a network namespace of its own;
//! - `shared`: `bench_enter DIR --join-net FD`, joining a [`SharedNetwork`] made once here
//!   (root only: skipped, with the reason, otherwise);
//! - `floor`: `bench_floor DIR`, the bare system calls of entering;
//! - `peer`: the command after `--` (bwrap, from `cargo xtask bench`), if any.
//!
//! For each round, each K and each contender in turn (in an order shuffled anew for each K
//! of each round: `test_support::bench::RoundOrder`), the rate is the
//! runs completed over the time until the last thread finished. Prints a line per round,
//! then exactly one line with the median rates,
//!
//! ```text
//! rate_per_s fresh_1=<f64> shared_1=<f64> floor_1=<f64> peer_1=<f64> fresh_2=<f64> ...
//! ```
//!
//! for each K of `--enterers` in its order (NaN for a contender skipped here), which
//! `cargo xtask bench` reads.
//!
//! Usage: `bench_many --enter PATH --floor PATH DIR [--seconds S] [--rounds R]
//! [--enterers 1,2,8] [-- PEER...]`

use std::os::fd::{AsFd, AsRawFd};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use sandbox::SharedNetwork;
use test_support::bench::{median, time_run, RoundOrder};

const USAGE: &str = "usage: bench_many --enter PATH --floor PATH DIR [--seconds S] [--rounds R] \
                     [--enterers 1,2,8] [-- PEER...]";

/// A contender: its name and command line (program first), or why it cannot run here.
struct Contender {
    name: &'static str,
    argv: Result<Vec<String>, String>,
}

impl Contender {
    fn command(argv: &[String]) -> Command {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]);
        cmd
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_many: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `argv` again and again from `k` threads for `seconds`: completed runs per second.
fn rate(argv: &[String], k: usize, seconds: Duration) -> Result<f64, String> {
    let started = Instant::now();
    let deadline = started + seconds;
    let runs = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..k)
            .map(|_| {
                scope.spawn(|| {
                    let mut runs = 0u64;
                    while Instant::now() < deadline {
                        time_run(&mut Contender::command(argv))?;
                        runs += 1;
                    }
                    Ok::<u64, String>(runs)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().map_err(|_| "a thread panicked".to_owned())?)
            .sum::<Result<u64, String>>()
    })?;
    Ok(runs as f64 / started.elapsed().as_secs_f64())
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut enter, mut floor, mut dir, mut peer) = (None, None, None, Vec::new());
    let (mut seconds, mut rounds, mut enterers) = (1.0f64, 3usize, vec![1usize, 2, 8]);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} takes a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--enter" => enter = Some(value()?),
            "--floor" => floor = Some(value()?),
            "--seconds" => seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--rounds" => rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--enterers" => {
                enterers = value()?
                    .split(',')
                    .map(|k| k.parse().map_err(|e| format!("--enterers {k:?}: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--" => peer.extend(args.by_ref()),
            _ if dir.is_none() && !arg.starts_with('-') => dir = Some(arg),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let (Some(enter), Some(floor), Some(dir)) = (enter, floor, dir) else {
        return Err(USAGE.into());
    };
    if rounds == 0 || enterers.contains(&0) || seconds.is_nan() || seconds <= 0.0 {
        return Err("--rounds, --seconds and each of --enterers must be positive".into());
    }

    // The shared namespace, at a descriptor the runs inherit (dup leaves close-on-exec
    // off).
    let shared = SharedNetwork::new()
        .map_err(|e| format!("no shared network here: {e}"))
        .and_then(|net| {
            rustix::io::dup(net.as_fd())
                .map_err(|e| format!("dup the shared network's descriptor: {e}"))
        });
    let contenders = [
        Contender {
            name: "fresh",
            argv: Ok(vec![enter.clone(), dir.clone()]),
        },
        Contender {
            name: "shared",
            argv: shared.as_ref().map_err(Clone::clone).map(|fd| {
                let fd = fd.as_raw_fd().to_string();
                vec![enter.clone(), dir.clone(), "--join-net".into(), fd]
            }),
        },
        Contender {
            name: "floor",
            argv: Ok(vec![floor.clone(), dir.clone()]),
        },
        Contender {
            name: "peer",
            argv: match peer.is_empty() {
                true => Err("no peer command given".into()),
                false => Ok(peer.clone()),
            },
        },
    ];
    for c in &contenders {
        match &c.argv {
            Ok(argv) => {
                println!("{}: {}", c.name, argv.join(" "));
                // One untimed run: it works, and its pages are in.
                time_run(&mut Contender::command(argv))?;
            }
            Err(why) => println!("{}: skipped ({why})", c.name),
        }
    }
    let seconds = Duration::from_secs_f64(seconds);
    let mut rates = vec![vec![Vec::new(); contenders.len()]; enterers.len()];
    let mut order = RoundOrder::new(contenders.len());
    for round in 0..rounds {
        for (ki, &k) in enterers.iter().enumerate() {
            let mut line = format!("round {}/{rounds}: {k} at once:", round + 1);
            for &i in order.next_round() {
                if let Ok(argv) = &contenders[i].argv {
                    rates[ki][i].push(rate(argv, k, seconds)?);
                }
            }
            for (i, c) in contenders.iter().enumerate() {
                if let Some(r) = rates[ki][i].last() {
                    line += &format!(" {} {r:.1}/s", c.name);
                }
            }
            println!("{line}");
        }
    }
    let mut last = String::from("rate_per_s");
    for (ki, k) in enterers.iter().enumerate() {
        for (i, c) in contenders.iter().enumerate() {
            let r = match rates[ki][i].is_empty() {
                true => f64::NAN,
                false => median(&mut rates[ki][i]),
            };
            last += &format!(" {}_{k}={r:.1}", c.name);
        }
    }
    println!("{last}");
    drop(shared);
    Ok(())
}
