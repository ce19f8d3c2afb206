//! The sandboxed process as pid 1, as a child, and as a holder of descriptors and
//! capabilities: each scenario in a fresh process, run as root and as uid 65534.
//!
//! Groups:
//! - signals: what the original process passes on, what pid 1 does with them, the minimal
//!   init (signals reach the daemon, orphans are reaped);
//! - descriptors: inherited ones closed or marked close-on-exec, a leaked directory
//!   refused, kept ones usable;
//! - capabilities: the sets inside, and each known way out for a root process with too
//!   many capabilities, refused by default and working when the capability is kept (so
//!   the test can tell);
//! - hardening options, each observable from inside.

mod common;

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use sandbox::{CapabilitySet, Entered, Error, InheritedFds, Sandbox};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        // Signals and pid 1.
        confine_forwards_sigusr1_and_sigusr2_to_the_child,
        confine_forwarded_sigusr1_ends_a_child_without_handlers,
        init_makes_the_daemon_pid_2_and_passes_signals_on,
        init_exits_with_the_daemon_exit_code,
        sigterm_to_pid_1_from_inside_ends_the_sandbox_under_init,
        orphans_are_reaped_by_the_init_and_stay_zombies_without_it,
        killing_the_original_process_ends_the_daemon_under_init,
        the_init_runs_filtered_in_a_session_of_its_own,
        // Descriptors.
        inherited_fd_is_closed_inside_unless_kept,
        only_the_standard_kept_and_handle_descriptors_are_open_inside,
        kept_file_inside_a_read_only_sandbox_is_reopened_there_and_cannot_be_written,
        kept_writable_file_inside_a_read_only_sandbox_is_refused,
        a_kept_number_that_is_not_open_is_refused_before_anything_changes,
        a_kept_number_reused_by_another_file_is_refused,
        one_thread_kills_the_child_while_another_waits,
        entering_twice_is_refused_typed_on_both_sides,
        close_on_exec_policy_keeps_inherited_fds_open_but_marked,
        close_on_exec_policy_and_init_work_without_close_range,
        an_inherited_fd_that_survives_closing_is_reported,
        leaked_directory_fd_to_the_host_root_is_closed_inside_and_refused_when_kept,
        kept_directory_fd_inside_the_shared_dir_is_reopened_on_the_sandbox_mounts,
        inheritable_directory_fd_is_closed_not_refused_unless_the_policy_keeps_it,
        // Capabilities.
        no_capability_is_left_inside_by_default,
        kept_capabilities_are_exactly_the_keep_list,
        shocker_open_by_handle_at_is_refused_by_default,
        mknod_of_a_device_is_refused_by_default_and_nodev_blocks_opening_it,
        remounting_read_write_is_refused_by_default,
        loading_a_kernel_module_is_refused_by_default,
        // Hardening options.
        optional_hardening_is_off_and_a_new_session_is_on_by_default,
        no_new_privs_is_set_inside_when_asked,
        new_session_false_keeps_the_callers_session,
        nofile_limit_is_raised_and_reported,
    ])
}

// =======================================================================================
// Shared set-up.

// =======================================================================================
// Signals and pid 1.

fn confine_forwards_sigusr1_and_sigusr2_to_the_child() -> TestResult {
    let (_top, shared) = shared_dir()?;
    for sig in [libc::SIGUSR1, libc::SIGUSR2] {
        confine_passes_signal_to_a_child_with_a_handler(&shared, sig)?;
    }
    Ok(())
}

fn confine_forwarded_sigusr1_ends_a_child_without_handlers() -> TestResult {
    // As pid 1 without a handler, the daemon would ignore SIGUSR1; the sandbox's handler
    // ends it, and the original process dies of SIGUSR1.
    let (_top, shared) = shared_dir()?;
    confine_forwarded_signal_ends_a_child_without_handlers(&shared, libc::SIGUSR1)
}

fn init_makes_the_daemon_pid_2_and_passes_signals_on() -> TestResult {
    let (_top, shared) = shared_dir()?;
    for sig in [libc::SIGTERM, libc::SIGUSR1, libc::SIGHUP] {
        let (mut r, w) = pipe()?;
        let original = spawn_confined(&shared, keeping(&w, |b| b.init(true)), move || {
            exit_100_plus_on(sig);
            send(w, &format!("pid={}", std::process::id()));
            pause_forever()
        })?;
        // One small write arrives whole; the original process keeps the write end open.
        let mut buf = [0u8; 32];
        let n = r.read(&mut buf).map_err(io_ctx("read"))?;
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg != "pid=2" {
            kill_and_reap(original);
            fail!("the daemon under the init said {msg:?}, not pid=2");
        }
        wait_blocked(original, &[sig], Duration::from_secs(5))?;
        // The init, pid 1 of the namespace, must be waiting for signals too.
        let init = wait_for_child_of(original, Duration::from_secs(5))?;
        wait_blocked(init, &[sig], Duration::from_secs(5))?;
        let ended = signal_and_wait(original, sig, Duration::from_secs(5))?;
        ensure_eq!(
            ended,
            Some(Ended::Code(100 + sig)),
            "signal {sig}: original -> init -> daemon, and the daemon's exit code back"
        );
    }
    Ok(())
}

fn init_exits_with_the_daemon_exit_code() -> TestResult {
    let (_top, shared) = shared_dir()?;
    for code in [0, 7, 200] {
        let original = spawn_confined(&shared, |b| b.init(true), move || code)?;
        ensure_eq!(waitpid(original)?, Ended::Code(code), "exit code {code}");
    }
    Ok(())
}

fn sigterm_to_pid_1_from_inside_ends_the_sandbox_under_init() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let original = spawn_confined(
        &shared,
        |b| b.init(true),
        || {
            // SAFETY: kill(2) takes integers only.
            unsafe { libc::kill(1, libc::SIGTERM) };
            std::thread::sleep(Duration::from_secs(5));
            93
        },
    )?;
    let ended = waitpid_timeout(original, Duration::from_secs(10))?;
    if ended.is_none() {
        kill_and_reap(original);
    }
    ensure_eq!(
        ended,
        Some(Ended::Signal(libc::SIGTERM)),
        "SIGTERM to pid 1 reaches the daemon (default action), and the original process dies of it too"
    );
    Ok(())
}

/// The zombie children of `pid`, from the host's /proc.
fn zombie_children(pid: i32) -> Vec<i32> {
    children_of(pid)
        .into_iter()
        .filter(|&c| stat_of(c).is_some_and(|(state, _)| state == 'Z'))
        .collect()
}

