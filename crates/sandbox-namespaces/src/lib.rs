//! Linux namespaces for a process that confines itself: which namespaces, `unshare(2)` and
//! `setns(2)`, namespace identities, uid/gid maps, and the single-threaded precondition.
//!
//! `unshare(CLONE_NEWUSER)` and `setns` into a user or mount namespace fail with a bare
//! `EINVAL` in a process with more than one thread; other types move only the calling
//! thread, leaving the others behind; and `fork` in such a process is unsound. So
//! [`unshare`] checks first that the process has one thread, and says so otherwise:
//! [`Error::MultiThreaded`].
//!
//! # Example
//!
//! An unprivileged daemon enters new user and mount namespaces, keeping its uid and gid:
//!
//! ```no_run
//! use sandbox_namespaces::{unshare, write_own_id_maps, IdMap, Namespaces};
//!
//! // Capture the ids BEFORE unsharing: in a fresh user namespace getuid() returns the
//! // overflow uid (65534) until the map is written.
//! let uid = rustix::process::getuid().as_raw();
//! let gid = rustix::process::getgid().as_raw();
//! unshare(Namespaces::USER | Namespaces::MOUNT)?;
//! write_own_id_maps(&[IdMap::identity(uid)], &[IdMap::identity(gid)])?;
//! assert_eq!(rustix::process::getuid().as_raw(), uid);
//! // Mounts are now possible: the process has all capabilities in the new user
//! // namespace, which owns the new mount namespace.
//! # Ok::<(), sandbox_namespaces::Error>(())
//! ```
//!
//! # Ranges
//!
//! A process may map only its own id into a user namespace it created. Ranges need a
//! writer that kept `CAP_SETUID`/`CAP_SETGID` in the parent namespace: root writing
//! [`write_id_maps_of`] from outside, or the setuid `newuidmap`/`newgidmap`
//! ([`run_id_map_tool`]), which grant what `/etc/subuid` and `/etc/subgid` list for the
//! user ([`subordinate_ranges`], [`rootless_id_map`]). Such a writer is usually a helper
//! process forked before the unshare; the `sandbox` crate does that.
//!
//! Everything here changes the calling process's own namespaces (or reads them), except
//! [`write_id_maps_of`] and [`run_id_map_tool`], which write another process's maps.
#![deny(unsafe_code)]

mod error;
mod idmap;
mod shadow;
mod subid;
#[allow(unsafe_code)]
mod sys;

use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use bitflags::bitflags;
use rustix::fs::{Dir, Mode, OFlags};
use rustix::process::Pid;
use rustix::thread::{LinkNameSpaceType, UnshareFlags};

pub use error::{Error, IdMapError, IdSide};
pub use idmap::{
    deny_setgroups, is_own_id_map, read_id_map, validate_id_map, write_id_maps_of,
    write_own_id_maps, IdMap, Setgroups, MAX_ID_MAP_ENTRIES,
};
pub use subid::{
    parse_subordinate_ranges, rootless_id_map, run_id_map_tool, subordinate_ranges, user_name,
    IdMapTool, IdMapToolStatus, SubordinateRange, SUBGID_FILE, SUBUID_FILE,
};

