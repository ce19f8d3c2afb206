//! Confine a running daemon into one shared directory.
//!
//! A daemon (a vhost-user file-system backend, a file server, a build worker) loads what it
//! needs, then calls [`Sandbox::enter`] or [`Sandbox::confine`]. In the default
//! [`Mode::Namespace`] that gives it:
//!
//! - new pid, network, IPC, UTS and cgroup namespaces (plus mount, always, and a user
//!   namespace when it does not run as root), with its uid and gid mapped to themselves,
//!   or ranges of subordinate ids ([`Builder::subordinate_ids`]) written by a helper
//!   through `newuidmap`;
//! - a fresh proc, and a verified [`ProcSelfFd`] handle on `/proc/self/fd` that can reopen
//!   `O_PATH` descriptors with real access modes;
//! - the shared directory as its root, through `pivot_root(2)`, with the old root detached:
//!   no path leads out of it;
//! - nothing else of the host: no descriptor it did not keep, no terminal, no process
//!   group, no keyring, no capability, no new user namespace, and a seccomp filter on
//!   the calls that remain dangerous (see [Threat model](#threat-model)).
//!
//! ```no_run
//! use sandbox::{Entered, Sandbox};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::builder("/srv/shared").build()?;
//! match sandbox.enter()? {
//!     Entered::Parent(child) => {
//!         let status = child.wait()?;
//!         std::process::exit(status.code());
//!     }
//!     Entered::Inside(inside) => {
//!         // pid 1 of a new pid namespace; "/" is /srv/shared.
//!         let dir = std::fs::File::open("/")?;
//!         let _again = inside.proc_self_fd().reopen(&dir, sandbox::OFlags::RDONLY)?;
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Most daemons want the parent side handled for them: [`Sandbox::confine`] makes the
//! original process wait for the sandboxed one, pass SIGTERM, SIGINT, SIGHUP, SIGUSR1 and
//! SIGUSR2 on to it, and exit with its status; only the sandboxed process returns.
//!
//! # What it needs
//!
//! - Linux 5.2 or later for the new mount API that binds the shared directory
//!   (`open_tree(2)`, `move_mount(2)`), 5.12 for `mount_setattr(2)` that makes it read-only
//!   with all its submounts in one call, 5.3 for pidfds; older kernels (or seccomp profiles
//!   that refuse these calls) get the `mount(2)` fallback, see [`Builder::mount_api`].
//! - Either root (`CAP_SYS_ADMIN`), or unprivileged user namespaces
//!   (`user.max_user_namespaces` > 0, no AppArmor or seccomp rule against them).
//!   [`Error::hint`] says which of these stopped it.
//! - A process with exactly one thread: enter before starting any thread.
//! - For the default seccomp filter: x86_64 or aarch64 (elsewhere [`Builder::build`]
//!   refuses with [`Error::Seccomp`]; `Filter::none()` is the way around) and Linux 3.17
//!   (`seccomp(2)` with `SECCOMP_FILTER_FLAG_TSYNC`).
//! - For id maps beyond the own uid and gid without root: `newuidmap`/`newgidmap` and
//!   lines in `/etc/subuid` and `/etc/subgid`. [`probe`] reports what this process can
//!   do, with the reason for each "no".
//!
//! # Rootless
//!
//! A process may write only its own id into the maps of a user namespace it created. Any
//! other map is written by a helper process forked before the unshare, synchronised over a
//! pipe: as root it writes `/proc/<pid>/uid_map` from outside, otherwise it runs the
//! setuid `newuidmap` and `newgidmap`. The sandboxed process never execs anything. A
//! process that already is root (also root of a user namespace made by `unshare -r` or a
//! rootless container) gets no second user namespace; one handed namespace fds joins them
//! ([`Builder::join_user_namespace`], [`Builder::join_net_namespace`],
//! [`Builder::join_mount_namespace`]). [`Error::cause`] names why user namespaces failed.
//!
//! # Which process is where
//!
//! The original process unshares the user, pid (and time) namespaces, because those must
//! exist before the sandboxed child is forked; it keeps its mount and network namespaces.
//! The child unshares the mount, network and any other namespaces itself, so nothing it
//! mounts can reach the original process or the host. A process can enter only once: a pid
//! namespace accepts a single init.
//!
//! # Pid 1 and signals
//!
//! The sandboxed process is pid 1 of its pid namespace, and the kernel ignores every signal
//! pid 1 has no handler for (SIGKILL and SIGSTOP from an ancestor namespace excepted). So
//! it starts with handlers that make the [`FORWARDED_SIGNALS`] and the die-with-parent
//! signal end it with exit code 128 + the signal; a daemon's own handlers replace them.
//! When it ends, the kernel kills every other process of the namespace.
//!
//! [`Builder::init`] puts a minimal init in front instead: pid 1 forks the daemon (pid 2,
//! where [`Entered::Inside`] is returned), passes those signals on to it, reaps every
//! orphan that the daemon's helpers leave behind (they would otherwise stay zombies of a
//! pid 1 that never waits for them), and exits with the daemon's exit code, or 128 + the
//! signal that killed it. It protects against zombies piling up and against a daemon that
//! forgets signals it has no handler for; it costs one process and turns a death by signal
//! into an exit code. It holds no descriptor and keeps only `CAP_KILL`.
//!
//! The original process dies, the sandbox follows: the child gets the die-with-parent
//! signal ([`Builder::die_with_parent`], SIGKILL by default, which nothing inside can
//! catch), race-free (pidfd, or a pipe).
//!
//! # Descriptors
//!
//! A process keeps its open descriptors through `pivot_root`, and the sandboxed process
//! never execs, so close-on-exec protects nothing. So in the sandboxed process every
//! descriptor above 2 that was not kept with [`Builder::keep_fd`] is closed
//! (`close_range(2)`), close-on-exec or not: with it go the sockets and the descriptors
//! queued on them (`SCM_RIGHTS`), io_uring rings and their registered files, host files
//! that [`ProcSelfFd::reopen`] could reopen with more access. Inside, the library holds
//! the [`ProcSelfFd`] handle and nothing else. Rust values that own a closed descriptor
//! must not be used or dropped inside (`std::mem::forget` them, or keep them).
//!
//! Before anything changes, [`Sandbox::enter`] looks at every descriptor that will
//! survive (standard input, output and error, the kept ones, and under
//! [`InheritedFds::CloseOnExec`] all): a kept number that is not open any more is refused,
//! and so is a directory outside the shared directory, a way out through
//! `openat(fd, "..")` (runc's CVE-2024-21626), with [`Error::LeakedDirectory`] naming it. A
//! directory inside the shared directory, or a kept regular file (above 2) whose path
//! lies below it, still sits on the host's mount, where `..` climbs past the sandbox's root and the sandbox's
//! read-only mounts do not apply: after the pivot it is replaced, at the same number, by
//! the same directory or file opened on the sandbox's own mounts (same access mode, file
//! offset carried over; locks held through the old descriptor are not). Other kept files,
//! sockets and pipes stay as they are. [`InheritedFds::CloseOnExec`] leaves every
//! descriptor open instead (marked close-on-exec); the original process keeps all of its
//! descriptors. After the pivot the cwd is checked to be the new root.
//!
//! # Capabilities
//!
//! Namespaces alone do not confine a process that entered as real root: some capabilities
//! reach the host without any path. So once inside, the sandboxed process keeps only the
//! capabilities named with [`Builder::keep_capabilities`], none by default, in all five
//! sets (effective, permitted, inheritable, bounding, ambient), whether it entered as root
//! or in a user namespace; and the shared directory is mounted `nodev`
//! ([`Builder::nodev`]). The ways out that this closes (each tested, refused by default,
//! working when the capability is kept):
//!
//! - `CAP_DAC_READ_SEARCH`: `open_by_handle_at(2)` opens any inode of a file system from a
//!   handle, outside the bind mount of the shared directory (the "shocker" escape).
//! - `CAP_MKNOD` (and no `nodev`): a device node for the host's disks or memory, created in
//!   the shared directory and opened.
//! - `CAP_SYS_ADMIN`: mounts: undo the read-only mount, mount a new sysfs, and much else.
//! - `CAP_SYS_MODULE`: load a kernel module.
//!
//! Others are dangerous but already fenced by the namespaces: `CAP_SYS_PTRACE` and
//! `CAP_KILL` (host processes are invisible in the pid namespace), `CAP_NET_ADMIN` and
//! `CAP_NET_RAW` (a network namespace of its own). `CAP_SYS_TIME`, `CAP_SYS_RAWIO`,
//! `CAP_SYS_BOOT`-like host-wide powers stay dropped too. A file server that serves other
//! users' files usually needs `CHOWN | DAC_OVERRIDE | FOWNER | FSETID | SETUID | SETGID`.
//!
//! # The process's own ties to the host
//!
//! On by default in [`Mode::Namespace`] (the other modes only take the seccomp filter),
//! each with an opt-out by name that says what it gives back:
//!
//! - [`Builder::new_session`]: `setsid(2)`: no controlling terminal (no input pushed into
//!   the caller's shell with `TIOCSTI`), and a process group of its own (`kill(0, ..)` and
//!   `setpriority(PRIO_PGRP, 0, ..)` reach host processes of the caller's group otherwise,
//!   pid namespace or not).
//! - [`Builder::new_keyring`]: a fresh, anonymous session keyring: the caller's keys are
//!   out of reach, keys planted inside stay inside.
//! - [`Builder::nested_user_namespaces`]: `user.max_user_namespaces` is 0 in a user
//!   namespace the sandbox made.
//! - [`Builder::seccomp`]: [`Filter::default_deny`], installed last.
//! - A root daemon whose id maps leave its own ids out takes inside uid and gid 0 (or
//!   [`Builder::inside_ids`]), so the kernel judges it as the mapped host ids.
//!
//! # Hardening options
//!
//! Off by default, because each can break a daemon:
//!
//! - [`Builder::no_new_privs`]: programs the daemon executes gain nothing from setuid bits
//!   or file capabilities. Breaks a daemon that runs setuid helpers. (The default seccomp
//!   filter sets it anyway once the capabilities are gone: the kernel requires it.)
//! - [`Builder::raise_nofile_limit`]: `RLIMIT_NOFILE` raised to `fs.nr_open` (with
//!   `CAP_SYS_RESOURCE`) or the hard limit, reported by [`Inside::nofile_limit`]. Costs
//!   memory for a large descriptor table; `select(2)` cannot handle descriptors above 1023.
//! - [`Builder::init`]: see above.
//!
//! The descriptor rules, the capability drop, `nodev` and these options apply in
//! [`Mode::Namespace`] only; the seccomp filter applies in every mode.
//!
//! # Threat model
//!
//! The attacker is the daemon itself, compromised after it entered: arbitrary code in the
//! sandboxed process, as root or as any uid. Inside a default sandbox it cannot:
//!
//! - reach a file of the host outside the shared directory: no path leads out (pivot, old
//!   root detached, a fresh proc), no descriptor of the host's is left (closed, or
//!   replaced on the sandbox's mounts), `open_by_handle_at` and new mounts are refused
//!   (capabilities, seccomp), device nodes do not open (`nodev`);
//! - write to the shared directory when it is read-only, also through a kept directory;
//! - see or signal host processes (pid namespace, own session and process group), push
//!   input into the caller's terminal, reach the host's network, abstract sockets, System
//!   V and POSIX IPC, host name, keyrings, uevents;
//! - replace the original process's session keyring, or outlive the original process
//!   (SIGKILL with the parent);
//! - gain capabilities through a new user namespace, or plant a setuid file for host users
//!   (seccomp; capabilities dropped in all five sets).
//!
//! Each opt-out gives back what its docs say: a kept descriptor is the daemon's business
//! (what a kept socket receives later, what a kept file allows), [`InheritedFds::CloseOnExec`]
//! keeps them all, `namespaces(..)` without IPC, UTS or cgroup shares those with the host,
//! [`Propagation::Slave`] lets later host mounts in with their own flags, and so on.
//!
//! Out of scope: kernel bugs (the seccomp filter narrows the surface; it does not remove
//! it), sharing `/` (everything is inside then), what the original process does after
//! entering, side channels and resource exhaustion (no cgroup limits are set), and
//! [`Mode::Chroot`] and [`Mode::None`], which say what they do not protect against.
//!
//! # Modes for environments without namespaces
//!
//! [`Mode::Chroot`] and [`Mode::None`] exist for containers that forbid namespaces; see
//! their docs for what they do not protect against.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::Write as _;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode as FileMode, OFlags as OpenFlags, CWD};
use rustix::io::Errno;

