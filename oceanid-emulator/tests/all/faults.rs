//! Injected faults: statuses with Retry-After, 5xx, HTML bodies, latency, rate and count, and
//! commit-then-drop (a transport error after the request was applied).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::harness::{start, uuid};

#[tokio::test]
async fn status_faults_with_retry_after_and_count() {
    let env = start().await;
    let fault = env
        .api
        .post("/__emulator/faults", &json!({"method": "GET", "path": "/account", "status": 429, "retry_after": 2, "count": 2}))
        .await;
    let fault = fault.expect(201).clone();
    assert!(fault["id"].is_u64());
    for _ in 0..2 {
        let limited = env.api.get("/account").await;
        limited.expect(429);
        assert_eq!(limited.header("retry-after"), Some("2"));
        assert_eq!(limited.json["is_transient"], true);
    }
    env.api.get("/account").await.expect(200);
    assert!(
        env.api.get("/__emulator/faults").await.json["faults"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    for status in [500, 503] {
        env.api
            .post(
                "/__emulator/faults",
                &json!({"path": "/clusters/*", "status": status, "count": 1}),
            )
            .await
            .expect(201);
        let failed = env
            .api
            .get(&format!("/clusters/{}", env.emu.seed().cluster_id))
            .await;
        failed.expect(status);
        assert_eq!(failed.json["code"], "transient_server_error");
        assert_eq!(failed.json["is_transient"], true);
    }
    // A fault on one method or path leaves the others alone; `*` is one segment.
    env.api
        .post(
            "/__emulator/faults",
            &json!({"method": "POST", "path": "/networks/*/firewall-rules", "status": 503}),
        )
        .await
        .expect(201);
    env.api
        .get(&format!(
            "/networks/{}/firewall-rules",
            env.emu.seed().network_id
        ))
        .await
        .expect(200);
    env.api
        .post(
            &format!("/networks/{}/firewall-rules", env.emu.seed().network_id),
            &json!({"rule": "10.0.0.0/8", "kind": "egress"}),
        )
        .await
        .expect(503);
    env.api.get("/account").await.expect(200);
    // A failed request changed nothing.
    assert_eq!(
        env.emu.state()["firewall_rules"].as_array().unwrap().len(),
        2
    );

    let listed = env.api.get("/__emulator/faults").await;
    assert_eq!(listed.expect(200)["faults"].as_array().unwrap().len(), 1);
    env.api.delete("/__emulator/faults").await.expect(200);
    assert!(
        env.api.get("/__emulator/faults").await.json["faults"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn html_bodies_rates_and_removal() {
    let env = start().await;
    env.api
        .post("/__emulator/faults", &json!({"path": "/teams", "status": 502, "body": "<html>502 Bad Gateway</html>", "count": 1}))
        .await
        .expect(201);
    let page = env.api.call(Method::GET, "/teams").unchecked().send().await;
    page.expect(502);
    assert_eq!(page.text, "<html>502 Bad Gateway</html>");
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.header("x-request-id").is_some());

    // rate 0 never fires; rate 0.5 fires sometimes.
    let never = env
        .api
        .post(
            "/__emulator/faults",
            &json!({"path": "/account", "status": 500, "rate": 0.0}),
        )
        .await;
    let never_id = never.json["id"].as_u64().unwrap();
    for _ in 0..20 {
        env.api.get("/account").await.expect(200);
    }
    env.api
        .delete(&format!("/__emulator/faults/{never_id}"))
        .await
        .expect(200);
    env.api
        .delete(&format!("/__emulator/faults/{never_id}"))
        .await
        .expect(404);
    env.api
        .post(
            "/__emulator/faults",
            &json!({"path": "/networks", "status": 503, "rate": 0.5}),
        )
        .await
        .expect(201);
    let mut failures = 0;
    for _ in 0..100 {
        if env.api.get("/networks").await.status == 503 {
            failures += 1;
        }
    }
    assert!((10..=90).contains(&failures), "{failures} of 100");

    for bad in [
        json!({"status": 200}),
        json!({"rate": 1.5, "status": 500}),
        json!({}),
        json!({"status": 500, "drop_after_commit": true}),
        json!({"path": "networks", "status": 500}),
        json!({"status": 500, "colour": "red"}),
        json!({"body": "<html/>"}),
    ] {
        env.api.post("/__emulator/faults", &bad).await.expect(400);
    }
}

#[tokio::test]
async fn latency_is_added() {
    let env = start().await;
    env.api
        .post(
            "/__emulator/faults",
            &json!({"method": "GET", "path": "/account", "latency_ms": 200, "count": 1}),
        )
        .await
        .expect(201);
    let started = Instant::now();
    env.api.get("/account").await.expect(200);
    assert!(started.elapsed() >= Duration::from_millis(200));
    // `count: 1` is used up: the fault is gone (checked from state, not from a clock).
    let left = env.api.get("/__emulator/faults").await.json["faults"].clone();
    assert_eq!(left, json!([]), "{left}");
    env.api.get("/account").await.expect(200);

    // Past the client's timeout, the client gives up.
    env.api
        .post(
            "/__emulator/faults",
            &json!({"path": "/account", "latency_ms": 1000, "count": 1}),
        )
        .await
        .expect(201);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = impatient
        .get(format!("{}/account", env.emu.base_url()))
        .bearer_auth(env.emu.api_key())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn drop_after_commit_applies_then_disconnects() {
    let env = start().await;
    env.api
        .delete(&format!(
            "/networks/{}/firewall-rules/{}",
            env.emu.seed().network_id,
            env.emu.seed().allow_all_rule_ids[0]
        ))
        .await
        .expect(200);
    env.api
        .post("/__emulator/faults", &json!({"method": "POST", "path": "/networks/*/firewall-rules", "drop_after_commit": true, "count": 1}))
        .await
        .expect(201);
    let path = format!("/networks/{}/firewall-rules", env.emu.seed().network_id);
    let key = uuid();
    let body = json!({"rule": "203.0.113.9/32"});
    let err = env
        .api
        .call(Method::POST, &path)
        .json(&body)
        .idempotency_key(&key)
        .try_send()
        .await
        .expect_err("the connection is dropped without an answer");
    assert!(!err.is_timeout(), "{err}");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );

    // It was applied...
    let rules = env.api.get(&path).await;
    let created: Vec<_> = rules.json["firewall_rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["rule"] == "203.0.113.9/32")
        .cloned()
        .collect();
    assert_eq!(created.len(), 1);
    // ...and the retry with the same key gets the stored answer, not a second rule or a 400.
    let retry = env
        .api
        .call(Method::POST, &path)
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    retry.expect(201);
    assert_eq!(retry.header("idempotency-replay"), Some("true"));
    assert_eq!(retry.json["id"], created[0]["id"]);
    // Without a key the retry is a duplicate.
    env.api.post(&path, &body).await.expect(400);
}
