//! Nodes and the egress rule, from fixtures and through the scripted server.

use k8s_openapi::api::core::v1::Node;
use oceanid_core::kubernetes::{EgressSource, failed, nodes_report};
use serde_json::json;

use super::api_server::{Exchange, scripted};
use super::fixtures::{items, list, page, values};

#[tokio::test]
async fn one_list_call_and_the_egress_rule_for_each_node() {
    let script = scripted(vec![Exchange::list(
        "/api/v1/nodes",
        &[],
        &list("nodes.json"),
    )]);
    let report = script.cluster.nodes().await.expect("nodes");
    script.finish().await;

    let names: Vec<&str> = report.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["calypso", "srv712429", "srv712695"]);
    let tethys = &report.nodes[1];
    assert_eq!(tethys.roles, ["control-plane", "master", "worker"]);
    assert!(tethys.ready);
    assert_eq!(
        tethys.internal_addresses,
        ["157.173.210.123", "2a02:4780:12:1234::1"]
    );
    assert_eq!(tethys.egress_address.as_deref(), Some("157.173.210.123"));
    assert_eq!(tethys.egress_source, EgressSource::InternalIp);

    let styx = &report.nodes[2];
    assert_eq!(styx.external_addresses, ["191.101.1.3"]);
    assert_eq!(styx.egress_address.as_deref(), Some("191.101.1.3"));
    assert_eq!(styx.egress_source, EgressSource::ExternalIp);

    let calypso = &report.nodes[0];
    assert_eq!(calypso.egress_address, None);
    assert_eq!(calypso.egress_source, EgressSource::None);
    assert!(
        calypso
            .egress_detail
            .contains("192.168.2.20 (private (RFC 1918))"),
        "{}",
        calypso.egress_detail
    );
    assert!(
        calypso
            .egress_detail
            .contains("kubectl annotate node calypso oceanid.io/egress-ip=<addr>"),
        "{}",
        calypso.egress_detail
    );
    assert!(!report.ok);
    let failed: Vec<&str> = failed(&report.checks).map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["node calypso egress"]);
}

/// Three pages of one node each; the second page's token is `second_token`.
fn three_pages(second_token: &str) -> Vec<Exchange> {
    let all = values("nodes.json");
    vec![
        Exchange::list("/api/v1/nodes", &[], &page(&all[..1], Some("tok-1"))),
        Exchange::list(
            "/api/v1/nodes",
            &[("continue", "tok-1")],
            &page(&all[1..2], Some(second_token)),
        ),
        Exchange::list(
            "/api/v1/nodes",
            &[("continue", second_token)],
            &page(&all[2..], None),
        ),
    ]
}

#[tokio::test]
async fn paging_follows_continue_tokens_until_the_last_page() {
    let script = scripted(three_pages("tok-2"));
    let report = script.cluster.nodes().await.expect("nodes");
    script.finish().await;
    assert_eq!(report.nodes.len(), 3);
}

#[tokio::test]
async fn a_repeated_continue_token_stops_instead_of_looping() {
    let mut exchanges = three_pages("tok-1");
    exchanges.truncate(2);
    let script = scripted(exchanges);
    let err = script.cluster.nodes().await.expect_err("loops");
    script.finish().await;
    assert!(
        err.to_string()
            .contains("repeated the continue token while listing nodes"),
        "{err}"
    );
}

fn node(value: serde_json::Value) -> Node {
    serde_json::from_value(value).expect("node")
}

#[test]
fn annotation_wins_and_cgnat_is_never_guessed_public() {
    let annotated = node(json!({
        "metadata": { "name": "calypso", "annotations": { "oceanid.io/egress-ip": "203.0.113.50" } },
        "status": { "addresses": [ { "type": "InternalIP", "address": "192.168.2.20" } ] }
    }));
    let cgnat = node(json!({
        "metadata": { "name": "ts-node", "annotations": { "k3s.io/external-ip": "100.64.7.9", "k3s.io/internal-ip": "10.1.2.3" } },
        "status": { "addresses": [] }
    }));
    let bare = node(json!({ "metadata": { "name": "empty" } }));
    let garbage = node(
        json!({ "metadata": { "name": "bad", "annotations": { "oceanid.io/egress-ip": "not-an-ip" } } }),
    );
    let report = nodes_report(&[annotated, cgnat, bare, garbage]);
    let by_name = |n: &str| {
        report
            .nodes
            .iter()
            .find(|x| x.name == n)
            .expect("node present")
    };

    let calypso = by_name("calypso");
    assert_eq!(calypso.egress_address.as_deref(), Some("203.0.113.50"));
    assert_eq!(calypso.egress_source, EgressSource::Annotation);
    assert!(
        calypso.egress_detail.contains("documentation"),
        "the override is taken but flagged: {}",
        calypso.egress_detail
    );

    let ts = by_name("ts-node");
    assert_eq!(ts.egress_address, None, "CGNAT 100.64.0.0/10 is not public");
    assert!(
        ts.egress_detail
            .contains("100.64.7.9 (shared address space / CGNAT"),
        "{}",
        ts.egress_detail
    );

    let empty = by_name("empty");
    assert_eq!(empty.egress_address, None);
    assert!(!empty.ready);
    assert!(
        empty.egress_detail.contains("reports no addresses at all"),
        "{}",
        empty.egress_detail
    );

    let bad = by_name("bad");
    assert_eq!(bad.egress_address, None);
    assert!(
        bad.egress_detail.contains("is not an IP address")
            && bad.egress_detail.contains("--overwrite"),
        "{}",
        bad.egress_detail
    );
}

#[test]
fn dual_stack_annotations_prefer_ipv4_and_deduplicate() {
    let n = node(json!({
        "metadata": { "name": "ds", "annotations": { "k3s.io/external-ip": "2a02:c207::9, 191.101.1.3" } },
        "status": { "addresses": [ { "type": "ExternalIP", "address": "191.101.1.3" } ] }
    }));
    let report = nodes_report(&[n]);
    assert_eq!(
        report.nodes[0].external_addresses,
        ["191.101.1.3", "2a02:c207::9"]
    );
    assert_eq!(
        report.nodes[0].egress_address.as_deref(),
        Some("191.101.1.3")
    );
    assert!(report.ok);
}

#[test]
fn the_fixture_decodes_as_k8s_openapi_nodes() {
    let nodes: Vec<Node> = items("nodes.json");
    assert_eq!(nodes.len(), 3);
}
