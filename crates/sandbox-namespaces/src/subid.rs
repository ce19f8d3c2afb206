//! Subordinate ids (`/etc/subuid`, `/etc/subgid`) and the `newuidmap`/`newgidmap` helpers
//! that map them.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::Pid;

use crate::{Error, IdMap, MAX_ID_MAP_ENTRIES};

/// The file that grants users subordinate uids.
pub const SUBUID_FILE: &str = "/etc/subuid";
/// The file that grants users subordinate gids.
pub const SUBGID_FILE: &str = "/etc/subgid";

/// A range of ids `/etc/subuid` or `/etc/subgid` grants a user: `count` ids from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubordinateRange {
    /// The first id.
    pub start: u32,
    /// How many ids.
    pub count: u32,
}

fn read_id_file(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::ReadIdFile {
            path: path.to_path_buf(),
            errno: Errno::from_io_error(&e).unwrap_or(Errno::IO),
        }),
    }
}

/// Reads a subordinate-id file as `newuidmap` opens it: `O_NOFOLLOW`, so a symlink is
/// `ELOOP` (which makes `newuidmap` refuse every map).
fn read_subordinate_file(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    let fail = |errno| Error::ReadIdFile {
        path: path.to_path_buf(),
        errno,
    };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(errno) => return Err(fail(errno)),
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::fs::File::from(fd), &mut bytes)
        .map_err(|e| fail(Errno::from_io_error(&e).unwrap_or(Errno::IO)))?;
    Ok(Some(bytes))
}

/// The ranges a subordinate-id file (`/etc/subuid` or `/etc/subgid`, lines
/// `owner:start:count`) grants the user named `user` with the numeric id `uid`, in file
/// order, read as `newuidmap(1)` and `newgidmap(1)` of shadow 4.13 read it (see
/// [`parse_subordinate_ranges`] for the rules). A line is the user's when its owner is
/// `user`, `uid` in decimal, or another name that `/etc/passwd` gives the uid `uid`
/// (for `/etc/subgid` too: `newgidmap` matches owners by uid). A file that does not exist
/// grants nothing.
///
/// Only the files are read: ranges that `/etc/nsswitch.conf` takes from elsewhere
/// (`subid: sss`), and users only NSS knows, are not seen.
///
/// # Errors
///
/// [`Error::ReadIdFile`] when the file exists but cannot be read, `ELOOP` when it is a
/// symlink (`newuidmap` opens it with `O_NOFOLLOW` and then refuses every map), or when
/// `/etc/passwd` exists but cannot be read.
pub fn subordinate_ranges(
    file: impl AsRef<Path>,
    user: Option<&str>,
    uid: u32,
) -> Result<Vec<SubordinateRange>, Error> {
    let Some(text) = read_subordinate_file(file.as_ref())? else {
        return Ok(Vec::new());
    };
    let passwd = read_id_file(Path::new("/etc/passwd"))?.unwrap_or_default();
    let uid_text = uid.to_string();
    Ok(parse_subordinate_ranges(&text, |owner| {
        user.is_some_and(|u| owner == u.as_bytes())
            || owner == uid_text.as_bytes()
            || passwd_uid(&passwd, owner) == Some(uid)
    }))
}

