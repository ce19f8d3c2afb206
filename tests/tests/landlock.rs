//! `Mode::Landlock` where namespaces are forbidden, and the in-place modes it shares its
//! steps with (`Mode::Chroot`): each scenario enters in a forked child of its own (an
//! in-place mode confines the calling process, and the scenario's temp dirs must still be
//! removed by an unconfined parent), attacks from inside, and asserts what the kernel
//! answered. The Landlock layer of the namespace mode is attacked in `defaults.rs`
//! (a late host mount under a read-only sandbox) and its failure in `sandbox.rs`.
//!
//! Run as root and as uid 65534; scenarios that need a Landlock ABI the kernel lacks skip
//! with the reason.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use common::*;
use rustix::fs::{Mode as FileMode, OFlags};
use sandbox::{Entered, Inside, LandlockEnforced, Mode, Sandbox};
use test_support::{ensure, ensure_eq, fail, failed, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        landlock_mode_enters_where_a_filter_refuses_unshare,
        landlock_mode_reads_and_writes_inside_and_nothing_outside,
        landlock_mode_read_only_refuses_every_write_inside,
        landlock_mode_refuses_tcp_connect,
        landlock_mode_refuses_signals_to_host_processes,
        landlock_mode_handle_reaches_no_proc_sys_and_no_capability_is_left,
        landlock_mode_refuses_a_kept_directory_outside,
        landlock_mode_is_refused_where_the_kernel_has_no_landlock,
        landlock_and_chroot_modes_prove_themselves_confined,
        namespace_mode_enters_without_landlock_and_says_so,
        namespace_mode_layer_refuses_a_kept_host_file_reopened_writable,
        chroot_mode_drops_every_capability_and_reaches_no_proc_sys,
        chroot_mode_landlock_layer_refuses_a_host_file_reopened_through_the_handle,
        chroot_mode_without_landlock_reopens_a_kept_host_file_writable,
    ]);
}

/// The Landlock ABI, or a skip when the kernel is older than `at_least`.
fn need_abi(at_least: u32, what: &str) -> Result<u32, Fail> {
    match sandbox::landlock_abi() {
        None => skip!("the kernel has no Landlock"),
        Some(abi) if abi < at_least => {
            skip!("{what} needs Landlock ABI {at_least}; the kernel has {abi}")
        }
        Some(abi) => Ok(abi),
    }
}

/// Forks; the child runs `setup` (an environment the test makes: a seccomp filter, ...),
/// enters the sandbox `builder` makes (in place: no fork of the sandbox's own), runs `f`
/// inside and sends its facts back over a kept pipe. Returns those facts.
fn in_place(
    setup: impl FnOnce() -> TestResult,
    builder: impl FnOnce() -> sandbox::Builder,
    f: impl FnOnce(&Inside) -> Result<String, Fail>,
) -> Result<String, Fail> {
    let (mut r, w) = pipe()?;
    let child = fork_process(move || {
        let mut w = w;
        let outcome = (|| {
            setup()?;
            let raw = w.as_raw_fd();
            let sandbox = builder().keep_fd(&w).build()?;
            match sandbox.enter()? {
                Entered::Inside(inside) => {
                    ensure!(w.as_raw_fd() == raw, "the kept pipe moved");
                    f(&inside)
                }
                Entered::Parent(_) => fail!("an in-place mode forked"),
            }
        })();
        let (msg, code) = verdict_message(outcome, 0);
        let _ = w.write_all(msg.as_bytes());
        code
    })?;
    let mut msg = String::new();
    r.read_to_string(&mut msg)
        .map_err(io_ctx("read the report"))?;
    let ended = waitpid(child);
    let Some(verdict) = read_verdict(&msg) else {
        fail!("the confined child sent {msg:?} and ended {ended:?}");
    };
    let facts = verdict?;
    ensure!(
        matches!(ended, Ok(Ended::Code(0))),
        "the confined child ended {ended:?}"
    );
    Ok(facts)
}

