//! Typed mount operations for a process that confines itself.
//!
//! Each function is one `mount(2)`-family system call with its flags spelled out, and a
//! `_recursive` twin where the kernel has `MS_REC` or `AT_RECURSIVE`: propagation
//! ([`set_propagation`], [`set_propagation_recursive`]), bind mounts ([`bind`],
//! [`bind_recursive`]), a fresh procfs ([`mount_proc`]), a tmpfs ([`mount_tmpfs`]), a
//! read-only remount that keeps the flags a user namespace locks ([`remount_read_only`]),
//! [`unmount`], and the file-descriptor based mount API of Linux 5.2 ([`clone_tree`],
//! [`clone_tree_recursive`], [`attach_tree`]). [`bind_tree`] binds a whole tree from
//! descriptors, with the new API or `mount(2)`. [`set_attributes_recursive`] and
//! [`make_read_only_recursive`] change the attributes (read-only, nosuid, ...) of a mount
//! and every mount below it. [`Identity`] says whether two descriptors are the same
//! directory, and on the same mount. [`mountinfo`] parses what the kernel says is
//! mounted; [`visible_mounts`] asks the kernel directly (`listmount(2)` and
//! `statmount(2)`, Linux 6.8), without `/proc`.
//!
//! # Which kernel each path needs
//!
//! | operation | new mount API | legacy path ([`MountApi::Legacy`]) |
//! |---|---|---|
//! | bind a directory with its submounts ([`bind_tree`]) | `open_tree` + `move_mount` ([`clone_tree_recursive`], [`attach_tree`]): Linux 5.2 | `mount(2)`, `MS_BIND\|MS_REC` ([`bind_recursive`]): any kernel |
//! | attributes of a whole tree ([`set_attributes_recursive`]) | `mount_setattr(2)`, `AT_RECURSIVE`: Linux 5.12, one atomic call | a walk of mountinfo, one `mount(2)` remount per mount: any kernel (mount ids checked from 5.8, devices before) |
//!
//! [`MountApi::Auto`], the default, takes the new API and falls back to the legacy path
//! where the kernel (`ENOSYS`) or a seccomp profile (`EPERM`) refuses it. Both paths reach
//! their targets through descriptors (the new API's, or `/proc/self/fd/N` for
//! `mount(2)`), and the legacy walk opens submounts one component at a time with
//! `O_NOFOLLOW`: no path a process could swap for a symlink is resolved twice.
//!
//! Every function that changes the mount table changes the **caller's mount namespace**.
//! Call them in a mount namespace of your own (`unshare(CLONE_NEWNS)`, see the
//! `sandbox-namespaces` crate), never in the host's: there a mount is seen by the whole
//! system, and with shared propagation it spreads to other namespaces.
//!
//! Errors are one [`Error`] enum whose variants name the operation, its arguments and the
//! errno, once: `mount proc on /proc: Operation not permitted (os error 1)`.
//!
//! ```no_run
//! use sandbox_mount::{bind_recursive, mount_proc, remount_read_only, Propagation};
//!
//! // In a new mount namespace (after unshare(CLONE_NEWNS)):
//! // stop mounts from spreading back to the host, but keep receiving its new mounts.
//! sandbox_mount::set_propagation_recursive("/", Propagation::Slave)?;
//! // A procfs for the new pid namespace.
//! mount_proc("/proc")?;
//! // The shared directory as a mount point of its own, read-only.
//! bind_recursive("/srv/shared", "/srv/shared")?;
//! remount_read_only("/srv/shared")?;
//! // Or, from descriptors: the directory bound onto itself with its submounts (new API,
//! // or mount(2) where it is refused), then made read-only with every mount below it.
//! let dir = std::fs::File::open("/srv/other")?;
//! let tree = sandbox_mount::bind_tree(&dir, &dir, sandbox_mount::MountApi::Auto)?;
//! sandbox_mount::make_read_only_recursive(&tree, sandbox_mount::MountApi::Auto)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)]

use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, StatVfsMountFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags};

mod attr;
mod error;
mod identity;
mod listing;
pub mod mountinfo;
#[allow(unsafe_code)]
mod sys;
mod tree;

