//! `/api/v1/hashes`: per indicator the reader may see, a content hash of what the API publishes
//! of it — the metadata the indicator's page shows and every value the reader is granted, on
//! every level, period and cube cell. Another Peil site pulling from this one (`peil pull`)
//! compares these with the hashes it kept and fetches only the indicators that changed.

use super::{ApiResult, Ctx, Req, json_response};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// Version of what the hash covers: a pulling site treats a different version as a change.
pub const HASH_VERSION: &str = "peil-content-1";

pub async fn handler(State(st): State<AppState>, req: Req) -> ApiResult<Response> {
    req.check(&["indicator"])?;
    let ctx = Ctx::new(&st, &req)?;
    let only: Option<Vec<String>> = req.list("indicator");
    let x = ctx.extras().await;
    let idx = ctx.idx();
    let mut out = Vec::new();
    for &i in idx.public.iter() {
        let ind = ctx.ind(i);
        if only.as_ref().is_some_and(|o| !o.contains(&ind.code)) {
            continue;
        }
        out.push(json!({
            "code": ind.code,
            "source": ind.source,
            "themes": ind.themes,
            "hash": content_hash(&ctx, i),
            "public": ctx.snap.is_public(&ind.code),
        }));
    }
    let themes: Vec<Json> = super::catalog::visible_themes(&ctx, &x.themes)
        .iter()
        .map(|t| json!({ "code": t.code, "parent": t.parent }))
        .collect();
    Ok(json_response(
        &json!({
            "generation": ctx.snap.generation,
            "version": HASH_VERSION,
            "indicators": out,
            "themes": themes,
        }),
        super::formats::JSON_MEDIA,
    ))
}

/// The metadata that travels with a pulled indicator, as this reader may see it.
fn metadata(ctx: &Ctx, i: u32) -> Json {
    let ind = ctx.ind(i);
    json!({
        "name": ind.name,
        "description": ind.description,
        "more_info": ind.more_info,
        "footnote": ind.footnote,
        "unit": ind.unit,
        "source": ind.source,
        "data_type": ind.data_type.code(),
        "period_type": ind.period_type.code(),
        "decimals": ind.decimals,
        "rounding": ind.rounding,
        "aggregation_indicator": ctx.public_ref(ind.aggregation_indicator.as_deref()),
        "non_aggregable_periods": ind.non_aggregable_periods,
        "threshold": ind.threshold,
        "threshold_indicator": ctx.public_ref(ind.threshold_indicator.as_deref()),
        "formula": ctx.snap.formula_visible_to(ind, &ctx.reader).then_some(&ind.formula),
        "themes": ind.themes,
        "status": ind.status.code(),
        "public": ctx.snap.is_public(&ind.code),
        "provisional": ind.provisional_period.map(|p| p.code()),
        "forecast": ind.forecast_period.map(|p| p.code()),
        "dim_levels": ind.dim_levels,
    })
}

fn content_hash(ctx: &Ctx, i: u32) -> String {
    let mut h = Sha256::new();
    h.update(HASH_VERSION.as_bytes());
    h.update(metadata(ctx, i).to_string().as_bytes());
    for (l, level) in ctx.snap.levels.iter().enumerate() {
        for (p, d) in ctx.snap.keys_of(i, l, &ctx.reader) {
            let Some(slots) = ctx.snap.slots(i, l, p, d, &ctx.reader) else {
                continue;
            };
            h.update(b"\x1e");
            h.update(level.level.code.as_bytes());
            h.update(b"\x1f");
            h.update(p.code().as_bytes());
            h.update(b"\x1f");
            for (lvl, m) in &ctx.snap.dims[d as usize].0 {
                h.update(lvl.as_bytes());
                h.update(b"=");
                h.update(m.as_bytes());
                h.update(b";");
            }
            for (pos, s) in slots.iter().enumerate() {
                if s.is_none() {
                    continue;
                }
                let Some((_, it)) = level.items.get(pos) else {
                    continue;
                };
                h.update(b"\x1f");
                h.update(it.code.as_bytes());
                h.update(b"=");
                match s.to_value() {
                    peil_core::Value::Number(n) => h.update(n.to_bits().to_le_bytes()),
                    peil_core::Value::Missing(c) => h.update(c.symbol().as_bytes()),
                }
            }
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
