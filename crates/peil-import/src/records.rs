//! Record imports (issue 17): a record file read against its set's definition, stored, and the
//! set's measures computed from all its stored records and written as indicators of the test
//! copy — in one transaction, like every import. Used by `peil records`.
//!
//! **What a file covers.** A record replaces the stored record with the same id; records of the
//! set that the file does not hold stay, unless the import replaces the whole set
//! (`replace_all`, `peil records import --replace`), which also removes them. Only the measures
//! of the imported set are recomputed (from every stored record of the set), and none when the
//! file and the definition change nothing.
//!
//! **Measures are indicators.** Each measure is written as an indicator with its definition's
//! metadata (themes, visibility and status set in the back office are kept); every level and
//! period is computed from the records here (counts and sums are declared additive — a flow
//! summed over areas — so that secondary suppression protects their sums; the others are not
//! aggregable), with the set's threshold: a count is its own threshold indicator, every other
//! measure is checked on its companion `<code>_n` (the number of records it is over), so a
//! median over fewer records than the threshold is `x` like any small count. Publication,
//! privacy and access then treat them as every indicator. A measure code that already names
//! an indicator which is no measure of the set is refused.

use crate::{ImportError, Result};
use peil_compute::dashboard::{Aggregates, AreaLevel};
use peil_compute::measures::{
    LevelMap, MeasureLinks, MeasureSeries, compute_measures, measure_links,
};
use peil_core::records::{
    HIDDEN_TOGETHER, HIDDEN_WITH, MEASURE_EQUAL, MEASURE_SUMS, MeasureDef, MeasureKind,
    RecordSetDef, Records, write_equal, write_sums,
};
use peil_core::*;
use peil_ingest::TableOptions;
use peil_store::{ImportTx, RecordCounts, Store};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Everything a user chooses for one record import.
#[derive(Debug, Clone, Default)]
pub struct RecordsRequest {
    pub table: TableOptions,
    /// Replace the whole set: remove its records that the file does not hold.
    pub replace_all: bool,
    pub dry_run: bool,
    pub who: String,
}

/// What a record import (or a recomputation) did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RecordsOutcome {
    pub set: String,
    pub file: String,
    pub rows: u64,
    /// Rows left out with a warning: records whose point lies in no area of the set's level.
    pub left_out: u64,
    pub dry_run: bool,
    pub import_id: Option<i64>,
    pub records: RecordCounts,
    /// Whether the set's measures were computed again.
    pub recomputed: bool,
    /// Measures' indicators written (inserted/updated/unchanged) and their values.
    pub indicators: u64,
    pub values: ApplyCounts,
    pub summary: Vec<String>,
    pub problems: Problems,
}

/// Reads a record set's definition (TOML) and checks it; problems name the file and the field.
pub fn read_definition(path: &Path) -> std::result::Result<RecordSetDef, Problems> {
    let place = Place::file(peil_ingest::table::file_name(path));
    let mut problems = Problems::default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) if t.len() <= 1 << 20 => t,
        Ok(_) => {
            problems.error(&place, None, None, None, "a definition is at most 1 MiB");
            return Err(problems);
        }
        Err(e) => {
            problems.error(
                &place,
                None,
                None,
                None,
                format!("cannot read the definition: {e}"),
            );
            return Err(problems);
        }
    };
    let def: RecordSetDef = match toml::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            let row = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1) as u64);
            problems.error(&place, row, None, None, e.message().to_string());
            return Err(problems);
        }
    };
    for (field, msg) in def.check() {
        problems.error(&place, None, Some(&field), None, msg);
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(def)
    }
}

