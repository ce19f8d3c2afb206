//! A verified handle on `/proc/self/fd`, and reopening file descriptors through it.
//!
//! A daemon that serves files from `O_PATH` descriptors (a vhost-user file-system
//! backend, a file server) needs to turn such a descriptor into one it can read or
//! write. The kernel offers one way: open the magic link `/proc/self/fd/<n>` with the
//! access flags wanted. Inside a sandbox `/proc` may be gone (after `pivot_root` into the
//! shared directory), so the daemon captures a handle on its `fd` directory first and
//! opens `<n>` relative to it: [`ProcSelfFd::reopen`].
//!
//! The handle is verified when it is made ([`ProcSelfFd::from_fd`]): it must be on
//! procfs (`fstatfs` says `PROC_SUPER_MAGIC`), and it must be *this* process's fd table,
//! not a look-alike (a tmpfs with files named `3`, `4`, ...) nor another process's table.
//!
//! Two ways to get one:
//!
//! - [`ProcSelfFd::capture`], in a mount namespace the caller owns: the handle sits on a
//!   detached mount whose root is the fd directory, so `..` from it leads nowhere.
//! - [`ProcSelfFd::open_unconfined`], anywhere: a plain `O_PATH` open of
//!   `/proc/self/fd`, whose ancestors (all of `/proc`) stay reachable through `..`.
//!
//! ```no_run
//! use rustix::fs::{Mode, OFlags};
//! use sandbox_proc_fd::ProcSelfFd;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In a private mount namespace, after mounting a fresh proc on /proc:
//! let proc_fd = ProcSelfFd::capture("/proc")?;
//!
//! // Later, maybe after pivot_root made /proc unreachable:
//! let path_fd = rustix::fs::open("/etc/hostname", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?;
//! let readable = proc_fd.reopen(&path_fd, OFlags::RDONLY)?;
//! # drop(readable);
//! # Ok(())
//! # }
//! ```
//!
//! The handle names the fd table of the process that made it. After `fork`, a child
//! that reopened through an inherited handle would open its *parent's* descriptors; so
//! [`ProcSelfFd::reopen`] refuses there ([`Error::NotOwner`]) and [`ProcSelfFd::verify`]
//! fails. A child that still sees a proc can make its own handle; in a sandbox, where
//! none is left, a worker sends its descriptors to the handle's process to reopen, or is
//! a thread.
//!
//! That refusal guards against a mistake (a worker that reopens through the handle it
//! inherited), not against code that wants the parent's descriptors: the handle is an
//! ordinary descriptor, and any code in the child can call `openat(handle, "7")` on it
//! itself and get whatever the parent holds at 7, with the access the parent's file
//! allows. A worker that runs less trusted code must not have the handle's descriptor at
//! all: drop the inherited [`ProcSelfFd`] (which closes it) in the worker right after the
//! fork, before that code runs.

#![deny(unsafe_code)]

mod error;
#[allow(unsafe_code)]
mod sys;

pub use error::Error;
/// The open flags [`ProcSelfFd::reopen`] takes, re-exported so that a user of this crate
/// alone needs no `rustix` of its own.
pub use rustix::fs::OFlags;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode};
use rustix::io::Errno;
use rustix::mount::{OpenTreeFlags, UnmountFlags};
use rustix::path::DecInt;

/// Flags that [`ProcSelfFd::reopen`] refuses with [`Error::InvalidFlags`].
///
/// Each has no meaning, or a harmful one, when the path is a magic link to a file that
/// already exists and is already open:
///
/// - `O_CREAT`: the file exists; with `O_EXCL` the open fails with `EEXIST`.
/// - `O_EXCL`: the same.
/// - `O_TMPFILE`: would create a new unnamed file in the directory behind the fd,
///   rather than reopen it.
/// - `O_NOFOLLOW`: the magic link itself is the last component: the open fails with
///   `ELOOP` (or, with `O_PATH`, returns the link, not the file).
///
/// `O_PATH`, `O_DIRECTORY`, `O_TRUNC`, `O_APPEND`, `O_NONBLOCK`, `O_DIRECT`, `O_NOATIME`
/// and the other status flags keep their usual meaning and pass through. `O_CLOEXEC` is
/// always added.
///
/// `O_TMPFILE` is two bits, its own and `O_DIRECTORY`'s; the constant holds only its own
/// (so `flags.intersects(REFUSED_REOPEN_FLAGS)` is false for `O_DIRECTORY` alone), which
/// `Debug` shows as a number: `OFlags(CREATE | EXCL | NOFOLLOW | 0x400000)`.
pub const REFUSED_REOPEN_FLAGS: OFlags = OFlags::CREATE
    .union(OFlags::EXCL)
    .union(TMPFILE_ONLY)
    .union(OFlags::NOFOLLOW);

