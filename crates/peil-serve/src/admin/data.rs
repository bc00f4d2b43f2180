//! The data pages of the back office: upload with a dry run, then the import of exactly the
//! files the dry run saw; the import history with undo; publishing with the diff against the
//! live copy; the kept publications with roll back. The work is `peil-import`'s and
//! `peil-store`'s (as `peil import`, `peil imports undo`, `peil publish` and `peil rollback`
//! do it), on the blocking pool.
//!
//! A dry run saves the uploaded files in `.uploads/<token>/` next to the store (private, at
//! most [`MAX_UPLOAD`] bytes in all, names made safe as scripted uploads' are) with the
//! chosen options; "import" names the token. Folders older than [`TOKEN_LIFE`] are refused
//! and removed when the next dry run starts.

use super::login::{field, fields};
use super::{Admin, no_store};
use crate::AppState;
use crate::bulk::safe_name;
use crate::limits::MAX_UPLOAD;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use peil_import::options::KINDS;
use serde_json::{Value as Json, json};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a dry run's files wait for their import.
const TOKEN_LIFE: Duration = Duration::from_secs(3600);
/// Files in one upload.
const MAX_FILES: usize = 20;
/// The options' file in an upload folder.
const CHOICES: &str = "options.json";
/// Length of an upload token (hex).
const TOKEN_LEN: usize = 32;

/// The options of `peil import` the upload form offers.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Choices {
    kind: String,
    level: String,
    sheet: String,
    period: String,
    clear: String,
    create_indicators: bool,
    skip_unknown_areas: bool,
    #[serde(default)]
    adjust_periods: bool,
    #[serde(default)]
    totalize_duplicates: bool,
    #[serde(default)]
    drop_special_codes: bool,
    /// `x`, `?`, `nvt` or `-`; empty: blank cells stay blank.
    #[serde(default)]
    empty_as: String,
    /// `;`, `,`, `tab`, `|`; empty: detected.
    #[serde(default)]
    delimiter: String,
    /// `utf-8`, `windows-1252`; empty: detected.
    #[serde(default)]
    encoding: String,
    /// `point`, `comma`; empty: detected.
    #[serde(default)]
    decimal: String,
    #[serde(default)]
    geolevel: String,
    #[serde(default)]
    period_column: String,
    #[serde(default)]
    geolevel_column: String,
    #[serde(default)]
    geoitem_column: String,
    #[serde(default)]
    indicator_column: String,
    #[serde(default)]
    value_column: String,
}

impl Choices {
    fn set(&mut self, name: &str, value: String) {
        let v = value.trim().chars().take(200).collect();
        match name {
            "kind" => self.kind = v,
            "level" => self.level = v,
            "sheet" => self.sheet = v,
            "period" => self.period = v,
            "clear" => self.clear = v,
            "create_indicators" => self.create_indicators = !v.is_empty(),
            "adjust_periods" => self.adjust_periods = !v.is_empty(),
            "totalize_duplicates" => self.totalize_duplicates = !v.is_empty(),
            "drop_special_codes" => self.drop_special_codes = !v.is_empty(),
            "empty_as" => self.empty_as = v,
            "delimiter" => self.delimiter = v,
            "encoding" => self.encoding = v,
            "decimal" => self.decimal = v,
            "geolevel" => self.geolevel = v,
            "period_column" => self.period_column = v,
            "geolevel_column" => self.geolevel_column = v,
            "geoitem_column" => self.geoitem_column = v,
            "indicator_column" => self.indicator_column = v,
            "value_column" => self.value_column = v,
            "skip_unknown_areas" => self.skip_unknown_areas = !v.is_empty(),
            _ => {}
        }
    }

