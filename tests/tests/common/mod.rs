//! Helpers for the sandbox integration tests: running code inside a sandbox and bringing
//! its findings back, forking an "original process", looking at processes through the
//! host's /proc, and a seccomp filter for precise fault injection.
//!
//! Scenario processes are single-threaded (the harness runs each alone in a fresh
//! process), which is what makes the raw `fork` calls here sound.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sandbox::{Child, Entered, ExitStatus, Inside, Sandbox};
use test_support::{Fail, TestResult};

// Forking and waiting live with the raw system calls of the seccomp tests.
pub use test_support::syscalls::{exit_now, fork_process, pause_forever, waitpid, Ended};
pub use test_support::{failed, io_ctx};
// Not every test binary that includes this module uses each of these.
#[allow(unused_imports)]
pub use test_support::{become_nobody, files::dev_ino, NOBODY};

/// The namespace link of a process (`net:[4026531840]`); `None` means this process.
pub fn ns(pid: Option<i32>, name: &str) -> Result<String, Fail> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/ns/{name}"),
        None => format!("/proc/self/ns/{name}"),
    };
    std::fs::read_link(&path)
        .map(|l| l.to_string_lossy().into_owned())
        .map_err(io_ctx(format!("readlink {path}")))
}

/// The namespaces of this process that `enter` may touch, to compare before and after.
pub fn own_namespaces() -> Result<Vec<(String, String)>, Fail> {
    [
        "user",
        "mnt",
        "pid",
        "pid_for_children",
        "net",
        "ipc",
        "uts",
    ]
    .iter()
    .map(|n| Ok((n.to_string(), ns(None, n)?)))
    .collect()
}

/// This process's pid (the host's view, as the scenario runs in the host pid namespace).
pub fn getpid() -> i32 {
    std::process::id() as i32
}

/// (state, ppid) of a process, from the /proc this process sees.
pub fn stat_of(pid: i32) -> Option<(char, i32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid))
}

