//! Query planning: what a data request asks for (indicators, areas or a custom selection,
//! periods, cube cells), checked against what the reader may see, and the answer's rows.

use super::*;

/// Which periods a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PeriodSpec {
    All,
    Fixed(Period),
    /// The n-th most recent period (0 = latest).
    Mrp(u32),
    Range(Period, Period),
}

/// Which cube cells a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum DimSpec {
    /// Only the total (flat indicators have nothing else).
    Total,
    /// Every published cell.
    All,
    /// Cells broken down by exactly these dimension levels (those the cube has).
    Levels(BTreeSet<String>),
}

pub(super) fn parse_periods(req: &Req) -> ApiResult<Vec<PeriodSpec>> {
    let Some(list) = req.list("period") else {
        return Ok(vec![PeriodSpec::All]);
    };
    let bad = |s: &str, why: String| {
        ApiError::bad_request(format!("period '{s}': {why}")).with("parameter", json!("period"))
    };
    let mut out = Vec::new();
    for s in list {
        let spec = if s == "all" {
            PeriodSpec::All
        } else if s == "mrp" {
            PeriodSpec::Mrp(0)
        } else if let Some(n) = s.strip_prefix("mrp-") {
            PeriodSpec::Mrp(
                n.parse::<u32>()
                    .ok()
                    .filter(|_| n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        bad(
                            &s,
                            "mrp-N takes a whole number below 10000: mrp-1 is the period before the latest".into(),
                        )
                    })?,
            )
        } else if let Some((a, b)) = s.split_once(':') {
            let a = period_code(a).map_err(|e| bad(&s, e))?;
            let b = period_code(b).map_err(|e| bad(&s, e))?;
            // A reversed range is read the right way round.
            let (a, b) = if a.bounds().0 <= b.bounds().0 {
                (a, b)
            } else {
                (b, a)
            };
            PeriodSpec::Range(a, b)
        } else {
            PeriodSpec::Fixed(period_code(&s).map_err(|e| bad(&s, e))?)
        };
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    Ok(out)
}

/// A period as the API writes it: `2024`, `2024H1`, `2024Q3`, `2024M03` (other spellings are
/// refused with the canonical one suggested).
pub(super) fn period_code(s: &str) -> Result<Period, String> {
    match Period::parse(s) {
        Ok(p) if p.code() == s => Ok(p),
        Ok(p) => Err(format!("write it as {}", p.code())),
        Err(e) => Err(e.to_string()),
    }
}

pub(super) fn parse_dims(ctx: &Ctx, req: &Req) -> ApiResult<DimSpec> {
    let Some(list) = req.list("dims") else {
        return Ok(DimSpec::Total);
    };
    match list.as_slice() {
        [one] if one == "total" => return Ok(DimSpec::Total),
        [one] if one == "all" => return Ok(DimSpec::All),
        _ => {}
    }
    let known = &ctx.idx().dim_levels;
    let mut set = BTreeSet::new();
    for d in list {
        if !known.contains(&d) {
            return Err(ApiError::unknown(
                "dimension level",
                &d,
                known.iter().map(String::as_str).chain(["total", "all"]),
            ));
        }
        set.insert(d);
    }
    Ok(DimSpec::Levels(set))
}

/// One requested indicator: its periods and cube cells.
pub(super) struct IndPlan {
    pub(super) i: u32,
    pub(super) periods: Vec<Period>,
    pub(super) keys: Vec<DimKey>,
}

