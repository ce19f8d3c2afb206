//! [`Inside::audit`](crate::Inside::audit): the sandbox read back from the kernel, in the
//! sandboxed process, against what was asked.
//!
//! What was asked is an [`Expected`], made where the sandbox is set up (in
//! [`Mode::Namespace`] by the original process just before the fork, completed in the
//! sandboxed child; in the process itself in the other modes) with the state
//! of the original process taken at the top of [`Sandbox::enter`](crate::Sandbox::enter)
//! ([`Before`]). What the kernel says is read at each call, live. One row per [`Check`]:
//!
//! | row | module |
//! |---|---|
//! | namespaces, id maps | `namespaces` |
//! | root, mounts | `mounts` |
//! | capabilities, no_new_privs, seccomp, session, keyring | `process` |
//! | landlock, descriptors | `fds` |

mod expected;
mod fds;
mod mounts;
mod namespaces;
mod process;

use std::fmt;

use rustix::io::Errno;

pub(crate) use expected::{Before, Expected};

use crate::{Inside, Mode};

/// What one row of an [`Audit`] checks.
///
/// Each row reads its kernel interface live, in the sandboxed process, at every
/// [`Inside::audit`](crate::Inside::audit) call. A row that does not apply in the sandbox's
/// mode or configuration says so in its expected value and holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// Each namespace the sandbox created is not the original process's: their
    /// [`NamespaceId`](crate::NamespaceId)s differ. Read with
    /// `ioctl(pidfd, PIDFD_GET_<TYPE>_NAMESPACE)` on a pidfd of the process itself (Linux
    /// 6.11; there is no `/proc` inside), against the ids the original process had at the top
    /// of [`Sandbox::enter`](crate::Sandbox::enter). [`Mode::Namespace`] only.
    Namespaces,
    /// `/` is the shared directory (the device and inode of the directory opened by
    /// [`Builder::build`](crate::Builder::build), from `stat("/")`), and, after the pivot, no
    /// mount but the shared tree is visible: one mount at `/` (the old root is not stacked on
    /// it) and no proc. The mounts come from `listmount(2)` and `statmount(2)` (Linux 6.8).
    /// In [`Mode::Chroot`] the first part, and no `CAP_SYS_CHROOT` in the permitted set
    /// (`capget(2)`): a process that may chroot again leaves a chroot. Not in [`Mode::None`].
    Root,
    /// Every visible mount is read-only when [`Builder::read_only`](crate::Builder::read_only)
    /// asked for it, and `nodev` when [`Builder::nodev`](crate::Builder::nodev) did (the
    /// default): the `MOUNT_ATTR_*` attributes and the super block's `SB_RDONLY` from
    /// `statmount(2)` (Linux 6.8). [`Mode::Namespace`] only.
    Mounts,
    /// The effective, permitted, inheritable, ambient and bounding capability sets of the
    /// calling thread (threads started after entering inherit them) hold only what
    /// [`Builder::keep_capabilities`](crate::Builder::keep_capabilities) kept:
    /// `capget(2)`, and `prctl(PR_CAPBSET_READ)` and `prctl(PR_CAP_AMBIENT_IS_SET)` for each
    /// capability the kernel knows. [`Mode::Namespace`] only (the other modes drop none).
    Capabilities,
    /// `no_new_privs` is set when it should be: with [`Builder::no_new_privs`](crate::Builder::no_new_privs),
    /// or when a seccomp filter was installed without `CAP_SYS_ADMIN` (the kernel requires
    /// it then). `prctl(PR_GET_NO_NEW_PRIVS)`.
    NoNewPrivs,
    /// The process is in seccomp filter mode when [`Builder::seccomp`](crate::Builder::seccomp)
    /// installed a filter: `prctl(PR_GET_SECCOMP)`; and, where the proc-fd handle's parent is
    /// the process's `/proc/<pid>` ([`Mode::Chroot`], [`Mode::None`]), how many filters
    /// `Seccomp_filters:` of its `status` counts.
    Seccomp,
    /// The Landlock layer is enforced when it was asked for. The ABI from
    /// `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`, and a probe:
    /// listing the proc-fd handle's directory, which no rule of the sandbox's covers, fails
    /// with `EACCES` under Landlock and works without it. Where the kernel has no Landlock the
    /// layer is best effort: the row says so and holds.
    Landlock,
    /// The uid and gid maps of the user namespace the sandbox made are the maps it asked for
    /// ([`Sandbox::uid_map`](crate::Sandbox::uid_map), [`Sandbox::gid_map`](crate::Sandbox::gid_map)),
    /// and the process is still in that user namespace. The maps are read by the sandboxed
    /// process from `/proc/self/uid_map` and `gid_map` while its fresh proc is still mounted
    /// (a user namespace's maps are written once and never change); the user namespace is
    /// compared live, as for [`Check::Namespaces`]. Only when the sandbox made a user
    /// namespace.
    IdMaps,
    /// With [`Builder::new_session`](crate::Builder::new_session) (the default), the session
    /// and process group are the process's own: `getsid(0)` and `getpgid(0)` are its pid
    /// (under [`Builder::init`](crate::Builder::init), the init's, pid 1, whose session it
    /// shares), so they are not the original process's. [`Mode::Namespace`] only.
    Session,
    /// With [`Builder::new_keyring`](crate::Builder::new_keyring) (the default), the session
    /// keyring is not the original process's: `keyctl(KEYCTL_GET_KEYRING_ID,
    /// KEY_SPEC_SESSION_KEYRING)` inside and in the original process at the top of
    /// [`Sandbox::enter`](crate::Sandbox::enter). A refusal of `keyctl` (the default seccomp
    /// filter refuses it) is the kernel saying no keyring is reachable: the row holds.
    /// [`Mode::Namespace`] only.
    Keyring,
    /// The open descriptors are standard input, output and error (those open), the proc-fd
    /// handle and the kept ones ([`Builder::keep_fd`](crate::Builder::keep_fd)), nothing
    /// else: the handle's directory listed (or, where listing it is refused, every number
    /// probed with `fcntl(F_GETFD)`). Descriptors the daemon opened after entering count too:
    /// audit right after entering. [`Mode::Namespace`] with [`InheritedFds::Close`](crate::InheritedFds::Close) only.
    Descriptors,
}

