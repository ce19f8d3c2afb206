//! What this process can do: [`probe`].

use std::fmt;
use std::os::fd::OwnedFd;

use rustix::io::Errno;
use sandbox_namespaces::{IdMap, IdMapTool, Namespaces};
use sandbox_process::{ExitStatus, Fork};
use sandbox_seccomp::{Filter, Missing, Program, SeccompMode, SeccompStatus};

use crate::cause::{unshare_cause, user_label};
use crate::wire::{self, Reader};

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
    /// Creating a user namespace (needed without `CAP_SYS_ADMIN`) and mapping the own ids
    /// in it.
    pub user_namespace: Support,
    /// Creating a mount namespace (in a new user namespace without `CAP_SYS_ADMIN`).
    pub mount_namespace: Support,
    /// Creating a pid namespace.
    pub pid_namespace: Support,
    /// Creating a network namespace.
    pub net_namespace: Support,
    /// Mounting a fresh proc from pid 1 of a new pid namespace, in a new mount namespace
    /// (in a new user namespace without `CAP_SYS_ADMIN`), as entering does. In a user
    /// namespace the kernel refuses it (`EPERM`) while every proc of the mount namespace
    /// has mounts on parts of it, as container runtimes add over `/proc/kcore`,
    /// `/proc/sys`, ...: the detail then lists them.
    pub mount_proc: Support,
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
    /// Descriptor numbers: how many are open below the soft `RLIMIT_NOFILE`, that limit,
    /// and whether the numbers left free hold what entering in
    /// [`Mode::Namespace`](crate::Mode::Namespace) opens at once, counted with the shared
    /// directory's descriptor that [`Builder::build`](crate::Builder::build) opens (so a
    /// process that built its sandbox before probing needs one fewer than it says).
    pub descriptors: Support,
}

