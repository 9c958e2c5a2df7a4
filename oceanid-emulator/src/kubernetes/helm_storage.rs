//! Helm's release storage as Flux's helm-controller leaves it: one Secret of type
//! `helm.sh/release.v1` per release revision, named `sh.helm.release.v1.<release>.v<revision>`,
//! labelled `owner=helm`, `name`, `status`, `version`, `createdAt`, `modifiedAt`, whose
//! `release` entry holds Helm's bytes `base64(gzip(release JSON))`. In the Secret's JSON (as
//! the API serves it) those bytes are base64-encoded once more, like every Secret value.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

/// One release revision to store.
#[derive(Debug)]
pub(crate) struct ReleaseRevision<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub revision: u32,
    /// `deployed`, `superseded`, `failed`, `pending-install`...
    pub status: &'a str,
    pub chart: &'a str,
    pub chart_version: &'a str,
    pub app_version: &'a str,
    /// RFC 3339.
    pub deployed_at: &'a str,
    /// Unix seconds of `deployed_at`.
    pub deployed_unix: i64,
    /// The values the release was installed with.
    pub values: Value,
    /// The rendered manifest.
    pub manifest: String,
}

/// Helm's bytes for a release: `base64(gzip(json))`.
fn encode_release(release: &Value) -> Vec<u8> {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gzip.write_all(release.to_string().as_bytes());
    let compressed = gzip.finish().unwrap_or_default();
    STANDARD.encode(compressed).into_bytes()
}

impl ReleaseRevision<'_> {
    /// Helm's release record (the JSON inside the Secret).
    fn release(&self) -> Value {
        let description = match (self.status, self.revision) {
            ("deployed", 1) => "Install complete",
            ("deployed", _) => "Upgrade complete",
            ("superseded", _) => "Upgrade complete",
            ("failed", _) => "Release failed",
            _ => "",
        };
        json!({
            "name": self.name,
            "info": {
                "first_deployed": self.deployed_at,
                "last_deployed": self.deployed_at,
                "deleted": "",
                "description": description,
                "status": self.status,
            },
            "chart": {
                "metadata": {
                    "name": self.chart,
                    "version": self.chart_version,
                    "appVersion": self.app_version,
                    "apiVersion": "v2",
                },
                "lock": null,
                "templates": [],
                "values": {},
                "schema": null,
                "files": [],
            },
            "config": self.values,
            "manifest": self.manifest,
            "version": self.revision,
            "namespace": self.namespace,
        })
    }

    /// The storage Secret, as the API serves it.
    pub(crate) fn secret(&self) -> Value {
        let unix = self.deployed_unix.to_string();
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": format!("sh.helm.release.v1.{}.v{}", self.name, self.revision),
                "namespace": self.namespace,
                "creationTimestamp": self.deployed_at,
                "labels": {
                    "owner": "helm",
                    "name": self.name,
                    "status": self.status,
                    "version": self.revision.to_string(),
                    "createdAt": unix,
                    "modifiedAt": unix,
                },
            },
            "type": "helm.sh/release.v1",
            "data": { "release": STANDARD.encode(encode_release(&self.release())) },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;

    #[test]
    fn round_trip() {
        let revision = ReleaseRevision {
            name: "cert-manager",
            namespace: "cert-manager",
            revision: 2,
            status: "deployed",
            chart: "cert-manager",
            chart_version: "v1.17.2",
            app_version: "v1.17.2",
            deployed_at: "2025-07-14T09:30:00Z",
            deployed_unix: 1_752_485_400,
            values: json!({"crds": {"enabled": true}}),
            manifest: "---\n".to_owned(),
        };
        let secret = revision.secret();
        assert_eq!(
            secret["metadata"]["name"],
            "sh.helm.release.v1.cert-manager.v2"
        );
        assert_eq!(secret["metadata"]["labels"]["version"], "2");
        let api_value = secret["data"]["release"].as_str().unwrap();
        let helm_bytes = STANDARD.decode(api_value).unwrap();
        let gzipped = STANDARD.decode(helm_bytes).unwrap();
        let mut json = String::new();
        GzDecoder::new(&gzipped[..])
            .read_to_string(&mut json)
            .unwrap();
        let release: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(release["info"]["status"], "deployed");
        assert_eq!(release["info"]["description"], "Upgrade complete");
        assert_eq!(release["version"], 2);
        assert_eq!(release["chart"]["metadata"]["version"], "v1.17.2");
    }
}
