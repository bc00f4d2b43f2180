//! Markdown → Typst markup.
//!
//! The Markdown is parsed with pulldown-cmark into a small block/inline tree first, so the
//! writer can look ahead (a heading followed by a figure is kept together on one page). Every
//! piece of user text goes through [`escape_text`], so it can never become Typst markup; every
//! Typst construct this module writes is either line markup (`=` headings) or an embedded
//! `#function(..)[..];` call closed by a semicolon, so text that follows it cannot extend it.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::fmt::Write as _;

/// Typst markup produced from Markdown, with a map from output byte offsets to Markdown lines.
pub(crate) struct Converted {
    pub typst: String,
    /// `(byte offset in typst, 1-based line in the Markdown)`, sorted by offset.
    pub lines: Vec<(usize, usize)>,
}

impl Converted {
    /// The Markdown line of the construct that produced the Typst output at `offset`.
    pub fn line_at(&self, offset: usize) -> Option<usize> {
        let i = self.lines.partition_point(|&(o, _)| o <= offset);
        i.checked_sub(1).map(|i| self.lines[i].1)
    }
}

#[derive(Debug, Clone)]
enum Inline {
    Text(String),
    Code(String),
    Strong(Vec<Inline>),
    Emph(Vec<Inline>),
    Strike(Vec<Inline>),
    Link {
        url: String,
        body: Vec<Inline>,
    },
    Image {
        url: String,
        title: String,
        alt: Vec<Inline>,
    },
    Soft,
    Hard,
}

#[derive(Debug)]
enum Block {
    Heading {
        level: usize,
        body: Vec<Inline>,
        line: usize,
    },
    Para {
        body: Vec<Inline>,
        line: usize,
        explicit: bool,
    },
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
        line: usize,
    },
    Quote {
        blocks: Vec<Block>,
        line: usize,
    },
    Code {
        info: String,
        text: String,
        line: usize,
    },
    Table {
        aligns: Vec<Alignment>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        line: usize,
    },
    Rule {
        line: usize,
    },
}

type Events<'a> =
    std::iter::Peekable<pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>>;

/// Byte offset → 1-based line number.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset)
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

fn parse(md: &str) -> Vec<Block> {
    let index = LineIndex::new(md);
    let mut events = Parser::new_ext(md, options()).into_offset_iter().peekable();
    parse_blocks(&mut events, &index)
}

/// Parses blocks until the End event of the enclosing container (consumed) or the end of input.
fn parse_blocks(ev: &mut Events, index: &LineIndex) -> Vec<Block> {
    let mut blocks = Vec::new();
    // Inline content directly inside a container (tight list items) forms an implicit paragraph.
    let mut loose: Vec<Inline> = Vec::new();
    let mut loose_line = 0;
    let flush = |blocks: &mut Vec<Block>, loose: &mut Vec<Inline>, line: usize| {
        if !loose.is_empty() {
            blocks.push(Block::Para {
                body: std::mem::take(loose),
                line,
                explicit: false,
            });
        }
    };
    while let Some((event, range)) = ev.next() {
        let line = index.line(range.start);
        match event {
            Event::End(_) => break,
            Event::Start(Tag::Paragraph) => {
                flush(&mut blocks, &mut loose, loose_line);
                let body = parse_inlines(ev);
                blocks.push(Block::Para {
                    body,
                    line,
                    explicit: true,
                });
            }
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut blocks, &mut loose, loose_line);
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                let body = parse_inlines(ev);
                blocks.push(Block::Heading { level, body, line });
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush(&mut blocks, &mut loose, loose_line);
                let inner = parse_blocks(ev, index);
                blocks.push(Block::Quote {
                    blocks: inner,
                    line,
                });
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                flush(&mut blocks, &mut loose, loose_line);
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.trim().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut text = String::new();
                for (e, _) in ev.by_ref() {
                    match e {
                        Event::Text(t) => text.push_str(&t),
                        Event::End(_) => break,
                        _ => {}
                    }
                }
                blocks.push(Block::Code { info, text, line });
            }
            Event::Start(Tag::HtmlBlock) => {
                flush(&mut blocks, &mut loose, loose_line);
                skip_to_end(ev);
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut blocks, &mut loose, loose_line);
                let mut items = Vec::new();
                while let Some((e, _)) = ev.next() {
                    match e {
                        Event::Start(Tag::Item) => items.push(parse_blocks(ev, index)),
                        Event::End(_) => break,
                        _ => {}
                    }
                }
                blocks.push(Block::List { start, items, line });
            }
            Event::Start(Tag::Table(aligns)) => {
                flush(&mut blocks, &mut loose, loose_line);
                blocks.push(parse_table(ev, aligns, line));
            }
            Event::Start(Tag::FootnoteDefinition(_))
            | Event::Start(Tag::DefinitionList)
            | Event::Start(Tag::MetadataBlock(_)) => {
                flush(&mut blocks, &mut loose, loose_line);
                skip_to_end(ev);
            }
            Event::Rule => {
                flush(&mut blocks, &mut loose, loose_line);
                blocks.push(Block::Rule { line });
            }
            Event::Html(_) => {}
            other => {
                if loose.is_empty() {
                    loose_line = line;
                }
                if let Some(inline) = inline_event(other, ev) {
                    loose.push(inline);
                }
            }
        }
    }
    flush(&mut blocks, &mut loose, loose_line);
    blocks
}

