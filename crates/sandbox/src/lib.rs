//! Confine a running daemon into one shared directory.
//!
//! A daemon (a vhost-user file-system backend, a file server, a build worker) loads what it
//! needs, then calls [`Sandbox::enter`] or [`Sandbox::confine`]. In the default
//! [`Mode::Namespace`] that gives it:
//!
//! - new pid, network, IPC, UTS and cgroup namespaces (plus mount, always, and a user
//!   namespace when it lacks `CAP_SYS_ADMIN`: not root, or a root without it, as in a
//!   container), with its uid and gid mapped to themselves,
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
//! - Either `CAP_SYS_ADMIN` (root, as a rule), or unprivileged user namespaces
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
//! pipe: with `CAP_SETUID` and `CAP_SETGID` it writes `/proc/<pid>/uid_map` from outside,
//! otherwise it runs the setuid `newuidmap` and `newgidmap`. The sandboxed process never
//! execs anything. A process with `CAP_SYS_ADMIN` (root, also root of a user namespace
//! made by `unshare -r` or a rootless container) gets no second user namespace; one handed
//! namespace fds joins them
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
//! # Proving it from inside
//!
//! [`Inside::audit`] reads the sandbox back from the kernel, in the sandboxed process, and
//! compares each answer with what was asked: the namespaces differ from the original
//! process's (by [`NamespaceId`]), `/` is the shared directory with no host mount above it,
//! every mount is read-only and `nodev` as asked, the five capability sets hold only the kept
//! capabilities, `no_new_privs` and the seccomp filter are there, the Landlock layer where
//! asked, the id maps are the ones written, the session and keyring are the process's own,
//! and the open descriptors are exactly stdio, the proc-fd handle and the kept ones. Each
//! [`Check`] says which kernel interface its row reads. [`Audit::is_confined`] holds when
//! every row does (never in [`Mode::None`]); `Display` gives a table for the log:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let inside = sandbox::Sandbox::builder("/srv/shared").build()?.confine()?;
//! let audit = inside.audit(); // before opening anything: it counts the open descriptors
//! eprintln!("{audit}");
//! assert!(audit.is_confined());
//! # Ok(())
//! # }
//! ```
//!
//! No `/proc` is left inside after the pivot, so the rows read through calls that need none:
//! a complete audit in [`Mode::Namespace`] needs Linux 6.11 (`PIDFD_GET_*_NAMESPACE`) and
//! 6.8 (`listmount(2)`, `statmount(2)`); on older kernels those rows say what is missing and
//! do not hold. It costs a few tens of microseconds.
//!
//! # Pid 1 and signals
//!
//! The sandboxed process is pid 1 of its pid namespace, and the kernel ignores every signal
//! pid 1 has no handler for (SIGKILL and SIGSTOP from an ancestor namespace excepted). So
//! it starts with handlers that make the [`FORWARDED_SIGNALS`], the die-with-parent signal
//! and SIGABRT end it with exit code 128 + the signal, where they are at their default
//! action. The daemon's own handlers take over, however and whenever it installs them: one
//! installed before entering keeps its place (as does a signal ignored, but for the
//! die-with-parent signal, which must not be), a plain `sigaction(2)` after entering
//! replaces ours, and ours step aside when a library that chains to the previous handler
//! (`signal-hook`, `tokio::signal`) calls them first. When it ends, the kernel kills every
//! other process of the namespace.
//!
//! Pid 1 cannot die of a signal from its own namespace, so it notes the signal in a page
//! shared with the original process before it exits: [`Child::wait`] reports death by that
//! signal, and [`Sandbox::confine`] dies of it, as the daemon would have outside. The page
//! is writable from inside: the most code inside can do with it is have the original
//! process report a death by a signal that ends processes (no stop signal, no core dump)
//! instead of the exit code 128 + that signal.
//!
//! [`Builder::init`] puts a minimal init in front instead: pid 1 forks the daemon (pid 2,
//! where [`Entered::Inside`] is returned), passes those signals on to it, reaps every
//! orphan that the daemon's helpers leave behind (they would otherwise stay zombies of a
//! pid 1 that never waits for them), and exits with the daemon's exit code, or notes the
//! signal that killed it. It protects against zombies piling up; the daemon, an ordinary
//! process, ends on any signal it has no handler for. It costs one process (a fork). It
//! holds no descriptor and keeps only `CAP_KILL`.
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
//! descriptor open instead (marked close-on-exec). After the pivot the cwd is checked to
//! be the new root.
//!
//! The original process keeps its descriptors after [`Sandbox::enter`]: its caller
//! decides. [`Sandbox::confine`], whose original process only waits, lets go of each one
//! above 2 once the daemon is ready (closing it; a placeholder goes back on the number
//! should `confine` return an error), so that it holds no copy of the daemon's listener
//! or pipes ([`Builder::close_fds_in_original`], which
//! also says what that does to POSIX record locks and why stdio stays).
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
//! On by default in [`Mode::Namespace`] (and, but for the user namespace limit and the
//! inside ids, in [`Mode::Landlock`] and [`Mode::Chroot`]; [`Mode::None`] takes the
//! seccomp filter only), each with an opt-out by name that says what it gives back:
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
//! The descriptor rules, the capability drop and these options apply in
//! [`Mode::Namespace`], [`Mode::Landlock`] and [`Mode::Chroot`] (`init` in the namespace
//! mode only; `nodev` there is a mount attribute, in the others a Landlock rule against
//! creating device nodes); the seccomp filter applies in every mode.
//!
//! # Threat model
//!
//! The attacker is the daemon itself, compromised after it entered: arbitrary code in the
//! sandboxed process, as root or as any uid. Inside a default sandbox it cannot:
//!
//! - reach a file of the host outside the shared directory: no path leads out (pivot, old
//!   root detached, a fresh proc), no descriptor of the host's is left (closed, or
//!   replaced on the sandbox's mounts), `open_by_handle_at` and new mounts are refused
//!   (capabilities, seccomp, Landlock), device nodes do not open (`nodev`), and behind all
//!   of that the Landlock layer refuses opening anything outside the new root, also
//!   through the proc-fd handle's magic links;
//! - write to the shared directory when it is read-only, also through a kept directory or
//!   a mount the host adds later (the Landlock layer);
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
//! # Landlock
//!
//! Behind the mounts, the sandboxed process restricts itself with Landlock (Linux 5.13,
//! best effort, [`Builder::landlock`]) to the new root: reading and executing beneath it,
//! writing unless read-only, nothing else. A mount that arrives later under a read-only
//! sandbox stays unwritable, and a descriptor that points outside gives nothing when
//! reopened. [`Inside::landlock`] says how much of it the kernel enforces.
//!
//! # Modes for environments without namespaces
//!
//! [`Mode::Landlock`] confines the file system where namespaces are refused (container
//! profiles, AppArmor, Flatpak): no privilege, no fork, Landlock alone. [`Mode::Chroot`]
//! (root) and [`Mode::None`] remain; each mode's docs say what it does not protect
//! against. Take [`Mode::Namespace`] wherever it works: only it hides the host's
//! processes, network and mounts.
//!
//! # Many sandboxes
//!
//! A process enters once, so a daemon that runs many short jobs in sandboxes forks a
//! worker per job and the worker enters. Making and tearing down each sandbox's network
//! namespace is then the largest single cost, and it serialises on the kernel's `rtnl`
//! lock when many enter at once. A root daemon can make one empty network namespace up
//! front with [`SharedNetwork::new`] and have each sandbox join it
//! ([`Builder::join_shared_network`]): the jobs stay cut off from the host's network, but
//! not from each other's (abstract UNIX sockets, and loopback ports if `lo` is brought
//! up); [`SharedNetwork`] says what it does and does not isolate.
//!
//! # How the crate is laid out
//!
//! The leaf crates own the kernel concepts (`sandbox-namespaces`: namespaces and id maps;
//! `sandbox-mount`: mounts, binding a tree, mount identity; `sandbox-pivot-root`;
//! `sandbox-proc-fd`; `sandbox-process`: fork, supervision, signals, the minimal init;
//! `sandbox-seccomp`). This crate orders their steps and says why. One module, one idea:
//!
//! | module | what it holds |
//! |---|---|
//! | `builder` | [`Builder`]: every option, what it protects, what its opt-out gives back; `build` |
//! | `sandbox` | [`Sandbox`]: the validated configuration; `enter` in each [`Mode`], `confine` |
//! | `parent` | the original process's side of entering: checks, joins, id maps, fork, handshake |
//! | `child` | the sandboxed child's side, from the fork to the seccomp filter |
//! | `inplace` | the modes that fork nothing: [`Mode::Landlock`], [`Mode::Chroot`], [`Mode::None`] |
//! | `landlock` | the Landlock layer and [`landlock_abi`] |
//! | `handles` | [`Entered`], [`Inside`], [`Child`] |
//! | `audit` | [`Inside::audit`]: the [`Audit`] of what the kernel says against what was asked, one [`AuditRow`] per [`Check`]; the original process's state taken before entering |
//! | `fds` | which descriptors survive, the check before entering, closing, kept ones replaced |
//! | `harden` | session, keyring, no_new_privs, capabilities, ids, `RLIMIT_NOFILE`, the cwd check |
//! | `idmap_helper` | who writes the id maps, and the helper process that writes them |
//! | `joins` | namespaces given by descriptor, joined with `setns` |
//! | `privilege` | what the process may do by its effective capabilities: the one place that decides whether it enters through a user namespace |
//! | `limits` | the resource limits entering runs into: descriptors, processes |
//! | `network` | [`SharedNetwork`]: one empty network namespace for many sandboxes |
//! | `error`, `step`, `call` | [`Error`] with the typed [`SetupError`], [`Step`], [`SysError`] |
//! | `hint`, `cause` | [`Error::kind`], [`Error::cause`], [`Error::hint`]; the diagnosis of [`Cause`]s |
//! | `proc_cover` | the mounts over parts of proc that make the kernel refuse a new one in a user namespace |
//! | `wire` | the one format of every message between our processes: errors cross typed |
//! | `report` | the child's report to the original process, in that format |
//! | `probe` | [`probe`]: what this process can do, tried in a child |
//! | `timing` | hidden: the step marks of `cargo xtask bench --steps` (the `step-times` feature) |
//! | `sys` | the calls rustix has no safe wrapper for: all the `unsafe` but one block, in `fds::seal`, which closes what other owners hold and says why |

