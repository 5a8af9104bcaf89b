//! Delivery: one bounded queue and one worker task per channel, with retries and exponential
//! backoff, so a slow or dead channel never stalls evaluation or the other channels.
//!
//! [`Dispatcher::dispatch`] never waits: it puts each notification on the queue of every channel
//! the rule names (all of them when it names none). A worker sends one notification at a time;
//! a failed attempt (an error, or no answer within [`DeliverySettings::attempt_timeout`]) is
//! retried after 1 s, 2 s, 4 s, 8 s and 16 s (doubling up to
//! [`DeliverySettings::max_backoff`]), [`DeliverySettings::max_attempts`] (6) attempts in all: 31 s
//! of waiting plus the attempts themselves.
//!
//! What happens after the last attempt depends on the state:
//! - a *firing* notification is given up (`reason="retries_exhausted"`): the engine re-sends a
//!   firing alert once per cooldown, so the next one tries again;
//! - a *resolved* one is kept, since nothing would send it again, and retried every
//!   [`DeliverySettings::max_backoff`] until it is delivered, until a newer notification of the
//!   same alert replaces it, or until more than [`DeliverySettings::queue_capacity`] are kept
//!   (the oldest is then dropped as `reason="queue_full"`).
//!
//! While a channel is down its queue holds up to [`DeliverySettings::queue_capacity`]
//! notifications; past that, new ones are refused. Every outcome is counted in
//! `victor_alert_notifications_sent_total{channel}` or
//! `victor_alert_notifications_failed_total{channel, reason}` and logged, never silent.

use std::sync::Arc;
use std::time::Duration;

use metrics::Counter;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use victor_metrics_core::{VictorMetrics, catalog};

use std::collections::VecDeque;

use crate::engine::{AlertState, Notification};
use crate::notify::Notifier;
use crate::rule::Rule;

/// Queue and retry settings, shared by every channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliverySettings {
    /// Notifications a channel holds while it cannot deliver (default 256).
    pub queue_capacity: usize,
    /// Attempts per round before a firing notification is given up or a resolved one is kept
    /// for later (default 6: 31 s of waiting between them).
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles after each (default 1 s).
    pub initial_backoff: Duration,
    /// The longest wait between retries (default 30 s).
    pub max_backoff: Duration,
    /// How long one attempt may take (default 15 s).
    pub attempt_timeout: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            queue_capacity: 256,
            max_attempts: 6,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(15),
        }
    }
}

/// Why a channel or rule cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Two channels with one name.
    #[error("a notification channel named {0:?} is already configured")]
    DuplicateChannel(String),
    /// A rule names a channel that is not configured.
    #[error(
        "rule {rule} notifies channel {channel:?}, which is not configured (configured: {known:?})"
    )]
    UnknownChannel {
        /// The rule.
        rule: String,
        /// The channel it names.
        channel: String,
        /// The channels there are.
        known: Vec<String>,
    },
    /// Workers are tokio tasks; there is no runtime to spawn them on.
    #[error("notification channels need a tokio runtime; create the dispatcher inside one")]
    NoRuntime,
}

struct Channel {
    name: String,
    kind: &'static str,
    queue: mpsc::Sender<Notification>,
    worker: JoinHandle<()>,
    counters: ChannelCounters,
}

/// A channel's outcome counters, resolved once when the channel is added (which also makes them
/// exist at zero, so `rate()` and dashboards see a channel before its first notification).
#[derive(Clone)]
struct ChannelCounters {
    sent: Counter,
    retries_exhausted: Counter,
    queue_full: Counter,
    channel_closed: Counter,
}

impl ChannelCounters {
    fn new(metrics: &VictorMetrics, channel: &str) -> Self {
        let failed = |reason| {
            metrics.counter(
                &catalog::ALERT_NOTIFICATIONS_FAILED_TOTAL,
                [channel, reason],
            )
        };
        ChannelCounters {
            sent: metrics.counter(&catalog::ALERT_NOTIFICATIONS_SENT_TOTAL, [channel]),
            retries_exhausted: failed("retries_exhausted"),
            queue_full: failed("queue_full"),
            channel_closed: failed("channel_closed"),
        }
    }
}

