//! The descriptor table at the door: what the process holds when it enters.
//!
//! A process that enters a sandbox keeps every descriptor it had: `pivot_root` changes
//! what paths mean, not what open descriptors point to. A directory descriptor on the
//! host's file system is a way out (`openat(fd, "..")`, runc's CVE-2024-21626), and a
//! descriptor without close-on-exec reaches every program the daemon later executes.
//!
//! Two steps:
//! - [`check_directories`], in the original process before anything is changed: every
//!   directory descriptor that will survive into the sandbox (one that is kept, or
//!   close-on-exec, which entering does not close) must lie inside the shared directory,
//!   unless the caller kept it on purpose; otherwise [`Error::LeakedDirectory`] names it.
//! - [`seal`], in the sandboxed child: every descriptor above 2 without close-on-exec and
//!   not kept is closed or marked close-on-exec, as the builder says.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::path::PathBuf;

use rustix::fs::{Mode as FileMode, OFlags, CWD};
use rustix::io::{Errno, FdFlags};

use crate::error::{Error, Step};
use crate::sys;

/// What [`Sandbox::enter`](crate::Sandbox::enter) does with inherited descriptors that
/// lack close-on-exec (`FD_CLOEXEC`) and are not kept with
/// [`Builder::keep_fd`](crate::Builder::keep_fd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InheritedFds {
    /// Close them in the sandboxed process (the default). The daemon cannot use them
    /// inside, and nor can anything it executes. Standard input, output and error (0, 1,
    /// 2) stay. One `close(2)` each (`close_range` would take the close-on-exec ones along),
    /// then checked: one still open fails the setup at [`Step::Fds`](crate::Step::Fds).
    #[default]
    Close,
    /// Leave them open in the sandboxed process but mark them close-on-exec
    /// (`close_range(CLOSE_RANGE_CLOEXEC)`, Linux 5.11, else `fcntl(F_SETFD)` one by one):
    /// the daemon itself keeps using them; programs it executes do not get them.
    CloseOnExec,
}

/// The descriptors this process holds, in increasing order: `/proc/self/fd` where proc is
/// mounted, else every number below the soft `RLIMIT_NOFILE` (at most 65536) that
/// `fcntl(F_GETFD)` accepts.
fn open_fds() -> Vec<RawFd> {
    let mut fds: Vec<RawFd> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
            .collect(),
        Err(_) => {
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
                .current
                .unwrap_or(1024)
                .min(65536);
            (0..limit as RawFd).collect()
        }
    };
    // The listing's own descriptor is closed by now; probing drops it (and the gaps).
    fds.retain(|&fd| fd_flags(fd).is_some());
    fds.sort_unstable();
    fds
}

/// `fcntl(fd, F_GETFD)`, or `None` when `fd` is not open.
fn fd_flags(fd: RawFd) -> Option<FdFlags> {
    sys::fd_flags(fd).ok()
}

/// Whether a descriptor survives entering: kept, or close-on-exec (entering closes only
/// descriptors without it), or any descriptor under [`InheritedFds::CloseOnExec`].
fn survives(fd: RawFd, flags: FdFlags, keep: &[RawFd], policy: InheritedFds) -> bool {
    fd <= 2
        || keep.contains(&fd)
        || flags.contains(FdFlags::CLOEXEC)
        || policy == InheritedFds::CloseOnExec
}

