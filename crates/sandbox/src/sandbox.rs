//! The validated configuration, and entering it: [`Sandbox::enter`] in each mode and
//! [`Sandbox::confine`].

use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::builder::own_ids;
use crate::{
    harden, joins, Builder, Entered, Error, IdMap, Inside, Mode, MountApi, Namespaces, Propagation,
    Setgroups, Signal, FORWARDED_SIGNALS,
};

/// Set once entering starts changing the process (its namespaces, its descriptors), in the
/// original process and, through the fork, in the sandboxed one: a second `enter()` is
/// refused with [`Error::AlreadyEntered`] instead of failing halfway with a misleading errno.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Entering is about to change the process: no second `enter()` from here on.
pub(crate) fn mark_entered() {
    ENTERED.store(true, Ordering::SeqCst);
}

/// A validated sandbox configuration holding the shared directory open; made by
/// [`Builder::build`], used up by [`Sandbox::enter`] or [`Sandbox::confine`].
#[derive(Debug)]
pub struct Sandbox {
    pub(crate) dir: OwnedFd,
    pub(crate) path: PathBuf,
    pub(crate) mode: Mode,
    pub(crate) namespaces: Namespaces,
    pub(crate) uid_map: Option<Vec<IdMap>>,
    pub(crate) gid_map: Option<Vec<IdMap>>,
    pub(crate) setgroups: Setgroups,
    pub(crate) joins: joins::Joins,
    pub(crate) read_only: bool,
    pub(crate) propagation: Propagation,
    pub(crate) die_signal: Signal,
    pub(crate) mount_api: MountApi,
    pub(crate) inside_ids: Option<(u32, u32)>,
    pub(crate) seccomp: Option<sandbox_seccomp::Program>,
    pub(crate) hardening: harden::Options,
    /// The original process's state, for the audit; taken by `enter`.
    pub(crate) before: crate::audit::Before,
}

impl Sandbox {
    /// Starts the configuration of a sandbox over `shared_dir`. Nothing is checked until
    /// [`Builder::build`].
    pub fn builder(shared_dir: impl AsRef<Path>) -> Builder {
        Builder::new(shared_dir.as_ref())
    }

    /// The shared directory, as an absolute path (for messages: the sandbox uses the
    /// descriptor opened by [`Builder::build`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The namespaces [`Sandbox::enter`] creates in [`Mode::Namespace`] (joined ones are
    /// not in it).
    pub fn namespaces(&self) -> Namespaces {
        self.namespaces
    }

    /// The uid map the new user namespace gets, when one is made: the one given, the
    /// subordinate one, or the euid mapped to itself.
    pub fn uid_map(&self) -> Option<Vec<IdMap>> {
        self.namespaces.contains(Namespaces::USER).then(|| {
            let (uid, _) = own_ids();
            self.uid_map
                .clone()
                .unwrap_or_else(|| vec![IdMap::identity(uid)])
        })
    }

