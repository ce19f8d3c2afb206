//! `cargo xtask bench`: what entering costs against the bare system calls (the floor) and
//! against bwrap, where the time of entering goes step by step, many sandboxes at once,
//! how the cost grows with the mounts and descriptors a sandbox takes in, and the
//! daemon's hot path (reopening through `/proc/self/fd`, under the seccomp filter), plus
//! what installing a seccomp filter costs a process and what `Inside::audit()` costs. It
//! reports figures; it asserts nothing about them.
//!
//! Every comparison runs both sides in the same run, alternating, so that a load that
//! drifts (other builds on the machine) moves both: compare ratios, not figures across
//! runs.

mod enter;
mod growth;
mod many;
mod median;
mod steps;

/// `test-support`'s median, read from its file (xtask does not depend on `test-support`).
#[path = "../../../test-support/src/median.rs"]
mod shared_median;
use shared_median::median;
/// `test-support`'s shuffled order of a round, read from its file likewise.
#[path = "../../../test-support/src/round_order.rs"]
mod round_order;
use round_order::RoundOrder;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result, Workspace};

const DEFAULT_ROUNDS: usize = 200;
const BUSYBOX: &str = "/bin/busybox";
const INSTALL_PEERS: &str = "apt-get install bubblewrap busybox-static";

/// The benchmarks, by the names `--only` takes, in the order they run.
const BENCHES: [&str; 9] = [
    "enter", "steps", "many", "growth", "reopen", "hotpath", "filter", "install", "audit",
];

/// What `cargo xtask bench ARGS` asked for.
#[derive(Debug, PartialEq)]
struct Options {
    rounds: usize,
    only: Vec<&'static str>,
}

/// Runs `cargo xtask bench ARGS`.
pub fn run(args: &[String]) -> Result {
    let options = parse_args(args)?;
    let ws = Workspace::find()?;
    println!("    running as uid {}", crate::euid()?);
    let mut rows = Vec::new();
    for bench in options.only.iter().copied() {
        println!();
        println!("--- {bench}");
        match bench {
            "enter" => rows.extend(enter::run(&ws, options.rounds)?),
            "steps" => steps::run(&ws, options.rounds)?,
            "many" => rows.extend(many::run(&ws)?),
            "growth" => rows.extend(growth::run(&ws, options.rounds)?),
            "reopen" => rows.extend(median::reopen(&ws)?),
            "hotpath" => rows.extend(median::hot_path(&ws)?),
            "filter" => rows.push(median::filter(&ws)?),
            "install" => rows.extend(median::install(&ws)?),
            "audit" => rows.push(median::audit(&ws)?),
            _ => unreachable!("parse_args accepts only the names in BENCHES"),
        }
    }
    if !rows.is_empty() {
        println!();
        print_table(&rows);
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        rounds: DEFAULT_ROUNDS,
        only: BENCHES.to_vec(),
    };
    let mut iter = args.iter();
    let unknown = |other: &str| {
        Error::msg(format!(
            "`cargo xtask bench`: unknown argument {other:?} (see `cargo xtask help`)"
        ))
    };
    while let Some(arg) = iter.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.as_str(), None),
        };
        match name {
            "--steps" if inline.is_none() => options.only = vec!["steps"],
            "--rounds" | "--only" => {
                let value = inline
                    .or_else(|| iter.next().map(String::as_str))
                    .ok_or_else(|| Error::msg(format!("{name} takes a value")))?;
                if name == "--rounds" {
                    options.rounds = value
                        .parse()
                        .ok()
                        .filter(|r| *r > 0)
                        .ok_or_else(|| Error::msg("--rounds takes a positive number"))?;
                } else {
                    options.only = value
                        .split(',')
                        .map(|n| {
                            BENCHES.iter().copied().find(|b| *b == n).ok_or_else(|| {
                                Error::msg(format!(
                                    "--only: no benchmark {n:?}; there are {}",
                                    BENCHES.join(", ")
                                ))
                            })
                        })
                        .collect::<Result<_>>()?;
                }
            }
            other => return Err(unknown(other)),
        }
    }
    Ok(options)
}

