//! What a small daemon does, for the tests of seccomp allowlists: threads, a file, a
//! descriptor passed over a socket pair, epoll and a forked child ([`daemon_workload`]);
//! and passing descriptors over Unix sockets ([`send_fd`], [`recv_fd`]).

use std::io::{Read, Seek, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

use rustix::io::Errno;

use crate::syscalls::{fork_and_wait, Ended};
use crate::{ensure_eq, fail, failed, Fail, TestResult};

/// Room for one descriptor's control message, aligned for `cmsghdr`, on the stack (a
/// heap buffer would add calls an allowlist must name).
type ControlBuffer = [u64; 8];

/// `CMSG_SPACE` and `CMSG_LEN` of one descriptor.
fn control_sizes() -> (usize, usize) {
    let one = std::mem::size_of::<i32>() as u32;
    // SAFETY: CMSG_SPACE and CMSG_LEN compute sizes from an integer.
    let (space, len) = unsafe { (libc::CMSG_SPACE(one), libc::CMSG_LEN(one)) };
    debug_assert!(space as usize <= std::mem::size_of::<ControlBuffer>());
    (space as usize, len as usize)
}

/// A message of the one byte `iov` names, with `control` as room for one descriptor.
fn one_fd_message(iov: &mut libc::iovec, control: &mut ControlBuffer) -> libc::msghdr {
    // SAFETY: a zeroed msghdr is valid; the caller keeps what the pointers set below
    // name alive while it uses the message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = control_sizes().0 as _;
    msg
}

/// Sends `fd` over the Unix socket `socket` (SCM_RIGHTS, with one byte of data).
pub fn send_fd(socket: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> TestResult {
    let mut byte = [b'f'];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let (_, len) = control_sizes();
    let mut control: ControlBuffer = [0; 8];
    let msg = one_fd_message(&mut iov, &mut control);
    // SAFETY: the control buffer holds CMSG_SPACE(4) bytes, so CMSG_FIRSTHDR is non-null
    // and its header and 4 data bytes lie inside it; sendmsg reads only what msg names.
    let r = unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = len as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<i32>(), fd.as_raw_fd());
        libc::sendmsg(socket.as_raw_fd(), &msg, 0)
    };
    if r != 1 {
        fail!("sendmsg SCM_RIGHTS: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

/// Receives one message from the socket numbered `socket` (a raw number, which a test
/// may know to be closed), with `flags` (`MSG_DONTWAIT`, ...) and `MSG_CMSG_CLOEXEC`:
/// the descriptor it carried if it was one byte of data with an SCM_RIGHTS descriptor,
/// `None` for any other message, the errno if `recvmsg` failed.
pub fn recv_fd(socket: i32, flags: i32) -> Result<Option<OwnedFd>, Errno> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control: ControlBuffer = [0; 8];
    let mut msg = one_fd_message(&mut iov, &mut control);
    // SAFETY: recvmsg writes into the buffers msg names, all alive and of the sizes given.
    let r = unsafe { libc::recvmsg(socket, &mut msg, flags | libc::MSG_CMSG_CLOEXEC) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return Err(Errno::from_io_error(&e).unwrap_or(Errno::INVAL));
    }
    // SAFETY: the kernel filled the control buffer; CMSG_FIRSTHDR checks msg_controllen
    // and returns null when there is no header; a descriptor in an SCM_RIGHTS message is
    // one the kernel just installed for us.
    let fd = unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        if c.is_null() || (*c).cmsg_type != libc::SCM_RIGHTS {
            return Ok(None);
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<i32>());
        OwnedFd::from_raw_fd(fd)
    };
    Ok((r == 1).then_some(fd))
}

/// Formats an io::Error with what was being done (only when there is one: the workload
/// allocates nothing it need not).
fn io_ctx<'a>(what: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Fail + 'a {
    move |e| failed(format!("{what}{}: {e}", path.display()))
}

/// Threads, a file at `path` (made, passed over a socket pair, read on the other side and
/// removed), epoll on the socket, and a forked child: what a small daemon does, to run
/// under an allowlist (an allowlist that lets it run names the calls it makes, not more).
pub fn daemon_workload(path: &Path) -> TestResult {
    use std::sync::{Arc, Condvar, Mutex};
    let nowhere = Path::new("");

    // Threads, waking each other through futexes.
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let pair = Arc::clone(&pair);
            std::thread::spawn(move || {
                let (lock, cvar) = &*pair;
                let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
                *n += i;
                cvar.notify_all();
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| failed("a thread panicked"))?;
    }
    ensure_eq!(
        *pair.0.lock().unwrap_or_else(|e| e.into_inner()),
        6,
        "threads"
    );

    // A file.
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(io_ctx("create ", path))?;
    f.write_all(b"hello").map_err(io_ctx("write ", path))?;
    f.sync_all().map_err(io_ctx("fsync ", path))?;
    f.rewind().map_err(io_ctx("rewind ", path))?;

    // The file passed over a socket pair (SCM_RIGHTS), and read on the other side.
    let (a, b) = std::os::unix::net::UnixStream::pair().map_err(io_ctx("socketpair", nowhere))?;
    send_fd(a.as_fd(), f.as_fd())?;
    let received = recv_fd(b.as_raw_fd(), 0).map_err(|e| failed(format!("recvmsg: {e}")))?;
    let Some(received) = received else {
        fail!("no descriptor came with the message");
    };
    let mut text = String::new();
    std::fs::File::from(received)
        .read_to_string(&mut text)
        .map_err(io_ctx("read the received file", nowhere))?;
    ensure_eq!(text, "hello", "the file passed over the socket");
    std::fs::remove_file(path).map_err(io_ctx("unlink ", path))?;

    // epoll on the socket.
    (&a).write_all(b"!")
        .map_err(io_ctx("write to the socket", nowhere))?;
    // SAFETY: plain calls on descriptors of this process; `event` and `events` are valid
    // for the calls, and the epoll descriptor is closed once.
    let ready = unsafe {
        let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 7,
        };
        libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, b.as_raw_fd(), &mut event);
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 2];
        let n = libc::epoll_wait(ep, events.as_mut_ptr(), 2, 5000);
        libc::close(ep);
        (n, events[0].u64)
    };
    ensure_eq!(ready, (1, 7), "epoll_wait");

    // A forked helper, waited for.
    ensure_eq!(fork_and_wait(|| 7)?, Ended::Code(7), "a forked child");
    Ok(())
}