    /// The gid map the new user namespace gets, when one is made.
    pub fn gid_map(&self) -> Option<Vec<IdMap>> {
        self.namespaces.contains(Namespaces::USER).then(|| {
            let (_, gid) = own_ids();
            self.gid_map
                .clone()
                .unwrap_or_else(|| vec![IdMap::identity(gid)])
        })
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Enters the sandbox.
    ///
    /// In [`Mode::Namespace`] this forks: the original process gets [`Entered::Parent`]
    /// once the child is fully set up, and the child, confined, gets [`Entered::Inside`].
    /// The sequence: check that the process has one thread; join the namespaces given by
    /// fd; fork the id-map helper if the maps need one; unshare the user (when not root),
    /// pid and time namespaces here and write the id maps (or let the helper write them);
    /// fork; in the child, take the
    /// inside ids if the maps leave its own out, die with the parent, close every
    /// descriptor not kept, unshare the mount, network, IPC, UTS, cgroup and other
    /// namespaces, make `/` private (or slave), mount a fresh proc, forbid new user
    /// namespaces, capture `/proc/self/fd`, bind the shared directory onto itself with its
    /// submounts, make that tree read-only if asked and `nodev`, `pivot_root` into it and
    /// detach the old root, check the cwd, reopen the kept directories inside, start a new
    /// session, join a fresh keyring, drop the capabilities not kept, install the seccomp
    /// filter; then report to the parent.
    ///
    /// The descriptors are checked before anything changes; the minimal init, when asked,
    /// forks the daemon right after proc is mounted.
    ///
    /// The sandboxed process does not free its copy of this value's memory (a few KiB:
    /// paths, maps, options, the compiled filter): freeing would make it copy pages it
    /// shares with the original process, for memory nothing uses again. A leak checker
    /// that follows forks (valgrind, LeakSanitizer) reports it; the descriptors the value
    /// held are closed.
    ///
    /// On failure nothing half-built goes on: a child that fails reports its error and
    /// exits, the parent reaps it and returns that error. Nothing is left on the host (no
    /// mount in the original namespace, no temp dir). The original process may, however,
    /// already be in the new user and pid namespaces then (there is no way back); it should
    /// exit.
    ///
    /// In [`Mode::Landlock`], [`Mode::Chroot`] and [`Mode::None`] nothing is forked: the
    /// result is always [`Entered::Inside`]. The first two check the descriptors, start a
    /// new session and keyring, take a proc-fd handle that cannot reach `/proc/sys`, chroot
    /// (Chroot), close the descriptors not kept, restrict the process with Landlock
    /// (required in Landlock mode), drop the capabilities not kept and install the filter.
    ///
    /// # Errors
    ///
    /// - [`Error::MultiThreaded`] when the process has more than one thread.
    /// - [`Error::AlreadyEntered`] when this process entered a sandbox already (in the
    ///   original process, or inside), or an earlier attempt changed it.
    /// - [`Error::LeakedDirectory`] when a kept directory descriptor (or one at 0, 1 or 2)
    ///   lies outside the shared directory (see the crate docs on descriptors).
    /// - [`Error::Setup`] with the [`Step`](crate::Step) that failed and the failed
    ///   operation's own error (its path and errno), whether it happened here or in the
    ///   child. [`Error::cause`] and [`Error::hint`] explain the usual environmental causes.
    /// - [`Error::KeptFdChanged`] when a kept descriptor was closed, or its number reused,
    ///   since [`Builder::keep_fd`].
    /// - [`Error::IdMaps`] when the helper could not write the maps: `newuidmap` missing or
    ///   refusing, no subordinate ids ([`Error::cause`] says which), or the kernel refusing
    ///   root's write.
    /// - [`Error::SharedDir`] when a joined mount namespace has no such directory.
    /// - [`Error::ChildVanished`] when the child died during setup without a report.
    pub fn enter(mut self) -> Result<Entered, Error> {
        if ENTERED.load(Ordering::SeqCst) {
            return Err(Error::AlreadyEntered);
        }
        self.before = crate::audit::Before::capture(&self);
        match self.mode {
            Mode::Namespace => self.enter_namespaces(),
            _ => self.enter_in_place(),
        }
    }

    /// Enters the sandbox and, in the original process, stays there: waits for the
    /// sandboxed process, passes the [`FORWARDED_SIGNALS`] on to it, and exits with its
    /// exit code, or dies of the same signal it died of (without a core dump). Only the
    /// sandboxed process returns.
    ///
    /// Once the sandboxed process is ready, the original process lets go of every
    /// descriptor but stdin, stdout and stderr ([`Builder::close_fds_in_original`] to keep
    /// them): it holds no copy of the daemon's listening socket or pipes that would
    /// outlive the daemon's own. They are closed (`close_range(2)`); should `confine`
    /// return an error afterwards, it first puts `/dev/null` (or `/`, opened `O_PATH`) on
    /// every number above 2 again (one `dup3(2)` each, on that path only), so the caller's
    /// values that own one stay safe to drop.
    /// What letting go means for locks and for stdio:
    ///
    /// - **POSIX record locks** (`fcntl(F_SETLK)`, `lockf(3)`) belong to a process and
    ///   are released when it closes any descriptor of the file, and a forked child never
    ///   inherits them: a pidfile locked that way before `confine()` is unlocked once the
    ///   daemon is ready. Lock after `confine()` (inside), or with `flock(2)` or an open
    ///   file description lock (`F_OFD_SETLK`), which belong to the open file and live on
    ///   in the daemon's copy of the descriptor; or keep the descriptors
    ///   (`close_fds_in_original(false)`).
    /// - **Stdio is kept**: a socket handed over on stdin or stdout (inetd,
    ///   systemd's `StandardInput=socket`) stays open in the original process for as long
    ///   as the daemon runs, so the peer sees no end of file when the daemon closes its
    ///   copy. Move it above 2 before entering (`dup` it, [`Builder::keep_fd`] the copy,
    ///   and put `/dev/null` on 0 and 1): the original process then lets go of the copy
    ///   like any other descriptor.
    ///
    /// Signals: as pid 1 of its namespace, the sandboxed process would ignore signals it
    /// has no handler for; so it starts with handlers that make the forwarded signals, the
    /// die-with-parent signal and `SIGABRT` end it. A daemon's own handlers take over,
    /// whether installed with `sigaction(2)` or through `signal-hook` or `tokio::signal`
    /// (see [`sandbox_process::exit_on_signals`]). A daemon that ends on a signal, through
    /// those handlers or under [`Builder::init`], is seen by the original process's parent
    /// dying of that signal, not exiting with 128 + it.
    ///
    /// # Errors
    ///
    /// As [`Sandbox::enter`]; and [`Error::Supervise`] when waiting fails (`ECHILD` when
    /// the caller ignores `SIGCHLD` and the kernel reaped the child before the wait
    /// began), after the child was killed and reaped. The caller should exit on any error; its
    /// descriptors above 2 may name the placeholder (`/dev/null` or `/`) by then, or,
    /// where neither opens, be closed.
    pub fn confine(self) -> Result<Inside, Error> {
        let close_fds = self.hardening.close_fds_in_original;
        let child = match self.enter()? {
            Entered::Inside(inside) => return Ok(inside),
            Entered::Parent(child) => child,
        };
        if close_fds {
            let_go(&child.own_fds());
        }
        match child.wait_forwarding(&FORWARDED_SIGNALS) {
            Ok(status) => {
                let _ = std::io::stdout().flush();
                let _ = std::io::stderr().flush();
                sandbox_process::exit_like(status)
            }
            Err(e) => {
                let _ = child.kill(Signal::KILL);
                let _ = child.wait();
                if close_fds {
                    hold_again(&child.own_fds());
                }
                Err(e)
            }
        }
    }
}

/// The original process in [`Sandbox::confine`] lets go of every descriptor above 2 but
/// `spared`: closes them (`close_range(2)` over the gaps, one call where the kernel has
/// it), which releases what they named (the daemon's listener, pipes). Should `confine`
/// return an error after all, [`hold_again`] puts a placeholder on each number before it
/// does, so that values of the caller's that own one may still be dropped. Best effort:
/// it runs after the daemon is ready. It lists nothing: listing `/proc/self/fd` costs a
/// few microseconds per descriptor (procfs makes an entry for each), 20 ms at 10,000.
fn let_go(spared: &[std::os::fd::RawFd]) {
    // The caller's values that own these numbers are never used again unless `confine`
    // returns, and then only after `hold_again` gave each number a file.
    let _ = crate::fds::seal(spared, &[], crate::InheritedFds::Close);
}

/// Puts a placeholder (see [`PLACEHOLDERS`]) on every number above 2 but `spared` below
/// the size the descriptor table has reached (`FDSize` in `/proc/self/status`, else the
/// soft `RLIMIT_NOFILE` up to 65,536), on the way back to the caller after [`let_go`]:
/// its values that own one may then be dropped (closing a placeholder). Numbers that were
/// not open get one too, which the caller, about to exit, never sees. Where no placeholder
/// opens, the numbers stay closed. Runs only on that rare error path.
fn hold_again(spared: &[std::os::fd::RawFd]) {
    let Some(placeholder) = placeholder(PLACEHOLDERS) else {
        return;
    };
    let own = std::os::fd::AsRawFd::as_raw_fd(&placeholder);
    for fd in 3..table_size() {
        if fd != own && !spared.contains(&fd) {
            let _ = crate::sys::dup_onto(std::os::fd::AsFd::as_fd(&placeholder), fd, true);
        }
    }
    // The placeholder took the lowest free number, which may be a caller's: it stays.
    std::mem::forget(placeholder);
}

/// How many descriptor numbers the table has room for: every number ever open is below.
fn table_size() -> std::os::fd::RawFd {
    let from_status = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("FDSize:"))
                .and_then(|size| size.trim().parse::<std::os::fd::RawFd>().ok())
        });
    from_status.unwrap_or_else(|| {
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        soft.unwrap_or(1024).min(65_536) as std::os::fd::RawFd
    })
}

