//! Restrictive environments a daemon meets, each made by the scenario itself in a forked
//! child: a seccomp filter refusing one call, `RLIMIT_NPROC` and `RLIMIT_NOFILE` lowered,
//! a pids cgroup at its maximum, a user-namespace limit in an enclosing namespace (what
//! Flatpak's `bwrap --disable-userns` sets up), root without `CAP_SYS_ADMIN`. In each,
//! entering either works (root without `CAP_SYS_ADMIN`) or fails with a one-line error
//! that names the call and the errno once, and `Error::cause()` and `Error::hint()` name
//! what the environment did (issue 12).
//!
//! Each scenario runs in a fresh process, as root and as uid 65534; the root run drops to
//! uid 65534 in a child where the environment is about an unprivileged process, and a
//! scenario that needs root (a cgroup, capabilities to drop) skips in the unprivileged run.

mod common;

use std::error::Error as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use common::*;
use rustix::process::{Resource, Rlimit};
use rustix::thread::{CapabilitySet, CapabilitySets};
use sandbox::{Cause, Error, ErrorKind, MountApi, Namespaces, ProcessLimit, Sandbox, Step};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        unshare_refused_in_the_original_process_names_eperm_once,
        unshare_refused_in_the_sandboxed_process_names_eperm_once,
        setns_refused_names_eperm_once,
        fork_at_rlimit_nproc_names_eagain_and_the_limit,
        fork_in_a_pids_cgroup_at_its_max_names_the_cgroup,
        one_descriptor_short_is_refused_before_anything_changes_naming_the_limit,
        entering_works_with_exactly_the_descriptors_it_needs,
        a_full_descriptor_table_is_refused_naming_the_descriptor_limit_not_the_threads,
        the_probe_descriptors_row_says_no_exactly_where_entering_is_refused,
        open_tree_refused_with_eacces_gets_the_new_api_hint_not_the_fallbacks,
        user_namespace_limit_of_an_enclosing_namespace_is_named,
        a_net_namespace_limit_is_named_not_the_user_namespace_limit,
        root_without_cap_sys_admin_enters_through_a_user_namespace,
        pivot_root_einval_suggests_chroot_only_with_cap_sys_chroot,
    ])
}

// =======================================================================================
// The one-line message.

/// The text an errno has in a message: `Operation not permitted (os error 1)`.
fn errno_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// Checks the one-line error against the design (crates/sandbox/src/error.rs): `{e}` is
/// one line that carries the errno exactly once and the text of every error below it
/// (logging `{e}` loses nothing); walking `source()` gives typed errors, each naming the
/// errno at most once, never an errno or `io::Error` as a source of its own, at most two
/// levels deep (the step's leaf error, and what a leaf wraps: the thread count of a
/// fork). So a walk prints the errno once per wrapping level, and no more.
fn errno_once(e: &Error, errno: i32) -> TestResult {
    let text = errno_text(errno);
    let line = e.to_string();
    ensure!(!line.contains('\n'), "one line: {line:?}");
    ensure_eq!(line.matches(&text).count(), 1, "the errno once in: {line}");
    ensure_eq!(
        e.errno().map(|e| e.raw_os_error()),
        Some(errno),
        "errno() of {line}"
    );
    let mut depth = 0;
    let mut source = e.source();
    while let Some(s) = source {
        depth += 1;
        ensure!(
            s.downcast_ref::<std::io::Error>().is_none()
                && s.downcast_ref::<rustix::io::Errno>().is_none(),
            "an errno is never a source: {s:?} below {line}"
        );
        let own = s.to_string();
        ensure!(
            own.matches(&text).count() <= 1,
            "source {depth} names the errno more than once: {own}"
        );
        ensure!(
            line.contains(&own),
            "source {depth} ({own:?}) is not in the one line {line:?}"
        );
        source = s.source();
    }
    ensure!(
        (1..=2).contains(&depth),
        "{depth} levels of sources below {line}"
    );
    Ok(())
}

/// The hint, failing when there is none.
fn hint_of(e: &Error) -> Result<String, Fail> {
    e.hint()
        .ok_or_else(|| test_support::failed(format!("no hint for {e}")))
}

