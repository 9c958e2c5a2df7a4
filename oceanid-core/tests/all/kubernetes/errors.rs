//! Error answers: 401, 403, a 500 with an HTML body, undecodable JSON. Each is a clear error
//! naming the server, verb and resource, never a panic.

use serde_json::Value;

use super::api_server::{Exchange, SERVER, scripted};

fn status(code: u16, reason: &str, message: &str) -> String {
    serde_json::json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": message, "reason": reason, "code": code })
    .to_string()
}

#[tokio::test]
async fn unauthorized_names_the_call_and_the_fix() {
    let s = scripted(vec![
        Exchange::list("/api/v1/nodes", &[], &Value::Null).answer(
            401,
            "application/json",
            &status(401, "Unauthorized", "Unauthorized"),
        ),
    ]);
    let err = s.cluster.nodes().await.expect_err("401");
    s.finish().await;
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    assert!(
        text.contains(SERVER) && text.contains("401 Unauthorized") && text.contains("list nodes"),
        "{text}"
    );
    assert!(text.contains("refresh the kubeconfig"), "{text}");
}

#[tokio::test]
async fn forbidden_names_the_verb_and_resource_rbac_must_allow() {
    let message = r#"helmreleases.helm.toolkit.fluxcd.io is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "helmreleases" in API group "helm.toolkit.fluxcd.io" at the cluster scope"#;
    let s = scripted(vec![
        Exchange::list(
            "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
            &[],
            &Value::Null,
        )
        .answer(403, "application/json", &status(403, "Forbidden", message)),
    ]);
    let err = s.cluster.preflight().await.expect_err("403");
    s.finish().await;
    assert_eq!(err.status(), Some(403));
    let text = err.to_string();
    assert!(text.contains(r#"grant this identity RBAC verb "list" on resource "helmreleases.helm.toolkit.fluxcd.io""#), "{text}");
}

#[tokio::test]
async fn a_500_with_an_html_body_is_named_as_not_kubernetes_and_cut_short() {
    let html = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "<p>nginx</p>".repeat(200)
    );
    let s = scripted(vec![
        Exchange::list("/api/v1/pods", &[], &Value::Null).answer(500, "text/html", &html),
    ]);
    let err = s.cluster.crash_loops().await.expect_err("500");
    s.finish().await;
    assert_eq!(err.status(), Some(500));
    let text = err.to_string();
    assert!(
        text.contains("answered 500 to list pods") && text.contains("a non-Kubernetes body"),
        "{text}"
    );
    assert!(text.contains("502 Bad Gateway"), "{text}");
    assert!(
        text.len() < 600,
        "the body is cut short: {} chars",
        text.len()
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_list_is_a_decode_error() {
    let s = scripted(vec![
        Exchange::list("/api/v1/nodes", &[], &Value::Null).answer(
            200,
            "application/json",
            r#"{"items": 7}"#,
        ),
    ]);
    let err = s.cluster.nodes().await.expect_err("decode");
    s.finish().await;
    assert!(
        err.to_string().contains("undecodable answer to list nodes"),
        "{err}"
    );
}
