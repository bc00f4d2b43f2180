//! The site's stories and dashboards edited in the back office (experts and administrators):
//! the lists, the story editor with its live preview, the dashboard editor (a form per tile),
//! and the version history with restore, shared with the settings form (`settings.rs`).
//!
//! A text is checked as `peil check` checks it — the file name, the syntax, then a trial render
//! on the publication the server serves — before it is written; a refused text stays in the
//! form with its error and line. A save writes the file atomically (a temporary file in the same
//! folder, then a rename), keeps the version in the store with who and when (and, the first
//! time, the file as it was found), and the server serves the new file at once
//! ([`AppState::reload_content`], which also empties the response cache). Rendering (preview,
//! check) runs on the blocking pool.

use super::{Admin, no_store};
use crate::AppState;
use crate::web::Page;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use peil_story::{Area, Dashboard, Data, Story, StoryError};
use serde_json::{Value as Json, json};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

/// Longest story or dashboard text the back office reads (bytes), checked before any work.
pub(super) const MAX_SOURCE: usize = 64 * 1024;
/// Fields of one form (a dashboard of many tiles has a dozen per tile).
const MAX_FIELDS: usize = 2400;
/// Tiles of one dashboard.
const MAX_TILES: usize = 100;
/// Areas offered by the preview's area choice.
const MAX_AREAS: usize = 3000;

/// The two kinds of content file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Story,
    Dashboard,
}

impl Kind {
    pub(super) fn folder(self) -> &'static str {
        match self {
            Kind::Story => "stories",
            Kind::Dashboard => "dashboards",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Kind::Story => "md",
            Kind::Dashboard => "toml",
        }
    }

    /// The file of `name`, relative to the site directory.
    pub(super) fn path(self, name: &str) -> String {
        format!("{}/{name}.{}", self.folder(), self.ext())
    }

    /// The kind and name of a file path made by [`Kind::path`].
    fn of_path(path: &str) -> Option<(Kind, String)> {
        [Kind::Story, Kind::Dashboard].into_iter().find_map(|k| {
            let name = path
                .strip_prefix(k.folder())?
                .strip_prefix('/')?
                .strip_suffix(k.ext())?
                .strip_suffix('.')?;
            valid_name(name).then(|| (k, name.to_string()))
        })
    }
}

/// A name is the file's address: letters, digits, `-` and `_` (as `Content::load` requires).
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The site directory the server reads its files from.
pub(super) fn site_dir(st: &AppState) -> Option<PathBuf> {
    st.site().dir.clone()
}

