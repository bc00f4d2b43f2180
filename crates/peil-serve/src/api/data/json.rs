//! The native JSON answer, written straight into one buffer from the publication's fragments.

use super::*;

pub(super) fn write_json(ctx: &Ctx, req: &Req, a: &Answer) -> Response {
    use crate::fragments::{push_json_str, push_number};
    let lvl = &ctx.snap.levels[a.level].level;
    let frags = ctx.entry.fragments(&ctx.snap);
    let lf = &frags.levels[a.level];
    // The head's members in serde_json's (sorted) order, with `items` written from the
    // publication's fragments between the two halves.
    let before = json!({
        "cells": a.rows.len(),
        "dim_levels": a.dim_levels,
        "generation": ctx.snap.generation,
        "indicators": a.inds.iter().map(|&i| indicator_meta(ctx, i)).collect::<Vec<_>>(),
    });
    let after = json!({
        "level": { "code": lvl.code, "name": lvl.name },
        "links": links(req),
        "periods": a.periods.iter().map(|p| json!({
            "code": p.code(),
            "level": p.level.code(),
            "name": period_name(*p, &ctx.lang),
        })).collect::<Vec<_>>(),
        "query": {
            "indicator": a.inds.iter().map(|&i| ctx.code(i)).collect::<Vec<_>>(),
            "level": lvl.code,
            "items": req.list("items"),
            "selection": a.selection,
            "period": req.list("period").unwrap_or_else(|| vec!["all".into()]),
            "periodlevel": req.one("periodlevel").ok().flatten(),
            "dims": req.list("dims").unwrap_or_else(|| vec!["total".into()]),
        },
    });
    let inner = |v: &Json| {
        let t = v.to_string();
        t[1..t.len() - 1].to_string()
    };
    // Item code literals (from the fragments, or escaped here for a selection).
    let item_s: Vec<std::borrow::Cow<'_, str>> = a
        .items
        .iter()
        .map(|it| match it.pos {
            Some(pos) => std::borrow::Cow::Borrowed(&*lf.code[pos]),
            None => {
                let mut b = String::new();
                push_json_str(&mut b, &it.code);
                std::borrow::Cow::Owned(b)
            }
        })
        .collect();
    let mut out = String::with_capacity(256 + a.items.len() * 64 + a.rows.len() * 120);
    out.push('{');
    out.push_str(&inner(&before));
    out.push_str(",\"items\":[");
    for (n, it) in a.items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"code\":");
        out.push_str(&item_s[n]);
        out.push_str(",\"name\":");
        match it.pos {
            Some(pos) => out.push_str(&lf.name[pos]),
            None => push_json_str(&mut out, &it.name),
        }
        out.push_str(",\"selection\":");
        out.push_str(if it.pos.is_none() { "true}" } else { "false}" });
    }
    out.push_str("],");
    out.push_str(&inner(&after));
    out.push_str(",\"data\":[");
    let ind_s: Vec<String> = a
        .inds
        .iter()
        .map(|&i| json!(ctx.code(i)).to_string())
        .collect();
    let per_s: Vec<String> = a
        .periods
        .iter()
        .map(|p| json!(p.code()).to_string())
        .collect();
    let key_s: Vec<String> = a.keys.iter().map(|k| dims_object(k).to_string()).collect();
    for (n, r) in a.rows.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let (v, s) = value_parts(r.value);
        out.push_str("{\"indicator\":");
        out.push_str(&ind_s[r.ind as usize]);
        out.push_str(",\"item\":");
        out.push_str(&item_s[r.item as usize]);
        out.push_str(",\"period\":");
        out.push_str(&per_s[r.period as usize]);
        out.push_str(",\"dims\":");
        out.push_str(&key_s[r.key as usize]);
        out.push_str(",\"value\":");
        match v {
            Some(x) => push_number(&mut out, x),
            None => out.push_str("null"),
        }
        out.push_str(",\"status\":");
        match s {
            Some(sym) => push_json_str(&mut out, sym),
            None => out.push_str("null"),
        }
        out.push_str(",\"flag\":");
        match r.flag {
            Some(f) => push_json_str(&mut out, f),
            None => out.push_str("null"),
        }
        if a.survey[r.ind as usize] {
            for (k, v) in survey_fields(ctx, r.survey.as_ref()) {
                out.push_str(",\"");
                out.push_str(k);
                out.push_str("\":");
                out.push_str(&v.to_string());
            }
        }
        out.push('}');
    }
    out.push_str("]}");
    let mut r = (
        [(header::CONTENT_TYPE, crate::api::formats::JSON_MEDIA)],
        out,
    )
        .into_response();
    vary(&mut r);
    r
}
