//! Namespaces given to the builder by descriptor, joined with `setns(2)` instead of being
//! created.

use std::os::fd::OwnedFd;
use std::path::Path;

use crate::error::Error;
use crate::step::Step;

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
                e => Error::setup(Step::JoinNamespace, e),
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
        crate::builder::open_shared_dir(shared).map(Some)
    }
}