mod error;
mod fds;
mod harden;
mod init;
mod probe;
mod report;
mod sys;
mod userns;

pub use error::{Error, ErrorKind, PathProblem, Step};
pub use fds::InheritedFds;
pub use probe::{probe, Probe, Support};
pub use rustix::fs::OFlags;
pub use rustix::process::{Pid, Signal};
pub use rustix::thread::CapabilitySet;
pub use sandbox_mount::{MountApi, Propagation};
pub use sandbox_namespaces::{IdMap, NamespaceId, Namespaces};
pub use sandbox_namespaces::{Setgroups, SubordinateRange};
pub use sandbox_proc_fd::ProcSelfFd;
pub use sandbox_process::ExitStatus;
pub use sandbox_seccomp::{Action as SeccompAction, Filter};
pub use userns::Cause;

use report::Report;
use sandbox_mount::MountAttr;
use sandbox_process::{Fork, ParentWatch};

/// How much confinement [`Sandbox::enter`] sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// New namespaces, a fresh proc, and `pivot_root` into the shared directory. The
    /// default, and the only mode that confines a process that holds open descriptors or
    /// runs as root.
    #[default]
    Namespace,
    /// No namespaces: capture `/proc/self/fd` from the host's proc, then `chroot(2)` into
    /// the shared directory. Needs `CAP_SYS_CHROOT`. Does not protect against: a root
    /// process (it can leave a chroot), descriptors opened before entering, other
    /// processes (same pid namespace: signals, ptrace by the same uid), the network, and
    /// mounts (shared with the host). The seccomp filter ([`Builder::seccomp`]) is
    /// installed after the chroot. [`Sandbox::enter`] returns [`Entered::Inside`] only: no
    /// process is forked.
    Chroot,
    /// No confinement at all: only the [`ProcSelfFd`] handle, captured from the host's
    /// proc (where `..` from the handle still reaches `/proc`), and the seccomp filter
    /// ([`Builder::seccomp`], with `no_new_privs` unless the process has `CAP_SYS_ADMIN`).
    /// For environments where neither namespaces nor chroot are allowed and the daemon
    /// still wants one code path. [`Sandbox::enter`] returns [`Entered::Inside`] only.
    None,
}

/// Sets up a [`Sandbox`]; made by [`Sandbox::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    path: PathBuf,
    mode: Mode,
    namespaces: Option<Namespaces>,
    uid_map: Option<Vec<IdMap>>,
    gid_map: Option<Vec<IdMap>>,
    subordinate_ids: bool,
    setgroups: Setgroups,
    joins: userns::Joins,
    read_only: bool,
    propagation: Propagation,
    die_signal: Signal,
    mount_api: MountApi,
    inside_ids: Option<(u32, u32)>,
    seccomp: Filter,
    hardening: harden::Options,
}

impl Builder {
    /// The [`Mode`]; [`Mode::Namespace`] by default.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The namespaces to create besides the mount namespace, which [`Mode::Namespace`]
    /// always creates. Default: [`DEFAULT_NAMESPACES`], `PID | NET | IPC | UTS | CGROUP`.
    /// `USER` is added when the process does not run as root, an id map is given, or
    /// setgroups is allowed (not when one is joined); `PID`
    /// should stay: without it the fresh proc cannot be mounted in a user namespace, and
    /// the sandboxed process is not pid 1.
    ///
    /// Leaving one out gives back what it isolates: without `IPC` the host's System V
    /// shared memory, semaphores and message queues and its POSIX message queues (root's
    /// `0600` objects to a root daemon); without `NET` the host's network and its abstract
    /// UNIX sockets; without `UTS` the host name (`sethostname` with `CAP_SYS_ADMIN`);
    /// without `CGROUP` the host's cgroup paths in `/proc/self/cgroup`.
    pub fn namespaces(mut self, namespaces: Namespaces) -> Self {
        self.namespaces = Some(namespaces);
        self
    }

