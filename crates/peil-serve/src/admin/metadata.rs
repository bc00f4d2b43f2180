//! The back office's metadata pages (issue 14 §2): indicators (a searchable, paged list; one
//! form per indicator with every field of the metadata workbook, in Dutch, English and
//! French; the workbook download for bulk edits through `/admin/import`), units and sources
//! renamed across all indicators at once, and the names of geo levels and areas.
//!
//! Every edit goes through `peil_import::edit` into the test copy (visible after publishing),
//! is checked by the metadata import's own rules (`peil_ingest::read_metadata_rows`), and is
//! written to the audit log with each changed field before and after.

use super::pages::on_store;
use super::{Admin, no_store};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use peil_core::{DataType, Indicator, Lifecycle, Locale, PeriodLevel, PeriodType, fold};
use peil_ingest::{METADATA_COLUMNS, metadata_cells, metadata_header};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// Rows per page of the indicator and area lists.
const PAGE: usize = 50;

/// The longest field value the forms accept (descriptions can be long; the CSRF layer bounds
/// the whole form).
const MAX_VALUE: usize = 20_000;

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.chars().take(MAX_VALUE).collect()))
        .collect()
}

/// A code as one segment of a path (or a query value).
fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn value<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The page number asked for (1-based) and the slice of `n` rows it shows.
fn paging(a: &Admin, n: usize) -> (usize, usize, std::ops::Range<usize>) {
    let pages = n.div_ceil(PAGE).max(1);
    let page = a
        .page
        .param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let start = (page - 1) * PAGE;
    (page, pages, start..(start + PAGE).min(n))
}

/// A query string of the filters that are set, for the pager's links.
fn query_of(pairs: &[(&str, Option<&str>)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter_map(|(k, v)| v.map(|v| (*k, v))))
        .finish()
}

// --- the indicator list ----------------------------------------------------------------------

pub(super) async fn indicators(State(st): State<AppState>, a: Admin) -> Response {
    let data = on_store(&st, &a, |s| Ok((s.indicators()?, s.themes()?))).await;
    let (mut inds, themes) = match data {
        Ok(d) => d,
        Err(r) => return r,
    };
    let q = a.page.param("q").map(str::to_string);
    let theme = a.page.param("theme").map(str::to_string);
    let source = a.page.param("source").map(str::to_string);
    let mut sources: Vec<String> = inds.iter().map(|i| i.source.clone()).collect();
    sources.sort();
    sources.dedup();
    sources.retain(|s| !s.is_empty());
    let needle = q.as_deref().map(fold);
    inds.retain(|i| {
        needle.as_ref().is_none_or(|n| {
            fold(&i.code).contains(n.as_str())
                || i.name.0.values().any(|t| fold(t).contains(n.as_str()))
        }) && theme.as_ref().is_none_or(|t| i.themes.contains(t))
            && source.as_ref().is_none_or(|s| i.source == *s)
    });
    inds.sort_by(|x, y| x.code.cmp(&y.code));
    let (page, pages, range) = paging(&a, inds.len());
    let rows: Vec<Json> = inds[range]
        .iter()
        .map(|i| {
            json!({"code": i.code, "seg": seg(&i.code), "name": a.page.text(&i.name), "unit": i.unit, "source": i.source,
                   "status": i.status.code(), "formula": i.formula.is_some()})
        })
        .collect();
    let themes: Vec<Json> = themes
        .iter()
        .map(|t| json!({"code": t.code, "name": a.page.text(&t.name)}))
        .collect();
    let query = query_of(&[
        ("q", q.as_deref()),
        ("theme", theme.as_deref()),
        ("source", source.as_deref()),
    ]);
    a.render(
        "admin_indicators.html",
        "admin_indicators",
        json!({
            "rows": rows, "total": inds.len(), "page": page, "pages": pages, "query": query,
            "themes": themes, "sources": sources,
            "filter": {"q": q, "theme": theme, "source": source},
        }),
    )
}

