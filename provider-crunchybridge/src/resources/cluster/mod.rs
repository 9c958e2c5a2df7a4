//! `crunchybridge:index:Cluster`: a Crunchy Bridge PostgreSQL cluster. It is created, waited
//! for until `ready`, changed in place (PATCH, upgrades, the HA actions) and read back after
//! every change.
//!
//! # One cluster per resource, whatever crashes, edits and retries come between
//! `POST /clusters` carries an `Idempotency-Key` derived from the resource's URN alone (a
//! UUIDv5 of `"create\n<urn>"` in a namespace of our own), so every create a resource sends
//! within an hour uses the same key. Bridge keeps a key for an hour: the same request again
//! gets the stored answer (`Idempotency-Replay: true`), another request with that key gets 409.
//! So a `pulumi up` that lost the answer (a dropped connection, a killed provider, a cancelled
//! engine) and is run again gets the cluster that was made; run again with edited inputs, it
//! gets 409 and refuses (restore the inputs, or import the cluster), never a second cluster.
//!
//! Before any create, the team's clusters are listed (every page) and those of the requested
//! name (not being deleted) are found. A create is sent while such a cluster exists only when
//! the key provably carries an earlier create of this resource, for then Bridge cannot make a
//! new cluster with it. The proof is a probe: `POST /clusters` with an empty body (which Bridge
//! can only refuse) under the key. 409 means the key carries another request, an earlier
//! create of this resource: the create is sent and Bridge replays it (the cluster is resumed)
//! or answers 409 (refused: other inputs). Any other refusal means the key carried no create,
//! so the cluster of that name is not ours (or ours from more than an hour ago): refused with
//! `pulumi import crunchybridge:index:Cluster <name> <clusterId>`, nothing created. The probe
//! spends an unused key (Bridge stores the refusal for an hour), so the next create walks on
//! to a key derived from it; a replayed probe refusal is recognised by `Idempotency-Replay`.
//!
//! A replay can name a cluster that no longer exists (a `pulumi destroy` and a new `pulumi up`
//! within the hour): the create then asks again with a key derived from the previous key and
//! the stale id, still deterministic. Replacements delete the old cluster first
//! ([`Cluster::DELETE_BEFORE_REPLACE`]), so a forced replacement never receives the old
//! cluster back as the "new" one.
//!
//! Limits, which no rule can close without a marker on the cluster (Bridge has none): after
//! more than an hour, a create whose `name` was edited since the lost create makes a cluster
//! (the first one, under its old name, is left for `pulumi import`; the engine reports the
//! interrupted create as a pending operation); a same-name cluster made by this resource more
//! than an hour ago is refused like a foreign one (import it); and the key could expire in the
//! instant between the probe and the create, when the earlier create was exactly an hour ago.
//!
//! # Waiting, and what a timeout leaves
//! After the create (and after every upgrade or HA change) the provider polls
//! `GET /clusters/{id}/status` (250 ms at first, backing off to every 10 s) until the cluster is
//! `ready` with no operation ongoing, reporting progress through the engine. The wait ends at
//! the request's deadline (`customTimeouts`, 30 minutes by default): the cluster exists, so the
//! provider answers with an init-failed error carrying its id and state. The engine keeps it,
//! and the next `pulumi up` calls Update, which notices the cluster is not ready yet and
//! resumes waiting; `pulumi destroy` deletes it. `creation_failed` and `failed` end the wait
//! with an init-failed error naming the cluster, for the same reason: it exists and must stay
//! deletable.
//!
//! # Inputs in the state
//! The state holds each input property as the program gave it (after Check), refreshed from
//! Bridge, because Diff compares the program with those values. Inputs the program left to
//! Bridge (`storage`, `postgresVersion`, `providerId`, `regionId`, `networkId`) stay absent
//! unless they were given; what Bridge chose is in outputs of their own (`majorVersion`,
//! `clusterNetworkId`). `networkCidr4` and `firewallMode` only shape the new network, and
//! Bridge does not report them on the cluster: they are kept as given. An import
//! (`pulumi import crunchybridge:index:Cluster <name> <clusterId>`) returns the cluster as
//! `networkId` (the network it is in) plus everything Bridge reports.

