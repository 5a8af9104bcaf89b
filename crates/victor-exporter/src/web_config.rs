//! The web configuration file of Prometheus exporters (`--web.config.file`, exporter-toolkit's
//! format): TLS and basic authentication for every route.
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.pem          # relative paths are read from the file's directory
//!   key_file: server-key.pem
//!   min_version: TLS12             # TLS12 (default) or TLS13
//!   client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), VerifyClientCertIfGiven
//!   client_ca_file: clients-ca.pem # required for the two that verify
//! basic_auth_users:                # user: bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//!   prometheus: $2y$10$…
//! ```
//!
//! Every key is checked when the exporter starts; a bad entry is refused, naming the file and
//! the key. The certificate and key files are re-read when they change (every few seconds), so
//! a rotated certificate is served without a restart. Passwords are bcrypt hashes, as exporter-toolkit takes them; a successful check is
//! remembered (keyed by a SHA-256 of user, password and hash) so a scrape every few seconds
//! does not pay bcrypt's cost each time, and an unknown user costs as much as a wrong password.
//!
//! With basic auth on, a request to a route that changes state may instead carry the API
//! token (`Authorization: Bearer …`): a client has one `Authorization` header, and the token is
//! the stronger credential there.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use thiserror::Error;

/// Why a web configuration file was refused.
#[derive(Debug, Error)]
#[error("web configuration {path}: {reason}")]
pub struct WebConfigError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, naming the key.
    pub reason: String,
}

/// The file's shape (exporter-toolkit's keys that apply here).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebConfigFile {
    tls_server_config: Option<TlsFile>,
    basic_auth_users: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    min_version: Option<String>,
    max_version: Option<String>,
    client_auth_type: Option<String>,
    client_ca_file: Option<PathBuf>,
}

/// A loaded web configuration: what the server terminates TLS with and who may call it.
#[derive(Clone, Default)]
pub struct WebConfig {
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    pub(crate) basic_auth: Option<Arc<BasicAuth>>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("tls", &self.tls.is_some())
            .field(
                "basic_auth_users",
                &self.basic_auth.as_ref().map(|auth| auth.users.len()),
            )
            .finish()
    }
}

impl WebConfig {
    /// Reads and checks the file at `path`: certificates and keys are loaded, hashes parsed.
    ///
    /// # Errors
    /// [`WebConfigError`] naming the file and the key at fault.
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let refused = |reason: String| WebConfigError {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|err| refused(err.to_string()))?;
        let file: WebConfigFile = if text.trim().is_empty() {
            WebConfigFile::default()
        } else {
            serde_norway::from_str(&text).map_err(|err| refused(err.to_string()))?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let tls = file
            .tls_server_config
            .map(|tls| tls_config(&tls, base))
            .transpose()
            .map_err(refused)?;
        let basic_auth = file
            .basic_auth_users
            .filter(|users| !users.is_empty())
            .map(BasicAuth::new)
            .transpose()
            .map_err(refused)?;
        Ok(WebConfig {
            tls: tls.map(Arc::new),
            basic_auth: basic_auth.map(Arc::new),
        })
    }

    /// Whether connections are TLS.
    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }
}

fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    }
}

/// The TLS versions rustls speaks, oldest first.
const VERSIONS: [(&str, &rustls::SupportedProtocolVersion); 2] = [
    ("TLS12", &rustls::version::TLS12),
    ("TLS13", &rustls::version::TLS13),
];

/// The position of a version name in [`VERSIONS`].
fn tls_version(key: &str, value: &str) -> Result<usize, String> {
    match VERSIONS.iter().position(|(name, _)| *name == value) {
        Some(position) => Ok(position),
        None if matches!(value, "TLS10" | "TLS11") => Err(format!(
            "tls_server_config.{key}: {value} is not supported; TLS12 and TLS13 are"
        )),
        None => Err(format!(
            "tls_server_config.{key}: {value:?} is not a TLS version; expected TLS12 or TLS13"
        )),
    }
}

