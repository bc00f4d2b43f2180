//! The public website: server-rendered pages over the published snapshot.
//!
//! Every page is HTML from a template (`templates/`, minijinja, escaped by default) with its
//! graphics drawn by `peil-render` on the server, so a page is complete without JavaScript;
//! `static/peil.js` only adds linking (hover one area, see it in map, chart and table),
//! auto-submitting controls and client-side sorting. Every page has a machine-readable twin
//! (`.json`, and `.csv` where it shows a table). Nothing is fetched from outside: the style
//! sheet, the script and the logo are served from the binary or the site directory.
//!
//! Pages read through the same [`Ctx`](crate::api) as the API, so a restricted indicator is
//! as invisible here as there. Languages: the site's first language at the root, the others
//! under `/en/`, `/fr/`, `/nl/`.

pub mod i18n;

mod area;
mod browse;
mod geo;
mod indicator;
pub mod jobs;
mod manual;
pub(crate) mod plans;
pub mod stories;

use crate::AppState;
use crate::api::{Ctx, Req};
use crate::site::SiteConfig;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use peil_core::LocalizedText;
use peil_render::Locale;
use serde_json::{Value as Json, json};
use std::sync::{Arc, OnceLock};

const LANGS: [&str; 3] = ["nl", "en", "fr"];

/// The website's routes, for the default language at the root and each language under its prefix.
pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/static/peil.css", get(css))
        .route("/static/peil.js", get(js))
        .route("/static/admin.js", get(admin_js))
        .route("/static/logo", get(logo))
        .route("/content/{file}", get(stories::content_file))
        .route("/geo/{file}", get(geo::sprite))
        .route("/favicon.ico", get(favicon));
    for prefix in ["", "/nl", "/en", "/fr"] {
        if prefix.is_empty() {
            r = r.route("/", get(browse::home));
        } else {
            r = r
                .route(prefix, get(browse::home))
                .route(&format!("{prefix}/"), get(browse::home));
        }
        r = r
            .route(&format!("{prefix}/index.json"), get(browse::home))
            .route(&format!("{prefix}/themes"), get(browse::themes))
            .route(&format!("{prefix}/themes.json"), get(browse::themes))
            .route(&format!("{prefix}/themes/{{code}}"), get(browse::theme))
            .route(&format!("{prefix}/search"), get(browse::search))
            .route(&format!("{prefix}/search.json"), get(browse::search))
            .route(&format!("{prefix}/compare"), get(browse::compare))
            .route(&format!("{prefix}/compare.json"), get(browse::compare))
            .route(&format!("{prefix}/compare.csv"), get(browse::compare))
            .route(&format!("{prefix}/explorer"), get(browse::explorer))
            .route(&format!("{prefix}/explorer.json"), get(browse::explorer))
            .route(&format!("{prefix}/explorer.csv"), get(browse::explorer))
            .route(
                &format!("{prefix}/indicator/{{code}}"),
                get(indicator::page),
            )
            .route(
                &format!("{prefix}/indicator/{{code}}/{{graphic}}"),
                get(indicator::graphic),
            )
            .route(
                &format!("{prefix}/area/{{level}}/{{code}}"),
                get(area::page),
            )
            .route(
                &format!("{prefix}/plans/{{name}}"),
                get(plans::scorecard_page),
            )
            .route(&format!("{prefix}/stories"), get(stories::list))
            .route(&format!("{prefix}/stories.json"), get(stories::list))
            .route(&format!("{prefix}/stories/{{name}}"), get(stories::story))
            .route(
                &format!("{prefix}/stories/{{name}}/bulk"),
                axum::routing::post(stories::bulk),
            )
            .route(
                &format!("{prefix}/dashboards/{{name}}"),
                get(stories::dashboard),
            )
            .route(&format!("{prefix}/handleiding"), get(manual::index))
            .route(&format!("{prefix}/handleiding.pdf"), get(manual::index))
            .route(
                &format!("{prefix}/handleiding/{{chapter}}"),
                get(manual::chapter),
            )
            .route(&format!("{prefix}/manual"), get(manual::index))
            .route(&format!("{prefix}/manual.pdf"), get(manual::index))
            .route(
                &format!("{prefix}/manual/{{chapter}}"),
                get(manual::chapter),
            )
            .route(&format!("{prefix}/manuel"), get(manual::index))
            .route(&format!("{prefix}/manuel.pdf"), get(manual::index))
            .route(
                &format!("{prefix}/manuel/{{chapter}}"),
                get(manual::chapter),
            )
            .route(&format!("{prefix}/jobs/{{id}}"), get(stories::job))
            .route(
                &format!("{prefix}/jobs/{{id}}/cancel"),
                axum::routing::post(stories::cancel),
            )
            .route(
                &format!("{prefix}/embed/indicator/{{code}}/{{what}}"),
                get(indicator::embed),
            );
    }
    r
}

