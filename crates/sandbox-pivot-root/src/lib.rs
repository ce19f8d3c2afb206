//! Make a directory the root of the calling process: `pivot_root(2)` in a mount namespace
//! of its own, or `chroot(2)` as the fallback.
//!
//! [`pivot_root`] swaps the root mount of the caller's mount namespace for the directory
//! and detaches the old root, so that nothing outside the directory is reachable by any
//! path: not through `..`, not through `/proc/1/root` once a new procfs is mounted.
//! [`chroot`] only changes the caller's idea of `/`, for environments that forbid
//! namespaces. Both take the directory as a file descriptor (`O_PATH` is enough) and
//! detect "it already is the root" ([`Outcome::AlreadyRoot`]), which is not an error.
//!
//! ```no_run
//! use std::fs::File;
//! use sandbox_pivot_root::{pivot_root, Outcome};
//!
//! // In a new mount namespace (after unshare(CLONE_NEWNS)), with "/" made rslave:
//! sandbox_mount::set_propagation_recursive("/", sandbox_mount::Propagation::Slave)?;
//! // Open the directory after unsharing: an fd from before is on the old namespace.
//! let shared = File::open("/srv/shared")?;
//! match pivot_root(&shared)? {
//!     Outcome::Pivoted => { /* "/" is /srv/shared, the old root is gone */ }
//!     Outcome::AlreadyRoot => { /* nothing changed */ }
//!     _ => {}
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::io::Errno;
use rustix::mount::UnmountFlags;
use sandbox_mount::{Identity, MountApi, Propagation};

/// What [`pivot_root`] or [`chroot`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The directory is now the root of the mount namespace and the old root is detached.
    Pivoted,
    /// The directory already was the root (same mount, same inode); nothing was changed.
    AlreadyRoot,
    /// The directory is now the caller's root directory (`chroot`); the mount namespace is
    /// unchanged and the old root is still mounted.
    Chrooted,
}

/// Making a directory the root failed.
///
/// One variant per step. The message reads like a log line and names the errno once
/// (`pivot_root(".", ".") into the new root: Invalid argument (os error 22)`); the errno
/// is a field, not a [`source`](std::error::Error::source). A variant that wraps a
/// [`sandbox_mount::Error`] shows it after its own words and returns it, typed, as the
/// source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `statx(2)` (or `fstat(2)`) of the new root or of the current `/` failed.
    #[error("stat {what}: {errno}")]
    Stat {
        /// Which directory.
        what: StatTarget,
        /// What the kernel said.
        errno: Errno,
    },
    /// Binding the new root onto itself (to make it a mount point) failed.
    #[error("bind the new root onto itself: {0}")]
    Bind(#[source] sandbox_mount::Error),
    /// `fchdir(2)` to the new root failed (`ENOTDIR`: the fd is not a directory).
    #[error("fchdir to the new root: {errno}")]
    Fchdir {
        /// What the kernel said.
        errno: Errno,
    },
    /// `pivot_root(".", ".")` failed: `EINVAL` when a mount involved is shared, when the
    /// root is an initramfs (rootfs), or when the caller's mount namespace does not own
    /// the new root; `EPERM` without `CAP_SYS_ADMIN`.
    #[error("pivot_root(\".\", \".\") into the new root: {errno}")]
    PivotRoot {
        /// What the kernel said.
        errno: Errno,
    },
    /// Making the old root (stacked on the new one after the pivot) a slave failed.
    #[error("make the old root a slave before detaching it: {0}")]
    OldRootSlave(#[source] sandbox_mount::Error),
    /// `umount2(".", MNT_DETACH)` of the old root failed.
    #[error("detach the old root: {errno}")]
    DetachOldRoot {
        /// What the kernel said.
        errno: Errno,
    },
    /// `chdir("/")` after the pivot or chroot failed.
    #[error("chdir to the new /: {errno}")]
    ChdirRoot {
        /// What the kernel said.
        errno: Errno,
    },
    /// `chroot(".")` failed (`EPERM` without `CAP_SYS_CHROOT`).
    #[error("chroot into the new root: {errno}")]
    Chroot {
        /// What the kernel said.
        errno: Errno,
    },
}

impl Error {
    /// The errno the kernel returned, looking into a wrapped [`sandbox_mount::Error`].
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Stat { errno, .. }
            | Error::Fchdir { errno }
            | Error::PivotRoot { errno }
            | Error::DetachOldRoot { errno }
            | Error::ChdirRoot { errno }
            | Error::Chroot { errno } => Some(*errno),
            Error::Bind(e) | Error::OldRootSlave(e) => e.errno(),
        }
    }
}