/// The errno of opening `path` with `flags` (0 for success).
fn open_errno(path: &Path, flags: OFlags) -> i32 {
    match rustix::fs::open(
        path,
        flags | OFlags::CLOEXEC,
        FileMode::from_raw_mode(0o600),
    ) {
        Ok(_) => 0,
        Err(e) => e.raw_os_error(),
    }
}

/// A shared directory with a file inside, and a host file beside it.
fn layout() -> Result<(tempfile::TempDir, PathBuf, PathBuf), Fail> {
    let (top, shared) = shared_dir()?;
    std::fs::write(shared.join("inside"), "in").map_err(io_ctx("write inside"))?;
    let host = top.path().join("host-secret");
    std::fs::write(&host, "host").map_err(io_ctx("write host-secret"))?;
    Ok((top, shared, host))
}

fn landlock_mode_enters_where_a_filter_refuses_unshare() -> TestResult {
    need_abi(1, "Mode::Landlock")?;
    let (_top, shared, host) = layout()?;
    let all =
        (libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWNET) as u32;
    let s = shared.clone();
    let facts = in_place(
        // As Docker's default profile does: unshare refused.
        || fail_unshare_with_flags(all, libc::EPERM as u32),
        move || Sandbox::builder(&s).mode(Mode::Landlock),
        move |inside| {
            let host_read = open_errno(&host, OFlags::RDONLY);
            Ok(format!(
                "enforced={:?}\nhost={host_read}\n",
                inside.landlock()
            ))
        },
    )?;
    ensure!(
        matches!(need(&facts, "enforced")?, "Some(Fully)" | "Some(Partly)"),
        "Landlock enforced: {facts}"
    );
    ensure_eq!(need(&facts, "host")?, libc::EACCES.to_string(), "{facts}");
    // And the namespace mode is refused in the same environment (what the mode is for).
    test_support::in_child(|| {
        fail_unshare_with_flags(all, libc::EPERM as u32)?;
        let e = expect_refused(
            Sandbox::builder(&shared).build()?.enter(),
            "the namespace mode under a filter that refuses unshare",
        )?;
        ensure_eq!(e.errno(), Some(rustix::io::Errno::PERM), "{e}");
        Ok(())
    })
}

fn landlock_mode_reads_and_writes_inside_and_nothing_outside() -> TestResult {
    need_abi(1, "Mode::Landlock")?;
    let (top, shared, host) = layout()?;
    let (s, outside_new) = (shared.clone(), top.path().join("planted"));
    let facts = in_place(
        || Ok(()),
        move || Sandbox::builder(&s).mode(Mode::Landlock),
        move |inside| {
            let read_inside = std::fs::read_to_string(shared.join("inside"))
                .map_err(io_ctx("read a file inside"))?;
            // Reopening through the proc-fd handle, as daemons open files: inside works.
            let path = rustix::fs::open(
                shared.join("inside"),
                OFlags::PATH | OFlags::CLOEXEC,
                FileMode::empty(),
            )
            .map_err(|e| failed(format!("open O_PATH inside: {e}")))?;
            inside.proc_self_fd().reopen(&path, OFlags::RDWR)?;
            Ok(format!(
                "read_inside={read_inside}\nwrite_inside={}\ncreate_inside={}\nread_host={}\nwrite_host={}\ncreate_host={}\nlist_top={}\n",
                open_errno(&shared.join("inside"), OFlags::WRONLY),
                open_errno(&shared.join("new"), OFlags::WRONLY | OFlags::CREATE),
                open_errno(&host, OFlags::RDONLY),
                open_errno(&host, OFlags::WRONLY),
                open_errno(&outside_new, OFlags::WRONLY | OFlags::CREATE),
                open_errno(shared.parent().unwrap_or(Path::new("/")), OFlags::RDONLY | OFlags::DIRECTORY),
            ))
        },
    )?;
    let eacces = libc::EACCES.to_string();
    ensure_eq!(need(&facts, "read_inside")?, "in", "{facts}");
    ensure_eq!(need(&facts, "write_inside")?, "0", "{facts}");
    ensure_eq!(need(&facts, "create_inside")?, "0", "{facts}");
    ensure_eq!(need(&facts, "read_host")?, eacces, "{facts}");
    ensure_eq!(need(&facts, "write_host")?, eacces, "{facts}");
    ensure_eq!(need(&facts, "create_host")?, eacces, "{facts}");
    ensure_eq!(need(&facts, "list_top")?, eacces, "{facts}");
    ensure!(
        !top.path().join("planted").exists(),
        "a file was planted outside"
    );
    Ok(())
}