/// Inside, the daemon forks a helper that forks a grandchild and exits at once; the
/// grandchild exits too, orphaned. Returns the zombie children of the sandbox's pid 1
/// (as the host's /proc shows them) once they settle.
fn orphan_left_behind(init: bool) -> Result<Vec<i32>, Fail> {
    let (_top, shared) = shared_dir()?;
    let (mut spawned_r, spawned_w) = pipe()?;
    let (mut go_r, go_w) = pipe()?;
    let sandbox = prepare(
        Sandbox::builder(&shared)
            .init(init)
            .keep_fd(&spawned_w)
            .keep_fd(&go_r),
    )?;
    match sandbox.enter()? {
        Entered::Inside(_inside) => {
            // Not kept: closed by the sandbox.
            std::mem::forget((spawned_r, go_w));
            // SAFETY: the sandboxed process is single-threaded; the helper only forks
            // and exits, the grandchild only exits.
            let helper = unsafe { libc::fork() };
            if helper == 0 {
                // SAFETY: as above.
                if unsafe { libc::fork() } == 0 {
                    std::thread::sleep(Duration::from_millis(50));
                    exit_now(0)
                }
                exit_now(0)
            }
            if helper < 0 {
                exit_now(3)
            }
            let _ = waitpid(helper);
            send(spawned_w, "spawned");
            wait_go(&mut go_r);
            exit_now(0)
        }
        Entered::Parent(child) => {
            drop(spawned_w);
            drop(go_r);
            let pid1 = child.pid().as_raw_nonzero().get();
            let result = (|| {
                expect(&mut spawned_r, "spawned")?;
                if init {
                    // The grandchild ends 50 ms after its birth; the init reaps it at once.
                    std::thread::sleep(Duration::from_millis(500));
                    return Ok(zombie_children(pid1));
                }
                let deadline = Instant::now() + Duration::from_secs(2);
                loop {
                    let zombies = zombie_children(pid1);
                    if !zombies.is_empty() || Instant::now() > deadline {
                        return Ok(zombies);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })();
            drop(go_w);
            let _ = child.wait();
            result
        }
    }
}

fn orphans_are_reaped_by_the_init_and_stay_zombies_without_it() -> TestResult {
    // Without the init, the daemon is pid 1: the orphan is reparented to it and, never
    // waited for, stays a zombie. This proves the check can see one.
    let without = in_child_value(|| orphan_left_behind(false))?;
    ensure!(
        without != "[]",
        "without the init, an orphan should stay a zombie of pid 1; saw none"
    );
    let with = in_child_value(|| orphan_left_behind(true))?;
    ensure_eq!(with, "[]", "zombie children of the init");
    Ok(())
}

/// Runs `f` in a forked child (each enter needs a fresh process) and returns its `Debug`
/// text.
fn in_child_value<T: std::fmt::Debug>(f: impl FnOnce() -> Result<T, Fail>) -> Result<String, Fail> {
    let (r, w) = pipe()?;
    test_support::in_child(move || {
        let v = f()?;
        send(w, &format!("{v:?}"));
        Ok(())
    })?;
    Ok(receive(r))
}

/// The `key:` line of `/proc/<pid>/status`.
fn status_field(pid: i32, key: &str) -> Result<String, Fail> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(io_ctx(format!("read /proc/{pid}/status")))?;
    text.lines()
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
        .ok_or_else(|| failed(format!("no {key} line for {pid}")))
}

/// The session id of `pid`, from `/proc/<pid>/stat` (the host's view).
fn session_of(pid: i32) -> Result<i32, Fail> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(io_ctx(format!("read /proc/{pid}/stat")))?;
    // After "pid (comm) ": state ppid pgrp session ...
    s.get(s.rfind(')').map_or(0, |i| i + 2)..)
        .and_then(|rest| rest.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| failed(format!("no session in /proc/{pid}/stat")))
}

fn the_init_runs_filtered_in_a_session_of_its_own() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (mut r, w) = pipe()?;
    let original = spawn_confined(&shared, keeping(&w, |b| b.init(true)), move || {
        ready_then_pause(w)
    })?;
    let result = (|| {
        expect(&mut r, "ready")?;
        let init = wait_for_child_of(original, Duration::from_secs(5))?;
        let daemon = wait_for_child_of(init, Duration::from_secs(5))?;
        // Pid 1 could otherwise be used by the daemon (ptrace with a kept CAP_KILL or
        // more) to reach what the daemon's own filter refuses.
        // The init confines itself after forking the daemon, beside the daemon's own
        // setup: give it a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while status_field(init, "Seccomp:")? != "2" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        ensure_eq!(status_field(init, "Seccomp:")?, "2", "pid 1's seccomp mode");
        ensure_eq!(
            status_field(daemon, "Seccomp:")?,
            "2",
            "the daemon's seccomp mode"
        );
        ensure_eq!(
            status_field(init, "NoNewPrivs:")?,
            "1",
            "pid 1's no_new_privs"
        );
        ensure_eq!(session_of(init)?, init, "pid 1 leads a session of its own");
        ensure_eq!(
            session_of(daemon)?,
            init,
            "the daemon is in pid 1's session"
        );
        Ok(())
    })();
    kill_and_reap(original);
    result
}

fn killing_the_original_process_ends_the_daemon_under_init() -> TestResult {
    let (_top, shared) = shared_dir()?;
    become_subreaper()?;
    let (mut r, w) = pipe()?;
    let original = spawn_confined(&shared, keeping(&w, |b| b.init(true)), move || {
        ready_then_pause(w)
    })?;
    expect(&mut r, "ready")?;
    let init = wait_for_child_of(original, Duration::from_secs(5))?;
    let daemon = wait_for_child_of(init, Duration::from_secs(5))?;
    send_signal(original, libc::SIGKILL)?;
    ensure_eq!(waitpid(original)?, Ended::Signal(libc::SIGKILL));
    // We are the subreaper: the init comes to us. It must end (the daemon got the
    // die-with-parent SIGTERM through it), and the daemon with it.
    let ended = waitpid_timeout(init, Duration::from_secs(5))?;
    if ended.is_none() {
        kill_and_reap(init);
    }
    ensure!(ended.is_some(), "the init outlived the original process");
    ensure!(
        stat_of(daemon).is_none(),
        "the daemon {daemon} outlived its init"
    );
    Ok(())
}

// =======================================================================================
// Descriptors.

