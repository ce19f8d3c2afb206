//! The seccomp filter of the composed sandbox, seen from inside: each scenario in a fresh
//! process, run as root and as uid 65534.
//!
//! A filter can never be removed, so every call that might be refused runs in a process
//! forked inside the sandbox, which reports how it ended (`name=<errno>`, `0` for success,
//! `signal<N>` for a death by signal). A refusal with `EPERM` proves something only if the
//! same call, in the same sandbox without a filter, answers something else: the default
//! list therefore runs twice, filtered and with `Filter::none()`.
//!
//! Every call is made with the raw system call and arguments that are harmless when it
//! goes through (bad descriptors, missing paths, bad magic numbers, read-only forms), so
//! that a broken filter fails the test and not the machine.

mod common;

use std::os::fd::AsRawFd;
use std::path::Path;

use common::*;
use rustix::io::Errno;
use sandbox::{Entered, Filter, Inside, Mode, Sandbox, SeccompAction};
use sandbox_seccomp::SeccompMode;
use test_support::daemon::daemon_workload;
use test_support::files::mode_of;
use test_support::syscalls::{
    call_in_fork, code_of, cstring, fork_and_wait, listed_calls, ptr, syscall, Scratch, AT_FDCWD,
};
#[cfg(target_arch = "x86_64")]
use test_support::syscalls::{int80, I386_GETPID, I386_UNSHARE};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        default_sandbox_refuses_every_listed_call_that_works_without_the_filter,
        i386_call_from_a_default_sandbox_kills_the_caller_with_sigsys,
        default_sandbox_allows_chmod_755_and_setgid_mkdir_but_refuses_chmod_4755,
        fchmodat_allowed_back_makes_a_setuid_file_seen_from_the_host,
        kill_process_action_kills_a_refused_caller_inside_with_sigsys,
        proc_status_inside_shows_filter_mode_by_default_and_no_filter_with_none,
        mode_none_installs_the_default_filter_refusing_new_user_namespaces,
        allowlist_daemon_runs_threads_files_fd_passing_epoll_and_fork_inside,
        an_allowlist_without_write_or_close_still_lets_enter_report_ready,
    ])
}

// =======================================================================================
// Helpers.

/// How a forked process ended, as a report value: the exit code (the errno of the call),
/// or `signal<N>`.
fn ended_text(ended: Ended) -> String {
    match ended {
        Ended::Code(c) => c.to_string(),
        Ended::Signal(s) => format!("signal{s}"),
    }
}

/// The report value of a call refused with `errno`.
fn refused_text(errno: i32) -> String {
    errno.to_string()
}

