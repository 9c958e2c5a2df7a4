//! The `oceanid` binary: argument handling, exit codes and rendering, against a loopback API
//! server that answers with the `kubectl get -o json` fixtures of oceanid-core.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

mod support;
use support::{assert_exit, run_oceanid, stderr, stdout};

/// Distinctive, so a leak shows up in any output.
const TOKEN: &str = "tok-Distinctive-Narwhal-2290";

fn fixture(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../oceanid-core/tests/all/kubernetes/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let list: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    list["items"].as_array().cloned().unwrap_or_default()
}

fn list(items: Vec<Value>) -> Value {
    json!({ "apiVersion": "v1", "kind": "List", "metadata": { "resourceVersion": "1" }, "items": items })
}

/// Answers `(path, labelSelector)` from a table and logs every request as `METHOD path?query`.
#[derive(Clone, Default)]
struct FakeApi {
    answers: Arc<Mutex<BTreeMap<String, Value>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl FakeApi {
    fn seeded() -> Self {
        let api = Self::default();
        let flux = "app.kubernetes.io/part-of=flux";
        let helm = "app.kubernetes.io/managed-by=Helm";
        for (path, selector, file) in [
            ("/api/v1/nodes", "", "nodes.json"),
            ("/apis/apps/v1/deployments", flux, "flux-deployments.json"),
            ("/api/v1/namespaces/flux-system/pods", "", "flux-pods.json"),
            (
                "/apis/source.toolkit.fluxcd.io/v1/gitrepositories",
                "",
                "gitrepositories.json",
            ),
            (
                "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
                "",
                "kustomizations.json",
            ),
            (
                "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
                "",
                "helmreleases.json",
            ),
            ("/api/v1/secrets", "owner=helm", "release-secrets.json"),
            ("/apis/apps/v1/deployments", helm, "helm-deployments.json"),
            ("/api/v1/pods", "", "flux-pods.json"),
        ] {
            api.set(path, selector, list(fixture(file)));
        }
        for path in [
            "/api/v1/namespaces",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            "/api/v1/services",
            "/api/v1/configmaps",
            "/api/v1/secrets",
            "/api/v1/serviceaccounts",
        ] {
            api.set(path, helm, list(vec![]));
        }
        api
    }

    fn set(&self, path: &str, selector: &str, body: Value) {
        self.answers
            .lock()
            .expect("lock")
            .insert(format!("{path}|{selector}"), body);
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().expect("lock").clone()
    }

    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Router::new().fallback(answer).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }
}

async fn answer(State(api): State<FakeApi>, request: Request) -> Response {
    let uri = request.uri().clone();
    let method = request.method().clone();
    api.log
        .lock()
        .expect("lock")
        .push(format!("{method} {uri}"));
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"kind":"Status","status":"Failure","reason":"Unauthorized","code":401}),
            ),
        )
            .into_response();
    }
    let selector = uri
        .query()
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("labelSelector="))
        })
        .map(|s| s.replace("%3D", "=").replace("%2F", "/"))
        .unwrap_or_default();
    let found = api
        .answers
        .lock()
        .expect("lock")
        .get(&format!("{}|{selector}", uri.path()))
        .cloned();
    match (method.as_str(), found) {
        ("GET", Some(body)) => axum::Json(body).into_response(),
        ("PUT", _) => {
            let bytes = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
            (StatusCode::OK, bytes).into_response()
        }
        ("DELETE", _) => axum::Json(json!({"kind":"Status","status":"Success"})).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"kind":"Status","status":"Failure","reason":"NotFound","message":"the server could not find the requested resource","code":404})),
        )
            .into_response(),
    }
}

fn kubeconfig(server: &str) -> tempfile::NamedTempFile {
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: tethys\nclusters:\n- name: tethys\n  cluster:\n    server: {server}\n\
         contexts:\n- name: tethys\n  context:\n    cluster: tethys\n    user: admin\n\
         users:\n- name: admin\n  user:\n    token: {TOKEN}\n"
    );
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text).expect("write kubeconfig");
    file
}

