//! One whole sandboxed run for `cargo xtask bench`: enter a sandbox over DIR, do nothing
//! inside, exit 0. `bench_enter DIR`

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: bench_enter DIR");
        std::process::exit(2);
    };
    let result = sandbox::Sandbox::builder(dir)
        .build()
        .and_then(sandbox::Sandbox::confine);
    match result {
        Ok(_inside) => std::process::exit(0),
        Err(e) => {
            eprintln!("bench_enter: {e}");
            std::process::exit(1);
        }
    }
}