impl Check {
    /// Every check, in the order of the rows (more may come: the enum is non-exhaustive).
    pub const ALL: &'static [Check] = &[
        Check::Namespaces,
        Check::Root,
        Check::Mounts,
        Check::Capabilities,
        Check::NoNewPrivs,
        Check::Seccomp,
        Check::Landlock,
        Check::IdMaps,
        Check::Session,
        Check::Keyring,
        Check::Descriptors,
    ];

    /// The row's name in the table: `namespaces`, `root`, `mounts`, `capabilities`,
    /// `no_new_privs`, `seccomp`, `landlock`, `id maps`, `session`, `keyring`,
    /// `descriptors`.
    pub fn name(self) -> &'static str {
        match self {
            Check::Namespaces => "namespaces",
            Check::Root => "root",
            Check::Mounts => "mounts",
            Check::Capabilities => "capabilities",
            Check::NoNewPrivs => "no_new_privs",
            Check::Seccomp => "seccomp",
            Check::Landlock => "landlock",
            Check::IdMaps => "id maps",
            Check::Session => "session",
            Check::Keyring => "keyring",
            Check::Descriptors => "descriptors",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of an [`Audit`]: a [`Check`], what the sandbox asked for, what the kernel
/// answered, and whether that answer is what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditRow {
    /// What the row checks.
    pub check: Check,
    /// What the sandbox asked for, or why the row does not apply (then it holds).
    pub expected: String,
    /// What the kernel answered (or why it could not be read: then the row does not hold).
    pub found: String,
    /// Whether the kernel's answer is what was asked.
    pub holds: bool,
}

impl AuditRow {
    fn new(
        check: Check,
        expected: impl Into<String>,
        found: impl Into<String>,
        holds: bool,
    ) -> Self {
        AuditRow {
            check,
            expected: expected.into(),
            found: found.into(),
            holds,
        }
    }

    /// A row that does not apply: `why` says so, and it holds.
    fn not_applicable(check: Check, why: impl Into<String>, found: impl Into<String>) -> Self {
        AuditRow::new(check, why, found, true)
    }
}

