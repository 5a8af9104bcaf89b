//! Evaluating typed signals over their own history.
//!
//! Each rule keeps, per selector, the sample places of the values it matches and the group each
//! falls in. That list grows only with the keys of values new to the index, so a steady
//! evaluation is arithmetic over vectors: no string is compared and nothing is hashed. At every
//! observation a rule folds what it matches into one figure per group, selector and bucket (a
//! sum of counters, the highest gauge), and keeps only those figures for its window: memory
//! grows with the groups a rule alerts on, not with the series it reads.

use std::collections::HashMap;
use std::time::Duration;

use victor_metrics_core::quantile;

use crate::rule::{Selector, Signal, SignalKind};
use crate::series::{History, Sample, SeriesKey};

/// A group's `by` label names and values.
pub(crate) type GroupLabels = Vec<(&'static str, Box<str>)>;

/// One matched value of one selector.
#[derive(Clone, Copy, Debug)]
struct Term {
    /// Its place in a [`Sample`].
    series: usize,
    group: usize,
    /// For histogram buckets: the index of its `le` among the bounds (`bounds.len()` is `+Inf`).
    bucket: usize,
}

/// A signal's matches and the per-group figures it observed.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    /// Per group, the `by` label values.
    pub(crate) groups: Vec<GroupLabels>,
    group_ids: HashMap<Vec<Box<str>>, usize>,
    /// Per selector (in [`Signal::selectors`] order), the values it matches.
    terms: Vec<Vec<Term>>,
    /// Per observation, per group: each selector's figures (one, or one per bucket).
    history: History,
}

/// Where a signal's figures sit in an observation: per group `stride` figures, selector
/// `position` from `offset(position)`.
struct Layout {
    widths: Vec<usize>,
    stride: usize,
}

impl Layout {
    fn of(signal: &Signal) -> Layout {
        let widths: Vec<usize> = match &signal.kind {
            SignalKind::Quantile { histogram, .. } | SignalKind::ShareAbove { histogram, .. } => {
                vec![histogram.metric.buckets().len() + 1]
            }
            _ => vec![1; signal.selectors().len()],
        };
        let stride = widths.iter().sum();
        Layout { widths, stride }
    }

    fn place(&self, group: usize, position: usize, bucket: usize) -> usize {
        group * self.stride + self.widths[..position].iter().sum::<usize>() + bucket
    }
}

impl Compiled {
    /// Forgets the matched places (the index starts over); groups and history stay, since a
    /// group is known by its labels.
    pub(crate) fn forget_places(&mut self) {
        self.terms.clear();
    }

