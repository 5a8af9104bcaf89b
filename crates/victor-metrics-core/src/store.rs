//! The one store of what was recorded: a `metrics` [`Recorder`] whose series the renderers and
//! the alert engine read directly.
//!
//! Lookup by key is `metrics-util`'s sharded [`Registry`]; what it stores per series is ours:
//!
//! - a counter is one `AtomicU64`; an increment saturates at `u64::MAX` rather than wrap, so
//!   a counter never goes backwards whatever number reaches it;
//! - a gauge is one `AtomicU64` holding the `f64`'s bits;
//! - a histogram has fixed buckets (the catalog's, else the store's defaults), one atomic count
//!   per bucket and an atomic sum, so a record is a bucket search and two atomic adds, with no
//!   buffer to drain and no upkeep thread; its `_count` is the sum of its buckets, so a render
//!   never shows a `+Inf` bucket that disagrees with `_count`;
//! - duration histograms keep, per bucket, the latest exemplar: the trace that was current
//!   (see [`crate::exemplar`]) when a value fell there.
//!
//! Every series also keeps its label pairs already escaped as the exposition formats want
//! them (backslash, double quote and line feed escaped; every other character raw), so a render
//! copies bytes and formats numbers, and the escaping is exact by construction: two distinct
//! label values can never render alike.
//!
//! Series are grouped by metric into families, in the order they were created; a family takes
//! its kind from the first description or registration of its name. A registration of the
//! same name with another kind gets a working handle that is not rendered, and is counted in
//! [`Store::kind_conflicts`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::SystemTime;

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use metrics_exporter_prometheus::formatting::{sanitize_label_key, sanitize_metric_name};
use metrics_util::registry::{Registry, Storage};

use crate::catalog::{self, MetricKind};
use crate::exemplar::{self, TraceId};

/// The recorded series of every metric, shared by the recorder, the renderers and the alert
/// engine. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry<Key, Cells>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("series", &self.series_created())
            .finish_non_exhaustive()
    }
}

/// The `metrics-util` storage: creates each series' cell and files it under its family.
struct Cells {
    families: RwLock<HashMap<Box<str>, Arc<Family>>>,
    /// How many series were ever listed under their family.
    created: AtomicU64,
    kind_conflicts: AtomicU64,
    /// Per metric name, the registrations of another kind since the last
    /// [`Store::take_kind_conflicts`], and whether that name was ever reported.
    conflicts: Mutex<HashMap<Box<str>, Conflict>>,
    default_buckets: Arc<[f64]>,
}

/// Registrations of one name with a kind other than its family's.
struct Conflict {
    family: MetricKind,
    attempted: MetricKind,
    unreported: u64,
    reported_before: bool,
}

/// Registrations of a metric with a kind other than the one it has, since the last
/// [`Store::take_kind_conflicts`]: the handles work but are never rendered or alerted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindConflict {
    /// The metric's name.
    pub metric: String,
    /// The kind the metric has (its first description or registration).
    pub kind: MetricKind,
    /// The kind a registration asked for.
    pub attempted: MetricKind,
    /// How many registrations.
    pub count: u64,
    /// Whether this metric's conflicts were taken before (so were reported already).
    pub seen_before: bool,
}

/// One metric: its name, kind, help and series, in creation order.
pub(crate) struct Family {
    pub(crate) name: Box<str>,
    pub(crate) kind: MetricKind,
    pub(crate) help: RwLock<Option<Box<str>>>,
    /// Histogram bounds, ascending, without `+Inf`.
    pub(crate) bounds: Arc<[f64]>,
    /// Each bound as its `le` label value, then `+Inf`.
    pub(crate) le: Box<[Box<str>]>,
    /// Whether records carry the current trace as an exemplar (duration histograms).
    exemplars: bool,
    pub(crate) series: RwLock<Vec<Cell>>,
}

/// One series' storage, as a family lists it.
#[derive(Clone)]
pub(crate) enum Cell {
    Counter(Arc<CounterCell>),
    Gauge(Arc<GaugeCell>),
    Histogram(Arc<HistogramCell>),
}

/// What every cell carries besides its value.
pub(crate) struct Identity {
    /// `name="value",…`, escaped; empty for a series without labels.
    pub(crate) labels: Box<str>,
}

