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

/// A report job's progress (`/jobs/{id}.json`, for the key that started it; not cached).
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
    let job = match st.jobs().start(&page.req.reader, title, areas.len()) {
        Ok(j) => j,
        Err(jobs::Refused::NotAllowed) => {
            return page.refused(StatusCode::FORBIDDEN, "bulk_forbidden");
        }
        Err(jobs::Refused::Busy) => {
            let mut r = page.refused(StatusCode::SERVICE_UNAVAILABLE, "bulk_busy");
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return r;
        }
    };
    let site = page.site.clone();
    let lang = page.lang.clone();
    let id = job.id;
    let handle = job.clone();
    // Its own thread: a job takes minutes and must not hold a worker of the compute runtime.
    let spawned = std::thread::Builder::new()
        .name("peil-job".into())
        .spawn(move || {
            let run = || -> Result<tempfile::NamedTempFile, pdf::PdfError> {
                let file = tempfile::Builder::new()
                    .prefix("peil-reports-")
                    .suffix(".zip")
                    .tempfile()?;
                let out = std::io::BufWriter::new(file);
                let out = pdf::bulk_zip(
                    out,
                    &data,
                    &story,
                    &areas,
                    &site.pdf_options(&lang),
                    &|done, _| job.set_done(done),
                    job.cancelled(),
                )?;
                out.into_inner()
                    .map_err(|e| pdf::PdfError::Io(e.into_error()))
            };
            job.finish(match run() {
                Ok(f) => jobs::Outcome::Finished(Arc::new(f)),
                Err(pdf::PdfError::Cancelled) => jobs::Outcome::Cancelled,
                Err(e) => jobs::Outcome::Failed(e.to_string()),
            });
        });
    if let Err(e) = spawned {
        handle.finish(jobs::Outcome::Failed(e.to_string()));
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no thread for the job: {e}"),
        )
            .into_response();
    }
    Redirect::to(&page.href(&format!("/jobs/{id}"))).into_response()
}

/// `POST /jobs/{id}/cancel`: stops a running job.
pub(crate) async fn cancel(
    State(st): State<AppState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    let page = match Page::new(&st, req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match id
        .parse::<u64>()
        .ok()
        .and_then(|id| st.jobs().get(&page.req.reader, id))
    {
        Some(job) => {
            job.cancel();
            Redirect::to(&page.href(&format!("/jobs/{}", job.id))).into_response()
        }
        None => page.not_found(),
    }
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
    let Some(job) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| st.jobs().get(&page.req.reader, id))
    else {
        return page.not_found();
    };
    let (id, title, done, total) = (job.id, job.title.clone(), job.done(), job.total);
    let (zip, error, cancelled) = match job.outcome() {
        jobs::Outcome::Running => (None, None, false),
        jobs::Outcome::Finished(f) => (Some(f), None, false),
        jobs::Outcome::Failed(e) => (None, Some(e), false),
        jobs::Outcome::Cancelled => (None, Some(page.word("job_cancelled").to_string()), true),
    };
    let no_store = |mut r: Response| {
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    };
    match ext.as_deref() {
        Some("zip") => {
            return match zip {
                Some(z) => {
                    let mut r = no_store(stream_file(z).await);
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

/// A finished job's ZIP, read from its file in chunks as the client takes them (a read of
/// 64 KB from a local file is too short to be worth a trip to the blocking pool).
async fn stream_file(file: Arc<tempfile::NamedTempFile>) -> Response {
    use std::io::Read;
    let f = match std::fs::File::open(file.path()) {
        Ok(f) => f,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the ZIP cannot be read: {e}"),
            )
                .into_response();
        }
    };
    let len = f.metadata().map(|m| m.len()).ok();
    // The temporary file lives as long as the stream: a job dropped from the list meanwhile
    // does not cut a download short.
    let stream = futures_util::stream::unfold((f, file), |(mut f, keep)| async move {
        let mut buf = vec![0; 64 * 1024];
        match f.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((
                    Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)),
                    (f, keep),
                ))
            }
            Err(e) => Some((Err(e), (f, keep))),
        }
    });
    // Fused: a consumer may poll once more after the end.
    let stream = futures_util::StreamExt::fuse(stream);
    let mut r = axum::body::Body::from_stream(stream).into_response();
    if let Some(n) = len {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
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