bitflags! {
    /// A set of namespace types, as the `CLONE_NEW*` flags of `unshare(2)` and `setns(2)`.
    ///
    /// Displayed with the names of `/proc/self/ns`: `user|mnt|pid`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Namespaces: u32 {
        /// A user namespace (`CLONE_NEWUSER`, kernel 3.8): its own uids, gids and
        /// capabilities; the only one an unprivileged process may create.
        #[doc(alias = "CLONE_NEWUSER")]
        const USER = UnshareFlags::NEWUSER.bits();
        /// A mount namespace (`CLONE_NEWNS`): its own mount table.
        #[doc(alias = "CLONE_NEWNS")]
        const MOUNT = UnshareFlags::NEWNS.bits();
        /// A pid namespace (`CLONE_NEWPID`): the next child forked is its pid 1. The caller
        /// itself stays in its pid namespace.
        #[doc(alias = "CLONE_NEWPID")]
        const PID = UnshareFlags::NEWPID.bits();
        /// A network namespace (`CLONE_NEWNET`): only a down loopback interface.
        #[doc(alias = "CLONE_NEWNET")]
        const NET = UnshareFlags::NEWNET.bits();
        /// An IPC namespace (`CLONE_NEWIPC`): its own System V IPC and POSIX queues.
        #[doc(alias = "CLONE_NEWIPC")]
        const IPC = UnshareFlags::NEWIPC.bits();
        /// A UTS namespace (`CLONE_NEWUTS`): its own host and domain name.
        #[doc(alias = "CLONE_NEWUTS")]
        const UTS = UnshareFlags::NEWUTS.bits();
        /// A cgroup namespace (`CLONE_NEWCGROUP`, kernel 4.6): the current cgroup becomes
        /// its root.
        #[doc(alias = "CLONE_NEWCGROUP")]
        const CGROUP = UnshareFlags::NEWCGROUP.bits();
        /// A time namespace (`CLONE_NEWTIME`, kernel 5.6): its own monotonic and boot
        /// clock offsets. Like PID, it applies to children forked afterwards.
        #[doc(alias = "CLONE_NEWTIME")]
        const TIME = UnshareFlags::NEWTIME.bits();
    }
}

/// Each namespace type with its name under `/proc/self/ns`, in the order of `Display`.
const NAMES: [(Namespaces, &str); 8] = [
    (Namespaces::USER, "user"),
    (Namespaces::MOUNT, "mnt"),
    (Namespaces::PID, "pid"),
    (Namespaces::NET, "net"),
    (Namespaces::IPC, "ipc"),
    (Namespaces::UTS, "uts"),
    (Namespaces::CGROUP, "cgroup"),
    (Namespaces::TIME, "time"),
];

impl Namespaces {
    /// The name of this namespace type under `/proc/self/ns` (`"user"`, `"mnt"`, `"pid"`,
    /// `"net"`, `"ipc"`, `"uts"`, `"cgroup"`, `"time"`) when `self` is exactly one flag,
    /// `None` otherwise.
    pub fn proc_name(self) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(ns, _)| *ns == self)
            .map(|(_, name)| *name)
    }

    /// Like [`proc_name`](Self::proc_name), but for PID and TIME the file naming the
    /// namespace the process's next children will be in (`"pid_for_children"`,
    /// `"time_for_children"`): `unshare(CLONE_NEWPID)` changes that one, not `"pid"`.
    pub fn proc_name_for_children(self) -> Option<&'static str> {
        if self == Namespaces::PID {
            Some("pid_for_children")
        } else if self == Namespaces::TIME {
            Some("time_for_children")
        } else {
            self.proc_name()
        }
    }

    fn link_type(self) -> Option<LinkNameSpaceType> {
        Some(if self == Namespaces::USER {
            LinkNameSpaceType::User
        } else if self == Namespaces::MOUNT {
            LinkNameSpaceType::Mount
        } else if self == Namespaces::PID {
            LinkNameSpaceType::ProcessID
        } else if self == Namespaces::NET {
            LinkNameSpaceType::Network
        } else if self == Namespaces::IPC {
            LinkNameSpaceType::InterProcessCommunication
        } else if self == Namespaces::UTS {
            LinkNameSpaceType::HostNameAndNISDomainName
        } else if self == Namespaces::CGROUP {
            LinkNameSpaceType::ControlGroup
        } else if self == Namespaces::TIME {
            LinkNameSpaceType::Time
        } else {
            return None;
        })
    }
}

impl fmt::Display for Namespaces {
    /// `user|mnt|pid`; `none` for the empty set; unknown bits as hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut sep = "";
        for (ns, name) in NAMES {
            if self.contains(ns) {
                write!(f, "{sep}{name}")?;
                sep = "|";
            }
        }
        let unknown = self.bits() & !Namespaces::all().bits();
        if unknown != 0 {
            write!(f, "{sep}{unknown:#x}")?;
        }
        Ok(())
    }
}

