//! PDF reports for Peil: a Markdown body plus SVG/PNG figures, typeset by [Typst] embedded as a
//! library (no external process, no files on disk).
//!
//! # Use
//! Build a [`Report`] and call [`pdf`]. The story and dashboard engine writes the body as
//! Markdown (CommonMark with GFM tables and strikethrough; see [`markdown_to_typst`] for every
//! construct) and draws its charts and maps with `peil-render`.
//!
//! # Figures
//! Figures live in [`Report::files`], a map from a file name to its bytes (`"fig-1.svg"`,
//! `"logo.png"`). The Markdown refers to them by that name: `![Inwoners per wijk](fig-1.svg)`
//! becomes a captioned figure. Typst reads SVG (through usvg, the same version as peil-render's
//! resvg), PNG, JPEG, GIF and WebP. A name the Markdown uses that is not in the map fails the
//! report with a [`ReportError`] naming the file and the Markdown line. A file named `logo.svg`
//! or `logo.png` is also shown on the cover.
//!
//! # Determinism
//! The same report gives byte-identical PDF bytes: the PDF's creation date is [`Report::date`]
//! (a [`time::Date`] value, written on the cover in the report's language by
//! [`peil_core::date::label`]), Typst's `datetime.today()` answers that same date, and the
//! document identifier is derived from the title and publisher.
//!
//! # Fonts
//! Typst's bundled fonts (Libertinus Serif, New Computer Modern, DejaVu Sans Mono) plus the
//! system's sans-serif fonts under `/usr/share/fonts` (Debian's `fonts-dejavu-core` gives DejaVu
//! Sans), loaded once per process. Body text is set in DejaVu Sans when present, else in
//! Libertinus Serif; a missing system font directory is not an error.
//!
//! # Accessibility and conformance
//! Reports are tagged PDFs (headings, lists, tables, figures with their captions as alternative
//! text, header and footer as artifacts) with title, author and language set. [`pdf`] asks for
//! PDF/A-2b together with PDF/UA-1; when Typst's validator refuses the document for one of
//! them (for example a Markdown heading level that skips one, which PDF/UA forbids) it falls
//! back to PDF/A-2b alone, then to a plain tagged PDF; [`pdf_with_conformance`] says which.
//!
//! # Memory
//! Typst memoizes work in process-wide caches (comemo). Every compile ends with an eviction of
//! entries unused for the last few compiles, so a long-running server that renders hundreds of
//! reports keeps a bounded cache.
//!
//! [Typst]: https://typst.app

mod markdown;
mod world;

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;

use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::Datetime;
use typst::{World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use markdown::{escape_text, string_literal};

/// Everything a report needs. Figures are referenced from the Markdown by file name.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// The report's title: on the cover, in the page header and in the PDF's metadata.
    pub title: &'a str,
    /// A line under the title, e.g. the area's name and the comparison area.
    pub subtitle: &'a str,
    /// The site's name, on the cover and in the footer; the PDF's author.
    pub publisher: &'a str,
    /// The report's date: on the cover in the report's language ("28 november 2026") and the
    /// PDF's creation date.
    pub date: time::Date,
    /// `"nl"`, `"en"` or `"fr"`: Typst's `text(lang:)` (hyphenation, quotes) and the report's
    /// own words ("Inhoud", "Pagina N van M", "Bronnen"). Another valid ISO 639 code is passed
    /// to Typst with English words; an invalid one falls back to `"nl"`.
    pub lang: &'a str,
    /// A4 landscape, else A4 portrait.
    pub landscape: bool,
    /// A cover page (title, subtitle, publisher, date). Without it the first page starts with
    /// the title.
    pub cover: bool,
    /// A table of contents (Typst outline, headings of level 1 to 3) after the cover.
    pub toc: bool,
    /// The body: CommonMark + GFM tables; see [`markdown_to_typst`].
    pub markdown: &'a str,
    /// Figures by name: `"fig-1.svg"`, `"logo.png"`.
    pub files: &'a HashMap<String, Vec<u8>>,
    /// Source notes listed at the end under "Bronnen"/"Sources" (inline Markdown: links and
    /// emphasis work, everything else is literal).
    pub sources: &'a [String],
    /// Colour of headings and rules, `#rrggbb` or `#rgb`; anything else falls back to
    /// [`DEFAULT_ACCENT`].
    pub accent: &'a str,
}

/// The accent colour used when [`Report::accent`] is not a valid hex colour.
pub const DEFAULT_ACCENT: &str = "#00536f";

/// A report that could not be typeset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    /// What went wrong, with Typst's hints.
    pub message: String,
    /// For [`pdf`]: the 1-based line in the Markdown body when the problem lies there (e.g. a
    /// missing figure); `None` when it lies in the generated frame. For [`compile`]: the line in
    /// the Typst source.
    pub line: Option<usize>,
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ReportError {}

