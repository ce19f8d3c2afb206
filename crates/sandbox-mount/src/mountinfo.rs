//! Parse `/proc/<pid>/mountinfo`: what the kernel says is mounted, in a mount namespace.
//!
//! Each line describes one mount (see `proc_pid_mountinfo(5)`):
//!
//! ```text
//! 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2) (3)   (4)     (5)         (6)        (7)  (8) (9)    (10)         (11)
//! ```
//!
//! The kernel escapes space, tab, newline and backslash in paths and names as octal
//! (`\040`, `\011`, `\012`, `\134`); the parser decodes every `\ooo` escape. Paths are
//! bytes, not necessarily UTF-8, and become [`PathBuf`]s unchanged.
//!
//! ```
//! use sandbox_mount::mountinfo;
//!
//! let text = "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n";
//! let mounts = mountinfo::parse(text)?;
//! assert_eq!(mounts[0].mount_point, std::path::Path::new("/proc"));
//! assert_eq!(mounts[0].propagation(), sandbox_mount::Propagation::Shared);
//! # Ok::<(), sandbox_mount::Error>(())
//! ```

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::{Error, Propagation};

/// One line of a mountinfo file: one mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// A unique id of the mount (field 1); the same as `statx`'s `STATX_MNT_ID`.
    pub mount_id: u32,
    /// The id of the parent mount (field 2), or of itself for the root of the namespace.
    pub parent_id: u32,
    /// The major number of the file system's device (`st_dev`).
    pub major: u32,
    /// The minor number of the file system's device (`st_dev`).
    pub minor: u32,
    /// The directory of the file system that is the root of this mount (`/` unless it is
    /// a bind mount of a subdirectory).
    pub root: PathBuf,
    /// Where it is mounted, relative to the process's root.
    pub mount_point: PathBuf,
    /// Per-mount options (`rw`, `ro`, `nosuid`, `nodev`, `noexec`, `relatime`, ...).
    pub mount_options: Vec<String>,
    /// Propagation: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`.
    pub optional_fields: Vec<OptionalField>,
    /// The file system type (`tmpfs`, `proc`, `ext4`, `fuse.sshfs`).
    pub fs_type: String,
    /// The file-system-specific source (a device, `tmpfs`, `none`); not UTF-8 bytes are
    /// replaced with U+FFFD.
    pub source: String,
    /// Per-super-block options (`rw`, `size=1024k`, `mode=755`, ...).
    pub super_options: Vec<String>,
}

impl MountInfo {
    /// Whether writes through this mount fail with `EROFS`: the mount is `ro`, or its file
    /// system (super block) is.
    pub fn is_read_only(&self) -> bool {
        self.mount_options.iter().any(|o| o == "ro") || self.super_options.iter().any(|o| o == "ro")
    }

    /// The propagation type: [`Shared`](Propagation::Shared) if the mount is in a peer
    /// group (even when it is also a slave), [`Slave`](Propagation::Slave) if it only
    /// receives from a master, [`Unbindable`](Propagation::Unbindable), else
    /// [`Private`](Propagation::Private).
    pub fn propagation(&self) -> Propagation {
        let has = |f: fn(&OptionalField) -> bool| self.optional_fields.iter().any(f);
        if has(|f| matches!(f, OptionalField::Shared(_))) {
            Propagation::Shared
        } else if has(|f| matches!(f, OptionalField::Master(_))) {
            Propagation::Slave
        } else if has(|f| matches!(f, OptionalField::Unbindable)) {
            Propagation::Unbindable
        } else {
            Propagation::Private
        }
    }
}

/// An optional field (field 7) of a mountinfo line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionalField {
    /// `shared:N`: the mount is in peer group N.
    Shared(u32),
    /// `master:N`: the mount is a slave of peer group N.
    Master(u32),
    /// `propagate_from:N`: the mount receives from peer group N (its nearest dominant peer
    /// group visible in this namespace).
    PropagateFrom(u32),
    /// `unbindable`.
    Unbindable,
    /// A field this parser does not know, as written.
    Unknown(String),
}

