//! Cluster upgrades: plan, storage and major version changes as ongoing operations.

use reqwest::Method;
use serde_json::json;

use crate::harness::{cluster_body, start};

#[tokio::test]
async fn resize_and_major_version_upgrade() {
    let env = start().await;
    let mut body = cluster_body(&env, "to-upgrade");
    body["postgres_version_id"] = json!(15);
    env.api.slow_down().await;
    let cluster = env.api.create_cluster(&body).await;
    let id = cluster["id"].as_str().unwrap().to_owned();
    let path = format!("/clusters/{id}/upgrade");
    // Not while creating.
    env.api
        .post(&path, &json!({"storage": 20}))
        .await
        .expect(400);
    env.api.finish_pending(&id).await;
    env.api.wait_for_state(&id, "ready").await;
    env.api.slow_down().await;

    let empty = env.api.get(&path).await;
    let empty = empty.expect(200);
    assert_eq!(empty["cluster_id"], id.as_str());
    assert!(empty["operations"].as_array().unwrap().is_empty());

    let started = env
        .api
        .post(&path, &json!({"plan_id": "standard-8", "storage": 20}))
        .await;
    let started = started.expect(201);
    assert_eq!(started["operations"][0]["flavor"], "resize");
    assert_eq!(started["operations"][0]["state"], "in_progress");
    let during = env.api.get(&format!("/clusters/{id}")).await;
    assert_eq!(during.json["ongoing_operations"][0]["flavor"], "resize");
    assert_eq!(during.json["plan_id"], "hobby-2");
    let status = env.api.get(&format!("/clusters/{id}/status")).await;
    assert_eq!(
        status.json["ongoing_upgrade"]["operations"][0]["flavor"],
        "resize"
    );
    // One upgrade at a time.
    let second = env.api.post(&path, &json!({"storage": 30})).await;
    second.expect(400);
    assert!(second.message().contains("in progress"), "{}", second.text);
    env.api.finish_pending(&id).await;
    env.api.wait_for_operations(&id).await;
    let after = env.api.get(&format!("/clusters/{id}")).await;
    assert_eq!(after.json["plan_id"], "standard-8");
    assert_eq!(after.json["storage"], 20);
    assert_eq!(after.json["memory"], 8.0);

    let major = env
        .api
        .post(&path, &json!({"postgres_version_id": 17}))
        .await;
    assert_eq!(
        major.expect(201)["operations"][0]["flavor"],
        "major_version_upgrade"
    );
    env.api.wait_for_operations(&id).await;
    let after = env.api.get(&format!("/clusters/{id}")).await;
    assert_eq!(after.json["major_version"], 17);
    let v17 = env.api.get("/postgres-versions/17").await;
    assert_eq!(after.json["postgres_version_id"], v17.json["id"]);

    // Refusals.
    for body in [
        json!({"storage": 10}),
        json!({"postgres_version_id": 16}),
        json!({"plan_id": "nope"}),
        json!({"postgres_version_id": 99}),
        json!({"starting_from": "tomorrow"}),
        json!({"cpu": 4}),
    ] {
        env.api.post(&path, &body).await.expect(400);
    }
    env.api
        .post("/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/upgrade", &json!({}))
        .await
        .expect(404);
    env.api
        .get("/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/upgrade")
        .await
        .expect(404);
}

#[tokio::test]
async fn change_and_cancel_an_upgrade() {
    let env = start().await;
    let id = env.emu.seed().cluster_id;
    let path = format!("/clusters/{id}/upgrade");
    // PUT without an upgrade in progress.
    env.api
        .put(&path, &json!({"storage": 40}))
        .await
        .expect(400);
    env.api
        .post(
            "/__emulator/settings",
            &json!({"provision_delay_ms": 60000}),
        )
        .await
        .expect(200);
    let maintenance = env.api.call(Method::POST, &path).send().await;
    assert_eq!(
        maintenance.expect(201)["operations"][0]["flavor"],
        "maintenance"
    );
    let changed = env
        .api
        .put(
            &path,
            &json!({"storage": 40, "starting_from": "2030-01-01T00:00:00Z"}),
        )
        .await;
    let changed = changed.expect(201);
    assert_eq!(changed["operations"][0]["flavor"], "resize");
    assert_eq!(
        changed["operations"][0]["starting_from"],
        "2030-01-01T00:00:00Z"
    );
    env.api
        .put(&path, &json!({"starting_from": "2030-01-01T00:00:00Z", "use_cluster_maintenance_window": true}))
        .await
        .expect(400);
    let cancelled = env.api.delete(&path).await;
    assert!(
        cancelled.expect(200)["operations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let cluster = env.api.get(&format!("/clusters/{id}")).await;
    assert_eq!(cluster.json["storage"], 10);
    assert!(
        cluster.json["ongoing_operations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
