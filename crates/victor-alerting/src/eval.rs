//! Evaluating typed signals over the sample history.
//!
//! Each rule keeps, per selector, the ids of the series it matches and the group each falls in.
//! That list grows only when new series appear (it scans only ids it has not seen), so a steady
//! evaluation is arithmetic over vectors: no string is compared and nothing is hashed.

use std::collections::HashMap;

use victor_metrics_core::quantile;

use crate::rule::{Selector, Signal, SignalKind};
use crate::series::{History, Sample, SeriesIndex, SeriesKey};

/// A group's `by` label names and values.
pub(crate) type GroupLabels = Vec<(&'static str, Box<str>)>;

/// One matched series of one selector.
#[derive(Clone, Copy, Debug)]
struct Term {
    series: usize,
    group: usize,
    /// For histogram buckets: the index of its `le` among the bounds (`bounds.len()` is `+Inf`).
    bucket: usize,
}

/// A signal's matches, kept up to date with the index.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    scanned: usize,
    /// Per group, the `by` label values.
    pub(crate) groups: Vec<GroupLabels>,
    group_ids: HashMap<Vec<Box<str>>, usize>,
    /// Per selector (in [`Signal::selectors`] order), the series it matches.
    terms: Vec<Vec<Term>>,
}

impl Compiled {
    /// Looks at the series that appeared since the last call.
    pub(crate) fn update(&mut self, signal: &Signal, index: &SeriesIndex) {
        if self.scanned == index.len() && !self.terms.is_empty() {
            return;
        }
        let selectors = signal.selectors();
        if self.terms.len() != selectors.len() {
            self.terms = vec![Vec::new(); selectors.len()];
        }
        let quantile_bounds = match &signal.kind {
            SignalKind::Quantile { histogram, .. } => Some(histogram.metric.buckets()),
            _ => None,
        };
        for id in self.scanned..index.len() {
            let series = &index.series[id];
            for (position, selector) in selectors.iter().enumerate() {
                let suffix = if quantile_bounds.is_some() {
                    "_bucket"
                } else {
                    selector.suffix
                };
                if !selects(selector, suffix, series) {
                    continue;
                }
                let bucket = match quantile_bounds {
                    // The store's buckets are the catalog's, so the index is the bound's.
                    Some(bounds) => match series.bucket {
                        Some(bucket) if bucket <= bounds.len() => bucket,
                        _ => continue,
                    },
                    None => 0,
                };
                let key: Vec<Box<str>> = signal
                    .by
                    .iter()
                    .map(|label| series.label(label).into())
                    .collect();
                let next = self.groups.len();
                let group = *self.group_ids.entry(key.clone()).or_insert(next);
                if group == next {
                    self.groups
                        .push(signal.by.iter().copied().zip(key).collect());
                }
                self.terms[position].push(Term {
                    series: id,
                    group,
                    bucket,
                });
            }
        }
        self.scanned = index.len();
    }

