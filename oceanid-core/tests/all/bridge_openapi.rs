//! The client against the OpenAPI description: the request bodies it sends validate against the
//! request schemas, and documented response shapes decode into its types.

use std::sync::OnceLock;

use oceanid_core::crunchybridge::{
    Account, Bridge, Cluster, ClusterId, ClusterOperation, ClusterStatus, ClusterUpgrade,
    CreateCluster, CreateFirewallRule, FirewallMode, FirewallRule, FirewallRuleId,
    FirewallRuleKind, Network, NetworkId, PostgresVersion, PostgresVersionSelector, Provider,
    RetryPolicy, Role, RoleFlavor, RoleName, Team, UpdateCluster, UpdateFirewallRule,
    UpgradeCluster, UpsertRole,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::bridge_mock_server::{MockServer, Reply};

const SPEC: &str = include_str!("../../../oceanid-emulator/openapi/crunchybridge-openapi.yaml");

const TEAM: &str = "rvf73a77ozfsvcttryebfrnlem";
const CLUSTER: &str = "qvcw4hylovgyzbwzp53bmmlhga";
const NETWORK: &str = "oap4kefd6rgbdgtxakrbcmtqhy";
const RULE: &str = "f3ngkdvjojdm5kyv4xgcqfm7ni";
const VERSION: &str = "lmdhrwtg7zdkzdbj5oyf2zdm4a";
const ACCOUNT: &str = "2ejgbqhlw5bp5jbkblsjfo4ury";

fn spec() -> &'static Value {
    static SPEC_JSON: OnceLock<Value> = OnceLock::new();
    SPEC_JSON.get_or_init(|| match serde_norway::from_str::<Value>(SPEC) {
        Ok(v) => v,
        Err(e) => panic!("the OpenAPI description does not parse: {e}"),
    })
}

/// A validator for `#/components/schemas/<name>`, with the document's components in scope.
fn validator(name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": spec()["components"].clone(),
    });
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
    {
        Ok(v) => v,
        Err(e) => panic!("schema {name} does not compile: {e}"),
    }
}

pub(crate) fn assert_valid(name: &str, instance: &Value) {
    let v = validator(name);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{instance} is not a valid {name}: {errors:#?}"
    );
}

fn decode<T: DeserializeOwned>(name: &str, instance: Value) -> T {
    assert_valid(name, &instance);
    match serde_json::from_value(instance) {
        Ok(v) => v,
        Err(e) => panic!("a valid {name} does not decode: {e}"),
    }
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let v = validator("FirewallRuleCreateRequest");
    assert!(!v.is_valid(&json!({"rule": "10.0.0.0/8", "bogus": 1})));
    assert!(!v.is_valid(&json!({"description": "no rule"})));
    assert!(
        !validator("ClusterCreateRequest")
            .is_valid(&json!({"name": "x", "plan_id": "p", "team_id": "NOT-AN-EID"}))
    );
}

