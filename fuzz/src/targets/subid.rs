//! `sandbox_namespaces::parse_subordinate_ranges`: `/etc/subuid` and `/etc/subgid` as
//! shadow's `newuidmap` reads them, against a reference that is shadow's own code
//! transliterated onto glibc's own `fgets` (over `fmemopen`) and `strtoul`.

use sandbox_namespaces::SubordinateRange;
use sandbox_namespaces::{parse_subordinate_ranges, rootless_id_map, validate_id_map};

use crate::engine::Target;
use crate::sys;

/// Ours against the reference, for the owner `root`, for `alice`, and for every owner;
/// each range names valid ids only, and the rootless map of them is one the kernel takes.
pub const TARGET: Target = Target {
    name: "subid",
    about: "subordinate-id files: the ranges equal shadow 4.13's reader's (on glibc); maps from them are valid",
    check,
    tokens: &[
        b"root:",
        b"alice:",
        b":",
        b"\n",
        b"\r\n",
        b"\0",
        b"+",
        b"-",
        b"#",
        b" ",
        b"\t",
        b"0x",
        b"0X",
        b"100000:65536\n",
        b"root:100000:65536\n",
        b"4294967295",
    ],
    max_len: 1 << 15,
};

/// shadow's `commonio_open` loop and `subordinate_parse` with `getulong`, on glibc: the
/// entries (owner, start, count) of `text`, or `None` when the file cannot be read.
fn reference_entries(text: &[u8]) -> Option<Vec<(Vec<u8>, u64, u64)>> {
    const BUFLEN: usize = 4096;
    if text.is_empty() {
        return Some(Vec::new());
    }
    let mut file = sys::MemFile::open(text)?;
    let mut buflen = BUFLEN;
    let mut buf = vec![0u8; buflen];
    let mut entries = Vec::new();
    // while (fgets (buf, buflen, fp) == buf)
    while file.fgets(&mut buf, 0, buflen) {
        // while (strrchr (buf, '\n') == NULL && feof (fp) == 0)
        while !sys::c_str(&buf).contains(&b'\n') && !file.eof() {
            buflen += BUFLEN;
            buf.resize(buflen, 0);
            let len = sys::c_str(&buf).len();
            if !file.fgets(&mut buf, len, buflen - len) {
                return None;
            }
        }
        let mut line = sys::c_str(&buf).to_vec();
        if let Some(newline) = line.iter().rposition(|&b| b == b'\n') {
            line.truncate(newline);
        }
        // name_is_nis
        if matches!(line.first(), Some(b'+' | b'-')) {
            continue;
        }
        if let Some(entry) = subordinate_parse(&line) {
            entries.push(entry);
        }
    }
    Some(entries)
}

/// `subordinate_parse`, as written in lib/subordinateio.c.
fn subordinate_parse(line: &[u8]) -> Option<(Vec<u8>, u64, u64)> {
    if line.len() >= 1024 {
        return None;
    }
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut cp = Some(line);
    let mut i = 0;
    while i < 3 {
        let Some(rest) = cp else { break };
        let end = rest.iter().position(|&b| b == b':');
        fields.push(&rest[..end.unwrap_or(rest.len())]);
        cp = end.map(|e| &rest[e + 1..]);
        i += 1;
    }
    if i != 3 || fields.iter().any(|f| f.is_empty()) {
        return None;
    }
    Some((
        fields[0].to_vec(),
        sys::getulong(fields[1])?,
        sys::getulong(fields[2])?,
    ))
}

/// The part of a 64-bit range that a map can name, as the reader documents it.
fn mappable(start: u64, count: u64) -> Option<SubordinateRange> {
    const LAST: u64 = u32::MAX as u64 - 1;
    if count == 0 || start > LAST || start.checked_add(count - 1).is_none() {
        return None;
    }
    Some(SubordinateRange {
        start: start as u32,
        count: count.min(LAST + 1 - start) as u32,
    })
}

fn check(input: &[u8]) -> Result<(), String> {
    let entries = reference_entries(input).unwrap_or_default();
    type Owner = fn(&[u8]) -> bool;
    let owners: [(&str, Owner); 3] = [
        ("root", |o| o == b"root"),
        ("alice", |o| o == b"alice"),
        ("anyone", |_| true),
    ];
    for (who, owner) in owners {
        let ours = parse_subordinate_ranges(input, owner);
        let theirs: Vec<SubordinateRange> = entries
            .iter()
            .filter(|(o, _, _)| owner(o))
            .filter_map(|&(_, start, count)| mappable(start, count))
            .collect();
        if ours != theirs {
            return Err(format!("for {who}: ours {ours:?}, shadow's {theirs:?}"));
        }
        for r in &ours {
            if r.count == 0 || u64::from(r.start) + u64::from(r.count) > u64::from(u32::MAX) {
                return Err(format!("for {who}: a range past the last id: {r:?}"));
            }
        }
        let map = rootless_id_map(1000, &ours);
        validate_id_map(&map).map_err(|e| format!("for {who}: rootless map {map:?}: {e}"))?;
    }
    Ok(())
}
