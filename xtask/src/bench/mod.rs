//! `cargo xtask bench`: enter latency against bwrap, the /proc/self/fd reopen path
//! against openat, the default seccomp filter's cost on reopen + read, and what
//! `Inside::audit()` costs against one read of /proc/self/status. It reports figures; it
//! asserts nothing about them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result, TempDir, Workspace};

const DEFAULT_ROUNDS: usize = 200;
const WARM_UP: usize = 5;
const BUSYBOX: &str = "/bin/busybox";
const INSTALL_PEERS: &str = "apt-get install bubblewrap busybox-static";

/// Runs `cargo xtask bench ARGS`.
pub fn run(args: &[String]) -> Result {
    let rounds = parse_args(args)?;
    let ws = Workspace::find()?;
    let enter = build_example(&ws, "sandbox", "bench_enter")?;
    let reopen = build_example(&ws, "sandbox-proc-fd", "bench_reopen")?;
    let filter = build_example(&ws, "sandbox-seccomp", "bench_filter")?;
    let audit = build_example(&ws, "sandbox", "bench_audit")?;
    println!("    running as uid {}", crate::euid()?);

    let mut rows = bench_enter(&enter, rounds)?;
    rows.push(bench_reopen(&ws, &reopen)?);
    rows.push(bench_filter(&ws, &filter)?);
    rows.push(bench_audit(&ws, &audit)?);

    println!();
    println!(
        "{:<38} {:>20} {:>28} {:>7}",
        "benchmark", "ours", "peer", "ratio"
    );
    for r in &rows {
        println!(
            "{:<38} {:>20} {:>28} {:>7}",
            r.name, r.ours, r.peer, r.ratio
        );
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<usize> {
    let mut rounds = DEFAULT_ROUNDS;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let value = match arg.as_str() {
            "--rounds" => iter.next().map(String::as_str),
            other => match other.strip_prefix("--rounds=") {
                Some(v) => Some(v),
                None => {
                    return Err(Error::msg(format!(
                        "`cargo xtask bench`: unknown argument {other:?} (see `cargo xtask help`)"
                    )))
                }
            },
        };
        rounds = value
            .and_then(|v| v.parse().ok())
            .filter(|r| *r > 0)
            .ok_or_else(|| Error::msg("--rounds takes a positive number"))?;
    }
    Ok(rounds)
}

/// One line of the closing table.
struct Row {
    name: &'static str,
    ours: String,
    peer: String,
    ratio: String,
}

/// `cargo build --release -p PACKAGE --example NAME`, and the executable it made.
fn build_example(ws: &Workspace, package: &str, name: &str) -> Result<PathBuf> {
    let artifacts =
        ws.build_artifacts(&["build", "--release", "-p", package, "--example", name])?;
    artifacts
        .into_iter()
        .filter(|a| a.target == name && a.kind.iter().any(|k| k == "example"))
        .find_map(|a| a.executable)
        .ok_or_else(|| Error::msg(format!("cargo built no executable for example {name}")))
}

/// Runs a command to completion with its output captured; Err with that output unless
/// it exits 0.
fn run_checked(cmd: &mut Command) -> Result {
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
    Ok(())
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

/// The peer: `bwrap ... /true` over DIR, with DIR/true a copy of the static busybox, and
/// the same confinement as our defaults where bwrap has it: pid, net, ipc, uts and cgroup
/// namespaces, a new session, death with the parent.
/// Err says why the comparison cannot run here.
fn bwrap_command(dir: &Path) -> std::result::Result<Command, String> {
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
    let mut cmd = Command::new(bwrap);
    cmd.arg("--bind")
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

/// Median and 90th percentile.
fn stats(samples: &mut [Duration]) -> (Duration, Duration) {
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

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// Enter latency of the default sandbox, against bwrap and against our own sandbox with
/// only the pid and network namespaces (what IPC, UTS and cgroup cost), in the same rounds.
fn bench_enter(enter: &Path, rounds: usize) -> Result<Vec<Row>> {
    let dir = TempDir::new("xtask-bench-")?;
    let mut ours = Command::new(enter);
    ours.arg(dir.path());
    println!("==> {}", crate::describe(&ours));
    run_checked(&mut ours)?;
    let mut pid_net = Command::new(enter);
    pid_net.arg(dir.path()).arg("pid-net");
    println!("==> {}", crate::describe(&pid_net));
    run_checked(&mut pid_net)?;

    let mut peer = match bwrap_command(dir.path()) {
        Ok(cmd) => {
            println!("==> {}", crate::describe(&cmd));
            Some(cmd)
        }
        Err(why) => {
            println!("    skipping the bwrap comparison: {why}");
            None
        }
    };

    println!(
        "    {WARM_UP} warm-up runs, then {rounds} rounds{}",
        if peer.is_some() {
            ", alternating ours, ours with pid+net only, and bwrap"
        } else {
            ", alternating ours and ours with pid+net only"
        }
    );
    for _ in 0..WARM_UP {
        time_once(&mut ours)?;
        time_once(&mut pid_net)?;
        if let Some(p) = peer.as_mut() {
            time_once(p)?;
        }
    }
    let mut ours_t = Vec::with_capacity(rounds);
    let mut pid_net_t = Vec::with_capacity(rounds);
    let mut peer_t = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        ours_t.push(time_once(&mut ours)?);
        pid_net_t.push(time_once(&mut pid_net)?);
        if let Some(p) = peer.as_mut() {
            peer_t.push(time_once(p)?);
        }
    }
    let (ours_med, ours_p90) = stats(&mut ours_t);
    let (pid_net_med, pid_net_p90) = stats(&mut pid_net_t);
    println!(
        "    enter+exit, ours with pid+net only: median {}, p90 {}",
        ms(pid_net_med),
        ms(pid_net_p90)
    );
    let namespaces_row = Row {
        name: "default vs pid+net namespaces only",
        ours: format!("{} ({})", ms(ours_med), ms(ours_p90)),
        peer: format!("pid+net {} ({})", ms(pid_net_med), ms(pid_net_p90)),
        ratio: format!("{:.2}", ours_med.as_secs_f64() / pid_net_med.as_secs_f64()),
    };
    println!(
        "    enter+exit, ours:  median {}, p90 {}",
        ms(ours_med),
        ms(ours_p90)
    );
    let mut row = Row {
        name: "enter + exit, median (p90)",
        ours: format!("{} ({})", ms(ours_med), ms(ours_p90)),
        peer: "- (bwrap skipped)".to_owned(),
        ratio: "-".to_owned(),
    };
    if peer.is_some() {
        let (peer_med, peer_p90) = stats(&mut peer_t);
        println!(
            "    enter+exit, bwrap: median {}, p90 {}",
            ms(peer_med),
            ms(peer_p90)
        );
        row.peer = format!("bwrap {} ({})", ms(peer_med), ms(peer_p90));
        row.ratio = format!("{:.2}", ours_med.as_secs_f64() / peer_med.as_secs_f64());
    }
    Ok(vec![row, namespaces_row])
}

/// Reads `median_ns <k1>=<f64> <k2>=<f64> ...`, the last line of the bench examples: the
/// values of exactly the `keys`, in that order.
fn parse_median_line<const N: usize>(line: &str, keys: [&str; N]) -> Option<[f64; N]> {
    let mut words = line.split_whitespace();
    if words.next()? != "median_ns" {
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

/// Runs a bench example from the workspace root, streaming its output, and returns the
/// values of its last line (`median_ns` and the `keys`).
fn run_median_bench<const N: usize>(
    ws: &Workspace,
    exe: &Path,
    keys: [&str; N],
) -> Result<[f64; N]> {
    let mut cmd = Command::new(exe);
    cmd.current_dir(&ws.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let shown = crate::describe(&cmd);
    println!("==> {shown}");
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::msg(format!("cannot run `{shown}`: {e}")))?;
    // Stream its progress; keep the last line, which carries the figures.
    let mut last = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| Error::msg(format!("read from `{shown}`: {e}")))?;
            println!("{line}");
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
    parse_median_line(&last, keys).ok_or_else(|| {
        let want: Vec<String> = keys.iter().map(|k| format!("{k}=<f64>")).collect();
        Error::msg(format!(
            "the last line of `{shown}` is {last:?}, not `median_ns {}`",
            want.join(" ")
        ))
    })
}

fn bench_reopen(ws: &Workspace, reopen: &Path) -> Result<Row> {
    let [reopen_ns, openat_ns, ratio] =
        run_median_bench(ws, reopen, ["reopen", "openat", "ratio"])?;
    Ok(Row {
        name: "reopen via /proc/self/fd, median",
        ours: format!("{reopen_ns:.0} ns"),
        peer: format!("openat {openat_ns:.0} ns"),
        ratio: format!("{ratio:.2}"),
    })
}

/// The default seccomp filter on the hot path: reopen + read 4 KiB + close, filtered
/// against unfiltered (the ratio is the median of the per-round ratios).
fn bench_filter(ws: &Workspace, filter: &Path) -> Result<Row> {
    let [unfiltered_ns, filtered_ns, ratio] =
        run_median_bench(ws, filter, ["unfiltered", "filtered", "ratio"])?;
    Ok(Row {
        name: "seccomp filter on reopen+read, median",
        ours: format!("{filtered_ns:.0} ns"),
        peer: format!("unfiltered {unfiltered_ns:.0} ns"),
        ratio: format!("{ratio:.2}"),
    })
}

/// `Inside::audit()` in a default sandbox against one read of /proc/self/status (open,
/// read, close) in the original process, both under the default seccomp filter (the ratio
/// is the median of the per-round ratios).
fn bench_audit(ws: &Workspace, audit: &Path) -> Result<Row> {
    let [audit_ns, status_ns, ratio] = run_median_bench(ws, audit, ["audit", "status", "ratio"])?;
    Ok(Row {
        name: "audit() inside, median",
        ours: format!("{:.1} µs", audit_ns / 1e3),
        peer: format!("one status read {:.1} µs", status_ns / 1e3),
        ratio: format!("{ratio:.2}"),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_the_median_lines() {
        let reopen = ["reopen", "openat", "ratio"];
        assert_eq!(
            parse_median_line("median_ns reopen=812.5 openat=640 ratio=1.27", reopen),
            Some([812.5, 640.0, 1.27])
        );
        assert_eq!(
            parse_median_line("median_ns reopen=1 openat=2", reopen),
            None
        );
        assert_eq!(
            parse_median_line("median reopen=1 openat=2 ratio=3", reopen),
            None
        );
        let filter = ["unfiltered", "filtered", "ratio"];
        assert_eq!(
            parse_median_line(
                "median_ns unfiltered=2000.5 filtered=2100 ratio=1.0499",
                filter
            ),
            Some([2000.5, 2100.0, 1.0499])
        );
        // The keys in their order, no more, no fewer.
        assert_eq!(
            parse_median_line("median_ns filtered=1 unfiltered=2 ratio=3", filter),
            None
        );
        assert_eq!(
            parse_median_line("median_ns unfiltered=1 filtered=2 ratio=3 x=4", filter),
            None
        );
        assert_eq!(
            parse_median_line("median_ns unfiltered=1 filtered=x ratio=3", filter),
            None
        );
        assert_eq!(
            parse_median_line(
                "median_ns audit=32257.8 status=5294.9 ratio=6.2899",
                ["audit", "status", "ratio"]
            ),
            Some([32257.8, 5294.9, 6.2899])
        );
    }

    #[test]
    fn medians_and_p90() {
        let mut d: Vec<Duration> = (1..=10).rev().map(Duration::from_millis).collect();
        assert_eq!(
            stats(&mut d),
            (Duration::from_micros(5500), Duration::from_millis(9))
        );
        let mut d = vec![Duration::from_millis(3)];
        assert_eq!(
            stats(&mut d),
            (Duration::from_millis(3), Duration::from_millis(3))
        );
    }

    #[test]
    fn reads_rounds() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_args(&args(&[])).unwrap(), DEFAULT_ROUNDS);
        assert_eq!(parse_args(&args(&["--rounds", "7"])).unwrap(), 7);
        assert_eq!(parse_args(&args(&["--rounds=9"])).unwrap(), 9);
        assert!(parse_args(&args(&["--rounds", "0"])).is_err());
        assert!(parse_args(&args(&["--rounds"])).is_err());
    }
}
