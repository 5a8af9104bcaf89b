//! Named caches and the tool-selection cache: hits, misses, evictions, size and fill, selection
//! latency, and the windowed hit ratios.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::Counter;
use serde::Serialize;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, CounterDef, GaugeDef, Group, MetricDef};
use crate::series::{SeriesCache, register_counter};
use crate::stats::{BucketCounts, Tally, Window};
use crate::summary::{CacheBreakdown, CacheSummary, LatencySummary, SelectionFill};

/// The cache family ([`Group::Cache`], [`Group::ToolSelection`]).
pub struct Caches {
    catalog: Arc<CatalogSeries>,
    named: HitMissFamily,
    selection: HitMissFamily,
    fill: Mutex<BTreeMap<String, SelectionFill>>,
    /// Hits over lookups across the named caches over the window, as of the last refresh.
    hit_rate: Mutex<Option<f64>>,
}

/// The `/api/performance/cache` view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheView {
    /// Per named cache, by name.
    pub caches: Vec<CacheBreakdown>,
    /// Per tool-selection namespace, by name.
    pub tool_selection: Vec<CacheBreakdown>,
    /// Each tool-selection namespace's fill as last set.
    pub tool_selection_fill: BTreeMap<String, SelectionFill>,
}

/// A cache-like family: hits, misses, evictions and a windowed hit ratio per name.
struct HitMissFamily {
    series: SeriesCache<HitMissSeries>,
    hits: &'static CounterDef<1>,
    misses: &'static CounterDef<1>,
    evictions: &'static CounterDef<1>,
    hit_rate: &'static GaugeDef<1>,
    window: Mutex<Window<Box<str>>>,
    /// Whether lookups are timed (tool selection).
    timed: bool,
}

struct HitMissSeries {
    hits: Counter,
    misses: Counter,
    evictions: Counter,
    hit_count: AtomicU64,
    miss_count: AtomicU64,
    eviction_count: AtomicU64,
    /// Lookup latency, for the tool-selection family (unused by named caches).
    durations: BucketCounts,
}

