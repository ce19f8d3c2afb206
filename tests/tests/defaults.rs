//! What a default sandbox holds against a compromised daemon, one attack per scenario,
//! and what each opt-out gives back: every scenario attacks from inside a sandbox made
//! with `Sandbox::builder(dir).build()?.enter()` (plus, for an opt-out, the one option
//! that names it) and asserts what the kernel answered, never our own bookkeeping.
//!
//! Run as root and as uid 65534. Several layers refuse the same attack (the default
//! seccomp filter refuses keyctl, io_uring, TIOCSTI, CLONE_NEWUSER and uevent sockets on
//! top of the keyring, the closed descriptors, the session, the limit and the network
//! namespace), so the default scenarios assert the outcome (the host secret is not read,
//! the pushed byte never arrives) and accept any refusal; a scenario about one layer
//! (read-only mounts, closed descriptors, the user namespace limit) asserts its errno, and
//! an opt-out whose effect the filter would hide is shown with `seccomp(Filter::none())`.
//! The `seccomp_none_gives_back_*` scenarios show what the filter alone keeps out.
//!
//! Groups:
//! - descriptors held before entering: directories (closed, replaced, refused), sockets
//!   with queued descriptors, an io_uring with registered files, a read-only file;
//! - the session: TIOCSTI into the starting terminal, signals and priorities of the
//!   caller's process group;
//! - System V and POSIX IPC, and the IPC, UTS and cgroup namespaces;
//! - keyrings;
//! - dying with the original process;
//! - host mounts that arrive later;
//! - nested user namespaces;
//! - a root daemon with id maps that leave root out;
//! - host uevents.
//!
//! The scenarios watch only what they own: their temp dirs, IPC objects made with
//! `IPC_PRIVATE` (or a name with their pid) and removed afterwards, a session keyring of
//! their own, their own process group, mount namespaces of their own.

mod common;

