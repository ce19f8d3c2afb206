//! Kernel tests of `sandbox-seccomp`, each scenario in a fresh process (see the `tests`
//! harness). A filter can never be removed, so every filtered call runs in a forked child;
//! the scenario process itself stays unfiltered.
//!
//! Every call is made with the raw system call and arguments that are harmless when the
//! filter lets it through (bad magic for `reboot`, missing paths for `swapon` and `acct`,
//! bad descriptors, ...), so that a broken filter fails the test and not the machine.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use libc::c_long;
use rustix::io::Errno;
use sandbox_seccomp::{status, Action, Error, Filter, Program, SeccompMode};
use test_support::daemon::daemon_workload;
use test_support::files::mode_of;
use test_support::syscalls::{
    cstring, fork_and_wait, listed_calls, make_call, ptr, syscall, Ended, Scratch,
};
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
use test_support::syscalls::{int80, I386_GETPID, I386_UNSHARE};
use test_support::{ensure, ensure_eq, fail, in_child, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        seccomp_every_default_call_is_refused_with_the_chosen_errno,
        seccomp_default_action_is_eperm,
        seccomp_calls_that_work_unfiltered_are_refused_filtered,
        seccomp_kill_process_action_kills_with_sigsys,
        seccomp_trap_action_without_handler_ends_with_sigsys,
        seccomp_log_action_lets_the_call_run,
        seccomp_i386_call_of_a_refused_syscall_kills_the_process,
        seccomp_x32_call_of_a_refused_syscall_is_refused,
        seccomp_setid_modes_are_refused_and_plain_modes_work,
        seccomp_allowed_back_fchmodat_makes_a_setuid_file,
        seccomp_allowlist_runs_threads_files_sockets_epoll_and_fork,
        seccomp_unknown_syscall_name_is_refused_at_build,
        seccomp_status_reports_filter_mode_after_install,
        seccomp_none_installs_no_filter,
        seccomp_no_new_privs_is_set_only_without_cap_sys_admin,
        seccomp_every_thread_gets_the_filter,
        seccomp_threads_start_under_the_default_list,
    ])
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// The errno a test filter answers with: one that none of the calls gives by itself, so
/// that seeing it proves the filter refused the call.
const CHOSEN: Errno = Errno::HWPOISON;

/// Exit code of a child whose filter did not install.
const INSTALL_FAILED: i32 = 200;

/// A system call to make in a child, with the program to install first (if any). The
/// child exits 0 when the call succeeded and with the errno when it failed.
fn call_in_child(program: Option<&Program>, nr: c_long, args: [u64; 6]) -> Result<Ended, Fail> {
    fork_and_wait(|| {
        if let Some(p) = program {
            if let Err(e) = p.install() {
                eprintln!("install: {e}");
                return INSTALL_FAILED;
            }
        }
        make_call(nr, args)
    })
}

fn refused_with(errno: Errno) -> Ended {
    Ended::Code(errno.raw_os_error())
}

fn compile(filter: Filter) -> Result<Program, Fail> {
    filter.compile().map_err(Fail::from)
}

// ---------------------------------------------------------------------------------------
// The default list.

fn seccomp_every_default_call_is_refused_with_the_chosen_errno() -> TestResult {
    let dir = test_support::temp_dir()?;
    let s = Scratch::new(dir.path())?;
    std::fs::write(s.file_path(), b"x").map_err(test_support::failed)?;
    let program = compile(Filter::default_deny().action(Action::Errno(CHOSEN)))?;
    let mut wrong = Vec::new();
    // fchmod needs a descriptor of the test file; open it here, the children inherit it.
    let file = std::fs::File::open(s.file_path()).map_err(test_support::failed)?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file) as u64;
    for case in listed_calls(&s, fd) {
        let want = refused_with(case.refused.errno(CHOSEN));
        let unfiltered = call_in_child(None, case.nr, case.args)?;
        let filtered = call_in_child(Some(&program), case.nr, case.args)?;
        println!(
            "    {:<32} unfiltered {unfiltered:?}, filtered {filtered:?}",
            case.name
        );
        if filtered != want || unfiltered == want {
            wrong.push(format!(
                "{}: unfiltered {unfiltered:?}, filtered {filtered:?}, want {want:?}",
                case.name
            ));
        }
        // A call that went through unfiltered may have made the new file.
        let _ = std::fs::remove_file(s.new_file_path());
    }
    ensure!(wrong.is_empty(), "{}", wrong.join("\n"));
    Ok(())
}