// --- one page's context --------------------------------------------------------------------

/// One page request: the API context (publication and access) plus language and site.
pub(crate) struct Page {
    pub ctx: Ctx,
    pub req: Req,
    pub lang: String,
    /// Path prefix of the language (`""` for the default).
    pub prefix: String,
    /// The path without the language prefix.
    pub path: String,
    pub site: Arc<SiteConfig>,
}

/// What a page handler answers: HTML, a twin, or an error page.
pub(crate) type PageResult = Result<Response, Response>;

impl Page {
    // The refusal is the page handler's own answer, returned through `?` into `PageResult`:
    // a box would need unboxing in every handler, for an error path taken once per request.
    #[allow(clippy::result_large_err)]
    pub fn new(st: &AppState, req: Req) -> Result<Page, Response> {
        let site = st.site();
        let (lang, prefix, path) = split_lang(&req.path, &site);
        let ctx = match Ctx::new(st, &req) {
            Ok(c) => c,
            Err(e) => return Err(e.into_response()),
        };
        let mut ctx = ctx;
        ctx.lang = lang.clone();
        Ok(Page {
            ctx,
            req,
            lang,
            prefix,
            path,
            site,
        })
    }

    pub fn locale(&self) -> Locale {
        Locale::parse(&self.lang).unwrap_or(Locale::Nl)
    }

    /// A link to a page in this page's language.
    pub fn href(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }

    /// A text in the page's language, else the site's default, else any.
    pub fn text(&self, t: &LocalizedText) -> String {
        t.get(&self.lang)
            .or_else(|| t.get(self.site.default_lang()))
            .or_else(|| t.0.values().next().map(String::as_str))
            .unwrap_or("")
            .to_string()
    }

