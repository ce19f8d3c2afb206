//! Kernel tests of `sandbox-pivot-root`, each scenario in a fresh process (see `test-support`).
//!
//! Every scenario that pivots does so in a mount namespace of its own: as root a new mount
//! namespace, otherwise a new user namespace (uid and gid mapped to themselves) that owns
//! one. The fault scenario re-executes this binary under `strace -e inject=...` with
//! `--fault SYSCALL ERRNO VARIANT DIR` to make one system call of `pivot_root` fail.

use std::path::Path;
use std::process::Command;

use rustix::fs::AtFlags;
use rustix::io::Errno;
use rustix::thread::UnshareFlags;
use sandbox_mount::mountinfo;
use sandbox_pivot_root::{chroot, is_current_root, pivot_root, Error, Outcome};
use test_support::files::{dev_ino, open_dir, write_file, TmpfsDir};
use test_support::namespaces::{enter_user_ns, own_mount_ns, unshare};
use test_support::{
    become_nobody, ensure, ensure_eq, fail, failed, in_child, is_root, skip, temp_dir, this_binary,
    Fail, TestResult,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--fault") {
        fault_inner(&args[2..])
    }
    test_support::main(test_support::scenarios![
        old_root_is_unreachable_after_pivot,
        a_directory_that_is_not_a_mount_point_is_bound_and_becomes_the_root,
        pivot_to_the_current_root_changes_nothing,
        a_bind_of_root_elsewhere_is_not_the_current_root,
        chroot_fallback_hides_the_outside,
        chroot_without_privilege_is_eperm,
        pivot_root_without_privilege_is_eperm,
        pivot_root_into_a_shared_mount_fails_with_einval,
        each_failing_step_gives_its_typed_error_and_errno,
    ])
}

// ---------------------------------------------------------------------------------------
// Helpers

