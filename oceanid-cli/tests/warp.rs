//! `oceanid warp check` against the emulator's Cloudflare API: healthy, a tunnel down, an
//! address not covered, and missing credentials.

use std::process::Output;

use oceanid_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

/// Distinctive, so a leak shows up in any output.
const TOKEN: &str = "cf-Distinctive-Walrus-5512";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        cloudflare_token: Some(TOKEN.to_owned()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn warp_check(emu: &Emulator, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_oceanid"));
    command
        .args(["--json", "warp", "check"])
        .args(args)
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_ACCOUNT_ID", emu.cloudflare_seed().account_id)
        .env(
            "CLOUDFLARE_API_URL",
            format!("{}/client/v4", emu.base_url()),
        );
    let output = command.output().await.expect("oceanid runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(TOKEN), "the token leaked: {all}");
    output
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn healthy_then_tunnel_down_then_an_address_not_covered() {
    let emu = emulator().await;
    let addresses = [
        "--address",
        "10.42.0.0/16",
        "--address",
        "10.43.0.10",
        "--address",
        "192.168.2.0/24",
        "--protected",
        "172.20.0.0/16",
        "--protected",
        "172.21.0.0/16",
    ];
    let healthy = warp_check(&emu, &addresses).await;
    let json = report(&healthy);
    assert_eq!(healthy.status.code(), Some(0), "{json}");
    // Mode, 3 × (covered, routed), 2 protected.
    assert_eq!(json["checks"].as_array().unwrap().len(), 9, "{json}");
    assert_eq!(json["policyId"], Value::Null);

    let uncovered = warp_check(&emu, &["--address", "10.99.0.0/16"]).await;
    assert_eq!(uncovered.status.code(), Some(1));
    assert_eq!(
        failed(&report(&uncovered)),
        ["10.99.0.0/16 in split tunnel", "10.99.0.0/16 tunnel route"]
    );

    let seed = emu.cloudflare_seed();
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/__emulator/cloudflare/tunnels/{}",
            emu.base_url(),
            seed.tunnel_id
        ))
        .json(&serde_json::json!({"status": "down", "connections": 0}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let down = warp_check(&emu, &addresses).await;
    assert_eq!(down.status.code(), Some(1));
    let json = report(&down);
    assert_eq!(failed(&json).len(), 3, "{json}");
    assert!(
        json.to_string().contains("down with 0 connection"),
        "{json}"
    );
}

#[tokio::test]
async fn without_credentials_or_with_a_bad_policy_it_could_not_check() {
    let emu = emulator().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_oceanid"))
        .args(["warp", "check", "--address", "10.42.0.0/16"])
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("CLOUDFLARE_ACCOUNT_ID", "x")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("CLOUDFLARE_API_TOKEN"), "{text}");

    let unknown = warp_check(
        &emu,
        &[
            "--address",
            "10.42.0.0/16",
            "--policy",
            "00000000-0000-0000-0000-000000000000",
        ],
    )
    .await;
    assert_eq!(unknown.status.code(), Some(2));
}