    /// An absolute URL for a path of this site (share links and embed codes leave the site),
    /// from the configured public address, never from request headers.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.ctx.st.public_url())
    }

    pub fn word(&self, key: &str) -> &'static str {
        i18n::word(&self.lang, key)
    }

    /// The requested twin: `json`, `csv`, `xlsx` by the path's extension, else `None` (HTML).
    pub fn twin(&self) -> Option<&str> {
        let last = self.path.rsplit('/').next().unwrap_or("");
        last.rsplit_once('.').map(|(_, ext)| ext)
    }

    /// The query parameter (first value; empty counts as absent).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.req
            .pairs
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// A list parameter: comma-separated and/or repeated.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.req.list(name).unwrap_or_default()
    }

    /// Renders a template inside the layout.
    pub fn render(&self, template: &str, title: &str, data: Json) -> Response {
        self.render_values(template, title, data, minijinja::Value::UNDEFINED, &[])
    }

    /// [`Page::render`] from a typed context: the template reads the struct's fields.
    pub fn render_typed<T: serde::Serialize>(
        &self,
        template: &str,
        title: &str,
        context: &T,
    ) -> Response {
        let context = minijinja::Value::from(minijinja::value::Serde(context));
        self.render_values(template, title, json!({}), context, &[])
    }

    /// [`Page::render`] with more context given as template values (`extra`, a map whose keys
    /// come before `data`'s: large parts of a page built straight from typed rows, without a
    /// JSON tree in between) and large pre-rendered fragments (a map of thousands of areas, a
    /// chart, a table's rows) spliced in after the template ran: the template receives
    /// [`FRAGMENTS`]`[i]` in place of `fragments[i]` (and must write it unescaped, `|safe`),
    /// so each fragment is copied once, into the answer, instead of through the template
    /// engine. Escaped text cannot forge a marker.
    pub fn render_values(
        &self,
        template: &str,
        title: &str,
        mut data: Json,
        extra: minijinja::Value,
        fragments: &[&str],
    ) -> Response {
        let site = &self.site;
        let query = self
            .req
            .raw_pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let alternates: Vec<Json> = site
            .languages
            .iter()
            .filter(|l| LANGS.contains(&l.as_str()))
            .map(|l| {
                let prefix = if l == site.default_lang() {
                    String::new()
                } else {
                    format!("/{l}")
                };
                let mut href = format!("{prefix}{}", self.path);
                if href.is_empty() {
                    href.push('/');
                }
                if !query.is_empty() {
                    href.push('?');
                    href.push_str(&query);
                }
                json!({"lang": l, "name": i18n::language_name(l), "href": href, "current": *l == self.lang})
            })
            .collect();
        let base = json!({
            "site": {
                "name": site.name,
                "logo": site.logo.is_some(),
                "primary": site.primary,
                "accent": site.accent,
            },
            "lang": self.lang,
            "p": self.prefix,
            // The handbook's address in this language (`handleiding`, `manual`, `manuel`).
            "manual_root": crate::manual::root(&self.lang),
            "title": title,
            "alternates": alternates,
            "path": self.path,
            "me": self.req.session.as_ref().map(|s| json!({
                "login": s.user.login,
                "name": s.user.display_name,
                "csrf": s.csrf,
                "admin": s.user.role.allows(peil_core::Role::Expert),
                "preview": s.preview,
            })),
            // This answer reads the test copy (an expert's preview): every page says so.
            "preview": self.req.preview.is_some(),
            "here": self.req.path,
        });
        if let (Json::Object(d), Json::Object(b)) = (&mut data, base) {
            for (k, v) in b {
                d.entry(k).or_insert(v);
            }
        }
        let mut layers = vec![
            minijinja::context! { t => words_value(&self.lang) },
            minijinja::Value::from(minijinja::value::Serde(&data)),
        ];
        if !extra.is_undefined() {
            layers.insert(0, extra);
        }
        let ctx = minijinja::value::merge_maps(layers);
        match render(&self.lang, template, ctx) {
            Ok(page) if fragments.is_empty() => html(page),
            Ok(page) => html(splice(&page, fragments)),
            Err(e) => template_failed(template, &e),
        }
    }

    /// A page that does not exist, in the page's language.
    pub fn not_found(&self) -> Response {
        let mut r = self.render(
            "error.html",
            self.word("not_found"),
            json!({"message": self.word("not_found_text")}),
        );
        *r.status_mut() = StatusCode::NOT_FOUND;
        r
    }

    /// An error page saying why a request was refused (`message` is a word's key).
    pub fn refused(&self, status: StatusCode, message: &str) -> Response {
        let mut r = self.render(
            "error.html",
            self.word("refused"),
            json!({"message": self.word(message)}),
        );
        *r.status_mut() = status;
        r
    }
}

/// Whether a path is the back office's (`/admin…`, also under a language prefix).
pub(crate) fn split_admin(path: &str) -> bool {
    let rest = LANGS
        .iter()
        .find_map(|l| {
            path.strip_prefix(&format!("/{l}"))
                .filter(|r| r.starts_with('/'))
        })
        .unwrap_or(path);
    rest == "/admin" || rest.starts_with("/admin/")
}

