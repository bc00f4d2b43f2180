//! The theme tree (themaboom) edited as one page: the whole tree as nested lists, indicators
//! under their themes, and beside each node the small forms of its edits (rename, move under
//! another theme, up and down among its siblings, delete when empty; for an indicator: move,
//! also list in another theme, remove from this one). Every edit is a POST with the session's
//! CSRF token that answers with a redirect to the node it changed, so the page works without
//! JavaScript and the keyboard's focus returns to that node; `peil.js` adds drag and drop,
//! which fills in and submits the same forms. The edits are `peil-store`'s (`themes.rs`),
//! land in the test copy, are audited, and reach readers with the next publication.

use super::login::{field, fields};
use super::{Admin, no_store};
use crate::AppState;
use crate::api::seg;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use peil_core::Theme;
use peil_store::{Placement, StoreError};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

/// The page, with a message when an edit was refused.
async fn page(st: &AppState, a: &Admin, status: StatusCode, message: Json) -> Response {
    let found = super::pages::on_store(st, a, |s| Ok((s.themes()?, s.placements()?))).await;
    let (themes, placements) = match found {
        Ok(t) => t,
        Err(r) => return r,
    };
    let message = match (&message, a.page.param("done")) {
        (Json::Null, Some(_)) => json!({"text": a.page.word("admin_theme_saved"), "ok": true}),
        _ => message,
    };
    let tree = Tree::new(&themes, &placements, &a.page.lang);
    let mut r = a.render(
        "admin_themes.html",
        "admin_themes",
        json!({"tree": tree.nodes(None, 0), "unplaced": tree.unplaced(),
               "choices": tree.choices(), "message": message}),
    );
    *r.status_mut() = status;
    r
}

pub(super) async fn tree(State(st): State<AppState>, a: Admin) -> Response {
    page(&st, &a, StatusCode::OK, Json::Null).await
}

/// The tree as the template walks it.
struct Tree<'a> {
    themes: &'a [Theme],
    children: HashMap<Option<&'a str>, Vec<&'a Theme>>,
    /// Theme → its indicators (code, name, number of themes it is in).
    listed: HashMap<&'a str, Vec<(&'a str, &'a str, usize)>>,
    placements: &'a [Placement],
    lang: &'a str,
}