/// Opens `path` read-only without close-on-exec (as a C library or an exec'd parent
/// would leave it).
fn open_inheritable(path: &Path) -> Result<OwnedFd, Fail> {
    rustix::fs::open(path, rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty())
        .map_err(|e| failed(format!("open {}: {e}", path.display())))
}

/// `fcntl(fd, F_GETFD)`: the flags, or the errno.
fn fd_flags(fd: i32) -> Result<i32, i32> {
    // SAFETY: F_GETFD on a number reads a descriptor table entry; EBADF if not open.
    let r = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// Reads what is left of `fd` from offset 0.
fn pread_all(fd: i32) -> Result<String, Fail> {
    let mut buf = [0u8; 64];
    // SAFETY: reads into a local buffer of the given size.
    let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        fail!("pread {fd}: errno {}", errno());
    }
    Ok(String::from_utf8_lossy(&buf[..n as usize]).into_owned())
}

fn inherited_fd_is_closed_inside_unless_kept() -> TestResult {
    let (top, shared) = shared_dir()?;
    let file = top.path().join("host-file");
    std::fs::write(&file, "host data").map_err(io_ctx("write host file"))?;
    let host_file = dev_ino(&file)?;
    let dropped = open_inheritable(&file)?;
    let kept = open_inheritable(&file)?;
    let (d, k) = (dropped.as_raw_fd(), kept.as_raw_fd());
    ensure_eq!(
        fd_flags(d),
        Ok(0),
        "the descriptor lacks close-on-exec before entering"
    );
    let sandbox = prepare(Sandbox::builder(&shared).keep_fd(&kept))?;
    run_inside(sandbox, move |_| {
        // Closed early in the setup, the number may since have been reused by a
        // descriptor of the sandbox's own: it must not lead to the host file any more.
        // SAFETY: fstat on a number into a local struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let r = unsafe { libc::fstat(d, &mut st) };
        ensure!(
            r != 0 || (st.st_dev, st.st_ino) != host_file,
            "the inherited descriptor {d} still reaches the host file inside"
        );
        ensure!(
            r != 0 || fd_flags(d) == Ok(libc::FD_CLOEXEC),
            "descriptor {d} inside lacks close-on-exec"
        );
        ensure_eq!(fd_flags(k), Ok(0), "the kept descriptor inside");
        ensure_eq!(pread_all(k)?, "host data", "reading the kept descriptor");
        Ok(String::new())
    })?;
    // The original process keeps its descriptors.
    ensure_eq!(fd_flags(d), Ok(0), "the original process's descriptor");
    Ok(())
}

fn only_the_standard_kept_and_handle_descriptors_are_open_inside() -> TestResult {
    let (top, shared) = shared_dir()?;
    let file = top.path().join("host-file");
    std::fs::write(&file, "host data").map_err(io_ctx("write host file"))?;
    // Close-on-exec (std) and inheritable ones, a socket pair and a pipe: all not kept.
    let _cloexec = std::fs::File::open(&file).map_err(io_ctx("open"))?;
    let _inheritable = open_inheritable(&file)?;
    let _pair = std::os::unix::net::UnixStream::pair().map_err(io_ctx("socketpair"))?;
    let _pipe = pipe()?;
    let kept = open_inheritable(&file)?;
    let k = kept.as_raw_fd();
    let sandbox = prepare(Sandbox::builder(&shared).keep_fd(&kept))?;
    // The harness keeps two pipe ends; it has closed the "go" one by the time we look.
    let report = sandbox.kept_pipes().1;
    let out = run_inside(sandbox, move |inside| {
        let handle = inside.proc_self_fd().as_fd().as_raw_fd();
        // No proc inside the new root, and the Landlock layer refuses listing the handle's
        // directory: every number, probed.
        let mut open = open_fds();
        open.sort_unstable();
        let mut want = vec![0, 1, 2, k, report, handle];
        want.sort_unstable();
        want.dedup();
        ensure_eq!(
            open,
            want,
            "the descriptors open inside (handle {handle}, kept {k})"
        );
        Ok(String::new())
    })?;
    drop(out);
    Ok(())
}

fn kept_file_inside_a_read_only_sandbox_is_reopened_there_and_cannot_be_written() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let path = shared.join("data");
    std::fs::write(&path, "0123456789").map_err(io_ctx("write data"))?;
    let mut file = std::fs::File::open(&path).map_err(io_ctx("open data"))?;
    // Read part of it: the offset goes along to the reopened file.
    let mut head = [0u8; 4];
    file.read_exact(&mut head)
        .map_err(io_ctx("read the head"))?;
    let raw = file.as_raw_fd();
    let sandbox = Sandbox::builder(&shared).read_only(true).keep_fd(&file);
    let out = run_inside(sandbox, move |inside| {
        // SAFETY: kept, so open inside at the same number.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
        let mut rest = [0u8; 16];
        let n = rustix::io::read(fd, &mut rest).map_err(|e| failed(format!("read: {e}")))?;
        let writable = inside.proc_self_fd().reopen(fd, sandbox::OFlags::RDWR);
        Ok(format!(
            "rest={}\nreopen_rdwr={:?}\n",
            String::from_utf8_lossy(&rest[..n]),
            writable.err().and_then(|e| e.errno())
        ))
    })?;
    ensure_eq!(
        need(&out.report, "rest")?,
        "456789",
        "reading on from the kept offset"
    );
    ensure_eq!(
        need(&out.report, "reopen_rdwr")?,
        format!("{:?}", Some(rustix::io::Errno::ROFS)),
        "reopening the kept file for writing inside a read-only sandbox"
    );
    ensure_eq!(
        std::fs::read_to_string(&path).map_err(io_ctx("read data"))?,
        "0123456789"
    );
    Ok(())
}

fn kept_writable_file_inside_a_read_only_sandbox_is_refused() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let path = shared.join("data");
    std::fs::write(&path, "x").map_err(io_ctx("write data"))?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io_ctx("open data"))?;
    let sandbox = prepare(Sandbox::builder(&shared).read_only(true).keep_fd(&file))?;
    let e = expect_refused(
        sandbox.enter(),
        "a writable descriptor went into a read-only sandbox",
    )?;
    ensure_eq!(
        e.step(),
        Some(sandbox::Step::KeptDescriptor),
        "the step of {e}"
    );
    ensure_eq!(e.errno(), Some(rustix::io::Errno::ROFS), "the errno of {e}");
    ensure!(
        e.to_string().contains("/data"),
        "the message names the file: {e}"
    );
    Ok(())
}

