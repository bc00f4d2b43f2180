//! Stories, reports and dashboards on the web: pages, PDFs, and bulk PDFs (one per area of a
//! level) as a background job whose progress a page shows.

use super::{Page, PageResult, jobs, json_twin};
use crate::AppState;
use crate::api::{Req, seg};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use peil_story::pdf;
use peil_story::{Area, Data};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The list of stories and dashboards: the page's context and its twin (`/stories.json`;
/// schema `TwinStories`).
#[derive(serde::Serialize)]
struct ReportList<'a> {
    dashboards: Vec<ReportLink<'a>>,
    stories: Vec<ReportLink<'a>>,
}

#[derive(serde::Serialize)]
struct ReportLink<'a> {
    description: &'a str,
    href: String,
    name: &'a str,
    title: String,
}

/// A story's twin (`/stories/{name}.json`; schema `TwinStory`): the rendered Markdown with
/// its figures' file names.
#[derive(serde::Serialize)]
struct StoryTwin<'a> {
    /// `level:code` of the comparison area.
    compare: Option<String>,
    figures: Vec<&'a str>,
    /// `level:code` of the area.
    geo: String,
    markdown: &'a str,
    /// Indicators the story asks for that the site lacks.
    missing: &'a [String],
    sources: &'a [String],
    title: &'a str,
}

/// A dashboard's twin (`/dashboards/{name}.json`; schema `TwinDashboard`).
#[derive(serde::Serialize)]
struct DashboardTwin<'a> {
    geo: String,
    tiles: Vec<TileTwin<'a>>,
    title: &'a str,
}

#[derive(serde::Serialize)]
struct TileTwin<'a> {
    indicator: Option<&'a str>,
    kind: &'static str,
    /// For key figures with a target: the target and whether it is reached.
    target: Option<&'a str>,
    title: &'a str,
}

/// A report job's progress (`/jobs/{id}.json`, for readers who may run jobs, on any replica; not
/// cached).
#[derive(serde::Serialize)]
struct JobTwin<'a> {
    cancelled: bool,
    done: usize,
    error: Option<&'a str>,
    finished: bool,
    id: u64,
    total: usize,
}

/// What stories read, for this publication (built once).
pub(crate) async fn data(page: &Page) -> Arc<Data> {
    let x = page.ctx.extras().await;
    let snap = page.ctx.snap.clone();
    page.ctx
        .entry
        .story_data
        .get_or_init(|| async move { Arc::new(Data::new(snap, x.themes.clone())) })
        .await
        .clone()
}

/// The area a request asks for: Swing's `regionlevel`/`regioncode`, else `geo=level:code`.
fn asked_area(page: &Page) -> Option<Area> {
    match (page.param("regionlevel"), page.param("regioncode")) {
        (Some(l), Some(c)) => Some(Area::new(l, c)),
        _ => page.param("geo").and_then(Area::parse),
    }
}

fn asked_compare(page: &Page) -> Option<Area> {
    page.param("compare").and_then(Area::parse)
}

