//! `postgres://` connection URLs with the password kept secret.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};

use super::Error;

/// The port PostgreSQL listens on unless a URL says otherwise.
pub const DEFAULT_PORT: u16 = 5432;

/// Everything but RFC 3986's unreserved characters is percent-encoded in the parts we write.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How a connection is protected, with libpq's names and meanings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, any certificate accepted; libpq's default.
    #[default]
    Prefer,
    /// TLS or no connection; any certificate accepted (as libpq does without a root certificate).
    Require,
    /// TLS, and the server's certificate must chain to the given CA.
    VerifyCa,
    /// TLS, the certificate must chain to the given CA and name the host connected to.
    VerifyFull,
}

impl SslMode {
    /// The `sslmode` value, e.g. `verify-full`.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the mode refuses a connection without TLS.
    pub fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }

    /// Whether the mode checks the server's certificate against a CA.
    pub fn verifies_certificate(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            other => Err(Error::InvalidUrl {
                reason: format!(
                    "sslmode={other:?} is not supported: use disable, prefer, require, verify-ca or \
                     verify-full"
                ),
                source: None,
            }),
        }
    }
}

/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// The password is a [`SecretString`]: [`Display`](fmt::Display) and [`Debug`] show `***` in its
/// place, and only [`expose_secret`](PgUrl::expose_secret) writes the full URL.
///
/// Query parameters used when connecting: `sslmode`, `sslrootcert` (a CA file, read when
/// connecting unless [`with_ca_pem`](PgUrl::with_ca_pem) gave one), `connect_timeout` (seconds)
/// and `application_name`. Others are kept and written back, but not used.
///
/// ```
/// use oceanid_core::postgres::{PgUrl, SslMode};
///
/// let url: PgUrl = "postgresql://app:s3cr%40t@db.example.com/labelfish?sslmode=require".parse()?;
/// assert_eq!(url.user(), "app");
/// assert_eq!(url.port(), 5432);
/// assert_eq!(url.database(), "labelfish");
/// assert_eq!(url.ssl_mode(), SslMode::Require);
/// assert_eq!(
///     url.to_string(),
///     "postgresql://app:***@db.example.com:5432/labelfish?sslmode=require"
/// );
/// assert!(url.expose_secret().contains("s3cr%40t"));
/// # Ok::<(), oceanid_core::postgres::Error>(())
/// ```
#[derive(Clone)]
pub struct PgUrl {
    scheme: &'static str,
    user: String,
    password: Option<SecretString>,
    host: String,
    port: u16,
    database: Option<String>,
    ssl_mode: Option<SslMode>,
    connect_timeout: Option<Duration>,
    ca_pem: Option<String>,
    /// Query parameters other than `sslmode` and `connect_timeout`, in their order.
    params: Vec<(String, String)>,
}

