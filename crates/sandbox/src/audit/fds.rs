//! The descriptors row and the Landlock row: both look at the proc-fd handle's directory,
//! the process's own descriptor table, which lies outside every directory the sandbox
//! shares (on a proc mount of its own in [`Mode::Namespace`](crate::Mode::Namespace)).

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use rustix::fs::{Dir, Mode as FileMode, OFlags};
use rustix::io::Errno;

use super::namespaces::mode_name;
use super::{errno_name, AuditRow, Check, Expected};
use crate::{InheritedFds, ProcSelfFd};

/// The handle's directory opened for listing (`openat(handle, ".", O_RDONLY |
/// O_DIRECTORY)`), or the errno: `EACCES` under a Landlock domain that grants nothing
/// there.
pub(super) type Listing = Result<OwnedFd, Errno>;

pub(super) fn open_listing(handle: &ProcSelfFd) -> Listing {
    rustix::fs::openat(
        handle.as_fd(),
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        FileMode::empty(),
    )
}

/// The Landlock row: the ABI the kernel has, and whether the probe (listing the handle's
/// directory, which no rule of the sandbox covers) is refused.
pub(super) fn landlock(expected: &Expected, listing: &Listing) -> AuditRow {
    let abi = crate::sys::landlock_abi();
    let abi_text = match abi {
        Ok(v) => format!("ABI {v}"),
        Err(Errno::NOSYS) => "not available: kernel built without Landlock (ENOSYS)".into(),
        Err(Errno::OPNOTSUPP) => "not available: not enabled at boot (lsm=, EOPNOTSUPP)".into(),
        Err(e) => format!("ABI not read ({})", errno_name(e)),
    };
    let enforced = matches!(listing, Err(Errno::ACCESS));
    let found = match (&abi, listing) {
        (Err(_), _) => abi_text,
        (Ok(_), Err(Errno::ACCESS)) => {
            format!("enforced ({abi_text}; the probe outside the rules: EACCES)")
        }
        (Ok(_), Err(e)) => format!(
            "not known ({abi_text}; the probe failed otherwise: {})",
            errno_name(*e)
        ),
        (Ok(_), Ok(_)) => format!("not enforced ({abi_text}; the probe outside the rules works)"),
    };
    match expected.landlock {
        None => AuditRow::not_applicable(Check::Landlock, "not asked (no Landlock option)", found),
        Some(false) => AuditRow::not_applicable(Check::Landlock, "off (landlock(false))", found),
        // Best effort: a kernel without Landlock enters anyway, and the row says so.
        Some(true) => AuditRow::new(Check::Landlock, "enforced", found, enforced || abi.is_err()),
    }
}

/// The numbers open in this process: the listing's entries (without the listing's own
/// descriptor), or where listing is refused, `fcntl(F_GETFD)` of each number from 0 until
/// as many were found as `fstat` of the handle counts (`st_size`, Linux 6.2), else up to
/// the soft `RLIMIT_NOFILE` (at most 65536).
fn open_fds(handle: &ProcSelfFd, listing: Listing) -> Result<(Vec<RawFd>, &'static str), Errno> {
    let mut fds = match listing {
        Ok(fd) => {
            let own = fd.as_raw_fd();
            let mut fds = Vec::new();
            for entry in Dir::new(fd)? {
                let entry = entry?;
                let fd = entry
                    .file_name()
                    .to_str()
                    .ok()
                    .and_then(|n| n.parse::<RawFd>().ok());
                fds.extend(fd.filter(|&fd| fd != own));
            }
            (fds, "")
        }
        Err(_) => {
            let count = rustix::fs::fstat(handle).map(|st| st.st_size).unwrap_or(0);
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
                .current
                .unwrap_or(1024)
                .min(1 << 16);
            let mut fds = Vec::new();
            for fd in 0..limit as RawFd {
                if count > 0 && fds.len() as i64 >= count {
                    break;
                }
                if crate::sys::fd_flags(fd).is_ok() {
                    fds.push(fd);
                }
            }
            (fds, " (probed with fcntl: listing refused)")
        }
    };
    fds.0.sort_unstable();
    Ok(fds)
}

fn numbers(fds: &[RawFd]) -> String {
    let shown: Vec<String> = fds.iter().map(RawFd::to_string).collect();
    shown.join(", ")
}

pub(super) fn descriptors(expected: &Expected, handle: &ProcSelfFd, listing: Listing) -> AuditRow {
    let found = open_fds(handle, listing);
    let found_text = match &found {
        Ok((fds, how)) => format!("{}{how}", numbers(fds)),
        Err(e) => format!("not read ({})", errno_name(*e)),
    };
    let Some(kept) = &expected.kept_fds else {
        let why = match expected.inherited_fds {
            InheritedFds::CloseOnExec => "all inherited (InheritedFds::CloseOnExec)".to_owned(),
            _ => format!("none closed ({})", mode_name(expected.mode)),
        };
        return AuditRow::not_applicable(Check::Descriptors, why, found_text);
    };
    let handle_fd = handle.as_fd().as_raw_fd();
    let mut allowed: Vec<RawFd> = vec![0, 1, 2, handle_fd];
    allowed.extend(kept);
    allowed.sort_unstable();
    allowed.dedup();
    let mut asked = format!("0-2 if open, proc handle {handle_fd}");
    if !kept.is_empty() {
        asked = format!("{asked}, kept {}", numbers(kept));
    }
    let (fds, _) = match found {
        Ok(found) => found,
        Err(_) => return AuditRow::new(Check::Descriptors, asked, found_text, false),
    };
    let extra: Vec<String> = fds
        .iter()
        .filter(|fd| !allowed.contains(fd))
        .map(|&fd| {
            let name = rustix::path::DecInt::new(fd);
            match rustix::fs::readlinkat(handle.as_fd(), name.as_c_str(), Vec::new()) {
                Ok(link) => format!("{fd} -> {}", link.to_string_lossy()),
                Err(_) => fd.to_string(),
            }
        })
        .collect();
    let holds = extra.is_empty();
    let found = match holds {
        true => found_text,
        false => format!("{found_text}; not asked: {}", extra.join(", ")),
    };
    AuditRow::new(Check::Descriptors, asked, found, holds)
}
