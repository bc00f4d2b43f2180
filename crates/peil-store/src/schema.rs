//! Versioned schema migrations. Each migration runs once, in order, inside a transaction;
//! `PRAGMA user_version` records how far a store file has come, and on PostgreSQL the table
//! `peil_schema_version` in the site's schema.
//!
//! Every migration is written twice, [`MIGRATIONS`] for SQLite and [`PG_MIGRATIONS`] for
//! PostgreSQL, the same number of each (a new one is added to both): DDL differs too much
//! between the two for a rewrite to be trusted. On PostgreSQL integers are `BIGINT` (SQLite's
//! are 64-bit), reals `DOUBLE PRECISION`, blobs `BYTEA`, an `id` key (and a publication's
//! generation) an identity column, and every text column `COLLATE "C"`, so that text sorts and
//! compares by code point as on SQLite, whatever the database's locale; SQLite's row triggers
//! are row triggers calling a function; `WITHOUT ROWID` has no counterpart (every PostgreSQL
//! table is a heap with its key as an index). The test `schemas_agree` (below) compares
//! the tables, columns, keys and indexes both make.

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
"#, // 17: the operational dashboards' counts (JSON of `peil_compute::dashboard::Aggregates`)
    // instead of their published figures, which depend on the publication readers are served
    // and are made from the counts per publication; the stored figures are dropped, and every
    // set's counts are made again on first use.
    r#"
DELETE FROM record_dashboard;
ALTER TABLE record_dashboard RENAME COLUMN published TO aggregates;
"#,
    // 18: what replicas of `peil serve` share (issue 16 §2; `replicas.rs`): failed logins per
    // client address (a count and the start of its window); leases of background work — who
    // holds one (a replica's random name) and until when; and the OpenID Connect logins under
    // way (by the SHA-256 of their state), so the provider may send the browser back to any
    // replica.
    r#"
CREATE TABLE login_failure (
    address TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    since TEXT NOT NULL
);
CREATE INDEX login_failure_since ON login_failure (since);
CREATE TABLE lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE TABLE oidc_flow (
    state_sha256 TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    started TEXT NOT NULL
);
CREATE INDEX oidc_flow_started ON oidc_flow (started);
"#,
    // 19: nothing on SQLite. PostgreSQL stores series blobs uncompressed (below); SQLite
    // always stored blobs as they are.
    "-- blobs are stored as they are",
    // 20: bulk report jobs shared by replicas (issue 16 §2; `jobs.rs`): each job with who
    // started it, its progress, its state, whether a stop was asked, until when its runner's
    // lease holds (a runner that stops renewing it is taken for dead), and while it runs one
    // of the site's slots (unique: a job is started only into a free slot, so the bound on
    // jobs running at once holds for the site); its ZIP in chunks, deleted with the job.
    r#"
CREATE TABLE report_job (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    slot INTEGER UNIQUE,
    started_by TEXT NOT NULL,
    title TEXT NOT NULL,
    total INTEGER NOT NULL,
    done INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'cancelled')),
    error TEXT,
    cancel INTEGER NOT NULL,
    lease_until TEXT NOT NULL,
    size INTEGER,
    created TEXT NOT NULL,
    finished TEXT
);
CREATE INDEX report_job_seq ON report_job (seq);
CREATE TABLE report_job_chunk (
    job INTEGER NOT NULL REFERENCES report_job(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (job, seq)
);
"#,
];

/// The same migrations for PostgreSQL, one for one (see the module's comment).
pub const PG_MIGRATIONS: &[&str] = &[
    // 1: the warehouse core.
    r#"
CREATE TABLE site_meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL);

CREATE TABLE geo_level (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL
);

CREATE TABLE geo_item (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    level_id BIGINT NOT NULL REFERENCES geo_level(id),
    code TEXT COLLATE "C" NOT NULL,
    short_name TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    unknown_location BIGINT NOT NULL,
    UNIQUE (level_id, code)
);

CREATE TABLE level_edge (
    child_level_id BIGINT NOT NULL REFERENCES geo_level(id),
    parent_level_id BIGINT NOT NULL REFERENCES geo_level(id),
    kind TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (child_level_id, parent_level_id)
);

CREATE TABLE item_link (
    child_item_id BIGINT NOT NULL REFERENCES geo_item(id),
    parent_level_id BIGINT NOT NULL REFERENCES geo_level(id),
    parent_item_id BIGINT NOT NULL REFERENCES geo_item(id),
    PRIMARY KEY (child_item_id, parent_level_id)
);
CREATE INDEX item_link_parent ON item_link (parent_item_id);