    /// Matches the keys of values new to the index.
    pub(crate) fn update(&mut self, signal: &Signal, keys: &[SeriesKey]) {
        let selectors = signal.selectors();
        if self.terms.len() != selectors.len() {
            self.terms = vec![Vec::new(); selectors.len()];
        }
        let quantile_bounds = match &signal.kind {
            SignalKind::Quantile { histogram, .. } | SignalKind::ShareAbove { histogram, .. } => {
                Some(histogram.metric.buckets())
            }
            _ => None,
        };
        for series in keys {
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
                    series: series.id,
                    group,
                    bucket,
                });
            }
        }
    }

    /// Folds `sample` into this signal's figures per group and keeps them for its window.
    pub(crate) fn observe(&mut self, signal: &Signal, sample: &Sample) {
        let layout = Layout::of(signal);
        let highest = matches!(
            signal.kind,
            SignalKind::Gauge { .. } | SignalKind::GaugeRatio { .. }
        );
        let mut figures = vec![f64::NAN; self.groups.len() * layout.stride];
        for (position, terms) in self.terms.iter().enumerate() {
            for term in terms {
                let value = sample.value(term.series);
                let figure = &mut figures[layout.place(term.group, position, term.bucket)];
                *figure = if highest {
                    // f64::max ignores NaN, so the first value replaces the initial NaN.
                    figure.max(value)
                } else {
                    add(*figure, value)
                };
            }
        }
        self.history.push(
            Sample {
                at: sample.at,
                values: figures,
            },
            signal.window().unwrap_or(Duration::ZERO),
        );
    }

    /// The signal's value per group (NaN where it cannot be computed), times its factor (and the
    /// share of its window seen, for [`Signal::unseen_as_clean`]).
    pub(crate) fn evaluate(&self, signal: &Signal) -> Vec<f64> {
        let mut values = self.evaluate_unscaled(signal);
        let mut scale = signal.scale;
        if signal.unseen_as_clean
            && let Some(window) = signal.window()
            && !window.is_zero()
        {
            scale *= (self.history.span().as_secs_f64() / window.as_secs_f64()).min(1.0);
        }
        if scale != 1.0 {
            values.iter_mut().for_each(|value| *value *= scale);
        }
        values
    }

    fn evaluate_unscaled(&self, signal: &Signal) -> Vec<f64> {
        let groups = self.groups.len();
        let history = &self.history;
        let layout = Layout::of(signal);
        let Some(current) = history.current() else {
            return vec![f64::NAN; groups];
        };
        let grew = |base: &Sample, group: usize, position: usize, bucket: usize| {
            increase(current, base, layout.place(group, position, bucket))
        };
        match &signal.kind {
            SignalKind::Rate { window, .. } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                let elapsed = current.at.saturating_duration_since(base.at).as_secs_f64();
                (0..groups)
                    .map(|group| grew(base, group, 0, 0).unwrap_or(f64::NAN) / elapsed)
                    .collect()
            }
            SignalKind::Increase { window, .. } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                (0..groups)
                    .map(|group| grew(base, group, 0, 0).unwrap_or(f64::NAN))
                    .collect()
            }
            SignalKind::ShareAbove {
                histogram,
                bound,
                window,
            } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                let bounds = histogram.metric.buckets();
                // A built rule's bound is one of the buckets'.
                let Some(at) = bounds.iter().position(|b| b == bound) else {
                    return vec![f64::NAN; groups];
                };
                (0..groups)
                    .map(|group| {
                        let all = grew(base, group, 0, bounds.len()).unwrap_or(f64::NAN);
                        let fast = grew(base, group, 0, at).unwrap_or(0.0);
                        if all > 0.0 {
                            ((all - fast) / all).max(0.0)
                        } else {
                            f64::NAN
                        }
                    })
                    .collect()
            }
            SignalKind::Ratio { window, .. } => {
                let Some(base) = history.base(*window) else {
                    return vec![f64::NAN; groups];
                };
                (0..groups)
                    .map(|group| {
                        let numerator = grew(base, group, 0, 0).unwrap_or(f64::NAN);
                        let denominator = (1..layout.widths.len()).fold(f64::NAN, |total, p| {
                            add(total, grew(base, group, p, 0).unwrap_or(f64::NAN))
                        });
                        if denominator > 0.0 {
                            add(0.0, numerator) / denominator
                        } else {
                            f64::NAN
                        }
                    })
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
                let mut cumulative = vec![0_u64; bounds.len() + 1];
                (0..groups)
                    .map(|group| {
                        for (bucket, count) in cumulative.iter_mut().enumerate() {
                            // Counts are whole numbers; `+ 0.5` rounds without a libm call.
                            *count = grew(base, group, 0, bucket)
                                .map_or(0, |increase| (increase + 0.5) as u64);
                        }
                        quantile(*q, bounds, &cumulative).unwrap_or(f64::NAN)
                    })
                    .collect()
            }
            SignalKind::Growth { short, long, .. } => {
                let (Some(recent), Some(base)) = (history.base(*short), history.base(*long)) else {
                    return vec![f64::NAN; groups];
                };
                let per_second = |base: &Sample, group: usize| {
                    let elapsed = current.at.saturating_duration_since(base.at).as_secs_f64();
                    grew(base, group, 0, 0).unwrap_or(f64::NAN) / elapsed
                };
                (0..groups)
                    .map(|group| {
                        let (short, long) = (per_second(recent, group), per_second(base, group));
                        if long > 0.0 { short / long } else { f64::NAN }
                    })
                    .collect()
            }
            SignalKind::Gauge { .. } => (0..groups)
                .map(|group| current.value(layout.place(group, 0, 0)))
                .collect(),
            SignalKind::GaugeRatio { .. } => (0..groups)
                .map(|group| {
                    let numerator = current.value(layout.place(group, 0, 0));
                    let denominator = current.value(layout.place(group, 1, 0));
                    if denominator > 0.0 {
                        numerator / denominator
                    } else {
                        f64::NAN
                    }
                })
                .collect(),
        }
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