use std::ffi::{CStr, CString};
use std::io::{PipeReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use rustix::io::Errno;
use sandbox::{
    Entered, Error, Filter, IdMap, Inside, Namespaces, OFlags, Propagation, Sandbox, Signal, Step,
};
use test_support::daemon::{recv_fd, send_fd};
use test_support::{ensure, ensure_eq, fail, skip, Fail, TestResult};

fn main() {
    test_support::main(test_support::scenarios![
        // Descriptors held before entering.
        unkept_directory_fd_in_the_shared_dir_is_closed_and_leads_nowhere,
        kept_directory_fd_in_the_shared_dir_stops_dotdot_at_the_new_root,
        kept_directory_fd_writes_fail_with_erofs_under_read_only,
        kept_directory_outside_the_shared_dir_or_at_fd_0_is_refused_and_nothing_changes,
        descriptors_queued_on_an_unkept_socket_never_arrive_inside,
        io_uring_holding_a_host_directory_is_closed_inside,
        read_only_host_file_cannot_be_reopened_writable_inside,
        // The session.
        tiocsti_cannot_push_input_into_the_starting_terminal,
        new_session_alone_refuses_tiocsti_with_eperm,
        new_session_false_gives_back_tiocsti_into_the_starting_terminal,
        kill_and_renice_of_the_process_group_stop_at_the_sandbox,
        new_session_false_gives_back_signalling_and_renicing_the_callers_group,
        // IPC.
        host_ipc_objects_are_unreachable_and_ipc_uts_cgroup_namespaces_are_new,
        leaving_out_the_ipc_namespace_gives_back_the_hosts_ipc_objects,
        // Keyrings.
        callers_session_keys_are_unreachable_and_keys_added_inside_stay_inside,
        fresh_keyring_alone_hides_the_callers_session_keys,
        session_to_parent_leaves_the_original_session_keyring_alone,
        seccomp_none_gives_back_replacing_the_original_session_keyring,
        new_keyring_false_gives_back_the_callers_session_keys,
        // Dying with the original process.
        sandboxed_process_ignoring_sigterm_dies_with_the_original_process,
        die_with_parent_sigterm_lets_a_process_ignoring_it_survive,
        // Mounts arriving later.
        host_mounts_made_later_stay_out_of_a_read_only_sandbox,
        slave_propagation_without_landlock_brings_later_host_mounts_in_writable,
        landlock_keeps_a_later_host_mount_read_only_under_slave_propagation,
        // Nested user namespaces.
        nested_user_namespaces_are_refused_in_the_sandboxs_user_namespace,
        max_user_namespaces_alone_refuses_nested_user_namespaces_with_enospc,
        nested_user_namespaces_true_lets_a_child_create_one,
        // Root with id maps.
        root_with_id_maps_leaving_root_out_runs_as_the_mapped_uid,
        inside_ids_outside_the_maps_fail_at_the_switch_ids_step,
        inside_ids_without_a_user_namespace_are_refused_at_build,
        // Host uevents.
        host_uevents_do_not_reach_the_sandbox,
        seccomp_none_gives_back_host_uevents_to_a_root_sandbox,
    ])
}

// =======================================================================================
// Small system-call helpers. `Sys<T>` is the value, or the errno.

type Sys<T> = Result<T, i32>;

/// "ok", or the errno, for a report line.
fn said<T>(r: &Sys<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

/// `Ok(v)` for a non-negative result of a raw call, else the errno.
fn sys(r: libc::c_long) -> Sys<libc::c_long> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// The first number [`high_fd`] moves a descriptor to.
const HIGH_FD: i32 = 200;

/// Moves `fd` to a number of at least [`HIGH_FD`], close-on-exec. Inside, the sandbox's
/// own descriptors (the proc handle) take the lowest free numbers, possibly one that a
/// closed descriptor had; up there a number nobody reuses means `EBADF` is the kernel
/// saying the descriptor is gone.
fn high_fd(fd: impl Into<OwnedFd>) -> Result<OwnedFd, Fail> {
    let fd = fd.into();
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor we own returns a new descriptor or -1.
    let n = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, HIGH_FD) };
    if n < 0 {
        fail!(
            "fcntl(F_DUPFD_CLOEXEC): {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: `n` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

/// `fcntl(fd, F_GETFD)`.
fn fd_flags(fd: i32) -> Sys<i32> {
    // SAFETY: F_GETFD on a number reads a descriptor table entry; EBADF if not open.
    let r = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// (dev, ino) of an open descriptor.
fn fstat_ids(fd: i32) -> Sys<(u64, u64)> {
    // SAFETY: a zeroed stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into the local struct.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(errno());
    }
    Ok((st.st_dev, st.st_ino))
}

/// (dev, ino) of a path, or the errno.
fn path_ids(path: impl AsRef<Path>) -> Sys<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .map(|m| (m.dev(), m.ino()))
        .map_err(|e| e.raw_os_error().unwrap_or(-1))
}

/// [`path_ids`] as a failure for set-up steps.
fn ids_of(path: &Path) -> Result<(u64, u64), Fail> {
    path_ids(path).map_err(|e| failed(format!("stat {}: errno {e}", path.display())))
}

/// `openat(dir, path, flags | O_CLOEXEC, 0644)`.
fn openat(dir: i32, path: &str, flags: i32) -> Sys<OwnedFd> {
    let c = CString::new(path).map_err(|_| libc::EINVAL)?;
    // SAFETY: openat with a NUL-terminated path that outlives the call.
    let fd = unsafe {
        libc::openat(
            dir,
            c.as_ptr(),
            flags | libc::O_CLOEXEC,
            0o644 as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(errno());
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads the file at `path` relative to the directory descriptor `dir`.
fn read_at(dir: i32, path: &str) -> Sys<String> {
    let fd = openat(dir, path, libc::O_RDONLY)?;
    let mut s = String::new();
    std::fs::File::from(fd)
        .read_to_string(&mut s)
        .map_err(|e| e.raw_os_error().unwrap_or(-1))?;
    Ok(s)
}

/// The descriptors open inside and where the sandbox's proc says they lead: found by
/// number (no proc is mounted in the new root, and the Landlock layer refuses listing the
/// handle's directory), their links read through the proc-fd handle.
fn descriptor_links(inside: &Inside) -> Result<Vec<(i32, String)>, Fail> {
    let handle = inside.proc_self_fd();
    Ok(open_fds()
        .into_iter()
        .filter_map(|fd| {
            rustix::fs::readlinkat(handle, fd.to_string(), Vec::new())
                .ok()
                .map(|link| (fd, link.to_string_lossy().into_owned()))
        })
        .collect())
}

/// The descriptors open inside on one of `ids` (dev, ino).
fn descriptors_on(inside: &Inside, ids: &[(u64, u64)]) -> Result<Vec<i32>, Fail> {
    Ok(descriptor_links(inside)?
        .into_iter()
        .map(|(fd, _)| fd)
        .filter(|&fd| fstat_ids(fd).is_ok_and(|id| ids.contains(&id)))
        .collect())
}

/// Sets `sig` to be ignored in this process.
fn ignore_signal(sig: i32) {
    // SAFETY: SIG_IGN is a valid disposition; no handler code runs.
    unsafe { libc::signal(sig, libc::SIG_IGN) };
}

/// What the file outside the shared dir holds.
const HOST_SECRET: &str = "host secret\n";

/// Writes `host-secret` next to the shared dir (outside it).
fn plant_host_secret(top: &Path) -> Result<std::path::PathBuf, Fail> {
    let path = top.join("host-secret");
    std::fs::write(&path, HOST_SECRET).map_err(io_ctx("write host-secret"))?;
    Ok(path)
}

// =======================================================================================
// Descriptors held before entering.

fn unkept_directory_fd_in_the_shared_dir_is_closed_and_leads_nowhere() -> TestResult {
    let (top, shared) = shared_dir_with_marker()?;
    let secret = plant_host_secret(top.path())?;
    let below = shared.join("a/b");
    std::fs::create_dir_all(&below).map_err(io_ctx("mkdir a/b"))?;
    // As std opens it: close-on-exec, which protects nothing here (no exec follows).
    let dir = high_fd(std::fs::File::open(&below).map_err(io_ctx("open a/b"))?)?;
    let raw = dir.as_raw_fd();
    // On the host the descriptor is a way out: a/b -> shared -> the temp dir.
    ensure_eq!(
        read_at(raw, "../../../host-secret"),
        Ok(HOST_SECRET.to_string()),
        "the way out through the descriptor works on the host (else the test cannot tell)"
    );
    let host = [ids_of(&below)?, ids_of(top.path())?, ids_of(&secret)?];
    run_inside(Sandbox::builder(&shared), move |inside| {
        ensure_eq!(
            fd_flags(raw),
            Err(libc::EBADF),
            "fcntl(F_GETFD) of the unkept directory descriptor {raw} inside"
        );
        let escape = read_at(raw, "../../../host-secret");
        ensure!(
            escape.is_err(),
            "openat({raw}, \"../../../host-secret\") inside read {escape:?}"
        );
        let holding = descriptors_on(inside, &host)?;
        ensure!(
            holding.is_empty(),
            "descriptors {holding:?} inside are on a/b, the temp dir or the secret"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn kept_directory_fd_in_the_shared_dir_stops_dotdot_at_the_new_root() -> TestResult {
    let (top, shared) = shared_dir_with_marker()?;
    let secret = plant_host_secret(top.path())?;
    let below = shared.join("a/b");
    std::fs::create_dir_all(&below).map_err(io_ctx("mkdir a/b"))?;
    let dir = std::fs::File::open(&below).map_err(io_ctx("open a/b"))?;
    let raw = dir.as_raw_fd();
    let (below_ids, top_ids, secret_ids) = (ids_of(&below)?, ids_of(top.path())?, ids_of(&secret)?);
    let sandbox = prepare(Sandbox::builder(&shared).keep_fd(&dir))?;
    run_inside(sandbox, move |inside| {
        ensure_eq!(
            fstat_ids(raw),
            Ok(below_ids),
            "the kept descriptor {raw} is still a/b inside"
        );
        let root = path_ids("/").map_err(|e| failed(format!("stat /: errno {e}")))?;
        // Climb five times from a/b: a, then the new root, which is its own parent.
        let mut walk = Vec::new();
        let mut here: Option<OwnedFd> = None;
        for _ in 0..5 {
            let from = here.as_ref().map_or(raw, |f| f.as_raw_fd());
            let up = openat(from, "..", libc::O_PATH | libc::O_DIRECTORY)
                .map_err(|e| failed(format!("openat(.., ..) after {walk:?}: errno {e}")))?;
            walk.push(fstat_ids(up.as_raw_fd()).map_err(|e| failed(format!("fstat: {e}")))?);
            here = Some(up);
        }
        ensure!(
            !walk.contains(&top_ids),
            "`..` from the kept descriptor reached the host's temp dir: {walk:?}"
        );
        ensure_eq!(
            &walk[1..],
            &[root; 4][..],
            "`..` from a/b stops at the sandbox's / ({root:?})"
        );
        let escape = read_at(raw, "../../../host-secret");
        ensure!(
            escape.is_err(),
            "the host's secret, next to the shared dir, was read inside: {escape:?}"
        );
        ensure!(
            descriptors_on(inside, &[secret_ids, top_ids])?.is_empty(),
            "a descriptor inside is on the host's temp dir or secret"
        );
        ensure_eq!(
            read_at(raw, "../../../marker"),
            Ok(MARKER_TEXT.to_string()),
            "../../.. from a/b is the new root, which holds the marker"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn kept_directory_fd_writes_fail_with_erofs_under_read_only() -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let below = shared.join("a/b");
    std::fs::create_dir_all(&below).map_err(io_ctx("mkdir a/b"))?;
    let dir = std::fs::File::open(&below).map_err(io_ctx("open a/b"))?;
    let raw = dir.as_raw_fd();
    let sandbox = prepare(Sandbox::builder(&shared).read_only(true).keep_fd(&dir))?;
    run_inside(sandbox, move |_| {
        let made = openat(
            raw,
            "planted",
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
        );
        ensure_eq!(
            made.as_ref().err(),
            Some(&libc::EROFS),
            "creating a file through the kept descriptor inside a read-only sandbox"
        );
        // SAFETY: mkdirat with a NUL-terminated literal.
        let r = unsafe { libc::mkdirat(raw, c"planted-dir".as_ptr(), 0o755) };
        ensure_eq!(
            (r, errno()),
            (-1, libc::EROFS),
            "mkdirat through the kept descriptor"
        );
        Ok(String::new())
    })?;
    ensure!(
        !below.join("planted").exists() && !below.join("planted-dir").exists(),
        "something was created in a/b on the host"
    );
    Ok(())
}

/// Enters `builder` and expects [`Error::LeakedDirectory`] naming `fd`.
fn expect_leaked(builder: sandbox::Builder, fd: i32) -> TestResult {
    let what = format!("the directory descriptor {fd} outside the shared dir");
    match expect_refused(builder.build()?.enter(), &what)? {
        Error::LeakedDirectory { fd: named, path } => {
            ensure_eq!(named, fd, "the descriptor LeakedDirectory names ({path:?})");
        }
        e => fail!("expected LeakedDirectory for descriptor {fd}, got {e:?}"),
    }
    Ok(())
}

fn kept_directory_outside_the_shared_dir_or_at_fd_0_is_refused_and_nothing_changes() -> TestResult {
    let (top, shared) = shared_dir()?;
    let parent = std::fs::File::open(top.path()).map_err(io_ctx("open the shared dir's parent"))?;
    let namespaces = own_namespaces()?;
    let mounts = test_support::mountinfo()?;
    expect_leaked(
        Sandbox::builder(&shared).keep_fd(&parent),
        parent.as_raw_fd(),
    )?;
    ensure_eq!(
        own_namespaces()?,
        namespaces,
        "our namespaces after the refusal"
    );
    ensure_eq!(
        test_support::mountinfo()?,
        mounts,
        "our mount table after the refusal"
    );

    // Standard input always survives: a directory there is refused without any keep_fd.
    // SAFETY: dup2 onto 0 replaces this scenario process's standard input (/dev/null).
    if unsafe { libc::dup2(parent.as_raw_fd(), 0) } != 0 {
        fail!("dup2 onto 0: {}", std::io::Error::last_os_error());
    }
    expect_leaked(Sandbox::builder(&shared), 0)?;
    ensure_eq!(
        own_namespaces()?,
        namespaces,
        "our namespaces after the refusal"
    );
    ensure_eq!(
        test_support::mountinfo()?,
        mounts,
        "our mount table after the refusal"
    );
    Ok(())
}

fn descriptors_queued_on_an_unkept_socket_never_arrive_inside() -> TestResult {
    let (top, shared) = shared_dir()?;
    let (a, b) = UnixStream::pair().map_err(io_ctx("socketpair"))?;
    let (a, b) = (high_fd(a)?, high_fd(b)?);
    let host = ids_of(top.path())?;
    {
        // Two copies of a host directory outside the shared dir wait on `b`; ours go.
        let host_dir = std::fs::File::open(top.path()).map_err(io_ctx("open the temp dir"))?;
        send_fd(a.as_fd(), host_dir.as_fd())?;
        send_fd(a.as_fd(), host_dir.as_fd())?;
    }
    let (ra, rb) = (a.as_raw_fd(), b.as_raw_fd());
    // Each enter in a child of its own: a process enters once.
    test_support::in_child(|| {
        run_inside(Sandbox::builder(&shared), move |inside| {
            for fd in [ra, rb] {
                let got = recv_fd(fd, libc::MSG_DONTWAIT);
                ensure_eq!(
                    got.as_ref().err(),
                    Some(&Errno::BADF),
                    "recvmsg on the unkept socket number {fd} inside (got {got:?})"
                );
            }
            let holding = descriptors_on(inside, &[host])?;
            ensure!(
                holding.is_empty(),
                "descriptors {holding:?} inside are on the host's temp dir"
            );
            Ok(String::new())
        })?;
        Ok(())
    })?;
    // Kept on purpose, the socket hands the host's directory in, as keep_fd's docs say:
    // the queued descriptors were there all along (so the test above can tell).
    test_support::in_child(|| {
        let sandbox = prepare(Sandbox::builder(&shared).keep_fd(&b))?;
        run_inside(sandbox, move |_| {
            let got = recv_fd(rb, libc::MSG_DONTWAIT)
                .map_err(|e| failed(format!("recvmsg on the kept socket: {e}")))?
                .ok_or_else(|| failed("no descriptor came with the message"))?;
            ensure_eq!(
                fstat_ids(got.as_raw_fd()),
                Ok(host),
                "the descriptor received on the kept socket is the host's temp dir"
            );
            Ok(String::new())
        })?;
        Ok(())
    })
}

/// `io_uring_enter(ring, 0, 0, 0, NULL, 0)`: submits and waits for nothing.
fn uring_enter(ring: i32) -> Sys<libc::c_long> {
    // SAFETY: no submission or completion is asked for, and the signal mask is NULL.
    sys(unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            ring as libc::c_long,
            0 as libc::c_long,
            0 as libc::c_long,
            0 as libc::c_long,
            std::ptr::null::<libc::c_void>(),
            0 as libc::c_long,
        )
    })
}

fn io_uring_holding_a_host_directory_is_closed_inside() -> TestResult {
    const IORING_REGISTER_FILES: libc::c_long = 2;
    let (top, shared) = shared_dir()?;
    let host = ids_of(top.path())?;
    // struct io_uring_params is 120 bytes; zeroed asks for nothing special.
    let mut params = [0u32; 30];
    // SAFETY: io_uring_setup writes the ring's parameters into the 120-byte buffer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_setup,
            8 as libc::c_long,
            params.as_mut_ptr(),
        )
    };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
            skip!("io_uring_setup is refused here ({e}: kernel.io_uring_disabled or a seccomp profile)");
        }
        fail!("io_uring_setup: {e}");
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let ring = high_fd(unsafe { OwnedFd::from_raw_fd(r as i32) })?;
    let ring_raw = ring.as_raw_fd();
    {
        let host_dir = std::fs::File::open(top.path()).map_err(io_ctx("open the temp dir"))?;
        let files = [host_dir.as_raw_fd()];
        // SAFETY: IORING_REGISTER_FILES reads one descriptor from the array.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                ring_raw as libc::c_long,
                IORING_REGISTER_FILES,
                files.as_ptr(),
                1 as libc::c_long,
            )
        };
        if r < 0 {
            fail!("IORING_REGISTER_FILES: {}", std::io::Error::last_os_error());
        }
        // Only the ring holds the directory now.
    }
    ensure_eq!(uring_enter(ring_raw), Ok(0), "io_uring_enter on the host");
    run_inside(Sandbox::builder(&shared), move |inside| {
        ensure_eq!(
            fd_flags(ring_raw),
            Err(libc::EBADF),
            "fcntl(F_GETFD) of the ring's number {ring_raw} inside"
        );
        let entered = uring_enter(ring_raw);
        ensure!(
            entered.is_err(),
            "io_uring_enter on the ring's number inside: {entered:?}"
        );
        let rings: Vec<_> = descriptor_links(inside)?
            .into_iter()
            .filter(|(_, link)| link.contains("io_uring"))
            .collect();
        ensure!(rings.is_empty(), "io_uring descriptors inside: {rings:?}");
        let holding = descriptors_on(inside, &[host])?;
        ensure!(
            holding.is_empty(),
            "descriptors {holding:?} inside are on the host's temp dir"
        );
        Ok(String::new())
    })?;
    Ok(())
}

fn read_only_host_file_cannot_be_reopened_writable_inside() -> TestResult {
    let (top, shared) = shared_dir()?;
    let path = top.path().join("host-file");
    std::fs::write(&path, "host data\n").map_err(io_ctx("write host-file"))?;
    let host = ids_of(&path)?;
    let file = high_fd(std::fs::File::open(&path).map_err(io_ctx("open host-file"))?)?;
    let raw = file.as_raw_fd();
    run_inside(Sandbox::builder(&shared), move |inside| {
        // SAFETY: `reopen` only names the number in the proc handle's directory; the number
        // is the attacker's guess and may well be closed, which is what is checked.
        let guess = unsafe { BorrowedFd::borrow_raw(raw) };
        let reopened = inside.proc_self_fd().reopen(guess, OFlags::RDWR);
        if let Ok(fd) = &reopened {
            let ids = fstat_ids(fd.as_raw_fd());
            ensure!(
                ids != Ok(host),
                "the read-only host file was reopened read-write inside"
            );
        }
        ensure!(
            reopened.is_err(),
            "reopen of descriptor {raw} read-write worked inside: {reopened:?}"
        );
        Ok(String::new())
    })?;
    ensure_eq!(
        std::fs::read_to_string(&path).map_err(io_ctx("read host-file"))?,
        "host data\n",
        "the host file after the sandboxed child ended"
    );
    Ok(())
}

// =======================================================================================
// The session: the starting terminal and the caller's process group.

/// A pseudo-terminal: the master, and the slave that is the controlling terminal.
struct Terminal {
    _master: OwnedFd,
    slave: OwnedFd,
}

/// Makes this process the leader of a new session whose controlling terminal is a fresh
/// pty, with the slave, in raw mode, as standard input. Call it in a forked child: the
/// scenario process leads its process group, where `setsid` fails with `EPERM`.
fn controlling_terminal() -> Result<Terminal, Fail> {
    // Closing the master (when the terminal is dropped, also on a failed check) hangs the
    // terminal up, and the kernel sends SIGHUP to its session leader: this process.
    ignore_signal(libc::SIGHUP);
    // SAFETY: setsid takes no arguments.
    if unsafe { libc::setsid() } < 0 {
        fail!("setsid: {}", std::io::Error::last_os_error());
    }
    // SAFETY: posix_openpt opens /dev/ptmx with these flags.
    let m = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    if m < 0 {
        skip!(
            "no pseudo-terminals here: posix_openpt: {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let master = unsafe { OwnedFd::from_raw_fd(m) };
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: grantpt and unlockpt take the master; ptsname_r writes a NUL-terminated
    // name into the local buffer of the given length.
    let named = unsafe {
        libc::grantpt(m) == 0
            && libc::unlockpt(m) == 0
            && libc::ptsname_r(m, name.as_mut_ptr(), name.len()) == 0
    };
    if !named {
        fail!(
            "grantpt/unlockpt/ptsname_r: {}",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: `name` is NUL-terminated (ptsname_r succeeded).
    let s = unsafe {
        libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if s < 0 {
        fail!("open the pty slave: {}", std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let slave = unsafe { OwnedFd::from_raw_fd(s) };
    // SAFETY: a zeroed termios is a valid out-buffer for tcgetattr; TIOCSCTTY, tcsetattr
    // and dup2 take the slave and integers.
    let set_up = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::ioctl(s, libc::TIOCSCTTY, 0) == 0
            && libc::tcgetattr(s, &mut t) == 0
            && {
                libc::cfmakeraw(&mut t);
                libc::tcsetattr(s, libc::TCSANOW, &t) == 0
            }
            && libc::dup2(s, 0) == 0
    };
    if !set_up {
        fail!(
            "make the pty the controlling terminal: {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(Terminal {
        _master: master,
        slave,
    })
}

/// What reading the slave gives without waiting: the input queued, or the errno.
fn pending_input(slave: &OwnedFd) -> Sys<String> {
    let fd = slave.as_raw_fd();
    // SAFETY: fcntl on our own descriptor; read into a local buffer of the given size.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
        let mut buf = [0u8; 64];
        let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        if n < 0 {
            return Err(errno());
        }
        Ok(String::from_utf8_lossy(&buf[..n as usize]).into_owned())
    }
}

/// Inside: pushes `x` into standard input's terminal with TIOCSTI, and notes whether the
/// terminal is still the controlling one.
fn terminal_report(_: &Inside) -> Result<String, Fail> {
    let c = b'x';
    // SAFETY: TIOCSTI reads one byte from the pointer.
    let push = unsafe { libc::ioctl(0, libc::TIOCSTI, &c as *const u8) };
    let push = if push == 0 { Ok(()) } else { Err(errno()) };
    let mut pgrp: libc::pid_t = 0;
    // SAFETY: TIOCGPGRP writes a pid_t; ENOTTY unless 0 is our controlling terminal.
    let foreground = unsafe { libc::ioctl(0, libc::TIOCGPGRP, &mut pgrp as *mut libc::pid_t) };
    let foreground = if foreground == 0 {
        Ok(())
    } else {
        Err(errno())
    };
    // SAFETY: getsid and getpid take integers only.
    let (sid, pid) = unsafe { (libc::getsid(0), libc::getpid()) };
    Ok(format!(
        "push={}\nforeground={}\nsid={sid}\npid={pid}\n",
        said(&push),
        said(&foreground)
    ))
}

/// `dev.tty.legacy_tiocsti`: "1" where the file is missing (before Linux 6.2, TIOCSTI
/// always works on the controlling terminal).
fn legacy_tiocsti() -> String {
    std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "1".into())
}

/// In a child that leads a session with a pty as its controlling terminal and standard
/// input: enters `configure`d, pushes a byte with TIOCSTI inside, and checks that it was
/// refused (with `errno` when given), that nothing waits on the terminal afterwards, and
/// that inside the terminal is no longer the controlling one.
fn tiocsti_refused(
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
    errno: Option<i32>,
) -> TestResult {
    let (_top, shared) = shared_dir()?;
    test_support::in_child(|| {
        let terminal = controlling_terminal()?;
        let sandbox = prepare(configure(Sandbox::builder(&shared)))?;
        let out = run_inside(sandbox, terminal_report)?;
        let push = need(&out.report, "push")?;
        ensure!(
            push != "ok",
            "TIOCSTI into the starting terminal worked inside: {}",
            out.report
        );
        if let Some(errno) = errno {
            ensure_eq!(push, errno.to_string(), "the errno of TIOCSTI inside");
        }
        ensure_eq!(
            pending_input(&terminal.slave),
            Err(libc::EAGAIN),
            "input waiting on the terminal after the sandboxed child ended"
        );
        // The kernel answers TIOCGPGRP with ENOTTY for a terminal that is not the caller's
        // controlling one.
        ensure!(
            need(&out.report, "foreground")? != "ok",
            "TIOCGPGRP on standard input worked inside: it is still the controlling terminal"
        );
        ensure_eq!(
            need(&out.report, "sid")?,
            need(&out.report, "pid")?,
            "the sandboxed process leads its own session"
        );
        Ok(())
    })
}

fn tiocsti_cannot_push_input_into_the_starting_terminal() -> TestResult {
    tiocsti_refused(|b| b, None)
}

fn new_session_alone_refuses_tiocsti_with_eperm() -> TestResult {
    // Without the seccomp filter: the kernel's rule that TIOCSTI needs the terminal to be
    // the caller's controlling one (or CAP_SYS_ADMIN) is the layer left, with its EPERM.
    // Where legacy_tiocsti is 0 the kernel refuses with EIO before looking at the session.
    let legacy = legacy_tiocsti();
    if legacy != "1" {
        skip!("dev.tty.legacy_tiocsti is {legacy}: the kernel refuses TIOCSTI (EIO) whatever the session");
    }
    tiocsti_refused(|b| b.seccomp(Filter::none()), Some(libc::EPERM))
}

fn new_session_false_gives_back_tiocsti_into_the_starting_terminal() -> TestResult {
    let legacy = legacy_tiocsti();
    if legacy != "1" {
        skip!(
            "dev.tty.legacy_tiocsti is {legacy}: the kernel refuses TIOCSTI without CAP_SYS_ADMIN \
             whatever the session, so what new_session(false) gives back cannot be seen"
        );
    }
    let (_top, shared) = shared_dir()?;
    test_support::in_child(|| {
        let terminal = controlling_terminal()?;
        // Without the seccomp filter, which refuses TIOCSTI too: only the session decides.
        let sandbox = prepare(
            Sandbox::builder(&shared)
                .new_session(false)
                .seccomp(Filter::none()),
        )?;
        let out = run_inside(sandbox, terminal_report)?;
        ensure_eq!(
            need(&out.report, "foreground")?,
            "ok",
            "TIOCGPGRP on standard input: with new_session(false) the terminal stays the \
             controlling one ({})",
            out.report.trim().replace('\n', ", ")
        );
        let push = need(&out.report, "push")?;
        if push == libc::EPERM.to_string() {
            skip!(
                "TIOCSTI was refused with EPERM although the terminal is the sandboxed process's \
                 controlling terminal, legacy_tiocsti is 1 and the sandbox installs no filter: \
                 a seccomp filter around this test refuses it"
            );
        }
        ensure_eq!(push, "ok", "TIOCSTI with new_session(false)");
        ensure_eq!(
            pending_input(&terminal.slave),
            Ok("x".to_string()),
            "the pushed byte waits on the terminal"
        );
        Ok(())
    })
}

/// The sibling's write end for its SIGUSR1 handler.
static SIGNAL_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn note_signal(_: libc::c_int) {
    let fd = SIGNAL_FD.load(Ordering::Relaxed);
    // SAFETY: write(2) is async-signal-safe; it reads one byte of a static.
    unsafe { libc::write(fd, b"u".as_ptr().cast(), 1) };
}

/// A process in the scenario's process group (a host process the sandbox must not reach),
/// without capabilities, that writes `u` to a pipe on SIGUSR1 and dies of SIGTERM. Killed
/// and reaped on drop.
struct Sibling {
    pid: i32,
    signals: PipeReader,
}

impl Sibling {
    fn spawn() -> Result<Sibling, Fail> {
        let (r, w) = pipe()?;
        let pid = fork_process(move || {
            // No capabilities, like any unprivileged host process of the uid: renicing a
            // process whose permitted set is not a subset of one's own needs
            // CAP_SYS_NICE, which would protect a root sibling whatever the session.
            if test_support::drop_all_capabilities().is_err() {
                return 2;
            }
            SIGNAL_FD.store(w.as_raw_fd(), Ordering::Relaxed);
            // SAFETY: installs a handler that only calls write(2), with the signature
            // signal(2) expects; SIG_DFL is a valid disposition.
            unsafe {
                libc::signal(
                    libc::SIGUSR1,
                    note_signal as *const () as libc::sighandler_t,
                );
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
            }
            let _ = (&w).write_all(b"r");
            pause_forever()
        })?;
        let mut sibling = Sibling { pid, signals: r };
        expect(&mut sibling.signals, "r")?;
        Ok(sibling)
    }

    /// Its nice value, from `/proc/PID/stat`.
    fn nice(&self) -> Result<i32, Fail> {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .map_err(io_ctx("read the sibling's stat"))?;
        s.rfind(')')
            .and_then(|i| s[i + 1..].split_whitespace().nth(16))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| failed(format!("odd stat: {s}")))
    }

    /// Whether its handler ran within `timeout`.
    fn signalled_within(&mut self, timeout: Duration) -> Result<bool, Fail> {
        let mut pfd = libc::pollfd {
            fd: self.signals.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes the one local pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as i32) };
        if r < 0 {
            fail!("poll: {}", std::io::Error::last_os_error());
        }
        if r == 0 {
            return Ok(false);
        }
        let mut b = [0u8; 1];
        Ok(matches!(self.signals.read(&mut b), Ok(1)))
    }
}

impl Drop for Sibling {
    fn drop(&mut self) {
        kill_and_reap(self.pid);
    }
}

/// Inside: `kill(0, sig)` (with `sig` ignored here first, as the sandboxed process is in
/// the group it signals) and `setpriority(PRIO_PGRP, 0, 19)`.
fn signal_and_renice_own_group(sig: i32) -> String {
    ignore_signal(sig);
    // SAFETY: kill and setpriority take integers only.
    let (killed, reniced) = unsafe {
        (
            libc::kill(0, sig),
            libc::setpriority(libc::PRIO_PGRP, 0, 19),
        )
    };
    let killed = if killed == 0 { Ok(()) } else { Err(errno()) };
    let reniced = if reniced == 0 { Ok(()) } else { Err(errno()) };
    format!("kill={}\nrenice={}\n", said(&killed), said(&reniced))
}

fn kill_and_renice_of_the_process_group_stop_at_the_sandbox() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let sibling = Sibling::spawn()?;
    let nice_before = sibling.nice()?;
    // This process is in the group too: should the signal reach it, it lives to tell.
    ignore_signal(libc::SIGTERM);
    run_inside(Sandbox::builder(&shared), |_| {
        Ok(signal_and_renice_own_group(libc::SIGTERM))
    })?;
    ensure_eq!(
        waitpid_timeout(sibling.pid, Duration::from_millis(500))?,
        None,
        "the sibling in the caller's process group after kill(0, SIGTERM) inside"
    );
    ensure_eq!(
        sibling.nice()?,
        nice_before,
        "the sibling's nice value after setpriority(PRIO_PGRP, 0, 19) inside"
    );
    Ok(())
}

fn new_session_false_gives_back_signalling_and_renicing_the_callers_group() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let mut sibling = Sibling::spawn()?;
    ignore_signal(libc::SIGUSR1);
    let sandbox = prepare(Sandbox::builder(&shared).new_session(false))?;
    let out = run_inside(sandbox, |_| Ok(signal_and_renice_own_group(libc::SIGUSR1)))?;
    ensure!(
        sibling.signalled_within(Duration::from_secs(5))?,
        "kill(0, SIGUSR1) inside did not reach the sibling with new_session(false): {}",
        out.report
    );
    ensure_eq!(
        sibling.nice()?,
        19,
        "the sibling's nice value after setpriority(PRIO_PGRP, 0, 19) inside ({})",
        out.report.trim().replace('\n', ", ")
    );
    Ok(())
}

// =======================================================================================
// IPC.

const IPC_SECRET: &[u8] = b"host ipc secret";

/// A System V message.
#[repr(C)]
struct Message {
    mtype: libc::c_long,
    text: [u8; 64],
}

/// The host's IPC objects with a secret in each: a shared memory segment and a message
/// queue (`IPC_PRIVATE`, 0600) and a POSIX message queue (`/sandbox-test-PID`, 0600).
/// Removed on drop (never in the sandboxed child, which does not return).
struct HostIpc {
    shm: i32,
    msq: i32,
    /// The queue's name without the leading `/`, as the system calls take it.
    mq: CString,
    mq_made: bool,
}

impl HostIpc {
    fn create() -> Result<HostIpc, Fail> {
        let mut ipc = HostIpc {
            shm: -1,
            msq: -1,
            mq: CString::new(format!("sandbox-test-{}", getpid())).map_err(failed)?,
            mq_made: false,
        };
        // SAFETY: shmget takes integers.
        ipc.shm = unsafe { libc::shmget(libc::IPC_PRIVATE, 4096, libc::IPC_CREAT | 0o600) };
        if ipc.shm < 0 {
            fail!("shmget: {}", std::io::Error::last_os_error());
        }
        // SAFETY: shmat maps the 4096-byte segment; the secret is copied within it, then
        // it is unmapped.
        unsafe {
            let p = libc::shmat(ipc.shm, std::ptr::null(), 0);
            if p as isize == -1 {
                fail!("shmat: {}", std::io::Error::last_os_error());
            }
            std::ptr::copy_nonoverlapping(IPC_SECRET.as_ptr(), p.cast(), IPC_SECRET.len());
            libc::shmdt(p);
        }
        // SAFETY: msgget takes integers.
        ipc.msq = unsafe { libc::msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600) };
        if ipc.msq < 0 {
            fail!("msgget: {}", std::io::Error::last_os_error());
        }
        let mut msg = Message {
            mtype: 1,
            text: [0; 64],
        };
        msg.text[..IPC_SECRET.len()].copy_from_slice(IPC_SECRET);
        // SAFETY: msgsnd reads the message's type and IPC_SECRET.len() bytes of text.
        if unsafe {
            libc::msgsnd(
                ipc.msq,
                (&msg as *const Message).cast(),
                IPC_SECRET.len(),
                libc::IPC_NOWAIT,
            )
        } != 0
        {
            fail!("msgsnd: {}", std::io::Error::last_os_error());
        }
        // SAFETY: a zeroed mq_attr is valid; the two fields set are the ones mq_open reads.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        attr.mq_maxmsg = 1;
        attr.mq_msgsize = 64;
        // SAFETY: mq_open with a NUL-terminated name and an attribute struct, both alive.
        let mqd = unsafe {
            libc::syscall(
                libc::SYS_mq_open,
                ipc.mq.as_ptr(),
                (libc::O_CREAT | libc::O_EXCL | libc::O_RDWR) as libc::c_long,
                0o600 as libc::c_long,
                &attr as *const libc::mq_attr,
            )
        };
        if mqd < 0 {
            fail!("mq_open: {}", std::io::Error::last_os_error());
        }
        ipc.mq_made = true;
        // SAFETY: the queue descriptor is fresh and ours.
        let mqd = unsafe { OwnedFd::from_raw_fd(mqd as i32) };
        // SAFETY: mq_timedsend reads IPC_SECRET; no timeout.
        let sent = unsafe {
            libc::syscall(
                libc::SYS_mq_timedsend,
                mqd.as_raw_fd() as libc::c_long,
                IPC_SECRET.as_ptr(),
                IPC_SECRET.len(),
                0 as libc::c_long,
                std::ptr::null::<libc::timespec>(),
            )
        };
        if sent != 0 {
            fail!("mq_timedsend: {}", std::io::Error::last_os_error());
        }
        Ok(ipc)
    }
}

impl Drop for HostIpc {
    fn drop(&mut self) {
        // SAFETY: IPC_RMID takes no buffer; mq_unlink a NUL-terminated name.
        unsafe {
            if self.shm >= 0 {
                libc::shmctl(self.shm, libc::IPC_RMID, std::ptr::null_mut());
            }
            if self.msq >= 0 {
                libc::msgctl(self.msq, libc::IPC_RMID, std::ptr::null_mut());
            }
            if self.mq_made {
                libc::syscall(libc::SYS_mq_unlink, self.mq.as_ptr());
            }
        }
    }
}

/// What the sandboxed process got from the host's IPC objects.
#[derive(Debug)]
struct IpcSeen {
    shm: Sys<Vec<u8>>,
    shm_stat: Sys<()>,
    msg: Sys<Vec<u8>>,
    mq: Sys<Vec<u8>>,
}

/// Inside: attaches the segment, stats it, receives from both queues.
fn try_host_ipc(shm: i32, msq: i32, mq: &CStr) -> IpcSeen {
    let n = IPC_SECRET.len();
    // SAFETY: shmat maps the segment read-only (or fails); n bytes are read from it (the
    // segment has 4096), then it is unmapped.
    let shm_read = unsafe {
        let p = libc::shmat(shm, std::ptr::null(), libc::SHM_RDONLY);
        if p as isize == -1 {
            Err(errno())
        } else {
            let bytes = std::slice::from_raw_parts(p.cast::<u8>(), n).to_vec();
            libc::shmdt(p);
            Ok(bytes)
        }
    };
    // SAFETY: a zeroed shmid_ds is a valid out-buffer for IPC_STAT.
    let shm_stat = unsafe {
        let mut ds: libc::shmid_ds = std::mem::zeroed();
        if libc::shmctl(shm, libc::IPC_STAT, &mut ds) == 0 {
            Ok(())
        } else {
            Err(errno())
        }
    };
    let mut msg = Message {
        mtype: 0,
        text: [0; 64],
    };
    // SAFETY: msgrcv writes at most 64 bytes of text into the local message.
    let got = unsafe {
        libc::msgrcv(
            msq,
            (&mut msg as *mut Message).cast(),
            msg.text.len(),
            0,
            libc::IPC_NOWAIT,
        )
    };
    let msg_read = if got < 0 {
        Err(errno())
    } else {
        Ok(msg.text[..got as usize].to_vec())
    };
    // SAFETY: mq_open with a NUL-terminated name, no attributes.
    let mqd = unsafe {
        libc::syscall(
            libc::SYS_mq_open,
            mq.as_ptr(),
            (libc::O_RDONLY | libc::O_NONBLOCK) as libc::c_long,
            0 as libc::c_long,
            std::ptr::null::<libc::mq_attr>(),
        )
    };
    let mq_read = if mqd < 0 {
        Err(errno())
    } else {
        // SAFETY: the queue descriptor is fresh and ours.
        let mqd = unsafe { OwnedFd::from_raw_fd(mqd as i32) };
        let mut buf = [0u8; 64];
        let mut prio: libc::c_uint = 0;
        // SAFETY: mq_timedreceive writes at most 64 bytes (the queue's message size) and
        // the priority into locals.
        let r = unsafe {
            libc::syscall(
                libc::SYS_mq_timedreceive,
                mqd.as_raw_fd() as libc::c_long,
                buf.as_mut_ptr(),
                buf.len(),
                &mut prio as *mut libc::c_uint,
                std::ptr::null::<libc::timespec>(),
            )
        };
        if r < 0 {
            Err(errno())
        } else {
            Ok(buf[..r as usize].to_vec())
        }
    };
    IpcSeen {
        shm: shm_read,
        shm_stat,
        msg: msg_read,
        mq: mq_read,
    }
}

const UNSHARED_BY_DEFAULT: [&str; 3] = ["ipc", "uts", "cgroup"];

fn host_ipc_objects_are_unreachable_and_ipc_uts_cgroup_namespaces_are_new() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let ipc = HostIpc::create()?;
    let (shm, msq, mq) = (ipc.shm, ipc.msq, ipc.mq.clone());
    let host: Vec<(&str, String)> = UNSHARED_BY_DEFAULT
        .iter()
        .map(|n| Ok((*n, ns(None, n)?)))
        .collect::<Result<_, Fail>>()?;
    run_inside_with(
        Sandbox::builder(&shared),
        0,
        |child| {
            let pid = child.pid().as_raw_nonzero().get();
            for (name, link) in &host {
                let theirs = ns(Some(pid), name)?;
                ensure!(
                    theirs != *link,
                    "the sandboxed child is in the host's {name} namespace {link}"
                );
            }
            Ok(())
        },
        move |_| {
            let seen = try_host_ipc(shm, msq, &mq);
            let secret = Ok(IPC_SECRET.to_vec());
            ensure!(
                seen.shm != secret && seen.msg != secret && seen.mq != secret,
                "a host secret was read inside: {seen:?}"
            );
            ensure!(
                seen.shm.is_err()
                    && seen.shm_stat.is_err()
                    && seen.msg.is_err()
                    && seen.mq.is_err(),
                "the host's IPC objects answered inside: {seen:?}"
            );
            Ok(String::new())
        },
    )?;
    drop(ipc);
    Ok(())
}

fn leaving_out_the_ipc_namespace_gives_back_the_hosts_ipc_objects() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let ipc = HostIpc::create()?;
    let (shm, msq, mq) = (ipc.shm, ipc.msq, ipc.mq.clone());
    let host_ipc = ns(None, "ipc")?;
    // As uid 65534 a user namespace is made anyway, but the IPC namespace stays the
    // host's (owned by the initial user namespace), and the objects belong to the same
    // uid as the sandboxed process (0600, owner match, no capability needed): they are
    // readable in both runs.
    // Without the Landlock layer too: it refuses the POSIX message queue on its own
    // (`mq_open` opens a path of the host's mqueue file system, outside the sandbox's root:
    // EACCES).
    let sandbox = prepare(
        Sandbox::builder(&shared)
            .namespaces(Namespaces::PID | Namespaces::NET)
            .landlock(false),
    )?;
    run_inside_with(
        sandbox,
        0,
        |child| {
            let pid = child.pid().as_raw_nonzero().get();
            ensure_eq!(
                ns(Some(pid), "ipc")?,
                host_ipc,
                "the sandboxed child's IPC namespace without Namespaces::IPC"
            );
            Ok(())
        },
        move |_| {
            let seen = try_host_ipc(shm, msq, &mq);
            let secret = Ok(IPC_SECRET.to_vec());
            ensure!(
                seen.shm == secret && seen.msg == secret && seen.mq == secret,
                "without an IPC namespace the host's secrets are read: {seen:?}"
            );
            Ok(String::new())
        },
    )?;
    drop(ipc);
    Ok(())
}

// =======================================================================================
// Keyrings.

const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_SEARCH: libc::c_long = 10;
const KEYCTL_READ: libc::c_long = 11;
const KEYCTL_SESSION_TO_PARENT: libc::c_long = 18;
const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;

const SECRET_KEY: &CStr = c"sandbox-test-secret";
const PLANTED_KEY: &CStr = c"sandbox-test-planted";
const KEY_PAYLOAD: &[u8] = b"key payload of the host";

/// The serial of this process's session keyring (not creating one).
fn session_keyring() -> Sys<libc::c_long> {
    // SAFETY: keyctl with integer arguments.
    sys(unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            KEY_SPEC_SESSION_KEYRING,
            0 as libc::c_long,
        )
    })
}