/// A default sandbox over a fresh shared directory that uid 65534 may enter, built and
/// entered, which must fail: its error. The temp dir lives as long as the scenario.
fn refused(
    shared: &Path,
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
    what: &str,
) -> Result<Error, Fail> {
    let sandbox = prepare(configure(Sandbox::builder(shared)))?;
    expect_refused(sandbox.enter(), what)
}

// =======================================================================================
// Namespaces: the errno once, for each kind of call.

fn unshare_refused_in_the_original_process_names_eperm_once() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        // The original process unshares pid (and user, without CAP_SYS_ADMIN).
        fail_unshare_with_flags(libc::CLONE_NEWPID as u32, libc::EPERM as u32)?;
        let e = refused(&shared, |b| b, "unshare(CLONE_NEWPID) is refused")?;
        ensure_eq!(e.step(), Some(Step::UnshareParent), "{e}");
        errno_once(&e, libc::EPERM)?;
        ensure!(
            e.to_string().contains("unshare ") && e.to_string().contains("pid"),
            "the call and its namespaces are named: {e}"
        );
        ensure_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        ensure_eq!(e.cause(), Some(Cause::SeccompRefused), "{e}");
        ensure!(hint_of(&e)?.contains("seccomp"), "{:?}", e.hint());
        Ok(())
    })
}

fn unshare_refused_in_the_sandboxed_process_names_eperm_once() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        // Only the sandboxed child unshares the network namespace.
        fail_unshare_with_flags(libc::CLONE_NEWNET as u32, libc::EPERM as u32)?;
        let e = refused(&shared, |b| b, "unshare(CLONE_NEWNET) is refused")?;
        ensure_eq!(e.step(), Some(Step::UnshareChild), "{e}");
        ensure!(
            matches!(e, Error::Setup { in_child: true, .. }),
            "a failure of the sandboxed child: {e:?}"
        );
        errno_once(&e, libc::EPERM)?;
        ensure!(
            e.to_string()
                .contains("(in the sandboxed process): unshare "),
            "{e}"
        );
        ensure_eq!(e.cause(), Some(Cause::SeccompRefused), "{e}");
        Ok(())
    })
}

fn setns_refused_names_eperm_once() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        let net = File::open("/proc/self/ns/net").map_err(io_ctx("open /proc/self/ns/net"))?;
        answer_syscall(libc::SYS_setns, libc::EPERM as u32)?;
        let e = refused(&shared, |b| b.join_net_namespace(net), "setns is refused")?;
        ensure_eq!(e.step(), Some(Step::JoinNamespace), "{e}");
        errno_once(&e, libc::EPERM)?;
        ensure!(e.to_string().contains("setns net"), "{e}");
        ensure_eq!(e.cause(), Some(Cause::SeccompRefused), "{e}");
        Ok(())
    })
}

// =======================================================================================
// Processes: RLIMIT_NPROC and the pids cgroup (issue 12, item 2).

/// Sets the soft limit of `resource`, and the hard one too when given (else it stays).
fn set_limit(resource: Resource, soft: u64, hard: Option<u64>) -> TestResult {
    let maximum = hard.or(rustix::process::getrlimit(resource).maximum);
    rustix::process::setrlimit(
        resource,
        Rlimit {
            current: Some(soft),
            maximum,
        },
    )
    .map_err(|e| test_support::failed(format!("setrlimit {resource:?} to {soft}: {e}")))
}

/// As uid 65534 (root drops to it: the kernel exempts root) with `RLIMIT_NPROC` 1, which
/// this process alone fills: the sandbox's fork gets `EAGAIN`.
fn fork_at_rlimit_nproc_names_eagain_and_the_limit() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        become_nobody()?;
        set_limit(Resource::Nproc, 1, Some(1))?;
        let e = refused(&shared, |b| b, "fork at RLIMIT_NPROC 1")?;
        ensure_eq!(e.step(), Some(Step::Fork), "{e}");
        errno_once(&e, libc::EAGAIN)?;
        ensure_eq!(e.kind(), ErrorKind::LimitReached, "{e}");
        ensure_eq!(
            e.cause(),
            Some(Cause::ProcessLimitReached {
                limit: ProcessLimit::Nproc { limit: 1 }
            }),
            "{e}"
        );
        let hint = hint_of(&e)?;
        ensure!(
            hint.contains("EAGAIN") && hint.contains("RLIMIT_NPROC of 1"),
            "{hint}"
        );
        // The probe cannot fork its trial either, and says why.
        let report = sandbox::probe();
        match &report.user_namespace {
            sandbox::Support::No(why) => ensure!(
                why.contains("RLIMIT_NPROC of 1") && why.contains("entering fails the same way"),
                "the probe's user row: {why}"
            ),
            yes => fail!("the probe's user row at RLIMIT_NPROC 1: {yes:?}"),
        }
        Ok(())
    })
}

