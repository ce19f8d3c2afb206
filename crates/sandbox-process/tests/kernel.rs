//! Kernel tests of `sandbox-process`, each scenario in a fresh process (see the `tests` harness).

fn main() {
    tests::main(&[])
}
