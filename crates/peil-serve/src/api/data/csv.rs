//! The CSV answer (with its CSVW description), written straight into one buffer.

use super::*;

/// `names`: the indicator's name and unit and the area's name on every row (else codes only).
pub(super) fn write_csv(ctx: &Ctx, req: &Req, a: &Answer, names: bool) -> Response {
    use crate::fragments::{push_csv_field, push_csv_text, push_number};
    let t = data_table(ctx, a, false, names);
    let lvl = &ctx.snap.levels[a.level].level;
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(a.rows.len() * 64));
    let _ = w.write_record(t.columns.iter().map(|c| c.title.as_str()));
    let head = w.into_inner().unwrap_or_default();
    let mut out = String::from_utf8(head).unwrap_or_default();
    out.reserve(a.rows.len() * 96);
    // What repeats is written once: per indicator `code,name,unit,level,`, per item
    // `code,name` (from the publication's fragments), per period its code.
    let frags = ctx.entry.fragments(&ctx.snap);
    let lf = &frags.levels[a.level];
    let prefix: Vec<String> = a
        .inds
        .iter()
        .map(|&i| {
            let ind = ctx.ind(i);
            let mut b = String::new();
            let name = ctx.text(&ind.name);
            let fields: &[&str] = if names {
                &[ind.code.as_str(), &name, &ind.unit, &lvl.code]
            } else {
                &[ind.code.as_str(), &lvl.code]
            };
            for (k, f) in fields.iter().enumerate() {
                if k > 0 {
                    b.push(',');
                }
                push_csv_text(&mut b, f);
            }
            b.push(',');
            b
        })
        .collect();
    let item_csv: Vec<std::borrow::Cow<'_, str>> = a
        .items
        .iter()
        .map(|it| match (it.pos, names) {
            (Some(pos), true) => std::borrow::Cow::Borrowed(&*lf.csv[pos]),
            (_, false) => {
                let mut b = String::new();
                push_csv_text(&mut b, &it.code);
                std::borrow::Cow::Owned(b)
            }
            (None, true) => {
                let mut b = String::new();
                push_csv_text(&mut b, &it.code);
                b.push(',');
                push_csv_text(&mut b, &it.name);
                std::borrow::Cow::Owned(b)
            }
        })
        .collect();
    let periods: Vec<String> = a.periods.iter().map(|p| p.code()).collect();
    let survey = a.survey.iter().any(|s| *s);
    for r in &a.rows {
        let key = &a.keys[r.key as usize];
        let (v, s) = value_parts(r.value);
        out.push_str(&prefix[r.ind as usize]);
        out.push_str(&item_csv[r.item as usize]);
        out.push(',');
        push_csv_field(&mut out, &periods[r.period as usize]);
        for l in &a.dim_levels {
            out.push(',');
            if let Some((_, m)) = key.0.iter().find(|(x, _)| x == l) {
                push_csv_text(&mut out, m);
            }
        }
        out.push(',');
        if let Some(x) = v {
            push_number(&mut out, x);
        }
        out.push(',');
        out.push_str(s.unwrap_or(""));
        out.push(',');
        out.push_str(r.flag.unwrap_or(""));
        if survey {
            for x in survey_columns(ctx, a, r) {
                out.push(',');
                push_csv_text(&mut out, &x);
            }
        }
        out.push_str("\r\n");
    }
    let body = out.into_bytes();
    let mut r = (
        [(header::CONTENT_TYPE, crate::api::formats::CSV_MEDIA)],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "<{}>; rel=\"describedby\"; type=\"{}\"",
        req.url_with(&[("format", Some("csvw"))]),
        crate::api::formats::CSVW_MEDIA
    )) {
        r.headers_mut().append(header::LINK, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"{}.csv\"",
        t.file.replace('"', "_")
    )) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    vary(&mut r);
    r
}
