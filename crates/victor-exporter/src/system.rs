//! Process and host figures, sampled on a thread of their own and recorded in the catalog's
//! system metrics (`victor_cpu_usage_percent`, `victor_system_memory_bytes`,
//! `victor_memory_limit_bytes`, `victor_system_threads`, `victor_system_open_fds`,
//! `victor_system_disk_free_bytes`, `victor_active_connections`, …), and in Prometheus'
//! standard process family (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
//! `process_start_time_seconds`, `process_threads`) through `metrics-process`.
//!
//! A host call can block for ever (a `statfs` on a hung network mount, a `/proc` read on a
//! wedged kernel), so sampling never runs on the request path, under a lock a render takes, or
//! on the async runtime's blocking pool (which shutdown waits for): a dedicated thread samples
//! and records, and a render reads the last sample and its age
//! (`victor_system_sample_age_seconds`). A sample that does not finish leaves the last one in
//! place, reported stale; a stuck thread is abandoned at exit, never waited for.
//!
//! The memory limit is the cgroup limit in a container, the host's memory otherwise; the disk
//! figures are for the file system holding the data directory (`health.disk_path`), read with
//! one `statvfs` of that path (no walk over every mount). Process CPU is measured between two
//! samples, so the first sample reads 0.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sysinfo::{CpuRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use victor_metrics_core::{SystemSample, VictorMetrics};

/// How often the exporter samples by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Where host figures come from: [`SysinfoHost`] unless a service supplies its own with
/// [`crate::Exporter::host_source`] (a platform with its own figures, or a test's fault).
///
/// `sample` may block, even for ever: it runs on the sampler's own thread, never where a
/// request or shutdown waits for it.
pub trait HostSource: Send + 'static {
    /// Reads one sample; `None` when this platform gives no process figures.
    fn sample(&mut self) -> Option<SystemSample>;
}

/// This process and its host, read through `sysinfo` and one `statvfs`.
pub struct SysinfoHost {
    system: Option<System>,
    disk_path: PathBuf,
    connections: Arc<AtomicU64>,
    started: Instant,
    process: metrics_process::Collector,
}

impl SysinfoHost {
    /// Watches the file system of `disk_path` and reads open connections from `connections`
    /// (the server keeps it). Describes Prometheus' standard `process_*` family to the
    /// installed recorder; each sample records it.
    pub fn new(disk_path: PathBuf, connections: Arc<AtomicU64>) -> Self {
        let process = metrics_process::Collector::default();
        process.describe();
        SysinfoHost {
            process,
            system: System::new().ok(),
            disk_path,
            connections,
            started: Instant::now(),
        }
    }
}

impl HostSource for SysinfoHost {
    fn sample(&mut self) -> Option<SystemSample> {
        // Prometheus' standard process family (`process_cpu_seconds_total`,
        // `process_resident_memory_bytes`, `process_open_fds`, …), recorded through the
        // installed recorder so community dashboards and alerts work unchanged.
        self.process.collect();
        let system = self.system.as_mut()?;
        let pid = Pid::from_u32(std::process::id());
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing()
                .with_cpu()
                .with_memory()
                .with_tasks(),
        );
        system.refresh_cpu_specifics(CpuRefreshKind::nothing().with_usage());
        let host_cpu_percent = f64::from(system.global_cpu_usage());
        let process = system.process(pid)?;
        let (rss_bytes, virtual_bytes) = (process.memory(), process.virtual_memory());
        let process_cpu_percent = f64::from(process.cpu_usage());
        let threads = process.tasks().map_or(1, |tasks| tasks.len().max(1)) as u64;
        let open_fds = process.open_files().unwrap_or(0) as u64;
        let max_fds = process.open_files_limit().unwrap_or(0) as u64;
        // Refreshes the host's memory figures too.
        let memory_limit_bytes =
            victor_health::builtin::memory_limit(system).map_or(0, |(limit, _)| limit);
        let host_memory =
            (system.total_memory() > 0).then(|| (system.total_memory(), system.available_memory()));
        let disk = victor_health::builtin::disk_usage(&self.disk_path)
            .map(|(_, free, total)| (self.disk_path.display().to_string(), free, total));
        Some(SystemSample {
            process_cpu_percent,
            host_cpu_percent,
            rss_bytes,
            virtual_bytes,
            memory_limit_bytes,
            host_memory,
            threads,
            open_fds,
            max_fds,
            uptime: self.started.elapsed(),
            disk,
            active_connections: self.connections.load(Ordering::Relaxed),
        })
    }
}