pub use attr::{
    make_read_only, make_read_only_recursive, set_attributes, set_attributes_recursive, MountApi,
    MountAttr,
};
pub use error::Error;
pub use identity::Identity;
pub use listing::{root_mount_id, stat_mount, visible_mounts, MountStatus};
/// The flags of [`unmount`] (`umount2(2)`): `DETACH` (`MNT_DETACH`), `FORCE`, `EXPIRE`,
/// `NOFOLLOW` (`UMOUNT_NOFOLLOW`); rustix's type.
pub use rustix::mount::UnmountFlags;
pub use tree::{attach_tree, bind_tree, clone_tree, clone_tree_recursive};

/// How mount and unmount events propagate between a mount and its copies in other mount
/// namespaces (see `mount_namespaces(7)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Events neither reach this mount nor leave it (`MS_PRIVATE`).
    #[doc(alias = "MS_PRIVATE")]
    Private,
    /// Events of its master peer group reach this mount; its own do not go back
    /// (`MS_SLAVE`). What a sandbox wants for `/`: the host's new mounts may appear, the
    /// sandbox's never leak out.
    #[doc(alias = "MS_SLAVE")]
    Slave,
    /// Events go both ways within its peer group (`MS_SHARED`).
    #[doc(alias = "MS_SHARED")]
    Shared,
    /// Private, and it cannot be the source of a bind mount (`MS_UNBINDABLE`).
    #[doc(alias = "MS_UNBINDABLE")]
    Unbindable,
}

impl Propagation {
    fn flags(self) -> MountPropagationFlags {
        match self {
            Propagation::Private => MountPropagationFlags::PRIVATE,
            Propagation::Slave => MountPropagationFlags::DOWNSTREAM,
            Propagation::Shared => MountPropagationFlags::SHARED,
            Propagation::Unbindable => MountPropagationFlags::UNBINDABLE,
        }
    }
}

/// `private`, `slave`, `shared`, `unbindable`: the names `mount(8)` and mountinfo use.
impl fmt::Display for Propagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Propagation::Private => "private",
            Propagation::Slave => "slave",
            Propagation::Shared => "shared",
            Propagation::Unbindable => "unbindable",
        })
    }
}

/// Changes the propagation type of the mount at `target`: `mount(NULL, target, NULL,
/// MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE, NULL)`. The mounts below it keep theirs;
/// for the whole tree see [`set_propagation_recursive`].
///
/// This changes the **caller's mount namespace**; call it in a private one. `target`
/// must be a mount point (the root of a mount).
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// [`Error::Propagation`]: `EINVAL` when `target` is not a mount point or is not in the
/// caller's mount namespace, `EPERM` without the capability, `ENOENT` for a missing path.
#[doc(
    alias = "mount",
    alias = "MS_PRIVATE",
    alias = "MS_SLAVE",
    alias = "MS_SHARED"
)]
pub fn set_propagation(target: impl AsRef<Path>, propagation: Propagation) -> Result<(), Error> {
    change_propagation(target.as_ref(), propagation, false)
}

/// Changes the propagation type of the mount at `target` and of every mount below it:
/// `mount(NULL, target, NULL, MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE | MS_REC,
/// NULL)`, as `mount --make-rslave` does. What a sandbox does to `/` first.
///
/// This changes the **caller's mount namespace**; call it in a private one. `target`
/// must be a mount point (the root of a mount).
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// As [`set_propagation`].
#[doc(
    alias = "MS_REC",
    alias = "mount",
    alias = "make-rslave",
    alias = "make-rprivate"
)]
pub fn set_propagation_recursive(
    target: impl AsRef<Path>,
    propagation: Propagation,
) -> Result<(), Error> {
    change_propagation(target.as_ref(), propagation, true)
}

fn change_propagation(
    target: &Path,
    propagation: Propagation,
    recursive: bool,
) -> Result<(), Error> {
    let mut flags = propagation.flags();
    if recursive {
        flags |= MountPropagationFlags::REC;
    }
    rustix::mount::mount_change(target, flags).map_err(|errno| Error::Propagation {
        target: target.to_path_buf(),
        propagation,
        recursive,
        errno,
    })
}

