//! Kernel tests of `sandbox-namespaces`, each scenario in a fresh process (see the `tests` harness).

fn main() {
    tests::main(&[])
}