fn a_kept_number_that_is_not_open_is_refused_before_anything_changes() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (r, w) = pipe()?;
    let raw = r.as_raw_fd();
    let builder = Sandbox::builder(&shared).keep_fd(&r);
    drop((r, w));
    let before = own_namespaces()?;
    let e = expect_refused(builder.build()?.enter(), "a kept number that was closed")?;
    ensure!(
        matches!(e, Error::KeptFdChanged { fd } if fd == raw),
        "expected KeptFdChanged for {raw}, got {e:?}"
    );
    ensure_eq!(e.step(), Some(sandbox::Step::Fds), "the step of {e}");
    ensure!(
        e.to_string().contains(&format!("descriptor {raw}")),
        "the message names it: {e}"
    );
    ensure_eq!(
        own_namespaces()?,
        before,
        "nothing was changed before refusing"
    );
    Ok(())
}

/// keep_fd records a number; a number closed and taken again by another file (here a
/// socket the daemon opened later) would keep the stranger instead: refused.
fn a_kept_number_reused_by_another_file_is_refused() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (r, w) = pipe()?;
    let raw = r.as_raw_fd();
    let builder = Sandbox::builder(&shared).keep_fd(&r);
    drop(r);
    let (a, b) = std::os::unix::net::UnixStream::pair().map_err(io_ctx("socketpair"))?;
    let stranger = [a.as_raw_fd(), b.as_raw_fd()];
    ensure!(
        stranger.contains(&raw),
        "the kernel gave the lowest free number {raw} to the socket pair {stranger:?}"
    );
    let before = own_namespaces()?;
    let e = expect_refused(builder.build()?.enter(), "a kept number taken by a socket")?;
    ensure!(
        matches!(e, Error::KeptFdChanged { fd } if fd == raw),
        "expected KeptFdChanged for {raw}, got {e:?}"
    );
    ensure_eq!(
        own_namespaces()?,
        before,
        "nothing was changed before refusing"
    );
    drop((w, a, b));
    Ok(())
}

fn close_on_exec_policy_keeps_inherited_fds_open_but_marked() -> TestResult {
    let (top, shared) = shared_dir()?;
    let file = top.path().join("host-file");
    std::fs::write(&file, "host data").map_err(io_ctx("write host file"))?;
    let marked = open_inheritable(&file)?;
    let kept = open_inheritable(&file)?;
    let (m, k) = (marked.as_raw_fd(), kept.as_raw_fd());
    let sandbox = prepare(
        Sandbox::builder(&shared)
            .inherited_fds(InheritedFds::CloseOnExec)
            .keep_fd(&kept),
    )?;
    run_inside(sandbox, move |_| {
        ensure_eq!(
            fd_flags(m),
            Ok(libc::FD_CLOEXEC),
            "the inherited descriptor inside"
        );
        ensure_eq!(fd_flags(k), Ok(0), "the kept descriptor inside");
        ensure_eq!(
            pread_all(m)?,
            "host data",
            "the daemon itself still reads it"
        );
        Ok(String::new())
    })?;
    Ok(())
}

/// Runs `scenario` of this binary under strace with `close_range` failing with ENOSYS (as
/// before Linux 5.9, or under a seccomp profile), and checks it passed and that the
/// injection really hit.
fn without_close_range(scenario: &str) -> TestResult {
    let dir = test_support::temp_dir()?;
    let log = dir.path().join("trace");
    let cmd = test_support::strace_scenario(
        &[
            "-f",
            "-qq",
            "-e",
            "trace=close_range",
            "-e",
            "inject=close_range:error=ENOSYS",
            "-o",
            &log.to_string_lossy(),
        ],
        scenario,
    )?;
    test_support::output_of_success(cmd, format!("{scenario} without close_range"))?;
    let trace = std::fs::read_to_string(&log).map_err(io_ctx("read trace"))?;
    ensure!(
        trace.contains("close_range(") && trace.contains("(INJECTED)"),
        "{scenario} made no close_range call to fail: {trace}"
    );
    Ok(())
}

fn close_on_exec_policy_and_init_work_without_close_range() -> TestResult {
    // The fallbacks: fcntl(F_SETFD) one by one, and the init closing one by one.
    without_close_range("close_on_exec_policy_keeps_inherited_fds_open_but_marked")?;
    without_close_range("init_exits_with_the_daemon_exit_code")
}

/// Installs a seccomp filter under which `close_range(2)` fails with `ENOSYS` (as before
/// Linux 5.9), so that descriptors are closed one by one, and `close(fd)` returns 0
/// without closing anything (`SECCOMP_RET_ERRNO` with errno 0 skips the call); inherited
/// by children.
fn fake_close_of(fd: i32) -> TestResult {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let prog = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),                 // 0: arch
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 5), // 1: other arch: allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),                 // 2: nr
        jump(
            BPF_JMP | BPF_JEQ | BPF_K,
            libc::SYS_close_range as u32,
            5,
            0,
        ), // 3: ENOSYS
        jump(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_close as u32, 0, 2), // 4: not close: allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 16),                // 5: args[0], low half
        jump(BPF_JMP | BPF_JEQ | BPF_K, fd as u32, 1, 0),  // 6: our fd: skip
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),    // 7
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ERRNO),    // 8: "succeeds"
        stmt(
            BPF_RET | BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        ), // 9: no close_range
    ];
    install_seccomp_filter(&prog)
}

fn an_inherited_fd_that_survives_closing_is_reported() -> TestResult {
    // Closing one by one (without close_range) is checked, not assumed: a close(2) that
    // leaves the descriptor open (faked here by seccomp) fails the setup at the fds step.
    let (top, shared) = shared_dir()?;
    let file = top.path().join("host-file");
    std::fs::write(&file, "host data").map_err(io_ctx("write host file"))?;
    let fd = open_inheritable(&file)?;
    fake_close_of(fd.as_raw_fd())?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    match sandbox.enter() {
        Ok(Entered::Inside(_)) => exit_now(1),
        Ok(Entered::Parent(child)) => {
            let _ = child.kill(sandbox::Signal::KILL);
            let _ = child.wait();
            fail!(
                "enter worked although descriptor {} stayed open",
                fd.as_raw_fd()
            );
        }
        Err(e) => {
            ensure_eq!(e.step(), Some(sandbox::Step::Fds), "the step of {e}");
            ensure_eq!(e.errno(), Some(rustix::io::Errno::BADF), "the errno of {e}");
            ensure!(
                matches!(e, Error::Setup { in_child: true, .. }),
                "reported from the child: {e:?}"
            );
        }
    }
    Ok(())
}

