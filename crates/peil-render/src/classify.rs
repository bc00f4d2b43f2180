//! Classification of values into classes for choropleth maps and legends.
//!
//! A [`Classes`] is a list of ascending boundaries: the first is the minimum of the data,
//! the last the maximum, and each inner boundary starts a class (a value equal to an inner
//! boundary belongs to the class above it; the maximum belongs to the last class).

use crate::format::{Locale, NumberFormat};

/// Largest number of classes (the palettes have up to nine colours).
pub const MAX_CLASSES: usize = 9;
/// Jenks works on at most this many values (evenly spaced order statistics beyond it).
const JENKS_SAMPLE: usize = 3000;

/// How class boundaries are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Classes one standard deviation wide, centred on the mean (Swing's default).
    MeanStdDev,
    /// Classes with (nearly) equal numbers of values.
    Quantiles,
    /// Classes of equal width between the minimum and the maximum.
    EqualIntervals,
    /// Jenks natural breaks: minimal within-class variance.
    NaturalBreaks,
    /// Inner boundaries given by the user, ascending.
    Manual(Vec<f64>),
}

impl Method {
    /// Parses `stddev`, `quantiles`, `equal`, `jenks` or `manual:1,5,10` (manual inner
    /// boundaries separated by `,` or `;`, with `.` as decimal mark; they are sorted and
    /// deduplicated). Case-insensitive; a manual list without numbers, or with a part
    /// that is not a finite number, gives `None`.
    pub fn parse(s: &str) -> Option<Method> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("manual:") {
            let mut breaks = Vec::new();
            for part in rest.split([',', ';']) {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                let x: f64 = part.parse().ok()?;
                if !x.is_finite() {
                    return None;
                }
                breaks.push(x);
            }
            if breaks.is_empty() {
                return None;
            }
            breaks.sort_by(f64::total_cmp);
            breaks.dedup();
            return Some(Method::Manual(breaks));
        }
        match lower.as_str() {
            "stddev" => Some(Method::MeanStdDev),
            "quantiles" => Some(Method::Quantiles),
            "equal" => Some(Method::EqualIntervals),
            "jenks" => Some(Method::NaturalBreaks),
            _ => None,
        }
    }

    /// The code [`Method::parse`] reads back, e.g. for URLs: `manual:1,5,10`.
    pub fn code(&self) -> String {
        match self {
            Method::MeanStdDev => "stddev".into(),
            Method::Quantiles => "quantiles".into(),
            Method::EqualIntervals => "equal".into(),
            Method::NaturalBreaks => "jenks".into(),
            Method::Manual(b) => {
                // Machine text, as every URL and answer writes numbers.
                let parts: Vec<String> = b
                    .iter()
                    .map(|x| {
                        let mut s = String::new();
                        peil_core::value::push_number(&mut s, *x);
                        s
                    })
                    .collect();
                format!("manual:{}", parts.join(","))
            }
        }
    }

    /// The method's name for people, in the locale.
    pub fn name(&self, locale: Locale) -> &'static str {
        match (locale, self) {
            (Locale::Nl, Method::MeanStdDev) => "gemiddelde ± standaardafwijking",
            (Locale::Nl, Method::Quantiles) => "kwantielen",
            (Locale::Nl, Method::EqualIntervals) => "gelijke intervallen",
            (Locale::Nl, Method::NaturalBreaks) => "natuurlijke grenzen (Jenks)",
            (Locale::Nl, Method::Manual(_)) => "handmatig",
            (Locale::En, Method::MeanStdDev) => "mean ± standard deviation",
            (Locale::En, Method::Quantiles) => "quantiles",
            (Locale::En, Method::EqualIntervals) => "equal intervals",
            (Locale::En, Method::NaturalBreaks) => "natural breaks (Jenks)",
            (Locale::En, Method::Manual(_)) => "manual",
            (Locale::Fr, Method::MeanStdDev) => "moyenne ± écart type",
            (Locale::Fr, Method::Quantiles) => "quantiles",
            (Locale::Fr, Method::EqualIntervals) => "intervalles égaux",
            (Locale::Fr, Method::NaturalBreaks) => "seuils naturels (Jenks)",
            (Locale::Fr, Method::Manual(_)) => "manuel",
        }
    }
}

