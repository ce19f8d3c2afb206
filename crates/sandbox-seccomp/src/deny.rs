//! The deny list compiled to classic BPF here rather than by seccompiler: one program that
//! finds the call number by binary search.
//!
//! seccompiler compares the number with each listed call in turn. For a deny list that is
//! slow to install: the kernel builds its cache of always-allowed calls by running the
//! program for every call number (`seccomp_cache_prepare`, Linux 5.11), each run walking
//! the whole chain, and compiles every instruction to machine code; and each call it
//! checks the arguments of (`openat`, `ioctl`, `socket`) walks the chain at run time. With
//! the default list that was two programs of 25 and 867 instructions, some 600 µs to
//! install and 170 µs to compile (`cargo xtask bench --steps`).
//!
//! The program here:
//!
//! ```text
//!     ld  [arch]            ; another architecture (i386, x32's compat, AArch32): kill
//!     jeq AUDIT_ARCH, 1, 0
//!     ret KILL_PROCESS
//!     ld  [nr]
//!     and #~X32_BIT         ; x86_64: an x32 number is the listed call's number
//!     <binary search>       ; jge on the listed numbers, then jeq at each leaf:
//!   leaf: jeq NR, 0, len(block)
//!     <block>               ; the call's rules: ld [arg low word], and #mask,
//!     ret ALLOW             ;   jeq #value, ret ACTION / ENOSYS; else ret ALLOW
//! ```
//!
//! which answers as the deny list says: every listed number (and on x86_64 each of them
//! with the x32 bit, since the bit is cleared before the search) gets its rules, every
//! other number is allowed, another architecture kills the process. The unit tests run it
//! against the seccompiler program it replaces on every number and on arguments that
//! meet and miss each rule.

use seccompiler::sock_filter;

use crate::policy::Cond;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_ALU_AND_K: u16 = 0x54;
const BPF_JMP_JA: u16 = 0x05;
const BPF_JMP_JEQ_K: u16 = 0x15;
const BPF_JMP_JGE_K: u16 = 0x35;
const BPF_RET_K: u16 = 0x06;

/// `offsetof(struct seccomp_data, nr)` and `arch`.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;
/// `SECCOMP_RET_KILL_PROCESS` and `SECCOMP_RET_ALLOW`.
const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub(crate) const RET_ALLOW: u32 = 0x7fff_0000;

/// One listed call number: its rules (refused when one holds; always when there are
/// none), and what a refusal returns.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) nr: u32,
    pub(crate) rules: &'static [&'static [Cond]],
    pub(crate) refusal: u32,
}

/// The whole program for `audit_arch`: `listed` refused as each says, every other number
/// allowed. `x32_bit`: the bit to clear from the number first (x86_64), if any.
pub(crate) fn program(
    audit_arch: u32,
    x32_bit: Option<u32>,
    listed: &[Listed],
) -> Vec<sock_filter> {
    let mut listed = listed.to_vec();
    listed.sort_by_key(|l| l.nr);
    listed.dedup_by_key(|l| l.nr);
    let mut prog = vec![
        stmt(BPF_LD_W_ABS, ARCH_OFFSET),
        jump(BPF_JMP_JEQ_K, audit_arch, 1, 0),
        stmt(BPF_RET_K, RET_KILL_PROCESS),
        stmt(BPF_LD_W_ABS, NR_OFFSET),
    ];
    if let Some(bit) = x32_bit {
        prog.push(stmt(BPF_ALU_AND_K, !bit));
    }
    prog.extend(search(&listed));
    prog
}

/// The binary search over `listed` (sorted, distinct): every path ends in a return.
fn search(listed: &[Listed]) -> Vec<sock_filter> {
    match listed {
        [] => vec![stmt(BPF_RET_K, RET_ALLOW)],
        [one] => {
            let mut code = block(one);
            code.push(stmt(BPF_RET_K, RET_ALLOW));
            // A miss jumps over the block, to the `ret ALLOW`.
            skip_unless(BPF_JMP_JEQ_K, one.nr, code.len() - 1, code)
        }
        _ => {
            let (low, high) = listed.split_at(listed.len() / 2);
            let pivot = high[0].nr;
            let (mut low, high) = (search(low), search(high));
            let low_len = low.len();
            low.extend(high);
            // nr >= pivot: over the lower half.
            jump_over(BPF_JMP_JGE_K, pivot, low_len, low)
        }
    }
}

/// `code` behind a test that goes on into it when the accumulator `op` `k` holds (`jeq`)
/// and else jumps over its first `skip` instructions.
fn skip_unless(op: u16, k: u32, skip: usize, code: Vec<sock_filter>) -> Vec<sock_filter> {
    let mut front = match u8::try_from(skip) {
        Ok(skip) => vec![jump(op, k, 0, skip)],
        // Too far for a conditional jump (8 bits): through `ja` (32 bits).
        Err(_) => vec![jump(op, k, 1, 0), stmt(BPF_JMP_JA, skip as u32)],
    };
    front.extend(code);
    front
}

/// `code` behind a test that jumps over its first `skip` instructions when the
/// accumulator `op` `k` holds (`jge`), and else goes on into it.
fn jump_over(op: u16, k: u32, skip: usize, code: Vec<sock_filter>) -> Vec<sock_filter> {
    let mut front = match u8::try_from(skip) {
        Ok(skip) => vec![jump(op, k, skip, 0)],
        Err(_) => vec![jump(op, k, 0, 1), stmt(BPF_JMP_JA, skip as u32)],
    };
    front.extend(code);
    front
}

/// The checks of one listed number, with the number already matched: refused always, or
/// when one of its rules holds (all the rule's conditions, each on the low 32 bits of an
/// argument); allowed otherwise.
fn block(listed: &Listed) -> Vec<sock_filter> {
    if listed.rules.is_empty() {
        return vec![stmt(BPF_RET_K, listed.refusal)];
    }
    let mut code = Vec::new();
    for rule in listed.rules {
        // Built from its end: the refusal, and in front of it each condition (load, mask,
        // compare), whose miss jumps over the rest of the rule, to the next one.
        let mut rule_code = vec![stmt(BPF_RET_K, listed.refusal)];
        for cond in rule.iter().rev() {
            let rest = rule_code.len();
            let mut compare = skip_unless(BPF_JMP_JEQ_K, cond.value, rest, rule_code);
            if cond.mask != u32::MAX {
                compare.insert(0, stmt(BPF_ALU_AND_K, cond.mask));
            }
            compare.insert(0, stmt(BPF_LD_W_ABS, arg_low_word(cond.arg)));
            rule_code = compare;
        }
        code.extend(rule_code);
    }
    code.push(stmt(BPF_RET_K, RET_ALLOW));
    code
}

/// The offset of the low 32 bits of argument `arg` in `struct seccomp_data` (`args` at
/// 16, 8 bytes each, in the machine's byte order).
fn arg_low_word(arg: u8) -> u32 {
    let high_first = u32::from(cfg!(target_endian = "big")) * 4;
    16 + 8 * u32::from(arg) + high_first
}

fn stmt(code: u16, k: u32) -> sock_filter {
    sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> sock_filter {
    sock_filter { code, jt, jf, k }
}
