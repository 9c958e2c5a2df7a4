//! Firewall rules: create, overlap and CIDR checks, get, update, delete (404/410).

use reqwest::Method;
use serde_json::json;

use crate::harness::{Env, start};

fn rules_path(env: &Env) -> String {
    format!("/networks/{}/firewall-rules", env.emu.seed().network_id)
}

/// Deletes the seeded IPv4 allow-all rule.
async fn drop_allow_all_v4(env: &Env) {
    let id = env.emu.seed().allow_all_rule_ids[0];
    env.api
        .delete(&format!("{}/{id}", rules_path(env)))
        .await
        .expect(200);
}

#[tokio::test]
async fn allow_all_blocks_other_rules() {
    let env = start().await;
    let path = rules_path(&env);
    let seeded = env.api.get(&path).await;
    let seeded = seeded.expect(200)["firewall_rules"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(seeded.len(), 2);
    let v4 = seeded.iter().find(|r| r["rule"] == "0.0.0.0/0").unwrap();
    assert_eq!(v4["id"], env.emu.seed().allow_all_rule_ids[0]);
    assert_eq!(v4["kind"], "ingress");
    assert!(
        seeded
            .iter()
            .any(|r| r["rule"] == "::/0" && r["id"] == env.emu.seed().allow_all_rule_ids[1])
    );

    let blocked = env
        .api
        .post(&path, &json!({"rule": "203.0.113.7/32"}))
        .await;
    blocked.expect(400);
    assert!(blocked.message().contains("allow-all"), "{}", blocked.text);
    assert!(blocked.message().contains("0.0.0.0/0"), "{}", blocked.text);
    let blocked6 = env.api.post(&path, &json!({"rule": "2001:db8::/64"})).await;
    blocked6.expect(400);
    assert!(blocked6.message().contains("::/0"), "{}", blocked6.text);
    // Egress rules are another list.
    env.api
        .post(&path, &json!({"rule": "203.0.113.0/24", "kind": "egress"}))
        .await
        .expect(201);

    drop_allow_all_v4(&env).await;
    let created = env
        .api
        .post(
            &path,
            &json!({"rule": "203.0.113.7/32", "description": "node-1"}),
        )
        .await;
    let created = created.expect(201);
    assert_eq!(created["rule"], "203.0.113.7/32");
    assert_eq!(created["kind"], "ingress");
    assert_eq!(created["description"], "node-1");
    assert_eq!(created["network_id"], env.emu.seed().network_id);
    assert_eq!(created["team_id"], env.emu.seed().team_id);
}

#[tokio::test]
async fn overlaps_duplicates_and_bad_cidrs_are_400() {
    let env = start().await;
    let path = rules_path(&env);
    drop_allow_all_v4(&env).await;
    env.api
        .post(&path, &json!({"rule": "10.1.0.0/24"}))
        .await
        .expect(201);
    let duplicate = env.api.post(&path, &json!({"rule": "10.1.0.0/24"})).await;
    duplicate.expect(400);
    assert!(
        duplicate.message().contains("already exists"),
        "{}",
        duplicate.text
    );
    for overlapping in ["10.1.0.128/25", "10.1.0.0/16", "10.1.0.9/32"] {
        let answer = env.api.post(&path, &json!({"rule": overlapping})).await;
        answer.expect(400);
        assert!(answer.message().contains("overlaps"), "{}", answer.text);
    }
    env.api
        .post(&path, &json!({"rule": "10.1.1.0/24"}))
        .await
        .expect(201);
    for bad in [
        "not-a-cidr",
        "10.0.0.1/24",
        "10.0.0.0/33",
        "1.2.3.4",
        "",
        "2001:db8::1/64",
    ] {
        let answer = env.api.post(&path, &json!({"rule": bad})).await;
        answer.expect(400);
        assert!(answer.message().contains("rule"), "{bad}: {}", answer.text);
    }
    let host_bits = env.api.post(&path, &json!({"rule": "10.2.0.1/24"})).await;
    assert!(
        host_bits.message().contains("10.2.0.0/24"),
        "{}",
        host_bits.text
    );
    env.api
        .post(&path, &json!({"rule": "10.3.0.0/24", "kind": "sideways"}))
        .await
        .expect(400);
    env.api
        .post(
            &path,
            &json!({"rule": "10.3.0.0/24", "description": "x".repeat(300)}),
        )
        .await
        .expect(400);
    env.api
        .post(
            "/networks/aaaaaaaaaaaaaaaaaaaaaaaaaa/firewall-rules",
            &json!({"rule": "10.3.0.0/24"}),
        )
        .await
        .expect(404);
    // IPv6 in canonical form.
    let path6_rule = env.emu.seed().allow_all_rule_ids[1];
    env.api
        .delete(&format!("{path}/{path6_rule}"))
        .await
        .expect(200);
    let v6 = env
        .api
        .post(&path, &json!({"rule": "2001:DB8:0:0::/64"}))
        .await;
    assert_eq!(v6.expect(201)["rule"], "2001:db8::/64");
}

#[tokio::test]
async fn get_update_delete() {
    let env = start().await;
    let path = rules_path(&env);
    drop_allow_all_v4(&env).await;
    let rule = env
        .api
        .post(
            &path,
            &json!({"rule": "198.51.100.0/24", "description": "office"}),
        )
        .await;
    let id = rule.expect(201)["id"].as_str().unwrap().to_owned();
    let rule_path = format!("{path}/{id}");
    assert_eq!(
        env.api.get(&rule_path).await.expect(200)["rule"],
        "198.51.100.0/24"
    );

    let updated = env
        .api
        .patch(&rule_path, &json!({"rule": "198.51.100.0/25"}))
        .await;
    let updated = updated.expect(200);
    assert_eq!(updated["rule"], "198.51.100.0/25");
    assert_eq!(updated["description"], "office");
    let described = env
        .api
        .patch(&rule_path, &json!({"description": "moved"}))
        .await;
    assert_eq!(described.expect(200)["description"], "moved");
    let cleared = env
        .api
        .patch(&rule_path, &json!({"description": null}))
        .await;
    assert!(cleared.expect(200)["description"].is_null());
    let kind = env.api.patch(&rule_path, &json!({"kind": "egress"})).await;
    kind.expect(400);
    assert!(kind.message().contains("kind"), "{}", kind.text);
    env.api
        .patch(&rule_path, &json!({"rule": "bad"}))
        .await
        .expect(400);
    env.api
        .post(&path, &json!({"rule": "192.0.2.0/24"}))
        .await
        .expect(201);
    env.api
        .patch(&rule_path, &json!({"rule": "192.0.2.0/25"}))
        .await
        .expect(400);
    env.api
        .call(Method::PATCH, &rule_path)
        .send()
        .await
        .expect(200);

    // A rule is found only on its own network.
    let other = env
        .api
        .create_cluster(&crate::harness::cluster_body(&env, "elsewhere"))
        .await;
    let other_network = other["network_id"].as_str().unwrap();
    env.api
        .get(&format!("/networks/{other_network}/firewall-rules/{id}"))
        .await
        .expect(404);

    let deleted = env.api.delete(&rule_path).await;
    assert_eq!(deleted.expect(200)["id"], id.as_str());
    env.api.get(&rule_path).await.expect(404);
    env.api
        .patch(&rule_path, &json!({"description": "x"}))
        .await
        .expect(404);
    let again = env.api.delete(&rule_path).await;
    again.expect(410);
    assert!(
        again.message().contains("already deleted"),
        "{}",
        again.text
    );
    env.api
        .delete(&format!("{path}/aaaaaaaaaaaaaaaaaaaaaaaaaa"))
        .await
        .expect(404);
    // The freed range can be used again.
    env.api
        .post(&path, &json!({"rule": "198.51.100.0/24"}))
        .await
        .expect(201);
}
