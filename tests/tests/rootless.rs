//! Rootless sandboxes in earnest: uid/gid ranges through the id-map helper, subordinate ids
//! and `newuidmap`, joining namespaces made beforehand, and errors that name their cause.
//!
//! Each scenario runs in a fresh process, as root and as uid 65534. The scenarios about a
//! plain user with (or without) subordinate ids run, as root, in a child that drops to uid
//! and gid 65534 after the scenario wrote `/etc/subuid` and `/etc/subgid` lines for it; the
//! files are restored when the scenario ends, also when it fails. In the unprivileged run
//! they use the files as they are, and skip when those do not fit the claim.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sandbox::{Cause, Error, IdMap, Namespaces, Sandbox, Step};
use sandbox_namespaces::IdMapError;
use test_support::namespaces::read_id_map;
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        range_map_lets_the_sandbox_chown_to_another_uid_and_the_host_sees_the_outside_uid,
        plain_user_with_subordinate_ids_gets_inside_ids_mapped_to_them,
        plain_user_without_subordinate_ids_gets_an_error_naming_that,
        newuidmap_refusing_a_range_not_granted_has_its_message_carried,
        newuidmap_not_installed_is_named,
        each_invalid_map_is_refused_at_build_with_its_reason,
        user_namespaces_disabled_by_max_user_namespaces_are_named,
        seccomp_refusing_unshare_is_named,
        already_root_of_a_user_namespace_maps_nothing_twice,
        under_unshare_map_root_user_no_user_namespace_is_added,
        joining_a_user_namespace_made_by_unshare_maps_nothing_twice,
        joining_a_net_namespace_puts_the_sandbox_in_it,
        joining_a_mount_namespace_starts_from_it_and_leaves_it_unchanged,
        setgroups_allowed_through_the_helper_works_inside_and_denied_fails,
        helper_write_refused_by_the_kernel_names_the_file,
        range_map_under_unshare_map_root_user_is_refused_with_the_file_named,
        helper_pipe_failure_is_reported_before_anything_is_unshared,
        helper_fork_failure_is_reported_before_anything_is_unshared,
        joining_a_namespace_of_the_wrong_type_fails_at_join,
        shared_dir_missing_in_the_joined_mount_namespace_is_named,
        helper_dying_without_a_report_is_an_error_and_nothing_is_entered,
        setgroups_deny_failing_before_the_helper_writes_is_reported,
        probe_reports_every_facility_with_a_reason_for_each_no,
    ])
}

/// The subordinate range the scenarios grant uid 65534.
const SUB_START: u32 = 300_000;
const SUB_COUNT: u32 = 65536;

// =======================================================================================
// Set-up.

/// `/etc/subuid` and `/etc/subgid` as they were; written back on drop, so also when the
/// scenario fails or panics.
struct SubidFiles {
    saved: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl SubidFiles {
    /// Replaces both files with `lines` (the same for both).
    fn write(lines: &str) -> Result<SubidFiles, Fail> {
        let mut saved = Vec::new();
        for file in ["/etc/subuid", "/etc/subgid"] {
            let path = PathBuf::from(file);
            let old = match std::fs::read(&path) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => fail!("read {file}: {e}"),
            };
            saved.push((path, old));
        }
        let files = SubidFiles { saved };
        for (path, _) in &files.saved {
            std::fs::write(path, lines).map_err(io_ctx(format!("write {}", path.display())))?;
        }
        Ok(files)
    }
}

impl Drop for SubidFiles {
    fn drop(&mut self) {
        for (path, old) in &self.saved {
            let _ = match old {
                Some(bytes) => std::fs::write(path, bytes),
                None => std::fs::remove_file(path),
            };
        }
    }
}

/// Whether the files grant uid 65534 (`nobody` or `65534`) a range.
fn nobody_has_subordinate_ids() -> bool {
    let name = sandbox_namespaces::user_name(NOBODY).ok().flatten();
    ["/etc/subuid", "/etc/subgid"].iter().all(|f| {
        sandbox_namespaces::subordinate_ranges(f, name.as_deref(), NOBODY)
            .is_ok_and(|r| !r.is_empty())
    })
}

/// The name `/etc/subuid` lines use for uid 65534.
fn nobody_name() -> String {
    sandbox_namespaces::user_name(NOBODY)
        .ok()
        .flatten()
        .unwrap_or_else(|| NOBODY.to_string())
}

/// Runs `f` as a plain user with subordinate ids (or without, by `grant`): as root in a
/// child dropped to 65534 after writing the files; unprivileged as itself when the files
/// already fit, else skips.
fn as_plain_user(grant: bool, f: impl FnOnce() -> TestResult) -> TestResult {
    // A plain user maps more than its own ids through newuidmap and newgidmap only.
    test_support::require_id_map_tools()?;
    if test_support::is_root() {
        let lines = if grant {
            format!("{}:{SUB_START}:{SUB_COUNT}\n", nobody_name())
        } else {
            "somebody-else:500000:65536\n".to_string()
        };
        let _files = SubidFiles::write(&lines)?;
        return test_support::in_child(|| {
            become_nobody()?;
            f()
        });
    }
    if rustix::process::geteuid().as_raw() != NOBODY {
        skip!("the subordinate-id scenarios are written for uid 65534");
    }
    match (grant, nobody_has_subordinate_ids()) {
        (true, false) => skip!(
            "uid 65534 has no range in /etc/subuid and /etc/subgid here; the root run grants \
             one and drops to 65534"
        ),
        (false, true) => skip!(
            "uid 65534 has a range in /etc/subuid here; the root run removes it and drops to \
             65534"
        ),
        // In a child too: entering moves the original process into the new user
        // namespace, and the scenario process looks at the host's view afterwards.
        _ => test_support::in_child(f),
    }
}

