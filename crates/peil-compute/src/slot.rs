//! `Slot`: one value inside the engine, eight bytes wide.
//!
//! The engine works on long vectors (items × periods), so a value is an `f64` where the four
//! missing codes live in NaN payloads that arithmetic never produces. The encoding stays inside
//! this crate: everything that leaves it is a [`Value`]. The rules for missing codes in
//! sums — `x` and `?` poison (`x` first), `nvt` and empty are skipped — are written once, here.

use peil_core::{MissingCode, Value};

#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Slot(f64);

const TAG: u64 = 0x7ff8_5eed_0000_0000;

impl Slot {
    /// No value: the same as no record (and as the code `-99996`).
    pub const NONE: Slot = Slot::missing(MissingCode::Empty);
    pub const HIDDEN: Slot = Slot::missing(MissingCode::Hidden);
    pub const UNKNOWN: Slot = Slot::missing(MissingCode::Unknown);
    pub const NA: Slot = Slot::missing(MissingCode::NotApplicable);
    /// Only inside formula evaluation: "this term or step has no value at all" (a term outside
    /// its series, a division by zero, the root of a negative number). Unlike `-` in an input,
    /// it is not skipped by `+`: the whole result has no value. Never stored; reads as `-`.
    pub(crate) const VOID: Slot = Slot(f64::from_bits(TAG | 5));

    pub const fn missing(code: MissingCode) -> Slot {
        let tag = match code {
            MissingCode::Unknown => 1,
            MissingCode::Hidden => 2,
            MissingCode::NotApplicable => 3,
            MissingCode::Empty => 4,
        };
        Slot(f64::from_bits(TAG | tag))
    }

    /// A number; a non-finite one (never produced by the engine's guarded arithmetic) is no value.
    #[inline]
    pub fn num(n: f64) -> Slot {
        if n.is_finite() { Slot(n) } else { Slot::NONE }
    }

    #[inline]
    pub fn get(self) -> Result<f64, MissingCode> {
        if !self.0.is_nan() {
            return Ok(self.0);
        }
        Err(match self.0.to_bits() & 0xffff {
            1 => MissingCode::Unknown,
            2 => MissingCode::Hidden,
            3 => MissingCode::NotApplicable,
            _ => MissingCode::Empty,
        })
    }

    #[inline]
    pub fn number(self) -> Option<f64> {
        self.get().ok()
    }

    #[inline]
    pub(crate) fn is_void(self) -> bool {
        self.0.to_bits() == Slot::VOID.0.to_bits()
    }

    #[inline]
    pub fn is_none(self) -> bool {
        self.0.to_bits() == Slot::NONE.0.to_bits()
    }

    pub fn from_value(v: Value) -> Slot {
        match v {
            Value::Number(n) => Slot::num(n),
            Value::Missing(c) => Slot::missing(c),
        }
    }

    pub fn to_value(self) -> Value {
        match self.get() {
            Ok(n) => Value::Number(n),
            Err(c) => Value::Missing(c),
        }
    }

    /// The slot's eight bytes as an integer (what a snapshot file stores, little endian).
    #[inline]
    pub(crate) fn bits(self) -> u64 {
        self.0.to_bits()
    }