CREATE TABLE geometry (
    item_id BIGINT PRIMARY KEY REFERENCES geo_item(id),
    full_geojson TEXT COLLATE "C" NOT NULL,
    web_geojson TEXT COLLATE "C" NOT NULL,
    min_lon DOUBLE PRECISION NOT NULL, min_lat DOUBLE PRECISION NOT NULL, max_lon DOUBLE PRECISION NOT NULL, max_lat DOUBLE PRECISION NOT NULL,
    source_crs TEXT COLLATE "C" NOT NULL
);

CREATE TABLE indicator (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    more_info TEXT COLLATE "C" NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    data_type TEXT COLLATE "C" NOT NULL,
    period_type TEXT COLLATE "C" NOT NULL,
    aggregation_indicator TEXT COLLATE "C",
    sample_indicator TEXT COLLATE "C",
    stddev_indicator TEXT COLLATE "C",
    population_indicator TEXT COLLATE "C",
    threshold DOUBLE PRECISION,
    threshold_indicator TEXT COLLATE "C",
    rounding DOUBLE PRECISION,
    decimals BIGINT,
    formula TEXT COLLATE "C",
    non_aggregable BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    visibility TEXT COLLATE "C" NOT NULL,
    protected BIGINT NOT NULL,
    start_period TEXT COLLATE "C",
    end_period TEXT COLLATE "C",
    dim_levels TEXT COLLATE "C" NOT NULL,
    seq BIGINT,
    provisional_period TEXT COLLATE "C",
    forecast_period TEXT COLLATE "C",
    non_aggregable_periods BIGINT NOT NULL,
    footnote TEXT COLLATE "C" NOT NULL,
    exclude_from_search BIGINT NOT NULL,
    extra TEXT COLLATE "C" NOT NULL
);

CREATE TABLE theme (
    code TEXT COLLATE "C" PRIMARY KEY,
    parent TEXT COLLATE "C",
    name TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL
);

CREATE TABLE indicator_theme (
    indicator_id BIGINT NOT NULL REFERENCES indicator(id),
    theme_code TEXT COLLATE "C" NOT NULL REFERENCES theme(code),
    PRIMARY KEY (indicator_id, theme_code)
);

CREATE TABLE dimension (code TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL);
CREATE TABLE dim_level (
    code TEXT COLLATE "C" PRIMARY KEY,
    dimension TEXT COLLATE "C" NOT NULL REFERENCES dimension(code),
    name TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL
);
CREATE TABLE dim_member (
    level TEXT COLLATE "C" NOT NULL REFERENCES dim_level(code),
    code TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (level, code)
);
CREATE TABLE dim_link (
    level TEXT COLLATE "C" NOT NULL,
    member TEXT COLLATE "C" NOT NULL,
    parent_level TEXT COLLATE "C" NOT NULL,
    parent_member TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (level, member, parent_level),
    FOREIGN KEY (level, member) REFERENCES dim_member(level, code),
    FOREIGN KEY (parent_level, parent_member) REFERENCES dim_member(level, code)
);

CREATE TABLE series (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    indicator_id BIGINT NOT NULL REFERENCES indicator(id),
    level_id BIGINT NOT NULL REFERENCES geo_level(id),
    period TEXT COLLATE "C" NOT NULL,
    period_level TEXT COLLATE "C" NOT NULL,
    dims TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    data BYTEA NOT NULL,
    UNIQUE (indicator_id, level_id, period, dims)
);

CREATE TABLE import_log (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL,
    who TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    file TEXT COLLATE "C" NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    options TEXT COLLATE "C" NOT NULL,
    counts TEXT COLLATE "C" NOT NULL,
    warnings BIGINT NOT NULL
);
"#,
    // 2: the live copy — what `peil publish` made public, privacy rules applied.
    r#"
CREATE TABLE publication (
    generation BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL,
    who TEXT COLLATE "C" NOT NULL,
    stats TEXT COLLATE "C" NOT NULL,
    -- The indicator metadata as published (JSON), so that the live copy stands on its own.
    indicators TEXT COLLATE "C" NOT NULL
);

-- The items of each level in the order of the live series' dense values.
CREATE TABLE live_level (
    level TEXT COLLATE "C" PRIMARY KEY,
    ids BYTEA NOT NULL
);

CREATE TABLE live_series (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    indicator TEXT COLLATE "C" NOT NULL,
    level TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    dims TEXT COLLATE "C" NOT NULL,
    data BYTEA NOT NULL,
    UNIQUE (indicator, level, period, dims)
);
"#,
    // 3: API keys, stored hashed, scoped to access groups.
    r#"
