//! Whole trees of mounts from descriptors: copying one (`open_tree`), attaching it
//! (`move_mount`), and binding a tree with the fallback to `mount(2)` ([`bind_tree`]).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{Mode, OFlags, CWD};
use rustix::io::Errno;
use rustix::mount::{MoveMountFlags, OpenTreeFlags};

use crate::mountinfo::{self, MountInfo};
use crate::{fd_path, open_beneath, shown_path, Error, Identity, MountApi};

/// Makes a detached copy of the mount at the directory `dir` refers to (a bind mount
/// whose root is that directory), without the mounts below it: `open_tree(dir, "",
/// OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_EMPTY_PATH)`. For the mounts below too, see
/// [`clone_tree_recursive`].
///
/// The copy is in no mount tree until [`attach_tree`] puts it somewhere; closing the fd
/// before that drops it. Working from fds avoids resolving a path twice.
///
/// Needs Linux 5.2 and `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount
/// namespace. `dir` must be a mount of the caller's mount namespace: an fd opened
/// **before** `unshare(CLONE_NEWNS)` refers to a mount of the old namespace and gives
/// `EINVAL`; open it again after unsharing (or `fchdir` to it before, and open `"."`
/// after: unshare carries the cwd into the new namespace). In a user namespace, a copy
/// without the submounts of a tree whose submounts are locked is `EINVAL`.
///
/// # Errors
///
/// [`Error::CloneTree`]: `EINVAL` for an fd from another mount namespace or an unbindable
/// mount, `EPERM` without the capability, `ENOSYS` before Linux 5.2.
#[doc(alias = "open_tree", alias = "OPEN_TREE_CLONE")]
pub fn clone_tree(dir: impl AsFd) -> Result<OwnedFd, Error> {
    open_tree_clone(dir.as_fd(), OpenTreeFlags::empty())
}

/// Makes a detached copy of the mount at the directory `dir` refers to and of every mount
/// below it: `open_tree(dir, "",
/// OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_EMPTY_PATH|AT_RECURSIVE)`.
///
/// As [`clone_tree`] otherwise; [`bind_tree`] puts the two steps together.
///
/// # Errors
///
/// As [`clone_tree`].
#[doc(alias = "open_tree", alias = "OPEN_TREE_CLONE", alias = "AT_RECURSIVE")]
pub fn clone_tree_recursive(dir: impl AsFd) -> Result<OwnedFd, Error> {
    open_tree_clone(dir.as_fd(), OpenTreeFlags::AT_RECURSIVE)
}

fn open_tree_clone(dir: BorrowedFd<'_>, extra: OpenTreeFlags) -> Result<OwnedFd, Error> {
    let flags = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_EMPTY_PATH
        | extra;
    rustix::mount::open_tree(dir, "", flags).map_err(|errno| Error::CloneTree { errno })
}