/// Reads, validates and (unless a dry run) stores a record file, then recomputes the set's
/// measures; all in one transaction. Problems in the files are the outcome's.
pub fn import_records(
    store: &mut Store,
    definition: &Path,
    path: &Path,
    req: &RecordsRequest,
) -> Result<RecordsOutcome> {
    let mut out = RecordsOutcome {
        file: path.display().to_string(),
        dry_run: req.dry_run,
        ..RecordsOutcome::default()
    };
    let def = match read_definition(definition) {
        Ok(d) => d,
        Err(p) => {
            out.problems = p;
            return Ok(out);
        }
    };
    out.set = def.name.clone();
    let catalog = store.catalog()?;
    // A set placed by coordinates: its level's areas, indexed.
    let placer = match &def.location {
        None => None,
        Some(p) => {
            let areas = store.level_geometry(&def.level)?;
            if areas.is_empty() {
                None
            } else {
                let placer = peil_ingest::points::Placer::new(
                    areas
                        .iter()
                        .map(|(id, code, json)| (*id, code.as_str(), json.as_str())),
                    &p.crs,
                );
                match placer {
                    Ok(p) => Some(p),
                    Err(e) => {
                        out.problems.error(
                            &Place::file(peil_ingest::table::file_name(definition)),
                            None,
                            Some("location"),
                            None,
                            e.to_string(),
                        );
                        return Ok(out);
                    }
                }
            }
        }
    };
    let locate = placer.as_ref().map(|p| p as &dyn peil_ingest::Locate);
    // The file's hash (for the import log) on the other core while the file is read.
    let (read, hash) = std::thread::scope(|s| {
        let hashing = s.spawn(|| peil_ingest::file_hash(path));
        let read = peil_ingest::read_records(path, &req.table, &def, &catalog, locate);
        (read, hashing.join().expect("hashing the file panicked"))
    });
    out.rows = read.rows;
    out.left_out = read.left_out;
    out.problems = read.problems;
    let Some(rec) = read.batch else {
        return Ok(out);
    };
    out.summary
        .push(format!("{} records read for set {}", rec.len(), def.name));
    if out.left_out > 0 {
        out.summary.push(format!(
            "{} records left out: their point lies in no area of level {} (each is a warning)",
            out.left_out, def.level
        ));
    }
    let hash = hash.map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut tx = store.begin()?;
    let before = tx.record_set(&def.name)?;
    if let Err(p) = check_codes(&tx, &def, before.as_ref(), definition) {
        out.problems.extend(p);
        return Ok(out);
    }
    // A set without records: after the import it holds exactly the file's, so its measures
    // and dashboard are computed from the file's records on the other core while they are
    // written. Otherwise they are computed from all stored records once written.
    let fresh = !rec.is_empty() && tx.records_count(&def.name)? == 0;
    let computed = if fresh {
        let inputs = Inputs::read(&tx, &def, &rec)?;
        let (put, computed) = std::thread::scope(|s| {
            let computing = s.spawn(|| inputs.compute(&def, &rec));
            let put = tx.put_records(&def, &rec, req.replace_all);
            (
                put,
                computing.join().expect("computing the measures panicked"),
            )
        });
        out.records = put?;
        Some(computed)
    } else {
        out.records = tx.put_records(&def, &rec, req.replace_all)?;
        None
    };
    let c = out.records;
    out.summary.push(format!(
        "records: {} new, {} changed, {} unchanged, {} removed",
        c.inserted, c.updated, c.unchanged, c.removed
    ));
    if before.as_ref() == Some(&def) && c.inserted + c.updated + c.removed == 0 {
        out.summary
            .push("nothing changed: the measures are not computed again".into());
    } else if let Some(computed) = computed {
        write_computed(&mut tx, &def, computed, &mut out)?;
    } else {
        // All the set's records, which are the file's when the store holds exactly those.
        let stored = tx.records_count(&def.name)?;
        let all = if stored == rec.len() as u64 {
            rec
        } else {
            tx.records(&def)?
        };
        write_measures(&mut tx, &def, &all, &mut out)?;
    }
    if out.problems.has_errors() {
        // Nothing committed: the transaction rolls back.
        return Ok(out);
    }
    if req.dry_run {
        out.summary.push("dry run: nothing written".into());
        return Ok(out);
    }
    let options = json!({"set": def.name, "definition": definition.display().to_string(), "replace": req.replace_all});
    let counts = json!({"records": out.records, "values": out.values});
    let id = tx.record_import(&req.who, "records", &out.file, &hash, &options, &counts, 0)?;
    tx.commit()?;
    out.import_id = Some(id);
    out.summary.push(format!("import #{id}"));
    Ok(out)
}