impl PgUrl {
    /// Parses a `postgres://` or `postgresql://` URL.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`], whose message never repeats the URL (it may hold a password):
    /// another scheme, no user or host, a unix-socket host, an unsupported `sslmode` or a
    /// malformed `connect_timeout`.
    pub fn parse(input: &str) -> Result<PgUrl, Error> {
        let invalid = |reason: &str| Error::InvalidUrl {
            reason: reason.to_owned(),
            source: None,
        };
        let url = ::url::Url::parse(input.trim()).map_err(|source| Error::InvalidUrl {
            reason: source.to_string(),
            source: Some(source),
        })?;
        let scheme = match url.scheme() {
            "postgres" => "postgres",
            "postgresql" => "postgresql",
            _ => return Err(invalid("the scheme must be postgres:// or postgresql://")),
        };
        let user = decode(url.username(), "user name")?;
        if user.is_empty() {
            return Err(invalid("the URL names no user"));
        }
        let password = url
            .password()
            .map(|p| decode(p, "password").map(SecretString::from))
            .transpose()?;
        let host = match url.host_str() {
            None | Some("") => return Err(invalid("the URL names no host")),
            Some(host) => decode(host, "host")?,
        };
        if host.starts_with('/') {
            return Err(invalid(
                "unix-socket hosts are not supported; use a TCP host",
            ));
        }
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&host)
            .to_owned();
        let path = url.path().strip_prefix('/').unwrap_or(url.path());
        let database = match decode(path, "database name")? {
            d if d.is_empty() => None,
            d => Some(d),
        };
        let mut parsed = PgUrl {
            scheme,
            user,
            password,
            host,
            port: url.port().unwrap_or(DEFAULT_PORT),
            database,
            ssl_mode: None,
            connect_timeout: None,
            ca_pem: None,
            params: Vec::new(),
        };
        for (key, value) in url.query_pairs() {
            match &*key {
                "sslmode" => parsed.ssl_mode = Some(value.parse()?),
                "connect_timeout" => {
                    let seconds: u64 = value.trim().parse().map_err(|_| {
                        invalid("connect_timeout must be a whole number of seconds")
                    })?;
                    // libpq: zero (or nothing) means wait indefinitely; we keep our default.
                    parsed.connect_timeout = (seconds > 0).then(|| Duration::from_secs(seconds));
                }
                "password" | "user" | "host" | "hostaddr" | "port" | "dbname" => {
                    return Err(Error::InvalidUrl {
                        reason: format!(
                            "the query parameter {key:?} is not supported: put it in the URL's \
                             authority or path"
                        ),
                        source: None,
                    });
                }
                _ => parsed.params.push((key.into_owned(), value.into_owned())),
            }
        }
        Ok(parsed)
    }

    /// The role to log in as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password, if the URL has one.
    pub fn password(&self) -> Option<&SecretString> {
        self.password.as_ref()
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port; 5432 when the URL gives none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database; like libpq, the user's name when the URL gives none.
    pub fn database(&self) -> &str {
        self.database.as_deref().unwrap_or(&self.user)
    }

    /// The `sslmode`; [`SslMode::Prefer`] (libpq's default) when the URL gives none.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode.unwrap_or_default()
    }

    /// The CA certificate(s) to verify the server against, if given with
    /// [`with_ca_pem`](PgUrl::with_ca_pem).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The `connect_timeout`, if the URL (or [`with_connect_timeout`](PgUrl::with_connect_timeout))
    /// sets one.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// A query parameter kept from the URL, such as `application_name` or `sslrootcert`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The same server and credentials, another database.
    #[must_use]
    pub fn with_database(&self, database: impl Into<String>) -> PgUrl {
        PgUrl {
            database: Some(database.into()),
            ..self.clone()
        }
    }

    /// The same server and database, other credentials.
    #[must_use]
    pub fn with_credentials(&self, user: impl Into<String>, password: SecretString) -> PgUrl {
        PgUrl {
            user: user.into(),
            password: Some(password),
            ..self.clone()
        }
    }

    /// The same URL with another `sslmode`.
    #[must_use]
    pub fn with_ssl_mode(&self, mode: SslMode) -> PgUrl {
        PgUrl {
            ssl_mode: Some(mode),
            ..self.clone()
        }
    }

    /// The same URL with CA certificate(s) in PEM, used by `verify-ca` and `verify-full`.
    #[must_use]
    pub fn with_ca_pem(&self, pem: impl Into<String>) -> PgUrl {
        PgUrl {
            ca_pem: Some(pem.into()),
            ..self.clone()
        }
    }

    /// The same URL with a bound on connecting (TCP, TLS and login together).
    #[must_use]
    pub fn with_connect_timeout(&self, timeout: Duration) -> PgUrl {
        PgUrl {
            connect_timeout: Some(timeout),
            ..self.clone()
        }
    }

    /// The full URL, password included, as a connection string for an application. Never log
    /// it. The CA given with [`with_ca_pem`](PgUrl::with_ca_pem) is not part of it.
    pub fn expose_secret(&self) -> String {
        self.render(true)
    }

    /// `user@host:port/database`: names the server in messages, without secrets.
    pub fn target(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.user,
            self.host_for_url(),
            self.port,
            self.database()
        )
    }

    fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    fn render(&self, reveal: bool) -> String {
        let mut out = format!(
            "{}://{}",
            self.scheme,
            utf8_percent_encode(&self.user, COMPONENT)
        );
        if let Some(password) = &self.password {
            out.push(':');
            if reveal {
                out.extend(utf8_percent_encode(password.expose_secret(), COMPONENT));
            } else {
                out.push_str("***");
            }
        }
        out.push('@');
        if self.host.contains(':') {
            out.push_str(&self.host_for_url());
        } else {
            out.extend(utf8_percent_encode(&self.host, COMPONENT));
        }
        out.push_str(&format!(":{}", self.port));
        if let Some(database) = &self.database {
            out.push('/');
            out.extend(utf8_percent_encode(database, COMPONENT));
        }
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(mode) = self.ssl_mode {
            query.push(("sslmode", mode.as_str().to_owned()));
        }
        if let Some(timeout) = self.connect_timeout {
            query.push(("connect_timeout", timeout.as_secs().max(1).to_string()));
        }
        query.extend(self.params.iter().map(|(k, v)| (k.as_str(), v.clone())));
        for (i, (key, value)) in query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.extend(utf8_percent_encode(key, COMPONENT));
            out.push('=');
            out.extend(utf8_percent_encode(value, COMPONENT));
        }
        out
    }
}