/// The PDF standards a produced PDF conforms to (see the crate documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conformance {
    /// PDF/A-2b and PDF/UA-1 (tagged).
    PdfA2bUa1,
    /// PDF/A-2b (tagged).
    PdfA2b,
    /// A plain tagged PDF 1.7.
    Tagged,
}

/// Markdown → Typst markup.
///
/// - Text is escaped so it is always typeset literally: `\ / [ ] # $ * _ ` < > @ ~ = - +` get
///   a backslash, and so does `.` after a digit or dot (list markers, `...`). Straight quotes
///   stay and become the language's typographic quotes.
/// - `#`/`##`/`###` headings → `=`/`==`/`===`; paragraphs; `**bold**` → `#strong[..]`,
///   `*italic*` → `#emph[..]`, `~~struck~~` → `#strike[..]`; `` `code` `` → `#raw(..)`.
/// - Bullet and numbered lists (nested, keeping the start number) → `#list(..)`/`#enum(..)`.
/// - GFM tables → `#table(..)` with a `table.header` row; a column whose body cells are all
///   numbers (or missing-value symbols `x ? - nvt`) is right-aligned, as is any numeric cell;
///   group separators in numbers become narrow no-break spaces. Explicit GFM alignment wins.
/// - `![caption](name)` alone in a paragraph → `#figure(image("name", width: 100%, alt:
///   "caption"), caption: [caption])`; a heading directly followed by such a figure is wrapped
///   with it in `#block(breakable: false)[..]`. An image inside text is an inline box of text
///   height.
/// - `[text](url)` → `#link("url")[text]` (fragment links keep only their text).
/// - `---` (a thematic break) → `#pagebreak(weak: true)`: stories force page breaks with it.
/// - Block quotes → a shaded `#block` (for notes). Other fenced code → `#raw(.., block: true)`.
/// - A fenced code block with info string `typst-grid N` (N = 1..4) holds one image per line
///   and becomes a `#grid` of N equal columns, each figure unbreakable with its caption.
/// - HTML blocks and inline HTML are dropped.
pub fn markdown_to_typst(md: &str) -> String {
    markdown::convert(md).typst
}

/// The report's words in its language.
struct Words {
    contents: &'static str,
    page: &'static str,
    of: &'static str,
    sources: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "nl" => Words {
            contents: "Inhoud",
            page: "Pagina",
            of: "van",
            sources: "Bronnen",
        },
        "fr" => Words {
            contents: "Table des matières",
            page: "Page",
            of: "sur",
            sources: "Sources",
        },
        _ => Words {
            contents: "Contents",
            page: "Page",
            of: "of",
            sources: "Sources",
        },
    }
}

fn valid_lang(lang: &str) -> &str {
    let l = lang.trim();
    if (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()) {
        l
    } else {
        "nl"
    }
}

fn valid_accent(accent: &str) -> &str {
    let a = accent.trim();
    match a.strip_prefix('#') {
        Some(hex) if matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) => a,
        _ => DEFAULT_ACCENT,
    }
}

/// Content brackets holding escaped text.
fn content(text: &str) -> String {
    format!("[{}]", escape_text(text))
}

/// The source and where the body starts in it.
struct Built {
    source: String,
    body_offset: usize,
    body: markdown::Converted,
    today: Option<Datetime>,
}

