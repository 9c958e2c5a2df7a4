//! The emulated objects, and how the API shows them.

use std::time::Instant;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog;

/// Where clusters' hosts and roles' URIs point.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Endpoint {
    /// No server: Bridge-shaped hosts that lead nowhere.
    Bridge,
    /// A real PostgreSQL server.
    Server {
        host: String,
        port: u16,
        /// The `sslmode` written into role URIs.
        sslmode: &'static str,
    },
}

impl Endpoint {
    pub(crate) fn host(&self, cluster_id: &str) -> String {
        match self {
            Endpoint::Bridge => format!("p.{cluster_id}.db.postgresbridge.com"),
            Endpoint::Server { host, .. } => host.clone(),
        }
    }

    pub(crate) fn uri(&self, cluster_id: &str, role: &str, password: &str) -> String {
        match self {
            Endpoint::Bridge => format!(
                "postgres://{role}:{password}@p.{cluster_id}.db.postgresbridge.com:5432/postgres"
            ),
            Endpoint::Server {
                host,
                port,
                sslmode,
            } => format!("postgres://{role}:{password}@{host}:{port}/postgres?sslmode={sslmode}"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Account {
    pub id: String,
    pub email: String,
    pub name: String,
    pub default_team_id: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Account {
    pub(crate) fn view(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "has_password": true,
            "has_personal_team": true,
            "has_sso": false,
            "multi_factor_enabled": false,
            "notifications_enabled": true,
            "default_team_id": self.default_team_id,
            "access_groups": null,
            "login_url": null,
            "last_seen_at": self.updated_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Team {
    pub id: String,
    pub name: String,
    pub is_personal: bool,
    pub is_default: bool,
    /// The caller's role: `admin`, or none on a personal team.
    pub role: Option<&'static str>,
    pub created_at: String,
    pub updated_at: String,
}

impl Team {
    pub(crate) fn view(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "is_personal": self.is_personal,
            "is_default": self.is_default,
            "role": self.role,
            "default_role_flavor": "write",
            "support_tier": null,
            "enforce_mfa": false,
            "enforce_sso": false,
            "billing_email": null,
            "technical_email": null,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Network {
    pub id: String,
    pub name: String,
    pub team_id: String,
    pub provider_id: String,
    pub region_id: String,
    pub cidr4: Option<String>,
}

impl Network {
    pub(crate) fn view(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "team_id": self.team_id,
            "provider_id": self.provider_id,
            "region_id": self.region_id,
            "cidr4": self.cidr4,
        })
    }
}

/// A firewall rule's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RuleKind {
    Ingress,
    Egress,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FirewallRule {
    pub id: String,
    pub network_id: String,
    pub team_id: String,
    pub rule: IpNet,
    pub description: Option<String>,
    pub kind: RuleKind,
}

impl FirewallRule {
    pub(crate) fn view(&self) -> Value {
        json!({
            "id": self.id,
            "network_id": self.network_id,
            "team_id": self.team_id,
            "rule": self.rule.to_string(),
            "description": self.description,
            "kind": self.kind,
        })
    }

    /// Whether this is an allow-all rule (`0.0.0.0/0` or `::/0`).
    pub(crate) fn is_allow_all(&self) -> bool {
        self.rule.prefix_len() == 0
    }
}

/// A state change that happens after the provisioning delay.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Transition {
    /// When it happens; `None` for never.
    #[serde(skip)]
    pub due: Option<Instant>,
    /// The state the cluster goes to.
    pub to: String,
}

/// What an ongoing operation changes when it finishes.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Change {
    Upgrade {
        plan_id: Option<String>,
        storage: Option<u32>,
        major_version: Option<u32>,
    },
    Ha {
        enable: bool,
    },
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Operation {
    pub flavor: &'static str,
    pub state: &'static str,
    pub starting_from: Option<String>,
    #[serde(skip)]
    pub due: Option<Instant>,
    pub change: Change,
}

impl Operation {
    pub(crate) fn view(&self) -> Value {
        json!({
            "flavor": self.flavor,
            "state": self.state,
            "starting_from": self.starting_from,
        })
    }

    pub(crate) fn is_upgrade(&self) -> bool {
        matches!(self.change, Change::Upgrade { .. })
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct VariableBackups {
    pub daily: i32,
    pub weekly: i32,
    pub monthly: i32,
    pub yearly: i32,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Cluster {
    pub id: String,
    pub name: String,
    pub team_id: String,
    pub network_id: String,
    pub provider_id: String,
    pub region_id: String,
    pub plan_id: String,
    pub storage: u32,
    pub is_ha: bool,
    pub is_protected: bool,
    pub major_version: u32,
    pub maintenance_window_start: Option<u8>,
    pub environment: Option<String>,
    pub variable_backups: VariableBackups,
    pub created_at: String,
    pub updated_at: String,
    pub state: String,
    /// Pending provisioning (`creating` → `ready`/`creation_failed`).
    pub provisioning: Option<Transition>,
    pub operations: Vec<Operation>,
    /// Frozen by the admin route: nothing pending advances.
    pub hold: bool,
}

impl Cluster {
    pub(crate) fn view(&self, endpoint: &Endpoint) -> Value {
        let plan = catalog::plan(&self.provider_id, &self.plan_id);
        let version = catalog::version_by_major(self.major_version);
        json!({
            "id": self.id,
            "name": self.name,
            "team_id": self.team_id,
            "network_id": self.network_id,
            "provider_id": self.provider_id,
            "region_id": self.region_id,
            "plan_id": self.plan_id,
            "storage": self.storage,
            "is_ha": self.is_ha,
            "is_protected": self.is_protected,
            "is_suspended": false,
            "major_version": self.major_version,
            "postgres_version_id": version.map_or(catalog::PG17_ID, |v| v.id),
            "memory": plan.map_or(0.0, |p| p.memory),
            "vcpu": plan.map_or(0.0, |p| p.vcpu),
            "host": endpoint.host(&self.id),
            "state": self.state,
            "maintenance_window_start": self.maintenance_window_start,
            "environment": self.environment,
            "variable_backups": self.variable_backups,
            "ongoing_operations": self.operations.iter().map(Operation::view).collect::<Vec<_>>(),
            "parent_id": null,
            "replicas": [],
            "keychain_id": null,
            "expires_at": null,
            "next_periodic_maintenance_at": null,
            "tailscale_active": false,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    /// The `ClusterUpgrade` body: the cluster's ongoing operations.
    pub(crate) fn upgrade_view(&self) -> Value {
        json!({
            "cluster_id": self.id,
            "team_id": self.team_id,
            "operations": self.operations.iter().map(Operation::view).collect::<Vec<_>>(),
        })
    }

    pub(crate) fn status_view(&self) -> Value {
        let total_mb = u64::from(self.storage) * 1024;
        let used_mb = if self.state == "ready" { 30 } else { 0 };
        json!({
            "state": self.state,
            "disk_usage": {
                "disk_total_size_mb": total_mb,
                "disk_used_mb": used_mb,
                "disk_available_mb": total_mb.saturating_sub(used_mb),
            },
            "oldest_backup_at": if self.state == "ready" { Some(&self.created_at) } else { None },
            "oldest_backup_lsn": null,
            "ongoing_upgrade": if self.operations.is_empty() { Value::Null } else { self.upgrade_view() },
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Role {
    pub cluster_id: String,
    pub team_id: String,
    pub name: String,
    pub flavor: Option<String>,
    /// The plain-text password; `None` when only a SCRAM verifier was set.
    pub password: Option<String>,
    pub account_id: Option<String>,
    pub superuser: bool,
}

impl Role {
    /// The role as the API shows it; `redacted` hides the password and URI (lists, deletes).
    pub(crate) fn view(&self, endpoint: &Endpoint, account_email: &str, redacted: bool) -> Value {
        let password = if redacted {
            None
        } else {
            self.password.as_deref()
        };
        json!({
            "name": self.name,
            "cluster_id": self.cluster_id,
            "team_id": self.team_id,
            "flavor": self.flavor,
            "account_id": self.account_id,
            "account_email": self.account_id.as_ref().map(|_| account_email),
            "password": password,
            "uri": password.map(|p| endpoint.uri(&self.cluster_id, &self.name, p)),
        })
    }
}

/// A new random role password: 40 letters and digits (safe in a URI as they are).
pub(crate) fn new_password() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}