/// Bind-mounts `source` on `target`, so that the same directory (or file) is reachable at
/// both: `mount(source, target, NULL, MS_BIND, NULL)`. Only the file system of `source`
/// comes along: the mounts below `source` are not visible at `target` (for them see
/// [`bind_recursive`]).
///
/// `source == target` makes a directory a mount point of its own, which `pivot_root(2)`
/// and [`remount_read_only`] need.
///
/// This changes the **caller's mount namespace**; call it in a private one. In a user
/// namespace, a non-recursive bind of a tree whose submounts are locked (inherited from a
/// more privileged namespace) fails with `EINVAL`: use [`bind_recursive`].
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// [`Error::Bind`]: `ENOENT` when either path is missing, `ENOTDIR` when a directory is
/// bound onto a file (or the reverse), `EINVAL` for an unbindable source or (in a user
/// namespace) locked submounts, `EPERM` without the capability.
#[doc(alias = "MS_BIND", alias = "mount", alias = "mount_bind")]
pub fn bind(source: impl AsRef<Path>, target: impl AsRef<Path>) -> Result<(), Error> {
    bind_paths(source.as_ref(), target.as_ref(), false)
}

/// Bind-mounts `source` on `target` with the mounts below `source`: `mount(source, target,
/// NULL, MS_BIND|MS_REC, NULL)`, as `mount --rbind` does.
///
/// This changes the **caller's mount namespace**; call it in a private one. To bind
/// from descriptors, without resolving a path twice, see [`bind_tree`].
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// [`Error::Bind`]: `ENOENT` when either path is missing, `ENOTDIR` when a directory is
/// bound onto a file (or the reverse), `EINVAL` for an unbindable source, `EPERM`
/// without the capability.
#[doc(alias = "MS_BIND", alias = "MS_REC", alias = "mount", alias = "rbind")]
#[doc(alias = "mount_bind_recursive")]
pub fn bind_recursive(source: impl AsRef<Path>, target: impl AsRef<Path>) -> Result<(), Error> {
    bind_paths(source.as_ref(), target.as_ref(), true)
}

fn bind_paths(source: &Path, target: &Path, recursive: bool) -> Result<(), Error> {
    let result = if recursive {
        rustix::mount::mount_bind_recursive(source, target)
    } else {
        rustix::mount::mount_bind(source, target)
    };
    result.map_err(|errno| Error::Bind {
        source_path: source.to_path_buf(),
        target: target.to_path_buf(),
        recursive,
        errno,
    })
}

/// Mounts a fresh procfs on `target`: `mount("proc", target, "proc",
/// MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)`. It shows the processes of the caller's pid
/// namespace (the one it was created in, not the one its children will be in).
///
/// This changes the **caller's mount namespace**; call it in a private one.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's pid namespace (a pid
/// namespace created after the user namespace) and in the one that owns its mount
/// namespace. In a user namespace the kernel also requires a procfs that is fully visible
/// in the caller's mount namespace: one not covered by other mounts (container runtimes
/// often mask `/proc/kcore`, `/proc/sys`, ...), so mount the new proc before detaching
/// the old root. [`mountinfo::proc_visibility`] names the mounts that cover it.
///
/// # Errors
///
/// [`Error::MountProc`]: `EPERM` without those capabilities or when no procfs is fully
/// visible, `ENOENT` when `target` is missing.
#[doc(alias = "mount")]
pub fn mount_proc(target: impl AsRef<Path>) -> Result<(), Error> {
    let target = target.as_ref();
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    rustix::mount::mount("proc", target, "proc", flags, None).map_err(|errno| Error::MountProc {
        target: target.to_path_buf(),
        errno,
    })
}