/// One line of the closing table.
struct Row {
    name: String,
    ours: String,
    peer: String,
    ratio: String,
}

impl Row {
    fn new(name: impl Into<String>, ours: String, peer: String, ratio: f64) -> Row {
        Row {
            name: name.into(),
            ours,
            peer,
            ratio: format!("{ratio:.2}"),
        }
    }

    /// A row whose peer could not run here.
    fn skipped(name: impl Into<String>, ours: String, why: &str) -> Row {
        Row {
            name: name.into(),
            ours,
            peer: format!("- ({why})"),
            ratio: "-".to_owned(),
        }
    }
}

fn print_table(rows: &[Row]) {
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(9);
    let ours = rows
        .iter()
        .map(|r| r.ours.chars().count())
        .max()
        .unwrap_or(4);
    let peer = rows
        .iter()
        .map(|r| r.peer.chars().count())
        .max()
        .unwrap_or(4);
    println!(
        "{:<width$}  {:>ours$}  {:>peer$}  {:>6}",
        "benchmark", "ours", "peer", "ratio"
    );
    for r in rows {
        println!(
            "{:<width$}  {:>ours$}  {:>peer$}  {:>6}",
            r.name, r.ours, r.peer, r.ratio
        );
    }
}

/// `cargo build --release -p PACKAGE --example NAME [--features FEATURES]`, and the
/// executable it made.
fn build_example(ws: &Workspace, package: &str, name: &str, features: &str) -> Result<PathBuf> {
    let mut args = vec!["build", "--release", "-p", package, "--example", name];
    if !features.is_empty() {
        args.extend(["--features", features]);
    }
    let artifacts = ws.build_artifacts(&args)?;
    artifacts
        .into_iter()
        .filter(|a| a.target == name && a.kind.iter().any(|k| k == "example"))
        .find_map(|a| a.executable)
        .ok_or_else(|| Error::msg(format!("cargo built no executable for example {name}")))
}