/// Which directory an [`Error::Stat`] could not examine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatTarget {
    /// The directory given to [`pivot_root`] or [`chroot`].
    NewRoot,
    /// The directory given to [`is_current_root`].
    Directory,
    /// The caller's current `/`.
    CurrentRoot,
}

/// `the new root`, `the directory`, `the current root`.
impl fmt::Display for StatTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatTarget::NewRoot => "the new root",
            StatTarget::Directory => "the directory",
            StatTarget::CurrentRoot => "the current root",
        })
    }
}

/// Makes the directory `new_root` the root of the caller's mount namespace, and the
/// caller's cwd and root directory `/`.
///
/// 1. If `new_root` already is `/` (same device, inode and, where `statx` reports it
///    (Linux 5.8), mount id), returns [`Outcome::AlreadyRoot`] and changes nothing.
/// 2. If `new_root` is not the root of a mount (`STATX_ATTR_MOUNT_ROOT`; when the kernel
///    cannot say, it is assumed not to be), binds it onto itself with its submounts
///    ([`sandbox_mount::bind_tree`] with [`MountApi::New`]: `open_tree` + `move_mount`),
///    and goes on from the new mount.
/// 3. `fchdir` to it; `pivot_root(".", ".")`, which stacks the old root on top of the new
///    one; makes the old root a slave, recursively, so that detaching it does not
///    propagate unmounts to the namespace it came from; `umount2(".", MNT_DETACH)`;
///    `chdir("/")`.
///
/// This changes the **caller's mount namespace**: it must be a mount namespace of the
/// caller's own (`unshare(CLONE_NEWNS)`), never the host's. Every process whose root or
/// cwd was the old root gets the new one. `new_root` must be on a mount of that
/// namespace: an fd opened before `unshare(CLONE_NEWNS)` is not (open it after, or
/// `fchdir` to it before and open `"."` after). The mounts involved must not be shared:
/// make `/` slave or private, recursively, first (see
/// [`sandbox_mount::set_propagation_recursive`]).
/// Nothing is undone when a step fails: a bind made stays in the caller's namespace, and
/// after the `fchdir` the cwd is the new root. A caller that fails here should exit.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace,
/// Linux 5.2 when `new_root` is not a mount point (`open_tree`).
///
/// # Errors
///
/// - [`Error::Stat`] when `new_root` or `/` cannot be examined.
/// - [`Error::Bind`] when the bind fails (`EINVAL`: an fd from another mount namespace).
/// - [`Error::Fchdir`] (`ENOTDIR`: not a directory).
/// - [`Error::PivotRoot`]: `EINVAL` when a mount involved is shared, when the root is an
///   initramfs (the rootfs cannot be pivoted away: use [`chroot`], or boot with a real
///   root), or when the fd is on another namespace's mount; `EPERM` without the
///   capability.
/// - [`Error::OldRootSlave`], [`Error::DetachOldRoot`], [`Error::ChdirRoot`] for the
///   steps after the pivot; the new root is then in place, the old one still stacked.
pub fn pivot_root(new_root: impl AsFd) -> Result<Outcome, Error> {
    let new_root = new_root.as_fd();
    let target = identify(Some(new_root), StatTarget::NewRoot)?;
    if target.is_same(&identify(None, StatTarget::CurrentRoot)?) {
        return Ok(Outcome::AlreadyRoot);
    }
    let tree;
    let root = if target.is_mount_root() == Some(true) {
        new_root
    } else {
        tree = sandbox_mount::bind_tree(new_root, new_root, MountApi::New).map_err(Error::Bind)?;
        tree.as_fd()
    };
    rustix::process::fchdir(root).map_err(|errno| Error::Fchdir { errno })?;
    rustix::process::pivot_root(".", ".").map_err(|errno| Error::PivotRoot { errno })?;
    // The old root is now stacked on "." (the new root); "." resolves to it.
    sandbox_mount::set_propagation_recursive(".", Propagation::Slave)
        .map_err(Error::OldRootSlave)?;
    rustix::mount::unmount(".", UnmountFlags::DETACH)
        .map_err(|errno| Error::DetachOldRoot { errno })?;
    rustix::process::chdir("/").map_err(|errno| Error::ChdirRoot { errno })?;
    Ok(Outcome::Pivoted)
}

