//! Why mounting a fresh proc was refused: the mounts that cover parts of the host's proc
//! ([`Cause::ProcCovered`]), found in `/proc/self/mountinfo`.
//!
//! In a mount namespace that belongs to a user namespace other than the initial one, the
//! kernel mounts a new proc only while some proc of that namespace is fully visible (see
//! [`sandbox_mount::mountinfo::ProcVisibility`]): container runtimes mask `/proc/kcore`,
//! `/proc/sys` and others with mounts, and then `mount proc` fails with `EPERM`.

use std::fmt;
use std::path::PathBuf;

use rustix::io::Errno;
use sandbox_mount::mountinfo::{self, ProcVisibility};

use crate::cause::Cause;

/// The cause of `errno` from mounting proc, when it is the kernel's rule about covered
/// procs: `EPERM`, the mount made in a user namespace (`in_user_namespace`: one the caller
/// made, or the caller is not in the initial one), and every proc of the caller's mount
/// namespace covered in part. Reads `/proc/self/mountinfo` now: call it in a process of
/// the mount namespace the proc was refused in, or in the one it was copied from.
pub(crate) fn proc_mount_cause(errno: Errno, in_user_namespace: bool) -> Option<Cause> {
    if errno != Errno::PERM || !in_user_namespace {
        return None;
    }
    match mountinfo::read_self()
        .ok()
        .map(|m| mountinfo::proc_visibility(&m))?
    {
        ProcVisibility::Covered(mounts) => Some(Cause::ProcCovered { mounts }),
        ProcVisibility::FullyVisible(_) | ProcVisibility::NoProc => None,
    }
}

/// Whether this process is in a user namespace other than the initial one; `false` when
/// that cannot be read (no `/proc`).
pub(crate) fn in_child_user_namespace() -> bool {
    sandbox_namespaces::in_initial_user_namespace().is_ok_and(|initial| !initial)
}

/// The text of [`Cause::ProcCovered`].
pub(crate) fn describe(f: &mut fmt::Formatter<'_>, mounts: &[PathBuf]) -> fmt::Result {
    f.write_str("the kernel refuses a new proc in a user namespace while every proc mounted is partly covered; covering mounts: ")?;
    for (i, m) in mounts.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{}", m.display())?;
    }
    f.write_str(
        " (a container runtime's masks): run the daemon where /proc is not masked (docker \
         run --security-opt systempaths=unconfined), with CAP_SYS_ADMIN (docker run \
         --cap-add SYS_ADMIN), which enters without a user namespace, or in \
         Mode::Landlock, which mounts nothing",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_covering_mounts_are_listed_in_one_line() {
        let cause = Cause::ProcCovered {
            mounts: vec!["/proc/kcore".into(), "/proc/sys".into()],
        };
        let text = cause.to_string();
        assert!(
            text.contains("covering mounts: /proc/kcore, /proc/sys ("),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }

    #[test]
    fn only_eperm_in_a_user_namespace_is_blamed_on_covers() {
        assert_eq!(proc_mount_cause(Errno::PERM, false), None);
        assert_eq!(proc_mount_cause(Errno::NOENT, true), None);
    }
}
