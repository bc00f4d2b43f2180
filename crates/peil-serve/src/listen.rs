//! Accepting connections, bounded.
//!
//! axum's own `serve` sets no timeouts, so a client that opens a connection and sends half a
//! request (or nothing) holds it forever; enough of them exhaust the process's file
//! descriptors. Here every connection is served by hyper's HTTP/1 with a header-read timeout
//! that also closes idle keep-alive connections ([`HEADER_TIMEOUT`]), a cap on the size of
//! the request head ([`MAX_HEAD`]), and a cap on open connections derived from the
//! file-descriptor limit ([`max_connections`]); a failed `accept` (out of descriptors) waits
//! a moment instead of ending the server.

use crate::limits::{HEADER_TIMEOUT, MAX_HEAD, max_connections};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::{Service, ServiceExt};

/// Serves `app` on `listener` until `shutdown` resolves; in-flight requests finish first.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cap = max_connections();
    let slots = Arc::new(Semaphore::new(cap));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    loop {
        // Wait for a free slot first: beyond the cap, clients wait in the kernel's backlog.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("semaphore never closed"),
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    let error = e.to_string();
                    tracing::warn!(target: crate::log::SERVER, event = "accept failed", error = error.as_str());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = match ServiceExt::<SocketAddr>::ready(&mut make).await {
            Ok(m) => m.call(addr).await.unwrap_or_else(|never| match never {}),
            Err(never) => match never {},
        };
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            let mut conn = std::pin::pin!(conn);
            let stopping = tokio::select! {
                _ = conn.as_mut() => false,
                r = stop.wait_for(|s| *s) => r.is_ok(),
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        });
    }
    let _ = stop_tx.send(true);
    // Wait until every connection has finished (each holds a slot).
    let _ = tokio::time::timeout(Duration::from_secs(30), slots.acquire_many(cap as u32)).await;
    Ok(())
}
