//! `POST /api/events`: agents without a Rust dependency (the Python Victor) report what they did
//! as JSON events, and the exporter records them in the catalog metrics.
//!
//! The body is a JSON array of event objects or NDJSON (one object per line; blank lines are
//! skipped). Each event has a dotted `type` and the fields its metric needs:
//!
//! ```json
//! {"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":45.2}
//! ```
//!
//! The event types are [`victor_metrics_core::events::Event`]'s; this module frames the body.
//! Valid events are applied in order; each invalid one (bad JSON, unknown type, missing or
//! mistyped field, negative duration) is refused on its own and reported, OTLP partial-success
//! style: `{"accepted": N, "rejected": M, "errors": [{"index": i, "reason": "…"}]}` with the first
//! [`MAX_REPORTED_ERRORS`] errors. Outcomes are counted in `victor_events_accepted_total{type}`
//! and `victor_events_rejected_total{reason}`. `docs/api.md` lists every type and its fields.

use serde_json::value::RawValue;
use victor_metrics_core::VictorMetrics;
use victor_metrics_core::events::{Envelope, Event, Refusal, Rejection, read_json, shorten};
use victor_metrics_core::exemplar::{self, TraceId};

/// How many errors a response lists at most (the counts cover all of them).
pub const MAX_REPORTED_ERRORS: usize = 100;

/// The default limit on a request body; larger bodies get 413 and nothing is applied.
pub use crate::config::DEFAULT_EVENTS_MAX_BODY_BYTES as DEFAULT_MAX_BODY_BYTES;

/// A refused event: its position in the body (0-based, blank NDJSON lines not counted) and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EventError {
    /// Position of the event in the body.
    pub index: usize,
    /// What was wrong, naming the field.
    pub reason: String,
}

/// The answer to a post: counts and the first errors.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct IngestReport {
    /// Events applied.
    pub accepted: usize,
    /// Events refused.
    pub rejected: usize,
    /// The first [`MAX_REPORTED_ERRORS`] refusals.
    pub errors: Vec<EventError>,
}

/// Parses one event: its `type` and `trace_id` first (so an unknown type is named as such),
/// then the variant's fields, then the checks types cannot make.
fn parse(text: &str) -> Result<(Event, Option<TraceId>), Refusal> {
    let envelope: Envelope = read_json(text)?;
    let Some(kind) = envelope.kind.as_deref() else {
        return Err(Refusal {
            reason: Rejection::MissingField,
            message: "missing field `type`".to_owned(),
        });
    };
    if !Event::TYPES.contains(&kind) {
        return Err(Refusal {
            reason: Rejection::UnknownType,
            message: format!("unknown event type `{}`", shorten(kind)),
        });
    }
    let trace_id = envelope
        .trace_id
        .as_deref()
        .map(|text| {
            text.parse::<TraceId>().map_err(|err| Refusal {
                reason: Rejection::InvalidField,
                message: format!("field `trace_id`: {err}, got `{}`", shorten(text)),
            })
        })
        .transpose()?;
    Ok((Event::from_json(kind, text)?, trace_id))
}

/// Applies posted events to the catalog metrics and counts the outcomes.
#[derive(Clone)]
pub struct Ingestor {
    metrics: VictorMetrics,
}

impl Ingestor {
    /// Registers the outcome counters at zero, so every type and reason exists from the start.
    pub fn new(metrics: VictorMetrics) -> Ingestor {
        for kind in Event::TYPES {
            metrics.ingestion().record_accepted(kind, 0);
        }
        for reason in Rejection::ALL {
            metrics.ingestion().record_rejected(reason.as_str(), 0);
        }
        Ingestor { metrics }
    }

    /// Counts a body refused whole for its size.
    pub fn count_too_large(&self) {
        self.metrics
            .ingestion()
            .record_rejected(Rejection::TooLarge.as_str(), 1);
    }