mod args;
mod create_once;
mod idempotency;
mod mapping;
mod validate;
mod wait;

use std::time::Duration;

use async_trait::async_trait;

use oceanid_core::crunchybridge::{
    Cluster as ApiCluster, ClusterState as BridgeState, Deletion, PostgresVersionSelector,
    UpdateCluster, UpgradeCluster,
};

use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

pub use args::{ClusterArgs, ClusterState, FirewallMode, PROVIDERS};
pub use idempotency::{create_key, next_create_key};
pub use validate::{normalize_cidr4, parse_id};

use create_once::create_once;
use mapping::{
    create_request, mismatch, patch_for, refused_change, state_name, state_of, upgrade_for,
    upgraded,
};
use validate::check_args;
use wait::{Stopped, is_settled, stopped_error, wait_until};

/// `crunchybridge:index:Cluster`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cluster;

fn protected_error(c: &ApiCluster) -> ResourceError {
    ResourceError::msg(format!(
        "cluster {} ({}) is protected (`isProtected: true` on Bridge), so it is not deleted. To \
         delete it, set `isProtected: false` on the Cluster and run `pulumi up`, then run \
         `pulumi destroy` (or remove it from the program) again",
        c.id, c.name
    ))
}

#[async_trait]
impl Resource for Cluster {
    type Client = Clients;
    type Args = ClusterArgs;
    type State = ClusterState;

    const TOKEN: &'static str = "crunchybridge:index:Cluster";
    const DESCRIPTION: &'static str = "A Crunchy Bridge PostgreSQL cluster.\n\nCreate sends an \
        Idempotency-Key derived from the resource alone, so a `pulumi up` retried after a lost \
        answer gets the cluster that was made rather than a second one (retried with edited \
        inputs within the hour, it refuses); a cluster of the same name in the team that this \
        resource did not make is refused with the `pulumi import` command. It then waits until \
        the cluster is `ready`, reporting progress. If the timeout (`customTimeouts`, 30 minutes by \
        default) passes first, the cluster stays in the stack and the next `pulumi up` resumes \
        waiting; `creation_failed` is an error naming the cluster, which `pulumi destroy` deletes. \
        `name`, `isProtected`, `maintenanceWindowStart` and `environment` update in place; \
        `planId`, `storage` and `postgresVersion` through a Bridge upgrade and `isHa` through the \
        HA actions, each waited for; team, provider, region and network replace the cluster (the \
        old one is deleted first). After every create and update the cluster is read back and \
        compared with what was asked. A protected cluster (`isProtected: true`) is never deleted. \
        Use `clusterNetworkId` for FirewallRules and a Role for credentials. Import with `pulumi \
        import crunchybridge:index:Cluster <name> <clusterId>`.";
    // A replacement starts empty, so two at once buy nothing; deleting first also means a
    // forced replacement with unchanged inputs cannot get the old cluster back from a replayed
    // Idempotency-Key (see the module docs).
    const DELETE_BEFORE_REPLACE: bool = true;
    const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

