//! The resource limits entering runs into: free descriptor numbers below the soft
//! `RLIMIT_NOFILE`, and the limits on processes that make `fork(2)` fail with `EAGAIN`
//! (`RLIMIT_NPROC`, a pids cgroup). What [`Error::cause`](crate::Error::cause) reports when
//! one was reached, and the check of the descriptors before anything changes.

use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use rustix::process::Resource;

use crate::call::{Call, SysError};
use crate::cause::ProcessLimit;
use crate::privilege::Privilege;
use crate::sys;

/// The descriptors the original process holds at once while it enters in
/// [`Mode::Namespace`](crate::Mode::Namespace), on top of those it had: the report pipe
/// (two), the parent watch (a pipe and a pidfd) and the one the fork's thread check reads
/// `/proc/self/task` with. Found by lowering `RLIMIT_NOFILE` until a default sandbox no
/// longer enters; the environment scenarios of `tests/tests/environments.rs` enter with
/// exactly this many free and are refused with one fewer. The id-map helper's two pipes
/// are closed before these are opened, and the sandboxed child needs no more: it closes
/// four of them before it opens anything. A process that holds only its standard input,
/// output and error and the shared directory's descriptor enters with a limit of 10.
pub(crate) const ENTER_DESCRIPTORS: u32 = 6;

/// The soft `RLIMIT_NOFILE`, as a count of descriptor numbers (`None`: unlimited).
fn nofile_limit() -> Option<u64> {
    rustix::process::getrlimit(Resource::Nofile).current
}

/// Checks, before anything changes, that `needed` descriptor numbers are free below the
/// soft `RLIMIT_NOFILE`: the kernel hands out the lowest free number and refuses one at or
/// above the limit (`EMFILE`), so the numbers open above it take no room. Looks from the
/// limit down and stops at the `needed`th free number: a few `fcntl(F_GETFD)` where the
/// table is far from full.
///
/// # Errors
///
/// `EMFILE` from [`Call::ReserveDescriptors`], which says how many are open and the limit.
pub(crate) fn reserve_descriptors(needed: u32) -> Result<(), SysError> {
    let Some(limit) = nofile_limit() else {
        return Ok(());
    };
    let top = limit.min(RawFd::MAX as u64) as RawFd;
    let mut free = 0;
    for fd in (0..top).rev() {
        if sys::fd_flags(fd) == Err(Errno::BADF) {
            free += 1;
            if free >= needed {
                return Ok(());
            }
        }
    }
    Err(SysError::new(
        Call::ReserveDescriptors {
            needed,
            open: (top as u32).saturating_sub(free),
            limit,
        },
        Errno::MFILE,
    ))
}

/// How many descriptors below the soft `RLIMIT_NOFILE` are open now, and that limit:
/// `/proc/self/fd` where it can be listed, else a `fcntl(F_GETFD)` on each number (at most
/// 65536). `None` for an unlimited limit.
pub(crate) fn descriptors_open() -> Option<(u32, u64)> {
    let limit = nofile_limit()?;
    let listed = std::fs::read_dir("/proc/self/fd").ok().map(|dir| {
        dir.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok())
            .filter(|&fd| fd < limit)
            .count() as u32
    });
    // The listing held a descriptor of its own, counted above.
    let open = match listed {
        Some(n) => n.saturating_sub(1),
        None => (0..limit.min(65536) as RawFd)
            .filter(|&fd| sys::fd_flags(fd).is_ok())
            .count() as u32,
    };
    Some((open, limit))
}

/// Which limit on processes made `fork(2)` fail with `EAGAIN`, as far as this process can
/// tell now: a pids cgroup at its `pids.max` (its own or an ancestor), else an
/// `RLIMIT_NPROC` that applies to it and that the real uid's tasks have reached, else
/// [`ProcessLimit::Unknown`] (`kernel.threads-max`, `kernel.pid_max`). A finite limit alone
/// says little: sessions often carry one of tens of thousands. Reads `/proc` (every
/// process's status): for the error path only.
pub(crate) fn process_limit() -> ProcessLimit {
    if let Some((cgroup, max)) = pids_cgroup_at_max() {
        return ProcessLimit::PidsCgroup { cgroup, max };
    }
    match rustix::process::getrlimit(Resource::Nproc).current {
        Some(limit) if !exempt_from_nproc() && tasks_of_real_uid().is_some_and(|n| n >= limit) => {
            ProcessLimit::Nproc { limit }
        }
        _ => ProcessLimit::Unknown,
    }
}