fn skip_to_end(ev: &mut Events) {
    let mut depth = 1usize;
    for (e, _) in ev.by_ref() {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

fn parse_table(ev: &mut Events, aligns: Vec<Alignment>, line: usize) -> Block {
    let mut head = Vec::new();
    let mut rows: Vec<Vec<Vec<Inline>>> = Vec::new();
    let mut in_head = false;
    while let Some((e, _)) = ev.next() {
        match e {
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) => rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => {
                let cell = parse_inlines(ev);
                if in_head {
                    head.push(cell);
                } else if let Some(row) = rows.last_mut() {
                    row.push(cell);
                }
            }
            Event::End(TagEnd::Table) => break,
            _ => {}
        }
    }
    Block::Table {
        aligns,
        head,
        rows,
        line,
    }
}

/// Parses inline events until the End event of the enclosing tag (consumed).
fn parse_inlines(ev: &mut Events) -> Vec<Inline> {
    let mut out = Vec::new();
    while let Some((event, _)) = ev.next() {
        if let Event::End(_) = event {
            break;
        }
        if let Some(inline) = inline_event(event, ev) {
            out.push(inline);
        }
    }
    out
}

fn inline_event(event: Event, ev: &mut Events) -> Option<Inline> {
    Some(match event {
        Event::Text(t) => Inline::Text(t.to_string()),
        Event::Code(t) => Inline::Code(t.to_string()),
        Event::InlineMath(t) | Event::DisplayMath(t) => Inline::Text(t.to_string()),
        Event::SoftBreak => Inline::Soft,
        Event::HardBreak => Inline::Hard,
        Event::Start(Tag::Strong) => Inline::Strong(parse_inlines(ev)),
        Event::Start(Tag::Emphasis) => Inline::Emph(parse_inlines(ev)),
        Event::Start(Tag::Strikethrough) => Inline::Strike(parse_inlines(ev)),
        Event::Start(Tag::Link { dest_url, .. }) => Inline::Link {
            url: dest_url.to_string(),
            body: parse_inlines(ev),
        },
        Event::Start(Tag::Image {
            dest_url, title, ..
        }) => Inline::Image {
            url: dest_url.to_string(),
            title: title.to_string(),
            alt: parse_inlines(ev),
        },
        Event::Start(_) => {
            // Anything else inline (superscript, …) keeps its text.
            group(parse_inlines(ev))
        }
        _ => return None,
    })
}

/// A run of inlines as one inline (plain grouping).
fn group(inner: Vec<Inline>) -> Inline {
    let mut text = String::new();
    plain_text(&inner, &mut text);
    Inline::Text(text)
}

fn plain_text(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(v) | Inline::Emph(v) | Inline::Strike(v) => plain_text(v, out),
            Inline::Link { body, .. } => plain_text(body, out),
            Inline::Image { alt, .. } => plain_text(alt, out),
            Inline::Soft | Inline::Hard => out.push(' '),
        }
    }
}

/// Escapes text so that it is typeset literally in Typst markup.
///
/// Every character with a meaning in Typst markup is preceded by a backslash: `\ / [ ] # $ *
/// _ ` < > @ ~ = - +`, and `.` after a digit or a dot (`1.` list markers, `...` shorthand).
/// Straight quotes are left alone: Typst typesets them as the language's smart quotes, which is
/// typography, not markup. Line breaks and tabs become spaces; other control characters are
/// dropped.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(text, &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    let mut prev = out.chars().next_back().unwrap_or(' ');
    for c in text.chars() {
        match c {
            '\\' | '/' | '[' | ']' | '#' | '$' | '*' | '_' | '`' | '<' | '>' | '@' | '~' | '='
            | '-' | '+' => {
                out.push('\\');
                out.push(c);
            }
            '.' if prev.is_ascii_digit() || prev == '.' => out.push_str("\\."),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => continue,
            c => out.push(c),
        }
        prev = c;
    }
}