/// A form's fields, each at most [`MAX_SOURCE`] bytes and at most [`MAX_FIELDS`] of them;
/// refused (not cut) when longer.
pub(super) fn form(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if v.len() > MAX_SOURCE {
            return Err(format!(
                "the field '{k}' is longer than {} KB",
                MAX_SOURCE / 1024
            ));
        }
        if out.len() >= MAX_FIELDS {
            return Err(format!("more than {MAX_FIELDS} fields"));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

pub(super) fn get<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    super::login::field(f, name)
}

pub(super) fn who(a: &Admin) -> String {
    a.user()
        .map(|u| u.login.clone())
        .unwrap_or_else(|| "-".into())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the old file, so a reader sees the old file or the new one, never half.
pub(super) fn write_atomic(path: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(FsPath::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".peil-save-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What a save of a site file does: the file (relative to the site directory), its new text,
/// `save` or `restore` (and from which version).
pub(super) struct Save {
    pub path: String,
    pub text: String,
    pub action: &'static str,
    pub restored_from: Option<i64>,
}

/// Saves a site file and keeps its version: the file as it was found is kept first when the
/// store has not seen it, then the new text, written atomically; `apply` then makes the server
/// serve it (all while no other save or reload of the site's files runs). Returns the new
/// version's id. Blocking: runs on the blocking pool.
pub(super) async fn save(
    st: &AppState,
    who: String,
    s: Save,
    apply: impl FnOnce(&AppState) + Send + 'static,
) -> Result<i64, String> {
    let Some(dir) = site_dir(st) else {
        return Err("this server has no site folder to write to".into());
    };
    let st2 = st.clone();
    let store = st.store_location().clone();
    tokio::task::spawn_blocking(move || {
        st2.with_site_files(|| -> Result<i64, String> {
            let store = peil_store::Store::open_at(&store).map_err(|e| e.to_string())?;
            let file = dir.join(&s.path);
            let on_disk = std::fs::read_to_string(&file).ok();
            let known = store.latest_content(&s.path).map_err(|e| e.to_string())?;
            if let Some(found) = on_disk.filter(|d| known.as_deref() != Some(d.as_str())) {
                store
                    .add_content_version(&s.path, "-", "found", None, &found)
                    .map_err(|e| e.to_string())?;
            }
            write_atomic(&file, s.text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", s.path))?;
            let id = store
                .add_content_version(&s.path, &who, s.action, s.restored_from, &s.text)
                .map_err(|e| e.to_string())?;
            apply(&st2);
            Ok(id)
        })
    })
    .await
    .map_err(|e| format!("the save failed: {e}"))?
}

/// What stories read on the publication the server serves.
async fn story_data(a: &Admin) -> Arc<Data> {
    crate::web::stories::data(&a.page).await
}

/// The problems `peil check` finds in this text of a content file (none: it may be saved).
fn check_text(data: &Arc<Data>, kind: Kind, name: &str, text: &str) -> Vec<StoryError> {
    let file = kind.path(name);
    if !valid_name(name) {
        return vec![StoryError {
            file,
            line: None,
            reason: "the file name is its address: use letters, digits, - and _ only".into(),
        }];
    }
    let story = match kind {
        Kind::Story => Story::parse(name, &file, text),
        Kind::Dashboard => Dashboard::parse(name, &file, text).and_then(|d| d.story()),
    };
    match story.and_then(|s| peil_story::check(data, &s)) {
        Ok(()) => Vec::new(),
        Err(e) => vec![e],
    }
}

/// [`check_text`] on the blocking pool.
async fn check_blocking(
    data: Arc<Data>,
    kind: Kind,
    name: String,
    text: String,
) -> Vec<StoryError> {
    tokio::task::spawn_blocking(move || check_text(&data, kind, &name, &text))
        .await
        .unwrap_or_else(|e| {
            vec![StoryError {
                file: String::new(),
                line: None,
                reason: format!("the check failed: {e}"),
            }]
        })
}

fn errors_json(errors: &[StoryError]) -> Json {
    json!(
        errors
            .iter()
            .map(|e| json!({"line": e.line, "reason": e.reason, "text": e.to_string()}))
            .collect::<Vec<_>>()
    )
}

/// The lines of a text, numbered, for the list of errors to link to.
fn numbered(text: &str) -> Json {
    json!(
        text.lines()
            .enumerate()
            .map(|(i, l)| json!({"n": i + 1, "text": l}))
            .collect::<Vec<_>>()
    )
}

fn failed_page(a: &Admin, status: StatusCode, text: &str) -> Response {
    let mut r = a.render(
        "admin.html",
        "admin_content",
        json!({"message": {"text": text, "ok": false}}),
    );
    *r.status_mut() = status;
    r
}

// --- the lists ---------------------------------------------------------------------------------

pub(super) async fn stories(State(st): State<AppState>, a: Admin) -> Response {
    files_page(&st, &a, Kind::Story)
}

pub(super) async fn dashboards(State(st): State<AppState>, a: Admin) -> Response {
    files_page(&st, &a, Kind::Dashboard)
}

/// The site's files of one kind; `?new=name` opens the editor of a new file.
fn files_page(st: &AppState, a: &Admin, kind: Kind) -> Response {
    let base = a.page.href(&format!("/admin/{}", kind.folder()));
    let mut message = None;
    if let Some(new) = a.page.param("new").map(str::trim) {
        if valid_name(new) {
            return no_store(Redirect::to(&format!("{base}/{new}")).into_response());
        }
        message = Some(json!({"text": a.page.word("admin_bad_name"), "ok": false}));
    }
    let site = st.site();
    let mut files = Vec::new();
    if let Some(dir) = site_dir(st)
        && let Ok(rd) = std::fs::read_dir(dir.join(kind.folder()))
    {
        let mut names: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|f| {
                f.strip_suffix(&format!(".{}", kind.ext()))
                    .map(String::from)
            })
            .filter(|n| valid_name(n))
            .collect();
        names.sort();
        for n in names {
            let (title, served) = match kind {
                Kind::Story => site
                    .content
                    .story(&n)
                    .map(|s| (s.meta.title.clone(), true))
                    .unwrap_or_default(),
                Kind::Dashboard => site
                    .content
                    .dashboard(&n)
                    .map(|d| (d.title.clone(), true))
                    .unwrap_or_default(),
            };
            files.push(json!({
                "name": n,
                "file": kind.path(&n),
                "title": title,
                "served": served,
                "edit": format!("{base}/{n}"),
                "history": format!("{base}/{n}/history"),
                "public": a.page.href(&format!("/{}/{n}", kind.folder())),
            }));
        }
    }
    let word = match kind {
        Kind::Story => "admin_stories",
        Kind::Dashboard => "admin_dashboards",
    };
    let mut r = a.render(
        "admin_files.html",
        word,
        json!({"files": files, "base": base, "message": message, "story": kind == Kind::Story}),
    );
    if message.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

// --- the story editor --------------------------------------------------------------------------

/// A new story's text.
const NEW_STORY: &str = "+++\ntitle = \"{{ geo.name }}\"\n+++\n# {{ geo.name }}\n\n";

/// The story language's functions as the editor lists them: (group word, syntax).
const FUNCTIONS: &[(&str, &str)] = &[
    ("admin_fn_data", "has(ind, area?)"),
    ("admin_fn_data", "name(ind)"),
    ("admin_fn_data", "unit(ind)"),
    ("admin_fn_data", "source(ind)"),
    ("admin_fn_data", "value(ind, area?, period?)"),
    ("admin_fn_data", "fmt(ind, area?, period?)"),
    ("admin_fn_data", "period(ind, area?)"),
    ("admin_fn_data", "change(ind, offset?, area?)"),
    ("admin_fn_data", "change_value(ind, offset?, area?)"),
    ("admin_fn_data", "since(ind, offset?, area?)"),
    ("admin_fn_data", "number(x, decimals?, unit?)"),
    ("admin_fn_data", "rank(ind, area?)"),
    ("admin_fn_data", "compared(ind)"),
    ("admin_fn_data", "find([words])"),
    ("admin_fn_data", "area(\"level:code\")"),
    ("admin_fn_survey", "interval(ind, area?, period?)"),
    ("admin_fn_survey", "significance(ind, area?, period?)"),
    ("admin_fn_survey", "survey(ind, area?, period?)"),
    ("admin_fn_figures", "keyfigure(ind, offset?)"),
    ("admin_fn_figures", "chart(ind, \"trend\" | \"bar\")"),
    ("admin_fn_figures", "map(ind)"),
    ("admin_fn_figures", "table([ind, …])"),
    (
        "admin_fn_areas",
        "geo · compare · parent · region · children",
    ),
    (
        "admin_fn_areas",
        "{% if … %} … {% endif %} · {% for … %} … {% endfor %}",
    ),
];

fn functions(page: &Page) -> Json {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(g, syntax) in FUNCTIONS {
        match groups.last_mut() {
            Some((last, list)) if *last == g => list.push(syntax),
            _ => groups.push((g, vec![syntax])),
        }
    }
    json!(
        groups
            .into_iter()
            .map(|(g, list)| json!({"name": page.word(g), "functions": list}))
            .collect::<Vec<_>>()
    )
}

/// The level a story is previewed on and its areas: the story's own level, else the smallest
/// level of more than one area (as the story page chooses).
fn preview_areas(data: &Data, text: &str) -> (Option<String>, Vec<Area>) {
    let declared = Story::parse("preview", "preview", text)
        .ok()
        .and_then(|s| s.meta.level)
        .filter(|l| data.level_index(l).is_some());
    let level = declared.or_else(|| {
        data.snap
            .levels
            .iter()
            .filter(|l| l.items.len() > 1)
            .min_by_key(|l| l.items.len())
            .map(|l| l.level.code.clone())
    });
    let areas = level
        .as_deref()
        .map(|l| data.areas(l).into_iter().take(MAX_AREAS).collect())
        .unwrap_or_default();
    (level, areas)
}

/// The preview of a story text for an area: its HTML, or the problem with its line.
fn preview(
    data: &Arc<Data>,
    name: &str,
    text: &str,
    area: Option<&str>,
    lang: &str,
    link_base: &str,
) -> (Option<String>, Vec<StoryError>, Option<Area>) {
    let file = Kind::Story.path(name);
    let story = match Story::parse(name, &file, text) {
        Ok(s) => s,
        Err(e) => return (None, vec![e], None),
    };
    let (_, areas) = preview_areas(data, text);
    let geo = area
        .and_then(Area::parse)
        .filter(|a| data.exists(a))
        .or_else(|| areas.first().cloned());
    let Some(geo) = geo else {
        return (None, Vec::new(), None);
    };
    match peil_story::render(data, &story, &geo, None, lang, Some(link_base)) {
        Ok(r) => (
            Some(format!(
                "<h2 class=\"preview-title\">{}</h2>{}",
                peil_render::escape(&unescape_md(&r.title)),
                peil_story::html::to_html(&r)
            )),
            Vec::new(),
            Some(geo),
        ),
        Err(e) => (None, vec![e], Some(geo)),
    }
}

/// A title as text: the backslashes that made data safe in Markdown taken out.
fn unescape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(n) if c == '\\' && n.is_ascii_punctuation() => {}
            _ => out.push(c),
        }
    }
    out
}

/// What the editor shows for a text: the preview and the problems.
struct Shown {
    html: Option<String>,
    errors: Vec<StoryError>,
    geo: Option<Area>,
    areas: Vec<Json>,
}

async fn show_story(a: &Admin, name: &str, text: &str, area: Option<String>) -> Shown {
    let data = story_data(a).await;
    let (name, text, lang, base) = (
        name.to_string(),
        text.to_string(),
        a.page.lang.clone(),
        a.page.prefix.clone(),
    );
    tokio::task::spawn_blocking(move || {
        let (html, errors, geo) = preview(&data, &name, &text, area.as_deref(), &lang, &base);
        let (_, areas) = preview_areas(&data, &text);
        let areas = areas
            .iter()
            .map(|x| {
                json!({"key": x.key(), "name": data.area_name(x).unwrap_or_default(),
                        "current": Some(x) == geo.as_ref()})
            })
            .collect();
        Shown {
            html,
            errors,
            geo,
            areas,
        }
    })
    .await
    .unwrap_or_else(|e| Shown {
        html: None,
        errors: vec![StoryError {
            file: String::new(),
            line: None,
            reason: format!("the preview failed: {e}"),
        }],
        geo: None,
        areas: Vec::new(),
    })
}

fn story_page(a: &Admin, name: &str, text: &str, shown: Shown, message: Option<Json>) -> Response {
    let base = a.page.href(&format!("/admin/stories/{name}"));
    a.render(
        "admin_story.html",
        "admin_story",
        json!({
            "name": name,
            "file": Kind::Story.path(name),
            "source": text,
            "action": base,
            "preview_url": format!("{base}/preview"),
            "history": format!("{base}/history"),
            "public": a.page.href(&format!("/stories/{name}")),
            "areas": shown.areas,
            "area": shown.geo.as_ref().map(|g| g.key()),
            "preview": shown.html,
            "errors": errors_json(&shown.errors),
            "lines": if shown.errors.is_empty() { json!([]) } else { numbered(text) },
            "functions": functions(&a.page),
            "max": MAX_SOURCE,
            "message": message,
        }),
    )
}

/// The text of a site file, if it exists.
fn read_site_file(st: &AppState, path: &str) -> Option<String> {
    std::fs::read_to_string(site_dir(st)?.join(path)).ok()
}

pub(super) async fn story_form(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    if !valid_name(&name) {
        return no_store(a.page.not_found());
    }
    let text = read_site_file(&st, &Kind::Story.path(&name)).unwrap_or_else(|| NEW_STORY.into());
    let area = a.page.param("area").map(str::to_string);
    let shown = show_story(&a, &name, &text, area).await;
    let message = saved_message(&a);
    story_page(&a, &name, &text, shown, message)
}

/// "Saved as version N", after a save's redirect.
fn saved_message(a: &Admin) -> Option<Json> {
    let id = a.page.param("saved")?.parse::<i64>().ok()?;
    Some(
        json!({"text": format!("{} ({} {id})", a.page.word("admin_saved"), a.page.word("admin_version")), "ok": true}),
    )
}

/// The story form: preview (re-rendered page) or save (checked first).
pub(super) async fn story_submit(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    if !valid_name(&name) {
        return no_store(a.page.not_found());
    }
    let f = match form(&body) {
        Ok(f) => f,
        Err(e) => return failed_page(&a, StatusCode::PAYLOAD_TOO_LARGE, &e),
    };
    let text = get(&f, "source").replace("\r\n", "\n");
    let area = Some(get(&f, "area").to_string()).filter(|s| !s.is_empty());
    if get(&f, "op") != "save" {
        let shown = show_story(&a, &name, &text, area).await;
        return story_page(&a, &name, &text, shown, None);
    }
    let errors = check_blocking(
        story_data(&a).await,
        Kind::Story,
        name.clone(),
        text.clone(),
    )
    .await;
    if !errors.is_empty() {
        let mut shown = show_story(&a, &name, &text, area).await;
        shown.errors = errors;
        let msg = json!({"text": a.page.word("admin_not_saved"), "ok": false});
        let mut r = story_page(&a, &name, &text, shown, Some(msg));
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    save_and_redirect(&st, &a, Kind::Story, &name, text, "save", None).await
}

async fn save_and_redirect(
    st: &AppState,
    a: &Admin,
    kind: Kind,
    name: &str,
    text: String,
    action: &'static str,
    restored_from: Option<i64>,
) -> Response {
    let path = kind.path(name);
    let s = Save {
        path: path.clone(),
        text,
        action,
        restored_from,
    };
    match save(st, who(a), s, |st| {
        st.reload_content();
    })
    .await
    {
        Ok(id) => {
            let what = if action == "restore" {
                "content restored"
            } else {
                "content saved"
            };
            a.audit(
                st,
                what,
                json!({"file": path, "version": id, "restored_from": restored_from}),
            )
            .await;
            let to = a
                .page
                .href(&format!("/admin/{}/{name}?saved={id}", kind.folder()));
            no_store(Redirect::to(&to).into_response())
        }
        Err(e) => failed_page(a, StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// The live preview for the editor's script: the preview and the problems as an HTML fragment.
pub(super) async fn story_preview(Path(name): Path<String>, a: Admin, body: Bytes) -> Response {
    if !valid_name(&name) {
        return no_store(a.page.not_found());
    }
    let f = match form(&body) {
        Ok(f) => f,
        Err(e) => {
            return no_store((StatusCode::PAYLOAD_TOO_LARGE, e).into_response());
        }
    };
    let text = get(&f, "source").replace("\r\n", "\n");
    let area = Some(get(&f, "area").to_string()).filter(|s| !s.is_empty());
    let shown = show_story(&a, &name, &text, area).await;
    let mut r = a.render(
        "admin_preview.html",
        "admin_story",
        json!({
            "preview": shown.html,
            "errors": errors_json(&shown.errors),
        }),
    );
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

// --- the dashboard editor ----------------------------------------------------------------------

/// A dashboard as its form edits it: every field a text, as typed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct DashForm {
    title: String,
    description: String,
    level: String,
    area: String,
    compare: String,
    #[serde(rename = "tile")]
    tiles: Vec<TileForm>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct TileForm {
    kind: String,
    title: String,
    indicator: String,
    indicators: Vec<String>,
    chart: String,
    change: Option<i64>,
    target: Option<f64>,
    text: String,
    image: String,
    alt: String,
    /// The form's own texts of `change` and `target` (kept when they are not numbers).
    #[serde(skip)]
    change_text: String,
    #[serde(skip)]
    target_text: String,
    /// Which `[[tile]]` of the file this tile was (none: added in the form), so that saving
    /// keeps that table's comments and formatting wherever the tile moved.
    #[serde(skip)]
    orig: Option<usize>,
}

const TILE_KINDS: [&str; 6] = ["keyfigure", "chart", "map", "table", "text", "image"];
const FIELDS: [&str; 10] = [
    "kind",
    "title",
    "indicator",
    "indicators",
    "chart",
    "change",
    "target",
    "text",
    "image",
    "alt",
];

impl DashForm {
    /// The form read from a dashboard file (`None`: it is not TOML of a dashboard's shape).
    fn from_text(text: &str) -> Result<DashForm, String> {
        let mut d: DashForm = toml::from_str(text).map_err(|e| e.message().to_string())?;
        for (i, t) in d.tiles.iter_mut().enumerate() {
            t.change_text = t.change.map(|c| c.to_string()).unwrap_or_default();
            t.target_text = t.target.map(|c| c.to_string()).unwrap_or_default();
            t.orig = Some(i);
        }
        Ok(d)
    }

    /// The form read from posted fields.
    fn from_fields(f: &[(String, String)]) -> DashForm {
        let one = |k: &str| get(f, k).trim().to_string();
        let n = get(f, "tiles").parse::<usize>().unwrap_or(0).min(MAX_TILES);
        let tiles = (0..n)
            .map(|i| {
                let v = |k: &str| get(f, &format!("t{i}_{k}")).trim().to_string();
                TileForm {
                    kind: v("kind"),
                    title: v("title"),
                    indicator: v("indicator"),
                    indicators: v("indicators")
                        .split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    chart: v("chart"),
                    change: None,
                    target: None,
                    text: get(f, &format!("t{i}_text")).replace("\r\n", "\n"),
                    image: v("image"),
                    alt: v("alt"),
                    change_text: v("change"),
                    target_text: v("target"),
                    orig: v("orig").parse().ok(),
                }
            })
            .collect();
        DashForm {
            title: one("title"),
            description: one("description"),
            level: one("level"),
            area: one("area"),
            compare: one("compare"),
            tiles,
        }
    }

    /// The dashboard file this form makes, or what is wrong with a number. `base` is the file
    /// as it is: the form's fields are written into it, so its comments, key order and
    /// formatting stay; each tile is the `[[tile]]` table it came from (`orig`), in the
    /// form's order; a field the form leaves empty is taken out.
    fn to_text(&self, base: Option<&str>) -> Result<String, String> {
        use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};
        let mut doc: DocumentMut = base.and_then(|b| b.parse().ok()).unwrap_or_default();
        let root = doc.as_table_mut();
        let text = |t: &mut Table, k: &str, v: &str, keep_empty: bool| {
            if v.is_empty() && !keep_empty {
                t.remove(k);
            } else {
                super::settings::set(t, k, v.into());
            }
        };
        text(root, "title", &self.title, true);
        for (k, v) in [
            ("description", &self.description),
            ("level", &self.level),
            ("area", &self.area),
            ("compare", &self.compare),
        ] {
            text(root, k, v, k == "level");
        }
        let old: Vec<Table> = root
            .remove("tile")
            .and_then(|i| i.into_array_of_tables().ok())
            .map(|a| a.into_iter().collect())
            .unwrap_or_default();
        // Tables are written in the order of their positions: the tiles take the positions
        // after the file's last table, in the form's order.
        let first = old.iter().filter_map(Table::position).max().unwrap_or(0) + 1;
        let mut tiles = ArrayOfTables::new();
        for (i, t) in self.tiles.iter().enumerate() {
            let mut tab = t.orig.and_then(|o| old.get(o).cloned()).unwrap_or_default();
            tab.set_position(Some(first + i as isize));
            text(&mut tab, "kind", &t.kind, true);
            for (k, v) in [
                ("title", &t.title),
                ("indicator", &t.indicator),
                ("chart", &t.chart),
                ("image", &t.image),
                ("alt", &t.alt),
            ] {
                text(&mut tab, k, v, false);
            }
            if t.indicators.is_empty() {
                tab.remove("indicators");
            } else {
                let list: toml_edit::Array = t.indicators.iter().map(String::as_str).collect();
                let same = tab
                    .get("indicators")
                    .and_then(Item::as_array)
                    .is_some_and(|a| {
                        a.iter()
                            .map(Value::as_str)
                            .eq(list.iter().map(Value::as_str))
                    });
                if !same {
                    super::settings::set(&mut tab, "indicators", Value::Array(list));
                }
            }
            if t.change_text.is_empty() {
                tab.remove("change");
            } else {
                let c: i64 = t.change_text.parse().map_err(|_| {
                    format!(
                        "tile {}: change '{}' is not a whole number",
                        i + 1,
                        t.change_text
                    )
                })?;
                if tab.get("change").and_then(Item::as_integer) != Some(c) {
                    super::settings::set(&mut tab, "change", c.into());
                }
            }
            if t.target_text.is_empty() {
                tab.remove("target");
            } else {
                let g: f64 = t
                    .target_text
                    .replace(',', ".")
                    .parse()
                    .ok()
                    .filter(|x: &f64| x.is_finite())
                    .ok_or_else(|| {
                        format!("tile {}: target '{}' is not a number", i + 1, t.target_text)
                    })?;
                let now = tab
                    .get("target")
                    .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|n| n as f64)));
                if now != Some(g) {
                    super::settings::set(&mut tab, "target", g.into());
                }
            }
            text(&mut tab, "text", &t.text, false);
            tiles.push(tab);
        }
        if !tiles.is_empty() {
            doc.insert("tile", Item::ArrayOfTables(tiles));
        }
        Ok(doc.to_string())
    }

    /// Applies a button of the form: add a tile, move one up or down, remove one.
    fn apply(&mut self, op: &str) {
        let (verb, at) = op.split_once(':').unwrap_or((op, ""));
        let at = at.parse::<usize>().ok().filter(|i| *i < self.tiles.len());
        match (verb, at) {
            ("add", _) if self.tiles.len() < MAX_TILES => self.tiles.push(TileForm {
                kind: "keyfigure".into(),
                ..Default::default()
            }),
            ("up", Some(i)) if i > 0 => self.tiles.swap(i, i - 1),
            ("down", Some(i)) if i + 1 < self.tiles.len() => self.tiles.swap(i, i + 1),
            ("remove", Some(i)) => {
                self.tiles.remove(i);
            }
            _ => {}
        }
    }
}

fn dashboard_page(
    st: &AppState,
    a: &Admin,
    name: &str,
    d: &DashForm,
    errors: &[StoryError],
    source: &str,
    message: Option<Json>,
) -> Response {
    let base = a.page.href(&format!("/admin/dashboards/{name}"));
    let snap = st.snapshot();
    let levels: Vec<Json> = snap
        .levels
        .iter()
        .map(|l| json!({"code": l.level.code, "current": l.level.code == d.level}))
        .collect();
    let indicators: Vec<&str> = snap
        .indicators
        .iter()
        .filter(|i| snap.is_public(&i.code))
        .take(5000)
        .map(|i| i.code.as_str())
        .collect();
    let tiles: Vec<Json> = d
        .tiles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "i": i, "n": i + 1, "kind": t.kind, "title": t.title, "indicator": t.indicator,
                "indicators": t.indicators.join(", "), "chart": t.chart,
                "change": t.change_text, "target": t.target_text, "text": t.text,
                "image": t.image, "alt": t.alt, "last": i + 1 == d.tiles.len(), "orig": t.orig,
            })
        })
        .collect();
    let mut r = a.render(
        "admin_dashboard.html",
        "admin_dashboard",
        json!({
            "name": name,
            "file": Kind::Dashboard.path(name),
            "action": base,
            "history": format!("{base}/history"),
            "public": a.page.href(&format!("/dashboards/{name}")),
            "d": d,
            "tiles": tiles,
            "count": d.tiles.len(),
            "kinds": TILE_KINDS,
            "levels": levels,
            "indicators": indicators,
            "images": super::images::library(st).into_iter().map(|i| i.name).collect::<Vec<_>>(),
            "errors": errors_json(errors),
            "lines": if errors.is_empty() { json!([]) } else { numbered(source) },
            "message": message,
            "fields": FIELDS,
        }),
    );
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub(super) async fn dashboard_form(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    if !valid_name(&name) {
        return no_store(a.page.not_found());
    }
    let text = read_site_file(&st, &Kind::Dashboard.path(&name));
    let (d, errors) = match text.as_deref().map(DashForm::from_text) {
        None => (
            DashForm {
                title: name.clone(),
                level: st
                    .snapshot()
                    .levels
                    .iter()
                    .find(|l| l.items.len() > 1)
                    .map(|l| l.level.code.clone())
                    .unwrap_or_default(),
                ..Default::default()
            },
            Vec::new(),
        ),
        Some(Ok(d)) => (d, Vec::new()),
        // A file the form cannot read: its problem is shown, the form starts empty.
        Some(Err(e)) => (
            DashForm::default(),
            vec![StoryError {
                file: Kind::Dashboard.path(&name),
                line: None,
                reason: e,
            }],
        ),
    };
    let message = saved_message(&a);
    dashboard_page(
        &st,
        &a,
        &name,
        &d,
        &errors,
        text.as_deref().unwrap_or(""),
        message,
    )
}