    /// The uid map of the new user namespace. Default: the current euid mapped to itself.
    /// Giving a map implies a user namespace.
    ///
    /// A single line mapping the caller's own euid is written by the process itself. Any
    /// other map (ranges, other ids) is written by a helper process forked before the
    /// unshare: as root it writes `/proc/<pid>/uid_map` from outside, otherwise it runs the
    /// setuid `newuidmap` (package `uidmap`), which allows the ranges `/etc/subuid` grants
    /// the user; see [`Builder::subordinate_ids`]. The sandboxed process execs nothing.
    pub fn uid_map(mut self, map: impl Into<Vec<IdMap>>) -> Self {
        self.uid_map = Some(map.into());
        self
    }

    /// The gid map of the new user namespace. Default: the current egid mapped to itself.
    /// Written like [`Builder::uid_map`], through `newgidmap` and `/etc/subgid` for ranges.
    pub fn gid_map(mut self, map: impl Into<Vec<IdMap>>) -> Self {
        self.gid_map = Some(map.into());
        self
    }

    /// Maps the usual rootless way: inside uid and gid 0 are the caller's euid and egid,
    /// and inside ids 1, 2, ... are the subordinate ranges `/etc/subuid` and `/etc/subgid`
    /// grant the caller (looked up by user name and by uid, at [`Builder::build`]). With the
    /// common `user:100000:65536` lines the inside ids 1..=65536 are 100000..=165535.
    /// Implies a user namespace; replaces [`Builder::uid_map`] and [`Builder::gid_map`].
    /// The maps are written through `newuidmap` and `newgidmap` (directly as root).
    ///
    /// `newuidmap` checks that the target process belongs to the caller: a daemon that
    /// changed its uid from root is not dumpable, its `/proc/<pid>` belongs to root, and it
    /// must call `prctl(PR_SET_DUMPABLE, 1)` first.
    pub fn subordinate_ids(mut self) -> Self {
        self.subordinate_ids = true;
        self
    }

    /// Whether `setgroups(2)` works in the new user namespace: [`Setgroups::Deny`] by
    /// default (written to `/proc/self/setgroups` before the gid map, which the kernel
    /// requires when the process writes its own map). [`Setgroups::Allow`] needs the helper
    /// path: root, or `newgidmap` with a map that uses subordinate gids (`newgidmap` itself
    /// denies setgroups for a map of the user's own gid only). Allowing it lets the
    /// sandboxed process drop supplementary groups, including one whose members a file's
    /// permissions exclude.
    pub fn setgroups(mut self, setgroups: Setgroups) -> Self {
        self.setgroups = setgroups;
        self
    }

    /// Joins an existing user namespace, `fd` open on `/proc/<pid>/ns/user` (or bound
    /// elsewhere), with `setns(2)` instead of creating one; no id map is written (the
    /// namespace has its maps). The original process joins it too, before it unshares the
    /// pid namespace. Needs `CAP_SYS_ADMIN` in that namespace: its owner's uid, in the
    /// parent namespace, has it. Refused with id maps, [`Builder::subordinate_ids`] or
    /// [`Builder::setgroups`] allow.
    pub fn join_user_namespace(mut self, fd: impl Into<OwnedFd>) -> Self {
        self.joins.user = Some(std::sync::Arc::new(fd.into()));
        self
    }

    /// Joins an existing network namespace (one a supervisor set up with an interface)
    /// instead of creating an empty one. The original process joins it, before creating
    /// any user namespace: `setns(2)` needs `CAP_SYS_ADMIN` both in the user namespace that
    /// owns the network namespace and in the caller's own, so without root also join the
    /// owning user namespace ([`Builder::join_user_namespace`]).
    pub fn join_net_namespace(mut self, fd: impl Into<OwnedFd>) -> Self {
        self.joins.net = Some(std::sync::Arc::new(fd.into()));
        self
    }

    /// Starts from an existing mount namespace instead of the caller's: the original
    /// process joins it (its root and cwd become that namespace's), the shared directory
    /// is looked up again by its path there, and the sandboxed process unshares a copy of
    /// it as usual, so the joined namespace itself is never changed.
    pub fn join_mount_namespace(mut self, fd: impl Into<OwnedFd>) -> Self {
        self.joins.mount = Some(std::sync::Arc::new(fd.into()));
        self
    }

    /// Make the shared directory, and every mount below it, read-only inside the sandbox:
    /// writes fail with `EROFS` there, while the host's mounts stay as they are (the
    /// attribute is set on the sandbox's own copies of the mounts). Through
    /// `mount_setattr(2)` with `AT_RECURSIVE` (Linux 5.12), or on the legacy path a bind
    /// remount of each mount that keeps the flags a user namespace locked (see
    /// [`Builder::mount_api`]). Sharing `/`, the whole tree is made read-only.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The propagation of the sandbox's mounts: [`Propagation::Private`] (default: the
    /// sandbox's mount table is fixed at entering) or [`Propagation::Slave`] (mounts the
    /// host makes below the shared directory later appear inside). Either way nothing
    /// mounted inside reaches the host; [`Builder::build`] refuses shared and unbindable.
    ///
    /// Slave gives back the host's control over the sandbox's mounts: a mount that arrives
    /// later keeps its own flags, so it is neither read-only ([`Builder::read_only`]) nor
    /// `nodev` ([`Builder::nodev`]) inside, and whatever the host mounts there (a device
    /// node's file system, another tree) the sandboxed process can use.
    pub fn propagation(mut self, propagation: Propagation) -> Self {
        self.propagation = propagation;
        self
    }

    /// Which kernel interface binds the shared directory and makes it read-only:
    /// [`MountApi::Auto`] (default) uses the new mount API (`open_tree(2)` and
    /// `move_mount(2)`, Linux 5.2; `mount_setattr(2)`, Linux 5.12) and falls back to
    /// `mount(2)` where the kernel or a seccomp profile refuses it with `ENOSYS` or
    /// `EPERM`; [`MountApi::New`] never falls back; [`MountApi::Legacy`] uses `mount(2)`
    /// only.
    ///
    /// The legacy path reaches the new mount of the shared directory by its path once,
    /// after the bind, and checks that it found the directory it bound; where the sandboxed
    /// uid cannot search a parent of the shared directory (a daemon that opened it as root
    /// and dropped privileges before entering), that lookup fails with `EACCES`
    /// ([`Step::BindSharedDir`]). The new API works from descriptors only.
    #[doc(alias = "open_tree", alias = "mount_setattr")]
    pub fn mount_api(mut self, api: MountApi) -> Self {
        self.mount_api = api;
        self
    }

    /// The signal the sandboxed process gets when the original process dies: `SIGKILL` by
    /// default, which nothing inside can catch or ignore.
    ///
    /// Another signal (`SIGTERM` for a graceful shutdown) is a promise by the daemon: it
    /// must handle that signal and exit. A daemon that ignores or handles it and goes on
    /// outlives its parent, unsupervised. Under [`Builder::init`] the signal reaches the
    /// init, which passes it on to the daemon.
    #[doc(alias = "PR_SET_PDEATHSIG")]
    pub fn die_with_parent(mut self, signal: Signal) -> Self {
        self.die_signal = signal;
        self
    }

    /// Keeps `fd` open in the sandboxed process; every other descriptor above 2 is closed
    /// there ([`InheritedFds::Close`]), close-on-exec or not. The number is recorded; the
    /// descriptor must still be open with that number when entering.
    ///
    /// A kept directory must lie inside the shared directory: it is replaced, at the same
    /// number, by the same directory opened on the sandbox's own mounts, so that `..` from
    /// it stops at the new root and the read-only and `nodev` mounts apply to it. A kept
    /// directory outside is refused with [`Error::LeakedDirectory`] before anything
    /// changes. A kept regular file whose path lies below the shared directory is replaced
    /// the same way (same access mode, offset carried over, locks not): a writable one in
    /// a read-only sandbox fails with `EROFS` ([`Step::KeptDescriptor`]). A number closed
    /// between `keep_fd` and entering is refused ([`Step::Fds`], `EBADF`).
    ///
    /// What else a kept descriptor reaches is the daemon's choice: a socket receives the
    /// descriptors its peer sends (`SCM_RIGHTS`), including any already queued; a file
    /// outside can be reopened, with other access modes its permissions allow, through
    /// [`ProcSelfFd::reopen`]; an io_uring keeps its registered files.
    pub fn keep_fd(mut self, fd: impl AsFd) -> Self {
        use std::os::fd::AsRawFd;
        self.hardening.keep_fds.push(fd.as_fd().as_raw_fd());
        self
    }

