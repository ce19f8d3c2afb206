//! The runner: libtest's command line and report (through `libtest-mimic`), each
//! scenario in a fresh process of this binary.
//!
//! A trial re-executes the test binary with [`SCENARIO_ENV`] naming the scenario (an
//! environment variable, not an argument: libtest's command line has no flag for it). That
//! process runs the one scenario on its main thread and exits 0 (passed), [`SKIP_EXIT`]
//! (skipped, after printing `skipped: REASON`) or anything else (failed). The runner starts
//! it in a process group of its own with a private `TMPDIR`, kills the group when the
//! scenario ends or times out, and removes the directory.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::{Fail, Scenario};

/// The environment variable that names the one scenario a process of the test binary
/// runs. The runner sets it for each trial; a scenario that runs another scenario of its
/// binary (under strace, say) sets it too.
pub const SCENARIO_ENV: &str = "SANDBOX_TEST_SCENARIO";

/// The environment variable that sets the per-scenario timeout in seconds (default 120).
pub const TIMEOUT_ENV: &str = "SANDBOX_TEST_TIMEOUT";

/// Exit code of a scenario process that skipped.
pub const SKIP_EXIT: i32 = 77;

/// Runs the scenarios as libtest would run tests (or, in a process started with
/// [`SCENARIO_ENV`], the one scenario it names) and exits.
///
/// The command line is libtest's, as `libtest-mimic` reads it: a name filter, `--exact`,
/// `--skip`, `--list`, `--format pretty|terse|json`, `--nocapture` (the scenario's output
/// is printed when it passes too), `--test-threads` (default 1: scenarios mount things
/// and count processes, so they run one at a time unless asked otherwise). A skipped
/// scenario is reported as `ignored`, with its reason.
pub fn main(scenarios: &[Scenario]) -> ! {
    main_with_helpers(scenarios, &[])
}

/// [`main`], with `helpers`: scenarios that run only when a scenario of this binary runs
/// one of them by name ([`SCENARIO_ENV`]), e.g. under strace's fault injection, where it
/// would fail on its own. The runner never lists or runs them.
pub fn main_with_helpers(scenarios: &[Scenario], helpers: &[Scenario]) -> ! {
    if let Some(name) = std::env::var_os(SCENARIO_ENV) {
        // What the scenario runs (this binary again, for another purpose) must not take
        // itself for this scenario.
        std::env::remove_var(SCENARIO_ENV);
        let name = name.to_string_lossy();
        match scenarios.iter().chain(helpers).find(|s| s.name == name) {
            Some(s) => run_here(s),
            None => {
                eprintln!("no scenario named {name:?}");
                std::process::exit(2)
            }
        }
    }
    let mut args = Arguments::from_args();
    if args.test_threads.is_none() {
        args.test_threads = Some(1);
    }
    if args.list {
        libtest_mimic::run(&args, trials(scenarios, None)).exit()
    }
    let (runner, dir) = match Runner::new(args.nocapture) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(101)
        }
    };
    let conclusion = libtest_mimic::run(&args, trials(scenarios, Some(&runner)));
    // `exit` skips destructors: remove the runner's directory first.
    if let Err(e) = dir.close() {
        eprintln!("warning: cannot remove the runner's temp dir: {e}");
    }
    conclusion.exit()
}

/// One trial per scenario; `runner` is `None` when they are only listed.
fn trials(scenarios: &[Scenario], runner: Option<&Runner>) -> Vec<Trial> {
    scenarios
        .iter()
        .map(|s| {
            let name = s.name;
            let runner = runner.cloned();
            Trial::ignorable_test(name, move || match runner {
                Some(runner) => runner.run(name),
                None => Ok(Completion::Completed),
            })
        })
        .collect()
}

