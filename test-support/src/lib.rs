//! Scenario harness for tests that need the real kernel.
//!
//! `cargo test` runs tests as threads of one process, but `unshare(CLONE_NEWUSER)`,
//! `unshare(CLONE_NEWPID)` + `fork` and most mount-namespace work need a process with a
//! single thread, and a failed scenario must not leave its namespaces or mounts to the
//! next one. So each kernel test target is a `harness = false` binary whose `main` calls
//! [`main`] with its list of scenarios; the runner re-executes the binary once per
//! scenario (`--scenario NAME`), in a fresh process and process group, with a timeout.
//!
//! A scenario returns [`TestResult`]: `Ok(())` passes, [`Fail::Skip`] (through
//! [`skip!`]) counts as skipped and prints its reason, anything else fails. The runner
//! ends with the line `result: N passed, N failed, N skipped` and exits non-zero when a
//! scenario failed.
//!
//! ```no_run
//! use test_support::{ensure, scenarios, TestResult};
//!
//! fn two_is_two() -> TestResult {
//!     ensure!(1 + 1 == 2, "arithmetic is broken");
//!     Ok(())
//! }
//!
//! fn main() {
//!     test_support::main(scenarios![two_is_two])
//! }
//! ```
//!
//! Arguments: `--list` prints the scenario names; any other argument not starting with
//! `-` is a filter (a scenario runs when its name contains one of the filters).
//! `SANDBOX_TEST_TIMEOUT` sets the per-scenario timeout in seconds (default 120).

use std::fmt::Display;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub mod bench;
pub mod daemon;
pub mod syscalls;

/// Exit code of a scenario process that skipped.
pub const SKIP_EXIT: i32 = 77;

/// Why a scenario did not pass.
#[derive(Debug)]
pub enum Fail {
    /// The scenario cannot run here; the reason is printed and it counts as skipped.
    Skip(String),
    /// The scenario ran and a check failed.
    Failed(String),
}

impl<E: std::error::Error> From<E> for Fail {
    fn from(e: E) -> Self {
        // Keep the whole chain of sources: the leaf errno is usually the useful part.
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        Fail::Failed(format!("error: {msg} ({e:?})"))
    }
}

/// What a scenario returns.
pub type TestResult = Result<(), Fail>;

/// One named scenario.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// The name, which should state the claim (`old_root_is_unreachable_after_pivot`).
    pub name: &'static str,
    /// The body, run in a fresh process.
    pub run: fn() -> TestResult,
}

/// Builds a `&[Scenario]` from function names.
#[macro_export]
macro_rules! scenarios {
    ($($f:path),* $(,)?) => {
        &[$($crate::Scenario { name: stringify!($f), run: $f }),*]
    };
}

/// Fails the scenario with a formatted message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::Fail::Failed(format!(
                "{}:{}: {}", file!(), line!(), format!($($fmt)+)
            )));
        }
    };
}

/// Fails the scenario unless the two values are equal, printing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::ensure_eq!($left, $right, "{} == {}", stringify!($left), stringify!($right))
    };
    ($left:expr, $right:expr, $($fmt:tt)+) => {
        match (&$left, &$right) {
            (l, r) => {
                if !(*l == *r) {
                    return Err($crate::Fail::Failed(format!(
                        "{}:{}: {}\n  left: {:?}\n right: {:?}",
                        file!(), line!(), format!($($fmt)+), l, r
                    )));
                }
            }
        }
    };
}

/// Skips the scenario, printing the reason.
#[macro_export]
macro_rules! skip {
    ($($fmt:tt)+) => {
        return Err($crate::Fail::Skip(format!($($fmt)+)))
    };
}

/// Fails the scenario with a formatted message.
#[macro_export]
macro_rules! fail {
    ($($fmt:tt)+) => {
        return Err($crate::Fail::Failed(format!("{}:{}: {}", file!(), line!(), format!($($fmt)+))))
    };
}

/// Runs the scenarios (or, with `--scenario NAME`, the one scenario in this process) and
/// exits.
pub fn main(scenarios: &[Scenario]) -> ! {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        let name = args.get(i + 1).map(String::as_str).unwrap_or("");
        run_one(scenarios, name)
    }
    if args.iter().any(|a| a == "--list") {
        for s in scenarios {
            println!("{}", s.name);
        }
        std::process::exit(0);
    }
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let selected: Vec<&Scenario> = scenarios
        .iter()
        .filter(|s| filters.is_empty() || filters.iter().any(|f| s.name.contains(f)))
        .collect();
    let timeout = std::env::var("SANDBOX_TEST_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120u64);
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    let who = rustix::process::geteuid().as_raw();
    println!(
        "running {} scenarios as uid {who} ({})",
        selected.len(),
        exe.display()
    );
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for s in selected {
        let started = Instant::now();
        match spawn_scenario(&exe, s.name, Duration::from_secs(timeout)) {
            Verdict::Pass => {
                passed += 1;
                println!("test {} ... ok ({:.2?})", s.name, started.elapsed());
            }
            Verdict::Skip(reason) => {
                skipped += 1;
                println!("test {} ... skipped: {reason}", s.name);
            }
            Verdict::Fail(output) => {
                failed += 1;
                println!("test {} ... FAILED", s.name);
                for line in output.lines() {
                    println!("    | {line}");
                }
            }
        }
    }
    println!("result: {passed} passed, {failed} failed, {skipped} skipped");
    std::process::exit(if failed == 0 { 0 } else { 1 })
}

