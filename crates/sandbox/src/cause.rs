//! Why user namespaces, or the maps of one, are not available, or which limit entering ran
//! into: the [`Cause`] that [`Error::cause`](crate::Error::cause) and
//! [`probe`](crate::probe) report, found from the sysctls, the process status and its
//! limits read when asked.

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;

use rustix::io::Errno;
use sandbox_namespaces::Namespaces;

use crate::privilege::Privilege;

/// Why user namespaces (or the maps of one) are not available, or which limit on
/// processes or descriptors was reached: what [`Error::cause`](crate::Error::cause) and
/// [`probe`](crate::probe) found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// `user.max_user_namespaces` is 0 in the calling process's user namespace (`ENOSPC`
    /// from `unshare`).
    UserNamespacesDisabled,
    /// `unshare` answered `ENOSPC` or `EUSERS` while `user.max_user_namespaces` is not 0: a
    /// limit in `/proc/sys/user` or the nesting depth (32) was reached.
    NamespaceLimitReached,
    /// `unshare` answered `ENOSPC` for a namespace type whose limit in `/proc/sys/user`
    /// (`user.max_net_namespaces`, `user.max_mnt_namespaces`, ...) was reached. Each
    /// namespace counts against the limit of its own user namespace and of every enclosing
    /// one, so the limit reached may be one this process cannot read: after a user
    /// namespace of the sandbox's was made, the original process lives in it and reads that
    /// namespace's limits, not the enclosing ones. Pid namespaces nested 32 deep answer
    /// `ENOSPC` too.
    NamespaceTypeLimitReached {
        /// The limits that read 0 in this process's user namespace when any does (then
        /// they are the cause); otherwise every type asked for, with its limit as read.
        limits: Vec<NamespaceLimit>,
    },
    /// `unshare` answered `ENOSPC` in a user namespace other than the initial one, whose own
    /// `user.max_user_namespaces` is not 0: the limit that was reached belongs to an
    /// enclosing user namespace, where this process cannot read or raise it. Flatpak's
    /// `bwrap --disable-userns` works so (a limit of 1 outside, the sandbox's namespace
    /// counted), as do container runtimes that forbid nested namespaces.
    EnclosingNamespaceLimit {
        /// `user.max_user_namespaces` as this process reads it: its own namespace's limit.
        local_limit: u64,
    },
    /// AppArmor restricts unprivileged user namespaces
    /// (`kernel.apparmor_restrict_unprivileged_userns` is 1; Ubuntu 23.10 and later).
    AppArmorRestricted,
    /// `kernel.unprivileged_userns_clone` is 0 (a Debian patch, older kernels).
    UnprivilegedUsernsCloneDisabled,
    /// A seccomp filter is active (`Seccomp: 2` in `/proc/self/status`) and `unshare`
    /// returned `EPERM`: a container runtime's profile, most likely.
    SeccompRefused,
    /// `unshare` returned `EPERM` and none of the above was found: no `CAP_SYS_ADMIN` for a
    /// namespace other than USER, a chroot, or an LSM.
    UnshareRefused,
    /// The map needs `newuidmap` or `newgidmap`, and it is not installed (not in `PATH`).
    IdMapToolMissing {
        /// `newuidmap` or `newgidmap`.
        program: String,
    },
    /// The map needs subordinate ids and the user has none in the file.
    NoSubordinateIds {
        /// The user, by name when it has one, else by uid.
        user: String,
        /// `/etc/subuid` or `/etc/subgid`.
        file: PathBuf,
    },
    /// `newuidmap` or `newgidmap` refused the map; its message is carried.
    IdMapToolRefused {
        /// The program.
        program: PathBuf,
        /// What it printed.
        message: String,
    },
    /// The process wrote its own maps and the kernel refused (`EPERM`): without a helper
    /// it may map only its own uid and gid, one line each.
    OwnIdsOnly,
    /// `fork(2)` answered `EAGAIN`: a limit on processes was reached.
    ProcessLimitReached {
        /// Which one, as far as could be told.
        limit: ProcessLimit,
    },
    /// A call answered `EMFILE`: the process's descriptor table reached its soft
    /// `RLIMIT_NOFILE`.
    DescriptorLimitReached {
        /// How many descriptors entering opens at once on top of those the process holds
        /// (in [`Mode::Namespace`](crate::Mode::Namespace), without an id-map helper).
        needed: u32,
        /// The descriptors open below the limit when the cause was looked for.
        open: u32,
        /// The soft `RLIMIT_NOFILE`.
        limit: u64,
    },
    /// Mounting a fresh proc was refused (`EPERM`) in a user namespace while every proc of
    /// the mount namespace has mounts on parts of it (a container's masks): the kernel's
    /// rule against a proc that would reveal what they hide.
    ProcCovered {
        /// The mount points of the covering mounts, from `/proc/self/mountinfo`.
        mounts: Vec<PathBuf>,
    },
}

