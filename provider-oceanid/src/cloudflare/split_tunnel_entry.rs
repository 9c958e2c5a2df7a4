//! `oceanid:cloudflare:SplitTunnelEntry`: one entry of a WARP split-tunnel list, written
//! through the process's group-committing writer so that every other entry stays
//! byte-identical and in order, and nothing overlapping a protected CIDR is ever touched.

use async_trait::async_trait;
use oceanid_core::cloudflare::{
    AccountId, DeclaredEntry, EntryKey, Existing, ListId, Mode, ProtectedCidrs, SplitTunnelTarget,
    SplitTunnelWriter, WriteError,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::connect::{connect, policy};
use crate::clients::Clients;
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

/// `oceanid:cloudflare:SplitTunnelEntry`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SplitTunnelEntry;

fn include() -> Mode {
    Mode::Include
}

/// Inputs (and stored state) of a split-tunnel entry.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SplitTunnelEntryArgs {
    /// The Cloudflare account (default: the provider's `cloudflareAccountId`). Changing it
    /// replaces the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub account_id: Option<String>,
    /// The custom device profile (default: the default profile). Changing it replaces the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub policy_id: Option<String>,
    /// Which list: `include` (default) or `exclude`. The profile must be in that mode; the
    /// write is refused otherwise. Changing it replaces the entry.
    #[serde(default = "include")]
    #[schemars(extend("x-replace" = true))]
    pub mode: Mode,
    /// A CIDR or IP (normalised: `192.168.2.10` is `192.168.2.10/32`); exactly one of
    /// `address` and `host`. Changing it replaces the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub address: Option<String>,
    /// A domain (`intranet.example.com`, no scheme); exactly one of `address` and `host`.
    /// Changing it replaces the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub host: Option<String>,
    /// The description, at most 100 characters. Updated in place.
    #[serde(default)]
    pub description: String,
    /// Take over an entry with the same address or host that already exists (else creating it
    /// fails, printing the `pulumi import` command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt_existing: Option<bool>,
}

impl SplitTunnelEntryArgs {
    fn declared(&self, protected: &ProtectedCidrs) -> Result<DeclaredEntry, ResourceError> {
        DeclaredEntry::new(
            self.address.as_deref(),
            self.host.as_deref(),
            &self.description,
            protected,
        )
        .map_err(|e| ResourceError::msg(e.to_string()))
    }
}

fn writer(
    cx: &Context<Clients>,
    account: Option<&str>,
) -> Result<SplitTunnelWriter, ResourceError> {
    let clients = cx.client()?;
    if let Some(w) = clients.split_tunnel_writer.get() {
        return Ok(w.clone());
    }
    let (client, protected) = connect(&clients.cloudflare, account)?;
    Ok(clients
        .split_tunnel_writer
        .get_or_init(|| SplitTunnelWriter::new(client, protected))
        .clone())
}

fn list_of(
    cx: &Context<Clients>,
    args: &SplitTunnelEntryArgs,
) -> Result<(SplitTunnelWriter, ListId), ResourceError> {
    let writer = writer(cx, args.account_id.as_deref())?;
    let account = args
        .account_id
        .clone()
        .map_or_else(|| writer.client().account().clone(), AccountId::new);
    Ok((
        writer,
        ListId {
            account,
            policy: policy(args.policy_id.as_deref()),
            mode: args.mode,
        },
    ))
}

fn failed(e: WriteError) -> ResourceError {
    ResourceError::msg(e.to_string())
}