fn build(report: &Report) -> Built {
    let lang = valid_lang(report.lang);
    let w = words(lang);
    let accent = valid_accent(report.accent);
    let (y, m, d) = (
        report.date.year(),
        u8::from(report.date.month()),
        report.date.day(),
    );
    let mut fonts: Vec<&str> = ["DejaVu Sans", "Libertinus Serif"]
        .into_iter()
        .filter(|f| world::has_family(f))
        .collect();
    if fonts.is_empty() {
        fonts.push("Libertinus Serif");
    }
    let font_list = fonts
        .iter()
        .map(|f| string_literal(f))
        .collect::<Vec<_>>()
        .join(", ");
    let title = content(report.title);
    let subtitle = content(report.subtitle);
    let publisher = content(report.publisher);
    let date_content = content(&peil_core::date::label(report.date, report.lang));
    let doc_date = format!("datetime(year: {y}, month: {m}, day: {d})");

    let mut s = String::with_capacity(4096 + report.markdown.len() * 2);
    let _ = write!(
        s,
        r##"// Generated by peil-report.
#let accent = rgb("{accent}")
#set document(title: {title}, author: {author}, date: {doc_date})
#set text(font: ({font_list},), size: 10pt, lang: "{lang}")
#set par(leading: 0.62em, spacing: 1em)
#set page(
  paper: "a4",
  flipped: {landscape},
  margin: (x: 2cm, top: 2.4cm, bottom: 2.2cm),
  header: block(width: 100%, inset: (bottom: 4pt), stroke: (bottom: 0.5pt + accent))[
    #set text(size: 8pt, fill: luma(90))
    #{title} #h(1fr) #{subtitle}
  ],
  footer: context [
    #set text(size: 8pt, fill: luma(90))
    #{publisher} #h(1fr) {page} #counter(page).display() {of} #counter(page).final().first()
  ],
)
#show heading: set text(fill: accent)
#show heading.where(level: 1): set text(size: 16pt)
#show heading.where(level: 2): set text(size: 13pt)
#show heading.where(level: 3): set text(size: 11pt)
#show heading: set block(above: 1.4em, below: 0.8em)
#show title: set text(size: 26pt, fill: accent)
#show link: set text(fill: accent)
#show table: set text(size: 9pt)
#set table(
  inset: (x: 5pt, y: 4pt),
  stroke: (x, y) => if y == 0 {{ (bottom: 0.8pt + accent) }} else {{ (bottom: 0.3pt + luma(200)) }},
  fill: (x, y) => if y == 0 {{ accent.lighten(88%) }},
)
#show table.cell.where(y: 0): set text(weight: "bold")
#show figure.caption: set text(size: 9pt, fill: luma(60))
#set figure(gap: 0.6em)
// A figure never takes more than 72 % of the page's height (a map in landscape would
// otherwise run off the page): narrower, so its full-width image keeps its aspect ratio.
#show figure.where(kind: image): it => layout(size => {{
  let h = measure(block(width: size.width, it.body)).height
  let limit = size.height * 72%
  if h > limit {{ block(width: 100%, align(center, block(width: size.width * (limit / h), it))) }} else {{ it }}
}})
#show outline.entry.where(level: 1): set text(weight: "bold")
#set outline(depth: 3)
"##,
        author = string_literal(report.publisher),
        landscape = report.landscape,
        page = escape_text(w.page),
        of = escape_text(w.of),
    );

    let logo = ["logo.svg", "logo.png"]
        .into_iter()
        .find(|n| report.files.contains_key(*n));
    if report.cover {
        s.push_str("#page(header: none, footer: none)[\n");
        if let Some(logo) = logo {
            let _ = writeln!(
                s,
                "  #image({}, height: 1.6cm, alt: {})",
                string_literal(logo),
                string_literal(report.publisher)
            );
        }
        let _ = write!(
            s,
            r#"  #v(1fr)
  #line(length: 4cm, stroke: 4pt + accent)
  #v(6mm)
  #title{title}
  #text(size: 15pt, fill: luma(50)){subtitle}
  #v(2fr)
  #text(size: 12pt, weight: "bold", fill: accent){publisher} \
  #text(size: 11pt){date_content}
]
#counter(page).update(1)
"#
        );
    } else {
        let _ = write!(
            s,
            r#"#title{title}
#text(size: 13pt, fill: luma(50)){subtitle} \
#text(size: 9pt, fill: luma(90)){publisher} · #{date_content}
#v(1em)
"#
        );
    }
    if report.toc {
        let _ = writeln!(
            s,
            "#outline(title: {})\n#pagebreak(weak: true)",
            content(w.contents)
        );
    }
    s.push_str("\n// Body.\n");
    let body = markdown::convert(report.markdown);
    let body_offset = s.len();
    s.push_str(&body.typst);
    if !report.sources.is_empty() {
        let _ = write!(
            s,
            "\n\n= {}\n\n#set text(size: 9pt)\n#list(tight: true",
            escape_text(w.sources)
        );
        for source in report.sources {
            let _ = write!(s, ",\n  [{}]", markdown::inline_markup(source));
        }
        s.push_str(",\n);\n");
    }
    let today = Datetime::from_ymd(y, m, d);
    Built {
        source: s,
        body_offset,
        body,
        today,
    }
}

/// The whole Typst document for a report.
///
/// A4 (landscape when asked) with margins of 2 cm (2.4 cm top for the header); a header with
/// the title and subtitle over an accent rule; a footer with the publisher and "Pagina N van M"
/// ("Page N of M", "Page N sur M"); the cover (not numbered: numbering starts at 1 after it);
/// the outline; the body from [`markdown_to_typst`]; the source notes. `document(title:,
/// author:, date:)` and `text(lang:)` are set so the tagged PDF carries title, author, date and
/// language.
pub fn typst_source(report: &Report) -> String {
    build(report).source
}