/// One namespace type's limit in `/proc/sys/user`, as this process read it: what
/// [`Cause::NamespaceTypeLimitReached`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceLimit {
    /// The namespace type, one flag (not [`Namespaces::USER`], whose limit has causes of
    /// its own).
    pub namespace: Namespaces,
    /// `user.max_<type>_namespaces` in this process's user namespace; `None` where it could
    /// not be read (no proc, or a kernel without that sysctl: time namespaces have one
    /// since Linux 5.6).
    pub limit: Option<u64>,
}

impl NamespaceLimit {
    /// Reads the limit of `namespace` (one flag) now.
    pub(crate) fn read(namespace: Namespaces) -> NamespaceLimit {
        let limit = namespace
            .proc_name()
            .and_then(|name| read_trimmed(&format!("/proc/sys/user/max_{name}_namespaces")))
            .and_then(|value| value.parse().ok());
        NamespaceLimit { namespace, limit }
    }
}

impl fmt::Display for NamespaceLimit {
    /// The sysctl's name, `user.max_net_namespaces`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.namespace.proc_name() {
            Some(name) => write!(f, "user.max_{name}_namespaces"),
            None => write!(f, "the limit of {} namespaces", self.namespace),
        }
    }
}

/// The limit on processes that made `fork(2)` fail with `EAGAIN`: what
/// [`Cause::ProcessLimitReached`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessLimit {
    /// The pids cgroup of the process, or an ancestor, has as many tasks as its
    /// `pids.max` (systemd's `TasksMax=`, a container runtime's `--pids-limit`).
    PidsCgroup {
        /// The cgroup's directory.
        cgroup: PathBuf,
        /// Its `pids.max`.
        max: u64,
    },
    /// The soft `RLIMIT_NPROC`: the processes of the real uid, all of them, counted
    /// against it (`prlimit --nproc`, systemd's `LimitNPROC=`). Uid 0 of the initial user
    /// namespace, `CAP_SYS_RESOURCE` and `CAP_SYS_ADMIN` are exempt. Named only when the
    /// tasks of the real uid that `/proc` shows have reached it.
    Nproc {
        /// The soft limit.
        limit: u64,
    },
    /// No pids cgroup at its maximum, and no `RLIMIT_NPROC` that applies and was reached
    /// (or `/proc` could not tell): the system-wide `kernel.threads-max` or
    /// `kernel.pid_max`, or a limit freed since.
    Unknown,
}

