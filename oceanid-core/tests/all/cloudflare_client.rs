//! The Cloudflare client against the emulator: every call, and the failure shapes (HTML 5xx,
//! null results, missing `result_info`, a 429 storm, a token without write permission).

use oceanid_core::cloudflare::{
    ClientError, DnsRecordChange, ErrorKind, Mode, PolicyId, RouteChange, RouteId, TokenStatus,
    TunnelId, ZoneId,
};
use serde_json::json;

use crate::cloudflare_fixture::CloudflareFixture;

#[tokio::test]
async fn every_call_works_against_the_emulator() {
    let cf = CloudflareFixture::start().await;
    let seed = cf.seed.clone();
    let client = cf.client_with(|b| b.page_size(2));

    let token = client.verify_token().await.unwrap();
    assert_eq!(token.status, TokenStatus::Active);
    assert_eq!(token.id, seed.token_id);

    let default = client.profile(None).await.unwrap();
    assert_eq!(default.mode(), Some(Mode::Include));
    let custom_id = PolicyId::new(seed.custom_policy_id);
    let custom = client.profile(Some(&custom_id)).await.unwrap();
    assert_eq!(custom.mode(), Some(Mode::Exclude));
    let customs = client.custom_profiles().await.unwrap();
    assert!(
        customs
            .iter()
            .any(|p| p.policy_id.as_ref() == Some(&custom_id))
    );

    let include = client.split_tunnel(None, Mode::Include).await.unwrap();
    assert_eq!(include.len(), 5);
    let mut changed = include.clone();
    changed.push(oceanid_core::cloudflare::SplitTunnelEntry::address(
        "10.99.0.0/16",
        "test",
    ));
    let stored = client
        .put_split_tunnel(None, Mode::Include, &changed)
        .await
        .unwrap();
    assert_eq!(stored, changed);
    assert_eq!(
        client.split_tunnel(None, Mode::Include).await.unwrap(),
        changed
    );
    let exclude = client
        .split_tunnel(Some(&custom_id), Mode::Exclude)
        .await
        .unwrap();
    assert!(!exclude.is_empty());

    // Paged with 2 per page: 3 routes over 2 pages, then 4 over 2 after a create.
    let routes = client.routes().await.unwrap();
    assert_eq!(routes.len(), 3);
    let tunnel = TunnelId::new(seed.tunnel_id);
    let created = client
        .create_route(&RouteChange {
            network: Some("10.44.0.0/16".into()),
            tunnel_id: Some(tunnel.clone()),
            comment: Some("test".into()),
            ..RouteChange::default()
        })
        .await
        .unwrap();
    assert_eq!(client.routes().await.unwrap().len(), 4);
    assert_eq!(
        client.route(&created.id).await.unwrap().network,
        "10.44.0.0/16"
    );
    let patched = client
        .patch_route(
            &created.id,
            &RouteChange {
                comment: Some("patched".into()),
                ..RouteChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.comment.as_deref(), Some("patched"));
    let by_ip = client.route_for_ip("10.44.1.2").await.unwrap();
    assert_eq!(by_ip.id, created.id);
    client.delete_route(&created.id).await.unwrap();
    assert_eq!(client.routes().await.unwrap().len(), 3);
    let missing = client.route_for_ip("203.0.113.9").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    assert!(client.virtual_networks().await.unwrap()[0].is_default_network);
    let tunnels = client.tunnels().await.unwrap();
    assert_eq!(tunnels[0].id, tunnel);
    assert!(client.tunnel(&tunnel).await.unwrap().is_healthy());
    assert_eq!(
        client.tunnel_connections(&tunnel).await.unwrap()[0]
            .conns
            .len(),
        2
    );

    let zone = ZoneId::new(seed.zone_id);
    assert_eq!(client.dns_records(&zone).await.unwrap().len(), 4);
    let change = DnsRecordChange {
        kind: Some("A".into()),
        name: Some("gpu".into()),
        content: Some("192.168.2.10".into()),
        ..DnsRecordChange::default()
    };
    let record = client.create_dns_record(&zone, &change).await.unwrap();
    let duplicate = client.create_dns_record(&zone, &change).await.unwrap_err();
    let source = duplicate.cloudflare().expect("Cloudflare's error");
    assert!(
        source.is_identical_record() || source.is_record_exists(),
        "{duplicate}"
    );
    assert!(source.cf_ray().is_some(), "{duplicate}");
    let patched = client
        .patch_dns_record(
            &zone,
            &record.id,
            &DnsRecordChange {
                content: Some("192.168.2.11".into()),
                ..DnsRecordChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.content, "192.168.2.11");
    client.delete_dns_record(&zone, &record.id).await.unwrap();
    let gone = client
        .delete_dns_record(&zone, &record.id)
        .await
        .unwrap_err();
    assert!(
        gone.cloudflare().is_some_and(|e| e.is_record_missing()),
        "{gone}"
    );
    assert_eq!(client.dns_records(&zone).await.unwrap().len(), 4);
}

#[tokio::test]
async fn an_unknown_policy_and_a_read_only_token_are_clear_errors() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let unknown = client
        .profile(Some(&PolicyId::new("00000000-0000-0000-0000-000000000000")))
        .await
        .unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");

    cf.read_only_token(true).await;
    let list = client.split_tunnel(None, Mode::Include).await.unwrap();
    let refused = client
        .put_split_tunnel(None, Mode::Include, &list)
        .await
        .unwrap_err();
    let ClientError::MissingPermission { permission, .. } = &refused else {
        panic!("expected a missing permission, got {refused}");
    };
    assert_eq!(*permission, "Zero Trust Write");
    assert!(
        refused.to_string().contains("\"Zero Trust Write\""),
        "{refused}"
    );
    let route = client
        .delete_route(&RouteId::new(cf.seed.route_ids[0]))
        .await
        .unwrap_err();
    assert!(
        route.to_string().contains("Cloudflare One Networks Write"),
        "{route}"
    );
}

#[tokio::test]
async fn a_token_the_emulator_refuses_fails_verification_naming_the_token() {
    let cf = CloudflareFixture::start().await;
    let client = oceanid_core::cloudflare::Cloudflare::builder()
        .token(oceanid_core::cloudflare::ApiToken::new("not-the-token"))
        .account(oceanid_core::cloudflare::AccountId::new(cf.seed.account_id))
        .base_url(cf.api_url())
        .build()
        .unwrap();
    let error = client.verify_token().await.unwrap_err();
    assert!(
        matches!(error, ClientError::MissingPermission { .. }),
        "{error}"
    );
    assert!(!format!("{error} {error:?}").contains("not-the-token"));
    // Without a token or an account the builder says which is missing.
    let no_account = oceanid_core::cloudflare::Cloudflare::builder()
        .token(oceanid_core::cloudflare::ApiToken::new("t"))
        .build()
        .unwrap_err();
    assert!(
        no_account.to_string().contains("CLOUDFLARE_ACCOUNT_ID"),
        "{no_account}"
    );
}

#[tokio::test]
async fn an_html_5xx_is_unreadable_and_a_429_storm_is_retried_then_reported() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let include = cf.account_path("/devices/policy/include");
    cf.fault(json!({
        "method": "GET", "path": include, "status": 502,
        "body": "<html><body>502 Bad Gateway</body></html>", "content_type": "text/html",
    }))
    .await;
    let error = client.split_tunnel(None, Mode::Include).await.unwrap_err();
    let source = error.cloudflare().expect("an answer");
    assert_eq!(source.kind(), ErrorKind::Unreadable, "{error}");
    assert_eq!(source.status(), 502);
    assert!(error.is_retryable());
    cf.clear_faults().await;

    // Two 429s are waited out (Retry-After 1 s); a storm is reported as rate limited.
    cf.fault(
        json!({"method": "GET", "path": include, "status": 429, "retry_after": 1, "count": 2}),
    )
    .await;
    assert_eq!(
        client
            .split_tunnel(None, Mode::Include)
            .await
            .unwrap()
            .len(),
        5
    );
    cf.fault(json!({"method": "GET", "path": include, "status": 429, "retry_after": 1}))
        .await;
    let storm = cf
        .client_with(|b| b.call_timeout(std::time::Duration::from_secs(3)))
        .split_tunnel(None, Mode::Include)
        .await
        .unwrap_err();
    assert!(storm.is_retryable(), "{storm}");
    assert!(
        storm.to_string().contains("971") || storm.to_string().contains("429"),
        "{storm}"
    );
    cf.clear_faults().await;

    // A PUT is sent once: a 503 comes back at once, it is not replayed.
    let before = cf.requests()["by_method"]["PUT"].as_u64().unwrap_or(0);
    cf.fault(json!({"method": "PUT", "path": include, "status": 503, "count": 1}))
        .await;
    let list = client.split_tunnel(None, Mode::Include).await.unwrap();
    let put = client
        .put_split_tunnel(None, Mode::Include, &list)
        .await
        .unwrap_err();
    assert!(put.is_retryable(), "{put}");
    let after = cf.requests()["by_method"]["PUT"].as_u64().unwrap_or(0);
    assert!(
        after - before <= 1,
        "the PUT was replayed: {before} → {after}"
    );
}

