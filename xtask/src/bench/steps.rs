//! `cargo xtask bench --steps`: where the time of entering goes. Many runs of
//! `bench_steps` (a default sandbox, with the `step-times` feature of `sandbox`) and of
//! the floor with `--marks --hardened` (the floor, then the bare system calls of our
//! default hardening), taking turns; each prints the `CLOCK_MONOTONIC` time at
//! which each step ended, in the original and in the sandboxed process. Merged into one
//! timeline per run, a step's time is the distance to the mark before it; the table gives
//! the mean (the sum over the runs / the runs) and the median per run, ours and the
//! hardened floor's for the steps both make.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{build_example, median};
use crate::{Error, Result, TempDir, Workspace};

const WARM_UP: usize = 3;

/// One mark: the process (`parent`, `child`), the step's label, the time it ended.
#[derive(Debug, Clone, PartialEq)]
struct Mark {
    process: String,
    label: String,
    ns: u64,
}

/// The marks of `mark PROCESS LABEL NS` lines; other lines are ignored.
fn parse_marks(out: &str) -> Vec<Mark> {
    out.lines()
        .filter_map(|line| {
            let mut w = line.split_whitespace();
            if w.next()? != "mark" {
                return None;
            }
            let (process, label, ns) = (w.next()?, w.next()?, w.next()?.parse().ok()?);
            w.next().is_none().then(|| Mark {
                process: process.to_owned(),
                label: label.to_owned(),
                ns,
            })
        })
        .collect()
}

/// Each mark's step time: the marks of both processes merged by time, each minus the
/// one before it (the first: 0). Keyed `label (process)`, in timeline order.
fn step_times(mut marks: Vec<Mark>) -> Vec<(String, u64)> {
    marks.sort_by_key(|m| m.ns);
    let mut prev = marks.first().map_or(0, |m| m.ns);
    marks
        .into_iter()
        .map(|m| {
            let d = m.ns - prev;
            prev = m.ns;
            (format!("{} ({})", m.label, m.process), d)
        })
        .collect()
}

/// The step times of many runs of one program.
#[derive(Default)]
struct Table {
    /// Keys in the order first seen.
    order: Vec<String>,
    times: HashMap<String, Vec<u64>>,
    /// Whole-process wall time minus the marked span (exec, start-up, exit, reaping).
    unmarked: Vec<u64>,
    wall: Vec<u64>,
}

impl Table {
    fn add(&mut self, marks: Vec<Mark>, wall: Duration) {
        let span = match (
            marks.iter().map(|m| m.ns).min(),
            marks.iter().map(|m| m.ns).max(),
        ) {
            (Some(lo), Some(hi)) => hi - lo,
            _ => 0,
        };
        let wall = wall.as_nanos() as u64;
        self.wall.push(wall);
        self.unmarked.push(wall.saturating_sub(span));
        for (key, d) in step_times(marks) {
            if !self.times.contains_key(&key) {
                self.order.push(key.clone());
            }
            self.times.entry(key).or_default().push(d);
        }
    }

    /// Mean and median in µs of a step, over `runs` runs (a step missing from a run
    /// counts as 0 there).
    fn of(&self, key: &str, runs: usize) -> Option<(f64, f64)> {
        let t = self.times.get(key)?;
        Some(mean_median(t, runs))
    }
}

fn mean_median(t: &[u64], runs: usize) -> (f64, f64) {
    let mut v: Vec<f64> = t.iter().map(|&ns| ns as f64 / 1e3).collect();
    v.resize(runs.max(v.len()), 0.0);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    (mean, median(&mut v))
}

