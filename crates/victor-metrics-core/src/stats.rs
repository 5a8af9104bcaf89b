//! In-process statistics behind the summaries and the sliding-window ratio gauges.
//!
//! [`BucketCounts`] keeps the same buckets as the exposed histogram and [`quantile`] interpolates
//! inside a bucket exactly as Prometheus' `histogram_quantile` does, so the JSON summary's p95 and
//! the PromQL p95 over the same observations agree (within one bucket's width once Prometheus
//! works on rates of scraped samples instead of the live counts).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The most buckets a histogram whose quantiles are tracked in process may have.
pub(crate) const MAX_BUCKETS: usize = 16;

/// Counts of observations per bucket, updated with relaxed atomics. The counts sit inline (no
/// pointer to chase on the hot path).
pub(crate) struct BucketCounts {
    bounds: &'static [f64],
    /// One count per bound, then the `+Inf` bucket; not cumulative. Unused tail stays zero.
    counts: [AtomicU64; MAX_BUCKETS + 1],
}

impl BucketCounts {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(bounds.len() <= MAX_BUCKETS, "{} buckets", bounds.len());
        BucketCounts {
            bounds,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    #[inline]
    pub(crate) fn observe(&self, value: f64) {
        // Prometheus' `le` is inclusive: the first bucket whose bound is >= value.
        let index = self
            .bounds
            .partition_point(|bound| *bound < value)
            .min(MAX_BUCKETS);
        self.counts[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Observations so far.
    pub(crate) fn count(&self) -> u64 {
        self.counts
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum()
    }

    /// A consistent-enough copy: cumulative counts per bound, then `+Inf`.
    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut running = 0;
        let cumulative = self.counts[..=self.bounds.len().min(MAX_BUCKETS)]
            .iter()
            .map(|count| {
                running += count.load(Ordering::Relaxed);
                running
            })
            .collect();
        HistogramSnapshot {
            bounds: self.bounds,
            cumulative,
        }
    }
}

/// Cumulative bucket counts at one moment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistogramSnapshot {
    pub(crate) bounds: &'static [f64],
    /// `bounds.len() + 1` cumulative counts; the last is the total.
    pub(crate) cumulative: Vec<u64>,
}

impl HistogramSnapshot {
    /// No observations over `bounds`.
    pub(crate) fn empty(bounds: &'static [f64]) -> Self {
        HistogramSnapshot {
            bounds,
            cumulative: vec![0; bounds.len() + 1],
        }
    }

    /// Adds another snapshot over the same bounds.
    pub(crate) fn merge(&mut self, other: &HistogramSnapshot) {
        debug_assert_eq!(self.bounds, other.bounds);
        for (mine, theirs) in self.cumulative.iter_mut().zip(&other.cumulative) {
            *mine += theirs;
        }
    }

    pub(crate) fn count(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// The observations since `base`, an earlier snapshot of the same counts.
    pub(crate) fn since(&self, base: &HistogramSnapshot) -> HistogramSnapshot {
        HistogramSnapshot {
            bounds: self.bounds,
            cumulative: self
                .cumulative
                .iter()
                .zip(&base.cumulative)
                .map(|(now, before)| now.saturating_sub(*before))
                .collect(),
        }
    }

    pub(crate) fn quantile(&self, q: f64) -> Option<f64> {
        quantile(q, self.bounds, &self.cumulative)
    }
}

/// The `q`-quantile of a histogram the way PromQL's `histogram_quantile` computes it: find the
/// bucket holding the rank, interpolate linearly inside it (from 0 for the first bucket), and
/// answer the highest finite bound when the rank falls in `+Inf`. `None` when there are no
/// observations (PromQL answers NaN).
pub fn quantile(q: f64, bounds: &[f64], cumulative: &[u64]) -> Option<f64> {
    let total = *cumulative.last()?;
    if total == 0 || bounds.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let rank = q * total as f64;
    let bucket = cumulative[..bounds.len()].partition_point(|count| (*count as f64) < rank);
    if bucket == bounds.len() {
        return Some(bounds[bounds.len() - 1]);
    }
    let (start, below) = match bucket {
        0 => (0.0_f64.min(bounds[0]), 0),
        _ => (bounds[bucket - 1], cumulative[bucket - 1]),
    };
    let end = bounds[bucket];
    let in_bucket = (cumulative[bucket] - below) as f64;
    if in_bucket == 0.0 {
        return Some(end);
    }
    Some(start + (end - start) * ((rank - below as f64) / in_bucket))
}

/// How many snapshots a window keeps per span, at most (plus the base).
pub(crate) const SNAPSHOTS_PER_SPAN: u32 = 32;

/// Good and total counts of something, cumulative since start.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Tally {
    pub(crate) good: u64,
    pub(crate) total: u64,
}

/// Windowed rates from cumulative tallies: each refresh hands in the current tallies and gets,
/// per key, the change since the oldest snapshot inside the window and how long that covers.
pub(crate) struct Window<K> {
    span: Duration,
    history: VecDeque<(Instant, HashMap<K, Tally>)>,
}

impl<K: Eq + Hash + Clone> Window<K> {
    pub(crate) fn new(span: Duration, start: Instant) -> Self {
        let mut history = VecDeque::new();
        history.push_back((start, HashMap::new()));
        Window { span, history }
    }