/// Routes notifications to their channels' queues.
pub struct Dispatcher {
    channels: Vec<Channel>,
    settings: DeliverySettings,
    metrics: VictorMetrics,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let channels: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("{} ({})", c.name, c.kind))
            .collect();
        f.debug_struct("Dispatcher")
            .field("channels", &channels)
            .field("settings", &self.settings)
            .finish()
    }
}

impl Dispatcher {
    /// A dispatcher with no channels yet.
    pub fn new(metrics: VictorMetrics, settings: DeliverySettings) -> Dispatcher {
        Dispatcher {
            channels: Vec::new(),
            settings,
            metrics,
        }
    }

    /// Adds a channel under `name` and starts its worker on the current tokio runtime.
    ///
    /// # Errors
    /// When the name is taken, or when called outside a tokio runtime.
    pub fn add_channel(
        &mut self,
        name: impl Into<String>,
        notifier: Arc<dyn Notifier>,
    ) -> Result<(), DeliveryError> {
        let name = name.into();
        if self.channels.iter().any(|c| c.name == name) {
            return Err(DeliveryError::DuplicateChannel(name));
        }
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| DeliveryError::NoRuntime)?;
        let counters = ChannelCounters::new(&self.metrics, &name);
        let (queue, receiver) = mpsc::channel(self.settings.queue_capacity.max(1));
        let kind = notifier.kind();
        let worker = Worker {
            name: name.clone(),
            notifier,
            settings: self.settings,
            counters: counters.clone(),
        };
        let worker = runtime.spawn(worker.run(receiver));
        self.channels.push(Channel {
            name,
            kind,
            queue,
            worker,
            counters,
        });
        Ok(())
    }

    /// The configured channels' names, in the order they were added.
    pub fn channel_names(&self) -> Vec<String> {
        self.channels.iter().map(|c| c.name.clone()).collect()
    }

    /// Checks that every channel `rule` names is configured.
    ///
    /// # Errors
    /// [`DeliveryError::UnknownChannel`] for the first one that is not.
    pub fn check_rule(&self, rule: &Rule) -> Result<(), DeliveryError> {
        for channel in rule.channels() {
            if !self.channels.iter().any(|c| &c.name == channel) {
                return Err(DeliveryError::UnknownChannel {
                    rule: rule.name().to_owned(),
                    channel: channel.clone(),
                    known: self.channel_names(),
                });
            }
        }
        Ok(())
    }

    /// Queues each notification on its channels without waiting. A full queue refuses the
    /// notification, which is logged and counted as `reason="queue_full"`.
    pub fn dispatch(&self, notifications: impl IntoIterator<Item = Notification>) {
        for notification in notifications {
            let wanted = |channel: &Channel| {
                notification.channels.is_empty() || notification.channels.contains(&channel.name)
            };
            for channel in self.channels.iter().filter(|c| wanted(c)) {
                let (reason, counter, why) = match channel.queue.try_send(notification.clone()) {
                    Ok(()) => continue,
                    Err(mpsc::error::TrySendError::Full(_)) => (
                        "queue_full",
                        &channel.counters.queue_full,
                        "the channel's queue is full (the receiver has been failing)",
                    ),
                    Err(mpsc::error::TrySendError::Closed(_)) => (
                        "channel_closed",
                        &channel.counters.channel_closed,
                        "the channel's worker has stopped",
                    ),
                };
                tracing::warn!(
                    channel = %channel.name,
                    alert = %notification.alert.name,
                    state = ?notification.alert.state,
                    reason,
                    capacity = self.settings.queue_capacity,
                    "notification dropped: {why}; see victor_alert_notifications_failed_total"
                );
                counter.increment(1);
            }
        }
    }

    /// Stops taking notifications and gives the queued ones until `deadline` to go out; what is
    /// still queued then is logged and abandoned.
    pub async fn shutdown(self, deadline: Duration) {
        let mut workers = Vec::with_capacity(self.channels.len());
        for channel in self.channels {
            let queued = channel.queue.max_capacity() - channel.queue.capacity();
            if queued > 0 {
                tracing::info!(channel = %channel.name, queued, "delivering queued notifications before exit");
            }
            drop(channel.queue);
            workers.push((channel.name, channel.worker));
        }
        let stop_at = tokio::time::Instant::now() + deadline;
        for (name, mut worker) in workers {
            if tokio::time::timeout_at(stop_at, &mut worker).await.is_err() {
                worker.abort();
                tracing::error!(
                    channel = %name,
                    "notifications still undelivered {deadline:?} after shutdown began; abandoning them"
                );
            }
        }
    }
}

