//! Print what this process can do for a sandbox, and why not where it cannot.
//!
//! ```text
//! cargo run -p sandbox --example probe
//! ```

fn main() {
    println!(
        "sandbox probe as uid {} gid {}",
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw()
    );
    let report = sandbox::probe();
    println!("{:<22} {:<4} detail", "facility", "ok");
    print!("{report}");
}
