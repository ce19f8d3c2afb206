//! Real daemons inside: their own signal handlers (installed through `signal-hook`, as Rust
//! daemons do) run, how they end is passed on truly through the original process (an exit
//! code, or death by the same signal, with and without the minimal init), a worker they
//! fork never reopens its parent's descriptors, the original process lets go of the
//! daemon's socket, and the example server (`crates/sandbox/examples/serve.rs`, a tokio
//! runtime started after `confine()`) serves and shuts down on SIGTERM. As root and as uid
//! 65534.

mod common;

#[allow(dead_code)]
#[path = "../../crates/sandbox/examples/serve.rs"]
mod serve;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sandbox::{OFlags, ProcSelfFd};
use test_support::{ensure, ensure_eq, fail, Fail, TestResult};

fn main() {
    let helpers = test_support::scenarios![confine_then_report_the_callers_descriptor];
    test_support::main_with_helpers(
        test_support::scenarios![
            a_signal_hook_handler_runs_on_sigterm_and_its_exit_code_is_passed_on,
            a_signal_hook_handler_runs_on_sigterm_under_the_init,
            a_daemon_without_handlers_is_seen_dying_of_sigterm,
            a_daemon_without_handlers_is_seen_dying_of_sigterm_under_the_init,
            a_daemon_that_exits_143_itself_is_not_taken_for_a_signal,
            an_aborting_daemon_is_seen_dying_of_sigabrt,
            an_aborting_daemon_is_seen_dying_of_sigabrt_under_the_init,
            code_inside_cannot_make_the_original_process_stop_through_the_note,
            a_forked_worker_never_reopens_its_parents_descriptor,
            the_original_process_lets_go_of_the_daemons_listening_socket,
            the_original_process_keeps_the_socket_when_told_to,
            an_error_after_letting_go_leaves_the_callers_numbers_open_on_dev_null,
            the_example_server_answers_and_shuts_down_gracefully_on_sigterm,
        ],
        helpers,
    )
}

// =======================================================================================
// Signals that daemons own, and their end passed on.

/// A daemon that registers a SIGTERM flag with `signal-hook` (which keeps the previous
/// handler, the sandbox's, and calls it first), then exits with 42 once the flag is set:
/// SIGTERM sent to the original process must reach that handler, and the original process
/// must exit with 42.
fn signal_hook_daemon(init: bool) -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (mut r, w) = pipe()?;
    let original = spawn_confined(&shared, keeping(&w, move |b| b.init(init)), move || {
        let flag = Arc::new(AtomicBool::new(false));
        if signal_hook::flag::register(libc::SIGTERM, Arc::clone(&flag)).is_err() {
            return 80;
        }
        send(w, "ready");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !flag.load(Ordering::SeqCst) {
            if Instant::now() > deadline {
                return 81;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        42
    })?;
    if let Err(e) = expect(&mut r, "ready") {
        kill_and_reap(original);
        return Err(e);
    }
    wait_blocked(original, &[libc::SIGTERM], Duration::from_secs(5))?;
    let ended = signal_and_wait(original, libc::SIGTERM, Duration::from_secs(15))?;
    ensure_eq!(
        ended,
        Some(Ended::Code(42)),
        "init({init}): the daemon's signal-hook handler ran (42), not the sandbox's exit (143) nor a timeout (81)"
    );
    Ok(())
}

fn a_signal_hook_handler_runs_on_sigterm_and_its_exit_code_is_passed_on() -> TestResult {
    signal_hook_daemon(false)
}

fn a_signal_hook_handler_runs_on_sigterm_under_the_init() -> TestResult {
    signal_hook_daemon(true)
}

/// A daemon with no handler of its own gets SIGTERM through the original process: the
/// original process must be seen dying of SIGTERM (`WIFSIGNALED`), not exiting 143.
fn daemon_without_handlers(init: bool) -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (mut r, w) = pipe()?;
    let original = spawn_confined(&shared, keeping(&w, move |b| b.init(init)), move || {
        ready_then_pause(w)
    })?;
    if let Err(e) = expect(&mut r, "ready") {
        kill_and_reap(original);
        return Err(e);
    }
    wait_blocked(original, &[libc::SIGTERM], Duration::from_secs(5))?;
    let ended = signal_and_wait(original, libc::SIGTERM, Duration::from_secs(10))?;
    ensure_eq!(
        ended,
        Some(Ended::Signal(libc::SIGTERM)),
        "init({init}): the original process passes on the daemon's death by SIGTERM"
    );
    Ok(())
}