/// The running sampler thread; stops it when dropped (at its next wake-up, or never if its
/// host call never returns, which then holds nothing anyone waits for).
#[derive(Debug)]
pub struct Sampling {
    stop: Arc<AtomicBool>,
    thread: std::thread::Thread,
}

impl Drop for Sampling {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Samples `source` every `interval` on a thread of its own and records each sample into
/// `metrics` (the system family keeps it, with its time, for its view and
/// `victor_system_sample_age_seconds`).
///
/// # Errors
/// When the thread cannot be started.
pub fn start_sampling(
    mut source: Box<dyn HostSource>,
    metrics: VictorMetrics,
    interval: Duration,
) -> std::io::Result<Sampling> {
    metrics.system().begin_sampling(interval);
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let handle = std::thread::Builder::new()
        .name("victor-host-sampler".to_owned())
        .spawn(move || {
            let mut warned = false;
            while !stopped.load(Ordering::Acquire) {
                match source.sample() {
                    Some(sample) => metrics.system().record_system(&sample),
                    None if !warned => {
                        warned = true;
                        tracing::warn!(
                            "cannot read this process' figures; system metrics stay unset"
                        );
                    }
                    None => {}
                }
                std::thread::park_timeout(interval);
            }
        })?;
    Ok(Sampling {
        stop,
        thread: handle.thread().clone(),
    })
}

/// Records only Prometheus' standard `process_*` family every `interval`, on a thread of its
/// own: what runs under `--simulate`, whose synthetic workload writes the `victor_system_*`
/// figures itself while the process family stays this process' real one.
///
/// # Errors
/// When the thread cannot be started.
pub fn start_process_family(interval: Duration) -> std::io::Result<Sampling> {
    let collector = metrics_process::Collector::default();
    collector.describe();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let handle = std::thread::Builder::new()
        .name("victor-process-sampler".to_owned())
        .spawn(move || {
            while !stopped.load(Ordering::Acquire) {
                collector.collect();
                std::thread::park_timeout(interval);
            }
        })?;
    Ok(Sampling {
        stop,
        thread: handle.thread().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_moves_when_the_process_allocates() {
        let mut host = SysinfoHost::new(PathBuf::from("."), Arc::new(AtomicU64::new(3)));
        let before = host.sample().expect("process figures on Linux");
        // 256 MiB, touched so it is resident.
        let block = vec![1_u8; 256 << 20];
        let after = host.sample().expect("process figures");
        assert!(
            after.rss_bytes >= before.rss_bytes + (200 << 20),
            "rss {} -> {}",
            before.rss_bytes,
            after.rss_bytes
        );
        assert_eq!(block.iter().map(|b| u64::from(*b)).sum::<u64>(), 256 << 20);
        assert!(after.memory_limit_bytes > 0);
        assert!(
            after
                .host_memory
                .is_some_and(|(total, available)| available <= total)
        );
        assert!(after.threads >= 1 && after.open_fds > 0 && after.max_fds > 0);
        assert!(
            after
                .disk
                .as_ref()
                .is_some_and(|(_, free, total)| free <= total)
        );
        assert_eq!(after.active_connections, 3);
    }

    /// A host whose every call blocks until the test lets it go.
    struct Hung(std::sync::mpsc::Receiver<()>);

    impl HostSource for Hung {
        fn sample(&mut self) -> Option<SystemSample> {
            let _ = self.0.recv();
            None
        }
    }

    #[test]
    fn a_hung_host_call_leaves_the_view_answering_and_reporting_stale() {
        let metrics = VictorMetrics::new();
        let (_release, hang) = std::sync::mpsc::channel();
        let sampling = start_sampling(
            Box::new(Hung(hang)),
            metrics.clone(),
            Duration::from_millis(10),
        )
        .expect("thread");
        std::thread::sleep(Duration::from_millis(60));
        let started = Instant::now();
        let view = victor_metrics_core::Component::view(metrics.system()).expect("a view");
        drop(sampling);
        assert!(started.elapsed() < Duration::from_millis(100));
        assert!(!view.sampled && view.stale, "{view:?}");
        assert!(view.age_seconds.is_some_and(|age| age >= 0.05), "{view:?}");
    }
}
