//! What this process can do: [`probe`].

use std::fmt;

use rustix::io::Errno;
use sandbox_namespaces::{IdMap, IdMapTool, Namespaces};
use sandbox_process::Fork;
use sandbox_seccomp::{Filter, Missing, Program, SeccompMode, SeccompStatus};

use crate::cause::{unshare_cause, user_label};
use crate::sys;

/// Whether one facility is available, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Available; the text says how (or what was found).
    Yes(String),
    /// Not available; the text says why.
    No(String),
}

impl Support {
    /// Whether it is available.
    pub fn is_yes(&self) -> bool {
        matches!(self, Support::Yes(_))
    }

    /// The explanation.
    pub fn detail(&self) -> &str {
        match self {
            Support::Yes(d) | Support::No(d) => d,
        }
    }
}

/// What [`probe`] found, one [`Support`] per facility.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Probe {
    /// Creating a user namespace (needed without root) and mapping the own ids in it.
    pub user_namespace: Support,
    /// Creating a mount namespace (in a new user namespace without root).
    pub mount_namespace: Support,
    /// Creating a pid namespace.
    pub pid_namespace: Support,
    /// Creating a network namespace.
    pub net_namespace: Support,
    /// `newuidmap` and `newgidmap`, for maps beyond the own ids.
    pub id_map_helpers: Support,
    /// Subordinate ids for this user in `/etc/subuid` and `/etc/subgid`.
    pub subordinate_ids: Support,
    /// The new mount API: `open_tree(2)` with `OPEN_TREE_CLONE` (kernel 5.2).
    pub new_mount_api: Support,
    /// `pidfd_open(2)` (kernel 5.3).
    pub pidfd: Support,
    /// Seccomp filters: the mode of this process and the filters it has already (from
    /// `/proc/self/status`), and whether a forked child can install the default filter.
    pub seccomp: Support,
}

impl Probe {
    /// The facilities with their names, in the order of the table.
    pub fn rows(&self) -> [(&'static str, &Support); 9] {
        [
            ("user namespace", &self.user_namespace),
            ("mount namespace", &self.mount_namespace),
            ("pid namespace", &self.pid_namespace),
            ("net namespace", &self.net_namespace),
            ("newuidmap/newgidmap", &self.id_map_helpers),
            ("subordinate ids", &self.subordinate_ids),
            ("new mount API", &self.new_mount_api),
            ("pidfd", &self.pidfd),
            ("seccomp", &self.seccomp),
        ]
    }
}

impl fmt::Display for Probe {
    /// A table: one line per facility, `yes` or `no` and the detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, support) in self.rows() {
            let answer = if support.is_yes() { "yes" } else { "no" };
            writeln!(f, "{name:<22} {answer:<4} {}", support.detail())?;
        }
        Ok(())
    }
}

/// Results of the trial child: an errno per attempt, 0 for success, -1 for not tried.
const TRIALS: usize = 7;
const USER: usize = 0;
const MAPS: usize = 1;
const MOUNT: usize = 2;
const PID: usize = 3;
const NET: usize = 4;
const OPEN_TREE: usize = 5;
const SECCOMP: usize = 6;

