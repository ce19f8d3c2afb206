//! The order in which a benchmark's round runs its contenders: shared with xtask, which
//! reads this file by path (it does not depend on `test-support`).

/// The order in which a round runs `n` contenders: shuffled anew each round
/// (Fisher-Yates on a fixed-seed xorshift, so that two runs of a benchmark shuffle alike).
///
/// Not a rotation: in a rotated order each contender nearly always runs right after the
/// same other, and pays for the work that one leaves to the kernel's workers (a network
/// namespace's teardown, freeing after an RCU grace period).
#[derive(Debug, Clone)]
pub struct RoundOrder {
    order: Vec<usize>,
    state: u64,
}

impl RoundOrder {
    /// The order of `n` contenders, 0 to `n - 1`.
    pub fn new(n: usize) -> Self {
        RoundOrder {
            order: (0..n).collect(),
            state: 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// The next round's order: every index once.
    pub fn next_round(&mut self) -> &[usize] {
        for k in (1..self.order.len()).rev() {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            self.order.swap(k, (self.state % (k as u64 + 1)) as usize);
        }
        &self.order
    }
}

#[cfg(test)]
mod tests {
    use super::RoundOrder;

    #[test]
    fn every_round_is_a_permutation_and_the_orders_vary() {
        let mut order = RoundOrder::new(6);
        let mut seen = std::collections::HashSet::new();
        let mut followers = std::collections::HashSet::new();
        for _ in 0..200 {
            let round = order.next_round().to_vec();
            let mut sorted = round.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..6).collect::<Vec<_>>());
            followers.extend(round.windows(2).map(|w| (w[0], w[1])));
            seen.insert(round);
        }
        // A rotation gives 6 orders, in which each contender has one follower.
        assert!(seen.len() > 100, "only {} distinct orders", seen.len());
        assert_eq!(followers.len(), 30, "every contender follows every other");
        let again: Vec<_> = (0..3)
            .map(|_| RoundOrder::new(6).next_round().to_vec())
            .collect();
        assert!(
            again.windows(2).all(|w| w[0] == w[1]),
            "fixed seed: runs alike"
        );
    }

    #[test]
    fn no_contenders_and_one() {
        assert!(RoundOrder::new(0).next_round().is_empty());
        assert_eq!(RoundOrder::new(1).next_round(), &[0]);
    }
}
