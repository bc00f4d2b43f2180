//! Exact linear algebra modulo the prime 2⁶¹ − 1, the one home of its arithmetic: the
//! privacy checker's sparse elimination (`checker::solved`) and the rank of the identities
//! between a record set's measures (`measures::measure_links`). Integers of relations between
//! cells stay exact there as long as no minor is a multiple of the prime; a rank modulo a prime
//! is never more than over the rationals.

/// The prime: 2⁶¹ − 1.
pub(crate) const P: u64 = (1 << 61) - 1;

/// `a × b` modulo [`P`].
pub(crate) fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(P)) as u64
}

/// The inverse of `a` (not 0) modulo [`P`]: a^(P − 2), by Fermat.
pub(crate) fn inverse(a: u64) -> u64 {
    let (mut base, mut e, mut r) = (a, P - 2, 1u64);
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    r
}

/// The rank of dense rows (entries below [`P`]) modulo [`P`].
pub(crate) fn rank(mut rows: Vec<Vec<u64>>) -> usize {
    let cols = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for c in 0..cols {
        let Some(pivot) = (rank..rows.len()).find(|&r| rows[r][c] != 0) else {
            continue;
        };
        rows.swap(rank, pivot);
        let inv = inverse(rows[rank][c]);
        let (done, rest) = rows.split_at_mut(rank + 1);
        let pivot = &done[rank];
        for row in rest.iter_mut().filter(|row| row[c] != 0) {
            let f = mul(row[c], inv);
            for (x, &y) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x = (*x + P - mul(f, y)) % P;
            }
        }
        rank += 1;
        if rank == rows.len() {
            break;
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverses_and_ranks() {
        for a in [1, 2, 3, 12345, P - 1] {
            assert_eq!(mul(a, inverse(a)), 1);
        }
        assert_eq!(rank(vec![]), 0);
        assert_eq!(rank(vec![vec![0, 0], vec![0, 0]]), 0);
        // Rows 1 and 2 add up to row 3; P − 1 is −1.
        let m = vec![
            vec![1, 1, 0],
            vec![0, 1, 1],
            vec![1, 2, 1],
            vec![1, P - 1, 0],
        ];
        assert_eq!(rank(m), 3);
        assert_eq!(rank(vec![vec![2, 4], vec![1, 2]]), 1);
    }
}
