//! `cargo xtask fuzz`: the fuzz targets (the `fuzz` package), built with sanitizer
//! coverage on stable Rust, for a bounded time.

use std::path::PathBuf;
use std::process::Command;

use crate::{Error, Result, Workspace};

/// LLVM's sanitizer coverage through stable `-C` options, as cargo-afl passes them: a
/// guard per edge, reported to the callbacks the `fuzz` package defines. Debug
/// assertions and overflow checks stay on: they are properties too.
const COVERAGE_FLAGS: &str = "-C passes=sancov-module \
    -C llvm-args=-sanitizer-coverage-level=3 \
    -C llvm-args=-sanitizer-coverage-trace-pc-guard \
    -C llvm-args=-sanitizer-coverage-prune-blocks=0 \
    -C debug-assertions -C overflow-checks";

struct Options {
    seconds: u64,
    seed: u64,
    targets: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        seconds: 60,
        seed: 0,
        targets: Vec::new(),
    };
    let mut iter = args.iter();
    let number = |value: Option<&String>, what: &str| {
        value
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Error::msg(format!("`cargo xtask fuzz`: {what} takes a number")))
    };
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--seconds" => options.seconds = number(iter.next(), "--seconds")?,
            "--seed" => options.seed = number(iter.next(), "--seed")?,
            "--" => options.targets.extend(iter.by_ref().cloned()),
            other => {
                return Err(Error::msg(format!(
                    "`cargo xtask fuzz`: unknown argument {other:?} (target names go after \
                     `--`; see `cargo xtask help`)"
                )))
            }
        }
    }
    Ok(options)
}

/// The target triple rustc builds for by default (`host:` of `rustc -vV`).
fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = crate::capture(Command::new(rustc).arg("-vV"))?;
    out.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| Error::msg("`rustc -vV` names no host"))
}

/// Runs `cargo xtask fuzz ARGS`.
pub fn run(args: &[String]) -> Result {
    let opts = parse_args(args)?;
    let ws = Workspace::find()?;
    let host = host_triple()?;
    // Its own target directory: the flags would rebuild everything in the usual one.
    // An explicit --target keeps them off build scripts and proc macros, which run in
    // the compiler and have no coverage callbacks to call.
    let target_dir = ws.root.join("target/fuzz");
    let mut build = ws.cargo(&["build", "--release", "--package", "fuzz", "--target", &host]);
    build
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("RUSTFLAGS", COVERAGE_FLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    crate::run(&mut build)?;
    let binary: PathBuf = target_dir.join(&host).join("release/fuzz");
    let mut fuzz = Command::new(binary);
    fuzz.args(["--seconds", &opts.seconds.to_string()])
        .args(["--seed", &opts.seed.to_string()])
        .args(&opts.targets)
        .current_dir(&ws.root);
    crate::run(&mut fuzz)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn reads_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = parse_args(&args(&["--seconds", "600", "--", "subid", "idmap"])).unwrap();
        assert_eq!((o.seconds, o.seed), (600, 0));
        assert_eq!(o.targets, ["subid", "idmap"]);
        assert_eq!(parse_args(&[]).unwrap().seconds, 60);
        assert!(parse_args(&args(&["--seconds"])).is_err());
        assert!(parse_args(&args(&["subid"])).is_err());
    }
}