#[tokio::test]
async fn the_split_tunnel_view_marks_protected_entries_and_the_mode() {
    let cf = CloudflareFixture::start().await;
    let client = cf.client();
    let protected =
        oceanid_core::cloudflare::ProtectedCidrs::parse(&["172.20.0.0/16", "172.21.0.0/16"])
            .unwrap();
    let view = oceanid_core::cloudflare::split_tunnel(&client, None, &protected)
        .await
        .unwrap();
    assert_eq!(view.mode, Some(Mode::Include));
    let marked: Vec<(Option<&str>, bool)> = view
        .entries
        .iter()
        .map(|e| (e.address.as_deref(), e.protected))
        .collect();
    assert_eq!(
        marked,
        [
            (Some("172.20.0.0/16"), true),
            (Some("172.21.0.0/16"), true),
            (Some("10.42.0.0/16"), false),
            (Some("10.43.0.0/16"), false),
            (Some("192.168.2.0/24"), false),
        ]
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["mode"], "include");
    assert_eq!(json["policyId"], serde_json::Value::Null);
    let custom = PolicyId::new(cf.seed.custom_policy_id);
    let exclude = oceanid_core::cloudflare::split_tunnel(&client, Some(&custom), &protected)
        .await
        .unwrap();
    assert_eq!(exclude.mode, Some(Mode::Exclude));
}
