//! Start-up: initialization time, bootstrap phases and lazy loads.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{CatalogSeries, owned};
use crate::Component;
use crate::catalog::{self as cat, Group, MetricDef};
use crate::summary::BootstrapView;

/// The bootstrap family ([`Group::Bootstrap`]).
pub struct Bootstrap {
    catalog: Arc<CatalogSeries>,
    view: Mutex<BootstrapView>,
}

impl Bootstrap {
    pub(crate) fn new(catalog: Arc<CatalogSeries>) -> Self {
        Bootstrap {
            catalog,
            view: Mutex::default(),
        }
    }

    fn with_view(&self, f: impl FnOnce(&mut BootstrapView)) {
        f(&mut self.view.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Records how long the system took to initialize.
    pub fn record_initialization(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        self.with_view(|view| view.initialization_seconds = Some(seconds));
        self.catalog
            .observe(&cat::INITIALIZATION_DURATION_SECONDS, [], seconds);
    }

    /// Sets how long the last start-up spent in a bootstrap phase.
    pub fn set_bootstrap_phase(&self, phase: &str, duration: Duration) {
        let seconds = duration.as_secs_f64();
        self.with_view(|view| {
            view.phases.insert(phase.to_owned(), seconds);
        });
        self.catalog
            .set(&cat::BOOTSTRAP_PHASE_DURATION_SECONDS, [phase], seconds);
    }

    /// Records a component loaded lazily after start-up.
    pub fn record_lazy_load(&self, component: &str) {
        self.with_view(|view| {
            *view.lazy_loads.entry(component.to_owned()).or_default() += 1;
        });
        self.catalog
            .increment(&cat::BOOTSTRAP_LAZY_LOADS_TOTAL, [component], 1);
    }

    /// Start-up as recorded.
    pub fn bootstrap(&self) -> BootstrapView {
        self.view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Component for Bootstrap {
    type View = BootstrapView;

    fn name(&self) -> &'static str {
        "bootstrap"
    }

    fn metrics(&self) -> Vec<&'static MetricDef> {
        owned(&[Group::Bootstrap])
    }

    fn view(&self) -> Option<BootstrapView> {
        Some(self.bootstrap())
    }
}