/// The tasks whose real uid is this process's, which is what `RLIMIT_NPROC` counts
/// (threads, not processes): the `Threads:` of each `/proc/<pid>/status` whose `Uid:`
/// line starts with that uid. `None` where `/proc` cannot be listed.
///
/// `/proc` shows the tasks of its pid namespace only, so a count can fall short of the
/// kernel's (never exceed it), and the answer is then `Unknown` rather than a wrong limit.
/// One exception: seen from a user namespace, the uids of processes outside its map read
/// as the overflow uid (65534), so where this process's own uid reads as that too, other
/// users' processes count with it.
fn tasks_of_real_uid() -> Option<u64> {
    let uid = rustix::process::getuid().as_raw();
    let mut tasks = 0u64;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        if !name
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        // A process that has ended since the listing has no status any more.
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let (mut real, mut threads) = (None, None);
        for line in status.lines() {
            if let Some(ids) = line.strip_prefix("Uid:") {
                real = ids
                    .split_whitespace()
                    .next()
                    .and_then(|u| u.parse::<u32>().ok());
            } else if let Some(n) = line.strip_prefix("Threads:") {
                threads = n.trim().parse::<u64>().ok();
            }
        }
        if real == Some(uid) {
            tasks += threads.unwrap_or(1);
        }
    }
    Some(tasks)
}

/// Whether the kernel spares this process `RLIMIT_NPROC` at `fork`: a real uid that is
/// host root (uid 0 of the initial user namespace, also when mapped into another), or
/// `CAP_SYS_RESOURCE` or `CAP_SYS_ADMIN` in the initial user namespace. The original
/// process asks after it unshared its user namespace, where it holds every capability:
/// those do not count.
fn exempt_from_nproc() -> bool {
    let uid = rustix::process::getuid().as_raw();
    let initial = sandbox_namespaces::in_initial_user_namespace().unwrap_or(true);
    if initial {
        return uid == 0 || Privilege::current().exempt_from_nproc();
    }
    // One level up, through this namespace's map: enough for a namespace made from the
    // initial one, as entering makes it.
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    map.lines().any(|line| {
        let n: Vec<u64> = line
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        matches!(n[..], [inside, outside, count]
            if (inside..inside + count).contains(&u64::from(uid)) && outside + (u64::from(uid) - inside) == 0)
    })
}

/// The pids cgroup of this process, or an ancestor of it, whose `pids.current` has reached
/// its `pids.max`: the directory, and that maximum. Looks at the pids hierarchy of cgroup
/// v1 and at cgroup v2, as `/proc/self/cgroup` and the mounts name them.
fn pids_cgroup_at_max() -> Option<(PathBuf, u64)> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mounts = sandbox_mount::mountinfo::read_self().ok()?;
    for line in cgroups.lines() {
        // hierarchy-id:controllers:path; v2 has no controllers.
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let v2 = controllers.is_empty();
        if !v2 && !controllers.split(',').any(|c| c == "pids") {
            continue;
        }
        let hierarchies = mounts.iter().filter(|m| match v2 {
            true => m.fs_type == "cgroup2",
            false => m.fs_type == "cgroup" && m.super_options.iter().any(|o| o == "pids"),
        });
        for mount in hierarchies {
            let Ok(below) = Path::new(path).strip_prefix(&mount.root) else {
                continue;
            };
            let mut dir = mount.mount_point.join(below);
            loop {
                if let Some(max) = at_max(&dir) {
                    return Some((dir, max));
                }
                if dir == mount.mount_point || !dir.pop() {
                    break;
                }
            }
        }
    }
    None
}

/// `pids.max` of the cgroup `dir` when `pids.current` has reached it.
fn at_max(dir: &Path) -> Option<u64> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let max: u64 = read("pids.max")?.trim().parse().ok()?;
    let current: u64 = read("pids.current")?.trim().parse().ok()?;
    (current >= max).then_some(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_uid_s_tasks_include_this_process() {
        // Other test threads come and go meanwhile: this process counts at least once.
        let counted = tasks_of_real_uid().expect("/proc lists");
        assert!(counted >= 1, "{counted} tasks counted for the real uid");
    }
}