/// Builds and enters `builder` in a forked process (a process enters only once), runs `f`
/// inside and returns its report.
fn report_from_inside(
    builder: sandbox::Builder,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> Result<String, Fail> {
    let (r, w) = pipe()?;
    test_support::in_child(move || {
        let out = run_inside(builder, f)?;
        send(w, &out.report);
        Ok(())
    })?;
    Ok(receive(r))
}

// =======================================================================================
// The default list, call by call.

/// The file the chmod-style scenarios work on, made inside.
const FILE: &str = "/f";

/// The sandbox's root, whose paths the listed calls use (it is the shared directory).
const ROOT: &str = "/";

/// Inside: makes the file of the listed calls, then every listed call in a forked child:
/// `name=<result>`.
fn listed_calls_report() -> Result<String, Fail> {
    let s = Scratch::new(Path::new(ROOT))?;
    let path = s.file_path();
    let file =
        std::fs::File::create(&path).map_err(io_ctx(format!("create {}", path.display())))?;
    let mut report = String::new();
    for case in listed_calls(&s, file.as_raw_fd() as u64) {
        let ended = call_in_fork(case.nr, case.args)?;
        report.push_str(&format!("{}={}\n", case.name, ended_text(ended)));
        // A creating call that went through made the new file: the next one needs it gone.
        let _ = std::fs::remove_file(s.new_file_path());
    }
    Ok(report)
}

fn default_sandbox_refuses_every_listed_call_that_works_without_the_filter() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let filtered = report_from_inside(Sandbox::builder(&shared), |_| listed_calls_report())?;
    let unfiltered = report_from_inside(Sandbox::builder(&shared).seccomp(Filter::none()), |_| {
        listed_calls_report()
    })?;
    let s = Scratch::new(Path::new(ROOT))?;
    let (mut wrong, mut eperm_anyway) = (Vec::new(), Vec::new());
    let eperm = refused_text(libc::EPERM);
    for case in listed_calls(&s, 0) {
        let with = need(&filtered, case.name)?;
        let without = need(&unfiltered, case.name)?;
        println!(
            "    {:<32} filtered {with:<4} unfiltered {without}",
            case.name
        );
        let refused = case.refused.errno(Errno::PERM).raw_os_error();
        if with != refused_text(refused) {
            wrong.push(format!("{}: filtered {with}, want {refused}", case.name));
        }
        if without == eperm {
            if case.differs {
                wrong.push(format!(
                    "{}: EPERM without the filter too, which proves nothing",
                    case.name
                ));
            } else {
                eperm_anyway.push(case.name);
            }
        }
    }
    if !eperm_anyway.is_empty() {
        println!(
            "    note: EPERM with and without the filter here (capabilities dropped, or a \
             sysctl): {}",
            eperm_anyway.join(", ")
        );
    }
    ensure!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

// =======================================================================================
// An i386 call.

#[cfg(target_arch = "x86_64")]
fn i386_call_from_a_default_sandbox_kills_the_caller_with_sigsys() -> TestResult {
    no_core_dumps();
    // Unfiltered first: the kernel may lack IA32 emulation (CONFIG_IA32_EMULATION off,
    // or `ia32_emulation=false`), and then no i386 call gets to any filter.
    let probe = fork_and_wait(|| {
        let r = int80(I386_GETPID, 0);
        if r == getpid() {
            0
        } else if r < 0 {
            (-r).min(255)
        } else {
            254
        }
    })?;
    if probe != Ended::Code(0) {
        skip!(
            "no IA32 emulation here: an i386 getpid by int 0x80 ended with {}",
            ended_text(probe)
        );
    }
    let (_top, shared) = shared_dir()?;
    let out = run_inside(Sandbox::builder(&shared), |_| {
        let ended = fork_and_wait(|| {
            let r = int80(I386_UNSHARE, libc::CLONE_NEWUSER as u32);
            if r < 0 {
                (-r).min(255)
            } else {
                0
            }
        })?;
        Ok(format!("i386_unshare={}\n", ended_text(ended)))
    })?;
    ensure_eq!(
        need(&out.report, "i386_unshare")?,
        format!("signal{}", libc::SIGSYS),
        "an i386 unshare(CLONE_NEWUSER) inside a default sandbox"
    );
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn i386_call_from_a_default_sandbox_kills_the_caller_with_sigsys() -> TestResult {
    skip!("i386 calls exist only on x86_64")
}

// =======================================================================================
// Setuid files: the rule is narrow.

fn default_sandbox_allows_chmod_755_and_setgid_mkdir_but_refuses_chmod_4755() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let (_top, shared) = shared_dir()?;
    // A setgid shared directory: what mkdir makes inside inherits the bit.
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o2775))
        .map_err(io_ctx("chmod 2775 the shared dir"))?;
    let out = run_inside(Sandbox::builder(&shared), |_| {
        std::fs::write(FILE, b"#!/bin/sh\n").map_err(io_ctx(format!("write {FILE}")))?;
        let file = cstring(FILE)?;
        let dir = cstring("/d")?;
        let chmod = |mode: u64| {
            code_of(syscall(
                libc::SYS_fchmodat,
                [AT_FDCWD, ptr(&file), mode, 0, 0, 0],
            ))
        };
        let setuid = chmod(0o4755);
        let plain = chmod(0o755);
        let mkdir = code_of(syscall(
            libc::SYS_mkdirat,
            [AT_FDCWD, ptr(&dir), 0o2775, 0, 0, 0],
        ));
        Ok(format!(
            "chmod_4755={setuid}\nchmod_755={plain}\nmkdir_2775={mkdir}\n"
        ))
    })?;
    let report = &out.report;
    ensure_eq!(
        need(report, "chmod_4755")?,
        refused_text(libc::EPERM),
        "chmod 4755"
    );
    ensure_eq!(need(report, "chmod_755")?, "0", "chmod 755");
    ensure_eq!(need(report, "mkdir_2775")?, "0", "mkdir 02775");
    ensure_eq!(
        mode_of(shared.join("f"))?,
        0o755,
        "the file's mode on the host"
    );
    let dir = shared.join("d");
    ensure!(dir.is_dir(), "mkdir made no directory");
    ensure!(
        mode_of(&dir)? & 0o2000 != 0,
        "the new directory is not setgid: {:o}",
        mode_of(&dir)?
    );
    Ok(())
}