/// The ranges the contents `text` of a subordinate-id file grant the owners for which
/// `owner` says yes, in file order, read by the rules of shadow 4.13's `newuidmap` and
/// `newgidmap`:
///
/// - Lines as `fgets` reads them into a buffer of 4096 bytes that grows by 4096: a NUL
///   byte hides the rest of its line, which then joins the next one. A file whose last
///   line holds a NUL before its newline, or ends without a newline exactly where the
///   buffer is full, cannot be read at all, and grants nothing. Only the final `\n` ends
///   a line: a `\r` stays in it.
/// - A line is `owner:start:count`, three non-empty fields; anything after a third colon
///   is ignored. Lines starting with `+` or `-`, and lines of 1024 bytes or more, are no
///   entries (nor are comments, which are lines with too few fields).
/// - `start` and `count` are C's `strtoul` with base 0 over the whole field: leading
///   white space and a sign are allowed, `0x` is hexadecimal, a leading `0` octal
///   (`0100000` is 32768), trailing characters (a space, a `\r`) refuse the line.
///   Binary `0b` (glibc 2.38's C23 mode) is not read: newuidmap built against an older
///   glibc refuses it, and a range read here must be one every newuidmap grants.
///
/// Each range is the part of the line's range that names valid ids, `start` up to at
/// most 4294967294 (`count` shortened to fit). Lines whose range has no such id are left
/// out: a count of 0 (where newuidmap 4.13 takes `owner:0:0` as granting every id, a bug
/// not reproduced here), a start past 4294967294, or a range past 2^64 (which newuidmap
/// reads as granting nothing).
///
/// ```
/// use sandbox_namespaces::{parse_subordinate_ranges, SubordinateRange};
///
/// let text = b"alice:0100000:65536\nalice:200000 :10\nalice:0x493e0:10:junk\n";
/// let ranges = parse_subordinate_ranges(text, |owner| owner == b"alice");
/// let r = |start, count| SubordinateRange { start, count };
/// // Octal, as strtoul reads it; a trailing space refuses the line; hex, junk ignored.
/// assert_eq!(ranges, [r(32768, 65536), r(300_000, 10)]);
/// ```
pub fn parse_subordinate_ranges(
    text: &[u8],
    mut owner: impl FnMut(&[u8]) -> bool,
) -> Vec<SubordinateRange> {
    // newuidmap cannot open such a file: it grants nothing.
    let lines = crate::shadow::lines(text).unwrap_or_default();
    lines
        .iter()
        .filter_map(|line| crate::shadow::entry(line))
        .filter(|(who, _, _)| owner(who))
        .filter_map(|(_, start, count)| mappable(start, count))
        .collect()
}

/// The ids of `count` ids from `start` (64-bit, as newuidmap reads them) that a map can
/// name: up to 4294967294 (4294967295 is the invalid id).
fn mappable(start: u64, count: u64) -> Option<SubordinateRange> {
    const LAST_ID: u64 = u32::MAX as u64 - 1;
    if count == 0 || start > LAST_ID || start.checked_add(count - 1).is_none() {
        return None;
    }
    Some(SubordinateRange {
        start: u32::try_from(start).ok()?,
        count: u32::try_from(count.min(LAST_ID + 1 - start)).ok()?,
    })
}

/// The uid of the first `/etc/passwd` line named `name` (as `getpwnam` finds it in the
/// file).
fn passwd_uid(passwd: &[u8], name: &[u8]) -> Option<u32> {
    passwd.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.split(|&b| b == b':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        Some(std::str::from_utf8(fields.next()?).ok()?.parse().ok())
    })?
}

/// The name of the user with uid `uid` in `/etc/passwd`, if it has one there (`nobody` for
/// 65534 on most distributions). Users only NSS knows (LDAP, systemd-homed) are not found.
///
/// # Errors
///
/// [`Error::ReadIdFile`] when `/etc/passwd` exists but cannot be read.
pub fn user_name(uid: u32) -> Result<Option<String>, Error> {
    let Some(text) = read_id_file(Path::new("/etc/passwd"))? else {
        return Ok(None);
    };
    let uid = uid.to_string();
    Ok(text.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.split(|&b| b == b':');
        let name = fields.next()?;
        let _password = fields.next()?;
        (fields.next()? == uid.as_bytes())
            .then(|| String::from_utf8_lossy(name).into_owned())
            .filter(|n| !n.is_empty())
    }))
}

/// The usual rootless map: inside id 0 is `own` (the caller's id outside), and inside ids
/// 1, 2, ... are the subordinate `ranges` one after the other, so that with one range of
/// 65536 the inside ids 1..=65536 are that range.
///
/// The map is always one the kernel takes ([`validate_id_map`](crate::validate_id_map)
/// passes) when `own` is an id (4294967295, `(uid_t)-1`, is none): ranges that contain `own` are left out (the kernel refuses overlapping
/// outside ids), as are ranges that overlap one taken before, and ranges that would make
/// the map longer than [`MAX_ID_MAP_ENTRIES`] entries or than a page of text (what the
/// kernel reads at most). The part of a range past id 4294967294, outside or inside, is
/// cut off. A range left out does not stop the ones after it.
pub fn rootless_id_map(own: u32, ranges: &[SubordinateRange]) -> Vec<IdMap> {
    const END: u64 = u32::MAX as u64; // one past the last valid id
    let first = IdMap::new(0, own, 1);
    let page = rustix::param::page_size();
    let mut text = crate::idmap::line_len(&first);
    let mut map = vec![first];
    let mut next: u64 = 1;
    for range in ranges {
        let start = u64::from(range.start);
        let count = u64::from(range.count)
            .min(END.saturating_sub(start))
            .min(END.saturating_sub(next));
        let end = start + count;
        let overlaps = map.iter().any(|m| {
            let (s, e) = (
                u64::from(m.outside),
                u64::from(m.outside) + u64::from(m.count),
            );
            s < end && start < e
        });
        if count == 0 || overlaps || map.len() >= MAX_ID_MAP_ENTRIES {
            continue;
        }
        // Both fit in u32: count <= END - next and count <= END - start.
        let (Ok(inside), Ok(count)) = (u32::try_from(next), u32::try_from(count)) else {
            continue;
        };
        let entry = IdMap::new(inside, range.start, count);
        let len = crate::idmap::line_len(&entry);
        if text + len >= page {
            continue;
        }
        text += len;
        map.push(entry);
        next += u64::from(count);
    }
    map
}

