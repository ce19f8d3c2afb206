//! `sandbox-mount` and `sandbox-pivot-root`.

use sandbox_mount::{MountAttr, Propagation, UnmountFlags};

use super::super::{wire_by_bits, wire_by_tag, Reader, Wire, Writer};
use super::unknown_variant;

wire_by_tag!(Propagation {
    Propagation::Private,
    Propagation::Slave,
    Propagation::Shared,
    Propagation::Unbindable,
});

wire_by_bits!(MountAttr, UnmountFlags);

wire_by_tag!(sandbox_pivot_root::StatTarget {
    sandbox_pivot_root::StatTarget::NewRoot,
    sandbox_pivot_root::StatTarget::Directory,
    sandbox_pivot_root::StatTarget::CurrentRoot,
});

impl Wire for sandbox_mount::Error {
    fn put(&self, w: &mut Writer) {
        use sandbox_mount::Error as E;
        match self {
            E::Propagation {
                target,
                propagation,
                recursive,
                errno,
            } => {
                w.u8(0);
                w.put(target);
                w.put(propagation);
                w.put(recursive);
                w.put(errno);
            }
            E::Bind {
                source_path,
                target,
                recursive,
                errno,
            } => {
                w.u8(1);
                w.put(source_path);
                w.put(target);
                w.put(recursive);
                w.put(errno);
            }
            E::MountProc { target, errno } => {
                w.u8(2);
                w.put(target);
                w.put(errno);
            }
            E::MountTmpfs {
                target,
                size,
                errno,
            } => {
                w.u8(3);
                w.put(target);
                w.put(size);
                w.put(errno);
            }
            E::Statvfs { target, errno } => {
                w.u8(4);
                w.put(target);
                w.put(errno);
            }
            E::RemountReadOnly { target, errno } => {
                w.u8(5);
                w.put(target);
                w.put(errno);
            }
            E::Unmount {
                target,
                flags,
                errno,
            } => {
                w.u8(6);
                w.put(target);
                w.put(flags);
                w.put(errno);
            }
            E::CloneTree { errno } => {
                w.u8(7);
                w.put(errno);
            }
            E::AttachTree { errno } => {
                w.u8(8);
                w.put(errno);
            }
            E::SetAttributes {
                set,
                clear,
                recursive,
                errno,
            } => {
                w.u8(9);
                w.put(set);
                w.put(clear);
                w.put(recursive);
                w.put(errno);
            }
            E::Submount { mount_point, errno } => {
                w.u8(10);
                w.put(mount_point);
                w.put(errno);
            }
            E::Remount {
                mount_point,
                set,
                clear,
                errno,
            } => {
                w.u8(11);
                w.put(mount_point);
                w.put(set);
                w.put(clear);
                w.put(errno);
            }
            E::OpenBoundTree { target, errno } => {
                w.u8(12);
                w.put(target);
                w.put(errno);
            }
            E::BoundTreeMoved { target } => {
                w.u8(13);
                w.put(target);
            }
            E::ReadMountinfo { path, errno } => {
                w.u8(14);
                w.put(path);
                w.put(errno);
            }
            E::ParseMountinfo { line, reason } => {
                w.u8(15);
                w.u64(*line as u64);
                w.put(reason);
            }
            other => unknown_variant(w, other.errno()),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_mount::Error as E;
        Some(match r.u8()? {
            0 => E::Propagation {
                target: r.get()?,
                propagation: r.get()?,
                recursive: r.get()?,
                errno: r.get()?,
            },
            1 => E::Bind {
                source_path: r.get()?,
                target: r.get()?,
                recursive: r.get()?,
                errno: r.get()?,
            },
            2 => E::MountProc {
                target: r.get()?,
                errno: r.get()?,
            },
            3 => E::MountTmpfs {
                target: r.get()?,
                size: r.get()?,
                errno: r.get()?,
            },
            4 => E::Statvfs {
                target: r.get()?,
                errno: r.get()?,
            },
            5 => E::RemountReadOnly {
                target: r.get()?,
                errno: r.get()?,
            },
            6 => E::Unmount {
                target: r.get()?,
                flags: r.get()?,
                errno: r.get()?,
            },
            7 => E::CloneTree { errno: r.get()? },
            8 => E::AttachTree { errno: r.get()? },
            9 => E::SetAttributes {
                set: r.get()?,
                clear: r.get()?,
                recursive: r.get()?,
                errno: r.get()?,
            },
            10 => E::Submount {
                mount_point: r.get()?,
                errno: r.get()?,
            },
            11 => E::Remount {
                mount_point: r.get()?,
                set: r.get()?,
                clear: r.get()?,
                errno: r.get()?,
            },
            12 => E::OpenBoundTree {
                target: r.get()?,
                errno: r.get()?,
            },
            13 => E::BoundTreeMoved { target: r.get()? },
            14 => E::ReadMountinfo {
                path: r.get()?,
                errno: r.get()?,
            },
            15 => E::ParseMountinfo {
                line: usize::try_from(r.u64()?).ok()?,
                reason: r.get()?,
            },
            _ => return None,
        })
    }
}

impl Wire for sandbox_pivot_root::Error {
    fn put(&self, w: &mut Writer) {
        use sandbox_pivot_root::Error as E;
        match self {
            E::Stat { what, errno } => {
                w.u8(0);
                w.put(what);
                w.put(errno);
            }
            E::Bind(e) => {
                w.u8(1);
                w.put(e);
            }
            E::Fchdir { errno } => {
                w.u8(2);
                w.put(errno);
            }
            E::PivotRoot { errno } => {
                w.u8(3);
                w.put(errno);
            }
            E::OldRootSlave(e) => {
                w.u8(4);
                w.put(e);
            }
            E::DetachOldRoot { errno } => {
                w.u8(5);
                w.put(errno);
            }
            E::ChdirRoot { errno } => {
                w.u8(6);
                w.put(errno);
            }
            E::Chroot { errno } => {
                w.u8(7);
                w.put(errno);
            }
            other => unknown_variant(w, other.errno()),
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        use sandbox_pivot_root::Error as E;
        Some(match r.u8()? {
            0 => E::Stat {
                what: r.get()?,
                errno: r.get()?,
            },
            1 => E::Bind(r.get()?),
            2 => E::Fchdir { errno: r.get()? },
            3 => E::PivotRoot { errno: r.get()? },
            4 => E::OldRootSlave(r.get()?),
            5 => E::DetachOldRoot { errno: r.get()? },
            6 => E::ChdirRoot { errno: r.get()? },
            7 => E::Chroot { errno: r.get()? },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use rustix::io::Errno;

    use super::super::tests::{p, round_trips};
    use super::*;

    #[test]
    fn every_mount_and_pivot_root_variant_round_trips() {
        use sandbox_mount::Error as E;
        let e = Errno::PERM;
        round_trips(vec![
            E::Propagation {
                target: p("/"),
                propagation: Propagation::Slave,
                recursive: true,
                errno: e,
            },
            E::Bind {
                source_path: p("/a"),
                target: p("/b"),
                recursive: false,
                errno: e,
            },
            E::MountProc {
                target: p("/proc"),
                errno: e,
            },
            E::MountTmpfs {
                target: p("/t"),
                size: Some(4096),
                errno: e,
            },
            E::Statvfs {
                target: p("/s"),
                errno: e,
            },
            E::RemountReadOnly {
                target: p("/r"),
                errno: e,
            },
            E::Unmount {
                target: p("/u"),
                flags: UnmountFlags::DETACH,
                errno: e,
            },
            E::CloneTree { errno: e },
            E::AttachTree { errno: e },
            E::SetAttributes {
                set: MountAttr::RDONLY,
                clear: MountAttr::NODEV,
                recursive: true,
                errno: e,
            },
            E::Submount {
                mount_point: p("/m"),
                errno: e,
            },
            E::Remount {
                mount_point: p("/m"),
                set: MountAttr::NOSUID,
                clear: MountAttr::empty(),
                errno: e,
            },
            E::OpenBoundTree {
                target: p("/o"),
                errno: Errno::ACCESS,
            },
            E::BoundTreeMoved { target: p("/o") },
            E::ReadMountinfo {
                path: p("/proc/self/mountinfo"),
                errno: e,
            },
            E::ParseMountinfo {
                line: 3,
                reason: "no separator".into(),
            },
        ]);
        use sandbox_pivot_root::{Error as P, StatTarget};
        round_trips(vec![
            P::Stat {
                what: StatTarget::CurrentRoot,
                errno: e,
            },
            P::Bind(E::CloneTree { errno: e }),
            P::Fchdir { errno: e },
            P::PivotRoot {
                errno: Errno::INVAL,
            },
            P::OldRootSlave(E::MountProc {
                target: p("/x"),
                errno: e,
            }),
            P::DetachOldRoot { errno: e },
            P::ChdirRoot { errno: e },
            P::Chroot { errno: e },
        ]);
    }
}