/// What [`hold_again`] puts on each number, in order of preference: `/dev/null`, which reads
/// as empty and swallows writes, else the root directory `O_PATH`, which needs no device
/// node and no permission (a container without `/dev/null`).
const PLACEHOLDERS: &[(&str, rustix::fs::OFlags)] = &[
    ("/dev/null", rustix::fs::OFlags::RDWR),
    ("/", rustix::fs::OFlags::PATH),
];

/// The first of `candidates` that opens (with `O_CLOEXEC` added), or `None`, when none
/// does (at the descriptor limit, say).
fn placeholder(candidates: &[(&str, rustix::fs::OFlags)]) -> Option<OwnedFd> {
    candidates.iter().find_map(|&(path, flags)| {
        rustix::fs::open(
            path,
            flags | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .ok()
    })
}

#[cfg(test)]
mod unit {
    use super::*;
    use rustix::fs::OFlags;

    fn flags_of(fd: &OwnedFd) -> OFlags {
        rustix::fs::fcntl_getfl(fd).expect("F_GETFL on an open descriptor")
    }

    #[test]
    fn the_placeholder_is_dev_null_where_it_opens() {
        let fd = placeholder(PLACEHOLDERS).expect("a placeholder opens");
        let st = rustix::fs::fstat(&fd).expect("fstat");
        let null = rustix::fs::stat("/dev/null").expect("stat /dev/null");
        assert_eq!((st.st_dev, st.st_ino), (null.st_dev, null.st_ino));
    }

    #[test]
    fn without_dev_null_the_placeholder_is_the_root_o_path() {
        let missing = "/nonexistent-placeholder-of-sandbox-unit-test";
        let fd = placeholder(&[(missing, OFlags::RDWR), PLACEHOLDERS[1]])
            .expect("the root opens O_PATH");
        assert!(flags_of(&fd).contains(OFlags::PATH));
        let st = rustix::fs::fstat(&fd).expect("fstat");
        let root = rustix::fs::stat("/").expect("stat /");
        assert_eq!((st.st_dev, st.st_ino), (root.st_dev, root.st_ino));
    }

    #[test]
    fn when_nothing_opens_there_is_no_placeholder() {
        let missing = "/nonexistent-placeholder-of-sandbox-unit-test";
        assert!(placeholder(&[(missing, OFlags::RDWR), (missing, OFlags::PATH)]).is_none());
    }
}
