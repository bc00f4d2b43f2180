//! The handbook (`docs/handleiding/`, `docs/manual/`, `docs/manuel/`; issue 21): every example
//! in it runs, every internal link resolves, and every chapter is served in Dutch, English and
//! French. Every language's examples run, each chapter on its own; and the three languages of a
//! chapter show the same files and commands (checked here), so no translation drifts.
//!
//! How a chapter's examples run. Each chapter runs on its own, in a fresh temporary directory,
//! from top to bottom; only fenced blocks with one of these info strings take part:
//!
//! - ```` ```LANG file=NAME ```` — the block is written to the file `NAME` (relative to the
//!   current directory) at that point, before the commands that follow it (with the address
//!   `http://127.0.0.1:8080` meaning the running server, as in commands).
//! - ```` ```sh peil-example ```` — each line is a command (a line ending in `\` continues on
//!   the next; lines starting with `#` are comments), run with `sh -c` in the current
//!   directory with this build's `peil` first on `PATH`. It must exit with 0, or with `N` when
//!   the info string says `exit=N` (then only its last command may fail). `cd DIR` changes the
//!   current directory for the commands that follow. `peil serve …` starts the server in the
//!   background (on a free port, stopped at the end of the chapter), and the address
//!   `http://127.0.0.1:8080` in every later command means that server.
//! - ```` ```text output ```` — what the last command before it printed (standard output and
//!   standard error together, the server's address written as `http://127.0.0.1:8080`) must
//!   match the block, line by line, trailing spaces ignored. **Placeholders**, for what varies
//!   from run to run (passwords, keys, dates, durations, hashes): `…` in a line matches any
//!   text within that line, and a line that is only `…` matches any number of lines (none
//!   too). Nothing else is a placeholder.
//!
//! A ```` ```toml ```` block without `file=` is a part of `peil.toml`: merged into a new site's
//! configuration, it must pass `peil check`. Any other block (```` ```python ````, ```` ```nginx
//! ````, a `sh` block without `peil-example`) is shown only.

use peil_serve::manual::{self, CHAPTERS};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const DOC_BASE: &str = "http://127.0.0.1:8080";

/// One step of a chapter.
#[derive(Debug)]
enum Step {
    File {
        name: String,
        text: String,
    },
    Commands {
        lines: Vec<String>,
        exit: i32,
        line: usize,
    },
    Output {
        text: String,
        line: usize,
    },
}

/// The steps of a chapter, in order.
fn steps(md: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut lines = md.lines().enumerate();
    while let Some((n, l)) = lines.next() {
        let Some(info) = l.trim_start().strip_prefix("```") else {
            continue;
        };
        let fence_indent = l.len() - l.trim_start().len();
        let mut body = String::new();
        for (_, b) in lines.by_ref() {
            if b.trim_start().starts_with("```") {
                break;
            }
            body.push_str(b.get(fence_indent..).unwrap_or(b.trim_start()));
            body.push('\n');
        }
        let words: Vec<&str> = info.split_whitespace().collect();
        if let Some(name) = words.iter().find_map(|w| w.strip_prefix("file=")) {
            out.push(Step::File {
                name: name.to_string(),
                text: body,
            });
        } else if words.contains(&"peil-example") {
            let exit = words
                .iter()
                .find_map(|w| w.strip_prefix("exit="))
                .map(|e| e.parse().expect("exit=N"))
                .unwrap_or(0);
            let mut cmds: Vec<String> = Vec::new();
            let mut pending = String::new();
            for c in body.lines() {
                let c = c.trim_end();
                if pending.is_empty() && (c.trim().is_empty() || c.trim_start().starts_with('#')) {
                    continue;
                }
                if let Some(head) = c.strip_suffix('\\') {
                    pending.push_str(head);
                    continue;
                }
                pending.push_str(c);
                cmds.push(std::mem::take(&mut pending));
            }
            out.push(Step::Commands {
                lines: cmds,
                exit,
                line: n + 1,
            });
        } else if words.contains(&"output") {
            out.push(Step::Output {
                text: body,
                line: n + 1,
            });
        }
    }
    out
}

