//! The descriptor table at the door: what the process holds when it enters.
//!
//! A process that enters a sandbox keeps every descriptor it had: `pivot_root` changes
//! what paths mean, not what open descriptors point to, and the sandboxed process never
//! execs, so close-on-exec protects nothing. A directory descriptor sits on the host's
//! mount even when it names a directory below the shared one: `openat(fd, "..")` climbs
//! past the sandbox's root (the kernel stops `..` only at the root's own mount and
//! dentry), and writes through it ignore the sandbox's read-only mounts. Sockets may hold
//! queued descriptors (`SCM_RIGHTS`), an io_uring its registered files, a read-only file
//! can be reopened writable through `/proc/self/fd`.
//!
//! Three steps:
//! - [`check`], in the original process before anything is changed: every kept number
//!   must be open; every directory descriptor that will survive into the sandbox
//!   (standard input, output and error, the kept ones, or all under
//!   [`InheritedFds::CloseOnExec`]) must lie inside the shared directory, else
//!   [`Error::LeakedDirectory`] names it. Those inside, and kept regular files whose path
//!   lies below the shared directory, are noted with that path as [`KeptInside`]s.
//! - [`Seal`], worked out before the fork and applied in the sandboxed child (or [`seal`]
//!   in one go, in the modes that fork nothing): every descriptor above 2 that is not kept and not
//!   one of the sandbox's own is closed (or, under [`InheritedFds::CloseOnExec`], marked
//!   close-on-exec).
//! - [`KeptInside::replace`], in the child after the pivot: each noted descriptor is opened
//!   again on the sandbox's own mounts and put in place at the same number.

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{Mode as FileMode, OFlags, CWD};
use rustix::io::{Errno, FdFlags};
use sandbox_mount::Identity;

use crate::call::{Call, SysError};
use crate::error::Error;
use crate::step::Step;
use crate::sys;

/// What [`Sandbox::enter`](crate::Sandbox::enter) does with the descriptors above 2 that
/// are not kept with [`Builder::keep_fd`](crate::Builder::keep_fd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InheritedFds {
    /// Close them in the sandboxed process, close-on-exec or not (the default): the
    /// sandboxed process holds its standard input, output and error, the kept
    /// descriptors, and the sandbox's `/proc/self/fd` handle, nothing else.
    /// `close_range(2)` (Linux 5.9) over the gaps between the kept ones, else one
    /// `close(2)` each; then checked: one still open fails the setup at
    /// [`Step::Fds`](crate::Step::Fds).
    ///
    /// Rust values that own a closed descriptor (a `File`, a socket) must not be used or
    /// dropped inside: the number may belong to another file by then. Keep them, or
    /// `std::mem::forget` them in the sandboxed process.
    #[default]
    Close,
    /// The opt-out: leave every descriptor open in the sandboxed process, marked
    /// close-on-exec (`close_range(CLOSE_RANGE_CLOEXEC)`, Linux 5.11, else `fcntl(F_SETFD)`
    /// one by one), so that programs the daemon executes do not get them. Gives back
    /// whatever those descriptors reach: host files, sockets and the descriptors queued
    /// on them, io_uring rings with their registered files. Directories are still checked
    /// and replaced like kept ones.
    CloseOnExec,
}

/// A descriptor kept with [`Builder::keep_fd`](crate::Builder::keep_fd): its number, and
/// the open file (device and inode) it named then, checked again at entering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeptFd {
    pub(crate) fd: RawFd,
    id: Option<(u64, u64)>,
}

impl KeptFd {
    pub(crate) fn new(fd: BorrowedFd<'_>) -> KeptFd {
        let id = rustix::fs::fstat(fd).ok().map(|s| (s.st_dev, s.st_ino));
        KeptFd {
            fd: fd.as_raw_fd(),
            id,
        }
    }
}

/// A descriptor that survives into the sandbox and lies in the shared directory's tree (a
/// directory, or a file whose path is below it): to be opened again, at the same number,
/// on the sandbox's own mounts, where `..` stops at the new root and the read-only and
/// `nodev` attributes apply.
#[derive(Debug, Clone)]
pub(crate) struct KeptInside {
    fd: RawFd,
    /// Its path below the shared directory (empty for the shared directory itself).
    below: PathBuf,
    /// Device and inode, checked after the reopen.
    id: Identity,
    /// The flags to open it again with: its access mode (or `O_PATH`) and status flags,
    /// plus `O_DIRECTORY` for a directory.
    flags: OFlags,
    /// Its file offset (carried over to the new open file); `None` for `O_PATH`.
    offset: Option<u64>,
    cloexec: bool,
}