pub(crate) fn pdf_response(bytes: Vec<u8>, file: &str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{file}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub(crate) fn failed(page: &Page, reason: &str) -> Response {
    let mut r = page.render("error.html", "Error", json!({"message": reason}));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

// --- list ----------------------------------------------------------------------------------

pub(crate) async fn list(State(st): State<AppState>, req: Req) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let content = page.site.content.clone();
    let list = ReportList {
        dashboards: content
            .dashboards
            .iter()
            .map(|d| ReportLink {
                description: &d.description,
                href: page.href(&format!("/dashboards/{}", seg(&d.name))),
                name: &d.name,
                title: d.title.clone(),
            })
            .collect(),
        stories: content
            .stories
            .iter()
            .map(|s| ReportLink {
                description: &s.meta.description,
                href: page.href(&format!("/stories/{}", seg(&s.name))),
                name: &s.name,
                title: s
                    .meta
                    .title
                    .replace("{{ geo.name }}", "")
                    .trim()
                    .to_string(),
            })
            .collect(),
    };
    if page.twin() == Some("json") {
        return json_twin(&list);
    }
    let title = format!("{} — {}", page.word("reports"), page.site.name);
    page.render("stories.html", &title, json!(list))
}

// --- one story -----------------------------------------------------------------------------

pub(crate) async fn story(
    State(st): State<AppState>,
    Path(name): Path<String>,
    req: Req,
) -> Response {
    story_page(st, name, req).await.unwrap_or_else(|e| e)
}

/// Areas a reader may choose from, for the picker: (level, [(code, name)]).
fn picker(data: &Data, level: &str, current: &Area) -> Json {
    let areas: Vec<Json> = data
        .areas(level)
        .iter()
        .take(3000)
        .map(|a| json!({"code": a.code, "name": data.area_name(a), "current": *a == *current}))
        .collect();
    json!({"level": level, "level_name": data.level_name(level), "areas": areas})
}

async fn story_page(st: AppState, name: String, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let (name, ext) = match name.rsplit_once('.') {
        Some((n, e)) if ["pdf", "md", "json"].contains(&e) => (n.to_string(), Some(e.to_string())),
        _ => (name, None),
    };
    let content = page.site.content.clone();
    let Some(story) = content.story(&name) else {
        return Err(page.not_found());
    };
    let data = data(&page).await;
    let level = story
        .meta
        .level
        .clone()
        .filter(|l| data.level_index(l).is_some())
        .or_else(|| asked_area(&page).map(|a| a.level))
        .or_else(|| {
            data.snap
                .levels
                .iter()
                .filter(|l| l.items.len() > 1)
                .min_by_key(|l| l.items.len())
                .map(|l| l.level.code.clone())
        })
        .ok_or_else(|| page.not_found())?;
    let geo = asked_area(&page)
        .filter(|a| data.exists(a))
        .or_else(|| data.areas(&level).into_iter().next())
        .ok_or_else(|| page.not_found())?;
    let compare = asked_compare(&page);
    let link_base = page.prefix.clone();
    let lang = page.lang.clone();
    let (d2, s2, g2, c2) = (data.clone(), story.clone(), geo.clone(), compare.clone());
    let rendered = tokio::task::spawn_blocking(move || {
        peil_story::render(&d2, &s2, &g2, c2.as_ref(), &lang, Some(link_base.as_str()))
    })
    .await
    .map_err(|_| failed(&page, "the story could not be rendered"))?
    .map_err(|e| failed(&page, &e.to_string()))?;
    match ext.as_deref() {
        Some("md") => {
            return Ok((
                [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
                rendered.markdown,
            )
                .into_response());
        }
        Some("json") => {
            return Ok(json_twin(&StoryTwin {
                compare: rendered.compare.as_ref().map(|c| c.key()),
                figures: rendered.figures.iter().map(|(n, _)| n.as_str()).collect(),
                geo: geo.key(),
                markdown: &rendered.markdown,
                missing: &rendered.missing,
                sources: &rendered.sources,
                title: &rendered.title,
            }));
        }
        Some("pdf") => {
            let site = page.site.clone();
            let lang = page.lang.clone();
            let landscape = story.meta.landscape;
            let bytes = tokio::task::spawn_blocking(move || {
                pdf::to_pdf(&rendered, &site.pdf_options(&lang), landscape)
            })
            .await
            .map_err(|_| failed(&page, "the PDF could not be made"))?
            .map_err(|e| failed(&page, &e.to_string()))?;
            return Ok(pdf_response(
                bytes,
                &format!("{name}_{}_{}.pdf", geo.level, geo.code),
            ));
        }
        _ => {}
    }
    let query = format!(
        "regionlevel={}&regioncode={}{}",
        crate::api::encode(&geo.level),
        crate::api::encode(&geo.code),
        compare
            .as_ref()
            .map(|c| format!("&compare={}", crate::api::encode(&c.key())))
            .unwrap_or_default()
    );
    let base = page.href(&format!("/stories/{}", seg(&name)));
    let body = peil_story::html::to_html(&rendered);
    let title = format!("{} — {}", rendered.title, page.site.name);
    // The date the PDF's cover carries, so the page and its PDF say the same.
    let today = pdf::today();
    let compare_options: Vec<Json> = data
        .ancestors(&geo)
        .iter()
        .chain(data.siblings(&geo).iter().filter(|s| **s != geo).take(200))
        .map(|a| json!({"key": a.key(), "name": format!("{} ({})", data.area_name(a).unwrap_or_default(), data.level_name(&a.level)), "current": rendered.compare.as_ref() == Some(a)}))
        .collect();
    Ok(page.render(
        "story.html",
        &title,
        json!({
            "heading": rendered.title,
            "body": body,
            "sources": rendered.sources,
            "missing": rendered.missing,
            "picker": picker(&data, &geo.level, &geo),
            "compare_options": compare_options,
            "pdf": format!("{base}.pdf?{query}"),
            "md": format!("{base}.md?{query}"),
            "bulk": format!("{base}/bulk"),
            "may_bulk": jobs::may_run(&page.req.reader),
            "level": geo.level,
            "level_name": data.level_name(&geo.level),
            "area_count": data.areas(&geo.level).len(),
            "date": peil_core::date::label(today, &page.lang),
            "date_iso": peil_core::date::iso(today),
        }),
    ))
}

// --- dashboards ----------------------------------------------------------------------------

pub(crate) async fn dashboard(
    State(st): State<AppState>,
    Path(name): Path<String>,
    req: Req,
) -> Response {
    dashboard_page(st, name, req).await.unwrap_or_else(|e| e)
}

async fn dashboard_page(st: AppState, name: String, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let (name, ext) = match name.rsplit_once('.') {
        Some((n, e)) if ["pdf", "json"].contains(&e) => (n.to_string(), Some(e.to_string())),
        _ => (name, None),
    };
    let content = page.site.content.clone();
    let Some(dash) = content.dashboard(&name).cloned() else {
        return Err(page.not_found());
    };
    let data = data(&page).await;
    let geo = asked_area(&page)
        .filter(|a| data.exists(a))
        .or_else(|| dash.default_area(&data))
        .ok_or_else(|| page.not_found())?;
    let compare = asked_compare(&page);
    if ext.as_deref() == Some("pdf") {
        let story = dash.story().map_err(|e| failed(&page, &e.to_string()))?;
        let site = page.site.clone();
        let lang = page.lang.clone();
        let (d2, g2, c2) = (data.clone(), geo.clone(), compare.clone());
        let bytes = tokio::task::spawn_blocking(move || {
            let r = peil_story::render(&d2, &story, &g2, c2.as_ref(), &lang, None)?;
            pdf::to_pdf(&r, &site.pdf_options(&lang), true)
        })
        .await
        .map_err(|_| failed(&page, "the PDF could not be made"))?
        .map_err(|e| failed(&page, &e.to_string()))?;
        return Ok(pdf_response(
            bytes,
            &format!("{name}_{}_{}.pdf", geo.level, geo.code),
        ));
    }
    let link_base = page.prefix.clone();
    let lang = page.lang.clone();
    let (d2, g2, c2, dash2) = (data.clone(), geo.clone(), compare.clone(), dash.clone());
    let tiles = tokio::task::spawn_blocking(move || {
        peil_story::render_tiles(&d2, &dash2, &g2, c2.as_ref(), &lang, Some(&link_base))
    })
    .await
    .map_err(|_| failed(&page, "the dashboard could not be rendered"))?
    .map_err(|e| failed(&page, &e.to_string()))?;
    if ext.as_deref() == Some("json") {
        return Ok(json_twin(&DashboardTwin {
            geo: geo.key(),
            tiles: tiles
                .iter()
                .map(|t| TileTwin {
                    indicator: t.indicator.as_deref(),
                    kind: t.kind,
                    target: t.target.as_deref(),
                    title: &t.title,
                })
                .collect(),
            title: &dash.title,
        }));
    }
    let tiles: Vec<Json> = tiles
        .iter()
        .map(|t| {
            json!({
                "kind": t.kind, "title": t.title, "html": t.html, "target": t.target,
                "detail": t.indicator.as_ref().map(|i| page.href(&format!(
                    "/indicator/{}?level={}&select={}", seg(i), crate::api::encode(&geo.level), crate::api::encode(&geo.code)
                ))),
            })
        })
        .collect();
    let area_name = data.area_name(&geo).unwrap_or_default();
    let base = page.href(&format!("/dashboards/{}", seg(&name)));
    let query = format!(
        "regionlevel={}&regioncode={}",
        crate::api::encode(&geo.level),
        crate::api::encode(&geo.code)
    );
    let title = format!("{} — {area_name} — {}", dash.title, page.site.name);
    Ok(page.render(
        "dashboard.html",
        &title,
        json!({
            "heading": dash.title,
            "description": dash.description,
            "area_name": area_name,
            "tiles": tiles,
            "picker": picker(&data, &dash.level, &geo),
            "pdf": format!("{base}.pdf?{query}"),
            "json": format!("{base}.json?{query}"),
        }),
    ))
}

// --- bulk jobs -----------------------------------------------------------------------------

pub(crate) async fn bulk(
    State(st): State<AppState>,
    Path(name): Path<String>,
    req: Req,
    body: String,
) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(story) = page.site.content.story(&name).cloned() else {
        return page.not_found();
    };
    // Refused before any work: who may run jobs is decided by the reader alone.
    if !jobs::may_run(&page.req.reader) {
        return page.refused(StatusCode::FORBIDDEN, "bulk_forbidden");
    }
    let data = data(&page).await;
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let level = form
        .get("level")
        .cloned()
        .or_else(|| story.meta.level.clone())
        .unwrap_or_default();
    let areas = data.areas(&level);
    if areas.is_empty() {
        return page.not_found();
    }
    let title = format!(
        "{} — {}",
        story.meta.title.replace("{{ geo.name }}", "").trim(),
        data.level_name(&level)
    );
    // The job is made in the store on a connection of its own, which its runner keeps.
    let (reader, location, total) = (
        page.req.reader.clone(),
        st.store_location().clone(),
        areas.len(),
    );
    let started = tokio::task::spawn_blocking(move || {
        let store = peil_store::Store::open_at(&location)?;
        let id = jobs::start(&store, &reader, &title, total)?;
        Ok::<_, jobs::Refused>((store, id))
    })
    .await
    .unwrap_or_else(|e| {
        Err(jobs::Refused::Store(peil_store::StoreError::Invalid(
            e.to_string(),
        )))
    });
    let (store, id) = match started {
        Ok(s) => s,
        Err(jobs::Refused::NotAllowed) => {
            return page.refused(StatusCode::FORBIDDEN, "bulk_forbidden");
        }
        Err(jobs::Refused::Busy) => {
            let mut r = page.refused(StatusCode::SERVICE_UNAVAILABLE, "bulk_busy");
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return r;
        }
        Err(jobs::Refused::Store(e)) => return store_failed(&e),
    };
    let site = page.site.clone();
    let lang = page.lang.clone();
    // Its own thread: a job takes minutes and must not hold a worker of the compute runtime.
    let spawned = std::thread::Builder::new()
        .name("peil-job".into())
        .spawn(move || {
            jobs::run(store, id, move |progress, cancel| {
                let file = tempfile::Builder::new()
                    .prefix("peil-reports-")
                    .suffix(".zip")
                    .tempfile()
                    .map_err(|e| jobs::Stopped::Failed(e.to_string()))?;
                let out = std::io::BufWriter::new(file);
                let made = pdf::bulk_zip(
                    out,
                    &data,
                    &story,
                    &areas,
                    &site.pdf_options(&lang),
                    &|done, _| progress(done),
                    cancel,
                )
                .and_then(|out| {
                    out.into_inner()
                        .map_err(|e| pdf::PdfError::Io(e.into_error()))
                });
                match made {
                    Ok(f) => Ok(f),
                    Err(pdf::PdfError::Cancelled) => Err(jobs::Stopped::Cancelled),
                    Err(e) => Err(jobs::Stopped::Failed(e.to_string())),
                }
            })
        });
    if let Err(e) = spawned {
        let why = format!("no thread for the job: {e}");
        let end = peil_store::JobEnd::Failed(why.clone());
        let _ = st.with_store(move |s| s.end_report_job(id, &end)).await;
        return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    }
    Redirect::to(&page.href(&format!("/jobs/{id}"))).into_response()
}

/// The answer when the store, which holds the jobs, does not answer.
fn store_failed(e: &peil_store::StoreError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the report jobs cannot be read: {e}"),
    )
        .into_response()
}

