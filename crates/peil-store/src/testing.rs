//! The store's test matrix: one test body run on SQLite and on PostgreSQL.
//!
//! `on_both! { fn name(s: &mut Store) { … } }` makes a module `name` with the tests `sqlite` and
//! `postgres`, each running the body on a new, empty store of that engine: a temporary SQLite
//! file, or a new schema (a site of its own) on the PostgreSQL server the test process shares
//! (`peil_pgtest::TempPostgres::shared`, started by the first test that needs it).

use crate::Store;
use peil_pgtest::TempPostgres;
use std::sync::Arc;

/// A store for one test, with what keeps it alive.
pub(crate) struct TestStore {
    store: Store,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<Arc<TempPostgres>>,
}

impl TestStore {
    pub(crate) fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::create(&dir.path().join("peil.sqlite")).expect("a SQLite store");
        TestStore {
            store,
            _dir: Some(dir),
            _pg: None,
        }
    }

    pub(crate) fn postgres() -> TestStore {
        let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
        let schema = TempPostgres::unique_name("site");
        let store = Store::open_postgres(&pg_config(&pg), &schema, true)
            .unwrap_or_else(|e| panic!("a PostgreSQL store: {e}"));
        TestStore {
            store,
            _dir: None,
            _pg: Some(pg),
        }
    }
}

/// A second connection to the store of `s`, as another replica (or process) has.
pub(crate) fn another_connection(s: &Store) -> Store {
    match s.db.schema() {
        None => Store::open(s.path()).expect("the SQLite store again"),
        Some(schema) => {
            let pg = TempPostgres::shared().unwrap_or_else(|e| panic!("{e}"));
            Store::open_postgres(&pg_config(&pg), &schema, false)
                .unwrap_or_else(|e| panic!("the PostgreSQL store again: {e}"))
        }
    }
}

/// How to reach the test server.
pub(crate) fn pg_config(pg: &TempPostgres) -> postgres::Config {
    pg.conninfo().parse().expect("a valid connection string")
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl std::ops::DerefMut for TestStore {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}

/// One test body, run on both engines (see the module's comment).
macro_rules! on_both {
    ($(fn $name:ident($s:ident: &mut Store) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($s: &mut $crate::Store) $body

            #[test]
            fn sqlite() {
                body(&mut $crate::testing::TestStore::sqlite());
            }

            #[test]
            fn postgres() {
                body(&mut $crate::testing::TestStore::postgres());
            }
        }
    )*};
}
pub(crate) use on_both;

/// The synchronous PostgreSQL client runs a small runtime of its own and blocks: the server
/// calls the store on its blocking pool (`spawn_blocking`), where that works. On an async
/// worker thread itself it would refuse ("Cannot start a runtime from within a runtime") — the
/// reason no store call may be made there.
#[test]
fn a_postgresql_store_answers_from_the_servers_blocking_pool() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let keys = rt.block_on(async {
        tokio::task::spawn_blocking(|| {
            let s = TestStore::postgres();
            s.add_api_key("k", "abc", &[]).unwrap();
            s.api_keys().unwrap().len()
        })
        .await
        .unwrap()
    });
    assert_eq!(keys, 1);
}