/// How many threads the calling process has: the entries of `/proc/self/task`, which
/// procfs also gives as the directory's link count (2 plus one per thread), read with one
/// `stat` instead of a listing. A link count below 3, which procfs never gives (something
/// else is mounted there), is checked by listing the directory.
///
/// Needs `/proc` mounted (a procfs that can see the caller).
///
/// # Errors
///
/// [`Error::CountThreads`] when `/proc/self/task` cannot be opened or read (no `/proc`).
pub fn thread_count() -> Result<usize, Error> {
    match rustix::fs::stat("/proc/self/task") {
        Ok(st) if st.st_nlink >= 3 => return Ok(st.st_nlink as usize - 2),
        Ok(_) => {}
        Err(errno) => return Err(Error::CountThreads { errno }),
    }
    let count = || -> rustix::io::Result<usize> {
        let fd = rustix::fs::open(
            "/proc/self/task",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut dir = Dir::new(fd)?;
        let mut threads = 0;
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                threads += 1;
            }
        }
        Ok(threads)
    };
    count().map_err(|errno| Error::CountThreads { errno })
}

/// Checks that the calling process has exactly one thread, which `unshare(CLONE_NEWUSER)`,
/// `setns` into a user or mount namespace and a sound `fork` need (and without which any
/// other `unshare` moves the calling thread alone).
///
/// Call it before starting any thread (the Rust runtime starts none by itself; some
/// libraries do).
///
/// In kernel terms: `unshare(CLONE_THREAD)`, which changes nothing in a process with one
/// thread and fails with `EINVAL` in a process with more. Only when it fails (or a seccomp
/// filter refuses it) are the threads counted, by [`thread_count`] in `/proc`; where it
/// succeeds, the check is one system call and needs no `/proc`.
///
/// # Errors
///
/// - [`Error::MultiThreaded`] when the process has more than one thread.
/// - [`Error::CountThreads`] when the kernel refused `unshare(CLONE_THREAD)` and
///   `/proc/self/task` cannot be read.
pub fn ensure_single_threaded() -> Result<(), Error> {
    if sys::unshare_thread().is_ok() {
        return Ok(());
    }
    match thread_count()? {
        threads if threads > 1 => Err(Error::MultiThreaded { threads }),
        _ => Ok(()),
    }
}

/// Moves the calling process into new namespaces of the given types: `unshare(2)`.
///
/// This changes the process's own namespaces for good (there is no way back into the
/// old user namespace). USER needs no privilege (unless disabled by
/// `user.max_user_namespaces`, `kernel.unprivileged_userns_clone` or an LSM); the others
/// need `CAP_SYS_ADMIN`, which a process has in a user namespace it just created, so an
/// unprivileged process asks for `USER | ...` in one call. PID and TIME apply to the
/// children forked afterwards, not to the caller.
///
/// After `unshare(USER)`, `getuid()` and `getgid()` return the overflow ids (65534) until
/// [`write_own_id_maps`] maps them: capture the ids to map before calling this.
///
/// An empty set changes nothing (it still checks the thread count).
///
/// # Errors
///
/// - [`Error::MultiThreaded`] / [`Error::CountThreads`]: see [`ensure_single_threaded`],
///   checked first.
/// - [`Error::UnknownNamespaces`] when `namespaces` has bits that are not namespaces.
/// - [`Error::Unshare`] with the kernel's errno: `EPERM` without `CAP_SYS_ADMIN` (or
///   user namespaces forbidden), `ENOSPC` at a `user.max_*_namespaces` limit, `EINVAL`
///   for a type the kernel was built without.
pub fn unshare(namespaces: Namespaces) -> Result<(), Error> {
    let unknown = namespaces.bits() & !Namespaces::all().bits();
    if unknown != 0 {
        return Err(Error::UnknownNamespaces { bits: unknown });
    }
    ensure_single_threaded()?;
    sys::unshare(namespaces).map_err(|errno| Error::Unshare { namespaces, errno })
}