/// A pids cgroup made for the scenario (removed when it ends), the hierarchy's mount point
/// and the cgroup's directory.
struct PidsCgroup {
    dir: PathBuf,
}

impl PidsCgroup {
    /// A child cgroup of the root of the pids hierarchy (cgroup v1's `pids`, or v2 where
    /// the root enables `pids` for its children), with `pids.max` = `max`.
    fn make(max: u64) -> Result<PidsCgroup, Fail> {
        let mounts = sandbox_mount::mountinfo::read_self()?;
        let base = mounts
            .iter()
            .filter(|m| m.root == Path::new("/"))
            .find_map(|m| match m.fs_type.as_str() {
                "cgroup" if m.super_options.iter().any(|o| o == "pids") => {
                    Some(m.mount_point.clone())
                }
                "cgroup2"
                    if std::fs::read_to_string(m.mount_point.join("cgroup.subtree_control"))
                        .is_ok_and(|c| c.split_whitespace().any(|c| c == "pids")) =>
                {
                    Some(m.mount_point.clone())
                }
                _ => None,
            });
        let Some(base) = base else {
            skip!("no pids cgroup controller is mounted here to make a cgroup with");
        };
        let dir = base.join(format!("sandbox-test-{}", getpid()));
        if let Err(e) = std::fs::create_dir(&dir) {
            skip!("cannot make a pids cgroup at {}: {e}", dir.display());
        }
        let cgroup = PidsCgroup { dir };
        std::fs::write(cgroup.dir.join("pids.max"), max.to_string())
            .map_err(io_ctx("write pids.max"))?;
        Ok(cgroup)
    }

    /// Moves the calling process into the cgroup.
    fn join(&self) -> TestResult {
        std::fs::write(self.dir.join("cgroup.procs"), getpid().to_string())
            .map_err(io_ctx(format!("join {}", self.dir.display())))
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        // Empty once the child that joined it has been reaped.
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// In a pids cgroup whose `pids.max` is 1 (made by the scenario, as root): the sandbox's
/// fork gets `EAGAIN` from the cgroup, and the cause names it.
fn fork_in_a_pids_cgroup_at_its_max_names_the_cgroup() -> TestResult {
    test_support::require_root()?;
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    let cgroup = PidsCgroup::make(1)?;
    let dir = cgroup.dir.clone();
    test_support::in_child(|| {
        cgroup.join()?;
        let e = refused(&shared, |b| b, "fork in a pids cgroup at pids.max 1")?;
        ensure_eq!(e.step(), Some(Step::Fork), "{e}");
        errno_once(&e, libc::EAGAIN)?;
        ensure_eq!(
            e.cause(),
            Some(Cause::ProcessLimitReached {
                limit: ProcessLimit::PidsCgroup {
                    cgroup: dir.clone(),
                    max: 1
                }
            }),
            "{e}"
        );
        let hint = hint_of(&e)?;
        ensure!(
            hint.contains("pids.max") && hint.contains(&*dir.to_string_lossy()),
            "{hint}"
        );
        Ok(())
    })
}

// =======================================================================================
// Descriptors: RLIMIT_NOFILE (issue 12, item 3).

/// The soft `RLIMIT_NOFILE` that leaves exactly `free` numbers free below it, for the
/// descriptors open now (those above the limit take no room): the number of the next free
/// one after them, which the kernel then refuses.
fn limit_leaving(free: usize) -> Result<u64, Fail> {
    let open = open_fds();
    (0..4096i32)
        .filter(|fd| !open.contains(fd))
        .nth(free)
        .map(|fd| fd as u64)
        .ok_or_else(|| test_support::failed(format!("no limit leaves {free} free")))
}

/// How many descriptors are open below `limit`.
fn open_below(limit: u64) -> u32 {
    open_fds().iter().filter(|&&fd| (fd as u64) < limit).count() as u32
}

/// Builds a sandbox over `shared`, lowers the soft `RLIMIT_NOFILE` to leave `free`
/// numbers, and checks the refusal every descriptor shortage gets: at the `fds` step,
/// before anything changes (no namespace, no child), `EMFILE` once in the line, the cause
/// naming what entering needs, what is open and the limit, and the hint naming the limit.
/// Returns the error and the limit, for the checks of each case.
fn refused_for_descriptors(shared: &Path, free: usize) -> Result<(sandbox::Error, u64), Fail> {
    let sandbox = prepare(Sandbox::builder(shared))?;
    let limit = limit_leaving(free)?;
    let open = open_below(limit);
    set_limit(Resource::Nofile, limit, None)?;
    let namespaces = own_namespaces()?;
    let e = expect_refused(sandbox.enter(), "short of descriptors")?;
    ensure_eq!(e.step(), Some(Step::Fds), "{e}");
    errno_once(&e, libc::EMFILE)?;
    ensure_eq!(e.kind(), ErrorKind::LimitReached, "{e}");
    ensure_eq!(
        e.cause(),
        Some(Cause::DescriptorLimitReached {
            needed: 6,
            open,
            limit
        }),
        "{e}"
    );
    ensure!(hint_of(&e)?.contains("RLIMIT_NOFILE"), "{:?}", e.hint());
    ensure_eq!(
        own_namespaces()?,
        namespaces,
        "the namespaces after the refusal"
    );
    ensure!(
        children_of(getpid()).is_empty(),
        "a child was forked: {:?}",
        children_of(getpid())
    );
    Ok((e, limit))
}

/// Entering opens 6 descriptors at once besides those the process holds (the report pipe,
/// the parent watch's pipe and pidfd, the fork's look at `/proc/self/task`): with 5 free
/// it is refused before anything changes, and the line says what it needs.
fn one_descriptor_short_is_refused_before_anything_changes_naming_the_limit() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        become_nobody()?;
        let (e, limit) = refused_for_descriptors(&shared, 5)?;
        let open = match e.cause() {
            Some(Cause::DescriptorLimitReached { open, .. }) => open,
            other => fail!("cause {other:?}"),
        };
        let want = format!(
            "entering needs about {} descriptors, {open} open and 6 more at once, and the \
             soft RLIMIT_NOFILE is {limit}",
            open + 6
        );
        ensure!(e.to_string().contains(&want), "{e}\nwants: {want}");
        Ok(())
    })
}

