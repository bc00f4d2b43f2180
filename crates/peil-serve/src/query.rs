//! Query strings and path segments, decoded one way for every API: the native API, OData,
//! the selection table and scripted uploads.
//!
//! - A query string is `application/x-www-form-urlencoded`, decoded by `form_urlencoded` as
//!   browsers and HTTP libraries write it: `+` is a space, `%2B` a plus sign, `%20` a space.
//! - A `%` not followed by two hex digits, or escapes that do not spell UTF-8, make the request
//!   a 400 whose message names the parameter ([`BadQuery`]): Peil never guesses what a broken
//!   URL meant, and no client we know of sends one.
//! - A path segment (OData's `Variables('v%2B1')`) is percent-decoded as axum decodes the
//!   native API's path parameters: `+` stays a plus sign, an escape that does not spell UTF-8
//!   is a 400 naming the segment.

use std::fmt;

/// Why a query string or path segment could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadQuery {
    /// `parameter` or `path segment`.
    pub what: &'static str,
    /// The parameter (its name, decoded when that was possible) or path segment at fault.
    pub parameter: String,
    /// What is wrong with it, for the reader.
    pub reason: String,
}

impl fmt::Display for BadQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} '{}': {}", self.what, self.parameter, self.reason)
    }
}

/// The pairs of a query string (`None`: no query), decoded, in order.
pub fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, BadQuery> {
    let mut out = Vec::new();
    for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let bad = |reason: String| {
            let name = match form_urlencoded::parse(raw_key.as_bytes()).next() {
                Some((k, _)) if well_formed(raw_key).is_ok() && spelled(&k, raw_key) => {
                    k.into_owned()
                }
                _ => raw_key.to_string(),
            };
            BadQuery {
                what: "parameter",
                parameter: crate::problem::quote(&name),
                reason,
            }
        };
        well_formed(raw_key).map_err(bad)?;
        well_formed(raw_value).map_err(bad)?;
        let (key, value) = form_urlencoded::parse(part.as_bytes())
            .next()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .unwrap_or_default();
        if !spelled(&key, raw_key) || !spelled(&value, raw_value) {
            return Err(bad(NOT_UTF8.into()));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// One percent-encoded path segment, decoded (`+` is a plus sign here).
pub fn segment(raw: &str) -> Result<String, BadQuery> {
    let bad = |reason: String| BadQuery {
        what: "path segment",
        parameter: crate::problem::quote(raw),
        reason,
    };
    well_formed(raw).map_err(bad)?;
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| bad(NOT_UTF8.into()))
}

const NOT_UTF8: &str = "its percent escapes do not spell UTF-8 text";

/// Every `%` starts an escape of two hex digits.
fn well_formed(raw: &str) -> Result<(), String> {
    let b = raw.as_bytes();
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'%') {
        let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(i + 1) && hex(i + 2)) {
            let near: String = raw[i..].chars().take(3).collect();
            return Err(format!(
                "'{}' is not a percent escape (a % must be followed by two hex digits; \
                 write a percent sign as %25)",
                crate::problem::quote(&near)
            ));
        }
    }
    Ok(())
}

/// Whether `decoded` (by `form_urlencoded`, which puts U+FFFD for bytes that are not UTF-8)
/// is what `raw` spells: every U+FFFD in it was written as one.
fn spelled(decoded: &str, raw: &str) -> bool {
    !decoded.contains('\u{fffd}')
        || decoded.matches('\u{fffd}').count()
            <= raw.to_ascii_uppercase().matches("%EF%BF%BD").count()
                + raw.matches('\u{fffd}').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(q: &str) -> Vec<(String, String)> {
        pairs(Some(q)).unwrap()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn form_encoding() {
        assert_eq!(ok("a=1&b=x+y"), [p("a", "1"), p("b", "x y")]);
        assert_eq!(ok("q=a%2Bb"), [p("q", "a+b")]);
        assert_eq!(ok("q=a%20b"), [p("q", "a b")]);
        assert_eq!(ok("q=caf%C3%A9"), [p("q", "café")]);
        assert_eq!(ok("q=%EF%BF%BD"), [p("q", "\u{fffd}")]);
        assert_eq!(ok("flag&&x="), [p("flag", ""), p("x", "")]);
        assert_eq!(
            ok("%24filter=Name%20eq%20%27a%27"),
            [p("$filter", "Name eq 'a'")]
        );
        assert_eq!(ok("a=b=c"), [p("a", "b=c")]);
        assert_eq!(pairs(None).unwrap(), []);
    }

    #[test]
    fn broken_escapes_name_the_parameter() {
        for (q, name) in [
            ("q=%zz", "q"),
            ("q=100%", "q"),
            ("a=1&$filter=x%2", "$filter"),
            ("na%6De=%g1", "name"),
            ("na%zz=1", "na%zz"),
            ("q=%C3", "q"),
            ("q=%FF%FE", "q"),
        ] {
            let e = pairs(Some(q)).unwrap_err();
            assert_eq!(e.parameter, name, "{q}");
            assert!(
                e.to_string().contains(&format!("parameter '{name}'")),
                "{e}"
            );
        }
        assert!(
            pairs(Some("q=%zz"))
                .unwrap_err()
                .reason
                .contains("'%zz' is not a percent escape")
        );
    }

    #[test]
    fn path_segments() {
        assert_eq!(segment("Variables('v%2B1')").unwrap(), "Variables('v+1')");
        assert_eq!(segment("a+b").unwrap(), "a+b");
        assert_eq!(segment("caf%C3%A9").unwrap(), "café");
        assert_eq!(
            segment("100%").unwrap_err().to_string(),
            "path segment '100%': '%' is not a percent escape (a % must be followed by two hex \
             digits; write a percent sign as %25)"
        );
        assert!(segment("%C3").is_err());
    }
}