    fn check(&self, args: &mut ClusterArgs) -> Vec<CheckFailure> {
        check_args(args)
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: ClusterArgs,
    ) -> Result<Created<ClusterState>, ResourceError> {
        let bridge = cx.bridge()?;
        let clusters = bridge.clusters();
        let request = create_request(&args);
        let made = create_once(cx, &clusters, &args, &request).await?;
        let id = made.id.clone();
        cx.info(&format!(
            "Bridge accepted cluster {:?} as {id}; waiting until it is ready (usually a few \
             minutes)",
            args.name
        ));
        let doing = format!("creating cluster {} ({id})", args.name);
        let ready = wait_until(cx, &bridge, &id, &doing, |_| true)
            .await
            .map_err(|s| stopped_error(s, &made, &args, &doing, cx.urn()))?;
        // Bridge's create request has no protection flag: set it once the cluster is ready.
        if args.is_protected && !ready.is_protected {
            let patch = UpdateCluster {
                is_protected: Some(true),
                ..UpdateCluster::default()
            };
            if let Err(e) = clusters.update(&id, &patch).await {
                return Err(ResourceError::init_failed(
                    id.to_string(),
                    &state_of(&ready, Some(&args)),
                    vec![format!(
                        "cluster {id} is ready, but protecting it failed: {e}. The next `pulumi \
                         up` tries again"
                    )],
                ));
            }
        }
        let held = match clusters.get(&id).await {
            Ok(c) => c,
            Err(e) => {
                return Err(ResourceError::init_failed(
                    id.to_string(),
                    &state_of(&ready, Some(&args)),
                    vec![format!(
                        "cluster {id} is ready, but reading it back failed: {e}. The next \
                         `pulumi up` checks it again"
                    )],
                ));
            }
        };
        let state = state_of(&held, Some(&args));
        if let Some(diff) = mismatch(&held, &args) {
            return Err(ResourceError::init_failed(
                id.to_string(),
                &state,
                vec![format!(
                    "cluster {id} is ready, but Bridge does not hold what was asked: {diff}"
                )],
            ));
        }
        Ok(Created {
            id: id.to_string(),
            state,
        })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        prior: Option<ClusterState>,
    ) -> Result<Option<ClusterState>, ResourceError> {
        let cluster_id = parse_id(id)?;
        let bridge = cx.bridge()?;
        match bridge.clusters().get_opt(&cluster_id).await {
            // A cluster being destroyed is as good as gone.
            Ok(Some(c)) if c.state == Some(BridgeState::Destroying) => Ok(None),
            Ok(Some(c)) => Ok(Some(state_of(&c, prior.as_ref().map(|p| &p.args)))),
            Ok(None) => Ok(None),
            Err(e) => Err(ResourceError::because(
                format!("cannot read cluster {cluster_id}"),
                &e,
            )),
        }
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _olds: ClusterState,
        news: ClusterArgs,
    ) -> Result<ClusterState, ResourceError> {
        let cluster_id = parse_id(id)?;
        let bridge = cx.bridge()?;
        let clusters = bridge.clusters();
        let mut current = match clusters.get_opt(&cluster_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Err(ResourceError::msg(format!(
                    "cluster {cluster_id} no longer exists on Bridge: run `pulumi refresh` to \
                     drop it from the stack, then `pulumi up` creates a new one"
                )));
            }
            Err(e) => {
                return Err(ResourceError::because(
                    format!("cannot read cluster {cluster_id}"),
                    &e,
                ));
            }
        };
        // An earlier create or update that timed out: finish waiting before changing anything.
        if !is_settled(&current) {
            if current
                .state
                .as_ref()
                .is_some_and(BridgeState::is_terminal_failure)
            {
                return Err(stopped_error(
                    Stopped::Terminal(state_name(current.state.as_ref())),
                    &current,
                    &news,
                    "updating it",
                    cx.urn(),
                ));
            }
            cx.info(&format!(
                "cluster {cluster_id} is {}; waiting for it to be ready before changing it \
                 (resuming an earlier `pulumi up`)",
                state_name(current.state.as_ref())
            ));
            let doing = format!("waiting for cluster {} ({cluster_id})", current.name);
            current = wait_until(cx, &bridge, &cluster_id, &doing, |_| true)
                .await
                .map_err(|s| stopped_error(s, &current, &news, &doing, cx.urn()))?;
        }
        if let Some(why) = refused_change(&current, &news) {
            return Err(ResourceError::Failed(why));
        }
        if let Some(patch) = patch_for(&current, &news) {
            current = clusters.update(&cluster_id, &patch).await.map_err(|e| {
                ResourceError::because(format!("cannot update cluster {cluster_id}"), &e)
            })?;
        }
        // Turn HA off before a resize (a hobby plan cannot have it), on after.
        let ha_first = current.is_ha && !news.is_ha;
        let mut steps = vec![Step::Ha, Step::Upgrade];
        if !ha_first {
            steps.reverse();
        }
        for step in steps {
            let doing = match step {
                Step::Upgrade => {
                    let Some(upgrade) = upgrade_for(&current, &news) else {
                        continue;
                    };
                    clusters.upgrade(&cluster_id, &upgrade).await.map_err(|e| {
                        ResourceError::because(format!("cannot upgrade cluster {cluster_id}"), &e)
                    })?;
                    format!(
                        "upgrading cluster {} ({cluster_id}) to {}",
                        news.name,
                        describe_upgrade(&upgrade)
                    )
                }
                Step::Ha if current.is_ha == news.is_ha => continue,
                Step::Ha => {
                    let result = if news.is_ha {
                        clusters.enable_ha(&cluster_id).await
                    } else {
                        clusters.disable_ha(&cluster_id).await
                    };
                    let verb = if news.is_ha { "enabling" } else { "disabling" };
                    result.map_err(|e| {
                        ResourceError::because(
                            format!("{verb} HA on cluster {cluster_id} failed"),
                            &e,
                        )
                    })?;
                    format!("{verb} HA on cluster {} ({cluster_id})", news.name)
                }
            };
            cx.info(&format!("{doing}; waiting until Bridge has applied it"));
            let want = ClusterArgs {
                is_ha: if step == Step::Ha {
                    news.is_ha
                } else {
                    current.is_ha
                },
                ..news.clone()
            };
            let want_step = step;
            current = wait_until(cx, &bridge, &cluster_id, &doing, |c| match want_step {
                Step::Ha => c.is_ha == want.is_ha,
                Step::Upgrade => upgraded(c, &want),
            })
            .await
            .map_err(|s| stopped_error(s, &current, &news, &doing, cx.urn()))?;
        }
        let held = clusters.get(&cluster_id).await.map_err(|e| {
            ResourceError::because(
                format!("updated cluster {cluster_id} but cannot read it back"),
                &e,
            )
        })?;
        let state = state_of(&held, Some(&news));
        if let Some(diff) = mismatch(&held, &news) {
            return Err(ResourceError::init_failed(
                id,
                &state,
                vec![format!("Bridge does not hold what was asked: {diff}")],
            ));
        }
        Ok(state)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _state: ClusterState,
    ) -> Result<(), ResourceError> {
        let cluster_id = parse_id(id)?;
        let bridge = cx.bridge()?;
        let clusters = bridge.clusters();
        match clusters.get_opt(&cluster_id).await {
            Ok(Some(c)) if c.is_protected => return Err(protected_error(&c)),
            Ok(Some(_)) => {}
            Ok(None) => {
                cx.info(&format!("cluster {cluster_id} was already gone"));
                return Ok(());
            }
            Err(e) => {
                return Err(ResourceError::because(
                    format!("cannot read cluster {cluster_id}"),
                    &e,
                ));
            }
        }
        match clusters.delete(&cluster_id).await {
            Ok(Deletion::Deleted) => Ok(()),
            Ok(Deletion::AlreadyGone) => {
                cx.info(&format!("cluster {cluster_id} was already gone"));
                Ok(())
            }
            Err(e) => Err(ResourceError::because(
                format!(
                    "cannot delete cluster {cluster_id} (if Bridge says it is protected, set \
                     `isProtected: false` and run `pulumi up` first)"
                ),
                &e,
            )),
        }
    }
}

