//! The Bridge client against the emulator: every endpoint, pagination, and the faults the
//! emulator injects (429 storms, 503s, commit-then-drop, latency past the deadline).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use oceanid_core::crunchybridge::{
    Bridge, ClusterId, ClusterState, CreateCluster, CreateFirewallRule, Deletion, Error,
    ExposeSecret, FirewallRuleId, FirewallRuleKind, IdempotencyKey, KeyUse, ListParams, NetworkId,
    RetryPolicy, RoleFlavor, RoleName, TeamId, UpdateCluster, UpdateFirewallRule, UpgradeCluster,
    UpsertRole,
};
use oceanid_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

async fn emulator() -> Emulator {
    match Emulator::start(EmulatorConfig::default()).await {
        Ok(e) => e,
        Err(e) => panic!("starting the emulator: {e}"),
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .with_min_delay(Duration::from_millis(20))
        .with_max_delay(Duration::from_millis(200))
}

fn client(emu: &Emulator) -> Bridge {
    client_with(emu, fast())
}

fn client_with(emu: &Emulator, policy: RetryPolicy) -> Bridge {
    match Bridge::builder()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .retry(policy)
        .build()
    {
        Ok(b) => b.with_timeout(Duration::from_secs(60)),
        Err(e) => panic!("building the client: {e}"),
    }
}

async fn add_fault(emu: &Emulator, fault: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/__emulator/faults", emu.base_url()))
        .json(&fault)
        .send()
        .await
        .expect("the admin route answers");
    assert_eq!(
        resp.status().as_u16(),
        201,
        "installing {fault}: {:?}",
        resp.text().await
    );
}

/// The emulator's objects of one kind, from its state dump.
fn objects(emu: &Emulator, kind: &str) -> Vec<Value> {
    emu.state()[kind].as_array().cloned().unwrap_or_default()
}

fn seed_network(emu: &Emulator) -> NetworkId {
    NetworkId::new(emu.seed().network_id)
}

/// Make room for IPv4 rules: remove the network's allow-all `0.0.0.0/0`.
async fn remove_allow_all_v4(emu: &Emulator, bridge: &Bridge) {
    let id = FirewallRuleId::new(emu.seed().allow_all_rule_ids[0]);
    let gone = bridge
        .firewall(&seed_network(emu))
        .delete(&id)
        .await
        .expect("delete allow-all");
    assert_eq!(gone, Deletion::Deleted);
}

async fn wait_ready(bridge: &Bridge, id: &ClusterId) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = bridge.clusters().status(id).await.expect("status");
        match status.state {
            Some(s) if s.is_ready() => return,
            Some(s) if s.is_terminal_failure() => panic!("cluster {id} failed: {s}"),
            _ if Instant::now() > deadline => panic!("cluster {id} never became ready"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn new_cluster(emu: &Emulator, name: &str, plan: &str) -> CreateCluster {
    let mut c = CreateCluster::new(name, plan.into(), TeamId::new(emu.seed().team_id));
    c.network_id = Some(seed_network(emu));
    c.region_id = Some(emu.seed().region_id.into());
    c.storage = Some(10);
    c
}

#[tokio::test]
async fn account_teams_providers_and_versions() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let seed = emu.seed();

    let account = bridge.account().get().await.expect("account");
    assert_eq!(
        account.id.as_ref().map(|a| a.as_str()),
        Some(seed.account_id)
    );
    assert_eq!(account.email, seed.account_email);

    let teams = bridge.teams().list().await.expect("teams");
    let ids: Vec<_> = teams.iter().map(|t| t.id.as_str()).collect();
    assert!(
        ids.contains(&seed.team_id) && ids.contains(&seed.personal_team_id),
        "{ids:?}"
    );
    let team = bridge
        .teams()
        .get(&TeamId::new(seed.team_id))
        .await
        .expect("team");
    assert_eq!(team.id.as_str(), seed.team_id);
    assert!(
        bridge
            .teams()
            .get_opt(&TeamId::new("nosuchteamnosuchteamnosuca"))
            .await
            .expect("404")
            .is_none()
    );
    let pem = bridge
        .teams()
        .certificate(&TeamId::new(seed.team_id))
        .await
        .expect("pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let providers = bridge.providers().list().await.expect("providers");
    let aws = providers
        .iter()
        .find(|p| {
            p.id.as_ref()
                .is_some_and(|id| id.as_str() == seed.provider_id)
        })
        .expect("the seed's provider");
    assert!(aws.plan(&seed.plan_id.into()).is_some());
    assert!(aws.region(&seed.region_id.into()).is_some());
    // Providers answer anonymously too.
    let anonymous = Bridge::builder()
        .base_url(emu.base_url())
        .build()
        .expect("client");
    assert!(
        !anonymous
            .providers()
            .list()
            .await
            .expect("anonymous providers")
            .is_empty()
    );
    assert!(
        !bridge
            .providers()
            .list_for_team(&TeamId::new(seed.team_id))
            .await
            .expect("team providers")
            .is_empty()
    );

    let versions = bridge.postgres_versions().list().await.expect("versions");
    let v17 = versions.iter().find(|v| v.major_version == 17).expect("17");
    assert_eq!(v17.id.as_str(), seed.postgres_version_id);
    let by_major = bridge
        .postgres_versions()
        .get("17")
        .await
        .expect("by major");
    assert_eq!(by_major.id, v17.id);
}

#[tokio::test]
async fn cluster_lifecycle() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let clusters = bridge.clusters();

    let seeded = clusters
        .get(&ClusterId::new(emu.seed().cluster_id))
        .await
        .expect("seed cluster");
    assert_eq!(seeded.state, Some(ClusterState::Ready));

    let mut req = new_cluster(&emu, "lifecycle", "standard-8");
    req.postgres_version_id = Some(17.into());
    let created = clusters.create(&req).await.expect("create");
    assert_eq!(created.name, "lifecycle");
    assert_eq!(created.major_version, 17);
    assert!(
        !created
            .state
            .as_ref()
            .is_some_and(ClusterState::is_terminal_failure)
    );
    let id = created.id.clone();
    wait_ready(&bridge, &id).await;
    assert_eq!(
        clusters.get_opt(&id).await.expect("get_opt").map(|c| c.id),
        Some(id.clone())
    );

    let updated = clusters
        .update(
            &id,
            &UpdateCluster {
                name: Some("lifecycle-renamed".into()),
                is_protected: Some(true),
                maintenance_window_start: Some(3),
                ..UpdateCluster::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(updated.name, "lifecycle-renamed");
    assert!(updated.is_protected);
    let refused = clusters.delete(&id).await.expect_err("protected");
    assert_eq!(refused.status(), Some(400));
    assert!(refused.request_id().is_some());
    clusters
        .update(
            &id,
            &UpdateCluster {
                is_protected: Some(false),
                ..UpdateCluster::default()
            },
        )
        .await
        .expect("unprotect");

    let upgrade = clusters
        .upgrade(
            &id,
            &UpgradeCluster {
                storage: Some(20),
                ..UpgradeCluster::default()
            },
        )
        .await
        .expect("upgrade");
    assert_eq!(upgrade.cluster_id, id);
    wait_until(|| async {
        clusters
            .upgrade_status(&id)
            .await
            .expect("upgrade status")
            .is_done()
    })
    .await;
    assert_eq!(clusters.get(&id).await.expect("get").storage, 20);

    let op = clusters.enable_ha(&id).await.expect("enable HA");
    assert_eq!(op.flavor.as_str(), "ha_change");
    wait_until(|| async { clusters.get(&id).await.expect("get").is_ha }).await;
    wait_ready(&bridge, &id).await;
    clusters.disable_ha(&id).await.expect("disable HA");
    wait_until(|| async { !clusters.get(&id).await.expect("get").is_ha }).await;

    assert_eq!(
        clusters.delete(&id).await.expect("delete"),
        Deletion::Deleted
    );
    assert_eq!(
        clusters.delete(&id).await.expect("delete again"),
        Deletion::AlreadyGone
    );
    assert!(clusters.get_opt(&id).await.expect("gone").is_none());
    let err = clusters.status(&id).await.expect_err("gone");
    assert!(err.is_not_found());
}

async fn wait_until<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "condition never became true");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn networks_list_get_rename() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let id = seed_network(&emu);
    let all = bridge.networks().list_all().await.expect("list");
    assert!(all.iter().any(|n| n.id == id));
    let streamed: Vec<_> = bridge
        .networks()
        .stream()
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, all);
    let net = bridge.networks().get(&id).await.expect("get");
    assert_eq!(net.cidr4.as_deref(), Some(emu.seed().network_cidr4));
    let renamed = bridge
        .networks()
        .rename(&id, "renamed-net")
        .await
        .expect("rename");
    assert_eq!(renamed.name, "renamed-net");
    assert_eq!(
        bridge.networks().get(&id).await.expect("get").name,
        "renamed-net"
    );
    assert!(
        bridge
            .networks()
            .get_opt(&NetworkId::new("nosuchnetworknosuchnetwora"))
            .await
            .expect("404")
            .is_none()
    );
}

#[tokio::test]
async fn firewall_rule_lifecycle() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let fw = bridge.firewall(&seed_network(&emu));

    let rules = fw.list().await.expect("list");
    let cidrs: Vec<_> = rules.iter().map(|r| r.rule.as_str()).collect();
    assert!(
        cidrs.contains(&"0.0.0.0/0") && cidrs.contains(&"::/0"),
        "{cidrs:?}"
    );

    // While 0.0.0.0/0 exists, another IPv4 rule overlaps it.
    let overlap = fw
        .create(&CreateFirewallRule::new("203.0.113.7/32"))
        .await
        .expect_err("overlap");
    assert_eq!(overlap.status(), Some(400));
    assert!(overlap.to_string().contains("0.0.0.0/0"), "{overlap}");
    remove_allow_all_v4(&emu, &bridge).await;

    let rule = fw
        .create(&CreateFirewallRule::new("203.0.113.7/32").description("worker-1"))
        .await
        .expect("create");
    assert_eq!(rule.rule, "203.0.113.7/32");
    assert_eq!(rule.description(), Some("worker-1"));
    assert_eq!(rule.effective_kind(), FirewallRuleKind::Ingress);
    assert_eq!(fw.get(&rule.id).await.expect("get"), rule);

    let egress = fw
        .create(&CreateFirewallRule::new("198.51.100.0/24").kind(FirewallRuleKind::Egress))
        .await
        .expect("egress");
    assert_eq!(egress.kind, Some(FirewallRuleKind::Egress));

    let updated = fw
        .update(
            &rule.id,
            &UpdateFirewallRule {
                rule: Some("203.0.113.8/32".into()),
                description: Some("worker-2".into()),
            },
        )
        .await
        .expect("update");
    assert_eq!(
        (updated.rule.as_str(), updated.description()),
        ("203.0.113.8/32", Some("worker-2"))
    );
    assert!(
        fw.list()
            .await
            .expect("list")
            .iter()
            .any(|r| r.id == rule.id && r.rule == "203.0.113.8/32")
    );

    assert_eq!(
        fw.delete(&rule.id).await.expect("delete"),
        Deletion::Deleted
    );
    assert_eq!(
        fw.delete(&rule.id).await.expect("again"),
        Deletion::AlreadyGone
    );
    assert!(fw.get_opt(&rule.id).await.expect("gone").is_none());
    let unknown = bridge
        .firewall(&NetworkId::new("nosuchnetworknosuchnetwora"))
        .list()
        .await
        .expect_err("404");
    assert!(unknown.is_not_found());
}