fn fchmodat_allowed_back_makes_a_setuid_file_seen_from_the_host() -> TestResult {
    // The shared dir lies in this scenario's temp dir, removed at the end: as root, the
    // file made here is setuid root on the host.
    let (_top, shared) = shared_dir()?;
    let filter = Filter::default_deny().allow("fchmodat")?;
    let out = run_inside(Sandbox::builder(&shared).seccomp(filter), |_| {
        let f = std::fs::File::create(FILE).map_err(io_ctx(format!("create {FILE}")))?;
        let file = cstring(FILE)?;
        // The other setid paths stay refused.
        let fd = f.as_raw_fd() as u64;
        let fchmod = code_of(syscall(libc::SYS_fchmod, [fd, 0o4755, 0, 0, 0, 0]));
        #[cfg(target_arch = "x86_64")]
        let chmod = code_of(syscall(libc::SYS_chmod, [ptr(&file), 0o4755, 0, 0, 0, 0]));
        #[cfg(not(target_arch = "x86_64"))]
        let chmod = libc::EPERM;
        let fchmodat = code_of(syscall(
            libc::SYS_fchmodat,
            [AT_FDCWD, ptr(&file), 0o4755, 0, 0, 0],
        ));
        Ok(format!(
            "fchmod={fchmod}\nchmod={chmod}\nfchmodat={fchmodat}\n"
        ))
    })?;
    let path = shared.join("f");
    let mode = mode_of(&path);
    let _ = std::fs::remove_file(&path);
    let report = &out.report;
    ensure_eq!(
        need(report, "fchmodat")?,
        "0",
        "fchmodat 04755, allowed back"
    );
    ensure_eq!(
        need(report, "fchmod")?,
        refused_text(libc::EPERM),
        "fchmod 04755"
    );
    ensure_eq!(
        need(report, "chmod")?,
        refused_text(libc::EPERM),
        "chmod 04755"
    );
    ensure_eq!(mode?, 0o4755, "the file's mode on the host");
    Ok(())
}

// =======================================================================================
// Actions and status.

fn kill_process_action_kills_a_refused_caller_inside_with_sigsys() -> TestResult {
    no_core_dumps();
    let (_top, shared) = shared_dir()?;
    let filter = Filter::default_deny().action(SeccompAction::KillProcess);
    let out = run_inside(Sandbox::builder(&shared).seccomp(filter), |_| {
        let keyctl =
            fork_and_wait(|| code_of(syscall(libc::SYS_keyctl, [0, -3i64 as u64, 0, 0, 0, 0])))?;
        let getppid = fork_and_wait(|| code_of(syscall(libc::SYS_getppid, [0; 6])))?;
        Ok(format!(
            "keyctl={}\ngetppid={}\n",
            ended_text(keyctl),
            ended_text(getppid)
        ))
    })?;
    ensure_eq!(
        need(&out.report, "keyctl")?,
        format!("signal{}", libc::SIGSYS),
        "keyctl under KillProcess"
    );
    ensure_eq!(need(&out.report, "getppid")?, "0", "an allowed call");
    Ok(())
}

