//! Clusters: list (every page), get, create, update, delete, status, upgrades and HA.

use futures::{Stream, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::{
    Bridge, ClusterId, Deletion, Error, IdempotencyKey, ListParams, NetworkId, Page, PlanId,
    PostgresVersionId, ProviderId, RegionId, TeamId, list_body,
};

open_enum!(
    /// A cluster's state (`ClusterState`). New states appear over time: they decode as
    /// [`ClusterState::Other`].
    ClusterState {
        /// Being provisioned.
        Creating = "creating",
        /// Provisioning failed (terminal).
        CreationFailed = "creation_failed",
        /// Being deleted.
        Destroying = "destroying",
        /// Failed (terminal).
        Failed = "failed",
        /// Finishing provisioning.
        Finalizing = "finalizing",
        /// Serving.
        Ready = "ready",
        /// Replaying WAL.
        Replaying = "replaying",
        /// Restarting.
        Restarting = "restarting",
        /// Restoring from backup.
        Restoring = "restoring",
        /// Resuming from suspension.
        Resuming = "resuming",
        /// Starting.
        Starting = "starting",
        /// Suspended.
        Suspended = "suspended",
        /// Being suspended.
        Suspending = "suspending",
    }
);

impl ClusterState {
    /// Whether the cluster serves connections.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready)
    }

    /// Whether the cluster ended in a failure it will not leave by itself (`creation_failed`,
    /// `failed`): waiting for `ready` must stop with an error.
    #[must_use]
    pub fn is_terminal_failure(&self) -> bool {
        matches!(self, Self::CreationFailed | Self::Failed)
    }
}

open_enum!(
    /// What a cluster operation does (`ClusterOperation.flavor`).
    OperationFlavor {
        /// Automatic storage growth.
        AutoResize = "auto_resize",
        /// Enabling or disabling HA.
        HaChange = "ha_change",
        /// Maintenance.
        Maintenance = "maintenance",
        /// Major-version upgrade.
        MajorVersionUpgrade = "major_version_upgrade",
        /// Periodic maintenance.
        PeriodicMaintenance = "periodic_maintenance",
        /// Re-keying.
        Rekey = "rekey",
        /// Plan or storage change.
        Resize = "resize",
    }
);

open_enum!(
    /// Where a cluster operation is (`ClusterOperation.state`).
    OperationState {
        /// Being cancelled.
        Canceling = "canceling",
        /// Creating.
        Creating = "creating",
        /// Creation failed.
        CreationFailed = "creation_failed",
        /// Destroying.
        Destroying = "destroying",
        /// Disabling HA.
        DisablingHa = "disabling_ha",
        /// Enabling HA.
        EnablingHa = "enabling_ha",
        /// Failing over.
        FailingOver = "failing_over",
        /// Finalizing.
        Finalizing = "finalizing",
        /// In progress.
        InProgress = "in_progress",
        /// Done.
        Ready = "ready",
        /// Replaying.
        Replaying = "replaying",
        /// Restarting.
        Restarting = "restarting",
        /// Restoring.
        Restoring = "restoring",
        /// Resuming.
        Resuming = "resuming",
        /// Starting.
        Starting = "starting",
        /// Suspended.
        Suspended = "suspended",
        /// Suspending.
        Suspending = "suspending",
        /// Waiting for the HA standby.
        WaitingForHaStandby = "waiting_for_ha_standby",
    }
);

open_enum!(
    /// How a new cluster's new network starts (`firewall_mode`).
    FirewallMode {
        /// With the allow-all rules (the default).
        AllowAll = "allow_all",
        /// With no rules.
        DenyAll = "deny_all",
    }
);

/// Ongoing work on a cluster (`ClusterOperation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterOperation {
    /// What the operation does.
    pub flavor: OperationFlavor,
    /// Where it is.
    pub state: OperationState,
    /// When it starts, if scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_from: Option<String>,
}

/// Disk usage (`ClusterDiskUsage`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskUsage {
    /// Available MB.
    #[serde(default)]
    pub disk_available_mb: i64,
    /// Total MB.
    #[serde(default)]
    pub disk_total_size_mb: i64,
    /// Used MB.
    #[serde(default)]
    pub disk_used_mb: i64,
}