#![deny(unsafe_code)]

mod audit;
mod builder;
mod call;
mod cause;
mod child;
mod error;
mod fds;
mod handles;
mod harden;
mod hint;
mod idmap_helper;
mod inplace;
mod joins;
mod landlock;
mod limits;
mod network;
mod parent;
mod privilege;
mod probe;
mod proc_cover;
mod report;
mod sandbox;
mod step;
#[allow(unsafe_code)]
mod sys;
mod wire;

pub use audit::{Audit, AuditRow, Check};
pub use builder::Builder;
pub use call::{Call, SysError};
pub use cause::{Cause, NamespaceLimit, ProcessLimit};
pub use error::{BuilderOption, Error, ErrorKind, OptionConflict, PathProblem, SetupError};
pub use fds::InheritedFds;
pub use handles::{Child, Entered, Inside};
pub use landlock::{landlock_abi, Enforced as LandlockEnforced};
pub use network::SharedNetwork;
pub use probe::{probe, Probe, Support};
pub use rustix::fs::OFlags;
pub use rustix::process::{Pid, Signal};
pub use rustix::thread::CapabilitySet;
pub use sandbox::Sandbox;
pub use sandbox_mount::{MountApi, Propagation};
pub use sandbox_namespaces::{IdMap, NamespaceId, Namespaces};
pub use sandbox_namespaces::{Setgroups, SubordinateRange};
pub use sandbox_proc_fd::ProcSelfFd;
pub use sandbox_process::ExitStatus;
pub use sandbox_seccomp::{Action as SeccompAction, Filter};
pub use step::Step;

