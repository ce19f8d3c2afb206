//! Kernel tests of `sandbox-mount`, each scenario in a fresh process (see the `tests` harness).

fn main() {
    tests::main(&[])
}
