//! The original process's side of the user namespace: which maps to write and by whom,
//! the id-map helper process, joining namespaces by fd, and why user namespaces fail.
//!
//! A process may write only its own id, alone, into the maps of a user namespace it just
//! created: after `unshare(CLONE_NEWUSER)` it has no capability left in the parent
//! namespace, even when it was root. Anything more (ranges, other ids, `setgroups` allowed)
//! needs a writer that stayed outside. [`IdMapHelper`] is that writer: a process forked
//! *before* the unshare, which waits on a pipe until its parent has unshared, then writes
//! the parent's maps (directly when it is root, else through the setuid `newuidmap` and
//! `newgidmap`), reports over a second pipe and exits. The sandboxed process itself never
//! execs anything.

use std::ffi::OsStr;
use std::fmt;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use sandbox_namespaces::{IdMap, IdMapTool, IdMapToolStatus, Setgroups};
use sandbox_process::Fork;

use crate::error::{Error, Step};
use crate::sys;

/// Why user namespaces (or the maps of one) are not available: what
/// [`Error::cause`](crate::Error::cause) and [`probe`](crate::probe) found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// `user.max_user_namespaces` is 0 in the calling process's user namespace (`ENOSPC`
    /// from `unshare`).
    UserNamespacesDisabled,
    /// `unshare` answered `ENOSPC` or `EUSERS` while `user.max_user_namespaces` is not 0: a
    /// limit in `/proc/sys/user` or the nesting depth (32) was reached.
    NamespaceLimitReached,
    /// AppArmor restricts unprivileged user namespaces
    /// (`kernel.apparmor_restrict_unprivileged_userns` is 1; Ubuntu 23.10 and later).
    AppArmorRestricted,
    /// `kernel.unprivileged_userns_clone` is 0 (a Debian patch, older kernels).
    UnprivilegedUsernsCloneDisabled,
    /// A seccomp filter is active (`Seccomp: 2` in `/proc/self/status`) and `unshare`
    /// returned `EPERM`: a container runtime's profile, most likely.
    SeccompRefused,
    /// `unshare` returned `EPERM` and none of the above was found: no `CAP_SYS_ADMIN` for a
    /// namespace other than USER, a chroot, or an LSM.
    UnshareRefused,
    /// The map needs `newuidmap` or `newgidmap`, and it is not installed (not in `PATH`).
    IdMapToolMissing {
        /// `newuidmap` or `newgidmap`.
        program: String,
    },
    /// The map needs subordinate ids and the user has none in the file.
    NoSubordinateIds {
        /// The user, by name when it has one, else by uid.
        user: String,
        /// `/etc/subuid` or `/etc/subgid`.
        file: PathBuf,
    },
    /// `newuidmap` or `newgidmap` refused the map; its message is carried.
    IdMapToolRefused {
        /// The program.
        program: PathBuf,
        /// What it printed.
        message: String,
    },
    /// The process wrote its own maps and the kernel refused (`EPERM`): without a helper
    /// it may map only its own uid and gid, one line each.
    OwnIdsOnly,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::UserNamespacesDisabled => f.write_str(
                "user namespaces are disabled: user.max_user_namespaces is 0 in this namespace",
            ),
            Cause::NamespaceLimitReached => f.write_str(
                "a namespace limit was reached (user.max_user_namespaces and its siblings in \
                 /proc/sys/user, or 32 nested user namespaces)",
            ),
            Cause::AppArmorRestricted => f.write_str(
                "AppArmor restricts unprivileged user namespaces \
                 (kernel.apparmor_restrict_unprivileged_userns = 1): give the daemon an AppArmor \
                 profile that allows userns, or run it as root",
            ),
            Cause::UnprivilegedUsernsCloneDisabled => f.write_str(
                "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
            ),
            Cause::SeccompRefused => f.write_str(
                "a seccomp filter refuses unshare (EPERM with Seccomp: 2 in /proc/self/status): \
                 a container's profile forbids namespaces; Mode::Chroot or Mode::None work \
                 without them",
            ),
            Cause::UnshareRefused => f.write_str(
                "unshare was refused (EPERM): missing CAP_SYS_ADMIN, a chroot or an LSM; inside \
                 a container Mode::Chroot or Mode::None work without namespaces",
            ),
            Cause::IdMapToolMissing { program } => write!(
                f,
                "{program} is not installed (package uidmap on Debian and Ubuntu, shadow-utils \
                 elsewhere); it is needed to map more than the process's own ids"
            ),
            Cause::NoSubordinateIds { user, file } => write!(
                f,
                "user {user} has no subordinate ids in {}: add a line such as \
                 \"{user}:100000:65536\" (usermod --add-subuids / --add-subgids)",
                file.display()
            ),
            Cause::IdMapToolRefused { program, message } => {
                write!(f, "{} refused the map: {message}", program.display())
            }
            Cause::OwnIdsOnly => f.write_str(
                "this process may map only its own uid and gid, one line each; other ids, \
                 ranges and setgroups allow need newuidmap/newgidmap or root",
            ),
        }
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// What the diagnosis of an `unshare` failure looks at.
#[derive(Debug, Default)]
struct Facts {
    root: bool,
    max_user_namespaces: Option<String>,
    apparmor_restrict: Option<String>,
    userns_clone: Option<String>,
    seccomp: bool,
}