/// What the original process sees of the sandboxed child through the host's `/proc`
/// (inside, `/proc` is not mounted under the new root): its maps and namespaces.
#[derive(Debug, Default, Clone)]
struct Seen {
    uid_map: Vec<[u32; 3]>,
    gid_map: Vec<[u32; 3]>,
    user_ns: String,
    net_ns: String,
}

/// Enters `sandbox`, looks at the child from here while it waits, then runs `f` inside.
fn run_and_look(
    sandbox: impl Enterable,
    f: impl FnOnce(&sandbox::Inside) -> Result<String, Fail>,
) -> Result<(Outcome, Seen), Fail> {
    let seen = std::cell::RefCell::new(Seen::default());
    let out = run_inside_with(
        sandbox,
        0,
        |child| {
            let pid = child.pid().as_raw_nonzero().get();
            *seen.borrow_mut() = Seen {
                uid_map: read_id_map(&format!("/proc/{pid}/uid_map"))?,
                gid_map: read_id_map(&format!("/proc/{pid}/gid_map"))?,
                user_ns: ns(Some(pid), "user")?,
                net_ns: ns(Some(pid), "net")?,
            };
            Ok(())
        },
        f,
    )?;
    ensure_eq!(out.status.code(), 0, "exit code of the sandboxed child");
    Ok((out, seen.into_inner()))
}

/// Inside the sandbox: creates `/owned`, chowns it to inside uid/gid 1000, and reports the
/// maps and what `stat` says inside.
fn chown_inside(_: &sandbox::Inside) -> Result<String, Fail> {
    std::fs::write("/owned", "x").map_err(io_ctx("create /owned"))?;
    std::os::unix::fs::chown("/owned", Some(1000), Some(1000))
        .map_err(io_ctx("chown /owned to 1000:1000 inside"))?;
    let meta = std::fs::metadata("/owned").map_err(io_ctx("stat /owned"))?;
    Ok(format!(
        "inside_owner={}:{}\nuid={}\n",
        meta.uid(),
        meta.gid(),
        rustix::process::getuid().as_raw()
    ))
}

// =======================================================================================
// Ranges.

fn range_map_lets_the_sandbox_chown_to_another_uid_and_the_host_sees_the_outside_uid() -> TestResult
{
    if !test_support::is_root() {
        skip!("root writes ranges itself; the plain-user scenario covers newuidmap as uid 65534");
    }
    let (_top, shared) = shared_dir_owned_by(0)?;
    let map = [IdMap::new(0, 0, 1), IdMap::new(1, 200_000, 65536)];
    // chown to another uid needs CAP_CHOWN, which the sandbox drops unless kept.
    let sandbox = prepare(
        Sandbox::builder(&shared)
            .uid_map(map)
            .gid_map(map)
            .keep_capabilities(sandbox::CapabilitySet::CHOWN),
    )?;
    ensure!(
        sandbox.namespaces().contains(Namespaces::USER),
        "no user namespace planned"
    );
    // Entering moves the original process into the new user namespace: enter from a
    // child, and look at the file from here, the host's view.
    test_support::in_child(|| {
        let (out, seen) = run_and_look(sandbox, chown_inside)?;
        ensure_eq!(need(&out.report, "inside_owner")?, "1000:1000");
        let want = vec![[0, 0, 1], [1, 200_000, 65536]];
        ensure_eq!(seen.uid_map, want, "uid_map of the sandboxed process");
        ensure_eq!(seen.gid_map, want, "gid_map of the sandboxed process");
        Ok(())
    })?;
    let host = std::fs::metadata(shared.join("owned")).map_err(io_ctx("stat on the host"))?;
    ensure_eq!(
        (host.uid(), host.gid()),
        (200_999, 200_999),
        "owner the host sees"
    );
    Ok(())
}

fn plain_user_with_subordinate_ids_gets_inside_ids_mapped_to_them() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let host_file = shared.join("owned");
    as_plain_user(true, || {
        let name = sandbox_namespaces::user_name(NOBODY).ok().flatten();
        let ranges =
            sandbox_namespaces::subordinate_ranges("/etc/subuid", name.as_deref(), NOBODY)?;
        let first = *ranges.first().ok_or_else(|| failed("no range"))?;
        let sandbox = prepare(
            Sandbox::builder(&shared)
                .subordinate_ids()
                .keep_capabilities(sandbox::CapabilitySet::CHOWN),
        )?;
        let (out, seen) = run_and_look(sandbox, chown_inside)?;
        ensure_eq!(need(&out.report, "uid")?, "0", "inside uid");
        for map in [&seen.uid_map, &seen.gid_map] {
            ensure!(
                map.starts_with(&[[0, NOBODY, 1], [1, first.start, first.count]]),
                "map of the sandboxed process: {map:?}"
            );
        }
        ensure_eq!(need(&out.report, "inside_owner")?, "1000:1000");
        Ok(())
    })?;
    // The first subordinate id granted: the one the root run wrote, or the file's.
    let start = if test_support::is_root() {
        SUB_START
    } else {
        let name = sandbox_namespaces::user_name(NOBODY).ok().flatten();
        sandbox_namespaces::subordinate_ranges("/etc/subuid", name.as_deref(), NOBODY)?
            .first()
            .map_or(0, |r| r.start)
    };
    let host = std::fs::metadata(&host_file).map_err(io_ctx("stat on the host"))?;
    ensure_eq!(
        (host.uid(), host.gid()),
        (start + 999, start + 999),
        "owner the host sees"
    );
    Ok(())
}

