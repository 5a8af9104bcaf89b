//! An exporter serving on a runtime of its own, for programs without a tokio runtime (a
//! synchronous service that wants `/metrics` and the probes beside its work) and for tests.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use victor_metrics_core::VictorMetrics;

use crate::Exporter;

/// A running exporter and its runtime. [`BackgroundExporter::shutdown`] stops it as SIGTERM
/// would (readiness off, drain, flush); dropping it stops it without waiting.
///
/// ```no_run
/// use victor_exporter::{config::Config, Exporter};
///
/// # fn main() -> anyhow::Result<()> {
/// let running = Exporter::new(Config::default())?.serve_in_background()?;
/// running.metrics().toolkit().set_build_info("1.2.3");
/// println!("scrape {}/metrics", running.url());
/// running.shutdown()?;
/// # Ok(())
/// # }
/// ```
pub struct BackgroundExporter {
    addr: SocketAddr,
    url: String,
    metrics: VictorMetrics,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for BackgroundExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundExporter")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// Binds the configured address and serves on a new multi-threaded runtime until
    /// [`BackgroundExporter::shutdown`] (or drop). Call it outside any tokio runtime.
    ///
    /// # Errors
    /// When the runtime cannot start or the address cannot be bound.
    pub fn serve_in_background(self) -> anyhow::Result<BackgroundExporter> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("victor-exporter")
            .build()
            .context("cannot start the exporter's runtime")?;
        let metrics = self.metrics().clone();
        let listener = runtime.block_on(self.bind())?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let (stop, stopped) = oneshot::channel::<()>();
        let server = runtime.spawn(self.serve(listener, async {
            let _ = stopped.await;
        }));
        Ok(BackgroundExporter {
            addr,
            url: format!("http://{addr}"),
            metrics,
            stop: Some(stop),
            server: Some(server),
            runtime: Some(runtime),
        })
    }
}

impl BackgroundExporter {
    /// The address it listens on (the real port when the configuration asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://ADDR`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The recording API of the exporter, for in-process instrumentation.
    pub fn metrics(&self) -> &VictorMetrics {
        &self.metrics
    }

    /// Stops it as SIGTERM would and waits for the drain.
    ///
    /// # Errors
    /// What serving ended with.
    pub fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let (Some(runtime), Some(server)) = (self.runtime.take(), self.server.take()) else {
            return Ok(());
        };
        runtime
            .block_on(server)
            .context("the exporter's server task failed")?
    }
}

impl Drop for BackgroundExporter {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Not `Runtime::drop`, which refuses to run inside an async context.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
