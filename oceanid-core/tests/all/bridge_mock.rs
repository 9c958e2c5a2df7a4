//! The Bridge client against a scripted server: bodies and faults the emulator never sends.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use oceanid_core::crunchybridge::{
    Bridge, ClusterId, ClusterState, CreateFirewallRule, Deletion, Error, FirewallRuleKind,
    IdempotencyKey, ListParams, NetworkId, RetryPolicy, TeamId,
};
use reqwest::Method;
use serde_json::json;

use crate::bridge_mock_server::{MockServer, Reply};

/// Distinctive, so a leak shows up in any output.
const KEY: &str = "cbkey_Distinctive-Marmot-7781";

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .with_min_delay(Duration::from_millis(10))
        .with_max_delay(Duration::from_millis(40))
}

fn client(mock: &MockServer) -> Bridge {
    client_with(mock, fast())
}

fn client_with(mock: &MockServer, policy: RetryPolicy) -> Bridge {
    match Bridge::builder()
        .api_key(KEY)
        .base_url(mock.base_url())
        .retry(policy)
        .build()
    {
        Ok(b) => b,
        Err(e) => panic!("building the client: {e}"),
    }
}

fn cluster(id: &str, state: &str) -> serde_json::Value {
    json!({
        "id": id, "name": format!("db-{id}"), "team_id": "teamteamteamteamteamteamte",
        "plan_id": "hobby-2", "provider_id": "aws", "region_id": "us-east-1", "storage": 10,
        "is_ha": false, "is_protected": false, "is_suspended": false, "major_version": 17,
        "postgres_version_id": "pgvpgvpgvpgvpgvpgvpgvpgvpa", "memory": 2.0, "vcpu": 1.0,
        "network_id": "netnetnetnetnetnetnetnetna", "state": state,
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"
    })
}

fn assert_no_key(text: &str) {
    assert!(!text.contains(KEY), "the API key leaked: {text}");
    assert!(
        !text.contains("Marmot"),
        "part of the API key leaked: {text}"
    );
}

