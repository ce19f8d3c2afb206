//! The root row and the mounts row: what `/` is, and every mount the process can see,
//! from `stat(2)`, `listmount(2)` and `statmount(2)`.

use std::path::Path;

use sandbox_mount::{MountAttr, MountStatus};

use super::namespaces::mode_name;
use super::{errno_name, AuditRow, Check, Expected};
use crate::Mode;

/// The visible mounts, listed once for both rows ([`Mode::Namespace`] only).
pub(super) type Mounts = Option<Result<Vec<MountStatus>, sandbox_mount::Error>>;

pub(super) fn read(expected: &Expected) -> Mounts {
    (expected.mode == Mode::Namespace).then(sandbox_mount::visible_mounts)
}

/// Why the mounts could not be listed.
fn unlisted(e: &sandbox_mount::Error) -> String {
    match e.errno() {
        Some(rustix::io::Errno::NOSYS) => {
            "mounts not listed: listmount(2) and statmount(2) need Linux 6.8 (ENOSYS)".into()
        }
        _ => format!("mounts not listed: {e}"),
    }
}

/// `1 mount`, `3 mounts`.
fn count(n: usize) -> String {
    match n {
        1 => "1 mount".into(),
        n => format!("{n} mounts"),
    }
}

/// `8:1 inode 1234`.
fn identity_text((dev, ino): (u64, u64)) -> String {
    format!(
        "{}:{} inode {ino}",
        rustix::fs::major(dev),
        rustix::fs::minor(dev)
    )
}

pub(super) fn root(expected: &Expected, pivoted: bool, mounts: &Mounts) -> AuditRow {
    let (asked, mounts) = match (expected.mode, mounts) {
        (Mode::Namespace, Some(mounts)) if pivoted => {
            ("/ = the shared dir, no mount above it", Some(mounts))
        }
        (Mode::Namespace, _) => (
            "/ = the shared dir, the host's / (every host mount is inside)",
            None,
        ),
        (Mode::Chroot, _) => (
            "/ = the shared dir, no CAP_SYS_CHROOT (the host's mounts stay)",
            None,
        ),
        (mode, _) => {
            return AuditRow::not_applicable(
                Check::Root,
                format!("the host's / ({})", mode_name(mode)),
                "not checked",
            )
        }
    };
    let shared = match expected.shared {
        Ok(shared) => shared,
        Err(e) => {
            let found = format!("the shared dir was not read ({})", errno_name(e));
            return AuditRow::new(Check::Root, asked, found, false);
        }
    };
    let root = match rustix::fs::stat("/") {
        Ok(st) => (st.st_dev, st.st_ino),
        Err(e) => {
            let found = format!("stat / failed ({})", errno_name(e));
            return AuditRow::new(Check::Root, asked, found, false);
        }
    };
    let is_shared = root == shared;
    let mut found = match is_shared {
        true => format!("/ = the shared dir ({})", identity_text(root)),
        false => format!(
            "/ is {}, not the shared dir ({})",
            identity_text(root),
            identity_text(shared)
        ),
    };
    // A chroot holds only for a process that cannot chroot again: with CAP_SYS_CHROOT it
    // leaves (chroot into a subdirectory, then climb out of it with "..").
    let can_leave = expected.mode == Mode::Chroot
        && rustix::thread::capabilities(None)
            .map(|c| {
                c.permitted
                    .contains(rustix::thread::CapabilitySet::SYS_CHROOT)
            })
            .unwrap_or(true);
    if can_leave {
        found = format!("{found}, but CAP_SYS_CHROOT is permitted: a second chroot leaves it");
    }
    let mounts_hold = match mounts {
        None => true,
        Some(Err(e)) => {
            found = format!("{found}; {}", unlisted(e));
            false
        }
        Some(Ok(mounts)) => {
            // The old root, were it still attached, would be stacked on "/" (pivot_root(".",
            // ".") puts it there); a proc would show the host's or the sandbox's processes.
            let at_root = mounts
                .iter()
                .filter(|m| m.mount_point == Path::new("/"))
                .count();
            let procs: Vec<String> = mounts
                .iter()
                .filter(|m| m.magic == rustix::fs::PROC_SUPER_MAGIC as u64 || m.fs_type == "proc")
                .map(|m| m.mount_point.display().to_string())
                .collect();
            let mut parts = vec![count(mounts.len())];
            if at_root != 1 {
                parts.push(format!(
                    "{at_root} mounts at / (the old root is stacked on it)"
                ));
            }
            if !procs.is_empty() {
                parts.push(format!("a proc at {}", procs.join(", ")));
            }
            if at_root == 1 && procs.is_empty() {
                parts.push("no proc".into());
            }
            found = format!("{found}; {}", parts.join(", "));
            at_root == 1 && procs.is_empty()
        }
    };
    AuditRow::new(
        Check::Root,
        asked,
        found,
        is_shared && !can_leave && mounts_hold,
    )
}

pub(super) fn attributes(expected: &Expected, mounts: &Mounts) -> AuditRow {
    let Some(mounts) = mounts else {
        return AuditRow::not_applicable(
            Check::Mounts,
            format!("the host's mounts ({})", mode_name(expected.mode)),
            "not checked",
        );
    };
    let asked = match (expected.read_only, expected.nodev) {
        (true, true) => "all read-only, nodev",
        (true, false) => "all read-only (nodev(false))",
        (false, true) => "all nodev",
        (false, false) => {
            return AuditRow::not_applicable(
                Check::Mounts,
                "nothing asked (read-write, nodev(false))",
                "not checked",
            )
        }
    };
    let mounts = match mounts {
        Ok(mounts) => mounts,
        Err(e) => return AuditRow::new(Check::Mounts, asked, unlisted(e), false),
    };
    let mut problems = Vec::new();
    for m in mounts {
        let mut lacks = Vec::new();
        if expected.read_only && !m.is_read_only() {
            lacks.push("read-write");
        }
        if expected.nodev && !m.attributes.contains(MountAttr::NODEV) {
            lacks.push("dev");
        }
        if !lacks.is_empty() {
            problems.push(format!(
                "{} is {}",
                m.mount_point.display(),
                lacks.join(" and ")
            ));
        }
    }
    let holds = problems.is_empty();
    let found = match holds {
        true => format!("{}, {asked}", count(mounts.len())),
        false => problems.join("; "),
    };
    AuditRow::new(Check::Mounts, asked, found, holds)
}
