//! WARP device settings profiles (default and custom) and their split-tunnel lists.
//!
//! A profile has one mode: the list of its mode (`include` or `exclude`) is in force and is the
//! only one the profile shows. `PUT …/include` (or `…/exclude`) replaces that whole list and
//! answers with it; a PUT to the list of the other mode succeeds and stores the list, which stays
//! inert. A profile `PATCH` carrying `include` (or `exclude`) switches the profile to that mode
//! with that list; carrying both is refused.

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::{App, absent_fields, account_store, check_length, parse_network, set_if_some};
use crate::cloudflare::envelope::{CfError, CfResult, ok};
use crate::cloudflare::store::{CloudflareStore, DeviceProfile, Mode, SplitTunnelEntry};
use crate::extract::json_body;

/// The longest description of an entry.
const MAX_DESCRIPTION: usize = 100;

/// The custom profile `policy_id`, or 404.
fn custom<'a>(
    store: &'a mut CloudflareStore,
    policy_id: &str,
) -> Result<&'a mut DeviceProfile, CfError> {
    store
        .custom_profiles
        .iter_mut()
        .find(|p| p.policy_id.as_deref() == Some(policy_id))
        .ok_or_else(|| {
            CfError::not_found(format!(
                "device settings profile {policy_id} not found; list them with GET devices/policies"
            ))
        })
}

/// Checks every entry of a list: exactly one of `address` (a CIDR or an IP address) and `host`
/// (a domain name), a description of at most 100 characters.
fn check_entries(entries: &[SplitTunnelEntry]) -> Result<(), CfError> {
    for (index, entry) in entries.iter().enumerate() {
        let at = |what: String| CfError::invalid_body(format!("entry {index}: {what}"));
        match (&entry.address, &entry.host) {
            (Some(_), Some(_)) => {
                return Err(at("give either `address` or `host`, not both".to_owned()));
            }
            (None, None) => {
                return Err(at(
                    "give `address` (a CIDR such as 10.42.0.0/16) or `host` (a domain name)"
                        .to_owned(),
                ));
            }
            (Some(address), None) => {
                if parse_network(address).is_none() {
                    return Err(at(format!(
                        "address {address:?} is not a CIDR such as 10.42.0.0/16 or an IP address"
                    )));
                }
            }
            (None, Some(host)) => {
                if !is_host(host) {
                    return Err(at(format!(
                        "host {host:?} is not a domain name such as intranet.example.com \
                         (no scheme, port or path)"
                    )));
                }
            }
        }
        check_length(
            &format!("entry {index}: description"),
            &entry.description,
            MAX_DESCRIPTION,
        )?;
    }
    Ok(())
}