#[tokio::test]
async fn role_lifecycle() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let roles = bridge.roles(&ClusterId::new(emu.seed().cluster_id));

    let listed = roles.list().await.expect("list");
    assert!(listed.iter().any(|r| r.name == "application"));
    assert!(
        listed
            .iter()
            .all(|r| r.password.is_none() && r.uri.is_none()),
        "lists carry no credentials"
    );

    let mine = roles.create().await.expect("create");
    assert_eq!(mine.name.as_str(), emu.seed().account_role);
    let password = mine
        .password
        .as_ref()
        .expect("a password")
        .expose_secret()
        .to_owned();
    assert!(
        mine.uri
            .as_ref()
            .is_some_and(|u| u.expose_secret().contains(&password))
    );
    assert!(
        !format!("{mine:?}").contains(&password),
        "Debug hides the password"
    );

    let fetched = roles
        .get(&RoleName::new(emu.seed().account_role))
        .await
        .expect("get");
    assert_eq!(
        fetched
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        Some(password.clone())
    );
    let via_alias = roles.get(&RoleName::user()).await.expect("user alias");
    assert_eq!(via_alias.name.as_str(), emu.seed().account_role);

    let app = roles
        .get(&RoleName::application())
        .await
        .expect("application");
    let rotated = roles
        .upsert(
            &RoleName::application(),
            &UpsertRole {
                rotate_password: Some(true),
                flavor: Some(RoleFlavor::Write),
            },
        )
        .await
        .expect("rotate");
    assert_ne!(
        rotated
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        app.password.as_ref().map(|p| p.expose_secret().to_owned())
    );
    assert!(
        roles
            .get_opt(&RoleName::new("u_nosuchaccountnosuchaccounta"))
            .await
            .expect("404")
            .is_none()
    );

    assert_eq!(
        roles.delete(&mine.name).await.expect("delete"),
        Deletion::Deleted
    );
    assert_eq!(
        roles.delete(&mine.name).await.expect("again"),
        Deletion::AlreadyGone
    );
    let builtin = roles
        .delete(&RoleName::postgres())
        .await
        .expect_err("built-in");
    assert_eq!(builtin.status(), Some(400));
}