fn seccomp_default_action_is_eperm() -> TestResult {
    let program = compile(Filter::default_deny())?;
    let end = call_in_child(
        Some(&program),
        libc::SYS_keyctl,
        [0, -2i64 as u64, 0, 0, 0, 0],
    )?;
    ensure_eq!(end, refused_with(Errno::PERM));
    Ok(())
}

fn seccomp_calls_that_work_unfiltered_are_refused_filtered() -> TestResult {
    let program = compile(Filter::default_deny().action(Action::Errno(CHOSEN)))?;
    let checks: [(&str, c_long, [u64; 6]); 3] = [
        // KEYCTL_GET_KEYRING_ID of the session keyring.
        ("keyctl", libc::SYS_keyctl, [0, -3i64 as u64, 1, 0, 0, 0]),
        (
            "unshare(CLONE_NEWUSER)",
            libc::SYS_unshare,
            [libc::CLONE_NEWUSER as u64, 0, 0, 0, 0, 0],
        ),
        (
            "socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT)",
            libc::SYS_socket,
            [
                libc::AF_NETLINK as u64,
                (libc::SOCK_RAW | libc::SOCK_CLOEXEC) as u64,
                libc::NETLINK_KOBJECT_UEVENT as u64,
                0,
                0,
                0,
            ],
        ),
    ];
    let mut skipped = Vec::new();
    for (name, nr, args) in checks {
        let unfiltered = call_in_child(None, nr, args)?;
        if unfiltered != Ended::Code(0) {
            // unshare(CLONE_NEWUSER) may be forbidden here (a sysctl, AppArmor).
            skipped.push(format!("{name} fails here unfiltered: {unfiltered:?}"));
        }
        ensure_eq!(
            call_in_child(Some(&program), nr, args)?,
            refused_with(CHOSEN),
            "{name}"
        );
    }
    // Other netlink sockets stay allowed.
    let route = [
        libc::AF_NETLINK as u64,
        (libc::SOCK_RAW | libc::SOCK_CLOEXEC) as u64,
        libc::NETLINK_ROUTE as u64,
        0,
        0,
        0,
    ];
    ensure_eq!(
        call_in_child(Some(&program), libc::SYS_socket, route)?,
        Ended::Code(0)
    );
    if !skipped.is_empty() {
        skip!("refused filtered, but {}", skipped.join("; "));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Actions.

/// Under `action`, a refused call (`keyctl`) ends the child by `SIGSYS`, and an allowed
/// one (`getppid`) does not.
fn refused_call_ends_with_sigsys(action: Action) -> TestResult {
    let program = compile(Filter::default_deny().action(action))?;
    let end = call_in_child(
        Some(&program),
        libc::SYS_keyctl,
        [0, -2i64 as u64, 0, 0, 0, 0],
    )?;
    ensure_eq!(end, Ended::Signal(libc::SIGSYS), "{action:?}");
    let end = call_in_child(Some(&program), libc::SYS_getppid, [0; 6])?;
    ensure_eq!(end, Ended::Code(0), "an allowed call under {action:?}");
    Ok(())
}

fn seccomp_kill_process_action_kills_with_sigsys() -> TestResult {
    refused_call_ends_with_sigsys(Action::KillProcess)
}

fn seccomp_trap_action_without_handler_ends_with_sigsys() -> TestResult {
    // No handler for SIGSYS: the trap ends the process like a kill.
    refused_call_ends_with_sigsys(Action::Trap)
}

fn seccomp_log_action_lets_the_call_run() -> TestResult {
    let program = compile(Filter::default_deny().action(Action::Log))?;
    let args = [0, -3i64 as u64, 1, 0, 0, 0];
    ensure_eq!(call_in_child(None, libc::SYS_keyctl, args)?, Ended::Code(0));
    ensure_eq!(
        call_in_child(Some(&program), libc::SYS_keyctl, args)?,
        Ended::Code(0)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Other ABIs.

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
fn seccomp_i386_call_of_a_refused_syscall_kills_the_process() -> TestResult {
    // Without a filter: does this kernel run i386 calls at all?
    let end = fork_and_wait(|| {
        let pid = int80(I386_GETPID, 0);
        i32::from(pid != rustix::process::getpid().as_raw_nonzero().get())
    })?;
    match end {
        Ended::Code(0) => {}
        Ended::Signal(sig) => {
            skip!("no IA32 emulation in this kernel (int 0x80 ends with signal {sig} unfiltered)")
        }
        Ended::Code(_) => fail!("i386 getpid returned something else than the pid"),
    }
    let program = compile(Filter::default_deny())?;
    for (name, nr, arg) in [
        (
            "unshare(CLONE_NEWUSER)",
            I386_UNSHARE,
            libc::CLONE_NEWUSER as u32,
        ),
        ("getpid", I386_GETPID, 0),
    ] {
        let end = fork_and_wait(|| {
            if program.install().is_err() {
                return INSTALL_FAILED;
            }
            let r = int80(nr, arg);
            eprintln!("i386 {name} returned {r} under the filter");
            1
        })?;
        ensure_eq!(end, Ended::Signal(libc::SIGSYS), "i386 {name}");
    }
    Ok(())
}

#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
fn seccomp_i386_call_of_a_refused_syscall_kills_the_process() -> TestResult {
    skip!("i386 calls exist only on x86_64")
}

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
fn seccomp_x32_call_of_a_refused_syscall_is_refused() -> TestResult {
    const X32: c_long = 0x4000_0000;
    let program = compile(Filter::default_deny().action(Action::Errno(CHOSEN)))?;
    let newuser = [libc::CLONE_NEWUSER as u64, 0, 0, 0, 0, 0];
    let keyring = [0, -3i64 as u64, 1, 0, 0, 0];
    for (name, nr, args) in [
        ("unshare", libc::SYS_unshare | X32, newuser),
        ("keyctl", libc::SYS_keyctl | X32, keyring),
    ] {
        // Unfiltered: ENOSYS where the kernel has no x32 ABI, else the call runs.
        let unfiltered = call_in_child(None, nr, args)?;
        println!("    x32 {name} unfiltered: {unfiltered:?}");
        ensure!(unfiltered != refused_with(CHOSEN), "x32 {name} unfiltered");
        ensure_eq!(
            call_in_child(Some(&program), nr, args)?,
            refused_with(CHOSEN),
            "x32 {name}"
        );
    }
    Ok(())
}

#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
fn seccomp_x32_call_of_a_refused_syscall_is_refused() -> TestResult {
    skip!("x32 calls exist only on x86_64")
}

// ---------------------------------------------------------------------------------------
// Setuid files.

/// `chmod` where the architecture has it, else `fchmodat(AT_FDCWD, ...)`.
fn chmod(path: &CString, mode: u64) -> Result<c_long, Errno> {
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    return syscall(libc::SYS_chmod, [ptr(path), mode, 0, 0, 0, 0]);
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    return syscall(
        libc::SYS_fchmodat,
        [libc::AT_FDCWD as i64 as u64, ptr(path), mode, 0, 0, 0],
    );
}

fn openat(path: &CString, flags: i32, mode: u64) -> Result<c_long, Errno> {
    let r = syscall(
        libc::SYS_openat,
        [
            libc::AT_FDCWD as i64 as u64,
            ptr(path),
            (flags | libc::O_CLOEXEC) as u64,
            mode,
            0,
            0,
        ],
    );
    if let Ok(fd) = r {
        // SAFETY: closes the descriptor just opened, which nothing else owns.
        unsafe { libc::close(fd as i32) };
    }
    r
}

fn seccomp_setid_modes_are_refused_and_plain_modes_work() -> TestResult {
    let dir = test_support::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").map_err(test_support::failed)?;
    let (file_c, created_c) = (cstring(&file)?, cstring(dir.path().join("created"))?);
    let setuid_c = cstring(dir.path().join("setuid"))?;
    let subdir = dir.path().join("shared");
    let subdir_c = cstring(&subdir)?;
    let program = compile(Filter::default_deny())?;
    in_child(|| {
        program.install()?;
        ensure_eq!(chmod(&file_c, 0o4755), Err(Errno::PERM), "chmod 4755");
        ensure_eq!(chmod(&file_c, 0o2755), Err(Errno::PERM), "chmod 2755");
        let creat = libc::O_CREAT | libc::O_WRONLY;
        ensure_eq!(
            openat(&setuid_c, creat, 0o4755),
            Err(Errno::PERM),
            "open(O_CREAT, 04755)"
        );
        ensure!(
            !Path::new(std::ffi::OsStr::from_bytes(setuid_c.as_bytes())).exists(),
            "the setuid file was made"
        );
        ensure_eq!(chmod(&file_c, 0o755), Ok(0), "chmod 755");
        ensure_eq!(
            chmod(&file_c, 0o2644),
            Ok(0),
            "chmod 2644 (no group execute)"
        );
        ensure!(
            openat(&created_c, creat, 0o644).is_ok(),
            "open(O_CREAT, 0644)"
        );
        // The mode register is ignored without O_CREAT: garbage there is no refusal.
        ensure!(
            openat(&file_c, libc::O_RDONLY, 0o4755).is_ok(),
            "open(O_RDONLY) with mode bits"
        );
        let mkdir = syscall(
            libc::SYS_mkdirat,
            [
                libc::AT_FDCWD as i64 as u64,
                ptr(&subdir_c),
                0o2775,
                0,
                0,
                0,
            ],
        );
        ensure_eq!(mkdir, Ok(0), "mkdir 02775");
        Ok(())
    })?;
    ensure_eq!(mode_of(&file)?, 0o2644);
    ensure!(subdir.is_dir(), "mkdir 02775 made no directory");
    Ok(())
}

fn seccomp_allowed_back_fchmodat_makes_a_setuid_file() -> TestResult {
    let dir = test_support::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").map_err(test_support::failed)?;
    let file_c = cstring(&file)?;
    let program = compile(Filter::default_deny().allow("fchmodat")?)?;
    in_child(|| {
        program.install()?;
        let at = libc::AT_FDCWD as i64 as u64;
        let r = syscall(libc::SYS_fchmodat, [at, ptr(&file_c), 0o4755, 0, 0, 0]);
        ensure_eq!(r, Ok(0), "fchmodat 04755 allowed back");
        // The other setid paths stay refused.
        let f = std::fs::File::open(Path::new(std::ffi::OsStr::from_bytes(file_c.as_bytes())))
            .map_err(test_support::failed)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&f) as u64;
        ensure_eq!(
            syscall(libc::SYS_fchmod, [fd, 0o4755, 0, 0, 0, 0]),
            Err(Errno::PERM),
            "fchmod"
        );
        #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
        ensure_eq!(chmod(&file_c, 0o4755), Err(Errno::PERM), "chmod");
        Ok(())
    })?;
    ensure_eq!(mode_of(&file)?, 0o4755);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// An allowlist.

/// What the workload of the allowlist scenario (and Rust's std, glibc and the harness)
/// calls.
#[rustfmt::skip]
const ALLOWLIST: &[&str] = &[
    // memory
    "brk", "mmap", "munmap", "mprotect", "madvise", "mremap",
    // files
    "read", "write", "readv", "writev", "pread64", "pwrite64", "openat", "open", "close",
    "fstat", "newfstatat", "statx", "lseek", "fsync", "unlinkat", "unlink", "fcntl",
    "getdents64", "ioctl",
    // threads and signals
    "clone", "set_robust_list", "rseq", "futex", "sched_yield", "sched_getaffinity",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "gettid", "getpid",
    "tgkill", "exit", "exit_group", "prctl", "getrandom", "clock_gettime", "clock_nanosleep",
    "nanosleep",
    // sockets, epoll
    "socketpair", "sendmsg", "recvmsg", "sendto", "recvfrom", "epoll_create1", "epoll_ctl",
    "epoll_pwait", "epoll_wait", "poll", "ppoll",
    // processes
    "wait4", "waitid",
];

fn seccomp_allowlist_runs_threads_files_sockets_epoll_and_fork() -> TestResult {
    let dir = test_support::temp_dir()?;
    let path = dir.path().join("data");
    let program = compile(Filter::allow_only(ALLOWLIST)?)?;
    in_child(|| {
        program.install()?;
        daemon_workload(&path)?;
        // Something outside the list.
        ensure_eq!(
            syscall(libc::SYS_getppid, [0; 6]),
            Err(Errno::PERM),
            "getppid"
        );
        Ok(())
    })
}

fn seccomp_unknown_syscall_name_is_refused_at_build() -> TestResult {
    match Filter::allow_only(["read", "write", "frobnicate"]) {
        Err(Error::UnknownSyscall { name }) => ensure_eq!(name, "frobnicate"),
        other => fail!("want UnknownSyscall, got {other:?}"),
    }
    match Filter::default_deny().allow("kexec") {
        Err(Error::UnknownSyscall { name }) => ensure_eq!(name, "kexec"),
        other => fail!("want UnknownSyscall, got {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Installation.

fn seccomp_status_reports_filter_mode_after_install() -> TestResult {
    let before = status()?;
    println!("    before: {before:?}");
    let program = compile(Filter::default_deny())?;
    in_child(|| {
        program.install()?;
        let after = status()?;
        println!("    after: {after:?}");
        ensure_eq!(after.mode, SeccompMode::Filter);
        if let (Some(b), Some(a)) = (before.filters, after.filters) {
            ensure!(a > b, "filters {b} -> {a}");
        }
        Ok(())
    })
}

fn seccomp_none_installs_no_filter() -> TestResult {
    let before = status()?;
    in_child(|| {
        Filter::none().install()?;
        ensure_eq!(status()?, before);
        Ok(())
    })
}

fn no_new_privs() -> Result<bool, Fail> {
    let text = std::fs::read_to_string("/proc/self/status").map_err(test_support::failed)?;
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("NoNewPrivs:"))
        .ok_or_else(|| test_support::failed("no NoNewPrivs line"))?;
    Ok(value.trim() == "1")
}

fn seccomp_no_new_privs_is_set_only_without_cap_sys_admin() -> TestResult {
    if no_new_privs()? {
        skip!("no_new_privs is already set for this process");
    }
    let caps = rustix::thread::capabilities(None).map_err(test_support::failed)?;
    let admin = caps
        .effective
        .contains(rustix::thread::CapabilitySet::SYS_ADMIN);
    let program = compile(Filter::default_deny())?;
    in_child(|| {
        program.install()?;
        ensure_eq!(
            no_new_privs()?,
            !admin,
            "no_new_privs with CAP_SYS_ADMIN {admin}"
        );
        Ok(())
    })
}

fn seccomp_every_thread_gets_the_filter() -> TestResult {
    let program = compile(Filter::default_deny())?;
    in_child(|| {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = go_rx.recv();
            syscall(libc::SYS_keyctl, [0, -3i64 as u64, 1, 0, 0, 0])
        });
        program.install()?;
        let _ = go_tx.send(());
        let r = thread
            .join()
            .map_err(|_| test_support::failed("thread panicked"))?;
        ensure_eq!(
            r,
            Err(Errno::PERM),
            "keyctl in the thread started before install"
        );
        Ok(())
    })
}

fn seccomp_threads_start_under_the_default_list() -> TestResult {
    let program = compile(Filter::default_deny())?;
    in_child(|| {
        program.install()?;
        // glibc tries clone3 first, gets ENOSYS, and falls back to clone.
        let t = std::thread::spawn(|| 40 + 2);
        ensure_eq!(t.join().ok(), Some(42));
        ensure_eq!(
            syscall(libc::SYS_clone3, [0; 6]),
            Err(Errno::NOSYS),
            "clone3"
        );
        Ok(())
    })
}
