//! The small part of Prometheus' annotation templates that alert descriptions use:
//! `{{ $value }}` (optionally piped through `humanize`, `humanizePercentage` or
//! `humanizeDuration`) and `{{ $labels.NAME }}`. The same text goes into the generated
//! Prometheus rules, where Prometheus expands it; here the engine expands it for in-process
//! notifications. Anything else between braces is left as written.

use std::collections::BTreeMap;

/// Expands `template` for one alert.
pub(crate) fn expand(
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
        Some("humanizeDuration") => format!("{}s", format_number(value)),
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
fn humanize(value: f64) -> String {
    let prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (size, prefix) in prefixes {
        if value.abs() >= size {
            return format!("{}{prefix}", format_number(value / size));
        }
    }
    format_number(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_values_and_labels() {
        let labels = BTreeMap::from([("endpoint".to_owned(), "/chat".to_owned())]);
        assert_eq!(
            expand(
                "Error rate is {{ $value | humanizePercentage }} for endpoint {{ $labels.endpoint }}",
                Some(0.3125),
                &labels
            ),
            "Error rate is 31.25% for endpoint /chat"
        );
        assert_eq!(
            expand("P95 is {{ $value }}s", Some(31.0), &labels),
            "P95 is 31s"
        );
        assert_eq!(
            expand("{{ $value | humanize }}B", Some(2_500_000.0), &labels),
            "2.5MB"
        );
        assert_eq!(expand("{{ $value }}", None, &labels), "n/a");
        assert_eq!(
            expand("{{ .Unknown }} and {{", None, &labels),
            "{{ .Unknown }} and {{"
        );
        assert_eq!(expand("{{ $labels.missing }}!", None, &labels), "!");
    }
}
