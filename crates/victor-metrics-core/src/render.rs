//! The store rendered as the Prometheus text format (0.0.4) or as OpenMetrics text (1.0.0).
//!
//! Both formats share the label syntax, and every series carries its labels escaped once, at
//! creation (the `store` module), so a render copies them and formats numbers (`itoa`, `ryu`).
//! Families come sorted by name and series in creation order, so two renders of the same
//! values are byte-identical. OpenMetrics adds what the text format cannot carry: counters
//! named without their `_total` suffix, the latest exemplar per histogram bucket, and `# EOF`.

use std::sync::PoisonError;

use crate::catalog::MetricKind;
use crate::store::{Cell, Exemplar, Family, Store};

/// The exposition format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Prometheus,
    /// OpenMetrics text, version 1.0.0, with exemplars.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` of a body in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// The format a scraper asks for in its `Accept` header: OpenMetrics when it lists
    /// `application/openmetrics-text` with a weight at least that of every other type it
    /// lists, the Prometheus text format otherwise (and when there is no header).
    ///
    /// ```
    /// use victor_metrics_core::render::Format;
    ///
    /// // What Prometheus 2.x sends.
    /// let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
    ///     version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    /// assert_eq!(Format::negotiate(Some("text/plain")), Format::Prometheus);
    /// assert_eq!(Format::negotiate(None), Format::Prometheus);
    /// ```
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Prometheus;
        };
        let mut openmetrics = 0.0_f64;
        let mut other = 0.0_f64;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let weight = parts
                .filter_map(|param| param.strip_prefix("q="))
                .find_map(|q| q.parse::<f64>().ok())
                .unwrap_or(1.0);
            if media == "application/openmetrics-text" {
                openmetrics = openmetrics.max(weight);
            } else if !media.is_empty() && media != "*/*" {
                other = other.max(weight);
            }
        }
        if openmetrics > 0.0 && openmetrics >= other {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }
}

/// Writes every family of `store` with at least one series into `out`.
pub(crate) fn render(store: &Store, format: Format, out: &mut String) {
    let mut writer = Writer {
        out,
        format,
        integers: itoa::Buffer::new(),
        floats: ryu::Buffer::new(),
        buckets: Vec::new(),
    };
    for family in store.families() {
        writer.family(&family);
    }
    if format == Format::OpenMetrics {
        writer.out.push_str("# EOF\n");
    }
}

struct Writer<'a> {
    out: &'a mut String,
    format: Format,
    integers: itoa::Buffer,
    floats: ryu::Buffer,
    buckets: Vec<u64>,
}

impl Writer<'_> {
    fn family(&mut self, family: &Family) {
        let series = family.series.read().unwrap_or_else(PoisonError::into_inner);
        if series.is_empty() {
            return;
        }
        let name = &*family.name;
        let (family_name, kind) = match (self.format, family.kind) {
            (Format::Prometheus, kind) => (name, kind_word(kind)),
            (Format::OpenMetrics, MetricKind::Counter) => match name.strip_suffix("_total") {
                Some(base) => (base, "counter"),
                // OpenMetrics counters end in `_total`; this one keeps its name as `unknown`.
                None => (name, "unknown"),
            },
            (Format::OpenMetrics, kind) => (name, kind_word(kind)),
        };
        if let Some(help) = &*family.help.read().unwrap_or_else(PoisonError::into_inner) {
            self.out.push_str("# HELP ");
            self.out.push_str(family_name);
            self.out.push(' ');
            self.help(help);
            self.out.push('\n');
        }
        self.out.push_str("# TYPE ");
        self.out.push_str(family_name);
        self.out.push(' ');
        self.out.push_str(kind);
        self.out.push('\n');
        for cell in series.iter() {
            match cell {
                Cell::Counter(cell) => {
                    self.sample_start(name, "", &cell.id.labels);
                    let value = cell.value.load(std::sync::atomic::Ordering::Relaxed);
                    self.out.push_str(self.integers.format(value));
                    self.out.push('\n');
                }
                Cell::Gauge(cell) => {
                    self.sample_start(name, "", &cell.id.labels);
                    let bits = cell.bits.load(std::sync::atomic::Ordering::Relaxed);
                    self.float(f64::from_bits(bits));
                    self.out.push('\n');
                }
                Cell::Histogram(cell) => {
                    let labels = &*cell.id.labels;
                    let mut buckets = std::mem::take(&mut self.buckets);
                    cell.cumulative(&mut buckets);
                    for (bucket, (count, le)) in buckets.iter().zip(family.le.iter()).enumerate() {
                        self.out.push_str(name);
                        self.out.push_str("_bucket{");
                        self.out.push_str(labels);
                        if !labels.is_empty() {
                            self.out.push(',');
                        }
                        self.out.push_str("le=\"");
                        self.out.push_str(le);
                        self.out.push_str("\"} ");
                        self.out.push_str(self.integers.format(*count));
                        if self.format == Format::OpenMetrics
                            && let Some(exemplar) = cell.exemplar(bucket)
                        {
                            self.exemplar(&exemplar);
                        }
                        self.out.push('\n');
                    }
                    self.sample_start(name, "_sum", labels);
                    self.float(cell.sum());
                    self.out.push('\n');
                    self.sample_start(name, "_count", labels);
                    let count = buckets.last().copied().unwrap_or(0);
                    self.out.push_str(self.integers.format(count));
                    self.out.push('\n');
                    self.buckets = buckets;
                }
            }
        }
    }

    /// `name` + `suffix`, the label set if any, and the space before the value.
    fn sample_start(&mut self, name: &str, suffix: &str, labels: &str) {
        self.out.push_str(name);
        self.out.push_str(suffix);
        if !labels.is_empty() {
            self.out.push('{');
            self.out.push_str(labels);
            self.out.push('}');
        }
        self.out.push(' ');
    }

    fn float(&mut self, value: f64) {
        if value.is_nan() {
            self.out.push_str("NaN");
        } else if value.is_infinite() {
            self.out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
        } else if value.fract() == 0.0 && value.abs() < 1e15 {
            // Whole numbers (counts, bytes) read best without a fraction.
            self.out.push_str(self.integers.format(value as i64));
        } else {
            self.out.push_str(self.floats.format_finite(value));
        }
    }

    fn exemplar(&mut self, exemplar: &Exemplar) {
        use std::fmt::Write;
        let _ = write!(self.out, " # {{trace_id=\"{}\"}} ", exemplar.trace_id);
        self.float(exemplar.value);
        self.out.push(' ');
        self.out
            .push_str(self.floats.format_finite(exemplar.timestamp));
    }

    /// A `# HELP` text: backslash and line feed escaped, and in OpenMetrics the double quote.
    fn help(&mut self, help: &str) {
        let openmetrics = self.format == Format::OpenMetrics;
        for c in help.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '"' if openmetrics => self.out.push_str("\\\""),
                c => self.out.push(c),
            }
        }
    }
}