impl fmt::Display for ProcessLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessLimit::PidsCgroup { cgroup, max } => write!(
                f,
                "the pids cgroup {} holds its pids.max of {max} tasks: raise pids.max \
                 (TasksMax= in systemd, --pids-limit in a container runtime)",
                cgroup.display()
            ),
            ProcessLimit::Nproc { limit } => write!(
                f,
                "the real uid has reached its RLIMIT_NPROC of {limit} (every process of that \
                 uid counts): raise the soft limit (prlimit --nproc, LimitNPROC= in systemd) \
                 or run fewer processes as this uid"
            ),
            ProcessLimit::Unknown => f.write_str(
                "a limit on processes: RLIMIT_NPROC, a pids cgroup's pids.max, \
                 kernel.threads-max or kernel.pid_max",
            ),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::UserNamespacesDisabled => f.write_str(
                "user namespaces are disabled: user.max_user_namespaces is 0 in this namespace",
            ),
            Cause::NamespaceLimitReached => f.write_str(
                "a namespace limit was reached (user.max_user_namespaces and its siblings in \
                 /proc/sys/user, or 32 nested user namespaces)",
            ),
            Cause::AppArmorRestricted => f.write_str(
                "AppArmor restricts unprivileged user namespaces \
                 (kernel.apparmor_restrict_unprivileged_userns = 1): give the daemon an AppArmor \
                 profile that allows userns, give it CAP_SYS_ADMIN, or use Mode::Landlock, \
                 which needs no namespace",
            ),
            Cause::UnprivilegedUsernsCloneDisabled => f.write_str(
                "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
            ),
            Cause::SeccompRefused => f.write_str(
                "a seccomp filter refuses unshare (EPERM with Seccomp: 2 in /proc/self/status): \
                 a container's profile forbids namespaces; Mode::Landlock confines the file \
                 system without them (Linux 5.13)",
            ),
            Cause::UnshareRefused => f.write_str(
                "unshare was refused (EPERM): missing CAP_SYS_ADMIN, a chroot or an LSM; inside \
                 a container Mode::Landlock confines the file system without namespaces \
                 (Linux 5.13)",
            ),
            Cause::IdMapToolMissing { program } => write!(
                f,
                "{program} is not installed (package uidmap on Debian and Ubuntu, shadow-utils \
                 elsewhere); it is needed to map more than the process's own ids"
            ),
            Cause::NoSubordinateIds { user, file } => write!(
                f,
                "user {user} has no subordinate ids in {}: add a line such as \
                 \"{user}:100000:65536\" (usermod --add-subuids / --add-subgids)",
                file.display()
            ),
            Cause::IdMapToolRefused { program, message } => {
                write!(f, "{} refused the map: {message}", program.display())
            }
            Cause::OwnIdsOnly => f.write_str(
                "this process may map only its own uid and gid, one line each; other ids, \
                 ranges and setgroups allow need newuidmap/newgidmap, or CAP_SETUID and CAP_SETGID",
            ),
            Cause::NamespaceTypeLimitReached { limits } => {
                let types = limits
                    .iter()
                    .fold(Namespaces::empty(), |all, l| all | l.namespace);
                if !limits.is_empty() && limits.iter().all(|l| l.limit == Some(0)) {
                    write_list(f, limits, |f, l| write!(f, "{l}"))?;
                    return write!(
                        f,
                        " is 0 in this user namespace: no {types} namespace may be made here \
                         (ENOSPC); raise it where it was set, or leave {types} out of the \
                         sandbox's namespaces (Builder::namespaces)"
                    );
                }
                f.write_str("a namespace limit was reached (ENOSPC): ")?;
                write_list(f, limits, |f, l| match l.limit {
                    Some(value) => write!(f, "{l} reads {value}"),
                    None => write!(f, "{l} is unreadable"),
                })?;
                write!(
                    f,
                    " in this user namespace, but each namespace counts against the limit of \
                     its user namespace and of every enclosing one: either that many exist \
                     here, or an enclosing user namespace, which this process cannot read, \
                     allows fewer (or pid namespaces nest 32 deep); raise the limit where it \
                     is set, or leave {types} out of the sandbox's namespaces \
                     (Builder::namespaces)"
                )
            }
            Cause::EnclosingNamespaceLimit { local_limit } => write!(
                f,
                "user namespaces are limited by an enclosing user namespace (as under \
                 Flatpak's bwrap --disable-userns or a container that forbids nesting): \
                 user.max_user_namespaces reads {local_limit} here, in a user namespace \
                 that is not the initial one, so unless that many were made here already, \
                 the limit reached is one outside, which this process can neither read nor \
                 raise; allow nested user namespaces where the daemon is started, or use \
                 Mode::Landlock, which needs no namespace"
            ),
            Cause::ProcessLimitReached { limit } => {
                write!(
                    f,
                    "fork answered EAGAIN: {limit}; entering forks one or two processes"
                )
            }
            Cause::DescriptorLimitReached {
                needed,
                open,
                limit,
            } => write!(
                f,
                "the descriptor table is full (EMFILE): {open} descriptors are open below the \
                 soft RLIMIT_NOFILE of {limit}, and entering opens about {needed} more at \
                 once (a limit of {} at least): raise the soft \
                 limit (setrlimit, prlimit --nofile, LimitNOFILE= in systemd) or close \
                 descriptors before entering",
                u64::from(*open) + u64::from(*needed)
            ),
            Cause::ProcCovered { mounts } => crate::proc_cover::describe(f, mounts),
        }
    }
}