impl Probe {
    /// The facilities with their names, in the order of the table.
    pub fn rows(&self) -> [(&'static str, &Support); 12] {
        [
            ("user namespace", &self.user_namespace),
            ("mount namespace", &self.mount_namespace),
            ("pid namespace", &self.pid_namespace),
            ("net namespace", &self.net_namespace),
            ("mount proc", &self.mount_proc),
            ("newuidmap/newgidmap", &self.id_map_helpers),
            ("subordinate ids", &self.subordinate_ids),
            ("new mount API", &self.new_mount_api),
            ("pidfd", &self.pidfd),
            ("seccomp", &self.seccomp),
            ("landlock", &self.landlock),
            ("descriptors", &self.descriptors),
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

/// A step the trial process takes, in the order it takes them ([`Trial::ORDER`]); each is
/// reported as soon as it is done, so that what was found survives a trial that dies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trial {
    User,
    Maps,
    Pid,
    Net,
    Mount,
    /// Forking pid 1 of the new pid namespace, which mounts proc.
    Pid1,
    /// Making `/` private (recursively) before mounting, as entering does.
    Private,
    Proc,
    OpenTree,
    Seccomp,
}

impl Trial {
    const ORDER: [Trial; 10] = [
        Trial::User,
        Trial::Maps,
        Trial::Pid,
        Trial::Net,
        Trial::Mount,
        Trial::Pid1,
        Trial::Private,
        Trial::Proc,
        Trial::OpenTree,
        Trial::Seccomp,
    ];

    /// The row of the table it belongs to, and the step when the row has several.
    fn name(self) -> &'static str {
        match self {
            Trial::User => "user namespace",
            Trial::Maps => "user namespace (writing the own id maps)",
            Trial::Pid => "pid namespace",
            Trial::Net => "net namespace",
            Trial::Mount => "mount namespace",
            Trial::Pid1 => "mount proc (forking pid 1 of the new pid namespace)",
            Trial::Private => "mount proc (making / private)",
            Trial::Proc => "mount proc",
            Trial::OpenTree => "new mount API (open_tree)",
            Trial::Seccomp => "seccomp (installing the default filter)",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The namespaces the step unshares (the user namespace for writing its maps), for
    /// the diagnosis of a refusal.
    fn namespaces(self) -> Namespaces {
        match self {
            Trial::User | Trial::Maps => Namespaces::USER,
            Trial::Pid => Namespaces::PID,
            Trial::Net => Namespaces::NET,
            Trial::Mount => Namespaces::MOUNT,
            _ => Namespaces::empty(),
        }
    }
}

wire::wire_enum!(Trial {
    0 => User,
    1 => Maps,
    2 => Pid,
    3 => Net,
    4 => Mount,
    5 => Pid1,
    6 => Private,
    7 => Proc,
    8 => OpenTree,
    9 => Seccomp,
});

/// What the trial process answered for one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Not tried: a step it needs failed.
    NotTried,
    /// The kernel did it.
    Worked,
    /// The kernel refused with this errno.
    Refused(Errno),
    /// The process that tried it (pid 1 of the trial's pid namespace) died of this signal.
    Killed(i32),
}

wire::wire_enum!(Answer {
    0 => NotTried,
    1 => Worked,
    2 => Refused(errno),
    3 => Killed(signal),
});

impl From<Result<(), Errno>> for Answer {
    fn from(r: Result<(), Errno>) -> Self {
        match r {
            Ok(()) => Answer::Worked,
            Err(errno) => Answer::Refused(errno),
        }
    }
}

/// What became of one step, as the probing process learns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The trial process reported it.
    Answer(Answer),
    /// The trial process died of this signal while at this step.
    DiedHere(i32),
    /// The trial process died of the signal at the earlier step, before this one.
    DiedBefore(Trial, i32),
    /// The trial process ended (this way) without reporting it.
    Unreported(ExitStatus),
}

/// What the trial process reported, step by step, and how it ended.
#[derive(Debug)]
struct Trials {
    found: [Found; Trial::ORDER.len()],
}

impl Trials {
    /// Reads the stream of `(step, answer)` messages: the first answer of each step counts
    /// (pid 1's death is reported after what it reported itself); a message cut short ends
    /// the stream. The step the trial process died at is the first one it did not report.
    fn from_stream(bytes: &[u8], ended: ExitStatus) -> Trials {
        let mut answers: [Option<Answer>; Trial::ORDER.len()] = [None; Trial::ORDER.len()];
        let mut r = Reader::new(bytes);
        while !r.is_empty() {
            let Some((trial, answer)) = r.get::<(Trial, Answer)>() else {
                break;
            };
            answers[trial.index()].get_or_insert(answer);
        }
        let mut died: Option<(Trial, i32)> = None;
        let found = Trial::ORDER.map(|trial| match (answers[trial.index()], ended.signal()) {
            (Some(answer), _) => Found::Answer(answer),
            (None, Some(signal)) => match died {
                Some((at, signal)) => Found::DiedBefore(at, signal),
                None => {
                    died = Some((trial, signal));
                    Found::DiedHere(signal)
                }
            },
            (None, None) => Found::Unreported(ended),
        });
        Trials { found }
    }

    fn get(&self, trial: Trial) -> Found {
        self.found[trial.index()]
    }
}

/// How the trial died at `trial`: by a seccomp filter (`SIGSYS`), or the signal named.
fn killed_at(signal: i32, trial: Trial) -> String {
    if signal == rustix::process::Signal::SYS.as_raw() {
        format!(
            "a seccomp filter killed the trial at {} (SIGSYS)",
            trial.name()
        )
    } else {
        let status = ExitStatus::Signaled {
            signal,
            core_dumped: false,
        };
        format!("the trial process was {status} at {}", trial.name())
    }
}

/// A "no" for a step that did not give an answer of the kernel's.
fn unanswered(found: Found, trial: Trial) -> Option<Support> {
    Some(Support::No(match found {
        Found::Answer(Answer::Worked | Answer::Refused(_)) => return None,
        Found::Answer(Answer::NotTried) => "not tried: an earlier step failed".to_owned(),
        Found::Answer(Answer::Killed(signal)) => killed_at(signal, trial),
        Found::DiedHere(signal) => killed_at(signal, trial),
        Found::DiedBefore(at, signal) => format!("not tried: {}", killed_at(signal, at)),
        Found::Unreported(status) => {
            format!("cannot probe: the trial process {status} without reporting this")
        }
    }))
}

/// The rows the trial child decides.
struct Tried {
    user: Support,
    mount: Support,
    pid: Support,
    net: Support,
    proc: Support,
    new_mount_api: Support,
}

/// Finds out what this process can do for a sandbox, without changing it: a forked child
/// tries to create each namespace (inside a new user namespace without `CAP_SYS_ADMIN`, as
/// [`Sandbox::enter`](crate::Sandbox::enter) would), to map its own ids, to mount a fresh
/// proc from pid 1 of its new pid namespace (after making `/` private in its new mount
/// namespace), to clone a mount tree with `open_tree(2)`, and, last, to install the default
/// seccomp filter; this process looks for `newuidmap`/`newgidmap` and its subordinate ids,
/// opens a pidfd on itself, and reads its own seccomp state. Each "no" carries the reason
/// found (the same diagnosis as [`Error::cause`](crate::Error::cause)).
///
/// The child reports each step as soon as it is done: when it dies on the way (a seccomp
/// filter that kills on `open_tree`, say), the rows it reported keep their answers, the
/// row it died at names the signal (`SIGSYS`: a seccomp filter), and the rows after it say
/// they were not tried.
///
/// Needs a single-threaded process for the fork; in a multi-threaded one the namespace
/// rows say so. Never fails: what cannot be tried is reported as a "no".
pub fn probe() -> Probe {
    // Decided as entering decides: by CAP_SYS_ADMIN, not by the uid.
    let privilege = crate::privilege::Privilege::current();
    let root = privilege.makes_namespaces();
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
                proc: no.clone(),
                new_mount_api: no,
            };
            return finish(tried, seccomp, privilege, uid);
        }
    };
    let explain = |trial: Trial, what: &str| -> Support {
        let found = trials.get(trial);
        if let Some(no) = unanswered(found, trial) {
            return no;
        }
        match found {
            Found::Answer(Answer::Refused(errno)) => match unshare_cause(trial.namespaces(), errno)
            {
                Some(cause) => Support::No(format!("{errno}: {cause}")),
                None => Support::No(format!("{errno}")),
            },
            _ => Support::Yes(what.to_string()),
        }
    };
    let user = match (root, trials.get(Trial::User), trials.get(Trial::Maps)) {
        (true, _, _) => Support::Yes("not needed: CAP_SYS_ADMIN makes the namespaces".into()),
        (false, Found::Answer(Answer::Worked), Found::Answer(Answer::Refused(errno))) => {
            Support::No(format!(
                "created, but writing the own uid/gid map failed: {errno}"
            ))
        }
        (false, Found::Answer(Answer::Worked), Found::Answer(Answer::Worked)) => {
            Support::Yes("own uid and gid mapped".into())
        }
        (false, Found::Answer(Answer::Worked), maps) => {
            unanswered(maps, Trial::Maps).unwrap_or_else(|| explain(Trial::Maps, ""))
        }
        (false, _, _) => explain(Trial::User, ""),
    };
    let how = if root {
        ""
    } else {
        " (in a new user namespace)"
    };
    let new_mount_api = match trials.get(Trial::OpenTree) {
        Found::Answer(Answer::Worked) => Support::Yes("open_tree(OPEN_TREE_CLONE) works".into()),
        Found::Answer(Answer::Refused(Errno::NOSYS)) => Support::No(
            "ENOSYS: the kernel (before 5.2) or a seccomp filter lacks open_tree; mount(2) is \
             used instead"
                .into(),
        ),
        Found::Answer(Answer::Refused(errno)) => {
            Support::No(format!("{errno}: mount(2) is used instead"))
        }
        Found::Answer(Answer::NotTried) => Support::No("not tried: no mount namespace".into()),
        Found::DiedHere(signal) => Support::No(format!(
            "{}; entering with MountApi::Auto or MountApi::New dies the same way, \
             MountApi::Legacy uses mount(2) only",
            killed_at(signal, Trial::OpenTree)
        )),
        found => {
            unanswered(found, Trial::OpenTree).unwrap_or_else(|| Support::No("not tried".into()))
        }
    };
    let tried = Tried {
        user,
        mount: explain(Trial::Mount, &format!("unshare(CLONE_NEWNS) works{how}")),
        pid: explain(Trial::Pid, &format!("unshare(CLONE_NEWPID) works{how}")),
        net: explain(Trial::Net, &format!("unshare(CLONE_NEWNET) works{how}")),
        proc: proc_support(&trials, root, how),
        new_mount_api,
    };
    let seccomp = seccomp_support(
        sandbox_seccomp::status(),
        match &program {
            Ok(_) => Ok(trials.get(Trial::Seccomp)),
            Err(e) => Err(e.to_string()),
        },
    );
    finish(tried, seccomp, privilege, uid)
}

