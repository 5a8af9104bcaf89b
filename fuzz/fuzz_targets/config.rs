//! The TOML configuration file: any text is either a configuration or a list of problems, each
//! at a line of the file, and `check_file` (what `victor check config` runs) agrees with what
//! start-up does. No problem repeats a secret given as a number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use victor_config::{Config, check_file};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let problems = check_file(text);
    let lines = text.lines().count().max(1);
    for problem in &problems {
        assert!(
            problem.line >= 1 && problem.line <= lines + 1,
            "{problem:?} outside {lines} lines"
        );
    }
    match Config::from_file_text(text) {
        Ok(_) => assert!(
            problems.is_empty(),
            "start-up took a file check refused: {problems:?}"
        ),
        Err(found) => assert!(!found.is_empty()),
    }
});
