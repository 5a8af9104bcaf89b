//! Where and how to send alert mail: plain settings, parsed from configuration without linking
//! the SMTP client (the `delivery` feature builds the channel from them).

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

impl SmtpSettings {
    /// Checks the sender and every recipient are mail addresses (`a@example.com` or
    /// `Name <a@example.com>`), naming the first that is not. The email channel parses them
    /// again with its SMTP client; this check needs none, so configuration can be validated
    /// without linking it.
    ///
    /// # Errors
    /// The first address that is not one, and why.
    pub fn check_addresses(&self) -> Result<(), String> {
        std::iter::once(&self.from)
            .chain(&self.to)
            .try_for_each(|address| check_address(address))
    }
}

/// `address` as `local@domain`, optionally inside `Name <…>`.
fn check_address(text: &str) -> Result<(), String> {
    let text = text.trim();
    let address = match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(start), Some(inner)) => &inner[start + 1..],
        _ => text,
    };
    let problem = match address.rsplit_once('@') {
        None => Some("it has no @"),
        Some(("", _)) => Some("nothing comes before the @"),
        Some((_, "")) => Some("no domain follows the @"),
        Some((local, domain)) => {
            if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Some("it contains a space or a control character")
            } else if local.contains(['<', '>', '(', ')', ',', ';', ':', '\\', '"', '[', ']'])
                || !domain
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
            {
                Some("it contains a character an address cannot")
            } else {
                None
            }
        }
    };
    match problem {
        Some(problem) => Err(format!("email address {text:?} is not one: {problem}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_address;

    #[test]
    fn addresses_are_checked_without_an_smtp_client() {
        for good in [
            "a@example.com",
            "Victor Alerts <alerts@example.com>",
            "ops+victor@mail.example.co.uk",
            "root@localhost",
        ] {
            assert_eq!(check_address(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("not an address", "no @"),
            ("@example.com", "before the @"),
            ("a@", "no domain"),
            ("a b@example.com", "space"),
            ("a@exa\nmple.com", "space or a control"),
            ("a@example.com>", "cannot"),
        ] {
            let err = check_address(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
