//! Recorded series, read straight from the store the way rules read them.
//!
//! The engine reads the same [`Store`] that `/metrics` renders, never the rendered text: a
//! label value of any content cannot stop an evaluation, and nothing is parsed. Only the metrics
//! some rule names are indexed, and the index keeps one reader per series, nothing more. Each
//! read numbers every value of those series (a counter, a gauge, a histogram's every bucket,
//! sum and count) in a [`Sample`]; the series that appeared since the last read come with a
//! [`SeriesKey`] per value, which each rule matches once and then forgets.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use victor_metrics_core::MetricKind;
use victor_metrics_core::exposition::{SeriesPart, SeriesReader, Store};

/// One value of a series new to the index: a metric name with the suffix the value has in the
/// text format (`_bucket`, `_sum`, `_count`, or none), the histogram bucket, and the labels,
/// sorted by name (shared by every value of one series); `id` is its place in a [`Sample`].
#[derive(Clone, Debug)]
pub(crate) struct SeriesKey {
    pub(crate) id: usize,
    pub(crate) name: Arc<str>,
    pub(crate) suffix: &'static str,
    /// For `_bucket` values: the index of its bound (`bounds.len()` is `+Inf`).
    pub(crate) bucket: Option<usize>,
    pub(crate) labels: Arc<[(Box<str>, Box<str>)]>,
    pub(crate) kind: MetricKind,
}

impl SeriesKey {
    /// The label's value; empty when the series lacks it, as PromQL matchers see it.
    pub(crate) fn label(&self, name: &str) -> &str {
        self.labels
            .binary_search_by(|(label, _)| (**label).cmp(name))
            .map_or("", |found| &self.labels[found].1)
    }
}

/// The series of the metrics rules name, in the order their values take in a [`Sample`].
/// Places are never reused until [`SeriesIndex::reset`].
#[derive(Debug, Default)]
pub(crate) struct SeriesIndex {
    readers: Vec<SeriesReader>,
    /// How many values a sample of them holds.
    values: usize,
    /// The metrics rules name, each with how many of its series are indexed. Only their
    /// series are indexed, and only the new ones are visited.
    wanted: BTreeMap<&'static str, usize>,
    /// The store's series count at the last read: when it has not moved, nothing is new.
    scanned: Option<u64>,
    /// A sample's values handed back by [`SeriesIndex::recycle`], reused by the next read.
    spare: Vec<f64>,
}

impl SeriesIndex {
    /// How many values a sample holds.
    pub(crate) fn len(&self) -> usize {
        self.values
    }

    /// Makes `metric` (a catalog name) one whose series are indexed. Returns whether it is
    /// new, in which case the index starts over (see [`SeriesIndex::reset`]).
    pub(crate) fn want(&mut self, metric: &'static str) -> bool {
        let new = !self.wanted.contains_key(metric);
        if new {
            self.wanted.insert(metric, 0);
            self.reset();
        }
        new
    }

    /// Forgets every series, so the next read finds them all again, each with a new key.
    pub(crate) fn reset(&mut self) {
        self.readers.clear();
        self.values = 0;
        self.wanted.values_mut().for_each(|indexed| *indexed = 0);
        self.scanned = None;
    }

