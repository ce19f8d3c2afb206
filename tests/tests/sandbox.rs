//! Integration tests of the composed sandbox, each scenario in a fresh process.
//!
//! Run as root and as an unprivileged uid (65534): without root, `enter` makes a user
//! namespace, so almost every scenario runs in both modes.
//!
//! Groups:
//! - the contract end to end (`enter`, `wait`, `confine`, die-with-parent);
//! - bad input refused by `build()` in the original process, nothing forked;
//! - faults: each setup system call fails in turn (strace's `-e inject` over this binary's
//!   `enter_and_report` scenario, and a seccomp filter for the child's `unshare`), with
//!   the right step and errno in the parent's error and the host unchanged;
//! - escape attempts from inside;
//! - the chroot and none modes.

mod common;

use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use sandbox::{Entered, Error, ErrorKind, Mode, OFlags, PathProblem, Sandbox, Signal, Step};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        // The contract.
        child_is_pid_1_in_new_namespaces_with_the_shared_dir_as_root,
        wait_gives_the_exit_code_the_child_chose,
        wait_reports_a_child_killed_by_a_signal,
        proc_self_fd_reopens_o_path_fds_with_the_asked_access_mode,
        confine_exits_with_the_child_exit_code,
        confine_dies_of_sigkill_when_the_child_is_killed,
        confine_dies_of_sigsegv_when_the_child_crashes,
        confine_forwards_sigterm_sigint_sighup_to_the_child,
        confine_forwarded_sigterm_ends_a_child_without_handlers,
        confine_passes_on_a_sigterm_the_child_sends_itself,
        killing_the_original_process_kills_the_sandboxed_one,
        killing_the_original_process_ends_the_sandboxed_one_with_sigterm_when_asked,
        // Bad input.
        empty_path_is_refused_at_build,
        path_with_a_nul_byte_is_refused_at_build,
        missing_path_is_refused_at_build,
        regular_file_is_refused_at_build,
        path_through_a_file_is_refused_at_build,
        unsearchable_path_is_refused_at_build,
        relative_path_is_resolved_once_at_build,
        symlink_to_a_dir_is_resolved_at_build,
        renaming_the_dir_after_build_does_not_move_the_sandbox,
        multi_threaded_caller_gets_the_thread_count_error,
        // Faults.
        enter_and_report,
        fault_unshare_in_parent_is_reported_and_leaves_host_unchanged,
        fault_unshare_in_child_is_reported_and_leaves_host_unchanged,
        fault_id_map_writes_are_reported_and_leave_host_unchanged,
        fault_fork_is_reported_and_leaves_host_unchanged,
        fault_pdeathsig_is_reported_and_leaves_host_unchanged,
        fault_enter_shared_dir_is_reported_and_leaves_host_unchanged,
        fault_propagation_mount_is_reported_and_leaves_host_unchanged,
        fault_proc_mount_is_reported_and_leaves_host_unchanged,
        fault_open_tree_is_reported_and_leaves_host_unchanged,
        fault_move_mount_is_reported_and_leaves_host_unchanged,
        fault_read_only_remount_is_reported_and_leaves_host_unchanged,
        fault_pivot_root_is_reported_and_leaves_host_unchanged,
        fault_umount_of_old_root_is_reported_and_leaves_host_unchanged,
        fault_old_root_propagation_is_reported_and_leaves_host_unchanged,
        fault_proc_fd_capture_is_reported_and_leaves_host_unchanged,
        fault_pidfd_open_falls_back_and_enter_still_works,
        fault_child_pidfd_emfile_is_an_error_and_ends_the_child,
        fault_open_tree_enosys_falls_back_to_mount_and_enter_still_works,
        fault_every_mount_call_in_turn_is_reported_and_leaves_host_unchanged,
        fault_every_mount_call_in_turn_on_the_legacy_path_is_reported_and_leaves_host_unchanged,
        fault_legacy_read_only_remount_is_reported_and_leaves_host_unchanged,
        fault_legacy_bind_is_reported_and_leaves_host_unchanged,
        fault_mount_setattr_enosys_falls_back_to_the_remount_walk_and_read_only_holds,
        fault_nodev_remount_is_reported_and_leaves_host_unchanged,
        fault_cwd_check_is_reported_and_leaves_host_unchanged,
        fault_capability_drop_is_reported_and_leaves_host_unchanged,
        fault_bounding_set_drop_is_reported_and_leaves_host_unchanged,
        fault_setsid_is_reported_and_leaves_host_unchanged,
        fault_no_new_privs_is_reported_and_leaves_host_unchanged,
        fault_landlock_is_reported_and_leaves_host_unchanged,
        fault_init_signal_mask_is_reported_and_leaves_host_unchanged,
        init_under_enter_and_report_works,
        // Escapes.
        dotdot_from_root_is_root,
        host_files_are_unreachable,
        proc_root_links_are_unreachable,
        symlinks_in_the_shared_dir_resolve_inside,
        host_processes_cannot_be_signalled,
        no_network_interface_but_lo,
        cwd_is_the_new_root,
        proc_self_fd_dotdot_does_not_reach_the_host_proc,
        read_only_makes_writes_fail_with_erofs_and_host_stays_writable,
        // Propagation.
        host_mounts_made_after_enter_appear_inside_with_slave_propagation,
        host_mounts_made_after_enter_stay_outside_with_private_propagation,
        sandbox_mounts_do_not_reach_a_host_whose_mounts_are_shared,
        shared_propagation_is_refused_or_does_not_leak_to_the_host,
        // Modes.
        chroot_mode_makes_the_shared_dir_the_root,
        chroot_mode_without_privilege_fails_at_the_chroot_step,
        none_mode_changes_nothing_but_gives_a_proc_fd,
    ])
}

// =======================================================================================
// Shared set-up.

fn marker_text_at(path: &str) -> Result<String, Fail> {
    std::fs::read_to_string(path).map_err(io_ctx(format!("read {path}")))
}

// =======================================================================================
// The contract.

fn child_is_pid_1_in_new_namespaces_with_the_shared_dir_as_root() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let before = own_namespaces()?;
    let get = |n: &str| before.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let root = test_support::is_root();
    let sandbox = prepare(Sandbox::builder(&shared))?;
    let mut seen = BTreeMap::new();
    let out = run_inside_with(
        sandbox,
        0,
        |child| {
            let pid = child.pid().as_raw_nonzero().get();
            for n in ["pid", "net", "mnt", "user"] {
                seen.insert(n, ns(Some(pid), n)?);
            }
            // The parent created the pid namespace: the child is in the one it forks into.
            seen.insert("parent_pid_for_children", ns(None, "pid_for_children")?);
            Ok(())
        },
        |_inside| {
            Ok(format!(
                "pid={}\nmarker={}\n",
                std::process::id(),
                marker_text_at("/marker")?.trim_end()
            ))
        },
    )?;
    ensure_eq!(
        need(&out.report, "pid")?,
        "1",
        "getpid() inside the sandbox"
    );
    ensure_eq!(
        need(&out.report, "marker")?,
        MARKER_TEXT.trim_end(),
        "/marker inside"
    );
    for n in ["pid", "net", "mnt"] {
        ensure!(
            Some(&seen[n]) != get(n).as_ref(),
            "the child's {n} namespace {} is the original one",
            seen[n]
        );
    }
    ensure_eq!(seen["pid"], seen["parent_pid_for_children"]);
    if root {
        ensure_eq!(
            Some(&seen["user"]),
            get("user").as_ref(),
            "root needs no user namespace"
        );
    } else {
        ensure!(
            Some(&seen["user"]) != get("user").as_ref(),
            "unprivileged, the child must be in a new user namespace, is in {}",
            seen["user"]
        );
    }
    // The original process keeps its mount and network namespaces.
    ensure_eq!(ns(None, "mnt")?, get("mnt").unwrap_or_default());
    ensure_eq!(ns(None, "net")?, get("net").unwrap_or_default());
    Ok(())
}

fn wait_gives_the_exit_code_the_child_chose() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    let out = run_inside_with(sandbox, 42, |_| Ok(()), |_| Ok(String::new()))?;
    ensure_eq!(out.status.code(), 42);
    ensure_eq!(out.status.signal(), None);
    Ok(())
}

fn wait_reports_a_child_killed_by_a_signal() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    match sandbox.enter()? {
        Entered::Inside(_) => pause_forever(),
        Entered::Parent(child) => {
            child.kill(Signal::KILL)?;
            let status = child.wait()?;
            ensure_eq!(status.signal(), Some(libc::SIGKILL));
            ensure_eq!(status.code(), 128 + libc::SIGKILL, "the shell's convention");
            // A second wait gives the same status.
            let again = child.wait()?;
            ensure_eq!(again.signal(), Some(libc::SIGKILL));
            Ok(())
        }
    }
}

