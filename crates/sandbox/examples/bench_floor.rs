//! The floor for `cargo xtask bench`: only the kernel's part of entering a default
//! sandbox over DIR, and exit. No checks, no handshake, no error reporting beyond the
//! first failed call, and (without `--hardened`) no hardening; not a sandbox anyone should
//! use.
//!
//! The same namespaces as the defaults of `sandbox` (a user namespace only when not
//! root, with the own uid and gid mapped to themselves; pid; then in the child mount,
//! network, IPC, UTS and cgroup), and the same mount work: `/` private, a fresh proc on
//! `/proc`, DIR bound onto itself with its submounts, `pivot_root(".", ".")`, the old root
//! detached. The original process waits for the child and exits with its status.
//!
//! `bench_floor DIR [--marks] [--fds N] [--hardened]`: with `--marks`, both processes
//! print the `CLOCK_MONOTONIC` time at which each step ended (`mark parent|child LABEL NS`
//! lines), for `cargo xtask bench --steps`. With `--fds N` the process opens N descriptors
//! first and leaves them open. With `--hardened` the child then makes, bare, the calls of
//! the hardening our defaults make, so that the kernel's price of that hardening can be
//! told from ours: a new session (`setsid`), a new session keyring, a Landlock ruleset
//! that handles every file-system right the kernel's Landlock knows and grants them all
//! beneath `/` (none without Landlock), every capability dropped from the bounding,
//! ambient, effective, permitted and inheritable sets, `no_new_privs`, and the default seccomp filter of `sandbox` (compiled before the
//! fork, as `build()` compiles it). No check of any answer beyond the call's success.

use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt;

/// The process's marks: step label and time.
struct Marks {
    on: bool,
    list: Vec<(&'static str, u64)>,
}

impl Marks {
    fn mark(&mut self, label: &'static str) {
        if self.on {
            self.list.push((label, now_ns()));
        }
    }

    /// Prints the marks with one write, tagged with `process`.
    fn print(&self, process: &str) {
        if !self.on {
            return;
        }
        let mut out = String::new();
        for (label, ns) in &self.list {
            let _ = writeln!(out, "mark {process} {label} {ns}");
        }
        let _ = std::io::stdout().write_all(out.as_bytes());
        let _ = std::io::stdout().flush();
    }
}

fn now_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the local variable.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

/// Ends the process with a message naming the failed call and its errno.
fn die(what: &str) -> ! {
    let err = std::io::Error::last_os_error();
    let _ = writeln!(std::io::stderr(), "bench_floor: {what}: {err}");
    // SAFETY: _exit ends the process at once, in either process.
    unsafe { libc::_exit(1) }
}

fn check(rc: libc::c_int, what: &str) {
    if rc != 0 {
        die(what);
    }
}

fn mount(src: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: libc::c_ulong) {
    let ptr = |s: Option<&CStr>| s.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: every pointer is a NUL-terminated string that lives through the call, or
    // null where mount(2) allows it; no data argument.
    let rc = unsafe {
        libc::mount(
            ptr(src),
            target.as_ptr(),
            ptr(fstype),
            flags,
            std::ptr::null(),
        )
    };
    check(rc, "mount");
}

/// Opens `n` copies of `/dev/null`, not close-on-exec, and leaves them open: what the
/// floor does with them is what the kernel does (fork copies the table, exit closes it).
/// Raises the soft `RLIMIT_NOFILE` to the hard one if needed.
fn open_descriptors(n: usize) {
    if n == 0 {
        return;
    }
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read or fill one local struct.
    unsafe {
        check(
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit),
            "getrlimit",
        );
        if limit.rlim_cur < n as libc::rlim_t + 64 {
            limit.rlim_cur = limit.rlim_max;
            check(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), "setrlimit");
        }
    }
    // SAFETY: open reads a NUL-terminated literal; dup takes an integer.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null < 0 {
            die("open /dev/null");
        }
        for _ in 1..n {
            if libc::dup(null) < 0 {
                die("dup");
            }
        }
    }
}

