//! How shadow's `newuidmap` and `newgidmap` (4.13) read `/etc/subuid` and `/etc/subgid`,
//! rule by rule, so that the ranges this crate reads are the ranges they grant.
//!
//! Their reader is `commonio_open` (lib/commonio.c) with `subordinate_parse`
//! (lib/subordinateio.c) and `getulong` (lib/getulong.c). In short:
//!
//! - Lines come from `fgets` on a buffer of 4096 bytes that grows by 4096 for a long line
//!   and never shrinks. C strings end at a NUL byte: a line holding one loses the rest of
//!   its bytes and is joined with the next line; a NUL in the last line before its
//!   newline makes the whole file unreadable, as does a last line without a newline that
//!   ends exactly where the buffer is full. The last `\n` is cut; a `\r` stays.
//! - A line starting with `+` or `-` (NIS) is no entry. A line of 1024 bytes or more is
//!   no entry.
//! - Fields are separated by `:`. The first three are owner, start and count, all three
//!   non-empty; whatever follows a third colon is ignored (`alice:100000:65536:junk` is
//!   an entry).
//! - Numbers are `strtoul(s, &end, 0)` that must end at the end of the field without
//!   `ERANGE`: leading white space (`" \t\n\v\f\r"`) and one `+` or `-` are allowed,
//!   `0x`/`0X` means hexadecimal, a leading `0` octal, anything else decimal; trailing
//!   characters (a space, a `\r`) refuse the entry. `-N` is `2^64 - N`. Values are 64
//!   bits.
//!
//! This module only reads; [`crate::subid`] decides which entries grant what.

/// The size `commonio_open` starts its line buffer at, and grows it by.
const BUFLEN: usize = 4096;

/// `subordinate_parse` refuses lines of this length or longer.
const MAX_LINE: usize = 1024;

/// A file being read with `fgets`, as glibc's stdio does it: end of file is seen only
/// when a read wants more bytes than there are, and stays seen.
struct Stream<'a> {
    data: &'a [u8],
    pos: usize,
    eof: bool,
}

impl<'a> Stream<'a> {
    /// `fgets(buf, n, stream)` with `n >= 2`: at most `n - 1` bytes, up to and with the
    /// first newline; `None` (no bytes) at the end of the file.
    fn fgets(&mut self, n: usize) -> Option<&'a [u8]> {
        let rest = &self.data[self.pos..];
        if self.eof || rest.is_empty() {
            self.eof = true;
            return None;
        }
        let max = n.saturating_sub(1).max(1);
        let window = &rest[..rest.len().min(max)];
        let len = match window.iter().position(|&b| b == b'\n') {
            Some(newline) => newline + 1,
            None => {
                // It wanted more than the file had: the end of file is seen.
                if window.len() < max {
                    self.eof = true;
                }
                window.len()
            }
        };
        self.pos += len;
        Some(&rest[..len])
    }
}

/// The bytes of `chunk` before its first NUL: what C string functions see of it.
fn c_str(chunk: &[u8]) -> &[u8] {
    chunk
        .iter()
        .position(|&b| b == 0)
        .map_or(chunk, |nul| &chunk[..nul])
}

/// The lines `commonio_open` reads from a file's bytes, without their newlines; `None`
/// when it fails to read the file at all (then `newuidmap` refuses every map).
pub(crate) fn lines(data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut stream = Stream {
        data,
        pos: 0,
        eof: false,
    };
    let mut buflen = BUFLEN;
    let mut lines = Vec::new();
    while let Some(chunk) = stream.fgets(buflen) {
        let mut line = c_str(chunk).to_vec();
        while !line.contains(&b'\n') && !stream.eof {
            buflen += BUFLEN;
            // fgets(buf + strlen(buf), buflen - strlen(buf)): a NUL hides what follows it.
            let more = stream.fgets(buflen - line.len())?;
            line.extend_from_slice(c_str(more));
        }
        if let Some(newline) = line.iter().rposition(|&b| b == b'\n') {
            line.truncate(newline);
        }
        lines.push(line);
    }
    Some(lines)
}

/// One entry, as `subordinate_parse` reads a line: owner, start, count. `None` for a
/// line that is no entry.
pub(crate) fn entry(line: &[u8]) -> Option<(&[u8], u64, u64)> {
    if matches!(line.first(), Some(b'+' | b'-')) || line.len() >= MAX_LINE {
        return None;
    }
    let mut fields = line.splitn(4, |&b| b == b':');
    let (owner, start, count) = (fields.next()?, fields.next()?, fields.next()?);
    if owner.is_empty() || start.is_empty() || count.is_empty() {
        return None;
    }
    Some((owner, getulong(start)?, getulong(count)?))
}

