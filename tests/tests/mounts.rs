//! Mount handling of the composed sandbox, on both mount paths: the new mount API
//! (`open_tree`, `move_mount`, `mount_setattr`) and the legacy `mount(2)` path, forced with
//! `Builder::mount_api`. Each claim has a `_new_api` and a `_legacy` scenario; each runs
//! as root and as uid 65534 (then the sandbox sits in a user namespace, and the mounts
//! it inherits are locked).
//!
//! Groups: read-only for the whole tree; the host's mount table unchanged; hostile paths
//! (a symlink swapped in while entering, a symlinked path, a parent the sandboxed uid
//! cannot search, `/`, symlinks inside); propagation (slave and private, mounts and
//! unmounts); the fallback between the two paths under a seccomp filter.
//!
//! Scenarios that mount on "the host" do it in a mount namespace of their own, made in a
//! forked child, whose mounts are private to it: the real host's mount table is never
//! touched.

mod common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use sandbox::{Entered, Error, MountApi, Namespaces, Propagation, Sandbox, Step};
use test_support::{ensure, ensure_eq, fail, Fail, TestResult};

on_both_paths! {
    read_only_covers_submounts_and_the_host_stays_writable
        => read_only_covers_submounts_and_the_host_stays_writable_new_api,
           read_only_covers_submounts_and_the_host_stays_writable_legacy;
    read_only_leaves_the_hosts_mountinfo_identical
        => read_only_leaves_the_hosts_mountinfo_identical_new_api,
           read_only_leaves_the_hosts_mountinfo_identical_legacy;
    submounts_of_the_shared_dir_show_inside
        => submounts_of_the_shared_dir_show_inside_new_api,
           submounts_of_the_shared_dir_show_inside_legacy;
    sharing_root_works_without_a_pivot
        => sharing_root_works_without_a_pivot_new_api,
           sharing_root_works_without_a_pivot_legacy;
    sharing_root_read_only_makes_every_mount_read_only
        => sharing_root_read_only_makes_every_mount_read_only_new_api,
           sharing_root_read_only_makes_every_mount_read_only_legacy;
    symlinked_path_is_resolved_once_at_build
        => symlinked_path_is_resolved_once_at_build_new_api,
           symlinked_path_is_resolved_once_at_build_legacy;
    parent_the_sandboxed_uid_cannot_search
        => parent_the_sandboxed_uid_cannot_search_new_api,
           parent_the_sandboxed_uid_cannot_search_legacy;
    symlinks_inside_resolve_inside_the_new_root
        => symlinks_inside_resolve_inside_the_new_root_new_api,
           symlinks_inside_resolve_inside_the_new_root_legacy;
    parent_swapped_for_a_symlink_while_entering_never_redirects_the_mount
        => parent_swapped_for_a_symlink_while_entering_never_redirects_the_mount_new_api,
           parent_swapped_for_a_symlink_while_entering_never_redirects_the_mount_legacy;
    slave_propagation_brings_host_mounts_and_unmounts_in_and_nothing_out
        => slave_propagation_brings_host_mounts_and_unmounts_in_and_nothing_out_new_api,
           slave_propagation_brings_host_mounts_and_unmounts_in_and_nothing_out_legacy;
    private_propagation_brings_nothing_in_and_nothing_out
        => private_propagation_brings_nothing_in_and_nothing_out_new_api,
           private_propagation_brings_nothing_in_and_nothing_out_legacy;
}

