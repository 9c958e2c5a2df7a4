//! The emulated Cloudflare objects: device profiles with their split-tunnel lists, virtual
//! networks, cloudflared tunnels, tunnel routes, zones and DNS records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::seed::CloudflareSeed;
use crate::clock::SEED_TIME;

/// Which list of a device profile is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    /// Only the listed destinations go through WARP.
    Include,
    /// Everything but the listed destinations goes through WARP.
    Exclude,
}

impl Mode {
    /// The path segment and field name of the mode's list.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Mode::Include => "include",
            Mode::Exclude => "exclude",
        }
    }
}

/// One split-tunnel entry: exactly one of `address` and `host`, and a description. Stored and
/// returned as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SplitTunnelEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default)]
    pub description: String,
}

impl SplitTunnelEntry {
    fn address(address: &str, description: &str) -> SplitTunnelEntry {
        SplitTunnelEntry {
            address: Some(address.to_owned()),
            host: None,
            description: description.to_owned(),
        }
    }
}

/// A device settings profile: the default one (`policy_id` `None`) or a custom one.
#[derive(Debug, Clone)]
pub(crate) struct DeviceProfile {
    pub policy_id: Option<String>,
    pub name: String,
    pub description: String,
    pub match_rule: String,
    pub precedence: u32,
    pub enabled: bool,
    pub mode: Mode,
    /// Both lists are kept: the one of the other mode is stored but inert.
    pub include: Vec<SplitTunnelEntry>,
    pub exclude: Vec<SplitTunnelEntry>,
    pub exclude_office_ips: bool,
    pub allow_mode_switch: bool,
    pub switch_locked: bool,
    pub tunnel_protocol: String,
}

impl DeviceProfile {
    /// The list of `mode`.
    pub(crate) fn list(&self, mode: Mode) -> &Vec<SplitTunnelEntry> {
        match mode {
            Mode::Include => &self.include,
            Mode::Exclude => &self.exclude,
        }
    }

    /// The list of `mode`, to replace.
    pub(crate) fn list_mut(&mut self, mode: Mode) -> &mut Vec<SplitTunnelEntry> {
        match mode {
            Mode::Include => &mut self.include,
            Mode::Exclude => &mut self.exclude,
        }
    }

    /// The profile as the API shows it: only the list of its mode is present.
    pub(crate) fn view(&self) -> Value {
        let mut view = json!({
            "default": self.policy_id.is_none(),
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "exclude_office_ips": self.exclude_office_ips,
            "allow_mode_switch": self.allow_mode_switch,
            "switch_locked": self.switch_locked,
            "tunnel_protocol": self.tunnel_protocol,
            "service_mode_v2": {"mode": "warp"},
            "fallback_domains": [],
            "gateway_unique_id": "0ceda1d0e3a7e5eed0000000000000ff",
            "profile_type": "warp",
        });
        if let Some(map) = view.as_object_mut() {
            if let Some(id) = &self.policy_id {
                map.insert("policy_id".into(), json!(id));
                map.insert("match".into(), json!(self.match_rule));
                map.insert("precedence".into(), json!(self.precedence));
            }
            map.insert(self.mode.key().into(), json!(self.list(self.mode)));
        }
        view
    }

    /// The profile with both lists and its mode, for `GET /__emulator/state`.
    fn dump(&self) -> Value {
        let mut view = self.view();
        if let Some(map) = view.as_object_mut() {
            map.insert("mode".into(), json!(self.mode));
            map.insert("include".into(), json!(self.include));
            map.insert("exclude".into(), json!(self.exclude));
        }
        view
    }
}

/// A virtual network.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VirtualNetwork {
    pub id: String,
    pub name: String,
    pub comment: String,
    pub is_default_network: bool,
    pub created_at: String,
    pub deleted_at: Option<String>,
}

/// One connection of a cloudflared tunnel to the edge.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TunnelConnection {
    pub id: String,
    pub colo_name: String,
    pub is_pending_reconnect: bool,
    pub origin_ip: String,
    pub opened_at: String,
    pub client_id: String,
    pub client_version: String,
    pub uuid: String,
}

impl TunnelConnection {
    /// The operators' cloudflared client's connection number `n`, to the data centre `colo`.
    pub(crate) fn numbered(n: usize, colo: &str) -> TunnelConnection {
        let id = format!("1f2e3d4c-5b6a-4798-8a9b-0ceda1d0c{n:03}");
        TunnelConnection {
            id: id.clone(),
            colo_name: colo.to_owned(),
            is_pending_reconnect: false,
            origin_ip: "157.173.210.123".to_owned(),
            opened_at: SEED_TIME.to_owned(),
            client_id: "5e4d3c2b-1a09-4f8e-9d7c-0ceda1d0c11e".to_owned(),
            client_version: "2025.2.0".to_owned(),
            uuid: id,
        }
    }
}