pub(super) async fn dashboard_submit(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    if !valid_name(&name) {
        return no_store(a.page.not_found());
    }
    let f = match form(&body) {
        Ok(f) => f,
        Err(e) => return failed_page(&a, StatusCode::PAYLOAD_TOO_LARGE, &e),
    };
    let mut d = DashForm::from_fields(&f);
    let op = get(&f, "op");
    if op != "save" {
        d.apply(op);
        return dashboard_page(&st, &a, &name, &d, &[], "", None);
    }
    // The file as it is now: saving writes the form into it, so its comments stay.
    let base = read_site_file(&st, &Kind::Dashboard.path(&name));
    let text = match d.to_text(base.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            let err = StoryError {
                file: Kind::Dashboard.path(&name),
                line: None,
                reason: e,
            };
            return dashboard_page(&st, &a, &name, &d, &[err], "", None);
        }
    };
    if text.len() > MAX_SOURCE {
        return failed_page(&a, StatusCode::PAYLOAD_TOO_LARGE, "too long");
    }
    let errors = check_blocking(
        story_data(&a).await,
        Kind::Dashboard,
        name.clone(),
        text.clone(),
    )
    .await;
    if !errors.is_empty() {
        let msg = json!({"text": a.page.word("admin_not_saved"), "ok": false});
        return dashboard_page(&st, &a, &name, &d, &errors, &text, Some(msg));
    }
    save_and_redirect(&st, &a, Kind::Dashboard, &name, text, "save", None).await
}