/// A Typst string literal.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Converts Markdown to Typst markup (see the crate's `markdown_to_typst`).
pub(crate) fn convert(md: &str) -> Converted {
    let blocks = parse(md);
    let mut w = Writer {
        out: String::with_capacity(md.len() * 2),
        lines: Vec::new(),
    };
    w.blocks(&blocks, "\n\n");
    if !w.out.ends_with('\n') && !w.out.is_empty() {
        w.out.push('\n');
    }
    Converted {
        typst: w.out,
        lines: w.lines,
    }
}

/// Converts inline Markdown (one paragraph) to Typst markup.
pub(crate) fn inline_markup(md: &str) -> String {
    let blocks = parse(md);
    let mut w = Writer {
        out: String::new(),
        lines: Vec::new(),
    };
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            w.out.push(' ');
        }
        match b {
            Block::Para { body, .. } | Block::Heading { body, .. } => w.inlines(body),
            _ => {
                let mut text = String::new();
                block_text(b, &mut text);
                escape_into(&text, &mut w.out);
            }
        }
    }
    w.out
}

fn block_text(b: &Block, out: &mut String) {
    match b {
        Block::Para { body, .. } | Block::Heading { body, .. } => plain_text(body, out),
        Block::List { items, .. } => items.iter().flatten().for_each(|b| block_text(b, out)),
        Block::Quote { blocks, .. } => blocks.iter().for_each(|b| block_text(b, out)),
        Block::Code { text, .. } => out.push_str(text),
        Block::Table { .. } | Block::Rule { .. } => {}
    }
}

struct Writer {
    out: String,
    lines: Vec<(usize, usize)>,
}

/// The images of a paragraph that holds nothing but images (and white space).
fn only_images(body: &[Inline]) -> Option<Vec<&Inline>> {
    let mut images = Vec::new();
    for i in body {
        match i {
            Inline::Image { .. } => images.push(i),
            Inline::Soft | Inline::Hard => {}
            Inline::Text(t) if t.trim().is_empty() => {}
            _ => return None,
        }
    }
    (!images.is_empty()).then_some(images)
}

impl Writer {
    fn mark(&mut self, line: usize) {
        self.lines.push((self.out.len(), line));
    }

    fn blocks(&mut self, blocks: &[Block], sep: &str) {
        let mut i = 0;
        let mut first = true;
        while i < blocks.len() {
            if !first {
                self.out.push_str(sep);
            }
            first = false;
            // A heading directly followed by a figure paragraph: keep them together.
            if let (
                Block::Heading { level, body, line },
                Some(Block::Para {
                    body: next,
                    line: next_line,
                    ..
                }),
            ) = (&blocks[i], blocks.get(i + 1))
                && let Some(images) = only_images(next)
            {
                self.mark(*line);
                self.out.push_str("#block(breakable: false)[\n");
                self.heading(*level, body);
                self.out.push_str("\n\n");
                self.mark(*next_line);
                self.figures(&images);
                self.out.push_str("\n]");
                i += 2;
                continue;
            }
            self.block(&blocks[i]);
            i += 1;
        }
    }