#[tokio::test]
async fn pagination_reads_every_page() {
    let emu = emulator().await;
    let bridge = client(&emu);
    // 101 more clusters: with the seeded one, two pages at the default limit of 100.
    let created: Vec<_> = futures::stream::iter(0..101)
        .map(|i| {
            let bridge = bridge.clone();
            let req = new_cluster(&emu, &format!("page-{i:03}"), "hobby-2");
            async move { bridge.clusters().create(&req).await }
        })
        .buffer_unordered(10)
        .try_collect()
        .await
        .expect("create 101 clusters");
    assert_eq!(created.len(), 101);

    let first = bridge
        .clusters()
        .page(&ListParams::new())
        .await
        .expect("first page");
    assert_eq!(first.items.len(), 100);
    assert!(first.next().is_some());
    let all = bridge.clusters().list_all().await.expect("all pages");
    assert_eq!(all.len(), 102);
    let distinct: std::collections::BTreeSet<_> = all.iter().map(|c| c.id.clone()).collect();
    assert_eq!(distinct.len(), 102, "no cluster twice");

    let small: Vec<_> = bridge
        .clusters()
        .stream_with(ListParams::new().limit(7))
        .try_collect()
        .await
        .expect("pages of 7");
    assert_eq!(small.len(), 102);
    let team_only: Vec<_> = bridge
        .clusters()
        .stream_with(
            ListParams::new()
                .limit(50)
                .team(&TeamId::new(emu.seed().team_id)),
        )
        .try_collect()
        .await
        .expect("team filter");
    assert_eq!(team_only.len(), 102);
}

