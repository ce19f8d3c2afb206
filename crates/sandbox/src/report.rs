//! The sandboxed child's report to the original process: one message over a pipe.
//!
//! `O` means the sandbox is ready. `E` carries a setup error: the step, the errno, the path
//! and the leaf crate's message, so that the parent's `enter()` returns the same
//! [`Error::Setup`] the child hit. The message is written with a single `write(2)` of less
//! than `PIPE_BUF` bytes, so it arrives whole or not at all.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::io::Errno;

use crate::error::{Error, Step};

const READY: u8 = b'O';
const FAILED: u8 = b'E';
const MAX_PATH: usize = 1024;
const MAX_MESSAGE: usize = 2048;

/// What the parent read from the child.
pub(crate) enum Report {
    /// The child is inside and running the caller's code.
    Ready,
    /// The child failed; it exits right after sending this.
    Failed(Error),
    /// The pipe closed with no (whole) message: the child died during setup.
    Nothing,
}

pub(crate) fn send_ready(pipe: impl AsFd) {
    let _ = write_all(pipe, &[READY]);
}

pub(crate) fn send_error(pipe: impl AsFd, error: &Error) {
    let _ = write_all(pipe, &encode(error));
}

fn encode(error: &Error) -> Vec<u8> {
    let (step, path, message, errno) = match error {
        Error::Setup {
            step,
            path,
            message,
            errno,
            ..
        } => (*step, path.as_deref(), message.as_str(), *errno),
        // The child only produces Setup errors; anything else is reported as such.
        other => {
            return encode(&Error::Setup {
                step: other.step().unwrap_or(Step::Report),
                path: other.path().map(Into::into),
                message: other.to_string(),
                errno: other.errno(),
                in_child: true,
            })
        }
    };
    let path = path.map(|p| p.as_os_str().as_bytes()).unwrap_or(b"");
    let path = &path[..path.len().min(MAX_PATH)];
    let message = truncate(message, MAX_MESSAGE).as_bytes();
    let mut out = Vec::with_capacity(8 + path.len() + message.len());
    out.push(FAILED);
    out.push(step as u8);
    out.extend_from_slice(&errno.map_or(0, |e| e.raw_os_error()).to_le_bytes());
    out.extend_from_slice(&(path.len() as u16).to_le_bytes());
    out.extend_from_slice(path);
    out.extend_from_slice(&(message.len() as u16).to_le_bytes());
    out.extend_from_slice(message);
    out
}

/// Reads the child's report until the child closes its end of the pipe.
pub(crate) fn receive(pipe: impl AsFd) -> Result<Report, Errno> {
    let mut buf = Vec::with_capacity(64);
    let mut chunk = [0u8; 512];
    loop {
        match rustix::io::read(pipe.as_fd(), &mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(decode(&buf))
}

fn decode(buf: &[u8]) -> Report {
    match buf.first() {
        Some(&READY) if buf.len() == 1 => Report::Ready,
        Some(&FAILED) => parse_failed(&buf[1..]).map_or(Report::Nothing, Report::Failed),
        _ => Report::Nothing,
    }
}

fn parse_failed(b: &[u8]) -> Option<Error> {
    let step = Step::from_u8(*b.first()?)?;
    let errno = i32::from_le_bytes(b.get(1..5)?.try_into().ok()?);
    let path_len = u16::from_le_bytes(b.get(5..7)?.try_into().ok()?) as usize;
    let path = b.get(7..7 + path_len)?;
    let rest = &b[7 + path_len..];
    let msg_len = u16::from_le_bytes(rest.get(0..2)?.try_into().ok()?) as usize;
    let message = rest.get(2..2 + msg_len)?;
    Some(Error::Setup {
        step,
        path: (!path.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(path))),
        message: String::from_utf8_lossy(message).into_owned(),
        errno: (errno != 0).then(|| Errno::from_raw_os_error(errno)),
        in_child: true,
    })
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn write_all(fd: impl AsFd, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match rustix::io::write(fd.as_fd(), data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_error_comes_back_whole() {
        let sent = Error::Setup {
            step: Step::PivotRoot,
            path: Some("/srv/shared dir".into()),
            message: "pivot_root: Invalid argument (os error 22)".into(),
            errno: Some(Errno::INVAL),
            in_child: false,
        };
        let Report::Failed(got) = decode(&encode(&sent)) else {
            panic!("not decoded as a failure");
        };
        match got {
            Error::Setup {
                step,
                path,
                message,
                errno,
                in_child,
            } => {
                assert_eq!(step, Step::PivotRoot);
                assert_eq!(
                    path.as_deref(),
                    Some(std::path::Path::new("/srv/shared dir"))
                );
                assert_eq!(message, "pivot_root: Invalid argument (os error 22)");
                assert_eq!(errno, Some(Errno::INVAL));
                assert!(in_child);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_truncated_or_empty_report_means_nothing() {
        let full = encode(&Error::Setup {
            step: Step::MountProc,
            path: None,
            message: "x".repeat(10),
            errno: None,
            in_child: true,
        });
        for cut in 0..full.len() {
            assert!(
                matches!(decode(&full[..cut]), Report::Nothing),
                "cut at {cut}"
            );
        }
        assert!(matches!(decode(b"O"), Report::Ready));
        assert!(matches!(decode(b"OO"), Report::Nothing));
    }

    #[test]
    fn long_messages_fit_in_one_pipe_write() {
        let e = Error::Setup {
            step: Step::BindSharedDir,
            path: Some(PathBuf::from("p".repeat(5000))),
            message: "é".repeat(3000),
            errno: Some(Errno::PERM),
            in_child: true,
        };
        assert!(encode(&e).len() < 4096);
    }
}
