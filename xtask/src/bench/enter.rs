//! Enter + exit of one sandbox, as a whole process: ours with its defaults, ours with the
//! pid and network namespaces only, the floor (the bare system calls of entering, nothing
//! else), ours with the minimal init as pid 1, the hardened floor (the floor and the bare
//! system calls of our default hardening), and bwrap, in the same rounds.

use std::process::Command;

use super::{alternate, build_example, bwrap_command, med_p90, paired_ratio, Row};
use crate::{Result, TempDir, Workspace};

const WARM_UP: usize = 5;

pub(super) fn run(ws: &Workspace, rounds: usize) -> Result<Vec<Row>> {
    let enter = build_example(ws, "sandbox", "bench_enter", "")?;
    let floor = build_example(ws, "sandbox", "bench_floor", "")?;
    let dir = TempDir::new("xtask-bench-")?;
    let mut ours = Command::new(&enter);
    ours.arg(dir.path());
    let mut pid_net = Command::new(&enter);
    pid_net.arg(dir.path()).arg("pid-net");
    let mut bare = Command::new(&floor);
    bare.arg(dir.path());
    let mut with_init = Command::new(&enter);
    with_init.arg(dir.path()).arg("--init");
    let mut hardened = Command::new(&floor);
    hardened.arg(dir.path()).arg("--hardened");
    for cmd in [
        &mut ours,
        &mut pid_net,
        &mut bare,
        &mut with_init,
        &mut hardened,
    ] {
        println!("==> {}", crate::describe(cmd));
        super::run_checked(cmd)?;
    }
    let mut peer = match bwrap_command(dir.path(), "--bind") {
        Ok(cmd) => {
            println!("==> {}", crate::describe(&cmd));
            Some(cmd)
        }
        Err(why) => {
            println!("    skipping the bwrap comparison: {why}");
            None
        }
    };
    println!(
        "    {WARM_UP} warm-up runs, then {rounds} rounds of ours, ours with pid+net only, \
         the floor, ours with init(true), the hardened floor{}, taking turns",
        if peer.is_some() { " and bwrap" } else { "" }
    );
    let mut cmds = vec![
        &mut ours,
        &mut pid_net,
        &mut bare,
        &mut with_init,
        &mut hardened,
    ];
    if let Some(p) = peer.as_mut() {
        cmds.push(p);
    }
    let times = alternate(&mut cmds, rounds, WARM_UP)?;
    let (ours_t, pid_net_t, floor_t) = (&times[0], &times[1], &times[2]);
    let (init_t, hardened_t) = (&times[3], &times[4]);
    for (name, t) in [
        ("ours", ours_t),
        ("ours, pid+net only", pid_net_t),
        ("floor", floor_t),
        ("ours with init(true)", init_t),
        ("hardened floor", hardened_t),
    ] {
        println!("    enter+exit, {name}: median (p90) {}", med_p90(t));
    }
    let mut rows = Vec::new();
    let vs_floor = Row::new(
        "enter + exit vs the floor",
        med_p90(ours_t),
        format!("floor {}", med_p90(floor_t)),
        paired_ratio(ours_t, floor_t),
    );
    // What the hardening costs the kernel, and what is left of ours beyond it.
    let vs_hardened = [
        Row::new(
            "enter + exit vs the hardened floor",
            med_p90(ours_t),
            format!("hardened floor {}", med_p90(hardened_t)),
            paired_ratio(ours_t, hardened_t),
        ),
        Row::new(
            "hardened floor vs the floor (the kernel's part of the hardening)",
            format!("hardened {}", med_p90(hardened_t)),
            format!("floor {}", med_p90(floor_t)),
            paired_ratio(hardened_t, floor_t),
        ),
    ];
    match times.get(5) {
        Some(bwrap_t) => {
            println!("    enter+exit, bwrap: median (p90) {}", med_p90(bwrap_t));
            rows.push(Row::new(
                "enter + exit vs bwrap, median (p90)",
                med_p90(ours_t),
                format!("bwrap {}", med_p90(bwrap_t)),
                paired_ratio(ours_t, bwrap_t),
            ));
            rows.push(vs_floor);
            rows.extend(vs_hardened);
            rows.push(Row::new(
                "bwrap vs the floor",
                format!("bwrap {}", med_p90(bwrap_t)),
                format!("floor {}", med_p90(floor_t)),
                paired_ratio(bwrap_t, floor_t),
            ));
        }
        None => {
            rows.push(Row::skipped(
                "enter + exit vs bwrap, median (p90)",
                med_p90(ours_t),
                "bwrap skipped",
            ));
            rows.push(vs_floor);
            rows.extend(vs_hardened);
        }
    }
    rows.push(Row::new(
        "default vs pid+net namespaces only",
        med_p90(ours_t),
        format!("pid+net {}", med_p90(pid_net_t)),
        paired_ratio(ours_t, pid_net_t),
    ));
    rows.push(Row::new(
        "init(true) vs the default (pid 1 is the daemon)",
        format!("init {}", med_p90(init_t)),
        format!("default {}", med_p90(ours_t)),
        paired_ratio(init_t, ours_t),
    ));
    Ok(rows)
}