    fn heading(&mut self, level: usize, body: &[Inline]) {
        for _ in 0..level {
            self.out.push('=');
        }
        self.out.push(' ');
        self.inlines(body);
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading { level, body, line } => {
                self.mark(*line);
                self.heading(*level, body);
            }
            Block::Para { body, line, .. } => {
                self.mark(*line);
                match only_images(body) {
                    Some(images) => self.figures(&images),
                    None => self.inlines(body),
                }
            }
            Block::List { start, items, line } => {
                self.mark(*line);
                let tight = !items
                    .iter()
                    .flatten()
                    .any(|b| matches!(b, Block::Para { explicit: true, .. }));
                match start {
                    Some(n) => {
                        let _ = write!(self.out, "#enum(start: {n}, tight: {tight}");
                    }
                    None => {
                        let _ = write!(self.out, "#list(tight: {tight}");
                    }
                }
                for item in items {
                    self.out.push_str(",\n  [");
                    self.blocks(item, if tight { "\n" } else { "\n\n" });
                    self.out.push(']');
                }
                self.out.push_str(",\n);");
            }
            Block::Quote { blocks, line } => {
                self.mark(*line);
                self.out.push_str(
                    "#block(width: 100%, fill: luma(242), stroke: (left: 3pt + luma(170)), \
                     inset: (x: 10pt, y: 8pt), radius: (right: 3pt))[\n",
                );
                self.blocks(blocks, "\n\n");
                self.out.push_str("\n];");
            }
            Block::Code { info, text, line } => {
                self.mark(*line);
                if let Some(n) = grid_columns(info) {
                    self.grid(n, text, *line);
                } else {
                    let lang = info.split_whitespace().next().unwrap_or("");
                    let _ = write!(
                        self.out,
                        "#raw({}, block: true",
                        string_literal(text.trim_end_matches('\n'))
                    );
                    if !lang.is_empty() {
                        let _ = write!(self.out, ", lang: {}", string_literal(lang));
                    }
                    self.out.push_str(");");
                }
            }
            Block::Table {
                aligns,
                head,
                rows,
                line,
            } => {
                self.mark(*line);
                self.table(aligns, head, rows);
            }
            Block::Rule { line } => {
                self.mark(*line);
                self.out.push_str("#pagebreak(weak: true)");
            }
        }
    }

    fn figures(&mut self, images: &[&Inline]) {
        for (i, img) in images.iter().enumerate() {
            if i > 0 {
                self.out.push_str("\n\n");
            }
            self.figure(img);
        }
    }

    /// `#figure(image(..), caption: [..]);` for an image inline.
    fn figure(&mut self, img: &Inline) {
        let Inline::Image { url, title, alt } = img else {
            return;
        };
        let mut alt_text = String::new();
        plain_text(alt, &mut alt_text);
        let alt_text = alt_text.trim();
        let description = if !alt_text.is_empty() {
            alt_text
        } else if !title.trim().is_empty() {
            title.trim()
        } else {
            url.as_str()
        };
        let _ = write!(
            self.out,
            "#figure(image({}, width: 100%, alt: {})",
            string_literal(url),
            string_literal(description)
        );
        if !alt_text.is_empty() {
            self.out.push_str(", caption: [");
            self.inlines(alt);
            self.out.push(']');
        }
        self.out.push_str(");");
    }

    fn grid(&mut self, n: usize, text: &str, line: usize) {
        let _ = write!(
            self.out,
            "#grid(columns: (1fr,) * {n}, column-gutter: 1em, row-gutter: 1.2em"
        );
        for (k, row) in text.lines().enumerate() {
            let blocks = parse(row);
            for b in &blocks {
                let Block::Para { body, .. } = b else {
                    continue;
                };
                for img in body.iter().filter(|i| matches!(i, Inline::Image { .. })) {
                    self.mark(line + 1 + k);
                    self.out
                        .push_str(",\n  block(breakable: false, width: 100%)[");
                    self.figure(img);
                    self.out.push(']');
                }
            }
        }
        self.out.push_str(",\n);");
    }

    fn table(&mut self, aligns: &[Alignment], head: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>]) {
        let ncols = aligns
            .len()
            .max(head.len())
            .max(rows.iter().map(Vec::len).max().unwrap_or(0))
            .max(1);
        let texts: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        let mut s = String::new();
                        plain_text(c, &mut s);
                        s.trim().to_string()
                    })
                    .collect()
            })
            .collect();
        // Column alignment: explicit GFM alignment, else right when every filled body cell is a
        // number or a missing-value symbol (and at least one is a number).
        let col_align: Vec<&str> = (0..ncols)
            .map(
                |c| match aligns.get(c).copied().unwrap_or(Alignment::None) {
                    Alignment::Left => "left",
                    Alignment::Center => "center",
                    Alignment::Right => "right",
                    Alignment::None => {
                        let cells: Vec<&str> = texts
                            .iter()
                            .filter_map(|r| r.get(c))
                            .map(String::as_str)
                            .filter(|s| !s.is_empty())
                            .collect();
                        let numeric = cells.iter().any(|s| is_numeric(s));
                        if numeric && cells.iter().all(|s| is_numeric(s) || is_missing_symbol(s)) {
                            "right"
                        } else {
                            "left"
                        }
                    }
                },
            )
            .collect();
        let _ = write!(
            self.out,
            "#table(\n  columns: {ncols},\n  align: ({},),\n",
            col_align.join(", ")
        );
        if !head.is_empty() {
            self.out.push_str("  table.header(");
            for c in 0..ncols {
                if c > 0 {
                    self.out.push_str(", ");
                }
                self.out.push('[');
                if let Some(cell) = head.get(c) {
                    self.inlines(cell);
                }
                self.out.push(']');
            }
            self.out.push_str("),\n");
        }
        for (r, row) in rows.iter().enumerate() {
            self.out.push(' ');
            for (c, align) in col_align.iter().enumerate() {
                self.out.push(' ');
                let cell = row.get(c);
                let numeric = texts[r].get(c).is_some_and(|t| is_numeric(t));
                if numeric && *align == "left" {
                    self.out.push_str("table.cell(align: right)");
                }
                self.out.push('[');
                if let Some(cell) = cell {
                    if numeric {
                        // Keep a number on one line: group separators become narrow no-break spaces.
                        let mut s = String::new();
                        plain_text(cell, &mut s);
                        let s: String = s
                            .trim()
                            .chars()
                            .map(|ch| {
                                if ch == ' ' || ch == '\u{a0}' {
                                    '\u{202f}'
                                } else {
                                    ch
                                }
                            })
                            .collect();
                        escape_into(&s, &mut self.out);
                    } else {
                        self.inlines(cell);
                    }
                }
                self.out.push_str("],");
            }
            self.out.push('\n');
        }
        self.out.push_str(");");
    }

    fn inlines(&mut self, inlines: &[Inline]) {
        for inline in inlines {
            self.inline(inline);
        }
    }

    fn inline(&mut self, inline: &Inline) {
        match inline {
            Inline::Text(t) => escape_into(t, &mut self.out),
            Inline::Code(t) => {
                let _ = write!(self.out, "#raw({});", string_literal(t));
            }
            Inline::Strong(v) => self.wrapped("#strong[", v),
            Inline::Emph(v) => self.wrapped("#emph[", v),
            Inline::Strike(v) => self.wrapped("#strike[", v),
            Inline::Link { url, body } => {
                if url.starts_with('#') || url.is_empty() {
                    self.inlines(body);
                } else {
                    let _ = write!(self.out, "#link({})[", string_literal(url));
                    self.inlines(body);
                    self.out.push_str("];");
                }
            }
            Inline::Image { url, alt, title } => {
                let mut a = String::new();
                plain_text(alt, &mut a);
                let a = if a.trim().is_empty() {
                    if title.is_empty() {
                        url.as_str()
                    } else {
                        title.as_str()
                    }
                } else {
                    a.trim()
                };
                let _ = write!(
                    self.out,
                    "#box(image({}, height: 1em, alt: {}));",
                    string_literal(url),
                    string_literal(a)
                );
            }
            Inline::Soft => self.out.push(' '),
            Inline::Hard => self.out.push_str("#linebreak();"),
        }
    }

    fn wrapped(&mut self, open: &str, body: &[Inline]) {
        self.out.push_str(open);
        self.inlines(body);
        self.out.push_str("];");
    }
}

