//! The builder: every option, with what it protects and what its opt-out gives back,
//! and [`Builder::build`], which validates them and opens the shared directory.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode as FileMode, OFlags as OpenFlags, CWD};
use rustix::io::Errno;

use crate::error::{BuilderOption, OptionConflict};
use crate::privilege::Privilege;
use crate::{
    harden, joins, CapabilitySet, Error, Filter, IdMap, InheritedFds, Mode, MountApi, Namespaces,
    PathProblem, Propagation, Sandbox, Setgroups, Signal, DEFAULT_NAMESPACES,
};

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
    pub(crate) joins: joins::Joins,
    read_only: bool,
    propagation: Propagation,
    die_signal: Signal,
    mount_api: MountApi,
    inside_ids: Option<(u32, u32)>,
    seccomp: Filter,
    hardening: harden::Options,
}

impl Builder {
    /// The defaults, over `shared_dir`: see [`Sandbox::builder`].
    pub(crate) fn new(shared_dir: &Path) -> Builder {
        Builder {
            path: shared_dir.to_path_buf(),
            mode: Mode::Namespace,
            namespaces: None,
            uid_map: None,
            gid_map: None,
            subordinate_ids: false,
            setgroups: Setgroups::Deny,
            joins: joins::Joins::default(),
            read_only: false,
            propagation: Propagation::Private,
            die_signal: Signal::KILL,
            mount_api: MountApi::Auto,
            inside_ids: None,
            seccomp: Filter::default_deny(),
            hardening: harden::Options::default(),
        }
    }

