//! `GET /providers`: cloud providers with their plans and regions.

use serde::{Deserialize, Serialize};

use super::{Bridge, Error, PlanId, ProviderId, RegionId, TeamId};

/// A cloud provider (`Provider`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// `aws`, `azure` or `gcp`.
    #[serde(default)]
    pub id: Option<ProviderId>,
    /// Name shown to users.
    #[serde(default)]
    pub display_name: String,
    /// Disk pricing.
    #[serde(default)]
    pub disk: Option<ProviderDisk>,
    /// Plans offered.
    #[serde(default)]
    pub plans: Vec<Plan>,
    /// Regions offered.
    #[serde(default)]
    pub regions: Vec<Region>,
}

impl Provider {
    /// The plan with this id.
    #[must_use]
    pub fn plan(&self, id: &PlanId) -> Option<&Plan> {
        self.plans.iter().find(|p| &p.id == id)
    }

    /// The region with this id.
    #[must_use]
    pub fn region(&self, id: &RegionId) -> Option<&Region> {
        self.regions.iter().find(|r| &r.id == id)
    }
}

/// Disk pricing of a provider (`ProviderDisk`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderDisk {
    /// Per-GB rate for non-warehouse plans.
    #[serde(default)]
    pub rate: i64,
    /// Per-GB rate for warehouse plans.
    #[serde(default)]
    pub rate_warehouse: Option<i64>,
}

/// A plan (`Plan`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Provider-specific plan id.
    pub id: PlanId,
    /// Name shown to users.
    #[serde(default)]
    pub display_name: String,
    /// Virtual CPUs (may be fractional).
    #[serde(default)]
    pub vcpu: f64,
    /// Memory in GB (may be fractional).
    #[serde(default)]
    pub memory: f64,
    /// Deprecated CPU count.
    #[serde(default)]
    pub cpu: Option<i64>,
    /// Baseline IOPS, when published.
    #[serde(default)]
    pub iops_baseline: Option<i64>,
    /// Maximum IOPS, when published.
    #[serde(default)]
    pub iops_maximum: Option<i64>,
    /// Whether maximum storage performance is limited.
    #[serde(default)]
    pub maximum_performance_limited: Option<bool>,
    /// Price rate in cents.
    #[serde(default)]
    pub rate: Option<i64>,
    /// Regions where the plan is offered; `None` means every region.
    #[serde(default)]
    pub region_ids: Option<Vec<RegionId>>,
}

/// A region (`Region`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Provider-specific region id.
    pub id: RegionId,
    /// Name shown to users.
    #[serde(default)]
    pub display_name: String,
    /// Geographic location.
    #[serde(default)]
    pub location: String,
    /// Price multiplier.
    #[serde(default)]
    pub multiplier: f64,
}

#[derive(Deserialize)]
struct ProviderList {
    providers: Vec<Provider>,
}

/// `bridge.providers()`: providers, plans and regions (answers without an API key too).
#[derive(Clone, Debug)]
pub struct ProvidersHandler {
    bridge: Bridge,
}

impl ProvidersHandler {
    pub(crate) fn new(bridge: Bridge) -> Self {
        Self { bridge }
    }

    /// Every provider with its plans and regions.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn list(&self) -> Result<Vec<Provider>, Error> {
        let list: ProviderList = self.bridge.get_json(&["providers"]).await?;
        Ok(list.providers)
    }

    /// Providers as available to one team (which may have extra plans).
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn list_for_team(&self, team: &TeamId) -> Result<Vec<Provider>, Error> {
        let list: ProviderList = self
            .bridge
            .call(reqwest::Method::GET, &["providers"])
            .query("team_id", team.as_str())
            .send()
            .await?;
        Ok(list.providers)
    }
}