/// Joins a fresh anonymous session keyring, so that the keys planted next are the
/// scenario's own and the machine's keyrings are never touched. Skips without keyrings.
fn join_fresh_session_keyring() -> Result<libc::c_long, Fail> {
    // SAFETY: keyctl with a NULL name (an anonymous keyring).
    let r = sys(unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    });
    match r {
        Ok(id) => Ok(id),
        Err(libc::ENOSYS) => skip!("this kernel has no keyrings (keyctl: ENOSYS)"),
        Err(e) => fail!("KEYCTL_JOIN_SESSION_KEYRING: errno {e}"),
    }
}

/// Adds a "user" key to the session keyring.
fn add_user_key(desc: &CStr, payload: &[u8]) -> Sys<libc::c_long> {
    // SAFETY: add_key reads the NUL-terminated type and description and the payload.
    sys(unsafe {
        libc::syscall(
            libc::SYS_add_key,
            c"user".as_ptr(),
            desc.as_ptr(),
            payload.as_ptr(),
            payload.len(),
            KEY_SPEC_SESSION_KEYRING,
        )
    })
}

/// `KEYCTL_SEARCH` for a "user" key in the session keyring (and the keyrings it holds).
fn search_session(desc: &CStr) -> Sys<libc::c_long> {
    // SAFETY: keyctl reads the NUL-terminated type and description.
    sys(unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_SEARCH,
            KEY_SPEC_SESSION_KEYRING,
            c"user".as_ptr(),
            desc.as_ptr(),
            0 as libc::c_long,
        )
    })
}

