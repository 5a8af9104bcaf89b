//! Kubernetes-style liveness, readiness and startup probes for Victor services.
//!
//! A [`HealthChecker`] holds named [`Check`]s per [`Probe`]. Checks are sync closures (run on
//! tokio's blocking pool) or futures; each runs with a timeout and is isolated from the probe, so
//! a check that hangs or panics reports failure instead of hanging or killing the probe. The
//! checks of one probe run concurrently, and results can be reused for a short TTL so a probe
//! storm does not hammer dependencies. Start-up gates the other two probes, as in Kubernetes.
//!
//! Every answer is a [`ProbeReport`]: overall status, service version, uptime, and per check its
//! name, status, duration and message; it serializes to the JSON that `victor-exporter` serves on
//! `/health/live`, `/health/ready` and `/health/startup`.
//!
//! ```
//! use std::time::Duration;
//! use victor_health::{builtin, Check, HealthChecker, Probe};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let health = HealthChecker::builder(env!("CARGO_PKG_VERSION"))
//!     .startup_timeout(Duration::from_secs(60))
//!     .build();
//! health.add(Probe::Liveness, builtin::process_alive())?;
//! health.add(Probe::Readiness, builtin::memory_below(0.9))?;
//! health.add(
//!     Probe::Readiness,
//!     Check::future("vector_store", || async {
//!         // e.g. `client.ping().await`
//!         Ok::<(), std::io::Error>(())
//!     })?
//!     .timeout(Duration::from_millis(500)),
//! )?;
//!
//! let ready = health.probe(Probe::Readiness).await;
//! println!("{}", serde_json::to_string_pretty(&ready)?);
//! # Ok(())
//! # }
//! ```

pub mod builtin;
mod check;
mod checker;

pub use check::{Check, CheckNameError, DEFAULT_CHECK_TIMEOUT, Outcome, Status};
pub use checker::{
    CheckReport, DEFAULT_CACHE_TTL, DEFAULT_STARTUP_TIMEOUT, HealthChecker, HealthCheckerBuilder,
    HealthError, HealthView, Probe, ProbeParseError, ProbeReport, Selection,
};
