//! The admin routes: state, reset, settings; and the seed.

use reqwest::Method;
use serde_json::json;

use crate::harness::{cluster_body, start};

#[tokio::test]
async fn state_shows_every_object() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    let state = env.api.get("/__emulator/state").await;
    let state = state.expect(200).clone();
    assert_eq!(state["account"]["id"], seed.account_id);
    assert_eq!(state["teams"].as_array().unwrap().len(), 2);
    assert_eq!(state["networks"][0]["id"], seed.network_id);
    assert_eq!(state["firewall_rules"].as_array().unwrap().len(), 2);
    assert_eq!(state["clusters"][0]["id"], seed.cluster_id);
    assert_eq!(state["clusters"][0]["state"], "ready");
    let roles = state["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 2);
    assert!(roles.iter().all(|r| r["password"].is_string()));
    assert_eq!(state["idempotency_keys"], 0);
    assert!(state["faults"].as_array().unwrap().is_empty());
    assert_eq!(state["seed"]["cluster_id"], seed.cluster_id);
    assert_eq!(state["postgres_mode"], "none");
    // The library call is the same thing.
    assert_eq!(env.emu.state()["clusters"], state["clusters"]);
}

#[tokio::test]
async fn reset_returns_to_the_seed() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    let before = env.emu.state();
    let cluster = env
        .api
        .create_cluster(&cluster_body(&env, "temporary"))
        .await;
    env.api
        .delete(&format!(
            "/networks/{}/firewall-rules/{}",
            seed.network_id, seed.allow_all_rule_ids[0]
        ))
        .await
        .expect(200);
    env.api
        .patch(
            &format!("/clusters/{}", seed.cluster_id),
            &json!({"name": "changed"}),
        )
        .await
        .expect(200);
    env.api
        .call(
            Method::POST,
            &format!("/clusters/{}/roles", seed.cluster_id),
        )
        .send()
        .await
        .expect(201);
    env.api
        .post(
            "/__emulator/faults",
            &json!({"path": "/nothing", "status": 500}),
        )
        .await
        .expect(201);
    env.api
        .call(Method::POST, "/clusters")
        .json(&cluster_body(&env, "keyed"))
        .idempotency_key("k1")
        .send()
        .await
        .expect(201);

    let reset = env.api.call(Method::POST, "/__emulator/reset").send().await;
    assert_eq!(reset.expect(200)["reset"], true);
    let after = env.emu.state();
    assert_eq!(after["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(after["clusters"][0]["name"], seed.cluster_name);
    assert_eq!(after["firewall_rules"], before["firewall_rules"]);
    assert_eq!(after["networks"], before["networks"]);
    assert_eq!(after["teams"], before["teams"]);
    assert_eq!(after["roles"].as_array().unwrap().len(), 2);
    assert_ne!(
        after["roles"][0]["password"], before["roles"][0]["password"],
        "new passwords"
    );
    assert!(after["faults"].as_array().unwrap().is_empty());
    assert_eq!(after["idempotency_keys"], 0);
    env.api
        .get(&format!("/clusters/{}", cluster["id"].as_str().unwrap()))
        .await
        .expect(404);
    env.api
        .get(&format!("/clusters/{}", seed.cluster_id))
        .await
        .expect(200);
}

#[tokio::test]
async fn seeds_are_the_same_everywhere() {
    let a = start().await;
    let b = start().await;
    assert_eq!(a.emu.seed(), b.emu.seed());
    assert_eq!(a.emu.seed(), &oceanid_emulator::Seed::new());
    assert_ne!(a.emu.base_url(), b.emu.base_url());
    for id in [
        a.emu.seed().cluster_id,
        a.emu.seed().network_id,
        a.emu.seed().team_id,
        a.emu.seed().account_id,
    ] {
        assert!(oceanid_emulator::is_eid(id), "{id}");
    }
    let settings = a
        .api
        .post("/__emulator/settings", &json!({"provision_delay_ms": 5}))
        .await;
    assert_eq!(settings.expect(200)["provision_delay_ms"], 5);
    a.api
        .post(
            "/__emulator/settings",
            &json!({"provision_delay_ms": 99999999}),
        )
        .await
        .expect(400);
    a.emu.shutdown().await;
    b.emu.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let env = start().await;
    let base = env.emu.base_url().to_owned();
    env.api.get("/account").await.expect(200);
    env.emu.shutdown().await;
    let err = reqwest::Client::new()
        .get(format!("{base}/account"))
        .send()
        .await;
    assert!(err.is_err());
}
