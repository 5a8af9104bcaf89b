//! Which trace a recorded duration belongs to, for exemplars.
//!
//! Duration histograms keep, per bucket, the latest value recorded while a trace was current,
//! with that trace's id; OpenMetrics scrapes show it as an exemplar, so a latency spike on a
//! dashboard links to a trace that caused it. This crate does not depend on tracing: the trace
//! comes from [`with_trace_id`] around a record (what the exporter does for events that carry a
//! `trace_id`), or else from the process-wide source a tracing crate installs with
//! [`set_source`] (`victor-tracing` installs one that reads the current sampled span).
//!
//! ```
//! use victor_metrics_core::exemplar::{self, TraceId};
//!
//! let trace: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse()?;
//! let seen = exemplar::with_trace_id(Some(trace), exemplar::current);
//! assert_eq!(seen, Some(trace));
//! assert_eq!(trace.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
//! # Ok::<(), victor_metrics_core::exemplar::TraceIdError>(())
//! ```

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// A W3C trace id: 16 bytes, not all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId([u8; 16]);

impl TraceId {
    /// The id from its bytes; `None` for the all-zero id, which W3C defines as invalid.
    pub fn from_bytes(bytes: [u8; 16]) -> Option<TraceId> {
        (bytes != [0; 16]).then_some(TraceId(bytes))
    }

    /// The id's bytes.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

/// Why a text is not a trace id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a trace id is 32 lowercase hex digits, not all zero")]
pub struct TraceIdError;

impl FromStr for TraceId {
    type Err = TraceIdError;

    /// Exactly 32 lowercase hex digits, not all zero (W3C Trace Context).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.as_bytes();
        if digits.len() != 32 {
            return Err(TraceIdError);
        }
        let mut bytes = [0_u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (hex(pair[0])? << 4) | hex(pair[1])?;
        }
        TraceId::from_bytes(bytes).ok_or(TraceIdError)
    }
}

fn hex(digit: u8) -> Result<u8, TraceIdError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        _ => Err(TraceIdError),
    }
}

thread_local! {
    static SCOPED: Cell<Option<TraceId>> = const { Cell::new(None) };
}

static SOURCE: OnceLock<fn() -> Option<TraceId>> = OnceLock::new();

/// Runs `f` with `trace_id` as the current trace on this thread (with `None`, the installed
/// source answers), then restores what was current before.
pub fn with_trace_id<R>(trace_id: Option<TraceId>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<TraceId>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPED.with(|scoped| scoped.set(self.0));
        }
    }
    let _restore = Restore(SCOPED.with(|scoped| scoped.replace(trace_id)));
    f()
}

/// Installs the process-wide source of the current trace, asked when no [`with_trace_id`]
/// scope is active. The first call wins; later ones return `false`.
pub fn set_source(source: fn() -> Option<TraceId>) -> bool {
    SOURCE.set(source).is_ok()
}

/// The current trace: the innermost [`with_trace_id`] scope's, else the installed source's.
pub fn current() -> Option<TraceId> {
    SCOPED
        .with(Cell::get)
        .or_else(|| SOURCE.get().and_then(|source| source()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_w3c_trace_ids() {
        let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse().expect("valid");
        assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        for bad in [
            "",
            "4bf92f3577b34da6a3ce929d0e0e473",
            "4bf92f3577b34da6a3ce929d0e0e47360",
            "4BF92F3577B34DA6A3CE929D0E0E4736",
            "00000000000000000000000000000000",
            "4bf92f3577b34da6a3ce929d0e0e473g",
            "4bf92f3577b34da6a3ce929d0e0e47é",
        ] {
            assert!(bad.parse::<TraceId>().is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any text parses as a trace id exactly when it is 32 lowercase hex digits, not all
        /// zero, and then prints back as itself.
        #[test]
        fn any_text_parses_only_when_w3c_valid(text in "[0-9a-fA-F]{30,34}|\\PC{0,40}") {
            let valid = text.len() == 32
                && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && text.bytes().any(|b| b != b'0');
            match text.parse::<TraceId>() {
                Ok(id) => {
                    proptest::prop_assert!(valid, "{text:?} parsed");
                    proptest::prop_assert_eq!(id.to_string(), text);
                }
                Err(_) => proptest::prop_assert!(!valid, "{text:?} refused"),
            }
        }
    }

    #[test]
    fn scopes_nest_and_restore() {
        let a = TraceId::from_bytes([1; 16]);
        let b = TraceId::from_bytes([2; 16]);
        assert_eq!(current(), None);
        with_trace_id(a, || {
            assert_eq!(current(), a);
            with_trace_id(b, || assert_eq!(current(), b));
            assert_eq!(current(), a);
        });
        assert_eq!(current(), None);
    }
}
