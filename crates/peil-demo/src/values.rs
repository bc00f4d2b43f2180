//! The loaded values: a small demographic simulation per sector, then tables that turn its
//! state into series.
//!
//! Numbers hang together the way real register data do, because they are derived from one
//! another rather than drawn independently: the population of next year is this year's plus
//! births, minus deaths, plus moves in, minus moves out; the age-sex cube is an exact integer
//! split of the population (so men + women and the cube cells add up to the total);
//! households come from persons in private households and a household size; dwellings from
//! households; tax returns from inhabitants; income totals from mean × returns.
//!
//! Missing codes appear where real sources put them: Statbel hides income where a sector has
//! fewer than 5 tax returns (`x`), Fluvius hides energy use with fewer than 10 connections,
//! the unknown-location sector has no dwellings or area (`nvt`), a few source gaps are
//! unknown (`?`), the Stadsmonitor hides wijken with fewer than 30 respondents.

use crate::DemoSeries;
use crate::geography::{GEMEENTE, Kind, Layout, NIS, STATSEC, Sector, WIJK};
use crate::indicators::{
    AGE_BANDS, AGE3_OF_BAND, AGE5, POPULATION_CUBE, SEX, SEX_CODES, age5_code,
};
use crate::rng::Rng;
use peil_core::{DimKey, MissingCode, Period, PeriodLevel, SeriesKey, Value};

pub(crate) const FIRST_YEAR: i32 = 2013;
pub(crate) const LAST_YEAR: i32 = 2025;
const YEARS: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;

/// Year-on-year growth of the average income per tax return, city-wide (2014 → 2025); the
/// jumps of 2022–2023 are the automatic wage indexations after the energy crisis.
const INCOME_GROWTH: [f64; YEARS - 1] = [
    0.012, 0.014, 0.019, 0.021, 0.024, 0.029, 0.006, 0.032, 0.052, 0.071, 0.03, 0.025,
];
/// Job seekers relative to 2013: the slow fall to 2019, the covid bump, the recent rise.
const JOBSEEKER_CYCLE: [f64; YEARS] = [
    1.00, 1.04, 1.02, 0.95, 0.88, 0.82, 0.78, 0.86, 0.84, 0.80, 0.83, 0.86, 0.88,
];
const LEEFLOON_CYCLE: [f64; YEARS] = [
    1.00, 1.05, 1.12, 1.20, 1.25, 1.27, 1.30, 1.35, 1.33, 1.30, 1.32, 1.35, 1.37,
];
/// Heating-degree factor for gas use, with the 2022 energy-crisis drop.
const GAS_WEATHER: [f64; YEARS] = [
    1.08, 0.90, 0.98, 1.03, 0.99, 1.01, 0.96, 0.92, 1.05, 0.80, 0.83, 0.85, 0.88,
];
/// Owner-occupied homes with solar panels, 2016 → 2025.
const PV_SHARE: [f64; 10] = [
    0.085, 0.09, 0.10, 0.115, 0.135, 0.16, 0.20, 0.245, 0.28, 0.30,
];
/// Female share per 5-year band: slightly below half for children, rising with age.
const FEMALE_SHARE: [f64; AGE_BANDS] = [
    0.487, 0.487, 0.488, 0.49, 0.49, 0.495, 0.5, 0.5, 0.5, 0.5, 0.5, 0.505, 0.51, 0.515, 0.52,
    0.54, 0.57, 0.61, 0.67, 0.75,
];
/// Quarterly seasonality of business start-ups.
const START_SEASON: [f64; 4] = [1.2, 1.0, 0.8, 1.0];
const SURVEY_YEARS: [i32; 3] = [2017, 2020, 2023];

/// What a kind of sector is like on average; each sector then varies around it.
struct KindParams {
    pop: (f64, f64),
    growth: (f64, f64),
    birth: f64,
    death: f64,
    mobility: f64,
    hh_size: f64,
    single: f64,
    kids: f64,
    lone: f64,
    owner: f64,
    flats: f64,
    /// Chance that the sector has social housing, and the largest share it then has.
    social: (f64, f64),
    income: f64,
    decl: f64,
    employment: f64,
    seekers: f64,
    jobs_per_head: f64,
    jobs_extra: (f64, f64),
    foreign: f64,
    cars: f64,
    elec: f64,
    gas: f64,
    leefloon: f64,
    starts: f64,
    /// Chance per quarter of a permit, and its size range in dwellings.
    permits: (f64, i64, i64),
    childcare: f64,
    age: [f64; AGE_BANDS],
}