fn proc_self_fd_reopens_o_path_fds_with_the_asked_access_mode() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    run_inside(sandbox, |inside| {
        use std::io::{Read, Seek, Write};
        let proc_fd = inside.proc_self_fd();
        let path_fd = rustix::fs::open(
            "/marker",
            OFlags::PATH | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(failed)?;
        ensure_eq!(
            access_mode(path_fd.as_fd())?,
            libc::O_PATH,
            "the O_PATH fd itself"
        );

        let ro = proc_fd.reopen(&path_fd, OFlags::RDONLY).map_err(failed)?;
        ensure_eq!(access_mode(ro.as_fd())?, libc::O_RDONLY, "reopened RDONLY");
        let mut text = String::new();
        std::fs::File::from(ro)
            .read_to_string(&mut text)
            .map_err(io_ctx("read reopened"))?;
        ensure_eq!(text, MARKER_TEXT);

        let rw = proc_fd.reopen(&path_fd, OFlags::RDWR).map_err(failed)?;
        ensure_eq!(access_mode(rw.as_fd())?, libc::O_RDWR, "reopened RDWR");
        let mut f = std::fs::File::from(rw);
        f.seek(std::io::SeekFrom::End(0)).map_err(io_ctx("seek"))?;
        f.write_all(b"appended\n")
            .map_err(io_ctx("write through the reopened fd"))?;
        drop(f);
        ensure_eq!(
            marker_text_at("/marker")?,
            format!("{MARKER_TEXT}appended\n")
        );

        let dir = rustix::fs::open(
            "/",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(failed)?;
        let d = proc_fd
            .reopen(&dir, OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(failed)?;
        ensure_eq!(access_mode(d.as_fd())?, libc::O_RDONLY, "reopened dir");
        let mut names = Vec::new();
        for e in rustix::fs::Dir::read_from(&d).map_err(failed)? {
            names.push(
                e.map_err(failed)?
                    .file_name()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        ensure!(
            names.iter().any(|n| n == MARKER),
            "readdir through the reopened fd: {names:?}"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn confine_exits_with_the_child_exit_code() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    for code in [0, 3, 77, 200] {
        let original = spawn_confined(&shared, |b| b, || code)?;
        ensure_eq!(
            waitpid(original)?,
            Ended::Code(code),
            "the original process's status"
        );
    }
    Ok(())
}

fn confine_dies_of_sigkill_when_the_child_is_killed() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let (mut r, w) = pipe()?;
    let original = spawn_confined(&shared, keeping(&w, |b| b), move || ready_then_pause(w))?;
    expect(&mut r, "ready")?;
    let sandboxed = wait_for_child_of(original, Duration::from_secs(5))?;
    // From the parent pid namespace, SIGKILL reaches even a namespace's pid 1.
    send_signal(sandboxed, libc::SIGKILL)?;
    ensure_eq!(waitpid(original)?, Ended::Signal(libc::SIGKILL));
    Ok(())
}

fn confine_dies_of_sigsegv_when_the_child_crashes() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let original = spawn_confined(
        &shared,
        |b| b,
        || {
            // A real fault (not kill(2), which a pid namespace's init ignores): read a page
            // mapped with no access.
            // SAFETY: mmap of a fresh anonymous page; the read faults, which is the point:
            // the kernel kills the process with SIGSEGV before anything is read.
            unsafe {
                let p = libc::mmap(
                    std::ptr::null_mut(),
                    4096,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                if p == libc::MAP_FAILED {
                    return 92;
                }
                std::ptr::read_volatile(p as *const u8) as i32
            }
        },
    )?;
    ensure_eq!(waitpid(original)?, Ended::Signal(libc::SIGSEGV));
    Ok(())
}

fn confine_forwards_sigterm_sigint_sighup_to_the_child() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        confine_passes_signal_to_a_child_with_a_handler(&shared, sig)?;
    }
    Ok(())
}

fn confine_forwarded_sigterm_ends_a_child_without_handlers() -> TestResult {
    // A daemon that installs no handler: as pid 1 it would ignore SIGTERM; the sandbox
    // makes it end, and the original process dies of SIGTERM.
    let (_top, shared) = shared_dir_with_marker()?;
    confine_forwarded_signal_ends_a_child_without_handlers(&shared, libc::SIGTERM)
}

fn confine_passes_on_a_sigterm_the_child_sends_itself() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let original = spawn_confined(
        &shared,
        |b| b,
        || {
            // SAFETY: raise(3) signals ourselves; no memory involved.
            unsafe { libc::raise(libc::SIGTERM) };
            // As pid 1 with no handler this would be ignored; the sandbox's handler ends us
            // and notes the signal for the original process.
            std::thread::sleep(Duration::from_secs(5));
            93
        },
    )?;
    let ended = waitpid(original)?;
    ensure_eq!(
        ended,
        Ended::Signal(libc::SIGTERM),
        "the original process passes on the death by SIGTERM"
    );
    Ok(())
}

fn killing_the_original_process_kills_the_sandboxed_one() -> TestResult {
    // Default death signal: SIGKILL, which nothing inside can catch or ignore.
    let ended = wait_for_orphan(kill_the_original_of(|b| b, || {})?)?;
    ensure_eq!(ended, Ended::Signal(libc::SIGKILL));
    Ok(())
}

fn killing_the_original_process_ends_the_sandboxed_one_with_sigterm_when_asked() -> TestResult {
    // The opt-out: SIGTERM. The sandboxed code installs no handler: a daemon must not need
    // one to die with its parent. (A pid namespace's init ignores SIGTERM without a
    // handler, so the sandbox catches it and exits 128 + 15.)
    let ended = wait_for_orphan(kill_the_original_of(
        |b| b.die_with_parent(Signal::TERM),
        || {},
    )?)?;
    ensure!(
        ended == Ended::Signal(libc::SIGTERM) || ended == Ended::Code(128 + libc::SIGTERM),
        "the sandboxed process ended with {ended:?}, not of SIGTERM"
    );
    Ok(())
}

// =======================================================================================
// Bad input.

/// `build()` must refuse `path` with `Error::SharedDir { problem }` naming the path, in
/// this process, forking nothing and changing no namespace.
fn refused(path: &Path, problem: PathProblem, kind: ErrorKind, errno: Option<i32>) -> TestResult {
    let before = own_namespaces()?;
    let result = Sandbox::builder(path).build();
    let err = match result {
        Ok(s) => fail!("build() accepted {path:?}: {s:?}"),
        Err(e) => e,
    };
    match &err {
        Error::SharedDir {
            path: named,
            problem: got,
            ..
        } => {
            ensure_eq!(named.as_path(), path, "the error names the path");
            ensure_eq!(*got, problem, "the problem, for {path:?}");
        }
        other => fail!("expected Error::SharedDir for {path:?}, got {other:?}"),
    }
    ensure_eq!(err.kind(), kind, "kind() of {err}");
    ensure_eq!(err.path(), Some(path), "path()");
    if let Some(errno) = errno {
        ensure_eq!(
            err.errno().map(|e| e.raw_os_error()),
            Some(errno),
            "errno()"
        );
    }
    let msg = err.to_string();
    ensure!(!msg.contains('\n'), "one log line: {msg:?}");
    if !path.as_os_str().is_empty() && !path.to_string_lossy().contains('\0') {
        ensure!(
            msg.contains(&*path.to_string_lossy()),
            "the message names the path: {msg:?}"
        );
    }
    ensure_eq!(children_of(getpid()), Vec::<i32>::new(), "nothing forked");
    ensure_eq!(own_namespaces()?, before, "no namespace changed");
    Ok(())
}

fn empty_path_is_refused_at_build() -> TestResult {
    refused(
        Path::new(""),
        PathProblem::Empty,
        ErrorKind::InvalidInput,
        None,
    )
}

fn path_with_a_nul_byte_is_refused_at_build() -> TestResult {
    let dir = test_support::temp_dir()?;
    let mut bytes = dir.path().as_os_str().as_encoded_bytes().to_vec();
    bytes.extend_from_slice(b"/a\0b");
    use std::os::unix::ffi::OsStrExt;
    let path = Path::new(std::ffi::OsStr::from_bytes(&bytes));
    refused(
        path,
        PathProblem::ContainsNul,
        ErrorKind::InvalidInput,
        None,
    )
}

fn missing_path_is_refused_at_build() -> TestResult {
    let dir = test_support::temp_dir()?;
    refused(
        &dir.path().join("no-such-dir"),
        PathProblem::NotFound,
        ErrorKind::NotFound,
        Some(libc::ENOENT),
    )
}

fn regular_file_is_refused_at_build() -> TestResult {
    let dir = test_support::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, "x").map_err(io_ctx("write file"))?;
    refused(
        &file,
        PathProblem::NotADirectory,
        ErrorKind::InvalidInput,
        Some(libc::ENOTDIR),
    )
}

fn path_through_a_file_is_refused_at_build() -> TestResult {
    let dir = test_support::temp_dir()?;
    let file = dir.path().join("file");
    std::fs::write(&file, "x").map_err(io_ctx("write file"))?;
    // Nothing exists at file/sub: the kernel says ENOTDIR.
    refused(
        &file.join("sub"),
        PathProblem::NotFound,
        ErrorKind::NotFound,
        Some(libc::ENOTDIR),
    )
}

fn unsearchable_path_is_refused_at_build() -> TestResult {
    if test_support::is_root() {
        skip!("root searches any directory (CAP_DAC_READ_SEARCH); the unprivileged run covers it");
    }
    let dir = test_support::temp_dir()?;
    let locked = dir.path().join("locked");
    std::fs::create_dir_all(locked.join("inner")).map_err(io_ctx("mkdir"))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000))
        .map_err(io_ctx("chmod"))?;
    let r = refused(
        &locked.join("inner"),
        PathProblem::PermissionDenied,
        ErrorKind::PermissionDenied,
        Some(libc::EACCES),
    );
    let _ = std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755));
    r
}

