//! How the cost grows: entering over a shared directory that holds 1,000 submounts made
//! read-only (ours with one recursive `mount_setattr`, ours with the remount walk of
//! `mount(2)`, bwrap `--ro-bind`, and the floor, which binds the tree and makes nothing
//! read-only), and entering with 10,000 descriptors open (ours closes them; the floor
//! leaves them to the kernel). The `bench_growth` example runs the rounds.

use std::ffi::OsStr;

use super::{build_example, bwrap_command, run_result_bench, Row};
use crate::{Result, TempDir, Workspace};

const MOUNTS: usize = 1000;
const FDS: usize = 10_000;

pub(super) fn run(ws: &Workspace, rounds: usize) -> Result<Vec<Row>> {
    let growth = build_example(ws, "sandbox", "bench_growth", "")?;
    let enter = build_example(ws, "sandbox", "bench_enter", "")?;
    let floor = build_example(ws, "sandbox", "bench_floor", "")?;
    // Each round runs 12 programs, some with 1,000 mounts: a quarter of the enter rounds.
    let rounds = (rounds / 4).max(1).to_string();
    let (mounts, fds) = (MOUNTS.to_string(), FDS.to_string());
    let mut args: Vec<&OsStr> = vec![
        "--enter".as_ref(),
        enter.as_os_str(),
        "--floor".as_ref(),
        floor.as_os_str(),
        "--mounts".as_ref(),
        mounts.as_ref(),
        "--fds".as_ref(),
        fds.as_ref(),
        "--rounds".as_ref(),
        rounds.as_ref(),
    ];
    // bwrap's command line as the enter benchmark checked it, with its directory
    // replaced by the example's ({}), and the static `true` it runs.
    let dir = TempDir::new("xtask-bench-growth-")?;
    let peer = bwrap_command(dir.path(), "--ro-bind");
    let true_exe = dir.path().join("true");
    let braces: &OsStr = "{}".as_ref();
    match &peer {
        Ok(cmd) => {
            args.extend(["--true".as_ref(), true_exe.as_os_str(), "--".as_ref()]);
            args.push(cmd.get_program());
            args.extend(cmd.get_args().map(|a| {
                if a == dir.path().as_os_str() {
                    braces
                } else {
                    a
                }
            }));
        }
        Err(why) => println!("    skipping the bwrap comparison: {why}"),
    }
    let keys = [
        "setattr_0",
        "setattr_n",
        "walk_0",
        "walk_n",
        "floor_0",
        "floor_n",
        "bwrap_0",
        "bwrap_n",
        "fds_0",
        "fds_n",
        "floorfds_0",
        "floorfds_n",
    ];
    let v = run_result_bench(ws, &growth, &args, "median_ms", keys)?;
    let [setattr_0, setattr_n, _walk_0, walk_n, floor_0, floor_n, bwrap_0, bwrap_n] =
        std::array::from_fn(|i| v[i]);
    let [fds_0, fds_n, floorfds_0, floorfds_n] = std::array::from_fn(|i| v[8 + i]);
    let ms = |x: f64| format!("{x:.2} ms");
    let mut rows = vec![Row::new(
        "1,000 ro submounts: mount_setattr vs remount walk",
        ms(setattr_n),
        format!("walk {}", ms(walk_n)),
        setattr_n / walk_n,
    )];
    let vs_bwrap = "1,000 ro submounts: enter vs bwrap --ro-bind";
    let added = "1,000 ro submounts: time added, vs the floor's";
    rows.push(match bwrap_n.is_nan() {
        true => Row::skipped(vs_bwrap, ms(setattr_n), "bwrap skipped"),
        false => Row::new(
            vs_bwrap,
            ms(setattr_n),
            format!("bwrap {}", ms(bwrap_n)),
            setattr_n / bwrap_n,
        ),
    });
    rows.push(Row::new(
        added,
        format!("+{}", ms(setattr_n - setattr_0)),
        format!("floor +{}", ms(floor_n - floor_0)),
        (setattr_n - setattr_0) / (floor_n - floor_0),
    ));
    if !bwrap_n.is_nan() {
        rows.push(Row::new(
            "1,000 ro submounts: time added, bwrap vs floor",
            format!("bwrap +{}", ms(bwrap_n - bwrap_0)),
            format!("floor +{}", ms(floor_n - floor_0)),
            (bwrap_n - bwrap_0) / (floor_n - floor_0),
        ));
    }
    rows.push(Row::new(
        "10,000 fds open: enter, with vs without",
        ms(fds_n),
        format!("none {}", ms(fds_0)),
        fds_n / fds_0,
    ));
    rows.push(Row::new(
        "10,000 fds open: time added, vs the floor's",
        format!("+{}", ms(fds_n - fds_0)),
        format!("floor +{}", ms(floorfds_n - floorfds_0)),
        (fds_n - fds_0) / (floorfds_n - floorfds_0),
    ));
    Ok(rows)
}
