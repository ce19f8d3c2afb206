//! The floor for `cargo xtask bench`: only the kernel's part of entering a default
//! sandbox over DIR, and exit. No checks, no handshake, no hardening, no error reporting
//! beyond the first failed call; not a sandbox anyone should use.
//!
//! The same namespaces as the defaults of `sandbox` (a user namespace only when not
//! root, with the own uid and gid mapped to themselves; pid; then in the child mount,
//! network, IPC, UTS and cgroup), and the same mount work: `/` private, a fresh proc on
//! `/proc`, DIR bound onto itself with its submounts, `pivot_root(".", ".")`, the old root
//! detached. The original process waits for the child and exits with its status.
//!
//! `bench_floor DIR [--marks]`: with `--marks`, both processes print the
//! `CLOCK_MONOTONIC` time at which each step ended (`mark parent|child LABEL NS` lines),
//! for `cargo xtask bench --steps`.

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

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench_floor DIR [--marks] [--fds N]");
        std::process::exit(2);
    };
    let mut marks = Marks {
        on: false,
        list: Vec::with_capacity(16),
    };
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--marks") => marks.on = true,
            Some("--fds") => {
                let n = args.next().and_then(|n| n.to_str()?.parse().ok());
                open_descriptors(n.unwrap_or_else(|| die("--fds takes a number")));
            }
            _ => die("usage: bench_floor DIR [--marks] [--fds N]"),
        }
    }
    marks.mark("main");
    let dir = CString::new(dir.as_bytes()).unwrap_or_else(|_| die("DIR holds a NUL byte"));

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
