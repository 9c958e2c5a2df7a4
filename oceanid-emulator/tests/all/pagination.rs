//! Cursor pagination over clusters, networks, teams, firewall rules and roles.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, cluster_body, start};

/// Follows `next_cursor` from `first`, returning every item of `field` and the page sizes.
async fn walk(api: &Api, first: &str, field: &str) -> (Vec<Value>, Vec<usize>) {
    let mut items = Vec::new();
    let mut sizes = Vec::new();
    let mut url = first.to_owned();
    let sep = if first.contains('?') { '&' } else { '?' };
    for _ in 0..100 {
        let page = api.get(&url).await;
        let page = page.expect(200).clone();
        let batch = page[field].as_array().unwrap().clone();
        sizes.push(batch.len());
        items.extend(batch);
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page["has_more"], true);
                url = format!("{first}{sep}cursor={cursor}");
            }
            None => {
                assert_eq!(page["has_more"], false);
                return (items, sizes);
            }
        }
    }
    panic!("pagination never ended");
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            i["id"]
                .as_str()
                .unwrap_or_else(|| i["name"].as_str().unwrap())
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn clusters_and_networks_over_many_pages() {
    let env = start().await;
    let mut created = BTreeSet::new();
    for i in 0..250 {
        let cluster = env
            .api
            .create_cluster(&cluster_body(&env, &format!("cluster-{i:03}")))
            .await;
        created.insert(cluster["id"].as_str().unwrap().to_owned());
    }
    let (items, sizes) = walk(&env.api, "/clusters", "clusters").await;
    assert_eq!(sizes, [100, 100, 51]);
    let seen: Vec<String> = ids(&items);
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), 251);
    assert!(created.is_subset(&unique));
    let names: Vec<&str> = items.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "ordered by name by default");

    let (desc, sizes) = walk(
        &env.api,
        "/clusters?limit=200&order=desc&order_field=id",
        "clusters",
    )
    .await;
    assert_eq!(sizes, [200, 51]);
    let desc_ids = ids(&desc);
    let mut expected = desc_ids.clone();
    expected.sort();
    expected.reverse();
    assert_eq!(desc_ids, expected);

    let (networks, sizes) = walk(&env.api, "/networks?limit=60", "networks").await;
    assert_eq!(networks.len(), 251);
    assert_eq!(sizes, [60, 60, 60, 60, 11]);

    for bad in [
        "limit=0",
        "limit=201",
        "limit=ten",
        "order=sideways",
        "order_field=plan",
        "cursor=%%%",
    ] {
        env.api.get(&format!("/clusters?{bad}")).await.expect(400);
    }
    // A cursor is tied to its order_field.
    let page = env.api.get("/clusters?limit=1").await;
    let cursor = page.json["next_cursor"].as_str().unwrap().to_owned();
    env.api
        .get(&format!("/clusters?limit=1&order_field=id&cursor={cursor}"))
        .await
        .expect(400);
}

#[tokio::test]
async fn teams_rules_and_roles_page_too() {
    let env = start().await;
    let (teams, sizes) = walk(&env.api, "/teams?limit=1", "teams").await;
    assert_eq!(teams.len(), 2);
    assert_eq!(sizes, [1, 1]);

    let network = env.emu.seed().network_id;
    let rules = format!("/networks/{network}/firewall-rules");
    for i in 0..5 {
        env.api
            .post(
                &rules,
                &json!({"rule": format!("198.51.{i}.0/24"), "kind": "egress"}),
            )
            .await
            .expect(201);
    }
    let (all, sizes) = walk(&env.api, &format!("{rules}?limit=2"), "firewall_rules").await;
    assert_eq!(all.len(), 7);
    assert_eq!(sizes, [2, 2, 2, 1]);
    let (by_rule, _) = walk(
        &env.api,
        &format!("{rules}?limit=3&order_field=rule"),
        "firewall_rules",
    )
    .await;
    let listed: Vec<&str> = by_rule
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    let everything = env.api.get(&rules).await;
    assert_eq!(
        everything.json["firewall_rules"].as_array().unwrap().len(),
        7
    );
    assert_eq!(everything.json["has_more"], false);

    let cluster = env.emu.seed().cluster_id;
    env.api
        .call(Method::POST, &format!("/clusters/{cluster}/roles"))
        .send()
        .await
        .expect(201);
    let (roles, sizes) = walk(
        &env.api,
        &format!("/clusters/{cluster}/roles?limit=1"),
        "roles",
    )
    .await;
    assert_eq!(sizes, [1, 1, 1]);
    assert_eq!(roles.len(), 3);
    env.api
        .get(&format!("/clusters/{cluster}/roles?limit=500"))
        .await
        .expect(400);
}