/// A counter series.
pub(crate) struct CounterCell {
    pub(crate) id: Identity,
    pub(crate) value: AtomicU64,
}

/// A gauge series (the value's `f64` bits).
pub(crate) struct GaugeCell {
    pub(crate) id: Identity,
    pub(crate) bits: AtomicU64,
}

/// A fixed-bucket histogram series.
pub(crate) struct HistogramCell {
    pub(crate) id: Identity,
    pub(crate) bounds: Arc<[f64]>,
    /// Per bucket (the last is `+Inf`), the values that fell in it (not cumulative).
    pub(crate) counts: Box<[AtomicU64]>,
    /// The sum's `f64` bits.
    pub(crate) sum: AtomicU64,
    /// Per bucket, the latest exemplar, allocated with the first one; `None` for histograms
    /// that keep none.
    pub(crate) exemplars: Option<OnceLock<ExemplarSlots>>,
}

/// Per bucket of a histogram, its latest exemplar.
pub(crate) type ExemplarSlots = Box<[Mutex<Option<Exemplar>>]>;

/// A value with the trace it was recorded in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exemplar {
    /// The trace that was current.
    pub trace_id: TraceId,
    /// The value recorded.
    pub value: f64,
    /// When, in seconds since the Unix epoch.
    pub timestamp: f64,
}

impl CounterFn for CounterCell {
    #[inline]
    fn increment(&self, value: u64) {
        // One compare-exchange, as cheap as `fetch_add` uncontended; never wraps.
        let _ = self
            .value
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                Some(current.saturating_add(value))
            });
    }

    fn absolute(&self, value: u64) {
        self.value.fetch_max(value, Ordering::Relaxed);
    }
}

impl GaugeFn for GaugeCell {
    fn increment(&self, value: f64) {
        add_f64(&self.bits, value);
    }

    fn decrement(&self, value: f64) {
        add_f64(&self.bits, -value);
    }

    #[inline]
    fn set(&self, value: f64) {
        self.bits.store(value.to_bits(), Ordering::Relaxed);
    }
}

impl HistogramFn for HistogramCell {
    #[inline]
    fn record(&self, value: f64) {
        if value.is_nan() {
            // NaN falls in no bucket and would poison the sum for good.
            return;
        }
        let bucket = self.bounds.partition_point(|bound| *bound < value);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        add_f64(&self.sum, value);
        if let Some(exemplars) = &self.exemplars {
            record_exemplar(exemplars, self.counts.len(), bucket, value);
        }
    }
}

/// Keeps `value` as the exemplar of `bucket` when a trace is current.
#[inline]
fn record_exemplar(exemplars: &OnceLock<ExemplarSlots>, buckets: usize, bucket: usize, value: f64) {
    let Some(trace_id) = exemplar::current() else {
        return;
    };
    let slots = exemplars.get_or_init(|| (0..buckets).map(|_| Mutex::new(None)).collect());
    // Never wait on another recorder: a contended slot keeps its exemplar.
    if let Ok(mut slot) = slots[bucket].try_lock() {
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        *slot = Some(Exemplar {
            trace_id,
            value,
            timestamp,
        });
    }
}

/// Adds to an `f64` kept as bits in an atomic.
#[inline]
fn add_f64(bits: &AtomicU64, value: f64) {
    let mut current = bits.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + value).to_bits();
        match bits.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

impl HistogramCell {
    /// The cumulative count of each bucket (the last is `+Inf`, which is also the `_count`).
    pub(crate) fn cumulative(&self, out: &mut Vec<u64>) {
        out.clear();
        let mut total = 0_u64;
        for count in &self.counts {
            total = total.wrapping_add(count.load(Ordering::Relaxed));
            out.push(total);
        }
    }

    pub(crate) fn sum(&self) -> f64 {
        f64::from_bits(self.sum.load(Ordering::Relaxed))
    }

