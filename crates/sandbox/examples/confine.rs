//! Enter a sandbox, print its audit from inside, and look around.
//!
//! ```text
//! cargo run -p sandbox --example confine [--mode namespace|landlock|chroot|none] [DIR]
//! ```
//!
//! Without DIR it makes a temporary directory with a couple of files (removed at the end,
//! also when entering fails). Runs as root or as a plain user (then through a user
//! namespace). `--mode landlock` shows the mode for environments that refuse namespaces:
//! no namespace, no fork of the sandbox's own (the example forks once itself, so that an
//! unconfined parent can remove the demo directory).

use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use sandbox::{Entered, Inside, Mode, Namespaces, OFlags, Sandbox};

fn main() {
    let mut temp = None;
    let mut mode = Mode::Namespace;
    let mut dir_arg = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--mode" {
            mode = match args.next().as_ref().and_then(|m| m.to_str()) {
                Some("namespace") => Mode::Namespace,
                Some("landlock") => Mode::Landlock,
                Some("chroot") => Mode::Chroot,
                Some("none") => Mode::None,
                other => {
                    eprintln!("--mode namespace|landlock|chroot|none, not {other:?}");
                    std::process::exit(2);
                }
            };
        } else {
            dir_arg = Some(PathBuf::from(arg));
        }
    }
    let dir = match dir_arg {
        Some(d) => d,
        None => match demo_dir() {
            Ok(t) => temp.insert(t).path().to_path_buf(),
            Err(e) => {
                eprintln!("cannot make a demo directory: {e}");
                std::process::exit(1);
            }
        },
    };
    if mode != Mode::Namespace {
        in_place(mode, &dir);
        drop(temp);
        return;
    }
    let original_pid = rustix::process::getpid();
    let kinds: Vec<Namespaces> = (Namespaces::all() - Namespaces::TIME).iter().collect();
    let before: Vec<_> = kinds
        .iter()
        .map(|ns| sandbox_namespaces::namespace_id(*ns).ok())
        .collect();

    // The child waits until the parent has looked at its namespaces, so that it is still
    // there to be looked at.
    let (go_rx, go_tx) = match rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pipe: {e}");
            std::process::exit(1);
        }
    };
    // Every descriptor above 2 that is not kept is closed inside: keep the read end.
    let sandbox = match Sandbox::builder(&dir).keep_fd(&go_rx).build() {
        Ok(s) => s,
        Err(e) => {
            drop(temp);
            fail(&e)
        }
    };
    println!(
        "entering a sandbox over {} as uid {} (namespaces: {})",
        sandbox.path().display(),
        rustix::process::geteuid().as_raw(),
        sandbox.namespaces()
    );
    match sandbox.enter() {
        Err(e) => {
            drop(temp);
            fail(&e)
        }
        Ok(Entered::Parent(child)) => {
            drop(go_rx);
            let differ: Vec<&str> = kinds
                .iter()
                .zip(&before)
                .filter(|(ns, was)| {
                    sandbox_namespaces::namespace_id_of(child.pid(), **ns).ok() != **was
                })
                .filter_map(|(ns, _)| ns.proc_name())
                .collect();
            println!(
                "[parent] sandboxed process {} runs in new namespaces: {}",
                child.pid().as_raw_nonzero(),
                differ.join(", ")
            );
            drop(go_tx);
            let status = match child.wait() {
                Ok(s) => s,
                Err(e) => fail(&e),
            };
            println!("[parent] sandboxed process {status}");
            drop(temp);
            std::process::exit(status.code());
        }
        Ok(Entered::Inside(inside)) => {
            // Not kept, so already closed by the sandbox: its owner must not close the
            // number again.
            std::mem::forget(go_tx);
            // The audit first: it counts the descriptors open now, and looking around opens
            // some. The read end of the pipe is kept, so it is expected there.
            let audit = inside.audit();
            let mut go = std::fs::File::from(go_rx);
            let _ = go.read(&mut [0u8; 1]);
            println!("[inside] audit, what the kernel says against what was asked:");
            for line in audit.to_string().lines() {
                println!("  {line}");
            }
            look_around(&inside, original_pid, Path::new("/"));
            // No destructors here: the temp dir belongs to the parent.
            std::process::exit(0);
        }
    }
}

