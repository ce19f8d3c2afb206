//! Seccomp-BPF filters for a daemon that confines itself: the default deny list,
//! allowlists by name, and the action on a refused call. Allowlists are compiled by
//! [`seccompiler`](https://docs.rs/seccompiler) (rust-vmm's compiler; no libseccomp); the
//! deny list by this crate, into one program that finds the call by binary search, which
//! the kernel installs in a quarter of the time and runs in fewer steps (see
//! [`Filter::default_deny`]).
//!
//! - [`Filter::default_deny`] refuses the calls that let a confined daemon out or into the
//!   kernel's large attack surfaces (keyrings, new user namespaces, modules, bpf,
//!   io_uring, mounts, setuid files, `TIOCSTI`, ...); everything else is allowed.
//!   [`Filter::allow`] gives one call back by name.
//! - [`Filter::allow_only`] is an allowlist by name, virtiofsd's style: everything else is
//!   refused.
//! - [`Action`] says what a refused call gets: an errno (`EPERM` by default), death of the
//!   process by `SIGSYS`, a `SIGSYS` to handle, or only a log line.
//! - [`Filter::compile`] gives a [`Program`]: compile before `fork`, and
//!   [`Program::install`] in the child as the very last step, without allocating.
//! - [`status`] reads what the kernel says about the process (`/proc/self/status`).
//!
//! # The architecture check
//!
//! The program first checks the `arch` field the kernel reports for the call, and kills
//! the process (`SECCOMP_RET_KILL_PROCESS`) on any other arch than the one it was built
//! for (x86_64 or aarch64). So an i386 call made with `int 0x80` on x86_64 (arch
//! `AUDIT_ARCH_I386`, where every number means another call) kills the process, whatever
//! the call, and so does an AArch32 call on aarch64. An x32 call on x86_64 has the
//! x86_64 arch and its number has bit 30 set (`__X32_SYSCALL_BIT`): the deny list also
//! refuses the x32 number of each listed call (and the x32-only numbers of `ioctl` and
//! `kexec_load`), and an allowlist never lists an x32 number, so x32 calls cannot slip
//! past either. Other architectures are refused when a filter is compiled
//! ([`Error::UnsupportedArch`]), never silently left without a filter.
//!
//! # What each call needs
//!
//! - Linux 3.5 for seccomp filters and `PR_SET_NO_NEW_PRIVS`; 3.17 for the `seccomp(2)`
//!   call and `SECCOMP_FILTER_FLAG_TSYNC`, which [`Program::install`] uses so that every
//!   thread gets the filter.
//! - Linux 4.14 for [`Action::KillProcess`] (`SECCOMP_RET_KILL_PROCESS`) and
//!   [`Action::Log`] (`SECCOMP_RET_LOG`); install checks that the kernel knows the action
//!   (`SECCOMP_GET_ACTION_AVAIL`) and refuses otherwise. Before 4.14, the arch check's
//!   kill ends the calling thread instead of the process.
//! - No privilege: without `CAP_SYS_ADMIN` in its user namespace, the process gets
//!   `no_new_privs` set first (which the kernel requires, and which also keeps a later
//!   `execve` from gaining privileges through setuid files or file capabilities).
//!
//! # Example
//!
//! ```no_run
//! use sandbox_seccomp::{Action, Filter};
//!
//! // Before fork: build and compile (this allocates).
//! let program = Filter::default_deny()
//!     .allow("fchmodat")? // this file server must create setuid files
//!     .action(Action::Errno(rustix::io::Errno::PERM))
//!     .compile()?;
//!
//! // In the child, as the last step: install (no allocation).
//! program.install()?;
//! assert!(sandbox_seccomp::status()?.mode == sandbox_seccomp::SeccompMode::Filter);
//! # Ok::<(), sandbox_seccomp::Error>(())
//! ```
#![deny(unsafe_code)]

mod deny;
#[cfg(test)]
mod eval;
mod filter;
mod policy;
mod program;
mod status;
#[allow(unsafe_code)]
mod sys;
mod table;

use rustix::io::Errno;

pub use filter::{Action, Filter};
pub use program::Program;
pub use status::{parse_status, status, SeccompMode, SeccompStatus};

