//! Side-by-side benchmark (not a timed test): `pulumi-resource-crunchybridge` against the same
//! FirewallRule written as a Node.js dynamic provider (`bench/peer/firewall-rule-provider.js`,
//! served by `@pulumi/pulumi`'s `cmd/dynamic-provider`), with one driver (this program, a Rust
//! gRPC client on a single-threaded runtime) and one emulator, in one run.
//!
//! Run it with `scripts/bench` (it builds the release binaries and the peer's npm packages
//! first); see `BENCHMARKS.md` for what each figure means. Environment:
//! `OCEANID_PROVIDER_BIN`, `OCEANID_EMULATOR_BIN` (release binaries), `OCEANID_BENCH_DIR`
//! (the `bench/` directory with `node_modules`), `OCEANID_BENCH_ROUNDS` (default 3),
//! `OCEANID_BENCH_OUT` (where the JSON and Markdown results go), `OCEANID_BENCH_WHO`,
//! `OCEANID_BENCH_SCENARIOS` (`bulk20`, `bulk20_post`, `storm_ra0`, `storm_ra1`,
//! `bulk20_unbounded`, `storm_ra0_unbounded`, `storm_ra1_unbounded`; comma-separated),
//! `OCEANID_BENCH_ALLOWLIST=0` (skip the allowlist rows), `OCEANID_BENCH_PROVIDER_CAP` (the
//! provider's `maxConcurrentRequests`; its default, 10, unless set).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost_types::value::Kind;
use provider_crunchybridge::pulumi::proto::pulumirpc::{
    CheckRequest, ConfigureRequest, CreateRequest, DeleteRequest, DiffRequest, LogRequest,
    ProviderHandshakeRequest, UpdateRequest,
    engine_server::{Engine, EngineServer},
    resource_provider_client::ResourceProviderClient,
};
use serde_json::{Value as Json, json};
use tonic::transport::Channel;

const API_KEY: &str = "cbkey_bench_7d1e5a";
const SIG: &str = "4dabf18193072939515e22adb298388d";
const SECRET_SIG: &str = "1b47061264138c4ac30d75fd1eb44270";
const FW_NATIVE: &str = "crunchybridge:index:FirewallRule";
const DB_NATIVE: &str = "crunchybridge:index:Database";
const ALLOWLIST: &str = "crunchybridge:index:FirewallAllowlist";
const FW_PEER: &str = "pulumi-nodejs:dynamic:Resource";
const MAX_MSG: usize = 64 * 1024 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, BoxError>;

// --- settings ----------------------------------------------------------------------------------

struct Settings {
    provider_bin: PathBuf,
    emulator_bin: PathBuf,
    bench_dir: PathBuf,
    out_dir: PathBuf,
    rounds: usize,
    launches: usize,
    lifecycles: usize,
    warmup: usize,
    check_diff_pairs: usize,
    bulk_creates: usize,
    in_flight: usize,
    databases: usize,
    storm_retry_after_1s: bool,
}

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Settings {
    fn from_env() -> Settings {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the tests crate sits in the workspace")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let path = |key: &str, default: PathBuf| {
            std::env::var_os(key).map(PathBuf::from).unwrap_or(default)
        };
        Settings {
            provider_bin: path(
                "OCEANID_PROVIDER_BIN",
                target.join("release/pulumi-resource-crunchybridge"),
            ),
            emulator_bin: path(
                "OCEANID_EMULATOR_BIN",
                target.join("release/oceanid-emulator"),
            ),
            bench_dir: path("OCEANID_BENCH_DIR", root.join("bench")),
            out_dir: path("OCEANID_BENCH_OUT", root.join("bench/results")),
            rounds: env_usize("OCEANID_BENCH_ROUNDS", 3).max(1),
            launches: env_usize("OCEANID_BENCH_LAUNCHES", 20).max(15),
            lifecycles: 250, // 4 operations each: 1,000 resource operations
            warmup: 10,
            check_diff_pairs: env_usize("OCEANID_BENCH_CHECK_DIFF", 1000),
            bulk_creates: 500,
            in_flight: 10,
            databases: env_usize("OCEANID_BENCH_DATABASES", 8),
            storm_retry_after_1s: std::env::var("OCEANID_BENCH_STORM_1S").as_deref() != Ok("0"),
        }
    }
}