/// `request_key("user", desc, NULL, 0)`: the thread, process and session keyrings.
fn request_user_key(desc: &CStr) -> Sys<libc::c_long> {
    // SAFETY: request_key reads the NUL-terminated strings; no callout info.
    sys(unsafe {
        libc::syscall(
            libc::SYS_request_key,
            c"user".as_ptr(),
            desc.as_ptr(),
            std::ptr::null::<libc::c_char>(),
            0 as libc::c_long,
        )
    })
}

/// `KEYCTL_READ` of key `id`: its payload.
fn read_key(id: libc::c_long) -> Sys<Vec<u8>> {
    let mut buf = [0u8; 256];
    // SAFETY: keyctl writes at most buf.len() bytes into the local buffer.
    let n = sys(unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_READ,
            id,
            buf.as_mut_ptr(),
            buf.len(),
        )
    })?;
    Ok(buf[..(n as usize).min(buf.len())].to_vec())
}

/// A fresh session keyring of the scenario's own with the secret key in it: (keyring,
/// key). Checks that the key is found here, so that "not found inside" means something.
fn session_with_secret() -> Result<(libc::c_long, libc::c_long), Fail> {
    let session = join_fresh_session_keyring()?;
    let key =
        add_user_key(SECRET_KEY, KEY_PAYLOAD).map_err(|e| failed(format!("add_key: errno {e}")))?;
    ensure_eq!(
        search_session(SECRET_KEY),
        Ok(key),
        "the secret key, searched here"
    );
    ensure_eq!(
        read_key(key),
        Ok(KEY_PAYLOAD.to_vec()),
        "the secret key, read here"
    );
    Ok((session, key))
}

