//! `Inside::audit()`: a default sandbox audits as confined, `Mode::None` never does, and
//! each row fails when its property is broken on purpose, from inside, after entering, by
//! means the kernel allows (an opt-out that hands the means back, a capability kept, a
//! call allowed back through the filter). The rows then report what the kernel answers
//! (a namespace id, `getsid`, `capget`, `statmount`, ...); each scenario asserts the row's
//! verdict and, where it says so, the kernel's own answer next to it.
//!
//! Run as root and as uid 65534. A break the kernel refuses to an unprivileged process
//! (`setns` back into a namespace of the initial user namespace) is tried and, refused,
//! counts as a skip with the kernel's answer.
//!
//! Two rows cannot be broken at all: `no_new_privs` cannot be cleared and a seccomp filter
//! cannot be removed, so no process can be found in a state that contradicts them after a
//! sandbox installed a filter; their scenario shows instead that each row reports the
//! kernel's answer in both states (with the filter, and with `Filter::none()`).
//!
//! The Landlock row's probe is shown finding a Landlock domain the scenario makes itself
//! inside (the sandbox has no Landlock option yet), which also makes the descriptors row
//! probe numbers instead of listing the table. TODO(landlock): once the builder has the
//! option, a scenario where the layer is asked for and the row holds, and one where it
//! fails.

mod common;

use std::ffi::CString;
use std::os::fd::AsRawFd;

use common::*;
use sandbox::{Audit, Check, Filter, IdMap, Inside, Mode, Sandbox};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        a_default_sandbox_audits_as_confined_with_every_row_holding,
        mode_none_is_never_confined,
        a_sandbox_with_the_minimal_init_audits_as_confined,
        root_row_fails_in_mode_chroot_while_chroot_can_be_called_again,
        kept_capabilities_are_expected_and_the_row_holds,
        capabilities_row_fails_after_unsharing_a_user_namespace_inside,
        id_maps_row_fails_after_unsharing_a_user_namespace_inside,
        descriptors_row_fails_for_a_file_opened_after_entering,
        session_row_fails_in_a_process_forked_inside,
        keyring_row_fails_after_joining_the_original_named_keyring_again,
        namespaces_row_fails_after_setns_back_into_the_original_network_namespace,
        root_row_fails_after_chroot_into_a_subdirectory,
        mounts_row_fails_for_a_writable_tmpfs_mounted_inside_a_read_only_sandbox,
        seccomp_and_no_new_privs_rows_report_the_filter_and_the_flag,
        seccomp_and_no_new_privs_rows_report_neither_under_filter_none,
        a_landlock_domain_made_inside_is_found_and_descriptors_are_probed_instead,
        the_landlock_row_holds_by_default_and_fails_when_the_restriction_is_faked,
    ])
}

// =======================================================================================
// Helpers.

/// The checks whose rows do not hold.
fn failing(audit: &Audit) -> Vec<Check> {
    audit.failed().map(|r| r.check).collect()
}

/// The row of `check`, or a failure showing the table.
fn row(audit: &Audit, check: Check) -> Result<&sandbox::AuditRow, Fail> {
    audit
        .row(check)
        .ok_or_else(|| failed(format!("no {check} row in\n{audit}")))
}

/// Skips when a row could not be read because the kernel lacks its interface (Linux 6.8
/// for the mounts, 6.11 for the namespaces): the audit then cannot prove those rows.
fn skip_on_an_older_kernel(audit: &Audit) -> TestResult {
    if let Some(r) = audit.failed().find(|r| r.found.contains("needs Linux")) {
        skip!("the {} row cannot be read here: {}", r.check, r.found);
    }
    Ok(())
}

/// Confined, or a failure showing the table (a skip where the kernel is too old).
fn confined(audit: &Audit, when: &str) -> TestResult {
    skip_on_an_older_kernel(audit)?;
    ensure!(audit.is_confined(), "not confined {when}:\n{audit}");
    Ok(())
}

/// Fails unless exactly the rows of `checks` fail (and so the sandbox is not confined).
fn only_failing(audit: &Audit, checks: &[Check]) -> TestResult {
    skip_on_an_older_kernel(audit)?;
    ensure_eq!(failing(audit), checks, "the failing rows of\n{audit}");
    ensure!(!audit.is_confined(), "confined despite\n{audit}");
    Ok(())
}

