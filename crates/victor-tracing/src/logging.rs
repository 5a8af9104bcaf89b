//! The JSON log line format: one object per event, with the trace and span ids of the current
//! OpenTelemetry context so a log pipeline can join logs to traces.

use std::fmt;

use opentelemetry::trace::TraceContextExt as _;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime as _, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Writes each event as one JSON line:
/// `{"timestamp":…,"level":"INFO","target":…,"message":…,"fields":{…},"span":…,"trace_id":…,"span_id":…}`.
/// `span` is the innermost `tracing` span's name; the ids appear inside a trace only.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::with_capacity(32);
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let metadata = event.metadata();
        let mut fields = FieldMap(Map::new());
        event.record(&mut fields);
        let mut fields = fields.0;
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(timestamp));
        line.insert("level".into(), Value::from(metadata.level().as_str()));
        line.insert("target".into(), Value::from(metadata.target()));
        if let Some(message) = fields.remove("message") {
            line.insert("message".into(), message);
        }
        if !fields.is_empty() {
            line.insert("fields".into(), Value::Object(fields));
        }
        if let Some(span) = ctx.lookup_current() {
            line.insert("span".into(), Value::from(span.name()));
        }
        let cx = opentelemetry::Context::current();
        let span = cx.span();
        let span_context = span.span_context();
        if span_context.is_valid() {
            line.insert(
                "trace_id".into(),
                Value::String(span_context.trace_id().to_string()),
            );
            line.insert(
                "span_id".into(),
                Value::String(span_context.span_id().to_string()),
            );
        }
        let json = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{json}")
    }
}

/// Collects an event's fields as JSON values of their own type.
struct FieldMap(Map<String, Value>);

impl Visit for FieldMap {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::String(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn lines_are_json_with_typed_fields_and_trace_ids() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(captured.clone())
            .finish();
        let remote = crate::propagation::extract(
            &[(
                http::header::HeaderName::from_static("traceparent"),
                http::HeaderValue::from_static(
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ),
            )]
            .into_iter()
            .collect(),
        );
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("handle");
            let _entered = span.enter();
            tracing::info!(
                count = 3_u64,
                ok = true,
                why = "quote \" and\nnewline",
                "done"
            );
            let _cx = remote.attach();
            tracing::warn!(error = %"boom", "inside a trace");
        });
        let text =
            String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect(line))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[0]["message"], "done");
        assert_eq!(lines[0]["span"], "handle");
        assert_eq!(lines[0]["fields"]["count"], 3);
        assert_eq!(lines[0]["fields"]["ok"], true);
        assert_eq!(lines[0]["fields"]["why"], "quote \" and\nnewline");
        assert!(lines[0].get("trace_id").is_none());
        assert_eq!(lines[1]["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(lines[1]["span_id"], "b7ad6b7169203331");
        assert_eq!(lines[1]["fields"]["error"], "boom");
    }
}