/// With a secret key in a fresh session keyring of our own, enters `configure`d and checks
/// that inside the key is neither found nor read, and that a key added inside does not
/// reach our session keyring.
fn callers_session_keys_unreachable(
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
) -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (session, key) = session_with_secret()?;
    let sandbox = prepare(configure(Sandbox::builder(&shared)))?;
    let out = run_inside(sandbox, move |_| {
        let searched = search_session(SECRET_KEY);
        ensure!(
            searched.is_err(),
            "KEYCTL_SEARCH found the caller's key inside: {searched:?}"
        );
        let requested = request_user_key(SECRET_KEY);
        ensure!(
            requested.is_err(),
            "request_key found the caller's key inside: {requested:?}"
        );
        let read = read_key(key);
        ensure!(
            read != Ok(KEY_PAYLOAD.to_vec()),
            "KEYCTL_READ of the caller's key {key} inside gave its payload"
        );
        let planted = add_user_key(PLANTED_KEY, b"planted");
        Ok(format!(
            "read={}\nplanted={}\n",
            said(&read),
            said(&planted)
        ))
    })?;
    ensure!(
        search_session(PLANTED_KEY).is_err(),
        "the key added inside ({}) is in the original process's session keyring",
        need(&out.report, "planted")?
    );
    ensure_eq!(
        session_keyring(),
        Ok(session),
        "the original process's session keyring"
    );
    Ok(())
}

