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
use tests::{ensure, ensure_eq, fail, in_child, skip, Fail, TestResult};

fn main() {
    tests::main(tests::scenarios![
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

/// The ioctl requests as u64 (`libc::Ioctl` is `c_ulong` on glibc, `c_int` on musl).
#[allow(clippy::unnecessary_cast)]
const TIOCSTI: u64 = libc::TIOCSTI as u64;
#[allow(clippy::unnecessary_cast)]
const TIOCLINUX: u64 = libc::TIOCLINUX as u64;

/// The errno a test filter answers with: one that none of the calls gives by itself, so
/// that seeing it proves the filter refused the call.
const CHOSEN: Errno = Errno::HWPOISON;

/// `fchmodat2` (Linux 6.6), missing from libc's aarch64 constants.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
const SYS_FCHMODAT2: c_long = libc::SYS_fchmodat2;
#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
const SYS_FCHMODAT2: c_long = 452;

/// Ends a forked child at once.
fn exit_now(code: i32) -> ! {
    // SAFETY: _exit ends the process; it takes no pointers.
    unsafe { libc::_exit(code) }
}

/// What a forked child came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Exited(i32),
    Signaled(i32),
}

/// Runs `body` in a forked child that exits with its return value, and says how it ended.
fn fork_and_wait(body: impl FnOnce() -> i32) -> Result<End, Fail> {
    // SAFETY: scenario processes are single-threaded when they call this, so the child
    // may run any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        fail!("fork: {}", std::io::Error::last_os_error());
    }
    if pid == 0 {
        exit_now(body());
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above; status is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    if r != pid {
        fail!("waitpid: {}", std::io::Error::last_os_error());
    }
    if libc::WIFSIGNALED(status) {
        Ok(End::Signaled(libc::WTERMSIG(status)))
    } else {
        Ok(End::Exited(libc::WEXITSTATUS(status)))
    }
}

/// Exit code of a child whose filter did not install.
const INSTALL_FAILED: i32 = 200;

/// A raw system call: its return value or errno.
fn syscall(nr: c_long, a: [u64; 6]) -> Result<c_long, Errno> {
    // SAFETY: every caller passes arguments that are valid for the call (pointers to live
    // memory of this process, or null/invalid values that the kernel rejects).
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r < 0 {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::INVAL))
    } else {
        Ok(r)
    }
}

/// A system call to make in a child, with the program to install first (if any). The
/// child exits 0 when the call succeeded and with the errno when it failed.
fn call_in_child(program: Option<&Program>, nr: c_long, args: [u64; 6]) -> Result<End, Fail> {
    fork_and_wait(|| {
        if let Some(p) = program {
            if let Err(e) = p.install() {
                eprintln!("install: {e}");
                return INSTALL_FAILED;
            }
        }
        match syscall(nr, args) {
            // A clone that went through: the new child leaves at once.
            Ok(0) if nr == libc::SYS_clone => exit_now(0),
            Ok(pid) if nr == libc::SYS_clone => {
                // SAFETY: reaps the child just cloned; a null status pointer is allowed.
                unsafe { libc::waitpid(pid as i32, std::ptr::null_mut(), libc::__WALL) };
                0
            }
            Ok(_) => 0,
            Err(e) => e.raw_os_error().min(255),
        }
    })
}

fn refused_with(errno: Errno) -> End {
    End::Exited(errno.raw_os_error())
}

fn compile(filter: Filter) -> Result<Program, Fail> {
    filter.compile().map_err(Fail::from)
}

fn cstring(path: &Path) -> Result<CString, Fail> {
    CString::new(path.as_os_str().as_bytes()).map_err(tests::failed)
}

fn ptr(s: &CString) -> u64 {
    s.as_ptr() as u64
}

fn mode_of(path: &Path) -> Result<u32, Fail> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)
        .map_err(|e| Fail::Failed(format!("stat {}: {e}", path.display())))?
        .permissions()
        .mode())
}

/// A call of the default list with harmless arguments, and what the filter must answer.
struct Case {
    name: &'static str,
    nr: c_long,
    args: [u64; 6],
    /// `ENOSYS` for `clone3`/`openat2`, else the chosen errno.
    refused: Errno,
}