#[tokio::test]
async fn rate_limit_storm_on_firewall_creates_makes_each_rule_once() {
    let emu = emulator().await;
    let bridge = client(&emu);
    remove_allow_all_v4(&emu, &bridge).await;
    add_fault(
        &emu,
        json!({"method": "POST", "path": "/networks/*/firewall-rules", "status": 429, "retry_after": 1, "rate": 0.5, "count": 10}),
    )
    .await;
    let fw = bridge.firewall(&seed_network(&emu));
    let cidrs: Vec<String> = (1..=10).map(|i| format!("192.0.2.{i}/32")).collect();
    let results: Vec<Result<_, Error>> = futures::stream::iter(cidrs.clone())
        .map(|cidr| {
            let fw = fw.clone();
            async move {
                fw.create(&CreateFirewallRule::new(cidr).description("storm"))
                    .await
            }
        })
        .buffer_unordered(10)
        .collect()
        .await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for rule in objects(&emu, "firewall_rules") {
        if let Some(cidr) = rule["rule"].as_str() {
            *counts.entry(cidr.to_owned()).or_default() += 1;
        }
    }
    for cidr in &cidrs {
        assert_eq!(counts.get(cidr), Some(&1), "{cidr}: {counts:?}");
    }
    // The storm happened: the fault fired (it is removed once its ten 429s are used up).
    let faults = emu.state()["faults"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fired: u64 = faults.iter().filter_map(|f| f["fired"].as_u64()).sum();
    assert!(faults.is_empty() || fired > 0, "{faults:?}");
}

#[tokio::test]
async fn get_503_is_retried() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let id = emu.seed().cluster_id;
    add_fault(
        &emu,
        json!({"method": "GET", "path": format!("/clusters/{id}"), "status": 503, "count": 2}),
    )
    .await;
    let c = bridge
        .clusters()
        .get(&ClusterId::new(id))
        .await
        .expect("retried past two 503s");
    assert_eq!(c.id.as_str(), id);
    // A fault is removed once its count is used up: both 503s were answered.
    assert_eq!(emu.state()["faults"], json!([]));
}

