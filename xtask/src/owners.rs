//! Who owns each catalog entry: the components a deployment registers, composed through
//! [`Component`](victor_metrics_core::Component) alone. The docs group metrics by owner, and
//! the dashboards and rules may only query owned metrics.

use victor_alerting::Engine;
use victor_health::HealthChecker;
use victor_metrics_core::{Components, MetricDef, VictorMetrics, catalog};
use victor_tracing::SpanPipeline;

/// The components that own catalog entries, in the exporter's registration order.
pub(crate) fn components() -> Components {
    let metrics = VictorMetrics::new();
    let mut components = Components::new();
    let registered = metrics
        .register_families(&mut components)
        .and_then(|()| components.register(HealthChecker::builder("xtask").build()))
        .and_then(|()| components.register(Engine::new(metrics.clone())))
        .and_then(|()| components.register(SpanPipeline::new(&metrics)));
    if let Err(err) = registered {
        panic!("the built-in components disagree on ownership: {err}");
    }
    components
}

/// The owner of every catalog entry, or the first entry without one.
pub(crate) fn owner_of_each(
    components: &Components,
) -> Result<Vec<(&'static MetricDef, &'static str)>, String> {
    catalog::ALL
        .iter()
        .map(|def| {
            components
                .owner_of(def)
                .map(|owner| (*def, owner))
                .ok_or_else(|| format!("{} has no owning component", def.name()))
        })
        .collect()
}

#[cfg(test)]
/// The names of the metrics `text` queries (`victor_…`, with `_bucket`/`_sum`/`_count` taken
/// back to their histogram), for the check that dashboards and rules query owned metrics.
pub(crate) fn queried_metrics(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = text[i..].find("victor_") {
        let start = i + found;
        // Not inside a longer identifier, nor a recording rule (`victor:…`).
        let inside = start > 0
            && (bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |len| start + len);
        if !inside {
            names.push(text[start..end].to_owned());
        }
        i = end;
    }
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_entry_has_exactly_one_owner() {
        let components = components();
        let owners = owner_of_each(&components).unwrap_or_else(|err| panic!("{err}"));
        for (def, _) in owners {
            let claims = components
                .iter()
                .filter(|component| component.metrics().iter().any(|m| std::ptr::eq(*m, def)))
                .count();
            assert_eq!(claims, 1, "{} is claimed {claims} times", def.name());
        }
    }

    /// The catalog entry `name` (a series name) belongs to, taking histogram series back to
    /// their histogram.
    fn entry(name: &str) -> Option<&'static MetricDef> {
        catalog::ALL.iter().copied().find(|def| {
            def.name() == name
                || (def.kind() == victor_metrics_core::MetricKind::Histogram
                    && ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|suffix| name.strip_suffix(suffix) == Some(def.name())))
        })
    }

    #[test]
    fn dashboards_and_rules_query_only_owned_metrics() {
        let components = components();
        let generated = [
            crate::rules::generate,
            crate::dashboards::generate,
            crate::ruletests::generate,
        ]
        .into_iter()
        .flat_map(|generate| generate().expect("renders"));
        let mut checked = 0;
        for (path, text) in generated {
            // The PromQL: rule and panel expressions, and promtool's input series.
            let queries: String = text
                .lines()
                .filter(|line| {
                    let line = line.trim_start();
                    ["expr:", "\"expr\":", "series:", "- series:"]
                        .iter()
                        .any(|key| line.starts_with(key))
                })
                .collect::<Vec<_>>()
                .join("\n");
            for name in queried_metrics(&queries) {
                let def = entry(&name).unwrap_or_else(|| {
                    panic!(
                        "{} queries {name}, which is no catalog metric",
                        path.display()
                    )
                });
                assert!(
                    components.owner_of(def).is_some(),
                    "{} queries {name}, which no component owns",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} metric references found");
    }

    /// Every expression the generators write (alerting and recording rules, dashboard panels),
    /// with Grafana's variables given values.
    fn generated_expressions() -> Vec<(String, String)> {
        let mut found = Vec::new();
        for generate in [crate::rules::generate, crate::dashboards::generate] {
            for (path, text) in generate().expect("renders") {
                let document: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
                    serde_json::from_str(&text).expect("dashboard JSON")
                } else {
                    serde_norway::from_str(&text).expect("rule YAML")
                };
                collect_expressions(&document, &path.display().to_string(), &mut found);
            }
        }
        found
    }

    fn collect_expressions(
        value: &serde_json::Value,
        path: &str,
        found: &mut Vec<(String, String)>,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value.as_str()) {
                        ("expr", Some(expr)) => {
                            let expr = expr
                                .replace("$__rate_interval", "5m")
                                .replace("$__range", "1h")
                                .replace("$job", ".*")
                                .replace("$instance", ".*");
                            found.push((path.to_owned(), expr));
                        }
                        _ => collect_expressions(value, path, found),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    collect_expressions(item, path, found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_generated_expression_parses_as_promql() {
        let expressions = generated_expressions();
        assert!(
            expressions.len() > 100,
            "only {} expressions",
            expressions.len()
        );
        for (path, expr) in &expressions {
            if let Err(err) = promql_parser::parser::parse(expr) {
                panic!("{path}: {expr}\n{err}");
            }
        }
    }

    #[test]
    fn the_parser_refuses_what_prometheus_refuses() {
        // The check above can fail: a broken expression is refused, naming the problem.
        assert!(promql_parser::parser::parse("sum by (job (rate(x[5m]))").is_err());
        assert!(
            promql_parser::parser::parse("rate(victor_requests_total{status=~\"5..\"}[5m])")
                .is_ok()
        );
    }

    #[test]
    fn queried_metrics_reads_names_out_of_promql() {
        let names = queried_metrics(
            "sum(rate(victor_request_duration_seconds_bucket{job=\"x\"}[5m])) / victor:request_rate + victor_build_info",
        );
        assert_eq!(
            names,
            [
                "victor_build_info",
                "victor_request_duration_seconds_bucket"
            ]
        );
    }
}
