//! Many sandboxes at once: enters per second with 1, 2 and 8 processes entering at the same
//! time, ours with a network namespace each and ours joining one shared network namespace,
//! against bwrap (and the floor, in the log). The `bench_many` example runs the rounds.

use std::ffi::OsStr;

use super::{build_example, bwrap_command, run_result_bench, Row};
use crate::{Result, TempDir, Workspace};

/// How many enter at once.
const ENTERERS: [usize; 3] = [1, 2, 8];
const CONTENDERS: [&str; 4] = ["fresh", "shared", "floor", "peer"];

pub(super) fn run(ws: &Workspace) -> Result<Vec<Row>> {
    let many = build_example(ws, "sandbox", "bench_many", "")?;
    let enter = build_example(ws, "sandbox", "bench_enter", "")?;
    let floor = build_example(ws, "sandbox", "bench_floor", "")?;
    let dir = TempDir::new("xtask-bench-many-")?;
    let mut args: Vec<&OsStr> = vec![
        "--enter".as_ref(),
        enter.as_os_str(),
        "--floor".as_ref(),
        floor.as_os_str(),
        dir.path().as_os_str(),
        "--enterers".as_ref(),
        "1,2,8".as_ref(),
    ];
    let peer = bwrap_command(dir.path(), "--bind");
    match &peer {
        Ok(cmd) => {
            args.push("--".as_ref());
            args.push(cmd.get_program());
            args.extend(cmd.get_args());
        }
        Err(why) => println!("    skipping the bwrap comparison: {why}"),
    }
    let keys: Vec<String> = ENTERERS
        .iter()
        .flat_map(|k| CONTENDERS.iter().map(move |c| format!("{c}_{k}")))
        .collect();
    let keys: [&str; 12] = std::array::from_fn(|i| keys[i].as_str());
    let rates = run_result_bench(ws, &many, &args, "rate_per_s", keys)?;
    let mut rows = Vec::new();
    for (ki, k) in ENTERERS.iter().enumerate() {
        let [fresh, shared, _floor, bwrap] = std::array::from_fn(|c| rates[ki * 4 + c]);
        let per_s = |r: f64| match r.is_nan() {
            true => "-".to_owned(),
            false => format!("{r:.0}/s"),
        };
        for (what, ours) in [("own netns", fresh), ("shared netns", shared)] {
            let name = format!("enters/s, {k} at once, {what}");
            let row = match (ours.is_nan(), bwrap.is_nan()) {
                (true, _) => Row::skipped(name, "-".to_owned(), "shared netns needs root"),
                (false, true) => Row::skipped(name, per_s(ours), "bwrap skipped"),
                // As every other ratio of the table: our time per enter over bwrap's.
                (false, false) => Row::new(
                    name,
                    per_s(ours),
                    format!("bwrap {}", per_s(bwrap)),
                    bwrap / ours,
                ),
            };
            rows.push(row);
        }
    }
    Ok(rows)
}
