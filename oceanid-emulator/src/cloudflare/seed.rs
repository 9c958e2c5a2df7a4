//! The ids and names of the seeded Cloudflare objects: the operators' account.

use serde::Serialize;

/// Ids of the seeded Cloudflare objects: the same in every emulator and again after
/// `POST /__emulator/reset`.
///
/// The account's default device profile is in Include mode with the operators' three CIDRs
/// ([`CloudflareSeed::operator_cidrs`]) and the other team's two
/// ([`CloudflareSeed::foreign_cidrs`], described [`CloudflareSeed::foreign_description`]); a
/// custom profile is in Exclude mode; a healthy tunnel with two connections has a route for
/// each operator CIDR in the default virtual network; a zone holds a few DNS records.
///
/// ```
/// let seed = oceanid_emulator::CloudflareSeed::new();
/// assert_eq!(seed.operator_cidrs[0], "10.42.0.0/16");
/// assert_eq!(seed.account_id.len(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CloudflareSeed {
    /// The operators' account (`/client/v4/accounts/{account_id}/…`).
    pub account_id: &'static str,
    /// The id `tokens/verify` reports for the accepted token.
    pub token_id: &'static str,
    /// The custom device profile, in Exclude mode.
    pub custom_policy_id: &'static str,
    /// The custom profile's name.
    pub custom_policy_name: &'static str,
    /// The pods, services and GPU-node CIDRs, in this order in the default profile's include
    /// list (after the foreign ones) and each with a tunnel route.
    pub operator_cidrs: [&'static str; 3],
    /// The other team's CIDRs, first in the default profile's include list.
    pub foreign_cidrs: [&'static str; 2],
    /// The description of the foreign entries.
    pub foreign_description: &'static str,
    /// The healthy cloudflared tunnel.
    pub tunnel_id: &'static str,
    /// Its name.
    pub tunnel_name: &'static str,
    /// The tunnel routes of [`CloudflareSeed::operator_cidrs`], in the same order.
    pub route_ids: [&'static str; 3],
    /// The default virtual network.
    pub virtual_network_id: &'static str,
    /// The zone.
    pub zone_id: &'static str,
    /// The zone's name.
    pub zone_name: &'static str,
    /// The zone's DNS records: an A record for the apex, an A record for `srv712695`, a proxied
    /// CNAME `app` to the tunnel, and a TXT record.
    pub dns_record_ids: [&'static str; 4],
}

impl CloudflareSeed {
    /// The seed every emulator uses.
    pub const fn new() -> CloudflareSeed {
        CloudflareSeed {
            account_id: "0ceda1d0e3a7e5eed0000000000000a1",
            token_id: "0ceda1d0e3a7e5eed00000000000070c",
            custom_policy_id: "6c0a1f5e-3b2d-4f8e-9a71-0ceda1d00001",
            custom_policy_name: "Contractors",
            operator_cidrs: ["10.42.0.0/16", "10.43.0.0/16", "192.168.2.0/24"],
            foreign_cidrs: ["172.20.0.0/16", "172.21.0.0/16"],
            foreign_description: "Manowar network (do not modify)",
            tunnel_id: "3d1f0e2a-5c4b-4a9d-8e7f-0ceda1d07071",
            tunnel_name: "operators-k3s",
            route_ids: [
                "9a0b1c2d-0000-4e5f-8a9b-0ceda1d0a001",
                "9a0b1c2d-0000-4e5f-8a9b-0ceda1d0a002",
                "9a0b1c2d-0000-4e5f-8a9b-0ceda1d0a003",
            ],
            virtual_network_id: "f70e1d2c-3b4a-4596-8877-0ceda1d0e001",
            zone_id: "0ceda1d0e3a7e5eed0000000000020e1",
            zone_name: "oceanid-operators.example",
            dns_record_ids: [
                "0ceda1d0e3a7e5eed000000000d05001",
                "0ceda1d0e3a7e5eed000000000d05002",
                "0ceda1d0e3a7e5eed000000000d05003",
                "0ceda1d0e3a7e5eed000000000d05004",
            ],
        }
    }
}

impl Default for CloudflareSeed {
    fn default() -> CloudflareSeed {
        CloudflareSeed::new()
    }
}
