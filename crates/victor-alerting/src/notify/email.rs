//! Email over SMTP, through `lettre`.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Notifier, NotifyError, SendFuture, body_lines, title};
use crate::engine::Notification;
use crate::secret::Secret;

/// How the SMTP connection is protected. Parsed (from the environment or TOML) by its `FromStr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same host or in tests.
    None,
    /// Upgrade with STARTTLS, refusing servers that do not offer it (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl TryFrom<String> for SmtpSecurity {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl std::str::FromStr for SmtpSecurity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(SmtpSecurity::None),
            "starttls" => Ok(SmtpSecurity::Starttls),
            "tls" => Ok(SmtpSecurity::Tls),
            other => Err(format!("{other:?} is not one of none, starttls, tls")),
        }
    }
}

/// Where and how to send mail.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpSettings {
    /// The SMTP server's host name.
    pub host: String,
    /// Its port (587 for STARTTLS, 465 for TLS, 25 for plain).
    pub port: u16,
    /// Connection protection.
    pub security: SmtpSecurity,
    /// User name for SMTP AUTH, if the server wants it.
    pub username: Option<String>,
    /// Password for SMTP AUTH.
    pub password: Option<Secret>,
    /// The sender address (`Victor Alerts <alerts@example.com>`).
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
}

/// Sends each notification as a plain-text email: the subject is the title line
/// (`[FIRING] CRITICAL HighErrorRate: High error rate detected`), the body the description,
/// value, labels, times and runbook link.
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    server: String,
}

impl std::fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

impl EmailNotifier {
    /// A notifier for these settings. Nothing connects until the first send.
    ///
    /// # Errors
    /// [`NotifyError::Message`] naming the address that does not parse, or when TLS cannot be
    /// set up for the host.
    pub fn new(settings: &SmtpSettings) -> Result<Self, NotifyError> {
        super::install_crypto_provider();
        let parse = |address: &str| {
            address
                .parse::<Mailbox>()
                .map_err(|err| NotifyError::Message(format!("email address {address:?}: {err}")))
        };
        let from = parse(&settings.from)?;
        let to = settings
            .to
            .iter()
            .map(|address| parse(address))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(NotifyError::Message("no recipient addresses".into()));
        }
        let tls_error = |err: lettre::transport::smtp::Error| {
            NotifyError::Message(format!("TLS for {}: {err}", settings.host))
        };
        let mut builder = match settings.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(tls_error)?
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(tls_error)?
            }
        }
        .port(settings.port);
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(EmailNotifier {
            transport: builder.build(),
            from,
            to,
            server: format!("{}:{}", settings.host, settings.port),
        })
    }

    /// The message for one notification.
    ///
    /// # Errors
    /// When lettre refuses to build it.
    pub fn message(&self, notification: &Notification) -> Result<Message, NotifyError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(title(notification))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .body(body_lines(notification).join("\n") + "\n")
            .map_err(|err| NotifyError::Message(err.to_string()))
    }
}

impl Notifier for EmailNotifier {
    fn kind(&self) -> &'static str {
        "email"
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let message = self.message(notification)?;
            self.transport
                .send(message)
                .await
                .map(drop)
                .map_err(|err| NotifyError::Smtp(format!("{}: {err}", self.server)))
        })
    }
}