/// With exactly the 6 free numbers entering needs, the kernel lets every step through:
/// the sandbox is entered (as root and as uid 65534, on both mount paths' default).
fn entering_works_with_exactly_the_descriptors_it_needs() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    test_support::in_child(|| {
        let sandbox = prepare(Sandbox::builder(&shared))?;
        let limit = limit_leaving(6)?;
        set_limit(Resource::Nofile, limit, None)?;
        let out = run_inside(sandbox, |_| {
            let limit = rustix::process::getrlimit(Resource::Nofile).current;
            Ok(format!("root={:?}\nlimit={limit:?}\n", listing("/")?))
        })?;
        ensure_eq!(need(&out.report, "root")?, "{\"marker\"}", "/ inside");
        ensure_eq!(
            need(&out.report, "limit")?,
            format!("{:?}", Some(limit)),
            "RLIMIT_NOFILE inside"
        );
        Ok(())
    })
}

/// With no number free, the check before anything changes (which opens nothing) refuses,
/// naming the descriptor limit, not the thread count that comes after it.
fn a_full_descriptor_table_is_refused_naming_the_descriptor_limit_not_the_threads() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        let (e, _) = refused_for_descriptors(&shared, 0)?;
        ensure!(
            !e.to_string().contains("/proc/self/task"),
            "the thread count is blamed: {e}"
        );
        Ok(())
    })
}

