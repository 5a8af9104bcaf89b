//! Who may call the routes that change state (`POST /api/events`,
//! `POST /api/alerts/test/{channel}`).
//!
//! With a token (`VICTOR_API_TOKEN` or `api_token`), a request must send
//! `Authorization: Bearer <token>`; the comparison takes the same time wherever the two differ.
//! Without one, the routes are open while the exporter listens on loopback only (anything that
//! can reach it runs on the same host) and refused beyond it, so exposing the port never exposes
//! them by accident. Reading routes (`/metrics`, `/health/*`, `GET /api/*`) are always open, as
//! Prometheus and Kubernetes expect.

use std::net::SocketAddr;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq as _;
use victor_alerting::Secret;

/// The rule for the routes that change state.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// A bearer token is required.
    Token(Secret),
    /// No token, listening on loopback: open.
    Loopback,
    /// No token, listening beyond loopback: refused.
    Refused(SocketAddr),
}

impl Access {
    pub(crate) fn new(token: Option<&Secret>, listen: SocketAddr) -> Access {
        match token {
            Some(token) => Access::Token(token.clone()),
            None if listen.ip().is_loopback() => Access::Loopback,
            None => Access::Refused(listen),
        }
    }

    /// `Ok` when the request may change state; otherwise the 401 or 403 to answer.
    #[allow(clippy::result_large_err)] // the refusal is the response itself
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Response> {
        match self {
            Access::Loopback => Ok(()),
            Access::Refused(listen) => Err((
                StatusCode::FORBIDDEN,
                format!(
                    "this route changes state, and the exporter listens beyond loopback ({listen}) \
                     with no API token; set VICTOR_API_TOKEN (or api_token) and send \
                     Authorization: Bearer <token>\n"
                ),
            )
                .into_response()),
            Access::Token(token) => {
                let sent = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .map(str::trim);
                let Some(sent) = sent else {
                    return Err(unauthorized(
                        "this route needs Authorization: Bearer <VICTOR_API_TOKEN>",
                    ));
                };
                if bool::from(sent.as_bytes().ct_eq(token.expose().as_bytes())) {
                    Ok(())
                } else {
                    Err(unauthorized(
                        "the bearer token is not the exporter's API token",
                    ))
                }
            }
        }
    }

    /// Whether a token is set and the request carries it: what lets a state-changing request
    /// past basic auth ([`crate::web_config`]).
    pub(crate) fn token_matches(&self, headers: &HeaderMap) -> bool {
        matches!(self, Access::Token(_)) && self.check(headers).is_ok()
    }

    /// What the start-up log says about the routes that change state.
    pub(crate) fn describe(&self) -> String {
        match self {
            Access::Token(_) => "POST routes require the API token (Authorization: Bearer)".into(),
            Access::Loopback => {
                "POST routes are open to local callers (listening on loopback, no VICTOR_API_TOKEN)"
                    .into()
            }
            Access::Refused(listen) => format!(
                "POST /api/events and test notifications are refused: listening beyond loopback \
                 ({listen}) with no VICTOR_API_TOKEN set"
            ),
        }
    }
}

fn unauthorized(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        format!("{message}\n"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.parse().expect("header value"));
        }
        headers
    }

    fn status(result: Result<(), Response>) -> Option<StatusCode> {
        result.err().map(|response| response.status())
    }

    #[test]
    fn a_token_is_required_when_set() {
        let loopback: SocketAddr = "127.0.0.1:9091".parse().expect("addr");
        let access = Access::new(Some(&Secret::new("s3cret")), loopback);
        assert_eq!(status(access.check(&headers(Some("Bearer s3cret")))), None);
        for wrong in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
        ] {
            assert_eq!(
                status(access.check(&headers(wrong))),
                Some(StatusCode::UNAUTHORIZED),
                "{wrong:?}"
            );
        }
        assert!(!format!("{access:?}").contains("s3cret"));
    }

    #[test]
    fn without_a_token_only_loopback_is_open() {
        let open = Access::new(None, "127.0.0.1:9091".parse().expect("addr"));
        assert_eq!(status(open.check(&headers(None))), None);
        let open = Access::new(None, "[::1]:9091".parse().expect("addr"));
        assert_eq!(status(open.check(&headers(None))), None);
        let refused = Access::new(None, "0.0.0.0:9091".parse().expect("addr"));
        assert_eq!(
            status(refused.check(&headers(Some("Bearer anything")))),
            Some(StatusCode::FORBIDDEN)
        );
        assert!(refused.describe().contains("VICTOR_API_TOKEN"));
    }
}