/// Whether `actual` matches `expected` with the placeholders of the module's documentation.
fn matches(expected: &str, actual: &str) -> bool {
    let exp: Vec<&str> = expected.lines().map(str::trim_end).collect();
    let act: Vec<&str> = actual.lines().map(str::trim_end).collect();
    fn go(exp: &[&str], act: &[&str]) -> bool {
        match exp.split_first() {
            None => act.is_empty(),
            Some((&"…", rest)) => (0..=act.len()).any(|k| go(rest, &act[k..])),
            Some((e, rest)) => !act.is_empty() && line_matches(e, act[0]) && go(rest, &act[1..]),
        }
    }
    go(&exp, &act)
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs one chapter's steps; panics naming the chapter's file and line on the first failure.
fn run_chapter(file: &str, md: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_peil"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cwd: PathBuf = tmp.path().to_path_buf();
    let mut base = DOC_BASE.to_string();
    let mut server: Option<Serving> = None;
    let mut last: Option<(String, usize)> = None;
    for step in steps(md) {
        match step {
            Step::File { name, text } => {
                let p = cwd.join(&name);
                if let Some(d) = p.parent() {
                    std::fs::create_dir_all(d).unwrap();
                }
                std::fs::write(&p, text.replace(DOC_BASE, &base)).unwrap();
            }
            Step::Output { text, line } => {
                assert!(
                    text.lines().any(|l| l.trim() != "…"),
                    "{file}:{line}: an output block of placeholders only shows nothing"
                );
                let (actual, at) = last.take().unwrap_or_else(|| {
                    panic!("{file}:{line}: an output block without a command before it")
                });
                assert!(
                    matches(&text, &actual),
                    "{file}:{line}: the output of the command at line {at} differs.\n--- shown ---\n{text}--- printed ---\n{actual}"
                );
            }
            Step::Commands { lines, exit, line } => {
                let count = lines.len();
                for (k, cmd) in lines.into_iter().enumerate() {
                    if let Some(dir) = cmd.strip_prefix("cd ") {
                        cwd = cwd.join(dir.trim());
                        last = Some((String::new(), line));
                        continue;
                    }
                    let cmd = cmd.replace(DOC_BASE, &base);
                    if cmd.starts_with("peil serve") {
                        let mut child = Command::new(&bin)
                            .args(["serve", "--bind", "127.0.0.1:0"])
                            .current_dir(&cwd)
                            .env_remove("PEIL_SITE")
                            .env("PEIL_QUIET", "1")
                            .stdout(Stdio::piped())
                            .stderr(Stdio::inherit())
                            .spawn()
                            .unwrap();
                        let mut first = String::new();
                        std::io::BufReader::new(child.stdout.take().unwrap())
                            .read_line(&mut first)
                            .unwrap();
                        base = first
                            .trim()
                            .strip_prefix("listening on ")
                            .unwrap_or_else(|| panic!("{file}:{line}: peil serve printed {first}"))
                            .to_string();
                        server = Some(Serving(child));
                        last = Some((first.replace(&base, DOC_BASE), line));
                        continue;
                    }
                    let out = Command::new("sh")
                        .arg("-c")
                        .arg(format!("exec 2>&1\n{cmd}"))
                        .current_dir(&cwd)
                        .env("PATH", &path)
                        .env_remove("PEIL_SITE")
                        .env("USER", "handleiding")
                        .output()
                        .unwrap();
                    let text = String::from_utf8_lossy(&out.stdout).replace(&base, DOC_BASE);
                    let want = if k + 1 == count { exit } else { 0 };
                    assert_eq!(
                        out.status.code(),
                        Some(want),
                        "{file}:{line}: `{cmd}` exited with {:?}, the handbook expects {want}; it printed:\n{text}",
                        out.status.code()
                    );
                    last = Some((text, line));
                }
            }
        }
    }
    drop(server);
}

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// The folder of the handbook in a language.
fn folder(lang: &str) -> &'static str {
    match lang {
        "nl" => "handleiding",
        "fr" => "manuel",
        _ => "manual",
    }
}

/// Every chapter of every language: (language, file name for messages, Markdown).
fn all_chapters() -> Vec<(&'static str, String, &'static str)> {
    let mut v = Vec::new();
    for c in CHAPTERS {
        for lang in ["nl", "en", "fr"] {
            let file = format!("docs/{}/{}.md", folder(lang), c.slug(lang));
            v.push((lang, file, c.text(lang)));
        }
    }
    v
}

