//! What this process can do: [`probe`].

use std::fmt;

use rustix::io::Errno;
use sandbox_namespaces::{IdMap, IdMapTool, Namespaces};
use sandbox_process::Fork;
use sandbox_seccomp::{Filter, Missing, Program, SeccompMode, SeccompStatus};

use crate::cause::{unshare_cause, user_label};
use crate::wire::{self, Reader, Wire, Writer};

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
    /// Landlock: the ABI version of the kernel, for [`Mode::Landlock`](crate::Mode::Landlock)
    /// and the layer of the other modes.
    pub landlock: Support,
}

impl Probe {
    /// The facilities with their names, in the order of the table.
    pub fn rows(&self) -> [(&'static str, &Support); 10] {
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
            ("landlock", &self.landlock),
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

/// One attempt of the trial child: not tried (an earlier step failed), or what the kernel
/// answered.
type Attempt = Option<Result<(), Errno>>;

/// What the trial child found.
#[derive(Debug, Default)]
struct Trials {
    user: Attempt,
    maps: Attempt,
    mount: Attempt,
    pid: Attempt,
    net: Attempt,
    open_tree: Attempt,
    seccomp: Attempt,
}

impl Wire for Trials {
    fn put(&self, w: &mut Writer) {
        for attempt in [
            &self.user,
            &self.maps,
            &self.mount,
            &self.pid,
            &self.net,
            &self.open_tree,
            &self.seccomp,
        ] {
            w.put(attempt);
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(Trials {
            user: r.get()?,
            maps: r.get()?,
            mount: r.get()?,
            pid: r.get()?,
            net: r.get()?,
            open_tree: r.get()?,
            seccomp: r.get()?,
        })
    }
}

/// The rows the trial child decides.
struct Tried {
    user: Support,
    mount: Support,
    pid: Support,
    net: Support,
    new_mount_api: Support,
}

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
            let tried = Tried {
                user: no.clone(),
                mount: no.clone(),
                pid: no.clone(),
                net: no.clone(),
                new_mount_api: no,
            };
            return finish(tried, seccomp, root, uid);
        }
    };
    let explain = |attempt: Attempt, what: &str| -> Support {
        match attempt {
            Some(Ok(())) => Support::Yes(what.to_string()),
            None => Support::No("not tried: an earlier step failed".into()),
            Some(Err(errno)) => match unshare_cause(errno) {
                Some(cause) => Support::No(format!("{errno}: {cause}")),
                None => Support::No(format!("{errno}")),
            },
        }
    };
    let user = match (root, trials.user, trials.maps) {
        (true, _, _) => Support::Yes("not needed: running as root".into()),
        (false, Some(Ok(())), Some(Err(errno))) => Support::No(format!(
            "created, but writing the own uid/gid map failed: {errno}"
        )),
        (false, Some(Ok(())), _) => Support::Yes("own uid and gid mapped".into()),
        (false, attempt, _) => explain(attempt, ""),
    };
    let how = if root {
        ""
    } else {
        " (in a new user namespace)"
    };
    let new_mount_api = match trials.open_tree {
        Some(Ok(())) => Support::Yes("open_tree(OPEN_TREE_CLONE) works".into()),
        Some(Err(Errno::NOSYS)) => Support::No(
            "ENOSYS: the kernel (before 5.2) or a seccomp filter lacks open_tree; mount(2) is \
             used instead"
                .into(),
        ),
        Some(Err(errno)) => Support::No(format!("{errno}: mount(2) is used instead")),
        None => Support::No("not tried: no mount namespace".into()),
    };
    let tried = Tried {
        user,
        mount: explain(trials.mount, &format!("unshare(CLONE_NEWNS) works{how}")),
        pid: explain(trials.pid, &format!("unshare(CLONE_NEWPID) works{how}")),
        net: explain(trials.net, &format!("unshare(CLONE_NEWNET) works{how}")),
        new_mount_api,
    };
    let seccomp = seccomp_support(
        sandbox_seccomp::status(),
        match &program {
            Ok(_) => Ok(trials.seccomp),
            Err(e) => Err(e.to_string()),
        },
    );
    finish(tried, seccomp, root, uid)
}

/// The seccomp row: the state of this process (`status`), and what installing the default
/// filter gave in the trial child (`trial`: 0 or the errno; `Err` says why it was not
/// tried).
fn seccomp_support(
    status: Result<SeccompStatus, sandbox_seccomp::Error>,
    trial: Result<Attempt, String>,
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
        Ok(Some(Ok(()))) => Support::Yes(format!("{now}; the default filter installs")),
        Ok(None) => Support::No(format!("{now}; installing not tried")),
        Ok(Some(Err(errno))) => {
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

fn finish(tried: Tried, seccomp: Support, root: bool, uid: u32) -> Probe {
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
        user_namespace: tried.user,
        mount_namespace: tried.mount,
        pid_namespace: tried.pid,
        net_namespace: tried.net,
        id_map_helpers,
        subordinate_ids,
        new_mount_api: tried.new_mount_api,
        pidfd,
        seccomp,
        landlock: landlock_support(),
    }
}

/// The Landlock row: the kernel's ABI, and what each level brings.
fn landlock_support() -> Support {
    match crate::landlock::landlock_abi() {
        None => Support::No(
            "the kernel has no Landlock (not built in, or not in the lsm= list at boot): \
             Mode::Landlock is refused, the layer of the other modes is not enforced"
                .into(),
        ),
        Some(abi) => {
            let has = |level: u32, what: &'static str| if abi >= level { what } else { "" };
            let extras: Vec<&str> = [
                has(3, "truncate"),
                has(4, "TCP"),
                has(5, "device ioctls"),
                has(6, "signal and abstract-socket scopes"),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
            let extras = match extras.is_empty() {
                true => String::new(),
                false => format!(" (with {})", extras.join(", ")),
            };
            Support::Yes(format!("ABI {abi}: file access rules{extras}"))
        }
    }
}

/// Forks a child that tries everything in its own namespaces and reports what it got.
fn try_in_child(
    root: bool,
    uid: u32,
    gid: u32,
    program: Option<&Program>,
) -> Result<Trials, String> {
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
                trials.seccomp = Some(
                    program
                        .install()
                        .map_err(|e| e.errno().unwrap_or(Errno::INVAL)),
                );
            }
            let _ = wire::send(&tx, &trials);
            sandbox_process::exit_now(0)
        }
        Fork::Parent(mut child) => {
            drop(tx);
            let trials = wire::receive::<Trials>(&rx);
            let _ = child.wait();
            match trials {
                Ok(Some(trials)) => Ok(trials),
                _ => Err("cannot probe: the trial process died".into()),
            }
        }
    }
}

fn trials_here(root: bool, uid: u32, gid: u32) -> Trials {
    let errno = |r: Result<(), sandbox_namespaces::Error>| {
        Some(r.map_err(|e| e.errno().unwrap_or(Errno::INVAL)))
    };
    let mut t = Trials::default();
    if !root {
        t.user = errno(sandbox_namespaces::unshare(Namespaces::USER));
        if t.user != Some(Ok(())) {
            return t;
        }
        t.maps = errno(sandbox_namespaces::write_own_id_maps(
            &[IdMap::identity(uid)],
            &[IdMap::identity(gid)],
        ));
    }
    t.pid = errno(sandbox_namespaces::unshare(Namespaces::PID));
    t.net = errno(sandbox_namespaces::unshare(Namespaces::NET));
    t.mount = errno(sandbox_namespaces::unshare(Namespaces::MOUNT));
    if t.mount == Some(Ok(())) {
        t.open_tree = Some(
            rustix::fs::open(
                "/",
                rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .and_then(|root_fd| {
                sandbox_mount::clone_tree_recursive(&root_fd)
                    .map(drop)
                    .map_err(|e| e.errno().unwrap_or(Errno::INVAL))
            }),
        );
    }
    t
}