/// A cluster (`Cluster`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// The cluster's EID.
    pub id: ClusterId,
    /// Its name.
    pub name: String,
    /// The owning team.
    pub team_id: TeamId,
    /// The plan.
    #[serde(default)]
    pub plan_id: PlanId,
    /// The cloud provider.
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// The region.
    #[serde(default)]
    pub region_id: RegionId,
    /// Storage in GB.
    #[serde(default)]
    pub storage: i64,
    /// Whether HA is on.
    #[serde(default)]
    pub is_ha: bool,
    /// Whether delete is refused.
    #[serde(default)]
    pub is_protected: bool,
    /// Whether suspended.
    #[serde(default)]
    pub is_suspended: bool,
    /// Postgres major version (compare versions on this).
    #[serde(default)]
    pub major_version: i32,
    /// Postgres version EID.
    #[serde(default)]
    pub postgres_version_id: Option<PostgresVersionId>,
    /// Memory in GB.
    #[serde(default)]
    pub memory: f64,
    /// Virtual CPUs.
    #[serde(default)]
    pub vcpu: f64,
    /// Host name (`p.<id>.db.postgresbridge.com`).
    #[serde(default)]
    pub host: Option<String>,
    /// The network the cluster is in.
    #[serde(default)]
    pub network_id: Option<NetworkId>,
    /// Current state.
    #[serde(default)]
    pub state: Option<ClusterState>,
    /// Maintenance window start hour (UTC, 0-23).
    #[serde(default)]
    pub maintenance_window_start: Option<i32>,
    /// `production` or none.
    #[serde(default)]
    pub environment: Option<String>,
    /// The parent of a replica or fork.
    #[serde(default)]
    pub parent_id: Option<ClusterId>,
    /// Replicas of this cluster.
    #[serde(default)]
    pub replicas: Option<Vec<Cluster>>,
    /// Ongoing operations.
    #[serde(default)]
    pub ongoing_operations: Option<Vec<ClusterOperation>>,
    /// Deprecated disk usage.
    #[serde(default)]
    pub disk_usage: Option<DiskUsage>,
    /// Availability zone.
    #[serde(default)]
    pub zone: Option<String>,
    /// When the cluster may be reaped.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// When created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When last updated.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The answer of `GET /clusters/{id}/status` (`ClusterStatus`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// Current state.
    #[serde(default)]
    pub state: Option<ClusterState>,
    /// Disk usage (null before collection).
    #[serde(default)]
    pub disk_usage: Option<DiskUsage>,
    /// Oldest restorable point.
    #[serde(default)]
    pub oldest_backup_at: Option<String>,
    /// Oldest restorable LSN.
    #[serde(default)]
    pub oldest_backup_lsn: Option<String>,
    /// Upgrade work under way.
    #[serde(default)]
    pub ongoing_upgrade: Option<ClusterUpgrade>,
}

/// Planned and active upgrade work (`ClusterUpgrade`); no operations means none remains.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterUpgrade {
    /// The cluster.
    pub cluster_id: ClusterId,
    /// The team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Operations planned or under way.
    #[serde(default)]
    pub operations: Vec<ClusterOperation>,
}

impl ClusterUpgrade {
    /// Whether no work remains.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.operations.is_empty()
    }
}

/// A Postgres version in a request: a major number or a version EID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PostgresVersionSelector {
    /// A major version number, such as 17.
    Major(u32),
    /// A version EID.
    Id(PostgresVersionId),
}

impl From<u32> for PostgresVersionSelector {
    fn from(v: u32) -> Self {
        Self::Major(v)
    }
}

impl From<PostgresVersionId> for PostgresVersionSelector {
    fn from(v: PostgresVersionId) -> Self {
        Self::Id(v)
    }
}

/// The body of `POST /clusters` (`ClusterCreateRequest`). `network_id` excludes
/// `provider_id`, `network_cidr4` and `firewall_mode`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateCluster {
    /// Name.
    pub name: String,
    /// Plan.
    pub plan_id: PlanId,
    /// Owning team.
    pub team_id: TeamId,
    /// Cloud provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ProviderId>,
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_id: Option<RegionId>,
    /// Storage in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<u32>,
    /// Whether HA is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_ha: Option<bool>,
    /// Postgres version (major number or EID); the current default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres_version_id: Option<PostgresVersionSelector>,
    /// An existing network to join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_id: Option<NetworkId>,
    /// The IPv4 range of a new network (RFC 1918, prefix at most /20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_cidr4: Option<String>,
    /// How a new network's firewall starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall_mode: Option<FirewallMode>,
    /// `production`, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Maintenance window start hour (UTC, 0-23).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window_start: Option<i32>,
}

impl CreateCluster {
    /// A request with the three required fields.
    #[must_use]
    pub fn new(name: impl Into<String>, plan_id: PlanId, team_id: TeamId) -> Self {
        Self {
            name: name.into(),
            plan_id,
            team_id,
            ..Self::default()
        }
    }
}

