//! The sandboxed child's report to the original process: one message over a pipe, in the
//! crate's one [`wire`](crate::wire) format.
//!
//! `Ready` means the sandbox is set up and the caller's code runs. `Failed` carries the
//! [`Error`] the child hit, encoded field by field with its leaf crate's error, so that the
//! parent's `enter()` returns the same typed value (with `in_child` set).

use std::os::fd::AsFd;

use rustix::io::Errno;

use crate::error::Error;
use crate::wire::{self, Reader, Wire, Writer};

/// What the child sends.
#[derive(Debug)]
pub(crate) enum Report {
    /// The child is inside and running the caller's code.
    Ready,
    /// The child failed; it exits right after sending this.
    Failed(Error),
}

impl Wire for Report {
    fn put(&self, w: &mut Writer) {
        match self {
            Report::Ready => w.u8(0),
            Report::Failed(e) => {
                w.u8(1);
                w.put(e);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.u8()? {
            0 => Some(Report::Ready),
            1 => Some(Report::Failed(r.get()?)),
            _ => None,
        }
    }
}

/// [`Report::Ready`], encoded.
const READY: [u8; 1] = [0];

/// Sends the report; the child closes the pipe (or exits) right after.
pub(crate) fn send(pipe: impl AsFd, report: &Report) {
    // Nothing to do about a failure: the parent then sees no report and the child's end.
    let _ = match report {
        // Encoded in advance: the sandboxed child's setup allocates nothing.
        Report::Ready => wire::send_bytes(pipe, &READY),
        report => wire::send(pipe, report),
    };
}

/// Reads the child's report until the child closes its end of the pipe: `None` when the
/// pipe closed with no whole report (the child died during setup). A failure comes back
/// with `in_child` set.
pub(crate) fn receive(pipe: impl AsFd) -> Result<Option<Report>, Errno> {
    Ok(wire::receive(pipe)?.map(|report| match report {
        Report::Failed(Error::Setup {
            step,
            source,
            shared_dir,
            ..
        }) => Report::Failed(Error::Setup {
            step,
            source,
            shared_dir,
            in_child: true,
        }),
        other => other,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{Call, SysError};
    use crate::step::Step;

    #[test]
    fn a_truncated_report_is_no_report() {
        let full = wire::encode(&Report::Failed(Error::setup(
            Step::MountProc,
            SysError::at(Call::Fchdir, "x".repeat(10), Errno::PERM),
        )));
        for cut in 0..full.len() {
            assert!(
                wire::decode::<Report>(&full[..cut]).is_none(),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            wire::decode::<Report>(&full),
            Some(Report::Failed(_))
        ));
        assert!(matches!(
            wire::decode::<Report>(&READY),
            Some(Report::Ready)
        ));
        assert_eq!(wire::encode(&Report::Ready), READY);
        assert!(wire::decode::<Report>(&[0, 0]).is_none());
    }
}