#[test]
fn every_example_runs() {
    // Chapters are independent: run them on both cores, in every language.
    let chapters: Vec<(String, &str)> = all_chapters()
        .into_iter()
        .map(|(_, file, md)| (file, md))
        .collect();
    assert_eq!(chapters.len(), CHAPTERS.len() * 3);
    std::thread::scope(|s| {
        let handles: Vec<_> = chapters
            .iter()
            .map(|(file, md)| s.spawn(move || run_chapter(file, md)))
            .collect();
        let mut failed = Vec::new();
        for (h, (file, _)) in handles.into_iter().zip(&chapters) {
            if h.join().is_err() {
                failed.push(file.clone());
            }
        }
        assert!(failed.is_empty(), "examples failed in: {failed:?}");
    });
}

#[test]
fn chapters_are_listed_and_every_language_runs_the_same_examples() {
    // The embedded list and the folders agree: a chapter file left out would not be served.
    for lang in ["nl", "en", "fr"] {
        let dir = folder(lang);
        let listed: Vec<&str> = CHAPTERS.iter().map(|c| c.slug(lang)).collect();
        let mut files: Vec<String> = std::fs::read_dir(docs().join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".md")
                    .map(String::from)
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = listed.into_iter().map(String::from).collect();
        listed.sort();
        assert_eq!(files, listed, "docs/{dir}/ and manual::CHAPTERS differ");
    }
    // The three languages of a chapter have the same examples: the same files and commands,
    // in the same order (what a file holds and what is shown may be translated).
    for c in CHAPTERS {
        let shape = |md: &str| {
            steps(md)
                .into_iter()
                .filter_map(|s| match s {
                    Step::File { name, .. } => Some(name),
                    Step::Commands { lines, .. } => Some(lines.join("\n")),
                    Step::Output { .. } => None,
                })
                .collect::<Vec<_>>()
        };
        let nl = shape(c.nl_text);
        for lang in ["en", "fr"] {
            assert_eq!(
                nl,
                shape(c.text(lang)),
                "docs/handleiding/{}.md and docs/{}/{}.md: the examples differ",
                c.nl,
                folder(lang),
                c.slug(lang)
            );
        }
    }
}