/// Finds out what this process can do for a sandbox, without changing it: a forked child
/// tries to create each namespace (inside a new user namespace when not root, as
/// [`Sandbox::enter`](crate::Sandbox::enter) would), to map its own ids, to clone a
/// mount tree with `open_tree(2)`, and, last, to install the default seccomp filter; this
/// process looks for `newuidmap`/`newgidmap` and its subordinate ids, opens a pidfd on
/// itself, and reads its own seccomp state. Each "no" carries the reason found (the
/// same diagnosis as [`Error::cause`](crate::Error::cause)).
///
/// Needs a single-threaded process for the fork; in a multi-threaded one the namespace
/// rows say so. Never fails: what cannot be tried is reported as a "no".
pub fn probe() -> Probe {
    let root = rustix::process::geteuid().is_root();
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    // Compiled here: the trial child only installs it.
    let program = Filter::default_deny().compile();
    let trials = match try_in_child(root, uid, gid, program.as_ref().ok()) {
        Ok(trials) => trials,
        Err(reason) => {
            let seccomp = seccomp_support(sandbox_seccomp::status(), Err(reason.clone()));
            let no = Support::No(reason);
            return finish(
                [
                    no.clone(),
                    no.clone(),
                    no.clone(),
                    no.clone(),
                    no.clone(),
                    no,
                ],
                seccomp,
                root,
                uid,
            );
        }
    };
    let explain = |errno: i32, what: &str| -> Support {
        if errno == 0 {
            return Support::Yes(what.to_string());
        }
        if errno < 0 {
            return Support::No("not tried: an earlier step failed".into());
        }
        let errno = Errno::from_raw_os_error(errno);
        match unshare_cause(errno) {
            Some(cause) => Support::No(format!("{errno}: {cause}")),
            None => Support::No(format!("{errno}")),
        }
    };
    let user = if root {
        Support::Yes("not needed: running as root".into())
    } else if trials[USER] != 0 {
        explain(trials[USER], "")
    } else if trials[MAPS] != 0 {
        Support::No(format!(
            "created, but writing the own uid/gid map failed: {}",
            Errno::from_raw_os_error(trials[MAPS])
        ))
    } else {
        Support::Yes("own uid and gid mapped".into())
    };
    let how = if root {
        ""
    } else {
        " (in a new user namespace)"
    };
    let open_tree = match trials[OPEN_TREE] {
        0 => Support::Yes("open_tree(OPEN_TREE_CLONE) works".into()),
        e if e == Errno::NOSYS.raw_os_error() => Support::No(
            "ENOSYS: the kernel (before 5.2) or a seccomp filter lacks open_tree; mount(2) is \
             used instead"
                .into(),
        ),
        e if e > 0 => Support::No(format!(
            "{}: mount(2) is used instead",
            Errno::from_raw_os_error(e)
        )),
        _ => Support::No("not tried: no mount namespace".into()),
    };
    finish(
        [
            user,
            explain(trials[MOUNT], &format!("unshare(CLONE_NEWNS) works{how}")),
            explain(trials[PID], &format!("unshare(CLONE_NEWPID) works{how}")),
            explain(trials[NET], &format!("unshare(CLONE_NEWNET) works{how}")),
            open_tree,
            Support::No(String::new()),
        ],
        seccomp_support(
            sandbox_seccomp::status(),
            match &program {
                Ok(_) => Ok(trials[SECCOMP]),
                Err(e) => Err(e.to_string()),
            },
        ),
        root,
        uid,
    )
}

/// The seccomp row: the state of this process (`status`), and what installing the default
/// filter gave in the trial child (`trial`: 0 or the errno; `Err` says why it was not
/// tried).
fn seccomp_support(
    status: Result<SeccompStatus, sandbox_seccomp::Error>,
    trial: Result<i32, String>,
) -> Support {
    let status = match status {
        Ok(status) => status,
        Err(e) => return Support::No(format!("cannot tell the seccomp mode: {e}")),
    };
    let now = match (status.mode, status.filters) {
        (SeccompMode::NotInKernel, _) => {
            return Support::No(
                "the kernel has no seccomp (CONFIG_SECCOMP off: no Seccomp: line in \
                 /proc/self/status); only Filter::none() works"
                    .into(),
            )
        }
        (SeccompMode::Strict, _) => {
            return Support::No("this process is in strict mode (Seccomp: 1)".into())
        }
        (SeccompMode::Filter, Some(1)) => "1 filter installed already (Seccomp: 2)".to_owned(),
        (SeccompMode::Filter, Some(n)) => format!("{n} filters installed already (Seccomp: 2)"),
        (SeccompMode::Filter, None) => "filters installed already (Seccomp: 2)".to_owned(),
        _ => "no filter yet (Seccomp: 0)".to_owned(),
    };
    match trial {
        Ok(0) => Support::Yes(format!("{now}; the default filter installs")),
        Ok(errno) if errno < 0 => Support::No(format!("{now}; installing not tried")),
        Ok(errno) => {
            let errno = Errno::from_raw_os_error(errno);
            let why = match errno {
                Errno::NOSYS => Missing::SeccompSyscall.to_string(),
                Errno::INVAL => Missing::FilterMode.to_string(),
                Errno::NOMEM => "the filters would pass the kernel's limit".to_owned(),
                _ => String::new(),
            };
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            };
            Support::No(format!("{now}; installing a filter fails: {errno}{why}"))
        }
        Err(reason) => Support::No(format!("{now}; installing not tried: {reason}")),
    }
}

