//! A compiled filter and its installation.

use rustix::io::Errno;
use rustix::thread::CapabilitySet;
use seccompiler::BpfProgram;

use crate::{sys, Action, Error, Missing};

/// A compiled filter ([`Filter::compile`](crate::Filter::compile)), ready to install: one
/// BPF program for the deny list, two for an allowlist (one that answers `ENOSYS` for
/// `clone3` and `openat2`, installed first, and the list itself).
///
/// Compile before `fork` and install in the child: [`install`](Self::install) does not
/// allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    filters: Vec<BpfProgram>,
    action: Action,
}

impl Program {
    pub(crate) fn new(filters: Vec<BpfProgram>, action: Action) -> Program {
        Program { filters, action }
    }

    /// The program of [`Filter::none`](crate::Filter::none): installs nothing.
    pub(crate) fn empty() -> Program {
        Program::new(Vec::new(), Action::default())
    }

    /// How many BPF instructions the program has, all filters together (0 for
    /// [`Filter::none`](crate::Filter::none)).
    pub fn len(&self) -> usize {
        self.filters.iter().map(Vec::len).sum()
    }

    /// Whether the program installs nothing ([`Filter::none`](crate::Filter::none)).
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn filters(&self) -> &[BpfProgram] {
        &self.filters
    }

    /// Installs the filter in every thread of the process, in the kernel's terms:
    ///
    /// 1. For [`Action::KillProcess`] and [`Action::Log`], asks the kernel whether it knows
    ///    the action (`seccomp(SECCOMP_GET_ACTION_AVAIL)`, Linux 4.14).
    /// 2. Unless the calling thread has `CAP_SYS_ADMIN` (effective, in its user namespace),
    ///    sets `no_new_privs` (`prctl(PR_SET_NO_NEW_PRIVS)`, Linux 3.5), as the kernel
    ///    requires; it is never unset, and a later `execve` gains no privileges.
    /// 3. `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)` for each program
    ///    (Linux 3.17): every thread of the process gets it, atomically.
    ///
    /// An empty program (from [`Filter::none`](crate::Filter::none)) installs nothing.
    /// No allocation: meant as the last step of a forked child.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`] when the kernel lacks what is needed, naming it
    ///   ([`Missing`]): an unknown action, no `PR_SET_NO_NEW_PRIVS`, no `seccomp(2)`, no
    ///   filter mode.
    /// - [`Error::Capabilities`] if `capget(2)` fails, [`Error::NoNewPrivs`] if
    ///   `prctl(2)` fails otherwise.
    /// - [`Error::Install`] if `seccomp(2)` fails otherwise (`ENOMEM` past the kernel's
    ///   total of filter instructions); [`Error::ThreadSync`] if a thread cannot take the
    ///   filter.
    pub fn install(&self) -> Result<(), Error> {
        if self.filters.is_empty() {
            return Ok(());
        }
        if self.action.needs_4_14() {
            let raw = match self.action {
                Action::KillProcess => libc::SECCOMP_RET_KILL_PROCESS,
                _ => libc::SECCOMP_RET_LOG,
            };
            sys::action_available(raw).map_err(|errno| Error::Unsupported {
                // ENOSYS: no seccomp(2) at all, which says more than the action.
                missing: match errno {
                    Errno::NOSYS => Missing::SeccompSyscall,
                    _ => Missing::Action(self.action),
                },
                errno,
            })?;
        }
        let caps =
            rustix::thread::capabilities(None).map_err(|errno| Error::Capabilities { errno })?;
        if !caps.effective.contains(CapabilitySet::SYS_ADMIN) {
            rustix::thread::set_no_new_privs(true).map_err(|errno| match errno {
                Errno::INVAL => Error::Unsupported {
                    missing: Missing::NoNewPrivs,
                    errno,
                },
                errno => Error::NoNewPrivs { errno },
            })?;
        }
        let total = self.filters.len();
        for (installed, filter) in self.filters.iter().enumerate() {
            match sys::set_mode_filter_tsync(filter) {
                Ok(()) => {}
                Err(sys::InstallError::Errno(errno)) => {
                    return Err(match errno {
                        Errno::NOSYS => Error::Unsupported {
                            missing: Missing::SeccompSyscall,
                            errno,
                        },
                        Errno::INVAL => Error::Unsupported {
                            missing: Missing::FilterMode,
                            errno,
                        },
                        errno => Error::Install {
                            installed,
                            total,
                            errno,
                        },
                    })
                }
                Err(sys::InstallError::Thread(thread)) => return Err(Error::ThreadSync { thread }),
            }
        }
        Ok(())
    }
}
