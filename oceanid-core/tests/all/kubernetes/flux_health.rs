//! Flux health through the scripted server: the exact list calls and every failure the report
//! names.

use serde_json::Value;

use super::api_server::{Exchange, scripted};
use super::fixtures::{list, page, values};

const FLUX_SELECTOR: (&str, &str) = ("labelSelector", "app.kubernetes.io/part-of=flux");

fn script(
    deployments: &[Value],
    pods: &[Value],
    git: &[Value],
    ks: &[Value],
    hr: &[Value],
) -> Vec<Exchange> {
    vec![
        Exchange::list(
            "/apis/apps/v1/deployments",
            &[FLUX_SELECTOR],
            &page(deployments, None),
        ),
        Exchange::list(
            "/api/v1/namespaces/flux-system/pods",
            &[],
            &page(pods, None),
        ),
        Exchange::list(
            "/apis/source.toolkit.fluxcd.io/v1/gitrepositories",
            &[],
            &page(git, None),
        ),
        Exchange::list(
            "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
            &[],
            &page(ks, None),
        ),
        Exchange::list(
            "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
            &[],
            &page(hr, None),
        ),
    ]
}

#[tokio::test]
async fn a_healthy_flux_2_6_4_passes_every_check() {
    let s = scripted(script(
        &values("flux-deployments.json"),
        &values("flux-pods.json"),
        &values("gitrepositories.json"),
        &values("kustomizations.json"),
        &values("helmreleases.json"),
    ));
    let report = s.cluster.flux_health().await.expect("flux health");
    s.finish().await;
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    assert!(report.ok, "{failed:?}");
    assert_eq!(report.controllers.len(), 6);
    assert_eq!(report.checks.len(), 6 + 4);
    let source = &report.controllers[0];
    assert_eq!(source.images, ["ghcr.io/fluxcd/source-controller:v1.6.2"]);
    assert_eq!(
        (
            source.pods_running,
            source.pods_total,
            source.available_replicas
        ),
        (1, 1, 1)
    );
    let ks = report
        .objects
        .iter()
        .find(|o| o.kind == "Kustomization")
        .expect("kustomization");
    assert_eq!(
        ks.revision.as_deref(),
        Some("main@sha1:4f1e7c2b9a0d3e5f6a7b8c9d0e1f2a3b4c5d6e7f")
    );
}

#[tokio::test]
async fn each_fault_is_a_failed_check_that_says_what_is_wrong() {
    let mut deployments = values("flux-deployments.json");
    deployments.retain(|d| d["metadata"]["name"] != "image-automation-controller");
    deployments[1]["status"]["availableReplicas"] = 0.into();
    let mut pods = values("flux-pods.json");
    pods[2]["status"]["phase"] = "Pending".into();
    let mut git = values("gitrepositories.json");
    git[0]["metadata"]["generation"] = 2.into();
    let mut ks = values("kustomizations.json");
    ks[0]["status"]["lastAppliedRevision"] =
        "main@sha1:0000000000000000000000000000000000000000".into();
    ks[0]["spec"]["suspend"] = true.into();
    let mut hr = values("helmreleases.json");
    hr[1]["status"]["history"] = Value::Array(vec![]);
    hr[1]["status"]["conditions"] = serde_json::json!([
        { "type": "Ready", "status": "False", "reason": "InstallFailed", "message": "install retries exhausted", "observedGeneration": 1 },
        { "type": "Stalled", "status": "True", "reason": "RetriesExceeded", "message": "Failed to install after 1 attempt(s)", "observedGeneration": 1 }
    ]);
    let s = scripted(script(&deployments, &pods, &git, &ks, &hr));
    let report = s.cluster.flux_health().await.expect("flux health");
    s.finish().await;
    assert!(!report.ok);
    let detail = |name: &str| -> String {
        let check = report
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("check {name}"));
        assert!(!check.ok, "{name} should fail: {}", check.detail);
        check.detail.clone()
    };
    assert!(detail("controller image-automation-controller").contains("not found"));
    assert!(detail("controller kustomize-controller").starts_with("0/1 available"));
    assert!(detail("controller helm-controller").contains("0/1 pods Running"));
    assert!(
        detail("GitRepository flux-system/flux-system")
            .contains("older generation (observed 1, current 2)")
    );
    let k = detail("Kustomization flux-system/flux-system");
    assert!(
        k.contains("suspended")
            && k.contains("differs from its source GitRepository flux-system/flux-system"),
        "{k}"
    );
    let h = detail("HelmRelease apps/labelfish");
    assert!(
        h.contains("Ready=False (InstallFailed)")
            && h.contains("Stalled=True")
            && h.contains("no release history"),
        "{h}"
    );
    assert!(
        report
            .checks
            .iter()
            .find(|c| c.name == "HelmRelease flux-system/podinfo")
            .is_some_and(|c| c.ok)
    );
}

#[tokio::test]
async fn flux_not_installed_is_a_report_not_an_error() {
    let not_found = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}"#;
    let s = scripted(vec![
        Exchange::list(
            "/apis/apps/v1/deployments",
            &[FLUX_SELECTOR],
            &list("nodes.json"),
        )
        .answer(
            200,
            "application/json",
            r#"{"apiVersion":"v1","kind":"List","metadata":{},"items":[]}"#,
        ),
        Exchange::list(
            "/apis/source.toolkit.fluxcd.io/v1/gitrepositories",
            &[],
            &Value::Null,
        )
        .answer(404, "application/json", not_found),
        Exchange::list(
            "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
            &[],
            &Value::Null,
        )
        .answer(404, "application/json", not_found),
        Exchange::list(
            "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
            &[],
            &Value::Null,
        )
        .answer(404, "application/json", not_found),
    ]);
    let report = s.cluster.flux_health().await.expect("a report");
    s.finish().await;
    assert!(!report.ok);
    let missing = report
        .checks
        .iter()
        .find(|c| c.name == "GitRepository objects")
        .expect("check");
    assert!(
        missing
            .detail
            .contains("gitrepositories.source.toolkit.fluxcd.io")
            && missing.detail.contains("CRDs are not installed")
    );
    assert!(report.controllers.iter().all(|c| !c.found));
}