/// Class boundaries: ascending, `breaks.len()` = number of classes + 1, the first is the
/// minimum and the last the maximum of the data. Empty when there was no data.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// The boundaries, ascending.
    pub breaks: Vec<f64>,
}

impl Classes {
    /// Classifies `values` into `k` classes (clamped to 1..=9) with `method`.
    ///
    /// Only finite values count (the caller filters missing values; NaN and infinities
    /// are ignored too). No values give zero classes; all-equal values give one class.
    /// Every method but `Manual` gives `k` classes when there are at least `k` distinct
    /// values (else one per distinct value), and every class holds a value: the method's
    /// boundaries come first (inner boundaries outside (min, max) and duplicates are
    /// dropped, an empty class is merged into the next), then the fullest class is split
    /// at the value change nearest its middle until there are enough. `Manual` keeps the
    /// given boundaries, empty classes included.
    ///
    /// - `MeanStdDev`: classes one (population) standard deviation wide centred on the
    ///   mean; for odd k the middle class is mean ± sd/2 (k = 5: min, m−1.5sd, m−0.5sd,
    ///   m+0.5sd, m+1.5sd, max), for even k the mean is a boundary (k = 4: min, m−sd, m,
    ///   m+sd, max).
    /// - `Quantiles`: boundaries are data values at ranks j·n/k, so classes hold (nearly)
    ///   equal counts.
    /// - `EqualIntervals`: min + j·(max−min)/k.
    /// - `NaturalBreaks`: Jenks by exact dynamic programming over the sorted values (on
    ///   3000 evenly spaced order statistics when there are more); boundaries are the
    ///   first value of each class and never split equal values.
    /// - Quantiles and Jenks may set a boundary equal to the maximum (the last class then
    ///   holds only the values equal to it, e.g. `[1, 5, 5]` for data 1, 1, 5, 5).
    /// - `Manual`: min, the given boundaries strictly within (min, max), max.
    pub fn new(values: &[f64], method: &Method, k: usize) -> Classes {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        Self::from_sorted(&v, method, k)
    }

    /// [`Classes::new`] of values already sorted ascending and all finite (what a page that
    /// has ordered its areas holds): no copy and no sort. Unsorted or non-finite input is a
    /// caller's bug (checked in debug builds).
    pub fn from_sorted(v: &[f64], method: &Method, k: usize) -> Classes {
        debug_assert!(v.iter().all(|x| x.is_finite()));
        debug_assert!(v.windows(2).all(|w| w[0] <= w[1]));
        if v.is_empty() {
            return Classes { breaks: Vec::new() };
        }
        let (min, max) = (v[0], v[v.len() - 1]);
        if min == max {
            return Classes {
                breaks: vec![min, max],
            };
        }
        let k = k.clamp(1, MAX_CLASSES);
        let inner: Vec<f64> = match method {
            Method::MeanStdDev => {
                let n = v.len() as f64;
                let mean = v.iter().sum::<f64>() / n;
                let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                let sd = var.sqrt();
                (0..k.saturating_sub(1))
                    .map(|i| mean + (i as f64 - (k as f64 - 2.0) / 2.0) * sd)
                    .collect()
            }
            Method::Quantiles => {
                let n = v.len();
                (1..k)
                    .map(|j| v[((j * n + k / 2) / k).min(n - 1)])
                    .collect()
            }
            Method::EqualIntervals => (1..k)
                .map(|j| min + (max - min) * j as f64 / k as f64)
                .collect(),
            Method::NaturalBreaks => jenks(v, k),
            Method::Manual(b) => b.clone(),
        };
        // Data-driven methods may put a boundary at the maximum: the last class then
        // holds the values equal to the maximum, a real group of the data.
        let data_driven = matches!(method, Method::Quantiles | Method::NaturalBreaks);
        let mut breaks = vec![min];
        for b in inner {
            let below_max = b < max || (data_driven && b == max);
            if b > min && below_max && b > *breaks.last().unwrap_or(&min) {
                breaks.push(b);
            }
        }
        breaks.push(max);
        let mut classes = Classes { breaks };
        if !matches!(method, Method::Manual(_)) {
            classes.drop_empty(v);
            let distinct = 1 + v.windows(2).filter(|w| w[0] < w[1]).count();
            classes.fill_up(v, k.min(distinct));
        }
        classes
    }