/// The proc row: forking pid 1 into the new pid namespace, making `/` private, mounting
/// proc; the first of them that did not work says why.
fn proc_support(trials: &Trials, root: bool, how: &str) -> Support {
    for (trial, first) in [
        (Trial::Pid1, "forking pid 1 of the new pid namespace failed"),
        (Trial::Private, "making / private failed"),
    ] {
        match trials.get(trial) {
            Found::Answer(Answer::Worked) => {}
            Found::Answer(Answer::NotTried) => {
                return Support::No("not tried: no pid or mount namespace".into())
            }
            Found::Answer(Answer::Refused(errno)) => {
                return Support::No(format!("{first}: {errno}"))
            }
            found => {
                return unanswered(found, trial).unwrap_or_else(|| Support::No(first.to_string()))
            }
        }
    }
    match trials.get(Trial::Proc) {
        Found::Answer(Answer::Worked) => Support::Yes(format!(
            "a fresh proc mounts in a new pid and mount namespace{how}"
        )),
        Found::Answer(Answer::Refused(errno)) => {
            // The trial's mount namespace belongs to a user namespace other than the
            // initial one when it made one, or when this process is in one already.
            let in_user_namespace = !root || crate::proc_cover::in_child_user_namespace();
            match crate::proc_cover::proc_mount_cause(errno, in_user_namespace) {
                Some(cause) => Support::No(format!("{errno}: {cause}")),
                None => Support::No(format!("{errno}")),
            }
        }
        found => unanswered(found, Trial::Proc).unwrap_or_else(|| Support::No("not tried".into())),
    }
}