fn main() {
    test_support::main(test_support::scenarios![
        // Read-only, and the host's mount table.
        read_only_covers_submounts_and_the_host_stays_writable_new_api,
        read_only_covers_submounts_and_the_host_stays_writable_legacy,
        read_only_leaves_the_hosts_mountinfo_identical_new_api,
        read_only_leaves_the_hosts_mountinfo_identical_legacy,
        submounts_of_the_shared_dir_show_inside_new_api,
        submounts_of_the_shared_dir_show_inside_legacy,
        // Paths that try to fool us.
        sharing_root_works_without_a_pivot_new_api,
        sharing_root_works_without_a_pivot_legacy,
        sharing_root_read_only_makes_every_mount_read_only_new_api,
        sharing_root_read_only_makes_every_mount_read_only_legacy,
        symlinked_path_is_resolved_once_at_build_new_api,
        symlinked_path_is_resolved_once_at_build_legacy,
        parent_the_sandboxed_uid_cannot_search_new_api,
        parent_the_sandboxed_uid_cannot_search_legacy,
        symlinks_inside_resolve_inside_the_new_root_new_api,
        symlinks_inside_resolve_inside_the_new_root_legacy,
        parent_swapped_for_a_symlink_while_entering_never_redirects_the_mount_new_api,
        parent_swapped_for_a_symlink_while_entering_never_redirects_the_mount_legacy,
        // Propagation.
        slave_propagation_brings_host_mounts_and_unmounts_in_and_nothing_out_new_api,
        slave_propagation_brings_host_mounts_and_unmounts_in_and_nothing_out_legacy,
        private_propagation_brings_nothing_in_and_nothing_out_new_api,
        private_propagation_brings_nothing_in_and_nothing_out_legacy,
        // Choosing the path.
        legacy_path_works_where_the_new_mount_api_is_refused,
        new_path_does_not_fall_back_and_auto_does,
        auto_falls_back_to_a_remount_walk_without_mount_setattr,
    ])
}

// =======================================================================================
// Set-up.

fn mkdir(path: &Path) -> TestResult {
    std::fs::create_dir_all(path).map_err(io_ctx(format!("mkdir {}", path.display())))
}

/// The errno of writing a new file at `path` (0 when it worked).
fn write_errno(path: &str) -> i32 {
    errno_of(std::fs::write(path, "x")).unwrap_or(0)
}

/// The mount points of this process's mount table.
fn mount_points() -> Result<Vec<PathBuf>, Fail> {
    Ok(sandbox_mount::mountinfo::read_self()
        .map_err(failed)?
        .into_iter()
        .map(|m| m.mount_point)
        .collect())
}

// =======================================================================================
// Read-only, and the host's mount table.

/// `shared/sub` is a tmpfs and `shared/sub/deeper` another one below it. Read-only
/// inside: writes fail with EROFS at every level; on the host all stay writable, and its
/// mount table is the same before, during and after.
fn read_only_covers_submounts_and_the_host_stays_writable(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    test_support::in_child(|| {
        own_private_mount_namespace()?;
        let (sub, deeper) = (shared.join("sub"), shared.join("sub/deeper"));
        mkdir(&sub)?;
        mount_tmpfs(&sub)?;
        mkdir(&deeper)?;
        mount_tmpfs(&deeper)?;
        std::fs::write(deeper.join("old"), "old").map_err(io_ctx("write old"))?;
        let before = test_support::mountinfo()?;
        let sandbox = prepare(Sandbox::builder(&shared).read_only(true).mount_api(api))?;
        let (result, during) = run_inside_noting_mountinfo(sandbox, |_| {
            for p in ["/new", "/sub/new", "/sub/deeper/new"] {
                ensure_eq!(write_errno(p), libc::EROFS, "create {p}");
            }
            let append = std::fs::OpenOptions::new()
                .append(true)
                .open("/sub/deeper/old");
            ensure_eq!(errno_of(append), Some(libc::EROFS), "open for writing");
            ensure_eq!(
                errno_of(std::fs::create_dir("/sub/d")),
                Some(libc::EROFS),
                "mkdir in the submount"
            );
            ensure_eq!(
                std::fs::read_to_string("/sub/deeper/old").map_err(io_ctx("read old"))?,
                "old",
                "reads work"
            );
            Ok(String::new())
        });
        result?;
        ensure_eq!(test_support::mountinfo()?, before, "our mount table after");
        ensure_eq!(during, before, "our mount table during");
        for p in [shared.join("new"), sub.join("new"), deeper.join("new")] {
            std::fs::write(&p, "x").map_err(io_ctx(format!("write {} outside", p.display())))?;
        }
        Ok(())
    })
}

/// In the real host namespace: a read-only sandbox changes nothing in the host's
/// mountinfo, during or after.
fn read_only_leaves_the_hosts_mountinfo_identical(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let before = test_support::mountinfo()?;
    let sandbox = prepare(Sandbox::builder(&shared).read_only(true).mount_api(api))?;
    let (result, during) = run_inside_noting_mountinfo(sandbox, |_| {
        ensure_eq!(write_errno("/new"), libc::EROFS, "create /new");
        Ok(String::new())
    });
    result?;
    ensure_eq!(during, before, "the host's mountinfo during");
    ensure_eq!(
        test_support::mountinfo()?,
        before,
        "the host's mountinfo after"
    );
    std::fs::write(shared.join("new"), "x").map_err(io_ctx("write on the host"))?;
    Ok(())
}