/// Why `unshare` (or `setns`) returned `errno`, from the sysctls and the process status
/// read now.
pub(crate) fn unshare_cause(errno: Errno) -> Option<Cause> {
    let facts = Facts {
        root: rustix::process::geteuid().is_root(),
        max_user_namespaces: read_trimmed("/proc/sys/user/max_user_namespaces"),
        apparmor_restrict: read_trimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
        userns_clone: read_trimmed("/proc/sys/kernel/unprivileged_userns_clone"),
        seccomp: seccomp_filtered(),
    };
    classify(errno, &facts)
}

fn classify(errno: Errno, facts: &Facts) -> Option<Cause> {
    match errno {
        Errno::NOSPC | Errno::USERS => Some(match facts.max_user_namespaces.as_deref() {
            Some("0") => Cause::UserNamespacesDisabled,
            _ => Cause::NamespaceLimitReached,
        }),
        Errno::PERM => Some(
            if !facts.root && facts.apparmor_restrict.as_deref() == Some("1") {
                Cause::AppArmorRestricted
            } else if !facts.root && facts.userns_clone.as_deref() == Some("0") {
                Cause::UnprivilegedUsernsCloneDisabled
            } else if facts.seccomp {
                Cause::SeccompRefused
            } else {
                Cause::UnshareRefused
            },
        ),
        _ => None,
    }
}

/// Whether a seccomp filter is installed on this process: `Seccomp: 2`.
fn seccomp_filtered() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.strip_prefix("Seccomp:").map(str::trim) == Some("2"))
    })
}

/// The user as newuidmap names it: by name from `/etc/passwd`, else by uid.
pub(crate) fn user_label(uid: u32) -> String {
    sandbox_namespaces::user_name(uid)
        .ok()
        .flatten()
        .unwrap_or_else(|| uid.to_string())
}