/// Which of the two setuid helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdMapTool {
    /// `newuidmap(1)`: writes `/proc/<pid>/uid_map` with ids from `/etc/subuid`.
    NewUidMap,
    /// `newgidmap(1)`: writes `/proc/<pid>/gid_map` with ids from `/etc/subgid` (and
    /// `setgroups` deny when the map holds only the user's own gid).
    NewGidMap,
}

impl IdMapTool {
    /// The program name: `newuidmap` or `newgidmap`.
    pub fn program(self) -> &'static str {
        match self {
            IdMapTool::NewUidMap => "newuidmap",
            IdMapTool::NewGidMap => "newgidmap",
        }
    }

    /// Looks the program up in the directories of `PATH` (`/usr/bin:/bin` without one):
    /// the first regular file there with an execute bit.
    ///
    /// # Errors
    ///
    /// [`Error::IdMapToolNotFound`] when no directory has it.
    pub fn find(self) -> Result<PathBuf, Error> {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        path.as_bytes()
            .split(|&b| b == b':')
            .filter(|dir| !dir.is_empty())
            .map(|dir| Path::new(OsStr::from_bytes(dir)).join(self.program()))
            .find(|candidate| {
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
            .ok_or_else(|| Error::IdMapToolNotFound {
                program: PathBuf::from(self.program()),
            })
    }
}

/// How `newuidmap` or `newgidmap` ended when it refused ([`Error::IdMapToolFailed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdMapToolStatus {
    /// It exited with this code (not 0).
    Exited(i32),
    /// A signal killed it: the signal number.
    Signaled(i32),
}

/// `exit code 1`, `signal 9`.
impl fmt::Display for IdMapToolStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdMapToolStatus::Exited(code) => write!(f, "exit code {code}"),
            IdMapToolStatus::Signaled(signal) => write!(f, "signal {signal}"),
        }
    }
}

