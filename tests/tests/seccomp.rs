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

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use common::*;
use libc::c_long;
use sandbox::{Entered, Filter, Inside, Mode, Sandbox, SeccompAction};
use sandbox_seccomp::SeccompMode;
use tests::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    tests::main(tests::scenarios![
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

/// `AT_FDCWD` as a system call argument.
const AT_FDCWD: u64 = libc::AT_FDCWD as i64 as u64;
/// `-1` as a descriptor argument: `EBADF` for any call that gets past the filter.
const BAD_FD: u64 = u64::MAX;
/// `UFFD_USER_MODE_ONLY` (Linux 5.11): a userfaultfd that needs no privilege even with
/// `vm.unprivileged_userfaultfd` = 0, so that only the filter can answer `EPERM`.
const UFFD_USER_MODE_ONLY: u64 = 1;
/// `fchmodat2` (Linux 6.6), missing from libc's aarch64 constants.
#[cfg(target_arch = "x86_64")]
const SYS_FCHMODAT2: c_long = libc::SYS_fchmodat2;
#[cfg(not(target_arch = "x86_64"))]
const SYS_FCHMODAT2: c_long = 452;
/// `kexec_file_load`, missing from libc's aarch64 constants.
#[cfg(target_arch = "x86_64")]
const SYS_KEXEC_FILE_LOAD: c_long = libc::SYS_kexec_file_load;
#[cfg(not(target_arch = "x86_64"))]
const SYS_KEXEC_FILE_LOAD: c_long = 294;
/// The ioctl requests as u64 (`libc::Ioctl` is `c_ulong` on glibc, `c_int` on musl).
#[allow(clippy::unnecessary_cast)]
const TIOCSTI: u64 = libc::TIOCSTI as u64;
#[allow(clippy::unnecessary_cast)]
const TIOCLINUX: u64 = libc::TIOCLINUX as u64;

/// A raw system call: its return value, or the errno.
fn syscall(nr: c_long, a: [u64; 6]) -> Result<c_long, i32> {
    // SAFETY: every caller passes arguments valid for the call: pointers into live memory
    // of this process (C strings, structs of the right size), or null and invalid values
    // that the kernel rejects without touching memory.
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// The exit code that reports a call's result: 0 for success, else the errno.
fn code_of(r: Result<c_long, i32>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.clamp(1, 255),
    }
}

/// How a forked process ended, as a report value: the exit code (the errno of the call),
/// or `signal<N>`.
fn ended_text(ended: Ended) -> String {
    match ended {
        Ended::Code(c) => c.to_string(),
        Ended::Signal(s) => format!("signal{s}"),
    }
}

/// Forks, runs `f` in the child (which exits with what it returns) and says how it ended.
fn in_fork(f: impl FnOnce() -> i32) -> Result<Ended, Fail> {
    waitpid(fork_process(f)?)
}

/// The report value of a call refused with `errno`.
fn refused_text(errno: i32) -> String {
    errno.to_string()
}

fn cstring(s: &str) -> Result<CString, Fail> {
    CString::new(s).map_err(failed)
}

fn ptr(s: &CString) -> u64 {
    s.as_ptr() as u64
}

fn mode_of(path: &Path) -> Result<u32, Fail> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)
        .map_err(io_ctx(format!("stat {}", path.display())))?
        .permissions()
        .mode()
        & 0o7777)
}

