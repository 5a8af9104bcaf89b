//! `POST /api/events` lines: any text either becomes an event that applies and renders, or is
//! refused with a message, never a panic. A refused event of a known type names what was wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use victor_metrics_core::VictorMetrics;
use victor_metrics_core::events::{Envelope, Event, read_json};
use victor_metrics_core::exposition::ExpositionBuilder;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(envelope) = read_json::<Envelope>(text) else {
        return;
    };
    let Some(kind) = envelope.kind else {
        return;
    };
    match Event::from_json(&kind, text) {
        Ok(event) => {
            assert_eq!(event.type_name(), kind);
            let (store, exposition) = ExpositionBuilder::new().build().expect("catalog buckets");
            let metrics = VictorMetrics::new();
            metrics::with_local_recorder(&store, || {
                event.apply(&metrics);
                metrics.refresh();
            });
            let rendered = exposition.render();
            // Whatever the labels held, every sample line ends in a value.
            for line in rendered.lines().filter(|line| !line.starts_with('#')) {
                let value = line.rsplit(' ').next().unwrap_or_default();
                assert!(value.parse::<f64>().is_ok(), "{line:?}");
            }
        }
        Err(refusal) => assert!(!refusal.message.is_empty()),
    }
});