/// The probe's descriptors row counts what entering needs (6 at once and the shared
/// directory's descriptor, which `build()` opens after the probe): with 6 numbers free it
/// says no, and a sandbox built and entered then is refused; with 7 it says yes, and
/// entering works.
fn the_probe_descriptors_row_says_no_exactly_where_entering_is_refused() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    for (free, fits) in [(6, false), (7, true)] {
        let shared = shared.clone();
        test_support::in_child(move || {
            let limit = limit_leaving(free)?;
            set_limit(Resource::Nofile, limit, None)?;
            let report = sandbox::probe();
            let row = &report.descriptors;
            ensure_eq!(row.is_yes(), fits, "{free} free:\n{report}");
            ensure!(
                row.detail()
                    .contains(&format!("soft RLIMIT_NOFILE of {limit}, {free} free")),
                "{}",
                row.detail()
            );
            // The other rows are not what this limit is about: they still say yes.
            ensure!(
                report.user_namespace.is_yes() && report.mount_namespace.is_yes(),
                "{free} free:\n{report}"
            );
            let sandbox = Sandbox::builder(&shared).build()?;
            match sandbox.enter() {
                Ok(sandbox::Entered::Inside(_)) => test_support::syscalls::exit_now(0),
                Ok(sandbox::Entered::Parent(child)) => {
                    let status = child.wait()?;
                    ensure!(fits, "entered with {free} free, where the probe said no");
                    ensure_eq!(status.code(), 0, "the sandboxed child");
                }
                Err(e) => {
                    ensure!(
                        !fits,
                        "refused with {free} free, where the probe said yes: {e}"
                    );
                    ensure_eq!(e.step(), Some(Step::Fds), "{e}");
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

// =======================================================================================
// The new mount API refused (issue 12, item 4).

/// Under a filter that answers `EACCES` for `open_tree` (as an LSM's mount rules do):
/// `Auto` does not fall back (only `ENOSYS` and `EPERM` select `mount(2)`), the error
/// names `open_tree` and `EACCES`, and the hint is about the new API refused, not the
/// `mount(2)` fallback's search of the path; `Legacy` enters under the same filter.
fn open_tree_refused_with_eacces_gets_the_new_api_hint_not_the_fallbacks() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    answer_syscall(libc::SYS_open_tree, libc::EACCES as u32)?;
    test_support::in_child(|| {
        let e = refused(&shared, |b| b, "open_tree answers EACCES")?;
        ensure_eq!(e.step(), Some(Step::BindSharedDir), "{e}");
        errno_once(&e, libc::EACCES)?;
        ensure!(e.to_string().contains("open_tree"), "{e}");
        ensure!(
            matches!(
                e.source()
                    .and_then(|s| s.downcast_ref::<sandbox_mount::Error>()),
                Some(sandbox_mount::Error::CloneTree { .. })
            ),
            "the leaf error is open_tree's: {e:?}"
        );
        let hint = hint_of(&e)?;
        ensure!(
            hint.contains("open_tree") && hint.contains("MountApi::Legacy"),
            "{hint}"
        );
        ensure!(!hint.contains("search"), "the fallback's hint: {hint}");
        Ok(())
    })?;
    let sandbox = prepare(Sandbox::builder(&shared).mount_api(MountApi::Legacy))?;
    let out = run_inside(sandbox, |_| Ok(format!("root={:?}\n", listing("/")?)))?;
    ensure_eq!(need(&out.report, "root")?, "{\"marker\"}", "/ inside");
    Ok(())
}

// =======================================================================================
// A user-namespace limit of an enclosing namespace (issue 12, item 5).

/// `user.max_user_namespaces` as this process reads it: its own user namespace's limit.
fn local_userns_limit() -> Result<u64, Fail> {
    let text = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map_err(io_ctx("read user.max_user_namespaces"))?;
    text.trim().parse().map_err(test_support::failed)
}

/// As Flatpak's `bwrap --disable-userns` does: an outer user namespace whose limit is 1,
/// an inner one (which that 1 counts), every capability dropped in it. The inner limit
/// reads 2147483647, and the sandbox's user namespace is refused (`ENOSPC`) by the outer
/// one: the cause says so, instead of blaming the limit this process reads.
fn user_namespace_limit_of_an_enclosing_namespace_is_named() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        become_nobody()?;
        test_support::namespaces::enter_user_ns(rustix::thread::UnshareFlags::empty())?;
        std::fs::write("/proc/sys/user/max_user_namespaces", "1")
            .map_err(io_ctx("write 1 to the outer user.max_user_namespaces"))?;
        test_support::namespaces::enter_user_ns(rustix::thread::UnshareFlags::empty())?;
        test_support::drop_all_capabilities()?;
        let local_limit = local_userns_limit()?;
        ensure!(local_limit > 1, "the inner limit reads {local_limit}");
        let e = refused(&shared, |b| b, "the outer namespace's limit is reached")?;
        ensure_eq!(e.step(), Some(Step::UnshareParent), "{e}");
        errno_once(&e, libc::ENOSPC)?;
        ensure_eq!(
            e.cause(),
            Some(Cause::EnclosingNamespaceLimit { local_limit }),
            "{e}"
        );
        let hint = hint_of(&e)?;
        ensure!(
            hint.contains("enclosing") && hint.contains(&local_limit.to_string()),
            "{hint}"
        );
        ensure!(
            !hint.contains("is 0"),
            "blames the local limit of {local_limit}: {hint}"
        );
        Ok(())
    })
}

/// `user.max_net_namespaces` 0 in a user namespace the scenario made (its owner may write
/// it there), then entering from inside it: the sandboxed child's `unshare` of the
/// network namespace (with mount, IPC, UTS and cgroup) gets `ENOSPC`, and the cause names
/// the network limit, never the user-namespace one.
///
/// - Without capabilities the sandbox makes a user namespace first, and the original
///   process lives in it when the child fails: there every limit reads 2147483647 and the
///   process is not in the initial user namespace, which once read as an enclosing
///   `user.max_user_namespaces`. The cause lists the types asked with their limits read.
/// - With `CAP_SYS_ADMIN` in the scenario's namespace no user namespace is made, the limit
///   reads 0 where the cause looks, and it is named alone.
fn a_net_namespace_limit_is_named_not_the_user_namespace_limit() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    for keep_caps in [false, true] {
        let shared = shared.clone();
        test_support::in_child(move || {
            become_nobody()?;
            test_support::namespaces::enter_user_ns(rustix::thread::UnshareFlags::empty())?;
            std::fs::write("/proc/sys/user/max_net_namespaces", "0")
                .map_err(io_ctx("write 0 to user.max_net_namespaces"))?;
            if !keep_caps {
                test_support::drop_all_capabilities()?;
            }
            let e = refused(&shared, |b| b, "user.max_net_namespaces is 0")?;
            ensure_eq!(e.step(), Some(Step::UnshareChild), "caps {keep_caps}: {e}");
            errno_once(&e, libc::ENOSPC)?;
            ensure!(e.to_string().contains("net"), "the namespaces asked: {e}");
            ensure_eq!(e.kind(), ErrorKind::LimitReached, "{e}");
            let limits = match e.cause() {
                Some(Cause::NamespaceTypeLimitReached { limits }) => limits,
                other => fail!("caps {keep_caps}: expected the type limit, got {other:?} for {e}"),
            };
            let net = limits
                .iter()
                .find(|l| l.namespace == Namespaces::NET)
                .ok_or_else(|| test_support::failed(format!("no net limit in {limits:?}")))?;
            let hint = hint_of(&e)?;
            ensure!(
                hint.contains("user.max_net_namespaces") && !hint.contains("max_user_namespaces"),
                "{hint}"
            );
            if keep_caps {
                ensure_eq!(
                    limits,
                    vec![sandbox::NamespaceLimit {
                        namespace: Namespaces::NET,
                        limit: Some(0)
                    }],
                    "{e}"
                );
                ensure!(
                    hint.starts_with("user.max_net_namespaces is 0 in this user namespace"),
                    "{hint}"
                );
            } else {
                // Read in the sandbox's user namespace, where the limit is not set.
                ensure!(net.limit.is_some_and(|l| l > 0), "{limits:?}");
                ensure!(hint.contains("enclosing"), "{hint}");
            }
            Ok(())
        })?;
    }
    Ok(())
}

