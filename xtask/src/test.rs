//! `cargo xtask test`: checks, unit tests, then the kernel tests as root and unprivileged.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::{Error, Result, TempDir, Workspace};

/// The uid the unprivileged run takes when xtask runs as root (`nobody`).
const UNPRIVILEGED_UID: u32 = 65534;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Root,
    Unprivileged,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Root => "root",
            Mode::Unprivileged => "unprivileged",
        }
    }
}

/// How a binary is started for a mode.
#[derive(Debug, Clone, Copy)]
enum Launch {
    /// As this process's user.
    Direct,
    /// `sudo -n -E` (not root, but passwordless sudo works).
    Sudo,
    /// `setpriv` down to uid/gid 65534 with no supplementary groups (root).
    Setpriv,
}

struct Options {
    modes: Vec<Mode>,
    skip_checks: bool,
    /// Install the programs some scenarios run, where xtask can (root, apt-get).
    install: bool,
    /// What follows `--`: passed to each test binary (libtest's command line).
    test_args: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let (mut root_only, mut unprivileged_only, mut skip_checks) = (false, false, false);
    let mut install = true;
    let mut test_args = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--root-only" => root_only = true,
            "--unprivileged-only" => unprivileged_only = true,
            "--skip-checks" => skip_checks = true,
            "--no-install" => install = false,
            "--" => test_args.extend(iter.by_ref().cloned()),
            other => {
                return Err(Error::msg(format!(
                    "`cargo xtask test`: unknown argument {other:?} (the test binaries' \
                     arguments go after `--`; see `cargo xtask help`)"
                )))
            }
        }
    }
    let modes = match (root_only, unprivileged_only) {
        (true, true) => {
            return Err(Error::msg(
                "--root-only and --unprivileged-only exclude each other",
            ))
        }
        (true, false) => vec![Mode::Root],
        (false, true) => vec![Mode::Unprivileged],
        (false, false) => vec![Mode::Root, Mode::Unprivileged],
    };
    Ok(Options {
        modes,
        skip_checks,
        install,
        test_args,
    })
}

/// Runs `cargo xtask test ARGS`.
pub fn run(args: &[String]) -> Result {
    let opts = parse_args(args)?;
    let ws = Workspace::find()?;
    // Decide how each mode runs before spending minutes on builds.
    let euid = crate::euid()?;
    let mut plan = Vec::new();
    for &mode in &opts.modes {
        plan.push((mode, launch_for(mode, euid)?));
    }

    crate::tools::prepare(euid, opts.install);

    if !opts.skip_checks {
        checks(&ws)?;
    }

    let binaries = build_kernel_tests(&ws)?;
    let dir = TempDir::new("xtask-test-")?;
    println!(
        "==> copying {} test binaries to {}",
        binaries.len(),
        dir.path().display()
    );
    let mut copies = Vec::new();
    for bin in &binaries {
        let file_name = bin.label.replace('/', "-");
        copies.push((
            bin.label.clone(),
            dir.copy_executable(&bin.path, &file_name)?,
        ));
    }

    let mut runs = Vec::new();
    for &(mode, launch) in &plan {
        for (label, path) in &copies {
            let outcome = run_binary(mode, launch, path, dir.path(), &opts.test_args);
            runs.push(Run {
                mode,
                label: label.clone(),
                outcome,
            });
        }
    }
    drop(dir);
    report(&plan, &runs)
}

