//! The JSON-stat 2.0 answer.

use super::*;

/// JSON-stat 2.0: one dataset with dimensions indicator (metric), area (geo), period (time)
/// and one per cube dimension level; `value` in row-major order; `status` per cell (object
/// form: cell index → symbol) for missing cells and marked periods.
pub(super) async fn write_jsonstat(ctx: &Ctx, req: &Req, a: &Answer<'_>) -> ApiResult<Response> {
    let nl = ctx.lang == "nl";
    let lvl = &ctx.snap.levels[a.level].level;
    // Categories of each cube dimension level: "_T" (not split) when some cell lacks it.
    let total_code = "_T";
    let mut dim_cats: Vec<Vec<String>> = Vec::new();
    for l in &a.dim_levels {
        let mut members: Vec<String> = a
            .keys
            .iter()
            .filter_map(|k| k.0.iter().find(|(x, _)| x == l).map(|(_, m)| m.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        members.sort_by(|x, y| natural_cmp(x, y));
        if a.keys.iter().any(|k| !k.0.iter().any(|(x, _)| x == l)) {
            members.insert(0, total_code.to_string());
        }
        dim_cats.push(members);
    }
    let mut size: Vec<usize> = vec![a.inds.len(), a.items.len(), a.periods.len()];
    size.extend(dim_cats.iter().map(Vec::len));
    let n: usize = size.iter().fold(1usize, |acc, s| acc.saturating_mul(*s));
    let cap = crate::api::max_cells(&ctx.st);
    if n > cap {
        return Err(ApiError::of(
            "too-many-cells",
            format!("as a JSON-stat cube this query needs {n} cells and one request may ask for {cap}; ask for fewer, or use JSON or CSV (which hold only the cells that exist)"),
        )
        .with("cells", json!(n))
        .with("max_cells", json!(cap)));
    }
    // Position of each cube cell's members in the dimension categories.
    let key_pos: Vec<Vec<usize>> = a
        .keys
        .iter()
        .map(|k| {
            a.dim_levels
                .iter()
                .zip(&dim_cats)
                .map(|(l, cats)| {
                    let m =
                        k.0.iter()
                            .find(|(x, _)| x == l)
                            .map_or(total_code, |(_, m)| m.as_str());
                    cats.iter().position(|c| c == m).unwrap_or(0)
                })
                .collect()
        })
        .collect();
    let mut values: Vec<Option<f64>> = vec![None; n];
    // Each cell's status symbol, written straight into the text (`STATUS` below).
    let mut status: Vec<Option<&str>> = vec![None; n];
    let mut statuses = 0usize;
    // Survey cells, by cell index as `status` is: lower, upper, margin, significance, benchmark.
    let mut survey: [serde_json::Map<String, Json>; 5] = Default::default();
    for r in &a.rows {
        let mut idx = r.ind as usize;
        idx = idx * size[1] + r.item as usize;
        idx = idx * size[2] + r.period as usize;
        for (d, p) in key_pos[r.key as usize].iter().enumerate() {
            idx = idx * size[3 + d] + p;
        }
        let (v, s) = value_parts(r.value);
        if let Some(x) = v {
            values[idx] = Some(x);
        }
        let st = s.or(match r.flag {
            Some("provisional") => Some("p"),
            Some("forecast") => Some("f"),
            _ => None,
        });
        if let Some(st) = st {
            statuses += usize::from(status[idx].is_none());
            status[idx] = Some(st);
        }
        if a.survey[r.ind as usize]
            && let Some(c) = &r.survey
        {
            for (m, (_, v)) in survey.iter_mut().zip(survey_fields(ctx, Some(c))) {
                if !v.is_null() {
                    m.insert(idx.to_string(), v);
                }
            }
        }
    }
    let index = |codes: Vec<String>| -> Json {
        json!(
            codes
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c, json!(i)))
                .collect::<serde_json::Map<String, Json>>()
        )
    };
    let labels = |pairs: Vec<(String, String)>| -> Json {
        json!(
            pairs
                .into_iter()
                .map(|(c, l)| (c, json!(l)))
                .collect::<serde_json::Map<String, Json>>()
        )
    };
    let mut dimension = serde_json::Map::new();
    let mut unit = serde_json::Map::new();
    for &i in &a.inds {
        let ind = ctx.ind(i);
        let decimals = ind.decimals.unwrap_or(match ind.data_type {
            peil_core::DataType::Numeric | peil_core::DataType::ObjectCount => 0,
            _ => 2,
        });
        let mut u = json!({ "decimals": decimals, "label": ind.unit });
        if ind.unit == "%" {
            u["symbol"] = json!("%");
            u["position"] = json!("end");
        }
        unit.insert(ind.code.clone(), u);
    }
    dimension.insert(
        "indicator".into(),
        json!({
            "label": if nl { "onderwerp" } else { "indicator" },
            "category": {
                "index": index(a.inds.iter().map(|&i| ctx.code(i).to_string()).collect()),
                "label": labels(a.inds.iter().map(|&i| (ctx.code(i).to_string(), ctx.text(&ctx.ind(i).name))).collect()),
                "unit": unit,
            },
        }),
    );
    // The area dimension's index and labels and the values are the bulk of the answer: they
    // are written straight into the text (item literals from the publication's fragments) in
    // place of these markers. serde_json writes members in key order, so the first marker
    // strings after `"class"` are the area's (`dimension` → `area` → `category` → `index`,
    // `label`), and the values marker is the last string before `"version"` (found from the
    // end): a text in the data that happens to equal a marker cannot be taken for it.
    const AREA_INDEX: &str = "\u{0}area-index";
    const AREA_LABEL: &str = "\u{0}area-label";
    const VALUES: &str = "\u{0}values";
    // `status` is the only member between the area's and the values that holds a marker; the
    // last one before the values (found from the end, as only `updated`, a time, lies
    // between).
    const STATUS: &str = "\u{0}status";
    dimension.insert(
        "area".into(),
        json!({
            "label": lvl.name,
            "category": { "index": AREA_INDEX, "label": AREA_LABEL },
        }),
    );
    dimension.insert(
        "period".into(),
        json!({
            "label": if nl { "periode" } else { "period" },
            "category": {
                "index": index(a.periods.iter().map(|p| p.code()).collect()),
                "label": labels(a.periods.iter().map(|p| (p.code(), period_name(*p, &ctx.lang))).collect()),
            },
        }),
    );
    for (l, cats) in a.dim_levels.iter().zip(&dim_cats) {
        dimension.insert(
            l.clone(),
            json!({
                "label": l,
                "category": {
                    "index": index(cats.clone()),
                    "label": labels(cats.iter().map(|c| (c.clone(), if c == total_code {
                        (if nl { "Totaal" } else { "Total" }).to_string()
                    } else {
                        c.clone()
                    })).collect()),
                },
            }),
        );
    }
    let mut id: Vec<String> = vec!["indicator".into(), "area".into(), "period".into()];
    id.extend(a.dim_levels.iter().cloned());
    let sources: Vec<&str> = a
        .inds
        .iter()
        .map(|&i| ctx.ind(i).source.as_str())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let x = ctx.extras().await;
    let mut ds = json!({
        "version": "2.0",
        "class": "dataset",
        "label": format!(
            "{} — {}",
            a.inds.iter().map(|&i| ctx.text(&ctx.ind(i).name)).collect::<Vec<_>>().join(", "),
            lvl.name
        ),
        "source": sources.join("; "),
        "id": id,
        "size": size,
        "role": { "metric": ["indicator"], "geo": ["area"], "time": ["period"] },
        "dimension": dimension,
        "value": VALUES,
        "note": [
            "status: x = hidden (privacy rules or the source), ? = unknown, nvt = not applicable, - = empty, p = provisional, f = forecast",
        ],
        "extension": {
            "peil": {
                "generation": ctx.snap.generation,
                "level": lvl.code,
                "selection": a.selection,
                "links": links(req),
            }
        },
    });
    if statuses > 0 {
        ds["status"] = json!(STATUS);
    }
    if a.survey.iter().any(|s| *s) {
        let [lower, upper, margin, significance, benchmark] = survey;
        ds["extension"]["peil"]["survey"] = json!({
            "indicators": a.inds.iter().zip(&a.survey).filter(|(_, s)| **s)
                .map(|(&i, _)| (ctx.code(i).to_string(), survey_meta(ctx, ctx.ind(i)).unwrap_or(Json::Null)))
                .collect::<serde_json::Map<String, Json>>(),
            "lower": lower,
            "upper": upper,
            "margin": margin,
            "significance": significance,
            "benchmark": benchmark,
        });
        if let Some(notes) = ds["note"].as_array_mut() {
            notes.push(json!("survey indicators: extension.peil.survey holds each cell's confidence interval (lower, upper, margin) and its significance against the benchmark area, by cell index as status is; none where the value is missing or hidden"));
        }
    }
    if let Some(at) = &x.published_at {
        ds["updated"] = json!(at);
    }
    let text = ds.to_string();
    let frags = ctx.entry.fragments(&ctx.snap);
    let lf = &frags.levels[a.level];
    let literal = |it: &OutItem, code: bool| -> std::borrow::Cow<'_, str> {
        match it.pos {
            Some(pos) => {
                std::borrow::Cow::Borrowed(if code { &*lf.code[pos] } else { &*lf.name[pos] })
            }
            None => {
                let mut b = String::new();
                crate::fragments::push_json_str(&mut b, if code { &it.code } else { &it.name });
                std::borrow::Cow::Owned(b)
            }
        }
    };
    let mut out = String::with_capacity(text.len() + a.items.len() * 64 + n * 12);
    let mut rest = text.as_str();
    for marker in [AREA_INDEX, AREA_LABEL, STATUS, VALUES] {
        if marker == STATUS && statuses == 0 {
            // No marker was written: a text that equals it is left as it is.
            continue;
        }
        let quoted = serde_json::to_string(marker).unwrap_or_default();
        let found = if marker == STATUS {
            // Before the values' marker, found from the end too.
            let before = rest.rfind(&serde_json::to_string(VALUES).unwrap_or_default());
            rest[..before.unwrap_or(rest.len())].rfind(&quoted)
        } else if marker == VALUES {
            rest.rfind(&quoted)
        } else {
            rest.find(&quoted)
        };
        let Some(at) = found else {
            continue;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at + quoted.len()..];
        if marker == STATUS {
            // An object keyed by cell index, in the order of the keys as text ("0", "1",
            // "10", "100", …, "2"), as a JSON object with sorted keys is written.
            out.push('{');
            let mut digits = itoa::Buffer::new();
            let mut first = true;
            for idx in decimal_order(n) {
                if let Some(st) = status[idx] {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push('"');
                    out.push_str(digits.format(idx));
                    out.push_str("\":");
                    crate::fragments::push_json_str(&mut out, st);
                }
            }
            out.push('}');
            continue;
        }
        if marker == VALUES {
            out.push('[');
            for (k, v) in values.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                match v {
                    Some(x) => crate::fragments::push_number(&mut out, *x),
                    None => out.push_str("null"),
                }
            }
            out.push(']');
            continue;
        }
        out.push('{');
        let mut digits = itoa::Buffer::new();
        for (k, it) in a.items.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&literal(it, true));
            out.push(':');
            if marker == AREA_INDEX {
                out.push_str(digits.format(k));
            } else {
                out.push_str(&literal(it, false));
            }
        }
        out.push('}');
    }
    out.push_str(rest);
    Ok(json_text_response(out, crate::api::formats::JSON_MEDIA))
}

