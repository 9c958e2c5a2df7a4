//! Zones and DNS records.

use serde::{Deserialize, Serialize};

use super::envelope::null_as_empty;
use super::ids::{DnsRecordId, ZoneId};

/// A zone (`zones`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Zone {
    /// Its id.
    pub id: ZoneId,
    /// Its name (`example.com`).
    pub name: String,
    /// `active`, `pending`, ... (as sent).
    #[serde(default)]
    pub status: Option<String>,
}

/// A DNS record (`zones/{id}/dns_records`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DnsRecord {
    /// Its id.
    pub id: DnsRecordId,
    /// The fully qualified name.
    pub name: String,
    /// `A`, `AAAA`, `CNAME`, `TXT`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The value (an address, a target name, text).
    pub content: String,
    /// Whether traffic goes through Cloudflare's proxy.
    #[serde(default)]
    pub proxied: Option<bool>,
    /// TTL in seconds; 1 is automatic.
    #[serde(default)]
    pub ttl: Option<u32>,
    /// Its comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Its tags.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

/// The body of `POST`/`PATCH …/dns_records[/{id}]`: the fields to set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DnsRecordChange {
    /// `A`, `AAAA`, `CNAME`, ... (required to create).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The name, relative or fully qualified (required to create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value (required to create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// TTL in seconds, 1 for automatic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Whether to proxy (A, AAAA and CNAME only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    /// A comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_decode_leniently() {
        let record: DnsRecord = serde_json::from_str(
            r#"{"id":"0ced","zone_id":"z","zone_name":"oceanid-operators.example","name":"app.oceanid-operators.example","type":"CNAME","content":"3d1f.cfargotunnel.com","proxied":true,"proxiable":true,"ttl":1,"comment":null,"tags":null,"meta":{}}"#,
        )
        .unwrap();
        assert_eq!(record.kind, "CNAME");
        assert_eq!(record.proxied, Some(true));
        assert!(record.tags.is_empty());
        let change = DnsRecordChange {
            kind: Some("A".into()),
            name: Some("gpu".into()),
            content: Some("192.168.2.10".into()),
            ..DnsRecordChange::default()
        };
        assert_eq!(
            serde_json::to_string(&change).unwrap(),
            r#"{"type":"A","name":"gpu","content":"192.168.2.10"}"#
        );
    }
}
