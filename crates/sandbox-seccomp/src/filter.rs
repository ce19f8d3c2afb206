//! What a filter says: the list, its kind (deny list, allowlist, none) and the action, and
//! its compilation: the deny list by [`deny`], an allowlist by seccompiler.

use std::collections::{BTreeMap, BTreeSet};

use rustix::io::Errno;
use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule};

use crate::deny;
use crate::policy::{self, Refusal};
use crate::table::{self, Lookup};
use crate::{Error, Program};

/// What a refused call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// The call fails with this errno without running (`SECCOMP_RET_ERRNO`). The default,
    /// with `EPERM`: the daemon sees an ordinary failure and goes on.
    #[doc(alias = "SECCOMP_RET_ERRNO")]
    Errno(Errno),
    /// The whole process dies by `SIGSYS` (`SECCOMP_RET_KILL_PROCESS`, Linux 4.14): for a
    /// daemon that must never try a refused call.
    #[doc(alias = "SECCOMP_RET_KILL_PROCESS")]
    KillProcess,
    /// The call runs and the kernel logs it (`SECCOMP_RET_LOG`, Linux 4.14; see
    /// `/proc/sys/kernel/seccomp/actions_logged`): to learn what a daemon calls before
    /// enforcing. Nothing is refused, also not `clone3` and `openat2`.
    #[doc(alias = "SECCOMP_RET_LOG")]
    Log,
    /// The calling thread gets `SIGSYS` (`SECCOMP_RET_TRAP`), with the call in its
    /// `siginfo`; without a handler, the process dies by `SIGSYS` with a core dump.
    #[doc(alias = "SECCOMP_RET_TRAP")]
    Trap,
}

impl Default for Action {
    /// `Errno(EPERM)`.
    fn default() -> Self {
        Action::Errno(Errno::PERM)
    }
}

impl Action {
    /// The kernel's name of the action (`SECCOMP_RET_ERRNO`, ...).
    pub(crate) fn kernel_name(self) -> &'static str {
        match self {
            Action::Errno(_) => "SECCOMP_RET_ERRNO",
            Action::KillProcess => "SECCOMP_RET_KILL_PROCESS",
            Action::Log => "SECCOMP_RET_LOG",
            Action::Trap => "SECCOMP_RET_TRAP",
        }
    }

    fn to_seccompiler(self) -> Result<SeccompAction, Error> {
        Ok(match self {
            Action::Errno(errno) => {
                let raw = errno.raw_os_error();
                if !(1..=4095).contains(&raw) {
                    return Err(Error::InvalidErrno { errno: raw });
                }
                SeccompAction::Errno(raw.unsigned_abs())
            }
            Action::KillProcess => SeccompAction::KillProcess,
            Action::Log => SeccompAction::Log,
            Action::Trap => SeccompAction::Trap,
        })
    }

    /// Whether the kernel must be asked if it knows the action (Linux 4.14).
    pub(crate) fn needs_4_14(self) -> bool {
        matches!(self, Action::KillProcess | Action::Log)
    }
}