// =======================================================================================
// Root without CAP_SYS_ADMIN (issue 12, item 8).

/// Drops `caps` from this process's bounding, effective, permitted and inheritable sets.
fn drop_capabilities(caps: CapabilitySet) -> TestResult {
    for cap in caps.iter() {
        rustix::thread::remove_capability_from_bounding_set(cap)?;
    }
    let now = rustix::thread::capabilities(None)?;
    rustix::thread::set_capabilities(
        None,
        CapabilitySets {
            effective: now.effective - caps,
            permitted: now.permitted - caps,
            inheritable: now.inheritable - caps,
        },
    )?;
    Ok(())
}

/// A root whose `CAP_SYS_ADMIN` is gone (as `capsh --drop=cap_sys_admin`, a container's
/// root) cannot make a pid or mount namespace by itself, but may make a user namespace:
/// the sandbox takes that path and enters, confined.
fn root_without_cap_sys_admin_enters_through_a_user_namespace() -> TestResult {
    if !test_support::is_root() {
        skip!(
            "covers root without CAP_SYS_ADMIN; without root every scenario takes the user \
             namespace path"
        );
    }
    let (_top, shared) = shared_dir_with_marker()?;
    drop_capabilities(CapabilitySet::SYS_ADMIN)?;
    // The kernel's answer without the capability, for the record.
    let pid_ns = test_support::in_child(|| {
        test_support::namespaces::unshare(rustix::thread::UnshareFlags::NEWPID)
    });
    ensure!(
        pid_ns.is_err(),
        "unshare(CLONE_NEWPID) worked without CAP_SYS_ADMIN"
    );
    // The probe decides as entering does: it tries a user namespace, which works.
    let report = sandbox::probe();
    match &report.user_namespace {
        sandbox::Support::Yes(how) => ensure!(
            how.contains("own uid and gid mapped"),
            "the probe's user row without CAP_SYS_ADMIN: {how}"
        ),
        no => fail!("the probe's user row without CAP_SYS_ADMIN: {no:?}\n{report}"),
    }
    ensure!(
        report.mount_proc.is_yes(),
        "the probe's proc row without CAP_SYS_ADMIN:\n{report}"
    );
    let sandbox = prepare(Sandbox::builder(&shared))?;
    ensure!(
        sandbox.namespaces().contains(Namespaces::USER),
        "planned namespaces: {}",
        sandbox.namespaces()
    );
    let user_ns = ns(None, "user")?;
    let out = run_inside_with(
        sandbox,
        0,
        |child| {
            let pid = child.pid().as_raw_nonzero().get();
            let theirs = ns(Some(pid), "user")?;
            ensure!(
                theirs != user_ns,
                "the sandboxed process is in our user namespace"
            );
            Ok(())
        },
        |inside| {
            let host = errno_of(std::fs::metadata("/etc/passwd"));
            Ok(format!(
                "root={:?}\nuid={}\nhost={host:?}\nconfined={}\n",
                listing("/")?,
                rustix::process::getuid().as_raw(),
                inside.audit().is_confined()
            ))
        },
    )?;
    ensure_eq!(out.status.code(), 0, "exit code of the sandboxed child");
    ensure_eq!(need(&out.report, "root")?, "{\"marker\"}", "/ inside");
    ensure_eq!(
        need(&out.report, "uid")?,
        "0",
        "uid inside (own uid mapped)"
    );
    ensure_eq!(
        need(&out.report, "host")?,
        format!("{:?}", Some(libc::ENOENT)),
        "the host's /etc/passwd inside"
    );
    ensure_eq!(need(&out.report, "confined")?, "true", "the audit");
    Ok(())
}

