//! What every answer about a publication writes the same way, prepared once per publication:
//! each level's items in sequence order and their names and codes as JSON string literals.
//! Answers copy these fragments into their buffer instead of escaping per request; values are
//! formatted straight into the buffer ([`push_value`]).

use peil_compute::Snapshot;
use peil_core::Value;
use std::fmt::Write as _;

/// Per level (in the snapshot's level order).
pub struct Fragments {
    pub levels: Vec<LevelFragments>,
}

pub struct LevelFragments {
    /// Item positions in sequence order (sequence number, then code).
    pub order: Vec<u32>,
    /// By position: the item's place in `order`.
    pub rank: Vec<u32>,
    /// By position: the item's name as a JSON string literal, quotes included.
    pub name: Vec<Box<str>>,
    /// By position: the item's code as a JSON string literal, quotes included.
    pub code: Vec<Box<str>>,
    /// By position: `code,name` as two CSV fields ([`push_csv_text`]).
    pub csv: Vec<Box<str>>,
    /// By position: the head of the item's row in the selection table, `,["name","` (the
    /// comma left out for the first row).
    pub row: Vec<Box<str>>,
}

impl Fragments {
    pub fn build(snap: &Snapshot) -> Fragments {
        let levels = snap
            .levels
            .iter()
            .map(|l| {
                let mut order: Vec<u32> = (0..l.items.len() as u32).collect();
                order.sort_by(|&a, &b| {
                    let (x, y) = (&l.items[a as usize].1, &l.items[b as usize].1);
                    x.seq.cmp(&y.seq).then_with(|| x.code.cmp(&y.code))
                });
                let mut rank = vec![0u32; order.len()];
                for (r, &p) in order.iter().enumerate() {
                    rank[p as usize] = r as u32;
                }
                let lit = |s: &str| {
                    let mut b = String::with_capacity(s.len() + 2);
                    push_json_str(&mut b, s);
                    b.into_boxed_str()
                };
                let name: Vec<Box<str>> = l.items.iter().map(|(_, it)| lit(&it.name)).collect();
                LevelFragments {
                    order,
                    rank,
                    row: name
                        .iter()
                        .map(|n| format!(",[{n},\"").into_boxed_str())
                        .collect(),
                    name,
                    code: l.items.iter().map(|(_, it)| lit(&it.code)).collect(),
                    csv: l
                        .items
                        .iter()
                        .map(|(_, it)| {
                            let mut b = String::new();
                            push_csv_text(&mut b, &it.code);
                            b.push(',');
                            push_csv_text(&mut b, &it.name);
                            b.into_boxed_str()
                        })
                        .collect(),
                }
            })
            .collect();
        Fragments { levels }
    }
}

/// `s` as a JSON string literal, escaped as serde_json escapes it.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// A text field of a CSV row: guarded against spreadsheet formulas
/// ([`crate::api::formats::csv_text`]), then quoted as the `csv` crate quotes when needed (a
/// comma, quote, CR or LF inside; quotes doubled).
pub fn push_csv_text(out: &mut String, s: &str) {
    let s = crate::api::formats::csv_text(s);
    push_csv_field(out, &s);
}

/// A CSV field as it is (numbers, codes, symbols), quoted when needed.
pub fn push_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        for ch in s.chars() {
            if ch == '"' {
                out.push('"');
            }
            out.push(ch);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A value as OData's `ValueString` ([`crate::odata::value_string`]), without allocating.
pub fn push_value(out: &mut String, v: Value) {
    match v {
        Value::Number(n) => push_number(out, n),
        Value::Missing(c) => out.push_str(c.symbol()),
    }
}

/// A number as Peil writes numbers everywhere ([`peil_core::value::push_number`]).
pub fn push_number(out: &mut String, n: f64) {
    peil_core::value::push_number(out, n);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        for s in [
            "Antwerpen",
            "Sint-Job-in-'t-Goor",
            "a \"quoted\" name",
            "back\\slash",
            "tab\tnew\nline\r",
            "\u{1}\u{1f}\u{8}\u{c}",
            "é ü ç — ’",
            "",
        ] {
            let mut b = String::new();
            push_json_str(&mut b, s);
            assert_eq!(b, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_as_the_csv_crate_quotes() {
        let fields = [
            "plain",
            "with, comma",
            "with \"quote\"",
            "line\nbreak",
            "cr\rhere",
            "=HYPERLINK(1)",
            "-",
            "-5 a",
            "",
            "é, ü",
        ];
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let guarded: Vec<String> = fields
            .iter()
            .map(|f| crate::api::formats::csv_text(f).into_owned())
            .collect();
        w.write_record(&guarded).unwrap();
        let expected = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let mut ours = String::new();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                ours.push(',');
            }
            push_csv_text(&mut ours, f);
        }
        ours.push_str("\r\n");
        assert_eq!(ours, expected);
    }

    #[test]
    fn values_are_written_as_value_string() {
        for v in [
            Value::Number(0.0),
            Value::Number(-0.0),
            Value::Number(1234.0),
            Value::Number(12.5),
            Value::Number(1e-7),
            Value::Number(-3.25),
            Value::Number(123456789012.5),
        ]
        .into_iter()
        .chain(peil_core::MissingCode::ALL.into_iter().map(Value::Missing))
        {
            // The rule written out once more, independently (these numbers have no ties).
            let expected = match v {
                Value::Number(0.0) => "0".to_string(),
                Value::Number(n) => format!("{n}"),
                Value::Missing(c) => c.symbol().to_string(),
            };
            assert_eq!(crate::odata::value_string(v), expected);
        }
    }
}