/// A tmpfs mounted below the shared dir before entering shows inside, with its files; the
/// directory it covers does not.
fn submounts_of_the_shared_dir_show_inside(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    test_support::in_child(|| {
        own_private_mount_namespace()?;
        let sub = shared.join("sub");
        mkdir(&sub)?;
        std::fs::write(sub.join("covered"), "x").map_err(io_ctx("write covered"))?;
        mount_tmpfs(&sub)?;
        std::fs::write(sub.join("in-tmpfs"), "x").map_err(io_ctx("write in-tmpfs"))?;
        let sandbox = prepare(Sandbox::builder(&shared).mount_api(api))?;
        let out = run_inside(sandbox, |_| {
            let tmpfs = rustix::fs::statfs("/sub").map_err(failed)?.f_type;
            Ok(format!(
                "in-tmpfs={}\ncovered={}\ntmpfs={}\nwritable={}\n",
                Path::new("/sub/in-tmpfs").exists(),
                Path::new("/sub/covered").exists(),
                tmpfs == libc::TMPFS_MAGIC,
                write_errno("/sub/new") == 0,
            ))
        })?;
        for (fact_name, want) in [
            ("in-tmpfs", "true"),
            ("covered", "false"),
            ("tmpfs", "true"),
            ("writable", "true"),
        ] {
            ensure_eq!(need(&out.report, fact_name)?, want, "{fact_name} inside");
        }
        Ok(())
    })
}

// =======================================================================================
// Paths that try to fool us.

/// Sharing `/`: no pivot, the root is the same directory, a fresh proc shows only the
/// sandbox's processes.
fn sharing_root_works_without_a_pivot(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let marker = shared.join(MARKER);
    let new_file = shared.join("new").to_string_lossy().into_owned();
    let host_pid = getpid();
    let host_root = dev_ino("/")?;
    let before = test_support::mountinfo()?;
    let sandbox = prepare(Sandbox::builder("/").mount_api(api))?;
    let out = run_inside(sandbox, move |inside| {
        ensure!(!inside.root_changed(), "root_changed() when sharing /");
        ensure_eq!(dev_ino("/")?, host_root, "/");
        ensure!(marker.exists(), "{} visible", marker.display());
        ensure!(
            !Path::new(&format!("/proc/{host_pid}")).exists(),
            "the host's pid {host_pid} in /proc"
        );
        ensure_eq!(
            std::fs::read_link("/proc/self").map_err(io_ctx("readlink /proc/self"))?,
            PathBuf::from("1")
        );
        Ok(format!("write={}\n", write_errno(&new_file)))
    })?;
    ensure_eq!(
        need(&out.report, "write")?,
        "0",
        "a write into the shared dir"
    );
    ensure_eq!(
        test_support::mountinfo()?,
        before,
        "the host's mountinfo after"
    );
    Ok(())
}

/// Sharing `/` read-only: writes fail with EROFS on the root file system and on the
/// mounts below it (`/dev/shm`, a tmpfs), and the host stays writable.
fn sharing_root_read_only_makes_every_mount_read_only(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let before = test_support::mountinfo()?;
    let in_shared = shared.join("new").to_string_lossy().into_owned();
    let sandbox = prepare(Sandbox::builder("/").read_only(true).mount_api(api))?;
    let shm = Path::new("/dev/shm").is_dir() && write_errno("/dev/shm/.sandbox-probe") == 0;
    let _ = std::fs::remove_file("/dev/shm/.sandbox-probe");
    let out = run_inside(sandbox, move |_| {
        ensure_eq!(write_errno(&in_shared), libc::EROFS, "create {in_shared}");
        Ok(format!("shm={}\n", write_errno("/dev/shm/.sandbox-ro")))
    })?;
    if shm {
        ensure_eq!(
            need(&out.report, "shm")?,
            libc::EROFS.to_string(),
            "a write to the /dev/shm submount"
        );
    }
    ensure_eq!(
        test_support::mountinfo()?,
        before,
        "the host's mountinfo after"
    );
    std::fs::write(shared.join("new"), "x").map_err(io_ctx("write on the host"))?;
    Ok(())
}

