//! Access groups in the browser (administrators): what each group may see of restricted
//! indicators — by code, theme subtree or source — on which geo levels, dimension levels and
//! periods, and who uses it. The same checks as `peil groups` (`AccessGroup::from_input`,
//! `Store::check_group_codes`, `Store::remove_unused_access_group`); a running server compiles
//! a change within one poll of the access revision, without a publication.

use super::Admin;
use super::login::{field, fields};
use super::pages::on_store;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use peil_core::AccessGroup;
use serde_json::{Value as Json, json};

/// A comma- or newline-separated list as typed in a form field.
fn list(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .collect()
}

pub(super) async fn groups(State(st): State<AppState>, a: Admin) -> Response {
    page(&st, &a, StatusCode::OK, json!(null), None).await
}

/// The page: every group with its form, who uses it, and the form to add one. `form` keeps
/// what was typed into a refused form (its group name, or "" for the new-group form).
async fn page(
    st: &AppState,
    a: &Admin,
    status: StatusCode,
    message: Json,
    form: Option<(String, Json)>,
) -> Response {
    let data = on_store(st, a, |s| {
        let groups = s
            .access_groups()?
            .into_iter()
            .map(|g| {
                let members = s.group_members(&g.name)?;
                Ok((g, members))
            })
            .collect::<peil_store::Result<Vec<_>>>()?;
        let catalog = s.catalog()?;
        let themes = s.themes()?;
        Ok((groups, catalog, themes))
    })
    .await;
    let (groups, catalog, themes) = match data {
        Ok(d) => d,
        Err(r) => return r,
    };
    let typed = |name: &str| {
        form.as_ref()
            .filter(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
    };
    let rows: Vec<Json> = groups
        .iter()
        .map(|(g, (members, key_names))| {
            let refused = typed(&g.name);
            let open = refused.is_some();
            let fields = refused.unwrap_or_else(|| form_of(g));
            json!({"name": g.name, "f": fields, "open": open, "users": members, "keys": key_names})
        })
        .collect();
    let mut levels: Vec<&String> = catalog.levels.keys().collect();
    levels.sort_unstable();
    let mut dim_levels: Vec<&String> = catalog.dim_members.keys().collect();
    dim_levels.sort_unstable();
    let theme_codes: Vec<&str> = themes.iter().map(|t| t.code.as_str()).collect();
    let mut r = a.render(
        "admin_groups.html",
        "admin_groups",
        json!({
            "groups": rows,
            "message": message,
            "new": typed("").unwrap_or(json!({})),
            "known": {"levels": levels, "dim_levels": dim_levels, "themes": theme_codes},
            "guest": peil_core::GUEST,
        }),
    );
    *r.status_mut() = status;
    r
}

/// A group's fields as the form shows them.
fn form_of(g: &AccessGroup) -> Json {
    json!({
        "name": g.name,
        "description": g.description,
        "indicators": g.indicators.join(", "),
        "themes": g.themes.join(", "),
        "sources": g.sources.join("\n"),
        "levels": g.levels.join(", "),
        "dim_levels": g.dim_levels.join(", "),
        "periods": g.periods.map(|(a, b)| format!("{a}:{b}")).unwrap_or_default(),
    })
}

/// Adds or replaces a group (`original` is the name it had; empty for a new group).
pub(super) async fn save(State(st): State<AppState>, a: Admin, body: Bytes) -> Response {
    let f = fields(&body);
    let original = field(&f, "original").trim().to_string();
    let typed = json!({
        "name": field(&f, "name"),
        "description": field(&f, "description"),
        "indicators": field(&f, "indicators"),
        "themes": field(&f, "themes"),
        "sources": field(&f, "sources"),
        "levels": field(&f, "levels"),
        "dim_levels": field(&f, "dim_levels"),
        "periods": field(&f, "periods"),
    });
    // Sources are free text and may hold commas: one per line.
    let sources: Vec<String> = field(&f, "sources")
        .lines()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let group = AccessGroup::from_input(
        field(&f, "name"),
        field(&f, "description"),
        list(field(&f, "indicators")),
        list(field(&f, "themes")),
        sources,
        list(field(&f, "levels")),
        list(field(&f, "dim_levels")),
        Some(field(&f, "periods")),
    );
    let group = match group {
        Ok(g) if !original.is_empty() && g.name != original => {
            let m = json!({"text": a.page.word("admin_group_rename"), "ok": false});
            return page(&st, &a, StatusCode::BAD_REQUEST, m, Some((original, typed))).await;
        }
        Ok(g) => g,
        Err(e) => {
            let m = json!({"text": e, "ok": false});
            return page(&st, &a, StatusCode::BAD_REQUEST, m, Some((original, typed))).await;
        }
    };
    let is_new = original.is_empty();
    let g = group.clone();
    let saved = st
        .with_store(move |s| {
            if is_new && s.access_group(&g.name)?.is_some() {
                return Err(peil_store::StoreError::Invalid(format!(
                    "a group '{}' exists already: change it in its own form",
                    g.name
                )));
            }
            s.check_group_codes(&g)?;
            s.put_access_group(&g)
        })
        .await;
    match saved {
        Ok(_) => {
            let action = if is_new {
                "group created"
            } else {
                "group changed"
            };
            a.audit(&st, action, json!({"group": group})).await;
            let word = if is_new {
                "admin_group_added"
            } else {
                "admin_group_saved"
            };
            let m = json!({"text": a.page.word(word), "ok": true});
            page(&st, &a, StatusCode::OK, m, None).await
        }
        Err(e) => {
            let m = json!({"text": e.to_string(), "ok": false});
            page(&st, &a, StatusCode::BAD_REQUEST, m, Some((original, typed))).await
        }
    }
}

/// Removes a group that nobody uses any more.
pub(super) async fn remove(
    State(st): State<AppState>,
    Path(name): Path<String>,
    a: Admin,
) -> Response {
    let n = name.clone();
    let removed = st
        .with_store(move |s| s.remove_unused_access_group(&n))
        .await;
    match removed {
        Ok(true) => {
            a.audit(&st, "group removed", json!({"group": name})).await;
            let m = json!({"text": a.page.word("admin_group_removed"), "ok": true});
            page(&st, &a, StatusCode::OK, m, None).await
        }
        Ok(false) => {
            let m = json!({"text": a.page.word("admin_no_group"), "ok": false});
            page(&st, &a, StatusCode::NOT_FOUND, m, None).await
        }
        Err(e) => {
            let m = json!({"text": e.to_string(), "ok": false});
            page(&st, &a, StatusCode::BAD_REQUEST, m, None).await
        }
    }
}
