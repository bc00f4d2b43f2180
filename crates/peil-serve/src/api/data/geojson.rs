//! The GeoJSON answer: one feature per area with its values.

use super::*;

/// GeoJSON: the areas with their geometry and the value of one indicator for one period.
pub(super) async fn write_geojson(
    ctx: &Ctx,
    req: &Req,
    a: &Answer<'_>,
    full: bool,
) -> ApiResult<Response> {
    let lvl = &ctx.snap.levels[a.level];
    let geo = ctx.geometry().await;
    let shapes = geo.get(&lvl.level.code);
    // One feature per area; a map of one indicator for one period has `value`, `status` and
    // `flag` on every feature, and every answer lists the area's cells under `data`.
    let single = a.inds.len() == 1 && a.periods.len() == 1 && a.keys.len() == 1;
    let head = json!({
        "type": "FeatureCollection",
        "indicators": a.inds.iter().map(|&i| indicator_meta(ctx, i)).collect::<Vec<_>>(),
        "level": { "code": lvl.level.code, "name": lvl.level.name },
        "periods": a.periods.iter().map(|p| p.code()).collect::<Vec<_>>(),
        "generation": ctx.snap.generation,
        "links": links(req),
    });
    let mut out = head.to_string();
    out.pop();
    out.push_str(",\"features\":[");
    let key_s: Vec<Json> = a.keys.iter().map(dims_object).collect();
    for (k, it) in a.items.iter().enumerate() {
        let cells: Vec<&Row> = a.rows.iter().filter(|r| r.item as usize == k).collect();
        if k > 0 {
            out.push(',');
        }
        let g = it
            .pos
            .and_then(|p| shapes.and_then(|s| s.get(&lvl.items[p].1.code)))
            .map(|(w, f)| if full { f.clone() } else { w.clone() });
        let data: Vec<Json> = cells
            .iter()
            .map(|r| {
                let (v, s) = value_parts(r.value);
                let mut d = json!({
                    "indicator": ctx.code(a.inds[r.ind as usize]),
                    "period": a.periods[r.period as usize].code(),
                    "dims": key_s[r.key as usize],
                    "value": jnum(v),
                    "status": s,
                    "flag": r.flag,
                });
                if a.survey[r.ind as usize] {
                    for (k, x) in survey_fields(ctx, r.survey.as_ref()) {
                        d[k] = x;
                    }
                }
                d
            })
            .collect();
        let mut props = json!({
            "code": it.code,
            "name": it.name,
            "selection": it.pos.is_none(),
        });
        if let (true, [r]) = (single, cells.as_slice()) {
            let (v, s) = value_parts(r.value);
            props["indicator"] = json!(ctx.code(a.inds[0]));
            props["period"] = json!(a.periods[0].code());
            props["value"] = jnum(v);
            props["status"] = json!(s);
            props["flag"] = json!(r.flag);
            if a.survey[0] {
                for (k, x) in survey_fields(ctx, r.survey.as_ref()) {
                    props[k] = x;
                }
            }
        }
        props["data"] = json!(data);
        out.push_str("{\"type\":\"Feature\",\"id\":");
        out.push_str(&json!(it.code).to_string());
        out.push_str(",\"geometry\":");
        out.push_str(g.as_deref().unwrap_or("null"));
        out.push_str(",\"properties\":");
        out.push_str(&props.to_string());
        out.push('}');
    }
    out.push_str("]}");
    let mut r = (
        [(header::CONTENT_TYPE, crate::api::formats::GEOJSON_MEDIA)],
        out,
    )
        .into_response();
    vary(&mut r);
    Ok(r)
}
