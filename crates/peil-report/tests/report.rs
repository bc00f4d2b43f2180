//! End-to-end tests: Markdown → Typst → PDF, checked with poppler's `pdftotext` and `pdfinfo`.
//! These tools are required: without them the tests fail and say how to install them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use peil_report::{
    Conformance, Report, compile, markdown_to_typst, pdf, pdf_with_conformance, typst_source,
};

const TRICKY: &str = "Inkomen #1 [2024] $5 *x* _y_ <z> @a";
/// The same text written in Markdown (Markdown's own emphasis and HTML escaped).
const TRICKY_MD: &str = "Inkomen #1 [2024] $5 \\*x\\* \\_y\\_ \\<z> @a";

fn tmp_pdf(bytes: &[u8]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "peil-report-{}-{}.pdf",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn tool(name: &str, args: &[&str], bytes: &[u8]) -> String {
    let path = tmp_pdf(bytes);
    let mut cmd = Command::new(name);
    cmd.args(args).arg(&path);
    if name == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("could not run `{name}` ({e}): install poppler-utils (`apt-get install -y poppler-utils`)")
    });
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The PDF's text, with no-break and narrow no-break spaces as plain spaces.
fn pdf_text(bytes: &[u8]) -> String {
    tool("pdftotext", &["-enc", "UTF-8"], bytes).replace(['\u{202f}', '\u{a0}', '\u{2009}'], " ")
}

fn pages(bytes: &[u8]) -> usize {
    let info = tool("pdfinfo", &[], bytes);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}

/// A small bar chart SVG written by hand.
fn bar_svg(label: &str, bars: &[f64]) -> Vec<u8> {
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200" width="400" height="200"><title>{label}</title><rect width="400" height="200" fill="#ffffff"/>"##
    );
    for (i, v) in bars.iter().enumerate() {
        let h = v * 1.5;
        s += &format!(
            r##"<rect x="{}" y="{}" width="30" height="{h}" fill="#0072b2"/>"##,
            20 + i * 40,
            190.0 - h
        );
    }
    s += r##"<line x1="10" y1="190" x2="390" y2="190" stroke="#333" stroke-width="1"/></svg>"##;
    s.into_bytes()
}

fn files() -> HashMap<String, Vec<u8>> {
    let mut files = HashMap::new();
    files.insert(
        "fig-1.svg".to_string(),
        bar_svg("Inwoners", &[40.0, 80.0, 60.0, 100.0]),
    );
    files.insert(
        "fig-2.svg".to_string(),
        bar_svg("Inkomen", &[90.0, 30.0, 70.0]),
    );
    files
}

const STORY: &str = "\
# Bevolking

De stad telt **12 345,6** inwoners per km² in het centrum en *minder* aan de rand.

| Wijk | Inwoners | Aandeel |
|---|---|---|
| Centrum | 12 345,6 | 12,5 % |
| Zuid | 8 001 | x |

## Inwoners per wijk

![Inwoners per wijk, 2024](fig-1.svg)

# Inkomen

- Mediaan inkomen
  - per aangifte
- Gemiddeld inkomen

1. Eerst
2. Dan

![Inkomen per wijk](fig-2.svg)

> Noot: cijfers voor 2024 zijn voorlopig.
";

fn report<'a>(files: &'a HashMap<String, Vec<u8>>, sources: &'a [String]) -> Report<'a> {
    Report {
        title: "Wijkmonitor Gent",
        subtitle: "Sint-Amandsberg vergeleken met Gent",
        publisher: "Peil Gent",
        date: time::macros::date!(2026 - 11 - 28),
        lang: "nl",
        landscape: false,
        cover: true,
        toc: true,
        markdown: STORY,
        files,
        sources,
        accent: "#00536f",
    }
}

fn sources() -> Vec<String> {
    vec![
        "Statbel, Rijksregister (1 januari 2024)".to_string(),
        "FOD Financiën, fiscale statistiek van de inkomens".to_string(),
    ]
}

