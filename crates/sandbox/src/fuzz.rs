//! Entry points for the fuzz targets of the workspace's `fuzz` package, which must reach
//! the decoders of the messages between the sandbox's own processes. Hidden from the
//! docs and not part of the API: no stability promised, nothing here for daemons.

use crate::wire;

/// A message that crosses a pipe between the sandbox's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// The sandboxed child's report to the original process.
    Report,
    /// The id-map helper's report: `Result<(), sandbox_namespaces::Error>`.
    HelperReport,
    /// An [`Error`](crate::Error) on its own, every leaf crate's error inside.
    Error,
}

/// Decodes `bytes` as one whole message of `kind`: `None` when they are not one, else the
/// decoded value's `Debug` text and its encoding again.
pub fn round_trip(kind: Message, bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    fn again<T: wire::Wire + std::fmt::Debug>(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
        let value = wire::decode::<T>(bytes)?;
        Some((format!("{value:?}"), wire::encode(&value)))
    }
    match kind {
        Message::Report => again::<crate::report::Report>(bytes),
        Message::HelperReport => again::<Result<(), sandbox_namespaces::Error>>(bytes),
        Message::Error => again::<crate::Error>(bytes),
    }
}
