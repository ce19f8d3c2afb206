//! The encoding of every leaf crate's error, variant by variant, so that an error made in
//! the sandboxed child is the same typed value in the original process: one file per leaf
//! crate. A leaf's error is `#[non_exhaustive]`, so the compiler accepts an encoder that
//! misses a variant; each file's tests build one of each variant and round-trip it, and a
//! variant without an encoding is sent as a tag no decoder accepts (the parent then sees
//! the child end without a report).

use rustix::io::Errno;

use super::Writer;

mod mount;
mod namespaces;
mod process;
mod seccomp;

/// A variant added to a leaf crate's error after this encoder was written: `#[non_exhaustive]`
/// makes the compiler accept the gap, the test below does not. It is sent as a tag no
/// decoder accepts, so the original process sees the child end without a report (exit code
/// 125) rather than a wrong error.
fn unknown_variant(w: &mut Writer, _errno: Option<Errno>) {
    debug_assert!(false, "a leaf error variant without an encoding");
    w.u8(u8::MAX);
}

/// A variant that only the original process can produce (compiling a filter happens at
/// `build()`), sent as a tag no decoder accepts.
fn parent_only(w: &mut Writer) {
    w.u8(u8::MAX - 1);
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::{decode, encode, Wire};

    /// Encodes, decodes, and compares the Debug forms (the leaf errors are not
    /// `PartialEq`): the same variant, the same fields.
    pub(crate) fn round_trips<T: Wire + std::fmt::Debug>(values: Vec<T>) {
        for v in values {
            let back = decode::<T>(&encode(&v));
            assert_eq!(format!("{back:?}"), format!("{:?}", Some(&v)), "{v:?}");
        }
    }

    pub(crate) fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }
}