fn launch_for(mode: Mode, euid: u32) -> Result<Launch> {
    match mode {
        Mode::Root if euid == 0 => Ok(Launch::Direct),
        Mode::Root => {
            let sudo_works = Command::new("sudo")
                .args(["-n", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if sudo_works {
                Ok(Launch::Sudo)
            } else {
                Err(Error::msg(format!(
                    "the root run of the kernel tests needs root: this is uid {euid} and \
                     `sudo -n true` does not work. Run `cargo xtask test` as root (or with \
                     passwordless sudo), or run `cargo xtask test --unprivileged-only`"
                )))
            }
        }
        Mode::Unprivileged if euid == 0 => {
            if crate::which("setpriv").is_none() {
                return Err(Error::msg(
                    "the unprivileged run needs setpriv to drop to uid 65534 \
                     (package util-linux), or use --root-only",
                ));
            }
            Ok(Launch::Setpriv)
        }
        Mode::Unprivileged => Ok(Launch::Direct),
    }
}

/// fmt, clippy, rustdoc, unit and doc tests, the fuzz targets briefly: what needs no
/// privilege.
fn checks(ws: &Workspace) -> Result {
    crate::run(&mut ws.cargo(&["fmt", "--all", "--check"]))?;
    crate::run(&mut ws.cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::run(
        ws.cargo(&["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    // Unit tests only: the kernel targets run below, in their two modes. `--examples`
    // builds examples as libtest binaries: it runs their #[test]s, never their main.
    crate::run(&mut ws.cargo(&["test", "--workspace", "--lib", "--bins", "--examples"]))?;
    crate::run(&mut ws.cargo(&["test", "--workspace", "--doc"]))?;
    // Every fuzz target over its committed corpus and a fixed run of mutations: a few
    // seconds; `cargo xtask fuzz` runs them at length.
    crate::run(&mut ws.cargo(&[
        "run",
        "--quiet",
        "--package",
        "fuzz",
        "--",
        "--iterations",
        "2000",
        "--seed",
        "0",
    ]))?;
    Ok(())
}

/// A kernel test binary as cargo built it.
struct Binary {
    /// `package/target`, e.g. `sandbox-mount/kernel` or `tests/sandbox`.
    label: String,
    path: PathBuf,
}

/// Builds every test target once and picks the kernel ones: targets named `kernel`
/// and the test targets of the `tests` package (the integration tests).
fn build_kernel_tests(ws: &Workspace) -> Result<Vec<Binary>> {
    let artifacts = ws.build_artifacts(&["test", "--workspace", "--no-run"])?;
    let mut binaries: Vec<Binary> = artifacts
        .into_iter()
        .filter(|a| a.kind.iter().any(|k| k == "test"))
        .filter(|a| a.target == "kernel" || a.package == "tests")
        .filter_map(|a| {
            Some(Binary {
                label: format!("{}/{}", a.package, a.target),
                path: a.executable?,
            })
        })
        .collect();
    binaries.sort_by(|a, b| a.label.cmp(&b.label));
    binaries.dedup_by(|a, b| a.label == b.label);
    if binaries.is_empty() {
        return Err(Error::msg(
            "cargo built no kernel test binary (test targets named `kernel`, or of the \
             `tests` package)",
        ));
    }
    for b in &binaries {
        println!("    {:<28} {}", b.label, b.path.display());
    }
    Ok(binaries)
}

/// The counts a binary reports on libtest's summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Counts {
    passed: u64,
    failed: u64,
    /// libtest's `ignored`: the scenarios that skipped, each with its reason.
    skipped: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Reads libtest's summary line, as libtest-mimic prints it too: `test result: ok. 3
/// passed; 1 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.52s` (the
/// outcome word may be coloured).
fn parse_summary_line(line: &str) -> Option<Counts> {
    let rest = line.trim_end().strip_prefix("test result: ")?;
    let (_outcome, figures) = rest.split_once(". ")?;
    let mut counts = Counts::default();
    let mut seen = [false; 3];
    for part in figures.split("; ") {
        let Some((n, what)) = part.split_once(' ') else {
            continue;
        };
        let (slot, i) = match what {
            "passed" => (&mut counts.passed, 0),
            "failed" => (&mut counts.failed, 1),
            "ignored" => (&mut counts.skipped, 2),
            _ => continue,
        };
        if std::mem::replace(&mut seen[i], true) {
            return None;
        }
        *slot = n.parse().ok()?;
    }
    seen.iter().all(|s| *s).then_some(counts)
}

/// How one binary ran in one mode.
struct Outcome {
    counts: Option<Counts>,
    /// Set when the binary did not end the way the harness ends: it crashed, could not
    /// start, printed no result line, or exited non-zero with no failed scenario.
    problem: Option<String>,
}

struct Run {
    mode: Mode,
    label: String,
    outcome: Outcome,
}

fn run_binary(mode: Mode, launch: Launch, bin: &Path, dir: &Path, test_args: &[String]) -> Outcome {
    let mut cmd = match launch {
        Launch::Direct => Command::new(bin),
        Launch::Sudo => {
            // `env` sets TMPDIR after sudo's environment policy had its say.
            let mut c = Command::new("sudo");
            c.args(["-n", "-E", "env", "TMPDIR=/tmp"]).arg(bin);
            c
        }
        Launch::Setpriv => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={UNPRIVILEGED_UID}"))
                .arg(format!("--regid={UNPRIVILEGED_UID}"))
                .args(["--clear-groups", "--"])
                .arg(bin)
                .env("HOME", "/tmp");
            c
        }
    };
    cmd.args(test_args)
        .current_dir(dir)
        .env("TMPDIR", "/tmp")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    println!("==> [{}] {}", mode.name(), crate::describe(&cmd));

    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                counts: None,
                problem: Some(format!("cannot start: {e}")),
            }
        }
    };
    // Stream stdout line by line from a thread, and keep the last summary line. The
    // thread reports when it reaches EOF; if a stray grandchild keeps the pipe open
    // after the binary exits, stop waiting for it after a few seconds.
    let (done_tx, done_rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut result = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                println!("{line}");
                if let Some(counts) = parse_summary_line(&line) {
                    result = Some(counts);
                }
            }
            let _ = done_tx.send(result);
        });
    }
    let status = child.wait();
    let counts = done_rx.recv_timeout(Duration::from_secs(10)).ok().flatten();
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                counts,
                problem: Some(format!("cannot wait for it: {e}")),
            }
        }
    };
    let problem = match counts {
        None if status.success() => {
            Some("exited successfully but printed no `test result:` line".to_owned())
        }
        None => Some(format!("crashed: {status}, with no `test result:` line")),
        Some(c) if !status.success() && c.failed == 0 => Some(format!(
            "{status} although its `test result:` line reports no failure"
        )),
        Some(_) => None,
    };
    Outcome { counts, problem }
}