/// The descriptors this process holds, in increasing order: `/proc/self/fd` read in one
/// pass (open, `getdents64` until the end, close) where proc is mounted, leaving out the
/// listing's own descriptor; else every number below the soft `RLIMIT_NOFILE` (at most
/// 65536) that `fcntl(F_GETFD)` accepts.
pub(crate) fn open_fds() -> Vec<RawFd> {
    let mut fds = match list_proc_self_fd() {
        Ok(fds) => fds,
        Err(_) => {
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
                .current
                .unwrap_or(1024)
                .min(65536);
            (0..limit as RawFd)
                .filter(|&fd| fd_flags(fd).is_some())
                .collect()
        }
    };
    fds.sort_unstable();
    fds
}

/// The entries of `/proc/self/fd` but the listing's own descriptor: nothing else opens or
/// closes a descriptor meanwhile (the process has one thread), so each is open. The
/// listing's own number is looked at after its close, which a hostile environment may
/// fake (a seccomp filter answering 0): then it is open, and listed.
fn list_proc_self_fd() -> Result<Vec<RawFd>, Errno> {
    use std::mem::MaybeUninit;
    let dir = rustix::fs::openat(
        CWD,
        "/proc/self/fd",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        FileMode::empty(),
    )?;
    let own = dir.as_raw_fd();
    // Room for some 1300 entries per getdents64: a daemon's table in one call, and the
    // call that says the end is reached.
    let mut buf = vec![MaybeUninit::<u8>::uninit(); 32 * 1024];
    let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
    let mut fds = Vec::new();
    while let Some(entry) = entries.next() {
        let entry = entry?;
        match std::str::from_utf8(entry.file_name().to_bytes())
            .ok()
            .and_then(|n| n.parse().ok())
        {
            Some(fd) if fd != own => fds.push(fd),
            // ".", "..", and the listing itself.
            _ => {}
        }
    }
    // The listing borrows `dir`, and is over: close it.
    drop(dir);
    if fd_flags(own).is_some() {
        fds.push(own);
    }
    Ok(fds)
}

/// `fcntl(fd, F_GETFD)`, or `None` when `fd` is not open.
fn fd_flags(fd: RawFd) -> Option<FdFlags> {
    sys::fd_flags(fd).ok()
}

/// Whether a descriptor survives entering: standard input, output and error, the kept
/// ones, or any under [`InheritedFds::CloseOnExec`].
fn survives(fd: RawFd, keep: &[RawFd], policy: InheritedFds) -> bool {
    fd <= 2 || keep.contains(&fd) || policy == InheritedFds::CloseOnExec
}

/// The path `/proc/self/fd` gives for `fd`.
fn fd_link(fd: RawFd) -> Option<Vec<u8>> {
    rustix::fs::readlinkat(CWD, format!("/proc/self/fd/{fd}"), Vec::new())
        .ok()
        .map(|p| p.into_bytes())
}