    pub(crate) fn exemplar(&self, bucket: usize) -> Option<Exemplar> {
        let slot = self.exemplars.as_ref()?.get()?.get(bucket)?;
        *slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Cell {
    fn identity(&self) -> &Identity {
        match self {
            Cell::Counter(cell) => &cell.id,
            Cell::Gauge(cell) => &cell.id,
            Cell::Histogram(cell) => &cell.id,
        }
    }
}

impl Cells {
    /// The family `name` belongs to, created with `kind` if new. Families are keyed by the
    /// name they render under, so two spellings of one exposed name (`a-b`, `a_b`) share one.
    fn family(&self, name: &str, kind: MetricKind) -> Arc<Family> {
        let sanitized;
        let name = if is_valid_metric_name(name) {
            name
        } else {
            sanitized = sanitize_metric_name(name);
            &sanitized
        };
        if let Some(family) = self
            .families
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Arc::clone(family);
        }
        let mut families = self
            .families
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            families
                .entry(name.into())
                .or_insert_with(|| Arc::new(self.new_family(name, kind))),
        )
    }

    fn new_family(&self, name: &str, kind: MetricKind) -> Family {
        let def = catalog::find(name).filter(|def| def.kind() == kind);
        let bounds: Arc<[f64]> = match def {
            Some(def) if kind == MetricKind::Histogram => def.buckets().into(),
            _ => Arc::clone(&self.default_buckets),
        };
        let le = bounds
            .iter()
            .map(|bound| format_le(*bound).into_boxed_str())
            .chain(std::iter::once("+Inf".into()))
            .collect();
        Family {
            name: name.into(),
            kind,
            help: RwLock::new(None),
            exemplars: def.is_some_and(|def| {
                kind == MetricKind::Histogram && def.unit() == catalog::Unit::Seconds
            }),
            bounds,
            le,
            series: RwLock::new(Vec::new()),
        }
    }

    fn identity(&self, key: &Key) -> Identity {
        Identity {
            labels: escaped_labels(key),
        }
    }

    /// Files `cell` under its family, unless the family is of another kind.
    fn attach(&self, key: &Key, kind: MetricKind, cell: Cell) -> Option<Arc<Family>> {
        let family = self.family(key.name(), kind);
        if family.kind != kind {
            self.kind_conflicts.fetch_add(1, Ordering::Relaxed);
            let mut conflicts = self
                .conflicts
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let conflict = conflicts.entry(key.name().into()).or_insert(Conflict {
                family: family.kind,
                attempted: kind,
                unreported: 0,
                reported_before: false,
            });
            conflict.attempted = kind;
            conflict.unreported += 1;
            return None;
        }
        family
            .series
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(cell);
        // Counted once listed, so a reader that saw the count finds the series in its family.
        self.created.fetch_add(1, Ordering::Release);
        Some(family)
    }
}

impl Storage<Key> for Cells {
    type Counter = Arc<CounterCell>;
    type Gauge = Arc<GaugeCell>;
    type Histogram = Arc<HistogramCell>;

    fn counter(&self, key: &Key) -> Self::Counter {
        let cell = Arc::new(CounterCell {
            id: self.identity(key),
            value: AtomicU64::new(0),
        });
        self.attach(key, MetricKind::Counter, Cell::Counter(Arc::clone(&cell)));
        cell
    }

    fn gauge(&self, key: &Key) -> Self::Gauge {
        let cell = Arc::new(GaugeCell {
            id: self.identity(key),
            bits: AtomicU64::new(0_f64.to_bits()),
        });
        self.attach(key, MetricKind::Gauge, Cell::Gauge(Arc::clone(&cell)));
        cell
    }

    fn histogram(&self, key: &Key) -> Self::Histogram {
        let family = self.family(key.name(), MetricKind::Histogram);
        let cell = Arc::new(HistogramCell {
            id: self.identity(key),
            bounds: Arc::clone(&family.bounds),
            counts: (0..=family.bounds.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            sum: AtomicU64::new(0_f64.to_bits()),
            exemplars: family.exemplars.then(OnceLock::new),
        });
        self.attach(
            key,
            MetricKind::Histogram,
            Cell::Histogram(Arc::clone(&cell)),
        );
        cell
    }
}

/// Whether `name` is a valid Prometheus metric name as it is (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
fn is_valid_metric_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphabetic() || b == b'_' || b == b':' || (i > 0 && b.is_ascii_digit())
        })
}

/// `key`'s labels as `name="value",…`, each name made valid and each value escaped exactly.
fn escaped_labels(key: &Key) -> Box<str> {
    let mut out = String::new();
    for (position, label) in key.labels().enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str(&sanitize_label_key(label.key()));
        out.push_str("=\"");
        escape_label_value(&mut out, label.value());
        out.push('"');
    }
    out.into_boxed_str()
}

