//! The crate's only unsafe code: the `mount_setattr(2)`, `listmount(2)` and
//! `statmount(2)` system calls, which rustix does not wrap.

use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::io::Errno;

/// `AT_EMPTY_PATH`: act on the descriptor itself.
const AT_EMPTY_PATH: libc::c_uint = 0x1000;
/// `AT_RECURSIVE`: the mount and every mount below it.
const AT_RECURSIVE: libc::c_uint = 0x8000;

/// `struct mount_attr` of `<linux/mount.h>` (`MOUNT_ATTR_SIZE_VER0`, 32 bytes).
#[repr(C)]
struct MountAttrArg {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `mount_setattr(dir, "", AT_EMPTY_PATH[|AT_RECURSIVE], {attr_set, attr_clr}, 32)`.
pub(crate) fn mount_setattr(
    dir: BorrowedFd<'_>,
    recursive: bool,
    attr_set: u64,
    attr_clr: u64,
) -> Result<(), Errno> {
    let mut flags = AT_EMPTY_PATH;
    if recursive {
        flags |= AT_RECURSIVE;
    }
    let attr = MountAttrArg {
        attr_set,
        attr_clr,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: the path is a valid NUL-terminated string (empty, with AT_EMPTY_PATH the
    // kernel acts on `dir`, a descriptor we borrow for the call); `attr` is a live,
    // initialised `struct mount_attr` whose size we pass, and the kernel only reads it.
    // The syscall touches no other memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dir.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const MountAttrArg,
            std::mem::size_of::<MountAttrArg>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    }
}

/// `statmount(2)`'s and `listmount(2)`'s numbers (Linux 6.8): the same on every
/// architecture of the unified system call table (x86_64, aarch64, riscv64, ...); MIPS offsets
/// its numbers, and gets `ENOSYS` here instead (Rust has no Alpha or IA-64 Linux target).
#[cfg(not(any(
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "mips32r6",
    target_arch = "mips64r6"
)))]
const SYS_STATMOUNT: Option<libc::c_long> = Some(457);
#[cfg(any(
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "mips32r6",
    target_arch = "mips64r6"
))]
const SYS_STATMOUNT: Option<libc::c_long> = None;
/// See [`SYS_STATMOUNT`].
const SYS_LISTMOUNT: Option<libc::c_long> = match SYS_STATMOUNT {
    Some(n) => Some(n + 1),
    None => None,
};

/// `struct mnt_id_req` of `<linux/mount.h>`, `MNT_ID_REQ_SIZE_VER0` (24 bytes): the
/// caller's own mount namespace.
#[repr(C)]
struct MntIdReq {
    size: u32,
    spare: u32,
    mnt_id: u64,
    param: u64,
}

/// The fixed part of `struct statmount` of `<linux/mount.h>` (Linux 6.8), 512 bytes; the
/// strings follow it, at the offsets its `u32` string fields give.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct StatmountHead {
    pub(crate) size: u32,
    pub(crate) mnt_opts: u32,
    pub(crate) mask: u64,
    pub(crate) sb_dev_major: u32,
    pub(crate) sb_dev_minor: u32,
    pub(crate) sb_magic: u64,
    pub(crate) sb_flags: u32,
    pub(crate) fs_type: u32,
    pub(crate) mnt_id: u64,
    pub(crate) mnt_parent_id: u64,
    pub(crate) mnt_id_old: u32,
    pub(crate) mnt_parent_id_old: u32,
    pub(crate) mnt_attr: u64,
    pub(crate) mnt_propagation: u64,
    pub(crate) mnt_peer_group: u64,
    pub(crate) mnt_master: u64,
    pub(crate) propagate_from: u64,
    pub(crate) mnt_root: u32,
    pub(crate) mnt_point: u32,
    spare2: [u64; 50],
}

/// The size of [`StatmountHead`]: where the strings start.
pub(crate) const STATMOUNT_HEAD: usize = std::mem::size_of::<StatmountHead>();
const _: () = assert!(STATMOUNT_HEAD == 512);

fn last_errno() -> Errno {
    Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// `listmount(&{mnt_id, param: after}, ids, ids.len(), 0)`: the ids of the mounts below
/// `mnt_id` in the caller's mount namespace that it may see, those greater than `after`
/// (0 for the first call), as many as fit in `ids`. Returns how many it wrote.
pub(crate) fn listmount(mnt_id: u64, after: u64, ids: &mut [u64]) -> Result<usize, Errno> {
    let nr = SYS_LISTMOUNT.ok_or(Errno::NOSYS)?;
    let req = MntIdReq {
        size: std::mem::size_of::<MntIdReq>() as u32,
        spare: 0,
        mnt_id,
        param: after,
    };
    // SAFETY: `req` is a live, initialised `struct mnt_id_req` of the size it states,
    // which the kernel only reads; `ids` is a writable buffer of `ids.len()` u64s, the
    // count passed, and the kernel writes at most that many. No other memory is touched.
    let r = unsafe {
        libc::syscall(
            nr,
            &req as *const MntIdReq,
            ids.as_mut_ptr(),
            ids.len(),
            0 as libc::c_uint,
        )
    };
    if r >= 0 {
        Ok(r as usize)
    } else {
        Err(last_errno())
    }
}

/// What `statmount(2)` wrote: its fixed part, and the bytes after it, where its strings
/// are (NUL-terminated, at the offsets the fixed part gives).
pub(crate) struct Statmount {
    pub(crate) head: StatmountHead,
    pub(crate) strings: Vec<u8>,
}

/// `statmount(&{mnt_id, param: mask}, buf, size, 0)`: what the kernel says about one
/// mount, with a buffer grown until the strings fit (`EOVERFLOW` asks for a larger one).
pub(crate) fn statmount(mnt_id: u64, mask: u64) -> Result<Statmount, Errno> {
    let nr = SYS_STATMOUNT.ok_or(Errno::NOSYS)?;
    let req = MntIdReq {
        size: std::mem::size_of::<MntIdReq>() as u32,
        spare: 0,
        mnt_id,
        param: mask,
    };
    // Room for the fixed part and a mount point and root of a few KiB; a path can be as
    // long as PATH_MAX (4096), so at most a few doublings are ever needed.
    let mut words = 1024;
    loop {
        // u64s: aligned for `struct statmount`; zeroed: every byte is initialised.
        let mut buf = vec![0u64; words];
        // SAFETY: `req` is a live, initialised `struct mnt_id_req` of the size it states,
        // which the kernel only reads; `buf` is a writable buffer of the byte size passed,
        // and the kernel writes at most that many bytes into it. No other memory is
        // touched.
        let r = unsafe {
            libc::syscall(
                nr,
                &req as *const MntIdReq,
                buf.as_mut_ptr(),
                std::mem::size_of_val(buf.as_slice()),
                0 as libc::c_uint,
            )
        };
        if r != 0 {
            match last_errno() {
                Errno::OVERFLOW if words < 1 << 16 => {
                    words *= 2;
                    continue;
                }
                errno => return Err(errno),
            }
        }
        // SAFETY: `buf` holds at least STATMOUNT_HEAD initialised bytes (1024 u64s, zeroed
        // before the call), is aligned for u64 and so for `StatmountHead`, whose fields
        // are all integers: any bytes are a valid value.
        let head = unsafe { std::ptr::read(buf.as_ptr().cast::<StatmountHead>()) };
        let written = (head.size as usize).clamp(STATMOUNT_HEAD, words * 8);
        let strings = buf
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .take(written)
            .skip(STATMOUNT_HEAD)
            .collect();
        return Ok(Statmount { head, strings });
    }
}