const URBAN: KindParams = KindParams {
    pop: (700.0, 1900.0),
    growth: (0.0, 0.010),
    birth: 0.0115,
    death: 0.0095,
    mobility: 0.10,
    hh_size: 2.15,
    single: 0.38,
    kids: 0.26,
    lone: 0.22,
    owner: 0.58,
    flats: 0.35,
    social: (0.4, 0.30),
    income: 1.0,
    decl: 0.54,
    employment: 0.70,
    seekers: 0.055,
    jobs_per_head: 0.2,
    jobs_extra: (0.0, 150.0),
    foreign: 0.09,
    cars: 0.95,
    elec: 3.1,
    gas: 13.5,
    leefloon: 0.010,
    starts: 0.7,
    permits: (0.08, 1, 6),
    childcare: 0.25,
    age: [
        5.8, 5.6, 5.4, 5.2, 6.0, 6.8, 7.2, 7.0, 6.8, 6.6, 6.6, 6.4, 6.0, 5.4, 4.8, 4.0, 3.0, 2.0,
        1.0, 0.3,
    ],
};
const CENTRE: KindParams = KindParams {
    pop: (1800.0, 3600.0),
    growth: (0.002, 0.012),
    birth: 0.0125,
    death: 0.0085,
    mobility: 0.16,
    hh_size: 1.75,
    single: 0.52,
    kids: 0.17,
    lone: 0.28,
    owner: 0.38,
    flats: 0.72,
    social: (0.5, 0.25),
    income: 0.92,
    decl: 0.60,
    employment: 0.64,
    seekers: 0.085,
    jobs_per_head: 0.6,
    jobs_extra: (200.0, 1200.0),
    foreign: 0.17,
    cars: 0.62,
    elec: 2.5,
    gas: 10.5,
    leefloon: 0.022,
    starts: 1.6,
    permits: (0.12, 2, 14),
    childcare: 0.35,
    age: [
        5.0, 4.0, 3.5, 4.5, 8.5, 11.0, 10.0, 8.0, 6.5, 5.8, 5.5, 5.2, 4.8, 4.2, 3.6, 3.0, 2.4, 1.8,
        1.0, 0.3,
    ],
};
const SUBURBAN: KindParams = KindParams {
    pop: (200.0, 900.0),
    growth: (-0.003, 0.008),
    birth: 0.009,
    death: 0.0105,
    mobility: 0.07,
    hh_size: 2.45,
    single: 0.26,
    kids: 0.30,
    lone: 0.15,
    owner: 0.79,
    flats: 0.08,
    social: (0.15, 0.15),
    income: 1.12,
    decl: 0.52,
    employment: 0.76,
    seekers: 0.035,
    jobs_per_head: 0.1,
    jobs_extra: (0.0, 60.0),
    foreign: 0.04,
    cars: 1.25,
    elec: 3.6,
    gas: 16.0,
    leefloon: 0.004,
    starts: 0.3,
    permits: (0.06, 1, 3),
    childcare: 0.12,
    age: [
        4.6, 5.2, 5.6, 5.6, 5.0, 4.6, 5.0, 5.6, 6.4, 7.0, 7.4, 7.6, 7.4, 6.8, 6.0, 5.0, 3.6, 2.4,
        1.2, 0.4,
    ],
};
const NEW_BUILD: KindParams = KindParams {
    pop: (250.0, 450.0),
    growth: (0.09, 0.14),
    birth: 0.016,
    death: 0.004,
    mobility: 0.14,
    hh_size: 2.3,
    single: 0.30,
    kids: 0.38,
    lone: 0.14,
    owner: 0.62,
    flats: 0.55,
    social: (0.6, 0.20),
    income: 1.08,
    employment: 0.78,
    seekers: 0.04,
    jobs_per_head: 0.05,
    jobs_extra: (0.0, 40.0),
    foreign: 0.08,
    cars: 1.05,
    elec: 2.9,
    gas: 6.0,
    leefloon: 0.006,
    starts: 0.5,
    permits: (0.35, 8, 60),
    childcare: 0.5,
    age: [
        7.5, 6.5, 5.0, 4.0, 4.5, 7.0, 9.5, 9.5, 8.0, 6.0, 4.5, 3.5, 3.0, 2.5, 2.2, 1.8, 1.3, 0.8,
        0.4, 0.1,
    ],
    ..URBAN
};
const INDUSTRIAL: KindParams = KindParams {
    pop: (0.0, 12.0),
    growth: (0.0, 0.0),
    mobility: 0.2,
    hh_size: 2.0,
    single: 0.45,
    kids: 0.15,
    owner: 0.5,
    flats: 0.0,
    social: (0.0, 0.0),
    income: 0.85,
    jobs_per_head: 0.0,
    jobs_extra: (400.0, 2500.0),
    starts: 2.2,
    permits: (0.02, 1, 2),
    childcare: 0.05,
    ..URBAN
};
const PARK: KindParams = KindParams {
    pop: (0.0, 10.0),
    jobs_extra: (0.0, 30.0),
    starts: 0.05,
    permits: (0.0, 0, 0),
    childcare: 0.0,
    ..INDUSTRIAL
};
/// Residents registered without a known address: few, mostly single adults, many on benefits.
const UNKNOWN: KindParams = KindParams {
    pop: (5.0, 20.0),
    birth: 0.0,
    death: 0.0,
    mobility: 0.5,
    hh_size: 1.5,
    single: 0.8,
    kids: 0.05,
    decl: 0.7,
    employment: 0.45,
    seekers: 0.2,
    jobs_extra: (0.0, 0.0),
    foreign: 0.3,
    leefloon: 0.25,
    starts: 0.0,
    ..PARK
};

fn params(kind: Kind) -> &'static KindParams {
    match kind {
        Kind::Centre => &CENTRE,
        Kind::Urban => &URBAN,
        Kind::Suburban => &SUBURBAN,
        Kind::NewBuild => &NEW_BUILD,
        Kind::Industrial => &INDUSTRIAL,
        Kind::Park => &PARK,
        Kind::Unknown => &UNKNOWN,
    }
}

/// A sector's fixed character: its kind's parameters, varied per sector.
struct Profile {
    kind: Kind,
    k: &'static KindParams,
    pop0: f64,
    growth: f64,
    birth: f64,
    age: [f64; AGE_BANDS],
    collective: i64,
    infants: f64,
    hh_size: f64,
    single: f64,
    kids: f64,
    lone: f64,
    dwell_ratio: f64,
    caretaker_dwellings: i64,
    owner: f64,
    social: f64,
    flats: f64,
    vacancy: f64,
    income: f64,
    income_drift: f64,
    decl: f64,
    median: f64,
    employment: f64,
    seekers: f64,
    long_share: f64,
    /// VDAB delivered no figure for this sector in 2016.
    labour_gap: bool,
    jobs: f64,
    foreign: f64,
    origin: f64,
    cars: f64,
    elec: f64,
    gas: f64,
    gas_grid: bool,
    /// Fluvius delivered no figure for this sector in 2019.
    energy_gap: bool,
    pv: f64,
    kw: f64,
    childcare: i64,
    childcare_extension: (i32, i64),
    leefloon: f64,
    benefit: f64,
    area_km2: f64,
}

