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

// What Crunchy Bridge sells. Sources: the provider/plan/region shapes and the ids' form are
// those of the Provider schema in Bridge's OpenAPI description (docs.crunchybridge.com/api,
// copied in /work/shared/reference/crunchybridge-openapi.yaml); the plan families (hobby,
// standard, memory, cpu) and the regions are those Bridge's public documentation and its
// create-cluster form list for AWS, GCP and Azure (docs.crunchybridge.com, "Cluster" and
// "Provider" API pages). Rates (monthly, cents) follow the order of magnitude of
// docs.crunchybridge.com/general/accounts-and-billing (a $70 hobby and a $140 standard
// example); on Bridge they vary by region, here they are illustrative. On Bridge a plan may be
// limited to some regions (`region_ids`); here every provider sells every plan everywhere.

/// The plans every provider sells.
const PLANS: &[Plan] = &[
    Plan {
        id: "hobby-0",
        display_name: "Hobby-0",
        vcpu: 0.5,
        memory: 1.0,
        rate: 1000,
    },
    Plan {
        id: "hobby-2",
        display_name: "Hobby-2",
        vcpu: 1.0,
        memory: 2.0,
        rate: 3500,
    },
    Plan {
        id: "hobby-4",
        display_name: "Hobby-4",
        vcpu: 1.0,
        memory: 4.0,
        rate: 7000,
    },
    Plan {
        id: "standard-4",
        display_name: "Standard-4",
        vcpu: 1.0,
        memory: 4.0,
        rate: 7000,
    },
    Plan {
        id: "standard-8",
        display_name: "Standard-8",
        vcpu: 2.0,
        memory: 8.0,
        rate: 14000,
    },
    Plan {
        id: "standard-16",
        display_name: "Standard-16",
        vcpu: 4.0,
        memory: 16.0,
        rate: 28000,
    },
    Plan {
        id: "standard-32",
        display_name: "Standard-32",
        vcpu: 8.0,
        memory: 32.0,
        rate: 56000,
    },
    Plan {
        id: "standard-64",
        display_name: "Standard-64",
        vcpu: 16.0,
        memory: 64.0,
        rate: 112000,
    },
    Plan {
        id: "standard-128",
        display_name: "Standard-128",
        vcpu: 32.0,
        memory: 128.0,
        rate: 224000,
    },
    Plan {
        id: "standard-256",
        display_name: "Standard-256",
        vcpu: 64.0,
        memory: 256.0,
        rate: 448000,
    },
    Plan {
        id: "memory-16",
        display_name: "Memory-16",
        vcpu: 2.0,
        memory: 16.0,
        rate: 19000,
    },
    Plan {
        id: "memory-32",
        display_name: "Memory-32",
        vcpu: 4.0,
        memory: 32.0,
        rate: 38000,
    },
    Plan {
        id: "memory-64",
        display_name: "Memory-64",
        vcpu: 8.0,
        memory: 64.0,
        rate: 76000,
    },
    Plan {
        id: "memory-128",
        display_name: "Memory-128",
        vcpu: 16.0,
        memory: 128.0,
        rate: 152000,
    },
    Plan {
        id: "memory-256",
        display_name: "Memory-256",
        vcpu: 32.0,
        memory: 256.0,
        rate: 304000,
    },
    Plan {
        id: "memory-512",
        display_name: "Memory-512",
        vcpu: 64.0,
        memory: 512.0,
        rate: 608000,
    },
    Plan {
        id: "cpu-4",
        display_name: "CPU-4",
        vcpu: 2.0,
        memory: 4.0,
        rate: 9000,
    },
    Plan {
        id: "cpu-8",
        display_name: "CPU-8",
        vcpu: 4.0,
        memory: 8.0,
        rate: 18000,
    },
    Plan {
        id: "cpu-16",
        display_name: "CPU-16",
        vcpu: 8.0,
        memory: 16.0,
        rate: 36000,
    },
    Plan {
        id: "cpu-32",
        display_name: "CPU-32",
        vcpu: 16.0,
        memory: 32.0,
        rate: 72000,
    },
    Plan {
        id: "cpu-64",
        display_name: "CPU-64",
        vcpu: 32.0,
        memory: 64.0,
        rate: 144000,
    },
];

