//! `sandbox_namespaces::validate_id_map` and `rootless_id_map`: the kernel's rules for a
//! uid or gid map, and the rootless map built from subordinate ranges.

use sandbox_namespaces::{
    rootless_id_map, validate_id_map, IdMap, SubordinateRange, MAX_ID_MAP_ENTRIES,
};

use crate::engine::Target;

/// The same bytes read two ways. As a map (triples of little-endian u32): validation
/// agrees with the kernel's `map_write` rules written out here. As the caller's id and
/// ranges (pairs): the rootless map validates, starts with the caller, gives inside ids
/// one after the other from parts of the ranges given, and is the map its docs describe,
/// computed here the plain way.
pub const TARGET: Target = Target {
    name: "idmap",
    about: "id maps: validation equals the kernel's rules; rootless_id_map is valid and the map its docs describe",
    check,
    tokens: &[
        &[0xff, 0xff, 0xff, 0xff],
        &[0xfe, 0xff, 0xff, 0xff],
        &[0, 0, 0, 0],
        &[1, 0, 0, 0],
        &[0xa0, 0x86, 0x01, 0x00],
        &[0x00, 0x00, 0x01, 0x00],
        &[0x00, 0xca, 0x9a, 0x3b],
    ],
    max_len: 1 << 14,
};

fn u32s(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The length of `map`'s text as the kernel reads it: `inside outside count\n` each.
fn text_len(map: &[IdMap]) -> usize {
    map.iter().map(|m| format!("{m}\n").len()).sum()
}

/// `map_write()` in kernel/user_namespace.c, as this crate promises to check it: not
/// empty, at most 340 lines, less than a page of text, no count of 0, no range that
/// wraps past 4294967295 on either side, no two lines overlapping on either side.
fn kernel_takes(map: &[IdMap]) -> bool {
    let page = rustix::param::page_size();
    // (u32)(first + count) <= first: a count of 0 or past 4294967295, which is no id.
    let wraps = |first: u32, count: u32| u64::from(first) + u64::from(count) > u64::from(u32::MAX);
    let overlap = |a0: u32, ac: u32, b0: u32, bc: u32| {
        let (a0, a1, b0, b1) = (
            u64::from(a0),
            u64::from(a0) + u64::from(ac),
            u64::from(b0),
            u64::from(b0) + u64::from(bc),
        );
        a0 < b1 && b0 < a1
    };
    !map.is_empty()
        && map.len() <= MAX_ID_MAP_ENTRIES
        && text_len(map) < page
        && map
            .iter()
            .all(|m| m.count > 0 && !wraps(m.inside, m.count) && !wraps(m.outside, m.count))
        && map.iter().enumerate().all(|(i, a)| {
            map[..i].iter().all(|b| {
                !overlap(a.inside, a.count, b.inside, b.count)
                    && !overlap(a.outside, a.count, b.outside, b.count)
            })
        })
}

fn check(input: &[u8]) -> Result<(), String> {
    let words = u32s(input);

    // As a map.
    let map: Vec<IdMap> = words
        .chunks_exact(3)
        .map(|t| IdMap::new(t[0], t[1], t[2]))
        .collect();
    let ours = validate_id_map(&map).is_ok();
    if ours != kernel_takes(&map) {
        return Err(format!(
            "validate_id_map says {ours} for {map:?}, the kernel's rules {}",
            !ours
        ));
    }

    // As the caller's id and its ranges.
    // 4294967295 is no id: no process has it as its own.
    let Some((&own, rest)) = words.split_first().filter(|(&own, _)| own != u32::MAX) else {
        return Ok(());
    };
    let ranges: Vec<SubordinateRange> = rest
        .chunks_exact(2)
        .map(|p| SubordinateRange {
            start: p[0],
            count: p[1],
        })
        .collect();
    let map = rootless_id_map(own, &ranges);
    validate_id_map(&map)
        .map_err(|e| format!("rootless_id_map({own}, {ranges:?}) = {map:?}: {e}"))?;
    if map.first() != Some(&IdMap::new(0, own, 1)) {
        return Err(format!("the map does not start with the caller: {map:?}"));
    }
    let mut next: u64 = 1;
    for entry in &map[1..] {
        if u64::from(entry.inside) != next {
            return Err(format!("inside ids not one after the other: {map:?}"));
        }
        next += u64::from(entry.count);
        let from_a_range = ranges
            .iter()
            .any(|r| r.start == entry.outside && entry.count <= r.count);
        if !from_a_range {
            return Err(format!("{entry:?} is no part of a range given: {map:?}"));
        }
    }
    // And it is the map its docs describe, written out here the plain way: each range
    // in turn, cut to the ids left on both sides, taken unless nothing is left of it, it
    // overlaps what was taken (the caller's id included), or the map is full (340 lines,
    // or its line would take the text to a page).
    let page = rustix::param::page_size();
    let end = u64::from(u32::MAX);
    let mut want = vec![IdMap::new(0, own, 1)];
    let mut text = text_len(&want);
    let mut next: u64 = 1;
    for r in &ranges {
        let start = u64::from(r.start);
        let count = u64::from(r.count)
            .min(end - start)
            .min(end.saturating_sub(next));
        let overlaps = want.iter().any(|m| {
            let (s, e) = (
                u64::from(m.outside),
                u64::from(m.outside) + u64::from(m.count),
            );
            s < start + count && start < e
        });
        let line = format!("{next} {start} {count}\n").len();
        if count == 0 || overlaps || want.len() >= MAX_ID_MAP_ENTRIES || text + line >= page {
            continue;
        }
        want.push(IdMap::new(next as u32, r.start, count as u32));
        text += line;
        next += count;
    }
    if map != want {
        return Err(format!(
            "rootless_id_map({own}, {ranges:?}) = {map:?}, its docs say {want:?}"
        ));
    }
    Ok(())
}