/// Parses mountinfo text, one mount per line.
///
/// # Errors
///
/// [`Error::ParseMountinfo`] with the line number (from 1) for a line that does not have
/// the fields of `proc_pid_mountinfo(5)`: a non-numeric id, no `-` separator, a missing
/// field, a `shared:`/`master:`/`propagate_from:` without a number, or an empty line.
pub fn parse(text: &str) -> Result<Vec<MountInfo>, Error> {
    parse_bytes(text.as_bytes())
}

/// Parses mountinfo as bytes: the kernel writes paths as they are, so a mountinfo file
/// need not be UTF-8.
///
/// # Errors
///
/// As [`parse`].
pub fn parse_bytes(text: &[u8]) -> Result<Vec<MountInfo>, Error> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            parse_line(line).map_err(|reason| Error::ParseMountinfo {
                line: i + 1,
                reason,
            })
        })
        .collect()
}

/// Reads and parses `/proc/self/mountinfo`: the mounts of the caller's mount namespace,
/// as seen from its root.
///
/// Needs a procfs mounted on `/proc`.
///
/// # Errors
///
/// [`Error::ReadMountinfo`] when the file cannot be read (no `/proc`), or
/// [`Error::ParseMountinfo`].
pub fn read_self() -> Result<Vec<MountInfo>, Error> {
    read("/proc/self/mountinfo")
}

/// Reads and parses a mountinfo file (`/proc/<pid>/mountinfo`, or a saved copy).
///
/// # Errors
///
/// [`Error::ReadMountinfo`] when the file cannot be read, or [`Error::ParseMountinfo`].
pub fn read(path: impl AsRef<Path>) -> Result<Vec<MountInfo>, Error> {
    let path = path.as_ref();
    let text = std::fs::read(path).map_err(|e| Error::ReadMountinfo {
        path: path.to_path_buf(),
        errno: Errno::from_io_error(&e).unwrap_or(Errno::IO),
    })?;
    parse_bytes(&text)
}

/// What the mounts of a namespace say about mounting a new proc in a user namespace.
///
/// The kernel lets a process whose mount namespace belongs to a user namespace other than
/// the initial one mount proc only if a proc of the same namespace is *fully visible*
/// (`mount_too_revealing()` in `fs/namespace.c`): some proc mounted at the root of its file
/// system with no mount on a part of it, because a new proc would reveal what those mounts
/// hide. Container runtimes mask parts of `/proc` that way (`/proc/kcore`, `/proc/keys`,
/// `/proc/sys`, ...), and a user namespace made under such a mask cannot mount proc:
/// `EPERM`. As root in the initial user namespace the rule does not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcVisibility {
    /// A proc at this mount point has nothing mounted on a part of it.
    FullyVisible(PathBuf),
    /// No proc is mounted at the root of its file system.
    NoProc,
    /// Every proc is partly covered: the mount points of the mounts on parts of them.
    Covered(Vec<PathBuf>),
}

/// The directories of a proc, relative to its root, that the kernel keeps permanently
/// empty as mount points (`register_sysctl_mount_point()`, `proc_create_mount_point()`): a
/// mount on one hides nothing of proc, and [`proc_visibility`] does not count it.
const PROC_EMPTY_MOUNT_POINTS: [&str; 2] = ["sys/fs/binfmt_misc", "fs/nfsd"];

/// Whether a proc in `mounts` (one mount namespace's, as [`read_self`] returns them) is
/// fully visible; see [`ProcVisibility`].
///
/// Mounts whose mount point is one of the directories proc keeps permanently empty for
/// them (`sys/fs/binfmt_misc` and `fs/nfsd` below its root) do not count, as the
/// kernel does not count them. The kernel also ignores mounts that are not locked (made in
/// the same user namespace as the new proc would be); mountinfo does not say which are, so
/// this reports every other mount on a part of a proc: what a user namespace made below
/// them inherits locked.
///
/// Not detected: the kernel also passes over a fully visible proc whose locked flags are
/// more restrictive than the new mount's. A read-only proc (read-only in its superblock,
/// or locked read-only when a mount namespace of a less privileged user namespace copied
/// it) lets no read-write proc be mounted, only a read-only one, and reads as
/// [`ProcVisibility::FullyVisible`] here all the same.
pub fn proc_visibility(mounts: &[MountInfo]) -> ProcVisibility {
    let mut covered = Vec::new();
    let mut any = false;
    for proc in mounts
        .iter()
        .filter(|m| m.fs_type == "proc" && m.root == Path::new("/"))
    {
        any = true;
        let keeps_empty = PROC_EMPTY_MOUNT_POINTS.map(|dir| proc.mount_point.join(dir));
        let covers: Vec<&MountInfo> = mounts
            .iter()
            .filter(|m| m.parent_id == proc.mount_id && m.mount_id != proc.mount_id)
            .filter(|m| !keeps_empty.contains(&m.mount_point))
            .collect();
        if covers.is_empty() {
            return ProcVisibility::FullyVisible(proc.mount_point.clone());
        }
        for m in covers {
            if !covered.contains(&m.mount_point) {
                covered.push(m.mount_point.clone());
            }
        }
    }
    match any {
        true => ProcVisibility::Covered(covered),
        false => ProcVisibility::NoProc,
    }
}

