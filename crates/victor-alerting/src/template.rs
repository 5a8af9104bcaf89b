//! The small part of Prometheus' annotation templates that alert descriptions use:
//! `{{ $value }}` (optionally piped through `humanize`, `humanizePercentage` or
//! `humanizeDuration`) and `{{ $labels.NAME }}`. The same text goes into the generated
//! Prometheus rules, where Prometheus expands it; here the engine expands it for in-process
//! notifications. Anything else between braces is left as written.

use std::collections::BTreeMap;

/// Expands an annotation `template` for one alert as Prometheus would: `{{ $value }}` (through
/// `humanize`, `humanizePercentage` or `humanizeDuration` when piped) and `{{ $labels.NAME }}`.
/// `None` for the value renders `n/a`.
///
/// ```
/// use std::collections::BTreeMap;
/// let labels = BTreeMap::from([("tool".to_owned(), "grep".to_owned())]);
/// let text = victor_alerting::expand_annotation("{{ $labels.tool }}: {{ $value | humanize }}/s", Some(0.0125), &labels);
/// assert_eq!(text, "grep: 12.5m/s");
/// ```
pub fn expand_annotation(
    template: &str,
    value: Option<f64>,
    labels: &BTreeMap<String, String>,
) -> String {
    replace_placeholders(template, |inner| expand_one(inner, value, labels))
}

/// Replaces each `{{ … }}` in an annotation template with what `replace` returns for its
/// trimmed inside (`$value | humanize`, `$labels.endpoint`); `None` keeps it as written. The
/// engine uses it to expand annotations; docs use it to show templates as words.
///
/// ```
/// let text = victor_alerting::replace_placeholders("{{ $labels.tool }} at {{ $value }}", |inner| {
///     inner.strip_prefix("$labels.").map(|label| format!("<{label}>"))
/// });
/// assert_eq!(text, "<tool> at {{ $value }}");
/// ```
pub fn replace_placeholders(
    template: &str,
    mut replace: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let inner = rest[open + 2..open + close].trim();
        match replace(inner) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

fn expand_one(
    inner: &str,
    value: Option<f64>,
    labels: &BTreeMap<String, String>,
) -> Option<String> {
    if let Some(name) = inner.strip_prefix("$labels.") {
        return Some(labels.get(name.trim()).cloned().unwrap_or_default());
    }
    let mut parts = inner.split('|').map(str::trim);
    if parts.next()? != "$value" {
        return None;
    }
    let Some(value) = value else {
        return Some("n/a".into());
    };
    Some(match parts.next() {
        None => format_number(value),
        Some("humanize") => humanize(value),
        Some("humanizePercentage") => format!("{}%", format_number(value * 100.0)),
        Some("humanizeDuration") => humanize_duration(value),
        Some(_) => return None,
    })
}

/// Four significant digits (Prometheus' `%.4g`), no trailing zeros.
fn format_number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let integer_digits = value.abs().log10().floor() as i32 + 1;
    let decimals = (4 - integer_digits).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if !text.contains('.') {
        return text;
    }
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// SI prefixes, as Prometheus' `humanize`.
/// Prometheus' `humanizeDuration`: `1d 2h 3m 4s` from a minute up, `12.5s` under a minute,
/// `250ms` / `12us` under a second.
fn humanize_duration(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{}s", format_number(value));
    }
    if value.abs() >= 1.0 {
        let sign = if value < 0.0 { "-" } else { "" };
        // Whole seconds, truncated as Prometheus does.
        let total = value.abs() as u64;
        let (days, hours, minutes, seconds) = (
            total / 86_400,
            total / 3_600 % 24,
            total / 60 % 60,
            total % 60,
        );
        return match (days, hours, minutes) {
            (0, 0, 0) => format!("{sign}{}s", format_number(value.abs())),
            (0, 0, _) => format!("{sign}{minutes}m {seconds}s"),
            (0, _, _) => format!("{sign}{hours}h {minutes}m {seconds}s"),
            _ => format!("{sign}{days}d {hours}h {minutes}m {seconds}s"),
        };
    }
    let (mut value, mut unit) = (value, "");
    for prefix in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if value.abs() >= 1.0 {
            break;
        }
        (value, unit) = (value * 1000.0, prefix);
    }
    format!("{}{unit}s", format_number(value))
}

/// Prometheus' `humanize`: SI prefixes up (k, M, G, …) for |value| ≥ 1 and down (m, u, n, …)
/// below 1, dividing or multiplying by 1000 one step at a time as Prometheus does.
fn humanize(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format_number(value);
    }
    let (mut value, mut unit) = (value, "");
    if value.abs() >= 1.0 {
        for prefix in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if value.abs() < 1000.0 {
                break;
            }
            (value, unit) = (value / 1000.0, prefix);
        }
    } else {
        for prefix in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if value.abs() >= 1.0 {
                break;
            }
            (value, unit) = (value * 1000.0, prefix);
        }
    }
    format!("{}{unit}", format_number(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanizes_as_prometheus_does() {
        let none = BTreeMap::new();
        let cases = [
            ("{{ $value | humanize }}", 0.008_333_333, "8.333m"),
            ("{{ $value | humanize }}", 1_234_567.0, "1.235M"),
            ("{{ $value | humanizeDuration }}", 0.002_425, "2.425ms"),
            ("{{ $value | humanizeDuration }}", 12.5, "12.5s"),
            ("{{ $value | humanizeDuration }}", 3_725.0, "1h 2m 5s"),
            ("{{ $value | humanizeDuration }}", 90_061.0, "1d 1h 1m 1s"),
            ("{{ $value | humanizePercentage }}", 0.1, "10%"),
        ];
        for (template, value, expected) in cases {
            assert_eq!(
                expand_annotation(template, Some(value), &none),
                expected,
                "{template} {value}"
            );
        }
    }

    #[test]
    fn expands_values_and_labels() {
        let labels = BTreeMap::from([("endpoint".to_owned(), "/chat".to_owned())]);
        assert_eq!(
            expand_annotation(
                "Error rate is {{ $value | humanizePercentage }} for endpoint {{ $labels.endpoint }}",
                Some(0.3125),
                &labels
            ),
            "Error rate is 31.25% for endpoint /chat"
        );
        assert_eq!(
            expand_annotation("P95 is {{ $value }}s", Some(31.0), &labels),
            "P95 is 31s"
        );
        assert_eq!(
            expand_annotation("{{ $value | humanize }}B", Some(2_500_000.0), &labels),
            "2.5MB"
        );
        assert_eq!(expand_annotation("{{ $value }}", None, &labels), "n/a");
        assert_eq!(
            expand_annotation("{{ .Unknown }} and {{", None, &labels),
            "{{ .Unknown }} and {{"
        );
        assert_eq!(
            expand_annotation("{{ $labels.missing }}!", None, &labels),
            "!"
        );
    }
}