// --- history, versions, restore ------------------------------------------------------------------

pub(super) async fn story_history(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    history(&st, &a, Kind::Story.path(&name), valid_name(&name)).await
}

pub(super) async fn dashboard_history(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    history(&st, &a, Kind::Dashboard.path(&name), valid_name(&name)).await
}

/// The versions of a site file, newest first, each with a view and a restore button.
pub(super) async fn history(st: &AppState, a: &Admin, path: String, ok: bool) -> Response {
    if !ok {
        return no_store(a.page.not_found());
    }
    let p = path.clone();
    let versions = match st.with_store(move |s| s.content_versions(&p)).await {
        Ok(v) => v,
        Err(e) => return failed_page(a, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let restore = restore_url(a, &path);
    let rows: Vec<Json> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "id": v.id, "at": v.at, "who": v.who, "action": v.action,
                "restored_from": v.restored_from,
                "view": a.page.href(&format!("/admin/versions/{}", v.id)),
                "restore_url": format!("{}/{}/restore", restore, v.id),
                "current": i == 0,
            })
        })
        .collect();
    a.render(
        "admin_history.html",
        "admin_history",
        json!({"file": path, "versions": rows, "edit": edit_url(a, &path)}),
    )
}

/// Where a version of `path` is restored (the settings' own route for peil.toml).
fn restore_url(a: &Admin, path: &str) -> String {
    if path == super::settings::CONFIG {
        a.page.href("/admin/settings/versions")
    } else {
        a.page.href("/admin/versions")
    }
}

