//! `sandbox_seccomp::parse_status`: the `Seccomp:` and `Seccomp_filters:` lines of
//! `/proc/<pid>/status`.

use sandbox_seccomp::{parse_status, SeccompMode};

use crate::engine::Target;

/// Never panics, and agrees with the format written out here: the last of each line
/// counts, a value is trimmed, `Seccomp:` is 0, 1 or 2 and `Seccomp_filters:` a u32.
pub const TARGET: Target = Target {
    name: "seccomp_status",
    about: "/proc/<pid>/status: the seccomp mode and filter count equal a reading of proc(5)",
    check,
    tokens: &[
        b"Seccomp:\t",
        b"Seccomp_filters:\t",
        b"Seccomp:",
        b"\n",
        b"\t",
        b"0",
        b"1",
        b"2",
        b"4294967295",
        b"4294967296",
        b"NoNewPrivs:\t1\n",
    ],
    max_len: 1 << 14,
};

fn check(input: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(input) else {
        return Ok(());
    };
    let ours = parse_status(text).ok().map(|s| (s.mode, s.filters));
    let mut mode = Some(SeccompMode::NotInKernel);
    let mut filters = Some(None);
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Seccomp:") {
            mode = match v.trim() {
                "0" => Some(SeccompMode::Disabled),
                "1" => Some(SeccompMode::Strict),
                "2" => Some(SeccompMode::Filter),
                _ => None,
            };
        } else if let Some(v) = line.strip_prefix("Seccomp_filters:") {
            filters = v.trim().parse::<u32>().ok().map(Some);
        }
        if mode.is_none() || filters.is_none() {
            break;
        }
    }
    let theirs = mode.zip(filters);
    match ours == theirs {
        true => Ok(()),
        false => Err(format!("parse_status gives {ours:?}, proc(5) {theirs:?}")),
    }
}