/// What every pivoted (or chrooted) process must see: `/` is the new root, `..` of `/`
/// is `/`, the host's /etc/passwd is gone, the marker of the new root is there, the cwd
/// is `/`.
fn check_confined() -> TestResult {
    ensure!(
        Path::new("/marker").exists(),
        "the new root's marker is visible"
    );
    ensure!(
        !Path::new("/etc/passwd").exists(),
        "the host's /etc/passwd is still reachable"
    );
    let root = dev_ino("/")?;
    ensure_eq!(dev_ino("/..")?, root, "/.. is / itself");
    ensure_eq!(dev_ino("/../../..")?, root, "/../../.. is / itself");
    let cwd = std::env::current_dir().map_err(failed)?;
    ensure_eq!(cwd, Path::new("/"), "the cwd");
    ensure_eq!(dev_ino(".")?, root, "the cwd is the root directory");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Scenarios

/// A tmpfs (a mount point) becomes the root of a new mount and pid namespace. Pid 1 mounts
/// its procfs inside (before the pivot: in a user namespace the kernel wants a visible
/// procfs), pivots, and then sees only the two mounts, `/proc/1/root` is `/`, and the
/// host's files are unreachable.
fn old_root_is_unreachable_after_pivot() -> TestResult {
    ensure!(
        Path::new("/etc/passwd").exists(),
        "control: the host has /etc/passwd"
    );
    own_mount_ns(UnshareFlags::NEWPID)?;
    let new_root = TmpfsDir::new()?;
    write_file(new_root.path().join("marker"), "x")?;
    std::fs::create_dir(new_root.path().join("proc")).map_err(failed)?;
    let before = dev_ino(new_root.path())?;

    in_child(|| {
        ensure_eq!(rustix::process::getpid().as_raw_nonzero().get(), 1, "pid 1");
        // pivot_root moves every process of the namespace whose root was the old one:
        // take a namespace of our own so the scenario process keeps its root.
        unshare(UnshareFlags::NEWNS)?;
        sandbox_mount::mount_proc(new_root.path().join("proc"))?;
        let fd = open_dir(new_root.path())?;
        ensure_eq!(pivot_root(&fd)?, Outcome::Pivoted);
        check_confined()?;
        ensure_eq!(dev_ino("/")?, before, "/ is the tmpfs");
        ensure!(
            is_current_root(&fd)?,
            "the fd of the new root is the root now"
        );

        let link = std::fs::read_link("/proc/1/root").map_err(failed)?;
        ensure_eq!(link, Path::new("/"), "/proc/1/root");
        ensure_eq!(
            dev_ino("/proc/1/root/")?,
            dev_ino("/")?,
            "/proc/1/root is /"
        );
        ensure!(
            !Path::new("/proc/1/root/etc/passwd").exists(),
            "/proc/1/root leads out"
        );
        let mounts = mountinfo::read_self()?;
        let points: Vec<&Path> = mounts.iter().map(|m| m.mount_point.as_path()).collect();
        ensure_eq!(
            points,
            [Path::new("/"), Path::new("/proc")],
            "only the new root and its proc are mounted: {mounts:#?}"
        );
        ensure_eq!(mounts[0].fs_type, "tmpfs");
        Ok(())
    })
}

/// A plain directory of the host's file system is not a mount point: pivot_root binds it
/// onto itself first. A file made inside after the pivot is in the real directory, seen
/// from outside; one made before is seen inside.
fn a_directory_that_is_not_a_mount_point_is_bound_and_becomes_the_root() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let dir = temp_dir()?;
    write_file(dir.path().join("marker"), "x")?;
    let not_a_mount = rustix::fs::statx(
        open_dir(dir.path())?,
        "",
        AtFlags::EMPTY_PATH,
        rustix::fs::StatxFlags::BASIC_STATS,
    )
    .map_err(failed)?;
    ensure!(
        !not_a_mount
            .stx_attributes
            .contains(rustix::fs::StatxAttributes::MOUNT_ROOT),
        "control: the temp dir is not a mount point"
    );
    let outside_ns = mountinfo::read_self()?.len();

    in_child(|| {
        unshare(UnshareFlags::NEWNS)?;
        let fd = open_dir(dir.path())?;
        ensure_eq!(pivot_root(&fd)?, Outcome::Pivoted);
        check_confined()?;
        let root = rustix::fs::statx(
            rustix::fs::CWD,
            "/",
            AtFlags::empty(),
            rustix::fs::StatxFlags::BASIC_STATS,
        )
        .map_err(failed)?;
        ensure!(
            root.stx_attributes
                .contains(rustix::fs::StatxAttributes::MOUNT_ROOT),
            "the new / is a mount (the bind)"
        );
        write_file("/created-inside", "x")?;
        Ok(())
    })?;

    ensure!(
        dir.path().join("created-inside").exists(),
        "the file made inside is in the real directory"
    );
    ensure_eq!(
        mountinfo::read_self()?.len(),
        outside_ns,
        "the child's bind and pivot stayed in its own namespace"
    );
    Ok(())
}

fn pivot_to_the_current_root_changes_nothing() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let cwd = std::env::current_dir().map_err(failed)?;
    let before = test_support::mountinfo()?;
    let root = open_dir("/")?;
    ensure!(is_current_root(&root)?, "/ is the current root");
    ensure_eq!(pivot_root(&root)?, Outcome::AlreadyRoot);
    ensure_eq!(chroot(&root)?, Outcome::AlreadyRoot);
    ensure_eq!(
        test_support::mountinfo()?,
        before,
        "the mount table is unchanged"
    );
    ensure_eq!(std::env::current_dir().map_err(failed)?, cwd, "the cwd too");
    Ok(())
}

/// `/` bound onto a directory has the same device and inode as `/`; only the mount id
/// tells them apart. (Recursively: in a user namespace the submounts of `/` are locked,
/// and a plain bind that would reveal what they cover is EINVAL.)
fn a_bind_of_root_elsewhere_is_not_the_current_root() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let dir = temp_dir()?;
    sandbox_mount::bind_recursive("/", dir.path())?;
    let result = (|| {
        ensure_eq!(
            dev_ino(dir.path())?,
            dev_ino("/")?,
            "control: same device and inode"
        );
        ensure!(
            !is_current_root(open_dir(dir.path())?)?,
            "a bind of / elsewhere is taken for the root"
        );
        Ok(())
    })();
    sandbox_mount::unmount(dir.path(), sandbox_mount::UnmountFlags::DETACH)?;
    result
}

