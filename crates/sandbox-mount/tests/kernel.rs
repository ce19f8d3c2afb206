//! Kernel tests of `sandbox-mount`, each scenario in a fresh process (see `test-support`).
//!
//! Every scenario that mounts first enters a mount namespace of its own: as root a new
//! mount namespace, otherwise a new user namespace (its uid and gid mapped to themselves)
//! that owns a new mount namespace, so the same scenarios really run unprivileged. The
//! host's mount table is never touched.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, StatVfsMountFlags, StatxFlags};
use rustix::io::Errno;
use rustix::mount::MountFlags;
use rustix::thread::{LinkNameSpaceType, UnshareFlags};
use sandbox_mount::mountinfo::{self, MountInfo};
use sandbox_mount::{Error, Identity, MountApi, MountAttr, Propagation, UnmountFlags};
use test_support::files::{open_dir, write_file, TmpfsDir};
use test_support::namespaces::{enter_user_ns, own_mount_ns, unshare};
use test_support::{
    become_nobody, ensure, ensure_eq, fail, failed, in_child, is_root, temp_dir, Fail, TestResult,
};

fn main() {
    test_support::main(test_support::scenarios![
        private_propagation_keeps_a_childs_new_mount_out_of_the_parent,
        slave_propagation_lets_the_parents_new_mounts_in_and_none_out,
        read_only_remount_refuses_writes_with_erofs,
        read_only_remount_keeps_flags_a_user_namespace_locked,
        mountinfo_lists_exactly_the_new_tmpfs_with_its_escaped_path_decoded,
        tmpfs_gets_its_size_mode_and_nosuid_nodev,
        attach_tree_binds_a_directory_and_the_tree_fd_lands_on_the_new_mount,
        clone_tree_of_an_fd_opened_before_unshare_is_einval,
        unmount_detach_removes_a_busy_mount_that_plain_unmount_refuses,
        bind_of_a_missing_source_fails_with_enoent_naming_it,
        recursive_bind_brings_submounts_and_plain_bind_does_not,
        mount_proc_in_a_new_pid_namespace_shows_that_namespace,
        mount_proc_without_privilege_is_eperm,
        propagation_of_a_non_mount_point_is_einval,
        make_read_only_covers_every_submount_on_both_paths,
        make_read_only_without_recursive_leaves_submounts_writable_on_both_paths,
        a_strictatime_submount_stays_strictatime_when_made_read_only_on_both_paths,
        clearing_a_flag_a_user_namespace_locked_is_eperm_on_both_paths,
        legacy_walk_skips_covered_mounts_and_reaches_the_top_of_a_stack,
        set_attributes_on_a_directory_that_is_no_mount_root_is_einval_on_both_paths,
        legacy_walk_and_report,
        legacy_walk_fails_with_the_operation_and_errno_of_each_failed_call,
        bind_tree_lands_on_a_new_mount_with_the_submounts_on_every_path,
        bind_tree_legacy_lookup_refuses_a_path_that_leads_elsewhere,
        bind_tree_reaches_a_directory_whose_path_is_longer_than_a_page_on_every_path,
        bind_tree_with_each_api_and_report,
        bind_tree_falls_back_to_mount_only_when_open_tree_is_refused,
        identity_tells_a_bind_mount_from_the_directory_it_binds,
        visible_mounts_are_mountinfos_mounts_with_their_attributes,
    ])
}

// ---------------------------------------------------------------------------------------
// Helpers

/// Detaches the mount at the path when dropped, so that a failed check does not leave a
/// mount point (and so a directory) behind in the host's /tmp.
struct DetachOnDrop(PathBuf);

impl Drop for DetachOnDrop {
    fn drop(&mut self) {
        let _ = sandbox_mount::unmount(&self.0, UnmountFlags::DETACH);
    }
}

fn mount_id(fd: impl AsFd) -> Result<u64, Fail> {
    let st = rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID)
        .map_err(|e| failed(format!("statx: {e}")))?;
    ensure!(
        st.stx_mask & StatxFlags::MNT_ID.bits() != 0,
        "statx gave no mount id"
    );
    Ok(st.stx_mnt_id)
}

fn mount_at<'a>(mounts: &'a [MountInfo], path: &Path) -> Option<&'a MountInfo> {
    // The last one wins: it is the mount on top.
    mounts.iter().rev().find(|m| m.mount_point == path)
}

fn errno_of(e: &std::io::Error) -> Option<Errno> {
    Errno::from_io_error(e)
}

fn statvfs_flags(path: &Path) -> Result<StatVfsMountFlags, Fail> {
    Ok(rustix::fs::statvfs(path)
        .map_err(|e| failed(format!("statvfs {}: {e}", path.display())))?
        .f_flag)
}

// ---------------------------------------------------------------------------------------
// Propagation

/// The parent makes a shared tmpfs; a child in a new mount namespace gets a peer copy.
/// A mount the child makes before going private reaches the parent (the control), one it
/// makes after does not: once the child is gone its private mount is nowhere, while a
/// propagated one would live on in the parent's namespace.
fn private_propagation_keeps_a_childs_new_mount_out_of_the_parent() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let t = scratch.mkdir("t")?;
    sandbox_mount::mount_tmpfs(&t, None)?;
    sandbox_mount::set_propagation(&t, Propagation::Shared)?;
    let (ctl, hidden) = (t.join("ctl"), t.join("hidden"));
    std::fs::create_dir(&ctl).map_err(failed)?;
    std::fs::create_dir(&hidden).map_err(failed)?;

    in_child(|| {
        unshare(UnshareFlags::NEWNS)?;
        let mine = mountinfo::read_self()?;
        ensure_eq!(
            mount_at(&mine, &t).map(MountInfo::propagation),
            Some(Propagation::Shared),
            "the child's copy of {} is a peer",
            t.display()
        );
        sandbox_mount::mount_tmpfs(&ctl, Some(4096))?;
        sandbox_mount::set_propagation_recursive(&t, Propagation::Private)?;
        let mine = mountinfo::read_self()?;
        ensure_eq!(
            mount_at(&mine, &t).map(MountInfo::propagation),
            Some(Propagation::Private)
        );
        sandbox_mount::mount_tmpfs(&hidden, Some(4096))?;
        ensure!(
            mount_at(&mountinfo::read_self()?, &hidden).is_some(),
            "the child sees its own mount"
        );
        Ok(())
    })?;

    let parents = mountinfo::read_self()?;
    ensure!(
        mount_at(&parents, &ctl).is_some(),
        "control: a mount made while shared should have reached the parent"
    );
    ensure!(
        mount_at(&parents, &hidden).is_none(),
        "a mount made after going private reached the parent"
    );
    Ok(())
}

