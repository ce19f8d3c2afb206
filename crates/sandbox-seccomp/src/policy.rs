//! The default deny list: which calls, on which arguments, and why each is there.
//!
//! The list is kept small and argued call by call. It starts from Docker's default profile
//! (the calls it refuses to a container without the matching capability) and from what a
//! file server like virtiofsd never needs (its allowlist leaves all of these out); it adds
//! the calls that turn a confined daemon into a way out: a new user namespace (which gives
//! back every capability inside it), a setuid file left for the host, a fake keystroke on
//! the host's terminal.

/// One condition on an argument: `(arg & mask) == value`, on the low 32 bits.
///
/// Every argument the list looks at is an `int`, `unsigned int` or `umode_t` to the kernel
/// (or, for the clone flags, has its bit in the low half), and the kernel itself drops the
/// high half of such a register, so comparing the low 32 bits only is exact: a caller
/// cannot dodge a rule by setting high bits the kernel ignores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cond {
    pub(crate) arg: u8,
    pub(crate) mask: u32,
    pub(crate) value: u32,
}

/// `(arg & bits) == bits`: all of `bits` are set.
const fn bits(arg: u8, bits: u32) -> Cond {
    Cond {
        arg,
        mask: bits,
        value: bits,
    }
}

/// `arg == value` (as the kernel reads an `int`).
const fn equals(arg: u8, value: u32) -> Cond {
    Cond {
        arg,
        mask: u32::MAX,
        value,
    }
}

/// How a listed call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// With the filter's configured [`Action`](crate::Action).
    Action,
    /// With `ENOSYS` whatever the action: the call carries its arguments in a struct a
    /// filter cannot read, and `ENOSYS` makes libc fall back to the older call, which the
    /// list does check.
    Enosys,
}

/// One entry of the list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// The call's name.
    pub(crate) name: &'static str,
    /// Refused when one of these rules holds (each rule: all its conditions); always when
    /// empty.
    pub(crate) rules: &'static [&'static [Cond]],
    pub(crate) refusal: Refusal,
}

const fn always(name: &'static str) -> Entry {
    Entry {
        name,
        rules: &[],
        refusal: Refusal::Action,
    }
}