/// `Ok(())`, or the errno of a raw call that returned -1.
fn check_rc(rc: libc::c_long, what: &str) -> Result<(), i32> {
    match rc {
        -1 => {
            let e = errno();
            eprintln!("{what}: errno {e}");
            Err(e)
        }
        _ => Ok(()),
    }
}

/// `unshare(CLONE_NEWUSER)`, raw: the sandbox has no /proc for the library's thread count.
fn unshare_user_namespace() -> Result<(), Fail> {
    // SAFETY: unshare with a namespace flag only; the process is single-threaded.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWUSER) };
    check_rc(rc.into(), "unshare(CLONE_NEWUSER)")
        .map_err(|e| failed(format!("unshare(CLONE_NEWUSER) inside: errno {e}")))
}

/// A builder that lets the process inside create a user namespace: the limit is not
/// written and the filter does not refuse `CLONE_NEWUSER`.
fn allowing_a_user_namespace(b: sandbox::Builder) -> sandbox::Builder {
    b.nested_user_namespaces(true).seccomp(Filter::none())
}

const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_SETPERM: libc::c_long = 5;
const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;

/// The session keyring's serial number.
fn session_keyring() -> Result<i32, i32> {
    // SAFETY: keyctl(KEYCTL_GET_KEYRING_ID) takes integers only.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0 as libc::c_long,
        )
    };
    check_rc(rc, "keyctl(KEYCTL_GET_KEYRING_ID)").map(|()| rc as i32)
}

/// Joins (or creates and joins) the session keyring called `name`.
fn join_named_keyring(name: &CString) -> Result<i32, i32> {
    // SAFETY: keyctl(KEYCTL_JOIN_SESSION_KEYRING) reads the NUL-terminated name, which
    // outlives the call.
    let rc = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.as_ptr()) };
    check_rc(rc, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)").map(|()| rc as i32)
}

// =======================================================================================
// Confined, or not.

fn a_default_sandbox_audits_as_confined_with_every_row_holding() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let root = test_support::is_root();
    run_inside(Sandbox::builder(&shared), move |inside| {
        let audit = inside.audit();
        confined(&audit, "by default")?;
        ensure_eq!(
            audit.rows().iter().map(|r| r.check).collect::<Vec<_>>(),
            Check::ALL,
            "one row per check, in order"
        );
        let namespaces = row(&audit, Check::Namespaces)?;
        let wanted = if root { 6 } else { 7 };
        ensure_eq!(
            namespaces.found,
            format!("all {wanted} differ from the original process's"),
            "\n{audit}"
        );
        // Applies as 65534 (the sandbox made a user namespace), not as root.
        let maps = row(&audit, Check::IdMaps)?;
        ensure_eq!(maps.found.contains("as asked"), !root, "\n{audit}");
        ensure!(
            row(&audit, Check::Session)?
                .found
                .starts_with("session 1, group 1, pid 1"),
            "getsid and getpgid inside pid 1:\n{audit}"
        );
        // A second audit reads the same, live, and opens nothing that stays open.
        ensure_eq!(inside.audit(), audit, "a second audit");
        Ok(String::new())
    })?;
    Ok(())
}

fn mode_none_is_never_confined() -> TestResult {
    let (_top, shared) = shared_dir()?;
    // Mode::None forks nothing: this scenario's process is the "sandboxed" one.
    let inside = match Sandbox::builder(&shared)
        .mode(Mode::None)
        .build()?
        .enter()?
    {
        sandbox::Entered::Inside(inside) => inside,
        sandbox::Entered::Parent(_) => fail!("Mode::None forked"),
    };
    let audit = inside.audit();
    ensure!(
        !audit.is_confined(),
        "Mode::None audits as confined:\n{audit}"
    );
    // Nothing it was asked for is missing: it was asked for nearly nothing.
    ensure_eq!(failing(&audit), [], "the rows of Mode::None:\n{audit}");
    ensure_eq!(
        row(&audit, Check::Namespaces)?.expected,
        "none (Mode::None)",
        "\n{audit}"
    );
    ensure_eq!(row(&audit, Check::Seccomp)?.expected, "filter mode");
    ensure!(
        audit
            .to_string()
            .ends_with("confined: no (Mode::None confines nothing)"),
        "{audit}"
    );
    Ok(())
}