    /// What entering does with the descriptors above 2 not kept with [`Builder::keep_fd`]:
    /// [`InheritedFds::Close`] (default) or, the opt-out that leaves them all open,
    /// [`InheritedFds::CloseOnExec`].
    pub fn inherited_fds(mut self, policy: InheritedFds) -> Self {
        self.hardening.inherited_fds = policy;
        self
    }

    /// The capabilities the sandboxed process keeps; none by default. Every other one is
    /// dropped from the effective, permitted, inheritable, bounding and ambient sets once
    /// inside. `CapabilitySet::all()` keeps everything (and protects nothing).
    ///
    /// A file server that serves other users' files typically needs `CHOWN`,
    /// `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `SETUID` and `SETGID`. See the crate docs for
    /// what each dangerous capability would let a root daemon do.
    #[doc(alias = "capset", alias = "PR_CAPBSET_DROP")]
    pub fn keep_capabilities(mut self, keep: CapabilitySet) -> Self {
        self.hardening.keep_caps = keep;
        self
    }

    /// Whether the shared directory, and every mount below it, is mounted `nodev` inside
    /// (default: true): device nodes in it cannot be opened, even ones the daemon could
    /// create. Set like read-only, through the mount path of [`Builder::mount_api`].
    #[doc(alias = "MS_NODEV")]
    pub fn nodev(mut self, nodev: bool) -> Self {
        self.hardening.nodev = nodev;
        self
    }

    /// Sets `PR_SET_NO_NEW_PRIVS` in the sandboxed process (default: false): programs it
    /// executes gain no privilege from setuid bits or file capabilities. Costs: a daemon
    /// that runs `sudo`, `ping` with file capabilities, or other setuid helpers breaks.
    ///
    /// Any seccomp filter ([`Builder::seccomp`], on by default) sets it anyway when the
    /// process lacks `CAP_SYS_ADMIN` at that point, which is the case unless that
    /// capability is kept: the kernel requires it. This option matters with
    /// `Filter::none()` or a kept `CAP_SYS_ADMIN`.
    #[doc(alias = "PR_SET_NO_NEW_PRIVS")]
    pub fn no_new_privs(mut self, on: bool) -> Self {
        self.hardening.no_new_privs = on;
        self
    }

    /// Starts a new session in the sandboxed process (`setsid(2)`; default: true): it
    /// loses its controlling terminal and leaves the caller's process group.
    ///
    /// `new_session(false)` gives back: pushing input into the terminal of whoever started
    /// the daemon (`TIOCSTI`, where `dev.tty.legacy_tiocsti` is 1), and signalling or
    /// renicing every host process of the caller's process group (`kill(0, ..)`,
    /// `setpriority(PRIO_PGRP, 0, ..)`), which the pid namespace does not hide. It keeps
    /// job control: Ctrl-C in the terminal reaches the daemon directly (with a new session
    /// it reaches the original process, which passes SIGINT on under
    /// [`Sandbox::confine`]).
    #[doc(alias = "setsid", alias = "TIOCSTI")]
    pub fn new_session(mut self, on: bool) -> Self {
        self.hardening.new_session = on;
        self
    }

    /// Joins a fresh, anonymous session keyring in the sandboxed process
    /// (`keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`; default: true), so the keys of the
    /// caller's session keyring are out of reach and keys added inside stay inside.
    /// Where the kernel has no keyrings, or a seccomp filter refuses `keyctl` (Docker's
    /// default profile), there is nothing to protect and nothing is done.
    ///
    /// The uid's user keyring (`KEY_SPEC_USER_KEYRING`) is not replaced: it belongs to the
    /// uid in its user namespace, so a root daemon without a user namespace shares host
    /// root's; the default syscall filter refuses the keyring calls that would reach it.
    ///
    /// `new_keyring(false)` gives back the caller's session keyring: its keys are read
    /// (as far as their permissions allow the uid), keys are planted in it for the host to
    /// find. Either way `KEYCTL_SESSION_TO_PARENT` could replace the session keyring of the
    /// original process, its parent: the default syscall filter refuses the keyring calls.
    #[doc(alias = "keyctl", alias = "KEYCTL_JOIN_SESSION_KEYRING")]
    pub fn new_keyring(mut self, on: bool) -> Self {
        self.hardening.new_keyring = on;
        self
    }

    /// Whether the sandboxed process may create user namespaces of its own (default:
    /// false). Where [`Sandbox::enter`] made a user namespace, `user.max_user_namespaces`
    /// is set to 0 in it, as bubblewrap's `--disable-userns` does: `unshare(CLONE_NEWUSER)`
    /// and `clone(CLONE_NEWUSER)` fail with `ENOSPC` inside. The limit also holds for the
    /// original process, which lives in that user namespace too. A daemon that keeps
    /// `CAP_SYS_RESOURCE` could raise it again.
    ///
    /// `nested_user_namespaces(true)` gives back a full capability set over new
    /// namespaces, and with it the kernel surface that only user namespaces expose
    /// (nf_tables, new mounts of many file systems, ...). Without a user namespace of the
    /// sandbox's (real root, or one joined), no limit is written: the default syscall
    /// filter refuses `CLONE_NEWUSER` there.
    #[doc(alias = "max_user_namespaces", alias = "disable-userns")]
    pub fn nested_user_namespaces(mut self, allow: bool) -> Self {
        self.hardening.nested_userns = allow;
        self
    }

    /// The uid and gid the sandboxed process takes inside its user namespace
    /// (`setresgid(2)`, then `setresuid(2)`), right after the fork. Needs a user namespace
    /// made by the sandbox, in whose maps both ids are.
    ///
    /// Without it, a process whose own uid (or gid) the maps leave out takes inside id 0:
    /// a root daemon that gives `.uid_map([IdMap::new(0, 65534, 1)])` and the matching gid
    /// map then runs as host uid 65534 (inside 0), and the files it creates belong to
    /// 65534, not to host root. That is the recommended way to run a root file server that
    /// needs no host root: the kernel then judges every file access as that host uid.
    /// Supplementary groups stay what they were unless [`Setgroups::Allow`] lets the
    /// sandbox clear them.
    #[doc(alias = "setresuid", alias = "setresgid")]
    pub fn inside_ids(mut self, uid: u32, gid: u32) -> Self {
        self.inside_ids = Some((uid, gid));
        self
    }

    /// Raises `RLIMIT_NOFILE` in the sandboxed process (default: false): soft and hard to
    /// `fs.nr_open` when allowed (root), else the soft limit to the hard one. The result is
    /// [`Inside::nofile_limit`]. For file servers that hold one descriptor per file. Costs:
    /// memory for a large descriptor table, and `select(2)` cannot handle descriptors
    /// above 1023.
    #[doc(alias = "RLIMIT_NOFILE", alias = "setrlimit")]
    pub fn raise_nofile_limit(mut self, on: bool) -> Self {
        self.hardening.raise_nofile = on;
        self
    }

    /// The seccomp filter the sandboxed process gets: [`Filter::default_deny`] by default,
    /// installed as the very last step of the setup (after the capabilities are dropped),
    /// so that the setup itself is never filtered. Compiled at [`Builder::build`].
    ///
    /// The default list (documented, call by call, in the `sandbox-seccomp` crate) refuses
    /// with `EPERM` what a confined daemon never needs and an attacker wants: the keyring
    /// calls (`KEYCTL_SESSION_TO_PARENT` would replace the original process's session
    /// keyring), new user namespaces (covering real root, where no limit can be written),
    /// module loading, `bpf`, `perf_event_open`, `userfaultfd`, io_uring, `open_by_handle_at`,
    /// mounts and `pivot_root`, `TIOCSTI`, the host's uevents
    /// (`NETLINK_KOBJECT_UEVENT`, which a root daemon in a network namespace of the
    /// initial user namespace receives), and setuid or setgid-executable files.
    /// [`Filter::allow`] gives one call back by name; [`Filter::allow_only`] is an
    /// allowlist; `Filter::none()` installs nothing. `write` and `close` are always allowed:
    /// after installing, the sandboxed process writes its report to the original process
    /// and closes that pipe. Without `CAP_SYS_ADMIN` (in [`Mode::Namespace`] unless it is
    /// kept; in the other modes unless the process has it) the filter needs
    /// `PR_SET_NO_NEW_PRIVS`, which is then set too. Under [`Builder::init`], pid 1 runs
    /// under `Filter::default_deny()` whatever the daemon's filter. A daemon can install a
    /// stricter filter itself later.
    #[doc(alias = "SECCOMP_SET_MODE_FILTER")]
    pub fn seccomp(mut self, filter: Filter) -> Self {
        self.seccomp = filter;
        self
    }

