//! The preview of the test copy: the whole website and API as they will look after the next
//! publication, for experts and administrators only.
//!
//! An expert turns it on in the back office (`POST /admin/preview`, kept in their session in
//! the store). The trust boundary (`access.rs`) then puts a [`Preview`] — the test copy's
//! snapshot — beside the reader of every request of that session outside `/admin`, and every
//! answer reads that snapshot instead of the live one (`api::Ctx::new`, OData, selection
//! tables). Nothing a client sends other than a valid session of a user whose role is at
//! least expert, with preview on, makes a preview: the flag lives in the store, not in a
//! cookie or parameter, and the role is checked again at every request (a demoted expert loses
//! it at once). Answers to logged-in users are never cached and say `private, no-store`
//! (`cache.rs`), and the cache refuses a request carrying a [`Preview`] besides.
//!
//! The snapshot is computed from the test copy as `peil publish` would (`peil_import::publish::
//! preview`), on the blocking pool, when first asked for and again when the test copy or the
//! access groups change (`Store::test_revision`, `Store::access_revision`); one at a time, and
//! shared by every expert.

use crate::AppState;
use crate::api::cache::Entry;
use peil_compute::Snapshot;
use std::sync::Arc;

/// The test copy's snapshot for this request (a request extension, set by the boundary only).
#[derive(Clone)]
pub(crate) struct Preview(pub Arc<Snapshot>);

/// The server's preview, when one was built.
#[derive(Default)]
pub(crate) struct Copies(tokio::sync::Mutex<Option<Built>>);

struct Built {
    /// (test-copy revision, access revision) it was built at.
    revision: (u64, u64),
    snap: Arc<Snapshot>,
    /// What the API derives from it (indexes, fragments, the theme tree), kept as long as it.
    entry: Arc<Entry>,
}

impl Copies {
    /// The derived entry of `snap` when it is the preview being served.
    pub fn entry_of(&self, snap: &Arc<Snapshot>) -> Option<Arc<Entry>> {
        let copy = self.0.try_lock().ok()?;
        copy.as_ref()
            .filter(|c| Arc::ptr_eq(&c.snap, snap))
            .map(|c| c.entry.clone())
    }
}

/// The test copy's snapshot, built when the test copy changed since the last one; `None` when
/// it cannot be built (logged: the reader then gets the live copy, without the banner).
pub(crate) async fn snapshot(st: &AppState) -> Option<Arc<Snapshot>> {
    let revision = st
        .with_store(|s| Ok((s.test_revision()?, s.access_revision()?)))
        .await
        .ok()?;
    let mut copy = st.inner.preview.0.lock().await;
    if let Some(c) = copy.as_ref()
        && c.revision == revision
    {
        return Some(c.snap.clone());
    }
    let path = st.store_location().clone();
    let built = tokio::task::spawn_blocking(move || {
        let store = peil_store::Store::open_at(&path)?;
        peil_import::publish::preview(&store)
    })
    .await;
    match built {
        Ok(Ok(snap)) => {
            let snap = Arc::new(snap);
            *copy = Some(Built {
                revision,
                entry: crate::api::cache::new_entry(&snap),
                snap: snap.clone(),
            });
            Some(snap)
        }
        Ok(Err(e)) => {
            tracing::error!(target: crate::log::SERVER, event = "preview not built", error = e.to_string().as_str());
            None
        }
        Err(e) => {
            tracing::error!(target: crate::log::SERVER, event = "preview not built", error = e.to_string().as_str());
            None
        }
    }
}