/// (language, link prefix, path without the prefix) of a request path.
fn split_lang(path: &str, site: &SiteConfig) -> (String, String, String) {
    for l in LANGS {
        let p = format!("/{l}");
        if (path == p || path.starts_with(&format!("{p}/")))
            && site.languages.iter().any(|x| x == l)
        {
            let rest = &path[p.len()..];
            let prefix = if l == site.default_lang() {
                String::new()
            } else {
                p
            };
            return (l.to_string(), prefix, rest.to_string());
        }
    }
    (
        site.default_lang().to_string(),
        String::new(),
        path.to_string(),
    )
}

// --- templates and responses ---------------------------------------------------------------

/// Writes `s` with `& < > " '` escaped (the rule of `peil_render::escape`), the runs between
/// them as they are: no string per value.
fn write_escaped(out: &mut minijinja::Output, s: &str) -> std::fmt::Result {
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&s[from..i])?;
        out.write_str(rep)?;
        from = i + 1;
    }
    out.write_str(&s[from..])
}

/// The interface's words of a language as a template value, built once per language.
fn words_value(lang: &str) -> minijinja::Value {
    static WORDS: OnceLock<[minijinja::Value; 3]> = OnceLock::new();
    let all = WORDS.get_or_init(|| {
        ["nl", "en", "fr"].map(|l| minijinja::Value::from(minijinja::value::Serde(i18n::words(l))))
    });
    match lang {
        "en" => all[1].clone(),
        "fr" => all[2].clone(),
        _ => all[0].clone(),
    }
}

