//! W3C trace context (`traceparent`, `tracestate`) and baggage on HTTP headers, so a trace
//! started by a Python Victor client continues through a Rust service and into its outbound calls.
//!
//! These work whether or not [`crate::Telemetry::install`] ran: the format is fixed (W3C), not
//! taken from a global. A malformed `traceparent` is ignored and the request starts a new trace;
//! it is never an error to the client.
//!
//! ```
//! use http::HeaderMap;
//! use opentelemetry::trace::TraceContextExt as _;
//!
//! let mut incoming = HeaderMap::new();
//! incoming.insert(
//!     "traceparent",
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?,
//! );
//! let cx = victor_tracing::propagation::extract(&incoming);
//! assert_eq!(
//!     cx.span().span_context().trace_id().to_string(),
//!     "4bf92f3577b34da6a3ce929d0e0e4736"
//! );
//!
//! let mut outgoing = HeaderMap::new();
//! victor_tracing::propagation::inject(&cx, &mut outgoing);
//! assert!(outgoing["traceparent"].to_str()?.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::LazyLock;

use http::HeaderMap;
use opentelemetry::Context;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

/// W3C trace context then W3C baggage.
static PROPAGATOR: LazyLock<TextMapCompositePropagator> = LazyLock::new(propagator);

/// The propagator these functions use, for libraries that take one (it is also installed as
/// OpenTelemetry's global propagator by [`crate::Telemetry::install`]).
pub fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// The remote parent and baggage carried by `headers`; an empty context when they carry none
/// or carry a malformed `traceparent`.
pub fn extract(headers: &HeaderMap) -> Context {
    PROPAGATOR.extract(&HeaderExtractor(headers))
}

/// Writes `cx`'s span as the parent (`traceparent`, `tracestate`) and its baggage into
/// `headers`; writes nothing for a context without a valid span.
pub fn inject(cx: &Context, headers: &mut HeaderMap) {
    PROPAGATOR.inject_context(cx, &mut HeaderInjector(headers));
}

/// [`inject`] with the current context: the entered `tracing` span, or the entered
/// [`crate::AgentSpan`], or the remote parent the monitoring middleware attached.
pub fn inject_current(headers: &mut HeaderMap) {
    inject(&Context::current(), headers);
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::baggage::BaggageExt as _;
    use opentelemetry::trace::TraceContextExt as _;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    http::HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn inject_then_extract_keeps_trace_id_flags_state_and_baggage() {
        for (flags, sampled) in [("01", true), ("00", false)] {
            let traceparent: &'static str = if sampled {
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            } else {
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
            };
            let incoming = headers(&[
                ("traceparent", traceparent),
                ("tracestate", "vendor=abc"),
                ("baggage", "session=s-42"),
            ]);
            let cx = extract(&incoming);
            let mut outgoing = HeaderMap::new();
            inject(&cx, &mut outgoing);
            let back = extract(&outgoing);
            let (sent, received) = (cx.span().span_context().clone(), back.span());
            let received = received.span_context();
            assert_eq!(received.trace_id(), sent.trace_id());
            assert_eq!(
                received.trace_id().to_string(),
                "0af7651916cd43dd8448eb211c80319c"
            );
            assert_eq!(received.is_sampled(), sampled, "flags {flags}");
            assert!(received.is_remote());
            assert_eq!(received.trace_state().header(), "vendor=abc");
            assert_eq!(
                back.baggage().get("session").map(ToString::to_string),
                Some("s-42".to_owned())
            );
        }
    }

    #[test]
    fn malformed_traceparent_is_ignored() {
        for bad in [
            "garbage",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        ] {
            let cx = extract(&headers(&[("traceparent", bad)]));
            assert!(!cx.span().span_context().is_valid(), "{bad}");
            let mut outgoing = HeaderMap::new();
            inject(&cx, &mut outgoing);
            assert!(outgoing.get("traceparent").is_none(), "{bad}");
        }
    }

    #[test]
    fn no_headers_no_parent() {
        let cx = extract(&HeaderMap::new());
        assert!(!cx.has_active_span());
    }
}
