//! The answer as a table (XLSX, and the columns CSV shares).

use super::*;

/// The data as a table (rows only for a workbook; CSV is streamed by [`write_csv`]).
/// `names`: the indicator's name and unit and the area's name as columns (else codes only).
pub(super) fn data_table(ctx: &Ctx, a: &Answer, with_rows: bool, names: bool) -> Table {
    let lvl = &ctx.snap.levels[a.level].level;
    let mut cols = vec![
        Col::new("indicator", Kind::Text, "Code of the indicator").required(),
        Col::new("indicator_name", Kind::Text, "Name of the indicator"),
        Col::new("unit", Kind::Text, "Unit of the value"),
        Col::new("level", Kind::Text, "Code of the geo level").required(),
        Col::new(
            "item",
            Kind::Text,
            format!("Code of the area ({SELECTION_CODE} for the custom selection)"),
        )
        .required(),
        Col::new("item_name", Kind::Text, "Name of the area"),
        Col::new(
            "period",
            Kind::Text,
            "Period code (2024, 2024H1, 2024Q3, 2024M03)",
        )
        .required(),
    ];
    if !names {
        cols.retain(|c| !matches!(c.title.as_str(), "indicator_name" | "unit" | "item_name"));
    }
    for l in &a.dim_levels {
        cols.push(Col::new(
            peil_core::dim_column(l),
            Kind::Text,
            format!("Member of dimension level {l} (empty: all members, the total)"),
        ));
    }
    cols.push(Col::new(
        "value",
        Kind::Number,
        "The value; empty when missing (see status)",
    ));
    cols.push(Col::new(
        "status",
        Kind::Text,
        "Why the value is missing: x hidden (privacy or source), ? unknown, nvt not applicable, - empty",
    ));
    cols.push(Col::new(
        "flag",
        Kind::Text,
        "provisional or forecast when the period is marked so",
    ));
    let survey = a.survey.iter().any(|s| *s);
    if survey {
        cols.extend([
            Col::new("lower", Kind::Number, "Survey indicators: lower bound of the confidence interval (empty when the value is missing or hidden)"),
            Col::new("upper", Kind::Number, "Survey indicators: upper bound of the confidence interval"),
            Col::new("margin", Kind::Number, "Survey indicators: the margin z·sqrt(p·(100−p)/n)·sqrt(1−n/N) before clipping to 0–100"),
            Col::new("confidence", Kind::Number, "Survey indicators: the confidence level of the interval, in %"),
            Col::new("significance", Kind::Text, "Survey indicators: higher, lower or not-significant against the benchmark area"),
            Col::new("benchmark_level", Kind::Text, "Survey indicators: the geo level of the benchmark area"),
            Col::new("benchmark", Kind::Text, "Survey indicators: the code of the benchmark area"),
        ]);
    }
    let mut t = Table::new(
        format!(
            "{} — {}",
            a.inds
                .iter()
                .map(|&i| ctx.code(i))
                .collect::<Vec<_>>()
                .join(", "),
            lvl.name
        ),
        format!("peil-data-{}", lvl.code),
        cols,
    );
    t.key = ["indicator", "item", "period"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    t.key
        .extend(a.dim_levels.iter().map(|l| peil_core::dim_column(l)));
    t.notes = vec![
        ("publication".into(), format!("generation {}", ctx.snap.generation)),
        (
            "missing values".into(),
            "x = hidden (privacy rules or the source), ? = unknown, nvt = not applicable, - = empty (no value)".into(),
        ),
        (
            "sources".into(),
            a.inds
                .iter()
                .map(|&i| format!("{}: {}", ctx.code(i), ctx.ind(i).source))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    if let Some(sel) = &a.selection {
        t.notes.push((
            "custom selection".into(),
            format!(
                "{SELECTION_CODE} aggregates the areas {} with the indicators' own rules",
                sel.join(", ")
            ),
        ));
    }
    t.sheets.push((
        "indicators".into(),
        [
            "code",
            "name",
            "unit",
            "decimals",
            "source",
            "description",
            "footnote",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        a.inds
            .iter()
            .map(|&i| {
                let ind = ctx.ind(i);
                vec![
                    Cell::text(&ind.code),
                    Cell::text(ctx.text(&ind.name)),
                    Cell::text(&ind.unit),
                    ind.decimals
                        .map_or(Cell::Empty, |d| Cell::Integer(d as i64)),
                    Cell::text(&ind.source),
                    Cell::text(ctx.text(&ind.description)),
                    Cell::text(ctx.text(&ind.footnote)),
                ]
            })
            .collect(),
    ));
    if with_rows {
        let ind_names: Vec<String> = a.inds.iter().map(|&i| ctx.text(&ctx.ind(i).name)).collect();
        for r in &a.rows {
            let ind = ctx.ind(a.inds[r.ind as usize]);
            let it = &a.items[r.item as usize];
            let key = &a.keys[r.key as usize];
            let (v, s) = value_parts(r.value);
            let mut row = if names {
                vec![
                    Cell::text(&ind.code),
                    Cell::text(&ind_names[r.ind as usize]),
                    Cell::text(&ind.unit),
                    Cell::text(&lvl.code),
                    Cell::text(&*it.code),
                    Cell::text(&*it.name),
                ]
            } else {
                vec![
                    Cell::text(&ind.code),
                    Cell::text(&lvl.code),
                    Cell::text(&*it.code),
                ]
            };
            row.push(Cell::text(a.periods[r.period as usize].code()));
            for l in &a.dim_levels {
                row.push(Cell::opt(
                    key.0.iter().find(|(x, _)| x == l).map(|(_, m)| m.clone()),
                ));
            }
            row.push(v.map_or(Cell::Empty, |x| Cell::Number(x, ind.decimals)));
            row.push(Cell::opt(s));
            row.push(Cell::opt(r.flag));
            if survey {
                let f = survey_columns(ctx, a, r);
                row.extend(f[..3].iter().map(|x| {
                    x.parse::<f64>()
                        .map_or(Cell::Empty, |n| Cell::Number(n, None))
                }));
                row.push(f[3].parse::<i64>().map_or(Cell::Empty, Cell::Integer));
                row.extend(
                    f[4..]
                        .iter()
                        .map(|x| Cell::opt((!x.is_empty()).then_some(x.as_str()))),
                );
            }
            t.rows.push(row);
        }
    }
    t
}

/// The survey columns of one row as text (lower, upper, margin, confidence, significance,
/// benchmark level, benchmark); all empty for a row without an interval.
pub(super) fn survey_columns(ctx: &Ctx, a: &Answer, r: &Row) -> [String; 7] {
    let Some(c) = r.survey.as_ref().filter(|_| a.survey[r.ind as usize]) else {
        return Default::default();
    };
    let num = crate::api::formats::fmt_number;
    let bench = c.benchmark.and_then(|b| ctx.snap.area_at(b));
    [
        num(c.interval.low),
        num(c.interval.high),
        num(c.interval.margin),
        ctx.ind(a.inds[r.ind as usize])
            .confidence_level()
            .to_string(),
        c.significance.map(|s| s.code()).unwrap_or("").to_string(),
        bench.map(|(l, _)| l.to_string()).unwrap_or_default(),
        bench.map(|(_, it)| it.code.clone()).unwrap_or_default(),
    ]
}
