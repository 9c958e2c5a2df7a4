//! Networks: list, get, rename.

use serde_json::json;

use crate::harness::{cluster_body, start};

#[tokio::test]
async fn list_get_and_rename() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    let list = env.api.get("/networks").await;
    let list = list.expect(200);
    assert_eq!(list["networks"].as_array().unwrap().len(), 1);
    assert_eq!(list["networks"][0]["id"], seed.network_id);
    assert_eq!(list["networks"][0]["cidr4"], seed.network_cidr4);
    assert_eq!(list["has_more"], false);

    let path = format!("/networks/{}", seed.network_id);
    let network = env.api.get(&path).await;
    assert_eq!(network.expect(200)["provider_id"], "aws");
    let renamed = env.api.patch(&path, &json!({"name": "renamed"})).await;
    assert_eq!(renamed.expect(200)["name"], "renamed");
    assert_eq!(env.api.get(&path).await.json["name"], "renamed");
    // null changes nothing.
    assert_eq!(
        env.api
            .patch(&path, &json!({"name": null}))
            .await
            .expect(200)["name"],
        "renamed"
    );
    env.api.patch(&path, &json!({"name": ""})).await.expect(400);
    env.api
        .patch(&path, &json!({"cidr4": "10.9.0.0/20"}))
        .await
        .expect(400);
    env.api
        .get("/networks/aaaaaaaaaaaaaaaaaaaaaaaaaa")
        .await
        .expect(404);
    env.api
        .patch(
            "/networks/aaaaaaaaaaaaaaaaaaaaaaaaaa",
            &json!({"name": "x"}),
        )
        .await
        .expect(404);

    // A cluster made without a network makes one, filterable by team.
    let cluster = env
        .api
        .create_cluster(&cluster_body(&env, "with-network"))
        .await;
    let new_network = cluster["network_id"].as_str().unwrap();
    assert_ne!(new_network, seed.network_id);
    let by_team = env
        .api
        .get(&format!("/networks?team_id={}", seed.team_id))
        .await;
    assert_eq!(by_team.expect(200)["networks"].as_array().unwrap().len(), 2);
    let other_team = env
        .api
        .get(&format!("/networks?team_id={}", seed.personal_team_id))
        .await;
    assert_eq!(
        other_team.expect(200)["networks"].as_array().unwrap().len(),
        0
    );
}