/// Enters and reports which of the given names exist in "/".
fn names_at_root_inside(
    sandbox: impl Enterable,
    names: &'static [&'static str],
) -> Result<Vec<String>, Fail> {
    let out = run_inside(sandbox, move |_| {
        Ok(names
            .iter()
            .filter(|n| Path::new("/").join(n).exists())
            .map(|n| format!("{n}=yes\n"))
            .collect())
    })?;
    Ok(names
        .iter()
        .filter(|n| fact(&out.report, n).is_some())
        .map(|n| n.to_string())
        .collect())
}

fn relative_path_is_resolved_once_at_build() -> TestResult {
    let top = test_support::temp_dir()?;
    let (a, b) = (top.path().join("a"), top.path().join("b"));
    for (d, m) in [(&a, "marker-a"), (&b, "marker-b")] {
        std::fs::create_dir_all(d.join("shared")).map_err(io_ctx("mkdir"))?;
        std::fs::write(d.join("shared").join(m), m).map_err(io_ctx("write"))?;
    }
    std::env::set_current_dir(&a).map_err(io_ctx("chdir a"))?;
    let sandbox = prepare(Sandbox::builder("shared"))?;
    ensure_eq!(
        sandbox.path(),
        a.join("shared").as_path(),
        "path() is absolute"
    );
    std::env::set_current_dir(&b).map_err(io_ctx("chdir b"))?;
    let seen = names_at_root_inside(sandbox, &["marker-a", "marker-b"])?;
    ensure_eq!(
        seen,
        vec!["marker-a".to_string()],
        "the sandbox uses the dir resolved at build"
    );
    Ok(())
}

fn symlink_to_a_dir_is_resolved_at_build() -> TestResult {
    let top = test_support::temp_dir()?;
    let (a, b) = (top.path().join("a"), top.path().join("b"));
    for (d, m) in [(&a, "marker-a"), (&b, "marker-b")] {
        std::fs::create_dir(d).map_err(io_ctx("mkdir"))?;
        std::fs::write(d.join(m), m).map_err(io_ctx("write"))?;
    }
    let link = top.path().join("link");
    symlink(&a, &link).map_err(io_ctx("symlink"))?;
    let sandbox = prepare(Sandbox::builder(&link))?;
    // Swap the link to point at b.
    let tmp = top.path().join("link.new");
    symlink(&b, &tmp).map_err(io_ctx("symlink"))?;
    std::fs::rename(&tmp, &link).map_err(io_ctx("rename link"))?;
    let seen = names_at_root_inside(sandbox, &["marker-a", "marker-b"])?;
    ensure_eq!(
        seen,
        vec!["marker-a".to_string()],
        "the link's target at build time"
    );
    Ok(())
}

fn renaming_the_dir_after_build_does_not_move_the_sandbox() -> TestResult {
    let top = test_support::temp_dir()?;
    let d = top.path().join("d");
    std::fs::create_dir(&d).map_err(io_ctx("mkdir"))?;
    std::fs::write(d.join("marker-a"), "a").map_err(io_ctx("write"))?;
    let sandbox = prepare(Sandbox::builder(&d))?;
    std::fs::rename(&d, top.path().join("moved")).map_err(io_ctx("rename"))?;
    std::fs::create_dir(&d).map_err(io_ctx("mkdir again"))?;
    std::fs::write(d.join("marker-b"), "b").map_err(io_ctx("write"))?;
    let seen = names_at_root_inside(sandbox, &["marker-a", "marker-b"])?;
    ensure_eq!(
        seen,
        vec!["marker-a".to_string()],
        "the directory opened at build"
    );
    Ok(())
}

fn multi_threaded_caller_gets_the_thread_count_error() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    let before = own_namespaces()?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let _ = rx.recv();
    });
    let result = sandbox.enter();
    let _ = tx.send(());
    let _ = thread.join();
    match result {
        Err(Error::MultiThreaded { threads }) => ensure_eq!(threads, 2),
        Err(e) => fail!("expected Error::MultiThreaded, got {e:?}"),
        Ok(Entered::Parent(_)) => fail!("enter() worked with two threads"),
        Ok(Entered::Inside(_)) => exit_now(3),
    }
    ensure_eq!(own_namespaces()?, before, "no namespace changed");
    ensure_eq!(children_of(getpid()), Vec::<i32>::new(), "nothing forked");
    Ok(())
}

// =======================================================================================
// Faults: fail each setup system call in turn.

/// Environment variables of the `enter_and_report` helper.
const ENV_READ_ONLY: &str = "SANDBOX_TEST_READ_ONLY";
const ENV_DENY_UNSHARE: &str = "SANDBOX_TEST_DENY_UNSHARE_FLAGS";
/// `new` or `legacy`: the mount path `enter_and_report` forces (default: auto).
const ENV_MOUNT_API: &str = "SANDBOX_TEST_MOUNT_API";
const ENV_HARDENING: &str = "SANDBOX_TEST_HARDENING";
/// Set: enter without the Landlock layer (whose own prctl(PR_SET_NO_NEW_PRIVS) would come
/// first).
const ENV_NO_LANDLOCK: &str = "SANDBOX_TEST_NO_LANDLOCK";
const ENV_INIT: &str = "SANDBOX_TEST_INIT";

/// A helper scenario for the fault tests (passes on its own): enters a sandbox over a
/// fresh temp dir and prints one parseable line with the result (`ENTER ok code=0`, or
/// `ENTER err step=... errno=... in_child=...`), then after an error checks what it can
/// only check in itself: its mount table is the one it had, and it has no child left.
fn enter_and_report() -> TestResult {
    let mounts_before = test_support::mountinfo()?;
    let (_top, shared) = shared_dir_with_marker()?;
    if let Ok(flags) = std::env::var(ENV_DENY_UNSHARE) {
        let flags = flags.parse().map_err(failed)?;
        fail_unshare_with_flags(flags, libc::EDOM as u32)?;
    }
    let read_only = std::env::var_os(ENV_READ_ONLY).is_some();
    let mount_api = match std::env::var(ENV_MOUNT_API).as_deref() {
        Ok("new") => sandbox::MountApi::New,
        Ok("legacy") => sandbox::MountApi::Legacy,
        _ => sandbox::MountApi::Auto,
    };
    let sandbox = prepare(
        Sandbox::builder(&shared)
            .read_only(read_only)
            .mount_api(mount_api)
            .new_session(std::env::var_os(ENV_HARDENING).is_some())
            .no_new_privs(std::env::var_os(ENV_HARDENING).is_some())
            .landlock(std::env::var_os(ENV_NO_LANDLOCK).is_none())
            .init(std::env::var_os(ENV_INIT).is_some()),
    )?;
    match sandbox.enter() {
        Ok(Entered::Inside(_)) => {
            let ok = std::fs::read_to_string("/marker").is_ok_and(|t| t == MARKER_TEXT)
                && (!read_only || errno_of(std::fs::write("/new", "x")) == Some(libc::EROFS));
            exit_now(if ok { 0 } else { 1 })
        }
        Ok(Entered::Parent(child)) => {
            let status = child.wait()?;
            println!("ENTER ok code={}", status.code());
            ensure_eq!(status.code(), 0, "the child saw /marker");
        }
        Err(e) => {
            let in_child = match &e {
                Error::Setup { in_child, .. } => in_child.to_string(),
                _ => "none".into(),
            };
            println!(
                "ENTER err step={} errno={} in_child={} leaf={} kind={:?} path={} msg={}",
                e.step().map_or("none", |s| s.name()),
                e.errno().map_or(0, |e| e.raw_os_error()),
                in_child,
                leaf_of(&e),
                e.kind(),
                e.path().map_or("none".into(), |p| p.display().to_string()),
                e.to_string().replace('\n', "\\n"),
            );
            let children = children_of(getpid());
            let mounts_same = test_support::mountinfo()? == mounts_before;
            println!("HOST children={children:?} mounts_same={mounts_same}");
        }
    }
    Ok(())
}

/// The leaf error `e.source()` gives, typed (`mount:MountProc`, `sys:Fchdir`): what a
/// daemon matches on, also for an error that crossed the pipe from the sandboxed child.
fn leaf_of(e: &Error) -> String {
    fn variant(debug: String) -> String {
        debug
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .next()
            .unwrap_or("")
            .to_owned()
    }
    let Some(source) = std::error::Error::source(e) else {
        return "none".into();
    };
    if let Some(l) = source.downcast_ref::<sandbox_mount::Error>() {
        return format!("mount:{}", variant(format!("{l:?}")));
    }
    if let Some(l) = source.downcast_ref::<sandbox_namespaces::Error>() {
        return format!("namespaces:{}", variant(format!("{l:?}")));
    }
    if let Some(l) = source.downcast_ref::<sandbox_pivot_root::Error>() {
        return format!("pivot-root:{}", variant(format!("{l:?}")));
    }
    if let Some(l) = source.downcast_ref::<sandbox_process::Error>() {
        return format!("process:{}", variant(format!("{l:?}")));
    }
    if let Some(l) = source.downcast_ref::<sandbox_proc_fd::Error>() {
        return format!("proc-fd:{}", variant(format!("{l:?}")));
    }
    if let Some(l) = source.downcast_ref::<sandbox::SysError>() {
        return format!("sys:{}", variant(format!("{:?}", l.call)));
    }
    "untyped".into()
}