    /// The signal's value per group (NaN where it cannot be computed).
    pub(crate) fn evaluate(&self, signal: &Signal, history: &History) -> Vec<f64> {
        let groups = self.groups.len();
        let Some(current) = history.current() else {
            return vec![f64::NAN; groups];
        };
        match &signal.kind {
            SignalKind::Rate { window, .. } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                let elapsed = current.at.saturating_duration_since(base.at).as_secs_f64();
                self.increases(0, current, base)
                    .into_iter()
                    .map(|increase| increase / elapsed)
                    .collect()
            }
            SignalKind::Ratio { window, .. } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                let numerator = self.increases(0, current, base);
                let mut denominator = vec![f64::NAN; groups];
                for position in 1..self.terms.len() {
                    for (total, part) in denominator
                        .iter_mut()
                        .zip(self.increases(position, current, base))
                    {
                        *total = add(*total, part);
                    }
                }
                numerator
                    .into_iter()
                    .zip(denominator)
                    .map(|(n, d)| if d > 0.0 { add(0.0, n) / d } else { f64::NAN })
                    .collect()
            }
            SignalKind::Quantile {
                q,
                histogram,
                window,
            } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                let bounds = histogram.metric.buckets();
                let width = bounds.len() + 1;
                // One flat block of per-group cumulative counts.
                let mut cumulative = vec![0_u64; groups * width];
                for term in &self.terms[0] {
                    if let Some(increase) = increase(current, base, term.series) {
                        // Counts are whole numbers; `+ 0.5` rounds without a libm call.
                        cumulative[term.group * width + term.bucket] += (increase + 0.5) as u64;
                    }
                }
                cumulative
                    .chunks_exact(width)
                    .map(|counts| quantile(*q, bounds, counts).unwrap_or(f64::NAN))
                    .collect()
            }
            SignalKind::Growth { short, long, .. } => {
                let (Some(recent), Some(base)) = (history.base(*short), history.base(*long)) else {
                    return vec![f64::NAN; groups];
                };
                let per_second = |base: &Sample| {
                    let elapsed = current.at.saturating_duration_since(base.at).as_secs_f64();
                    self.increases(0, current, base)
                        .into_iter()
                        .map(move |increase| increase / elapsed)
                };
                per_second(recent)
                    .zip(per_second(base))
                    .map(|(short, long)| if long > 0.0 { short / long } else { f64::NAN })
                    .collect()
            }
            SignalKind::Gauge { .. } => self.highest(0, current),
            SignalKind::GaugeRatio { .. } => self
                .highest(0, current)
                .into_iter()
                .zip(self.highest(1, current))
                .map(|(n, d)| if d > 0.0 { n / d } else { f64::NAN })
                .collect(),
        }
    }

    /// Per group, the summed increase of selector `position`'s series; NaN for groups it has none in.
    fn increases(&self, position: usize, current: &Sample, base: &Sample) -> Vec<f64> {
        let mut sums = vec![f64::NAN; self.groups.len()];
        for term in &self.terms[position] {
            if let Some(increase) = increase(current, base, term.series) {
                sums[term.group] = add(sums[term.group], increase);
            }
        }
        sums
    }

    fn highest(&self, position: usize, current: &Sample) -> Vec<f64> {
        let mut highest = vec![f64::NAN; self.groups.len()];
        for term in &self.terms[position] {
            let value = current.value(term.series);
            if !value.is_nan() {
                // f64::max ignores NaN, so the first value replaces the initial NaN.
                highest[term.group] = highest[term.group].max(value);
            }
        }
        highest
    }
}

/// NaN-as-nothing addition.
fn add(total: f64, part: f64) -> f64 {
    match (total.is_nan(), part.is_nan()) {
        (true, _) => part,
        (false, true) => total,
        (false, false) => total + part,
    }
}

/// How much a counter grew between two samples: a series absent from the base was created since
/// (it grew from zero); a drop is a restart (it grew from zero to its current value).
fn increase(current: &Sample, base: &Sample, series: usize) -> Option<f64> {
    let now = current.value(series);
    if now.is_nan() {
        return None;
    }
    let before = base.value(series);
    Some(if before.is_nan() || now < before {
        now
    } else {
        now - before
    })
}

