//! Formula indicators (formule-onderwerpen): parsing Swing formulas and checking them.
//!
//! A formula indicator stores only its formula; values are derived by the compute crate, which
//! evaluates the [`Expr`] tree vectorised. This module turns the text into that tree and
//! answers the static questions: which indicators a formula reads, which of them set the
//! formula's period frame, whether references are known, and in which order a set of formulas
//! can be computed.
//!
//! Guarantees:
//! - Formulas exported from Swing load unchanged: `data_from_period(x,"-1")`, bare cube members
//!   such as `cell(kubus_bevolking, 65+)`, function names in any case, newlines anywhere.
//! - Parsing never panics, whatever the input; errors carry the byte position and a message a
//!   statistician understands, and display the formula with a caret under the spot.
//! - `Display` of a parsed [`Expr`] is a canonical text that parses back to an equal tree.
//! - Nesting is bounded ([`MAX_NESTING`], [`MAX_DEPTH`]), so no formula can overflow the stack
//!   of the parser or of the code that walks the tree.
//!
//! Syntax decisions beyond Swing's examples:
//! - Unary minus binds tighter than `*` and `/` (`-a * b` is `(-a) * b`); a minus before a
//!   number stays a [`Expr::Neg`] node, so the parser never produces a negative [`Expr::Num`].
//!   A unary plus is accepted and dropped.
//! - A name directly followed by `(` is a function call; elsewhere it is an indicator code, so
//!   an indicator called `min` can still be referred to.
//! - The offset of `data_from_period` and the count of `data_from_mrp` may be written with or
//!   without double quotes. Offsets beyond ±[`MAX_OFFSET`] are refused: they look like a fixed
//!   period (`"2015"`), which Swing's relative offset does not mean.
//! - A formula that reads another formula, or itself, in any way (also through
//!   `data_from_period`) depends on it; reading oneself is a cycle, because the evaluator
//!   computes an indicator for all periods at once.

use crate::hierarchy::find_cycle;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Parentheses, function calls and minus signs may nest this deep.
pub const MAX_NESTING: usize = 100;
/// The tree may be this deep (a sum of n terms is n levels deep).
pub const MAX_DEPTH: usize = 1000;
/// The largest period offset `data_from_period` accepts, in periods of the formula's level.
pub const MAX_OFFSET: i64 = 1000;

const KNOWN_FUNCTIONS: &str =
    "sqrt, abs, round, min, max, sum, data_from_period, data_from_mrp, cell, threshold";
const EXPECTED_VALUE: &str = "expected a number, an indicator code, a function or '('";

/// A parsed formula expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal; never negative or non-finite when produced by the parser.
    Num(f64),
    /// An indicator on the same geo item and period.
    Ref(String),
    /// `data_from_period(var, "-1")`: `var` `offset` periods away on the same level.
    Shift {
        var: String,
        offset: i64,
    },
    /// `data_from_mrp(var, n)`: `var` in its n-th most recent period. As in Swing, 0 and 1 both
    /// mean the most recent period, 2 the one before; see [`mrp_index`].
    Mrp {
        var: String,
        n: u32,
    },
    /// `cell(cube, member, …)`: one cell of a cube; dimensions not named are totalled.
    Cell {
        cube: String,
        members: Vec<MemberSpec>,
    },
    /// `threshold(var)`: `var` with its own threshold (drempelwaarde) applied.
    Threshold(String),
    Neg(Box<Expr>),
    Bin {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `sqrt`, `abs`, `round`, `min`, `max`, `sum`; the parser checks the number of arguments.
    Call {
        func: Func,
        args: Vec<Expr>,
    },
}

/// One member argument of `cell()`: `65+` or `leeftijd3=65+`.
///
/// Member codes contain `-`, `+`, spaces and digits, so they are taken as raw text, not as an
/// expression. Parsed specs are trimmed, non-empty and free of `"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberSpec {
    /// The dim level the member belongs to, when the formula names it.
    pub level: Option<String>,
    pub member: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// The numeric functions; the period and cube functions have their own [`Expr`] variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    Sqrt,
    Abs,
    /// `round(x)` or `round(x, decimals)`.
    Round,
    /// Two or more arguments.
    Min,
    /// Two or more arguments.
    Max,
    /// `sum(a, b, …)`: adds the arguments that have a value, like a total over areas (an
    /// empty or `nvt` argument is left out), where `a + b` has no value when either has none.
    /// Two or more arguments.
    Sum,
}

/// A formula as stored with its indicator: the text as typed or exported, and its tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    pub text: String,
    pub expr: Expr,
}

/// How a formula reads an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    /// Same item, same period.
    Plain,
    /// Through `data_from_period`.
    Shift,
    /// Through `data_from_mrp`.
    Mrp,
    /// As the cube of `cell()`.
    Cell,
    /// Through `threshold()`.
    Threshold,
}

/// An indicator a formula reads, and how.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub code: String,
    pub kind: RefKind,
}

/// Why a formula does not parse.
///
/// `Display` gives the one-line [`summary`](FormulaError::summary) followed by the line of the
/// formula with a caret under the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct FormulaError {
    /// Byte offset in the formula text (the text's length when the formula ends too early).
    pub pos: usize,
    /// What is wrong, e.g. `unexpected ')'`.
    pub message: String,
    /// What was expected or how to fix it.
    pub note: Option<String>,
    /// The whole formula text, for showing the place.
    pub formula: String,
}

/// A problem with a set of formula indicators that parsed on their own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormulaProblem {
    #[error("the formula of '{indicator}' reads '{code}', which is not a known indicator")]
    UnknownReference { indicator: String, code: String },
    #[error("'{indicator}' has more than one formula")]
    Duplicate { indicator: String },
    /// The indicators along the cycle, the first repeated last (`a → b → a`).
    #[error("formulas read each other in a circle: {}", .cycle.join(" → "))]
    Cycle { cycle: Vec<String> },
}

/// The 0-based rank among an indicator's periods, latest first, that `data_from_mrp(var, n)`
/// reads (like [`crate::PeriodRef::MostRecent`]): Swing treats 0 and 1 alike as the latest.
pub fn mrp_index(n: u32) -> u32 {
    n.saturating_sub(1)
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
        }
    }
}

impl Func {
    pub const ALL: [Func; 6] = [
        Func::Sqrt,
        Func::Abs,
        Func::Round,
        Func::Min,
        Func::Max,
        Func::Sum,
    ];

    /// The canonical (lower-case) name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Round => "round",
            Func::Min => "min",
            Func::Max => "max",
            Func::Sum => "sum",
        }
    }

    /// Finds a function by name, in any case.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Allowed numbers of arguments, and how to say so in an error.
    fn arity(self) -> (usize, usize, &'static str) {
        match self {
            Func::Sqrt => (1, 1, "sqrt takes one value, e.g. sqrt(v1)"),
            Func::Abs => (1, 1, "abs takes one value, e.g. abs(v1)"),
            Func::Round => (
                1,
                2,
                "round takes a value and optionally the number of decimals, e.g. round(v1, 1)",
            ),
            Func::Min => (
                2,
                usize::MAX,
                "min needs at least two values, e.g. min(v1, v2)",
            ),
            Func::Max => (
                2,
                usize::MAX,
                "max needs at least two values, e.g. max(v1, v2)",
            ),
            Func::Sum => (
                2,
                usize::MAX,
                "sum needs at least two values, e.g. sum(v1, v2)",
            ),
        }
    }
}