/// Writes `items` separated by commas, each with `each`.
fn write_list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    each: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// What the diagnosis of an `unshare` failure looks at.
#[derive(Debug, Default)]
struct Facts {
    /// `CAP_SYS_ADMIN`: what spares the process the unprivileged-userns switches.
    sys_admin: bool,
    /// Whether the process is in the initial user namespace (`None`: unknown, no proc).
    initial_user_ns: Option<bool>,
    max_user_namespaces: Option<String>,
    /// The limits of the other types asked for, in the order of [`Namespaces`].
    type_limits: Vec<NamespaceLimit>,
    apparmor_restrict: Option<String>,
    userns_clone: Option<String>,
    seccomp: bool,
}

/// Why `unshare` (or `setns`) of `namespaces` returned `errno`, from the sysctls and the
/// process status read now.
///
/// The causes about user namespaces (their limit, the switches that forbid unprivileged
/// ones) apply only when `namespaces` holds [`Namespaces::USER`]: a failure of the other
/// types comes after the original process may have moved into the sandbox's user
/// namespace, whose own limits read large and which is not the initial one.
pub(crate) fn unshare_cause(namespaces: Namespaces, errno: Errno) -> Option<Cause> {
    let facts = Facts {
        // As built: a failure after the unshare leaves the process in the new user
        // namespace, with every capability there.
        sys_admin: Privilege::at_build().makes_namespaces(),
        initial_user_ns: sandbox_namespaces::in_initial_user_namespace().ok(),
        max_user_namespaces: read_trimmed("/proc/sys/user/max_user_namespaces"),
        type_limits: (namespaces - Namespaces::USER)
            .iter()
            .map(NamespaceLimit::read)
            .collect(),
        apparmor_restrict: read_trimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
        userns_clone: read_trimmed("/proc/sys/kernel/unprivileged_userns_clone"),
        seccomp: seccomp_filtered(),
    };
    classify(namespaces, errno, &facts)
}

