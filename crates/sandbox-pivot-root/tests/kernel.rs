//! Kernel tests of `sandbox-pivot-root`, each scenario in a fresh process (see the `tests` harness).

fn main() {
    tests::main(&[])
}