/// The pids whose parent is `pid` (zombies included), from /proc.
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if let Some((_, ppid)) = stat_of(p) {
            if ppid == pid {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Polls until `pid` has a child, for at most `timeout`.
pub fn wait_for_child_of(pid: i32, timeout: Duration) -> Result<i32, Fail> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(&c) = children_of(pid).first() {
            return Ok(c);
        }
        if Instant::now() > deadline {
            test_support::fail!("process {pid} got no child within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The names in a directory.
pub fn listing(dir: impl AsRef<Path>) -> Result<BTreeSet<String>, Fail> {
    let dir = dir.as_ref();
    std::fs::read_dir(dir)
        .map_err(io_ctx(format!("read_dir {}", dir.display())))?
        .map(|e| {
            e.map(|e| e.file_name().to_string_lossy().into_owned())
                .map_err(io_ctx(format!("read_dir {}", dir.display())))
        })
        .collect()
}

/// The errno of the last failed libc call.
pub fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The errno an operation on a path failed with, or `None` if it worked.
pub fn errno_of<T>(r: std::io::Result<T>) -> Option<i32> {
    r.err().map(|e| e.raw_os_error().unwrap_or(-1))
}

/// `kill(pid, sig)`, returning the errno on failure.
pub fn kill(pid: i32, sig: i32) -> Result<(), i32> {
    // SAFETY: kill(2) takes plain integers and touches no memory.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// Waits at most `timeout` for a child of this process; `None` if it did not end.
pub fn waitpid_timeout(pid: i32, timeout: Duration) -> Result<Option<Ended>, Fail> {
    let deadline = Instant::now() + timeout;
    let mut status = 0;
    loop {
        // SAFETY: as in `waitpid`, with WNOHANG.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(Some(Ended::from_wait_status(status)));
        }
        if r < 0 && errno() != libc::EINTR {
            test_support::fail!("waitpid({pid}): {}", std::io::Error::last_os_error());
        }
        if Instant::now() > deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Makes this process the reaper of its orphaned descendants, so that a sandboxed
/// grandchild whose parent died can be waited for here.
pub fn become_subreaper() -> TestResult {
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) takes integers only.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        test_support::fail!(
            "PR_SET_CHILD_SUBREAPER: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// No core files from the deaths by signal these tests cause (core_pattern may be a
/// relative file name).
pub fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads a valid, initialised struct.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

/// The bits of a signal set line of /proc/PID/status (`SigBlk:`).
pub fn signal_mask(pid: i32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    u64::from_str_radix(line[field.len()..].trim(), 16).ok()
}

/// Waits until every signal in `sigs` is blocked in `pid`, or `pid` sits in
/// `rt_sigtimedwait(2)` (which shows the waited-for signals as unblocked meanwhile): the
/// supervisor is in its forwarding wait. For at most `timeout`.
pub fn wait_blocked(pid: i32, sigs: &[i32], timeout: Duration) -> TestResult {
    let want = sigs.iter().fold(0u64, |m, s| m | 1 << (s - 1));
    let deadline = Instant::now() + timeout;
    loop {
        let mask = signal_mask(pid, "SigBlk:").unwrap_or(0);
        let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        let in_sigwait = syscall.split(' ').next() == Some(&libc::SYS_rt_sigtimedwait.to_string());
        if mask & want == want || in_sigwait {
            return Ok(());
        }
        if Instant::now() > deadline {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
            let syscall =
                std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
            test_support::fail!(
                "process {pid} did not block signals {sigs:?} within {timeout:?} (SigBlk {mask:#x}); wchan {wchan}, syscall {syscall}, children {:?}\n{status}", children_of(pid)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

// ---------------------------------------------------------------------------------------
// Shared dirs, original processes and signals.

/// The file [`shared_dir_with_marker`] puts in the shared dir.
pub const MARKER: &str = "marker";
/// What the marker holds.
pub const MARKER_TEXT: &str = "the shared dir\n";

/// A temp dir with an empty `shared/` inside it, and the shared dir's path.
pub fn shared_dir() -> Result<(tempfile::TempDir, PathBuf), Fail> {
    let top = test_support::temp_dir()?;
    let shared = top.path().join("shared");
    std::fs::create_dir(&shared).map_err(io_ctx("mkdir shared"))?;
    Ok((top, shared))
}

/// A [`shared_dir`] holding the marker ([`MARKER`], with [`MARKER_TEXT`]).
pub fn shared_dir_with_marker() -> Result<(tempfile::TempDir, PathBuf), Fail> {
    let (top, shared) = shared_dir()?;
    std::fs::write(shared.join(MARKER), MARKER_TEXT).map_err(io_ctx("write marker"))?;
    Ok((top, shared))
}

/// A [`shared_dir`] whose temp dir and `shared/` are both owned by `uid` when we are root
/// (so that a process dropped to it can enter them).
pub fn shared_dir_owned_by(uid: u32) -> Result<(tempfile::TempDir, PathBuf), Fail> {
    let (top, shared) = shared_dir()?;
    if test_support::is_root() {
        for dir in [top.path(), shared.as_path()] {
            std::os::unix::fs::chown(dir, Some(uid), Some(uid))
                .map_err(io_ctx(format!("chown {}", dir.display())))?;
        }
    }
    Ok((top, shared))
}

/// Forks an "original process" that confines itself (the builder over `shared`
/// configured by `configure`) and runs `inside` in the sandbox, exiting with what it
/// returns (90 if the build failed, 91 if confine did). Returns its pid.
pub fn spawn_confined(
    shared: &Path,
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
    inside: impl FnOnce() -> i32,
) -> Result<i32, Fail> {
    let shared = shared.to_path_buf();
    fork_process(move || {
        no_core_dumps();
        let sandbox = match configure(Sandbox::builder(&shared)).build() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("build: {e}");
                return 90;
            }
        };
        match sandbox.confine() {
            Ok(_inside) => exit_now(inside()),
            Err(e) => {
                eprintln!("confine: {e}");
                91
            }
        }
    })
}

/// The error of an `enter()` that must be refused. A sandbox that entered after all is
/// killed and reaped (in the original process) and the scenario fails with `what`; the
/// sandboxed side exits at once.
pub fn expect_refused(
    entered: Result<Entered, sandbox::Error>,
    what: &str,
) -> Result<sandbox::Error, Fail> {
    match entered {
        Err(e) => Ok(e),
        Ok(Entered::Parent(child)) => {
            let _ = child.kill(sandbox::Signal::KILL);
            let _ = child.wait();
            Err(failed(format!("enter() was not refused: {what}")))
        }
        Ok(Entered::Inside(_)) => exit_now(1),
    }
}

/// A `configure` for [`spawn_confined`] that keeps `fd` open inside (every other
/// descriptor above 2 is closed there), after `then`.
pub fn keeping(
    fd: &impl AsRawFd,
    then: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
) -> impl FnOnce(sandbox::Builder) -> sandbox::Builder {
    let raw = fd.as_raw_fd();
    move |b| {
        // SAFETY: borrowed only for keep_fd to record the number; the caller's owner (moved
        // into the sandboxed closure) keeps it open until the sandbox is entered.
        let fd = unsafe { BorrowedFd::borrow_raw(raw) };
        then(b).keep_fd(fd)
    }
}

/// The default seccomp filter with the calls `names` allowed back: for scenarios that
/// show a kept capability at work (the filter would refuse the call first).
pub fn default_filter_allowing(names: &[&str]) -> sandbox::Filter {
    names
        .iter()
        .fold(sandbox::Filter::default_deny(), |f, name| {
            f.allow(name)
                .unwrap_or_else(|e| panic!("{name} is a system call the filter knows: {e}"))
        })
}

/// A sandboxed process that says it is ready over `w`, then waits forever.
pub fn ready_then_pause(w: PipeWriter) -> i32 {
    send(w, "ready");
    pause_forever()
}

extern "C" fn exit_with_signal_code(sig: libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(100 + sig) }
}

/// Installs a handler that makes `sig` end the process with exit code 100 + `sig`.
pub fn exit_100_plus_on(sig: i32) {
    // SAFETY: installs a handler that only calls _exit; the handler has the signature
    // signal(2) expects.
    unsafe {
        libc::signal(
            sig,
            exit_with_signal_code as *const () as libc::sighandler_t,
        )
    };
}

/// `kill(pid, sig)`, failing the scenario when it fails.
pub fn send_signal(pid: i32, sig: i32) -> TestResult {
    kill(pid, sig).map_err(|e| failed(format!("kill: errno {e}")))
}

/// Ends `pid` (a child of ours) if it is still there, and reaps it.
pub fn kill_and_reap(pid: i32) {
    let _ = kill(pid, libc::SIGKILL);
    let _ = waitpid(pid);
}

/// Kills the original process `original` (a child of ours) with SIGKILL and checks it
/// died of it.
pub fn kill_original(original: i32) -> TestResult {
    send_signal(original, libc::SIGKILL)?;
    test_support::ensure_eq!(waitpid(original)?, Ended::Signal(libc::SIGKILL));
    Ok(())
}

/// Starts an original process that confines itself (`configure`d) and whose sandboxed
/// child runs `set_up` and says it is ready; SIGKILLs the original process then. Returns
/// the sandboxed child's host pid, which this process adopts (it becomes a subreaper):
/// [`wait_for_orphan`] tells how it ended.
pub fn kill_the_original_of(
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
    set_up: impl FnOnce(),
) -> Result<i32, Fail> {
    let (_top, shared) = shared_dir()?;
    become_subreaper()?;
    let (mut r, w) = pipe()?;
    let original = spawn_confined(&shared, keeping(&w, configure), move || {
        set_up();
        ready_then_pause(w)
    })?;
    let sandboxed =
        expect(&mut r, "ready").and_then(|()| wait_for_child_of(original, Duration::from_secs(5)));
    let sandboxed = match sandboxed {
        Ok(pid) => pid,
        Err(e) => {
            kill_and_reap(original);
            return Err(e);
        }
    };
    kill_original(original)?;
    Ok(sandboxed)
}

/// Waits at most 5 s for `sandboxed`, a sandboxed process whose original process died and
/// that this process (a subreaper) adopted: how it ended. Fails, killing and reaping it,
/// if it outlived its original process.
pub fn wait_for_orphan(sandboxed: i32) -> Result<Ended, Fail> {
    match waitpid_timeout(sandboxed, Duration::from_secs(5))? {
        Some(ended) => Ok(ended),
        None => {
            let state = stat_of(sandboxed);
            kill_and_reap(sandboxed);
            test_support::fail!(
                "the sandboxed process {sandboxed} outlived its original process by 5 s (state, ppid: {state:?})"
            )
        }
    }
}

/// Sends `sig` to `pid` (a child of ours) and waits at most `timeout` for it to end;
/// `None` if it did not (it is then killed and reaped).
pub fn signal_and_wait(pid: i32, sig: i32, timeout: Duration) -> Result<Option<Ended>, Fail> {
    send_signal(pid, sig)?;
    let ended = waitpid_timeout(pid, timeout)?;
    if ended.is_none() {
        kill_and_reap(pid);
    }
    Ok(ended)
}

// ---------------------------------------------------------------------------------------
// Mount namespaces of the scenario's own (never the host's).

/// Moves this process into a mount namespace of its own (and a user namespace mapping
/// its ids to themselves when not root), so that it may mount. Its mounts keep the
/// propagation they had: see [`own_private_mount_namespace`].
pub fn own_mount_namespace() -> TestResult {
    test_support::namespaces::enter_mount_ns(rustix::thread::UnshareFlags::empty())
}

/// [`own_mount_namespace`], with all its mounts then made private: what this process
/// mounts stays here, and the real host's mounts never change.
pub fn own_private_mount_namespace() -> TestResult {
    test_support::namespaces::own_mount_ns(rustix::thread::UnshareFlags::empty())
}

/// mount(2) with no data; `src` and `fstype` may be NULL.
pub fn mount(
    src: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
) -> TestResult {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(failed);
    let src_c = src.map(c).transpose()?;
    let target_c = c(target)?;
    let fstype_c = fstype.map(CString::new).transpose().map_err(failed)?;
    // SAFETY: mount(2) with NUL-terminated strings (or NULL) that outlive the call, and
    // no data.
    let r = unsafe {
        libc::mount(
            src_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            target_c.as_ptr(),
            fstype_c.as_ref().map_or(std::ptr::null(), |f| f.as_ptr()),
            flags,
            std::ptr::null(),
        )
    };
    if r != 0 {
        test_support::fail!(
            "mount {src:?} on {target:?} ({flags:#x}): {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// A tmpfs (nosuid, nodev) on `target`.
pub fn mount_tmpfs(target: &Path) -> TestResult {
    mount(
        Some(Path::new("tmpfs")),
        target,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
    )
}

/// umount2(2) of `target`, with no flags.
pub fn umount(target: &Path) -> TestResult {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let t = CString::new(target.as_os_str().as_bytes()).map_err(failed)?;
    // SAFETY: umount2(2) with a NUL-terminated path that outlives the call.
    if unsafe { libc::umount2(t.as_ptr(), 0) } != 0 {
        test_support::fail!("umount {target:?}: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running this binary again under strace.

/// This test binary.
pub fn exe() -> Result<PathBuf, Fail> {
    test_support::this_binary()
}

// ---------------------------------------------------------------------------------------
// Talking to the sandboxed child.

/// Writes a whole message and closes the pipe.
pub fn send(mut w: PipeWriter, msg: &str) {
    let _ = w.write_all(msg.as_bytes());
}

/// Reads until every writer has closed.
pub fn receive(mut r: PipeReader) -> String {
    let mut s = String::new();
    let _ = r.read_to_string(&mut s);
    s
}

/// Reads exactly `want` (without waiting for every writer to close: a supervisor may hold
/// a copy of the write end).
pub fn expect(r: &mut PipeReader, want: &str) -> TestResult {
    let mut buf = vec![0u8; want.len()];
    r.read_exact(&mut buf)
        .map_err(io_ctx(format!("read {want:?} from the pipe")))?;
    test_support::ensure_eq!(String::from_utf8_lossy(&buf), want);
    Ok(())
}

/// Blocks until the other side writes a byte or closes; true if it wrote.
pub fn wait_go(r: &mut PipeReader) -> bool {
    let mut b = [0u8; 1];
    matches!(r.read(&mut b), Ok(1))
}

/// A pipe, or a failure.
pub fn pipe() -> Result<(PipeReader, PipeWriter), Fail> {
    std::io::pipe().map_err(io_ctx("pipe"))
}

/// The value of `key=value` in a child's report.
pub fn fact<'a>(report: &'a str, key: &str) -> Option<&'a str> {
    report
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// Like [`fact`], but fails when the fact is missing.
pub fn need<'a>(report: &'a str, key: &str) -> Result<&'a str, Fail> {
    fact(report, key).ok_or_else(|| failed(format!("the child did not report {key:?}: {report:?}")))
}

/// What the parent learns from a sandboxed child run by [`run_inside`].
#[derive(Debug)]
pub struct Outcome {
    /// How the child ended, as `Child::wait` says.
    pub status: ExitStatus,
    /// The facts the child sent (`key=value` lines).
    pub report: String,
    /// The child's pid as the original process saw it.
    pub pid: i32,
}

/// The child side: runs `f`, sends its verdict and facts, exits with `ok_code` on
/// success (1 on failure, 77 on skip). Never returns.
fn child_side(
    mut go: PipeReader,
    report: PipeWriter,
    inside: Inside,
    ok_code: i32,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> ! {
    if !wait_go(&mut go) {
        // The parent gave up on us.
        exit_now(2)
    }
    drop(go);
    let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&inside)))
        .unwrap_or_else(|_| Err(failed("the code inside the sandbox panicked")));
    let (msg, code) = verdict_message(verdict, ok_code);
    send(report, &msg);
    exit_now(code)
}

/// How a process that checked something sends its verdict over a pipe: the message
/// (`ok` and its facts, `skip:` and the reason, or `fail:` and what failed) and the exit
/// code to end with (`ok_code`, 77, or 1). [`read_verdict`] reads it back.
pub fn verdict_message(verdict: Result<String, Fail>, ok_code: i32) -> (String, i32) {
    match verdict {
        Ok(facts) => (format!("ok\n{facts}"), ok_code),
        Err(Fail::Skip(r)) => (format!("skip:{r}"), test_support::SKIP_EXIT),
        Err(Fail::Failed(m)) => (format!("fail:{m}"), 1),
    }
}

/// The facts of a verdict [`verdict_message`] made, or its skip or failure (`None` when
/// the message is not a verdict: the sender died first).
pub fn read_verdict(msg: &str) -> Option<Result<String, Fail>> {
    if let Some(r) = msg.strip_prefix("skip:") {
        return Some(Err(Fail::Skip(r.to_string())));
    }
    if let Some(m) = msg.strip_prefix("fail:") {
        return Some(Err(Fail::Failed(format!("inside the sandbox: {m}"))));
    }
    msg.strip_prefix("ok\n").map(|facts| Ok(facts.to_string()))
}

/// A sandbox built keeping the harness's two pipes (every other descriptor above 2 is
/// closed inside), for [`run_inside_with`]. Made by [`prepare`], where a test must build
/// before it changes something; a [`sandbox::Builder`] is prepared when entering.
pub struct Prepared {
    sandbox: Sandbox,
    go: (PipeReader, PipeWriter),
    report: (PipeReader, PipeWriter),
}

/// Builds `builder` keeping the harness's pipes; see [`Prepared`].
pub fn prepare(builder: sandbox::Builder) -> Result<Prepared, Fail> {
    let (go, report) = (pipe()?, pipe()?);
    let sandbox = builder.keep_fd(&go.0).keep_fd(&report.1).build()?;
    Ok(Prepared {
        sandbox,
        go,
        report,
    })
}

impl Prepared {
    /// The numbers of the two pipe ends the sandboxed process keeps: the "go" read end
    /// and the report write end.
    pub fn kept_pipes(&self) -> (i32, i32) {
        (self.go.0.as_raw_fd(), self.report.1.as_raw_fd())
    }

    /// Enters the sandbox directly (the harness's pipes are closed inside).
    pub fn enter(self) -> Result<sandbox::Entered, sandbox::Error> {
        let Prepared {
            sandbox,
            go,
            report,
        } = self;
        let entered = sandbox.enter();
        if let Ok(Entered::Inside(_)) = &entered {
            // Inside, the ends not kept were closed by the sandbox: never close them again.
            std::mem::forget((go, report));
        }
        entered
    }
}

impl std::ops::Deref for Prepared {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// What [`run_inside_with`] enters: a [`Prepared`] sandbox, or a builder it prepares.
pub trait Enterable {
    /// The prepared sandbox.
    fn prepared(self) -> Result<Prepared, Fail>;
}

impl Enterable for Prepared {
    fn prepared(self) -> Result<Prepared, Fail> {
        Ok(self)
    }
}

impl Enterable for sandbox::Builder {
    fn prepared(self) -> Result<Prepared, Fail> {
        prepare(self)
    }
}

/// Builds and enters `builder` (namespace mode), keeping the harness's two pipes. In the parent, checks that the child really is in a
/// mount namespace of its own (so that nothing the child does can touch the host), runs
/// `parent_check` while the child waits, then lets the child run `f`, collects its facts
/// and waits for it. The child exits with `ok_code` when `f` succeeds.
///
/// A failure or skip of `f` comes back as the scenario's failure or skip.
pub fn run_inside_with(
    sandbox: impl Enterable,
    ok_code: i32,
    parent_check: impl FnOnce(&Child) -> TestResult,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> Result<Outcome, Fail> {
    let host_mnt = ns(None, "mnt")?;
    let Prepared {
        sandbox,
        go: (go_r, go_w),
        report: (rep_r, rep_w),
    } = sandbox.prepared()?;
    match sandbox.enter()? {
        Entered::Inside(inside) => {
            // Not kept, so the sandbox closed these numbers: their owners must not close
            // them again (the numbers may name other files by now).
            std::mem::forget(go_w);
            std::mem::forget(rep_r);
            child_side(go_r, rep_w, inside, ok_code, f)
        }
        Entered::Parent(child) => {
            drop(go_r);
            drop(rep_w);
            let pid = child.pid().as_raw_nonzero().get();
            let checked = (|| {
                let child_mnt = ns(Some(pid), "mnt")?;
                test_support::ensure!(
                    child_mnt != host_mnt,
                    "the sandboxed child {pid} is in the host's mount namespace {host_mnt}"
                );
                parent_check(&child)
            })();
            if let Err(e) = checked {
                // Never let the child run its checks outside a namespace of its own.
                drop(go_w);
                let _ = child.kill(sandbox::Signal::KILL);
                let _ = child.wait();
                return Err(e);
            }
            let mut go_w = go_w;
            go_w.write_all(b"g")
                .map_err(io_ctx("tell the child to go"))?;
            drop(go_w);
            let msg = receive(rep_r);
            let status = child.wait()?;
            let Some(verdict) = read_verdict(&msg) else {
                test_support::fail!("the sandboxed child sent {msg:?} and ended with {status:?}");
            };
            Ok(Outcome {
                status,
                report: verdict?,
                pid,
            })
        }
    }
}

/// [`run_inside_with`] with no parent check, expecting exit code 0.
pub fn run_inside(
    sandbox: impl Enterable,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> Result<Outcome, Fail> {
    let out = run_inside_with(sandbox, 0, |_| Ok(()), f)?;
    test_support::ensure_eq!(out.status.code(), 0, "exit code of the sandboxed child");
    Ok(out)
}

/// [`run_inside_with`] (`ok_code` 0) with a parent check that reads this process's
/// mountinfo while the child waits: the outcome, and that mountinfo ("" if the check did
/// not get that far).
pub fn run_inside_noting_mountinfo(
    sandbox: impl Enterable,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> (Result<Outcome, Fail>, String) {
    let mut during = String::new();
    let result = run_inside_with(
        sandbox,
        0,
        |_| {
            during = test_support::mountinfo()?;
            Ok(())
        },
        f,
    );
    (result, during)
}

// ---------------------------------------------------------------------------------------
// Seccomp: fail one system call precisely (shared with the leaf crates' tests).

#[allow(unused_imports)]
pub use test_support::seccomp::*;

// ---------------------------------------------------------------------------------------
// Small syscall helpers for the inside of the sandbox.

/// The descriptors open in this process, by `fcntl(F_GETFD)` on every number below the
/// soft `RLIMIT_NOFILE` (at most 65536): inside a sandbox no proc is mounted, and the
/// Landlock layer refuses listing the proc-fd handle's directory, which lies outside the
/// new root.
pub fn open_fds() -> Vec<i32> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024)
        .min(65536) as i32;
    (0..limit)
        .filter(|&fd| {
            // SAFETY: F_GETFD on a number reads a descriptor table entry; EBADF if not open.
            unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
        })
        .collect()
}

/// The access mode (`O_ACCMODE` bits) of an open descriptor.
pub fn access_mode(fd: BorrowedFd<'_>) -> Result<i32, Fail> {
    // SAFETY: fcntl(F_GETFL) on a descriptor we borrow; no memory involved.
    let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if fl < 0 {
        test_support::fail!("fcntl F_GETFL: {}", std::io::Error::last_os_error());
    }
    Ok(fl & (libc::O_ACCMODE | libc::O_PATH))
}

/// The names of the network interfaces this process sees.
pub fn interface_names() -> Result<Vec<String>, Fail> {
    // SAFETY: if_nameindex returns a heap array terminated by a zero entry, or NULL; we
    // read it up to the terminator and free it once.
    unsafe {
        let head = libc::if_nameindex();
        if head.is_null() {
            test_support::fail!("if_nameindex: {}", std::io::Error::last_os_error());
        }
        let mut names = Vec::new();
        let mut p = head;
        while (*p).if_index != 0 {
            names.push(CStr::from_ptr((*p).if_name).to_string_lossy().into_owned());
            p = p.add(1);
        }
        libc::if_freenameindex(head);
        Ok(names)
    }
}

/// Runs a confined child that handles `sig` by exiting with 100 + `sig`, sends `sig` to
/// the original process once it waits with the signal blocked, and checks the original
/// process exits with that code: the signal was passed on.
pub fn confine_passes_signal_to_a_child_with_a_handler(shared: &Path, sig: i32) -> TestResult {
    let (mut r, w) = pipe()?;
    let original = spawn_confined(shared, keeping(&w, |b| b), move || {
        exit_100_plus_on(sig);
        ready_then_pause(w)
    })?;
    expect(&mut r, "ready")?;
    // The supervisor must be in its forwarding wait, or the signal would kill it.
    wait_blocked(original, &[sig], Duration::from_secs(5))?;
    let ended = signal_and_wait(original, sig, Duration::from_secs(5))?;
    test_support::ensure_eq!(
        ended,
        Some(Ended::Code(100 + sig)),
        "signal {sig} sent to the original process reaches the child"
    );
    Ok(())
}

/// Runs a confined child with no handler of its own, sends `sig` to the original process
/// and checks the original process dies of it: the sandbox's pid-1 handler ended the child
/// and noted the signal, which the original process passes on truly.
pub fn confine_forwarded_signal_ends_a_child_without_handlers(
    shared: &Path,
    sig: i32,
) -> TestResult {
    let (mut r, w) = pipe()?;
    let original = spawn_confined(shared, keeping(&w, |b| b), move || ready_then_pause(w))?;
    expect(&mut r, "ready")?;
    wait_blocked(original, &[sig], Duration::from_secs(5))?;
    let ended = signal_and_wait(original, sig, Duration::from_secs(5))?;
    test_support::ensure_eq!(
        ended,
        Some(Ended::Signal(sig)),
        "signal {sig} to the original process: it passes on the child's death by it"
    );
    Ok(())
}

/// Defines one scenario per mount path (`MountApi::New` and `MountApi::Legacy`) for a
/// function taking the `MountApi`.
#[allow(unused_macros)]
macro_rules! on_both_paths {
    ($($body:ident => $new:ident, $legacy:ident;)*) => {$(
        fn $new() -> TestResult {
            $body(MountApi::New)
        }
        fn $legacy() -> TestResult {
            $body(MountApi::Legacy)
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use on_both_paths;
