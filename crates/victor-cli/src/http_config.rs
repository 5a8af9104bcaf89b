//! `--http.config.file`: how `victor` reaches an exporter behind `--web.config.file` (TLS with a
//! private CA, basic auth), in the format Prometheus' own tools take (`promtool`, `amtool`):
//!
//! ```yaml
//! basic_auth:
//!   username: operator
//!   password_file: /etc/victor/password   # or password: …
//! # authorization:                        # instead of basic_auth
//! #   type: Bearer
//! #   credentials_file: /etc/victor/token
//! tls_config:
//!   ca_file: ca.pem                       # relative paths: from this file's directory
//!   cert_file: client.pem                 # with key_file: a client certificate (mutual TLS)
//!   key_file: client-key.pem
//!   insecure_skip_verify: false
//! ```
//!
//! Keys of that format `victor` does not implement (`oauth2`, `proxy_url`, …) are refused by
//! name rather than ignored, and so is a misspelt one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What the file says, read and checked: the header to send and the TLS material.
#[derive(Default)]
pub(crate) struct HttpSettings {
    /// The `Authorization` header's value (`Basic …` or `Bearer …`).
    pub(crate) authorization: Option<String>,
    /// PEM certificates to trust instead of the system's.
    pub(crate) ca: Option<Vec<u8>>,
    /// PEM client certificate chain and key, concatenated.
    pub(crate) identity: Option<Vec<u8>>,
    /// Accept any server certificate.
    pub(crate) insecure_skip_verify: bool,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<secret>"),
            )
            .field("ca", &self.ca.as_ref().map(Vec::len))
            .field("identity", &self.identity.as_ref().map(|_| "<secret>"))
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    basic_auth: Option<BasicAuth>,
    authorization: Option<Authorization>,
    tls_config: Option<TlsConfig>,
    follow_redirects: Option<bool>,
    enable_http2: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicAuth {
    username: String,
    password: Option<Secret>,
    password_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Authorization {
    #[serde(rename = "type")]
    kind: Option<String>,
    credentials: Option<Secret>,
    credentials_file: Option<PathBuf>,
}

/// A password or token as YAML holds it: any scalar (`password: 12345` is the text "12345", as
/// Prometheus reads it); anything else is refused without quoting it.
struct Secret(String);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_norway::Value::deserialize(deserializer)? {
            serde_norway::Value::String(text) => Ok(Secret(text)),
            serde_norway::Value::Number(number) => Ok(Secret(number.to_string())),
            serde_norway::Value::Bool(flag) => Ok(Secret(flag.to_string())),
            _ => Err(serde::de::Error::custom(
                "expected a string (the value is not shown: this key holds a secret)",
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsConfig {
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    server_name: Option<String>,
    #[serde(default)]
    insecure_skip_verify: bool,
    min_version: Option<String>,
}

/// Reads and checks the file at `path`, and the files it names.
///
/// # Errors
/// Naming the file and the key: unreadable files, unknown or unsupported keys, a password
/// given twice or not at all, a certificate without its key. Secret values are never quoted.
pub(crate) fn read(path: &Path) -> Result<HttpSettings, String> {
    let shown = path.display();
    let text = read_limited(path)
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
        })
        .map_err(|err| format!("cannot read {shown}: {err}"))?;
    let file: File = serde_norway::from_str(&text).map_err(|err| {
        // serde's messages name keys and types, not values; keep only the first line.
        let message = err.to_string();
        format!("{shown}: {}", message.lines().next().unwrap_or_default())
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let resolve = |file: &Path| dir.join(file);
    let read_file = |key: &str, file: &Path| {
        read_limited(&resolve(file))
            .map_err(|err| format!("{shown}: {key} {}: {err}", resolve(file).display()))
    };
    let secret_file = |key: &str, file: &Path| -> Result<String, String> {
        let bytes = read_file(key, file)?;
        String::from_utf8(bytes)
            .map(|text| text.trim_end_matches(['\r', '\n']).to_owned())
            .map_err(|_| format!("{shown}: {key} {} is not UTF-8", resolve(file).display()))
    };
    let one_of = |key: &str, inline: Option<Secret>, file: Option<&PathBuf>, file_key: &str| match (
        inline, file,
    ) {
        (Some(_), Some(_)) => Err(format!(
            "{shown}: {key}: give {file_key} or the value, not both"
        )),
        (Some(Secret(value)), None) => Ok(value),
        (None, Some(file)) => secret_file(&format!("{key}.{file_key}"), file),
        (None, None) => Err(format!(
            "{shown}: {key}: the value or {file_key} is required"
        )),
    };
    let mut settings = HttpSettings::default();
    match (file.basic_auth, file.authorization) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "{shown}: basic_auth and authorization both set an Authorization header; give one"
            ));
        }
        (Some(basic), None) => {
            let password = one_of(
                "basic_auth.password",
                basic.password,
                basic.password_file.as_ref(),
                "password_file",
            )?;
            if basic.username.contains(':') || has_control(&basic.username) {
                return Err(format!(
                    "{shown}: basic_auth.username may hold neither ':' nor control characters"
                ));
            }
            use base64::Engine as _;
            let pair = format!("{}:{password}", basic.username);
            settings.authorization = Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ));
        }
        (None, Some(authorization)) => {
            let credentials = one_of(
                "authorization.credentials",
                authorization.credentials,
                authorization.credentials_file.as_ref(),
                "credentials_file",
            )?;
            let kind = authorization.kind.unwrap_or_else(|| "Bearer".to_owned());
            // A header cannot carry them; say so here rather than fail each request.
            if has_control(&credentials) || has_control(&kind) || kind.contains(' ') {
                return Err(format!(
                    "{shown}: authorization: the type and credentials may not hold control \
                     characters (a line break in the credentials file?), nor the type a space"
                ));
            }
            settings.authorization = Some(format!("{kind} {credentials}"));
        }
        (None, None) => {}
    }
    if let Some(tls) = file.tls_config {
        if tls.server_name.is_some() {
            return Err(format!(
                "{shown}: tls_config.server_name is not supported; use the name the certificate \
                 carries in --url"
            ));
        }
        if tls.min_version.is_some() {
            return Err(format!(
                "{shown}: tls_config.min_version is not supported (TLS 1.2 and 1.3 are offered)"
            ));
        }
        if let Some(ca) = &tls.ca_file {
            settings.ca = Some(read_file("tls_config.ca_file", ca)?);
        }
        settings.identity = match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = read_file("tls_config.cert_file", cert)?;
                pem.push(b'\n');
                pem.extend(read_file("tls_config.key_file", key)?);
                Some(pem)
            }
            (None, None) => None,
            _ => {
                return Err(format!(
                    "{shown}: tls_config.cert_file and key_file go together"
                ));
            }
        };
        settings.insecure_skip_verify = tls.insecure_skip_verify;
    }
    // Accepted for compatibility; the client never follows redirects nor needs HTTP/2.
    let _ = (file.follow_redirects, file.enable_http2);
    Ok(settings)
}