/// In a default sandbox, the number `raw` (a descriptor on the host's `/` before entering)
/// does not lead to the host's `/` any more: closed, or reused by then for something else.
fn host_root_unreachable_through(shared: &Path, raw: i32, host_root: (u64, u64)) -> TestResult {
    run_inside(Sandbox::builder(shared), move |_| {
        // SAFETY: fstat on a number into a local struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let r = unsafe { libc::fstat(raw, &mut st) };
        ensure!(
            r != 0 || (st.st_dev, st.st_ino) != host_root,
            "descriptor {raw} still leads to the host's / inside"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn leaked_directory_fd_to_the_host_root_is_closed_inside_and_refused_when_kept() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let host_root = dev_ino("/")?;
    // std opens with close-on-exec, which protects nothing: no exec follows.
    let root = std::fs::File::open("/").map_err(io_ctx("open /"))?;
    let raw = root.as_raw_fd();

    // Kept, it is refused before anything changes (first: a process enters once, and a
    // refusal before any change leaves it free to enter).
    let before = own_namespaces()?;
    let err = expect_refused(
        Sandbox::builder(&shared).keep_fd(&root).build()?.enter(),
        "a kept directory descriptor on the host's /",
    )?;
    match &err {
        Error::LeakedDirectory { fd, path } => {
            ensure_eq!(*fd, raw, "the descriptor named");
            ensure_eq!(path.as_path(), Path::new("/"), "the path named");
        }
        other => fail!("expected LeakedDirectory, got {other:?}"),
    }
    ensure!(
        err.to_string().contains(&format!("descriptor {raw}")),
        "the message names the descriptor: {err}"
    );
    ensure_eq!(
        own_namespaces()?,
        before,
        "nothing was changed before refusing"
    );
    // Not kept, it is closed inside.
    host_root_unreachable_through(&shared, raw, host_root)
}

fn inheritable_directory_fd_is_closed_not_refused_unless_the_policy_keeps_it() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let host_root = dev_ino("/")?;
    // Without close-on-exec, as a careless parent leaves it.
    let root = rustix::fs::open(
        "/",
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| failed(format!("open /: {e}")))?;
    let raw = root.as_raw_fd();
    // Marked close-on-exec it would survive in the daemon itself: refused.
    let refused = Sandbox::builder(&shared)
        .inherited_fds(InheritedFds::CloseOnExec)
        .build()?
        .enter();
    match expect_refused(refused, "the host's / under CloseOnExec")? {
        Error::LeakedDirectory { fd, .. } => ensure_eq!(fd, raw, "the descriptor named"),
        e => fail!("expected LeakedDirectory, got {e:?}"),
    }
    // Closed (the default), it is no way out.
    host_root_unreachable_through(&shared, raw, host_root)?;
    Ok(())
}

fn kept_directory_fd_inside_the_shared_dir_is_reopened_on_the_sandbox_mounts() -> TestResult {
    let (top, shared) = shared_dir()?;
    std::fs::write(top.path().join("host-secret"), "host").map_err(io_ctx("write"))?;
    std::fs::create_dir_all(shared.join("a/b")).map_err(io_ctx("mkdir a/b"))?;
    std::fs::write(shared.join("a/b/f"), "inside").map_err(io_ctx("write a/b/f"))?;
    let dir = std::fs::File::open(shared.join("a/b")).map_err(io_ctx("open a/b"))?;
    let raw = dir.as_raw_fd();
    let sandbox = Sandbox::builder(&shared).read_only(true).keep_fd(&dir);
    let out = run_inside(sandbox, move |_| {
        // SAFETY: the descriptor was kept: it is open inside, at the same number.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
        let open = |path: &str, flags| {
            rustix::fs::openat(fd, path, flags, rustix::fs::Mode::from_raw_mode(0o644))
        };
        let f = open(
            "f",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        )
        .map_err(|e| failed(format!("openat a/b f: {e}")))?;
        ensure_eq!(pread_all(f.as_raw_fd())?, "inside");
        // The same mount as the path inside: the sandbox's read-only copy.
        let mnt = |fd: std::os::fd::BorrowedFd<'_>, path: &str| {
            rustix::fs::statx(
                fd,
                path,
                rustix::fs::AtFlags::empty(),
                rustix::fs::StatxFlags::MNT_ID,
            )
            .map(|s| s.stx_mnt_id)
            .map_err(|e| failed(format!("statx {path}: {e}")))
        };
        ensure_eq!(
            mnt(fd, ".")?,
            mnt(rustix::fs::CWD, "/a/b")?,
            "mount of the kept fd"
        );
        let write = open(
            "new",
            rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CREATE | rustix::fs::OFlags::CLOEXEC,
        );
        // Climbing: "../../.." from a/b stops at the new root.
        let up = open(
            "../../../../host-secret",
            rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        );
        Ok(format!("write={:?}\nup={:?}\n", write.err(), up.err()))
    })?;
    ensure_eq!(
        need(&out.report, "write")?,
        format!("{:?}", Some(rustix::io::Errno::ROFS)),
        "a write through the kept descriptor"
    );
    ensure_eq!(
        need(&out.report, "up")?,
        format!("{:?}", Some(rustix::io::Errno::NOENT)),
        "the host's file next to the shared dir, through ..; from the kept descriptor"
    );
    ensure!(
        !shared.join("a/b/new").exists(),
        "the write reached the host"
    );
    Ok(())
}

// =======================================================================================
// Capabilities.

/// The highest capability number the kernel knows.
fn cap_last_cap() -> Result<u32, Fail> {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .map_err(io_ctx("read cap_last_cap"))?
        .trim()
        .parse()
        .map_err(|e| failed(format!("cap_last_cap: {e}")))
}

/// The capability sets as the kernel reports them: capget for effective, permitted and
/// inheritable; PR_CAPBSET_READ and PR_CAP_AMBIENT_IS_SET for bounding and ambient.
fn capability_report(last: u32) -> Result<String, Fail> {
    let sets = rustix::thread::capabilities(None).map_err(|e| failed(format!("capget: {e}")))?;
    let (mut bounding, mut ambient) = (0u64, 0u64);
    for cap in 0..=last {
        // SAFETY: prctl with integer arguments.
        let b = unsafe { libc::prctl(libc::PR_CAPBSET_READ, cap as libc::c_ulong, 0, 0, 0) };
        // SAFETY: as above.
        let a = unsafe {
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_IS_SET as libc::c_ulong,
                cap as libc::c_ulong,
                0,
                0,
            )
        };
        if b < 0 || a < 0 {
            fail!("prctl for capability {cap}: errno {}", errno());
        }
        bounding |= (b as u64) << cap;
        ambient |= (a as u64) << cap;
    }
    Ok(format!(
        "effective={:#x}\npermitted={:#x}\ninheritable={:#x}\nbounding={bounding:#x}\nambient={ambient:#x}",
        sets.effective.bits(),
        sets.permitted.bits(),
        sets.inheritable.bits()
    ))
}

