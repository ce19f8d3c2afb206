//! The one format of every message between the sandbox's own processes: the sandboxed
//! child's report ([`crate::report`]), the id-map helper's report
//! ([`crate::idmap_helper`]) and the probe's trial results ([`crate::probe`]).
//!
//! A message is a sequence of fields, each written by a [`Wire`] implementation: integers
//! little-endian, byte strings and paths with a `u32` length first, an enum as a tag byte
//! and its fields. Errors travel typed: every leaf crate's error, variant by variant, so
//! that the parent's `enter()` returns the same value the child had (see `leaves.rs`).
//!
//! The sender writes the whole message and closes its end; the receiver reads to the end
//! of the pipe and decodes. A message cut short (the sender died while writing), one with
//! bytes left over, an unknown tag or an errno outside the kernel's range decodes as
//! `None`, never as a panic: only our own processes write these pipes, but a decoder of
//! bytes gives an answer for any bytes.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::io::Errno;

mod leaves;
mod sandbox;

/// The longest message a receiver accepts: far above any real one (a few paths), low
/// enough that garbage cannot make it allocate without bound.
const MAX_MESSAGE: usize = 1 << 20;

/// A value that can be written into a message and read back.
pub(crate) trait Wire: Sized {
    /// Appends the value's fields.
    fn put(&self, w: &mut Writer);
    /// Reads the value's fields; `None` when they are not a valid encoding.
    fn get(r: &mut Reader<'_>) -> Option<Self>;
}

/// The bytes of a message being written.
#[derive(Debug, Default)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) {
        // A message past 4 GiB is not something we send; the receiver refuses far less.
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(v);
    }

    pub(crate) fn put<T: Wire>(&mut self, v: &T) {
        v.put(self);
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// The bytes of a message being read.
#[derive(Debug)]
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader(bytes)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub(crate) fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        self.take(len)
    }

    pub(crate) fn get<T: Wire>(&mut self) -> Option<T> {
        T::get(self)
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of a whole message: `None` if bytes are left over.
    pub(crate) fn finish<T>(self, value: T) -> Option<T> {
        self.0.is_empty().then_some(value)
    }
}

/// Encodes one value as a whole message.
pub(crate) fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut w = Writer::default();
    value.put(&mut w);
    w.into_bytes()
}

/// Decodes a whole message: `None` for anything that is not exactly one valid value.
pub(crate) fn decode<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader::new(bytes);
    let value = T::get(&mut r)?;
    r.finish(value)
}

/// Writes one value as a whole message; the caller closes the pipe after it.
pub(crate) fn send<T: Wire>(pipe: impl AsFd, value: &T) -> Result<(), Errno> {
    send_bytes(pipe, &encode(value))
}

