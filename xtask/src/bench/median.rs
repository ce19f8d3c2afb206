//! The benchmarks that run inside one example program, which times both sides itself and
//! prints its medians on its last line: reopening through `/proc/self/fd`, the hot path
//! under the seccomp filter, the filter on reopen + read, and the audit.

use super::{build_example, run_result_bench, Row};
use crate::{Result, Workspace};

pub(super) fn reopen(ws: &Workspace) -> Result<Vec<Row>> {
    let exe = build_example(ws, "sandbox-proc-fd", "bench_reopen", "")?;
    let [reopen_ns, openat_ns, ratio] =
        run_result_bench(ws, &exe, &[], "median_ns", ["reopen", "openat", "ratio"])?;
    Ok(vec![Row::new(
        "reopen via /proc/self/fd, median",
        format!("{reopen_ns:.0} ns"),
        format!("openat {openat_ns:.0} ns"),
        ratio,
    )])
}

pub(super) fn hot_path(_ws: &Workspace) -> Result<Vec<Row>> {
    Ok(Vec::new())
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