/// The parent's tmpfs is shared; a child makes its copy a slave. A mount the parent makes
/// afterwards appears in the child; one the child makes does not go back.
fn slave_propagation_lets_the_parents_new_mounts_in_and_none_out() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let t = scratch.mkdir("t")?;
    sandbox_mount::mount_tmpfs(&t, None)?;
    sandbox_mount::set_propagation(&t, Propagation::Shared)?;
    let (from_parent, from_child) = (t.join("from-parent"), t.join("from-child"));
    std::fs::create_dir(&from_parent).map_err(failed)?;
    std::fs::create_dir(&from_child).map_err(failed)?;
    let parent_ns = File::open("/proc/self/ns/mnt").map_err(failed)?;

    in_child(|| {
        unshare(UnshareFlags::NEWNS)?;
        sandbox_mount::set_propagation_recursive(&t, Propagation::Slave)?;
        ensure_eq!(
            mount_at(&mountinfo::read_self()?, &t).map(MountInfo::propagation),
            Some(Propagation::Slave)
        );
        // Mount in the parent's namespace while this child holds its slave copy.
        in_child(|| {
            rustix::thread::move_into_link_name_space(
                parent_ns.as_fd(),
                Some(LinkNameSpaceType::Mount),
            )
            .map_err(|e| failed(format!("setns to the parent's mount namespace: {e}")))?;
            sandbox_mount::mount_tmpfs(&from_parent, Some(4096))?;
            Ok(())
        })?;
        let mine = mountinfo::read_self()?;
        ensure!(
            mount_at(&mine, &from_parent).is_some_and(|m| m.fs_type == "tmpfs"),
            "the parent's new mount did not reach the slave"
        );
        sandbox_mount::mount_tmpfs(&from_child, Some(4096))?;
        Ok(())
    })?;

    let parents = mountinfo::read_self()?;
    ensure!(
        mount_at(&parents, &from_parent).is_some(),
        "the parent's own mount"
    );
    ensure!(
        mount_at(&parents, &from_child).is_none(),
        "the slave's mount went back to its master"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Read-only

fn read_only_remount_refuses_writes_with_erofs() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let data = scratch.mkdir("data")?;
    let ro = scratch.mkdir("ro")?;
    write_file(data.join("old"), "data")?;
    sandbox_mount::bind(&data, &ro)?;
    sandbox_mount::remount_read_only(&ro)?;

    for path in [ro.join("new"), ro.join("old")] {
        match std::fs::write(&path, "data") {
            Err(e) if errno_of(&e) == Some(Errno::ROFS) => {}
            other => fail!("write {}: expected EROFS, got {other:?}", path.display()),
        }
    }
    match std::fs::create_dir(ro.join("dir")) {
        Err(e) if errno_of(&e) == Some(Errno::ROFS) => {}
        other => fail!("mkdir in the read-only mount: expected EROFS, got {other:?}"),
    }
    ensure!(
        std::fs::read(ro.join("old")).is_ok(),
        "reads still work through the read-only mount"
    );
    std::fs::write(data.join("new"), "data")
        .map_err(|e| failed(format!("the source stays writable: {e}")))?;
    ensure!(
        ro.join("new").exists(),
        "the bind shows the source's new file"
    );
    ensure!(
        statvfs_flags(&ro)?.contains(StatVfsMountFlags::RDONLY),
        "statvfs says ro"
    );
    let mounts = mountinfo::read_self()?;
    ensure!(
        mount_at(&mounts, &ro).is_some_and(MountInfo::is_read_only),
        "mountinfo says ro"
    );
    Ok(())
}

