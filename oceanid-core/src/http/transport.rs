//! Transport rules every client shares: which base URLs are acceptable (TLS except on loopback,
//! no embedded credentials), how a URL is shown in a message, and why a connection failed.

use std::error::Error as StdError;

use reqwest::Url;

use super::error::ConnectFailure;
use super::redact::truncate_input;

/// The longest piece of user input echoed back in an error message, in characters.
pub const ECHO_LIMIT: usize = 200;

/// Parse and check an API base URL: absolute `https://`, or `http://` only for a loopback host
/// (`localhost`, `127.0.0.0/8`, `::1`: an emulator on this machine); no `user:password@`.
///
/// # Errors
/// A message naming what is wrong and how to fix it. It echoes the URL only when it carries no
/// credentials, and then truncated to [`ECHO_LIMIT`] characters.
///
/// ```
/// use oceanid_core::http::transport::parse_base_url;
///
/// assert!(parse_base_url("https://api.crunchybridge.com").is_ok());
/// assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
/// let err = parse_base_url("http://api.example.com").unwrap_err();
/// assert!(err.contains("loopback"), "{err}");
/// let err = parse_base_url("https://me:hunter22@api.example.com").unwrap_err();
/// assert!(!err.contains("hunter22"), "{err}");
/// ```
pub fn parse_base_url(input: &str) -> Result<Url, String> {
    let trimmed = input.trim();
    let url = Url::parse(trimmed).map_err(|e| {
        format!(
            "{} is not a URL ({e}); give an absolute https:// URL",
            shown_input(trimmed)
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "the URL {} carries credentials (user:password@); remove them: the key or token \
             is configured on its own",
            redacted_url(&url)
        ));
    }
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(format!(
            "{} is not an absolute http(s) URL; give one such as https://api.example.com",
            shown_input(trimmed)
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(format!(
            "{} uses plain http:// for a host that is not loopback; use https:// (plain http is \
             accepted only for localhost, 127.0.0.0/8 and ::1, such as a local emulator, so that \
             the key is never sent in the clear)",
            redacted_url(&url)
        ));
    }
    Ok(url)
}

/// Whether the URL's host is this machine: `localhost` or a loopback address.
#[must_use]
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// The URL as shown in messages: scheme, host, port and path; never credentials or the query
/// (which may carry tokens), truncated to [`ECHO_LIMIT`] characters.
#[must_use]
pub fn redacted_url(url: &Url) -> String {
    let mut shown = format!("{}{}", origin(url), url.path());
    if url.query().is_some() {
        shown.push_str("?…");
    }
    truncate_input(&shown, ECHO_LIMIT)
}

/// `scheme://host:port` of a URL (the port always written).
#[must_use]
pub fn origin(url: &Url) -> String {
    format!(
        "{}://{}",
        url.scheme(),
        target(url).unwrap_or_else(|| "(no host)".to_owned())
    )
}

/// `host:port` of a URL, the port defaulted from the scheme.
#[must_use]
pub fn target(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    Some(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// User input that did not parse, as shown in a message: anything that looks like
/// `user:password@` removed, truncated to [`ECHO_LIMIT`] characters, quoted.
fn shown_input(input: &str) -> String {
    let without_userinfo = match (input.find("://"), input.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let authority_end = input[scheme_end + 3..]
                .find('/')
                .map_or(input.len(), |i| scheme_end + 3 + i);
            if at < authority_end {
                format!(
                    "{}[REDACTED]@{}",
                    &input[..scheme_end + 3],
                    &input[at + 1..]
                )
            } else {
                input.to_owned()
            }
        }
        _ => input.to_owned(),
    };
    format!("{:?}", truncate_input(&without_userinfo, ECHO_LIMIT))
}

/// Why a connect error happened, from the error's chain of causes.
pub(crate) fn connect_failure(e: &reqwest::Error) -> ConnectFailure {
    let mut cause: Option<&(dyn StdError + 'static)> = e.source();
    let mut dns = false;
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return ConnectFailure::Refused,
                std::io::ErrorKind::TimedOut => return ConnectFailure::Timeout,
                _ => {}
            }
        }
        if c.downcast_ref::<rustls::Error>().is_some() {
            return ConnectFailure::Tls;
        }
        let text = c.to_string();
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            dns = true;
        }
        cause = c.source();
    }
    if dns {
        ConnectFailure::Dns
    } else if e.is_timeout() {
        ConnectFailure::Timeout
    } else {
        ConnectFailure::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_may_use_plain_http() {
        for ok in [
            "http://127.0.0.1:1234",
            "http://127.8.0.1",
            "http://localhost:80/api",
            "http://[::1]:9",
            "https://api.crunchybridge.com",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.crunchybridge.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
        ] {
            let err = parse_base_url(bad).unwrap_err();
            assert!(
                err.contains("https://") && err.contains("loopback"),
                "{err}"
            );
        }
    }

    #[test]
    fn credentials_are_never_echoed() {
        let err = parse_base_url("https://admin:Sup3rSecret@api.example.com/x").unwrap_err();
        assert!(
            !err.contains("Sup3rSecret") && !err.contains("admin"),
            "{err}"
        );
        assert!(err.contains("carries credentials"), "{err}");
        let err = parse_base_url("ftp://admin:Sup3rSecret@host/").unwrap_err();
        assert!(!err.contains("Sup3rSecret"), "{err}");
        let err = parse_base_url("https://admin:Sup3rSecret@[bad/").unwrap_err();
        assert!(!err.contains("Sup3rSecret"), "{err}");
    }

    #[test]
    fn long_input_is_truncated() {
        let long = format!("https://{}", "a".repeat(5_000));
        let err = parse_base_url(&format!("{long} x")).unwrap_err();
        assert!(err.len() < 400 && err.contains('…'), "{}", err.len());
    }

    #[test]
    fn urls_are_shown_without_query_or_credentials() {
        let u = Url::parse("https://u:p@h.example:8443/a/b?token=t").unwrap();
        assert_eq!(redacted_url(&u), "https://h.example:8443/a/b?…");
        assert_eq!(origin(&u), "https://h.example:8443");
        let u = Url::parse("http://[::1]/").unwrap();
        assert_eq!(target(&u).as_deref(), Some("[::1]:80"));
    }
}
