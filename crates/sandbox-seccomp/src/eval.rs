//! Unit tests of the compiled filters: a small interpreter of the classic BPF that
//! seccompiler emits runs them on made-up calls, and combines the verdicts of several
//! filters the way the kernel does (`seccomp_run_filters`). Compiled for the unit tests
//! only: its panics and `expect`s are test failures, never reached by a daemon.
#![cfg(test)]

use rustix::io::Errno;
use seccompiler::sock_filter;

use crate::{Action, Error, Filter, Program};

/// The ioctl requests as u64 (`libc::Ioctl` is `c_ulong` on glibc, `c_int` on musl).
#[allow(clippy::unnecessary_cast)]
const TIOCSTI: u64 = libc::TIOCSTI as u64;
#[allow(clippy::unnecessary_cast)]
const TIOCLINUX: u64 = libc::TIOCLINUX as u64;
#[allow(clippy::unnecessary_cast)]
const TCGETS: u64 = libc::TCGETS as u64;

const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;
/// i386 on x86_64 (`int 0x80`), ARM (AArch32) on aarch64.
#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
const COMPAT_ARCH: u32 = 0x4000_0003;
#[cfg(target_arch = "aarch64")]
const COMPAT_ARCH: u32 = 0x4000_0028;

/// `struct seccomp_data`, as the filter reads it (32-bit words, little endian).
struct Call {
    nr: u32,
    arch: u32,
    args: [u64; 6],
}

impl Call {
    fn word(&self, offset: u32) -> u32 {
        match offset {
            0 => self.nr,
            4 => self.arch,
            8 | 12 => 0, // instruction pointer
            16..=60 if offset.is_multiple_of(4) => {
                let arg = self.args[(offset as usize - 16) / 8];
                if offset.is_multiple_of(8) {
                    arg as u32
                } else {
                    (arg >> 32) as u32
                }
            }
            _ => panic!("load outside seccomp_data: {offset}"),
        }
    }
}

/// Runs one filter.
fn run(prog: &[sock_filter], call: &Call) -> u32 {
    let (mut a, mut pc) = (0u32, 0usize);
    loop {
        let ins = &prog[pc];
        pc += 1;
        let jump = |cond: bool| usize::from(if cond { ins.jt } else { ins.jf });
        match ins.code {
            0x20 => a = call.word(ins.k),   // ld [k]
            0x54 => a &= ins.k,             // and #k
            0x05 => pc += ins.k as usize,   // ja
            0x15 => pc += jump(a == ins.k), // jeq
            0x25 => pc += jump(a > ins.k),  // jgt
            0x35 => pc += jump(a >= ins.k), // jge
            0x06 => return ins.k,           // ret #k
            code => panic!("instruction {code:#x} not interpreted"),
        }
    }
}

/// The verdict of all filters: the most recent one with the strictest action wins.
fn verdict(program: &Program, call: &Call) -> u32 {
    let mut ret = RET_ALLOW;
    for filter in program.filters().iter().rev() {
        let cur = run(filter, call);
        if ((cur & 0xffff_0000) as i32) < ((ret & 0xffff_0000) as i32) {
            ret = cur;
        }
    }
    ret
}

fn nr(name: &str) -> u32 {
    crate::table::number(name).unwrap_or_else(|| panic!("{name}")) as u32
}

fn call(program: &Program, name: &str, args: &[u64]) -> u32 {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    verdict(
        program,
        &Call {
            nr: nr(name),
            arch: AUDIT_ARCH,
            args: a,
        },
    )
}

fn errno(e: Errno) -> u32 {
    RET_ERRNO | e.raw_os_error() as u32
}

fn eperm() -> u32 {
    errno(Errno::PERM)
}

fn default_program() -> Program {
    Filter::default_deny().compile().expect("compile")
}

const NEWUSER: u64 = libc::CLONE_NEWUSER as u64;
const SIGCHLD: u64 = libc::SIGCHLD as u64;

