//! The main job, with no account and no Pulumi CLI: the operators' stack
//! (`examples/oceanid-cloud`) driven through `pulumi-resource-crunchybridge` with the same gRPC
//! calls the Pulumi engine makes for `preview`, `up`, `refresh` and `destroy`, against
//! `oceanid-emulator` with a throwaway PostgreSQL. Every step prints what it did and the state
//! read back from the emulator and from PostgreSQL, and the walkthrough fails (exit 1) if what
//! it reads back is not what the step should have made.
//!
//! Run it with `scripts/demo` (which builds the binaries first), or
//! `cargo run -p oceanid-examples --bin walkthrough -- [--provider PATH]`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail, ensure};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use oceanid_core::crunchybridge::{Bridge, ClusterId, ExposeSecret, NetworkId, RoleName};
use oceanid_core::postgres::{self as pg, PgUrl};
use oceanid_emulator::{Emulator, EmulatorConfig, PostgresMode};
use provider_crunchybridge::pulumi::proto::pulumirpc::{
    CheckRequest, ConfigureRequest, CreateRequest, DeleteRequest, DiffRequest, InvokeRequest,
    LogRequest, ProviderHandshakeRequest, ReadRequest, UpdateRequest,
    diff_response::DiffChanges,
    engine_server::{Engine, EngineServer},
    resource_provider_client::ResourceProviderClient,
};
use provider_crunchybridge::pulumi::value::{
    PropertyMap, Unknown, Value, from_opt_struct, to_struct,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tonic::transport::Channel;

const API_KEY: &str = "cbkey_walkthrough_0123456789";
const FIREWALL_RULE: &str = "crunchybridge:index:FirewallRule";
const ROLE: &str = "crunchybridge:index:Role";
const DATABASE: &str = "crunchybridge:index:Database";
/// The stack config of `examples/oceanid-cloud/Pulumi.dev.yaml`: the nodes' egress addresses.
const NODE_EGRESS: [&str; 3] = ["203.0.113.10", "203.0.113.11", "2001:db8::10"];

// --- output ----------------------------------------------------------------------------

fn heading(text: &str) {
    println!("\n== {text}");
}

fn show(v: &Value) -> String {
    match v {
        Value::Secret(_) => "[secret]".into(),
        Value::Unknown(_) => "<computed>".into(),
        // A PEM certificate chain: its first line stands for it.
        Value::String(s) if s.starts_with("-----BEGIN") => {
            format!("{}…", s.lines().next().unwrap_or_default())
        }
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{k}: {}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}

fn show_map(m: &PropertyMap) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={}", show(v)))
        .collect::<Vec<_>>()
        .join("  ")
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn props<const N: usize>(pairs: [(&str, Value); N]) -> PropertyMap {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn get<'a>(m: &'a PropertyMap, key: &str) -> anyhow::Result<&'a Value> {
    m.get(key)
        .ok_or_else(|| anyhow!("no `{key}` in {}", show_map(m)))
}

fn plain_str(m: &PropertyMap, key: &str) -> anyhow::Result<String> {
    match get(m, key)?.to_plain().json {
        serde_json::Value::String(s) => Ok(s),
        other => bail!("`{key}` is {other}, not a string"),
    }
}

// --- the engine's side ---------------------------------------------------------------

/// A stand-in for the engine's Engine service: prints what the provider logs.
#[derive(Clone, Default)]
struct EngineLog {
    lines: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl Engine for EngineLog {
    async fn log(
        &self,
        req: tonic::Request<LogRequest>,
    ) -> Result<tonic::Response<()>, tonic::Status> {
        let req = req.into_inner();
        let name = req.urn.rsplit("::").next().unwrap_or_default().to_owned();
        let kind = if req.ephemeral { "status" } else { "info" };
        println!("      engine log [{kind}] {name}: {}", req.message);
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(req.message);
        }
        Ok(tonic::Response::new(()))
    }
}

/// Drives the provider the way the engine does.
struct Driver {
    rpc: ResourceProviderClient<Channel>,
}

fn urn(ty: &str, name: &str) -> String {
    format!("urn:pulumi:dev::oceanid-cloud::{ty}::{name}")
}

impl Driver {
    async fn check(
        &mut self,
        ty: &str,
        name: &str,
        news: PropertyMap,
    ) -> anyhow::Result<PropertyMap> {
        let r = self
            .rpc
            .check(CheckRequest {
                urn: urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                news: Some(to_struct(&news)),
                ..Default::default()
            })
            .await?
            .into_inner();
        if !r.failures.is_empty() {
            let why: Vec<_> = r
                .failures
                .iter()
                .map(|f| format!("{}: {}", f.property, f.reason))
                .collect();
            bail!("Check of {name} failed: {}", why.join("; "));
        }
        Ok(from_opt_struct(r.inputs.as_ref()))
    }

    async fn create(
        &mut self,
        ty: &str,
        name: &str,
        inputs: &PropertyMap,
        preview: bool,
    ) -> Result<(String, PropertyMap), tonic::Status> {
        let r = self
            .rpc
            .create(CreateRequest {
                urn: urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                properties: Some(to_struct(inputs)),
                preview,
                timeout: 120.0,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((r.id, from_opt_struct(r.properties.as_ref())))
    }

    async fn read(
        &mut self,
        ty: &str,
        name: &str,
        id: &str,
        state: &PropertyMap,
        inputs: &PropertyMap,
    ) -> anyhow::Result<(String, PropertyMap, PropertyMap)> {
        let r = self
            .rpc
            .read(ReadRequest {
                id: id.into(),
                urn: urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                properties: Some(to_struct(state)),
                inputs: Some(to_struct(inputs)),
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((
            r.id,
            from_opt_struct(r.properties.as_ref()),
            from_opt_struct(r.inputs.as_ref()),
        ))
    }

    async fn diff(
        &mut self,
        ty: &str,
        name: &str,
        id: &str,
        olds: &PropertyMap,
        old_inputs: &PropertyMap,
        news: &PropertyMap,
    ) -> anyhow::Result<Vec<String>> {
        let r = self
            .rpc
            .diff(DiffRequest {
                id: id.into(),
                urn: urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                olds: Some(to_struct(olds)),
                old_inputs: Some(to_struct(old_inputs)),
                news: Some(to_struct(news)),
                ..Default::default()
            })
            .await?
            .into_inner();
        ensure!(
            r.changes != DiffChanges::DiffUnknown as i32,
            "the provider answered DIFF_UNKNOWN"
        );
        Ok(r.diffs)
    }

    async fn update(
        &mut self,
        ty: &str,
        name: &str,
        id: &str,
        olds: &PropertyMap,
        news: &PropertyMap,
    ) -> anyhow::Result<PropertyMap> {
        let r = self
            .rpc
            .update(UpdateRequest {
                id: id.into(),
                urn: urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                olds: Some(to_struct(olds)),
                news: Some(to_struct(news)),
                timeout: 120.0,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(from_opt_struct(r.properties.as_ref()))
    }

    async fn delete(
        &mut self,
        ty: &str,
        name: &str,
        id: &str,
        state: &PropertyMap,
    ) -> Result<(), tonic::Status> {
        self.rpc
            .delete(DeleteRequest {
                id: id.into(),
                urn: urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                properties: Some(to_struct(state)),
                old_inputs: Some(to_struct(state)),
                timeout: 120.0,
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    async fn invoke(&mut self, token: &str, args: PropertyMap) -> anyhow::Result<PropertyMap> {
        let r = self
            .rpc
            .invoke(InvokeRequest {
                tok: token.into(),
                args: Some(to_struct(&args)),
                preview: false,
            })
            .await?
            .into_inner();
        if !r.failures.is_empty() {
            let why: Vec<_> = r
                .failures
                .iter()
                .map(|f| format!("{}: {}", f.property, f.reason))
                .collect();
            bail!("{token} failed: {}", why.join("; "));
        }
        Ok(from_opt_struct(r.r#return.as_ref()))
    }
}

/// One resource as the engine tracks it.
struct Tracked {
    ty: &'static str,
    name: String,
    id: String,
    inputs: PropertyMap,
    state: PropertyMap,
}

// --- reading back the truth ----------------------------------------------------------------

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

// --- the walkthrough -------------------------------------------------------------------------

fn provider_path() -> anyhow::Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--provider" {
            return args
                .next()
                .map(PathBuf::from)
                .ok_or_else(|| anyhow!("--provider needs a path"));
        }
    }
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("no directory for {}", exe.display()))?;
    let candidate = dir.join("pulumi-resource-crunchybridge");
    ensure!(
        candidate.exists(),
        "{} is missing: build it with `cargo build -p provider-crunchybridge` (scripts/demo does), or pass --provider PATH",
        candidate.display()
    );
    Ok(candidate)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nwalkthrough FAILED: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let started = Instant::now();
    let provider_bin = provider_path()?;
    println!(
        "oceanid walkthrough: the examples/oceanid-cloud stack through pulumi-resource-crunchybridge,"
    );
    println!(
        "driven with the gRPC calls the Pulumi engine makes, against a local Crunchy Bridge emulator."
    );

    heading("start the emulator (--postgres auto: a throwaway PostgreSQL 15 with TLS)");
    let emulator = Emulator::start(EmulatorConfig {
        api_key: API_KEY.into(),
        postgres: PostgresMode::Auto,
        provision_delay: Duration::from_millis(100),
        ..Default::default()
    })
    .await
    .context("starting the emulator")?;
    println!("    emulator: {}", emulator.base_url());
    let bridge = Bridge::builder()
        .api_key(API_KEY)
        .base_url(emulator.base_url())
        .build()?
        .with_timeout(Duration::from_secs(60));

    heading(
        "launch the provider as the engine does: `pulumi-resource-crunchybridge ENGINE_ADDRESS`",
    );
    let engine = EngineLog::default();
    let engine_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let engine_addr = engine_listener.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(EngineServer::new(engine.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(
                engine_listener,
            )),
    );
    let launched = Instant::now();
    let mut child = tokio::process::Command::new(&provider_bin)
        .arg(engine_addr.to_string())
        // What the provider tells the user reaches the engine (printed above); its own
        // stderr log would repeat it.
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("launching {}", provider_bin.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;
    let port: u16 = line
        .trim()
        .parse()
        .with_context(|| format!("port line {line:?}"))?;
    println!(
        "    port line {:?} after {:.1} ms",
        line.trim(),
        launched.elapsed().as_secs_f64() * 1e3
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))?
        .connect()
        .await?;
    let mut d = Driver {
        rpc: ResourceProviderClient::new(channel),
    };
    d.rpc
        .handshake(ProviderHandshakeRequest {
            engine_address: engine_addr.to_string(),
            ..Default::default()
        })
        .await?;
    let version = d.rpc.get_plugin_info(()).await?.into_inner().version;
    println!("    GetPluginInfo: version {version}");
    let config = props([
        ("apiKey", Value::Secret(Box::new(s(API_KEY)))),
        ("apiUrl", s(emulator.base_url())),
    ]);
    let checked = d
        .rpc
        .check_config(CheckRequest {
            news: Some(to_struct(&config)),
            ..Default::default()
        })
        .await?
        .into_inner();
    ensure!(
        checked.failures.is_empty(),
        "CheckConfig failed: {:?}",
        checked.failures
    );
    let configured = d
        .rpc
        .configure(ConfigureRequest {
            args: Some(to_struct(&config)),
            accept_secrets: true,
            accept_resources: true,
            ..Default::default()
        })
        .await?
        .into_inner();
    println!(
        "    Configure: acceptSecrets={} supportsPreview={} (apiKey sent as a secret)",
        configured.accept_secrets, configured.supports_preview
    );

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
    let cidrs = print_emulator_rules(&bridge, &NetworkId::new(&network_id)).await?;
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
    let cidrs = print_emulator_rules(&bridge, &network).await?;
    ensure!(
        cidrs == ["2001:db8::10/128", "203.0.113.10/32", "203.0.113.11/32"],
        "unexpected rules {cidrs:?}"
    );
    let superuser = superuser_url(&bridge, &ClusterId::new(&cluster_id)).await?;
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
        println!(
            "    {:<9} read back, {}",
            t.name,
            if changes.is_empty() {
                "no changes".to_owned()
            } else {
                format!("changed: {}", changes.join(", "))
            }
        );
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
    println!("    Diff: {}", changes.join(", "));
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
    let cidrs = print_emulator_rules(&bridge, &network).await?;
    ensure!(cidrs.is_empty(), "rules left behind: {cidrs:?}");

    heading("shutdown: Cancel, then SIGINT, as the engine does");
    d.rpc.cancel(()).await?;
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        kill(Pid::from_raw(pid), Signal::SIGINT)?;
    }
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await??;
    println!("    provider exited: {status}");
    ensure!(status.success(), "the provider did not exit cleanly");
    emulator.shutdown().await;
    let logs = engine.lines.lock().map(|l| l.len()).unwrap_or(0);
    println!(
        "\nwalkthrough passed in {:.1} s: {} engine log lines; every resource read back from the emulator and PostgreSQL.",
        started.elapsed().as_secs_f64(),
        logs
    );
    Ok(())
}
