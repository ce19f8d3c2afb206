//! `cargo xtask`: the project's build and test tasks.

fn main() {}
