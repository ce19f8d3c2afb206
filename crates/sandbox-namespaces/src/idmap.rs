//! uid and gid maps of a user namespace.

use std::fmt;
use std::fmt::Write as _;
use std::path::PathBuf;

use rustix::fs::{Mode, OFlags};

use crate::{Error, IdMapError, IdSide};

/// The most entries a uid or gid map may have (kernel 4.15; 5 before).
pub const MAX_ID_MAP_ENTRIES: usize = 340;

/// One entry of a uid or gid map: `count` consecutive ids starting at `inside` in the new
/// user namespace are the ids starting at `outside` in its parent.
///
/// It is one line of `/proc/<pid>/uid_map` and one triple of `newuidmap(1)`'s arguments,
/// and [`Display`](fmt::Display)s as such: `inside outside count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdMap {
    /// The first id inside the new user namespace.
    pub inside: u32,
    /// The first id in the parent user namespace.
    pub outside: u32,
    /// How many consecutive ids.
    pub count: u32,
}

impl IdMap {
    /// Maps `count` ids starting at `inside` to the ids starting at `outside`.
    pub const fn new(inside: u32, outside: u32, count: u32) -> Self {
        IdMap {
            inside,
            outside,
            count,
        }
    }

    /// Maps the single id `id` to itself (what an unprivileged process may write for
    /// itself).
    pub const fn identity(id: u32) -> Self {
        IdMap::new(id, id, 1)
    }

    /// Whether this line maps the parent namespace's id `id` (it lies in
    /// `outside..outside + count`). An id no line maps reads as the overflow id inside.
    pub fn contains_outside(&self, id: u32) -> bool {
        let (first, end) = self.range(IdSide::Outside);
        (first..end).contains(&u64::from(id))
    }

    fn range(&self, side: IdSide) -> (u64, u64) {
        let first = match side {
            IdSide::Inside => self.inside,
            IdSide::Outside => self.outside,
        };
        (u64::from(first), u64::from(first) + u64::from(self.count))
    }
}

impl fmt::Display for IdMap {
    /// `inside outside count`, as in `/proc/<pid>/uid_map` (without the newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.inside, self.outside, self.count)
    }
}

/// The text the kernel reads: one `inside outside count` line per entry.
pub(crate) fn map_text(map: &[IdMap]) -> String {
    let mut text = String::with_capacity(map.len() * 24);
    for entry in map {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{entry}");
    }
    text
}

/// The length of an entry's line in [`map_text`], newline included.
pub(crate) fn line_len(entry: &IdMap) -> usize {
    let digits = |n: u32| n.checked_ilog10().map_or(1, |l| l as usize + 1);
    digits(entry.inside) + digits(entry.outside) + digits(entry.count) + 3
}

pub(crate) fn check(map: &[IdMap]) -> Result<(), IdMapError> {
    if map.is_empty() {
        return Err(IdMapError::Empty);
    }
    if map.len() > MAX_ID_MAP_ENTRIES {
        return Err(IdMapError::TooManyEntries { entries: map.len() });
    }
    for (index, entry) in map.iter().enumerate() {
        if entry.count == 0 {
            return Err(IdMapError::ZeroCount { index });
        }
        for (side, first) in [
            (IdSide::Inside, entry.inside),
            (IdSide::Outside, entry.outside),
        ] {
            // The kernel refuses first + count wrapping around u32 (the last id mapped
            // must be at most 4294967294; 4294967295 is the invalid id).
            if u64::from(first) + u64::from(entry.count) > u64::from(u32::MAX) {
                return Err(IdMapError::Overflow {
                    index,
                    side,
                    first,
                    count: entry.count,
                });
            }
        }
    }
    for (second, b) in map.iter().enumerate() {
        for (first, a) in map.iter().enumerate().take(second) {
            for side in [IdSide::Inside, IdSide::Outside] {
                let ((a0, a1), (b0, b1)) = (a.range(side), b.range(side));
                if a0 < b1 && b0 < a1 {
                    return Err(IdMapError::Overlap {
                        first,
                        second,
                        side,
                    });
                }
            }
        }
    }
    let bytes = map_text(map).len();
    let max = rustix::param::page_size();
    if bytes >= max {
        return Err(IdMapError::TooLong { bytes, max });
    }
    Ok(())
}