    /// The import these options ask for, or what is wrong with them (read by
    /// `peil_import::options`, as a file source's options are).
    fn request(&self, who: &str, st: &AppState) -> Result<peil_import::ImportRequest, String> {
        let options = peil_import::options::ImportOptions {
            kind: self.kind.clone(),
            level: self.level.clone(),
            sheet: self.sheet.clone(),
            period: self.period.clone(),
            clear: self.clear.clone(),
            no_new_indicators: !self.create_indicators,
            skip_unknown_areas: self.skip_unknown_areas,
            adjust_periods: self.adjust_periods,
            totalize_duplicates: self.totalize_duplicates,
            drop_special_codes: self.drop_special_codes,
            empty_as: self.empty_as.clone(),
            delimiter: self.delimiter.clone(),
            encoding: self.encoding.clone(),
            decimal: self.decimal.clone(),
            geolevel: self.geolevel.clone(),
            period_column: self.period_column.clone(),
            geolevel_column: self.geolevel_column.clone(),
            geoitem_column: self.geoitem_column.clone(),
            indicator_column: self.indicator_column.clone(),
            value_column: self.value_column.clone(),
            ..Default::default()
        };
        let mut req = options.request(who)?;
        req.plausibility = st.site().data.plausibility;
        Ok(req)
    }
}

/// Where uploads wait for their import: `.uploads` in the site directory (beside a SQLite
/// store), else in the system's temporary directory.
fn uploads(st: &AppState) -> PathBuf {
    let dir = st.site().dir.clone().or_else(|| {
        st.store_location()
            .sqlite_path()
            .and_then(|p| p.parent())
            .map(PathBuf::from)
    });
    match dir {
        Some(d) => d.join(".uploads"),
        None => std::env::temp_dir().join("peil-uploads"),
    }
}

fn who(a: &Admin) -> String {
    a.user()
        .map(|u| u.login.clone())
        .unwrap_or_else(|| "-".into())
}

fn failed(a: &Admin, status: StatusCode, text: String) -> Response {
    let mut r = a.render(
        "admin_import.html",
        "admin_import",
        json!({"message": {"text": text, "ok": false}, "kinds": KINDS.map(|k| k.code())}),
    );
    *r.status_mut() = status;
    r
}

// --- upload, dry run, import -----------------------------------------------------------------

pub(super) async fn import_form(a: Admin) -> Response {
    a.render(
        "admin_import.html",
        "admin_import",
        json!({"kinds": KINDS.map(|k| k.code())}),
    )
}

/// Why an upload was not saved.
enum Upload {
    TooLarge,
    Bad(String),
}

/// Saves the multipart upload's files into `dir`: (file names, options).
async fn save_upload(
    headers: &HeaderMap,
    body: Body,
    dir: &std::path::Path,
) -> Result<(Vec<String>, Choices), Upload> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(ct)
        .map_err(|_| Upload::Bad("expected a multipart/form-data upload".into()))?;
    let limits = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(MAX_UPLOAD + 64 * 1024));
    let mut mp = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let (mut names, mut choices) = (Vec::new(), Choices::default());
    let bad = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } => Upload::TooLarge,
        e => Upload::Bad(format!("the upload could not be read: {e}")),
    };
    let mut total: u64 = 0;
    while let Some(mut f) = mp.next_field().await.map_err(bad)? {
        let name = f.name().unwrap_or("").to_string();
        if name != "files" {
            let v = f.text().await.map_err(bad)?;
            choices.set(&name, v);
            continue;
        }
        let Some(asked) = f.file_name().filter(|n| !n.is_empty()).map(str::to_string) else {
            continue;
        };
        if names.len() >= MAX_FILES {
            return Err(Upload::Bad(format!("at most {MAX_FILES} files at once")));
        }
        let mut safe = safe_name(Some(&asked));
        if safe == CHOICES || names.contains(&safe) {
            safe = format!("{}-{safe}", names.len() + 1);
        }
        let mut out = std::fs::File::create(dir.join(&safe))
            .map_err(|e| Upload::Bad(format!("cannot save {safe}: {e}")))?;
        while let Some(chunk) = f.chunk().await.map_err(bad)? {
            total += chunk.len() as u64;
            if total > MAX_UPLOAD {
                return Err(Upload::TooLarge);
            }
            out.write_all(&chunk)
                .map_err(|e| Upload::Bad(format!("cannot save {safe}: {e}")))?;
        }
        names.push(safe);
    }
    if names.is_empty() {
        return Err(Upload::Bad("choose at least one file to upload".into()));
    }
    Ok((names, choices))
}

