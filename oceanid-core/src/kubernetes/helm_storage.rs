//! Helm's release storage: Secrets of type `helm.sh/release.v1` named
//! `sh.helm.release.v1.<release>.v<revision>`, whose `data.release` is base64 of gzip of the
//! release JSON (inside the Secret's own base64).

use std::io::Read;

use base64::Engine;
use flate2::read::GzDecoder;
use k8s_openapi::api::core::v1::Secret;
use serde::{Deserialize, Serialize};

/// The Secret type Helm 3 stores releases as.
pub const RELEASE_SECRET_TYPE: &str = "helm.sh/release.v1";
/// The label selector of release Secrets.
pub const RELEASE_SECRET_LABELS: &str = "owner=helm";
/// The most bytes a release JSON may decompress to (a release holds its rendered manifest).
pub const MAX_RELEASE_JSON_BYTES: u64 = 16 * 1024 * 1024;

/// One stored release revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredRelease {
    /// The release name.
    pub name: String,
    /// The release's namespace (where its objects go).
    pub namespace: String,
    /// The revision.
    pub version: i64,
    /// `deployed`, `superseded`, `failed`, `pending-install`, `pending-upgrade`, …
    pub status: String,
    /// The Secret's namespace (the storage namespace).
    pub secret_namespace: String,
    /// The Secret's name.
    pub secret_name: String,
}

impl StoredRelease {
    /// True for `pending-install`, `pending-upgrade` and `pending-rollback`: an operation that
    /// never finished, which makes Helm refuse the next one.
    pub fn is_pending(&self) -> bool {
        self.status.starts_with("pending-")
    }
}

#[derive(Deserialize)]
struct ReleaseJson {
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    info: ReleaseInfo,
}

#[derive(Deserialize, Default)]
struct ReleaseInfo {
    #[serde(default)]
    status: String,
}

/// Decodes one release Secret.
///
/// # Errors
/// A reason naming the Secret when `data.release` is missing, not base64, not gzip or not a
/// release JSON.
pub fn decode_release_secret(secret: &Secret) -> Result<StoredRelease, String> {
    let secret_namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let secret_name = secret.metadata.name.clone().unwrap_or_default();
    let whose = format!("Helm release Secret {secret_namespace}/{secret_name}");
    let raw = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .ok_or_else(|| format!("{whose} has no data.release"))?;
    let text: Vec<u8> = raw
        .0
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map_err(|e| format!("{whose}: data.release is not base64 ({e})"))?;
    let json = if compressed.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_RELEASE_JSON_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| format!("{whose}: data.release is not valid gzip ({e})"))?;
        out
    } else {
        compressed
    };
    let release: ReleaseJson = serde_json::from_slice(&json)
        .map_err(|e| format!("{whose}: data.release is not a Helm release ({e})"))?;
    Ok(StoredRelease {
        name: release.name,
        namespace: release.namespace,
        version: release.version,
        status: release.info.status,
        secret_namespace,
        secret_name,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, write::GzEncoder};
    use k8s_openapi::ByteString;

    use super::*;

    fn secret_with(release: &[u8]) -> Secret {
        let mut secret = Secret::default();
        secret.metadata.namespace = Some("flux-system".into());
        secret.metadata.name = Some("sh.helm.release.v1.podinfo.v1".into());
        secret.data = Some([("release".to_owned(), ByteString(release.to_vec()))].into());
        secret
    }

    #[test]
    fn decodes_base64_gzip_json() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(
            br#"{"name":"podinfo","namespace":"apps","version":3,"info":{"status":"deployed"}}"#,
        )
        .expect("gzip");
        let encoded = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
        let release = decode_release_secret(&secret_with(encoded.as_bytes())).expect("decodes");
        assert_eq!(
            (
                release.name.as_str(),
                release.namespace.as_str(),
                release.version
            ),
            ("podinfo", "apps", 3)
        );
        assert_eq!(release.status, "deployed");
        assert!(!release.is_pending());
    }

    #[test]
    fn garbage_is_a_reason_naming_the_secret() {
        let err = decode_release_secret(&secret_with(b"!!!")).expect_err("not base64");
        assert!(
            err.contains("flux-system/sh.helm.release.v1.podinfo.v1") && err.contains("not base64"),
            "{err}"
        );
        let not_gzip = base64::engine::general_purpose::STANDARD.encode([0x1f, 0x8b, 0, 1, 2]);
        let err = decode_release_secret(&secret_with(not_gzip.as_bytes())).expect_err("not gzip");
        assert!(err.contains("gzip"), "{err}");
    }
}