/// In a user namespace the kernel locks the flags of mounts inherited from the namespace
/// it came from. The scratch tmpfs is nosuid,nodev,relatime; in a nested user namespace a
/// bind remount that drops those is EPERM (the control), and `remount_read_only` works
/// and keeps them.
fn read_only_remount_keeps_flags_a_user_namespace_locked() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let file = scratch.path().join("file");
    write_file(&file, "data")?;
    let before = statvfs_flags(scratch.path())?;
    ensure!(
        before.contains(StatVfsMountFlags::NOSUID | StatVfsMountFlags::NODEV),
        "the scratch tmpfs is nosuid,nodev: {before:?}"
    );

    in_child(|| {
        enter_user_ns(UnshareFlags::NEWNS)?;
        let dir = scratch.path();
        match rustix::mount::mount_remount(dir, MountFlags::BIND | MountFlags::RDONLY, "") {
            Err(Errno::PERM) => {}
            other => fail!(
                "control: a remount that drops the locked flags should be EPERM, got {other:?}"
            ),
        }
        sandbox_mount::remount_read_only(dir)?;
        match std::fs::write(&file, "data") {
            Err(e) if errno_of(&e) == Some(Errno::ROFS) => {}
            other => fail!("write after remount: expected EROFS, got {other:?}"),
        }
        let after = statvfs_flags(dir)?;
        let kept = StatVfsMountFlags::NOSUID | StatVfsMountFlags::NODEV;
        ensure!(
            after.contains(kept | StatVfsMountFlags::RDONLY),
            "expected ro,nosuid,nodev, statvfs says {after:?}"
        );
        ensure_eq!(
            after.contains(StatVfsMountFlags::RELATIME),
            before.contains(StatVfsMountFlags::RELATIME),
            "the atime mode is kept"
        );
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// mountinfo, tmpfs

fn mountinfo_lists_exactly_the_new_tmpfs_with_its_escaped_path_decoded() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let dir = temp_dir()?;
    let target = dir.path().join("with space");
    std::fs::create_dir(&target).map_err(failed)?;
    let before = mountinfo::read_self()?;
    sandbox_mount::mount_tmpfs(&target, Some(1 << 20))?;
    let _guard = DetachOnDrop(target.clone());
    let raw = test_support::mountinfo()?;
    let after = mountinfo::read_self()?;

    ensure!(
        raw.contains("/with\\040space "),
        "the kernel escapes the space: {raw}"
    );
    let new: Vec<&MountInfo> = after.iter().filter(|m| !before.contains(m)).collect();
    ensure_eq!(new.len(), 1, "exactly one new mount: {new:#?}");
    ensure_eq!(after.len(), before.len() + 1);
    let m = new[0];
    ensure_eq!(m.mount_point, target);
    ensure_eq!(m.root, Path::new("/"));
    ensure_eq!(m.fs_type, "tmpfs");
    ensure_eq!(m.source, "tmpfs");
    for option in ["rw", "nosuid", "nodev"] {
        ensure!(
            m.mount_options.iter().any(|o| o == option),
            "mount options {:?} lack {option}",
            m.mount_options
        );
    }
    for option in ["size=1024k", "mode=755"] {
        ensure!(
            m.super_options.iter().any(|o| o == option),
            "super options {:?} lack {option}",
            m.super_options
        );
    }
    ensure_eq!(m.propagation(), Propagation::Private);
    ensure!(!m.is_read_only(), "a fresh tmpfs is writable");

    let fd = open_dir(&target)?;
    ensure_eq!(
        u64::from(m.mount_id),
        mount_id(&fd)?,
        "statx agrees on the mount id"
    );
    ensure_eq!(
        u64::from(m.parent_id),
        mount_id(open_dir(dir.path())?)?,
        "the parent is the mount holding the temp dir"
    );
    let dev = std::fs::metadata(&target).map_err(failed)?.dev();
    ensure_eq!(
        (m.major, m.minor),
        (rustix::fs::major(dev), rustix::fs::minor(dev))
    );
    drop(fd);

    sandbox_mount::unmount(&target, UnmountFlags::empty())?;
    ensure_eq!(
        mountinfo::read_self()?,
        before,
        "unmount restores the table"
    );
    Ok(())
}

fn tmpfs_gets_its_size_mode_and_nosuid_nodev() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let t = scratch.mkdir("t")?;
    sandbox_mount::mount_tmpfs(&t, Some(2 << 20))?;
    let st = rustix::fs::statvfs(&t).map_err(failed)?;
    ensure_eq!(st.f_blocks * st.f_frsize, 2 << 20, "size");
    ensure!(
        st.f_flag
            .contains(StatVfsMountFlags::NOSUID | StatVfsMountFlags::NODEV),
        "flags {:?}",
        st.f_flag
    );
    ensure!(!st.f_flag.contains(StatVfsMountFlags::NOEXEC), "not noexec");
    let mode = std::fs::metadata(&t).map_err(failed)?.permissions().mode();
    ensure_eq!(mode & 0o7777, 0o755, "root mode {mode:o}");
    // The size is enforced: 3 MiB do not fit.
    match std::fs::write(t.join("big"), vec![0u8; 3 << 20]) {
        Err(e) if errno_of(&e) == Some(Errno::NOSPC) => {}
        other => fail!("writing past the size: expected ENOSPC, got {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The new mount API

fn attach_tree_binds_a_directory_and_the_tree_fd_lands_on_the_new_mount() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let dst = scratch.mkdir("dst")?;
    write_file(src.join("marker"), "data")?;

    let src_fd = open_dir(&src)?;
    let dst_before = open_dir(&dst)?;
    let tree = sandbox_mount::clone_tree(&src_fd)?;
    ensure!(
        mount_at(&mountinfo::read_self()?, &dst).is_none(),
        "a cloned tree is detached until attached"
    );
    sandbox_mount::attach_tree(&tree, &dst_before)?;

    ensure!(
        dst.join("marker").exists(),
        "the bind shows the source's file"
    );
    let (tree_id, before_id) = (mount_id(&tree)?, mount_id(&dst_before)?);
    ensure!(
        tree_id != before_id,
        "the tree fd is on the new mount ({tree_id}), not the covered dir ({before_id})"
    );
    ensure_eq!(
        mount_id(open_dir(&dst)?)?,
        tree_id,
        "the path now resolves to the tree's mount"
    );
    match rustix::fs::statat(&dst_before, "marker", AtFlags::empty()) {
        Err(Errno::NOENT) => {}
        other => fail!("the fd opened before still sees the covered (empty) dir: {other:?}"),
    }
    ensure!(
        rustix::fs::statat(&tree, "marker", AtFlags::empty()).is_ok(),
        "the tree fd sees the bound dir"
    );
    let mounts = mountinfo::read_self()?;
    let m = mount_at(&mounts, &dst).ok_or_else(|| failed("no mount at dst"))?;
    ensure_eq!(m.root, Path::new("/src"), "a bind of the subdirectory");
    ensure_eq!(u64::from(m.mount_id), tree_id);

    sandbox_mount::unmount(&dst, UnmountFlags::DETACH)?;
    ensure!(
        !dst.join("marker").exists(),
        "detached: the file is gone from dst"
    );
    ensure!(
        mount_at(&mountinfo::read_self()?, &dst).is_none(),
        "detached: no mount at dst"
    );
    Ok(())
}

/// The kernel fact callers must respect: an fd opened before `unshare(CLONE_NEWNS)` is on
/// a mount of the old namespace; `open_tree` on it is EINVAL. Opening again after the
/// unshare (here through the cwd, which unshare carries over) works.
fn clone_tree_of_an_fd_opened_before_unshare_is_einval() -> TestResult {
    let dir = temp_dir()?;
    let old_fd = open_dir(dir.path())?;
    rustix::process::fchdir(&old_fd).map_err(failed)?;
    own_mount_ns(UnshareFlags::empty())?;
    match sandbox_mount::clone_tree(&old_fd) {
        Err(e @ Error::CloneTree { .. }) => ensure_eq!(e.errno(), Some(Errno::INVAL), "{e}"),
        other => fail!("expected CloneTree EINVAL, got {other:?}"),
    }
    let new_fd = open_dir(Path::new("."))?;
    let tree = sandbox_mount::clone_tree(&new_fd)?;
    ensure!(
        mount_id(&tree)? != mount_id(&new_fd)?,
        "a new (detached) mount"
    );
    Ok(())
}

fn unmount_detach_removes_a_busy_mount_that_plain_unmount_refuses() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let m = scratch.mkdir("m")?;
    sandbox_mount::mount_tmpfs(&m, Some(4096))?;
    write_file(m.join("f"), "data")?;
    let busy = File::open(m.join("f")).map_err(failed)?;

    match sandbox_mount::unmount(&m, UnmountFlags::empty()) {
        Err(e @ Error::Unmount { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::BUSY), "{e}");
            ensure_eq!(e.path(), Some(m.as_path()));
        }
        other => fail!("expected EBUSY, got {other:?}"),
    }
    sandbox_mount::unmount(&m, UnmountFlags::DETACH)?;
    ensure!(
        mount_at(&mountinfo::read_self()?, &m).is_none(),
        "no mount at the path"
    );
    ensure!(!m.join("f").exists(), "the path shows the covered dir");
    ensure!(
        busy.metadata().is_ok(),
        "the open file of the detached mount still works"
    );
    match sandbox_mount::unmount(&m, UnmountFlags::empty()) {
        Err(e) if e.errno() == Some(Errno::INVAL) => {}
        other => fail!("unmount of a non-mount point: expected EINVAL, got {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// bind

fn bind_of_a_missing_source_fails_with_enoent_naming_it() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let missing = scratch.path().join("missing");
    let target = scratch.mkdir("target")?;
    match sandbox_mount::bind_recursive(&missing, &target) {
        Err(e @ Error::Bind { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::NOENT));
            ensure_eq!(e.path(), Some(missing.as_path()));
            let msg = e.to_string();
            ensure!(
                msg.contains(&missing.display().to_string()) && msg.contains("No such file"),
                "message {msg:?}"
            );
        }
        other => fail!("expected Bind ENOENT, got {other:?}"),
    }
    Ok(())
}

fn recursive_bind_brings_submounts_and_plain_bind_does_not() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let sub = scratch.mkdir("src/sub")?;
    sandbox_mount::mount_tmpfs(&sub, Some(4096))?;
    write_file(sub.join("in-submount"), "data")?;
    let (flat, deep) = (scratch.mkdir("flat")?, scratch.mkdir("deep")?);
    sandbox_mount::bind(&src, &flat)?;
    sandbox_mount::bind_recursive(&src, &deep)?;
    ensure!(
        !flat.join("sub/in-submount").exists(),
        "a plain bind shows the covered dir"
    );
    ensure!(
        deep.join("sub/in-submount").exists(),
        "a recursive bind brings the submount"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// proc

fn mount_proc_in_a_new_pid_namespace_shows_that_namespace() -> TestResult {
    own_mount_ns(UnshareFlags::NEWPID)?;
    let scratch = TmpfsDir::new()?;
    let proc_dir = scratch.mkdir("proc")?;
    // The first child is pid 1 of the new pid namespace.
    in_child(|| {
        sandbox_mount::mount_proc(&proc_dir)?;
        let me = std::fs::read_link(proc_dir.join("self")).map_err(failed)?;
        ensure_eq!(
            me,
            Path::new("1"),
            "the new proc shows the new pid namespace"
        );
        let mounts = mountinfo::read_self()?;
        let m = mount_at(&mounts, &proc_dir).ok_or_else(|| failed("no proc mount"))?;
        ensure_eq!(m.fs_type, "proc");
        for option in ["nosuid", "nodev", "noexec"] {
            ensure!(
                m.mount_options.iter().any(|o| o == option),
                "{:?} lacks {option}",
                m.mount_options
            );
        }
        Ok(())
    })
}

/// Unprivileged and with no user namespace of its own, mounting proc is EPERM. As root,
/// a child drops to uid/gid 65534 (losing every capability) first.
fn mount_proc_without_privilege_is_eperm() -> TestResult {
    let dir = temp_dir()?;
    let target = dir.path().to_path_buf();
    in_child(|| {
        if is_root() {
            // A mount namespace of its own, in case the kernel let it through.
            unshare(UnshareFlags::NEWNS)?;
            // setresgid/setresuid away from 0 clear every capability of this child.
            become_nobody()?;
        }
        match sandbox_mount::mount_proc(&target) {
            Err(e @ Error::MountProc { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::PERM), "{e}");
                ensure_eq!(
                    e.to_string(),
                    format!(
                        "mount proc on {}: Operation not permitted (os error 1)",
                        target.display()
                    )
                );
            }
            other => fail!("expected MountProc EPERM, got {other:?}"),
        }
        Ok(())
    })
}

fn propagation_of_a_non_mount_point_is_einval() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let plain = scratch.mkdir("plain")?;
    match sandbox_mount::set_propagation_recursive(&plain, Propagation::Slave) {
        Err(e @ Error::Propagation { .. }) => {
            ensure_eq!(e.errno(), Some(Errno::INVAL));
            ensure!(
                e.to_string().starts_with(&format!(
                    "make {} rslave: Invalid argument",
                    plain.display()
                )),
                "message {e}"
            );
        }
        other => fail!("expected Propagation EINVAL, got {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Attributes of whole trees: mount_setattr and the remount walk.

const PATHS: [MountApi; 2] = [MountApi::New, MountApi::Legacy];

fn expect_erofs(path: &Path) -> TestResult {
    match std::fs::write(path, "data") {
        Err(e) if errno_of(&e) == Some(Errno::ROFS) => Ok(()),
        other => fail!("write {}: expected EROFS, got {other:?}", path.display()),
    }
}

/// `src/sub` and `src/sub/deeper` are tmpfs mounts; `src` is bound recursively at
/// `view-<path>`, and the view made read-only: writes fail with EROFS at every level of
/// the view, and `src` stays writable.
fn make_read_only_covers_every_submount_on_both_paths() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let sub = scratch.mkdir("src/sub")?;
    sandbox_mount::mount_tmpfs(&sub, Some(1 << 20))?;
    let deeper = scratch.mkdir("src/sub/deeper")?;
    sandbox_mount::mount_tmpfs(&deeper, Some(1 << 20))?;
    for api in PATHS {
        let view = scratch.mkdir(&format!("view-{api}"))?;
        sandbox_mount::bind_recursive(&src, &view)?;
        sandbox_mount::make_read_only_recursive(open_dir(&view)?, api)?;
        for rel in ["new", "sub/new", "sub/deeper/new"] {
            expect_erofs(&view.join(rel))?;
            std::fs::write(src.join(rel), "data")
                .map_err(|e| failed(format!("{api}: the source stays writable: {rel}: {e}")))?;
        }
        let mounts = mountinfo::read_self()?;
        for rel in ["", "sub", "sub/deeper"] {
            let p = view.join(rel);
            let p = p.components().collect::<PathBuf>();
            ensure!(
                mount_at(&mounts, &p).is_some_and(MountInfo::is_read_only),
                "{api}: mountinfo says {} is ro",
                p.display()
            );
            if !rel.is_empty() {
                ensure!(
                    mount_at(&mounts, &src.join(rel)).is_some_and(|m| !m.is_read_only()),
                    "{api}: the source's mount at {rel:?} stays rw"
                );
            }
        }
    }
    Ok(())
}

fn make_read_only_without_recursive_leaves_submounts_writable_on_both_paths() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let sub = scratch.mkdir("src/sub")?;
    sandbox_mount::mount_tmpfs(&sub, Some(1 << 20))?;
    for api in PATHS {
        let view = scratch.mkdir(&format!("view-{api}"))?;
        sandbox_mount::bind_recursive(&src, &view)?;
        sandbox_mount::make_read_only(open_dir(&view)?, api)?;
        expect_erofs(&view.join("new"))?;
        std::fs::write(view.join("sub/new"), "data")
            .map_err(|e| failed(format!("{api}: the submount stays writable: {e}")))?;
    }
    Ok(())
}

/// The atime mode statvfs reports: `noatime`, `relatime`, or `strictatime` (neither).
fn atime_mode(path: &Path) -> Result<&'static str, Fail> {
    let flags = statvfs_flags(path)?;
    Ok(if flags.contains(StatVfsMountFlags::NOATIME) {
        "noatime"
    } else if flags.contains(StatVfsMountFlags::RELATIME) {
        "relatime"
    } else {
        "strictatime"
    })
}