fn plain_user_without_subordinate_ids_gets_an_error_naming_that() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    as_plain_user(false, || {
        // Asked for by name: build() looks the ranges up and finds none.
        match Sandbox::builder(&shared).subordinate_ids().build() {
            Err(e @ Error::NoSubordinateIds { .. }) => {
                ensure!(
                    matches!(e.cause(), Some(Cause::NoSubordinateIds { .. })),
                    "cause of {e}: {:?}",
                    e.cause()
                );
                ensure!(e.to_string().contains("/etc/subuid"), "{e}");
            }
            other => fail!("subordinate_ids() without a range: {other:?}"),
        }
        // Asked for as a map: newuidmap refuses, and the cause found is the missing range.
        let map = [
            IdMap::new(0, NOBODY, 1),
            IdMap::new(1, SUB_START, SUB_COUNT),
        ];
        let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
        match sandbox.enter() {
            Err(e @ Error::IdMaps { .. }) => {
                let cause = e.cause();
                let Some(Cause::NoSubordinateIds { user, file }) = &cause else {
                    fail!("cause of {e}: {cause:?}");
                };
                ensure_eq!(user.as_str(), nobody_name());
                ensure!(
                    file.ends_with("subuid") || file.ends_with("subgid"),
                    "{file:?}"
                );
                ensure!(
                    e.hint().is_some_and(|h| h.contains("no subordinate ids")),
                    "hint: {:?}",
                    e.hint()
                );
                Ok(())
            }
            Err(e) => fail!("unexpected error: {e} ({e:?})"),
            Ok(_) => fail!("enter() worked without subordinate ids"),
        }
    })
}

fn newuidmap_refusing_a_range_not_granted_has_its_message_carried() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    as_plain_user(true, || {
        // Granted is SUB_START.. (or whatever the unprivileged run found); ask for ids
        // far from any grant.
        let map = [IdMap::new(0, NOBODY, 1), IdMap::new(1, 4_000_000_000, 10)];
        let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
        match sandbox.enter() {
            Err(e @ Error::IdMaps { .. }) => {
                let cause = e.cause();
                let Some(Cause::IdMapToolRefused { program, message }) = &cause else {
                    fail!("cause of {e}: {cause:?}");
                };
                ensure!(
                    program.ends_with("newgidmap") || program.ends_with("newuidmap"),
                    "{program:?}"
                );
                // newuidmap's own words, e.g. "newgidmap: gid range [1-11) -> [4000000000-
                // 4000000010) not allowed".
                ensure!(message.contains("not allowed"), "message: {message:?}");
                ensure!(e.to_string().contains("not allowed"), "{e}");
                Ok(())
            }
            Err(e) => fail!("unexpected error: {e} ({e:?})"),
            Ok(_) => fail!("enter() worked with a range not granted"),
        }
    })
}

fn newuidmap_not_installed_is_named() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let empty = test_support::temp_dir()?;
    let run = || {
        // This scenario process is single-threaded: changing PATH is sound.
        std::env::set_var("PATH", empty.path());
        let map = [
            IdMap::new(0, NOBODY, 1),
            IdMap::new(1, SUB_START, SUB_COUNT),
        ];
        let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
        let children_before = children_of(getpid());
        let user_ns_before = ns(None, "user")?;
        match sandbox.enter() {
            Err(e @ Error::IdMaps { .. }) => {
                let cause = e.cause();
                ensure_eq!(
                    cause,
                    Some(Cause::IdMapToolMissing {
                        program: "newuidmap".into()
                    })
                );
                ensure!(e.to_string().contains("newuidmap is not installed"), "{e}");
                ensure_eq!(e.kind(), sandbox::ErrorKind::Unsupported);
                // Found out before anything was forked or unshared.
                ensure_eq!(children_of(getpid()), children_before);
                ensure_eq!(ns(None, "user")?, user_ns_before);
                Ok(())
            }
            Err(e) => fail!("unexpected error: {e} ({e:?})"),
            Ok(_) => fail!("enter() worked without newuidmap"),
        }
    };
    if test_support::is_root() {
        std::os::unix::fs::chown(empty.path(), Some(NOBODY), Some(NOBODY))
            .map_err(io_ctx("chown"))?;
        test_support::in_child(|| {
            become_nobody()?;
            run()
        })
    } else {
        run()
    }
}

fn each_invalid_map_is_refused_at_build_with_its_reason() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let many: Vec<IdMap> = (0..341).map(|i| IdMap::new(i, 100_000 + i, 1)).collect();
    let cases: Vec<(&str, Vec<IdMap>, IdMapError)> = vec![
        ("empty", vec![], IdMapError::Empty),
        (
            "zero count",
            vec![IdMap::new(0, 1000, 0)],
            IdMapError::ZeroCount { index: 0 },
        ),
        (
            "overlap inside",
            vec![IdMap::new(0, 1000, 10), IdMap::new(5, 5000, 10)],
            IdMapError::Overlap {
                first: 0,
                second: 1,
                side: sandbox_namespaces::IdSide::Inside,
            },
        ),
        (
            "overlap outside",
            vec![IdMap::new(0, 1000, 10), IdMap::new(100, 1005, 10)],
            IdMapError::Overlap {
                first: 0,
                second: 1,
                side: sandbox_namespaces::IdSide::Outside,
            },
        ),
        (
            "overflow",
            vec![IdMap::new(10, 0, u32::MAX - 5)],
            IdMapError::Overflow {
                index: 0,
                side: sandbox_namespaces::IdSide::Inside,
                first: 10,
                count: u32::MAX - 5,
            },
        ),
        (
            "too many lines",
            many,
            IdMapError::TooManyEntries { entries: 341 },
        ),
    ];
    let children_before = children_of(getpid());
    for (what, map, want) in cases {
        for (which, builder) in [
            ("uid_map", Sandbox::builder(&shared).uid_map(map.clone())),
            ("gid_map", Sandbox::builder(&shared).gid_map(map.clone())),
        ] {
            match builder.build() {
                Err(Error::IdMap(sandbox_namespaces::Error::InvalidIdMap { reason, .. })) => {
                    ensure_eq!(reason, want, "{what} as {which}");
                }
                other => fail!("{what} as {which}: {other:?}"),
            }
        }
    }
    ensure_eq!(children_of(getpid()), children_before, "nothing forked");
    Ok(())
}

