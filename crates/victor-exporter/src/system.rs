//! Process and host figures from `sysinfo`, sampled on a timer off the request path and
//! recorded in the catalog's system metrics (`victor_cpu_usage_percent`,
//! `victor_system_memory_bytes`, `victor_memory_limit_bytes`, `victor_system_threads`,
//! `victor_system_open_fds`, `victor_system_disk_free_bytes`, `victor_active_connections`, …).
//!
//! The memory limit is the cgroup limit in a container, the host's memory otherwise; the disk
//! figures are for the file system holding the data directory (`health.disk_path`). Process CPU
//! is measured between two samples, so the first sample reads 0.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sysinfo::{CpuRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use victor_metrics_core::{SystemSample, VictorMetrics};

/// How often the exporter samples by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Samples this process and its host and records the figures.
pub struct SystemSampler {
    metrics: VictorMetrics,
    disk_path: PathBuf,
    connections: Arc<AtomicU64>,
    started: Instant,
    state: Mutex<State>,
}

struct State {
    system: Option<System>,
}

impl SystemSampler {
    /// A sampler recording into `metrics`, watching the file system of `disk_path`, reading
    /// open connections from `connections` (the server keeps it).
    pub fn new(metrics: VictorMetrics, disk_path: PathBuf, connections: Arc<AtomicU64>) -> Self {
        SystemSampler {
            metrics,
            disk_path,
            connections,
            started: Instant::now(),
            state: Mutex::new(State {
                system: System::new().ok(),
            }),
        }
    }

    /// Takes one sample and records it (the system family keeps it for its view); `None` when
    /// this platform gives no process figures.
    pub fn sample(&self) -> Option<SystemSample> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let system = state.system.as_mut()?;
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
        let sample = SystemSample {
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
        };
        self.metrics.system().record_system(&sample);
        Some(sample)
    }

    /// Samples every `interval` on the blocking pool until the task is aborted.
    pub fn spawn(self: Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                ticks.tick().await;
                let sampler = Arc::clone(&self);
                if tokio::task::spawn_blocking(move || sampler.sample())
                    .await
                    .ok()
                    .flatten()
                    .is_none()
                {
                    tracing::warn!("cannot read this process' figures; system metrics stay unset");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_moves_when_the_process_allocates() {
        let metrics = VictorMetrics::new();
        let sampler = SystemSampler::new(
            metrics.clone(),
            PathBuf::from("."),
            Arc::new(AtomicU64::new(3)),
        );
        let before = sampler.sample().expect("process figures on Linux");
        // 256 MiB, touched so it is resident.
        let block = vec![1_u8; 256 << 20];
        let after = sampler.sample().expect("process figures");
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
        let json = serde_json::to_value(victor_metrics_core::Component::view(metrics.system()))
            .expect("serializable");
        assert_eq!(json["rss_bytes"], after.rss_bytes);
        assert_eq!(json["sampled"], true);
    }
}