/// What [`Inside::audit`](crate::Inside::audit) found: one [`AuditRow`] per [`Check`], in
/// the order of [`Check::ALL`].
///
/// `Display` prints an aligned table, one row per line, then whether the sandbox is
/// confined; a daemon logs it as it is:
///
/// ```text
/// check         holds  expected                                  found
/// namespaces    yes    new mnt|pid|net|ipc|uts|cgroup            all 6 differ from the original process's
/// ...
/// confined: yes
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    mode: Mode,
    rows: Vec<AuditRow>,
}

impl Audit {
    /// Whether the sandbox holds: every row holds, and the mode confines at all
    /// ([`Mode::None`] never does).
    pub fn is_confined(&self) -> bool {
        self.mode != Mode::None && self.rows.iter().all(|r| r.holds)
    }

    /// The rows, in the order of [`Check::ALL`].
    pub fn rows(&self) -> &[AuditRow] {
        &self.rows
    }

    /// The row of one check.
    pub fn row(&self, check: Check) -> Option<&AuditRow> {
        self.rows.iter().find(|r| r.check == check)
    }

    /// The rows that do not hold.
    pub fn failed(&self) -> impl Iterator<Item = &AuditRow> {
        self.rows.iter().filter(|r| !r.holds)
    }

    /// The mode the sandbox was entered in.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl<'a> IntoIterator for &'a Audit {
    type Item = &'a AuditRow;
    type IntoIter = std::slice::Iter<'a, AuditRow>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let check_w = self
            .rows
            .iter()
            .map(|r| r.check.name().len())
            .chain(["check".len()])
            .max()
            .unwrap_or(0);
        let expected_w = self
            .rows
            .iter()
            .map(|r| r.expected.chars().count())
            .chain(["expected".len()])
            .max()
            .unwrap_or(0);
        writeln!(
            f,
            "{:<check_w$}  {:<5}  {:<expected_w$}  found",
            "check", "holds", "expected"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:<check_w$}  {:<5}  {:<expected_w$}  {}",
                r.check.name(),
                if r.holds { "yes" } else { "NO" },
                r.expected,
                r.found
            )?;
        }
        let confined = match (self.mode, self.is_confined()) {
            (Mode::None, _) => "no (Mode::None confines nothing)",
            (_, true) => "yes",
            (_, false) => "NO",
        };
        write!(f, "confined: {confined}")
    }
}

/// Reads every row for `inside`.
pub(crate) fn audit(inside: &Inside) -> Audit {
    let expected = &inside.audit;
    let handle = &inside.proc_self_fd;
    let listing = fds::open_listing(handle);
    let mounts = mounts::read(expected);
    let live = namespaces::read(expected);
    let rows = vec![
        namespaces::namespaces(expected, &live),
        mounts::root(expected, inside.pivoted, &mounts),
        mounts::attributes(expected, &mounts),
        process::capabilities(expected),
        process::no_new_privs(expected),
        process::seccomp(expected, handle),
        fds::landlock(expected, &listing),
        namespaces::id_maps(expected, &live),
        process::session(expected),
        process::keyring(expected),
        fds::descriptors(expected, handle, listing),
    ];
    debug_assert!(rows.iter().map(|r| r.check).eq(Check::ALL.iter().copied()));
    Audit {
        mode: expected.mode,
        rows,
    }
}

