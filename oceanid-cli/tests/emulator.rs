//! The `oceanid` binary against `oceanid-emulator`'s Kubernetes API, through the https
//! kubeconfig the emulator writes (its own CA, bearer token): kube-rs speaking to a server that
//! real kubectl also accepts, the seeded cluster, injected breakage, `preflight --fix` and
//! `--fix --yes` checked against the emulator's state, exit codes 0/1/2 and `--json`.

use std::process::Output;

use oceanid_emulator::EmulatorConfig;
use serde_json::{Value, json};

mod support;
use support::{assert_exit, run_oceanid, stderr, stdout};
#[path = "support/emulated.rs"]
mod emulated;
use emulated::Emulated;

/// Distinctive, so a leak shows up in any output.
const TOKEN: &str = "kube-Distinctive-Okapi-6174";

/// The emulator with its kubeconfig.
type Cluster = Emulated;

impl Cluster {
    /// The emulator, seeded as the operators' cluster, with [`TOKEN`] as admin token.
    async fn seeded() -> Cluster {
        Emulated::start(EmulatorConfig {
            kubernetes_token: TOKEN.to_owned(),
            ..EmulatorConfig::default()
        })
        .await
    }

    /// Runs `oceanid --kubeconfig <the emulator's> ARGS`.
    async fn oceanid(&self, args: &[&str]) -> Output {
        let mut all = vec!["--kubeconfig", self.path()];
        all.extend_from_slice(args);
        oceanid(&all).await
    }

    fn helm_managed_deployments(&self) -> Vec<Value> {
        self.emu.state()["kubernetes"]["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .filter(|o| {
                o["kind"] == "Deployment"
                    && o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
            })
            .cloned()
            .collect()
    }
}

async fn oceanid(args: &[&str]) -> Output {
    run_oceanid(args, TOKEN).await
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("--json is not JSON ({e}): {}", stdout(out)))
}

#[tokio::test]
async fn the_kubeconfig_is_https_with_the_emulators_ca() {
    let cluster = Cluster::seeded().await;
    let text = std::fs::read_to_string(cluster.path()).expect("kubeconfig");
    assert!(text.contains("server: \"https://127.0.0.1:"), "{text}");
    assert!(text.contains("certificate-authority-data: "), "{text}");
    // kube-rs verified the server against that CA: a list call went through.
    assert_exit(&cluster.oceanid(&["flux-health"]).await, 0);
}

#[tokio::test]
async fn nodes_exit_1_until_calypso_has_an_egress_address() {
    let cluster = Cluster::seeded().await;
    let out = cluster.oceanid(&["nodes"]).await;
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("157.173.210.123"), "{text}");
    assert!(text.contains("191.101.1.3"), "{text}");
    assert!(
        text.contains("kubectl annotate node calypso oceanid.io/egress-ip=<addr>"),
        "{text}"
    );
    let report = json_of(&cluster.oceanid(&["nodes", "--json"]).await);
    let names: Vec<&str> = report["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names, ["calypso", "srv712429", "srv712695"]);
    assert_eq!(report["ok"], false);

    let mut calypso = cluster.object("Node", None, "calypso");
    calypso["metadata"]["annotations"]["oceanid.io/egress-ip"] = json!("203.0.113.40");
    cluster.put(&calypso).await;
    let out = cluster.oceanid(&["nodes", "--json"]).await;
    assert_exit(&out, 0);
    let report = json_of(&out);
    assert_eq!(report["nodes"][0]["egressAddress"], "203.0.113.40");
    assert_eq!(report["nodes"][0]["egressSource"], "annotation");
}

#[tokio::test]
async fn flux_health_exit_0_healthy_then_1_with_a_controller_down() {
    let cluster = Cluster::seeded().await;
    let out = cluster.oceanid(&["flux-health"]).await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("Flux is healthy"), "{}", stdout(&out));
    let report = json_of(&cluster.oceanid(&["flux-health", "--json"]).await);
    assert_eq!(report["ok"], true);
    assert_eq!(report["controllers"].as_array().map(Vec::len), Some(6));

    let mut helm = cluster.object("Deployment", Some("flux-system"), "helm-controller");
    helm["status"]["availableReplicas"] = json!(0);
    helm["status"]["readyReplicas"] = json!(0);
    cluster.put(&helm).await;
    let out = cluster.oceanid(&["flux-health", "--json"]).await;
    assert_exit(&out, 1);
    let report = json_of(&out);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["ok"] == false)
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|n| n.contains("helm-controller")),
        "{failed:?}"
    );
}