#[test]
fn default_list_refuses_the_plain_calls_with_eperm() {
    let p = default_program();
    for name in [
        "keyctl",
        "add_key",
        "bpf",
        "io_uring_setup",
        "mount",
        "pivot_root",
        "syslog",
        "setns",
    ] {
        assert_eq!(call(&p, name, &[]), eperm(), "{name}");
    }
    for name in ["read", "write", "openat", "fchmodat", "futex", "mkdirat"] {
        assert_eq!(call(&p, name, &[]), RET_ALLOW, "{name}");
    }
}

#[test]
fn only_newuser_namespaces_are_refused() {
    let p = default_program();
    assert_eq!(call(&p, "unshare", &[NEWUSER]), eperm());
    assert_eq!(
        call(&p, "unshare", &[NEWUSER | libc::CLONE_NEWNS as u64]),
        eperm()
    );
    assert_eq!(call(&p, "unshare", &[libc::CLONE_NEWNS as u64]), RET_ALLOW);
    assert_eq!(call(&p, "clone", &[NEWUSER | SIGCHLD]), eperm());
    assert_eq!(call(&p, "clone", &[SIGCHLD]), RET_ALLOW);
    // High bits of the register do not hide the flag.
    assert_eq!(call(&p, "clone", &[(1 << 40) | NEWUSER]), eperm());
}

#[test]
fn clone3_and_openat2_get_enosys_whatever_the_action() {
    for action in [Action::default(), Action::KillProcess, Action::Trap] {
        let p = Filter::default_deny()
            .action(action)
            .compile()
            .expect("compile");
        assert_eq!(call(&p, "clone3", &[]), errno(Errno::NOSYS));
        assert_eq!(call(&p, "openat2", &[]), errno(Errno::NOSYS));
    }
}

#[test]
fn log_action_refuses_nothing() {
    let p = Filter::default_deny()
        .action(Action::Log)
        .compile()
        .expect("compile");
    assert_eq!(p.filters().len(), 1);
    assert_eq!(call(&p, "clone3", &[]), RET_LOG);
    assert_eq!(call(&p, "keyctl", &[]), RET_LOG);
    assert_eq!(call(&p, "read", &[]), RET_ALLOW);
}

#[test]
fn kill_process_action_is_compiled() {
    let p = Filter::default_deny()
        .action(Action::KillProcess)
        .compile()
        .expect("compile");
    assert_eq!(call(&p, "keyctl", &[]), RET_KILL_PROCESS);
}

#[test]
fn terminal_injection_ioctls_are_refused_on_32_bits() {
    let p = default_program();
    let sti = TIOCSTI;
    assert_eq!(call(&p, "ioctl", &[0, sti]), eperm());
    assert_eq!(call(&p, "ioctl", &[0, TIOCLINUX]), eperm());
    // The kernel reads `cmd` as an unsigned int: high bits change nothing.
    assert_eq!(call(&p, "ioctl", &[0, (0xdead << 32) | sti]), eperm());
    assert_eq!(call(&p, "ioctl", &[0, TCGETS]), RET_ALLOW);
}

#[test]
fn only_the_uevent_netlink_socket_is_refused() {
    let p = default_program();
    let (netlink, raw) = (libc::AF_NETLINK as u64, libc::SOCK_RAW as u64);
    let uevent = libc::NETLINK_KOBJECT_UEVENT as u64;
    assert_eq!(call(&p, "socket", &[netlink, raw, uevent]), eperm());
    assert_eq!(
        call(&p, "socket", &[netlink, raw, libc::NETLINK_ROUTE as u64]),
        RET_ALLOW
    );
    assert_eq!(
        call(&p, "socket", &[libc::AF_INET as u64, raw, uevent]),
        RET_ALLOW
    );
    let stream = libc::SOCK_STREAM as u64;
    assert_eq!(
        call(&p, "socket", &[libc::AF_VSOCK as u64, stream, 0]),
        eperm()
    );
    assert_eq!(
        call(
            &p,
            "socket",
            &[libc::AF_ALG as u64, libc::SOCK_SEQPACKET as u64, 0]
        ),
        eperm()
    );
    assert_eq!(
        call(&p, "socket", &[libc::AF_UNIX as u64, stream, 0]),
        RET_ALLOW
    );
    assert_eq!(call(&p, "setns", &[3, 0]), eperm());
}

