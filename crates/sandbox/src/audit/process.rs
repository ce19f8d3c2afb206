//! The rows about the process itself: capabilities, no_new_privs, seccomp, session and
//! keyring, each from its `prctl(2)`, `capget(2)`, `getsid(2)` or `keyctl(2)`.

use std::os::fd::AsFd;

use rustix::fs::{Mode as FileMode, OFlags};
use rustix::io::Errno;
use rustix::thread::{CapabilitySet, SecureComputingMode};

use super::namespaces::mode_name;
use super::{errno_name, AuditRow, Check, Expected};
use crate::{Namespaces, ProcSelfFd};

/// The five capability sets, as the kernel says now.
struct Sets {
    effective: CapabilitySet,
    permitted: CapabilitySet,
    inheritable: CapabilitySet,
    ambient: CapabilitySet,
    bounding: CapabilitySet,
}

/// `capget(2)`, then `PR_CAPBSET_READ` for each capability up to the kernel's last (the
/// first `EINVAL`), and `PR_CAP_AMBIENT_IS_SET` for each one both permitted and
/// inheritable: the kernel keeps no other in the ambient set.
fn read_sets() -> Result<Sets, Errno> {
    let sets = rustix::thread::capabilities(None)?;
    let mut bounding = CapabilitySet::empty();
    for bit in 0..64 {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        match rustix::thread::capability_is_in_bounding_set(cap) {
            Ok(true) => bounding |= cap,
            Ok(false) => {}
            Err(Errno::INVAL) => break,
            Err(e) => return Err(e),
        }
    }
    let mut ambient = CapabilitySet::empty();
    for (_, cap) in (sets.permitted & sets.inheritable).iter_names() {
        match rustix::thread::capability_is_in_ambient_set(cap) {
            Ok(true) => ambient |= cap,
            // EINVAL before Linux 4.3, which has no ambient set.
            Ok(false) | Err(Errno::INVAL) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Sets {
        effective: sets.effective,
        permitted: sets.permitted,
        inheritable: sets.inheritable,
        ambient,
        bounding,
    })
}

/// `none`, `CHOWN|KILL`, or `38 capabilities` past a handful.
fn caps_text(set: CapabilitySet) -> String {
    let names: Vec<&str> = set.iter_names().map(|(name, _)| name).collect();
    match names.len() {
        0 => "none".into(),
        n if n > 6 => format!("{n} capabilities"),
        _ => names.join("|"),
    }
}

pub(super) fn capabilities(expected: &Expected) -> AuditRow {
    let sets = read_sets();
    let Some(keep) = expected.keep_caps else {
        let found = match &sets {
            Ok(s) => format!("effective {}", caps_text(s.effective)),
            Err(e) => format!("not read ({})", errno_name(*e)),
        };
        return AuditRow::not_applicable(
            Check::Capabilities,
            format!("not dropped ({})", mode_name(expected.mode)),
            found,
        );
    };
    let asked = match keep.is_empty() {
        true => "none, in all 5 sets".to_owned(),
        false => format!("only {}", caps_text(keep)),
    };
    let sets = match sets {
        Ok(sets) => sets,
        Err(e) => {
            let found = format!("not read ({})", errno_name(e));
            return AuditRow::new(Check::Capabilities, asked, found, false);
        }
    };
    let named = [
        ("effective", sets.effective),
        ("permitted", sets.permitted),
        ("inheritable", sets.inheritable),
        ("ambient", sets.ambient),
        ("bounding", sets.bounding),
    ];
    let extra: Vec<String> = named
        .iter()
        .filter(|(name, _)| !(expected.bounding_fixed && *name == "bounding"))
        .filter(|(_, set)| !(*set - keep).is_empty())
        .map(|(name, set)| format!("{name} {}", caps_text(*set)))
        .collect();
    let holds = extra.is_empty();
    let found = match (holds, sets.effective.union(sets.bounding).is_empty()) {
        (true, true) => "none in any set".to_owned(),
        (true, false) => format!(
            "effective {}, bounding {}, none other",
            caps_text(sets.effective),
            caps_text(sets.bounding)
        ),
        (false, _) => extra.join("; "),
    };
    AuditRow::new(Check::Capabilities, asked, found, holds)
}

pub(super) fn no_new_privs(expected: &Expected) -> AuditRow {
    let found = rustix::thread::no_new_privs();
    let found_text = match found {
        Ok(true) => "set".to_owned(),
        Ok(false) => "not set".to_owned(),
        Err(e) => format!("not read ({})", errno_name(e)),
    };
    match expected.no_new_privs {
        Some(why) => AuditRow::new(
            Check::NoNewPrivs,
            format!("set ({why})"),
            found_text,
            found == Ok(true),
        ),
        None => AuditRow::not_applicable(Check::NoNewPrivs, "not required", found_text),
    }
}

/// `Seccomp_filters:` of the process's `status`, reached as `../status` from the proc-fd
/// handle: where the handle's parent is `/proc/<pid>` (not in [`Mode::Namespace`], whose
/// handle has no parent).
fn filter_count(handle: &ProcSelfFd) -> Option<u32> {
    let fd = rustix::fs::openat(
        handle.as_fd(),
        "../status",
        OFlags::RDONLY | OFlags::CLOEXEC,
        FileMode::empty(),
    )
    .ok()?;
    let mut text = Vec::with_capacity(2048);
    let mut buf = [0u8; 2048];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
            Err(Errno::INTR) => continue,
            Err(_) => return None,
        }
    }
    String::from_utf8_lossy(&text)
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp_filters:"))
        .and_then(|n| n.trim().parse().ok())
}