/// Looks at every descriptor that would survive into the sandbox, except the sandbox's own
/// (`own`): a kept number that is not open is refused (whatever takes that number later
/// would be spared); a directory outside the shared directory `dir` is refused
/// ([`Error::LeakedDirectory`]); directories inside, and kept regular files (above 2)
/// whose path lies below `dir`, are returned, to be replaced in the child. Other files,
/// devices, sockets, pipes and the like stay as they are: what they reach is the daemon's
/// choice.
///
/// Inside or outside is decided, for a directory, by walking `..` from the descriptor, as
/// the kernel resolves it (across mount points) up to the root: it is inside when the walk
/// meets `dir` (same device and inode). The path below `dir` comes from `/proc/self/fd`
/// and is checked again (device and inode) when the child opens it.
pub(crate) fn check(
    dir: &OwnedFd,
    keep: &[KeptFd],
    own: &[RawFd],
    policy: InheritedFds,
) -> Result<Vec<KeptInside>, Error> {
    // A number closed since keep_fd is free, or names another file now (possibly the
    // sandbox's own descriptor): either way not what the caller meant to keep.
    for kept in keep {
        let now = match own.contains(&kept.fd) {
            true => None,
            false => sys::fd_identity(kept.fd),
        };
        if now.is_none() || now != kept.id {
            return Err(Error::KeptFdChanged { fd: kept.fd });
        }
    }
    let keep: Vec<RawFd> = keep.iter().map(|k| k.fd).collect();
    let keep = &keep[..];
    let shared = Identity::of(dir)
        .map_err(|e| Error::setup(Step::Fds, SysError::new(Call::StatSharedDir, e)))?;
    // The shared directory's path, read (from /proc) only once a descriptor needs it: by
    // default none does, and the original process reads nothing from /proc here.
    let mut shared_path: Option<Option<Vec<u8>>> = None;
    let reopen_error =
        |fd, e| Error::setup(Step::Fds, SysError::new(Call::ReopenDescriptor { fd }, e));
    let state_error =
        |fd, e| Error::setup(Step::Fds, SysError::new(Call::DescriptorState { fd }, e));
    let mut kept = Vec::new();
    // Under the default policy only standard input, output and error and the kept ones
    // survive: those are looked at, and the table is not listed (listing /proc/self/fd
    // costs the kernel a few microseconds per descriptor, milliseconds for thousands).
    let candidates = match policy {
        InheritedFds::Close => {
            let mut fds: Vec<RawFd> = (0..=2).chain(keep.iter().copied()).collect();
            fds.sort_unstable();
            fds.dedup();
            fds
        }
        InheritedFds::CloseOnExec => open_fds(),
    };
    for fd in candidates {
        if own.contains(&fd) || !survives(fd, keep, policy) {
            continue;
        }
        // A descriptor of our own on the same directory (O_PATH), or ENOTDIR when it is no
        // directory. A directory we may not even look at (EACCES) counts as outside.
        let reopened = sys::reopen_directory(fd);
        if fd <= 2 && matches!(reopened, Err(Errno::NOTDIR | Errno::BADF)) {
            // Standard input, output and error that are no directories are the caller's
            // plumbing, left as they are (below): their path is not needed. One that is
            // not open has nothing to check.
            continue;
        }
        // The path below the shared directory, from the two links; none for a descriptor
        // reached by another path (a second bind mount of the same tree: it could not be
        // found again inside), a socket or a pipe.
        let link = fd_link(fd);
        let shared_path =
            shared_path.get_or_insert_with(|| fd_link(rustix::fd::AsRawFd::as_raw_fd(dir)));
        let below = match (&*shared_path, &link) {
            (Some(top), Some(link)) => below_path(top, link),
            _ => None,
        };
        let (held, is_dir) = match reopened {
            Ok(held) if below.is_some() && is_below(held.as_fd(), &shared).unwrap_or(false) => {
                (held, true)
            }
            Ok(_) => return Err(leaked(fd)),
            // A kept regular file (above 2: standard input, output and error are the
            // caller's plumbing) is replaced when its path is below the shared directory.
            // A deleted one (" (deleted)") has no path to open again, and no name to
            // reach. Devices, fifos and sockets are what they are: nodev and read-only
            // act at open time only.
            Err(Errno::NOTDIR) => {
                let deleted = link.as_ref().is_some_and(|l| l.ends_with(b" (deleted)"));
                if fd <= 2 || below.is_none() || deleted {
                    continue;
                }
                (
                    sys::reopen_file(fd).map_err(|e| reopen_error(fd, e))?,
                    false,
                )
            }
            Err(_) => return Err(leaked(fd)),
        };
        let stat = rustix::fs::fstat(&held).map_err(|e| reopen_error(fd, e))?;
        let regular =
            rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::RegularFile;
        let (Some(below), true) = (below, is_dir || regular) else {
            continue;
        };
        let status = sys::fd_status_flags(fd).map_err(|e| state_error(fd, e))?;
        let carried = OFlags::ACCMODE
            | OFlags::PATH
            | OFlags::APPEND
            | OFlags::NONBLOCK
            | OFlags::DSYNC
            | OFlags::SYNC
            | OFlags::NOATIME
            | OFlags::DIRECT;
        let mut flags = status & carried;
        if is_dir {
            flags |= OFlags::DIRECTORY;
        }
        let offset = match status.contains(OFlags::PATH) {
            true => None,
            false => Some(sys::fd_offset(fd).map_err(|e| state_error(fd, e))?),
        };
        kept.push(KeptInside {
            fd,
            below,
            id: Identity::of(&held).map_err(|e| reopen_error(fd, e))?,
            flags,
            offset,
            cloexec: fd_flags(fd).is_some_and(|f| f.contains(FdFlags::CLOEXEC)),
        });
    }
    Ok(kept)
}

