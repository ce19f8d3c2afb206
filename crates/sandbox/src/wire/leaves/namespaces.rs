//! `sandbox-namespaces`.

use super::super::{wire_by_bits, wire_enum, Reader, Writer};

wire_enum!(sandbox_namespaces::IdSide {
    0 => Inside,
    1 => Outside,
});

wire_by_bits!(sandbox_namespaces::Namespaces);

wire_enum!(sandbox_namespaces::IdMapToolStatus {
    0 => Exited(code),
    1 => Signaled(signal),
});

wire_enum!(sandbox_namespaces::IdMapError {
    0 => Empty,
    1 => TooManyEntries { entries },
    2 => ZeroCount { index },
    3 => Overflow { index, side, first, count },
    4 => Overlap { first, second, side },
    5 => TooLong { bytes, max },
});

wire_enum!(sandbox_namespaces::Error {
    0 => MultiThreaded { threads },
    1 => CountThreads { errno },
    2 => UnknownNamespaces { bits },
    3 => Unshare { namespaces, errno },
    4 => Setns { namespaces, errno },
    5 => OpenNamespace { path, errno },
    6 => StatNamespace { path, errno },
    7 => NotSingleNamespace { namespaces },
    8 => InvalidIdMap { file as id_map_file, reason },
    9 => WriteIdMap { path, errno },
    10 => ReadIdFile { path, errno },
    11 => IdMapToolNotFound { program },
    12 => SpawnIdMapTool { program, errno },
    13 => IdMapToolFailed { program, pid, status, message },
    14 => PidfdNamespace { namespaces, errno },
});

/// The name an id map goes by in `InvalidIdMap`, a `&'static str`: it crosses as its place
/// in the list of the names the crate uses.
mod id_map_file {
    use super::{Reader, Writer};

    const NAMES: [&str; 3] = ["id map", "uid_map", "gid_map"];

    pub(super) fn put(file: &&'static str, w: &mut Writer) {
        let place = NAMES.iter().position(|name| name == file);
        w.u8(place.map_or(u8::MAX, |p| p as u8));
    }

    pub(super) fn get(r: &mut Reader<'_>) -> Option<&'static str> {
        NAMES.get(usize::from(r.u8()?)).copied()
    }
}

#[cfg(test)]
mod tests {
    use rustix::io::Errno;

    use super::super::tests::{p, round_trips};

    #[test]
    fn every_namespaces_variant_round_trips() {
        use sandbox_namespaces::{Error as E, IdMapError, IdMapToolStatus, IdSide, Namespaces};
        let e = Errno::NOSPC;
        let invalid = |reason| E::InvalidIdMap {
            file: "id map",
            reason,
        };
        round_trips(vec![
            E::MultiThreaded { threads: 4 },
            E::CountThreads { errno: e },
            E::UnknownNamespaces { bits: 0x8000_0000 },
            E::Unshare {
                namespaces: Namespaces::USER | Namespaces::PID,
                errno: e,
            },
            E::Setns {
                namespaces: Namespaces::NET,
                errno: e,
            },
            E::OpenNamespace {
                path: p("/proc/1/ns/net"),
                errno: e,
            },
            E::StatNamespace {
                path: p("/proc/1/ns/net"),
                errno: e,
            },
            E::NotSingleNamespace {
                namespaces: Namespaces::NET | Namespaces::IPC,
            },
            invalid(IdMapError::Empty),
            invalid(IdMapError::TooManyEntries { entries: 400 }),
            invalid(IdMapError::ZeroCount { index: 1 }),
            invalid(IdMapError::Overflow {
                index: 0,
                side: IdSide::Outside,
                first: u32::MAX,
                count: 2,
            }),
            invalid(IdMapError::Overlap {
                first: 0,
                second: 1,
                side: IdSide::Inside,
            }),
            invalid(IdMapError::TooLong {
                bytes: 5000,
                max: 4096,
            }),
            E::WriteIdMap {
                path: p("/proc/7/uid_map"),
                errno: e,
            },
            E::ReadIdFile {
                path: p("/etc/subuid"),
                errno: e,
            },
            E::IdMapToolNotFound {
                program: p("newuidmap"),
            },
            E::SpawnIdMapTool {
                program: p("/usr/bin/newuidmap"),
                errno: e,
            },
            E::IdMapToolFailed {
                program: p("/usr/bin/newgidmap"),
                pid: 42,
                status: IdMapToolStatus::Exited(1),
                message: "newgidmap: gid range [1-2) -> [5-6) not allowed".into(),
            },
            E::IdMapToolFailed {
                program: p("/usr/bin/newuidmap"),
                pid: 43,
                status: IdMapToolStatus::Signaled(9),
                message: String::new(),
            },
            E::PidfdNamespace {
                namespaces: Namespaces::NET,
                errno: Errno::NOTTY,
            },
        ]);
    }
}