fn landlock_mode_read_only_refuses_every_write_inside() -> TestResult {
    need_abi(1, "Mode::Landlock")?;
    let (_top, shared, _host) = layout()?;
    let s = shared.clone();
    let facts = in_place(
        || Ok(()),
        move || Sandbox::builder(&s).mode(Mode::Landlock).read_only(true),
        move |_| {
            Ok(format!(
                "read={}\nwrite={}\ncreate={}\nmkdir={}\n",
                open_errno(&shared.join("inside"), OFlags::RDONLY),
                open_errno(&shared.join("inside"), OFlags::WRONLY),
                open_errno(&shared.join("new"), OFlags::WRONLY | OFlags::CREATE),
                match std::fs::create_dir(shared.join("dir")) {
                    Ok(()) => 0,
                    Err(e) => e.raw_os_error().unwrap_or(-1),
                }
            ))
        },
    )?;
    let eacces = libc::EACCES.to_string();
    ensure_eq!(need(&facts, "read")?, "0", "{facts}");
    ensure_eq!(need(&facts, "write")?, eacces, "{facts}");
    ensure_eq!(need(&facts, "create")?, eacces, "{facts}");
    ensure_eq!(need(&facts, "mkdir")?, eacces, "{facts}");
    Ok(())
}

fn landlock_mode_refuses_tcp_connect() -> TestResult {
    need_abi(4, "refusing TCP")?;
    let (_top, shared, _host) = layout()?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_ctx("listen"))?;
    let addr = listener.local_addr().map_err(io_ctx("local_addr"))?;
    // The host's listener answers before entering; from inside, connect is refused.
    TcpStream::connect(addr).map_err(io_ctx("connect before entering"))?;
    let facts = in_place(
        || Ok(()),
        move || Sandbox::builder(&shared).mode(Mode::Landlock),
        move |_| {
            let connect = match TcpStream::connect(addr) {
                Ok(_) => 0,
                Err(e) => e.raw_os_error().unwrap_or(-1),
            };
            let bind = match TcpListener::bind("127.0.0.1:0") {
                Ok(_) => 0,
                Err(e) => e.raw_os_error().unwrap_or(-1),
            };
            Ok(format!("connect={connect}\nbind={bind}\n"))
        },
    )?;
    let eacces = libc::EACCES.to_string();
    ensure_eq!(need(&facts, "connect")?, eacces, "{facts}");
    ensure_eq!(need(&facts, "bind")?, eacces, "{facts}");
    drop(listener);
    Ok(())
}

fn landlock_mode_refuses_signals_to_host_processes() -> TestResult {
    need_abi(6, "scoping signals")?;
    let (_top, shared, _host) = layout()?;
    // A host process of the same uid, outside the sandbox's Landlock domain.
    let sleeper = fork_process(|| pause_forever())?;
    let checked = (|| {
        send_signal(sleeper, 0)?;
        in_place(
            || Ok(()),
            move || Sandbox::builder(&shared).mode(Mode::Landlock),
            move |_| {
                let r = kill(sleeper, libc::SIGTERM);
                Ok(format!("kill={}\n", r.err().unwrap_or(0)))
            },
        )
    })();
    let still_there = send_signal(sleeper, 0).is_ok();
    kill_and_reap(sleeper);
    let facts = checked?;
    ensure_eq!(need(&facts, "kill")?, libc::EPERM.to_string(), "{facts}");
    ensure!(still_there, "the host process was killed from inside");
    Ok(())
}

