//! What the sandboxed process gives up on its way in: capabilities, device nodes, its
//! controlling terminal and process group, the caller's session keyring, new user
//! namespaces, the caller's credentials where the maps leave them out, gaining privileges
//! through exec; and the checks that the cwd really is inside and the descriptor limit is
//! what a file server needs.

use std::os::fd::RawFd;
use std::path::Path;

use rustix::io::Errno;
use rustix::thread::{CapabilitySet, CapabilitySets};

use crate::call::{Call, SysError};
use crate::error::Error;
use crate::fds::InheritedFds;
use crate::step::Step;

/// The options of the sandbox that concern the process rather than its mounts; kept
/// together so that the builder and the sandbox carry them as one field.
///
/// Holds no descriptor (kept ones are numbers): the sandboxed child forgets its copy
/// unfreed (`let_go_in_child`); a field that owns one must be closed there instead.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) keep_caps: CapabilitySet,
    pub(crate) nodev: bool,
    pub(crate) no_new_privs: bool,
    pub(crate) new_session: bool,
    pub(crate) new_keyring: bool,
    pub(crate) nested_userns: bool,
    pub(crate) raise_nofile: bool,
    pub(crate) init: bool,
    pub(crate) close_fds_in_original: bool,
    pub(crate) keep_fds: Vec<crate::fds::KeptFd>,
    pub(crate) inherited_fds: InheritedFds,
    pub(crate) landlock: bool,
}

impl Options {
    /// The numbers of the kept descriptors.
    pub(crate) fn kept_fd_numbers(&self) -> Vec<RawFd> {
        self.keep_fds.iter().map(|k| k.fd).collect()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep_caps: CapabilitySet::empty(),
            nodev: true,
            no_new_privs: false,
            new_session: true,
            new_keyring: true,
            nested_userns: false,
            raise_nofile: false,
            init: false,
            close_fds_in_original: true,
            keep_fds: Vec::new(),
            inherited_fds: InheritedFds::Close,
            landlock: true,
        }
    }
}

/// Raises the soft and hard `RLIMIT_NOFILE` to `fs.nr_open` (read from `proc`, the fresh
/// proc mounted for the sandbox), or, when that is refused (raising the hard limit needs
/// `CAP_SYS_RESOURCE`), the soft limit to the hard one. Returns the soft limit now in force.
pub(crate) fn raise_nofile(proc: &Path) -> Result<u64, Error> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let step = |e: Errno| Error::setup(Step::Hardening, SysError::new(Call::RaiseNofileLimit, e));
    let now = getrlimit(Resource::Nofile);
    let nr_open = std::fs::read_to_string(proc.join("sys/fs/nr_open"))
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let raised = nr_open.is_some_and(|n| {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(n),
                maximum: Some(n),
            },
        )
        .is_ok()
    });
    if !raised {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: now.maximum,
                maximum: now.maximum,
            },
        )
        .map_err(step)?;
    }
    Ok(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
}

/// Checks, after the pivot, that the cwd is the new root: `getcwd` says `/` (the kernel
/// says `(unreachable)/...` for a cwd outside the root) and `.` is `/` (same device, inode
/// and mount). `getcwd` writes into a buffer on the stack: the freshly forked child
/// allocates nothing on its way in.
pub(crate) fn check_cwd() -> Result<(), Errno> {
    use sandbox_mount::Identity;
    if !crate::sys::cwd_is_root()? || !Identity::of_path(".")?.is_same(&Identity::of_path("/")?) {
        return Err(Errno::XDEV);
    }
    Ok(())
}

/// Cuts the process's ties to the caller, before the minimal init (if any) forks the
/// daemon, so that both leave them: a new session and process group, and a fresh session
/// keyring.
///
/// A process that is already a process-group leader cannot start a session (`EPERM`): that
/// happens only in the modes that fork nothing ([`Mode::Landlock`](crate::Mode::Landlock),
/// [`Mode::Chroot`](crate::Mode::Chroot)), where it keeps its group; there the default
/// seccomp filter refuses `TIOCSTI` and the Landlock layer keeps its signals in.
pub(crate) fn detach(options: &Options) -> Result<(), Error> {
    if options.new_session {
        match rustix::process::setsid() {
            Ok(_) => {}
            Err(Errno::PERM) if is_group_leader() => {}
            Err(e) => {
                return Err(Error::setup(
                    Step::Hardening,
                    SysError::new(Call::Setsid, e),
                ))
            }
        }
    }
    crate::timing::mark(Step::Hardening);
    if options.new_keyring {
        match crate::sys::join_new_session_keyring() {
            // No keyrings in this kernel, or keyctl refused by a seccomp filter that the
            // sandboxed process inherits too: no keyring is reachable from inside.
            Ok(()) | Err(Errno::NOSYS) | Err(Errno::PERM) => {}
            Err(e) => {
                return Err(Error::setup(
                    Step::Keyring,
                    SysError::new(Call::JoinSessionKeyring, e),
                ))
            }
        }
    }
    crate::timing::mark(Step::Keyring);
    Ok(())
}

fn is_group_leader() -> bool {
    rustix::process::getpgrp() == rustix::process::getpid()
}

