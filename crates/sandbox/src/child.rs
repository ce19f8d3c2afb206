//! The sandboxed child's side of entering in [`Mode::Namespace`](crate::Mode::Namespace):
//! from the fork to the seccomp filter, in the order the crate docs give.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{Mode as FileMode, OFlags as OpenFlags, CWD};
use sandbox_mount::MountAttr;
use sandbox_process::ParentWatch;

use crate::call::{Call, SysError};
use crate::{
    fds, harden, CapabilitySet, Error, Filter, Inside, MountApi, Namespaces, ProcSelfFd, Sandbox,
    Setgroups, Signal, Step, FORWARDED_SIGNALS,
};

impl Sandbox {
    /// The child's part of the sequence. Any error is sent to the parent by the caller.
    ///
    /// `seal` spares the kept descriptors and the sandbox's own that the child still needs
    /// for a while (the shared directory, the report pipe); `kept_inside` are the kept
    /// descriptors of the shared directory's tree to reopen inside.
    ///
    /// Nothing here allocates on the way to [`Inside`] with the defaults as root (what it
    /// needs is made before the fork; only a user namespace's maps, read back, allocate):
    /// a forked child's first allocations cost it copies of the allocator's pages shared
    /// with its parent, a few microseconds each. `tests/tests/alloc.rs` holds it to that.
    pub(crate) fn set_up_child(
        &self,
        watch: ParentWatch,
        switch_ids: Option<(u32, u32)>,
        seal: &fds::Seal,
        kept_inside: &[fds::KeptInside],
        audit: Box<crate::audit::Expected>,
    ) -> Result<Inside, Error> {
        if self.namespaces.contains(Namespaces::PID) {
            // As pid 1 the child would ignore these (and the die-with-parent signal)
            // without a handler; and SIGABRT, which `abort()` raises, would leave it to
            // die of abort's fallback (a SIGSEGV) instead.
            let mut buf = PID1_SIGNALS;
            let handled = self.pid1_signals(&mut buf, Some(Signal::ABORT));
            // The death signal must not stay ignored (as a SIGTERM under `nohup` could be):
            // the sandbox would outlive its parent. Other ignored signals stay ignored, and
            // handlers the daemon installed before entering keep their place.
            if let Some(die_signal) = self.handled_die_signal() {
                sandbox_process::unignore_signals(&[die_signal])
                    .map_err(|e| Error::setup(Step::DieWithParent, e))?;
            }
            sandbox_process::exit_on_signals(handled)
                .map_err(|e| Error::setup(Step::DieWithParent, e))?;
        }
        if let Some((uid, gid)) = switch_ids {
            // Before the death signal is armed: a change of credentials clears it.
            harden::switch_ids(uid, gid, self.setgroups == Setgroups::Allow).map_err(|e| {
                Error::setup(Step::SwitchIds, SysError::new(Call::SetIds { uid, gid }, e))
            })?;
        }
        watch
            .die_with_parent(self.die_signal)
            .map_err(|e| Error::setup(Step::DieWithParent, e))?;
        crate::timing::mark(Step::DieWithParent);
        seal.apply(self.hardening.inherited_fds)?;
        crate::timing::mark(Step::Fds);

        // unshare(CLONE_NEWNS) moves the cwd into the new mount namespace, while our
        // descriptor keeps pointing into the old one (where no mount operation may use it).
        rustix::process::fchdir(&self.dir).map_err(|e| {
            Error::setup(
                Step::EnterSharedDir,
                SysError::at(Call::Fchdir, &self.path, e),
            )
        })?;
        crate::timing::mark(Step::EnterSharedDir);
        let after_fork = self.namespaces - (Namespaces::USER | Namespaces::PID | Namespaces::TIME);
        sandbox_namespaces::unshare(after_fork).map_err(|e| Error::setup(Step::UnshareChild, e))?;
        crate::timing::mark(Step::UnshareChild);

        sandbox_mount::set_propagation_recursive("/", self.propagation)
            .map_err(|e| Error::setup(Step::Propagation, e))?;
        crate::timing::mark(Step::Propagation);
        sandbox_mount::mount_proc("/proc").map_err(|e| Error::setup(Step::MountProc, e))?;
        crate::timing::mark(Step::MountProc);
        if self.namespaces.contains(Namespaces::USER) && !self.hardening.nested_userns {
            harden::forbid_user_namespaces(Path::new("/proc"))
                .map_err(|e| Error::setup(Step::NestedUserNamespaces, e))?;
        }
        crate::timing::mark(Step::NestedUserNamespaces);
        harden::detach(&self.hardening)?;
        if self.hardening.init {
            // Returns in the daemon (pid 2) only; the init stays pid 1.
            // The init keeps only CAP_KILL (to signal a daemon that changed its uid) and
            // runs under the default filter, whatever the daemon's: it only waits, takes
            // signals, sends them on and exits.
            let mut buf = PID1_SIGNALS;
            sandbox_process::start_init(self.pid1_signals(&mut buf, None), || {
                harden::drop_capabilities(CapabilitySet::KILL).map_err(drop)?;
                Filter::default_deny()
                    .compile()
                    .and_then(|program| program.install())
                    .map_err(drop)
            })
            .map_err(|e| Error::setup(Step::Init, e))?;
        }
        crate::timing::mark(Step::Init);
        let proc_self_fd = match self.mount_api {
            MountApi::Legacy => ProcSelfFd::capture_with_mount("/proc"),
            _ => ProcSelfFd::capture("/proc"),
        }
        .map_err(|e| Error::setup(Step::CaptureProcFd, e))?;
        crate::timing::mark(Step::CaptureProcFd);
        // While the fresh proc is still there: the id maps are read back from it.
        let mut audit = audit;
        audit.read_user_namespace(Path::new("/proc"));
        crate::timing::mark_named("audit-expected");
        let nofile_limit = match self.hardening.raise_nofile {
            true => Some(harden::raise_nofile(Path::new("/proc"))?),
            false => None,
        };

        let pivoted = self.mount_shared_dir()?;
        harden::check_cwd()
            .map_err(|e| Error::setup(Step::CheckCwd, SysError::new(Call::CheckCwd, e)))?;
        crate::timing::mark(Step::CheckCwd);
        for kept in kept_inside {
            kept.replace()?;
        }
        crate::timing::mark(Step::KeptDescriptor);
        let landlock = self.landlock_after_pivot()?;
        crate::timing::mark(Step::Landlock);
        harden::after_pivot(&self.hardening)?;
        Ok(Inside {
            proc_self_fd,
            pivoted,
            nofile_limit,
            landlock,
            audit,
        })
    }