/// `0..n` in the order of their decimal texts: 0, 1, 10, 100, …, 11, …, 2, 20, … (the
/// lexicographic order, a depth-first walk of the decimal prefixes).
fn decimal_order(n: usize) -> impl Iterator<Item = usize> {
    let mut next = (n > 0).then_some(0usize);
    std::iter::from_fn(move || {
        let x = next?;
        next = if x == 0 {
            (n > 1).then_some(1)
        } else if x.checked_mul(10).is_some_and(|y| y < n) {
            Some(x * 10)
        } else {
            // Up past the prefixes that are done, then to the next sibling.
            let mut y = x;
            loop {
                if y % 10 != 9 && y + 1 < n {
                    break Some(y + 1);
                }
                y /= 10;
                if y == 0 {
                    break None;
                }
            }
        };
        Some(x)
    })
}

#[cfg(test)]
mod tests {
    use super::decimal_order;

    #[test]
    fn cells_come_in_the_order_of_their_decimal_texts() {
        for n in [0usize, 1, 2, 9, 10, 11, 99, 100, 101, 1234, 3052, 10_000] {
            let mut expected: Vec<usize> = (0..n).collect();
            expected.sort_by_key(|i| i.to_string());
            assert_eq!(decimal_order(n).collect::<Vec<_>>(), expected, "n = {n}");
        }
    }
}
