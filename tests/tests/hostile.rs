//! Hostile names: the shared directory and the mounts below it named with what mountinfo
//! escapes (newline, tab, space, backslash) or could be mistaken for an escape (a literal
//! `\040`), what `d_path` appends to an unlinked name (` (deleted)`), bytes that are not
//! UTF-8, 255-byte components, a 4095-byte path, a path longer than a page, 200 levels,
//! and stacked mounts. Each scenario enters a `read_only(true)` sandbox and checks from
//! inside that every submount is there (its marker file, a tmpfs) and refuses writes
//! with `EROFS`, on both mount paths (`_new_api`, `_legacy`), as root and as uid 65534
//! (then the sandbox sits in a user namespace, and the mounts it inherits are locked).
//!
//! The mounts are made in a mount namespace of the scenario's own, in a forked child,
//! private to it: the host's mount table is never touched, and the scenario checks that
//! its own is the same after entering as before.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::*;
use sandbox::{Entered, MountApi, Sandbox, Step};
use test_support::{ensure, ensure_eq, fail, Fail, TestResult};

on_both_paths! {
    submounts_named_with_what_mountinfo_escapes_are_read_only_inside
        => submounts_named_with_what_mountinfo_escapes_are_read_only_inside_new_api,
           submounts_named_with_what_mountinfo_escapes_are_read_only_inside_legacy;
    a_shared_dir_named_with_newlines_backslashes_and_deleted_is_read_only_inside
        => a_shared_dir_named_with_newlines_backslashes_and_deleted_is_read_only_inside_new_api,
           a_shared_dir_named_with_newlines_backslashes_and_deleted_is_read_only_inside_legacy;
    names_that_are_not_utf8_are_read_only_inside
        => names_that_are_not_utf8_are_read_only_inside_new_api,
           names_that_are_not_utf8_are_read_only_inside_legacy;
    names_of_255_bytes_are_read_only_inside
        => names_of_255_bytes_are_read_only_inside_new_api,
           names_of_255_bytes_are_read_only_inside_legacy;
    a_shared_dir_path_of_4095_bytes_is_read_only_inside
        => a_shared_dir_path_of_4095_bytes_is_read_only_inside_new_api,
           a_shared_dir_path_of_4095_bytes_is_read_only_inside_legacy;
    a_shared_dir_path_longer_than_a_page_is_read_only_inside
        => a_shared_dir_path_longer_than_a_page_is_read_only_inside_new_api,
           a_shared_dir_path_longer_than_a_page_is_read_only_inside_legacy;
    a_shared_dir_and_a_submount_200_levels_deep_are_read_only_inside
        => a_shared_dir_and_a_submount_200_levels_deep_are_read_only_inside_new_api,
           a_shared_dir_and_a_submount_200_levels_deep_are_read_only_inside_legacy;
    stacked_nested_and_covered_submounts_are_read_only_inside
        => stacked_nested_and_covered_submounts_are_read_only_inside_new_api,
           stacked_nested_and_covered_submounts_are_read_only_inside_legacy;
    a_shared_dir_removed_after_build_never_leads_to_a_decoy_named_deleted
        => a_shared_dir_removed_after_build_never_leads_to_a_decoy_named_deleted_new_api,
           a_shared_dir_removed_after_build_never_leads_to_a_decoy_named_deleted_legacy;
    a_strictatime_submount_is_read_only_and_still_strictatime_inside
        => a_strictatime_submount_is_read_only_and_still_strictatime_inside_new_api,
           a_strictatime_submount_is_read_only_and_still_strictatime_inside_legacy;
}