/// Writes a message already encoded (for one known in advance, without allocating).
pub(crate) fn send_bytes(pipe: impl AsFd, bytes: &[u8]) -> Result<(), Errno> {
    let mut data = bytes;
    while !data.is_empty() {
        match rustix::io::write(pipe.as_fd(), data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads until the writer closes its end, then decodes: `Ok(None)` when nothing, or not a
/// whole valid message, arrived (the writer died first).
pub(crate) fn receive<T: Wire>(pipe: impl AsFd) -> Result<Option<T>, Errno> {
    Ok(receive_bytes(pipe)?.and_then(|buf| decode(&buf)))
}

/// Reads until every writer has closed its end: the bytes, or `Ok(None)` past
/// [`MAX_MESSAGE`]. For a stream of small messages, each sent whole (see
/// [`crate::probe`]), of which the ones that arrived count even when the writer died.
pub(crate) fn receive_bytes(pipe: impl AsFd) -> Result<Option<Vec<u8>>, Errno> {
    let mut buf = Vec::with_capacity(64);
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(pipe.as_fd(), &mut chunk) {
            Ok(0) => break,
            Ok(n) if buf.len() + n > MAX_MESSAGE => return Ok(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Some(buf))
}

impl Wire for Errno {
    fn put(&self, w: &mut Writer) {
        w.i32(self.raw_os_error());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        // The kernel's errnos are 1..=4095; `from_raw_os_error` asserts that range.
        let raw = r.i32()?;
        (1..4096)
            .contains(&raw)
            .then(|| Errno::from_raw_os_error(raw))
    }
}

impl Wire for PathBuf {
    fn put(&self, w: &mut Writer) {
        w.bytes(self.as_os_str().as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(PathBuf::from(OsStr::from_bytes(r.bytes()?)))
    }
}

impl Wire for String {
    fn put(&self, w: &mut Writer) {
        w.bytes(self.as_bytes());
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        String::from_utf8(r.bytes()?.to_vec()).ok()
    }
}

impl Wire for u32 {
    fn put(&self, w: &mut Writer) {
        w.u32(*self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.u32()
    }
}

impl Wire for u64 {
    fn put(&self, w: &mut Writer) {
        w.u64(*self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.u64()
    }
}

impl Wire for i32 {
    fn put(&self, w: &mut Writer) {
        w.i32(*self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.i32()
    }
}

impl Wire for usize {
    fn put(&self, w: &mut Writer) {
        w.u64(*self as u64);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        usize::try_from(r.u64()?).ok()
    }
}

impl Wire for bool {
    fn put(&self, w: &mut Writer) {
        w.bool(*self);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        r.bool()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.u8(0),
            Some(v) => {
                w.u8(1);
                v.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.u8()? {
            0 => Some(None),
            1 => Some(Some(T::get(r)?)),
            _ => None,
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        // Our lists are short (a few mount points); the receiver refuses far less than 4 G.
        w.u32(u32::try_from(self.len()).unwrap_or(u32::MAX));
        for v in self {
            v.put(w);
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        let len = usize::try_from(r.u32()?).ok()?;
        // Each item takes a byte at the least: a count past what is left is no message.
        if len > r.0.len() {
            return None;
        }
        (0..len).map(|_| T::get(r)).collect()
    }
}

impl<T: Wire> Wire for Box<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        T::get(r).map(Box::new)
    }
}

impl<T: Wire, E: Wire> Wire for Result<T, E> {
    fn put(&self, w: &mut Writer) {
        match self {
            Ok(v) => {
                w.u8(0);
                v.put(w);
            }
            Err(e) => {
                w.u8(1);
                e.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.u8()? {
            0 => Some(Ok(T::get(r)?)),
            1 => Some(Err(E::get(r)?)),
            _ => None,
        }
    }
}

impl Wire for () {
    fn put(&self, _: &mut Writer) {}
    fn get(_: &mut Reader<'_>) -> Option<Self> {
        Some(())
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some((A::get(r)?, B::get(r)?))
    }
}

/// Implements [`Wire`] for an enum, given each variant with its tag and its fields (named,
/// or a tuple's, named for the macro): the tag byte, then each field's [`Wire`] encoding in
/// order. A field written `name as codec` goes through the functions `codec::put(&value,
/// w)` and `codec::get(r)` instead, for a type this module cannot implement [`Wire`] for
/// (a `&'static str`). A variant not listed (a `#[non_exhaustive]` enum of another crate
/// that grew one) is written as a tag no decoder accepts: the receiver then sees no
/// message, never a wrong one; the round-trip tests build one of each variant.
macro_rules! wire_enum {
    ($t:ty { $(
        $tag:literal => $variant:ident
            $({ $($field:ident $(as $codec:ident)?),* $(,)? })?
            $(( $($tfield:ident),* ))?
    ),* $(,)? }) => {
        impl $crate::wire::Wire for $t {
            fn put(&self, w: &mut $crate::wire::Writer) {
                #[allow(unreachable_patterns)]
                match self {
                    $(
                        Self::$variant $({ $($field),* })? $(( $($tfield),* ))? => {
                            w.u8($tag);
                            $($( $crate::wire::wire_enum!(@put w $field $($codec)?); )*)?
                            $($( w.put($tfield); )*)?
                        }
                    )*
                    _ => w.u8(u8::MAX),
                }
            }
            fn get(r: &mut $crate::wire::Reader<'_>) -> Option<Self> {
                Some(match r.u8()? {
                    $(
                        $tag => Self::$variant
                            $({ $($field: $crate::wire::wire_enum!(@get r $($codec)?)),* })?
                            $(( $({ let _ = stringify!($tfield); r.get()? }),* ))?,
                    )*
                    _ => return None,
                })
            }
        }
    };
    (@put $w:ident $field:ident) => { $w.put($field) };
    (@put $w:ident $field:ident $codec:ident) => { $codec::put($field, $w) };
    (@get $r:ident) => { $r.get()? };
    (@get $r:ident $codec:ident) => { $codec::get($r)? };
}
pub(crate) use wire_enum;

/// Implements [`Wire`] for a bitflags type through its bits, refusing unknown bits.
macro_rules! wire_by_bits {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::wire::Wire for $t {
            fn put(&self, w: &mut $crate::wire::Writer) {
                w.u64(u64::from(self.bits()));
            }
            fn get(r: &mut $crate::wire::Reader<'_>) -> Option<Self> {
                let bits = r.u64()?.try_into().ok()?;
                <$t>::from_bits(bits)
            }
        }
    )*};
}
pub(crate) use wire_by_bits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_round_trip_and_refuse_leftovers() {
        let v: (Option<PathBuf>, Result<u32, String>) =
            (Some("/srv/a b\n".into()), Err("é".into()));
        let bytes = encode(&v);
        assert_eq!(
            decode::<(Option<PathBuf>, Result<u32, String>)>(&bytes),
            Some(v)
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            decode::<(Option<PathBuf>, Result<u32, String>)>(&longer),
            None
        );
        for cut in 0..bytes.len() {
            assert_eq!(
                decode::<(Option<PathBuf>, Result<u32, String>)>(&bytes[..cut]),
                None,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn lists_round_trip_and_a_count_past_the_bytes_is_garbage() {
        let v: Vec<PathBuf> = vec!["/proc/kcore".into(), "/proc/sys".into()];
        assert_eq!(decode::<Vec<PathBuf>>(&encode(&v)), Some(v));
        assert_eq!(
            decode::<Vec<u32>>(&encode(&Vec::<u32>::new())),
            Some(vec![])
        );
        let mut huge = Writer::default();
        huge.u32(u32::MAX);
        huge.u32(7);
        assert_eq!(decode::<Vec<u32>>(&huge.into_bytes()), None);
    }

    #[test]
    fn an_errno_out_of_the_kernels_range_is_garbage_not_a_panic() {
        for raw in [0, -1, 4096, i32::MAX, i32::MIN] {
            assert_eq!(decode::<Errno>(&raw.to_le_bytes()), None, "{raw}");
        }
        assert_eq!(
            decode::<Errno>(&4095i32.to_le_bytes()).map(|e| e.raw_os_error()),
            Some(4095)
        );
        assert_eq!(decode::<Errno>(&1i32.to_le_bytes()), Some(Errno::PERM));
    }

    #[test]
    fn long_paths_cross_whole() {
        let path = PathBuf::from(format!("/{}", "p/".repeat(3000)));
        assert_eq!(decode::<PathBuf>(&encode(&path)), Some(path));
    }
}
