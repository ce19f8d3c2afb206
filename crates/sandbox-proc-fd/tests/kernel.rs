//! Kernel tests of `sandbox-proc-fd`, each scenario in a fresh process (see the `tests` harness).

fn main() {
    tests::main(&[])
}