fn classify(namespaces: Namespaces, errno: Errno, facts: &Facts) -> Option<Cause> {
    let user = namespaces.contains(Namespaces::USER);
    let local_limit = facts
        .max_user_namespaces
        .as_deref()
        .and_then(|l| l.parse::<u64>().ok());
    let zeros: Vec<NamespaceLimit> = facts
        .type_limits
        .iter()
        .filter(|l| l.limit == Some(0))
        .cloned()
        .collect();
    match errno {
        Errno::NOSPC | Errno::USERS if user => Some(match local_limit {
            Some(0) => Cause::UserNamespacesDisabled,
            // The user namespace was made and another type asked with it hit its limit.
            _ if errno == Errno::NOSPC && !zeros.is_empty() => {
                Cause::NamespaceTypeLimitReached { limits: zeros }
            }
            // The nesting depth is EUSERS; ENOSPC with room here is a limit further out.
            Some(local_limit) if errno == Errno::NOSPC && facts.initial_user_ns == Some(false) => {
                Cause::EnclosingNamespaceLimit { local_limit }
            }
            _ => Cause::NamespaceLimitReached,
        }),
        Errno::NOSPC if !facts.type_limits.is_empty() => Some(Cause::NamespaceTypeLimitReached {
            limits: match zeros.is_empty() {
                true => facts.type_limits.clone(),
                false => zeros,
            },
        }),
        Errno::NOSPC | Errno::USERS => Some(Cause::NamespaceLimitReached),
        Errno::PERM => Some(
            // AppArmor's rule also leaves the user namespace it allowed without
            // capabilities, so that the other types fail after it.
            if !facts.sys_admin && facts.apparmor_restrict.as_deref() == Some("1") {
                Cause::AppArmorRestricted
            } else if user && !facts.sys_admin && facts.userns_clone.as_deref() == Some("0") {
                Cause::UnprivilegedUsernsCloneDisabled
            } else if facts.seccomp {
                Cause::SeccompRefused
            } else {
                Cause::UnshareRefused
            },
        ),
        _ => None,
    }
}

/// Whether a seccomp filter is installed on this process: `Seccomp: 2`.
fn seccomp_filtered() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.strip_prefix("Seccomp:").map(str::trim) == Some("2"))
    })
}

/// The user as newuidmap names it: by name from `/etc/passwd`, else by uid.
pub(crate) fn user_label(uid: u32) -> String {
    sandbox_namespaces::user_name(uid)
        .ok()
        .flatten()
        .unwrap_or_else(|| uid.to_string())
}