impl FromStr for PgUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PgUrl::parse(s)
    }
}

impl fmt::Display for PgUrl {
    /// The URL with `***` for the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PgUrl").field(&self.render(false)).finish()
    }
}

fn decode(text: &str, what: &str) -> Result<String, Error> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::InvalidUrl {
            reason: format!("the {what} is not valid UTF-8 once percent-decoded"),
            source: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "pa:ss/w@rd?#%";

    fn with_secret() -> PgUrl {
        let encoded: String = utf8_percent_encode(SECRET, COMPONENT).collect();
        PgUrl::parse(&format!(
            "postgres://u_abc:{encoded}@p.xyz.db.postgresbridge.com:5432/postgres"
        ))
        .unwrap()
    }

    #[test]
    fn parses_a_bridge_uri() {
        let url = with_secret();
        assert_eq!(url.user(), "u_abc");
        assert_eq!(url.password().unwrap().expose_secret(), SECRET);
        assert_eq!(url.host(), "p.xyz.db.postgresbridge.com");
        assert_eq!(url.port(), 5432);
        assert_eq!(url.database(), "postgres");
        assert_eq!(url.ssl_mode(), SslMode::Prefer);
    }

    #[test]
    fn display_and_debug_hide_the_password() {
        let url = with_secret();
        for text in [url.to_string(), format!("{url:?}"), url.target()] {
            assert!(!text.contains("pa:ss"), "{text}");
            assert!(!text.contains("pa%3Ass"), "{text}");
        }
        assert_eq!(
            url.to_string(),
            "postgres://u_abc:***@p.xyz.db.postgresbridge.com:5432/postgres"
        );
    }

    #[test]
    fn expose_secret_round_trips() {
        let url = with_secret()
            .with_database("label fish")
            .with_ssl_mode(SslMode::Require);
        let again = PgUrl::parse(&url.expose_secret()).unwrap();
        assert_eq!(again.password().unwrap().expose_secret(), SECRET);
        assert_eq!(again.database(), "label fish");
        assert_eq!(again.ssl_mode(), SslMode::Require);
        assert_eq!(again.to_string(), url.to_string());
    }

    #[test]
    fn builders_replace_one_part() {
        let url = with_secret().with_credentials("app", SecretString::from("other"));
        assert_eq!(url.user(), "app");
        assert_eq!(url.password().unwrap().expose_secret(), "other");
        assert_eq!(url.database(), "postgres");
        let url = url
            .with_ca_pem("PEM")
            .with_connect_timeout(Duration::from_secs(3));
        assert_eq!(url.ca_pem(), Some("PEM"));
        assert_eq!(url.connect_timeout(), Some(Duration::from_secs(3)));
        assert!(url.expose_secret().ends_with("?connect_timeout=3"));
    }

    #[test]
    fn query_parameters() {
        let url = PgUrl::parse(
            "postgresql://app@[::1]:6543?sslmode=verify-full&application_name=my%20app&connect_timeout=7",
        )
        .unwrap();
        assert_eq!(url.host(), "::1");
        assert_eq!(url.port(), 6543);
        assert_eq!(url.database(), "app", "defaults to the user, like libpq");
        assert_eq!(url.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(url.param("application_name"), Some("my app"));
        assert_eq!(url.connect_timeout(), Some(Duration::from_secs(7)));
        assert_eq!(
            url.to_string(),
            "postgresql://app@[::1]:6543?sslmode=verify-full&connect_timeout=7&application_name=my%20app"
        );
    }

    #[test]
    fn rejects_without_echoing_the_input() {
        for (input, expected) in [
            ("mysql://u:hunter2@h/db", "scheme"),
            ("postgres://:hunter2@h/db", "no user"),
            ("postgres://u:hunter2@h/db?sslmode=allow", "sslmode"),
            (
                "postgres://u:hunter2@h/db?connect_timeout=soon",
                "connect_timeout",
            ),
            ("postgres://u:hunter2@h/db?password=x", "password"),
            ("postgres://u:hunter2@%2Ftmp/db", "unix-socket"),
            ("postgres://u:hunter2@h:99999/db", "port"),
            ("not a url hunter2", "relative URL"),
        ] {
            let error = PgUrl::parse(input).unwrap_err().to_string();
            assert!(error.contains(expected), "{input}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
