//! Raw system calls for the seccomp tests, and the default deny list of `sandbox-seccomp`
//! call by call.
//!
//! A seccomp filter can never be removed, so a test makes every call that a filter may
//! refuse in a forked child ([`fork_and_wait`], [`call_in_fork`]) and looks at how the
//! child ended ([`Ended`]): the exit code is the call's errno (0 for success).
//!
//! [`listed_calls`] makes each call of the default list with the raw system call and
//! arguments that are harmless when it goes through (bad descriptors, missing paths, bad
//! magic numbers, read-only forms), so that a broken filter fails the test and not the
//! machine. The memory those arguments point into is a [`Scratch`].

use std::ffi::{CStr, CString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use libc::c_long;
use rustix::io::Errno;

use crate::{fail, failed, Fail};

/// `AT_FDCWD` as a system call argument.
pub const AT_FDCWD: u64 = libc::AT_FDCWD as i64 as u64;
/// `-1` as a descriptor argument: `EBADF` for any call that gets past the filter.
pub const BAD_FD: u64 = u64::MAX;
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

// ---------------------------------------------------------------------------------------
// Processes.

/// How a process ended, from a raw wait status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `exit(code)`.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
}

impl Ended {
    /// Decodes a wait status as `waitpid(2)` fills it in.
    pub fn from_wait_status(status: i32) -> Ended {
        if libc::WIFSIGNALED(status) {
            Ended::Signal(libc::WTERMSIG(status))
        } else {
            Ended::Code(libc::WEXITSTATUS(status))
        }
    }
}

/// Ends this process at once with `_exit(2)`: no unwinding, no exit handlers. Flushes
/// std's stdout buffer first, so that what a forked child printed is not lost; a fork
/// copies whatever the parent had not flushed yet too, so fork with nothing pending
/// (std's stdout flushes at each newline).
pub fn exit_now(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit(2) takes an integer and does not return.
    unsafe { libc::_exit(code) }
}

/// Waits for signals forever: what a child does that only a signal should end.
pub fn pause_forever() -> ! {
    loop {
        rustix::event::pause();
    }
}

/// Forks a process that runs `f` and `_exit`s with what it returns (101 if it panics).
/// Returns its pid.
///
/// The calling process must be single-threaded, as scenario processes are.
pub fn fork_process(f: impl FnOnce() -> i32) -> Result<i32, Fail> {
    // SAFETY: scenario processes are single-threaded, so the child may run any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        fail!("fork: {}", std::io::Error::last_os_error());
    }
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
        exit_now(code)
    }
    Ok(pid)
}

/// Waits for a child of this process.
pub fn waitpid(pid: i32) -> Result<Ended, Fail> {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child; status is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if r < 0 && e.raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        fail!("waitpid({pid}): {e}");
    }
    Ok(Ended::from_wait_status(status))
}

/// Forks, runs `f` in the child (which exits with what it returns) and says how it ended.
pub fn fork_and_wait(f: impl FnOnce() -> i32) -> Result<Ended, Fail> {
    waitpid(fork_process(f)?)
}

// ---------------------------------------------------------------------------------------
// Raw calls.

/// A raw system call: its return value, or the errno.
///
/// The caller passes arguments valid for the call: pointers into live memory of this
/// process (C strings, structs of the right size), or null and invalid values that the
/// kernel rejects without touching memory.
pub fn syscall(nr: c_long, a: [u64; 6]) -> Result<c_long, Errno> {
    // SAFETY: see above; every caller in the tests passes such arguments.
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        Err(Errno::from_io_error(&e).unwrap_or(Errno::INVAL))
    } else {
        Ok(r)
    }
}

/// The exit code that reports a call's result: 0 for success, else the errno.
pub fn code_of(r: Result<c_long, Errno>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.raw_os_error().clamp(1, 255),
    }
}

/// Makes a call in this process and returns [`code_of`] its result. A `clone` that went
/// through leaves its new child at once, and the caller reaps it.
pub fn make_call(nr: c_long, args: [u64; 6]) -> i32 {
    match syscall(nr, args) {
        Ok(0) if nr == libc::SYS_clone => exit_now(0),
        Ok(pid) if nr == libc::SYS_clone => {
            // SAFETY: reaps the child just cloned; a null status pointer is allowed.
            unsafe { libc::waitpid(pid as i32, std::ptr::null_mut(), libc::__WALL) };
            0
        }
        r => code_of(r),
    }
}

/// Makes a call (see [`make_call`]) in a forked child and says how the child ended.
pub fn call_in_fork(nr: c_long, args: [u64; 6]) -> Result<Ended, Fail> {
    fork_and_wait(|| make_call(nr, args))
}

/// A C string as a pointer argument; the string must outlive the call.
pub fn ptr(s: &CStr) -> u64 {
    s.as_ptr() as u64
}

/// A path as a C string.
pub fn cstring(path: impl AsRef<Path>) -> Result<CString, Fail> {
    CString::new(path.as_ref().as_os_str().as_bytes()).map_err(failed)
}

/// A sysctl of the host, trimmed; `None` if it cannot be read.
pub fn sysctl(name: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/sys/{name}"))
        .ok()
        .map(|s| s.trim().to_owned())
}

