//! Scraped samples, kept the way rules read them.
//!
//! The engine reads the same Prometheus text `/metrics` serves (parsed with `openmetrics-parser`),
//! so what it alerts on is exactly what Prometheus would scrape, and it works as well on the text
//! of any other exporter. Each distinct series gets a small integer id once; a sample is then a
//! plain vector of values indexed by id, so a windowed rate is an index lookup and a subtraction.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{PrometheusType, PrometheusValue};

/// Why scraped text could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot parse the Prometheus text exposition: {reason}")]
pub struct ParseError {
    reason: String,
}

/// A series: a sample name (histograms contribute `_bucket` series with `le`, `_sum` and
/// `_count`) and its labels, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SeriesKey {
    pub(crate) name: Box<str>,
    pub(crate) labels: Box<[(Box<str>, Box<str>)]>,
}

impl SeriesKey {
    /// The label's value; empty when the series lacks it, as PromQL matchers see it.
    pub(crate) fn label(&self, name: &str) -> &str {
        self.labels
            .binary_search_by(|(label, _)| (**label).cmp(name))
            .map_or("", |found| &self.labels[found].1)
    }
}

/// Every series seen so far, numbered in order of first appearance. Ids are never reused, so a
/// compiled rule only has to look at ids it has not seen yet.
#[derive(Debug, Default)]
pub(crate) struct SeriesIndex {
    ids: HashMap<SeriesKey, usize>,
    pub(crate) series: Vec<SeriesKey>,
}

impl SeriesIndex {
    fn id(&mut self, key: SeriesKey) -> usize {
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        let id = self.series.len();
        self.series.push(key.clone());
        self.ids.insert(key, id);
        id
    }

    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    /// Reads a Prometheus text exposition into a sample taken at `at`.
    pub(crate) fn parse(&mut self, text: &str, at: Instant) -> Result<Sample, ParseError> {
        if text.trim().is_empty() {
            // Nothing recorded yet; the parser wants at least one family.
            return Ok(Sample {
                at,
                values: vec![f64::NAN; self.len()],
            });
        }
        let exposition = parse_prometheus(text).map_err(|err| ParseError {
            reason: err.to_string(),
        })?;
        let mut values = vec![f64::NAN; self.len()];
        let mut put = |index: &mut SeriesIndex,
                       name: String,
                       labels: Vec<(Box<str>, Box<str>)>,
                       value: f64| {
            let mut labels = labels;
            labels.sort_unstable();
            let id = index.id(SeriesKey {
                name: name.into_boxed_str(),
                labels: labels.into_boxed_slice(),
            });
            if values.len() <= id {
                values.resize(id + 1, f64::NAN);
            }
            values[id] = value;
        };
        for family in exposition.families.values() {
            let name = &family.family_name;
            for sample in family.iter_samples() {
                let labels: Vec<(Box<str>, Box<str>)> = match sample.get_labelset() {
                    Ok(set) => set
                        .iter()
                        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
                        .collect(),
                    Err(err) => {
                        return Err(ParseError {
                            reason: format!("{name}: {err:?}"),
                        });
                    }
                };
                match (&family.family_type, &sample.value) {
                    (PrometheusType::Histogram, PrometheusValue::Histogram(histogram)) => {
                        for bucket in &histogram.buckets {
                            let mut with_le = labels.clone();
                            let le = if bucket.upper_bound.is_infinite() {
                                "+Inf".to_owned()
                            } else {
                                bucket.upper_bound.to_string()
                            };
                            with_le.push(("le".into(), le.into()));
                            put(
                                self,
                                format!("{name}_bucket"),
                                with_le,
                                bucket.count.as_f64(),
                            );
                        }
                        if let Some(count) = histogram.count {
                            put(self, format!("{name}_count"), labels.clone(), count as f64);
                        }
                        if let Some(sum) = &histogram.sum {
                            put(self, format!("{name}_sum"), labels, sum.as_f64());
                        }
                    }
                    (_, PrometheusValue::Counter(counter)) => {
                        put(self, name.clone(), labels, counter.value.as_f64());
                    }
                    (_, PrometheusValue::Gauge(value) | PrometheusValue::Unknown(value)) => {
                        put(self, name.clone(), labels, value.as_f64());
                    }
                    // Summaries: no catalog metric is one, and rules cannot use them.
                    _ => {}
                }
            }
        }
        Ok(Sample { at, values })
    }
}

