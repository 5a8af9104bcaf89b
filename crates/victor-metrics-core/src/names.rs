//! Validation of metric and label names against Prometheus' data model.
//!
//! Metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`, and label
//! names starting with `__` are reserved for Prometheus itself. Catalog tests and run-time custom
//! registrations both go through these checks.

use thiserror::Error;

/// A metric or label name Prometheus would reject, with the offending name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The metric name breaks Prometheus' naming rules.
    #[error("invalid metric name {name:?}: {reason}")]
    InvalidMetricName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The label name breaks Prometheus' naming rules.
    #[error("invalid label name {name:?}: {reason}")]
    InvalidLabelName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Checks a metric name.
///
/// ```
/// use victor_metrics_core::names::validate_metric_name;
/// assert!(validate_metric_name("victor_jobs_total").is_ok());
/// assert!(validate_metric_name("9lives").is_err());
/// ```
///
/// # Errors
/// [`NameError::InvalidMetricName`] naming the input and the rule it breaks.
pub fn validate_metric_name(name: &str) -> Result<(), NameError> {
    let fail = |reason| {
        Err(NameError::InvalidMetricName {
            name: name.to_owned(),
            reason,
        })
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return fail("it is empty"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_' || c == ':') => {
            return fail("it must start with a letter, '_' or ':'");
        }
        Some(_) => {}
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        return fail("only ASCII letters, digits, '_' and ':' are allowed");
    }
    Ok(())
}

/// Checks a label name.
///
/// ```
/// use victor_metrics_core::names::validate_label_name;
/// assert!(validate_label_name("tool").is_ok());
/// assert!(validate_label_name("__name__").is_err());
/// ```
///
/// # Errors
/// [`NameError::InvalidLabelName`] naming the input and the rule it breaks.
pub fn validate_label_name(name: &str) -> Result<(), NameError> {
    let fail = |reason| {
        Err(NameError::InvalidLabelName {
            name: name.to_owned(),
            reason,
        })
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return fail("it is empty"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return fail("it must start with a letter or '_'");
        }
        Some(_) => {}
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return fail("only ASCII letters, digits and '_' are allowed");
    }
    if name.starts_with("__") {
        return fail("names starting with '__' are reserved for Prometheus");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_prometheus_names() {
        for name in ["a", "_x", "victor:rate5m", "victor_requests_total", "A9_:"] {
            assert_eq!(validate_metric_name(name), Ok(()), "{name}");
        }
        for name in ["a", "_x", "tool", "error_type", "A9"] {
            assert_eq!(validate_label_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_bad_metric_names_naming_them() {
        for name in ["", "1abc", "with space", "dash-ed", "dot.ted", "ünï"] {
            let err = validate_metric_name(name).expect_err(name);
            assert!(err.to_string().contains(&format!("{name:?}")), "{err}");
        }
    }

    #[test]
    fn rejects_bad_label_names_naming_them() {
        for name in ["", "1abc", "a:b", "__reserved", "with space", "le-gacy"] {
            let err = validate_label_name(name).expect_err(name);
            assert!(matches!(err, NameError::InvalidLabelName { .. }));
            assert!(err.to_string().contains(&format!("{name:?}")), "{err}");
        }
    }
}