impl Expr {
    /// Calls `f` on this node and every node below it, parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(e) => e.walk(f),
            Expr::Bin { left, right, .. } => {
                left.walk(f);
                right.walk(f);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Num(_)
            | Expr::Ref(_)
            | Expr::Shift { .. }
            | Expr::Mrp { .. }
            | Expr::Cell { .. }
            | Expr::Threshold(_) => {}
        }
    }

    /// Binding strength in canonical text: sums 1, products 2, negation 3, atoms 4.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Bin { op, .. } => op.precedence(),
            Expr::Neg(_) => 3,
            _ => 4,
        }
    }
}

impl Formula {
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        let mut p = Parser {
            src: text,
            pos: 0,
            nesting: 0,
        };
        if text.trim().is_empty() {
            return Err(p.error(0, "empty formula", None));
        }
        let (expr, _) = p.sum()?;
        let end = p.peek()?;
        if end.tok != Tok::End {
            return Err(p.unexpected(
                &end,
                "expected an operator (+ - * /) or the end of the formula",
            ));
        }
        Ok(Formula {
            text: text.to_string(),
            expr,
        })
    }

    /// Every indicator the formula reads, with how: plain/shift/mrp/cell/threshold (deduplicated, sorted).
    pub fn references(&self) -> Vec<Reference> {
        let mut out = BTreeSet::new();
        self.expr.walk(&mut |e| {
            let (code, kind) = match e {
                Expr::Ref(c) => (c, RefKind::Plain),
                Expr::Shift { var, .. } => (var, RefKind::Shift),
                Expr::Mrp { var, .. } => (var, RefKind::Mrp),
                Expr::Cell { cube, .. } => (cube, RefKind::Cell),
                Expr::Threshold(v) => (v, RefKind::Threshold),
                _ => return,
            };
            out.insert(Reference {
                code: code.clone(),
                kind,
            });
        });
        out.into_iter().collect()
    }

    /// Plain references that define the period frame: Ref, Cell cube, Threshold var.
    ///
    /// A formula has values for the periods of these terms; shifted and most-recent terms only
    /// look elsewhere in time, which is how `data_from_period(x,"+1") + x - x` shifts a series.
    /// Empty when the formula has no such term (e.g. a constant); the evaluator decides then.
    pub fn frame_references(&self) -> Vec<String> {
        self.references()
            .into_iter()
            .filter(|r| matches!(r.kind, RefKind::Plain | RefKind::Cell | RefKind::Threshold))
            .map(|r| r.code)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Whether the formula has periods at all: a frame reference or a `data_from_period`
    /// term. A formula of only `data_from_mrp` terms and numbers has none, so it never has a
    /// value (the import warns).
    pub fn has_frame(&self) -> bool {
        let mut found = false;
        self.expr.walk(&mut |e| {
            if matches!(
                e,
                Expr::Ref(_) | Expr::Shift { .. } | Expr::Cell { .. } | Expr::Threshold(_)
            ) {
                found = true;
            }
        });
        found
    }
}

/// Checks a set of formula indicators: unknown references (against `known` codes) and cycles
/// in the dependency graph; errors name the indicator and, for cycles, the whole cycle (a → b → a).
///
/// The formula indicators of the set count as known. An indicator with two formulas is
/// reported too. Each cycle is reported once; cycles sharing an indicator are reported as one.
pub fn check_formulas(
    formulas: &[(String, Formula)],
    known: &dyn Fn(&str) -> bool,
) -> Vec<FormulaProblem> {
    let defined: BTreeSet<&str> = formulas.iter().map(|(c, _)| c.as_str()).collect();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    for (indicator, formula) in formulas {
        if !seen.insert(indicator.as_str()) && duplicates.insert(indicator.as_str()) {
            problems.push(FormulaProblem::Duplicate {
                indicator: indicator.clone(),
            });
        }
        let mut reported = BTreeSet::new();
        for r in formula.references() {
            if !defined.contains(r.code.as_str())
                && !known(&r.code)
                && reported.insert(r.code.clone())
            {
                problems.push(FormulaProblem::UnknownReference {
                    indicator: indicator.clone(),
                    code: r.code,
                });
            }
        }
    }
    // Report a cycle, take its indicators out, look again: each knot is named once.
    let mut edges = dependency_edges(formulas);
    while let Some(cycle) = find_cycle(edges.iter().map(|(a, b)| (a.as_str(), b.as_str()))) {
        let cycle = rotate_cycle(cycle);
        edges.retain(|(a, b)| !cycle.contains(a) && !cycle.contains(b));
        problems.push(FormulaProblem::Cycle { cycle });
    }
    problems
}

/// Topological order of formula indicators (dependencies first), or the cycle.
///
/// Only formula indicators appear; among those whose dependencies are done, codes come in
/// alphabetical order, so the order is stable. The cycle starts at its smallest code and
/// repeats it at the end.
pub fn evaluation_order(formulas: &[(String, Formula)]) -> Result<Vec<String>, Vec<String>> {
    let edges = dependency_edges(formulas);
    let mut waiting: BTreeMap<&str, usize> =
        formulas.iter().map(|(c, _)| (c.as_str(), 0)).collect();
    let mut readers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (reader, read) in &edges {
        *waiting.entry(reader.as_str()).or_default() += 1;
        readers
            .entry(read.as_str())
            .or_default()
            .push(reader.as_str());
    }
    let mut ready: BTreeSet<&str> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(c, _)| *c)
        .collect();
    let mut order = Vec::with_capacity(waiting.len());
    while let Some(code) = ready.pop_first() {
        order.push(code.to_string());
        for reader in readers.get(code).into_iter().flatten() {
            if let Some(n) = waiting.get_mut(reader) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(reader);
                }
            }
        }
    }
    if order.len() == waiting.len() {
        return Ok(order);
    }
    // Every indicator left waits on another one left, so the rest contains a cycle.
    let done: BTreeSet<&str> = order.iter().map(String::as_str).collect();
    let rest = edges
        .iter()
        .filter(|(a, b)| !done.contains(a.as_str()) && !done.contains(b.as_str()))
        .map(|(a, b)| (a.as_str(), b.as_str()));
    Err(find_cycle(rest).map(rotate_cycle).unwrap_or_default())
}

/// (reader, read) pairs between formula indicators, deduplicated and sorted.
fn dependency_edges(formulas: &[(String, Formula)]) -> BTreeSet<(String, String)> {
    let defined: BTreeSet<&str> = formulas.iter().map(|(c, _)| c.as_str()).collect();
    let mut edges = BTreeSet::new();
    for (code, formula) in formulas {
        for r in formula.references() {
            if defined.contains(r.code.as_str()) {
                edges.insert((code.clone(), r.code));
            }
        }
    }
    edges
}

/// Starts a cycle (first element repeated last) at its smallest code, for stable messages.
fn rotate_cycle(mut cycle: Vec<String>) -> Vec<String> {
    cycle.pop();
    if let Some(start) = cycle
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.cmp(b.1))
        .map(|(i, _)| i)
    {
        cycle.rotate_left(start);
        cycle.push(cycle[0].clone());
    }
    cycle
}

