//! The deny list compiled to classic BPF here rather than by seccompiler: one small
//! program that finds the call number by binary search.
//!
//! Two costs are at stake. Building the program ("compiling" the list,
//! [`Filter::compile`](crate::Filter::compile)) is ours, a few microseconds. Installing it is the kernel's, and grows with every
//! instruction: it checks the program, translates it to machine code (the BPF JIT), and
//! builds its cache of always-allowed calls by running the program for every call number
//! (`seccomp_cache_prepare`, Linux 5.11); at exit it frees it all again.
//!
//! seccompiler compares the number with each listed call in turn: for the default list
//! two programs of 25 and 867 instructions, some 600 µs to install, and a chain that
//! every checked call (`openat`, `ioctl`, `socket`) walks at run time. A first binary
//! search here took 363 instructions; this one takes 151 for the default list, and a
//! whole sandboxed process under it takes about 60 µs longer than under a list of one
//! call (with 363 instructions, about 160 µs). The program:
//!
//! ```text
//!     ld  [arch]            ; another architecture (i386 on x86_64, AArch32): kill
//!     jeq AUDIT_ARCH, 0, KILL
//!     ld  [nr]
//!     and #~X32_BIT         ; x86_64: an x32 call's number (the x32 bit set) is
//!                           ;   searched as the 64-bit one; x32's own numbers
//!                           ;   (512 and up) are listed apart by the caller
//!     <binary search>       ; jge on where each run of numbers with one answer starts;
//!                           ;   a run that is always refused or allowed jumps straight
//!                           ;   to a shared ret, a call with rules to its rules
//!     <rules>               ; once per distinct set of rules: ld [arg low word],
//!                           ;   and #mask, jeq #value; the last condition of a rule
//!                           ;   jumps to the refusal, a miss to the next rule, and a
//!                           ;   miss of the last rule to ALLOW
//!     ret ALLOW, ret <each refusal>, ret KILL_PROCESS
//! ```
//!
//! Numbers next to each other with the same answer (`acct` to `reboot`, the `fs*` mount
//! calls, the io_uring calls) make one run; calls with the same rules (`chmod`, `fchmod`,
//! `creat`, `mknod`) share their code. A conditional jump reaches 255 instructions ahead
//! at most: one that would reach further goes through a `ja` placed right behind it.
//!
//! It answers as the deny list says: every listed number (and on x86_64 each of them
//! with the x32 bit, since the bit is cleared before the search) gets its rules, every
//! other number is allowed, another architecture kills the process. The unit tests run it
//! against the seccompiler program it replaces on every number and on arguments that
//! meet and miss each rule, and the kernel tests install it.

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
    // The search runs on the number with the x32 bit cleared: a listed number with the
    // bit set could never match. The caller lists the table's numbers, all below it.
    debug_assert!(
        x32_bit.is_none_or(|bit| listed.iter().all(|l| l.nr & bit == 0)),
        "a listed number carries the x32 bit"
    );
    let runs = runs(&listed);
    let mut code = Code::default();
    let kill = code.ret(RET_KILL_PROCESS);
    code.kill = kill;
    let native = code.label();
    code.push(Op::Stmt(BPF_LD_W_ABS, ARCH_OFFSET));
    code.push(Op::Jump {
        code: BPF_JMP_JEQ_K,
        k: audit_arch,
        jt: native,
        jf: kill,
    });
    code.bind(native);
    code.push(Op::Stmt(BPF_LD_W_ABS, NR_OFFSET));
    if let Some(bit) = x32_bit {
        code.push(Op::Stmt(BPF_ALU_AND_K, !bit));
    }
    let searched_from = code.ops.len();
    let root = code.search(&runs);
    if code.ops.len() == searched_from {
        // One run for every number: no search, straight to its answer.
        code.push(Op::Ja(root));
    }
    code.emit_rules();
    code.emit_rets();
    let program = code.resolve();
    // The kernel's limit (BPF_MAXINSNS). A deny list only shrinks from the default one
    // (151 instructions), so no caller comes near it.
    debug_assert!(program.len() <= 4096, "{} instructions", program.len());
    program
}