fn a_daemon_without_handlers_is_seen_dying_of_sigterm() -> TestResult {
    daemon_without_handlers(false)
}

fn a_daemon_without_handlers_is_seen_dying_of_sigterm_under_the_init() -> TestResult {
    daemon_without_handlers(true)
}

fn a_daemon_that_exits_143_itself_is_not_taken_for_a_signal() -> TestResult {
    // The other side of the note: an exit code of 128 + 15 chosen by the daemon stays one.
    let (_top, shared) = shared_dir()?;
    for init in [false, true] {
        let original = spawn_confined(&shared, move |b| b.init(init), || 143)?;
        ensure_eq!(waitpid(original)?, Ended::Code(143), "init({init})");
    }
    Ok(())
}

/// A daemon that aborts (a `panic = "abort"` build, a failed IO-safety check): as pid 1 it
/// could not die of its own SIGABRT. The original process must die of SIGABRT.
fn aborting_daemon(init: bool) -> TestResult {
    let (_top, shared) = shared_dir()?;
    let original = spawn_confined(&shared, move |b| b.init(init), || std::process::abort())?;
    let ended = waitpid_timeout(original, Duration::from_secs(10))?;
    if ended.is_none() {
        kill_and_reap(original);
    }
    ensure_eq!(
        ended,
        Some(Ended::Signal(libc::SIGABRT)),
        "init({init}): the original process passes on the daemon's abort"
    );
    Ok(())
}

fn an_aborting_daemon_is_seen_dying_of_sigabrt() -> TestResult {
    aborting_daemon(false)
}

fn an_aborting_daemon_is_seen_dying_of_sigabrt_under_the_init() -> TestResult {
    aborting_daemon(true)
}

/// The page pid 1 notes its signal in is writable from inside. Code there that writes a
/// stop signal into it (here through the library's own handler, installed on SIGTSTP and
/// raised) and exits with the matching code 128 + 20 must not make the original process
/// stop: it exits 148 (a stopped process would never be reaped, and this would time out).
fn code_inside_cannot_make_the_original_process_stop_through_the_note() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let original = spawn_confined(
        &shared,
        |b| b,
        || {
            if sandbox_process::exit_on_signals(&[sandbox::Signal::TSTP]).is_err() {
                return 80;
            }
            // SAFETY: raise(3) signals this process; no memory involved.
            unsafe { libc::raise(libc::SIGTSTP) };
            81
        },
    )?;
    let ended = waitpid_timeout(original, Duration::from_secs(10))?;
    if ended.is_none() {
        let _ = kill(original, libc::SIGCONT);
        kill_and_reap(original);
    }
    ensure_eq!(
        ended,
        Some(Ended::Code(128 + libc::SIGTSTP)),
        "the original process passes a noted stop signal on as an exit code, never stops"
    );
    Ok(())
}

// =======================================================================================
// A forked worker and the proc-fd handle.

/// The number both processes use for "their" file.
const SAME_NUMBER: RawFd = 60;

/// Opens `name` (in the sandbox's root) `O_PATH` at [`SAME_NUMBER`].
fn open_at_same_number(name: &str) -> Result<(), Fail> {
    let fd = rustix::fs::open(
        name,
        OFlags::PATH | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| test_support::failed(format!("open {name}: {e}")))?;
    // SAFETY: dup2 onto a number nothing else in this process owns; the old descriptor
    // is closed by `fd`'s drop.
    if unsafe { libc::dup2(fd.as_raw_fd(), SAME_NUMBER) } != SAME_NUMBER {
        fail!("dup2 onto {SAME_NUMBER}: errno {}", errno());
    }
    Ok(())
}

