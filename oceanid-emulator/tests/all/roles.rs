//! Roles: list (redacted), get with credentials, create the account role, upsert, rotate,
//! delete (built-ins refused, 404/410).

use reqwest::Method;
use serde_json::json;

use crate::harness::start;

#[tokio::test]
async fn list_get_create_rotate_delete() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    let cluster = seed.cluster_id;
    let roles = format!("/clusters/{cluster}/roles");

    let list = env.api.get(&roles).await;
    let list = list.expect(200)["roles"].as_array().unwrap().clone();
    let names: Vec<&str> = list.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["application", "postgres"]);
    assert!(
        list.iter()
            .all(|r| r["password"].is_null() && r["uri"].is_null())
    );

    let postgres = env.api.get(&format!("{roles}/postgres")).await;
    let postgres = postgres.expect(200).clone();
    let password = postgres["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 32);
    assert_eq!(
        postgres["uri"],
        format!("postgres://postgres:{password}@p.{cluster}.db.postgresbridge.com:5432/postgres")
    );

    let user = format!("{roles}/user");
    env.api.get(&user).await.expect(404);
    let created = env.api.call(Method::POST, &roles).send().await;
    let created = created.expect(201).clone();
    assert_eq!(created["name"], seed.account_role);
    assert_eq!(created["account_id"], seed.account_id);
    assert_eq!(created["account_email"], seed.account_email);
    let user_password = created["password"].as_str().unwrap().to_owned();
    assert!(created["uri"].as_str().unwrap().contains(&user_password));
    // Creating again leaves it as it is.
    let again = env.api.call(Method::POST, &roles).send().await;
    assert_eq!(again.expect(201)["password"], user_password.as_str());
    let by_alias = env.api.get(&user).await;
    assert_eq!(by_alias.expect(200)["name"], seed.account_role);
    assert_eq!(by_alias.json["password"], user_password.as_str());
    env.api
        .get(&format!("{roles}/{}", seed.account_role))
        .await
        .expect(200);

    let rotated = env.api.put(&user, &json!({"rotate_password": true})).await;
    let rotated = rotated.expect(201);
    assert_ne!(rotated["password"], user_password.as_str());
    let flavored = env.api.put(&user, &json!({"flavor": "read"})).await;
    assert_eq!(flavored.expect(201)["flavor"], "read");
    assert_eq!(flavored.json["password"], rotated["password"]);
    env.api
        .put(&user, &json!({"flavor": "admin"}))
        .await
        .expect(400);
    env.api
        .put(
            &user,
            &json!({"rotate_password": true, "password_scram_sha256": "SCRAM-SHA-256$x"}),
        )
        .await
        .expect(400);
    env.api
        .put(&user, &json!({"password_scram_sha256": "plain"}))
        .await
        .expect(400);
    let app_rotated = env
        .api
        .put(
            &format!("{roles}/application"),
            &json!({"rotate_password": true}),
        )
        .await;
    app_rotated.expect(201);
    env.api
        .call(Method::PUT, &format!("{roles}/application"))
        .send()
        .await
        .expect(201);

    let refused = env.api.delete(&format!("{roles}/postgres")).await;
    refused.expect(400);
    assert!(refused.message().contains("built-in"), "{}", refused.text);
    env.api
        .delete(&format!("{roles}/application"))
        .await
        .expect(400);
    let deleted = env.api.delete(&user).await;
    let deleted = deleted.expect(200);
    assert_eq!(deleted["name"], seed.account_role);
    assert!(deleted["password"].is_null() && deleted["uri"].is_null());
    env.api.get(&user).await.expect(404);
    env.api.delete(&user).await.expect(410);
    // PUT creates it again.
    let recreated = env.api.call(Method::PUT, &user).send().await;
    assert!(recreated.expect(201)["password"].is_string());

    for (path, status) in [
        (format!("{roles}/nobody"), 404),
        (format!("{roles}/u_aaaaaaaaaaaaaaaaaaaaaaaaaa"), 404),
        (
            "/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/roles/postgres".to_owned(),
            404,
        ),
        ("/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/roles".to_owned(), 404),
    ] {
        env.api.get(&path).await.expect(status);
    }
    env.api
        .call(Method::POST, "/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/roles")
        .send()
        .await
        .expect(404);
    env.api
        .delete("/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa/roles/user")
        .await
        .expect(404);

    // A SCRAM verifier replaces the password: the API can no longer show it.
    let verifier = "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVka2V5c3RvcmVka2V5c3RvcmVka2V5c3RvcmU=:c2VydmVya2V5c2VydmVya2V5c2VydmVya2V5c2VydmU=";
    let scram = env
        .api
        .put(&user, &json!({"password_scram_sha256": verifier}))
        .await;
    assert!(scram.expect(201)["password"].is_null());
    assert!(scram.json["uri"].is_null());
}

#[tokio::test]
async fn roles_of_new_clusters_and_account_filter() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    let cluster = env
        .api
        .create_cluster(&crate::harness::cluster_body(&env, "roles"))
        .await;
    let id = cluster["id"].as_str().unwrap();
    let pg = env.api.get(&format!("/clusters/{id}/roles/postgres")).await;
    assert!(
        pg.expect(200)["uri"]
            .as_str()
            .unwrap()
            .contains(&format!("p.{id}.db.postgresbridge.com"))
    );
    env.api
        .call(Method::POST, &format!("/clusters/{id}/roles"))
        .send()
        .await
        .expect(201);
    let mine = env
        .api
        .get(&format!(
            "/clusters/{id}/roles?account_id={}",
            seed.account_id
        ))
        .await;
    let mine = mine.expect(200)["roles"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["name"], seed.account_role);
    // Deleting the cluster takes its roles.
    env.api.delete(&format!("/clusters/{id}")).await.expect(200);
    env.api
        .get(&format!("/clusters/{id}/roles/postgres"))
        .await
        .expect(404);
    env.api
        .delete(&format!("/clusters/{id}/roles/user"))
        .await
        .expect(410);
}