#[tokio::test]
async fn html_502_from_the_emulator_is_retried_or_reported_clearly() {
    let emu = emulator().await;
    let id = emu.seed().network_id;
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    add_fault(&emu, json!({"method": "GET", "path": format!("/networks/{id}"), "status": 502, "body": page, "count": 1})).await;
    let err = client_with(&emu, RetryPolicy::never())
        .networks()
        .get(&NetworkId::new(id))
        .await
        .expect_err("502");
    assert_eq!(err.status(), Some(502));
    assert!(err.to_string().contains("HTML"), "{err}");
    assert!(err.request_id().is_some());
    add_fault(&emu, json!({"method": "GET", "path": format!("/networks/{id}"), "status": 502, "body": page, "count": 1})).await;
    client(&emu)
        .networks()
        .get(&NetworkId::new(id))
        .await
        .expect("retried");
}

#[tokio::test]
async fn drop_after_commit_on_create_leaves_exactly_one_object() {
    let emu = emulator().await;
    let bridge = client(&emu);
    remove_allow_all_v4(&emu, &bridge).await;
    add_fault(&emu, json!({"method": "POST", "path": "/networks/*/firewall-rules", "drop_after_commit": true, "count": 1})).await;
    let rule = bridge
        .firewall(&seed_network(&emu))
        .create(&CreateFirewallRule::new("192.0.2.77/32"))
        .await
        .expect("the replay answers");
    let same: Vec<_> = objects(&emu, "firewall_rules")
        .into_iter()
        .filter(|r| r["rule"] == "192.0.2.77/32")
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");
    assert_eq!(same[0]["id"], rule.id.as_str());

    add_fault(
        &emu,
        json!({"method": "POST", "path": "/clusters", "drop_after_commit": true, "count": 1}),
    )
    .await;
    let cluster = bridge
        .clusters()
        .create(&new_cluster(&emu, "dropped-once", "hobby-2"))
        .await
        .expect("replayed");
    let named: Vec<_> = objects(&emu, "clusters")
        .into_iter()
        .filter(|c| c["name"] == "dropped-once")
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0]["id"], cluster.id.as_str());

    // Without a key the client cannot know, and says so instead of retrying.
    add_fault(&emu, json!({"method": "POST", "path": "/networks/*/firewall-rules", "drop_after_commit": true, "count": 1})).await;
    let err = bridge
        .request(
            reqwest::Method::POST,
            &format!("/networks/{}/firewall-rules", emu.seed().network_id),
        )
        .json(&json!({"rule": "192.0.2.78/32"}))
        .send::<Value>()
        .await
        .expect_err("dropped");
    assert!(err.is_maybe_sent(), "{err:?}");
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn latency_past_the_deadline_is_a_timeout() {
    let emu = emulator().await;
    add_fault(
        &emu,
        json!({"method": "GET", "path": "/account", "latency_ms": 3000}),
    )
    .await;
    let started = Instant::now();
    let err = client(&emu)
        .with_timeout(Duration::from_millis(300))
        .account()
        .get()
        .await
        .expect_err("too slow");
    assert!(err.is_timeout(), "{err:?}");
    // The answer would come after 3 s.
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let emu = emulator().await;
    let bridge = Bridge::builder()
        .api_key("cbkey_Wrong-Pangolin-4410")
        .base_url(emu.base_url())
        .build()
        .expect("client");
    let err = bridge.account().get().await.expect_err("401");
    assert!(err.is_unauthorized(), "{err:?}");
    assert!(err.request_id().is_some());
    assert!(!err.to_string().contains("Pangolin"));
}