fn parse_line(line: &[u8]) -> Result<MountInfo, String> {
    if line.is_empty() {
        return Err("empty line".into());
    }
    // Split on single spaces: an empty field (an empty source) stays a field.
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let Some(sep) = fields.iter().skip(6).position(|f| *f == b"-") else {
        return Err("no \" - \" separator after the mount options".into());
    };
    let sep = sep + 6;
    let [mount_id, parent_id, dev, root, mount_point, mount_options] = fields[..6] else {
        return Err("fewer than 6 fields before the separator".into());
    };
    let [fs_type, source, super_options] = fields[sep + 1..] else {
        return Err(format!(
            "{} fields after the separator, expected 3 (type, source, options)",
            fields.len() - sep - 1
        ));
    };
    let (major, minor) = match dev.iter().position(|&b| b == b':') {
        Some(colon) => (
            number(&dev[..colon], "major")?,
            number(&dev[colon + 1..], "minor")?,
        ),
        None => return Err(format!("device {:?} is not major:minor", lossy(dev))),
    };
    Ok(MountInfo {
        mount_id: number(mount_id, "mount id")?,
        parent_id: number(parent_id, "parent id")?,
        major,
        minor,
        root: path(root, "root")?,
        mount_point: path(mount_point, "mount point")?,
        mount_options: options(mount_options),
        optional_fields: fields[6..sep]
            .iter()
            .map(|f| optional_field(f))
            .collect::<Result<_, _>>()?,
        fs_type: string(fs_type),
        source: string(source),
        super_options: options(super_options),
    })
}

fn number(field: &[u8], what: &str) -> Result<u32, String> {
    std::str::from_utf8(field)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{what} {:?} is not a number", lossy(field)))
}

fn path(field: &[u8], what: &str) -> Result<PathBuf, String> {
    if field.is_empty() {
        return Err(format!("empty {what}"));
    }
    Ok(PathBuf::from(OsString::from_vec(unescape(field))))
}

fn string(field: &[u8]) -> String {
    String::from_utf8_lossy(&unescape(field)).into_owned()
}

/// Splits on commas first: a comma inside a value is escaped (`\054`) by the kernel.
fn options(field: &[u8]) -> Vec<String> {
    if field.is_empty() {
        return Vec::new();
    }
    field.split(|&b| b == b',').map(string).collect()
}

fn optional_field(field: &[u8]) -> Result<OptionalField, String> {
    let tagged = |prefix: &[u8]| field.strip_prefix(prefix);
    Ok(if let Some(n) = tagged(b"shared:") {
        OptionalField::Shared(number(n, "peer group of shared:")?)
    } else if let Some(n) = tagged(b"master:") {
        OptionalField::Master(number(n, "peer group of master:")?)
    } else if let Some(n) = tagged(b"propagate_from:") {
        OptionalField::PropagateFrom(number(n, "peer group of propagate_from:")?)
    } else if field == b"unbindable" {
        OptionalField::Unbindable
    } else {
        OptionalField::Unknown(string(field))
    })
}

