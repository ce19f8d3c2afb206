//! The sandboxed child's side of entering in [`Mode::Namespace`](crate::Mode::Namespace):
//! from the fork to the seccomp filter, in the order the crate docs give.

use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode as FileMode, OFlags as OpenFlags, CWD};
use rustix::io::Errno;
use sandbox_mount::MountAttr;
use sandbox_process::ParentWatch;

use crate::{
    error, fds, harden, init, sys, Error, Inside, MountApi, Namespaces, ProcSelfFd, Sandbox,
    Setgroups, Signal, Step, FORWARDED_SIGNALS,
};

impl Sandbox {
    /// The child's part of the sequence. Any error is sent to the parent by the caller.
    ///
    /// `own` are the sandbox's descriptors that the child still needs for a while (the
    /// shared directory, the report pipe); `kept_inside` the kept descriptors of the shared
    /// directory's tree to reopen inside.
    pub(crate) fn set_up_child(
        &self,
        watch: ParentWatch,
        switch_ids: Option<(u32, u32)>,
        own: &[RawFd],
        kept_inside: &[fds::KeptInside],
    ) -> Result<Inside, Error> {
        if self.namespaces.contains(Namespaces::PID) {
            // As pid 1 the child would ignore these (and the die-with-parent signal)
            // without a handler.
            sys::exit_on_signals(&self.pid1_signals())
                .map_err(|e| Error::setup(Step::DieWithParent, &e))?;
        }
        if let Some((uid, gid)) = switch_ids {
            // Before the death signal is armed: a change of credentials clears it.
            harden::switch_ids(uid, gid, self.setgroups == Setgroups::Allow)
                .map_err(|e| Error::setup(Step::SwitchIds, &e))?;
        }
        watch
            .die_with_parent(self.die_signal)
            .map_err(|e| Error::setup(Step::DieWithParent, &e))?;
        fds::seal(&self.hardening.keep_fds, own, self.hardening.inherited_fds)?;

        // unshare(CLONE_NEWNS) moves the cwd into the new mount namespace, while our
        // descriptor keeps pointing into the old one (where no mount operation may use it).
        rustix::process::fchdir(&self.dir).map_err(|e| self.setup_at(Step::EnterSharedDir, e))?;
        let after_fork = self.namespaces - (Namespaces::USER | Namespaces::PID | Namespaces::TIME);
        sandbox_namespaces::unshare(after_fork)
            .map_err(|e| Error::setup(Step::UnshareChild, &e))?;

        sandbox_mount::set_propagation_recursive("/", self.propagation)
            .map_err(|e| Error::setup(Step::Propagation, &e))?;
        sandbox_mount::mount_proc("/proc").map_err(|e| Error::setup(Step::MountProc, &e))?;
        if self.namespaces.contains(Namespaces::USER) && !self.hardening.nested_userns {
            harden::forbid_user_namespaces(Path::new("/proc"))
                .map_err(|e| Error::setup(Step::NestedUserNamespaces, &e))?;
        }
        harden::detach(&self.hardening)?;
        if self.hardening.init {
            // Returns in the daemon (pid 2) only; the init stays pid 1.
            init::start(&self.pid1_signals())?;
        }
        let proc_self_fd =
            ProcSelfFd::capture("/proc").map_err(|e| Error::setup(Step::CaptureProcFd, &e))?;
        let nofile_limit = match self.hardening.raise_nofile {
            true => Some(harden::raise_nofile(Path::new("/proc"))?),
            false => None,
        };

        let pivoted = self.mount_shared_dir()?;
        harden::check_cwd().map_err(|e| Error::setup(Step::CheckCwd, &e))?;
        for kept in kept_inside {
            kept.replace()?;
        }
        harden::after_pivot(&self.hardening)?;
        Ok(Inside {
            proc_self_fd,
            pivoted,
            nofile_limit,
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
        .map_err(|e| self.setup_at(Step::BindSharedDir, e))?;
        let restrict = |root: &OwnedFd| {
            if self.read_only {
                sandbox_mount::make_read_only_recursive(root, self.mount_api)
                    .map_err(|e| self.setup_at_leaf(Step::ReadOnly, &e))?;
            }
            if self.hardening.nodev {
                sandbox_mount::set_attributes_recursive(
                    root,
                    MountAttr::NODEV,
                    MountAttr::empty(),
                    self.mount_api,
                )
                .map_err(|e| self.setup_at_leaf(Step::Nodev, &e))?;
            }
            Ok::<(), Error>(())
        };
        if sandbox_pivot_root::is_current_root(&here)
            .map_err(|e| Error::setup(Step::PivotRoot, &e))?
        {
            // Sharing "/": there is nothing to pivot to; "/" is the root of its mount.
            restrict(&here)?;
            rustix::process::chdir("/").map_err(|e| self.setup_at(Step::PivotRoot, e))?;
            return Ok(false);
        }
        let tree = self.bind_onto_itself(&here)?;
        restrict(&tree)?;
        sandbox_pivot_root::pivot_root(&tree)
            .map_err(|e| self.setup_at_leaf(Step::PivotRoot, &e))?;
        Ok(true)
    }

    /// The signals pid 1 must handle (or, with the init, pass on): the forwarded ones and
    /// the die-with-parent signal. SIGKILL and SIGSTOP take no handler, and from the
    /// parent's namespace reach pid 1 anyway.
    fn pid1_signals(&self) -> Vec<i32> {
        let mut signals = FORWARDED_SIGNALS.map(Signal::as_raw).to_vec();
        if ![Signal::KILL, Signal::STOP].contains(&self.die_signal) {
            signals.push(self.die_signal.as_raw());
        }
        signals
    }

    /// Binds the shared directory (the cwd, and `here`) onto itself, recursively, and
    /// returns a descriptor on the root of the new mount.
    ///
    /// The new mount API works from descriptors only: `open_tree` clones the tree and
    /// `move_mount` attaches it, after which the clone's descriptor is the new mount's root.
    /// Where the kernel (before 5.2) or a seccomp profile refuses it (ENOSYS, EPERM) and
    /// [`MountApi::Auto`] allows it, or with [`MountApi::Legacy`], `mount(2)` binds the
    /// directory (through its `/proc/self/fd` link) onto the cwd; reaching the mount on top
    /// then needs one lookup by path, with `O_NOFOLLOW`, which is checked to lead to the
    /// same directory (device and inode), on another mount than the one it covers.
    fn bind_onto_itself(&self, here: &OwnedFd) -> Result<OwnedFd, Error> {
        let step = Step::BindSharedDir;
        if self.mount_api != MountApi::Legacy {
            match sandbox_mount::clone_tree_recursive(here) {
                Ok(tree) => {
                    sandbox_mount::attach_tree(&tree, here)
                        .map_err(|e| self.setup_at_leaf(step, &e))?;
                    return Ok(tree);
                }
                Err(e)
                    if self.mount_api == MountApi::New
                        || !matches!(e.errno(), Some(Errno::NOSYS | Errno::PERM)) =>
                {
                    return Err(self.setup_at_leaf(step, &e));
                }
                Err(_) => {}
            }
        }
        sandbox_mount::bind_recursive(fd_path(here), ".").map_err(|e| Error::setup(step, &e))?;
        let path = rustix::fs::readlinkat(CWD, fd_path(here), Vec::new())
            .map_err(|e| self.setup_at(step, e))?;
        let top = rustix::fs::openat(
            CWD,
            path.as_c_str(),
            OpenFlags::PATH | OpenFlags::DIRECTORY | OpenFlags::NOFOLLOW | OpenFlags::CLOEXEC,
            FileMode::empty(),
        )
        .map_err(|e| self.setup_at(step, e))?;
        let ids = |fd: &OwnedFd| {
            rustix::fs::statx(
                fd,
                "",
                rustix::fs::AtFlags::EMPTY_PATH,
                rustix::fs::StatxFlags::INO | rustix::fs::StatxFlags::MNT_ID,
            )
            .map(|s| {
                // Before Linux 5.8 statx gives no mount id: then only the inode is checked.
                let mnt_id = (s.stx_mask & rustix::fs::StatxFlags::MNT_ID.bits() != 0)
                    .then_some(s.stx_mnt_id);
                (s.stx_dev_major, s.stx_dev_minor, s.stx_ino, mnt_id)
            })
            .map_err(|e| self.setup_at(step, e))
        };
        let (under, over) = (ids(here)?, ids(&top)?);
        let same_mount = matches!((under.3, over.3), (Some(a), Some(b)) if a == b);
        if (under.0, under.1, under.2) != (over.0, over.1, over.2) || same_mount {
            // Something moved the path between the bind and the lookup.
            return Err(self.setup_at(step, Errno::STALE));
        }
        Ok(top)
    }

    /// A setup error for an errno from a call on the shared directory.
    fn setup_at(&self, step: Step, errno: Errno) -> Error {
        Error::Setup {
            step,
            path: Some(self.path.clone()),
            message: format!("{}: {errno}", self.path.display()),
            errno: Some(errno),
            in_child: false,
        }
    }

    /// A setup error from a leaf whose error names no path of its own: the shared
    /// directory is the path.
    fn setup_at_leaf(&self, step: Step, e: &dyn error::LeafError) -> Error {
        let mut err = Error::setup(step, e);
        if let Error::Setup { path, message, .. } = &mut err {
            if path.is_none() {
                *path = Some(self.path.clone());
                *message = format!("{} ({})", message, self.path.display());
            }
        }
        err
    }
}

/// Installs the compiled filter, if any: the last step of every mode.
pub(crate) fn install_seccomp(program: Option<&sandbox_seccomp::Program>) -> Result<(), Error> {
    match program {
        Some(program) => program
            .install()
            .map_err(|e| Error::setup(Step::Seccomp, &e)),
        None => Ok(()),
    }
}

/// `/proc/self/fd/N` for a descriptor.
fn fd_path(fd: impl AsFd) -> PathBuf {
    use std::os::fd::AsRawFd;
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}