    /// Runs a minimal init as pid 1 (default: false): the first process of the namespace
    /// stays pid 1, forks the daemon (which gets [`Entered::Inside`] as pid 2), passes the
    /// forwarded and die-with-parent signals on to it, reaps every orphan of the namespace,
    /// and exits with the daemon's exit code, or 128 + the signal that killed it. For
    /// daemons that spawn helpers and do not reap what the helpers leave behind. Costs: one
    /// more process, and a daemon killed by a signal shows as an exit code to the original
    /// process.
    pub fn init(mut self, on: bool) -> Self {
        self.hardening.init = on;
        self
    }

    /// Validates the configuration and opens the shared directory (`O_PATH`), once: a later
    /// rename of the path, or a symlink swapped in for it, does not move the sandbox.
    /// Forks nothing and changes nothing.
    ///
    /// # Errors
    ///
    /// - [`Error::SharedDir`] naming the path: empty, a NUL byte, nothing there, not a
    ///   directory, not searchable, or otherwise unopenable.
    /// - [`Error::IdMap`]: an invalid uid or gid map.
    /// - [`Error::NoSubordinateIds`] / [`Error::SubordinateIds`]: with
    ///   [`Builder::subordinate_ids`], no line for the user in `/etc/subuid` or
    ///   `/etc/subgid`, or a file that cannot be read.
    /// - [`Error::InvalidOption`]: read-only, namespaces, id maps, setgroups, joins or
    ///   inside ids asked for in [`Mode::Chroot`] or [`Mode::None`]; a propagation other
    ///   than slave or private; a joined user namespace with id maps or setgroups; inside
    ///   ids without a user namespace made by the sandbox.
    /// - [`Error::Seccomp`]: the seccomp filter does not compile (an architecture other
    ///   than x86_64 and aarch64, a filter past the kernel's size limit).
    pub fn build(self) -> Result<Sandbox, Error> {
        if self.mode != Mode::Namespace {
            let refused = [
                ("read_only", self.read_only),
                ("namespaces", self.namespaces.is_some()),
                ("uid_map", self.uid_map.is_some()),
                ("gid_map", self.gid_map.is_some()),
                ("init", self.hardening.init),
                ("inside_ids", self.inside_ids.is_some()),
                ("subordinate_ids", self.subordinate_ids),
                ("setgroups", self.setgroups != Setgroups::Deny),
                ("join_*_namespace", !self.joins.is_empty()),
            ];
            if let Some((option, _)) = refused.into_iter().find(|(_, set)| *set) {
                return Err(Error::InvalidOption {
                    option,
                    reason: "only Mode::Namespace can provide it",
                });
            }
        }
        if !matches!(self.propagation, Propagation::Slave | Propagation::Private) {
            return Err(Error::InvalidOption {
                option: "propagation",
                reason: "only slave or private keep the sandbox's mounts off the host \
                         (and pivot_root refuses a shared root)",
            });
        }
        let maps_given = self.uid_map.is_some() || self.gid_map.is_some() || self.subordinate_ids;
        if self.joins.user.is_some() && (maps_given || self.setgroups != Setgroups::Deny) {
            return Err(Error::InvalidOption {
                option: "join_user_namespace",
                reason: "a joined user namespace has its maps and setgroups already; give no \
                         id map and no setgroups",
            });
        }
        let seccomp = match self.seccomp.is_none() {
            true => None,
            false => Some(
                sandbox_filter(self.seccomp)
                    .and_then(|f| f.compile())
                    .map_err(Error::Seccomp)?,
            ),
        };
        let dir = open_shared_dir(&self.path)?;
        let (uid_map, gid_map) = if self.subordinate_ids {
            let (uid, gid) = own_ids();
            (
                Some(subordinate_map(sandbox_namespaces::SUBUID_FILE, uid, uid)?),
                Some(subordinate_map(sandbox_namespaces::SUBGID_FILE, uid, gid)?),
            )
        } else {
            (self.uid_map, self.gid_map)
        };
        for map in [&uid_map, &gid_map].into_iter().flatten() {
            sandbox_namespaces::validate_id_map(map).map_err(Error::IdMap)?;
        }
        let mut namespaces = self.namespaces.unwrap_or(DEFAULT_NAMESPACES);
        namespaces |= Namespaces::MOUNT;
        // Root here, including root of a user namespace made beforehand (`unshare -r`, a
        // rootless container), has the capabilities already: no user namespace is made and
        // nothing is mapped a second time.
        let root = rustix::process::geteuid().is_root();
        if self.joins.user.is_some() {
            namespaces -= Namespaces::USER;
        } else if !root || maps_given || self.setgroups != Setgroups::Deny {
            namespaces |= Namespaces::USER;
        }
        if self.joins.net.is_some() {
            namespaces -= Namespaces::NET;
        }
        if self.inside_ids.is_some() && !namespaces.contains(Namespaces::USER) {
            return Err(Error::InvalidOption {
                option: "inside_ids",
                reason: "needs a user namespace made by the sandbox: give id maps (as root) \
                         or enter without root, and do not join one",
            });
        }
        Ok(Sandbox {
            dir,
            path: absolute(&self.path),
            mode: self.mode,
            namespaces,
            uid_map,
            gid_map,
            setgroups: self.setgroups,
            joins: self.joins,
            read_only: self.read_only,
            propagation: self.propagation,
            die_signal: self.die_signal,
            mount_api: self.mount_api,
            inside_ids: self.inside_ids,
            seccomp,
            hardening: self.hardening,
        })
    }
}

/// A validated sandbox configuration holding the shared directory open; made by
/// [`Builder::build`], used up by [`Sandbox::enter`] or [`Sandbox::confine`].
#[derive(Debug)]
pub struct Sandbox {
    dir: OwnedFd,
    path: PathBuf,
    mode: Mode,
    namespaces: Namespaces,
    uid_map: Option<Vec<IdMap>>,
    gid_map: Option<Vec<IdMap>>,
    setgroups: Setgroups,
    joins: userns::Joins,
    read_only: bool,
    propagation: Propagation,
    die_signal: Signal,
    mount_api: MountApi,
    inside_ids: Option<(u32, u32)>,
    seccomp: Option<sandbox_seccomp::Program>,
    hardening: harden::Options,
}

/// What [`Sandbox::enter`] returns, in each of the two processes.
#[derive(Debug)]
pub enum Entered {
    /// In the original process: a handle on the sandboxed child.
    Parent(Child),
    /// In the sandboxed process (pid 1 of the new pid namespace in [`Mode::Namespace`]).
    Inside(Inside),
}

/// The sandboxed process's view: what it got from entering.
#[derive(Debug)]
pub struct Inside {
    proc_self_fd: ProcSelfFd,
    pivoted: bool,
    nofile_limit: Option<u64>,
}

impl Inside {
    /// The verified handle on `/proc/self/fd`, to reopen `O_PATH` descriptors.
    ///
    /// It was captured by the sandboxed process itself: a process it forks later has its
    /// own descriptor table, which this handle does not show.
    pub fn proc_self_fd(&self) -> &ProcSelfFd {
        &self.proc_self_fd
    }

    /// Takes the handle out.
    pub fn into_proc_self_fd(self) -> ProcSelfFd {
        self.proc_self_fd
    }

    /// Whether the root was changed. False in [`Mode::None`], and when the shared directory
    /// already was the root (sharing `/`).
    pub fn root_changed(&self) -> bool {
        self.pivoted
    }

    /// The soft `RLIMIT_NOFILE` in force after [`Builder::raise_nofile_limit`] raised it:
    /// `fs.nr_open` when the kernel allowed it, else the hard limit. `None` when the
    /// option was not asked for.
    #[doc(alias = "RLIMIT_NOFILE")]
    pub fn nofile_limit(&self) -> Option<u64> {
        self.nofile_limit
    }
}

