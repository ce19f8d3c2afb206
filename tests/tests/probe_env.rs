//! Environments that the probe must read as entering meets them, made by each scenario
//! itself: parts of `/proc` masked as Docker masks them (in a mount namespace of the
//! scenario's own), and a seccomp filter that kills the process at `open_tree`. In each,
//! entering works or fails with a step, errno and cause that name the environment, and
//! `sandbox::probe()` says the same row by row.
//!
//! Each scenario runs in a fresh process, as root and as uid 65534.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use sandbox::{Cause, Entered, Error, MountApi, Sandbox, Step};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        under_proc_masks_a_user_namespace_cannot_mount_proc_and_error_and_probe_name_the_masks,
        under_proc_masks_root_without_a_user_namespace_enters_and_the_probe_agrees,
        a_filter_killing_open_tree_keeps_the_probe_rows_before_it_and_names_sigsys,
    ])
}

// =======================================================================================
// /proc masked as Docker masks it.

/// The files Docker masks with `/dev/null`; the kernel has some of them, by its config.
const MASKED_FILES: [&str; 4] = [
    "/proc/kcore",
    "/proc/keys",
    "/proc/timer_list",
    "/proc/sched_debug",
];

/// Masks parts of `/proc` the way Docker does, in a mount namespace of this process's
/// own (made private first: the host's `/proc` is never touched): `/dev/null` bound over
/// the first of [`MASKED_FILES`] the kernel has, and a tmpfs over `/proc/sys`. Returns the
/// two mount points.
fn mask_proc_as_docker_does() -> Result<Vec<PathBuf>, Fail> {
    own_private_mount_namespace()?;
    let Some(file) = MASKED_FILES.iter().map(Path::new).find(|p| p.exists()) else {
        skip!("none of {MASKED_FILES:?} exists in this kernel's /proc to be masked");
    };
    mount(Some(Path::new("/dev/null")), file, None, libc::MS_BIND)?;
    mount_tmpfs(Path::new("/proc/sys"))?;
    Ok(vec![file.to_path_buf(), PathBuf::from("/proc/sys")])
}

/// Under the masks, as an unprivileged process: the sandbox makes a user namespace, the
/// mounts it inherits are locked, and the kernel refuses the fresh proc (`EPERM`: a proc
/// would reveal what the masks hide). The error names the step, the errno and each
/// covering mount; the probe's proc row says no with the same mounts while its namespace
/// rows say yes. As root the masks are made as root and a child drops to uid 65534 under
/// them (the daemon of a container whose runtime masked its proc).
fn under_proc_masks_a_user_namespace_cannot_mount_proc_and_error_and_probe_name_the_masks(
) -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let sandbox_builder = || prepare(Sandbox::builder(&shared));
    let check = |masks: Vec<PathBuf>| -> TestResult {
        let report = sandbox::probe();
        for (name, support) in [
            ("user namespace", &report.user_namespace),
            ("mount namespace", &report.mount_namespace),
            ("pid namespace", &report.pid_namespace),
        ] {
            ensure!(support.is_yes(), "{name} under the masks:\n{report}");
        }
        ensure!(!report.mount_proc.is_yes(), "{report}");
        for mask in &masks {
            ensure!(
                report
                    .mount_proc
                    .detail()
                    .contains(&*mask.to_string_lossy()),
                "the proc row does not name {}:\n{report}",
                mask.display()
            );
        }
        let sandbox = sandbox_builder()?;
        let children_before = children_of(getpid());
        match sandbox.enter() {
            Err(e) => {
                ensure_eq!(e.step(), Some(Step::MountProc), "({e})");
                ensure_eq!(e.errno(), Some(rustix::io::Errno::PERM), "({e})");
                let line = e.to_string();
                ensure!(
                    line.contains("mount-proc") && !line.contains('\n'),
                    "one line naming the step: {line}"
                );
                let Some(Cause::ProcCovered { mounts }) = e.cause() else {
                    fail!("cause {:?} of {e}", e.cause());
                };
                for mask in &masks {
                    ensure!(mounts.contains(mask), "{mounts:?} lacks {}", mask.display());
                }
                let hint = e.hint().unwrap_or_default();
                for mask in &masks {
                    ensure!(
                        hint.contains(&*mask.to_string_lossy()),
                        "hint {hint:?} lacks {}",
                        mask.display()
                    );
                }
                // The sandboxed child was reaped: nothing of it is left.
                ensure_eq!(children_of(getpid()), children_before);
                Ok(())
            }
            Ok(Entered::Inside(_)) => exit_now(3),
            Ok(Entered::Parent(child)) => {
                let _ = child.kill(sandbox::Signal::KILL);
                let _ = child.wait();
                fail!("entered under masks over {masks:?}: the kernel let a user namespace mount proc")
            }
        }
    };
    if test_support::is_root() {
        let masks = mask_proc_as_docker_does()?;
        test_support::in_child(|| {
            become_nobody()?;
            check(masks)
        })
    } else {
        let masks = mask_proc_as_docker_does()?;
        test_support::drop_all_capabilities()?;
        check(masks)
    }
}