/// The metadata workbook of every indicator: exactly what `peil import` (and `/admin/import`)
/// reads as indicator metadata, so it can be edited in a spreadsheet and uploaded again.
pub(super) async fn workbook(State(st): State<AppState>, a: Admin) -> Response {
    let mut inds = match on_store(&st, &a, |s| s.indicators()).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    inds.sort_by(|x, y| x.code.cmp(&y.code));
    match write_workbook(&inds) {
        Ok(bytes) => {
            a.audit(&st, "metadata.download", json!({"indicators": inds.len()}))
                .await;
            no_store(
                (
                    [
                        (header::CONTENT_TYPE, crate::api::formats::XLSX_MEDIA),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"indicator-metadata.xlsx\"",
                        ),
                    ],
                    bytes,
                )
                    .into_response(),
            )
        }
        Err(e) => {
            tracing::error!(target: crate::log::SERVER, event = "metadata workbook failed", error = e.to_string().as_str());
            no_store(
                a.page
                    .refused(StatusCode::INTERNAL_SERVER_ERROR, "admin_store_error"),
            )
        }
    }
}

fn write_workbook(inds: &[Indicator]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let header = metadata_header(inds);
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("indicators")?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (r, ind) in inds.iter().enumerate() {
        for (c, v) in metadata_cells(ind, &header).iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    wb.save_to_buffer()
}

// --- one indicator ---------------------------------------------------------------------------

/// How a column of the form is edited.
fn input_of(column: &str) -> (&'static str, Vec<&'static str>) {
    let base = column
        .strip_suffix(" en")
        .or_else(|| column.strip_suffix(" fr"))
        .unwrap_or(column);
    match base {
        "description" | "more information" | "footnote" | "formula" => ("textarea", vec![]),
        "data type" => (
            "select",
            [
                DataType::Numeric,
                DataType::Mean,
                DataType::Percentage,
                DataType::Ratio,
                DataType::ObjectCount,
                DataType::Label,
                DataType::Text,
                DataType::Other,
            ]
            .map(|d| d.code())
            .to_vec(),
        ),
        "period type" => (
            "select",
            [
                PeriodType::Stock,
                PeriodType::Flow,
                PeriodType::AverageStock,
                PeriodType::GrowthRate,
                PeriodType::Independent,
            ]
            .map(|p| p.code())
            .to_vec(),
        ),
        "status" => (
            "select",
            [Lifecycle::Active, Lifecycle::Retiring, Lifecycle::Archived]
                .map(|s| s.code())
                .to_vec(),
        ),
        "non aggregable" | "aggregate periods" | "protected" | "exclude from search" => {
            ("checkbox", vec![])
        }
        _ => ("text", vec![]),
    }
}

/// The form's columns: every column of the workbook but the code.
fn form_columns() -> impl Iterator<Item = &'static str> {
    METADATA_COLUMNS.iter().copied().filter(|c| *c != "code")
}

/// The label of a column in the page's language: `meta_` and the column's base name, with the
/// language of a translated text.
fn label(a: &Admin, column: &str) -> String {
    let (base, lang) = match column.rsplit_once(' ') {
        Some((b, l)) if matches!(l, "en" | "fr") => (b, Some(l)),
        _ => (column, None),
    };
    let word = a.page.word(&format!("meta_{}", base.replace(' ', "_")));
    match lang {
        Some(l) => format!("{word} ({})", l.to_uppercase()),
        None => word.to_string(),
    }
}

/// The page of one indicator's form: `values` are the cells shown (the stored ones, or what
/// was sent back with `errors` per column and `general` errors without a column).
fn form_page(
    a: &Admin,
    code: &str,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, Vec<String>>,
    general: &[String],
    message: Json,
    status: StatusCode,
) -> Response {
    let fields: Vec<Json> = form_columns()
        .map(|c| {
            let (input, options) = input_of(c);
            let lang = c
                .rsplit_once(' ')
                .map(|(_, l)| l)
                .filter(|l| matches!(*l, "en" | "fr"));
            json!({"column": c, "id": format!("f-{}", c.replace(' ', "-")), "label": label(a, c),
                   "input": input, "options": options, "lang": lang,
                   "value": values.get(c).cloned().unwrap_or_default(),
                   "errors": errors.get(c).cloned().unwrap_or_default()})
        })
        .collect();
    let mut r = a.render(
        "admin_indicator.html",
        "admin_indicator",
        json!({"code": code, "seg": seg(code), "fields": fields, "general": general, "message": message,
               "has_errors": !errors.is_empty() || !general.is_empty()}),
    );
    *r.status_mut() = status;
    r
}

fn cells_of(ind: &Indicator) -> BTreeMap<String, String> {
    let header: Vec<String> = METADATA_COLUMNS.iter().map(|c| c.to_string()).collect();
    header
        .iter()
        .cloned()
        .zip(metadata_cells(ind, &header))
        .collect()
}

