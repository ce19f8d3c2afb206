//! A small threaded file server that confines itself: the pattern for a daemon on an
//! async runtime.
//!
//! ```text
//! cargo run -p sandbox --example serve -- DIR [ADDRESS]
//! curl http://127.0.0.1:8080/some-file-in-DIR
//! kill -TERM <pid>      # stops accepting, finishes the requests in flight, exits 0
//! ```
//!
//! The order is the point:
//!
//! 1. bind the listening socket, in the host's network namespace, as the process is;
//! 2. [`Sandbox::confine`], keeping that socket by name ([`Builder::keep_fd`]; every other
//!    descriptor is closed inside, and the original process lets go of its own copies);
//! 3. only then start the runtime and its threads.
//!
//! Not `#[tokio::main]`: its runtime starts threads before `main`'s body runs, and entering
//! a sandbox needs a process with one thread (`unshare(2)` of a user namespace and
//! `fork(2)` do). Inside, the process is pid 1 of its own pid namespace, with no network but
//! loopback (the socket it brought in still answers the host), `/` is `DIR`, and the
//! default seccomp filter is on. `tokio::signal` works there as anywhere: its handler takes
//! over from the ones the sandbox installs for pid 1, and the original process passes the
//! supervisor's SIGTERM on.
//!
//! Each request is `GET /NAME`; the answer is the file `NAME` of `DIR`, or 404.
//!
//! [`Builder::keep_fd`]: sandbox::Builder::keep_fd

use std::net::TcpListener;
use std::path::{Component, Path};

use sandbox::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinSet;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: serve DIR [ADDRESS]");
        std::process::exit(2);
    };
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    // 1. Bind before entering.
    let listener = match TcpListener::bind(&address) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("serve: bind {address}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("serve: {dir} on http://{address}/");
    std::process::exit(run(listener, Path::new(&dir)));
}

/// Confines the process to `dir` keeping `listener`, then serves on it until SIGTERM or
/// SIGINT; returns the exit code. Only the sandboxed process returns.
pub fn run(listener: TcpListener, dir: &Path) -> i32 {
    // 2. Confine, keeping the socket by name.
    let sandbox = match Sandbox::builder(dir).keep_fd(&listener).build() {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("serve: {e}");
            return 1;
        }
    };
    let inside = match sandbox.confine() {
        Ok(inside) => inside,
        Err(e) => {
            eprintln!("serve: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("serve: hint: {hint}");
            }
            return 1;
        }
    };
    // What the kernel says the sandbox is, read back from inside: worth a log line at start.
    let audit = inside.audit();
    if !audit.is_confined() {
        eprintln!("serve: the sandbox is not what was asked:\n{audit}");
        return 1;
    }
    // 3. Now threads may start.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("serve: start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(serve(listener)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("serve: {e}");
            1
        }
    }
}

/// Accepts until SIGTERM or SIGINT, then closes the listener and waits for the
/// connections in flight (a request half sent when the signal came is still answered).
async fn serve(listener: TcpListener) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(answer(stream));
                }
                // A client that gave up (ECONNABORTED), or out of descriptors for a moment
                // (EMFILE): the requests in flight go on; wait a little and accept again.
                Err(e) => {
                    eprintln!("serve: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    // Closing the listener refuses new connections at once: the original process holds no
    // copy of it.
    drop(listener);
    while connections.join_next().await.is_some() {}
    eprintln!("serve: drained, exiting");
    Ok(())
}

/// Reads one request (up to the blank line that ends its head, 4 KiB at most) and answers
/// it.
async fn answer(mut stream: tokio::net::TcpStream) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 4096 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let (status, body) = match request
        .strip_prefix("GET /")
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|name| is_plain_name(name))
    {
        Some(name) => match tokio::fs::read(Path::new("/").join(name)).await {
            Ok(body) => ("200 OK", body),
            Err(_) => ("404 Not Found", b"not found\n".to_vec()),
        },
        None => ("400 Bad Request", b"bad request\n".to_vec()),
    };
    let head = format!(
        "HTTP/1.0 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
}

/// A relative path of plain components: the sandbox would hold anyway (`/` is the shared
/// directory), but a server should not hand out what it did not mean to.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}
