//! Where answers are computed: on a runtime of their own, bounded in time.
//!
//! The server runs two tokio runtimes. The one that accepts connections, reads requests,
//! writes answers and serves `/health` and `/metrics` never renders anything; every other
//! answer (pages, tables, maps, PDFs, suggestions) is computed on the *compute* runtime, one
//! worker per core. A burst of expensive requests therefore queues there while health checks,
//! the store poller and new connections go on at once. An answer that takes longer than
//! [`ANSWER_TIMEOUT`] is abandoned with 503.

use crate::AppState;
use crate::limits::ANSWER_TIMEOUT;
use crate::problem::Problem;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The compute runtime, shut down in the background when the server state goes (dropping a
/// runtime inside another one would panic).
pub struct Compute(Option<tokio::runtime::Runtime>);

impl Compute {
    pub fn new() -> std::io::Result<Compute> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .max_blocking_threads(cores * 4)
            .thread_name("peil-compute")
            .enable_all()
            .build()
            .map(|rt| Compute(Some(rt)))
    }

    pub fn handle(&self) -> tokio::runtime::Handle {
        self.0
            .as_ref()
            .expect("runtime until drop")
            .handle()
            .clone()
    }
}

impl Drop for Compute {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Runs the rest of the stack for this request on the compute runtime.
pub(crate) async fn offload(st: &AppState, req: Request<axum::body::Body>, next: Next) -> Response {
    let path = req.uri().path();
    if crate::is_probe(path) {
        return next.run(req).await;
    }
    let task = st.inner.compute.handle().spawn(next.run(req));
    let abort = task.abort_handle();
    match tokio::time::timeout(ANSWER_TIMEOUT, task).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            format!("the answer failed: {e}"),
        )
        .into_response(),
        Err(_) => {
            abort.abort();
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Took too long",
                format!(
                    "the answer took over {} s and was abandoned; ask for less at once",
                    ANSWER_TIMEOUT.as_secs()
                ),
            )
            .into_response()
        }
    }
}