/// The cause of a helper failure: a missing tool, no subordinate ids at all, or the
/// tool's own refusal.
pub(crate) fn helper_cause(e: &sandbox_namespaces::Error, uid: u32) -> Option<Cause> {
    match e {
        sandbox_namespaces::Error::IdMapToolNotFound { program } => Some(Cause::IdMapToolMissing {
            program: program.display().to_string(),
        }),
        sandbox_namespaces::Error::IdMapToolFailed {
            program, message, ..
        } => {
            let file = if program.file_name() == Some(OsStr::new("newgidmap")) {
                sandbox_namespaces::SUBGID_FILE
            } else {
                sandbox_namespaces::SUBUID_FILE
            };
            let name = sandbox_namespaces::user_name(uid).ok().flatten();
            match sandbox_namespaces::subordinate_ranges(file, name.as_deref(), uid) {
                Ok(ranges) if ranges.is_empty() => Some(Cause::NoSubordinateIds {
                    user: name.unwrap_or_else(|| uid.to_string()),
                    file: PathBuf::from(file),
                }),
                _ => Some(Cause::IdMapToolRefused {
                    program: program.clone(),
                    message: message.clone(),
                }),
            }
        }
        // The helper's own writes (as root) name the file and errno; no cause beyond that.
        _ => None,
    }
}

/// Who writes the maps of a new user namespace.
#[derive(Debug)]
pub(crate) enum Writer {
    /// The process itself, right after `unshare`: its own ids, setgroups denied.
    Itself,
    /// A helper forked before the unshare. `tools` is `None` when the helper writes
    /// `/proc/<pid>/*_map` itself (it has `CAP_SETUID`/`CAP_SETGID`: root), else the paths
    /// of `newuidmap` and `newgidmap`.
    Helper { tools: Option<(PathBuf, PathBuf)> },
}

/// Decides who writes the maps, and finds the tools if needed.
pub(crate) fn choose_writer(
    uid: u32,
    gid: u32,
    uid_map: &[IdMap],
    gid_map: &[IdMap],
    setgroups: Setgroups,
) -> Result<Writer, Error> {
    let own = sandbox_namespaces::is_own_id_map(uid_map, uid)
        && sandbox_namespaces::is_own_id_map(gid_map, gid);
    if own && setgroups == Setgroups::Deny {
        return Ok(Writer::Itself);
    }
    if rustix::process::geteuid().is_root() {
        return Ok(Writer::Helper { tools: None });
    }
    let find = |tool: IdMapTool| {
        tool.find().map_err(|source| Error::IdMaps {
            cause: helper_cause(&source, uid),
            source: Box::new(source),
        })
    };
    Ok(Writer::Helper {
        tools: Some((find(IdMapTool::NewUidMap)?, find(IdMapTool::NewGidMap)?)),
    })
}

/// The helper process, seen from its parent: forked, waiting for the word.
pub(crate) struct IdMapHelper {
    child: sandbox_process::Child,
    go: Option<OwnedFd>,
    result: OwnedFd,
    uid: u32,
}

impl IdMapHelper {
    /// Forks the helper. The caller must be single-threaded (checked by the fork) and must
    /// call [`IdMapHelper::write_maps`] after its `unshare(CLONE_NEWUSER)`, or drop the
    /// helper (which then exits without writing anything).
    pub(crate) fn spawn(
        writer: &Writer,
        uid_map: &[IdMap],
        gid_map: &[IdMap],
        setgroups: Setgroups,
        uid: u32,
    ) -> Result<IdMapHelper, Error> {
        let Writer::Helper { tools } = writer else {
            return Err(Error::setup(Step::WriteIdMaps, &Errno::INVAL));
        };
        let pipe = || {
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                .map_err(|e| Error::setup(Step::WriteIdMaps, &e))
        };
        let (go_rx, go_tx) = pipe()?;
        let (result_rx, result_tx) = pipe()?;
        let parent = rustix::process::getpid();
        match sandbox_process::fork().map_err(|e| Error::setup(Step::WriteIdMaps, &e))? {
            Fork::Child => {
                drop(go_tx);
                drop(result_rx);
                let mut byte = [0u8; 1];
                let go = loop {
                    match rustix::io::read(&go_rx, &mut byte) {
                        Err(Errno::INTR) => continue,
                        other => break other,
                    }
                };
                // The parent closed the pipe without the word: it gave up before or at
                // the unshare. Write nothing.
                if go != Ok(1) {
                    sys::exit_now(0);
                }
                let outcome = match tools {
                    None => sandbox_namespaces::write_id_maps_of(
                        parent,
                        uid_map,
                        gid_map,
                        Some(setgroups),
                    ),
                    Some((newuidmap, newgidmap)) => sandbox_namespaces::run_id_map_tool(
                        newgidmap, parent, gid_map,
                    )
                    .and_then(|()| sandbox_namespaces::run_id_map_tool(newuidmap, parent, uid_map)),
                };
                let _ = write_all(&result_tx, &encode(outcome.as_ref().err()));
                sys::exit_now(0)
            }
            Fork::Parent(child) => Ok(IdMapHelper {
                child,
                go: Some(go_tx),
                result: result_rx,
                uid,
            }),
        }
    }

