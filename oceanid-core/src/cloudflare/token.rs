//! The API token and what `tokens/verify` says about it.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::ids::TokenId;

/// A Cloudflare API token (`Authorization: Bearer …`). Neither `Debug` nor any error shows it.
#[derive(Clone)]
pub struct ApiToken(SecretString);

impl ApiToken {
    /// Wraps a token.
    #[must_use]
    pub fn new(token: impl Into<String>) -> ApiToken {
        ApiToken(SecretString::from(token.into()))
    }

    /// The token, for the `Authorization` header only.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the token is empty (or only whitespace): not worth sending.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.expose().trim().is_empty()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken([redacted])")
    }
}

/// The status `tokens/verify` reports.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenStatus {
    /// The token can be used.
    Active,
    /// Switched off by its owner.
    Disabled,
    /// Past its `expires_on`.
    Expired,
    /// A status this client does not know.
    #[serde(other)]
    Unknown,
}

/// The result of `GET user/tokens/verify` or `GET accounts/{id}/tokens/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TokenVerification {
    /// The token's id (never the token).
    pub id: TokenId,
    /// Whether it is active.
    pub status: TokenStatus,
    /// When it expires, if it does (RFC 3339).
    #[serde(default)]
    pub expires_on: Option<String>,
    /// When it starts to work, if not at once (RFC 3339).
    #[serde(default)]
    pub not_before: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let token = ApiToken::new("cf-secret-token-Zq8");
        assert_eq!(format!("{token:?}"), "ApiToken([redacted])");
        assert_eq!(token.expose(), "cf-secret-token-Zq8");
        assert!(ApiToken::new("  ").is_blank());
    }

    #[test]
    fn verification_decodes_leniently() {
        let v: TokenVerification =
            serde_json::from_str(r#"{"id":"t1","status":"active","extra":1}"#).unwrap();
        assert_eq!(v.status, TokenStatus::Active);
        assert_eq!(v.expires_on, None);
        let v: TokenVerification =
            serde_json::from_str(r#"{"id":"t1","status":"revoked-somehow"}"#).unwrap();
        assert_eq!(v.status, TokenStatus::Unknown);
    }
}
