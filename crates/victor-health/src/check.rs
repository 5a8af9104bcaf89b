//! One named check: what it runs, its timeout, and how a run is isolated.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Serialize;
use thiserror::Error;

/// The timeout a check gets unless it sets its own.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// What one run of a check found: passed or not, and a message for the operator.
///
/// Checks return anything that converts into an `Outcome`: a `bool`, a `Result<(), E>` or
/// `Result<String, E>` (the `Ok` string becomes the message, the error's `Display` the failure
/// message), or an `Outcome` built with [`Outcome::pass`] and [`Outcome::fail`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the check passed.
    pub passed: bool,
    /// What the check saw, for the response body and the logs.
    pub message: String,
}

impl Outcome {
    /// A passing outcome.
    pub fn pass(message: impl Into<String>) -> Outcome {
        Outcome {
            passed: true,
            message: message.into(),
        }
    }

    /// A failing outcome.
    pub fn fail(message: impl Into<String>) -> Outcome {
        Outcome {
            passed: false,
            message: message.into(),
        }
    }
}

impl From<bool> for Outcome {
    fn from(passed: bool) -> Outcome {
        if passed {
            Outcome::pass("ok")
        } else {
            Outcome::fail("check returned false")
        }
    }
}

impl<E: fmt::Display> From<Result<(), E>> for Outcome {
    fn from(result: Result<(), E>) -> Outcome {
        match result {
            Ok(()) => Outcome::pass("ok"),
            Err(err) => Outcome::fail(err.to_string()),
        }
    }
}

impl<E: fmt::Display> From<Result<String, E>> for Outcome {
    fn from(result: Result<String, E>) -> Outcome {
        match result {
            Ok(message) => Outcome::pass(message),
            Err(err) => Outcome::fail(err.to_string()),
        }
    }
}

/// A check name that cannot be used: names appear in URLs (`/health/ready/NAME`), in
/// `?exclude=NAME` and as the `check` label, so they are ASCII letters, digits, `_`, `-` and `.`.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid check name {name:?}: use 1 to 64 ASCII letters, digits, '_', '-' or '.'")]
pub struct CheckNameError {
    /// The name as given.
    pub name: String,
}

pub(crate) type SyncBody = Arc<dyn Fn() -> Outcome + Send + Sync>;
pub(crate) type AsyncBody = Arc<dyn Fn() -> BoxFuture<'static, Outcome> + Send + Sync>;

#[derive(Clone)]
pub(crate) enum Body {
    /// Run on tokio's blocking pool, so a check that blocks or hangs never stalls a worker.
    Blocking(SyncBody),
    /// Spawned as a task, so a panic is caught and a timeout cancels it.
    Async(AsyncBody),
}

/// A named health check with its timeout.
///
/// ```
/// use std::time::Duration;
/// use victor_health::{Check, Outcome};
///
/// let cache = Check::sync("cache", || true)?;
/// let database = Check::future("database", || async {
///     // e.g. `pool.execute("SELECT 1").await.map(|_| ())`
///     Ok::<(), std::io::Error>(())
/// })?
/// .timeout(Duration::from_millis(500));
/// let queue = Check::sync("queue", || {
///     let depth = 12;
///     if depth < 1_000 { Outcome::pass(format!("{depth} queued")) } else { Outcome::fail("backlog") }
/// })?;
/// # Ok::<(), victor_health::CheckNameError>(())
/// ```
#[derive(Clone)]
pub struct Check {
    pub(crate) name: Arc<str>,
    pub(crate) timeout: Duration,
    pub(crate) body: Body,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .field(
                "kind",
                &match self.body {
                    Body::Blocking(_) => "sync",
                    Body::Async(_) => "async",
                },
            )
            .finish()
    }
}

impl Check {
    /// A check from a closure. It runs on tokio's blocking pool, so it may block (a database
    /// ping through a synchronous client, a file read) without stalling the server.
    ///
    /// # Errors
    /// [`CheckNameError`] when the name is empty, longer than 64 bytes, or has other characters
    /// than ASCII letters, digits, `_`, `-` and `.`.
    pub fn sync<O: Into<Outcome>>(
        name: &str,
        check: impl Fn() -> O + Send + Sync + 'static,
    ) -> Result<Check, CheckNameError> {
        Check::new(name, Body::Blocking(Arc::new(move || check().into())))
    }

    /// A check from a function returning a future, for I/O checks on the async runtime.
    ///
    /// # Errors
    /// As [`Check::sync`].
    pub fn future<O, F>(
        name: &str,
        check: impl Fn() -> F + Send + Sync + 'static,
    ) -> Result<Check, CheckNameError>
    where
        O: Into<Outcome>,
        F: Future<Output = O> + Send + 'static,
    {
        let body: AsyncBody = Arc::new(move || {
            let run = check();
            Box::pin(async move { run.await.into() })
        });
        Check::new(name, Body::Async(body))
    }

    /// A built-in sync check; its constant name is known to be valid.
    pub(crate) fn builtin<O: Into<Outcome>>(
        name: &'static str,
        check: impl Fn() -> O + Send + Sync + 'static,
    ) -> Check {
        debug_assert!(Check::sync(name, || true).is_ok(), "{name}");
        Check {
            name: name.into(),
            timeout: DEFAULT_CHECK_TIMEOUT,
            body: Body::Blocking(Arc::new(move || check().into())),
        }
    }

    fn new(name: &str, body: Body) -> Result<Check, CheckNameError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(CheckNameError {
                name: name.to_owned(),
            });
        }
        Ok(Check {
            name: name.into(),
            timeout: DEFAULT_CHECK_TIMEOUT,
            body,
        })
    }

    /// Sets how long a run may take before it counts as failed ("timed out after …").
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Check {
        self.timeout = timeout;
        self
    }

    /// The check's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Whether a probe or a check is healthy, as the response body spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Passing.
    Healthy,
    /// Failing, timed out, panicked, or (for a probe) gated by start-up or shutdown.
    Unhealthy,
}

impl Status {
    pub(crate) fn from_passed(passed: bool) -> Status {
        if passed {
            Status::Healthy
        } else {
            Status::Unhealthy
        }
    }
}

/// The text of a panic payload, as `std` prints it.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_be_paths_or_labels_are_refused() {
        for bad in ["", "has space", "a/b", "ünïcode", &"x".repeat(65)] {
            let err = Check::sync(bad, || true).expect_err(bad);
            assert_eq!(err.name, bad);
            assert!(err.to_string().contains("invalid check name"), "{err}");
        }
        for good in ["db", "vector-store", "redis.primary", "disk_data"] {
            assert!(Check::sync(good, || true).is_ok(), "{good}");
        }
    }

    #[test]
    fn outcomes_convert_from_what_checks_naturally_return() {
        assert!(Outcome::from(true).passed);
        assert_eq!(
            Outcome::from(Err::<(), _>("connection refused")),
            Outcome::fail("connection refused")
        );
        assert_eq!(
            Outcome::from(Ok::<_, String>("3 replicas".to_owned())),
            Outcome::pass("3 replicas")
        );
    }
}