/// Whether the calling process is in the initial user namespace: its
/// `/proc/self/uid_map` maps all of `0..4294967295` to itself. A process in any other user
/// namespace (`unshare -r`, a rootless container) sees a smaller map.
///
/// # Errors
///
/// [`Error::ReadIdFile`] naming `/proc/self/uid_map` when it cannot be read (no `/proc`).
pub fn in_initial_user_namespace() -> Result<bool, Error> {
    let path = PathBuf::from("/proc/self/uid_map");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::ReadIdFile {
        errno: rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO),
        path,
    })?;
    let fields: Vec<&str> = text.split_whitespace().collect();
    Ok(fields == ["0", "0", "4294967295"])
}

/// The identity of a namespace: the device and inode of its `/proc/<pid>/ns/<name>` file
/// (on nsfs). Two processes are in the same namespace exactly when these are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NamespaceId {
    /// `st_dev` of the nsfs file.
    pub dev: u64,
    /// `st_ino` of the nsfs file: the number in `readlink` (`net:[4026531840]`).
    pub ino: u64,
}

fn single_name(
    ns: Namespaces,
    name: fn(Namespaces) -> Option<&'static str>,
) -> Result<&'static str, Error> {
    name(ns).ok_or(Error::NotSingleNamespace { namespaces: ns })
}

fn stat_id(path: PathBuf) -> Result<NamespaceId, Error> {
    match rustix::fs::stat(&path) {
        Ok(st) => Ok(NamespaceId {
            dev: st.st_dev,
            ino: st.st_ino,
        }),
        Err(errno) => Err(Error::StatNamespace { path, errno }),
    }
}

/// The identity of the calling process's namespace of one type: `stat` of
/// `/proc/self/ns/<name>`.
///
/// For PID and TIME this is the namespace the caller is in, which `unshare` does not
/// change; see [`namespace_id_for_children`].
///
/// # Errors
///
/// - [`Error::NotSingleNamespace`] unless `ns` is exactly one flag.
/// - [`Error::StatNamespace`] when the file cannot be stat'ed (no `/proc`, or `ENOENT` for
///   a type the kernel lacks).
pub fn namespace_id(ns: Namespaces) -> Result<NamespaceId, Error> {
    let name = single_name(ns, Namespaces::proc_name)?;
    stat_id(PathBuf::from(format!("/proc/self/ns/{name}")))
}

/// The identity of the namespace of one type the calling process's next children will be
/// in: `/proc/self/ns/pid_for_children` and `time_for_children` for PID and TIME (kernel
/// 4.12 and 5.6), the same as [`namespace_id`] for the other types.
///
/// After `unshare(PID)` the kernel shows `pid_for_children` only once the first child
/// (the new namespace's pid 1) has been forked: until then this fails with `ENOENT`.
///
/// # Errors
///
/// As [`namespace_id`]; [`Error::StatNamespace`] with `ENOENT` for a new pid namespace
/// without its pid 1 yet.
pub fn namespace_id_for_children(ns: Namespaces) -> Result<NamespaceId, Error> {
    let name = single_name(ns, Namespaces::proc_name_for_children)?;
    stat_id(PathBuf::from(format!("/proc/self/ns/{name}")))
}

/// The identity of another process's namespace of one type: `stat` of
/// `/proc/<pid>/ns/<name>`.
///
/// Needs ptrace read access to the process (same uid, or `CAP_SYS_PTRACE`).
///
/// # Errors
///
/// - [`Error::NotSingleNamespace`] unless `ns` is exactly one flag.
/// - [`Error::StatNamespace`]: `ENOENT` when the process does not exist, `EACCES` without
///   ptrace access.
pub fn namespace_id_of(pid: Pid, ns: Namespaces) -> Result<NamespaceId, Error> {
    let name = single_name(ns, Namespaces::proc_name)?;
    stat_id(PathBuf::from(format!("/proc/{pid}/ns/{name}")))
}

