//! Stage 1: the `examples/oceanid-cloud` stack through `pulumi-resource-crunchybridge`:
//! `preview`, `up` (the allow-all rule refused and removed, node rules, the application role,
//! the labelfish database verified as its owner), `refresh`, the application writing a row, and
//! `destroy` (a database holding data refused until `forceDestroy`).

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, ensure};
use oceanid_core::crunchybridge::{Bridge, ClusterId, ExposeSecret, NetworkId, RoleName};
use oceanid_core::postgres::{self as pg, PgUrl};
use pulumi_provider::value::{PropertyMap, Unknown, Value};

use super::driver::{Driver, Tracked};
use super::show::{get, heading, plain_str, props, s, show, show_map};

const FIREWALL_RULE: &str = "crunchybridge:index:FirewallRule";
const ROLE: &str = "crunchybridge:index:Role";
const DATABASE: &str = "crunchybridge:index:Database";
/// The stack config of `examples/oceanid-cloud/Pulumi.dev.yaml`: the nodes' egress addresses.
const NODE_EGRESS: [&str; 3] = ["203.0.113.10", "203.0.113.11", "2001:db8::10"];

/// Prints the network's rules as the emulator holds them; their CIDRs, sorted.
async fn print_emulator_rules(bridge: &Bridge, network: &NetworkId) -> anyhow::Result<Vec<String>> {
    let rules = bridge.firewall(network).list().await?;
    let mut cidrs: Vec<String> = rules.iter().map(|r| r.rule.clone()).collect();
    cidrs.sort();
    println!(
        "    emulator: network {network} firewall = [{}]",
        cidrs.join(", ")
    );
    Ok(cidrs)
}

async fn superuser_url(bridge: &Bridge, cluster: &ClusterId) -> anyhow::Result<PgUrl> {
    let role = bridge.roles(cluster).get(&RoleName::postgres()).await?;
    let uri = role
        .uri
        .ok_or_else(|| anyhow!("the API returned no uri for postgres"))?;
    Ok(PgUrl::parse(uri.expose_secret())?)
}

async fn print_postgres_database(superuser: &PgUrl, name: &str) -> anyhow::Result<Option<String>> {
    let info = pg::database_info(superuser, name).await?;
    match &info {
        Some(db) => println!(
            "    postgres: database {name} exists, owner {}, extensions [{}]",
            db.owner,
            db.extensions.join(", ")
        ),
        None => println!("    postgres: database {name} does not exist"),
    }
    Ok(info.map(|d| d.owner))
}