fn a_sandbox_with_the_minimal_init_audits_as_confined() -> TestResult {
    let (_top, shared) = shared_dir()?;
    // The daemon is pid 2; the init, pid 1, started the session it shares.
    run_inside(Sandbox::builder(&shared).init(true), |inside| {
        let audit = inside.audit();
        confined(&audit, "under the init")?;
        let session = row(&audit, Check::Session)?;
        ensure_eq!(session.expected, "the init's own (pid 1)");
        ensure!(
            session.found.starts_with("session 1, group 1, pid 2"),
            "getsid, getpgid and getpid of the daemon:\n{audit}"
        );
        Ok(String::new())
    })?;
    Ok(())
}

// =======================================================================================
// Each row, broken on purpose.

fn root_row_fails_in_mode_chroot_while_chroot_can_be_called_again() -> TestResult {
    test_support::require_root()?;
    let (_top, shared) = shared_dir()?;
    // In a forked child: after the chroot this process could not remove its temp dir.
    test_support::in_child(|| {
        let sandbox = Sandbox::builder(&shared)
            .mode(Mode::Chroot)
            .keep_capabilities(sandbox::CapabilitySet::SYS_CHROOT)
            .build()?;
        let inside = match sandbox.enter()? {
            sandbox::Entered::Inside(inside) => inside,
            sandbox::Entered::Parent(_) => fail!("Mode::Chroot forked"),
        };
        let permitted = rustix::thread::capabilities(None)
            .map_err(failed)?
            .permitted;
        ensure!(
            permitted.contains(sandbox::CapabilitySet::SYS_CHROOT),
            "capget: {permitted:?}"
        );
        let audit = inside.audit();
        let root = row(&audit, Check::Root)?;
        ensure!(!root.holds && !audit.is_confined(), "\n{audit}");
        ensure!(root.found.starts_with("/ = the shared dir ("), "\n{audit}");
        ensure!(
            root.found.contains("CAP_SYS_CHROOT is permitted"),
            "\n{audit}"
        );
        Ok(())
    })
}

fn kept_capabilities_are_expected_and_the_row_holds() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let keep = sandbox::CapabilitySet::CHOWN | sandbox::CapabilitySet::FOWNER;
    run_inside(
        Sandbox::builder(&shared).keep_capabilities(keep),
        move |inside| {
            let audit = inside.audit();
            let caps = row(&audit, Check::Capabilities)?;
            ensure!(caps.holds, "\n{audit}");
            ensure_eq!(caps.expected, "only CHOWN|FOWNER");
            // What capget(2) and PR_CAPBSET_READ answer: exactly the kept ones.
            ensure_eq!(
                caps.found,
                "effective CHOWN|FOWNER, bounding CHOWN|FOWNER, none other",
                "\n{audit}"
            );
            confined(&audit, "with CHOWN and FOWNER kept")?;
            Ok(String::new())
        },
    )?;
    Ok(())
}

fn capabilities_row_fails_after_unsharing_a_user_namespace_inside() -> TestResult {
    let (_top, shared) = shared_dir()?;
    run_inside(
        allowing_a_user_namespace(Sandbox::builder(&shared)),
        |inside| {
            confined(&inside.audit(), "before the break")?;
            // A new user namespace gives every capability in it.
            unshare_user_namespace()?;
            let full = rustix::thread::capabilities(None)
                .map_err(failed)?
                .effective;
            ensure!(
                full.contains(sandbox::CapabilitySet::SYS_ADMIN),
                "capget: {full:?}"
            );
            let audit = inside.audit();
            let caps = row(&audit, Check::Capabilities)?;
            ensure!(
                !caps.holds,
                "the capabilities row holds with {full:?}:\n{audit}"
            );
            ensure!(caps.found.contains("effective"), "\n{audit}");
            Ok(String::new())
        },
    )?;
    Ok(())
}

