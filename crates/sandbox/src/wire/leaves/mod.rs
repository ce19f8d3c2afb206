//! The encoding of every leaf crate's error, variant by variant, so that an error made in
//! the sandboxed child is the same typed value in the original process: one file per leaf
//! crate. A leaf's error is `#[non_exhaustive]`, so the compiler accepts an encoder that
//! misses a variant; each file's tests build one of each variant and round-trip it, and a
//! variant without an encoding is sent as a tag no decoder accepts (the parent then sees
//! the child end without a report).

mod mount;
mod namespaces;
mod process;
mod seccomp;

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