// --- statistics -------------------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Clone, Debug, Default)]
struct Summary {
    min: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn summarize(xs: &[f64]) -> Summary {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    Summary {
        min: v.first().copied().unwrap_or(f64::NAN),
        p50: percentile(&v, 50.0),
        p99: percentile(&v, 99.0),
        max: v.last().copied().unwrap_or(f64::NAN),
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

// --- protobuf Struct <-> JSON ---------------------------------------------------------------

fn to_prost(v: &Json) -> prost_types::Value {
    let kind = match v {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.iter().map(to_prost).collect(),
        }),
        Json::Object(o) => Kind::StructValue(prost_types::Struct {
            fields: o.iter().map(|(k, v)| (k.clone(), to_prost(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

fn to_struct(v: &Json) -> prost_types::Struct {
    match to_prost(v).kind {
        Some(Kind::StructValue(s)) => s,
        _ => prost_types::Struct::default(),
    }
}

fn from_prost(v: &prost_types::Value) -> Json {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::NumberValue(n)) => json!(n),
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::ListValue(l)) => Json::Array(l.values.iter().map(from_prost).collect()),
        Some(Kind::StructValue(s)) => from_struct(Some(s)),
    }
}

fn from_struct(s: Option<&prost_types::Struct>) -> Json {
    Json::Object(
        s.map(|s| {
            s.fields
                .iter()
                .map(|(k, v)| (k.clone(), from_prost(v)))
                .collect()
        })
        .unwrap_or_default(),
    )
}

fn secret(v: &str) -> Json {
    json!({ SIG: SECRET_SIG, "value": v })
}

// --- the stand-in engine (Engine.Log) -------------------------------------------------------

#[derive(Default)]
struct StandInEngine;

#[tonic::async_trait]
impl Engine for StandInEngine {
    async fn log(
        &self,
        _req: tonic::Request<LogRequest>,
    ) -> Result<tonic::Response<()>, tonic::Status> {
        Ok(tonic::Response::new(()))
    }
}

async fn start_engine() -> Res<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(EngineServer::new(StandInEngine))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await;
    });
    Ok(addr.to_string())
}

// --- the two providers ----------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    /// `pulumi-resource-crunchybridge`.
    Native,
    /// The Node.js dynamic provider, one API call per create (as written by hand).
    Peer,
    /// The same peer making the native provider's calls (list, POST, read back).
    PeerSameCalls,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Native => "provider",
            Who::Peer => "node-peer",
            Who::PeerSameCalls => "node-peer-same-calls",
        }
    }

    fn command(self, s: &Settings, engine: &str) -> Command {
        match self {
            Who::Native => {
                let mut c = Command::new(&s.provider_bin);
                c.arg(engine);
                c
            }
            Who::Peer | Who::PeerSameCalls => {
                let mut c = Command::new("node");
                c.arg(
                    s.bench_dir
                        .join("node_modules/@pulumi/pulumi/cmd/dynamic-provider"),
                )
                .arg(engine)
                .env(
                    "PEER_MODE",
                    if self == Who::Peer {
                        "hand"
                    } else {
                        "same-calls"
                    },
                );
                c
            }
        }
    }
}

/// A launched provider: the process, its port, and how long the port line took.
struct Launched {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    port: u16,
    took: Duration,
}

fn launch(who: Who, s: &Settings, engine: &str, stderr: Stdio) -> Res<Launched> {
    let mut cmd = who.command(s, engine);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .env_remove("CRUNCHYBRIDGE_API_KEY")
        .env_remove("CB_API_KEY")
        .env_remove("CRUNCHYBRIDGE_API_URL");
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    let took = start.elapsed();
    let port = line
        .trim()
        .parse::<u16>()
        .map_err(|_| format!("{}: not a port line: {line:?}", who.name()))?;
    Ok(Launched {
        child,
        _stdout: out,
        port,
        took,
    })
}