    /// Tells the helper to write the maps (the caller has unshared its user namespace),
    /// waits for its report and reaps it.
    pub(crate) fn write_maps(mut self) -> Result<(), Error> {
        let told = match self.go.take() {
            Some(go) => write_all(&go, b"g"),
            None => Err(Errno::PIPE),
        };
        let report = read_all(&self.result);
        let _ = self.child.wait();
        told.map_err(|e| Error::setup(Step::WriteIdMaps, &e))?;
        let report = report.map_err(|e| Error::setup(Step::WriteIdMaps, &e))?;
        match decode(&report) {
            Some(None) => Ok(()),
            Some(Some(source)) => Err(Error::IdMaps {
                cause: helper_cause(&source, self.uid),
                source: Box::new(source),
            }),
            None => Err(Error::setup(Step::WriteIdMaps, &Errno::PIPE)),
        }
    }
}

impl Drop for IdMapHelper {
    fn drop(&mut self) {
        // Without the word the helper exits as soon as the pipe closes; reap it. After
        // write_maps it is reaped already and wait returns the same status.
        drop(self.go.take());
        let _ = self.child.wait();
    }
}

const OK: u8 = b'O';
const WRITE: u8 = b'W';
const SPAWN: u8 = b'S';
const REFUSED: u8 = b'F';
const OTHER: u8 = b'X';
const MAX_FIELD: usize = 1000;

/// The helper's report: `O`, or a tag, the errno and three NUL-separated fields.
fn encode(error: Option<&sandbox_namespaces::Error>) -> Vec<u8> {
    use sandbox_namespaces::Error as E;
    let Some(error) = error else {
        return vec![OK];
    };
    let (tag, path, status, message) = match error {
        E::WriteIdMap { path, .. } => (
            WRITE,
            path.as_os_str().as_bytes(),
            String::new(),
            String::new(),
        ),
        E::SpawnIdMapTool { program, .. } => (
            SPAWN,
            program.as_os_str().as_bytes(),
            String::new(),
            String::new(),
        ),
        E::IdMapToolFailed {
            program,
            status,
            message,
            ..
        } => (
            REFUSED,
            program.as_os_str().as_bytes(),
            status.to_string(),
            message.clone(),
        ),
        other => (OTHER, &b""[..], String::new(), other.to_string()),
    };
    let cut = |b: &[u8]| b[..b.len().min(MAX_FIELD)].to_vec();
    let mut out = vec![tag];
    out.extend_from_slice(&error.errno().map_or(0, |e| e.raw_os_error()).to_le_bytes());
    for field in [cut(path), cut(status.as_bytes()), cut(message.as_bytes())] {
        out.extend(field.into_iter().filter(|&b| b != 0));
        out.push(0);
    }
    out
}