    /// The [`Mode`]; [`Mode::Namespace`] by default.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The namespaces to create besides the mount namespace, which [`Mode::Namespace`]
    /// always creates. Default: [`DEFAULT_NAMESPACES`], `PID | NET | IPC | UTS | CGROUP`.
    /// `USER` is added when the process lacks `CAP_SYS_ADMIN` in its effective set (it is
    /// not root, or a root without it, like a container's), an id map is given, or
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
    /// unshare: with `CAP_SETUID` and `CAP_SETGID` it writes `/proc/<pid>/uid_map` from
    /// outside, otherwise it runs the setuid `newuidmap` (package `uidmap`), which allows
    /// the ranges `/etc/subuid` grants the user; see [`Builder::subordinate_ids`]. The
    /// sandboxed process execs nothing.
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
    /// The maps are written through `newuidmap` and `newgidmap` (directly with `CAP_SETUID`
    /// and `CAP_SETGID`).
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
    /// only. The capture of the `/proc/self/fd` handle, a bind of one directory of the
    /// sandbox's own proc, uses `open_tree(2)` and falls back to `mount(2)` whenever that
    /// fails, under `Auto` and `New` alike
    /// ([`ProcSelfFd::capture`](crate::ProcSelfFd::capture)); under `Legacy` it uses
    /// `mount(2)` only
    /// ([`ProcSelfFd::capture_with_mount`](crate::ProcSelfFd::capture_with_mount)), so
    /// that `Legacy` makes no call of the new API at all (for a seccomp profile that kills
    /// on it).
    ///
    /// The legacy path reaches the new mount of the shared directory by its path once,
    /// after the bind, and checks that it found the directory it bound; where the sandboxed
    /// uid cannot search a parent of the shared directory (a daemon that opened it as root
    /// and dropped privileges before entering), that lookup fails with `EACCES`
    /// ([`Step::BindSharedDir`](crate::Step::BindSharedDir)). The new API works from descriptors only.
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
    /// a read-only sandbox fails with `EROFS` ([`Step::KeptDescriptor`](crate::Step::KeptDescriptor)). The number is
    /// recorded with the open file it names (device and inode): a number closed, or taken
    /// by another file, between `keep_fd` and entering is refused
    /// ([`Error::KeptFdChanged`](crate::Error::KeptFdChanged)).
    ///
    /// What else a kept descriptor reaches is the daemon's choice: a socket receives the
    /// descriptors its peer sends (`SCM_RIGHTS`), including any already queued; a file
    /// outside is read or written as it was opened (reopening it with other access modes
    /// through [`ProcSelfFd::reopen`](crate::ProcSelfFd::reopen) is refused by the Landlock
    /// layer, and works with `landlock(false)` as far as its permissions allow); an io_uring
    /// keeps its registered files.
    pub fn keep_fd(mut self, fd: impl AsFd) -> Self {
        self.hardening
            .keep_fds
            .push(crate::fds::KeptFd::new(fd.as_fd()));
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
    /// sandbox's (`CAP_SYS_ADMIN` made the namespaces, or one was joined), no limit is
    /// written: the default syscall filter refuses `CLONE_NEWUSER` there.
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
    /// [`Inside::nofile_limit`](crate::Inside::nofile_limit). For file servers that hold one descriptor per file. Costs:
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

    /// Whether the Landlock layer restricts the sandboxed process to the shared directory
    /// (default: true), where the kernel has Landlock (Linux 5.13; best effort: an older
    /// ABI enforces what it knows, a kernel without Landlock enters anyway and
    /// [`Inside::landlock`](crate::Inside::landlock) says so). After the pivot (or the
    /// chroot), the same rules as [`Mode::Landlock`]'s on the file system: reading and
    /// executing beneath the root, writing unless [`Builder::read_only`], nothing else
    /// (the proc-fd handle's magic links still lead to the files beneath the root). A second wall behind the mounts: a mount that
    /// arrives later under a read-only sandbox ([`Propagation::Slave`]) is still not
    /// writable, and a descriptor that somehow points outside gives no access when reopened
    /// through [`ProcSelfFd::reopen`](crate::ProcSelfFd::reopen). It sets `no_new_privs`.
    ///
    /// `landlock(false)` gives back those accesses behind the mounts. In
    /// [`Mode::Landlock`] the layer is the mode itself and is always on.
    #[doc(alias = "landlock_restrict_self")]
    pub fn landlock(mut self, on: bool) -> Self {
        self.hardening.landlock = on;
        self
    }

    /// Runs a minimal init as pid 1 (default: false): the first process of the namespace
    /// stays pid 1, forks the daemon (which gets [`Entered::Inside`](crate::Entered::Inside) as pid 2), passes the
    /// forwarded and die-with-parent signals on to it, reaps every orphan of the namespace,
    /// and exits with the daemon's exit code, or 128 + the signal that killed it, which
    /// [`Child::wait`](crate::Child::wait) reports as death by that signal. For daemons
    /// that spawn helpers and do not reap what the helpers leave behind. Costs one more
    /// process (a fork; `cargo xtask bench` measures it).
    pub fn init(mut self, on: bool) -> Self {
        self.hardening.init = on;
        self
    }

    /// Whether, in [`Sandbox::confine`](crate::Sandbox::confine), the original process
    /// lets go of every descriptor but stdin, stdout and stderr once the sandboxed process
    /// is ready (default: true): closes them, in one `close_range(2)`. Should `confine`
    /// return an error afterwards, it puts `/dev/null` (or `/`, `O_PATH`) back on each of
    /// those numbers first, so values of the caller's that own one stay safe to drop. The
    /// original process only waits from then on, and a copy it
    /// kept would outlive the daemon's: a listening socket the daemon closes to drain
    /// would still take connections that nobody answers, a pipe's reader would see no end
    /// of file, and an `flock(2)` or open file description lock would stay held after
    /// the daemon closed its copy.
    ///
    /// Letting go also releases the original process's POSIX record locks
    /// (`fcntl(F_SETLK)`, `lockf(3)`) on those files, which the sandboxed process never
    /// had (a forked child does not inherit them): a pidfile locked that way before
    /// `confine()` is unlocked once the daemon is ready. Take such a lock inside, after
    /// `confine()`, or use `flock(2)` or `F_OFD_SETLK`, which the daemon's copy holds; or
    /// pass `false`.
    ///
    /// Stdio is kept: a socket passed on stdin or stdout (inetd, systemd's
    /// `StandardInput=socket`) stays open in the original process for as long as the
    /// daemon runs. Move it above 2 before entering ([`keep_fd`](Self::keep_fd) a `dup`
    /// of it and put `/dev/null` on 0 and 1), and it is let go like the rest.
    ///
    /// `false` keeps every descriptor (for a caller that shares something with the
    /// original process on purpose). No effect on [`Sandbox::enter`](crate::Sandbox::enter),
    /// where the caller decides, nor outside [`Mode::Namespace`], where nothing is forked.
    pub fn close_fds_in_original(mut self, on: bool) -> Self {
        self.hardening.close_fds_in_original = on;
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
                (
                    BuilderOption::ReadOnly,
                    self.read_only && self.mode != Mode::Landlock,
                ),
                (BuilderOption::Namespaces, self.namespaces.is_some()),
                (BuilderOption::UidMap, self.uid_map.is_some()),
                (BuilderOption::GidMap, self.gid_map.is_some()),
                (BuilderOption::Init, self.hardening.init),
                (BuilderOption::InsideIds, self.inside_ids.is_some()),
                (BuilderOption::SubordinateIds, self.subordinate_ids),
                (BuilderOption::Setgroups, self.setgroups != Setgroups::Deny),
                (BuilderOption::JoinNamespace, !self.joins.is_empty()),
            ];
            if let Some((option, _)) = refused.into_iter().find(|(_, set)| *set) {
                return Err(Error::InvalidOption {
                    option,
                    reason: OptionConflict::NeedsNamespaceMode,
                });
            }
        }
        if !matches!(self.propagation, Propagation::Slave | Propagation::Private) {
            return Err(Error::InvalidOption {
                option: BuilderOption::Propagation,
                reason: OptionConflict::ReachesTheHost,
            });
        }
        let maps_given = self.uid_map.is_some() || self.gid_map.is_some() || self.subordinate_ids;
        if self.joins.user.is_some() && (maps_given || self.setgroups != Setgroups::Deny) {
            return Err(Error::InvalidOption {
                option: BuilderOption::JoinUserNamespace,
                reason: OptionConflict::JoinedUserNamespace,
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
        // A process with CAP_SYS_ADMIN (root, also root of a user namespace made beforehand:
        // `unshare -r`, a rootless container) makes the namespaces itself: no user
        // namespace is made and nothing is mapped a second time. Any other process, a root
        // without CAP_SYS_ADMIN included, enters through a user namespace as an
        // unprivileged one does (the kernel would refuse it the others).
        let privileged = Privilege::current().remember().makes_namespaces();
        if self.joins.user.is_some() {
            namespaces -= Namespaces::USER;
        } else if !privileged || maps_given || self.setgroups != Setgroups::Deny {
            namespaces |= Namespaces::USER;
        }
        if self.joins.net.is_some() {
            namespaces -= Namespaces::NET;
        }
        if self.inside_ids.is_some() && !namespaces.contains(Namespaces::USER) {
            return Err(Error::InvalidOption {
                option: BuilderOption::InsideIds,
                reason: OptionConflict::NeedsOwnUserNamespace,
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
            before: crate::audit::Before::default(),
        })
    }
}

/// The daemon's filter with what the sandbox itself calls after installing it: the
/// `write` of its report to the original process and the `close` of that pipe. (An
/// allowlist without them would leave `enter()` waiting in the original process.)
fn sandbox_filter(filter: Filter) -> Result<Filter, sandbox_seccomp::Error> {
    filter.allow("write")?.allow("close")
}

/// The effective uid and gid, as the maps' outside ids.
pub(crate) fn own_ids() -> (u32, u32) {
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

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub(crate) fn open_shared_dir(path: &Path) -> Result<OwnedFd, Error> {
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
