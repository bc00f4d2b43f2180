//! A tiny deterministic pseudo-random generator (SplitMix64).
//!
//! The demo must come out identical on every run and every machine, so nothing here reads
//! the clock or the OS, and the helpers use only IEEE-exact arithmetic (`+ - * /`, `sqrt`,
//! `round`): no `ln`, `exp` or `cos`, whose last bits may differ between math libraries.
//!
//! Streams are *keyed* by labels (`Rng::keyed(&["income", "46999A00-"])`) rather than drawn
//! from one global sequence, so adding a sector or an indicator does not reshuffle every
//! other number of the city.

/// SplitMix64: small, fast, and good enough for synthetic statistics.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A stream determined by a list of labels (FNV-1a over the labels, then mixed).
    pub(crate) fn keyed(parts: &[&str]) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for b in part.bytes().chain(std::iter::once(0x1f)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        let mut rng = Rng::new(h);
        rng.next_u64();
        rng
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub(crate) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// Uniform index in [0, n); `n` must be positive.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal (Irwin–Hall sum of twelve uniforms): bounded to ±6,
    /// which keeps synthetic values plausible without clamping everywhere.
    pub(crate) fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// `1 + sd · N(0,1)`: a multiplicative noise factor.
    pub(crate) fn wobble(&mut self, sd: f64) -> f64 {
        1.0 + sd * self.normal()
    }

    /// A count with the given mean, Poisson-like: binomial for small means (so zeros and
    /// ones occur as in real small-area data), normal approximation for large ones.
    pub(crate) fn count(&mut self, mean: f64) -> i64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as i64;
        }
        let n = (mean * 8.0).ceil().max(16.0) as u32;
        let p = mean / f64::from(n);
        (0..n).filter(|_| self.chance(p)).count() as i64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Fisher–Yates.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_streams_are_stable_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::keyed(&["a", "b"]);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::keyed(&["a", "b"]);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        // Label boundaries matter: ["ab"] is not ["a", "b"].
        assert_ne!(
            Rng::keyed(&["ab"]).next_u64(),
            Rng::keyed(&["a", "b"]).next_u64()
        );
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            let i = r.int(-3, 3);
            assert!((-3..=3).contains(&i));
            assert!(r.below(5) < 5);
            assert!(r.normal().abs() <= 6.0);
        }
        let mean = (0..2000).map(|_| r.count(2.0)).sum::<i64>() as f64 / 2000.0;
        assert!((1.8..2.2).contains(&mean), "{mean}");
    }
}
