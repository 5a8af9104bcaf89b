//! The facade trait every observable component implements, and the registry that composes them.
//!
//! A recording family ([`crate::family`]), the health checker, the alert engine, the tracing
//! pipeline and a service's own parts each implement [`Component`] once. The exporter composes
//! them through [`Components`] alone: before an export it refreshes each, it serves each one's
//! [`Component::view`] at `/api/performance/{name}`, and `cargo xtask` reads
//! [`Component::metrics`] to group the docs and check the dashboards and rules by owner.
//!
//! ```
//! use serde::Serialize;
//! use victor_metrics_core::{catalog, Component, Components, MetricDef};
//!
//! /// A service's own queue, with its depth as a JSON view.
//! struct Queue;
//!
//! #[derive(Serialize)]
//! struct QueueView {
//!     depth: usize,
//! }
//!
//! impl Component for Queue {
//!     type View = QueueView;
//!     fn name(&self) -> &'static str {
//!         "queue"
//!     }
//!     fn metrics(&self) -> Vec<&'static MetricDef> {
//!         Vec::new() // records nothing of the catalog's; custom metrics need no owner
//!     }
//!     fn view(&self) -> Option<QueueView> {
//!         Some(QueueView { depth: 0 })
//!     }
//! }
//!
//! let mut components = Components::new();
//! components.register(Queue)?;
//! components.refresh();
//! let view = components.view_json("queue").expect("registered")?;
//! assert_eq!(view, br#"{"depth":0}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use serde::Serialize;

use crate::catalog::MetricDef;

/// An observable part of an agent service.
pub trait Component: Send + Sync + 'static {
    /// What [`Component::view`] returns: the component's JSON view, typed.
    type View: Serialize;

    /// A short, stable, lower-case name (`cache`, `providers`, `system`): the path of its view
    /// (`/api/performance/{name}`) and its label in logs.
    fn name(&self) -> &'static str;

    /// The catalog entries this component owns. Each entry has exactly one owner among the
    /// registered components; [`Components::register`] refuses a second.
    fn metrics(&self) -> Vec<&'static MetricDef>;

    /// Brings pull-style values (gauges computed from state, sliding windows) up to date. Called
    /// before every export, in registration order; the default does nothing.
    fn refresh(&self) {}

    /// The component's JSON view, or `None` when it keeps none (its figures are in `/metrics`
    /// only).
    fn view(&self) -> Option<Self::View>;
}

/// A [`Component`] with its view type erased, so different components sit in one list.
/// Implemented for every `Component`; use it through [`Components`].
pub trait DynComponent: Send + Sync {
    /// [`Component::name`].
    fn name(&self) -> &'static str;
    /// [`Component::metrics`].
    fn metrics(&self) -> Vec<&'static MetricDef>;
    /// [`Component::refresh`].
    fn refresh(&self);
    /// [`Component::view`], serialized as JSON; `None` when the component keeps no view.
    ///
    /// # Errors
    /// When the view cannot be serialized (a map with non-string keys, for one).
    fn view_json(&self) -> Option<Result<Vec<u8>, serde_json::Error>>;
}

impl<T: Component> DynComponent for T {
    fn name(&self) -> &'static str {
        Component::name(self)
    }
    fn metrics(&self) -> Vec<&'static MetricDef> {
        Component::metrics(self)
    }
    fn refresh(&self) {
        Component::refresh(self);
    }
    fn view_json(&self) -> Option<Result<Vec<u8>, serde_json::Error>> {
        self.view().map(|view| serde_json::to_vec(&view))
    }
}

impl<T: Component> Component for Arc<T> {
    type View = T::View;
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn metrics(&self) -> Vec<&'static MetricDef> {
        (**self).metrics()
    }
    fn refresh(&self) {
        (**self).refresh();
    }
    fn view(&self) -> Option<T::View> {
        (**self).view()
    }
}

/// Why [`Components::register`] refused a component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComponentError {
    /// Another component has the name.
    #[error("a component named {name:?} is registered already")]
    DuplicateName {
        /// The name.
        name: &'static str,
    },
    /// Another component owns a metric the new one claims.
    #[error("{metric} is owned by component {owner:?}; {claimant:?} cannot own it too")]
    DuplicateOwner {
        /// The metric.
        metric: &'static str,
        /// Its owner.
        owner: &'static str,
        /// The component refused.
        claimant: &'static str,
    },
}

/// The registered components, in registration order: refreshed together, looked up by name,
/// every catalog entry owned at most once.
#[derive(Clone, Default)]
pub struct Components {
    list: Vec<Arc<dyn DynComponent>>,
}

impl std::fmt::Debug for Components {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Components {
    /// No components.
    pub fn new() -> Self {
        Components::default()
    }

    /// Adds `component` after those registered, so its refresh runs after theirs.
    ///
    /// # Errors
    /// When its name is taken, or it claims a metric another component owns; nothing is added.
    pub fn register(&mut self, component: impl Component) -> Result<(), ComponentError> {
        self.register_shared(Arc::new(component))
    }

    /// [`Components::register`] for a component already shared.
    ///
    /// # Errors
    /// As [`Components::register`].
    pub fn register_shared(
        &mut self,
        component: Arc<dyn DynComponent>,
    ) -> Result<(), ComponentError> {
        let name = component.name();
        if self.get(name).is_some() {
            return Err(ComponentError::DuplicateName { name });
        }
        for def in component.metrics() {
            if let Some(owner) = self.owner_of(def) {
                return Err(ComponentError::DuplicateOwner {
                    metric: def.name(),
                    owner,
                    claimant: name,
                });
            }
        }
        self.list.push(component);
        Ok(())
    }

    /// Refreshes every component, in registration order.
    pub fn refresh(&self) {
        for component in &self.list {
            component.refresh();
        }
    }

    /// The component named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn DynComponent> {
        self.list
            .iter()
            .find(|component| component.name() == name)
            .map(|component| &**component)
    }

    /// The JSON view of the component named `name`; `None` when there is no such component or
    /// it keeps no view.
    pub fn view_json(&self, name: &str) -> Option<Result<Vec<u8>, serde_json::Error>> {
        self.get(name)?.view_json()
    }

    /// The names of the registered components, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|component| component.name()).collect()
    }

    /// The names of the components that keep a JSON view.
    pub fn names_with_views(&self) -> Vec<&'static str> {
        self.list
            .iter()
            .filter(|component| component.view_json().is_some())
            .map(|component| component.name())
            .collect()
    }

    /// The component that owns `def`, by name.
    pub fn owner_of(&self, def: &MetricDef) -> Option<&'static str> {
        self.list
            .iter()
            .find(|component| {
                component
                    .metrics()
                    .iter()
                    .any(|owned| std::ptr::eq(*owned, def))
            })
            .map(|component| component.name())
    }

    /// Every component, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn DynComponent> {
        self.list.iter().map(|component| &**component)
    }
}