/// A seccomp-BPF filter for the running architecture: what is refused, and how.
///
/// Build it with [`default_deny`](Self::default_deny) (also [`Default`]),
/// [`allow_only`](Self::allow_only) or [`none`](Self::none); adjust it with
/// [`allow`](Self::allow) and [`action`](Self::action); then [`install`](Self::install)
/// it, or [`compile`](Self::compile) it first and install the [`Program`] later (after a
/// `fork`, say).
///
/// A filter, once installed, holds for the process and every child it forks, and cannot
/// be removed; more filters can only add refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    kind: Kind,
    action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Install nothing.
    None,
    /// The default list, less the calls allowed back by name.
    Deny { allowed: BTreeSet<&'static str> },
    /// Only these calls (numbers of the running architecture).
    AllowOnly {
        allowed: BTreeSet<(i64, &'static str)>,
    },
}

impl Default for Filter {
    /// [`Filter::default_deny`].
    fn default() -> Self {
        Filter::default_deny()
    }
}

impl Filter {
    /// The default deny list: these calls are refused with the [`Action`] (`EPERM` unless
    /// [`action`](Self::action) says otherwise), everything else runs.
    ///
    /// | Calls | Why |
    /// | --- | --- |
    /// | `keyctl`, `add_key`, `request_key` | The keyring is not namespaced: keys of the uid on the host. (Docker) |
    /// | `unshare`, `clone` with `CLONE_NEWUSER` | A new user namespace gives back every capability inside it, and with it the attack surface of namespaced mounts, netfilter, ... (Docker refuses namespace creation without `CAP_SYS_ADMIN`) |
    /// | `clone3` → `ENOSYS` | Its flags are in a struct a filter cannot read; `ENOSYS` makes libc fall back to `clone`, which is checked. |
    /// | `init_module`, `finit_module`, `delete_module`, `kexec_load`, `kexec_file_load` | Kernel code, a new kernel. (Docker) |
    /// | `bpf`, `perf_event_open`, `userfaultfd`, `io_uring_setup`, `io_uring_enter`, `io_uring_register` | Large kernel attack surfaces with a history of exploits, which a file server never needs (none is in virtiofsd's allowlist; Docker refuses the first three). |
    /// | `open_by_handle_at` | Opens any file of a file system by handle, around the directory tree (the "shocker" container escape). |
    /// | `setns` | Joins a namespace by descriptor: real root without capabilities still owns the user namespaces host root made, with every capability in them. (Docker) |
    /// | `mount`, `umount2`, `open_tree`, `move_mount`, `fsopen`, `fsconfig`, `fsmount`, `fspick`, `mount_setattr`, `pivot_root`, `chroot` | Would change the mounts and root the sandbox set up. |
    /// | `swapon`, `swapoff`, `reboot`, `acct`, `quotactl` | Host-wide state. (Docker) |
    /// | `settimeofday`, `clock_settime`, `clock_adjtime`, `adjtimex` | The host's clock (whole calls: a filter cannot read `timex.modes`, so the read-only form is refused too). (Docker) |
    /// | `syslog` | The kernel log: kernel addresses, host events. (Docker) |
    /// | `ioctl` with `TIOCSTI` or `TIOCLINUX` | Fake keystrokes into a terminal a host shell reads. |
    /// | `socket(AF_NETLINK, *, NETLINK_KOBJECT_UEVENT)` | The host's device events; forging them to udev. |
    /// | `socket(AF_VSOCK, ..)`, `socket(AF_ALG, ..)` | vsock is not isolated by network namespaces (the host's and guests' listeners); the kernel crypto API is a large surface. (Docker) |
    /// | `chmod`, `fchmod`, `fchmodat`, `fchmodat2`, `creat`, `mknod`, `mknodat` with `S_ISUID`, or `S_ISGID` with `S_IXGRP`, in the mode | A setuid file or setgid executable left in the shared directory runs with the daemon's ids for whoever executes it on the host. |
    /// | `open`, `openat` with `O_CREAT` or `O_TMPFILE` and such a mode | The same, when the call creates a file. |
    /// | `openat2` → `ENOSYS` | Its mode is in a struct a filter cannot read; callers fall back to `openat`. |
    ///
    /// `open`, `creat`, `chmod` and `mknod` do not exist on aarch64 and are left out
    /// there. The x32 numbers of the listed calls are refused too (see the crate docs).
    ///
    /// Choices worth knowing:
    /// - chmod-style calls are refused on the mode alone: a filter cannot tell a directory
    ///   from a file, so `chmod 2775 dir` is refused (a new directory made with `mkdir`
    ///   under a setgid directory inherits the bit, and `mkdir` is not checked).
    /// - `open`/`openat` are refused only when they create a file, as the kernel looks at
    ///   the mode only then: a plain open with garbage in the unused mode register (a
    ///   variadic `open` without `O_CREAT`) is not refused.
    /// - A deny list cannot know calls added to kernels after it was written.
    ///
    /// It compiles to one program of 151 instructions (x86_64) that finds the call number
    /// by binary search (x86_64: after clearing the x32 bit), instead of seccompiler's
    /// chain of 25 + 867 that compares it with each listed call in turn: the kernel
    /// installs it in a fraction of the time (it runs the program once per call number to
    /// cache the always-allowed ones, and compiles each instruction to machine code), and
    /// a checked call such as `openat` takes a handful of comparisons instead of a walk
    /// down the chain.
    pub fn default_deny() -> Filter {
        Filter {
            kind: Kind::Deny {
                allowed: BTreeSet::new(),
            },
            action: Action::default(),
        }
    }

    /// An allowlist: only the named calls run; every other call gets the [`Action`].
    ///
    /// Names are the kernel's (`"openat"`, `"clone"`, `"_sysctl"`). A name of a call the
    /// running architecture does not have but the other supported one has (`"open"` on
    /// aarch64) is accepted and ignored, so that one list serves both. `clone3` and
    /// `openat2`, unless listed, get `ENOSYS` rather than the action (unless the action is
    /// [`Action::Log`]), so that libc falls back to `clone` and `openat`: list `clone` for
    /// threads, even if `clone3` is not listed.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSyscall`] for a name neither x86_64 nor aarch64 has.
    pub fn allow_only<I>(names: I) -> Result<Filter, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut filter = Filter {
            kind: Kind::AllowOnly {
                allowed: BTreeSet::new(),
            },
            action: Action::default(),
        };
        for name in names {
            filter = filter.allow(name.as_ref())?;
        }
        Ok(filter)
    }

    /// No filter: [`install`](Self::install) does nothing. For the environments that
    /// cannot take a filter, or a daemon that installs its own; it gives back every call
    /// of the default list.
    pub fn none() -> Filter {
        Filter {
            kind: Kind::None,
            action: Action::default(),
        }
    }

    /// Lets the call `name` run: in the default list, its rule is dropped (on every
    /// argument); in an allowlist, it is added. A known name that needs nothing (not in
    /// the default list, already allowed, or a call the running architecture does not
    /// have) changes nothing.
    ///
    /// What allowing back reopens is the reason the call is in the list (see
    /// [`default_deny`](Self::default_deny)). For example, a file server that must create
    /// setuid files allows `fchmodat` back: a compromised server can then leave a setuid
    /// file of its uid in the shared directory, for whoever executes it on the host (the
    /// other setid paths, `chmod`, `fchmod`, `open` with `O_CREAT`, ... stay refused).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSyscall`] for a name neither x86_64 nor aarch64 has.
    pub fn allow(mut self, name: &str) -> Result<Filter, Error> {
        let lookup = table::lookup(name);
        let (name, nr) = match lookup {
            Lookup::Number(name, nr) => (name, nr),
            Lookup::NotHere => return Ok(self),
            Lookup::Unknown => {
                return Err(Error::UnknownSyscall {
                    name: name.to_owned(),
                })
            }
        };
        match &mut self.kind {
            Kind::None => {}
            Kind::Deny { allowed } => {
                if policy::DEFAULT.iter().any(|e| e.name == name) {
                    allowed.insert(name);
                }
            }
            Kind::AllowOnly { allowed } => {
                allowed.insert((nr, name));
            }
        }
        Ok(self)
    }

    /// Sets what a refused call gets (default: `Action::Errno(Errno::PERM)`).
    pub fn action(mut self, action: Action) -> Filter {
        self.action = action;
        self
    }

    /// Whether this is [`Filter::none`].
    pub fn is_none(&self) -> bool {
        self.kind == Kind::None
    }

    /// Compiles the filter to BPF for the running architecture. The [`Program`] can be
    /// kept, cloned, and installed later, in a forked child for example.
    ///
    /// # Errors
    ///
    /// - [`Error::UnsupportedArch`] on another architecture than x86_64 and aarch64
    ///   (also for [`Filter::none`], so that a daemon learns it has no filter).
    /// - [`Error::InvalidErrno`] for [`Action::Errno`] outside `1..=4095`.
    /// - [`Error::Compile`] if seccompiler refuses the filter (too long).
    pub fn compile(&self) -> Result<Program, Error> {
        let arch = target_arch()?;
        let action = self.action.to_seccompiler()?;
        let mut enosys: Rules = BTreeMap::new();
        // In an allowlist, `allowed` is what the first filter lets through.
        let mut allowed: BTreeSet<i64> = BTreeSet::new();
        let log = self.action == Action::Log;
        match &self.kind {
            Kind::None => return Ok(Program::empty()),
            Kind::Deny { allowed: back } => {
                // One program, with ENOSYS for clone3 and openat2 in it: see `deny`.
                let refusal = u32::from(action);
                let enosys = u32::from(SeccompAction::Errno(
                    Errno::NOSYS.raw_os_error().unsigned_abs(),
                ));
                let mut listed = Vec::new();
                for (entry, nr) in policy::DEFAULT.iter().zip(policy::DEFAULT_NUMBERS) {
                    let Some(nr) = nr.filter(|_| !back.contains(entry.name)) else {
                        continue;
                    };
                    let refusal = match entry.refusal {
                        Refusal::Enosys if !log => enosys,
                        Refusal::Action | Refusal::Enosys => refusal,
                    };
                    for nr in numbers_to_search(entry.name, nr) {
                        listed.push(deny::Listed {
                            nr,
                            rules: entry.rules,
                            refusal,
                        });
                    }
                }
                let program = deny::program(audit_arch(), X32_BIT, &listed);
                return Ok(Program::new(vec![program], self.action));
            }
            Kind::AllowOnly { allowed: names } => {
                allowed.extend(names.iter().map(|&(nr, _)| nr));
                if !log {
                    for entry in policy::DEFAULT {
                        let Some(nr) = table::number(entry.name) else {
                            continue;
                        };
                        if entry.refusal == Refusal::Enosys && !allowed.contains(&nr) {
                            // Let the first filter pass it, so that the second's ENOSYS
                            // is the answer.
                            allowed.insert(nr);
                            enosys.insert(nr, Vec::new());
                        }
                    }
                }
            }
        }

        // The ENOSYS filter goes in first: once the main one is in, an allowlist may
        // refuse the seccomp(2) call that would install the other.
        let mut programs = Vec::with_capacity(2);
        if !enosys.is_empty() {
            let enosys = SeccompFilter::new(
                enosys,
                SeccompAction::Allow,
                SeccompAction::Errno(Errno::NOSYS.raw_os_error().unsigned_abs()),
                arch,
            );
            programs.push(bpf(enosys)?);
        }
        let main = SeccompFilter::new(
            allowed.iter().map(|&nr| (nr, Vec::new())).collect(),
            action,
            SeccompAction::Allow,
            arch,
        );
        programs.push(bpf(main)?);
        Ok(Program::new(programs, self.action))
    }

    /// The deny list compiled by seccompiler, as before [`deny`]: a program that answers
    /// `ENOSYS` for `clone3` and `openat2`, then one that compares the number with each
    /// listed call in turn. The unit tests hold the program of `compile` to its answers.
    #[cfg(test)]
    pub(crate) fn compile_deny_with_seccompiler(&self) -> Result<Program, Error> {
        let Kind::Deny { allowed: back } = &self.kind else {
            return self.compile();
        };
        let (arch, action) = (target_arch()?, self.action.to_seccompiler()?);
        let log = self.action == Action::Log;
        let (mut refused, mut enosys): (Rules, Rules) = (BTreeMap::new(), BTreeMap::new());
        for entry in policy::DEFAULT {
            let Some(nr) = table::number(entry.name).filter(|_| !back.contains(entry.name)) else {
                continue;
            };
            let rules = to_rules(entry.rules)?;
            let into = match entry.refusal {
                Refusal::Enosys if !log => &mut enosys,
                Refusal::Action | Refusal::Enosys => &mut refused,
            };
            for nr in with_x32_numbers(entry.name, nr) {
                into.insert(nr, rules.clone());
            }
        }
        let mut programs = Vec::new();
        if !enosys.is_empty() {
            let nosys = SeccompAction::Errno(Errno::NOSYS.raw_os_error().unsigned_abs());
            programs.push(bpf(SeccompFilter::new(
                enosys,
                SeccompAction::Allow,
                nosys,
                arch,
            ))?);
        }
        programs.push(bpf(SeccompFilter::new(
            refused,
            SeccompAction::Allow,
            action,
            arch,
        ))?);
        Ok(Program::new(programs, self.action))
    }

    /// Compiles the filter and installs it in every thread of the process: see
    /// [`Program::install`]. [`Filter::none`] installs nothing.
    ///
    /// This changes the calling process for good (and every child it forks after).
    ///
    /// # Errors
    ///
    /// Those of [`compile`](Self::compile) and of [`Program::install`].
    pub fn install(&self) -> Result<(), Error> {
        if self.is_none() {
            return Ok(());
        }
        self.compile()?.install()
    }
}