#[test]
fn setid_modes_are_refused_and_others_allowed() {
    let p = default_program();
    for (mode, refused) in [
        (0o4755, true),
        (0o4000, true),
        (0o2755, true),
        (0o2010, true),
        (0o6755, true),
        (0o755, false),
        (0o2644, false), // setgid without group execute: the old locking mark
        (0o1777, false),
    ] {
        let want = if refused { eperm() } else { RET_ALLOW };
        assert_eq!(
            call(&p, "fchmodat", &[0, 0, mode]),
            want,
            "fchmodat {mode:o}"
        );
        assert_eq!(call(&p, "fchmod", &[0, mode]), want, "fchmod {mode:o}");
        assert_eq!(
            call(&p, "mknodat", &[0, 0, mode | 0o100000]),
            want,
            "mknodat {mode:o}"
        );
        let creat = libc::O_CREAT as u64 | libc::O_WRONLY as u64;
        assert_eq!(
            call(&p, "openat", &[0, 0, creat, mode]),
            want,
            "openat {mode:o}"
        );
        let tmpfile = libc::O_TMPFILE as u64 | libc::O_RDWR as u64;
        assert_eq!(
            call(&p, "openat", &[0, 0, tmpfile, mode]),
            want,
            "O_TMPFILE {mode:o}"
        );
        // Without O_CREAT or O_TMPFILE, the kernel ignores the mode, and so does the filter.
        assert_eq!(
            call(&p, "openat", &[0, 0, 0, mode]),
            RET_ALLOW,
            "open {mode:o}"
        );
        assert_eq!(
            call(&p, "openat", &[0, 0, libc::O_DIRECTORY as u64, mode]),
            RET_ALLOW,
            "O_DIRECTORY {mode:o}"
        );
    }
}

#[test]
fn allowing_back_one_call_leaves_the_others() {
    let p = Filter::default_deny()
        .allow("fchmodat")
        .expect("allow")
        .compile()
        .expect("compile");
    assert_eq!(call(&p, "fchmodat", &[0, 0, 0o4755]), RET_ALLOW);
    assert_eq!(call(&p, "fchmod", &[0, 0o4755]), eperm());
    assert_eq!(call(&p, "keyctl", &[]), eperm());
    let p = Filter::default_deny()
        .allow("clone3")
        .expect("allow")
        .compile()
        .expect("compile");
    assert_eq!(call(&p, "clone3", &[]), RET_ALLOW);
    assert_eq!(call(&p, "openat2", &[]), errno(Errno::NOSYS));
}

#[test]
fn allowlist_refuses_the_rest_and_sends_clone3_to_clone() {
    let f = Filter::allow_only(["read", "write", "exit_group", "clone"]).expect("names");
    let p = f.compile().expect("compile");
    assert_eq!(call(&p, "read", &[]), RET_ALLOW);
    assert_eq!(call(&p, "clone", &[SIGCHLD]), RET_ALLOW);
    assert_eq!(call(&p, "openat", &[]), eperm());
    assert_eq!(call(&p, "clone3", &[]), errno(Errno::NOSYS));
    assert_eq!(call(&p, "openat2", &[]), errno(Errno::NOSYS));
    let p = Filter::allow_only(["read", "clone3"])
        .expect("names")
        .compile()
        .expect("compile");
    assert_eq!(call(&p, "clone3", &[]), RET_ALLOW);
}