fn no_capability_is_left_inside_by_default() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let last = cap_last_cap()?;
    let out = run_inside(Sandbox::builder(&shared), move |_| capability_report(last))?;
    for set in [
        "effective",
        "permitted",
        "inheritable",
        "bounding",
        "ambient",
    ] {
        ensure_eq!(need(&out.report, set)?, "0x0", "the {set} set inside");
    }
    Ok(())
}

/// What a file server typically keeps.
fn file_server_caps() -> CapabilitySet {
    CapabilitySet::CHOWN
        | CapabilitySet::DAC_OVERRIDE
        | CapabilitySet::FOWNER
        | CapabilitySet::FSETID
        | CapabilitySet::SETUID
        | CapabilitySet::SETGID
}

fn kept_capabilities_are_exactly_the_keep_list() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let last = cap_last_cap()?;
    let keep = file_server_caps();
    let sandbox = prepare(Sandbox::builder(&shared).keep_capabilities(keep))?;
    let out = run_inside(sandbox, move |_| capability_report(last))?;
    let want = format!("{:#x}", keep.bits());
    for set in ["effective", "permitted", "bounding"] {
        ensure_eq!(need(&out.report, set)?, want, "the {set} set inside");
    }
    ensure_eq!(
        need(&out.report, "ambient")?,
        "0x0",
        "the ambient set inside"
    );
    Ok(())
}

/// Runs `f` inside a sandbox configured by `configure`, in a child process of its own (a
/// process enters once), and returns the facts it reports.
fn inside_with(
    shared: &Path,
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
    f: impl FnOnce() -> Result<String, Fail>,
) -> Result<String, Fail> {
    let (r, w) = pipe()?;
    let shared = shared.to_path_buf();
    test_support::in_child(move || {
        let sandbox = configure(Sandbox::builder(&shared));
        let out = run_inside(sandbox, move |_| f())?;
        send(w, &out.report);
        Ok(())
    })?;
    Ok(receive(r))
}

/// A file handle for `name_to_handle_at(2)` / `open_by_handle_at(2)`.
#[repr(C)]
#[derive(Clone, Copy)]
struct FileHandle {
    handle_bytes: u32,
    handle_type: i32,
    f_handle: [u8; 128],
}

fn shocker_open_by_handle_at_is_refused_by_default() -> TestResult {
    // The "shocker" escape: a file handle names an inode of a file system, not a path;
    // open_by_handle_at with CAP_DAC_READ_SEARCH opens it from any descriptor on the same
    // file system, bind mount or not: here a file next to the shared dir, outside it.
    test_support::require_root()?;
    let (top, shared) = shared_dir()?;
    let secret = top.path().join("secret");
    std::fs::write(&secret, "host secret").map_err(io_ctx("write secret"))?;
    let mut handle = FileHandle {
        handle_bytes: 128,
        handle_type: 0,
        f_handle: [0; 128],
    };
    let mut mount_id = 0;
    let path = std::ffi::CString::new(secret.as_os_str().as_encoded_bytes())
        .map_err(|e| failed(format!("path: {e}")))?;
    // SAFETY: name_to_handle_at writes at most handle_bytes (128) bytes into f_handle and
    // the mount id into a local; the path is a valid C string.
    let r = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            libc::AT_FDCWD,
            path.as_ptr(),
            &mut handle as *mut FileHandle,
            &mut mount_id as *mut libc::c_int,
            0,
        )
    };
    if r != 0 {
        skip!(
            "the file system of the temp dir gives no file handles: errno {}",
            errno()
        );
    }
    let try_open = move || -> Result<String, Fail> {
        let root = std::fs::File::open("/").map_err(io_ctx("open /"))?;
        let mut handle = handle;
        // SAFETY: open_by_handle_at reads the handle struct we own; returns a new fd.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_open_by_handle_at,
                root.as_raw_fd(),
                &mut handle as *mut FileHandle,
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Ok(format!("errno={}", errno()));
        }
        Ok(format!("read={}", pread_all(fd as i32)?))
    };
    let default = inside_with(&shared, |b| b, try_open)?;
    ensure_eq!(
        fact(&default, "errno"),
        Some(libc::EPERM.to_string().as_str()),
        "open_by_handle_at by default: {default:?}"
    );
    let kept = inside_with(
        &shared,
        |b| {
            b.keep_capabilities(CapabilitySet::DAC_READ_SEARCH)
                .seccomp(default_filter_allowing(&["open_by_handle_at"]))
        },
        try_open,
    )?;
    ensure_eq!(
        fact(&kept, "read"),
        Some("host secret"),
        "with CAP_DAC_READ_SEARCH kept the host file outside the shared dir is read: {kept:?}"
    );
    Ok(())
}