/// Compiles a report to PDF bytes (see [`pdf_with_conformance`] for the standards).
pub fn pdf(report: &Report) -> Result<Vec<u8>, ReportError> {
    pdf_with_conformance(report).map(|(bytes, _)| bytes)
}

/// Compiles a report to PDF bytes and says which PDF standards they conform to: PDF/A-2b with
/// PDF/UA-1 when Typst's validators accept the document, else PDF/A-2b, else a plain tagged
/// PDF.
pub fn pdf_with_conformance(report: &Report) -> Result<(Vec<u8>, Conformance), ReportError> {
    let built = build(report);
    let world = world::MemoryWorld::new(&built.source, report.files, built.today);
    let result = typeset(&world, |diag| {
        let range = world.range(diag.span)?;
        let in_main = diag.span.id() == Some(world.main());
        if !in_main || range.start < built.body_offset {
            return None;
        }
        built.body.line_at(range.start - built.body_offset)
    });
    finish();
    result
}

/// Compiles raw Typst source with in-memory files (lower level, for tests and custom
/// layouts). The files are reachable by name from the source (`image("fig-1.svg")`,
/// `include "part.typ"`). Errors carry the line in `source`. The PDF is tagged; no PDF/A or
/// PDF/UA conformance is requested (a custom layout may not meet them).
pub fn compile(source: &str, files: &HashMap<String, Vec<u8>>) -> Result<Vec<u8>, ReportError> {
    let world = world::MemoryWorld::new(source, files, None);
    let document = typst::compile::<PagedDocument>(&world).output;
    let result = match document {
        Ok(document) => typst_pdf::pdf(&document, &PdfOptions::default())
            .map_err(|diags| error(&diags, |d| source_line(&world, d))),
        Err(diags) => Err(error(&diags, |d| source_line(&world, d))),
    };
    finish();
    result
}

fn source_line(world: &world::MemoryWorld, diag: &SourceDiagnostic) -> Option<usize> {
    if diag.span.id() != Some(world.main()) {
        return None;
    }
    let range = world.range(diag.span)?;
    world
        .main_source()
        .lines()
        .byte_to_line(range.start)
        .map(|l| l + 1)
}

fn typeset(
    world: &world::MemoryWorld,
    line_of: impl Fn(&SourceDiagnostic) -> Option<usize>,
) -> Result<(Vec<u8>, Conformance), ReportError> {
    let document = typst::compile::<PagedDocument>(world)
        .output
        .map_err(|diags| error(&diags, &line_of))?;
    let attempts: [(&[PdfStandard], Conformance); 3] = [
        (
            &[PdfStandard::A_2b, PdfStandard::Ua_1],
            Conformance::PdfA2bUa1,
        ),
        (&[PdfStandard::A_2b], Conformance::PdfA2b),
        (&[], Conformance::Tagged),
    ];
    let mut last = None;
    for (list, conformance) in attempts {
        let standards = match PdfStandards::new(list) {
            Ok(s) => s,
            Err(_) => continue,
        };
        let options = PdfOptions {
            standards,
            tagged: true,
            ..PdfOptions::default()
        };
        match typst_pdf::pdf(&document, &options) {
            Ok(bytes) => return Ok((bytes, conformance)),
            Err(diags) => last = Some(error(&diags, &line_of)),
        }
    }
    Err(last.unwrap_or_else(|| ReportError {
        message: "PDF export failed".into(),
        line: None,
    }))
}

/// Turns Typst's diagnostics into one error: the first error's message and hints, and how
/// many more errors there were.
fn error(
    diags: &[SourceDiagnostic],
    line_of: impl Fn(&SourceDiagnostic) -> Option<usize>,
) -> ReportError {
    let errors: Vec<&SourceDiagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let Some(first) = errors.first().or(diags.first().as_ref()).copied() else {
        return ReportError {
            message: "Typst failed without a diagnostic".into(),
            line: None,
        };
    };
    let mut message = first.message.to_string();
    for hint in &first.hints {
        let _ = write!(message, " (hint: {})", hint.v);
    }
    if errors.len() > 1 {
        let _ = write!(message, " (and {} more errors)", errors.len() - 1);
    }
    ReportError {
        message,
        line: line_of(first),
    }
}

/// Evicts memoized results not used in the last few compiles; called after every compile.
fn finish() {
    typst::comemo::evict(4);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accent_and_lang_are_validated() {
        assert_eq!(valid_accent("#00536f"), "#00536f");
        assert_eq!(valid_accent("#abc"), "#abc");
        assert_eq!(valid_accent("red\")#panic("), DEFAULT_ACCENT);
        assert_eq!(valid_accent("#12345"), DEFAULT_ACCENT);
        assert_eq!(valid_lang("fr"), "fr");
        assert_eq!(valid_lang("NL\""), "nl");
    }
}