/// What the proc-fd handle of an in-place mode reaches: a write to a system-wide proc
/// file (a core_pattern written runs a program as host root at the next crash) and its own
/// status; and the process's capability sets.
fn handle_report(inside: &Inside) -> Result<String, Fail> {
    let handle = inside.proc_self_fd().as_fd();
    let write = |rel: &str| match rustix::fs::openat(
        handle,
        rel,
        OFlags::WRONLY | OFlags::CLOEXEC,
        FileMode::empty(),
    ) {
        Ok(_) => 0,
        Err(e) => e.raw_os_error(),
    };
    // The capability sets, from the kernel (capget, PR_CAPBSET_READ, PR_CAP_AMBIENT):
    // /proc/self/status is out of reach under the Landlock layer.
    use rustix::thread::{
        capabilities, capability_is_in_ambient_set, capability_is_in_bounding_set, CapabilitySet,
    };
    let sets = capabilities(None).map_err(|e| failed(format!("capget: {e}")))?;
    let held = |f: &dyn Fn(CapabilitySet) -> bool| {
        (0..64u32)
            .map(|bit| CapabilitySet::from_bits_retain(1 << bit))
            .filter(|&cap| f(cap))
            .fold(0u64, |acc, cap| acc | cap.bits())
    };
    let bounding = held(&|cap| capability_is_in_bounding_set(cap).unwrap_or(false));
    let ambient = held(&|cap| capability_is_in_ambient_set(cap).unwrap_or(false));
    let nnp = rustix::thread::no_new_privs().map_err(|e| failed(format!("no_new_privs: {e}")))?;
    let caps = [
        format!("CapInh={:016x}", sets.inheritable.bits()),
        format!("CapPrm={:016x}", sets.permitted.bits()),
        format!("CapEff={:016x}", sets.effective.bits()),
        format!("CapBnd={bounding:016x}"),
        format!("CapAmb={ambient:016x}"),
        format!("NoNewPrivs={}", u8::from(nnp)),
    ];
    let status = match rustix::fs::openat(
        handle,
        "../status",
        OFlags::RDONLY | OFlags::CLOEXEC,
        FileMode::empty(),
    ) {
        Ok(_) => 0,
        Err(e) => e.raw_os_error(),
    };
    Ok(format!(
        "core_pattern={}\nhostname={}\nstatus={status}\n{}\n",
        write("../../sys/kernel/core_pattern"),
        write("../../sys/kernel/hostname"),
        caps.join("\n")
    ))
}

/// The capability sets are empty (as root the bounding set too; an unprivileged process
/// cannot drop from it, and cannot gain anything back under no_new_privs) and no
/// system-wide proc file opens for writing.
fn expect_no_capability_and_no_proc_sys(facts: &str) -> TestResult {
    for key in ["core_pattern", "hostname"] {
        ensure!(
            need(facts, key)? != "0",
            "{key} opened for writing through the handle: {facts}"
        );
    }
    // Under the Landlock layer nothing of /proc opens but what the magic links lead to.
    if sandbox::landlock_abi().is_some() {
        ensure_eq!(
            need(facts, "status")?,
            libc::EACCES.to_string(),
            "/proc/<pid>/status through the handle: {facts}"
        );
    }
    let mut sets = vec!["CapInh", "CapPrm", "CapEff", "CapAmb"];
    if test_support::is_root() {
        sets.push("CapBnd");
    }
    for key in sets {
        ensure_eq!(need(facts, key)?, "0000000000000000", "{key}: {facts}");
    }
    ensure_eq!(need(facts, "NoNewPrivs")?, "1", "{facts}");
    Ok(())
}

fn landlock_mode_handle_reaches_no_proc_sys_and_no_capability_is_left() -> TestResult {
    need_abi(1, "Mode::Landlock")?;
    let (_top, shared, _host) = layout()?;
    let facts = in_place(
        || Ok(()),
        move || Sandbox::builder(&shared).mode(Mode::Landlock),
        handle_report,
    )?;
    expect_no_capability_and_no_proc_sys(&facts)
}

