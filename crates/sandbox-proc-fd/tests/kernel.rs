//! Kernel tests of `sandbox-proc-fd`, each scenario in a fresh process (see `test-support`).
//!
//! Scenarios that mount run in namespaces of their own: as root a new mount (and pid)
//! namespace, as any other uid a new user namespace too, with the uid and gid mapped to
//! themselves, so they run for real in both modes rather than skip.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, UnmountFlags};
use rustix::path::DecInt;
use rustix::thread::UnshareFlags;
use sandbox_proc_fd::{Error, ProcSelfFd};
use test_support::files::dev_ino;
use test_support::namespaces::{enter_user_ns, own_mount_ns, unshare};
use test_support::{become_nobody, ensure, ensure_eq, fail, failed, in_child, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        open_private_shows_processes_only_and_reopens,
        open_private_without_the_capability_is_refused_typed,
        capture_gives_procfs_handle_whose_parent_is_unreachable,
        capture_without_open_tree_binds_with_mount_and_is_as_confined,
        capture_with_mount_makes_no_call_of_the_new_mount_api,
        capture_leaves_the_proc_mount_as_it_was,
        captured_handle_reopens_after_proc_is_unmounted,
        capture_without_privilege_is_eperm_and_changes_nothing,
        from_fd_refuses_a_tmpfs_posing_as_proc_fd,
        from_fd_refuses_another_process_fd_dir,
        from_fd_refuses_proc_itself_and_non_fd_dirs,
        from_fd_accepts_the_fd_dir_of_a_thread_of_this_process,
        from_fd_refuses_a_handle_inherited_across_fork,
        reopen_o_path_fd_reads_and_writes_with_the_access_mode_asked,
        reopen_read_only_file_for_writing_is_eacces,
        reopen_in_a_forked_child_is_refused_and_never_opens_the_parents_file,
        reopen_refuses_an_inherited_handle_where_the_pid_repeats_in_a_nested_pid_namespace,
        reopen_refuses_creating_and_nofollow_flags,
        open_unconfined_works_without_namespaces_and_reaches_ancestors,
    ])
}

// ---------------------------------------------------------------------------------------
// Helpers

/// In a forked child that is pid 1 of a new pid namespace with a fresh proc on /proc,
/// runs `f`.
fn in_fresh_proc(f: impl FnOnce() -> TestResult) -> TestResult {
    own_mount_ns(UnshareFlags::NEWPID)?;
    in_child(|| {
        ensure_eq!(rustix::process::getpid().as_raw_nonzero().get(), 1);
        rustix::mount::mount(
            "proc",
            "/proc",
            "proc",
            MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
            None,
        )
        .map_err(|e| failed(format!("mount proc on /proc: {e}")))?;
        f()
    })
}

/// `(st_dev, st_ino)` of an fd.
fn id_of(fd: impl AsFd) -> Result<(u64, u64), Fail> {
    let st = rustix::fs::fstat(fd).map_err(|e| failed(format!("fstat: {e}")))?;
    Ok((st.st_dev, st.st_ino))
}

fn open_path(path: impl AsRef<std::path::Path>, flags: OFlags) -> Result<OwnedFd, Fail> {
    let path = path.as_ref();
    rustix::fs::open(path, flags | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| failed(format!("open {}: {e}", path.display())))
}