/// Appends `value` escaped as the exposition formats require of a label value: `\` as `\\`,
/// `"` as `\"`, line feed as `\n`; every other character as it is.
pub(crate) fn escape_label_value(out: &mut String, value: &str) {
    let mut rest = value;
    while let Some(at) = rest.find(['\\', '"', '\n']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'"' => "\\\"",
            _ => "\\n",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// A bucket bound as its `le` value: the shortest text that reads back as the same `f64`.
fn format_le(bound: f64) -> String {
    if bound == f64::INFINITY {
        "+Inf".to_owned()
    } else {
        bound.to_string()
    }
}

impl Store {
    /// An empty store; run-time histograms get `default_buckets`.
    pub(crate) fn new(default_buckets: &[f64]) -> Store {
        Store {
            inner: Arc::new(Inner {
                registry: Registry::new(Cells {
                    families: RwLock::new(HashMap::new()),
                    created: AtomicU64::new(0),
                    kind_conflicts: AtomicU64::new(0),
                    conflicts: Mutex::new(HashMap::new()),
                    default_buckets: default_buckets.into(),
                }),
            }),
        }
    }

    fn cells(&self) -> &Cells {
        self.inner.registry.storage()
    }

    /// How many series were ever created (and listed under their metric). It only grows, so a
    /// reader that saw this number before has seen every series when it has not changed.
    pub fn series_created(&self) -> u64 {
        self.cells().created.load(Ordering::Acquire)
    }

    /// How many registrations named a metric that exists with another kind (a counter
    /// registered as a gauge, say). Such handles work but are never rendered.
    pub fn kind_conflicts(&self) -> u64 {
        self.cells().kind_conflicts.load(Ordering::Relaxed)
    }

    /// The kind conflicts since the last call, one entry per metric name: what a reader logs
    /// (once per name, with `seen_before`) and counts.
    pub fn take_kind_conflicts(&self) -> Vec<KindConflict> {
        let mut conflicts = self
            .cells()
            .conflicts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut taken: Vec<KindConflict> = conflicts
            .iter_mut()
            .filter(|(_, conflict)| conflict.unreported > 0)
            .map(|(metric, conflict)| {
                let taken = KindConflict {
                    metric: metric.to_string(),
                    kind: conflict.family,
                    attempted: conflict.attempted,
                    count: conflict.unreported,
                    seen_before: conflict.reported_before,
                };
                conflict.unreported = 0;
                conflict.reported_before = true;
                taken
            })
            .collect();
        taken.sort_by(|a, b| a.metric.cmp(&b.metric));
        taken
    }

    /// Every family, sorted by name (the render order).
    pub(crate) fn families(&self) -> Vec<Arc<Family>> {
        let mut families: Vec<Arc<Family>> = self
            .cells()
            .families
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        families.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        families
    }

    /// Visits the series of metric `name` (as it renders) from the `from`-th on, in creation
    /// order, with
    /// their labels as recorded (names and values unescaped) and a reader of their current
    /// values; returns how many series the metric has, the `from` of the next call. Series of
    /// a kind that conflicts with the metric's are not among them.
    pub fn visit_metric(
        &self,
        name: &str,
        from: usize,
        mut visit: impl FnMut(Vec<(String, String)>, SeriesReader),
    ) -> usize {
        let Some(family) = self
            .cells()
            .families
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
        else {
            return 0;
        };
        let series = family.series.read().unwrap_or_else(PoisonError::into_inner);
        for cell in series.iter().skip(from) {
            visit(
                unescape_labels(&cell.identity().labels),
                SeriesReader(cell.clone()),
            );
        }
        series.len()
    }
}

/// The label pairs of an [`escaped_labels`] text, unescaped: the exact inverse.
fn unescape_labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].to_owned();
        let mut value = String::new();
        let mut chars = rest[eq + 2..].char_indices();
        let mut end = rest.len() - eq - 2;
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    end = at + 1;
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, escaped)) => value.push(escaped),
                    None => {}
                },
                c => value.push(c),
            }
        }
        pairs.push((name, value));
        rest = &rest[eq + 2 + end..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    pairs
}

