//! The names of the system calls of each supported architecture and their numbers.
//!
//! The numbers come from the `libc` crate's `SYS_*` constants (the names that both its glibc
//! and its musl targets define, so that the table compiles on both); the few calls missing
//! from one of them are added by number from the kernel's tables, each with its source.

/// A `SYS_name` and its number on the running architecture.
pub(crate) type Entry = (&'static str, i64);

/// `(stringify!(SYS_name), libc::SYS_name)` for each name.
#[allow(unused_macros)]
macro_rules! table {
    ($($sys:ident)*) => {
        &[$((stringify!($sys), libc::$sys as i64)),*]
    };
}

/// x86_64 (64-bit ABI; x32 processes are not supported by this crate).
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
mod arch {
    use super::Entry;

    /// Every name libc defines on x86_64 for both glibc and musl.
    pub(crate) const LIBC: &[Entry] = table![
        SYS__sysctl SYS_accept SYS_accept4 SYS_access SYS_acct SYS_add_key SYS_adjtimex
        SYS_afs_syscall SYS_alarm SYS_arch_prctl SYS_bind SYS_bpf SYS_brk SYS_capget SYS_capset
        SYS_chdir SYS_chmod SYS_chown SYS_chroot SYS_clock_adjtime SYS_clock_getres
        SYS_clock_gettime SYS_clock_nanosleep SYS_clock_settime SYS_clone SYS_clone3 SYS_close
        SYS_close_range SYS_connect SYS_copy_file_range SYS_creat SYS_delete_module SYS_dup
        SYS_dup2 SYS_dup3 SYS_epoll_create SYS_epoll_create1 SYS_epoll_ctl SYS_epoll_ctl_old
        SYS_epoll_pwait SYS_epoll_pwait2 SYS_epoll_wait SYS_epoll_wait_old SYS_eventfd
        SYS_eventfd2 SYS_execve SYS_execveat SYS_exit SYS_exit_group SYS_faccessat
        SYS_faccessat2 SYS_fadvise64 SYS_fallocate SYS_fanotify_init SYS_fanotify_mark
        SYS_fchdir SYS_fchmod SYS_fchmodat SYS_fchmodat2 SYS_fchown SYS_fchownat SYS_fcntl
        SYS_fdatasync SYS_fgetxattr SYS_finit_module SYS_flistxattr SYS_flock SYS_fork
        SYS_fremovexattr SYS_fsconfig SYS_fsetxattr SYS_fsmount SYS_fsopen SYS_fspick SYS_fstat
        SYS_fstatfs SYS_fsync SYS_ftruncate SYS_futex SYS_futex_waitv SYS_futimesat
        SYS_get_mempolicy SYS_get_robust_list SYS_get_thread_area SYS_getcpu SYS_getcwd
        SYS_getdents SYS_getdents64 SYS_getegid SYS_geteuid SYS_getgid SYS_getgroups
        SYS_getitimer SYS_getpeername SYS_getpgid SYS_getpgrp SYS_getpid SYS_getpmsg
        SYS_getppid SYS_getpriority SYS_getrandom SYS_getresgid SYS_getresuid SYS_getrlimit
        SYS_getrusage SYS_getsid SYS_getsockname SYS_getsockopt SYS_gettid SYS_gettimeofday
        SYS_getuid SYS_getxattr SYS_init_module SYS_inotify_add_watch SYS_inotify_init
        SYS_inotify_init1 SYS_inotify_rm_watch SYS_io_cancel SYS_io_destroy SYS_io_getevents
        SYS_io_setup SYS_io_submit SYS_io_uring_enter SYS_io_uring_register SYS_io_uring_setup
        SYS_ioctl SYS_ioperm SYS_iopl SYS_ioprio_get SYS_ioprio_set SYS_kcmp
        SYS_kexec_file_load SYS_kexec_load SYS_keyctl SYS_kill SYS_landlock_add_rule
        SYS_landlock_create_ruleset SYS_landlock_restrict_self SYS_lchown SYS_lgetxattr
        SYS_link SYS_linkat SYS_listen SYS_listxattr SYS_llistxattr SYS_lookup_dcookie
        SYS_lremovexattr SYS_lseek SYS_lsetxattr SYS_lstat SYS_madvise SYS_mbind SYS_membarrier
        SYS_memfd_create SYS_memfd_secret SYS_migrate_pages SYS_mincore SYS_mkdir SYS_mkdirat
        SYS_mknod SYS_mknodat SYS_mlock SYS_mlock2 SYS_mlockall SYS_mmap SYS_modify_ldt
        SYS_mount SYS_mount_setattr SYS_move_mount SYS_move_pages SYS_mprotect
        SYS_mq_getsetattr SYS_mq_notify SYS_mq_open SYS_mq_timedreceive SYS_mq_timedsend
        SYS_mq_unlink SYS_mremap SYS_mseal SYS_msgctl SYS_msgget SYS_msgrcv SYS_msgsnd
        SYS_msync SYS_munlock SYS_munlockall SYS_munmap SYS_name_to_handle_at SYS_nanosleep
        SYS_newfstatat SYS_nfsservctl SYS_open SYS_open_by_handle_at SYS_open_tree SYS_openat
        SYS_openat2 SYS_pause SYS_perf_event_open SYS_personality SYS_pidfd_getfd
        SYS_pidfd_open SYS_pidfd_send_signal SYS_pipe SYS_pipe2 SYS_pivot_root SYS_pkey_alloc
        SYS_pkey_free SYS_pkey_mprotect SYS_poll SYS_ppoll SYS_prctl SYS_pread64 SYS_preadv
        SYS_preadv2 SYS_prlimit64 SYS_process_madvise SYS_process_mrelease SYS_process_vm_readv
        SYS_process_vm_writev SYS_pselect6 SYS_ptrace SYS_putpmsg SYS_pwrite64 SYS_pwritev
        SYS_pwritev2 SYS_quotactl SYS_quotactl_fd SYS_read SYS_readahead SYS_readlink
        SYS_readlinkat SYS_readv SYS_reboot SYS_recvfrom SYS_recvmmsg SYS_recvmsg
        SYS_remap_file_pages SYS_removexattr SYS_rename SYS_renameat SYS_renameat2
        SYS_request_key SYS_restart_syscall SYS_rmdir SYS_rseq SYS_rt_sigaction
        SYS_rt_sigpending SYS_rt_sigprocmask SYS_rt_sigqueueinfo SYS_rt_sigreturn
        SYS_rt_sigsuspend SYS_rt_sigtimedwait SYS_rt_tgsigqueueinfo SYS_sched_get_priority_max
        SYS_sched_get_priority_min SYS_sched_getaffinity SYS_sched_getattr SYS_sched_getparam
        SYS_sched_getscheduler SYS_sched_rr_get_interval SYS_sched_setaffinity
        SYS_sched_setattr SYS_sched_setparam SYS_sched_setscheduler SYS_sched_yield SYS_seccomp
        SYS_security SYS_select SYS_semctl SYS_semget SYS_semop SYS_semtimedop SYS_sendfile
        SYS_sendmmsg SYS_sendmsg SYS_sendto SYS_set_mempolicy SYS_set_mempolicy_home_node
        SYS_set_robust_list SYS_set_thread_area SYS_set_tid_address SYS_setdomainname
        SYS_setfsgid SYS_setfsuid SYS_setgid SYS_setgroups SYS_sethostname SYS_setitimer
        SYS_setns SYS_setpgid SYS_setpriority SYS_setregid SYS_setresgid SYS_setresuid
        SYS_setreuid SYS_setrlimit SYS_setsid SYS_setsockopt SYS_settimeofday SYS_setuid
        SYS_setxattr SYS_shmat SYS_shmctl SYS_shmdt SYS_shmget SYS_shutdown SYS_sigaltstack
        SYS_signalfd SYS_signalfd4 SYS_socket SYS_socketpair SYS_splice SYS_stat SYS_statfs
        SYS_statx SYS_swapoff SYS_swapon SYS_symlink SYS_symlinkat SYS_sync SYS_sync_file_range
        SYS_syncfs SYS_sysfs SYS_sysinfo SYS_syslog SYS_tee SYS_tgkill SYS_time
        SYS_timer_create SYS_timer_delete SYS_timer_getoverrun SYS_timer_gettime
        SYS_timer_settime SYS_timerfd_create SYS_timerfd_gettime SYS_timerfd_settime SYS_times
        SYS_tkill SYS_truncate SYS_tuxcall SYS_umask SYS_umount2 SYS_uname SYS_unlink
        SYS_unlinkat SYS_unshare SYS_uselib SYS_userfaultfd SYS_ustat SYS_utime SYS_utimensat
        SYS_utimes SYS_vfork SYS_vhangup SYS_vmsplice SYS_vserver SYS_wait4 SYS_waitid
        SYS_write SYS_writev
    ];

    /// In musl's list but not glibc's: `arch/x86/entry/syscalls/syscall_64.tbl`.
    pub(crate) const EXTRA: &[Entry] = &[("SYS_io_pgetevents", 333)];

    /// Names of aarch64 that x86_64 lacks: none.
    pub(crate) const ONLY_ELSEWHERE: &[&str] = &[];
}

/// aarch64 (the 64-bit ABI; AArch32 compat calls fail the filter's arch check).
#[cfg(target_arch = "aarch64")]
mod arch {
    use super::Entry;

    /// Every name libc defines on aarch64 for both glibc and musl.
    pub(crate) const LIBC: &[Entry] = table![
        SYS_accept SYS_accept4 SYS_acct SYS_add_key SYS_adjtimex SYS_bind SYS_bpf SYS_brk
        SYS_capget SYS_capset SYS_chdir SYS_chroot SYS_clock_adjtime SYS_clock_getres
        SYS_clock_gettime SYS_clock_nanosleep SYS_clock_settime SYS_clone SYS_clone3 SYS_close
        SYS_close_range SYS_connect SYS_copy_file_range SYS_delete_module SYS_dup SYS_dup3
        SYS_epoll_create1 SYS_epoll_ctl SYS_epoll_pwait SYS_epoll_pwait2 SYS_eventfd2
        SYS_execve SYS_execveat SYS_exit SYS_exit_group SYS_faccessat SYS_faccessat2
        SYS_fadvise64 SYS_fallocate SYS_fanotify_init SYS_fanotify_mark SYS_fchdir SYS_fchmod
        SYS_fchmodat SYS_fchown SYS_fchownat SYS_fcntl SYS_fdatasync SYS_fgetxattr
        SYS_finit_module SYS_flistxattr SYS_flock SYS_fremovexattr SYS_fsconfig SYS_fsetxattr
        SYS_fsmount SYS_fsopen SYS_fspick SYS_fstat SYS_fstatfs SYS_fsync SYS_ftruncate
        SYS_futex SYS_futex_waitv SYS_get_mempolicy SYS_get_robust_list SYS_getcpu SYS_getcwd
        SYS_getdents64 SYS_getegid SYS_geteuid SYS_getgid SYS_getgroups SYS_getitimer
        SYS_getpeername SYS_getpgid SYS_getpid SYS_getppid SYS_getpriority SYS_getrandom
        SYS_getresgid SYS_getresuid SYS_getrusage SYS_getsid SYS_getsockname SYS_getsockopt
        SYS_gettid SYS_gettimeofday SYS_getuid SYS_getxattr SYS_init_module
        SYS_inotify_add_watch SYS_inotify_init1 SYS_inotify_rm_watch SYS_io_cancel
        SYS_io_destroy SYS_io_getevents SYS_io_setup SYS_io_submit SYS_io_uring_enter
        SYS_io_uring_register SYS_io_uring_setup SYS_ioctl SYS_ioprio_get SYS_ioprio_set
        SYS_kcmp SYS_kexec_load SYS_keyctl SYS_kill SYS_landlock_add_rule
        SYS_landlock_create_ruleset SYS_landlock_restrict_self SYS_lgetxattr SYS_linkat
        SYS_listen SYS_listxattr SYS_llistxattr SYS_lookup_dcookie SYS_lremovexattr SYS_lseek
        SYS_lsetxattr SYS_madvise SYS_mbind SYS_membarrier SYS_memfd_create SYS_memfd_secret
        SYS_migrate_pages SYS_mincore SYS_mkdirat SYS_mknodat SYS_mlock SYS_mlock2 SYS_mlockall
        SYS_mmap SYS_mount SYS_mount_setattr SYS_move_mount SYS_move_pages SYS_mprotect
        SYS_mq_getsetattr SYS_mq_notify SYS_mq_open SYS_mq_timedreceive SYS_mq_timedsend
        SYS_mq_unlink SYS_mremap SYS_mseal SYS_msgctl SYS_msgget SYS_msgrcv SYS_msgsnd
        SYS_msync SYS_munlock SYS_munlockall SYS_munmap SYS_name_to_handle_at SYS_nanosleep
        SYS_newfstatat SYS_nfsservctl SYS_open_by_handle_at SYS_open_tree SYS_openat
        SYS_openat2 SYS_perf_event_open SYS_personality SYS_pidfd_getfd SYS_pidfd_open
        SYS_pidfd_send_signal SYS_pipe2 SYS_pivot_root SYS_pkey_alloc SYS_pkey_free
        SYS_pkey_mprotect SYS_ppoll SYS_prctl SYS_pread64 SYS_preadv SYS_preadv2 SYS_prlimit64
        SYS_process_madvise SYS_process_mrelease SYS_process_vm_readv SYS_process_vm_writev
        SYS_pselect6 SYS_ptrace SYS_pwrite64 SYS_pwritev SYS_pwritev2 SYS_quotactl
        SYS_quotactl_fd SYS_read SYS_readahead SYS_readlinkat SYS_readv SYS_reboot SYS_recvfrom
        SYS_recvmmsg SYS_recvmsg SYS_remap_file_pages SYS_removexattr SYS_renameat2
        SYS_request_key SYS_restart_syscall SYS_rseq SYS_rt_sigaction SYS_rt_sigpending
        SYS_rt_sigprocmask SYS_rt_sigqueueinfo SYS_rt_sigreturn SYS_rt_sigsuspend
        SYS_rt_sigtimedwait SYS_rt_tgsigqueueinfo SYS_sched_get_priority_max
        SYS_sched_get_priority_min SYS_sched_getaffinity SYS_sched_getattr SYS_sched_getparam
        SYS_sched_getscheduler SYS_sched_rr_get_interval SYS_sched_setaffinity
        SYS_sched_setattr SYS_sched_setparam SYS_sched_setscheduler SYS_sched_yield SYS_seccomp
        SYS_semctl SYS_semget SYS_semop SYS_semtimedop SYS_sendfile SYS_sendmmsg SYS_sendmsg
        SYS_sendto SYS_set_mempolicy SYS_set_mempolicy_home_node SYS_set_robust_list
        SYS_set_tid_address SYS_setdomainname SYS_setfsgid SYS_setfsuid SYS_setgid
        SYS_setgroups SYS_sethostname SYS_setitimer SYS_setns SYS_setpgid SYS_setpriority
        SYS_setregid SYS_setresgid SYS_setresuid SYS_setreuid SYS_setsid SYS_setsockopt
        SYS_settimeofday SYS_setuid SYS_setxattr SYS_shmat SYS_shmctl SYS_shmdt SYS_shmget
        SYS_shutdown SYS_sigaltstack SYS_signalfd4 SYS_socket SYS_socketpair SYS_splice
        SYS_statfs SYS_statx SYS_swapoff SYS_swapon SYS_symlinkat SYS_sync SYS_syncfs
        SYS_sysinfo SYS_syslog SYS_tee SYS_tgkill SYS_timer_create SYS_timer_delete
        SYS_timer_getoverrun SYS_timer_gettime SYS_timer_settime SYS_timerfd_create
        SYS_timerfd_gettime SYS_timerfd_settime SYS_times SYS_tkill SYS_truncate SYS_umask
        SYS_umount2 SYS_uname SYS_unlinkat SYS_unshare SYS_userfaultfd SYS_utimensat
        SYS_vhangup SYS_vmsplice SYS_wait4 SYS_waitid SYS_write SYS_writev
    ];

    /// Missing from glibc's or musl's list in libc (or both, for `fchmodat2`): the numbers of
    /// `include/uapi/asm-generic/unistd.h`, which aarch64 uses.
    pub(crate) const EXTRA: &[Entry] = &[
        ("SYS_fchmodat2", 452),
        ("SYS_getrlimit", 163),
        ("SYS_io_pgetevents", 292),
        ("SYS_kexec_file_load", 294),
        ("SYS_renameat", 38),
        ("SYS_setrlimit", 164),
        ("SYS_sync_file_range", 84),
    ];

    /// Names of x86_64 that aarch64 does not have (the legacy path calls that the `*at`
    /// calls replace, and x86 specifics): accepted by name, so that one list serves both
    /// architectures, and ignored here.
    pub(crate) const ONLY_ELSEWHERE: &[&str] = &[
        "_sysctl",
        "access",
        "afs_syscall",
        "alarm",
        "arch_prctl",
        "chmod",
        "chown",
        "creat",
        "dup2",
        "epoll_create",
        "epoll_ctl_old",
        "epoll_wait",
        "epoll_wait_old",
        "eventfd",
        "fork",
        "futimesat",
        "get_thread_area",
        "getdents",
        "getpgrp",
        "getpmsg",
        "inotify_init",
        "ioperm",
        "iopl",
        "lchown",
        "link",
        "lstat",
        "mkdir",
        "mknod",
        "modify_ldt",
        "open",
        "pause",
        "pipe",
        "poll",
        "putpmsg",
        "readlink",
        "rename",
        "rmdir",
        "security",
        "select",
        "set_thread_area",
        "signalfd",
        "stat",
        "symlink",
        "sysfs",
        "time",
        "tuxcall",
        "unlink",
        "uselib",
        "ustat",
        "utime",
        "utimes",
        "vfork",
        "vserver",
    ];
}

/// Any other architecture: no table; building a filter is `Error::UnsupportedArch`.
#[cfg(not(any(
    all(target_arch = "x86_64", target_pointer_width = "64"),
    target_arch = "aarch64"
)))]
mod arch {
    use super::Entry;