    /// The mount part of the child's sequence, after the fresh proc: binds the shared
    /// directory (the cwd) onto itself with its submounts, makes that tree read-only if
    /// asked, and pivots into it. Sharing `/` needs no bind nor pivot. Returns whether the
    /// root changed.
    fn mount_shared_dir(&self) -> Result<bool, Error> {
        let here = rustix::fs::openat(
            CWD,
            ".",
            OpenFlags::PATH | OpenFlags::DIRECTORY | OpenFlags::CLOEXEC,
            FileMode::empty(),
        )
        .map_err(|e| {
            Error::setup(
                Step::BindSharedDir,
                SysError::at(Call::OpenSharedDir, &self.path, e),
            )
        })?;
        let restrict = |root: &OwnedFd| {
            if self.read_only {
                sandbox_mount::make_read_only_recursive(root, self.mount_api)
                    .map_err(|e| Error::setup_on(Step::ReadOnly, e, &self.path))?;
                crate::timing::mark(Step::ReadOnly);
            }
            if self.hardening.nodev {
                sandbox_mount::set_attributes_recursive(
                    root,
                    MountAttr::NODEV,
                    MountAttr::empty(),
                    self.mount_api,
                )
                .map_err(|e| Error::setup_on(Step::Nodev, e, &self.path))?;
                crate::timing::mark(Step::Nodev);
            }
            Ok::<(), Error>(())
        };
        if sandbox_pivot_root::is_current_root(&here)
            .map_err(|e| Error::setup(Step::PivotRoot, e))?
        {
            // Sharing "/": there is nothing to pivot to; "/" is the root of its mount.
            restrict(&here)?;
            rustix::process::chdir("/").map_err(|e| {
                Error::setup_on(
                    Step::PivotRoot,
                    SysError::new(Call::ChdirRoot, e),
                    &self.path,
                )
            })?;
            return Ok(false);
        }
        // With the new mount API from descriptors only; on the mount(2) fallback the new
        // mount is reached by the shared directory's path once, and checked (see
        // `sandbox_mount::bind_tree`).
        let tree = sandbox_mount::bind_tree(&here, &here, self.mount_api)
            .map_err(|e| Error::setup_on(Step::BindSharedDir, e, &self.path))?;
        crate::timing::mark(Step::BindSharedDir);
        restrict(&tree)?;
        sandbox_pivot_root::pivot_root(&tree)
            .map_err(|e| Error::setup_on(Step::PivotRoot, e, &self.path))?;
        crate::timing::mark(Step::PivotRoot);
        Ok(true)
    }