type Rules = BTreeMap<i64, Vec<SeccompRule>>;

fn bpf(filter: Result<SeccompFilter, seccompiler::BackendError>) -> Result<BpfProgram, Error> {
    filter
        .and_then(BpfProgram::try_from)
        .map_err(|source| Error::Compile { source })
}

/// The numbers the deny list's search looks for, for a listed call: its own, and on x86_64
/// the x32-only numbers of `ioctl` and `kexec_load` (the program clears the x32 bit from
/// the number before the search, so each also stands for itself with the bit).
fn numbers_to_search(name: &str, nr: i64) -> Vec<u32> {
    let mut numbers = vec![nr];
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    numbers.extend(
        policy::X32_ONLY_NUMBERS
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|&(_, x32)| x32),
    );
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    let _ = name;
    // Call numbers are small and positive (the table's).
    numbers.into_iter().map(|nr| nr as u32).collect()
}

/// The bit the deny list clears from the call number before its search: x86_64's
/// `__X32_SYSCALL_BIT` (an x32 call has the 64-bit audit arch, and only this bit tells it
/// apart); none on aarch64.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
const X32_BIT: Option<u32> = Some(policy::X32_SYSCALL_BIT as u32);
#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
const X32_BIT: Option<u32> = None;

/// `AUDIT_ARCH_X86_64` or `AUDIT_ARCH_AARCH64`: what `seccomp_data.arch` says for the
/// native calls ([`target_arch`] has refused any other architecture before).
fn audit_arch() -> u32 {
    if cfg!(target_arch = "aarch64") {
        0xc000_00b7
    } else {
        0xc000_003e
    }
}