/// The path is a symlink to `a`; after build it is swapped to point to `b`. The sandbox
/// shows `a`.
fn symlinked_path_is_resolved_once_at_build(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let (a, b) = (top.path().join("a"), top.path().join("b"));
    for (d, m) in [(&a, "marker-a"), (&b, "marker-b")] {
        mkdir(d)?;
        std::fs::write(d.join(m), m).map_err(io_ctx("write"))?;
    }
    let link = top.path().join("link");
    symlink(&a, &link).map_err(io_ctx("symlink"))?;
    let sandbox = prepare(Sandbox::builder(&link).mount_api(api))?;
    let tmp = top.path().join("link.new");
    symlink(&b, &tmp).map_err(io_ctx("symlink"))?;
    std::fs::rename(&tmp, &link).map_err(io_ctx("rename link"))?;
    let out = run_inside(sandbox, |_| Ok(format!("root={:?}\n", listing("/")?)))?;
    ensure_eq!(
        need(&out.report, "root")?,
        "{\"marker-a\"}",
        "the link's target at build time"
    );
    Ok(())
}

/// The daemon opens the shared dir, then the sandboxed uid can no longer search its
/// parent: as root, the process drops to uid 65534 after build (the parent is root's,
/// mode 0700); unprivileged, the parent's mode becomes 0 after build. The new API works
/// from descriptors and enters; the legacy path must look the new mount up by path once:
/// where the kernel refuses that lookup it fails with a clear EACCES error at the bind.
fn parent_the_sandboxed_uid_cannot_search(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let parent = top.path().join("parent");
    let shared = parent.join("shared");
    mkdir(&shared)?;
    std::fs::write(shared.join(MARKER), "x").map_err(io_ctx("write marker"))?;
    let chmod = |p: &Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
            .map_err(io_ctx(format!("chmod {}", p.display())))
    };
    chmod(&shared, 0o755)?;
    chmod(top.path(), 0o755)?;
    chmod(&parent, 0o700)?;
    let root = test_support::is_root();
    let result = test_support::in_child(|| {
        let sandbox = prepare(
            Sandbox::builder(&shared)
                .namespaces(Namespaces::USER | Namespaces::PID | Namespaces::NET)
                .mount_api(api),
        )?;
        if root {
            become_nobody()?;
        } else {
            chmod(&parent, 0)?;
        }
        ensure!(
            std::fs::metadata(shared.join(MARKER)).is_err(),
            "control: the shared dir's path still resolves for this uid"
        );
        if root && api == MountApi::Legacy {
            // The lookup by path is EACCES for uid 65534: a clear error at the bind.
            match sandbox.enter() {
                Err(e) => {
                    ensure_eq!(e.step(), Some(Step::BindSharedDir), "{e}");
                    ensure_eq!(
                        e.errno().map(|e| e.raw_os_error()),
                        Some(libc::EACCES),
                        "{e}"
                    );
                    ensure!(
                        e.hint().is_some_and(|h| h.contains("search")),
                        "the hint explains it: {:?}",
                        e.hint()
                    );
                    return Ok(());
                }
                Ok(Entered::Inside(_)) => exit_now(1),
                Ok(Entered::Parent(child)) => {
                    let status = child.wait()?;
                    fail!(
                        "the legacy path entered ({status:?}) though its lookup should be EACCES"
                    );
                }
            }
        }
        match run_inside(sandbox, |_| Ok(format!("root={:?}\n", listing("/")?))) {
            Ok(out) => {
                ensure_eq!(need(&out.report, "root")?, "{\"marker\"}", "/ inside");
                Ok(())
            }
            // Unprivileged, the user namespace may search its own uid's directories
            // whatever their mode, and then the legacy path gets through too; if not, its
            // error must name the bind and EACCES.
            Err(Fail::Failed(msg)) if api == MountApi::Legacy => {
                ensure!(
                    msg.contains("failed at bind-shared-dir") && msg.contains("Permission denied"),
                    "the legacy path's error should name the bind and EACCES: {msg}"
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    });
    chmod(&parent, 0o700)?;
    result
}

/// Symlinks in the shared dir to `/etc/shadow`, `/etc`, `../../..` and a host path
/// resolve inside the new root.
fn symlinks_inside_resolve_inside_the_new_root(api: MountApi) -> TestResult {
    let (top, shared) = shared_dir_with_marker()?;
    std::fs::write(top.path().join("outside"), "host").map_err(io_ctx("write"))?;
    let abs_outside = top.path().join("outside");
    for (name, target) in [
        ("shadow", Path::new("/etc/shadow")),
        ("host-etc", Path::new("/etc")),
        ("up", Path::new("../../..")),
        ("out-link", Path::new("../outside")),
        ("abs-outside", abs_outside.as_path()),
    ] {
        symlink(target, shared.join(name)).map_err(io_ctx("symlink"))?;
    }
    let sandbox = prepare(Sandbox::builder(&shared).mount_api(api))?;
    run_inside(sandbox, |_| {
        for p in [
            "/shadow",
            "/host-etc/shadow",
            "/host-etc",
            "/out-link",
            "/abs-outside",
            "/up/outside",
        ] {
            ensure_eq!(
                errno_of(std::fs::metadata(p)),
                Some(libc::ENOENT),
                "{p} resolves inside"
            );
        }
        let root = dev_ino("/")?;
        ensure_eq!(dev_ino("/up")?, root, "/up is /");
        ensure!(Path::new("/up/up/marker").exists(), "/up/up/marker");
        Ok(String::new())
    })?;
    Ok(())
}

/// Many sandboxes are built over `top/p/shared` (marker-a); then a separate process keeps
/// swapping `top/p` for a symlink to `top/q` (whose `shared` holds marker-b) and back,
/// while each sandbox enters in turn. Every sandbox that enters shows marker-a and never
/// marker-b; the new API always enters (it resolves no path); the legacy path may refuse
/// with a bind error when the swap hits its one lookup, but never follows it.
fn parent_swapped_for_a_symlink_while_entering_never_redirects_the_mount(
    api: MountApi,
) -> TestResult {
    const ENTERS: usize = 40;
    let top = test_support::temp_dir()?;
    let (p, q) = (top.path().join("p"), top.path().join("q"));
    for (d, m) in [(&p, "marker-a"), (&q, "marker-b")] {
        mkdir(&d.join("shared"))?;
        std::fs::write(d.join("shared").join(m), m).map_err(io_ctx("write"))?;
    }
    let sandboxes = (0..ENTERS)
        .map(|_| prepare(Sandbox::builder(p.join("shared")).mount_api(api)))
        .collect::<Result<Vec<_>, _>>()?;
    let (p_real, q_s) = (top.path().join("p.real"), q.clone());
    let p_s = p.clone();
    let p_real_s = p_real.clone();
    // The swapper needs no descriptor: it must not hold the harness's pipes open.
    let swapper = fork_process(move || {
        // SAFETY: close_range takes integers; this forked process never uses or drops the
        // owners of what it closes (it ends through _exit).
        unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
        loop {
            if std::fs::rename(&p_s, &p_real_s).is_err() || symlink(&q_s, &p_s).is_err() {
                return 1;
            }
            std::thread::sleep(Duration::from_micros(50));
            if std::fs::remove_file(&p_s).is_err() || std::fs::rename(&p_real_s, &p_s).is_err() {
                return 1;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    })?;
    let mut entered = 0;
    let mut refused = Vec::new();
    let mut result = Ok(());
    for sandbox in sandboxes {
        // A process enters once: each sandbox in a process of its own.
        let run = test_support::in_child(move || {
            let out = run_inside(sandbox, |_| Ok(format!("root={:?}\n", listing("/")?)))?;
            let root = need(&out.report, "root")?;
            ensure_eq!(root, "{\"marker-a\"}", "the root inside");
            Ok(())
        });
        match run {
            Ok(()) => entered += 1,
            Err(Fail::Failed(msg))
                if api == MountApi::Legacy && msg.contains("failed at bind-shared-dir") =>
            {
                refused.push(msg);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let _ = kill(swapper, libc::SIGKILL);
    let swapper_end = waitpid(swapper)?;
    result?;
    ensure_eq!(
        swapper_end,
        Ended::Signal(libc::SIGKILL),
        "the swapper kept swapping"
    );
    if api == MountApi::New {
        ensure_eq!(
            entered,
            ENTERS,
            "the new API entered every time: {refused:?}"
        );
    } else {
        ensure!(entered > 0, "the legacy path never entered: {refused:?}");
    }
    println!("entered {entered} of {ENTERS}, refused {}", refused.len());
    Ok(())
}

// =======================================================================================
// Propagation.

/// In a namespace of our own where the shared dir is a shared mount with a tmpfs at
/// `early/`, enters with `propagation`; a helper in our namespace then mounts a tmpfs at
/// `late/` and unmounts `early/`. Reports what the sandbox sees (`early`, `late`), and that
/// a tmpfs the sandbox mounts at `/mine` never reaches our namespace.
fn propagation_seen_inside(api: MountApi, propagation: Propagation) -> Result<(bool, bool), Fail> {
    let (_top, shared) = shared_dir_with_marker()?;
    let (early, late, mine) = (
        shared.join("early"),
        shared.join("late"),
        shared.join("mine"),
    );
    let (seen_r, seen_w) = pipe()?;
    test_support::in_child(|| {
        own_private_mount_namespace()?;
        mount(Some(&shared), &shared, None, libc::MS_BIND)?;
        mount(None, &shared, None, libc::MS_SHARED)?;
        for d in [&early, &late, &mine] {
            mkdir(d)?;
        }
        mount_tmpfs(&early)?;
        std::fs::write(early.join("f"), "x").map_err(io_ctx("write early/f"))?;
        // The helper acts in our namespace on request (the sandbox's original process
        // moves to new user and pid namespaces). Bytes on the command pipe: 'm' change,
        // 'q' quit (not EOF: the sandboxed child inherits the write end).
        let (cmd_r, cmd_w) = pipe()?;
        let (ack_r, ack_w) = pipe()?;
        let (late_h, early_h) = (late.clone(), early.clone());
        let helper = fork_process(move || {
            let mut cmd_r = cmd_r;
            if !wait_go(&mut cmd_r) {
                return 0;
            }
            let r = mount_tmpfs(&late_h)
                .and_then(|()| {
                    std::fs::write(late_h.join("f"), "x").map_err(io_ctx("write late/f"))
                })
                .and_then(|()| umount(&early_h));
            send(ack_w, if r.is_ok() { "k" } else { "e" });
            wait_go(&mut cmd_r);
            0
        })?;
        let mut cmd_w = cmd_w;
        let mut ack_r = ack_r;
        let result = (|| {
            // The sandbox mounts something itself to show it stays inside: that needs
            // CAP_SYS_ADMIN, which the sandbox drops unless kept, and no Landlock layer,
            // which forbids mount(2) to the process it restricts.
            let sandbox = prepare(
                Sandbox::builder(&shared)
                    .propagation(propagation)
                    .mount_api(api)
                    .keep_capabilities(sandbox::CapabilitySet::SYS_ADMIN)
                    .seccomp(default_filter_allowing(&["mount", "umount2"]))
                    .landlock(false),
            )?;
            run_inside_with(
                sandbox,
                0,
                |_| {
                    use std::io::Write;
                    cmd_w.write_all(b"m").map_err(io_ctx("ask the helper"))?;
                    expect(&mut ack_r, "k")
                },
                |_| {
                    mount_tmpfs(Path::new("/mine"))?;
                    std::fs::write("/mine/f", "x").map_err(io_ctx("write /mine/f"))?;
                    Ok(format!(
                        "early={}\nlate={}\n",
                        Path::new("/early/f").exists(),
                        Path::new("/late/f").exists()
                    ))
                },
            )
        })();
        {
            use std::io::Write;
            let _ = cmd_w.write_all(b"q");
        }
        let _ = waitpid(helper);
        let out = result?;
        // Nothing the sandbox mounted is here; our own changes are.
        let points = mount_points()?;
        ensure!(
            !points.contains(&mine),
            "the sandbox's /mine reached our namespace"
        );
        ensure!(
            !mine.join("f").exists(),
            "the sandbox's /mine/f is visible here"
        );
        ensure!(points.contains(&late), "control: our late mount");
        ensure!(!points.contains(&early), "control: our unmount of early");
        send(
            seen_w,
            &format!(
                "{} {}",
                need(&out.report, "early")?,
                need(&out.report, "late")?
            ),
        );
        Ok(())
    })?;
    let seen = receive(seen_r);
    Ok((seen.starts_with("true"), seen.ends_with("true")))
}

fn slave_propagation_brings_host_mounts_and_unmounts_in_and_nothing_out(
    api: MountApi,
) -> TestResult {
    let (early, late) = propagation_seen_inside(api, Propagation::Slave)?;
    ensure!(
        late,
        "a mount made on the host after enter is not visible inside"
    );
    ensure!(
        !early,
        "a host mount unmounted after enter is still visible inside"
    );
    Ok(())
}

fn private_propagation_brings_nothing_in_and_nothing_out(api: MountApi) -> TestResult {
    let (early, late) = propagation_seen_inside(api, Propagation::Private)?;
    ensure!(
        !late,
        "a mount made on the host after enter reached a private sandbox"
    );
    ensure!(
        early,
        "a host unmount after enter reached a private sandbox"
    );
    Ok(())
}

// =======================================================================================
// Choosing the path: a seccomp filter refuses the new mount API.

/// Installs a seccomp filter under which every system call in `nrs` fails with `errno`;
/// every other call is allowed. Inherited by the sandboxed child.
fn refuse_syscalls(nrs: &[libc::c_long], errno: i32) -> TestResult {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let jeq = |k: u32, jt: u8, jf: u8| jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
    let n = nrs.len() as u8;
    let mut prog = vec![
        stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        jeq(AUDIT_ARCH, 1, 0),
        stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW),
        stmt(BPF_LD | BPF_W | BPF_ABS, 0),
    ];
    // Call i jumps over the remaining n-1-i comparisons and the allow, to the refusal.
    for (i, nr) in nrs.iter().enumerate() {
        prog.push(jeq(*nr as u32, n - i as u8, 0));
    }
    prog.push(stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW));
    prog.push(stmt(
        BPF_RET | BPF_K,
        libc::SECCOMP_RET_ERRNO | (errno as u32 & 0xffff),
    ));
    install_seccomp_filter(&prog)
}

const NEW_MOUNT_API: [libc::c_long; 6] = [
    libc::SYS_open_tree,
    libc::SYS_move_mount,
    libc::SYS_mount_setattr,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
];

/// Enters read-only over a shared dir with a `sub` dir, and checks EROFS inside.
fn enter_read_only(api: MountApi) -> Result<(), Fail> {
    let (_top, shared) = shared_dir_with_marker()?;
    mkdir(&shared.join("sub"))?;
    let sandbox = prepare(Sandbox::builder(&shared).read_only(true).mount_api(api))?;
    run_inside(sandbox, |_| {
        for p in ["/new", "/sub/new"] {
            ensure_eq!(write_errno(p), libc::EROFS, "create {p}");
        }
        ensure!(Path::new("/marker").exists(), "/marker");
        Ok(String::new())
    })?;
    Ok(())
}

/// With every call of the new mount API failing (EDOM, an errno nothing falls back on),
/// the legacy path still enters read-only: it uses none of them.
fn legacy_path_works_where_the_new_mount_api_is_refused() -> TestResult {
    refuse_syscalls(&NEW_MOUNT_API, libc::EDOM)?;
    enter_read_only(MountApi::Legacy)
}

/// Under a filter that answers ENOSYS for the new mount API (a kernel before 5.2, or a
/// seccomp profile): `MountApi::New` fails at the bind with ENOSYS, `Auto` falls back.
fn new_path_does_not_fall_back_and_auto_does() -> TestResult {
    refuse_syscalls(&NEW_MOUNT_API, libc::ENOSYS)?;
    let (_top, shared) = shared_dir_with_marker()?;
    let sandbox = prepare(Sandbox::builder(&shared).mount_api(MountApi::New))?;
    // A process enters once: this attempt in a process of its own.
    test_support::in_child(|| {
        match sandbox.enter() {
            Err(e @ Error::Setup { .. }) => {
                ensure_eq!(e.step(), Some(Step::BindSharedDir), "{e}");
                ensure_eq!(
                    e.errno().map(|e| e.raw_os_error()),
                    Some(libc::ENOSYS),
                    "{e}"
                );
            }
            Ok(Entered::Inside(_)) => exit_now(0),
            other => fail!("expected a bind error with ENOSYS, got {other:?}"),
        }
        Ok(())
    })?;
    enter_read_only(MountApi::Auto)
}

/// A kernel with `open_tree` but without `mount_setattr` (5.2 to 5.11, ENOSYS), or a
/// seccomp profile that refuses it (EPERM): `Auto` binds with the new API and makes the
/// tree read-only with the remount walk.
fn auto_falls_back_to_a_remount_walk_without_mount_setattr() -> TestResult {
    for errno in [libc::ENOSYS, libc::EPERM] {
        // A filter stays for good: each in a process of its own.
        test_support::in_child(|| {
            refuse_syscalls(&[libc::SYS_mount_setattr], errno)?;
            enter_read_only(MountApi::Auto)
        })?;
    }
    Ok(())
}
