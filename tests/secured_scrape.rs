//! A real Prometheus scrapes the exporter as exporter-toolkit's users do it: over TLS
//! (`scheme: https`, `tls_config.ca_file`) with basic auth, from a `--web.config.file`. The
//! right password gets `up == 1`; a wrong one gets 401 and `up == 0`.
//!
//! The exporter installs the process-wide `metrics` recorder: one exporter in this binary.

use std::time::Duration;

use victor_e2e::{Prometheus, require};
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_test_support::tls::TestPki;

#[test]
fn prometheus_scrapes_over_tls_with_basic_auth_and_a_wrong_password_is_refused()
-> anyhow::Result<()> {
    let Some(prometheus_bin) = require("prometheus", "Debian package `prometheus`") else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let pki = TestPki::generate(dir.path())?;
    let hash = bcrypt::hash("scrape-password", 4)?;
    let web_config = dir.path().join("web.yml");
    // Relative paths are read from the web configuration's directory, as exporter-toolkit does.
    std::fs::write(
        &web_config,
        format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n\
             basic_auth_users:\n  prometheus: {hash}\n"
        ),
    )?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        web_config_file: Some(web_config),
        ..Config::default()
    };
    let exporter = Exporter::new(config)?.serve_in_background()?;
    let target = format!("localhost:{}", exporter.addr().port());

    let job = |name: &str, password: &str| {
        format!(
            "  - job_name: {name}\n    scheme: https\n    tls_config:\n      ca_file: '{}'\n    \
             basic_auth:\n      username: prometheus\n      password: '{password}'\n    \
             static_configs:\n      - targets: ['{target}']\n",
            pki.ca.display()
        )
    };
    let plain =
        format!("  - job_name: plain\n    static_configs:\n      - targets: ['{target}']\n");
    let config = format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n{}{}{plain}",
        job("secured", "scrape-password"),
        job("wrong", "not-the-password"),
    );
    let prometheus = Prometheus::start_with_config(&prometheus_bin, &config, tempfile::tempdir()?)?;
    let within = Duration::from_secs(30);
    prometheus.wait_for_value("up{job=\"secured\"}", within, |up| up == 1.0)?;
    prometheus.wait_for_value(
        "scrape_samples_scraped{job=\"secured\"}",
        within,
        |samples| samples > 100.0,
    )?;
    prometheus.wait_for_value("up{job=\"wrong\"}", within, |up| up == 0.0)?;
    prometheus.wait_for_value("up{job=\"plain\"}", within, |up| up == 0.0)?;

    let errors = prometheus.target_errors()?;
    let wrong = errors.get("wrong").map(String::as_str).unwrap_or_default();
    assert!(
        wrong.contains("401"),
        "the wrong password's scrape error: {wrong:?}"
    );
    let plain = errors.get("plain").map(String::as_str).unwrap_or_default();
    assert!(!plain.is_empty(), "plain HTTP to a TLS port must fail");
    assert!(
        errors.get("secured").is_none_or(String::is_empty),
        "{errors:?}"
    );
    Ok(())
}