// =======================================================================================
// Causes.

/// Inside a user namespace made for the test (this forked child is root there), sets
/// `user.max_user_namespaces` to 0 for that namespace, then asks for a sandbox with a
/// user namespace.
fn user_namespaces_disabled_by_max_user_namespaces_are_named() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        let (uid, gid) = (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        );
        sandbox_namespaces::unshare(Namespaces::USER)?;
        sandbox_namespaces::write_own_id_maps(&[IdMap::new(0, uid, 1)], &[IdMap::new(0, gid, 1)])?;
        std::fs::write("/proc/sys/user/max_user_namespaces", "0").map_err(io_ctx(
            "write 0 to user.max_user_namespaces in the test's namespace",
        ))?;
        let sandbox = prepare(
            Sandbox::builder(&shared)
                .namespaces(Namespaces::USER | Namespaces::PID | Namespaces::NET),
        )?;
        match sandbox.enter() {
            Err(e) => {
                ensure_eq!(e.step(), Some(Step::UnshareParent), "({e})");
                ensure_eq!(e.errno(), Some(rustix::io::Errno::NOSPC), "({e})");
                ensure_eq!(e.cause(), Some(Cause::UserNamespacesDisabled), "({e})");
                let hint = e.hint().unwrap_or_default();
                ensure!(hint.contains("max_user_namespaces is 0"), "hint: {hint}");
                Ok(())
            }
            Ok(_) => fail!("enter() made a user namespace with max_user_namespaces 0"),
        }
    })?;
    // The host's limit is untouched.
    let host = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map_err(io_ctx("read the host's limit"))?;
    ensure!(
        host.trim() != "0",
        "the host's user.max_user_namespaces is 0"
    );
    Ok(())
}

fn seccomp_refusing_unshare_is_named() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        fail_unshare_with_flags(libc::CLONE_NEWUSER as u32, libc::EPERM as u32)?;
        let sandbox = prepare(
            Sandbox::builder(&shared)
                .namespaces(Namespaces::USER | Namespaces::PID | Namespaces::NET),
        )?;
        match sandbox.enter() {
            Err(e) => {
                ensure_eq!(e.step(), Some(Step::UnshareParent), "({e})");
                ensure_eq!(e.errno(), Some(rustix::io::Errno::PERM), "({e})");
                ensure_eq!(e.cause(), Some(Cause::SeccompRefused), "({e})");
                ensure!(
                    e.hint().is_some_and(|h| h.contains("seccomp")),
                    "hint: {:?}",
                    e.hint()
                );
                Ok(())
            }
            Ok(_) => fail!("enter() worked under a filter refusing CLONE_NEWUSER"),
        }
    })
}

// =======================================================================================
// Joining.

/// The body of the `unshare --user --map-root-user` scenario, in the re-executed process.
const ENV_UNDER_UNSHARE: &str = "SANDBOX_TEST_UNDER_UNSHARE";

/// Run by the scenario below under `unshare --user --map-root-user`; passes on its own
/// as root (nothing to map either way) and skips otherwise.
fn already_root_of_a_user_namespace_maps_nothing_twice() -> TestResult {
    if !test_support::is_root() {
        skip!("runs as root of a user namespace (under_unshare_map_root_user_... runs it so)");
    }
    let in_initial = sandbox_namespaces::in_initial_user_namespace()?;
    if std::env::var_os(ENV_UNDER_UNSHARE).is_some() {
        ensure!(
            !in_initial,
            "not in a user namespace of its own under unshare"
        );
    }
    let (_top, shared) = shared_dir_owned_by(0)?;
    let user_ns = ns(None, "user")?;
    let uid_map = read_id_map("/proc/self/uid_map")?;
    let sandbox = prepare(Sandbox::builder(&shared))?;
    ensure!(
        !sandbox.namespaces().contains(Namespaces::USER),
        "a user namespace is planned for a process that is root already: {}",
        sandbox.namespaces()
    );
    ensure!(sandbox.uid_map().is_none(), "a map is planned");
    let (out, seen) = run_and_look(sandbox, |_| {
        Ok(format!("uid={}\n", rustix::process::getuid().as_raw()))
    })?;
    ensure_eq!(
        seen.user_ns,
        user_ns,
        "user namespace of the sandboxed process"
    );
    ensure_eq!(seen.uid_map, uid_map, "its map");
    ensure_eq!(need(&out.report, "uid")?, "0");
    Ok(())
}

fn under_unshare_map_root_user_no_user_namespace_is_added() -> TestResult {
    run_under_unshare_root("already_root_of_a_user_namespace_maps_nothing_twice")
}

