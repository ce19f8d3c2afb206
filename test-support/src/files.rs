//! Files and directories as the scenarios use them: writing one, a directory as an
//! `O_PATH` descriptor, the identity and mode of a file, and a temporary directory with a
//! tmpfs of its own to mount things below.
//!
//! Each failure names the path.

use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::mount::{MountFlags, UnmountFlags};

use crate::{failed, temp_dir, Fail, TestResult};

/// Writes `contents` to the file at `path`, creating or truncating it.
pub fn write_file(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> TestResult {
    let path = path.as_ref();
    std::fs::write(path, contents).map_err(|e| failed(format!("write {}: {e}", path.display())))
}

/// The directory at `path` as an `O_PATH | O_DIRECTORY | O_CLOEXEC` descriptor: a handle
/// on the directory itself (for `fchdir`, `pivot_root`, `open_tree`, the `*at` calls), not
/// opened for reading.
pub fn open_dir(path: impl AsRef<Path>) -> Result<OwnedFd, Fail> {
    let path = path.as_ref();
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| failed(format!("open {}: {e}", path.display())))
}

/// `(st_dev, st_ino)` of the file at `path`, following symlinks: which file it is, to
/// compare (`/..` is `/` itself after a pivot).
pub fn dev_ino(path: impl AsRef<Path>) -> Result<(u64, u64), Fail> {
    let path = path.as_ref();
    let m = std::fs::metadata(path).map_err(|e| failed(format!("stat {}: {e}", path.display())))?;
    Ok((m.dev(), m.ino()))
}

/// The permission bits of the file at `path` (`st_mode & 07777`: setuid, setgid, sticky
/// and rwx), following symlinks.
pub fn mode_of(path: impl AsRef<Path>) -> Result<u32, Fail> {
    let path = path.as_ref();
    let m = std::fs::metadata(path).map_err(|e| failed(format!("stat {}: {e}", path.display())))?;
    Ok(m.mode() & 0o7777)
}

/// A fresh temporary directory ([`temp_dir`]) with a tmpfs (nosuid, nodev, mode 0755)
/// mounted on it. Whatever a scenario mounts goes below it; dropping it detaches the
/// tmpfs with everything below (`MNT_DETACH`), then removes the directory, empty again.
///
/// Mounting needs a mount namespace where this process may mount: see
/// [`crate::namespaces::own_mount_ns`].
pub struct TmpfsDir {
    dir: tempfile::TempDir,
}

impl TmpfsDir {
    /// Makes the directory and mounts the tmpfs.
    pub fn new() -> Result<TmpfsDir, Fail> {
        let dir = temp_dir()?;
        rustix::mount::mount(
            "tmpfs",
            dir.path(),
            "tmpfs",
            MountFlags::NOSUID | MountFlags::NODEV,
            Some(c"mode=0755"),
        )
        .map_err(|e| failed(format!("mount tmpfs on {}: {e}", dir.path().display())))?;
        Ok(TmpfsDir { dir })
    }

    /// The directory (the root of the tmpfs).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the directory `name` below it, with its parents, and returns its path.
    pub fn mkdir(&self, name: &str) -> Result<PathBuf, Fail> {
        let p = self.path().join(name);
        std::fs::create_dir_all(&p).map_err(|e| failed(format!("mkdir {}: {e}", p.display())))?;
        Ok(p)
    }
}

impl Drop for TmpfsDir {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(self.dir.path(), UnmountFlags::DETACH);
    }
}
