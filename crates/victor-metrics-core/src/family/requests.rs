//! Requests: `victor_requests_total`, latency, errors, requests in flight, the windowed request
//! and error rates, and chat latency.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::{Counter, Histogram};

use super::{CatalogSeries, InFlight, SeriesStats, Totals, method_label, owned, status_label};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};
use crate::series::{SeriesCache, register_counter, register_histogram};
use crate::stats::{HistogramSnapshot, SNAPSHOTS_PER_SPAN, Window};
use crate::summary::{OutcomeSummary, WindowFigures};

/// One handled request, for [`Requests::record_request`].
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The route template (`/chat`, `/api/tools/{name}`), never the raw path.
    pub endpoint: &'a str,
    /// The HTTP method; any but the standard ones records as `_OTHER` ([`method_label`]).
    pub method: &'a str,
    /// The HTTP status code sent.
    pub status: u16,
    /// Time from receipt to the last byte.
    pub duration: Duration,
    /// Why it failed, if it did. A 5xx without one counts as `server_error`.
    pub error_type: Option<&'a str>,
}

impl Request<'_> {
    /// A request is an error when it answered 5xx or named an error type; 4xx are the client's.
    pub fn is_error(&self) -> bool {
        self.status >= 500 || self.error_type.is_some()
    }
}

/// The request family ([`Group::Request`]): what the agent's API served.
pub struct Requests {
    catalog: Arc<CatalogSeries>,
    series: SeriesCache<RequestSeries>,
    errors: SeriesCache<Counter>,
    window: Mutex<RequestWindow>,
}

struct RequestSeries {
    total: Counter,
    duration: Histogram,
    stats: SeriesStats,
}

struct RequestWindow {
    errors: Window<()>,
    /// Latency snapshots across the span, oldest first (the first is the base).
    latency: VecDeque<(Instant, HistogramSnapshot)>,
    span: Duration,
    figures: WindowFigures,
}

impl Requests {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        let (limit, span, started) = (catalog.limit, catalog.window, catalog.started);
        Requests {
            series: SeriesCache::new(cat::REQUESTS_TOTAL.def().name(), limit),
            errors: SeriesCache::new(cat::REQUEST_ERRORS_TOTAL.def().name(), limit),
            window: Mutex::new(RequestWindow {
                errors: Window::new(span, started),
                latency: VecDeque::from([(
                    started,
                    HistogramSnapshot::empty(cat::REQUEST_DURATION_SECONDS.def().buckets()),
                )]),
                span,
                figures: WindowFigures::default(),
            }),
            catalog,
        }
    }

    /// Records one handled request: `victor_requests_total`, `victor_request_duration_seconds`,
    /// and on error `victor_request_errors_total`.
    #[inline]
    pub fn record_request(&self, request: &Request<'_>) {
        let seconds = request.duration.as_secs_f64();
        let status = status_label(request.status);
        let method = method_label(request.method);
        let labels = [request.endpoint, method, status];
        let error = request.is_error();
        self.series.with(
            &labels,
            |labels| RequestSeries {
                total: register_counter(cat::REQUESTS_TOTAL.def(), labels),
                duration: register_histogram(cat::REQUEST_DURATION_SECONDS.def(), labels),
                stats: SeriesStats::new(cat::REQUEST_DURATION_SECONDS.def()),
            },
            |series| {
                series.total.increment(1);
                series.duration.record(seconds);
                series.stats.record(error, seconds);
            },
        );
        if error {
            let error_type = request.error_type.unwrap_or("server_error");
            let labels = [request.endpoint, method, status, error_type];
            self.errors.with(
                &labels,
                |labels| register_counter(cat::REQUEST_ERRORS_TOTAL.def(), labels),
                |errors| errors.increment(1),
            );
        }
    }

    /// Counts a request in flight on `victor_active_requests` until the guard drops.
    pub fn track_request(&self, endpoint: &str, method: &str) -> InFlight {
        let labels = [endpoint, method_label(method)];
        let gauge = self
            .catalog
            .with_gauge(&cat::ACTIVE_REQUESTS, labels, Clone::clone);
        InFlight::start(gauge)
    }

    /// Records one chat request end to end (`victor_chat_request_duration_seconds`).
    pub fn record_chat_request(&self, provider: &str, duration: Duration) {
        self.catalog.observe(
            &cat::CHAT_REQUEST_DURATION_SECONDS,
            [provider],
            duration.as_secs_f64(),
        );
    }

    /// Every request since start: count, errors and latency percentiles.
    pub fn summary(&self) -> OutcomeSummary {
        let mut totals = Totals::new(cat::REQUEST_DURATION_SECONDS.def());
        self.series
            .for_each_series(|series| totals.add(&series.stats));
        totals.summary()
    }

    /// The request figures over the sliding window as of the last refresh (the tool and cache
    /// fields stay unset: their families fill them).
    pub(crate) fn window_figures(&self) -> WindowFigures {
        self.window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .figures
            .clone()
    }

    /// Label sets held.
    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }
}

impl Component for Requests {
    type View = OutcomeSummary;

    fn name(&self) -> &'static str {
        "requests"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Request])
    }

    /// Recomputes `victor_request_rate` and `victor_error_rate` over the window.
    fn refresh(&self) {
        let now = Instant::now();
        let mut tally = crate::stats::Tally::default();
        let mut latency = HistogramSnapshot::empty(cat::REQUEST_DURATION_SECONDS.def().buckets());
        self.series.for_each_series(|series| {
            tally.add(series.stats.tally());
            latency.merge(&series.stats.durations.snapshot());
        });
        let errors = crate::stats::Tally {
            good: tally.total - tally.good,
            total: tally.total,
        };
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let mut figures = WindowFigures::default();
        for ((), change, seconds) in window.errors.advance(now, HashMap::from([((), errors)])) {
            let rate = if seconds > 0.0 {
                change.total as f64 / seconds
            } else {
                0.0
            };
            self.catalog.set(&cat::REQUEST_RATE, [], rate);
            self.catalog.set(&cat::ERROR_RATE, [], change.ratio());
            figures.seconds = seconds;
            figures.requests = change.total;
            figures.request_error_ratio = change.ratio_or_none();
        }
        figures.request_p95_seconds = window.latency_p95(now, latency);
        window.figures = figures;
    }

    fn view(&self) -> Option<OutcomeSummary> {
        Some(self.summary())
    }
}

impl RequestWindow {
    /// Keeps `current` (cumulative request latency) and answers the p95 of what was observed
    /// since the oldest snapshot inside the span.
    fn latency_p95(&mut self, now: Instant, current: HistogramSnapshot) -> Option<f64> {
        let horizon = now.checked_sub(self.span);
        while self.latency.len() > 1 && horizon.is_some_and(|horizon| self.latency[0].0 < horizon) {
            self.latency.pop_front();
        }
        let p95 = self
            .latency
            .front()
            .and_then(|(_, base)| current.since(base).quantile(0.95));
        let spacing = self.span / SNAPSHOTS_PER_SPAN;
        if self
            .latency
            .back()
            .is_none_or(|(at, _)| now.saturating_duration_since(*at) >= spacing)
        {
            self.latency.push_back((now, current));
        }
        p95
    }
}
