//! The handbook (handleiding): the Markdown chapters of `docs/handleiding/` (Dutch, the
//! reference), `docs/manual/` (English) and `docs/manuel/` (French), embedded in the binary at
//! build time, so every site serves them without reading a file (`/handleiding`, `/en/manual`,
//! `/fr/manuel`), the site search finds their sections, `peil help TOPIC` prints them and
//! `/handleiding.pdf` (`/en/manual.pdf`, `/fr/manuel.pdf`) typesets them.
//!
//! [`CHAPTERS`] gives the order; a chapter's title is its first `# ` heading. Examples in the
//! chapters are fenced blocks with an info string (`sh peil-example`, `csv file=NAME`, `text
//! output`) that `crates/peil/tests/it/handbook.rs` executes; here they are shown as code.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One chapter in every language: the address (`/handleiding/{nl}`, `/en/manual/{en}`,
/// `/fr/manuel/{fr}`; also the `peil help` topic, so no two are alike) and the Markdown.
pub struct Chapter {
    pub nl: &'static str,
    pub en: &'static str,
    pub fr: &'static str,
    pub nl_text: &'static str,
    pub en_text: &'static str,
    pub fr_text: &'static str,
}

macro_rules! chapter {
    ($nl:literal, $en:literal, $fr:literal) => {
        Chapter {
            nl: $nl,
            en: $en,
            fr: $fr,
            nl_text: include_str!(concat!("../../../docs/handleiding/", $nl, ".md")),
            en_text: include_str!(concat!("../../../docs/manual/", $en, ".md")),
            fr_text: include_str!(concat!("../../../docs/manuel/", $fr, ".md")),
        }
    };
}

/// The chapters in reading order.
pub const CHAPTERS: &[Chapter] = &[
    chapter!("aan-de-slag", "getting-started", "premiers-pas"),
    chapter!("begrippen", "concepts", "notions"),
    chapter!("bestandsformaten", "file-formats", "formats-de-fichiers"),
    chapter!("formules", "formulas", "formules-de-calcul"),
    chapter!(
        "verhalen-en-dashboards",
        "stories-and-dashboards",
        "recits-et-tableaux-de-bord"
    ),
    chapter!(
        "registers-en-metingen",
        "records-and-measures",
        "registres-et-mesures"
    ),
    chapter!(
        "beleidsmonitoring",
        "policy-monitoring",
        "suivi-des-politiques"
    ),
    chapter!(
        "clusters-en-vergelijkingsgroepen",
        "clusters-and-benchmark-groups",
        "clusters-et-groupes-de-comparaison"
    ),
    chapter!("beheeromgeving", "back-office", "administration"),
    chapter!(
        "bronnen-en-planning",
        "sources-and-schedules",
        "sources-et-planification"
    ),
    chapter!("een-site-beheren", "running-a-site", "gerer-un-site"),
    chapter!(
        "gegevens-gebruiken",
        "using-the-data",
        "utiliser-les-donnees"
    ),
    chapter!(
        "van-swing-naar-peil",
        "coming-from-swing",
        "de-swing-a-peil"
    ),
    chapter!("oefenpad", "training-path", "parcours-d-exercices"),
];

/// The handbook's language for a page language: Dutch for `nl`, French for `fr`, English for
/// every other.
pub fn manual_lang(lang: &str) -> &'static str {
    match lang {
        "nl" => "nl",
        "fr" => "fr",
        _ => "en",
    }
}

/// The path segment of the handbook in a language (`handleiding`, `manual`, `manuel`).
pub fn root(lang: &str) -> &'static str {
    match manual_lang(lang) {
        "nl" => "handleiding",
        "fr" => "manuel",
        _ => "manual",
    }
}

impl Chapter {
    pub fn slug(&self, lang: &str) -> &'static str {
        match manual_lang(lang) {
            "nl" => self.nl,
            "fr" => self.fr,
            _ => self.en,
        }
    }

    pub fn text(&self, lang: &str) -> &'static str {
        match manual_lang(lang) {
            "nl" => self.nl_text,
            "fr" => self.fr_text,
            _ => self.en_text,
        }
    }

    /// The language whose address `slug` is, if it is one of this chapter's.
    pub fn lang_of(&self, slug: &str) -> Option<&'static str> {
        ["nl", "en", "fr"]
            .into_iter()
            .find(|l| self.slug(l) == slug)
    }

    /// The first `# ` heading.
    pub fn title(&self, lang: &str) -> &'static str {
        self.text(lang)
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(str::trim)
            .unwrap_or(self.slug(lang))
    }
}

/// The chapter with this address in any language.
pub fn find(slug: &str) -> Option<&'static Chapter> {
    CHAPTERS.iter().find(|c| c.lang_of(slug).is_some())
}