impl Profile {
    fn new(s: &Sector, index: usize) -> Profile {
        let k = params(s.kind);
        let mut r = Rng::keyed(&["profile", &s.code]);
        let mut age = k.age;
        for w in &mut age {
            *w *= r.range(0.8, 1.2);
        }
        let childcare = if r.chance(k.childcare) {
            r.int(14, 56)
        } else {
            0
        };
        Profile {
            kind: s.kind,
            k,
            pop0: r.range(k.pop.0, k.pop.1),
            growth: r.range(k.growth.0, k.growth.1),
            birth: k.birth * r.range(0.85, 1.15),
            age,
            collective: if s.care_home { r.int(60, 140) } else { 0 },
            infants: r.range(0.57, 0.63),
            hh_size: k.hh_size * r.range(0.93, 1.07),
            single: k.single * r.range(0.85, 1.15),
            kids: k.kids * r.range(0.85, 1.15),
            lone: k.lone * r.range(0.8, 1.2),
            dwell_ratio: if s.kind == Kind::NewBuild {
                r.range(1.08, 1.14)
            } else {
                r.range(1.02, 1.07)
            },
            caretaker_dwellings: if matches!(s.kind, Kind::Industrial | Kind::Park) {
                r.int(0, 3)
            } else {
                0
            },
            owner: (k.owner * r.range(0.85, 1.12)).min(0.95),
            social: if r.chance(k.social.0) {
                r.range(0.03, k.social.1.max(0.03))
            } else {
                0.0
            },
            flats: (k.flats * r.range(0.8, 1.2)).min(0.95),
            vacancy: r.range(0.3, 0.7),
            income: k.income * r.range(0.85, 1.15),
            income_drift: r.range(-0.004, 0.004),
            decl: k.decl * r.range(0.96, 1.04),
            median: r.range(0.80, 0.88),
            employment: k.employment + r.range(-0.04, 0.04),
            seekers: k.seekers * r.range(0.75, 1.25),
            long_share: r.range(0.3, 0.5),
            labour_gap: index % 97 == 11,
            jobs: 0.0,
            foreign: k.foreign * r.range(0.6, 1.4),
            origin: k.foreign * r.range(0.9, 1.5) + 0.05,
            cars: k.cars * r.range(0.9, 1.1),
            elec: k.elec * r.range(0.9, 1.1),
            gas: k.gas * r.range(0.9, 1.1),
            gas_grid: !(s.kind == Kind::Suburban && index % 41 == 7),
            energy_gap: index % 89 == 23,
            pv: r.range(0.7, 1.3),
            kw: r.range(0.9, 1.1),
            childcare,
            childcare_extension: (
                r.int(2017, 2024) as i32,
                if r.chance(0.4) { r.int(9, 18) } else { 0 },
            ),
            leefloon: k.leefloon * r.range(0.7, 1.3),
            benefit: r.range(0.9, 0.96),
            area_km2: s.area_km2,
        }
        .with_jobs(&mut r)
    }

    fn with_jobs(mut self, r: &mut Rng) -> Profile {
        self.jobs = self.pop0 * self.k.jobs_per_head * r.range(0.5, 1.5)
            + r.range(self.k.jobs_extra.0, self.k.jobs_extra.1);
        self
    }

    fn located(&self) -> bool {
        self.kind != Kind::Unknown
    }
}

/// One sector in one year. Stocks are on 1 January; flows cover the calendar year.
#[derive(Default)]
struct Year {
    year: i32,
    pop: i64,
    /// [band][sex], sex 0 = m, 1 = v.
    cube: [[i64; 2]; AGE_BANDS],
    births: i64,
    deaths: i64,
    moves_in: i64,
    moves_out: i64,
    infants: i64,
    hh_pers: i64,
    hh: i64,
    single: i64,
    kids: i64,
    lone: i64,
    dwellings: i64,
    occupied: i64,
    owner: i64,
    social: i64,
    vacant: i64,
    flats: i64,
    decl: i64,
    income_total: i64,
    income_mean: i64,
    income_median: i64,
    leefloon: i64,
    labour_pop: i64,
    working: i64,
    seekers: i64,
    seekers_long: i64,
    jobs: i64,
    foreign: i64,
    origin: i64,
    cars: i64,
    elec: f64,
    gas: f64,
    pv: i64,
    pv_kw: f64,
    childcare: i64,
    benefit: i64,
}

impl Year {
    /// A municipality's year: the sum of its sectors' (all in the same year), with the
    /// mean and median income of all its returns.
    fn total(parts: &[&Year]) -> Year {
        let sum = |f: fn(&Year) -> i64| parts.iter().map(|y| f(y)).sum::<i64>();
        let fsum = |f: fn(&Year) -> f64| round_to(parts.iter().map(|y| f(y)).sum::<f64>(), 1);
        let mut cube = [[0; 2]; AGE_BANDS];
        for y in parts {
            for (b, band) in y.cube.iter().enumerate() {
                cube[b][0] += band[0];
                cube[b][1] += band[1];
            }
        }
        let decl = sum(|y| y.decl);
        let income_total = sum(|y| y.income_total);
        let median = parts
            .iter()
            .map(|y| (y.income_median * y.decl) as f64)
            .sum::<f64>()
            / decl.max(1) as f64
            * 0.97;
        Year {
            year: parts.first().map_or(FIRST_YEAR, |y| y.year),
            pop: sum(|y| y.pop),
            cube,
            births: sum(|y| y.births),
            deaths: sum(|y| y.deaths),
            moves_in: sum(|y| y.moves_in),
            moves_out: sum(|y| y.moves_out),
            infants: sum(|y| y.infants),
            hh_pers: sum(|y| y.hh_pers),
            hh: sum(|y| y.hh),
            single: sum(|y| y.single),
            kids: sum(|y| y.kids),
            lone: sum(|y| y.lone),
            dwellings: sum(|y| y.dwellings),
            occupied: sum(|y| y.occupied),
            owner: sum(|y| y.owner),
            social: sum(|y| y.social),
            vacant: sum(|y| y.vacant),
            flats: sum(|y| y.flats),
            decl,
            income_total,
            income_mean: round(income_total as f64 / decl.max(1) as f64),
            income_median: round(median),
            leefloon: sum(|y| y.leefloon),
            labour_pop: sum(|y| y.labour_pop),
            working: sum(|y| y.working),
            seekers: sum(|y| y.seekers),
            seekers_long: sum(|y| y.seekers_long),
            jobs: sum(|y| y.jobs),
            foreign: sum(|y| y.foreign),
            origin: sum(|y| y.origin),
            cars: sum(|y| y.cars),
            elec: fsum(|y| y.elec),
            gas: fsum(|y| y.gas),
            pv: sum(|y| y.pv),
            pv_kw: fsum(|y| y.pv_kw),
            childcare: sum(|y| y.childcare),
            benefit: sum(|y| y.benefit),
        }
    }

