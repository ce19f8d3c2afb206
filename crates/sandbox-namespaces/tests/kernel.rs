//! Kernel tests of `sandbox-namespaces`, each scenario in a fresh process (see `test-support`).
//!
//! Run as root and as an unprivileged uid; scenarios that need the other mode say why they skip.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags};
use rustix::process::{getgid, getpid, getuid, Pid};
use rustix::thread::UnshareFlags;
use sandbox_namespaces::{
    ensure_single_threaded, namespace_id, namespace_id_for_children, namespace_id_of,
    open_namespace, setns, thread_count, unshare, write_own_id_maps, Error, IdMap, IdMapError,
    Namespaces,
};
use sandbox_namespaces::{
    in_initial_user_namespace, rootless_id_map, run_id_map_tool, subordinate_ranges,
    write_id_maps_of, IdMapToolStatus, Setgroups, SubordinateRange,
};
use test_support::namespaces::{enter_user_ns, read_id_map};
use test_support::{become_nobody, ensure, ensure_eq, fail, in_child, skip, Fail, TestResult};

const TMPFS_MAGIC: i64 = 0x0102_1994;

fn main() {
    test_support::main(test_support::scenarios![
        a_fresh_process_has_one_thread,
        unshare_gives_new_namespace_inodes,
        namespace_id_of_sees_a_child_in_other_namespaces,
        namespace_id_is_the_inode_readlink_shows,
        getuid_is_the_overflow_uid_until_the_map_is_written,
        write_own_id_maps_maps_the_captured_ids,
        setgroups_is_denied_after_writing_the_maps,
        mapped_user_namespace_can_mount_tmpfs,
        unshare_with_two_threads_is_refused,
        thread_check_counts_in_proc_when_unshare_is_refused,
        setns_returns_to_a_saved_namespace,
        setns_into_the_wrong_type_is_refused,
        setns_back_into_the_parent_user_namespace_is_refused,
        unshare_without_privilege_reports_eperm,
        mapping_an_outside_uid_not_owned_fails_on_uid_map,
        mapping_an_outside_gid_not_owned_fails_on_gid_map,
        writing_the_maps_twice_fails_on_setgroups,
        invalid_id_map_writes_nothing,
        without_proc_errors_name_the_file,
        write_id_maps_of_maps_a_range_for_another_process_only_as_root,
        in_initial_user_namespace_is_false_after_unshare,
        newuidmap_maps_the_own_id_and_refuses_a_range_not_granted,
        namespace_id_of_pidfd_is_the_proc_id_and_needs_no_proc,
        subordinate_ranges_grant_exactly_what_newuidmap_and_newgidmap_grant,
        rootless_map_of_many_ranges_is_taken_whole_by_newuidmap_and_newgidmap,
    ])
}

/// The uid and gid the kernel reports for unmapped ids.
fn overflow_ids() -> Result<(u32, u32), Fail> {
    let read = |f: &str| -> Result<u32, Fail> {
        std::fs::read_to_string(f)
            .map_err(|e| Fail::Failed(format!("read {f}: {e}")))?
            .trim()
            .parse()
            .map_err(|e| Fail::Failed(format!("parse {f}: {e}")))
    };
    Ok((
        read("/proc/sys/kernel/overflowuid")?,
        read("/proc/sys/kernel/overflowgid")?,
    ))
}

fn read_file(path: &str) -> Result<String, Fail> {
    std::fs::read_to_string(path).map_err(|e| Fail::Failed(format!("read {path}: {e}")))
}

fn a_fresh_process_has_one_thread() -> TestResult {
    ensure_eq!(thread_count()?, 1);
    ensure_single_threaded()?;
    Ok(())
}

fn unshare_gives_new_namespace_inodes() -> TestResult {
    // As root, every type but USER alone (the privileged path); unprivileged, all of them in
    // one call, USER first granting the capabilities for the rest.
    let wanted = if test_support::is_root() {
        Namespaces::all() - Namespaces::USER
    } else {
        Namespaces::all()
    };
    let ids = |f: fn(Namespaces) -> Result<_, Error>| -> Result<Vec<_>, Error> {
        Namespaces::all().iter().map(f).collect()
    };
    let own_before = ids(namespace_id)?;
    let children_before = ids(namespace_id_for_children)?;
    in_child(|| {
        unshare(wanted)?;
        if wanted.contains(Namespaces::PID) {
            // The kernel shows pid_for_children only once the namespace has its pid 1.
            match namespace_id_for_children(Namespaces::PID) {
                Err(e @ Error::StatNamespace { .. }) => ensure_eq!(e.errno(), Some(Errno::NOENT)),
                other => fail!("expected ENOENT before the first child, got {other:?}"),
            }
        }
        let first = hold_child(|| {
            ensure_eq!(
                getpid().as_raw_nonzero().get(),
                1,
                "pid in the new pid namespace"
            );
            Ok(())
        })?;
        ensure_eq!(
            namespace_id_of(first.pid, Namespaces::PID)?,
            namespace_id_for_children(Namespaces::PID)?,
            "the first child is in pid_for_children"
        );
        let own_after = ids(namespace_id)?;
        let children_after = ids(namespace_id_for_children)?;
        for (i, ns) in Namespaces::all().iter().enumerate() {
            let (own_changes, children_change) = if !wanted.contains(ns) {
                (false, false)
            } else if ns == Namespaces::PID || ns == Namespaces::TIME {
                // The caller stays; its next children go into the new namespace.
                (false, true)
            } else {
                (true, true)
            };
            ensure_eq!(
                own_after[i] != own_before[i],
                own_changes,
                "own {ns} changed"
            );
            ensure_eq!(
                children_after[i] != children_before[i],
                children_change,
                "{ns} for children changed"
            );
        }
        Ok(())
    })?;
    // The parent is where it was.
    ensure_eq!(ids(namespace_id)?, own_before);
    ensure_eq!(ids(namespace_id_for_children)?, children_before);
    Ok(())
}