/// Removes upload folders older than [`TOKEN_LIFE`].
fn clean_old(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > TOKEN_LIFE);
        if old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A new private upload folder: (token, path).
fn new_folder(root: &std::path::Path) -> std::io::Result<(String, PathBuf)> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(root)?;
    let token = peil_store::random_hex(TOKEN_LEN / 2);
    let dir = root.join(&token);
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok((token, dir))
}

/// Runs the import (or its dry run) of `files` in `dir` on the blocking pool, stopping at the
/// first refused file.
async fn run_files(
    st: &AppState,
    dir: PathBuf,
    files: Vec<String>,
    req: peil_import::ImportRequest,
    dry: bool,
) -> Result<Vec<peil_import::Outcome>, String> {
    let store = st.store_location().clone();
    tokio::task::spawn_blocking(move || -> peil_import::Result<Vec<peil_import::Outcome>> {
        let mut store = peil_store::Store::open_at(&store)?;
        let mut out = Vec::new();
        for f in &files {
            let path = dir.join(f);
            let req = peil_import::ImportRequest {
                source_name: Some(f.clone()),
                ..req.clone()
            };
            let o = if dry {
                peil_import::dry_run(&mut store, &path, &req)?
            } else {
                peil_import::import(&mut store, &path, &req)?
            };
            let refused = o.problems.has_errors();
            out.push(o);
            if refused && !dry {
                break;
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}

/// What the audit log keeps of outcomes: file, kind, counts, errors.
fn audit_files(outcomes: &[peil_import::Outcome]) -> Json {
    json!(
        outcomes
            .iter()
            .map(
                |o| json!({"file": o.file, "kind": o.kind.map(|k| k.code()), "rows": o.rows,
                            "counts": o.counts, "errors": o.problems.errors, "import": o.import_id})
            )
            .collect::<Vec<_>>()
    )
}

pub(super) async fn dry_run(
    State(st): State<AppState>,
    a: Admin,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // A declared length over the limit was refused before the body was read (`csrf`).
    let root = uploads(&st);
    clean_old(&root);
    let (token, dir) = match new_folder(&root) {
        Ok(t) => t,
        Err(e) => {
            return failed(
                &a,
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("no folder for the upload in {}: {e}", root.display()),
            );
        }
    };
    let saved = save_upload(&headers, body, &dir).await;
    let (files, choices) = match saved {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return match e {
                Upload::TooLarge => too_large(&a),
                Upload::Bad(why) => failed(&a, StatusCode::BAD_REQUEST, why),
            };
        }
    };
    let req = match choices.request(&who(&a), &st) {
        Ok(r) => r,
        Err(why) => {
            let _ = std::fs::remove_dir_all(&dir);
            return failed(&a, StatusCode::BAD_REQUEST, why);
        }
    };
    let written = serde_json::to_vec(&choices)
        .map_err(|e| e.to_string())
        .and_then(|b| std::fs::write(dir.join(CHOICES), b).map_err(|e| e.to_string()));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&dir);
        return failed(&a, StatusCode::INTERNAL_SERVER_ERROR, e);
    }
    let outcomes = match run_files(&st, dir.clone(), files, req, true).await {
        Ok(o) => o,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return failed(&a, StatusCode::INTERNAL_SERVER_ERROR, e);
        }
    };
    a.audit(
        &st,
        "import.dry_run",
        json!({"files": audit_files(&outcomes)}),
    )
    .await;
    let ok = outcomes.iter().all(|o| !o.problems.has_errors());
    if !ok {
        let _ = std::fs::remove_dir_all(&dir);
    }
    a.render(
        "admin_import.html",
        "admin_import",
        json!({"kinds": KINDS.map(|k| k.code()), "choices": choices, "report": outcomes,
               "token": ok.then_some(token), "dry": true}),
    )
}

fn too_large(a: &Admin) -> Response {
    failed(
        a,
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the upload is over {} MB; split the files",
            MAX_UPLOAD >> 20
        ),
    )
}

