//! The `[slos.NAME]` tables: the service level objectives the exporter's engine alerts on
//! (multiwindow burn-rate alerts, as `victor-slos.yml` gives Prometheus).
//!
//! The shipped SLOs ([`default_slos`]) are in force unless a table changes them: a table named
//! after one overrides the keys it gives (`enabled = false` removes it); a table with a new
//! name declares an SLO, and must give its SLI whole, one of
//!
//! - `errors` and `total`: selectors of catalog counters, the bad events and all of them;
//! - `latency` and `le`: a catalog histogram (without `_bucket`) and one of its bucket bounds,
//!   slower is bad;
//! - `spend` and `budget_usd_per_day`: a cost histogram, whose `_sum` is spent.
//!
//! ```toml
//! [slos.requests-availability]     # a shipped SLO, tightened
//! objective = 0.995
//!
//! [slos.llm-spend]                 # a shipped SLO, removed
//! enabled = false
//!
//! [slos.chat-latency]              # a new one
//! description = "99% of /chat requests answer within 2.5 seconds."
//! objective = 0.99
//! latency = 'victor_request_duration_seconds{endpoint="/chat"}'
//! le = 2.5
//! period_days = 30                 # default 30
//! min_events_per_hour = 20         # no burn alert below this traffic (default 20)
//! runbook_url = "https://wiki.example.com/chat-latency"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use victor_alerting::slo::{Sli, Slo, default_slos};
use victor_alerting::user_rules::{counter_selector, histogram_selector};

/// One `[slos.NAME]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSlo {
    enabled: Option<bool>,
    description: Option<String>,
    objective: Option<f64>,
    period_days: Option<u32>,
    min_events_per_hour: Option<f64>,
    runbook_url: Option<String>,
    errors: Option<String>,
    total: Option<String>,
    latency: Option<String>,
    le: Option<f64>,
    spend: Option<String>,
    budget_usd_per_day: Option<f64>,
}

/// The SLOs in force: the shipped ones with `tables` applied.
///
/// # Errors
/// The first table that cannot be applied, naming `slos.NAME` and the key.
pub(crate) fn apply(slos: &mut Vec<Slo>, tables: BTreeMap<String, FileSlo>) -> Result<(), String> {
    for (name, table) in tables {
        let key = format!("slos.{name}");
        let position = slos.iter().position(|slo| slo.name == name);
        let known = || {
            let names: Vec<&str> = slos.iter().map(|slo| slo.name.as_str()).collect();
            format!("the SLOs in force: {}", names.join(", "))
        };
        if table.enabled == Some(false) {
            // A misspelt name would otherwise leave the SLO it meant in force, silently.
            let position = position
                .ok_or_else(|| format!("{key}: no SLO of that name to disable ({})", known()))?;
            slos.remove(position);
            continue;
        }
        let base = position.map(|position| slos[position].clone());
        let slo = merged(&name, base.as_ref(), table).map_err(|why| {
            if base.is_none() && why.starts_with("a new SLO") {
                format!("{key}: {why} (or name one of {})", known())
            } else {
                format!("{key}: {why}")
            }
        })?;
        // Building its rules checks everything the engine will: the SLO, and each threshold
        // made from it (a budget or a traffic minimum so extreme a threshold is not finite).
        slo.engine_rules()
            .map_err(|err| format!("{key}: {}", err.problem))?;
        match position {
            Some(position) => slos[position] = slo,
            None => slos.push(slo),
        }
    }
    Ok(())
}

