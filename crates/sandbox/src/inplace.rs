//! The modes that confine the calling process itself, without namespaces and without a
//! fork, for environments that forbid namespaces: [`Mode::Landlock`], [`Mode::Chroot`] and
//! [`Mode::None`].
//!
//! [`Mode::Landlock`] and [`Mode::Chroot`] take what the namespace mode gives that needs
//! no namespace: the descriptor rules (checked before anything changes, then every
//! descriptor not kept closed), a new session and keyring, the capabilities dropped, the
//! Landlock layer (required in [`Mode::Landlock`], best effort in [`Mode::Chroot`]), and
//! the seccomp filter last. Their proc-fd handle comes from a private proc instance that
//! shows processes only (`subset=pid`) where the kernel lets the process mount one (root),
//! else from the host's `/proc`, of which the Landlock layer lets it open nothing but the
//! files its magic links lead to. [`Mode::None`] takes the host's handle and the filter only.

use std::os::fd::{AsFd, AsRawFd};

use rustix::io::Errno;

use crate::call::{Call, SysError};
use crate::child::install_seccomp;
use crate::landlock::Enforced;
use crate::parent::threads_error;
use crate::{fds, harden, Entered, Error, Inside, Mode, ProcSelfFd, Sandbox, Step};

impl Sandbox {
    /// [`Sandbox::enter`] in the modes that fork nothing.
    pub(crate) fn enter_in_place(self) -> Result<Entered, Error> {
        if self.mode == Mode::None {
            crate::sandbox::mark_entered();
            let proc_self_fd =
                ProcSelfFd::open_unconfined().map_err(|e| Error::setup(Step::CaptureProcFd, e))?;
            let audit = crate::audit::Expected::in_place(&self, false);
            install_seccomp(self.seccomp.as_ref())?;
            return Ok(Entered::Inside(Inside {
                proc_self_fd,
                pivoted: false,
                nofile_limit: None,
                landlock: None,
                audit,
            }));
        }
        // Landlock restricts the calling thread only, and closing descriptors under other
        // threads' feet is no better: one thread, as for the namespace mode.
        sandbox_namespaces::ensure_single_threaded().map_err(threads_error)?;
        fds::check(
            &self.dir,
            &self.hardening.keep_fds,
            &[self.dir.as_raw_fd()],
            self.hardening.inherited_fds,
        )?;
        crate::sandbox::mark_entered();
        let proc_self_fd = private_or_host_proc()?;
        // Before the chroot: fs.nr_open is read from the host's /proc.
        let nofile_limit = match self.hardening.raise_nofile {
            true => Some(harden::raise_nofile(std::path::Path::new("/proc"))?),
            false => None,
        };
        harden::detach(&self.hardening)?;
        if self.mode == Mode::Chroot {
            sandbox_pivot_root::chroot(&self.dir).map_err(|e| Error::setup(Step::Chroot, e))?;
        }
        let keep = self.hardening.kept_fd_numbers();
        let own = [self.dir.as_raw_fd(), proc_self_fd.as_fd().as_raw_fd()];
        fds::seal(&keep, &own, self.hardening.inherited_fds)?;
        let landlock = self.landlock_in_place()?;
        let bounding_fixed = !rustix::thread::capabilities(None)
            .is_ok_and(|c| c.effective.contains(rustix::thread::CapabilitySet::SETPCAP));
        harden::after_pivot(&self.hardening)?;
        let audit = crate::audit::Expected::in_place(&self, bounding_fixed);
        install_seccomp(self.seccomp.as_ref())?;
        Ok(Entered::Inside(Inside {
            proc_self_fd,
            pivoted: self.mode == Mode::Chroot,
            nofile_limit,
            landlock,
            audit,
        }))
    }

    /// The Landlock layer of the in-place modes: required in [`Mode::Landlock`] (a kernel
    /// without Landlock would leave the process unconfined: refused), best effort in
    /// [`Mode::Chroot`], where `landlock(false)` turns it off.
    fn landlock_in_place(&self) -> Result<Option<Enforced>, Error> {
        let required = self.mode == Mode::Landlock;
        if !required && !self.hardening.landlock {
            return Ok(None);
        }
        let enforced = crate::landlock::restrict(self.dir.as_fd(), self.landlock_layer(required))
            .map_err(|e| Error::setup_on(Step::Landlock, e, &self.path))?;
        if required && enforced == Enforced::Not {
            // ENOSYS (not built in) or EOPNOTSUPP (not enabled at boot), as the kernel says.
            let errno = crate::sys::landlock_abi().err().unwrap_or(Errno::OPNOTSUPP);
            return Err(Error::setup_on(
                Step::Landlock,
                SysError::new(Call::Landlock, errno),
                &self.path,
            ));
        }
        Ok(Some(enforced))
    }
}

/// A proc-fd handle that cannot reach `/proc/sys`: from a private proc instance with
/// `subset=pid` where the kernel allows it, else the host's `/proc/self/fd` (then the
/// Landlock layer keeps the rest of `/proc` out of reach).
fn private_or_host_proc() -> Result<ProcSelfFd, Error> {
    match ProcSelfFd::open_private() {
        Ok(handle) => Ok(handle),
        Err(sandbox_proc_fd::Error::PrivateProc { .. }) => {
            ProcSelfFd::open_unconfined().map_err(|e| Error::setup(Step::CaptureProcFd, e))
        }
        Err(e) => Err(Error::setup(Step::CaptureProcFd, e)),
    }
}