/// The saved folder of a token that is well-formed and not expired.
fn folder_of(st: &AppState, token: &str) -> Result<PathBuf, String> {
    let expired = "this dry run has expired or its files were imported; upload them again";
    if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(expired.into());
    }
    let dir = uploads(st).join(token);
    let age = std::fs::metadata(&dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    match age {
        Some(age) if age <= TOKEN_LIFE => Ok(dir),
        _ => Err(expired.into()),
    }
}

/// The files and options a dry run saved.
fn saved(dir: &std::path::Path) -> Result<(Vec<String>, Choices), String> {
    let choices: Choices = std::fs::read(dir.join(CHOICES))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the dry run's options are missing; upload the files again")?;
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != CHOICES)
        .collect();
    files.sort();
    Ok((files, choices))
}

pub(super) async fn run_import(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let dir = match folder_of(&st, field(&f, "token")) {
        Ok(d) => d,
        Err(why) => return failed(&a, StatusCode::GONE, why),
    };
    let prepared = saved(&dir).and_then(|(files, c)| Ok((files, c.request(&who(&a), &st)?)));
    let (files, req) = match prepared {
        Ok(p) => p,
        Err(why) => return failed(&a, StatusCode::BAD_REQUEST, why),
    };
    let done = run_files(&st, dir.clone(), files, req, false).await;
    let _ = std::fs::remove_dir_all(&dir);
    let outcomes = match done {
        Ok(o) => o,
        Err(e) => return failed(&a, StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    a.audit(&st, "import", json!({"files": audit_files(&outcomes)}))
        .await;
    let refused = outcomes.iter().any(|o| o.problems.has_errors());
    let mut r = a.render(
        "admin_import.html",
        "admin_import",
        json!({"kinds": KINDS.map(|k| k.code()), "report": outcomes, "done": true}),
    );
    if refused {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

// --- import history --------------------------------------------------------------------------

pub(super) async fn imports(State(st): State<AppState>, a: Admin) -> Response {
    imports_page(&st, &a, StatusCode::OK, Json::Null).await
}

async fn imports_page(st: &AppState, a: &Admin, status: StatusCode, message: Json) -> Response {
    let list = match super::pages::on_store(st, a, |s| s.imports()).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let rows: Vec<Json> = list
        .iter()
        .rev()
        .map(|i| {
            json!({"id": i.id, "at": i.at, "who": i.who, "kind": i.kind, "file": i.file,
                        "counts": peil_import::describe(&i.counts), "plausibility": i.plausibility,
                        "undoable": i.undoable && i.undone_at.is_none(), "undone": i.undone_at})
        })
        .collect();
    let mut r = a.render(
        "admin_imports.html",
        "admin_imports",
        json!({"imports": rows, "message": message}),
    );
    *r.status_mut() = status;
    r
}

pub(super) async fn import_detail(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    a: Admin,
) -> Response {
    let found = super::pages::on_store(&st, &a, move |s| {
        let entry = s.imports()?.into_iter().find(|i| i.id == id);
        Ok((entry, s.import_plausibility(id)?))
    })
    .await;
    let (entry, findings) = match found {
        Ok((Some(e), f)) => (e, f),
        Ok((None, _)) => {
            let m = json!({"text": format!("there is no import #{id}"), "ok": false});
            return imports_page(&st, &a, StatusCode::NOT_FOUND, m).await;
        }
        Err(r) => return r,
    };
    a.render(
        "admin_imports.html",
        "admin_imports",
        json!({"entry": {"id": entry.id, "at": entry.at, "who": entry.who, "kind": entry.kind,
                         "file": entry.file, "counts": peil_import::describe(&entry.counts)},
               "findings": findings}),
    )
}

pub(super) async fn undo(State(st): State<AppState>, Path(id): Path<i64>, a: Admin) -> Response {
    let store = st.store_location().clone();
    let done = tokio::task::spawn_blocking(move || {
        peil_store::Store::open_at(&store).and_then(|mut s| s.undo_import(id))
    })
    .await;
    let (status, text, ok) = match done {
        Ok(Ok(c)) => {
            a.audit(
                &st,
                "import.undo",
                json!({"import": id, "series": c.series, "indicators": c.indicators, "names": c.names}),
            )
            .await;
            (
                StatusCode::OK,
                format!(
                    "{} #{id}: {} series, {} indicators, {} names",
                    a.page.word("admin_undone"),
                    c.series,
                    c.indicators,
                    c.names
                ),
                true,
            )
        }
        Ok(Err(peil_store::StoreError::Invalid(why))) => {
            a.audit(
                &st,
                "import.undo refused",
                json!({"import": id, "reason": why}),
            )
            .await;
            (StatusCode::CONFLICT, why, false)
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), false),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), false),
    };
    imports_page(&st, &a, status, json!({"text": text, "ok": ok})).await
}

// --- publish and roll back -------------------------------------------------------------------

/// Publishes (or, `diff_only`, compares) on the blocking pool as `peil publish` does.
async fn publish_with(
    st: &AppState,
    who: String,
    diff_only: bool,
) -> Result<peil_import::publish::Outcome, String> {
    let store = st.store_location().clone();
    let rules = st.site().data.clone();
    let snapshot_dir = st.snapshot_dir().map(std::path::Path::to_path_buf);
    tokio::task::spawn_blocking(move || {
        let mut store = peil_store::Store::open_at(&store).map_err(|e| e.to_string())?;
        peil_import::publish::publish(
            &mut store,
            peil_import::publish::Publish {
                allow: rules.allow,
                keep: rules.keep,
                secondary_suppression: true,
                allow_lost_values: false,
                who: &who,
                log: &mut std::io::sink(),
                diff_only,
                unless_unchanged: false,
                snapshot_dir: snapshot_dir.as_deref(),
            },
        )
        .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// What the publish diff depends on: the test copy (the last import and how many imports are
/// undone: every write of the test copy is an import, `ImportTx`), the live generation, the
/// access groups' revision and the site configuration's (its privacy rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffKey {
    last_import: Option<i64>,
    undone: usize,
    /// Bumped by every change to the test copy, the theme tree's edits included.
    test: u64,
    live: Option<u64>,
    access: u64,
    site: u64,
}

/// The last publish diff the back office computed, with what it was computed from: viewing
/// `/admin/publish` again computes nothing until one of those changes.
#[derive(Default)]
pub struct DiffCache(std::sync::Mutex<Option<KeptDiff>>);

type KeptDiff = (DiffKey, Arc<serde_json::Value>);

async fn diff_key(st: &AppState) -> Result<DiffKey, String> {
    let site = st.revision();
    st.with_store(move |s| {
        let imports = s.imports()?;
        Ok(DiffKey {
            last_import: imports.last().map(|e| e.id),
            undone: imports.iter().filter(|e| e.undone_at.is_some()).count(),
            test: s.test_revision()?,
            live: s.live_generation()?,
            access: s.access_revision()?,
            site,
        })
    })
    .await
    .map_err(|e| e.to_string())
}

/// The publish diff (`diff`, privacy `errors`, `lost` values) for the page: from the cache
/// when nothing it depends on changed. The key is read before the diff is computed, so a
/// change during the computation is never hidden under the older key.
async fn publish_diff(st: &AppState, who: String) -> Result<Arc<serde_json::Value>, String> {
    use peil_import::publish::Outcome;
    let key = diff_key(st).await?;
    let cache = &st.admin_diff_cache().0;
    if let Some((k, v)) = cache.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
        && *k == key
    {
        return Ok(v.clone());
    }
    let v = match publish_with(st, who, true).await? {
        Outcome::Diff(d, review) => {
            let errors: Vec<String> = review.errors.iter().map(|f| f.to_string()).collect();
            json!({"diff": d, "errors": errors, "lost": null})
        }
        Outcome::Lost(n) => json!({"diff": null, "errors": [], "lost": n}),
        _ => json!({"diff": null, "errors": [], "lost": null}),
    };
    let v = Arc::new(v);
    *cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, v.clone()));
    Ok(v)
}

pub(super) async fn publish_page(State(st): State<AppState>, a: Admin) -> Response {
    let computed = match publish_diff(&st, who(&a)).await {
        Ok(v) => v,
        Err(e) => return failed_publish(&a, e),
    };
    let (diff, errors, lost) = (&computed["diff"], &computed["errors"], &computed["lost"]);
    let pubs = match super::pages::on_store(&st, &a, |s| s.publications()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let message = a.page.param("done").map(|d| match d {
        "published" => json!({"text": a.page.word("admin_published"), "ok": true}),
        _ => json!({"text": a.page.word("admin_rolled_back"), "ok": true}),
    });
    // The scheduled publish (`[schedule] publish` in peil.toml), when there is one.
    let scheduled = st.site().schedule.as_ref().and_then(|plan| {
        let cron = plan.publish.as_ref()?;
        let next = cron.next_after(&plan.zone, jiff::Timestamp::now());
        Some(json!({"schedule": cron.text(), "zone": plan.zone_name,
                    "next": next.map(|t| peil_connect::scheduler::local(&plan.zone, t))}))
    });
    a.render(
        "admin_publish.html",
        "admin_publish",
        json!({"diff": diff, "errors": errors, "lost": lost, "publications": pubs,
               "message": message, "scheduled": scheduled}),
    )
}

fn failed_publish(a: &Admin, text: String) -> Response {
    refused_publish(a, StatusCode::INTERNAL_SERVER_ERROR, text)
}

fn refused_publish(a: &Admin, status: StatusCode, text: String) -> Response {
    let mut r = a.render(
        "admin_publish.html",
        "admin_publish",
        json!({"message": {"text": text, "ok": false}}),
    );
    *r.status_mut() = status;
    r
}

pub(super) async fn publish(State(st): State<AppState>, a: Admin) -> Response {
    use peil_import::publish::Outcome;
    match publish_with(&st, who(&a), false).await {
        Ok(Outcome::Published { generation, .. }) => {
            a.audit(&st, "publish", json!({"generation": generation}))
                .await;
            back_to_publish(&a, "published")
        }
        Ok(Outcome::Refused(review)) => {
            a.audit(
                &st,
                "publish refused",
                json!({"privacy errors": review.errors.len()}),
            )
            .await;
            refused_publish(
                &a,
                StatusCode::CONFLICT,
                format!(
                    "refused: {} privacy errors; nothing was published",
                    review.errors.len()
                ),
            )
        }
        Ok(Outcome::Lost(n)) => refused_publish(
            &a,
            StatusCode::CONFLICT,
            format!(
                "refused: {n} groups of loaded values reach no parent; link their items (`peil publish` lists them)"
            ),
        ),
        Ok(Outcome::Diff(..)) => failed_publish(&a, "asked to publish, got a diff".into()),
        Err(e) => failed_publish(&a, e),
    }
}

fn back_to_publish(a: &Admin, done: &str) -> Response {
    no_store(
        Redirect::to(&format!("{}?done={done}", a.page.href("/admin/publish"))).into_response(),
    )
}

pub(super) async fn rollback(
    State(st): State<AppState>,
    Path(generation): Path<u64>,
    a: Admin,
) -> Response {
    let store = st.store_location().clone();
    let (keep, login) = (st.site().data.keep, who(&a));
    let done = tokio::task::spawn_blocking(move || {
        peil_store::Store::open_at(&store).and_then(|mut s| s.rollback(generation, &login, keep))
    })
    .await
    .map_err(|e| e.to_string());
    match done {
        Ok(Ok(new)) => {
            a.audit(
                &st,
                "rollback",
                json!({"to": generation, "generation": new}),
            )
            .await;
            back_to_publish(&a, "rolled_back")
        }
        Ok(Err(peil_store::StoreError::Invalid(why))) => {
            refused_publish(&a, StatusCode::CONFLICT, why)
        }
        Ok(Err(e)) => failed_publish(&a, e.to_string()),
        Err(e) => failed_publish(&a, e),
    }
}