/// A forked child that ran `setup` and now waits until `release` is dropped.
struct Held {
    pid: Pid,
    release: Option<OwnedFd>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.release.take();
        let _ = rustix::process::waitpid(Some(self.pid), rustix::process::WaitOptions::empty());
    }
}

fn hold_child(setup: impl FnOnce() -> TestResult) -> Result<Held, Fail> {
    let (mut report_r, mut report_w) = std::io::pipe().map_err(test_support::failed)?;
    let (release_r, release_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    // SAFETY: scenarios are single-threaded processes, so the child may run any code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        fail!("fork: {}", std::io::Error::last_os_error());
    }
    if pid == 0 {
        drop(report_r);
        drop(release_w);
        let code = match setup() {
            Ok(()) => {
                let _ = report_w.write_all(b"ok");
                drop(report_w);
                let _ = rustix::io::read(&release_r, &mut [0u8; 1]);
                0
            }
            Err(Fail::Skip(r) | Fail::Failed(r)) => {
                let _ = report_w.write_all(r.as_bytes());
                1
            }
        };
        // SAFETY: ends the forked child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    drop(report_w);
    drop(release_r);
    let held = Held {
        pid: Pid::from_raw(pid).ok_or_else(|| test_support::failed("fork returned pid 0"))?,
        release: Some(release_w),
    };
    let mut report = String::new();
    report_r
        .read_to_string(&mut report)
        .map_err(test_support::failed)?;
    ensure_eq!(report, "ok", "the held child's setup");
    Ok(held)
}

fn namespace_id_of_sees_a_child_in_other_namespaces() -> TestResult {
    let child = hold_child(|| {
        unshare(Namespaces::USER | Namespaces::NET | Namespaces::UTS)?;
        Ok(())
    })?;
    for ns in [Namespaces::USER, Namespaces::NET, Namespaces::UTS] {
        ensure!(
            namespace_id_of(child.pid, ns)? != namespace_id(ns)?,
            "the child's {ns} is the parent's"
        );
    }
    for ns in [Namespaces::MOUNT, Namespaces::IPC, Namespaces::PID] {
        ensure_eq!(namespace_id_of(child.pid, ns)?, namespace_id(ns)?, "{ns}");
    }
    Ok(())
}

fn namespace_id_is_the_inode_readlink_shows() -> TestResult {
    for ns in Namespaces::all().iter() {
        let name = ns
            .proc_name()
            .ok_or_else(|| test_support::failed("no proc name"))?;
        let link =
            std::fs::read_link(format!("/proc/self/ns/{name}")).map_err(test_support::failed)?;
        let id = namespace_id(ns)?;
        ensure_eq!(link.to_string_lossy(), format!("{name}:[{}]", id.ino));
        ensure_eq!(namespace_id_of(getpid(), ns)?, id);
    }
    // A pid above the largest possible pid_max (2^22) does not exist.
    let nobody = Pid::from_raw(i32::MAX).ok_or_else(|| test_support::failed("pid"))?;
    match namespace_id_of(nobody, Namespaces::NET) {
        Err(e @ Error::StatNamespace { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::NOENT));
            ensure_eq!(
                e.path(),
                Some(std::path::Path::new("/proc/2147483647/ns/net"))
            );
        }
        other => fail!("expected StatNamespace, got {other:?}"),
    }
    Ok(())
}

fn getuid_is_the_overflow_uid_until_the_map_is_written() -> TestResult {
    let (overflow_uid, overflow_gid) = overflow_ids()?;
    in_child(|| {
        unshare(Namespaces::USER)?;
        ensure_eq!(getuid().as_raw(), overflow_uid);
        ensure_eq!(getgid().as_raw(), overflow_gid);
        ensure_eq!(read_file("/proc/self/uid_map")?, "");
        Ok(())
    })
}

