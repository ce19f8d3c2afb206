//! How a child ended.

use std::fmt;

use crate::error::SignalName;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It called `exit` with this code (0 to 255).
    Exited(i32),
    /// A signal killed it.
    Signaled {
        /// The signal number.
        signal: i32,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// The exit code, or 128 + the signal number for a child killed by a signal, as a
    /// shell reports it: pass it to `std::process::exit` to end the same way.
    pub fn code(&self) -> i32 {
        match *self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled { signal, .. } => 128 + signal,
        }
    }

    /// The signal that killed the child, if one did.
    pub fn signal(&self) -> Option<i32> {
        match *self {
            ExitStatus::Exited(_) => None,
            ExitStatus::Signaled { signal, .. } => Some(signal),
        }
    }

    /// Whether the child exited with code 0.
    pub fn success(&self) -> bool {
        *self == ExitStatus::Exited(0)
    }

    /// Decodes a wait status of a terminated process, as `waitpid(2)` returns it
    /// (`WIFEXITED`/`WEXITSTATUS`, `WTERMSIG`, `WCOREDUMP`). Statuses of stopped or
    /// continued processes, which [`Child`](crate::Child) never asks for, decode as `Signaled` with a
    /// meaningless signal.
    pub fn from_raw(wait_status: i32) -> Self {
        let signal = wait_status & 0x7f;
        if signal == 0 {
            ExitStatus::Exited((wait_status >> 8) & 0xff)
        } else {
            ExitStatus::Signaled {
                signal,
                core_dumped: wait_status & 0x80 != 0,
            }
        }
    }
}

impl fmt::Display for ExitStatus {
    /// `exited with code 7`, `killed by SIGKILL`, `killed by SIGSEGV (core dumped)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitStatus::Exited(code) => write!(f, "exited with code {code}"),
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => {
                write!(f, "killed by {}", SignalName(signal))?;
                if core_dumped {
                    f.write_str(" (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_decodes_wait_statuses() {
        assert_eq!(ExitStatus::from_raw(0), ExitStatus::Exited(0));
        assert_eq!(ExitStatus::from_raw(7 << 8), ExitStatus::Exited(7));
        assert_eq!(ExitStatus::from_raw(255 << 8), ExitStatus::Exited(255));
        assert_eq!(
            ExitStatus::from_raw(9),
            ExitStatus::Signaled {
                signal: 9,
                core_dumped: false
            }
        );
        assert_eq!(
            ExitStatus::from_raw(11 | 0x80),
            ExitStatus::Signaled {
                signal: 11,
                core_dumped: true
            }
        );
    }

    #[test]
    fn code_follows_the_shell() {
        assert_eq!(ExitStatus::Exited(7).code(), 7);
        assert_eq!(ExitStatus::from_raw(9).code(), 137);
        assert_eq!(ExitStatus::from_raw(15).signal(), Some(15));
        assert_eq!(ExitStatus::Exited(3).signal(), None);
        assert!(ExitStatus::Exited(0).success());
        assert!(!ExitStatus::Exited(1).success());
        assert!(!ExitStatus::from_raw(9).success());
    }

    #[test]
    fn messages_read_like_log_lines() {
        assert_eq!(ExitStatus::Exited(7).to_string(), "exited with code 7");
        assert_eq!(ExitStatus::from_raw(9).to_string(), "killed by SIGKILL");
        assert_eq!(
            ExitStatus::from_raw(11 | 0x80).to_string(),
            "killed by SIGSEGV (core dumped)"
        );
        assert_eq!(ExitStatus::from_raw(40).to_string(), "killed by signal 40");
    }
}