/// One call found in a traced run: which process (the helper or the sandboxed child)
/// and its ordinal among that process's calls of the same system call.
#[derive(Debug)]
struct Call {
    in_helper: bool,
    nth: usize,
    line: String,
}

/// The per-process strace logs of a run of `enter_and_report`: (is helper, lines).
type Trace = Vec<(bool, Vec<String>)>;

/// Runs `enter_and_report` under `strace -ff`, tracing `syscalls`, and returns each
/// process's calls.
fn trace_enter(syscalls: &str, env: &[(&str, &str)]) -> Result<Trace, Fail> {
    trace_enter_injected(syscalls, None, env)
}

/// As [`trace_enter`], with strace's `inject` specs (`;` between them) applied to the run.
fn trace_enter_injected(
    syscalls: &str,
    inject: Option<&str>,
    env: &[(&str, &str)],
) -> Result<Trace, Fail> {
    let dir = test_support::temp_dir()?;
    let prefix = dir.path().join("trace");
    let trace = format!("trace=execve,{syscalls}");
    let prefix = prefix.to_string_lossy();
    let mut args = vec!["-ff", "-qq", "-e", &trace, "-o", &prefix];
    let injects = test_support::inject_args(&inject_specs(inject));
    args.extend(injects.iter().map(String::as_str));
    let mut cmd = test_support::strace_scenario(&args, "enter_and_report")?;
    cmd.envs(env.iter().copied());
    test_support::output_of_success(cmd, "the traced run")?;
    let mut procs = Vec::new();
    for name in listing(dir.path())? {
        let text = std::fs::read_to_string(dir.path().join(&name)).map_err(io_ctx("read trace"))?;
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let helper = lines.iter().any(|l| l.starts_with("execve("));
        procs.push((helper, lines));
    }
    Ok(procs)
}

/// Finds the first call of `syscall` whose line contains `needle`, in the helper (the
/// original process) or in the child.
fn find_call(trace: &Trace, syscall: &str, in_helper: bool, needle: &str) -> Result<Call, Fail> {
    let open = format!("{syscall}(");
    for (helper, lines) in trace {
        if *helper != in_helper {
            continue;
        }
        let calls = lines.iter().filter(|l| l.starts_with(&open));
        for (i, l) in calls.enumerate() {
            if l.contains(needle) {
                return Ok(Call {
                    in_helper,
                    nth: i + 1,
                    line: l.clone(),
                });
            }
        }
    }
    let dump: Vec<&String> = trace
        .iter()
        .filter(|(h, _)| *h == in_helper)
        .flat_map(|(_, l)| l)
        .collect();
    fail!(
        "no {syscall}(...{needle}...) in the {} process; its calls: {dump:#?}",
        if in_helper { "original" } else { "sandboxed" }
    )
}

/// The first `write(fd, ...)` in the original process after the call `open`.
fn first_write_after(trace: &Trace, open: &Call, fd: i32) -> Result<Call, Fail> {
    let Some((_, lines)) = trace.iter().find(|(h, _)| *h) else {
        fail!("no trace of the original process");
    };
    let at = lines
        .iter()
        .position(|l| *l == open.line)
        .ok_or_else(|| failed("the open call vanished from the trace"))?;
    let before = lines[..at]
        .iter()
        .filter(|l| l.starts_with("write("))
        .count();
    let prefix = format!("write({fd}, ");
    let (i, line) = lines[at..]
        .iter()
        .filter(|l| l.starts_with("write("))
        .enumerate()
        .find(|(_, l)| l.starts_with(&prefix))
        .ok_or_else(|| failed(format!("no write to fd {fd} after {}", open.line)))?;
    Ok(Call {
        in_helper: true,
        nth: before + i + 1,
        line: line.clone(),
    })
}

/// What a faulted run of `enter_and_report` printed.
#[derive(Debug, Default)]
struct FaultRun {
    ok: bool,
    step: String,
    errno: i32,
    in_child: String,
    leaf: String,
    path: String,
    msg: String,
    host: String,
}

/// Runs `enter_and_report` with `inject` (an strace `-e inject=` value, or none) and
/// `env`, checking that it leaves the host as it was: no new mount, no file left in its
/// TMPDIR, no child left behind.
///
/// That TMPDIR is a fresh directory in this scenario's own, which the runner made for
/// this scenario alone: nothing else on the machine writes there, so whatever is left
/// in it is the faulted run's (the library makes no temporary files).
/// The specs of `inject` (`;` between them).
fn inject_specs(inject: Option<&str>) -> Vec<&str> {
    inject
        .map(|specs| specs.split(';').collect())
        .unwrap_or_default()
}

fn run_faulted(inject: Option<&str>, env: &[(&str, &str)]) -> Result<FaultRun, Fail> {
    let tmp = test_support::temp_dir()?;
    let mounts_before = test_support::mountinfo()?;
    let mut cmd = test_support::strace_injected(&inject_specs(inject), "enter_and_report")?;
    cmd.env("TMPDIR", tmp.path()).envs(env.iter().copied());
    let (stdout, stderr) =
        test_support::output_of_success(cmd, format!("enter_and_report with {inject:?}"))?;
    let mut run = FaultRun::default();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("ENTER ") {
            run.ok = rest.starts_with("ok");
            for field in rest.split(' ') {
                match field.split_once('=') {
                    Some(("step", v)) => run.step = v.into(),
                    Some(("errno", v)) => run.errno = v.parse().unwrap_or(-1),
                    Some(("in_child", v)) => run.in_child = v.into(),
                    Some(("path", v)) => run.path = v.into(),
                    Some(("leaf", v)) => run.leaf = v.into(),
                    _ => {}
                }
            }
            if let Some((_, m)) = rest.split_once(" msg=") {
                run.msg = m.into();
            }
        }
        if let Some(rest) = line.strip_prefix("HOST ") {
            run.host = rest.into();
        }
    }
    ensure!(
        run.ok || !run.step.is_empty(),
        "no ENTER line from the helper with {inject:?}:\n{stdout}{stderr}"
    );
    if !run.ok {
        ensure_eq!(
            run.host.as_str(),
            "children=[] mounts_same=true",
            "the original process after {inject:?} ({})",
            run.msg
        );
    }
    // The host, seen from here.
    ensure!(
        test_support::mountinfo()? == mounts_before,
        "the host's mount table changed after {inject:?}"
    );
    ensure_eq!(
        listing(tmp.path())?.len(),
        0,
        "files left in TMPDIR after {inject:?}"
    );
    Ok(run)
}

const INJECTED: &str = "EDOM";

/// Fails `call` with EDOM and checks the parent's error: the step, `in_child`, the errno.
fn expect_fault(syscall: &str, call: &Call, step: Step, env: &[(&str, &str)]) -> TestResult {
    expect_fault_under(None, syscall, call, step, env)
}

/// As [`expect_fault`], with the injections of `base` applied too (`call` is then one of
/// a run traced under them).
fn expect_fault_under(
    base: Option<&str>,
    syscall: &str,
    call: &Call,
    step: Step,
    env: &[(&str, &str)],
) -> TestResult {
    let fault = format!("{syscall}:error={INJECTED}:when={}", call.nth);
    let inject = match base {
        Some(base) => format!("{base};{fault}"),
        None => fault,
    };
    let run = run_faulted(Some(&inject), env)?;
    ensure!(
        !run.ok,
        "enter() worked although {inject} failed {}",
        call.line
    );
    ensure_eq!(
        run.step,
        step.name(),
        "step after failing {} ({})",
        call.line,
        run.msg
    );
    ensure_eq!(
        run.errno,
        libc::EDOM,
        "errno after failing {} ({})",
        call.line,
        run.msg
    );
    ensure_eq!(
        run.in_child,
        (!call.in_helper).to_string(),
        "in_child after failing {} ({})",
        call.line,
        run.msg
    );
    // The error of the failed call comes back as its own crate's type, from the child too.
    let leaf = match (step, syscall) {
        (Step::UnshareParent, _) => "namespaces:Unshare",
        (Step::Fork, _) => "process:Fork",
        (Step::DieWithParent, _) => "process:SetDeathSignal",
        (Step::EnterSharedDir, _) => "sys:Fchdir",
        (Step::Propagation, _) => "mount:Propagation",
        (Step::MountProc, _) => "mount:MountProc",
        (Step::PivotRoot, "pivot_root") => "pivot-root:PivotRoot",
        (Step::PivotRoot, "umount2") => "pivot-root:DetachOldRoot",
        (Step::PivotRoot, _) => "pivot-root:OldRootSlave",
        (Step::BindSharedDir, "move_mount") => "mount:AttachTree",
        (Step::BindSharedDir, "open_tree") => "mount:CloneTree",
        (Step::BindSharedDir, _) => "mount:Bind",
        (Step::Nodev, _) => "mount:SetAttributes",
        (Step::CheckCwd, _) => "sys:CheckCwd",
        (Step::Capabilities, _) => "sys:DropCapabilities",
        (Step::Init, _) => "process:SignalMask",
        (Step::Landlock, _) => "sys:Landlock",
        _ => "",
    };
    if !leaf.is_empty() {
        ensure_eq!(
            run.leaf,
            leaf,
            "the typed source after failing {} ({})",
            call.line,
            run.msg
        );
    } else {
        ensure!(
            !["none", "untyped"].contains(&run.leaf.as_str()),
            "no typed source after failing {} ({})",
            call.line,
            run.msg
        );
    }
    Ok(())
}

