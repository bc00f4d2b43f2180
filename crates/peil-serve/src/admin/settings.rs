//! The site's settings in a form (administrators only): name, logo (from the image library),
//! colours (`#rrggbb`, each checked for WCAG AA contrast with the white text and background it
//! is drawn with), languages, the home page's highlights and introductions.
//!
//! The form edits `peil.toml` through `toml_edit`: only its own keys change, every comment and
//! every key it does not know stay as they were. The new text is checked by the CLI's own checks
//! ([`AppState::build_config`], which `peil serve` sets) before it is written atomically and
//! kept as a version (as stories are), and the server applies it at once. What the running
//! server does not take without a restart (listed on the page): `public`, `rate_limit`,
//! `cache_mb`, `[admin]`, and the site name in API answers and documents.

use super::content::{Save, form, get, history, save};
use super::{Admin, no_store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value as Json, json};
use toml_edit::TableLike;

/// The site's configuration file, relative to the site directory.
pub(super) const CONFIG: &str = "peil.toml";
/// The languages Peil's website speaks.
const LANGS: [&str; 3] = ["nl", "en", "fr"];
/// Longest introduction per language (characters) and name.
const MAX_INTRO: usize = 2000;
const MAX_NAME: usize = 200;
/// Highlights on the home page.
const MAX_HIGHLIGHTS: usize = 24;

/// The settings the form shows and edits.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct Settings {
    name: String,
    logo: String,
    primary: String,
    accent: String,
    /// The default language first.
    languages: Vec<String>,
    highlights: String,
    intro: Vec<(String, String)>,
}