#[test]
fn full_report_has_cover_toc_headings_table_figures_sources_and_page_numbers() {
    let files = files();
    let sources = sources();
    let (bytes, conformance) = pdf_with_conformance(&report(&files, &sources)).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    for needle in [
        "Wijkmonitor Gent",
        "Sint-Amandsberg vergeleken met Gent",
        "28 november 2026",
        "Inhoud",
        "Bevolking",
        "Inwoners per wijk",
        "Inkomen",
        "Centrum",
        "Zuid",
        "12 345,6",
        "8 001",
        "12,5 %",
        "Mediaan inkomen",
        "per aangifte",
        "Noot: cijfers voor 2024 zijn voorlopig.",
        "Bronnen",
        "Statbel, Rijksregister (1 januari 2024)",
        "FOD Financiën, fiscale statistiek van de inkomens",
        "Pagina 1 van",
        "Peil Gent",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} missing from the PDF text:\n{text}"
        );
    }
    // The cover carries no page number; numbering starts at the table of contents.
    let n = pages(&bytes);
    assert!(n >= 3, "cover, contents and body: {n} pages");
    assert!(
        text.contains(&format!("Pagina {} van {}", n - 1, n - 1)),
        "{text}"
    );
    assert!(
        !text.contains(&format!("Pagina {n} van")),
        "the cover is not numbered"
    );
    // PDF/A identification in the XMP metadata.
    assert_eq!(conformance, Conformance::PdfA2bUa1);
    assert!(
        bytes
            .windows(12)
            .any(|w| w == b"pdfaid:part>" || w == b"pdfaid:part="),
        "no PDF/A id"
    );
}

#[test]
fn escaped_title_and_text_come_out_literally() {
    let files = HashMap::new();
    let md = format!(
        "# {TRICKY_MD}\n\n{TRICKY_MD} -- 1. ... a/b // c \\ d ~ e = f + g\n\n2024. Een jaar\n"
    );
    let sources = vec![TRICKY_MD.to_string()];
    let r = Report {
        title: TRICKY,
        subtitle: TRICKY,
        markdown: &md,
        ..report(&files, &sources)
    };
    let bytes = pdf(&r).unwrap();
    let text = pdf_text(&bytes);
    assert!(
        text.matches(TRICKY).count() >= 5,
        "title, subtitle, header, heading, text, source:\n{text}"
    );
    assert!(
        text.contains("-- 1. ... a/b // c \\ d ~ e = f + g"),
        "{text}"
    );
    // Markdown turns `2024. Een jaar` into a list starting at 2024.
    assert!(
        text.contains("2024.") && text.contains("Een jaar"),
        "{text}"
    );
}

#[test]
fn escaping_in_markup() {
    let t = markdown_to_typst(TRICKY_MD);
    for special in [
        "\\#", "\\[", "\\]", "\\$", "\\*", "\\_", "\\<", "\\>", "\\@",
    ] {
        assert!(t.contains(special), "{special} not escaped in {t}");
    }
    assert!(!t.contains("#strong") && !t.contains("#emph"), "{t}");
    // The text compiles and reads back literally.
    let bytes = compile(&t, &HashMap::new()).unwrap();
    assert!(pdf_text(&bytes).contains(TRICKY));
}

#[test]
fn headings_emphasis_links_and_code() {
    let t = markdown_to_typst(
        "# Een\n\n## Twee\n\n### Drie\n\n**vet** en *schuin* en `code` en [Statbel](https://statbel.fgov.be/nl?x=\"1\").\n",
    );
    assert!(t.contains("= Een\n"), "{t}");
    assert!(t.contains("== Twee\n"), "{t}");
    assert!(t.contains("=== Drie\n"), "{t}");
    assert!(t.contains("#strong[vet];"), "{t}");
    assert!(t.contains("#emph[schuin];"), "{t}");
    assert!(t.contains("#raw(\"code\");"), "{t}");
    assert!(
        t.contains("#link(\"https://statbel.fgov.be/nl?x=\\\"1\\\"\")[Statbel];"),
        "{t}"
    );
    let text = pdf_text(&compile(&t, &HashMap::new()).unwrap());
    assert!(text.contains("vet en schuin en code en Statbel."), "{text}");
}

