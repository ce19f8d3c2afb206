//! Seccomp filters for scenarios that make one system call fail precisely (by its number,
//! or by its flags), to test what the code under test does then. Each installs
//! `PR_SET_NO_NEW_PRIVS` and the filter in the calling process; children inherit both, so
//! call them in a child of the test (`in_child`) or a scenario process of its own.

use crate::TestResult;

/// The `AUDIT_ARCH_*` value seccomp reports for this architecture (`AUDIT_ARCH_X86_64`).
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH: u32 = 0xC000_003E;
/// The `AUDIT_ARCH_*` value seccomp reports for this architecture (`AUDIT_ARCH_AARCH64`).
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH: u32 = 0xC000_00B7;

/// A BPF statement (no jump offsets).
pub fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

/// A BPF jump: `jt` and `jf` instructions ahead when the test holds or not.
pub fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// Installs a seccomp filter under which `unshare(flags)` fails with `errno` whenever
/// `flags` contains any bit of `any_of`; every other call is allowed. Inherited by
/// children, like the sandboxed one.
pub fn fail_unshare_with_flags(any_of: u32, errno: u32) -> TestResult {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let nr = libc::SYS_unshare as u32;
    let prog = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),                 // 0: arch
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 4), // 1: other arch: allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),                 // 2: nr
        jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 2),         // 3: not unshare: allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 16),                // 4: args[0], low half
        jump(BPF_JMP | BPF_JSET | BPF_K, any_of, 1, 0),    // 5: flag set: deny
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),    // 6
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ERRNO | (errno & 0xffff)), // 7
    ];
    install_seccomp_filter(&prog)
}

/// Installs a seccomp filter under which the system call `nr` returns `-errno` without
/// running (errno 0: it "succeeds" doing nothing); every other call is allowed. Inherited
/// by children, like the sandboxed one.
pub fn answer_syscall(nr: libc::c_long, errno: u32) -> TestResult {
    act_on_syscall(nr, libc::SECCOMP_RET_ERRNO | (errno & 0xffff))
}

/// Installs a seccomp filter that returns `action` (a `SECCOMP_RET_*` value) for the
/// system call `nr` and allows every other call. Inherited by children.
pub fn act_on_syscall(nr: libc::c_long, action: u32) -> TestResult {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let prog = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),                 // 0: arch
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 3), // 1: other arch: allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),                 // 2: nr
        jump(BPF_JMP | BPF_JEQ | BPF_K, nr as u32, 1, 0),  // 3: ours: act
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),    // 4
        stmt(BPF_RET | BPF_K, action),                     // 5
    ];
    install_seccomp_filter(&prog)
}

/// Sets `PR_SET_NO_NEW_PRIVS` and installs `prog` as a seccomp filter of this process
/// (inherited by its children, like the sandboxed one).
pub fn install_seccomp_filter(prog: &[libc::sock_filter]) -> TestResult {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl with integer arguments; then seccomp(2) reads `fprog`, which points
    // to `prog`, both alive for the duration of the call (the kernel only reads it).
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            crate::fail!("PR_SET_NO_NEW_PRIVS: {}", std::io::Error::last_os_error());
        }
        if libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        ) != 0
        {
            crate::fail!("seccomp: {}", std::io::Error::last_os_error());
        }
    }
    Ok(())
}
