//! Process and host resources, as sampled by the exporter (or a service's own sampler).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};

/// Process and host figures, for [`System::record_system`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemSample {
    /// Process CPU, percent of one core.
    pub process_cpu_percent: f64,
    /// Host CPU, percent of all cores.
    pub host_cpu_percent: f64,
    /// Resident set size in bytes.
    pub rss_bytes: u64,
    /// Virtual memory size in bytes.
    pub virtual_bytes: u64,
    /// The memory the process may use (cgroup limit, else host memory).
    pub memory_limit_bytes: u64,
    /// The host's memory: total and available bytes, when known.
    pub host_memory: Option<(u64, u64)>,
    /// Threads in the process.
    pub threads: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// File descriptor limit.
    pub max_fds: u64,
    /// Time since the process started.
    pub uptime: Duration,
    /// Path whose file system is watched, with its free and total bytes.
    pub disk: Option<(String, u64, u64)>,
    /// Open client connections.
    pub active_connections: u64,
}

/// The system family ([`Group::System`]): keeps the last sample for its view and the health
/// score.
pub struct System {
    catalog: Arc<CatalogSeries>,
    last: Mutex<Sampled>,
}

/// The last sample, when it was taken, and since when (and how often) a sampler runs.
#[derive(Default)]
struct Sampled {
    sample: Option<(SystemSample, Instant)>,
    sampling: Option<(Instant, Duration)>,
}

impl Sampled {
    /// Seconds since the last sample (or since sampling began, before one); `None` when
    /// nothing samples.
    fn age(&self) -> Option<Duration> {
        let since = match (&self.sample, &self.sampling) {
            (Some((_, at)), _) => *at,
            (None, Some((began, _))) => *began,
            (None, None) => return None,
        };
        Some(since.elapsed())
    }

    /// Older than three sampling intervals: the sampler is stuck (a hung host call) or gone.
    fn stale(&self) -> bool {
        match (self.age(), &self.sampling) {
            (Some(age), Some((_, interval))) => age > *interval * 3,
            _ => false,
        }
    }
}

/// The `/api/performance/system` view: the last sample, with shares worked out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SystemView {
    /// Whether a sample was recorded yet; every other field is `null` or absent before.
    pub sampled: bool,
    /// Seconds since the last sample (since sampling began, before the first); `null` when
    /// nothing samples.
    pub age_seconds: Option<f64>,
    /// The last sample is older than three sampling intervals: a host call is stuck (a hung
    /// mount, say) or the sampler stopped. The figures shown are the last ones read.
    pub stale: bool,
    /// The figures, flattened in.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleView>,
}

/// One sample's figures, as the system view shows them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SampleView {
    /// Process CPU, percent of one core.
    pub process_cpu_percent: f64,
    /// Host CPU, percent of all cores.
    pub host_cpu_percent: f64,
    /// Resident set size in bytes.
    pub rss_bytes: u64,
    /// Virtual memory size in bytes.
    pub virtual_bytes: u64,
    /// The memory the process may use.
    pub memory_limit_bytes: u64,
    /// Resident over the limit; `null` without a limit.
    pub memory_used_ratio: Option<f64>,
    /// The host's memory.
    pub host_memory_total_bytes: Option<u64>,
    /// The host's available memory.
    pub host_memory_available_bytes: Option<u64>,
    /// Threads in the process.
    pub threads: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// File descriptor limit.
    pub max_fds: u64,
    /// Seconds since the process started.
    pub uptime_seconds: f64,
    /// The watched file system.
    pub disk: Option<DiskView>,
    /// Open client connections.
    pub active_connections: u64,
}