#[tokio::test]
async fn html_502_page_is_a_clear_api_error() {
    let mock = MockServer::start().await;
    let html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>";
    mock.expect("GET", "/account", [Reply::raw(502, "text/html", html)]);
    let err = client_with(&mock, RetryPolicy::never())
        .account()
        .get()
        .await
        .expect_err("a 502 page is an error");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(err.status(), Some(502));
    let sent = mock.hits("GET", "/account")[0].header("x-request-id");
    assert_eq!(err.request_id(), sent.as_deref());
    let msg = err.to_string();
    assert!(msg.contains("HTML page") && msg.contains("502"), "{msg}");
    assert!(msg.contains(sent.as_deref().unwrap_or("?")), "{msg}");
    assert!(err.is_retryable() && err.is_maybe_sent());
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_naming_status_request_id_and_excerpt() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/clusters/abc",
        [Reply::raw(
            200,
            "application/json",
            r#"{"id":"abc","name":"db","team_id":"t","state":"rea"#,
        )],
    );
    let err = client(&mock)
        .clusters()
        .get(&ClusterId::new("abc"))
        .await
        .expect_err("truncated JSON cannot decode");
    let Error::Decode {
        status,
        request_id,
        excerpt,
        ..
    } = &err
    else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(*status, 200);
    assert!(request_id.is_some());
    assert!(excerpt.starts_with(r#"{"id":"abc""#), "{excerpt}");
    let msg = err.to_string();
    assert!(
        msg.contains("GET /clusters/abc") && msg.contains("request id"),
        "{msg}"
    );
    // Decoding is not retried.
    assert_eq!(mock.hits("GET", "/clusters/abc").len(), 1);
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let mock = MockServer::start().await;
    let mut bad = cluster("c2", "ready");
    bad["storage"] = json!("lots");
    mock.expect(
        "GET",
        "/clusters",
        [Reply::json(
            200,
            json!({"clusters": [cluster("c1", "ready"), bad], "has_more": false}),
        )],
    );
    let err = client(&mock)
        .clusters()
        .list_all()
        .await
        .expect_err("bad storage");
    let Error::Decode { json_path, .. } = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(json_path, "clusters[1].storage");
    assert!(err.to_string().contains("clusters[1].storage"));
}

#[tokio::test]
async fn unknown_state_and_extra_fields_are_kept_or_ignored() {
    let mock = MockServer::start().await;
    let mut c = cluster("c1", "hibernating");
    c["brand_new_field"] = json!({"nested": [1, 2, 3]});
    c["host"] = json!(null);
    mock.expect("GET", "/clusters/c1", [Reply::json(200, c)]);
    mock.expect(
        "GET",
        "/clusters/c1/status",
        [Reply::json(
            200,
            json!({"state": "thawing", "disk_usage": null, "something": 1}),
        )],
    );
    let bridge = client(&mock);
    let got = bridge
        .clusters()
        .get(&ClusterId::new("c1"))
        .await
        .expect("decodes");
    assert_eq!(got.state, Some(ClusterState::Other("hibernating".into())));
    assert!(got.host.is_none());
    let status = bridge
        .clusters()
        .status(&ClusterId::new("c1"))
        .await
        .expect("decodes");
    assert_eq!(
        status.state.map(|s| s.as_str().to_owned()).as_deref(),
        Some("thawing")
    );
}

#[tokio::test]
async fn firewall_rules_with_odd_descriptions_and_kinds_decode() {
    let mock = MockServer::start().await;
    let n = "netnetnetnetnetnetnetnetna";
    mock.expect(
        "GET",
        &format!("/networks/{n}/firewall-rules"),
        [Reply::json(
            200,
            json!({"firewall_rules": [
                {"id": "r1", "network_id": n, "rule": "10.0.0.0/8", "team_id": "t"},
                {"id": "r2", "network_id": n, "rule": "10.1.0.0/16", "team_id": "t", "description": ""},
                {"id": "r3", "network_id": n, "rule": "10.2.0.0/16", "team_id": "t", "description": null, "kind": null},
                {"id": "r4", "network_id": n, "rule": "::/0", "team_id": "t", "description": "v6", "kind": "egress", "extra": true},
                {"id": "r5", "network_id": n, "rule": "10.3.0.0/16", "team_id": "t", "kind": "sideways"}
            ]}),
        )],
    );
    let rules = client(&mock)
        .firewall(&NetworkId::new(n))
        .list()
        .await
        .expect("lenient decode");
    assert_eq!(rules.len(), 5);
    assert_eq!(rules[0].description, None);
    assert_eq!(rules[1].description.as_deref(), Some(""));
    assert_eq!(rules[1].description(), None);
    assert_eq!(rules[2].kind, None);
    assert_eq!(rules[2].effective_kind(), FirewallRuleKind::Ingress);
    assert_eq!(rules[3].kind, Some(FirewallRuleKind::Egress));
    assert_eq!(
        rules[4].kind,
        Some(FirewallRuleKind::Other("sideways".into()))
    );
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/account",
        [
            Reply::error(429, "slow down").header("retry-after", "1"),
            Reply::json(
                200,
                json!({"id": "acctacctacctacctacctacctaa", "email": "a@example.com", "name": "A"}),
            ),
        ],
    );
    let started = Instant::now();
    let account = client(&mock)
        .account()
        .get()
        .await
        .expect("retried after 429");
    assert_eq!(account.email, "a@example.com");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let hits = mock.hits("GET", "/account");
    assert_eq!(hits.len(), 2);
    let ids: Vec<_> = hits.iter().map(|h| h.header("x-request-id")).collect();
    assert!(
        ids[0].is_some() && ids[0] != ids[1],
        "a fresh request id per attempt: {ids:?}"
    );
}

#[tokio::test]
async fn rate_limit_with_retries_exhausted_is_rate_limited() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/account",
        [Reply::error(429, "slow down").header("retry-after", "0")],
    );
    let err = client_with(&mock, fast().with_max_attempts(Some(3)))
        .account()
        .get()
        .await
        .expect_err("always 429");
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    assert_eq!(mock.hits("GET", "/account").len(), 3);
}