/// Builds and enters `builder` in a forked process (a process enters only once), runs `f`
/// inside and returns its report.
fn report_from_inside(
    builder: sandbox::Builder,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> Result<String, Fail> {
    let (r, w) = pipe()?;
    tests::in_child(move || {
        let out = run_inside(builder, f)?;
        send(w, &out.report);
        Ok(())
    })?;
    Ok(receive(r))
}

/// A sysctl of the host, trimmed; `None` if it cannot be read.
fn sysctl(name: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/sys/{name}"))
        .ok()
        .map(|s| s.trim().to_owned())
}

// =======================================================================================
// The default list, call by call.

/// Memory the calls point into, made inside the sandbox before the forks. Paths are
/// those of the sandbox, whose root is the shared directory.
struct Scratch {
    file: CString,
    new_file: CString,
    missing: CString,
    missing2: CString,
    empty: CString,
    key_type: CString,
    key_name: CString,
    fs_name: CString,
    timespec: libc::timespec,
    timex: libc::timex,
    open_how: [u64; 3],
    uring_params: [u32; 30],
    byte: u8,
}

/// The file the chmod-style calls work on, made inside.
const FILE: &str = "/f";
/// The file the creating calls would make (removed after each call).
const NEW_FILE: &str = "/new";

impl Scratch {
    fn new() -> Result<Box<Scratch>, Fail> {
        Ok(Box::new(Scratch {
            file: cstring(FILE)?,
            new_file: cstring(NEW_FILE)?,
            missing: cstring("/missing/a")?,
            missing2: cstring("/missing/b")?,
            empty: CString::default(),
            key_type: cstring("user")?,
            key_name: cstring("sandbox-seccomp-test")?,
            fs_name: cstring("no-such-fs-type")?,
            timespec: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            // SAFETY: timex is plain data; all zeros (modes 0) only reads the clock.
            timex: unsafe { std::mem::zeroed() },
            open_how: [libc::O_RDONLY as u64, 0, 0],
            // struct io_uring_params: 120 bytes, all zero asks for nothing special.
            uring_params: [0; 30],
            byte: b'x',
        }))
    }
}

/// One call of the default list with arguments that do not fail with `EPERM` by
/// themselves (where the kernel allows that without capabilities).
struct Case {
    name: &'static str,
    nr: c_long,
    args: [u64; 6],
    /// What the default filter answers: `EPERM`, or `ENOSYS` for `clone3` and `openat2`.
    refused: i32,
    /// Whether, without the filter, the call answers anything but `EPERM` in a sandbox
    /// whose capabilities are dropped (else the scenario only notes it).
    differs: bool,
}

/// The calls of the default list. `fd` is a descriptor of [`FILE`] (for `fchmod`).
fn listed_calls(s: &Scratch, fd: u64) -> Vec<Case> {
    let eperm = libc::EPERM;
    // Differs without the filter / needs a capability the sandbox dropped.
    let call = |name, nr, args| Case {
        name,
        nr,
        args,
        refused: eperm,
        differs: true,
    };
    let privileged = |name, nr, args| Case {
        name,
        nr,
        args,
        refused: eperm,
        differs: false,
    };
    let create = (libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC) as u64;
    let setuid_file = u64::from(libc::S_IFREG | 0o4755);
    let timex = &s.timex as *const libc::timex as u64;
    let newuser = libc::CLONE_NEWUSER as u64;
    let uring_disabled = sysctl("kernel/io_uring_disabled").is_some_and(|v| v != "0");
    let dmesg_restricted = sysctl("kernel/dmesg_restrict").is_none_or(|v| v != "0");
    let mut cases = vec![
        // KEYCTL_GET_KEYRING_ID of the session keyring (the sandbox's fresh one).
        call("keyctl", libc::SYS_keyctl, [0, -3i64 as u64, 0, 0, 0, 0]),
        // A user key in the process keyring (made for the forked child, gone with it).
        call(
            "add_key",
            libc::SYS_add_key,
            [
                ptr(&s.key_type),
                ptr(&s.key_name),
                ptr(&s.key_type),
                4,
                -2i64 as u64,
                0,
            ],
        ),
        // No such key: ENOKEY.
        call(
            "request_key",
            libc::SYS_request_key,
            [ptr(&s.key_type), ptr(&s.key_name), 0, 0, 0, 0],
        ),
        // Works as root (no nested limit), ENOSPC under the sandbox's nested-userns limit.
        call("unshare", libc::SYS_unshare, [newuser, 0, 0, 0, 0, 0]),
        call(
            "clone",
            libc::SYS_clone,
            [newuser | libc::SIGCHLD as u64, 0, 0, 0, 0, 0],
        ),
        // A null struct: EINVAL.
        Case {
            name: "clone3",
            nr: libc::SYS_clone3,
            args: [0; 6],
            refused: libc::ENOSYS,
            differs: true,
        },
        privileged(
            "init_module",
            libc::SYS_init_module,
            [0, 0, ptr(&s.empty), 0, 0, 0],
        ),
        privileged(
            "finit_module",
            libc::SYS_finit_module,
            [BAD_FD, ptr(&s.empty), 0, 0, 0, 0],
        ),
        privileged(
            "delete_module",
            libc::SYS_delete_module,
            [ptr(&s.fs_name), libc::O_NONBLOCK as u64, 0, 0, 0, 0],
        ),
        // 1000 segments and an unknown flag: EINVAL, never a load.
        privileged(
            "kexec_load",
            libc::SYS_kexec_load,
            [0, 1000, 0, 0x8000, 0, 0],
        ),
        privileged(
            "kexec_file_load",
            SYS_KEXEC_FILE_LOAD,
            [BAD_FD, BAD_FD, 0, 0, 0x8000, 0],
        ),
        // BPF_PROG_LOAD with a null attr.
        privileged("bpf", libc::SYS_bpf, [5, 0, 0, 0, 0, 0]),
        privileged(
            "perf_event_open",
            libc::SYS_perf_event_open,
            [0, 0, BAD_FD, BAD_FD, 0, 0],
        ),
        call(
            "userfaultfd",
            libc::SYS_userfaultfd,
            [libc::O_CLOEXEC as u64 | UFFD_USER_MODE_ONLY, 0, 0, 0, 0, 0],
        ),
        Case {
            differs: !uring_disabled,
            ..call(
                "io_uring_setup",
                libc::SYS_io_uring_setup,
                [1, s.uring_params.as_ptr() as u64, 0, 0, 0, 0],
            )
        },
        call(
            "io_uring_enter",
            libc::SYS_io_uring_enter,
            [BAD_FD, 0, 0, 0, 0, 0],
        ),
        call(
            "io_uring_register",
            libc::SYS_io_uring_register,
            [BAD_FD, 0, 0, 0, 0, 0],
        ),
        privileged(
            "open_by_handle_at",
            libc::SYS_open_by_handle_at,
            [BAD_FD, 0, 0, 0, 0, 0],
        ),
        privileged("mount", libc::SYS_mount, [0, 0, 0, 0, 0, 0]),
        privileged(
            "umount2",
            libc::SYS_umount2,
            [ptr(&s.missing), 0, 0, 0, 0, 0],
        ),
        privileged(
            "open_tree",
            libc::SYS_open_tree,
            [BAD_FD, ptr(&s.missing), 0, 0, 0, 0],
        ),
        privileged(
            "move_mount",
            libc::SYS_move_mount,
            [BAD_FD, ptr(&s.missing), BAD_FD, ptr(&s.missing2), 0, 0],
        ),
        privileged("fsopen", libc::SYS_fsopen, [ptr(&s.fs_name), 0, 0, 0, 0, 0]),
        privileged("fsconfig", libc::SYS_fsconfig, [BAD_FD, 0, 0, 0, 0, 0]),
        privileged("fsmount", libc::SYS_fsmount, [BAD_FD, 0, 0, 0, 0, 0]),
        privileged(
            "fspick",
            libc::SYS_fspick,
            [BAD_FD, ptr(&s.missing), 0, 0, 0, 0],
        ),
        privileged(
            "mount_setattr",
            libc::SYS_mount_setattr,
            [BAD_FD, ptr(&s.missing), 0, 0, 0, 0],
        ),
        privileged(
            "pivot_root",
            libc::SYS_pivot_root,
            [ptr(&s.missing), ptr(&s.missing2), 0, 0, 0, 0],
        ),
        privileged("chroot", libc::SYS_chroot, [ptr(&s.file), 0, 0, 0, 0, 0]),
        privileged("swapon", libc::SYS_swapon, [ptr(&s.missing), 0, 0, 0, 0, 0]),
        privileged(
            "swapoff",
            libc::SYS_swapoff,
            [ptr(&s.missing), 0, 0, 0, 0, 0],
        ),
        // Bad magic numbers: EINVAL, never a reboot.
        privileged("reboot", libc::SYS_reboot, [0, 0, 0, 0, 0, 0]),
        privileged("acct", libc::SYS_acct, [0, 0, 0, 0, 0, 0]),
        privileged(
            "quotactl",
            libc::SYS_quotactl,
            [u64::from(u32::MAX), 0, 0, 0, 0, 0],
        ),
        privileged("settimeofday", libc::SYS_settimeofday, [0, 0, 0, 0, 0, 0]),
        // CLOCK_MONOTONIC cannot be set: EINVAL.
        call(
            "clock_settime",
            libc::SYS_clock_settime,
            [
                libc::CLOCK_MONOTONIC as u64,
                &s.timespec as *const libc::timespec as u64,
                0,
                0,
                0,
                0,
            ],
        ),
        // modes 0: only reads the clock.
        call(
            "clock_adjtime",
            libc::SYS_clock_adjtime,
            [libc::CLOCK_REALTIME as u64, timex, 0, 0, 0, 0],
        ),
        call("adjtimex", libc::SYS_adjtimex, [timex, 0, 0, 0, 0, 0]),
        // SYSLOG_ACTION_SIZE_BUFFER: open to all unless kernel.dmesg_restrict.
        Case {
            differs: !dmesg_restricted,
            ..call("syslog", libc::SYS_syslog, [10, 0, 0, 0, 0, 0])
        },
        // On a bad descriptor (EBADF unfiltered): the rule looks at the request only, and
        // a keystroke must never reach a terminal of the host should the filter fail.
        call(
            "ioctl TIOCSTI",
            libc::SYS_ioctl,
            [BAD_FD, TIOCSTI, &s.byte as *const u8 as u64, 0, 0, 0],
        ),
        call(
            "ioctl TIOCLINUX",
            libc::SYS_ioctl,
            [BAD_FD, TIOCLINUX, &s.byte as *const u8 as u64, 0, 0, 0],
        ),
        call(
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
        call(
            "socket AF_VSOCK",
            libc::SYS_socket,
            [
                libc::AF_VSOCK as u64,
                (libc::SOCK_STREAM | libc::SOCK_CLOEXEC) as u64,
                0,
                0,
                0,
                0,
            ],
        ),
        call(
            "socket AF_ALG",
            libc::SYS_socket,
            [
                libc::AF_ALG as u64,
                (libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC) as u64,
                0,
                0,
                0,
                0,
            ],
        ),
        call("setns", libc::SYS_setns, [BAD_FD, 0, 0, 0, 0, 0]),
        call("fchmod 04755", libc::SYS_fchmod, [fd, 0o4755, 0, 0, 0, 0]),
        call(
            "fchmodat 04755",
            libc::SYS_fchmodat,
            [AT_FDCWD, ptr(&s.file), 0o4755, 0, 0, 0],
        ),
        // ENOSYS before Linux 6.6: not EPERM either.
        call(
            "fchmodat2 04755",
            SYS_FCHMODAT2,
            [AT_FDCWD, ptr(&s.file), 0o4755, 0, 0, 0],
        ),
        call(
            "mknodat S_ISUID",
            libc::SYS_mknodat,
            [AT_FDCWD, ptr(&s.new_file), setuid_file, 0, 0, 0],
        ),
        call(
            "openat O_CREAT 04755",
            libc::SYS_openat,
            [AT_FDCWD, ptr(&s.new_file), create, 0o4755, 0, 0],
        ),
        Case {
            name: "openat2",
            nr: libc::SYS_openat2,
            args: [AT_FDCWD, ptr(&s.file), s.open_how.as_ptr() as u64, 24, 0, 0],
            refused: libc::ENOSYS,
            differs: true,
        },
    ];
    #[cfg(target_arch = "x86_64")]
    cases.extend([
        call(
            "chmod 04755",
            libc::SYS_chmod,
            [ptr(&s.file), 0o4755, 0, 0, 0, 0],
        ),
        call(
            "creat 04755",
            libc::SYS_creat,
            [ptr(&s.new_file), 0o4755, 0, 0, 0, 0],
        ),
        call(
            "open O_CREAT 04755",
            libc::SYS_open,
            [ptr(&s.new_file), create, 0o4755, 0, 0, 0],
        ),
        call(
            "mknod S_ISUID",
            libc::SYS_mknod,
            [ptr(&s.new_file), setuid_file, 0, 0, 0, 0],
        ),
    ]);
    cases
}

/// A call made in a forked child; a `clone` that went through leaves its new child at
/// once and reaps it.
fn call_in_fork(case: &Case) -> Result<Ended, Fail> {
    let (nr, args) = (case.nr, case.args);
    in_fork(move || match syscall(nr, args) {
        Ok(0) if nr == libc::SYS_clone => exit_now(0),
        Ok(pid) if nr == libc::SYS_clone => {
            // SAFETY: reaps the child just cloned; a null status pointer is allowed.
            unsafe { libc::waitpid(pid as i32, std::ptr::null_mut(), libc::__WALL) };
            0
        }
        r => code_of(r),
    })
}

/// Inside: makes [`FILE`], then every listed call in a forked child: `name=<result>`.
fn listed_calls_report() -> Result<String, Fail> {
    let file = std::fs::File::create(FILE).map_err(io_ctx(format!("create {FILE}")))?;
    let s = Scratch::new()?;
    let mut report = String::new();
    for case in listed_calls(&s, file.as_raw_fd() as u64) {
        let ended = call_in_fork(&case)?;
        report.push_str(&format!("{}={}\n", case.name, ended_text(ended)));
        // A creating call that went through made the new file: the next one needs it gone.
        let _ = std::fs::remove_file(NEW_FILE);
    }
    Ok(report)
}

fn default_sandbox_refuses_every_listed_call_that_works_without_the_filter() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let filtered = report_from_inside(Sandbox::builder(&shared), |_| listed_calls_report())?;
    let unfiltered = report_from_inside(Sandbox::builder(&shared).seccomp(Filter::none()), |_| {
        listed_calls_report()
    })?;
    let s = Scratch::new()?;
    let (mut wrong, mut eperm_anyway) = (Vec::new(), Vec::new());
    let eperm = refused_text(libc::EPERM);
    for case in listed_calls(&s, 0) {
        let with = need(&filtered, case.name)?;
        let without = need(&unfiltered, case.name)?;
        println!(
            "    {:<32} filtered {with:<4} unfiltered {without}",
            case.name
        );
        if with != refused_text(case.refused) {
            wrong.push(format!(
                "{}: filtered {with}, want {}",
                case.name, case.refused
            ));
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

/// i386 `getpid` and `unshare`.
#[cfg(target_arch = "x86_64")]
const I386_GETPID: u32 = 20;
#[cfg(target_arch = "x86_64")]
const I386_UNSHARE: u32 = 310;

/// A system call through the i386 entry (`int 0x80`) with one argument: the kernel's
/// return value (a negative errno on failure).
#[cfg(target_arch = "x86_64")]
fn int80(nr: u32, arg1: u32) -> i32 {
    let ret: u32;
    // SAFETY: `int 0x80` enters the kernel's i386 compat path, which reads eax and ebx
    // (the other argument registers are ignored by these calls), returns in eax and
    // clears r8-r11; rbx, which LLVM reserves, is swapped in and back around the call.
    // No memory of ours is touched.
    unsafe {
        std::arch::asm!(
            "xchg {arg:r}, rbx",
            "int 0x80",
            "xchg {arg:r}, rbx",
            arg = inout(reg) u64::from(arg1) => _,
            inlateout("eax") nr => ret,
            lateout("r8") _,
            lateout("r9") _,
            lateout("r10") _,
            lateout("r11") _,
        );
    }
    ret as i32
}

#[cfg(target_arch = "x86_64")]
fn i386_call_from_a_default_sandbox_kills_the_caller_with_sigsys() -> TestResult {
    no_core_dumps();
    // Unfiltered first: the kernel may lack IA32 emulation (CONFIG_IA32_EMULATION off,
    // or `ia32_emulation=false`), and then no i386 call gets to any filter.
    let probe = in_fork(|| {
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
        let ended = in_fork(|| {
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
        mode_of(&shared.join("f"))?,
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
        let keyctl = in_fork(|| code_of(syscall(libc::SYS_keyctl, [0, -3i64 as u64, 0, 0, 0, 0])))?;
        let getppid = in_fork(|| code_of(syscall(libc::SYS_getppid, [0; 6])))?;
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
    tests::in_child(move || {
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
    let before = in_fork(|| code_of(syscall(libc::SYS_unshare, newuser)))?;
    if before != Ended::Code(0) {
        skip!(
            "unshare(CLONE_NEWUSER) fails here without a filter: {}",
            ended_text(before)
        );
    }
    let (_top, shared) = shared_dir()?;
    tests::in_child(|| {
        let sandbox = Sandbox::builder(&shared).mode(Mode::None).build()?;
        let _inside = match sandbox.enter()? {
            Entered::Inside(inside) => inside,
            Entered::Parent(_) => fail!("Mode::None forked"),
        };
        ensure_eq!(
            syscall(libc::SYS_unshare, newuser),
            Err(libc::EPERM),
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
        daemon_workload()?;
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

/// Threads, a file, a descriptor passed over a socket pair, epoll, and a forked child.
fn daemon_workload() -> TestResult {
    use std::io::Seek;
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
        h.join().map_err(|_| failed("a thread panicked"))?;
    }
    ensure_eq!(
        *pair.0.lock().unwrap_or_else(|e| e.into_inner()),
        6,
        "threads"
    );

    // A file.
    let path = Path::new("/data");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(io_ctx("create /data"))?;
    f.write_all(b"hello").map_err(io_ctx("write /data"))?;
    f.sync_all().map_err(io_ctx("fsync /data"))?;
    f.rewind().map_err(io_ctx("rewind /data"))?;

    // The file passed over a socket pair (SCM_RIGHTS), and read on the other side.
    let (a, b) = std::os::unix::net::UnixStream::pair().map_err(io_ctx("socketpair"))?;
    send_fd(a.as_raw_fd(), f.as_raw_fd())?;
    let received = recv_fd(b.as_raw_fd())?;
    let mut text = String::new();
    std::fs::File::from(received)
        .read_to_string(&mut text)
        .map_err(io_ctx("read the received file"))?;
    ensure_eq!(text, "hello", "the file passed over the socket");
    std::fs::remove_file(path).map_err(io_ctx("unlink /data"))?;

    // epoll on the socket.
    (&a).write_all(b"!")
        .map_err(io_ctx("write to the socket"))?;
    // SAFETY: plain calls on descriptors of this process; `event` and `events` are valid
    // for the calls, and the epoll descriptor is closed once.
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

    // A forked helper, waited for.
    ensure_eq!(in_fork(|| 7)?, Ended::Code(7), "a forked child");
    Ok(())
}

/// Room for one descriptor's control message, aligned for `cmsghdr`.
type ControlBuffer = [u64; 8];

fn send_fd(socket: i32, fd: i32) -> TestResult {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut buf: ControlBuffer = [0; 8];
    // SAFETY: msghdr is plain data, filled in with pointers to live buffers; CMSG_* stay
    // within `buf`, which has room for one descriptor.
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

fn recv_fd(socket: i32) -> Result<OwnedFd, Fail> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut buf: ControlBuffer = [0; 8];
    // SAFETY: as in send_fd; the kernel writes at most msg_controllen bytes into `buf`,
    // and the descriptor it installed is ours to own.
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
        ensure_eq!((*cmsg).cmsg_type, libc::SCM_RIGHTS, "control message type");
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>());
        Ok(OwnedFd::from_raw_fd(fd))
    }
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