    /// Indexes the series that appeared in `store` since the last call, then reads every
    /// indexed value into a sample taken at `at`. Returns the sample and a key for each value
    /// of the series new to the index.
    pub(crate) fn read(&mut self, store: &Store, at: Instant) -> (Sample, Vec<SeriesKey>) {
        let created = store.series_created();
        let mut new_keys = Vec::new();
        if self.scanned != Some(created) {
            let wanted: Vec<(&'static str, usize)> = self
                .wanted
                .iter()
                .map(|(name, indexed)| (*name, *indexed))
                .collect();
            for (metric, indexed) in wanted {
                let name: Arc<str> = metric.into();
                let now = store.visit_metric(metric, indexed, |mut labels, reader| {
                    labels.sort_unstable();
                    let labels: Arc<[(Box<str>, Box<str>)]> = labels
                        .into_iter()
                        .map(|(label, value)| (label.into_boxed_str(), value.into_boxed_str()))
                        .collect();
                    self.add(Arc::clone(&name), labels, reader, &mut new_keys);
                });
                self.wanted.insert(metric, now);
            }
            self.scanned = Some(created);
        }
        let mut values = std::mem::take(&mut self.spare);
        values.clear();
        values.reserve(self.len());
        let mut buckets = Vec::new();
        for reader in &self.readers {
            match reader.kind() {
                MetricKind::Histogram => {
                    reader.read_buckets(&mut buckets);
                    values.extend(buckets.iter().map(|count| *count as f64));
                    values.push(reader.read(SeriesPart::Sum));
                    values.push(buckets.last().map_or(0.0, |count| *count as f64));
                }
                _ => values.push(reader.read(SeriesPart::Value)),
            }
        }
        (Sample { at, values }, new_keys)
    }

    /// Takes back a sample read earlier, so the next read reuses its memory.
    pub(crate) fn recycle(&mut self, sample: Sample) {
        self.spare = sample.values;
    }

    /// Indexes one series, with a key for each of its values.
    fn add(
        &mut self,
        name: Arc<str>,
        labels: Arc<[(Box<str>, Box<str>)]>,
        reader: SeriesReader,
        keys: &mut Vec<SeriesKey>,
    ) {
        let kind = reader.kind();
        // The order `read` writes them in: each bucket, the sum, the count; or the one value.
        let parts: Vec<(&'static str, Option<usize>)> = if kind == MetricKind::Histogram {
            (0..=reader.bounds().len())
                .map(|bucket| ("_bucket", Some(bucket)))
                .chain([("_sum", None), ("_count", None)])
                .collect()
        } else {
            vec![("", None)]
        };
        for (suffix, bucket) in parts {
            keys.push(SeriesKey {
                id: self.values,
                name: Arc::clone(&name),
                suffix,
                bucket,
                labels: Arc::clone(&labels),
                kind,
            });
            self.values += 1;
        }
        self.readers.push(reader);
    }
}

/// Values at one moment: what a read found for every indexed value, or a rule's per-group
/// figures made from it; NaN (or past the end) where there was none.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) at: Instant,
    pub(crate) values: Vec<f64>,
}

impl Sample {
    pub(crate) fn value(&self, id: usize) -> f64 {
        self.values.get(id).copied().unwrap_or(f64::NAN)
    }
}

/// A rule's figures going back as far as its window, thinned to about [`SAMPLES_PER_WINDOW`]
/// so memory stays flat however often the engine evaluates.
#[derive(Debug, Default)]
pub(crate) struct History {
    samples: VecDeque<Sample>,
}

/// How many samples the history keeps across its window, at most (plus the newest).
pub(crate) const SAMPLES_PER_WINDOW: u32 = 120;

impl History {
    /// Adds the newest sample, keeping `longest`'s worth (the rule's window).
    pub(crate) fn push(&mut self, sample: Sample, longest: Duration) {
        let spacing = longest / SAMPLES_PER_WINDOW;
        // The newest sample always stays; the one before it is dropped when it sits closer than
        // `spacing` to its own predecessor.
        if self.samples.len() >= 2 {
            let last = self.samples.len() - 1;
            if self.samples[last]
                .at
                .saturating_duration_since(self.samples[last - 1].at)
                < spacing
            {
                self.samples.pop_back();
            }
        }
        let now = sample.at;
        self.samples.push_back(sample);
        if let Some(horizon) = now.checked_sub(longest) {
            while self.samples.len() > 2 && self.samples[1].at <= horizon {
                self.samples.pop_front();
            }
        }
    }