/// Runs the stage against a configured `pulumi-resource-crunchybridge`; `bridge` reads the
/// emulator back.
///
/// # Errors
/// When a call fails or what is read back is not what the step should have made.
pub async fn run(d: &Driver, bridge: &Bridge) -> anyhow::Result<()> {
    heading("pulumi preview");
    let cluster = d
        .invoke(
            "crunchybridge:index:getCluster",
            props([("name", s("emulator-cluster"))]),
        )
        .await?;
    let cluster_id = plain_str(&cluster, "id")?;
    let network_id = plain_str(&cluster, "networkId")?;
    println!(
        "    getCluster(name: emulator-cluster) -> id {cluster_id}, networkId {network_id}, state {}",
        show(get(&cluster, "state")?)
    );
    let mut planned: Vec<(&'static str, String, PropertyMap)> = Vec::new();
    for (i, addr) in NODE_EGRESS.iter().enumerate() {
        planned.push((
            FIREWALL_RULE,
            format!("node-{i}"),
            props([
                ("networkId", s(&network_id)),
                ("rule", s(addr)),
                ("description", s(&format!("k3s node-{i} egress"))),
            ]),
        ));
    }
    planned.push((
        ROLE,
        "app".into(),
        props([("clusterId", s(&cluster_id)), ("name", s("application"))]),
    ));
    let mut preview_role_name = Value::Unknown(Unknown::Any);
    for (ty, name, news) in &planned {
        let inputs = d.check(ty, name, news.clone()).await?;
        let (_, outs) = d.create(ty, name, &inputs, true).await?;
        if *ty == ROLE {
            preview_role_name = get(&outs, "roleName")?.clone();
        }
        println!(
            "  + {:<13} {name:<7} {}",
            ty.rsplit(':').next().unwrap_or(ty),
            show_map(&outs)
        );
    }
    let db_news = props([
        ("clusterId", s(&cluster_id)),
        ("name", s("labelfish")),
        ("owner", preview_role_name),
        ("extensions", Value::Array(vec![s("pgcrypto")])),
    ]);
    let inputs = d.check(DATABASE, "labelfish", db_news).await?;
    let (_, outs) = d.create(DATABASE, "labelfish", &inputs, true).await?;
    println!(
        "  + {:<13} {:<7} {}",
        "Database",
        "labelfish",
        show_map(&outs)
    );
    let cidrs = print_emulator_rules(bridge, &NetworkId::new(&network_id)).await?;
    ensure!(
        cidrs == ["0.0.0.0/0", "::/0"],
        "preview must not change anything"
    );

    heading("pulumi up");
    let mut tracked: Vec<Tracked> = Vec::new();
    let (ty, name, news) = &planned[0];
    let inputs = d.check(ty, name, news.clone()).await?;
    match d.create(ty, name, &inputs, false).await {
        Ok(_) => bail!("the first rule should have been refused while the allow-all rule exists"),
        Err(status) => println!(
            "  ! {name}: the provider refuses, and says why:\n      {}",
            status.message().replace('\n', "\n      ")
        ),
    }
    println!(
        "    (the operators remove the allow-all rules once, as `cb network remove-firewall-rule` would)"
    );
    let network = NetworkId::new(&network_id);
    for rule in bridge.firewall(&network).list().await? {
        if rule.rule == "0.0.0.0/0" || rule.rule == "::/0" {
            bridge.firewall(&network).delete(&rule.id).await?;
        }
    }
    for (ty, name, news) in &planned {
        let inputs = d.check(ty, name, news.clone()).await?;
        let (id, state) = d
            .create(ty, name, &inputs, false)
            .await
            .map_err(|s| anyhow!("create {name}: {}", s.message()))?;
        println!("  + {name:<7} id {id}\n      {}", show_map(&state));
        tracked.push(Tracked {
            ty,
            name: name.clone(),
            id,
            inputs,
            state,
        });
    }
    let role_name = tracked
        .iter()
        .find(|t| t.ty == ROLE)
        .map(|t| get(&t.state, "roleName").cloned())
        .transpose()?
        .ok_or_else(|| anyhow!("no role"))?;
    for (key, value) in [("password", "Role password"), ("uri", "Role uri")] {
        let state = &tracked.last().ok_or_else(|| anyhow!("no role"))?.state;
        ensure!(
            matches!(get(state, key)?, Value::Secret(_)),
            "{value} must be a secret"
        );
    }
    let db_news = props([
        ("clusterId", s(&cluster_id)),
        ("name", s("labelfish")),
        ("owner", role_name),
        ("extensions", Value::Array(vec![s("pgcrypto")])),
    ]);
    let inputs = d.check(DATABASE, "labelfish", db_news).await?;
    let (id, state) = d
        .create(DATABASE, "labelfish", &inputs, false)
        .await
        .map_err(|s| anyhow!("create labelfish: {}", s.message()))?;
    println!("  + labelfish id {id}\n      {}", show_map(&state));
    let connection_uri = get(&state, "connectionUri")?.clone();
    let ca_certificate = get(&state, "caCertificate")?.clone();
    ensure!(
        matches!(connection_uri, Value::Secret(_)),
        "connectionUri must be a secret"
    );
    tracked.push(Tracked {
        ty: DATABASE,
        name: "labelfish".into(),
        id,
        inputs,
        state,
    });

    println!("    read back:");
    let cidrs = print_emulator_rules(bridge, &network).await?;
    ensure!(
        cidrs == ["2001:db8::10/128", "203.0.113.10/32", "203.0.113.11/32"],
        "unexpected rules {cidrs:?}"
    );
    let superuser = superuser_url(bridge, &ClusterId::new(&cluster_id)).await?;
    let owner = print_postgres_database(&superuser, "labelfish").await?;
    ensure!(
        owner.as_deref() == Some("application"),
        "labelfish should be owned by application"
    );

    let verify = d
        .invoke(
            "crunchybridge:index:verifyDatabase",
            props([
                ("connectionUri", connection_uri.clone()),
                ("expectTables", Value::Array(vec![])),
                // The team's chain: the server's certificate and host name are verified.
                ("caCertificate", ca_certificate),
            ]),
        )
        .await?;
    println!(
        "    verifyDatabase(connectionUri, caCertificate) -> ok={}",
        show(get(&verify, "ok")?)
    );
    if let Value::Array(checks) = get(&verify, "checks")? {
        for c in checks {
            println!("      {}", show(c));
        }
    }
    ensure!(
        get(&verify, "ok")?.to_plain().json == serde_json::json!(true),
        "verifyDatabase failed"
    );

    heading("pulumi refresh");
    for t in &mut tracked {
        let (id, state, inputs) = d.read(t.ty, &t.name, &t.id, &t.state, &t.inputs).await?;
        ensure!(id == t.id, "{} disappeared on refresh", t.name);
        let changes = d
            .diff(t.ty, &t.name, &t.id, &state, &inputs, &t.inputs)
            .await?;
        println!("    {:<9} read back, {changes}", t.name);
        ensure!(changes.is_empty(), "refresh found drift in {}", t.name);
        t.state = state;
    }

    heading("the application writes a row, as the owner, with connectionUri");
    let owner_url = PgUrl::parse(&plain_str(
        &tracked.last().ok_or_else(|| anyhow!("no db"))?.state,
        "connectionUri",
    )?)?;
    let conn = pg::connect(&owner_url).await?;
    conn.client
        .batch_execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL); INSERT INTO notes (body) VALUES ('hours of work')")
        .await?;
    println!(
        "    as {}: CREATE TABLE notes; INSERT 1 row (TLS: {})",
        owner_url.user(),
        conn.tls
    );

    heading("pulumi destroy");
    let db = tracked.pop().ok_or_else(|| anyhow!("no db"))?;
    match d.delete(DATABASE, &db.name, &db.id, &db.state).await {
        Ok(()) => bail!("a database holding a table was dropped without forceDestroy"),
        Err(status) => println!(
            "  ! labelfish: the provider refuses:\n      {}",
            status.message()
        ),
    }
    let rows: i64 = conn
        .client
        .query_one("SELECT count(*) FROM notes", &[])
        .await?
        .get(0);
    println!("    postgres: labelfish.notes still holds {rows} row(s)");
    ensure!(rows == 1, "the row is gone");
    drop(conn);
    println!(
        "    (the operators decide the data may go: `forceDestroy: true`, `pulumi up`, then destroy)"
    );
    let mut news: BTreeMap<String, Value> = db.inputs.clone();
    news.insert("forceDestroy".into(), Value::Bool(true));
    let news = d.check(DATABASE, &db.name, news).await?;
    let changes = d
        .diff(DATABASE, &db.name, &db.id, &db.state, &db.inputs, &news)
        .await?;
    println!("    Diff: {}", changes.diffs.join(", "));
    let state = d
        .update(DATABASE, &db.name, &db.id, &db.state, &news)
        .await?;
    d.delete(DATABASE, &db.name, &db.id, &state)
        .await
        .map_err(|s| anyhow!("delete labelfish: {}", s.message()))?;
    println!("  - labelfish deleted");
    ensure!(
        print_postgres_database(&superuser, "labelfish")
            .await?
            .is_none(),
        "labelfish still exists"
    );
    for t in tracked.iter().rev() {
        d.delete(t.ty, &t.name, &t.id, &t.state)
            .await
            .map_err(|s| anyhow!("delete {}: {}", t.name, s.message()))?;
        println!("  - {} deleted", t.name);
    }
    let cidrs = print_emulator_rules(bridge, &network).await?;
    ensure!(cidrs.is_empty(), "rules left behind: {cidrs:?}");
    Ok(())
}