fn write_own_id_maps_maps_the_captured_ids() -> TestResult {
    // Captured before unsharing: afterwards getuid() is the overflow uid.
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    in_child(|| {
        unshare(Namespaces::USER)?;
        write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::identity(gid)])?;
        ensure_eq!(getuid().as_raw(), uid);
        ensure_eq!(getgid().as_raw(), gid);
        ensure_eq!(read_id_map("/proc/self/uid_map")?, vec![[uid, uid, 1]]);
        ensure_eq!(read_id_map("/proc/self/gid_map")?, vec![[gid, gid, 1]]);
        Ok(())
    })?;
    // The one id may be any id inside: here the captured ids become root inside.
    in_child(|| {
        unshare(Namespaces::USER)?;
        write_own_id_maps(&[IdMap::new(0, uid, 1)], &[IdMap::new(0, gid, 1)])?;
        ensure_eq!(getuid().as_raw(), 0);
        ensure_eq!(getgid().as_raw(), 0);
        ensure_eq!(read_id_map("/proc/self/uid_map")?, vec![[0, uid, 1]]);
        Ok(())
    })?;
    // After unshare(USER) the process has no capability in the parent namespace, so even
    // root cannot map a range for itself: the kernel refuses it (EPERM on the first map).
    in_child(|| {
        unshare(Namespaces::USER)?;
        match write_own_id_maps(&[IdMap::new(0, uid, 2)], &[IdMap::new(0, gid, 2)]) {
            Err(e @ Error::WriteIdMap { .. }) => {
                ensure_eq!(e.path(), Some(std::path::Path::new("/proc/self/gid_map")));
                ensure_eq!(e.errno(), Some(Errno::PERM));
            }
            other => fail!("expected WriteIdMap EPERM on gid_map, got {other:?}"),
        }
        Ok(())
    })
}

fn setgroups_is_denied_after_writing_the_maps() -> TestResult {
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    in_child(|| {
        unshare(Namespaces::USER)?;
        ensure_eq!(read_file("/proc/self/setgroups")?.trim(), "allow");
        write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::identity(gid)])?;
        ensure_eq!(read_file("/proc/self/setgroups")?.trim(), "deny");
        // The kernel enforces it, even with CAP_SETGID in the namespace.
        let gid = rustix::process::Gid::from_raw(gid);
        ensure_eq!(rustix::thread::set_thread_groups(&[gid]), Err(Errno::PERM));
        Ok(())
    })
}

fn mapped_user_namespace_can_mount_tmpfs() -> TestResult {
    let dir = test_support::temp_dir()?;
    let host_mounts = test_support::mountinfo()?;
    in_child(|| {
        enter_user_ns(UnshareFlags::NEWNS)?;
        rustix::mount::mount_change(
            "/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )?;
        rustix::mount::mount("tmpfs", dir.path(), "tmpfs", MountFlags::empty(), None)?;
        let st = rustix::fs::statfs(dir.path())?;
        ensure_eq!(st.f_type as i64, TMPFS_MAGIC, "the mount is a tmpfs");
        std::fs::write(dir.path().join("inside"), b"x").map_err(test_support::failed)?;
        Ok(())
    })?;
    // The mount lived in the child's mount namespace only.
    ensure!(
        !dir.path().join("inside").exists(),
        "a file written in the child's tmpfs is visible to the parent"
    );
    ensure_eq!(test_support::mountinfo()?, host_mounts);
    Ok(())
}

fn unshare_with_two_threads_is_refused() -> TestResult {
    let user_before = namespace_id(Namespaces::USER)?;
    let _thread = std::thread::spawn(|| loop {
        std::thread::park();
    });
    ensure_eq!(thread_count()?, 2);
    match unshare(Namespaces::USER | Namespaces::MOUNT) {
        Err(e @ Error::MultiThreaded { threads: 2 }) => {
            ensure!(e.to_string().contains("2 threads"), "{e}");
        }
        other => fail!("expected MultiThreaded {{ threads: 2 }}, got {other:?}"),
    }
    ensure_eq!(namespace_id(Namespaces::USER)?, user_before);
    let fd = open_namespace(Namespaces::USER)?;
    match setns(&fd, Namespaces::USER) {
        Err(Error::MultiThreaded { threads: 2 }) => {}
        other => fail!("expected MultiThreaded {{ threads: 2 }}, got {other:?}"),
    }
    ensure!(
        matches!(
            ensure_single_threaded(),
            Err(Error::MultiThreaded { threads: 2 })
        ),
        "ensure_single_threaded"
    );
    Ok(())
}

fn setns_returns_to_a_saved_namespace() -> TestResult {
    if !test_support::is_root() {
        // An unprivileged process can only enter namespaces its own user namespace owns:
        // save one such network namespace, leave it, come back.
        enter_user_ns(UnshareFlags::NEWNET)?;
    }
    let saved = open_namespace(Namespaces::NET)?;
    let before = namespace_id(Namespaces::NET)?;
    unshare(Namespaces::NET)?;
    ensure!(
        namespace_id(Namespaces::NET)? != before,
        "unshare(NET) changed nothing"
    );
    setns(&saved, Namespaces::NET)?;
    ensure_eq!(namespace_id(Namespaces::NET)?, before);
    // Empty means any type.
    unshare(Namespaces::NET)?;
    setns(&saved, Namespaces::empty())?;
    ensure_eq!(namespace_id(Namespaces::NET)?, before);
    Ok(())
}

fn setns_into_the_wrong_type_is_refused() -> TestResult {
    let net = open_namespace(Namespaces::NET)?;
    let uts = namespace_id(Namespaces::UTS)?;
    match setns(&net, Namespaces::UTS) {
        Err(e @ Error::Setns { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::INVAL));
            ensure_eq!(e.to_string(), "setns uts: Invalid argument (os error 22)");
        }
        other => fail!("expected Setns EINVAL, got {other:?}"),
    }
    ensure_eq!(namespace_id(Namespaces::UTS)?, uts);
    Ok(())
}