/// The body of `PATCH /clusters/{id}` (`ClusterUpdateRequest`); absent fields are unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateCluster {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Refuse deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_protected: Option<bool>,
    /// Maintenance window start hour; -1 removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window_start: Option<i32>,
    /// `production`, or `""` to clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// The body of `POST /clusters/{id}/upgrade` (`ClusterUpgradeCreateRequest`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpgradeCluster {
    /// New plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<PlanId>,
    /// New Postgres version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres_version_id: Option<PostgresVersionSelector>,
    /// New storage in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<u32>,
    /// Scheduled start (RFC 3339, under 72 h ahead); the maintenance window when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_from: Option<String>,
}

list_body!(ClusterList, clusters, Cluster);

/// `bridge.clusters()`: clusters visible to the caller.
#[derive(Clone, Debug)]
pub struct ClustersHandler {
    bridge: Bridge,
}

/// What an idempotency key holds, as [`ClustersHandler::probe_create_key`] found out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    /// 409: the key carries another request (a create made with it within the hour, or one
    /// still running), so a create sent with it cannot make a new cluster.
    HoldsOtherRequest,
    /// The replayed refusal of an earlier probe: the key made no cluster, and a create sent
    /// with it gets 409.
    HoldsProbe,
    /// The key was unused; this probe's refusal now holds it.
    TakenByProbe,
    /// Bridge accepted the empty create (it never should); nothing can be concluded.
    Accepted,
}

impl ClustersHandler {
    pub(crate) fn new(bridge: Bridge) -> Self {
        Self { bridge }
    }