/// A cloudflared tunnel.
#[derive(Debug, Clone)]
pub(crate) struct Tunnel {
    pub id: String,
    pub name: String,
    pub status: String,
    pub created_at: String,
    pub deleted_at: Option<String>,
    pub connections: Vec<TunnelConnection>,
}

impl Tunnel {
    /// The tunnel as `cfd_tunnel` shows it.
    pub(crate) fn view(&self, account_id: &str) -> Value {
        json!({
            "id": self.id,
            "account_tag": account_id,
            "name": self.name,
            "status": self.status,
            "tun_type": "cfd_tunnel",
            "remote_config": true,
            "created_at": self.created_at,
            "deleted_at": self.deleted_at,
            "connections": self.connections,
            "conns_active_at": self.connections.first().map(|c| c.opened_at.clone()),
            "conns_inactive_at": if self.connections.is_empty() { json!(SEED_TIME) } else { Value::Null },
            "metadata": {},
        })
    }

    /// `cfd_tunnel/{id}/connections`: the tunnel's cloudflared clients, each with its
    /// connections.
    pub(crate) fn clients(&self) -> Value {
        let mut clients: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut versions: BTreeMap<&str, &str> = BTreeMap::new();
        for c in &self.connections {
            versions.insert(&c.client_id, &c.client_version);
            clients.entry(&c.client_id).or_default().push(json!({
                "id": c.id,
                "uuid": c.uuid,
                "colo_name": c.colo_name,
                "is_pending_reconnect": c.is_pending_reconnect,
                "origin_ip": c.origin_ip,
                "opened_at": c.opened_at,
                "client_id": c.client_id,
                "client_version": c.client_version,
            }));
        }
        Value::Array(
            clients
                .into_iter()
                .map(|(id, conns)| {
                    let run_at = conns.first().map(|c| c["opened_at"].clone());
                    json!({
                        "id": id,
                        "arch": "linux_amd64",
                        "version": versions.get(id).copied().unwrap_or_default(),
                        "config_version": 1,
                        "features": ["ha-origin", "serialized_headers"],
                        "run_at": run_at,
                        "conns": conns,
                    })
                })
                .collect(),
        )
    }
}

/// A tunnel route: a CIDR sent to a tunnel, in a virtual network.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TunnelRoute {
    pub id: String,
    pub network: String,
    pub tunnel_id: String,
    pub virtual_network_id: String,
    pub comment: String,
    pub created_at: String,
    pub deleted_at: Option<String>,
}

/// A zone.
#[derive(Debug, Clone)]
pub(crate) struct Zone {
    pub id: String,
    pub name: String,
}

impl Zone {
    /// The zone as `GET /zones` shows it.
    pub(crate) fn view(&self, account_id: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "status": "active",
            "paused": false,
            "type": "full",
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "account": {"id": account_id, "name": "Operators"},
            "created_on": SEED_TIME,
            "modified_on": SEED_TIME,
        })
    }
}

/// A DNS record.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DnsRecord {
    pub id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub proxied: bool,
    pub proxiable: bool,
    pub ttl: u32,
    pub comment: Option<String>,
    pub tags: Vec<String>,
    pub created_on: String,
    pub modified_on: String,
}

/// Every emulated Cloudflare object of the one account.
#[derive(Debug, Clone)]
pub(crate) struct CloudflareStore {
    pub account_id: String,
    pub default_profile: DeviceProfile,
    /// Custom profiles by id, in creation order.
    pub custom_profiles: Vec<DeviceProfile>,
    pub virtual_networks: Vec<VirtualNetwork>,
    pub tunnels: Vec<Tunnel>,
    /// In creation order; deleted ones stay, with `deleted_at`.
    pub routes: Vec<TunnelRoute>,
    pub zones: Vec<Zone>,
    /// In creation order.
    pub dns_records: Vec<DnsRecord>,
}