    /// The newest sample.
    pub(crate) fn current(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// How long the samples kept span, newest to oldest.
    pub(crate) fn span(&self) -> Duration {
        match (self.samples.front(), self.samples.back()) {
            (Some(oldest), Some(newest)) => newest.at.saturating_duration_since(oldest.at),
            _ => Duration::ZERO,
        }
    }

    /// The sample a `window` rate starts from: the newest one at least `window` old, else the
    /// oldest (a partial window, right after start). `None` when there is only the current one.
    pub(crate) fn base(&self, window: Duration) -> Option<&Sample> {
        let current = self.samples.back()?;
        if self.samples.len() < 2 {
            return None;
        }
        let start = current.at.checked_sub(window);
        let older = start.map_or(0, |start| self.samples.partition_point(|s| s.at <= start));
        let index = older.saturating_sub(1).min(self.samples.len() - 2);
        self.samples.get(index)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.samples.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use metrics::{Key, Label, Level, Metadata, Recorder};
    use victor_metrics_core::exposition::ExpositionBuilder;

    const META: Metadata<'static> = Metadata::new("test", Level::INFO, None);

    fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
        Key::from_parts(
            name,
            labels
                .iter()
                .map(|(k, v)| Label::new(*k, (*v).to_owned()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn reads_wanted_counters_gauges_and_histogram_values_exactly() {
        let (store, _) = ExpositionBuilder::new().build().expect("store");
        let hostile = "/say \"hi\"\\n\n\r\0\u{2028}ünï";
        store
            .register_counter(
                &key(
                    "victor_requests_total",
                    &[("endpoint", hostile), ("status", "500")],
                ),
                &META,
            )
            .increment(3);
        store
            .register_gauge(&key("victor_error_rate", &[]), &META)
            .set(0.03);
        store
            .register_counter(&key("victor_cache_hits_total", &[("cache", "x")]), &META)
            .increment(1);
        let histogram = store.register_histogram(
            &key("victor_request_duration_seconds", &[("endpoint", "/chat")]),
            &META,
        );
        histogram.record(0.3);
        histogram.record(100.0);

        let mut index = SeriesIndex::default();
        for metric in [
            "victor_requests_total",
            "victor_error_rate",
            "victor_request_duration_seconds",
        ] {
            index.want(metric);
        }
        let (sample, keys) = index.read(&store, Instant::now());
        let find = |name: &str, suffix: &str, bucket: Option<usize>| {
            let key = keys
                .iter()
                .find(|s| &*s.name == name && s.suffix == suffix && s.bucket == bucket)
                .unwrap_or_else(|| panic!("{name}{suffix} {bucket:?}"));
            (key.clone(), sample.value(key.id))
        };
        let (requests, value) = find("victor_requests_total", "", None);
        assert_eq!(value, 3.0);
        assert_eq!(
            requests.label("endpoint"),
            hostile,
            "label values arrive exact"
        );
        assert_eq!(find("victor_error_rate", "", None).1, 0.03);
        let bounds = victor_metrics_core::catalog::REQUEST_DURATION_SECONDS
            .def()
            .buckets();
        let half = bounds
            .iter()
            .position(|b| *b >= 0.3)
            .expect("a bound over 0.3");
        let histogram = "victor_request_duration_seconds";
        assert_eq!(find(histogram, "_bucket", Some(half)).1, 1.0);
        assert_eq!(find(histogram, "_bucket", Some(bounds.len())).1, 2.0);
        assert_eq!(find(histogram, "_count", None).1, 2.0);
        assert_eq!(find(histogram, "_sum", None).1, 100.3);
        assert!(
            keys.iter().all(|s| &*s.name != "victor_cache_hits_total"),
            "metrics no rule names are not indexed"
        );

        // Known series get no new keys and keep their places; a new one is added after them.
        let len = index.len();
        let (_, again) = index.read(&store, Instant::now());
        assert!(again.is_empty());
        store
            .register_counter(
                &key(
                    "victor_requests_total",
                    &[("endpoint", "/b"), ("status", "200")],
                ),
                &META,
            )
            .increment(1);
        let (sample, added) = index.read(&store, Instant::now());
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].id, len);
        assert_eq!(sample.value(requests.id), 3.0);
        assert_eq!(sample.value(len), 1.0);

        // A newly wanted metric starts the index over: every series gets a key again.
        assert!(index.want("victor_cache_hits_total"));
        let (_, all) = index.read(&store, Instant::now());
        assert_eq!(all.len(), len + 2);
    }

    #[test]
    fn history_picks_the_window_base_and_stays_bounded() {
        let start = Instant::now();
        let mut history = History::default();
        let window = Duration::from_secs(300);
        for second in 0..=1000_u64 {
            let at = start + Duration::from_secs(second);
            history.push(
                Sample {
                    at,
                    values: vec![second as f64],
                },
                window,
            );
        }
        assert!(
            history.len() <= SAMPLES_PER_WINDOW as usize + 3,
            "{}",
            history.len()
        );
        let base = history.base(Duration::from_secs(60)).expect("base");
        let age = (start + Duration::from_secs(1000)).duration_since(base.at);
        assert!(
            age >= Duration::from_secs(60) && age <= Duration::from_secs(63),
            "{age:?}"
        );
        // A window longer than the history starts at the oldest sample.
        let oldest = history.base(Duration::from_secs(10_000)).expect("base");
        assert!(oldest.values[0] >= 695.0, "{:?}", oldest.values);
    }

    #[test]
    fn one_sample_has_no_base() {
        let mut history = History::default();
        history.push(
            Sample {
                at: Instant::now(),
                values: vec![],
            },
            Duration::from_secs(60),
        );
        assert!(history.base(Duration::from_secs(60)).is_none());
    }
}
