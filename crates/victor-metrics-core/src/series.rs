//! Label-set → handle caches with a per-metric cardinality limit.
//!
//! Recording by label value looks the label set up here with borrowed `&str`s (no allocation on a
//! hit), under a read lock that is held only for the few atomic operations of the record itself.
//! A miss resolves the handles once against the installed `metrics` recorder and keeps them.
//! When a cache holds `limit` label sets, further label sets fold into a single overflow series,
//! whose every label value is [`OVERFLOW_LABEL_VALUE`], and each folded recording increments
//! `victor_metrics_cardinality_overflow_total{metric=…}`: memory stays bounded, nothing is lost
//! without a trace.

use std::hash::{Hash, Hasher};
use std::sync::{OnceLock, PoisonError, RwLock};

use hashbrown::{Equivalent, HashMap};
use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata};

use crate::catalog::{self, MetricDef};

/// The value every label takes in a metric's overflow series.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// The longest label value kept, in bytes. Longer values (an error message passed as
/// `error_type`, say) are cut at a character boundary and end in `…`, so one series cannot pin
/// megabytes.
pub const MAX_LABEL_VALUE_LEN: usize = 256;

/// The default number of label sets a metric may hold before new ones overflow.
pub const DEFAULT_CARDINALITY_LIMIT: usize = 10_000;

static METADATA: Metadata<'static> = Metadata::new("victor", Level::INFO, Some(module_path!()));

/// A label set's values packed in one allocation: per value, its length (`u32`, little endian)
/// then its bytes. One allocation per series instead of one per value plus the slice.
#[derive(PartialEq, Eq)]
struct LabelKey(Box<[u8]>);

impl LabelKey {
    fn new(values: &[&str]) -> Self {
        let mut packed = Vec::with_capacity(values.iter().map(|v| 4 + v.len()).sum());
        for value in values {
            // Values are cut to MAX_LABEL_VALUE_LEN bytes before they get here.
            let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
            packed.extend_from_slice(&len.to_le_bytes());
            packed.extend_from_slice(value.as_bytes());
        }
        LabelKey(packed.into_boxed_slice())
    }

    fn values(&self) -> LabelValues<'_> {
        LabelValues(&self.0)
    }
}

/// The values of a [`LabelKey`], in order, as bytes (each packed from a whole `&str`).
struct LabelValues<'a>(&'a [u8]);

impl<'a> Iterator for LabelValues<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        let (value, rest) = rest.split_at(len);
        self.0 = rest;
        Some(value)
    }
}

/// Hashes label values the same way whether packed or borrowed: each value's bytes, then a
/// byte no UTF-8 text holds as a terminator (so `["a", "bc"]` and `["ab", "c"]` differ).
#[inline]
fn hash_values<'a, H: Hasher>(values: impl Iterator<Item = &'a [u8]>, state: &mut H) {
    for value in values {
        state.write(value);
        state.write_u8(0xff);
    }
}

impl Hash for LabelKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_values(self.values(), state);
    }
}

/// A borrowed label set that hashes and compares like its packed [`LabelKey`].
struct LabelsRef<'a>(&'a [&'a str]);

impl Hash for LabelsRef<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_values(self.0.iter().map(|value| value.as_bytes()), state);
    }
}

impl Equivalent<LabelKey> for LabelsRef<'_> {
    #[inline]
    fn equivalent(&self, key: &LabelKey) -> bool {
        let mut stored = key.values();
        self.0
            .iter()
            .all(|value| stored.next() == Some(value.as_bytes()))
            && stored.next().is_none()
    }
}

/// Label sets of one metric (or of a family of metrics recorded together) and their handles.
pub(crate) struct SeriesCache<V> {
    /// The metric name the overflow counter carries in its `metric` label.
    metric: Box<str>,
    limit: usize,
    map: RwLock<HashMap<LabelKey, V>>,
    overflow: OnceLock<(LabelKey, V, Counter)>,
}

impl<V> SeriesCache<V> {
    pub(crate) fn new(metric: &str, limit: usize) -> Self {
        SeriesCache {
            metric: metric.into(),
            limit,
            map: RwLock::new(HashMap::new()),
            overflow: OnceLock::new(),
        }
    }

