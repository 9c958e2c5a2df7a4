//! The preflight through the scripted server: the exact list calls, each finding, the fix plan,
//! and a fix that changes only what the plan named.

use std::io::Write;

use base64::Engine;
use http::Method;
use oceanid_core::kubernetes::{FindingCategory, FixKind, Severity, failed};
use serde_json::{Value, json};

use super::api_server::{Exchange, scripted};
use super::fixtures::{page, values};

const HELM: (&str, &str) = ("labelSelector", "app.kubernetes.io/managed-by=Helm");

struct Cluster {
    helm_releases: Vec<Value>,
    secrets: Vec<Value>,
    crds: Vec<Value>,
    deployments: Vec<Value>,
    pods: Vec<Value>,
}

fn seeded() -> Cluster {
    Cluster {
        helm_releases: values("helmreleases.json"),
        secrets: values("release-secrets.json"),
        crds: vec![],
        deployments: values("helm-deployments.json"),
        pods: values("flux-pods.json"),
    }
}

fn script(c: &Cluster) -> Vec<Exchange> {
    let empty = page(&[], None);
    vec![
        Exchange::list(
            "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
            &[],
            &page(&c.helm_releases, None),
        ),
        Exchange::list(
            "/api/v1/secrets",
            &[
                ("labelSelector", "owner=helm"),
                ("fieldSelector", "type=helm.sh/release.v1"),
            ],
            &page(&c.secrets, None),
        ),
        Exchange::list("/api/v1/namespaces", &[HELM], &empty),
        Exchange::list(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            &[HELM],
            &page(&c.crds, None),
        ),
        Exchange::list(
            "/apis/apps/v1/deployments",
            &[HELM],
            &page(&c.deployments, None),
        ),
        Exchange::list("/api/v1/services", &[HELM], &empty),
        Exchange::list("/api/v1/configmaps", &[HELM], &empty),
        Exchange::list("/api/v1/secrets", &[HELM], &empty),
        Exchange::list("/api/v1/serviceaccounts", &[HELM], &empty),
        Exchange::list("/api/v1/pods", &[], &page(&c.pods, None)),
    ]
}

fn release_secret(name: &str, namespace: &str, version: i64, status: &str) -> Value {
    let body = json!({ "name": name, "namespace": namespace, "version": version, "info": { "status": status } });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.to_string().as_bytes()).expect("gzip");
    let helm = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": { "name": format!("sh.helm.release.v1.{name}.v{version}"), "namespace": namespace,
                      "uid": format!("uid-{name}-{version}"), "resourceVersion": "901",
                      "labels": { "owner": "helm", "name": name, "status": status, "version": version.to_string() } },
        "data": { "release": base64::engine::general_purpose::STANDARD.encode(helm) }
    })
}

#[tokio::test]
async fn the_seeded_cluster_is_safe_to_deploy() {
    let s = scripted(script(&seeded()));
    let report = s.cluster.preflight().await.expect("preflight");
    s.finish().await;
    assert!(report.ok, "{:#?}", report.findings);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.fix_plan.is_empty());
    assert!(report.checks.iter().all(|c| c.ok));
    assert_eq!(report.checks.len(), 6);
}

