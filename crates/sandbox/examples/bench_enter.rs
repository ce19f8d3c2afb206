//! One whole sandboxed run for `cargo xtask bench`: enter a sandbox over DIR, do nothing
//! inside, exit 0 at once (`_exit(2)`, as the floor's child does: both end the same way,
//! without the exit handlers, whose writes to pages shared with the original process
//! would cost copies that measure the program rather than the sandbox).
//!
//! `bench_enter DIR [pid-net] [--init] [--read-only] [--mount-api legacy] [--join-net FD] [--fds N]`:
//! - `pid-net`: only the pid and network namespaces (the defaults before IPC, UTS and
//!   cgroup joined them), to measure what those three cost;
//! - `--init`: the minimal init as pid 1 (`Builder::init(true)`), to measure its fork;
//! - `--read-only`: the shared directory and its submounts read-only; with
//!   `--mount-api legacy` through `mount(2)` (a remount of each mount) instead of one
//!   recursive `mount_setattr(2)`;
//! - `--join-net FD`: join the network namespace open at descriptor FD (inherited from
//!   the caller, e.g. a `SharedNetwork`'s) instead of making one;
//! - `--fds N`: open N more descriptors before entering (copies of `/dev/null`, not
//!   close-on-exec), which the sandbox closes inside; raises the soft `RLIMIT_NOFILE` to
//!   the hard one if needed.

use std::os::fd::{FromRawFd, OwnedFd};

use sandbox::{MountApi, Namespaces, Sandbox};

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("bench_enter: {msg}");
    std::process::exit(2);
}

/// Opens `n` copies of `/dev/null` and leaks them: the sandbox closes them inside.
fn open_descriptors(n: usize) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let want = n as u64 + 64;
    if limit.current.is_some_and(|c| c < want) {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            fail(format!("raise RLIMIT_NOFILE for {n} descriptors: {e}"));
        }
    }
    let null = std::fs::File::open("/dev/null").unwrap_or_else(|e| fail(e));
    for _ in 0..n {
        match rustix::io::dup(&null) {
            Ok(fd) => std::mem::forget(fd),
            Err(e) => fail(format!("dup: {e}")),
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        fail("usage: bench_enter DIR [pid-net] [--init] [--read-only] [--mount-api legacy] [--join-net FD] [--fds N]");
    };
    let mut builder = Sandbox::builder(dir);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(format!("{arg} takes a value")))
        };
        match arg.as_str() {
            "pid-net" => builder = builder.namespaces(Namespaces::PID | Namespaces::NET),
            "--init" => builder = builder.init(true),
            "--read-only" => builder = builder.read_only(true),
            "--mount-api" => match value().as_str() {
                "legacy" => builder = builder.mount_api(MountApi::Legacy),
                "new" => builder = builder.mount_api(MountApi::New),
                other => fail(format!("--mount-api {other:?}: legacy or new")),
            },
            "--join-net" => {
                let fd: i32 = value().parse().unwrap_or_else(|e| fail(e));
                // SAFETY: the caller passes a descriptor it left open for us, which
                // nothing else in this process owns.
                let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                builder = builder.join_net_namespace(fd);
            }
            "--fds" => open_descriptors(value().parse().unwrap_or_else(|e| fail(e))),
            other => fail(format!("unknown argument {other:?}")),
        }
    }
    match builder.build().and_then(Sandbox::confine) {
        // SAFETY: ends the sandboxed process at once; nothing of it needs flushing.
        Ok(_inside) => unsafe { libc::_exit(0) },
        Err(e) => {
            eprintln!("bench_enter: {e}");
            std::process::exit(1);
        }
    }
}