/// Traces a clean run, finds the call, fails it.
fn fault(
    syscall: &str,
    in_helper: bool,
    needle: &str,
    step: Step,
    env: &[(&str, &str)],
) -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    let trace = trace_enter(syscall, env)?;
    let call = find_call(&trace, syscall, in_helper, needle)?;
    expect_fault(syscall, &call, step, env)
}

fn fault_unshare_in_parent_is_reported_and_leaves_host_unchanged() -> TestResult {
    // CLONE_NEWPID is created by the original process, in both modes.
    fault("unshare", true, "CLONE_NEWPID", Step::UnshareParent, &[])
}

fn fault_unshare_in_child_is_reported_and_leaves_host_unchanged() -> TestResult {
    // strace counts calls per process and the original process's unshare comes first in
    // both: a seccomp filter on the flags fails only the child's unshare(CLONE_NEWNS).
    let flags = (libc::CLONE_NEWNS as u32).to_string();
    let env = [(ENV_DENY_UNSHARE, flags.as_str())];
    let run = run_faulted(None, &env)?;
    ensure!(
        !run.ok,
        "enter() worked although unshare(CLONE_NEWNS) failed"
    );
    ensure_eq!(run.step, Step::UnshareChild.name(), "({})", run.msg);
    ensure_eq!(run.errno, libc::EDOM, "({})", run.msg);
    ensure_eq!(run.in_child, "true", "({})", run.msg);
    ensure_eq!(run.leaf, "namespaces:Unshare", "({})", run.msg);
    Ok(())
}

fn fault_id_map_writes_are_reported_and_leave_host_unchanged() -> TestResult {
    if test_support::is_root() {
        skip!("root needs no user namespace and writes no id map; the unprivileged run covers it");
    }
    test_support::require_tool(&test_support::tools::STRACE)?;
    let trace = trace_enter("open,openat,write", &[])?;
    for file in ["setgroups", "gid_map", "uid_map"] {
        // rustix opens CWD-relative paths with open(2) where the architecture has it.
        let needle = format!("/{file}\"");
        let (syscall, open) = match find_call(&trace, "open", true, &needle) {
            Ok(call) => ("open", call),
            Err(_) => ("openat", find_call(&trace, "openat", true, &needle)?),
        };
        expect_fault(syscall, &open, Step::WriteIdMaps, &[])?;
        // The write to the descriptor that openat returned.
        let fd = open
            .line
            .rsplit("= ")
            .next()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .ok_or_else(|| failed(format!("no fd in {:?}", open.line)))?;
        let write = first_write_after(&trace, &open, fd)?;
        ensure!(
            write
                .line
                .contains(if file == "setgroups" { "deny" } else { " 1" }),
            "the write after opening {file} is not the map: {}",
            write.line
        );
        expect_fault("write", &write, Step::WriteIdMaps, &[])?;
    }
    Ok(())
}

fn fault_fork_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("clone", true, "SIGCHLD", Step::Fork, &[])
}

fn fault_pdeathsig_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("prctl", false, "PR_SET_PDEATHSIG", Step::DieWithParent, &[])
}

fn fault_enter_shared_dir_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("fchdir", false, "", Step::EnterSharedDir, &[])
}

fn fault_propagation_mount_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("mount", false, "MS_REC|MS_PRIVATE", Step::Propagation, &[])
}

fn fault_proc_mount_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("mount", false, "\"proc\"", Step::MountProc, &[])
}

fn fault_open_tree_is_reported_and_leaves_host_unchanged() -> TestResult {
    // The bind of the shared directory: recursive, unlike the proc-fd capture's.
    fault("open_tree", false, "AT_RECURSIVE", Step::BindSharedDir, &[])
}

fn fault_move_mount_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("move_mount", false, "", Step::BindSharedDir, &[])
}

fn fault_read_only_remount_is_reported_and_leaves_host_unchanged() -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    let env = [(ENV_READ_ONLY, "1")];
    // The new mount API (mount_setattr), or mount(MS_REMOUNT|MS_BIND|MS_RDONLY).
    let trace = trace_enter("mount,mount_setattr", &env)?;
    let (syscall, call) = match find_call(&trace, "mount_setattr", false, "MOUNT_ATTR_RDONLY") {
        Ok(c) => ("mount_setattr", c),
        Err(_) => ("mount", find_call(&trace, "mount", false, "MS_RDONLY")?),
    };
    expect_fault(syscall, &call, Step::ReadOnly, &env)
}

fn fault_pivot_root_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("pivot_root", false, "", Step::PivotRoot, &[])
}

fn fault_umount_of_old_root_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("umount2", false, "(\".\", MNT_DETACH", Step::PivotRoot, &[])
}

fn fault_old_root_propagation_is_reported_and_leaves_host_unchanged() -> TestResult {
    // After pivot_root, the old root (at ".") is made slave before it is detached.
    fault("mount", false, "(NULL, \".\"", Step::PivotRoot, &[])
}

fn fault_proc_fd_capture_is_reported_and_leaves_host_unchanged() -> TestResult {
    // The capture clones the fd directory (open_tree) and verifies the handle (fstatfs);
    // where open_tree fails it binds over /proc, opens and detaches (mount, umount2)
    // instead. Failing a call of either way gives the capture step, except open_tree,
    // whose failure the bind makes up for.
    test_support::require_tool(&test_support::tools::STRACE)?;
    let mut tried = 0;
    for base in [None, Some("open_tree:error=ENOSYS")] {
        let trace = trace_enter_injected("mount,umount2,fstatfs,open_tree", base, &[])?;
        let Some((_, lines)) = trace.iter().find(|(h, _)| !*h) else {
            fail!("no sandboxed child in the trace");
        };
        // The calls between the proc mount and the bind of the shared directory (by
        // open_tree, or on the fallback by mount(2); both recursive).
        let proc_mount = find_call(&trace, "mount", false, "\"proc\"")?;
        let start = lines.iter().position(|l| *l == proc_mount.line);
        let end = lines.iter().position(|l| {
            (l.starts_with("open_tree(") && l.contains("AT_RECURSIVE"))
                || (l.starts_with("mount(") && l.contains("MS_BIND|MS_REC"))
        });
        let (Some(start), Some(end)) = (start, end) else {
            fail!("no proc mount or no bind of the shared directory: {lines:#?}");
        };
        for syscall in ["open_tree", "mount", "umount2", "fstatfs"] {
            let open = format!("{syscall}(");
            let calls = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.starts_with(&open));
            for (nth, (at, line)) in calls.enumerate() {
                if at <= start || at >= end {
                    continue;
                }
                let call = Call {
                    in_helper: false,
                    nth: nth + 1,
                    line: line.to_string(),
                };
                tried += 1;
                if syscall != "open_tree" {
                    expect_fault_under(base, syscall, &call, Step::CaptureProcFd, &[])?;
                    continue;
                }
                let inject = format!("{syscall}:error={INJECTED}:when={}", call.nth);
                let run = run_faulted(Some(&inject), &[])?;
                ensure!(run.ok, "enter failed when {line} failed: {}", run.msg);
            }
        }
    }
    ensure!(
        tried >= 4,
        "only {tried} calls between the proc mount and the bind, on both ways"
    );
    Ok(())
}

fn fault_pidfd_open_falls_back_and_enter_still_works() -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    // In the original process, in order: the audit's record of the namespaces it starts
    // from (which notes the errno), the parent watch (which falls back to its pipe), and
    // the handle on the child in fork (which falls back to the plain pid, and so does
    // enter's copy of it).
    for when in [1, 2, 3] {
        let run = run_faulted(Some(&format!("pidfd_open:error=ENOSYS:when={when}")), &[])?;
        ensure!(
            run.ok,
            "enter failed without pidfds (call {when}): {}",
            run.msg
        );
    }
    Ok(())
}