struct Worker {
    name: String,
    notifier: Arc<dyn Notifier>,
    settings: DeliverySettings,
    counters: ChannelCounters,
}

impl Worker {
    async fn run(self, mut queue: mpsc::Receiver<Notification>) {
        // Resolved notifications every attempt failed for, oldest first.
        let mut kept: VecDeque<Notification> = VecDeque::new();
        loop {
            let next = if kept.is_empty() {
                queue.recv().await
            } else {
                tokio::select! {
                    next = queue.recv() => next,
                    () = tokio::time::sleep(self.settings.max_backoff) => {
                        self.retry_kept(&mut kept).await;
                        continue;
                    }
                }
            };
            let Some(notification) = next else {
                if !kept.is_empty() {
                    tracing::error!(
                        channel = %self.name,
                        resolved = kept.len(),
                        "channel closed with resolved notifications still undelivered"
                    );
                    self.counters
                        .channel_closed
                        .increment(u64::try_from(kept.len()).unwrap_or(u64::MAX));
                }
                return;
            };
            // A newer notification of an alert replaces a kept resolve of it.
            kept.retain(|old| old.alert.fingerprint != notification.alert.fingerprint);
            if !self.deliver(&notification).await {
                self.keep_if_resolved(notification, &mut kept);
            }
        }
    }

    /// One more round for each kept resolve, oldest first.
    async fn retry_kept(&self, kept: &mut VecDeque<Notification>) {
        for _ in 0..kept.len() {
            let Some(notification) = kept.pop_front() else {
                return;
            };
            if !self.deliver(&notification).await {
                kept.push_back(notification);
            }
        }
    }

    /// Keeps an undelivered resolve for later rounds; a firing one is given up (the engine
    /// re-sends it each cooldown).
    fn keep_if_resolved(&self, notification: Notification, kept: &mut VecDeque<Notification>) {
        if notification.alert.state != AlertState::Resolved {
            self.counters.retries_exhausted.increment(1);
            return;
        }
        tracing::warn!(
            channel = %self.name,
            alert = %notification.alert.name,
            fingerprint = %notification.alert.fingerprint,
            "resolved notification undelivered; kept and retried every {:?}",
            self.settings.max_backoff
        );
        kept.push_back(notification);
        if kept.len() > self.settings.queue_capacity.max(1)
            && let Some(dropped) = kept.pop_front()
        {
            tracing::error!(
                channel = %self.name,
                alert = %dropped.alert.name,
                "too many undelivered resolved notifications; dropping the oldest"
            );
            self.counters.queue_full.increment(1);
        }
    }

    /// One round of attempts; whether it was delivered.
    async fn deliver(&self, notification: &Notification) -> bool {
        let alert = &notification.alert;
        let mut backoff = self.settings.initial_backoff;
        let attempts = self.settings.max_attempts.max(1);
        for attempt in 1..=attempts {
            let outcome = tokio::time::timeout(
                self.settings.attempt_timeout,
                self.notifier.send(notification),
            )
            .await;
            let error = match outcome {
                Ok(Ok(())) => {
                    tracing::info!(
                        channel = %self.name,
                        alert = %alert.name,
                        fingerprint = %alert.fingerprint,
                        state = ?alert.state,
                        attempt,
                        "notification delivered"
                    );
                    self.counters.sent.increment(1);
                    return true;
                }
                Ok(Err(err)) => err.to_string(),
                Err(_) => format!("no answer within {:?}", self.settings.attempt_timeout),
            };
            if attempt == attempts {
                tracing::error!(
                    channel = %self.name,
                    kind = self.notifier.kind(),
                    alert = %alert.name,
                    fingerprint = %alert.fingerprint,
                    state = ?alert.state,
                    attempts = attempt,
                    error = %error,
                    "every attempt of this round failed"
                );
                return false;
            }
            tracing::warn!(
                channel = %self.name,
                kind = self.notifier.kind(),
                alert = %alert.name,
                attempt,
                error = %error,
                "notification failed; retrying in {backoff:?}"
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(self.settings.max_backoff);
        }
        false
    }
}