/// `getulong`: `strtoul(field, &end, 0)`, which must take the whole field without
/// `ERANGE`.
pub(crate) fn getulong(field: &[u8]) -> Option<u64> {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let skipped = field.iter().take_while(|b| is_space(b)).count();
    let mut s = &field[skipped..];
    let negative = match s.first() {
        Some(b'-') => true,
        Some(b'+') => false,
        _ => {
            return unsigned(s, false);
        }
    };
    s = &s[1..];
    unsigned(s, negative)
}

/// The digits after the sign: base from the prefix, every byte a digit of it.
fn unsigned(s: &[u8], negative: bool) -> Option<u64> {
    let (radix, digits) = match s {
        // "0x" with no hex digit after it is the number 0 followed by "x": not whole.
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        let digit = char::from(b).to_digit(radix)?;
        // Past 2^64 - 1 strtoul says ERANGE, and getulong refuses.
        value = value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(digit))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_strtoul_base_0_taking_the_whole_field() {
        for (text, want) in [
            ("100000", Some(100_000)),
            ("0100000", Some(0o100000)),
            ("0x186a0", Some(100_000)),
            ("0X186A0", Some(100_000)),
            ("0", Some(0)),
            ("00", Some(0)),
            (" 100000", Some(100_000)),
            ("\t\x0b\x0c\r\n7", Some(7)),
            ("+5", Some(5)),
            ("-1", Some(u64::MAX)),
            ("-0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("0xffffffffffffffff", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("-18446744073709551616", None),
            ("100000 ", None),
            ("100000\r", None),
            ("08", None),
            ("0x", None),
            ("0xg", None),
            ("1e5", None),
            ("", None),
            (" ", None),
            ("+", None),
            ("+-1", None),
            ("--1", None),
            ("0b101", None),
            ("١", None),
        ] {
            assert_eq!(getulong(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn entries_take_three_non_empty_fields_and_ignore_the_rest() {
        assert_eq!(entry(b"a:1:2"), Some((&b"a"[..], 1, 2)));
        assert_eq!(entry(b"a:1:2:junk"), Some((&b"a"[..], 1, 2)));
        assert_eq!(entry(b"a:1:2:"), Some((&b"a"[..], 1, 2)));
        assert_eq!(entry(b"a:1:2::"), Some((&b"a"[..], 1, 2)));
        for bad in [
            &b"a:1"[..],
            b"a:1:",
            b"a::2",
            b":1:2",
            b"",
            b"+a:1:2",
            b"-a:1:2",
            b"a:1:2\r",
        ] {
            assert_eq!(entry(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let long = format!("a:1:2:{}", "x".repeat(MAX_LINE - 6));
        assert_eq!(long.len(), MAX_LINE);
        assert_eq!(entry(long.as_bytes()), None);
        assert!(entry(&long.as_bytes()[..MAX_LINE - 1]).is_some());
    }

    #[test]
    fn lines_are_what_fgets_and_strrchr_leave() {
        let l = |text: &[u8]| lines(text).map(|v| v.into_iter().map(String::from_utf8).collect());
        let ok = |v: &[&str]| Some(Ok(v.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
        assert_eq!(l(b""), ok(&[]));
        assert_eq!(l(b"a\nb"), ok(&["a", "b"]));
        assert_eq!(l(b"a\r\n\n"), ok(&["a\r", ""]));
        // A NUL hides the rest of its line, which joins the next one.
        assert_eq!(l(b"a:1:2\0junk\nb:3:4\n"), ok(&["a:1:2b:3:4"]));
        // A NUL in the last line, before its newline: the whole file is unreadable.
        assert_eq!(lines(b"a:1:2\nb\0\n"), None);
        // Without the newline, it is the end of the file.
        assert_eq!(l(b"a:1:2\nb\0x"), ok(&["a:1:2", "b"]));
        // A long line spans several reads and comes back whole.
        let long = "x".repeat(3 * BUFLEN);
        assert_eq!(l(format!("{long}\na").as_bytes()), ok(&[&long, "a"]));
        // A last line without newline that fills the buffer exactly is unreadable.
        assert_eq!(lines("y".repeat(BUFLEN - 1).as_bytes()), None);
        assert_eq!(
            l("y".repeat(BUFLEN - 2).as_bytes()),
            ok(&[&"y".repeat(BUFLEN - 2)])
        );
    }
}