/// A heading's anchor: lower case, accents folded, words joined by `-`.
pub fn anchor(heading: &str) -> String {
    let folded = peil_core::fold(heading);
    let mut out = String::new();
    for ch in folded.chars() {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// One `##` section of a chapter, for search: its heading, anchor and text.
pub struct Section {
    pub heading: String,
    pub anchor: String,
    pub text: String,
}

/// The chapter's `##` sections (the text before the first is the chapter's own section,
/// under its title and without an anchor).
pub fn sections(md: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_heading: Option<HeadingLevel> = None;
    let mut heading = String::new();
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some(level);
                heading.clear();
            }
            Event::End(TagEnd::Heading(level)) => {
                in_heading = None;
                if level <= HeadingLevel::H2 {
                    out.push(Section {
                        anchor: if level == HeadingLevel::H1 {
                            String::new()
                        } else {
                            anchor(&heading)
                        },
                        heading: heading.clone(),
                        text: String::new(),
                    });
                } else if let Some(s) = out.last_mut() {
                    s.text.push_str(&heading);
                    s.text.push(' ');
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if in_heading.is_some() {
                    heading.push_str(&t);
                } else if let Some(s) = out.last_mut() {
                    s.text.push_str(&t);
                    s.text.push(' ');
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(s) = out.last_mut() {
                    s.text.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

/// The link targets of a chapter (in order), for the link check.
pub fn links(md: &str) -> Vec<String> {
    Parser::new_ext(md, Options::ENABLE_TABLES)
        .filter_map(|ev| match ev {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

/// Every heading anchor of a chapter (`##` and deeper).
pub fn anchors(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut heading: Option<String> = None;
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    out.push(anchor(&h));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    out
}

/// A chapter as HTML for the website: headings get their anchors (and the chapter's `#`
/// heading becomes the page's `h1`), raw HTML in the source is shown as text, example blocks
/// keep their language as a class and say what they are.
pub fn to_html(md: &str, lang: &str) -> String {
    let events: Vec<Event> = Parser::new_ext(md, Options::ENABLE_TABLES).collect();
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, .. }) => {
                let mut text = String::new();
                let mut j = i + 1;
                while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                    if let Event::Text(t) | Event::Code(t) = &events[j] {
                        text.push_str(t);
                    }
                    j += 1;
                }
                let n = *level as usize;
                let open = if n == 1 {
                    "<h1>".to_string()
                } else {
                    format!("<h{n} id=\"{}\">", anchor(&text))
                };
                out.push(Event::Html(open.into()));
                out.extend(events[i + 1..j].iter().cloned());
                out.push(Event::Html(format!("</h{n}>\n").into()));
                i = j + 1;
                continue;
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let (label, class) = block_label(info, lang);
                let mut html = String::from("<figure class=\"example\">");
                if let Some(label) = label {
                    html.push_str(&format!(
                        "<figcaption>{}</figcaption>",
                        peil_render::escape(&label)
                    ));
                }
                html.push_str(&format!("<pre class=\"{class}\" tabindex=\"0\"><code>"));
                let mut j = i + 1;
                while j < events.len() && !matches!(events[j], Event::End(TagEnd::CodeBlock)) {
                    if let Event::Text(t) = &events[j] {
                        html.push_str(&peil_render::escape(t));
                    }
                    j += 1;
                }
                html.push_str("</code></pre></figure>\n");
                out.push(Event::Html(html.into()));
                i = j + 1;
                continue;
            }
            // The handbook is Markdown: HTML in it is shown as text, never run.
            Event::Html(t) | Event::InlineHtml(t) => out.push(Event::Text(t.clone())),
            e => out.push(e.clone()),
        }
        i += 1;
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    html
}

/// What an example block is, from its info string: a caption and a CSS class.
fn block_label(info: &str, lang: &str) -> (Option<String>, &'static str) {
    // The captions in Dutch, English and French.
    let word = |[nl, en, fr]: [&str; 3]| match manual_lang(lang) {
        "nl" => nl.to_string(),
        "fr" => fr.to_string(),
        _ => en.to_string(),
    };
    let mut words = info.split_whitespace();
    let first = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    if let Some(file) = rest.iter().find_map(|w| w.strip_prefix("file=")) {
        let caption = word(["Bestand", "File", "Fichier"]);
        return (Some(format!("{caption} {file}")), "file");
    }
    if rest.contains(&"output") || first == "output" {
        return (Some(word(["Uitvoer", "Output", "Sortie"])), "output");
    }
    if rest.contains(&"peil-example") {
        return (
            Some(word(["Opdrachten", "Commands", "Commandes"])),
            "commands",
        );
    }
    (None, "code")
}

/// A chapter as plain text for the terminal (`peil help TOPIC`): headings underlined, code
/// indented, tables in columns, after a link's text its address, or for another chapter the
/// `peil help` topic.
pub fn to_text(md: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut heading: Option<HeadingLevel> = None;
    let mut in_code = false;
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut in_table = false;
    let mut link: Option<String> = None;
    let indent = |lists: &Vec<Option<u64>>| "  ".repeat(lists.len().saturating_sub(1));
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => heading = Some(level),
            Event::End(TagEnd::Heading(_)) => {
                let under = match heading.take() {
                    Some(HeadingLevel::H1) => Some('='),
                    Some(HeadingLevel::H2) => Some('-'),
                    _ => None,
                };
                out.push_str(&line);
                out.push('\n');
                if let Some(c) = under {
                    out.push_str(&c.to_string().repeat(line.chars().count()));
                    out.push('\n');
                }
                out.push('\n');
                line.clear();
            }
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => {
                out.push_str(&line);
                out.push('\n');
                if lists.is_empty() {
                    out.push('\n');
                }
                line.clear();
            }
            Event::Start(Tag::List(start)) => {
                if !line.is_empty() {
                    out.push_str(&line);
                    out.push('\n');
                    line.clear();
                }
                lists.push(start)
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                let ind = indent(&lists);
                match lists.last_mut() {
                    Some(Some(n)) => {
                        line.push_str(&format!("{ind}{n}. "));
                        *n += 1;
                    }
                    _ => line.push_str(&format!("{ind}- ")),
                }
            }
            Event::End(TagEnd::Item) if !line.is_empty() => {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                out.push('\n');
            }
            Event::Start(Tag::Table(_)) => {
                in_table = true;
                table.clear();
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => table.push(Vec::new()),
            Event::Start(Tag::TableCell) => {
                if let Some(r) = table.last_mut() {
                    r.push(String::new())
                }
            }
            Event::End(TagEnd::Table) => {
                in_table = false;
                let cols = table.iter().map(Vec::len).max().unwrap_or(0);
                let widths: Vec<usize> = (0..cols)
                    .map(|c| {
                        table
                            .iter()
                            .filter_map(|r| r.get(c))
                            .map(|s| s.chars().count())
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                for (k, r) in table.iter().enumerate() {
                    let cells: Vec<String> = r
                        .iter()
                        .enumerate()
                        .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
                        .collect();
                    out.push_str(cells.join("  ").trim_end());
                    out.push('\n');
                    if k == 0 {
                        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                        out.push_str(&rule.join("  "));
                        out.push('\n');
                    }
                }
                out.push('\n');
            }
            Event::Start(Tag::Link { dest_url, .. }) => link = Some(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = link.take() {
                    let chapter = url.split('#').next().unwrap_or("");
                    if url.starts_with("http") || url.starts_with('/') {
                        line.push_str(&format!(" ({url})"));
                    } else if find(chapter).is_some() {
                        line.push_str(&format!(" (peil help {chapter})"));
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if in_code {
                    for l in t.lines() {
                        out.push_str("    ");
                        out.push_str(l);
                        out.push('\n');
                    }
                } else if in_table {
                    if let Some(c) = table.last_mut().and_then(|r| r.last_mut()) {
                        c.push_str(&t);
                    }
                } else {
                    line.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if in_table {
                    continue;
                }
                out.push_str(&line);
                out.push('\n');
                line.clear();
                if !lists.is_empty() {
                    line.push_str(&indent(&lists));
                    line.push_str("  ");
                }
            }
            Event::Rule => out.push_str("----\n\n"),
            _ => {}
        }
    }
    out.push_str(&line);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The whole handbook in one Markdown document (for the PDF): the chapters in order, links
/// between chapters kept as text.
pub fn whole(lang: &str) -> String {
    let mut md = String::new();
    for c in CHAPTERS {
        let mut text = c.text(lang).to_string();
        for other in CHAPTERS {
            let slug = other.slug(lang);
            text = text.replace(&format!("]({slug}#"), "](#");
            text = text.replace(&format!("]({slug})"), "](#)");
        }
        md.push_str(&text);
        md.push_str("\n\n---\n\n");
    }
    md
}

/// The handbook's title in a language.
pub fn title(lang: &str) -> &'static str {
    match manual_lang(lang) {
        "nl" => "Handleiding",
        "fr" => "Manuel",
        _ => "Manual",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_fold_and_join() {
        assert_eq!(anchor("Gegevens in één tabel"), "gegevens-in-een-tabel");
        assert_eq!(anchor("Periods & period types"), "periods-period-types");
        assert_eq!(anchor("Données d'une période"), "donnees-d-une-periode");
    }

    #[test]
    fn every_address_is_one_chapters_in_one_language() {
        let mut all: Vec<&str> = CHAPTERS.iter().flat_map(|c| [c.nl, c.en, c.fr]).collect();
        all.sort();
        all.dedup();
        assert_eq!(
            all.len(),
            CHAPTERS.len() * 3,
            "two chapters share an address"
        );
        for c in CHAPTERS {
            for l in ["nl", "en", "fr"] {
                assert_eq!(find(c.slug(l)).map(|f| f.lang_of(c.slug(l))), Some(Some(l)));
            }
        }
    }

    #[test]
    fn text_keeps_code_and_tables() {
        let t = to_text(
            "# T\n\nA [link](https://x.be).\n\n```sh\npeil status\n```\n\n| a | bb |\n|---|---|\n| 1 | 2 |\n",
        );
        assert_eq!(
            t,
            "T\n=\n\nA link (https://x.be).\n\n    peil status\n\na  bb\n-  --\n1  2\n"
        );
    }
}