fn id_maps_row_fails_after_unsharing_a_user_namespace_inside() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let mut builder = allowing_a_user_namespace(Sandbox::builder(&shared));
    if test_support::is_root() {
        // Root makes no user namespace unless given maps: its own uid and gid.
        builder = builder
            .uid_map([IdMap::identity(0)])
            .gid_map([IdMap::identity(0)]);
    }
    run_inside(builder, |inside| {
        let before = inside.audit();
        skip_on_an_older_kernel(&before)?;
        let maps = row(&before, Check::IdMaps)?;
        ensure!(
            maps.holds && maps.found.contains("as asked"),
            "before:\n{before}"
        );
        unshare_user_namespace()?;
        let audit = inside.audit();
        let maps = row(&audit, Check::IdMaps)?;
        ensure!(
            !maps.holds,
            "the id maps row holds in a new user namespace:\n{audit}"
        );
        ensure!(maps.found.contains("another user namespace"), "\n{audit}");
        // The other namespaces are still the sandbox's.
        ensure!(row(&audit, Check::Namespaces)?.holds, "\n{audit}");
        Ok(String::new())
    })?;
    Ok(())
}

fn descriptors_row_fails_for_a_file_opened_after_entering() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    run_inside(Sandbox::builder(&shared), |inside| {
        confined(&inside.audit(), "before opening anything")?;
        let file = std::fs::File::open(format!("/{MARKER}")).map_err(io_ctx("open the marker"))?;
        // Up high: the lowest free number may be a kept one the harness closed already.
        let file = rustix::io::fcntl_dupfd_cloexec(&file, 100).map_err(failed)?;
        let fd = file.as_raw_fd();
        let audit = inside.audit();
        only_failing(&audit, &[Check::Descriptors])?;
        ensure!(
            row(&audit, Check::Descriptors)?
                .found
                .contains(&format!("not asked: {fd} -> /{MARKER}")),
            "the row names the new descriptor {fd}:\n{audit}"
        );
        drop(file);
        confined(&inside.audit(), "once it is closed again")?;
        Ok(String::new())
    })?;
    Ok(())
}

fn session_row_fails_in_a_process_forked_inside() -> TestResult {
    let (_top, shared) = shared_dir()?;
    run_inside(Sandbox::builder(&shared), |inside| {
        ensure!(
            row(&inside.audit(), Check::Session)?.holds,
            "in the sandboxed process"
        );
        // A child shares its parent's session and process group: not its own. The kernel
        // refuses every way back for the parent (a session leader cannot leave its
        // session), so the row is broken in a process that never led one.
        let child = fork_process(|| {
            let audit = inside.audit();
            let session = audit.row(Check::Session).expect("a session row");
            // SAFETY: getsid takes an integer.
            let sid = unsafe { libc::getsid(0) };
            let expected = format!("session {sid}, group {sid}, pid 2");
            match !session.holds && sid == 1 && session.found.starts_with(&expected) {
                true => 0,
                false => {
                    eprintln!("the session row in a child (getsid {sid}):\n{audit}");
                    1
                }
            }
        })?;
        ensure_eq!(waitpid(child)?, Ended::Code(0), "the forked child's audit");
        Ok(String::new())
    })?;
    Ok(())
}