/// The `O_TMPFILE` bits without `O_DIRECTORY`, which is part of `O_TMPFILE` and legal alone.
const TMPFILE_ONLY: OFlags = OFlags::TMPFILE.difference(OFlags::DIRECTORY);

/// An `O_PATH` handle on the capturing process's `/proc/self/fd` directory, verified to be
/// procfs and this process's fd table.
///
/// Reopen descriptors through it with [`ProcSelfFd::reopen`]. It is `Send` and `Sync`:
/// threads share the fd table, so any thread may reopen through it.
#[derive(Debug)]
pub struct ProcSelfFd {
    fd: OwnedFd,
    /// The mark of the process whose table the handle was verified to be (see `sys`).
    mark: sys::Mark,
    /// That process's pid, for [`Error::NotOwner`].
    owner: i32,
}

impl ProcSelfFd {
    /// Captures `<proc_mount>/self/fd` on a detached mount, so that nothing above the fd
    /// directory is reachable from the handle.
    ///
    /// In kernel terms: `open_tree("<proc_mount>/self/fd", OPEN_TREE_CLONE |
    /// OPEN_TREE_CLOEXEC)` (Linux 5.2), a bind of the fd directory that is attached
    /// nowhere: the caller's mount table does not change. The handle keeps that mount
    /// alive; `..` from its root stays at its root (there is no parent mount to climb to).
    /// Finally the handle is verified as [`from_fd`](Self::from_fd) does. No temporary
    /// directory is needed.
    ///
    /// Whenever `open_tree` fails, for whatever reason (before Linux 5.2, a seccomp filter
    /// or an LSM that refuses it), the same detached bind is made with `mount(2)`: `mount("<proc_mount>/self/fd",
    /// proc_mount, NULL, MS_BIND)`, then `open(proc_mount, O_PATH | O_DIRECTORY |
    /// O_CLOEXEC | O_NOFOLLOW)` (which opens the root of the bind), then
    /// `umount2(proc_mount, MNT_DETACH)`. **That changes the caller's mount table for a
    /// moment** (and leaves it changed if the detach fails): call `capture` in a mount
    /// namespace of your own whose mounts do not propagate back (private or slave), never
    /// in the host's.
    ///
    /// Call it after mounting a fresh proc at `proc_mount` (usually `/proc`) in the new
    /// pid namespace, so that `self` names this process.
    ///
    /// Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's mount namespace
    /// (root, or any user after `unshare(CLONE_NEWUSER | CLONE_NEWNS)`).
    ///
    /// # Errors
    ///
    /// - [`Error::BindOverProc`]: the bind failed, by `open_tree` and by `mount` (`EPERM`
    ///   without the capability, `ENOENT` when `proc_mount` is not a proc that shows this
    ///   process); the errno is `mount`'s.
    /// - [`Error::Open`]: the open after the bind failed. The bind is detached first;
    ///   should that fail too, the bind stays and this is still the error returned.
    /// - [`Error::Detach`]: the detach failed; the bind is still mounted on `proc_mount`.
    /// - [`Error::Statfs`], [`Error::NotProcfs`], [`Error::Stat`], [`Error::Pipe`],
    ///   [`Error::NotOwnFdTable`]: verification failed, as in [`from_fd`](Self::from_fd).
    #[doc(alias = "open_tree")]
    #[doc(alias = "MS_BIND")]
    #[doc(alias = "MNT_DETACH")]
    pub fn capture(proc_mount: impl AsRef<Path>) -> Result<Self, Error> {
        let proc_mount = proc_mount.as_ref();
        let flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
        let mut buf = [0u8; 256];
        let cloned = match fd_dir_on_stack(&mut buf, proc_mount) {
            Some(fd_dir) => rustix::mount::open_tree(rustix::fs::CWD, fd_dir, flags),
            None => rustix::mount::open_tree(rustix::fs::CWD, proc_mount.join("self/fd"), flags),
        };
        match cloned {
            Ok(fd) => Self::from_fd(fd),
            Err(_) => Self::capture_with_mount(proc_mount),
        }
    }

