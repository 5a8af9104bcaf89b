//! A certificate rotated in place (as cert-manager does) is served without a restart: clients
//! trusting the new CA get through within a few reload intervals, and clients trusting only the
//! old one no longer do. A rotation that does not load (a key that is not the certificate's)
//! keeps the certificate in use.
//!
//! Its own test binary: the exporter installs the process-wide recorder.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use victor_exporter::Exporter;
use victor_exporter::config::Config;
use victor_test_support::tls::TestPki;

/// `GET /health/live` over TLS trusting only `ca`: the status line, or why the handshake failed.
fn live(addr: SocketAddr, ca: &[u8]) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(ca) {
        roots
            .add(certificate.map_err(|err| err.to_string())?)
            .map_err(|err| err.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").map_err(|err| err.to_string())?;
    let mut connection =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|err| err.to_string())?;
    let mut socket = TcpStream::connect(addr).map_err(|err| err.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|err| err.to_string())?;
    let mut tls = rustls::Stream::new(&mut connection, &mut socket);
    tls.write_all(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|err| err.to_string())?;
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    answer
        .lines()
        .next()
        .filter(|line| line.starts_with("HTTP/"))
        .map(str::to_owned)
        .ok_or_else(|| format!("no answer: {answer:?}"))
}

fn wait_until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[test]
fn a_certificate_rotated_in_place_is_served_without_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let served = dir.path().join("served");
    std::fs::create_dir(&served).expect("dir");
    let first = TestPki::generate(&served).expect("pki");
    let old_ca = read(&first.ca);
    let web_config = dir.path().join("web.yml");
    std::fs::write(
        &web_config,
        "tls_server_config:\n  cert_file: served/server.pem\n  key_file: served/server-key.pem\n",
    )
    .expect("write");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        web_config_file: Some(web_config),
        ..Config::default()
    };
    let exporter = Exporter::new(config)
        .expect("exporter")
        .serve_in_background()
        .expect("serving");
    let addr = exporter.addr();
    let status = live(addr, &old_ca).expect("the first certificate is served");
    assert!(status.contains("200"), "{status}");

    // A rotation that does not load: the new certificate with the old key.
    let next = dir.path().join("next");
    std::fs::create_dir(&next).expect("dir");
    let second = TestPki::generate(&next).expect("pki");
    let new_ca = read(&second.ca);
    std::fs::write(&first.cert, read(&second.cert)).expect("write");
    std::thread::sleep(Duration::from_secs(6));
    assert!(
        live(addr, &old_ca).is_ok_and(|status| status.contains("200")),
        "a rotation that does not load must keep the certificate in use"
    );

    // The whole rotation: the new key too.
    std::fs::write(&first.key, read(&second.key)).expect("write");
    wait_until("the rotated certificate is not served", || {
        live(addr, &new_ca).is_ok_and(|status| status.contains("200"))
    });
    let refused = live(addr, &old_ca).expect_err("the old CA no longer verifies the server");
    assert!(refused.contains("certificate"), "{refused}");
    exporter.shutdown().expect("shutdown");
}