    /// Applies a body: a JSON array of events, or NDJSON.
    ///
    /// # Errors
    /// A body that starts as a JSON array but is not one (nothing is applied then), named with
    /// the parser's position.
    pub fn ingest(&self, body: &[u8]) -> Result<IngestReport, serde_json::Error> {
        let start = body.iter().position(|b| !b.is_ascii_whitespace());
        let mut report = IngestReport::default();
        if start.is_some_and(|i| body[i] == b'[') {
            // Parse the whole array first, so a broken one applies nothing.
            let elements: Vec<&RawValue> = serde_json::from_slice(body)?;
            for (index, element) in elements.iter().enumerate() {
                self.apply(index, parse(element.get()), &mut report);
            }
        } else {
            let lines = body
                .split(|b| *b == b'\n')
                .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()));
            for (index, line) in lines.enumerate() {
                let parsed = match std::str::from_utf8(line) {
                    Ok(text) => parse(text),
                    Err(err) => Err(Refusal {
                        reason: Rejection::InvalidJson,
                        message: format!("not UTF-8: {err}"),
                    }),
                };
                self.apply(index, parsed, &mut report);
            }
        }
        Ok(report)
    }

    fn apply(
        &self,
        index: usize,
        parsed: Result<(Event, Option<TraceId>), Refusal>,
        report: &mut IngestReport,
    ) {
        let ingestion = self.metrics.ingestion();
        match parsed {
            Ok((event, trace_id)) => {
                exemplar::with_trace_id(trace_id, || event.apply(&self.metrics));
                ingestion.record_accepted(event.type_name(), 1);
                report.accepted += 1;
            }
            Err(refusal) => {
                ingestion.record_rejected(refusal.reason.as_str(), 1);
                report.rejected += 1;
                if report.errors.len() < MAX_REPORTED_ERRORS {
                    report.errors.push(EventError {
                        index,
                        reason: refusal.message,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy as _;

    use super::*;

    fn ingestor() -> Ingestor {
        Ingestor::new(VictorMetrics::new())
    }

    #[test]
    fn every_event_type_is_accepted_with_its_fields() {
        assert_eq!(Event::EXAMPLES.len(), Event::TYPES.len());
        for (example, kind) in Event::EXAMPLES.iter().zip(Event::TYPES) {
            assert!(
                example.contains(&format!("\"type\":\"{kind}\"")),
                "{example}"
            );
            let report = ingestor().ingest(example.as_bytes()).expect("ndjson");
            assert_eq!(report.accepted, 1, "{example}: {report:?}");
        }
    }

    #[test]
    fn each_bad_event_is_refused_alone_naming_the_field_the_value_and_the_rule() {
        let body = [
            Event::EXAMPLES[0],
            "{not json",
            r#"{"type":"tool.exploded"}"#,
            r#"{"type":"tool.executed","tool":"x","vertical":"coding","status":"success"}"#,
            r#"{"type":"tool.executed","tool":"x","vertical":"coding","status":"success","duration_ms":"fast"}"#,
            r#"{"type":"tool.executed","tool":"x","vertical":"coding","status":"success","duration_ms":-1}"#,
            "",
            r#"{"type":"request.completed","endpoint":"/chat","method":"GET","status":"ok","duration_ms":1}"#,
            "42",
            Event::EXAMPLES[3],
            r#"{"type":"cache.eviction","cache":"c","count":18446744073709551615}"#,
            r#"{"type":"cache.eviction","cache":"c","count":18446744073709551616}"#,
            r#"{"type":5}"#,
            r#"{"type":"tool.executed","trace_id":"xyz","tool":"x","vertical":"coding","status":"success","duration_ms":1}"#,
            r#"{"type":"llm.completed","provider":1,"model":"m","prompt_tokens":1,"completion_tokens":1,"duration_ms":1}"#,
            r#"{"type":"llm.completed","provider":"p","model":"m","prompt_tokens":1,"completion_tokens":1,"duration_ms":1,"cost_usd":1e300}"#,
        ]
        .join("\n");
        let report = ingestor().ingest(body.as_bytes()).expect("ndjson");
        assert_eq!((report.accepted, report.rejected), (2, 13), "{report:?}");
        let reasons: Vec<(usize, &str)> = report
            .errors
            .iter()
            .map(|e| (e.index, e.reason.as_str()))
            .collect();
        let expected: [(usize, &str); 13] = [
            (1, "key must be a string"),
            (2, "unknown event type `tool.exploded`"),
            (3, "missing field `duration_ms`"),
            (
                4,
                "field `duration_ms`: invalid type: string \"fast\", expected f64",
            ),
            (5, "field `duration_ms` is negative (-1)"),
            // The blank line is not an event: the next one is index 6.
            (
                6,
                "field `status`: invalid type: string \"ok\", expected u16",
            ),
            (7, "invalid type: integer `42`"),
            (
                9,
                "field `count`: 18446744073709551615 is above the limit 9007199254740992",
            ),
            (
                10,
                "field `count`: invalid type: floating point `1.8446744073709552e+19`, expected u64",
            ),
            (
                11,
                "field `type`: invalid type: integer `5`, expected a string",
            ),
            (12, "field `trace_id`"),
            (
                13,
                "field `provider`: invalid type: integer `1`, expected a string",
            ),
            (14, "field `cost_usd`: 1e300 is outside ±9007199254740992"),
        ];
        for ((index, reason), (expected_index, expected)) in reasons.iter().zip(expected) {
            assert_eq!(*index, expected_index, "{reasons:#?}");
            assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
        }
    }

    #[test]
    fn a_json_array_works_and_a_broken_one_applies_nothing() {
        let array = format!("[{}, {{\"type\":\"nope\"}}]", Event::EXAMPLES[0]);
        let report = ingestor().ingest(array.as_bytes()).expect("array");
        assert_eq!((report.accepted, report.rejected), (1, 1));
        let broken = format!("[{}, {{\"type\":", Event::EXAMPLES[0]);
        assert!(ingestor().ingest(broken.as_bytes()).is_err());
    }

    #[test]
    fn docs_api_md_lists_every_event_type() {
        let docs = include_str!("../../../docs/api.md");
        for kind in Event::TYPES {
            assert!(
                docs.contains(&format!("`{kind}`")),
                "docs/api.md lacks {kind}"
            );
        }
    }

    proptest::proptest! {
        /// Whatever a line holds (valid events with hostile strings, broken JSON, huge
        /// numbers, NUL, `\r`), ingesting never panics and every non-blank line is either
        /// accepted or refused with a reason.
        #[test]
        fn any_body_is_accounted_for_line_by_line(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(Event::EXAMPLES.to_vec()).prop_map(str::to_owned),
                    "[\\PC\r\0]{0,64}",
                    ("[\\PC\r\0\\\\\"]{0,32}", proptest::num::f64::ANY).prop_map(|(text, number)| format!(
                        r#"{{"type":"tool.executed","tool":{},"vertical":"v","status":"success","duration_ms":{}}}"#,
                        serde_json::to_string(&text).unwrap_or_default(),
                        serde_json::to_string(&number).unwrap_or_else(|_| "1e400".into()),
                    )),
                    proptest::num::u64::ANY.prop_map(|n| format!(r#"{{"type":"cache.eviction","cache":"c","count":{n}}}"#)),
                ],
                0..20,
            )
        ) {
            let body = lines.join("\n");
            // A body opening with `[` is an array, all or nothing (tested above).
            proptest::prop_assume!(!body.trim_start().starts_with('['));
            let expected = body
                .split('\n')
                .filter(|line| line.bytes().any(|b| !b.is_ascii_whitespace()))
                .count();
            let report = ingestor().ingest(body.as_bytes()).expect("NDJSON never fails whole");
            proptest::prop_assert_eq!(report.accepted + report.rejected, expected);
            proptest::prop_assert!(report.errors.len() <= MAX_REPORTED_ERRORS);
        }
    }

    #[test]
    fn only_the_first_errors_are_listed() {
        let body = "x\n".repeat(MAX_REPORTED_ERRORS + 5);
        let report = ingestor().ingest(body.as_bytes()).expect("ndjson");
        assert_eq!(report.rejected, MAX_REPORTED_ERRORS + 5);
        assert_eq!(report.errors.len(), MAX_REPORTED_ERRORS);
    }
}
