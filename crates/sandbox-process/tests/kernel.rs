//! Kernel tests of `sandbox-process`, each scenario in a fresh process (see `test-support`).
//!
//! Scenarios named `injected_*` are not listed: the `*_under_strace` scenarios run them
//! under `strace -f -e inject=...` to drive the failure paths the kernel does not produce
//! on demand.

use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::process::{getpid, getppid, Pid, Signal, WaitOptions};
use sandbox_process::{
    block_signals, default_signals, exit_like, exit_like_signal, exit_on_signals, fork,
    set_signal_mask, start_init, unignore_signals, wait_signal, Child, Error, ExitStatus, Fork,
    ParentWatch, SignalNote, SignalSet, INIT_FAILED,
};
use test_support::syscalls::{exit_now, pause_forever};
use test_support::{
    become_nobody, ensure, ensure_eq, fail, in_child, io_ctx, skip, Fail, TestResult,
};

fn main() {
    // The injected_ scenarios run only under strace (see `under_strace`): on their own,
    // without the injected failure, they fail.
    let injected = test_support::scenarios![
        injected_no_pidfd_kill_and_wait_use_the_pid,
        injected_no_pidfd_child_dies_with_its_parent,
        injected_no_pidfd_child_of_a_dead_parent_gets_parent_gone,
        injected_wait_retries_eintr,
        injected_signal_mask_failure_is_reported,
        injected_signal_mask_restore_failure_keeps_the_status,
        injected_sigwaitinfo_failure_is_reported,
        injected_sigwaitinfo_eintr_is_retried,
        injected_death_signal_failure_is_reported,
        injected_watch_pipe_failure_is_reported,
        injected_watch_poll_failure_is_reported,
        injected_watch_without_pidfd_permission_uses_the_pipe,
        injected_child_pidfd_failure_ends_the_child,
    ];
    let scenarios = test_support::scenarios![
        fork_with_two_threads_is_refused,
        exit_code_is_reported,
        death_by_sigkill_is_reported,
        death_by_sigterm_is_reported,
        kill_delivers_a_signal,
        try_wait_is_none_while_the_child_runs,
        wait_twice_returns_the_same_status,
        kill_after_wait_is_refused,
        child_is_signalled_through_a_pidfd,
        child_reaped_by_the_kernel_gives_echild_and_esrch,
        fork_at_the_process_limit_reports_eagain,
        child_dies_with_its_parent,
        child_in_a_new_pid_namespace_dies_with_its_parent,
        child_of_a_dead_parent_gets_parent_gone,
        wait_forwarding_passes_a_pending_sigterm,
        wait_forwarding_passes_sigusr1_arriving_while_waiting,
        wait_forwarding_reaps_a_child_that_exited_before,
        wait_forwarding_restores_the_signal_mask,
        wait_forwarding_ends_when_the_caller_ignores_sigchld,
        without_pidfd_kill_and_wait_use_the_pid_under_strace,
        without_pidfd_child_dies_with_its_parent_under_strace,
        without_pidfd_child_of_a_dead_parent_gets_parent_gone_under_strace,
        wait_retries_eintr_under_strace,
        signal_mask_failure_is_reported_under_strace,
        signal_mask_restore_failure_keeps_the_status_under_strace,
        sigwaitinfo_failure_is_reported_under_strace,
        sigwaitinfo_eintr_is_retried_under_strace,
        death_signal_failure_is_reported_under_strace,
        watch_pipe_failure_is_reported_under_strace,
        watch_poll_failure_is_reported_under_strace,
        watch_without_pidfd_permission_uses_the_pipe_under_strace,
        watch_at_the_descriptor_limit_reports_pidfd_emfile,
        child_pidfd_failure_ends_the_child_under_strace,
        block_wait_and_restore_take_a_signal_without_a_handler,
        default_signals_removes_a_handler,
        exit_on_signals_makes_pid_1_end_with_128_plus_the_signal,
        a_noted_signal_turns_pid_1s_exit_code_back_into_the_signal,
        pid_1s_handler_steps_aside_for_a_chaining_handler_installed_later,
        pid_1s_handler_leaves_an_earlier_handler_in_place,
        an_ignored_signal_stays_ignored_until_unignored,
        exit_like_signal_never_stops_on_a_stop_signal,
        exit_like_signal_makes_a_waiting_parent_see_the_signal,
        exit_like_passes_an_exit_code_or_a_signal_on,
        init_forwards_sigterm_to_the_daemon_and_exits_with_its_status,
        init_whose_confinement_fails_exits_125,
    ];
    test_support::main_with_helpers(scenarios, injected)
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// Runs `body` in a forked child and exits with its code (or 100 and a message on stderr).
fn child_main(body: impl FnOnce() -> Result<i32, Fail>) -> ! {
    match body() {
        Ok(code) => exit_now(code),
        Err(Fail::Skip(m) | Fail::Failed(m)) => {
            eprintln!("child {}: {m}", getpid().as_raw_nonzero());
            exit_now(100)
        }
    }
}

/// Ends the test with SIGALRM after `seconds`: a bound on a wait that must not hang.
fn deadline(seconds: u32) {
    // SAFETY: alarm only arms a timer of this process.
    unsafe { libc::alarm(seconds) };
}

/// The set of signals in a `/proc/<pid>/status` mask line (`SigBlk:`, `SigPnd:`, ...).
fn signal_mask(pid: &str, field: &str) -> Result<u64, Fail> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| Fail::Failed(format!("read /proc/{pid}/status: {e}")))?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .ok_or_else(|| Fail::Failed(format!("no {field} in /proc/{pid}/status")))?;
    u64::from_str_radix(hex.trim(), 16).map_err(test_support::failed)
}

fn bit(signal: Signal) -> u64 {
    1 << (signal.as_raw() - 1)
}

/// Blocks or unblocks signals in the test process itself.
fn test_sigmask(how: libc::c_int, signals: &[Signal]) {
    // SAFETY: the sigset is initialised by sigemptyset before use; all pointers are valid
    // for the calls.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in signals {
            libc::sigaddset(&mut set, s.as_raw());
        }
        libc::sigprocmask(how, &set, std::ptr::null_mut());
    }
}