async fn oceanid(args: &[&str]) -> Output {
    run_oceanid(args, TOKEN).await
}

/// The seeded fake API server and a kubeconfig pointing at it.
async fn seeded_cluster() -> (FakeApi, tempfile::NamedTempFile) {
    let api = FakeApi::seeded();
    let file = kubeconfig(&api.start().await);
    (api, file)
}

#[tokio::test]
async fn help_is_there_for_every_command() {
    for args in [
        vec!["--help"],
        vec!["preflight", "--help"],
        vec!["flux-health", "--help"],
        vec!["nodes", "--help"],
        vec!["verify-db", "--help"],
    ] {
        let out = oceanid(&args).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&out).contains("Usage: oceanid"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
    let out = oceanid(&["preflight", "--help"]).await;
    assert!(
        stdout(&out).contains("--fix")
            && stdout(&out).contains("--yes")
            && stdout(&out).contains("--kubeconfig")
    );
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let out = oceanid(&["preflight", "--yes"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--fix"), "{}", stderr(&out));
    assert_eq!(oceanid(&["no-such-command"]).await.status.code(), Some(2));
    assert_eq!(oceanid(&[]).await.status.code(), Some(2));
}

#[tokio::test]
async fn a_bad_kubeconfig_or_context_could_not_check() {
    let out = oceanid(&["nodes"]).await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("no kubeconfig found: pass --kubeconfig PATH, set KUBECONFIG"),
        "{}",
        stderr(&out)
    );

    let out = oceanid(&["nodes", "--kubeconfig", "/nonexistent/kubeconfig"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read kubeconfig /nonexistent/kubeconfig"),
        "{}",
        stderr(&out)
    );

    let file = kubeconfig("http://127.0.0.1:9");
    let path = file.path().to_str().expect("utf-8 path");
    let out = oceanid(&[
        "flux-health",
        "--kubeconfig",
        path,
        "--context",
        "styx",
        "--json",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    let body: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(body["ok"], false);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("it has: tethys")),
        "{body}"
    );
}

#[tokio::test]
async fn an_unreachable_server_could_not_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let file = kubeconfig(&server);
    let out = oceanid(&[
        "--kubeconfig",
        file.path().to_str().expect("path"),
        "preflight",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("cannot reach the Kubernetes API server {server}")),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn nodes_exit_1_while_a_node_has_no_egress_address_then_0() {
    let (api, file) = seeded_cluster().await;
    let path = file.path().to_str().expect("path");
    let out = oceanid(&["nodes", "--kubeconfig", path]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("NAME       ROLES                        READY  INTERNAL"),
        "{text}"
    );
    assert!(text.contains("calypso    worker                       yes    192.168.2.20                          -            MISSING"), "{text}");
    assert!(text.contains("MISSING"), "{text}");
    assert!(
        text.contains("kubectl annotate node calypso oceanid.io/egress-ip=<addr>"),
        "{text}"
    );
    assert!(
        text.contains("1 of 3 nodes have no known egress address"),
        "{text}"
    );
    assert_eq!(api.requests(), ["GET /api/v1/nodes?&limit=500"]);

    let mut nodes = fixture("nodes.json");
    nodes[2]["metadata"]["annotations"]["oceanid.io/egress-ip"] = "80.187.64.12".into();
    api.set("/api/v1/nodes", "", list(nodes));
    let out = oceanid(&["nodes", "--kubeconfig", path, "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["nodes"][0]["egressAddress"], "80.187.64.12");
    assert_eq!(report["nodes"][0]["egressSource"], "annotation");
}

#[tokio::test]
async fn flux_health_exit_codes_follow_the_report() {
    let (api, file) = seeded_cluster().await;
    let path = file.path().to_str().expect("path");
    let out = oceanid(&["--kubeconfig", path, "flux-health"]).await;
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("source-controller            yes      1/1        1/1      ghcr.io/fluxcd/source-controller:v1.6.2"), "{text}");
    assert!(text.ends_with("Flux is healthy\n"), "{text}");

    let mut deployments = fixture("flux-deployments.json");
    deployments.retain(|d| d["metadata"]["name"] != "helm-controller");
    api.set(
        "/apis/apps/v1/deployments",
        "app.kubernetes.io/part-of=flux",
        list(deployments),
    );
    let out = oceanid(&["--kubeconfig", path, "flux-health"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("✗ controller helm-controller: Deployment helm-controller with label"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn preflight_fix_prints_its_plan_and_changes_nothing_without_yes() {
    let (api, file) = seeded_cluster().await;
    let path = file.path().to_str().expect("path");
    let out = oceanid(&["--kubeconfig", path, "preflight"]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("safe to deploy (0 warning(s))"),
        "{}",
        stdout(&out)
    );

    let mut managed = fixture("helm-deployments.json");
    let legacy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "legacy-api", "namespace": "apps", "uid": "uid-legacy", "resourceVersion": "77",
                      "labels": { "app.kubernetes.io/managed-by": "Helm" },
                      "annotations": { "meta.helm.sh/release-name": "legacy", "meta.helm.sh/release-namespace": "apps" } }
    });
    managed.push(legacy.clone());
    api.set(
        "/apis/apps/v1/deployments",
        "app.kubernetes.io/managed-by=Helm",
        list(managed),
    );
    api.set(
        "/apis/apps/v1/namespaces/apps/deployments/legacy-api",
        "",
        legacy,
    );

    let out = oceanid(&["--kubeconfig", path, "preflight", "--fix"]).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("BLOCKING  Deployment apps/legacy-api"),
        "{text}"
    );
    assert!(text.contains("Fix plan (nothing changes without --yes):\n  1. remove label app.kubernetes.io/managed-by"), "{text}");
    assert!(text.contains("BLOCKED: 1 blocking finding(s)"), "{text}");
    assert!(
        api.requests()
            .iter()
            .all(|r| r.starts_with("GET ") && r.contains("limit=500")),
        "{:?}",
        api.requests()
    );

    let before = api.requests().len();
    let out = oceanid(&[
        "--kubeconfig",
        path,
        "preflight",
        "--fix",
        "--yes",
        "--json",
    ])
    .await;
    let changes: Vec<String> = api.requests()[before..]
        .iter()
        .filter(|r| !r.starts_with("GET "))
        .cloned()
        .collect();
    assert_eq!(
        changes,
        ["PUT /apis/apps/v1/namespaces/apps/deployments/legacy-api?"]
    );
    let body: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        body["applied"][0]["action"]["action"],
        "removeHelmOwnership"
    );
    // The fake server does not keep the change, so the check afterwards still blocks.
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn verify_db_refuses_a_malformed_url_with_exit_2() {
    let out = oceanid(&["verify-db", "mysql://nope"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid PostgreSQL URL"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn refused_credentials_could_not_check_and_name_the_call() {
    let (_api, file) = seeded_cluster().await;
    let wrong = std::fs::read_to_string(file.path())
        .expect("read")
        .replace(TOKEN, "tok-expired");
    std::fs::write(file.path(), wrong).expect("write");
    let out = oceanid(&["--kubeconfig", file.path().to_str().expect("path"), "nodes"]).await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("refused the credentials (401 Unauthorized) to list nodes"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn verify_db_reports_a_failed_login_as_exit_1_without_the_password() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let password = "pw-Distinctive-Heron-5150";
    let url =
        format!("postgres://application:{password}@127.0.0.1:{port}/labelfish?sslmode=disable");
    let out = oceanid(&["verify-db", &url, "--allow-plaintext", "--json"]).await;
    assert_exit(&out, 1);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["checks"][0]["name"], "connect");
    assert_eq!(report["checks"][0]["ok"], false);
    assert!(!stdout(&out).contains(password) && !stderr(&out).contains(password));
}