/// Runs scenario `name` of this binary under `unshare --user --map-root-user`.
fn run_under_unshare_root(name: &str) -> TestResult {
    let exe = exe()?;
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user"])
        .arg(&exe)
        .env(test_support::SCENARIO_ENV, name)
        .env(ENV_UNDER_UNSHARE, "1")
        .stdin(Stdio::null())
        .output()
        .map_err(io_ctx("run unshare (util-linux)"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Ok(()),
        Some(test_support::SKIP_EXIT) => skip!("{}", text.trim()),
        _ => fail!("under unshare -r: {:?}\n{text}", out.status),
    }
}

/// A process made by `unshare ARGS sleep 600`, killed on drop.
struct Holder {
    child: std::process::Child,
}

impl Holder {
    fn start(args: &[&str]) -> Result<Holder, Fail> {
        Holder::run(args, &["sleep", "600"])
    }

    /// `unshare ARGS COMMAND...`, once it has exec'd sleep (COMMAND ends by doing so).
    fn run(args: &[&str], command: &[&str]) -> Result<Holder, Fail> {
        let child = Command::new("unshare")
            .args(args)
            .args(command)
            .stdin(Stdio::null())
            .spawn()
            .map_err(io_ctx("run unshare (util-linux)"))?;
        Holder::wait_for_sleep(child)
    }

    /// A holder in a private mount namespace of its own (and, when not root, a user
    /// namespace where it is root) that runs the shell `script` there, which must end with
    /// `exec sleep 600`.
    fn in_own_mount_namespace(script: &str) -> Result<Holder, Fail> {
        let mut args = vec!["--mount", "--propagation", "private"];
        if !test_support::is_root() {
            args.splice(0..0, ["--user", "--map-root-user"]);
        }
        Holder::run(&args, &["sh", "-c", script])
    }

    /// Waits until `child` (an unshare) has set up its namespaces and exec'd sleep.
    fn wait_for_sleep(child: std::process::Child) -> Result<Holder, Fail> {
        let holder = Holder { child };
        // unshare sets up the namespaces, then execs sleep.
        let deadline = Instant::now() + Duration::from_secs(10);
        let comm = format!("/proc/{}/comm", holder.pid());
        while std::fs::read_to_string(&comm)
            .map(|c| c.trim().to_string())
            .ok()
            != Some("sleep".into())
        {
            if Instant::now() > deadline {
                fail!("unshare did not exec sleep");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(holder)
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn open_ns(&self, name: &str) -> Result<std::fs::File, Fail> {
        let path = format!("/proc/{}/ns/{name}", self.pid());
        std::fs::File::open(&path).map_err(io_ctx(format!("open {path}")))
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn joining_a_user_namespace_made_by_unshare_maps_nothing_twice() -> TestResult {
    let me = rustix::process::geteuid().as_raw();
    let (_top, shared) = shared_dir_owned_by(me)?;
    let holder = Holder::start(&["--user", "--map-root-user"])?;
    let target_ns = ns(Some(holder.pid()), "user")?;
    ensure!(
        target_ns != ns(None, "user")?,
        "unshare made no user namespace"
    );
    let target_map = read_id_map(&format!("/proc/{}/uid_map", holder.pid()))?;
    ensure_eq!(target_map, vec![[0, me, 1]], "the map unshare wrote");
    let sandbox = prepare(Sandbox::builder(&shared).join_user_namespace(holder.open_ns("user")?))?;
    ensure!(
        !sandbox.namespaces().contains(Namespaces::USER),
        "a new user namespace is planned besides the joined one: {}",
        sandbox.namespaces()
    );
    let (out, seen) = run_and_look(sandbox, |_| {
        Ok(format!(
            "uid={}\nmarker={}\n",
            rustix::process::getuid().as_raw(),
            std::fs::write("/written", "x").is_ok()
        ))
    })?;
    ensure_eq!(
        seen.user_ns,
        target_ns,
        "user namespace of the sandboxed process"
    );
    ensure_eq!(seen.uid_map, target_map, "its map");
    ensure_eq!(
        need(&out.report, "uid")?,
        "0",
        "uid inside the joined namespace"
    );
    ensure_eq!(
        need(&out.report, "marker")?,
        "true",
        "root inside can write its dir"
    );
    // Joining with maps is refused up front.
    match Sandbox::builder(&shared)
        .join_user_namespace(holder.open_ns("user")?)
        .uid_map([IdMap::new(0, me, 1)])
        .build()
    {
        Err(Error::InvalidOption { option, .. }) => ensure_eq!(option, "join_user_namespace"),
        other => fail!("join with a map: {other:?}"),
    }
    Ok(())
}

fn joining_a_net_namespace_puts_the_sandbox_in_it() -> TestResult {
    let me = rustix::process::geteuid().as_raw();
    let (_top, shared) = shared_dir_owned_by(me)?;
    // Owned by a user namespace of this uid, so that both modes may join it.
    let holder = Holder::start(&["--user", "--map-root-user", "--net"])?;
    let target_net = ns(Some(holder.pid()), "net")?;
    let mut builder = Sandbox::builder(&shared).join_net_namespace(holder.open_ns("net")?);
    if !test_support::is_root() {
        // setns(CLONE_NEWNET) needs CAP_SYS_ADMIN in the caller's own user namespace too:
        // without root, join the one that owns the net namespace.
        builder = builder.join_user_namespace(holder.open_ns("user")?);
    }
    let sandbox = prepare(builder)?;
    ensure!(
        !sandbox.namespaces().contains(Namespaces::NET),
        "a new net namespace is planned besides the joined one"
    );
    let (_, seen) = run_and_look(sandbox, |_| Ok(String::new()))?;
    ensure_eq!(
        seen.net_ns,
        target_net,
        "net namespace of the sandboxed process"
    );
    Ok(())
}

fn joining_a_mount_namespace_starts_from_it_and_leaves_it_unchanged() -> TestResult {
    let me = rustix::process::geteuid().as_raw();
    let (_top, shared) = shared_dir_owned_by(me)?;
    std::fs::write(shared.join("host-file"), "h").map_err(io_ctx("write host-file"))?;
    // The holder's mount namespace has a tmpfs over the shared dir.
    let script = format!(
        "mount -t tmpfs -o mode=0777 sandbox-test {} && touch {}/tmpfs-file && exec sleep 600",
        shared.display(),
        shared.display()
    );
    let holder = Holder::in_own_mount_namespace(&script)?;
    let mountinfo = format!("/proc/{}/mountinfo", holder.pid());
    let holder_mounts = std::fs::read_to_string(&mountinfo).map_err(io_ctx("read mountinfo"))?;
    let mut builder = Sandbox::builder(&shared).join_mount_namespace(holder.open_ns("mnt")?);
    if !test_support::is_root() {
        // setns(CLONE_NEWNS) needs CAP_SYS_ADMIN in the caller's user namespace too.
        builder = builder.join_user_namespace(holder.open_ns("user")?);
    }
    let sandbox = prepare(builder)?;
    test_support::in_child(|| {
        let (out, _) = run_and_look(sandbox, |_| {
            Ok(format!(
                "tmpfs_file={}\nhost_file={}\n",
                Path::new("/tmpfs-file").exists(),
                Path::new("/host-file").exists()
            ))
        })?;
        ensure_eq!(
            need(&out.report, "tmpfs_file")?,
            "true",
            "the joined tmpfs is the root"
        );
        ensure_eq!(
            need(&out.report, "host_file")?,
            "false",
            "the host's dir is covered"
        );
        Ok(())
    })?;
    let after = std::fs::read_to_string(&mountinfo).map_err(io_ctx("read mountinfo"))?;
    ensure_eq!(after, holder_mounts, "the joined namespace's mount table");
    ensure!(
        shared.join("host-file").exists() && !shared.join("tmpfs-file").exists(),
        "the host's view of the shared dir changed"
    );
    Ok(())
}

/// Whether `setgroups(2)` works in this process.
fn setgroups_works() -> bool {
    let groups = [0 as libc::gid_t];
    // SAFETY: setgroups reads one gid from a live local array.
    unsafe { libc::setgroups(1, groups.as_ptr()) == 0 }
}

fn setgroups_allowed_through_the_helper_works_inside_and_denied_fails() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let check = |builder: sandbox::Builder, want: bool| -> TestResult {
        // setgroups(2) needs CAP_SETGID, which the sandbox drops unless kept.
        let builder = builder.keep_capabilities(sandbox::CapabilitySet::SETGID);
        test_support::in_child(|| {
            let (out, _) = run_and_look(builder, |_| {
                Ok(format!("setgroups={}\n", setgroups_works()))
            })?;
            ensure_eq!(need(&out.report, "setgroups")?, want.to_string());
            Ok(())
        })
    };
    if test_support::is_root() {
        let map = [IdMap::new(0, 0, 1), IdMap::new(1, 200_000, 65536)];
        let with = |s| {
            Sandbox::builder(&shared)
                .uid_map(map)
                .gid_map(map)
                .setgroups(s)
        };
        check(with(sandbox::Setgroups::Allow), true)?;
        check(with(sandbox::Setgroups::Deny), false)?;
    }
    as_plain_user(true, || {
        let with = |s| Sandbox::builder(&shared).subordinate_ids().setgroups(s);
        check(with(sandbox::Setgroups::Allow), true)?;
        check(with(sandbox::Setgroups::Deny), false)?;
        // The own ids only, through newgidmap: it denies setgroups itself.
        let own = Sandbox::builder(&shared)
            .uid_map([IdMap::new(0, NOBODY, 1)])
            .gid_map([IdMap::new(0, NOBODY, 1)])
            .setgroups(sandbox::Setgroups::Allow);
        check(own, false)
    })
}

/// Run under `unshare --user --map-root-user` by the scenario below: root there has only
/// uid 0 mapped, so the helper's write of a range is refused by the kernel.
fn helper_write_refused_by_the_kernel_names_the_file() -> TestResult {
    if std::env::var_os(ENV_UNDER_UNSHARE).is_none() {
        skip!("runs under unshare --user --map-root-user (range_map_under_unshare_... runs it so)");
    }
    let (_top, shared) = shared_dir_owned_by(0)?;
    let map = [IdMap::new(0, 0, 1), IdMap::new(1, 200_000, 10)];
    let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
    let children_before = children_of(getpid());
    match sandbox.enter() {
        Err(e @ Error::IdMaps { .. }) => {
            ensure_eq!(e.errno(), Some(rustix::io::Errno::PERM), "({e})");
            let path = e
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            ensure!(
                path.starts_with("/proc/") && path.ends_with("/gid_map"),
                "path {path:?} ({e})"
            );
            // The helper was reaped.
            ensure_eq!(children_of(getpid()), children_before);
            Ok(())
        }
        Err(e) => fail!("unexpected error: {e} ({e:?})"),
        Ok(_) => fail!("a range of ids unmapped in the parent namespace was mapped"),
    }
}

fn range_map_under_unshare_map_root_user_is_refused_with_the_file_named() -> TestResult {
    run_under_unshare_root("helper_write_refused_by_the_kernel_names_the_file")
}

// =======================================================================================
// Failures of the helper and of joining.

/// Installs a seccomp filter under which every call of system call `nr` fails with
/// `errno` (and `clone3`, which libc tries first, with ENOSYS so that it falls back).
fn fail_syscall(nr: libc::c_long, errno: u32) -> TestResult {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let prog = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 5),
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        jump(BPF_JMP | BPF_JEQ | BPF_K, nr as u32, 3, 0),
        jump(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_clone3 as u32, 1, 0),
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),
        stmt(
            BPF_RET | BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        ),
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ERRNO | (errno & 0xffff)),
    ];
    install_seccomp_filter(&prog)
}

/// Makes a helper necessary (a range as root, a setgroups allow otherwise, which needs no
/// subordinate ids up to the point of failure), fails `nr` with `errno`, and checks the
/// error and that this process is still in its own user namespace with no child.
fn helper_setup_fails(nr: libc::c_long, errno: i32) -> TestResult {
    if !test_support::is_root() {
        // Without root the helper runs newuidmap, looked up before the pipe and the fork.
        test_support::require_id_map_tools()?;
    }
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        let me = rustix::process::geteuid().as_raw();
        let map = [IdMap::new(0, me, 1), IdMap::new(1, 4_000_000_000, 10)];
        let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
        let user_ns = ns(None, "user")?;
        fail_syscall(nr, errno as u32)?;
        match sandbox.enter() {
            Err(e) => {
                ensure_eq!(e.step(), Some(Step::WriteIdMaps), "({e})");
                ensure_eq!(
                    e.errno(),
                    Some(rustix::io::Errno::from_raw_os_error(errno)),
                    "({e})"
                );
                ensure_eq!(
                    ns(None, "user")?,
                    user_ns,
                    "unshared although the helper failed"
                );
                ensure_eq!(children_of(getpid()), Vec::<i32>::new(), "children left");
                Ok(())
            }
            Ok(_) => fail!("enter() worked although the helper could not be set up"),
        }
    })
}

