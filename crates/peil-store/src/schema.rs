//! Versioned schema migrations. Each migration runs once, in order, inside a transaction;
//! `PRAGMA user_version` records how far a store file has come.

pub const MIGRATIONS: &[&str] = &[
    // 1: the warehouse core.
    r#"
CREATE TABLE site_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE geo_level (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
);

CREATE TABLE geo_item (
    id INTEGER PRIMARY KEY,
    level_id INTEGER NOT NULL REFERENCES geo_level(id),
    code TEXT NOT NULL,
    short_name TEXT NOT NULL,
    name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    unknown_location INTEGER NOT NULL,
    UNIQUE (level_id, code)
);

CREATE TABLE level_edge (
    child_level_id INTEGER NOT NULL REFERENCES geo_level(id),
    parent_level_id INTEGER NOT NULL REFERENCES geo_level(id),
    kind TEXT NOT NULL,
    PRIMARY KEY (child_level_id, parent_level_id)
);

CREATE TABLE item_link (
    child_item_id INTEGER NOT NULL REFERENCES geo_item(id),
    parent_level_id INTEGER NOT NULL REFERENCES geo_level(id),
    parent_item_id INTEGER NOT NULL REFERENCES geo_item(id),
    PRIMARY KEY (child_item_id, parent_level_id)
) WITHOUT ROWID;
CREATE INDEX item_link_parent ON item_link (parent_item_id);

CREATE TABLE geometry (
    item_id INTEGER PRIMARY KEY REFERENCES geo_item(id),
    full_geojson TEXT NOT NULL,
    web_geojson TEXT NOT NULL,
    min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL,
    source_crs TEXT NOT NULL
);

CREATE TABLE indicator (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    more_info TEXT NOT NULL,
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    data_type TEXT NOT NULL,
    period_type TEXT NOT NULL,
    aggregation_indicator TEXT,
    sample_indicator TEXT,
    stddev_indicator TEXT,
    population_indicator TEXT,
    threshold REAL,
    threshold_indicator TEXT,
    rounding REAL,
    decimals INTEGER,
    formula TEXT,
    non_aggregable INTEGER NOT NULL,
    status TEXT NOT NULL,
    visibility TEXT NOT NULL,
    protected INTEGER NOT NULL,
    start_period TEXT,
    end_period TEXT,
    dim_levels TEXT NOT NULL,
    seq INTEGER,
    provisional_period TEXT,
    forecast_period TEXT,
    non_aggregable_periods INTEGER NOT NULL,
    footnote TEXT NOT NULL,
    exclude_from_search INTEGER NOT NULL,
    extra TEXT NOT NULL
);

CREATE TABLE theme (
    code TEXT PRIMARY KEY,
    parent TEXT,
    name TEXT NOT NULL,
    seq INTEGER NOT NULL
);

CREATE TABLE indicator_theme (
    indicator_id INTEGER NOT NULL REFERENCES indicator(id),
    theme_code TEXT NOT NULL REFERENCES theme(code),
    PRIMARY KEY (indicator_id, theme_code)
) WITHOUT ROWID;

CREATE TABLE dimension (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE dim_level (
    code TEXT PRIMARY KEY,
    dimension TEXT NOT NULL REFERENCES dimension(code),
    name TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE dim_member (
    level TEXT NOT NULL REFERENCES dim_level(code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (level, code)
) WITHOUT ROWID;
CREATE TABLE dim_link (
    level TEXT NOT NULL,
    member TEXT NOT NULL,
    parent_level TEXT NOT NULL,
    parent_member TEXT NOT NULL,
    PRIMARY KEY (level, member, parent_level),
    FOREIGN KEY (level, member) REFERENCES dim_member(level, code),
    FOREIGN KEY (parent_level, parent_member) REFERENCES dim_member(level, code)
) WITHOUT ROWID;

CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicator(id),
    level_id INTEGER NOT NULL REFERENCES geo_level(id),
    period TEXT NOT NULL,
    period_level TEXT NOT NULL,
    dims TEXT NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (indicator_id, level_id, period, dims)
);

CREATE TABLE import_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    kind TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    options TEXT NOT NULL,
    counts TEXT NOT NULL,
    warnings INTEGER NOT NULL
);
"#,
    // 2: the live copy — what `peil publish` made public, privacy rules applied.
    r#"
CREATE TABLE publication (
    generation INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    stats TEXT NOT NULL,
    -- The indicator metadata as published (JSON), so that the live copy stands on its own.
    indicators TEXT NOT NULL
);

-- The items of each level in the order of the live series' dense values.
CREATE TABLE live_level (
    level TEXT PRIMARY KEY,
    ids BLOB NOT NULL
);

CREATE TABLE live_series (
    id INTEGER PRIMARY KEY,
    indicator TEXT NOT NULL,
    level TEXT NOT NULL,
    period TEXT NOT NULL,
    dims TEXT NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (indicator, level, period, dims)
);
"#,
    // 3: API keys, stored hashed, scoped to access groups.
    r#"
CREATE TABLE api_key (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    groups TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);
"#,
    // 4: declared sum relations between indicators ("total of"), a JSON list of codes.
    r#"
ALTER TABLE indicator ADD COLUMN total_of TEXT NOT NULL DEFAULT '[]';
"#,
    // 5: the back office: users (Argon2id hashes), sessions (ids stored hashed) and the
    // audit log, which triggers keep append-only.
    r#"
CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'expert', 'beheerder')),
    groups TEXT NOT NULL,
    -- NULL for users who log in elsewhere only (a provider, later).
    password_hash TEXT,
    -- Where the user comes from: 'password' (this store), or a provider's name.
    source TEXT NOT NULL DEFAULT 'password',
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);