/// The job `id` of the URL (`123`, `123.json`, `123.zip`) for this reader, from the store:
/// `None` for a guessed id, another site's or one this reader may not see.
async fn find_job(
    st: &AppState,
    page: &Page,
    id: &str,
) -> Result<Option<peil_store::ReportJob>, Response> {
    let Ok(id) = id.parse::<u64>() else {
        return Ok(None);
    };
    if !jobs::may_run(&page.req.reader) {
        return Ok(None);
    }
    let reader = page.req.reader.clone();
    st.with_store(move |s| jobs::get(s, &reader, id))
        .await
        .map_err(|e| store_failed(&e))
}

/// `POST /jobs/{id}/cancel`: asks a running job to stop, on whichever replica runs it.
pub(crate) async fn cancel(
    State(st): State<AppState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let job = match find_job(&st, &page, &id).await {
        Ok(Some(j)) => j,
        Ok(None) => return page.not_found(),
        Err(r) => return r,
    };
    let id = job.id;
    if let Err(e) = st.with_store(move |s| s.cancel_report_job(id)).await {
        return store_failed(&e);
    }
    Redirect::to(&page.href(&format!("/jobs/{id}"))).into_response()
}

pub(crate) async fn job(State(st): State<AppState>, Path(id): Path<String>, req: Req) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (id, ext) = match id.split_once('.') {
        Some((i, e)) => (i.to_string(), Some(e.to_string())),
        None => (id, None),
    };
    let job = match find_job(&st, &page, &id).await {
        Ok(Some(j)) => j,
        Ok(None) => return page.not_found(),
        Err(r) => return r,
    };
    let (id, title, done, total) = (job.id, job.title.clone(), job.done, job.total);
    let (zip, error, cancelled) = match job.state {
        peil_store::JobState::Running => (None, None, false),
        peil_store::JobState::Finished { size } => (Some(size), None, false),
        peil_store::JobState::Failed(e) => (None, Some(e), false),
        peil_store::JobState::Cancelled => {
            (None, Some(page.word("job_cancelled").to_string()), true)
        }
    };
    let no_store = |mut r: Response| {
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    };
    match ext.as_deref() {
        Some("zip") => {
            return match zip {
                Some(size) => {
                    let mut r = no_store(stream_zip(st.clone(), id, size));
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/zip"),
                    );
                    r.headers_mut().insert(
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static("attachment; filename=\"reports.zip\""),
                    );
                    r
                }
                None => page.not_found(),
            };
        }
        Some("json") => {
            return no_store(json_twin(&JobTwin {
                cancelled,
                done,
                error: error.as_deref(),
                finished: zip.is_some(),
                id,
                total,
            }));
        }
        _ => {}
    }
    let running = zip.is_none() && error.is_none();
    no_store(page.render(
        "job.html",
        &title,
        json!({
            "heading": title, "done": done, "total": total, "finished": zip.is_some(), "error": error,
            "running": running,
            "zip": page.href(&format!("/jobs/{id}.zip")),
            "status": page.href(&format!("/jobs/{id}.json")),
            "cancel": page.href(&format!("/jobs/{id}/cancel")),
            "percent": (done * 100).checked_div(total).unwrap_or(0),
        }),
    ))
}

