//! The main job, with no account and no Pulumi CLI: both plugins launched as the Pulumi engine
//! launches them and driven with the gRPC calls the engine makes for `preview`, `up`, `refresh`
//! and `destroy`, against one `oceanid-emulator` (Crunchy Bridge, Kubernetes and Cloudflare on
//! one port) with a throwaway PostgreSQL. Every step prints what it did and the state read back
//! from the emulator and from PostgreSQL, and the walkthrough fails (exit 1) if what it reads
//! back is not what the step should have made. The stages are in
//! `oceanid_examples::walkthrough`.
//!
//! Run it with `scripts/demo` (which builds the binaries first), or
//! `cargo run -p oceanid-examples --bin walkthrough -- [--provider PATH] [--oceanid-provider PATH]`.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use oceanid_core::cloudflare::{AccountId, ApiToken, Cloudflare};
use oceanid_core::crunchybridge::{Bridge, NetworkId};
use oceanid_emulator::{Emulator, EmulatorConfig, PostgresMode};
use oceanid_examples::walkthrough::cloudflare_warp::{self, PROTECTED, WarpSide};
use oceanid_examples::walkthrough::emulator_admin::EmulatorAdmin;
use oceanid_examples::walkthrough::kubernetes_allowlist::{self, ClusterSide};
use oceanid_examples::walkthrough::oceanid_cloud;
use oceanid_examples::walkthrough::plugin::{EngineLog, Plugin, plugin_path};
use oceanid_examples::walkthrough::show::{heading, props, s, stage};
use pulumi_provider::value::Value;

const API_KEY: &str = "cbkey_walkthrough_0123456789";
const CLOUDFLARE_TOKEN: &str = "cf_walkthrough_token_0123456789";

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
    let crunchybridge_bin = plugin_path(
        "--provider",
        "pulumi-resource-crunchybridge",
        "provider-crunchybridge",
    )?;
    let oceanid_bin = plugin_path(
        "--oceanid-provider",
        "pulumi-resource-oceanid",
        "provider-oceanid",
    )?;
    println!(
        "oceanid walkthrough: pulumi-resource-crunchybridge and pulumi-resource-oceanid, driven with"
    );
    println!(
        "the gRPC calls the Pulumi engine makes, against a local Crunchy Bridge, Kubernetes and Cloudflare."
    );

    heading("start the emulator (--postgres auto: a throwaway PostgreSQL 15 with TLS)");
    let emulator = Emulator::start(EmulatorConfig {
        api_key: API_KEY.into(),
        postgres: PostgresMode::Auto,
        provision_delay: Duration::from_millis(100),
        cloudflare_token: Some(CLOUDFLARE_TOKEN.into()),
        ..Default::default()
    })
    .await
    .context("starting the emulator")?;
    println!(
        "    emulator: {} (Bridge at /, Kubernetes at /api and /apis, Cloudflare at /client/v4)",
        emulator.base_url()
    );
    let bridge = Bridge::builder()
        .api_key(API_KEY)
        .base_url(emulator.base_url())
        .build()?
        .with_timeout(Duration::from_secs(60));
    let cloudflare_seed = emulator.cloudflare_seed();
    let cloudflare_url = format!("{}/client/v4", emulator.base_url());
    let admin = EmulatorAdmin::new(emulator.base_url());
    let engine = EngineLog::default();
    let engine_addr = engine.serve().await?;

    stage("stage 1: the examples/oceanid-cloud stack (pulumi-resource-crunchybridge)");
    heading(
        "launch the provider as the engine does: `pulumi-resource-crunchybridge ENGINE_ADDRESS`",
    );
    let crunchybridge = Plugin::launch(&crunchybridge_bin, engine_addr, "oceanid-cloud").await?;
    crunchybridge
        .configure(&props([
            ("apiKey", Value::Secret(Box::new(s(API_KEY)))),
            ("apiUrl", s(emulator.base_url())),
        ]))
        .await?;
    let mut took = Vec::new();
    let stage_started = Instant::now();
    oceanid_cloud::run(crunchybridge.driver(), &bridge).await?;
    took.push(stage_started.elapsed());

    stage(
        "stage 2: Kubernetes -> the database firewall (getNodes, FirewallAllowlist, checkAllowlist)",
    );
    heading("launch the second plugin: `pulumi-resource-oceanid ENGINE_ADDRESS`");
    let oceanid = Plugin::launch(&oceanid_bin, engine_addr, "oceanid-cluster").await?;
    let protected = PROTECTED.iter().map(|c| s(c)).collect();
    oceanid
        .configure(&props([
            // The emulator's kubeconfig (https, its CA, the admin token): a secret.
            (
                "kubeconfig",
                Value::Secret(Box::new(s(&emulator.kubeconfig()))),
            ),
            (
                "cloudflareApiToken",
                Value::Secret(Box::new(s(CLOUDFLARE_TOKEN))),
            ),
            ("cloudflareAccountId", s(cloudflare_seed.account_id)),
            ("cloudflareApiUrl", s(&cloudflare_url)),
            ("protectedSplitTunnelAddresses", Value::Array(protected)),
        ]))
        .await?;
    let stage_started = Instant::now();
    let cluster_side = crunchybridge.driver().for_project("oceanid-cluster");
    kubernetes_allowlist::run(&ClusterSide {
        crunchybridge: &cluster_side,
        oceanid: oceanid.driver(),
        bridge: &bridge,
        admin: &admin,
        network: NetworkId::new(emulator.seed().network_id),
    })
    .await?;
    took.push(stage_started.elapsed());

    stage("stage 3: Cloudflare WARP split-tunnel entries (pulumi-resource-oceanid)");
    let stage_started = Instant::now();
    let other_team = Cloudflare::builder()
        .token(ApiToken::new(CLOUDFLARE_TOKEN))
        .account(AccountId::new(cloudflare_seed.account_id))
        .base_url(&cloudflare_url)
        .build()?;
    cloudflare_warp::run(&WarpSide {
        oceanid: oceanid.driver(),
        cloudflare: &other_team,
        emulator: &emulator,
        admin: &admin,
    })
    .await?;
    took.push(stage_started.elapsed());

    heading("shutdown: Cancel, then SIGINT, as the engine does");
    crunchybridge.shut_down().await?;
    oceanid.shut_down().await?;
    emulator.shutdown().await;
    println!(
        "\nwalkthrough passed in {:.1} s (stages {}): {} engine log lines; every resource read back from the emulator and PostgreSQL.",
        started.elapsed().as_secs_f64(),
        took.iter()
            .map(|d| format!("{:.1} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        engine.len()
    );
    Ok(())
}
