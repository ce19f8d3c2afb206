//! Dying with the parent without a race: `PR_SET_PDEATHSIG` and a check that the parent
//! is still there.

use std::os::fd::{AsFd, IntoRawFd, OwnedFd};

use rustix::event::{PollFd, PollFlags};
use rustix::io::Errno;
use rustix::process::{PidfdFlags, Signal};

use crate::Error;

/// What a child watches to learn whether its parent is alive, created in the parent
/// before [`fork`](crate::fork).
///
/// `prctl(PR_SET_PDEATHSIG)` in the child asks the kernel for a signal when the parent
/// dies, but a parent that died before the `prctl` sends none. So the child checks, after
/// the `prctl`, two things the parent prepared:
///
/// - a pidfd of the parent (`pidfd_open(getpid())`, kernel 5.3), readable once the parent
///   has exited, even if other processes share what the parent holds;
/// - a close-on-exec pipe whose write end only the parent keeps: `POLLHUP` on the read
///   end once the parent's files are closed. The kernel closes them before it reparents
///   the children (the step that reads their death signal) and only marks the parent a
///   zombie (what makes the pidfd readable) after that, so the pipe also covers a child
///   that arms in between. It works on any kernel, but a process forked later that keeps
///   the write end open hides the parent's exit from it; the pidfd does not.
///
/// Either one saying "gone" is [`Error::ParentGone`].
#[derive(Debug)]
pub struct ParentWatch {
    pidfd: Option<OwnedFd>,
    read: OwnedFd,
    write: OwnedFd,
}

impl ParentWatch {
    /// Opens the watch, in the parent, before [`fork`](crate::fork): a close-on-exec pipe, and a
    /// pidfd of the calling process when the kernel has `pidfd_open` (5.3).
    ///
    /// # Errors
    ///
    /// - [`Error::WatchParent`] when the pipe cannot be created (`EMFILE`, `ENFILE`).
    /// - [`Error::ParentPidfd`] when `pidfd_open` fails otherwise than with `ENOSYS`
    ///   (before 5.3) or `EPERM` (a seccomp profile), which leave the pipe alone to watch:
    ///   an `EMFILE` swallowed here would only resurface as the next open's failure,
    ///   under another name.
    pub fn new() -> Result<Self, Error> {
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|errno| Error::WatchParent { errno })?;
        let pidfd =
            match rustix::process::pidfd_open(rustix::process::getpid(), PidfdFlags::empty()) {
                Ok(pidfd) => Some(pidfd),
                // The kernel or a filter has no pidfd for us: the pipe alone still works.
                Err(Errno::NOSYS | Errno::PERM) => None,
                Err(errno) => return Err(Error::ParentPidfd { errno }),
            };
        Ok(ParentWatch { pidfd, read, write })
    }

    /// Whether the watch includes a pidfd of the parent (`pidfd_open` worked).
    pub fn uses_pidfd(&self) -> bool {
        self.pidfd.is_some()
    }

    /// In the child after [`fork`](crate::fork): asks the kernel to send `signal` to this process
    /// when its parent dies (`prctl(PR_SET_PDEATHSIG)`), then checks that the parent is
    /// still alive (one `poll` of the pipe and the pidfd), closing the race where it died
    /// before the `prctl`.
    ///
    /// Works in a new pid namespace, where the child is pid 1 and `getppid()` is 0. But
    /// pid 1 of a namespace ignores every signal it has no handler for, except `SIGKILL`
    /// (and `SIGSTOP`) from an ancestor namespace: there, pass `SIGKILL`, or install a
    /// handler for the signal first (`SIGKILL` cannot have one). The kernel sends the
    /// signal when the thread that forked exits, and clears it when the child changes its
    /// credentials (`setuid`, a set-user-ID `execve`): arm it after those. It survives a
    /// plain `execve`.
    ///
    /// # Errors
    ///
    /// - [`Error::SetDeathSignal`] when `prctl` fails.
    /// - [`Error::WatchParent`] when `poll` fails.
    /// - [`Error::ParentGone`] when the parent has already exited: the child should exit
    ///   now, as nobody will signal it.
    #[doc(alias = "PR_SET_PDEATHSIG")]
    pub fn die_with_parent(self, signal: Signal) -> Result<(), Error> {
        let ParentWatch { pidfd, read, write } = self;
        rustix::process::set_parent_process_death_signal(Some(signal))
            .map_err(|errno| Error::SetDeathSignal { signal, errno })?;
        // Our copy of the write end must go, or we would keep the pipe open ourselves.
        drop(write);
        // On the stack, not in a Vec: a forked child's first allocation costs it copies of
        // the allocator's pages. Without a pidfd the read end is simply polled twice.
        let second = pidfd.as_ref().map_or(read.as_fd(), |pidfd| pidfd.as_fd());
        let mut fds = [
            PollFd::new(&read, PollFlags::IN),
            PollFd::new(&second, PollFlags::IN),
        ];
        let zero = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            match rustix::event::poll(&mut fds, Some(&zero)) {
                Ok(_) => break,
                Err(Errno::INTR) => continue,
                Err(errno) => return Err(Error::WatchParent { errno }),
            }
        }
        // Nobody writes to the pipe: readable or hung up both mean no writer is left.
        // A pidfd is readable once its process has exited.
        if fds
            .iter()
            .any(|fd| fd.revents().intersects(PollFlags::IN | PollFlags::HUP))
        {
            return Err(Error::ParentGone);
        }
        Ok(())
    }

    /// In the parent after [`fork`](crate::fork): keeps what the child watches alive for as long as
    /// the parent lives. The pidfd and the read end are closed; the write end of the pipe
    /// stays open, deliberately never closed, until the process exits (it is
    /// close-on-exec).
    pub fn parent_keep(self) {
        let ParentWatch { pidfd, read, write } = self;
        drop(pidfd);
        drop(read);
        // Leaked on purpose: its closing at exit is what the child watches.
        let _ = write.into_raw_fd();
    }
}
