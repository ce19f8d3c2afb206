//! The Landlock layer: the process restricts itself (Landlock, Linux 5.13, no privilege
//! needed) to the shared directory: [`Mode::Landlock`](crate::Mode::Landlock)'s only wall
//! on the file system, and a second wall behind the mounts in the other modes.
//!
//! Built with the Landlock project's `landlock` crate, best effort: a kernel with an older
//! ABI enforces what it knows (file access from ABI 1, truncation from 3, TCP from 4,
//! device ioctls from 5, scopes from 6), a kernel without Landlock enforces nothing, and
//! [`Enforced`] says which happened. The rules:
//!
//! - beneath the root directory given: reading and executing, and, unless read-only,
//!   writing, creating and removing (device nodes only when `devices`);
//! - nothing anywhere else, `/proc` included: a path, or a descriptor opened later
//!   through a magic link, that leads outside gets `EACCES`. The proc-fd handle's magic
//!   links lead to the files themselves, so reopening a file beneath the root works; the
//!   handle's directory cannot even be listed. Descriptors opened before keep their
//!   access.
//! - with `isolate`: TCP bind and connect refused (ABI 4), signals to, and abstract UNIX
//!   sockets of, processes outside the Landlock domain refused (ABI 6).

use std::os::fd::BorrowedFd;

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, PathBeneath, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetError, RulesetStatus, Scope, ABI,
};
use rustix::io::Errno;

use crate::call::{Call, SysError};

/// The newest ABI whose rights this layer asks for; a kernel with an older one enforces
/// what it knows.
const TARGET: ABI = ABI::V6;

/// What the layer asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer {
    /// No writing beneath the root.
    pub(crate) read_only: bool,
    /// Creating device nodes beneath the root is allowed (`nodev(false)`).
    pub(crate) devices: bool,
    /// TCP bind and connect refused, signals and abstract sockets scoped.
    pub(crate) isolate: bool,
}

impl crate::Sandbox {
    /// The layer this sandbox asks for: read-only as [`Builder::read_only`](crate::Builder::read_only)
    /// says, device nodes only without `nodev`, and with `isolate` (TCP and scopes) in
    /// [`Mode::Landlock`](crate::Mode::Landlock), where no namespace does that.
    pub(crate) fn landlock_layer(&self, isolate: bool) -> Layer {
        Layer {
            read_only: self.read_only,
            devices: !self.hardening.nodev,
            isolate,
        }
    }
}

/// How much of the Landlock layer the kernel enforces ([`Inside::landlock`](crate::Inside::landlock)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enforced {
    /// Everything asked.
    Fully,
    /// The file-system rules at least, not everything (an older Landlock ABI).
    Partly,
    /// Nothing: the kernel has no Landlock, or it is disabled.
    Not,
}

impl std::fmt::Display for Enforced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Enforced::Fully => "fully enforced",
            Enforced::Partly => "partly enforced (an older Landlock ABI)",
            Enforced::Not => "not enforced (no Landlock in this kernel)",
        })
    }
}

/// The Landlock ABI of the running kernel: `None` without Landlock (not built in, or
/// disabled at boot).
pub fn landlock_abi() -> Option<u32> {
    crate::sys::landlock_abi().ok().filter(|&abi| abi > 0)
}

/// Restricts the calling thread, and the processes it forks later, to `root`, as `layer`
/// says. Sets `no_new_privs` (Landlock requires it without
/// `CAP_SYS_ADMIN`). Best effort: [`Enforced`] says what the kernel took.
///
/// Only the calling thread is restricted: callers are single-threaded.
pub(crate) fn restrict(root: BorrowedFd<'_>, layer: Layer) -> Result<Enforced, SysError> {
    let failed = |e: RulesetError| SysError::new(Call::Landlock, errno_of(&e));
    let read = AccessFs::from_read(TARGET);
    let all = AccessFs::from_all(TARGET);
    let mut allowed: BitFlags<AccessFs> = if layer.read_only { read } else { all };
    if !layer.devices {
        allowed &= !(AccessFs::MakeChar | AccessFs::MakeBlock);
    }
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .map_err(failed)?;
    if layer.isolate {
        ruleset = ruleset
            .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
            .map_err(failed)?
            .scope(Scope::AbstractUnixSocket | Scope::Signal)
            .map_err(failed)?;
    }
    let status = ruleset
        .create()
        .map_err(failed)?
        .add_rule(PathBeneath::new(root, allowed))
        .map_err(failed)?
        .restrict_self()
        .map_err(failed)?;
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => Enforced::Fully,
        RulesetStatus::PartiallyEnforced => Enforced::Partly,
        RulesetStatus::NotEnforced => Enforced::Not,
    })
}

/// The errno behind a `landlock` crate error: the first `io::Error` in its chain.
fn errno_of(e: &(dyn std::error::Error + 'static)) -> Errno {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Errno::from_io_error(io).unwrap_or(Errno::INVAL);
        }
        next = err.source();
    }
    Errno::INVAL
}
