//! W3C trace context on incoming headers: lines of the input are `traceparent` values, then
//! `tracestate` values after a blank line. Whatever arrives, a parent is followed only when
//! exactly one `traceparent` is valid to the letter, and its trace id is the header's, never
//! repaired.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use opentelemetry::trace::TraceContextExt as _;
use victor_tracing::propagation::{extract, valid_traceparent};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (parents, states) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut headers = HeaderMap::new();
    let mut sent = Vec::new();
    for value in parents
        .lines()
        .filter_map(|line| HeaderValue::from_str(line).ok())
    {
        sent.push(value.clone());
        headers.append("traceparent", value);
    }
    for value in states
        .lines()
        .filter_map(|line| HeaderValue::from_str(line).ok())
    {
        headers.append("tracestate", value);
    }
    let cx = extract(&headers);
    let span = cx.span();
    let context = span.span_context();
    if context.is_valid() {
        assert_eq!(
            sent.len(),
            1,
            "a parent followed among {} traceparents",
            sent.len()
        );
        let value = sent[0].to_str().expect("followed, so text");
        assert!(valid_traceparent(value), "followed an invalid {value:?}");
        assert_eq!(context.trace_id().to_string(), value[3..35]);
        assert_eq!(context.span_id().to_string(), value[36..52]);
    }
});
