//! `GET /postgres-versions`: Postgres major versions available for clusters.

use serde::{Deserialize, Serialize};

use super::{Bridge, Error, PostgresVersionId};

/// A Postgres major version (`PostgresVersion`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PostgresVersion {
    /// The version's EID.
    pub id: PostgresVersionId,
    /// Name shown to users.
    #[serde(default)]
    pub display_name: String,
    /// Whether new clusters get this version by default.
    #[serde(default)]
    pub is_default: bool,
    /// The major version number.
    pub major_version: i32,
}

#[derive(Deserialize)]
struct PostgresVersionList {
    postgres_versions: Vec<PostgresVersion>,
}

/// `bridge.postgres_versions()`: available Postgres versions (answers without an API key too).
#[derive(Clone, Debug)]
pub struct PostgresVersionsHandler {
    bridge: Bridge,
}

impl PostgresVersionsHandler {
    pub(crate) fn new(bridge: Bridge) -> Self {
        Self { bridge }
    }

    /// Every available version.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn list(&self) -> Result<Vec<PostgresVersion>, Error> {
        let list: PostgresVersionList = self.bridge.get_json(&["postgres-versions"]).await?;
        Ok(list.postgres_versions)
    }

    /// One version, by EID or major number (`"17"`).
    ///
    /// # Errors
    /// 404 for an unknown version; any other [`Error`].
    pub async fn get(&self, id_or_major: &str) -> Result<PostgresVersion, Error> {
        self.bridge
            .get_json(&["postgres-versions", id_or_major])
            .await
    }
}