/// `EMFILE` for the child's pidfd (the leaf's `pidfd_open` in `fork`, the third of the
/// original process, then enter's copy of it, an `fcntl(F_DUPFD_CLOEXEC)`) selects no
/// fallback: entering fails at `fork` with the leaf's typed error, the child is killed
/// and reaped (the host check finds no child left).
fn fault_child_pidfd_emfile_is_an_error_and_ends_the_child() -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    let trace = trace_enter("pidfd_open,fcntl", &[])?;
    let copy = trace
        .iter()
        .filter(|(helper, _)| *helper)
        .find_map(|(_, lines)| {
            let last_pidfd = lines.iter().rposition(|l| l.starts_with("pidfd_open("))?;
            let at = last_pidfd
                + lines[last_pidfd..]
                    .iter()
                    .position(|l| l.starts_with("fcntl(") && l.contains("F_DUPFD_CLOEXEC"))?;
            Some(
                lines[..=at]
                    .iter()
                    .filter(|l| l.starts_with("fcntl("))
                    .count(),
            )
        })
        .ok_or_else(|| failed(format!("no copy of the child's pidfd in {trace:#?}")))?;
    for inject in [
        "pidfd_open:error=EMFILE:when=3".to_string(),
        format!("fcntl:error=EMFILE:when={copy}"),
    ] {
        let run = run_faulted(Some(&inject), &[])?;
        ensure!(!run.ok, "entered although {inject} failed");
        ensure_eq!(run.step, Step::Fork.name(), "{inject}: {}", run.msg);
        ensure_eq!(run.errno, libc::EMFILE, "{inject}: {}", run.msg);
        ensure_eq!(run.in_child, "false", "{inject}: {}", run.msg);
        ensure_eq!(run.leaf, "process:ChildPidfd", "{inject}: {}", run.msg);
    }
    Ok(())
}

fn fault_open_tree_enosys_falls_back_to_mount_and_enter_still_works() -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    // Kernels before 5.2 have no open_tree: the bind falls back to mount(2).
    let run = run_faulted(Some("open_tree:error=ENOSYS"), &[])?;
    ensure!(
        run.ok,
        "enter failed when open_tree is missing: {}",
        run.msg
    );
    Ok(())
}

/// Every mount-related call of the sandboxed child fails in turn: each gives a setup
/// error from the child with the injected errno (or, for a call with a fallback, a
/// working sandbox), and leaves the host unchanged.
fn fault_every_mount_call_in_turn_is_reported_and_leaves_host_unchanged() -> TestResult {
    every_mount_call_in_turn(&[(ENV_READ_ONLY, "1")])
}

/// The same on the legacy mount path (`mount(2)` only, the remount walk for read-only).
fn fault_every_mount_call_in_turn_on_the_legacy_path_is_reported_and_leaves_host_unchanged(
) -> TestResult {
    every_mount_call_in_turn(&[(ENV_READ_ONLY, "1"), (ENV_MOUNT_API, "legacy")])
}

fn fault_legacy_read_only_remount_is_reported_and_leaves_host_unchanged() -> TestResult {
    let env = [(ENV_READ_ONLY, "1"), (ENV_MOUNT_API, "legacy")];
    fault("mount", false, "MS_RDONLY", Step::ReadOnly, &env)
}

fn fault_legacy_bind_is_reported_and_leaves_host_unchanged() -> TestResult {
    let env = [(ENV_MOUNT_API, "legacy")];
    fault("mount", false, "MS_BIND|MS_REC", Step::BindSharedDir, &env)
}

fn fault_mount_setattr_enosys_falls_back_to_the_remount_walk_and_read_only_holds() -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    // Kernels 5.2 to 5.11 have open_tree but no mount_setattr; the child checks EROFS.
    let run = run_faulted(Some("mount_setattr:error=ENOSYS"), &[(ENV_READ_ONLY, "1")])?;
    ensure!(
        run.ok,
        "enter failed when mount_setattr is missing: {}",
        run.msg
    );
    Ok(())
}

fn every_mount_call_in_turn(env: &[(&str, &str)]) -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    let syscalls = "mount,umount2,open_tree,move_mount,mount_setattr,fsopen,fsconfig,fsmount,pivot_root,chdir,fchdir,fstatfs";
    let trace = trace_enter(syscalls, env)?;
    // strace counts per process: skip an ordinal the original process also reaches, as
    // the injection would hit it there too.
    let mut in_helper: BTreeMap<String, usize> = BTreeMap::new();
    for (_, lines) in trace.iter().filter(|(h, _)| *h) {
        for line in lines {
            if let Some(name) = line.split('(').next() {
                *in_helper.entry(name.to_string()).or_insert(0) += 1;
            }
        }
    }
    let mut tried = 0;
    for (helper, lines) in &trace {
        if *helper {
            continue;
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for line in lines {
            let Some(name) = line
                .split('(')
                .next()
                .filter(|n| syscalls.split(',').any(|s| s == *n))
            else {
                continue;
            };
            let n = counts.entry(name.to_string()).or_insert(0);
            *n += 1;
            if in_helper.get(name).is_some_and(|h| *h >= *n) {
                continue;
            }
            let inject = format!("{name}:error={INJECTED}:when={n}");
            let run = run_faulted(Some(&inject), env)?;
            tried += 1;
            if run.ok {
                // A failure the code survives is fine only if the sandbox still works,
                // which enter_and_report checked (the child saw /marker).
                continue;
            }
            ensure_eq!(
                run.errno,
                libc::EDOM,
                "errno after failing {line} ({})",
                run.msg
            );
            ensure_eq!(
                run.in_child,
                "true",
                "in_child after failing {line} ({})",
                run.msg
            );
        }
    }
    ensure!(
        tried > 5,
        "only {tried} calls found in the sandboxed child: {trace:#?}"
    );
    Ok(())
}

fn fault_nodev_remount_is_reported_and_leaves_host_unchanged() -> TestResult {
    // Without read-only, nodev is the child's only mount_setattr.
    fault("mount_setattr", false, "MOUNT_ATTR_NODEV", Step::Nodev, &[])
}

fn fault_cwd_check_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("getcwd", false, "", Step::CheckCwd, &[])
}

fn fault_capability_drop_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("capset", false, "", Step::Capabilities, &[])
}

fn fault_bounding_set_drop_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault("prctl", false, "PR_CAPBSET_DROP", Step::Capabilities, &[])
}

fn fault_setsid_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault(
        "setsid",
        false,
        "",
        Step::Hardening,
        &[(ENV_HARDENING, "1")],
    )
}

fn fault_no_new_privs_is_reported_and_leaves_host_unchanged() -> TestResult {
    fault(
        "prctl",
        false,
        "PR_SET_NO_NEW_PRIVS",
        Step::Hardening,
        &[(ENV_HARDENING, "1"), (ENV_NO_LANDLOCK, "1")],
    )
}

fn fault_landlock_is_reported_and_leaves_host_unchanged() -> TestResult {
    if sandbox::landlock_abi().is_none() {
        skip!("the kernel has no Landlock");
    }
    fault("landlock_restrict_self", false, "", Step::Landlock, &[])
}

fn fault_init_signal_mask_is_reported_and_leaves_host_unchanged() -> TestResult {
    // The init blocks the signals it passes on before forking the daemon; its fork
    // itself cannot be failed alone (strace counts per process, and the original
    // process's fork is its first clone too).
    test_support::require_tool(&test_support::tools::STRACE)?;
    let env = [(ENV_INIT, "1")];
    let trace = trace_enter("rt_sigprocmask", &env)?;
    let call = find_call(&trace, "rt_sigprocmask", false, "SIG_BLOCK")?;
    let in_helper = trace
        .iter()
        .filter(|(h, _)| *h)
        .flat_map(|(_, l)| l)
        .filter(|l| l.starts_with("rt_sigprocmask("))
        .count();
    if in_helper >= call.nth {
        skip!(
            "the original process makes {in_helper} rt_sigprocmask calls: an injection would \
             hit it first"
        );
    }
    expect_fault("rt_sigprocmask", &call, Step::Init, &env)
}

fn init_under_enter_and_report_works() -> TestResult {
    let run = run_faulted(None, &[(ENV_INIT, "1"), (ENV_HARDENING, "1")])?;
    ensure!(
        run.ok,
        "enter with the init and hardening failed: {}",
        run.msg
    );
    Ok(())
}

// =======================================================================================
// Escape attempts from inside.

fn dotdot_from_root_is_root() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    run_inside(sandbox, |_| {
        let root = dev_ino("/")?;
        for p in ["/..", "/../..", "/../../../..", "/./../."] {
            ensure_eq!(dev_ino(p)?, root, "{p} is /");
        }
        ensure!(
            Path::new("/../marker").exists(),
            "/../marker is the shared marker"
        );
        // chdir("..") from "/" stays at "/".
        std::env::set_current_dir("..").map_err(io_ctx("chdir .."))?;
        ensure_eq!(dev_ino(".")?, root, "cwd after chdir ..");
        Ok(String::new())
    })?;
    Ok(())
}

