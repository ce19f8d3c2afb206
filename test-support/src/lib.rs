//! Scenario harness for tests that need the real kernel, and the helpers those tests
//! share.
//!
//! `cargo test` runs tests as threads of one process, but `unshare(CLONE_NEWUSER)`,
//! `unshare(CLONE_NEWPID)` + `fork` and most mount-namespace work need a process with a
//! single thread, and a failed scenario must not leave its namespaces or mounts to the
//! next one. So each kernel test target is a `harness = false` binary whose `main` calls
//! [`main`] with its list of scenarios; the runner re-executes the binary once per
//! scenario ([`SCENARIO_ENV`] names it), in a fresh process and process group, with a
//! private `TMPDIR` and a timeout.
//!
//! A scenario returns [`TestResult`]: `Ok(())` passes, [`Fail::Skip`] (through
//! [`skip!`]) is reported as ignored with its reason, anything else fails.
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
//! The binary speaks libtest's command line and prints libtest's report (through
//! `libtest-mimic`), so `cargo test`, `cargo test -- NAME --exact`, `--list` and
//! cargo-nextest work on it; see [`main`]. [`TIMEOUT_ENV`] sets the per-scenario timeout.
//!
//! What the scenarios of several crates need lives here once, made with plain system
//! calls and never with the crates under test (this crate depends on none of them):
//! who runs the scenario ([`is_root`], [`require_root`], [`become_nobody`]), namespaces
//! of its own ([`namespaces`]), files and a tmpfs to mount below ([`files`]), forks and
//! raw system calls ([`syscalls`]), a small daemon's workload ([`daemon`]), the
//! benchmark examples' loop ([`mod@bench`]), and the programs some scenarios run
//! ([`tools`]: a missing one skips the scenario with the install command as the reason).

use std::fmt::Display;
use std::io::{Read, Write};
use std::path::PathBuf;

pub mod bench;
pub mod daemon;
pub mod files;
mod median;
pub mod namespaces;
mod privilege;
mod round_order;
mod runner;
pub mod seccomp;
pub mod syscalls;
pub mod tools;

pub use privilege::{
    become_nobody, drop_all_capabilities, is_root, require_root, require_unprivileged, NOBODY,
};
pub use runner::{main, main_with_helpers, SCENARIO_ENV, SKIP_EXIT, TIMEOUT_ENV};
pub use tools::{require_id_map_tools, require_tool};

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
        // Keep the whole chain of sources: the leaf errno is usually the useful part. Our
        // crates' messages already end with their source's text; add only what is new.
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !msg.contains(&text) {
                msg.push_str(": ");
                msg.push_str(&text);
            }
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

/// A fresh temporary directory under `$TMPDIR` (or `/tmp`), removed when dropped. Under
/// the runner, `$TMPDIR` is the scenario's own (see [`main`]).
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

/// A failure that says what was being done, for `map_err` on an `io::Error`:
/// `.map_err(io_ctx("read trace"))` fails with `read trace: <the error>`.
pub fn io_ctx(what: impl Display) -> impl FnOnce(std::io::Error) -> Fail {
    move |e| Fail::Failed(format!("{what}: {e}"))
}

/// This test binary, to run it again: one of its scenarios with [`SCENARIO_ENV`] (under
/// strace or `unshare`, say), or a mode of its own.
pub fn this_binary() -> Result<PathBuf, Fail> {
    std::env::current_exe().map_err(io_ctx("the path of this test binary"))
}

/// `strace ARGS <this binary>` that runs the scenario `scenario` of this binary (by
/// [`SCENARIO_ENV`]), stdin from `/dev/null`: what the scenarios that trace or inject
/// faults run; add environment and run it. Skips, naming the package, without strace.
pub fn strace_scenario(args: &[&str], scenario: &str) -> Result<std::process::Command, Fail> {
    require_tool(&tools::STRACE)?;
    let mut cmd = std::process::Command::new("strace");
    cmd.args(args)
        .arg(this_binary()?)
        .env(SCENARIO_ENV, scenario)
        .stdin(std::process::Stdio::null());
    Ok(cmd)
}

/// Runs `cmd` to its end and returns what it printed (stdout, stderr), or fails with
/// `what`, its exit status and that output unless it exited 0.
pub fn output_of_success(
    mut cmd: std::process::Command,
    what: impl Display,
) -> Result<(String, String), Fail> {
    let out = cmd.output().map_err(io_ctx(format!("run {what}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(Fail::Failed(format!(
            "{what} ended with {:?}:\n{stdout}{stderr}",
            out.status
        )));
    }
    Ok((stdout, stderr))
}

/// strace's `-e inject=SPEC` arguments, one pair for each of `specs`
/// (`wait4:error=EPERM:when=1`, say).
pub fn inject_args<S: AsRef<str>>(specs: &[S]) -> Vec<String> {
    specs
        .iter()
        .flat_map(|spec| ["-e".to_owned(), format!("inject={}", spec.as_ref())])
        .collect()
}

/// [`strace_scenario`] with `-f -qq -o /dev/null` and the injections `specs`
/// ([`inject_args`]): the scenario, its children too, with those calls failing.
pub fn strace_injected(specs: &[&str], scenario: &str) -> Result<std::process::Command, Fail> {
    let injections = inject_args(specs);
    let mut args = vec!["-f", "-qq", "-o", "/dev/null"];
    args.extend(injections.iter().map(String::as_str));
    strace_scenario(&args, scenario)
}