fn kind_word(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
        MetricKind::Histogram => "histogram",
    }
}

#[cfg(test)]
mod tests {
    use metrics::{Key, Label, Level, Metadata, Recorder};
    use proptest::prelude::*;

    use super::*;
    use crate::exemplar::{self, TraceId};
    use crate::exposition::{Exposition, ExpositionBuilder};

    const META: Metadata<'static> = Metadata::new("test", Level::INFO, None);

    fn exposition() -> (Store, Exposition) {
        ExpositionBuilder::new().build().expect("store")
    }

    fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
        let labels: Vec<Label> = labels
            .iter()
            .map(|(k, v)| Label::new(*k, (*v).to_owned()))
            .collect();
        Key::from_parts(name, labels)
    }

    /// The label values of every sample line of `family`, unescaped as the exposition
    /// specification says (only `\\`, `\"` and `\n` are escapes; anything else after a
    /// backslash is an error), in the order they appear.
    fn label_values(text: &str, family: &str, label: &str) -> Vec<String> {
        let prefix = format!("{family}{{");
        let needle = format!("{label}=\"");
        let mut values = Vec::new();
        for line in text.split('\n') {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let start = rest.find(&needle).expect("label present") + needle.len();
            let mut value = String::new();
            let mut chars = rest[start..].chars();
            loop {
                match chars.next().expect("closed value") {
                    '"' => break,
                    '\\' => match chars.next().expect("escape") {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        other => panic!("invalid escape \\{other} in {line:?}"),
                    },
                    c => value.push(c),
                }
            }
            values.push(value);
        }
        values
    }

    #[test]
    fn prometheus_text_of_every_kind() {
        let (store, exposition) = exposition();
        store
            .register_counter(
                &key(
                    "victor_requests_total",
                    &[("endpoint", "/chat"), ("status", "200")],
                ),
                &META,
            )
            .increment(3);
        store
            .register_gauge(&key("victor_error_rate", &[]), &META)
            .set(0.25);
        let latency =
            store.register_histogram(&key("victor_rag_retrieval_latency_seconds", &[]), &META);
        latency.record(0.3);
        latency.record(1e9);
        let text = exposition.render();
        assert!(
            text.contains(
                "# TYPE victor_requests_total counter\n\
                 victor_requests_total{endpoint=\"/chat\",status=\"200\"} 3\n"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE victor_error_rate gauge\nvictor_error_rate 0.25\n"));
        assert!(text.contains("victor_rag_retrieval_latency_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("victor_rag_retrieval_latency_seconds_sum 1000000000.3\n"));
        assert!(text.contains("victor_rag_retrieval_latency_seconds_count 2\n"));
        assert!(!text.contains("# EOF"));
        assert_eq!(text, exposition.render(), "renders are deterministic");
        // Families are sorted, so HELP precedes TYPE once per family.
        assert_eq!(text.matches("# TYPE victor_requests_total ").count(), 1);
    }

    #[test]
    fn openmetrics_names_counters_without_total_and_carries_exemplars() {
        let (store, exposition) = exposition();
        store
            .register_counter(
                &key("victor_requests_total", &[("endpoint", "/chat")]),
                &META,
            )
            .increment(1);
        let durations = store.register_histogram(
            &key("victor_request_duration_seconds", &[("endpoint", "/chat")]),
            &META,
        );
        let trace = TraceId::from_bytes([0xab; 16]);
        exemplar::with_trace_id(trace, || durations.record(0.3));
        durations.record(0.01); // no trace: no exemplar on its bucket
        let text = exposition.render_as(Format::OpenMetrics);
        assert!(text.contains("# TYPE victor_requests counter\n"), "{text}");
        assert!(text.contains("victor_requests_total{endpoint=\"/chat\"} 1\n"));
        let with_exemplar: Vec<&str> = text
            .lines()
            .filter(|line| line.contains(" # {trace_id="))
            .collect();
        assert_eq!(with_exemplar.len(), 1, "{text}");
        // Cumulative: the faster value counts in the exemplar's bucket too.
        let expected = format!("}} 2 # {{trace_id=\"{}\"}} 0.3 ", "ab".repeat(16));
        assert!(with_exemplar[0].contains(&expected), "{}", with_exemplar[0]);
        assert!(text.ends_with("# EOF\n"));
        // The text format carries no exemplars.
        assert!(!exposition.render().contains("trace_id"));
    }

    #[test]
    fn counters_without_total_stay_unknown_in_openmetrics() {
        let (store, exposition) = exposition();
        store
            .register_counter(&key("service_jobs", &[]), &META)
            .increment(2);
        let text = exposition.render_as(Format::OpenMetrics);
        assert!(
            text.contains("# TYPE service_jobs unknown\nservice_jobs 2\n"),
            "{text}"
        );
    }

    #[test]
    fn values_that_differ_only_in_escapes_stay_distinct() {
        let (store, exposition) = exposition();
        let values = [
            r"one\back",
            r"one\\back",
            "say \"hi\"",
            r#"say \"hi\""#,
            "C:\\Users\\me",
            "a\nb",
            r"a\nb",
        ];
        for value in values {
            store
                .register_counter(
                    &key("victor_feature_usage_total", &[("feature", value)]),
                    &META,
                )
                .increment(1);
        }
        for format in [Format::Prometheus, Format::OpenMetrics] {
            let text = exposition.render_as(format);
            assert_eq!(
                label_values(&text, "victor_feature_usage_total", "feature"),
                values,
                "{format:?}"
            );
        }
    }

    #[test]
    fn negotiation_weighs_what_the_scraper_prefers() {
        let cases = [
            ("application/openmetrics-text", Format::OpenMetrics),
            (
                "application/openmetrics-text;q=0.5,text/plain",
                Format::Prometheus,
            ),
            (
                "text/plain;q=0.5,application/openmetrics-text;q=0.9",
                Format::OpenMetrics,
            ),
            ("application/openmetrics-text;q=0", Format::Prometheus),
            (
                "APPLICATION/OPENMETRICS-TEXT ; version=1.0.0",
                Format::OpenMetrics,
            ),
            ("*/*", Format::Prometheus),
            ("", Format::Prometheus),
            (
                "application/openmetrics-text;q=nonsense",
                Format::OpenMetrics,
            ),
        ];
        for (accept, format) in cases {
            assert_eq!(Format::negotiate(Some(accept)), format, "{accept:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any header, however malformed, picks a format and never panics.
        #[test]
        fn any_accept_header_picks_a_format(accept in any::<String>()) {
            let format = Format::negotiate(Some(&accept));
            prop_assert!(matches!(format, Format::Prometheus | Format::OpenMetrics));
        }

        /// Any string, through the store and the renderer and back through the specification's
        /// unescaping, is itself.
        #[test]
        fn any_label_value_round_trips(value in any::<String>(), other in "(\\\\|\"|\n|\r|\0|\u{2028}|[a-z]){0,12}") {
            let (store, exposition) = exposition();
            for value in [&value, &other] {
                store
                    .register_counter(&key("victor_feature_usage_total", &[("feature", value)]), &META)
                    .increment(1);
            }
            let expected: Vec<&str> = if value == other { vec![&value] } else { vec![&value, &other] };
            for format in [Format::Prometheus, Format::OpenMetrics] {
                let text = exposition.render_as(format);
                prop_assert_eq!(
                    label_values(&text, "victor_feature_usage_total", "feature"),
                    expected.clone()
                );
            }
        }
    }
}
