//! `sandbox-namespaces`.

use super::super::{wire_by_bits, wire_by_tag, Reader, Wire, Writer};
use super::unknown_variant;

wire_by_tag!(sandbox_namespaces::IdSide {
    sandbox_namespaces::IdSide::Inside,
    sandbox_namespaces::IdSide::Outside,
});

wire_by_bits!(sandbox_namespaces::Namespaces, rustix::fs::OFlags);

impl Wire for sandbox_namespaces::IdMapToolStatus {
    fn put(&self, w: &mut Writer) {
        use sandbox_namespaces::IdMapToolStatus as S;
        match *self {
            S::Exited(code) => {
                w.u8(0);
                w.i32(code);
            }
            S::Signaled(signal) => {
                w.u8(1);
                w.i32(signal);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_namespaces::IdMapToolStatus as S;
        match r.u8()? {
            0 => Some(S::Exited(r.i32()?)),
            1 => Some(S::Signaled(r.i32()?)),
            _ => None,
        }
    }
}

impl Wire for sandbox_namespaces::IdMapError {
    fn put(&self, w: &mut Writer) {
        use sandbox_namespaces::IdMapError as E;
        match self {
            E::Empty => w.u8(0),
            E::TooManyEntries { entries } => {
                w.u8(1);
                w.u64(*entries as u64);
            }
            E::ZeroCount { index } => {
                w.u8(2);
                w.u64(*index as u64);
            }
            E::Overflow {
                index,
                side,
                first,
                count,
            } => {
                w.u8(3);
                w.u64(*index as u64);
                w.put(side);
                w.u32(*first);
                w.u32(*count);
            }
            E::Overlap {
                first,
                second,
                side,
            } => {
                w.u8(4);
                w.u64(*first as u64);
                w.u64(*second as u64);
                w.put(side);
            }
            E::TooLong { bytes, max } => {
                w.u8(5);
                w.u64(*bytes as u64);
                w.u64(*max as u64);
            }
            _ => unknown_variant(w, None),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_namespaces::IdMapError as E;
        let usize = |r: &mut Reader<'_>| usize::try_from(r.u64()?).ok();
        Some(match r.u8()? {
            0 => E::Empty,
            1 => E::TooManyEntries { entries: usize(r)? },
            2 => E::ZeroCount { index: usize(r)? },
            3 => E::Overflow {
                index: usize(r)?,
                side: r.get()?,
                first: r.u32()?,
                count: r.u32()?,
            },
            4 => E::Overlap {
                first: usize(r)?,
                second: usize(r)?,
                side: r.get()?,
            },
            5 => E::TooLong {
                bytes: usize(r)?,
                max: usize(r)?,
            },
            _ => return None,
        })
    }
}

/// The names an id map goes by in `InvalidIdMap`: a `&'static str` crosses as its place in
/// this list.
const ID_MAP_FILES: [&str; 3] = ["id map", "uid_map", "gid_map"];

impl Wire for sandbox_namespaces::Error {
    fn put(&self, w: &mut Writer) {
        use sandbox_namespaces::Error as E;
        match self {
            E::MultiThreaded { threads } => {
                w.u8(0);
                w.u64(*threads as u64);
            }
            E::CountThreads { errno } => {
                w.u8(1);
                w.put(errno);
            }
            E::UnknownNamespaces { bits } => {
                w.u8(2);
                w.u32(*bits);
            }
            E::Unshare { namespaces, errno } => {
                w.u8(3);
                w.put(namespaces);
                w.put(errno);
            }
            E::Setns { namespaces, errno } => {
                w.u8(4);
                w.put(namespaces);
                w.put(errno);
            }
            E::OpenNamespace { path, errno } => {
                w.u8(5);
                w.put(path);
                w.put(errno);
            }
            E::StatNamespace { path, errno } => {
                w.u8(6);
                w.put(path);
                w.put(errno);
            }
            E::NotSingleNamespace { namespaces } => {
                w.u8(7);
                w.put(namespaces);
            }
            E::InvalidIdMap { file, reason } => {
                w.u8(8);
                let place = ID_MAP_FILES.iter().position(|f| f == file);
                w.u8(place.map_or(u8::MAX, |p| p as u8));
                w.put(reason);
            }
            E::WriteIdMap { path, errno } => {
                w.u8(9);
                w.put(path);
                w.put(errno);
            }
            E::ReadIdFile { path, errno } => {
                w.u8(10);
                w.put(path);
                w.put(errno);
            }
            E::IdMapToolNotFound { program } => {
                w.u8(11);
                w.put(program);
            }
            E::SpawnIdMapTool { program, errno } => {
                w.u8(12);
                w.put(program);
                w.put(errno);
            }
            E::IdMapToolFailed {
                program,
                pid,
                status,
                message,
            } => {
                w.u8(13);
                w.put(program);
                w.i32(*pid);
                w.put(status);
                w.put(message);
            }
            other => unknown_variant(w, other.errno()),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_namespaces::Error as E;
        Some(match r.u8()? {
            0 => E::MultiThreaded {
                threads: usize::try_from(r.u64()?).ok()?,
            },
            1 => E::CountThreads { errno: r.get()? },
            2 => E::UnknownNamespaces { bits: r.u32()? },
            3 => E::Unshare {
                namespaces: r.get()?,
                errno: r.get()?,
            },
            4 => E::Setns {
                namespaces: r.get()?,
                errno: r.get()?,
            },
            5 => E::OpenNamespace {
                path: r.get()?,
                errno: r.get()?,
            },
            6 => E::StatNamespace {
                path: r.get()?,
                errno: r.get()?,
            },
            7 => E::NotSingleNamespace {
                namespaces: r.get()?,
            },
            8 => E::InvalidIdMap {
                file: ID_MAP_FILES.get(usize::from(r.u8()?))?,
                reason: r.get()?,
            },
            9 => E::WriteIdMap {
                path: r.get()?,
                errno: r.get()?,
            },
            10 => E::ReadIdFile {
                path: r.get()?,
                errno: r.get()?,
            },
            11 => E::IdMapToolNotFound { program: r.get()? },
            12 => E::SpawnIdMapTool {
                program: r.get()?,
                errno: r.get()?,
            },
            13 => E::IdMapToolFailed {
                program: r.get()?,
                pid: r.i32()?,
                status: r.get()?,
                message: r.get()?,
            },
            _ => return None,
        })
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
        ]);
    }
}
