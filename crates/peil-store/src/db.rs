//! The backend seam: the one place that knows which database engine holds a store.
//!
//! [`Db`] is a connection to either engine: an embedded SQLite file (rusqlite) or a schema in a
//! PostgreSQL database (the synchronous `postgres` client, whose calls block: the store is only
//! ever called from blocking threads, never on an async executor). The store's modules write
//! their SQL once, in the subset both engines share, and run it through [`Db::execute`],
//! [`Db::query`], [`Db::query_row`], [`Db::insert`] and [`Db::begin`]; parameters are
//! [`Param`]s and rows are read through [`Row::get`] into plain Rust types ([`FromValue`]).
//!
//! The common subset, and what [`translate`] does to it once per statement for PostgreSQL (the
//! result is prepared once and kept per connection):
//! - parameters are numbered, `?1`, `?2`… (`$1`, `$2`… on PostgreSQL);
//! - `INSERT OR IGNORE INTO` becomes `INSERT INTO … ON CONFLICT DO NOTHING`;
//! - upserts are written as `ON CONFLICT (key) DO UPDATE SET c = excluded.c`, which both engines
//!   read alike; `INSERT OR REPLACE` (SQLite deletes every row any unique key conflicts with) has
//!   no faithful translation and is refused by [`translate`];
//! - a new row's id comes from [`Db::insert`] (SQLite's rowid; `RETURNING id` on PostgreSQL);
//! - text compares and sorts by code point on both: SQLite's default, and on PostgreSQL every
//!   text column is declared `COLLATE "C"` (schema.rs), whatever the database's locale;
//! - integers are 64-bit on both (`BIGINT` on PostgreSQL), reals are doubles, blobs `BYTEA`;
//!   a [`Param`] converts to the column type PostgreSQL asks for (an integer to a `BOOLEAN`,
//!   a 32-bit column, a double), and [`FromValue`] reads what either engine returns.
//!
//! DDL is not translated: each migration is written per dialect (`schema::MIGRATIONS` and
//! `schema::PG_MIGRATIONS`), since triggers and key types differ too much for a rewrite to be
//! trusted. Hot bulk paths may keep a specialised SQLite path beside the neutral one (and use
//! binary `COPY` on PostgreSQL) where the neutral API would cost anything.

// Until every module is on the seam (issue 16), a PostgreSQL store is opened only by this
// crate's tests: outside them the PostgreSQL half is not called yet.
#![cfg_attr(not(test), allow(dead_code))]

use crate::{Result, StoreError};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A connection to the store's database.
pub(crate) enum Db {
    Sqlite {
        conn: rusqlite::Connection,
        path: PathBuf,
    },
    Pg(Box<RefCell<Pg>>),
}

/// A PostgreSQL connection bound to one site's schema, with its prepared statements.
pub(crate) struct Pg {
    client: postgres::Client,
    schema: String,
    /// Prepared statements by their common-subset text (translated once, prepared once).
    statements: HashMap<String, postgres::Statement>,
}

/// Prepared statements kept per PostgreSQL connection; SQL built at run time (lists of
/// placeholders) could otherwise grow the cache without bound.
const MAX_STATEMENTS: usize = 512;

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A statement parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Param<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

macro_rules! param_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Param<'_> {
            fn from(v: $t) -> Self {
                Param::Int(v as i64)
            }
        }
    )*};
}
param_from_int!(i64, i32, u32, u16, u8, i16);

impl From<u64> for Param<'_> {
    fn from(v: u64) -> Self {
        // Counts and ids: never near 2^63.
        Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Param<'_> {
    fn from(v: usize) -> Self {
        Param::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Int(v as i64)
    }
}
impl From<f64> for Param<'_> {
    fn from(v: f64) -> Self {
        Param::Real(v)
    }
}
impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Blob(v)
    }
}
impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Param::Blob(v)
    }
}
impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}
impl<'a, T: Copy + Into<Param<'a>>> From<&Option<T>> for Param<'a> {
    fn from(v: &Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}
impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().map_or(Param::Null, Param::Text)
    }
}

/// Parameters of a statement: `params![a, b, c]`.
macro_rules! params {
    () => { &[] as &[$crate::db::Param<'_>] };
    ($($p:expr),+ $(,)?) => { &[$($crate::db::Param::from($p)),+] as &[$crate::db::Param<'_>] };
}
pub(crate) use params;

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Param::Null => ValueRef::Null,
            Param::Int(v) => ValueRef::Integer(v),
            Param::Real(v) => ValueRef::Real(v),
            Param::Text(v) => ValueRef::Text(v.as_bytes()),
            Param::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl postgres::types::ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, BoxError> {
        use postgres::types::{IsNull, Type};
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::BOOL => (v != 0).to_sql(ty, out),
                Type::FLOAT8 => (v as f64).to_sql(ty, out),
                Type::FLOAT4 => (v as f32).to_sql(ty, out),
                _ => Err(format!("an integer given for a parameter of type {ty}").into()),
            },
            Param::Real(v) => match *ty {
                Type::FLOAT8 => v.to_sql(ty, out),
                Type::FLOAT4 => (v as f32).to_sql(ty, out),
                _ => Err(format!("a number given for a parameter of type {ty}").into()),
            },
            Param::Text(v) => v.to_sql(ty, out),
            Param::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A value as PostgreSQL sent it, before it becomes a Rust type.
pub(crate) enum PgValue<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Any column, raw: decoded by [`PgValue::decode`] from its type.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> postgres::types::FromSql<'a> for Raw<'a> {
    fn from_sql(_: &postgres::types::Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(Raw(Some(raw)))
    }
    fn from_sql_null(_: &postgres::types::Type) -> std::result::Result<Self, BoxError> {
        Ok(Raw(None))
    }
    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

impl<'a> PgValue<'a> {
    fn decode(
        ty: &postgres::types::Type,
        raw: Option<&'a [u8]>,
    ) -> std::result::Result<Self, BoxError> {
        use postgres::types::{FromSql, Type};
        let Some(raw) = raw else {
            return Ok(PgValue::Null);
        };
        Ok(match *ty {
            Type::INT8 => PgValue::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => PgValue::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => PgValue::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => PgValue::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => PgValue::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => PgValue::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => PgValue::Blob(raw),
            _ if <&str as FromSql>::accepts(ty) => PgValue::Text(<&str>::from_sql(ty, raw)?),
            _ => {
                return Err(format!("a column of type {ty}, which the store does not read").into());
            }
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            PgValue::Null => "NULL",
            PgValue::Int(_) => "an integer",
            PgValue::Real(_) => "a real",
            PgValue::Text(_) => "text",
            PgValue::Blob(_) => "a blob",
        }
    }
}

/// A Rust type a column is read into, from either engine. On SQLite it is rusqlite's own
/// conversion (unchanged, as fast as before the seam).
pub(crate) trait FromValue: rusqlite::types::FromSql + Sized {
    #[doc(hidden)]
    fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String>;
}

fn wrong<T>(v: &PgValue<'_>, want: &str) -> std::result::Result<T, String> {
    Err(format!("{} where {want} was expected", v.kind()))
}

macro_rules! from_value_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String> {
                match v {
                    PgValue::Int(i) => <$t>::try_from(i)
                        .map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    v => wrong(&v, "an integer"),
                }
            }
        }
    )*};
}
from_value_int!(i64, i32, u32, u16, u8, i16);

impl FromValue for bool {
    fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String> {
        match v {
            PgValue::Int(i) => Ok(i != 0),
            v => wrong(&v, "an integer"),
        }
    }
}
impl FromValue for f64 {
    fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String> {
        match v {
            PgValue::Real(f) => Ok(f),
            PgValue::Int(i) => Ok(i as f64),
            v => wrong(&v, "a number"),
        }
    }
}
impl FromValue for String {
    fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String> {
        match v {
            PgValue::Text(s) => Ok(s.to_string()),
            v => wrong(&v, "text"),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String> {
        match v {
            PgValue::Blob(b) => Ok(b.to_vec()),
            v => wrong(&v, "a blob"),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_pg(v: PgValue<'_>) -> std::result::Result<Self, String> {
        match v {
            PgValue::Null => Ok(None),
            v => T::from_pg(v).map(Some),
        }
    }
}

/// One row of a result, from either engine.
pub(crate) enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i` (from 0) as a `T`.
    pub(crate) fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        match self {
            Row::Sqlite(r) => r.get(i).map_err(|e| StoreError::Query {
                at: "SQLite".into(),
                message: format!("column {i}: {e}"),
            }),
            Row::Pg(r) => {
                let column = |message: String| StoreError::Query {
                    at: "PostgreSQL".into(),
                    message: format!("column {i}: {message}"),
                };
                let ty = r
                    .columns()
                    .get(i)
                    .ok_or_else(|| column("no such column".into()))?
                    .type_()
                    .clone();
                let raw: Raw<'_> = r.try_get(i).map_err(|e| column(e.to_string()))?;
                let v = PgValue::decode(&ty, raw.0).map_err(|e| column(e.to_string()))?;
                T::from_pg(v).map_err(column)
            }
        }
    }
}

impl Row<'_> {
    /// Column `i` (from 0), a blob, handed to `f` without a copy (large reads of many rows).
    pub(crate) fn blob<T>(&self, i: usize, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
        let column = |at: &str, message: String| StoreError::Query {
            at: at.into(),
            message: format!("column {i}: {message}"),
        };
        match self {
            Row::Sqlite(r) => {
                let v = r.get_ref(i).map_err(|e| column("SQLite", e.to_string()))?;
                let b = v.as_blob().map_err(|e| column("SQLite", e.to_string()))?;
                Ok(f(b))
            }
            Row::Pg(r) => {
                let raw: Raw<'_> = r
                    .try_get(i)
                    .map_err(|e| column("PostgreSQL", e.to_string()))?;
                let ty = r.columns()[i].type_();
                match PgValue::decode(ty, raw.0).map_err(|e| column("PostgreSQL", e.to_string()))? {
                    PgValue::Blob(b) => Ok(f(b)),
                    v => Err(column(
                        "PostgreSQL",
                        format!("{} where a blob was expected", v.kind()),
                    )),
                }
            }
        }
    }
}

/// One value of any column, owned: what a whole-store copy moves and compares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    pub(crate) fn param(&self) -> Param<'_> {
        match self {
            Cell::Null => Param::Null,
            Cell::Int(i) => Param::Int(*i),
            Cell::Real(f) => Param::Real(*f),
            Cell::Text(t) => Param::Text(t),
            Cell::Blob(b) => Param::Blob(b),
        }
    }
}

impl Row<'_> {
    /// Column `i` (from 0) whatever its type.
    pub(crate) fn cell(&self, i: usize) -> Result<Cell> {
        let column = |at: &str, message: String| StoreError::Query {
            at: at.into(),
            message: format!("column {i}: {message}"),
        };
        match self {
            Row::Sqlite(r) => {
                use rusqlite::types::ValueRef;
                Ok(
                    match r.get_ref(i).map_err(|e| column("SQLite", e.to_string()))? {
                        ValueRef::Null => Cell::Null,
                        ValueRef::Integer(v) => Cell::Int(v),
                        ValueRef::Real(v) => Cell::Real(v),
                        ValueRef::Text(t) => Cell::Text(
                            String::from_utf8(t.to_vec())
                                .map_err(|e| column("SQLite", e.to_string()))?,
                        ),
                        ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
                    },
                )
            }
            Row::Pg(r) => {
                let raw: Raw<'_> = r
                    .try_get(i)
                    .map_err(|e| column("PostgreSQL", e.to_string()))?;
                let ty = r.columns()[i].type_();
                Ok(
                    match PgValue::decode(ty, raw.0)
                        .map_err(|e| column("PostgreSQL", e.to_string()))?
                    {
                        PgValue::Null => Cell::Null,
                        PgValue::Int(v) => Cell::Int(v),
                        PgValue::Real(v) => Cell::Real(v),
                        PgValue::Text(t) => Cell::Text(t.to_string()),
                        PgValue::Blob(b) => Cell::Blob(b.to_vec()),
                    },
                )
            }
        }
    }
}

/// Rewrites a common-subset statement for PostgreSQL: numbered placeholders, `INSERT OR IGNORE`.
/// String literals, quoted names and comments are left as they are.
pub(crate) fn translate(sql: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(sql.len() + 32);
    let b = sql.as_bytes();
    let mut i = 0;
    let mut next_bare = 1;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' => {
                let end = b[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .map_or(b.len(), |p| i + 1 + p + 1);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                let end = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |p| i + p);
                out.push_str(&sql[i..end]);
                i = end;
            }
            b'?' => {
                let digits = b[i + 1..].iter().take_while(|x| x.is_ascii_digit()).count();
                if digits == 0 {
                    out.push_str(&format!("${next_bare}"));
                    next_bare += 1;
                } else {
                    out.push('$');
                    out.push_str(&sql[i + 1..i + 1 + digits]);
                }
                i += 1 + digits;
            }
            _ => {
                let start = i;
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&sql[start..i]);
            }
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let upper: Vec<String> = words
        .iter()
        .take(4)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if upper.len() >= 2 && upper[0] == "INSERT" && upper[1] == "OR" {
        match upper.get(2).map(String::as_str) {
            Some("IGNORE") => {
                let pos = out
                    .to_ascii_uppercase()
                    .find("IGNORE")
                    .expect("found above");
                let mut t = String::with_capacity(out.len() + 24);
                t.push_str("INSERT");
                t.push_str(&out[pos + "IGNORE".len()..]);
                let t = t.trim_end().trim_end_matches(';').to_string();
                if t.to_ascii_uppercase().contains(" RETURNING ") {
                    return Err(format!(
                        "INSERT OR IGNORE … RETURNING has no translation: {sql}"
                    ));
                }
                return Ok(format!("{t} ON CONFLICT DO NOTHING"));
            }
            _ => {
                return Err(format!(
                    "INSERT OR {} has no faithful translation to PostgreSQL; write the upsert \
                     as ON CONFLICT (key) DO UPDATE: {sql}",
                    upper.get(2).map_or("", String::as_str)
                ));
            }
        }
    }
    Ok(out)
}

impl Db {
    /// Opens (or creates) a SQLite file with the store's settings.
    pub(crate) fn open_sqlite(path: &Path) -> Result<Db> {
        let e = crate::sqlite_err(path);
        let conn = rusqlite::Connection::open(path).map_err(&e)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;
             PRAGMA busy_timeout=10000; PRAGMA cache_size=-262144;",
        )
        .map_err(&e)?;
        Ok(Db::Sqlite {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Connects to PostgreSQL and makes `schema` the connection's only search path: every
    /// unqualified table is the site's own. With `create` the schema is made when missing;
    /// without, a missing one stays missing (opening it then finds no store).
    pub(crate) fn open_postgres(
        config: &postgres::Config,
        schema: &str,
        create: bool,
    ) -> Result<Db> {
        check_schema_name(schema)?;
        let at = format!("PostgreSQL schema {schema}");
        let mut client =
            config
                .connect(postgres::NoTls)
                .map_err(|source| StoreError::Postgres {
                    at: at.clone(),
                    source,
                })?;
        // Two processes making one new site at once: the write lock orders them.
        let make = if create {
            format!(
                "BEGIN; SELECT pg_advisory_xact_lock({}); CREATE SCHEMA IF NOT EXISTS \"{schema}\"; \
                 COMMIT; ",
                write_lock_key(schema)
            )
        } else {
            String::new()
        };
        client
            .batch_execute(&format!("{make}SET search_path TO \"{schema}\";"))
            .map_err(|source| StoreError::Postgres { at, source })?;
        Ok(Db::Pg(Box::new(RefCell::new(Pg {
            client,
            schema: schema.to_string(),
            statements: HashMap::new(),
        }))))
    }

    /// Whether the connection is gone (a PostgreSQL server restarted, a network cut); a SQLite
    /// file never is.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Db::Sqlite { .. } => false,
            Db::Pg(pg) => pg.try_borrow().is_ok_and(|p| p.client.is_closed()),
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Pg(_) => Dialect::Postgres,
        }
    }

    /// The site's schema on PostgreSQL; `None` on SQLite.
    pub(crate) fn schema(&self) -> Option<String> {
        match self {
            Db::Sqlite { .. } => None,
            Db::Pg(pg) => Some(pg.borrow().schema.clone()),
        }
    }

    /// What errors name: the file, or the schema.
    pub(crate) fn label(&self) -> String {
        match self {
            Db::Sqlite { path, .. } => path.display().to_string(),
            Db::Pg(pg) => format!("PostgreSQL schema {}", pg.borrow().schema),
        }
    }

    /// The SQLite connection, for what only SQLite has (its online backup, its integrity
    /// check, the hot path of `apply_data`). Every caller asks [`Db::dialect`] first.
    pub(crate) fn sqlite(&self) -> &rusqlite::Connection {
        match self {
            Db::Sqlite { conn, .. } => conn,
            Db::Pg(_) => unreachable!("callers of Db::sqlite check the dialect first"),
        }
    }

    /// [`Db::sqlite`], mutably.
    pub(crate) fn sqlite_mut(&mut self) -> &mut rusqlite::Connection {
        match self {
            Db::Sqlite { conn, .. } => conn,
            Db::Pg(_) => unreachable!("callers of Db::sqlite check the dialect first"),
        }
    }

    fn sqlite_error(&self, source: rusqlite::Error) -> StoreError {
        match self {
            Db::Sqlite { path, .. } => StoreError::Sqlite {
                path: path.clone(),
                source,
            },
            Db::Pg(_) => unreachable!("SQLite errors come from SQLite"),
        }
    }

    /// Runs `f` with the prepared statement for `sql` on PostgreSQL.
    fn with_pg<T>(
        &self,
        sql: &str,
        f: impl FnOnce(
            &mut postgres::Client,
            &postgres::Statement,
        ) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let Db::Pg(cell) = self else {
            unreachable!("called for PostgreSQL connections only")
        };
        // A statement run from inside a streamed query's callback would need the connection
        // the stream holds: an error, never a panic.
        let mut pg = cell.try_borrow_mut().map_err(|_| StoreError::Query {
            at: "PostgreSQL".into(),
            message: format!("a query while another streams its rows: {sql}"),
        })?;
        let Pg {
            client,
            schema,
            statements,
        } = &mut *pg;
        let at = || format!("PostgreSQL schema {schema}");
        if !statements.contains_key(sql) {
            let translated =
                translate(sql).map_err(|message| StoreError::Query { at: at(), message })?;
            let st = client
                .prepare(&translated)
                .map_err(|source| StoreError::Postgres { at: at(), source })?;
            if statements.len() >= MAX_STATEMENTS {
                statements.clear();
            }
            statements.insert(sql.to_string(), st);
        }
        let st = statements.get(sql).expect("inserted above").clone();
        f(client, &st).map_err(|source| StoreError::Postgres { at: at(), source })
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<usize> {
        match self {
            Db::Sqlite { conn, .. } => conn
                .prepare_cached(sql)
                .and_then(|mut st| st.execute(rusqlite::params_from_iter(params)))
                .map_err(|e| self.sqlite_error(e)),
            Db::Pg(_) => self
                .with_pg(sql, |c, st| c.execute(st, &pg_params(params)))
                .map(|n| n as usize),
        }
    }

    /// Runs an `INSERT` into a table with an `id` key; the new row's id.
    pub(crate) fn insert(&self, sql: &str, params: &[Param<'_>]) -> Result<i64> {
        self.insert_key(sql, params, "id")
    }

    /// Runs an `INSERT` into a table whose integer key `key` the database assigns; the new
    /// row's key (SQLite's rowid; `RETURNING key` on PostgreSQL).
    pub(crate) fn insert_key(&self, sql: &str, params: &[Param<'_>], key: &str) -> Result<i64> {
        match self {
            Db::Sqlite { conn, .. } => {
                self.execute(sql, params)?;
                Ok(conn.last_insert_rowid())
            }
            Db::Pg(_) => {
                let sql = format!("{} RETURNING {key}", sql.trim_end().trim_end_matches(';'));
                let row = self.with_pg(&sql, |c, st| c.query_one(st, &pg_params(params)))?;
                Row::Pg(&row).get(0)
            }
        }
    }

    /// Runs a query and maps every row.
    pub(crate) fn query<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self {
            Db::Sqlite { conn, .. } => {
                let mut st = conn.prepare_cached(sql).map_err(|e| self.sqlite_error(e))?;
                let mut rows = st
                    .query(rusqlite::params_from_iter(params))
                    .map_err(|e| self.sqlite_error(e))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(|e| self.sqlite_error(e))? {
                    out.push(f(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Db::Pg(_) => {
                let rows = self.with_pg(sql, |c, st| c.query(st, &pg_params(params)))?;
                rows.iter().map(|r| f(&Row::Pg(r))).collect()
            }
        }
    }

    /// Runs a query and hands each row to `f` as it arrives, keeping none: for reads too large
    /// to hold (exports, checks over every series). `f` must not query the store itself (on
    /// PostgreSQL the stream holds the connection: that is an error).
    pub(crate) fn query_each(
        &self,
        sql: &str,
        params: &[Param<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Db::Sqlite { conn, .. } => {
                let mut st = conn.prepare_cached(sql).map_err(|e| self.sqlite_error(e))?;
                let mut rows = st
                    .query(rusqlite::params_from_iter(params))
                    .map_err(|e| self.sqlite_error(e))?;
                while let Some(r) = rows.next().map_err(|e| self.sqlite_error(e))? {
                    f(&Row::Sqlite(r))?;
                }
                Ok(())
            }
            Db::Pg(_) => {
                use postgres::fallible_iterator::FallibleIterator;
                self.with_pg(sql, |c, st| {
                    let mut rows = c.query_raw(st, pg_params(params))?;
                    while let Some(r) = rows.next()? {
                        if let Err(e) = f(&Row::Pg(&r)) {
                            return Ok(Err(e));
                        }
                    }
                    Ok(Ok(()))
                })?
            }
        }
    }

    /// Inserts many rows into `table (columns)`: `fill` hands each row's values to the sink
    /// it is given. On SQLite one prepared `INSERT` runs per row (in the caller's transaction,
    /// as fast as before the seam); on PostgreSQL the rows go in one binary `COPY`. `fill` must
    /// not query the store itself (on PostgreSQL the copy holds the connection). The number of
    /// rows written.
    pub(crate) fn bulk_insert(
        &self,
        table: &str,
        columns: &[&str],
        fill: impl FnOnce(&mut dyn FnMut(&[Param<'_>]) -> Result<()>) -> Result<()>,
    ) -> Result<u64> {
        let cols = columns.join(", ");
        let mut n = 0u64;
        match self {
            Db::Sqlite { conn, .. } => {
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let sql = format!("INSERT INTO {table} ({cols}) VALUES ({})", marks.join(", "));
                let mut st = conn
                    .prepare_cached(&sql)
                    .map_err(|e| self.sqlite_error(e))?;
                fill(&mut |p| {
                    st.execute(rusqlite::params_from_iter(p))
                        .map_err(|e| self.sqlite_error(e))?;
                    n += 1;
                    Ok(())
                })?;
            }
            Db::Pg(cell) => {
                let mut pg = cell.try_borrow_mut().map_err(|_| StoreError::Query {
                    at: "PostgreSQL".into(),
                    message: format!("a copy into {table} while another statement streams"),
                })?;
                let at = format!("PostgreSQL schema {}", pg.schema);
                let e = |source| StoreError::Postgres {
                    at: at.clone(),
                    source,
                };
                let client = &mut pg.client;
                let types: Vec<postgres::types::Type> = client
                    .prepare(&format!("SELECT {cols} FROM {table} LIMIT 0"))
                    .map_err(e)?
                    .columns()
                    .iter()
                    .map(|c| c.type_().clone())
                    .collect();
                let writer = client
                    .copy_in(&format!("COPY {table} ({cols}) FROM STDIN (FORMAT binary)"))
                    .map_err(e)?;
                let mut w = postgres::binary_copy::BinaryCopyInWriter::new(writer, &types);
                fill(&mut |p| {
                    w.write(&pg_params(p)).map_err(e)?;
                    n += 1;
                    Ok(())
                })?;
                w.finish().map_err(e)?;
            }
        }
        Ok(n)
    }

    /// The first row of a query, if there is one.
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self {
            Db::Sqlite { conn, .. } => {
                let mut st = conn.prepare_cached(sql).map_err(|e| self.sqlite_error(e))?;
                let mut rows = st
                    .query(rusqlite::params_from_iter(params))
                    .map_err(|e| self.sqlite_error(e))?;
                match rows.next().map_err(|e| self.sqlite_error(e))? {
                    Some(r) => f(&Row::Sqlite(r)).map(Some),
                    None => Ok(None),
                }
            }
            Db::Pg(_) => {
                let row = self.with_pg(sql, |c, st| c.query_opt(st, &pg_params(params)))?;
                row.map(|r| f(&Row::Pg(&r))).transpose()
            }
        }
    }

    /// The one row a query always returns (an aggregate), mapped.
    pub(crate) fn query_one<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_row(sql, params, f)?
            .ok_or_else(|| StoreError::Query {
                at: self.label(),
                message: format!("no row from {sql}"),
            })
    }

    /// Runs several statements without parameters, as they are (migrations, pragmas).
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Db::Sqlite { conn, .. } => conn.execute_batch(sql).map_err(|e| self.sqlite_error(e)),
            Db::Pg(cell) => {
                let mut pg = cell.borrow_mut();
                let at = format!("PostgreSQL schema {}", pg.schema);
                pg.client
                    .batch_execute(sql)
                    .map_err(|source| StoreError::Postgres { at, source })
            }
        }
    }

    /// Starts a transaction; it rolls back unless [`Tx::commit`]ted. A `write` transaction
    /// holds the store's one write lock from its start, as SQLite's `BEGIN IMMEDIATE` does: on
    /// PostgreSQL a transaction-level advisory lock per site schema, so writers of one site
    /// queue and never fail halfway on each other, while readers go on. A read transaction
    /// sees one moment (`REPEATABLE READ` on PostgreSQL, a deferred transaction on SQLite).
    pub(crate) fn begin(&self, write: bool) -> Result<Tx<'_>> {
        match (self, write) {
            (Db::Sqlite { .. }, true) => self.execute_batch("BEGIN IMMEDIATE")?,
            (Db::Sqlite { .. }, false) => self.execute_batch("BEGIN DEFERRED")?,
            (Db::Pg(pg), true) => {
                let key = write_lock_key(&pg.borrow().schema);
                self.execute_batch("BEGIN ISOLATION LEVEL READ COMMITTED")?;
                let tx = Tx {
                    db: self,
                    open: true,
                };
                tx.query_row("SELECT pg_advisory_xact_lock(?1)", params![key], |_| Ok(()))?;
                return Ok(tx);
            }
            (Db::Pg(_), false) => self.execute_batch("BEGIN ISOLATION LEVEL REPEATABLE READ")?,
        }
        Ok(Tx {
            db: self,
            open: true,
        })
    }
}

/// The advisory lock that stands for a site's write lock on PostgreSQL: 64 bits of the SHA-256
/// of its schema name, so sites in one database never share a lock. Public for the tests that
/// wait for a killed writer's lock to be released.
pub fn write_lock_key(schema: &str) -> i64 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("peil write lock {schema}").as_bytes());
    i64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
}

fn pg_params<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

/// A site's schema name: a plain identifier, so that it can be quoted into SQL as it is.
pub(crate) fn check_schema_name(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !schema.starts_with("pg_");
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{schema:?} is not a schema name for a site: lower-case letters, digits and _, \
             at most 63, not starting with a digit or pg_"
        )))
    }
}

/// An open transaction; statements run through it (it dereferences to the [`Db`]).
pub(crate) struct Tx<'a> {
    db: &'a Db,
    open: bool,
}

impl Tx<'_> {
    /// Commits; a COMMIT that fails (a deferred constraint, a busy SQLite file) is rolled back
    /// on drop, as SQLite would otherwise keep the transaction open on the connection, which
    /// a pool then hands on to a caller who reads an old snapshot and writes unseen.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.db.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::on_both;

    on_both! {
        fn a_commit_that_fails_leaves_no_transaction_open(s: &mut Store) {
            // A deferred constraint fails at COMMIT; SQLite then keeps the transaction open.
            // A pooled connection handed on inside it would read an old snapshot for ever and
            // hide its later writes from every other connection.
            s.db.execute_batch(
                "CREATE TABLE t_parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE t_child (parent INTEGER REFERENCES t_parent (id)
                     DEFERRABLE INITIALLY DEFERRED);",
            )
            .unwrap();
            let tx = s.db.begin(true).unwrap();
            tx.execute("INSERT INTO t_child (parent) VALUES (7)", params![]).unwrap();
            assert!(tx.commit().is_err(), "the deferred check fails at COMMIT");
            s.db.execute("INSERT INTO t_parent (id) VALUES (1)", params![]).unwrap();
            let other = crate::testing::another_connection(s);
            let n: i64 = other
                .db
                .query_one("SELECT COUNT(*) FROM t_parent", params![], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 1, "the write after the failed commit is committed and seen");
            let n: i64 = other
                .db
                .query_one("SELECT COUNT(*) FROM t_child", params![], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "the failed transaction wrote nothing");
        }
    }

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            translate("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"d?\" = ?12").unwrap(),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"d?\" = $12"
        );
        assert_eq!(translate("VALUES (?, ?)").unwrap(), "VALUES ($1, $2)");
        assert_eq!(
            translate("SELECT 'é?', ?1 -- what?\n, ?2").unwrap(),
            "SELECT 'é?', $1 -- what?\n, $2"
        );
    }

    #[test]
    fn insert_or_ignore_becomes_on_conflict_and_replace_is_refused() {
        assert_eq!(
            translate("INSERT OR IGNORE INTO site_meta (key, value) VALUES (?1, ?2)").unwrap(),
            "INSERT INTO site_meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        assert!(translate("INSERT OR REPLACE INTO t (a) VALUES (?1)").is_err());
        assert!(translate("insert or replace into t (a) values (?1)").is_err());
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["gent", "site_2", "_x"] {
            check_schema_name(ok).unwrap();
        }
        for bad in [
            "",
            "Gent",
            "2x",
            "a\"b",
            "a;b",
            "pg_catalog",
            &"x".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad:?}");
        }
    }
}