/// The identity of the namespace of one type that the process behind `pidfd` is in:
/// `ioctl(pidfd, PIDFD_GET_<TYPE>_NAMESPACE)` (Linux 6.11), then `fstat(2)` of the
/// namespace descriptor it returns (closed again). The same [`NamespaceId`] as
/// [`namespace_id`] and [`namespace_id_of`] give, without `/proc`: it works after
/// `pivot_root` into a directory that has none, for example on a pidfd of the caller
/// itself (`rustix::process::pidfd_open(getpid(), ..)`).
///
/// For PID and TIME this is the namespace the process is in, not the one its next
/// children will be in. Needs ptrace read access to the process (a process always has it
/// to itself).
///
/// # Errors
///
/// - [`Error::NotSingleNamespace`] unless `ns` is exactly one flag.
/// - [`Error::PidfdNamespace`] with the kernel's errno: `ENOTTY` before Linux 6.11 (or on
///   a descriptor that is not a pidfd), `ESRCH` when the process has exited, `EPERM`
///   without ptrace access, `EOPNOTSUPP` for a type the kernel was built without.
#[doc(alias = "PIDFD_GET_NET_NAMESPACE", alias = "PIDFD_GET_USER_NAMESPACE")]
pub fn namespace_id_of_pidfd(pidfd: impl AsFd, ns: Namespaces) -> Result<NamespaceId, Error> {
    // The `nr` of each `PIDFD_GET_*_NAMESPACE` request in <linux/pidfd.h>.
    let number = [
        (Namespaces::CGROUP, 1),
        (Namespaces::IPC, 2),
        (Namespaces::MOUNT, 3),
        (Namespaces::NET, 4),
        (Namespaces::PID, 5),
        (Namespaces::TIME, 7),
        (Namespaces::USER, 9),
        (Namespaces::UTS, 10),
    ]
    .iter()
    .find(|(one, _)| *one == ns)
    .map(|(_, number)| *number)
    .ok_or(Error::NotSingleNamespace { namespaces: ns })?;
    let failed = |errno| Error::PidfdNamespace {
        namespaces: ns,
        errno,
    };
    let fd = sys::pidfd_namespace(pidfd.as_fd(), number).map_err(failed)?;
    let st = rustix::fs::fstat(&fd).map_err(failed)?;
    Ok(NamespaceId {
        dev: st.st_dev,
        ino: st.st_ino,
    })
}

/// Opens the calling process's namespace of one type, `/proc/self/ns/<name>`, read-only
/// and close-on-exec, e.g. to come back to it later with [`setns`]. The open fd keeps the
/// namespace alive.
///
/// # Errors
///
/// - [`Error::NotSingleNamespace`] unless `ns` is exactly one flag.
/// - [`Error::OpenNamespace`] when the file cannot be opened (no `/proc`).
pub fn open_namespace(ns: Namespaces) -> Result<OwnedFd, Error> {
    let name = single_name(ns, Namespaces::proc_name)?;
    let path = PathBuf::from(format!("/proc/self/ns/{name}"));
    rustix::fs::open(&path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|errno| Error::OpenNamespace { path, errno })
}