/// `typst-grid N` (N = 1..4) → N.
fn grid_columns(info: &str) -> Option<usize> {
    let mut words = info.split_whitespace();
    if words.next()? != "typst-grid" {
        return None;
    }
    let n = words.next().map_or(Some(2), |w| w.parse::<usize>().ok())?;
    (1..=4).contains(&n).then_some(n)
}

/// A cell that reads as a number: optional sign or currency, digits with group and decimal
/// separators (space, no-break spaces, `.`, `,`), optional `%`/`‰`/currency after.
pub(crate) fn is_numeric(s: &str) -> bool {
    let s = s.trim();
    let s = s
        .trim_start_matches(['+', '-', '\u{2212}', '±', '€', '$', '£'])
        .trim_start();
    let s = s
        .trim_end_matches(['%', '‰', '€', '$', '£', '*'])
        .trim_end();
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit() || c == ',' || c == '.') {
        return false;
    }
    if !s.ends_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    s.chars().all(|c| {
        c.is_ascii_digit()
            || matches!(
                c,
                '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\''
            )
    })
}

/// The symbols Peil shows for missing values (`x`, `?`, `-`, `nvt`, …).
fn is_missing_symbol(s: &str) -> bool {
    matches!(
        s.trim(),
        "x" | "?" | "-" | "–" | "—" | "nvt" | "n.v.t." | "n/a" | "na" | "…" | "." | ".."
    )
}