fn setns_back_into_the_parent_user_namespace_is_refused() -> TestResult {
    let parent = open_namespace(Namespaces::USER)?;
    let parent_id = namespace_id(Namespaces::USER)?;
    enter_user_ns(UnshareFlags::empty())?;
    let own = namespace_id(Namespaces::USER)?;
    match setns(&parent, Namespaces::USER) {
        Err(e @ Error::Setns { .. }) => ensure_eq!(e.errno(), Some(Errno::PERM)),
        other => fail!("expected Setns EPERM, got {other:?}"),
    }
    ensure_eq!(namespace_id(Namespaces::USER)?, own);
    ensure!(own != parent_id, "still in the parent user namespace");
    Ok(())
}

fn unshare_without_privilege_reports_eperm() -> TestResult {
    in_child(|| {
        become_nobody()?;
        let net = namespace_id(Namespaces::NET)?;
        match unshare(Namespaces::NET) {
            Err(e @ Error::Unshare { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::PERM));
                ensure_eq!(
                    e.to_string(),
                    "unshare net: Operation not permitted (os error 1)"
                );
            }
            other => fail!("expected Unshare EPERM, got {other:?}"),
        }
        ensure_eq!(namespace_id(Namespaces::NET)?, net);
        Ok(())
    })
}

fn mapping_an_outside_uid_not_owned_fails_on_uid_map() -> TestResult {
    in_child(|| {
        become_nobody()?;
        let gid = getgid().as_raw();
        let (overflow_uid, _) = overflow_ids()?;
        unshare(Namespaces::USER)?;
        match write_own_id_maps(&[IdMap::new(0, 0, 1)], &[IdMap::identity(gid)]) {
            Err(e @ Error::WriteIdMap { .. }) => {
                ensure_eq!(e.path(), Some(std::path::Path::new("/proc/self/uid_map")));
                ensure_eq!(e.errno(), Some(Errno::PERM));
            }
            other => fail!("expected WriteIdMap on uid_map, got {other:?}"),
        }
        // gid_map went first and took; uid_map stayed unwritten.
        ensure_eq!(read_id_map("/proc/self/gid_map")?, vec![[gid, gid, 1]]);
        ensure_eq!(read_id_map("/proc/self/uid_map")?, Vec::<[u32; 3]>::new());
        ensure_eq!(getuid().as_raw(), overflow_uid);
        Ok(())
    })
}

fn mapping_an_outside_gid_not_owned_fails_on_gid_map() -> TestResult {
    in_child(|| {
        become_nobody()?;
        let uid = getuid().as_raw();
        unshare(Namespaces::USER)?;
        match write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::new(0, 0, 1)]) {
            Err(e @ Error::WriteIdMap { .. }) => {
                ensure_eq!(e.path(), Some(std::path::Path::new("/proc/self/gid_map")));
                ensure_eq!(e.errno(), Some(Errno::PERM));
            }
            other => fail!("expected WriteIdMap on gid_map, got {other:?}"),
        }
        ensure_eq!(read_id_map("/proc/self/gid_map")?, Vec::<[u32; 3]>::new());
        ensure_eq!(read_id_map("/proc/self/uid_map")?, Vec::<[u32; 3]>::new());
        Ok(())
    })
}

fn writing_the_maps_twice_fails_on_setgroups() -> TestResult {
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    in_child(|| {
        unshare(Namespaces::USER)?;
        write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::identity(gid)])?;
        match write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::identity(gid)]) {
            Err(e @ Error::WriteIdMap { .. }) => {
                ensure_eq!(e.path(), Some(std::path::Path::new("/proc/self/setgroups")));
                ensure_eq!(e.errno(), Some(Errno::PERM));
            }
            other => fail!("expected WriteIdMap on setgroups, got {other:?}"),
        }
        ensure_eq!(read_id_map("/proc/self/uid_map")?, vec![[uid, uid, 1]]);
        Ok(())
    })
}

fn invalid_id_map_writes_nothing() -> TestResult {
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    in_child(|| {
        unshare(Namespaces::USER)?;
        let bad = [IdMap::identity(uid), IdMap::new(uid, uid, 1)];
        match write_own_id_maps(&bad, &[IdMap::identity(gid)]) {
            Err(Error::InvalidIdMap {
                file: "uid_map",
                reason: IdMapError::Overlap { .. },
            }) => {}
            other => fail!("expected InvalidIdMap on uid_map, got {other:?}"),
        }
        // Nothing reached the kernel: setgroups still allowed, no map, and a valid write
        // still works (each file can be written only once).
        ensure_eq!(read_file("/proc/self/setgroups")?.trim(), "allow");
        ensure_eq!(read_id_map("/proc/self/gid_map")?, Vec::<[u32; 3]>::new());
        write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::identity(gid)])?;
        ensure_eq!(getuid().as_raw(), uid);
        Ok(())
    })
}