impl<'a> Tree<'a> {
    fn new(themes: &'a [Theme], placements: &'a [Placement], lang: &'a str) -> Tree<'a> {
        let known: std::collections::HashSet<&str> =
            themes.iter().map(|t| t.code.as_str()).collect();
        let mut children: HashMap<Option<&str>, Vec<&Theme>> = HashMap::new();
        for t in themes {
            // A parent that is not a theme puts its children at the top, where they can be
            // seen and moved.
            let parent = t.parent.as_deref().filter(|p| known.contains(p));
            children.entry(parent).or_default().push(t);
        }
        let mut listed: HashMap<&str, Vec<(&str, &str, usize)>> = HashMap::new();
        for p in placements {
            let name = p.name.get(lang).unwrap_or(&p.code);
            for t in &p.themes {
                listed
                    .entry(t.as_str())
                    .or_default()
                    .push((&p.code, name, p.themes.len()));
            }
        }
        Tree {
            themes,
            children,
            listed,
            placements,
            lang,
        }
    }

    fn name(&self, t: &'a Theme) -> &'a str {
        t.name.get(self.lang).unwrap_or(&t.code)
    }

    /// The themes under `parent` with everything beneath them.
    fn nodes(&self, parent: Option<&'a str>, depth: usize) -> Vec<Json> {
        let Some(list) = self.children.get(&parent) else {
            return Vec::new();
        };
        let n = list.len();
        list.iter()
            .copied()
            .enumerate()
            .map(|(k, t): (usize, &'a Theme)| {
                let indicators: Vec<Json> = self
                    .listed
                    .get(t.code.as_str())
                    .map(|l| {
                        l.iter()
                            .map(|(code, name, places)| {
                                json!({"code": code, "seg": seg(code), "name": name, "aliased": *places > 1})
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let children = if depth < 64 {
                    self.nodes(Some(t.code.as_str()), depth + 1)
                } else {
                    Vec::new()
                };
                json!({"code": t.code, "seg": seg(&t.code), "name": self.name(t), "parent": t.parent,
                       "first": k == 0, "last": k + 1 == n,
                       "empty": children.is_empty() && indicators.is_empty(),
                       "children": children, "indicators": indicators})
            })
            .collect()
    }

    /// Indicators in no theme.
    fn unplaced(&self) -> Vec<Json> {
        self.placements
            .iter()
            .filter(|p| p.themes.is_empty())
            .map(|p| json!({"code": p.code, "seg": seg(&p.code), "name": p.name.get(self.lang).unwrap_or(&p.code)}))
            .collect()
    }

    /// Every theme as a choice of the forms' lists: code and its path of names.
    fn choices(&self) -> Vec<Json> {
        let by_code: HashMap<&str, &'a Theme> =
            self.themes.iter().map(|t| (t.code.as_str(), t)).collect();
        self.themes
            .iter()
            .map(|t| {
                let mut path = vec![self.name(t)];
                let mut at = t.parent.as_deref();
                while let Some(&p) = at.and_then(|p| by_code.get(p)) {
                    if path.len() > 64 {
                        break;
                    }
                    path.push(self.name(p));
                    at = p.parent.as_deref();
                }
                path.reverse();
                json!({"code": t.code, "path": path.join(" › ")})
            })
            .collect()
    }
}

/// The answer to an edit: back to the node (`anchor`) when it was made, else the page with
/// the refusal.
async fn answer(
    st: &AppState,
    a: &Admin,
    done: peil_store::Result<()>,
    action: &'static str,
    detail: Json,
    anchor: &str,
) -> Response {
    match done {
        Ok(()) => {
            a.audit(st, action, detail).await;
            let fragment = percent_encoding::utf8_percent_encode(anchor, FRAGMENT);
            let to = format!("{}?done=1#{fragment}", a.page.href("/admin/themes"));
            no_store(Redirect::to(&to).into_response())
        }
        Err(StoreError::Invalid(why)) => {
            let mut detail = detail;
            if let Json::Object(d) = &mut detail {
                d.insert("refused".into(), json!(why));
            }
            a.audit(st, action, detail).await;
            page(
                st,
                a,
                StatusCode::CONFLICT,
                json!({"text": why, "ok": false}),
            )
            .await
        }
        Err(e) => {
            tracing::error!(target: crate::log::SERVER, event = "theme edit failed", error = e.to_string().as_str());
            page(
                st,
                a,
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"text": e.to_string(), "ok": false}),
            )
            .await
        }
    }
}

/// What a URL's fragment escapes (as the URL standard's fragment set, and `%` and `#`).
const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'%');

/// The anchor of a theme's node.
fn node(code: &str) -> String {
    format!("t-{code}")
}

/// A form's theme: empty is none (the top of the tree).
fn theme_field(f: &[(String, String)], name: &str) -> Option<String> {
    Some(field(f, name).trim().to_string()).filter(|s| !s.is_empty())
}

pub(super) async fn add(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let (code, name) = (
        field(&f, "code").trim().to_string(),
        field(&f, "name").to_string(),
    );
    let parent = theme_field(&f, "parent");
    let lang = a.page.lang.clone();
    let (c, p, n) = (code.clone(), parent.clone(), name.clone());
    let done = st
        .with_store_mut(move |s| s.add_theme(&c, p.as_deref(), &lang, &n))
        .await;
    let detail = json!({"theme": code, "parent": parent, "name": name});
    answer(&st, &a, done, "theme.add", detail, &node(&code)).await
}

pub(super) async fn rename(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let name = field(&f, "name").to_string();
    let lang = a.page.lang.clone();
    let (c, n, l) = (code.clone(), name.clone(), lang.clone());
    let done = st.with_store_mut(move |s| s.rename_theme(&c, &l, &n)).await;
    let detail = json!({"theme": code, "name": name, "lang": lang});
    answer(&st, &a, done, "theme.rename", detail, &node(&code)).await
}

pub(super) async fn move_theme(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let parent = theme_field(&f, "parent");
    let (c, p) = (code.clone(), parent.clone());
    let done = st
        .with_store_mut(move |s| s.move_theme(&c, p.as_deref()))
        .await;
    let detail = json!({"theme": code, "parent": parent});
    answer(&st, &a, done, "theme.move", detail, &node(&code)).await
}

pub(super) async fn order(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let up = match field(&f, "direction") {
        "up" => true,
        "down" => false,
        other => {
            let m = json!({"text": format!("unknown direction '{other}': expected up or down"), "ok": false});
            return page(&st, &a, StatusCode::BAD_REQUEST, m).await;
        }
    };
    let c = code.clone();
    let done = st.with_store_mut(move |s| s.order_theme(&c, up)).await;
    let detail = json!({"theme": code, "direction": if up { "up" } else { "down" }});
    answer(&st, &a, done, "theme.order", detail, &node(&code)).await
}

pub(super) async fn delete(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
) -> Response {
    let c = code.clone();
    let parent = st
        .with_store(move |s| {
            Ok(s.themes()?
                .into_iter()
                .find(|t| t.code == c)
                .and_then(|t| t.parent))
        })
        .await
        .ok()
        .flatten();
    let c = code.clone();
    let done = st.with_store_mut(move |s| s.delete_theme(&c)).await;
    // Back to where the theme was: its parent, or the top.
    let anchor = parent.as_deref().map(node).unwrap_or_else(|| "tree".into());
    answer(
        &st,
        &a,
        done,
        "theme.delete",
        json!({"theme": code}),
        &anchor,
    )
    .await
}

/// Moves an indicator (`from` a theme `to` another) or lists it in one more (`to` alone).
pub(super) async fn place(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let (from, to) = (theme_field(&f, "from"), theme_field(&f, "to"));
    let Some(to) = to else {
        let m = json!({"text": "choose the theme to list the indicator in", "ok": false});
        return page(&st, &a, StatusCode::BAD_REQUEST, m).await;
    };
    let (c, fr, t) = (code.clone(), from.clone(), to.clone());
    let done = st
        .with_store_mut(move |s| s.place_indicator(&c, fr.as_deref(), &t))
        .await;
    let (action, detail) = match &from {
        Some(f) => (
            "indicator.move",
            json!({"indicator": code, "from": f, "to": to}),
        ),
        None => ("indicator.alias", json!({"indicator": code, "to": to})),
    };
    let anchor = format!("i-{to}-{code}");
    answer(&st, &a, done, action, detail, &anchor).await
}

/// Takes an indicator out of one of its themes.
pub(super) async fn unplace(
    State(st): State<AppState>,
    Path(code): Path<String>,
    a: Admin,
    body: Bytes,
) -> Response {
    let f = fields(&body);
    let theme = field(&f, "theme").to_string();
    let (c, t) = (code.clone(), theme.clone());
    let done = st
        .with_store_mut(move |s| s.unplace_indicator(&c, &t))
        .await;
    let detail = json!({"indicator": code, "theme": theme});
    answer(&st, &a, done, "indicator.unlist", detail, &node(&theme)).await
}
