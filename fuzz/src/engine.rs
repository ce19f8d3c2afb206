//! The fuzzer: a seeded random number generator, mutations of byte strings, and the loop
//! that runs a target over its corpus and then over mutations of it.
//!
//! A run is reproducible: the same seed, corpus and number of iterations give the same
//! inputs (a run bounded by time stops after a number of iterations it prints). Each
//! input is checked under `catch_unwind`: a panic, a broken property (the target's
//! `Err`) or an input slower than [`SLOW`] ends the target's run with a [`Failure`],
//! whose input can be saved and replayed (`fuzz --input FILE TARGET`).
//!
//! In a build with sanitizer coverage (`cargo xtask fuzz`), an input that reaches code no
//! earlier input reached joins the pool that mutations start from; without it (a plain
//! build, as `cargo xtask test` runs it), mutations start from the corpus only.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::coverage;

/// An input that takes longer than this is a failure (a hang, or worse than linear).
pub const SLOW: Duration = Duration::from_secs(2);

/// One fuzz target: a parser or decoder and the properties it must keep.
pub struct Target {
    /// The name, also of its corpus directory (`fuzz/corpus/<name>/`).
    pub name: &'static str,
    /// What it checks, in one line.
    pub about: &'static str,
    /// Runs one input: `Err` says which property broke. A panic is a failure too.
    pub check: fn(&[u8]) -> Result<(), String>,
    /// Words of the format that mutations insert (`:`, `shared:`, `0x`, ...).
    pub tokens: &'static [&'static [u8]],
    /// The longest input mutations make.
    pub max_len: usize,
}

/// How long a target runs after its corpus.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// This many mutated inputs.
    Iterations(u64),
    /// Until this much time has passed.
    Time(Duration),
}

/// Why a target's run stopped early.
#[derive(Debug)]
pub struct Failure {
    /// The input.
    pub input: Vec<u8>,
    /// What went wrong: the panic message, or the property that broke.
    pub message: String,
}

/// How a target's run went.
#[derive(Debug)]
pub struct Outcome {
    /// Inputs run, the corpus included.
    pub execs: u64,
    /// Inputs that reached new code and joined the pool (0 without coverage).
    pub new_coverage: usize,
    /// Coverage points reached (0 without coverage).
    pub edges: usize,
    /// The slowest input's time.
    pub slowest: Duration,
    /// How long the run took.
    pub elapsed: Duration,
    /// The first failure, if any.
    pub failure: Option<Failure>,
}

/// xoshiro256**, seeded through splitmix64: small, fast and the same everywhere.
pub struct Rng([u64; 4]);

impl Rng {
    /// A generator whose whole sequence follows from `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^ (x >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// An element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Bytes that parsers treat specially.
const INTERESTING_BYTES: &[u8] = &[
    0, 1, 0x7f, 0x80, 0xff, b'\n', b'\r', b'\t', 0x0b, 0x0c, b' ', b':', b'\\', b'-', b'+', b'0',
    b'7', b'8', b'9', b'x', b'X', b',', b'#', b'/', b'=',
];

/// Numbers as text at the edges of the ranges parsers care about.
const INTERESTING_NUMBERS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"+1",
    b"00",
    b"07",
    b"08",
    b"0x",
    b"0x0",
    b"0X1F",
    b"0100000",
    b"0x186a0",
    b"65535",
    b"65536",
    b"2147483647",
    b"4294967294",
    b"4294967295",
    b"4294967296",
    b"18446744073709551615",
    b"18446744073709551616",
    b"-18446744073709551615",
    b"99999999999999999999999",
    b" 1",
    b"1 ",
];

/// Binary integers at the edges: lengths, errnos, tags.
const INTERESTING_INTS: &[u64] = &[
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    4095,
    4096,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    u64::MAX,
];

/// Changes `data` by one to eight random mutations, keeping it at most `max_len` bytes.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>], target: &Target) {
    let rounds = 1 << rng.below(4);
    for _ in 0..rounds {
        let room = target.max_len.saturating_sub(data.len());
        mutate_once(rng, data, pool, target.tokens, room);
        data.truncate(target.max_len);
    }
}

