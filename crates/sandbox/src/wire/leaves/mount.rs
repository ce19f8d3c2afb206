//! `sandbox-mount` and `sandbox-pivot-root`.

use sandbox_mount::{MountAttr, Propagation, UnmountFlags};

use super::super::{wire_by_bits, wire_enum};

wire_enum!(Propagation {
    0 => Private,
    1 => Slave,
    2 => Shared,
    3 => Unbindable,
});

wire_by_bits!(MountAttr, UnmountFlags);

wire_enum!(sandbox_mount::Error {
    0 => Propagation { target, propagation, recursive, errno },
    1 => Bind { source_path, target, recursive, errno },
    2 => MountProc { target, errno },
    3 => MountTmpfs { target, size, errno },
    4 => Statvfs { target, errno },
    5 => RemountReadOnly { target, errno },
    6 => Unmount { target, flags, errno },
    7 => CloneTree { errno },
    8 => AttachTree { errno },
    9 => SetAttributes { set, clear, recursive, errno },
    10 => Submount { mount_point, errno },
    11 => Remount { mount_point, set, clear, errno },
    12 => OpenBoundTree { target, errno },
    13 => BoundTreeMoved { target },
    14 => ReadMountinfo { path, errno },
    15 => ParseMountinfo { line, reason },
    16 => RootMountId { errno },
    17 => ListMounts { id, errno },
    18 => StatMount { id, errno },
    19 => NotAMountRoot { path },
});

wire_enum!(sandbox_pivot_root::StatTarget {
    0 => NewRoot,
    1 => Directory,
    2 => CurrentRoot,
});

wire_enum!(sandbox_pivot_root::Error {
    0 => Stat { what, errno },
    1 => Bind(mount),
    2 => Fchdir { errno },
    3 => PivotRoot { errno },
    4 => OldRootSlave(mount),
    5 => DetachOldRoot { errno },
    6 => ChdirRoot { errno },
    7 => Chroot { errno },
});

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
            E::RootMountId {
                errno: Errno::NOSYS,
            },
            E::ListMounts {
                id: 0x8000_0001,
                errno: Errno::PERM,
            },
            E::StatMount {
                id: 0x8000_0002,
                errno: Errno::NOENT,
            },
            E::NotAMountRoot {
                path: p("/srv/shared/sub"),
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
