//! What the audit compares the kernel's answers with: [`Before`], the original process's
//! state taken before anything changes, and [`Expected`], what the sandbox asked for.

use std::os::fd::{OwnedFd, RawFd};
use std::path::Path;

use rustix::io::Errno;
use rustix::thread::CapabilitySet;

use crate::{IdMap, InheritedFds, Mode, NamespaceId, Namespaces, Sandbox};

/// The original process's state, taken at the top of [`Sandbox::enter`] before anything
/// changes: what the sandboxed process's own must differ from.
///
/// Holds no descriptor: the sandboxed child forgets its copy unfreed (`let_go_in_child`).
#[derive(Debug, Clone)]
pub(crate) struct Before {
    /// Its pid, session and process group (as its pid namespace numbers them).
    pub(super) pid: i32,
    pub(super) sid: Result<i32, Errno>,
    pub(super) pgid: Result<i32, Errno>,
    /// Its session keyring's serial number.
    pub(super) keyring: Result<i32, Errno>,
    /// The ids of its namespaces of the types the sandbox creates.
    pub(super) namespaces: Vec<(Namespaces, Result<NamespaceId, Errno>)>,
    /// The maps the sandbox's user namespace gets ([`Sandbox::uid_map`],
    /// [`Sandbox::gid_map`]): they depend on this process's euid and egid, so they are
    /// taken here, before the unshare changes what the ids read as.
    pub(super) maps: Option<(Vec<IdMap>, Vec<IdMap>)>,
}

impl Default for Before {
    /// Nothing taken (a sandbox that was never entered): every comparison fails.
    fn default() -> Self {
        Before {
            pid: 0,
            sid: Err(Errno::NODATA),
            pgid: Err(Errno::NODATA),
            keyring: Err(Errno::NODATA),
            namespaces: Vec::new(),
            maps: None,
        }
    }
}

impl Before {
    /// Reads the state of the calling process, the original one, for `sandbox`.
    /// A few system calls: a pidfd, one ioctl and fstat per namespace type created,
    /// `getsid`, `getpgid`, `keyctl`.
    pub(crate) fn capture(sandbox: &Sandbox) -> Before {
        let created = match sandbox.mode {
            Mode::Namespace => sandbox.namespaces,
            _ => Namespaces::empty(),
        };
        let pidfd = own_pidfd();
        let (sid, pgid) = crate::sys::session_and_group();
        Before {
            pid: rustix::process::getpid().as_raw_nonzero().get(),
            sid,
            pgid,
            keyring: crate::sys::session_keyring_id(),
            namespaces: created
                .iter()
                .map(|ns| (ns, namespace_id(pidfd.as_ref(), ns, Proc::Fallback)))
                .collect(),
            maps: sandbox.uid_map().zip(sandbox.gid_map()),
        }
    }

    /// The original process's id of the namespace `ns`, as read then.
    pub(super) fn namespace(&self, ns: Namespaces) -> Option<&Result<NamespaceId, Errno>> {
        self.namespaces
            .iter()
            .find(|(one, _)| *one == ns)
            .map(|(_, id)| id)
    }
}

/// A pidfd on the calling process, for [`namespace_id`]; `Err` where pidfds are missing
/// (Linux 5.3) or refused.
pub(super) fn own_pidfd() -> Result<OwnedFd, Errno> {
    rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )
}

/// Whether [`namespace_id`] may fall back to `/proc/self/ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Proc {
    /// In the original process, where `/proc` is the host's.
    Fallback,
    /// In the sandboxed process: a `/proc` path there resolves in the shared directory,
    /// whose files others (a file server's clients) may have made.
    Never,
}

/// The calling process's namespace of type `ns`: through `pidfd` (Linux 6.11), else, where
/// `proc` allows, through `/proc/self/ns`. The errno is the pidfd way's, the one that
/// should have worked.
pub(super) fn namespace_id(
    pidfd: Result<&OwnedFd, &Errno>,
    ns: Namespaces,
    proc: Proc,
) -> Result<NamespaceId, Errno> {
    let through_pidfd = match pidfd {
        Ok(fd) => sandbox_namespaces::namespace_id_of_pidfd(fd, ns)
            .map_err(|e| e.errno().unwrap_or(Errno::INVAL)),
        Err(errno) => Err(*errno),
    };
    match proc {
        Proc::Fallback => {
            through_pidfd.or_else(|errno| sandbox_namespaces::namespace_id(ns).map_err(|_| errno))
        }
        Proc::Never => through_pidfd,
    }
}

/// The user namespace the sandbox made, as the sandboxed process read it while its fresh
/// proc was still mounted.
#[derive(Debug)]
pub(crate) struct UserNamespace {
    /// The maps asked for (see [`Before::maps`]).
    pub(super) asked: Option<(Vec<IdMap>, Vec<IdMap>)>,
    /// `/proc/self/uid_map` and `gid_map`, read back.
    pub(super) read: Result<(Vec<IdMap>, Vec<IdMap>), sandbox_namespaces::Error>,
    /// The namespace they belong to.
    pub(super) id: Result<NamespaceId, sandbox_namespaces::Error>,
}

