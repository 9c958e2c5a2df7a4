//! The `oceanid-emulator` binary: flags, the base URL as the first stdout line, logs on stderr
//! without secrets.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

use crate::harness::Api;

const BIN: &str = env!("CARGO_BIN_EXE_oceanid-emulator");

/// Starts the binary with `args` (debug logs) and reads its first stdout line, the base URL.
async fn start_binary(args: &[&str]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
        .await
        .expect("a first line in time")
        .unwrap();
    (child, stdout, line.trim_end().to_owned())
}

#[tokio::test]
async fn prints_its_url_and_serves() {
    let key = "cbkey_binary_test_Xy7Qw91";
    let (mut child, mut stdout, url) = start_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        key,
        "--postgres",
        "none",
        "--provision-delay-ms",
        "0",
    ])
    .await;
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line {url:?}"))
        .parse()
        .unwrap();
    assert_ne!(port, 0);

    let api = Api::new(&url, key);
    api.get("/account").await.expect(200);
    let cluster = api.get("/clusters").await.json["clusters"][0]["id"].clone();
    let role = api
        .get(&format!(
            "/clusters/{}/roles/postgres",
            cluster.as_str().unwrap()
        ))
        .await;
    let password = role.json["password"].as_str().unwrap().to_owned();
    let created = api
        .post("/clusters", &serde_json::json!({"name": "bin", "plan_id": "hobby-2", "team_id": oceanid_emulator::Seed::new().team_id, "provider_id": "aws", "region_id": "us-east-1"}))
        .await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    api.wait_for_state(&id, "ready").await;

    child.start_kill().unwrap();
    let _ = child.wait().await;
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("request"), "logs on stderr: {stderr}");
    assert!(!stderr.contains(key), "the API key leaked into the logs");
    assert!(
        !stderr.contains(&password),
        "a password leaked into the logs"
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "only the URL goes to stdout: {rest:?}");
}

#[tokio::test]
async fn help_version_and_bad_flags() {
    let help = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--provision-delay-ms"));
    let version = Command::new(BIN).arg("--version").output().await.unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    for args in [
        vec!["--bogus"],
        vec!["--postgres", "sometimes"],
        vec!["--listen", "here"],
    ] {
        let out = Command::new(BIN).args(&args).output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["--listen", &addr])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}

#[tokio::test]
async fn serves_cloudflare_with_the_token_given() {
    let token = "cf_binary_token_Lm40Rz";
    let (mut child, _stdout, url) =
        start_binary(&["--listen", "127.0.0.1:0", "--cloudflare-token", token]).await;
    let verify = format!("{url}/client/v4/user/tokens/verify");
    let client = reqwest::Client::new();
    let accepted = client.get(&verify).bearer_auth(token).send().await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert!(accepted.headers().contains_key("cf-ray"));
    let body: serde_json::Value = accepted.json().await.unwrap();
    assert_eq!(body["result"]["status"], "active");
    let refused = client
        .get(&verify)
        .bearer_auth("other")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    child.start_kill().unwrap();
    let _ = child.wait().await;
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("/client/v4/user/tokens/verify"), "{stderr}");
    assert!(
        !stderr.contains(token),
        "the Cloudflare token leaked into the logs"
    );

    let help = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--cloudflare-token"));
    let empty = Command::new(BIN)
        .arg("--cloudflare-token=")
        .output()
        .await
        .unwrap();
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("--cloudflare-token"));
}
