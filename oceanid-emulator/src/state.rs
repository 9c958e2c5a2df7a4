//! The emulator's state: every object, behind one mutex, and what happens with time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::backend::{ADMIN_ROLE, Backend, BackendFailure};
use crate::clock::{SEED_TIME, now_rfc3339};
use crate::error::ApiError;
use crate::faults::SharedFaults;
use crate::idempotency::SharedIdempotency;
pub(crate) use crate::lock::lock;
use crate::objects::{
    Account, Change, Cluster, Endpoint, FirewallRule, Network, Role, RuleKind, Team,
    VariableBackups, new_password,
};
use crate::seed::Seed;

/// The passwords of the built-in roles.
#[derive(Debug, Clone)]
pub(crate) struct BuiltinPasswords {
    pub postgres: String,
    pub application: String,
}

/// The names of the built-in roles every cluster has.
pub(crate) const BUILTIN_ROLES: [&str; 2] = ["postgres", "application"];

/// Every emulated object.
#[derive(Debug)]
pub(crate) struct Store {
    pub account: Account,
    pub teams: BTreeMap<String, Team>,
    pub networks: BTreeMap<String, Network>,
    pub rules: BTreeMap<String, FirewallRule>,
    pub clusters: BTreeMap<String, Cluster>,
    /// By (cluster id, role name).
    pub roles: BTreeMap<(String, String), Role>,
    pub deleted_clusters: BTreeSet<String>,
    pub deleted_rules: BTreeSet<String>,
    pub deleted_roles: BTreeSet<(String, String)>,
    /// With real roles: each role name's password on the server (`None` when only a SCRAM
    /// verifier is known).
    pub server_passwords: BTreeMap<String, Option<String>>,
    pub provision_delay: Duration,
    pub endpoint: Endpoint,
    /// Roles are real PostgreSQL roles, so a role name has one password across clusters.
    pub shared_passwords: bool,
}

impl Store {
    /// The seeded objects.
    pub(crate) fn seeded(
        seed: &Seed,
        endpoint: Endpoint,
        shared_passwords: bool,
        provision_delay: Duration,
        passwords: &BuiltinPasswords,
    ) -> Store {
        let account = Account {
            id: seed.account_id.to_owned(),
            email: seed.account_email.to_owned(),
            name: "Emulator User".to_owned(),
            default_team_id: seed.team_id.to_owned(),
            created_at: SEED_TIME.to_owned(),
            updated_at: SEED_TIME.to_owned(),
        };
        let mut teams = BTreeMap::new();
        teams.insert(
            seed.personal_team_id.to_owned(),
            Team {
                id: seed.personal_team_id.to_owned(),
                name: "Personal".to_owned(),
                is_personal: true,
                is_default: false,
                role: None,
                created_at: SEED_TIME.to_owned(),
                updated_at: SEED_TIME.to_owned(),
            },
        );
        teams.insert(
            seed.team_id.to_owned(),
            Team {
                id: seed.team_id.to_owned(),
                name: "Emulator Team".to_owned(),
                is_personal: false,
                is_default: true,
                role: Some("admin"),
                created_at: SEED_TIME.to_owned(),
                updated_at: SEED_TIME.to_owned(),
            },
        );
        let mut store = Store {
            account,
            teams,
            networks: BTreeMap::new(),
            rules: BTreeMap::new(),
            clusters: BTreeMap::new(),
            roles: BTreeMap::new(),
            deleted_clusters: BTreeSet::new(),
            deleted_rules: BTreeSet::new(),
            deleted_roles: BTreeSet::new(),
            server_passwords: BTreeMap::new(),
            provision_delay,
            endpoint,
            shared_passwords,
        };
        store.networks.insert(
            seed.network_id.to_owned(),
            Network {
                id: seed.network_id.to_owned(),
                name: "Default Network".to_owned(),
                team_id: seed.team_id.to_owned(),
                provider_id: seed.provider_id.to_owned(),
                region_id: seed.region_id.to_owned(),
                cidr4: Some(seed.network_cidr4.to_owned()),
            },
        );
        store.add_allow_all_rules(seed.network_id, seed.team_id, Some(seed.allow_all_rule_ids));
        let cluster = Cluster {
            id: seed.cluster_id.to_owned(),
            name: seed.cluster_name.to_owned(),
            team_id: seed.team_id.to_owned(),
            network_id: seed.network_id.to_owned(),
            provider_id: seed.provider_id.to_owned(),
            region_id: seed.region_id.to_owned(),
            plan_id: seed.plan_id.to_owned(),
            storage: 10,
            is_ha: false,
            is_protected: false,
            major_version: seed.major_version,
            maintenance_window_start: None,
            environment: None,
            variable_backups: default_backups(),
            created_at: SEED_TIME.to_owned(),
            updated_at: SEED_TIME.to_owned(),
            state: "ready".to_owned(),
            provisioning: None,
            operations: Vec::new(),
            hold: false,
        };
        if shared_passwords {
            store
                .server_passwords
                .insert("postgres".to_owned(), Some(passwords.postgres.clone()));
            store.server_passwords.insert(
                "application".to_owned(),
                Some(passwords.application.clone()),
            );
        }
        store.insert_cluster(cluster, passwords);
        store
    }