/// The number `/proc/<pid>/status` shows for a mode.
fn mode_number(mode: SeccompMode) -> &'static str {
    match mode {
        SeccompMode::Disabled => "0",
        SeccompMode::Strict => "1",
        SeccompMode::Filter => "2",
        _ => "none",
    }
}

/// `seccomp=<mode>` and `filters=<count>` of a status file's text.
fn status_report(text: &str) -> String {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map_or("none", str::trim)
            .to_owned()
    };
    format!(
        "seccomp={}\nfilters={}\n",
        field("Seccomp:"),
        field("Seccomp_filters:")
    )
}

/// Inside a sandbox sharing `/` (which keeps its fresh `/proc`): what
/// `sandbox_seccomp::status()` reads in `/proc/self/status`.
fn own_status(_: &Inside) -> Result<String, Fail> {
    let s = sandbox_seccomp::status()?;
    let filters = s
        .filters
        .map_or_else(|| "none".to_owned(), |n| n.to_string());
    Ok(format!(
        "seccomp={}\nfilters={filters}\n",
        mode_number(s.mode)
    ))
}

/// The host's view of a sandboxed child's status (`/proc/<pid>/status`, read while it
/// waits, set up and filtered), for a sandbox over a shared directory, where the child
/// has no `/proc` of its own.
fn status_seen_from_the_host(builder: sandbox::Builder) -> Result<String, Fail> {
    let (r, w) = pipe()?;
    test_support::in_child(move || {
        let mut seen = String::new();
        let read = |child: &sandbox::Child| {
            let pid = child.pid().as_raw_nonzero().get();
            let path = format!("/proc/{pid}/status");
            seen = std::fs::read_to_string(&path).map_err(io_ctx(format!("read {path}")))?;
            Ok(())
        };
        let out = run_inside_with(builder, 0, read, |_| Ok(String::new()))?;
        ensure_eq!(out.status.code(), 0, "exit code of the sandboxed child");
        send(w, &status_report(&seen));
        Ok(())
    })?;
    Ok(receive(r))
}

fn proc_status_inside_shows_filter_mode_by_default_and_no_filter_with_none() -> TestResult {
    let own = sandbox_seccomp::status()?;
    if own.mode == SeccompMode::NotInKernel {
        skip!("the kernel has no seccomp (no Seccomp: line in /proc/self/status)");
    }
    // With no filter, the sandboxed process has what this process has.
    let want_none = mode_number(own.mode);
    if want_none != "0" {
        println!("    note: this process runs under seccomp already: {own:?}");
    }
    let count_of = |report: &str| -> Result<u32, Fail> {
        need(report, "filters")?
            .parse()
            .map_err(|e| failed(format!("Seccomp_filters in {report:?}: {e}")))
    };
    let (_top, shared) = shared_dir()?;
    let views = [
        (
            "inside, sharing /",
            report_from_inside(Sandbox::builder("/"), own_status)?,
            report_from_inside(Sandbox::builder("/").seccomp(Filter::none()), own_status)?,
        ),
        (
            "from the host, sharing a directory",
            status_seen_from_the_host(Sandbox::builder(&shared))?,
            status_seen_from_the_host(Sandbox::builder(&shared).seccomp(Filter::none()))?,
        ),
    ];
    for (view, default, none) in views {
        println!("    {view}: this process {own:?}; default {default:?}; none {none:?}");
        ensure_eq!(
            need(&default, "seccomp")?,
            "2",
            "Seccomp: by default, {view}"
        );
        ensure_eq!(
            need(&none, "seccomp")?,
            want_none,
            "Seccomp: with Filter::none(), {view}"
        );
        if let Some(count) = own.filters {
            ensure!(
                count_of(&default)? > count,
                "{view}: the default sandbox has {} filters, this process {count}",
                count_of(&default)?
            );
            ensure_eq!(
                count_of(&none)?,
                count,
                "filters with Filter::none(), {view}"
            );
        }
    }
    Ok(())
}

