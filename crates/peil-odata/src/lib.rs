//! Swing's OData query language: the EDM types and the `$filter` parser, no HTTP.
//!
//! Kept apart from `peil-serve` (axum, Typst, the whole engine) so the parser can be fuzzed
//! with a sanitizer build that compiles in seconds, and tested without a server.

/// Primitive types used by the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edm {
    String,
    Int64,
    Double,
    Boolean,
    Date,
}

impl Edm {
    /// The CSDL name of the type, e.g. `Edm.String`.
    pub fn name(self) -> &'static str {
        match self {
            Edm::String => "Edm.String",
            Edm::Int64 => "Edm.Int64",
            Edm::Double => "Edm.Double",
            Edm::Boolean => "Edm.Boolean",
            Edm::Date => "Edm.Date",
        }
    }
}

/// `$filter`: a small recursive-descent parser, a type check against the entity type, and
/// evaluation on rows.
///
/// Grammar (OData v4 subset):
///
/// ```text
/// or      := and ('or' and)*
/// and     := not ('and' not)*
/// not     := 'not' not | cmp
/// cmp     := operand (('eq'|'ne'|'gt'|'ge'|'lt'|'le') operand)?
/// operand := '(' or ')' | literal | function '(' args ')' | property
/// literal := 'text' ('' escapes a quote) | number | date | true | false | null
/// function:= contains | startswith | endswith (2 strings → bool)
///          | tolower | toupper | trim (string → string) | length (string → number)
/// ```
pub mod filter {
    use super::Edm;
    use serde_json::Value as J;
    use std::cmp::Ordering;

    #[derive(Debug, Clone, PartialEq)]
    pub enum Expr {
        Str(String),
        Num(f64),
        Bool(bool),
        Null,
        Prop(String),
        Cmp(Op, Box<Expr>, Box<Expr>),
        And(Box<Expr>, Box<Expr>),
        Or(Box<Expr>, Box<Expr>),
        Not(Box<Expr>),
        Call(Func, Vec<Expr>),
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Op {
        Eq,
        Ne,
        Gt,
        Ge,
        Lt,
        Le,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Func {
        Contains,
        StartsWith,
        EndsWith,
        ToLower,
        ToUpper,
        Trim,
        Length,
    }

    impl Func {
        fn from_name(s: &str) -> Option<Func> {
            Some(match s.to_ascii_lowercase().as_str() {
                "contains" => Func::Contains,
                "startswith" => Func::StartsWith,
                "endswith" => Func::EndsWith,
                "tolower" => Func::ToLower,
                "toupper" => Func::ToUpper,
                "trim" => Func::Trim,
                "length" => Func::Length,
                _ => return None,
            })
        }
        fn name(self) -> &'static str {
            match self {
                Func::Contains => "contains",
                Func::StartsWith => "startswith",
                Func::EndsWith => "endswith",
                Func::ToLower => "tolower",
                Func::ToUpper => "toupper",
                Func::Trim => "trim",
                Func::Length => "length",
            }
        }
        fn arity(self) -> usize {
            match self {
                Func::Contains | Func::StartsWith | Func::EndsWith => 2,
                _ => 1,
            }
        }
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        LParen,
        RParen,
        Comma,
        Str(String),
        Num(f64),
        Word(String),
    }

    /// Deepest nesting accepted (keeps the recursion bounded).
    const MAX_DEPTH: usize = 64;

