//! The namespaces row and the id maps row: the process's namespaces, read live through a
//! pidfd of its own, against the original process's.

use rustix::io::Errno;

use super::expected::{namespace_id, own_pidfd, Proc};
use super::{errno_name, AuditRow, Check, Expected};
use crate::{IdMap, Mode, NamespaceId, Namespaces};

/// The ids of the namespaces the sandbox created, as the kernel says now.
pub(super) type Live = Vec<(Namespaces, Result<NamespaceId, Errno>)>;

/// Reads the ids of the created namespaces: one pidfd, then an ioctl and an fstat each.
pub(super) fn read(expected: &Expected) -> Live {
    if expected.created.is_empty() {
        return Vec::new();
    }
    let pidfd = own_pidfd();
    expected
        .created
        .iter()
        .map(|ns| (ns, namespace_id(pidfd.as_ref(), ns, Proc::Never)))
        .collect()
}

/// Why an id could not be read.
fn unreadable(errno: Errno) -> String {
    match errno {
        Errno::NOTTY => "not readable: PIDFD_GET_*_NAMESPACE needs Linux 6.11 (ENOTTY)".into(),
        Errno::NOSYS => "not readable: pidfd_open needs Linux 5.3 (ENOSYS)".into(),
        e => format!("not readable ({})", errno_name(e)),
    }
}

pub(super) fn namespaces(expected: &Expected, live: &Live) -> AuditRow {
    if expected.mode != Mode::Namespace {
        return AuditRow::not_applicable(
            Check::Namespaces,
            format!("none ({})", mode_name(expected.mode)),
            "not checked",
        );
    }
    let mut problems = Vec::new();
    for (ns, now) in live {
        let name = ns.proc_name().unwrap_or("?");
        let before = expected.before.namespace(*ns);
        match (now, before) {
            (Err(e), _) => problems.push(format!("{name}: {}", unreadable(*e))),
            (Ok(_), None | Some(Err(_))) => problems.push(format!(
                "{name}: the original process's was not readable at entering"
            )),
            (Ok(now), Some(Ok(before))) if now == before => problems.push(format!(
                "{name}: the original process's ({name}:[{}])",
                now.ino
            )),
            (Ok(_), Some(Ok(_))) => {}
        }
    }
    let holds = problems.is_empty();
    let found = match holds {
        true => format!("all {} differ from the original process's", live.len()),
        false => problems.join("; "),
    };
    AuditRow::new(
        Check::Namespaces,
        format!("new {}", expected.created),
        found,
        holds,
    )
}

/// `0 1000 1, 1 100000 65536`: the lines of a map.
fn map_text(map: &[IdMap]) -> String {
    let lines: Vec<String> = map.iter().map(IdMap::to_string).collect();
    match lines.is_empty() {
        true => "empty".into(),
        false => lines.join(", "),
    }
}

fn sorted(map: &[IdMap]) -> Vec<IdMap> {
    let mut map = map.to_vec();
    map.sort_by_key(|m| (m.inside, m.outside, m.count));
    map
}

pub(super) fn id_maps(expected: &Expected, live: &Live) -> AuditRow {
    let Some(user_ns) = &expected.user_ns else {
        let why = match expected.mode {
            Mode::Namespace => "no user namespace made (root, or one joined)".to_owned(),
            mode => format!("no user namespace ({})", mode_name(mode)),
        };
        return AuditRow::not_applicable(Check::IdMaps, why, "not checked");
    };
    let Some((uid, gid)) = &user_ns.asked else {
        return AuditRow::new(
            Check::IdMaps,
            "the maps asked for",
            "the maps asked for were not taken at entering",
            false,
        );
    };
    let expected_text = format!("uid {}; gid {}", map_text(uid), map_text(gid));
    let (read_uid, read_gid) = match &user_ns.read {
        Ok(maps) => maps,
        Err(e) => {
            return AuditRow::new(
                Check::IdMaps,
                expected_text,
                format!("not read at entering: {e}"),
                false,
            )
        }
    };
    let same_maps = sorted(read_uid) == sorted(uid) && sorted(read_gid) == sorted(gid);
    let maps = format!("uid {}; gid {}", map_text(read_uid), map_text(read_gid));
    let now = live
        .iter()
        .find(|(ns, _)| *ns == Namespaces::USER)
        .map(|(_, id)| id);
    let (still_there, where_now) = match (&user_ns.id, now) {
        (Ok(then), Some(Ok(now))) if then == now => {
            (true, "the same user namespace now".to_owned())
        }
        (Ok(_), Some(Ok(now))) => (
            false,
            format!(
                "but the process is in another user namespace now (user:[{}])",
                now.ino
            ),
        ),
        (Ok(_), Some(Err(e))) => (false, format!("user namespace now {}", unreadable(*e))),
        (Ok(_), None) => (false, "user namespace now not read".to_owned()),
        (Err(e), _) => (false, format!("user namespace at entering not read: {e}")),
    };
    let maps = match same_maps {
        true => "as asked".to_owned(),
        false => maps,
    };
    AuditRow::new(
        Check::IdMaps,
        expected_text,
        format!("{maps} (read at entering), {where_now}"),
        same_maps && still_there,
    )
}

/// `Mode::None`, ...
pub(super) fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Namespace => "Mode::Namespace",
        Mode::Landlock => "Mode::Landlock",
        Mode::Chroot => "Mode::Chroot",
        Mode::None => "Mode::None",
    }
}