    /// Runs `f` on the handles for `labels`, creating them with `make` on first use.
    #[inline]
    pub(crate) fn with<R>(
        &self,
        labels: &[&str],
        make: impl FnOnce(&[&str]) -> V,
        f: impl FnOnce(&V) -> R,
    ) -> R {
        if labels.iter().any(|value| value.len() > MAX_LABEL_VALUE_LEN) {
            return self.with_truncated(labels, make, f);
        }
        let query = LabelsRef(labels);
        {
            let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = map.get(&query) {
                return f(series);
            }
            if map.len() >= self.limit {
                drop(map);
                return self.with_overflow(labels.len(), make, f);
            }
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(&query) {
            if map.len() >= self.limit {
                drop(map);
                return self.with_overflow(labels.len(), make, f);
            }
            map.insert(LabelKey::new(labels), make(labels));
        }
        match map.get(&query) {
            Some(series) => f(series),
            None => unreachable!("inserted above under the same write lock"),
        }
    }

    #[cold]
    fn with_truncated<R>(
        &self,
        labels: &[&str],
        make: impl FnOnce(&[&str]) -> V,
        f: impl FnOnce(&V) -> R,
    ) -> R {
        let owned: Vec<String> = labels.iter().map(|value| truncate_label(value)).collect();
        let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
        self.with(&borrowed, make, f)
    }

    #[cold]
    fn with_overflow<R>(
        &self,
        arity: usize,
        make: impl FnOnce(&[&str]) -> V,
        f: impl FnOnce(&V) -> R,
    ) -> R {
        let (_, series, folded) = self.overflow.get_or_init(|| {
            let labels = vec![OVERFLOW_LABEL_VALUE; arity];
            let folded = register_counter(
                catalog::METRICS_CARDINALITY_OVERFLOW_TOTAL.def(),
                &[&self.metric],
            );
            (LabelKey::new(&labels), make(&labels), folded)
        });
        folded.increment(1);
        f(series)
    }

    /// Visits every label set held (its values, in label order), the overflow series included.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&[&str], &V)) {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        let mut values: Vec<&str> = Vec::new();
        let overflow = self
            .overflow
            .get()
            .map(|(labels, series, _)| (labels, series));
        for (labels, series) in map.iter().chain(overflow) {
            values.clear();
            // Packed from whole `&str`s, so each value is UTF-8.
            values.extend(
                labels
                    .values()
                    .map(|value| std::str::from_utf8(value).unwrap_or_default()),
            );
            f(&values, series);
        }
    }

    /// Visits every series held, the overflow series included, without their labels.
    pub(crate) fn for_each_series(&self, mut f: impl FnMut(&V)) {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.values().for_each(&mut f);
        if let Some((_, series, _)) = self.overflow.get() {
            f(series);
        }
    }

    /// How many label sets are held (the overflow series excluded).
    pub(crate) fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// `value` cut to at most [`MAX_LABEL_VALUE_LEN`] bytes, ending in `…` when it was cut.
fn truncate_label(value: &str) -> String {
    if value.len() <= MAX_LABEL_VALUE_LEN {
        return value.to_owned();
    }
    let mut end = MAX_LABEL_VALUE_LEN - '…'.len_utf8();
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end])
}

fn key_for(def: &'static MetricDef, values: &[&str]) -> Key {
    debug_assert_eq!(def.labels().len(), values.len(), "{}", def.name());
    let labels: Vec<Label> = def
        .labels()
        .iter()
        .zip(values)
        .map(|(name, value)| Label::new(*name, (*value).to_owned()))
        .collect();
    Key::from_parts(def.name(), labels)
}

/// Resolves a counter handle for `def` with label `values` against the current recorder.
pub(crate) fn register_counter(def: &'static MetricDef, values: &[&str]) -> Counter {
    let key = key_for(def, values);
    metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
}

/// Resolves a gauge handle for `def` with label `values` against the current recorder.
pub(crate) fn register_gauge(def: &'static MetricDef, values: &[&str]) -> Gauge {
    let key = key_for(def, values);
    metrics::with_recorder(|recorder| recorder.register_gauge(&key, &METADATA))
}

/// Resolves a histogram handle for `def` with label `values` against the current recorder.
pub(crate) fn register_histogram(def: &'static MetricDef, values: &[&str]) -> Histogram {
    let key = key_for(def, values);
    metrics::with_recorder(|recorder| recorder.register_histogram(&key, &METADATA))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_label_values_are_cut_at_a_char_boundary() {
        assert_eq!(truncate_label("short"), "short");
        let exact = "a".repeat(MAX_LABEL_VALUE_LEN);
        assert_eq!(truncate_label(&exact), exact);
        let long = "é".repeat(MAX_LABEL_VALUE_LEN);
        let cut = truncate_label(&long);
        assert!(cut.len() <= MAX_LABEL_VALUE_LEN, "{}", cut.len());
        assert!(cut.ends_with('…') && cut.starts_with("éé"));
        assert_eq!(
            truncate_label(&long),
            cut,
            "the same input always cuts the same way"
        );
    }

    #[test]
    fn packed_keys_find_their_borrowed_label_sets() {
        let cache: SeriesCache<usize> = SeriesCache::new("victor_test_total", 10);
        let sets: [&[&str]; 5] = [
            &["a", "bc"],
            &["ab", "c"],
            &["abc", ""],
            &["", "abc"],
            &["é\0", "\r"],
        ];
        for (i, set) in sets.iter().enumerate() {
            cache.with(set, |_| i, |_| ());
        }
        assert_eq!(cache.len(), sets.len(), "no two sets collide");
        for (i, set) in sets.iter().enumerate() {
            assert_eq!(cache.with(set, |_| usize::MAX, |found| *found), i);
        }
        let mut seen = Vec::new();
        cache.for_each(|labels, i| seen.push((*i, labels.join("|"))));
        seen.sort();
        assert_eq!(seen[4], (4, "é\0|\r".to_owned()));
    }

    #[test]
    fn long_values_share_one_series() {
        let cache: SeriesCache<usize> = SeriesCache::new("victor_test_total", 10);
        let base = "x".repeat(1_000);
        for suffix in ["a", "b", "c"] {
            let value = format!("{base}{suffix}");
            cache.with(&[value.as_str()], |_| 0, |_| ());
        }
        assert_eq!(
            cache.len(),
            1,
            "values equal in their first 253 bytes share a series"
        );
        let mut seen = Vec::new();
        cache.for_each(|labels, _| seen.push(labels[0].len()));
        assert!(
            seen.iter().all(|len| *len <= MAX_LABEL_VALUE_LEN),
            "{seen:?}"
        );
    }
}