#[test]
fn compat_arch_calls_kill_the_process() {
    for p in [
        default_program(),
        Filter::allow_only(["read"])
            .expect("names")
            .compile()
            .expect("compile"),
    ] {
        for nr in [0, 3, 20, 310] {
            let c = Call {
                nr,
                arch: COMPAT_ARCH,
                args: [0; 6],
            };
            assert_eq!(verdict(&p, &c), RET_KILL_PROCESS, "nr {nr}");
        }
    }
}

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
#[test]
fn x32_numbers_of_listed_calls_are_refused() {
    const X32: u32 = 0x4000_0000;
    let p = default_program();
    let x32 = |nr: u32, args: [u64; 6]| {
        verdict(
            &p,
            &Call {
                nr: nr | X32,
                arch: AUDIT_ARCH,
                args,
            },
        )
    };
    assert_eq!(x32(nr("unshare"), [NEWUSER, 0, 0, 0, 0, 0]), eperm());
    assert_eq!(x32(nr("keyctl"), [0; 6]), eperm());
    assert_eq!(x32(nr("clone3"), [0; 6]), errno(Errno::NOSYS));
    assert_eq!(x32(514, [0, TIOCSTI, 0, 0, 0, 0]), eperm());
    assert_eq!(
        verdict(
            &p,
            &Call {
                nr: 514,
                arch: AUDIT_ARCH,
                args: [0, TIOCSTI, 0, 0, 0, 0]
            }
        ),
        eperm()
    );
    assert_eq!(x32(528, [0; 6]), eperm());
    assert_eq!(x32(nr("read"), [0; 6]), RET_ALLOW);
    // An allowlist lists no x32 number.
    let p = Filter::allow_only(["read"])
        .expect("names")
        .compile()
        .expect("compile");
    let c = Call {
        nr: nr("read") | X32,
        arch: AUDIT_ARCH,
        args: [0; 6],
    };
    assert_eq!(verdict(&p, &c), eperm());
}

#[test]
fn unknown_names_are_refused_and_other_arch_names_accepted() {
    let e = Filter::allow_only(["read", "no_such_call"]).err();
    assert!(matches!(e, Some(Error::UnknownSyscall { ref name }) if name == "no_such_call"));
    let e = Filter::default_deny().allow("SYS_read").err();
    assert!(matches!(e, Some(Error::UnknownSyscall { .. })));
    // x86_64's `open` is a name on both (ignored on aarch64).
    assert!(Filter::allow_only(["open", "read"]).is_ok());
    assert!(Filter::none().allow("no_such_call").is_err());
}

#[test]
fn none_compiles_to_nothing_and_lists_fit_the_kernel() {
    let p = Filter::none().compile().expect("compile");
    assert!(p.is_empty());
    assert_eq!(p.len(), 0);
    let p = default_program();
    assert!(!p.is_empty());
    for f in p.filters() {
        assert!(f.len() < 4096, "{}", f.len());
    }
}

/// Arguments that meet, and that just miss, each rule of the default list, and a few
/// plain ones: what the deny list's two compilations are compared on.
fn argument_sets() -> Vec<[u64; 6]> {
    let mut sets = vec![[0; 6], [u64::MAX; 6], [0xffff_ffff_0000_0000; 6]];
    for entry in crate::policy::DEFAULT {
        for rule in entry.rules {
            let mut meet = [0u64; 6];
            for cond in *rule {
                meet[usize::from(cond.arg)] |= u64::from(cond.value);
            }
            sets.push(meet);
            // High bits, which the kernel ignores for these arguments, change nothing.
            sets.push(meet.map(|a| a | 0xdead_0000_0000_0000));
            for cond in *rule {
                let mut miss = meet;
                let low = cond.mask & cond.mask.wrapping_neg();
                miss[usize::from(cond.arg)] ^= u64::from(low);
                sets.push(miss);
            }
        }
    }
    sets
}

