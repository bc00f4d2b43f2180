//! Text for people: the languages Peil writes in, and the one way names are compared when a
//! reader searches.
//!
//! - [`Locale`]: nl, en, fr — which words and marks pages, reports and labels use (period
//!   labels: [`crate::Period::label`]; numbers: [`crate::value::human_number`]).
//! - [`fold`]: lower case without diacritics, for search. The API's indicator search, the
//!   website's search and stories' `find` all compare folded text, so `geinstalleerd` finds
//!   `Geïnstalleerd` everywhere alike.

/// The languages Peil's pages, reports and labels are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Dutch (Flemish): decimal comma, narrow-space grouping.
    Nl,
    /// English: decimal point, comma grouping.
    En,
    /// French: decimal comma, narrow-space grouping.
    Fr,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::Nl, Locale::En, Locale::Fr];

    /// Parses a language tag such as `nl`, `nl-BE`, `en_GB`, `FR`: only the primary subtag
    /// counts. Unknown languages give `None`.
    pub fn parse(s: &str) -> Option<Locale> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "nl" => Some(Locale::Nl),
            "en" => Some(Locale::En),
            "fr" => Some(Locale::Fr),
            _ => None,
        }
    }

    /// The two-letter language code (`nl`, `en`, `fr`), e.g. for `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Locale::Nl => "nl",
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// The mark between the integer part and the fraction.
    pub fn decimal_mark(self) -> char {
        match self {
            Locale::En => '.',
            Locale::Nl | Locale::Fr => ',',
        }
    }

    /// The mark between groups of three digits (U+202F, the narrow no-break space, in nl and fr).
    pub fn group_mark(self) -> char {
        match self {
            Locale::En => ',',
            Locale::Nl | Locale::Fr => '\u{202f}',
        }
    }
}

/// Lower case without diacritics, for matching what a reader types against names: every
/// letter of Latin-1 and Latin Extended-A loses its accents (`é è ê ë` → `e`, `ç` → `c`,
/// `ñ` → `n`, `ø` → `o`, `ł` → `l`; combining accents are dropped), ligatures and sharp s are spelled out (`æ` → `ae`,
/// `œ` → `oe`, `ĳ` → `ij`, `ß` → `ss`, `þ` → `th`), anything else is only lower-cased.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        for l in c.to_lowercase() {
            // Combining accents (a decomposed `é`, the dot of a lower-cased `İ`) are dropped.
            if ('\u{300}'..='\u{36f}').contains(&l) {
                continue;
            }
            match base_letter(l) {
                Some(b) => out.push_str(b),
                None => out.push(l),
            }
        }
    }
    out
}

/// The unaccented spelling of a lower-case letter of Latin-1 Supplement or Latin
/// Extended-A, if it has accents.
fn base_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        assert_eq!(Locale::parse("nl"), Some(Locale::Nl));
        assert_eq!(Locale::parse("nl-BE"), Some(Locale::Nl));
        assert_eq!(Locale::parse("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::parse("fr-BE"), Some(Locale::Fr));
        assert_eq!(Locale::parse("de"), None);
        assert_eq!(Locale::parse(""), None);
        for l in Locale::ALL {
            assert_eq!(Locale::parse(l.code()), Some(l));
        }
    }

    #[test]
    fn folding() {
        for (s, want) in [
            ("Geïnstalleerd VERMOGEN", "geinstalleerd vermogen"),
            ("éèêë àâä ç ïî ôö ûüù ÿ ñ", "eeee aaa c ii oo uuu y n"),
            ("ÉÈÊË ÀÂÄ Ç ÏÎ ÔÖ ÛÜÙ Ÿ Ñ", "eeee aaa c ii oo uuu y n"),
            ("Œuvre cœur", "oeuvre coeur"),
            ("Æsir Cæsar", "aesir caesar"),
            ("Straße STRASSE", "strasse strasse"),
            ("Ĳsselmonde ĳs", "ijsselmonde ijs"),
            ("Łódź Škoda Ørsted Þór", "lodz skoda orsted thor"),
            ("Sint-Job-in-'t-Goor", "sint-job-in-'t-goor"),
            ("v1101_T", "v1101_t"),
            ("København Ærø", "kobenhavn aero"),
            ("km² €", "km² €"),
            ("Ėe\u{301}İ", "eei"),
        ] {
            assert_eq!(fold(s), want, "{s}");
        }
        // Every letter of Latin-1 Supplement and Latin Extended-A folds to ASCII.
        for c in ('\u{c0}'..='\u{17f}').filter(|c| c.is_alphabetic()) {
            let f = fold(&c.to_string());
            assert!(f.is_ascii(), "{c} folds to {f}");
        }
        // Folding is idempotent.
        let s = "Ærø Œuvre Straße Geïnstalleerd";
        assert_eq!(fold(&fold(s)), fold(s));
    }
}