/// One mutation; `room` is how many bytes the data may grow by before it is cut.
fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>], tokens: &[&[u8]], room: usize) {
    let len = data.len();
    // A position in the data (len for "at the end"), and a range in it.
    let at = |rng: &mut Rng| rng.below(len + 1);
    let span = |rng: &mut Rng| {
        let start = rng.below(len + 1);
        let max = (len - start).min(if rng.one_in(4) { 4096 } else { 16 });
        (start, start + rng.below(max + 1))
    };
    match rng.below(16) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next_u64() as u8;
        }
        2 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(INTERESTING_BYTES).unwrap_or(&0);
        }
        3 => {
            let i = at(rng);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.one_in(2) {
                        *rng.pick(INTERESTING_BYTES).unwrap_or(&0)
                    } else {
                        rng.next_u64() as u8
                    }
                })
                .collect();
            data.splice(i..i, bytes);
        }
        4 => {
            let (a, b) = span(rng);
            data.drain(a..b);
        }
        5 => {
            let (a, b) = span(rng);
            let copy = data[a..b].to_vec();
            let i = at(rng);
            data.splice(i..i, copy);
        }
        6 => {
            let (a, b) = span(rng);
            let copy = data[a..b].to_vec();
            let i = rng.below(len.saturating_sub(copy.len()) + 1);
            let end = (i + copy.len()).min(data.len());
            data.splice(i..end, copy);
        }
        7 | 8 => {
            let Some(token) = rng.pick(tokens) else {
                return;
            };
            let i = at(rng);
            if rng.one_in(2) {
                data.splice(i..i, token.iter().copied());
            } else {
                let end = (i + token.len()).min(len);
                data.splice(i..end, token.iter().copied());
            }
        }
        9 => {
            // Crossover: this input's head, another's tail.
            let Some(other) = rng.pick(pool) else {
                return;
            };
            let head = at(rng);
            let tail = rng.below(other.len() + 1);
            data.truncate(head);
            data.extend_from_slice(&other[tail..]);
        }
        10 => {
            // A number written as text, over a run of digits or anywhere.
            let number = rng.pick(INTERESTING_NUMBERS).copied().unwrap_or(b"0");
            let digit = match len {
                0 => None,
                _ => {
                    let start = rng.below(len);
                    (start..len).find(|&i| data[i].is_ascii_digit())
                }
            };
            match digit {
                Some(start) => {
                    let end = (start..len)
                        .find(|&i| !data[i].is_ascii_alphanumeric())
                        .unwrap_or(len);
                    data.splice(start..end, number.iter().copied());
                }
                None => {
                    let i = at(rng);
                    data.splice(i..i, number.iter().copied());
                }
            }
        }
        11 => {
            // A binary integer, little-endian, 1 to 8 bytes wide.
            let value = if rng.one_in(4) {
                rng.next_u64()
            } else {
                let v = *rng.pick(INTERESTING_INTS).unwrap_or(&0);
                match rng.below(3) {
                    0 => v,
                    1 => v.wrapping_add(1),
                    _ => v.wrapping_sub(1),
                }
            };
            let width = [1, 2, 4, 8][rng.below(4)];
            let i = rng.below(len.saturating_sub(width) + 1);
            let bytes = &value.to_le_bytes()[..width];
            let end = (i + width).min(len);
            data.splice(i..end, bytes.iter().copied());
        }
        12 => {
            // A line repeated: many lines, long files.
            let starts: Vec<usize> = std::iter::once(0)
                .chain((0..len).filter(|&i| data[i] == b'\n').map(|i| i + 1))
                .filter(|&i| i < len)
                .collect();
            let Some(&start) = rng.pick(&starts) else {
                return;
            };
            let end = (start..len)
                .find(|&i| data[i] == b'\n')
                .map_or(len, |i| i + 1);
            let line = &data[start..end];
            let most = if rng.one_in(8) { 400 } else { 8 };
            // No more than the target takes: it would be cut anyway.
            let times = (1 + rng.below(most)).min(room / line.len().max(1));
            let copies = line.repeat(times);
            data.splice(end..end, copies);
        }
        13 if len > 1 => {
            let (i, j) = (rng.below(len), rng.below(len));
            data.swap(i, j);
        }
        14 => {
            // A byte repeated: long names and numbers.
            let i = at(rng);
            let byte = if rng.one_in(2) {
                *rng.pick(INTERESTING_BYTES).unwrap_or(&0)
            } else {
                data.get(i).copied().unwrap_or(b'x')
            };
            let most = if rng.one_in(4) { 5000 } else { 64 };
            let n = (1 + rng.below(most)).min(room);
            data.splice(i..i, vec![byte; n]);
        }
        _ => {
            let (a, b) = span(rng);
            data.truncate(if rng.one_in(2) { a } else { b });
        }
    }
}

/// Runs one input: `Err` with the failure's message.
fn run_one(target: &Target, input: &[u8]) -> Result<(), String> {
    let result =
        coverage::Seen::record(|| catch_unwind(AssertUnwindSafe(|| (target.check)(input))));
    match result {
        Ok(result) => result,
        Err(panic) => Err(format!("panicked: {}", panic_message(&panic))),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not text)".to_string()
    }
}