fn host_files_are_unreachable() -> TestResult {
    let (top, shared) = shared_dir_with_marker()?;
    let outside = top.path().join("outside-marker");
    std::fs::write(&outside, "host").map_err(io_ctx("write outside marker"))?;
    ensure!(
        Path::new("/etc/passwd").exists(),
        "the host has /etc/passwd"
    );
    let outside_s = outside.to_string_lossy().into_owned();
    let shared_s = shared.to_string_lossy().into_owned();
    let sandbox = prepare(Sandbox::builder(&shared))?;
    run_inside(sandbox, move |_| {
        for p in [
            "/etc/passwd",
            "/outside-marker",
            "/../outside-marker",
            outside_s.as_str(),
            "/tmp",
            "/proc",
            "/dev",
        ] {
            let got = errno_of(std::fs::symlink_metadata(p));
            ensure_eq!(got, Some(libc::ENOENT), "{p} inside the sandbox");
        }
        // The host path of the shared dir means nothing inside either.
        ensure!(
            !Path::new(&shared_s).join(MARKER).exists(),
            "{shared_s} reachable inside"
        );
        let names = listing("/")?;
        ensure_eq!(
            names.into_iter().collect::<Vec<_>>(),
            vec![MARKER.to_string()],
            "ls /"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn proc_root_links_are_unreachable() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    std::fs::create_dir(shared.join("p")).map_err(io_ctx("mkdir p"))?;
    let host_pid = getpid();
    let sandbox = prepare(Sandbox::builder(&shared))?;
    let out = run_inside(sandbox, move |_| {
        for p in [
            "/proc/1/root",
            "/proc/self/root",
            "/proc/1/cwd",
            "/proc/self/fd",
        ] {
            ensure_eq!(
                errno_of(std::fs::symlink_metadata(p)),
                Some(libc::ENOENT),
                "{p}"
            );
        }
        // A proc mounted from inside (when the kernel allows it at all) shows only the
        // sandbox's pid namespace, and its pid 1's root is the sandbox's root.
        // SAFETY: mount(2) with valid NUL-terminated strings and no data.
        let r = unsafe {
            libc::mount(
                c"proc".as_ptr(),
                c"/p".as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            )
        };
        if r != 0 {
            return Ok(format!("mounted=no errno={}\n", errno()));
        }
        let root = dev_ino("/")?;
        ensure_eq!(dev_ino("/p/1/root")?, root, "/p/1/root");
        ensure_eq!(dev_ino("/p/self/root")?, root, "/p/self/root");
        let pids: Vec<String> = listing("/p")?
            .into_iter()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        ensure_eq!(
            pids,
            vec!["1".to_string()],
            "the processes a fresh proc shows"
        );
        ensure!(
            !Path::new(&format!("/p/{host_pid}")).exists(),
            "host pid {host_pid} visible"
        );
        Ok("mounted=yes\n".into())
    })?;
    if fact(&out.report, "mounted") == Some("no") {
        // Unprivileged, the kernel refuses: no fully visible proc in this mount namespace.
        ensure!(
            !test_support::is_root(),
            "root could not mount a proc inside: {}",
            out.report
        );
        ensure_eq!(
            fact(&out.report, "errno"),
            Some(libc::EPERM.to_string().as_str())
        );
    }
    Ok(())
}

fn symlinks_in_the_shared_dir_resolve_inside() -> TestResult {
    let (top, shared) = shared_dir_with_marker()?;
    std::fs::write(top.path().join("outside-marker"), "host").map_err(io_ctx("write"))?;
    for (name, target) in [
        ("host-etc", "/etc"),
        ("passwd", "/etc/passwd"),
        ("up", "../../.."),
        ("outside", "../outside-marker"),
        (
            "abs-outside",
            &*top.path().join("outside-marker").to_string_lossy(),
        ),
        ("root", "/"),
    ] {
        symlink(target, shared.join(name)).map_err(io_ctx("symlink"))?;
    }
    let sandbox = prepare(Sandbox::builder(&shared))?;
    run_inside(sandbox, |_| {
        for p in [
            "/host-etc",
            "/host-etc/passwd",
            "/passwd",
            "/outside",
            "/abs-outside",
            "/up/outside-marker",
        ] {
            ensure_eq!(
                errno_of(std::fs::metadata(p)),
                Some(libc::ENOENT),
                "{p} resolves inside"
            );
        }
        let root = dev_ino("/")?;
        ensure_eq!(dev_ino("/up")?, root, "/up -> ../../.. is /");
        ensure_eq!(dev_ino("/root")?, root, "/root -> / is /");
        ensure!(
            Path::new("/up/marker").exists(),
            "/up/marker is the shared marker"
        );
        ensure_eq!(
            std::fs::canonicalize("/up/up/up").map_err(io_ctx("canonicalize"))?,
            PathBuf::from("/")
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn host_processes_cannot_be_signalled() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let mut sleeper = Command::new("sleep")
        .arg("30")
        .spawn()
        .map_err(io_ctx("spawn sleep"))?;
    let (me, other) = (getpid(), sleeper.id() as i32);
    let sandbox = prepare(Sandbox::builder(&shared))?;
    let result = run_inside(sandbox, move |_| {
        for pid in [me, other] {
            ensure_eq!(
                kill(pid, 0),
                Err(libc::ESRCH),
                "kill({pid}, 0) of a host process"
            );
        }
        // Signal 0 to every process but ourselves: there is none.
        ensure_eq!(kill(-1, 0), Err(libc::ESRCH), "kill(-1, 0)");
        // The parent is outside: getppid() is 0 for a namespace's init.
        // SAFETY: getppid takes no arguments.
        ensure_eq!(unsafe { libc::getppid() }, 0, "getppid()");
        Ok(String::new())
    });
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    result?;
    Ok(())
}

fn no_network_interface_but_lo() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let host = interface_names()?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    let out = run_inside(sandbox, |_| {
        Ok(format!("ifaces={}\n", interface_names()?.join(",")))
    })?;
    ensure_eq!(
        need(&out.report, "ifaces")?,
        "lo",
        "interfaces inside (host has {host:?})"
    );
    Ok(())
}

fn cwd_is_the_new_root() -> TestResult {
    let (top, shared) = shared_dir_with_marker()?;
    // Start from somewhere else on the host, outside the shared dir.
    std::env::set_current_dir(top.path()).map_err(io_ctx("chdir"))?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    run_inside(sandbox, |_| {
        ensure_eq!(
            std::env::current_dir().map_err(io_ctx("getcwd"))?,
            PathBuf::from("/")
        );
        ensure_eq!(dev_ino(".")?, dev_ino("/")?);
        ensure!(
            Path::new("marker").exists(),
            "relative paths resolve in the shared dir"
        );
        ensure!(
            !Path::new("shared").exists() && !Path::new("../shared").exists(),
            "cwd outside"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn proc_self_fd_dotdot_does_not_reach_the_host_proc() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let host_pid = getpid();
    let sandbox = prepare(Sandbox::builder(&shared))?;
    run_inside(sandbox, move |inside| {
        let handle = inside.proc_self_fd();
        let root = dev_ino("/")?;
        let mut up = String::from("..");
        for _ in 0..5 {
            // The host's proc would have our scenario process in it.
            let host_entry = format!("{up}/{host_pid}");
            let r = rustix::fs::openat(
                handle,
                &*host_entry,
                OFlags::PATH,
                rustix::fs::Mode::empty(),
            );
            ensure!(
                r.is_err(),
                "{host_entry} from the proc-fd handle exists: host proc reachable"
            );
            // Whatever pid 1 is reachable, its root is the sandbox's.
            let one = format!("{up}/1/root");
            if let Ok(fd) =
                rustix::fs::openat(handle, &*one, OFlags::PATH, rustix::fs::Mode::empty())
            {
                let st = rustix::fs::fstat(&fd).map_err(failed)?;
                ensure_eq!((st.st_dev, st.st_ino), root, "{one} from the handle");
            }
            up.push_str("/..");
        }
        Ok(String::new())
    })?;
    Ok(())
}

fn read_only_makes_writes_fail_with_erofs_and_host_stays_writable() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    std::fs::create_dir(shared.join("sub")).map_err(io_ctx("mkdir sub"))?;
    let sandbox = prepare(Sandbox::builder(&shared).read_only(true))?;
    run_inside(sandbox, |_| {
        for p in ["/new-file", "/sub/new-file"] {
            ensure_eq!(
                errno_of(std::fs::write(p, "x")),
                Some(libc::EROFS),
                "create {p}"
            );
        }
        let w = std::fs::OpenOptions::new().append(true).open("/marker");
        ensure_eq!(errno_of(w), Some(libc::EROFS), "open /marker for writing");
        ensure_eq!(
            errno_of(std::fs::remove_file("/marker")),
            Some(libc::EROFS),
            "unlink"
        );
        ensure_eq!(
            errno_of(std::fs::create_dir("/d")),
            Some(libc::EROFS),
            "mkdir"
        );
        ensure_eq!(marker_text_at("/marker")?, MARKER_TEXT, "still readable");
        Ok(String::new())
    })?;
    // The host's view stays writable.
    std::fs::write(shared.join("new-file"), "x").map_err(io_ctx("write on the host"))?;
    std::fs::write(shared.join("sub/new-file"), "x").map_err(io_ctx("write on the host"))?;
    Ok(())
}

// =======================================================================================
// Propagation, tried in a mount namespace of the scenario's own (never the host's).

/// In a namespace of our own where the shared dir is a shared mount, enters with
/// `propagation`, then (from a helper process that stayed in our namespace) mounts a
/// tmpfs at `shared/sub` with a file in it; says whether the sandbox sees that file.
///
/// Runs in a forked child, so that the scenario process keeps its namespaces and can
/// remove its temp dir.
fn late_host_mount_seen_inside(propagation: sandbox::Propagation, expect_seen: bool) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    test_support::in_child(|| {
        let seen = late_host_mount_seen_inside_here(&shared, propagation)?;
        ensure_eq!(
            seen,
            expect_seen,
            "a mount made below the shared dir after enter is visible inside ({propagation:?})"
        );
        Ok(())
    })
}

fn late_host_mount_seen_inside_here(
    shared: &Path,
    propagation: sandbox::Propagation,
) -> Result<bool, Fail> {
    let sub = shared.join("sub");
    std::fs::create_dir(&sub).map_err(io_ctx("mkdir sub"))?;
    own_mount_namespace()?;
    mount(Some(shared), shared, None, libc::MS_BIND)?;
    mount(Some(Path::new("none")), shared, None, libc::MS_SHARED)?;
    // The helper that mounts on request, from our namespace (the sandbox's original
    // process moves to a user namespace where it could no longer mount here).
    // Bytes on the command pipe: 'm' mount, 'q' quit (not EOF: the sandboxed child
    // inherits a copy of the write end).
    let (cmd_r, cmd_w) = pipe()?;
    let (ack_r, ack_w) = pipe()?;
    let sub_h = sub.clone();
    let helper = fork_process(move || {
        let mut cmd_r = cmd_r;
        if !wait_go(&mut cmd_r) {
            return 0;
        }
        let r = mount(Some(Path::new("tmpfs")), &sub_h, Some("tmpfs"), 0)
            .and_then(|()| std::fs::write(sub_h.join("late"), "x").map_err(io_ctx("write late")));
        send(ack_w, if r.is_ok() { "k" } else { "e" });
        // Keep the mount's namespace alive until told to go.
        wait_go(&mut cmd_r);
        0
    })?;
    let mut cmd_w = cmd_w;
    let mut ack_r = ack_r;
    let result = (|| {
        let sandbox = prepare(Sandbox::builder(shared).propagation(propagation))?;
        run_inside_with(
            sandbox,
            0,
            |_| {
                use std::io::Write;
                cmd_w
                    .write_all(b"m")
                    .map_err(io_ctx("ask the helper to mount"))?;
                expect(&mut ack_r, "k")
            },
            |_| Ok(format!("late={}\n", Path::new("/sub/late").exists())),
        )
    })();
    {
        use std::io::Write;
        let _ = cmd_w.write_all(b"q");
    }
    let _ = waitpid(helper);
    Ok(need(&result?.report, "late")? == "true")
}

fn host_mounts_made_after_enter_appear_inside_with_slave_propagation() -> TestResult {
    late_host_mount_seen_inside(sandbox::Propagation::Slave, true)
}

fn host_mounts_made_after_enter_stay_outside_with_private_propagation() -> TestResult {
    late_host_mount_seen_inside(sandbox::Propagation::Private, false)
}

/// In a namespace of our own whose mounts are all shared (as on a systemd host), enters
/// with `configure` and checks that our mount table is the same while the sandbox runs
/// and after.
/// Runs in a forked child, like [`late_host_mount_seen_inside`].
fn mounts_stay_inside(configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    test_support::in_child(|| mounts_stay_inside_here(&shared, configure))
}

fn mounts_stay_inside_here(
    shared: &Path,
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
) -> TestResult {
    own_mount_namespace()?;
    mount(
        Some(Path::new("none")),
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_SHARED,
    )?;
    let before = test_support::mountinfo()?;
    let builder = configure(Sandbox::builder(shared));
    let sandbox = match builder.clone().build() {
        Ok(_) => builder,
        Err(e @ Error::SharedDir { .. }) => return Err(failed(e)),
        Err(e) => {
            ensure_eq!(e.kind(), ErrorKind::InvalidInput, "refused with {e}");
            return Ok(());
        }
    };
    let (result, during) = run_inside_noting_mountinfo(sandbox, |_| Ok(String::new()));
    let after = match std::fs::read_to_string("/proc/self/mountinfo") {
        Ok(text) => text,
        Err(e) => fail!(
            "after enter() (which gave {:?}), our /proc/self/mountinfo cannot be read ({e}): \
             the sandbox's proc mount reached our /proc",
            result.as_ref().err()
        ),
    };
    let leaked: Vec<&str> = after
        .lines()
        .filter(|l| !before.lines().any(|b| b == *l))
        .collect();
    ensure!(
        leaked.is_empty(),
        "mounts of the sandbox reached our namespace: {leaked:#?} (enter gave {:?})",
        result.as_ref().err()
    );
    result?;
    ensure_eq!(during, before, "our mount table while the sandbox runs");
    Ok(())
}

fn sandbox_mounts_do_not_reach_a_host_whose_mounts_are_shared() -> TestResult {
    mounts_stay_inside(|b| b)
}

fn shared_propagation_is_refused_or_does_not_leak_to_the_host() -> TestResult {
    // The builder takes any Propagation; its docs promise that nothing mounted inside
    // reaches the host.
    mounts_stay_inside(|b| b.propagation(sandbox::Propagation::Shared))
}

// =======================================================================================
// Modes.

fn chroot_mode_makes_the_shared_dir_the_root() -> TestResult {
    test_support::require_root()?;
    let (top, shared) = shared_dir_with_marker()?;
    std::fs::write(top.path().join("outside-marker"), "host").map_err(io_ctx("write"))?;
    // In a forked child: after the chroot this process could not remove its temp dir.
    test_support::in_child(|| chroot_mode_checks(&shared))
}

fn chroot_mode_checks(shared: &Path) -> TestResult {
    let me = getpid();
    let before = own_namespaces()?;
    let sandbox = prepare(Sandbox::builder(shared).mode(Mode::Chroot))?;
    let inside = match sandbox.enter()? {
        Entered::Inside(inside) => inside,
        Entered::Parent(_) => fail!("chroot mode forked"),
    };
    // No fork: still this process, in the same namespaces (checked through the handle on
    // the host's proc, since /proc is outside the new root).
    ensure_eq!(getpid(), me, "same process");
    ensure!(inside.root_changed(), "root_changed()");
    ensure_eq!(marker_text_at("/marker")?, MARKER_TEXT);
    ensure_eq!(
        errno_of(std::fs::metadata("/outside-marker")),
        Some(libc::ENOENT)
    );
    ensure_eq!(
        errno_of(std::fs::metadata("/../outside-marker")),
        Some(libc::ENOENT)
    );
    ensure_eq!(
        errno_of(std::fs::metadata("/etc/passwd")),
        Some(libc::ENOENT)
    );
    ensure_eq!(dev_ino("/..")?, dev_ino("/")?);
    let handle = inside.proc_self_fd();
    for (name, was) in &before {
        if name == "pid_for_children" {
            continue;
        }
        let link =
            rustix::fs::readlinkat(handle, format!("../ns/{name}"), Vec::new()).map_err(failed)?;
        ensure_eq!(
            link.to_string_lossy(),
            was.as_str(),
            "namespace {name} unchanged"
        );
    }
    let path_fd = rustix::fs::open(
        "/marker",
        OFlags::PATH | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(failed)?;
    let fd = handle.reopen(&path_fd, OFlags::RDONLY).map_err(failed)?;
    ensure_eq!(access_mode(fd.as_fd())?, libc::O_RDONLY);
    Ok(())
}

fn chroot_mode_without_privilege_fails_at_the_chroot_step() -> TestResult {
    if test_support::is_root() {
        skip!("root may chroot; the unprivileged run covers the refusal");
    }
    let (_top, shared) = shared_dir_with_marker()?;
    let root = dev_ino("/")?;
    let sandbox = prepare(Sandbox::builder(&shared).mode(Mode::Chroot))?;
    match sandbox.enter() {
        Err(e) => {
            ensure_eq!(e.step(), Some(Step::Chroot), "{e}");
            ensure_eq!(
                e.errno().map(|e| e.raw_os_error()),
                Some(libc::EPERM),
                "{e}"
            );
            ensure_eq!(e.kind(), ErrorKind::PermissionDenied);
        }
        Ok(_) => fail!("chroot worked without CAP_SYS_CHROOT"),
    }
    ensure_eq!(dev_ino("/")?, root, "the root did not change");
    Ok(())
}

fn none_mode_changes_nothing_but_gives_a_proc_fd() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let me = getpid();
    let before = own_namespaces()?;
    let root = dev_ino("/")?;
    let cwd = std::env::current_dir().map_err(io_ctx("getcwd"))?;
    let sandbox = prepare(Sandbox::builder(&shared).mode(Mode::None))?;
    let inside = match sandbox.enter()? {
        Entered::Inside(inside) => inside,
        Entered::Parent(_) => fail!("none mode forked"),
    };
    ensure_eq!(getpid(), me);
    ensure!(!inside.root_changed(), "root_changed()");
    ensure_eq!(dev_ino("/")?, root, "same root");
    ensure_eq!(
        std::env::current_dir().map_err(io_ctx("getcwd"))?,
        cwd,
        "same cwd"
    );
    ensure_eq!(own_namespaces()?, before, "same namespaces");
    ensure_eq!(children_of(me), Vec::<i32>::new(), "nothing forked");
    let path_fd = rustix::fs::open(
        shared.join(MARKER),
        OFlags::PATH | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(failed)?;
    let fd = inside
        .proc_self_fd()
        .reopen(&path_fd, OFlags::RDONLY)
        .map_err(failed)?;
    ensure_eq!(access_mode(fd.as_fd())?, libc::O_RDONLY);
    let mut text = String::new();
    use std::io::Read;
    std::fs::File::from(fd)
        .read_to_string(&mut text)
        .map_err(io_ctx("read"))?;
    ensure_eq!(text, MARKER_TEXT);
    Ok(())
}