/// `None` for a report that is not whole; `Some(None)` for success.
fn decode(report: &[u8]) -> Option<Option<sandbox_namespaces::Error>> {
    use sandbox_namespaces::Error as E;
    let (&tag, rest) = report.split_first()?;
    if tag == OK {
        return rest.is_empty().then_some(None);
    }
    let errno = i32::from_le_bytes(rest.get(..4)?.try_into().ok()?);
    let errno = if errno == 0 {
        Errno::IO
    } else {
        Errno::from_raw_os_error(errno)
    };
    let mut fields = rest[4..].split(|&b| b == 0);
    let path = PathBuf::from(OsStr::from_bytes(fields.next()?));
    let status = String::from_utf8_lossy(fields.next()?).into_owned();
    let message = String::from_utf8_lossy(fields.next()?).into_owned();
    if fields.next() != Some(&[][..]) || fields.next().is_some() {
        return None;
    }
    Some(Some(match tag {
        WRITE => E::WriteIdMap { path, errno },
        SPAWN => E::SpawnIdMapTool {
            program: path,
            errno,
        },
        REFUSED => E::IdMapToolFailed {
            program: path,
            pid: 0,
            status: tool_status(&status)?,
            message,
        },
        _ => E::IdMapToolFailed {
            program: PathBuf::from("id map helper"),
            pid: 0,
            status: IdMapToolStatus::Exited(1),
            message,
        },
    }))
}

/// The status of a refusing tool, back from its `Display` text (`exit code 1`,
/// `signal 9`).
fn tool_status(text: &str) -> Option<IdMapToolStatus> {
    if let Some(code) = text.strip_prefix("exit code ") {
        return code.parse().ok().map(IdMapToolStatus::Exited);
    }
    text.strip_prefix("signal ")?
        .parse()
        .ok()
        .map(IdMapToolStatus::Signaled)
}

