//! Operators' Prometheus rule files: any text is either rules the engine evaluates or refusals
//! that each say what was wrong, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use victor_alerting::user_rules::parse_rule_file;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_rule_file(text) {
        Ok(rules) => {
            for rule in rules {
                assert!(!rule.name().is_empty());
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                assert!(!error.to_string().is_empty());
            }
        }
    }
});