    /// Records `current` as of `now` and returns, per key, the tally change over the window and
    /// the seconds it covers. At most about [`SNAPSHOTS_PER_SPAN`] snapshots are kept, however
    /// often it is called, so memory stays bounded under frequent scrapes.
    pub(crate) fn advance(
        &mut self,
        now: Instant,
        current: HashMap<K, Tally>,
    ) -> Vec<(K, Tally, f64)> {
        let horizon = now.checked_sub(self.span);
        // Keep only snapshots inside the span (the newest one always stays as a base).
        while self.history.len() > 1 && horizon.is_some_and(|horizon| self.history[0].0 < horizon) {
            self.history.pop_front();
        }
        let (since, baseline) = &self.history[0];
        let elapsed = now.saturating_duration_since(*since).as_secs_f64();
        let changes = current
            .iter()
            .map(|(key, now_tally)| {
                let before = baseline.get(key).copied().unwrap_or_default();
                let change = Tally {
                    good: now_tally.good.saturating_sub(before.good),
                    total: now_tally.total.saturating_sub(before.total),
                };
                (key.clone(), change, elapsed)
            })
            .collect();
        let spacing = self.span / SNAPSHOTS_PER_SPAN;
        let last = self.history.back().map(|(at, _)| *at);
        if last.is_none_or(|last| now.saturating_duration_since(last) >= spacing) {
            self.history.push_back((now, current));
        }
        changes
    }
}

impl Tally {
    /// Adds another tally.
    pub(crate) fn add(&mut self, other: Tally) {
        self.good += other.good;
        self.total += other.total;
    }

    /// Good over total; NaN when nothing happened, as PromQL's `0/0`, so no threshold fires.
    pub(crate) fn ratio(self) -> f64 {
        if self.total == 0 {
            f64::NAN
        } else {
            self.good as f64 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BOUNDS: &[f64] = &[0.1, 0.5, 1.0, 5.0];

    #[test]
    fn quantile_interpolates_like_promql() {
        // 10 observations: 4 ≤ 0.1, 4 in (0.1, 0.5], 2 in (0.5, 1.0].
        let cumulative = [4, 8, 10, 10, 10];
        // rank 5 of 10 → second bucket, 1 of 4 into it → 0.1 + 0.4 * 0.25.
        let p50 = quantile(0.5, BOUNDS, &cumulative).expect("data");
        assert!((p50 - 0.2).abs() < 1e-12, "{p50}");
        // rank 9.5 → third bucket, 1.5 of 2 → 0.5 + 0.5 * 0.75.
        let p95 = quantile(0.95, BOUNDS, &cumulative).expect("data");
        assert!((p95 - 0.875).abs() < 1e-12, "{p95}");
        // First bucket interpolates from zero.
        let p10 = quantile(0.1, BOUNDS, &cumulative).expect("data");
        assert!((p10 - 0.025).abs() < 1e-12, "{p10}");
    }

    #[test]
    fn quantile_in_inf_bucket_is_highest_bound() {
        let cumulative = [0, 0, 0, 1, 10];
        assert_eq!(quantile(0.99, BOUNDS, &cumulative), Some(5.0));
    }

    #[test]
    fn quantile_of_nothing_is_none() {
        assert_eq!(quantile(0.5, BOUNDS, &[0, 0, 0, 0, 0]), None);
        assert_eq!(quantile(1.5, BOUNDS, &[1, 1, 1, 1, 1]), None);
    }

    #[test]
    fn bucket_counts_use_inclusive_upper_bounds() {
        let counts = BucketCounts::new(BOUNDS);
        for value in [0.1, 0.10001, 1.0, 7.0] {
            counts.observe(value);
        }
        let snapshot = counts.snapshot();
        assert_eq!(snapshot.cumulative, vec![1, 2, 3, 3, 4]);
        assert_eq!(snapshot.count(), 4);
    }

    #[test]
    fn window_reports_change_over_the_span() {
        let start = Instant::now();
        let mut window = Window::new(Duration::from_secs(60), start);
        let at = |secs| start + Duration::from_secs(secs);
        let tally = |good, total| HashMap::from([("k", Tally { good, total })]);

        let first = window.advance(at(10), tally(9, 10));
        assert_eq!(first, vec![("k", Tally { good: 9, total: 10 }, 10.0)]);
        window.advance(at(50), tally(9, 20));
        // At 100 s the 60 s horizon is 40 s: the snapshot at 10 s is dropped, 50 s is the base.
        let later = window.advance(at(100), tally(19, 30));
        assert_eq!(
            later,
            vec![(
                "k",
                Tally {
                    good: 10,
                    total: 10
                },
                50.0
            )]
        );
        assert!(Tally::default().ratio().is_nan());
        assert_eq!(Tally { good: 1, total: 4 }.ratio(), 0.25);
    }

    #[test]
    fn window_history_stays_bounded_under_frequent_refreshes() {
        let start = Instant::now();
        let mut window = Window::new(Duration::from_secs(300), start);
        for ms in 0..100_000_u64 {
            let at = start + Duration::from_millis(ms * 10);
            let tally = HashMap::from([(
                (),
                Tally {
                    good: ms,
                    total: ms,
                },
            )]);
            let changes = window.advance(at, tally);
            assert!(
                changes[0].2 <= 300.0 + 10.0,
                "covers at most the span plus one spacing"
            );
        }
        assert!(
            window.history.len() <= SNAPSHOTS_PER_SPAN as usize + 2,
            "{}",
            window.history.len()
        );
        assert_eq!(Tally { good: 1, total: 4 }.ratio(), 0.25);
    }
}