fn write_all(fd: &OwnedFd, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn read_all(fd: &OwnedFd) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        match rustix::io::read(fd, &mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Namespaces to join by fd instead of creating them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Joins {
    pub(crate) user: Option<std::sync::Arc<OwnedFd>>,
    pub(crate) mount: Option<std::sync::Arc<OwnedFd>>,
    pub(crate) net: Option<std::sync::Arc<OwnedFd>>,
}

impl Joins {
    pub(crate) fn is_empty(&self) -> bool {
        self.user.is_none() && self.mount.is_none() && self.net.is_none()
    }

    /// `setns` into each given namespace, user first (it grants the capabilities for the
    /// others). Returns a descriptor on the shared directory looked up again in the joined
    /// mount namespace, when one was joined: `setns(CLONE_NEWNS)` moves the root and cwd to
    /// that namespace's root, and descriptors opened before point into the old one.
    pub(crate) fn enter(&self, shared: &Path) -> Result<Option<OwnedFd>, Error> {
        use sandbox_namespaces::Namespaces;
        let join = |fd: &OwnedFd, ns: Namespaces| {
            sandbox_namespaces::setns(fd, ns).map_err(|e| match e {
                sandbox_namespaces::Error::MultiThreaded { threads } => {
                    Error::MultiThreaded { threads }
                }
                e => Error::setup(Step::JoinNamespace, &e),
            })
        };
        if let Some(fd) = &self.user {
            join(fd, Namespaces::USER)?;
        }
        if let Some(fd) = &self.net {
            join(fd, Namespaces::NET)?;
        }
        let Some(fd) = &self.mount else {
            return Ok(None);
        };
        join(fd, Namespaces::MOUNT)?;
        crate::open_shared_dir(shared).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_reports_round_trip() {
        use sandbox_namespaces::Error as E;
        assert!(matches!(decode(&encode(None)), Some(None)));
        let sent = E::IdMapToolFailed {
            program: "/usr/bin/newuidmap".into(),
            pid: 5,
            status: IdMapToolStatus::Exited(1),
            message: "newuidmap: uid range [1-2) -> [100-101) not allowed".into(),
        };
        match decode(&encode(Some(&sent))) {
            Some(Some(E::IdMapToolFailed {
                program,
                status,
                message,
                ..
            })) => {
                assert_eq!(program, Path::new("/usr/bin/newuidmap"));
                assert_eq!(status, IdMapToolStatus::Exited(1));
                assert_eq!(
                    message,
                    "newuidmap: uid range [1-2) -> [100-101) not allowed"
                );
            }
            other => panic!("{other:?}"),
        }
        let sent = E::WriteIdMap {
            path: "/proc/7/uid_map".into(),
            errno: Errno::PERM,
        };
        match decode(&encode(Some(&sent))) {
            Some(Some(E::WriteIdMap { path, errno })) => {
                assert_eq!(path, Path::new("/proc/7/uid_map"));
                assert_eq!(errno, Errno::PERM);
            }
            other => panic!("{other:?}"),
        }
        let full = encode(Some(&sent));
        for cut in 0..full.len() {
            assert!(decode(&full[..cut]).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn each_environment_gives_its_own_cause() {
        let some = |s: &str| Some(s.to_string());
        let facts = |f: fn(&mut Facts)| {
            let mut facts = Facts {
                max_user_namespaces: some("1000"),
                apparmor_restrict: None,
                userns_clone: None,
                ..Facts::default()
            };
            f(&mut facts);
            facts
        };
        let zero = facts(|f| f.max_user_namespaces = Some("0".into()));
        assert_eq!(
            classify(Errno::NOSPC, &zero),
            Some(Cause::UserNamespacesDisabled)
        );
        assert_eq!(
            classify(Errno::NOSPC, &facts(|_| {})),
            Some(Cause::NamespaceLimitReached)
        );
        assert_eq!(
            classify(Errno::USERS, &facts(|_| {})),
            Some(Cause::NamespaceLimitReached)
        );
        let apparmor = facts(|f| f.apparmor_restrict = Some("1".into()));
        assert_eq!(
            classify(Errno::PERM, &apparmor),
            Some(Cause::AppArmorRestricted)
        );
        let clone = facts(|f| f.userns_clone = Some("0".into()));
        assert_eq!(
            classify(Errno::PERM, &clone),
            Some(Cause::UnprivilegedUsernsCloneDisabled)
        );
        let seccomp = facts(|f| f.seccomp = true);
        assert_eq!(classify(Errno::PERM, &seccomp), Some(Cause::SeccompRefused));
        assert_eq!(
            classify(Errno::PERM, &facts(|_| {})),
            Some(Cause::UnshareRefused)
        );
        // Root is not restricted by the unprivileged-userns switches.
        let root_apparmor = facts(|f| {
            f.root = true;
            f.apparmor_restrict = Some("1".into());
        });
        assert_eq!(
            classify(Errno::PERM, &root_apparmor),
            Some(Cause::UnshareRefused)
        );
        assert_eq!(classify(Errno::INVAL, &facts(|_| {})), None);
        // Each cause has its own message.
        let all = [
            Cause::UserNamespacesDisabled,
            Cause::NamespaceLimitReached,
            Cause::AppArmorRestricted,
            Cause::UnprivilegedUsernsCloneDisabled,
            Cause::SeccompRefused,
            Cause::UnshareRefused,
            Cause::IdMapToolMissing {
                program: "newuidmap".into(),
            },
            Cause::NoSubordinateIds {
                user: "u".into(),
                file: "/etc/subuid".into(),
            },
            Cause::IdMapToolRefused {
                program: "/usr/bin/newuidmap".into(),
                message: "m".into(),
            },
            Cause::OwnIdsOnly,
        ];
        let texts: std::collections::BTreeSet<String> =
            all.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), all.len());
        assert!(Cause::AppArmorRestricted.to_string().contains("apparmor"));
    }

    #[test]
    fn causes_read_as_sentences() {
        let c = Cause::NoSubordinateIds {
            user: "nobody".into(),
            file: "/etc/subuid".into(),
        };
        assert!(c.to_string().contains("nobody:100000:65536"));
        assert!(Cause::UserNamespacesDisabled
            .to_string()
            .contains("max_user_namespaces is 0"));
    }
}