fn main() {
    test_support::main(test_support::scenarios![
        submounts_named_with_what_mountinfo_escapes_are_read_only_inside_new_api,
        submounts_named_with_what_mountinfo_escapes_are_read_only_inside_legacy,
        a_shared_dir_named_with_newlines_backslashes_and_deleted_is_read_only_inside_new_api,
        a_shared_dir_named_with_newlines_backslashes_and_deleted_is_read_only_inside_legacy,
        names_that_are_not_utf8_are_read_only_inside_new_api,
        names_that_are_not_utf8_are_read_only_inside_legacy,
        names_of_255_bytes_are_read_only_inside_new_api,
        names_of_255_bytes_are_read_only_inside_legacy,
        a_shared_dir_path_of_4095_bytes_is_read_only_inside_new_api,
        a_shared_dir_path_of_4095_bytes_is_read_only_inside_legacy,
        a_shared_dir_path_longer_than_a_page_is_read_only_inside_new_api,
        a_shared_dir_path_longer_than_a_page_is_read_only_inside_legacy,
        a_shared_dir_and_a_submount_200_levels_deep_are_read_only_inside_new_api,
        a_shared_dir_and_a_submount_200_levels_deep_are_read_only_inside_legacy,
        stacked_nested_and_covered_submounts_are_read_only_inside_new_api,
        stacked_nested_and_covered_submounts_are_read_only_inside_legacy,
        a_shared_dir_removed_after_build_never_leads_to_a_decoy_named_deleted_new_api,
        a_shared_dir_removed_after_build_never_leads_to_a_decoy_named_deleted_legacy,
        a_strictatime_submount_is_read_only_and_still_strictatime_inside_new_api,
        a_strictatime_submount_is_read_only_and_still_strictatime_inside_legacy,
    ])
}

// =======================================================================================
// Set-up and the check inside.

/// The names mountinfo escapes as octal (`\012`, `\011`, `\040`, `\134`), one that reads
/// like an escape, and one that reads like `d_path`'s mark of an unlinked file.
const ESCAPED_NAMES: [&[u8]; 8] = [
    b"new\nline",
    b"tab\there",
    b"sp ace",
    b"back\\slash",
    b"literal\\040escape",
    b"x (deleted)",
    b"trailing-space ",
    b"\\",
];

fn path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

fn mkdir(path: &Path) -> TestResult {
    std::fs::create_dir_all(path).map_err(io_ctx(format!("mkdir {path:?}")))
}

/// A submount to check inside: its path relative to the shared dir, and the name of the
/// marker file only its own tmpfs holds.
struct Submount {
    rel: PathBuf,
    marker: String,
}

/// Mounts a tmpfs (nosuid, nodev) on `shared/rel`, making the directory first, and puts
/// a marker file in it.
fn mount_marked(shared: &Path, rel: &Path, marker: &str) -> Result<Submount, Fail> {
    let at = shared.join(rel);
    mkdir(&at)?;
    mount_tmpfs(&at)?;
    std::fs::write(at.join(marker), marker).map_err(io_ctx(format!("write {marker} in {at:?}")))?;
    Ok(Submount {
        rel: rel.to_path_buf(),
        marker: marker.to_string(),
    })
}

/// The errno of creating a file at `path` (0 when it worked).
fn write_errno(path: &Path) -> i32 {
    errno_of(std::fs::write(path, "x")).unwrap_or(0)
}

/// This process's mountinfo as bytes (names need not be UTF-8), to compare.
fn mountinfo() -> Result<Vec<u8>, Fail> {
    std::fs::read("/proc/self/mountinfo").map_err(io_ctx("read /proc/self/mountinfo"))
}

/// Enters a `read_only(true)` sandbox over `shared` on `api`. Inside: writes at the root
/// are `EROFS`; each submount holds its marker (it is the tmpfs, not the directory it
/// covers), is a tmpfs, and refuses a new file and a new directory with `EROFS`. Out here
/// the mount table is the same after as before.
fn enter_read_only(shared: &Path, api: MountApi, submounts: Vec<Submount>) -> TestResult {
    let before = mountinfo()?;
    let count = submounts.len();
    let sandbox = prepare(Sandbox::builder(shared).read_only(true).mount_api(api))?;
    let out = run_inside(sandbox, move |_| {
        ensure_eq!(write_errno(Path::new("/new")), libc::EROFS, "create /new");
        for sub in &submounts {
            let dir = Path::new("/").join(&sub.rel);
            ensure!(
                dir.join(&sub.marker).exists(),
                "{dir:?} holds {}: it is the submount",
                sub.marker
            );
            let fs =
                rustix::fs::statfs(&dir).map_err(|e| failed(format!("statfs {dir:?}: {e}")))?;
            ensure_eq!(fs.f_type, libc::TMPFS_MAGIC, "{dir:?} is a tmpfs");
            ensure_eq!(
                write_errno(&dir.join("new")),
                libc::EROFS,
                "create in {dir:?}"
            );
            ensure_eq!(
                errno_of(std::fs::create_dir(dir.join("d"))),
                Some(libc::EROFS),
                "mkdir in {dir:?}"
            );
        }
        Ok(format!("checked={}\n", submounts.len()))
    })?;
    ensure_eq!(
        need(&out.report, "checked")?,
        count.to_string(),
        "submounts checked"
    );
    ensure!(mountinfo()? == before, "our mount table is the same after");
    Ok(())
}