/// Refuses a directory descriptor that would survive into the sandbox and lies outside the
/// shared directory `dir`, unless it is in `keep`.
///
/// Inside or outside is decided by walking `..` from the descriptor, as the kernel resolves
/// it (across mount points) up to the root: it is inside when the walk meets `dir` (same
/// device and inode).
pub(crate) fn check_directories(
    dir: &OwnedFd,
    keep: &[RawFd],
    policy: InheritedFds,
) -> Result<(), Error> {
    let shared = rustix::fs::fstat(dir).map_err(|e| Error::setup(Step::Fds, &e))?;
    let shared = (shared.st_dev, shared.st_ino);
    for fd in open_fds() {
        let Some(flags) = fd_flags(fd) else { continue };
        if keep.contains(&fd) || !survives(fd, flags, keep, policy) {
            continue;
        }
        // A descriptor of our own on the same directory (O_PATH), or ENOTDIR when it is no
        // directory. A directory we may not even look at (EACCES) counts as outside.
        let inside = match sys::reopen_directory(fd) {
            Ok(held) => is_below(held.as_fd(), shared).unwrap_or(false),
            Err(Errno::NOTDIR) => continue,
            Err(_) => false,
        };
        if !inside {
            let path = rustix::fs::readlinkat(CWD, format!("/proc/self/fd/{fd}"), Vec::new())
                .map(|p| PathBuf::from(p.to_string_lossy().into_owned()))
                .unwrap_or_else(|_| PathBuf::from("?"));
            return Err(Error::LeakedDirectory { fd, path });
        }
    }
    Ok(())
}

/// Whether the directory `fd` is `shared` (device, inode) or below it.
fn is_below(fd: BorrowedFd<'_>, shared: (u64, u64)) -> Result<bool, Errno> {
    let ids = |fd: BorrowedFd<'_>| rustix::fs::fstat(fd).map(|s| (s.st_dev, s.st_ino));
    let mut here = ids(fd)?;
    let mut current: Option<OwnedFd> = None;
    // PATH_MAX / 2 levels is more than any real path has.
    for _ in 0..2048 {
        if here == shared {
            return Ok(true);
        }
        let from = current.as_ref().map_or(fd, |c| c.as_fd());
        let parent = rustix::fs::openat(
            from,
            "..",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            FileMode::empty(),
        )?;
        let up = ids(parent.as_fd())?;
        if up == here {
            // ".." of the root is the root: the walk is over.
            return Ok(false);
        }
        here = up;
        current = Some(parent);
    }
    Ok(false)
}

/// Closes (or marks close-on-exec) every descriptor above 2 that lacks close-on-exec and is
/// not in `keep`. Runs in the sandboxed child, whose descriptor table is the original
/// process's plus the sandbox's own close-on-exec descriptors.
pub(crate) fn seal(keep: &[RawFd], policy: InheritedFds) -> Result<(), Error> {
    let step = |e: Errno| Error::setup(Step::Fds, &e);
    match policy {
        InheritedFds::Close => {
            for fd in open_fds() {
                let Some(flags) = fd_flags(fd) else { continue };
                if fd > 2 && !keep.contains(&fd) && !flags.contains(FdFlags::CLOEXEC) {
                    // Not one of ours (ours are all close-on-exec) and not kept.
                    sys::close_fd(fd);
                }
            }
            // Checked, not assumed: a descriptor that survived is an error.
            for fd in open_fds() {
                let Some(flags) = fd_flags(fd) else { continue };
                if fd > 2 && !keep.contains(&fd) && !flags.contains(FdFlags::CLOEXEC) {
                    return Err(step(Errno::BADF));
                }
            }
            Ok(())
        }
        InheritedFds::CloseOnExec => {
            // close_range over the gaps between the kept descriptors (and 0..=2).
            let mut kept: Vec<u32> = keep
                .iter()
                .filter_map(|&fd| u32::try_from(fd).ok())
                .collect();
            kept.extend([0, 1, 2]);
            kept.sort_unstable();
            kept.dedup();
            let mut first = 0u32;
            let mut ranges = Vec::new();
            for &k in &kept {
                if k > first {
                    ranges.push((first, k - 1));
                }
                first = k.saturating_add(1);
            }
            ranges.push((first, u32::MAX));
            let by_range = ranges
                .iter()
                .try_for_each(|&(lo, hi)| sys::close_range_cloexec(lo, hi));
            if by_range.is_err() {
                // Before 5.11 (EINVAL) or without close_range at all (ENOSYS): one by one.
                for fd in open_fds() {
                    let Some(flags) = fd_flags(fd) else { continue };
                    if fd > 2 && !keep.contains(&fd) && !flags.contains(FdFlags::CLOEXEC) {
                        sys::set_fd_flags(fd, flags | FdFlags::CLOEXEC).map_err(step)?;
                    }
                }
            }
            Ok(())
        }
    }
}