/// What `openat(handle, "<number>", O_RDONLY)` reads: the raw open that `reopen` would
/// make, without its check of whose table the handle is.
fn read_through(handle: &ProcSelfFd, number: i32) -> Result<String, Fail> {
    let raw = rustix::fs::openat(
        handle,
        DecInt::new(number).as_c_str(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(failed)?;
    read_all(raw)
}

fn read_all(fd: OwnedFd) -> Result<String, Fail> {
    let mut text = String::new();
    File::from(fd)
        .read_to_string(&mut text)
        .map_err(|e| failed(format!("read: {e}")))?;
    Ok(text)
}

/// A temp dir with a file `data` holding `text`; the file's mode is `mode`.
fn temp_file(text: &str, mode: u32) -> Result<(tempfile::TempDir, std::path::PathBuf), Fail> {
    let dir = test_support::temp_dir()?;
    let path = dir.path().join("data");
    std::fs::write(&path, text).map_err(|e| failed(format!("write {}: {e}", path.display())))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| failed(format!("chmod {}: {e}", path.display())))?;
    Ok((dir, path))
}

// ---------------------------------------------------------------------------------------
// capture

/// The captured `handle` is this process's fd directory (pid 1 here), and nothing above it
/// is reachable through it: `..` and `../..` are the handle itself, `../status` does not
/// exist.
fn confined(handle: &ProcSelfFd) -> TestResult {
    // The handle is the fd directory of this process (pid 1 here).
    let me = id_of(handle)?;
    ensure_eq!(me, dev_ino("/proc/self/fd")?, "handle is /proc/self/fd");

    // ".." from the root of the detached mount stays where it is: the kernel finds
    // no mount above it, so it resolves to the handle itself, not /proc/1.
    let up = rustix::fs::openat(
        handle,
        "..",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| failed(format!("openat(handle, \"..\"): {e}")))?;
    let up = id_of(&up)?;
    ensure!(up != dev_ino("/proc/self")?, "\"..\" reached /proc/self");
    ensure!(up != dev_ino("/proc")?, "\"..\" reached /proc");
    ensure_eq!(up, me, "\"..\" of the captured handle is the handle itself");
    let up_up = rustix::fs::openat(
        handle,
        "../..",
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| failed(format!("openat(handle, \"../..\"): {e}")))?;
    ensure_eq!(
        id_of(&up_up)?,
        me,
        "\"../..\" of the captured handle is the handle itself"
    );

    // Nothing of /proc/1 is reachable: "../status" is looked up in the fd dir.
    match rustix::fs::openat(
        handle,
        "../status",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Err(Errno::NOENT) => {}
        Err(e) => fail!("openat(handle, \"../status\"): want ENOENT, got {e}"),
        Ok(_) => {
            fail!("openat(handle, \"../status\") opened /proc/1/status through the handle")
        }
    }
    Ok(())
}

fn capture_gives_procfs_handle_whose_parent_is_unreachable() -> TestResult {
    in_fresh_proc(|| {
        let handle = ProcSelfFd::capture("/proc")?;
        let statfs = rustix::fs::fstatfs(&handle).map_err(failed)?;
        ensure_eq!(
            statfs.f_type,
            rustix::fs::PROC_SUPER_MAGIC,
            "f_type of the handle"
        );

        confined(&handle)?;
        // Whereas through the mounted proc the same walk works.
        let unconfined = ProcSelfFd::open_unconfined()?;
        ensure_eq!(
            rustix::fs::statat(&unconfined, "..", AtFlags::empty())
                .map(|s| (s.st_dev, s.st_ino))
                .map_err(failed)?,
            dev_ino("/proc/self")?,
            "\"..\" of an unconfined handle is /proc/self"
        );
        Ok(())
    })
}

fn capture_without_open_tree_binds_with_mount_and_is_as_confined() -> TestResult {
    in_fresh_proc(|| {
        // Before Linux 5.2, or under a seccomp filter that refuses the new mount API:
        // capture binds, opens and detaches through mount(2) and umount2(2) instead.
        test_support::seccomp::answer_syscall(libc::SYS_open_tree, libc::ENOSYS as u32)?;
        ensure_eq!(
            rustix::mount::open_tree(
                rustix::fs::CWD,
                "/proc",
                rustix::mount::OpenTreeFlags::OPEN_TREE_CLONE
            )
            .err(),
            Some(Errno::NOSYS),
            "open_tree under the filter"
        );
        let before = test_support::mountinfo()?;
        let handle = ProcSelfFd::capture("/proc")?;
        ensure_eq!(
            test_support::mountinfo()?,
            before,
            "mountinfo after capture"
        );
        confined(&handle)
    })
}

fn capture_with_mount_makes_no_call_of_the_new_mount_api() -> TestResult {
    in_fresh_proc(|| {
        // A filter that kills the process at open_tree, as some container profiles do.
        test_support::seccomp::act_on_syscall(libc::SYS_open_tree, libc::SECCOMP_RET_KILL_PROCESS)?;
        let handle = ProcSelfFd::capture_with_mount("/proc")?;
        confined(&handle)
    })
}

fn capture_leaves_the_proc_mount_as_it_was() -> TestResult {
    in_fresh_proc(|| {
        let before = test_support::mountinfo()?;
        let proc_before = dev_ino("/proc")?;
        let handle = ProcSelfFd::capture("/proc")?;
        let after = test_support::mountinfo()?;
        ensure_eq!(before, after, "mountinfo before and after capture");
        ensure_eq!(
            dev_ino("/proc")?,
            proc_before,
            "/proc is the same proc root"
        );
        ensure!(
            rustix::fs::stat("/proc/self/status").is_ok(),
            "/proc/self/status is reachable again"
        );
        drop(handle);
        Ok(())
    })
}

fn captured_handle_reopens_after_proc_is_unmounted() -> TestResult {
    let (_dir, path) = temp_file("kept\n", 0o644)?;
    in_fresh_proc(move || {
        let handle = ProcSelfFd::capture("/proc")?;
        let file = open_path(&path, OFlags::PATH)?;
        rustix::mount::unmount("/proc", UnmountFlags::DETACH)
            .map_err(|e| failed(format!("umount /proc: {e}")))?;
        // The host's proc is underneath (and locked in a user namespace): cover it, as
        // pivot_root would leave it out of reach.
        rustix::mount::mount("tmpfs", "/proc", "tmpfs", MountFlags::empty(), None)
            .map_err(|e| failed(format!("mount tmpfs on /proc: {e}")))?;
        ensure!(
            rustix::fs::stat("/proc/self").is_err(),
            "/proc/self still reachable after the unmount"
        );
        handle.verify()?;
        ensure_eq!(read_all(handle.reopen(&file, OFlags::RDONLY)?)?, "kept\n");
        Ok(())
    })
}

fn capture_without_privilege_is_eperm_and_changes_nothing() -> TestResult {
    // No namespace at all: as root, drop to 65534 first, in a child, so the host's mount
    // table is never at risk.
    in_child(|| {
        become_nobody()?;
        let before = test_support::mountinfo()?;
        match ProcSelfFd::capture("/proc") {
            Err(e @ Error::BindOverProc { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::PERM));
                ensure_eq!(e.path(), Some(std::path::Path::new("/proc")));
                ensure_eq!(
                    e.to_string(),
                    "bind /proc/self/fd onto /proc: Operation not permitted (os error 1)"
                );
            }
            other => fail!(
                "capture as uid 65534 without namespaces: want BindOverProc EPERM, got {other:?}"
            ),
        }
        ensure_eq!(test_support::mountinfo()?, before, "mountinfo unchanged");
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// from_fd

fn from_fd_refuses_a_tmpfs_posing_as_proc_fd() -> TestResult {
    let dir = test_support::temp_dir()?;
    own_mount_ns(UnshareFlags::empty())?;
    rustix::mount::mount("tmpfs", dir.path(), "tmpfs", MountFlags::empty(), None)
        .map_err(|e| failed(format!("mount tmpfs on {}: {e}", dir.path().display())))?;
    let fake = open_path(dir.path(), OFlags::PATH | OFlags::DIRECTORY)?;
    // Entries named like every fd number this process could have, each a symlink to the
    // fake directory itself, so that a check that only follows entries would be fooled.
    for n in 0..=64 {
        std::os::unix::fs::symlink(".", dir.path().join(n.to_string())).map_err(failed)?;
    }
    let raw = fake.as_raw_fd();
    ensure!(
        rustix::fs::statat(&fake, DecInt::new(raw).as_c_str(), AtFlags::empty())
            .map(|s| (s.st_dev, s.st_ino))
            .map_err(failed)?
            == id_of(&fake)?,
        "the fake's own entry leads back to it"
    );
    let verdict = ProcSelfFd::from_fd(fake);
    // Unmount before the temp dir is removed: a mount point cannot be, and would stay behind.
    rustix::mount::unmount(dir.path(), UnmountFlags::DETACH)
        .map_err(|e| failed(format!("umount {}: {e}", dir.path().display())))?;
    match verdict {
        Err(Error::NotProcfs { f_type }) => {
            ensure_eq!(f_type, 0x0102_1994, "f_type is TMPFS_MAGIC");
        }
        other => fail!("from_fd(tmpfs): want NotProcfs, got {other:?}"),
    }
    // A plain directory of whatever /tmp is refuses the same way.
    let plain = test_support::temp_dir()?;
    match ProcSelfFd::from_fd(open_path(plain.path(), OFlags::PATH | OFlags::DIRECTORY)?) {
        Err(Error::NotProcfs { .. }) => Ok(()),
        other => fail!("from_fd(plain dir): want NotProcfs, got {other:?}"),
    }
}

fn from_fd_refuses_another_process_fd_dir() -> TestResult {
    // A child of ours, same uid, so its fd dir is accessible.
    let mut child = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .map_err(|e| failed(format!("spawn sleep: {e}")))?;
    let fd_dir = format!("/proc/{}/fd", child.id());
    let result = ProcSelfFd::from_fd(open_path(&fd_dir, OFlags::PATH | OFlags::DIRECTORY)?);
    let _ = child.kill();
    let _ = child.wait();
    match result {
        Err(Error::NotOwnFdTable) => {}
        other => fail!("from_fd({fd_dir}): want NotOwnFdTable, got {other:?}"),
    }
    // pid 1's: as root readable, as another uid not even accessible: refused either way.
    match ProcSelfFd::from_fd(open_path("/proc/1/fd", OFlags::PATH | OFlags::DIRECTORY)?) {
        Err(Error::NotOwnFdTable) => Ok(()),
        other => fail!("from_fd(/proc/1/fd): want NotOwnFdTable, got {other:?}"),
    }
}

fn from_fd_refuses_proc_itself_and_non_fd_dirs() -> TestResult {
    for path in [
        "/proc",
        "/proc/self",
        "/proc/self/fdinfo",
        "/proc/self/task",
        "/proc/self/status",
    ] {
        match ProcSelfFd::from_fd(open_path(path, OFlags::PATH)?) {
            Err(Error::NotOwnFdTable) => {}
            other => fail!("from_fd({path}): want NotOwnFdTable, got {other:?}"),
        }
    }
    Ok(())
}

fn from_fd_accepts_the_fd_dir_of_a_thread_of_this_process() -> TestResult {
    // Threads share the fd table, so /proc/self/task/<tid>/fd is this process's table too.
    let tid = rustix::thread::gettid().as_raw_nonzero().get();
    let path = format!("/proc/self/task/{tid}/fd");
    let handle = ProcSelfFd::from_fd(open_path(&path, OFlags::PATH | OFlags::DIRECTORY)?)?;
    let (_dir, file) = temp_file("via the task dir\n", 0o644)?;
    let file = open_path(file, OFlags::PATH)?;
    ensure_eq!(
        read_all(handle.reopen(&file, OFlags::RDONLY)?)?,
        "via the task dir\n"
    );
    Ok(())
}

fn from_fd_refuses_a_handle_inherited_across_fork() -> TestResult {
    let handle = ProcSelfFd::open_unconfined()?;
    let parent_copy: OwnedFd = handle.into();
    let raw = parent_copy.as_raw_fd();
    // The parent keeps its copy open until the child is done, so the inherited number also
    // names the handle in the parent's table: the handle's own entry leads back to it, and
    // only the pipe check can tell.
    in_child(move || {
        // SAFETY: the child's table holds its own copy of the inherited number; nothing
        // else in the child owns it.
        let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        ensure_eq!(
            rustix::fs::statat(&fd, DecInt::new(raw).as_c_str(), AtFlags::empty())
                .map(|s| (s.st_dev, s.st_ino))
                .map_err(failed)?,
            id_of(&fd)?,
            "the inherited handle's own entry (in the parent's table) leads back to it"
        );
        match ProcSelfFd::from_fd(fd) {
            Err(Error::NotOwnFdTable) => Ok(()),
            other => {
                fail!("from_fd(inherited handle) in the child: want NotOwnFdTable, got {other:?}")
            }
        }
    })?;
    drop(parent_copy);
    // In the parent the same descriptor is fine.
    let fd = open_path("/proc/self/fd", OFlags::PATH | OFlags::DIRECTORY)?;
    ProcSelfFd::from_fd(fd)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// reopen

fn access_mode(fd: impl AsFd) -> Result<OFlags, Fail> {
    let fl = rustix::fs::fcntl_getfl(fd).map_err(|e| failed(format!("F_GETFL: {e}")))?;
    Ok(fl & OFlags::ACCMODE)
}

fn reopen_o_path_fd_reads_and_writes_with_the_access_mode_asked() -> TestResult {
    in_fresh_proc(|| {
        let handle = ProcSelfFd::capture("/proc")?;
        let (_dir, path) = temp_file("hello\n", 0o644)?;
        let file = open_path(&path, OFlags::PATH)?;
        ensure_eq!(
            access_mode(&file)?,
            OFlags::RDONLY,
            "an O_PATH fd reads as O_RDONLY in F_GETFL"
        );
        ensure!(
            rustix::fs::fcntl_getfl(&file)
                .map_err(failed)?
                .contains(OFlags::PATH),
            "the original is O_PATH"
        );
        // O_PATH: reading fails with EBADF.
        let mut buf = [0u8; 8];
        ensure_eq!(
            rustix::io::read(&file, &mut buf).err(),
            Some(Errno::BADF),
            "read from O_PATH"
        );

        let r = handle.reopen(&file, OFlags::RDONLY)?;
        let fl = rustix::fs::fcntl_getfl(&r).map_err(failed)?;
        ensure_eq!(fl & OFlags::ACCMODE, OFlags::RDONLY);
        ensure!(!fl.contains(OFlags::PATH), "the reopened fd is not O_PATH");
        ensure!(
            rustix::io::fcntl_getfd(&r)
                .map_err(failed)?
                .contains(rustix::io::FdFlags::CLOEXEC),
            "the reopened fd is close-on-exec"
        );
        ensure_eq!(read_all(r)?, "hello\n");

        let w = handle.reopen(&file, OFlags::WRONLY | OFlags::TRUNC)?;
        ensure_eq!(access_mode(&w)?, OFlags::WRONLY);
        File::from(w).write_all(b"written\n").map_err(failed)?;
        ensure_eq!(std::fs::read_to_string(&path).map_err(failed)?, "written\n");

        let rw = handle.reopen(&file, OFlags::RDWR | OFlags::APPEND)?;
        let fl = rustix::fs::fcntl_getfl(&rw).map_err(failed)?;
        ensure_eq!(fl & OFlags::ACCMODE, OFlags::RDWR);
        ensure!(fl.contains(OFlags::APPEND), "O_APPEND kept");
        let mut rw = File::from(rw);
        rw.write_all(b"more\n").map_err(failed)?;
        ensure_eq!(
            std::fs::read_to_string(&path).map_err(failed)?,
            "written\nmore\n"
        );

        // O_PATH itself passes through: a new O_PATH description of the same file.
        let p = handle.reopen(&file, OFlags::PATH)?;
        ensure!(
            rustix::fs::fcntl_getfl(&p)
                .map_err(failed)?
                .contains(OFlags::PATH),
            "O_PATH reopen"
        );
        ensure_eq!(id_of(&p)?, id_of(&file)?, "same file");
        Ok(())
    })
}

fn reopen_read_only_file_for_writing_is_eacces() -> TestResult {
    in_child(|| {
        become_nobody()?;
        let handle = ProcSelfFd::open_unconfined()?;
        let (_dir, path) = temp_file("read only\n", 0o444)?;
        let file = open_path(&path, OFlags::PATH)?;
        match handle.reopen(&file, OFlags::WRONLY) {
            Err(Error::Reopen { fd, flags, errno }) => {
                ensure_eq!(errno, Errno::ACCESS);
                ensure_eq!(fd, file.as_raw_fd());
                ensure_eq!(flags, OFlags::WRONLY);
                ensure_eq!(
                    Error::Reopen { fd, flags, errno }.to_string(),
                    format!(
                        "reopen fd {fd} with O_WRONLY through /proc/self/fd: Permission denied (os error 13)"
                    )
                );
            }
            other => fail!("reopen 0444 file O_WRONLY as uid 65534: want EACCES, got {other:?}"),
        }
        // Reading the same file is fine.
        ensure_eq!(
            read_all(handle.reopen(&file, OFlags::RDONLY)?)?,
            "read only\n"
        );
        Ok(())
    })
}

fn reopen_in_a_forked_child_is_refused_and_never_opens_the_parents_file() -> TestResult {
    // The parent's file and the child's file at the same number: through the inherited
    // handle the kernel would open the parent's. Reopen must refuse instead; a handle the
    // child makes itself opens the child's.
    let handle = ProcSelfFd::open_unconfined()?;
    let (_parents_dir, parents) = temp_file("the parent's\n", 0o644)?;
    let (_childs_dir, childs) = temp_file("the child's\n", 0o644)?;
    let parents_file = open_path(&parents, OFlags::PATH)?;
    let number = parents_file.as_raw_fd();
    in_child(|| {
        let childs_file = open_path(&childs, OFlags::PATH)?;
        // SAFETY: `number` is open in this (the child's) table as its copy of the
        // parent's file, which this child never uses again; dup2 closes it and puts the
        // child's file there.
        if unsafe { libc::dup2(childs_file.as_raw_fd(), number) } != number {
            fail!("dup2: {}", std::io::Error::last_os_error());
        }
        ensure_eq!(
            read_through(&handle, number)?,
            "the parent's\n",
            "the raw open through the inherited handle reads the parent's file"
        );
        let parent = std::os::unix::process::parent_id() as i32;
        match handle.reopen(&parents_file, OFlags::RDONLY) {
            Err(Error::NotOwner { owner }) => ensure_eq!(owner, parent, "the owner named"),
            other => fail!("reopen through the inherited handle: want NotOwner, got {other:?}"),
        }
        // A handle of the child's own opens the child's file; the inherited one still
        // refuses.
        let own = ProcSelfFd::open_unconfined()?;
        ensure_eq!(
            read_all(own.reopen(&parents_file, OFlags::RDONLY)?)?,
            "the child's\n"
        );
        ensure!(
            matches!(
                handle.reopen(&parents_file, OFlags::RDONLY),
                Err(Error::NotOwner { .. })
            ),
            "the inherited handle refuses even after the child made its own"
        );
        Ok(())
    })?;
    // And the parent's handle still works in the parent.
    ensure_eq!(
        read_all(handle.reopen(&parents_file, OFlags::RDONLY)?)?,
        "the parent's\n"
    );
    Ok(())
}

fn reopen_refuses_an_inherited_handle_where_the_pid_repeats_in_a_nested_pid_namespace() -> TestResult
{
    // A pid 1 makes a handle, unshares a pid namespace and forks: the grandchild is pid 1
    // as well. After it made a handle of its own, the inherited one must still refuse,
    // though the pids are the same number.
    let (_dir, path) = temp_file("pid 1's\n", 0o644)?;
    let file = open_path(&path, OFlags::PATH)?;
    let number = file.as_raw_fd();
    if test_support::is_root() {
        unshare(UnshareFlags::NEWPID)?;
    } else {
        // Unprivileged, a pid namespace needs a user namespace of its own to own it.
        enter_user_ns(UnshareFlags::NEWPID)?;
    }
    in_child(|| {
        ensure_eq!(rustix::process::getpid().as_raw_nonzero().get(), 1);
        let handle = ProcSelfFd::open_unconfined()?;
        unshare(UnshareFlags::NEWPID)?;
        in_child(|| {
            ensure_eq!(
                rustix::process::getpid().as_raw_nonzero().get(),
                1,
                "the grandchild's pid in its own namespace"
            );
            // Another file at the same number in the grandchild's table, so that a reopen
            // that went through would show which table it read.
            let (_dir, other) = temp_file("the grandchild's\n", 0o644)?;
            let other = open_path(other, OFlags::PATH)?;
            // SAFETY: `number` is open in this (the grandchild's) table as its copy of
            // the file, which it never uses again; dup2 closes it and puts the other file
            // there.
            if unsafe { libc::dup2(other.as_raw_fd(), number) } != number {
                fail!("dup2: {}", std::io::Error::last_os_error());
            }
            match handle.reopen(&file, OFlags::RDONLY) {
                Err(Error::NotOwner { owner }) => ensure_eq!(owner, 1, "the owner named"),
                other => fail!("reopen through the inherited handle: want NotOwner, got {other:?}"),
            }
            let own = ProcSelfFd::open_unconfined()?;
            ensure_eq!(
                read_all(own.reopen(&file, OFlags::RDONLY)?)?,
                "the grandchild's\n",
                "the grandchild's own handle reads its own table"
            );
            match handle.reopen(&file, OFlags::RDONLY) {
                Err(Error::NotOwner { owner: 1 }) => {}
                other => fail!(
                    "reopen through the inherited handle after the grandchild made its own \
                     (both pid 1): want NotOwner, got {other:?}"
                ),
            }
            // What the refusal stands in front of: the raw open reads pid 1's file.
            ensure_eq!(
                read_through(&handle, number)?,
                "pid 1's\n",
                "the raw open through the inherited handle"
            );
            Ok(())
        })?;
        // In the pid 1 that made it, the handle still works.
        ensure_eq!(
            read_all(handle.reopen(&file, OFlags::RDONLY)?)?,
            "pid 1's\n"
        );
        Ok(())
    })
}

fn reopen_refuses_creating_and_nofollow_flags() -> TestResult {
    let handle = ProcSelfFd::open_unconfined()?;
    let (dir, path) = temp_file("keep me\n", 0o644)?;
    let file = open_path(&path, OFlags::PATH)?;
    let dir_fd = open_path(dir.path(), OFlags::PATH | OFlags::DIRECTORY)?;

    // What the kernel would do with them, to show why they are refused.
    let name = DecInt::from_fd(&file);
    let raw = |flags: OFlags| {
        rustix::fs::openat(
            &handle,
            name.as_c_str(),
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map(drop)
    };
    ensure_eq!(
        raw(OFlags::RDONLY | OFlags::NOFOLLOW),
        Err(Errno::LOOP),
        "O_NOFOLLOW on the magic link"
    );
    ensure_eq!(
        raw(OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL),
        Err(Errno::EXIST),
        "O_CREAT|O_EXCL"
    );

    for flags in [
        OFlags::RDONLY | OFlags::CREATE,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
        OFlags::RDWR | OFlags::EXCL,
        OFlags::RDONLY | OFlags::NOFOLLOW,
        OFlags::PATH | OFlags::NOFOLLOW,
        OFlags::RDWR | OFlags::TMPFILE,
    ] {
        match handle.reopen(&file, flags) {
            Err(Error::InvalidFlags { flags: f }) => ensure_eq!(f, flags),
            other => fail!("reopen with {flags:?}: want InvalidFlags, got {other:?}"),
        }
    }
    // O_TMPFILE on the directory would have made a new file in it: refused, none made.
    match handle.reopen(&dir_fd, OFlags::RDWR | OFlags::TMPFILE) {
        Err(Error::InvalidFlags { .. }) => {}
        other => fail!("reopen dir with O_TMPFILE: want InvalidFlags, got {other:?}"),
    }
    ensure_eq!(
        std::fs::read_to_string(&path).map_err(failed)?,
        "keep me\n",
        "file untouched"
    );

    // O_DIRECTORY alone is legal: it opens a directory, and refuses a file.
    let d = handle.reopen(&dir_fd, OFlags::RDONLY | OFlags::DIRECTORY)?;
    ensure_eq!(id_of(&d)?, id_of(&dir_fd)?);
    match handle.reopen(&file, OFlags::RDONLY | OFlags::DIRECTORY) {
        Err(e @ Error::Reopen { .. }) => ensure_eq!(e.errno(), Some(Errno::NOTDIR)),
        other => fail!("reopen file with O_DIRECTORY: want ENOTDIR, got {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// open_unconfined

fn open_unconfined_works_without_namespaces_and_reaches_ancestors() -> TestResult {
    let handle = ProcSelfFd::open_unconfined()?;
    ensure_eq!(
        rustix::fs::fstatfs(&handle).map_err(failed)?.f_type,
        rustix::fs::PROC_SUPER_MAGIC
    );
    ensure_eq!(id_of(&handle)?, dev_ino("/proc/self/fd")?);
    let (_dir, path) = temp_file("plain\n", 0o644)?;
    let file = open_path(&path, OFlags::PATH)?;
    ensure_eq!(read_all(handle.reopen(&file, OFlags::RDONLY)?)?, "plain\n");
    // Not confined: "../status" is this process's /proc/<pid>/status.
    let status = rustix::fs::openat(
        &handle,
        "../status",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| failed(format!("openat(handle, \"../status\"): {e}")))?;
    let text = read_all(status)?;
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    ensure!(
        text.lines().any(|l| l == format!("Pid:\t{pid}")),
        "../status is this process's status"
    );
    Ok(())
}

fn open_private_shows_processes_only_and_reopens() -> TestResult {
    if !test_support::is_root() {
        test_support::skip!(
            "a private proc instance needs CAP_SYS_ADMIN over the pid namespace: root"
        );
    }
    let mounts_before = test_support::mountinfo()?;
    let handle = ProcSelfFd::open_private()?;
    // `..` reaches /proc/<pid> of an instance without /proc/sys (subset=pid).
    let sys = rustix::fs::openat(handle.as_fd(), "../../sys", OFlags::PATH, Mode::empty());
    ensure_eq!(sys.err(), Some(Errno::NOENT), "/proc/sys behind the handle");
    let status = rustix::fs::openat(handle.as_fd(), "../status", OFlags::RDONLY, Mode::empty());
    ensure!(
        status.is_ok(),
        "the own status through the handle: {status:?}"
    );
    // It reopens like any handle.
    let (r, _w) = rustix::pipe::pipe().map_err(failed)?;
    handle.reopen(&r, OFlags::RDONLY)?;
    // Attached nowhere: the mount table did not change.
    ensure_eq!(
        test_support::mountinfo()?,
        mounts_before,
        "the mount table after open_private"
    );
    Ok(())
}

fn open_private_without_the_capability_is_refused_typed() -> TestResult {
    if test_support::is_root() {
        test_support::skip!("root may mount proc; the unprivileged run covers the refusal");
    }
    match ProcSelfFd::open_private() {
        Err(Error::PrivateProc { errno }) => {
            ensure_eq!(
                errno,
                Errno::PERM,
                "the errno of fsopen(proc) without the capability"
            );
            Ok(())
        }
        other => fail!("expected Error::PrivateProc, got {other:?}"),
    }
}
