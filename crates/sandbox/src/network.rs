//! One empty network namespace, made once, for many sandboxes to join: [`SharedNetwork`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;

use rustix::fs::{Mode as FileMode, OFlags, CWD};
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};

use crate::call::{Call, SysError};
use crate::{sys, Builder, Error, NamespaceId, Namespaces, Step};

/// An empty network namespace (only a loopback interface, down), made once and joined by
/// many sandboxes ([`Builder::join_shared_network`]), for a root daemon that enters many
/// short sandboxes (a build worker, a test runner).
///
/// Each default sandbox makes a network namespace of its own; making one and tearing it
/// down is the largest single cost of entering (about a millisecond), and it serialises
/// on the kernel's `rtnl` lock, so sandboxes entered at the same time wait for each other
/// there. Sandboxes that join a `SharedNetwork` instead skip both. `cargo xtask bench`
/// measures the difference with 1, 2 and 8 sandboxes entered at once.
///
/// # What it isolates, and what it does not
///
/// From the host, and from every process outside it, a shared network is as isolated as a
/// sandbox's own: no interface but `lo`, no route, no way to the host's sockets, its
/// abstract UNIX sockets or its loopback ports. Nothing is configured in it; an interface
/// a supervisor moves into it is seen by every sandbox that joins it.
///
/// Between the sandboxes that share it there is no network isolation: they are in one
/// network namespace. One sandbox can connect to an abstract UNIX socket another bound
/// (`\0name`, which takes no file), or take that name first; if `lo` is brought up (which
/// needs `CAP_NET_ADMIN`, dropped by default), they reach each other's ports on
/// `127.0.0.1`. Their pid, mount, IPC, UTS and cgroup namespaces stay their own. Use it
/// for sandboxes of one trust domain (the jobs of one user, say), or give each sandbox its
/// own network namespace (the default).
///
/// # What it needs
///
/// `CAP_SYS_ADMIN` in the caller's user namespace, to make the namespace and for each
/// sandbox to join it: as a plain user, [`SharedNetwork::new`] fails with `EPERM` (a
/// sandbox of a plain user makes its own user namespace after joining, and could not
/// join one made by another). And `/proc`, to open the new namespace
/// (`/proc/<pid>/ns/net`).
///
/// The namespace lives as long as a `SharedNetwork` or a sandbox that joined it holds it:
/// dropping the value does not end the sandboxes' network.
///
/// ```no_run
/// use sandbox::{Sandbox, SharedNetwork};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let network = SharedNetwork::new()?; // once, as root
/// for job in ["/srv/jobs/1", "/srv/jobs/2"] {
///     // In a worker process per job (a process enters once), e.g. forked here.
///     let sandbox = Sandbox::builder(job).join_shared_network(&network).build()?;
///     # drop(sandbox);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SharedNetwork {
    fd: Arc<OwnedFd>,
}

impl SharedNetwork {
    /// Makes an empty network namespace, without moving the caller into it: a short-lived
    /// child forked for the purpose unshares `CLONE_NEWNET`, the caller opens
    /// `/proc/<child>/ns/net`, and the child exits. The child makes raw system calls only,
    /// so a process with many threads may call this.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`] at [`Step::SharedNetwork`]: `pipe2` or `fork` failing (`EAGAIN` at
    /// the process limit); `unshare` of the network namespace refused (`EPERM` without
    /// `CAP_SYS_ADMIN`, `ENOSPC` at `user.max_net_namespaces`); opening its
    /// `/proc/<pid>/ns/net` failing (no `/proc`).
    pub fn new() -> Result<SharedNetwork, Error> {
        let fail = |e: SysError| Error::setup(Step::SharedNetwork, e);
        let pipe = || {
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                .map_err(|e| fail(SysError::new(Call::Pipe, e)))
        };
        let (ready_r, ready_w) = pipe()?;
        let (hold_r, hold_w) = pipe()?;
        let pid = sys::fork_network_holder(ready_w.as_fd(), hold_r.as_fd(), hold_w.as_fd())
            .map_err(|errno| {
                Error::setup(Step::SharedNetwork, sandbox_process::Error::Fork { errno })
            })?;
        drop((ready_w, hold_r));
        let opened = read_errno(&ready_r).and_then(|errno| match errno {
            None => {
                let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
                rustix::fs::openat(
                    CWD,
                    &path,
                    OFlags::RDONLY | OFlags::CLOEXEC,
                    FileMode::empty(),
                )
                .map_err(|errno| {
                    Error::setup(
                        Step::SharedNetwork,
                        sandbox_namespaces::Error::OpenNamespace { path, errno },
                    )
                })
            }
            Some(errno) => Err(Error::setup(
                Step::SharedNetwork,
                sandbox_namespaces::Error::Unshare {
                    namespaces: Namespaces::NET,
                    errno,
                },
            )),
        });
        // The child exits once its end of the hold pipe reads EOF.
        drop(hold_w);
        if let Some(pid) = Pid::from_raw(pid) {
            // ECHILD when SIGCHLD is ignored (the kernel reaped it): nothing is left over.
            let _ = rustix::process::waitpid(Some(pid), WaitOptions::empty());
        }
        Ok(SharedNetwork {
            fd: Arc::new(opened?),
        })
    }

    /// The identity of the namespace (`fstat` of its descriptor): what
    /// `/proc/<pid>/ns/net` of every sandbox that joined it says.
    ///
    /// # Errors
    ///
    /// `fstat(2)`'s errno (it does not fail on a valid descriptor).
    pub fn id(&self) -> Result<NamespaceId, Errno> {
        let st = rustix::fs::fstat(&*self.fd)?;
        Ok(NamespaceId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }
}

impl AsFd for SharedNetwork {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The errno the holder child reported (`None`: it made the namespace); an error when it
/// ended without a report.
fn read_errno(ready: &OwnedFd) -> Result<Option<Errno>, Error> {
    let mut bytes = [0u8; 4];
    let mut got = 0;
    while got < bytes.len() {
        match rustix::io::read(ready, &mut bytes[got..]) {
            Ok(0) => {
                return Err(Error::setup(
                    Step::SharedNetwork,
                    SysError::new(Call::ReadNetworkHolder, Errno::PIPE),
                ))
            }
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => {
                return Err(Error::setup(
                    Step::SharedNetwork,
                    SysError::new(Call::ReadNetworkHolder, e),
                ))
            }
        }
    }
    Ok(match i32::from_le_bytes(bytes) {
        0 => None,
        raw => Some(Errno::from_raw_os_error(raw)),
    })
}

impl Builder {
    /// Joins `network`, an empty network namespace made once for many sandboxes, instead of
    /// creating a network namespace for this one: see [`SharedNetwork`] for what the
    /// sandboxes that share it can reach of each other. Like
    /// [`Builder::join_net_namespace`], the original process joins it before forking, which
    /// needs `CAP_SYS_ADMIN` (root).
    pub fn join_shared_network(mut self, network: &SharedNetwork) -> Self {
        self.joins.net = Some(Arc::clone(&network.fd));
        self
    }
}
