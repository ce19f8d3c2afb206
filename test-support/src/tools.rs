//! The programs some scenarios need besides the kernel, and the one way a scenario asks
//! for one: [`require_tool`], which skips the scenario with the install command as the
//! reason when the program is missing. `cargo xtask test` installs them first where it
//! can (as root, with `apt-get`); a machine without them still passes, with those
//! scenarios skipped.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::{skip, Fail};

#[path = "tool_list.rs"]
mod list;

/// A program a scenario runs, and the Debian/Ubuntu package that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// The program's name, looked up in `PATH`.
    pub program: &'static str,
    /// The package to install (`apt-get install PACKAGE`).
    pub package: &'static str,
}

/// `newuidmap`: rootless uid maps beyond the own uid.
pub const NEWUIDMAP: Tool = Tool::listed(list::NEWUIDMAP);
/// `newgidmap`: rootless gid maps beyond the own gid.
pub const NEWGIDMAP: Tool = Tool::listed(list::NEWGIDMAP);
/// `bwrap`: bubblewrap, the sandbox that makes a `--disable-userns` environment.
pub const BWRAP: Tool = Tool::listed(list::BWRAP);
/// `strace`: fault injection (`-e inject=...`).
pub const STRACE: Tool = Tool::listed(list::STRACE);

/// Every tool a scenario asks for (the list `cargo xtask test` installs first).
pub const ALL: [Tool; 4] = {
    let [a, b, c, d] = list::ALL;
    [
        Tool::listed(a),
        Tool::listed(b),
        Tool::listed(c),
        Tool::listed(d),
    ]
};

impl Tool {
    /// The tool of a `(program, package)` pair of the shared list.
    const fn listed((program, package): (&'static str, &'static str)) -> Tool {
        Tool { program, package }
    }

    /// Where `PATH` (`/usr/bin:/bin` without one) has the program: the first regular file
    /// of that name with an execute bit, as the shell finds it.
    pub fn find(&self) -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        path.as_bytes()
            .split(|&b| b == b':')
            .filter(|dir| !dir.is_empty())
            .map(|dir| Path::new(OsStr::from_bytes(dir)).join(self.program))
            .find(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    }

    /// Why a scenario that needs it skips: `newuidmap is not installed (apt-get install
    /// uidmap)`.
    pub fn missing(&self) -> String {
        format!(
            "{} is not installed (apt-get install {})",
            self.program, self.package
        )
    }
}

/// The path of `tool`, or a skip of the scenario whose reason names the program and the
/// install command.
pub fn require_tool(tool: &Tool) -> Result<PathBuf, Fail> {
    match tool.find() {
        Some(path) => Ok(path),
        None => skip!("{}", tool.missing()),
    }
}

/// Skips unless both `newuidmap` and `newgidmap` are installed: for the scenarios whose
/// unprivileged process maps more than its own ids (ranges, subordinate ids, setgroups).
pub fn require_id_map_tools() -> Result<(), Fail> {
    require_tool(&NEWUIDMAP)?;
    require_tool(&NEWGIDMAP)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_a_skip_naming_the_install_command() {
        let nowhere = Tool {
            program: "no-such-program-for-the-sandbox-tests",
            package: "nothing",
        };
        match require_tool(&nowhere) {
            Err(Fail::Skip(reason)) => assert_eq!(
                reason,
                "no-such-program-for-the-sandbox-tests is not installed (apt-get install nothing)"
            ),
            other => panic!("{other:?}"),
        }
    }
}