    fn age_group(&self, group: usize) -> i64 {
        (0..AGE_BANDS)
            .filter(|&b| AGE3_OF_BAND[b] == group)
            .map(|b| self.cube[b][0] + self.cube[b][1])
            .sum()
    }
}

/// Splits `total` into integers proportional to `weights` that add up exactly (largest
/// remainder; ties go to the lower index).
fn allocate(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if total == 0 || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<i64> = quotas.iter().map(|q| q.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (quotas[b] - quotas[b].floor())
            .total_cmp(&(quotas[a] - quotas[a].floor()))
            .then(a.cmp(&b))
    });
    let missing = total - out.iter().sum::<i64>();
    for &i in order.iter().take(missing as usize) {
        out[i] += 1;
    }
    out
}

fn round(x: f64) -> i64 {
    x.round().max(0.0) as i64
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = (0..decimals).fold(1.0, |f, _| f * 10.0);
    (x * f).round() / f
}

/// Runs the sector through the years.
fn simulate(s: &Sector, p: &Profile) -> Vec<Year> {
    let mut demo = Rng::keyed(&["demography", &s.code]);
    let mut rest = Rng::keyed(&["yearly", &s.code]);
    let mut pop = round(p.pop0);
    let mut income = 29_000.0 * p.income;
    let mut years = Vec::with_capacity(YEARS);
    for t in 0..YEARS {
        let year = FIRST_YEAR + t as i32;
        let tf = t as f64;
        let mut y = Year {
            year,
            pop,
            ..Default::default()
        };

        // Age and sex: residents of a care home are old and mostly women; everyone else
        // follows the sector's age profile, which greys slowly.
        let collective = p.collective.min(pop);
        let mut weights = Vec::with_capacity(2 * AGE_BANDS);
        let mut care = Vec::with_capacity(2 * AGE_BANDS);
        for (b, (&age, &female)) in p.age.iter().zip(&FEMALE_SHARE).enumerate() {
            let w = age * (1.0 + 0.012 * tf * (b as f64 - 9.0) / 10.0);
            let c = match b {
                16 => 0.25,
                17 => 0.35,
                18 => 0.28,
                19 => 0.12,
                _ => 0.0,
            };
            weights.extend([w * (1.0 - female), w * female]);
            care.extend([c * 0.3, c * 0.7]);
        }
        let private = allocate(pop - collective, &weights);
        let carehome = allocate(collective, &care);
        for b in 0..AGE_BANDS {
            for sex in 0..2 {
                y.cube[b][sex] = private[2 * b + sex] + carehome[2 * b + sex];
            }
        }
        y.infants =
            round((y.cube[0][0] + y.cube[0][1]) as f64 * p.infants * rest.range(0.97, 1.03))
                .min(y.cube[0][0] + y.cube[0][1]);

        // Flows of this year decide next year's population exactly.
        let target = if p.kind == Kind::Unknown {
            demo.int(4, 20)
        } else {
            let g = if p.kind == Kind::NewBuild && year >= 2021 {
                0.01
            } else {
                p.growth
            };
            let noise = 0.3 * (pop as f64).sqrt() * demo.normal();
            round(pop as f64 * (1.0 + g) + noise)
        };
        y.births = demo.count(pop as f64 * p.birth);
        y.deaths = demo
            .count(pop as f64 * p.k.death + collective as f64 * 0.25)
            .min(pop);
        y.moves_in = demo.count(pop as f64 * p.k.mobility);
        y.moves_out = pop + y.births - y.deaths + y.moves_in - target;
        if y.moves_out < 0 {
            y.moves_in -= y.moves_out;
            y.moves_out = 0;
        }
        pop = target;

        // Households and dwellings.
        y.hh_pers = y.pop - collective;
        let size = (p.hh_size - 0.006 * tf).max(1.25);
        y.hh = if y.hh_pers == 0 {
            0
        } else {
            round(y.hh_pers as f64 / size).clamp(1, y.hh_pers)
        };
        y.single = round(y.hh as f64 * (p.single + 0.002 * tf).min(0.85));
        y.kids = round(y.hh as f64 * (p.kids - 0.001 * tf).max(0.03)).min(y.hh - y.single);
        y.lone = round(y.kids as f64 * p.lone);
        y.dwellings = round(y.hh as f64 * p.dwell_ratio) + p.caretaker_dwellings;
        y.occupied = y.hh.min(y.dwellings);
        y.vacant = round((y.dwellings - y.occupied) as f64 * p.vacancy);
        y.social = round(y.dwellings as f64 * p.social);
        y.owner = round(y.occupied as f64 * (p.owner + 0.001 * tf))
            .min(y.occupied - y.social.min(y.occupied));
        y.flats = round(y.dwellings as f64 * p.flats);

        // Income (by income year): returns from inhabitants, mean per return grows with
        // the city index plus the sector's own drift.
        if t > 0 {
            income *= 1.0 + INCOME_GROWTH[t - 1] + p.income_drift;
        }
        y.decl = round(y.pop as f64 * p.decl * rest.range(0.98, 1.02)).min(y.pop);
        let mean = income * rest.range(0.985, 1.015);
        y.income_total = round(mean * y.decl as f64);
        y.income_mean = if y.decl > 0 {
            round(y.income_total as f64 / y.decl as f64)
        } else {
            0
        };
        y.income_median = round(mean * p.median);
        y.leefloon = rest.count(y.pop as f64 * p.leefloon * LEEFLOON_CYCLE[t]);

        // Labour market.
        let working_age = y.age_group(1);
        y.labour_pop = round(working_age as f64 * rest.range(0.985, 1.005));
        y.working = round(y.labour_pop as f64 * (p.employment + 0.0035 * tf).min(0.9));
        y.seekers = round(working_age as f64 * p.seekers * JOBSEEKER_CYCLE[t] * rest.wobble(0.05))
            .min(y.labour_pop - y.working);
        y.seekers_long = round(y.seekers as f64 * p.long_share);
        y.jobs = round(p.jobs * (1.0 + 0.008 * tf) * rest.wobble(0.03));

        y.foreign = round(y.pop as f64 * (p.foreign + 0.0025 * tf).min(0.6));
        y.origin = round(y.pop as f64 * (p.origin + 0.004 * tf).min(0.8)).clamp(y.foreign, y.pop);
        y.cars = round(y.hh as f64 * p.cars * (1.0 - 0.004 * tf));
        y.elec = round_to(
            y.hh as f64 * p.elec * (1.0 - 0.012 * tf) * rest.wobble(0.03),
            1,
        )
        .max(0.0);
        y.gas = round_to(
            y.hh as f64 * p.gas * GAS_WEATHER[t] * (1.0 - 0.015 * tf) * rest.wobble(0.03),
            1,
        )
        .max(0.0);
        if year >= 2016 {
            let share = PV_SHARE[(year - 2016) as usize];
            let business = if p.kind == Kind::Industrial {
                round(40.0 * share)
            } else {
                0
            };
            y.pv = round(y.owner as f64 * share * p.pv) + business;
            y.pv_kw = round_to(y.pv as f64 * (3.8 + 0.25 * (year - 2016) as f64) * p.kw, 1);
        }
        let (ext_year, ext) = p.childcare_extension;
        y.childcare = if p.childcare > 0 && year >= ext_year {
            p.childcare + ext
        } else {
            p.childcare
        };
        y.benefit = round(y.age_group(0) as f64 * p.benefit);
        years.push(y);
    }
    years
}

