//! What the kernel says about the seccomp state of the process.

use rustix::io::Errno;

use crate::Error;

/// The seccomp mode of a process (the `Seccomp:` line of `/proc/<pid>/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeccompMode {
    /// No seccomp (0).
    Disabled,
    /// Strict mode (1): only `read`, `write`, `_exit` and `sigreturn`.
    Strict,
    /// Filter mode (2): one or more BPF filters.
    Filter,
    /// No `Seccomp:` line: a kernel built without `CONFIG_SECCOMP`.
    NotInKernel,
}

/// The seccomp state of the process, as `/proc/self/status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeccompStatus {
    /// The mode.
    pub mode: SeccompMode,
    /// How many filters are installed (`Seccomp_filters:`, Linux 5.9); `None` on older
    /// kernels.
    pub filters: Option<u32>,
}

/// Reads the seccomp state of the calling thread from `/proc/self/status` (`Seccomp:` and
/// `Seccomp_filters:`). With TSYNC, every thread has the same.
///
/// # Errors
///
/// [`Error::ReadStatus`] if the file cannot be read (no `/proc`), [`Error::MalformedStatus`]
/// if one of the lines does not parse.
pub fn status() -> Result<SeccompStatus, Error> {
    let text = std::fs::read_to_string("/proc/self/status").map_err(|e| Error::ReadStatus {
        errno: Errno::from_io_error(&e).unwrap_or(Errno::IO),
    })?;
    parse_status(&text)
}

/// The seccomp state that the text of a `/proc/<pid>/status` file reports: the last
/// `Seccomp:` line (0, 1 or 2) and the last `Seccomp_filters:` line. [`status`] reads the
/// calling process's; this reads any process's, or a saved copy.
///
/// # Errors
///
/// [`Error::MalformedStatus`] naming the first of those lines that does not parse.
pub fn parse_status(text: &str) -> Result<SeccompStatus, Error> {
    let mut status = SeccompStatus {
        mode: SeccompMode::NotInKernel,
        filters: None,
    };
    for line in text.lines() {
        let malformed = || Error::MalformedStatus {
            line: line.to_owned(),
        };
        if let Some(value) = line.strip_prefix("Seccomp:") {
            status.mode = match value.trim() {
                "0" => SeccompMode::Disabled,
                "1" => SeccompMode::Strict,
                "2" => SeccompMode::Filter,
                _ => return Err(malformed()),
            };
        } else if let Some(value) = line.strip_prefix("Seccomp_filters:") {
            status.filters = Some(value.trim().parse().map_err(|_| malformed())?);
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filter_mode_and_count() {
        let s = parse_status(
            "Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t3\nSpeculation_Store_Bypass:\tx\n",
        );
        assert_eq!(
            s.ok(),
            Some(SeccompStatus {
                mode: SeccompMode::Filter,
                filters: Some(3)
            })
        );
    }

    #[test]
    fn old_kernel_has_no_filter_count_and_no_seccomp_means_not_in_kernel() {
        let s = parse_status("Seccomp:\t0\n").ok();
        assert_eq!(
            s.map(|s| (s.mode, s.filters)),
            Some((SeccompMode::Disabled, None))
        );
        let s = parse_status("Name:\tx\n").ok();
        assert_eq!(s.map(|s| s.mode), Some(SeccompMode::NotInKernel));
    }

    #[test]
    fn malformed_line_is_an_error_naming_it() {
        let e = parse_status("Seccomp:\t7\n").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("read /proc/self/status: malformed line \"Seccomp:\\t7\"")
        );
    }
}