fn certificates(key: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|err| format!("tls_server_config.{key} {}: {err}", path.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "tls_server_config.{key} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(chain)
}

/// The certificate chain and key in `cert` and `key`, checked to belong together.
fn certified_key(
    cert: &Path,
    key: &Path,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<CertifiedKey, String> {
    let chain = certificates("cert_file", cert)?;
    // The key's bytes are never shown: only the path and the parser's reason.
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|err| format!("tls_server_config.key_file {}: {err}", key.display()))?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|err| format!("tls_server_config: cert_file and key_file: {err}"))
}

/// How often the certificate files are looked at for a rotation.
pub(crate) const CERT_RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// The server certificate, re-read when its files change, as exporter-toolkit re-reads them:
/// cert-manager and its peers rotate certificates in place. A thread of its own looks at the
/// files every [`CERT_RELOAD_INTERVAL`] (so a hung file system stalls only it); a handshake
/// only takes the current certificate. A rotation that fails to load (half-written files, a
/// key that does not match) keeps the certificate in use and is logged.
#[derive(Debug)]
struct ReloadingCert {
    current: std::sync::RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(Arc::clone(&current))
    }
}

/// When and how big each file was last seen: what changes when a file is replaced.
fn stamps(paths: &[&Path]) -> Vec<Option<(std::time::SystemTime, u64)>> {
    paths
        .iter()
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// Looks at the files every [`CERT_RELOAD_INTERVAL`] until the resolver is dropped.
fn watch_certificate(
    resolver: std::sync::Weak<ReloadingCert>,
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<rustls::crypto::CryptoProvider>,
) {
    let spawned = std::thread::Builder::new()
        .name("victor-tls-reload".to_owned())
        .spawn(move || {
            let mut seen = stamps(&[&cert, &key]);
            loop {
                std::thread::sleep(CERT_RELOAD_INTERVAL);
                let Some(resolver) = resolver.upgrade() else {
                    return;
                };
                let now = stamps(&[&cert, &key]);
                if now == seen {
                    continue;
                }
                seen = now;
                match certified_key(&cert, &key, &provider) {
                    Ok(loaded) => {
                        *resolver
                            .current
                            .write()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(loaded);
                        tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                    }
                    Err(err) => tracing::warn!(
                        error = %err,
                        "the TLS certificate files changed but do not load; serving the previous certificate"
                    ),
                }
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "cannot start the TLS certificate watcher; rotation needs a restart");
    }
}

fn tls_config(file: &TlsFile, base: &Path) -> Result<rustls::ServerConfig, String> {
    let (Some(cert), Some(key)) = (&file.cert_file, &file.key_file) else {
        return Err("tls_server_config needs both cert_file and key_file".to_owned());
    };
    let (cert_path, key_path) = (resolve(base, cert), resolve(base, key));
    let min = tls_version(
        "min_version",
        file.min_version.as_deref().unwrap_or("TLS12"),
    )?;
    let max = tls_version(
        "max_version",
        file.max_version.as_deref().unwrap_or("TLS13"),
    )?;
    if min > max {
        return Err("tls_server_config: min_version is above max_version".to_owned());
    }
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = VERSIONS[min..=max]
        .iter()
        .map(|(_, version)| *version)
        .collect();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .map_err(|err| format!("tls_server_config: {err}"))?;
    let auth_type = file.client_auth_type.as_deref().unwrap_or("NoClientCert");
    let builder = match auth_type {
        "NoClientCert" => builder.with_no_client_auth(),
        "RequireAndVerifyClientCert" | "VerifyClientCertIfGiven" => {
            let Some(ca) = &file.client_ca_file else {
                return Err(format!(
                    "tls_server_config.client_auth_type {auth_type} needs client_ca_file"
                ));
            };
            let mut roots = rustls::RootCertStore::empty();
            for certificate in certificates("client_ca_file", &resolve(base, ca))? {
                roots
                    .add(certificate)
                    .map_err(|err| format!("tls_server_config.client_ca_file: {err}"))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                roots.into(),
                Arc::clone(&provider),
            );
            let verifier = if auth_type == "VerifyClientCertIfGiven" {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(
                verifier
                    .build()
                    .map_err(|err| format!("tls_server_config.client_ca_file: {err}"))?,
            )
        }
        other => {
            return Err(format!(
                "tls_server_config.client_auth_type {other:?} is not supported; expected \
                 NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"
            ));
        }
    };
    let resolver = Arc::new(ReloadingCert {
        current: std::sync::RwLock::new(Arc::new(certified_key(&cert_path, &key_path, &provider)?)),
    });
    watch_certificate(Arc::downgrade(&resolver), cert_path, key_path, provider);
    let mut config = builder.with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// bcrypt checks run at once, at most.
const BCRYPT_CHECKS: usize = 2;

/// How many verified credentials are remembered before the memory starts over.
const REMEMBERED: usize = 1024;

/// The users and their bcrypt hashes, and the credentials verified so far.
pub(crate) struct BasicAuth {
    users: BTreeMap<String, String>,
    /// bcrypt checks running at once: a flood of wrong passwords queues here (each costs tens of
    /// milliseconds of CPU) instead of taking every core from scrapes with known credentials.
    checks: tokio::sync::Semaphore,
    /// A hash of a random password, checked for unknown users so they cost what known ones do.
    unknown_user: String,
    verified: Mutex<HashSet<[u8; 32]>>,
}

impl BasicAuth {
    fn new(users: BTreeMap<String, String>) -> Result<BasicAuth, String> {
        for (user, hash) in &users {
            if user.contains(':') {
                return Err(format!(
                    "basic_auth_users: user {user:?} contains ':', which basic auth cannot send"
                ));
            }
            // The hash is not a secret worth hiding, but a plain password pasted by mistake is:
            // the message never shows the value.
            hash.parse::<bcrypt::HashParts>().map_err(|_| {
                format!(
                    "basic_auth_users.{user}: not a bcrypt hash (expected $2y$…, $2b$… or \
                     $2a$…; make one with htpasswd -nBC 10 \"\" | tr -d ':\\n')"
                )
            })?;
        }
        let random = format!("{:032x}", fastrand::u128(..));
        let unknown_user = bcrypt::hash(random, bcrypt::DEFAULT_COST)
            .map_err(|err| format!("basic_auth_users: cannot prepare: {err}"))?;
        Ok(BasicAuth {
            users,
            checks: tokio::sync::Semaphore::new(BCRYPT_CHECKS),
            unknown_user,
            verified: Mutex::new(HashSet::new()),
        })
    }

    /// The hash `user` is checked against (a random one for an unknown user, so it costs what a
    /// known one does), and the key a verified `user`/`password` is remembered by.
    fn hash_and_key(&self, user: &str, password: &str) -> (&str, [u8; 32]) {
        let hash = self.users.get(user).unwrap_or(&self.unknown_user);
        let mut digest = Sha256::new();
        for part in [user, password, hash.as_str()] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        (hash, digest.finalize().into())
    }

    /// Whether `user` and `password` were verified before: no bcrypt.
    fn remembered(&self, user: &str, password: &str) -> bool {
        let (_, key) = self.hash_and_key(user, password);
        self.verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&key)
    }

    /// Whether `user` and `password` match. Takes bcrypt's time unless remembered.
    fn verify(&self, user: &str, password: &str) -> bool {
        if self.remembered(user, password) {
            return true;
        }
        let (hash, key) = self.hash_and_key(user, password);
        // bcrypt reads 72 bytes: a longer password is refused, not cut to a prefix that would
        // match.
        let matches = bcrypt::non_truncating_verify(password, hash).unwrap_or(false)
            && self.users.contains_key(user);
        if matches {
            let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
            if verified.len() >= REMEMBERED {
                verified.clear();
            }
            verified.insert(key);
        }
        matches
    }
}

/// The user and password of an `Authorization: Basic …` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Answers 401 with a basic-auth challenge unless the request carries a user and password of
/// the web configuration, or (for a route that changes state) the API token.
pub(crate) async fn require_basic_auth(
    State(shared): State<Arc<crate::Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(auth) = shared.basic_auth.clone() else {
        return next.run(request).await;
    };
    // Every route that changes state is a POST, and every POST changes state.
    let write_with_token = request.method() == axum::http::Method::POST
        && shared.access.token_matches(request.headers());
    if write_with_token {
        return next.run(request).await;
    }
    let allowed = match credentials(request.headers()) {
        Some((user, password)) if auth.remembered(&user, &password) => true,
        Some((user, password)) => match auth.checks.acquire().await {
            Ok(_permit) => {
                let auth = Arc::clone(&auth);
                tokio::task::spawn_blocking(move || auth.verify(&user, &password))
                    .await
                    .unwrap_or(false)
            }
            Err(_) => false,
        },
        None => false,
    };
    if allowed {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"victor-exporter\"")],
        "this exporter requires a user and password (basic_auth_users in --web.config.file)\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<WebConfig, WebConfigError> {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("web.yml");
        std::fs::write(&path, text).expect("write");
        WebConfig::load(&path)
    }

    #[test]
    fn bad_entries_are_refused_naming_the_key() {
        let hash = bcrypt::hash("s3cret-password", 4).expect("hash");
        for (text, named) in [
            (
                "tls_server_config:\n  cert_file: a.pem\n",
                "needs both cert_file and key_file",
            ),
            (
                "tls_server_config:\n  cert_file: /nonexistent/a.pem\n  key_file: b.pem\n",
                "cert_file /nonexistent/a.pem",
            ),
            (
                "basic_auth_users:\n  alice: s3cret-password\n",
                "basic_auth_users.alice: not a bcrypt hash",
            ),
            (
                "basic_auth_user:\n  alice: x\n",
                "unknown field `basic_auth_user`",
            ),
            (
                "tls_server_config:\n  certfile: a.pem\n",
                "unknown field `certfile`",
            ),
            ("basic_auth_users: [alice]\n", "basic_auth_users"),
        ] {
            let err = load(text).expect_err(text).to_string();
            assert!(err.contains(named), "{text}: {err}");
            assert!(err.contains("web.yml"), "{err}");
            assert!(!err.contains("s3cret-password"), "{err}");
        }
        let config = load(&format!("basic_auth_users:\n  alice: {hash}\n")).expect("valid");
        assert!(!format!("{config:?}").contains(&hash));
        assert!(!config.tls());
    }

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let users = BTreeMap::from([
            ("alice".to_owned(), bcrypt::hash("right", 4).expect("hash")),
            ("bob".to_owned(), bcrypt::hash("other", 4).expect("hash")),
        ]);
        let auth = BasicAuth::new(users).expect("valid");
        assert!(!auth.remembered("alice", "right"), "nothing verified yet");
        assert!(auth.verify("alice", "right"));
        // Remembered: later requests skip bcrypt and its queue.
        assert!(auth.remembered("alice", "right"));
        assert!(auth.verify("alice", "right"), "remembered");
        assert!(!auth.remembered("alice", "wrong") && !auth.remembered("bob", "right"));
        assert_eq!(auth.checks.available_permits(), BCRYPT_CHECKS);
        assert!(!auth.verify("alice", "wrong"));
        assert!(
            !auth.verify("alice", "other"),
            "bob's password is not alice's"
        );
        assert!(!auth.verify("mallory", "right"));
        assert!(!auth.verify("", ""));
        let long = "p".repeat(71); // bcrypt reads 72 bytes with the NUL it adds
        let users = BTreeMap::from([("carol".to_owned(), bcrypt::hash(&long, 4).expect("hash"))]);
        let auth = BasicAuth::new(users).expect("valid");
        assert!(auth.verify("carol", &long));
        assert!(
            !auth.verify("carol", &format!("{long}and more")),
            "not cut to its first bytes"
        );
        assert!(!auth.verify("carol", &"\0".repeat(10_000)));
    }

    #[test]
    fn the_header_is_read_as_basic_auth_defines_it() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "Basic YWxpY2U6cGE6c3M=".parse().expect("header"),
        );
        assert_eq!(
            credentials(&headers),
            Some(("alice".to_owned(), "pa:ss".to_owned()))
        );
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().expect("header"));
        assert_eq!(credentials(&headers), None);
        headers.insert(header::AUTHORIZATION, "Basic !!!".parse().expect("header"));
        assert_eq!(credentials(&headers), None);
    }
}