/// `src/strict` is a tmpfs mounted `strictatime`, `src/strict-nodiratime` one mounted
/// `strictatime,nodiratime`. A recursive bind of `src` is made read-only: the copies are
/// read-only and still strictatime, on both paths, with their flags free (root, or a user
/// namespace of ours that made the mounts) and locked (a nested user namespace: then a
/// remount that asks for another atime mode is EPERM). A remount with no atime flag keeps
/// the mode; the legacy path passed `MS_NODIRATIME` without `MS_STRICTATIME`, which the
/// kernel reads as relatime (issue 16, item 5), and so did `remount_read_only`.
fn a_strictatime_submount_stays_strictatime_when_made_read_only_on_both_paths() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let subs = [
        ("strict", MountFlags::empty()),
        ("strict-nodiratime", MountFlags::NODIRATIME),
    ];
    for (name, extra) in subs {
        let sub = scratch.mkdir(&format!("src/{name}"))?;
        let flags = MountFlags::STRICTATIME | MountFlags::NOSUID | MountFlags::NODEV | extra;
        rustix::mount::mount("tmpfs", &sub, "tmpfs", flags, None)
            .map_err(|e| failed(format!("mount a {name} tmpfs: {e}")))?;
        ensure_eq!(atime_mode(&sub)?, "strictatime", "control: {name}");
    }
    for locked in [false, true] {
        for api in PATHS {
            let view = scratch.mkdir(&format!("view-{api}-{locked}"))?;
            sandbox_mount::bind_recursive(&src, &view)?;
            in_child(|| {
                if locked {
                    enter_user_ns(UnshareFlags::NEWNS)?;
                    let copy = view.join("strict");
                    let relatime = MountFlags::BIND
                        | MountFlags::NOSUID
                        | MountFlags::NODEV
                        | MountFlags::RELATIME;
                    match rustix::mount::mount_remount(&copy, relatime, "") {
                        Err(Errno::PERM) => {}
                        other => fail!(
                            "control: a remount to relatime of a locked strictatime mount \
                             should be EPERM, got {other:?}"
                        ),
                    }
                }
                sandbox_mount::make_read_only_recursive(open_dir(&view)?, api)?;
                let mounts = mountinfo::read_self()?;
                for (name, _) in subs {
                    let copy = view.join(name);
                    let at = format!("{api}, locked: {locked}, {name}");
                    expect_erofs(&copy.join("new"))?;
                    ensure_eq!(atime_mode(&copy)?, "strictatime", "{at}");
                    let options = mount_at(&mounts, &copy).map(|m| m.mount_options.clone());
                    ensure!(
                        options.as_ref().is_some_and(|o| {
                            o.iter().any(|o| o == "ro")
                                && !o.iter().any(|o| o == "relatime" || o == "noatime")
                        }),
                        "{at}: mountinfo's options of the copy: {options:?}"
                    );
                    // The path-based remount keeps it too.
                    sandbox_mount::remount_read_only(&copy)?;
                    ensure_eq!(atime_mode(&copy)?, "strictatime", "{at}: remount_read_only");
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// The scratch tmpfs is nosuid,nodev; in a nested user namespace those are locked. Setting
/// noexec and clearing it again works (the control: a flag set here is not locked), and
/// asking to clear nosuid is EPERM on both paths, with nosuid still set afterwards.
fn clearing_a_flag_a_user_namespace_locked_is_eperm_on_both_paths() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    in_child(|| {
        enter_user_ns(UnshareFlags::NEWNS)?;
        let dir = scratch.path();
        for api in PATHS {
            let fd = open_dir(dir)?;
            sandbox_mount::set_attributes_recursive(
                &fd,
                MountAttr::NOEXEC,
                MountAttr::empty(),
                api,
            )?;
            ensure!(
                statvfs_flags(dir)?.contains(StatVfsMountFlags::NOEXEC),
                "{api}: noexec set"
            );
            sandbox_mount::set_attributes_recursive(
                &fd,
                MountAttr::empty(),
                MountAttr::NOEXEC,
                api,
            )?;
            ensure!(
                !statvfs_flags(dir)?.contains(StatVfsMountFlags::NOEXEC),
                "{api}: noexec cleared again"
            );
            match sandbox_mount::set_attributes_recursive(
                &fd,
                MountAttr::empty(),
                MountAttr::NOSUID,
                api,
            ) {
                Err(e @ (Error::SetAttributes { .. } | Error::Remount { .. })) => {
                    ensure_eq!(e.errno(), Some(Errno::PERM), "{api}: {e}");
                    ensure!(e.to_string().contains("clear nosuid"), "{api}: message {e}");
                }
                other => fail!("{api}: clearing a locked nosuid: expected EPERM, got {other:?}"),
            }
            ensure!(
                statvfs_flags(dir)?.contains(StatVfsMountFlags::NOSUID | StatVfsMountFlags::NODEV),
                "{api}: nosuid and nodev are still set"
            );
        }
        Ok(())
    })
}

/// `t/x` is a tmpfs (A) that a tmpfs (B) mounted on `t` later covers; a third (C) is
/// stacked on `t` on top of B. The walk reaches C and makes it read-only; A and B, which
/// no path reaches, are left alone. `mount_setattr` changes all three.
fn legacy_walk_skips_covered_mounts_and_reaches_the_top_of_a_stack() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    for api in PATHS {
        let base = scratch.mkdir(&format!("base-{api}"))?;
        sandbox_mount::mount_tmpfs(&base, Some(1 << 20))?;
        let t = base.join("t");
        let x = t.join("x");
        std::fs::create_dir_all(&x).map_err(failed)?;
        sandbox_mount::mount_tmpfs(&x, Some(4096))?; // A
        let a_id = mount_id(open_dir(&x)?)?;
        sandbox_mount::mount_tmpfs(&t, Some(4096))?; // B
        let b_id = mount_id(open_dir(&t)?)?;
        sandbox_mount::mount_tmpfs(&t, Some(4096))?; // C
        let c_id = mount_id(open_dir(&t)?)?;
        sandbox_mount::make_read_only_recursive(open_dir(&base)?, api)?;
        expect_erofs(&base.join("new"))?;
        expect_erofs(&t.join("new"))?;
        let mounts = mountinfo::read_self()?;
        let ro = |id: u64| {
            mounts
                .iter()
                .find(|m| u64::from(m.mount_id) == id)
                .map(MountInfo::is_read_only)
        };
        ensure_eq!(ro(c_id), Some(true), "{api}: the top of the stack");
        let hidden_ro = api == MountApi::New;
        ensure_eq!(ro(a_id), Some(hidden_ro), "{api}: the covered tmpfs at t/x");
        ensure_eq!(
            ro(b_id),
            Some(hidden_ro),
            "{api}: the tmpfs under the top of the stack"
        );
    }
    Ok(())
}

fn set_attributes_on_a_directory_that_is_no_mount_root_is_einval_on_both_paths() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let plain = scratch.mkdir("plain")?;
    for api in PATHS {
        for recursive in [true, false] {
            let fd = open_dir(&plain)?;
            let result = match recursive {
                true => sandbox_mount::make_read_only_recursive(fd, api),
                false => sandbox_mount::make_read_only(fd, api),
            };
            match result {
                Err(e @ Error::NotAMountRoot { .. }) => {
                    ensure_eq!(e.errno(), Some(Errno::INVAL), "{api}: {e}");
                    ensure_eq!(
                        e.path(),
                        Some(plain.as_path()),
                        "{api}: names the directory"
                    );
                    ensure!(
                        e.to_string().contains("is not the root of a mount"),
                        "{api}, recursive {recursive}: {e}"
                    );
                }
                other => {
                    fail!("{api}, recursive {recursive}: expected NotAMountRoot, got {other:?}")
                }
            }
        }
        std::fs::write(plain.join(format!("still-{api}")), "data")
            .map_err(|e| failed(format!("{api}: the scratch mount stays writable: {e}")))?;
    }
    Ok(())
}

/// A helper for the fault test below (passes on its own): makes a bound tree with a
/// submount read-only on the legacy path, between two lines on stdout that mark the
/// walk's system calls in a trace, and prints the outcome.
fn legacy_walk_and_report() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let sub = scratch.mkdir("src/sub")?;
    sandbox_mount::mount_tmpfs(&sub, Some(1 << 20))?;
    let view = scratch.mkdir("view")?;
    sandbox_mount::bind_recursive(&src, &view)?;
    let fd = open_dir(&view)?;
    println!("WALK start");
    let result = sandbox_mount::make_read_only_recursive(&fd, MountApi::Legacy);
    println!("WALK end");
    match result {
        Ok(()) => {
            let erofs = [view.join("x"), view.join("sub/x")].iter().all(|p| {
                std::fs::write(p, "data").is_err_and(|e| errno_of(&e) == Some(Errno::ROFS))
            });
            println!("WALK ok erofs={erofs}");
        }
        Err(e) => {
            println!("WALK err {}", variant_and_errno(&e));
        }
    }
    Ok(())
}

/// Each system call of the legacy walk fails in turn (strace's fault injection): the walk
/// returns the error of that operation with the injected errno, or, for a call it does
/// without (a size hint), still makes every mount read-only.
fn legacy_walk_fails_with_the_operation_and_errno_of_each_failed_call() -> TestResult {
    let dir = temp_dir()?;
    let trace_file = dir.path().join("trace");
    let syscalls = [
        "openat",
        "read",
        "fstatfs",
        "statx",
        "mount",
        "readlinkat",
        "fstat",
    ];
    let trace = format!("trace=write,{}", syscalls.join(","));
    let traced = test_support::strace_scenario(
        &["-qq", "-e", &trace, "-o", &trace_file.to_string_lossy()],
        "legacy_walk_and_report",
    )?
    .output()
    .map_err(failed)?;
    let stdout = String::from_utf8_lossy(&traced.stdout);
    ensure!(
        traced.status.success() && stdout.contains("WALK ok erofs=true"),
        "the untouched run: {stdout}{}",
        String::from_utf8_lossy(&traced.stderr)
    );
    let trace = std::fs::read_to_string(&trace_file).map_err(failed)?;
    let lines: Vec<&str> = trace.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("write(1, \"WALK start"))
        .ok_or_else(|| failed(format!("no start mark in the trace: {trace}")))?;
    let end = lines
        .iter()
        .position(|l| l.starts_with("write(1, \"WALK end"))
        .ok_or_else(|| failed("no end mark in the trace"))?;
    let mut variants = std::collections::BTreeSet::new();
    let mut tried = 0;
    for (i, line) in lines.iter().enumerate().take(end).skip(start + 1) {
        let Some(name) = line.split('(').next().filter(|n| syscalls.contains(n)) else {
            continue;
        };
        let open = format!("{name}(");
        let nth = lines[..=i].iter().filter(|l| l.starts_with(&open)).count();
        let inject = format!("inject={name}:error=EDOM:when={nth}");
        let out = test_support::strace_scenario(
            &["-qq", "-o", "/dev/null", "-e", &inject],
            "legacy_walk_and_report",
        )?
        .output()
        .map_err(failed)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        tried += 1;
        if stdout.contains("WALK ok erofs=true") {
            continue;
        }
        let Some(report) = stdout.lines().find_map(|l| l.strip_prefix("WALK err ")) else {
            fail!(
                "failing {line}: no outcome: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ensure!(
            report.ends_with(&format!("errno={}", libc::EDOM)),
            "failing {line}: {report}"
        );
        variants.insert(report.split(' ').next().unwrap_or("").to_string());
    }
    ensure!(tried > 4, "only {tried} calls in the walk: {trace}");
    for want in [
        "variant=ReadMountinfo",
        "variant=Submount",
        "variant=Statvfs",
        "variant=Remount",
    ] {
        ensure!(
            variants.contains(want),
            "no failed call gave {want}; seen {variants:?}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// bind_tree and Identity

/// `src` has a tmpfs at `src/sub`. On each path, `bind_tree` binds `src` onto itself and
/// onto another directory: the descriptor it returns is the bound directory (same device
/// and inode) on a mount that is neither the source's nor the target's, the target's
/// path now resolves to that mount, and the submount came along.
fn bind_tree_lands_on_a_new_mount_with_the_submounts_on_every_path() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    for api in [MountApi::New, MountApi::Legacy, MountApi::Auto] {
        let src = scratch.mkdir(&format!("src-{api}"))?;
        let sub = scratch.mkdir(&format!("src-{api}/sub"))?;
        sandbox_mount::mount_tmpfs(&sub, Some(4096))?;
        write_file(sub.join("in-submount"), "x")?;
        let other = scratch.mkdir(&format!("other-{api}"))?;
        for target in [&src, &other] {
            let (src_fd, target_fd) = (open_dir(&src)?, open_dir(target)?);
            let top = sandbox_mount::bind_tree(&src_fd, &target_fd, api)?;
            let (bound, covered, reached) = (
                Identity::of(&src_fd)?,
                Identity::of(&target_fd)?,
                Identity::of(&top)?,
            );
            ensure!(reached.same_file(&bound), "{api}: the directory bound");
            ensure_eq!(reached.is_mount_root(), Some(true), "{api}: a mount root");
            ensure_eq!(
                reached.same_mount(&bound),
                Some(false),
                "{api}: a new mount"
            );
            ensure_eq!(
                reached.same_mount(&covered),
                Some(false),
                "{api}: a new mount"
            );
            ensure!(
                Identity::of_path(target)?.is_same(&reached),
                "{api}: {} resolves to the new mount",
                target.display()
            );
            ensure!(
                rustix::fs::statat(&top, "sub/in-submount", AtFlags::empty()).is_ok(),
                "{api}: the submount came along"
            );
        }
    }
    Ok(())
}

/// Makes `levels` directories of 255-byte names, one inside the other, below `base`
/// (by descriptor: their path soon is too long for `mkdir`), and returns the last one
/// (`O_PATH`).
fn deep_dir(base: &Path, levels: usize) -> Result<std::os::fd::OwnedFd, Fail> {
    let mut dir = open_dir(base)?;
    for level in 0..levels {
        let name = format!("{level:03}{}", "d".repeat(252));
        rustix::fs::mkdirat(&dir, &name, rustix::fs::Mode::from_raw_mode(0o755))
            .map_err(|e| failed(format!("mkdir level {level}: {e}")))?;
        dir = rustix::fs::openat(
            &dir,
            &name,
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .map_err(|e| failed(format!("open level {level}: {e}")))?;
    }
    Ok(dir)
}

/// A directory 20 levels of 255-byte names below the scratch tmpfs (a path of more than
/// 5,100 bytes) is bound onto itself: on every path the descriptor handed back is the
/// new mount. The legacy path cannot name it by its `/proc/self/fd` link (`readlink` is
/// `ENAMETOOLONG` past 4095 bytes, the control); it finds the new mount in mountinfo and
/// walks there one component at a time (issue 16, item 6).
fn bind_tree_reaches_a_directory_whose_path_is_longer_than_a_page_on_every_path() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    for api in [MountApi::New, MountApi::Legacy, MountApi::Auto] {
        let base = scratch.mkdir(&format!("deep-{api}"))?;
        let dir = deep_dir(&base, 20)?;
        match rustix::fs::readlinkat(
            rustix::fs::CWD,
            format!("/proc/self/fd/{}", dir.as_raw_fd()),
            Vec::new(),
        ) {
            Err(Errno::NAMETOOLONG) => {}
            other => fail!("control: readlink of a path past a page: {other:?}"),
        }
        let top = sandbox_mount::bind_tree(&dir, &dir, api)?;
        let (bound, reached) = (Identity::of(&dir)?, Identity::of(&top)?);
        ensure!(reached.same_file(&bound), "{api}: the directory bound");
        ensure_eq!(reached.is_mount_root(), Some(true), "{api}: a mount root");
        ensure_eq!(
            reached.same_mount(&bound),
            Some(false),
            "{api}: a new mount"
        );
        let mounts = mountinfo::read_self()?;
        let on = mounts
            .iter()
            .filter(|m| reached.is_on(m))
            .collect::<Vec<_>>();
        ensure_eq!(on.len(), 1, "{api}: one mount is the one reached");
        let depth = on[0]
            .mount_point
            .strip_prefix(&base)
            .map_err(failed)?
            .components()
            .count();
        ensure_eq!(depth, 20, "{api}: mountinfo puts it at the deep directory");
        ensure!(
            on[0].mount_point.as_os_str().len() > 5000,
            "{api}: the mount point's path is long"
        );
    }
    Ok(())
}

/// The legacy path reaches the new mount by the path the target's `/proc/self/fd` link
/// names. In a chroot that leaves the target outside, that path resolves inside the
/// chroot instead: to nothing (`OpenBoundTree`, ENOENT), then, once a decoy directory is
/// there, to another directory (`BoundTreeMoved`, ESTALE). The descriptor handed back
/// is never one of something else.
fn bind_tree_legacy_lookup_refuses_a_path_that_leads_elsewhere() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let src = scratch.mkdir("src")?;
    let root = scratch.mkdir("root")?;
    let proc_dir = scratch.mkdir("root/proc")?;
    sandbox_mount::bind_recursive("/proc", &proc_dir)?;
    let decoy = root.join(src.strip_prefix("/").map_err(failed)?);
    let src_fd = open_dir(&src)?;
    in_child(|| {
        rustix::process::chroot(&root).map_err(failed)?;
        rustix::process::chdir("/").map_err(failed)?;
        match sandbox_mount::bind_tree(&src_fd, &src_fd, MountApi::Legacy) {
            Err(e @ Error::OpenBoundTree { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::NOENT), "{e}");
                ensure_eq!(e.path(), Some(src.as_path()), "{e}");
            }
            other => fail!("nothing at the path inside the chroot: {other:?}"),
        }
        Ok(())
    })?;
    std::fs::create_dir_all(&decoy).map_err(failed)?;
    in_child(|| {
        rustix::process::chroot(&root).map_err(failed)?;
        rustix::process::chdir("/").map_err(failed)?;
        match sandbox_mount::bind_tree(&src_fd, &src_fd, MountApi::Legacy) {
            Err(e @ Error::BoundTreeMoved { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::STALE), "{e}");
                ensure!(
                    e.to_string().contains(&src.display().to_string()),
                    "message {e}"
                );
            }
            other => fail!("a decoy at the path inside the chroot: {other:?}"),
        }
        Ok(())
    })
}