/// What the program answers for a run of numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// Always this return value (`ret ALLOW` for a number not listed).
    Ret(u32),
    /// These rules, refused with `refusal` when one holds, allowed otherwise.
    Rules {
        rules: &'static [&'static [Cond]],
        refusal: u32,
    },
}

/// The runs of numbers with one answer, in order, from 0 to the last number: each the
/// number it starts at and its answer (up to the next run's start).
fn runs(listed: &[Listed]) -> Vec<(u32, Answer)> {
    let mut runs: Vec<(u32, Answer)> = Vec::new();
    let push = |runs: &mut Vec<(u32, Answer)>, start: u32, answer: Answer| {
        if runs.last().is_none_or(|&(_, last)| last != answer) {
            runs.push((start, answer));
        }
    };
    // The first number the runs so far do not cover.
    let mut next = 0u32;
    for l in listed {
        if l.nr > next {
            push(&mut runs, next, Answer::Ret(RET_ALLOW));
        }
        // No rules, or a rule without conditions (which always holds): always refused.
        let answer = match l.rules {
            rules if rules.is_empty() || rules.iter().any(|r| r.is_empty()) => {
                Answer::Ret(l.refusal)
            }
            rules => Answer::Rules {
                rules,
                refusal: l.refusal,
            },
        };
        push(&mut runs, l.nr, answer);
        next = l.nr.saturating_add(1);
    }
    if listed.last().is_none_or(|l| l.nr < u32::MAX) {
        push(&mut runs, next, Answer::Ret(RET_ALLOW));
    }
    runs
}

/// A place in the program: the index of the instruction it stands before, once bound.
type Label = usize;

/// An instruction whose jumps go to labels, resolved to offsets at the end.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `ld`, `and` or `ret`: `code` and `k`.
    Stmt(u16, u32),
    Jump {
        code: u16,
        k: u32,
        jt: Label,
        jf: Label,
    },
    Ja(Label),
}

/// The program being built: its instructions, where each label stands, and the shared
/// returns and rules the search jumps to.
#[derive(Default)]
struct Code {
    ops: Vec<Op>,
    labels: Vec<Option<usize>>,
    /// Each return value used, and its label (emitted at the end, once each).
    rets: Vec<(u32, Label)>,
    /// Each distinct set of rules used, and its label (emitted after the search).
    rules: Vec<(Answer, Label)>,
    /// The label of `ret KILL_PROCESS`, where a label never bound would lead.
    kill: Label,
}

impl Code {
    fn label(&mut self) -> Label {
        self.labels.push(None);
        self.labels.len() - 1
    }

    /// Puts `label` before the next instruction pushed.
    fn bind(&mut self, label: Label) {
        self.labels[label] = Some(self.ops.len());
    }

    fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// The label of the shared `ret k`.
    fn ret(&mut self, k: u32) -> Label {
        if let Some(&(_, label)) = self.rets.iter().find(|(v, _)| *v == k) {
            return label;
        }
        let label = self.label();
        self.rets.push((k, label));
        label
    }

    /// Where the program goes for `answer`: a shared return, or the shared code of its
    /// rules.
    fn answer(&mut self, answer: Answer) -> Label {
        match answer {
            Answer::Ret(k) => self.ret(k),
            Answer::Rules { .. } => {
                if let Some(&(_, label)) = self.rules.iter().find(|(a, _)| *a == answer) {
                    return label;
                }
                let label = self.label();
                self.rules.push((answer, label));
                label
            }
        }
    }

    /// The binary search over `runs` (in order), emitted here; returns where it starts (a
    /// run alone emits nothing: its answer's label; no run at all is nothing listed).
    fn search(&mut self, runs: &[(u32, Answer)]) -> Label {
        match runs {
            [] => self.ret(RET_ALLOW),
            [(_, answer)] => self.answer(*answer),
            _ => {
                let (low, high) = runs.split_at(runs.len() / 2);
                let here = self.label();
                self.bind(here);
                let at = self.ops.len();
                // Placeholder targets, set once both halves are placed.
                self.push(Op::Ja(here));
                let below = self.search(low);
                let above = self.search(high);
                self.ops[at] = Op::Jump {
                    code: BPF_JMP_JGE_K,
                    k: high[0].0,
                    jt: above,
                    jf: below,
                };
                here
            }
        }
    }