/// The seccomp row: the state of this process (`status`), and what installing the default
/// filter gave in the trial child (`trial`; `Err` says why it was not tried).
fn seccomp_support(
    status: Result<SeccompStatus, sandbox_seccomp::Error>,
    trial: Result<Found, String>,
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
        Ok(Found::Answer(Answer::Worked)) => {
            Support::Yes(format!("{now}; the default filter installs"))
        }
        Ok(Found::Answer(Answer::Refused(errno))) => {
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
        Ok(found) => match unanswered(found, Trial::Seccomp) {
            Some(no) => Support::No(format!("{now}; {}", no.detail())),
            None => Support::No(format!("{now}; installing not tried")),
        },
        Err(reason) => Support::No(format!("{now}; installing not tried: {reason}")),
    }
}

fn finish(
    tried: Tried,
    seccomp: Support,
    privilege: crate::privilege::Privilege,
    uid: u32,
) -> Probe {
    // First, while this function holds no descriptor of its own.
    let descriptors = descriptors_support();
    let tools = [IdMapTool::NewUidMap, IdMapTool::NewGidMap].map(|t| t.find());
    let id_map_helpers = match tools {
        [Ok(u), Ok(g)] => Support::Yes(format!("{} and {}", u.display(), g.display())),
        [Err(e), _] | [_, Err(e)] => Support::No(format!(
            "{e}: only the own uid and gid can be mapped without CAP_SETUID and CAP_SETGID"
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
            let needed = if privilege.writes_any_id_map() {
                " (with CAP_SETUID and CAP_SETGID, ranges are mapped without them)"
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
        mount_proc: tried.proc,
        id_map_helpers,
        subordinate_ids,
        new_mount_api: tried.new_mount_api,
        pidfd,
        seccomp,
        landlock: landlock_support(),
        descriptors,
    }
}

/// The descriptors row: the numbers free below the soft `RLIMIT_NOFILE` now, against what
/// entering needs at once and the shared directory's descriptor.
fn descriptors_support() -> Support {
    let at_once = crate::limits::ENTER_DESCRIPTORS;
    let needed = u64::from(at_once) + 1;
    let Some((open, limit)) = crate::limits::descriptors_open() else {
        return Support::Yes("no soft RLIMIT_NOFILE: the descriptor table is not limited".into());
    };
    let free = limit.saturating_sub(u64::from(open));
    let text = format!(
        "{open} open below the soft RLIMIT_NOFILE of {limit}, {free} free; entering needs \
         {needed} ({at_once} at once, and the shared directory's from build())"
    );
    match free >= needed {
        true => Support::Yes(text),
        false => Support::No(format!(
            "{text}: raise the soft limit (setrlimit, prlimit --nofile, LimitNOFILE= in \
             systemd) or close descriptors first"
        )),
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

/// Forks a child that tries everything in its own namespaces and reports each step as
/// it goes; reads what it reported and how it ended.
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
        // Entering forks too, and would fail the same way: say which limit.
        sandbox_process::Error::Fork {
            errno: Errno::AGAIN,
        } => format!(
            "cannot probe: {e}: {}; entering fails the same way",
            crate::Cause::ProcessLimitReached {
                limit: crate::limits::process_limit()
            }
        ),
        e => format!("cannot probe: {e}"),
    })?;
    match fork {
        Fork::Child => {
            drop(rx);
            trials_here(&tx, root, uid, gid, program);
            sandbox_process::exit_now(0)
        }
        Fork::Parent(mut child) => {
            drop(tx);
            let bytes = wire::receive_bytes(&rx);
            let ended = child
                .wait()
                .map_err(|e| format!("cannot probe: wait for the trial process: {e}"))?;
            match bytes {
                Ok(Some(bytes)) => Ok(Trials::from_stream(&bytes, ended)),
                Ok(None) => Err("cannot probe: the trial process sent too much".into()),
                Err(e) => Err(format!("cannot probe: read from the trial process: {e}")),
            }
        }
    }
}

/// The trial, in the forked child: each step in [`Trial::ORDER`], each reported on `tx`
/// as one message once done (a pipe write of a few bytes is atomic).
fn trials_here(tx: &OwnedFd, root: bool, uid: u32, gid: u32, program: Option<&Program>) {
    let report = |trial: Trial, answer: Answer| {
        // Nothing to do about a closed pipe: the probing process then reads no answer.
        let _ = wire::send(tx, &(trial, answer));
    };
    let errno = |r: Result<(), sandbox_namespaces::Error>| {
        Answer::from(r.map_err(|e| e.errno().unwrap_or(Errno::INVAL)))
    };
    let mut user = Answer::Worked;
    if root {
        report(Trial::User, Answer::NotTried);
        report(Trial::Maps, Answer::NotTried);
    } else {
        user = errno(sandbox_namespaces::unshare(Namespaces::USER));
        report(Trial::User, user);
        let maps = match user {
            Answer::Worked => errno(sandbox_namespaces::write_own_id_maps(
                &[IdMap::identity(uid)],
                &[IdMap::identity(gid)],
            )),
            _ => Answer::NotTried,
        };
        report(Trial::Maps, maps);
    }
    let unshare = |trial: Trial, namespaces: Namespaces| {
        let answer = match user {
            Answer::Worked => errno(sandbox_namespaces::unshare(namespaces)),
            _ => Answer::NotTried,
        };
        report(trial, answer);
        answer
    };
    let pid = unshare(Trial::Pid, Namespaces::PID);
    unshare(Trial::Net, Namespaces::NET);
    let mount = unshare(Trial::Mount, Namespaces::MOUNT);
    if pid == Answer::Worked && mount == Answer::Worked {
        proc_in_pid1(&report);
    } else {
        for trial in [Trial::Pid1, Trial::Private, Trial::Proc] {
            report(trial, Answer::NotTried);
        }
    }
    let open_tree = match mount {
        Answer::Worked => Answer::from(
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
        ),
        _ => Answer::NotTried,
    };
    report(Trial::OpenTree, open_tree);
    // Last: the filter stays on the trial child, which only reports and exits.
    let seccomp = match program {
        Some(program) => Answer::from(
            program
                .install()
                .map_err(|e| e.errno().unwrap_or(Errno::INVAL)),
        ),
        None => Answer::NotTried,
    };
    report(Trial::Seccomp, seccomp);
}

/// Forks pid 1 of the trial's new pid namespace, which makes `/` private in the trial's
/// mount namespace and mounts proc on `/proc`, as the sandboxed child does; reports its
/// death by a signal after what it reported itself.
fn proc_in_pid1(report: &impl Fn(Trial, Answer)) {
    let mount_errno = |r: Result<(), sandbox_mount::Error>| {
        Answer::from(r.map_err(|e| e.errno().unwrap_or(Errno::INVAL)))
    };
    match sandbox_process::fork() {
        Err(e) => {
            report(
                Trial::Pid1,
                Answer::Refused(e.errno().unwrap_or(Errno::INVAL)),
            );
            report(Trial::Private, Answer::NotTried);
            report(Trial::Proc, Answer::NotTried);
        }
        Ok(Fork::Child) => {
            report(Trial::Pid1, Answer::Worked);
            // Private first: as root the trial's mount namespace is a copy of the host's,
            // whose shared mounts would pass the new proc on to the host.
            let private = mount_errno(sandbox_mount::set_propagation_recursive(
                "/",
                sandbox_mount::Propagation::Private,
            ));
            report(Trial::Private, private);
            let proc = match private {
                Answer::Worked => mount_errno(sandbox_mount::mount_proc("/proc")),
                _ => Answer::NotTried,
            };
            report(Trial::Proc, proc);
            sandbox_process::exit_now(0)
        }
        Ok(Fork::Parent(mut pid1)) => {
            if let Ok(ExitStatus::Signaled { signal, .. }) = pid1.wait() {
                for trial in [Trial::Pid1, Trial::Private, Trial::Proc] {
                    report(trial, Answer::Killed(signal));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(steps: &[(Trial, Answer)]) -> Vec<u8> {
        steps.iter().flat_map(wire::encode).collect()
    }

    #[test]
    fn what_a_dying_trial_reported_is_kept_and_its_death_placed() {
        let sys = rustix::process::Signal::SYS.as_raw();
        let bytes = stream(&[
            (Trial::User, Answer::Worked),
            (Trial::Maps, Answer::Worked),
            (Trial::Pid, Answer::Worked),
            (Trial::Net, Answer::Refused(Errno::PERM)),
            (Trial::Mount, Answer::Worked),
            (Trial::Pid1, Answer::Worked),
            (Trial::Private, Answer::Worked),
            (Trial::Proc, Answer::Refused(Errno::PERM)),
            // Pid 1's death reported after its own answer: the first answer counts.
            (Trial::Proc, Answer::Killed(9)),
        ]);
        let ended = ExitStatus::Signaled {
            signal: sys,
            core_dumped: true,
        };
        let t = Trials::from_stream(&bytes, ended);
        assert_eq!(t.get(Trial::Pid), Found::Answer(Answer::Worked));
        assert_eq!(
            t.get(Trial::Net),
            Found::Answer(Answer::Refused(Errno::PERM))
        );
        assert_eq!(
            t.get(Trial::Proc),
            Found::Answer(Answer::Refused(Errno::PERM))
        );
        assert_eq!(t.get(Trial::OpenTree), Found::DiedHere(sys));
        assert_eq!(
            t.get(Trial::Seccomp),
            Found::DiedBefore(Trial::OpenTree, sys)
        );
        assert_eq!(
            unanswered(t.get(Trial::OpenTree), Trial::OpenTree)
                .map(|s| s.detail().to_owned())
                .as_deref(),
            Some("a seccomp filter killed the trial at new mount API (open_tree) (SIGSYS)")
        );
        assert_eq!(
            unanswered(t.get(Trial::Seccomp), Trial::Seccomp)
                .map(|s| s.detail().to_owned())
                .as_deref(),
            Some("not tried: a seccomp filter killed the trial at new mount API (open_tree) (SIGSYS)")
        );
    }

    #[test]
    fn a_cut_stream_and_a_quiet_exit_are_named() {
        let mut bytes = stream(&[(Trial::User, Answer::Worked), (Trial::Maps, Answer::Worked)]);
        bytes.pop();
        let t = Trials::from_stream(&bytes, ExitStatus::Exited(0));
        assert_eq!(t.get(Trial::User), Found::Answer(Answer::Worked));
        assert_eq!(t.get(Trial::Maps), Found::Unreported(ExitStatus::Exited(0)));
        let killed = Trials::from_stream(
            &[],
            ExitStatus::Signaled {
                signal: 9,
                core_dumped: false,
            },
        );
        assert_eq!(killed.get(Trial::User), Found::DiedHere(9));
        assert_eq!(
            unanswered(killed.get(Trial::Pid), Trial::Pid)
                .map(|s| s.detail().to_owned())
                .as_deref(),
            Some("not tried: the trial process was killed by SIGKILL at user namespace")
        );
    }
}
