//! The accept loop: HTTP/1.1 connections with a header-read timeout, counted while open, and a
//! bounded drain at shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::DRAIN_TIMEOUT;

/// Accepts connections until `shutdown`, then gives in-flight requests [`DRAIN_TIMEOUT`] to finish.
/// Each connection is HTTP/1.1 (what Prometheus scrapes with) and is closed when its client takes
/// longer than `header_read_timeout` to send a request's headers, so idle or slow clients cannot
/// pile up.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    connections: Arc<AtomicU64>,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, for one: back off instead of spinning.
                    tracing::warn!(error = %err, "cannot accept a connection; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let open = OpenConnection::new(Arc::clone(&connections));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection closed with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {DRAIN_TIMEOUT:?} after shutdown began; closing them"
        );
    }
}

/// Counts one open connection while alive (`victor_active_connections`).
struct OpenConnection(Arc<AtomicU64>);

impl OpenConnection {
    fn new(count: Arc<AtomicU64>) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenConnection(count)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::OpenConnection;

    #[test]
    fn open_connections_are_counted_while_their_guards_live() {
        let count = Arc::new(AtomicU64::new(0));
        let first = OpenConnection::new(Arc::clone(&count));
        let second = OpenConnection::new(Arc::clone(&count));
        assert_eq!(count.load(Ordering::Relaxed), 2);
        drop(first);
        assert_eq!(count.load(Ordering::Relaxed), 1);
        drop(second);
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }
}