/// Memory the cases point into; it must outlive the forks.
struct Scratch {
    _dir: tempfile::TempDir,
    file: CString,
    new_file: CString,
    missing: CString,
    missing2: CString,
    empty: CString,
    user: CString,
    fs_name: CString,
    timespec: libc::timespec,
    timex: libc::timex,
    open_how: [u64; 3],
    byte: u8,
}

fn scratch() -> Result<Box<Scratch>, Fail> {
    let dir = tests::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").map_err(tests::failed)?;
    Ok(Box::new(Scratch {
        file: cstring(&file)?,
        new_file: cstring(&dir.path().join("new"))?,
        missing: cstring(&dir.path().join("missing/a"))?,
        missing2: cstring(&dir.path().join("missing/b"))?,
        _dir: dir,
        empty: CString::default(),
        user: CString::new("user").map_err(tests::failed)?,
        fs_name: CString::new("no-such-fs-type").map_err(tests::failed)?,
        timespec: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        // SAFETY: timex is plain data; all zeros (modes 0) asks adjtimex only to read.
        timex: unsafe { std::mem::zeroed() },
        open_how: [libc::O_RDONLY as u64, 0, 0],
        byte: b'x',
    }))
}

fn default_cases(s: &Scratch) -> Vec<Case> {
    let chosen = CHOSEN;
    let bad_fd = u64::MAX; // -1
    let case = |name, nr, args| Case {
        name,
        nr,
        args,
        refused: chosen,
    };
    let create = (libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC) as u64;
    let at_fdcwd = libc::AT_FDCWD as i64 as u64;
    let mut cases = vec![
        case("keyctl", libc::SYS_keyctl, [0, -2i64 as u64, 0, 0, 0, 0]),
        case(
            "add_key",
            libc::SYS_add_key,
            [
                ptr(&s.user),
                ptr(&s.fs_name),
                ptr(&s.user),
                1,
                -2i64 as u64,
                0,
            ],
        ),
        case(
            "request_key",
            libc::SYS_request_key,
            [ptr(&s.user), ptr(&s.fs_name), 0, 0, 0, 0],
        ),
        case(
            "unshare",
            libc::SYS_unshare,
            [libc::CLONE_NEWUSER as u64, 0, 0, 0, 0, 0],
        ),
        case(
            "clone",
            libc::SYS_clone,
            [(libc::CLONE_NEWUSER | libc::SIGCHLD) as u64, 0, 0, 0, 0, 0],
        ),
        Case {
            name: "clone3",
            nr: libc::SYS_clone3,
            args: [0; 6],
            refused: Errno::NOSYS,
        },
        case(
            "init_module",
            libc::SYS_init_module,
            [0, 0, ptr(&s.empty), 0, 0, 0],
        ),
        case(
            "finit_module",
            libc::SYS_finit_module,
            [bad_fd, ptr(&s.empty), 0, 0, 0, 0],
        ),
        case(
            "delete_module",
            libc::SYS_delete_module,
            [ptr(&s.fs_name), libc::O_NONBLOCK as u64, 0, 0, 0, 0],
        ),
        // 1000 segments and an unknown flag: EINVAL (never an unload, which 0 segments is).
        case(
            "kexec_load",
            libc::SYS_kexec_load,
            [0, 1000, 0, 0x8000, 0, 0],
        ),
        case(
            "kexec_file_load",
            kexec_file_load_nr(),
            [bad_fd, bad_fd, 0, 0, 0x8000, 0],
        ),
        case("bpf", libc::SYS_bpf, [0xffff, 0, 0, 0, 0, 0]),
        case(
            "perf_event_open",
            libc::SYS_perf_event_open,
            [0, 0, bad_fd, bad_fd, 0, 0],
        ),
        case(
            "userfaultfd",
            libc::SYS_userfaultfd,
            [libc::O_CLOEXEC as u64, 0, 0, 0, 0, 0],
        ),
        case(
            "io_uring_setup",
            libc::SYS_io_uring_setup,
            [1, 0, 0, 0, 0, 0],
        ),
        case(
            "io_uring_enter",
            libc::SYS_io_uring_enter,
            [bad_fd, 0, 0, 0, 0, 0],
        ),
        case(
            "io_uring_register",
            libc::SYS_io_uring_register,
            [bad_fd, 0, 0, 0, 0, 0],
        ),
        case(
            "open_by_handle_at",
            libc::SYS_open_by_handle_at,
            [bad_fd, 0, 0, 0, 0, 0],
        ),
        case("mount", libc::SYS_mount, [0, 0, 0, 0, 0, 0]),
        case(
            "umount2",
            libc::SYS_umount2,
            [ptr(&s.missing), 0, 0, 0, 0, 0],
        ),
        case(
            "open_tree",
            libc::SYS_open_tree,
            [bad_fd, ptr(&s.missing), 0, 0, 0, 0],
        ),
        case(
            "move_mount",
            libc::SYS_move_mount,
            [bad_fd, ptr(&s.missing), bad_fd, ptr(&s.missing2), 0, 0],
        ),
        case("fsopen", libc::SYS_fsopen, [ptr(&s.fs_name), 0, 0, 0, 0, 0]),
        case("fsconfig", libc::SYS_fsconfig, [bad_fd, 0, 0, 0, 0, 0]),
        case("fsmount", libc::SYS_fsmount, [bad_fd, 0, 0, 0, 0, 0]),
        case(
            "fspick",
            libc::SYS_fspick,
            [bad_fd, ptr(&s.missing), 0, 0, 0, 0],
        ),
        case(
            "mount_setattr",
            libc::SYS_mount_setattr,
            [bad_fd, ptr(&s.missing), 0, 0, 0, 0],
        ),
        case(
            "pivot_root",
            libc::SYS_pivot_root,
            [ptr(&s.missing), ptr(&s.missing2), 0, 0, 0, 0],
        ),
        case("chroot", libc::SYS_chroot, [ptr(&s.missing), 0, 0, 0, 0, 0]),
        case("swapon", libc::SYS_swapon, [ptr(&s.missing), 0, 0, 0, 0, 0]),
        case(
            "swapoff",
            libc::SYS_swapoff,
            [ptr(&s.missing), 0, 0, 0, 0, 0],
        ),
        // Bad magic numbers: EINVAL.
        case("reboot", libc::SYS_reboot, [0, 0, 0, 0, 0, 0]),
        case("acct", libc::SYS_acct, [ptr(&s.missing), 0, 0, 0, 0, 0]),
        case(
            "quotactl",
            libc::SYS_quotactl,
            [u64::from(u32::MAX), 0, 0, 0, 0, 0],
        ),
        case("settimeofday", libc::SYS_settimeofday, [0, 0, 0, 0, 0, 0]),
        // CLOCK_MONOTONIC cannot be set: EINVAL.
        case(
            "clock_settime",
            libc::SYS_clock_settime,
            [
                libc::CLOCK_MONOTONIC as u64,
                &s.timespec as *const _ as u64,
                0,
                0,
                0,
                0,
            ],
        ),
        // modes 0: only reads the clock, which works unfiltered.
        case(
            "clock_adjtime",
            libc::SYS_clock_adjtime,
            [
                libc::CLOCK_REALTIME as u64,
                &s.timex as *const _ as u64,
                0,
                0,
                0,
                0,
            ],
        ),
        case(
            "adjtimex",
            libc::SYS_adjtimex,
            [&s.timex as *const _ as u64, 0, 0, 0, 0, 0],
        ),
        // SYSLOG_ACTION_SIZE_BUFFER: only reads the size.
        case("syslog", libc::SYS_syslog, [10, 0, 0, 0, 0, 0]),
        case(
            "ioctl TIOCSTI",
            libc::SYS_ioctl,
            [bad_fd, TIOCSTI, &s.byte as *const u8 as u64, 0, 0, 0],
        ),
        case(
            "ioctl TIOCLINUX",
            libc::SYS_ioctl,
            [bad_fd, TIOCLINUX, &s.byte as *const u8 as u64, 0, 0, 0],
        ),
        case(
            "socket NETLINK_KOBJECT_UEVENT",
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
        case(
            "fchmodat 04755",
            libc::SYS_fchmodat,
            [at_fdcwd, ptr(&s.file), 0o4755, 0, 0, 0],
        ),
        case(
            "fchmodat2 02755",
            SYS_FCHMODAT2,
            [at_fdcwd, ptr(&s.file), 0o2755, 0, 0, 0],
        ),
        // fd 0 is /dev/null or a terminal: fchmod would change it, were it allowed; the
        // descriptor below is the test file, opened in the child.
        case(
            "mknodat 04755",
            libc::SYS_mknodat,
            [
                at_fdcwd,
                ptr(&s.new_file),
                u64::from(libc::S_IFREG | 0o4755),
                0,
                0,
                0,
            ],
        ),
        case(
            "openat O_CREAT 04755",
            libc::SYS_openat,
            [at_fdcwd, ptr(&s.new_file), create, 0o4755, 0, 0],
        ),
        Case {
            name: "openat2",
            nr: libc::SYS_openat2,
            args: [at_fdcwd, ptr(&s.file), s.open_how.as_ptr() as u64, 24, 0, 0],
            refused: Errno::NOSYS,
        },
    ];
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    cases.extend([
        case(
            "chmod 04755",
            libc::SYS_chmod,
            [ptr(&s.file), 0o4755, 0, 0, 0, 0],
        ),
        case(
            "creat 02755",
            libc::SYS_creat,
            [ptr(&s.new_file), 0o2755, 0, 0, 0, 0],
        ),
        case(
            "mknod 04755",
            libc::SYS_mknod,
            [
                ptr(&s.new_file),
                u64::from(libc::S_IFREG | 0o4755),
                0,
                0,
                0,
                0,
            ],
        ),
        case(
            "open O_CREAT 04755",
            libc::SYS_open,
            [ptr(&s.new_file), create, 0o4755, 0, 0, 0],
        ),
    ]);
    cases
}

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
fn kexec_file_load_nr() -> c_long {
    libc::SYS_kexec_file_load
}

#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
fn kexec_file_load_nr() -> c_long {
    294
}

// ---------------------------------------------------------------------------------------
// The default list.

fn seccomp_every_default_call_is_refused_with_the_chosen_errno() -> TestResult {
    let s = scratch()?;
    let program = compile(Filter::default_deny().action(Action::Errno(CHOSEN)))?;
    let mut wrong = Vec::new();
    let mut cases = default_cases(&s);
    // fchmod needs a descriptor of the test file; open it here, the children inherit it.
    let file = std::fs::File::open(Path::new(std::ffi::OsStr::from_bytes(s.file.as_bytes())))
        .map_err(tests::failed)?;
    {
        use std::os::fd::AsRawFd;
        cases.push(Case {
            name: "fchmod 04755",
            nr: libc::SYS_fchmod,
            args: [file.as_raw_fd() as u64, 0o4755, 0, 0, 0, 0],
            refused: CHOSEN,
        });
    }
    for case in &cases {
        let unfiltered = call_in_child(None, case.nr, case.args)?;
        let filtered = call_in_child(Some(&program), case.nr, case.args)?;
        println!(
            "    {:<32} unfiltered {unfiltered:?}, filtered {filtered:?}",
            case.name
        );
        if filtered != refused_with(case.refused) || unfiltered == refused_with(case.refused) {
            wrong.push(format!(
                "{}: unfiltered {unfiltered:?}, filtered {filtered:?}, want {:?}",
                case.name, case.refused
            ));
        }
        // A call that went through unfiltered may have made the new file.
        let _ = std::fs::remove_file(Path::new(std::ffi::OsStr::from_bytes(
            s.new_file.as_bytes(),
        )));
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
        if unfiltered != End::Exited(0) {
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
        End::Exited(0)
    );
    if !skipped.is_empty() {
        skip!("refused filtered, but {}", skipped.join("; "));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Actions.

fn seccomp_kill_process_action_kills_with_sigsys() -> TestResult {
    let program = compile(Filter::default_deny().action(Action::KillProcess))?;
    let end = call_in_child(
        Some(&program),
        libc::SYS_keyctl,
        [0, -2i64 as u64, 0, 0, 0, 0],
    )?;
    ensure_eq!(end, End::Signaled(libc::SIGSYS));
    // An allowed call does not kill.
    let end = call_in_child(Some(&program), libc::SYS_getppid, [0; 6])?;
    ensure_eq!(end, End::Exited(0));
    Ok(())
}

fn seccomp_trap_action_without_handler_ends_with_sigsys() -> TestResult {
    let program = compile(Filter::default_deny().action(Action::Trap))?;
    let end = call_in_child(
        Some(&program),
        libc::SYS_keyctl,
        [0, -2i64 as u64, 0, 0, 0, 0],
    )?;
    ensure_eq!(end, End::Signaled(libc::SIGSYS));
    Ok(())
}

fn seccomp_log_action_lets_the_call_run() -> TestResult {
    let program = compile(Filter::default_deny().action(Action::Log))?;
    let args = [0, -3i64 as u64, 1, 0, 0, 0];
    ensure_eq!(call_in_child(None, libc::SYS_keyctl, args)?, End::Exited(0));
    ensure_eq!(
        call_in_child(Some(&program), libc::SYS_keyctl, args)?,
        End::Exited(0)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Other ABIs.

/// An i386 system call through `int 0x80` with one argument; returns eax.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
fn int80(nr: u32, arg1: u32) -> i32 {
    let ret: u32;
    // SAFETY: `int 0x80` enters the kernel's i386 entry; rbx (the first argument, which
    // LLVM reserves) is swapped in and restored around it; r8-r11, which the 32-bit entry
    // may clobber, are declared clobbered. The calls made (getpid, unshare) take no
    // pointers.
    unsafe {
        std::arch::asm!(
            "xchg {arg1}, rbx",
            "int 0x80",
            "xchg {arg1}, rbx",
            arg1 = inout(reg) u64::from(arg1) => _,
            inlateout("eax") nr => ret,
            in("ecx") 0u32,
            in("edx") 0u32,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    ret as i32
}

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
fn seccomp_i386_call_of_a_refused_syscall_kills_the_process() -> TestResult {
    const I386_GETPID: u32 = 20;
    const I386_UNSHARE: u32 = 310;
    // Without a filter: does this kernel run i386 calls at all?
    let end = fork_and_wait(|| {
        let pid = int80(I386_GETPID, 0);
        i32::from(pid != rustix::process::getpid().as_raw_nonzero().get())
    })?;
    match end {
        End::Exited(0) => {}
        End::Signaled(sig) => {
            skip!("no IA32 emulation in this kernel (int 0x80 ends with signal {sig} unfiltered)")
        }
        End::Exited(_) => fail!("i386 getpid returned something else than the pid"),
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
        ensure_eq!(end, End::Signaled(libc::SIGSYS), "i386 {name}");
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
    let dir = tests::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").map_err(tests::failed)?;
    let (file_c, created_c) = (cstring(&file)?, cstring(&dir.path().join("created"))?);
    let setuid_c = cstring(&dir.path().join("setuid"))?;
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
    ensure_eq!(mode_of(&file)? & 0o7777, 0o2644);
    ensure!(subdir.is_dir(), "mkdir 02775 made no directory");
    Ok(())
}

fn seccomp_allowed_back_fchmodat_makes_a_setuid_file() -> TestResult {
    let dir = tests::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").map_err(tests::failed)?;
    let file_c = cstring(&file)?;
    let program = compile(Filter::default_deny().allow("fchmodat")?)?;
    in_child(|| {
        program.install()?;
        let at = libc::AT_FDCWD as i64 as u64;
        let r = syscall(libc::SYS_fchmodat, [at, ptr(&file_c), 0o4755, 0, 0, 0]);
        ensure_eq!(r, Ok(0), "fchmodat 04755 allowed back");
        // The other setid paths stay refused.
        let f = std::fs::File::open(Path::new(std::ffi::OsStr::from_bytes(file_c.as_bytes())))
            .map_err(tests::failed)?;
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
    ensure_eq!(mode_of(&file)? & 0o7777, 0o4755);
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
    let dir = tests::temp_dir()?;
    let path = dir.path().join("data");
    let program = compile(Filter::allow_only(ALLOWLIST)?)?;
    in_child(|| {
        program.install()?;
        workload(&path)?;
        // Something outside the list.
        ensure_eq!(
            syscall(libc::SYS_getppid, [0; 6]),
            Err(Errno::PERM),
            "getppid"
        );
        Ok(())
    })
}

fn workload(path: &Path) -> TestResult {
    use std::io::{Read, Seek, Write};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::sync::{Arc, Condvar, Mutex};

    // Threads, waking each other through futexes.
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let pair = Arc::clone(&pair);
            std::thread::spawn(move || {
                let (lock, cvar) = &*pair;
                let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
                *n += i;
                cvar.notify_all();
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| tests::failed("a thread panicked"))?;
    }
    ensure_eq!(*pair.0.lock().unwrap_or_else(|e| e.into_inner()), 6);

    // Files.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(tests::failed)?;
    f.write_all(b"hello").map_err(tests::failed)?;
    f.sync_all().map_err(tests::failed)?;
    f.rewind().map_err(tests::failed)?;

    // Passing the file over a socket (SCM_RIGHTS), and reading it on the other side.
    let (a, b) = std::os::unix::net::UnixStream::pair().map_err(tests::failed)?;
    send_fd(a.as_raw_fd(), f.as_raw_fd())?;
    let received = recv_fd(b.as_raw_fd())?;
    // SAFETY: recv_fd returned a descriptor the kernel just installed for us.
    let mut g = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(received) });
    let mut text = String::new();
    g.read_to_string(&mut text).map_err(tests::failed)?;
    ensure_eq!(text, "hello");
    std::fs::remove_file(path).map_err(tests::failed)?;

    // epoll on the socket.
    (&a).write_all(b"!").map_err(tests::failed)?;
    // SAFETY: plain calls on descriptors of this process; `event` and `events` are valid
    // for the calls.
    let ready = unsafe {
        let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 7,
        };
        libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, b.as_raw_fd(), &mut event);
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 2];
        let n = libc::epoll_wait(ep, events.as_mut_ptr(), 2, 5000);
        libc::close(ep);
        (n, events[0].u64)
    };
    ensure_eq!(ready, (1, 7), "epoll_wait");

    // fork and wait.
    let end = fork_and_wait(|| 7)?;
    ensure_eq!(end, End::Exited(7), "forked child");
    Ok(())
}

fn send_fd(socket: i32, fd: i32) -> TestResult {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut buf = [0u64; 8];
    // SAFETY: msghdr is plain data; it is filled in below with pointers to live buffers,
    // and CMSG_* stay within `buf`, which is large enough for one descriptor.
    let r = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = buf.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(4) as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(4) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>(), fd);
        libc::sendmsg(socket, &msg, 0)
    };
    ensure_eq!(r, 1, "sendmsg: {}", std::io::Error::last_os_error());
    Ok(())
}

fn recv_fd(socket: i32) -> Result<i32, Fail> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut buf = [0u64; 8];
    // SAFETY: as in send_fd; the kernel writes at most msg_controllen bytes into `buf`.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = buf.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(4) as _;
        let r = libc::recvmsg(socket, &mut msg, libc::MSG_CMSG_CLOEXEC);
        ensure_eq!(r, 1, "recvmsg: {}", std::io::Error::last_os_error());
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        ensure!(!cmsg.is_null(), "no control message");
        ensure_eq!((*cmsg).cmsg_type, libc::SCM_RIGHTS);
        Ok(std::ptr::read_unaligned(
            libc::CMSG_DATA(cmsg).cast::<i32>(),
        ))
    }
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
    let text = std::fs::read_to_string("/proc/self/status").map_err(tests::failed)?;
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("NoNewPrivs:"))
        .ok_or_else(|| tests::failed("no NoNewPrivs line"))?;
    Ok(value.trim() == "1")
}

fn seccomp_no_new_privs_is_set_only_without_cap_sys_admin() -> TestResult {
    if no_new_privs()? {
        skip!("no_new_privs is already set for this process");
    }
    let caps = rustix::thread::capabilities(None).map_err(tests::failed)?;
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
            .map_err(|_| tests::failed("thread panicked"))?;
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