pub(super) async fn indicator(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
) -> Response {
    let c = code.clone();
    let ind = match on_store(&st, &a, move |s| s.indicator(&c)).await {
        Ok(Some(i)) => i,
        Ok(None) => return no_store(a.page.refused(StatusCode::NOT_FOUND, "admin_not_found")),
        Err(r) => return r,
    };
    form_page(
        &a,
        &code,
        &cells_of(&ind),
        &BTreeMap::new(),
        &[],
        Json::Null,
        StatusCode::OK,
    )
}

/// Runs `f` with the store opened for writing, on the blocking pool (as imports do).
async fn on_store_mut<T: Send + 'static>(
    st: &AppState,
    a: &Admin,
    f: impl FnOnce(&mut peil_store::Store) -> peil_import::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let path = st.store_location().clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut s = peil_store::Store::open_at(&path)?;
        f(&mut s)
    })
    .await;
    match done {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => {
            tracing::error!(target: crate::log::SERVER, event = "metadata edit failed", error = e.to_string().as_str());
            Err(no_store(a.page.refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "admin_store_error",
            )))
        }
        Err(e) => {
            tracing::error!(target: crate::log::SERVER, event = "metadata edit failed", error = e.to_string().as_str());
            Err(no_store(a.page.refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "admin_store_error",
            )))
        }
    }
}

fn who(a: &Admin) -> String {
    a.user()
        .map(|u| u.login.clone())
        .unwrap_or_else(|| "-".into())
}

/// What changed, column by column: `{column: [before, after]}`.
fn changes(before: &Indicator, after: &Indicator) -> Json {
    let (b, n) = (cells_of(before), cells_of(after));
    let mut out = serde_json::Map::new();
    for (c, old) in &b {
        let new = n.get(c).cloned().unwrap_or_default();
        if *old != new {
            out.insert(c.clone(), json!([old, new]));
        }
    }
    Json::Object(out)
}

/// Saves one indicator's form; errors are shown next to their fields and nothing is written.
pub(super) async fn save_indicator(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let values: BTreeMap<String, String> = form_columns()
        .map(|c| {
            let v = match input_of(c).0 {
                "checkbox" => if value(&f, c).is_empty() { "0" } else { "1" }.to_string(),
                _ => value(&f, c).trim().to_string(),
            };
            (c.to_string(), v)
        })
        .collect();
    let cells: Vec<(String, String)> = values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let (login, c) = (who(&a), code.clone());
    let edited = match on_store_mut(&st, &a, move |s| {
        peil_import::edit::edit_indicator(s, &login, &c, &cells)
    })
    .await
    {
        Ok(e) => e,
        Err(r) => return r,
    };
    if edited.problems.has_errors() {
        let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut general = Vec::new();
        for p in edited.problems.errors() {
            match p.column.as_deref().filter(|c| values.contains_key(*c)) {
                Some(c) => errors
                    .entry(c.to_string())
                    .or_default()
                    .push(p.message.clone()),
                None => general.push(p.message.clone()),
            }
        }
        a.audit(
            &st,
            "metadata.edit refused",
            json!({"indicator": code, "errors": edited.problems.errors}),
        )
        .await;
        return form_page(
            &a,
            &code,
            &values,
            &errors,
            &general,
            json!({"text": a.page.word("admin_form_errors"), "ok": false}),
            StatusCode::BAD_REQUEST,
        );
    }
    let Some((before, after)) = edited.changed.first() else {
        let c = code.clone();
        return match on_store(&st, &a, move |s| s.indicator(&c)).await {
            Ok(Some(i)) => form_page(
                &a,
                &code,
                &cells_of(&i),
                &BTreeMap::new(),
                &[],
                json!({"text": a.page.word("admin_no_change"), "ok": true}),
                StatusCode::OK,
            ),
            Ok(None) => no_store(a.page.refused(StatusCode::NOT_FOUND, "admin_not_found")),
            Err(r) => r,
        };
    };
    a.audit(
        &st,
        "metadata.edit",
        json!({"indicator": code, "import": edited.import_id, "changes": changes(before, after)}),
    )
    .await;
    let warnings: Vec<String> = edited
        .problems
        .warnings()
        .map(|p| p.message.clone())
        .collect();
    form_page(
        &a,
        &code,
        &cells_of(after),
        &BTreeMap::new(),
        &warnings,
        json!({"text": a.page.word("admin_saved_test_copy"), "ok": true}),
        StatusCode::OK,
    )
}