    pub(crate) const LIBC: &[Entry] = &[];
    pub(crate) const EXTRA: &[Entry] = &[];
    pub(crate) const ONLY_ELSEWHERE: &[&str] = &[];
}

/// What a name means on the running architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The call and its number.
    Number(&'static str, i64),
    /// A call of another supported architecture that this one does not have.
    NotHere,
    /// No supported architecture has a call of that name.
    Unknown,
}

/// Looks `name` (`"openat"`, without `SYS_`) up.
pub(crate) fn lookup(name: &str) -> Lookup {
    let found = arch::LIBC
        .iter()
        .chain(arch::EXTRA)
        .find(|(sys, _)| sys.strip_prefix("SYS_") == Some(name));
    match found {
        Some(&(sys, nr)) => Lookup::Number(sys.trim_start_matches("SYS_"), nr),
        None if arch::ONLY_ELSEWHERE.contains(&name) => Lookup::NotHere,
        None => Lookup::Unknown,
    }
}

/// [`number`] for the compiler: the number of `name` on this architecture, if it has the
/// call, found while compiling (the deny list's numbers are known before the program
/// runs; looking them up at run time scanned the table once per listed call, some 70 µs
/// in every `compile`).
pub(crate) const fn const_number(name: &str) -> Option<i64> {
    let tables: [&[Entry]; 2] = [arch::LIBC, arch::EXTRA];
    let mut t = 0;
    while t < tables.len() {
        let table = tables[t];
        let mut i = 0;
        while i < table.len() {
            if is_sys_name(table[i].0.as_bytes(), name.as_bytes()) {
                return Some(table[i].1);
            }
            i += 1;
        }
        t += 1;
    }
    None
}

