//! Clusters: create (and its network), provisioning, get, update, delete (protected, 404/410),
//! status, HA, and the admin ways to make a cluster never ready or fail.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::harness::{cluster_body, start};

#[tokio::test]
async fn create_provisions_then_ready() {
    let env = start().await;
    let cluster = env.api.create_cluster(&cluster_body(&env, "app-db")).await;
    assert_eq!(cluster["state"], "creating");
    assert_eq!(cluster["plan_id"], "hobby-2");
    assert_eq!(cluster["major_version"], 17);
    let id = cluster["id"].as_str().unwrap().to_owned();
    assert!(oceanid_emulator::is_eid(&id));
    assert_eq!(cluster["host"], format!("p.{id}.db.postgresbridge.com"));

    // A new network with the allow-all rules.
    let network_id = cluster["network_id"].as_str().unwrap();
    let rules = env
        .api
        .get(&format!("/networks/{network_id}/firewall-rules"))
        .await;
    let mut rules: Vec<String> = rules.expect(200)["firewall_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect();
    rules.sort();
    assert_eq!(rules, ["0.0.0.0/0", "::/0"]);

    let ready = env.api.wait_for_state(&id, "ready").await;
    assert_eq!(ready["id"], id.as_str());
    let status = env.api.get(&format!("/clusters/{id}/status")).await;
    let status = status.expect(200);
    assert_eq!(status["state"], "ready");
    assert!(status["ongoing_upgrade"].is_null());
    assert!(status["disk_usage"]["disk_total_size_mb"].as_u64().unwrap() > 0);
    let listed = env.api.get("/clusters").await;
    assert_eq!(listed.expect(200)["clusters"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn create_on_networks() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    // On the seed network.
    let mut body = json!({
        "name": "on-seed-network", "plan_id": "standard-8", "team_id": seed.team_id,
        "network_id": seed.network_id, "is_ha": true, "storage": 50,
        "postgres_version_id": 16, "maintenance_window_start": 3, "environment": "production",
    });
    let cluster = env.api.create_cluster(&body).await;
    assert_eq!(cluster["network_id"], seed.network_id);
    assert_eq!(cluster["region_id"], seed.region_id);
    assert_eq!(cluster["major_version"], 16);
    assert_eq!(cluster["is_ha"], true);
    assert_eq!(cluster["storage"], 50);
    assert_eq!(cluster["vcpu"], 2.0);
    assert_eq!(cluster["memory"], 8.0);
    assert_eq!(cluster["maintenance_window_start"], 3);
    assert_eq!(cluster["environment"], "production");
    // network_id excludes provider_id, network_cidr4 and firewall_mode.
    body["provider_id"] = json!("aws");
    env.api.post("/clusters", &body).await.expect(400);
    body["provider_id"] = json!(null);
    body["network_cidr4"] = json!("10.8.0.0/20");
    env.api.post("/clusters", &body).await.expect(400);

    // A new network with a chosen range, and one that denies all.
    let mut body = cluster_body(&env, "custom-range");
    body["network_cidr4"] = json!("192.168.0.0/20");
    let cluster = env.api.create_cluster(&body).await;
    let network = env
        .api
        .get(&format!(
            "/networks/{}",
            cluster["network_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(network.expect(200)["cidr4"], "192.168.0.0/20");
    let mut body = cluster_body(&env, "deny-all");
    body["firewall_mode"] = json!("deny_all");
    let cluster = env.api.create_cluster(&body).await;
    let rules = env
        .api
        .get(&format!(
            "/networks/{}/firewall-rules",
            cluster["network_id"].as_str().unwrap()
        ))
        .await;
    assert!(
        rules.expect(200)["firewall_rules"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // By version id.
    let v16 = env.api.get("/postgres-versions/16").await.json["id"].clone();
    let mut body = cluster_body(&env, "by-version-id");
    body["postgres_version_id"] = v16;
    assert_eq!(env.api.create_cluster(&body).await["major_version"], 16);
}

#[tokio::test]
async fn the_catalog_is_bridges_aws_gcp_and_azure() {
    let env = start().await;
    // The operators' database lives in AWS us-east-2.
    for (provider, region) in [
        ("aws", "us-east-2"),
        ("gcp", "us-central1"),
        ("azure", "eastus"),
    ] {
        let mut body = cluster_body(&env, &format!("in-{region}"));
        body["provider_id"] = json!(provider);
        body["region_id"] = json!(region);
        let cluster = env.api.create_cluster(&body).await;
        assert_eq!(
            (
                cluster["provider_id"].as_str(),
                cluster["region_id"].as_str()
            ),
            (Some(provider), Some(region))
        );
    }
    // An unknown region is refused with the provider's regions listed.
    let mut body = cluster_body(&env, "nowhere");
    body["region_id"] = json!("us-nowhere-9");
    let answer = env.api.post("/clusters", &body).await;
    answer.expect(400);
    let message = answer.message();
    assert!(message.contains("\"us-nowhere-9\""), "{message}");
    assert!(
        message.contains("us-east-1, us-east-2, us-west-1"),
        "{message}"
    );
}

#[tokio::test]
async fn create_rejects_bad_requests() {
    let env = start().await;
    let cases = [
        (json!({"plan_id": "nope"}), "plan_id"),
        (json!({"provider_id": null}), "provider_id"),
        (json!({"provider_id": "oracle"}), "provider_id"),
        (json!({"region_id": "mars-1"}), "region_id"),
        (json!({"is_ha": true}), "hobby"),
        (json!({"postgres_version_id": 9}), "postgres_version_id"),
        (
            json!({"postgres_version_id": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}),
            "postgres_version_id",
        ),
        (json!({"team_id": "aaaaaaaaaaaaaaaaaaaaaaaaaa"}), "team_id"),
        (json!({"storage": 5}), "storage"),
        (
            json!({"maintenance_window_start": 24}),
            "maintenance_window_start",
        ),
        (json!({"network_cidr4": "8.8.0.0/20"}), "network_cidr4"),
        (json!({"network_cidr4": "10.0.0.0/24"}), "network_cidr4"),
        (json!({"network_cidr4": "10.0.0.1/20"}), "host bits"),
        (
            json!({"network_cidr4": "10.0.0.0/20", "firewall_mode": "deny_all"}),
            "together",
        ),
        (json!({"firewall_mode": "open"}), "firewall_mode"),
        (json!({"environment": "staging"}), "environment"),
        (json!({"name": ""}), "name"),
        (json!({"unknown_field": 1}), "unknown_field"),
        (json!({"storage": "ten"}), "storage"),
    ];
    for (change, needle) in cases {
        let mut body = cluster_body(&env, "bad");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let answer = env.api.post("/clusters", &body).await;
        answer.expect(400);
        assert!(
            answer.message().contains(needle),
            "{change}: {}",
            answer.text
        );
    }
    assert_eq!(
        env.api.get("/clusters").await.json["clusters"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn update_get_and_list() {
    let env = start().await;
    let id = env.emu.seed().cluster_id;
    let path = format!("/clusters/{id}");
    let updated = env
        .api
        .patch(&path, &json!({"name": "renamed", "is_protected": true, "maintenance_window_start": 5, "environment": "production"}))
        .await;
    let updated = updated.expect(200);
    assert_eq!(updated["name"], "renamed");
    assert_eq!(updated["is_protected"], true);
    assert_eq!(updated["maintenance_window_start"], 5);
    assert_eq!(updated["environment"], "production");
    let cleared = env
        .api
        .patch(
            &path,
            &json!({"maintenance_window_start": -1, "environment": ""}),
        )
        .await;
    let cleared = cleared.expect(200);
    assert!(cleared["maintenance_window_start"].is_null());
    assert!(cleared["environment"].is_null());
    assert_eq!(cleared["name"], "renamed");
    // An empty body changes nothing.
    env.api.call(Method::PATCH, &path).send().await.expect(200);
    env.api
        .patch(&path, &json!({"plan_id": "standard-8"}))
        .await
        .expect(400);
    env.api
        .patch(&path, &json!({"maintenance_window_start": 24}))
        .await
        .expect(400);
    env.api
        .patch(
            "/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa",
            &json!({"name": "x"}),
        )
        .await
        .expect(404);
    assert_eq!(env.api.get(&path).await.expect(200)["name"], "renamed");

    let other = env.api.create_cluster(&cluster_body(&env, "another")).await;
    let by_name = env.api.get("/clusters?order_field=name").await;
    let names: Vec<&str> = by_name.json["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["another", "renamed"]);
    let desc = env.api.get("/clusters?order=desc").await;
    assert_eq!(desc.json["clusters"][0]["name"], "renamed");
    let by_team = env
        .api
        .get(&format!(
            "/clusters?team_id={}",
            env.emu.seed().personal_team_id
        ))
        .await;
    assert!(
        by_team.expect(200)["clusters"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(other["team_id"], env.emu.seed().team_id);
}

#[tokio::test]
async fn delete_honours_protection_and_answers_404_then_410() {
    let env = start().await;
    let never = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    env.api
        .delete(&format!("/clusters/{never}"))
        .await
        .expect(404);
    env.api.get(&format!("/clusters/{never}")).await.expect(404);

    let cluster = env.api.create_cluster(&cluster_body(&env, "doomed")).await;
    let id = cluster["id"].as_str().unwrap();
    let path = format!("/clusters/{id}");
    env.api
        .patch(&path, &json!({"is_protected": true}))
        .await
        .expect(200);
    let refused = env.api.delete(&path).await;
    refused.expect(400);
    assert!(refused.message().contains("protected"), "{}", refused.text);
    env.api.get(&path).await.expect(200);

    env.api
        .patch(&path, &json!({"is_protected": false}))
        .await
        .expect(200);
    let deleted = env.api.delete(&path).await;
    assert_eq!(deleted.expect(200)["id"], id);
    assert_eq!(deleted.json["state"], "destroying");
    env.api.get(&path).await.expect(404);
    env.api.get(&format!("{path}/status")).await.expect(404);
    env.api.get(&format!("{path}/roles")).await.expect(404);
    let again = env.api.delete(&path).await;
    again.expect(410);
    assert!(
        again.message().contains("already deleted"),
        "{}",
        again.text
    );
    // The network stays.
    env.api
        .get(&format!(
            "/networks/{}",
            cluster["network_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
}

#[tokio::test]
async fn never_ready_and_failing_clusters() {
    let env = start().await;
    let stuck = env
        .api
        .create_cluster(&cluster_body(&env, "db-never-ready"))
        .await;
    let failing = env
        .api
        .create_cluster(&cluster_body(&env, "db-creation-failed"))
        .await;
    let stuck_id = stuck["id"].as_str().unwrap();
    let failing_id = failing["id"].as_str().unwrap();
    env.api.wait_for_state(failing_id, "creation_failed").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        env.api
            .get(&format!("/clusters/{stuck_id}/status"))
            .await
            .json["state"],
        "creating"
    );

    // The admin route decides instead.
    let admin = format!("/__emulator/clusters/{stuck_id}/state");
    env.api
        .post(&admin, &json!({"state": "ready"}))
        .await
        .expect(200);
    env.api.wait_for_state(stuck_id, "ready").await;
    env.api
        .post(&admin, &json!({"state": "failed"}))
        .await
        .expect(200);
    assert_eq!(
        env.api.get(&format!("/clusters/{stuck_id}")).await.json["state"],
        "failed"
    );
    env.api
        .post(&admin, &json!({"state": "bogus"}))
        .await
        .expect(400);
    env.api.post(&admin, &json!({})).await.expect(400);
    env.api
        .post(
            "/__emulator/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/state",
            &json!({"state": "ready"}),
        )
        .await
        .expect(404);

    // Holding a new cluster keeps it creating until released.
    env.api
        .post("/__emulator/settings", &json!({"provision_delay_ms": 2000}))
        .await
        .expect(200);
    let held = env.api.create_cluster(&cluster_body(&env, "held")).await;
    let held_id = held["id"].as_str().unwrap();
    env.api
        .post(
            &format!("/__emulator/clusters/{held_id}/state"),
            &json!({"hold": true}),
        )
        .await
        .expect(200);
    env.api
        .post("/__emulator/settings", &json!({"provision_delay_ms": 0}))
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        env.api.get(&format!("/clusters/{held_id}")).await.json["state"],
        "creating"
    );
    env.api
        .post(
            &format!("/__emulator/clusters/{held_id}/state"),
            &json!({"hold": false}),
        )
        .await
        .expect(200);
    env.api.wait_for_state(held_id, "ready").await;
}

#[tokio::test]
async fn high_availability() {
    let env = start().await;
    let seed_id = env.emu.seed().cluster_id;
    let hobby = env
        .api
        .put(
            &format!("/clusters/{seed_id}/actions/enable-ha"),
            &json!(null),
        )
        .await;
    hobby.expect(400);
    assert!(hobby.message().contains("hobby"), "{}", hobby.text);
    env.api
        .put(
            "/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/actions/enable-ha",
            &json!(null),
        )
        .await
        .expect(404);

    let mut body = cluster_body(&env, "ha");
    body["plan_id"] = json!("standard-8");
    env.api.slow_down().await;
    let cluster = env.api.create_cluster(&body).await;
    let id = cluster["id"].as_str().unwrap();
    let enable = format!("/clusters/{id}/actions/enable-ha");
    let disable = format!("/clusters/{id}/actions/disable-ha");
    env.api.call(Method::PUT, &enable).send().await.expect(400);
    env.api.finish_pending(id).await;
    env.api.wait_for_state(id, "ready").await;

    env.api.slow_down().await;
    let op = env.api.call(Method::PUT, &enable).send().await;
    let op = op.expect(200);
    assert_eq!(op["flavor"], "ha_change");
    assert_eq!(op["state"], "enabling_ha");
    let during = env.api.get(&format!("/clusters/{id}")).await;
    assert_eq!(during.json["ongoing_operations"][0]["state"], "enabling_ha");
    assert_eq!(during.json["is_ha"], false);
    // Asking again while it runs answers the same operation.
    let again = env.api.call(Method::PUT, &enable).send().await;
    assert_eq!(again.expect(200)["state"], "enabling_ha");
    env.api.call(Method::PUT, &disable).send().await.expect(400);
    env.api.finish_pending(id).await;
    env.api.wait_for_operations(id).await;
    assert_eq!(
        env.api.get(&format!("/clusters/{id}")).await.json["is_ha"],
        true
    );

    let off = env
        .api
        .call(Method::PUT, &format!("/clusters/{id}/actions/disable-ha"))
        .send()
        .await;
    assert_eq!(off.expect(200)["state"], "disabling_ha");
    env.api.wait_for_operations(id).await;
    assert_eq!(
        env.api.get(&format!("/clusters/{id}")).await.json["is_ha"],
        false
    );
    let noop = env
        .api
        .call(Method::PUT, &format!("/clusters/{id}/actions/disable-ha"))
        .send()
        .await;
    assert_eq!(noop.expect(200)["state"], "ready");
}
