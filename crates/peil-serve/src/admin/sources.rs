//! The sources and schedules page (`/admin/schedule`, experts; `/admin/sources` is the
//! indicators' metadata sources): every source of peil.toml and the scheduled
//! publish with its schedule, last run, outcome and next run, and each one's recent runs —
//! the status `peil sources` prints (`peil_connect::scheduler::status`), read on the blocking
//! pool. The schedules themselves live in peil.toml (`[[sources]]`, `[schedule]`);
//! administrators declare, change and remove sources here too (`/admin/schedule/sources/…`):
//! the form writes the `[[sources]]` table through `toml_edit` (every other key and comment
//! stays), checked by [`peil_connect::Source::check`] and then by the CLI's checks of the
//! whole file, saved as a version and applied as the settings form's changes are; the
//! scheduler reads peil.toml again at each check.

use super::Admin;
use super::no_store;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use peil_connect::scheduler::{self, local_text};
use peil_store::RunTask;
use serde_json::json;

/// Runs listed per source on the page.
const RECENT: usize = 10;

pub(super) async fn page(State(st): State<AppState>, a: Admin) -> Response {
    let plan = st.site().schedule.clone();
    let can_edit = a
        .session
        .as_ref()
        .is_some_and(|s| s.user.role.allows(peil_core::Role::Beheerder));
    let edit_base = a.page.href("/admin/schedule/sources/");
    let message = a.page.param("saved").map(|id| {
        format!(
            "{} ({} {id})",
            a.page.word("admin_saved"),
            a.page.word("admin_version")
        )
    });
    let data = super::pages::on_store(&st, &a, move |s| {
        let Some(plan) = plan else {
            return Ok(json!({"jobs": [], "zone": "", "can_edit": can_edit, "message": message}));
        };
        let zone = &plan.zone;
        let mut jobs = Vec::new();
        for j in scheduler::status(s, &plan, jiff::Timestamp::now())? {
            let (task, name) = if j.kind == "publish" {
                (RunTask::Publish, "")
            } else {
                (RunTask::Source, j.name.as_str())
            };
            let runs: Vec<_> = s
                .runs(task, name, RECENT)?
                .into_iter()
                .map(|r| {
                    json!({"started": local_text(zone, &r.started_at), "ended": local_text(zone, &r.ended_at),
                           "trigger": r.trigger, "outcome": r.outcome, "error": r.error,
                           "import": r.import_id, "generation": r.generation,
                           "hash": r.content_hash.as_deref().map(|h| &h[..12.min(h.len())])})
                })
                .collect();
            jobs.push(json!({
                "name": j.name, "kind": j.kind, "url": j.url, "schedule": j.schedule,
                "publish_after": j.publish_after, "next": j.next, "overdue": j.overdue,
                "last": j.last.as_ref().map(|r| json!({"started": local_text(zone, &r.started_at),
                    "outcome": r.outcome, "trigger": r.trigger})),
                "runs": runs,
                "edit": (j.kind != "publish").then(|| format!("{edit_base}{}", crate::api::seg(&j.name))),
            }));
        }
        Ok(json!({"jobs": jobs, "zone": plan.zone_name, "can_edit": can_edit, "message": message}))
    })
    .await;
    match data {
        Ok(d) => a.render("admin_schedule.html", "admin_schedule_page", d),
        Err(r) => r,
    }
}

/// A source as the form shows and takes it: `peil.toml`'s `[[sources]]` keys, lists as text,
/// the import options (file sources) as the TOML of their table.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct SourceForm {
    name: String,
    kind: String,
    url: String,
    key_env: String,
    key_file: String,
    indicators: String,
    themes: String,
    source_names: String,
    levels: String,
    periods_from: String,
    prefix: String,
    schedule: String,
    publish: bool,
    member: String,
    import: String,
}

/// Longest URL, import table and list (characters) the form takes.
const MAX_URL: usize = 2000;
const MAX_IMPORT: usize = 20_000;
const MAX_LIST: usize = 20_000;