/// Checks a uid or gid map the way the kernel's `map_write()` will: not empty, at most
/// [`MAX_ID_MAP_ENTRIES`] entries, no entry with a count of 0 or a range past id
/// 4294967294, no two entries overlapping inside or outside, and the text shorter than a
/// page. Whether the caller may map the outside ids is the kernel's decision at write
/// time.
///
/// # Errors
///
/// [`Error::InvalidIdMap`] with `file: "id map"` and the [`IdMapError`].
pub fn validate_id_map(map: &[IdMap]) -> Result<(), Error> {
    check(map).map_err(|reason| Error::InvalidIdMap {
        file: "id map",
        reason,
    })
}

/// Writes `contents` to a file of `/proc` in one `write(2)`.
fn write_proc_file(path: PathBuf, contents: &[u8]) -> Result<(), Error> {
    let fd = match rustix::fs::open(&path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(errno) => return Err(Error::WriteIdMap { path, errno }),
    };
    match rustix::io::write(&fd, contents) {
        Ok(written) if written == contents.len() => Ok(()),
        // The kernel takes a map (and "deny") whole or fails; a second write would be
        // refused, so a short write cannot be completed.
        Ok(_) => Err(Error::WriteIdMap {
            path,
            errno: rustix::io::Errno::IO,
        }),
        Err(errno) => Err(Error::WriteIdMap { path, errno }),
    }
}

/// Whether `setgroups(2)` is allowed in a user namespace: the contents of
/// `/proc/<pid>/setgroups` (kernel 3.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Setgroups {
    /// `setgroups(2)` fails with `EPERM` in the namespace, for good. The kernel requires
    /// this before a process without `CAP_SETGID` in the parent namespace writes its own
    /// `gid_map`; it keeps a process from dropping a group that denies it access.
    #[default]
    Deny,
    /// `setgroups(2)` works once the gid map is written (the kernel's default). Only a
    /// writer with `CAP_SETGID` in the parent namespace (root, or `newgidmap` mapping
    /// subordinate gids) can write the gid map then.
    Allow,
}

impl Setgroups {
    fn text(self) -> &'static [u8] {
        match self {
            Setgroups::Deny => b"deny",
            Setgroups::Allow => b"allow",
        }
    }
}

/// Reads a uid or gid map as the kernel shows it: `/proc/<pid>/uid_map` or `gid_map`,
/// one `inside outside count` line per entry (as seen from the reader's user namespace:
/// for a reader in the same namespace, the outside ids are the parent's). Empty before
/// the map is written. A user namespace's maps are written once and never change.
///
/// # Errors
///
/// [`Error::ReadIdFile`] naming `path` when it cannot be read (`ENOENT` without `/proc`),
/// or with `EINVAL` for a line that is not three numbers (the kernel writes none).
pub fn read_id_map(path: impl AsRef<std::path::Path>) -> Result<Vec<IdMap>, Error> {
    let path = path.as_ref();
    let failed = |errno| Error::ReadIdFile {
        path: path.to_path_buf(),
        errno,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        failed(rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO))
    })?;
    parse_id_map(&text).ok_or_else(|| failed(rustix::io::Errno::INVAL))
}

/// The entries of a map's text, or `None` for a line that is not three numbers.
fn parse_id_map(text: &str) -> Option<Vec<IdMap>> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split_whitespace().map(|f| f.parse::<u32>().ok());
            let entry = IdMap::new(fields.next()??, fields.next()??, fields.next()??);
            fields.next().is_none().then_some(entry)
        })
        .collect()
}

/// Whether `map` is the one line a process may write for itself, without privilege in
/// the parent namespace: a single entry of count 1 whose outside id is `own`.
pub fn is_own_id_map(map: &[IdMap], own: u32) -> bool {
    matches!(map, [entry] if entry.count == 1 && entry.outside == own)
}

/// Writes `deny` to `/proc/self/setgroups`: after `unshare(USER)`, before the gid map is
/// written by this process or by `newgidmap` for it.
///
/// # Errors
///
/// [`Error::WriteIdMap`] naming `/proc/self/setgroups`: `EPERM` once the gid map is
/// written.
pub fn deny_setgroups() -> Result<(), Error> {
    write_proc_file(PathBuf::from("/proc/self/setgroups"), b"deny")
}