#[tokio::test]
async fn get_503_is_retried_until_success() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/clusters/c1",
        [
            Reply::error(503, "busy"),
            Reply::raw(503, "text/html", "<html>busy</html>"),
            Reply::json(200, cluster("c1", "ready")),
        ],
    );
    let got = client(&mock)
        .clusters()
        .get(&ClusterId::new("c1"))
        .await
        .expect("third time");
    assert_eq!(got.state, Some(ClusterState::Ready));
    assert_eq!(mock.hits("GET", "/clusters/c1").len(), 3);
}

#[tokio::test]
async fn post_without_idempotency_key_is_never_retried() {
    let mock = MockServer::start().await;
    mock.expect("POST", "/clusters", [Reply::error(503, "busy")]);
    mock.expect("PATCH", "/clusters/c1", [Reply::error(500, "oops")]);
    let bridge = client(&mock);
    let err = bridge
        .request(Method::POST, "/clusters")
        .json(&json!({"name": "x"}))
        .send::<serde_json::Value>()
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        mock.hits("POST", "/clusters").len(),
        1,
        "a keyless POST is sent once"
    );
    assert!(
        mock.hits("POST", "/clusters")[0]
            .header("idempotency-key")
            .is_none()
    );
    let err = bridge
        .request(Method::PATCH, "/clusters/c1")
        .json(&json!({"name": "y"}))
        .send::<serde_json::Value>()
        .await
        .expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert!(err.is_maybe_sent());
    assert_eq!(
        mock.hits("PATCH", "/clusters/c1").len(),
        1,
        "a keyless PATCH is sent once"
    );
}

#[tokio::test]
async fn creates_send_one_idempotency_key_reused_across_retries() {
    let mock = MockServer::start().await;
    let n = "netnetnetnetnetnetnetnetna";
    let path = format!("/networks/{n}/firewall-rules");
    mock.expect(
        "POST",
        &path,
        [
            Reply::error(503, "busy"),
            Reply::error(429, "slow").header("retry-after", "0"),
            Reply::json(201, json!({"id": "r1", "network_id": n, "rule": "10.0.0.0/8", "team_id": "t", "description": "d", "kind": "ingress"})),
        ],
    );
    let bridge = client(&mock);
    let fw = bridge.firewall(&NetworkId::new(n));
    let rule = fw
        .create(&CreateFirewallRule::new("10.0.0.0/8").description("d"))
        .await
        .expect("created after retries");
    assert_eq!(rule.rule, "10.0.0.0/8");
    let hits = mock.hits("POST", &path);
    assert_eq!(hits.len(), 3);
    let keys: Vec<_> = hits.iter().map(|h| h.header("idempotency-key")).collect();
    let key = keys[0].clone().expect("a key on a create");
    assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
    assert!(
        keys.iter().all(|k| k.as_deref() == Some(key.as_str())),
        "{keys:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&hits[0].body).expect("JSON body");
    assert_eq!(body, json!({"rule": "10.0.0.0/8", "description": "d"}));
    assert_eq!(
        hits[0].header("content-type").as_deref(),
        Some("application/json")
    );

    // A second logical call gets a fresh key; a caller's key is used as given.
    fw.create_with_key(
        &CreateFirewallRule::new("10.0.0.0/8"),
        &IdempotencyKey::from("my-key"),
    )
    .await
    .expect("created");
    let hits = mock.hits("POST", &path);
    assert_eq!(hits[3].header("idempotency-key").as_deref(), Some("my-key"));
}

#[tokio::test]
async fn deadline_during_retries_is_a_timeout_with_the_last_error() {
    let mock = MockServer::start().await;
    mock.expect("GET", "/account", [Reply::error(503, "still busy")]);
    let bridge =
        client_with(&mock, fast().with_max_attempts(None)).with_timeout(Duration::from_millis(400));
    let started = Instant::now();
    let err = bridge.account().get().await.expect_err("never succeeds");
    assert!(
        // Far below "never": generous, so a loaded CI machine cannot make it flake.
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    let Error::Timeout { last, attempts, .. } = &err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert!(*attempts >= 2, "{attempts}");
    let last = last.as_deref().expect("the last error is kept");
    assert_eq!(last.status(), Some(503));
    assert!(err.to_string().contains("still busy"), "{err}");
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn deadline_during_a_slow_answer_is_a_timeout() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/clusters/c1",
        [Reply::json(200, cluster("c1", "ready")).delay(Duration::from_secs(3))],
    );
    let started = Instant::now();
    let err = client(&mock)
        .with_timeout(Duration::from_millis(300))
        .clusters()
        .get(&ClusterId::new("c1"))
        .await
        .expect_err("too slow");
    // The answer would come after 3 s: well before that means the deadline ended the call.
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_maybe_sent());
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_fails_fast() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/account",
        [Reply::error(429, "later").header("retry-after", "30")],
    );
    let started = Instant::now();
    let err = client(&mock)
        .with_timeout(Duration::from_secs(5))
        .account()
        .get()
        .await
        .expect_err("cannot wait 30 s");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let Error::Timeout {
        last: Some(last), ..
    } = &err
    else {
        panic!("expected a timeout with a last error, got {err:?}");
    };
    assert!(matches!(**last, Error::RateLimited(_)));
}