/// Mounts a new, empty tmpfs on `target`, `nosuid` and `nodev`, its root directory mode
/// 0755: `mount("tmpfs", target, "tmpfs", MS_NOSUID|MS_NODEV, "mode=0755[,size=<bytes>]")`.
/// `size` limits it in bytes (the kernel rounds up to whole pages); `None` leaves the
/// kernel's default, half of the RAM.
///
/// This changes the **caller's mount namespace**; call it in a private one.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// [`Error::MountTmpfs`]: `EPERM` without the capability, `ENOENT` when `target` is
/// missing, `EINVAL` for a size the kernel refuses.
#[doc(alias = "mount")]
pub fn mount_tmpfs(target: impl AsRef<Path>, size: Option<u64>) -> Result<(), Error> {
    let target = target.as_ref();
    let data = match size {
        Some(bytes) => format!("mode=0755,size={bytes}"),
        None => "mode=0755".to_string(),
    };
    // The text is built from digits and ASCII letters only, so it has no NUL byte.
    let data = CString::new(data).unwrap_or_default();
    let flags = MountFlags::NOSUID | MountFlags::NODEV;
    rustix::mount::mount("tmpfs", target, "tmpfs", flags, data.as_c_str()).map_err(|errno| {
        Error::MountTmpfs {
            target: target.to_path_buf(),
            size,
            errno,
        }
    })
}

/// Makes the mount at `target` read-only: `mount(NULL, target, NULL,
/// MS_REMOUNT|MS_BIND|MS_RDONLY|<kept>, NULL)`, where `<kept>` are the flags `statvfs(target)`
/// reports among `nosuid`, `nodev`, `noexec`, `nosymfollow` and the atime flags
/// (`noatime`, `nodiratime`, `relatime`; a `strictatime` mount has none of them and the
/// kernel keeps its atime mode).
///
/// A bind remount replaces the mount's flags with those given. In a user namespace the
/// kernel locks the flags of mounts inherited from a more privileged namespace, and a
/// remount that would clear one fails with `EPERM`; passing them back is what makes this
/// work there. Only this mount becomes read-only, not the mounts below it, and not the
/// file system elsewhere: for a whole tree see [`make_read_only`].
///
/// This changes the **caller's mount namespace**; call it in a private one. `target` must
/// be a mount point: [`bind`] a directory onto itself first.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// [`Error::Statvfs`] when `target` cannot be examined (`ENOENT`, `EACCES`);
/// [`Error::RemountReadOnly`]: `EINVAL` when `target` is not a mount point, `EPERM`
/// without the capability.
#[doc(alias = "MS_RDONLY", alias = "MS_REMOUNT", alias = "mount")]
pub fn remount_read_only(target: impl AsRef<Path>) -> Result<(), Error> {
    let target = target.as_ref();
    let current = rustix::fs::statvfs(target)
        .map_err(|errno| Error::Statvfs {
            target: target.to_path_buf(),
            errno,
        })?
        .f_flag;
    let flags = MountFlags::BIND | MountFlags::RDONLY | kept_flags(current);
    rustix::mount::mount_remount(target, flags, "").map_err(|errno| Error::RemountReadOnly {
        target: target.to_path_buf(),
        errno,
    })
}

/// The `MS_*` flags for the `ST_*` flags a bind remount must pass back to keep them.
///
/// The atime mode is one of three, and `statvfs` names two (`ST_NOATIME`,
/// `ST_RELATIME`): neither is strictatime, passed back as `MS_STRICTATIME`. A remount
/// that passes no atime flag keeps the mount's mode, but one that passes any (here
/// `MS_NODIRATIME`) gets relatime unless it says otherwise; in a user namespace that
/// locked the mode, that change is `EPERM`.
fn kept_flags(current: StatVfsMountFlags) -> MountFlags {
    // ST_NOSYMFOLLOW (Linux 5.10) has no name in rustix's StatVfsMountFlags.
    const ST_NOSYMFOLLOW: u64 = 0x2000;
    let pairs = [
        (StatVfsMountFlags::NOSUID, MountFlags::NOSUID),
        (StatVfsMountFlags::NODEV, MountFlags::NODEV),
        (StatVfsMountFlags::NOEXEC, MountFlags::NOEXEC),
        (StatVfsMountFlags::NOATIME, MountFlags::NOATIME),
        (StatVfsMountFlags::NODIRATIME, MountFlags::NODIRATIME),
        (StatVfsMountFlags::RELATIME, MountFlags::RELATIME),
        (
            StatVfsMountFlags::from_bits_retain(ST_NOSYMFOLLOW),
            MountFlags::NOSYMFOLLOW,
        ),
    ];
    let kept = pairs
        .into_iter()
        .filter(|(st, _)| current.contains(*st))
        .fold(MountFlags::empty(), |acc, (_, ms)| acc | ms);
    if current.intersects(StatVfsMountFlags::NOATIME | StatVfsMountFlags::RELATIME) {
        kept
    } else {
        kept | MountFlags::STRICTATIME
    }
}