fn keyring_row_fails_after_joining_the_original_named_keyring_again() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let name = CString::new(format!("sandbox-audit-{}", getpid())).map_err(failed)?;
    // The original process's session keyring: a named one of this scenario's, searchable
    // by its user so that a process of the same uid can find it by name.
    let original = join_named_keyring(&name).map_err(|e| failed(format!("join: errno {e}")))?;
    // SAFETY: keyctl(KEYCTL_SETPERM) takes integers only.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_SETPERM,
            original as libc::c_long,
            0x3f3f_0000 as libc::c_long,
        )
    };
    check_rc(rc, "keyctl(KEYCTL_SETPERM)").map_err(|e| failed(format!("setperm: errno {e}")))?;
    // Filter::none(): the default filter refuses keyctl, which would leave no keyring to
    // join.
    let out = run_inside(
        // The Landlock layer sets no_new_privs too.
        Sandbox::builder(&shared)
            .seccomp(Filter::none())
            .landlock(false),
        move |inside| {
            ensure!(
                row(&inside.audit(), Check::Keyring)?.holds,
                "the fresh keyring"
            );
            let joined = join_named_keyring(&name)
                .map_err(|e| failed(format!("join {name:?} inside: errno {e}")))?;
            let now = session_keyring().map_err(|e| failed(format!("errno {e}")))?;
            let audit = inside.audit();
            let keyring = row(&audit, Check::Keyring)?;
            Ok(format!(
                "joined={joined}\nnow={now}\nholds={}\nfound={}\ntable={}\n",
                keyring.holds,
                keyring.found,
                audit.to_string().replace('\n', " | ")
            ))
        },
    )?;
    let joined: i32 = need(&out.report, "now")?.parse().map_err(failed)?;
    if joined != original {
        // Named keyrings are looked up in the caller's user namespace (Linux 5.3): the
        // sandbox's own has no keyring of that name, so joining made a new one.
        ensure!(
            !test_support::is_root(),
            "root found another keyring: {}",
            out.report
        );
        skip!(
            "the kernel keeps the original's named keyring ({original}) out of the sandbox's \
             user namespace: joining by name made keyring {joined}"
        );
    }
    ensure_eq!(
        need(&out.report, "holds")?,
        "false",
        "the keyring row in the original's keyring ({original}): {}",
        need(&out.report, "table")?
    );
    ensure!(
        need(&out.report, "found")?.contains("the original process's"),
        "{}",
        out.report
    );
    Ok(())
}

fn namespaces_row_fails_after_setns_back_into_the_original_network_namespace() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let net = std::fs::File::open("/proc/self/ns/net").map_err(io_ctx("open /proc/self/ns/net"))?;
    let fd = net.as_raw_fd();
    let builder = Sandbox::builder(&shared)
        .keep_fd(&net)
        .keep_capabilities(sandbox::CapabilitySet::SYS_ADMIN)
        .seccomp(default_filter_allowing(&["setns"]));
    let out = run_inside(builder, move |inside| {
        let before = inside.audit();
        skip_on_an_older_kernel(&before)?;
        ensure!(
            row(&before, Check::Namespaces)?.holds,
            "before setns:\n{before}"
        );
        // SAFETY: setns with a descriptor kept open and a namespace type.
        let rc = unsafe { libc::setns(fd, libc::CLONE_NEWNET) };
        if let Err(e) = check_rc(rc.into(), "setns") {
            return Ok(format!("setns={e}\n"));
        }
        let audit = inside.audit();
        only_failing(&audit, &[Check::Namespaces])?;
        ensure!(
            row(&audit, Check::Namespaces)?
                .found
                .starts_with("net: the original process's"),
            "\n{audit}"
        );
        Ok("setns=0\n".into())
    })?;
    drop(net);
    match need(&out.report, "setns")? {
        "0" => Ok(()),
        e if !test_support::is_root() => skip!(
            "setns back into the host's network namespace needs CAP_SYS_ADMIN in the initial \
             user namespace: the kernel answered errno {e}"
        ),
        e => fail!("setns as root: errno {e}"),
    }
}

fn root_row_fails_after_chroot_into_a_subdirectory() -> TestResult {
    let (_top, shared) = shared_dir()?;
    std::fs::create_dir(shared.join("sub")).map_err(io_ctx("mkdir sub"))?;
    let builder = Sandbox::builder(&shared)
        .keep_capabilities(sandbox::CapabilitySet::SYS_CHROOT)
        .seccomp(default_filter_allowing(&["chroot"]));
    run_inside(builder, |inside| {
        confined(&inside.audit(), "before the chroot")?;
        std::os::unix::fs::chroot("/sub").map_err(io_ctx("chroot /sub"))?;
        let audit = inside.audit();
        let root = row(&audit, Check::Root)?;
        ensure!(!root.holds, "the root row holds after chroot:\n{audit}");
        ensure!(root.found.contains("not the shared dir"), "\n{audit}");
        Ok(String::new())
    })?;
    Ok(())
}