/// Makes the directory `new_root` the caller's root directory without a mount namespace:
/// `fchdir(new_root)`, `chroot(".")`, `chdir("/")`. Returns [`Outcome::AlreadyRoot`]
/// (changing nothing) when it already is `/`, else [`Outcome::Chrooted`].
///
/// The fallback for environments that forbid namespaces. It is much weaker than
/// [`pivot_root`]:
///
/// - File descriptors open on anything outside stay usable, and `openat` through them
///   reaches the whole file system: close them (or open them `O_CLOEXEC` and exec)
///   first.
/// - A process with `CAP_SYS_CHROOT` (root) can escape a chroot (chroot into a
///   subdirectory, then walk `..` up); drop privileges right after.
/// - The mounts are still the host's: the old root is mounted, visible through
///   `/proc/<pid>/root` of processes outside, and mounts made inside are the host's.
/// - Only the calling process gets the new root; other processes keep theirs.
///
/// Needs `CAP_SYS_CHROOT` in the caller's user namespace.
///
/// # Errors
///
/// [`Error::Stat`] when `new_root` or `/` cannot be examined; [`Error::Fchdir`]
/// (`ENOTDIR`); [`Error::Chroot`] (`EPERM` without the capability); [`Error::ChdirRoot`].
pub fn chroot(new_root: impl AsFd) -> Result<Outcome, Error> {
    let new_root = new_root.as_fd();
    let target = identify(Some(new_root), StatTarget::NewRoot)?;
    if target.is_same(&identify(None, StatTarget::CurrentRoot)?) {
        return Ok(Outcome::AlreadyRoot);
    }
    rustix::process::fchdir(new_root).map_err(|errno| Error::Fchdir { errno })?;
    rustix::process::chroot(".").map_err(|errno| Error::Chroot { errno })?;
    rustix::process::chdir("/").map_err(|errno| Error::ChdirRoot { errno })?;
    Ok(Outcome::Chrooted)
}

/// Whether the directory `dir` is the caller's `/`: the same device and inode and, when
/// `statx` reports mount ids (Linux 5.8), the same mount. A bind mount of `/` elsewhere
/// has the same inode but another mount, so it is not the root.
///
/// # Errors
///
/// [`Error::Stat`] when `dir` or `/` cannot be examined.
pub fn is_current_root(dir: impl AsFd) -> Result<bool, Error> {
    let dir = identify(Some(dir.as_fd()), StatTarget::Directory)?;
    Ok(dir.is_same(&identify(None, StatTarget::CurrentRoot)?))
}

/// The identity of `fd`, or of `/` for `None`.
fn identify(fd: Option<BorrowedFd<'_>>, what: StatTarget) -> Result<Identity, Error> {
    match fd {
        Some(fd) => Identity::of(fd),
        None => Identity::of_path("/"),
    }
    .map_err(|errno| Error::Stat { what, errno })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_current_root() {
        let root = std::fs::File::open("/").unwrap();
        assert!(is_current_root(&root).unwrap());
        let me = identify(Some(root.as_fd()), StatTarget::NewRoot).unwrap();
        assert!(me.is_same(&identify(None, StatTarget::CurrentRoot).unwrap()));
        let tmp = std::fs::File::open(std::env::temp_dir()).unwrap();
        assert_eq!(
            is_current_root(&tmp).unwrap(),
            std::env::temp_dir() == std::path::Path::new("/")
        );
    }

    #[test]
    fn errors_read_like_log_lines_and_give_the_errno() {
        use std::error::Error as _;
        let e = Error::PivotRoot {
            errno: Errno::INVAL,
        };
        assert_eq!(
            e.to_string(),
            "pivot_root(\".\", \".\") into the new root: Invalid argument (os error 22)"
        );
        assert_eq!(e.errno(), Some(Errno::INVAL));
        assert!(
            e.source().is_none(),
            "the errno is in the message, not a source"
        );
        let e = Error::Bind(sandbox_mount::Error::CloneTree {
            errno: Errno::INVAL,
        });
        assert_eq!(e.errno(), Some(Errno::INVAL));
        assert_eq!(
            e.to_string(),
            "bind the new root onto itself: clone the mount tree at a directory fd \
             (open_tree): Invalid argument (os error 22)"
        );
        let inner = e
            .source()
            .and_then(|s| s.downcast_ref::<sandbox_mount::Error>());
        assert!(
            matches!(inner, Some(sandbox_mount::Error::CloneTree { .. })),
            "the mount error, typed, is the source"
        );
        let e = Error::Stat {
            what: StatTarget::NewRoot,
            errno: Errno::BADF,
        };
        assert_eq!(
            e.to_string(),
            "stat the new root: Bad file descriptor (os error 9)"
        );
        assert_eq!(StatTarget::CurrentRoot.to_string(), "the current root");
        assert_eq!(StatTarget::Directory.to_string(), "the directory");
    }
}