#[test]
fn serialized_request_types_validate() {
    let mut create = CreateCluster::new("db", "hobby-2".into(), TEAM.into());
    create.region_id = Some("us-east-1".into());
    create.storage = Some(10);
    create.is_ha = Some(false);
    create.postgres_version_id = Some(PostgresVersionSelector::Major(17));
    create.network_id = Some(NETWORK.into());
    assert_valid(
        "ClusterCreateRequest",
        &serde_json::to_value(&create).expect("json"),
    );

    let mut create = CreateCluster::new("db2", "standard-8".into(), TEAM.into());
    create.provider_id = Some("aws".into());
    create.region_id = Some("us-west-2".into());
    create.firewall_mode = Some(FirewallMode::DenyAll);
    create.postgres_version_id = Some(PostgresVersionSelector::Id(VERSION.into()));
    create.environment = Some("production".into());
    create.maintenance_window_start = Some(3);
    assert_valid(
        "ClusterCreateRequest",
        &serde_json::to_value(&create).expect("json"),
    );

    let mut create = CreateCluster::new("db3", "hobby-2".into(), TEAM.into());
    create.network_cidr4 = Some("10.20.0.0/16".into());
    assert_valid(
        "ClusterCreateRequest",
        &serde_json::to_value(&create).expect("json"),
    );

    for update in [
        UpdateCluster::default(),
        UpdateCluster {
            name: Some("renamed".into()),
            is_protected: Some(true),
            maintenance_window_start: Some(-1),
            environment: Some(String::new()),
        },
    ] {
        assert_valid(
            "ClusterUpdateRequest",
            &serde_json::to_value(&update).expect("json"),
        );
    }
    let upgrade = UpgradeCluster {
        plan_id: Some("standard-16".into()),
        postgres_version_id: Some(PostgresVersionSelector::Major(18)),
        storage: Some(100),
        starting_from: Some("2030-01-01T00:00:00Z".into()),
    };
    assert_valid(
        "ClusterUpgradeCreateRequest",
        &serde_json::to_value(&upgrade).expect("json"),
    );
    for rule in [
        CreateFirewallRule::new("203.0.113.7/32"),
        CreateFirewallRule::new("2001:db8::/64")
            .description("v6")
            .kind(FirewallRuleKind::Egress),
    ] {
        assert_valid(
            "FirewallRuleCreateRequest",
            &serde_json::to_value(&rule).expect("json"),
        );
    }
    let update = UpdateFirewallRule {
        rule: Some("198.51.100.0/24".into()),
        description: Some(String::new()),
    };
    assert_valid(
        "FirewallRuleUpdateRequest",
        &serde_json::to_value(&update).expect("json"),
    );
    for upsert in [
        UpsertRole::default(),
        UpsertRole {
            flavor: Some(RoleFlavor::Read),
            rotate_password: Some(true),
        },
    ] {
        assert_valid(
            "PostgresRoleUpdateRequest",
            &serde_json::to_value(&upsert).expect("json"),
        );
    }
}

