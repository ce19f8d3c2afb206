//! `sandbox_mount::mountinfo`: `/proc/<pid>/mountinfo` as the kernel writes it.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

use sandbox_mount::mountinfo::{parse_bytes, MountInfo, OptionalField};

use crate::engine::Target;

const TOKENS: &[&[u8]] = &[
    b" ",
    b"\n",
    b" - ",
    b"\\040",
    b"\\011",
    b"\\012",
    b"\\134",
    b"\\054",
    b"\\",
    b" (deleted)",
    b"shared:",
    b"master:",
    b"propagate_from:",
    b"unbindable",
    b"0:21",
    b"rw,nosuid,nodev,noexec,relatime",
    b"ro",
    b" / / ",
    b"tmpfs",
    b"fuse.sshfs",
];

/// The parser: never panics; when it takes a text, it finds one mount per line, and the
/// mounts written back the way the kernel writes them parse to the same mounts.
pub const PARSE: Target = Target {
    name: "mountinfo",
    about:
        "parse mountinfo text; one mount per line; written back kernel-style, it parses the same",
    check: check_parse,
    tokens: TOKENS,
    max_len: 1 << 16,
};

/// The escaping: any path (without NUL), escaped as the kernel escapes mountinfo fields,
/// parses back to the same bytes.
pub const ESCAPES: Target = Target {
    name: "mountinfo_escapes",
    about: "root, mount point, type and source escaped as the kernel does come back as they were",
    check: check_escapes,
    tokens: TOKENS,
    max_len: 1 << 14,
};

/// `seq_escape` with the characters `show_mountinfo` escapes in paths and names (space,
/// tab, newline, backslash), plus the comma in options, as `\ooo`.
fn escape(bytes: &[u8], also_comma: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') || (also_comma && b == b',') {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

fn options(options: &[String]) -> Vec<u8> {
    let escaped: Vec<Vec<u8>> = options.iter().map(|o| escape(o.as_bytes(), true)).collect();
    escaped.join(&b","[..])
}

/// One mountinfo line for `m`, as the kernel would write it.
fn line(m: &MountInfo) -> Vec<u8> {
    let mut out = Vec::new();
    let mut head = String::new();
    let _ = write!(
        head,
        "{} {} {}:{} ",
        m.mount_id, m.parent_id, m.major, m.minor
    );
    out.extend_from_slice(head.as_bytes());
    out.extend(escape(m.root.as_os_str().as_bytes(), false));
    out.push(b' ');
    out.extend(escape(m.mount_point.as_os_str().as_bytes(), false));
    out.push(b' ');
    out.extend(options(&m.mount_options));
    for field in &m.optional_fields {
        out.push(b' ');
        match field {
            OptionalField::Shared(n) => out.extend(format!("shared:{n}").as_bytes()),
            OptionalField::Master(n) => out.extend(format!("master:{n}").as_bytes()),
            OptionalField::PropagateFrom(n) => out.extend(format!("propagate_from:{n}").as_bytes()),
            OptionalField::Unbindable => out.extend(b"unbindable"),
            OptionalField::Unknown(s) => out.extend(escape(s.as_bytes(), false)),
        }
    }
    out.extend_from_slice(b" - ");
    out.extend(escape(m.fs_type.as_bytes(), false));
    out.push(b' ');
    out.extend(escape(m.source.as_bytes(), false));
    out.push(b' ');
    out.extend(options(&m.super_options));
    out.push(b'\n');
    out
}

fn check_parse(input: &[u8]) -> Result<(), String> {
    let Ok(mounts) = parse_bytes(input) else {
        return Ok(());
    };
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    let lines = match body.is_empty() {
        true => 0,
        false => body.split(|&b| b == b'\n').count(),
    };
    if mounts.len() != lines {
        return Err(format!("{} mounts from {lines} lines", mounts.len()));
    }
    let text: Vec<u8> = mounts.iter().flat_map(line).collect();
    match parse_bytes(&text) {
        Ok(again) if again == mounts => Ok(()),
        Ok(again) => Err(format!(
            "written back as {:?} it parses to {again:?}, not {mounts:?}",
            String::from_utf8_lossy(&text)
        )),
        Err(e) => Err(format!(
            "written back as {:?} it does not parse: {e}",
            String::from_utf8_lossy(&text)
        )),
    }
}

fn check_escapes(input: &[u8]) -> Result<(), String> {
    // Up to four fields separated by NUL bytes (which no path holds): root, mount
    // point, type, source. The paths must not be empty.
    let mut parts = input.split(|&b| b == 0);
    let mut next =
        |default: &'static [u8]| parts.next().filter(|p| !p.is_empty()).unwrap_or(default);
    let (root, mount_point, fs_type, source) =
        (next(b"/"), next(b"/mnt"), next(b"tmpfs"), next(b""));
    let mut text = b"36 35 98:0 ".to_vec();
    for field in [root, mount_point] {
        text.extend(escape(field, false));
        text.push(b' ');
    }
    text.extend_from_slice(b"rw,noatime master:1 - ");
    text.extend(escape(fs_type, false));
    text.push(b' ');
    text.extend(escape(source, false));
    text.extend_from_slice(b" rw,errors=continue\n");
    let mounts = parse_bytes(&text).map_err(|e| format!("{e}"))?;
    let [m] = &mounts[..] else {
        return Err(format!("{} mounts from one line", mounts.len()));
    };
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let want = (
        OsStr::from_bytes(root),
        OsStr::from_bytes(mount_point),
        lossy(fs_type),
        lossy(source),
    );
    let got = (
        m.root.as_os_str(),
        m.mount_point.as_os_str(),
        m.fs_type.clone(),
        m.source.clone(),
    );
    match got == want {
        true => Ok(()),
        false => Err(format!("escaped and parsed: {got:?}, want {want:?}")),
    }
}