    /// Adds the allow-all rules `0.0.0.0/0` and `::/0` to a network.
    pub(crate) fn add_allow_all_rules(
        &mut self,
        network_id: &str,
        team_id: &str,
        ids: Option<[&str; 2]>,
    ) {
        let nets: [IpNet; 2] = [
            IpNet::V4(ipnet::Ipv4Net::default()),
            IpNet::V6(ipnet::Ipv6Net::default()),
        ];
        for (i, net) in nets.into_iter().enumerate() {
            let id = ids.map_or_else(crate::eid::new_eid, |ids| ids[i].to_owned());
            self.rules.insert(
                id.clone(),
                FirewallRule {
                    id,
                    network_id: network_id.to_owned(),
                    team_id: team_id.to_owned(),
                    rule: net,
                    description: None,
                    kind: RuleKind::Ingress,
                },
            );
        }
    }

    /// Inserts a cluster with its built-in roles. With real roles, passwords already in use for
    /// a role name win over `passwords`.
    pub(crate) fn insert_cluster(&mut self, cluster: Cluster, passwords: &BuiltinPasswords) {
        for (name, password, superuser, flavor) in [
            ("postgres", &passwords.postgres, true, None),
            ("application", &passwords.application, false, Some("write")),
        ] {
            let password = match self.server_passwords.get(name) {
                Some(known) if self.shared_passwords => known.clone(),
                _ => Some(password.clone()),
            };
            self.roles.insert(
                (cluster.id.clone(), name.to_owned()),
                Role {
                    cluster_id: cluster.id.clone(),
                    team_id: cluster.team_id.clone(),
                    name: name.to_owned(),
                    flavor: flavor.map(str::to_owned),
                    password,
                    account_id: None,
                    superuser,
                },
            );
        }
        self.clusters.insert(cluster.id.clone(), cluster);
    }

    /// Sets a role's password; with real roles, every cluster's role of that name changes too.
    pub(crate) fn set_password(&mut self, cluster_id: &str, name: &str, password: Option<String>) {
        let shared = self.shared_passwords;
        if shared {
            self.server_passwords
                .insert(name.to_owned(), password.clone());
        }
        for role in self.roles.values_mut() {
            if role.name == name && (shared || role.cluster_id == cluster_id) {
                role.password = password.clone();
            }
        }
    }

    /// Moves clusters along: provisioning and operations whose delay has passed finish.
    pub(crate) fn advance(&mut self, now: Instant) {
        for cluster in self.clusters.values_mut() {
            if cluster.hold {
                continue;
            }
            let mut changed = false;
            if let Some(transition) = &cluster.provisioning
                && transition.due.is_some_and(|due| due <= now)
            {
                cluster.state = transition.to.clone();
                cluster.provisioning = None;
                changed = true;
            }
            if cluster.state == "ready" && !cluster.operations.is_empty() {
                let (done, pending): (Vec<_>, Vec<_>) = std::mem::take(&mut cluster.operations)
                    .into_iter()
                    .partition(|op| op.due.is_some_and(|due| due <= now));
                cluster.operations = pending;
                for op in done {
                    apply_change(cluster, &op.change);
                    changed = true;
                }
            }
            if changed {
                cluster.updated_at = now_rfc3339();
            }
        }
    }

