//! The checks most services want: process alive, memory below a limit, disk free above a
//! threshold, and the metrics recorder installed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::PoisonError;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::check::{Check, Outcome};

/// Liveness: the process is running and answering. It passes whenever the probe is served at
/// all, which is the point: a deadlocked runtime cannot answer it.
pub fn process_alive() -> Check {
    let pid = std::process::id();
    Check::builtin("process", move || Outcome::pass(format!("pid {pid}")))
}

/// Startup: the metrics store of `victor-metrics-core` is installed as the recorder, so
/// recordings reach `/metrics` instead of a no-op recorder.
pub fn recorder_installed() -> Check {
    Check::builtin("metrics_recorder", || {
        if victor_metrics_core::exposition::recorder_installed() {
            Outcome::pass("metrics store installed as the recorder")
        } else {
            Outcome::fail("no metrics store installed as the recorder: recordings go nowhere")
        }
    })
}

/// Readiness: the process' resident memory is below `max_ratio` of its limit, the cgroup memory
/// limit when there is one (a container), the host's memory otherwise. At 0.9, a pod at 90 % of
/// its memory limit stops taking new work before the OOM killer takes it.
pub fn memory_below(max_ratio: f64) -> Check {
    let system = Mutex::new(System::new().ok());
    Check::builtin("memory", move || {
        let mut guard = system.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(system) = guard.as_mut() else {
            return Outcome::fail("cannot read memory figures on this platform");
        };
        let Some((rss, limit, source)) = memory_figures(system) else {
            return Outcome::fail("cannot read this process' memory");
        };
        let ratio = rss as f64 / limit as f64;
        let message = format!(
            "resident {} MiB of {} MiB {source} ({:.0}%, limit {:.0}%)",
            rss >> 20,
            limit >> 20,
            ratio * 100.0,
            max_ratio * 100.0
        );
        if ratio < max_ratio {
            Outcome::pass(message)
        } else {
            Outcome::fail(message)
        }
    })
}

/// Resident bytes, the limit that applies, and where the limit comes from.
fn memory_figures(system: &mut System) -> Option<(u64, u64, &'static str)> {
    let pid = Pid::from_u32(std::process::id());
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        false,
        ProcessRefreshKind::nothing().with_memory(),
    );
    let rss = system.process(pid)?.memory();
    let (limit, source) = memory_limit(system)?;
    Some((rss, limit, source))
}

/// The memory this process may use: the cgroup limit when there is one (a container), the
/// host's memory otherwise, with which it is. `None` when neither can be read.
pub fn memory_limit(system: &mut System) -> Option<(u64, &'static str)> {
    system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let (limit, source) = match system.cgroup_limits() {
        Some(cgroup) if cgroup.total_memory > 0 => (cgroup.total_memory, "cgroup limit"),
        _ => (system.total_memory(), "host memory"),
    };
    (limit > 0).then_some((limit, source))
}

/// Readiness: the file system holding `path` has at least `min_free_ratio` of its space
/// available (to this user, as `df` shows it). Point it at the data directory.
pub fn disk_free_above(path: impl Into<PathBuf>, min_free_ratio: f64) -> Check {
    let path = path.into();
    Check::builtin("disk", move || {
        let Some((mount, free, total)) = disk_usage(&path) else {
            return Outcome::fail(format!(
                "cannot read the file system holding {}",
                path.display()
            ));
        };
        let ratio = free as f64 / total as f64;
        let message = format!(
            "{} MiB of {} MiB free on {} for {} ({:.1}%, minimum {:.1}%)",
            free >> 20,
            total >> 20,
            mount.display(),
            path.display(),
            ratio * 100.0,
            min_free_ratio * 100.0
        );
        if ratio >= min_free_ratio {
            Outcome::pass(message)
        } else {
            Outcome::fail(message)
        }
    })
}

/// The mount point holding `path`, its available (to this user, as `df` shows) and total
/// bytes; `None` when `path` cannot be read or its file system has no size (`/proc`).
///
/// One `statvfs` of `path` and a `stat` of each ancestor (to find where its file system
/// begins): no other mount is touched, so a hung mount elsewhere on the host cannot block it.
pub fn disk_usage(path: &Path) -> Option<(PathBuf, u64, u64)> {
    let path = std::fs::canonicalize(path).ok()?;
    let fs = rustix::fs::statvfs(&path).ok()?;
    let total = fs.f_blocks.saturating_mul(fs.f_frsize);
    let free = fs.f_bavail.saturating_mul(fs.f_frsize);
    if total == 0 {
        return None;
    }
    let device = rustix::fs::stat(&path).ok()?.st_dev;
    let mut mount = path.as_path();
    while let Some(parent) = mount.parent() {
        if rustix::fs::stat(parent).ok().map(|parent| parent.st_dev) != Some(device) {
            break;
        }
        mount = parent;
    }
    Some((mount.to_owned(), free, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Body;

    fn run(check: &Check) -> Outcome {
        match &check.body {
            Body::Blocking(body) => body(),
            Body::Async(_) => unreachable!("built-ins are sync"),
        }
    }

    #[test]
    fn memory_passes_under_a_generous_limit_and_fails_under_a_tiny_one() {
        let generous = run(&memory_below(1.0));
        assert!(generous.passed, "{generous:?}");
        assert!(generous.message.contains("MiB"), "{generous:?}");
        let tiny = run(&memory_below(1e-9));
        assert!(!tiny.passed, "{tiny:?}");
    }

    #[test]
    fn disk_names_the_mount_and_honours_the_threshold() {
        let dir = std::env::temp_dir();
        let ok = run(&disk_free_above(&dir, 0.0));
        assert!(ok.passed, "{ok:?}");
        assert!(ok.message.contains("free on"), "{ok:?}");
        let full = run(&disk_free_above(&dir, 1.01));
        assert!(!full.passed, "{full:?}");
        let missing = run(&disk_free_above("/no/such/dir", 0.0));
        assert!(!missing.passed && missing.message.contains("/no/such/dir"));
    }

    #[test]
    fn disk_usage_finds_where_the_file_system_begins() {
        let (mount, free, total) = disk_usage(Path::new("/")).expect("the root file system");
        assert_eq!(mount, Path::new("/"));
        assert!(free <= total && total > 0);
        let dir = std::env::temp_dir().canonicalize().expect("temp dir");
        let (mount, _, _) = disk_usage(&dir).expect("temp dir's file system");
        assert!(dir.starts_with(&mount), "{mount:?} does not hold {dir:?}");
        // No size: not a disk.
        assert_eq!(disk_usage(Path::new("/proc/self")), None);
    }
}
