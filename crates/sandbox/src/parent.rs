//! The original process's side of entering in [`Mode::Namespace`](crate::Mode::Namespace):
//! the checks before anything changes, joining namespaces, the id maps and their helper,
//! the unshare, the fork, and the ready-or-failed handshake with the sandboxed child.

use std::os::fd::AsRawFd;

use sandbox_process::{Fork, ParentWatch};

use crate::builder::own_ids;
use crate::call::{Call, SysError};
use crate::child::install_seccomp;
use crate::report::{self, Report};
use crate::{
    fds, idmap_helper, limits, Child, Entered, Error, IdMap, Namespaces, Sandbox, Setgroups,
    Signal, Step,
};

/// Exit code of a sandboxed child that failed during setup (after reporting why).
const SETUP_FAILED: i32 = 125;

impl Sandbox {
    pub(crate) fn enter_namespaces(mut self) -> Result<Entered, Error> {
        // Where the descriptor table is nearly full, say so now, before anything changes,
        // rather than by the EMFILE of whichever call comes next (the descriptor check, the
        // pipes, the pidfds). It opens nothing itself.
        limits::reserve_descriptors(limits::ENTER_DESCRIPTORS)
            .map_err(|e| Error::setup(Step::Fds, e))?;
        sandbox_namespaces::ensure_single_threaded().map_err(threads_error)?;
        crate::timing::mark(Step::CheckThreads);
        let kept_inside = fds::check(
            &self.dir,
            &self.hardening.keep_fds,
            &[self.dir.as_raw_fd()],
            self.hardening.inherited_fds,
        )?;
        crate::timing::mark(Step::Fds);
        // After unshare(CLONE_NEWUSER) the ids read back as the overflow id until mapped:
        // take them now.
        let (uid, gid) = own_ids();
        let switch_ids = self.ids_to_take(uid, gid);

        // Our references to the joined namespaces go once joined: the sandboxed process
        // must not hold a way back into them.
        crate::sandbox::mark_entered();
        let joins = std::mem::take(&mut self.joins);
        if let Some(dir) = joins.enter(&self.path)? {
            self.dir = dir;
        }
        drop(joins);
        crate::timing::mark(Step::JoinNamespace);
        let before_fork = self.namespaces & (Namespaces::USER | Namespaces::PID | Namespaces::TIME);
        let maps = match (self.uid_map(), self.gid_map()) {
            (Some(uid_map), Some(gid_map)) => {
                let writer =
                    idmap_helper::choose_writer(uid, gid, &uid_map, &gid_map, self.setgroups)?;
                Some((uid_map, gid_map, writer))
            }
            _ => None,
        };
        // A helper that writes ranges must stay outside: fork it before the unshare.
        let helper = match &maps {
            Some((uid_map, gid_map, idmap_helper::Writer::Helper(helper))) => Some(
                idmap_helper::IdMapHelper::spawn(helper, uid_map, gid_map, self.setgroups, uid)?,
            ),
            _ => None,
        };
        if !before_fork.is_empty() {
            sandbox_namespaces::unshare(before_fork).map_err(|e| match e {
                sandbox_namespaces::Error::MultiThreaded { .. } => threads_error(e),
                e => Error::setup(Step::UnshareParent, e),
            })?;
        }
        crate::timing::mark(Step::UnshareParent);
        match (maps, helper) {
            (Some((_, _, writer)), Some(helper)) => {
                let tools = matches!(
                    writer,
                    idmap_helper::Writer::Helper(idmap_helper::Helper::Tools { .. })
                );
                if self.setgroups == Setgroups::Deny && tools {
                    // newgidmap leaves setgroups alone for a map of subordinate gids (the
                    // helper that writes the maps itself writes setgroups too).
                    sandbox_namespaces::deny_setgroups()
                        .map_err(|e| Error::setup(Step::WriteIdMaps, e))?;
                }
                helper.write_maps()?;
            }
            (Some((uid_map, gid_map, _)), None) => {
                sandbox_namespaces::write_own_id_maps(&uid_map, &gid_map)
                    .map_err(|e| Error::setup(Step::WriteIdMaps, e))?;
            }
            (None, _) => {}
        }
        crate::timing::mark(Step::WriteIdMaps);

        let (report_rx, report_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| Error::setup(Step::PrepareFork, SysError::new(Call::Pipe, e)))?;
        let watch = ParentWatch::new().map_err(|e| Error::setup(Step::PrepareFork, e))?;
        // The child is pid 1 of the new pid namespace, which cannot die of a signal.
        let note = match self.namespaces.contains(Namespaces::PID) {
            true => Some(
                sandbox_process::SignalNote::new()
                    .map_err(|e| Error::setup(Step::PrepareFork, e))?,
            ),
            false => None,
        };
        let seal = fds::Seal::new(
            &self.hardening.kept_fd_numbers(),
            &[self.dir.as_raw_fd(), report_tx.as_raw_fd()],
        );
        let audit = crate::audit::Expected::namespace(&self);
        crate::timing::mark(Step::PrepareFork);

        match sandbox_process::fork().map_err(|e| match e {
            sandbox_process::Error::SingleThreaded(inner) => threads_error(inner),
            e => Error::setup(Step::Fork, e),
        })? {
            Fork::Child => {
                crate::timing::mark(Step::Fork);
                drop(report_rx);
                if let Some(note) = note {
                    note.arm();
                }
                let set_up = self.set_up_child(watch, switch_ids, &seal, &kept_inside, audit);
                // The filter comes last, once the sandbox's own descriptors are gone (the
                // shared directory's sits on the host's mount): only the report pipe is
                // left, and the filter lets its write and close through.
                let seccomp = self.let_go_in_child();
                let installed = set_up.and_then(|inside| {
                    install_seccomp(seccomp.as_ref())?;
                    Ok(inside)
                });
                crate::timing::mark(Step::Seccomp);
                match installed {
                    Ok(inside) => {
                        report::send(&report_tx, &Report::Ready);
                        drop(report_tx);
                        // Memory only, left unfreed (see `let_go_in_child`).
                        std::mem::forget((seccomp, seal, kept_inside));
                        Ok(Entered::Inside(inside))
                    }
                    Err(e) => {
                        report::send(&report_tx, &Report::Failed(e));
                        sandbox_process::exit_now(SETUP_FAILED)
                    }
                }
            }
            Fork::Parent(child) => {
                watch.parent_keep();
                if let Some(note) = &note {
                    // Best effort: without it, children this process forks later share the
                    // page too; the note itself works either way.
                    let _ = note.parent_keep();
                }
                drop(report_tx);
                let child = Child::new(child, note).map_err(|e| Error::setup(Step::Fork, e))?;
                match report::receive(&report_rx) {
                    Ok(Some(Report::Ready)) => Ok(Entered::Parent(child)),
                    Ok(Some(Report::Failed(e))) => {
                        let _ = child.wait();
                        Err(e)
                    }
                    Ok(None) => {
                        let status = child.wait()?;
                        Err(Error::ChildVanished { status })
                    }
                    Err(errno) => {
                        let _ = child.kill(Signal::KILL);
                        let _ = child.wait();
                        Err(Error::setup(
                            Step::Report,
                            SysError::new(Call::ReadReport, errno),
                        ))
                    }
                }
            }
        }
    }

    /// In the sandboxed child, once set up: closes the shared directory's descriptor (the
    /// joined namespaces' went before the fork) and returns the filter to install. The
    /// rest is left unfreed: it is the child's copy of the original process's memory, and
    /// freeing it would write to the allocator's pages, which the child would first have
    /// to copy (a page fault each, a few microseconds) for memory nothing uses again.
    fn let_go_in_child(self) -> Option<sandbox_seccomp::Program> {
        // Every field by name: one that holds a descriptor must be closed here, never
        // leaked into the sandbox.
        let Sandbox {
            dir,
            path,
            mode: _,
            namespaces: _,
            uid_map,
            gid_map,
            setgroups: _,
            joins,
            read_only: _,
            propagation: _,
            die_signal: _,
            mount_api: _,
            inside_ids: _,
            seccomp,
            hardening,
            before,
        } = self;
        drop(dir);
        drop(joins);
        std::mem::forget((path, uid_map, gid_map, hardening, before));
        seccomp
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
}

pub(crate) fn threads_error(e: sandbox_namespaces::Error) -> Error {
    match e {
        sandbox_namespaces::Error::MultiThreaded { threads } => Error::MultiThreaded { threads },
        e => Error::setup(Step::CheckThreads, e),
    }
}