// --- units and sources -----------------------------------------------------------------------

/// Whether a path is the sources page (else the units page).
fn is_sources(a: &Admin) -> bool {
    a.page.path.ends_with("/sources")
}

pub(super) async fn vocabulary(State(st): State<AppState>, a: Admin) -> Response {
    vocabulary_page(&st, &a, Json::Null, StatusCode::OK).await
}

async fn vocabulary_page(st: &AppState, a: &Admin, message: Json, status: StatusCode) -> Response {
    let inds = match on_store(st, a, |s| s.indicators()).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let sources = is_sources(a);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &inds {
        let v = if sources { &i.source } else { &i.unit };
        if !v.is_empty() {
            *counts.entry(v.as_str()).or_default() += 1;
        }
    }
    let rows: Vec<Json> = counts
        .iter()
        .map(|(v, n)| json!({"value": v, "count": n}))
        .collect();
    let (word, path) = if sources {
        ("admin_sources", "/admin/sources")
    } else {
        ("admin_units", "/admin/units")
    };
    let mut r = a.render(
        "admin_vocabulary.html",
        word,
        json!({"rows": rows, "action": path, "message": message,
               "what": a.page.word(if sources { "meta_source" } else { "meta_unit" })}),
    );
    *r.status_mut() = status;
    r
}

/// Renames a unit or a source in every indicator that has it.
pub(super) async fn rename_vocabulary(
    State(st): State<AppState>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let (from, to) = (
        value(&f, "from").to_string(),
        value(&f, "to").trim().to_string(),
    );
    let sources = is_sources(&a);
    if from.is_empty() || to.is_empty() {
        let m = json!({"text": a.page.word("admin_rename_empty"), "ok": false});
        return vocabulary_page(&st, &a, m, StatusCode::BAD_REQUEST).await;
    }
    let (login, fr, t) = (who(&a), from.clone(), to.clone());
    let edited = match on_store_mut(&st, &a, move |s| {
        peil_import::edit::rename(s, &login, sources, &fr, &t)
    })
    .await
    {
        Ok(e) => e,
        Err(r) => return r,
    };
    let codes: Vec<&str> = edited
        .changed
        .iter()
        .map(|(b, _)| b.code.as_str())
        .collect();
    a.audit(
        &st,
        if sources {
            "metadata.rename source"
        } else {
            "metadata.rename unit"
        },
        json!({"before": from, "after": to, "indicators": codes, "import": edited.import_id}),
    )
    .await;
    let m =
        json!({"text": format!("{} {}", a.page.word("admin_renamed_in"), codes.len()), "ok": true});
    vocabulary_page(&st, &a, m, StatusCode::OK).await
}

// --- geo levels and areas --------------------------------------------------------------------

pub(super) async fn areas(State(st): State<AppState>, a: Admin) -> Response {
    areas_page(&st, &a, Json::Null, StatusCode::OK).await
}

async fn areas_page(st: &AppState, a: &Admin, message: Json, status: StatusCode) -> Response {
    let level = a.page.param("level").map(str::to_string);
    let l = level.clone();
    let data = on_store(st, a, move |s| {
        let levels = s.levels()?;
        let items = match &l {
            Some(l) => s.items(l)?,
            None => Vec::new(),
        };
        Ok((levels, items, s.period_level_names()?))
    })
    .await;
    let (levels, mut items, period_names) = match data {
        Ok(d) => d,
        Err(r) => return r,
    };
    let q = a.page.param("q").map(str::to_string);
    if let Some(n) = q.as_deref().map(fold) {
        items.retain(|i| {
            fold(&i.code).contains(&n)
                || fold(&i.name).contains(&n)
                || fold(&i.short_name).contains(&n)
        });
    }
    let (page, pages, range) = paging(a, items.len());
    let rows: Vec<Json> = items[range]
        .iter()
        .map(|i| json!({"code": i.code, "seg": seg(&i.code), "short_name": i.short_name, "name": i.name}))
        .collect();
    let levels: Vec<Json> = levels
        .iter()
        .map(|(l, n)| json!({"code": l.code, "seg": seg(&l.code), "name": l.name, "items": n}))
        .collect();
    // The period levels' names in the test copy, each language with Peil's own as a hint.
    let period_levels: Vec<Json> = PeriodLevel::ALL
        .iter()
        .map(|&pl| {
            let names: Vec<Json> = Locale::ALL
                .iter()
                .map(|&l| json!({"lang": l.code(), "name": period_names.name(pl, l), "default": pl.name(l)}))
                .collect();
            json!({"code": pl.code(), "names": names})
        })
        .collect();
    let query = query_of(&[("level", level.as_deref()), ("q", q.as_deref())]);
    let mut r = a.render(
        "admin_areas.html",
        "admin_areas",
        json!({"levels": levels, "period_levels": period_levels, "level": level, "level_seg": level.as_deref().map(seg), "rows": rows, "total": items.len(), "page": page,
               "pages": pages, "query": query, "q": q, "message": message}),
    );
    *r.status_mut() = status;
    r
}