/// How much confinement [`Sandbox::enter`] sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// New namespaces, a fresh proc, and `pivot_root` into the shared directory. The
    /// default, and the only mode that confines a process that holds open descriptors or
    /// runs as root.
    #[default]
    Namespace,
    /// No namespaces and no fork: the calling process restricts itself with Landlock
    /// (Linux 5.13, no privilege needed) to the shared directory, by its real path:
    /// reading and executing beneath it, and writing beneath it unless
    /// [`Builder::read_only`]; nothing outside it. Where the kernel's Landlock ABI has them,
    /// TCP bind and connect are refused too (ABI 4, Linux 6.7; listeners bound before
    /// entering keep accepting), and signals to, and abstract UNIX sockets of, processes
    /// outside are refused (ABI 6, Linux 6.12). The descriptor rules, a new session and
    /// keyring, the capability drop and the seccomp filter apply as in
    /// [`Mode::Namespace`]; through the proc-fd handle the process reopens files beneath the
    /// shared directory and opens nothing else of `/proc`.
    /// A kernel without Landlock is refused ([`Step::Landlock`], `ENOSYS` or
    /// `EOPNOTSUPP`): it would give no confinement.
    ///
    /// For containers that refuse namespaces (Docker's default seccomp profile, Ubuntu's
    /// AppArmor rule on unprivileged user namespaces, Flatpak, a pod without
    /// `CAP_SYS_ADMIN`). Does not protect against what only namespaces hide: other
    /// processes of the same uid (`ptrace` and `/proc/<pid>` of the host's pid namespace;
    /// signals are scoped on ABI 6), the network beyond TCP (UDP, raw sockets as root), the
    /// host's IPC and host name; paths keep their host names (`/srv/shared/file`, not
    /// `/file`), and a process that is already a process-group leader keeps its group.
    /// [`Sandbox::enter`] returns [`Entered::Inside`]: no process is forked.
    Landlock,
    /// No namespaces and no fork: `chroot(2)` into the shared directory. Needs
    /// `CAP_SYS_CHROOT`. Then, as in [`Mode::Landlock`]: the descriptor rules, a new session
    /// and keyring, the capabilities dropped (a root daemon keeping `CAP_SYS_CHROOT` could
    /// leave the chroot), the Landlock layer on the shared directory where the kernel has it
    /// ([`Builder::landlock`]), and the seccomp filter. Its proc-fd handle comes from a
    /// private proc instance that shows processes only (`subset=pid`: no `/proc/sys`),
    /// where the kernel allows one (root), else from the host's proc under the Landlock
    /// layer. Does not protect against other processes (same pid namespace), the network,
    /// the host's IPC and mounts (shared with the host), nor, without Landlock, a
    /// descriptor that points outside. [`Sandbox::enter`] returns [`Entered::Inside`]
    /// only: no process is forked.
    Chroot,
    /// No confinement at all: only the [`ProcSelfFd`] handle, captured from the host's
    /// proc (where `..` from the handle still reaches `/proc`), and the seccomp filter
    /// ([`Builder::seccomp`], with `no_new_privs` unless the process has `CAP_SYS_ADMIN`).
    /// For environments where neither namespaces nor chroot are allowed and the daemon
    /// still wants one code path. [`Sandbox::enter`] returns [`Entered::Inside`] only.
    None,
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

#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

#[doc(hidden)]
pub mod timing;
