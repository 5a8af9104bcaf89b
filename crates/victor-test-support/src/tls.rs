//! Throwaway TLS for tests: a certificate authority and a server certificate it signed
//! ([`TestPki`]), and an axum router served over TLS with them ([`serve_tls`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate authority and a server certificate for `localhost` and `127.0.0.1` it
/// signed, written as PEM files into a directory: what a test hands a TLS server (`cert`,
/// `key`) and its clients (`ca`).
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA's certificate: what clients trust.
    pub ca: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

impl TestPki {
    /// Generates the pair into `dir`, as `ca.pem`, `server.pem` and `server-key.pem`.
    ///
    /// # Errors
    /// When generating or writing fails.
    pub fn generate(dir: &Path) -> anyhow::Result<TestPki> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "victor test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let key = KeyPair::generate()?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &ca)?;

        let pki = TestPki {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server-key.pem"),
        };
        std::fs::write(&pki.ca, ca.pem()).context("writing ca.pem")?;
        std::fs::write(&pki.cert, cert.pem()).context("writing server.pem")?;
        std::fs::write(&pki.key, key.serialize_pem()).context("writing server-key.pem")?;
        Ok(pki)
    }

    /// A rustls server configuration presenting the server certificate.
    ///
    /// # Errors
    /// When the files cannot be read.
    pub fn server_config(&self) -> anyhow::Result<rustls::ServerConfig> {
        let chain = CertificateDer::pem_file_iter(&self.cert)?.collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_file(&self.key)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?)
    }
}

/// Serves `router` over TLS on a loopback port with `pki`'s server certificate, on the current
/// tokio runtime, and returns the address. Handshake failures drop that connection only.
///
/// # Errors
/// When the certificate cannot be loaded or the port bound.
pub async fn serve_tls(router: axum::Router, pki: &TestPki) -> anyhow::Result<SocketAddr> {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config()?));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request| {
                    tower::ServiceExt::oneshot(router.clone(), request)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}
