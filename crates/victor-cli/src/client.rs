//! The exporter's HTTP API as the commands use it: one blocking client, errors that say what
//! and where in one line.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

use crate::http_config::HttpSettings;

/// Why a call to the exporter gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// `--url` is not an http(s) URL.
    #[error("invalid --url {url:?}: {reason}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing answered: refused, unresolvable, reset.
    #[error("cannot reach the exporter at {url}: {reason}")]
    Unreachable {
        /// Where.
        url: String,
        /// The innermost cause (for example "Connection refused (os error 111)").
        reason: String,
    },
    /// Connected, but no full answer within `--timeout`.
    #[error("no answer from {url} within {timeout} (--timeout)")]
    Timeout {
        /// Where.
        url: String,
        /// The limit, human-readable.
        timeout: String,
    },
    /// The exporter answered with an error status.
    #[error("{method} {url} answered {status}: {message}")]
    Status {
        /// GET or POST.
        method: &'static str,
        /// Where.
        url: String,
        /// Code and reason (`404 Not Found`).
        status: String,
        /// The exporter's own message (its body's first line or JSON `error`).
        message: String,
    },
    /// `--http.config.file` cannot be used.
    #[error("invalid --http.config.file: {0}")]
    HttpConfig(String),
    /// The answer is not the JSON the command expects.
    #[error("{url} answered {status} with a body that is not the expected JSON: {reason}")]
    Body {
        /// Where.
        url: String,
        /// Code and reason.
        status: String,
        /// The parse error.
        reason: String,
    },
}

impl ApiError {
    /// Whether the exporter could not be reached or did not answer in time (exit status 2).
    pub(crate) fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ApiError::Unreachable { .. } | ApiError::Timeout { .. }
        )
    }
}

/// An answer: its status and body, and where it came from.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
    method: &'static str,
    url: String,
}

impl Answer {
    /// The body as JSON, whatever the status.
    pub(crate) fn json(&self) -> Result<Value, ApiError> {
        serde_json::from_str(&self.body).map_err(|err| ApiError::Body {
            url: self.url.clone(),
            status: status_text(self.status),
            reason: err.to_string(),
        })
    }

    /// The body as JSON when the status is 2xx (or one of `also`); otherwise the error the
    /// exporter gave.
    pub(crate) fn json_if(&self, also: &[StatusCode]) -> Result<Value, ApiError> {
        if self.status.is_success() || also.contains(&self.status) {
            self.json()
        } else {
            Err(self.error())
        }
    }

    /// The answer as an error: the exporter's message (JSON `error`, or the body's first line).
    pub(crate) fn error(&self) -> ApiError {
        let from_json = serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|json| json.get("error").and_then(Value::as_str).map(str::to_owned));
        let message = from_json.unwrap_or_else(|| {
            let line = self
                .body
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let line = line.trim();
            if line.is_empty() {
                "(no message)".to_owned()
            } else if line.chars().count() > 300 {
                format!("{}…", line.chars().take(300).collect::<String>())
            } else {
                line.to_owned()
            }
        });
        let message = if self.status == StatusCode::UNAUTHORIZED {
            format!("{message} (credentials: --http.config.file with basic_auth, or --token)")
        } else {
            message
        };
        ApiError::Status {
            method: self.method,
            url: self.url.clone(),
            status: status_text(self.status),
            message,
        }
    }
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// A client for one exporter.
#[derive(Debug)]
pub(crate) struct Client {
    base: reqwest::Url,
    http: Http,
    timeout: Duration,
    token: Option<String>,
    /// The `Authorization` header `--http.config.file` gives every request.
    authorization: Option<String>,
}

impl Client {
    /// A client for the exporter at `base` (`http://127.0.0.1:9091`); every call gives up
    /// after `timeout`. `token` is sent to the routes that change state, in place of the
    /// credentials of `settings` (the exporter takes its API token there); `settings` give
    /// every other request its credentials and the TLS material.
    pub(crate) fn new(
        base: &str,
        timeout: Duration,
        token: Option<String>,
        settings: HttpSettings,
    ) -> Result<Client, ApiError> {
        let bad = |reason: &str| ApiError::BadUrl {
            url: base.to_owned(),
            reason: reason.to_owned(),
        };
        let mut url = reqwest::Url::parse(base).map_err(|err| bad(&err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("expected an http:// or https:// URL"));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        // reqwest is built with rustls and no default crypto provider; make *ring* the process'
        // provider unless one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = Http::builder()
            .timeout(timeout)
            .user_agent(concat!("victor-cli/", env!("CARGO_PKG_VERSION")));
        let tls = |what: &str, err: reqwest::Error| {
            ApiError::HttpConfig(format!("{what}: {}", innermost(&err)))
        };
        if let Some(ca) = &settings.ca {
            let certificates = reqwest::Certificate::from_pem_bundle(ca)
                .map_err(|err| tls("tls_config.ca_file", err))?;
            if certificates.is_empty() {
                return Err(ApiError::HttpConfig(
                    "tls_config.ca_file holds no PEM certificate".to_owned(),
                ));
            }
            // As Prometheus does: the CA file is the whole trust store.
            builder = builder.tls_certs_only(certificates);
        }
        if let Some(identity) = &settings.identity {
            let identity = reqwest::Identity::from_pem(identity)
                .map_err(|err| tls("tls_config.cert_file/key_file", err))?;
            builder = builder.identity(identity);
        }
        if settings.insecure_skip_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|err| bad(&innermost(&err)))?;
        Ok(Client {
            base: url,
            http,
            timeout,
            token: token.filter(|t| !t.is_empty()),
            authorization: settings.authorization,
        })
    }