fn mounts_row_fails_for_a_writable_tmpfs_mounted_inside_a_read_only_sandbox() -> TestResult {
    let (_top, shared) = shared_dir()?;
    std::fs::create_dir(shared.join("sub")).map_err(io_ctx("mkdir sub"))?;
    let builder = Sandbox::builder(&shared)
        .read_only(true)
        .keep_capabilities(sandbox::CapabilitySet::SYS_ADMIN)
        .seccomp(default_filter_allowing(&["mount"]))
        // Landlock forbids mount(2) to the process it restricts.
        .landlock(false);
    run_inside(builder, |inside: &Inside| {
        let before = inside.audit();
        confined(&before, "before the mount")?;
        ensure_eq!(
            row(&before, Check::Mounts)?.found,
            "1 mount, all read-only, nodev",
            "\n{before}"
        );
        mount(
            Some(std::path::Path::new("tmpfs")),
            std::path::Path::new("/sub"),
            Some("tmpfs"),
            0,
        )?;
        let audit = inside.audit();
        only_failing(&audit, &[Check::Mounts])?;
        let mounts = row(&audit, Check::Mounts)?;
        ensure!(
            mounts.found.contains("/sub is read-write and dev"),
            "\n{audit}"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn seccomp_and_no_new_privs_rows_report_the_filter_and_the_flag() -> TestResult {
    let (_top, shared) = shared_dir()?;
    run_inside(Sandbox::builder(&shared), |inside| {
        let audit = inside.audit();
        let seccomp = row(&audit, Check::Seccomp)?;
        ensure!(seccomp.holds && seccomp.found == "filter mode", "\n{audit}");
        let nnp = row(&audit, Check::NoNewPrivs)?;
        ensure!(nnp.holds && nnp.found == "set", "\n{audit}");
        Ok(String::new())
    })?;
    Ok(())
}

fn seccomp_and_no_new_privs_rows_report_neither_under_filter_none() -> TestResult {
    let (_top, shared) = shared_dir()?;
    // Nothing asked, and the kernel says no filter is there; no_new_privs is whatever this
    // process has (it is inherited, and the sandbox sets none).
    let nnp_here = rustix::thread::no_new_privs().map_err(failed)?;
    run_inside(
        // The Landlock layer sets no_new_privs too.
        Sandbox::builder(&shared)
            .seccomp(Filter::none())
            .landlock(false),
        move |inside| {
            let audit = inside.audit();
            let seccomp = row(&audit, Check::Seccomp)?;
            ensure_eq!(
                seccomp.expected,
                "no filter asked (Filter::none())",
                "\n{audit}"
            );
            ensure_eq!(seccomp.found, "no filter", "PR_GET_SECCOMP:\n{audit}");
            let nnp = row(&audit, Check::NoNewPrivs)?;
            ensure_eq!(nnp.expected, "not required", "\n{audit}");
            ensure_eq!(
                nnp.found,
                if nnp_here { "set" } else { "not set" },
                "PR_GET_NO_NEW_PRIVS:\n{audit}"
            );
            confined(&audit, "under Filter::none()")?;
            Ok(String::new())
        },
    )?;
    Ok(())
}

/// `struct landlock_path_beneath_attr` (packed, 12 bytes).
#[repr(C, packed)]
struct PathBeneath {
    allowed_access: u64,
    parent_fd: i32,
}

/// Restricts this process with a Landlock ruleset that handles listing directories and
/// allows it beneath `/` only: what the sandbox's own layer will look like. `Err` with the
/// errno where the kernel has no Landlock.
fn landlock_list_only_beneath_root() -> Result<(), i32> {
    const LANDLOCK_ACCESS_FS_READ_DIR: u64 = 1 << 3;
    const LANDLOCK_RULE_PATH_BENEATH: libc::c_long = 1;
    let handled = LANDLOCK_ACCESS_FS_READ_DIR;
    // SAFETY: landlock_create_ruleset reads the 8-byte attribute (handled_access_fs, the
    // first field of every ABI's struct) whose size is passed; it returns a descriptor.
    let ruleset = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &handled as *const u64,
            std::mem::size_of::<u64>(),
            0 as libc::c_uint,
        )
    };
    check_rc(ruleset, "landlock_create_ruleset")?;
    let root = std::fs::File::open("/").map_err(|e| e.raw_os_error().unwrap_or(-1))?;
    let rule = PathBeneath {
        allowed_access: LANDLOCK_ACCESS_FS_READ_DIR,
        parent_fd: root.as_raw_fd(),
    };
    // SAFETY: landlock_add_rule reads the packed rule, alive for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset,
            LANDLOCK_RULE_PATH_BENEATH,
            &rule as *const PathBeneath,
            0 as libc::c_uint,
        )
    };
    check_rc(rc, "landlock_add_rule")?;
    // SAFETY: takes a descriptor and flags; no_new_privs is set (the default filter set it).
    let rc = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0 as libc::c_uint) };
    check_rc(rc, "landlock_restrict_self")?;
    // SAFETY: closes the ruleset descriptor this function opened and nothing else owns.
    unsafe { libc::close(ruleset as i32) };
    Ok(())
}