    /// The code of each set of rules the search reached, once each.
    fn emit_rules(&mut self) {
        for (answer, label) in std::mem::take(&mut self.rules) {
            let Answer::Rules { rules, refusal } = answer else {
                continue;
            };
            self.bind(label);
            let (refuse, allow) = (self.ret(refusal), self.ret(RET_ALLOW));
            for (i, rule) in rules.iter().enumerate() {
                let next_rule = match i + 1 == rules.len() {
                    true => allow,
                    false => self.label(),
                };
                for (j, cond) in rule.iter().enumerate() {
                    self.push(Op::Stmt(BPF_LD_W_ABS, arg_low_word(cond.arg)));
                    if cond.mask != u32::MAX {
                        self.push(Op::Stmt(BPF_ALU_AND_K, cond.mask));
                    }
                    let held = match j + 1 == rule.len() {
                        true => refuse,
                        false => self.label(),
                    };
                    self.push(Op::Jump {
                        code: BPF_JMP_JEQ_K,
                        k: cond.value,
                        jt: held,
                        jf: next_rule,
                    });
                    if held != refuse {
                        self.bind(held);
                    }
                }
                if next_rule != allow {
                    self.bind(next_rule);
                }
            }
        }
    }

    /// The shared returns, last.
    fn emit_rets(&mut self) {
        for (k, label) in std::mem::take(&mut self.rets) {
            self.bind(label);
            self.push(Op::Stmt(BPF_RET_K, k));
        }
    }

    /// The instructions with their jumps as offsets. A conditional jump reaches 255
    /// instructions ahead at most: a target further away gets a `ja` to it right behind
    /// the jump, until every jump fits.
    fn resolve(mut self) -> Vec<sock_filter> {
        loop {
            let far = self.ops.iter().enumerate().find_map(|(i, op)| match *op {
                Op::Jump { code, k, jt, jf } => {
                    let too_far = |l| self.offset(i, l) > usize::from(u8::MAX);
                    let (jt_far, jf_far) = (too_far(jt), too_far(jf));
                    (jt_far || jf_far).then_some((i, code, k, (jt, jt_far), (jf, jf_far)))
                }
                _ => None,
            });
            let Some((i, code, k, jt, jf)) = far else {
                break;
            };
            // Each target too far gets a `ja` right behind the jump (two at most).
            let mut insert_at = i + 1;
            let mut near = |(target, far): (Label, bool)| {
                if !far {
                    return target;
                }
                // Every label at or after the new instruction moves one down.
                for l in self.labels.iter_mut().flatten() {
                    if *l >= insert_at {
                        *l += 1;
                    }
                }
                self.ops.insert(insert_at, Op::Ja(target));
                self.labels.push(Some(insert_at));
                insert_at += 1;
                self.labels.len() - 1
            };
            let (jt, jf) = (near(jt), near(jf));
            self.ops[i] = Op::Jump { code, k, jt, jf };
        }
        (0..self.ops.len())
            .map(|i| match self.ops[i] {
                Op::Stmt(code, k) => stmt(code, k),
                // Every offset fits a byte now.
                Op::Jump { code, k, jt, jf } => {
                    let off = |l| self.offset(i, l) as u8;
                    jump(code, k, off(jt), off(jf))
                }
                Op::Ja(l) => stmt(BPF_JMP_JA, self.offset(i, l) as u32),
            })
            .collect()
    }

    /// How far the jump at `i` goes to reach `label`: the instructions it skips. Every
    /// label is bound, after every jump to it; were one not, the jump would go to the
    /// `ret KILL_PROCESS` (the first return, always bound): wrong, but closed, and never
    /// a panic in a daemon.
    fn offset(&self, i: usize, label: Label) -> usize {
        let kill = self.labels.get(self.kill).copied().flatten();
        let at = self.labels[label]
            .or(kill)
            .unwrap_or(self.ops.len().saturating_sub(1));
        debug_assert!(self.labels[label].is_some_and(|at| at > i), "label {label}");
        at.saturating_sub(i + 1)
    }
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
