//! The named steps of entering, in order: what an [`Error::Setup`](crate::Error::Setup)
//! says failed.

use std::fmt;

/// The setup steps of [`Sandbox::enter`](crate::Sandbox::enter), in order.
///
/// An [`Error::Setup`](crate::Error::Setup) names the step it failed in, whether the failure happened in the
/// original process or in the sandboxed child (which reports it over a pipe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Step {
    /// Counting the threads of the calling process.
    CheckThreads = 1,
    /// `unshare(2)` of the namespaces the original process creates (user, pid, time).
    UnshareParent,
    /// Writing `/proc/self/setgroups`, `gid_map` and `uid_map`.
    WriteIdMaps,
    /// Preparing the pipe and the parent watch before forking.
    PrepareFork,
    /// `fork(2)` into the new pid namespace.
    Fork,
    /// `PR_SET_PDEATHSIG` and the check that the parent is still alive.
    DieWithParent,
    /// `fchdir(2)` to the shared directory, before the mount namespace is unshared.
    EnterSharedDir,
    /// `unshare(2)` of the namespaces the sandboxed child creates (mount, net, ipc, uts, cgroup).
    UnshareChild,
    /// Changing the propagation of `/` (slave or private, recursively).
    Propagation,
    /// Mounting a fresh proc on `/proc`.
    MountProc,
    /// Capturing `/proc/self/fd` as a verified handle.
    CaptureProcFd,
    /// Bind-mounting the shared directory onto itself.
    BindSharedDir,
    /// Remounting the shared directory read-only.
    ReadOnly,
    /// `pivot_root(2)` into the shared directory and detaching the old root.
    PivotRoot,
    /// `chroot(2)` into the shared directory (chroot mode).
    Chroot,
    /// Reading the sandboxed child's report.
    Report,
    /// Checking the descriptors the process holds, and closing or marking the inherited
    /// ones (see [`InheritedFds`](crate::InheritedFds)).
    Fds,
    /// Remounting the shared directory `nodev`.
    Nodev,
    /// Checking that the cwd is the new root, after the pivot.
    CheckCwd,
    /// A hardening option: `RLIMIT_NOFILE`, `setsid(2)`, `PR_SET_NO_NEW_PRIVS`.
    Hardening,
    /// Dropping the capabilities not kept (bounding, ambient, then `capset(2)`).
    Capabilities,
    /// Forking the daemon under the minimal init.
    Init,
    /// `setns(2)` into a user, mount or network namespace given to the builder.
    JoinNamespace,
    /// Joining a fresh, anonymous session keyring (`keyctl(KEYCTL_JOIN_SESSION_KEYRING)`).
    Keyring,
    /// Setting `user.max_user_namespaces` to 0 in the sandbox's user namespace.
    NestedUserNamespaces,
    /// Taking the uid and gid the sandboxed process runs as inside its user namespace
    /// (`setresgid(2)`, `setresuid(2)`).
    SwitchIds,
    /// Replacing a kept descriptor of the shared directory's tree by one on the sandbox's
    /// own mounts.
    KeptDescriptor,
    /// Installing the seccomp filter, the last step.
    Seccomp,
    /// Restricting the process with Landlock to the shared directory.
    Landlock,
    /// Making the empty network namespace of a [`SharedNetwork`](crate::SharedNetwork)
    /// (before any sandbox, in [`SharedNetwork::new`](crate::SharedNetwork::new)).
    SharedNetwork,
}

impl Step {
    const ALL: [Step; 30] = [
        Step::CheckThreads,
        Step::UnshareParent,
        Step::WriteIdMaps,
        Step::PrepareFork,
        Step::Fork,
        Step::DieWithParent,
        Step::EnterSharedDir,
        Step::UnshareChild,
        Step::Propagation,
        Step::MountProc,
        Step::CaptureProcFd,
        Step::BindSharedDir,
        Step::ReadOnly,
        Step::PivotRoot,
        Step::Chroot,
        Step::Report,
        Step::Fds,
        Step::Nodev,
        Step::CheckCwd,
        Step::Hardening,
        Step::Capabilities,
        Step::Init,
        Step::JoinNamespace,
        Step::Keyring,
        Step::NestedUserNamespaces,
        Step::SwitchIds,
        Step::KeptDescriptor,
        Step::Seccomp,
        Step::Landlock,
        Step::SharedNetwork,
    ];

    /// A short, stable name for logs (`mount-proc`).
    pub fn name(self) -> &'static str {
        match self {
            Step::CheckThreads => "check-threads",
            Step::UnshareParent => "unshare-parent",
            Step::WriteIdMaps => "write-id-maps",
            Step::PrepareFork => "prepare-fork",
            Step::Fork => "fork",
            Step::DieWithParent => "die-with-parent",
            Step::EnterSharedDir => "enter-shared-dir",
            Step::UnshareChild => "unshare-child",
            Step::Propagation => "propagation",
            Step::MountProc => "mount-proc",
            Step::CaptureProcFd => "capture-proc-fd",
            Step::BindSharedDir => "bind-shared-dir",
            Step::ReadOnly => "read-only",
            Step::PivotRoot => "pivot-root",
            Step::Chroot => "chroot",
            Step::Report => "report",
            Step::Fds => "fds",
            Step::Nodev => "nodev",
            Step::CheckCwd => "check-cwd",
            Step::Hardening => "hardening",
            Step::Capabilities => "capabilities",
            Step::Init => "init",
            Step::JoinNamespace => "join-namespace",
            Step::Keyring => "keyring",
            Step::NestedUserNamespaces => "nested-user-namespaces",
            Step::SwitchIds => "switch-ids",
            Step::KeptDescriptor => "kept-descriptor",
            Step::Seccomp => "seccomp",
            Step::Landlock => "landlock",
            Step::SharedNetwork => "shared-network",
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<Step> {
        Step::ALL.into_iter().find(|s| *s as u8 == v)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_round_trips_through_its_byte() {
        for s in Step::ALL {
            assert_eq!(Step::from_u8(s as u8), Some(s));
        }
        assert_eq!(Step::from_u8(0), None);
        assert_eq!(Step::from_u8(200), None);
    }
}