/// Computes every measure of a stored set again from its stored records (after its hierarchy
/// changed, say) in one transaction.
pub fn recompute(store: &mut Store, set: &str, who: &str) -> Result<Option<RecordsOutcome>> {
    let mut tx = store.begin()?;
    let Some(def) = tx.record_set(set)? else {
        return Ok(None);
    };
    let rec = tx.records(&def)?;
    let mut out = RecordsOutcome {
        set: set.to_string(),
        rows: rec.len() as u64,
        ..RecordsOutcome::default()
    };
    write_measures(&mut tx, &def, &rec, &mut out)?;
    if out.problems.has_errors() {
        return Ok(Some(out));
    }
    let counts = json!({"values": out.values});
    let id = tx.record_import(who, "measures", set, "", &json!({"set": set}), &counts, 0)?;
    tx.commit()?;
    out.import_id = Some(id);
    Ok(Some(out))
}

/// Refuses measure codes that name an indicator which is no measure of this set.
fn check_codes(
    tx: &ImportTx,
    def: &RecordSetDef,
    before: Option<&RecordSetDef>,
    definition: &Path,
) -> std::result::Result<(), Problems> {
    let place = Place::file(peil_ingest::table::file_name(definition));
    let mut problems = Problems::default();
    let ours: HashSet<String> = before
        .map(|b| b.measures.iter().flat_map(codes).collect())
        .unwrap_or_default();
    for m in &def.measures {
        for code in codes(m) {
            let owner = tx.measure_owner(&code, &def.name).ok().flatten();
            let exists = tx.indicator(&code).ok().flatten().is_some();
            if let Some(o) = owner {
                problems.error(
                    &place,
                    None,
                    Some("code"),
                    Some(&code),
                    format!("expected a code of its own; it is a measure of record set {o}"),
                );
            } else if exists && !ours.contains(&code) {
                problems.error(&place, None, Some("code"), Some(&code), "expected a new indicator code; an indicator that is no measure of this set has it");
            }
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(())
    }
}

fn codes(m: &MeasureDef) -> impl Iterator<Item = String> {
    std::iter::once(m.code.clone()).chain(m.count_code())
}

/// The record level and every level above it (by aggregation tables), each with every record
/// item's item on it.
fn level_maps(tx: &ImportTx, def: &RecordSetDef, rec: &Records) -> Result<Vec<LevelMap>> {
    let own: HashMap<u32, u32> = rec.items.iter().map(|&i| (i, i)).collect();
    let mut out = vec![LevelMap {
        level: def.level.clone(),
        parent: own,
    }];
    let mut seen: HashSet<String> = HashSet::from([def.level.clone()]);
    let mut at = 0;
    while at < out.len() {
        let level = out[at].level.clone();
        for (child, parent, links) in tx.aggregation_links(&level)? {
            if child != level || !seen.insert(parent.clone()) {
                continue;
            }
            let up: HashMap<u32, u32> = links.into_iter().collect();
            let parent_map = out[at]
                .parent
                .iter()
                .filter_map(|(r, c)| Some((*r, *up.get(c)?)))
                .collect();
            out.push(LevelMap {
                level: parent,
                parent: parent_map,
            });
        }
        at += 1;
    }
    Ok(out)
}

fn text(nl: &str, en: Option<&str>, fr: Option<&str>) -> LocalizedText {
    let mut t = LocalizedText::nl(nl);
    if let Some(en) = en {
        t = t.with("en", en);
    }
    if let Some(fr) = fr {
        t = t.with("fr", fr);
    }
    t
}

/// A measure's indicators: the measure, and its `_n` unless it is a count. Fields the
/// definition does not own (themes, visibility, status, …) are kept from the stored indicator;
/// each carries the sums of other measures of the set that equal it ([`MEASURE_SUMS`]), a
/// share the counts of its hits ([`HIDDEN_WITH`]), the first code of sums that equal one
/// another without a published total the relation ([`MEASURE_EQUAL`]), and each measure of a
/// group whose search stopped at a limit the group's name ([`HIDDEN_TOGETHER`]).
fn indicators(
    tx: &ImportTx,
    def: &RecordSetDef,
    m: &MeasureDef,
    links: &MeasureLinks,
) -> Result<Vec<Indicator>> {
    let base = |code: &str| -> Result<Indicator> {
        Ok(tx.indicator(code)?.unwrap_or_else(|| Indicator::new(code)))
    };
    let mut ind = base(&m.code)?;
    ind.name = text(&m.name, m.name_en.as_deref(), m.name_fr.as_deref());
    ind.description = LocalizedText::nl(&m.description);
    ind.source = def.source.clone();
    let duration = m.from.is_some();
    ind.unit = m.unit.clone().unwrap_or_else(|| {
        match m.kind {
            MeasureKind::Count => "aantal",
            MeasureKind::Share => "%",
            _ if duration => "dagen",
            _ => "",
        }
        .to_string()
    });
    ind.data_type = match m.kind {
        MeasureKind::Count | MeasureKind::Sum => DataType::Numeric,
        MeasureKind::Share => DataType::Percentage,
        MeasureKind::Mean | MeasureKind::Median | MeasureKind::Percentile => DataType::Mean,
    };
    // Every level and period is computed from the records. A count or sum is additive (a
    // district's is the sum of its sectors', a year's the sum of its months'): declared so,
    // secondary suppression protects those relations and the engine's sums (of levels and
    // periods not loaded) are the records' own. Every other measure is aggregated by nobody.
    let additive = matches!(m.kind, MeasureKind::Count | MeasureKind::Sum);
    ind.period_type = if additive {
        PeriodType::Flow
    } else {
        PeriodType::Independent
    };
    ind.non_aggregable = !additive;
    ind.non_aggregable_periods = !additive;
    ind.threshold = Some(def.threshold);
    ind.threshold_indicator = m.count_code();
    ind.decimals = m.decimals;
    ind.formula = None;
    let mut out = vec![ind];
    if let Some(n) = m.count_code() {
        let mut c = base(&n)?;
        c.name = text(
            &format!("{} (aantal records)", m.name),
            Some(&format!(
                "{} (number of records)",
                m.name_en.as_deref().unwrap_or(&m.name)
            )),
            Some(&format!(
                "{} (nombre d'enregistrements)",
                m.name_fr.as_deref().unwrap_or(&m.name)
            )),
        );
        c.source = def.source.clone();
        c.unit = "aantal".into();
        c.data_type = DataType::Numeric;
        c.period_type = PeriodType::Flow;
        c.non_aggregable = false;
        c.non_aggregable_periods = false;
        c.threshold = Some(def.threshold);
        c.threshold_indicator = None;
        c.decimals = Some(0);
        c.formula = None;
        out.push(c);
    }
    for ind in &mut out {
        match links.sums.get(&ind.code) {
            Some(s) => ind.extra.insert(MEASURE_SUMS.to_string(), write_sums(s)),
            None => ind.extra.remove(MEASURE_SUMS),
        };
        match links.hits.get(&ind.code) {
            Some(c) => ind.extra.insert(HIDDEN_WITH.to_string(), c.join(", ")),
            None => ind.extra.remove(HIDDEN_WITH),
        };
        let equal = links.equal_on(&ind.code);
        match equal.is_empty() {
            false => ind
                .extra
                .insert(MEASURE_EQUAL.to_string(), write_equal(&equal)),
            true => ind.extra.remove(MEASURE_EQUAL),
        };
        match links.together_of(&ind.code) {
            Some(g) => ind.extra.insert(HIDDEN_TOGETHER.to_string(), g.to_string()),
            None => ind.extra.remove(HIDDEN_TOGETHER),
        };
    }
    Ok(out)
}

/// What the measures and the dashboard are computed from besides the records: the levels
/// (each record item's item on it) and the names of their items, read from the store.
struct Inputs {
    levels: Vec<LevelMap>,
    names: Vec<HashMap<u32, (String, String)>>,
}

/// The set's measures and its published dashboard, computed (no store needed).
struct Computed {
    series: Vec<MeasureSeries>,
    /// How the measures hang together on the records.
    links: MeasureLinks,
    aggregates: Option<String>,
    levels: usize,
}

impl Inputs {
    fn read(tx: &ImportTx, def: &RecordSetDef, rec: &Records) -> Result<Inputs> {
        let levels = level_maps(tx, def, rec)?;
        let mut names = Vec::new();
        if def.dashboard.is_some() {
            for l in &levels {
                names.push(tx.item_names(&l.level)?);
            }
        }
        Ok(Inputs { levels, names })
    }

    /// The measures, their links and the dashboard's counts; the links (a pass of their own
    /// over the records, about as long as the measures) on a second thread.
    fn compute(&self, def: &RecordSetDef, rec: &Records) -> Computed {
        std::thread::scope(|s| {
            let links = s.spawn(|| measure_links(def, rec));
            let series = compute_measures(def, rec, &self.levels);
            let aggregates = self.aggregates(def, rec);
            Computed {
                series,
                links: links
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                aggregates,
                levels: self.levels.len(),
            }
        })
    }

    /// The operational dashboard's counts (JSON), from the same records, once per import; its
    /// figures are made from them against each publication (`peil_compute::dashboard`).
    fn aggregates(&self, def: &RecordSetDef, rec: &Records) -> Option<String> {
        def.dashboard.as_ref().map(|d| {
            let by_area: Vec<AreaLevel> = self
                .levels
                .iter()
                .zip(&self.names)
                .map(|(map, names)| AreaLevel {
                    map,
                    names: names.clone(),
                })
                .collect();
            let agg = Aggregates::build(def, d, rec, &by_area);
            serde_json::to_string(&agg).expect("counts are JSON")
        })
    }
}

/// Counts and stores the dashboard of a set that declares one but has no stored counts (a set
/// imported before they were stored), from its stored records, in one transaction. Whether
/// it stored them.
pub fn store_dashboard(store: &mut Store, set: &str) -> peil_store::Result<bool> {
    let mut tx = store.begin()?;
    let Some(def) = tx.record_set(set)? else {
        return Ok(false);
    };
    if def.dashboard.is_none() {
        return Ok(false);
    }
    let rec = tx.records(&def)?;
    let inputs = Inputs::read(&tx, &def, &rec).map_err(|e| match e {
        ImportError::Store(s) => s,
        other => peil_store::StoreError::Invalid(other.to_string()),
    })?;
    tx.put_dashboard(set, inputs.aggregates(&def, &rec).as_deref())?;
    tx.commit()?;
    Ok(true)
}

/// Computes the set's measures (and dashboard) and writes them: indicators, then every value
/// (the measures' old values cleared first, so a cell that has no records any more has no
/// value).
fn write_measures(
    tx: &mut ImportTx,
    def: &RecordSetDef,
    rec: &Records,
    out: &mut RecordsOutcome,
) -> Result<()> {
    let computed = Inputs::read(tx, def, rec)?.compute(def, rec);
    write_computed(tx, def, computed, out)
}

/// Writes computed measures and the dashboard.
fn write_computed(
    tx: &mut ImportTx,
    def: &RecordSetDef,
    computed: Computed,
    out: &mut RecordsOutcome,
) -> Result<()> {
    // Relations across periods or levels: refused (secondary suppression works cell by cell).
    let gaps = peil_compute::measures::period_gaps(def, &computed.links);
    for g in &gaps {
        out.problems.error(
            &Place::file(&def.name),
            None,
            Some("periods"),
            None,
            g.clone(),
        );
    }
    if !gaps.is_empty() {
        return Ok(());
    }
    let mut meta = MetadataBatch::default();
    for m in &def.measures {
        meta.indicators
            .extend(indicators(tx, def, m, &computed.links)?);
    }
    // A search for measures that add up that stopped at a limit: the statistician is told
    // (the group is hidden together, which protects it at the cost of more hidden cells).
    for note in &computed.links.notes {
        out.problems
            .warning(&Place::file(&def.name), None, None, None, note.clone());
    }
    let rc = tx.apply_metadata(&meta)?;
    out.indicators = rc.inserted + rc.updated + rc.unchanged;
    tx.put_dashboard(&def.name, computed.aggregates.as_deref())?;
    let batch = data_batch(computed.series);
    out.values = tx.apply_data(
        &batch,
        &DataOptions {
            clear: ClearMode::Indicators,
            adjust_periods: true,
            ..DataOptions::default()
        },
    )?;
    out.recomputed = true;
    out.summary.push(format!(
        "{} measures on {} levels: {} values ({} new, {} changed, {} unchanged)",
        def.measures.len(),
        computed.levels,
        batch.records.len(),
        out.values.inserted,
        out.values.updated,
        out.values.unchanged
    ));
    Ok(())
}

fn data_batch(series: Vec<MeasureSeries>) -> DataBatch {
    let mut batch = DataBatch::default();
    for (k, s) in series.into_iter().enumerate() {
        batch.series.push(SeriesKey {
            indicator: s.code,
            level: s.level,
            period: s.period,
            dims: DimKey::default(),
        });
        batch
            .records
            .extend(s.values.into_iter().map(|(item, value)| DataRecord {
                series: k as u32,
                item,
                value,
            }));
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(dir: &Path) -> Store {
        let mut store = Store::create(&dir.join("peil.sqlite")).unwrap();
        let mut tx = store.begin().unwrap();
        let item = |code: &str| GeoItem {
            code: code.into(),
            short_name: code.into(),
            name: code.into(),
            seq: 0,
            unknown_location: false,
        };
        for (level, items) in [("wijk", vec!["W1", "W2"]), ("gemeente", vec!["G"])] {
            tx.apply_areas(&AreaBatch {
                level: GeoLevel::new(level),
                items: items.into_iter().map(item).collect(),
            })
            .unwrap();
        }
        tx.apply_links(&LinkBatch {
            child_level: "wijk".into(),
            parent_level: "gemeente".into(),
            kind: EdgeKind::Aggregation,
            links: vec![("W1".into(), "G".into()), ("W2".into(), "G".into())],
        })
        .unwrap();
        tx.commit().unwrap();
        store
    }

    const DEF: &str = r#"name = "klachten"
id = "nr"
area = "wijk"
level = "wijk"
dates = ["in", "uit"]
threshold = 2
[[measure]]
code = "kl"
name = "Klachten"
kind = "count"
date = "in"
periods = ["year"]
[[measure]]
code = "kl_duur"
name = "Behandeltijd"
kind = "median"
date = "in"
from = "in"
to = "uit"
periods = ["year"]
"#;

    fn values(store: &Store, code: &str) -> Vec<(String, String, f64)> {
        let items: HashMap<u32, String> = ["wijk", "gemeente"]
            .iter()
            .flat_map(|l| store.catalog().unwrap().levels[*l].items.clone())
            .map(|(c, id)| (id, c))
            .collect();
        let mut out = Vec::new();
        for s in store.series_of(Some(&[code])).unwrap() {
            for (item, v) in s.values {
                out.push((
                    s.key.level.clone(),
                    items[&item].clone(),
                    v.number().unwrap(),
                ));
            }
        }
        out.sort_by(|a, b| a.partial_cmp(b).unwrap());
        out
    }

    #[test]
    fn import_replaces_by_id_recomputes_and_refuses_bad_rows_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = site(dir.path());
        let def = dir.path().join("d.toml");
        std::fs::write(&def, DEF).unwrap();
        let csv = dir.path().join("k.csv");
        std::fs::write(&csv, "nr;wijk;in;uit\n1;W1;2024-01-02;2024-01-04\n2;W1;2024-02-01;2024-02-11\n3;W2;2024-03-01;\n").unwrap();
        let req = RecordsRequest::default();
        let out = import_records(&mut store, &def, &csv, &req).unwrap();
        assert!(!out.problems.has_errors(), "{:?}", out.problems);
        assert_eq!(out.records.inserted, 3);
        assert_eq!(
            values(&store, "kl"),
            vec![
                ("gemeente".into(), "G".into(), 3.0),
                ("wijk".into(), "W1".into(), 2.0),
                ("wijk".into(), "W2".into(), 1.0)
            ]
        );
        // W1: 2 and 10 days; W2's complaint is open.
        assert_eq!(
            values(&store, "kl_duur"),
            vec![
                ("gemeente".into(), "G".into(), 6.0),
                ("wijk".into(), "W1".into(), 6.0)
            ]
        );
        let ind = store.indicator("kl_duur").unwrap().unwrap();
        assert_eq!(ind.threshold_indicator.as_deref(), Some("kl_duur_n"));

        // Record 3 is closed and moves to W1; record 4 is new; 1 and 2 stay as they were.
        std::fs::write(
            &csv,
            "nr;wijk;in;uit\n3;W1;2024-03-01;2024-03-31\n4;W2;2024-04-01;2024-04-02\n",
        )
        .unwrap();
        let out = import_records(&mut store, &def, &csv, &req).unwrap();
        assert_eq!(
            (
                out.records.inserted,
                out.records.updated,
                out.records.unchanged
            ),
            (1, 1, 0)
        );
        assert_eq!(
            values(&store, "kl"),
            vec![
                ("gemeente".into(), "G".into(), 4.0),
                ("wijk".into(), "W1".into(), 3.0),
                ("wijk".into(), "W2".into(), 1.0)
            ]
        );
        // W1: 2, 10, 30 → 10; the municipality: 1, 2, 10, 30 → 6.
        assert_eq!(
            values(&store, "kl_duur"),
            vec![
                ("gemeente".into(), "G".into(), 6.0),
                ("wijk".into(), "W1".into(), 10.0),
                ("wijk".into(), "W2".into(), 1.0)
            ]
        );

        // A bad row refuses the whole file: nothing changes.
        let before = (
            values(&store, "kl"),
            store.record_sets().unwrap()[0].records,
        );
        std::fs::write(&csv, "nr;wijk;in;uit\n5;W1;2024-05-01;\n6;W9;2024-05-01;\n").unwrap();
        let out = import_records(&mut store, &def, &csv, &req).unwrap();
        let p: Vec<String> = out.problems.errors().map(|p| p.to_string()).collect();
        assert_eq!(
            p,
            vec!["k.csv, row 3, column 'wijk': found 'W9'; expected an area code of level wijk"]
        );
        assert_eq!(
            before,
            (
                values(&store, "kl"),
                store.record_sets().unwrap()[0].records
            )
        );

        // --replace: the set becomes the file.
        std::fs::write(&csv, "nr;wijk;in;uit\n4;W2;2024-04-01;2024-04-02\n").unwrap();
        let out = import_records(
            &mut store,
            &def,
            &csv,
            &RecordsRequest {
                replace_all: true,
                ..req
            },
        )
        .unwrap();
        assert_eq!((out.records.removed, out.records.unchanged), (3, 1));
        assert_eq!(
            values(&store, "kl"),
            vec![
                ("gemeente".into(), "G".into(), 1.0),
                ("wijk".into(), "W2".into(), 1.0)
            ]
        );
    }

    /// A search for measures that add up that stops at a limit hides the group together (in
    /// the measures' metadata) and says so in the import's report.
    #[test]
    fn a_search_past_its_limits_is_reported_and_hides_together() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = site(dir.path());
        let mut def = DEF.replace(
            "dates = [\"in\", \"uit\"]",
            "dates = [\"in\", \"uit\"]\ncategories = [\"soort\"]",
        );
        let mut csv = String::from("nr;wijk;in;uit;soort\n");
        for k in 0..30 {
            def.push_str(&format!(
                "[[measure]]\ncode = \"kl_s{k}\"\nname = \"s{k}\"\nkind = \"count\"\ndate = \"in\"\nperiods = [\"year\"]\nwhere = {{ soort = [\"s{k}\"] }}\n"
            ));
            csv.push_str(&format!("{k};W1;2024-01-02;;s{k}\n"));
        }
        let def_path = dir.path().join("d.toml");
        std::fs::write(&def_path, def).unwrap();
        let csv_path = dir.path().join("k.csv");
        std::fs::write(&csv_path, csv).unwrap();
        let out =
            import_records(&mut store, &def_path, &csv_path, &RecordsRequest::default()).unwrap();
        assert!(!out.problems.has_errors(), "{:?}", out.problems);
        let warned: Vec<String> = out
            .problems
            .warnings()
            .map(|w| w.to_string())
            .filter(|l| l.contains("hidden together"))
            .collect();
        assert_eq!(warned.len(), 1, "{:?}", out.problems);
        assert_eq!(out.problems.warnings().count(), 1);
        let ind = store.indicator("kl_s3").unwrap().unwrap();
        assert_eq!(
            ind.extra.get(HIDDEN_TOGETHER).map(String::as_str),
            Some("klachten: records by in")
        );
    }

    /// A monthly count beside a yearly count that equals it: the year is a sum of months the
    /// suppression of one cell cannot see. Refused, saying what to add; nothing stored.
    #[test]
    fn measures_that_add_up_across_periods_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = site(dir.path());
        let def = DEF.replace(
            "code = \"kl\"\nname = \"Klachten\"\nkind = \"count\"\ndate = \"in\"\nperiods = [\"year\"]",
            "code = \"kl\"\nname = \"Klachten\"\nkind = \"count\"\ndate = \"in\"\nperiods = [\"year\"]\n[[measure]]\ncode = \"kl_m\"\nname = \"Per maand\"\nkind = \"count\"\ndate = \"in\"\nperiods = [\"month\"]",
        );
        assert!(def.contains("kl_m"));
        let def_path = dir.path().join("d.toml");
        std::fs::write(&def_path, &def).unwrap();
        let csv_path = dir.path().join("k.csv");
        std::fs::write(
            &csv_path,
            "nr;wijk;in;uit\n1;W1;2024-01-02;\n2;W2;2024-03-02;\n",
        )
        .unwrap();
        let out =
            import_records(&mut store, &def_path, &csv_path, &RecordsRequest::default()).unwrap();
        let p: Vec<String> = out.problems.errors().map(|p| p.to_string()).collect();
        assert!(
            p.iter()
                .any(|e| e.contains("add \"year\" to the periods of kl_m")),
            "{p:?}"
        );
        assert!(store.record_sets().unwrap().is_empty(), "nothing stored");
        assert!(store.indicator("kl_m").unwrap().is_none());

        // With the year added to the monthly count: imported.
        std::fs::write(
            &def_path,
            def.replace("periods = [\"month\"]", "periods = [\"month\", \"year\"]"),
        )
        .unwrap();
        let out =
            import_records(&mut store, &def_path, &csv_path, &RecordsRequest::default()).unwrap();
        assert!(!out.problems.has_errors(), "{:?}", out.problems);
        assert_eq!(store.record_sets().unwrap().len(), 1);
    }
}
