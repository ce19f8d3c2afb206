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
    in_initial_user_namespace, run_id_map_tool, write_id_maps_of, IdMapTool, Setgroups,
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
        expect(ensure_single_threaded(), "/proc/self/task")?;
        expect(unshare(Namespaces::UTS), "/proc/self/task")?;
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
        Ok(())
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
    let Ok(newuidmap) = IdMapTool::NewUidMap.find() else {
        skip!("newuidmap is not installed (package uidmap)");
    };
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