fn num(x: i64) -> Value {
    Value::Number(x as f64)
}

const NA: Value = Value::Missing(MissingCode::NotApplicable);
const HIDDEN: Value = Value::Missing(MissingCode::Hidden);
const UNKNOWN_VALUE: Value = Value::Missing(MissingCode::Unknown);

/// Things that only exist at a known address (dwellings, energy meters, area) are not
/// applicable to the unknown-location sector.
fn located(p: &Profile, v: Value) -> Value {
    if p.located() { v } else { NA }
}

/// Statbel does not publish income figures of sectors with fewer than 5 tax returns.
fn income(y: &Year, v: i64) -> Value {
    match y.decl {
        0 => NA,
        1..5 => HIDDEN,
        _ => num(v),
    }
}

/// Fluvius publishes nothing below 10 connections, and had a gap in 2019 for a few sectors.
fn energy(p: &Profile, y: &Year, mwh: f64) -> Value {
    if !p.located() {
        NA
    } else if y.hh < 10 {
        HIDDEN
    } else if p.energy_gap && y.year == 2019 {
        UNKNOWN_VALUE
    } else {
        Value::Number(mwh)
    }
}

fn labour(p: &Profile, y: &Year, v: i64) -> Value {
    if p.labour_gap && y.year == 2016 {
        UNKNOWN_VALUE
    } else {
        num(v)
    }
}

/// A yearly statsec indicator: its code, the years the source covers, and its value.
struct Flat {
    code: &'static str,
    years: (i32, i32),
    value: fn(&Profile, &Year) -> Value,
}

const ALL: (i32, i32) = (FIRST_YEAR, LAST_YEAR);
/// Flows cover a whole year, so the current year has none yet.
const FLOWS: (i32, i32) = (FIRST_YEAR, LAST_YEAR - 1);
/// Fiscal income is published with a two-year lag.
const INCOME_YEARS: (i32, i32) = (FIRST_YEAR, LAST_YEAR - 2);