// ---------------------------------------------------------------------------------------
// The i386 entry.

/// `getpid` in the i386 system call table.
#[cfg(target_arch = "x86_64")]
pub const I386_GETPID: u32 = 20;
/// `unshare` in the i386 system call table.
#[cfg(target_arch = "x86_64")]
pub const I386_UNSHARE: u32 = 310;

/// A system call through the i386 entry (`int 0x80`) with one integer argument: the
/// kernel's return value (a negative errno on failure). A filter that checks the
/// architecture sees `AUDIT_ARCH_I386`; a kernel without IA32 emulation ends the process
/// with a signal.
#[cfg(target_arch = "x86_64")]
pub fn int80(nr: u32, arg1: u32) -> i32 {
    let ret: u32;
    // SAFETY: `int 0x80` enters the kernel's i386 compat path, which reads eax and ebx
    // (ecx and edx, the next arguments, are zero), returns in eax and clears r8-r11; rbx,
    // which LLVM reserves, is swapped in and back around the call. The argument is an
    // integer, never a pointer: no memory of ours is touched.
    unsafe {
        std::arch::asm!(
            "xchg {arg:r}, rbx",
            "int 0x80",
            "xchg {arg:r}, rbx",
            arg = inout(reg) u64::from(arg1) => _,
            inlateout("eax") nr => ret,
            in("ecx") 0u32,
            in("edx") 0u32,
            lateout("r8") _,
            lateout("r9") _,
            lateout("r10") _,
            lateout("r11") _,
        );
    }
    ret as i32
}

// ---------------------------------------------------------------------------------------
// The default list, call by call.

/// Memory the calls of [`listed_calls`] point into; it must outlive the forks. Boxed, so
/// that the pointers stay put.
pub struct Scratch {
    dir: PathBuf,
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

impl Scratch {
    /// Memory for calls on paths below `dir`: the file [`Scratch::file_path`] (which the
    /// caller makes before the calls: the chmod-style calls work on it), the file
    /// [`Scratch::new_file_path`] that the creating calls would make (the caller removes
    /// it after each call), and missing paths. Makes nothing itself.
    pub fn new(dir: &Path) -> Result<Box<Scratch>, Fail> {
        let dir = dir.to_path_buf();
        Ok(Box::new(Scratch {
            file: cstring(dir.join("f"))?,
            new_file: cstring(dir.join("new"))?,
            missing: cstring(dir.join("missing/a"))?,
            missing2: cstring(dir.join("missing/b"))?,
            dir,
            empty: CString::default(),
            key_type: c"user".to_owned(),
            key_name: c"sandbox-seccomp-test".to_owned(),
            fs_name: c"no-such-fs-type".to_owned(),
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

    /// The file the chmod-style calls work on (`f` in the directory).
    pub fn file_path(&self) -> PathBuf {
        self.dir.join("f")
    }

    /// The file the creating calls would make (`new` in the directory).
    pub fn new_file_path(&self) -> PathBuf {
        self.dir.join("new")
    }
}

/// What a filter answers a call of the default list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The filter's action: `EPERM` by default, or the errno a test chose.
    Action,
    /// `ENOSYS` whatever the action, so that libc falls back to an older call (`clone3`,
    /// `openat2`).
    Enosys,
}

impl Refusal {
    /// The errno a filter answers whose action refuses with `action`.
    pub fn errno(self, action: Errno) -> Errno {
        match self {
            Refusal::Action => action,
            Refusal::Enosys => Errno::NOSYS,
        }
    }
}

/// One call of the default list with arguments that do not fail with `EPERM` by
/// themselves (where the kernel allows that without capabilities).
pub struct Case {
    /// The call and what is special in its arguments (`fchmodat 04755`), unique in the
    /// list.
    pub name: &'static str,
    /// The system call number.
    pub nr: c_long,
    /// The arguments.
    pub args: [u64; 6],
    /// What the filter answers.
    pub refused: Refusal,
    /// Whether, without the filter, the call answers anything but `EPERM` in a sandbox
    /// whose capabilities are dropped.
    pub differs: bool,
}

/// The calls of the default list, on the paths of `s`. `fd` is a descriptor of
/// [`Scratch::file_path`] (for `fchmod`).
pub fn listed_calls(s: &Scratch, fd: u64) -> Vec<Case> {
    // Differs without the filter / needs a capability the sandbox dropped.
    let call = |name, nr, args| Case {
        name,
        nr,
        args,
        refused: Refusal::Action,
        differs: true,
    };
    let privileged = |name, nr, args| Case {
        name,
        nr,
        args,
        refused: Refusal::Action,
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
            refused: Refusal::Enosys,
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
        // A missing path: ENOENT where the call goes through (null would turn accounting off).
        privileged("acct", libc::SYS_acct, [ptr(&s.missing), 0, 0, 0, 0, 0]),
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
            "fchmodat2 02755",
            SYS_FCHMODAT2,
            [AT_FDCWD, ptr(&s.file), 0o2755, 0, 0, 0],
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
            refused: Refusal::Enosys,
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
            "creat 02755",
            libc::SYS_creat,
            [ptr(&s.new_file), 0o2755, 0, 0, 0, 0],
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