#[tokio::test]
async fn preflight_fix_yes_removes_only_what_the_plan_named() {
    let cluster = Cluster::seeded().await;
    assert_exit(&cluster.oceanid(&["preflight"]).await, 0);

    let managed = cluster.helm_managed_deployments();
    assert!(managed.len() >= 2, "the seed has Helm-managed Deployments");
    let mut conflict = managed[0].clone();
    conflict["metadata"]["annotations"]["meta.helm.sh/release-name"] = json!("old-release");
    cluster.put(&conflict).await;
    let namespace = conflict["metadata"]["namespace"].as_str().expect("ns");
    let name = conflict["metadata"]["name"].as_str().expect("name");

    // The plan alone: exit 1, printed, nothing changed.
    let out = cluster.oceanid(&["preflight", "--fix"]).await;
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("BLOCKING  Deployment {namespace}/{name}")),
        "{text}"
    );
    assert!(
        text.contains("Fix plan (nothing changes without --yes)"),
        "{text}"
    );
    let unchanged = cluster.object("Deployment", Some(namespace), name);
    assert_eq!(
        unchanged["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "old-release"
    );
    let plan = json_of(&cluster.oceanid(&["preflight", "--json"]).await);
    let planned: Vec<&str> = plan["fixPlan"]
        .as_array()
        .expect("fixPlan")
        .iter()
        .filter_map(|a| a["object"]["name"].as_str())
        .collect();
    assert_eq!(planned, [name]);

    // --yes: exactly that object loses its Helm ownership metadata; the others keep theirs.
    let out = cluster
        .oceanid(&["preflight", "--fix", "--yes", "--json"])
        .await;
    assert_exit(&out, 0);
    let body = json_of(&out);
    assert_eq!(
        body["applied"][0]["action"]["action"],
        "removeHelmOwnership"
    );
    let fixed = cluster.object("Deployment", Some(namespace), name);
    assert!(
        fixed["metadata"]["labels"]
            .get("app.kubernetes.io/managed-by")
            .is_none(),
        "{fixed}"
    );
    assert!(
        fixed["metadata"]["annotations"]
            .get("meta.helm.sh/release-name")
            .is_none(),
        "{fixed}"
    );
    for other in &managed[1..] {
        let o = cluster.object(
            "Deployment",
            other["metadata"]["namespace"].as_str(),
            other["metadata"]["name"].as_str().expect("name"),
        );
        assert_eq!(o["metadata"]["labels"], other["metadata"]["labels"]);
        assert_eq!(
            o["metadata"]["annotations"],
            other["metadata"]["annotations"]
        );
    }
    assert_exit(&cluster.oceanid(&["preflight"]).await, 0);
}

#[tokio::test]
async fn could_not_check_is_exit_2() {
    let cluster = Cluster::seeded().await;
    let out = cluster
        .oceanid(&["--context", "production", "flux-health"])
        .await;
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("production") && err.contains("oceanid-emulator"),
        "{err}"
    );

    // The viewer (Kubernetes' `view` role) cannot list Secrets, which the preflight reads.
    let viewer = tempfile::NamedTempFile::new().expect("temp file");
    let text = std::fs::read_to_string(cluster.path()).expect("kubeconfig");
    std::fs::write(
        viewer.path(),
        text.replace(TOKEN, "oceanid-emulator-viewer"),
    )
    .expect("write");
    let path = viewer.path().to_str().expect("path");
    let out = oceanid(&["--kubeconfig", path, "preflight"]).await;
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("list") && err.contains("secrets"), "{err}");
    assert_exit(&oceanid(&["--kubeconfig", path, "nodes"]).await, 1);
}

#[tokio::test]
async fn one_list_call_per_kind_and_no_get_per_object() {
    let cluster = Cluster::seeded().await;
    assert_exit(&cluster.oceanid(&["flux-health"]).await, 0);
    assert_exit(&cluster.oceanid(&["preflight"]).await, 0);
    let requests = cluster.emu.state()["kubernetes"]["requests"].clone();
    let requests = requests.as_object().expect("request counts");
    assert!(!requests.is_empty());
    for (route, count) in requests {
        assert!(route.starts_with("GET "), "{route}: nothing but reads");
        // Each command lists a kind once: two commands, at most two calls per route.
        assert!(count.as_u64() <= Some(2), "{route}: {count} calls");
        // A list path ends with the kind's plural, never an object's name.
        let last = route.rsplit('/').next().unwrap_or_default();
        assert!(
            last.ends_with('s') || route == "GET /api" || route == "GET /apis",
            "{route}: a GET per object"
        );
    }
    assert_eq!(requests["GET /apis/apps/v1/deployments"], 2, "{requests:?}");
}
