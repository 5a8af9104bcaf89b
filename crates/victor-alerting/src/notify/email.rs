//! Email over SMTP, through `lettre`.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::smtp::{SmtpSecurity, SmtpSettings};
use super::{Notifier, NotifyError, SendFuture, body_lines, title};
use crate::engine::Notification;

/// Sends each notification as a plain-text email: the subject is the title line
/// (`[FIRING] CRITICAL HighErrorRate: High error rate detected`), the body the description,
/// value, labels, times and runbook link.
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    server: String,
    /// The password, scrubbed from any SMTP reply quoted in an error.
    password: Option<crate::Secret>,
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
            password: settings.password.clone(),
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
            self.transport.send(message).await.map(drop).map_err(|err| {
                // An SMTP server's reply may repeat what it was sent.
                let secrets: Vec<String> = self
                    .password
                    .iter()
                    .map(|password| password.expose().to_owned())
                    .collect();
                NotifyError::Smtp(crate::scrub(&format!("{}: {err}", self.server), &secrets))
            })
        })
    }
}