fn run_one(scenarios: &[Scenario], name: &str) -> ! {
    let Some(s) = scenarios.iter().find(|s| s.name == name) else {
        eprintln!("no scenario named {name:?}");
        std::process::exit(2);
    };
    let code = match (s.run)() {
        Ok(()) => 0,
        Err(Fail::Skip(reason)) => {
            eprintln!("skipped: {reason}");
            SKIP_EXIT
        }
        Err(Fail::Failed(msg)) => {
            eprintln!("failed: {msg}");
            1
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

enum Verdict {
    Pass,
    Skip(String),
    Fail(String),
}

fn spawn_scenario(exe: &Path, name: &str, timeout: Duration) -> Verdict {
    // Output goes to an unlinked file, not a pipe: a scenario's stray grandchild that
    // keeps the descriptor open must not hang the runner.
    let out = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => return Verdict::Fail(format!("cannot make an output file: {e}")),
    };
    let (Ok(o1), Ok(o2)) = (out.try_clone(), out.try_clone()) else {
        return Verdict::Fail("cannot duplicate the output file".into());
    };
    let child = Command::new(exe)
        .arg("--scenario")
        .arg(name)
        .stdin(Stdio::null())
        .stdout(o1)
        .stderr(o2)
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Verdict::Fail(format!("cannot run {}: {e}", exe.display())),
    };
    let pgid = child.id() as i32;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    // Whatever the scenario left behind in its process group goes with it.
    // SAFETY: kill(2) with a negative pid signals the scenario's own process group,
    // which we created with process_group(0) above; no memory is involved.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let mut output = String::new();
    let mut out = out;
    let _ = out.seek(SeekFrom::Start(0));
    let _ = out.read_to_string(&mut output);
    match status {
        None => Verdict::Fail(format!("timed out after {timeout:?}\n{output}")),
        Some(s) if s.success() => Verdict::Pass,
        Some(s) if s.code() == Some(SKIP_EXIT) => {
            let reason = output
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("skipped: "))
                .unwrap_or("no reason given")
                .to_string();
            Verdict::Skip(reason)
        }
        Some(s) => {
            let how = match (s.code(), s.signal()) {
                (Some(c), _) => format!("exit code {c}"),
                (None, Some(sig)) => format!("killed by signal {sig}"),
                _ => "unknown status".into(),
            };
            Verdict::Fail(format!("{how}\n{output}"))
        }
    }
}

/// Whether this process runs with euid 0.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Skips unless the process runs as root.
pub fn require_root() -> TestResult {
    if !is_root() {
        skip!(
            "needs root (running as uid {})",
            rustix::process::geteuid().as_raw()
        );
    }
    Ok(())
}

/// Skips when the process runs as root: for scenarios about the unprivileged path.
pub fn require_unprivileged() -> TestResult {
    if is_root() {
        skip!("covers the unprivileged path; the unprivileged run of `cargo xtask test` runs it");
    }
    Ok(())
}

/// A fresh temporary directory under `$TMPDIR` (or `/tmp`), removed when dropped.
pub fn temp_dir() -> Result<tempfile::TempDir, Fail> {
    tempfile::Builder::new()
        .prefix("sandbox-test-")
        .tempdir()
        .map_err(|e| Fail::Failed(format!("cannot make a temp dir: {e}")))
}

/// The text of `/proc/self/mountinfo`, to compare the mount table before and after.
pub fn mountinfo() -> Result<String, Fail> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| Fail::Failed(format!("read /proc/self/mountinfo: {e}")))
}

/// Runs `f` in a forked child process and returns its verdict.
///
/// Use it for work that must not touch the scenario process itself, e.g. to check what
/// the parent sees while a child sits in new namespaces. The scenario process must be
/// single-threaded (it is, unless the scenario started threads).
pub fn in_child(f: impl FnOnce() -> TestResult) -> TestResult {
    let (mut reader, writer) = std::io::pipe().map_err(|e| Fail::Failed(format!("pipe: {e}")))?;
    // SAFETY: scenario processes are single-threaded (each runs alone in a fresh process,
    // and scenarios that start threads do not call this), so the child may run any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        fail!("fork: {}", std::io::Error::last_os_error());
    }
    if pid == 0 {
        drop(reader);
        let mut writer = writer;
        let code = match f() {
            Ok(()) => 0,
            Err(Fail::Skip(r)) => {
                let _ = write!(writer, "skip:{r}");
                SKIP_EXIT
            }
            Err(Fail::Failed(m)) => {
                let _ = write!(writer, "fail:{m}");
                1
            }
        };
        // SAFETY: _exit ends the forked child without running the parent's atexit
        // handlers or flushing buffers that belong to the parent.
        unsafe { libc::_exit(code) };
    }
    // What the closure holds (pipes among it) belongs to the child now.
    drop(f);
    drop(writer);
    let mut msg = String::new();
    let _ = reader.read_to_string(&mut msg);
    let mut status = 0;
    // SAFETY: waits for the child forked above; status is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    if r != pid {
        fail!("waitpid: {}", std::io::Error::last_os_error());
    }
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        return Ok(());
    }
    if let Some(r) = msg.strip_prefix("skip:") {
        return Err(Fail::Skip(r.to_string()));
    }
    if let Some(m) = msg.strip_prefix("fail:") {
        return Err(Fail::Failed(format!("in child: {m}")));
    }
    Err(Fail::Failed(format!(
        "child ended with wait status {status:#x} and said {msg:?}"
    )))
}

/// Formats any displayable error as a failure, for `map_err`.
pub fn failed(what: impl Display) -> Fail {
    Fail::Failed(what.to_string())
}
