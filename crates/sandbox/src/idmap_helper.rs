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

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use rustix::io::Errno;
use sandbox_namespaces::{IdMap, IdMapTool, Setgroups};
use sandbox_process::Fork;

use crate::call::{Call, SysError};
use crate::cause::helper_cause;
use crate::error::Error;
use crate::privilege::Privilege;
use crate::step::Step;
use crate::wire;

/// Who writes the maps of a new user namespace.
#[derive(Debug)]
pub(crate) enum Writer {
    /// The process itself, right after `unshare`: its own ids, setgroups denied.
    Itself,
    /// A helper forked before the unshare.
    Helper(Helper),
}

/// How the helper writes the maps.
#[derive(Debug)]
pub(crate) enum Helper {
    /// It writes `/proc/<pid>/*_map` itself: it has `CAP_SETUID` and `CAP_SETGID` (root).
    Root,
    /// It runs `newuidmap` and `newgidmap`, found at these paths.
    Tools {
        newuidmap: PathBuf,
        newgidmap: PathBuf,
    },
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
    if Privilege::current().writes_any_id_map() {
        return Ok(Writer::Helper(Helper::Root));
    }
    let find = |tool: IdMapTool| {
        tool.find().map_err(|source| Error::IdMaps {
            cause: helper_cause(&source, uid),
            source: Box::new(source),
        })
    };
    Ok(Writer::Helper(Helper::Tools {
        newuidmap: find(IdMapTool::NewUidMap)?,
        newgidmap: find(IdMapTool::NewGidMap)?,
    }))
}

/// The helper process, seen from its parent: forked, waiting for the word.
pub(crate) struct IdMapHelper {
    child: sandbox_process::Child,
    go: Option<OwnedFd>,
    result: OwnedFd,
    uid: u32,
}

/// What the helper reports: the maps written, or the error of the write or the tool.
type HelperReport = Result<(), sandbox_namespaces::Error>;

fn helper_failed(call: Call, errno: Errno) -> Error {
    Error::setup(Step::WriteIdMaps, SysError::new(call, errno))
}

impl IdMapHelper {
    /// Forks the helper. The caller must be single-threaded (checked by the fork) and must
    /// call [`IdMapHelper::write_maps`] after its `unshare(CLONE_NEWUSER)`, or drop the
    /// helper (which then exits without writing anything).
    pub(crate) fn spawn(
        helper: &Helper,
        uid_map: &[IdMap],
        gid_map: &[IdMap],
        setgroups: Setgroups,
        uid: u32,
    ) -> Result<IdMapHelper, Error> {
        let pipe = || {
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                .map_err(|e| helper_failed(Call::Pipe, e))
        };
        let (go_rx, go_tx) = pipe()?;
        let (result_rx, result_tx) = pipe()?;
        let parent = rustix::process::getpid();
        match sandbox_process::fork().map_err(|e| Error::setup(Step::WriteIdMaps, e))? {
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
                    sandbox_process::exit_now(0);
                }
                let outcome: HelperReport = match helper {
                    Helper::Root => sandbox_namespaces::write_id_maps_of(
                        parent,
                        uid_map,
                        gid_map,
                        Some(setgroups),
                    ),
                    Helper::Tools {
                        newuidmap,
                        newgidmap,
                    } => sandbox_namespaces::run_id_map_tool(newgidmap, parent, gid_map).and_then(
                        |()| sandbox_namespaces::run_id_map_tool(newuidmap, parent, uid_map),
                    ),
                };
                let _ = wire::send(&result_tx, &outcome);
                sandbox_process::exit_now(0)
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
            Some(go) => rustix::io::write(&go, b"g").map(drop),
            None => Err(Errno::PIPE),
        };
        let report = wire::receive::<HelperReport>(&self.result);
        let _ = self.child.wait();
        told.map_err(|e| helper_failed(Call::TellHelper, e))?;
        match report.map_err(|e| helper_failed(Call::ReadHelperReport, e))? {
            Some(Ok(())) => Ok(()),
            Some(Err(source)) => Err(Error::IdMaps {
                cause: helper_cause(&source, self.uid),
                source: Box::new(source),
            }),
            // It ended without a whole report.
            None => Err(helper_failed(Call::ReadHelperReport, Errno::PIPE)),
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
