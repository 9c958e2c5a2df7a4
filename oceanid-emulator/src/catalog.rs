//! What Bridge sells: providers with their plans and regions, and PostgreSQL versions.

use serde_json::{Value, json};

/// A plan a cluster runs on.
#[derive(Debug)]
pub(crate) struct Plan {
    pub id: &'static str,
    pub display_name: &'static str,
    pub vcpu: f64,
    pub memory: f64,
    /// Monthly price in cents.
    pub rate: i64,
}

impl Plan {
    /// Hobby plans run on shared hardware and cannot have a high-availability standby.
    pub(crate) fn is_hobby(&self) -> bool {
        self.id.starts_with("hobby-")
    }
}

/// A region of a provider.
#[derive(Debug)]
pub(crate) struct Region {
    pub id: &'static str,
    pub display_name: &'static str,
    pub location: &'static str,
}

/// A cloud provider.
#[derive(Debug)]
pub(crate) struct Provider {
    pub id: &'static str,
    pub display_name: &'static str,
    pub plans: &'static [Plan],
    pub regions: &'static [Region],
}

/// A PostgreSQL major version clusters can run.
#[derive(Debug)]
pub(crate) struct PostgresVersion {
    pub id: &'static str,
    pub major: u32,
    pub is_default: bool,
}

/// The id of PostgreSQL 17, the default version.
pub(crate) const PG17_ID: &str = "oceanidemulatorpgseventeea";

pub(crate) const POSTGRES_VERSIONS: &[PostgresVersion] = &[
    PostgresVersion {
        id: "oceanidemulatorpgfifteenaa",
        major: 15,
        is_default: false,
    },
    PostgresVersion {
        id: "oceanidemulatorpgsixteenaa",
        major: 16,
        is_default: false,
    },
    PostgresVersion {
        id: PG17_ID,
        major: 17,
        is_default: true,
    },
];

pub(crate) const PROVIDERS: &[Provider] = &[Provider {
    id: "aws",
    display_name: "Amazon Web Services",
    plans: &[
        Plan {
            id: "hobby-2",
            display_name: "Hobby-2",
            vcpu: 1.0,
            memory: 2.0,
            rate: 1000,
        },
        Plan {
            id: "hobby-4",
            display_name: "Hobby-4",
            vcpu: 1.0,
            memory: 4.0,
            rate: 2000,
        },
        Plan {
            id: "standard-8",
            display_name: "Standard-8",
            vcpu: 2.0,
            memory: 8.0,
            rate: 7000,
        },
        Plan {
            id: "standard-16",
            display_name: "Standard-16",
            vcpu: 4.0,
            memory: 16.0,
            rate: 14000,
        },
    ],
    regions: &[
        Region {
            id: "us-east-1",
            display_name: "US East (N. Virginia)",
            location: "Virginia, USA",
        },
        Region {
            id: "us-west-2",
            display_name: "US West (Oregon)",
            location: "Oregon, USA",
        },
        Region {
            id: "eu-central-1",
            display_name: "EU (Frankfurt)",
            location: "Frankfurt, Germany",
        },
    ],
}];

pub(crate) fn provider(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

pub(crate) fn plan(provider_id: &str, plan_id: &str) -> Option<&'static Plan> {
    provider(provider_id)?
        .plans
        .iter()
        .find(|p| p.id == plan_id)
}

pub(crate) fn region(provider_id: &str, region_id: &str) -> Option<&'static Region> {
    provider(provider_id)?
        .regions
        .iter()
        .find(|r| r.id == region_id)
}

pub(crate) fn default_version() -> &'static PostgresVersion {
    POSTGRES_VERSIONS
        .iter()
        .find(|v| v.is_default)
        .unwrap_or(&POSTGRES_VERSIONS[POSTGRES_VERSIONS.len() - 1])
}

pub(crate) fn version_by_major(major: u32) -> Option<&'static PostgresVersion> {
    POSTGRES_VERSIONS.iter().find(|v| v.major == major)
}

/// A version by id or by major number (`"17"`), as `GET /postgres-versions/{id}` takes it.
pub(crate) fn version_by_id_or_major(id: &str) -> Option<&'static PostgresVersion> {
    POSTGRES_VERSIONS
        .iter()
        .find(|v| v.id == id)
        .or_else(|| id.parse().ok().and_then(version_by_major))
}

pub(crate) fn version_view(v: &PostgresVersion) -> Value {
    json!({
        "id": v.id,
        "display_name": format!("Postgres {}", v.major),
        "is_default": v.is_default,
        "major_version": v.major,
    })
}

pub(crate) fn provider_view(p: &Provider) -> Value {
    json!({
        "id": p.id,
        "display_name": p.display_name,
        "disk": { "rate": 10 },
        "plans": p.plans.iter().map(|plan| json!({
            "id": plan.id,
            "display_name": plan.display_name,
            "vcpu": plan.vcpu,
            "memory": plan.memory,
            "rate": plan.rate,
            "maximum_performance_limited": plan.is_hobby(),
            "region_ids": null,
        })).collect::<Vec<_>>(),
        "regions": p.regions.iter().map(|r| json!({
            "id": r.id,
            "display_name": r.display_name,
            "location": r.location,
            "multiplier": 1.0,
        })).collect::<Vec<_>>(),
    })
}