/// Runs `program` (a `newuidmap` or `newgidmap`) to write `map` as the uid or gid map of
/// process `pid`: `program pid inside outside count ...`, and waits for it.
///
/// The helpers are setuid root and check the map against `/etc/subuid` / `/etc/subgid`
/// for the calling user (by name and by uid), allowing also the caller's own id; `pid` must
/// belong to the caller and have unshared its user namespace. This `fork`s and `exec`s: a
/// process that must not exec anything calls it from a helper process.
///
/// # Errors
///
/// - [`Error::InvalidIdMap`]: see [`validate_id_map`](crate::validate_id_map).
/// - [`Error::SpawnIdMapTool`] when the program cannot be started (`ENOENT`, `EACCES`).
/// - [`Error::IdMapToolFailed`] with its exit status and what it printed when it refused.
pub fn run_id_map_tool(program: &Path, pid: Pid, map: &[IdMap]) -> Result<(), Error> {
    crate::idmap::check(map).map_err(|reason| Error::InvalidIdMap {
        file: "id map",
        reason,
    })?;
    let mut command = Command::new(program);
    command.arg(pid.as_raw_nonzero().to_string());
    for entry in map {
        command.args([
            entry.inside.to_string(),
            entry.outside.to_string(),
            entry.count.to_string(),
        ]);
    }
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Error::SpawnIdMapTool {
            program: program.to_path_buf(),
            errno: Errno::from_io_error(&e).unwrap_or(Errno::IO),
        })?;
    if output.status.success() {
        return Ok(());
    }
    use std::os::unix::process::ExitStatusExt;
    let status = match output.status.code() {
        Some(code) => IdMapToolStatus::Exited(code),
        // `output` waits for the end: a tool that did not exit was killed.
        None => IdMapToolStatus::Signaled(output.status.signal().unwrap_or(0)),
    };
    Err(Error::IdMapToolFailed {
        program: program.to_path_buf(),
        pid: pid.as_raw_nonzero().get(),
        status,
        message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinate_ranges_match_by_name_and_by_uid() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("subuid");
        std::fs::write(
            &file,
            "# comment\nalice:100000:65536\n1000:300000:10\nbob:200000:65536\n\
             alice:bad:1\nalice:5:0\nalice:400000\n\nalice:500000:7\n",
        )
        .unwrap();
        assert_eq!(
            subordinate_ranges(&file, Some("alice"), 1000).unwrap(),
            vec![
                SubordinateRange {
                    start: 100_000,
                    count: 65536
                },
                SubordinateRange {
                    start: 300_000,
                    count: 10
                },
                SubordinateRange {
                    start: 500_000,
                    count: 7
                },
            ]
        );
        assert_eq!(subordinate_ranges(&file, None, 1001).unwrap(), vec![]);
        assert_eq!(
            subordinate_ranges(dir.path().join("missing"), Some("alice"), 1).unwrap(),
            vec![]
        );
        match subordinate_ranges(dir.path(), None, 1) {
            Err(Error::ReadIdFile { errno, .. }) => assert_eq!(errno, Errno::ISDIR),
            other => panic!("{other:?}"),
        }
    }

    fn r(start: u32, count: u32) -> SubordinateRange {
        SubordinateRange { start, count }
    }

    fn alices(text: &[u8]) -> Vec<SubordinateRange> {
        parse_subordinate_ranges(text, |owner| owner == b"alice")
    }

    #[test]
    fn lines_are_read_as_newuidmap_reads_them() {
        // The cases of issue 16, each as shadow 4.13's newuidmap reads it.
        assert_eq!(alices(b"alice:0100000:65536\n"), [r(32768, 65536)]);
        assert_eq!(alices(b"alice:0x186a0:65536\n"), [r(100_000, 65536)]);
        assert_eq!(alices(b"alice:100000:65536:junk\n"), [r(100_000, 65536)]);
        assert_eq!(alices(b"alice:100000:65536\r\n"), []);
        assert_eq!(alices(b"alice:100000 :65536\n"), []);
        assert_eq!(alices(b"alice: 100000:+65536\n"), [r(100_000, 65536)]);
        // A NUL joins its line to the next one, which then reads as neither.
        assert_eq!(alices(b"alice:1:2\0x\nalice:100000:5\n"), []);
        // A NUL in the last line makes the whole file unreadable.
        assert_eq!(alices(b"alice:100000:5\nalice:1\0\n"), []);
        // NIS lines, other owners, and comments are no entries for alice.
        assert_eq!(
            alices(b"+alice:1:2\n-alice:1:2\n# alice:1:2\nalicex:1:2\n alice:1:2\nalice:9:1"),
            [r(9, 1)]
        );
    }

    #[test]
    fn ranges_are_cut_to_the_ids_a_map_can_name() {
        // 4294967295 is the invalid id; 2^64 and past are what strtoul refuses.
        assert_eq!(alices(b"alice:4294967290:100\n"), [r(4_294_967_290, 5)]);
        assert_eq!(alices(b"alice:4294967295:2\n"), []);
        assert_eq!(alices(b"alice:0:5000000000\n"), [r(0, u32::MAX)]);
        // A count of 0, and a range past 2^64 (newuidmap grants nothing for it).
        assert_eq!(alices(b"alice:0:0\nalice:5:0\nalice:100:-1\n"), []);
        assert_eq!(alices(b"alice:-1:1\n"), []);
    }

    #[test]
    fn owners_match_by_name_uid_or_a_passwd_name_with_that_uid() {
        let passwd =
            b"root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/:/bin/sh\n";
        assert_eq!(passwd_uid(passwd, b"toor"), Some(0));
        assert_eq!(passwd_uid(passwd, b"alice"), Some(1000));
        assert_eq!(passwd_uid(passwd, b"bob"), None);
        assert_eq!(passwd_uid(b"bad:x:y:0\n", b"bad"), None);
    }

    #[test]
    fn rootless_map_puts_the_caller_at_zero_and_the_ranges_after() {
        assert_eq!(rootless_id_map(1000, &[]), vec![IdMap::new(0, 1000, 1)]);
        assert_eq!(
            rootless_id_map(1000, &[r(100_000, 65536), r(300_000, 10)]),
            vec![
                IdMap::new(0, 1000, 1),
                IdMap::new(1, 100_000, 65536),
                IdMap::new(65537, 300_000, 10)
            ]
        );
        // A range holding the caller's own id, or overlapping an earlier one, is left out.
        assert_eq!(
            rootless_id_map(1000, &[r(0, 5000), r(2000, 5), r(2002, 5)]),
            vec![IdMap::new(0, 1000, 1), IdMap::new(1, 2000, 5)]
        );
        crate::validate_id_map(&rootless_id_map(5, &[r(u32::MAX - 10, 10)])).unwrap();
    }

    #[test]
    fn rootless_map_goes_on_after_a_range_it_leaves_out() {
        // Issue 16, item 2: a range past the last id used to end the map there.
        assert_eq!(
            rootless_id_map(1000, &[r(u32::MAX, 2), r(100_000, 65536)]),
            vec![IdMap::new(0, 1000, 1), IdMap::new(1, 100_000, 65536)]
        );
        // Past the last id, the range is cut, not dropped; on both sides.
        assert_eq!(
            rootless_id_map(1000, &[r(u32::MAX - 3, 100), r(100_000, 65536)]),
            vec![
                IdMap::new(0, 1000, 1),
                IdMap::new(1, u32::MAX - 3, 3),
                IdMap::new(4, 100_000, 65536)
            ]
        );
        assert_eq!(
            rootless_id_map(0, &[r(1, u32::MAX - 1), r(100_000, 65536)]),
            vec![IdMap::new(0, 0, 1), IdMap::new(1, 1, u32::MAX - 1)]
        );
    }

    #[test]
    fn rootless_map_stays_within_a_page_and_the_entry_limit() {
        // Issue 16, item 3: 185 ordinary ranges made 4,109 bytes, which the kernel refuses.
        let page = rustix::param::page_size();
        for n in [185, 340, 400, 1000] {
            let ranges: Vec<_> = (0..n).map(|i| r(100_000 + i * 100_000, 65536)).collect();
            let map = rootless_id_map(1000, &ranges);
            crate::validate_id_map(&map).unwrap();
            assert!(crate::idmap::map_text(&map).len() < page, "{n} ranges");
            assert!(map.len() <= MAX_ID_MAP_ENTRIES);
            if page == 4096 {
                assert!(
                    map.len() > 100,
                    "{n} ranges gave only {} entries",
                    map.len()
                );
            }
        }
        // Short lines still fit after a long one was left out.
        let mut ranges: Vec<_> = (0..120)
            .map(|i| r(4_000_000_000 + i * 100_000, 65536))
            .collect();
        ranges.push(r(10, 1));
        let map = rootless_id_map(1000, &ranges);
        if page == 4096 {
            assert_eq!(map.last().map(|m| m.outside), Some(10));
        }
    }

    #[test]
    fn a_refusal_names_the_tool_its_status_and_its_words() {
        let e = Error::IdMapToolFailed {
            program: "/usr/bin/newuidmap".into(),
            pid: 42,
            status: IdMapToolStatus::Exited(1),
            message: "newuidmap: uid range [1-11) -> [4000000000-4000000010) not allowed".into(),
        };
        assert_eq!(
            e.to_string(),
            "/usr/bin/newuidmap 42 refused (exit code 1): newuidmap: uid range [1-11) -> \
             [4000000000-4000000010) not allowed"
        );
        assert_eq!(e.errno(), None);
        assert_eq!(IdMapToolStatus::Signaled(9).to_string(), "signal 9");
    }

    #[test]
    fn a_missing_tool_is_not_found_in_an_empty_path() {
        // PATH is read, not changed: find() with a PATH that has no such program.
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("newuidmap");
        match run_id_map_tool(&program, rustix::process::getpid(), &[IdMap::identity(0)]) {
            Err(Error::SpawnIdMapTool { errno, .. }) => assert_eq!(errno, Errno::NOENT),
            other => panic!("{other:?}"),
        }
        assert_eq!(IdMapTool::NewGidMap.program(), "newgidmap");
    }
}
