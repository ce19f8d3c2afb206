//! `cargo xtask`: the project's build, test and benchmark tasks.
//!
//! In the manner of matklad's cargo-xtask, with std and serde_json (for cargo's JSON
//! messages) only: the workspace root is the parent of `CARGO_MANIFEST_DIR`, cargo is the
//! one in `CARGO`, every step is printed (`==> ...`) before it runs, and a failed step ends
//! the task with a non-zero exit status.

mod bench;
mod fuzz;
mod test;
mod tools;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use serde_json::Value;

const HELP: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test [--root-only | --unprivileged-only] [--skip-checks] [--no-install] [-- TEST-ARGS...]
      Checks, then the kernel tests. The checks: cargo fmt --check, clippy -D warnings,
      rustdoc -D warnings, unit and doc tests, every fuzz target over its corpus and
      2000 mutations (`cargo run -p fuzz`). The kernel tests: every
      crates/*/tests/kernel.rs binary and every test target of the `tests` package,
      copied to a fresh directory under /tmp and run twice: as root (directly, or
      through `sudo -n -E`) and as uid 65534 (through setpriv when root, else as the
      current user). Fails when a scenario fails, a binary crashes, or a mode runs
      no test.
        --root-only          run the kernel tests as root only
        --unprivileged-only  run the kernel tests unprivileged only
        --skip-checks        skip fmt, clippy, docs, unit tests and fuzz targets
        --no-install         do not install the programs some scenarios run
                             (newuidmap, newgidmap, bwrap, strace); by default
                             root with apt-get installs the missing ones first.
                             Without them those scenarios skip, naming the
                             install command
        TEST-ARGS...         passed to each test binary, which reads libtest's
                             command line: a name filter, --exact, --skip NAME,
                             --test-threads N (default 1)
  fuzz [--seconds N] [--seed S] [-- TARGET...]
      Builds the fuzz targets (the `fuzz` package) with sanitizer coverage, in
      target/fuzz, and runs them all (or the TARGETs) for N seconds together
      (default 60) from seed S (default 0). Failures are saved under
      target/fuzz-failures/<target>/; replay one with
      `cargo run -p fuzz -- --input FILE TARGET`.
  bench [--rounds R] [--only NAME,...] [--steps]
      Benchmarks, each side against its peer in the same run, taking turns; reports
      medians and ratios, asserts nothing. NAME is one of:
        enter    entering a sandbox and exiting, whole processes, R rounds (default
                 200): ours, ours with pid+net only, the floor (the bare system calls,
                 examples/bench_floor of `sandbox`) and bwrap
        steps    the time of each step of entering, ours (examples/bench_steps, built
                 with the step-times feature) against the floor's, R runs each
        many     enters per second with 1, 2 and 8 at once: own netns, shared netns
                 (root), the floor, bwrap (examples/bench_many)
        growth   1,000 read-only submounts and 10,000 open descriptors
                 (examples/bench_growth), R/4 rounds
        reopen   reopening through /proc/self/fd against the same openat by hand and a
                 plain openat by name (examples/bench_reopen of `sandbox-proc-fd`)
        hotpath  that reopen under the default filter, 1 and 4 threads
        filter   the default filter on reopen + read (`sandbox-seccomp`)
        install  what a filter costs a process (fork, install, exit, reap): none,
                 one instruction, the default (`sandbox-seccomp`)
        audit    Inside::audit() against one read of /proc/self/status
      --steps is --only steps.
  help
      This text.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match task {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(Error::msg(format!(
            "unknown task {other:?}; `cargo xtask help` lists the tasks"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Reported) => ExitCode::FAILURE,
        Err(Error::Message(msg)) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Why a task failed.
#[derive(Debug)]
pub enum Error {
    /// Print this and exit non-zero.
    Message(String),
    /// The task has printed why already (its summary must stay the last line).
    Reported,
}

impl Error {
    /// An error with this message.
    pub fn msg(msg: impl fmt::Display) -> Self {
        Error::Message(msg.to_string())
    }
}

/// What tasks return.
pub type Result<T = ()> = std::result::Result<T, Error>;

/// The workspace and the cargo that runs it.
pub struct Workspace {
    /// The workspace root (the directory holding the root `Cargo.toml`).
    pub root: PathBuf,
    /// The cargo executable: `$CARGO` as set by `cargo xtask`, else `cargo` from `PATH`.
    pub cargo: OsString,
}

impl Workspace {
    /// Finds the workspace from `CARGO_MANIFEST_DIR` (set by cargo when it runs xtask;
    /// the value from build time otherwise).
    pub fn find() -> Result<Self> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .ok_or_else(|| {
                Error::msg(format!(
                    "CARGO_MANIFEST_DIR {} has no parent directory",
                    manifest_dir.display()
                ))
            })?
            .to_path_buf();
        if !root.join("Cargo.toml").is_file() {
            return Err(Error::msg(format!(
                "no Cargo.toml in {}, the parent of xtask/",
                root.display()
            )));
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Ok(Workspace { root, cargo })
    }

    /// `cargo ARGS` in the workspace root.
    pub fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.args(args).current_dir(&self.root);
        cmd
    }

    /// Builds with `cargo ARGS --message-format=json-render-diagnostics` (diagnostics on
    /// stderr as usual) and returns the `compiler-artifact` messages.
    pub fn build_artifacts(&self, args: &[&str]) -> Result<Vec<Artifact>> {
        let mut cmd = self.cargo(args);
        cmd.arg("--message-format=json-render-diagnostics");
        let stdout = capture(&mut cmd)?;
        let mut artifacts = Vec::new();
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let msg: Value = serde_json::from_str(line)
                .map_err(|e| Error::msg(format!("cannot read cargo's message {line:?}: {e}")))?;
            if msg.get("reason").and_then(Value::as_str) != Some("compiler-artifact") {
                continue;
            }
            artifacts.push(Artifact::from_message(&msg)?);
        }
        Ok(artifacts)
    }
}

/// What cargo says it built for one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// The package name, from the package id.
    pub package: String,
    /// The target name (`kernel`, `bench_enter`, ...).
    pub target: String,
    /// The target kinds (`["test"]`, `["example"]`, `["lib"]`, ...).
    pub kind: Vec<String>,
    /// The executable, for targets that have one.
    pub executable: Option<PathBuf>,
}

impl Artifact {
    fn from_message(msg: &Value) -> Result<Self> {
        let field = |v: Option<&Value>, what: &str| {
            v.and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Error::msg(format!("a compiler-artifact message has no {what}")))
        };
        let target = msg.get("target");
        Ok(Artifact {
            package: package_name(&field(msg.get("package_id"), "package_id")?),
            target: field(target.and_then(|t| t.get("name")), "target name")?,
            kind: target
                .and_then(|t| t.get("kind"))
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            executable: msg
                .get("executable")
                .and_then(Value::as_str)
                .map(PathBuf::from),
        })
    }
}

/// The package name in a cargo package id: `path+file:///w/crates/foo#0.1.0` (name =
/// last path segment), `path+file:///w/x#foo@0.1.0`, or the old `foo 0.1.0 (path+...)`.
fn package_name(id: &str) -> String {
    if !id.contains("://") || id.contains(" (") {
        return id.split(' ').next().unwrap_or(id).to_owned();
    }
    let (url, fragment) = id.split_once('#').unwrap_or((id, ""));
    if let Some((name, _version)) = fragment.split_once('@') {
        return name.to_owned();
    }
    let path = url.split('?').next().unwrap_or(url).trim_end_matches('/');
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

/// How a command reads when printed: `RUSTDOCFLAGS="-D warnings" cargo doc ...`.
pub fn describe(cmd: &Command) -> String {
    let quote = |s: &str| {
        if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
            format!("{s:?}")
        } else {
            s.to_owned()
        }
    };
    let mut words = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }
    let program = Path::new(cmd.get_program());
    let name = program.to_string_lossy();
    // `$CARGO` is an absolute path into the toolchain; `cargo` says the same thing.
    let shown = match program.file_name() {
        Some(f) if f == "cargo" => "cargo".into(),
        _ => name,
    };
    words.push(quote(&shown));
    words.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

/// Prints the step, runs it with inherited stdio, and fails unless it succeeds.
pub fn run(cmd: &mut Command) -> Result {
    let shown = describe(cmd);
    println!("==> {shown}");
    let status = cmd
        .status()
        .map_err(|e| Error::msg(format!("cannot run `{shown}`: {e}")))?;
    if !status.success() {
        return Err(Error::msg(format!("`{shown}` failed ({status})")));
    }
    Ok(())
}

/// Prints the step, runs it with stdout captured (stderr inherited), and returns stdout.
pub fn capture(cmd: &mut Command) -> Result<String> {
    let shown = describe(cmd);
    println!("==> {shown}");
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::msg(format!("cannot run `{shown}`: {e}")))?;
    if !out.status.success() {
        return Err(Error::msg(format!("`{shown}` failed ({})", out.status)));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| Error::msg(format!("`{shown}` printed something that is not UTF-8")))
}

/// The effective uid of this process, from `/proc/self/status` (std has no geteuid).
pub fn euid() -> Result<u32> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| Error::msg(format!("read /proc/self/status: {e}")))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| Error::msg("no effective uid in /proc/self/status"))
}

/// A fresh directory under /tmp, mode 0755 so that any uid can reach what it holds;
/// removed (with its contents) when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `/tmp/<prefix><pid>-<n>` (never an existing directory).
    pub fn new(prefix: &str) -> Result<Self> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut last_error = None;
        for attempt in 0..100u32 {
            let path = PathBuf::from(format!(
                "/tmp/{prefix}{}-{}",
                std::process::id(),
                nanos.wrapping_add(attempt)
            ));
            match std::fs::DirBuilder::new().mode(0o755).create(&path) {
                Ok(()) => {
                    // The umask may have cleared bits; say 0755 explicitly.
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                        .map_err(|e| Error::msg(format!("chmod 755 {}: {e}", path.display())))?;
                    return Ok(TempDir { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(Error::msg(format!("mkdir {}: {e}", path.display()))),
            }
        }
        Err(Error::msg(format!(
            "cannot make a fresh directory /tmp/{prefix}*: {}",
            last_error.map_or_else(String::new, |e| e.to_string())
        )))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies `from` into the directory as `name`, mode 0755, and returns the new path.
    pub fn copy_executable(&self, from: &Path, name: &str) -> Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let to = self.path.join(name);
        std::fs::copy(from, &to)
            .map_err(|e| Error::msg(format!("copy {} to {}: {e}", from.display(), to.display())))?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::msg(format!("chmod 755 {}: {e}", to.display())))?;
        Ok(to)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            eprintln!("xtask: warning: cannot remove {}: {e}", self.path.display());
        }
    }
}

/// Finds `name` in `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn package_names_from_ids() {
        for (id, name) in [
            ("path+file:///w/crates/sandbox-mount#0.1.0", "sandbox-mount"),
            ("path+file:///w/tests#0.1.0", "tests"),
            ("path+file:///w/some/dir#tests@0.1.0", "tests"),
            (
                "registry+https://github.com/rust-lang/crates.io-index#rustix@1.1.2",
                "rustix",
            ),
            ("tests 0.1.0 (path+file:///w/tests)", "tests"),
        ] {
            assert_eq!(package_name(id), name, "{id}");
        }
    }

    #[test]
    fn artifacts_from_cargo_messages() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/sandbox-mount#0.1.0","manifest_path":"/w/crates/sandbox-mount/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"kernel","src_path":"/w/crates/sandbox-mount/tests/kernel.rs","edition":"2021","doc":false,"doctest":false,"test":true},"profile":{"test":true},"features":[],"filenames":["/w/target/debug/deps/kernel-0123"],"executable":"/w/target/debug/deps/kernel-0123","fresh":true}"#;
        let msg: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            Artifact::from_message(&msg).unwrap(),
            Artifact {
                package: "sandbox-mount".into(),
                target: "kernel".into(),
                kind: vec!["test".into()],
                executable: Some("/w/target/debug/deps/kernel-0123".into()),
            }
        );
        let lib = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/test-support#0.1.0","target":{"kind":["lib"],"name":"test_support"},"executable":null}"#;
        let msg: Value = serde_json::from_str(lib).unwrap();
        assert_eq!(Artifact::from_message(&msg).unwrap().executable, None);
        let broken: Value = serde_json::from_str(r#"{"reason":"compiler-artifact"}"#).unwrap();
        assert!(Artifact::from_message(&broken).is_err());
    }

    #[test]
    fn commands_read_like_shell() {
        let mut cmd = Command::new("/opt/rust/bin/cargo");
        cmd.env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--workspace", "--no-deps"]);
        assert_eq!(
            describe(&cmd),
            r#"RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps"#
        );
    }
}