/// Root in the initial user namespace is not held to the rule: under the same masks it
/// enters (its fresh proc shows everything, in its own pid namespace), and the probe's
/// proc row says yes. Unprivileged there is no such root to be.
fn under_proc_masks_root_without_a_user_namespace_enters_and_the_probe_agrees() -> TestResult {
    test_support::require_root()?;
    let masks = mask_proc_as_docker_does()?;
    let report = sandbox::probe();
    ensure!(
        report.mount_proc.is_yes(),
        "masks {masks:?}, as root:\n{report}"
    );
    let (_top, shared) = shared_dir()?;
    run_inside(Sandbox::builder(&shared), |inside| {
        let audit = inside.audit();
        test_support::ensure!(audit.is_confined(), "{audit}");
        Ok(String::new())
    })?;
    Ok(())
}

// =======================================================================================
// A seccomp filter that kills at open_tree.

/// Under a filter that kills at `open_tree`, the probe's trial dies there: the rows it
/// reported before (namespaces, proc) keep the kernel's answers, the new-mount-API row
/// names SIGSYS and a seccomp filter, the seccomp row says it was not tried for that
/// reason. And what the row advises holds: entering with the default `MountApi::Auto`
/// dies the same way (SIGSYS, named by the hint), `MountApi::Legacy` enters.
fn a_filter_killing_open_tree_keeps_the_probe_rows_before_it_and_names_sigsys() -> TestResult {
    let (_top, shared) = shared_dir()?;
    no_core_dumps();
    act_on_syscall(libc::SYS_open_tree, libc::SECCOMP_RET_KILL_PROCESS)?;
    let report = sandbox::probe();
    for (name, support) in [
        ("user namespace", &report.user_namespace),
        ("mount namespace", &report.mount_namespace),
        ("pid namespace", &report.pid_namespace),
        ("net namespace", &report.net_namespace),
        ("mount proc", &report.mount_proc),
    ] {
        ensure!(
            support.is_yes(),
            "{name}, reported before the trial died, is lost:\n{report}"
        );
    }
    let api = report.new_mount_api.detail();
    ensure!(!report.new_mount_api.is_yes(), "{report}");
    ensure!(
        api.starts_with("a seccomp filter killed the trial at new mount API")
            && api.contains("SIGSYS")
            && api.contains("MountApi::Legacy"),
        "{report}"
    );
    ensure!(!report.seccomp.is_yes(), "{report}");
    ensure!(
        report
            .seccomp
            .detail()
            .contains("not tried: a seccomp filter killed the trial at new mount API"),
        "{report}"
    );

    // Auto dies at open_tree in the sandboxed child. A process enters once: each attempt
    // in a child of its own.
    test_support::in_child(|| match prepare(Sandbox::builder(&shared))?.enter() {
        Err(e) if matches!(e, Error::ChildVanished { .. }) => {
            ensure!(
                matches!(e, Error::ChildVanished { status } if status.signal() == Some(libc::SIGSYS)),
                "({e})"
            );
            ensure!(
                e.hint().is_some_and(|h| h.contains("SIGSYS")),
                "hint {:?}",
                e.hint()
            );
            Ok(())
        }
        Err(e) => fail!("unexpected error: {e} ({e:?})"),
        Ok(Entered::Inside(_)) => exit_now(3),
        Ok(Entered::Parent(child)) => {
            let _ = child.kill(sandbox::Signal::KILL);
            let _ = child.wait();
            fail!("entered with MountApi::Auto although open_tree kills")
        }
    })?;
    // Legacy never calls open_tree.
    test_support::in_child(|| {
        run_inside(
            Sandbox::builder(&shared).mount_api(MountApi::Legacy),
            |inside| {
                let audit = inside.audit();
                test_support::ensure!(audit.is_confined(), "{audit}");
                Ok(String::new())
            },
        )
        .map(drop)
    })
}