    /// Freezes or releases a cluster's pending provisioning and operations; released ones
    /// finish after a fresh delay.
    pub(crate) fn set_hold(&mut self, cluster_id: &str, hold: bool) {
        let due = Instant::now() + self.provision_delay;
        if let Some(cluster) = self.clusters.get_mut(cluster_id) {
            if cluster.hold && !hold {
                if let Some(t) = cluster.provisioning.as_mut()
                    && t.due.is_some()
                {
                    t.due = Some(due);
                }
                for op in &mut cluster.operations {
                    op.due = Some(due);
                }
            }
            cluster.hold = hold;
        }
    }

    /// When something started now finishes.
    pub(crate) fn due(&self) -> Option<Instant> {
        Some(Instant::now() + self.provision_delay)
    }

    pub(crate) fn cluster(&self, id: &str) -> Result<&Cluster, ApiError> {
        self.clusters
            .get(id)
            .ok_or_else(|| self.cluster_absent(id, false))
    }

    pub(crate) fn cluster_mut(&mut self, id: &str) -> Result<&mut Cluster, ApiError> {
        if !self.clusters.contains_key(id) {
            return Err(self.cluster_absent(id, false));
        }
        self.clusters
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("cluster {id} not found")))
    }

    /// 404, or 410 when `deleting` something already deleted.
    pub(crate) fn cluster_absent(&self, id: &str, deleting: bool) -> ApiError {
        match (self.deleted_clusters.contains(id), deleting) {
            (true, true) => ApiError::gone(format!("cluster {id} was already deleted")),
            (true, false) => ApiError::not_found(format!("cluster {id} was deleted")),
            (false, _) => ApiError::not_found(format!("cluster {id} not found")),
        }
    }

    pub(crate) fn network(&self, id: &str) -> Result<&Network, ApiError> {
        self.networks
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("network {id} not found")))
    }

    pub(crate) fn team(&self, id: &str) -> Result<&Team, ApiError> {
        self.teams
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("team {id} not found")))
    }

    /// Every object, passwords included.
    fn dump(&self) -> Value {
        let clusters: Vec<Value> = self
            .clusters
            .values()
            .map(|c| {
                let mut view = c.view(&self.endpoint);
                if let Some(map) = view.as_object_mut() {
                    map.insert("pending_provisioning".into(), json!(c.provisioning));
                    map.insert("pending_operations".into(), json!(c.operations));
                    map.insert("hold".into(), json!(c.hold));
                }
                view
            })
            .collect();
        let roles: Vec<Value> = self
            .roles
            .values()
            .map(|r| {
                let mut view = r.view(&self.endpoint, &self.account.email, false);
                if let Some(map) = view.as_object_mut() {
                    map.insert("superuser".into(), json!(r.superuser));
                }
                view
            })
            .collect();
        json!({
            "account": self.account.view(),
            "teams": self.teams.values().map(Team::view).collect::<Vec<_>>(),
            "networks": self.networks.values().map(Network::view).collect::<Vec<_>>(),
            "firewall_rules": self.rules.values().map(FirewallRule::view).collect::<Vec<_>>(),
            "clusters": clusters,
            "roles": roles,
            "deleted": {
                "clusters": self.deleted_clusters,
                "firewall_rules": self.deleted_rules,
                "roles": self.deleted_roles.iter()
                    .map(|(c, n)| json!({"cluster_id": c, "name": n}))
                    .collect::<Vec<_>>(),
            },
            "provision_delay_ms": u64::try_from(self.provision_delay.as_millis()).unwrap_or(u64::MAX),
            "endpoint": self.endpoint,
        })
    }
}

pub(crate) fn default_backups() -> VariableBackups {
    VariableBackups {
        daily: 7,
        weekly: 0,
        monthly: 0,
        yearly: 0,
    }
}