/// Runs a command to completion with its output captured; its stdout, or Err with its
/// output unless it exits 0.
fn run_checked(cmd: &mut Command) -> Result<String> {
    let shown = crate::describe(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::msg(format!("cannot run `{shown}`: {e}")))?;
    if !out.status.success() {
        return Err(Error::msg(format!(
            "`{shown}` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Times spawn + wait of one run, output discarded. A failed run is run once more with
/// its output captured, to say why.
fn time_once(cmd: &mut Command) -> Result<Duration> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = cmd.status();
    let elapsed = started.elapsed();
    match status {
        Ok(s) if s.success() => Ok(elapsed),
        _ => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            run_checked(cmd)?;
            Err(Error::msg(format!(
                "`{}` failed once while timed, then succeeded",
                crate::describe(cmd)
            )))
        }
    }
}

/// Times `rounds` runs of each command, after `warm_up` untimed ones, the commands taking
/// turns within each round in an order shuffled anew each round, so that none always runs
/// after the same other. Returns the times of each command, in its order.
fn alternate(
    cmds: &mut [&mut Command],
    rounds: usize,
    warm_up: usize,
) -> Result<Vec<Vec<Duration>>> {
    for _ in 0..warm_up {
        for cmd in cmds.iter_mut() {
            time_once(cmd)?;
        }
    }
    let n = cmds.len();
    let mut times = vec![Vec::with_capacity(rounds); n];
    let mut order = RoundOrder::new(n);
    for _ in 0..rounds {
        for &i in order.next_round() {
            times[i].push(time_once(cmds[i])?);
        }
    }
    Ok(times)
}

/// Median and 90th percentile.
fn stats(samples: &[Duration]) -> (Duration, Duration) {
    let mut samples = samples.to_vec();
    samples.sort();
    let n = samples.len();
    if n == 0 {
        return (Duration::ZERO, Duration::ZERO);
    }
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    let p90 = samples[(n * 9).div_ceil(10).saturating_sub(1)];
    (median, p90)
}

/// The median of the per-round ratios `a[i] / b[i]`: a load that drifts between rounds
/// moves it less than the ratio of the medians.
fn paired_ratio(a: &[Duration], b: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(_, b)| !b.is_zero())
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    median(&mut ratios)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The median (p90) of `samples`, in ms.
fn med_p90(samples: &[Duration]) -> String {
    let (med, p90) = stats(samples);
    format!("{} ({})", ms(med), ms(p90))
}

/// The peer: `bwrap BIND DIR / ... /true` (BIND is `--bind` or `--ro-bind`), with
/// DIR/true a copy of the static busybox, and the same confinement as our defaults where
/// bwrap has it: pid, net, ipc, uts and cgroup namespaces, a new session, death with the
/// parent. Err says why the comparison cannot run here.
fn bwrap_command(dir: &Path, bind: &str) -> std::result::Result<Command, String> {
    let Some(bwrap) = crate::which("bwrap") else {
        return Err(format!("bwrap is not installed ({INSTALL_PEERS})"));
    };
    if !Path::new(BUSYBOX).is_file() {
        return Err(format!("{BUSYBOX} is missing ({INSTALL_PEERS})"));
    }
    let t = dir.join("true");
    std::fs::copy(BUSYBOX, &t).map_err(|e| format!("copy {BUSYBOX} to {}: {e}", t.display()))?;
    std::fs::set_permissions(&t, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(|e| format!("chmod 755 {}: {e}", t.display()))?;
    // busybox runs the applet named by argv[0]: a copy called `true` is `true`, and being
    // static it needs nothing else inside the new root.
    run_checked(&mut Command::new(&t))
        .map_err(|e| format!("{} does not work as `true`: {e:?}", t.display()))?;
    if bind == "--ro-bind" {
        // bwrap mounts its proc on a directory it cannot make in a read-only root.
        let proc = dir.join("proc");
        std::fs::create_dir_all(&proc).map_err(|e| format!("mkdir {}: {e}", proc.display()))?;
    }
    let mut cmd = Command::new(bwrap);
    cmd.arg(bind)
        .arg(dir)
        .args(["/", "--proc", "/proc", "--unshare-pid", "--unshare-net"])
        .args(["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"])
        .args(["--new-session", "--die-with-parent", "/true"]);
    run_checked(&mut cmd).map_err(|e| match e {
        Error::Message(m) => format!("bwrap does not work here: {m}"),
        Error::Reported => "bwrap does not work here".to_owned(),
    })?;
    Ok(cmd)
}

/// Reads `PREFIX <k1>=<f64> <k2>=<f64> ...`, the last line of the bench examples: the
/// values of exactly the `keys`, in that order.
fn parse_result_line<const N: usize>(
    line: &str,
    prefix: &str,
    keys: [&str; N],
) -> Option<[f64; N]> {
    let mut words = line.split_whitespace();
    if words.next()? != prefix {
        return None;
    }
    let mut values = [0.0; N];
    for (value, key) in values.iter_mut().zip(keys) {
        *value = words
            .next()?
            .strip_prefix(key)?
            .strip_prefix('=')?
            .parse::<f64>()
            .ok()?;
    }
    words.next().is_none().then_some(values)
}

/// Whether a line of an example's progress is shown: all but the round lines
/// (`round  K/R: ...`) of more than 50 rounds, of which the first, every 50th and the
/// last.
fn shown_progress(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("round ") else {
        return true;
    };
    let counts = rest.split(':').next().and_then(|k_of_r| {
        let (k, r) = k_of_r.trim().split_once('/')?;
        Some((k.parse::<usize>().ok()?, r.parse::<usize>().ok()?))
    });
    match counts {
        Some((k, r)) => r <= 50 || k == 1 || k % 50 == 0 || k == r,
        None => true,
    }
}

/// Runs a bench example from the workspace root with `args`, streaming its output, and
/// returns the values of its last line (`prefix` and the `keys`).
fn run_result_bench<const N: usize>(
    ws: &Workspace,
    exe: &Path,
    args: &[&std::ffi::OsStr],
    prefix: &str,
    keys: [&str; N],
) -> Result<[f64; N]> {
    use std::io::{BufRead, BufReader};
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .current_dir(&ws.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let shown = crate::describe(&cmd);
    println!("==> {shown}");
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::msg(format!("cannot run `{shown}`: {e}")))?;
    // Stream its progress (of many round lines, the first, every 50th and the last);
    // keep the last line, which carries the figures.
    let mut last = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| Error::msg(format!("read from `{shown}`: {e}")))?;
            if shown_progress(&line) {
                println!("{line}");
            }
            if !line.trim().is_empty() {
                last = line;
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::msg(format!("wait for `{shown}`: {e}")))?;
    if !status.success() {
        return Err(Error::msg(format!("`{shown}` failed ({status})")));
    }
    parse_result_line(&last, prefix, keys).ok_or_else(|| {
        let want: Vec<String> = keys.iter().map(|k| format!("{k}=<f64>")).collect();
        Error::msg(format!(
            "the last line of `{shown}` is {last:?}, not `{prefix} {}`",
            want.join(" ")
        ))
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_the_result_lines() {
        let reopen = ["reopen", "openat", "ratio"];
        let p = |l: &str| parse_result_line(l, "median_ns", reopen);
        assert_eq!(
            p("median_ns reopen=812.5 openat=640 ratio=1.27"),
            Some([812.5, 640.0, 1.27])
        );
        assert_eq!(p("median_ns reopen=1 openat=2"), None);
        assert_eq!(p("median reopen=1 openat=2 ratio=3"), None);
        // The keys in their order, no more, no fewer.
        assert_eq!(p("median_ns openat=1 reopen=2 ratio=3"), None);
        assert_eq!(p("median_ns reopen=1 openat=2 ratio=3 x=4"), None);
        assert_eq!(p("median_ns reopen=1 openat=x ratio=3"), None);
        assert_eq!(
            parse_result_line("rate_per_s fresh_1=310.5", "rate_per_s", ["fresh_1"]),
            Some([310.5])
        );
    }

    #[test]
    fn medians_p90_and_paired_ratios() {
        let d: Vec<Duration> = (1..=10).rev().map(Duration::from_millis).collect();
        assert_eq!(
            stats(&d),
            (Duration::from_micros(5500), Duration::from_millis(9))
        );
        let d = vec![Duration::from_millis(3)];
        assert_eq!(
            stats(&d),
            (Duration::from_millis(3), Duration::from_millis(3))
        );
        let a = [2, 6, 30].map(Duration::from_millis);
        let b = [1, 2, 10].map(Duration::from_millis);
        // Per-round ratios 2, 3, 3: the median is 3, not 30/10 of the medians' 6/2.
        assert_eq!(paired_ratio(&a, &b), 3.0);
    }

    #[test]
    fn reads_rounds_and_the_benchmarks_chosen() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let all = parse_args(&args(&[])).unwrap();
        assert_eq!(all.rounds, DEFAULT_ROUNDS);
        assert_eq!(all.only, BENCHES.to_vec());
        assert_eq!(parse_args(&args(&["--rounds", "7"])).unwrap().rounds, 7);
        assert_eq!(parse_args(&args(&["--rounds=9"])).unwrap().rounds, 9);
        assert!(parse_args(&args(&["--rounds", "0"])).is_err());
        assert!(parse_args(&args(&["--rounds"])).is_err());
        assert_eq!(parse_args(&args(&["--steps"])).unwrap().only, vec!["steps"]);
        assert_eq!(
            parse_args(&args(&["--only", "enter,audit"])).unwrap().only,
            vec!["enter", "audit"]
        );
        assert!(parse_args(&args(&["--only", "enter,nothing"])).is_err());
        assert!(parse_args(&args(&["--fast"])).is_err());
    }

    #[test]
    fn only_some_round_lines_are_shown() {
        let shown = |k: usize| shown_progress(&format!("round {k:>3}/201: a 1.0 ns  b 2.0 ns"));
        let kept: Vec<usize> = (1..=201).filter(|&k| shown(k)).collect();
        assert_eq!(kept, [1, 50, 100, 150, 200, 201]);
        assert!((1..=3).all(|k| shown_progress(&format!("round {k}/3: 1 at once: a 1.0/s"))));
        assert!(shown_progress("median_ns a=1.0 b=2.0 ratio=0.5"));
        assert!(shown_progress("round about: not a round line"));
        assert!(shown_progress(
            "pinned to CPU 0, with the processes it starts"
        ));
    }
}