/// How much a counter (or a group's sum of counters) grew between two samples: one absent from
/// the base was created since (it grew from zero); a drop is a restart (it grew from zero to its
/// current value).
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
        && series.kind == selector.metric.kind()
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
    use crate::series::SeriesIndex;
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

    /// Signals compiled against one store, observed as the engine does.
    struct Rig {
        store: Store,
        index: SeriesIndex,
        signals: Vec<(Signal, Compiled)>,
    }

    impl Rig {
        fn new(store: &Store, signals: impl IntoIterator<Item = Signal>) -> Rig {
            let mut index = SeriesIndex::default();
            let signals: Vec<(Signal, Compiled)> = signals
                .into_iter()
                .map(|signal| (signal, Compiled::default()))
                .collect();
            for (signal, _) in &signals {
                for selector in signal.selectors() {
                    index.want(selector.metric.name());
                }
            }
            Rig {
                store: store.clone(),
                index,
                signals,
            }
        }

        fn observe(&mut self, at: Instant) {
            let (sample, keys) = self.index.read(&self.store, at);
            for (signal, compiled) in &mut self.signals {
                compiled.update(signal, &keys);
                compiled.observe(signal, &sample);
            }
        }

        fn evaluate(&self, signal: usize) -> Vec<f64> {
            let (signal, compiled) = &self.signals[signal];
            compiled.evaluate(signal)
        }

        fn compiled(&self, signal: usize) -> &Compiled {
            &self.signals[signal].1
        }
    }

    #[test]
    fn ratio_rate_and_quantile_per_group() {
        let start = Instant::now();
        let store = store();
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
        let mut rig = Rig::new(&store, [ratio, rate]);
        requests(100, 0, 50);
        rig.observe(start);
        requests(170, 30, 150);
        rig.observe(start + Duration::from_secs(10));

        let by_endpoint: HashMap<&str, f64> = rig
            .compiled(0)
            .groups
            .iter()
            .map(|g| &*g[0].1)
            .zip(rig.evaluate(0))
            .collect();
        assert!(
            (by_endpoint["/chat"] - 0.3).abs() < 1e-12,
            "{by_endpoint:?}"
        );
        // /tools had no errors: 0, not NaN, since its denominator moved.
        assert_eq!(by_endpoint["/tools"], 0.0);
        assert_eq!(rig.evaluate(1), vec![(70.0 + 30.0 + 100.0) / 10.0]);
    }

    #[test]
    fn a_series_created_inside_the_window_counts_from_zero() {
        let start = Instant::now();
        let store = store();
        let rate = Signal::rate(counter(&catalog::REQUESTS_TOTAL), Duration::from_secs(60));
        let mut rig = Rig::new(&store, [rate]);
        let labels = |endpoint| [("endpoint", endpoint), ("method", "GET"), ("status", "200")];
        set_counter(&store, "victor_requests_total", &labels("/old"), 100);
        rig.observe(start);
        set_counter(&store, "victor_requests_total", &labels("/old"), 110);
        set_counter(&store, "victor_requests_total", &labels("/new"), 20);
        rig.observe(start + Duration::from_secs(10));
        assert_eq!(rig.evaluate(0), vec![3.0], "(10 + 20) / 10 s");
    }

    #[test]
    fn increase_counts_events_and_share_above_reads_the_slow_buckets() {
        let start = Instant::now();
        let store = store();
        let latency = store.register_histogram(
            &key("victor_request_duration_seconds", &[("endpoint", "/chat")]),
            &META,
        );
        let window = Duration::from_secs(60);
        let slow = Signal::share_above(histogram(&catalog::REQUEST_DURATION_SECONDS), 10.0, window);
        let events = Signal::increase(
            histogram(&catalog::REQUEST_DURATION_SECONDS).count(),
            window,
        );
        let mut rig = Rig::new(&store, [slow, events]);
        latency.record(0.5);
        rig.observe(start);
        assert!(rig.evaluate(0)[0].is_nan(), "one sample has no window");
        // 6 fast, 2 at exactly the bound (not slow: `le` is inclusive), 2 slow.
        for value in [0.1, 0.2, 0.3, 1.0, 2.0, 5.0, 10.0, 10.0, 10.5, 300.0] {
            latency.record(value);
        }
        rig.observe(start + Duration::from_secs(30));
        assert_eq!(rig.evaluate(0), vec![0.2]);
        assert_eq!(rig.evaluate(1), vec![10.0]);
        // Nothing observed over the window: no share (NaN), zero events.
        rig.observe(start + Duration::from_secs(200));
        rig.observe(start + Duration::from_secs(300));
        assert!(rig.evaluate(0)[0].is_nan());
        assert_eq!(rig.evaluate(1), vec![0.0]);
    }

    #[test]
    fn growth_compares_a_short_window_with_a_long_one_over_a_histogram_sum() {
        let start = Instant::now();
        let store = store();
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
        let mut rig = Rig::new(&store, [spike]);
        // $1 a minute for an hour, then $10 in the last five minutes.
        for minute in 0..=60_u64 {
            if minute > 55 {
                cost.record(10.0);
            } else if minute > 0 {
                cost.record(1.0);
            }
            rig.observe(start + Duration::from_secs(minute * 60));
        }
        let [growth] = rig.evaluate(0)[..] else {
            panic!("one group");
        };
        // $50 over 5 minutes against $105 over 60: (50/300) / (105/3600).
        assert!(
            (growth - (50.0 / 300.0) / (105.0 / 3600.0)).abs() < 1e-9,
            "{growth}"
        );
        // Neither `_bucket` nor `_count` is the sum.
        assert_eq!(rig.compiled(0).terms[0].len(), 1);
    }

    #[test]
    fn quantile_matches_histogram_quantile_over_the_window() {
        let start = Instant::now();
        let store = store();
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
        let mut rig = Rig::new(&store, [p95]);
        for _ in 0..1000 {
            durations.record(bounds[0]); // old fast requests, outside the window's increase
        }
        rig.observe(start);
        for _ in 0..10 {
            durations.record(bounds[bounds.len() - 1]); // ten slow requests in the last bucket
        }
        rig.observe(start + Duration::from_secs(30));
        let value = rig.evaluate(0)[0];
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
        let gauge_key = |component| key("victor_memory_usage_bytes", &[("component", component)]);
        store
            .register_gauge(&gauge_key("process"), &META)
            .set(900.0);
        store.register_gauge(&gauge_key("cache"), &META).set(2000.0);
        store
            .register_gauge(&key("victor_memory_limit_bytes", &[]), &META)
            .set(1000.0);
        let ratio = Signal::gauge_ratio(
            gauge(&catalog::MEMORY_USAGE_BYTES).eq("component", "process"),
            gauge(&catalog::MEMORY_LIMIT_BYTES),
        );
        let rate = Signal::rate(counter(&catalog::REQUESTS_TOTAL), Duration::from_secs(60));
        let mut rig = Rig::new(&store, [ratio, rate]);
        rig.observe(Instant::now());
        assert_eq!(rig.evaluate(0), vec![0.9]);
        // A rate needs two samples; with one it is NaN (never alerting).
        assert!(rig.evaluate(1).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_series_of_the_wrong_kind_is_skipped() {
        let store = store();
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
        let mut rig = Rig::new(&store, [rate]);
        rig.observe(Instant::now());
        assert!(rig.compiled(0).groups.is_empty(), "nothing selected");
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
