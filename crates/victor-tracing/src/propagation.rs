//! W3C trace context (`traceparent`, `tracestate`) and baggage on HTTP headers, so a trace
//! started by a Python Victor client continues through a Rust service and into its outbound calls.
//!
//! These work whether or not [`crate::Telemetry::install`] ran: the format is fixed (W3C), not
//! taken from a global. A malformed `traceparent` is ignored and the request starts a new trace;
//! it is never an error to the client. Validation is ours ([`valid_traceparent`],
//! [`valid_tracestate`]), to the letter of W3C Trace Context, whatever the SDK would repair
//! (a 30-digit trace id zero-padded, say): what is invalid is dropped, never fixed up.
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
use opentelemetry::propagation::{Extractor, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry_http::HeaderInjector;
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

/// The remote parent and baggage carried by `headers`; no parent when they carry none, a
/// malformed `traceparent` or more than one; no trace state when `tracestate` is malformed.
pub fn extract(headers: &HeaderMap) -> Context {
    let mut parents = headers.get_all(TRACEPARENT).iter();
    let traceparent = match (parents.next(), parents.next()) {
        (Some(value), None) => value.to_str().ok().filter(|value| valid_traceparent(value)),
        _ => None,
    };
    // W3C: several tracestate headers are one list, joined with commas.
    let tracestate = traceparent.and_then(|_| {
        let parts: Option<Vec<&str>> = headers
            .get_all(TRACESTATE)
            .iter()
            .map(|value| value.to_str().ok())
            .collect();
        let joined = parts?.join(",");
        valid_tracestate(&joined).then_some(joined)
    });
    PROPAGATOR.extract(&Validated {
        headers,
        traceparent,
        tracestate,
    })
}

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// The headers with `traceparent` and `tracestate` replaced by their validated values.
struct Validated<'a> {
    headers: &'a HeaderMap,
    traceparent: Option<&'a str>,
    tracestate: Option<String>,
}

impl Extractor for Validated<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            TRACEPARENT => self.traceparent,
            TRACESTATE => self.tracestate.as_deref(),
            _ => self.headers.get(key).and_then(|value| value.to_str().ok()),
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.headers.keys().map(http::HeaderName::as_str).collect()
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `value` is a `traceparent` W3C Trace Context lets a receiver use: version `00` is
/// exactly `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lowercase, neither id all
/// zeros; a later version (not `ff`) starts the same way and may continue only after a `-`.
///
/// ```
/// use victor_tracing::propagation::valid_traceparent;
///
/// assert!(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
/// // A 30-digit trace id is not zero-padded: it is ignored.
/// assert!(!valid_traceparent("00-f92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
/// ```
pub fn valid_traceparent(value: &str) -> bool {
    const LENGTH: usize = 55;
    let Some(version) = value.get(..2) else {
        return false;
    };
    if !is_lower_hex(version) || version == "ff" || value.len() < LENGTH {
        return false;
    }
    if version == "00" && value.len() != LENGTH {
        return false;
    }
    if value.len() > LENGTH && value.as_bytes()[LENGTH] != b'-' {
        return false;
    }
    let Some(known) = value.get(..LENGTH) else {
        return false;
    };
    let fields: Vec<&str> = known.split('-').collect();
    let [_, trace_id, parent_id, flags] = fields[..] else {
        return false;
    };
    trace_id.len() == 32
        && parent_id.len() == 16
        && flags.len() == 2
        && is_lower_hex(trace_id)
        && is_lower_hex(parent_id)
        && is_lower_hex(flags)
        && trace_id.bytes().any(|b| b != b'0')
        && parent_id.bytes().any(|b| b != b'0')
}

/// Whether `value` is a `tracestate` W3C Trace Context lets a receiver use: at most 32
/// comma-separated `key=value` members (empty ones allowed), each key unique and of the
/// simple (`[a-z0-9][a-z0-9_*/-]{0,255}`) or multi-tenant (`tenant@system`) form, each value 1
/// to 256 printable ASCII characters other than `,` and `=`, not ending in a space.
pub fn valid_tracestate(value: &str) -> bool {
    let mut keys: Vec<&str> = Vec::new();
    for member in value.split(',') {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let Some((key, entry)) = member.split_once('=') else {
            return false;
        };
        if !valid_tracestate_key(key) || !valid_tracestate_value(entry) || keys.contains(&key) {
            return false;
        }
        keys.push(key);
        if keys.len() > 32 {
            return false;
        }
    }
    true
}

fn valid_tracestate_key(key: &str) -> bool {
    fn part(text: &str, first: fn(u8) -> bool, max: usize) -> bool {
        let bytes = text.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= max
            && first(bytes[0])
            && bytes[1..]
                .iter()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/'))
    }
    let lower_or_digit = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match key.split_once('@') {
        None => part(key, lower_or_digit, 256),
        Some((tenant, system)) => {
            part(tenant, lower_or_digit, 241) && part(system, |b| b.is_ascii_lowercase(), 14)
        }
    }
}

fn valid_tracestate_value(value: &str) -> bool {
    (1..=256).contains(&value.len())
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=')
        && !value.ends_with(' ')
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
    fn what_w3c_calls_invalid_is_ignored_not_repaired() {
        let valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        for bad in [
            // 30 and 34 hex digits: the SDK would zero-pad or cut.
            "00-af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c00-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
            // Version 00 has nothing after the flags.
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
            // A later version may continue, but only after a dash.
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
            "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",
            "",
        ] {
            assert!(!valid_traceparent(bad), "{bad:?}");
            let mut map = HeaderMap::new();
            map.insert("traceparent", bad.parse().expect("header value"));
            assert!(!extract(&map).span().span_context().is_valid(), "{bad:?}");
        }
        // A later version with more fields is read as far as version 00 goes.
        assert!(valid_traceparent(
            "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds"
        ));
        // Two traceparent headers: neither is followed.
        let mut two = HeaderMap::new();
        two.append("traceparent", valid.parse().expect("value"));
        two.append("traceparent", valid.parse().expect("value"));
        assert!(!extract(&two).span().span_context().is_valid());

        // A bad tracestate is dropped, the parent kept.
        for bad_state in [
            "UPPER=1",
            "k=v,k=w",
            "k=",
            "k=a=b",
            "@system=v",
            "tenant@System=v",
            "k=\u{7f}",
        ] {
            assert!(!valid_tracestate(bad_state), "{bad_state:?}");
        }
        let too_many = (0..33)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(!valid_tracestate(&too_many));
        assert!(valid_tracestate(
            "rojo=00f067aa0ba902b7, ,congo=t61rcWkgMzE,a@b=x"
        ));
        let mut map = HeaderMap::new();
        map.insert("traceparent", valid.parse().expect("value"));
        map.insert("tracestate", "k=v,k=w".parse().expect("value"));
        let cx = extract(&map);
        assert!(cx.span().span_context().is_valid());
        assert_eq!(cx.span().span_context().trace_state().header(), "");
        // Several tracestate headers are one list.
        let mut map = HeaderMap::new();
        map.insert("traceparent", valid.parse().expect("value"));
        map.append("tracestate", "a=1".parse().expect("value"));
        map.append("tracestate", "b=2".parse().expect("value"));
        let cx = extract(&map);
        assert_eq!(cx.span().span_context().trace_state().header(), "a=1,b=2");
    }

    #[test]
    fn no_headers_no_parent() {
        let cx = extract(&HeaderMap::new());
        assert!(!cx.has_active_span());
    }
}