CREATE TABLE app_session (
    id_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    client TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX app_session_user ON app_session (user_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    client TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    // 6: access groups (issue 14): what each group is granted beyond public data. Lists are JSON
    // arrays of codes; periods are period codes, NULL for no bound. Every change bumps
    // `site_meta.access_revision`, which a running server polls.
    r#"
CREATE TABLE access_group (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    indicators TEXT NOT NULL DEFAULT '[]',
    themes TEXT NOT NULL DEFAULT '[]',
    sources TEXT NOT NULL DEFAULT '[]',
    levels TEXT NOT NULL DEFAULT '[]',
    dim_levels TEXT NOT NULL DEFAULT '[]',
    period_from TEXT,
    period_to TEXT,
    changed TEXT NOT NULL
);
INSERT OR IGNORE INTO site_meta (key, value) VALUES ('access_revision', '0');
"#,
    // 7: the back office (issue 14): what each import replaced, so that an unpublished import
    // can be undone; its plausibility warnings; the last publications, kept for rollback.
    r#"
CREATE TABLE import_review (
    import_id INTEGER PRIMARY KEY REFERENCES import_log(id),
    -- 1 when the import's previous contents were recorded (data and metadata imports).
    undoable INTEGER NOT NULL,
    -- The plausibility warnings of the import (JSON list).
    plausibility TEXT NOT NULL,
    undone_at TEXT
);

-- A series as it was before an import first touched it; data NULL: it did not exist.
CREATE TABLE import_undo_series (
    import_id INTEGER NOT NULL REFERENCES import_log(id),
    indicator_id INTEGER NOT NULL,
    level_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    dims TEXT NOT NULL,
    period_level TEXT NOT NULL,
    n INTEGER,
    data BLOB,
    PRIMARY KEY (import_id, indicator_id, level_id, period, dims)
) WITHOUT ROWID;
CREATE INDEX import_undo_series_key ON import_undo_series (indicator_id, level_id, period, dims);

-- An indicator's metadata (JSON) before an import first changed it; NULL: the import created it.
CREATE TABLE import_undo_indicator (
    import_id INTEGER NOT NULL REFERENCES import_log(id),
    code TEXT NOT NULL,
    before TEXT,
    PRIMARY KEY (import_id, code)
) WITHOUT ROWID;
CREATE INDEX import_undo_indicator_code ON import_undo_indicator (code);

-- Per publication: the last import it contains, what it restored (rollback), whether its
-- contents are still kept (the last `keep_publications`).
CREATE TABLE publication_note (
    generation INTEGER PRIMARY KEY,
    last_import INTEGER NOT NULL,
    restored_from INTEGER,
    kept INTEGER NOT NULL
);
CREATE TABLE publication_level (
    generation INTEGER NOT NULL,
    level TEXT NOT NULL,
    ids BLOB NOT NULL,
    PRIMARY KEY (generation, level)
) WITHOUT ROWID;
CREATE TABLE publication_series (
    generation INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    level TEXT NOT NULL,
    period TEXT NOT NULL,
    dims TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (generation, indicator, level, period, dims)
);
"#,
    // 8: the theme tree edited in the back office and the preview of the test copy (issue 14,
    // themes/preview): each publication keeps the theme tree it published (JSON; NULL for
    // publications made before, whose readers fall back to the current tables); a session
    // remembers whether its expert previews the test copy; `site_meta.test_revision` counts
    // changes to the test copy (imports, undos, theme edits), so that a preview is rebuilt.
    r#"
ALTER TABLE publication ADD COLUMN themes TEXT;
ALTER TABLE app_session ADD COLUMN preview INTEGER NOT NULL DEFAULT 0;
INSERT OR IGNORE INTO site_meta (key, value) VALUES ('test_revision', '0');
CREATE TRIGGER test_revision_import AFTER INSERT ON import_log
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
CREATE TRIGGER test_revision_undo AFTER UPDATE ON import_review
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
CREATE TRIGGER test_revision_theme_insert AFTER INSERT ON theme
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
CREATE TRIGGER test_revision_theme_update AFTER UPDATE ON theme
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
CREATE TRIGGER test_revision_theme_delete AFTER DELETE ON theme
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
CREATE TRIGGER test_revision_placement_insert AFTER INSERT ON indicator_theme
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
CREATE TRIGGER test_revision_placement_delete AFTER DELETE ON indicator_theme
BEGIN UPDATE site_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'test_revision'; END;
"#,
    // 9: every version of a site file the back office saved (issue 14, content versions):
    // stories, dashboards and peil.toml, with who saved it and when; a restore is a new
    // version that names the one it restored.
    r#"
CREATE TABLE content_version (
    id INTEGER PRIMARY KEY,
    -- The file, relative to the site directory: stories/x.md, dashboards/x.toml, peil.toml.
    path TEXT NOT NULL,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    -- save, restore, or found (the file as it was on disk before its first save here).
    action TEXT NOT NULL,
    restored_from INTEGER,
    text TEXT NOT NULL
);
CREATE INDEX content_version_path ON content_version (path, id);
"#,
    // 10: pull provenance (issue 15, pull provenance): per source and pulled indicator, where it
    // came from (the source's URL and code), when, the content hash of its metadata and values as
    // the source published them (what makes the next pull incremental), the pull that wrote it,
    // and when the source stopped offering it (flagged, never deleted).
    r#"
CREATE TABLE pull_provenance (
    source TEXT NOT NULL,
    code TEXT NOT NULL,
    remote_code TEXT NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    hash TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES import_log(id),
    gone_at TEXT,
    PRIMARY KEY (source, code)
) WITHOUT ROWID;
"#,
    // 11: names held back until publish, and users of a provider by its subject (issue 14).
    // Each publication keeps the names its readers see: every level's name and its items'
    // names (a JSON list of [short name, name] in the order of `ids`) in live_level and
    // publication_level, and the period level names in publication (JSON, `PeriodLevelNames`);
    // NULL for publications made before, which show the current tables and Peil's own period
    // level names. `period_level_name` holds the names the site gave period levels (the test
    // copy). `import_undo_name` holds a level's, an area's or a period level's names before
    // an edit first changed them (JSON; NULL: it had none of its own), so that an unpublished
    // rename is undone like a metadata edit. An OpenID Connect user is found again by the
    // provider's issuer and subject (`sub`), never by a name the provider may change.
    r#"
ALTER TABLE live_level ADD COLUMN level_name TEXT;
ALTER TABLE live_level ADD COLUMN item_names TEXT;
ALTER TABLE publication_level ADD COLUMN level_name TEXT;
ALTER TABLE publication_level ADD COLUMN item_names TEXT;
ALTER TABLE publication ADD COLUMN period_level_names TEXT;
CREATE TABLE period_level_name (
    level TEXT NOT NULL,
    locale TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (level, locale)
) WITHOUT ROWID;
CREATE TABLE import_undo_name (
    import_id INTEGER NOT NULL REFERENCES import_log(id),
    -- 'level' (code: the level), 'item' (code: level TAB item), 'period' (code: the period level).
    what TEXT NOT NULL,
    code TEXT NOT NULL,
    before TEXT,
    PRIMARY KEY (import_id, what, code)
) WITHOUT ROWID;
CREATE INDEX import_undo_name_code ON import_undo_name (what, code);
ALTER TABLE app_user ADD COLUMN oidc_issuer TEXT;
ALTER TABLE app_user ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX app_user_oidc ON app_user (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;
"#,
    // 12: scheduled runs (issue 15, source runs): every run of a source (`peil pull`, or the
    // scheduler of `peil serve`) and of the scheduled publish (issue 14), with its start, end,
    // outcome, counts and error; a file source's URL and content hash, which make the next run
    // skip an unchanged file. Append-only: kept as the history `peil sources` shows.
    r#"
CREATE TABLE source_run (
    id INTEGER PRIMARY KEY,
    -- 'source' (a [[sources]] entry) or 'publish' (the scheduled publish).
    task TEXT NOT NULL,
    -- The source's name; '' for the scheduled publish.
    name TEXT NOT NULL,
    -- 'schedule', 'command', or 'after NAME' (a publish after a source's run).
    trigger TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    -- 'imported', 'unchanged', 'published' or 'failed'.
    outcome TEXT NOT NULL,
    counts TEXT NOT NULL,
    error TEXT,
    import_id INTEGER,
    generation INTEGER,
    url TEXT,
    content_hash TEXT
);
CREATE INDEX source_run_name ON source_run (task, name, id);
CREATE TRIGGER source_run_no_update BEFORE UPDATE ON source_run
BEGIN SELECT RAISE(ABORT, 'source runs are append-only'); END;
"#,
    // 13: record data (issue 17, records and measures): per record set its definition (JSON of
    // `peil_core::records::RecordSetDef`: columns and measures) and, per record, its id, area
    // item and the rest of its row encoded by `records::encode` (dates, categories, numbers in
    // the definition's order). Records are never published: no reader-facing code reads them;
    // only the measures computed from them are written as ordinary series.
    r#"
CREATE TABLE record_set (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE record (
    set_name TEXT NOT NULL REFERENCES record_set(name),
    id TEXT NOT NULL,
    item_id INTEGER NOT NULL REFERENCES geo_item(id),
    data BLOB NOT NULL,
    PRIMARY KEY (set_name, id)
) WITHOUT ROWID;
"#,
    // 14: cluster levels (issue 18): named groups of the areas of one member level, overlapping
    // allowed and outside the strict hierarchy (`item_link` allows one parent per level). The
    // clusters are the cluster level's items in `geo_item`; `clusters.rs` writes and reads these.
    r#"
CREATE TABLE cluster_level (
    level_id INTEGER PRIMARY KEY REFERENCES geo_level(id),
    member_level_id INTEGER NOT NULL REFERENCES geo_level(id)
);
CREATE TABLE cluster_member (
    cluster_item_id INTEGER NOT NULL REFERENCES geo_item(id),
    member_item_id INTEGER NOT NULL REFERENCES geo_item(id),
    PRIMARY KEY (cluster_item_id, member_item_id)
) WITHOUT ROWID;
"#,
    // 15: policy monitoring (issue 17, the plan): per plan its definition (JSON of
    // `peil_core::plan::Plan`: goal levels, goals, KPIs with targets and bands, public or not),
    // replaced whole by an import or a back-office edit; and the check-ins, append-only: per
    // KPI and year a comment and, for a KPI without a data source, its value (the latest
    // check-in of a KPI and year counts), who entered it and when.
    r#"
CREATE TABLE plan (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE plan_checkin (
    id INTEGER PRIMARY KEY,
    plan TEXT NOT NULL REFERENCES plan(name),
    kpi TEXT NOT NULL,
    year INTEGER NOT NULL,
    value REAL,
    comment TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX plan_checkin_kpi ON plan_checkin (plan, kpi, year, id);
CREATE TRIGGER plan_checkin_no_update BEFORE UPDATE ON plan_checkin
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;
CREATE TRIGGER plan_checkin_no_delete BEFORE DELETE ON plan_checkin
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only'); END;
"#,
    // 16: operational dashboards (issue 17): per record set with a dashboard, every figure the
    // dashboard can show, through the set's threshold (JSON of
    // `peil_compute::dashboard::Published`), written by the import that changed the set, so
    // a request only reads it.
    r#"
CREATE TABLE record_dashboard (
    set_name TEXT PRIMARY KEY REFERENCES record_set(name),
    published TEXT NOT NULL,
    computed_at TEXT NOT NULL
);
"#,
];