/// The bodies the handlers actually put on the wire, captured by a mock server.
#[tokio::test]
async fn bodies_on_the_wire_validate() {
    let mock = MockServer::start().await;
    let cluster = sample_cluster();
    let rule = sample_rule();
    let role = json!({"name": "application", "cluster_id": CLUSTER, "team_id": TEAM, "flavor": "write", "password": "x", "uri": "postgres://application:x@h/postgres"});
    let upgrade = json!({"cluster_id": CLUSTER, "team_id": TEAM, "operations": []});
    let network = json!({"id": NETWORK, "name": "renamed", "provider_id": "aws", "region_id": "us-east-1", "team_id": TEAM, "cidr4": "10.0.0.0/16"});
    mock.expect("POST", "/clusters", [Reply::json(201, cluster.clone())]);
    mock.expect(
        "PATCH",
        &format!("/clusters/{CLUSTER}"),
        [Reply::json(200, cluster)],
    );
    mock.expect(
        "POST",
        &format!("/clusters/{CLUSTER}/upgrade"),
        [Reply::json(201, upgrade)],
    );
    mock.expect(
        "POST",
        &format!("/networks/{NETWORK}/firewall-rules"),
        [Reply::json(201, rule.clone())],
    );
    mock.expect(
        "PATCH",
        &format!("/networks/{NETWORK}/firewall-rules/{RULE}"),
        [Reply::json(200, rule)],
    );
    mock.expect(
        "PATCH",
        &format!("/networks/{NETWORK}"),
        [Reply::json(200, network)],
    );
    mock.expect(
        "PUT",
        &format!("/clusters/{CLUSTER}/roles/application"),
        [Reply::json(201, role.clone())],
    );
    mock.expect(
        "POST",
        &format!("/clusters/{CLUSTER}/roles"),
        [Reply::json(201, role)],
    );

    let bridge = Bridge::builder()
        .api_key("cbkey_openapi")
        .base_url(mock.base_url())
        .retry(RetryPolicy::never())
        .build()
        .expect("client");
    let cluster_id = ClusterId::new(CLUSTER);
    let network_id = NetworkId::new(NETWORK);
    let mut create = CreateCluster::new("db", "hobby-2".into(), TEAM.into());
    create.network_id = Some(network_id.clone());
    create.postgres_version_id = Some(17.into());
    bridge
        .clusters()
        .create(&create)
        .await
        .expect("create cluster");
    bridge
        .clusters()
        .update(
            &cluster_id,
            &UpdateCluster {
                name: Some("n".into()),
                ..UpdateCluster::default()
            },
        )
        .await
        .expect("update cluster");
    bridge
        .clusters()
        .upgrade(
            &cluster_id,
            &UpgradeCluster {
                storage: Some(50),
                ..UpgradeCluster::default()
            },
        )
        .await
        .expect("upgrade");
    let fw = bridge.firewall(&network_id);
    fw.create(&CreateFirewallRule::new("203.0.113.0/24").description("office"))
        .await
        .expect("create rule");
    fw.update(
        &FirewallRuleId::new(RULE),
        &UpdateFirewallRule {
            description: Some("d".into()),
            ..UpdateFirewallRule::default()
        },
    )
    .await
    .expect("update rule");
    bridge
        .networks()
        .rename(&network_id, "renamed")
        .await
        .expect("rename");
    let roles = bridge.roles(&cluster_id);
    roles
        .upsert(
            &RoleName::application(),
            &UpsertRole {
                rotate_password: Some(true),
                ..UpsertRole::default()
            },
        )
        .await
        .expect("upsert");
    roles.create().await.expect("create role");

    let checks = [
        ("POST", "/clusters".to_owned(), "ClusterCreateRequest"),
        (
            "PATCH",
            format!("/clusters/{CLUSTER}"),
            "ClusterUpdateRequest",
        ),
        (
            "POST",
            format!("/clusters/{CLUSTER}/upgrade"),
            "ClusterUpgradeCreateRequest",
        ),
        (
            "POST",
            format!("/networks/{NETWORK}/firewall-rules"),
            "FirewallRuleCreateRequest",
        ),
        (
            "PATCH",
            format!("/networks/{NETWORK}/firewall-rules/{RULE}"),
            "FirewallRuleUpdateRequest",
        ),
        (
            "PATCH",
            format!("/networks/{NETWORK}"),
            "NetworkUpdateRequest",
        ),
        (
            "PUT",
            format!("/clusters/{CLUSTER}/roles/application"),
            "PostgresRoleUpdateRequest",
        ),
    ];
    for (method, path, schema) in checks {
        let hits = mock.hits(method, &path);
        assert_eq!(hits.len(), 1, "{method} {path}");
        let body: Value = serde_json::from_str(&hits[0].body).expect("a JSON body");
        assert_valid(schema, &body);
        if matches!(method, "POST" | "PATCH") {
            let key = hits[0]
                .header("idempotency-key")
                .expect("writes carry a key");
            assert!(uuid::Uuid::parse_str(&key).is_ok());
        }
        let rid = hits[0]
            .header("x-request-id")
            .expect("every request has an id");
        assert!(uuid::Uuid::parse_str(&rid).is_ok());
    }
    let create_role = mock.hits("POST", &format!("/clusters/{CLUSTER}/roles"));
    assert!(create_role[0].body.is_empty(), "role create has no body");
}

fn sample_cluster() -> Value {
    json!({
        "id": CLUSTER, "name": "db", "team_id": TEAM, "plan_id": "hobby-2", "provider_id": "aws",
        "region_id": "us-east-1", "storage": 10, "is_ha": false, "is_protected": false,
        "is_suspended": false, "major_version": 17, "postgres_version_id": VERSION,
        "memory": 2.0, "vcpu": 1.0, "host": format!("p.{CLUSTER}.db.postgresbridge.com"),
        "network_id": NETWORK, "state": "ready", "maintenance_window_start": null,
        "environment": null, "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z", "variable_backups": {"daily": 7},
        "ongoing_operations": [{"flavor": "resize", "state": "in_progress", "starting_from": null}],
        "disk_usage": null, "replicas": null, "parent_id": null
    })
}

fn sample_rule() -> Value {
    json!({"id": RULE, "network_id": NETWORK, "rule": "203.0.113.0/24", "team_id": TEAM, "description": "office", "kind": "ingress"})
}