/// Whether `text` holds a character an HTTP header value cannot (CR, LF, NUL, other controls).
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\t')
}

/// The most of a settings, password or certificate file read: far above any real one, and a
/// bound when a path names `/dev/zero` or a log by mistake.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// A file's bytes, refused past [`MAX_FILE_BYTES`].
fn read_limited(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn reads_basic_auth_bearer_and_tls_files_relative_to_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        write(dir.path(), "password", "s3cret\n");
        write(dir.path(), "ca.pem", "CA");
        let file = write(
            dir.path(),
            "http.yml",
            "basic_auth:\n  username: op\n  password_file: password\ntls_config:\n  ca_file: ca.pem\n",
        );
        let settings = read(&file).expect("valid");
        // base64("op:s3cret")
        assert_eq!(
            settings.authorization.as_deref(),
            Some("Basic b3A6czNjcmV0")
        );
        assert_eq!(settings.ca.as_deref(), Some(&b"CA"[..]));
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("b3A6") && !shown.contains("s3cret"),
            "{shown}"
        );

        let file = write(
            dir.path(),
            "bearer.yml",
            "authorization:\n  credentials: tok\n",
        );
        assert_eq!(
            read(&file).expect("valid").authorization.as_deref(),
            Some("Bearer tok")
        );
    }

    #[test]
    fn refusals_name_the_key_and_never_the_secret() {
        let dir = tempfile::tempdir().expect("dir");
        let refused = |text: &str, expected: &str| {
            let file = write(dir.path(), "http.yml", text);
            let err = read(&file).expect_err(expected);
            assert!(err.contains(expected), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        };
        refused("oauth2:\n  client_id: x\n", "unknown field `oauth2`");
        refused(
            "basic_auth:\n  username: op\n  pasword: hunter2\n",
            "unknown field `pasword`",
        );
        refused(
            "basic_auth:\n  username: op\n",
            "basic_auth.password: the value or password_file is required",
        );
        refused(
            "basic_auth:\n  username: op\n  password: hunter2\n  password_file: x\n",
            "not both",
        );
        refused(
            "basic_auth:\n  username: op\n  password: hunter2\nauthorization:\n  credentials: hunter2\n",
            "give one",
        );
        refused(
            "tls_config:\n  cert_file: c.pem\n",
            "cert_file and key_file go together",
        );
        refused(
            "tls_config:\n  ca_file: missing.pem\n",
            "tls_config.ca_file",
        );
        refused(
            "tls_config:\n  server_name: x\n",
            "server_name is not supported",
        );
        refused(
            "tls_config:\n  ca_file: /dev/zero\n",
            "larger than 1048576 bytes",
        );
        refused(
            "authorization:\n  credentials: \"hunter2\\r\\nX-Injected: 1\"\n",
            "may not hold control characters",
        );
        refused(
            "basic_auth:\n  username: \"a:b\"\n  password: hunter2\n",
            "basic_auth.username may hold neither",
        );
        refused(
            "basic_auth:\n  username: op\n  password: [hunter2]\n",
            "the value is not shown",
        );
        // A number is a password too, as Prometheus reads it.
        let file = write(
            dir.path(),
            "number.yml",
            "basic_auth:\n  username: op\n  password: 12345\n",
        );
        assert!(read(&file).is_ok());
    }
}