impl HitMissSeries {
    fn count(&self, hit: bool) {
        if hit {
            self.hits.increment(1);
            self.hit_count.fetch_add(1, Ordering::Relaxed);
        } else {
            self.misses.increment(1);
            self.miss_count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn evict(&self, count: u64) {
        self.evictions.increment(count);
        self.eviction_count.fetch_add(count, Ordering::Relaxed);
    }

    fn tally(&self) -> Tally {
        let hits = self.hit_count.load(Ordering::Relaxed);
        let misses = self.miss_count.load(Ordering::Relaxed);
        Tally {
            good: hits,
            total: hits + misses,
        }
    }
}

impl HitMissFamily {
    fn new(
        catalog: &CatalogSeries,
        [hits, misses, evictions]: [&'static CounterDef<1>; 3],
        hit_rate: &'static GaugeDef<1>,
        timed: bool,
    ) -> Self {
        HitMissFamily {
            series: SeriesCache::new(hits.def().name(), catalog.limit),
            hits,
            misses,
            evictions,
            hit_rate,
            window: Mutex::new(Window::new(catalog.window, catalog.started)),
            timed,
        }
    }

    fn with(&self, name: &str, f: impl FnOnce(&HitMissSeries)) {
        self.series.with(
            &[name],
            |labels| HitMissSeries {
                hits: register_counter(self.hits.def(), labels),
                misses: register_counter(self.misses.def(), labels),
                evictions: register_counter(self.evictions.def(), labels),
                hit_count: AtomicU64::new(0),
                miss_count: AtomicU64::new(0),
                eviction_count: AtomicU64::new(0),
                durations: BucketCounts::new(cat::TOOL_SELECTION_DURATION_SECONDS.def().buckets()),
            },
            f,
        );
    }

    /// Recomputes the hit-rate gauge per name over the window; answers the change across names.
    fn refresh(&self, catalog: &CatalogSeries) -> Tally {
        let mut tallies = HashMap::new();
        self.series.for_each(|labels, series| {
            tallies.insert(Box::<str>::from(labels[0]), series.tally());
        });
        let mut all = Tally::default();
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, change, _) in window.advance(Instant::now(), tallies) {
            catalog.set(self.hit_rate, [&name], change.ratio());
            all.add(change);
        }
        all
    }

    fn breakdown(&self) -> Vec<CacheBreakdown> {
        let mut rows = Vec::new();
        self.series.for_each(|labels, series| {
            let tally = series.tally();
            rows.push(CacheBreakdown {
                name: labels[0].to_string(),
                hits: tally.good,
                misses: tally.total - tally.good,
                evictions: series.eviction_count.load(Ordering::Relaxed),
                duration_seconds: self
                    .timed
                    .then(|| LatencySummary::new(&series.durations.snapshot())),
                hit_rate: tally.ratio_or_none(),
            });
        });
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }
}

impl Caches {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Caches {
            named: HitMissFamily::new(
                &catalog,
                [
                    &cat::CACHE_HITS_TOTAL,
                    &cat::CACHE_MISSES_TOTAL,
                    &cat::CACHE_EVICTIONS_TOTAL,
                ],
                &cat::CACHE_HIT_RATE,
                false,
            ),
            selection: HitMissFamily::new(
                &catalog,
                [
                    &cat::TOOL_SELECTION_CACHE_HITS_TOTAL,
                    &cat::TOOL_SELECTION_CACHE_MISSES_TOTAL,
                    &cat::TOOL_SELECTION_CACHE_EVICTIONS_TOTAL,
                ],
                &cat::TOOL_SELECTION_CACHE_HIT_RATE,
                true,
            ),
            fill: Mutex::default(),
            hit_rate: Mutex::new(None),
            catalog,
        }
    }

    /// Records a lookup in the named cache that was served from it.
    pub fn record_cache_hit(&self, cache: &str) {
        self.named.with(cache, |series| series.count(true));
    }

    /// Records a lookup in the named cache that was not.
    pub fn record_cache_miss(&self, cache: &str) {
        self.named.with(cache, |series| series.count(false));
    }

    /// Records `count` entries evicted from the named cache.
    pub fn record_cache_eviction(&self, cache: &str, count: u64) {
        self.named.with(cache, |series| series.evict(count));
    }

    /// Sets the memory held by the named cache (`victor_cache_size_bytes`).
    pub fn set_cache_size(&self, cache: &str, bytes: u64) {
        self.catalog
            .set(&cat::CACHE_SIZE_BYTES, [cache], bytes as f64);
    }

    /// Records one tool selection: its latency and whether the selection cache served it.
    pub fn record_tool_selection(&self, namespace: &str, duration: Duration, cache_hit: bool) {
        let seconds = duration.as_secs_f64();
        self.catalog
            .observe(&cat::TOOL_SELECTION_DURATION_SECONDS, [namespace], seconds);
        self.selection.with(namespace, |series| {
            series.count(cache_hit);
            series.durations.observe(seconds);
        });
    }

    /// Records `count` entries evicted from the tool-selection cache.
    pub fn record_tool_selection_eviction(&self, namespace: &str, count: u64) {
        self.selection.with(namespace, |series| series.evict(count));
    }

    /// Sets the tool-selection cache's fill: entries, capacity (for utilization) and memory.
    pub fn set_tool_selection_cache(
        &self,
        namespace: &str,
        entries: u64,
        capacity: u64,
        memory_bytes: u64,
    ) {
        let utilization = (capacity > 0).then(|| entries as f64 / capacity as f64);
        self.fill
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                namespace.to_owned(),
                SelectionFill {
                    entries,
                    capacity,
                    utilization,
                    memory_bytes,
                },
            );
        let catalog = &self.catalog;
        catalog.set(
            &cat::TOOL_SELECTION_CACHE_ENTRIES,
            [namespace],
            entries as f64,
        );
        catalog.set(
            &cat::TOOL_SELECTION_CACHE_UTILIZATION,
            [namespace],
            utilization.unwrap_or(0.0),
        );
        catalog.set(
            &cat::TOOL_SELECTION_CACHE_MEMORY_BYTES,
            [namespace],
            memory_bytes as f64,
        );
    }

    /// Lookups across every named cache since start.
    pub fn summary(&self) -> CacheSummary {
        let mut tally = Tally::default();
        self.named
            .series
            .for_each_series(|series| tally.add(series.tally()));
        CacheSummary {
            hits: tally.good,
            misses: tally.total - tally.good,
            hit_rate: tally.ratio_or_none(),
        }
    }

    /// Per named cache, by name.
    pub fn cache_breakdown(&self) -> Vec<CacheBreakdown> {
        self.named.breakdown()
    }

    /// Per tool-selection cache namespace, by name.
    pub fn tool_selection_breakdown(&self) -> Vec<CacheBreakdown> {
        self.selection.breakdown()
    }

    /// Each tool-selection namespace's fill as last set.
    pub fn tool_selection_fill(&self) -> BTreeMap<String, SelectionFill> {
        self.fill
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Hits over lookups across the named caches over the window, as of the last refresh.
    pub(crate) fn window_hit_rate(&self) -> Option<f64> {
        *self.hit_rate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Label sets held (named caches).
    pub(crate) fn len(&self) -> usize {
        self.named.series.len()
    }
}

impl Component for Caches {
    type View = CacheView;

    fn name(&self) -> &'static str {
        "cache"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Cache, Group::ToolSelection])
    }

    /// Recomputes `victor_cache_hit_rate` and `victor_tool_selection_cache_hit_rate`.
    fn refresh(&self) {
        let named = self.named.refresh(&self.catalog);
        self.selection.refresh(&self.catalog);
        *self.hit_rate.lock().unwrap_or_else(PoisonError::into_inner) = named.ratio_or_none();
    }

    fn view(&self) -> Option<CacheView> {
        Some(CacheView {
            caches: self.cache_breakdown(),
            tool_selection: self.tool_selection_breakdown(),
            tool_selection_fill: self.tool_selection_fill(),
        })
    }
}