#[test]
fn documented_response_shapes_decode() {
    let example = spec()["components"]["schemas"]["Account"]["examples"][0].clone();
    let account: Account = decode("Account", example);
    assert_eq!(account.email, "cheshire.cat@example.com");

    let c: Cluster = decode("Cluster", sample_cluster());
    assert_eq!(c.id.as_str(), CLUSTER);
    assert_eq!(c.ongoing_operations.as_ref().map(Vec::len), Some(1));

    let list = json!({"clusters": [sample_cluster()], "has_more": true, "next_cursor": "abc"});
    assert_valid("ClusterList", &list);

    let status: ClusterStatus = decode(
        "ClusterStatus",
        json!({"state": "creating", "disk_usage": {"disk_available_mb": 1, "disk_total_size_mb": 2, "disk_used_mb": 1},
               "oldest_backup_at": null, "ongoing_upgrade": {"cluster_id": CLUSTER, "team_id": TEAM, "operations": []}}),
    );
    assert!(status.ongoing_upgrade.is_some_and(|u| u.is_done()));
    let op: ClusterOperation = decode(
        "ClusterOperation",
        json!({"flavor": "ha_change", "state": "enabling_ha"}),
    );
    assert_eq!(op.flavor.as_str(), "ha_change");
    let up: ClusterUpgrade = decode(
        "ClusterUpgrade",
        json!({"cluster_id": CLUSTER, "team_id": TEAM, "operations": [{"flavor": "major_version_upgrade", "state": "in_progress"}]}),
    );
    assert!(!up.is_done());

    let rule: FirewallRule = decode("FirewallRule", sample_rule());
    assert_eq!(rule.kind, Some(FirewallRuleKind::Ingress));
    let legacy: FirewallRule = decode(
        "FirewallRule",
        json!({"id": RULE, "network_id": NETWORK, "rule": "0.0.0.0/0", "team_id": TEAM, "description": null, "kind": null}),
    );
    assert_eq!(legacy.kind, None);
    assert_valid(
        "FirewallRuleList",
        &json!({"firewall_rules": [sample_rule()]}),
    );

    let net: Network = decode(
        "Network",
        json!({"id": NETWORK, "name": "default", "provider_id": "aws", "region_id": "us-east-1", "team_id": TEAM, "cidr4": null}),
    );
    assert_eq!(net.cidr4, None);

    let role: Role = decode(
        "PostgresRole",
        json!({"name": format!("u_{ACCOUNT}"), "account_id": ACCOUNT, "account_email": "a@example.com",
               "cluster_id": CLUSTER, "team_id": TEAM, "flavor": "write", "password": "pw",
               "uri": format!("postgres://u_{ACCOUNT}:pw@p.{CLUSTER}.db.postgresbridge.com:5432/postgres")}),
    );
    assert_eq!(role.flavor, Some(RoleFlavor::Write));
    let redacted: Role = decode(
        "RedactedPostgresRole",
        json!({"name": "application", "cluster_id": CLUSTER, "team_id": TEAM, "flavor": null, "password": null, "uri": null}),
    );
    assert!(redacted.password.is_none() && redacted.uri.is_none());

    let team: Team = decode(
        "Team",
        json!({"id": TEAM, "name": "Personal", "is_default": true, "is_personal": true, "role": null,
               "default_role_flavor": "read", "support_tier": "standard",
               "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}),
    );
    assert_eq!(team.default_role_flavor, Some(RoleFlavor::Read));

    let provider: Provider = decode(
        "Provider",
        json!({"id": "aws", "display_name": "AWS", "disk": {"rate": 10},
               "plans": [{"id": "hobby-2", "display_name": "Hobby 2", "memory": 2, "vcpu": 1, "rate": 1000, "region_ids": null}],
               "regions": [{"id": "us-east-1", "display_name": "US East 1", "location": "N. Virginia", "multiplier": 1.0}]}),
    );
    assert!(provider.plan(&"hobby-2".into()).is_some());
    let version: PostgresVersion = decode(
        "PostgresVersion",
        json!({"id": VERSION, "display_name": "Postgres 17", "is_default": true, "major_version": 17}),
    );
    assert_eq!(version.major_version, 17);
    assert_valid(
        "Error",
        &json!({"message": "m", "request_id": "11111111-2222-4333-8444-555555555555", "code": null, "is_transient": false}),
    );
}