fn apply_change(cluster: &mut Cluster, change: &Change) {
    match change {
        Change::Upgrade {
            plan_id,
            storage,
            major_version,
        } => {
            if let Some(plan) = plan_id {
                cluster.plan_id = plan.clone();
            }
            if let Some(storage) = storage {
                cluster.storage = *storage;
            }
            if let Some(major) = major_version {
                cluster.major_version = *major;
            }
        }
        Change::Ha { enable } => cluster.is_ha = *enable,
    }
}

/// Everything the handlers share.
pub(crate) struct AppState {
    pub api_key: String,
    pub seed: Seed,
    pub store: Mutex<Store>,
    /// Shared with the fault middleware, which needs nothing else.
    pub faults: SharedFaults,
    /// Shared with the idempotency middleware, which needs nothing else.
    pub idempotency: SharedIdempotency,
    pub backend: Backend,
    /// `GET /teams/{id}.pem`.
    pub team_ca_pem: String,
    /// The provisioning delay the emulator was started with (reset returns to it).
    pub configured_delay: Duration,
    /// Serialises the changes that touch PostgreSQL and the store together.
    pub pg_lock: tokio::sync::Mutex<()>,
    /// The emulated Kubernetes API server's cluster.
    pub kubernetes: crate::kubernetes::KubernetesApi,
    /// The Cloudflare API's token and objects.
    pub cloudflare: crate::cloudflare::CloudflareState,
}

impl AppState {
    /// The store, moved along to now.
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = lock(&self.store);
        store.advance(Instant::now());
        store
    }

    /// `GET /__emulator/state`.
    pub(crate) fn dump(&self) -> Value {
        let mut state = self.store().dump();
        if let Some(map) = state.as_object_mut() {
            map.insert("seed".into(), json!(self.seed));
            map.insert(
                "idempotency_keys".into(),
                json!(lock(&self.idempotency).len()),
            );
            map.insert("faults".into(), json!(lock(&self.faults).list()));
            map.insert("postgres_mode".into(), json!(self.backend.mode()));
            map.insert("kubernetes".into(), self.kubernetes.dump());
            map.insert("cloudflare".into(), self.cloudflare.dump());
        }
        state
    }

    /// Back to the seed: new built-in passwords, no faults, no idempotency keys; on a throwaway
    /// server, the databases and roles made since start are dropped. Returns what could not be
    /// cleaned up.
    pub(crate) async fn reset(&self) -> Result<Vec<String>, BackendFailure> {
        let _pg = self.pg_lock.lock().await;
        self.kubernetes.reset();
        let mut warnings = Vec::new();
        let extra_roles: BTreeSet<String> = lock(&self.store)
            .roles
            .values()
            .map(|r| r.name.clone())
            .filter(|n| !BUILTIN_ROLES.contains(&n.as_str()))
            .collect();
        let mut keep: Vec<&str> = BUILTIN_ROLES.to_vec();
        keep.push(ADMIN_ROLE);
        if let Err(e) = self.backend.drop_extras(&keep).await {
            warnings.push(e.0);
        }
        for name in &extra_roles {
            if let Err(e) = self.backend.drop_role(name).await {
                warnings.push(e.0);
            }
        }
        let passwords = prepare_builtin_roles(&self.backend).await?;
        let store = Store::seeded(
            &self.seed,
            self.backend.endpoint(),
            self.backend.is_real(),
            self.configured_delay,
            &passwords,
        );
        *lock(&self.store) = store;
        lock(&self.faults).clear();
        lock(&self.idempotency).clear();
        self.cloudflare.reset();
        for w in &warnings {
            tracing::warn!(warning = %w, "reset could not clean up everything");
        }
        Ok(warnings)
    }
}

/// New passwords for the built-in roles, set on the server.
pub(crate) async fn prepare_builtin_roles(
    backend: &Backend,
) -> Result<BuiltinPasswords, BackendFailure> {
    let passwords = BuiltinPasswords {
        postgres: backend
            .fixed_password("postgres")
            .unwrap_or_else(new_password),
        application: backend
            .fixed_password("application")
            .unwrap_or_else(new_password),
    };
    backend
        .ensure_role("postgres", &passwords.postgres, true, false)
        .await?;
    backend
        .ensure_role("application", &passwords.application, false, false)
        .await?;
    Ok(passwords)
}