/// The templates of a language: one environment per language, built once, in which every
/// `{{ t.key }}` of the interface's words is already the word's text (escaped as the
/// formatter would), so a page does not look up and escape a hundred fixed words per request.
/// Other uses of `t` (filters, expressions) stay lookups.
fn env(lang: &str) -> &'static minijinja::Environment<'static> {
    static ENVS: OnceLock<[minijinja::Environment<'static>; 3]> = OnceLock::new();
    let all = ENVS.get_or_init(|| ["nl", "en", "fr"].map(build_env));
    match lang {
        "en" => &all[1],
        "fr" => &all[2],
        _ => &all[0],
    }
}

/// `text` with each `{{ t.key }}` (spaces around allowed, no whitespace control) whose key is
/// a word replaced by the word in `lang`, HTML-escaped.
fn with_words(text: &str, lang: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let inner_end = tail.find("}}");
        let word = inner_end.and_then(|end| {
            let key = tail[..end].trim_matches(' ').strip_prefix("t.")?;
            let plain = !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !tail.starts_with('-')
                && !tail[..end].ends_with('-');
            plain.then(|| i18n::words_of(lang, key)).flatten()
        });
        match (word, inner_end) {
            (Some(w), Some(end)) => {
                peil_render::escape_into(&mut out, w);
                rest = &tail[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

fn build_env(lang: &'static str) -> minijinja::Environment<'static> {
    {
        let mut e = minijinja::Environment::new();
        e.add_filter("truncate", truncate);
        // Escape what HTML needs (& < > " ') and nothing more: minijinja's default also
        // escapes '/', which makes every URL in a page longer and harder to read.
        e.set_formatter(|out, state, value| match value.as_str() {
            Some(s) if !value.is_safe() && *state.auto_escape() == minijinja::AutoEscape::Html => {
                write_escaped(out, s)
                    .map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write"))
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, text) in [
            ("base.html", include_str!("templates/base.html")),
            ("macros.html", include_str!("templates/macros.html")),
            ("home.html", include_str!("templates/home.html")),
            ("themes.html", include_str!("templates/themes.html")),
            ("theme.html", include_str!("templates/theme.html")),
            ("search.html", include_str!("templates/search.html")),
            ("indicator.html", include_str!("templates/indicator.html")),
            ("area.html", include_str!("templates/area.html")),
            ("compare.html", include_str!("templates/compare.html")),
            ("explorer.html", include_str!("templates/explorer.html")),
            ("embed.html", include_str!("templates/embed.html")),
            ("error.html", include_str!("templates/error.html")),
            ("stories.html", include_str!("templates/stories.html")),
            ("plan.html", include_str!("templates/plan.html")),
            (
                "admin_operations.html",
                include_str!("templates/admin_operations.html"),
            ),
            (
                "admin_plans.html",
                include_str!("templates/admin_plans.html"),
            ),
            ("story.html", include_str!("templates/story.html")),
            ("manual.html", include_str!("templates/manual.html")),
            ("dashboard.html", include_str!("templates/dashboard.html")),
            ("job.html", include_str!("templates/job.html")),
            ("admin.html", include_str!("templates/admin.html")),
            (
                "admin_indicators.html",
                include_str!("templates/admin_indicators.html"),
            ),
            (
                "admin_indicator.html",
                include_str!("templates/admin_indicator.html"),
            ),
            (
                "admin_vocabulary.html",
                include_str!("templates/admin_vocabulary.html"),
            ),
            (
                "admin_areas.html",
                include_str!("templates/admin_areas.html"),
            ),
            (
                "admin_login.html",
                include_str!("templates/admin_login.html"),
            ),
            ("admin_home.html", include_str!("templates/admin_home.html")),
            (
                "admin_account.html",
                include_str!("templates/admin_account.html"),
            ),
            (
                "admin_users.html",
                include_str!("templates/admin_users.html"),
            ),
            ("admin_keys.html", include_str!("templates/admin_keys.html")),
            (
                "admin_groups.html",
                include_str!("templates/admin_groups.html"),
            ),
            (
                "admin_import.html",
                include_str!("templates/admin_import.html"),
            ),
            (
                "admin_imports.html",
                include_str!("templates/admin_imports.html"),
            ),
            (
                "admin_schedule.html",
                include_str!("templates/admin_schedule.html"),
            ),
            (
                "admin_source.html",
                include_str!("templates/admin_source.html"),
            ),
            (
                "admin_publish.html",
                include_str!("templates/admin_publish.html"),
            ),
            (
                "admin_audit.html",
                include_str!("templates/admin_audit.html"),
            ),
            (
                "admin_themes.html",
                include_str!("templates/admin_themes.html"),
            ),
            (
                "admin_files.html",
                include_str!("templates/admin_files.html"),
            ),
            (
                "admin_preview.html",
                include_str!("templates/admin_preview.html"),
            ),
            (
                "admin_story.html",
                include_str!("templates/admin_story.html"),
            ),
            (
                "admin_dashboard.html",
                include_str!("templates/admin_dashboard.html"),
            ),
            (
                "admin_history.html",
                include_str!("templates/admin_history.html"),
            ),
            (
                "admin_version.html",
                include_str!("templates/admin_version.html"),
            ),
            (
                "admin_images.html",
                include_str!("templates/admin_images.html"),
            ),
            (
                "admin_settings.html",
                include_str!("templates/admin_settings.html"),
            ),
        ] {
            e.add_template_owned(name, with_words(text, lang))
                .unwrap_or_else(|err| panic!("template {name}: {err:#}"));
        }
        e
    }
}

/// Shortens text to at most `n` characters, at a word boundary, with an ellipsis.
fn truncate(s: String, n: usize) -> String {
    if s.chars().count() <= n {
        return s;
    }
    let cut: String = s.chars().take(n).collect();
    let cut = match cut.rfind(' ') {
        Some(k) if k > n / 2 => &cut[..k],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

/// Where [`Page::render_values`] puts its fragments: comments no escaped text can contain.
pub(crate) const FRAGMENTS: [&str; 6] = [
    "<!--peil:fragment:0-->",
    "<!--peil:fragment:1-->",
    "<!--peil:fragment:2-->",
    "<!--peil:fragment:3-->",
    "<!--peil:fragment:4-->",
    "<!--peil:fragment:5-->",
];

/// The page with each [`FRAGMENTS`] marker (the first of each) replaced by its fragment, in
/// one allocation. A marker the template did not write leaves its fragment out.
fn splice(page: &str, fragments: &[&str]) -> String {
    debug_assert!(fragments.len() <= FRAGMENTS.len());
    // One scan for the markers' common start, then the digit says which one it is.
    const START: &str = "<!--peil:fragment:";
    let mut at: Vec<(usize, usize)> = Vec::with_capacity(fragments.len());
    for (p, _) in page.match_indices(START) {
        let Some(i) = page
            .as_bytes()
            .get(p + START.len())
            .map(|d| usize::from(d.wrapping_sub(b'0')))
        else {
            continue;
        };
        if i < fragments.len()
            && page[p..].starts_with(FRAGMENTS[i])
            && !at.iter().any(|&(_, j)| j == i)
        {
            at.push((p, i));
        }
    }
    let extra: usize = at.iter().map(|&(_, i)| fragments[i].len()).sum();
    let mut out = String::with_capacity(page.len() + extra);
    let mut from = 0;
    for (p, i) in at {
        out.push_str(&page[from..p]);
        out.push_str(fragments[i]);
        from = p + FRAGMENTS[i].len();
    }
    out.push_str(&page[from..]);
    out
}

fn render(lang: &str, template: &str, ctx: minijinja::Value) -> Result<String, minijinja::Error> {
    env(lang).get_template(template).and_then(|t| t.render(ctx))
}

/// The answer when a template fails: logged, and a plain error page.
fn template_failed(template: &str, e: &minijinja::Error) -> Response {
    eprintln!(
        "{{\"event\":\"template failed\",\"template\":\"{template}\",\"error\":{:?}}}",
        format!("{e:#}")
    );
    let mut r = html(format!(
        "<!doctype html><html lang=\"en\"><title>Error</title><main id=\"main\"><h1>Template error</h1><p>{}</p></main></html>",
        peil_render::escape(&e.to_string())
    ));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// Pages may use only what the binary serves: no outside scripts, styles, fonts or images.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors *; base-uri 'self'; form-action 'self'";

/// Everything that is not a page (data, images, files from the site directory) runs nothing
/// when opened directly: an uploaded SVG with a script in it is shown as an image, sandboxed.
const CSP_FILES: &str =
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/// Every answer says what it may load and that its type is not to be guessed (called for
/// every response by the outermost layer, `metrics::observe`).
pub(crate) fn security_headers(h: &mut axum::http::HeaderMap) {
    if !h.contains_key("content-security-policy") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static(CSP_FILES),
        );
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
}

pub(crate) fn html(body: String) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    r.headers_mut()
        .insert("content-security-policy", HeaderValue::from_static(CSP));
    r
}

/// A page's machine-readable twin (`.json`): a typed value whose shape the OpenAPI document
/// describes (`api::openapi`, the `Twin…` schemas), so its fields are a contract.
/// Objects are written with their keys in alphabetical order, as the twins always were: the
/// structs declare their fields in that order.
pub(crate) fn json_twin<T: serde::Serialize + ?Sized>(v: &T) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec_pretty(v).unwrap_or_default(),
    )
        .into_response()
}

/// A number as the API writes it (`api::jnum`): whole numbers without a fraction, `null` for
/// no number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Num(pub Option<f64>);

impl serde::Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => s.serialize_i64(x as i64),
            Some(x) => s.serialize_f64(x),
            None => s.serialize_none(),
        }
    }
}

/// An area as the API names it (`{"item": …, "level": …}`), e.g. a survey's benchmark.
#[derive(serde::Serialize)]
pub(crate) struct AreaRef<'a> {
    pub item: &'a str,
    pub level: &'a str,
}

pub(crate) fn svg_response(svg: String) -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

pub(crate) fn png_response(svg: &str) -> Response {
    match peil_render::png::to_png(svg, 2.0) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the image could not be drawn: {e}"),
        )
            .into_response(),
    }
}

// --- static assets ---------------------------------------------------------------------------

const CSS: &str = include_str!("static/peil.css");
const JS: &str = include_str!("static/peil.js");
/// The back office's editors' script (the story editor's live preview).
const ADMIN_JS: &str = include_str!("static/admin.js");

async fn css(axum::extract::State(st): axum::extract::State<AppState>) -> Response {
    let site = st.site();
    // The brand colours are the site's; everything else is the embedded sheet.
    let body = format!(
        ":root{{--brand:{};--accent:{}}}\n{CSS}",
        safe_colour(&site.primary, "#00536f"),
        safe_colour(&site.accent, "#b34400")
    );
    static_response("text/css; charset=utf-8", body.into_bytes())
}

async fn js() -> Response {
    static_response("text/javascript; charset=utf-8", JS.as_bytes().to_vec())
}

async fn admin_js() -> Response {
    static_response(
        "text/javascript; charset=utf-8",
        ADMIN_JS.as_bytes().to_vec(),
    )
}

async fn logo(axum::extract::State(st): axum::extract::State<AppState>) -> Response {
    match &st.site().logo {
        Some((mime, bytes)) => static_response(mime, bytes.clone()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn favicon() -> Response {
    // A small gauge in SVG: browsers ask for /favicon.ico whatever the page says.
    static_response(
        "image/svg+xml",
        br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#00536f"/><path d="M3 12h2V8H3zm4 0h2V4H7zm4 0h2V6h-2z" fill="#fff"/></svg>"##.to_vec(),
    )
}

fn static_response(mime: &str, body: Vec<u8>) -> Response {
    let mut r = body.into_response();
    if let Ok(v) = HeaderValue::from_str(mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// A colour from the configuration, only when it is a plain hex colour (it goes into CSS).
fn safe_colour<'a>(c: &'a str, fallback: &'a str) -> &'a str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok { c } else { fallback }
}

/// Anything no route knows: a problem document for API paths, a page for people elsewhere.
pub(crate) async fn fallback(
    axum::extract::State(st): axum::extract::State<AppState>,
    req: Req,
) -> Response {
    let machine = [
        "/api/",
        "/jiveservices/",
        "/viewerservices/",
        "/jive/",
        "/viewer/",
    ]
    .iter()
    .any(|p| req.path.starts_with(p))
        || req.path.ends_with(".json")
        || req.path.ends_with(".csv")
        // Tools that ask for JSON (and not for HTML) get a problem document anywhere.
        || req
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("json") && !a.contains("text/html"));
    if machine {
        return crate::problem::not_found(req.path.parse().unwrap_or_default())
            .await
            .into_response();
    }
    match Page::new(&st, req) {
        Ok(p) => p.not_found(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_are_written_into_the_templates_escaped() {
        use super::{i18n, with_words};
        let nl = i18n::word("nl", "home");
        let en = i18n::word("en", "home");
        assert_ne!(nl, en);
        assert_eq!(
            with_words("<a>{{ t.home }}</a>", "nl"),
            format!("<a>{nl}</a>")
        );
        assert_eq!(
            with_words("<a>{{t.home}}</a>", "en"),
            format!("<a>{en}</a>")
        );
        // Whitespace control, expressions, filters and unknown words stay as they are.
        for kept in [
            "{{- t.home }}",
            "{{ t.home -}}",
            "{{ t.home|upper }}",
            "{{ t.no_such_word_here }}",
            "{{ t }}",
            "{{ x }}",
            "{% if t.home %}",
            "{{ unclosed",
        ] {
            assert_eq!(with_words(kept, "nl"), kept);
        }
        // A word with a markup character is escaped as the formatter escapes values.
        let (key, word) = i18n::WORDS_FOR_TESTS
            .iter()
            .find_map(|(k, nl, _, _)| nl.contains(['&', '<', '>', '"', '\'']).then_some((*k, *nl)))
            .expect("a word with a markup character");
        assert_eq!(
            with_words(&format!("{{{{ t.{key} }}}}"), "nl"),
            peil_render::escape(word)
        );
    }

    #[test]
    fn splice_puts_each_fragment_at_its_marker() {
        use super::{FRAGMENTS, splice};
        let page = format!("a{}b{}c{}d", FRAGMENTS[2], FRAGMENTS[0], FRAGMENTS[2]);
        // Out of order, the second of a marker left as it is, a fragment without marker left out.
        assert_eq!(
            splice(&page, &["<X>", "<Y>", "<Z>"]),
            format!("a<Z>b<X>c{}d", FRAGMENTS[2])
        );
        assert_eq!(splice("plain", &["<X>"]), "plain");
        // A marker number beyond the fragments given stays text.
        assert_eq!(
            splice(&format!("a{}", FRAGMENTS[3]), &["<X>"]),
            format!("a{}", FRAGMENTS[3])
        );
        assert_eq!(
            splice("a<!--peil:fragment:", &["<X>"]),
            "a<!--peil:fragment:"
        );
    }

    use super::*;

    /// Every word a template asks for (`t.word`) exists in nl, en and fr: a missing one would
    /// render as nothing (an empty label or summary).
    #[test]
    fn every_word_a_template_uses_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/templates");
        let words = i18n::words("en");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let bytes = text.as_bytes();
            let mut at = 0;
            while let Some(i) = text[at..].find("t.") {
                let start = at + i;
                at = start + 2;
                let boundary = start == 0
                    || !(bytes[start - 1].is_ascii_alphanumeric()
                        || bytes[start - 1] == b'_'
                        || bytes[start - 1] == b'.');
                if !boundary {
                    continue;
                }
                let word: String = text[start + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !word.is_empty()
                    && word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && !words.contains_key(&word)
                {
                    missing.push(format!(
                        "{}: {word}",
                        path.file_name().unwrap().to_string_lossy()
                    ));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "words templates use but i18n.rs lacks: {missing:?}"
        );
    }

    #[test]
    fn every_template_parses() {
        let e = env("nl");
        for name in [
            "base.html",
            "home.html",
            "indicator.html",
            "area.html",
            "error.html",
            "admin.html",
            "admin_login.html",
            "admin_home.html",
            "admin_account.html",
            "admin_users.html",
            "admin_keys.html",
            "admin_groups.html",
            "admin_audit.html",
            "admin_import.html",
            "admin_imports.html",
            "admin_schedule.html",
            "admin_source.html",
            "admin_publish.html",
            "admin_themes.html",
            "plan.html",
            "admin_plans.html",
            "admin_operations.html",
        ] {
            assert!(e.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn language_prefixes() {
        let site = SiteConfig::named("X");
        assert_eq!(
            split_lang("/en/indicator/a", &site),
            ("en".into(), "/en".into(), "/indicator/a".into())
        );
        assert_eq!(
            split_lang("/indicator/a", &site),
            ("nl".into(), "".into(), "/indicator/a".into())
        );
        assert_eq!(
            split_lang("/nl/", &site),
            ("nl".into(), "".into(), "/".into())
        );
        assert_eq!(split_lang("/english", &site).0, "nl");
    }

    #[test]
    fn colours_are_checked_before_they_reach_css() {
        assert_eq!(safe_colour("#123abc", "#000000"), "#123abc");
        assert_eq!(safe_colour("red;}body{", "#000000"), "#000000");
    }
}