impl Launched {
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// (VmRSS, VmHWM) in KiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

/// A gRPC client speaking to one provider, with what it needs to build requests for it.
#[derive(Clone)]
struct Driver {
    who: Who,
    client: ResourceProviderClient<Channel>,
    /// The peer's `__provider` source (every input of a dynamic resource carries it).
    provider_source: Option<Arc<str>>,
}

impl Driver {
    async fn connect(who: Who, port: u16, peer_source: &Arc<str>) -> Res<Driver> {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))?
            .connect()
            .await?;
        let client = ResourceProviderClient::new(channel)
            .max_decoding_message_size(MAX_MSG)
            .max_encoding_message_size(MAX_MSG);
        Ok(Driver {
            who,
            client,
            provider_source: (who != Who::Native).then(|| peer_source.clone()),
        })
    }

    fn token(&self) -> &'static str {
        if self.who == Who::Native {
            FW_NATIVE
        } else {
            FW_PEER
        }
    }

    fn urn(&self, token: &str, name: &str) -> String {
        format!("urn:pulumi:bench::bench::{token}::{name}")
    }

    /// FirewallRule inputs as this provider takes them.
    fn inputs(&self, network: &str, rule: &str, description: &str) -> Json {
        let mut v = json!({ "networkId": network, "rule": rule, "description": description });
        if let Some(src) = &self.provider_source {
            v["__provider"] = Json::String(src.to_string());
        }
        v
    }

    async fn configure(&mut self, api_url: &str, engine: &str) -> Res<()> {
        let args = if self.who == Who::Native {
            let _ = self
                .client
                .handshake(ProviderHandshakeRequest {
                    engine_address: engine.to_owned(),
                    ..Default::default()
                })
                .await;
            let mut config = json!({ "apiKey": secret(API_KEY), "apiUrl": api_url });
            if let Ok(cap) = std::env::var("OCEANID_BENCH_PROVIDER_CAP") {
                // As stack config reaches the provider: text.
                config["maxConcurrentRequests"] = Json::String(cap);
            }
            config
        } else {
            // The engine hands a dynamic provider the stack's config, keys namespaced.
            json!({ "crunchybridge:apiKey": secret(API_KEY), "crunchybridge:apiUrl": api_url })
        };
        self.client
            .configure(ConfigureRequest {
                args: Some(to_struct(&args)),
                accept_secrets: true,
                accept_resources: true,
                sends_old_inputs: true,
                sends_old_inputs_to_delete: true,
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    async fn plugin_info(&mut self) -> Res<()> {
        self.client.get_plugin_info(()).await?;
        Ok(())
    }

    async fn check(&mut self, token: &str, name: &str, news: &Json) -> Res<Json> {
        let r = self
            .client
            .check(CheckRequest {
                urn: self.urn(token, name),
                r#type: token.to_owned(),
                name: name.to_owned(),
                news: Some(to_struct(news)),
                olds: Some(prost_types::Struct::default()),
                ..Default::default()
            })
            .await?
            .into_inner();
        if !r.failures.is_empty() {
            let f: Vec<String> = r
                .failures
                .iter()
                .map(|f| format!("{}: {}", f.property, f.reason))
                .collect();
            return Err(format!("check failed: {}", f.join("; ")).into());
        }
        Ok(from_struct(r.inputs.as_ref()))
    }

    async fn diff(
        &mut self,
        token: &str,
        name: &str,
        id: &str,
        olds: &Json,
        news: &Json,
        old_inputs: &Json,
    ) -> Res<i32> {
        let r = self
            .client
            .diff(DiffRequest {
                id: id.to_owned(),
                urn: self.urn(token, name),
                r#type: token.to_owned(),
                name: name.to_owned(),
                olds: Some(to_struct(olds)),
                news: Some(to_struct(news)),
                old_inputs: Some(to_struct(old_inputs)),
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(r.changes)
    }

    async fn create(&mut self, token: &str, name: &str, props: &Json) -> Res<(String, Json)> {
        let r = self
            .client
            .create(CreateRequest {
                urn: self.urn(token, name),
                r#type: token.to_owned(),
                name: name.to_owned(),
                properties: Some(to_struct(props)),
                timeout: 300.0,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((r.id, from_struct(r.properties.as_ref())))
    }

    async fn update(
        &mut self,
        token: &str,
        name: &str,
        id: &str,
        olds: &Json,
        news: &Json,
    ) -> Res<Json> {
        let r = self
            .client
            .update(UpdateRequest {
                id: id.to_owned(),
                urn: self.urn(token, name),
                r#type: token.to_owned(),
                name: name.to_owned(),
                olds: Some(to_struct(olds)),
                news: Some(to_struct(news)),
                old_inputs: Some(to_struct(news)),
                timeout: 300.0,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(from_struct(r.properties.as_ref()))
    }

    async fn delete(
        &mut self,
        token: &str,
        name: &str,
        id: &str,
        props: &Json,
        inputs: &Json,
    ) -> Res<()> {
        self.client
            .delete(DeleteRequest {
                id: id.to_owned(),
                urn: self.urn(token, name),
                r#type: token.to_owned(),
                name: name.to_owned(),
                properties: Some(to_struct(props)),
                old_inputs: Some(to_struct(inputs)),
                timeout: 300.0,
                ..Default::default()
            })
            .await?;
        Ok(())
    }
}

// --- the emulator ---------------------------------------------------------------------------

struct Emulator {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    url: String,
    http: reqwest::Client,
}

impl Emulator {
    fn start(s: &Settings, postgres: &str) -> Res<Emulator> {
        let mut child = Command::new(&s.emulator_bin)
            .args(["--listen", "127.0.0.1:0", "--api-key", API_KEY])
            .args(["--postgres", postgres, "--provision-delay-ms", "50"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", s.emulator_bin.display()))?;
        let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        out.read_line(&mut line)?;
        let url = line.trim().to_owned();
        if !url.starts_with("http://") {
            return Err(format!("the emulator did not print its URL: {line:?}").into());
        }
        Ok(Emulator {
            child,
            _stdout: out,
            url,
            http: reqwest::Client::new(),
        })
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Json>) -> Res<Json> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if !path.starts_with("/__emulator") {
            req = req.bearer_auth(API_KEY);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status}: {text}").into());
        }
        Ok(if text.is_empty() {
            Json::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn state(&self) -> Res<Json> {
        self.admin(reqwest::Method::GET, "/__emulator/state", None)
            .await
    }

    async fn seed(&self) -> Res<Json> {
        Ok(self.state().await?["seed"].clone())
    }

    /// Back to the seed, no faults, and the network's allow-all rules gone.
    async fn fresh(&self) -> Res<String> {
        self.admin(reqwest::Method::POST, "/__emulator/reset", Some(json!({})))
            .await?;
        self.admin(reqwest::Method::DELETE, "/__emulator/faults", None)
            .await?;
        let seed = self.seed().await?;
        let net = seed["network_id"]
            .as_str()
            .ok_or("no seed.network_id")?
            .to_owned();
        for id in seed["allow_all_rule_ids"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let id = id.as_str().unwrap_or_default();
            self.admin(
                reqwest::Method::DELETE,
                &format!("/networks/{net}/firewall-rules/{id}"),
                None,
            )
            .await?;
        }
        Ok(net)
    }

    async fn fault(&self, spec: Json) -> Res<()> {
        self.admin(reqwest::Method::POST, "/__emulator/faults", Some(spec))
            .await
            .map(|_| ())
    }

    async fn fired(&self) -> Res<u64> {
        let faults = self
            .admin(reqwest::Method::GET, "/__emulator/faults", None)
            .await?;
        let list = faults
            .as_array()
            .cloned()
            .or_else(|| faults["faults"].as_array().cloned())
            .unwrap_or_default();
        Ok(list
            .iter()
            .filter(|f| f["status"].as_u64() == Some(429))
            .map(|f| f["fired"].as_u64().unwrap_or(0))
            .sum())
    }

    /// Bridge API calls since the faults were set: the `latency_ms` fault without a status
    /// matches every call and fires on each.
    async fn api_calls(&self) -> Res<u64> {
        let faults = self
            .admin(reqwest::Method::GET, "/__emulator/faults", None)
            .await?;
        let list = faults
            .as_array()
            .cloned()
            .or_else(|| faults["faults"].as_array().cloned())
            .unwrap_or_default();
        Ok(list
            .iter()
            .filter(|f| {
                f["status"].is_null() && f["path"].is_null() && f["latency_ms"].as_u64().is_some()
            })
            .map(|f| f["fired"].as_u64().unwrap_or(0))
            .sum())
    }

    async fn rule_count(&self, net: &str) -> Res<usize> {
        let st = self.state().await?;
        Ok(st["firewall_rules"]
            .as_array()
            .map(|a| a.iter().filter(|r| r["network_id"] == net).count())
            .unwrap_or(0))
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- scenarios ------------------------------------------------------------------------------

type Figures = BTreeMap<String, f64>;

fn rule_for(i: usize) -> String {
    // Bare addresses: Check turns each into a /32.
    format!(
        "100.{}.{}.{}",
        64 + i / 65_000,
        (i / 250) % 256,
        i % 250 + 1
    )
}

/// Launch → port line, interleaving the providers so drift hits both alike.
fn launches(s: &Settings, engine: &str, whos: &[Who]) -> Res<BTreeMap<Who, Vec<f64>>> {
    let mut out: BTreeMap<Who, Vec<f64>> = BTreeMap::new();
    for _ in 0..s.launches {
        for &who in whos {
            let l = launch(who, s, engine, Stdio::null())?;
            out.entry(who).or_default().push(l.took.as_secs_f64() * 1e3);
            l.stop();
        }
    }
    Ok(out)
}

/// 250 lifecycles (Check, Create, Diff, Delete: 1,000 operations) timing each call, then the
/// memory, then Check + Diff alone, and the driver's floor (GetPluginInfo).
async fn per_call(
    s: &Settings,
    d: &mut Driver,
    l: &Launched,
    net: &str,
    fig: &mut Figures,
) -> Res<()> {
    let token = d.token();
    let mut t: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in 0..s.lifecycles {
        let name = format!("r{i}");
        let news = d.inputs(net, &rule_for(i), &format!("node-{i}"));
        let a = Instant::now();
        let inputs = d.check(token, &name, &news).await?;
        let check = a.elapsed();
        let a = Instant::now();
        let (id, outs) = d.create(token, &name, &inputs).await?;
        let create = a.elapsed();
        let mut news2 = inputs.clone();
        news2["description"] = Json::String(format!("node-{i} (renamed)"));
        let a = Instant::now();
        let changes = d.diff(token, &name, &id, &outs, &news2, &inputs).await?;
        let diff = a.elapsed();
        if changes != 2 {
            return Err(format!(
                "{}: diff answered {changes}, expected DIFF_SOME",
                d.who.name()
            )
            .into());
        }
        let a = Instant::now();
        d.delete(token, &name, &id, &outs, &inputs).await?;
        let delete = a.elapsed();
        if i >= s.warmup {
            t.entry("check").or_default().push(micros(check));
            t.entry("create").or_default().push(micros(create));
            t.entry("diff").or_default().push(micros(diff));
            t.entry("delete").or_default().push(micros(delete));
        }
    }
    let (rss, hwm) = l.memory();
    fig.insert("rss_kib".into(), rss as f64);
    fig.insert("hwm_kib".into(), hwm as f64);

    // Check + Diff alone (no API calls): the protocol path, client observed.
    let news = d.inputs(net, "198.51.100.7", "node-x");
    let inputs = d.check(token, "x", &news).await?;
    let mut outs = inputs.clone();
    outs["ruleId"] = json!("rrrrrrrrrrrrrrrrrrrrrrrrra");
    outs["description"] = json!("node-x (old)");
    let id = format!("{net}/rrrrrrrrrrrrrrrrrrrrrrrrra");
    for i in 0..s.check_diff_pairs + 50 {
        let a = Instant::now();
        let checked = d.check(token, "x", &news).await?;
        d.diff(token, "x", &id, &outs, &checked, &outs).await?;
        if i >= 50 {
            t.entry("check_diff").or_default().push(micros(a.elapsed()));
        }
    }
    for i in 0..550 {
        let a = Instant::now();
        d.plugin_info().await?;
        if i >= 50 {
            t.entry("floor").or_default().push(micros(a.elapsed()));
        }
    }
    for (k, v) in t {
        let sm = summarize(&v);
        fig.insert(format!("{k}_p50_us"), sm.p50);
        fig.insert(format!("{k}_p99_us"), sm.p99);
    }
    Ok(())
}

/// `n` creates with `in_flight` at a time (the engine's `--parallel`; `n` for an unbounded
/// engine, which is Pulumi's default); returns the wall time and the failures.
async fn bulk(
    s: &Settings,
    d: &Driver,
    net: &str,
    base: usize,
    in_flight: usize,
) -> Res<(f64, usize)> {
    let token = d.token();
    let mut prepared = Vec::with_capacity(s.bulk_creates);
    let mut dd = d.clone();
    for i in 0..s.bulk_creates {
        let name = format!("b{}", base + i);
        let news = d.inputs(net, &rule_for(base + i), &format!("bulk {i}"));
        prepared.push((name.clone(), dd.check(token, &name, &news).await?));
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let mut set = tokio::task::JoinSet::new();
    let start = Instant::now();
    for (name, inputs) in prepared {
        let permit = sem.clone().acquire_owned().await?;
        let mut dd = d.clone();
        set.spawn(async move {
            let r = dd.create(token, &name, &inputs).await;
            drop(permit);
            r.map(|_| ()).map_err(|e| e.to_string())
        });
    }
    let mut failures = 0;
    let mut first_error = None;
    while let Some(r) = set.join_next().await {
        if let Err(e) = r? {
            failures += 1;
            first_error.get_or_insert(e);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    if let Some(e) = first_error {
        eprintln!("  {}: {failures} creates failed; first: {e}", d.who.name());
    }
    Ok((wall, failures))
}

async fn bulk_scenarios(s: &Settings, d: &Driver, emu: &Emulator, fig: &mut Figures) -> Res<()> {
    let latency = json!({ "latency_ms": 20 });
    let storm = |ra: u64| {
        json!({ "method": "POST", "path": "/networks/*/firewall-rules", "status": 429,
                "retry_after": ra, "rate": 0.3 })
    };
    // Diagnostic: the 20 ms only on the create call itself, so a provider that makes more than
    // one call per create is measured on its machinery rather than on its extra calls.
    let post_latency = json!({ "method": "POST", "path": "/networks/*/firewall-rules",
                               "latency_ms": 20 });
    // The engine's Creates in flight: 10 (`--parallel 10`), or all of them at once, as a
    // `pulumi up` sends them by default; then only the provider's own cap on API calls in
    // flight (`maxConcurrentRequests`, 10 unless OCEANID_BENCH_PROVIDER_CAP says otherwise)
    // bounds what the API sees. The peer has no such cap, so it runs only at 10.
    let engine_10 = s.in_flight;
    let unbounded = s.bulk_creates;
    let mut scenarios = vec![
        ("bulk20", engine_10, vec![latency.clone()]),
        ("bulk20_post", engine_10, vec![post_latency]),
        ("storm_ra0", engine_10, vec![latency.clone(), storm(0)]),
    ];
    if s.storm_retry_after_1s {
        scenarios.push(("storm_ra1", engine_10, vec![latency.clone(), storm(1)]));
    }
    if d.who == Who::Native {
        scenarios.push(("bulk20_unbounded", unbounded, vec![latency.clone()]));
        scenarios.push((
            "storm_ra0_unbounded",
            unbounded,
            vec![latency.clone(), storm(0)],
        ));
        if s.storm_retry_after_1s {
            scenarios.push((
                "storm_ra1_unbounded",
                unbounded,
                vec![latency.clone(), storm(1)],
            ));
        }
    }
    let only = std::env::var("OCEANID_BENCH_SCENARIOS").unwrap_or_default();
    scenarios.retain(|(n, _, _)| only.is_empty() || only.split(',').any(|o| o == *n));
    for (name, in_flight, faults) in scenarios {
        let net = emu.fresh().await?;
        for f in faults {
            emu.fault(f).await?;
        }
        let (wall, failures) = bulk(s, d, &net, 10_000, in_flight).await?;
        let fired = emu.fired().await?;
        let calls = emu.api_calls().await?;
        emu.admin(reqwest::Method::DELETE, "/__emulator/faults", None)
            .await?;
        let held = emu.rule_count(&net).await?;
        fig.insert(format!("{name}_wall_s"), wall);
        fig.insert(format!("{name}_failures"), failures as f64);
        fig.insert(format!("{name}_429s"), fired as f64);
        fig.insert(format!("{name}_rules_held"), held as f64);
        fig.insert(format!("{name}_api_calls"), calls as f64);
        eprintln!(
            "  {:<22} {name:<10} {wall:>7.3} s  ({failures} failed, {fired} x 429, {held} rules held, {calls} API calls)",
            d.who.name()
        );
    }
    Ok(())
}

/// FirewallAllowlist (the native provider only; the peer has no allowlist): 500 entries at
/// +20 ms per call, then a 10% change (50 removed, 50 added), each verified by the provider's
/// one read-back; wall time and Bridge API calls of each.
async fn allowlist_scenarios(d: &Driver, emu: &Emulator, fig: &mut Figures) -> Res<()> {
    let latency = json!({ "latency_ms": 20 });
    let net = emu.fresh().await?;
    let entries = |from: usize, to: usize| -> Json {
        Json::Array(
            (from..to)
                .map(|i| json!({ "address": rule_for(20_000 + i), "description": format!("node {i}") }))
                .collect(),
        )
    };
    let mut dd = d.clone();
    let args = json!({ "networkId": net, "entries": entries(0, 500) });
    let inputs = dd.check(ALLOWLIST, "nodes", &args).await?;
    emu.fault(latency.clone()).await?;
    let start = Instant::now();
    let (id, state) = dd.create(ALLOWLIST, "nodes", &inputs).await?;
    let create_s = start.elapsed().as_secs_f64();
    let create_calls = emu.api_calls().await?;
    emu.admin(reqwest::Method::DELETE, "/__emulator/faults", None)
        .await?;
    let after_create = emu.rule_count(&net).await?;

    let args = json!({ "networkId": net, "entries": entries(50, 550) });
    let news = dd.check(ALLOWLIST, "nodes", &args).await?;
    emu.fault(latency).await?;
    let start = Instant::now();
    let state2 = dd.update(ALLOWLIST, "nodes", &id, &state, &news).await?;
    let change_s = start.elapsed().as_secs_f64();
    let change_calls = emu.api_calls().await?;
    emu.admin(reqwest::Method::DELETE, "/__emulator/faults", None)
        .await?;
    let after_change = emu.rule_count(&net).await?;
    let owned = state2["rules"].as_array().map_or(0, Vec::len);
    if after_create != 500 || after_change != 500 || owned != 500 {
        return Err(format!(
            "allowlist: {after_create} rules after create, {after_change} after the change, \
             {owned} owned (expected 500 each)"
        )
        .into());
    }
    fig.insert("allowlist500_wall_s".into(), create_s);
    fig.insert("allowlist500_api_calls".into(), create_calls as f64);
    fig.insert("allowlist_change_wall_s".into(), change_s);
    fig.insert("allowlist_change_api_calls".into(), change_calls as f64);
    eprintln!(
        "  {:<22} allowlist  {create_s:>7.3} s  ({create_calls} API calls); 10% change \
         {change_s:.3} s ({change_calls} API calls)",
        d.who.name()
    );
    Ok(())
}

/// Database create (+ the provider's verification) against the emulator's PostgreSQL.
async fn databases(s: &Settings, engine: &str, fig: &mut Figures) -> Res<bool> {
    let emu = Emulator::start(s, "auto")?;
    let result = async {
        let l = launch(Who::Native, s, engine, Stdio::null())?;
        let src: Arc<str> = Arc::from("");
        let mut d = Driver::connect(Who::Native, l.port, &src).await?;
        let schema = d
            .client
            .get_schema(
                provider_crunchybridge::pulumi::proto::pulumirpc::GetSchemaRequest {
                    version: 1,
                    ..Default::default()
                },
            )
            .await?
            .into_inner()
            .schema;
        if !schema.contains(DB_NATIVE) {
            l.stop();
            return Ok::<bool, BoxError>(false);
        }
        d.configure(&emu.url, engine).await?;
        let seed = emu.seed().await?;
        let cluster = seed["cluster_id"]
            .as_str()
            .ok_or("no seed.cluster_id")?
            .to_owned();
        let mut walls = Vec::new();
        let mut made = Vec::new();
        for i in 0..s.databases + 1 {
            let name = format!("bench_db_{}_{}", std::process::id(), i);
            let news = json!({ "clusterId": cluster, "name": name, "owner": "application" });
            let inputs = d.check(DB_NATIVE, &name, &news).await?;
            let a = Instant::now();
            let (id, outs) = d.create(DB_NATIVE, &name, &inputs).await?;
            let took = a.elapsed().as_secs_f64() * 1e3;
            if i > 0 {
                walls.push(took); // the first pays for process-wide setup (TLS config, pools)
            } else {
                fig.insert("db_first_create_ms".into(), took);
            }
            made.push((name, id, outs, inputs));
        }
        let mut deletes = Vec::new();
        for (name, id, outs, inputs) in made {
            let a = Instant::now();
            d.delete(DB_NATIVE, &name, &id, &outs, &inputs).await?;
            deletes.push(a.elapsed().as_secs_f64() * 1e3);
        }
        let c = summarize(&walls);
        fig.insert("db_create_p50_ms".into(), c.p50);
        fig.insert("db_create_min_ms".into(), c.min);
        fig.insert("db_create_max_ms".into(), c.max);
        let dl = summarize(&deletes);
        fig.insert("db_delete_p50_ms".into(), dl.p50);
        l.stop();
        Ok(true)
    }
    .await;
    emu.stop();
    result
}

// --- a round, and the report ------------------------------------------------------------------

async fn round(
    s: &Settings,
    engine: &str,
    peer_source: &Arc<str>,
    r: usize,
) -> Res<BTreeMap<String, Figures>> {
    let only = std::env::var("OCEANID_BENCH_WHO").unwrap_or_default();
    let whos: Vec<Who> = [Who::Native, Who::Peer, Who::PeerSameCalls]
        .into_iter()
        .filter(|w| only.is_empty() || only.split(',').any(|o| o == w.name()))
        .collect();
    let mut figs: BTreeMap<String, Figures> = BTreeMap::new();
    eprintln!("round {r}: launch -> port line x{}", s.launches);
    let launch_whos: Vec<Who> = whos
        .iter()
        .copied()
        .filter(|w| *w != Who::PeerSameCalls)
        .collect();
    for (who, v) in launches(s, engine, &launch_whos)? {
        let sm = summarize(&v);
        let f = figs.entry(who.name().into()).or_default();
        f.insert("launch_p50_ms".into(), sm.p50);
        f.insert("launch_min_ms".into(), sm.min);
        f.insert("launch_max_ms".into(), sm.max);
    }
    let emu = Emulator::start(s, "none")?;
    for who in whos {
        eprintln!("round {r}: {} per-call and bulk", who.name());
        let net = emu.fresh().await?;
        let stderr_path = s.out_dir.join(format!("{}.stderr", who.name()));
        let l = launch(
            who,
            s,
            engine,
            Stdio::from(std::fs::File::create(&stderr_path)?),
        )?;
        let mut d = Driver::connect(who, l.port, peer_source).await?;
        d.configure(&emu.url, engine).await?;
        let f = figs.entry(who.name().into()).or_default();
        if std::env::var("OCEANID_BENCH_PERCALL").as_deref() != Ok("0") {
            per_call(s, &mut d, &l, &net, f).await?;
        }
        bulk_scenarios(s, &d, &emu, f).await?;
        if who == Who::Native && std::env::var("OCEANID_BENCH_ALLOWLIST").as_deref() != Ok("0") {
            allowlist_scenarios(&d, &emu, f).await?;
        }
        l.stop();
    }
    emu.stop();
    if (r == 0 || std::env::var("OCEANID_BENCH_DB_EVERY_ROUND").is_ok()) && s.databases > 0 {
        eprintln!("round {r}: Database create + verify (emulator --postgres auto)");
        let mut f = Figures::new();
        match databases(s, engine, &mut f).await {
            Ok(true) => {
                figs.insert("database".into(), f);
            }
            Ok(false) => eprintln!("  {DB_NATIVE} is not in the provider's schema yet: skipped"),
            Err(e) => eprintln!("  Database scenario failed: {e}"),
        }
    }
    Ok(figs)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn median_of(
    rounds: &[BTreeMap<String, Figures>],
    who: &str,
    key: &str,
) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = rounds
        .iter()
        .filter_map(|r| r.get(who).and_then(|f| f.get(key)).copied())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some((v[v.len() / 2], v[0], v[v.len() - 1]))
}

/// The rows of the engine-unbounded scenarios, the API call counts and the allowlist (in the
/// engine-unbounded rows the peers' columns show their engine-10 figures).
const MORE_ROWS: &[(&str, &str, &str, f64)] = &[
    (
        "500 creates, engine unbounded, provider at 10 API calls in flight, +20 ms/call (peers: engine 10)",
        "bulk20_unbounded_wall_s",
        "s",
        1.0,
    ),
    (
        "same + 429 storm (rate 0.3, Retry-After: 0), engine unbounded (peers: engine 10)",
        "storm_ra0_unbounded_wall_s",
        "s",
        1.0,
    ),
    (
        "same + 429 storm (rate 0.3, Retry-After: 1), engine unbounded (peers: engine 10)",
        "storm_ra1_unbounded_wall_s",
        "s",
        1.0,
    ),
    (
        "API calls: 500 creates, engine 10",
        "bulk20_api_calls",
        "",
        1.0,
    ),
    (
        "API calls: 500 creates, engine unbounded (peers: engine 10)",
        "bulk20_unbounded_api_calls",
        "",
        1.0,
    ),
    (
        "API calls: storm Retry-After: 1, engine 10",
        "storm_ra1_api_calls",
        "",
        1.0,
    ),
    (
        "API calls: storm Retry-After: 1, engine unbounded (peers: engine 10)",
        "storm_ra1_unbounded_api_calls",
        "",
        1.0,
    ),
    (
        "FirewallAllowlist of 500 entries, +20 ms/call, verified",
        "allowlist500_wall_s",
        "s",
        1.0,
    ),
    (
        "API calls: FirewallAllowlist of 500",
        "allowlist500_api_calls",
        "",
        1.0,
    ),
    (
        "10% change of that allowlist (50 removed, 50 added)",
        "allowlist_change_wall_s",
        "s",
        1.0,
    ),
    (
        "API calls: 10% change",
        "allowlist_change_api_calls",
        "",
        1.0,
    ),
];

fn report(rounds: &[BTreeMap<String, Figures>], s: &Settings) -> String {
    let mut md = String::new();
    let n = rounds.len();
    md.push_str(&format!(
        "Medians over {n} round(s) (each round's figure is itself a median or percentile; \
         [min-max] across rounds)\n\n"
    ));
    md.push_str("| figure | provider | node peer | peer / provider | node peer, same calls |\n|---|---|---|---|---|\n");
    let rows: &[(&str, &str, &str, f64)] = &[
        (
            "launch -> port line, median of launches",
            "launch_p50_ms",
            "ms",
            1.0,
        ),
        (
            "RSS after 1,000 operations (VmRSS)",
            "rss_kib",
            "MiB",
            1.0 / 1024.0,
        ),
        ("peak RSS (VmHWM)", "hwm_kib", "MiB", 1.0 / 1024.0),
        ("driver floor: GetPluginInfo p50", "floor_p50_us", "us", 1.0),
        ("Check p50", "check_p50_us", "us", 1.0),
        ("Check p99", "check_p99_us", "us", 1.0),
        ("Diff p50", "diff_p50_us", "us", 1.0),
        ("Diff p99", "diff_p99_us", "us", 1.0),
        (
            "Check + Diff p50 (gRPC round trips)",
            "check_diff_p50_us",
            "us",
            1.0,
        ),
        ("Check + Diff p99", "check_diff_p99_us", "us", 1.0),
        ("Create p50", "create_p50_us", "us", 1.0),
        ("Create p99", "create_p99_us", "us", 1.0),
        ("Delete p50", "delete_p50_us", "us", 1.0),
        ("Delete p99", "delete_p99_us", "us", 1.0),
        (
            "500 creates, 10 in flight, +20 ms/call",
            "bulk20_wall_s",
            "s",
            1.0,
        ),
        (
            "same, +20 ms on the POST only (diagnostic)",
            "bulk20_post_wall_s",
            "s",
            1.0,
        ),
        (
            "same + 429 storm (rate 0.3, Retry-After: 0)",
            "storm_ra0_wall_s",
            "s",
            1.0,
        ),
        (
            "same + 429 storm (rate 0.3, Retry-After: 1)",
            "storm_ra1_wall_s",
            "s",
            1.0,
        ),
    ];
    let cell = |m: Option<(f64, f64, f64)>, scale: f64, unit: &str| match m {
        Some((med, lo, hi)) if n > 1 => format!(
            "{} {unit} [{}-{}]",
            fmt(med * scale),
            fmt(lo * scale),
            fmt(hi * scale)
        ),
        Some((med, _, _)) => format!("{} {unit}", fmt(med * scale)),
        None => "-".into(),
    };
    for (label, key, unit, scale) in rows.iter().chain(MORE_ROWS) {
        // An engine-unbounded row compares with the peers at 10 in flight (their 10 API calls
        // in flight: a dynamic provider has no cap of its own).
        let peer_key = key.replace("_unbounded", "");
        let a = median_of(rounds, "provider", key);
        let b = median_of(rounds, "node-peer", &peer_key);
        let c = median_of(rounds, "node-peer-same-calls", &peer_key);
        if a.is_none() && b.is_none() {
            continue;
        }
        let ratio = match (a, b) {
            (Some((x, _, _)), Some((y, _, _))) if x > 0.0 => format!("{:.1}x", y / x),
            _ => "-".into(),
        };
        md.push_str(&format!(
            "| {label} | {} | {} | {ratio} | {} |\n",
            cell(a, *scale, unit),
            cell(b, *scale, unit),
            cell(c, *scale, unit)
        ));
    }
    md.push_str(
        "\nBulk outcomes (median per round): failures / 429s answered / rules held afterwards\n\n",
    );
    for who in ["provider", "node-peer", "node-peer-same-calls"] {
        let mut parts = Vec::new();
        for sc in [
            "bulk20",
            "bulk20_post",
            "storm_ra0",
            "storm_ra1",
            "bulk20_unbounded",
            "storm_ra0_unbounded",
            "storm_ra1_unbounded",
        ] {
            let g = |k: &str| median_of(rounds, who, &format!("{sc}_{k}")).map(|m| m.0);
            if let (Some(f), Some(q), Some(h)) = (g("failures"), g("429s"), g("rules_held")) {
                parts.push(format!("{sc}: {f:.0} / {q:.0} / {h:.0}"));
            }
        }
        md.push_str(&format!("- {who}: {}\n", parts.join("; ")));
    }
    let db = |k: &str| median_of(rounds, "database", k);
    if let Some((p50, lo, hi)) = db("db_create_p50_ms") {
        let runs = rounds.iter().filter(|r| r.contains_key("database")).count();
        md.push_str(&format!(
            "\nDatabase create + verify ({} databases per measurement after a first one, {runs} \
             measurement(s)): median {} ms [{}-{} across measurements]; within one measurement \
             min {} ms, max {} ms; first create {} ms; delete median {} ms\n",
            s.databases,
            fmt(p50),
            fmt(lo),
            fmt(hi),
            fmt(db("db_create_min_ms").map_or(f64::NAN, |m| m.1)),
            fmt(db("db_create_max_ms").map_or(f64::NAN, |m| m.2)),
            fmt(db("db_first_create_ms").map_or(f64::NAN, |m| m.0)),
            fmt(db("db_delete_p50_ms").map_or(f64::NAN, |m| m.0)),
        ));
    }
    md
}

fn fmt(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn command_output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "?".into())
}

fn machine() -> Json {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("?")
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo.lines().next().unwrap_or("?").to_owned();
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": model,
        "mem": mem,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "rustc": command_output("rustc", &["--version"]),
        "node": command_output("node", &["--version"]),
    })
}

/// Medians over every round of every saved run (`run-*.json` in the results directory).
fn report_saved_runs(s: &Settings) -> Res<()> {
    let mut rounds: Vec<BTreeMap<String, Figures>> = Vec::new();
    let mut runs = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&s.out_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("run-") && n.ends_with(".json"))
        })
        .collect();
    names.sort();
    for path in names {
        let raw: Json = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let these: Vec<BTreeMap<String, Figures>> = serde_json::from_value(raw["rounds"].clone())?;
        runs.push(format!(
            "{}: {} round(s), load before {}, after {}",
            path.display(),
            these.len(),
            raw["load_before"].as_str().unwrap_or("?"),
            raw["load_after"].as_str().unwrap_or("?")
        ));
        rounds.extend(these);
    }
    if rounds.is_empty() {
        return Err(format!("no run-*.json in {}", s.out_dir.display()).into());
    }
    println!("{}", report(&rounds, s));
    for r in runs {
        println!("- {r}");
    }
    Ok(())
}

fn main() -> Res<()> {
    let s = Settings::from_env();
    for p in [&s.provider_bin, &s.emulator_bin] {
        if !p.exists() {
            return Err(format!(
                "{} is missing: build it with `cargo build --release -p provider-crunchybridge -p oceanid-emulator` (scripts/bench does)",
                p.display()
            )
            .into());
        }
    }
    let peer_file = s.bench_dir.join("peer/firewall-rule-provider.js");
    let peer_source: Arc<str> = Arc::from(std::fs::read_to_string(&peer_file)?);
    if !s.bench_dir.join("node_modules/@pulumi/pulumi").exists() {
        return Err(
            "bench/node_modules is missing: run `npm ci` in bench/ (scripts/bench does)".into(),
        );
    }
    std::fs::create_dir_all(&s.out_dir)?;
    if std::env::var("OCEANID_BENCH_REPORT_ONLY").as_deref() == Ok("1") {
        return report_saved_runs(&s);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let engine = start_engine().await?;
        let load_before = loadavg();
        let mut rounds = Vec::new();
        for r in 0..s.rounds {
            rounds.push(round(&s, &engine, &peer_source, r).await?);
        }
        let load_after = loadavg();
        let table = report(&rounds, &s);
        let info = machine();
        println!("{table}");
        println!("machine: {info}");
        println!("load average before: {load_before}; after: {load_after}");
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let raw = json!({
            "unix_time": stamp,
            "machine": info,
            "load_before": load_before,
            "load_after": load_after,
            "rounds": rounds,
        });
        std::fs::write(
            s.out_dir.join(format!("run-{stamp}.json")),
            serde_json::to_string_pretty(&raw)?,
        )?;
        std::fs::write(
            s.out_dir.join("latest.json"),
            serde_json::to_string_pretty(&raw)?,
        )?;
        std::fs::write(s.out_dir.join("latest.md"), &table)?;
        std::fs::write(s.out_dir.join(format!("run-{stamp}.md")), &table)?;
        eprintln!("results: {}", s.out_dir.join("latest.{json,md}").display());
        Ok::<(), BoxError>(())
    })
}