/// The modes that fork nothing: a child of this example enters, prints its audit and looks
/// around; this process waits and removes the demo directory.
fn in_place(mode: Mode, dir: &Path) {
    let original_pid = rustix::process::getpid();
    match sandbox_process::fork() {
        Err(e) => eprintln!("fork: {e}"),
        Ok(sandbox_process::Fork::Parent(mut child)) => match child.wait() {
            Ok(status) => println!("[parent] the confined child {status}"),
            Err(e) => eprintln!("wait: {e}"),
        },
        Ok(sandbox_process::Fork::Child) => {
            println!(
                "entering {mode:?} over {} as uid {} (no namespace, no fork)",
                dir.display(),
                rustix::process::geteuid().as_raw()
            );
            let entered = Sandbox::builder(dir)
                .mode(mode)
                .build()
                .and_then(|s| s.enter());
            let code = match entered {
                Err(e) => {
                    eprintln!("error: {e}");
                    if let Some(hint) = e.hint() {
                        eprintln!("hint: {hint}");
                    }
                    1
                }
                Ok(Entered::Parent(_)) => 1,
                Ok(Entered::Inside(inside)) => {
                    println!("[inside] audit, what the kernel says against what was asked:");
                    for line in inside.audit().to_string().lines() {
                        println!("  {line}");
                    }
                    let root = match mode {
                        Mode::Chroot => Path::new("/"),
                        _ => dir,
                    };
                    look_around(&inside, original_pid, root);
                    0
                }
            };
            sandbox_process::exit_now(code)
        }
    }
}

fn fail(e: &sandbox::Error) -> ! {
    eprintln!("error: {e}");
    if let Some(hint) = e.hint() {
        eprintln!("hint: {hint}");
    }
    std::process::exit(1);
}

fn demo_dir() -> std::io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("sandbox-demo-").tempdir()?;
    std::fs::write(
        dir.path().join("hello.txt"),
        "hello from the shared directory\n",
    )?;
    std::fs::create_dir(dir.path().join("data"))?;
    std::fs::write(dir.path().join("data/notes.txt"), "a second file\n")?;
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd-link"))?;
    Ok(dir)
}

/// `root` is where the shared directory is seen: `/` after a pivot or a chroot, its own
/// path in `Mode::Landlock` and `Mode::None`.
fn look_around(inside: &Inside, original_pid: rustix::process::Pid, root: &Path) {
    println!(
        "[inside] pid {}",
        rustix::process::getpid().as_raw_nonzero()
    );
    let mut names: Vec<String> = match std::fs::read_dir(root) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => vec![format!("(cannot list /: {e})")],
    };
    names.sort();
    println!("[inside] {} contains: {}", root.display(), names.join(" "));

    let handle = inside.proc_self_fd();
    let fs = rustix::fs::fstatfs(handle).map(|s| s.f_type);
    println!(
        "[inside] /proc/self/fd handle: fd {}, filesystem type {:#x} (procfs), verified at capture",
        handle.as_fd().as_raw_fd(),
        fs.unwrap_or_default()
    );
    match reopen_hello(inside, root) {
        Ok(text) => println!(
            "[inside] hello.txt reopened through the handle: {}",
            text.trim_end()
        ),
        Err(e) => println!("[inside] hello.txt not reopened: {e}"),
    }

    println!("[inside] escape attempts:");
    let root_ino = std::fs::metadata("/")
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .ok();
    let dotdot = std::fs::metadata("/..")
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .ok();
    report("/.. is / itself", root_ino.is_some() && root_ino == dotdot);
    report_missing("/etc/passwd (the host's)", Path::new("/etc/passwd"));
    report_missing("passwd-link -> /etc/passwd", &root.join("passwd-link"));
    report_missing("/proc/1/environ", Path::new("/proc/1/environ"));
    let kill = rustix::process::test_kill_process(original_pid);
    report(
        &format!(
            "signal the original process (pid {})",
            original_pid.as_raw_nonzero()
        ),
        kill.is_err(),
    );
    let interfaces = network_interfaces();
    report(
        &format!("reach a network (interfaces: {})", interfaces.join(" ")),
        interfaces == ["lo"],
    );
}

fn network_interfaces() -> Vec<String> {
    let mut names = Vec::new();
    // SAFETY: if_nameindex returns a heap array terminated by an entry with index 0 (or
    // NULL on failure); each if_name is a NUL-terminated string valid until the array is
    // freed with if_freenameindex, which happens after we copied the names.
    unsafe {
        let list = libc::if_nameindex();
        if list.is_null() {
            return names;
        }
        let mut entry = list;
        while (*entry).if_index != 0 {
            names.push(
                std::ffi::CStr::from_ptr((*entry).if_name)
                    .to_string_lossy()
                    .into_owned(),
            );
            entry = entry.add(1);
        }
        libc::if_freenameindex(list);
    }
    names
}

fn reopen_hello(inside: &Inside, root: &Path) -> std::io::Result<String> {
    let path_fd = rustix::fs::open(
        root.join("hello.txt"),
        OFlags::PATH | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let fd = inside
        .proc_self_fd()
        .reopen(&path_fd, OFlags::RDONLY)
        .map_err(std::io::Error::other)?;
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text)?;
    Ok(text)
}

fn report(what: &str, blocked: bool) {
    println!(
        "  {what:<45} {}",
        if blocked { "blocked" } else { "NOT BLOCKED" }
    );
}

fn report_missing(what: &str, path: &Path) {
    match std::fs::read(path) {
        Err(e) => println!("  {what:<45} blocked ({e})"),
        Ok(_) => println!("  {what:<45} NOT BLOCKED: it reads"),
    }
}
