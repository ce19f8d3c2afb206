//! Namespaces of the scenario's own, made with plain system calls (never with the crates
//! under test): a user namespace mapping the caller's ids to themselves, and a mount
//! namespace whose mounts no one else sees.
//!
//! Each of these changes the calling process for good: call them in the scenario
//! process (a fresh one per scenario) or in a forked child ([`crate::in_child`]).

use rustix::io::Errno;
use rustix::mount::MountPropagationFlags;
use rustix::process::{getgid, getuid};
use rustix::thread::UnshareFlags;

use crate::{ensure, fail, failed, is_root, skip, Fail, TestResult};

/// `unshare(flags)`: moves this process into new namespaces. An unprivileged `NEWUSER`
/// that the kernel refuses (`EPERM`: disabled by sysctl or AppArmor; `ENOSPC`:
/// `user.max_user_namespaces` reached) skips the scenario; any other failure fails it.
///
/// The process must be single-threaded (a user namespace needs it anyway), and `flags`
/// must not hold `FILES`.
pub fn unshare(flags: UnshareFlags) -> TestResult {
    ensure!(
        !flags.contains(UnshareFlags::FILES),
        "unshare(CLONE_FILES) is not for the scenarios"
    );
    // SAFETY: rustix marks unshare unsafe for CLONE_FILES only (threads that would see
    // different descriptor tables); `flags` does not hold it, checked above.
    match unsafe { rustix::thread::unshare_unsafe(flags) } {
        Ok(()) => Ok(()),
        Err(e @ (Errno::PERM | Errno::NOSPC))
            if flags.contains(UnshareFlags::NEWUSER) && !is_root() =>
        {
            skip!(
                "unshare({flags:?}) as uid {}: {e}: unprivileged user namespaces are not \
                 available here",
                getuid().as_raw()
            )
        }
        Err(e) => fail!("unshare({flags:?}): {e}"),
    }
}

/// A new user namespace owning new `extra` namespaces, with this process's uid and gid
/// mapped to themselves (`setgroups` denied first, as the kernel requires of an
/// unprivileged writer).
pub fn enter_user_ns(extra: UnshareFlags) -> TestResult {
    let (uid, gid) = (getuid().as_raw(), getgid().as_raw());
    unshare(UnshareFlags::NEWUSER | extra)?;
    let write = |file: &str, text: String| {
        std::fs::write(file, &text).map_err(|e| failed(format!("write {text:?} to {file}: {e}")))
    };
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1"))
}

/// A mount namespace of our own, plus `extra` namespaces: as root a plain new mount
/// namespace, otherwise in a new user namespace that owns it ([`enter_user_ns`]). The
/// mounts keep their propagation; see [`own_mount_ns`].
pub fn enter_mount_ns(extra: UnshareFlags) -> TestResult {
    if is_root() {
        unshare(UnshareFlags::NEWNS | extra)
    } else {
        enter_user_ns(UnshareFlags::NEWNS | extra)
    }
}

/// [`enter_mount_ns`], then every mount made private (`MS_REC | MS_PRIVATE` on `/`):
/// nothing mounted here reaches the namespace we came from, and nothing mounted there
/// arrives here.
pub fn own_mount_ns(extra: UnshareFlags) -> TestResult {
    enter_mount_ns(extra)?;
    rustix::mount::mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| failed(format!("make / rprivate: {e}")))
}

/// The lines of an id map file (`/proc/PID/uid_map`, `gid_map`), one `[inside, outside,
/// count]` each; empty while the map is unwritten.
pub fn read_id_map(path: &str) -> Result<Vec<[u32; 3]>, Fail> {
    let text = std::fs::read_to_string(path).map_err(|e| failed(format!("read {path}: {e}")))?;
    text.lines()
        .map(|line| {
            let n: Vec<u32> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| failed(format!("{path}: {line:?}: {e}")))?;
            <[u32; 3]>::try_from(n).map_err(|n| failed(format!("{path}: {n:?}")))
        })
        .collect()
}