    /// Bit-exact equality (for tests and change detection).
    pub fn same(self, o: Slot) -> bool {
        self.0.to_bits() == o.0.to_bits()
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

/// A running sum with missing codes: `x` and `?` poison (`x` first), `nvt` and empty are
/// skipped, and a sum of nothing is no value (or the skipped code, e.g. all children not
/// applicable).
#[derive(Clone, Copy, Default)]
pub struct Sum {
    pub total: f64,
    pub numbers: u32,
    pub poison: Option<MissingCode>,
    pub skipped: Option<MissingCode>,
}

impl Sum {
    #[inline]
    pub fn add(&mut self, s: Slot) {
        match s.get() {
            Ok(n) => {
                self.total += n;
                self.numbers += 1;
            }
            Err(c) if c.poisons() => self.poison = Some(self.poison.map_or(c, |p| p.stronger(c))),
            Err(MissingCode::Empty) => {}
            Err(c) => self.skipped = Some(self.skipped.map_or(c, |p| p.stronger(c))),
        }
    }

    #[inline]
    pub fn result(&self) -> Slot {
        if let Some(p) = self.poison {
            return Slot::missing(p);
        }
        if self.numbers > 0 {
            return Slot::num(self.total);
        }
        self.skipped.map_or(Slot::NONE, Slot::missing)
    }

    /// Adds another running sum, as if its terms had been added here one by one.
    #[inline]
    pub fn merge(&mut self, o: &Sum) {
        self.total += o.total;
        self.numbers += o.numbers;
        let pick = |a: Option<MissingCode>, b: Option<MissingCode>| match (a, b) {
            (Some(a), Some(b)) => Some(a.stronger(b)),
            (a, b) => a.or(b),
        };
        self.poison = pick(self.poison, o.poison);
        self.skipped = pick(self.skipped, o.skipped);
    }
}

/// A running weighted mean: Σ(value·weight) and Σ(weight) over the base areas that have both a
/// value and a weight. Aggregation carries these two sums up the hierarchy and never
/// a mean, so a mean on any level is the same whatever path the areas took to get there, and
/// the same as a custom selection of the same base areas (which uses this type too).
///
/// Per area: an area without a value (`-`, no record) is not part of the mean, whatever its
/// weight; a value `nvt` is left out too (and remembered, so that a mean over nothing but `nvt`
/// is `nvt`, as for sums); a value `?` or `x` poisons. A number whose weight is `?` or `x` poisons
/// (a censored input censors the result); a number whose weight is `nvt` or empty cannot be
/// weighted and is left out of both sums (an `nvt` weight remembered as above). A total weight
/// of zero gives no value.
#[derive(Clone, Copy, Default)]
pub struct WeightedSum {
    pub num: Sum,
    pub den: Sum,
}

impl WeightedSum {
    /// The sums of one area with this value and weight.
    #[inline]
    pub fn of(value: Slot, weight: Slot) -> WeightedSum {
        let mut w = WeightedSum::default();
        w.add(value, weight);
        w
    }

    #[inline]
    pub fn add(&mut self, value: Slot, weight: Slot) {
        match value.get() {
            Ok(v) => match weight.get() {
                Ok(w) => {
                    self.num.add(Slot::num(v * w));
                    self.den.add(Slot::num(w));
                }
                // `Sum` poisons on `?`/`x`, records an `nvt` and ignores an empty code.
                Err(c) => self.num.add(Slot::missing(c)),
            },
            Err(c) => self.num.add(Slot::missing(c)),
        }
    }

    #[inline]
    pub fn merge(&mut self, o: &WeightedSum) {
        self.num.merge(&o.num);
        self.den.merge(&o.den);
    }

    #[inline]
    pub fn result(&self) -> Slot {
        if let Some(p) = self.num.poison {
            return Slot::missing(p);
        }
        if self.den.numbers > 0 {
            return if self.den.total != 0.0 {
                Slot::num(self.num.total / self.den.total)
            } else {
                Slot::NONE
            };
        }
        self.num.skipped.map_or(Slot::NONE, Slot::missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MissingCode::*;

    #[test]
    fn round_trip() {
        for v in [
            Value::Number(1.5),
            Value::Number(-0.0),
            Value::Number(-99999.0),
        ]
        .into_iter()
        .chain(MissingCode::ALL.map(Value::Missing))
        {
            assert!(Slot::from_value(v).to_value().same_as(v), "{v:?}");
        }
        assert!(Slot::num(f64::NAN).is_none());
        assert!(Slot::num(f64::INFINITY).is_none());
    }

    #[test]
    fn sums_follow_section_5() {
        let sum = |xs: &[Slot]| {
            let mut s = Sum::default();
            xs.iter().for_each(|x| s.add(*x));
            s.result()
        };
        let n = Slot::num;
        assert!(sum(&[n(1.0), n(2.0)]).same(n(3.0)));
        assert!(sum(&[n(1.0), Slot::NA]).same(n(1.0)));
        assert!(sum(&[n(1.0), Slot::NONE]).same(n(1.0)));
        assert!(sum(&[n(1.0), Slot::UNKNOWN]).same(Slot::UNKNOWN));
        assert!(sum(&[Slot::UNKNOWN, Slot::HIDDEN]).same(Slot::HIDDEN));
        assert!(sum(&[Slot::NA, Slot::NONE]).same(Slot::NA));
        assert!(sum(&[]).same(Slot::NONE));
        let mean = |xs: &[(Slot, Slot)]| {
            let mut s = WeightedSum::default();
            xs.iter().for_each(|(v, w)| s.add(*v, *w));
            s.result()
        };
        assert!(mean(&[(n(2.0), n(1.0)), (n(5.0), n(3.0))]).same(n(17.0 / 4.0)));
        // nvt weights and values, and empty values, are left out; nvt alone stays nvt.
        assert!(mean(&[(n(2.0), n(1.0)), (n(5.0), Slot::NA)]).same(n(2.0)));
        assert!(mean(&[(n(2.0), n(1.0)), (Slot::NA, n(9.0))]).same(n(2.0)));
        assert!(mean(&[(n(2.0), n(1.0)), (Slot::NONE, Slot::UNKNOWN)]).same(n(2.0)));
        assert!(mean(&[(Slot::NA, n(1.0)), (n(2.0), Slot::NONE)]).same(Slot::NA));
        assert!(mean(&[(n(2.0), n(1.0)), (n(5.0), Slot::UNKNOWN)]).same(Slot::UNKNOWN));
        assert!(mean(&[(Slot::UNKNOWN, n(1.0)), (Slot::HIDDEN, n(1.0))]).same(Slot::HIDDEN));
        assert!(mean(&[(n(2.0), n(0.0))]).same(Slot::NONE));
        // Merging partial sums is the same as adding every area to one.
        let (mut a, mut b) = (WeightedSum::default(), WeightedSum::default());
        a.add(n(2.0), n(1.0));
        b.add(n(5.0), n(3.0));
        b.add(Slot::NA, n(3.0));
        a.merge(&b);
        assert!(a.result().same(n(17.0 / 4.0)));
        let _ = (Unknown, Hidden);
    }
}