fn without_proc_errors_name_the_file() -> TestResult {
    in_child(|| {
        enter_user_ns(UnshareFlags::NEWNS)?;
        rustix::mount::mount_change(
            "/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )?;
        // Cover /proc with an empty tmpfs: /proc/self is gone.
        rustix::mount::mount("tmpfs", "/proc", "tmpfs", MountFlags::empty(), None)?;
        if rustix::fs::open("/proc/self", OFlags::PATH, Mode::empty()).err() != Some(Errno::NOENT) {
            skip!("/proc/self still resolves under a tmpfs on /proc");
        }
        let expect = |r: Result<(), Error>, path: &str| -> TestResult {
            match r {
                Err(e) if e.errno() == Some(Errno::NOENT) => {
                    ensure_eq!(e.path(), Some(std::path::Path::new(path)), "{e}");
                    Ok(())
                }
                other => fail!("expected ENOENT on {path}, got {other:?}"),
            }
        };
        expect(thread_count().map(drop), "/proc/self/task")?;
        ensure!(
            matches!(thread_count(), Err(Error::CountThreads { .. })),
            "CountThreads"
        );
        // The thread check asks the kernel (unshare(CLONE_THREAD)), not /proc: it still
        // answers, and so unshare still works.
        ensure!(
            ensure_single_threaded().is_ok(),
            "one thread, without /proc: {:?}",
            ensure_single_threaded()
        );
        ensure!(
            unshare(Namespaces::UTS).is_ok(),
            "unshare(UTS) without /proc: {:?}",
            unshare(Namespaces::UTS)
        );
        expect(namespace_id(Namespaces::NET).map(drop), "/proc/self/ns/net")?;
        expect(
            open_namespace(Namespaces::NET).map(drop),
            "/proc/self/ns/net",
        )?;
        ensure!(
            matches!(
                open_namespace(Namespaces::NET),
                Err(Error::OpenNamespace { .. })
            ),
            "OpenNamespace"
        );
        expect(
            write_own_id_maps(&[IdMap::identity(0)], &[IdMap::identity(0)]),
            "/proc/self/setgroups",
        )?;
        // Without the kernel's answer (unshare refused by a filter) the thread check
        // falls back to /proc, and says so.
        test_support::seccomp::answer_syscall(libc::SYS_unshare, libc::EPERM as u32)?;
        expect(ensure_single_threaded(), "/proc/self/task")?;
        Ok(())
    })
}

fn thread_check_counts_in_proc_when_unshare_is_refused() -> TestResult {
    in_child(|| {
        // A filter answering EPERM to every unshare: the check cannot ask the kernel by
        // unshare(CLONE_THREAD), and counts /proc/self/task instead.
        test_support::seccomp::answer_syscall(libc::SYS_unshare, libc::EPERM as u32)?;
        ensure!(
            ensure_single_threaded().is_ok(),
            "one thread: {:?}",
            ensure_single_threaded()
        );
        let _thread = std::thread::spawn(|| loop {
            std::thread::park();
        });
        match ensure_single_threaded() {
            Err(Error::MultiThreaded { threads: 2 }) => Ok(()),
            other => fail!("expected MultiThreaded {{ threads: 2 }}, got {other:?}"),
        }
    })
}

fn write_id_maps_of_maps_a_range_for_another_process_only_as_root() -> TestResult {
    let child = hold_child(|| {
        unshare(Namespaces::USER)?;
        Ok(())
    })?;
    let pid = child.pid;
    let me = getuid().as_raw();
    let map = [IdMap::new(0, me, 1), IdMap::new(1, 200_000, 65536)];
    let result = write_id_maps_of(pid, &map, &map, Some(Setgroups::Allow));
    let file = |name: &str| format!("/proc/{}/{name}", pid.as_raw_nonzero());
    if test_support::is_root() {
        result?;
        let want = vec![[0, 0, 1], [1, 200_000, 65536]];
        ensure_eq!(read_id_map(&file("uid_map"))?, want);
        ensure_eq!(read_id_map(&file("gid_map"))?, want);
        ensure_eq!(read_file(&file("setgroups"))?.trim(), "allow");
    } else {
        // Without CAP_SETGID the kernel accepts no range, whoever writes it.
        match result {
            Err(Error::WriteIdMap { path, errno }) => {
                ensure_eq!(errno, Errno::PERM, "({})", path.display());
                ensure!(
                    path.starts_with(format!("/proc/{}", pid.as_raw_nonzero())),
                    "{}",
                    path.display()
                );
            }
            other => fail!("a range written without privilege: {other:?}"),
        }
        ensure_eq!(read_file(&file("uid_map"))?, "", "uid_map stays unwritten");
    }
    Ok(())
}

fn in_initial_user_namespace_is_false_after_unshare() -> TestResult {
    ensure!(in_initial_user_namespace()?, "a fresh scenario process");
    in_child(|| {
        enter_user_ns(UnshareFlags::empty())?;
        ensure!(!in_initial_user_namespace()?, "after unshare(USER)");
        Ok(())
    })
}

fn newuidmap_maps_the_own_id_and_refuses_a_range_not_granted() -> TestResult {
    let newuidmap = test_support::require_tool(&test_support::tools::NEWUIDMAP)?;
    let me = getuid().as_raw();
    let child = hold_child(|| {
        unshare(Namespaces::USER)?;
        Ok(())
    })?;
    let pid = child.pid;
    // 4000000000.. is granted to nobody by /etc/subuid here.
    let refused = [IdMap::new(0, me, 1), IdMap::new(1, 4_000_000_000, 10)];
    match run_id_map_tool(&newuidmap, pid, &refused) {
        Err(Error::IdMapToolFailed {
            program, message, ..
        }) => {
            ensure_eq!(program, newuidmap);
            ensure!(message.contains("newuidmap"), "message: {message:?}");
        }
        other => fail!("newuidmap mapped a range not granted: {other:?}"),
    }
    run_id_map_tool(&newuidmap, pid, &[IdMap::new(0, me, 1)])?;
    ensure_eq!(
        read_id_map(&format!("/proc/{}/uid_map", pid.as_raw_nonzero()))?,
        vec![[0, me, 1]]
    );
    drop(child);
    Ok(())
}

fn namespace_id_of_pidfd_is_the_proc_id_and_needs_no_proc() -> TestResult {
    use sandbox_namespaces::namespace_id_of_pidfd;
    let own_pidfd = || rustix::process::pidfd_open(getpid(), rustix::process::PidfdFlags::empty());
    let pidfd = own_pidfd()?;
    match namespace_id_of_pidfd(&pidfd, Namespaces::NET) {
        Err(Error::PidfdNamespace { errno, .. }) if errno == Errno::NOTTY => {
            skip!("PIDFD_GET_*_NAMESPACE needs Linux 6.11 (ENOTTY)")
        }
        _ => {}
    }
    for ns in Namespaces::all().iter() {
        ensure_eq!(
            namespace_id_of_pidfd(&pidfd, ns)?,
            namespace_id(ns)?,
            "{ns}: through the pidfd and through /proc"
        );
    }
    ensure!(
        matches!(
            namespace_id_of_pidfd(&pidfd, Namespaces::NET | Namespaces::IPC),
            Err(Error::NotSingleNamespace { .. })
        ),
        "two types at once are refused"
    );
    let host_net = namespace_id(Namespaces::NET)?;
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    in_child(|| {
        enter_user_ns(UnshareFlags::NEWNS | UnshareFlags::NEWNET)?;
        ensure_eq!(
            sandbox_namespaces::read_id_map("/proc/self/uid_map")?,
            vec![IdMap::identity(uid)],
            "the uid map as read back"
        );
        ensure_eq!(
            sandbox_namespaces::read_id_map("/proc/self/gid_map")?,
            vec![IdMap::identity(gid)],
            "the gid map as read back"
        );
        rustix::mount::mount_change(
            "/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )?;
        rustix::mount::mount("tmpfs", "/proc", "tmpfs", MountFlags::empty(), None)?;
        ensure!(
            namespace_id(Namespaces::NET).is_err(),
            "/proc/self/ns/net is covered"
        );
        let net = namespace_id_of_pidfd(own_pidfd()?, Namespaces::NET)?;
        ensure!(net != host_net, "the new network namespace has another id");
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Subordinate ids: our reader against the real newuidmap and newgidmap

/// How our reader must agree with the tool on a file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Agree {
    /// The same verdict on every probe.
    Exactly,
    /// We may refuse what the tool grants, never the other way round: shadow 4.13 reads
    /// `owner:0:0` as granting every id (a wrapped `start + count - 1`), and a newuidmap
    /// built against glibc 2.38 or later in C23 mode reads `0b` numbers.
    NeverMore,
}

/// A subordinate-id file, and the ranges (outside start, count) to ask both readers
/// about.
struct SubidCase {
    text: Vec<u8>,
    probes: &'static [(u32, u32)],
    agree: Agree,
}

fn case(text: impl AsRef<[u8]>, probes: &'static [(u32, u32)]) -> SubidCase {
    SubidCase {
        text: text.as_ref().to_vec(),
        probes,
        agree: Agree::Exactly,
    }
}

/// The name of a second passwd line with uid 0, bound over `/etc/passwd` for the test.
const ALIAS_OF_ROOT: &str = "sandbox-test-alias-of-root";

/// Each file is the whole of `/etc/subuid` (and `/etc/subgid`) for one round; root asks
/// for `0 start count` of each probe. The lines of issue 16 first.
fn subid_cases() -> Vec<SubidCase> {
    let pad = |head: &str, len: usize| format!("{head}{}", "x".repeat(len - head.len()));
    vec![
        case("root:100000:65536\n", &[(100_000, 65536), (100_000, 65537)]),
        case("root:0100000:65536\n", &[(100_000, 65536), (32768, 65536)]),
        case("root:100000:65536\r\n", &[(100_000, 65536), (100_000, 1)]),
        case("root:100000 :65536\n", &[(100_000, 65536)]),
        case("root:0x186a0:65536\n", &[(100_000, 65536), (0x186a, 10)]),
        case("root:0X186A0:65536\n", &[(100_000, 65536)]),
        case("root:100000:65536:junk\n", &[(100_000, 65536)]),
        case("root:100000:65536:\n", &[(100_000, 65536)]),
        case(
            "root:4294967295:2\nroot:100000:65536\n",
            &[(100_000, 65536)],
        ),
        // White space and signs, as strtoul takes them.
        case("root: 100000:65536\n", &[(100_000, 65536)]),
        case("root:\t\x0b\x0c100000:+65536\n", &[(100_000, 65536)]),
        case("root:100000:-1\n", &[(100_000, 1)]),
        case("root:100000: \n", &[(100_000, 1)]),
        case("root:100000:65536 # comment\n", &[(100_000, 65536)]),
        // Numbers strtoul stops in, or that do not fit.
        case("root:08:5\n", &[(8, 5), (0, 5)]),
        case("root:0x:5\nroot:1e5:5\n", &[(0, 5), (1, 5), (100_000, 5)]),
        case("root:100000:5000000000\n", &[(100_000, 65536)]),
        case("root:18446744073709551616:5\n", &[(0, 5)]),
        case(
            "root:4294967290:10\n",
            &[(4_294_967_290, 5), (4_294_967_290, 1)],
        ),
        // Fields.
        case("root:100000\n", &[(100_000, 1)]),
        case("root::100000:65536\n", &[(100_000, 65536)]),
        case("root:100000:0\n", &[(100_000, 1)]),
        case(
            " root:100000:65536\nroot :200000:10\n",
            &[(100_000, 10), (200_000, 10)],
        ),
        case(
            "+root:100000:10\n-root:200000:10\n",
            &[(100_000, 10), (200_000, 10)],
        ),
        case(
            "#root:100000:10\n# root:200000:10\n",
            &[(100_000, 10), (200_000, 10)],
        ),
        // Owners: by name, by uid, by another passwd name of the same uid; no one else.
        case("0:300000:10\n", &[(300_000, 10)]),
        case(format!("{ALIAS_OF_ROOT}:400000:10\n"), &[(400_000, 10)]),
        case(
            b"nobody:500000:10\nr\xffoot:600000:10\nroot:700000:10\n",
            &[(500_000, 10), (600_000, 10), (700_000, 10)],
        ),
        // Ranges add up: the tool grants a map across adjacent lines.
        case(
            "root:100000:10\nroot:100010:10\n",
            &[(100_000, 20), (100_005, 10), (100_000, 21)],
        ),
        // Lines as fgets reads them: a NUL joins a line to the next one; a NUL in the last
        // line before its newline makes the file unreadable; at the very end it does not.
        case(
            b"root:100000:10\0junk\nroot:200000:10\n",
            &[(100_000, 10), (200_000, 10)],
        ),
        case(b"root:100000:10\nroot:1\0\n", &[(100_000, 10)]),
        case(
            b"root:100000:10\nroot:200000:10\0",
            &[(100_000, 10), (200_000, 10)],
        ),
        case("root:100000:10", &[(100_000, 10)]),
        // Long lines: 1023 bytes is an entry, 1024 is not; a line past fgets's 4096-byte
        // buffer is read whole.
        case(pad("root:100000:10:", 1023) + "\n", &[(100_000, 10)]),
        case(pad("root:100000:10:", 1024) + "\n", &[(100_000, 10)]),
        case(
            pad("root:100000:10:", 5000) + "\nroot:200000:10\n",
            &[(100_000, 10), (200_000, 10)],
        ),
        // A last line of exactly 4095 bytes without newline fills fgets's buffer, the end
        // of the file is never seen, the next read finds nothing: the file is unreadable.
        // 4094 bytes is the control.
        case(
            "root:100000:10\n".to_string() + &"x".repeat(4095),
            &[(100_000, 10)],
        ),
        case(
            "root:100000:10\n".to_string() + &"x".repeat(4094),
            &[(100_000, 10)],
        ),
        SubidCase {
            text: b"root:0:0\n".to_vec(),
            probes: &[(100_000, 10)],
            agree: Agree::NeverMore,
        },
        SubidCase {
            text: b"root:0b11000011010100000:65536\n".to_vec(),
            probes: &[(100_000, 10)],
            agree: Agree::NeverMore,
        },
    ]
}

/// Whether `ranges` cover the `count` ids from `start`, adjacent ranges together (as the
/// tool's `have_range` walks them).
fn covers(ranges: &[SubordinateRange], start: u32, count: u32) -> bool {
    let (mut at, end) = (u64::from(start), u64::from(start) + u64::from(count));
    while at < end {
        let Some(r) = ranges.iter().find(|r| {
            let s = u64::from(r.start);
            s <= at && at < s + u64::from(r.count)
        }) else {
            return false;
        };
        at = u64::from(r.start) + u64::from(r.count);
    }
    true
}

/// Whether the tool maps `0 start count` for a fresh user namespace of root's: `Ok(true)`
/// when it wrote the map, `Ok(false)` when it refused the range (`... not allowed`) or
/// could not read the file at all (it exits 1 and says nothing then).
fn tool_grants(tool: &std::path::Path, start: u32, count: u32) -> Result<bool, Fail> {
    let child = hold_child(|| {
        unshare(Namespaces::USER)?;
        Ok(())
    })?;
    let result = run_id_map_tool(tool, child.pid, &[IdMap::new(0, start, count)]);
    drop(child);
    match result {
        Ok(()) => Ok(true),
        Err(Error::IdMapToolFailed {
            status: IdMapToolStatus::Exited(1),
            message,
            ..
        }) if message.is_empty() || message.ends_with("not allowed") => Ok(false),
        Err(e) => fail!("{} 0 {start} {count}: {e}", tool.display()),
    }
}

/// The setuid tools and the file each reads.
type Tools = Vec<(std::path::PathBuf, &'static str)>;

/// As root, in a forked child with a private mount namespace: a scratch file bound over
/// `/etc/subuid` and `/etc/subgid` (the setuid tools read those paths, and so does our
/// reader), and a copy of `/etc/passwd` with a second name for uid 0 ([`ALIAS_OF_ROOT`])
/// bound over it. `f` gets the scratch file to write and the tools. The host's files are
/// never written (a missing one is created empty to be mounted over, and removed).
fn with_private_subid_files(f: impl FnOnce(&std::path::Path, &Tools) -> TestResult) -> TestResult {
    if !test_support::is_root() {
        skip!(
            "needs root: a private /etc/subuid reaches the setuid newuidmap only through a \
             mount namespace of root's"
        );
    }
    let mut tools = Vec::new();
    for (tool, file) in [
        (test_support::tools::NEWUIDMAP, "/etc/subuid"),
        (test_support::tools::NEWGIDMAP, "/etc/subgid"),
    ] {
        tools.push((test_support::require_tool(&tool)?, file));
    }
    let scratch = test_support::temp_dir()?;
    let (subid, passwd) = (scratch.path().join("subid"), scratch.path().join("passwd"));
    let mut users = std::fs::read("/etc/passwd").map_err(test_support::failed)?;
    users.extend_from_slice(format!("{ALIAS_OF_ROOT}:x:0:0::/root:/bin/sh\n").as_bytes());
    test_support::files::write_file(&passwd, &users)?;
    test_support::files::write_file(&subid, "")?;
    let made: Vec<_> = ["/etc/subuid", "/etc/subgid"]
        .into_iter()
        .filter(|f| !std::path::Path::new(f).exists())
        .collect();
    for f in &made {
        test_support::files::write_file(f, "")?;
    }
    let result = in_child(|| {
        unshare(Namespaces::MOUNT)?;
        rustix::mount::mount_change(
            "/",
            MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
        )?;
        rustix::mount::mount_bind(&passwd, "/etc/passwd")?;
        for (_, file) in &tools {
            rustix::mount::mount_bind(&subid, *file)?;
        }
        f(&subid, &tools)
    });
    for f in made {
        let _ = std::fs::remove_file(f);
    }
    result
}

/// Each case's file through our reader and through the real `newuidmap` and
/// `newgidmap`: every range one grants, the other grants too (one exception each way of
/// the tools' own making: see [`Agree::NeverMore`]).
fn subordinate_ranges_grant_exactly_what_newuidmap_and_newgidmap_grant() -> TestResult {
    with_private_subid_files(|subid, tools| {
        let (mut granted, mut refused) = (0, 0);
        for c in subid_cases() {
            test_support::files::write_file(subid, &c.text)?;
            let shown = String::from_utf8_lossy(&c.text[..c.text.len().min(60)]).into_owned();
            for (tool, file) in tools {
                let ours = subordinate_ranges(file, Some("root"), 0)?;
                for &(start, count) in c.probes {
                    let theirs = tool_grants(tool, start, count)?;
                    let mine = covers(&ours, start, count);
                    let agreed = match c.agree {
                        Agree::Exactly => mine == theirs,
                        Agree::NeverMore => !mine || theirs,
                    };
                    ensure!(
                        agreed,
                        "{file} = {shown:?}: {} grants {start}+{count}: {theirs}; our ranges \
                         {ours:?} grant it: {mine}",
                        tool.display()
                    );
                    if theirs {
                        granted += 1;
                    } else {
                        refused += 1;
                    }
                }
            }
        }
        ensure!(
            granted > 10 && refused > 10,
            "the cases should both grant and refuse: {granted} granted, {refused} refused"
        );
        Ok(())
    })
}

/// 400 ranges after one past the last id (issue 16, items 2 and 3): the rootless map of
/// what our reader reads holds the range after the bad one and as many more as fit a
/// page, and the tools and the kernel take it whole.
fn rootless_map_of_many_ranges_is_taken_whole_by_newuidmap_and_newgidmap() -> TestResult {
    with_private_subid_files(|subid, tools| {
        let mut text = String::from("root:4294967295:2\n");
        for i in 0..400u64 {
            text.push_str(&format!("root:{}:65536\n", 100_000 + i * 100_000));
        }
        test_support::files::write_file(subid, &text)?;
        for (tool, file) in tools {
            let map = rootless_id_map(0, &subordinate_ranges(file, Some("root"), 0)?);
            ensure!(map.len() > 100, "{} entries", map.len());
            ensure_eq!(
                map[1],
                IdMap::new(1, 100_000, 65536),
                "the range after the bad one"
            );
            let child = hold_child(|| {
                unshare(Namespaces::USER)?;
                Ok(())
            })?;
            run_id_map_tool(tool, child.pid, &map)?;
            let which = if file.ends_with("subuid") {
                "uid_map"
            } else {
                "gid_map"
            };
            let written = read_id_map(&format!("/proc/{}/{which}", child.pid.as_raw_nonzero()))?;
            let want: Vec<[u32; 3]> = map.iter().map(|m| [m.inside, m.outside, m.count]).collect();
            ensure_eq!(written, want, "the {which} {} wrote", tool.display());
        }
        Ok(())
    })
}