/// The original process's handle on the sandboxed child.
///
/// Wait for it: a child that is never waited for stays a zombie until the original
/// process exits.
#[derive(Debug)]
pub struct Child {
    inner: RefCell<sandbox_process::Child>,
}

impl Child {
    /// The child's pid, as the original process sees it.
    pub fn pid(&self) -> Pid {
        self.inner.borrow().pid()
    }

    /// Waits for the child to end and returns how it ended. Calling it again returns the
    /// same status.
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when `waitpid(2)` fails.
    pub fn wait(&self) -> Result<ExitStatus, Error> {
        self.inner.borrow_mut().wait().map_err(Error::Supervise)
    }

    /// Returns the status if the child has ended, without blocking.
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when `waitpid(2)` fails.
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, Error> {
        self.inner.borrow_mut().try_wait().map_err(Error::Supervise)
    }

    /// Sends `signal` to the child (through a pidfd where the kernel has them, so a
    /// recycled pid is never hit).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when the child was already reaped or the kernel refused.
    pub fn kill(&self, signal: Signal) -> Result<(), Error> {
        self.inner.borrow().kill(signal).map_err(Error::Supervise)
    }

    /// Waits for the child while passing the given signals on to it: they are blocked in
    /// this process meanwhile (and unblocked again before returning).
    ///
    /// # Errors
    ///
    /// [`Error::Supervise`] when changing the signal mask or waiting fails.
    pub fn wait_forwarding(&self, signals: &[Signal]) -> Result<ExitStatus, Error> {
        self.inner
            .borrow_mut()
            .wait_forwarding(signals)
            .map_err(Error::Supervise)
    }
}

/// The namespaces [`Mode::Namespace`] creates by default, besides the mount namespace
/// (always) and a user namespace (when not root, or with id maps).
pub const DEFAULT_NAMESPACES: Namespaces = Namespaces::PID
    .union(Namespaces::NET)
    .union(Namespaces::IPC)
    .union(Namespaces::UTS)
    .union(Namespaces::CGROUP);

/// The signals [`Sandbox::confine`] passes on to the sandboxed process.
pub const FORWARDED_SIGNALS: [Signal; 5] = [
    Signal::TERM,
    Signal::INT,
    Signal::HUP,
    Signal::USR1,
    Signal::USR2,
];

/// Exit code of a sandboxed child that failed during setup (after reporting why).
const SETUP_FAILED: i32 = 125;