/// The two kinds of in-place change that Bridge carries out as operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Upgrade,
    Ha,
}

fn describe_upgrade(u: &UpgradeCluster) -> String {
    let mut parts = Vec::new();
    if let Some(plan) = &u.plan_id {
        parts.push(format!("plan {plan}"));
    }
    if let Some(storage) = u.storage {
        parts.push(format!("{storage} GB"));
    }
    if let Some(PostgresVersionSelector::Major(v)) = &u.postgres_version_id {
        parts.push(format!("PostgreSQL {v}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use oceanid_core::crunchybridge::PlanId;
    use uuid::Uuid;

    use super::*;

    const TEAM: &str = "oceanidemulatorteam222222a";
    const NET: &str = "oceanidemulatornetwork222a";

    fn args() -> ClusterArgs {
        ClusterArgs {
            name: "app-db".into(),
            team_id: TEAM.into(),
            plan_id: "hobby-2".into(),
            provider_id: Some("aws".into()),
            region_id: Some("us-east-1".into()),
            storage: None,
            is_ha: false,
            postgres_version: None,
            network_id: None,
            network_cidr4: None,
            firewall_mode: None,
            is_protected: false,
            maintenance_window_start: None,
            environment: None,
        }
    }

    fn properties(failures: &[CheckFailure]) -> Vec<&str> {
        failures.iter().map(|f| f.property.as_str()).collect()
    }

    fn api_cluster() -> ApiCluster {
        serde_json::from_value(serde_json::json!({
            "id": "rvf73a77ozfsvcttryebfrnlem", "name": "app-db", "team_id": TEAM,
            "plan_id": "hobby-2", "provider_id": "aws", "region_id": "us-east-1",
            "storage": 10, "is_ha": false, "is_protected": false, "major_version": 17,
            "postgres_version_id": "oceanidemulatorpgseventeea", "memory": 2.0, "vcpu": 1.0,
            "host": "p.rvf73a77ozfsvcttryebfrnlem.db.postgresbridge.com", "network_id": NET,
            "state": "ready", "maintenance_window_start": null, "environment": null,
            "created_at": "2024-01-01T00:00:00Z", "ongoing_operations": []
        }))
        .unwrap()
    }

    #[test]
    fn good_inputs_are_normalised() {
        let mut a = args();
        a.provider_id = Some(" AWS ".into());
        a.plan_id = "Hobby-2".into();
        a.network_cidr4 = Some("10.10.0.0/20".into());
        a.environment = Some(String::new());
        assert_eq!(check_args(&mut a), vec![]);
        assert_eq!(a.provider_id.as_deref(), Some("aws"));
        assert_eq!(a.plan_id, "hobby-2");
        assert_eq!(a.environment, None);
    }

    #[test]
    fn network_id_excludes_provider_cidr_and_firewall_mode() {
        let mut a = args();
        a.network_id = Some(NET.into());
        a.region_id = None;
        a.network_cidr4 = Some("10.10.0.0/20".into());
        a.firewall_mode = Some(FirewallMode::DenyAll);
        let failures = check_args(&mut a);
        assert_eq!(
            properties(&failures),
            ["providerId", "networkCidr4", "firewallMode"]
        );
        assert!(failures[0].reason.contains("`networkId`"), "{failures:?}");
        // With the network alone, neither provider nor region is needed.
        let mut a = args();
        a.network_id = Some(NET.into());
        a.provider_id = None;
        a.region_id = None;
        assert_eq!(check_args(&mut a), vec![]);
    }

    #[test]
    fn a_new_network_needs_provider_and_region() {
        let mut a = args();
        a.provider_id = None;
        a.region_id = None;
        assert_eq!(properties(&check_args(&mut a)), ["providerId", "regionId"]);
    }

    #[test]
    fn ranges_and_enums_are_checked() {
        let mut a = args();
        a.maintenance_window_start = Some(24);
        a.postgres_version = Some(7);
        a.environment = Some("staging".into());
        a.storage = Some(0);
        a.provider_id = Some("digitalocean".into());
        a.team_id = "nope".into();
        a.is_ha = true;
        let failures = check_args(&mut a);
        let mut props = properties(&failures);
        props.sort_unstable();
        assert_eq!(
            props,
            [
                "environment",
                "isHa",
                "maintenanceWindowStart",
                "postgresVersion",
                "providerId",
                "storage",
                "teamId"
            ]
        );
        let mut a = args();
        a.maintenance_window_start = Some(0);
        a.postgres_version = Some(17);
        assert_eq!(check_args(&mut a), vec![]);
    }

    #[test]
    fn network_ranges() {
        assert_eq!(normalize_cidr4(" 10.10.0.0/20 ").unwrap(), "10.10.0.0/20");
        assert_eq!(normalize_cidr4("192.168.0.0/16").unwrap(), "192.168.0.0/16");
        assert!(
            normalize_cidr4("10.10.0.1/20")
                .unwrap_err()
                .contains("`10.10.0.0/20`")
        );
        assert!(normalize_cidr4("10.10.0.0/24").unwrap_err().contains("/20"));
        assert!(
            normalize_cidr4("8.8.0.0/16")
                .unwrap_err()
                .contains("private")
        );
        assert!(normalize_cidr4("fd00::/8").is_err());
        assert!(normalize_cidr4("nonsense").is_err());
    }

    #[test]
    fn idempotency_keys_are_deterministic_per_resource_whatever_the_inputs() {
        let urn = "urn:pulumi:prod::infra::crunchybridge:index:Cluster::db";
        let key = create_key(urn);
        assert_eq!(key, create_key(urn), "same resource, same key");
        assert!(Uuid::parse_str(key.as_str()).is_ok_and(|u| u.get_version_num() == 5));
        let other_stack = urn.replace("prod", "dev");
        assert_ne!(key, create_key(&other_stack));
        let next = next_create_key(&key, "rvf73a77ozfsvcttryebfrnlem");
        assert_ne!(next, key);
        assert_eq!(next, next_create_key(&key, "rvf73a77ozfsvcttryebfrnlem"));
        assert_ne!(next, next_create_key(&key, "probe"));
    }

    #[test]
    fn ids() {
        assert!(parse_id("rvf73a77ozfsvcttryebfrnlem").is_ok());
        let e = parse_id("net/rule").unwrap_err().to_string();
        assert!(e.contains("<clusterId>"), "{e}");
    }

    #[test]
    fn state_keeps_unset_inputs_absent_and_import_fills_them() {
        let c = api_cluster();
        let s = state_of(&c, Some(&args()));
        assert_eq!(s.args, args(), "nothing Bridge chose leaks into the inputs");
        assert_eq!(s.cluster_network_id.as_deref(), Some(NET));
        assert_eq!(s.major_version, Some(17));
        assert_eq!(mismatch(&c, &args()), None);

        let imported = state_of(&c, None);
        assert_eq!(imported.args.network_id.as_deref(), Some(NET));
        assert_eq!(imported.args.provider_id, None);
        assert_eq!(imported.args.storage, Some(10));
        assert_eq!(imported.args.postgres_version, Some(17));
        let mut checked = imported.args.clone();
        assert_eq!(check_args(&mut checked), vec![]);
        assert_eq!(
            checked, imported.args,
            "Check leaves imported inputs unchanged"
        );
    }

    #[test]
    fn updates_are_planned_from_what_bridge_holds() {
        let c = api_cluster();
        let mut want = args();
        assert_eq!(patch_for(&c, &want), None);
        assert!(upgrade_for(&c, &want).is_none());
        want.name = "renamed".into();
        want.is_protected = true;
        want.maintenance_window_start = Some(3);
        want.plan_id = "standard-8".into();
        want.storage = Some(20);
        want.postgres_version = Some(17);
        let patch = patch_for(&c, &want).unwrap();
        assert_eq!(patch.name.as_deref(), Some("renamed"));
        assert_eq!(patch.is_protected, Some(true));
        assert_eq!(patch.maintenance_window_start, Some(3));
        assert_eq!(patch.environment, None);
        let upgrade = upgrade_for(&c, &want).unwrap();
        assert_eq!(
            upgrade.plan_id.as_ref().map(PlanId::as_str),
            Some("standard-8")
        );
        assert_eq!(upgrade.storage, Some(20));
        assert_eq!(upgrade.postgres_version_id, None, "already on 17");
        want.storage = Some(5);
        assert!(refused_change(&c, &want).unwrap().contains("shrink"));
        want.storage = None;
        want.postgres_version = Some(16);
        assert!(refused_change(&c, &want).unwrap().contains("downgraded"));

        let mut held = c.clone();
        held.maintenance_window_start = Some(3);
        held.environment = Some("production".into());
        let clear = patch_for(&held, &args()).unwrap();
        assert_eq!(clear.maintenance_window_start, Some(-1));
        assert_eq!(clear.environment.as_deref(), Some(""));
    }
}
