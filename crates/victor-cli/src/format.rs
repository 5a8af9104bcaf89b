//! Human-readable figures and plain aligned tables (colour is added by the caller's styles and
//! stripped by `anstream` when the output is not a terminal).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use anstyle::{AnsiColor, Style};
use serde_json::Value;

/// Green, for what is fine.
pub(crate) const GOOD: Style = AnsiColor::Green.on_default();
/// Yellow, for what needs a look.
pub(crate) const WARN: Style = AnsiColor::Yellow.on_default();
/// Red, for what is wrong.
pub(crate) const BAD: Style = AnsiColor::Red.on_default().bold();
/// Dim, for secondary detail.
pub(crate) const DIM: Style = Style::new().dimmed();
/// Bold, for headings.
pub(crate) const BOLD: Style = Style::new().bold();

/// Paints `text` in `style` (plain when the style is empty).
pub(crate) fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Seconds as `850µs`, `12.3ms`, `1.25s`, `2m 5s`; `-` when absent.
pub(crate) fn seconds(value: Option<f64>) -> String {
    let Some(s) = value.filter(|s| s.is_finite()) else {
        return "-".into();
    };
    if s < 0.001 {
        format!("{:.0}µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1}ms", s * 1e3)
    } else if s < 60.0 {
        format!("{s:.2}s")
    } else {
        age(Duration::from_secs_f64(s))
    }
}

/// A share as a percentage (`3.2%`); `-` when absent.
pub(crate) fn percent(value: Option<f64>) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "-".into(),
    }
}

/// Bytes in binary units (`18.2 MiB`); `-` when absent.
pub(crate) fn bytes(value: Option<f64>) -> String {
    let Some(mut v) = value.filter(|v| v.is_finite()) else {
        return "-".into();
    };
    for unit in ["B", "KiB", "MiB", "GiB", "TiB"] {
        if v < 1024.0 || unit == "TiB" {
            return if unit == "B" {
                format!("{v:.0} B")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1024.0;
    }
    unreachable!("the last unit always returns")
}

/// A count with thousands separators (`1 234 567`); `-` when absent.
pub(crate) fn count(value: Option<f64>) -> String {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return "-".into();
    };
    if v.fract() != 0.0 {
        return format!("{v:.2}");
    }
    let digits = format!("{:.0}", v.abs());
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    if v < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A duration as the two largest units (`3m 12s`, `2h 5m`, `4d 1h`).
pub(crate) fn age(duration: Duration) -> String {
    let total = duration.as_secs();
    let (d, h, m, s) = (
        total / 86_400,
        total / 3_600 % 24,
        total / 60 % 60,
        total % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// An RFC 3339 time as `2026-11-23 03:10:02Z (4m ago)`; the text as given when it is not one.
pub(crate) fn since(rfc3339: &str, now: SystemTime) -> String {
    match humantime::parse_rfc3339_weak(rfc3339.trim_end_matches('Z')) {
        Ok(at) => {
            let shown = humantime::format_rfc3339_seconds(at).to_string();
            let shown = shown.replacen('T', " ", 1);
            match now.duration_since(at) {
                Ok(ago) => format!("{shown} ({} ago)", age(ago)),
                Err(_) => shown,
            }
        }
        Err(_) => rfc3339.to_owned(),
    }
}

/// A number at `path` (`["requests", "duration_seconds", "p95"]`) in `json`.
pub(crate) fn number(json: &Value, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(json, |value, key| value.get(key))
        .and_then(Value::as_f64)
}

/// A string at `key`, or empty.
pub(crate) fn text<'a>(json: &'a Value, key: &str) -> &'a str {
    json.get(key).and_then(Value::as_str).unwrap_or("")
}

/// One cell: its text and style.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    text: String,
    style: Style,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            style: Style::new(),
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_owned())
    }
}

impl Cell {
    /// A cell painted in `style`.
    pub(crate) fn styled(text: impl Into<String>, style: Style) -> Cell {
        Cell {
            text: text.into(),
            style,
        }
    }
}

/// A table of left-aligned text columns and right-aligned figure columns, two spaces apart,
/// under a bold header (the kubectl layout).
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    /// Columns from this index on hold figures and are right-aligned.
    figures_from: usize,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with `header`; columns from `figures_from` on are right-aligned.
    pub(crate) fn new(header: Vec<&'static str>, figures_from: usize) -> Table {
        Table {
            header,
            figures_from,
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank).
    pub(crate) fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Whether no row was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, each ending in a newline.
    pub(crate) fn render(&self) -> String {
        let width = |i: usize| {
            let cells = self
                .rows
                .iter()
                .filter_map(|row| row.get(i))
                .map(|cell| cell.text.chars().count());
            cells.chain([self.header[i].len()]).max().unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        let mut out = String::new();
        let header: Vec<Cell> = self.header.iter().map(|h| Cell::styled(*h, BOLD)).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = row.get(i).cloned().unwrap_or_else(|| Cell::from(""));
                let pad = " ".repeat(width.saturating_sub(cell.text.chars().count()));
                let painted = paint(cell.style, &cell.text);
                if i > 0 {
                    line.push_str("  ");
                }
                if i >= self.figures_from {
                    line.push_str(&pad);
                    line.push_str(&painted);
                } else {
                    line.push_str(&painted);
                    if i + 1 < widths.len() {
                        line.push_str(&pad);
                    }
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_an_operator_expects() {
        assert_eq!(seconds(Some(0.000_2)), "200µs");
        assert_eq!(seconds(Some(0.0454)), "45.4ms");
        assert_eq!(seconds(Some(3.374)), "3.37s");
        assert_eq!(seconds(Some(125.0)), "2m 5s");
        assert_eq!(seconds(None), "-");
        assert_eq!(percent(Some(0.032_25)), "3.2%");
        assert_eq!(bytes(Some(19_132_416.0)), "18.2 MiB");
        assert_eq!(bytes(Some(512.0)), "512 B");
        assert_eq!(count(Some(1_234_567.0)), "1 234 567");
        assert_eq!(count(Some(12.0)), "12");
        assert_eq!(count(Some(0.375_864)), "0.38");
        assert_eq!(age(Duration::from_secs(3 * 86_400 + 7_200)), "3d 2h");
        assert_eq!(age(Duration::from_secs(3_725)), "1h 2m");
    }

    #[test]
    fn since_shows_the_time_and_how_long_ago() {
        let at = humantime::parse_rfc3339("2026-11-23T03:10:02Z").expect("time");
        let now = at + Duration::from_secs(245);
        assert_eq!(
            since("2026-11-23T03:10:02.123456Z", now),
            "2026-11-23 03:10:02Z (4m 4s ago)"
        );
        assert_eq!(since("yesterday", now), "yesterday");
    }

    #[test]
    fn tables_align_text_left_and_figures_right() {
        let mut table = Table::new(vec!["NAME", "TOTAL"], 1);
        table.row(vec!["read_file".into(), "7".into()]);
        table.row(vec!["sql".into(), "1 234".into()]);
        let plain = anstream::adapter::strip_str(&table.render()).to_string();
        assert_eq!(
            plain,
            "NAME       TOTAL\nread_file      7\nsql        1 234\n"
        );
    }
}