/// Moves the calling thread into the namespace `fd` refers to: `setns(2)` (kernel 3.0;
/// 3.8 for user, mount and pid namespaces).
///
/// `ns` is the type `fd` must have (the kernel checks it), or empty for any type. The
/// caller needs `CAP_SYS_ADMIN` in the user namespace that owns the target namespace (for
/// a user namespace: in the target itself), so an unprivileged process can enter
/// namespaces its own user namespace owns, but never go back to an ancestor user
/// namespace. For USER and MOUNT the process must be single-threaded, which is checked
/// first.
///
/// # Errors
///
/// - [`Error::NotSingleNamespace`] when `ns` has more than one flag.
/// - [`Error::MultiThreaded`] / [`Error::CountThreads`] for USER or MOUNT.
/// - [`Error::Setns`] with the kernel's errno: `EINVAL` when `fd` is not a namespace of
///   type `ns`, `EPERM` without the capability.
pub fn setns(fd: impl AsFd, ns: Namespaces) -> Result<(), Error> {
    let allowed = if ns.is_empty() {
        None
    } else {
        Some(
            ns.link_type()
                .ok_or(Error::NotSingleNamespace { namespaces: ns })?,
        )
    };
    if ns.intersects(Namespaces::USER | Namespaces::MOUNT) {
        ensure_single_threaded()?;
    }
    rustix::thread::move_into_link_name_space(fd.as_fd(), allowed).map_err(|errno| Error::Setns {
        namespaces: ns,
        errno,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_names_are_those_of_proc_self_ns() {
        let names: Vec<_> = Namespaces::all().iter().map(|ns| ns.proc_name()).collect();
        assert_eq!(
            names,
            ["user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"].map(Some)
        );
        assert_eq!((Namespaces::USER | Namespaces::NET).proc_name(), None);
        assert_eq!(Namespaces::empty().proc_name(), None);
        assert_eq!(
            Namespaces::PID.proc_name_for_children(),
            Some("pid_for_children")
        );
        assert_eq!(
            Namespaces::TIME.proc_name_for_children(),
            Some("time_for_children")
        );
        assert_eq!(Namespaces::NET.proc_name_for_children(), Some("net"));
    }

    #[test]
    fn flags_are_the_kernel_clone_flags() {
        assert_eq!(Namespaces::USER.bits(), 0x1000_0000);
        assert_eq!(Namespaces::MOUNT.bits(), 0x0002_0000);
        assert_eq!(Namespaces::PID.bits(), 0x2000_0000);
        assert_eq!(Namespaces::NET.bits(), 0x4000_0000);
        assert_eq!(Namespaces::IPC.bits(), 0x0800_0000);
        assert_eq!(Namespaces::UTS.bits(), 0x0400_0000);
        assert_eq!(Namespaces::CGROUP.bits(), 0x0200_0000);
        assert_eq!(Namespaces::TIME.bits(), 0x80);
        for ns in Namespaces::all().iter() {
            assert!(ns.link_type().is_some(), "{ns}");
        }
    }

    #[test]
    fn display_lists_proc_names() {
        assert_eq!(
            (Namespaces::USER | Namespaces::MOUNT | Namespaces::PID).to_string(),
            "user|mnt|pid"
        );
        assert_eq!(Namespaces::empty().to_string(), "none");
        assert_eq!(
            (Namespaces::NET | Namespaces::from_bits_retain(0x400)).to_string(),
            "net|0x400"
        );
    }

    #[test]
    fn several_types_are_refused_before_any_syscall() {
        let two = Namespaces::USER | Namespaces::NET;
        for result in [
            namespace_id(two).map(drop),
            namespace_id_of(rustix::process::getpid(), two).map(drop),
            open_namespace(two).map(drop),
            namespace_id(Namespaces::empty()).map(drop),
        ] {
            assert!(
                matches!(result, Err(Error::NotSingleNamespace { .. })),
                "{result:?}"
            );
        }
        let err = setns(rustix::stdio::stdin(), two).unwrap_err();
        assert!(matches!(err, Error::NotSingleNamespace { namespaces } if namespaces == two));
        assert_eq!(err.to_string(), "user|net is not a single namespace type");
        assert_eq!(err.errno(), None);
    }

    #[test]
    fn unknown_flags_are_refused() {
        // CLONE_FILES: the one flag that would make unshare unsound with threads.
        let err = unshare(Namespaces::from_bits_retain(0x400)).unwrap_err();
        assert!(
            matches!(err, Error::UnknownNamespaces { bits: 0x400 }),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "unknown namespace flags 0x400");
    }

    #[test]
    fn messages_read_like_log_lines() {
        let err = Error::Unshare {
            namespaces: Namespaces::USER | Namespaces::MOUNT,
            errno: rustix::io::Errno::PERM,
        };
        assert_eq!(
            err.to_string(),
            "unshare user|mnt: Operation not permitted (os error 1)"
        );
        assert!(
            std::error::Error::source(&err).is_none(),
            "the errno is no source"
        );
        assert_eq!(err.errno(), Some(rustix::io::Errno::PERM));
        assert_eq!(err.path(), None);
        let err = Error::WriteIdMap {
            path: "/proc/self/uid_map".into(),
            errno: rustix::io::Errno::PERM,
        };
        assert_eq!(
            err.to_string(),
            "write /proc/self/uid_map: Operation not permitted (os error 1)"
        );
        assert_eq!(err.path(), Some(std::path::Path::new("/proc/self/uid_map")));
        let err = Error::MultiThreaded { threads: 2 };
        assert_eq!(
            err.to_string(),
            "the process has 2 threads; unshare and fork need exactly one"
        );
    }
}