    /// Where the exporter is, for messages (credentials in the URL are left out).
    pub(crate) fn base(&self) -> String {
        shown(&self.base)
    }

    /// `GET path` (relative to the base URL).
    pub(crate) fn get(&self, path: &str) -> Result<Answer, ApiError> {
        let url = self.url(path)?;
        let mut request = self.http.get(url.clone());
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        self.send("GET", request, &url)
    }

    /// `POST path` with `body`, sending the API token when there is one.
    pub(crate) fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<Answer, ApiError> {
        let url = self.url(path)?;
        let mut request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, content_type)
            .body(body);
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        } else if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        self.send("POST", request, &url)
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, ApiError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|err| ApiError::BadUrl {
                url: self.base(),
                reason: err.to_string(),
            })
    }

    fn send(
        &self,
        method: &'static str,
        request: RequestBuilder,
        url: &reqwest::Url,
    ) -> Result<Answer, ApiError> {
        let shown_url = shown(url);
        let failed = |err: reqwest::Error| {
            if err.is_timeout() {
                ApiError::Timeout {
                    url: shown_url.clone(),
                    timeout: humantime::format_duration(self.timeout).to_string(),
                }
            } else {
                let mut reason = innermost(&err.without_url());
                if reason.contains("certificate") {
                    reason.push_str(" (a private CA: --http.config.file with tls_config.ca_file)");
                }
                ApiError::Unreachable {
                    url: shown_url.clone(),
                    reason,
                }
            }
        };
        let response = request.send().map_err(failed)?;
        let status = response.status();
        let body = response.text().map_err(failed)?;
        Ok(Answer {
            status,
            body,
            method,
            url: shown_url,
        })
    }
}

/// The URL without user name or password.
fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string().trim_end_matches('/').to_owned()
}

/// The innermost cause of an error ("Connection refused (os error 111)"), which is the one an
/// operator can act on.
fn innermost(err: &dyn std::error::Error) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_are_named() {
        for url in ["127.0.0.1:9091", "ftp://host", "http//host"] {
            let err = Client::new(url, Duration::from_secs(1), None, HttpSettings::default())
                .expect_err(url);
            assert!(err.to_string().contains(url), "{err}");
        }
    }

    #[test]
    fn paths_join_below_the_base_and_credentials_are_not_shown() {
        let client = Client::new(
            "http://user:pw@example.com/victor",
            Duration::from_secs(1),
            None,
            HttpSettings::default(),
        )
        .expect("client");
        assert_eq!(client.base(), "http://example.com/victor");
        let url = client.url("/api/alerts").expect("url");
        assert_eq!(url.as_str(), "http://user:pw@example.com/victor/api/alerts");
        assert_eq!(shown(&url), "http://example.com/victor/api/alerts");
    }

    #[test]
    fn errors_carry_the_exporters_message() {
        let answer = |status: u16, body: &str| Answer {
            status: StatusCode::from_u16(status).expect("status"),
            body: body.to_owned(),
            method: "POST",
            url: "http://127.0.0.1:9091/api/events".into(),
        };
        let err = answer(413, "length limit exceeded\nmore\n")
            .error()
            .to_string();
        assert_eq!(
            err,
            "POST http://127.0.0.1:9091/api/events answered 413 Payload Too Large: length limit exceeded"
        );
        let err = answer(404, r#"{"error":"no channel \"x\""}"#)
            .error()
            .to_string();
        assert!(
            err.ends_with(r#"answered 404 Not Found: no channel "x""#),
            "{err}"
        );
        assert!(
            answer(503, "{}")
                .json_if(&[StatusCode::SERVICE_UNAVAILABLE])
                .is_ok()
        );
        assert!(answer(500, "{}").json_if(&[]).is_err());
        let err = answer(200, "not json").json().expect_err("not json");
        assert!(err.to_string().contains("not the expected JSON"), "{err}");
    }
}