fn callers_session_keys_are_unreachable_and_keys_added_inside_stay_inside() -> TestResult {
    callers_session_keys_unreachable(|b| b)
}

fn fresh_keyring_alone_hides_the_callers_session_keys() -> TestResult {
    // Without the seccomp filter, which refuses every keyring call: the fresh session
    // keyring is the layer left.
    callers_session_keys_unreachable(|b| b.seccomp(Filter::none()))
}

/// Enters `configure`d with a fresh session keyring of our own, calls
/// `KEYCTL_SESSION_TO_PARENT` inside, and returns our session keyring before, after, and
/// the child's report.
fn session_to_parent(
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
) -> Result<(libc::c_long, Sys<libc::c_long>, String), Fail> {
    let (_top, shared) = shared_dir()?;
    let session = join_fresh_session_keyring()?;
    let sandbox = prepare(configure(Sandbox::builder(&shared)))?;
    let out = run_inside(sandbox, |_| {
        // SAFETY: keyctl with no further arguments.
        let moved = sys(unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_SESSION_TO_PARENT) });
        Ok(format!(
            "session_to_parent={}\ninside={:?}\n",
            said(&moved),
            session_keyring()
        ))
    })?;
    // The kernel replaces the parent's keyring when the parent next returns to user
    // space: it did (the wait returned), and once more for certain.
    // SAFETY: getpid takes no arguments.
    unsafe { libc::syscall(libc::SYS_getpid) };
    Ok((
        session,
        session_keyring(),
        out.report.trim().replace('\n', ", "),
    ))
}

fn session_to_parent_leaves_the_original_session_keyring_alone() -> TestResult {
    let (before, after, report) = session_to_parent(|b| b)?;
    ensure_eq!(
        after,
        Ok(before),
        "the original process's session keyring after KEYCTL_SESSION_TO_PARENT inside ({report})"
    );
    Ok(())
}

fn seccomp_none_gives_back_replacing_the_original_session_keyring() -> TestResult {
    // A fresh keyring inside does not stop KEYCTL_SESSION_TO_PARENT: only the filter does
    // (the original process is the parent, with the same uid, single-threaded).
    let (before, after, report) = session_to_parent(|b| b.seccomp(Filter::none()))?;
    ensure!(
        after.is_ok() && after != Ok(before),
        "without the seccomp filter KEYCTL_SESSION_TO_PARENT inside replaces the original \
         process's session keyring {before} (after: {after:?}; {report})"
    );
    Ok(())
}

fn new_keyring_false_gives_back_the_callers_session_keys() -> TestResult {
    let (_top, shared) = shared_dir()?;
    let (_session, key) = session_with_secret()?;
    // The default seccomp filter refuses every keyring call: without it, the keyring
    // option alone decides.
    let sandbox = prepare(
        Sandbox::builder(&shared)
            .new_keyring(false)
            .seccomp(Filter::none()),
    )?;
    run_inside(sandbox, move |_| {
        ensure_eq!(
            search_session(SECRET_KEY),
            Ok(key),
            "KEYCTL_SEARCH for the caller's key with new_keyring(false)"
        );
        ensure_eq!(
            read_key(key),
            Ok(KEY_PAYLOAD.to_vec()),
            "KEYCTL_READ of the caller's key with new_keyring(false)"
        );
        add_user_key(PLANTED_KEY, b"planted")
            .map_err(|e| failed(format!("add_key inside: errno {e}")))?;
        Ok(String::new())
    })?;
    ensure!(
        search_session(PLANTED_KEY).is_ok(),
        "with new_keyring(false) a key added inside lands in the caller's session keyring"
    );
    Ok(())
}

// =======================================================================================
// Dying with the original process.

fn sandboxed_process_ignoring_sigterm_dies_with_the_original_process() -> TestResult {
    let sandboxed = kill_the_original_of(|b| b, || ignore_signal(libc::SIGTERM))?;
    ensure_eq!(
        wait_for_orphan(sandboxed)?,
        Ended::Signal(libc::SIGKILL),
        "how the sandboxed process ended"
    );
    Ok(())
}

fn die_with_parent_sigterm_lets_a_process_ignoring_it_survive() -> TestResult {
    let sandboxed = kill_the_original_of(
        |b| b.die_with_parent(Signal::TERM),
        || ignore_signal(libc::SIGTERM),
    )?;
    let ended = waitpid_timeout(sandboxed, Duration::from_secs(1))?;
    if ended.is_none() {
        kill_and_reap(sandboxed);
    }
    ensure_eq!(
        ended,
        None,
        "a sandboxed process ignoring SIGTERM under die_with_parent(SIGTERM), 1 s after its original process died"
    );
    Ok(())
}

