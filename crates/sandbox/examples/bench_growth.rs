//! How the cost of entering grows, for `cargo xtask bench`: with a shared directory that
//! holds many submounts made read-only, and with many descriptors open at entry.
//!
//! Submounts: a forked child makes two mount namespaces (in a user namespace of its own
//! when not root, mapping its ids to themselves), the second a copy of the first with
//! `--mounts` tmpfs mounted on the subdirectories of one directory, and times, in turns,
//! entering over that directory from each (each run joins one with `setns` before its
//! `exec`), so that the runs differ only by the submounts:
//! - `setattr`: `bench_enter DIR --read-only` (one recursive `mount_setattr(2)`);
//! - `walk`: `bench_enter DIR --read-only --mount-api legacy` (`mount(2)`: a remount of
//!   each mount, for read-only and again for `nodev`);
//! - `floor`: `bench_floor DIR` (the bare calls: binding the tree, no read-only);
//! - `bwrap`: the command after `--`, with `{}` replaced by the directory (bwrap
//!   `--ro-bind {} /`), with `--true PATH` copied into both directories (and an empty
//!   `proc` directory for bwrap's proc).
//!
//! Descriptors: `fds`, `bench_enter DIR --fds N`, against `floorfds`, `bench_floor DIR
//! --fds N` (which leaves them to the kernel), each also with none.
//!
//! Prints a line per round, then exactly one line of medians over the rounds, in ms:
//!
//! ```text
//! median_ms setattr_0=<f64> setattr_n=<f64> walk_0=<f64> walk_n=<f64> floor_0=<f64>
//!   floor_n=<f64> bwrap_0=<f64> bwrap_n=<f64> fds_0=<f64> fds_n=<f64> floorfds_0=<f64>
//!   floorfds_n=<f64>
//! ```
//!
//! (on one line; `_0` with no submounts or descriptors, `_n` with them; NaN for bwrap
//! without a peer), which `cargo xtask bench` reads.
//!
//! Usage: `bench_growth --enter PATH --floor PATH [--mounts N] [--fds N] [--rounds R]
//! [--true PATH -- BWRAP...]`

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::process::{Command, ExitCode};

use test_support::bench::{median, time_run};

const USAGE: &str = "usage: bench_growth --enter PATH --floor PATH [--mounts N] [--fds N] \
                     [--rounds R] [--true PATH -- BWRAP...]";

struct Options {
    enter: String,
    floor: String,
    mounts: usize,
    fds: usize,
    rounds: usize,
    true_exe: Option<String>,
    bwrap: Vec<String>,
}

fn parse() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut enter, mut floor, mut true_exe, mut bwrap) = (None, None, None, Vec::new());
    let (mut mounts, mut fds, mut rounds) = (1000usize, 10_000usize, 30usize);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} takes a value\n{USAGE}"))
        };
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{v:?}: {e}"));
        match arg.as_str() {
            "--enter" => enter = Some(value()?),
            "--floor" => floor = Some(value()?),
            "--true" => true_exe = Some(value()?),
            "--mounts" => mounts = number(value()?)?,
            "--fds" => fds = number(value()?)?,
            "--rounds" => rounds = number(value()?)?,
            "--" => bwrap.extend(args.by_ref()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let (Some(enter), Some(floor)) = (enter, floor) else {
        return Err(USAGE.into());
    };
    // The runs start in another mount namespace, where setns put the cwd at its root.
    let absolute = |p: String| {
        std::fs::canonicalize(&p)
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| format!("{p}: {e}"))
    };
    let (enter, floor) = (absolute(enter)?, absolute(floor)?);
    if rounds == 0 || mounts == 0 || fds == 0 {
        return Err("--rounds, --mounts and --fds must be positive".into());
    }
    if !bwrap.is_empty() && true_exe.is_none() {
        return Err(format!("a bwrap command needs --true\n{USAGE}"));
    }
    Ok(Options {
        enter,
        floor,
        mounts,
        fds,
        rounds,
        true_exe,
        bwrap,
    })
}

fn main() -> ExitCode {
    let result = parse().and_then(|options| {
        let dir = tempfile::Builder::new()
            .prefix("bench-growth-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        // Any uid must reach it (a user namespace maps only ours).
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .map_err(|e| format!("chmod {}: {e}", dir.path().display()))?;
        if let Some(t) = &options.true_exe {
            std::fs::copy(t, dir.path().join("true")).map_err(|e| format!("copy {t}: {e}"))?;
            // bwrap mounts its proc on a directory it cannot make in a read-only root.
            std::fs::create_dir(dir.path().join("proc")).map_err(|e| format!("mkdir proc: {e}"))?;
        }
        for i in 0..options.mounts {
            let d = dir.path().join(format!("m{i:04}"));
            std::fs::create_dir(&d).map_err(|e| format!("mkdir {}: {e}", d.display()))?;
        }
        // The mounts live in the child's own mount namespace: when it ends they go, and
        // the directories, never mount points here, are removed with the temp dir.
        in_child(|| measure(&options, dir.path()))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_growth: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `f` in a forked child and waits for it: Err unless it succeeded.
fn in_child(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    // SAFETY: this process has one thread (no thread is started before), so the child may
    // run any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        let code = match f() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("bench_growth: {e}");
                1
            }
        };
        // SAFETY: ends the child without the parent's exit handlers (the temp dirs are
        // the parent's to remove).
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked, into a local.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
    }
    match libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        true => Ok(()),
        false => Err("the measuring child failed (see above)".into()),
    }
}