    /// [`capture`](Self::capture) through `mount(2)` only, never calling the new mount
    /// API: the bind attached onto `proc_mount`, opened, and detached, as `capture` does
    /// where `open_tree` fails. For a process under a seccomp filter that kills on
    /// `open_tree` (rather than refusing it), where `capture` would die. The same needs,
    /// the same caveat (the caller's mount table changes for a moment: call it in a
    /// private or slave mount namespace of its own), the same errors.
    #[doc(alias = "MS_BIND")]
    pub fn capture_with_mount(proc_mount: impl AsRef<Path>) -> Result<Self, Error> {
        let proc_mount = proc_mount.as_ref();
        let fd_dir = proc_mount.join("self/fd");
        rustix::mount::mount_bind(&fd_dir, proc_mount).map_err(|errno| Error::BindOverProc {
            path: proc_mount.to_path_buf(),
            errno,
        })?;
        let opened = rustix::fs::open(
            proc_mount,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        );
        // Detach whether or not the open worked: the bind must not stay on the proc mount.
        let detached = rustix::mount::unmount(proc_mount, UnmountFlags::DETACH);
        let fd = opened.map_err(|errno| Error::Open {
            path: proc_mount.to_path_buf(),
            errno,
        })?;
        detached.map_err(|errno| Error::Detach {
            path: proc_mount.to_path_buf(),
            errno,
        })?;
        Self::from_fd(fd)
    }