    /// How many of the sorted values fall in each class.
    /// A value is in class c when c inner boundaries are ≤ it ([`Classes::class_of`]), so
    /// the classes are consecutive runs of the sorted values, cut where each inner boundary
    /// would be inserted.
    fn counts(&self, sorted: &[f64]) -> Vec<usize> {
        let n = self.len();
        if n <= 1 {
            return vec![sorted.len(); n];
        }
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        for &b in &self.breaks[1..n] {
            let end = sorted.partition_point(|&x| x < b).max(start);
            out.push(end - start);
            start = end;
        }
        out.push(sorted.len() - start);
        out
    }

    /// Merges every class without values into the class above it (or, for the last
    /// class, below it): a legend lists the classes that exist.
    fn drop_empty(&mut self, sorted: &[f64]) {
        while let Some(empty) = self.counts(sorted).iter().position(|&c| c == 0) {
            let last = self.len() - 1;
            self.breaks
                .remove(if empty < last { empty + 1 } else { empty });
        }
    }

    /// Splits the fullest class that holds two or more distinct values, at the value
    /// change nearest its middle, until there are `k` classes (every class keeps a value).
    fn fill_up(&mut self, sorted: &[f64], k: usize) {
        while self.len() < k {
            let counts = self.counts(sorted);
            // Classes hold consecutive runs of the sorted values.
            let mut start = 0;
            let mut best: Option<(usize, f64)> = None;
            for &n in &counts {
                let run = &sorted[start..start + n];
                let middle = n / 2;
                let split = (1..n)
                    .filter(|&j| run[j - 1] < run[j])
                    .min_by_key(|&j| j.abs_diff(middle));
                if let Some(j) = split
                    && best.is_none_or(|(m, _)| n > m)
                {
                    best = Some((n, run[j]));
                }
                start += n;
            }
            let Some((_, at)) = best else { return };
            let pos = self.breaks.partition_point(|&b| b <= at);
            self.breaks.insert(pos, at);
        }
    }

    /// The number of classes.
    pub fn len(&self) -> usize {
        self.breaks.len().saturating_sub(1)
    }

    /// True when there are no classes (there was no data).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class (0..len()) of x: below the minimum → 0, above the maximum → the last; a
    /// value equal to an inner boundary belongs to the upper class, the maximum to the last
    /// class. NaN gives 0. With no classes, 0.
    #[inline]
    pub fn class_of(&self, x: f64) -> usize {
        let n = self.len();
        if n <= 1 {
            return 0;
        }
        let inner = &self.breaks[1..n];
        inner.partition_point(|&b| b <= x).min(n - 1)
    }

    /// Legend labels `a – b` (en dash between spaces), one per class, with
    /// [`NumberFormat::number`]; with up to three more decimals when boundaries that differ
    /// would read the same ("22,5 – 22,5" for 22.52 and 22.54).
    pub fn labels(&self, fmt: &NumberFormat) -> Vec<String> {
        let distinct = |f: &NumberFormat| {
            self.breaks
                .windows(2)
                .all(|w| w[0] == w[1] || f.number(w[0]) != f.number(w[1]))
        };
        let fmt = (0..=3)
            .map(|extra| NumberFormat {
                decimals: fmt.decimals.saturating_add(extra),
                ..fmt.clone()
            })
            .find(|f| distinct(f))
            .unwrap_or_else(|| NumberFormat {
                decimals: fmt.decimals.saturating_add(3),
                ..fmt.clone()
            });
        self.breaks
            .windows(2)
            .map(|w| format!("{} – {}", fmt.number(w[0]), fmt.number(w[1])))
            .collect()
    }
}

