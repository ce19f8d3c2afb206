//! The benchmarks that run inside one example program, which times both sides itself and
//! prints its medians on its last line: reopening through `/proc/self/fd`, the hot path
//! under the seccomp filter, the filter on reopen + read, what installing a filter costs a
//! process, and the audit.

use super::{build_example, run_result_bench, Row};
use crate::{Result, Workspace};

/// Reopening through the proc-fd handle against its two peers: the same magic-link
/// `openat` done by hand (the library's own cost), and a plain `openat` by name (the cost
/// of the magic link itself); ratios are medians of the per-round ratios.
pub(super) fn reopen(ws: &Workspace) -> Result<Vec<Row>> {
    let exe = build_example(ws, "sandbox-proc-fd", "bench_reopen", "")?;
    let keys = ["reopen", "magic", "byname", "ratio_magic", "ratio_byname"];
    let [reopen, magic, byname, ratio_magic, ratio_byname] =
        run_result_bench(ws, &exe, &[], "median_ns", keys)?;
    Ok(vec![
        Row::new(
            "reopen via handle vs same openat by hand",
            format!("{reopen:.0} ns"),
            format!("magic-link openat {magic:.0} ns"),
            ratio_magic,
        ),
        Row::new(
            "reopen via handle vs openat by name",
            format!("{reopen:.0} ns"),
            format!("plain openat {byname:.0} ns"),
            ratio_byname,
        ),
    ])
}

/// The hot path under the default filter: reopen through the proc-fd handle + close, by
/// 1 and by 4 threads, filtered against unfiltered (ratios: medians of the per-round
/// ratios).
pub(super) fn hot_path(ws: &Workspace) -> Result<Vec<Row>> {
    let exe = build_example(ws, "sandbox", "bench_hotpath", "")?;
    let keys = [
        "unfiltered_1",
        "filtered_1",
        "ratio_1",
        "unfiltered_4",
        "filtered_4",
        "ratio_4",
    ];
    let v = run_result_bench(ws, &exe, &[], "median_ns", keys)?;
    Ok([(1, 0), (4, 3)]
        .into_iter()
        .map(|(threads, i)| {
            Row::new(
                format!("seccomp filter on reopen, {threads} thread(s)"),
                format!("{:.0} ns", v[i + 1]),
                format!("unfiltered {:.0} ns", v[i]),
                v[i + 2],
            )
        })
        .collect())
}

/// The default seccomp filter on the hot path: reopen + read 4 KiB + close, filtered
/// against unfiltered (the ratio is the median of the per-round ratios).
pub(super) fn filter(ws: &Workspace) -> Result<Row> {
    let exe = build_example(ws, "sandbox-seccomp", "bench_filter", "")?;
    let [unfiltered_ns, filtered_ns, ratio] = run_result_bench(
        ws,
        &exe,
        &[],
        "median_ns",
        ["unfiltered", "filtered", "ratio"],
    )?;
    Ok(Row::new(
        "seccomp filter on reopen+read, median",
        format!("{filtered_ns:.0} ns"),
        format!("unfiltered {unfiltered_ns:.0} ns"),
        ratio,
    ))
}

/// What a seccomp filter costs a short-lived process (fork, install, exit, reap): one of
/// one instruction against none, and the default against that one (ratios: medians of
/// the per-round ratios).
pub(super) fn install(ws: &Workspace) -> Result<Vec<Row>> {
    let exe = build_example(ws, "sandbox-seccomp", "bench_install", "")?;
    let keys = ["none", "one", "default", "ratio_one", "ratio_default"];
    let [none, one, default, ratio_one, ratio_default] =
        run_result_bench(ws, &exe, &[], "median_us", keys)?;
    Ok(vec![
        Row::new(
            "any seccomp filter, per process: one instruction vs none",
            format!("one instruction {one:.1} µs"),
            format!("none {none:.1} µs"),
            ratio_one,
        ),
        Row::new(
            "the default filter vs one instruction, per process",
            format!("{default:.1} µs"),
            format!("one instruction {one:.1} µs"),
            ratio_default,
        ),
    ])
}

/// `Inside::audit()` in a default sandbox against one read of /proc/self/status (open,
/// read, close) in the original process, both under the default seccomp filter (the ratio
/// is the median of the per-round ratios).
pub(super) fn audit(ws: &Workspace) -> Result<Row> {
    let exe = build_example(ws, "sandbox", "bench_audit", "")?;
    let [audit_ns, status_ns, ratio] =
        run_result_bench(ws, &exe, &[], "median_ns", ["audit", "status", "ratio"])?;
    Ok(Row::new(
        "audit() inside, median",
        format!("{:.1} µs", audit_ns / 1e3),
        format!("one status read {:.1} µs", status_ns / 1e3),
        ratio,
    ))
}
