//! The status page in a real browser: Debian's chromium, driven by Selenium through
//! chromedriver, loads `/` from an exporter running `--simulate --simulate-error-rate 0.3`,
//! waits for a chart to draw data and for HighErrorRate to show as pending, and saves a
//! screenshot (`VICTOR_SCREENSHOT=docs/status-page.png` refreshes the README's).
//!
//! The exporter installs the process-wide `metrics` recorder: one exporter in this binary.

use std::ffi::OsStr;
use std::time::Duration;

use victor_e2e::{require, require_python_module, run_checker, workspace_root};
use victor_exporter::Exporter;
use victor_exporter::config::Config;

#[test]
fn a_browser_sees_charts_drawn_and_high_error_rate_pending() -> anyhow::Result<()> {
    let (Some(_), Some(_)) = (
        require("chromium", "Debian package `chromium`"),
        require("chromedriver", "Debian package `chromium-driver`"),
    ) else {
        return Ok(());
    };
    if !require_python_module("selenium") {
        return Ok(());
    }
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        simulate: true,
        simulate_error_rate: Some(0.3),
        ..Config::default()
    };
    config.alerting.eval_interval = Duration::from_secs(1);
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let url = format!("http://{}/", exporter.addr());

    let dir = tempfile::tempdir()?;
    let screenshot = std::env::var_os("VICTOR_SCREENSHOT")
        .map_or_else(|| dir.path().join("status-page.png"), Into::into);
    let script = workspace_root().join("scripts/browse_status_page.py");
    let said = run_checker(
        std::path::Path::new("python3"),
        &[
            script.as_os_str(),
            OsStr::new(&url),
            OsStr::new("HighErrorRate"),
            OsStr::new("pending"),
            screenshot.as_os_str(),
        ],
    )?;
    assert!(
        said.contains("chart drawn and HighErrorRate pending"),
        "{said}"
    );
    let png = std::fs::read(&screenshot)?;
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    Ok(())
}