/// The SLO a table makes, over the shipped one of its name when there is one.
fn merged(name: &str, base: Option<&Slo>, table: FileSlo) -> Result<Slo, String> {
    let sli = sli(base.map(|slo| &slo.sli), &table)?;
    let description = match (&table.description, base) {
        (Some(text), _) => text.clone(),
        (None, Some(base)) => base.description.clone(),
        (None, None) => format!("SLO {name}"),
    };
    let objective = match (table.objective, base, &sli) {
        (Some(objective), ..) => objective,
        (None, Some(base), _) => base.objective,
        (None, None, Sli::Spend { .. }) => 0.0,
        (None, None, _) => return Err("objective is required (0.99 for 99%)".into()),
    };
    Ok(Slo {
        name: name.to_owned(),
        description,
        objective,
        period_days: table
            .period_days
            .or(base.map(|slo| slo.period_days))
            .unwrap_or(30),
        sli,
        min_events_per_hour: table
            .min_events_per_hour
            .or(base.map(|slo| slo.min_events_per_hour))
            .unwrap_or(20.0),
        runbook_url: table
            .runbook_url
            .or_else(|| base.and_then(|slo| slo.runbook_url.clone())),
    })
}

/// The table's SLI; keys it leaves out come from the shipped SLO's SLI of the same kind.
fn sli(base: Option<&Sli>, table: &FileSlo) -> Result<Sli, String> {
    let events = table.errors.is_some() || table.total.is_some();
    let latency = table.latency.is_some() || table.le.is_some();
    let spend = table.spend.is_some() || table.budget_usd_per_day.is_some();
    if usize::from(events) + usize::from(latency) + usize::from(spend) > 1 {
        return Err(
            "give one SLI: errors and total, latency and le, or spend and budget_usd_per_day"
                .into(),
        );
    }
    let counter =
        |field: &str, text: &Option<String>, from_base: Option<&_>| match (text, from_base) {
            (Some(text), _) => counter_selector(text).map_err(|why| format!("{field}: {why}")),
            (None, Some(selector)) => Ok(Clone::clone(selector)),
            (None, None) => Err(format!("{field} is required with the others of its SLI")),
        };
    let histogram =
        |field: &str, text: &Option<String>, from_base: Option<&_>| match (text, from_base) {
            (Some(text), _) => histogram_selector(text).map_err(|why| format!("{field}: {why}")),
            (None, Some(selector)) => Ok(Clone::clone(selector)),
            (None, None) => Err(format!("{field} is required with the others of its SLI")),
        };
    let number = |field: &str, value: Option<f64>, from_base: Option<f64>| {
        value
            .or(from_base)
            .ok_or_else(|| format!("{field} is required with the others of its SLI"))
    };
    if events {
        let (errors, total) = match base {
            Some(Sli::Events { errors, total }) => (Some(errors), Some(total)),
            _ => (None, None),
        };
        return Ok(Sli::Events {
            errors: counter("errors", &table.errors, errors)?,
            total: counter("total", &table.total, total)?,
        });
    }
    if latency {
        let (selector, le) = match base {
            Some(Sli::Latency { histogram, le }) => (Some(histogram), Some(*le)),
            _ => (None, None),
        };
        return Ok(Sli::Latency {
            histogram: histogram("latency", &table.latency, selector)?,
            le: number("le", table.le, le)?,
        });
    }
    if spend {
        let (cost, budget) = match base {
            Some(Sli::Spend {
                cost,
                budget_usd_per_day,
            }) => (Some(cost), Some(*budget_usd_per_day)),
            _ => (None, None),
        };
        return Ok(Sli::Spend {
            cost: histogram("spend", &table.spend, cost)?,
            budget_usd_per_day: number("budget_usd_per_day", table.budget_usd_per_day, budget)?,
        });
    }
    base.cloned().ok_or_else(|| {
        "a new SLO needs its SLI: errors and total, latency and le, or spend and budget_usd_per_day"
            .to_owned()
    })
}

