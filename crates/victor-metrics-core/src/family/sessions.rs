//! Users, sessions and tasks.

use std::sync::Arc;
use std::time::Duration;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};

/// The business family ([`Group::Business`]): who uses the agent and what gets done.
pub struct Sessions {
    catalog: Arc<CatalogSeries>,
}

impl Sessions {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Sessions { catalog }
    }

    /// Records a user session starting on an interface (`cli`, `tui`, `api`, `mcp`).
    pub fn record_session_started(&self, interface: &str) {
        self.catalog
            .increment(&cat::USER_SESSIONS_TOTAL, [interface], 1);
    }

    /// Records a user session ending: its duration and how many requests it made.
    pub fn record_session_ended(&self, interface: &str, duration: Duration, requests: u64) {
        self.catalog.observe(
            &cat::SESSION_DURATION_SECONDS,
            [interface],
            duration.as_secs_f64(),
        );
        self.catalog
            .observe(&cat::REQUESTS_PER_USER, [], requests as f64);
    }

    /// Sets the users active now on an interface.
    pub fn set_active_users(&self, interface: &str, users: u64) {
        self.catalog
            .set(&cat::ACTIVE_USERS, [interface], users as f64);
    }

    /// Records an agent task finishing (`victor_tasks_total{status="completed"|"failed"}`).
    pub fn record_task(&self, completed: bool) {
        let status = if completed { "completed" } else { "failed" };
        self.catalog.increment(&cat::TASKS_TOTAL, [status], 1);
    }
}

impl Component for Sessions {
    type View = ();

    fn name(&self) -> &'static str {
        "sessions"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Business])
    }

    fn view(&self) -> Option<()> {
        None
    }
}