pub(crate) const PROVIDERS: &[Provider] = &[
    Provider {
        id: "aws",
        display_name: "Amazon Web Services",
        plans: PLANS,
        regions: &[
            Region {
                id: "us-east-1",
                display_name: "US East (N. Virginia)",
                location: "Virginia, USA",
            },
            Region {
                id: "us-east-2",
                display_name: "US East (Ohio)",
                location: "Ohio, USA",
            },
            Region {
                id: "us-west-1",
                display_name: "US West (N. California)",
                location: "California, USA",
            },
            Region {
                id: "us-west-2",
                display_name: "US West (Oregon)",
                location: "Oregon, USA",
            },
            Region {
                id: "ca-central-1",
                display_name: "Canada (Central)",
                location: "Montreal, Canada",
            },
            Region {
                id: "sa-east-1",
                display_name: "South America (São Paulo)",
                location: "São Paulo, Brazil",
            },
            Region {
                id: "eu-central-1",
                display_name: "EU (Frankfurt)",
                location: "Frankfurt, Germany",
            },
            Region {
                id: "eu-west-1",
                display_name: "EU (Ireland)",
                location: "Dublin, Ireland",
            },
            Region {
                id: "eu-west-2",
                display_name: "EU (London)",
                location: "London, United Kingdom",
            },
            Region {
                id: "eu-west-3",
                display_name: "EU (Paris)",
                location: "Paris, France",
            },
            Region {
                id: "eu-north-1",
                display_name: "EU (Stockholm)",
                location: "Stockholm, Sweden",
            },
            Region {
                id: "ap-south-1",
                display_name: "Asia Pacific (Mumbai)",
                location: "Mumbai, India",
            },
            Region {
                id: "ap-southeast-1",
                display_name: "Asia Pacific (Singapore)",
                location: "Singapore",
            },
            Region {
                id: "ap-southeast-2",
                display_name: "Asia Pacific (Sydney)",
                location: "Sydney, Australia",
            },
            Region {
                id: "ap-northeast-1",
                display_name: "Asia Pacific (Tokyo)",
                location: "Tokyo, Japan",
            },
            Region {
                id: "ap-northeast-2",
                display_name: "Asia Pacific (Seoul)",
                location: "Seoul, South Korea",
            },
        ],
    },
    Provider {
        id: "gcp",
        display_name: "Google Cloud Platform",
        plans: PLANS,
        regions: &[
            Region {
                id: "us-central1",
                display_name: "US Central (Iowa)",
                location: "Iowa, USA",
            },
            Region {
                id: "us-east1",
                display_name: "US East (South Carolina)",
                location: "South Carolina, USA",
            },
            Region {
                id: "us-east4",
                display_name: "US East (N. Virginia)",
                location: "Virginia, USA",
            },
            Region {
                id: "us-west1",
                display_name: "US West (Oregon)",
                location: "Oregon, USA",
            },
            Region {
                id: "northamerica-northeast1",
                display_name: "Canada (Montréal)",
                location: "Montreal, Canada",
            },
            Region {
                id: "europe-west1",
                display_name: "Europe West (Belgium)",
                location: "St. Ghislain, Belgium",
            },
            Region {
                id: "europe-west2",
                display_name: "Europe West (London)",
                location: "London, United Kingdom",
            },
            Region {
                id: "europe-west3",
                display_name: "Europe West (Frankfurt)",
                location: "Frankfurt, Germany",
            },
            Region {
                id: "asia-south1",
                display_name: "Asia South (Mumbai)",
                location: "Mumbai, India",
            },
            Region {
                id: "asia-southeast1",
                display_name: "Asia Southeast (Singapore)",
                location: "Singapore",
            },
            Region {
                id: "australia-southeast1",
                display_name: "Australia Southeast (Sydney)",
                location: "Sydney, Australia",
            },
        ],
    },
    Provider {
        id: "azure",
        display_name: "Microsoft Azure",
        plans: PLANS,
        regions: &[
            Region {
                id: "eastus",
                display_name: "East US",
                location: "Virginia, USA",
            },
            Region {
                id: "eastus2",
                display_name: "East US 2",
                location: "Virginia, USA",
            },
            Region {
                id: "centralus",
                display_name: "Central US",
                location: "Iowa, USA",
            },
            Region {
                id: "westus2",
                display_name: "West US 2",
                location: "Washington, USA",
            },
            Region {
                id: "westus3",
                display_name: "West US 3",
                location: "Arizona, USA",
            },
            Region {
                id: "canadacentral",
                display_name: "Canada Central",
                location: "Toronto, Canada",
            },
            Region {
                id: "northeurope",
                display_name: "North Europe",
                location: "Dublin, Ireland",
            },
            Region {
                id: "westeurope",
                display_name: "West Europe",
                location: "Amsterdam, Netherlands",
            },
            Region {
                id: "uksouth",
                display_name: "UK South",
                location: "London, United Kingdom",
            },
            Region {
                id: "germanywestcentral",
                display_name: "Germany West Central",
                location: "Frankfurt, Germany",
            },
            Region {
                id: "centralindia",
                display_name: "Central India",
                location: "Pune, India",
            },
            Region {
                id: "southeastasia",
                display_name: "Southeast Asia",
                location: "Singapore",
            },
            Region {
                id: "australiaeast",
                display_name: "Australia East",
                location: "Sydney, Australia",
            },
        ],
    },
];

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