/// `pivot_root` answering `EINVAL` (as on an initramfs): the hint suggests `Mode::Chroot`
/// only to a process with `CAP_SYS_CHROOT`, which that mode needs; as root it does, and in
/// a child without the capability (and as uid 65534) it suggests `Mode::Landlock`.
fn pivot_root_einval_suggests_chroot_only_with_cap_sys_chroot() -> TestResult {
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    answer_syscall(libc::SYS_pivot_root, libc::EINVAL as u32)?;
    let attempt = |drop: bool| {
        let shared = shared.clone();
        test_support::in_child(move || {
            if drop {
                drop_capabilities(CapabilitySet::SYS_CHROOT)?;
            }
            // Before entering: a failed enter may leave this process in a new user
            // namespace, with every capability there.
            let may_chroot = rustix::thread::capabilities(None)?
                .effective
                .contains(CapabilitySet::SYS_CHROOT);
            let e = refused(&shared, |b| b, "pivot_root answers EINVAL")?;
            ensure_eq!(e.step(), Some(Step::PivotRoot), "{e}");
            errno_once(&e, libc::EINVAL)?;
            let hint = hint_of(&e)?;
            ensure_eq!(
                hint.contains("use Mode::Chroot"),
                may_chroot,
                "CAP_SYS_CHROOT {may_chroot}: {hint}"
            );
            ensure!(
                may_chroot || hint.contains("Mode::Landlock"),
                "an alternative without chroot: {hint}"
            );
            Ok(())
        })
    };
    attempt(false)?;
    if test_support::is_root() {
        attempt(true)?;
    }
    Ok(())
}