#[test]
fn the_deny_list_answers_as_seccompilers_compilation_of_it() {
    let mut filters = vec![
        Filter::default_deny(),
        Filter::default_deny().action(Action::KillProcess),
        Filter::default_deny().action(Action::Log),
        Filter::default_deny().action(Action::Trap),
        Filter::default_deny().action(Action::Errno(Errno::ACCESS)),
    ];
    let mut back = Filter::default_deny();
    for name in ["openat", "clone3", "keyctl", "ioctl", "socket", "mount"] {
        back = back.allow(name).expect("a listed name");
        filters.push(back.clone());
    }
    let args = argument_sets();
    let mut numbers: Vec<u32> = (0..1100).collect();
    numbers.extend([0x7fff_ffff, 0x8000_0000, 0xffff_ffff]);
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    numbers.extend((0..1100).map(|nr| nr | 0x4000_0000));
    for filter in filters {
        let ours = filter.compile().expect("compile");
        let reference = filter.compile_deny_with_seccompiler().expect("compile");
        assert_eq!(ours.filters().len(), 1, "one program");
        for &nr in &numbers {
            for arch in [AUDIT_ARCH, COMPAT_ARCH] {
                for args in &args {
                    let c = Call {
                        nr,
                        arch,
                        args: *args,
                    };
                    assert_eq!(
                        verdict(&ours, &c),
                        verdict(&reference, &c),
                        "{filter:?}: nr {nr:#x}, arch {arch:#x}, args {args:x?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_deny_list_is_smaller_than_seccompilers() {
    let ours = default_program();
    let reference = Filter::default_deny()
        .compile_deny_with_seccompiler()
        .expect("compile");
    assert!(
        ours.len() * 4 < reference.len(),
        "{} instructions against {}",
        ours.len(),
        reference.len()
    );
    // One `ret` for each answer: allow, the refusal, ENOSYS, kill.
    let rets = ours.filters()[0].iter().filter(|i| i.code == 0x06).count();
    assert_eq!(rets, 4, "{ours:?}");
}

#[test]
fn a_program_longer_than_a_jump_reaches_every_answer() {
    use crate::deny::{program, Listed};
    use crate::policy::Cond;
    // Every third number listed, each with its own refusal (no runs to merge), every
    // other one with a rule: some 450 instructions, so that many jumps to the shared
    // returns and rules reach past 255 and go through a `ja`.
    static RULES: &[&[Cond]] = &[&[Cond {
        arg: 1,
        mask: 0o4000,
        value: 0o4000,
    }]];
    let listed: Vec<Listed> = (0..900)
        .step_by(3)
        .map(|nr| Listed {
            nr,
            rules: if nr % 2 == 0 { RULES } else { &[] },
            refusal: RET_ERRNO | nr,
        })
        .collect();
    let prog = program(AUDIT_ARCH, None, &listed);
    assert!(prog.len() > 300, "{} instructions", prog.len());
    assert!(prog.iter().any(|i| i.code == 0x05), "no ja: {prog:?}");
    for nr in 0..1000 {
        for arg in [0, 0o4000, 0o4777] {
            let want = match listed.iter().find(|l| l.nr == nr) {
                None => RET_ALLOW,
                Some(l) if l.rules.is_empty() || arg & 0o4000 != 0 => l.refusal,
                Some(_) => RET_ALLOW,
            };
            let answers = native_and_compat(&prog, nr, [0, arg, 0, 0, 0, 0]);
            assert_eq!(answers, (want, RET_KILL_PROCESS), "nr {nr}, arg {arg:o}");
        }
    }
}

/// Whether the kernel takes `prog` as a seccomp filter (its checker refuses a jump out of
/// the program, a path without `ret`, an unknown instruction): installed in a forked
/// child, which only makes system calls and `_exit`s. (Test code: the crate's other
/// unsafe code is in `sys`.)
#[allow(unsafe_code)]
fn kernel_accepts(prog: &[sock_filter]) -> bool {
    let fprog = libc::sock_fprog {
        len: u16::try_from(prog.len()).expect("length"),
        filter: prog.as_ptr().cast_mut().cast(),
    };
    // SAFETY: the child makes system calls only (prctl, seccomp, _exit), which is sound
    // after fork in a process with other threads; `fprog` points to `prog`, alive
    // through the call, which the kernel only reads. The parent waits for that child.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            let installed = libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                && libc::syscall(libc::SYS_seccomp, 0x1, 0, &fprog) == 0;
            libc::_exit(if installed { 0 } else { 1 });
        }
        assert!(pid > 0, "fork: {}", std::io::Error::last_os_error());
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
    }
}

#[test]
fn the_kernel_takes_the_default_program_and_a_long_one() {
    let default = default_program();
    assert!(kernel_accepts(&default.filters()[0]));
    // Numbers no call has, so that the child can still _exit under it.
    let listed: Vec<crate::deny::Listed> = (1000..1900)
        .step_by(3)
        .map(|nr| crate::deny::Listed {
            nr,
            rules: &[],
            refusal: RET_ERRNO | nr,
        })
        .collect();
    let long = crate::deny::program(AUDIT_ARCH, None, &listed);
    assert!(long.iter().any(|i| i.code == 0x05), "no ja");
    assert!(kernel_accepts(&long), "{} instructions", long.len());
    // And the check is real: a jump out of the program is refused.
    let mut broken = long.clone();
    let last = broken.len() - 1;
    broken[last] = sock_filter {
        code: 0x15,
        jt: 5,
        jf: 5,
        k: 0,
    };
    assert!(!kernel_accepts(&broken));
}

#[test]
fn a_rule_without_conditions_always_refuses() {
    use crate::deny::{program, Listed};
    use crate::policy::Cond;
    static ONE: &[Cond] = &[Cond {
        arg: 0,
        mask: 2,
        value: 2,
    }];
    static EMPTY_ALONE: &[&[Cond]] = &[&[]];
    static EMPTY_SECOND: &[&[Cond]] = &[ONE, &[]];
    static ONE_RULE: &[&[Cond]] = &[ONE];
    let listed = [
        Listed {
            nr: 5,
            rules: EMPTY_ALONE,
            refusal: RET_ERRNO | 1,
        },
        Listed {
            nr: 7,
            rules: EMPTY_SECOND,
            refusal: RET_ERRNO | 2,
        },
        Listed {
            nr: 9,
            rules: ONE_RULE,
            refusal: RET_ERRNO | 3,
        },
    ];
    let prog = program(AUDIT_ARCH, None, &listed);
    for arg in [0, 2] {
        let args = [arg, 0, 0, 0, 0, 0];
        assert_eq!(native_and_compat(&prog, 5, args).0, RET_ERRNO | 1);
        assert_eq!(native_and_compat(&prog, 7, args).0, RET_ERRNO | 2);
        let nine = if arg == 2 { RET_ERRNO | 3 } else { RET_ALLOW };
        assert_eq!(native_and_compat(&prog, 9, args).0, nine);
    }
}

#[test]
fn an_empty_list_allows_every_number_of_the_native_arch() {
    let prog = crate::deny::program(AUDIT_ARCH, None, &[]);
    for nr in [0, 1, 500, u32::MAX] {
        let answers = native_and_compat(&prog, nr, [0; 6]);
        assert_eq!(answers, (RET_ALLOW, RET_KILL_PROCESS), "nr {nr}");
    }
}

/// What `prog` answers to call `nr` with `args` from the native and the compat arch.
fn native_and_compat(prog: &[sock_filter], nr: u32, args: [u64; 6]) -> (u32, u32) {
    let on = |arch| run(prog, &Call { nr, arch, args });
    (on(AUDIT_ARCH), on(COMPAT_ARCH))
}

/// A small xorshift generator: the randomized test below is the same on every run.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What the kernel's action cache sees (`seccomp_is_const_allow`): whether `prog` allows
/// call `nr` of `arch` whatever its arguments, following only loads of the number and
/// the arch, `and`, jumps on constants and returns.
fn cache_allows(prog: &[sock_filter], nr: u32, arch: u32) -> bool {
    let (mut a, mut pc) = (0u32, 0usize);
    loop {
        let ins = &prog[pc];
        pc += 1;
        let jump = |cond: bool| usize::from(if cond { ins.jt } else { ins.jf });
        match (ins.code, ins.k) {
            (0x20, 0) => a = nr,
            (0x20, 4) => a = arch,
            (0x54, k) => a &= k,
            (0x05, k) => pc += k as usize,
            (0x15, k) => pc += jump(a == k),
            (0x35, k) => pc += jump(a >= k),
            (0x06, k) => return k == RET_ALLOW,
            _ => return false,
        }
    }
}

#[test]
fn random_lists_answer_as_the_list_says_and_leave_the_rest_to_the_cache() {
    use crate::deny::{program, Listed};
    use crate::policy::Cond;
    // A few rule sets, so that calls share some; conditions on arguments 0 and 1.
    static A: &[Cond] = &[Cond {
        arg: 0,
        mask: 1,
        value: 1,
    }];
    static B: &[Cond] = &[
        Cond {
            arg: 1,
            mask: 6,
            value: 2,
        },
        Cond {
            arg: 0,
            mask: u32::MAX,
            value: 7,
        },
    ];
    static RULE_SETS: &[&[&[Cond]]] = &[&[], &[A], &[B], &[A, B], &[B, A]];
    let holds = |rule: &[Cond], args: &[u64; 6]| {
        rule.iter()
            .all(|c| args[usize::from(c.arg)] as u32 & c.mask == c.value)
    };
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut with_ja = 0;
    for round in 0..300 {
        // Dense numbers make runs; a few far ones make long searches and long jumps.
        let count = 1 + rng.below(if round % 10 == 0 { 400 } else { 40 });
        let listed: Vec<Listed> = (0..count)
            .map(|_| Listed {
                nr: match rng.below(4) {
                    0 => rng.below(2000) as u32,
                    _ => rng.below(80) as u32,
                },
                rules: RULE_SETS[rng.below(RULE_SETS.len() as u64) as usize],
                refusal: [RET_ERRNO | 1, RET_ERRNO | 2, RET_KILL_PROCESS][rng.below(3) as usize],
            })
            .collect();
        let x32 = (round % 2 == 0).then_some(0x4000_0000);
        let prog = program(AUDIT_ARCH, x32, &listed);
        with_ja += usize::from(prog.iter().any(|i| i.code == 0x05));
        for nr in (0..100).chain([500, 1000, 1999, 2000, u32::MAX >> 2, u32::MAX]) {
            let searched = x32.map_or(nr, |bit| nr & !bit);
            // The first entry for a number counts, as in `program`.
            let entry = listed.iter().find(|l| l.nr == searched);
            for args in [
                [0u64; 6],
                [1, 2, 0, 0, 0, 0],
                [7, 2, 0, 0, 0, 0],
                [7, 6, 0, 0, 0, 0],
            ] {
                let want = match entry {
                    None => RET_ALLOW,
                    Some(l) if l.rules.is_empty() || l.rules.iter().any(|r| holds(r, &args)) => {
                        l.refusal
                    }
                    Some(_) => RET_ALLOW,
                };
                let answers = native_and_compat(&prog, nr, args);
                assert_eq!(answers, (want, RET_KILL_PROCESS), "round {round}, nr {nr}");
            }
            // Unlisted numbers stay on the kernel's fast path; listed ones never do.
            assert_eq!(
                cache_allows(&prog, nr, AUDIT_ARCH),
                entry.is_none(),
                "round {round}, nr {nr}"
            );
            assert!(!cache_allows(&prog, nr, COMPAT_ARCH));
        }
    }
    assert!(with_ja > 0, "no program long enough to need a ja");
}