#[tokio::test]
async fn pagination_follows_cursors_and_stops_on_a_repeat() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/clusters",
        [
            Reply::json(200, json!({"clusters": [cluster("c1", "ready")], "has_more": true, "next_cursor": "k1"})),
            Reply::json(200, json!({"clusters": [cluster("c2", "ready")], "has_more": true, "next_cursor": "k2"})),
            Reply::json(200, json!({"clusters": [cluster("c3", "ready")], "has_more": true, "next_cursor": "k1"})),
        ],
    );
    let all: Vec<_> = client(&mock)
        .clusters()
        .stream_with(ListParams::new().limit(1))
        .try_collect()
        .await
        .expect("three pages");
    let ids: Vec<_> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
    let hits = mock.hits("GET", "/clusters");
    assert_eq!(
        hits.len(),
        3,
        "the repeated cursor k1 is not followed again"
    );
    assert_eq!(hits[0].query.as_deref(), Some("limit=1"));
    assert_eq!(hits[1].query.as_deref(), Some("cursor=k1&limit=1"));
    assert_eq!(hits[2].query.as_deref(), Some("cursor=k2&limit=1"));
}

#[tokio::test]
async fn one_page_with_params() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/networks",
        [Reply::json(200, json!({"networks": [{"id": "n1", "name": "net", "provider_id": "aws", "region_id": "us-east-1", "team_id": "t", "cidr4": null}], "has_more": true, "next_cursor": "z"}))],
    );
    let page = client(&mock)
        .networks()
        .page(&ListParams::new().team(&TeamId::new("t")).limit(1))
        .await
        .expect("a page");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.next(), Some("z"));
    assert_eq!(
        mock.hits("GET", "/networks")[0].query.as_deref(),
        Some("limit=1&team_id=t")
    );
}

#[tokio::test]
async fn deletes_of_absent_objects_are_already_gone() {
    let mock = MockServer::start().await;
    mock.expect(
        "DELETE",
        "/clusters/gone",
        [Reply::error(410, "already deleted")],
    );
    mock.expect(
        "DELETE",
        "/clusters/never",
        [Reply::error(404, "not found")],
    );
    mock.expect(
        "DELETE",
        "/clusters/here",
        [Reply::json(200, cluster("here", "destroying"))],
    );
    mock.expect("GET", "/clusters/never", [Reply::error(404, "not found")]);
    let c = client(&mock).clusters();
    assert_eq!(
        c.delete(&ClusterId::new("gone")).await.expect("410"),
        Deletion::AlreadyGone
    );
    assert_eq!(
        c.delete(&ClusterId::new("never")).await.expect("404"),
        Deletion::AlreadyGone
    );
    assert_eq!(
        c.delete(&ClusterId::new("here")).await.expect("200"),
        Deletion::Deleted
    );
    assert!(
        c.get_opt(&ClusterId::new("never"))
            .await
            .expect("404 is None")
            .is_none()
    );
    let err = c.get(&ClusterId::new("never")).await.expect_err("404");
    assert!(err.is_not_found() && !err.is_retryable());
}

