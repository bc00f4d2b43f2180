//! Metadata edits made in the back office: one indicator's form, or a unit or source renamed
//! across every indicator that names it. An edit is a metadata import without a file: the form
//! is read as one row of the metadata workbook (`peil_ingest::read_metadata_rows`, so a form
//! and a file are checked by the same rules and name the same columns), written to the test
//! copy by `ImportTx::apply_metadata` and recorded in the import log, so it is published like
//! any import and can be undone until then (`Store::undo_import`).

use crate::Result;
use peil_core::*;
use peil_store::Store;
use serde_json::json;

/// The import-log kind of back-office edits (undone like a metadata import).
pub const EDIT_KIND: &str = "metadata edit";

/// What an edit did: its import number (none when nothing changed or the form had errors),
/// each changed indicator before and after, and the form's problems.
#[derive(Debug, Default)]
pub struct Edited {
    pub import_id: Option<i64>,
    pub changed: Vec<(Indicator, Indicator)>,
    pub problems: Problems,
}

/// Saves one indicator's form: `cells` are (column, value) pairs under
/// `peil_ingest::METADATA_COLUMNS`. Unlike a workbook, whose empty cells keep what is stored,
/// the form holds every field, so an empty field clears it; Swing's columns without a field of
/// their own (kept in `extra`) are not on the form and stay.
pub fn edit_indicator(
    store: &mut Store,
    who: &str,
    code: &str,
    cells: &[(String, String)],
) -> Result<Edited> {
    let Some(stored) = store.indicator(code)? else {
        let mut problems = Problems::default();
        problems.error(
            &Place::file("form"),
            None,
            Some("code"),
            Some(code),
            "unknown indicator",
        );
        return Ok(Edited {
            problems,
            ..Edited::default()
        });
    };
    let catalog = store.catalog()?;
    let mut blank = Indicator {
        period_type: PeriodType::Independent,
        extra: stored.extra.clone(),
        ..Indicator::new(code)
    };
    blank.extra.remove(EXTRA_CONFIDENCE);
    blank.extra.remove(EXTRA_BENCHMARK);
    let existing = |c: &str| (c == code).then(|| blank.clone());
    let header: Vec<String> = std::iter::once("code".to_string())
        .chain(cells.iter().map(|(c, _)| c.clone()))
        .collect();
    let row: Vec<String> = std::iter::once(code.to_string())
        .chain(cells.iter().map(|(_, v)| v.clone()))
        .collect();
    let r =
        peil_ingest::read_metadata_rows("form", vec![(1, header), (2, row)], &catalog, &existing);
    let Some(batch) = r.batch else {
        return Ok(Edited {
            problems: r.problems,
            ..Edited::default()
        });
    };
    let mut out = save_indicators(
        store,
        who,
        &format!("back office: {code}"),
        batch.indicators,
    )?;
    out.problems = r.problems;
    Ok(out)
}

/// Writes these indicators to the test copy as one recorded edit (`label` is the import log's
/// "file"); indicators equal to the stored ones are left out, and nothing is recorded when none
/// changed.
pub fn save_indicators(
    store: &mut Store,
    who: &str,
    label: &str,
    indicators: Vec<Indicator>,
) -> Result<Edited> {
    let mut changed = Vec::new();
    for ind in indicators {
        match store.indicator(&ind.code)? {
            Some(old) if old == ind => {}
            Some(old) => changed.push((old, ind)),
            // Edits change stored indicators only; new ones come from imports.
            None => {}
        }
    }
    if changed.is_empty() {
        return Ok(Edited::default());
    }
    let batch = MetadataBatch {
        indicators: changed.iter().map(|(_, new)| new.clone()).collect(),
        ..MetadataBatch::default()
    };
    let mut tx = store.begin()?;
    let counts = tx.apply_metadata(&batch)?;
    let id = tx.record_import(
        who,
        EDIT_KIND,
        label,
        "",
        &json!({}),
        &json!({ "indicators": counts }),
        0,
    )?;
    tx.commit()?;
    Ok(Edited {
        import_id: Some(id),
        changed,
        problems: Problems::default(),
    })
}

/// Renames a unit (`source` false) or a source (`source` true) in every indicator that names
/// it exactly, as one recorded edit.
pub fn rename(store: &mut Store, who: &str, source: bool, from: &str, to: &str) -> Result<Edited> {
    let to = to.trim();
    let mut inds = Vec::new();
    for mut ind in store.indicators()? {
        let field = if source {
            &mut ind.source
        } else {
            &mut ind.unit
        };
        if field == from {
            *field = to.to_string();
            inds.push(ind);
        }
    }
    let what = if source { "source" } else { "unit" };
    save_indicators(
        store,
        who,
        &format!("back office: {what} '{from}' → '{to}'"),
        inds,
    )
}

/// Renames a geo level (`item` none) or one of its items, as one recorded edit (kind
/// `areas edit`) of the test copy: readers see the new names from the next publication on,
/// and until then the edit is undone like a metadata edit. Returns the (short name, name)
/// before — for a level both its name —, or `None` when the level or item is unknown
/// (nothing is written).
pub fn rename_area(
    store: &mut Store,
    who: &str,
    level: &str,
    item: Option<&str>,
    short_name: &str,
    name: &str,
) -> Result<Option<(String, String)>> {
    let mut tx = store.begin()?;
    let before = match item {
        Some(code) => tx.rename_item(level, code, short_name.trim(), name.trim())?,
        None => tx.rename_level(level, name.trim())?.map(|n| (n.clone(), n)),
    };
    if before.is_none() {
        return Ok(None);
    }
    let label = match item {
        Some(code) => format!("back office: area {level} {code}"),
        None => format!("back office: level {level}"),
    };
    tx.record_import(
        who,
        "areas edit",
        &label,
        "",
        &json!({}),
        &json!({"items": {"updated": 1}}),
        0,
    )?;
    tx.commit()?;
    Ok(before)
}

/// Gives a period level its names for readers in nl, en and fr (an empty name, or Peil's own,
/// keeps Peil's), as one recorded edit (kind `period levels edit`) of the test copy, published
/// and undone like a metadata edit. The level's code never changes. Returns the names before
/// and after (language → name, the site's own only), or `None` when nothing changed.
pub fn rename_period_level(
    store: &mut Store,
    who: &str,
    level: PeriodLevel,
    names: &[(Locale, String)],
) -> Result<Option<(NamesByLanguage, NamesByLanguage)>> {
    let mut tx = store.begin()?;
    let (before, after) = tx.set_period_level_names(level, names)?;
    if after == before {
        return Ok(None);
    }
    tx.record_import(
        who,
        "period levels edit",
        &format!("back office: period level {}", level.code()),
        "",
        &json!({}),
        &json!({"period levels": {"updated": 1}}),
        0,
    )?;
    tx.commit()?;
    Ok(Some((before, after)))
}

/// A period level's own names: language code → name.
pub type NamesByLanguage = std::collections::BTreeMap<String, String>;