/// Runs `s` in this process and exits with its verdict.
fn run_here(s: &Scenario) -> ! {
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

/// What every trial needs: this binary, the timeout, and the directory that holds each
/// scenario's private `TMPDIR`.
#[derive(Clone)]
struct Runner {
    exe: PathBuf,
    timeout: Duration,
    /// The runner's own directory under its `$TMPDIR` (or `/tmp`): 0755, so that a
    /// scenario that dropped to uid 65534 still reaches its `TMPDIR` inside.
    dir: PathBuf,
    nocapture: bool,
}

impl Runner {
    /// The runner, and its directory (to remove once the trials ran).
    fn new(nocapture: bool) -> Result<(Runner, tempfile::TempDir), String> {
        let timeout = std::env::var(TIMEOUT_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(120u64);
        let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
        let dir = tempfile::Builder::new()
            .prefix("sandbox-scenarios-")
            .tempdir()
            .map_err(|e| format!("cannot make the runner's temp dir: {e}"))?;
        set_mode(dir.path(), 0o755)?;
        let runner = Runner {
            exe,
            timeout: Duration::from_secs(timeout),
            dir: dir.path().to_owned(),
            nocapture,
        };
        Ok((runner, dir))
    }

    /// Runs scenario `name` in a fresh process and gives its verdict as a trial's. A
    /// scenario that leaves anything in its `TMPDIR` fails.
    fn run(&self, name: &str) -> Result<Completion, Failed> {
        let tmp = self.dir.join(name);
        std::fs::create_dir(&tmp).map_err(|e| format!("cannot make {}: {e}", tmp.display()))?;
        let verdict = set_mode(&tmp, 0o1777)
            .map_err(Verdict::Fail)
            .and_then(|()| self.spawn(name, &tmp));
        let verdict = match (verdict, remove_tmpdir(&tmp)) {
            (verdict, None) => verdict,
            (Ok(output), Some(residue)) => Err(Verdict::Fail(format!("{residue}\n{output}"))),
            (Err(Verdict::Skip(reason)), Some(residue)) => {
                Err(Verdict::Fail(format!("{residue}\n(it skipped: {reason})")))
            }
            (Err(Verdict::Fail(output)), Some(residue)) => {
                Err(Verdict::Fail(format!("{output}\n{residue}")))
            }
        };
        match verdict {
            Ok(output) => {
                if self.nocapture {
                    print!("{output}");
                }
                Ok(Completion::Completed)
            }
            // One line, as libtest prints it: `test NAME ... ignored (REASON)`.
            Err(Verdict::Skip(reason)) => Ok(Completion::ignored_with(reason.replace('\n', " "))),
            Err(Verdict::Fail(output)) => Err(output.into()),
        }
    }

    /// Runs the scenario; `Ok` holds what it printed.
    fn spawn(&self, name: &str, tmp: &Path) -> Result<String, Verdict> {
        // Output goes to an unlinked file, not a pipe: a scenario's stray grandchild that
        // keeps the descriptor open must not hang the runner.
        let out = tempfile::tempfile_in(&self.dir)
            .map_err(|e| Verdict::Fail(format!("cannot make an output file: {e}")))?;
        let (Ok(o1), Ok(o2)) = (out.try_clone(), out.try_clone()) else {
            return Err(Verdict::Fail("cannot duplicate the output file".into()));
        };
        let mut child = Command::new(&self.exe)
            .env(SCENARIO_ENV, name)
            .env("TMPDIR", tmp)
            .stdin(Stdio::null())
            .stdout(o1)
            .stderr(o2)
            .process_group(0)
            .spawn()
            .map_err(|e| Verdict::Fail(format!("cannot run {}: {e}", self.exe.display())))?;
        let pgid = child.id() as i32;
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
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
            None => Err(Verdict::Fail(format!(
                "timed out after {:?}\n{output}",
                self.timeout
            ))),
            Some(s) if s.success() => Ok(output),
            Some(s) if s.code() == Some(SKIP_EXIT) => {
                let reason = output
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("skipped: "))
                    .unwrap_or("no reason given")
                    .to_string();
                Err(Verdict::Skip(reason))
            }
            Some(s) => {
                let how = match (s.code(), s.signal()) {
                    (Some(c), _) => format!("exit code {c}"),
                    (None, Some(sig)) => format!("killed by signal {sig}"),
                    _ => "unknown status".into(),
                };
                Err(Verdict::Fail(format!("{how}\n{output}")))
            }
        }
    }
}

/// Why a scenario did not pass: skipped with a reason, or failed with its output.
enum Verdict {
    Skip(String),
    Fail(String),
}

/// Removes a scenario's `TMPDIR`; says what the scenario left there, if anything.
fn remove_tmpdir(tmp: &Path) -> Option<String> {
    let mut left: Vec<String> = std::fs::read_dir(tmp)
        .map(|entries| {
            entries
                .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    left.sort();
    match std::fs::remove_dir_all(tmp) {
        Ok(()) if left.is_empty() => None,
        Ok(()) => Some(format!("it left {left:?} in its TMPDIR")),
        Err(e) => Some(format!(
            "its TMPDIR {} cannot be removed: {e} (it holds {left:?})",
            tmp.display()
        )),
    }
}

/// chmod: the umask may have cleared bits `mkdir` was given.
fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {mode:o} {}: {e}", path.display()))
}