pub(super) fn seccomp(expected: &Expected, handle: &ProcSelfFd) -> AuditRow {
    let mode = rustix::thread::secure_computing_mode();
    let mut found = match mode {
        Ok(SecureComputingMode::Filter) => "filter mode".to_owned(),
        Ok(SecureComputingMode::Strict) => "strict mode".to_owned(),
        Ok(SecureComputingMode::Disabled) => "no filter".to_owned(),
        Err(e) => format!("not read ({})", errno_name(e)),
    };
    if mode == Ok(SecureComputingMode::Filter) {
        if let Some(n) = filter_count(handle) {
            found = format!("{found}, {n} filter(s)");
        }
    }
    match expected.filter {
        true => AuditRow::new(
            Check::Seccomp,
            "filter mode",
            found,
            mode == Ok(SecureComputingMode::Filter),
        ),
        false => {
            AuditRow::not_applicable(Check::Seccomp, "no filter asked (Filter::none())", found)
        }
    }
}

pub(super) fn session(expected: &Expected) -> AuditRow {
    let (sid, pgid) = crate::sys::session_and_group();
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    let shown = |id: &Result<i32, Errno>| match id {
        Ok(0) => "0 (outside the pid namespace)".to_owned(),
        Ok(id) => id.to_string(),
        Err(e) => format!("not read ({})", errno_name(*e)),
    };
    let before = &expected.before;
    let found = format!(
        "session {}, group {}, pid {pid} (original process {}: {}, {})",
        shown(&sid),
        shown(&pgid),
        before.pid,
        shown(&before.sid),
        shown(&before.pgid)
    );
    let why_not = match expected.new_session {
        None => Some(format!("not applied ({})", mode_name(expected.mode))),
        Some(false) => Some("not asked (new_session(false))".to_owned()),
        Some(true) => None,
    };
    if let Some(why) = why_not {
        return AuditRow::not_applicable(Check::Session, why, found);
    }
    // The session's leader: this process, or under the minimal init the init (pid 1),
    // which started the session before forking the daemon.
    let (leader, asked) = match expected.init {
        true => (1, "the init's own (pid 1)"),
        false => (pid, "its own (leader: this process)"),
    };
    let own = sid == Ok(leader) && pgid == Ok(leader);
    // Without a pid namespace of its own the numbers are comparable with the original's.
    let apart =
        expected.created.contains(Namespaces::PID) || (sid != before.sid && pgid != before.pgid);
    AuditRow::new(Check::Session, asked, found, own && apart)
}

pub(super) fn keyring(expected: &Expected) -> AuditRow {
    let now = crate::sys::session_keyring_id();
    let before = expected.before.keyring;
    let found = match (now, before) {
        (Ok(id), Ok(was)) if id == was => format!("{id}, the original process's"),
        (Ok(id), Ok(was)) => format!("{id} (the original process's: {was})"),
        (Ok(id), Err(e)) => format!("{id} (the original process's not read: {})", errno_name(e)),
        (Err(e @ (Errno::PERM | Errno::NOSYS)), _) => {
            format!("keyctl refused ({}): no keyring reachable", errno_name(e))
        }
        (Err(e), _) => format!("not read ({})", errno_name(e)),
    };
    match (expected.mode, expected.new_keyring) {
        (_, Some(true)) => {
            let holds = match (now, before) {
                (Ok(id), Ok(was)) => id != was,
                (Err(Errno::PERM | Errno::NOSYS), _) => true,
                _ => false,
            };
            AuditRow::new(Check::Keyring, "a fresh session keyring", found, holds)
        }
        (_, Some(false)) => {
            AuditRow::not_applicable(Check::Keyring, "not asked (new_keyring(false))", found)
        }
        (mode, None) => AuditRow::not_applicable(
            Check::Keyring,
            format!("not applied ({})", mode_name(mode)),
            found,
        ),
    }
}