#[tokio::test]
async fn error_bodies_keep_code_transience_and_request_id() {
    let mock = MockServer::start().await;
    mock.expect(
        "POST",
        "/clusters/c1/upgrade",
        [Reply::json(
            400,
            json!({"message": "down for maintenance", "request_id": "11111111-2222-4333-8444-555555555555", "code": "maintenance_mode", "is_transient": true}),
        )],
    );
    let err = client_with(&mock, RetryPolicy::never())
        .request(Method::POST, "/clusters/c1/upgrade")
        .send::<serde_json::Value>()
        .await
        .expect_err("400");
    let api = err.api().expect("an API error");
    assert_eq!(api.code.as_deref(), Some("maintenance_mode"));
    assert!(api.is_transient && err.is_retryable());
    assert_eq!(
        err.request_id(),
        Some("11111111-2222-4333-8444-555555555555")
    );
    assert!(
        err.to_string()
            .contains("11111111-2222-4333-8444-555555555555")
    );
}

#[tokio::test]
async fn unauthorized_is_its_own_error_and_never_shows_the_key() {
    let mock = MockServer::start().await;
    // A server that reflects the credential back must not get it into our message.
    mock.expect(
        "GET",
        "/account",
        [Reply::error(401, &format!("invalid token Bearer {KEY}"))],
    );
    let bridge = client(&mock);
    let err = bridge.account().get().await.expect_err("401");
    assert!(err.is_unauthorized(), "{err:?}");
    assert_eq!(mock.hits("GET", "/account").len(), 1, "401 is not retried");
    assert_eq!(
        mock.hits("GET", "/account")[0]
            .header("authorization")
            .as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_no_key(&err.to_string());
    assert_no_key(&format!("{bridge:?}"));
    assert_no_key(&format!("{:?}", Bridge::builder().api_key(KEY)));
}

#[tokio::test]
async fn the_key_stays_out_of_decode_and_transport_errors() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/account",
        [Reply::raw(
            200,
            "application/json",
            &format!(r#"{{"email": "{KEY}", "name": 5"#),
        )],
    );
    let err = client(&mock).account().get().await.expect_err("bad body");
    assert!(matches!(err, Error::Decode { .. }));
    assert_no_key(&err.to_string());

    // Nothing listens on this port once the listener is dropped.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dead = Bridge::builder()
        .api_key(KEY)
        .base_url(&format!("http://127.0.0.1:{port}"))
        .retry(fast().with_max_attempts(Some(2)))
        .build()
        .expect("client");
    let err = dead.account().get().await.expect_err("refused");
    assert!(matches!(err, Error::NotSent { .. }), "{err:?}");
    assert!(err.is_retryable() && !err.is_maybe_sent());
    assert!(err.request_id().is_some());
    assert_no_key(&err.to_string());
    assert_no_key(&format!("{err:?}"));
    let err = dead
        .with_timeout(Duration::from_millis(50))
        .account()
        .get()
        .await
        .expect_err("refused");
    assert_no_key(&err.to_string());
}

#[tokio::test]
async fn team_certificate_is_text() {
    let mock = MockServer::start().await;
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    mock.expect(
        "GET",
        "/teams/t1.pem",
        [Reply::raw(200, "application/pem-certificate-chain", pem)],
    );
    let got = client(&mock)
        .teams()
        .certificate(&TeamId::new("t1"))
        .await
        .expect("pem");
    assert_eq!(got, pem);
}