    /// Every cluster, fetching pages as the stream is read.
    pub fn stream(&self) -> impl Stream<Item = Result<Cluster, Error>> + Send + 'static {
        self.stream_with(ListParams::default())
    }

    /// Every cluster matching `params` (team, page size, order), all pages.
    pub fn stream_with(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Cluster, Error>> + Send + 'static {
        self.bridge
            .list_stream::<ClusterList, Cluster>(vec!["clusters".into()], params)
    }

    /// Every cluster, all pages, collected.
    ///
    /// # Errors
    /// Any [`Error`] from a page.
    pub async fn list_all(&self) -> Result<Vec<Cluster>, Error> {
        self.stream().try_collect().await
    }

    /// One page of clusters.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn page(&self, params: &ListParams) -> Result<Page<Cluster>, Error> {
        self.bridge
            .list_page::<ClusterList, Cluster>(&["clusters"], params)
            .await
    }

    /// One cluster.
    ///
    /// # Errors
    /// 404 when unknown ([`Error::is_not_found`]); any other [`Error`].
    pub async fn get(&self, id: &ClusterId) -> Result<Cluster, Error> {
        self.bridge.get_json(&["clusters", id.as_str()]).await
    }

    /// One cluster, or `None` when it does not exist (404/410).
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn get_opt(&self, id: &ClusterId) -> Result<Option<Cluster>, Error> {
        self.bridge.get_opt_json(&["clusters", id.as_str()]).await
    }

    /// Start provisioning a cluster (201; poll [`Self::status`] until ready). Sent with a fresh
    /// idempotency key, so retries cannot make a second cluster.
    ///
    /// # Errors
    /// Any [`Error`]; when [`Error::is_maybe_sent`], the cluster may exist: retry with
    /// [`Self::create_with_key`] and the same key rather than creating again.
    pub async fn create(&self, req: &CreateCluster) -> Result<Cluster, Error> {
        self.create_with_key(req, &IdempotencyKey::new()).await
    }

    /// [`Self::create`] with the caller's idempotency key (keep it to resume after a crash).
    ///
    /// # Errors
    /// As [`Self::create`].
    pub async fn create_with_key(
        &self,
        req: &CreateCluster,
        key: &IdempotencyKey,
    ) -> Result<Cluster, Error> {
        self.bridge
            .call(Method::POST, &["clusters"])
            .json(req)
            .idempotency_key(key.clone())
            .send()
            .await
    }

    /// What `key` holds, asked without any chance of making a cluster: `POST /clusters` with an
    /// empty body under `key`, which Bridge can only refuse (name, plan and team are required).
    /// A key that already carries a create answers 409 (another request); a key that was
    /// unused is taken by this refusal (Bridge stores every answer but 429/500/503), so the
    /// caller must not send a create with it afterwards.
    ///
    /// # Errors
    /// Any [`Error`] but the answers [`KeyUse`] describes.
    pub async fn probe_create_key(&self, key: &IdempotencyKey) -> Result<KeyUse, Error> {
        let sent = self
            .bridge
            .call(Method::POST, &["clusters"])
            .json(&serde_json::json!({}))
            .idempotency_key(key.clone())
            .send_raw()
            .await;
        match sent {
            Ok(_) => Ok(KeyUse::Accepted),
            Err(Error::Api(e)) if e.status == 409 => Ok(KeyUse::HoldsOtherRequest),
            Err(Error::Api(e)) if (400..500).contains(&e.status) && e.status != 429 => {
                Ok(if e.replayed {
                    KeyUse::HoldsProbe
                } else {
                    KeyUse::TakenByProbe
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Change name, protection, maintenance window or environment.
    ///
    /// # Errors
    /// 404 when unknown; any other [`Error`].
    pub async fn update(&self, id: &ClusterId, req: &UpdateCluster) -> Result<Cluster, Error> {
        self.update_with_key(id, req, &IdempotencyKey::new()).await
    }

    /// [`Self::update`] with the caller's idempotency key.
    ///
    /// # Errors
    /// As [`Self::update`].
    pub async fn update_with_key(
        &self,
        id: &ClusterId,
        req: &UpdateCluster,
        key: &IdempotencyKey,
    ) -> Result<Cluster, Error> {
        self.bridge
            .call(Method::PATCH, &["clusters", id.as_str()])
            .json(req)
            .idempotency_key(key.clone())
            .send()
            .await
    }

    /// Delete a cluster; an unknown or already deleted one is [`Deletion::AlreadyGone`].
    ///
    /// # Errors
    /// Any [`Error`] but not-found (a protected cluster is refused).
    pub async fn delete(&self, id: &ClusterId) -> Result<Deletion, Error> {
        self.bridge.delete_at(&["clusters", id.as_str()]).await
    }

    /// The cluster's state, disk usage and ongoing upgrade.
    ///
    /// # Errors
    /// 404 when unknown; any other [`Error`].
    pub async fn status(&self, id: &ClusterId) -> Result<ClusterStatus, Error> {
        self.bridge
            .get_json(&["clusters", id.as_str(), "status"])
            .await
    }

    /// Start a plan, storage or major-version change (poll [`Self::upgrade_status`] until done).
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn upgrade(
        &self,
        id: &ClusterId,
        req: &UpgradeCluster,
    ) -> Result<ClusterUpgrade, Error> {
        self.upgrade_with_key(id, req, &IdempotencyKey::new()).await
    }

    /// [`Self::upgrade`] with the caller's idempotency key.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn upgrade_with_key(
        &self,
        id: &ClusterId,
        req: &UpgradeCluster,
        key: &IdempotencyKey,
    ) -> Result<ClusterUpgrade, Error> {
        self.bridge
            .call(Method::POST, &["clusters", id.as_str(), "upgrade"])
            .json(req)
            .idempotency_key(key.clone())
            .send()
            .await
    }

    /// Planned and active upgrade work (empty operations: none remains).
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn upgrade_status(&self, id: &ClusterId) -> Result<ClusterUpgrade, Error> {
        self.bridge
            .get_json(&["clusters", id.as_str(), "upgrade"])
            .await
    }

    /// Start adding an HA standby.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn enable_ha(&self, id: &ClusterId) -> Result<ClusterOperation, Error> {
        self.bridge
            .call(
                Method::PUT,
                &["clusters", id.as_str(), "actions", "enable-ha"],
            )
            .send()
            .await
    }

    /// Start removing the HA standby.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn disable_ha(&self, id: &ClusterId) -> Result<ClusterOperation, Error> {
        self.bridge
            .call(
                Method::PUT,
                &["clusters", id.as_str(), "actions", "disable-ha"],
            )
            .send()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_states_are_kept() {
        let s: ClusterState = serde_json::from_str("\"hibernating\"").unwrap();
        assert_eq!(s, ClusterState::Other("hibernating".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hibernating\"");
        assert!(!s.is_ready() && !s.is_terminal_failure());
        assert!(ClusterState::from("creation_failed").is_terminal_failure());
        assert!(ClusterState::from("ready").is_ready());
    }

    #[test]
    fn create_skips_absent_fields() {
        let mut c = CreateCluster::new("db", "hobby-2".into(), "t".into());
        c.postgres_version_id = Some(17.into());
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "db", "plan_id": "hobby-2", "team_id": "t", "postgres_version_id": 17})
        );
        assert_eq!(
            serde_json::to_value(UpdateCluster::default()).unwrap(),
            serde_json::json!({})
        );
    }
}