/// `link` relative to `top`, when `link` is `top` or below it.
fn below_path(top: &[u8], link: &[u8]) -> Option<PathBuf> {
    let rest = link.strip_prefix(top)?;
    let rest = match rest {
        [] => rest,
        [b'/', tail @ ..] => tail,
        // "/srv/shared2" is not below "/srv/shared"; "/" + "etc" is below "/".
        _ if top == b"/" => rest,
        _ => return None,
    };
    Some(PathBuf::from(OsStr::from_bytes(rest)))
}

fn leaked(fd: RawFd) -> Error {
    let path = fd_link(fd)
        .map(|p| PathBuf::from(OsStr::from_bytes(&p)))
        .unwrap_or_else(|| PathBuf::from("?"));
    Error::LeakedDirectory { fd, path }
}

/// Whether the directory `fd` is `shared` (the same file) or below it.
fn is_below(fd: BorrowedFd<'_>, shared: &Identity) -> Result<bool, Errno> {
    let mut here = Identity::of(fd)?;
    let mut current: Option<OwnedFd> = None;
    // PATH_MAX / 2 levels is more than any real path has.
    for _ in 0..2048 {
        if here.same_file(shared) {
            return Ok(true);
        }
        let from = current.as_ref().map_or(fd, |c| c.as_fd());
        let parent = rustix::fs::openat(
            from,
            "..",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            FileMode::empty(),
        )?;
        let up = Identity::of(&parent)?;
        if up.same_file(&here) {
            // ".." of the root is the root: the walk is over.
            return Ok(false);
        }
        here = up;
        current = Some(parent);
    }
    Ok(false)
}

impl KeptInside {
    /// In the sandboxed process, after the pivot: opens the same directory or file again
    /// through the new root (`/` is the shared directory now) with the same flags, checks
    /// it is the same one (device and inode), carries the file offset over, and puts it in
    /// place of the old descriptor, keeping its number and its close-on-exec flag. Opened
    /// on the sandbox's mounts, it obeys their read-only and `nodev` attributes: a
    /// writable descriptor of a read-only sandbox fails here with `EROFS`.
    pub(crate) fn replace(&self) -> Result<(), Error> {
        let path = PathBuf::from("/").join(&self.below);
        let fail = |errno: Errno| {
            Error::setup(
                Step::KeptDescriptor,
                SysError::at(Call::ReplaceKept { fd: self.fd }, &path, errno),
            )
        };
        let new = rustix::fs::openat(
            CWD,
            &path,
            self.flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            FileMode::empty(),
        )
        .map_err(fail)?;
        if !Identity::of(&new).map_err(fail)?.same_file(&self.id) {
            // Renamed, or replaced, since the check.
            return Err(fail(Errno::STALE));
        }
        if let Some(offset) = self.offset {
            rustix::fs::seek(&new, rustix::fs::SeekFrom::Start(offset)).map_err(fail)?;
        }
        sys::dup_onto(new.as_fd(), self.fd, self.cloexec).map_err(fail)
    }
}

/// Closes (or, under [`InheritedFds::CloseOnExec`], marks close-on-exec) every descriptor
/// above 2 that is not in `keep` nor in `own` (the sandbox's own descriptors at this point,
/// which go later by themselves).
pub(crate) fn seal(keep: &[RawFd], own: &[RawFd], policy: InheritedFds) -> Result<(), Error> {
    Seal::new(keep, own).apply(policy)
}

/// [`seal`] in two halves: the numbers to spare and the ranges to close, worked out in the
/// original process before the fork, and the closing, in the sandboxed child. The child
/// then allocates nothing here: a forked child's first allocations cost it copies of the
/// allocator's pages it shares with its parent.
pub(crate) struct Seal {
    spared: Vec<RawFd>,
    ranges: Vec<(u32, u32)>,
}

impl Seal {
    /// Spares `keep` and `own` (and 0, 1 and 2).
    pub(crate) fn new(keep: &[RawFd], own: &[RawFd]) -> Seal {
        let spared: Vec<RawFd> = keep.iter().chain(own).copied().collect();
        let ranges = gaps(&spared);
        Seal { spared, ranges }
    }