/// chroot needs no mount namespace; unprivileged it needs CAP_SYS_CHROOT, which a user
/// namespace of its own gives.
fn chroot_fallback_hides_the_outside() -> TestResult {
    let dir = temp_dir()?;
    write_file(dir.path().join("marker"), "x")?;
    let before = test_support::mountinfo()?;
    in_child(|| {
        if !is_root() {
            enter_user_ns(UnshareFlags::empty())?;
        }
        let fd = open_dir(dir.path())?;
        ensure_eq!(chroot(&fd)?, Outcome::Chrooted);
        check_confined()?;
        ensure!(is_current_root(&fd)?, "the directory is the root now");
        write_file("/created-inside", "x")?;
        Ok(())
    })?;
    ensure!(dir.path().join("created-inside").exists(), "same directory");
    ensure_eq!(
        test_support::mountinfo()?,
        before,
        "chroot changed no mount anywhere"
    );
    Ok(())
}

fn chroot_without_privilege_is_eperm() -> TestResult {
    let dir = temp_dir()?;
    in_child(|| {
        become_nobody()?;
        match chroot(open_dir(dir.path())?) {
            Err(e @ Error::Chroot { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::PERM), "{e}");
                ensure_eq!(
                    e.to_string(),
                    "chroot into the new root: Operation not permitted (os error 1)"
                );
            }
            other => fail!("expected Chroot EPERM, got {other:?}"),
        }
        ensure!(Path::new("/etc/passwd").exists(), "still in the old root");
        Ok(())
    })
}

/// Without CAP_SYS_ADMIN over the mount namespace (uid 65534, no user namespace),
/// `pivot_root(2)` itself is EPERM. /proc is a mount point, so no bind is tried first.
/// As root the child takes a mount namespace of its own before dropping privileges.
fn pivot_root_without_privilege_is_eperm() -> TestResult {
    in_child(|| {
        if is_root() {
            unshare(UnshareFlags::NEWNS)?;
            sandbox_mount::set_propagation_recursive("/", sandbox_mount::Propagation::Private)?;
        }
        become_nobody()?;
        let cwd = std::env::current_dir().map_err(failed)?;
        match pivot_root(open_dir("/proc")?) {
            Err(e @ Error::PivotRoot { .. }) => ensure_eq!(e.errno(), Some(Errno::PERM), "{e}"),
            other => fail!("expected PivotRoot EPERM, got {other:?}"),
        }
        ensure!(is_current_root(open_dir("/")?)?, "/ is unchanged");
        ensure!(Path::new("/etc/passwd").exists(), "still in the old root");
        // The fchdir before pivot_root(2) is the one step that stays.
        ensure_eq!(
            std::env::current_dir().map_err(failed)?,
            Path::new("/proc"),
            "was {}",
            cwd.display()
        );
        Ok(())
    })
}

/// The kernel refuses to pivot into a shared mount: the reason the caller makes `/`
/// slave or private first.
fn pivot_root_into_a_shared_mount_fails_with_einval() -> TestResult {
    own_mount_ns(UnshareFlags::empty())?;
    let new_root = TmpfsDir::new()?;
    sandbox_mount::set_propagation(new_root.path(), sandbox_mount::Propagation::Shared)?;
    in_child(|| {
        unshare(UnshareFlags::NEWNS)?;
        match pivot_root(open_dir(new_root.path())?) {
            Err(e @ Error::PivotRoot { .. }) => {
                ensure_eq!(e.errno(), Some(Errno::INVAL), "{e}");
                ensure_eq!(
                    e.to_string(),
                    "pivot_root(\".\", \".\") into the new root: Invalid argument (os error 22)"
                );
            }
            other => fail!("expected PivotRoot EINVAL, got {other:?}"),
        }
        ensure!(Path::new("/etc/passwd").exists(), "still in the old root");
        // Control: the same directory made private pivots fine.
        sandbox_mount::set_propagation(new_root.path(), sandbox_mount::Propagation::Private)?;
        ensure_eq!(pivot_root(open_dir(new_root.path())?)?, Outcome::Pivoted);
        Ok(())
    })
}