/// What reopening [`SAME_NUMBER`] read-only through `handle` gives: the file's text, or
/// the error.
fn reopen_same_number(handle: &ProcSelfFd) -> Result<String, sandbox_proc_fd::Error> {
    // SAFETY: SAME_NUMBER is open in this process (open_at_same_number) and stays open
    // for the duration of the borrow.
    let fd = unsafe { BorrowedFd::borrow_raw(SAME_NUMBER) };
    let file = handle.reopen(fd, OFlags::RDONLY)?;
    let mut text = String::new();
    let _ = std::fs::File::from(file).read_to_string(&mut text);
    Ok(text)
}

/// Reopens [`SAME_NUMBER`] the way the handle would without its check: `openat(handle,
/// "60")`, which the kernel resolves in the table of the process the handle names.
fn raw_reopen_same_number(handle: &ProcSelfFd) -> Option<String> {
    let file = rustix::fs::openat(
        handle,
        SAME_NUMBER.to_string(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()?;
    let mut text = String::new();
    std::fs::File::from(file).read_to_string(&mut text).ok()?;
    Some(text)
}

fn a_forked_worker_never_reopens_its_parents_descriptor() -> TestResult {
    let (_top, shared) = shared_dir()?;
    std::fs::write(shared.join("parent.txt"), "parent").map_err(io_ctx("write parent.txt"))?;
    std::fs::write(shared.join("worker.txt"), "worker").map_err(io_ctx("write worker.txt"))?;
    run_inside(sandbox::Sandbox::builder(&shared), |inside| {
        let handle = inside.proc_self_fd();
        open_at_same_number("/parent.txt")?;
        let worker = test_support::syscalls::fork_process(|| {
            // The worker's own file at the same number.
            if open_at_same_number("/worker.txt").is_err() {
                return 10;
            }
            // The danger is real: the raw open through the inherited handle reads the
            // parent's file...
            if raw_reopen_same_number(handle).as_deref() != Some("parent") {
                return 11;
            }
            // ... and reopen refuses, typed, instead of handing it out.
            match reopen_same_number(handle) {
                Err(sandbox_proc_fd::Error::NotOwner { owner: 1 }) => {}
                Err(_) => return 12,
                Ok(text) if text == "parent" => return 13,
                Ok(_) => return 14,
            }
            // verify() says the same.
            match handle.verify() {
                Err(sandbox_proc_fd::Error::NotOwnFdTable) => 0,
                _ => 15,
            }
        })?;
        let ended = waitpid(worker)?;
        ensure_eq!(
            ended,
            Ended::Code(0),
            "the worker (10: open, 11: the raw open did not read the parent's file, 12: another error, 13: reopen gave the parent's file, 14: reopen gave a file, 15: verify passed)"
        );
        // The handle still works where it belongs.
        let own = reopen_same_number(handle).map_err(test_support::failed)?;
        ensure_eq!(own, "parent", "pid 1 reopens its own descriptor");
        Ok(String::new())
    })?;
    Ok(())
}

// =======================================================================================
// The original process lets go.

/// Binds a listener on loopback, lets the sandboxed process keep it and close it, then
/// connects: whether the connection is accepted by the kernel (someone still holds the
/// listening socket: the original process) or refused. Also returns the original
/// process's descriptors (their link targets) while it waits.
fn connect_after_the_daemon_closed_its_listener(
    close_in_original: bool,
) -> Result<(bool, Vec<String>), Fail> {
    let (_top, shared) = shared_dir()?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind 127.0.0.1:0"))?;
    let address = listener.local_addr().map_err(io_ctx("local_addr"))?;
    let number = listener.as_raw_fd();
    let (mut r, w) = pipe()?;
    let configure = keeping(&w, move |b| {
        // SAFETY: the forked original process inherited the listener at this number and
        // keeps it open until it enters.
        let fd = unsafe { BorrowedFd::borrow_raw(number) };
        b.keep_fd(fd).close_fds_in_original(close_in_original)
    });
    let original = spawn_confined(&shared, configure, move || {
        // SAFETY: the daemon closes its listener by number, as a daemon that drains does;
        // nothing else here owns it (the test's value lives in the test process).
        drop(unsafe { OwnedFd::from_raw_fd(number) });
        send(w, "closed");
        pause_forever()
    })?;
    // Only the original process and the daemon hold the socket now.
    drop(listener);
    let outcome = (|| {
        expect(&mut r, "closed")?;
        wait_blocked(original, &[libc::SIGTERM], Duration::from_secs(5))?;
        let fds = descriptors_of(original)?;
        Ok((connects(address), fds))
    })();
    kill_and_reap(original);
    outcome
}

/// Whether a TCP connection to `address` is accepted by the kernel.
fn connects(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok()
}

/// What each descriptor of `pid` points to, from the host's proc.
fn descriptors_of(pid: i32) -> Result<Vec<String>, Fail> {
    let dir = format!("/proc/{pid}/fd");
    let mut links = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io_ctx(format!("read {dir}")))? {
        let entry = entry.map_err(io_ctx(format!("read {dir}")))?;
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        links.push(format!(
            "{}: {}",
            entry.file_name().to_string_lossy(),
            target.display()
        ));
    }
    links.sort();
    Ok(links)
}

fn the_original_process_lets_go_of_the_daemons_listening_socket() -> TestResult {
    let (connected, fds) = connect_after_the_daemon_closed_its_listener(true)?;
    ensure!(
        !connected,
        "a connection was accepted after the daemon closed its listener: the original process holds a copy ({fds:?})"
    );
    // Besides stdin, stdout and stderr, only the pidfds it waits with: no socket, no pipe,
    // no file of the daemon's.
    let others: Vec<&String> = fds
        .iter()
        .filter(|fd| !["0:", "1:", "2:"].iter().any(|std| fd.starts_with(std)))
        .filter(|fd| !fd.ends_with("anon_inode:[pidfd]"))
        .collect();
    ensure!(
        others.is_empty(),
        "the original process still holds {others:?}"
    );
    Ok(())
}

fn the_original_process_keeps_the_socket_when_told_to() -> TestResult {
    // The opt-out, and the proof that the check above can fail.
    let (connected, fds) = connect_after_the_daemon_closed_its_listener(false)?;
    ensure!(
        connected,
        "with close_fds_in_original(false) the original process's copy of the listener should still accept ({fds:?})"
    );
    Ok(())
}

/// Waiting failing after the original process let go (`wait4` answering `EPERM`, injected
/// by strace): `confine` returns the error, and the caller's values that own descriptors
/// must still be safe to drop: each number names a placeholder (`/dev/null`) again.
fn an_error_after_letting_go_leaves_the_callers_numbers_open_on_dev_null() -> TestResult {
    // The first wait4 of each process: the original process's first is confine's wait.
    let (stdout, stderr) = test_support::output_of_success(
        test_support::strace_injected(
            &["wait4:error=EPERM:when=1"],
            "confine_then_report_the_callers_descriptor",
        )?,
        "the caller (an abort: it dropped a value whose descriptor was closed)",
    )?;
    ensure!(
        stdout.contains("ERROR ") && stdout.contains("HELD /dev/null"),
        "after the error the caller's descriptor names:\n{stdout}{stderr}"
    );
    Ok(())
}

/// The helper of the scenario above, run under strace: holds a file, confines itself, and
/// on the error prints where the file's number leads, then drops the file.
fn confine_then_report_the_callers_descriptor() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let held = std::fs::File::open(&shared).map_err(io_ctx("open the shared dir"))?;
    let sandbox = sandbox::Sandbox::builder(&shared).build()?;
    match sandbox.confine() {
        Ok(_inside) => exit_now(0),
        Err(e) => {
            let link = std::fs::read_link(format!("/proc/self/fd/{}", held.as_raw_fd()));
            println!("ERROR {e}");
            match link {
                Ok(target) => println!("HELD {}", target.display()),
                Err(err) => println!("HELD nothing ({err})"),
            }
            // Dropping the caller's value must not abort (IO safety in debug builds).
            drop(held);
            Ok(())
        }
    }
}