/// Writes the maps of another process's user namespace directly: `setgroups`, then
/// `gid_map`, then `uid_map` under `/proc/<pid>/`, each in one `write(2)`. Both maps are
/// validated first.
///
/// This is the privileged writer that ranges need: the caller must have `CAP_SETUID` and
/// `CAP_SETGID` in the parent of `pid`'s user namespace (root that did not unshare it, for
/// example a helper forked before `pid` unshared), or the kernel accepts only what `pid`
/// could write for itself. `setgroups` `None` leaves `/proc/<pid>/setgroups` as it is.
///
/// # Errors
///
/// - [`Error::InvalidIdMap`]: see [`validate_id_map`].
/// - [`Error::WriteIdMap`] with the path of the file that failed: `EPERM` without the
///   capabilities or for a map already written, `ENOENT` when `pid` is gone.
pub fn write_id_maps_of(
    pid: rustix::process::Pid,
    uid_map: &[IdMap],
    gid_map: &[IdMap],
    setgroups: Option<Setgroups>,
) -> Result<(), Error> {
    check_both(uid_map, gid_map)?;
    let file = |name: &str| PathBuf::from(format!("/proc/{}/{name}", pid.as_raw_nonzero()));
    if let Some(setgroups) = setgroups {
        write_proc_file(file("setgroups"), setgroups.text())?;
    }
    write_proc_file(file("gid_map"), map_text(gid_map).as_bytes())?;
    write_proc_file(file("uid_map"), map_text(uid_map).as_bytes())?;
    Ok(())
}

/// Maps ids in the user namespace the calling process just created with
/// [`unshare`](crate::unshare)`(USER)`: writes `deny` to `/proc/self/setgroups`, then the
/// gid map to `/proc/self/gid_map`, then the uid map to `/proc/self/uid_map`, each in one
/// `write(2)` as the kernel requires. Both maps are validated first, so nothing is written
/// for an invalid one.
///
/// Each map can be written once per user namespace. The writer is the process itself,
/// which after `unshare(USER)` has no capability in the parent user namespace, so the
/// kernel accepts only what needs none, even when the process was root: a single entry
/// of count 1 whose outside id is the process's own euid (for `uid_map`) or egid (for
/// `gid_map`, and only once `setgroups` is denied, kernel 3.19). The inside id is free:
/// `IdMap::new(0, uid, 1)` makes the process root inside. Mapping ranges needs a writer
/// with `CAP_SETUID`/`CAP_SETGID` that stayed in the parent namespace (a privileged
/// parent process, or the setuid `newuidmap`/`newgidmap` helpers).
///
/// Pass the ids captured before `unshare`: until the map is written, `getuid()` in the new
/// namespace returns the overflow uid (65534).
///
/// # Errors
///
/// - [`Error::InvalidIdMap`] with `file` `"uid_map"` or `"gid_map"`: see
///   [`validate_id_map`].
/// - [`Error::WriteIdMap`] with the path of the file that failed: `EPERM` for a map the
///   process may not write for itself (another outside id, a range, a map already
///   written; `/proc/self/setgroups` once `gid_map` is written), `EINVAL` for a map the
///   kernel refuses otherwise. The files written before the failing one stay written.
pub fn write_own_id_maps(uid_map: &[IdMap], gid_map: &[IdMap]) -> Result<(), Error> {
    check_both(uid_map, gid_map)?;
    deny_setgroups()?;
    write_proc_file(
        PathBuf::from("/proc/self/gid_map"),
        map_text(gid_map).as_bytes(),
    )?;
    write_proc_file(
        PathBuf::from("/proc/self/uid_map"),
        map_text(uid_map).as_bytes(),
    )?;
    Ok(())
}