/// Runs `input` through `target` once, as a replay: the result, with panics caught.
pub fn replay(target: &Target, input: &[u8]) -> Result<(), String> {
    run_one(target, input)
}

/// Runs `target` over every input of `corpus`, then over mutations of them (and of what
/// reached new code) until `budget` is spent or an input fails.
pub fn run(target: &Target, corpus: &[Vec<u8>], seed: u64, budget: Budget) -> Outcome {
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut seen = coverage::Seen::new();
    let mut pool: Vec<Vec<u8>> = corpus.to_vec();
    if pool.is_empty() {
        pool.push(Vec::new());
    }
    let mut outcome = Outcome {
        execs: 0,
        new_coverage: 0,
        edges: 0,
        slowest: Duration::ZERO,
        elapsed: Duration::ZERO,
        failure: None,
    };
    let mut exec = |input: &[u8], outcome: &mut Outcome| -> bool {
        let t = Instant::now();
        let result = run_one(target, input);
        let took = t.elapsed();
        outcome.execs += 1;
        outcome.slowest = outcome.slowest.max(took);
        let result = result.and_then(|()| match took > SLOW {
            true => Err(format!("took {took:?}, more than {SLOW:?}")),
            false => Ok(()),
        });
        match result {
            Ok(()) => seen.take_new(),
            Err(message) => {
                outcome.failure = Some(Failure {
                    input: input.to_vec(),
                    message,
                });
                false
            }
        }
    };
    for input in corpus {
        exec(input, &mut outcome);
        if outcome.failure.is_some() {
            outcome.elapsed = started.elapsed();
            return outcome;
        }
    }
    let mut iteration: u64 = 0;
    loop {
        let done = match budget {
            Budget::Iterations(n) => iteration >= n,
            // Looking at the clock every 64 inputs is often enough.
            Budget::Time(limit) => iteration.is_multiple_of(64) && started.elapsed() >= limit,
        };
        if done {
            break;
        }
        iteration += 1;
        let mut input = if rng.one_in(32) {
            // Now and then, bytes from nowhere.
            let n = rng.below(64);
            (0..n).map(|_| rng.next_u64() as u8).collect()
        } else {
            pool[rng.below(pool.len())].clone()
        };
        mutate(&mut rng, &mut input, &pool, target);
        let new = exec(&input, &mut outcome);
        if outcome.failure.is_some() {
            break;
        }
        if new {
            outcome.new_coverage += 1;
            pool.push(input);
        }
    }
    outcome.edges = seen.count();
    outcome.elapsed = started.elapsed();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(check: fn(&[u8]) -> Result<(), String>) -> Target {
        Target {
            name: "test",
            about: "a test",
            check,
            tokens: &[b"abc"],
            max_len: 1 << 16,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let t = target(|_| Ok(()));
        let pool = vec![b"hello: 12 world\n".to_vec()];
        let inputs = |seed| {
            let mut rng = Rng::new(seed);
            (0..200)
                .map(|_| {
                    let mut d = pool[0].clone();
                    mutate(&mut rng, &mut d, &pool, &t);
                    d
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(inputs(7), inputs(7));
        assert_ne!(inputs(7), inputs(8));
    }

    #[test]
    fn a_panic_and_a_broken_property_are_failures_with_the_input() {
        let panics = target(|d| {
            assert!(!d.contains(&b'!'), "a bang");
            Ok(())
        });
        let out = run(
            &panics,
            &[b"ok".to_vec(), b"no!".to_vec()],
            0,
            Budget::Iterations(10),
        );
        let failure = out.failure.expect("fails");
        assert_eq!(failure.input, b"no!");
        assert!(failure.message.contains("a bang"), "{}", failure.message);
        let broken = target(|d| match d.len() > 3 {
            true => Err(format!("{} bytes", d.len())),
            false => Ok(()),
        });
        let out = run(&broken, &[b"ab".to_vec()], 1, Budget::Iterations(10_000));
        assert!(out.failure.is_some_and(|f| f.input.len() > 3));
    }

    #[test]
    fn mutations_stay_within_the_length_and_reach_the_tokens() {
        let t = Target {
            max_len: 100,
            ..target(|_| Ok(()))
        };
        let mut rng = Rng::new(1);
        let pool = vec![b"x".to_vec()];
        let mut saw_token = false;
        for _ in 0..10_000 {
            let mut d = pool[0].clone();
            mutate(&mut rng, &mut d, &pool, &t);
            assert!(d.len() <= 100);
            saw_token |= d.windows(3).any(|w| w == b"abc");
        }
        assert!(saw_token);
    }
}