/// Everything that can go wrong in this crate.
///
/// Each variant names one operation and its arguments; the message reads like a log line
/// and names the errno once, when the kernel gave one. The errno is a field (see
/// [`errno`](Error::errno)), never a [`source`](std::error::Error::source); only
/// [`Error::Compile`] has a source, seccompiler's error, which its message also shows.
/// Errors of [`Program::install`] carry only numbers, so that a forked child can send them
/// to its parent as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The running architecture has no filter support in this crate (only x86_64 and
    /// aarch64 have): a filter is refused rather than silently left out.
    #[error("seccomp filters are not supported on {arch} (only on x86_64 and aarch64)")]
    UnsupportedArch {
        /// The architecture (`std::env::consts::ARCH`).
        arch: &'static str,
    },
    /// A system call name that neither x86_64 nor aarch64 has.
    #[error("unknown system call name {name:?}")]
    UnknownSyscall {
        /// The name as given.
        name: String,
    },
    /// [`Action::Errno`] with an errno outside `1..=4095` (0 would make a refused call
    /// look successful).
    #[error("refuse calls with errno {errno}: not an errno in 1..=4095")]
    InvalidErrno {
        /// The raw errno.
        errno: i32,
    },
    /// seccompiler refused the filter (it grew past the kernel's 4096 instructions).
    #[error("compile the seccomp filter: {source}")]
    Compile {
        /// seccompiler's error.
        source: seccompiler::BackendError,
    },
    /// The kernel lacks what the filter needs (see [`Missing`]).
    #[error("install the seccomp filter: {missing}: {errno}")]
    Unsupported {
        /// What is missing.
        missing: Missing,
        /// The errno that told.
        errno: Errno,
    },
    /// `capget(2)`, to see whether the process has `CAP_SYS_ADMIN`, failed.
    #[error(
        "read the effective capabilities (capget) before installing the seccomp filter: {errno}"
    )]
    Capabilities {
        /// The errno of `capget(2)`.
        errno: Errno,
    },
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed.
    #[error("set no_new_privs (prctl PR_SET_NO_NEW_PRIVS) before installing the seccomp filter: {errno}")]
    NoNewPrivs {
        /// The errno of `prctl(2)`.
        errno: Errno,
    },
    /// `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)` failed: `EACCES`
    /// without `no_new_privs` or `CAP_SYS_ADMIN`, `ENOMEM` when the filters of the process
    /// pass the kernel's limit of 32768 instructions in all. `installed` filters of the
    /// same program were in place before this one failed.
    #[error("install seccomp filter {} of {total} (seccomp SECCOMP_SET_MODE_FILTER, TSYNC): {errno}", installed + 1)]
    Install {
        /// How many filters of the program were installed before.
        installed: usize,
        /// How many the program has.
        total: usize,
        /// The errno of `seccomp(2)`.
        errno: Errno,
    },
    /// TSYNC could not give the filter to thread `thread`: it is in strict mode or runs
    /// under filters that are not an ancestor of this thread's.
    #[error("install the seccomp filter in every thread (TSYNC): thread {thread} cannot take it")]
    ThreadSync {
        /// The thread id the kernel named.
        thread: i32,
    },
    /// Reading `/proc/self/status` failed.
    #[error("read /proc/self/status: {errno}")]
    ReadStatus {
        /// The errno (`EIO` for a read that gave no errno, such as bad UTF-8).
        errno: Errno,
    },
    /// A `Seccomp:` or `Seccomp_filters:` line of `/proc/self/status` did not parse.
    #[error("read /proc/self/status: malformed line {line:?}")]
    MalformedStatus {
        /// The line.
        line: String,
    },
}

impl Error {
    /// The errno the kernel returned, if the error came from a system call.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Unsupported { errno, .. }
            | Error::Capabilities { errno }
            | Error::NoNewPrivs { errno }
            | Error::Install { errno, .. }
            | Error::ReadStatus { errno } => Some(*errno),
            Error::UnsupportedArch { .. }
            | Error::UnknownSyscall { .. }
            | Error::InvalidErrno { .. }
            | Error::Compile { .. }
            | Error::ThreadSync { .. }
            | Error::MalformedStatus { .. } => None,
        }
    }
}

/// What the kernel lacks, when it cannot take a filter ([`Error::Unsupported`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Missing {
    /// `prctl(PR_SET_NO_NEW_PRIVS)` gave `EINVAL`: Linux before 3.5.
    NoNewPrivs,
    /// `seccomp(2)` gave `ENOSYS`: Linux before 3.17, a kernel built without
    /// `CONFIG_SECCOMP`, or an enclosing seccomp filter that refuses `seccomp(2)`.
    SeccompSyscall,
    /// `seccomp(SECCOMP_SET_MODE_FILTER)` gave `EINVAL`: a kernel built without
    /// `CONFIG_SECCOMP_FILTER`, or one that does not know `SECCOMP_FILTER_FLAG_TSYNC`.
    FilterMode,
    /// The kernel does not know the filter's action (`SECCOMP_GET_ACTION_AVAIL` said so,
    /// or is itself unknown): [`Action::KillProcess`] and [`Action::Log`] need Linux 4.14.
    Action(Action),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::NoNewPrivs => f.write_str(
                "the kernel does not know prctl(PR_SET_NO_NEW_PRIVS) (Linux before 3.5)",
            ),
            Missing::SeccompSyscall => f.write_str(
                "no seccomp(2) system call (Linux before 3.17, CONFIG_SECCOMP off, or an \
                 enclosing filter refuses it)",
            ),
            Missing::FilterMode => f.write_str(
                "the kernel refuses filter mode with TSYNC (CONFIG_SECCOMP_FILTER off, or \
                 Linux before 3.17)",
            ),
            Missing::Action(action) => write!(
                f,
                "the kernel does not know the action {} (Linux before 4.14)",
                action.kernel_name()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_operation_once() {
        use std::error::Error as _;
        let e = Error::Unsupported {
            missing: Missing::SeccompSyscall,
            errno: Errno::NOSYS,
        };
        assert!(e
            .to_string()
            .starts_with("install the seccomp filter: no seccomp(2)"));
        assert!(e
            .to_string()
            .ends_with(": Function not implemented (os error 38)"));
        assert_eq!(e.errno(), Some(Errno::NOSYS));
        assert!(e.source().is_none(), "the errno is no source");
        let e = Error::Install {
            installed: 1,
            total: 2,
            errno: Errno::NOMEM,
        };
        assert_eq!(
            e.to_string(),
            "install seccomp filter 2 of 2 (seccomp SECCOMP_SET_MODE_FILTER, TSYNC): \
             Cannot allocate memory (os error 12)"
        );
        let e = Error::Unsupported {
            missing: Missing::Action(Action::KillProcess),
            errno: Errno::OPNOTSUPP,
        };
        assert!(e.to_string().contains("SECCOMP_RET_KILL_PROCESS"));
    }
}