const fn when(name: &'static str, rules: &'static [&'static [Cond]]) -> Entry {
    Entry {
        name,
        rules,
        refusal: Refusal::Action,
    }
}

const fn enosys(name: &'static str) -> Entry {
    Entry {
        name,
        rules: &[],
        refusal: Refusal::Enosys,
    }
}

const CLONE_NEWUSER: u32 = libc::CLONE_NEWUSER as u32;
const S_ISUID: u32 = libc::S_ISUID;
/// Setgid with group execute: a setgid executable. Setgid without group execute is the
/// old mandatory-locking mark, and a setgid directory is created by `mkdir`, which the
/// list does not check.
const S_ISGID_XGRP: u32 = libc::S_ISGID | libc::S_IXGRP;
const O_CREAT: u32 = libc::O_CREAT as u32;
/// `__O_TMPFILE`: `O_TMPFILE` without the `O_DIRECTORY` it includes, the bit the kernel
/// tests (`WILL_CREATE`) to decide that the mode argument counts.
const O_TMPFILE_BIT: u32 = (libc::O_TMPFILE & !libc::O_DIRECTORY) as u32;

/// Rules for a mode argument at `$mode` that makes a setuid file or a setgid executable.
macro_rules! setid_mode {
    ($mode:literal) => {
        &[&[bits($mode, S_ISUID)], &[bits($mode, S_ISGID_XGRP)]]
    };
}

/// Rules for `open`-style calls (flags at `$flags`, mode at `$mode`): the setid mode only
/// counts when the call creates a file (`O_CREAT` or `O_TMPFILE`), as in the kernel.
macro_rules! creating_setid {
    ($flags:literal, $mode:literal) => {
        &[
            &[bits($flags, O_CREAT), bits($mode, S_ISUID)],
            &[bits($flags, O_CREAT), bits($mode, S_ISGID_XGRP)],
            &[bits($flags, O_TMPFILE_BIT), bits($mode, S_ISUID)],
            &[bits($flags, O_TMPFILE_BIT), bits($mode, S_ISGID_XGRP)],
        ]
    };
}

/// The default deny list. Names a supported architecture lacks (`open`, `creat`, `chmod`,
/// `mknod` on aarch64) are skipped there; a unit test checks that every name is known.
///
/// Keep [`Filter::default_deny`](crate::Filter::default_deny)'s table in step.
pub(crate) const DEFAULT: &[Entry] = &[
    // The kernel keyring is not namespaced: a daemon could read or plant keys of its uid
    // on the host (Docker refuses all three).
    always("keyctl"),
    always("add_key"),
    always("request_key"),
    // A new user namespace gives back every capability inside it and opens the large
    // attack surface of namespaced mounts, netfilter, etc. (Docker refuses `unshare` and
    // namespace flags of `clone` without CAP_SYS_ADMIN). Other namespaces need
    // CAP_SYS_ADMIN, which a confined daemon no longer has.
    when("unshare", &[&[bits(0, CLONE_NEWUSER)]]),
    when("clone", &[&[bits(0, CLONE_NEWUSER)]]),
    // clone3 takes its flags in a struct the filter cannot read: ENOSYS, and libc (glibc
    // 2.34+, for threads and posix_spawn) falls back to clone, which is checked above.
    enosys("clone3"),
    // Loading kernel code or a new kernel (Docker: CAP_SYS_MODULE, CAP_SYS_BOOT).
    always("init_module"),
    always("finit_module"),
    always("delete_module"),
    always("kexec_load"),
    always("kexec_file_load"),
    // Large kernel attack surfaces a file server never needs (Docker refuses bpf and
    // perf_event_open; userfaultfd and io_uring have a history of exploits and are
    // refused by Docker and ChromeOS; virtiofsd's allowlist has none of them).
    always("bpf"),
    always("perf_event_open"),
    always("userfaultfd"),
    always("io_uring_setup"),
    always("io_uring_enter"),
    always("io_uring_register"),
    // Opens any file of a file system by a handle, bypassing the directory tree (the
    // "shocker" escape from Docker; needs CAP_DAC_READ_SEARCH).
    always("open_by_handle_at"),
    // Joins another namespace by descriptor. A real-root daemon without capabilities is
    // still the owner of user namespaces that host root made, and so has every capability
    // in them: one such descriptor, received on a kept socket, would be a way into them
    // (Docker: CAP_SYS_ADMIN).
    always("setns"),
    // Changing the mount table or the root would undo the sandbox's own mounts.
    always("mount"),
    always("umount2"),
    always("open_tree"),
    always("move_mount"),
    always("fsopen"),
    always("fsconfig"),
    always("fsmount"),
    always("fspick"),
    always("mount_setattr"),
    always("pivot_root"),
    always("chroot"),
    // Host-wide state: swap, reboot, process accounting, quotas (Docker: CAP_SYS_ADMIN,
    // CAP_SYS_BOOT, CAP_SYS_PACCT).
    always("swapon"),
    always("swapoff"),
    always("reboot"),
    always("acct"),
    always("quotactl"),
    // The host's clock (Docker: CAP_SYS_TIME). adjtimex and clock_adjtime are refused
    // whole, also their read-only form: a filter cannot read the `modes` field.
    always("settimeofday"),
    always("clock_settime"),
    always("clock_adjtime"),
    always("adjtimex"),
    // The kernel log leaks kernel addresses and host events (Docker: CAP_SYSLOG).
    always("syslog"),
    // TIOCSTI pushes keystrokes into a terminal's input (a shell of the host that shares
    // the tty runs them); TIOCLINUX can do the same on a virtual console. `cmd` is an
    // `unsigned int` to the kernel: the comparison on 32 bits cannot be dodged with
    // high bits.
    when(
        "ioctl",
        &[
            &[equals(1, libc::TIOCSTI as u32)],
            &[equals(1, libc::TIOCLINUX as u32)],
        ],
    ),
    // The uevent netlink socket hears the host's device events and, with privilege, can
    // forge them to udev. Other netlink sockets (routing in the sandbox's own network
    // namespace) stay allowed. AF_VSOCK is not isolated by network namespaces: it reaches
    // the host's and the guests' vsock listeners from any namespace (Docker refuses it).
    // AF_ALG is the kernel's crypto API, a large surface with a history of exploits that
    // a daemon does not need (Docker refuses it).
    when(
        "socket",
        &[
            &[
                equals(0, libc::AF_NETLINK as u32),
                equals(2, libc::NETLINK_KOBJECT_UEVENT as u32),
            ],
            &[equals(0, libc::AF_VSOCK as u32)],
            &[equals(0, libc::AF_ALG as u32)],
        ],
    ),
    // A setuid file, or a setgid executable, left in the shared directory runs with the
    // daemon's ids for whoever on the host executes it. chmod-style calls are refused on
    // the mode alone: a filter cannot tell a directory from a file, so `chmod 2775` on a
    // directory is refused too (mkdir, which gives a new directory the setgid bit of its
    // parent, is not checked).
    when("chmod", setid_mode!(1)),
    when("fchmod", setid_mode!(1)),
    when("fchmodat", setid_mode!(2)),
    when("fchmodat2", setid_mode!(2)),
    when("creat", setid_mode!(1)),
    when("mknod", setid_mode!(1)),
    when("mknodat", setid_mode!(2)),
    // open/openat: only when the call creates a file, because the kernel ignores the mode
    // argument otherwise and a caller may leave anything in that register (a variadic
    // open without O_CREAT passes garbage): refusing on the mode bits alone would refuse
    // innocent opens.
    when("open", creating_setid!(1, 2)),
    when("openat", creating_setid!(2, 3)),
    // openat2 takes its mode in a struct the filter cannot read: ENOSYS, and callers fall
    // back to openat, which is checked above.
    enosys("openat2"),
];

/// The number of each entry of [`DEFAULT`] on this architecture (`None` where it lacks the
/// call), found while compiling.
pub(crate) const DEFAULT_NUMBERS: [Option<i64>; DEFAULT.len()] = {
    let mut numbers = [None; DEFAULT.len()];
    let mut i = 0;
    while i < DEFAULT.len() {
        numbers[i] = crate::table::const_number(DEFAULT[i].name);
        i += 1;
    }
    numbers
};

/// x86_64: `ioctl` and `kexec_load` also have x32 numbers of their own (the x32 ABI's
/// compat entry points, 512 and up). The filter refuses them with and without the x32 bit,
/// like every other x32 number of a listed call.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
pub(crate) const X32_ONLY_NUMBERS: &[(&str, i64)] = &[("ioctl", 514), ("kexec_load", 528)];

/// x86_64: the bit that marks an x32 system call number (`__X32_SYSCALL_BIT`). An x32
/// call has the same audit arch as a 64-bit one (`AUDIT_ARCH_X86_64`), so the arch check
/// lets it through and only the number tells it apart.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
pub(crate) const X32_SYSCALL_BIT: i64 = 0x4000_0000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{lookup, Lookup};

    #[test]
    fn every_default_name_is_a_known_call() {
        for entry in DEFAULT {
            assert_ne!(lookup(entry.name), Lookup::Unknown, "{}", entry.name);
        }
    }

    #[test]
    fn every_rule_has_a_condition_and_valid_arguments() {
        for entry in DEFAULT {
            for rule in entry.rules {
                assert!(!rule.is_empty(), "{}: an empty rule", entry.name);
                for cond in *rule {
                    assert!(cond.arg <= 5, "{}", entry.name);
                    assert_eq!(cond.value & !cond.mask, 0, "{}", entry.name);
                }
            }
        }
    }

    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[test]
    fn every_default_name_exists_on_x86_64() {
        for entry in DEFAULT {
            assert!(
                matches!(lookup(entry.name), Lookup::Number(..)),
                "{}",
                entry.name
            );
        }
    }

    #[test]
    fn numbers_found_while_compiling_are_the_tables() {
        for (entry, nr) in DEFAULT.iter().zip(DEFAULT_NUMBERS) {
            assert_eq!(nr, crate::table::number(entry.name), "{}", entry.name);
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in DEFAULT.iter().enumerate() {
            for b in &DEFAULT[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
    }
}
