//! The area profile: an area's figures over every theme, with its comparison areas.

use super::*;

pub(super) type PathResult<T> = Result<Path<T>, axum::extract::rejection::PathRejection>;

pub async fn profile(
    State(st): State<AppState>,
    p: PathResult<(String, String)>,
    req: Req,
) -> ApiResult<Response> {
    let (level_code, item_code) = p
        .map(|Path(x)| x)
        .map_err(|e| ApiError::bad_request(format!("bad path: {e}")))?;
    req.check(&["period", "theme"])?;
    let fmt = negotiate(
        &req,
        &[Format::Json, Format::Csv, Format::Csvw, Format::Xlsx],
    )?;
    let ctx = Ctx::new(&st, &req)?;
    let level = ctx.level(&level_code)?;
    let pos = ctx.item(level, &item_code)?;
    let spec = match req.text("period")? {
        None => PeriodSpec::Mrp(0),
        Some("mrp") => PeriodSpec::Mrp(0),
        Some(s) => PeriodSpec::Fixed(period_code(s).map_err(|e| {
            ApiError::bad_request(format!("period '{s}': {e}")).with("parameter", json!("period"))
        })?),
    };
    let x = ctx.extras().await;
    let theme = match req.text("theme")? {
        Some(code) => {
            let visible = visible_themes(&ctx, &x.themes);
            if !visible.iter().any(|t| t.code == code) {
                return Err(ApiError::unknown(
                    "theme",
                    code,
                    visible.iter().map(|t| t.code.as_str()),
                ));
            }
            Some(theme_subtree(&x.themes, code))
        }
        None => None,
    };
    let lvl = &ctx.snap.levels[level];
    let item = &lvl.items[pos].1;
    // Ancestors, nearest first: (level, item, depth).
    let hierarchy = ctx.snap.hierarchy();
    let ancestors: Vec<(String, String, usize)> = hierarchy
        .ancestors(level as u16, pos as u32)
        .iter()
        .map(|a| {
            let l = &ctx.snap.levels[a.level as usize];
            (
                l.level.code.clone(),
                l.items[a.pos as usize].1.code.clone(),
                a.depth as usize,
            )
        })
        .collect();
    let is_top = |l: &str, c: &str| {
        let lv = &ctx.snap.levels[ctx.snap.level_index[l]];
        lv.pos.get(c).is_none_or(|&p| {
            hierarchy
                .parents(ctx.snap.level_index[l] as u16, p)
                .is_empty()
        })
    };
    let comparisons: Vec<Json> = ancestors
        .iter()
        .map(|(l, c, d)| {
            let li = ctx.snap.level_index[l];
            let name = ctx.snap.levels[li]
                .pos
                .get(c)
                .map(|p| ctx.snap.levels[li].items[*p as usize].1.name.clone())
                .unwrap_or_default();
            json!({
                "level": l,
                "level_name": ctx.snap.levels[li].level.name,
                "code": c,
                "name": name,
                "depth": d,
                "top": is_top(l, c),
            })
        })
        .collect();
    let total_key = DimKey::default();
    struct Fig {
        i: u32,
        p: Period,
        v: Value,
        cmp: Vec<Option<Value>>,
        /// Some(cell) for a survey indicator the reader may see (the cell itself `None` when
        /// the value has no interval).
        survey: Option<Option<SurveyCell>>,
    }
    let mut figs: Vec<Fig> = Vec::new();
    for &i in &ctx.idx().public {
        let ind = ctx.ind(i);
        if !ind.dim_levels.is_empty() {
            continue;
        }
        if let Some(set) = &theme
            && !ind.themes.iter().any(|t| set.contains(t))
        {
            continue;
        }
        let periods: BTreeSet<Period> = ctx
            .snap
            .keys_of(i, level, &ctx.reader)
            .filter(|(_, d)| ctx.snap.dims[*d as usize].is_empty())
            .map(|(p, _)| p)
            .collect();
        let p = match &spec {
            PeriodSpec::Fixed(p) if periods.contains(p) => *p,
            PeriodSpec::Fixed(_) => continue,
            _ => {
                let coarsest = periods.iter().map(|p| p.level).max();
                match periods.iter().rev().find(|p| Some(p.level) == coarsest) {
                    Some(p) => *p,
                    None => continue,
                }
            }
        };
        let Some(v) = ctx.snap.value(
            &ind.code,
            &lvl.level.code,
            p,
            &total_key,
            &item.code,
            &ctx.reader,
        ) else {
            continue;
        };
        if matches!(v, Value::Missing(MissingCode::Empty)) {
            continue;
        }
        let cmp = ancestors
            .iter()
            .map(|(l, c, _)| ctx.snap.value(&ind.code, l, p, &total_key, c, &ctx.reader))
            .collect();
        let survey = ctx.snap.survey_visible_to(ind, &ctx.reader).then(|| {
            ctx.snap
                .survey_cell(&ind.code, &lvl.level.code, p, &item.code, &ctx.reader)
        });
        figs.push(Fig {
            i,
            p,
            v,
            cmp,
            survey,
        });
    }
    if fmt != Format::Json {
        let mut cols = vec![
            Col::new("indicator", Kind::Text, "Code of the indicator").required(),
            Col::new("indicator_name", Kind::Text, "Name of the indicator"),
            Col::new("unit", Kind::Text, "Unit"),
            Col::new("period", Kind::Text, "Period of the figures").required(),
            Col::new(
                "value",
                Kind::Number,
                format!("Value for {} ({})", item.name, item.code),
            ),
            Col::new(
                "status",
                Kind::Text,
                "Why the value is missing (x, ?, nvt, -)",
            ),
        ];
        let survey = figs.iter().any(|f| f.survey.is_some());
        if survey {
            cols.extend([
                Col::new("lower", Kind::Number, "Survey indicators: lower bound of the confidence interval"),
                Col::new("upper", Kind::Number, "Survey indicators: upper bound of the confidence interval"),
                Col::new("confidence", Kind::Number, "Survey indicators: confidence level, in %"),
                Col::new("significance", Kind::Text, "Survey indicators: higher, lower or not-significant against the benchmark area"),
                Col::new("benchmark", Kind::Text, "Survey indicators: the benchmark area (level:code)"),
            ]);
        }
        for (l, c, _) in &ancestors {
            cols.push(Col::new(
                format!("value_{l}"),
                Kind::Number,
                format!("Value for {l} {c}"),
            ));
            cols.push(Col::new(
                format!("status_{l}"),
                Kind::Text,
                format!("Why the value for {l} {c} is missing"),
            ));
        }
        let mut t = Table::new(
            format!("{} — {}", item.name, lvl.level.name),
            format!("profile-{}-{}", lvl.level.code, item.code),
            cols,
        );
        t.key = vec!["indicator".into()];
        t.notes.push((
            "missing values".into(),
            "x = hidden (privacy rules or the source), ? = unknown, nvt = not applicable, - = empty".into(),
        ));
        for f in &figs {
            let ind = ctx.ind(f.i);
            let (v, s) = value_parts(f.v);
            let mut row = vec![
                Cell::text(&ind.code),
                Cell::text(ctx.text(&ind.name)),
                Cell::text(&ind.unit),
                Cell::text(f.p.code()),
                v.map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)),
                Cell::opt(s),
            ];
            if survey {
                let c = f.survey.flatten();
                let bench = c
                    .and_then(|c| c.benchmark)
                    .and_then(|b| ctx.snap.area_at(b));
                row.extend([
                    c.map_or(Cell::Empty, |c| Cell::Number(c.interval.low, None)),
                    c.map_or(Cell::Empty, |c| Cell::Number(c.interval.high, None)),
                    c.map_or(
                        Cell::Empty,
                        |_| Cell::Integer(ind.confidence_level() as i64),
                    ),
                    Cell::opt(c.and_then(|c| c.significance).map(|s| s.code())),
                    Cell::opt(bench.map(|(l, it)| format!("{l}:{}", it.code))),
                ]);
            }
            for c in &f.cmp {
                let (v, s) = value_parts(c.unwrap_or(Value::Missing(MissingCode::Empty)));
                row.push(v.map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)));
                row.push(Cell::opt(s));
            }
            t.rows.push(row);
        }
        return Ok(t.respond(fmt, &req, st.site_name()));
    }
    let figures: Vec<Json> = figs
        .iter()
        .map(|f| {
            let ind = ctx.ind(f.i);
            let (v, s) = value_parts(f.v);
            let mut fig = json!({
                "indicator": ind.code,
                "name": texts(&ind.name),
                "unit": ind.unit,
                "decimals": ind.decimals,
                "data_type": ind.data_type.code(),
                "themes": ind.themes,
                "period": f.p.code(),
                "value": jnum(v),
                "status": s,
                "flag": flag(ind, f.p),
                "comparisons": ancestors.iter().zip(&f.cmp).map(|((l, c, _), x)| {
                    let (v, s) = value_parts(x.unwrap_or(Value::Missing(MissingCode::Empty)));
                    json!({ "level": l, "item": c, "value": jnum(v), "status": s })
                }).collect::<Vec<_>>(),
            });
            if let Some(c) = &f.survey {
                fig["confidence"] = json!(ind.confidence_level());
                for (k, x) in survey_fields(&ctx, c.as_ref()) {
                    fig[k] = x;
                }
            }
            fig
        })
        .collect();
    Ok(json_response(
        &json!({
            "area": {
                "level": lvl.level.code,
                "level_name": lvl.level.name,
                "code": item.code,
                "short_name": item.short_name,
                "name": item.name,
                "unknown_location": item.unknown_location,
            },
            "comparisons": comparisons,
            "query": {
                "period": req.text("period")?.unwrap_or("mrp"),
                "theme": req.text("theme")?,
            },
            "generation": ctx.snap.generation,
            "total": figures.len(),
            "figures": figures,
            "links": {
                "self": req.url_with(&[]),
                "csv": req.url_with(&[("format", Some("csv"))]),
                "xlsx": req.url_with(&[("format", Some("xlsx"))]),
            },
        }),
        crate::api::formats::JSON_MEDIA,
    ))
}
