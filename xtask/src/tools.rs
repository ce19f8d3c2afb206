//! The programs some kernel scenarios run, installed before the tests where xtask can.
//!
//! The scenarios ask for them through `test_support::require_tool` and skip, with the
//! install command as the reason, where one is missing: `cargo xtask test` passes on a
//! machine without them. As root with `apt-get` it installs them first (printing the
//! command), so that those scenarios run; when that fails, or without root or apt-get, it
//! says which are missing and goes on.

use std::process::Command;

/// The programs and their packages: `test-support`'s list, read from its file (xtask does
/// not depend on `test-support`).
#[path = "../../test-support/src/tool_list.rs"]
mod list;

/// The packages of the programs not in `PATH`, each once, in the list's order; and the
/// programs.
fn missing() -> (Vec<&'static str>, Vec<&'static str>) {
    let mut packages = Vec::new();
    let mut programs = Vec::new();
    for (program, package) in list::ALL {
        if crate::which(program).is_none() {
            programs.push(program);
            if !packages.contains(&package) {
                packages.push(package);
            }
        }
    }
    (packages, programs)
}

/// Installs the packages of the missing programs as root with apt-get (unless `install`
/// is false), then prints what is still missing. Never fails: the scenarios that need a
/// missing program skip.
pub fn prepare(euid: u32, install: bool) {
    let (packages, _) = missing();
    if packages.is_empty() {
        return;
    }
    let apt = crate::which("apt-get");
    if let (true, 0, Some(apt)) = (install, euid, &apt) {
        let install = |update: bool| {
            if update {
                let mut cmd = Command::new(apt);
                cmd.args(["update", "-qq"])
                    .env("DEBIAN_FRONTEND", "noninteractive");
                if crate::run(&mut cmd).is_err() {
                    return false;
                }
            }
            let mut cmd = Command::new(apt);
            cmd.args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&packages)
                .env("DEBIAN_FRONTEND", "noninteractive");
            crate::run(&mut cmd).is_ok()
        };
        println!(
            "==> installing what some kernel scenarios run: {}",
            packages.join(" ")
        );
        // A fresh machine may have no package lists yet: update once, then retry.
        if !install(false) && !install(true) {
            println!("    could not install them; going on");
        }
    }
    let (packages, programs) = missing();
    if !programs.is_empty() {
        println!(
            "note: {} not installed: the scenarios that run {} skip (apt-get install {}{})",
            programs.join(", "),
            if programs.len() == 1 { "it" } else { "them" },
            packages.join(" "),
            match (install, euid, apt) {
                (false, _, _) => "; --no-install was given",
                (true, 0, None) => "; no apt-get here",
                (true, 0, Some(_)) => "",
                (true, _, _) => "; xtask installs them only as root",
            }
        );
    }
}