/// A helper for the fault test below (passes on its own): `bind_tree` of a directory onto
/// itself with `Auto` and with `New`, each outcome printed on one line.
fn bind_tree_with_each_api_and_report() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    for api in [MountApi::Auto, MountApi::New] {
        let dir = scratch.mkdir(&format!("dir-{api}"))?;
        let fd = open_dir(&dir)?;
        match sandbox_mount::bind_tree(&fd, &fd, api) {
            Ok(top) => {
                let new_mount = Identity::of(&top)?.same_mount(&Identity::of(&fd)?);
                println!("BIND {api} ok new_mount={}", new_mount == Some(false));
            }
            Err(e) => {
                println!("BIND {api} err {}", variant_and_errno(&e));
            }
        }
    }
    Ok(())
}

/// `open_tree` fails under strace with each errno in turn: `Auto` binds with `mount(2)`
/// for ENOSYS and EPERM and returns the error for any other; `New` never falls back.
fn bind_tree_falls_back_to_mount_only_when_open_tree_is_refused() -> TestResult {
    for (errno, raw, falls_back) in [
        ("ENOSYS", libc::ENOSYS, true),
        ("EPERM", libc::EPERM, true),
        ("EINVAL", libc::EINVAL, false),
    ] {
        let inject = format!("inject=open_tree:error={errno}");
        let out = test_support::strace_scenario(
            &[
                "-qq",
                "-o",
                "/dev/null",
                "-e",
                "trace=open_tree",
                "-e",
                &inject,
            ],
            "bind_tree_with_each_api_and_report",
        )?
        .output()
        .map_err(failed)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let refused = format!("err variant=CloneTree errno={raw}");
        let auto = if falls_back {
            "BIND auto ok new_mount=true".to_string()
        } else {
            format!("BIND auto {refused}")
        };
        ensure!(
            stdout.contains(&auto),
            "open_tree failing with {errno}: want {auto:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ensure!(
            stdout.contains(&format!("BIND new {refused}")),
            "open_tree failing with {errno}: New must not fall back: {stdout}"
        );
    }
    Ok(())
}