/// A domain name, optionally starting with `*.`.
fn is_host(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A list from a PUT body: a bare JSON array of entries.
fn parse_list(body: &[u8]) -> Result<Vec<SplitTunnelEntry>, CfError> {
    let entries: Vec<SplitTunnelEntry> = json_body(body)?;
    check_entries(&entries)?;
    Ok(entries)
}

pub(super) async fn get_default(State(app): App, Path(account_id): Path<String>) -> CfResult {
    let store = account_store(&app, &account_id)?;
    ok(store.default_profile.view())
}

pub(super) async fn list_custom(State(app): App, Path(account_id): Path<String>) -> CfResult {
    let store = account_store(&app, &account_id)?;
    let profiles: Vec<_> = std::iter::once(&store.default_profile)
        .chain(&store.custom_profiles)
        .map(DeviceProfile::view)
        .collect();
    ok(profiles)
}

pub(super) async fn get_custom(
    State(app): App,
    Path((account_id, policy_id)): Path<(String, String)>,
) -> CfResult {
    let mut store = account_store(&app, &account_id)?;
    ok(custom(&mut store, &policy_id)?.view())
}

/// The body of a profile `PATCH` (and of a custom profile's `POST`). Other fields are ignored.
#[derive(Debug, Deserialize)]
struct ProfileChange {
    name: Option<String>,
    description: Option<String>,
    #[serde(rename = "match")]
    match_rule: Option<String>,
    precedence: Option<u32>,
    enabled: Option<bool>,
    include: Option<Vec<SplitTunnelEntry>>,
    exclude: Option<Vec<SplitTunnelEntry>>,
    exclude_office_ips: Option<bool>,
    allow_mode_switch: Option<bool>,
    switch_locked: Option<bool>,
    tunnel_protocol: Option<String>,
}

impl ProfileChange {
    fn parse(body: &[u8]) -> Result<ProfileChange, CfError> {
        let change: ProfileChange = json_body(body)?;
        if change.include.is_some() && change.exclude.is_some() {
            return Err(CfError::invalid_body(
                "Both 'exclude' and 'include' cannot be set in the same request",
            ));
        }
        for list in [&change.include, &change.exclude].into_iter().flatten() {
            check_entries(list)?;
        }
        if let Some(description) = &change.description {
            check_length("description", description, MAX_DESCRIPTION)?;
        }
        Ok(change)
    }

    /// Applies the change; `name`, `match` and `precedence` only to custom profiles.
    fn apply(self, profile: &mut DeviceProfile) {
        if profile.policy_id.is_some() {
            set_if_some(&mut profile.name, self.name);
            set_if_some(&mut profile.match_rule, self.match_rule);
            set_if_some(&mut profile.precedence, self.precedence);
        }
        set_if_some(&mut profile.description, self.description);
        set_if_some(&mut profile.enabled, self.enabled);
        set_if_some(&mut profile.exclude_office_ips, self.exclude_office_ips);
        set_if_some(&mut profile.allow_mode_switch, self.allow_mode_switch);
        set_if_some(&mut profile.switch_locked, self.switch_locked);
        set_if_some(&mut profile.tunnel_protocol, self.tunnel_protocol);
        if let Some(include) = self.include {
            profile.mode = Mode::Include;
            profile.include = include;
        }
        if let Some(exclude) = self.exclude {
            profile.mode = Mode::Exclude;
            profile.exclude = exclude;
        }
    }
}

pub(super) async fn patch_default(
    State(app): App,
    Path(account_id): Path<String>,
    body: Bytes,
) -> CfResult {
    let change = ProfileChange::parse(&body)?;
    let mut store = account_store(&app, &account_id)?;
    change.apply(&mut store.default_profile);
    ok(store.default_profile.view())
}

pub(super) async fn patch_custom(
    State(app): App,
    Path((account_id, policy_id)): Path<(String, String)>,
    body: Bytes,
) -> CfResult {
    let change = ProfileChange::parse(&body)?;
    let mut store = account_store(&app, &account_id)?;
    let profile = custom(&mut store, &policy_id)?;
    change.apply(profile);
    ok(profile.view())
}

/// `POST devices/policy`: a custom profile; `name`, `match` and `precedence` are required. It
/// starts in Exclude mode unless the body sets `include`.
pub(super) async fn create_custom(
    State(app): App,
    Path(account_id): Path<String>,
    body: Bytes,
) -> CfResult {
    let change = ProfileChange::parse(&body)?;
    let missing = absent_fields(&[
        ("name", change.name.is_none()),
        ("match", change.match_rule.is_none()),
        ("precedence", change.precedence.is_none()),
    ]);
    if !missing.is_empty() {
        return Err(CfError::invalid_body(format!(
            "a custom profile needs {}",
            missing.join(", ")
        )));
    }
    let mut store = account_store(&app, &account_id)?;
    let mut profile = DeviceProfile {
        policy_id: Some(uuid::Uuid::new_v4().to_string()),
        ..store.default_profile.clone()
    };
    profile.mode = Mode::Exclude;
    profile.include = Vec::new();
    profile.exclude = Vec::new();
    change.apply(&mut profile);
    let view = profile.view();
    store.custom_profiles.push(profile);
    ok(view)
}

/// `DELETE devices/policy/{id}`: answers with the remaining custom profiles.
pub(super) async fn delete_custom(
    State(app): App,
    Path((account_id, policy_id)): Path<(String, String)>,
) -> CfResult {
    let mut store = account_store(&app, &account_id)?;
    custom(&mut store, &policy_id)?;
    store
        .custom_profiles
        .retain(|p| p.policy_id.as_deref() != Some(policy_id.as_str()));
    ok(store
        .custom_profiles
        .iter()
        .map(DeviceProfile::view)
        .collect::<Vec<_>>())
}

pub(super) async fn get_default_list(
    State(app): App,
    Path(account_id): Path<String>,
    mode: Mode,
) -> CfResult {
    let store = account_store(&app, &account_id)?;
    ok(store.default_profile.list(mode))
}

pub(super) async fn put_default_list(
    State(app): App,
    Path(account_id): Path<String>,
    mode: Mode,
    body: Bytes,
) -> CfResult {
    let entries = parse_list(&body)?;
    let mut store = account_store(&app, &account_id)?;
    *store.default_profile.list_mut(mode) = entries;
    ok(store.default_profile.list(mode))
}

pub(super) async fn get_custom_list(
    State(app): App,
    Path((account_id, policy_id)): Path<(String, String)>,
    mode: Mode,
) -> CfResult {
    let mut store = account_store(&app, &account_id)?;
    ok(custom(&mut store, &policy_id)?.list(mode))
}

pub(super) async fn put_custom_list(
    State(app): App,
    Path((account_id, policy_id)): Path<(String, String)>,
    mode: Mode,
    body: Bytes,
) -> CfResult {
    let entries = parse_list(&body)?;
    let mut store = account_store(&app, &account_id)?;
    let profile = custom(&mut store, &policy_id)?;
    *profile.list_mut(mode) = entries;
    ok(profile.list(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(is_host("intranet.example.com"));
        assert!(is_host("*.corp.example"));
        assert!(!is_host("https://intranet.example.com"));
        assert!(!is_host("example.com:443"));
        assert!(!is_host("example.com/path"));
        assert!(!is_host(""));
        assert!(!is_host("-bad.example"));
    }

    #[test]
    fn entries() {
        let parse = |json: &str| parse_list(json.as_bytes());
        assert!(parse(r#"[{"address":"10.42.0.0/16","description":"pods"}]"#).is_ok());
        assert!(parse(r#"[{"address":"10.42.0.1"}]"#).is_ok());
        assert!(parse(r#"[{"host":"a.example","description":""}]"#).is_ok());
        assert!(parse(r#"[{"address":"10.42.0.0/33"}]"#).is_err());
        assert!(parse(r#"[{"address":"10.42.0.0/16","host":"a.example"}]"#).is_err());
        assert!(parse(r#"[{"description":"x"}]"#).is_err());
        assert!(parse(r#"[{"address":"10.1.0.0/16","note":"x"}]"#).is_err());
        assert!(parse(r#"{"address":"10.1.0.0/16"}"#).is_err());
        let long = format!(
            r#"[{{"address":"10.1.0.0/16","description":"{}"}}]"#,
            "x".repeat(101)
        );
        assert!(parse(&long).is_err());
        let just = format!(
            r#"[{{"address":"10.1.0.0/16","description":"{}"}}]"#,
            "é".repeat(100)
        );
        assert!(parse(&just).is_ok());
    }
}