    fn lex(s: &str) -> Result<Vec<(usize, Tok)>, String> {
        let b: Vec<char> = s.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let at = i + 1;
            match c {
                c if c.is_whitespace() => i += 1,
                '(' => {
                    out.push((at, Tok::LParen));
                    i += 1
                }
                ')' => {
                    out.push((at, Tok::RParen));
                    i += 1
                }
                ',' => {
                    out.push((at, Tok::Comma));
                    i += 1
                }
                '\'' => {
                    let mut text = String::new();
                    i += 1;
                    loop {
                        match b.get(i) {
                            None => {
                                return Err(format!(
                                    "the text starting at character {at} has no closing quote"
                                ));
                            }
                            Some('\'') if b.get(i + 1) == Some(&'\'') => {
                                text.push('\'');
                                i += 2;
                            }
                            Some('\'') => {
                                i += 1;
                                break;
                            }
                            Some(&ch) => {
                                text.push(ch);
                                i += 1;
                            }
                        }
                    }
                    out.push((at, Tok::Str(text)));
                }
                c if c.is_ascii_digit() || c == '-' || c == '.' => {
                    let start = i;
                    i += 1;
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric() || matches!(b[i], '.' | '-' | '+' | ':'))
                    {
                        // a sign is part of a number only right after an exponent
                        if matches!(b[i], '+' | '-')
                            && !matches!(b[i - 1], 'e' | 'E')
                            && !is_date_prefix(&b[start..i])
                        {
                            break;
                        }
                        i += 1;
                    }
                    let text: String = b[start..i].iter().collect();
                    if is_date(&text) {
                        // an unquoted date literal (2019-01-01) compares as its ISO text
                        out.push((at, Tok::Str(text)));
                    } else {
                        let t = text.trim_end_matches(['d', 'D', 'm', 'M', 'f', 'F', 'L']);
                        match t.parse::<f64>() {
                            Ok(n) if n.is_finite() => out.push((at, Tok::Num(n))),
                            _ => {
                                return Err(format!(
                                    "'{text}' at character {at} is not a number (text must be quoted: '{text}')"
                                ));
                            }
                        }
                    }
                }
                c if c.is_alphabetic() || c == '_' || c == '$' => {
                    let start = i;
                    while i < b.len() && (b[i].is_alphanumeric() || matches!(b[i], '_' | '$' | '.'))
                    {
                        i += 1;
                    }
                    out.push((at, Tok::Word(b[start..i].iter().collect())));
                }
                other => {
                    return Err(format!("unexpected character '{other}' at character {at}"));
                }
            }
        }
        Ok(out)
    }

    fn is_date_prefix(c: &[char]) -> bool {
        c.len() >= 4 && c[..4].iter().all(|d| d.is_ascii_digit())
    }

    fn is_date(t: &str) -> bool {
        let b = t.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    }

    struct Parser {
        toks: Vec<(usize, Tok)>,
        pos: usize,
        end: usize,
    }

    impl Parser {
        fn peek(&self) -> Option<&Tok> {
            self.toks.get(self.pos).map(|t| &t.1)
        }
        fn at(&self) -> usize {
            self.toks.get(self.pos).map_or(self.end, |t| t.0)
        }
        fn word_is(&self, w: &str) -> bool {
            matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
        }
        fn describe(&self) -> String {
            match self.peek() {
                None => "the end".into(),
                Some(Tok::LParen) => "'('".into(),
                Some(Tok::RParen) => "')'".into(),
                Some(Tok::Comma) => "','".into(),
                Some(Tok::Str(s)) => format!("'{s}'"),
                Some(Tok::Num(n)) => format!("{n}"),
                Some(Tok::Word(w)) => format!("'{w}'"),
            }
        }

        fn or(&mut self, depth: usize) -> Result<Expr, String> {
            if depth > MAX_DEPTH {
                return Err(format!("the filter nests deeper than {MAX_DEPTH} levels"));
            }
            let mut e = self.and(depth)?;
            while self.word_is("or") {
                self.pos += 1;
                e = Expr::Or(Box::new(e), Box::new(self.and(depth)?));
            }
            Ok(e)
        }
        fn and(&mut self, depth: usize) -> Result<Expr, String> {
            let mut e = self.not(depth)?;
            while self.word_is("and") {
                self.pos += 1;
                e = Expr::And(Box::new(e), Box::new(self.not(depth)?));
            }
            Ok(e)
        }
        fn not(&mut self, depth: usize) -> Result<Expr, String> {
            if self.word_is("not") {
                self.pos += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("the filter nests deeper than {MAX_DEPTH} levels"));
                }
                return Ok(Expr::Not(Box::new(self.not(depth + 1)?)));
            }
            self.cmp(depth)
        }
        fn cmp(&mut self, depth: usize) -> Result<Expr, String> {
            let left = self.operand(depth)?;
            let op = match self.peek() {
                Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                    "eq" => Some(Op::Eq),
                    "ne" => Some(Op::Ne),
                    "gt" => Some(Op::Gt),
                    "ge" => Some(Op::Ge),
                    "lt" => Some(Op::Lt),
                    "le" => Some(Op::Le),
                    "and" | "or" => None,
                    other => {
                        return Err(format!(
                            "unknown operator '{other}' at character {} (use eq, ne, gt, ge, lt, le, and, or, not)",
                            self.at()
                        ));
                    }
                },
                _ => None,
            };
            let Some(op) = op else { return Ok(left) };
            self.pos += 1;
            let right = self.operand(depth)?;
            Ok(Expr::Cmp(op, Box::new(left), Box::new(right)))
        }
        fn operand(&mut self, depth: usize) -> Result<Expr, String> {
            let at = self.at();
            let Some(t) = self.peek().cloned() else {
                return Err("the filter ends where a value or property was expected".into());
            };
            self.pos += 1;
            match t {
                Tok::LParen => {
                    let e = self.or(depth + 1)?;
                    if self.peek() != Some(&Tok::RParen) {
                        return Err(format!(
                            "expected ')' at character {} to close the '(' at character {at}, found {}",
                            self.at(),
                            self.describe()
                        ));
                    }
                    self.pos += 1;
                    Ok(e)
                }
                Tok::Str(s) => Ok(Expr::Str(s)),
                Tok::Num(n) => Ok(Expr::Num(n)),
                Tok::Word(w) => {
                    if self.peek() == Some(&Tok::LParen) {
                        let Some(f) = Func::from_name(&w) else {
                            return Err(format!(
                                "unknown function '{w}' at character {at} (supported: contains, startswith, endswith, tolower, toupper, trim, length)"
                            ));
                        };
                        self.pos += 1;
                        let mut args = Vec::new();
                        if self.peek() != Some(&Tok::RParen) {
                            loop {
                                args.push(self.or(depth + 1)?);
                                if self.peek() == Some(&Tok::Comma) {
                                    self.pos += 1;
                                    continue;
                                }
                                break;
                            }
                        }
                        if self.peek() != Some(&Tok::RParen) {
                            return Err(format!(
                                "expected ')' or ',' at character {} in {}(), found {}",
                                self.at(),
                                f.name(),
                                self.describe()
                            ));
                        }
                        self.pos += 1;
                        if args.len() != f.arity() {
                            return Err(format!(
                                "{}() takes {} argument(s), got {}",
                                f.name(),
                                f.arity(),
                                args.len()
                            ));
                        }
                        return Ok(Expr::Call(f, args));
                    }
                    match w.as_str() {
                        "true" => Ok(Expr::Bool(true)),
                        "false" => Ok(Expr::Bool(false)),
                        "null" => Ok(Expr::Null),
                        _ => Ok(Expr::Prop(w)),
                    }
                }
                Tok::RParen | Tok::Comma => Err(format!(
                    "expected a value or property at character {at}, found {}",
                    if t == Tok::RParen { "')'" } else { "','" }
                )),
            }
        }
    }

    /// The static type of an expression.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Ty {
        Str,
        Num,
        Bool,
        Null,
    }

    fn ty_name(t: Ty) -> &'static str {
        match t {
            Ty::Str => "text",
            Ty::Num => "a number",
            Ty::Bool => "true/false",
            Ty::Null => "null",
        }
    }

    fn type_of(e: &Expr, props: &[(&str, Edm)]) -> Result<Ty, String> {
        Ok(match e {
            Expr::Str(_) => Ty::Str,
            Expr::Num(_) => Ty::Num,
            Expr::Bool(_) => Ty::Bool,
            Expr::Null => Ty::Null,
            Expr::Prop(p) => match props.iter().find(|(n, _)| n == p) {
                Some((_, Edm::String | Edm::Date)) => Ty::Str,
                Some((_, Edm::Int64 | Edm::Double)) => Ty::Num,
                Some((_, Edm::Boolean)) => Ty::Bool,
                None => {
                    let names: Vec<&str> = props.iter().map(|p| p.0).collect();
                    return Err(format!(
                        "unknown property '{p}' (properties: {})",
                        names.join(", ")
                    ));
                }
            },
            Expr::Cmp(op, a, b) => {
                let (ta, tb) = (type_of(a, props)?, type_of(b, props)?);
                if ta != tb && ta != Ty::Null && tb != Ty::Null {
                    let hint = match (&**a, &**b, ta, tb) {
                        (Expr::Prop(p), Expr::Num(n), Ty::Str, Ty::Num)
                        | (Expr::Num(n), Expr::Prop(p), Ty::Num, Ty::Str) => {
                            format!("; {p} is text, so quote the value: '{n}'")
                        }
                        _ => String::new(),
                    };
                    return Err(format!(
                        "cannot compare {} with {}{hint}",
                        ty_name(ta),
                        ty_name(tb)
                    ));
                }
                if !matches!(op, Op::Eq | Op::Ne) && (ta == Ty::Bool || tb == Ty::Bool) {
                    return Err("true/false can only be compared with eq or ne".into());
                }
                Ty::Bool
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                for x in [a, b] {
                    let t = type_of(x, props)?;
                    if t != Ty::Bool {
                        return Err(format!(
                            "'and' and 'or' combine conditions, not {}",
                            ty_name(t)
                        ));
                    }
                }
                Ty::Bool
            }
            Expr::Not(a) => {
                let t = type_of(a, props)?;
                if t != Ty::Bool {
                    return Err(format!("'not' takes a condition, not {}", ty_name(t)));
                }
                Ty::Bool
            }
            Expr::Call(f, args) => {
                for a in args {
                    let t = type_of(a, props)?;
                    if t != Ty::Str && t != Ty::Null {
                        return Err(format!("{}() takes text, not {}", f.name(), ty_name(t)));
                    }
                }
                match f {
                    Func::Contains | Func::StartsWith | Func::EndsWith => Ty::Bool,
                    Func::ToLower | Func::ToUpper | Func::Trim => Ty::Str,
                    Func::Length => Ty::Num,
                }
            }
        })
    }

    /// A `$filter` that cannot be used: what is wrong and where (character positions count
    /// from 1), in words a client's author understands.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("{0}")]
    pub struct FilterError(pub String);

    /// Parses and type-checks a `$filter` against an entity type's properties.
    pub fn parse(text: &str, props: &[(&str, Edm)]) -> Result<Expr, FilterError> {
        parse_text(text, props).map_err(FilterError)
    }

    fn parse_text(text: &str, props: &[(&str, Edm)]) -> Result<Expr, String> {
        let toks = lex(text)?;
        if toks.is_empty() {
            return Err("the filter is empty".into());
        }
        let mut p = Parser {
            toks,
            pos: 0,
            end: text.chars().count() + 1,
        };
        let e = p.or(0)?;
        if p.pos < p.toks.len() {
            return Err(format!(
                "unexpected {} at character {} (a condition is complete there; combine conditions with and/or)",
                p.describe(),
                p.at()
            ));
        }
        match type_of(&e, props)? {
            Ty::Bool => Ok(e),
            t => Err(format!(
                "the filter must be a condition (e.g. Name eq 'x'), not {}",
                ty_name(t)
            )),
        }
    }

    fn value(e: &Expr, row: &serde_json::Map<String, J>) -> J {
        match e {
            Expr::Str(s) => J::String(s.clone()),
            Expr::Num(n) => serde_json::json!(n),
            Expr::Bool(b) => J::Bool(*b),
            Expr::Null => J::Null,
            Expr::Prop(p) => row.get(p).cloned().unwrap_or(J::Null),
            Expr::Call(f, args) => {
                let a: Vec<J> = args.iter().map(|x| value(x, row)).collect();
                let s = |i: usize| a.get(i).and_then(|v| v.as_str());
                match f {
                    Func::Contains => {
                        J::Bool(matches!((s(0), s(1)), (Some(x), Some(y)) if x.contains(y)))
                    }
                    Func::StartsWith => {
                        J::Bool(matches!((s(0), s(1)), (Some(x), Some(y)) if x.starts_with(y)))
                    }
                    Func::EndsWith => {
                        J::Bool(matches!((s(0), s(1)), (Some(x), Some(y)) if x.ends_with(y)))
                    }
                    Func::ToLower => s(0).map_or(J::Null, |x| J::String(x.to_lowercase())),
                    Func::ToUpper => s(0).map_or(J::Null, |x| J::String(x.to_uppercase())),
                    Func::Trim => s(0).map_or(J::Null, |x| J::String(x.trim().to_string())),
                    Func::Length => s(0).map_or(J::Null, |x| serde_json::json!(x.chars().count())),
                }
            }
            other => J::Bool(matches(other, row)),
        }
    }

    /// Orders two JSON scalars of the same kind; `None` when they cannot be ordered.
    pub fn compare(a: &J, b: &J) -> Option<Ordering> {
        match (a, b) {
            (J::Number(x), J::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
            (J::String(x), J::String(y)) => Some(x.cmp(y)),
            (J::Bool(x), J::Bool(y)) => Some(x.cmp(y)),
            (J::Null, J::Null) => Some(Ordering::Equal),
            _ => None,
        }
    }

    /// Whether a row satisfies a (type-checked) filter.
    pub fn matches(e: &Expr, row: &serde_json::Map<String, J>) -> bool {
        match e {
            Expr::And(a, b) => matches(a, row) && matches(b, row),
            Expr::Or(a, b) => matches(a, row) || matches(b, row),
            Expr::Not(a) => !matches(a, row),
            Expr::Cmp(op, a, b) => {
                let (x, y) = (value(a, row), value(b, row));
                // Comparisons with null: only eq/ne have an answer.
                if x.is_null() || y.is_null() {
                    return match op {
                        Op::Eq => x.is_null() && y.is_null(),
                        Op::Ne => x.is_null() != y.is_null(),
                        _ => false,
                    };
                }
                let Some(o) = compare(&x, &y) else {
                    return false;
                };
                match op {
                    Op::Eq => o == Ordering::Equal,
                    Op::Ne => o != Ordering::Equal,
                    Op::Gt => o == Ordering::Greater,
                    Op::Ge => o != Ordering::Less,
                    Op::Lt => o == Ordering::Less,
                    Op::Le => o != Ordering::Greater,
                }
            }
            other => value(other, row) == J::Bool(true),
        }
    }

    /// The property the `odata_filter` fuzz target and the corpus replay test check: parsing
    /// any text against Swing's variable properties never panics, and a parsed filter
    /// evaluates on a row (with a missing value) without panic.
    pub fn exercise(text: &str) {
        const PROPS: &[(&str, Edm)] = &[
            ("ExternalCode", Edm::String),
            ("Name", Edm::String),
            ("Sequence", Edm::Int64),
            ("Value", Edm::Double),
            ("IsCube", Edm::Boolean),
            ("StartDate", Edm::Date),
        ];
        let Ok(expr) = parse(text, PROPS) else {
            return;
        };
        for value in [J::from(1.5), J::Null] {
            let mut row = serde_json::Map::new();
            row.insert("ExternalCode".into(), J::from("v1101_t"));
            row.insert("Name".into(), J::from("Inwoners"));
            row.insert("Sequence".into(), J::from(3));
            row.insert("Value".into(), value);
            row.insert("IsCube".into(), J::from(false));
            row.insert("StartDate".into(), J::from("2019-01-01"));
            let _ = matches(&expr, &row);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        const PROPS: &[(&str, Edm)] = &[
            ("ExternalCode", Edm::String),
            ("Name", Edm::String),
            ("Sequence", Edm::Int64),
            ("Value", Edm::Double),
            ("IsCube", Edm::Boolean),
            ("StartDate", Edm::Date),
        ];

        fn row(code: &str, name: &str, seq: i64, value: Option<f64>) -> serde_json::Map<String, J> {
            let v = json!({"ExternalCode": code, "Name": name, "Sequence": seq, "Value": value,
                "IsCube": code.starts_with("kubus"), "StartDate": "2019-01-01"});
            v.as_object().unwrap().clone()
        }

        fn hit(f: &str, r: &serde_json::Map<String, J>) -> bool {
            matches(&parse(f, PROPS).unwrap_or_else(|e| panic!("{f}: {e}")), r)
        }

        #[test]
        fn evaluates_operators_functions_and_precedence() {
            let a = row("v1101_t", "Inwoners", 3, Some(12.5));
            let k = row("kubus_bevolking", "Bevolking (kubus)", 1, None);
            let cases: &[(&str, bool, bool)] = &[
                ("ExternalCode eq 'v1101_t'", true, false),
                ("ExternalCode ne 'v1101_t'", false, true),
                ("Sequence gt 1", true, false),
                ("Sequence ge 3 and Sequence le 3", true, false),
                ("Sequence lt 3", false, true),
                ("Value gt 12 and Value lt 13", true, false),
                ("Value eq null", false, true),
                ("Value ne null", true, false),
                ("not (Value eq null)", true, false),
                ("contains(Name,'kubus')", false, true),
                ("startswith(ExternalCode, 'v1101')", true, false),
                ("endswith(ExternalCode,'_t')", true, false),
                ("tolower(Name) eq 'inwoners'", true, false),
                ("length(ExternalCode) eq 7", true, false),
                ("IsCube eq true", false, true),
                ("IsCube", false, true),
                (
                    "Sequence eq 1 or Sequence eq 3 and Name eq 'x'",
                    false,
                    true,
                ),
                (
                    "(Sequence eq 1 or Sequence eq 3) and Name eq 'Inwoners'",
                    true,
                    false,
                ),
                ("not IsCube and not not (Sequence eq 3)", true, false),
                ("Name eq 'It''s'", false, false),
                (
                    "StartDate ge 2019-01-01 and StartDate lt '2020'",
                    true,
                    true,
                ),
                ("Sequence eq -1 or Value ge 1.25e1", true, false),
            ];
            for (f, ea, ek) in cases {
                assert_eq!(hit(f, &a), *ea, "{f} on a");
                assert_eq!(hit(f, &k), *ek, "{f} on kubus");
            }
        }

        #[test]
        fn explains_bad_filters() {
            let bad: &[(&str, &str)] = &[
                ("", "empty"),
                ("Nmae eq 'x'", "unknown property 'Nmae'"),
                ("Name eq", "ends"),
                ("Name eq 'x", "no closing quote"),
                ("Name eq 'x' Name", "unexpected"),
                ("(Name eq 'x'", "expected ')'"),
                ("Name foo 'x'", "unknown operator 'foo'"),
                ("ExternalCode eq 46999", "quote the value: '46999'"),
                ("Name", "must be a condition"),
                ("frobnicate(Name)", "unknown function"),
                ("contains(Name)", "takes 2 argument"),
                ("Sequence and IsCube", "combine conditions"),
                ("Name eq 'x' @", "unexpected character '@'"),
                ("IsCube gt false", "eq or ne"),
                ("contains(Sequence, 'x')", "takes text"),
            ];
            for (f, want) in bad {
                let e = parse(f, PROPS).expect_err(f).to_string();
                assert!(e.contains(want), "{f}: {e}");
            }
            let deep = format!("{}Name eq 'x'{}", "(".repeat(200), ")".repeat(200));
            assert!(parse(&deep, PROPS).unwrap_err().0.contains("nests deeper"));
            let nots = format!("{}IsCube", "not ".repeat(200));
            assert!(parse(&nots, PROPS).unwrap_err().0.contains("nests deeper"));
        }
    }
}