/// The watched file system's space.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DiskView {
    /// The path watched.
    pub path: String,
    /// Free bytes.
    pub free_bytes: u64,
    /// Total bytes.
    pub total_bytes: u64,
    /// Free over total; `null` when the total is 0.
    pub free_ratio: Option<f64>,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl System {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        System {
            catalog,
            last: Mutex::new(Sampled::default()),
        }
    }

    /// Notes that a sampler now records every `interval`, so the view and
    /// `victor_system_sample_age_seconds` can tell a stuck one.
    pub fn begin_sampling(&self, interval: Duration) {
        self.state().sampling = Some((Instant::now(), interval));
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Sampled> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the memory attributed to a component (`process` for the whole process).
    pub fn set_memory_usage(&self, component: &str, bytes: u64) {
        self.catalog
            .set(&cat::MEMORY_USAGE_BYTES, [component], bytes as f64);
    }

    /// Sets every system gauge from one sample (also `victor_memory_usage_bytes{component="process"}`).
    pub fn record_system(&self, sample: &SystemSample) {
        let catalog = &self.catalog;
        catalog.set(&cat::CPU_USAGE_PERCENT, [], sample.process_cpu_percent);
        catalog.set(&cat::SYSTEM_CPU_PERCENT, [], sample.host_cpu_percent);
        catalog.set(&cat::SYSTEM_MEMORY_BYTES, ["rss"], sample.rss_bytes as f64);
        catalog.set(
            &cat::SYSTEM_MEMORY_BYTES,
            ["vms"],
            sample.virtual_bytes as f64,
        );
        self.set_memory_usage("process", sample.rss_bytes);
        if let Some((total, available)) = sample.host_memory {
            catalog.set(&cat::SYSTEM_MEMORY_BYTES, ["host_total"], total as f64);
            catalog.set(
                &cat::SYSTEM_MEMORY_BYTES,
                ["host_available"],
                available as f64,
            );
        }
        catalog.set(
            &cat::MEMORY_LIMIT_BYTES,
            [],
            sample.memory_limit_bytes as f64,
        );
        catalog.set(&cat::SYSTEM_THREADS, [], sample.threads as f64);
        catalog.set(&cat::SYSTEM_OPEN_FDS, [], sample.open_fds as f64);
        catalog.set(&cat::SYSTEM_MAX_FDS, [], sample.max_fds as f64);
        catalog.set(&cat::SYSTEM_UPTIME_SECONDS, [], sample.uptime.as_secs_f64());
        if let Some((path, free, total)) = &sample.disk {
            catalog.set(&cat::SYSTEM_DISK_FREE_BYTES, [path], *free as f64);
            catalog.set(&cat::SYSTEM_DISK_TOTAL_BYTES, [path], *total as f64);
        }
        catalog.set(
            &cat::ACTIVE_CONNECTIONS,
            [],
            sample.active_connections as f64,
        );
        self.state().sample = Some((sample.clone(), Instant::now()));
        self.catalog.set(&cat::SYSTEM_SAMPLE_AGE_SECONDS, [], 0.0);
    }

    /// The last sample recorded; `None` before one.
    pub fn last_sample(&self) -> Option<SystemSample> {
        self.state()
            .sample
            .as_ref()
            .map(|(sample, _)| sample.clone())
    }

    /// Resident memory over the memory limit at the last sample; `None` before one, or
    /// without a limit.
    pub fn memory_used_ratio(&self) -> Option<f64> {
        let state = self.state();
        let (sample, _) = state.sample.as_ref()?;
        share(sample.rss_bytes, sample.memory_limit_bytes)
    }
}

impl Component for System {
    type View = SystemView;

    fn name(&self) -> &'static str {
        "system"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::System])
    }

    fn refresh(&self) {
        if let Some(age) = self.state().age() {
            self.catalog
                .set(&cat::SYSTEM_SAMPLE_AGE_SECONDS, [], age.as_secs_f64());
        }
    }

    fn view(&self) -> Option<SystemView> {
        let state = self.state();
        let (age_seconds, stale) = (state.age().map(|age| age.as_secs_f64()), state.stale());
        let Some((s, _)) = state.sample.clone() else {
            return Some(SystemView {
                age_seconds,
                stale,
                ..SystemView::default()
            });
        };
        drop(state);
        Some(SystemView {
            sampled: true,
            age_seconds,
            stale,
            sample: Some(SampleView {
                process_cpu_percent: s.process_cpu_percent,
                host_cpu_percent: s.host_cpu_percent,
                rss_bytes: s.rss_bytes,
                virtual_bytes: s.virtual_bytes,
                memory_limit_bytes: s.memory_limit_bytes,
                memory_used_ratio: share(s.rss_bytes, s.memory_limit_bytes),
                host_memory_total_bytes: s.host_memory.map(|(total, _)| total),
                host_memory_available_bytes: s.host_memory.map(|(_, available)| available),
                threads: s.threads,
                open_fds: s.open_fds,
                max_fds: s.max_fds,
                uptime_seconds: s.uptime.as_secs_f64(),
                disk: s.disk.map(|(path, free_bytes, total_bytes)| DiskView {
                    path,
                    free_bytes,
                    total_bytes,
                    free_ratio: share(free_bytes, total_bytes),
                }),
                active_connections: s.active_connections,
            }),
        })
    }
}