/// Attaches the detached mount tree `tree` (from [`clone_tree`]) onto the directory
/// `target` refers to: `move_mount(tree, "", target, "",
/// MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_T_EMPTY_PATH)`.
///
/// Afterwards `tree` refers to the root of the attached mount: that is the fd to `fchdir`
/// into. An fd opened on the target before the call still refers to the directory the
/// new mount now covers.
///
/// This changes the **caller's mount namespace**; call it in a private one. If the mount
/// at `target` is shared, the new mount propagates to its peers and becomes shared too.
///
/// Needs Linux 5.2 and `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount
/// namespace; `target` must be in the caller's mount namespace (see [`clone_tree`]).
///
/// # Errors
///
/// [`Error::AttachTree`]: `EINVAL` when `tree` is not a detached tree or `target` is in
/// another mount namespace, `EPERM` without the capability, `ENOSYS` before Linux 5.2.
#[doc(alias = "move_mount")]
pub fn attach_tree(tree: impl AsFd, target: impl AsFd) -> Result<(), Error> {
    rustix::mount::move_mount(
        tree.as_fd(),
        "",
        target.as_fd(),
        "",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
    .map_err(|errno| Error::AttachTree { errno })
}

/// Binds the directory `source` refers to, with every mount below it, onto the directory
/// `target` refers to, and returns an `O_PATH` descriptor on the root of the new mount:
/// the one to `fchdir` into, to make read-only ([`make_read_only_recursive`]) or to
/// pivot into. `source` and `target` may be the same descriptor: that makes a directory a
/// mount point of its own, with its submounts, which `pivot_root(2)` needs.
///
/// - New API: [`clone_tree_recursive`] and [`attach_tree`] (`open_tree` with
///   `OPEN_TREE_CLONE|AT_RECURSIVE`, then `move_mount`); the clone's descriptor is the new
///   mount's root. Nothing is resolved by path. Needs Linux 5.2.
/// - Legacy: `mount("/proc/self/fd/S", "/proc/self/fd/T", NULL, MS_BIND|MS_REC, NULL)`.
///   Reaching the new mount then takes one lookup of the target's path (as its
///   `/proc/self/fd` link names it), with `O_NOFOLLOW`, and the result is checked to be
///   the directory bound (same device and inode as `source`) on another mount than
///   `target`'s and `source`'s (by mount id, from Linux 5.8): otherwise something moved
///   the path in between, [`Error::BoundTreeMoved`]. A path longer than 4095 bytes,
///   which no `/proc/self/fd` link names, is taken from mountinfo instead (the mount
///   that is there after the bind and was not before) and walked from `/` one component
///   at a time, also with `O_NOFOLLOW`. Works on any kernel; needs a procfs of the
///   caller's mount namespace on `/proc`, and search permission on every directory of
///   the target's path.
///
/// [`MountApi::Auto`] takes the legacy path only when `open_tree` fails with `ENOSYS` (a
/// kernel before 5.2) or `EPERM` (a seccomp profile; a real permission problem then
/// fails again, in `mount(2)`, and that error is returned). [`MountApi::New`] never falls
/// back; [`MountApi::Legacy`] only uses `mount(2)`.
///
/// This changes the **caller's mount namespace**; call it in a private one. Both
/// descriptors must be on mounts of that namespace: an fd opened before
/// `unshare(CLONE_NEWNS)` is not (open it again after, or `fchdir` to it before and open
/// `"."` after). If the mount at `target` is shared, the new mount propagates to its
/// peers.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// [`make_read_only_recursive`]: crate::make_read_only_recursive
///
/// # Errors
///
/// - New API: [`Error::CloneTree`] (`EINVAL`: an fd from another mount namespace or an
///   unbindable mount; `ENOSYS`, `EPERM` with [`MountApi::New`]), [`Error::AttachTree`].
/// - Legacy: [`Error::Bind`] naming both directories (`EPERM` without the capability,
///   `EINVAL` for an unbindable source); [`Error::OpenBoundTree`] when the new mount
///   cannot be reached by its path (`EACCES`: a directory on the way the caller may not
///   search); [`Error::BoundTreeMoved`] when the path leads elsewhere; for a path past
///   4095 bytes also [`Error::ReadMountinfo`] and [`Error::ParseMountinfo`].
#[doc(
    alias = "open_tree",
    alias = "move_mount",
    alias = "MS_BIND",
    alias = "MS_REC"
)]
#[doc(alias = "rbind", alias = "AT_RECURSIVE")]
pub fn bind_tree(source: impl AsFd, target: impl AsFd, api: MountApi) -> Result<OwnedFd, Error> {
    let (source, target) = (source.as_fd(), target.as_fd());
    if api != MountApi::Legacy {
        match clone_tree_recursive(source) {
            Ok(tree) => {
                attach_tree(&tree, target)?;
                // After move_mount the tree fd is the root of the attached mount.
                return Ok(tree);
            }
            Err(e)
                if api == MountApi::New
                    || !matches!(e.errno(), Some(Errno::NOSYS | Errno::PERM)) =>
            {
                return Err(e)
            }
            Err(_) => {}
        }
    }
    legacy_bind_tree(source, target)
}