/// The hardening options that act on the process, in the sandboxed process after the
/// pivot: no_new_privs, and last the capabilities (the other steps may need some of them).
pub(crate) fn after_pivot(options: &Options) -> Result<(), Error> {
    if options.no_new_privs {
        rustix::thread::set_no_new_privs(true)
            .map_err(|e| Error::setup(Step::Hardening, SysError::new(Call::NoNewPrivs, e)))?;
    }
    let keep = options.keep_caps;
    drop_capabilities(keep).map_err(|e| {
        Error::setup(
            Step::Capabilities,
            SysError::new(Call::DropCapabilities { keep }, e),
        )
    })?;
    crate::timing::mark(Step::Capabilities);
    Ok(())
}

/// Sets `user.max_user_namespaces` to 0 in the calling process's user namespace, through
/// `proc` (a proc mounted in it): no user namespace can be created in it or below it any
/// more (`ENOSPC`). Needs `CAP_SYS_RESOURCE` in that user namespace; changing it back needs
/// the same.
pub(crate) fn forbid_user_namespaces(proc: &Path) -> Result<(), SysError> {
    let path = proc.join("sys/user/max_user_namespaces");
    std::fs::write(&path, b"0\n").map_err(|e| {
        SysError::at(
            Call::LimitUserNamespaces,
            path,
            Errno::from_io_error(&e).unwrap_or(Errno::IO),
        )
    })
}

/// Takes `uid` and `gid` as real, effective and saved ids (the ids of the calling
/// process's user namespace), gid first while the uid still allows it. With `clear_groups`
/// (setgroups allowed in the namespace) the supplementary groups are dropped too.
/// Capabilities in the user namespace are kept (`PR_SET_KEEPCAPS` semantics apply only
/// when leaving uid 0, which is then restored by the caller's capability drop anyway).
pub(crate) fn switch_ids(uid: u32, gid: u32, clear_groups: bool) -> Result<(), Errno> {
    use rustix::process::{Gid, Uid};
    if clear_groups {
        rustix::thread::set_thread_groups(&[])?;
    }
    // rustix's set_thread_res_*id act on the calling thread, the only one here.
    let gid = Gid::from_raw(gid);
    rustix::thread::set_thread_res_gid(gid, gid, gid)?;
    let uid = Uid::from_raw(uid);
    rustix::thread::set_thread_res_uid(uid, uid, uid)?;
    Ok(())
}

/// Keeps only `keep` in every capability set of the calling thread: bounding (dropped one
/// by one, `PR_CAPBSET_DROP`; needs `CAP_SETPCAP`, so first), ambient (all cleared in one
/// `PR_CAP_AMBIENT_CLEAR_ALL` when nothing kept can be ambient, else the others lowered),
/// then effective, permitted and inheritable in one `capset(2)`.
///
/// The bounding set has no bulk call: each capability not kept costs one `prctl` (and a
/// new set of credentials in the kernel). The loop stops at the first `EINVAL`, the
/// kernel's last capability passed (capabilities are numbered without gaps). A capability
/// already out of the set is dropped again rather than looked up first: dropping costs
/// little more than asking (`PR_CAPBSET_READ`), and reading `/proc/self/status` once costs
/// more than all the drops (see `cargo xtask bench --steps`).
pub(crate) fn drop_capabilities(keep: CapabilitySet) -> Result<(), Errno> {
    let now = rustix::thread::capabilities(None)?;
    // Dropping from the bounding set needs CAP_SETPCAP. A process without it (an
    // unprivileged one in the modes that make no user namespace) cannot gain any
    // capability back either: its permitted set is what it has, and no_new_privs, which
    // the seccomp filter and the Landlock layer set, stops execve from adding file
    // capabilities. Its bounding set stays as it is.
    if now.effective.contains(CapabilitySet::SETPCAP) {
        for bit in 0..64u32 {
            let cap = CapabilitySet::from_bits_retain(1 << bit);
            if keep.contains(cap) {
                continue;
            }
            match rustix::thread::remove_capability_from_bounding_set(cap) {
                Ok(()) => {}
                // Beyond the kernel's last capability: so are all the ones after it.
                Err(Errno::INVAL) => break,
                Err(e) => return Err(e),
            }
        }
    }
    // A capability is ambient only while it is both permitted and inheritable (the kernel
    // keeps that invariant), so these are the only ones that may need lowering.
    let may_be_ambient = now.permitted & now.inheritable;
    if (may_be_ambient & keep).is_empty() {
        match rustix::thread::clear_ambient_capability_set() {
            // A kernel without ambient capabilities (before 4.3) has none to clear.
            Ok(()) | Err(Errno::INVAL) => {}
            Err(e) => return Err(e),
        }
    } else {
        for bit in 0..64u32 {
            let cap = CapabilitySet::from_bits_retain(1 << bit);
            if !may_be_ambient.contains(cap) || keep.contains(cap) {
                continue;
            }
            match rustix::thread::configure_capability_in_ambient_set(cap, false) {
                // Beyond the last capability, or a kernel without ambient capabilities (4.3).
                Ok(()) | Err(Errno::INVAL) => {}
                Err(e) => return Err(e),
            }
        }
    }
    rustix::thread::set_capabilities(
        None,
        CapabilitySets {
            effective: now.permitted & keep,
            permitted: now.permitted & keep,
            inheritable: now.inheritable & keep,
        },
    )
}