/// Reads one series' current values, as `/metrics` would show them, without rendering.
#[derive(Clone)]
pub struct SeriesReader(Cell);

impl std::fmt::Debug for SeriesReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeriesReader")
            .field("kind", &self.kind())
            .field("labels", &self.0.identity().labels)
            .finish()
    }
}

/// One of the values a series exposes: a counter's or gauge's value, or a histogram's bucket,
/// sum or count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SeriesPart {
    /// A counter's or a gauge's value.
    Value,
    /// A histogram's cumulative bucket, by index among its bounds (`bounds().len()` is `+Inf`).
    Bucket(usize),
    /// A histogram's sum.
    Sum,
    /// A histogram's count.
    Count,
}

impl SeriesReader {
    /// Counter, gauge or histogram.
    pub fn kind(&self) -> MetricKind {
        match self.0 {
            Cell::Counter(_) => MetricKind::Counter,
            Cell::Gauge(_) => MetricKind::Gauge,
            Cell::Histogram(_) => MetricKind::Histogram,
        }
    }

    /// A histogram's bucket bounds, without `+Inf`; empty for counters and gauges.
    pub fn bounds(&self) -> &[f64] {
        match &self.0 {
            Cell::Histogram(cell) => &cell.bounds,
            _ => &[],
        }
    }

    /// The current value of `part`; NaN for a part this kind of series does not have.
    pub fn read(&self, part: SeriesPart) -> f64 {
        match (&self.0, part) {
            (Cell::Counter(cell), SeriesPart::Value) => cell.value.load(Ordering::Relaxed) as f64,
            (Cell::Gauge(cell), SeriesPart::Value) => {
                f64::from_bits(cell.bits.load(Ordering::Relaxed))
            }
            (Cell::Histogram(cell), SeriesPart::Bucket(bucket)) if bucket < cell.counts.len() => {
                cell.counts[..=bucket]
                    .iter()
                    .map(|count| count.load(Ordering::Relaxed))
                    .fold(0_u64, u64::wrapping_add) as f64
            }
            (Cell::Histogram(cell), SeriesPart::Count) => {
                cell.counts
                    .iter()
                    .map(|count| count.load(Ordering::Relaxed))
                    .fold(0_u64, u64::wrapping_add) as f64
            }
            (Cell::Histogram(cell), SeriesPart::Sum) => cell.sum(),
            _ => f64::NAN,
        }
    }

    /// A histogram's cumulative bucket counts (the last is `+Inf`) into `out`; empty for
    /// counters and gauges. One pass, for readers that want every bucket.
    pub fn read_buckets(&self, out: &mut Vec<u64>) {
        match &self.0 {
            Cell::Histogram(cell) => cell.cumulative(out),
            _ => out.clear(),
        }
    }
}

impl Store {
    fn describe(&self, name: KeyName, kind: MetricKind, description: SharedString) {
        let family = self.cells().family(name.as_str(), kind);
        if family.kind == kind {
            *family.help.write().unwrap_or_else(PoisonError::into_inner) =
                Some(description.as_ref().into());
        }
    }
}

impl Recorder for Store {
    fn describe_counter(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(key, MetricKind::Counter, description);
    }

    fn describe_gauge(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(key, MetricKind::Gauge, description);
    }