fn mknod_of_a_device_is_refused_by_default_and_nodev_blocks_opening_it() -> TestResult {
    test_support::require_root()?;
    let (_top, shared) = shared_dir()?;
    let host_nodev = rustix::fs::statvfs(&shared)
        .map_err(|e| failed(format!("statvfs: {e}")))?
        .f_flag
        .contains(rustix::fs::StatVfsMountFlags::NODEV);
    // /dev/zero's numbers: opening it and reading zeros proves device access.
    let attempt = || -> Result<String, Fail> {
        let name = c"/zero";
        // SAFETY: mknod with a valid C string and integers.
        let r = unsafe { libc::mknod(name.as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 5)) };
        if r != 0 {
            return Ok(format!("mknod={}", errno()));
        }
        match std::fs::File::open("/zero") {
            Err(e) => Ok(format!("mknod=0\nopen={}", e.raw_os_error().unwrap_or(-1))),
            Ok(mut f) => {
                let mut b = [1u8; 4];
                f.read_exact(&mut b).map_err(io_ctx("read /zero"))?;
                Ok(format!("mknod=0\nopen=0\nread={b:?}"))
            }
        }
    };
    // The capability alone: the Landlock layer refuses device nodes too (EACCES).
    let default = inside_with(&shared, |b| b.landlock(false), attempt)?;
    ensure_eq!(
        fact(&default, "mknod"),
        Some(libc::EPERM.to_string().as_str()),
        "mknod by default: {default:?}"
    );
    let _ = std::fs::remove_file(shared.join("zero"));
    // With the capability, the Landlock layer still refuses device nodes (EACCES) while
    // nodev holds; without the layer, nodev alone keeps the node from opening.
    let layered = inside_with(
        &shared,
        |b| b.keep_capabilities(CapabilitySet::MKNOD),
        attempt,
    )?;
    if sandbox::landlock_abi().is_some() {
        ensure_eq!(
            fact(&layered, "mknod"),
            Some(libc::EACCES.to_string().as_str()),
            "mknod with CAP_MKNOD kept, under the Landlock layer: {layered:?}"
        );
    }
    let _ = std::fs::remove_file(shared.join("zero"));
    let mknod_only = inside_with(
        &shared,
        |b| b.keep_capabilities(CapabilitySet::MKNOD).landlock(false),
        attempt,
    )?;
    ensure_eq!(
        fact(&mknod_only, "mknod"),
        Some("0"),
        "mknod with CAP_MKNOD kept"
    );
    ensure_eq!(
        fact(&mknod_only, "open"),
        Some(libc::EACCES.to_string().as_str()),
        "opening the device on the nodev shared dir: {mknod_only:?}"
    );
    let _ = std::fs::remove_file(shared.join("zero"));
    if host_nodev {
        skip!("the temp dir's file system is nodev on the host: device access cannot be shown");
    }
    let both = inside_with(
        &shared,
        |b| b.keep_capabilities(CapabilitySet::MKNOD).nodev(false),
        attempt,
    )?;
    let _ = std::fs::remove_file(shared.join("zero"));
    ensure_eq!(
        fact(&both, "read"),
        Some("[0, 0, 0, 0]"),
        "with CAP_MKNOD and without nodev the device opens: {both:?}"
    );
    Ok(())
}

fn remounting_read_write_is_refused_by_default() -> TestResult {
    // CAP_SYS_ADMIN undoes any mount the sandbox made: here, read-only. In a user
    // namespace too: the read-only flag was set there, so it is not locked.
    let (_top, shared) = shared_dir()?;
    let attempt = || -> Result<String, Fail> {
        let root = c"/";
        // SAFETY: mount(2) with valid C strings / nulls and integer flags.
        let r = unsafe {
            libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_BIND,
                std::ptr::null(),
            )
        };
        let mount = if r == 0 { 0 } else { errno() };
        let write = errno_of(std::fs::write("/written", "x")).unwrap_or(0);
        Ok(format!("mount={mount}\nwrite={write}"))
    };
    let default = inside_with(&shared, |b| b.read_only(true), attempt)?;
    ensure_eq!(
        fact(&default, "mount"),
        Some(libc::EPERM.to_string().as_str()),
        "remount by default: {default:?}"
    );
    ensure_eq!(
        fact(&default, "write"),
        Some(libc::EROFS.to_string().as_str()),
        "write by default: {default:?}"
    );
    let kept = inside_with(
        &shared,
        |b| {
            // Landlock forbids mount(2) to the process it restricts: without it, the
            // capability alone decides.
            b.read_only(true)
                .keep_capabilities(CapabilitySet::SYS_ADMIN)
                .seccomp(default_filter_allowing(&["mount"]))
                .landlock(false)
        },
        attempt,
    )?;
    ensure_eq!(
        (fact(&kept, "mount"), fact(&kept, "write")),
        (Some("0"), Some("0")),
        "with CAP_SYS_ADMIN kept the read-only sandbox becomes writable: {kept:?}"
    );
    ensure!(
        shared.join("written").exists(),
        "the write reached the host"
    );
    Ok(())
}

fn loading_a_kernel_module_is_refused_by_default() -> TestResult {
    // init_module checks CAP_SYS_MODULE before it looks at the image: garbage gets EPERM
    // without it, and an error about the image (ENOEXEC, EINVAL, ...) with it.
    test_support::require_root()?;
    let (_top, shared) = shared_dir()?;
    let attempt = || -> Result<String, Fail> {
        let image = [0u8; 64];
        let params = c"";
        // SAFETY: init_module reads `image.len()` bytes of a local buffer and a C string.
        let r = unsafe {
            libc::syscall(
                libc::SYS_init_module,
                image.as_ptr(),
                image.len(),
                params.as_ptr(),
            )
        };
        Ok(format!("errno={}", if r == 0 { 0 } else { errno() }))
    };
    let default = inside_with(&shared, |b| b, attempt)?;
    if fact(&default, "errno") == Some(libc::ENOSYS.to_string().as_str()) {
        skip!("this kernel has no module support (init_module: ENOSYS)");
    }
    ensure_eq!(
        fact(&default, "errno"),
        Some(libc::EPERM.to_string().as_str()),
        "init_module by default: {default:?}"
    );
    let kept = inside_with(
        &shared,
        |b| {
            b.keep_capabilities(CapabilitySet::SYS_MODULE)
                .seccomp(default_filter_allowing(&["init_module", "finit_module"]))
        },
        attempt,
    )?;
    let errno = need(&kept, "errno")?;
    if errno == libc::ENOSYS.to_string() || errno == libc::EPERM.to_string() {
        skip!("this kernel loads no modules at all (errno {errno} even with CAP_SYS_MODULE)");
    }
    ensure!(
        errno != "0",
        "a garbage module image was accepted (errno {errno})"
    );
    Ok(())
}

// =======================================================================================
// Hardening options.

/// No_new_privs, the session id, and the descriptor limit, as the kernel reports them.
fn hardening_report() -> Result<String, Fail> {
    let nnp = rustix::thread::no_new_privs().map_err(|e| failed(format!("prctl: {e}")))?;
    // SAFETY: getsid(0) takes an integer. 0 means a session leader in another pid
    // namespace (rustix's getsid cannot return that).
    let sid = unsafe { libc::getsid(0) };
    let lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    Ok(format!(
        "nnp={nnp}\nsid={sid}\npid={}\nsoft={}\nhard={}",
        std::process::id(),
        lim.current.unwrap_or(u64::MAX),
        lim.maximum.unwrap_or(u64::MAX)
    ))
}