#[tokio::test]
async fn path_segments_are_encoded() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/clusters/a%2Fb",
        [Reply::json(200, cluster("a/b", "ready"))],
    );
    let got = client(&mock)
        .clusters()
        .get(&ClusterId::new("a/b"))
        .await
        .expect("encoded");
    assert_eq!(got.id.as_str(), "a/b");
}

#[tokio::test]
async fn base_url_with_a_path_prefix_is_kept() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/prefix/account",
        [Reply::json(200, json!({"email": "e", "name": "n"}))],
    );
    let bridge = Bridge::builder()
        .base_url(&format!("{}/prefix/", mock.base_url()))
        .build()
        .expect("client");
    assert!(bridge.base_url().as_str().ends_with("/prefix/"));
    bridge.account().get().await.expect("prefixed");
    assert!(Bridge::builder().base_url("not a url").build().is_err());
    assert!(Bridge::builder().base_url("ftp://x").build().is_err());
}

#[tokio::test]
async fn an_unexpected_request_is_caught_by_the_catch_all() {
    let mock = MockServer::start().await;
    let err = client(&mock)
        .networks()
        .get(&NetworkId::new("nope"))
        .await
        .expect_err("nothing expected");
    assert_eq!(err.status(), Some(418));
    assert_eq!(mock.take_unexpected(), ["GET /networks/nope"]);
}

#[tokio::test]
async fn a_conflict_after_an_unknown_outcome_is_asked_again() {
    let mock = MockServer::start().await;
    let n = "netnetnetnetnetnetnetnetna";
    let path = format!("/networks/{n}/firewall-rules");
    let rule = json!({"id": "r1", "network_id": n, "rule": "10.0.0.0/8", "team_id": "t"});
    mock.expect(
        "POST",
        &path,
        [
            // The first attempt outlives the per-attempt timeout: outcome unknown.
            Reply::json(201, rule.clone()).delay(Duration::from_secs(2)),
            // The server is still working on it under this key.
            Reply::error(409, "a request with this idempotency key is in progress"),
            Reply::json(201, rule).header("idempotency-replay", "true"),
        ],
    );
    let bridge = Bridge::builder()
        .base_url(mock.base_url())
        .retry(fast())
        .attempt_timeout(Some(Duration::from_millis(200)))
        .build()
        .expect("client");
    let got = bridge
        .firewall(&NetworkId::new(n))
        .create(&CreateFirewallRule::new("10.0.0.0/8"))
        .await
        .expect("the replay answers");
    assert_eq!(got.id.as_str(), "r1");
    let hits = mock.hits("POST", &path);
    assert_eq!(hits.len(), 3);
    assert!(
        hits.iter()
            .all(|h| h.header("idempotency-key") == hits[0].header("idempotency-key"))
    );

    // A conflict with no unknown outcome before it is an answer, not retried.
    mock.expect(
        "POST",
        "/clusters",
        [Reply::error(409, "key reused for another request")],
    );
    let err = bridge
        .clusters()
        .create(&oceanid_core::crunchybridge::CreateCluster::new(
            "x",
            "p".into(),
            "t".into(),
        ))
        .await
        .expect_err("409");
    assert_eq!(err.status(), Some(409));
    assert_eq!(mock.hits("POST", "/clusters").len(), 1);
}

#[tokio::test]
async fn replayed_responses_are_reported() {
    let mock = MockServer::start().await;
    mock.expect(
        "POST",
        "/clusters/c1/roles",
        [Reply::json(201, json!({"name": "u_a", "cluster_id": "c1", "team_id": "t", "password": "Secret-Walrus-1", "uri": null}))
            .header("idempotency-replay", "true")],
    );
    let resp = client(&mock)
        .request(Method::POST, "/clusters/c1/roles")
        .idempotency_key(IdempotencyKey::new())
        .send_with_meta::<oceanid_core::crunchybridge::Role>()
        .await
        .expect("role");
    assert!(resp.replayed);
    assert_eq!(resp.status, 201);
    assert!(resp.request_id.is_some());
    assert!(!format!("{resp:?}").contains("Secret-Walrus"));
}