CREATE TABLE api_key (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL UNIQUE,
    groups TEXT COLLATE "C" NOT NULL,
    created TEXT COLLATE "C" NOT NULL,
    revoked TEXT COLLATE "C"
);
"#,
    // 4: declared sum relations between indicators ("total of"), a JSON list of codes.
    r#"
ALTER TABLE indicator ADD COLUMN total_of TEXT COLLATE "C" NOT NULL DEFAULT '[]';
"#,
    // 5: the back office: users (Argon2id hashes), sessions (ids stored hashed) and the
    // audit log, which triggers keep append-only.
    r#"
CREATE TABLE app_user (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    -- Unique without regard to ASCII case, as SQLite's NOCASE: lower() under "C" folds ASCII only.
    login TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'expert', 'beheerder')),
    groups TEXT COLLATE "C" NOT NULL,
    -- NULL for users who log in elsewhere only (a provider, later).
    password_hash TEXT COLLATE "C",
    -- Where the user comes from: 'password' (this store), or a provider's name.
    source TEXT COLLATE "C" NOT NULL DEFAULT 'password',
    disabled BIGINT NOT NULL DEFAULT 0,
    created TEXT COLLATE "C" NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT COLLATE "C"
);

CREATE TABLE app_session (
    id_sha256 TEXT COLLATE "C" PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
    csrf TEXT COLLATE "C" NOT NULL,
    created TEXT COLLATE "C" NOT NULL,
    last_seen TEXT COLLATE "C" NOT NULL,
    client TEXT COLLATE "C" NOT NULL,
    user_agent TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX app_user_login ON app_user (lower(login));
CREATE INDEX app_session_user ON app_session (user_id);

CREATE TABLE audit_log (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL,
    who TEXT COLLATE "C" NOT NULL,
    client TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    detail TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
-- Append-only tables refuse changes with the message their trigger names.
CREATE FUNCTION peil_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
FOR EACH ROW EXECUTE FUNCTION peil_append_only('the audit log is append-only');
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION peil_append_only('the audit log is append-only');
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION peil_append_only('the audit log is append-only');
"#,
    // 6: access groups (issue 14): what each group is granted beyond public data. Lists are JSON
    // arrays of codes; periods are period codes, NULL for no bound. Every change bumps
    // `site_meta.access_revision`, which a running server polls.
    r#"
CREATE TABLE access_group (
    name TEXT COLLATE "C" PRIMARY KEY,
    description TEXT COLLATE "C" NOT NULL,
    indicators TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    themes TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    sources TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    levels TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    dim_levels TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    period_from TEXT COLLATE "C",
    period_to TEXT COLLATE "C",
    changed TEXT COLLATE "C" NOT NULL
);
INSERT INTO site_meta (key, value) VALUES ('access_revision', '0') ON CONFLICT DO NOTHING;
"#,
    // 7: the back office (issue 14): what each import replaced, so that an unpublished import
    // can be undone; its plausibility warnings; the last publications, kept for rollback.
    r#"
CREATE TABLE import_review (
    import_id BIGINT PRIMARY KEY REFERENCES import_log(id),
    -- 1 when the import's previous contents were recorded (data and metadata imports).
    undoable BIGINT NOT NULL,
    -- The plausibility warnings of the import (JSON list).
    plausibility TEXT COLLATE "C" NOT NULL,
    undone_at TEXT COLLATE "C"
);

-- A series as it was before an import first touched it; data NULL: it did not exist.
CREATE TABLE import_undo_series (
    import_id BIGINT NOT NULL REFERENCES import_log(id),
    indicator_id BIGINT NOT NULL,
    level_id BIGINT NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    dims TEXT COLLATE "C" NOT NULL,
    period_level TEXT COLLATE "C" NOT NULL,
    n BIGINT,
    data BYTEA,
    PRIMARY KEY (import_id, indicator_id, level_id, period, dims)
);
CREATE INDEX import_undo_series_key ON import_undo_series (indicator_id, level_id, period, dims);

-- An indicator's metadata (JSON) before an import first changed it; NULL: the import created it.
CREATE TABLE import_undo_indicator (
    import_id BIGINT NOT NULL REFERENCES import_log(id),
    code TEXT COLLATE "C" NOT NULL,
    before TEXT COLLATE "C",
    PRIMARY KEY (import_id, code)
);
CREATE INDEX import_undo_indicator_code ON import_undo_indicator (code);

-- Per publication: the last import it contains, what it restored (rollback), whether its
-- contents are still kept (the last `keep_publications`).
CREATE TABLE publication_note (
    generation BIGINT PRIMARY KEY,
    last_import BIGINT NOT NULL,
    restored_from BIGINT,
    kept BIGINT NOT NULL
);
CREATE TABLE publication_level (
    generation BIGINT NOT NULL,
    level TEXT COLLATE "C" NOT NULL,
    ids BYTEA NOT NULL,
    PRIMARY KEY (generation, level)
);
CREATE TABLE publication_series (
    generation BIGINT NOT NULL,
    indicator TEXT COLLATE "C" NOT NULL,
    level TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    dims TEXT COLLATE "C" NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (generation, indicator, level, period, dims)
);
"#,
    // 8: the theme tree edited in the back office and the preview of the test copy (issue 14,
    // themes/preview): each publication keeps the theme tree it published (JSON; NULL for
    // publications made before, whose readers fall back to the current tables); a session
    // remembers whether its expert previews the test copy; `site_meta.test_revision` counts
    // changes to the test copy (imports, undos, theme edits), so that a preview is rebuilt.
    r#"
ALTER TABLE publication ADD COLUMN themes TEXT COLLATE "C";
ALTER TABLE app_session ADD COLUMN preview BIGINT NOT NULL DEFAULT 0;
INSERT INTO site_meta (key, value) VALUES ('test_revision', '0') ON CONFLICT DO NOTHING;
-- One more per changed row, as SQLite's row triggers count. The function keeps the schema it
-- was made in, whatever the caller's search path.
CREATE FUNCTION peil_test_revision() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE site_meta SET value = (CAST(value AS BIGINT) + 1)::text WHERE key = 'test_revision';
    RETURN NULL;
END $$;
CREATE TRIGGER test_revision_import AFTER INSERT ON import_log
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
CREATE TRIGGER test_revision_undo AFTER UPDATE ON import_review
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
CREATE TRIGGER test_revision_theme_insert AFTER INSERT ON theme
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
CREATE TRIGGER test_revision_theme_update AFTER UPDATE ON theme
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
CREATE TRIGGER test_revision_theme_delete AFTER DELETE ON theme
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
CREATE TRIGGER test_revision_placement_insert AFTER INSERT ON indicator_theme
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
CREATE TRIGGER test_revision_placement_delete AFTER DELETE ON indicator_theme
FOR EACH ROW EXECUTE FUNCTION peil_test_revision();
"#,
    // 9: every version of a site file the back office saved (issue 14, content versions):
    // stories, dashboards and peil.toml, with who saved it and when; a restore is a new
    // version that names the one it restored.
    r#"
CREATE TABLE content_version (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    -- The file, relative to the site directory: stories/x.md, dashboards/x.toml, peil.toml.
    path TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    who TEXT COLLATE "C" NOT NULL,
    -- save, restore, or found (the file as it was on disk before its first save here).
    action TEXT COLLATE "C" NOT NULL,
    restored_from BIGINT,
    text TEXT COLLATE "C" NOT NULL
);
CREATE INDEX content_version_path ON content_version (path, id);
"#,
    // 10: pull provenance (issue 15, pull provenance): per source and pulled indicator, where it
    // came from (the source's URL and code), when, the content hash of its metadata and values as
    // the source published them (what makes the next pull incremental), the pull that wrote it,
    // and when the source stopped offering it (flagged, never deleted).
    r#"
CREATE TABLE pull_provenance (
    source TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    remote_code TEXT COLLATE "C" NOT NULL,
    url TEXT COLLATE "C" NOT NULL,
    fetched_at TEXT COLLATE "C" NOT NULL,
    hash TEXT COLLATE "C" NOT NULL,
    import_id BIGINT NOT NULL REFERENCES import_log(id),
    gone_at TEXT COLLATE "C",
    PRIMARY KEY (source, code)
);
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
ALTER TABLE live_level ADD COLUMN level_name TEXT COLLATE "C";
ALTER TABLE live_level ADD COLUMN item_names TEXT COLLATE "C";
ALTER TABLE publication_level ADD COLUMN level_name TEXT COLLATE "C";
ALTER TABLE publication_level ADD COLUMN item_names TEXT COLLATE "C";
ALTER TABLE publication ADD COLUMN period_level_names TEXT COLLATE "C";
CREATE TABLE period_level_name (
    level TEXT COLLATE "C" NOT NULL,
    locale TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (level, locale)
);
CREATE TABLE import_undo_name (
    import_id BIGINT NOT NULL REFERENCES import_log(id),
    -- 'level' (code: the level), 'item' (code: level TAB item), 'period' (code: the period level).
    what TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    before TEXT COLLATE "C",
    PRIMARY KEY (import_id, what, code)
);
CREATE INDEX import_undo_name_code ON import_undo_name (what, code);
ALTER TABLE app_user ADD COLUMN oidc_issuer TEXT COLLATE "C";
ALTER TABLE app_user ADD COLUMN oidc_subject TEXT COLLATE "C";
CREATE UNIQUE INDEX app_user_oidc ON app_user (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;
"#,
    // 12: scheduled runs (issue 15, source runs): every run of a source (`peil pull`, or the
    // scheduler of `peil serve`) and of the scheduled publish (issue 14), with its start, end,
    // outcome, counts and error; a file source's URL and content hash, which make the next run
    // skip an unchanged file. Append-only: kept as the history `peil sources` shows.
    r#"
CREATE TABLE source_run (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    -- 'source' (a [[sources]] entry) or 'publish' (the scheduled publish).
    task TEXT COLLATE "C" NOT NULL,
    -- The source's name; '' for the scheduled publish.
    name TEXT COLLATE "C" NOT NULL,
    -- 'schedule', 'command', or 'after NAME' (a publish after a source's run).
    trigger TEXT COLLATE "C" NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    ended_at TEXT COLLATE "C" NOT NULL,
    -- 'imported', 'unchanged', 'published' or 'failed'.
    outcome TEXT COLLATE "C" NOT NULL,
    counts TEXT COLLATE "C" NOT NULL,
    error TEXT COLLATE "C",
    import_id BIGINT,
    generation BIGINT,
    url TEXT COLLATE "C",
    content_hash TEXT COLLATE "C"
);
CREATE INDEX source_run_name ON source_run (task, name, id);
CREATE TRIGGER source_run_no_update BEFORE UPDATE ON source_run
FOR EACH ROW EXECUTE FUNCTION peil_append_only('source runs are append-only');
"#,
    // 13: record data (issue 17, records and measures): per record set its definition (JSON of
    // `peil_core::records::RecordSetDef`: columns and measures) and, per record, its id, area
    // item and the rest of its row encoded by `records::encode` (dates, categories, numbers in
    // the definition's order). Records are never published: no reader-facing code reads them;
    // only the measures computed from them are written as ordinary series.
    r#"
CREATE TABLE record_set (
    name TEXT COLLATE "C" PRIMARY KEY,
    definition TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE record (
    set_name TEXT COLLATE "C" NOT NULL REFERENCES record_set(name),
    id TEXT COLLATE "C" NOT NULL,
    item_id BIGINT NOT NULL REFERENCES geo_item(id),
    data BYTEA NOT NULL,
    PRIMARY KEY (set_name, id)
);
"#,
    // 14: cluster levels (issue 18): named groups of the areas of one member level, overlapping
    // allowed and outside the strict hierarchy (`item_link` allows one parent per level). The
    // clusters are the cluster level's items in `geo_item`; `clusters.rs` writes and reads these.
    r#"
CREATE TABLE cluster_level (
    level_id BIGINT PRIMARY KEY REFERENCES geo_level(id),
    member_level_id BIGINT NOT NULL REFERENCES geo_level(id)
);
CREATE TABLE cluster_member (
    cluster_item_id BIGINT NOT NULL REFERENCES geo_item(id),
    member_item_id BIGINT NOT NULL REFERENCES geo_item(id),
    PRIMARY KEY (cluster_item_id, member_item_id)
);
"#,
    // 15: policy monitoring (issue 17, the plan): per plan its definition (JSON of
    // `peil_core::plan::Plan`: goal levels, goals, KPIs with targets and bands, public or not),
    // replaced whole by an import or a back-office edit; and the check-ins, append-only: per
    // KPI and year a comment and, for a KPI without a data source, its value (the latest
    // check-in of a KPI and year counts), who entered it and when.
    r#"
CREATE TABLE plan (
    name TEXT COLLATE "C" PRIMARY KEY,
    definition TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    updated_by TEXT COLLATE "C" NOT NULL
);
CREATE TABLE plan_checkin (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    plan TEXT COLLATE "C" NOT NULL REFERENCES plan(name),
    kpi TEXT COLLATE "C" NOT NULL,
    year BIGINT NOT NULL,
    value DOUBLE PRECISION,
    comment TEXT COLLATE "C" NOT NULL,
    who TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX plan_checkin_kpi ON plan_checkin (plan, kpi, year, id);
CREATE TRIGGER plan_checkin_no_update BEFORE UPDATE ON plan_checkin
FOR EACH ROW EXECUTE FUNCTION peil_append_only('check-ins are append-only');
CREATE TRIGGER plan_checkin_no_delete BEFORE DELETE ON plan_checkin
FOR EACH ROW EXECUTE FUNCTION peil_append_only('check-ins are append-only');
CREATE TRIGGER plan_checkin_no_truncate BEFORE TRUNCATE ON plan_checkin
FOR EACH STATEMENT EXECUTE FUNCTION peil_append_only('check-ins are append-only');
"#,
    // 16: operational dashboards (issue 17): per record set with a dashboard, every figure the
    // dashboard can show, through the set's threshold (JSON of
    // `peil_compute::dashboard::Published`), written by the import that changed the set, so
    // a request only reads it.
    r#"
CREATE TABLE record_dashboard (
    set_name TEXT COLLATE "C" PRIMARY KEY REFERENCES record_set(name),
    published TEXT COLLATE "C" NOT NULL,
    computed_at TEXT COLLATE "C" NOT NULL
);
"#, // 17: the operational dashboards' counts instead of their published figures.
    r#"
DELETE FROM record_dashboard;
ALTER TABLE record_dashboard RENAME COLUMN published TO aggregates;
"#,
    // 18: failed logins per address, leases of background work and OpenID Connect logins under
    // way, shared by replicas.
    r#"
CREATE TABLE login_failure (
    address TEXT COLLATE "C" PRIMARY KEY,
    failures BIGINT NOT NULL,
    since TEXT COLLATE "C" NOT NULL
);
CREATE INDEX login_failure_since ON login_failure (since);
CREATE TABLE lease (
    name TEXT COLLATE "C" PRIMARY KEY,
    holder TEXT COLLATE "C" NOT NULL,
    expires TEXT COLLATE "C" NOT NULL
);
CREATE TABLE oidc_flow (
    state_sha256 TEXT COLLATE "C" PRIMARY KEY,
    nonce TEXT COLLATE "C" NOT NULL,
    pkce_verifier TEXT COLLATE "C" NOT NULL,
    next TEXT COLLATE "C" NOT NULL,
    started TEXT COLLATE "C" NOT NULL
);
CREATE INDEX oidc_flow_started ON oidc_flow (started);
"#,
    // 19: series blobs (dense or sparse 8-byte values: random doubles compress by a few per
    // cent at most) stored out of line without compression: PostgreSQL's default compressed
    // every blob over 2 KB with pglz, which took most of an import's and a publish's time.
    r#"
ALTER TABLE series ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE live_series ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE import_undo_series ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE publication_series ALTER COLUMN data SET STORAGE EXTERNAL;
"#,
    // 20: bulk report jobs and their ZIPs' chunks, shared by replicas. The chunks (PDFs,
    // compressed already) are stored out of line without compression.
    r#"
CREATE TABLE report_job (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    slot BIGINT UNIQUE,
    started_by TEXT COLLATE "C" NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL,
    state TEXT COLLATE "C" NOT NULL
        CHECK (state IN ('running', 'finished', 'failed', 'cancelled')),
    error TEXT COLLATE "C",
    cancel BIGINT NOT NULL,
    lease_until TEXT COLLATE "C" NOT NULL,
    size BIGINT,
    created TEXT COLLATE "C" NOT NULL,
    finished TEXT COLLATE "C"
);
CREATE INDEX report_job_seq ON report_job (seq);
CREATE TABLE report_job_chunk (
    job BIGINT NOT NULL REFERENCES report_job(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (job, seq)
);
ALTER TABLE report_job_chunk ALTER COLUMN bytes SET STORAGE EXTERNAL;
"#,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::params;
    use crate::testing::{TestStore, on_both};
    use crate::{Store, StoreError};
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn every_migration_has_its_postgresql_twin() {
        assert_eq!(MIGRATIONS.len(), PG_MIGRATIONS.len());
    }

    /// Column name → (type as PostgreSQL names it, NOT NULL, position in the primary key).
    type Columns = BTreeMap<String, (String, bool, i64)>;

    fn sqlite_tables(s: &Store) -> BTreeMap<String, Columns> {
        let tables =
            s.db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                params![],
                |r| r.get::<String>(0),
            )
            .unwrap();
        tables
            .into_iter()
            .map(|t| {
                let cols =
                    s.db.query(
                        "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)",
                        params![&t],
                        |r| {
                            let ty = match r.get::<String>(1)?.as_str() {
                                "INTEGER" => "bigint",
                                "TEXT" => "text",
                                "REAL" => "double precision",
                                "BLOB" => "bytea",
                                other => panic!("column type {other} in {t}"),
                            };
                            Ok((r.get(0)?, (ty.to_string(), r.get(2)?, r.get(3)?)))
                        },
                    )
                    .unwrap();
                (t, cols.into_iter().collect())
            })
            .collect()
    }

    fn pg_tables(s: &Store) -> BTreeMap<String, Columns> {
        let rows = s
            .db
            .query(
                "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
                        coalesce(c.collation_name, ''),
                        coalesce((SELECT k.ordinal_position FROM information_schema.key_column_usage k
                                  JOIN information_schema.table_constraints tc
                                    ON tc.constraint_name = k.constraint_name
                                   AND tc.table_schema = k.table_schema
                                  WHERE tc.constraint_type = 'PRIMARY KEY'
                                    AND k.table_schema = c.table_schema
                                    AND k.table_name = c.table_name
                                    AND k.column_name = c.column_name), 0)
                 FROM information_schema.columns c
                 WHERE c.table_schema = current_schema() AND c.table_name <> 'peil_schema_version'",
                params![],
                |r| {
                    let ty: String = r.get(2)?;
                    let collation: String = r.get(4)?;
                    if ty == "text" {
                        assert_eq!(collation, "C", "{}.{}", r.get::<String>(0)?, r.get::<String>(1)?);
                    }
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        (ty, r.get::<String>(3)? == "NO", r.get::<i64>(5)?),
                    ))
                },
            )
            .unwrap();
        let mut out: BTreeMap<String, Columns> = BTreeMap::new();
        for (t, c, v) in rows {
            out.entry(t).or_default().insert(c, v);
        }
        out
    }

    /// Series blobs are stored uncompressed on PostgreSQL (migration 19): compressing them
    /// took most of an import's and a publish's time (`bench/postgres.sh`).
    #[test]
    fn series_blobs_are_not_compressed_on_postgresql() {
        let pg = TestStore::postgres();
        for table in [
            "series",
            "live_series",
            "import_undo_series",
            "publication_series",
        ] {
            let storage: String = pg
                .db
                .query_one(
                    "SELECT attstorage::text FROM pg_attribute
                     WHERE attrelid = to_regclass(?1) AND attname = 'data'",
                    params![table],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(storage, "e", "{table}.data");
        }
    }

    #[test]
    fn schemas_agree() {
        let lite = TestStore::sqlite();
        let pg = TestStore::postgres();
        let (a, mut b) = (sqlite_tables(&lite), pg_tables(&pg));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "the same tables"
        );
        for (table, cols) in a {
            let mut pg_cols = b.remove(&table).unwrap();
            for (name, (ty, not_null, pk)) in cols {
                let (pg_ty, pg_not_null, pg_pk) = pg_cols
                    .remove(&name)
                    .unwrap_or_else(|| panic!("{table}.{name} missing on PostgreSQL"));
                assert_eq!(pg_ty, ty, "{table}.{name}");
                // SQLite lets a primary key column be NULL unless it says NOT NULL; PostgreSQL
                // never does.
                assert_eq!(pg_not_null, not_null || pk > 0, "{table}.{name} NOT NULL");
                assert_eq!(pg_pk, pk, "{table}.{name} in the primary key");
            }
            assert!(
                pg_cols.is_empty(),
                "{table} has more on PostgreSQL: {pg_cols:?}"
            );
        }
        // Every index and trigger SQLite has, PostgreSQL has by the same name.
        let lite_names = lite
            .db
            .query(
                "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL",
                params![],
                |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
            )
            .unwrap();
        let pg_names: BTreeSet<(String, String)> = pg
            .db
            .query(
                "SELECT 'index', indexname FROM pg_indexes WHERE schemaname = current_schema()
                 UNION SELECT 'trigger', trigger_name FROM information_schema.triggers
                 WHERE trigger_schema = current_schema()",
                params![],
                |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
            )
            .unwrap()
            .into_iter()
            .collect();
        for n in lite_names {
            assert!(pg_names.contains(&n), "{n:?} missing on PostgreSQL");
        }
    }

    on_both! {
        fn append_only_tables_refuse_changes(s: &mut Store) {
            s.db.execute(
                "INSERT INTO audit_log (at, who, client, action, detail) VALUES ('t', 'eva', '', 'login', '')",
                params![],
            )
            .unwrap();
            for sql in ["UPDATE audit_log SET who = 'mallory'", "DELETE FROM audit_log"] {
                let err = s.db.execute(sql, params![]).unwrap_err().to_string();
                assert!(err.contains("the audit log is append-only"), "{err}");
            }
            let n = s.db.query_one("SELECT count(*) FROM audit_log", params![], |r| r.get::<i64>(0));
            assert_eq!(n.unwrap(), 1);
        }

        fn the_test_revision_counts_changes_of_the_tree(s: &mut Store) {
            let rev = |s: &Store| {
                s.db.query_one(
                    "SELECT value FROM site_meta WHERE key = 'test_revision'",
                    params![],
                    |r| r.get::<String>(0),
                )
                .unwrap()
            };
            assert_eq!(rev(s), "0");
            s.db.execute(
                "INSERT INTO theme (code, parent, name, seq) VALUES (?1, NULL, ?2, 0), (?3, NULL, ?4, 1)",
                params!["a", "A", "b", "B"],
            )
            .unwrap();
            assert_eq!(rev(s), "2", "one per row, as SQLite's row triggers count");
            s.db.execute("DELETE FROM theme WHERE code = ?1", params!["a"]).unwrap();
            assert_eq!(rev(s), "3");
        }

        fn text_sorts_by_code_point(s: &mut Store) {
            for (i, code) in ["b", "B", "a", "é", "Z", "_"].iter().enumerate() {
                s.db.execute(
                    "INSERT INTO theme (code, parent, name, seq) VALUES (?1, NULL, ?1, ?2)",
                    params![*code, i as i64],
                )
                .unwrap();
            }
            let order = s.db.query("SELECT code FROM theme ORDER BY code", params![], |r| r.get::<String>(0));
            assert_eq!(order.unwrap(), ["B", "Z", "_", "a", "b", "é"]);
            let between = s.db.query(
                "SELECT code FROM theme WHERE code > ?1 ORDER BY code",
                params!["Z"],
                |r| r.get::<String>(0),
            );
            assert_eq!(between.unwrap(), ["_", "a", "b", "é"]);
        }
    }

    #[test]
    fn a_postgresql_store_reopens_and_refuses_a_newer_schema() {
        let pg = peil_pgtest::TempPostgres::shared().unwrap();
        let config = crate::testing::pg_config(&pg);
        let schema = peil_pgtest::TempPostgres::unique_name("site");
        assert!(matches!(
            Store::open_postgres(&config, &schema, false),
            Err(StoreError::Missing { .. })
        ));
        let s = Store::open_postgres(&config, &schema, true).unwrap();
        s.db.execute(
            "INSERT INTO site_meta (key, value) VALUES (?1, ?2)",
            params!["kept", "yes"],
        )
        .unwrap();
        drop(s);
        let s = Store::open_postgres(&config, &schema, false).unwrap();
        let kept = s.db.query_row(
            "SELECT value FROM site_meta WHERE key = ?1",
            params!["kept"],
            |r| r.get::<String>(0),
        );
        assert_eq!(kept.unwrap().as_deref(), Some("yes"));
        s.db.execute("UPDATE peil_schema_version SET version = ?1", params![99])
            .unwrap();
        drop(s);
        match Store::open_postgres(&config, &schema, false) {
            Err(StoreError::TooNew {
                found: 99, known, ..
            }) => {
                assert_eq!(known, MIGRATIONS.len() as i64)
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn sites_in_one_database_keep_apart() {
        let a = TestStore::postgres();
        let b = TestStore::postgres();
        a.db.execute(
            "INSERT INTO site_meta (key, value) VALUES ('only', 'a')",
            params![],
        )
        .unwrap();
        let in_b =
            b.db.query_row(
                "SELECT value FROM site_meta WHERE key = 'only'",
                params![],
                |r| r.get::<String>(0),
            )
            .unwrap();
        assert_eq!(in_b, None);
        // The same trigger in each schema bumps its own site's revision.
        b.db.execute(
            "INSERT INTO theme (code, parent, name, seq) VALUES ('t', NULL, 't', 0)",
            params![],
        )
        .unwrap();
        let rev = |s: &Store| {
            s.db.query_one(
                "SELECT value FROM site_meta WHERE key = 'test_revision'",
                params![],
                |r| r.get::<String>(0),
            )
            .unwrap()
        };
        assert_eq!((rev(&a), rev(&b)), ("0".to_string(), "1".to_string()));
    }
}
