//! Security checks and scans.

use std::sync::Arc;
use std::time::Duration;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};

/// A security signal, for [`Security::record_security`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SecuritySignal<'a> {
    /// Current authorization success ratio, 0 to 1.
    AuthorizationSuccessRate(f64),
    /// One failed authorization.
    FailedAuthorization,
    /// Current security test pass ratio, 0 to 1.
    TestPassRate(f64),
    /// One vulnerability found, with its severity.
    VulnerabilityFound {
        /// `low`, `medium`, `high`, `critical`.
        severity: &'a str,
    },
    /// One security scan and its duration.
    Scan(Duration),
}

/// The security family ([`Group::Security`]).
pub struct Security {
    catalog: Arc<CatalogSeries>,
}

impl Security {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Security { catalog }
    }

    /// Records a security signal.
    pub fn record_security(&self, signal: SecuritySignal<'_>) {
        let catalog = &self.catalog;
        match signal {
            SecuritySignal::AuthorizationSuccessRate(r) => {
                catalog.set(&cat::SECURITY_AUTHORIZATION_SUCCESS_RATE, [], r);
            }
            SecuritySignal::FailedAuthorization => {
                catalog.increment(&cat::SECURITY_FAILED_AUTHORIZATIONS_TOTAL, [], 1);
            }
            SecuritySignal::TestPassRate(r) => catalog.set(&cat::SECURITY_TEST_PASS_RATE, [], r),
            SecuritySignal::VulnerabilityFound { severity } => {
                catalog.increment(&cat::SECURITY_VULNERABILITIES_FOUND_TOTAL, [severity], 1);
            }
            SecuritySignal::Scan(d) => {
                catalog.observe(&cat::SECURITY_SCAN_DURATION_SECONDS, [], d.as_secs_f64());
            }
        }
    }
}

impl Security {
    /// Records `count` failed authorizations at once.
    pub fn record_failed_authorizations(&self, count: u64) {
        self.catalog
            .increment(&cat::SECURITY_FAILED_AUTHORIZATIONS_TOTAL, [], count);
    }
}

impl Component for Security {
    type View = ();

    fn name(&self) -> &'static str {
        "security"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Security])
    }

    fn view(&self) -> Option<()> {
        None
    }
}
