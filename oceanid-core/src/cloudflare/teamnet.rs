//! Tunnel routes (a CIDR sent to a tunnel, in a virtual network) and virtual networks.

use serde::{Deserialize, Serialize};

use super::ids::{RouteId, TunnelId, VirtualNetworkId};

/// A tunnel route (`teamnet/routes`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TunnelRoute {
    /// The route's id.
    pub id: RouteId,
    /// The CIDR routed.
    pub network: String,
    /// The tunnel it goes to.
    pub tunnel_id: TunnelId,
    /// The virtual network it is in (the default one when absent).
    #[serde(default)]
    pub virtual_network_id: Option<VirtualNetworkId>,
    /// Its comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// When it was made (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it was deleted; `None` for a live route.
    #[serde(default)]
    pub deleted_at: Option<String>,
    /// The tunnel's name (lists only).
    #[serde(default)]
    pub tunnel_name: Option<String>,
    /// The virtual network's name (lists only).
    #[serde(default)]
    pub virtual_network_name: Option<String>,
}

impl TunnelRoute {
    /// Whether the route is live (not deleted).
    #[must_use]
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }
}

/// The body of `POST teamnet/routes` and `PATCH teamnet/routes/{id}`: the fields to set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RouteChange {
    /// The CIDR (required to create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The tunnel (required to create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel_id: Option<TunnelId>,
    /// A comment of at most 100 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The virtual network; the default one when absent on create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_network_id: Option<VirtualNetworkId>,
}

/// A virtual network (`teamnet/virtual_networks`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct VirtualNetwork {
    /// Its id.
    pub id: VirtualNetworkId,
    /// Its name.
    pub name: String,
    /// Its comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Whether routes without a virtual network go here.
    #[serde(default)]
    pub is_default_network: bool,
    /// When it was deleted; `None` for a live one.
    #[serde(default)]
    pub deleted_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_decode_leniently_and_changes_send_only_what_is_set() {
        let route: TunnelRoute = serde_json::from_str(
            r#"{"id":"9a0b","network":"10.42.0.0/16","tunnel_id":"3d1f","virtual_network_id":"f70e","comment":"K3s pods","created_at":"2024-01-01T00:00:00Z","deleted_at":null,"tun_type":"cfd_tunnel","tunnel_name":"operators-k3s","virtual_network_name":"default"}"#,
        )
        .unwrap();
        assert!(route.is_live());
        assert_eq!(route.tunnel_id, "3d1f");
        let minimal: TunnelRoute =
            serde_json::from_str(r#"{"id":"1","network":"10.0.0.0/8","tunnel_id":"t"}"#).unwrap();
        assert_eq!(minimal.virtual_network_id, None);
        let change = RouteChange {
            comment: Some("renamed".into()),
            ..RouteChange::default()
        };
        assert_eq!(
            serde_json::to_string(&change).unwrap(),
            r#"{"comment":"renamed"}"#
        );
        let vnet: VirtualNetwork =
            serde_json::from_str(r#"{"id":"f70e","name":"default","is_default_network":true}"#)
                .unwrap();
        assert!(vnet.is_default_network);
    }
}