fn finish(rows: [Support; 6], seccomp: Support, root: bool, uid: u32) -> Probe {
    let [user, mount, pid, net, new_mount_api, _] = rows;
    let tools = [IdMapTool::NewUidMap, IdMapTool::NewGidMap].map(|t| t.find());
    let id_map_helpers = match tools {
        [Ok(u), Ok(g)] => Support::Yes(format!("{} and {}", u.display(), g.display())),
        [Err(e), _] | [_, Err(e)] => Support::No(format!(
            "{e}: only the own uid and gid can be mapped without root"
        )),
    };
    let name = sandbox_namespaces::user_name(uid).ok().flatten();
    let label = user_label(uid);
    let ranges = |file| sandbox_namespaces::subordinate_ranges(file, name.as_deref(), uid);
    let subordinate_ids = match (
        ranges(sandbox_namespaces::SUBUID_FILE),
        ranges(sandbox_namespaces::SUBGID_FILE),
    ) {
        (Ok(u), Ok(g)) if !u.is_empty() && !g.is_empty() => {
            let total = |r: &[sandbox_namespaces::SubordinateRange]| {
                r.iter().map(|r| u64::from(r.count)).sum::<u64>()
            };
            Support::Yes(format!("{label}: {} uids, {} gids", total(&u), total(&g)))
        }
        (Ok(u), Ok(_)) => {
            let file = if u.is_empty() {
                sandbox_namespaces::SUBUID_FILE
            } else {
                sandbox_namespaces::SUBGID_FILE
            };
            let needed = if root {
                " (root maps ranges without them)"
            } else {
                ""
            };
            Support::No(format!("no line for {label} in {file}{needed}"))
        }
        (Err(e), _) | (_, Err(e)) => Support::No(e.to_string()),
    };
    let pidfd = match rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    ) {
        Ok(_) => Support::Yes("pidfd_open works".into()),
        Err(e) => Support::No(format!(
            "{e}: the kernel (before 5.3) or a seccomp filter lacks pidfd_open; a pipe \
             watches the parent instead"
        )),
    };
    Probe {
        user_namespace: user,
        mount_namespace: mount,
        pid_namespace: pid,
        net_namespace: net,
        id_map_helpers,
        subordinate_ids,
        new_mount_api,
        pidfd,
        seccomp,
    }
}

/// Forks a child that tries everything in its own namespaces and writes the errnos back.
fn try_in_child(
    root: bool,
    uid: u32,
    gid: u32,
    program: Option<&Program>,
) -> Result<[i32; TRIALS], String> {
    let (rx, tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| format!("cannot probe: pipe: {e}"))?;
    let fork = sandbox_process::fork().map_err(|e| match e {
        sandbox_process::Error::SingleThreaded(inner) => format!("cannot probe: {inner}"),
        e => format!("cannot probe: {e}"),
    })?;
    match fork {
        Fork::Child => {
            drop(rx);
            let mut trials = trials_here(root, uid, gid);
            // Last: the filter stays on the trial child, which only reports and exits.
            if let Some(program) = program {
                trials[SECCOMP] = match program.install() {
                    Ok(()) => 0,
                    Err(e) => e
                        .errno()
                        .map_or(Errno::INVAL.raw_os_error(), |e| e.raw_os_error()),
                };
            }
            let bytes: Vec<u8> = trials.iter().flat_map(|t| t.to_le_bytes()).collect();
            let _ = rustix::io::write(&tx, &bytes);
            sys::exit_now(0)
        }
        Fork::Parent(mut child) => {
            drop(tx);
            let mut buf = [0u8; TRIALS * 4];
            let mut got = 0;
            while got < buf.len() {
                match rustix::io::read(&rx, &mut buf[got..]) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(Errno::INTR) => continue,
                    Err(_) => break,
                }
            }
            let _ = child.wait();
            if got < buf.len() {
                return Err("cannot probe: the trial process died".into());
            }
            let mut trials = [0i32; TRIALS];
            for (i, chunk) in buf.chunks_exact(4).enumerate() {
                trials[i] = i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            }
            Ok(trials)
        }
    }
}

fn trials_here(root: bool, uid: u32, gid: u32) -> [i32; TRIALS] {
    let mut t = [-1i32; TRIALS];
    let errno = |r: Result<(), sandbox_namespaces::Error>| match r {
        Ok(()) => 0,
        Err(e) => e
            .errno()
            .map_or(Errno::INVAL.raw_os_error(), |e| e.raw_os_error()),
    };
    if !root {
        t[USER] = errno(sandbox_namespaces::unshare(Namespaces::USER));
        if t[USER] != 0 {
            return t;
        }
        t[MAPS] = errno(sandbox_namespaces::write_own_id_maps(
            &[IdMap::identity(uid)],
            &[IdMap::identity(gid)],
        ));
    }
    t[PID] = errno(sandbox_namespaces::unshare(Namespaces::PID));
    t[NET] = errno(sandbox_namespaces::unshare(Namespaces::NET));
    t[MOUNT] = errno(sandbox_namespaces::unshare(Namespaces::MOUNT));
    if t[MOUNT] == 0 {
        t[OPEN_TREE] = match rustix::fs::open(
            "/",
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        ) {
            Ok(root_fd) => match sandbox_mount::clone_tree_recursive(&root_fd) {
                Ok(_) => 0,
                Err(e) => e
                    .errno()
                    .map_or(Errno::INVAL.raw_os_error(), |e| e.raw_os_error()),
            },
            Err(e) => e.raw_os_error(),
        };
    }
    t
}