/// `dir` bound at `view`: the same file through two mounts. `Identity` says so (same
/// file, not the same mount, not the same), says which is a mount root, finds the view's
/// mount in mountinfo, and reads the same by path as by descriptor.
fn identity_tells_a_bind_mount_from_the_directory_it_binds() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let scratch = TmpfsDir::new()?;
    let dir = scratch.mkdir("dir")?;
    let view = scratch.mkdir("view")?;
    let view_before = Identity::of_path(&view)?;
    sandbox_mount::bind(&dir, &view)?;
    let (d, v) = (
        Identity::of(open_dir(&dir)?)?,
        Identity::of(open_dir(&view)?)?,
    );
    ensure!(d.same_file(&v), "the same directory");
    ensure!(
        !v.same_file(&view_before),
        "the bind covers the directory that was at the path"
    );
    let Some(same_mount) = d.same_mount(&v) else {
        test_support::skip!("statx gives no mount id (Linux before 5.8)");
    };
    ensure!(!same_mount, "two mounts");
    ensure!(
        !d.is_same(&v),
        "the same file on another mount is not the same"
    );
    ensure!(v.is_same(&Identity::of_path(&view)?), "by path as by fd");
    ensure_eq!(v.is_mount_root(), Some(true));
    ensure_eq!(d.is_mount_root(), Some(false));
    let mounts = mountinfo::read_self()?;
    let m = mount_at(&mounts, &view).ok_or_else(|| failed("no mount at view"))?;
    ensure!(v.is_on(m), "the view is on the mount at {}", view.display());
    ensure!(!d.is_on(m), "the directory is not");
    ensure_eq!(v.mount_id(), Some(u64::from(m.mount_id)));
    ensure_eq!(v.device(), (m.major, m.minor));
    ensure_eq!(
        v.inode(),
        std::fs::metadata(&dir).map_err(failed)?.ino(),
        "st_ino"
    );
    Ok(())
}