#[rustfmt::skip]
const FLAT: &[Flat] = &[
    Flat { code: "v1101_t", years: ALL, value: |_, y| num(y.pop) },
    Flat { code: "v1101_m", years: ALL, value: |_, y| num(y.cube.iter().map(|c| c[0]).sum()) },
    Flat { code: "v1101_v", years: ALL, value: |_, y| num(y.cube.iter().map(|c| c[1]).sum()) },
    Flat { code: "v1101_0_2", years: ALL, value: |_, y| num(y.infants) },
    Flat { code: "v1101_nietbelg", years: ALL, value: |_, y| num(y.foreign) },
    Flat { code: "v1101_herkomst", years: (2016, LAST_YEAR), value: |_, y| num(y.origin) },
    Flat { code: "v_opp_km2", years: ALL, value: |p, _| located(p, Value::Number(round_to(p.area_km2, 4))) },
    Flat { code: "v_geboorten", years: FLOWS, value: |_, y| num(y.births) },
    Flat { code: "v_sterften", years: FLOWS, value: |_, y| num(y.deaths) },
    Flat { code: "v_verhuis_in", years: FLOWS, value: |_, y| num(y.moves_in) },
    Flat { code: "v_verhuis_uit", years: FLOWS, value: |_, y| num(y.moves_out) },
    Flat { code: "v_hh_t", years: ALL, value: |p, y| located(p, num(y.hh)) },
    Flat { code: "v_hh_pers", years: ALL, value: |p, y| located(p, num(y.hh_pers)) },
    Flat { code: "v_hh_alleen", years: ALL, value: |p, y| located(p, num(y.single)) },
    Flat { code: "v_hh_kind", years: ALL, value: |p, y| located(p, num(y.kids)) },
    Flat { code: "v_hh_eenouder", years: ALL, value: |p, y| located(p, num(y.lone)) },
    Flat { code: "v_aangiften", years: INCOME_YEARS, value: |_, y| num(y.decl) },
    Flat { code: "v_inkomen_tot", years: INCOME_YEARS, value: |_, y| if y.decl == 0 { num(0) } else { income(y, y.income_total) } },
    Flat { code: "v_inkomen_gem", years: INCOME_YEARS, value: |_, y| income(y, y.income_mean) },
    Flat { code: "v_inkomen_med", years: INCOME_YEARS, value: |_, y| income(y, y.income_median) },
    Flat { code: "v_leefloon", years: (FIRST_YEAR, LAST_YEAR - 1), value: |_, y| num(y.leefloon) },
    Flat { code: "v_won_t", years: ALL, value: |p, y| located(p, num(y.dwellings)) },
    Flat { code: "v_won_bewoond", years: ALL, value: |p, y| located(p, num(y.occupied)) },
    Flat { code: "v_won_eig", years: ALL, value: |p, y| located(p, num(y.owner)) },
    Flat { code: "v_won_soc", years: ALL, value: |p, y| located(p, num(y.social)) },
    Flat { code: "v_won_leeg", years: (2015, LAST_YEAR), value: |p, y| located(p, num(y.vacant)) },
    Flat { code: "v_won_app", years: ALL, value: |p, y| located(p, num(y.flats)) },
    Flat { code: "v_werk_bev_20_64", years: INCOME_YEARS, value: |_, y| num(y.labour_pop) },
    Flat { code: "v_werkend_20_64", years: INCOME_YEARS, value: |_, y| num(y.working) },
    Flat { code: "v_werkzoek", years: ALL, value: |p, y| labour(p, y, y.seekers) },
    Flat { code: "v_werkzoek_lang", years: ALL, value: |p, y| labour(p, y, y.seekers_long) },
    Flat { code: "v_jobs", years: INCOME_YEARS, value: |p, y| located(p, num(y.jobs)) },
    Flat { code: "v_elek_res", years: (2015, LAST_YEAR - 1), value: |p, y| energy(p, y, y.elec) },
    Flat { code: "v_gas_res", years: (2015, LAST_YEAR - 1), value: |p, y| if p.gas_grid { energy(p, y, y.gas) } else { NA } },
    Flat { code: "v_pv_install", years: (2016, LAST_YEAR - 1), value: |p, y| located(p, num(y.pv)) },
    Flat { code: "v_pv_kw", years: (2016, LAST_YEAR - 1), value: |p, y| located(p, Value::Number(y.pv_kw)) },
    Flat { code: "v_auto", years: (FIRST_YEAR, LAST_YEAR - 1), value: |p, y| located(p, num(y.cars)) },
    Flat { code: "v_kinderopvang", years: (2015, LAST_YEAR), value: |p, y| located(p, num(y.childcare)) },
    Flat { code: "v_kinderbijslag", years: (FIRST_YEAR, 2018), value: |_, y| num(y.benefit) },
];

/// A quarterly statsec flow: its code and a value drawn for one sector and quarter.
struct Quarterly {
    code: &'static str,
    value: fn(&Profile, &mut Rng, Period) -> Value,
}

const QUARTERLY: &[Quarterly] = &[
    Quarterly {
        code: "v_ondern_start",
        value: |p, r, q| {
            let trend = 1.0 + 0.02 * (q.year - 2016) as f64;
            located(
                p,
                num(r.count(p.k.starts * START_SEASON[q.index as usize - 1] * trend)),
            )
        },
    },
    Quarterly {
        code: "v_bouwverg_won",
        value: |p, r, q| {
            let (mut chance, lo, hi) = p.k.permits;
            if p.kind == Kind::NewBuild && q.year >= 2022 {
                chance = 0.08;
            }
            located(p, num(if r.chance(chance) { r.int(lo, hi) } else { 0 }))
        },
    },
];

/// 2016Q1 … 2025Q2: the quarters the permit and company registers have been loaded for.
fn quarters() -> Vec<Period> {
    let first = Period::new(PeriodLevel::Quarter, 2016, 1).expect("valid");
    let last = Period::new(PeriodLevel::Quarter, LAST_YEAR, 2).expect("valid");
    (first.ordinal()..=last.ordinal())
        .filter_map(|o| Period::from_ordinal(PeriodLevel::Quarter, o))
        .collect()
}

fn key(indicator: &str, level: &str, period: Period, dims: DimKey) -> SeriesKey {
    SeriesKey {
        indicator: indicator.to_string(),
        level: level.to_string(),
        period,
        dims,
    }
}

/// All loaded series of the demo city.
pub(crate) fn generate(layout: &Layout) -> Vec<DemoSeries> {
    let profiles: Vec<Profile> = layout
        .sectors
        .iter()
        .enumerate()
        .map(|(i, s)| Profile::new(s, i))
        .collect();
    let years: Vec<Vec<Year>> = layout
        .sectors
        .iter()
        .zip(&profiles)
        .map(|(s, p)| simulate(s, p))
        .collect();
    let codes: Vec<&str> = layout.sectors.iter().map(|s| s.code.as_str()).collect();
    let column = |f: &dyn Fn(usize) -> Value| -> Vec<(String, Value)> {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.to_string(), f(i)))
            .collect()
    };
    let mut out = Vec::new();

    for flat in FLAT {
        for year in flat.years.0..=flat.years.1 {
            let t = (year - FIRST_YEAR) as usize;
            out.push(DemoSeries {
                key: key(flat.code, STATSEC, Period::year(year), DimKey::default()),
                values: column(&|i| (flat.value)(&profiles[i], &years[i][t])),
            });
        }
    }

    for (t, year) in (FIRST_YEAR..=LAST_YEAR).enumerate() {
        for band in 0..AGE_BANDS {
            for (sex, sex_code) in SEX_CODES.iter().enumerate() {
                let dims = DimKey::new(vec![
                    (AGE5.into(), age5_code(band)),
                    (SEX.into(), sex_code.to_string()),
                ]);
                out.push(DemoSeries {
                    key: key(POPULATION_CUBE, STATSEC, Period::year(year), dims),
                    values: column(&|i| num(years[i][t].cube[band][sex])),
                });
            }
        }
    }

    for q in QUARTERLY {
        for period in quarters() {
            let pcode = period.code();
            out.push(DemoSeries {
                key: key(q.code, STATSEC, period, DimKey::default()),
                values: column(&|i| {
                    (q.value)(
                        &profiles[i],
                        &mut Rng::keyed(&[q.code, codes[i], &pcode]),
                        period,
                    )
                }),
            });
        }
    }

    out.extend(survey(layout, &profiles, &years));
    out.extend(municipal_income(&years));
    merge(&mut out, neighbours(layout));
    out
}

