//! Idempotency-Key: replay, conflicts, transient answers not stored, in-flight 409.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::harness::{Env, cluster_body, start, uuid};

fn rules_path(env: &Env) -> String {
    format!("/networks/{}/firewall-rules", env.emu.seed().network_id)
}

async fn rule_count(env: &Env) -> usize {
    env.api.get(&rules_path(env)).await.json["firewall_rules"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn same_request_replays_the_stored_answer() {
    let env = start().await;
    let key = uuid();
    let body = json!({"rule": "203.0.113.0/24", "kind": "egress"});
    let first = env
        .api
        .call(Method::POST, &rules_path(&env))
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    first.expect(201);
    assert_eq!(first.header("idempotency-replay"), None);
    assert_eq!(first.header("idempotency-key"), Some(key.as_str()));
    let replay = env
        .api
        .call(Method::POST, &rules_path(&env))
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    replay.expect(201);
    assert_eq!(replay.header("idempotency-replay"), Some("true"));
    assert_eq!(replay.json["id"], first.json["id"]);
    assert_ne!(replay.header("x-request-id"), first.header("x-request-id"));
    assert_eq!(rule_count(&env).await, 3);

    // Clusters too: one cluster, however often the create is retried.
    let key = uuid();
    let body = cluster_body(&env, "once");
    let a = env
        .api
        .call(Method::POST, "/clusters")
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    let b = env
        .api
        .call(Method::POST, "/clusters")
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    assert_eq!(a.expect(201)["id"], b.expect(201)["id"]);
    assert_eq!(
        env.api.get("/clusters").await.json["clusters"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // PATCH is covered, and an error answer is stored like any other.
    let key = uuid();
    let path = format!("/networks/{}", env.emu.seed().network_id);
    let bad = env
        .api
        .call(Method::PATCH, &path)
        .json(&json!({"name": ""}))
        .idempotency_key(&key)
        .send()
        .await;
    bad.expect(400);
    let bad_again = env
        .api
        .call(Method::PATCH, &path)
        .json(&json!({"name": ""}))
        .idempotency_key(&key)
        .send()
        .await;
    bad_again.expect(400);
    assert_eq!(bad_again.header("idempotency-replay"), Some("true"));
    assert_eq!(bad_again.message(), bad.message());
    // Keys count in the state.
    assert_eq!(env.emu.state()["idempotency_keys"], 3);
}

#[tokio::test]
async fn same_key_for_another_request_is_409() {
    let env = start().await;
    let key = uuid();
    let path = rules_path(&env);
    env.api
        .call(Method::POST, &path)
        .json(&json!({"rule": "203.0.113.0/24", "kind": "egress"}))
        .idempotency_key(&key)
        .send()
        .await
        .expect(201);
    let other_body = env
        .api
        .call(Method::POST, &path)
        .json(&json!({"rule": "198.51.100.0/24", "kind": "egress"}))
        .idempotency_key(&key)
        .send()
        .await;
    other_body.expect(409);
    assert!(
        other_body.message().contains("different request"),
        "{}",
        other_body.text
    );
    let other_path = env
        .api
        .call(
            Method::PATCH,
            &format!("/networks/{}", env.emu.seed().network_id),
        )
        .json(&json!({"name": "x"}))
        .idempotency_key(&key)
        .send()
        .await;
    other_path.expect(409);
    assert_eq!(rule_count(&env).await, 3);
    // GET ignores the header.
    env.api
        .call(Method::GET, &path)
        .idempotency_key(&key)
        .send()
        .await
        .expect(200);
    // An unusable key is refused.
    let long = "k".repeat(300);
    env.api
        .call(Method::POST, &path)
        .json(&json!({"rule": "192.0.2.0/24", "kind": "egress"}))
        .idempotency_key(&long)
        .send()
        .await
        .expect(400);
}

#[tokio::test]
async fn transient_answers_are_not_stored() {
    let env = start().await;
    for status in [429, 500, 503] {
        env.api
            .post("/__emulator/faults", &json!({"method": "POST", "path": "/networks/*/firewall-rules", "status": status, "count": 1}))
            .await
            .expect(201);
        let key = uuid();
        let body = json!({"rule": format!("198.51.{}.0/24", status % 250), "kind": "egress"});
        let failed = env
            .api
            .call(Method::POST, &rules_path(&env))
            .json(&body)
            .idempotency_key(&key)
            .send()
            .await;
        failed.expect(status);
        let retried = env
            .api
            .call(Method::POST, &rules_path(&env))
            .json(&body)
            .idempotency_key(&key)
            .send()
            .await;
        retried.expect(201);
        assert_eq!(retried.header("idempotency-replay"), None);
    }
    assert_eq!(rule_count(&env).await, 5);
}

#[tokio::test]
async fn a_key_still_running_is_409() {
    let env = start().await;
    env.api
        .post("/__emulator/faults", &json!({"method": "POST", "path": "/networks/*/firewall-rules", "latency_ms": 1000, "count": 1}))
        .await
        .expect(201);
    let key = uuid();
    let body = json!({"rule": "203.0.113.0/24", "kind": "egress"});
    let slow = {
        let api = env.api.clone();
        let path = rules_path(&env);
        let body = body.clone();
        let key = key.clone();
        tokio::spawn(async move {
            api.call(Method::POST, &path)
                .json(&body)
                .idempotency_key(&key)
                .send()
                .await
        })
    };
    // Wait until the first request holds its key.
    for _ in 0..100 {
        if env.emu.state()["idempotency_keys"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(env.emu.state()["idempotency_keys"], 1);
    let busy = env
        .api
        .call(Method::POST, &rules_path(&env))
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    busy.expect(409);
    assert!(
        busy.message().contains("still being processed"),
        "{}",
        busy.text
    );
    let first = slow.await.unwrap();
    first.expect(201);
    let replay = env
        .api
        .call(Method::POST, &rules_path(&env))
        .json(&body)
        .idempotency_key(&key)
        .send()
        .await;
    assert_eq!(replay.expect(201)["id"], first.json["id"]);
    assert_eq!(rule_count(&env).await, 3);
}
