//! Flemish-looking place names, composed from toponym parts.
//!
//! Real Flemish neighbourhood names are compounds of a landmark or landscape word and a
//! settlement word (*Kerk* + *veld*, *Molen* + *hoek*), sometimes with a compass suffix
//! (*Heide-Zuid*). Composing them from word lists gives hundreds of plausible, unique names
//! without copying a real city's gazetteer.

use crate::rng::Rng;
use std::collections::BTreeSet;

/// The fictional city. The name does not belong to a Belgian municipality.
pub(crate) const CITY: &str = "Scheldemonde";

/// District (deelgemeente) names; the first is the historic centre.
pub(crate) const DISTRICTS: [&str; 8] = [
    "Centrum",
    "Lindegem",
    "Walbeke",
    "Hoverdonk",
    "Merelzele",
    "Ekeloo",
    "Terhulst",
    "Oosterbroek",
];

/// Landmark and landscape words.
const STEMS: &[&str] = &[
    "Kerk",
    "Molen",
    "Heide",
    "Broek",
    "Linde",
    "Beuken",
    "Eiken",
    "Hazel",
    "Vijver",
    "Kasteel",
    "Kapel",
    "Spoor",
    "Kanaal",
    "Sluis",
    "Rozen",
    "Wilgen",
    "Populieren",
    "Meulen",
    "Zand",
    "Klaver",
    "Hoog",
    "Berken",
    "Hulst",
    "Brem",
    "Vlas",
    "Hop",
    "Koren",
    "Abdij",
    "Schans",
    "Hoeve",
    "Meidoorn",
    "Bunder",
    "Galg",
    "Kruis",
    "Pastorij",
    "Ham",
    "Gaver",
    "Weide",
    "Leeuwerik",
    "Notelaar",
    "Distel",
    "Esdoorn",
    "Vos",
    "Reiger",
    "Klok",
    "Zwaluw",
];

/// Settlement and field words.
const SUFFIXES: &[&str] = &[
    "veld", "wijk", "hoek", "buurt", "dries", "kouter", "meers", "hof", "akker", "berg", "bos",
    "dreef",
];

/// Names of the historic centre: squares, quays and quarters.
const CENTRAL: &[&str] = &[
    "Grote Markt",
    "Stationsbuurt",
    "Begijnhof",
    "Vismarkt",
    "Kaaien",
    "Zuidkwartier",
    "Sint-Jansplein",
    "Oude Vest",
    "Brugpoort",
    "Academiewijk",
    "Stadhuiswijk",
    "Korenmarkt",
    "Paardenmarkt",
    "Veemarkt",
    "Kouterplein",
    "Sint-Annawijk",
    "Hospitaalwijk",
    "Dokken",
    "Lakenhalle",
    "Minderbroeders",
    "Houtkaai",
    "Zoutwerf",
    "Tolhuis",
    "Belfort",
    "Waterpoort",
    "Sint-Pietersplein",
    "Ketelvest",
    "Hooiaard",
    "Gravenhof",
    "Kraanlei",
    "Predikheren",
    "Vrijdagmarkt",
    "Kattenberg",
    "Kammenstraat",
    "Bisdomplein",
    "Ververij",
];

pub(crate) const COMPASS: [&str; 4] = ["Noord", "Oost", "Zuid", "West"];

const PARKS: &[&str] = &[
    "Sportpark",
    "Natuurgebied",
    "Kasteelpark",
    "Provinciaal domein",
];
const WORKS: &[&str] = &[
    "Industriezone",
    "Bedrijventerrein",
    "Ambachtelijke zone",
    "Industriepark",
];

/// Hands out unique names in a fixed pseudo-random order.
pub(crate) struct NameBook {
    compounds: Vec<String>,
    next_compound: usize,
    central: Vec<&'static str>,
    next_central: usize,
    used: BTreeSet<String>,
}

impl NameBook {
    pub(crate) fn new(rng: &mut Rng) -> NameBook {
        let mut compounds: Vec<String> = STEMS
            .iter()
            .flat_map(|s| SUFFIXES.iter().map(move |x| (s, x)))
            .filter(|(s, x)| !s.to_lowercase().ends_with(*x))
            .map(|(s, x)| format!("{s}{x}"))
            .collect();
        rng.shuffle(&mut compounds);
        let mut central = CENTRAL.to_vec();
        rng.shuffle(&mut central);
        NameBook {
            compounds,
            next_compound: 0,
            central,
            next_central: 0,
            used: BTreeSet::new(),
        }
    }

    /// Marks a name as taken; false if it already was.
    pub(crate) fn claim(&mut self, name: &str) -> bool {
        self.used.insert(name.to_string())
    }

    /// A fresh compound such as `Molenhoek`.
    pub(crate) fn compound(&mut self) -> String {
        loop {
            let name = self.compounds[self.next_compound % self.compounds.len()].clone();
            let round = self.next_compound / self.compounds.len();
            self.next_compound += 1;
            let name = if round == 0 {
                name
            } else {
                format!("{name}-{}", COMPASS[round % 4])
            };
            if self.claim(&name) {
                return name;
            }
        }
    }

    /// A fresh name of the historic centre, falling back to compounds when exhausted.
    pub(crate) fn central(&mut self) -> String {
        while self.next_central < self.central.len() {
            let name = self.central[self.next_central];
            self.next_central += 1;
            if self.claim(name) {
                return name.to_string();
            }
        }
        self.compound()
    }

    /// `Industriezone Molenhoek`, `Bedrijventerrein Vlasdries`, …
    pub(crate) fn works(&mut self, nth: usize) -> String {
        let base = self.compound();
        format!("{} {base}", WORKS[nth % WORKS.len()])
    }

    /// The first green sector is the city park; the others are named after a compound.
    pub(crate) fn park(&mut self, nth: usize) -> String {
        if nth == 0 && self.claim("Stadspark") {
            return "Stadspark".to_string();
        }
        let base = self.compound();
        format!("{} {base}", PARKS[(nth + PARKS.len() - 1) % PARKS.len()])
    }
}

/// A short name of at most 20 characters, abbreviating the generic head word the way
/// city statisticians do in narrow table columns (`IZ Molenhoek`).
pub(crate) fn short_name(name: &str) -> String {
    const ABBREVIATIONS: &[(&str, &str)] = &[
        ("Industriezone ", "IZ "),
        ("Bedrijventerrein ", "BT "),
        ("Ambachtelijke zone ", "AZ "),
        ("Industriepark ", "IP "),
        ("Natuurgebied ", "NG "),
        ("Kasteelpark ", "KP "),
        ("Provinciaal domein ", "PD "),
        ("Sportpark ", "SP "),
    ];
    if name.chars().count() <= 20 {
        return name.to_string();
    }
    for (long, short) in ABBREVIATIONS {
        if let Some(rest) = name.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_plausible() {
        let mut book = NameBook::new(&mut Rng::new(1));
        let names: Vec<String> = (0..600).map(|_| book.compound()).collect();
        let set: BTreeSet<&String> = names.iter().collect();
        assert_eq!(set.len(), names.len());
        assert!(
            names
                .iter()
                .all(|n| n.chars().next().unwrap().is_uppercase())
        );
        assert_eq!(short_name("Industriezone Molenhoek"), "IZ Molenhoek");
        assert_eq!(short_name("Kerkveld"), "Kerkveld");
    }
}