/// Adds series to `out`, joining those whose key is already there.
fn merge(out: &mut Vec<DemoSeries>, more: Vec<DemoSeries>) {
    let mut at: std::collections::BTreeMap<SeriesKey, usize> = out
        .iter()
        .enumerate()
        .filter(|(_, s)| s.key.level == GEMEENTE)
        .map(|(i, s)| (s.key.clone(), i))
        .collect();
    for s in more {
        match at.get(&s.key) {
            Some(&i) => out[i].values.extend(s.values),
            None => {
                at.insert(s.key.clone(), out.len());
                out.push(s);
            }
        }
    }
}

/// The neighbouring municipalities' figures, loaded at municipality level as a regional
/// source delivers them: every indicator the city has per sector (the sum of their virtual
/// sectors, run through the same simulation), the population cube, the quarterly
/// registers and the survey.
fn neighbours(layout: &Layout) -> Vec<DemoSeries> {
    let mut out = Vec::new();
    for n in &layout.neighbours {
        let profiles: Vec<Profile> = n
            .sectors
            .iter()
            .enumerate()
            .map(|(i, s)| Profile::new(s, i))
            .collect();
        let years: Vec<Vec<Year>> = n
            .sectors
            .iter()
            .zip(&profiles)
            .map(|(s, p)| simulate(s, p))
            .collect();
        let totals: Vec<Year> = (0..YEARS)
            .map(|t| Year::total(&years.iter().map(|y| &y[t]).collect::<Vec<_>>()))
            .collect();
        // The municipality as one place: no source gaps, its real area.
        let mut whole = Profile::new(&n.sectors[0], 0);
        whole.labour_gap = false;
        whole.energy_gap = false;
        whole.gas_grid = true;
        whole.area_km2 = n.area_km2;
        let one = |v: Value| vec![(n.code.clone(), v)];
        for flat in FLAT {
            for year in flat.years.0..=flat.years.1 {
                let t = (year - FIRST_YEAR) as usize;
                out.push(DemoSeries {
                    key: key(flat.code, GEMEENTE, Period::year(year), DimKey::default()),
                    values: one((flat.value)(&whole, &totals[t])),
                });
            }
        }
        for (t, year) in (FIRST_YEAR..=LAST_YEAR).enumerate() {
            for band in 0..AGE_BANDS {
                for (sex, sex_code) in SEX_CODES.iter().enumerate() {
                    let dims = DimKey::new(vec![
                        (AGE5.into(), age5_code(band)),
                        (SEX.into(), sex_code.to_string()),
                    ]);
                    out.push(DemoSeries {
                        key: key(POPULATION_CUBE, GEMEENTE, Period::year(year), dims),
                        values: one(num(totals[t].cube[band][sex])),
                    });
                }
            }
        }
        for q in QUARTERLY {
            for period in quarters() {
                let pcode = period.code();
                let total: f64 = n
                    .sectors
                    .iter()
                    .zip(&profiles)
                    .filter_map(|(s, p)| {
                        (q.value)(p, &mut Rng::keyed(&[q.code, &s.code, &pcode]), period).number()
                    })
                    .sum();
                out.push(DemoSeries {
                    key: key(q.code, GEMEENTE, period, DimKey::default()),
                    values: one(Value::Number(total)),
                });
            }
        }
        // The survey asked some 500 residents per municipality.
        for (e, &year) in SURVEY_YEARS.iter().enumerate() {
            let t = (year - FIRST_YEAR) as usize;
            let pop = |i: usize| years[i][t].pop as f64;
            let total: f64 = (0..n.sectors.len()).map(pop).sum();
            let share = |k: Kind| {
                (0..n.sectors.len())
                    .filter(|&i| profiles[i].kind == k)
                    .map(pop)
                    .sum::<f64>()
                    / total
            };
            let mix = WijkMix {
                pop: total,
                income: (0..n.sectors.len())
                    .map(|i| pop(i) * profiles[i].income)
                    .sum::<f64>()
                    / total,
                centre: share(Kind::Centre),
                suburban: share(Kind::Suburban),
            };
            let period = Period::year(year);
            let ys = year.to_string();
            out.push(DemoSeries {
                key: key("vs_pop", GEMEENTE, period, DimKey::default()),
                values: one(num(round(mix.pop * 0.79))),
            });
            let asked = Rng::keyed(&["survey-n", &n.code, &ys]).int(420, 640);
            for q in QUESTIONS.iter().filter(|q| e < q.editions) {
                let answered = asked - Rng::keyed(&[q.n_code, &n.code, &ys]).int(0, 12);
                out.push(DemoSeries {
                    key: key(q.n_code, GEMEENTE, period, DimKey::default()),
                    values: one(num(answered)),
                });
                let mut r = Rng::keyed(&[q.code, &n.code, &ys]);
                let p = (q.expected)(&mix, e as f64) + 1.5 * r.normal();
                out.push(DemoSeries {
                    key: key(q.code, GEMEENTE, period, DimKey::default()),
                    values: one(Value::Number(round_to(p.clamp(2.0, 97.0), 1))),
                });
            }
        }
    }
    out
}