impl FormulaError {
    /// One line, e.g. `unexpected ')' at position 14 (expected …)`.
    pub fn summary(&self) -> String {
        let mut s = self.message.clone();
        if !self.formula.trim().is_empty() {
            s += &format!(" at position {}", self.pos);
        }
        if let Some(note) = &self.note {
            s += &format!(" ({note})");
        }
        s
    }

    fn render(&self) -> String {
        let summary = self.summary();
        if self.formula.trim().is_empty() {
            return summary;
        }
        let pos = self.pos.min(self.formula.len());
        let start = self.formula[..pos].rfind('\n').map_or(0, |i| i + 1);
        let end = self.formula[pos..]
            .find('\n')
            .map_or(self.formula.len(), |i| pos + i);
        let line = self.formula[start..end].trim_end_matches('\r');
        // Tabs stay tabs so the caret lines up however the terminal shows them.
        let pad: String = self.formula[start..pos]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{summary}\n  {line}\n  {pad}^")
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical text

impl fmt::Display for Expr {
    /// Canonical text that parses back to an equal `Expr` (round trip): lower-case function
    /// names, `", "` between arguments, spaces around binary operators and only the
    /// parentheses the tree needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(n) => write!(f, "{n}"),
            Expr::Ref(code) => f.write_str(code),
            Expr::Shift { var, offset } if *offset > 0 => {
                write!(f, "data_from_period({var}, \"+{offset}\")")
            }
            Expr::Shift { var, offset } => write!(f, "data_from_period({var}, \"{offset}\")"),
            Expr::Mrp { var, n } => write!(f, "data_from_mrp({var}, {n})"),
            Expr::Cell { cube, members } => {
                write!(f, "cell({cube}")?;
                for m in members {
                    write!(f, ", {m}")?;
                }
                f.write_str(")")
            }
            Expr::Threshold(var) => write!(f, "threshold({var})"),
            Expr::Neg(e) => {
                f.write_str("-")?;
                write_operand(f, e, e.precedence() < 3)
            }
            Expr::Bin { op, left, right } => {
                let p = op.precedence();
                write_operand(f, left, left.precedence() < p)?;
                write!(f, " {} ", op.symbol())?;
                // Left associativity: an equal-precedence right operand keeps its parentheses.
                write_operand(f, right, right.precedence() <= p)
            }
            Expr::Call { func, args } => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for MemberSpec {
    /// `member` or `level=member`, in double quotes when it holds `,`, `(` or `)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match &self.level {
            Some(level) => format!("{level}={}", self.member),
            None => self.member.clone(),
        };
        if text.contains([',', '(', ')']) {
            write!(f, "\"{text}\"")
        } else {
            f.write_str(&text)
        }
    }
}

impl fmt::Display for BinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent over tokens lexed on demand, because the members of `cell()` and
// the offsets of the period functions are raw text, not tokens.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Num(f64),
    Word(&'a str),
    Open,
    Close,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    nesting: usize,
}

/// A parsed subtree and its depth.
type Parsed = (Expr, usize);

fn is_code_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

impl<'a> Parser<'a> {
    fn error(&self, pos: usize, message: impl Into<String>, note: Option<&str>) -> FormulaError {
        FormulaError {
            pos,
            message: message.into(),
            note: note.map(str::to_string),
            formula: self.src.to_string(),
        }
    }

    fn unexpected(&self, t: &Token<'a>, expected: &str) -> FormulaError {
        let message = match t.tok {
            Tok::End => "unexpected end of formula".to_string(),
            _ => format!("unexpected '{}'", &self.src[t.start..t.end]),
        };
        self.error(t.start, message, Some(expected))
    }

    fn unclosed(&self, open: usize) -> FormulaError {
        self.error(open, "unclosed '('", Some("every '(' needs a matching ')'"))
    }

    fn skip_ws(&self, mut pos: usize) -> usize {
        while let Some(c) = self.src[pos..].chars().next().filter(|c| c.is_whitespace()) {
            pos += c.len_utf8();
        }
        pos
    }

    fn peek(&self) -> Result<Token<'a>, FormulaError> {
        self.lex(self.pos)
    }