/// Jenks natural breaks on sorted values: returns the inner boundaries (first value of
/// classes 1..k).
fn jenks(sorted: &[f64], k: usize) -> Vec<f64> {
    let data: Vec<f64> = if sorted.len() > JENKS_SAMPLE {
        let n = sorted.len();
        (0..JENKS_SAMPLE)
            .map(|i| sorted[i * (n - 1) / (JENKS_SAMPLE - 1)])
            .collect()
    } else {
        sorted.to_vec()
    };
    let n = data.len();
    let distinct = 1 + data.windows(2).filter(|w| w[0] < w[1]).count();
    let k = k.min(distinct);
    if k <= 1 {
        return Vec::new();
    }
    // Prefix sums of values shifted by the mean, for numerically stable O(1) SSD.
    let shift = data.iter().sum::<f64>() / n as f64;
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for (i, &x) in data.iter().enumerate() {
        let d = x - shift;
        s1[i + 1] = s1[i] + d;
        s2[i + 1] = s2[i] + d * d;
    }
    // Sum of squared deviations of data[i..j].
    let ssd = |i: usize, j: usize| {
        let m = (j - i) as f64;
        let s = s1[j] - s1[i];
        (s2[j] - s2[i] - s * s / m).max(0.0)
    };
    // A class may only start where the value changes.
    let can_start: Vec<bool> = (0..n).map(|i| i == 0 || data[i - 1] < data[i]).collect();
    let inf = f64::INFINITY;
    // cost[c][j]: best cost of splitting data[..j] into c+1 classes; from[c][j]: where the
    // last class starts.
    let mut cost = vec![vec![inf; n + 1]; k];
    let mut from = vec![vec![0usize; n + 1]; k];
    for (j, c) in cost[0].iter_mut().enumerate().skip(1) {
        *c = ssd(0, j);
    }
    for c in 1..k {
        for j in (c + 1)..=n {
            // The class data[i..j] must end at a value change (or the end).
            if j < n && !can_start[j] {
                continue;
            }
            let mut best = inf;
            let mut arg = 0;
            for i in c..j {
                if !can_start[i] || cost[c - 1][i] == inf {
                    continue;
                }
                let t = cost[c - 1][i] + ssd(i, j);
                if t < best {
                    best = t;
                    arg = i;
                }
            }
            cost[c][j] = best;
            from[c][j] = arg;
        }
    }
    let mut starts = Vec::with_capacity(k - 1);
    let mut j = n;
    for c in (1..k).rev() {
        let i = from[c][j];
        starts.push(data[i]);
        j = i;
    }
    starts.reverse();
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_cut_points_equal_counting_each_value_and_from_sorted_equals_new() {
        // A deterministic spread with ties, negatives and a long tail.
        let mut v: Vec<f64> = (0..997u64)
            .map(|i| ((i * 7919) % 613) as f64 / 7.0 - 20.0 + if i % 97 == 0 { 400.0 } else { 0.0 })
            .collect();
        for method in [
            Method::MeanStdDev,
            Method::Quantiles,
            Method::EqualIntervals,
            Method::NaturalBreaks,
        ] {
            for k in 2..=9 {
                let c = Classes::new(&v, &method, k);
                let mut by_value = vec![0usize; c.len()];
                for &x in &v {
                    by_value[c.class_of(x)] += 1;
                }
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                assert_eq!(c.counts(&sorted), by_value, "{method:?} k={k}");
                assert_eq!(
                    Classes::from_sorted(&sorted, &method, k),
                    c,
                    "{method:?} k={k}"
                );
            }
        }
        v.truncate(1);
        assert_eq!(Classes::new(&v, &Method::Quantiles, 5).counts(&v), vec![1]);
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn parse_and_code_roundtrip() {
        for m in [
            Method::MeanStdDev,
            Method::Quantiles,
            Method::EqualIntervals,
            Method::NaturalBreaks,
            Method::Manual(vec![1.0, 5.5, 10.0]),
        ] {
            assert_eq!(Method::parse(&m.code()), Some(m.clone()), "{m:?}");
        }
        assert_eq!(
            Method::parse("manual:10;1; 5.5"),
            Some(Method::Manual(vec![1.0, 5.5, 10.0]))
        );
        assert_eq!(
            Method::parse("Manual:1,1,2"),
            Some(Method::Manual(vec![1.0, 2.0]))
        );
        assert_eq!(Method::parse("manual:"), None);
        assert_eq!(Method::parse("manual:1,a"), None);
        assert_eq!(Method::parse("manual:inf"), None);
        assert_eq!(Method::parse("nope"), None);
        assert_eq!(Method::MeanStdDev.code(), "stddev");
        assert_eq!(Method::Manual(vec![1.0, 5.0, 10.0]).code(), "manual:1,5,10");
        assert_eq!(
            Method::NaturalBreaks.name(Locale::Nl),
            "natuurlijke grenzen (Jenks)"
        );
        assert_eq!(
            Method::MeanStdDev.name(Locale::Nl),
            "gemiddelde ± standaardafwijking"
        );
    }

    #[test]
    fn empty_and_constant() {
        let c = Classes::new(&[], &Method::Quantiles, 5);
        assert!(c.is_empty());
        assert_eq!(c.len(), 0);
        assert_eq!(c.class_of(3.0), 0);
        assert!(c.labels(&NumberFormat::new(0, "", Locale::Nl)).is_empty());
        let c = Classes::new(&[f64::NAN], &Method::Quantiles, 5);
        assert!(c.is_empty());
        let c = Classes::new(&[4.0, 4.0, 4.0], &Method::NaturalBreaks, 5);
        assert_eq!(c.len(), 1);
        assert_eq!(c.breaks, vec![4.0, 4.0]);
        assert_eq!(c.class_of(4.0), 0);
    }

    #[test]
    fn mean_stddev_by_hand() {
        // Mean 5, population sd 2 (the textbook example).
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let c = Classes::new(&v, &Method::MeanStdDev, 5);
        // m-1.5sd = 2 equals the minimum and is dropped; the data have five distinct
        // values, so the fullest class [4, 6) is split at 5 to give the five classes asked.
        assert!(
            close(&c.breaks, &[2.0, 4.0, 5.0, 6.0, 8.0, 9.0]),
            "{:?}",
            c.breaks
        );
        let c = Classes::new(&v, &Method::MeanStdDev, 4);
        assert!(
            close(&c.breaks, &[2.0, 3.0, 5.0, 7.0, 9.0]),
            "{:?}",
            c.breaks
        );
        let c = Classes::new(&v, &Method::MeanStdDev, 2);
        assert!(close(&c.breaks, &[2.0, 5.0, 9.0]));
        let c = Classes::new(&v, &Method::MeanStdDev, 3);
        assert!(close(&c.breaks, &[2.0, 4.0, 6.0, 9.0]));
        // Three distinct values: the two empty classes of mean ± sd (between 0 and 10,
        // and between 10 and 20) are merged into the next, leaving three.
        let w = [0.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 20.0];
        // mean 10, sd sqrt(20)
        let sd = 20f64.sqrt();
        let c = Classes::new(&w, &Method::MeanStdDev, 5);
        assert!(close(
            &c.breaks,
            &[0.0, 10.0 - 1.5 * sd, 10.0 + 0.5 * sd, 20.0]
        ));
    }

    #[test]
    fn quantiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let c = Classes::new(&v, &Method::Quantiles, 5);
        assert_eq!(c.breaks, vec![1.0, 3.0, 5.0, 7.0, 9.0, 10.0]);
        let counts = count(&c, &v);
        assert_eq!(counts, vec![2, 2, 2, 2, 2]);
        // Ties collapse boundaries; three distinct values allow three of the four classes
        // asked, the last holding the maximum alone.
        let t = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0];
        let c = Classes::new(&t, &Method::Quantiles, 4);
        assert_eq!(c.breaks, vec![1.0, 2.0, 3.0, 3.0]);
        assert_eq!(count(&c, &t), vec![6, 1, 1]);
    }

    #[test]
    fn equal_intervals() {
        let c = Classes::new(&[0.0, 3.0, 6.0, 10.0], &Method::EqualIntervals, 4);
        assert_eq!(c.breaks, vec![0.0, 2.5, 5.0, 7.5, 10.0]);
        // The empty class [5, 7.5) is merged into the next; three values, three classes.
        let c = Classes::new(&[0.0, 3.0, 10.0], &Method::EqualIntervals, 4);
        assert_eq!(c.breaks, vec![0.0, 2.5, 5.0, 10.0]);
    }

    /// Every method but Manual: min(k, distinct values) classes, none empty.
    #[test]
    fn the_classes_asked_for_when_the_data_allow_it() {
        // A few skewed values, as a dashboard map of one wijk's sectors has: mean ± sd
        // used to leave the lowest class out and an inner class empty.
        let seven = [14.1, 15.2, 15.3, 15.9, 16.4, 16.8, 20.3];
        let c = Classes::new(&seven, &Method::MeanStdDev, 5);
        assert_eq!(c.len(), 5, "{:?}", c.breaks);
        assert!(count(&c, &seven).iter().all(|&n| n > 0), "{:?}", c.breaks);
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for round in 0..200 {
            let n = 1 + round % 40;
            // Clustered, skewed and tied values.
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    let x = next();
                    if x < 0.3 {
                        1.0
                    } else {
                        (x * x * x * 100.0).round() / 4.0
                    }
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            sorted.dedup();
            for method in [
                Method::MeanStdDev,
                Method::Quantiles,
                Method::EqualIntervals,
                Method::NaturalBreaks,
            ] {
                for k in 1..=MAX_CLASSES {
                    let c = Classes::new(&v, &method, k);
                    assert_eq!(
                        c.len(),
                        k.min(sorted.len()),
                        "{method:?} k={k} {v:?}: {:?}",
                        c.breaks
                    );
                    assert!(
                        count(&c, &v).iter().all(|&n| n > 0),
                        "{method:?} k={k} {v:?}: {:?}",
                        c.breaks
                    );
                    assert!(c.breaks.windows(2).all(|w| w[0] <= w[1]));
                }
            }
        }
    }

    #[test]
    fn jenks_textbook() {
        let v = [31.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 32.0];
        let c = Classes::new(&v, &Method::NaturalBreaks, 3);
        assert_eq!(c.breaks, vec![1.0, 10.0, 30.0, 32.0]);
        assert_eq!(count(&c, &v), vec![3, 3, 3]);
        // More classes than distinct values.
        let c = Classes::new(&[1.0, 1.0, 5.0, 5.0], &Method::NaturalBreaks, 5);
        assert_eq!(c.breaks, vec![1.0, 5.0, 5.0]);
        assert_eq!(count(&c, &[1.0, 1.0, 5.0, 5.0]), vec![2, 2]);
        // Ties are never split.
        let t = [1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 9.0];
        let c = Classes::new(&t, &Method::NaturalBreaks, 3);
        assert_eq!(c.len(), 3);
        for b in &c.breaks[1..c.len()] {
            assert!(t.contains(b));
        }
        let twos: Vec<usize> = t
            .iter()
            .filter(|&&x| x == 2.0)
            .map(|&x| c.class_of(x))
            .collect();
        assert!(twos.iter().all(|&k| k == twos[0]));
        assert_eq!(c.class_of(9.0), 2);
        assert_eq!(c.class_of(1.0), 0);
    }

    #[test]
    fn jenks_large_is_sampled() {
        let mut v = Vec::new();
        for i in 0..4000 {
            v.push((i % 4) as f64 * 100.0 + (i % 7) as f64);
        }
        let c = Classes::new(&v, &Method::NaturalBreaks, 4);
        assert_eq!(c.len(), 4);
        assert_eq!(c.breaks[1..4], [100.0, 200.0, 300.0]);
    }

    #[test]
    fn manual() {
        let v = [0.0, 4.0, 20.0];
        let c = Classes::new(&v, &Method::Manual(vec![-5.0, 1.0, 5.0, 10.0, 50.0]), 5);
        assert_eq!(c.breaks, vec![0.0, 1.0, 5.0, 10.0, 20.0]);
    }

    #[test]
    fn class_of_edges() {
        let c = Classes {
            breaks: vec![0.0, 10.0, 20.0, 30.0],
        };
        assert_eq!(c.class_of(-5.0), 0);
        assert_eq!(c.class_of(0.0), 0);
        assert_eq!(c.class_of(9.999), 0);
        assert_eq!(c.class_of(10.0), 1);
        assert_eq!(c.class_of(20.0), 2);
        assert_eq!(c.class_of(30.0), 2);
        assert_eq!(c.class_of(99.0), 2);
        assert_eq!(c.class_of(f64::NAN), 0);
    }

    #[test]
    fn labels_use_number() {
        let c = Classes {
            breaks: vec![0.0, 12345.0, 20000.5],
        };
        let f = NumberFormat::new(1, "%", Locale::Nl);
        assert_eq!(
            c.labels(&f),
            vec!["0,0 – 12\u{202f}345,0", "12\u{202f}345,0 – 20\u{202f}000,5"]
        );
        // Boundaries that differ never read the same: one more decimal here.
        let close = Classes {
            breaks: vec![22.525, 22.54, 24.6],
        };
        assert_eq!(
            close.labels(&NumberFormat::new(1, "%", Locale::Nl)),
            vec!["22,53 – 22,54", "22,54 – 24,60"]
        );
    }

    fn count(c: &Classes, v: &[f64]) -> Vec<usize> {
        let mut out = vec![0; c.len()];
        for &x in v {
            out[c.class_of(x)] += 1;
        }
        out
    }
}