    /// The Landlock layer on the new root, best effort: the file-system rules of
    /// [`Mode::Landlock`](crate::Mode::Landlock), read-only as the mounts are. Network and
    /// signals are left to the namespaces, which a joined network namespace opens on
    /// purpose.
    fn landlock_after_pivot(&self) -> Result<Option<crate::landlock::Enforced>, Error> {
        if !self.hardening.landlock {
            return Ok(None);
        }
        let root = rustix::fs::openat(
            CWD,
            "/",
            OpenFlags::PATH | OpenFlags::DIRECTORY | OpenFlags::CLOEXEC,
            FileMode::empty(),
        )
        .map_err(|e| Error::setup(Step::Landlock, SysError::at(Call::Landlock, "/", e)))?;
        crate::landlock::restrict(root.as_fd(), self.landlock_layer(false))
            .map(Some)
            .map_err(|e| Error::setup(Step::Landlock, e))
    }

    /// The signals pid 1 must handle (or, with the init, pass on): the forwarded ones and
    /// the die-with-parent signal, then `extra`; written into `buf` (the child allocates
    /// nothing on its way in, see `set_up_child`).
    fn pid1_signals<'a>(
        &self,
        buf: &'a mut [Signal; FORWARDED_SIGNALS.len() + 2],
        extra: Option<Signal>,
    ) -> &'a [Signal] {
        let all = FORWARDED_SIGNALS
            .into_iter()
            .chain(self.handled_die_signal())
            .chain(extra);
        let mut n = 0;
        for (slot, signal) in buf.iter_mut().zip(all) {
            *slot = signal;
            n += 1;
        }
        &buf[..n]
    }

    /// The die-with-parent signal, unless it takes no handler: SIGKILL and SIGSTOP, which
    /// from the parent's namespace reach pid 1 anyway.
    fn handled_die_signal(&self) -> Option<Signal> {
        (![Signal::KILL, Signal::STOP].contains(&self.die_signal)).then_some(self.die_signal)
    }
}

/// Room for [`Sandbox::pid1_signals`]: the forwarded signals, the die-with-parent signal
/// and one more.
const PID1_SIGNALS: [Signal; FORWARDED_SIGNALS.len() + 2] =
    [Signal::KILL; FORWARDED_SIGNALS.len() + 2];

/// Installs the compiled filter, if any: the last step of every mode.
pub(crate) fn install_seccomp(program: Option<&sandbox_seccomp::Program>) -> Result<(), Error> {
    match program {
        Some(program) => program
            .install()
            .map_err(|e| Error::setup(Step::Seccomp, e)),
        None => Ok(()),
    }
}