impl CloudflareStore {
    /// The operators' account as seeded.
    pub(crate) fn seeded(seed: &CloudflareSeed) -> CloudflareStore {
        let operator_descriptions = ["K3s pods", "K3s services", "GPU node calypso"];
        let mut include: Vec<SplitTunnelEntry> = seed
            .foreign_cidrs
            .iter()
            .map(|cidr| SplitTunnelEntry::address(cidr, seed.foreign_description))
            .collect();
        include.extend(
            seed.operator_cidrs
                .iter()
                .zip(operator_descriptions)
                .map(|(cidr, description)| SplitTunnelEntry::address(cidr, description)),
        );
        let default_profile = DeviceProfile {
            policy_id: None,
            name: "Default".to_owned(),
            description: "The account's default device settings".to_owned(),
            match_rule: String::new(),
            precedence: 0,
            enabled: true,
            mode: Mode::Include,
            include,
            exclude: Vec::new(),
            exclude_office_ips: false,
            allow_mode_switch: false,
            switch_locked: false,
            tunnel_protocol: "wireguard".to_owned(),
        };
        let custom = DeviceProfile {
            policy_id: Some(seed.custom_policy_id.to_owned()),
            name: seed.custom_policy_name.to_owned(),
            description: "Contractors' laptops: everything but local networks through WARP"
                .to_owned(),
            match_rule: "identity.email matches \".*@contractors.example\"".to_owned(),
            precedence: 100,
            enabled: true,
            mode: Mode::Exclude,
            include: Vec::new(),
            exclude: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10"]
                .iter()
                .map(|cidr| SplitTunnelEntry::address(cidr, ""))
                .collect(),
            exclude_office_ips: false,
            allow_mode_switch: false,
            switch_locked: false,
            tunnel_protocol: "wireguard".to_owned(),
        };
        let tunnel = Tunnel {
            id: seed.tunnel_id.to_owned(),
            name: seed.tunnel_name.to_owned(),
            status: "healthy".to_owned(),
            created_at: SEED_TIME.to_owned(),
            deleted_at: None,
            connections: vec![
                TunnelConnection::numbered(1, "fra06"),
                TunnelConnection::numbered(2, "ams01"),
            ],
        };
        let routes = seed
            .operator_cidrs
            .iter()
            .zip(seed.route_ids)
            .zip(operator_descriptions)
            .map(|((cidr, id), comment)| TunnelRoute {
                id: id.to_owned(),
                network: (*cidr).to_owned(),
                tunnel_id: seed.tunnel_id.to_owned(),
                virtual_network_id: seed.virtual_network_id.to_owned(),
                comment: comment.to_owned(),
                created_at: SEED_TIME.to_owned(),
                deleted_at: None,
            })
            .collect();
        let zone = Zone {
            id: seed.zone_id.to_owned(),
            name: seed.zone_name.to_owned(),
        };
        let record =
            |id: &str, name: String, kind: &str, content: String, proxied: bool| DnsRecord {
                id: id.to_owned(),
                zone_id: zone.id.clone(),
                zone_name: zone.name.clone(),
                name,
                kind: kind.to_owned(),
                content,
                proxied,
                proxiable: kind != "TXT",
                ttl: 1,
                comment: None,
                tags: Vec::new(),
                created_on: SEED_TIME.to_owned(),
                modified_on: SEED_TIME.to_owned(),
            };
        let dns_records = vec![
            record(
                seed.dns_record_ids[0],
                seed.zone_name.to_owned(),
                "A",
                "157.173.210.123".to_owned(),
                false,
            ),
            record(
                seed.dns_record_ids[1],
                format!("srv712695.{}", seed.zone_name),
                "A",
                "191.101.1.3".to_owned(),
                false,
            ),
            record(
                seed.dns_record_ids[2],
                format!("app.{}", seed.zone_name),
                "CNAME",
                format!("{}.cfargotunnel.com", seed.tunnel_id),
                true,
            ),
            record(
                seed.dns_record_ids[3],
                format!("_oceanid.{}", seed.zone_name),
                "TXT",
                "\"managed-by=oceanid\"".to_owned(),
                false,
            ),
        ];
        CloudflareStore {
            account_id: seed.account_id.to_owned(),
            default_profile,
            custom_profiles: vec![custom],
            virtual_networks: vec![VirtualNetwork {
                id: seed.virtual_network_id.to_owned(),
                name: "default".to_owned(),
                comment: "The account's default virtual network".to_owned(),
                is_default_network: true,
                created_at: SEED_TIME.to_owned(),
                deleted_at: None,
            }],
            tunnels: vec![tunnel],
            routes,
            zones: vec![zone],
            dns_records,
        }
    }

    /// Every object, for `GET /__emulator/state`.
    pub(crate) fn dump(&self) -> Value {
        json!({
            "account_id": self.account_id,
            "default_profile": self.default_profile.dump(),
            "custom_profiles": self.custom_profiles.iter().map(DeviceProfile::dump).collect::<Vec<_>>(),
            "virtual_networks": self.virtual_networks,
            "tunnels": self.tunnels.iter().map(|t| t.view(&self.account_id)).collect::<Vec<_>>(),
            "routes": self.routes,
            "zones": self.zones.iter().map(|z| z.view(&self.account_id)).collect::<Vec<_>>(),
            "dns_records": self.dns_records,
        })
    }
}