/// Prints the table and the verdict; the closing `xtask:` line comes last.
fn report(plan: &[(Mode, Launch)], runs: &[Run]) -> Result {
    let mut problems = Vec::new();
    let mut grand = Counts::default();
    let w = runs
        .iter()
        .map(|r| r.label.len())
        .max()
        .unwrap_or(0)
        .max(18);
    println!();
    println!(
        "{:<13} {:<w$} {:>7} {:>7} {:>8}",
        "mode", "binary", "passed", "failed", "skipped"
    );
    for &(mode, launch) in plan {
        let mut total = Counts::default();
        for run in runs.iter().filter(|r| r.mode == mode) {
            let cell = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
            let c = run.outcome.counts;
            println!(
                "{:<13} {:<w$} {:>7} {:>7} {:>8}{}",
                mode.name(),
                run.label,
                cell(c.map(|c| c.passed)),
                cell(c.map(|c| c.failed)),
                cell(c.map(|c| c.skipped)),
                if run.outcome.problem.is_some() {
                    "  CRASHED"
                } else {
                    ""
                }
            );
            if let Some(c) = c {
                total += c;
                if c.failed > 0 {
                    problems.push(format!(
                        "{} ({}): {} failed",
                        run.label,
                        mode.name(),
                        c.failed
                    ));
                }
            }
            if let Some(p) = &run.outcome.problem {
                problems.push(format!("{} ({}): {p}", run.label, mode.name()));
            }
        }
        let how = match launch {
            Launch::Direct => "",
            Launch::Sudo => " (via sudo)",
            Launch::Setpriv => " (uid 65534)",
        };
        println!(
            "{:<13} {:<w$} {:>7} {:>7} {:>8}",
            mode.name(),
            format!("total{how}"),
            total.passed,
            total.failed,
            total.skipped
        );
        if total.passed == 0 {
            problems.push(format!("the {} run ran no test (0 passed)", mode.name()));
        }
        grand += total;
    }
    println!();
    for p in &problems {
        println!("xtask: FAILED: {p}");
    }
    println!(
        "xtask: {} passed, {} failed, {} skipped",
        grand.passed, grand.failed, grand.skipped
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_libtest_summary_lines() {
        assert_eq!(
            parse_summary_line(
                "test result: FAILED. 3 passed; 1 failed; 2 ignored; 0 measured; \
                 5 filtered out; finished in 1.25s"
            ),
            Some(Counts {
                passed: 3,
                failed: 1,
                skipped: 2
            })
        );
        assert_eq!(
            parse_summary_line(
                "test result: \x1b[32mok\x1b[0m. 7 passed; 0 failed; 0 ignored; 0 measured; \
                 0 filtered out; finished in 0.00s"
            ),
            Some(Counts {
                passed: 7,
                failed: 0,
                skipped: 0
            })
        );
        for bad in [
            "test result: ok. 3 passed; 1 failed",
            "test result: ok. x passed; 1 failed; 2 ignored",
            "test result: ok. 1 passed; 1 passed; 2 ignored",
            "    test result: ok. 3 passed; 1 failed; 2 ignored",
            "result: 3 passed, 1 failed, 2 skipped",
            "test foo ... ok",
        ] {
            assert_eq!(parse_summary_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = parse_args(&args(&["--skip-checks", "--", "pivot", "--exact"])).unwrap();
        assert!(o.skip_checks);
        assert!(o.install);
        assert!(!parse_args(&args(&["--no-install"])).unwrap().install);
        assert_eq!(o.modes, [Mode::Root, Mode::Unprivileged]);
        assert_eq!(o.test_args, ["pivot", "--exact"]);
        assert_eq!(
            parse_args(&args(&["--root-only"])).unwrap().modes,
            [Mode::Root]
        );
        assert!(parse_args(&args(&["--root-only", "--unprivileged-only"])).is_err());
        assert!(parse_args(&args(&["pivot"])).is_err());
    }
}