/// The value of every known series at one moment; NaN for series absent from that scrape.
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

/// Samples going back as far as the longest window, thinned to about [`SAMPLES_PER_WINDOW`]
/// so memory stays flat however often the engine evaluates.
#[derive(Debug, Default)]
pub(crate) struct History {
    samples: VecDeque<Sample>,
}

/// How many samples the history keeps across the longest window, at most (plus the newest).
pub(crate) const SAMPLES_PER_WINDOW: u32 = 120;

impl History {
    /// Adds the newest sample, keeping `longest` window's worth.
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

    const TEXT: &str = "\
# TYPE victor_requests_total counter
victor_requests_total{endpoint=\"/chat\",status=\"500\"} 3
victor_requests_total{endpoint=\"/chat\",status=\"200\"} 97
# TYPE victor_error_rate gauge
victor_error_rate 0.03
# TYPE victor_request_duration_seconds histogram
victor_request_duration_seconds_bucket{endpoint=\"/chat\",le=\"0.5\"} 1
victor_request_duration_seconds_bucket{endpoint=\"/chat\",le=\"+Inf\"} 2
victor_request_duration_seconds_sum{endpoint=\"/chat\"} 1.7
victor_request_duration_seconds_count{endpoint=\"/chat\"} 2
";

    #[test]
    fn parses_counters_gauges_and_histogram_series() {
        let mut index = SeriesIndex::default();
        let sample = index.parse(TEXT, Instant::now()).expect("parse");
        let find = |name: &str, label: (&str, &str)| {
            let id = index
                .series
                .iter()
                .position(|s| &*s.name == name && s.label(label.0) == label.1)
                .unwrap_or_else(|| panic!("{name} {label:?}"));
            sample.value(id)
        };
        assert_eq!(find("victor_requests_total", ("status", "500")), 3.0);
        assert_eq!(find("victor_error_rate", ("", "")), 0.03);
        assert_eq!(
            find("victor_request_duration_seconds_bucket", ("le", "0.5")),
            1.0
        );
        assert_eq!(
            find("victor_request_duration_seconds_bucket", ("le", "+Inf")),
            2.0
        );
        assert_eq!(
            find(
                "victor_request_duration_seconds_count",
                ("endpoint", "/chat")
            ),
            2.0
        );
        // Ids are stable across scrapes.
        let len = index.len();
        index.parse(TEXT, Instant::now()).expect("parse");
        assert_eq!(index.len(), len);
    }

    #[test]
    fn reads_what_the_exporter_renders_escapes_and_nan_included() {
        use victor_metrics_core::exposition::ExpositionBuilder;
        use victor_metrics_core::{Request, VictorMetrics, catalog};

        let (recorder, exposition) = ExpositionBuilder::new().build().expect("recorder");
        let text = metrics::with_local_recorder(&recorder, || {
            let metrics = VictorMetrics::new();
            metrics.record_request(&Request {
                endpoint: "/say \"hi\"\\n\nünï",
                method: "POST",
                status: 503,
                duration: std::time::Duration::from_millis(5),
                error_type: None,
            });
            metrics
                .gauge(&catalog::PROVIDER_SUCCESS_RATE, ["a", "b"])
                .set(f64::NAN);
            metrics.refresh();
            exposition.render()
        });
        let mut index = SeriesIndex::default();
        let sample = index
            .parse(&text, Instant::now())
            .expect("the exporter's own text parses");
        let id = index
            .series
            .iter()
            .position(|s| &*s.name == "victor_requests_total")
            .expect("requests");
        assert_eq!(index.series[id].label("endpoint"), "/say \"hi\"\\n\nünï");
        assert_eq!(sample.value(id), 1.0);
    }

    #[test]
    fn bad_text_is_an_error() {
        let mut index = SeriesIndex::default();
        assert!(index.parse("victor_x{ 1\n", Instant::now()).is_err());
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