impl Settings {
    fn from_doc(doc: &toml_edit::DocumentMut) -> Settings {
        let s = |k: &str| {
            doc.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let list = |k: &str| -> Vec<String> {
            doc.get(k)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let intro = doc.get("intro").and_then(|v| v.as_table_like());
        let mut languages = list("languages");
        if doc.get("languages").is_none() {
            languages = LANGS.map(String::from).to_vec();
        }
        Settings {
            name: s("name"),
            logo: s("logo"),
            primary: s("primary_color"),
            accent: s("accent_color"),
            languages,
            highlights: list("highlights").join(", "),
            intro: LANGS
                .iter()
                .map(|l| {
                    let t = intro
                        .and_then(|t| t.get(l))
                        .and_then(|v| v.as_str())
                        .unwrap_or("");
                    (l.to_string(), t.to_string())
                })
                .collect(),
        }
    }

    fn from_fields(f: &[(String, String)]) -> Settings {
        let default = get(f, "default_language");
        let mut languages: Vec<String> = LANGS
            .iter()
            .filter(|l| **l == default)
            .map(|l| l.to_string())
            .collect();
        for l in LANGS {
            if l != default && f.iter().any(|(k, v)| k == "languages" && v == l) {
                languages.push(l.to_string());
            }
        }
        Settings {
            name: get(f, "name").trim().to_string(),
            logo: get(f, "logo").trim().to_string(),
            primary: get(f, "primary_color").trim().to_lowercase(),
            accent: get(f, "accent_color").trim().to_lowercase(),
            languages,
            highlights: get(f, "highlights").trim().to_string(),
            intro: LANGS
                .iter()
                .map(|l| {
                    let t = get(f, &format!("intro_{l}")).replace("\r\n", "\n");
                    (l.to_string(), t.trim().to_string())
                })
                .collect(),
        }
    }

    fn highlight_codes(&self) -> Vec<String> {
        self.highlights
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    /// What is wrong with these settings (the page's words by key, or a text), before the
    /// CLI's own checks of the whole file.
    fn problems(&self, st: &AppState, a: &Admin, current_logo: &str) -> Vec<String> {
        let w = |k: &str| a.page.word(k).to_string();
        let mut out = Vec::new();
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME {
            out.push(w("admin_settings_bad_name"));
        }
        for (label, c) in [
            ("primary_color", &self.primary),
            ("accent_color", &self.accent),
        ] {
            if c.is_empty() {
                continue;
            }
            match rgb(c) {
                None => out.push(format!("{label}: {} ({c})", w("admin_settings_bad_colour"))),
                Some(rgb) => {
                    let ratio = contrast(rgb, (255, 255, 255));
                    if ratio < 4.5 {
                        out.push(format!(
                            "{label}: {} {ratio:.2}:1 < 4.5:1 ({c})",
                            w("admin_settings_contrast")
                        ));
                    }
                }
            }
        }
        if self.languages.is_empty() {
            out.push(w("admin_settings_bad_languages"));
        }
        let codes = self.highlight_codes();
        let snap = st.snapshot();
        if codes.len() > MAX_HIGHLIGHTS {
            out.push(format!(
                "{} (> {MAX_HIGHLIGHTS})",
                w("admin_settings_highlights")
            ));
        }
        for c in &codes {
            if !snap.is_public(c) {
                out.push(format!("{}: {c}", w("admin_settings_bad_highlight")));
            }
        }
        for (l, t) in &self.intro {
            if t.chars().count() > MAX_INTRO {
                out.push(format!("intro {l}: > {MAX_INTRO}"));
            }
        }
        let library_image = self
            .logo
            .strip_prefix("content/")
            .is_some_and(|f| super::images::library(st).iter().any(|i| i.name == f));
        if !self.logo.is_empty() && !library_image && self.logo != current_logo {
            out.push(format!("logo: {}", self.logo));
        }
        out
    }

    /// Writes these settings into the document, leaving everything else as it was.
    fn apply(&self, doc: &mut toml_edit::DocumentMut) {
        use toml_edit::{Array, Value};
        let root = doc.as_table_mut();
        set(root, "name", self.name.as_str().into());
        for (key, v) in [
            ("logo", &self.logo),
            ("primary_color", &self.primary),
            ("accent_color", &self.accent),
        ] {
            if v.is_empty() {
                root.remove(key);
            } else {
                set(root, key, v.as_str().into());
            }
        }
        let langs: Array = self.languages.iter().map(String::as_str).collect();
        set(root, "languages", Value::Array(langs));
        let codes = self.highlight_codes();
        if codes.is_empty() {
            root.remove("highlights");
        } else {
            let a: Array = codes.iter().map(String::as_str).collect();
            set(root, "highlights", Value::Array(a));
        }
        if self.intro.iter().all(|(_, t)| t.is_empty()) {
            root.remove("intro");
            return;
        }
        if let Some(t) = root
            .entry("intro")
            .or_insert(toml_edit::table())
            .as_table_like_mut()
        {
            for (l, text) in &self.intro {
                if text.is_empty() {
                    t.remove(l);
                } else {
                    set(t, l, text.as_str().into());
                }
            }
        }
    }
}

/// Sets `key` to `v`, keeping the spaces and comment around the old value (and the old value
/// as written when it is the same text).
pub(super) fn set<T: TableLike + ?Sized>(t: &mut T, key: &str, v: toml_edit::Value) {
    match t.get_mut(key).and_then(|i| i.as_value_mut()) {
        Some(old) if old.as_str().is_some() && old.as_str() == v.as_str() => {}
        Some(old) => {
            let decor = old.decor().clone();
            *old = v;
            *old.decor_mut() = decor;
        }
        None => {
            t.insert(key, toml_edit::Item::Value(v));
        }
    }
}

/// `#rrggbb` as its three channels.
fn rgb(c: &str) -> Option<(u8, u8, u8)> {
    let hex = c.strip_prefix('#').filter(|h| h.len() == 6)?;
    if !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return None;
    }
    let ch = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((ch(0)?, ch(2)?, ch(4)?))
}

/// The WCAG 2 contrast ratio of two colours (1 to 21).
fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    fn lum((r, g, b): (u8, u8, u8)) -> f64 {
        let f = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
    }
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

pub(super) fn config_text(st: &AppState) -> Result<String, String> {
    let dir = super::content::site_dir(st).ok_or("this server has no site folder")?;
    std::fs::read_to_string(dir.join(CONFIG)).map_err(|e| format!("cannot read {CONFIG}: {e}"))
}

fn settings_page(
    st: &AppState,
    a: &Admin,
    s: &Settings,
    problems: &[String],
    message: Option<Json>,
) -> Response {
    let logos: Vec<Json> = super::images::library(st)
        .into_iter()
        .map(|i| {
            let v = format!("content/{}", i.name);
            json!({"value": v, "current": v == s.logo})
        })
        .collect();
    let other_logo = !s.logo.is_empty() && !logos.iter().any(|l| l["current"] == true);
    let langs: Vec<Json> = LANGS
        .iter()
        .map(|l| {
            json!({
                "code": l,
                "name": crate::web::i18n::language_name(l),
                "on": s.languages.iter().any(|x| x == l),
                "default": s.languages.first().map(String::as_str) == Some(*l),
            })
        })
        .collect();
    let intro: Vec<Json> = s
        .intro
        .iter()
        .map(|(l, t)| json!({"code": l, "name": crate::web::i18n::language_name(l), "text": t}))
        .collect();
    let mut r = a.render(
        "admin_settings.html",
        "admin_settings",
        json!({
            "s": s,
            "logos": logos,
            "other_logo": other_logo,
            "langs": langs,
            "intro": intro,
            "problems": problems,
            "message": message,
            "max_intro": MAX_INTRO,
            "history": a.page.href("/admin/settings/history"),
        }),
    );
    if !problems.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub(super) async fn form_page(State(st): State<AppState>, a: Admin) -> Response {
    let text = match config_text(&st) {
        Ok(t) => t,
        Err(e) => return settings_page(&st, &a, &Settings::default(), &[e], None),
    };
    let s = match text.parse::<toml_edit::DocumentMut>() {
        Ok(doc) => Settings::from_doc(&doc),
        Err(e) => return settings_page(&st, &a, &Settings::default(), &[e.to_string()], None),
    };
    let message = a.page.param("saved").map(|id| {
        json!({"text": format!("{} ({} {id})", a.page.word("admin_saved"), a.page.word("admin_version")), "ok": true})
    });
    settings_page(&st, &a, &s, &[], message)
}

pub(super) async fn submit(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = match form(&body) {
        Ok(f) => f,
        Err(e) => return settings_page(&st, &a, &Settings::default(), &[e], None),
    };
    let s = Settings::from_fields(&f);
    let text = match config_text(&st) {
        Ok(t) => t,
        Err(e) => return settings_page(&st, &a, &s, &[e], None),
    };
    let mut doc = match text.parse::<toml_edit::DocumentMut>() {
        Ok(d) => d,
        Err(e) => return settings_page(&st, &a, &s, &[e.to_string()], None),
    };
    let problems = s.problems(&st, &a, &Settings::from_doc(&doc).logo);
    if !problems.is_empty() {
        return settings_page(&st, &a, &s, &problems, None);
    }
    s.apply(&mut doc);
    let new = doc.to_string();
    apply_config(&st, &a, new, "save", None, SETTINGS_SAVED, |p| {
        settings_page(&st, &a, &s, &[p], None)
    })
    .await
}

/// Where a saved `peil.toml` leads: the audit log's words for a save and a restore, and the
/// page to go to (`?saved=VERSION` is added).
pub(super) struct Saved {
    pub saved: &'static str,
    pub restored: &'static str,
    pub page: &'static str,
    /// What the save is of, for the audit log (a source's name).
    pub subject: Option<String>,
}

const SETTINGS_SAVED: Saved = Saved {
    saved: "settings saved",
    restored: "settings restored",
    page: "/admin/settings",
    subject: None,
};

/// Checks a whole `peil.toml` text with the CLI's checks, saves it as a version and serves it.
pub(super) async fn apply_config(
    st: &AppState,
    a: &Admin,
    text: String,
    action: &'static str,
    restored_from: Option<i64>,
    done: Saved,
    refused: impl FnOnce(String) -> Response,
) -> Response {
    let (t2, st2) = (text.clone(), st.clone());
    let checked = tokio::task::spawn_blocking(move || st2.build_config(&t2)).await;
    let config = match checked {
        Ok(Some(Ok(c))) => c,
        Ok(Some(Err(e))) => return refused(e),
        Ok(None) => return refused("this server cannot check a configuration".into()),
        Err(e) => return refused(e.to_string()),
    };
    let s = Save {
        path: CONFIG.into(),
        text,
        action,
        restored_from,
    };
    let who = super::content::who(a);
    match save(st, who, s, move |st| st.set_site(config)).await {
        Ok(id) => {
            let what = if action == "restore" {
                done.restored
            } else {
                done.saved
            };
            a.audit(
                st,
                what,
                json!({"file": CONFIG, "version": id, "restored_from": restored_from, "subject": done.subject}),
            )
            .await;
            let to = a.page.href(&format!("{}?saved={id}", done.page));
            no_store(Redirect::to(&to).into_response())
        }
        Err(e) => refused(e),
    }
}

pub(super) async fn settings_history(State(st): State<AppState>, a: Admin) -> Response {
    history(&st, &a, CONFIG.to_string(), true).await
}

/// Restores a version of peil.toml (checked as a save is).
pub(super) async fn restore(State(st): State<AppState>, Path(id): Path<i64>, a: Admin) -> Response {
    let v = match st.with_store(move |s| s.content_version(id)).await {
        Ok(Some(v)) if v.path == CONFIG => v,
        Ok(_) => return no_store(a.page.not_found()),
        Err(e) => {
            return settings_page(&st, &a, &Settings::default(), &[e.to_string()], None);
        }
    };
    apply_config(
        &st,
        &a,
        v.text,
        "restore",
        Some(v.id),
        SETTINGS_SAVED,
        |p| {
            let mut r = a.render(
                "admin.html",
                "admin_settings",
                json!({"message": {"text": p, "ok": false}}),
            );
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        let white = (255, 255, 255);
        assert!((contrast((0, 0, 0), white) - 21.0).abs() < 0.01);
        assert!(contrast(rgb("#00536f").unwrap(), white) >= 4.5);
        assert!(contrast(rgb("#ffcc00").unwrap(), white) < 4.5);
        assert_eq!(rgb("#12345"), None);
        assert_eq!(rgb("#gg0000"), None);
    }

    #[test]
    fn the_form_keeps_comments_and_keys_it_does_not_know() {
        let text = "# Our site\nname = \"Oud\" # the name\npublic = true\n\n[catalog]\n# who\npublisher = \"Stad\"\n";
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let mut s = Settings::from_doc(&doc);
        assert_eq!(s.languages, ["nl", "en", "fr"]);
        s.name = "Nieuw".into();
        s.languages = vec!["en".into(), "nl".into()];
        s.intro = vec![("nl".into(), "Welkom".into())];
        s.apply(&mut doc);
        let out = doc.to_string();
        assert!(
            out.starts_with("# Our site\nname = \"Nieuw\" # the name\n"),
            "{out}"
        );
        assert!(out.contains("# who\npublisher = \"Stad\""), "{out}");
        assert!(out.contains("public = true"), "{out}");
        let back: toml_edit::DocumentMut = out.parse().unwrap();
        let again = Settings::from_doc(&back);
        assert_eq!(again.languages, ["en", "nl"]);
        assert_eq!(again.intro[0].1, "Welkom");
    }
}