fn mode_none_installs_the_default_filter_refusing_new_user_namespaces() -> TestResult {
    let newuser = [libc::CLONE_NEWUSER as u64, 0, 0, 0, 0, 0];
    // Without the filter, this process could make one (or EPERM would prove nothing).
    let before = fork_and_wait(|| code_of(syscall(libc::SYS_unshare, newuser)))?;
    if before != Ended::Code(0) {
        skip!(
            "unshare(CLONE_NEWUSER) fails here without a filter: {}",
            ended_text(before)
        );
    }
    let (_top, shared) = shared_dir()?;
    test_support::in_child(|| {
        let sandbox = Sandbox::builder(&shared).mode(Mode::None).build()?;
        let _inside = match sandbox.enter()? {
            Entered::Inside(inside) => inside,
            Entered::Parent(_) => fail!("Mode::None forked"),
        };
        ensure_eq!(
            syscall(libc::SYS_unshare, newuser),
            Err(Errno::PERM),
            "unshare(CLONE_NEWUSER) after entering Mode::None"
        );
        Ok(())
    })
}

// =======================================================================================
// An allowlist daemon.

/// What a small daemon (threads, files, a socket pair passing descriptors, epoll, a
/// forked helper) calls under Rust's std and glibc, the harness included, after the
/// sandbox installed the filter (the sandbox's own ready report is a `write` and a
/// `close`): the calls strace saw, no more. The workload fails without any of the first
/// group; the second group it survives refused, but refusing them would leak memory
/// (`munmap`, `madvise`), lose signal masks around `fork` and thread starts, robust
/// futexes, or the stack-overflow guard, so a daemon lists them too.
#[rustfmt::skip]
const DAEMON_CALLS: &[&str] = &[
    // Needed (aarch64 has only unlinkat and epoll_pwait).
    "mmap", "mprotect", "read", "write", "openat", "close", "lseek", "fsync", "unlink",
    "unlinkat", "clone", "rseq", "futex", "exit", "socketpair", "sendmsg", "recvmsg",
    "sendto", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "wait4",
    // Called, and survived when refused.
    "munmap", "madvise", "statx", "fcntl", "set_robust_list", "rt_sigaction",
    "rt_sigprocmask", "sigaltstack", "sched_getaffinity", "gettid", "exit_group",
];

fn allowlist_daemon_runs_threads_files_fd_passing_epoll_and_fork_inside() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let filter = Filter::allow_only(DAEMON_CALLS)?;
    let out = run_inside(Sandbox::builder(&shared).seccomp(filter), |_| {
        daemon_workload(Path::new("/data"))?;
        // Calls outside the list.
        let getppid = code_of(syscall(libc::SYS_getppid, [0; 6]));
        // SAFETY: utsname is plain data, written by uname(2).
        let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
        let uname = code_of(syscall(
            libc::SYS_uname,
            [&mut uts as *mut libc::utsname as u64, 0, 0, 0, 0, 0],
        ));
        Ok(format!("workload=ok\ngetppid={getppid}\nuname={uname}\n"))
    })?;
    ensure_eq!(need(&out.report, "workload")?, "ok");
    ensure_eq!(
        need(&out.report, "getppid")?,
        refused_text(libc::EPERM),
        "getppid"
    );
    ensure_eq!(
        need(&out.report, "uname")?,
        refused_text(libc::EPERM),
        "uname"
    );
    Ok(())
}

/// The sandbox writes its report to the original process, and closes that pipe, after the
/// filter is installed: an allowlist that names neither must not leave `enter()` waiting
/// (the sandbox lets those two through), and the daemon still runs.
fn an_allowlist_without_write_or_close_still_lets_enter_report_ready() -> TestResult {
    let (_top, shared) = shared_dir()?;
    // What the harness's side of the child needs besides: wait for "go", exit.
    let filter = Filter::allow_only(["read", "exit", "exit_group"]).map_err(failed)?;
    let out = run_inside(Sandbox::builder(&shared).seccomp(filter), |_| {
        Ok("ran=yes\n".to_string())
    })?;
    ensure_eq!(
        need(&out.report, "ran")?,
        "yes",
        "the daemon ran after enter()"
    );
    Ok(())
}