fn helper_pipe_failure_is_reported_before_anything_is_unshared() -> TestResult {
    helper_setup_fails(libc::SYS_pipe2, libc::EMFILE)
}

fn helper_fork_failure_is_reported_before_anything_is_unshared() -> TestResult {
    helper_setup_fails(libc::SYS_clone, libc::EAGAIN)
}

/// Installs a seccomp filter that answers `action` (`SECCOMP_RET_KILL_PROCESS`,
/// `SECCOMP_RET_ERRNO | errno`) to any open of a file for writing (`open`/`openat` with
/// `O_WRONLY` or `O_RDWR`).
fn refuse_open_for_writing(action: u32) -> TestResult {
    use libc::{BPF_ABS, BPF_JA, BPF_JEQ, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let write_flags = (libc::O_WRONLY | libc::O_RDWR) as u32;
    let prog = [
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),                 // 0: arch
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH, 0, 7), // 1: else allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),                 // 2: nr
        jump(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_openat as u32, 3, 0), // 3: -> 7
        jump(BPF_JMP | BPF_JEQ | BPF_K, open_nr(), 0, 4),  // 4: else allow
        stmt(BPF_LD | BPF_W | BPF_ABS, 24),                // 5: open: flags
        stmt(BPF_JMP | BPF_JA, 1),                         // 6: -> 8
        stmt(BPF_LD | BPF_W | BPF_ABS, 32),                // 7: openat: flags
        jump(BPF_JMP | BPF_JSET | BPF_K, write_flags, 1, 0), // 8: writing: kill
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),    // 9
        stmt(BPF_RET | BPF_K, action),                     // 10
    ];
    install_seccomp_filter(&prog)
}