fn optional_hardening_is_off_and_a_new_session_is_on_by_default() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let nnp_before = rustix::thread::no_new_privs().map_err(|e| failed(format!("prctl: {e}")))?;
    let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    // A process enters once: each sandbox from a child of the scenario.
    test_support::in_child(|| {
        let out = run_inside(Sandbox::builder(&shared), |inside| {
            ensure_eq!(inside.nofile_limit(), None);
            hardening_report()
        })?;
        // The default seccomp filter needs no_new_privs once the capabilities are gone.
        ensure_eq!(need(&out.report, "nnp")?, "true", "no_new_privs");
        ensure_eq!(
            need(&out.report, "sid")?,
            "1",
            "getsid inside (pid 1): {}",
            out.report
        );
        ensure_eq!(
            need(&out.report, "soft")?,
            before.current.unwrap_or(u64::MAX).to_string(),
            "the soft descriptor limit is unchanged"
        );
        Ok(())
    })?;
    test_support::in_child(|| {
        // Landlock needs no_new_privs too: without the filter and without the layer.
        let sandbox = Sandbox::builder(&shared)
            .seccomp(sandbox::Filter::none())
            .landlock(false);
        let out = run_inside(sandbox, |_| hardening_report())?;
        ensure_eq!(
            need(&out.report, "nnp")?,
            nnp_before.to_string(),
            "no_new_privs without a filter"
        );
        Ok(())
    })
}

fn no_new_privs_is_set_inside_when_asked() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let sandbox = prepare(Sandbox::builder(&shared).no_new_privs(true))?;
    let out = run_inside(sandbox, |_| hardening_report())?;
    ensure_eq!(need(&out.report, "nnp")?, "true");
    ensure!(
        !rustix::thread::no_new_privs().map_err(|e| failed(format!("prctl: {e}")))?,
        "the original process is left without no_new_privs"
    );
    Ok(())
}

fn new_session_false_keeps_the_callers_session() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let sandbox = prepare(Sandbox::builder(&shared).new_session(false))?;
    let out = run_inside(sandbox, |_| hardening_report())?;
    // The caller's session leader is outside the pid namespace: getsid says 0.
    ensure_eq!(need(&out.report, "pid")?, "1");
    ensure!(
        need(&out.report, "sid")? != "1",
        "the sandboxed process leads a session of its own: {}",
        out.report
    );
    Ok(())
}

fn nofile_limit_is_raised_and_reported() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let before = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .map_err(io_ctx("read nr_open"))?
        .trim()
        .parse()
        .map_err(|e| failed(format!("nr_open: {e}")))?;
    let sandbox = prepare(Sandbox::builder(&shared).raise_nofile_limit(true))?;
    let out = run_inside(sandbox, |inside| {
        let report = hardening_report()?;
        Ok(format!(
            "{report}\nreported={}",
            inside.nofile_limit().unwrap_or(0)
        ))
    })?;
    let soft = need(&out.report, "soft")?;
    ensure_eq!(need(&out.report, "reported")?, soft, "Inside::nofile_limit");
    let may_raise = test_support::is_root()
        && rustix::thread::capabilities(None)
            .map_err(|e| failed(format!("capget: {e}")))?
            .effective
            .contains(CapabilitySet::SYS_RESOURCE);
    let want = if may_raise {
        nr_open
    } else {
        // Without CAP_SYS_RESOURCE on the host (unprivileged, or a root without it, as in
        // some containers) the hard limit is the ceiling.
        before.maximum.unwrap_or(u64::MAX)
    };
    ensure_eq!(soft, want.to_string(), "the soft limit inside");
    Ok(())
}

/// `Child` is `Sync`: a supervisor thread can signal the sandboxed process while another
/// thread is blocked waiting for it, and the waiter sees the death.
///
/// Without a pid namespace: a process that unshared one cannot start threads any more
/// (`clone(CLONE_THREAD)` gives `EINVAL` once its children's pid namespace differs from its
/// own), so the original process of a default sandbox stays single-threaded.
fn one_thread_kills_the_child_while_another_waits() -> TestResult {
    if !test_support::is_root() {
        skip!(
            "needs root: unprivileged, proc mounts only in a pid namespace of the sandbox's \
             own, and after unsharing one the original process can start no thread"
        );
    }
    let (_top, shared) = shared_dir()?;
    let sandbox = prepare(Sandbox::builder(&shared).namespaces(sandbox::Namespaces::NET))?;
    match sandbox.enter()? {
        Entered::Inside(_inside) => pause_forever(),
        Entered::Parent(child) => {
            let (status, killed) = std::thread::scope(|s| {
                let waiter = s.spawn(|| child.wait());
                // Let the waiter block in waitpid first (it then holds the child).
                std::thread::sleep(Duration::from_millis(200));
                let killed = child.kill(sandbox::Signal::KILL);
                (waiter.join(), killed)
            });
            killed.map_err(|e| {
                test_support::failed(format!("kill while another thread waits: {e}"))
            })?;
            let status = status
                .map_err(|_| test_support::failed("the waiting thread panicked"))?
                .map_err(|e| test_support::failed(format!("wait: {e}")))?;
            ensure_eq!(
                status.signal(),
                Some(libc::SIGKILL),
                "how the child ended ({status})"
            );
            Ok(())
        }
    }
}

/// A process enters once: a second `enter()`, from the original process or from inside,
/// gets `Error::AlreadyEntered` before anything changes (it used to fail halfway, with
/// EINVAL from unshare outside or ENOENT from the thread count inside).
fn entering_twice_is_refused_typed_on_both_sides() -> TestResult {
    let (_top, shared) = shared_dir()?;
    test_support::in_child(|| {
        let out = run_inside(Sandbox::builder(&shared), |_| {
            let again = Sandbox::builder("/").build()?.enter();
            Ok(format!(
                "inside={}\n",
                match again {
                    Err(Error::AlreadyEntered) => "AlreadyEntered".to_string(),
                    Err(e) => format!("{e:?}"),
                    Ok(_) => "entered again".to_string(),
                }
            ))
        })?;
        ensure_eq!(
            need(&out.report, "inside")?,
            "AlreadyEntered",
            "from inside"
        );
        let before = own_namespaces()?;
        let again = Sandbox::builder(&shared).build()?.enter();
        ensure!(
            matches!(again, Err(Error::AlreadyEntered)),
            "from the original process: {:?}",
            again.as_ref().err()
        );
        ensure_eq!(own_namespaces()?, before, "nothing changed");
        Ok(())
    })
}
