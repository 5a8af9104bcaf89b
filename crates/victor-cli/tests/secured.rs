//! `victor` against an exporter behind `--web.config.file` (TLS from a private CA, basic auth),
//! through `--http.config.file` as promtool and amtool take it: the right settings get answers;
//! no CA, no password or a wrong one get errors that say what to give.
//!
//! Its own test binary: the exporter installs the process-wide recorder.

use std::path::Path;
use std::process::{Command, Output};

use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_test_support::tls::TestPki;

const BIN: &str = env!("CARGO_BIN_EXE_victor");

fn victor(url: &str, http_config: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command
        .env_remove("VICTOR_HTTP_CONFIG_FILE")
        .env_remove("VICTOR_API_TOKEN")
        .env("NO_COLOR", "1")
        .args(["--url", url, "--timeout", "5s"]);
    if let Some(file) = http_config {
        command.arg("--http.config.file").arg(file);
    }
    command.args(args).output().expect("victor runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_cli_reaches_a_secured_exporter_with_an_http_config_file() {
    let dir = tempfile::tempdir().expect("dir");
    // ca.pem, server.pem and server-key.pem, which the files below name relatively.
    TestPki::generate(dir.path()).expect("pki");
    let hash = bcrypt::hash("operator-password", 4).expect("hash");
    let web_config = dir.path().join("web.yml");
    std::fs::write(
        &web_config,
        format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n\
             basic_auth_users:\n  operator: {hash}\n"
        ),
    )
    .expect("write");
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        web_config_file: Some(web_config),
        ..Config::default()
    };
    // `victor status` must answer healthy however full this host's disk or memory is.
    config.health.disk_min_free_ratio = 0.0;
    config.health.memory_max_ratio = 1.0;
    let exporter = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serving");
    let url = format!("https://localhost:{}", exporter.addr().port());

    // The password in a file beside the settings, as a Kubernetes secret mounts it.
    std::fs::write(dir.path().join("password"), "operator-password\n").expect("write");
    let good = dir.path().join("http.yml");
    std::fs::write(
        &good,
        "basic_auth:\n  username: operator\n  password_file: password\ntls_config:\n  ca_file: ca.pem\n",
    )
    .expect("write");
    let status = victor(&url, Some(&good), &["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(text(&status).contains("readiness"), "{}", text(&status));
    let alerts = victor(&url, Some(&good), &["-o", "json", "alerts"]);
    assert!(alerts.status.success(), "{}", text(&alerts));
    let events = dir.path().join("events.ndjson");
    std::fs::write(
        &events,
        r#"{"type":"tool.executed","tool":"read_file","vertical":"coding","mode":"build","status":"success","duration_ms":12}"#,
    )
    .expect("write");
    let sent = victor(
        &url,
        Some(&good),
        &["send-event", events.to_str().expect("UTF-8")],
    );
    assert!(
        sent.status.success(),
        "POST with basic auth: {}",
        text(&sent)
    );

    // No CA: the certificate is not trusted, and the error says where to give one.
    let untrusted = victor(&url, None, &["status"]);
    assert_eq!(untrusted.status.code(), Some(3), "{}", text(&untrusted));
    assert!(
        text(&untrusted).contains("tls_config.ca_file"),
        "{}",
        text(&untrusted)
    );

    // The CA but no password: 401, and the error says which flag gives credentials.
    let anonymous = dir.path().join("anonymous.yml");
    std::fs::write(&anonymous, "tls_config:\n  ca_file: ca.pem\n").expect("write");
    let refused = victor(&url, Some(&anonymous), &["alerts"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("401"), "{}", text(&refused));
    assert!(text(&refused).contains("basic_auth"), "{}", text(&refused));

    // A wrong password is refused the same way and never printed.
    let wrong = dir.path().join("wrong.yml");
    std::fs::write(
        &wrong,
        "basic_auth:\n  username: operator\n  password: wrong-hunter2\ntls_config:\n  ca_file: ca.pem\n",
    )
    .expect("write");
    let refused = victor(&url, Some(&wrong), &["alerts"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(!text(&refused).contains("hunter2"), "{}", text(&refused));

    // A bad settings file is named with its key.
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "tls_config:\n  ca_file: missing.pem\n").expect("write");
    let invalid = victor(&url, Some(&bad), &["status"]);
    assert_eq!(invalid.status.code(), Some(1), "{}", text(&invalid));
    assert!(
        text(&invalid).contains("invalid --http.config.file")
            && text(&invalid).contains("tls_config.ca_file"),
        "{}",
        text(&invalid)
    );
    exporter.shutdown().expect("shutdown");
}