/// A finished job's ZIP, read from the store one chunk at a time as the client takes them
/// (on the blocking pool). A job dropped from the list while it is downloaded takes its
/// chunks along: the download then ends with an error, short of its `Content-Length`, never
/// as a whole-looking file.
fn stream_zip(st: AppState, id: u64, size: u64) -> Response {
    let stream =
        futures_util::stream::unfold((st, 0u64, 0u64), move |(st, seq, sent)| async move {
            if sent >= size {
                return None;
            }
            let chunk = st.with_store(move |s| s.report_job_chunk(id, seq)).await;
            let item = match chunk {
                Ok(Some(bytes)) if !bytes.is_empty() => {
                    let n = bytes.len() as u64;
                    return Some((Ok(axum::body::Bytes::from(bytes)), (st, seq + 1, sent + n)));
                }
                Ok(_) => std::io::Error::other(format!("the ZIP of job {id} is gone")),
                Err(e) => std::io::Error::other(e.to_string()),
            };
            // Nothing more after an error.
            Some((Err::<axum::body::Bytes, _>(item), (st, seq, size)))
        });
    // Fused: a consumer may poll once more after the end.
    let stream = futures_util::StreamExt::fuse(stream);
    let mut r = axum::body::Body::from_stream(stream).into_response();
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    r
}

/// `/content/{file}`: images for dashboard tiles from the site's `content/` folder.
pub(crate) async fn content_file(State(st): State<AppState>, Path(file): Path<String>) -> Response {
    let site = st.site();
    let ok_name = !file.is_empty()
        && !file.starts_with('.')
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let mime = match file.rsplit('.').next().map(str::to_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "",
    };
    match (&site.dir, ok_name && !mime.is_empty()) {
        (Some(dir), true) => match std::fs::read(dir.join("content").join(&file)) {
            Ok(bytes) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