/// Landlock's `struct landlock_ruleset_attr` (ABI 4 and later; the scopes of ABI 6).
#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

/// Landlock's `struct landlock_path_beneath_attr` (packed in the kernel's header).
#[repr(C, packed)]
struct PathBeneath {
    allowed_access: u64,
    parent_fd: i32,
}

const LANDLOCK_RULE_PATH_BENEATH: libc::c_int = 1;
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_int = 1;

/// Every file-system right of Landlock ABI `abi`: `EXECUTE` to `MAKE_SYM` (1), `REFER`
/// (2), `TRUNCATE` (3), `IOCTL_DEV` (5); none without Landlock.
fn landlock_fs_rights(abi: libc::c_long) -> u64 {
    match abi {
        ..=0 => 0,
        1 => (1 << 13) - 1,
        2 => (1 << 14) - 1,
        3 | 4 => (1 << 15) - 1,
        _ => (1 << 16) - 1,
    }
}

/// The kernel's part of the hardening of our defaults, bare (see the crate docs above).
/// Marks each step as ours names it.
fn harden(marks: &mut Marks, filter: &sandbox_seccomp::Program) {
    // SAFETY: setsid, keyctl, prctl and syscall take integers, or pointers to the local
    // structs and NUL-terminated literals below, which live through each call.
    unsafe {
        if libc::setsid() < 0 {
            die("setsid");
        }
        marks.mark("hardening");
        let null = std::ptr::null::<libc::c_char>();
        if libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, null) < 0 {
            die("keyctl");
        }
        marks.mark("keyring");
        // Best effort, as ours: the rights this kernel's Landlock knows, or none.
        let null_attr = std::ptr::null::<RulesetAttr>();
        let abi = libc::syscall(
            libc::SYS_landlock_create_ruleset,
            null_attr,
            0,
            LANDLOCK_CREATE_RULESET_VERSION,
        );
        let rights = landlock_fs_rights(abi);
        if rights != 0 {
            let attr = RulesetAttr {
                handled_access_fs: rights,
                handled_access_net: 0,
                scoped: 0,
            };
            let size = std::mem::size_of::<RulesetAttr>();
            let ruleset = libc::syscall(libc::SYS_landlock_create_ruleset, &attr, size, 0);
            if ruleset < 0 {
                die("landlock_create_ruleset");
            }
            let root = libc::open(c"/".as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            if root < 0 {
                die("open /");
            }
            let beneath = PathBeneath {
                allowed_access: rights,
                parent_fd: root,
            };
            let rule = libc::syscall(
                libc::SYS_landlock_add_rule,
                ruleset,
                LANDLOCK_RULE_PATH_BENEATH,
                &beneath,
                0,
            );
            check(rule as libc::c_int, "landlock_add_rule");
            check(
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
                "no_new_privs",
            );
            let restrict = libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0);
            check(restrict as libc::c_int, "landlock_restrict_self");
            libc::close(root);
            libc::close(ruleset as libc::c_int);
        }
        marks.mark("landlock");
        // Every capability this kernel has: the drop of the first number past the last
        // fails with EINVAL.
        for cap in 0..64 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                match *libc::__errno_location() {
                    libc::EINVAL => break,
                    _ => die("PR_CAPBSET_DROP"),
                }
            }
        }
        let clear_all = libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong;
        check(
            libc::prctl(libc::PR_CAP_AMBIENT, clear_all, 0, 0, 0),
            "PR_CAP_AMBIENT",
        );
        // `struct __user_cap_header_struct` (version 3) and two empty data structs.
        let header: [u32; 2] = [0x2008_0522, 0];
        let data = [0u32; 6];
        let set = libc::syscall(libc::SYS_capset, header.as_ptr(), data.as_ptr());
        check(set as libc::c_int, "capset");
        marks.mark("capabilities");
    }
    if let Err(e) = filter.install() {
        eprintln!("bench_floor: seccomp: {e}");
        // SAFETY: _exit ends the process at once.
        unsafe { libc::_exit(1) }
    }
    marks.mark("seccomp");
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench_floor DIR [--marks] [--fds N] [--hardened]");
        std::process::exit(2);
    };
    let mut hardened = false;
    let mut marks = Marks {
        on: false,
        list: Vec::with_capacity(16),
    };
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--marks") => marks.on = true,
            Some("--hardened") => hardened = true,
            Some("--fds") => {
                let n = args.next().and_then(|n| n.to_str()?.parse().ok());
                open_descriptors(n.unwrap_or_else(|| die("--fds takes a number")));
            }
            _ => die("usage: bench_floor DIR [--marks] [--fds N] [--hardened]"),
        }
    }
    marks.mark("main");
    let dir = CString::new(dir.as_bytes()).unwrap_or_else(|_| die("DIR holds a NUL byte"));
    // The filter of a default sandbox: `sandbox`'s default deny list, which lets the
    // sandbox's own `write` and `close` through.
    let filter = hardened.then(|| {
        sandbox::Filter::default_deny()
            .allow("write")
            .and_then(|f| f.allow("close"))
            .and_then(|f| f.compile())
            .unwrap_or_else(|e| {
                eprintln!("bench_floor: the default filter: {e}");
                std::process::exit(1)
            })
    });
    marks.mark("build");

    // SAFETY: geteuid, getegid and unshare take and return integers.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let user = uid != 0;
    let flags = libc::CLONE_NEWPID | if user { libc::CLONE_NEWUSER } else { 0 };
    // SAFETY: as above; this process has one thread.
    check(unsafe { libc::unshare(flags) }, "unshare user/pid");
    marks.mark("unshare-parent");
    if user {
        let write = |file: &str, text: String| {
            if std::fs::write(file, text).is_err() {
                die(file);
            }
        };
        write("/proc/self/setgroups", "deny".into());
        write("/proc/self/gid_map", format!("{gid} {gid} 1\n"));
        write("/proc/self/uid_map", format!("{uid} {uid} 1\n"));
        marks.mark("write-id-maps");
    }

    // SAFETY: this process has one thread (nothing here starts one), so the child may run
    // any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        die("fork");
    }
    if pid == 0 {
        // The marks before the fork are the original process's.
        marks.list.clear();
        marks.mark("fork");
        let ns = libc::CLONE_NEWNS
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWCGROUP;
        // SAFETY: unshare takes an integer; the child has one thread.
        check(
            unsafe { libc::unshare(ns) },
            "unshare mount/net/ipc/uts/cgroup",
        );
        marks.mark("unshare-child");
        mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE);
        marks.mark("propagation");
        let proc_flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        mount(Some(c"proc"), c"/proc", Some(c"proc"), proc_flags);
        marks.mark("mount-proc");
        mount(Some(&dir), &dir, None, libc::MS_BIND | libc::MS_REC);
        marks.mark("bind-shared-dir");
        // SAFETY: chdir reads a NUL-terminated string; pivot_root and umount2 likewise.
        unsafe {
            check(libc::chdir(dir.as_ptr()), "chdir");
            check(
                libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as libc::c_int,
                "pivot_root",
            );
            check(libc::umount2(c".".as_ptr(), libc::MNT_DETACH), "umount2");
        }
        marks.mark("pivot-root");
        if let Some(filter) = &filter {
            harden(&mut marks, filter);
        }
        marks.print("child");
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(0) }
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked, into a local.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        die("waitpid");
    }
    marks.mark("waited");
    marks.print("parent");
    let code = match libc::WIFEXITED(status) {
        true => libc::WEXITSTATUS(status),
        false => 1,
    };
    std::process::exit(code);
}