fn visible_mounts_are_mountinfos_mounts_with_their_attributes() -> TestResult {
    if let Err(Error::RootMountId { errno }) = sandbox_mount::root_mount_id() {
        test_support::skip!("statx gives no unique mount id: Linux 6.8 has it ({errno})");
    }
    own_mount_ns(UnshareFlags::empty())?;
    let dir = temp_dir()?;
    let target = dir.path().join("with space");
    std::fs::create_dir(&target).map_err(failed)?;
    sandbox_mount::mount_tmpfs(&target, Some(1 << 20))?;
    let _guard = DetachOnDrop(target.clone());
    sandbox_mount::remount_read_only(&target)?;

    let listed = sandbox_mount::visible_mounts()?;
    let info = mountinfo::read_self()?;
    let root = open_dir("/")?;
    ensure_eq!(
        u64::from(listed[0].mountinfo_id),
        mount_id(&root)?,
        "the root's mount comes first"
    );
    // Every mount mountinfo shows from this root, and no other, with the same place and
    // attributes (mountinfo shows what is reachable from the root, as listmount does).
    let mut listed_ids: Vec<u32> = listed.iter().map(|m| m.mountinfo_id).collect();
    let mut info_ids: Vec<u32> = info.iter().map(|m| m.mount_id).collect();
    listed_ids.sort_unstable();
    info_ids.sort_unstable();
    ensure_eq!(listed_ids, info_ids, "the same mounts as mountinfo");
    for m in &listed {
        let i = info
            .iter()
            .find(|i| i.mount_id == m.mountinfo_id)
            .ok_or_else(|| failed(format!("{m:?} is not in mountinfo")))?;
        ensure_eq!(&m.mount_point, &i.mount_point, "{m:?}");
        ensure_eq!(&m.root, &i.root, "{m:?}");
        ensure_eq!(&m.fs_type, &i.fs_type, "{m:?}");
        ensure_eq!(m.is_read_only(), i.is_read_only(), "{m:?}");
        ensure_eq!(
            m.attributes.contains(MountAttr::NODEV),
            i.mount_options.iter().any(|o| o == "nodev"),
            "{m:?}"
        );
    }
    let tmpfs = listed
        .iter()
        .find(|m| m.mount_point == target)
        .ok_or_else(|| failed(format!("no mount at {} in {listed:#?}", target.display())))?;
    ensure_eq!(tmpfs.fs_type, "tmpfs");
    ensure_eq!(tmpfs.magic, 0x0102_1994, "TMPFS_MAGIC");
    ensure!(
        tmpfs
            .attributes
            .contains(MountAttr::RDONLY | MountAttr::NOSUID | MountAttr::NODEV),
        "attributes {}",
        tmpfs.attributes
    );
    ensure!(
        !tmpfs.read_only_super,
        "the mount is read-only, not the tmpfs"
    );
    ensure_eq!(
        u64::from(tmpfs.mountinfo_id),
        mount_id(open_dir(&target)?)?,
        "statx agrees on the mount id"
    );
    let parent = sandbox_mount::stat_mount(tmpfs.parent_id)?;
    ensure_eq!(
        u64::from(parent.mountinfo_id),
        mount_id(open_dir(dir.path())?)?,
        "the parent is the mount holding the temp dir"
    );
    match sandbox_mount::stat_mount(u64::MAX - 1) {
        Err(Error::StatMount { errno, .. }) => ensure_eq!(errno, Errno::NOENT, "no such mount"),
        other => fail!("statmount of no mount: {other:?}"),
    }
    Ok(())
}

/// `variant=<the error's variant> errno=<its errno, 0 for none>`, for a scenario that
/// reports an error to the one that runs it under strace.
fn variant_and_errno(e: &Error) -> String {
    let debug = format!("{e:?}");
    let variant = debug.split([' ', '{', '(']).next().unwrap_or("");
    format!(
        "variant={variant} errno={}",
        e.errno().map_or(0, |e| e.raw_os_error())
    )
}
