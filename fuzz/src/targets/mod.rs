//! The fuzz targets: one module per parser or decoder of text or bytes that come from
//! outside (a file, `/proc`, another process), each with the properties it must keep.

use crate::engine::Target;

mod idmap;
mod mountinfo;
mod seccomp_status;
mod subid;
mod wire;

/// Every target, in the order `fuzz` runs them.
pub const ALL: &[Target] = &[
    mountinfo::PARSE,
    mountinfo::ESCAPES,
    subid::TARGET,
    idmap::TARGET,
    seccomp_status::TARGET,
    wire::REPORT,
    wire::HELPER_REPORT,
    wire::ERROR,
];