/// Runs `f` in a forked child with a private mount namespace of its own, where it may
/// mount (a user namespace too when not root).
fn with_own_mounts(f: impl FnOnce() -> TestResult) -> TestResult {
    test_support::in_child(|| {
        own_private_mount_namespace()?;
        f()
    })
}

// =======================================================================================
// Scenarios.

/// A submount per name mountinfo escapes (and the lookalikes), below a plain shared dir,
/// plus one below each of them: the legacy remount walk finds each by its decoded
/// mountinfo path.
fn submounts_named_with_what_mountinfo_escapes_are_read_only_inside(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    with_own_mounts(|| {
        let mut subs = Vec::new();
        for (i, name) in ESCAPED_NAMES.iter().enumerate() {
            let rel = path(name);
            subs.push(mount_marked(&shared, &rel, &format!("marker-{i}"))?);
            subs.push(mount_marked(
                &shared,
                &rel.join(path(name)),
                &format!("inner-{i}"),
            )?);
        }
        enter_read_only(&shared, api, subs)
    })
}

/// The shared dir itself, and the directory above it, are named with a newline, a
/// backslash, a literal `\040` and ` (deleted)`; a submount too.
fn a_shared_dir_named_with_newlines_backslashes_and_deleted_is_read_only_inside(
    api: MountApi,
) -> TestResult {
    let top = test_support::temp_dir()?;
    let shared = top
        .path()
        .join(path(b"up\nper\\040 (deleted)"))
        .join(path(b"sha\nred\\ \\040 x (deleted)"));
    mkdir(&shared)?;
    with_own_mounts(|| {
        let sub = mount_marked(&shared, &path(b"s\nub (deleted)"), "marker")?;
        enter_read_only(&shared, api, vec![sub])
    })
}

/// Bytes that are not UTF-8 in the shared dir's name and in submounts' names.
fn names_that_are_not_utf8_are_read_only_inside(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let shared = top.path().join(path(b"shared-\xff\xfe"));
    mkdir(&shared)?;
    with_own_mounts(|| {
        let subs = vec![
            mount_marked(&shared, &path(b"\xc3\x28"), "marker-a")?,
            mount_marked(&shared, &path(b"\x80\n\xbf"), "marker-b")?,
            mount_marked(&shared, &path(b"\xed\xa0\x80 surrogate"), "marker-c")?,
        ];
        enter_read_only(&shared, api, subs)
    })
}

/// The longest name a component may have (255 bytes) for the shared dir and for a
/// submount, and one of 255 bytes that mountinfo escapes to four times its length.
fn names_of_255_bytes_are_read_only_inside(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let shared = top.path().join("s".repeat(255));
    mkdir(&shared)?;
    with_own_mounts(|| {
        let subs = vec![
            mount_marked(&shared, &path(&[b'm'; 255]), "marker-a")?,
            mount_marked(&shared, &path(&[b'\n'; 255]), "marker-b")?,
            mount_marked(&shared, &path(&[b'\\'; 255]), "marker-c")?,
        ];
        enter_read_only(&shared, api, subs)
    })
}

/// `base` followed by components of at most 255 bytes up to exactly `len` bytes.
fn path_of_length(base: &Path, len: usize) -> Result<PathBuf, Fail> {
    let mut p = base.to_path_buf();
    let mut i = 0;
    while p.as_os_str().len() < len {
        // A '/' and at least one byte; the last component takes what is left.
        let left = len - p.as_os_str().len() - 1;
        ensure!(left >= 1, "cannot reach {len} bytes from {}", p.display());
        let take = left.min(255);
        let take = if left - take == 1 { take - 1 } else { take };
        p.push(&format!("{i:03}").repeat(86)[..take]);
        i += 1;
    }
    ensure_eq!(p.as_os_str().len(), len, "the path's length");
    Ok(p)
}