fn selects(selector: &Selector, suffix: &str, series: &SeriesKey) -> bool {
    &*series.name == selector.metric.name()
        && series.suffix == suffix
        && series.kind() == selector.metric.kind()
        && selector
            .matchers
            .iter()
            .all(|matcher| matcher.accepts(series.label(matcher.label)))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::rule::{counter, gauge, histogram};
    use victor_metrics_core::catalog;

    use metrics::{Key, Label, Level, Metadata, Recorder};
    use victor_metrics_core::exposition::{ExpositionBuilder, Store};

    const META: Metadata<'static> = Metadata::new("test", Level::INFO, None);

    fn store() -> Store {
        ExpositionBuilder::new().build().expect("store").0
    }

    fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
        let labels: Vec<Label> = labels
            .iter()
            .map(|(k, v)| Label::new(*k, (*v).to_owned()))
            .collect();
        Key::from_parts(name, labels)
    }

    fn set_counter(store: &Store, name: &'static str, labels: &[(&'static str, &str)], value: u64) {
        store
            .register_counter(&key(name, labels), &META)
            .absolute(value);
    }

    fn scrape(index: &mut SeriesIndex, history: &mut History, store: &Store, at: Instant) {
        history.push(index.read(store, at), Duration::from_secs(300));
    }

    fn compile(signal: &Signal, index: &mut SeriesIndex, store: &Store) -> Compiled {
        for selector in signal.selectors() {
            index.want(selector.metric.name());
        }
        index.read(store, Instant::now());
        let mut compiled = Compiled::default();
        compiled.update(signal, index);
        compiled
    }

    #[test]
    fn ratio_rate_and_quantile_per_group() {
        let start = Instant::now();
        let store = store();
        let mut index = SeriesIndex::default();
        let mut history = History::default();
        let requests = |chat_ok: u64, chat_err: u64, tools_ok: u64| {
            let name = "victor_requests_total";
            let labels = |endpoint, status| {
                [
                    ("endpoint", endpoint),
                    ("method", "POST"),
                    ("status", status),
                ]
            };
            set_counter(&store, name, &labels("/chat", "200"), chat_ok);
            set_counter(&store, name, &labels("/chat", "503"), chat_err);
            set_counter(&store, name, &labels("/tools", "200"), tools_ok);
        };
        let ratio = Signal::ratio(
            counter(&catalog::REQUESTS_TOTAL).matches("status", "5.."),
            [counter(&catalog::REQUESTS_TOTAL)],
            Duration::from_secs(300),
        )
        .by(["endpoint"]);
        let rate = Signal::rate(counter(&catalog::REQUESTS_TOTAL), Duration::from_secs(300));
        for signal in [&ratio, &rate] {
            for selector in signal.selectors() {
                index.want(selector.metric.name());
            }
        }
        requests(100, 0, 50);
        scrape(&mut index, &mut history, &store, start);
        requests(170, 30, 150);
        scrape(
            &mut index,
            &mut history,
            &store,
            start + Duration::from_secs(10),
        );

        let mut compiled = Compiled::default();
        compiled.update(&ratio, &index);
        let values = compiled.evaluate(&ratio, &history);
        let by_endpoint: HashMap<&str, f64> = compiled
            .groups
            .iter()
            .map(|g| &*g[0].1)
            .zip(values)
            .collect();
        assert!(
            (by_endpoint["/chat"] - 0.3).abs() < 1e-12,
            "{by_endpoint:?}"
        );
        // /tools had no errors: 0, not NaN, since its denominator moved.
        assert_eq!(by_endpoint["/tools"], 0.0);

        let mut compiled = Compiled::default();
        compiled.update(&rate, &index);
        assert_eq!(
            compiled.evaluate(&rate, &history),
            vec![(70.0 + 30.0 + 100.0) / 10.0]
        );
    }

    #[test]
    fn growth_compares_a_short_window_with_a_long_one_over_a_histogram_sum() {
        let start = Instant::now();
        let store = store();
        let mut index = SeriesIndex::default();
        let mut history = History::default();
        let cost = store.register_histogram(
            &key(
                "victor_llm_cost_usd",
                &[("provider", "openai"), ("model", "gpt")],
            ),
            &META,
        );
        let long = Duration::from_secs(3600);
        let spike = Signal::growth(
            histogram(&catalog::LLM_COST_USD).sum(),
            Duration::from_secs(300),
            long,
        )
        .by(["provider"]);
        let mut compiled = compile(&spike, &mut index, &store);
        // $1 a minute for an hour, then $10 in the last five minutes.
        for minute in 0..=60_u64 {
            if minute > 55 {
                cost.record(10.0);
            } else if minute > 0 {
                cost.record(1.0);
            }
            history.push(
                index.read(&store, start + Duration::from_secs(minute * 60)),
                long,
            );
        }
        compiled.update(&spike, &index);
        let [growth] = compiled.evaluate(&spike, &history)[..] else {
            panic!("one group");
        };
        // $50 over 5 minutes against $105 over 60: (50/300) / (105/3600).
        assert!(
            (growth - (50.0 / 300.0) / (105.0 / 3600.0)).abs() < 1e-9,
            "{growth}"
        );
        // Neither `_bucket` nor `_count` is the sum.
        assert_eq!(compiled.terms[0].len(), 1);
    }

    #[test]
    fn quantile_matches_histogram_quantile_over_the_window() {
        let start = Instant::now();
        let store = store();
        let mut index = SeriesIndex::default();
        let mut history = History::default();
        let bounds = catalog::REQUEST_DURATION_SECONDS.def().buckets();
        let durations = store.register_histogram(
            &key("victor_request_duration_seconds", &[("endpoint", "/chat")]),
            &META,
        );
        let p95 = Signal::quantile(
            0.95,
            histogram(&catalog::REQUEST_DURATION_SECONDS),
            Duration::from_secs(300),
        );
        compile(&p95, &mut index, &store);
        for _ in 0..1000 {
            durations.record(bounds[0]); // old fast requests, outside the window's increase
        }
        scrape(&mut index, &mut history, &store, start);
        for _ in 0..10 {
            durations.record(bounds[bounds.len() - 1]); // ten slow requests in the last bucket
        }
        scrape(
            &mut index,
            &mut history,
            &store,
            start + Duration::from_secs(30),
        );

        let mut compiled = Compiled::default();
        compiled.update(&p95, &index);
        let value = compiled.evaluate(&p95, &history)[0];
        let lower = bounds[bounds.len() - 2];
        let upper = bounds[bounds.len() - 1];
        assert!(
            value > lower && value <= upper,
            "{value} within ({lower}, {upper}]"
        );
    }

    #[test]
    fn gauge_ratio_and_missing_series() {
        let store = store();
        let mut index = SeriesIndex::default();
        let mut history = History::default();
        let gauge_key = |component| key("victor_memory_usage_bytes", &[("component", component)]);
        store
            .register_gauge(&gauge_key("process"), &META)
            .set(900.0);
        store.register_gauge(&gauge_key("cache"), &META).set(2000.0);
        store
            .register_gauge(&key("victor_memory_limit_bytes", &[]), &META)
            .set(1000.0);
        let signal = Signal::gauge_ratio(
            gauge(&catalog::MEMORY_USAGE_BYTES).eq("component", "process"),
            gauge(&catalog::MEMORY_LIMIT_BYTES),
        );
        let rate = Signal::rate(counter(&catalog::REQUESTS_TOTAL), Duration::from_secs(60));
        let compiled = compile(&signal, &mut index, &store);
        let _ = compile(&rate, &mut index, &store);
        scrape(&mut index, &mut history, &store, Instant::now());
        let mut compiled = compiled;
        compiled.update(&signal, &index);
        assert_eq!(compiled.evaluate(&signal, &history), vec![0.9]);

        // A rate needs two samples; with one it is NaN (never alerting).
        let mut compiled = Compiled::default();
        compiled.update(&rate, &index);
        assert!(
            compiled
                .evaluate(&rate, &history)
                .iter()
                .all(|v| v.is_nan())
        );
    }

    #[test]
    fn a_series_of_the_wrong_kind_is_skipped() {
        let store = store();
        let mut index = SeriesIndex::default();
        // A gauge where the catalog has a counter: the store keeps the family's first kind.
        store
            .register_gauge(
                &key("victor_llm_requests_total", &[("provider", "p")]),
                &META,
            )
            .set(5.0);
        let rate = Signal::rate(
            counter(&catalog::LLM_REQUESTS_TOTAL),
            Duration::from_secs(60),
        );
        let compiled = compile(&rate, &mut index, &store);
        assert!(compiled.groups.is_empty(), "nothing selected");
    }

    #[test]
    fn counter_restart_counts_from_zero() {
        let start = Instant::now();
        let base = Sample {
            at: start,
            values: vec![100.0, f64::NAN],
        };
        let current = Sample {
            at: start,
            values: vec![5.0, 7.0],
        };
        assert_eq!(increase(&current, &base, 0), Some(5.0));
        assert_eq!(increase(&current, &base, 1), Some(7.0));
        assert_eq!(increase(&current, &base, 2), None);
    }
}