/// Waits (bounded) until `cond` holds, polling: test code may sleep, the library may not.
fn wait_until(what: &str, mut cond: impl FnMut() -> Result<bool, Fail>) -> TestResult {
    let end = Instant::now() + Duration::from_secs(20);
    while !cond()? {
        if Instant::now() > end {
            fail!("timed out waiting until {what}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Whether `pid` sleeps in `sigwaitinfo` (its kernel wait channel is `do_sigtimedwait`).
fn in_sigtimedwait(pid: Pid) -> Result<bool, Fail> {
    let wchan =
        std::fs::read_to_string(format!("/proc/{pid}/wchan")).map_err(test_support::failed)?;
    Ok(wchan.contains("sigtimedwait"))
}

fn fork_paused() -> Result<Child, Fail> {
    match fork()? {
        Fork::Child => pause_forever(),
        Fork::Parent(child) => Ok(child),
    }
}

fn signaled(signal: Signal) -> ExitStatus {
    ExitStatus::Signaled {
        signal: signal.as_raw(),
        core_dumped: false,
    }
}

/// Runs the hidden scenario `scenario` under `strace -f` with the given injections.
fn under_strace(injections: &[&str], scenario: &str) -> TestResult {
    let out = test_support::strace_injected(injections, scenario)?
        .output()
        .map_err(io_ctx("run strace"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok(()),
        Some(test_support::SKIP_EXIT) => skip!("{}", stderr.trim()),
        _ => fail!(
            "{scenario} under strace {injections:?}: {}\n{stderr}",
            out.status
        ),
    }
}

// ---------------------------------------------------------------------------------------
// fork, wait, kill.

fn fork_with_two_threads_is_refused() -> TestResult {
    let _thread = std::thread::spawn(|| loop {
        std::thread::park();
    });
    match fork() {
        Err(e @ Error::SingleThreaded(sandbox_namespaces::Error::MultiThreaded { threads: 2 })) => {
            ensure!(e.to_string().contains("2 threads"), "{e}");
        }
        Err(other) => fail!("expected MultiThreaded {{ threads: 2 }}, got {other:?}"),
        Ok(Fork::Child) => exit_now(0),
        Ok(Fork::Parent(mut child)) => {
            let _ = child.wait();
            fail!("fork went ahead with two threads");
        }
    }
    // The kernel agrees: this process has no child.
    ensure_eq!(
        rustix::process::wait(WaitOptions::NOHANG).err(),
        Some(Errno::CHILD)
    );
    Ok(())
}

fn exit_code_is_reported() -> TestResult {
    match fork()? {
        Fork::Child => exit_now(7),
        Fork::Parent(mut child) => {
            let status = child.wait()?;
            ensure_eq!(status, ExitStatus::Exited(7));
            ensure_eq!(status.code(), 7);
            ensure_eq!(status.signal(), None);
            ensure!(!status.success(), "exit code 7 is not success");
        }
    }
    Ok(())
}

fn death_by_signal(signal: Signal) -> TestResult {
    match fork()? {
        Fork::Child => {
            let _ = rustix::process::kill_process(getpid(), signal);
            exit_now(0)
        }
        Fork::Parent(mut child) => {
            let status = child.wait()?;
            ensure_eq!(status, signaled(signal));
            ensure_eq!(status.code(), 128 + signal.as_raw());
            ensure_eq!(status.signal(), Some(signal.as_raw()));
            ensure!(!status.success(), "death by signal is not success");
        }
    }
    Ok(())
}

fn death_by_sigkill_is_reported() -> TestResult {
    death_by_signal(Signal::KILL)
}

fn death_by_sigterm_is_reported() -> TestResult {
    death_by_signal(Signal::TERM)
}

fn kill_delivers_a_signal() -> TestResult {
    let mut child = fork_paused()?;
    child.kill(Signal::TERM)?;
    ensure_eq!(child.wait()?, signaled(Signal::TERM));
    Ok(())
}

fn try_wait_is_none_while_the_child_runs() -> TestResult {
    let (reader, writer) = std::io::pipe().map_err(test_support::failed)?;
    match fork()? {
        Fork::Child => {
            drop(writer);
            // Blocks until the parent closes its end.
            let _ = std::io::Read::read(&mut { reader }, &mut [0u8; 1]);
            exit_now(5)
        }
        Fork::Parent(mut child) => {
            drop(reader);
            ensure_eq!(child.try_wait()?, None);
            drop(writer);
            deadline(20);
            ensure_eq!(child.wait()?, ExitStatus::Exited(5));
            ensure_eq!(child.try_wait()?, Some(ExitStatus::Exited(5)));
        }
    }
    Ok(())
}

fn wait_twice_returns_the_same_status() -> TestResult {
    match fork()? {
        Fork::Child => exit_now(3),
        Fork::Parent(mut child) => {
            let first = child.wait()?;
            ensure_eq!(first, ExitStatus::Exited(3));
            ensure_eq!(child.wait()?, first);
            // The kernel has nothing left to reap.
            ensure_eq!(
                rustix::process::wait(WaitOptions::NOHANG).err(),
                Some(Errno::CHILD)
            );
        }
    }
    Ok(())
}

fn kill_after_wait_is_refused() -> TestResult {
    match fork()? {
        Fork::Child => exit_now(0),
        Fork::Parent(mut child) => {
            child.wait()?;
            match child.kill(Signal::TERM) {
                Err(Error::AlreadyReaped { pid }) => ensure_eq!(pid, child.pid()),
                other => fail!("expected AlreadyReaped, got {other:?}"),
            }
        }
    }
    Ok(())
}

fn child_is_signalled_through_a_pidfd() -> TestResult {
    let mut child = fork_paused()?;
    let Some(pidfd) = child.pidfd() else {
        let _ = child.kill(Signal::KILL);
        let _ = child.wait();
        fail!("no pidfd on a kernel with pidfd_open");
    };
    let fdinfo = std::fs::read_to_string(format!(
        "/proc/self/fdinfo/{}",
        std::os::fd::AsRawFd::as_raw_fd(&pidfd)
    ))
    .map_err(test_support::failed)?;
    ensure!(
        fdinfo.contains(&format!("Pid:\t{}\n", child.pid())),
        "the pidfd is not for pid {}: {fdinfo}",
        child.pid()
    );
    child.kill(Signal::USR1)?;
    ensure_eq!(child.wait()?, signaled(Signal::USR1));
    ensure!(child.pidfd().is_none(), "the pidfd outlived the reaping");
    Ok(())
}

fn child_reaped_by_the_kernel_gives_echild_and_esrch() -> TestResult {
    // With SIGCHLD ignored the kernel reaps children itself.
    // SAFETY: sets the disposition of SIGCHLD in this test process; no handler involved.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    // The child waits for the pipe to close: exiting (and being reaped) before fork()
    // took its pidfd would leave none to test with.
    let (go_r, go_w) = std::io::pipe().map_err(test_support::failed)?;
    match fork()? {
        Fork::Child => {
            drop(go_w);
            let _ = std::io::Read::read(&mut { go_r }, &mut [0u8; 1]);
            exit_now(0)
        }
        Fork::Parent(mut child) => {
            drop(go_r);
            ensure!(child.pidfd().is_some(), "no pidfd");
            drop(go_w);
            deadline(20);
            match child.wait() {
                Err(e @ Error::Wait { .. }) => ensure_eq!(e.errno(), Some(Errno::CHILD)),
                other => fail!("expected Wait ECHILD, got {other:?}"),
            }
            // Not AlreadyReaped (we did not reap it): the pidfd says the process is gone.
            match child.kill(Signal::TERM) {
                Err(e @ Error::Kill { .. }) => {
                    ensure_eq!(e.errno(), Some(Errno::SRCH));
                    ensure!(e.to_string().starts_with("send SIGTERM to process"), "{e}");
                }
                other => fail!("expected Kill ESRCH, got {other:?}"),
            }
        }
    }
    Ok(())
}

fn fork_at_the_process_limit_reports_eagain() -> TestResult {
    in_child(|| {
        become_nobody()?;
        let zero = rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        rustix::process::setrlimit(rustix::process::Resource::Nproc, zero)?;
        match fork() {
            Err(e @ Error::Fork { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::AGAIN));
                ensure_eq!(
                    e.to_string(),
                    "fork: Resource temporarily unavailable (os error 11)"
                );
            }
            Ok(Fork::Child) => exit_now(0),
            Ok(Fork::Parent(mut child)) => {
                let _ = child.wait();
                fail!("fork went past RLIMIT_NPROC 0");
            }
            Err(other) => fail!("expected Fork EAGAIN, got {other:?}"),
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Dying with the parent.

/// Reads one line the children write to `reader`, failing with what they said otherwise.
fn read_line(reader: std::io::PipeReader) -> Result<String, Fail> {
    let mut line = String::new();
    BufReader::new(reader)
        .read_line(&mut line)
        .map_err(test_support::failed)?;
    if line.is_empty() {
        fail!("the children exited without reporting");
    }
    Ok(line.trim_end().to_string())
}

/// Scenario process S forks A; A forks B with a `ParentWatch`, B arms SIGKILL and
/// reports; S kills A and checks that B dies of SIGKILL. With `new_pid_ns`, B is pid 1 of
/// a new pid namespace.
fn dies_with_parent(new_pid_ns: bool, expect_pidfd: bool) -> TestResult {
    // Orphans come to us, so we can reap B after A is gone.
    rustix::process::set_child_subreaper(Some(getpid()))?;
    let (reader, mut writer) = std::io::pipe().map_err(test_support::failed)?;
    let mut a = match fork()? {
        Fork::Child => child_main(|| {
            drop(reader);
            if new_pid_ns {
                let ns = sandbox_namespaces::Namespaces::PID;
                let ns = if test_support::is_root() {
                    ns
                } else {
                    ns | sandbox_namespaces::Namespaces::USER
                };
                sandbox_namespaces::unshare(ns)?;
            }
            let watch = ParentWatch::new()?;
            ensure_eq!(watch.uses_pidfd(), expect_pidfd);
            let (armed_r, mut armed_w) = std::io::pipe().map_err(test_support::failed)?;
            match fork()? {
                Fork::Child => child_main(|| {
                    drop(armed_r);
                    if new_pid_ns {
                        ensure_eq!(getpid().as_raw_nonzero().get(), 1);
                        ensure_eq!(getppid(), None, "getppid() of pid 1");
                    }
                    watch.die_with_parent(Signal::KILL)?;
                    ensure_eq!(
                        rustix::process::parent_process_death_signal()?,
                        Some(Signal::KILL)
                    );
                    writeln!(armed_w, "armed").map_err(test_support::failed)?;
                    pause_forever()
                }),
                Fork::Parent(b) => {
                    watch.parent_keep();
                    drop(armed_w);
                    let said = read_line(armed_r)?;
                    ensure_eq!(said, "armed");
                    writeln!(writer, "{}", b.pid()).map_err(test_support::failed)?;
                    pause_forever()
                }
            }
        }),
        Fork::Parent(a) => a,
    };
    drop(writer);
    let line = read_line(reader)?;
    let b: i32 = line
        .parse()
        .map_err(|_| test_support::failed(format!("A said {line:?}")))?;
    let b = Pid::from_raw(b).ok_or_else(|| test_support::failed("pid 0"))?;
    a.kill(Signal::KILL)?;
    ensure_eq!(a.wait()?, signaled(Signal::KILL));
    // B was paused forever: only the parent-death signal ends it.
    deadline(20);
    match rustix::process::waitpid(Some(b), WaitOptions::empty())? {
        Some((_, status)) => ensure_eq!(
            ExitStatus::from_raw(status.as_raw()),
            signaled(Signal::KILL),
            "B's status"
        ),
        None => fail!("waitpid returned nothing"),
    }
    Ok(())
}

fn child_dies_with_its_parent() -> TestResult {
    dies_with_parent(false, true)
}

fn child_in_a_new_pid_namespace_dies_with_its_parent() -> TestResult {
    dies_with_parent(true, true)
}

/// S forks A; A makes the watch and forks B, then exits at once; B waits until A is
/// gone, then arms: it must get ParentGone.
fn parent_gone(expect_pidfd: bool) -> TestResult {
    let scenario = getpid();
    rustix::process::set_child_subreaper(Some(scenario))?;
    let (reader, mut writer) = std::io::pipe().map_err(test_support::failed)?;
    let mut a = match fork()? {
        Fork::Child => child_main(|| {
            drop(reader);
            let watch = ParentWatch::new()?;
            ensure_eq!(watch.uses_pidfd(), expect_pidfd);
            let (gate_r, gate_w) = std::io::pipe().map_err(test_support::failed)?;
            match fork()? {
                Fork::Child => child_main(|| {
                    drop(gate_w);
                    // EOF once A, the only holder of the write end, has closed its files;
                    // then wait until A has also reparented us to S (a later step of its
                    // exit: arming before that would get the signal, not ParentGone).
                    let _ = std::io::Read::read(&mut { gate_r }, &mut [0u8; 1]);
                    wait_until("A is gone and S is our parent", || {
                        Ok(getppid() == Some(scenario))
                    })?;
                    let said = match watch.die_with_parent(Signal::KILL) {
                        Err(Error::ParentGone) => "parent-gone".to_string(),
                        other => format!("{other:?}"),
                    };
                    writeln!(writer, "{said}").map_err(test_support::failed)?;
                    Ok(0)
                }),
                Fork::Parent(_) => Ok(0),
            }
        }),
        Fork::Parent(a) => a,
    };
    drop(writer);
    deadline(20);
    ensure_eq!(a.wait()?, ExitStatus::Exited(0));
    ensure_eq!(read_line(reader)?, "parent-gone");
    // Reap B (it came to us).
    let _ = rustix::process::wait(WaitOptions::empty());
    Ok(())
}

fn child_of_a_dead_parent_gets_parent_gone() -> TestResult {
    parent_gone(true)
}

// ---------------------------------------------------------------------------------------
// wait_forwarding.

fn wait_forwarding_passes_a_pending_sigterm() -> TestResult {
    // SIGTERM arrives before the supervisor waits: blocked, so it stays pending.
    test_sigmask(libc::SIG_BLOCK, &[Signal::TERM]);
    let mut child = match fork()? {
        Fork::Child => {
            test_sigmask(libc::SIG_SETMASK, &[]);
            pause_forever()
        }
        Fork::Parent(child) => child,
    };
    rustix::process::kill_process(getpid(), Signal::TERM)?;
    ensure!(
        signal_mask("self", "ShdPnd:")? & bit(Signal::TERM) != 0,
        "SIGTERM is not pending"
    );
    deadline(20);
    let status = child.wait_forwarding(&[Signal::TERM, Signal::INT, Signal::USR1])?;
    ensure_eq!(status, signaled(Signal::TERM));
    ensure_eq!(status.code(), 143);
    ensure_eq!(
        signal_mask("self", "ShdPnd:")? & bit(Signal::TERM),
        0,
        "SIGTERM was taken"
    );
    Ok(())
}

fn wait_forwarding_passes_sigusr1_arriving_while_waiting() -> TestResult {
    let mut child = match fork()? {
        Fork::Child => child_main(|| {
            let parent = getppid().ok_or_else(|| test_support::failed("no parent"))?;
            // Send it once the parent sleeps in sigwaitinfo. (Its SigBlk does not show:
            // the kernel unblocks the awaited signals for the duration of the wait.)
            wait_until("the parent sleeps in sigtimedwait", || {
                in_sigtimedwait(parent)
            })?;
            rustix::process::kill_process(parent, Signal::USR1)?;
            pause_forever()
        }),
        Fork::Parent(child) => child,
    };
    deadline(20);
    let status = child.wait_forwarding(&[Signal::TERM, Signal::USR1])?;
    ensure_eq!(status, signaled(Signal::USR1));
    Ok(())
}

fn wait_forwarding_reaps_a_child_that_exited_before() -> TestResult {
    let mut child = match fork()? {
        Fork::Child => exit_now(9),
        Fork::Parent(child) => child,
    };
    // Wait for the exit without reaping: the SIGCHLD it sent was discarded (default
    // disposition, not blocked), so only the first reap can find it.
    rustix::process::waitid(
        rustix::process::WaitId::Pid(child.pid()),
        rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT,
    )?;
    ensure_eq!(
        signal_mask("self", "ShdPnd:")? & bit(Signal::CHILD),
        0,
        "SIGCHLD is pending"
    );
    deadline(20);
    ensure_eq!(
        child.wait_forwarding(&[Signal::TERM])?,
        ExitStatus::Exited(9)
    );
    Ok(())
}

fn wait_forwarding_restores_the_signal_mask() -> TestResult {
    test_sigmask(libc::SIG_BLOCK, &[Signal::USR2]);
    let before = signal_mask("self", "SigBlk:")?;
    ensure_eq!(before & (bit(Signal::TERM) | bit(Signal::CHILD)), 0);
    let mut child = match fork()? {
        Fork::Child => exit_now(0),
        Fork::Parent(child) => child,
    };
    deadline(20);
    child.wait_forwarding(&[Signal::TERM, Signal::USR2])?;
    ensure_eq!(signal_mask("self", "SigBlk:")?, before);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Failure paths driven by strace fault injection.

const NO_PIDFD: &str = "pidfd_open:error=ENOSYS";

fn without_pidfd_kill_and_wait_use_the_pid_under_strace() -> TestResult {
    under_strace(&[NO_PIDFD], "injected_no_pidfd_kill_and_wait_use_the_pid")
}

fn injected_no_pidfd_kill_and_wait_use_the_pid() -> TestResult {
    let mut child = fork_paused()?;
    ensure!(child.pidfd().is_none(), "pidfd_open was not failed");
    child.kill(Signal::TERM)?;
    ensure_eq!(child.wait()?, signaled(Signal::TERM));
    Ok(())
}

fn without_pidfd_child_dies_with_its_parent_under_strace() -> TestResult {
    under_strace(&[NO_PIDFD], "injected_no_pidfd_child_dies_with_its_parent")
}

fn injected_no_pidfd_child_dies_with_its_parent() -> TestResult {
    dies_with_parent(false, false)
}

fn without_pidfd_child_of_a_dead_parent_gets_parent_gone_under_strace() -> TestResult {
    under_strace(
        &[NO_PIDFD],
        "injected_no_pidfd_child_of_a_dead_parent_gets_parent_gone",
    )
}

fn injected_no_pidfd_child_of_a_dead_parent_gets_parent_gone() -> TestResult {
    parent_gone(false)
}

fn wait_retries_eintr_under_strace() -> TestResult {
    under_strace(&["wait4:error=EINTR:when=1"], "injected_wait_retries_eintr")
}

fn injected_wait_retries_eintr() -> TestResult {
    match fork()? {
        Fork::Child => exit_now(4),
        Fork::Parent(mut child) => ensure_eq!(child.wait()?, ExitStatus::Exited(4)),
    }
    Ok(())
}

fn signal_mask_failure_is_reported_under_strace() -> TestResult {
    under_strace(
        &["rt_sigprocmask:error=EINVAL"],
        "injected_signal_mask_failure_is_reported",
    )
}

fn injected_signal_mask_failure_is_reported() -> TestResult {
    let mut child = fork_paused()?;
    let result = child.wait_forwarding(&[Signal::TERM]);
    let _ = child.kill(Signal::KILL);
    let _ = child.wait();
    match result {
        Err(e @ Error::SignalMask { .. }) => ensure_eq!(e.errno(), Some(Errno::INVAL)),
        other => fail!("expected SignalMask EINVAL, got {other:?}"),
    }
    Ok(())
}

fn signal_mask_restore_failure_keeps_the_status_under_strace() -> TestResult {
    // The first rt_sigprocmask of the scenario process is wait_forwarding's block, the
    // second its restore.
    under_strace(
        &["rt_sigprocmask:error=EINVAL:when=2"],
        "injected_signal_mask_restore_failure_keeps_the_status",
    )
}

fn injected_signal_mask_restore_failure_keeps_the_status() -> TestResult {
    let mut child = match fork()? {
        Fork::Child => exit_now(6),
        Fork::Parent(child) => child,
    };
    match child.wait_forwarding(&[Signal::TERM]) {
        Err(e @ Error::SignalMask { .. }) => ensure_eq!(e.errno(), Some(Errno::INVAL)),
        Ok(status) => skip!(
            "the restore was not the second rt_sigprocmask (wait_forwarding returned {status})"
        ),
        Err(other) => fail!("expected SignalMask EINVAL, got {other:?}"),
    }
    ensure_eq!(child.wait()?, ExitStatus::Exited(6));
    Ok(())
}

fn sigwaitinfo_failure_is_reported_under_strace() -> TestResult {
    under_strace(
        &["rt_sigtimedwait:error=EINVAL"],
        "injected_sigwaitinfo_failure_is_reported",
    )
}

fn injected_sigwaitinfo_failure_is_reported() -> TestResult {
    let before = signal_mask("self", "SigBlk:")?;
    let mut child = fork_paused()?;
    let result = child.wait_forwarding(&[Signal::TERM]);
    let mask_after = signal_mask("self", "SigBlk:")?;
    let _ = child.kill(Signal::KILL);
    let _ = child.wait();
    match result {
        Err(e @ Error::SignalWait { .. }) => ensure_eq!(e.errno(), Some(Errno::INVAL)),
        other => fail!("expected SignalWait EINVAL, got {other:?}"),
    }
    ensure_eq!(
        mask_after,
        before,
        "the mask was restored after the failure"
    );
    Ok(())
}

fn sigwaitinfo_eintr_is_retried_under_strace() -> TestResult {
    under_strace(
        &["rt_sigtimedwait:error=EINTR:when=1"],
        "injected_sigwaitinfo_eintr_is_retried",
    )
}

fn injected_sigwaitinfo_eintr_is_retried() -> TestResult {
    let mut child = match fork()? {
        Fork::Child => child_main(|| {
            let parent = getppid().ok_or_else(|| test_support::failed("no parent"))?;
            // Exit only once the parent really sleeps in sigwaitinfo (the injected EINTR
            // has been retried).
            wait_until("the parent sleeps in sigtimedwait", || {
                in_sigtimedwait(parent)
            })?;
            Ok(8)
        }),
        Fork::Parent(child) => child,
    };
    deadline(30);
    ensure_eq!(
        child.wait_forwarding(&[Signal::TERM])?,
        ExitStatus::Exited(8)
    );
    Ok(())
}

fn death_signal_failure_is_reported_under_strace() -> TestResult {
    under_strace(
        &["prctl:error=EINVAL"],
        "injected_death_signal_failure_is_reported",
    )
}

fn injected_death_signal_failure_is_reported() -> TestResult {
    let watch = ParentWatch::new()?;
    match fork()? {
        Fork::Child => {
            child_main(|| {
                match watch.die_with_parent(Signal::KILL) {
                    Err(e @ Error::SetDeathSignal { .. }) => {
                        ensure_eq!(e.errno(), Some(Errno::INVAL));
                        ensure_eq!(e.to_string(), "set the parent-death signal to SIGKILL: Invalid argument (os error 22)");
                    }
                    other => fail!("expected SetDeathSignal EINVAL, got {other:?}"),
                }
                Ok(0)
            })
        }
        Fork::Parent(mut child) => {
            watch.parent_keep();
            ensure_eq!(child.wait()?, ExitStatus::Exited(0));
        }
    }
    Ok(())
}

fn watch_pipe_failure_is_reported_under_strace() -> TestResult {
    under_strace(
        &["pipe2:error=EMFILE"],
        "injected_watch_pipe_failure_is_reported",
    )
}

fn injected_watch_pipe_failure_is_reported() -> TestResult {
    match ParentWatch::new() {
        Err(e @ Error::WatchParent { .. }) => ensure_eq!(e.errno(), Some(Errno::MFILE)),
        other => fail!("expected WatchParent EMFILE, got {other:?}"),
    }
    Ok(())
}

/// `EPERM` from `pidfd_open` (a seccomp profile) leaves the pipe alone to watch.
fn watch_without_pidfd_permission_uses_the_pipe_under_strace() -> TestResult {
    under_strace(
        &["pidfd_open:error=EPERM"],
        "injected_watch_without_pidfd_permission_uses_the_pipe",
    )
}

fn injected_watch_without_pidfd_permission_uses_the_pipe() -> TestResult {
    let watch = ParentWatch::new()?;
    ensure!(!watch.uses_pidfd(), "pidfd_open was not failed");
    drop(watch);
    parent_gone(false)
}

/// With room for the pipe and not for the pidfd, the kernel's `EMFILE` from `pidfd_open`
/// is an error that names the call, not a silent fallback to the pipe.
fn watch_at_the_descriptor_limit_reports_pidfd_emfile() -> TestResult {
    in_child(|| {
        // The lowest limit that leaves exactly two numbers free, for the pipe.
        let open: Vec<i32> = (0..1024)
            .filter(|&fd| {
                // SAFETY: F_GETFD on a number reads a descriptor table entry; EBADF if not open.
                unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
            })
            .collect();
        let limit = (0..1024u64)
            .find(|&l| l - open.iter().filter(|&&fd| (fd as u64) < l).count() as u64 == 2)
            .ok_or_else(|| test_support::failed("no limit leaves two numbers free"))?;
        let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
        rustix::process::setrlimit(
            rustix::process::Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(limit),
                maximum: hard,
            },
        )?;
        match ParentWatch::new() {
            Err(e @ Error::ParentPidfd { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::MFILE));
                ensure_eq!(
                    e.to_string(),
                    "open a pidfd of the parent process to watch it (pidfd_open): Too many \
                     open files (os error 24)"
                );
            }
            other => fail!("expected ParentPidfd EMFILE at limit {limit}, got {other:?}"),
        }
        Ok(())
    })
}

/// `EMFILE` from the `pidfd_open` after the fork is an error, not a fall back to the pid:
/// `fork` kills the child it made, reaps it and returns the errno. (A low `RLIMIT_NOFILE`
/// cannot make this: the thread count before the fork frees the number it took, which the
/// pidfd then gets; the descriptor table would have to fill in between.)
fn child_pidfd_failure_ends_the_child_under_strace() -> TestResult {
    under_strace(
        &["pidfd_open:error=EMFILE"],
        "injected_child_pidfd_failure_ends_the_child",
    )
}

fn injected_child_pidfd_failure_ends_the_child() -> TestResult {
    deadline(20);
    match fork() {
        Ok(Fork::Child) => pause_forever(),
        Ok(Fork::Parent(mut child)) => {
            let _ = child.kill(Signal::KILL);
            let _ = child.wait();
            fail!("fork handed out a child although its pidfd_open failed with EMFILE")
        }
        Err(e @ Error::ChildPidfd { pid, .. }) => {
            ensure_eq!(e.errno(), Some(Errno::MFILE));
            ensure_eq!(
                e.to_string(),
                format!(
                    "open a pidfd of child process {pid} after fork (pidfd_open; the child was \
                     ended): Too many open files (os error 24)"
                )
            );
            // Killed and reaped: this process has no child left, not even a zombie.
            ensure_eq!(
                rustix::process::waitpid(None, WaitOptions::NOHANG).err(),
                Some(Errno::CHILD),
                "a child is left"
            );
        }
        Err(other) => fail!("expected ChildPidfd EMFILE, got {other:?}"),
    }
    Ok(())
}

fn watch_poll_failure_is_reported_under_strace() -> TestResult {
    under_strace(
        &["ppoll:error=ENOMEM", "poll:error=ENOMEM"],
        "injected_watch_poll_failure_is_reported",
    )
}

fn injected_watch_poll_failure_is_reported() -> TestResult {
    let watch = ParentWatch::new()?;
    match fork()? {
        Fork::Child => child_main(|| {
            match watch.die_with_parent(Signal::KILL) {
                Err(e @ Error::WatchParent { .. }) => ensure_eq!(e.errno(), Some(Errno::NOMEM)),
                other => fail!("expected WatchParent ENOMEM, got {other:?}"),
            }
            Ok(0)
        }),
        Fork::Parent(mut child) => {
            watch.parent_keep();
            ensure_eq!(child.wait()?, ExitStatus::Exited(0));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Signals and the minimal init.

/// Enters a new pid namespace (with a user namespace that owns it when not root): the
/// next child forked is its pid 1.
fn new_pid_namespace() -> TestResult {
    let ns = sandbox_namespaces::Namespaces::PID;
    let ns = if test_support::is_root() {
        ns
    } else {
        ns | sandbox_namespaces::Namespaces::USER
    };
    sandbox_namespaces::unshare(ns)?;
    Ok(())
}

/// Blocked, a signal sent to ourselves stays pending (the kernel's `ShdPnd`) and
/// `wait_signal` takes it without any handler; the old mask then comes back.
fn block_wait_and_restore_take_a_signal_without_a_handler() -> TestResult {
    let before = signal_mask("self", "SigBlk:")?;
    ensure_eq!(before & bit(Signal::USR1), 0, "USR1 starts unblocked");
    let set: SignalSet = [Signal::USR1].into_iter().collect();
    let old = block_signals(&set)?;
    ensure!(
        signal_mask("self", "SigBlk:")? & bit(Signal::USR1) != 0,
        "the kernel has USR1 blocked"
    );
    ensure!(
        !old.contains(Signal::USR1),
        "the old mask did not hold USR1"
    );
    rustix::process::kill_process(getpid(), Signal::USR1)?;
    ensure!(
        signal_mask("self", "ShdPnd:")? & bit(Signal::USR1) != 0,
        "USR1 is pending"
    );
    deadline(20);
    ensure_eq!(wait_signal(&set)?, Signal::USR1);
    ensure_eq!(
        signal_mask("self", "ShdPnd:")? & bit(Signal::USR1),
        0,
        "USR1 was taken"
    );
    set_signal_mask(&old)?;
    ensure_eq!(signal_mask("self", "SigBlk:")?, before, "the mask is back");
    Ok(())
}

/// `exit_on_signals` installs a handler (the kernel's `SigCgt`); `default_signals` takes
/// it away again; SIGKILL's action cannot change, and says so.
fn default_signals_removes_a_handler() -> TestResult {
    exit_on_signals(&[Signal::USR2])?;
    ensure!(
        signal_mask("self", "SigCgt:")? & bit(Signal::USR2) != 0,
        "USR2 has a handler"
    );
    default_signals(&[Signal::USR2])?;
    ensure_eq!(
        signal_mask("self", "SigCgt:")? & bit(Signal::USR2),
        0,
        "USR2 has its default action"
    );
    match default_signals(&[Signal::KILL]) {
        Err(e @ Error::DefaultSignal { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::INVAL), "{e}");
        }
        other => fail!("SIGKILL's action changed: {other:?}"),
    }
    match exit_on_signals(&[Signal::STOP]) {
        Err(e @ Error::ExitOnSignal { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::INVAL), "{e}");
        }
        other => fail!("SIGSTOP took a handler: {other:?}"),
    }
    Ok(())
}

/// Forks pid 1 of a new pid namespace (made here), which runs `arm`, says it is armed and
/// runs `then` (ending with what that returns); once it is armed, sends it SIGTERM, and
/// returns how it ended.
fn sigterm_to_pid_1(
    arm: impl FnOnce() -> TestResult,
    then: impl FnOnce() -> i32,
) -> Result<ExitStatus, Fail> {
    new_pid_namespace()?;
    let (reader, mut writer) = std::io::pipe().map_err(test_support::failed)?;
    let mut init = match fork()? {
        Fork::Child => child_main(|| {
            drop(reader);
            ensure_eq!(getpid().as_raw_nonzero().get(), 1);
            arm()?;
            writeln!(writer, "armed").map_err(test_support::failed)?;
            exit_now(then())
        }),
        Fork::Parent(init) => init,
    };
    drop(writer);
    ensure_eq!(read_line(reader)?, "armed");
    init.kill(Signal::TERM)?;
    deadline(20);
    init.wait()
        .map_err(|e| test_support::failed(format!("wait for pid 1: {e}")))
}

/// Pid 1 of a pid namespace ignores SIGTERM it has no handler for; with
/// `exit_on_signals` it ends with exit code 143 when its parent sends SIGTERM.
fn exit_on_signals_makes_pid_1_end_with_128_plus_the_signal() -> TestResult {
    let status = sigterm_to_pid_1(|| Ok(exit_on_signals(&[Signal::TERM])?), || pause_forever())?;
    ensure_eq!(status, ExitStatus::Exited(143));
    Ok(())
}

/// A caller that ignores SIGCHLD (`SIG_IGN`: no signal, and the kernel reaps the child)
/// still gets its child's status from `wait_forwarding`, and SIGCHLD is ignored again
/// afterwards (the kernel's `SigIgn`).
fn wait_forwarding_ends_when_the_caller_ignores_sigchld() -> TestResult {
    // SAFETY: SIG_IGN installs no code.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    let mut child = match fork()? {
        Fork::Child => {
            std::thread::sleep(Duration::from_millis(100));
            exit_now(7)
        }
        Fork::Parent(child) => child,
    };
    deadline(20);
    ensure_eq!(
        child.wait_forwarding(&[Signal::TERM])?,
        ExitStatus::Exited(7)
    );
    ensure!(
        signal_mask("self", "SigIgn:")? & bit(Signal::CHILD) != 0,
        "SIGCHLD is ignored again"
    );
    Ok(())
}

/// Pid 1 ended by its SIGTERM handler exits 143, which a note turns back into the death by
/// SIGTERM; a pid 1 that exits 143 itself stays an exit code.
fn a_noted_signal_turns_pid_1s_exit_code_back_into_the_signal() -> TestResult {
    // Each case in a pid namespace of its own: one ends with its pid 1.
    in_child(|| noted_signal_case(true))?;
    in_child(|| noted_signal_case(false))
}

fn noted_signal_case(by_signal: bool) -> TestResult {
    // Taken (and armed) in the child only; the parent's copy of the cell keeps its note.
    let note = std::cell::Cell::new(Some(SignalNote::new()?));
    let arm = || {
        if let Some(note) = note.take() {
            note.arm();
        }
        Ok(exit_on_signals(&[Signal::TERM])?)
    };
    let status = match by_signal {
        true => sigterm_to_pid_1(arm, || pause_forever())?,
        false => {
            new_pid_namespace()?;
            let mut init = match fork()? {
                Fork::Child => child_main(|| {
                    arm()?;
                    exit_now(143)
                }),
                Fork::Parent(init) => init,
            };
            deadline(20);
            init.wait()?
        }
    };
    let note = note
        .take()
        .ok_or_else(|| test_support::failed("the note"))?;
    note.parent_keep()?;
    ensure_eq!(status, ExitStatus::Exited(143), "what waitpid says");
    let resolved = note.resolve(status);
    match by_signal {
        true => ensure_eq!(resolved, signaled(Signal::TERM), "the noted signal"),
        false => ensure_eq!(resolved, ExitStatus::Exited(143), "exit(143) by choice"),
    }
    Ok(())
}

/// A pid 1 that registers SIGTERM with a flag (`register`) and exits 42 once it is set: the
/// code its parent sees tells whose handler ended it (143: the sandbox's).
fn pid_1_with_a_flag(
    register: impl FnOnce(&std::sync::Arc<std::sync::atomic::AtomicBool>) -> TestResult,
) -> TestResult {
    use std::sync::atomic::{AtomicBool, Ordering};
    let flag = std::sync::Arc::new(AtomicBool::new(false));
    let status = sigterm_to_pid_1(
        || register(&flag),
        || {
            let until = Instant::now() + Duration::from_secs(10);
            while !flag.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if flag.load(Ordering::SeqCst) {
                42
            } else {
                81
            }
        },
    )?;
    ensure_eq!(
        status,
        ExitStatus::Exited(42),
        "the daemon's handler ran (42), not pid 1's (143), and the signal was not lost (81)"
    );
    Ok(())
}

fn pid_1s_handler_steps_aside_for_a_chaining_handler_installed_later() -> TestResult {
    // signal-hook keeps the handler it replaces and calls it first.
    pid_1_with_a_flag(|flag| {
        exit_on_signals(&[Signal::TERM])?;
        signal_hook::flag::register(libc::SIGTERM, std::sync::Arc::clone(flag))
            .map_err(test_support::failed)?;
        Ok(())
    })
}

fn pid_1s_handler_leaves_an_earlier_handler_in_place() -> TestResult {
    pid_1_with_a_flag(|flag| {
        signal_hook::flag::register(libc::SIGTERM, std::sync::Arc::clone(flag))
            .map_err(test_support::failed)?;
        exit_on_signals(&[Signal::TERM])?;
        Ok(())
    })
}

/// `SIG_IGN` (as `nohup` leaves SIGHUP) stays through `exit_on_signals`, as the kernel's
/// `SigIgn` shows, until `unignore_signals` gives the default action back.
fn an_ignored_signal_stays_ignored_until_unignored() -> TestResult {
    // SAFETY: SIG_IGN installs no code.
    unsafe { libc::signal(libc::SIGHUP, libc::SIG_IGN) };
    exit_on_signals(&[Signal::HUP])?;
    ensure!(
        signal_mask("self", "SigIgn:")? & bit(Signal::HUP) != 0,
        "SIGHUP stays ignored"
    );
    unignore_signals(&[Signal::HUP])?;
    ensure_eq!(
        signal_mask("self", "SigIgn:")? & bit(Signal::HUP),
        0,
        "SIGHUP is no longer ignored"
    );
    exit_on_signals(&[Signal::HUP])?;
    ensure!(
        signal_mask("self", "SigCgt:")? & bit(Signal::HUP) != 0,
        "SIGHUP now has the handler"
    );
    Ok(())
}

/// `exit_like_signal` with a stop signal exits with 128 + it: raising it would stop the
/// process (its parent would wait forever).
fn exit_like_signal_never_stops_on_a_stop_signal() -> TestResult {
    for signal in [Signal::TSTP, Signal::STOP] {
        let mut child = match fork()? {
            Fork::Child => exit_like_signal(signal.as_raw()),
            Fork::Parent(child) => child,
        };
        deadline(20);
        ensure_eq!(
            child.wait()?,
            ExitStatus::Exited(128 + signal.as_raw()),
            "{signal:?}"
        );
    }
    Ok(())
}

/// A child that ends with `exit_like_signal(SIGTERM)` is seen by its parent as killed by
/// SIGTERM (WIFSIGNALED), even with SIGTERM blocked and a handler installed before; a
/// signal whose default action is to ignore (SIGCHLD) ends it with 128 + the signal.
fn exit_like_signal_makes_a_waiting_parent_see_the_signal() -> TestResult {
    let mut child = match fork()? {
        Fork::Child => {
            let _ = exit_on_signals(&[Signal::TERM]);
            let _ = block_signals(&[Signal::TERM].into_iter().collect());
            exit_like_signal(Signal::TERM.as_raw())
        }
        Fork::Parent(child) => child,
    };
    ensure_eq!(child.wait()?, signaled(Signal::TERM));
    let mut child = match fork()? {
        Fork::Child => exit_like_signal(Signal::CHILD.as_raw()),
        Fork::Parent(child) => child,
    };
    ensure_eq!(
        child.wait()?,
        ExitStatus::Exited(128 + Signal::CHILD.as_raw())
    );
    Ok(())
}

/// A supervisor that ends with `exit_like(status)` ends as its child did: its own parent
/// sees the same exit code, or the same signal.
fn exit_like_passes_an_exit_code_or_a_signal_on() -> TestResult {
    for status in [ExitStatus::Exited(7), signaled(Signal::HUP)] {
        let mut supervisor = match fork()? {
            Fork::Child => child_main(|| {
                let mut child = match fork()? {
                    Fork::Child => match status.signal() {
                        Some(signal) => {
                            let _ = rustix::process::kill_process(
                                getpid(),
                                Signal::from_named_raw(signal).unwrap_or(Signal::KILL),
                            );
                            exit_now(0)
                        }
                        None => exit_now(status.code()),
                    },
                    Fork::Parent(child) => child,
                };
                exit_like(child.wait()?)
            }),
            Fork::Parent(supervisor) => supervisor,
        };
        ensure_eq!(supervisor.wait()?, status);
    }
    Ok(())
}

/// In a new pid namespace, pid 1 starts the init: the daemon it returns in is pid 2, has
/// SIGTERM unblocked with its default action, and the init holds no descriptor. SIGTERM
/// sent to the init reaches the daemon, which dies of it, and the init exits with 143.
fn init_forwards_sigterm_to_the_daemon_and_exits_with_its_status() -> TestResult {
    new_pid_namespace()?;
    let (reader, mut writer) = std::io::pipe().map_err(test_support::failed)?;
    let mut init = match fork()? {
        Fork::Child => child_main(|| {
            drop(reader);
            ensure_eq!(getpid().as_raw_nonzero().get(), 1);
            start_init(&[Signal::TERM, Signal::INT], || {
                Ok::<(), std::convert::Infallible>(())
            })?;
            // The daemon.
            let blocked = signal_mask("self", "SigBlk:")?;
            let caught = signal_mask("self", "SigCgt:")?;
            writeln!(
                writer,
                "daemon {} {}",
                getpid().as_raw_nonzero(),
                (blocked | caught) & bit(Signal::TERM)
            )
            .map_err(test_support::failed)?;
            drop(writer);
            pause_forever()
        }),
        Fork::Parent(init) => init,
    };
    drop(writer);
    ensure_eq!(read_line(reader)?, "daemon 2 0");
    let fds = format!("/proc/{}/fd", init.pid().as_raw_nonzero());
    wait_until("the init has closed its descriptors", || {
        Ok(std::fs::read_dir(&fds)
            .map_err(test_support::failed)?
            .count()
            == 0)
    })?;
    // The init waits in sigwaitinfo with SIGTERM blocked: it is queued, not ignored.
    wait_until("the init sleeps in sigtimedwait", || {
        in_sigtimedwait(init.pid())
    })?;
    init.kill(Signal::TERM)?;
    deadline(20);
    ensure_eq!(
        init.wait()?,
        ExitStatus::Exited(128 + Signal::TERM.as_raw())
    );
    Ok(())
}

/// When the init's own confinement fails it exits with `INIT_FAILED`; the daemon returns
/// as usual.
fn init_whose_confinement_fails_exits_125() -> TestResult {
    new_pid_namespace()?;
    let (reader, mut writer) = std::io::pipe().map_err(test_support::failed)?;
    let mut init = match fork()? {
        Fork::Child => child_main(|| {
            drop(reader);
            start_init(&[Signal::TERM], || Err("no capabilities to drop"))?;
            writeln!(writer, "daemon").map_err(test_support::failed)?;
            pause_forever()
        }),
        Fork::Parent(init) => init,
    };
    drop(writer);
    deadline(20);
    ensure_eq!(init.wait()?, ExitStatus::Exited(INIT_FAILED));
    ensure_eq!(INIT_FAILED, 125);
    // The namespace ended with its pid 1: the daemon's end of the pipe is closed.
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut { reader }, &mut rest).map_err(test_support::failed)?;
    ensure!(
        rest.is_empty() || rest == "daemon\n",
        "the daemon said {rest:?}"
    );
    Ok(())
}