fn landlock_mode_refuses_a_kept_directory_outside() -> TestResult {
    need_abi(1, "Mode::Landlock")?;
    let (top, shared, _host) = layout()?;
    let outside = std::fs::File::open(top.path()).map_err(io_ctx("open the temp dir"))?;
    let e = expect_refused(
        Sandbox::builder(&shared)
            .mode(Mode::Landlock)
            .keep_fd(&outside)
            .build()?
            .enter(),
        "a kept directory outside the shared directory",
    )?;
    ensure!(
        matches!(e, sandbox::Error::LeakedDirectory { fd, .. } if fd == outside.as_raw_fd()),
        "{e:?}"
    );
    Ok(())
}

/// A seccomp filter under which `landlock_create_ruleset` answers `ENOSYS`, as on a kernel
/// built without Landlock.
fn no_landlock_in_the_kernel() -> TestResult {
    answer_syscall(libc::SYS_landlock_create_ruleset, libc::ENOSYS as u32)
}

fn landlock_and_chroot_modes_prove_themselves_confined() -> TestResult {
    need_abi(1, "Mode::Landlock")?;
    let mut modes = vec![Mode::Landlock];
    if test_support::is_root() {
        modes.push(Mode::Chroot);
    }
    for mode in modes {
        let (_top, shared, _host) = layout()?;
        let facts = in_place(
            || Ok(()),
            move || Sandbox::builder(&shared).mode(mode),
            |inside| {
                let audit = inside.audit();
                Ok(format!(
                    "confined={}\ntable={}\n",
                    audit.is_confined(),
                    audit.to_string().replace('\n', " | ")
                ))
            },
        )?;
        ensure_eq!(need(&facts, "confined")?, "true", "{mode:?}: {facts}");
    }
    Ok(())
}

fn landlock_mode_is_refused_where_the_kernel_has_no_landlock() -> TestResult {
    let (_top, shared, _host) = layout()?;
    // Refused, not entered unconfined.
    test_support::in_child(|| {
        no_landlock_in_the_kernel()?;
        let e = expect_refused(
            Sandbox::builder(&shared)
                .mode(Mode::Landlock)
                .build()?
                .enter(),
            "Mode::Landlock without Landlock",
        )?;
        ensure_eq!(e.step(), Some(sandbox::Step::Landlock), "{e}");
        ensure_eq!(e.errno(), Some(rustix::io::Errno::NOSYS), "{e}");
        Ok(())
    })
}

fn namespace_mode_enters_without_landlock_and_says_so() -> TestResult {
    // The layer is best effort in the namespace mode: entering works, and the process
    // learns the layer is not enforced.
    let (_top, shared, _host) = layout()?;
    test_support::in_child(|| {
        no_landlock_in_the_kernel()?;
        let out = run_inside(Sandbox::builder(&shared), |inside| {
            Ok(format!("landlock={:?}\n", inside.landlock()))
        })?;
        ensure_eq!(
            need(&out.report, "landlock")?,
            format!("{:?}", Some(LandlockEnforced::Not)),
            "{}",
            out.report
        );
        Ok(())
    })
}

/// An attacker inside a default namespace sandbox holds a host file outside the shared
/// directory (kept, read-only, on purpose) and reopens it read-write through the proc-fd
/// handle: the file's permissions allow it, the Landlock layer does not (EACCES). With
/// `landlock(false)` the same reopen works: what the layer alone keeps out.
fn namespace_mode_layer_refuses_a_kept_host_file_reopened_writable() -> TestResult {
    need_abi(1, "the Landlock layer")?;
    let (_top, shared, host) = layout()?;
    let file = std::fs::File::open(&host).map_err(io_ctx("open the host file"))?;
    let raw = file.as_raw_fd();
    let mut seen = Vec::new();
    for landlock in [true, false] {
        let (r, w) = pipe()?;
        let s = shared.clone();
        let f = file.as_fd().try_clone_to_owned().map_err(io_ctx("dup"))?;
        test_support::in_child(move || {
            let out = run_inside(
                Sandbox::builder(&s).landlock(landlock).keep_fd(&f),
                |inside| {
                    let reopened = inside
                        .proc_self_fd()
                        .reopen(unsafe_borrow(f.as_raw_fd()), OFlags::RDWR)
                        .err()
                        .and_then(|e| e.errno())
                        .map_or(0, |e| e.raw_os_error());
                    Ok(format!("reopen={reopened}\n"))
                },
            )?;
            send(w, &out.report);
            Ok(())
        })?;
        seen.push(receive(r));
    }
    ensure_eq!(
        need(&seen[0], "reopen")?,
        libc::EACCES.to_string(),
        "with the layer (kept fd {raw})"
    );
    ensure_eq!(need(&seen[1], "reopen")?, "0", "with landlock(false)");
    ensure_eq!(
        std::fs::read_to_string(&host).map_err(io_ctx("read the host file"))?,
        "host",
        "the host file afterwards"
    );
    Ok(())
}