// =======================================================================================
// Mounts arriving later, in a mount namespace of the scenario's own.

/// In a forked child, in a private mount namespace of its own where the shared dir is a
/// shared mount: enters read-only with `propagation`, then a helper that stayed outside
/// mounts a tmpfs at `shared/sub` with a file `late`; `check` gets what the sandboxed
/// process saw: `late` (the file is there), `same_dev` (`/sub` is on the device of `/`),
/// `write` (creating `/sub/new`: "ok" or the errno).
fn later_host_mount(
    propagation: Propagation,
    landlock: bool,
    check: impl FnOnce(&str) -> TestResult,
) -> TestResult {
    let (_top, shared) = shared_dir_with_marker()?;
    let sub = shared.join("sub");
    std::fs::create_dir(&sub).map_err(io_ctx("mkdir sub"))?;
    test_support::in_child(|| {
        // Private first: nothing below reaches the real host's mount table.
        own_private_mount_namespace()?;
        mount(Some(&shared), &shared, None, libc::MS_BIND)?;
        mount(Some(Path::new("none")), &shared, None, libc::MS_SHARED)?;
        // Bytes on the command pipe: 'm' mount, 'q' quit (not EOF: the sandboxed child
        // holds a copy of the write end until the sandbox closes it).
        let (cmd_r, mut cmd_w) = pipe()?;
        let (mut ack_r, ack_w) = pipe()?;
        let sub_h = sub.clone();
        let helper = fork_process(move || {
            let mut cmd_r = cmd_r;
            if !wait_go(&mut cmd_r) {
                return 0;
            }
            let r = mount_tmpfs(&sub_h).and_then(|()| {
                std::fs::write(sub_h.join("late"), "x").map_err(io_ctx("write late"))
            });
            send(ack_w, if r.is_ok() { "k" } else { "e" });
            wait_go(&mut cmd_r);
            0
        })?;
        let result = (|| {
            let sandbox = prepare(
                Sandbox::builder(&shared)
                    .read_only(true)
                    .propagation(propagation)
                    .landlock(landlock),
            )?;
            run_inside_with(
                sandbox,
                0,
                |_| {
                    cmd_w
                        .write_all(b"m")
                        .map_err(io_ctx("ask the helper to mount"))?;
                    expect(&mut ack_r, "k")
                },
                |_| {
                    let dev = |p: &str| {
                        path_ids(p)
                            .map(|(d, _)| d)
                            .map_err(|e| failed(format!("stat {p}: errno {e}")))
                    };
                    let write =
                        std::fs::write("/sub/new", "x").map_err(|e| e.raw_os_error().unwrap_or(-1));
                    Ok(format!(
                        "late={}\nsame_dev={}\nwrite={}\n",
                        Path::new("/sub/late").exists(),
                        dev("/sub")? == dev("/")?,
                        said(&write)
                    ))
                },
            )
        })();
        let _ = cmd_w.write_all(b"q");
        let _ = waitpid(helper);
        check(&result?.report)
    })
}

/// What the sandbox saw of the late host mount below `/sub`: its file there (`late`),
/// `/sub` on the device of `/` (`same_dev`), and writing into `/sub` (`write`).
fn expect_late_mount(report: &str, late: &str, same_dev: &str, write: &str) -> TestResult {
    ensure_eq!(need(report, "late")?, late, "the late mount's file inside");
    ensure_eq!(
        need(report, "same_dev")?,
        same_dev,
        "/sub inside on the device of /"
    );
    ensure_eq!(need(report, "write")?, write, "writing into /sub inside");
    Ok(())
}

fn host_mounts_made_later_stay_out_of_a_read_only_sandbox() -> TestResult {
    // No mount arrived, and the sandbox's /sub is read-only.
    later_host_mount(Propagation::Private, true, |report| {
        expect_late_mount(report, "false", "true", &libc::EROFS.to_string())
    })
}

fn slave_propagation_without_landlock_brings_later_host_mounts_in_writable() -> TestResult {
    // The late mount keeps its own flags: the read-only mounts do not cover it, and
    // without the Landlock layer nothing else does.
    later_host_mount(Propagation::Slave, false, |report| {
        expect_late_mount(report, "true", "false", "ok")
    })
}

fn landlock_keeps_a_later_host_mount_read_only_under_slave_propagation() -> TestResult {
    // The mount arrives, writable by its own flags; the Landlock layer on the new root
    // (read-only) refuses the write anyway: EACCES, from Landlock, not EROFS.
    if sandbox::landlock_abi().is_none() {
        skip!("the kernel has no Landlock");
    }
    later_host_mount(Propagation::Slave, true, |report| {
        expect_late_mount(report, "true", "false", &libc::EACCES.to_string())
    })
}

// =======================================================================================
// Nested user namespaces.

/// A builder whose sandbox makes a user namespace: always without root; as root, with the
/// identity map of root.
fn with_user_namespace(shared: &Path) -> sandbox::Builder {
    let b = Sandbox::builder(shared);
    if test_support::is_root() {
        b.uid_map([IdMap::new(0, 0, 1)])
            .gid_map([IdMap::new(0, 0, 1)])
    } else {
        b
    }
}

/// Inside: what `unshare(CLONE_NEWUSER)` gave in a forked child ("ok" or the errno).
fn nested_user_namespace_report() -> Result<String, Fail> {
    let child = fork_process(|| {
        // SAFETY: unshare takes flags only; the forked child is single-threaded.
        if unsafe { libc::unshare(libc::CLONE_NEWUSER) } == 0 {
            0
        } else {
            errno()
        }
    })?;
    let unshared = match waitpid(child)? {
        Ended::Code(0) => "ok".to_string(),
        Ended::Code(e) => e.to_string(),
        Ended::Signal(s) => format!("signal {s}"),
    };
    Ok(format!("unshare={unshared}\n"))
}

/// `user.max_user_namespaces` as this process reads it: the limit of its own user
/// namespace (the user sysctls are per user namespace, chosen by the reader's).
fn user_namespace_limit() -> Result<String, Fail> {
    std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map(|s| s.trim().to_string())
        .map_err(io_ctx("read max_user_namespaces"))
}

/// Enters `configure`d (over a sandbox that makes a user namespace) in a child, and passes
/// `check` the limit in the sandbox's user namespace and the report of
/// [`nested_user_namespace_report`]; checks the host's limit is unchanged.
///
/// The sandbox's own proc is not reachable inside the new root; the original process
/// lives in the sandbox's user namespace too, so it reads the limit of that namespace.
/// In a child: as root, the maps put the original process in the new user namespace.
fn nested_user_namespaces(
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
    check: impl FnOnce(&str, &str) -> TestResult,
) -> TestResult {
    let (_top, shared) = shared_dir()?;
    let host_limit = user_namespace_limit()?;
    test_support::in_child(|| {
        let sandbox = prepare(configure(with_user_namespace(&shared)))?;
        let mut limit = String::new();
        let out = run_inside_with(
            sandbox,
            0,
            |_| {
                limit = user_namespace_limit()?;
                Ok(())
            },
            |_| nested_user_namespace_report(),
        )?;
        check(&limit, &out.report)
    })?;
    ensure_eq!(
        user_namespace_limit()?,
        host_limit,
        "the host's user.max_user_namespaces"
    );
    Ok(())
}

fn nested_user_namespaces_are_refused_in_the_sandboxs_user_namespace() -> TestResult {
    nested_user_namespaces(
        |b| b,
        |limit, report| {
            ensure_eq!(
                limit,
                "0",
                "user.max_user_namespaces in the sandbox's user namespace"
            );
            // ENOSPC from the limit, or EPERM from the default seccomp filter, which
            // refuses CLONE_NEWUSER first.
            ensure!(
                need(report, "unshare")? != "ok",
                "unshare(CLONE_NEWUSER) worked inside a default sandbox"
            );
            Ok(())
        },
    )
}

fn max_user_namespaces_alone_refuses_nested_user_namespaces_with_enospc() -> TestResult {
    // Without the seccomp filter the limit is the only layer left: its own errno.
    nested_user_namespaces(
        |b| b.seccomp(Filter::none()),
        |limit, report| {
            ensure_eq!(
                limit,
                "0",
                "user.max_user_namespaces in the sandbox's user namespace"
            );
            ensure_eq!(
                need(report, "unshare")?,
                libc::ENOSPC.to_string(),
                "unshare(CLONE_NEWUSER) inside without the seccomp filter"
            );
            Ok(())
        },
    )
}

fn nested_user_namespaces_true_lets_a_child_create_one() -> TestResult {
    // Without the seccomp filter, which refuses CLONE_NEWUSER whatever the limit.
    nested_user_namespaces(
        |b| b.nested_user_namespaces(true).seccomp(Filter::none()),
        |limit, report| {
            ensure!(
                limit != "0",
                "user.max_user_namespaces in the sandbox's user namespace with \
                 nested_user_namespaces(true)"
            );
            ensure_eq!(
                need(report, "unshare")?,
                "ok",
                "unshare(CLONE_NEWUSER) in a child inside with nested_user_namespaces(true)"
            );
            Ok(())
        },
    )
}

// =======================================================================================
// A root daemon with id maps that leave root out.