/// The editor of `path`.
fn edit_url(a: &Admin, path: &str) -> String {
    match Kind::of_path(path) {
        Some((k, name)) => a.page.href(&format!("/admin/{}/{name}", k.folder())),
        None => a.page.href("/admin/settings"),
    }
}

/// May this user see and restore versions of `path`? The site's settings are the
/// administrators'.
fn may_touch(a: &Admin, path: &str) -> bool {
    path != super::settings::CONFIG
        || a.user()
            .is_some_and(|u| u.role.allows(peil_core::Role::Beheerder))
}

/// One old version: its text and what changed from it to the file as it is now.
pub(super) async fn version(State(st): State<AppState>, Path(id): Path<i64>, a: Admin) -> Response {
    let v = match st.with_store(move |s| s.content_version(id)).await {
        Ok(Some(v)) => v,
        Ok(None) => return no_store(a.page.not_found()),
        Err(e) => return failed_page(&a, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    if !may_touch(&a, &v.path) {
        return no_store(a.page.refused(StatusCode::FORBIDDEN, "admin_forbidden"));
    }
    let now = read_site_file(&st, &v.path).unwrap_or_default();
    let lines: Vec<Json> = diff_lines(&v.text, &now)
        .into_iter()
        .map(|(op, text)| json!({"op": op.to_string(), "text": text}))
        .collect();
    a.render(
        "admin_version.html",
        "admin_version",
        json!({
            "v": v,
            "diff": lines,
            "same": v.text == now,
            "history": history_url(&a, &v.path),
            "restore": format!("{}/{}/restore", restore_url(&a, &v.path), v.id),
        }),
    )
}

fn history_url(a: &Admin, path: &str) -> String {
    match Kind::of_path(path) {
        Some((k, name)) => a
            .page
            .href(&format!("/admin/{}/{name}/history", k.folder())),
        None => a.page.href("/admin/settings/history"),
    }
}

/// Restores a story's or dashboard's version: checked as a save is, then saved as a new
/// version. The settings have their own route (administrators only).
pub(super) async fn restore(State(st): State<AppState>, Path(id): Path<i64>, a: Admin) -> Response {
    let v = match st.with_store(move |s| s.content_version(id)).await {
        Ok(Some(v)) => v,
        Ok(None) => return no_store(a.page.not_found()),
        Err(e) => return failed_page(&a, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let Some((kind, name)) = Kind::of_path(&v.path) else {
        return no_store(a.page.not_found());
    };
    let errors = check_blocking(story_data(&a).await, kind, name.clone(), v.text.clone()).await;
    if let Some(e) = errors.first() {
        return failed_page(
            &a,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{}: {e}", a.page.word("admin_not_saved")),
        );
    }
    save_and_redirect(&st, &a, kind, &name, v.text, "restore", Some(v.id)).await
}

/// The lines of `old` → `new`: `' '` kept, `'-'` only in old, `'+'` only in new (the longest
/// common subsequence of lines; texts too large for it are shown as all removed, all added).
pub(super) fn diff_lines<'a>(old: &'a str, new: &'a str) -> Vec<(char, &'a str)> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut out: Vec<(char, &str)> = a[..pre].iter().map(|l| (' ', *l)).collect();
    if am.len().saturating_mul(bm.len()) > 4_000_000 {
        out.extend(am.iter().map(|l| ('-', *l)));
        out.extend(bm.iter().map(|l| ('+', *l)));
    } else {
        // lcs[i][j]: the longest common subsequence of am[i..] and bm[j..].
        let w = bm.len() + 1;
        let mut lcs = vec![0u32; (am.len() + 1) * w];
        for i in (0..am.len()).rev() {
            for j in (0..bm.len()).rev() {
                lcs[i * w + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < am.len() && j < bm.len() {
            if am[i] == bm[j] {
                out.push((' ', am[i]));
                i += 1;
                j += 1;
            } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
                out.push(('-', am[i]));
                i += 1;
            } else {
                out.push(('+', bm[j]));
                j += 1;
            }
        }
        out.extend(am[i..].iter().map(|l| ('-', *l)));
        out.extend(bm[j..].iter().map(|l| ('+', *l)));
    }
    out.extend(a[a.len() - suf..].iter().map(|l| (' ', *l)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_lists_every_story_function_and_no_other() {
        let known = peil_story::story::functions();
        let listed: Vec<&str> = FUNCTIONS
            .iter()
            .filter_map(|(_, syntax)| syntax.split_once('('))
            .map(|(name, _)| name)
            .collect();
        for name in &listed {
            assert!(known.iter().any(|k| k == name), "{name} is not a function");
        }
        for name in &known {
            assert!(listed.contains(&name.as_str()), "{name} is not listed");
        }
    }

    #[test]
    fn a_diff_keeps_common_lines_and_marks_the_rest() {
        let d = diff_lines("a\nb\nc\nd", "a\nx\nc\nd\ne");
        assert_eq!(
            d,
            [
                (' ', "a"),
                ('-', "b"),
                ('+', "x"),
                (' ', "c"),
                (' ', "d"),
                ('+', "e")
            ]
        );
        assert_eq!(diff_lines("", "a"), [('+', "a")]);
        assert_eq!(diff_lines("same", "same"), [(' ', "same")]);
    }

    #[test]
    fn a_dashboard_form_round_trips_and_reorders() {
        let text = "title = \"Bevolking\"\nlevel = \"gemeente\"\n\n[[tile]]\nkind = \"keyfigure\"\nindicator = \"v1\"\ntarget = 300000.0\n\n[[tile]]\nkind = \"text\"\ntext = \"Hallo\\nwereld\"\n";
        let mut d = DashForm::from_text(text).unwrap();
        let again = DashForm::from_text(&d.to_text(None).unwrap()).unwrap();
        assert_eq!(again.to_text(None).unwrap(), d.to_text(None).unwrap());
        // Written into the file as it is, an unchanged form gives back the file.
        assert_eq!(d.to_text(Some(text)).unwrap(), text);
        assert_eq!(again.tiles[1].text, "Hallo\nwereld");
        assert_eq!(again.tiles[0].target, Some(300000.0));
        d.apply("down:0");
        assert_eq!(d.tiles[0].kind, "text");
        d.apply("remove:1");
        d.apply("add");
        assert_eq!(d.tiles.len(), 2);
        d.tiles[1].change_text = "drie".into();
        assert!(d.to_text(None).unwrap_err().contains("tile 2"));
        // Comments stay with their tile when it moves; a removed field goes with its line.
        let commented = "# Bevolking van de stad\ntitle = \"Bevolking\" # de titel\nlevel = \"gemeente\"\n\n# eerst het kerncijfer\n[[tile]]\nkind = \"keyfigure\"\nindicator = \"v1\" # inwoners\ntarget = 300000.0\n\n# dan een tekst\n[[tile]]\nkind = \"text\"\ntext = \"Hallo\"\n";
        let mut d = DashForm::from_text(commented).unwrap();
        d.apply("down:0");
        d.tiles[1].indicator = "v2".into();
        d.tiles[1].target_text.clear();
        let out = d.to_text(Some(commented)).unwrap();
        assert_eq!(
            out,
            "# Bevolking van de stad\ntitle = \"Bevolking\" # de titel\nlevel = \"gemeente\"\n\n# dan een tekst\n[[tile]]\nkind = \"text\"\ntext = \"Hallo\"\n\n# eerst het kerncijfer\n[[tile]]\nkind = \"keyfigure\"\nindicator = \"v2\" # inwoners\n"
        );
        assert_eq!(
            Kind::of_path("dashboards/a_b.toml"),
            Some((Kind::Dashboard, "a_b".into()))
        );
        assert_eq!(Kind::of_path("stories/../x.md"), None);
        assert_eq!(Kind::of_path("peil.toml"), None);
    }
}