    fn describe_histogram(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.describe(key, MetricKind::Histogram, description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.inner.registry.get_or_create_counter(key, Arc::clone))
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.inner.registry.get_or_create_gauge(key, Arc::clone))
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.inner.registry.get_or_create_histogram(key, Arc::clone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(value: &str) -> String {
        let mut out = String::new();
        escape_label_value(&mut out, value);
        out
    }

    #[test]
    fn escapes_backslash_quote_and_line_feed_only() {
        assert_eq!(escaped(r"one\back"), r"one\\back");
        assert_eq!(escaped(r"one\\back"), r"one\\\\back");
        assert_eq!(escaped("say \"hi\"\n"), "say \\\"hi\\\"\\n");
        assert_eq!(escaped("\r\0\u{2028}é"), "\r\0\u{2028}é");
        assert_eq!(escaped(""), "");
    }

    proptest::proptest! {
        /// Escaping a label set and unescaping it gives it back, whatever the values hold.
        #[test]
        fn labels_unescape_to_what_was_recorded(
            values in proptest::collection::vec(proptest::prelude::any::<String>(), 0..4),
        ) {
            let labels: Vec<metrics::Label> = values
                .iter()
                .enumerate()
                .map(|(i, value)| metrics::Label::new(format!("label_{i}"), value.clone()))
                .collect();
            let key = Key::from_parts("victor_test_total", labels);
            let pairs = unescape_labels(&escaped_labels(&key));
            let expected: Vec<(String, String)> = values
                .iter()
                .enumerate()
                .map(|(i, value)| (format!("label_{i}"), value.clone()))
                .collect();
            proptest::prop_assert_eq!(pairs, expected);
        }
    }

    #[test]
    fn counters_saturate_instead_of_wrapping() {
        let cell = CounterCell {
            id: Identity { labels: "".into() },
            value: AtomicU64::new(0),
        };
        cell.increment(u64::MAX - 1);
        cell.increment(5);
        assert_eq!(cell.value.load(Ordering::Relaxed), u64::MAX);
        cell.increment(u64::MAX);
        assert_eq!(cell.value.load(Ordering::Relaxed), u64::MAX);
    }

    #[test]
    fn histogram_buckets_are_le_inclusive_and_count_is_their_sum() {
        let store = Store::new(&[1.0, 2.0]);
        let key = Key::from_name("victor_test_seconds");
        let histogram =
            store.register_histogram(&key, &Metadata::new("t", metrics::Level::INFO, None));
        for value in [0.5, 1.0, 1.5, 2.0, 7.0, f64::NAN] {
            histogram.record(value);
        }
        let mut seen = Vec::new();
        store.visit_metric("victor_test_seconds", 0, |_, reader| seen.push(reader));
        let reader = &seen[0];
        assert_eq!(reader.read(SeriesPart::Bucket(0)), 2.0);
        assert_eq!(reader.read(SeriesPart::Bucket(1)), 4.0);
        assert_eq!(reader.read(SeriesPart::Bucket(2)), 5.0);
        assert_eq!(reader.read(SeriesPart::Count), 5.0);
        assert_eq!(reader.read(SeriesPart::Sum), 12.0);
        assert!(reader.read(SeriesPart::Value).is_nan());
    }

    #[test]
    fn spellings_of_one_exposed_name_share_a_family() {
        let store = Store::new(&[1.0]);
        let meta = Metadata::new("t", metrics::Level::INFO, None);
        store
            .register_counter(&Key::from_name("service-jobs"), &meta)
            .increment(1);
        store
            .register_counter(
                &Key::from_parts("service_jobs", vec![metrics::Label::new("a", "b")]),
                &meta,
            )
            .increment(2);
        let families = store.families();
        assert_eq!(families.len(), 1);
        assert_eq!(&*families[0].name, "service_jobs");
        assert_eq!(store.visit_metric("service_jobs", 0, |_, _| ()), 2);
    }

    #[test]
    fn a_name_keeps_its_first_kind() {
        let store = Store::new(&[1.0]);
        let meta = Metadata::new("t", metrics::Level::INFO, None);
        store
            .register_counter(&Key::from_name("victor_mixed_total"), &meta)
            .increment(3);
        let gauge = store.register_gauge(&Key::from_name("victor_mixed_total"), &meta);
        gauge.set(1.0);
        assert_eq!(store.kind_conflicts(), 1);
        let taken = store.take_kind_conflicts();
        assert_eq!(
            taken,
            [KindConflict {
                metric: "victor_mixed_total".into(),
                kind: MetricKind::Counter,
                attempted: MetricKind::Gauge,
                count: 1,
                seen_before: false,
            }]
        );
        assert!(store.take_kind_conflicts().is_empty(), "taken once");
        store
            .register_gauge(
                &Key::from_parts("victor_mixed_total", vec![metrics::Label::new("a", "b")]),
                &meta,
            )
            .set(2.0);
        assert!(store.take_kind_conflicts()[0].seen_before);
        let mut kinds = Vec::new();
        store.visit_metric("victor_mixed_total", 0, |_, reader| {
            kinds.push(reader.kind())
        });
        assert_eq!(kinds, [MetricKind::Counter]);
    }
}
