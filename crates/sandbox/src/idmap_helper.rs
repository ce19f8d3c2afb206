//! Who writes the maps of a new user namespace, and the helper process that writes them
//! from outside.
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
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::io::Errno;
use sandbox_namespaces::{IdMap, IdMapTool, Setgroups};
use sandbox_process::Fork;

use crate::cause::helper_cause;
use crate::error::{Error, Step};
use crate::sys;

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
        E::WriteIdMap { path, .. } => (WRITE, path.as_os_str().as_bytes(), "", String::new()),
        E::SpawnIdMapTool { program, .. } => {
            (SPAWN, program.as_os_str().as_bytes(), "", String::new())
        }
        E::IdMapToolFailed {
            program,
            status,
            message,
            ..
        } => (
            REFUSED,
            program.as_os_str().as_bytes(),
            "",
            message.clone(),
        ),
        other => (OTHER, &b""[..], "", other.to_string()),
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
        WRITE => E::WriteIdMap {
            path,
            errno,
        },
        SPAWN => E::SpawnIdMapTool {
            program: path,
            errno,
        },
        REFUSED => E::IdMapToolFailed {
            program: path,
            pid: 0,
            status: sandbox_namespaces::IdMapToolStatus::Exited(1),
            message,
        },
        _ => E::IdMapToolFailed {
            program: PathBuf::from("id map helper"),
            pid: 0,
            status: sandbox_namespaces::IdMapToolStatus::Exited(1),
            message,
        },
    }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn helper_reports_round_trip() {
        use sandbox_namespaces::Error as E;
        assert!(matches!(decode(&encode(None)), Some(None)));
        let sent = E::IdMapToolFailed {
            program: "/usr/bin/newuidmap".into(),
            pid: 5,
            status: "exit code 1".into(),
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
                assert_eq!(status, "exit code 1");
                assert_eq!(
                    message,
                    "newuidmap: uid range [1-2) -> [100-101) not allowed"
                );
            }
            other => panic!("{other:?}"),
        }
        let sent = E::WriteIdMap {
            path: "/proc/7/uid_map".into(),
            source: Errno::PERM,
        };
        match decode(&encode(Some(&sent))) {
            Some(Some(E::WriteIdMap { path, source })) => {
                assert_eq!(path, Path::new("/proc/7/uid_map"));
                assert_eq!(source, Errno::PERM);
            }
            other => panic!("{other:?}"),
        }
        let full = encode(Some(&sent));
        for cut in 0..full.len() {
            assert!(decode(&full[..cut]).is_none(), "cut at {cut}");
        }
    }
}