#[test]
fn lists_nest_and_keep_their_start() {
    let t = markdown_to_typst("- a\n  - a1\n  - a2\n- b\n\n3. drie\n4. vier\n");
    assert!(t.contains("#list(tight: true"), "{t}");
    assert_eq!(t.matches("#list(").count(), 2, "{t}");
    assert!(t.contains("#enum(start: 3"), "{t}");
    let text = pdf_text(&compile(&t, &HashMap::new()).unwrap());
    let order: Vec<usize> = ["a", "a1", "a2", "b", "3.", "drie", "4.", "vier"]
        .iter()
        .map(|n| {
            text.find(n)
                .unwrap_or_else(|| panic!("{n} missing in {text}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{text}");
}

#[test]
fn tables_have_a_header_and_right_aligned_numbers() {
    let t = markdown_to_typst(
        "| Wijk | Inwoners | Noot |\n|---|---|---|\n| Centrum | 12 345,6 | 5 % |\n| Zuid | x | tekst |\n",
    );
    assert!(t.contains("columns: 3"), "{t}");
    assert!(t.contains("align: (left, right, left,)"), "{t}");
    assert!(
        t.contains("table.header([Wijk], [Inwoners], [Noot])"),
        "{t}"
    );
    assert!(t.contains("[12\u{202f}345,6]"), "{t}");
    assert!(t.contains("table.cell(align: right)[5\u{202f}%]"), "{t}");
    let text = pdf_text(&compile(&t, &HashMap::new()).unwrap());
    assert!(
        text.contains("12 345,6") && text.contains("Centrum") && text.contains("tekst"),
        "{text}"
    );
}

#[test]
fn images_become_captioned_figures_and_stay_with_their_heading() {
    let t = markdown_to_typst(
        "## Inwoners\n\n![Inwoners per *wijk*](fig-1.svg)\n\nTekst.\n\n![Tweede](fig-2.svg)\n",
    );
    assert!(
        t.contains("#block(breakable: false)[\n== Inwoners\n\n#figure(image(\"fig-1.svg\", width: 100%, alt: \"Inwoners per wijk\"), caption: [Inwoners per #emph[wijk];]);\n]"),
        "{t}"
    );
    assert!(
        t.contains(
            "#figure(image(\"fig-2.svg\", width: 100%, alt: \"Tweede\"), caption: [Tweede]);"
        ),
        "{t}"
    );
    assert_eq!(t.matches("#block(breakable: false)").count(), 1, "{t}");
    let text = pdf_text(&compile(&t, &files()).unwrap());
    assert!(
        text.contains("Inwoners per wijk") && text.contains("Tweede"),
        "{text}"
    );
}

#[test]
fn a_rule_breaks_the_page() {
    let t = markdown_to_typst("Een\n\n---\n\nTwee\n");
    assert!(t.contains("#pagebreak(weak: true)"), "{t}");
    let bytes = compile(&t, &HashMap::new()).unwrap();
    assert_eq!(pages(&bytes), 2);
}

#[test]
fn grid_blocks_make_columns_of_figures() {
    let md = "```typst-grid 3\n![Een](fig-1.svg)\n![Twee](fig-2.svg)\n![Drie](fig-1.svg)\n```\n";
    let t = markdown_to_typst(md);
    assert!(t.contains("#grid(columns: (1fr,) * 3"), "{t}");
    assert_eq!(
        t.matches("block(breakable: false, width: 100%)[#figure(image(")
            .count(),
        3,
        "{t}"
    );
    let bytes = compile(&t, &files()).unwrap();
    assert_eq!(pages(&bytes), 1);
    let text = pdf_text(&bytes);
    assert!(
        text.contains("Een") && text.contains("Twee") && text.contains("Drie"),
        "{text}"
    );
    // Out of range: an ordinary code block.
    assert!(markdown_to_typst("```typst-grid 7\n![a](b.svg)\n```\n").contains("#raw("));
}

#[test]
fn html_is_dropped_and_quotes_are_shaded_blocks() {
    let t = markdown_to_typst("<div>geheim</div>\n\nTekst <b>vet</b>.\n\n> Let op.\n");
    assert!(
        !t.contains("geheim") && !t.contains("<b>") && !t.contains("\\<b"),
        "{t}"
    );
    assert!(t.contains("#block(width: 100%, fill: luma(242)"), "{t}");
    compile(&t, &HashMap::new()).unwrap();
}

#[test]
fn bad_typst_source_gives_an_error_with_a_line() {
    let err = compile("= Titel\n\n#let x = (\n", &HashMap::new()).unwrap_err();
    assert!(!err.message.is_empty());
    assert!(err.line.is_some(), "{err:?}");
    let err = compile("Tekst\n#undefined-function()\n", &HashMap::new()).unwrap_err();
    assert!(err.message.contains("unknown variable"), "{err}");
    assert_eq!(err.line, Some(2));
}

#[test]
fn a_missing_figure_names_the_file_and_the_markdown_line() {
    let files = files();
    let sources = sources();
    let md = "# Een\n\nTekst.\n\n![Ontbreekt](fig-9.svg)\n";
    let err = pdf(&Report {
        markdown: md,
        ..report(&files, &sources)
    })
    .unwrap_err();
    assert!(err.message.contains("fig-9.svg"), "{err}");
    assert_eq!(err.line, Some(5), "{err:?}");
    let err = compile("#image(\"kaart.svg\")", &HashMap::new()).unwrap_err();
    assert!(err.message.contains("kaart.svg"), "{err}");
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let files = files();
    let sources = sources();
    let a = pdf(&report(&files, &sources)).unwrap();
    let b = pdf(&report(&files, &sources)).unwrap();
    assert!(a == b, "two compiles of the same report differ");
    // A different date changes the bytes (the date is in the metadata, not a clock).
    let c = pdf(&Report {
        date: time::macros::date!(2026 - 11 - 29),
        ..report(&files, &sources)
    })
    .unwrap();
    assert!(a != c);
}

#[test]
fn english_landscape_without_cover() {
    let files = files();
    let sources = sources();
    let r = Report {
        lang: "en",
        landscape: true,
        cover: false,
        toc: true,
        accent: "not a colour",
        ..report(&files, &sources)
    };
    let src = typst_source(&r);
    assert!(
        src.contains("flipped: true") && src.contains("rgb(\"#00536f\")"),
        "{src}"
    );
    let bytes = pdf(&r).unwrap();
    let text = pdf_text(&bytes);
    for needle in ["Contents", "Page 1 of", "Sources", "Wijkmonitor Gent"] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    let info = tool("pdfinfo", &[], &bytes);
    assert!(
        info.contains("841.89 x 595.276") || info.contains("842 x 595"),
        "{info}"
    );
    assert!(
        info.contains("Title:") && info.contains("Wijkmonitor Gent"),
        "{info}"
    );
    assert!(
        info.contains("Author:") && info.contains("Peil Gent"),
        "{info}"
    );
}

#[test]
fn french_words() {
    let files = files();
    let sources = sources();
    let text = pdf_text(
        &pdf(&Report {
            lang: "fr",
            ..report(&files, &sources)
        })
        .unwrap(),
    );
    assert!(
        text.contains("Table des matières") && text.contains("Page 1 sur"),
        "{text}"
    );
}

#[test]
fn a_tall_figure_is_scaled_to_fit_a_landscape_page() {
    let mut files = HashMap::new();
    files.insert(
        "kaart.svg".to_string(),
        br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100"><rect width="100" height="100" fill="#08519c"/></svg>"##.to_vec(),
    );
    let sources: Vec<String> = Vec::new();
    let md = "## Kaart\n\n![Kaart van de wijken](kaart.svg)\n\nNa de kaart.\n";
    let r = Report {
        landscape: true,
        toc: false,
        markdown: md,
        ..report(&files, &sources)
    };
    let bytes = pdf(&r).unwrap();
    // Full width, the square map would be 25.7 cm tall on a 21 cm page; scaled, the heading,
    // the map, its caption and the next paragraph share the first body page.
    assert_eq!(pages(&bytes), 2, "cover and one body page");
    let text = pdf_text(&bytes);
    assert!(
        text.contains("Figuur 1: Kaart van de wijken") && text.contains("Na de kaart."),
        "{text}"
    );
}

#[test]
fn documents_that_a_standard_refuses_still_compile() {
    // Heading levels that skip one and a figure without caption: PDF/UA may refuse these; the
    // report then falls back to a weaker conformance instead of failing.
    let files = files();
    let sources = sources();
    let md = "# Een\n\n### Drie\n\n![](fig-1.svg)\n";
    let (bytes, conformance) = pdf_with_conformance(&Report {
        markdown: md,
        ..report(&files, &sources)
    })
    .unwrap();
    assert!(pdf_text(&bytes).contains("Drie"));
    assert_eq!(
        conformance,
        Conformance::PdfA2b,
        "PDF/UA-1 refuses skipped heading levels"
    );
}

#[test]
fn the_cover_writes_the_date_in_the_reports_language() {
    let files = files();
    let sources = sources();
    for (lang, date, label) in [
        ("nl", time::macros::date!(2026 - 12 - 1), "1 december 2026"),
        ("en", time::macros::date!(2026 - 12 - 1), "1 December 2026"),
        (
            "fr",
            time::macros::date!(2026 - 12 - 1),
            "1er décembre 2026",
        ),
        ("fr", time::macros::date!(2027 - 2 - 14), "14 février 2027"),
    ] {
        let bytes = pdf(&Report {
            lang,
            date,
            ..report(&files, &sources)
        })
        .unwrap();
        let text = pdf_text(&bytes);
        assert!(
            text.contains(label),
            "{lang}: {label:?} not on the cover:\n{text}"
        );
    }
}