/// Makes the two mount namespaces, and returns their descriptors: the first a copy of
/// the caller's with `/` private (in a user namespace of our own without root), the second
/// a copy of the first with a tmpfs on each subdirectory `m*` of `dir`.
fn make_namespaces(dir: &Path, count: usize) -> Result<(OwnedFd, OwnedFd), String> {
    let errno = || std::io::Error::last_os_error();
    let unshare = |flags| match unshare_raw(flags) {
        0 => Ok(()),
        _ => Err(format!("unshare {flags:#x}: {}", errno())),
    };
    let own_ns = || {
        std::fs::File::open("/proc/thread-self/ns/mnt")
            .map(OwnedFd::from)
            .map_err(|e| format!("open /proc/thread-self/ns/mnt: {e}"))
    };
    // SAFETY: geteuid and getegid take nothing and return integers.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let user = if uid == 0 { 0 } else { libc::CLONE_NEWUSER };
    unshare(libc::CLONE_NEWNS | user)?;
    if user != 0 {
        for (file, text) in [
            ("/proc/self/setgroups", "deny".to_owned()),
            ("/proc/self/gid_map", format!("{gid} {gid} 1")),
            ("/proc/self/uid_map", format!("{uid} {uid} 1")),
        ] {
            std::fs::write(file, text).map_err(|e| format!("write {file}: {e}"))?;
        }
    }
    mount(
        "none",
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
    )?;
    let without = own_ns()?;
    unshare(libc::CLONE_NEWNS)?;
    for i in 0..count {
        let d = dir.join(format!("m{i:04}"));
        mount("bench-growth", &d, Some("tmpfs"), libc::MS_NOSUID)?;
    }
    Ok((without, own_ns()?))
}

fn unshare_raw(flags: libc::c_int) -> libc::c_int {
    // SAFETY: unshare takes an integer; the callers' process has one thread.
    unsafe { libc::unshare(flags) }
}

fn mount(
    src: &str,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
) -> Result<(), String> {
    let c = |s: &str| std::ffi::CString::new(s).map_err(|e| e.to_string());
    let (src, fstype) = (c(src)?, fstype.map(c).transpose()?);
    let target_c = c(&target.to_string_lossy())?;
    // SAFETY: NUL-terminated strings that live through the call, or null.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            target_c.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |f| f.as_ptr()),
            flags,
            std::ptr::null(),
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(format!(
            "mount {}: {}",
            target.display(),
            std::io::Error::last_os_error()
        )),
    }
}

/// One timed thing: a name and its command line, `{}` standing for the directory, run in
/// the mount namespace `ns`.
struct Contender<'a> {
    name: &'static str,
    argv: Vec<String>,
    ns: BorrowedFd<'a>,
}

impl Contender<'_> {
    fn time(&self, dir: &Path) -> Result<f64, String> {
        use std::os::unix::process::CommandExt;
        let dir = dir.to_string_lossy();
        let argv: Vec<String> = self.argv.iter().map(|a| a.replace("{}", &dir)).collect();
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]);
        let ns = self.ns.as_raw_fd();
        // SAFETY: the closure runs in the forked child before exec and makes one system
        // call (setns on an integer), which is async-signal-safe; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || match libc::setns(ns, libc::CLONE_NEWNS) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            });
        }
        Ok(time_run(&mut cmd)?.as_secs_f64() * 1e3)
    }
}

fn measure(o: &Options, dir: &Path) -> Result<(), String> {
    let (without, with) = make_namespaces(dir, o.mounts)?;
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let fds = o.fds.to_string();
    let kinds: Vec<(&str, Vec<String>)> = [
        ("setattr", s(&[&o.enter, "{}", "--read-only"])),
        (
            "walk",
            s(&[&o.enter, "{}", "--read-only", "--mount-api", "legacy"]),
        ),
        ("floor", s(&[&o.floor, "{}"])),
    ]
    .into_iter()
    .chain((!o.bwrap.is_empty()).then(|| ("bwrap", o.bwrap.clone())))
    .collect();
    let mut contenders = Vec::new();
    for (name, argv) in &kinds {
        for ns in [without.as_fd(), with.as_fd()] {
            contenders.push(Contender {
                name,
                argv: argv.clone(),
                ns,
            });
        }
    }
    for (name, argv) in [
        ("fds", s(&[&o.enter, "{}"])),
        ("floorfds", s(&[&o.floor, "{}"])),
    ] {
        let mut with_fds = argv.clone();
        with_fds.extend(["--fds".to_owned(), fds.clone()]);
        for argv in [argv, with_fds] {
            contenders.push(Contender {
                name,
                argv,
                ns: without.as_fd(),
            });
        }
    }
    // contenders[2k] without, [2k + 1] with the submounts or descriptors.
    for c in &contenders {
        c.time(dir)?;
    }
    let mut times = vec![Vec::new(); contenders.len()];
    for round in 0..o.rounds {
        for j in 0..contenders.len() {
            let i = (round + j) % contenders.len();
            times[i].push(contenders[i].time(dir)?);
        }
        let mut line = format!("round {}/{}:", round + 1, o.rounds);
        for pair in (0..contenders.len()).step_by(2) {
            line += &format!(
                " {} {:.2}/{:.2} ms",
                contenders[pair].name,
                times[pair].last().unwrap_or(&f64::NAN),
                times[pair + 1].last().unwrap_or(&f64::NAN)
            );
        }
        println!("{line}");
    }
    let mut last = String::from("median_ms");
    for name in ["setattr", "walk", "floor", "bwrap", "fds", "floorfds"] {
        let found = contenders.iter().position(|c| c.name == name);
        for (k, suffix) in ["0", "n"].iter().enumerate() {
            let m = match found {
                Some(i) => median(&mut times[i + k]),
                None => f64::NAN,
            };
            last += &format!(" {name}_{suffix}={m:.3}");
        }
    }
    println!("{last}");
    Ok(())
}
