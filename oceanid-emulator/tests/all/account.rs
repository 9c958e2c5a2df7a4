//! Account, teams, the team certificate, the catalogue, authentication, request ids and
//! malformed requests.

use reqwest::Method;
use serde_json::json;

use crate::harness::{start, uuid};

#[tokio::test]
async fn account_and_teams() {
    let env = start().await;
    let seed = env.emu.seed().clone();
    let account = env.api.get("/account").await;
    let account = account.expect(200);
    assert_eq!(account["id"], seed.account_id);
    assert_eq!(account["default_team_id"], seed.team_id);

    let teams = env.api.get("/teams").await;
    let teams = teams.expect(200);
    let ids: Vec<&str> = teams["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&seed.team_id) && ids.contains(&seed.personal_team_id));
    assert_eq!(teams["has_more"], false);

    let team = env.api.get(&format!("/teams/{}", seed.team_id)).await;
    assert_eq!(team.expect(200)["role"], "admin");
    env.api
        .get("/teams/aaaaaaaaaaaaaaaaaaaaaaaaaa")
        .await
        .expect(404);

    let pem = env.api.get(&format!("/teams/{}.pem", seed.team_id)).await;
    pem.expect(200);
    assert!(
        pem.text.starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        pem.text
    );
    assert_eq!(
        pem.header("content-type"),
        Some("application/pem-certificate-chain")
    );
    env.api
        .get("/teams/aaaaaaaaaaaaaaaaaaaaaaaaaa.pem")
        .await
        .expect(404);
}

#[tokio::test]
async fn catalogue_is_public() {
    let env = start().await;
    let providers = env
        .api
        .call(Method::GET, "/providers")
        .anonymous()
        .send()
        .await;
    let aws = providers.expect(200)["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "aws")
        .cloned()
        .expect("aws");
    let plans: Vec<&str> = aws["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let regions: Vec<&str> = aws["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for plan in ["hobby-2", "standard-8"] {
        assert!(plans.contains(&plan), "{plans:?}");
    }
    for region in ["us-east-1", "us-west-2"] {
        assert!(regions.contains(&region), "{regions:?}");
    }
    env.api.get("/providers").await.expect(200);

    let versions = env
        .api
        .call(Method::GET, "/postgres-versions")
        .anonymous()
        .send()
        .await;
    let versions = versions.expect(200)["postgres_versions"]
        .as_array()
        .unwrap()
        .clone();
    let default = versions
        .iter()
        .find(|v| v["is_default"] == true)
        .expect("a default");
    assert_eq!(default["major_version"], env.emu.seed().major_version);
    let by_major = env.api.get("/postgres-versions/16").await;
    let id = by_major.expect(200)["id"].as_str().unwrap().to_owned();
    let by_id = env
        .api
        .call(Method::GET, &format!("/postgres-versions/{id}"))
        .anonymous()
        .send()
        .await;
    assert_eq!(by_id.expect(200)["major_version"], 16);
    env.api.get("/postgres-versions/9").await.expect(404);
    // A wrong key is refused even where no key is needed.
    env.api
        .call(Method::GET, "/providers")
        .key("cbkey_wrong")
        .send()
        .await
        .expect(401);
}

#[tokio::test]
async fn authentication_is_required() {
    let env = start().await;
    for path in ["/account", "/clusters", "/networks", "/teams"] {
        let anonymous = env.api.call(Method::GET, path).anonymous().send().await;
        anonymous.expect(401);
        assert!(
            anonymous.message().contains("API key"),
            "{}",
            anonymous.text
        );
        assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
        env.api
            .call(Method::GET, path)
            .key("cbkey_wrong")
            .send()
            .await
            .expect(401);
    }
    let basic = env
        .api
        .call(Method::GET, "/account")
        .anonymous()
        .header("Authorization", &format!("Basic {}", env.api.key))
        .send()
        .await;
    basic.expect(401);
    let post = env
        .api
        .call(
            Method::POST,
            &format!("/networks/{}/firewall-rules", env.emu.seed().network_id),
        )
        .anonymous()
        .json(&json!({"rule": "10.1.0.0/24"}))
        .send()
        .await;
    post.expect(401);
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let env = start().await;
    let mine = uuid();
    let echoed = env
        .api
        .call(Method::GET, "/account")
        .header("X-Request-Id", &mine)
        .send()
        .await;
    assert_eq!(echoed.header("x-request-id"), Some(mine.as_str()));
    let error = env
        .api
        .call(Method::GET, "/clusters/aaaaaaaaaaaaaaaaaaaaaaaaaa")
        .header("X-Request-Id", &mine)
        .send()
        .await;
    error.expect(404);
    assert_eq!(error.json["request_id"], mine.as_str());
    let a = env.api.get("/account").await;
    let b = env.api.get("/account").await;
    let (a, b) = (
        a.header("x-request-id").unwrap(),
        b.header("x-request-id").unwrap(),
    );
    assert_ne!(a, b);
    assert!(uuid::Uuid::parse_str(a).is_ok(), "{a}");
    // Unusable ids are replaced.
    let spaced = env
        .api
        .call(Method::GET, "/account")
        .header("X-Request-Id", "has space")
        .send()
        .await;
    assert_ne!(spaced.header("x-request-id"), Some("has space"));
}

#[tokio::test]
async fn malformed_requests_are_400_not_crashes() {
    let env = start().await;
    let network = env.emu.seed().network_id;
    let rules = format!("/networks/{network}/firewall-rules");
    for body in [
        "{",
        "[]",
        "null",
        "\"x\"",
        r#"{"rule": 5}"#,
        r#"{"rule": "10.0.0.0/8", "extra": 1}"#,
        "\u{0}\u{1}",
    ] {
        let answer = env.api.call(Method::POST, &rules).raw(body).send().await;
        answer.expect(400);
        assert!(!answer.message().is_empty());
    }
    let answer = env
        .api
        .call(Method::POST, "/clusters")
        .raw("{not json")
        .send()
        .await;
    answer.expect(400);
    assert!(
        answer.message().contains("not valid JSON"),
        "{}",
        answer.text
    );
    let answer = env.api.post("/clusters", &json!({"name": "x"})).await;
    answer.expect(400);
    assert!(answer.message().contains("plan_id"), "{}", answer.text);
    let answer = env
        .api
        .call(
            Method::PATCH,
            &format!("/clusters/{}", env.emu.seed().cluster_id),
        )
        .raw(r#"{"name": ["x"]}"#)
        .send()
        .await;
    answer.expect(400);
    assert!(answer.message().contains("name"), "{}", answer.text);
    // Unknown routes and methods answer JSON errors too.
    let unknown = env
        .api
        .call(Method::GET, "/nowhere")
        .unchecked()
        .send()
        .await;
    unknown.expect(404);
    assert!(unknown.json["message"].is_string());
    let wrong_method = env
        .api
        .call(Method::DELETE, "/networks")
        .unchecked()
        .send()
        .await;
    wrong_method.expect(405);
    assert!(wrong_method.json["message"].is_string());
    // Still serving.
    env.api.get("/account").await.expect(200);
}