/// Statbel also publishes the municipality's own income figures, including the returns of
/// hidden sectors; loaded at `gemeente` level they win over the (poisoned) sum of sectors.
fn municipal_income(years: &[Vec<Year>]) -> Vec<DemoSeries> {
    let mut out = Vec::new();
    for year in INCOME_YEARS.0..=INCOME_YEARS.1 {
        let t = (year - FIRST_YEAR) as usize;
        let decl: i64 = years.iter().map(|y| y[t].decl).sum();
        let total: i64 = years.iter().map(|y| y[t].income_total).sum();
        let median = years
            .iter()
            .map(|y| (y[t].income_median * y[t].decl) as f64)
            .sum::<f64>()
            / decl as f64
            * 0.97;
        for (code, v) in [
            ("v_aangiften", decl),
            ("v_inkomen_tot", total),
            ("v_inkomen_gem", round(total as f64 / decl as f64)),
            ("v_inkomen_med", round(median)),
        ] {
            out.push(DemoSeries {
                key: key(code, GEMEENTE, Period::year(year), DimKey::default()),
                values: vec![(NIS.to_string(), num(v))],
            });
        }
    }
    out
}

/// What a wijk is like, for the survey: its population and its mix of sector kinds.
struct WijkMix {
    pop: f64,
    income: f64,
    centre: f64,
    suburban: f64,
}

/// A Stadsmonitor question: its percentage and respondent-count indicators, the editions
/// that asked it, and the expected percentage for a wijk in edition `e` (0, 1, 2).
struct Question {
    code: &'static str,
    n_code: &'static str,
    editions: usize,
    expected: fn(&WijkMix, f64) -> f64,
}

const QUESTIONS: &[Question] = &[
    Question {
        code: "vs_tevreden_buurt",
        n_code: "vs_tevreden_buurt_n",
        editions: 3,
        expected: |w, e| 76.0 + 20.0 * (w.income - 1.0) - 6.0 * w.centre + e,
    },
    Question {
        code: "vs_onveilig",
        n_code: "vs_onveilig_n",
        editions: 3,
        expected: |w, e| 10.0 + 18.0 * w.centre + 10.0 * (1.0 - w.income) - 0.5 * e,
    },
    Question {
        code: "vs_proper",
        n_code: "vs_proper_n",
        editions: 3,
        expected: |w, _| 64.0 - 10.0 * w.centre + 8.0 * w.suburban,
    },
    // Dropped after the 2020 edition.
    Question {
        code: "vs_fiets",
        n_code: "vs_fiets_n",
        editions: 2,
        expected: |w, e| 36.0 + 12.0 * w.centre - 4.0 * w.suburban + 2.0 * e,
    },
];

/// Survey results per wijk for the three Stadsmonitor editions.
fn survey(layout: &Layout, profiles: &[Profile], years: &[Vec<Year>]) -> Vec<DemoSeries> {
    let mut out = Vec::new();
    for (e, &year) in SURVEY_YEARS.iter().enumerate() {
        let t = (year - FIRST_YEAR) as usize;
        let mixes: Vec<Option<WijkMix>> = layout
            .wijken
            .iter()
            .map(|w| {
                if w.unknown {
                    return None;
                }
                let pop = |i: &usize| years[*i][t].pop as f64;
                let total: f64 = w.sectors.iter().map(pop).sum();
                let share = |k: Kind| {
                    w.sectors
                        .iter()
                        .filter(|&&i| profiles[i].kind == k)
                        .map(pop)
                        .sum::<f64>()
                        / total
                };
                Some(WijkMix {
                    pop: total,
                    income: w
                        .sectors
                        .iter()
                        .map(|i| pop(i) * profiles[*i].income)
                        .sum::<f64>()
                        / total,
                    centre: share(Kind::Centre),
                    suburban: share(Kind::Suburban),
                })
            })
            .collect();
        let respondents: Vec<i64> = layout
            .wijken
            .iter()
            .map(|w| Rng::keyed(&["survey-n", &w.code, &year.to_string()]).int(26, 160))
            .collect();
        let wijk_column = |f: &dyn Fn(usize, &WijkMix) -> Value| -> Vec<(String, Value)> {
            layout
                .wijken
                .iter()
                .enumerate()
                .map(|(i, w)| (w.code.clone(), mixes[i].as_ref().map_or(NA, |m| f(i, m))))
                .collect()
        };
        let period = Period::year(year);
        out.push(DemoSeries {
            key: key("vs_pop", WIJK, period, DimKey::default()),
            values: wijk_column(&|_, m| num(round(m.pop * 0.79))),
        });
        for q in QUESTIONS.iter().filter(|q| e < q.editions) {
            let answered: Vec<i64> = layout
                .wijken
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    respondents[i] - Rng::keyed(&[q.n_code, &w.code, &year.to_string()]).int(0, 5)
                })
                .collect();
            out.push(DemoSeries {
                key: key(q.n_code, WIJK, period, DimKey::default()),
                values: wijk_column(&|i, _| num(answered[i])),
            });
            out.push(DemoSeries {
                key: key(q.code, WIJK, period, DimKey::default()),
                values: wijk_column(&|i, m| {
                    if answered[i] < 30 {
                        return HIDDEN;
                    }
                    // One processing error in the 2020 cleanliness results.
                    if q.code == "vs_proper" && year == 2020 && i == 6 {
                        return UNKNOWN_VALUE;
                    }
                    let mut r = Rng::keyed(&[q.code, &layout.wijken[i].code, &year.to_string()]);
                    let p = (q.expected)(m, e as f64) + 3.0 * r.normal();
                    Value::Number(round_to(p.clamp(2.0, 97.0), 1))
                }),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact_and_proportional() {
        assert_eq!(allocate(10, &[1.0, 1.0, 2.0]), vec![3, 2, 5]);
        assert_eq!(allocate(0, &[1.0, 2.0]), vec![0, 0]);
        assert_eq!(allocate(7, &[0.0, 0.0]), vec![0, 0]);
        let v = allocate(1234, &[0.3, 0.2, 0.11, 0.39]);
        assert_eq!(v.iter().sum::<i64>(), 1234);
    }

    #[test]
    fn quarters_run_from_2016_to_mid_2025() {
        let q = quarters();
        assert_eq!(q.first().unwrap().code(), "2016Q1");
        assert_eq!(q.last().unwrap().code(), "2025Q2");
        assert_eq!(q.len(), 38);
    }
}