/// `open(2)`'s number where the architecture has it (a number no call has elsewhere).
fn open_nr() -> u32 {
    #[cfg(target_arch = "x86_64")]
    return libc::SYS_open as u32;
    #[cfg(not(target_arch = "x86_64"))]
    return u32::MAX;
}

/// As root the helper writes `/proc/<pid>/setgroups` itself: a filter that kills any
/// process opening a file for writing kills the helper (the original process opens none
/// before the helper reports), which then reports nothing.
fn helper_dying_without_a_report_is_an_error_and_nothing_is_entered() -> TestResult {
    if !test_support::is_root() {
        skip!("only root's helper writes /proc/<pid>/*_map itself; unprivileged it runs newuidmap");
    }
    let (_top, shared) = shared_dir_owned_by(0)?;
    test_support::in_child(|| {
        let map = [IdMap::new(0, 0, 1), IdMap::new(1, 200_000, 10)];
        let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
        refuse_open_for_writing(libc::SECCOMP_RET_KILL_PROCESS)?;
        match sandbox.enter() {
            Err(e) => {
                ensure_eq!(e.step(), Some(Step::WriteIdMaps), "({e})");
                ensure_eq!(e.errno(), Some(rustix::io::Errno::PIPE), "({e})");
                ensure_eq!(
                    children_of(getpid()),
                    Vec::<i32>::new(),
                    "the helper was reaped"
                );
                Ok(())
            }
            Ok(_) => fail!("enter() worked although the helper died"),
        }
    })
}