/// `<accountId>/<policyId|default>/<mode>/<address|host>`, split; the key may hold a `/`.
fn parse_id(id: &str) -> Result<(String, Option<String>, Mode, String), ResourceError> {
    let bad = || {
        ResourceError::msg(format!(
            "`{id}` is not a SplitTunnelEntry id: write `<accountId>/<policyId|default>/\
             <include|exclude>/<address|host>`, e.g. `0123…/default/include/10.42.0.0/16`"
        ))
    };
    let mut parts = id.splitn(4, '/');
    let (Some(account), Some(policy), Some(mode), Some(key)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let mode = match mode {
        "include" => Mode::Include,
        "exclude" => Mode::Exclude,
        _ => return Err(bad()),
    };
    if account.is_empty() || key.is_empty() {
        return Err(bad());
    }
    let policy = (policy != "default").then(|| policy.to_owned());
    Ok((account.to_owned(), policy, mode, key.to_owned()))
}

#[async_trait]
impl Resource for SplitTunnelEntry {
    type Client = Clients;
    type Args = SplitTunnelEntryArgs;
    type State = SplitTunnelEntryArgs;

    const TOKEN: &'static str = "oceanid:cloudflare:SplitTunnelEntry";
    const DESCRIPTION: &'static str = "One entry of a WARP device profile's split-tunnel list \
        (Include or Exclude). Cloudflare only replaces whole lists; this resource reads the \
        list, changes only its own entry, keeps every other entry byte-identical and in order, \
        writes, and reads back, never replaying a stale list. Writes to one list from one \
        `pulumi up` are serialised and group-committed. Anything overlapping \
        `oceanid:protectedSplitTunnelAddresses` is refused before any write. Id and import id: \
        `<accountId>/<policyId|default>/<mode>/<address|host>`.";

    fn check(&self, args: &mut SplitTunnelEntryArgs) -> Vec<CheckFailure> {
        match args.declared(&ProtectedCidrs::default()) {
            Ok(entry) => {
                match &entry.key {
                    EntryKey::Address(net) => args.address = Some(net.to_string()),
                    EntryKey::Host(h) => args.host = Some(h.clone()),
                }
                Vec::new()
            }
            Err(e) => {
                let property = if e.to_string().contains("description") {
                    "description"
                } else if args.host.is_some() && args.address.is_none() {
                    "host"
                } else {
                    "address"
                };
                vec![CheckFailure::new(property, e.to_string())]
            }
        }
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: SplitTunnelEntryArgs,
    ) -> Result<Created<SplitTunnelEntryArgs>, ResourceError> {
        let (writer, list) = list_of(cx, &args)?;
        let entry = args.declared(writer.protected())?;
        let existing = if args.adopt_existing == Some(true) {
            Existing::Adopt
        } else {
            Existing::Refuse
        };
        let id = list.entry_id(&entry.key);
        writer
            .ensure(&list, entry, existing)
            .await
            .map_err(failed)?;
        let mut state = args;
        state.account_id = Some(list.account.to_string());
        Ok(Created { id, state })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        prior: Option<SplitTunnelEntryArgs>,
    ) -> Result<Option<SplitTunnelEntryArgs>, ResourceError> {
        let (account, policy_id, mode, key_text) = parse_id(id)?;
        let probe = SplitTunnelEntryArgs {
            account_id: Some(account),
            policy_id,
            mode,
            address: None,
            host: None,
            description: String::new(),
            adopt_existing: prior.as_ref().and_then(|p| p.adopt_existing),
        };
        let (writer, list) = list_of(cx, &probe)?;
        let target = if key_text.contains('/') || key_text.parse::<std::net::IpAddr>().is_ok() {
            SplitTunnelTarget::Address(key_text)
        } else {
            SplitTunnelTarget::Host(key_text)
        };
        let key = EntryKey::of(&oceanid_core::cloudflare::SplitTunnelEntry {
            target,
            description: None,
            other: serde_json::Map::new(),
        })
        .ok_or_else(|| ResourceError::msg(format!("`{id}`: the address is not a CIDR")))?;
        let found = writer
            .find(&list, &key)
            .await
            .map_err(|e| ResourceError::msg(e.to_string()))?;
        Ok(found.map(|entry| {
            let (address, host) = match &key {
                EntryKey::Address(net) => (Some(net.to_string()), None),
                EntryKey::Host(h) => (None, Some(h.clone())),
            };
            SplitTunnelEntryArgs {
                address,
                host,
                description: entry.description.unwrap_or_default(),
                ..probe
            }
        }))
    }

    /// The account, when it is the provider's `cloudflareAccountId`: a program that leaves
    /// `accountId` to the configuration then imports without planning a replacement, and one
    /// that states it compares equal with the state.
    fn omitted_on_import(
        &self,
        cx: &Context<Clients>,
        state: &SplitTunnelEntryArgs,
    ) -> Vec<&'static str> {
        let default = writer(cx, None).map(|w| w.client().account().clone());
        match (default, &state.account_id) {
            (Ok(default), Some(account)) if default.as_str() == account => vec!["accountId"],
            _ => Vec::new(),
        }
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        _id: &str,
        _olds: SplitTunnelEntryArgs,
        news: SplitTunnelEntryArgs,
    ) -> Result<SplitTunnelEntryArgs, ResourceError> {
        let (writer, list) = list_of(cx, &news)?;
        let entry = news.declared(writer.protected())?;
        writer
            .ensure(&list, entry, Existing::Own)
            .await
            .map_err(failed)?;
        let mut state = news;
        state.account_id = Some(list.account.to_string());
        Ok(state)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        _id: &str,
        state: SplitTunnelEntryArgs,
    ) -> Result<(), ResourceError> {
        let (writer, list) = list_of(cx, &state)?;
        let entry = state.declared(writer.protected())?;
        writer.remove(&list, entry.key).await.map_err(failed)?;
        Ok(())
    }
}