    /// Closes (or marks) every descriptor above 2 not spared.
    // The one place outside `sys` with `unsafe`: closing what other owners hold is what
    // this function is for.
    #[allow(unsafe_code)]
    pub(crate) fn apply(&self, policy: InheritedFds) -> Result<(), Error> {
        let Seal { spared, ranges } = self;
        match policy {
            InheritedFds::Close => {
                // The descriptors closed are every one above 2 but the sandbox's own and the
                // kept ones: the sandbox uses none of them again, and the daemon's values that
                // own one must not be used or dropped inside, as the crate docs and
                // `InheritedFds::Close` say. That promise is the point of the default: nothing
                // of the host's stays reachable.
                let by_range = ranges.iter().try_for_each(|&(lo, hi)| {
                    // SAFETY: no owner of a descriptor in the range uses it again (above).
                    unsafe { sys::close_range(lo, hi) }
                });
                if by_range.is_ok() {
                    // The kernel closed every number of every range: the table is this
                    // process's own since the fork, so nothing can have opened one since.
                    return Ok(());
                }
                // Before 5.9, or close_range refused by a seccomp filter: one by one, from a
                // listing.
                for fd in open_fds() {
                    if fd > 2 && !spared.contains(&fd) {
                        // SAFETY: as for close_range above.
                        unsafe { sys::close_fd(fd) };
                    }
                }
                // Checked, not assumed: close(2) may be faked too (a filter answering 0), and
                // a descriptor that survived is an error.
                if open_fds().iter().any(|&fd| fd > 2 && !spared.contains(&fd)) {
                    return Err(Error::setup(
                        Step::Fds,
                        SysError::new(Call::CloseDescriptors, Errno::BADF),
                    ));
                }
                Ok(())
            }
            InheritedFds::CloseOnExec => {
                let by_range = ranges
                    .iter()
                    .try_for_each(|&(lo, hi)| sys::close_range_cloexec(lo, hi));
                if by_range.is_err() {
                    // Before 5.11 (EINVAL) or without close_range at all (ENOSYS): one by one.
                    for fd in open_fds() {
                        let Some(flags) = fd_flags(fd) else { continue };
                        if fd > 2 && !spared.contains(&fd) && !flags.contains(FdFlags::CLOEXEC) {
                            sys::set_fd_flags(fd, flags | FdFlags::CLOEXEC).map_err(|e| {
                                Error::setup(
                                    Step::Fds,
                                    SysError::new(Call::MarkCloseOnExec { fd }, e),
                                )
                            })?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// The ranges of descriptor numbers from 3 up that are not in `spared`, for
/// `close_range(2)`.
fn gaps(spared: &[RawFd]) -> Vec<(u32, u32)> {
    let mut spared: Vec<u32> = spared
        .iter()
        .filter_map(|&fd| u32::try_from(fd).ok())
        .filter(|&fd| fd > 2)
        .collect();
    spared.sort_unstable();
    spared.dedup();
    let mut first = 3u32;
    let mut ranges = Vec::new();
    for &k in &spared {
        if k > first {
            ranges.push((first, k - 1));
        }
        first = k.saturating_add(1);
    }
    ranges.push((first, u32::MAX));
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_leave_out_the_spared_and_standard_descriptors() {
        assert_eq!(gaps(&[]), vec![(3, u32::MAX)]);
        assert_eq!(gaps(&[5, 3, 9, 0]), vec![(4, 4), (6, 8), (10, u32::MAX)]);
        assert_eq!(gaps(&[4, 4, 5]), vec![(3, 3), (6, u32::MAX)]);
    }

    #[test]
    fn below_path_needs_a_whole_component() {
        let b = |t: &str, l: &str| below_path(t.as_bytes(), l.as_bytes());
        assert_eq!(b("/srv/shared", "/srv/shared"), Some(PathBuf::new()));
        assert_eq!(b("/srv/shared", "/srv/shared/a/b"), Some("a/b".into()));
        assert_eq!(b("/srv/shared", "/srv/shared2"), None);
        assert_eq!(b("/srv/shared", "/srv"), None);
        assert_eq!(b("/", "/etc"), Some("etc".into()));
        assert_eq!(b("/", "/"), Some(PathBuf::new()));
    }
}
