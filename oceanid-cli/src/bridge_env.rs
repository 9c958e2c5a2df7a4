//! The Crunchy Bridge client from the environment, read as the `crunchybridge` provider reads
//! it: the key from `CRUNCHYBRIDGE_API_KEY` (else `CB_API_KEY`), the URL from
//! `CRUNCHYBRIDGE_API_URL` (else the production API).

use std::time::Duration;

use oceanid_core::crunchybridge::{API_KEY_ENV, API_URL_ENV, Bridge, DEFAULT_BASE_URL};

/// A Bridge client whose every call (retries included) ends within `timeout`, or why there is
/// none: no key, or an API URL the client refuses. The reason never holds the key.
pub(crate) fn bridge_from_env(timeout: Duration) -> Result<Bridge, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let key = API_KEY_ENV
        .iter()
        .find_map(|name| var(name))
        .ok_or_else(|| {
            "no Crunchy Bridge API key: export CRUNCHYBRIDGE_API_KEY=cbkey_… (or CB_API_KEY); \
         create a key at https://crunchybridge.com/account/api-keys"
                .to_owned()
        })?;
    let url = var(API_URL_ENV).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    let bridge = Bridge::builder()
        .api_key(key.trim())
        .base_url(&url)
        .user_agent(concat!("oceanid-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("{API_URL_ENV}: {e}"))?;
    Ok(bridge.with_timeout(timeout))
}