/// An absolute path of 4095 bytes, the longest the kernel takes, to the shared dir; a
/// submount below it (its own path is then longer than any path the kernel takes).
fn a_shared_dir_path_of_4095_bytes_is_read_only_inside(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let shared = path_of_length(top.path(), 4095)?;
    mkdir(&shared)?;
    with_own_mounts(|| {
        // The submount's path is past 4095 bytes: mount it from inside the shared dir.
        std::env::set_current_dir(&shared).map_err(io_ctx("chdir into the shared dir"))?;
        let sub = mount_marked(Path::new("."), Path::new("sub"), "marker")?;
        enter_read_only(&shared, api, vec![sub])
    })
}

/// A shared dir more than 5,000 bytes from `/`, named relative to a directory on the way
/// (the kernel takes no absolute path that long), with a submount: no `/proc/self/fd`
/// link can name it, and the legacy path finds its bind in mountinfo (issue 16, item 6).
fn a_shared_dir_path_longer_than_a_page_is_read_only_inside(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let half = path_of_length(top.path(), 4000)?;
    mkdir(&half)?;
    let rest = PathBuf::from("r".repeat(255))
        .join("e".repeat(255))
        .join("s".repeat(255))
        .join("t".repeat(255))
        .join("shared");
    ensure!(
        half.as_os_str().len() + rest.as_os_str().len() > 4096,
        "the whole path is longer than a page"
    );
    std::env::set_current_dir(&half).map_err(io_ctx("chdir halfway"))?;
    mkdir(&rest)?;
    with_own_mounts(|| {
        let sub = mount_marked(&rest, Path::new("sub"), "marker")?;
        enter_read_only(&rest, api, vec![sub])
    })
}

/// The shared dir 200 levels below the temp dir, and a submount 200 levels below it.
fn a_shared_dir_and_a_submount_200_levels_deep_are_read_only_inside(api: MountApi) -> TestResult {
    let top = test_support::temp_dir()?;
    let levels = |n: usize| (0..n).map(|i| format!("{}", i % 10)).collect::<PathBuf>();
    let shared = top.path().join(levels(200));
    mkdir(&shared)?;
    with_own_mounts(|| {
        let subs = vec![
            mount_marked(&shared, &levels(200), "marker-deep")?,
            mount_marked(&shared, Path::new("near"), "marker-near")?,
        ];
        enter_read_only(&shared, api, subs)
    })
}

/// Two tmpfs stacked on one directory (the top one counts), a tmpfs inside a tmpfs, a
/// bind of that inner one elsewhere in the tree, and a tmpfs covered by one mounted later
/// on the directory above it (unreachable, so not checked): each visible one is
/// read-only inside.
fn stacked_nested_and_covered_submounts_are_read_only_inside(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    with_own_mounts(|| {
        let _below = mount_marked(&shared, Path::new("stack"), "marker-below")?;
        let stack = mount_marked(&shared, Path::new("stack"), "marker-stacked")?;
        let outer = mount_marked(&shared, Path::new("outer"), "marker-outer")?;
        let inner = mount_marked(&shared, Path::new("outer/inner"), "marker-inner")?;
        let alias = shared.join("alias");
        mkdir(&alias)?;
        mount(
            Some(&shared.join("outer/inner")),
            &alias,
            None,
            libc::MS_BIND,
        )?;
        let alias = Submount {
            rel: PathBuf::from("alias"),
            marker: "marker-inner".into(),
        };
        let _covered = mount_marked(&shared, Path::new("cover/hidden"), "marker-hidden")?;
        let cover = mount_marked(&shared, Path::new("cover"), "marker-cover")?;
        ensure!(
            !shared.join("cover/hidden").exists(),
            "control: the mount on cover hides cover/hidden"
        );
        enter_read_only(&shared, api, vec![stack, outer, inner, alias, cover])
    })
}

