//! Who the scenario runs as: root or not, and dropping to uid 65534.
//!
//! `cargo xtask test` runs every binary twice, as root and as uid 65534; a scenario about
//! one of the two paths skips in the other run ([`require_root`],
//! [`require_unprivileged`]), and a root scenario can take the unprivileged path in a
//! forked child ([`become_nobody`]).

use rustix::process::{geteuid, Gid, Uid};

use crate::{failed, skip, TestResult};

/// uid and gid of `nobody`, which the unprivileged run takes.
pub const NOBODY: u32 = 65534;

/// Whether this process runs with euid 0.
pub fn is_root() -> bool {
    geteuid().is_root()
}

/// Skips unless the process runs as root.
pub fn require_root() -> TestResult {
    if !is_root() {
        skip!("needs root (running as uid {})", geteuid().as_raw());
    }
    Ok(())
}

/// Skips when the process runs as root: for scenarios about the unprivileged path.
pub fn require_unprivileged() -> TestResult {
    if is_root() {
        skip!("covers the unprivileged path; the unprivileged run of `cargo xtask test` runs it");
    }
    Ok(())
}

/// As root, drops this process to uid and gid [`NOBODY`] with no supplementary groups,
/// and so every capability; as anyone else, does nothing. Keeps the process dumpable: a
/// change of ids clears that, and then `/proc/self` belongs to root, which `newuidmap`
/// and writing the process's own id maps refuse.
///
/// The ids are the calling thread's (`setresuid(2)` on the thread): call it in a
/// single-threaded process, such as a forked child of a scenario ([`crate::in_child`]),
/// where the scenario process itself must keep root.
pub fn become_nobody() -> TestResult {
    if !is_root() {
        return Ok(());
    }
    let (gid, uid) = (Gid::from_raw(NOBODY), Uid::from_raw(NOBODY));
    rustix::thread::set_thread_groups(&[]).map_err(|e| failed(format!("setgroups: {e}")))?;
    rustix::thread::set_thread_res_gid(gid, gid, gid)
        .map_err(|e| failed(format!("setresgid {NOBODY}: {e}")))?;
    rustix::thread::set_thread_res_uid(uid, uid, uid)
        .map_err(|e| failed(format!("setresuid {NOBODY}: {e}")))?;
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable)
        .map_err(|e| failed(format!("PR_SET_DUMPABLE: {e}")))
}

/// Drops every capability of this process (effective, permitted, inheritable; the
/// bounding set stays): after a user namespace of the scenario's own, the sandbox then
/// meets an unprivileged process there, as a daemon in a container does.
pub fn drop_all_capabilities() -> TestResult {
    let none = rustix::thread::CapabilitySet::empty();
    rustix::thread::set_capabilities(
        None,
        rustix::thread::CapabilitySets {
            effective: none,
            permitted: none,
            inheritable: none,
        },
    )
    .map_err(|e| failed(format!("capset to nothing: {e}")))
}