/// Orders cube cells: the total first, then by how many dimensions they split, then
/// naturally by level and member.
pub(super) fn key_cmp(a: &DimKey, b: &DimKey) -> std::cmp::Ordering {
    a.0.len().cmp(&b.0.len()).then_with(|| {
        for ((la, ma), (lb, mb)) in a.0.iter().zip(&b.0) {
            let o = la.cmp(lb).then_with(|| natural_cmp(ma, mb));
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    })
}

pub(super) fn period_cmp(a: &Period, b: &Period) -> std::cmp::Ordering {
    b.level.cmp(&a.level).then(a.cmp(b))
}

/// The periods and cells of one indicator on a level.
pub(super) fn plan_indicator(
    ctx: &Ctx,
    i: u32,
    level: usize,
    specs: &[PeriodSpec],
    pl: Option<PeriodLevel>,
    dims: &DimSpec,
) -> IndPlan {
    let code = ctx.code(i);
    let level_code = &ctx.snap.levels[level].level.code;
    let avail = ctx.snap.periods(code, level_code, &ctx.reader);
    let ind_levels: BTreeSet<&str> = avail
        .iter()
        .flat_map(|(_, k)| k.0.iter().map(|(l, _)| l.as_str()))
        .collect();
    let want: Option<BTreeSet<&str>> = match dims {
        DimSpec::Total => Some(BTreeSet::new()),
        DimSpec::All => None,
        DimSpec::Levels(set) => Some(
            set.iter()
                .map(String::as_str)
                .filter(|l| ind_levels.contains(l))
                .collect(),
        ),
    };
    let key_ok = |k: &DimKey| match &want {
        None => true,
        Some(w) => k.0.len() == w.len() && k.0.iter().all(|(l, _)| w.contains(l.as_str())),
    };
    let sel: Vec<(Period, &DimKey)> = avail
        .into_iter()
        .filter(|(p, k)| key_ok(k) && pl.is_none_or(|x| p.level == x))
        .collect();
    let have: BTreeSet<Period> = sel.iter().map(|(p, _)| *p).collect();
    let mut keys: Vec<DimKey> = if want.as_ref().is_some_and(|w| w.is_empty()) {
        vec![DimKey::default()]
    } else {
        let set: BTreeSet<&DimKey> = sel.iter().map(|(_, k)| *k).collect();
        set.into_iter().cloned().collect()
    };
    keys.sort_by(key_cmp);
    // "Most recent" counts on the coarsest period level the indicator has (or the one asked).
    let mrp_level = pl.or_else(|| have.iter().map(|p| p.level).max());
    let recent: Vec<Period> = have
        .iter()
        .copied()
        .filter(|p| Some(p.level) == mrp_level)
        .collect();
    let mut periods: Vec<Period> = Vec::new();
    for s in specs {
        match s {
            PeriodSpec::All => periods.extend(have.iter().copied()),
            PeriodSpec::Fixed(p) => periods.push(*p),
            PeriodSpec::Mrp(n) => {
                if let Some(p) = recent.iter().rev().nth(*n as usize) {
                    periods.push(*p);
                }
            }
            PeriodSpec::Range(a, b) => periods.extend(have.iter().copied().filter(|p| {
                (p.level == a.level || p.level == b.level)
                    && p.bounds().0 >= a.bounds().0
                    && p.bounds().1 <= b.bounds().1
            })),
        }
    }
    periods.sort_by(period_cmp);
    periods.dedup();
    IndPlan { i, periods, keys }
}

pub(super) fn value_parts(v: Value) -> (Option<f64>, Option<&'static str>) {
    match v {
        Value::Number(n) => (Some(n), None),
        Value::Missing(c) => (None, Some(c.symbol())),
    }
}

pub(super) fn selection_error(ctx: &Ctx, code: &str, p: Period, e: SelectionError) -> ApiError {
    match e {
        SelectionError::RevealsHidden { indicator, item } => {
            // Name the indicator asked for when the hidden one is not public.
            let shown = if ctx.visible(&indicator) { indicator } else { code.to_string() };
            ApiError::of(
                "reveals-hidden-cell",
                format!(
                    "the selection includes area {item}, whose value of {shown} for {} is hidden (x); a total over it could reveal the hidden value, so it is refused. Leave {item} out of the selection.",
                    p.code()
                ),
            )
            .with("indicator", json!(shown))
            .with("item", json!(item))
            .with("period", json!(p.code()))
        }
        SelectionError::NotAggregable(_) | SelectionError::Unknown { .. } => ApiError::of(
            "not-aggregable",
            format!("{code} cannot be computed for a custom selection of areas (it is not aggregable, or takes a cube cell)"),
        )
        .with("indicator", json!(code)),
    }
}

/// Reads and runs a data query.
pub(super) fn run<'a>(ctx: &'a Ctx, req: &Req, fmt: Format) -> ApiResult<Answer<'a>> {
    // Only blanks and commas: answer as for the unknown code they are.
    if req.list("indicator").is_none()
        && let Some((_, raw)) = req
            .pairs
            .iter()
            .find(|(k, v)| k == "indicator" && !v.is_empty())
    {
        return Err(ctx
            .indicator(raw)
            .err()
            .unwrap_or_else(|| ApiError::bad_request("no indicator code given")));
    }
    let codes = req.list("indicator").ok_or_else(|| {
        ApiError::bad_request(
            "parameter 'indicator' is required: one or more indicator codes, separated by commas",
        )
        .with("parameter", json!("indicator"))
    })?;
    let mut inds = Vec::new();
    for c in &codes {
        inds.push(ctx.indicator(c)?.0);
    }
    let level_code = req.text("level")?.ok_or_else(|| {
        ApiError::bad_request(
            "parameter 'level' is required: the code of a geo level (see /api/v1/geolevels)",
        )
        .with("parameter", json!("level"))
    })?;
    let level = ctx.level(level_code)?;
    let lvl = &ctx.snap.levels[level];
    let listed = req.list("items");
    let selection = req.list("selection");
    let mut items: Vec<OutItem<'a>> = Vec::new();
    match (&listed, &selection) {
        (Some(list), _) => {
            for c in list {
                let pos = ctx.item(level, c)?;
                let it = &lvl.items[pos].1;
                items.push(OutItem {
                    code: Cow::Borrowed(&it.code),
                    name: Cow::Borrowed(&it.name),
                    pos: Some(pos),
                });
            }
        }
        (None, None) => {
            for (pos, (_, it)) in lvl.items.iter().enumerate() {
                items.push(OutItem {
                    code: Cow::Borrowed(&it.code),
                    name: Cow::Borrowed(&it.name),
                    pos: Some(pos),
                });
            }
        }
        (None, Some(_)) => {}
    }
    if let Some(sel) = &selection {
        for c in sel {
            ctx.item(level, c)?;
        }
        let default_name = if ctx.lang == "nl" {
            "Selectie"
        } else {
            "Selection"
        };
        let name = req
            .text("selection_name")?
            .map(str::to_string)
            .unwrap_or_else(|| format!("{default_name} ({})", sel.join(", ")));
        items.push(OutItem {
            code: Cow::Borrowed(SELECTION_CODE),
            name: Cow::Owned(name),
            pos: None,
        });
    }
    let specs = parse_periods(req)?;
    let pl = parse_period_level(req)?;
    let dims = parse_dims(ctx, req)?;
    let plans: Vec<IndPlan> = inds
        .iter()
        .map(|&i| plan_indicator(ctx, i, level, &specs, pl, &dims))
        .collect();
    let cells: usize = plans
        .iter()
        .map(|p| {
            p.periods
                .len()
                .saturating_mul(p.keys.len())
                .saturating_mul(items.len())
        })
        .fold(0usize, usize::saturating_add);
    let cap = crate::api::max_cells(&ctx.st);
    if cells > cap {
        return Err(ApiError::of(
            "too-many-cells",
            format!(
                "this query asks for {cells} cells and one request may ask for {cap}; ask for fewer indicators, areas, periods or cube cells"
            ),
        )
        .with("cells", json!(cells))
        .with("max_cells", json!(cap)));
    }
    if fmt == Format::Xlsx && cells > MAX_XLSX_ROWS {
        return Err(ApiError::of(
            "too-many-cells",
            format!("a workbook holds at most {MAX_XLSX_ROWS} rows and this query has {cells}; ask for CSV instead"),
        )
        .with("cells", json!(cells))
        .with("max_cells", json!(MAX_XLSX_ROWS)));
    }
    // The union of periods and cells, in answer order.
    let mut periods: Vec<Period> = plans
        .iter()
        .flat_map(|p| p.periods.iter().copied())
        .collect();
    periods.sort_by(period_cmp);
    periods.dedup();
    let mut keys: Vec<DimKey> = plans.iter().flat_map(|p| p.keys.iter().cloned()).collect();
    keys.sort_by(key_cmp);
    keys.dedup();
    let mut dim_levels: Vec<String> = Vec::new();
    for k in &keys {
        for (l, _) in &k.0 {
            if !dim_levels.contains(l) {
                dim_levels.push(l.clone());
            }
        }
    }
    let p_index: HashMap<Period, u32> = periods
        .iter()
        .enumerate()
        .map(|(n, p)| (*p, n as u32))
        .collect();
    let k_index: HashMap<&DimKey, u32> = keys
        .iter()
        .enumerate()
        .map(|(n, k)| (k, n as u32))
        .collect();
    let sel_codes: Option<Vec<&str>> = selection
        .as_ref()
        .map(|s| s.iter().map(String::as_str).collect());
    let mut rows: Vec<Row> = Vec::with_capacity(cells);
    let reader = &ctx.reader;
    let survey: Vec<bool> = inds
        .iter()
        .map(|&i| ctx.snap.survey_visible_to(ctx.ind(i), reader))
        .collect();
    for (n, plan) in plans.iter().enumerate() {
        let code = ctx.code(plan.i);
        let meta = ctx.ind(plan.i);
        for p in &plan.periods {
            let (period, flag) = (p_index[p], flag(meta, *p));
            for key in &plan.keys {
                let key_n = k_index[key];
                let series = ctx
                    .snap
                    .dim_id(key)
                    .and_then(|d| ctx.snap.slots(plan.i, level, *p, d, reader));
                let surv = if key.is_empty() && survey[n] {
                    ctx.snap.survey_series(code, &lvl.level.code, *p, reader)
                } else {
                    None
                };
                for (k, it) in items.iter().enumerate() {
                    // A custom selection is computed for totals only.
                    if it.pos.is_none() && !key.is_empty() {
                        continue;
                    }
                    let value = match (it.pos, &sel_codes) {
                        (Some(pos), _) => series
                            .and_then(|s| s.get(pos))
                            .map_or(Value::Missing(MissingCode::Empty), |s| s.to_value()),
                        (None, Some(sel)) => ctx
                            .snap
                            .aggregate_selection(code, &lvl.level.code, *p, sel, reader)
                            .map_err(|e| selection_error(ctx, code, *p, e))?,
                        (None, None) => Value::Missing(MissingCode::Empty),
                    };
                    rows.push(Row {
                        ind: n as u32,
                        item: k as u32,
                        period,
                        key: key_n,
                        value,
                        flag,
                        survey: it.pos.and_then(|pos| *surv?.get(pos)?),
                    });
                }
            }
        }
    }
    rows.sort_by_key(|r| (r.ind, r.item, r.period, r.key));
    Ok(Answer {
        level,
        inds,
        items,
        selection,
        periods,
        keys,
        dim_levels,
        rows,
        survey,
    })
}
