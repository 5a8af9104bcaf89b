//! A service adds a component of its own to the exporter: a work queue whose depth is a JSON
//! view at `/api/performance/queue`, refreshed before every scrape alongside the built-in ones.
//!
//! `cargo run -p victor-exporter --example own_component`, then
//! `curl localhost:9091/api/performance/queue`.

#![allow(clippy::print_stdout, reason = "an example prints what to try")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use victor_exporter::{Exporter, config::Config};
use victor_metrics_core::{Component, MetricDef};

/// The service's work queue.
#[derive(Default)]
struct Queue {
    depth: AtomicUsize,
}

/// What `/api/performance/queue` answers.
#[derive(Serialize)]
struct QueueView {
    depth: usize,
}

impl Component for Queue {
    type View = QueueView;

    fn name(&self) -> &'static str {
        "queue"
    }

    /// It owns no catalog metric; a component that records one of the catalog's would list it
    /// here, and the exporter would refuse a second owner.
    fn metrics(&self) -> Vec<&'static MetricDef> {
        Vec::new()
    }

    fn view(&self) -> Option<QueueView> {
        Some(QueueView {
            depth: self.depth.load(Ordering::Relaxed),
        })
    }
}

fn main() -> anyhow::Result<()> {
    let queue = Arc::new(Queue::default());
    let running = Exporter::new(Config::default())?
        .component(Arc::clone(&queue))?
        .serve_in_background()?;
    queue.depth.store(3, Ordering::Relaxed);
    println!(
        "{}/api/performance/queue answers {{\"depth\":3}}",
        running.url()
    );
    running.shutdown()?;
    Ok(())
}
