//! Cloudflared tunnels, their status and their connections to Cloudflare's edge.

use serde::Deserialize;

use super::envelope::null_as_empty;
use super::ids::TunnelId;

/// One connection of a cloudflared client to a Cloudflare data centre.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TunnelConnection {
    /// The connection's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The data centre (`fra06`).
    #[serde(default)]
    pub colo_name: Option<String>,
    /// Whether it is about to reconnect (not serving meanwhile).
    #[serde(default)]
    pub is_pending_reconnect: bool,
    /// The address cloudflared connects from.
    #[serde(default)]
    pub origin_ip: Option<String>,
    /// When it opened (RFC 3339).
    #[serde(default)]
    pub opened_at: Option<String>,
    /// The cloudflared client it belongs to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// That client's version.
    #[serde(default)]
    pub client_version: Option<String>,
}

/// A cloudflared tunnel (`cfd_tunnel`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Tunnel {
    /// Its id.
    pub id: TunnelId,
    /// Its name.
    pub name: String,
    /// `healthy`, `degraded`, `down` or `inactive` (as sent).
    #[serde(default)]
    pub status: Option<String>,
    /// Its live connections.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub connections: Vec<TunnelConnection>,
    /// When it was made (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it was deleted; `None` for a live tunnel.
    #[serde(default)]
    pub deleted_at: Option<String>,
}

impl Tunnel {
    /// Whether it serves traffic: status `healthy` and at least one connection that is not
    /// about to reconnect.
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        self.deleted_at.is_none()
            && self.status.as_deref() == Some("healthy")
            && self.connections.iter().any(|c| !c.is_pending_reconnect)
    }
}

/// One cloudflared client of a tunnel, with its connections (`cfd_tunnel/{id}/connections`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TunnelClient {
    /// The client's id.
    pub id: String,
    /// Its cloudflared version.
    #[serde(default)]
    pub version: Option<String>,
    /// Its platform (`linux_amd64`).
    #[serde(default)]
    pub arch: Option<String>,
    /// When it started (RFC 3339).
    #[serde(default)]
    pub run_at: Option<String>,
    /// Its connections.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub conns: Vec<TunnelConnection>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_needs_status_and_a_serving_connection() {
        let tunnel = |json: &str| serde_json::from_str::<Tunnel>(json).unwrap();
        let healthy = tunnel(
            r#"{"id":"3d1f","name":"operators-k3s","status":"healthy","tun_type":"cfd_tunnel","connections":[{"id":"c1","colo_name":"fra06","is_pending_reconnect":false,"origin_ip":"157.173.210.123","opened_at":"2024-01-01T00:00:00Z","client_id":"5e4d","client_version":"2025.2.0","uuid":"c1"}]}"#,
        );
        assert!(healthy.is_healthy());
        assert!(
            !tunnel(r#"{"id":"t","name":"n","status":"healthy","connections":null}"#).is_healthy()
        );
        assert!(
            !tunnel(r#"{"id":"t","name":"n","status":"down","connections":[{"id":"c"}]}"#)
                .is_healthy()
        );
        assert!(
            !tunnel(r#"{"id":"t","name":"n","status":"healthy","connections":[{"id":"c","is_pending_reconnect":true}]}"#)
                .is_healthy()
        );
        let clients: Vec<TunnelClient> = serde_json::from_str(
            r#"[{"id":"5e4d","arch":"linux_amd64","version":"2025.2.0","conns":[{"id":"c1"},{"id":"c2"}],"features":[]}]"#,
        )
        .unwrap();
        assert_eq!(clients[0].conns.len(), 2);
    }
}
