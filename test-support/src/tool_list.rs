//! The programs some kernel scenarios run, each with the Debian/Ubuntu package that has it:
//! one list, which `test-support` (`tools`, where a scenario asks for one) and xtask (which
//! installs them before the tests, and does not depend on `test-support`) both read.

/// `newuidmap`: rootless uid maps beyond the own uid.
pub const NEWUIDMAP: (&str, &str) = ("newuidmap", "uidmap");
/// `newgidmap`: rootless gid maps beyond the own gid.
pub const NEWGIDMAP: (&str, &str) = ("newgidmap", "uidmap");
/// `bwrap`: bubblewrap, the sandbox that makes a `--disable-userns` environment.
pub const BWRAP: (&str, &str) = ("bwrap", "bubblewrap");
/// `strace`: fault injection (`-e inject=...`).
pub const STRACE: (&str, &str) = ("strace", "strace");

/// Every one of them, as `(program, package)`.
pub const ALL: [(&str, &str); 4] = [NEWUIDMAP, NEWGIDMAP, BWRAP, STRACE];