/// `EPERM`, `ENOSYS`, ...: the name of an errno the rows meet, else the kernel's text.
pub(super) fn errno_name(errno: Errno) -> String {
    let name = match errno {
        Errno::PERM => "EPERM",
        Errno::NOENT => "ENOENT",
        Errno::SRCH => "ESRCH",
        Errno::BADF => "EBADF",
        Errno::ACCESS => "EACCES",
        Errno::INVAL => "EINVAL",
        Errno::NOTTY => "ENOTTY",
        Errno::NOSYS => "ENOSYS",
        Errno::NODATA => "ENODATA",
        Errno::OPNOTSUPP => "EOPNOTSUPP",
        Errno::NOKEY => "ENOKEY",
        errno => return errno.to_string(),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(check: Check, holds: bool) -> AuditRow {
        AuditRow::new(check, "asked", "found", holds)
    }

    #[test]
    fn confined_needs_every_row_and_a_mode_that_confines() {
        let all = |holds: bool| {
            Check::ALL
                .iter()
                .map(|&c| row(c, holds))
                .collect::<Vec<_>>()
        };
        let audit = |mode, rows| Audit { mode, rows };
        assert!(audit(Mode::Namespace, all(true)).is_confined());
        assert!(audit(Mode::Chroot, all(true)).is_confined());
        assert!(!audit(Mode::None, all(true)).is_confined());
        let mut one_fails = all(true);
        one_fails[3].holds = false;
        let a = audit(Mode::Namespace, one_fails);
        assert!(!a.is_confined());
        assert_eq!(
            a.failed().map(|r| r.check).collect::<Vec<_>>(),
            [Check::Capabilities]
        );
        assert_eq!(a.row(Check::Capabilities).map(|r| r.holds), Some(false));
        assert_eq!((&a).into_iter().count(), Check::ALL.len());
    }

    #[test]
    fn the_table_is_aligned_and_says_whether_it_is_confined() {
        let a = Audit {
            mode: Mode::Namespace,
            rows: vec![
                AuditRow::new(Check::Root, "/ is the shared dir", "it is", true),
                AuditRow::new(Check::Descriptors, "0, 1, 2", "0, 1, 2, 7", false),
            ],
        };
        let text = a.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "check        holds  expected             found");
        assert_eq!(lines[1], "root         yes    / is the shared dir  it is");
        assert_eq!(
            lines[2],
            "descriptors  NO     0, 1, 2              0, 1, 2, 7"
        );
        assert_eq!(lines[3], "confined: NO");
        let none = Audit {
            mode: Mode::None,
            rows: vec![],
        };
        assert!(none
            .to_string()
            .ends_with("confined: no (Mode::None confines nothing)"));
    }

    /// What a sandbox in `mode` that asked for nothing expects.
    fn asked_nothing(mode: Mode) -> Box<Expected> {
        Box::new(Expected {
            mode,
            created: crate::Namespaces::empty(),
            shared: Err(Errno::NODATA),
            read_only: false,
            nodev: false,
            keep_caps: None,
            bounding_fixed: false,
            filter: false,
            no_new_privs: None,
            landlock: None,
            user_ns: None,
            new_session: None,
            init: false,
            new_keyring: None,
            kept_fds: None,
            inherited_fds: crate::InheritedFds::Close,
            before: Before::default(),
        })
    }

    /// No sandbox can be found contradicting the no_new_privs and seccomp rows (neither can
    /// be undone), so they are shown failing against this test process, which has neither,
    /// as the kernel says.
    #[test]
    fn the_filter_and_no_new_privs_rows_fail_where_the_kernel_says_neither_is_there() {
        use rustix::thread::SecureComputingMode;
        if rustix::thread::secure_computing_mode() != Ok(SecureComputingMode::Disabled)
            || rustix::thread::no_new_privs() != Ok(false)
        {
            eprintln!("skipped: this test process already has a filter or no_new_privs");
            return;
        }
        let mut expected = asked_nothing(Mode::None);
        expected.filter = true;
        expected.no_new_privs = Some("the test says so");
        let inside = Inside {
            proc_self_fd: crate::ProcSelfFd::open_unconfined().expect("/proc/self/fd"),
            pivoted: false,
            nofile_limit: None,
            landlock: None,
            audit: expected,
        };
        let audit = inside.audit();
        assert_eq!(
            audit.failed().map(|r| r.check).collect::<Vec<_>>(),
            [Check::NoNewPrivs, Check::Seccomp],
            "{audit}"
        );
        let seccomp = audit.row(Check::Seccomp).expect("a seccomp row");
        assert_eq!(
            (seccomp.expected.as_str(), seccomp.found.as_str()),
            ("filter mode", "no filter")
        );
        let nnp = audit.row(Check::NoNewPrivs).expect("a no_new_privs row");
        assert_eq!(nnp.found, "not set");
    }

    #[test]
    fn check_names_are_unique_and_in_order() {
        let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert_eq!(Check::IdMaps.to_string(), "id maps");
    }
}