/// Maps inside id 0 to host id 65534.
fn nobody_as_root(b: sandbox::Builder) -> sandbox::Builder {
    b.uid_map([IdMap::new(0, NOBODY, 1)])
        .gid_map([IdMap::new(0, NOBODY, 1)])
}

/// Enters `builder` keeping one pipe, runs `f` inside and returns what it wrote. For a
/// child that changes its ids: `run_inside` checks the child's mount namespace through
/// `/proc/PID/ns/mnt`, which the kernel refuses (EACCES) for a child no longer dumpable
/// (its ids changed) to an original process without capabilities in the initial user
/// namespace.
fn enter_reporting(builder: sandbox::Builder, f: impl FnOnce() -> String) -> Result<String, Fail> {
    let (r, w) = pipe()?;
    let sandbox = builder.keep_fd(&w).build()?;
    match sandbox.enter()? {
        Entered::Inside(_) => {
            // Not kept: the sandbox closed it.
            std::mem::forget(r);
            send(w, &f());
            exit_now(0)
        }
        Entered::Parent(child) => {
            drop(w);
            let report = receive(r);
            let status = child.wait()?;
            ensure_eq!(status.code(), 0, "exit code of the sandboxed child");
            Ok(report)
        }
    }
}

fn root_with_id_maps_leaving_root_out_runs_as_the_mapped_uid() -> TestResult {
    test_support::require_root()?;
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    // In a child: the original process stays in the new user namespace, where host root is
    // unmapped.
    test_support::in_child(|| {
        let report = enter_reporting(nobody_as_root(Sandbox::builder(&shared)), || {
            // SAFETY: these take no arguments.
            let ids = unsafe {
                (
                    libc::getuid(),
                    libc::geteuid(),
                    libc::getgid(),
                    libc::getegid(),
                )
            };
            let made = std::fs::write("/created", "x").map_err(|e| e.raw_os_error().unwrap_or(-1));
            format!("ids={ids:?}\ncreate={}\n", said(&made))
        })?;
        ensure_eq!(
            need(&report, "ids")?,
            "(0, 0, 0, 0)",
            "uid, euid, gid, egid inside"
        );
        ensure_eq!(need(&report, "create")?, "ok", "creating /created inside");
        Ok(())
    })?;
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(shared.join("created")).map_err(io_ctx("stat created"))?;
    ensure_eq!(
        (meta.uid(), meta.gid()),
        (NOBODY, NOBODY),
        "the owner on the host of a file created inside"
    );
    Ok(())
}

fn inside_ids_outside_the_maps_fail_at_the_switch_ids_step() -> TestResult {
    test_support::require_root()?;
    let (_top, shared) = shared_dir_owned_by(NOBODY)?;
    test_support::in_child(|| {
        let builder = nobody_as_root(Sandbox::builder(&shared)).inside_ids(1000, 1000);
        let e = expect_refused(
            builder.build()?.enter(),
            "it took inside ids 1000 that the maps leave out",
        )?;
        ensure!(
            matches!(e, Error::Setup { .. }),
            "expected Error::Setup, got {e:?}"
        );
        ensure_eq!(e.step(), Some(Step::SwitchIds), "the step of {e}");
        Ok(())
    })
}

fn inside_ids_without_a_user_namespace_are_refused_at_build() -> TestResult {
    if !test_support::is_root() {
        skip!("needs root: without it the sandbox always makes a user namespace");
    }
    let (_top, shared) = shared_dir()?;
    match Sandbox::builder(&shared).inside_ids(0, 0).build() {
        Err(Error::InvalidOption { option, .. }) => {
            ensure_eq!(option, "inside_ids", "the option named");
        }
        Err(e) => fail!("expected InvalidOption, got {e:?}"),
        Ok(_) => fail!("inside_ids without a user namespace was accepted at build"),
    }
    Ok(())
}

// =======================================================================================
// Host uevents.

/// A uevent socket bound to the kernel's multicast group 1.
fn uevent_socket() -> Sys<OwnedFd> {
    // SAFETY: socket takes integers.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_KOBJECT_UEVENT,
        )
    };
    if fd < 0 {
        return Err(errno());
    }
    // SAFETY: a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: a zeroed sockaddr_nl is valid; the fields that matter are set.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_groups = 1;
    // SAFETY: bind reads the local address of the given size.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(errno());
    }
    Ok(fd)
}

/// The messages that arrive on `sock` within `timeout`, NULs shown as spaces.
fn uevents_within(sock: &OwnedFd, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return got;
        }
        let mut pfd = libc::pollfd {
            fd: sock.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes the one local pollfd.
        if unsafe { libc::poll(&mut pfd, 1, left.as_millis() as i32) } <= 0 {
            continue;
        }
        let mut buf = [0u8; 8192];
        // SAFETY: recv writes at most buf.len() bytes into the local buffer.
        let n = unsafe {
            libc::recv(
                sock.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n > 0 {
            got.push(String::from_utf8_lossy(&buf[..n as usize]).replace('\0', " "));
        }
    }
}

/// Where the synthetic uevent is triggered: `/dev/full`'s device, which no net namespace
/// tags. (The loopback interface, the obvious choice, is tagged with the host's network
/// namespace: its uevents never go to another one, whatever the sandbox does, so the test
/// could not tell.) A synthetic "change" with its own UUID only makes udev, where it runs,
/// apply `/dev/full`'s rules again.
const UEVENT_TRIGGER: &str = "/sys/devices/virtual/mem/full/uevent";

/// Writes a synthetic "change" uevent carrying `uuid`.
fn trigger_uevent(uuid: &str) -> std::io::Result<()> {
    std::fs::write(UEVENT_TRIGGER, format!("change {uuid} SANDBOXTEST=1"))
}

/// As root: checks that a listener on the host hears a synthetic uevent of ours (else
/// skips), then enters `configure`d with a listener inside (bound before a host process
/// triggers the uevent) and returns our UUID and the child's report: `socket` ("ok" or
/// the errno of socket-and-bind), `messages` (what arrived within 1.5 s).
fn uevents_inside(
    configure: impl FnOnce(sandbox::Builder) -> sandbox::Builder,
) -> Result<(String, String), Fail> {
    if !test_support::is_root() {
        skip!("needs root: only root can trigger a uevent (write to {UEVENT_TRIGGER})");
    }
    let (_top, shared) = shared_dir()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let uuid = format!("{:08x}-5a4d-4b0c-8e57-{:012x}", getpid() as u32, nanos);
    // First on the host: the trigger works and a listener hears it (else the test cannot
    // tell).
    {
        let sock = match uevent_socket() {
            Ok(s) => s,
            Err(e) => skip!("no uevent socket on the host (errno {e})"),
        };
        if let Err(e) = trigger_uevent(&uuid) {
            skip!("cannot trigger a uevent: write {UEVENT_TRIGGER}: {e}");
        }
        let seen = uevents_within(&sock, Duration::from_secs(2));
        if !seen.iter().any(|m| m.contains(&uuid)) {
            skip!("a listener on the host did not hear the synthetic uevent {uuid}: {seen:?}");
        }
    }
    // The trigger: a host process that writes the uevent once the sandboxed listener says
    // it is bound (or gave up).
    let (mut listening_r, listening_w) = pipe()?;
    let uuid_h = uuid.clone();
    let trigger = fork_process(move || {
        if !wait_go(&mut listening_r) {
            return 3;
        }
        match trigger_uevent(&uuid_h) {
            Ok(()) => 0,
            Err(_) => 4,
        }
    })?;
    let w = listening_w.as_raw_fd();
    let sandbox = prepare(configure(Sandbox::builder(&shared)).keep_fd(&listening_w));
    let result = sandbox.and_then(|sandbox| {
        run_inside(sandbox, move |_| {
            let sock = uevent_socket();
            // SAFETY: writes one byte to the kept pipe end `w`.
            unsafe { libc::write(w, b"l".as_ptr().cast(), 1) };
            let Ok(sock) = sock else {
                return Ok(format!("socket={}\nmessages=[]\n", said(&sock)));
            };
            let seen = uevents_within(&sock, Duration::from_millis(1500));
            Ok(format!("socket=ok\nmessages={seen:?}\n"))
        })
    });
    drop(listening_w);
    let triggered = waitpid(trigger)?;
    let out = result?;
    ensure_eq!(triggered, Ended::Code(0), "the host's trigger process");
    Ok((uuid, out.report))
}

fn host_uevents_do_not_reach_the_sandbox() -> TestResult {
    let (uuid, report) = uevents_inside(|b| b)?;
    // Nothing at all: any uevent heard inside is one of the host's.
    ensure_eq!(
        need(&report, "messages")?,
        "[]",
        "host uevents received inside (socket: {}; ours carries {uuid})",
        need(&report, "socket")?
    );
    Ok(())
}

fn seccomp_none_gives_back_host_uevents_to_a_root_sandbox() -> TestResult {
    // A network namespace made by real root belongs to the initial user namespace, and
    // the kernel broadcasts the host's uevents (those of devices no network namespace
    // tags) to every such namespace: only the filter's rule on NETLINK_KOBJECT_UEVENT
    // sockets keeps them out.
    let (uuid, report) = uevents_inside(|b| b.seccomp(Filter::none()))?;
    ensure_eq!(need(&report, "socket")?, "ok", "a uevent socket inside");
    ensure!(
        need(&report, "messages")?.contains(&uuid),
        "without the seccomp filter a root sandbox hears the host's uevent {uuid}: {report}"
    );
    Ok(())
}