/// One row per step: the system call to fail, which call of it fails (strace `when=`, from
/// 1), the errno injected, and the variant expected.
const FAULTS: &[(&str, u32, &str, &str)] = &[
    ("open_tree", 1, "ENOSYS", "Bind"),
    ("move_mount", 1, "EINVAL", "Bind"),
    ("fchdir", 1, "EACCES", "Fchdir"),
    ("pivot_root", 1, "EINVAL", "PivotRoot"),
    // The first mount(2) is own_mount_ns making / private; the second makes the old root
    // a slave.
    ("mount", 2, "EPERM", "OldRootSlave"),
    ("umount2", 1, "EBUSY", "DetachOldRoot"),
    ("chdir", 1, "EACCES", "ChdirRoot"),
];

/// Fails each system call of `pivot_root` in turn with strace's fault injection and
/// checks the typed error and its errno (the inner process does the checking).
fn each_failing_step_gives_its_typed_error_and_errno() -> TestResult {
    test_support::require_tool(&test_support::tools::STRACE)?;
    let exe = this_binary()?;
    for (syscall, when, errno, variant) in FAULTS {
        // Made (and removed) here: the inner process may end up pivoted into it.
        let dir = temp_dir()?;
        let out = Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null", "-e"])
            .arg(format!("trace={syscall}"))
            .arg("-e")
            .arg(format!("inject={syscall}:error={errno}:when={when}"))
            .arg(&exe)
            .args(["--fault", syscall, errno, variant])
            .arg(dir.path())
            .output()
            .map_err(|e| failed(format!("run strace: {e}")))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if text.contains("ptrace") && !out.status.success() {
            skip!("strace cannot trace here: {text}");
        }
        ensure!(
            out.status.success() && text.contains("fault ok"),
            "{syscall} failing with {errno}: {}\n{text}",
            out.status
        );
    }
    Ok(())
}

/// The re-executed side of the fault scenario: pivot into a plain temp dir (so that every
/// step runs) while strace fails `syscall`, and check the error.
fn fault_inner(args: &[String]) -> ! {
    let [syscall, errno, variant, dir] = args else {
        eprintln!("usage: --fault SYSCALL ERRNO VARIANT DIR");
        std::process::exit(2)
    };
    let result = (|| -> TestResult {
        let expected = match errno.as_str() {
            "ENOSYS" => Errno::NOSYS,
            "EINVAL" => Errno::INVAL,
            "EACCES" => Errno::ACCESS,
            "EPERM" => Errno::PERM,
            "EBUSY" => Errno::BUSY,
            other => fail!("unknown errno {other}"),
        };
        own_mount_ns(UnshareFlags::empty())?;
        let dir = Path::new(dir);
        write_file(dir.join("marker"), "x")?;
        let fd = open_dir(dir)?;
        let e = match pivot_root(&fd) {
            Err(e) => e,
            Ok(o) => fail!("{syscall} failing with {errno}: pivot_root gave {o:?}"),
        };
        let name = format!("{e:?}");
        ensure!(
            name.starts_with(&format!("{variant}(")) || name.starts_with(&format!("{variant} {{")),
            "{syscall} failing: expected {variant}, got {name}"
        );
        ensure_eq!(e.errno(), Some(expected), "{e}");
        if matches!(variant.as_str(), "Bind" | "Fchdir" | "PivotRoot") {
            ensure!(
                Path::new("/etc/passwd").exists(),
                "a failure before the pivot left the old root in place"
            );
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            println!("fault ok: {syscall} {errno} -> {variant}");
            std::process::exit(0)
        }
        Err(Fail::Skip(r) | Fail::Failed(r)) => {
            eprintln!("fault failed: {r}");
            std::process::exit(1)
        }
    }
}