/// Validates a uid map and a gid map, naming the file of the one that is invalid.
fn check_both(uid_map: &[IdMap], gid_map: &[IdMap]) -> Result<(), Error> {
    for (map, file) in [(uid_map, "uid_map"), (gid_map, "gid_map")] {
        check(map).map_err(|reason| Error::InvalidIdMap { file, reason })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernels_map_text() {
        let text = "         0       1000          1\n         1     100000      65536\n";
        assert_eq!(
            parse_id_map(text),
            Some(vec![IdMap::new(0, 1000, 1), IdMap::new(1, 100000, 65536)])
        );
        assert_eq!(parse_id_map(""), Some(vec![]));
        assert_eq!(parse_id_map("0 1000\n"), None);
        assert_eq!(parse_id_map("0 1000 1 2\n"), None);
        assert_eq!(parse_id_map("0 x 1\n"), None);
    }

    fn reason(map: &[IdMap]) -> IdMapError {
        match validate_id_map(map) {
            Err(Error::InvalidIdMap { file, reason }) => {
                assert_eq!(file, "id map");
                reason
            }
            other => panic!("expected InvalidIdMap, got {other:?}"),
        }
    }

    #[test]
    fn contains_outside_covers_exactly_the_range() {
        let m = IdMap::new(0, 100_000, 65536);
        assert!(!m.contains_outside(99_999));
        assert!(m.contains_outside(100_000));
        assert!(m.contains_outside(165_535));
        assert!(!m.contains_outside(165_536));
        assert!(IdMap::new(0, u32::MAX, 1).contains_outside(u32::MAX));
    }

    #[test]
    fn valid_maps_pass() {
        validate_id_map(&[IdMap::identity(1000)]).unwrap();
        validate_id_map(&[IdMap::new(0, 100_000, 65536)]).unwrap();
        validate_id_map(&[IdMap::new(0, 1000, 1), IdMap::new(1, 100_000, 65535)]).unwrap();
        // The last valid id is 4294967294.
        validate_id_map(&[IdMap::new(0, 0, u32::MAX)]).unwrap();
        validate_id_map(&[IdMap::identity(u32::MAX - 1)]).unwrap();
        // Adjacent ranges do not overlap.
        validate_id_map(&[IdMap::new(0, 10, 5), IdMap::new(5, 15, 5)]).unwrap();
        let many: Vec<_> = (0..340).map(|i| IdMap::new(i, i + 1000, 1)).collect();
        validate_id_map(&many).unwrap();
    }

    #[test]
    fn empty_map_is_refused() {
        assert_eq!(reason(&[]), IdMapError::Empty);
    }

    #[test]
    fn zero_count_is_refused() {
        assert_eq!(
            reason(&[IdMap::identity(1), IdMap::new(5, 5, 0)]),
            IdMapError::ZeroCount { index: 1 }
        );
    }

    #[test]
    fn overflow_is_refused_on_each_side() {
        assert_eq!(
            reason(&[IdMap::new(1, 0, u32::MAX)]),
            IdMapError::Overflow {
                index: 0,
                side: IdSide::Inside,
                first: 1,
                count: u32::MAX
            }
        );
        assert_eq!(
            reason(&[IdMap::new(0, u32::MAX, 1)]),
            IdMapError::Overflow {
                index: 0,
                side: IdSide::Outside,
                first: u32::MAX,
                count: 1
            }
        );
    }

    #[test]
    fn overlap_is_refused_on_each_side() {
        assert_eq!(
            reason(&[IdMap::new(0, 100, 10), IdMap::new(9, 200, 1)]),
            IdMapError::Overlap {
                first: 0,
                second: 1,
                side: IdSide::Inside
            }
        );
        assert_eq!(
            reason(&[
                IdMap::identity(50),
                IdMap::new(0, 100, 10),
                IdMap::new(20, 105, 1)
            ]),
            IdMapError::Overlap {
                first: 1,
                second: 2,
                side: IdSide::Outside
            }
        );
    }

    #[test]
    fn too_many_entries_are_refused() {
        let many: Vec<_> = (0..341).map(|i| IdMap::new(i, i, 1)).collect();
        assert_eq!(reason(&many), IdMapError::TooManyEntries { entries: 341 });
    }

    #[test]
    fn text_longer_than_a_page_is_refused() {
        // 200 entries of about 33 bytes: more than a 4 KiB page.
        let long: Vec<_> = (0..200)
            .map(|i| IdMap::new(4_000_000_000 + i * 10, 4_100_000_000 + i * 10, 10))
            .collect();
        let page = rustix::param::page_size();
        let bytes = map_text(&long).len();
        assert!(bytes > 4096);
        if bytes >= page {
            assert_eq!(reason(&long), IdMapError::TooLong { bytes, max: page });
        }
    }

    #[test]
    fn map_text_is_one_line_per_entry() {
        assert_eq!(
            map_text(&[IdMap::new(0, 1000, 1), IdMap::new(1, 100_000, 65536)]),
            "0 1000 1\n1 100000 65536\n"
        );
        assert_eq!(IdMap::identity(5).to_string(), "5 5 1");
    }

    #[test]
    fn write_validates_both_maps_before_writing() {
        // Invalid maps are refused without touching /proc (this test process is in the
        // initial user namespace, where writing would fail with EPERM anyway).
        match write_own_id_maps(&[IdMap::identity(0)], &[]) {
            Err(Error::InvalidIdMap { file, reason }) => {
                assert_eq!(file, "gid_map");
                assert_eq!(reason, IdMapError::Empty);
            }
            other => panic!("{other:?}"),
        }
        let err = write_own_id_maps(&[IdMap::new(0, 0, 0)], &[IdMap::identity(0)]).unwrap_err();
        assert_eq!(err.to_string(), "invalid uid_map: entry 0 has a count of 0");
        assert_eq!(err.errno(), None);
    }
}
