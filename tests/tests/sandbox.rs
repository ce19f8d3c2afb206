//! Integration tests of the composed sandbox, each scenario in a fresh process.

fn main() {
    tests::main(&[])
}