    fn lex(&self, from: usize) -> Result<Token<'a>, FormulaError> {
        let start = self.skip_ws(from);
        let rest = &self.src[start..];
        let Some(c) = rest.chars().next() else {
            return Ok(Token {
                tok: Tok::End,
                start,
                end: start,
            });
        };
        let single = |tok| {
            Ok(Token {
                tok,
                start,
                end: start + 1,
            })
        };
        match c {
            '(' => single(Tok::Open),
            ')' => single(Tok::Close),
            ',' => single(Tok::Comma),
            '+' => single(Tok::Plus),
            '-' => single(Tok::Minus),
            '*' => single(Tok::Star),
            '/' => single(Tok::Slash),
            '0'..='9' => self.number(start),
            '.' if rest[1..].starts_with(|c: char| c.is_ascii_digit()) => self.number(start),
            c if c.is_alphabetic() || c == '_' => {
                let end = start + rest.find(|c| !is_code_char(c)).unwrap_or(rest.len());
                Ok(Token { tok: Tok::Word(&self.src[start..end]), start, end })
            }
            '"' => Err(self.error(
                start,
                "unexpected '\"'",
                Some("quotes are only used around the offset of data_from_period and the members of cell"),
            )),
            c => Err(self.error(
                start,
                format!("unexpected character '{c}'"),
                Some("a formula consists of numbers, indicator codes, + - * /, parentheses and functions"),
            )),
        }
    }

    /// `12`, `2.5`, `.5`, `1.`, `1e3`, `2.5E-3`.
    fn number(&self, start: usize) -> Result<Token<'a>, FormulaError> {
        let b = self.src.as_bytes();
        let digits = |mut i: usize| {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let mut end = digits(start);
        if end < b.len() && b[end] == b'.' {
            end = digits(end + 1);
        }
        if end < b.len() && matches!(b[end], b'e' | b'E') {
            let mut j = end + 1;
            if j < b.len() && matches!(b[j], b'+' | b'-') {
                j += 1;
            }
            if j < b.len() && b[j].is_ascii_digit() {
                end = digits(j);
            }
        }
        let rest = &self.src[end..];
        if rest.starts_with(is_code_char) {
            let word_end = end + rest.find(|c| !is_code_char(c)).unwrap_or(rest.len());
            return Err(self.error(
                start,
                format!(
                    "'{}' is neither a number nor an indicator code",
                    &self.src[start..word_end]
                ),
                Some("indicator codes cannot start with a digit"),
            ));
        }
        match self.src[start..end].parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Token {
                tok: Tok::Num(n),
                start,
                end,
            }),
            _ => Err(self.error(start, "number too large", None)),
        }
    }

    fn enter(&mut self, pos: usize) -> Result<(), FormulaError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(
                pos,
                "formula nested too deeply",
                Some("more than 100 levels of parentheses, functions or minus signs"),
            ));
        }
        Ok(())
    }

    /// Refuses a tree deeper than [`MAX_DEPTH`]; long sums are the only way to get there.
    fn deeper(&self, pos: usize, depth: usize) -> Result<usize, FormulaError> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                pos,
                "formula too long",
                Some("more than 1000 terms in a row"),
            ));
        }
        Ok(depth)
    }

    fn binary(
        &self,
        op_pos: usize,
        op: BinOp,
        left: Parsed,
        right: Parsed,
    ) -> Result<Parsed, FormulaError> {
        let depth = self.deeper(op_pos, 1 + left.1.max(right.1))?;
        Ok((
            Expr::Bin {
                op,
                left: Box::new(left.0),
                right: Box::new(right.0),
            },
            depth,
        ))
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self) -> Result<Parsed, FormulaError> {
        let mut left = self.product()?;
        loop {
            let t = self.peek()?;
            let op = match t.tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.pos = t.end;
            let right = self.product()?;
            left = self.binary(t.start, op, left, right)?;
        }
    }

    /// product := unary (('*' | '/') unary)*
    fn product(&mut self) -> Result<Parsed, FormulaError> {
        let mut left = self.unary()?;
        loop {
            let t = self.peek()?;
            let op = match t.tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(left),
            };
            self.pos = t.end;
            let right = self.unary()?;
            left = self.binary(t.start, op, left, right)?;
        }
    }

    /// unary := ('-' | '+') unary | primary
    fn unary(&mut self) -> Result<Parsed, FormulaError> {
        let t = self.peek()?;
        let negate = match t.tok {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => return self.primary(),
        };
        self.pos = t.end;
        self.enter(t.start)?;
        let (e, depth) = self.unary()?;
        self.nesting -= 1;
        if !negate {
            return Ok((e, depth));
        }
        Ok((Expr::Neg(Box::new(e)), self.deeper(t.start, depth + 1)?))
    }

    /// primary := number | code | name '(' … ')' | '(' sum ')'
    fn primary(&mut self) -> Result<Parsed, FormulaError> {
        let t = self.peek()?;
        match t.tok {
            Tok::Num(n) => {
                self.pos = t.end;
                Ok((Expr::Num(n), 1))
            }
            Tok::Word(word) => {
                self.pos = t.end;
                let next = self.peek()?;
                if next.tok != Tok::Open {
                    return Ok((Expr::Ref(word.to_string()), 1));
                }
                self.pos = next.end;
                self.enter(t.start)?;
                let call = self.call(word, t.start, next.start)?;
                self.nesting -= 1;
                Ok(call)
            }
            Tok::Open => {
                self.pos = t.end;
                self.enter(t.start)?;
                let inner = self.sum()?;
                let close = self.peek()?;
                match close.tok {
                    Tok::Close => self.pos = close.end,
                    Tok::End => return Err(self.unclosed(t.start)),
                    _ => {
                        return Err(
                            self.unexpected(&close, "expected an operator (+ - * /) or ')'")
                        );
                    }
                }
                self.nesting -= 1;
                Ok(inner)
            }
            _ => Err(self.unexpected(&t, EXPECTED_VALUE)),
        }
    }

    /// A function call; `(` is consumed.
    fn call(&mut self, name: &str, at: usize, open: usize) -> Result<Parsed, FormulaError> {
        let lower = name.to_ascii_lowercase();
        if let Some(func) = Func::from_name(&lower) {
            return self.numeric_call(func, at, open);
        }
        let leaf = match lower.as_str() {
            "data_from_period" => {
                let var = self.code_arg("data_from_period", "an indicator code", open)?;
                let (raw, start) = self.second_arg("data_from_period", "a period offset", open)?;
                let offset = self.offset(raw, start)?;
                self.close_args(
                    "data_from_period",
                    "data_from_period takes an indicator code and a period offset",
                )?;
                Expr::Shift { var, offset }
            }
            "data_from_mrp" => {
                let var = self.code_arg("data_from_mrp", "an indicator code", open)?;
                let (raw, start) = self.second_arg("data_from_mrp", "a number of periods", open)?;
                let n = unquote(raw).trim().parse::<u32>().map_err(|_| {
                    self.error(
                        start,
                        format!("'{}' is not a number of periods", unquote(raw)),
                        Some("data_from_mrp counts back from the most recent period: 0 or 1 is the most recent, 2 the one before, and so on"),
                    )
                })?;
                self.close_args(
                    "data_from_mrp",
                    "data_from_mrp takes an indicator code and a number of periods",
                )?;
                Expr::Mrp { var, n }
            }
            "threshold" => {
                let var = self.code_arg("threshold", "an indicator code", open)?;
                self.close_args("threshold", "threshold takes one indicator code")?;
                Expr::Threshold(var)
            }
            "cell" => {
                let cube = self.code_arg("cell", "a cube code", open)?;
                let mut members = Vec::new();
                loop {
                    let t = self.peek()?;
                    match t.tok {
                        Tok::Comma => self.pos = t.end,
                        Tok::Close if members.is_empty() => {
                            return Err(self.error(
                                t.start,
                                "cell needs at least one member after the cube code",
                                Some("e.g. cell(kubus_bevolking, 65+); for the whole cube, write the cube's code without cell()"),
                            ));
                        }
                        _ => {
                            self.pos = t.end;
                            break;
                        }
                    }
                    let (raw, start) = self.raw_arg(open)?;
                    members.push(self.member_spec(raw, start)?);
                }
                Expr::Cell { cube, members }
            }
            _ => {
                return Err(self.error(
                    at,
                    format!("unknown function '{name}'"),
                    Some(&format!("known: {KNOWN_FUNCTIONS}")),
                ));
            }
        };
        Ok((leaf, 1))
    }

    fn numeric_call(&mut self, func: Func, at: usize, open: usize) -> Result<Parsed, FormulaError> {
        let mut args = Vec::new();
        let mut depth = 0;
        let first = self.peek()?;
        if first.tok == Tok::Close {
            self.pos = first.end;
        } else {
            loop {
                let t = self.peek()?;
                match t.tok {
                    Tok::End => return Err(self.unclosed(open)),
                    Tok::Comma | Tok::Close => {
                        return Err(self.error(
                            t.start,
                            format!("empty argument in {}", func.name()),
                            Some("write a value between the commas"),
                        ));
                    }
                    _ => {}
                }
                let (arg, d) = self.sum()?;
                args.push(arg);
                depth = depth.max(d);
                let t = self.peek()?;
                self.pos = t.end;
                match t.tok {
                    Tok::Comma => {}
                    Tok::Close => break,
                    Tok::End => return Err(self.unclosed(open)),
                    _ => {
                        return Err(
                            self.unexpected(&t, "expected an operator (+ - * /), ',' or ')'")
                        );
                    }
                }
            }
        }
        let (min, max, how) = func.arity();
        if args.len() < min {
            return Err(self.error(
                at,
                format!("too few arguments for {}", func.name()),
                Some(how),
            ));
        }
        if args.len() > max {
            return Err(self.error(
                at,
                format!("too many arguments for {}", func.name()),
                Some(how),
            ));
        }
        Ok((Expr::Call { func, args }, self.deeper(at, depth + 1)?))
    }

    /// The first argument of a period or cube function: a bare code followed by `,` or `)`.
    fn code_arg(&mut self, func: &str, what: &str, open: usize) -> Result<String, FormulaError> {
        let t = self.peek()?;
        if let Tok::Word(code) = t.tok
            && matches!(self.lex(t.end)?.tok, Tok::Comma | Tok::Close)
        {
            self.pos = t.end;
            return Ok(code.to_string());
        }
        if t.tok == Tok::End {
            return Err(self.unclosed(open));
        }
        let example = match func {
            "cell" => "e.g. cell(kubus_bevolking, 65+)",
            "threshold" => "e.g. threshold(v1101_nietbelg)",
            "data_from_mrp" => "e.g. data_from_mrp(v1101_t, 1)",
            _ => "e.g. data_from_period(v1101_t, \"-1\")",
        };
        Err(self.error(
            t.start,
            format!("{func} needs {what} as first argument"),
            Some(example),
        ))
    }

    /// The raw second argument of a period function, after the `,`.
    fn second_arg(
        &mut self,
        func: &str,
        what: &str,
        open: usize,
    ) -> Result<(&'a str, usize), FormulaError> {
        let t = self.peek()?;
        if t.tok != Tok::Comma {
            let example = match func {
                "data_from_mrp" => "e.g. data_from_mrp(v1101_t, 1)",
                _ => "e.g. data_from_period(v1101_t, \"-1\")",
            };
            return Err(self.error(
                t.start,
                format!("{func} needs {what} as second argument"),
                Some(example),
            ));
        }
        self.pos = t.end;
        let (raw, start) = self.raw_arg(open)?;
        if unquote(raw).trim().is_empty() {
            return Err(self.error(
                start,
                format!("{func} needs {what} as second argument"),
                None,
            ));
        }
        Ok((raw, start))
    }

    /// Expects the `)` after the last argument of a fixed-arity function.
    fn close_args(&mut self, func: &str, how: &str) -> Result<(), FormulaError> {
        let t = self.peek()?;
        if t.tok == Tok::Close {
            self.pos = t.end;
            return Ok(());
        }
        Err(self.error(t.start, format!("too many arguments for {func}"), Some(how)))
    }

    /// Raw text up to the next `,` or `)` outside quotes and inner parentheses, trimmed; the
    /// position is left on that `,` or `)`.
    fn raw_arg(&mut self, open: usize) -> Result<(&'a str, usize), FormulaError> {
        let start = self.skip_ws(self.pos);
        let mut depth = 0usize;
        let mut quote: Option<usize> = None;
        let mut end = None;
        for (i, c) in self.src[start..].char_indices() {
            let at = start + i;
            if quote.is_some() {
                if c == '"' {
                    quote = None;
                }
                continue;
            }
            match c {
                '"' => quote = Some(at),
                '(' => depth += 1,
                ')' | ',' if depth == 0 => {
                    end = Some(at);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        if let Some(q) = quote {
            return Err(self.error(q, "unclosed quote", Some("a '\"' needs a matching '\"'")));
        }
        let Some(end) = end else {
            return Err(self.unclosed(open));
        };
        self.pos = end;
        Ok((self.src[start..end].trim_end(), start))
    }

    fn offset(&self, raw: &str, start: usize) -> Result<i64, FormulaError> {
        let text = unquote(raw).trim();
        let offset = text.parse::<i64>().map_err(|_| {
            self.error(
                start,
                format!("'{text}' is not a period offset"),
                Some("write an offset like \"-1\" for the previous period or \"+1\" for the next"),
            )
        })?;
        if offset.abs() > MAX_OFFSET {
            return Err(self.error(
                start,
                format!("'{text}' is too far for a period offset"),
                Some("data_from_period counts periods from the current one (\"-1\", \"+1\"); a fixed period such as 2015 is not supported"),
            ));
        }
        Ok(offset)
    }

    /// `member`, `dimlevel=member`, optionally in double quotes.
    fn member_spec(&self, raw: &str, start: usize) -> Result<MemberSpec, FormulaError> {
        let text = unquote(raw);
        if text.contains('"') {
            return Err(self.error(start, "a member code cannot contain '\"'", None));
        }
        let (level, member) = match text.split_once('=') {
            Some((level, member)) => {
                if level.trim().is_empty() {
                    return Err(self.error(
                        start,
                        "missing dimension level before '='",
                        Some("e.g. cell(kubus_bevolking, leeftijd3=65+)"),
                    ));
                }
                if member.trim().is_empty() {
                    return Err(self.error(
                        start,
                        "missing member after '='",
                        Some("e.g. cell(kubus_bevolking, leeftijd3=65+)"),
                    ));
                }
                (Some(level.trim().to_string()), member.trim())
            }
            None => (None, text.trim()),
        };
        if member.is_empty() {
            return Err(self.error(
                start,
                "cell needs a member code here",
                Some("e.g. cell(kubus_bevolking, 65+)"),
            ));
        }
        Ok(MemberSpec {
            level,
            member: member.to_string(),
        })
    }
}

/// Removes one pair of surrounding double quotes.
fn unquote(raw: &str) -> &str {
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        &raw[1..raw.len() - 1]
    } else {
        raw
    }
}

/// The property the `formula` fuzz target and the corpus replay test check, in one place:
/// parsing any text never panics, and the canonical text of a parsed formula parses back to
/// an equal tree. Panics when the property does not hold.
pub fn check_round_trip(text: &str) {
    let Ok(formula) = Formula::parse(text) else {
        return;
    };
    let canonical = formula.expr.to_string();
    let again = Formula::parse(&canonical).unwrap_or_else(|e| {
        panic!("the canonical text {canonical:?} of {text:?} does not parse: {e}")
    });
    assert_eq!(
        again.expr, formula.expr,
        "the canonical text {canonical:?} of {text:?} parses to another tree"
    );
    let _ = formula.references();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Expr {
        match Formula::parse(s) {
            Ok(f) => f.expr,
            Err(e) => panic!("{s:?} should parse:\n{e}"),
        }
    }

    /// Fully parenthesised prefix form, to see the tree's shape.
    fn shape(e: &Expr) -> String {
        match e {
            Expr::Neg(e) => format!("(neg {})", shape(e)),
            Expr::Bin { op, left, right } => format!("({op} {} {})", shape(left), shape(right)),
            Expr::Call { func, args } => {
                let args: Vec<String> = args.iter().map(shape).collect();
                format!("({func} {})", args.join(" "))
            }
            leaf => leaf.to_string(),
        }
    }

    #[rustfmt::skip]
    #[test]
    fn canonical_text() {
        let cases = [
            ("v1 + v2", "v1 + v2"),
            ("v1101_t/v_opp_km2", "v1101_t / v_opp_km2"),
            ("100", "100"),
            ("2.5", "2.5"),
            ("2.50", "2.5"),
            ("1e3", "1000"),
            ("2.5E-3", "0.0025"),
            (".5", "0.5"),
            ("1.", "1"),
            ("kubus.bev_2", "kubus.bev_2"),
            ("_x", "_x"),
            ("((a))", "a"),
            ("+a", "a"),
            ("a * (b + c)", "a * (b + c)"),
            ("(a * b) + c", "a * b + c"),
            ("a - (b - c)", "a - (b - c)"),
            ("a + (b + c)", "a + (b + c)"),
            ("(a - b) - c", "a - b - c"),
            ("a / (b / c)", "a / (b / c)"),
            ("-(a + b)", "-(a + b)"),
            ("-(a * b)", "-(a * b)"),
            ("- - a", "--a"),
            ("2*-3", "2 * -3"),
            ("a--b", "a - -b"),
            (r#"(v1 + data_from_period(v1,"-1") + data_from_period(v1,"-2")) / 3"#,
             r#"(v1 + data_from_period(v1, "-1") + data_from_period(v1, "-2")) / 3"#),
            (r#"data_from_period(x,"+1") + x - x"#, r#"data_from_period(x, "+1") + x - x"#),
            (r#"data_from_period(x, "1")"#, r#"data_from_period(x, "+1")"#),
            (r#"data_from_period(x, " -4 ")"#, r#"data_from_period(x, "-4")"#),
            ("data_from_period(x, -1)", r#"data_from_period(x, "-1")"#),
            ("data_from_period(x, +1)", r#"data_from_period(x, "+1")"#),
            ("data_from_period(x, 2)", r#"data_from_period(x, "+2")"#),
            ("data_from_period(x, 0)", r#"data_from_period(x, "0")"#),
            ("DATA_FROM_PERIOD( x ,\"-1\" )", r#"data_from_period(x, "-1")"#),
            ("data_from_mrp(x, 0)", "data_from_mrp(x, 0)"),
            ("data_from_mrp(x,2)", "data_from_mrp(x, 2)"),
            (r#"data_from_mrp(x, "1")"#, "data_from_mrp(x, 1)"),
            ("cell(kubus_bevolking, 65+) / v1101_t * 100", "cell(kubus_bevolking, 65+) / v1101_t * 100"),
            ("cell(kubus_bevolking,0-4,m)", "cell(kubus_bevolking, 0-4, m)"),
            (r#"cell(kubus_bevolking, "leeftijd3=65+")"#, "cell(kubus_bevolking, leeftijd3=65+)"),
            ("cell(kubus_bevolking, leeftijd3=65+, geslacht=v)", "cell(kubus_bevolking, leeftijd3=65+, geslacht=v)"),
            ("cell(kubus_bevolking, leeftijd3 = 65+ ,  geslacht= v )", "cell(kubus_bevolking, leeftijd3=65+, geslacht=v)"),
            ("cell(kubus,\n  65 jaar en ouder)", "cell(kubus, 65 jaar en ouder)"),
            (r#"cell(kubus, "a, b")"#, r#"cell(kubus, "a, b")"#),
            ("cell(kubus, a(b))", r#"cell(kubus, "a(b)")"#),
            ("cell(kubus, -1)", "cell(kubus, -1)"),
            ("Cell(kubus, 80-84) + CELL(kubus, 95+)", "cell(kubus, 80-84) + cell(kubus, 95+)"),
            ("round(v1 / v2 * 100, 1)", "round(v1 / v2 * 100, 1)"),
            ("ROUND(v1)", "round(v1)"),
            ("threshold(v2)/v3", "threshold(v2) / v3"),
            ("Sqrt(abs(a - b))", "sqrt(abs(a - b))"),
            ("min(a,b,c) - MAX(a, b)", "min(a, b, c) - max(a, b)"),
            ("min + max", "min + max"),
            ("threshold(min)", "threshold(min)"),
            ("v1\n  +\tv2\r\n", "v1 + v2"),
            // From the demo's indicator specs.
            (r#"(v_inkomen_tot / v_aangiften) / (data_from_period(v_inkomen_tot, "-5") / data_from_period(v_aangiften, "-5")) * 100 - 100"#,
             r#"v_inkomen_tot / v_aangiften / (data_from_period(v_inkomen_tot, "-5") / data_from_period(v_aangiften, "-5")) * 100 - 100"#),
            ("(cell(kubus_bevolking, 0-19) + cell(kubus_bevolking, 65+)) / cell(kubus_bevolking, 20-64) * 100",
             "(cell(kubus_bevolking, 0-19) + cell(kubus_bevolking, 65+)) / cell(kubus_bevolking, 20-64) * 100"),
        ];
        for (input, want) in cases {
            let e = parse(input);
            assert_eq!(e.to_string(), want, "{input:?}");
            assert_eq!(parse(want), e, "canonical text of {input:?} parses back");
        }
    }

    #[rustfmt::skip]
    #[test]
    fn precedence_and_associativity() {
        let cases = [
            ("a - b - c", "(- (- a b) c)"),
            ("a / b * c", "(* (/ a b) c)"),
            ("a + b * c", "(+ a (* b c))"),
            ("(a + b) * c", "(* (+ a b) c)"),
            ("-a * b", "(* (neg a) b)"),
            ("2 * -3", "(* 2 (neg 3))"),
            ("-2 - -3", "(- (neg 2) (neg 3))"),
            ("a * b + c / d - e", "(- (+ (* a b) (/ c d)) e)"),
            ("a - (b - c)", "(- a (- b c))"),
            ("--a", "(neg (neg a))"),
            ("max(a, -b) * 2", "(* (max a (neg b)) 2)"),
        ];
        for (input, want) in cases {
            assert_eq!(shape(&parse(input)), want, "{input:?}");
        }
    }

    #[test]
    fn tree_of_the_special_functions() {
        let m = |level: Option<&str>, member: &str| MemberSpec {
            level: level.map(Into::into),
            member: member.into(),
        };
        let cases = [
            (
                r#"data_from_period(v1, "-4")"#,
                Expr::Shift {
                    var: "v1".into(),
                    offset: -4,
                },
            ),
            (
                "data_from_mrp(v1, 2)",
                Expr::Mrp {
                    var: "v1".into(),
                    n: 2,
                },
            ),
            ("threshold(v2)", Expr::Threshold("v2".into())),
            (
                r#"cell(kubus_bevolking, 0-4, "geslacht=m", leeftijd3=65+)"#,
                Expr::Cell {
                    cube: "kubus_bevolking".into(),
                    members: vec![
                        m(None, "0-4"),
                        m(Some("geslacht"), "m"),
                        m(Some("leeftijd3"), "65+"),
                    ],
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), want, "{input:?}");
        }
        assert_eq!([0, 1, 2, 5].map(mrp_index), [0, 0, 1, 4]);
    }

    const VALUE: &str = "expected a number, an indicator code, a function or '('";
    const OPERATOR: &str = "expected an operator (+ - * /) or the end of the formula";
    const KNOWN: &str =
        "known: sqrt, abs, round, min, max, sum, data_from_period, data_from_mrp, cell, threshold";
    const UNCLOSED: &str = "every '(' needs a matching ')'";

    /// Each error's one-line summary; the position in it comes from `FormulaError::pos`.
    #[rustfmt::skip]
    #[test]
    fn errors_say_what_and_where() {
        let cases = [
            ("", "empty formula".to_string()),
            (" \n\t", "empty formula".to_string()),
            ("(a + b", format!("unclosed '(' at position 0 ({UNCLOSED})")),
            ("a +\n  (b * c", format!("unclosed '(' at position 6 ({UNCLOSED})")),
            ("min(a, b", format!("unclosed '(' at position 3 ({UNCLOSED})")),
            ("cell(kubus, 65+", format!("unclosed '(' at position 4 ({UNCLOSED})")),
            (r#"data_from_period(x, "-1""#, format!("unclosed '(' at position 16 ({UNCLOSED})")),
            ("(v1 + v2) * v3)", format!("unexpected ')' at position 14 ({OPERATOR})")),
            ("a b", format!("unexpected 'b' at position 2 ({OPERATOR})")),
            ("2 (3)", format!("unexpected '(' at position 2 ({OPERATOR})")),
            ("a, b", format!("unexpected ',' at position 1 ({OPERATOR})")),
            ("a +", format!("unexpected end of formula at position 3 ({VALUE})")),
            ("a * / b", format!("unexpected '/' at position 4 ({VALUE})")),
            ("()", format!("unexpected ')' at position 1 ({VALUE})")),
            ("a # b", "unexpected character '#' at position 2 (a formula consists of numbers, indicator codes, + - * /, parentheses and functions)".into()),
            ("a ^ 2", "unexpected character '^' at position 2 (a formula consists of numbers, indicator codes, + - * /, parentheses and functions)".into()),
            ("\"a\" + 1", "unexpected '\"' at position 0 (quotes are only used around the offset of data_from_period and the members of cell)".into()),
            ("2abc", "'2abc' is neither a number nor an indicator code at position 0 (indicator codes cannot start with a digit)".into()),
            ("1.2.3", "'1.2.3' is neither a number nor an indicator code at position 0 (indicator codes cannot start with a digit)".into()),
            ("1e999", "number too large at position 0".into()),
            ("sqr(x)", format!("unknown function 'sqr' at position 0 ({KNOWN})")),
            ("v1 (v2)", format!("unknown function 'v1' at position 0 ({KNOWN})")),
            ("min(a)", "too few arguments for min at position 0 (min needs at least two values, e.g. min(v1, v2))".into()),
            ("1 + max()", "too few arguments for max at position 4 (max needs at least two values, e.g. max(v1, v2))".into()),
            ("sqrt(a, b)", "too many arguments for sqrt at position 0 (sqrt takes one value, e.g. sqrt(v1))".into()),
            ("round(a, 1, 2)", "too many arguments for round at position 0 (round takes a value and optionally the number of decimals, e.g. round(v1, 1))".into()),
            ("min(a, , b)", "empty argument in min at position 7 (write a value between the commas)".into()),
            ("min(a,)", "empty argument in min at position 6 (write a value between the commas)".into()),
            ("min(a b)", "unexpected 'b' at position 6 (expected an operator (+ - * /), ',' or ')')".into()),
            (r#"data_from_period(x, "abc")"#, "'abc' is not a period offset at position 20 (write an offset like \"-1\" for the previous period or \"+1\" for the next)".into()),
            ("data_from_period(x, 1.5)", "'1.5' is not a period offset at position 20 (write an offset like \"-1\" for the previous period or \"+1\" for the next)".into()),
            (r#"data_from_period(x, "2015")"#, "'2015' is too far for a period offset at position 20 (data_from_period counts periods from the current one (\"-1\", \"+1\"); a fixed period such as 2015 is not supported)".into()),
            (r#"data_from_period(5, "-1")"#, "data_from_period needs an indicator code as first argument at position 17 (e.g. data_from_period(v1101_t, \"-1\"))".into()),
            (r#"data_from_period(x + 1, "-1")"#, "data_from_period needs an indicator code as first argument at position 17 (e.g. data_from_period(v1101_t, \"-1\"))".into()),
            ("data_from_period(x)", "data_from_period needs a period offset as second argument at position 18 (e.g. data_from_period(v1101_t, \"-1\"))".into()),
            (r#"data_from_period(x, "")"#, "data_from_period needs a period offset as second argument at position 20".into()),
            (r#"data_from_period(x, "-1", 2)"#, "too many arguments for data_from_period at position 24 (data_from_period takes an indicator code and a period offset)".into()),
            (r#"data_from_period(x, "-1)"#, "unclosed quote at position 20 (a '\"' needs a matching '\"')".into()),
            ("data_from_mrp(x, -1)", "'-1' is not a number of periods at position 17 (data_from_mrp counts back from the most recent period: 0 or 1 is the most recent, 2 the one before, and so on)".into()),
            ("data_from_mrp(2, 1)", "data_from_mrp needs an indicator code as first argument at position 14 (e.g. data_from_mrp(v1101_t, 1))".into()),
            ("threshold(a, b)", "too many arguments for threshold at position 11 (threshold takes one indicator code)".into()),
            ("threshold(a * 2)", "threshold needs an indicator code as first argument at position 10 (e.g. threshold(v1101_nietbelg))".into()),
            ("cell()", "cell needs a cube code as first argument at position 5 (e.g. cell(kubus_bevolking, 65+))".into()),
            ("cell(kubus_bevolking)", "cell needs at least one member after the cube code at position 20 (e.g. cell(kubus_bevolking, 65+); for the whole cube, write the cube's code without cell())".into()),
            ("cell(kubus, )", "cell needs a member code here at position 12 (e.g. cell(kubus_bevolking, 65+))".into()),
            ("cell(kubus, 65+,)", "cell needs a member code here at position 16 (e.g. cell(kubus_bevolking, 65+))".into()),
            (r#"cell(kubus, "")"#, "cell needs a member code here at position 12 (e.g. cell(kubus_bevolking, 65+))".into()),
            ("cell(kubus, =65+)", "missing dimension level before '=' at position 12 (e.g. cell(kubus_bevolking, leeftijd3=65+))".into()),
            ("cell(kubus, leeftijd3=)", "missing member after '=' at position 12 (e.g. cell(kubus_bevolking, leeftijd3=65+))".into()),
            (r#"cell(kubus, a"b"c)"#, "a member code cannot contain '\"' at position 12".into()),
        ];
        for (input, want) in cases {
            match Formula::parse(input) {
                Ok(f) => panic!("{input:?} should not parse, got {}", f.expr),
                Err(e) => assert_eq!(e.summary(), want, "{input:?}"),
            }
        }
    }

    #[rustfmt::skip]
    #[test]
    fn error_display_points_at_the_place() {
        let cases = [
            ("(v1 + v2) * v3)", format!("unexpected ')' at position 14 ({OPERATOR})\n  (v1 + v2) * v3)\n                ^")),
            ("a +", format!("unexpected end of formula at position 3 ({VALUE})\n  a +\n     ^")),
            ("v1 +\n\tsqr(v2)", format!("unknown function 'sqr' at position 6 ({KNOWN})\n  \tsqr(v2)\n  \t^")),
            ("", "empty formula".to_string()),
        ];
        for (input, want) in cases {
            assert_eq!(Formula::parse(input).unwrap_err().to_string(), want, "{input:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        let message = |s: &str| Formula::parse(s).unwrap_err().message;
        assert_eq!(parse(&nested(MAX_NESTING)), Expr::Ref("a".into()));
        assert_eq!(
            message(&nested(MAX_NESTING + 1)),
            "formula nested too deeply"
        );
        assert_eq!(message(&"-".repeat(500)), "formula nested too deeply");
        assert_eq!(message(&"sqrt(".repeat(500)), "formula nested too deeply");
        assert_eq!(
            message(&vec!["a"; MAX_DEPTH + 1].join(" + ")),
            "formula too long"
        );
        let sum = parse(&vec!["a"; MAX_DEPTH].join(" + "));
        assert_eq!(parse(&sum.to_string()), sum);
    }

    /// References as `code:kind` words.
    fn refs(f: &Formula) -> String {
        let words: Vec<String> = f
            .references()
            .iter()
            .map(|r| format!("{}:{:?}", r.code, r.kind))
            .collect();
        words.join(" ")
    }

    #[rustfmt::skip]
    #[test]
    fn references_and_frame() {
        // formula, references, frame references
        let cases = [
            ("v1 / v2 * 100", "v1:Plain v2:Plain", "v1 v2"),
            ("v2 + v1 + v2", "v1:Plain v2:Plain", "v1 v2"),
            (r#"data_from_period(x,"+1") + x - x"#, "x:Plain x:Shift", "x"),
            (r#"data_from_period(x, "-1")"#, "x:Shift", ""),
            ("data_from_mrp(x, 1) / y", "x:Mrp y:Plain", "y"),
            ("cell(kubus_bevolking, 65+) / v1101_t * 100", "kubus_bevolking:Cell v1101_t:Plain", "kubus_bevolking v1101_t"),
            ("threshold(v2)/v3", "v2:Threshold v3:Plain", "v2 v3"),
            ("round(max(a, threshold(a)), 1)", "a:Plain a:Threshold", "a"),
            ("100", "", ""),
        ];
        for (input, want_refs, want_frame) in cases {
            let f = Formula::parse(input).unwrap();
            assert_eq!(refs(&f), want_refs, "{input:?}");
            assert_eq!(f.frame_references().join(" "), want_frame, "{input:?}");
        }
    }

    fn set(formulas: &[(&str, &str)]) -> Vec<(String, Formula)> {
        formulas
            .iter()
            .map(|(c, f)| (c.to_string(), Formula::parse(f).unwrap()))
            .collect()
    }

    #[test]
    fn checking_a_set_of_formulas() {
        let formulas = set(&[
            ("vp_a", "v1 / v2 * 100"),
            ("vp_b", "vp_a + v_onbekend"),
            ("c1", "c2 + 1"),
            ("c2", r#"data_from_period(c3, "-1")"#),
            ("c3", "threshold(c1) * cell(kubus_x, 65+)"),
            ("self", "self + 1"),
            ("vp_a", "v1"),
        ]);
        let known = |c: &str| ["v1", "v2"].contains(&c);
        let problems: Vec<String> = check_formulas(&formulas, &known)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            problems,
            [
                "the formula of 'vp_b' reads 'v_onbekend', which is not a known indicator",
                "the formula of 'c3' reads 'kubus_x', which is not a known indicator",
                "'vp_a' has more than one formula",
                "formulas read each other in a circle: c1 → c2 → c3 → c1",
                "formulas read each other in a circle: self → self",
            ]
        );
        let fine = set(&[("b", "a * 2"), ("a", "v1 + 1")]);
        assert!(check_formulas(&fine, &known).is_empty());
    }

    #[rustfmt::skip]
    #[test]
    fn evaluation_order_puts_dependencies_first() {
        // formulas, the order or "cycle: …"
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("b", "a * 2"), ("a", "v1 + 1"), ("c", "a + b")], "a b c"),
            (&[("z", "v1"), ("y", "z"), ("x", "v2")], "x z y"),
            (&[("b", r#"data_from_period(a, "-1")"#), ("a", "v1")], "a b"),
            (&[], ""),
            (&[("x", "v1"), ("c1", "c2"), ("c2", "c3"), ("c3", "cell(c1, 65+)")], "cycle: c1 c2 c3 c1"),
            (&[("a", r#"a + data_from_period(a, "-1")"#)], "cycle: a a"),
        ];
        for (formulas, want) in cases {
            let got = match evaluation_order(&set(formulas)) {
                Ok(order) => order.join(" "),
                Err(cycle) => format!("cycle: {}", cycle.join(" ")),
            };
            assert_eq!(got, want, "{formulas:?}");
        }
    }

    fn code() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_.]{0,8}"
    }

    /// Members with the characters that force quoting; never `"` or `=`, which no parsed
    /// member holds.
    fn member() -> impl Strategy<Value = MemberSpec> {
        (
            proptest::option::of("[a-z][a-z0-9]{0,5}"),
            "[a-z0-9+-]([a-z0-9+ ,()-]{0,5}[a-z0-9+-])?",
        )
            .prop_map(|(level, member)| MemberSpec { level, member })
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            (0u32..100_000).prop_map(|n| Expr::Num(n as f64)),
            (0.0f64..1e6).prop_map(Expr::Num),
            code().prop_map(Expr::Ref),
            (code(), -12i64..=12).prop_map(|(var, offset)| Expr::Shift { var, offset }),
            (code(), 0u32..6).prop_map(|(var, n)| Expr::Mrp { var, n }),
            (code(), proptest::collection::vec(member(), 1..4))
                .prop_map(|(cube, members)| Expr::Cell { cube, members }),
            code().prop_map(Expr::Threshold),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 64, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
                (0usize..4, inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::Bin {
                    op: [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div][op],
                    left: Box::new(l),
                    right: Box::new(r),
                }),
                (0usize..5, proptest::collection::vec(inner, 1..4)).prop_map(|(f, mut args)| {
                    let func = Func::ALL[f];
                    let (min, max, _) = func.arity();
                    args.truncate(max);
                    while args.len() < min {
                        args.push(args[0].clone());
                    }
                    Expr::Call { func, args }
                }),
            ]
        })
    }

    /// Strings made of formula pieces, to reach the deeper paths of the parser.
    fn formula_like() -> impl Strategy<Value = String> {
        let pieces = [
            "a",
            "v1",
            "1",
            "2.5",
            "1e3",
            "+",
            "-",
            "*",
            "/",
            "(",
            ")",
            ",",
            " ",
            "\n",
            "\"",
            "\"-1\"",
            "65+",
            "=",
            "sqrt(",
            "min(",
            "round(",
            "data_from_period(",
            "data_from_mrp(",
            "cell(",
            "threshold(",
            "#",
            "é",
            ".",
        ];
        proptest::collection::vec(proptest::sample::select(pieces.to_vec()), 0..16)
            .prop_map(|p| p.concat())
    }

    proptest::proptest! {
        #[test]
        fn display_parses_back_to_the_same_tree(e in expr()) {
            let text = e.to_string();
            prop_assert_eq!(Formula::parse(&text).map(|f| f.expr), Ok(e), "{}", text);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = Formula::parse(&s).map_err(|e| e.to_string());
        }

        #[test]
        fn whatever_parses_has_a_canonical_text(s in formula_like()) {
            match Formula::parse(&s) {
                Ok(f) => {
                    let text = f.expr.to_string();
                    prop_assert_eq!(Formula::parse(&text).map(|g| g.expr), Ok(f.expr), "{:?} → {}", s, text);
                }
                Err(e) => {
                    prop_assert!(e.pos <= s.len() && s.is_char_boundary(e.pos), "{:?}: {}", s, e);
                    let _ = e.to_string();
                }
            }
        }
    }
}