/// The shared dir is removed after `build()` and a directory named as `d_path` names
/// the removed one (`shared (deleted)`) takes its place in the parent, holding a decoy.
/// Entering fails at the bind (`ENOENT`: nothing can be mounted on a removed directory)
/// on both paths: the legacy path's lookup by the target's link text never reaches the
/// decoy.
fn a_shared_dir_removed_after_build_never_leads_to_a_decoy_named_deleted(
    api: MountApi,
) -> TestResult {
    let (top, shared) = shared_dir()?;
    let sandbox = prepare(Sandbox::builder(&shared).mount_api(api))?;
    std::fs::remove_dir(&shared).map_err(io_ctx("rmdir the shared dir"))?;
    let decoy = top.path().join("shared (deleted)");
    mkdir(&decoy)?;
    std::fs::write(decoy.join("decoy"), "decoy").map_err(io_ctx("write the decoy"))?;
    let link = std::fs::read_link(format!("/proc/self/fd/{}", shared_fd_of(&sandbox)?))
        .map_err(io_ctx("readlink the shared dir's descriptor"))?;
    ensure_eq!(
        link,
        decoy,
        "control: the link of the removed dir names the decoy"
    );
    match sandbox.enter() {
        Err(e) => {
            ensure_eq!(e.step(), Some(Step::BindSharedDir), "{e}");
            ensure_eq!(
                e.errno().map(|e| e.raw_os_error()),
                Some(libc::ENOENT),
                "{e}"
            );
        }
        Ok(Entered::Inside(_)) => exit_now(1),
        Ok(Entered::Parent(child)) => {
            let status = child.wait()?;
            fail!("entered a removed shared dir ({status:?})");
        }
    }
    ensure_eq!(
        listing(&decoy)?,
        ["decoy".to_string()].into_iter().collect(),
        "the decoy is untouched"
    );
    Ok(())
}

/// A tmpfs mounted `strictatime,nodiratime` below the shared dir: inside a read-only
/// sandbox it is read-only and still strictatime (neither `noatime` nor `relatime` in
/// statvfs). As uid 65534 its atime mode is locked, and a remount that changed it would
/// fail entering with `EPERM` (issue 16, item 5).
fn a_strictatime_submount_is_read_only_and_still_strictatime_inside(api: MountApi) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    with_own_mounts(|| {
        let sub = shared.join("strict");
        mkdir(&sub)?;
        mount(
            Some(Path::new("tmpfs")),
            &sub,
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_STRICTATIME | libc::MS_NODIRATIME,
        )?;
        let before = mountinfo()?;
        let sandbox = prepare(Sandbox::builder(&shared).read_only(true).mount_api(api))?;
        let out = run_inside(sandbox, |_| {
            let flags = rustix::fs::statvfs("/strict").map_err(failed)?.f_flag;
            Ok(format!(
                "ro={}\nnoatime={}\nrelatime={}\nwrite={}\n",
                flags.contains(rustix::fs::StatVfsMountFlags::RDONLY),
                flags.contains(rustix::fs::StatVfsMountFlags::NOATIME),
                flags.contains(rustix::fs::StatVfsMountFlags::RELATIME),
                write_errno(Path::new("/strict/new")),
            ))
        })?;
        for (fact_name, want) in [
            ("ro", "true".to_string()),
            ("noatime", "false".to_string()),
            ("relatime", "false".to_string()),
            ("write", libc::EROFS.to_string()),
        ] {
            ensure_eq!(need(&out.report, fact_name)?, want, "{fact_name} inside");
        }
        ensure!(mountinfo()? == before, "our mount table is the same after");
        Ok(())
    })
}

/// The number of the sandbox's descriptor on the shared dir: the one whose link names
/// the removed directory (` (deleted)`) among this process's.
fn shared_fd_of(_sandbox: &Prepared) -> Result<i32, Fail> {
    for entry in std::fs::read_dir("/proc/self/fd").map_err(io_ctx("list /proc/self/fd"))? {
        let entry = entry.map_err(io_ctx("list /proc/self/fd"))?;
        if let Ok(target) = std::fs::read_link(entry.path()) {
            if target
                .as_os_str()
                .as_bytes()
                .ends_with(b"/shared (deleted)")
            {
                if let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                    return Ok(fd);
                }
            }
        }
    }
    fail!("no descriptor of this process names a removed directory")
}
