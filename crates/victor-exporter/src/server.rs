//! The accept loop: HTTP/1.1 connections with a header-read timeout, counted while open, capped
//! (`max_connections`, with a reserve that answers probes only), and a bounded drain at shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::DRAIN_TIMEOUT;
use crate::config::PROBE_RESERVE;
use victor_metrics_core::VictorMetrics;

/// How many connections are served, and what is done past that.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimit {
    /// Open connections served fully (`max_connections`).
    pub(crate) max: usize,
    /// Connections past `max` served `/health/*` only, one request each.
    pub(crate) reserve: usize,
}

impl ConnectionLimit {
    pub(crate) fn new(max: usize) -> ConnectionLimit {
        ConnectionLimit {
            max,
            reserve: PROBE_RESERVE,
        }
    }
}

/// How each connection is read: the header-read timeout (which also bounds a TLS handshake)
/// and TLS, when the web configuration has it.
pub(crate) struct Transport {
    pub(crate) header_read_timeout: Duration,
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Answers `/health/*` and refuses everything else with 503: what a connection from the probe
/// reserve is served.
async fn probes_only(request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/health/") {
        return next.run(request).await;
    }
    let body = serde_json::json!({
        "error": "connection limit reached (max_connections); this connection is served \
                  /health/* only: retry, or raise max_connections"
    });
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, "1")],
        axum::Json(body),
    )
        .into_response()
}

/// Logs that the limit holds on the first connection over it, then at most once a minute with
/// how many came over since.
struct LimitLog {
    last: Option<Instant>,
    since: u64,
}

impl LimitLog {
    fn over(&mut self, open: u64, limit: ConnectionLimit) {
        self.since += 1;
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        tracing::warn!(
            open,
            max_connections = limit.max,
            over_limit = self.since,
            "connection limit reached: new connections are served /health/* only ({} of them), \
             then closed; see victor_exporter_connections_over_limit_total",
            limit.reserve
        );
        self.last = Some(Instant::now());
        self.since = 0;
    }
}

/// Accepts connections until `shutdown`, then gives in-flight requests [`DRAIN_TIMEOUT`] to finish.
/// With `tls`, each connection is a TLS one (handshake in the connection's own task, bounded by
/// `header_read_timeout`).
/// Each connection is HTTP/1.1 (what Prometheus scrapes with) and is closed when its client takes
/// longer than `header_read_timeout` to send a request's headers, so idle or slow clients cannot
/// pile up.
///
/// Past `limit.max` open connections, a new one is served `/health/*` only, one request and
/// closed (so probes keep answering); past `limit.max + limit.reserve` it is closed at once. Both
/// are counted in `victor_exporter_connections_over_limit_total` and logged.
pub(crate) async fn serve_connections(
    listener: TcpListener,
    router: Router,
    transport: Transport,
    connections: Arc<AtomicU64>,
    limit: ConnectionLimit,
    metrics: VictorMetrics,
    shutdown: impl Future<Output = ()>,
) {
    let Transport {
        header_read_timeout,
        tls,
    } = transport;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut reserved = http.clone();
    reserved.keep_alive(false);
    let probes = router.clone().layer(axum::middleware::from_fn(probes_only));
    // Both outcomes exist from the start at zero, so rate() has a series.
    metrics.exporter().record_connections_over_limit(true, 0);
    metrics.exporter().record_connections_over_limit(false, 0);
    let mut log = LimitLog {
        last: None,
        since: 0,
    };
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
        let open_now = connections.load(Ordering::Relaxed);
        let over = open_now >= limit.max as u64;
        if over {
            let served = open_now < limit.max.saturating_add(limit.reserve) as u64;
            metrics.exporter().record_connections_over_limit(served, 1);
            log.over(open_now, limit);
            if !served {
                drop(stream);
                continue;
            }
        }
        let builder = if over { reserved.clone() } else { http.clone() };
        let service = TowerToHyperService::new(if over { probes.clone() } else { router.clone() });
        let open = OpenConnection::new(Arc::clone(&connections));
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    let io = TokioIo::new(stream);
                    watcher.watch(builder.serve_connection(io, service)).await
                }
                Some(acceptor) => {
                    // A client that never finishes the handshake is cut off like one that never
                    // sends its headers.
                    let stream =
                        match tokio::time::timeout(header_read_timeout, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(err)) => {
                                tracing::debug!(%peer, error = %err, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let io = TokioIo::new(stream);
                    watcher.watch(builder.serve_connection(io, service)).await
                }
            };
            if let Err(err) = served {
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
        count.fetch_add(1, Ordering::Relaxed);
        OpenConnection(count)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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
