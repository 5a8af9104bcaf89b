//! Values that must never reach a log line or a `Debug` dump: SMTP passwords, HMAC keys, and
//! webhook URLs (a Slack incoming-webhook URL *is* its credential).

use std::fmt;

/// A secret string. `Debug` and `Display` print `[redacted]`; [`Secret::expose`] is the one way
/// to read it, so every use is easy to find.
///
/// ```
/// use victor_alerting::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?} {password}"), "[redacted] [redacted]");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A URL whose path and query are secret (webhook URLs carry their token there). `Debug` and
/// `Display` show only the scheme, host and port, which is what an operator needs to tell which
/// receiver failed.
///
/// ```
/// use victor_alerting::SecretUrl;
///
/// let url: SecretUrl = "https://hooks.slack.com/services/T0/B0/XXXX".parse()?;
/// assert_eq!(url.to_string(), "https://hooks.slack.com/…");
/// # Ok::<(), victor_alerting::SecretUrlError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(url::Url);

/// Why a string is not a usable webhook URL. The message never repeats the URL.
#[derive(Debug, thiserror::Error)]
#[error("not an http(s) URL: {reason}")]
pub struct SecretUrlError {
    reason: String,
}

impl SecretUrl {
    /// What of this URL a receiver could echo back (as many 404 pages repeat the path): the
    /// whole URL, its path, query and credentials, every path segment and query value long
    /// enough to be a token, each also percent-decoded. [`scrub`] removes them from a reply.
    pub fn echoable_parts(&self) -> Vec<String> {
        let url = &self.0;
        let mut parts = vec![url.as_str().to_owned()];
        if url.path() != "/" {
            parts.push(url.path().to_owned());
        }
        parts.extend(url.query().map(str::to_owned));
        parts.extend(
            url.path_segments()
                .into_iter()
                .flatten()
                .filter(|segment| segment.len() >= 6)
                .map(str::to_owned),
        );
        parts.extend(
            url.query_pairs()
                .map(|(_, value)| value.into_owned())
                .filter(|value| value.len() >= 4),
        );
        parts.extend(
            [url.username(), url.password().unwrap_or_default()]
                .into_iter()
                .filter(|part| !part.is_empty())
                .map(str::to_owned),
        );
        let decoded: Vec<String> = parts
            .iter()
            .filter_map(|part| percent_decode(part))
            .collect();
        parts.extend(decoded);
        parts
    }

    /// The full URL, for the one place that sends to it.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }

    /// The same URL with `path` (which starts with `/`) in place of its path; Alertmanager's
    /// `/api/v2/alerts` hangs off the base URL an operator configures.
    #[must_use]
    pub fn join_path(&self, path: &str) -> SecretUrl {
        let mut url = self.0.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        SecretUrl(url)
    }
}

impl std::str::FromStr for SecretUrl {
    type Err = SecretUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(text).map_err(|err| SecretUrlError {
            reason: err.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SecretUrlError {
                reason: format!(
                    "scheme {:?} with no host; expected http:// or https://",
                    url.scheme()
                ),
            });
        }
        Ok(SecretUrl(url))
    }
}

/// `text` with every occurrence of each of `secrets` (longest first) replaced by `…`: a
/// receiver's reply, before it reaches a log line, an API answer or the CLI.
///
/// ```
/// use victor_alerting::{SecretUrl, scrub};
///
/// let url: SecretUrl = "https://hooks.example.com/services/T0/B0/XXXXXXXX".parse()?;
/// let reply = "No route for POST /services/T0/B0/XXXXXXXX";
/// assert_eq!(scrub(reply, &url.echoable_parts()), "No route for POST …");
/// # Ok::<(), victor_alerting::SecretUrlError>(())
/// ```
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|secret| !secret.is_empty())
        .collect();
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(secret) {
            text = text.replace(secret, "…");
        }
    }
    text
}

/// `text` percent-decoded, when that changes it and gives UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) if hex(high).is_some() && hex(low).is_some() => {
                decoded.push((hex(high)? * 16 + hex(low)?) as u8);
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.0.host_str().unwrap_or("?");
        match self.0.port() {
            Some(port) => write!(f, "{}://{host}:{port}/…", self.0.scheme()),
            None => write!(f, "{}://{host}/…", self.0.scheme()),
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_echo_of_a_secret_url_is_scrubbed() {
        let url: SecretUrl =
            "https://user:pa55word@hooks.example.com/hook/s3cr%C3%A9t-path?token=abcdef"
                .parse()
                .expect("url");
        let replies = [
            "Cannot POST /hook/s3cr%C3%A9t-path?token=abcdef".to_owned(),
            "unknown hook s3crét-path".to_owned(),
            "bad token abcdef".to_owned(),
            format!("{} is gone", url.expose()),
            "auth failed for user:pa55word".to_owned(),
        ];
        for reply in replies {
            let scrubbed = scrub(&reply, &url.echoable_parts());
            for secret in ["s3cr", "abcdef", "pa55word", "%C3%A9"] {
                assert!(!scrubbed.contains(secret), "{reply:?} -> {scrubbed:?}");
            }
        }
        assert_eq!(scrub("all fine", &url.echoable_parts()), "all fine");
    }

    #[test]
    fn url_shows_host_and_port_only() {
        let url: SecretUrl = "http://127.0.0.1:9093/hook?token=abc".parse().expect("url");
        assert_eq!(format!("{url:?}"), "http://127.0.0.1:9093/…");
        assert_eq!(
            url.join_path("/api/v2/alerts").expose().as_str(),
            "http://127.0.0.1:9093/hook/api/v2/alerts?token=abc"
        );
    }

    #[test]
    fn bad_url_error_does_not_repeat_it() {
        let err = "ftp://secret-token@host/x"
            .parse::<SecretUrl>()
            .expect_err("ftp");
        assert!(!err.to_string().contains("secret-token"), "{err}");
        assert!("not a url".parse::<SecretUrl>().is_err());
    }
}