impl Sandbox {
    /// Starts the configuration of a sandbox over `shared_dir`. Nothing is checked until
    /// [`Builder::build`].
    pub fn builder(shared_dir: impl AsRef<Path>) -> Builder {
        Builder {
            path: shared_dir.as_ref().to_path_buf(),
            mode: Mode::Namespace,
            namespaces: None,
            uid_map: None,
            gid_map: None,
            subordinate_ids: false,
            setgroups: Setgroups::Deny,
            joins: userns::Joins::default(),
            read_only: false,
            propagation: Propagation::Private,
            die_signal: Signal::KILL,
            mount_api: MountApi::Auto,
            inside_ids: None,
            seccomp: Filter::default_deny(),
            hardening: harden::Options::default(),
        }
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
    /// On failure nothing half-built goes on: a child that fails reports its error and
    /// exits, the parent reaps it and returns that error. Nothing is left on the host (no
    /// mount in the original namespace, no temp dir). The original process may, however,
    /// already be in the new user and pid namespaces then (there is no way back); it should
    /// exit.
    ///
    /// In [`Mode::Chroot`] and [`Mode::None`] nothing is forked: the result is always
    /// [`Entered::Inside`].
    ///
    /// # Errors
    ///
    /// - [`Error::MultiThreaded`] when the process has more than one thread.
    /// - [`Error::LeakedDirectory`] when a kept directory descriptor (or one at 0, 1 or 2)
    ///   lies outside the shared directory (see the crate docs on descriptors).
    /// - [`Error::Setup`] with the [`Step`] that failed, its path and errno, whether it
    ///   happened here or in the child. [`Error::cause`] and [`Error::hint`] explain the
    ///   usual environmental causes.
    /// - [`Error::IdMaps`] when the helper could not write the maps: `newuidmap` missing or
    ///   refusing, no subordinate ids ([`Error::cause`] says which), or the kernel refusing
    ///   root's write.
    /// - [`Error::SharedDir`] when a joined mount namespace has no such directory.
    /// - [`Error::ChildVanished`] when the child died during setup without a report.
    pub fn enter(self) -> Result<Entered, Error> {
        match self.mode {
            Mode::Namespace => self.enter_namespaces(),
            Mode::Chroot => {
                let proc_self_fd = sandbox_proc_fd::ProcSelfFd::open_unconfined()
                    .map_err(|e| Error::setup(Step::CaptureProcFd, &e))?;
                sandbox_pivot_root::chroot(&self.dir)
                    .map_err(|e| Error::setup(Step::Chroot, &e))?;
                install_seccomp(self.seccomp.as_ref())?;
                Ok(Entered::Inside(Inside {
                    proc_self_fd,
                    pivoted: true,
                    nofile_limit: None,
                }))
            }
            Mode::None => {
                let proc_self_fd = sandbox_proc_fd::ProcSelfFd::open_unconfined()
                    .map_err(|e| Error::setup(Step::CaptureProcFd, &e))?;
                install_seccomp(self.seccomp.as_ref())?;
                Ok(Entered::Inside(Inside {
                    proc_self_fd,
                    pivoted: false,
                    nofile_limit: None,
                }))
            }
        }
    }

    /// Enters the sandbox and, in the original process, stays there: waits for the
    /// sandboxed process, passes the [`FORWARDED_SIGNALS`] on to it, and exits with its
    /// exit code, or dies of the same signal it died of. Only the sandboxed process returns.
    ///
    /// As pid 1 of its namespace, the sandboxed process would ignore signals it has no
    /// handler for; so it starts with handlers that make the forwarded signals and the
    /// die-with-parent signal end it with exit code 128 + the signal (the shell's
    /// convention), which the original process then exits with. A daemon that installs its
    /// own handlers replaces them.
    ///
    /// # Errors
    ///
    /// As [`Sandbox::enter`]; and [`Error::Supervise`] when waiting fails, after the child
    /// was killed and reaped. The caller should exit on any error.
    pub fn confine(self) -> Result<Inside, Error> {
        match self.enter()? {
            Entered::Inside(inside) => Ok(inside),
            Entered::Parent(child) => match child.wait_forwarding(&FORWARDED_SIGNALS) {
                Ok(status) => {
                    let _ = std::io::stdout().flush();
                    let _ = std::io::stderr().flush();
                    match status.signal() {
                        Some(signal) => sys::exit_like_signal(signal),
                        None => sys::exit_now(status.code()),
                    }
                }
                Err(e) => {
                    let _ = child.kill(Signal::KILL);
                    let _ = child.wait();
                    Err(e)
                }
            },
        }
    }

    fn enter_namespaces(mut self) -> Result<Entered, Error> {
        sandbox_namespaces::ensure_single_threaded().map_err(threads_error)?;
        let kept_inside = fds::check(
            &self.dir,
            &self.hardening.keep_fds,
            &[self.dir.as_raw_fd()],
            self.hardening.inherited_fds,
        )?;
        // After unshare(CLONE_NEWUSER) the ids read back as the overflow id until mapped:
        // take them now.
        let (uid, gid) = own_ids();
        let switch_ids = self.ids_to_take(uid, gid);
        let root = rustix::process::geteuid().is_root();

        // Our references to the joined namespaces go once joined: the sandboxed process
        // must not hold a way back into them.
        let joins = std::mem::take(&mut self.joins);
        if let Some(dir) = joins.enter(&self.path)? {
            self.dir = dir;
        }
        drop(joins);
        let before_fork = self.namespaces & (Namespaces::USER | Namespaces::PID | Namespaces::TIME);
        let maps = match (self.uid_map(), self.gid_map()) {
            (Some(uid_map), Some(gid_map)) => {
                let writer = userns::choose_writer(uid, gid, &uid_map, &gid_map, self.setgroups)?;
                Some((uid_map, gid_map, writer))
            }
            _ => None,
        };
        // A helper that writes ranges must stay outside: fork it before the unshare.
        let helper = match &maps {
            Some((uid_map, gid_map, writer @ userns::Writer::Helper { .. })) => Some(
                userns::IdMapHelper::spawn(writer, uid_map, gid_map, self.setgroups, uid)?,
            ),
            _ => None,
        };
        if !before_fork.is_empty() {
            sandbox_namespaces::unshare(before_fork).map_err(|e| match e {
                sandbox_namespaces::Error::MultiThreaded { .. } => threads_error(e),
                e => Error::setup(Step::UnshareParent, &e),
            })?;
        }
        match (maps, helper) {
            (Some((_, _, _)), Some(helper)) => {
                if self.setgroups == Setgroups::Deny && !root {
                    // newgidmap leaves setgroups alone for a map of subordinate gids (root's
                    // helper writes setgroups itself).
                    sandbox_namespaces::deny_setgroups()
                        .map_err(|e| Error::setup(Step::WriteIdMaps, &e))?;
                }
                helper.write_maps()?;
            }
            (Some((uid_map, gid_map, _)), None) => {
                sandbox_namespaces::write_own_id_maps(&uid_map, &gid_map)
                    .map_err(|e| Error::setup(Step::WriteIdMaps, &e))?;
            }
            (None, _) => {}
        }

        let (report_rx, report_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| Error::setup(Step::PrepareFork, &e))?;
        let watch = ParentWatch::new().map_err(|e| Error::setup(Step::PrepareFork, &e))?;

        match sandbox_process::fork().map_err(|e| match e {
            sandbox_process::Error::SingleThreaded(inner) => threads_error(inner),
            e => Error::setup(Step::Fork, &e),
        })? {
            Fork::Child => {
                drop(report_rx);
                let own = [self.dir.as_raw_fd(), report_tx.as_raw_fd()];
                let set_up = self.set_up_child(watch, switch_ids, &own, &kept_inside);
                // The filter comes last, once the sandbox's own descriptors are gone (the
                // shared directory's sits on the host's mount): only the report pipe is
                // left, and the filter lets its write and close through.
                let seccomp = self.seccomp.take();
                drop(self);
                let installed = set_up.and_then(|inside| {
                    install_seccomp(seccomp.as_ref())?;
                    Ok(inside)
                });
                match installed {
                    Ok(inside) => {
                        report::send_ready(&report_tx);
                        drop(report_tx);
                        Ok(Entered::Inside(inside))
                    }
                    Err(e) => {
                        report::send_error(&report_tx, &e);
                        sys::exit_now(SETUP_FAILED)
                    }
                }
            }
            Fork::Parent(child) => {
                watch.parent_keep();
                drop(report_tx);
                let child = Child {
                    inner: RefCell::new(child),
                };
                match report::receive(&report_rx) {
                    Ok(Report::Ready) => Ok(Entered::Parent(child)),
                    Ok(Report::Failed(e)) => {
                        let _ = child.wait();
                        Err(e)
                    }
                    Ok(Report::Nothing) => {
                        let status = child.wait()?;
                        Err(Error::ChildVanished { status })
                    }
                    Err(errno) => {
                        let _ = child.kill(Signal::KILL);
                        let _ = child.wait();
                        Err(Error::setup(Step::Report, &errno))
                    }
                }
            }
        }
    }

    /// The inside uid and gid the sandboxed process must take, if any: the ones named with
    /// [`Builder::inside_ids`], else 0 for an own id (`uid`, `gid` outside) that the maps
    /// of the sandbox's user namespace leave out.
    fn ids_to_take(&self, uid: u32, gid: u32) -> Option<(u32, u32)> {
        if !self.namespaces.contains(Namespaces::USER) {
            return None;
        }
        if self.inside_ids.is_some() {
            return self.inside_ids;
        }
        let mapped = |map: Option<Vec<IdMap>>, id: u32| {
            map.unwrap_or_default()
                .iter()
                .any(|m| m.contains_outside(id))
        };
        let uid_mapped = mapped(self.uid_map(), uid);
        let gid_mapped = mapped(self.gid_map(), gid);
        (!uid_mapped || !gid_mapped).then_some((0, 0))
    }

    /// The child's part of the sequence. Any error is sent to the parent by the caller.
    ///
    /// `own` are the sandbox's descriptors that the child still needs for a while (the
    /// shared directory, the report pipe); `kept_inside` the kept descriptors of the shared
    /// directory's tree to reopen inside.
    fn set_up_child(
        &self,
        watch: ParentWatch,
        switch_ids: Option<(u32, u32)>,
        own: &[RawFd],
        kept_inside: &[fds::KeptInside],
    ) -> Result<Inside, Error> {
        if self.namespaces.contains(Namespaces::PID) {
            // As pid 1 the child would ignore these (and the die-with-parent signal)
            // without a handler.
            sys::exit_on_signals(&self.pid1_signals())
                .map_err(|e| Error::setup(Step::DieWithParent, &e))?;
        }
        if let Some((uid, gid)) = switch_ids {
            // Before the death signal is armed: a change of credentials clears it.
            harden::switch_ids(uid, gid, self.setgroups == Setgroups::Allow)
                .map_err(|e| Error::setup(Step::SwitchIds, &e))?;
        }
        watch
            .die_with_parent(self.die_signal)
            .map_err(|e| Error::setup(Step::DieWithParent, &e))?;
        fds::seal(&self.hardening.keep_fds, own, self.hardening.inherited_fds)?;

        // unshare(CLONE_NEWNS) moves the cwd into the new mount namespace, while our
        // descriptor keeps pointing into the old one (where no mount operation may use it).
        rustix::process::fchdir(&self.dir).map_err(|e| self.setup_at(Step::EnterSharedDir, e))?;
        let after_fork = self.namespaces - (Namespaces::USER | Namespaces::PID | Namespaces::TIME);
        sandbox_namespaces::unshare(after_fork)
            .map_err(|e| Error::setup(Step::UnshareChild, &e))?;

        sandbox_mount::set_propagation_recursive("/", self.propagation)
            .map_err(|e| Error::setup(Step::Propagation, &e))?;
        sandbox_mount::mount_proc("/proc").map_err(|e| Error::setup(Step::MountProc, &e))?;
        if self.namespaces.contains(Namespaces::USER) && !self.hardening.nested_userns {
            harden::forbid_user_namespaces(Path::new("/proc"))
                .map_err(|e| Error::setup(Step::NestedUserNamespaces, &e))?;
        }
        harden::detach(&self.hardening)?;
        if self.hardening.init {
            // Returns in the daemon (pid 2) only; the init stays pid 1.
            init::start(&self.pid1_signals())?;
        }
        let proc_self_fd =
            ProcSelfFd::capture("/proc").map_err(|e| Error::setup(Step::CaptureProcFd, &e))?;
        let nofile_limit = match self.hardening.raise_nofile {
            true => Some(harden::raise_nofile(Path::new("/proc"))?),
            false => None,
        };

        let pivoted = self.mount_shared_dir()?;
        harden::check_cwd().map_err(|e| Error::setup(Step::CheckCwd, &e))?;
        for kept in kept_inside {
            kept.replace()?;
        }
        harden::after_pivot(&self.hardening)?;
        Ok(Inside {
            proc_self_fd,
            pivoted,
            nofile_limit,
        })
    }

    /// The mount part of the child's sequence, after the fresh proc: binds the shared
    /// directory (the cwd) onto itself with its submounts, makes that tree read-only if
    /// asked, and pivots into it. Sharing `/` needs no bind nor pivot. Returns whether the
    /// root changed.
    fn mount_shared_dir(&self) -> Result<bool, Error> {
        let here = rustix::fs::openat(
            CWD,
            ".",
            OpenFlags::PATH | OpenFlags::DIRECTORY | OpenFlags::CLOEXEC,
            FileMode::empty(),
        )
        .map_err(|e| self.setup_at(Step::BindSharedDir, e))?;
        let restrict = |root: &OwnedFd| {
            if self.read_only {
                sandbox_mount::make_read_only_recursive(root, self.mount_api)
                    .map_err(|e| self.setup_at_leaf(Step::ReadOnly, &e))?;
            }
            if self.hardening.nodev {
                sandbox_mount::set_attributes_recursive(
                    root,
                    MountAttr::NODEV,
                    MountAttr::empty(),
                    self.mount_api,
                )
                .map_err(|e| self.setup_at_leaf(Step::Nodev, &e))?;
            }
            Ok::<(), Error>(())
        };
        if sandbox_pivot_root::is_current_root(&here)
            .map_err(|e| Error::setup(Step::PivotRoot, &e))?
        {
            // Sharing "/": there is nothing to pivot to; "/" is the root of its mount.
            restrict(&here)?;
            rustix::process::chdir("/").map_err(|e| self.setup_at(Step::PivotRoot, e))?;
            return Ok(false);
        }
        let tree = self.bind_onto_itself(&here)?;
        restrict(&tree)?;
        sandbox_pivot_root::pivot_root(&tree)
            .map_err(|e| self.setup_at_leaf(Step::PivotRoot, &e))?;
        Ok(true)
    }

    /// The signals pid 1 must handle (or, with the init, pass on): the forwarded ones and
    /// the die-with-parent signal. SIGKILL and SIGSTOP take no handler, and from the
    /// parent's namespace reach pid 1 anyway.
    fn pid1_signals(&self) -> Vec<i32> {
        let mut signals = FORWARDED_SIGNALS.map(Signal::as_raw).to_vec();
        if ![Signal::KILL, Signal::STOP].contains(&self.die_signal) {
            signals.push(self.die_signal.as_raw());
        }
        signals
    }

    /// Binds the shared directory (the cwd, and `here`) onto itself, recursively, and
    /// returns a descriptor on the root of the new mount.
    ///
    /// The new mount API works from descriptors only: `open_tree` clones the tree and
    /// `move_mount` attaches it, after which the clone's descriptor is the new mount's root.
    /// Where the kernel (before 5.2) or a seccomp profile refuses it (ENOSYS, EPERM) and
    /// [`MountApi::Auto`] allows it, or with [`MountApi::Legacy`], `mount(2)` binds the
    /// directory (through its `/proc/self/fd` link) onto the cwd; reaching the mount on top
    /// then needs one lookup by path, with `O_NOFOLLOW`, which is checked to lead to the
    /// same directory (device and inode), on another mount than the one it covers.
    fn bind_onto_itself(&self, here: &OwnedFd) -> Result<OwnedFd, Error> {
        let step = Step::BindSharedDir;
        if self.mount_api != MountApi::Legacy {
            match sandbox_mount::clone_tree_recursive(here) {
                Ok(tree) => {
                    sandbox_mount::attach_tree(&tree, here)
                        .map_err(|e| self.setup_at_leaf(step, &e))?;
                    return Ok(tree);
                }
                Err(e)
                    if self.mount_api == MountApi::New
                        || !matches!(e.errno(), Some(Errno::NOSYS | Errno::PERM)) =>
                {
                    return Err(self.setup_at_leaf(step, &e));
                }
                Err(_) => {}
            }
        }
        sandbox_mount::bind_recursive(fd_path(here), ".").map_err(|e| Error::setup(step, &e))?;
        let path = rustix::fs::readlinkat(CWD, fd_path(here), Vec::new())
            .map_err(|e| self.setup_at(step, e))?;
        let top = rustix::fs::openat(
            CWD,
            path.as_c_str(),
            OpenFlags::PATH | OpenFlags::DIRECTORY | OpenFlags::NOFOLLOW | OpenFlags::CLOEXEC,
            FileMode::empty(),
        )
        .map_err(|e| self.setup_at(step, e))?;
        let ids = |fd: &OwnedFd| {
            rustix::fs::statx(
                fd,
                "",
                rustix::fs::AtFlags::EMPTY_PATH,
                rustix::fs::StatxFlags::INO | rustix::fs::StatxFlags::MNT_ID,
            )
            .map(|s| {
                // Before Linux 5.8 statx gives no mount id: then only the inode is checked.
                let mnt_id = (s.stx_mask & rustix::fs::StatxFlags::MNT_ID.bits() != 0)
                    .then_some(s.stx_mnt_id);
                (s.stx_dev_major, s.stx_dev_minor, s.stx_ino, mnt_id)
            })
            .map_err(|e| self.setup_at(step, e))
        };
        let (under, over) = (ids(here)?, ids(&top)?);
        let same_mount = matches!((under.3, over.3), (Some(a), Some(b)) if a == b);
        if (under.0, under.1, under.2) != (over.0, over.1, over.2) || same_mount {
            // Something moved the path between the bind and the lookup.
            return Err(self.setup_at(step, Errno::STALE));
        }
        Ok(top)
    }

    /// A setup error for an errno from a call on the shared directory.
    fn setup_at(&self, step: Step, errno: Errno) -> Error {
        Error::Setup {
            step,
            path: Some(self.path.clone()),
            message: format!("{}: {errno}", self.path.display()),
            errno: Some(errno),
            in_child: false,
        }
    }

    /// A setup error from a leaf whose error names no path of its own: the shared
    /// directory is the path.
    fn setup_at_leaf(&self, step: Step, e: &dyn error::LeafError) -> Error {
        let mut err = Error::setup(step, e);
        if let Error::Setup { path, message, .. } = &mut err {
            if path.is_none() {
                *path = Some(self.path.clone());
                *message = format!("{} ({})", message, self.path.display());
            }
        }
        err
    }
}

/// Installs the compiled filter, if any: the last step of every mode.
fn install_seccomp(program: Option<&sandbox_seccomp::Program>) -> Result<(), Error> {
    match program {
        Some(program) => program
            .install()
            .map_err(|e| Error::setup(Step::Seccomp, &e)),
        None => Ok(()),
    }
}

/// The daemon's filter with what the sandbox itself calls after installing it: the
/// `write` of its report to the original process and the `close` of that pipe. (An
/// allowlist without them would leave `enter()` waiting in the original process.)
fn sandbox_filter(filter: Filter) -> Result<Filter, sandbox_seccomp::Error> {
    filter.allow("write")?.allow("close")
}

/// The effective uid and gid, as the maps' outside ids.
fn own_ids() -> (u32, u32) {
    (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    )
}

/// The rootless map of `own` from the caller's ranges in `file`.
fn subordinate_map(file: &str, uid: u32, own: u32) -> Result<Vec<IdMap>, Error> {
    let name = sandbox_namespaces::user_name(uid).map_err(Error::SubordinateIds)?;
    let ranges = sandbox_namespaces::subordinate_ranges(file, name.as_deref(), uid)
        .map_err(Error::SubordinateIds)?;
    if ranges.is_empty() {
        return Err(Error::NoSubordinateIds {
            user: name.unwrap_or_else(|| uid.to_string()),
            file: PathBuf::from(file),
        });
    }
    Ok(sandbox_namespaces::rootless_id_map(own, &ranges))
}

fn threads_error(e: sandbox_namespaces::Error) -> Error {
    match e {
        sandbox_namespaces::Error::MultiThreaded { threads } => Error::MultiThreaded { threads },
        e => Error::setup(Step::CheckThreads, &e),
    }
}

/// `/proc/self/fd/N` for a descriptor.
fn fd_path(fd: impl AsFd) -> PathBuf {
    use std::os::fd::AsRawFd;
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn open_shared_dir(path: &Path) -> Result<OwnedFd, Error> {
    let refuse = |problem, errno| Error::SharedDir {
        path: path.to_path_buf(),
        problem,
        errno,
    };
    let bytes = path.as_os_str().as_bytes();
    if bytes.is_empty() {
        return Err(refuse(PathProblem::Empty, None));
    }
    if bytes.contains(&0) {
        return Err(refuse(PathProblem::ContainsNul, None));
    }
    // Relative paths resolve against the current directory, here and only here.
    let fd = rustix::fs::openat(
        CWD,
        OsStr::from_bytes(bytes),
        OpenFlags::PATH | OpenFlags::CLOEXEC,
        FileMode::empty(),
    )
    .map_err(|errno| {
        let problem = match errno {
            Errno::NOENT => PathProblem::NotFound,
            Errno::NOTDIR => PathProblem::NotFound,
            Errno::ACCESS => PathProblem::PermissionDenied,
            _ => PathProblem::Unopenable,
        };
        refuse(problem, Some(errno))
    })?;
    let stat =
        rustix::fs::fstat(&fd).map_err(|errno| refuse(PathProblem::Unopenable, Some(errno)))?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::Directory {
        return Err(refuse(PathProblem::NotADirectory, Some(Errno::NOTDIR)));
    }
    Ok(fd)
}