/// Whether `sys` is `SYS_` followed by `name`.
const fn is_sys_name(sys: &[u8], name: &[u8]) -> bool {
    const PREFIX: &[u8] = b"SYS_";
    if sys.len() != PREFIX.len() + name.len() {
        return false;
    }
    let mut i = 0;
    while i < sys.len() {
        let want = if i < PREFIX.len() {
            PREFIX[i]
        } else {
            name[i - PREFIX.len()]
        };
        if sys[i] != want {
            return false;
        }
        i += 1;
    }
    true
}

/// The number of `name` on this architecture, if it has the call.
pub(crate) fn number(name: &str) -> Option<i64> {
    match lookup(name) {
        Lookup::Number(_, nr) => Some(nr),
        Lookup::NotHere | Lookup::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_numbers_too() {
        let all: Vec<&Entry> = arch::LIBC.iter().chain(arch::EXTRA).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.0, b.0, "name twice");
                assert_ne!(a.1, b.1, "number twice: {} and {}", a.0, b.0);
            }
        }
    }

    #[test]
    fn other_arch_names_are_not_here() {
        for name in arch::ONLY_ELSEWHERE {
            assert_eq!(lookup(name), Lookup::NotHere, "{name}");
        }
    }

    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[test]
    fn known_x86_64_numbers() {
        assert_eq!(number("read"), Some(0));
        assert_eq!(number("openat"), Some(257));
        assert_eq!(number("fchmodat2"), Some(452));
        assert_eq!(number("io_pgetevents"), Some(333));
        assert_eq!(lookup("no_such_call"), Lookup::Unknown);
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn known_aarch64_numbers() {
        assert_eq!(number("openat"), Some(56));
        assert_eq!(number("fchmodat2"), Some(452));
        assert_eq!(lookup("open"), Lookup::NotHere);
        assert_eq!(lookup("no_such_call"), Lookup::Unknown);
    }
}