/// A list field: codes separated by commas, spaces or lines.
fn codes(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n', '\r', '\t'])
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl SourceForm {
    /// The form of one `[[sources]]` table as written in the file.
    fn from_table(t: &toml_edit::Table) -> SourceForm {
        let s = |k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let list = |k: &str| -> String {
            t.get(k)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        let import = match t.get("import") {
            Some(toml_edit::Item::Table(i)) => toml_edit::DocumentMut::from(i.clone()).to_string(),
            Some(toml_edit::Item::Value(toml_edit::Value::InlineTable(i))) => {
                toml_edit::DocumentMut::from(i.clone().into_table()).to_string()
            }
            _ => String::new(),
        };
        let kind = s("kind");
        SourceForm {
            name: s("name"),
            kind: if kind.is_empty() { "peil".into() } else { kind },
            url: s("url"),
            key_env: s("key_env"),
            key_file: s("key_file"),
            indicators: list("indicators"),
            themes: list("themes"),
            source_names: list("source_names"),
            levels: list("levels"),
            periods_from: s("periods_from"),
            prefix: s("prefix"),
            schedule: s("schedule"),
            publish: t.get("publish").and_then(|v| v.as_bool()) == Some(true),
            member: s("member"),
            import: import.trim().to_string(),
        }
    }

    fn from_fields(f: &[(String, String)], name: &str) -> SourceForm {
        let g = |k: &str| super::content::get(f, k).trim().to_string();
        let list = |k: &str| codes(super::content::get(f, k)).join(", ");
        SourceForm {
            name: name.to_string(),
            kind: g("kind"),
            url: g("url"),
            key_env: g("key_env"),
            key_file: g("key_file"),
            indicators: list("indicators"),
            themes: list("themes"),
            source_names: list("source_names"),
            levels: list("levels"),
            periods_from: g("periods_from"),
            prefix: g("prefix"),
            schedule: g("schedule"),
            publish: super::content::get(f, "publish") == "on",
            member: g("member"),
            import: super::content::get(f, "import")
                .replace("\r\n", "\n")
                .trim()
                .to_string(),
        }
    }

    /// The source these fields declare, checked as `peil.toml`'s sources are (and the key
    /// file kept inside the site folder); `Err` with every problem found.
    fn source(&self) -> Result<(peil_connect::Source, Option<toml_edit::Table>), Vec<String>> {
        use peil_connect::{Source, SourceKind};
        let mut problems = Vec::new();
        let kind = match self.kind.as_str() {
            "peil" => SourceKind::Peil,
            "swing" => SourceKind::Swing,
            "file" => SourceKind::File,
            k => {
                problems.push(format!("kind: '{k}' is not peil, swing or file"));
                SourceKind::Peil
            }
        };
        if self.url.chars().count() > MAX_URL {
            problems.push(format!("url: longer than {MAX_URL} characters"));
        }
        for (k, v) in [
            ("indicators", &self.indicators),
            ("themes", &self.themes),
            ("source_names", &self.source_names),
            ("levels", &self.levels),
        ] {
            if v.chars().count() > MAX_LIST {
                problems.push(format!("{k}: longer than {MAX_LIST} characters"));
            }
        }
        if !self.key_file.is_empty() {
            let p = std::path::Path::new(&self.key_file);
            if !p
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
            {
                problems.push(format!(
                    "key_file: '{}' must be a path inside the site folder",
                    self.key_file
                ));
            }
        }
        if !self.key_env.is_empty()
            && !self
                .key_env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            problems.push(format!(
                "key_env: '{}' is not the name of an environment variable",
                self.key_env
            ));
        }
        let mut table = None;
        let mut options = None;
        if !self.import.is_empty() {
            if self.import.chars().count() > MAX_IMPORT {
                problems.push(format!("import: longer than {MAX_IMPORT} characters"));
            } else {
                match (
                    self.import.parse::<toml_edit::DocumentMut>(),
                    toml::from_str::<peil_import::options::ImportOptions>(&self.import),
                ) {
                    (Ok(d), Ok(o)) => {
                        let mut t = d.as_table().clone();
                        unplaced(&mut t);
                        table = Some(t);
                        options = Some(o);
                    }
                    (Err(e), _) => problems.push(format!("import: {e}")),
                    (_, Err(e)) => problems.push(format!("import: {e}")),
                }
            }
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let source = Source {
            name: self.name.clone(),
            url: self.url.clone(),
            key_env: opt(&self.key_env),
            key_file: opt(&self.key_file),
            indicators: codes(&self.indicators),
            themes: codes(&self.themes),
            source_names: codes(&self.source_names),
            levels: codes(&self.levels),
            periods_from: opt(&self.periods_from),
            prefix: self.prefix.clone(),
            kind,
            schedule: opt(&self.schedule),
            publish: self.publish,
            member: opt(&self.member),
            import: options,
        };
        if self.name == "new" {
            problems.push("name: 'new' is the address of the form for a new source".into());
        }
        if problems.is_empty()
            && let Err(e) = source.check()
        {
            problems.push(e);
        }
        if problems.is_empty() {
            Ok((source, table))
        } else {
            Err(problems)
        }
    }
}

/// Writes a source into its `[[sources]]` table: the keys the form knows are set or removed,
/// every other key and comment stays.
fn write_source(
    t: &mut toml_edit::Table,
    s: &peil_connect::Source,
    import: Option<toml_edit::Table>,
) {
    use super::settings::set;
    use toml_edit::{Array, Value};
    let text = |t: &mut toml_edit::Table, k: &str, v: Option<&str>| match v {
        Some(v) if !v.is_empty() => set(t, k, v.into()),
        _ => {
            t.remove(k);
        }
    };
    let list = |t: &mut toml_edit::Table, k: &str, v: &[String]| {
        if v.is_empty() {
            t.remove(k);
        } else {
            let a: Array = v.iter().map(String::as_str).collect();
            let same = t.get(k).and_then(|x| x.as_array()).is_some_and(|old| {
                old.iter()
                    .map(|x| x.as_str())
                    .eq(v.iter().map(|x| Some(x.as_str())))
            });
            if !same {
                set(t, k, Value::Array(a));
            }
        }
    };
    text(t, "name", Some(&s.name));
    match s.kind {
        peil_connect::SourceKind::Peil => {
            t.remove("kind");
        }
        k => text(t, "kind", Some(k.code())),
    }
    text(t, "url", Some(&s.url));
    text(t, "key_env", s.key_env.as_deref());
    text(t, "key_file", s.key_file.as_deref());
    list(t, "indicators", &s.indicators);
    list(t, "themes", &s.themes);
    list(t, "source_names", &s.source_names);
    list(t, "levels", &s.levels);
    text(t, "periods_from", s.periods_from.as_deref());
    text(t, "prefix", Some(&s.prefix));
    text(t, "schedule", s.schedule.as_deref());
    if s.publish {
        if t.get("publish").and_then(|v| v.as_bool()) != Some(true) {
            set(t, "publish", true.into());
        }
    } else {
        t.remove("publish");
    }
    text(t, "member", s.member.as_deref());
    match import {
        Some(i) => {
            let same = match t.get("import") {
                Some(toml_edit::Item::Table(old)) => {
                    toml_edit::DocumentMut::from(old.clone()).to_string().trim()
                        == toml_edit::DocumentMut::from(i.clone()).to_string().trim()
                }
                _ => false,
            };
            if !same {
                t.insert("import", toml_edit::Item::Table(i));
            }
        }
        None => {
            t.remove("import");
        }
    }
}

/// Forgets where a table (and every table in it) stood in the text it was read from, so it
/// is written where it is put: after its parent `[[sources]]` table.
fn unplaced(t: &mut toml_edit::Table) {
    t.set_position(None);
    for (_, item) in t.iter_mut() {
        match item {
            toml_edit::Item::Table(sub) => unplaced(sub),
            toml_edit::Item::ArrayOfTables(a) => a.iter_mut().for_each(unplaced),
            _ => {}
        }
    }
}

/// The `[[sources]]` tables of a `peil.toml` document, made when there are none.
fn sources_of(doc: &mut toml_edit::DocumentMut) -> Option<&mut toml_edit::ArrayOfTables> {
    doc.as_table_mut()
        .entry("sources")
        .or_insert(toml_edit::Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
}

fn position(doc: &toml_edit::DocumentMut, name: &str) -> Option<usize> {
    doc.get("sources")?
        .as_array_of_tables()?
        .iter()
        .position(|t| t.get("name").and_then(|v| v.as_str()) == Some(name))
}

fn source_page(
    a: &Admin,
    s: &SourceForm,
    new: bool,
    problems: &[String],
    message: Option<serde_json::Value>,
) -> Response {
    let title = if new {
        "admin_source_new"
    } else {
        "admin_source_edit"
    };
    let action = if new {
        a.page.href("/admin/schedule/sources/new")
    } else {
        a.page.href(&format!(
            "/admin/schedule/sources/{}",
            crate::api::seg(&s.name)
        ))
    };
    let mut r = a.render(
        "admin_source.html",
        title,
        json!({
            "s": s,
            "new": new,
            "action": action,
            "problems": problems,
            "message": message,
            "kinds": ["peil", "swing", "file"],
            "back": a.page.href("/admin/schedule"),
        }),
    );
    if !problems.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The form of a new source.
pub(super) async fn new_form(a: Admin) -> Response {
    let s = SourceForm {
        kind: "peil".into(),
        ..SourceForm::default()
    };
    source_page(&a, &s, true, &[], None)
}

/// The form of a declared source.
pub(super) async fn edit_form(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    let doc = match super::settings::config_text(&st).and_then(|t| {
        t.parse::<toml_edit::DocumentMut>()
            .map_err(|e| e.to_string())
    }) {
        Ok(d) => d,
        Err(e) => return source_page(&a, &SourceForm::default(), false, &[e], None),
    };
    let Some(t) = position(&doc, &name).and_then(|i| {
        doc.get("sources")
            .and_then(|s| s.as_array_of_tables())
            .and_then(|s| s.get(i))
    }) else {
        return no_store(a.page.not_found());
    };
    let message = a.page.param("saved").map(|id| {
        json!({"text": format!("{} ({} {id})", a.page.word("admin_saved"), a.page.word("admin_version")), "ok": true})
    });
    source_page(&a, &SourceForm::from_table(t), false, &[], message)
}

/// Declares a new source in peil.toml.
pub(super) async fn create(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = match super::content::form(&body) {
        Ok(f) => f,
        Err(e) => return source_page(&a, &SourceForm::default(), true, &[e], None),
    };
    let name = super::content::get(&f, "name").trim().to_string();
    let s = SourceForm::from_fields(&f, &name);
    store_source(&st, &a, s, None).await
}

/// Changes a declared source in peil.toml (its name stays: it keys the provenance).
pub(super) async fn update(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = match super::content::form(&body) {
        Ok(f) => f,
        Err(e) => return source_page(&a, &SourceForm::default(), false, &[e], None),
    };
    let s = SourceForm::from_fields(&f, &name);
    store_source(&st, &a, s, Some(name)).await
}

/// Checks the form, writes the source into peil.toml (`existing`: the name of the table it
/// replaces) and applies the file as the settings form does.
async fn store_source(
    st: &AppState,
    a: &Admin,
    s: SourceForm,
    existing: Option<String>,
) -> Response {
    let new = existing.is_none();
    let text = match super::settings::config_text(st) {
        Ok(t) => t,
        Err(e) => return source_page(a, &s, new, &[e], None),
    };
    let mut doc = match text.parse::<toml_edit::DocumentMut>() {
        Ok(d) => d,
        Err(e) => return source_page(a, &s, new, &[e.to_string()], None),
    };
    let (source, import) = match s.source() {
        Ok(x) => x,
        Err(p) => return source_page(a, &s, new, &p, None),
    };
    let at = position(&doc, &s.name);
    match (&existing, at) {
        (None, Some(_)) => {
            let p = format!("{}: {}", a.page.word("admin_source_exists"), s.name);
            return source_page(a, &s, new, &[p], None);
        }
        (Some(_), None) => return no_store(a.page.not_found()),
        _ => {}
    }
    let Some(tables) = sources_of(&mut doc) else {
        let p = "peil.toml: sources is not a list of [[sources]] tables".to_string();
        return source_page(a, &s, new, &[p], None);
    };
    match at {
        Some(i) => {
            if let Some(t) = tables.get_mut(i) {
                write_source(t, &source, import);
            }
        }
        None => {
            let mut t = toml_edit::Table::new();
            write_source(&mut t, &source, import);
            tables.push(t);
        }
    }
    let done = super::settings::Saved {
        saved: "source saved",
        restored: "source saved",
        page: "/admin/schedule",
        subject: Some(s.name.clone()),
    };
    super::settings::apply_config(st, a, doc.to_string(), "save", None, done, |p| {
        source_page(a, &s, new, &[p], None)
    })
    .await
}

/// Removes a source from peil.toml: nothing pulled from it is deleted (its indicators stay,
/// protected, with their provenance); it is no longer pulled nor scheduled.
pub(super) async fn remove(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    let doc = super::settings::config_text(&st).and_then(|t| {
        t.parse::<toml_edit::DocumentMut>()
            .map_err(|e| e.to_string())
    });
    let mut doc = match doc {
        Ok(d) => d,
        Err(e) => return source_page(&a, &SourceForm::default(), false, &[e], None),
    };
    let Some(i) = position(&doc, &name) else {
        return no_store(a.page.not_found());
    };
    if let Some(tables) = sources_of(&mut doc) {
        tables.remove(i);
        if tables.is_empty() {
            doc.as_table_mut().remove("sources");
        }
    }
    let removed = SourceForm {
        name: name.clone(),
        ..SourceForm::default()
    };
    let done = super::settings::Saved {
        saved: "source removed",
        restored: "source removed",
        page: "/admin/schedule",
        subject: Some(name.clone()),
    };
    super::settings::apply_config(&st, &a, doc.to_string(), "save", None, done, |p| {
        source_page(&a, &removed, false, &[p], None)
    })
    .await
}