#[tokio::test]
async fn ownership_conflicts_block_and_say_flux_moves_them_silently() {
    let mut c = seeded();
    // podinfo's Deployment still names the release as plain Helm called it, while Flux renders
    // it as release apps-podinfo.
    c.deployments[0]["metadata"]["annotations"]["meta.helm.sh/release-name"] = "podinfo".into();
    c.secrets
        .push(release_secret("podinfo", "apps", 4, "deployed"));
    // An object left behind by a release that no longer exists.
    c.deployments.push(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "legacy-api", "namespace": "apps", "uid": "uid-legacy", "resourceVersion": "77",
                      "labels": { "app.kubernetes.io/managed-by": "Helm", "app": "legacy-api" },
                      "annotations": { "meta.helm.sh/release-name": "legacy", "meta.helm.sh/release-namespace": "apps" } }
    }));
    c.crds.push(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": { "name": "widgets.example.io", "uid": "uid-crd", "resourceVersion": "5",
                      "labels": { "app.kubernetes.io/managed-by": "Helm", "helm.toolkit.fluxcd.io/name": "labelfish", "helm.toolkit.fluxcd.io/namespace": "apps" },
                      "annotations": { "meta.helm.sh/release-name": "widgets", "meta.helm.sh/release-namespace": "kube-system" } }
    }));
    c.secrets
        .push(release_secret("labelfish", "apps", 2, "pending-upgrade"));
    c.secrets.push(json!({ "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": { "name": "sh.helm.release.v1.broken.v1", "namespace": "apps", "labels": { "owner": "helm" } },
        "data": { "release": base64::engine::general_purpose::STANDARD.encode("%%%") } }));
    c.helm_releases.push(json!({ "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": { "name": "fresh", "namespace": "apps", "generation": 1 }, "spec": {}, "status": {} }));
    c.pods = values("app-pods.json");

    let s = scripted(script(&c));
    let report = s.cluster.preflight().await.expect("preflight");
    s.finish().await;
    assert!(!report.ok);

    let blocking: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Blocking)
        .collect();
    assert_eq!(blocking.len(), 2, "{blocking:#?}");
    let podinfo = blocking
        .iter()
        .find(|f| f.object.as_ref().is_some_and(|o| o.name == "podinfo"))
        .expect("podinfo");
    assert!(
        podinfo
            .detail
            .contains("HelmRelease flux-system/podinfo renders it as release apps-podinfo in apps"),
        "{}",
        podinfo.detail
    );
    assert!(
        podinfo.detail.contains("takes ownership silently"),
        "{}",
        podinfo.detail
    );
    assert!(
        podinfo
            .detail
            .contains("release podinfo, still deployed, may delete or overwrite it"),
        "{}",
        podinfo.detail
    );
    let legacy = blocking
        .iter()
        .find(|f| f.object.as_ref().is_some_and(|o| o.name == "legacy-api"))
        .expect("legacy");
    assert!(
        legacy
            .detail
            .contains("name release legacy in apps, which has no deployed revision"),
        "{}",
        legacy.detail
    );

    let info: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].category, FindingCategory::CrdOwnership);
    assert!(info[0].detail.contains("informational"));

    let warnings: Vec<FindingCategory> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| f.category)
        .collect();
    for expected in [
        FindingCategory::PendingRelease,
        FindingCategory::UndecodableRelease,
        FindingCategory::NeverInstalled,
        FindingCategory::CrashLoop,
    ] {
        assert!(
            warnings.contains(&expected),
            "{expected:?} missing from {warnings:?}"
        );
    }
    assert_eq!(report.crash_loops.len(), 1);
    assert_eq!(report.crash_loops[0].restarts, 14);
    assert_eq!(report.crash_loops[0].node.as_deref(), Some("calypso"));
    assert_eq!(report.crash_loops[0].last_exit_code, Some(1));

    let plan: Vec<(FixKind, String)> = report
        .fix_plan
        .iter()
        .map(|a| (a.action, a.object.to_string()))
        .collect();
    assert_eq!(
        plan,
        [
            (
                FixKind::RemoveHelmOwnership,
                "Deployment apps/legacy-api".to_owned()
            ),
            (
                FixKind::DeleteReleaseSecret,
                "Secret apps/sh.helm.release.v1.labelfish.v2".to_owned()
            ),
        ]
    );
    let failed: Vec<&str> = failed(&report.checks).map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["helm ownership"]);
    let crash = report
        .checks
        .iter()
        .find(|c| c.name == "crash loops")
        .expect("crash check");
    assert!(
        crash.ok && crash.detail.starts_with("warning:"),
        "{}",
        crash.detail
    );

    // The fix: one GET and one PUT for the object, one DELETE with preconditions for the Secret.
    let mut legacy_now = c.deployments[2].clone();
    legacy_now["spec"] = json!({ "replicas": 1 });
    let s = scripted(vec![
        Exchange::get(
            "/apis/apps/v1/namespaces/apps/deployments/legacy-api",
            &[],
            &legacy_now,
        ),
        Exchange::get(
            "/apis/apps/v1/namespaces/apps/deployments/legacy-api",
            &[],
            &legacy_now,
        )
        .method(Method::PUT),
        Exchange::get(
            "/api/v1/namespaces/apps/secrets/sh.helm.release.v1.labelfish.v2",
            &[],
            &json!({"kind":"Status","status":"Success"}),
        )
        .method(Method::DELETE),
    ]);
    let outcomes = s.cluster.apply_fix(&report.fix_plan).await.expect("fix");
    let bodies = s.finish().await;
    assert_eq!(outcomes.len(), 2);
    let put: Value = serde_json::from_slice(&bodies[1]).expect("PUT body");
    assert_eq!(put["metadata"]["labels"], json!({ "app": "legacy-api" }));
    assert_eq!(put["metadata"]["annotations"], json!({}));
    assert_eq!(put["metadata"]["resourceVersion"], "77");
    assert_eq!(
        put["spec"],
        json!({ "replicas": 1 }),
        "nothing else changes"
    );
    let delete: Value = serde_json::from_slice(&bodies[2]).expect("DELETE body");
    assert_eq!(
        delete["preconditions"],
        json!({ "uid": "uid-labelfish-2", "resourceVersion": "901" })
    );
}

#[tokio::test]
async fn a_fix_refuses_an_object_that_changed_since_the_plan() {
    let mut c = seeded();
    c.deployments.push(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "legacy-api", "namespace": "apps", "uid": "uid-legacy", "resourceVersion": "77",
                      "labels": { "app.kubernetes.io/managed-by": "Helm" },
                      "annotations": { "meta.helm.sh/release-name": "legacy", "meta.helm.sh/release-namespace": "apps" } }
    }));
    let s = scripted(script(&c));
    let report = s.cluster.preflight().await.expect("preflight");
    s.finish().await;
    let mut changed = c.deployments[2].clone();
    changed["metadata"]["resourceVersion"] = "78".into();
    let s = scripted(vec![Exchange::get(
        "/apis/apps/v1/namespaces/apps/deployments/legacy-api",
        &[],
        &changed,
    )]);
    let err = s
        .cluster
        .apply_fix(&report.fix_plan)
        .await
        .expect_err("conflict");
    s.finish().await;
    assert!(
        err.to_string()
            .contains("Deployment apps/legacy-api changed since the plan was made"),
        "{err}"
    );
}