fn chroot_mode_drops_every_capability_and_reaches_no_proc_sys() -> TestResult {
    if !test_support::is_root() {
        skip!("chroot needs CAP_SYS_CHROOT: root");
    }
    let (_top, shared, _host) = layout()?;
    let facts = in_place(
        || Ok(()),
        move || Sandbox::builder(&shared).mode(Mode::Chroot),
        |inside| {
            let mut facts = handle_report(inside)?;
            let inside_file = std::fs::read_to_string("/inside").unwrap_or_default();
            facts.push_str(&format!("root_is_shared={}\n", inside_file == "in"));
            Ok(facts)
        },
    )?;
    ensure_eq!(need(&facts, "root_is_shared")?, "true", "{facts}");
    expect_no_capability_and_no_proc_sys(&facts)
}

fn chroot_mode_landlock_layer_refuses_a_host_file_reopened_through_the_handle() -> TestResult {
    need_abi(1, "the Landlock layer")?;
    let facts = reopen_kept_host_file(true)?;
    ensure!(
        need(&facts, "landlock")? != format!("{:?}", Some(LandlockEnforced::Not)),
        "{facts}"
    );
    ensure_eq!(need(&facts, "reopen")?, libc::EACCES.to_string(), "{facts}");
    Ok(())
}

fn chroot_mode_without_landlock_reopens_a_kept_host_file_writable() -> TestResult {
    // What landlock(false) gives back: the same reopen works.
    let facts = reopen_kept_host_file(false)?;
    ensure_eq!(need(&facts, "landlock")?, "None", "{facts}");
    ensure_eq!(need(&facts, "reopen")?, "0", "{facts}");
    Ok(())
}

/// In `Mode::Chroot` (root), a host file outside the shared directory kept open across
/// entering (by number, on purpose): the chroot does not close it; reopening it read-write
/// through the handle needs a path the Landlock layer allows.
fn reopen_kept_host_file(landlock: bool) -> Result<String, Fail> {
    if !test_support::is_root() {
        skip!("chroot needs CAP_SYS_CHROOT: root");
    }
    let (_top, shared, host) = layout()?;
    let file = std::fs::File::open(&host).map_err(io_ctx("open the host file"))?;
    let raw = file.as_raw_fd();
    let facts = in_place(
        || Ok(()),
        move || {
            Sandbox::builder(&shared)
                .mode(Mode::Chroot)
                .landlock(landlock)
                .keep_fd(unsafe_borrow(raw))
        },
        move |inside| {
            let reopened = inside
                .proc_self_fd()
                .reopen(unsafe_borrow(raw), OFlags::RDWR)
                .err()
                .and_then(|e| e.errno())
                .map_or(0, |e| e.raw_os_error());
            Ok(format!(
                "reopen={reopened}\nlandlock={:?}\n",
                inside.landlock()
            ))
        },
    )?;
    drop(file);
    Ok(facts)
}

/// The host file's descriptor, by number, in the forked child: `file` stays open in this
/// scenario until after the child has ended.
fn unsafe_borrow(raw: i32) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: `raw` is the number of `file`, which the scenario keeps open until the
    // forked child has ended; the child keeps it with keep_fd and exits without closing it.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) }
}