/// seccompiler's rules for one entry: one rule per alternative, each the `and` of its
/// conditions, compared on the low 32 bits (`Dword`, see [`policy::Cond`]). The deny
/// list is compiled by [`deny`] now; the unit tests compile it this way too, as the
/// reference it must answer like.
#[cfg(test)]
fn to_rules(rules: &[&[policy::Cond]]) -> Result<Vec<SeccompRule>, Error> {
    rules
        .iter()
        .map(|conds| {
            use seccompiler::{SeccompCmpArgLen, SeccompCmpOp, SeccompCondition};
            let conds = conds
                .iter()
                .map(|c| {
                    SeccompCondition::new(
                        c.arg,
                        SeccompCmpArgLen::Dword,
                        SeccompCmpOp::MaskedEq(u64::from(c.mask)),
                        u64::from(c.value),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            SeccompRule::new(conds)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| Error::Compile { source })
}

/// The numbers under which a listed call can be made: its own, and on x86_64 its x32
/// number (with `__X32_SYSCALL_BIT`) and the x32-only numbers of `ioctl` and `kexec_load`,
/// with and without the bit.
#[cfg(all(test, target_arch = "x86_64", target_pointer_width = "64"))]
fn with_x32_numbers(name: &str, nr: i64) -> Vec<i64> {
    let mut numbers = vec![nr, nr | policy::X32_SYSCALL_BIT];
    for &(_, x32) in policy::X32_ONLY_NUMBERS.iter().filter(|(n, _)| *n == name) {
        numbers.push(x32);
        numbers.push(x32 | policy::X32_SYSCALL_BIT);
    }
    numbers
}

#[cfg(all(test, not(all(target_arch = "x86_64", target_pointer_width = "64"))))]
fn with_x32_numbers(_name: &str, nr: i64) -> Vec<i64> {
    vec![nr]
}

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
fn target_arch() -> Result<seccompiler::TargetArch, Error> {
    Ok(seccompiler::TargetArch::x86_64)
}

#[cfg(target_arch = "aarch64")]
fn target_arch() -> Result<seccompiler::TargetArch, Error> {
    Ok(seccompiler::TargetArch::aarch64)
}

#[cfg(not(any(
    all(target_arch = "x86_64", target_pointer_width = "64"),
    target_arch = "aarch64"
)))]
fn target_arch() -> Result<seccompiler::TargetArch, Error> {
    Err(Error::UnsupportedArch {
        arch: std::env::consts::ARCH,
    })
}