/// Runs `cmd` once, timed, and returns its marks.
fn run_marked(cmd: &mut Command) -> Result<(Vec<Mark>, Duration)> {
    let shown = crate::describe(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| Error::msg(format!("cannot run `{shown}`: {e}")))?;
    let wall = started.elapsed();
    if !out.status.success() {
        return Err(Error::msg(format!(
            "`{shown}` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let marks = parse_marks(&String::from_utf8_lossy(&out.stdout));
    if marks.is_empty() {
        return Err(Error::msg(format!("`{shown}` printed no marks")));
    }
    Ok((marks, wall))
}

pub(super) fn run(ws: &Workspace, rounds: usize) -> Result {
    let steps = build_example(ws, "sandbox", "bench_steps", "sandbox/step-times")?;
    let floor = build_example(ws, "sandbox", "bench_floor", "")?;
    let dir = TempDir::new("xtask-bench-steps-")?;
    let mut ours = Command::new(&steps);
    ours.arg(dir.path());
    let mut bare = Command::new(&floor);
    bare.arg(dir.path()).arg("--marks").arg("--hardened");
    println!("==> {}", crate::describe(&ours));
    println!("==> {}", crate::describe(&bare));
    println!("    {WARM_UP} warm-up runs, then {rounds} rounds of each, taking turns");
    for _ in 0..WARM_UP {
        run_marked(&mut ours)?;
        run_marked(&mut bare)?;
    }
    let (mut ours_t, mut floor_t) = (Table::default(), Table::default());
    for round in 0..rounds {
        if round % 2 == 0 {
            let (m, w) = run_marked(&mut ours)?;
            ours_t.add(m, w);
            let (m, w) = run_marked(&mut bare)?;
            floor_t.add(m, w);
        } else {
            let (m, w) = run_marked(&mut bare)?;
            floor_t.add(m, w);
            let (m, w) = run_marked(&mut ours)?;
            ours_t.add(m, w);
        }
    }
    print_table(&ours_t, &floor_t, rounds);
    Ok(())
}

fn print_table(ours: &Table, floor: &Table, runs: usize) {
    println!();
    println!(
        "step times over {runs} runs, µs per enter: each step ends at its mark, in the \
         original process (parent) or the sandboxed one (child)"
    );
    println!(
        "{:<34} {:>10} {:>10} {:>7} {:>12}",
        "step (process)", "ours mean", "median", "share", "bare median"
    );
    println!("(bare: the floor with the bare system calls of our hardening, --hardened)");
    let total = mean_median(&ours.wall, runs).0;
    let show = |name: &str, ours_mm: (f64, f64), floor_med: Option<f64>| {
        println!(
            "{:<34} {:>10.1} {:>10.1} {:>6.1}% {:>12}",
            name,
            ours_mm.0,
            ours_mm.1,
            100.0 * ours_mm.0 / total.max(f64::MIN_POSITIVE),
            floor_med.map_or_else(|| "-".to_owned(), |m| format!("{m:.1}"))
        )
    };
    for key in &ours.order {
        let Some(mm) = ours.of(key, runs) else {
            continue;
        };
        show(key, mm, floor.of(key, runs).map(|(_, med)| med));
    }
    show(
        "exec, start-up, exit (unmarked)",
        mean_median(&ours.unmarked, runs),
        Some(mean_median(&floor.unmarked, runs).1),
    );
    show(
        "whole process (wall)",
        mean_median(&ours.wall, runs),
        Some(mean_median(&floor.wall, runs).1),
    );
    let missing: Vec<&String> = floor
        .order
        .iter()
        .filter(|k| !ours.times.contains_key(*k))
        .collect();
    for key in missing {
        if let Some((_, med)) = floor.of(key, runs) {
            println!("{key:<34} {:>10} {:>10} {:>7} {med:>12.1}", "-", "-", "");
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn merges_both_processes_into_one_timeline() {
        let out = "\
mark child fork 1300
noise
mark child unshare-child 2000
mark parent main 1000
mark parent prepare-fork 1100
mark parent entered 2500
mark parent bad x
";
        let marks = parse_marks(out);
        assert_eq!(marks.len(), 5);
        assert_eq!(
            step_times(marks),
            vec![
                ("main (parent)".to_owned(), 0),
                ("prepare-fork (parent)".to_owned(), 100),
                ("fork (child)".to_owned(), 200),
                ("unshare-child (child)".to_owned(), 700),
                ("entered (parent)".to_owned(), 500),
            ]
        );
    }

    #[test]
    fn a_step_missing_from_a_run_counts_as_nothing_there() {
        let mut t = Table::default();
        let m = |label: &str, ns| Mark {
            process: "parent".into(),
            label: label.into(),
            ns,
        };
        t.add(vec![m("main", 0), m("a", 2000)], Duration::from_micros(5));
        t.add(vec![m("main", 0)], Duration::from_micros(3));
        assert_eq!(t.of("a (parent)", 2), Some((1.0, 1.0)));
        // Wall minus the marked span: 5 - 2 and 3 - 0.
        assert_eq!(mean_median(&t.unmarked, 2), (3.0, 3.0));
    }
}
