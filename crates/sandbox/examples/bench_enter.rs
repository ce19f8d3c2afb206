//! One whole sandboxed run for `cargo xtask bench`: enter a sandbox over DIR, do nothing
//! inside, exit 0. `bench_enter DIR [pid-net]`: with `pid-net`, only the pid and network
//! namespaces (the defaults before IPC, UTS and cgroup joined them), to measure what those
//! three cost.

use sandbox::{Namespaces, Sandbox};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: bench_enter DIR [pid-net]");
        std::process::exit(2);
    };
    let mut builder = Sandbox::builder(dir);
    match args.next() {
        None => {}
        Some(mode) if mode == "pid-net" => {
            builder = builder.namespaces(Namespaces::PID | Namespaces::NET);
        }
        Some(other) => {
            eprintln!("bench_enter: unknown mode {other:?}");
            std::process::exit(2);
        }
    }
    match builder.build().and_then(Sandbox::confine) {
        Ok(_inside) => std::process::exit(0),
        Err(e) => {
            eprintln!("bench_enter: {e}");
            std::process::exit(1);
        }
    }
}