/// `/proc/self/fd/N`: the path through which `mount(2)` reaches what a descriptor refers
/// to, without resolving any name a process could swap.
pub(crate) fn fd_path(fd: impl AsFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

/// The path a descriptor's `/proc/self/fd` link names, for messages (the link itself
/// when it cannot be read).
pub(crate) fn shown_path(fd: impl AsFd) -> PathBuf {
    let link = fd_path(fd);
    std::fs::read_link(&link).unwrap_or(link)
}

/// Opens `rel` below `dir`, one component at a time, never following a symlink.
pub(crate) fn open_beneath(dir: BorrowedFd<'_>, rel: &Path) -> Result<OwnedFd, Errno> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut cur = rustix::fs::openat(dir, ".", flags, Mode::empty())?;
    for component in rel.components() {
        let Component::Normal(name) = component else {
            return Err(Errno::INVAL);
        };
        cur = rustix::fs::openat(&cur, name, flags, Mode::empty())?;
        // O_PATH|O_NOFOLLOW opens a symlink itself: refuse it rather than go on from it.
        let st = rustix::fs::fstat(&cur)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
            return Err(Errno::LOOP);
        }
    }
    Ok(cur)
}

/// Unmounts the mount at `target`: `umount2(target, flags)`. With
/// [`UnmountFlags::DETACH`] (`MNT_DETACH`) the mount (and the mounts below it) leaves the
/// tree at once and is freed when it is no longer busy; with no flags a busy mount is
/// `EBUSY`.
///
/// This changes the **caller's mount namespace**; call it in a private one.
///
/// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace.
///
/// # Errors
///
/// [`Error::Unmount`]: `EINVAL` when `target` is not a mount point (or is locked in a user
/// namespace), `EBUSY` when it is in use and not detached, `EPERM` without the
/// capability.
#[doc(alias = "umount", alias = "umount2", alias = "MNT_DETACH")]
pub fn unmount(target: impl AsRef<Path>, flags: UnmountFlags) -> Result<(), Error> {
    let target = target.as_ref();
    rustix::mount::unmount(target, flags).map_err(|errno| Error::Unmount {
        target: target.to_path_buf(),
        flags,
        errno,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_maps_to_ms_flags() {
        assert_eq!(Propagation::Private.flags().bits(), 1 << 18);
        assert_eq!(Propagation::Slave.flags().bits(), 1 << 19);
        assert_eq!(Propagation::Shared.flags().bits(), 1 << 20);
        assert_eq!(Propagation::Unbindable.flags().bits(), 1 << 17);
        assert_eq!(Propagation::Slave.to_string(), "slave");
    }

    #[test]
    fn read_only_remount_keeps_locked_and_atime_flags() {
        let st = StatVfsMountFlags::NOSUID
            | StatVfsMountFlags::NODEV
            | StatVfsMountFlags::RELATIME
            | StatVfsMountFlags::RDONLY
            | StatVfsMountFlags::SYNCHRONOUS;
        assert_eq!(
            kept_flags(st),
            MountFlags::NOSUID | MountFlags::NODEV | MountFlags::RELATIME
        );
        let st = StatVfsMountFlags::NOEXEC
            | StatVfsMountFlags::NOATIME
            | StatVfsMountFlags::NODIRATIME
            | StatVfsMountFlags::from_bits_retain(0x2000);
        assert_eq!(
            kept_flags(st),
            MountFlags::NOEXEC
                | MountFlags::NOATIME
                | MountFlags::NODIRATIME
                | MountFlags::NOSYMFOLLOW
        );
        // Neither noatime nor relatime: strictatime, said out loud, also next to
        // nodiratime (which alone would make the kernel pick relatime).
        assert_eq!(
            kept_flags(StatVfsMountFlags::empty()),
            MountFlags::STRICTATIME
        );
        assert_eq!(
            kept_flags(StatVfsMountFlags::NODIRATIME),
            MountFlags::NODIRATIME | MountFlags::STRICTATIME
        );
    }
}