/// Unprivileged, the original process denies setgroups itself before the helper runs
/// newgidmap; a failure there is reported and the helper exits without running anything.
fn setgroups_deny_failing_before_the_helper_writes_is_reported() -> TestResult {
    // Runs as uid 65534 in both modes, and newgidmap is looked up before setgroups.
    test_support::require_id_map_tools()?;
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let run = || {
        let map = [
            IdMap::new(0, NOBODY, 1),
            IdMap::new(1, SUB_START, SUB_COUNT),
        ];
        let sandbox = prepare(Sandbox::builder(&shared).uid_map(map).gid_map(map))?;
        refuse_open_for_writing(libc::SECCOMP_RET_ERRNO | libc::EACCES as u32)?;
        match sandbox.enter() {
            Err(e) => {
                ensure_eq!(e.step(), Some(Step::WriteIdMaps), "({e})");
                ensure_eq!(e.errno(), Some(rustix::io::Errno::ACCESS), "({e})");
                ensure_eq!(e.path(), Some(Path::new("/proc/self/setgroups")), "({e})");
                ensure_eq!(
                    children_of(getpid()),
                    Vec::<i32>::new(),
                    "the helper was reaped"
                );
                Ok(())
            }
            Ok(_) => fail!("enter() worked although setgroups could not be denied"),
        }
    };
    test_support::in_child(|| {
        if test_support::is_root() {
            become_nobody()?;
        }
        run()
    })
}

fn joining_a_namespace_of_the_wrong_type_fails_at_join() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let holder = Holder::start(&["--user", "--map-root-user"])?;
    // A user namespace handed over as a net namespace: the kernel checks the type.
    let sandbox = prepare(Sandbox::builder(&shared).join_net_namespace(holder.open_ns("user")?))?;
    test_support::in_child(|| match sandbox.enter() {
        Err(e) => {
            ensure_eq!(e.step(), Some(Step::JoinNamespace), "({e})");
            ensure_eq!(e.errno(), Some(rustix::io::Errno::INVAL), "({e})");
            Ok(())
        }
        Ok(_) => fail!("joined a user namespace as a net namespace"),
    })
}

fn shared_dir_missing_in_the_joined_mount_namespace_is_named() -> TestResult {
    let me = rustix::process::geteuid().as_raw();
    let (top, shared) = shared_dir_owned_by(me)?;
    // In the holder's namespace an empty tmpfs covers the parent of the shared dir.
    let script = format!(
        "mount -t tmpfs sandbox-test {} && exec sleep 600",
        top.path().display()
    );
    let holder = Holder::in_own_mount_namespace(&script)?;
    let mut builder = Sandbox::builder(&shared).join_mount_namespace(holder.open_ns("mnt")?);
    if !test_support::is_root() {
        builder = builder.join_user_namespace(holder.open_ns("user")?);
    }
    let sandbox = prepare(builder)?;
    test_support::in_child(|| match sandbox.enter() {
        Err(Error::SharedDir { path, problem, .. }) => {
            ensure_eq!(problem, sandbox::PathProblem::NotFound);
            ensure_eq!(path, shared);
            Ok(())
        }
        Err(e) => fail!("unexpected error: {e} ({e:?})"),
        Ok(_) => fail!("entered a shared dir that the joined namespace does not have"),
    })
}

// =======================================================================================
// Probe.

fn probe_reports_every_facility_with_a_reason_for_each_no() -> TestResult {
    let report = sandbox::probe();
    for (name, support) in report.rows() {
        ensure!(!support.detail().is_empty(), "{name} has no detail");
    }
    // What the kernel decides here: user namespaces work in both modes on this machine
    // (the other scenarios rely on it), pidfd_open on 5.3+.
    ensure!(
        report.user_namespace.is_yes() && report.mount_namespace.is_yes(),
        "{report}"
    );
    let pidfd = rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )
    .is_ok();
    ensure_eq!(report.pidfd.is_yes(), pidfd, "{report}");
    // Under a filter refusing CLONE_NEWNET, only the net row says no, with the cause.
    test_support::in_child(|| {
        fail_unshare_with_flags(libc::CLONE_NEWNET as u32, libc::EPERM as u32)?;
        let report = sandbox::probe();
        ensure!(!report.net_namespace.is_yes(), "{report}");
        ensure!(
            report.net_namespace.detail().contains("seccomp"),
            "{report}"
        );
        ensure!(report.mount_namespace.is_yes(), "{report}");
        Ok(())
    })?;
    ensure!(report.seccomp.is_yes(), "{report}");
    // Without pidfd_open, open_tree and seccomp (as before 5.2/5.3/3.17, or under a
    // container's filter).
    for (nr, row) in [
        (libc::SYS_pidfd_open, "pidfd"),
        (libc::SYS_open_tree, "new mount API"),
        (libc::SYS_seccomp, "seccomp"),
    ] {
        test_support::in_child(|| {
            fail_syscall(nr, libc::ENOSYS as u32)?;
            let report = sandbox::probe();
            let (_, support) = report
                .rows()
                .into_iter()
                .find(|(name, _)| *name == row)
                .ok_or_else(|| failed(format!("no row {row}")))?;
            ensure!(!support.is_yes(), "{report}");
            ensure!(
                support.detail().contains("ENOSYS")
                    || support.detail().contains("Function not implemented"),
                "{report}"
            );
            ensure!(report.mount_namespace.is_yes(), "{report}");
            Ok(())
        })?;
    }
    if !test_support::is_root() {
        // Unprivileged, everything hangs on the user namespace.
        test_support::in_child(|| {
            fail_unshare_with_flags(libc::CLONE_NEWUSER as u32, libc::EPERM as u32)?;
            let report = sandbox::probe();
            ensure!(!report.user_namespace.is_yes(), "{report}");
            ensure!(
                report.user_namespace.detail().contains("seccomp"),
                "{report}"
            );
            ensure!(!report.mount_namespace.is_yes(), "{report}");
            Ok(())
        })?;
    }
    let text = report.to_string();
    ensure_eq!(text.lines().count(), 12, "{text}");
    Ok(())
}