/// What the sandbox asked for, as the audit compares it, stored in
/// [`Inside`](crate::Inside) (boxed: it is large next to [`Child`](crate::Child)). In
/// [`Mode::Namespace`] the original process makes it just before the fork and the
/// sandboxed child adds the user namespace's maps, read back; in the other modes the
/// process makes it while it sets itself up.
#[derive(Debug)]
pub(crate) struct Expected {
    pub(super) mode: Mode,
    /// The namespaces the sandbox created (joined ones are not in it).
    pub(super) created: Namespaces,
    /// The device and inode of the shared directory opened at build.
    pub(super) shared: Result<(u64, u64), Errno>,
    pub(super) read_only: bool,
    pub(super) nodev: bool,
    /// The capabilities kept; `None` where the mode drops none.
    pub(super) keep_caps: Option<CapabilitySet>,
    /// The bounding set could not be dropped (an unprivileged process without
    /// `CAP_SETPCAP` in an in-place mode; under `no_new_privs` it gains nothing from it).
    pub(super) bounding_fixed: bool,
    /// Whether a seccomp filter was installed.
    pub(super) filter: bool,
    /// Why `no_new_privs` must be set, if it must.
    pub(super) no_new_privs: Option<&'static str>,
    /// Whether the Landlock layer was asked for; `None`: the sandbox has no such option.
    pub(super) landlock: Option<bool>,
    /// The user namespace the sandbox made, if it made one.
    pub(super) user_ns: Option<UserNamespace>,
    /// `new_session`; `None` where the mode does not apply it.
    pub(super) new_session: Option<bool>,
    /// Whether a minimal init is pid 1 (the daemon then shares its session).
    pub(super) init: bool,
    /// `new_keyring`; `None` where the mode does not apply it.
    pub(super) new_keyring: Option<bool>,
    /// The kept descriptors' numbers; `None` where the mode closes none.
    pub(super) kept_fds: Option<Vec<RawFd>>,
    pub(super) inherited_fds: InheritedFds,
    pub(super) before: Before,
}

impl Expected {
    /// What a [`Mode::Namespace`] sandbox asked for; in the original process before the
    /// fork, so that the sandboxed child allocates nothing for it. The child then reads
    /// the id maps back with [`read_user_namespace`](Self::read_user_namespace).
    pub(crate) fn namespace(sandbox: &Sandbox) -> Box<Expected> {
        let options = &sandbox.hardening;
        let no_new_privs = if options.no_new_privs {
            Some("no_new_privs(true)")
        } else if sandbox.seccomp.is_some() && !options.keep_caps.contains(CapabilitySet::SYS_ADMIN)
        {
            Some("seccomp without CAP_SYS_ADMIN")
        } else {
            None
        };
        let kept_fds =
            (options.inherited_fds == InheritedFds::Close).then(|| options.kept_fd_numbers());
        Box::new(Expected {
            mode: Mode::Namespace,
            created: sandbox.namespaces,
            shared: shared_identity(sandbox),
            read_only: sandbox.read_only,
            nodev: options.nodev,
            keep_caps: Some(options.keep_caps),
            bounding_fixed: false,
            filter: sandbox.seccomp.is_some(),
            no_new_privs,
            landlock: Some(options.landlock),
            user_ns: None,
            new_session: Some(options.new_session),
            init: options.init,
            new_keyring: Some(options.new_keyring),
            kept_fds,
            inherited_fds: options.inherited_fds,
            before: sandbox.before.clone(),
        })
    }

    /// In the sandboxed child, while its fresh proc is mounted at `proc`: the user
    /// namespace the sandbox made (if it made one), its id maps read back.
    pub(crate) fn read_user_namespace(&mut self, proc: &Path) {
        if !self.created.contains(Namespaces::USER) {
            return;
        }
        self.user_ns = Some(UserNamespace {
            asked: self.before.maps.clone(),
            read: sandbox_namespaces::read_id_map(proc.join("self/uid_map")).and_then(|uid| {
                Ok((
                    uid,
                    sandbox_namespaces::read_id_map(proc.join("self/gid_map"))?,
                ))
            }),
            id: sandbox_namespaces::namespace_id(Namespaces::USER),
        });
    }

    /// What a sandbox of a mode that forks nothing asked for: in [`Mode::Landlock`] and
    /// [`Mode::Chroot`] the capabilities, session, keyring and descriptors as in the
    /// namespace mode, the Landlock layer, and (chroot) the root; in [`Mode::None`] the
    /// filter only. In the process itself, after the capabilities were dropped and before
    /// the filter is installed; `bounding_fixed` when the process could not drop from its
    /// bounding set.
    pub(crate) fn in_place(sandbox: &Sandbox, bounding_fixed: bool) -> Box<Expected> {
        let options = &sandbox.hardening;
        let has_sys_admin = rustix::thread::capabilities(None)
            .map(|c| c.effective.contains(CapabilitySet::SYS_ADMIN))
            .unwrap_or(false);
        let filter = sandbox.seccomp.is_some();
        let confining = sandbox.mode != Mode::None;
        let kept_fds = (confining && options.inherited_fds == InheritedFds::Close)
            .then(|| options.kept_fd_numbers());
        Box::new(Expected {
            mode: sandbox.mode,
            created: Namespaces::empty(),
            shared: shared_identity(sandbox),
            read_only: false,
            nodev: false,
            keep_caps: confining.then_some(options.keep_caps),
            bounding_fixed,
            filter,
            no_new_privs: (filter && !has_sys_admin).then_some("seccomp without CAP_SYS_ADMIN"),
            landlock: match sandbox.mode {
                Mode::Landlock => Some(true),
                Mode::Chroot => Some(options.landlock),
                _ => None,
            },
            user_ns: None,
            new_session: confining.then_some(options.new_session),
            init: false,
            new_keyring: confining.then_some(options.new_keyring),
            kept_fds,
            inherited_fds: options.inherited_fds,
            before: sandbox.before.clone(),
        })
    }
}

/// The device and inode of the shared directory the sandbox holds open.
fn shared_identity(sandbox: &Sandbox) -> Result<(u64, u64), Errno> {
    rustix::fs::fstat(&sandbox.dir).map(|st| (st.st_dev, st.st_ino))
}
