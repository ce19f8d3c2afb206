//! `fuzz`: runs the workspace's fuzz targets on stable Rust.
//!
//! Every parser and decoder of text or bytes from outside (mountinfo, `/etc/subuid` and
//! `/etc/subgid`, id maps, `/proc/<pid>/status`, the messages between the sandbox's own
//! processes) is a target with properties to keep (see `src/targets/`). Each runs first
//! over its committed corpus, `fuzz/corpus/<target>/`, then over mutations of it, from a
//! fixed seed: a run is reproducible. `cargo xtask test` runs every target briefly;
//! `cargo xtask fuzz --seconds N` builds this package with sanitizer coverage (then
//! inputs that reach new code are kept and mutated further) and runs it for N seconds.
//!
//! ```text
//! fuzz [--iterations N | --seconds N] [--seed S] [--failures DIR] [TARGET...]
//! fuzz --input FILE TARGET      run one input (a saved failure) and say what happens
//! fuzz --list                   the targets and what each checks
//! ```
//!
//! A failure (a panic, a broken property, an input slower than two seconds) is printed,
//! saved under `--failures` (default `target/fuzz-failures/<target>/`), and makes the
//! exit status 1. Copy it into the target's corpus once fixed, so it stays fixed.
#![deny(unsafe_code)]

mod coverage;
mod engine;
#[allow(unsafe_code)]
mod sys;
mod targets;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use engine::{Budget, Target};

/// What `fuzz` runs when told nothing: enough to catch a regression in a few seconds.
const DEFAULT_ITERATIONS: u64 = 2000;

struct Options {
    budget: Budget,
    seed: u64,
    failures: PathBuf,
    targets: Vec<&'static Target>,
    input: Option<PathBuf>,
    list: bool,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        budget: Budget::Iterations(DEFAULT_ITERATIONS),
        seed: 0,
        failures: workspace_root().join("target/fuzz-failures"),
        targets: Vec::new(),
        input: None,
        list: false,
    };
    let mut args = args.iter();
    let number = |value: Option<&String>, what: &str| -> Result<u64, String> {
        value
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{what} takes a number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => {
                options.budget = Budget::Iterations(number(args.next(), "--iterations")?)
            }
            "--seconds" => {
                let seconds = number(args.next(), "--seconds")?;
                options.budget = Budget::Time(Duration::from_secs(seconds));
            }
            "--seed" => options.seed = number(args.next(), "--seed")?,
            "--failures" => {
                options.failures = args.next().ok_or("--failures takes a directory")?.into()
            }
            "--input" => options.input = Some(args.next().ok_or("--input takes a file")?.into()),
            "--list" => options.list = true,
            name if !name.starts_with('-') => {
                let target = targets::ALL
                    .iter()
                    .find(|t| t.name == name)
                    .ok_or_else(|| format!("no target {name:?}; `fuzz --list` lists them"))?;
                options.targets.push(target);
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.targets.is_empty() {
        options.targets = targets::ALL.iter().collect();
    }
    Ok(options)
}

/// The files of `dir`, sorted by name; none when it does not exist.
fn corpus(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("read {}: {e}", dir.display())),
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("read {}: {e}", dir.display()))?;
    paths.sort();
    paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| std::fs::read(p).map_err(|e| format!("read {}: {e}", p.display())))
        .collect()
}

/// A name for an input: FNV-1a of its bytes.
fn fingerprint(input: &[u8]) -> String {
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn shown(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(&input[..input.len().min(300)]).into_owned();
    let more = if input.len() > 300 { " ..." } else { "" };
    format!("{text:?}{more} ({} bytes)", input.len())
}

fn run(options: &Options) -> Result<bool, String> {
    if options.list {
        for t in targets::ALL {
            println!("{:<20} {}", t.name, t.about);
        }
        return Ok(true);
    }
    if let Some(file) = &options.input {
        let [target] = options.targets[..] else {
            return Err("--input takes one target".into());
        };
        let input = std::fs::read(file).map_err(|e| format!("read {}: {e}", file.display()))?;
        return Ok(match engine::replay(target, &input) {
            Ok(()) => {
                println!("{}: {} passes", target.name, file.display());
                true
            }
            Err(message) => {
                println!("{}: {} fails: {message}", target.name, file.display());
                false
            }
        });
    }
    // The panics the targets may hit are caught and reported as failures; keep their
    // default report off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let budget = match options.budget {
        // A time budget is for all the targets together.
        Budget::Time(total) => Budget::Time(total / options.targets.len().max(1) as u32),
        iterations => iterations,
    };
    println!(
        "fuzz: {} targets, seed {}, {}, coverage {}",
        options.targets.len(),
        options.seed,
        match budget {
            Budget::Iterations(n) => format!("{n} mutated inputs each"),
            Budget::Time(t) => format!("{:.0} s each", t.as_secs_f64()),
        },
        if coverage::Seen::instrumented() {
            "on"
        } else {
            "off (a plain build)"
        }
    );
    let mut ok = true;
    for target in &options.targets {
        let corpus_dir = workspace_root().join("fuzz/corpus").join(target.name);
        let corpus = corpus(&corpus_dir)?;
        let out = engine::run(target, &corpus, options.seed, budget);
        println!(
            "{:<20} {:>10} inputs ({} from the corpus) in {:>7.1} s, {} edges, {} kept, slowest {:?}: {}",
            target.name,
            out.execs,
            corpus.len(),
            out.elapsed.as_secs_f64(),
            out.edges,
            out.new_coverage,
            out.slowest,
            if out.failure.is_some() { "FAILED" } else { "ok" }
        );
        if let Some(failure) = out.failure {
            ok = false;
            let dir = options.failures.join(target.name);
            let file = dir.join(fingerprint(&failure.input));
            let saved = std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&file, &failure.input))
                .map(|()| file.display().to_string())
                .unwrap_or_else(|e| format!("(not saved: {e})"));
            println!("  {}", failure.message);
            println!("  input {}", shown(&failure.input));
            println!(
                "  saved as {saved}; replay: fuzz --input {saved} {}",
                target.name
            );
        }
    }
    Ok(ok)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_args(&args).and_then(|o| run(&o)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("fuzz: {e}");
            ExitCode::from(2)
        }
    }
}