    /// Opens `/proc/self/fd` as it is, without a mount namespace, and verifies it.
    ///
    /// In kernel terms: `open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC |
    /// O_NOFOLLOW)`, then the checks of [`from_fd`](Self::from_fd). Needs no privilege.
    ///
    /// The handle is not confined: `openat(handle, "..")` reaches `/proc/<pid>`, and from
    /// there all of `/proc`. Use [`capture`](Self::capture) where a mount namespace is
    /// available and the handle may be handed to code that should not climb out.
    ///
    /// # Errors
    ///
    /// - [`Error::Open`]: `/proc` is not mounted, or does not show this process.
    /// - [`Error::Statfs`], [`Error::NotProcfs`], [`Error::Stat`], [`Error::Pipe`],
    ///   [`Error::NotOwnFdTable`]: verification failed (e.g. something other than procfs
    ///   is mounted on `/proc`).
    pub fn open_unconfined() -> Result<Self, Error> {
        const PATH: &str = "/proc/self/fd";
        let fd = rustix::fs::open(
            PATH,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .map_err(|errno| Error::Open {
            path: PathBuf::from(PATH),
            errno,
        })?;
        Self::from_fd(fd)
    }

    /// Opens `/proc/self/fd` of a private proc instance that shows processes only, and
    /// verifies it: a handle from which `..` reaches `/proc/<pid>` and the other processes
    /// of the pid namespace, but no `/proc/sys`, `/proc/kcore` or other system-wide file,
    /// without any mount namespace.
    ///
    /// In kernel terms: `fsopen("proc")`, `fsconfig(subset=pid)`, `fsmount` with
    /// `nosuid,nodev,noexec` (the new mount API, Linux 5.2; `subset=pid`, Linux 5.8), then
    /// `openat(mount, "self/fd")` and the checks of [`from_fd`](Self::from_fd). The
    /// instance is attached nowhere: no mount table changes, and it goes when the handle
    /// is closed. Needs `CAP_SYS_ADMIN` in the user namespace that owns the caller's pid
    /// namespace (root, or root of a user namespace that made its own pid namespace).
    ///
    /// # Errors
    ///
    /// - [`Error::PrivateProc`]: the kernel refused (`EPERM` without the capability,
    ///   `ENOSYS` before 5.2, `EINVAL` for `subset` before 5.8).
    /// - As [`from_fd`](Self::from_fd).
    #[doc(alias = "fsopen", alias = "subset=pid")]
    pub fn open_private() -> Result<Self, Error> {
        use rustix::mount::{
            fsconfig_create, fsconfig_set_string, fsmount, fsopen, FsMountFlags, FsOpenFlags,
            MountAttrFlags,
        };
        let failed = |errno| Error::PrivateProc { errno };
        let fs = fsopen("proc", FsOpenFlags::FSOPEN_CLOEXEC).map_err(failed)?;
        fsconfig_set_string(&fs, "subset", "pid").map_err(failed)?;
        fsconfig_create(&fs).map_err(failed)?;
        let mount = fsmount(
            &fs,
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::MOUNT_ATTR_NOSUID
                | MountAttrFlags::MOUNT_ATTR_NODEV
                | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        )
        .map_err(failed)?;
        let fd = rustix::fs::openat(
            &mount,
            "self/fd",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .map_err(failed)?;
        Self::from_fd(fd)
    }

    /// Verifies an existing descriptor as this process's `/proc/self/fd` and wraps it.
    ///
    /// In kernel terms, three checks:
    ///
    /// 1. `fstatfs(fd)` says `f_type == PROC_SUPER_MAGIC`;
    /// 2. following the entry named after `fd`'s own number (`fstatat(fd, "<fd>", 0)`)
    ///    leads to `fd` itself: same `st_dev` and `st_ino` as `fstat(fd)`;
    /// 3. following the entry of a pipe created just now for the check leads to that
    ///    pipe. Check 2 alone would pass a handle inherited across `fork` (the parent's
    ///    table holds the same descriptor at the same number); no other process can hold
    ///    a pipe made after the handle was opened.
    ///
    /// Together they refuse a look-alike on another file system, `/proc` itself,
    /// `/proc/<pid>` or a file in it, and another process's (or the parent's) fd
    /// directory. Needs no privilege; the fd may be `O_PATH`.
    ///
    /// # Errors
    ///
    /// - [`Error::Statfs`]: `fstatfs` failed (e.g. `EBADF`).
    /// - [`Error::NotProcfs`]: the fd is not on procfs.
    /// - [`Error::NotOwnFdTable`]: it is on procfs but not this process's fd table (the
    ///   entry is missing, not accessible, or leads elsewhere, or the fd is not a
    ///   directory).
    /// - [`Error::Stat`]: `fstat` or `fstatat` failed otherwise.
    /// - [`Error::Pipe`]: the pipe for check 3 could not be made (out of descriptors).
    pub fn from_fd(fd: OwnedFd) -> Result<Self, Error> {
        verify_table(fd.as_fd())?;
        // Only a verified handle claims the process: a refused one leaves no trace.
        Ok(ProcSelfFd {
            fd,
            mark: sys::claim(),
            owner: rustix::process::getpid().as_raw_nonzero().get(),
        })
    }

    /// Repeats the checks of [`from_fd`](Self::from_fd) on this handle.
    ///
    /// Useful after `fork`: in the child, an inherited handle still names the parent's
    /// table, and this returns [`Error::NotOwnFdTable`].
    ///
    /// # Errors
    ///
    /// As [`from_fd`](Self::from_fd).
    pub fn verify(&self) -> Result<(), Error> {
        verify_table(self.fd.as_fd())
    }

    /// Opens the file behind `fd` again, with real access flags.
    ///
    /// In kernel terms: `openat(handle, "<fd number>", flags | O_CLOEXEC)`. The kernel
    /// follows the magic link to the open file's path and opens it anew, checking the
    /// caller's permission on the file as any open does; it gives a new open file
    /// description (its own offset and status flags). Typical use: turn an `O_PATH`
    /// descriptor into a readable or writable one. Allocates nothing (the number is
    /// formatted on the stack) and makes one syscall: fit for a daemon's hot path.
    ///
    /// It refuses to run in a process forked after the handle was made
    /// ([`Error::NotOwner`]), which would otherwise open its parent's descriptor of that
    /// number. The check reads one word of a page that the kernel hands a forked child
    /// zeroed (`MADV_WIPEONFORK`, Linux 4.14), where each process that makes a handle
    /// notes a number no handle it inherited holds; it tells a child from its parent also
    /// when both have the same pid in different pid namespaces. Before Linux 4.14 it
    /// compares pids instead (a `getpid(2)`), and then misses that case: a handle made by
    /// a namespace's pid 1 passes in a descendant that is pid 1 of a nested pid namespace.
    ///
    /// The check is against mistakes, not against a hostile child: a child holding the
    /// descriptor can open through it without this method (see the crate docs); drop the
    /// handle in a worker that must not reach the parent's descriptors.
    ///
    /// Flags in [`REFUSED_REOPEN_FLAGS`] (`O_CREAT`, `O_EXCL`, `O_TMPFILE`,
    /// `O_NOFOLLOW`) are refused before any syscall, not stripped: each would change what
    /// the call means. `O_DIRECTORY` alone is fine and asserts the file is a directory.
    ///
    /// ```
    /// use std::io::Read;
    /// use rustix::fs::{Mode, OFlags};
    /// use sandbox_proc_fd::{Error, ProcSelfFd};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let proc_fd = ProcSelfFd::open_unconfined()?;
    /// let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    /// let path_fd = rustix::fs::open(manifest, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?;
    ///
    /// let mut text = String::new();
    /// std::fs::File::from(proc_fd.reopen(&path_fd, OFlags::RDONLY)?).read_to_string(&mut text)?;
    /// assert!(text.contains("sandbox-proc-fd"));
    ///
    /// let refused = proc_fd.reopen(&path_fd, OFlags::WRONLY | OFlags::CREATE);
    /// assert!(matches!(refused, Err(Error::InvalidFlags { .. })));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidFlags`]: `flags` contains refused flags.
    /// - [`Error::NotOwner`]: this is not the process that made the handle, but a child
    ///   forked after it (or a descendant). The handle names that process's descriptor
    ///   table, where the same number may be another file: nothing is opened. A worker
    ///   process reopens by asking the handle's process (send it the descriptor over a
    ///   UNIX socket), or works as a thread, which shares the table.
    /// - [`Error::Reopen`]: the open failed: `EACCES` when the caller may not open the
    ///   file with these flags, `ENXIO` for a socket, `ENOTDIR` for `O_DIRECTORY` on a
    ///   non-directory, `ELOOP`, ...
    #[doc(alias = "openat")]
    pub fn reopen(&self, fd: impl AsFd, flags: OFlags) -> Result<OwnedFd, Error> {
        if !refused_flags(flags).is_empty() {
            return Err(Error::InvalidFlags { flags });
        }
        if sys::mark() != self.mark {
            return Err(Error::NotOwner { owner: self.owner });
        }
        let fd = fd.as_fd();
        let name = DecInt::from_fd(fd);
        rustix::fs::openat(
            &self.fd,
            name.as_c_str(),
            flags | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|errno| Error::Reopen {
            fd: fd.as_raw_fd(),
            flags,
            errno,
        })
    }
}

/// The checks of [`ProcSelfFd::from_fd`] on `fd`.
fn verify_table(fd: BorrowedFd<'_>) -> Result<(), Error> {
    let statfs = rustix::fs::fstatfs(fd).map_err(|errno| Error::Statfs { errno })?;
    if statfs.f_type != rustix::fs::PROC_SUPER_MAGIC {
        return Err(Error::NotProcfs {
            f_type: statfs.f_type,
        });
    }
    let own = rustix::fs::fstat(fd).map_err(|errno| Error::Stat { errno })?;
    if rustix::fs::FileType::from_raw_mode(own.st_mode) != rustix::fs::FileType::Directory {
        return Err(Error::NotOwnFdTable);
    }
    // Check 2: our own entry leads back to us.
    let entry = follow(fd, fd)?;
    if (entry.st_dev, entry.st_ino) != (own.st_dev, own.st_ino) {
        return Err(Error::NotOwnFdTable);
    }
    // Check 3: a descriptor no other process can have at this number leads to itself.
    let (reader, _writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|errno| Error::Pipe { errno })?;
    let pipe = rustix::fs::fstat(&reader).map_err(|errno| Error::Stat { errno })?;
    let entry = follow(fd, reader.as_fd())?;
    if (entry.st_dev, entry.st_ino) != (pipe.st_dev, pipe.st_ino) {
        return Err(Error::NotOwnFdTable);
    }
    Ok(())
}

/// `fstatat(table, "<fd>", 0)`: where the entry for `fd` leads.
fn follow(table: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> Result<rustix::fs::Stat, Error> {
    let name = DecInt::from_fd(fd);
    rustix::fs::statat(table, name.as_c_str(), AtFlags::empty()).map_err(|errno| match errno {
        // Our own table always has the entry, and we may always look at it.
        Errno::NOENT | Errno::ACCESS | Errno::PERM | Errno::NOTDIR => Error::NotOwnFdTable,
        errno => Error::Stat { errno },
    })
}

/// The part of `flags` that [`ProcSelfFd::reopen`] refuses.
fn refused_flags(flags: OFlags) -> OFlags {
    // O_TMPFILE includes O_DIRECTORY, which alone is fine: report O_TMPFILE only when its
    // own bit is there.
    let mut refused = flags & (OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW);
    if flags.intersects(TMPFILE_ONLY) {
        refused |= flags & OFlags::TMPFILE;
    }
    refused
}

impl AsFd for ProcSelfFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<ProcSelfFd> for OwnedFd {
    fn from(handle: ProcSelfFd) -> OwnedFd {
        handle.fd
    }
}

/// `proc_mount.join("self/fd")`, put together in `buf` rather than on the heap (a freshly
/// forked process, a sandbox being set up, pays for its first allocation in copied
/// pages); `None` when it does not fit.
fn fd_dir_on_stack<'a>(buf: &'a mut [u8; 256], proc_mount: &Path) -> Option<&'a Path> {
    const FD_DIR: &[u8] = b"self/fd";
    let mount = proc_mount.as_os_str().as_bytes();
    let sep: &[u8] = match mount.last() {
        None | Some(b'/') => b"",
        Some(_) => b"/",
    };
    let path = buf.get_mut(..mount.len() + sep.len() + FD_DIR.len())?;
    let (head, rest) = path.split_at_mut(mount.len());
    let (middle, tail) = rest.split_at_mut(sep.len());
    head.copy_from_slice(mount);
    middle.copy_from_slice(sep);
    tail.copy_from_slice(FD_DIR);
    Some(Path::new(std::ffi::OsStr::from_bytes(path)))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn the_fd_dir_on_the_stack_is_what_join_gives() {
        let long = "x".repeat(300);
        for mount in [
            "/proc",
            "/proc/",
            "",
            "proc",
            "/",
            "/a b/proc",
            long.as_str(),
        ] {
            let mount = Path::new(mount);
            let mut buf = [0u8; 256];
            match fd_dir_on_stack(&mut buf, mount) {
                Some(dir) => assert_eq!(dir, mount.join("self/fd"), "{mount:?}"),
                None => assert!(mount.as_os_str().len() > 240, "{mount:?}"),
            }
        }
    }

    #[test]
    fn refused_flags_are_the_creating_and_nofollow_ones() {
        assert_eq!(
            refused_flags(OFlags::RDWR | OFlags::APPEND),
            OFlags::empty()
        );
        assert_eq!(
            refused_flags(OFlags::DIRECTORY | OFlags::PATH),
            OFlags::empty()
        );
        assert_eq!(
            refused_flags(OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC),
            OFlags::CREATE
        );
        assert_eq!(
            refused_flags(OFlags::CREATE | OFlags::EXCL),
            OFlags::CREATE | OFlags::EXCL
        );
        assert_eq!(refused_flags(OFlags::NOFOLLOW), OFlags::NOFOLLOW);
        assert_eq!(
            refused_flags(OFlags::RDWR | OFlags::TMPFILE),
            OFlags::TMPFILE
        );
    }

    #[test]
    fn the_refused_set_leaves_o_directory_alone() {
        assert!(!OFlags::DIRECTORY.intersects(REFUSED_REOPEN_FLAGS));
        assert!(OFlags::TMPFILE.intersects(REFUSED_REOPEN_FLAGS));
        assert!(!format!("{REFUSED_REOPEN_FLAGS:?}").contains("DIRECTORY"));
        for flags in [
            OFlags::CREATE,
            OFlags::EXCL,
            OFlags::NOFOLLOW,
            OFlags::TMPFILE,
        ] {
            assert_eq!(
                refused_flags(flags).is_empty(),
                !flags.intersects(REFUSED_REOPEN_FLAGS),
                "{flags:?}"
            );
        }
    }

    #[test]
    fn reopen_refuses_before_any_syscall() {
        // Refusing happens before the handle is used, so any directory fd will do here.
        let fd = rustix::fs::open("/", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .expect("open / O_PATH");
        let handle = ProcSelfFd {
            fd,
            mark: 0,
            owner: 0,
        };
        let asked = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL;
        let err = handle.reopen(&handle, asked).unwrap_err();
        assert!(matches!(err, Error::InvalidFlags { flags } if flags == asked));
        assert_eq!(err.errno(), None);
        assert_eq!(
            err.to_string(),
            "reopen through /proc/self/fd with O_RDWR | O_CREAT | O_EXCL: \
             O_CREAT, O_EXCL, O_TMPFILE and O_NOFOLLOW have no meaning there"
        );
    }
}