/// The cause of a helper failure: a missing tool, no subordinate ids at all, or the
/// tool's own refusal.
pub(crate) fn helper_cause(e: &sandbox_namespaces::Error, uid: u32) -> Option<Cause> {
    match e {
        sandbox_namespaces::Error::IdMapToolNotFound { program } => Some(Cause::IdMapToolMissing {
            program: program.display().to_string(),
        }),
        sandbox_namespaces::Error::IdMapToolFailed {
            program, message, ..
        } => {
            let file = if program.file_name() == Some(OsStr::new("newgidmap")) {
                sandbox_namespaces::SUBGID_FILE
            } else {
                sandbox_namespaces::SUBUID_FILE
            };
            let name = sandbox_namespaces::user_name(uid).ok().flatten();
            match sandbox_namespaces::subordinate_ranges(file, name.as_deref(), uid) {
                Ok(ranges) if ranges.is_empty() => Some(Cause::NoSubordinateIds {
                    user: name.unwrap_or_else(|| uid.to_string()),
                    file: PathBuf::from(file),
                }),
                _ => Some(Cause::IdMapToolRefused {
                    program: program.clone(),
                    message: message.clone(),
                }),
            }
        }
        // The helper's own writes (as root) name the file and errno; no cause beyond that.
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn each_environment_gives_its_own_cause() {
        let some = |s: &str| Some(s.to_string());
        let facts = |f: fn(&mut Facts)| {
            let mut facts = Facts {
                max_user_namespaces: some("1000"),
                apparmor_restrict: None,
                userns_clone: None,
                ..Facts::default()
            };
            f(&mut facts);
            facts
        };
        // Entering unshares user and pid together, in the original process.
        let u = Namespaces::USER | Namespaces::PID;
        let zero = facts(|f| f.max_user_namespaces = Some("0".into()));
        assert_eq!(
            classify(u, Errno::NOSPC, &zero),
            Some(Cause::UserNamespacesDisabled)
        );
        assert_eq!(
            classify(u, Errno::NOSPC, &facts(|_| {})),
            Some(Cause::NamespaceLimitReached)
        );
        assert_eq!(
            classify(u, Errno::USERS, &facts(|_| {})),
            Some(Cause::NamespaceLimitReached)
        );
        let apparmor = facts(|f| f.apparmor_restrict = Some("1".into()));
        assert_eq!(
            classify(u, Errno::PERM, &apparmor),
            Some(Cause::AppArmorRestricted)
        );
        let clone = facts(|f| f.userns_clone = Some("0".into()));
        assert_eq!(
            classify(u, Errno::PERM, &clone),
            Some(Cause::UnprivilegedUsernsCloneDisabled)
        );
        let seccomp = facts(|f| f.seccomp = true);
        assert_eq!(
            classify(u, Errno::PERM, &seccomp),
            Some(Cause::SeccompRefused)
        );
        assert_eq!(
            classify(u, Errno::PERM, &facts(|_| {})),
            Some(Cause::UnshareRefused)
        );
        // CAP_SYS_ADMIN is not restricted by the unprivileged-userns switches.
        let root_apparmor = facts(|f| {
            f.sys_admin = true;
            f.apparmor_restrict = Some("1".into());
        });
        assert_eq!(
            classify(u, Errno::PERM, &root_apparmor),
            Some(Cause::UnshareRefused)
        );
        assert_eq!(classify(u, Errno::INVAL, &facts(|_| {})), None);
        // ENOSPC with room here, in a namespace that is not the initial one: the limit is
        // an enclosing namespace's (bwrap --disable-userns).
        let nested = facts(|f| f.initial_user_ns = Some(false));
        assert_eq!(
            classify(u, Errno::NOSPC, &nested),
            Some(Cause::EnclosingNamespaceLimit { local_limit: 1000 })
        );
        let nested_zero = facts(|f| {
            f.initial_user_ns = Some(false);
            f.max_user_namespaces = Some("0".into());
        });
        assert_eq!(
            classify(u, Errno::NOSPC, &nested_zero),
            Some(Cause::UserNamespacesDisabled)
        );
        // The nesting depth (EUSERS) is no enclosing limit.
        assert_eq!(
            classify(u, Errno::USERS, &nested),
            Some(Cause::NamespaceLimitReached)
        );
        // Other types than user: only their own limits, read where the process is.
        fn net(limit: Option<u64>) -> NamespaceLimit {
            NamespaceLimit {
                namespace: Namespaces::NET,
                limit,
            }
        }
        fn mnt(limit: Option<u64>) -> NamespaceLimit {
            NamespaceLimit {
                namespace: Namespaces::MOUNT,
                limit,
            }
        }
        let child = Namespaces::MOUNT | Namespaces::NET;
        // In the sandbox's user namespace, whose limits read large and which is not the
        // initial one: not the user-namespace causes.
        let moved = facts(|f| {
            f.initial_user_ns = Some(false);
            f.max_user_namespaces = Some("2147483647".into());
            f.type_limits = vec![mnt(Some(2147483647)), net(Some(2147483647))];
        });
        assert_eq!(
            classify(child, Errno::NOSPC, &moved),
            Some(Cause::NamespaceTypeLimitReached {
                limits: vec![mnt(Some(2147483647)), net(Some(2147483647))]
            })
        );
        // A limit of 0 here is named alone.
        let net_zero = facts(|f| f.type_limits = vec![mnt(Some(1000)), net(Some(0))]);
        assert_eq!(
            classify(child, Errno::NOSPC, &net_zero),
            Some(Cause::NamespaceTypeLimitReached {
                limits: vec![net(Some(0))]
            })
        );
        // With the user namespace in the same call, a type at 0 is the cause too.
        let pid_zero = facts(|f| {
            f.type_limits = vec![NamespaceLimit {
                namespace: Namespaces::PID,
                limit: Some(0),
            }]
        });
        assert_eq!(
            classify(u, Errno::NOSPC, &pid_zero),
            Some(Cause::NamespaceTypeLimitReached {
                limits: vec![NamespaceLimit {
                    namespace: Namespaces::PID,
                    limit: Some(0)
                }]
            })
        );
        // The unprivileged-userns switch is about user namespaces only.
        assert_eq!(
            classify(child, Errno::PERM, &clone),
            Some(Cause::UnshareRefused)
        );
        // Each cause has its own message.
        let all = every_cause();
        let texts: std::collections::BTreeSet<String> =
            all.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), all.len());
        assert!(Cause::AppArmorRestricted.to_string().contains("apparmor"));
    }

    #[test]
    fn a_namespace_type_limit_names_its_sysctl() {
        let zero = Cause::NamespaceTypeLimitReached {
            limits: vec![NamespaceLimit {
                namespace: Namespaces::NET,
                limit: Some(0),
            }],
        };
        let text = zero.to_string();
        assert!(
            text.starts_with("user.max_net_namespaces is 0 in this user namespace"),
            "{text}"
        );
        assert!(!text.contains("max_user_namespaces"), "{text}");
        let read = Cause::NamespaceTypeLimitReached {
            limits: vec![
                NamespaceLimit {
                    namespace: Namespaces::MOUNT,
                    limit: Some(7),
                },
                NamespaceLimit {
                    namespace: Namespaces::TIME,
                    limit: None,
                },
            ],
        };
        let text = read.to_string();
        assert!(
            text.contains(
                "user.max_mnt_namespaces reads 7, user.max_time_namespaces is unreadable"
            ),
            "{text}"
        );
        assert!(text.contains("enclosing"), "{text}");
    }

    #[test]
    fn causes_read_as_sentences() {
        let c = Cause::NoSubordinateIds {
            user: "nobody".into(),
            file: "/etc/subuid".into(),
        };
        assert!(c.to_string().contains("nobody:100000:65536"));
        assert!(Cause::UserNamespacesDisabled
            .to_string()
            .contains("max_user_namespaces is 0"));
    }

    /// One of each cause, with each kind of field (for the message and wire tests).
    pub(crate) fn every_cause() -> Vec<Cause> {
        let limit = |namespace, limit| NamespaceLimit { namespace, limit };
        vec![
            Cause::UserNamespacesDisabled,
            Cause::NamespaceLimitReached,
            Cause::AppArmorRestricted,
            Cause::UnprivilegedUsernsCloneDisabled,
            Cause::SeccompRefused,
            Cause::UnshareRefused,
            Cause::IdMapToolMissing {
                program: "newuidmap".into(),
            },
            Cause::NoSubordinateIds {
                user: "u".into(),
                file: "/etc/subuid".into(),
            },
            Cause::IdMapToolRefused {
                program: "/usr/bin/newuidmap".into(),
                message: "m".into(),
            },
            Cause::OwnIdsOnly,
            Cause::EnclosingNamespaceLimit { local_limit: 5 },
            Cause::NamespaceTypeLimitReached {
                limits: vec![limit(Namespaces::NET, Some(0))],
            },
            Cause::NamespaceTypeLimitReached {
                limits: vec![
                    limit(Namespaces::NET, Some(5)),
                    limit(Namespaces::MOUNT, None),
                ],
            },
            Cause::ProcessLimitReached {
                limit: ProcessLimit::Nproc { limit: 1 },
            },
            Cause::ProcessLimitReached {
                limit: ProcessLimit::PidsCgroup {
                    cgroup: "/sys/fs/cgroup/a".into(),
                    max: 1,
                },
            },
            Cause::ProcessLimitReached {
                limit: ProcessLimit::Unknown,
            },
            Cause::DescriptorLimitReached {
                needed: 6,
                open: 7,
                limit: 12,
            },
            Cause::ProcCovered {
                mounts: vec!["/proc/kcore".into(), "/proc/sys".into()],
            },
        ]
    }
}