/// Renames a geo level.
pub(super) async fn rename_level(
    State(st): State<AppState>,
    Path(level): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = form(&body);
    rename_area(&st, a, level, None, "", value(&f, "name").to_string()).await
}

/// Renames an area (short name and name).
pub(super) async fn rename_item(
    State(st): State<AppState>,
    Path((level, code)): Path<(String, String)>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = form(&body);
    let short = value(&f, "short_name").to_string();
    rename_area(
        &st,
        a,
        level,
        Some(code),
        &short,
        value(&f, "name").to_string(),
    )
    .await
}

async fn rename_area(
    st: &AppState,
    a: Admin,
    level: String,
    item: Option<String>,
    short: &str,
    name: String,
) -> Response {
    if name.trim().is_empty() || (item.is_some() && short.trim().is_empty()) {
        let m = json!({"text": a.page.word("admin_rename_empty"), "ok": false});
        return areas_page(st, &a, m, StatusCode::BAD_REQUEST).await;
    }
    let (login, l, i, s, n) = (
        who(&a),
        level.clone(),
        item.clone(),
        short.to_string(),
        name.clone(),
    );
    let before = match on_store_mut(st, &a, move |store| {
        peil_import::edit::rename_area(store, &login, &l, i.as_deref(), &s, &n)
    })
    .await
    {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some((old_short, old_name)) = before else {
        return no_store(a.page.refused(StatusCode::NOT_FOUND, "admin_not_found"));
    };
    let detail = match &item {
        Some(code) => json!({"level": level, "area": code,
            "short_name": [old_short, short.trim()], "name": [old_name, name.trim()]}),
        None => json!({"level": level, "name": [old_name, name.trim()]}),
    };
    a.audit(
        st,
        if item.is_some() {
            "area.rename"
        } else {
            "level.rename"
        },
        detail,
    )
    .await;
    let m = json!({"text": a.page.word("admin_saved_test_copy"), "ok": true});
    areas_page(st, &a, m, StatusCode::OK).await
}

/// Names a period level for readers in nl, en and fr (the test copy; its code stays).
pub(super) async fn rename_period_level(
    State(st): State<AppState>,
    Path(level): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let Some(pl) = PeriodLevel::ALL.into_iter().find(|l| l.code() == level) else {
        return no_store(a.page.refused(StatusCode::NOT_FOUND, "admin_not_found"));
    };
    let f = form(&body);
    let names: Vec<(Locale, String)> = Locale::ALL
        .iter()
        .map(|&l| (l, value(&f, &format!("name_{}", l.code())).to_string()))
        .collect();
    if names.iter().any(|(_, n)| n.chars().count() > 200) {
        let m = json!({"text": a.page.word("admin_rename_empty"), "ok": false});
        return areas_page(&st, &a, m, StatusCode::BAD_REQUEST).await;
    }
    let login = who(&a);
    let done = match on_store_mut(&st, &a, move |s| {
        peil_import::edit::rename_period_level(s, &login, pl, &names)
    })
    .await
    {
        Ok(d) => d,
        Err(r) => return r,
    };
    let Some((before, after)) = done else {
        let m = json!({"text": a.page.word("admin_no_change"), "ok": true});
        return areas_page(&st, &a, m, StatusCode::OK).await;
    };
    a.audit(
        &st,
        "period_level.rename",
        json!({"level": pl.code(), "before": before, "after": after}),
    )
    .await;
    let m = json!({"text": a.page.word("admin_saved_test_copy"), "ok": true});
    areas_page(&st, &a, m, StatusCode::OK).await
}