/// `mount(2)` with `MS_BIND|MS_REC` through the `/proc/self/fd` links, then the one lookup
/// by path that reaches the new mount, checked.
///
/// The path is the one the target's `/proc/self/fd` link names. The kernel names none
/// past 4095 bytes (`readlink` is `ENAMETOOLONG`): then the new mount is the one that
/// mountinfo lists after the bind and not before, reached from `/` one component at a
/// time.
fn legacy_bind_tree(source: BorrowedFd<'_>, target: BorrowedFd<'_>) -> Result<OwnedFd, Error> {
    let too_long = matches!(
        rustix::fs::readlinkat(CWD, fd_path(target), Vec::new()),
        Err(Errno::NAMETOOLONG)
    );
    let before = match too_long {
        true => Some(mount_ids(&mountinfo::read_self()?)),
        false => None,
    };
    rustix::mount::mount_bind_recursive(fd_path(source), fd_path(target)).map_err(|errno| {
        Error::Bind {
            source_path: shown_path(source),
            target: shown_path(target),
            recursive: true,
            errno,
        }
    })?;
    let (shown, top) = match before {
        None => open_by_link(target)?,
        Some(before) => open_new_mount(&before)?,
    };
    let unreachable = |errno| Error::OpenBoundTree {
        target: shown.clone(),
        errno,
    };
    let bound = Identity::of(source).map_err(unreachable)?;
    let covered = Identity::of(target).map_err(unreachable)?;
    let reached = Identity::of(&top).map_err(unreachable)?;
    // Before Linux 5.8 there are no mount ids: then only device and inode are checked.
    let on_an_old_mount =
        reached.same_mount(&covered) == Some(true) || reached.same_mount(&bound) == Some(true);
    if !reached.same_file(&bound) || on_an_old_mount {
        // Something moved the path between the bind and the lookup.
        return Err(Error::BoundTreeMoved { target: shown });
    }
    Ok(top)
}

/// The path the target's `/proc/self/fd` link names, and the directory at that path
/// (`O_NOFOLLOW`): the top mount there.
fn open_by_link(target: BorrowedFd<'_>) -> Result<(PathBuf, OwnedFd), Error> {
    let path = rustix::fs::readlinkat(CWD, fd_path(target), Vec::new()).map_err(|errno| {
        Error::OpenBoundTree {
            target: fd_path(target),
            errno,
        }
    })?;
    let shown = PathBuf::from(OsStr::from_bytes(path.as_bytes()));
    let top = rustix::fs::openat(
        CWD,
        path.as_c_str(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| Error::OpenBoundTree {
        target: shown.clone(),
        errno,
    })?;
    Ok((shown, top))
}

fn mount_ids(mounts: &[MountInfo]) -> BTreeSet<u32> {
    mounts.iter().map(|m| m.mount_id).collect()
}

/// The mount that appeared since mountinfo listed `before` (the bind's copies of the
/// submounts hang below it), its mount point, and the directory there, reached from `/`
/// one component at a time without following a symlink and checked to be on that mount.
fn open_new_mount(before: &BTreeSet<u32>) -> Result<(PathBuf, OwnedFd), Error> {
    let after = mountinfo::read_self()?;
    let fresh: BTreeSet<u32> = mount_ids(&after).difference(before).copied().collect();
    let tops: Vec<&MountInfo> = after
        .iter()
        .filter(|m| fresh.contains(&m.mount_id) && !fresh.contains(&m.parent_id))
        .collect();
    let [top] = tops[..] else {
        // None, or several: someone else changed the mount table meanwhile.
        let target = tops
            .first()
            .map_or_else(PathBuf::new, |m| m.mount_point.clone());
        return Err(Error::BoundTreeMoved { target });
    };
    let shown = top.mount_point.clone();
    let unreachable = |errno| Error::OpenBoundTree {
        target: shown.clone(),
        errno,
    };
    let root = rustix::fs::openat(
        CWD,
        "/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(unreachable)?;
    let rel = shown
        .strip_prefix("/")
        .map_err(|_| unreachable(Errno::INVAL))?;
    let fd = open_beneath(root.as_fd(), rel).map_err(unreachable)?;
    if !Identity::of(&fd).map_err(unreachable)?.is_on(top) {
        return Err(Error::BoundTreeMoved { target: shown });
    }
    Ok((shown, fd))
}