/// Whether `text` calls the function `name` (`name(` not preceded by a letter, digit or `_`).
fn calls(text: &str, name: &str) -> bool {
    let call = format!("{name}(");
    text.match_indices(&call).any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The names serde lists after "expected one of" in an error's reason: the fields of a
/// structure or the variants of an enum, from the code itself.
fn expected_names(reason: &str) -> Vec<String> {
    let (_, list) = reason
        .split_once("expected one of")
        .unwrap_or_else(|| panic!("no list of names in: {reason}"));
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

#[test]
fn the_story_reference_covers_every_function_tile_kind_and_field() {
    let chapter = CHAPTERS
        .iter()
        .find(|c| c.nl == "verhalen-en-dashboards")
        .expect("the story and dashboard reference is a chapter");
    let functions = peil_story::story::functions();
    assert!(functions.len() > 20, "{functions:?}");
    let story_fields = expected_names(
        &peil_story::Story::parse("s", "s.md", "+++\nzzz = 1\n+++\n")
            .unwrap_err()
            .reason,
    );
    let dashboard_fields = expected_names(
        &peil_story::Dashboard::parse("d", "d.toml", "zzz = 1\n")
            .unwrap_err()
            .reason,
    );
    let tile_fields = expected_names(
        &peil_story::Dashboard::parse(
            "d",
            "d.toml",
            "title = \"t\"\nlevel = \"w\"\n[[tile]]\nkind = \"text\"\nzzz = 1\n",
        )
        .unwrap_err()
        .reason,
    );
    let kinds: Vec<&str> = peil_story::TileKind::ALL.iter().map(|k| k.name()).collect();
    for (file, md) in [
        (
            format!("docs/handleiding/{}.md", chapter.nl),
            chapter.nl_text,
        ),
        (format!("docs/manual/{}.md", chapter.en), chapter.en_text),
        (format!("docs/manuel/{}.md", chapter.fr), chapter.fr_text),
    ] {
        // What the chapter's examples write, and so `peil check` and `peil report` run.
        let (mut stories, mut dashboards) = (String::new(), String::new());
        for s in steps(md) {
            if let Step::File { name, text } = s {
                if name.starts_with("stories/") {
                    stories.push('\n');
                    stories.push_str(&text);
                } else if name.starts_with("dashboards/") {
                    dashboards.push('\n');
                    dashboards.push_str(&text);
                }
            }
        }
        for f in &functions {
            assert!(
                md.contains(&format!("`{f}(")),
                "{file}: the story function {f} is not described"
            );
            assert!(calls(&stories, f), "{file}: no example story calls {f}");
        }
        for f in &story_fields {
            assert!(md.contains(&format!("`{f}`")), "{file}: header field {f}");
            assert!(
                stories.contains(&format!("\n{f} = ")),
                "{file}: no example story sets {f}"
            );
        }
        for f in dashboard_fields.iter().chain(&tile_fields) {
            assert!(
                md.contains(&format!("`{f}`")) || md.contains(&format!("`[[{f}]]`")),
                "{file}: dashboard field {f}"
            );
            assert!(
                dashboards.contains(&format!("\n{f} = "))
                    || dashboards.contains(&format!("[[{f}]]")),
                "{file}: no example dashboard sets {f}"
            );
        }
        for k in &kinds {
            assert!(md.contains(&format!("`{k}`")), "{file}: tile kind {k}");
            assert!(
                dashboards.contains(&format!("kind = \"{k}\"")),
                "{file}: no example tile of kind {k}"
            );
        }
    }
    assert!(calls("{{ fmt(\"x\") }}", "fmt") && !calls("change_value(x)", "value"));
}

#[test]
fn placeholders_are_strict() {
    assert!(matches("a…c\n", "abbbc\n"));
    assert!(!matches("a…c\n", "abbbd\n"));
    assert!(matches("x\n…\nz\n", "x\n1\n2\nz\n"));
    assert!(matches("x\n…\nz\n", "x\nz\n"));
    assert!(!matches("x\nz\n", "x\ny\nz\n"));
    assert!(!matches("x\n", "x\ny\n"));
}

#[test]
fn every_internal_link_resolves() {
    for (lang, file, md) in all_chapters() {
        for link in manual::links(md) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (slug, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if slug.is_empty() {
                md
            } else {
                let c = CHAPTERS
                    .iter()
                    .find(|c| c.slug(lang) == slug)
                    .unwrap_or_else(|| {
                        panic!("{file}: link to '{link}': no chapter '{slug}' in this language")
                    });
                c.text(lang)
            };
            if !anchor.is_empty() {
                assert!(
                    manual::anchors(target).iter().any(|a| a == anchor),
                    "{file}: link to '{link}': no heading with anchor '{anchor}'"
                );
            }
        }
    }
}

#[test]
fn served_in_every_language_searchable_and_as_pdf() {
    let s = crate::common::Server::start(crate::common::Site::new());
    for (prefix, root) in [
        ("", "/handleiding"),
        ("/en", "/en/manual"),
        ("/fr", "/fr/manuel"),
    ] {
        let home = s.get(&format!("{prefix}/"));
        assert!(
            home.body.contains(&format!("href=\"{root}\"")),
            "{prefix}/: no link to {root} in the footer"
        );
    }
    let lang_root = [
        ("nl", "/handleiding"),
        ("en", "/en/manual"),
        ("fr", "/fr/manuel"),
    ];
    for (lang, root) in lang_root {
        let index = s.get(root);
        assert_eq!(index.status, 200, "{root}");
        assert!(index.body.contains(&format!("href=\"{root}\"")), "{root}");
        for c in CHAPTERS {
            let path = format!("{root}/{}", c.slug(lang));
            assert!(
                index.body.contains(&format!("href=\"{path}\"")),
                "{root}: {path}"
            );
            let r = s.get(&path);
            assert_eq!(r.status, 200, "{path}");
            assert!(
                r.body.contains(&format!("<h1>{}</h1>", c.title(lang))),
                "{path}: no title"
            );
            assert!(r.body.contains(&format!("lang=\"{lang}\"")), "{path}: lang");
            // Every heading has its anchor on the page, so links to sections land.
            for a in manual::anchors(c.text(lang)).iter().skip(1) {
                assert!(
                    r.body.contains(&format!("id=\"{a}\"")),
                    "{path}: no anchor {a}"
                );
            }
        }
    }
    // Another language's address leads to the chapter in the page's language.
    // (The test's client follows the redirect.)
    let concepts = manual::find("begrippen").unwrap();
    for (from, lang) in [
        ("/en/manual/begrippen", "en"),
        ("/fr/manuel/concepts", "fr"),
        ("/fr/manual/begrippen", "fr"),
        ("/handleiding/notions", "nl"),
    ] {
        let r = s.get(from);
        assert_eq!(r.status, 200, "{from}");
        let h1 = format!("<h1>{}</h1>", concepts.title(lang));
        assert!(r.body.contains(&h1), "{from}: not {h1}");
    }
    assert_eq!(s.get("/handleiding/bestaat-niet").status, 404);
    assert_eq!(s.get("/fr/manuel/n-existe-pas").status, 404);
    // The site search finds the handbook's sections, in the page's language.
    for (query, prefix) in [
        ("/search.json?q=drempel", "/handleiding/begrippen#"),
        (
            "/en/search.json?q=secondary+suppression",
            "/en/manual/concepts#",
        ),
        (
            "/fr/search.json?q=suppression+secondaire",
            "/fr/manuel/notions#",
        ),
    ] {
        let found = s.get(query).json();
        assert!(
            found["manual"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["href"].as_str().unwrap().starts_with(prefix)),
            "{query}: {found}"
        );
    }
    // The whole handbook as one PDF, in each language: every chapter's title in it, read
    // back with pdftotext.
    for (lang, path) in [
        ("nl", "/handleiding.pdf"),
        ("en", "/en/manual.pdf"),
        ("fr", "/fr/manuel.pdf"),
    ] {
        let pdf = s.get(path);
        assert_eq!(pdf.status, 200, "{path}");
        assert_eq!(pdf.headers["content-type"], "application/pdf", "{path}");
        let text = pdf_text(&s, path);
        for c in CHAPTERS {
            let title = c.title(lang).replace('\'', "’");
            assert!(
                text.contains(&title) || text.contains(c.title(lang)),
                "{path}: no chapter {title}"
            );
        }
    }
}

/// The text of a PDF the server answers (`pdftotext`), runs of white space as one space.
fn pdf_text(s: &crate::common::Server, path: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(&format!("{}{}", s.base, path)).call().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let pdf = r
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "{path}: not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("manual.pdf");
    std::fs::write(&p, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args([p.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext not found: install Debian's poppler-utils (test.sh does)");
    assert!(out.status.success(), "{path}: pdftotext failed");
    String::from_utf8_lossy(&out.stdout)
        .split(|c: char| c.is_whitespace() || c == '\u{202f}' || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn peil_help_prints_chapters_as_text() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_peil"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "peil {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let list = run(&["help"]);
    for c in CHAPTERS {
        for lang in ["nl", "en", "fr"] {
            assert!(list.contains(c.slug(lang)), "{list}");
            assert!(run(&["help", c.slug(lang)]).starts_with(c.title(lang)));
        }
        let nl = run(&["help", c.nl]);
        let title = c.title("nl");
        assert!(
            nl.starts_with(&format!("{title}\n{}\n", "=".repeat(title.chars().count()))),
            "{nl}"
        );
        assert!(
            !nl.contains("```") && !nl.contains("]("),
            "Markdown left in: {nl}"
        );
    }
    assert!(run(&["help", "import"]).contains("--skip-unknown-areas"));
    let bad = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["help", "bestaat-niet"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
}

/// The file formats chapter in every language: (file name for messages, Markdown).
fn reference_chapter(nl: &str) -> Vec<(String, &'static str)> {
    let c = manual::find(nl).expect("a chapter");
    ["nl", "en", "fr"]
        .into_iter()
        .map(|l| (format!("docs/{}/{}.md", folder(l), c.slug(l)), c.text(l)))
        .collect()
}

#[test]
fn the_file_format_and_formula_references_cover_what_the_code_knows() {
    // Every option of `peil import`, and every value of an option with a fixed list, as
    // `peil import --help` (clap, from the code) lists them.
    let out = Command::new(env!("CARGO_BIN_EXE_peil"))
        .args(["import", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let mut options: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        if t.starts_with('-') {
            for w in t.split([' ', ',', '=', '<']) {
                if w.starts_with("--") && w.len() > 2 && !options.contains(&w.to_string()) {
                    options.push(w.to_string());
                }
            }
        }
        if let Some((_, list)) = line.split_once("[possible values: ") {
            let list = list.split(']').next().unwrap_or("");
            values.extend(list.split(", ").map(String::from));
        }
    }
    // `--help` and the global `--site` are not import options.
    options.retain(|o| o != "--help" && o != "--site");
    assert!(options.len() > 25, "{options:?}\n{help}");
    assert!(values.iter().any(|v| v == "dimensions"), "{values:?}");
    // Every metadata column Peil reads and writes.
    let columns: Vec<&str> = peil_ingest::metadata::METADATA_COLUMNS
        .iter()
        .filter(|c| !c.ends_with(" en") && !c.ends_with(" fr"))
        .copied()
        .collect();
    for (file, md) in reference_chapter("bestandsformaten") {
        for o in &options {
            assert!(md.contains(&format!("`{o}")), "{file}: import option {o}");
        }
        for v in &values {
            // (`x`, or after its option: `--decimal point`.)
            assert!(
                md.contains(&format!("`{v}`")) || md.contains(&format!(" {v}`")),
                "{file}: option value {v}"
            );
        }
        for c in &columns {
            assert!(
                md.contains(&format!("`{c}`")),
                "{file}: metadata column {c}"
            );
        }
    }
    // And every option is used by an example that runs: a `peil import` command of some
    // chapter (the Dutch ones; the other languages run the same).
    let imports: Vec<String> = CHAPTERS
        .iter()
        .flat_map(|c| steps(c.nl_text))
        .filter_map(|s| match s {
            Step::Commands { lines, .. } => Some(lines),
            _ => None,
        })
        .flatten()
        .filter(|l| l.contains("peil import "))
        .collect();
    for o in &options {
        assert!(
            imports.iter().any(|l| l.split_whitespace().any(|w| w == o)),
            "no example runs `peil import {o}`"
        );
    }
    // Every function of the formula language, as the parser lists them when it meets an
    // unknown one.
    let note = peil_core::formula::Formula::parse("zzz(1)")
        .unwrap_err()
        .note
        .unwrap();
    let functions: Vec<&str> = note
        .strip_prefix("known: ")
        .unwrap_or_else(|| panic!("{note}"))
        .split(", ")
        .collect();
    assert!(functions.len() >= 10, "{functions:?}");
    for (file, md) in reference_chapter("formules") {
        for f in &functions {
            assert!(
                md.contains(&format!("`{f}(")),
                "{file}: formula function {f}"
            );
        }
    }
}

/// The `toml` blocks the handbook shows without writing them to a file (parts of `peil.toml`):
/// (file name for messages, line, text).
fn shown_configuration() -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (_, file, md) in all_chapters() {
        let mut lines = md.lines().enumerate();
        while let Some((n, l)) = lines.next() {
            let Some(info) = l.trim_start().strip_prefix("```") else {
                continue;
            };
            let mut body = String::new();
            for (_, b) in lines.by_ref() {
                if b.trim_start().starts_with("```") {
                    break;
                }
                body.push_str(b);
                body.push('\n');
            }
            let words: Vec<&str> = info.split_whitespace().collect();
            if words.first() == Some(&"toml") && !words.iter().any(|w| w.starts_with("file=")) {
                out.push((file.clone(), n + 1, body));
            }
        }
    }
    out
}

#[test]
fn shown_configuration_is_accepted_by_peil_check() {
    // Each part of `peil.toml` that a chapter shows, merged into a new site's configuration,
    // passes `peil check` (which refuses unknown keys and wrong types), so a setting shown in
    // the handbook cannot rot either.
    let shown = shown_configuration();
    assert!(shown.len() >= 6, "{shown:?}");
    let bin = env!("CARGO_BIN_EXE_peil");
    let check = |file: &str, line: usize, fragment: &str| -> (bool, String) {
        let tmp = tempfile::tempdir().unwrap();
        let init = Command::new(bin)
            .args(["init", "site"])
            .current_dir(tmp.path())
            .env_remove("PEIL_SITE")
            .output()
            .unwrap();
        assert!(init.status.success(), "peil init failed");
        let dir = tmp.path().join("site");
        let path = dir.join("peil.toml");
        let mut config: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let part: toml::Table = fragment
            .parse()
            .unwrap_or_else(|e| panic!("{file}:{line}: not TOML: {e}"));
        config.extend(part);
        std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
        let out = Command::new(bin)
            .arg("check")
            .current_dir(&dir)
            .env_remove("PEIL_SITE")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    for (file, line, fragment) in &shown {
        let (ok, text) = check(file, *line, fragment);
        assert!(
            ok,
            "{file}:{line}: peil check refuses the configuration shown:\n{text}"
        );
    }
    // And a misspelt key would be caught.
    let (ok, _) = check("(test)", 0, "[admin]\nsesion_idle_minutes = 60\n");
    assert!(!ok, "peil check accepted an unknown key");
}