/// Decodes `\ooo` octal escapes; a backslash not followed by three octal digits stays.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\' {
            if let Some(&[a, b, c]) = field.get(i + 1..i + 4) {
                let octal = |d: u8| (b'0'..=b'7').contains(&d);
                if octal(a) && octal(b) && octal(c) && a <= b'3' {
                    out.push((a - b'0') << 6 | (b - b'0') << 3 | (c - b'0'));
                    i += 4;
                    continue;
                }
            }
        }
        out.push(field[i]);
        i += 1;
    }
    out
}

fn lossy(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw
27 1 254:0 / / rw,relatime shared:1 master:2 - ext4 /dev/vda rw,discard
40 27 0:40 / /tmp/with\\040space ro,nosuid,nodev unbindable - tmpfs tmpfs ro,size=1024k,mode=755
41 27 0:41 /sub\\011dir /a\\012b\\134c rw propagate_from:7 foo:bar - fuse.x my\\040src rw
";

    #[test]
    fn parses_every_field() {
        let m = parse(SAMPLE).unwrap();
        assert_eq!(m.len(), 5);
        assert_eq!(
            m[0],
            MountInfo {
                mount_id: 36,
                parent_id: 35,
                major: 98,
                minor: 0,
                root: "/mnt1".into(),
                mount_point: "/mnt/parent".into(),
                mount_options: vec!["rw".into(), "noatime".into()],
                optional_fields: vec![OptionalField::Master(1)],
                fs_type: "ext3".into(),
                source: "/dev/root".into(),
                super_options: vec!["rw".into(), "errors=continue".into()],
            }
        );
        assert_eq!(m[1].optional_fields, vec![OptionalField::Shared(14)]);
        assert_eq!(m[2].major, 254);
        assert_eq!(m[2].parent_id, 1);
    }

    #[test]
    fn decodes_octal_escapes() {
        let m = parse(SAMPLE).unwrap();
        assert_eq!(m[3].mount_point, Path::new("/tmp/with space"));
        assert_eq!(m[4].root, Path::new("/sub\tdir"));
        assert_eq!(m[4].mount_point, Path::new("/a\nb\\c"));
        assert_eq!(m[4].source, "my src");
        assert_eq!(unescape(br"a\054b"), b"a,b");
        // Not an escape: kept as written.
        assert_eq!(unescape(br"a\9bc\"), br"a\9bc\");
        assert_eq!(unescape(br"\12"), br"\12");
    }

    #[test]
    fn non_utf8_paths_stay_bytes() {
        let line = b"1 0 0:1 / /x\xff rw - tmpfs t\xfe rw\n";
        let m = parse_bytes(line).unwrap();
        assert_eq!(
            m[0].mount_point,
            PathBuf::from(OsString::from_vec(b"/x\xff".to_vec()))
        );
        assert_eq!(m[0].source, "t\u{fffd}");
    }

    #[test]
    fn propagation_and_read_only() {
        let m = parse(SAMPLE).unwrap();
        assert_eq!(m[0].propagation(), Propagation::Slave);
        assert_eq!(m[1].propagation(), Propagation::Shared);
        // shared and slave at once: shared wins.
        assert_eq!(m[2].propagation(), Propagation::Shared);
        assert_eq!(m[3].propagation(), Propagation::Unbindable);
        assert_eq!(m[4].propagation(), Propagation::Private);
        assert_eq!(
            m[4].optional_fields,
            vec![
                OptionalField::PropagateFrom(7),
                OptionalField::Unknown("foo:bar".into())
            ]
        );
        assert!(!m[0].is_read_only());
        assert!(m[3].is_read_only());
        let sb_ro = parse("1 0 0:1 / /x rw - ext4 /dev/x ro\n").unwrap();
        assert!(sb_ro[0].is_read_only());
    }

    #[test]
    fn empty_source_and_no_options_are_fields() {
        let m = parse("5 1 0:5 / /x rw - tmpfs  rw").unwrap();
        assert_eq!(m[0].source, "");
        assert_eq!(m[0].super_options, vec!["rw".to_string()]);
        assert!(m[0].optional_fields.is_empty());
    }

    #[test]
    fn empty_text_is_no_mounts() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("\n").unwrap(), vec![]);
        let two = "1 0 0:1 / / rw - ext4 /dev/x rw\n\n1 0 0:1 / / rw - ext4 /dev/x rw\n";
        assert_eq!(
            parse(two).unwrap_err().to_string(),
            "parse mountinfo line 2: empty line"
        );
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line_number() {
        let good = "1 0 0:1 / / rw - ext4 /dev/x rw";
        let cases = [
            (
                "x 0 0:1 / / rw - ext4 /dev/x rw",
                "mount id \"x\" is not a number",
            ),
            (
                "1 -2 0:1 / / rw - ext4 /dev/x rw",
                "parent id \"-2\" is not a number",
            ),
            (
                "1 0 01 / / rw - ext4 /dev/x rw",
                "device \"01\" is not major:minor",
            ),
            (
                "1 0 0:z / / rw - ext4 /dev/x rw",
                "minor \"z\" is not a number",
            ),
            ("1 0 0:1 / / rw ext4 /dev/x rw", "no \" - \" separator"),
            (
                "1 0 0:1 / / rw - ext4 /dev/x",
                "2 fields after the separator",
            ),
            (
                "1 0 0:1 / / rw - ext4 /dev/x rw extra",
                "4 fields after the separator",
            ),
            (
                "1 0 0:1 / / rw shared:x - ext4 /dev/x rw",
                "peer group of shared:",
            ),
            (
                "1 0 0:1 / / rw master: - ext4 /dev/x rw",
                "peer group of master:",
            ),
            ("1 0 0:1  / rw - ext4 /dev/x rw", "empty root"),
            ("1 0 0:1 / / rw", "no \" - \" separator"),
            ("99999999999 0 0:1 / / rw - ext4 /dev/x rw", "mount id"),
        ];
        for (bad, reason) in cases {
            let text = format!("{good}\n{bad}\n{good}\n");
            match parse(&text) {
                Err(Error::ParseMountinfo { line, reason: r }) => {
                    assert_eq!(line, 2, "{bad}");
                    assert!(r.contains(reason), "{bad}: {r:?} lacks {reason:?}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn proc_is_fully_visible_unless_every_proc_has_a_mount_on_a_part_of_it() {
        let host = "\
1 0 8:1 / / rw - ext4 /dev/sda rw
22 1 0:21 / /proc rw,nosuid - proc proc rw
23 22 0:40 / /proc/sys/fs/binfmt_misc rw - autofs systemd-1 rw
24 22 0:41 / /proc/fs/nfsd rw - nfsd nfsd rw
";
        let m = parse(host).unwrap();
        assert_eq!(
            proc_visibility(&m),
            ProcVisibility::FullyVisible("/proc".into())
        );
        // Docker's masks: a file over /proc/kcore, a tmpfs over /proc/sys; a mount on
        // the mask itself is not on proc.
        let masked = "\
1 0 8:1 / / rw - ext4 /dev/sda rw
22 1 0:21 / /proc rw,nosuid - proc proc rw
30 22 0:5 /null /proc/kcore rw - devtmpfs udev rw
31 22 0:50 / /proc/sys ro - tmpfs tmpfs ro
32 31 0:51 / /proc/sys/x rw - tmpfs tmpfs rw
";
        let m = parse(masked).unwrap();
        assert_eq!(
            proc_visibility(&m),
            ProcVisibility::Covered(vec!["/proc/kcore".into(), "/proc/sys".into()])
        );
        // A second, clean proc elsewhere makes it visible; a bind of a part of proc is not
        // a proc at the root of its file system.
        let second = format!("{masked}40 1 0:21 / /mnt/proc rw - proc proc rw\n");
        assert_eq!(
            proc_visibility(&parse(&second).unwrap()),
            ProcVisibility::FullyVisible("/mnt/proc".into())
        );
        let part = "1 0 8:1 / / rw - ext4 /dev/sda rw\n2 1 0:21 /sys /x rw - proc proc rw\n";
        assert_eq!(
            proc_visibility(&parse(part).unwrap()),
            ProcVisibility::NoProc
        );
    }

    #[test]
    fn the_separator_is_found_after_the_fixed_fields() {
        // A mount point named "-" is escaped by no one: the separator search starts at
        // field 7, so a "-" in the first six fields is not taken for it.
        let m = parse("1 0 0:1 / - rw - ext4 /dev/x rw").unwrap();
        assert_eq!(m[0].mount_point, Path::new("-"));
    }
}