/// What the emulator answers matches the OpenAPI response schemas (the contract the client is
/// written against).
#[tokio::test]
async fn emulator_answers_match_the_response_schemas() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let seed = emu.seed();
    let (c, n, r) = (seed.cluster_id, seed.network_id, seed.allow_all_rule_ids[0]);
    let checks = [
        ("/account".to_owned(), "Account"),
        ("/teams".to_owned(), "TeamList"),
        (format!("/teams/{}", seed.team_id), "Team"),
        ("/providers".to_owned(), "ProviderList"),
        ("/postgres-versions".to_owned(), "PostgresVersionList"),
        (
            format!("/postgres-versions/{}", seed.postgres_version_id),
            "PostgresVersion",
        ),
        ("/clusters".to_owned(), "ClusterList"),
        (format!("/clusters/{c}"), "Cluster"),
        (format!("/clusters/{c}/status"), "ClusterStatus"),
        (format!("/clusters/{c}/upgrade"), "ClusterUpgrade"),
        (format!("/clusters/{c}/roles"), "PostgresRoleList"),
        (format!("/clusters/{c}/roles/application"), "PostgresRole"),
        ("/networks".to_owned(), "NetworkList"),
        (format!("/networks/{n}"), "Network"),
        (format!("/networks/{n}/firewall-rules"), "FirewallRuleList"),
        (format!("/networks/{n}/firewall-rules/{r}"), "FirewallRule"),
    ];
    for (path, schema) in checks {
        let body: Value = match bridge.request(reqwest::Method::GET, &path).send().await {
            Ok(v) => v,
            Err(e) => panic!("GET {path}: {e}"),
        };
        crate::bridge_openapi::assert_valid(schema, &body);
    }
    let raw = reqwest::Client::new()
        .get(format!(
            "{}/clusters/nosuchclusternosuchclustea",
            emu.base_url()
        ))
        .bearer_auth(emu.api_key())
        .send()
        .await
        .expect("404 answer");
    assert_eq!(raw.status().as_u16(), 404);
    let body: Value = raw.json().await.expect("a JSON error");
    crate::bridge_openapi::assert_valid("Error", &body);
}

#[tokio::test]
async fn a_probe_tells_what_an_idempotency_key_holds_and_never_creates() {
    let emu = emulator().await;
    let bridge = client(&emu);
    let clusters = bridge.clusters();
    let before = clusters.list_all().await.unwrap().len();

    // A key that carries a create: 409, so a create with it can only replay or conflict.
    let used = IdempotencyKey::new();
    let made = clusters
        .create_with_key(&new_cluster(&emu, "probed", "hobby-2"), &used)
        .await
        .unwrap();
    assert_eq!(
        clusters.probe_create_key(&used).await.unwrap(),
        KeyUse::HoldsOtherRequest
    );

    // An unused key is taken by the probe's refusal, which is then replayed.
    let fresh = IdempotencyKey::new();
    assert_eq!(
        clusters.probe_create_key(&fresh).await.unwrap(),
        KeyUse::TakenByProbe
    );
    assert_eq!(
        clusters.probe_create_key(&fresh).await.unwrap(),
        KeyUse::HoldsProbe
    );
    let refused = clusters
        .create_with_key(&new_cluster(&emu, "after-probe", "hobby-2"), &fresh)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused}");
    assert!(!refused.api().unwrap().replayed);

    let after = clusters.list_all().await.unwrap();
    assert_eq!(
        after.len(),
        before + 1,
        "only the one real create made a cluster"
    );
    assert!(after.iter().any(|c| c.id == made.id));
}