// =======================================================================================
// The example server.

/// Sends `GET /name` to `address` and returns the response.
fn get(address: SocketAddr, name: &str) -> Result<String, Fail> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .map_err(io_ctx(format!("connect to {address}")))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(io_ctx("set_read_timeout"))?;
    stream
        .write_all(format!("GET /{name} HTTP/1.0\r\n\r\n").as_bytes())
        .map_err(io_ctx("send the request"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(io_ctx("read the response"))?;
    Ok(response)
}

fn the_example_server_answers_and_shuts_down_gracefully_on_sigterm() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    std::os::unix::fs::symlink("/etc/passwd", shared.join("passwd"))
        .map_err(io_ctx("symlink passwd"))?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("bind 127.0.0.1:0"))?;
    let address = listener.local_addr().map_err(io_ctx("local_addr"))?;
    let original = test_support::syscalls::fork_process(move || {
        no_core_dumps();
        serve::run(listener, &shared)
    })?;
    // The listener moved into the closure, dropped here unrun: only the server holds it.
    let in_flight = (|| {
        // A request whose head is not finished yet, connected first...
        let mut slow = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            .map_err(io_ctx(format!("connect to {address}")))?;
        slow.write_all(format!("GET /{MARKER} HTTP/1.0\r\n").as_bytes())
            .map_err(io_ctx("send half a request"))?;
        // ... so that once this one is answered, it was accepted too (the kernel's queue of
        // connections is first in, first out).
        let response = get(address, MARKER)?;
        ensure!(
            response.starts_with("HTTP/1.0 200 OK") && response.ends_with(MARKER_TEXT),
            "GET /{MARKER} answered {response:?}"
        );
        // The host's file through a symlink: / is the shared directory inside.
        let passwd = get(address, "passwd")?;
        ensure!(
            passwd.starts_with("HTTP/1.0 404"),
            "a symlink to /etc/passwd was answered {passwd:?}"
        );
        wait_blocked(original, &[libc::SIGTERM], Duration::from_secs(5))?;
        Ok(slow)
    })();
    let mut slow = match in_flight {
        Ok(slow) => slow,
        Err(e) => {
            kill_and_reap(original);
            return Err(e);
        }
    };
    send_signal(original, libc::SIGTERM)?;
    // Draining: new connections are refused at once, while the server is still there.
    let refused = (|| {
        let until = Instant::now() + Duration::from_secs(10);
        while connects(address) {
            ensure!(
                Instant::now() < until,
                "the server still accepts 10 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        ensure!(
            waitpid_timeout(original, Duration::ZERO)?.is_none(),
            "the server ended before the request in flight was answered"
        );
        // The request in flight is still answered.
        slow.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io_ctx("set_read_timeout"))?;
        slow.write_all(b"\r\n")
            .map_err(io_ctx("finish the request"))?;
        let mut response = String::new();
        slow.read_to_string(&mut response)
            .map_err(io_ctx("read the response in flight"))?;
        ensure!(
            response.starts_with("HTTP/1.0 200 OK") && response.ends_with(MARKER_TEXT),
            "the request in flight was answered {response:?}"
        );
        Ok(())
    })();
    if let Err(e) = refused {
        kill_and_reap(original);
        return Err(e);
    }
    let ended = waitpid_timeout(original, Duration::from_secs(15))?;
    if ended.is_none() {
        kill_and_reap(original);
    }
    ensure_eq!(
        ended,
        Some(Ended::Code(0)),
        "SIGTERM: the server drained and exited 0, passed on by the original process"
    );
    Ok(())
}
