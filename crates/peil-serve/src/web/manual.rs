//! The handbook on the website: `/handleiding` (the table of contents), `/handleiding/{chapter}`
//! and `/handleiding.pdf`, in English at `/en/manual…` and in French at `/fr/manuel…` (the
//! page's language chooses the handbook; a chapter's address in another language leads to it
//! in the page's). The chapters are [`crate::manual`]'s, embedded in the binary.

use super::stories::{failed, pdf_response};
use super::{Page, PageResult};
use crate::AppState;
use crate::api::Req;
use crate::manual::{self, CHAPTERS};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

fn done(r: PageResult) -> Response {
    r.unwrap_or_else(|e| e)
}

/// The table of contents, or the whole handbook as PDF (`/handleiding.pdf`).
pub(crate) async fn index(State(st): State<AppState>, req: Req) -> Response {
    done(index_page(st, req).await)
}

pub(crate) async fn chapter(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    req: Req,
) -> Response {
    done(chapter_page(st, slug, req).await)
}

fn toc(page: &Page, current: Option<&str>) -> Vec<serde_json::Value> {
    let root = manual::root(&page.lang);
    CHAPTERS
        .iter()
        .map(|c| {
            let slug = c.slug(&page.lang);
            let text = c.text(&page.lang);
            let sections: Vec<serde_json::Value> = manual::sections(text)
                .into_iter()
                .filter(|s| !s.anchor.is_empty())
                .map(|s| {
                    json!({
                        "name": s.heading,
                        "href": page.href(&format!("/{root}/{slug}#{}", s.anchor)),
                    })
                })
                .collect();
            json!({
                "name": c.title(&page.lang),
                "href": page.href(&format!("/{root}/{slug}")),
                "current": current == Some(slug),
                "sections": sections,
            })
        })
        .collect()
}

async fn index_page(st: AppState, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let lang = manual::manual_lang(&page.lang);
    if page.path.ends_with(".pdf") {
        let site = page.site.clone();
        let bytes = tokio::task::spawn_blocking(move || {
            let md = manual::whole(lang);
            peil_story::pdf::document_pdf(
                manual::title(lang),
                &site.name,
                &md,
                &site.pdf_options(lang),
            )
        })
        .await
        .map_err(|_| failed(&page, "the PDF could not be made"))?
        .map_err(|e| failed(&page, &e.to_string()))?;
        return Ok(pdf_response(bytes, &format!("{}.pdf", manual::root(lang))));
    }
    let root = manual::root(lang);
    let title = format!("{} — {}", manual::title(lang), page.site.name);
    Ok(page.render(
        "manual.html",
        &title,
        json!({
            "heading": manual::title(lang),
            "toc": toc(&page, None),
            "index": true,
            "pdf": page.href(&format!("/{root}.pdf")),
            "doc_lang": lang,
        }),
    ))
}

async fn chapter_page(st: AppState, slug: String, req: Req) -> PageResult {
    let page = Page::new(&st, req)?;
    let lang = manual::manual_lang(&page.lang);
    let Some(c) = manual::find(&slug) else {
        return Err(page.not_found());
    };
    let root = manual::root(lang);
    if c.slug(lang) != slug {
        // The other language's address: the same chapter in this page's language.
        return Ok(axum::response::Redirect::permanent(
            &page.href(&format!("/{root}/{}", c.slug(lang))),
        )
        .into_response());
    }
    let title = format!(
        "{} — {} — {}",
        c.title(lang),
        manual::title(lang),
        page.site.name
    );
    Ok(page.render(
        "manual.html",
        &title,
        json!({
            "heading": manual::title(lang),
            "toc": toc(&page, Some(c.slug(lang))),
            "body": manual::to_html(c.text(lang), lang),
            "home": page.href(&format!("/{root}")),
            "pdf": page.href(&format!("/{root}.pdf")),
            "doc_lang": lang,
        }),
    ))
}