fn a_landlock_domain_made_inside_is_found_and_descriptors_are_probed_instead() -> TestResult {
    // Without the sandbox's own layer, so that the probe first finds none: the row then
    // sees the domain the code inside makes.
    let (_top, shared) = shared_dir()?;
    let out = run_inside(Sandbox::builder(&shared).landlock(false), |inside| {
        let before = inside.audit();
        confined(&before, "before Landlock")?;
        ensure!(
            row(&before, Check::Landlock)?
                .found
                .starts_with("not enforced"),
            "\n{before}"
        );
        if let Err(e) = landlock_list_only_beneath_root() {
            return Ok(format!("landlock={e}\n"));
        }
        // "/" still lists; the proc-fd handle's directory lies outside the rule.
        std::fs::read_dir("/").map_err(io_ctx("list / under Landlock"))?;
        let audit = inside.audit();
        let landlock = row(&audit, Check::Landlock)?;
        ensure!(landlock.found.starts_with("enforced ("), "\n{audit}");
        // Listing the table is refused: the row probes every number instead, and still
        // finds exactly the same descriptors.
        let fds = row(&audit, Check::Descriptors)?;
        ensure!(
            fds.holds && fds.found.ends_with("(probed with fcntl: listing refused)"),
            "\n{audit}"
        );
        ensure_eq!(
            fds.found.split(" (").next(),
            row(&before, Check::Descriptors)?.found.split(" (").next(),
            "the descriptors, listed then probed"
        );
        confined(&audit, "under Landlock")?;
        Ok("landlock=0\n".into())
    })?;
    match need(&out.report, "landlock")? {
        "0" => Ok(()),
        e => skip!("no Landlock here: landlock_create_ruleset answered errno {e}"),
    }
}

fn the_landlock_row_holds_by_default_and_fails_when_the_restriction_is_faked() -> TestResult {
    if sandbox::landlock_abi().is_none() {
        skip!("the kernel has no Landlock");
    }
    let (_top, shared) = shared_dir()?;
    // By default: asked, and the probe outside the rules is refused. (Each enter from a
    // child of its own: a process enters once.)
    test_support::in_child(|| {
        run_inside(Sandbox::builder(&shared), |inside| {
            let audit = inside.audit();
            let landlock = row(&audit, Check::Landlock)?;
            ensure!(
                landlock.holds && landlock.found.starts_with("enforced ("),
                "\n{audit}"
            );
            confined(&audit, "by default")?;
            Ok(String::new())
        })?;
        Ok(())
    })?;
    // Broken on purpose: landlock_restrict_self "succeeds" without restricting anything
    // (a seccomp filter answers it with errno 0). The sandbox believes the layer is on;
    // the audit asks the kernel, finds it off, and the row fails.
    test_support::in_child(|| {
        // errno 0: the call "succeeds" without running.
        answer_syscall(libc::SYS_landlock_restrict_self, 0)?;
        run_inside(Sandbox::builder(&shared), |inside| {
            let audit = inside.audit();
            let landlock = row(&audit, Check::Landlock)?;
            ensure!(
                !landlock.holds && landlock.found.starts_with("not enforced"),
                "\n{audit}"
            );
            ensure!(!audit.is_confined(), "\n{audit}");
            Ok(String::new())
        })?;
        Ok(())
    })
}