/// The shipped SLOs, for [`Config::default`](crate::Config).
pub(crate) fn defaults() -> Vec<Slo> {
    default_slos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(text: &str) -> Result<Vec<Slo>, String> {
        let tables: BTreeMap<String, FileSlo> = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut slos = defaults();
        apply(&mut slos, tables)?;
        Ok(slos)
    }

    #[test]
    fn tables_override_remove_and_declare() {
        let slos = applied(
            r#"
            [requests-availability]
            objective = 0.995
            [llm-spend]
            enabled = false
            [chat-latency]
            objective = 0.99
            latency = 'victor_request_duration_seconds{endpoint="/chat"}'
            le = 2.5
            [chat-errors]
            objective = 0.999
            errors = 'victor_requests_total{endpoint="/chat",status=~"5.."}'
            total = 'victor_requests_total{endpoint="/chat"}'
            min_events_per_hour = 5
            "#,
        )
        .expect("valid");
        let names: Vec<&str> = slos.iter().map(|slo| slo.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "requests-availability",
                "requests-latency",
                "llm-success",
                "tool-success",
                "chat-errors",
                "chat-latency"
            ]
        );
        assert_eq!(slos[0].objective, 0.995);
        assert_eq!(
            slos[0].sli,
            defaults()[0].sli,
            "the SLI stays the shipped one"
        );
        assert!(
            slos[5]
                .error_ratio("1h")
                .contains(r#"victor_request_duration_seconds_bucket{endpoint="/chat", le="2.5"}"#)
        );
        assert_eq!(slos[4].min_events_per_hour, 5.0);
        assert!(slos[4].runbook_url.is_none());
        for slo in &slos {
            slo.engine_rules().expect("rules");
        }
    }

    #[test]
    fn refusals_name_the_slo_and_the_key() {
        let refused = |text: &str, expected: &str| {
            let err = applied(text).expect_err(expected);
            assert!(err.contains(expected), "{err}");
        };
        refused(
            "[mine]\nobjective = 0.9\n",
            "slos.mine: a new SLO needs its SLI",
        );
        refused(
            "[mine]\nobjective = 0.9\nerrors = 'victor_requests_total'\n",
            "slos.mine: total is required",
        );
        refused(
            "[mine]\nobjective = 0.9\nerrors = 'victor_requests_total{tool=\"x\"}'\ntotal = 'victor_requests_total'\n",
            "slos.mine: errors: victor_requests_total has no label \"tool\"",
        );
        refused(
            "[mine]\nobjective = 0.9\nerrors = 'nope_total'\ntotal = 'victor_requests_total'\n",
            "nope_total is no catalog metric",
        );
        refused(
            "[mine]\nobjective = 0.9\nerrors = 'rate(victor_requests_total[5m])'\ntotal = 'victor_requests_total'\n",
            "must be one selector",
        );
        refused(
            "[mine]\nobjective = 0.9\nlatency = 'victor_request_duration_seconds'\nle = 3\n",
            "le 3 is not a bucket bound",
        );
        refused(
            "[mine]\nerrors = 'victor_requests_total'\ntotal = 'victor_requests_total'\n",
            "slos.mine: objective is required",
        );
        refused(
            "[requests-availability]\nobjective = 99\n",
            "objective 99 must be between 0 and 1",
        );
        refused(
            "[\"Bad Name\"]\nobjective = 0.9\nerrors = 'victor_requests_total'\ntotal = 'victor_requests_total'\n",
            "the name must be",
        );
        refused(
            "[requests-latency]\nerrors = 'victor_requests_total'\nle = 5\n",
            "give one SLI",
        );
        refused(
            "[llm-spend]\nbudget_usd_per_day = 0\n",
            "budget_usd_per_day 0 must be a positive number",
        );
        // Numbers at the edge of f64: refused when a threshold made from them is not finite.
        refused("[llm-spend]\nbudget_usd_per_day = 5e-324\n", "not a finite");
        // A misspelt name is said, with the names it could have meant.
        refused(
            "[request-availability]\nenabled = false\n",
            "slos.request-availability: no SLO of that name to disable (the SLOs in force: requests-availability,",
        );
        refused(
            "[request-availability]\nobjective = 0.995\n",
            "(or name one of the SLOs in force: requests-availability,",
        );
        refused(
            "[requests-availability]\nmin_events_per_hour = 1.7e308\n",
            "not a finite number",
        );
    }
}
