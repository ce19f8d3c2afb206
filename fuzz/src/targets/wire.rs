//! The messages between the sandbox's own processes (`sandbox`'s `wire` module), through
//! `sandbox::__fuzz`: the child's report, the id-map helper's report, and an error alone.

use sandbox::__fuzz::{round_trip, Message};

use crate::engine::Target;

const TOKENS: &[&[u8]] = &[
    &[0],
    &[1],
    &[7],
    &[0xff],
    &[0, 0, 0, 0],
    &[1, 0, 0, 0],
    &[0xff, 0x0f, 0, 0],
    &[0x00, 0x10, 0, 0],
    &[0xff, 0xff, 0xff, 0xff],
    &[0xff, 0xff, 0xff, 0x7f],
    &[0, 0, 0, 0x80],
    b"/srv/shared",
];

/// The child's report.
pub const REPORT: Target = target("wire_report", Message::Report);
/// The id-map helper's report.
pub const HELPER_REPORT: Target = target("wire_helper_report", Message::HelperReport);
/// A `sandbox::Error` alone.
pub const ERROR: Target = target("wire_error", Message::Error);

const fn target(name: &'static str, kind: Message) -> Target {
    Target {
        name,
        about: match kind {
            Message::Report => "the child's report: decoding never panics; what decodes encodes to the same bytes, and back",
            Message::HelperReport => "the id-map helper's report: decoding never panics; what decodes encodes to the same bytes, and back",
            Message::Error => "an error alone: decoding never panics; what decodes encodes to the same bytes, and back",
        },
        check: match kind {
            Message::Report => |b| check(Message::Report, b),
            Message::HelperReport => |b| check(Message::HelperReport, b),
            Message::Error => |b| check(Message::Error, b),
        },
        tokens: TOKENS,
        max_len: 1 << 14,
    }
}

/// Decoding never panics; a message that decodes encodes to the same bytes (so encoding
/// then decoding any value the decoder can produce gives that value back), and those
/// decode to the same value.
fn check(kind: Message, input: &[u8]) -> Result<(), String> {
    let Some((value, encoded)) = round_trip(kind, input) else {
        return Ok(());
    };
    if encoded != input {
        return Err(format!(
            "{value} decoded from {input:02x?} encodes to {encoded:02x?}"
        ));
    }
    match round_trip(kind, &encoded) {
        Some((again, _)) if again == value => Ok(()),
        other => Err(format!("{value} encoded and decoded is {other:?}")),
    }
}
