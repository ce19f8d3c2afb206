//! What this process may do by its capabilities, not by its uid: the one place that
//! decides whether [`Mode::Namespace`](crate::Mode::Namespace) enters as a privileged
//! process (namespaces made directly) or as an unprivileged one (a user namespace first).
//!
//! A uid of 0 says little on its own: a container's root, a root daemon started by
//! `capsh --drop=cap_sys_admin` or a systemd unit with `CapabilityBoundingSet=` lacks
//! `CAP_SYS_ADMIN`, and the kernel refuses it every namespace but a user namespace, which
//! any process may create (where the sysctls allow). A daemon with uid 1000 and
//! `CAP_SYS_ADMIN` in its effective set (ambient capabilities) may make them all. The
//! kernel decides by the effective capabilities in the process's own user namespace, and
//! so does this module.

use std::sync::atomic::{AtomicU64, Ordering};

use rustix::thread::CapabilitySet;

/// The effective set when the process last built a sandbox; `u64::MAX` before any build.
static AT_BUILD: AtomicU64 = AtomicU64::new(u64::MAX);

/// The effective capabilities of the calling thread (the process: entering needs one
/// thread), read with `capget(2)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Privilege {
    effective: CapabilitySet,
}

impl Privilege {
    /// The capabilities now. Where `capget` fails (it does not, for the calling thread)
    /// the process counts as having none: it then takes the unprivileged path, which
    /// needs none.
    pub(crate) fn current() -> Privilege {
        let effective = rustix::thread::capabilities(None)
            .map(|sets| sets.effective)
            .unwrap_or_else(|_| CapabilitySet::empty());
        Privilege { effective }
    }

    /// The capabilities the process had when it last built a sandbox (else now): what
    /// advice after a failed [`Sandbox::enter`](crate::Sandbox::enter) goes by. Entering
    /// may have moved the original process into a new user namespace, where it holds every
    /// capability, though only in there.
    pub(crate) fn at_build() -> Privilege {
        match AT_BUILD.load(Ordering::Relaxed) {
            u64::MAX => Privilege::current(),
            bits => Privilege {
                effective: CapabilitySet::from_bits_retain(bits),
            },
        }
    }

    /// Records these as the capabilities at build, for [`Privilege::at_build`].
    pub(crate) fn remember(self) -> Privilege {
        AT_BUILD.store(self.effective.bits(), Ordering::Relaxed);
        self
    }

    /// Whether the process creates the mount, pid, network and other namespaces itself,
    /// without a user namespace first: `CAP_SYS_ADMIN` in its user namespace. Also what
    /// exempts it from the switches that forbid unprivileged user namespaces (AppArmor's
    /// `apparmor_restrict_unprivileged_userns`, Debian's `unprivileged_userns_clone`).
    pub(crate) fn makes_namespaces(self) -> bool {
        self.effective.contains(CapabilitySet::SYS_ADMIN)
    }

    /// Whether the process may write any uid and gid map for a child user namespace from
    /// outside (`CAP_SETUID` and `CAP_SETGID` in its user namespace), without
    /// `newuidmap` and `newgidmap`.
    pub(crate) fn writes_any_id_map(self) -> bool {
        self.effective
            .contains(CapabilitySet::SETUID | CapabilitySet::SETGID)
    }

    /// Whether `RLIMIT_NPROC` spares the process: `CAP_SYS_RESOURCE` or `CAP_SYS_ADMIN`
    /// (uid 0 of the initial user namespace is spared too, whatever its capabilities).
    pub(crate) fn exempt_from_nproc(self) -> bool {
        self.effective
            .intersects(CapabilitySet::SYS_RESOURCE | CapabilitySet::SYS_ADMIN)
    }

    /// Whether the process may `chroot(2)`: what [`Mode::Chroot`](crate::Mode::Chroot)
    /// needs.
    pub(crate) fn may_chroot(self) -> bool {
        self.effective.contains(CapabilitySet::SYS_CHROOT)
    }
}
