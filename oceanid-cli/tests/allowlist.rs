//! `oceanid allowlist check --network ID` against `oceanid-emulator`, which serves the Bridge
//! firewall and the Kubernetes cluster on one port: the seeded network (allow-all rule, no node
//! rule), then a node missing with a crash-looping pod on it and a foreign rule, then every node
//! covered; and the ways it cannot check (exit 2), with neither the API key nor the Kubernetes
//! token in any output.

use std::process::Output;

use oceanid_emulator::EmulatorConfig;
use serde_json::{Value, json};

mod support;
use support::{assert_exit, run_oceanid, run_oceanid_env, stderr, stdout};
#[path = "support/emulated.rs"]
mod emulated;
use emulated::Emulated;

/// Distinctive, so a leak shows up in any output.
const API_KEY: &str = "cbkey_Distinctive-Pangolin-7731";
const KUBE_TOKEN: &str = "kube-Distinctive-Axolotl-4408";

type Platform = Emulated;

impl Platform {
    async fn seeded() -> Platform {
        Emulated::start(EmulatorConfig {
            api_key: API_KEY.to_owned(),
            kubernetes_token: KUBE_TOKEN.to_owned(),
            ..EmulatorConfig::default()
        })
        .await
    }

    fn network(&self) -> &'static str {
        self.emu.seed().network_id
    }

    /// `oceanid --kubeconfig <the emulator's> allowlist check --network <seeded> EXTRA` with the
    /// key `key` and the emulator as Bridge URL.
    async fn check_with_key(&self, key: &str, extra: &[&str]) -> Output {
        let bridge = [
            ("CRUNCHYBRIDGE_API_KEY", key),
            ("CRUNCHYBRIDGE_API_URL", self.emu.base_url()),
        ];
        check(self.path(), self.network(), extra, &bridge).await
    }

    async fn check(&self, extra: &[&str]) -> Output {
        self.check_with_key(API_KEY, extra).await
    }

    async fn bridge(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emu.base_url()))
            .bearer_auth(API_KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn add_rule(&self, rule: &str, description: &str) -> String {
        let path = format!("/networks/{}/firewall-rules", self.network());
        let made = self
            .bridge(
                reqwest::Method::POST,
                &path,
                Some(json!({ "rule": rule, "description": description })),
            )
            .await;
        made["id"].as_str().expect("a rule id").to_owned()
    }

    async fn drop_allow_all(&self) {
        for id in self.emu.seed().allow_all_rule_ids {
            let path = format!("/networks/{}/firewall-rules/{id}", self.network());
            self.bridge(reqwest::Method::DELETE, &path, None).await;
        }
    }
}

/// `oceanid --kubeconfig KUBECONFIG allowlist check --network NETWORK EXTRA` with the Bridge
/// variables `bridge`; neither the API key nor the Kubernetes token may show in the output.
async fn check(kubeconfig: &str, network: &str, extra: &[&str], bridge: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "--kubeconfig",
        kubeconfig,
        "allowlist",
        "check",
        "--network",
        network,
    ];
    args.extend_from_slice(extra);
    run_oceanid_env(&args, bridge, &[API_KEY, KUBE_TOKEN]).await
}

/// A pod of `labelfish` on `node` whose container cannot reach the database.
fn crash_looping_pod(name: &str, node: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": "apps" },
        "spec": { "nodeName": node, "containers": [ { "name": "api", "image": "labelfish:1.8.0" } ] },
        "status": {
            "phase": "Running",
            "containerStatuses": [ {
                "name": "api", "image": "labelfish:1.8.0", "imageID": "", "ready": false,
                "restartCount": 14,
                "state": { "waiting": { "reason": "CrashLoopBackOff" } },
                "lastState": { "terminated": { "exitCode": 1, "reason": "Error",
                    "message": "connection to p.db.postgresbridge.com:5432 timed out" } }
            } ]
        }
    })
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("--json is not JSON ({e}): {}", stdout(out)))
}

#[tokio::test]
async fn the_seeded_network_has_only_its_allow_all_rule() {
    let p = Platform::seeded().await;
    let out = p.check(&[]).await;
    assert_exit(&out, 1);
    let text = stdout(&out);
    let network = p.network();
    let [v4, v6] = p.emu.seed().allow_all_rule_ids;
    for id in [v4, v6] {
        assert!(
            text.contains(&format!(
                "(`cb network remove-firewall-rule --network {network} --rule {id}`)"
            )),
            "{text}"
        );
    }
    assert!(text.contains("deny_all"), "{text}");
    // The allow-all rule is no cover: both public nodes get their fix.
    assert!(
        text.contains(&format!(
            "cb network add-firewall-rule --network {network} --rule 157.173.210.123/32 \
             --description \"srv712429 - K3s worker node\""
        )),
        "{text}"
    );
    assert!(
        text.ends_with(
            "NOT COVERED: 0 of 3 nodes covered, 2 missing, 1 without a known egress address, \
             and the allow-all rule is present\n"
        ),
        "{text}"
    );
    let report = json_of(&p.check(&["--json"]).await);
    assert_eq!(report["ok"], false);
    let rules: Vec<&str> = report["allowAll"]
        .as_array()
        .expect("allowAll")
        .iter()
        .filter_map(|a| a["rule"].as_str())
        .collect();
    assert_eq!(rules, ["0.0.0.0/0", "::/0"]);
    assert!(
        report["unmatchedRules"]
            .as_array()
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn a_missing_node_gets_its_exact_fix_and_its_crash_looping_pod_is_named() {
    let p = Platform::seeded().await;
    let network = p.network();
    p.drop_allow_all().await;
    let node_rule = p
        .add_rule("157.173.210.123/32", "srv712429 - K3s worker node")
        .await;
    let office = p.add_rule("198.51.100.0/24", "office VPN").await;
    p.put(&crash_looping_pod("labelfish-7c9d-x2k4q", "srv712695"))
        .await;
    p.put(&crash_looping_pod(
        "labelfish-7c9d-healthy-node",
        "srv712429",
    ))
    .await;

    let out = p.check(&[]).await;
    assert_exit(&out, 1);
    let text = stdout(&out);
    let table = format!(
        "network {network}\n\
         NODE       EGRESS           STATUS             RULE\n\
         calypso    -                NO EGRESS ADDRESS  -\n\
         srv712429  157.173.210.123  covered            {node_rule} (157.173.210.123/32)\n\
         srv712695  191.101.1.3      MISSING            -\n"
    );
    assert!(text.starts_with(&table), "{text}");
    let fix = format!(
        "\nMissing: no rule lets these nodes in; any one of the fixes is enough\n\
         \x20 srv712695 (191.101.1.3)\n\
         \x20   FirewallAllowlist entry: {{ address: \"191.101.1.3/32\", description: \"srv712695 - K3s worker node\" }}\n\
         \x20   FirewallRule:            new crunchybridge.FirewallRule(\"allow-srv712695\", {{ networkId: \"{network}\", rule: \"191.101.1.3/32\", description: \"srv712695 - K3s worker node\" }});\n\
         \x20   cb:                      cb network add-firewall-rule --network {network} --rule 191.101.1.3/32 --description \"srv712695 - K3s worker node\"\n"
    );
    assert!(text.contains(&fix), "{text}");
    assert!(
        text.contains(
            "\nNo known egress address: nothing to check or allow until it is known\n  calypso: "
        ),
        "{text}"
    );
    assert!(
        text.contains("kubectl annotate node calypso oceanid.io/egress-ip=<addr>"),
        "{text}"
    );
    assert!(
        text.contains(
            "\nLikely victims: crash-looping pods on nodes the firewall does not let in\n  \
             apps/labelfish-7c9d-x2k4q container api on srv712695: 14 restarts, CrashLoopBackOff, \
             last Error (exit 1): connection to p.db.postgresbridge.com:5432 timed out\n"
        ),
        "{text}"
    );
    assert!(
        !text.contains("labelfish-7c9d-healthy-node"),
        "a pod on a covered node is no victim: {text}"
    );
    assert!(
        text.contains(&format!(
            "\nRules that match no node (informational)\n  {office} 198.51.100.0/24 \"office VPN\"\n"
        )),
        "{text}"
    );
    assert!(!text.contains("Allow-all rule"), "{text}");
    assert!(
        text.ends_with(
            "NOT COVERED: 1 of 3 nodes covered, 1 missing, 1 without a known egress address\n"
        ),
        "{text}"
    );

    let report = json_of(&p.check(&["--json"]).await);
    let by_name = |name: &str| {
        report["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["name"] == name)
            .cloned()
            .expect("the node")
    };
    assert_eq!(by_name("calypso")["status"], "noEgressAddress");
    assert_eq!(by_name("srv712429")["status"], "covered");
    assert_eq!(by_name("srv712429")["rule"]["id"], node_rule.as_str());
    let missing = by_name("srv712695");
    assert_eq!(missing["status"], "missing");
    assert_eq!(
        missing["fix"]["cbCommand"],
        format!(
            "cb network add-firewall-rule --network {network} --rule 191.101.1.3/32 \
             --description \"srv712695 - K3s worker node\""
        )
    );
    assert_eq!(report["likelyVictims"][0]["pod"], "labelfish-7c9d-x2k4q");
    assert_eq!(report["likelyVictims"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["unmatchedRules"][0]["id"], office.as_str());
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["ok"] == false)
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(failed, ["node calypso allowed", "node srv712695 allowed"]);

    // The check only reads: the network holds the two rules made above, nothing more.
    let listed = p
        .bridge(
            reqwest::Method::GET,
            &format!("/networks/{network}/firewall-rules"),
            None,
        )
        .await;
    let mut ids: Vec<&str> = listed["firewall_rules"]
        .as_array()
        .expect("firewall_rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    ids.sort_unstable();
    let mut made = [node_rule.as_str(), office.as_str()];
    made.sort_unstable();
    assert_eq!(ids, made);
}

#[tokio::test]
async fn every_node_covered_is_exit_0() {
    let p = Platform::seeded().await;
    p.drop_allow_all().await;
    p.add_rule("157.173.210.123/32", "srv712429 - K3s worker node")
        .await;
    p.add_rule("191.101.1.0/24", "styx provider range").await;
    p.add_rule("203.0.113.40/32", "calypso - K3s worker node")
        .await;
    let mut calypso = p.object("Node", None, "calypso");
    calypso["metadata"]["annotations"]["oceanid.io/egress-ip"] = json!("203.0.113.40");
    p.put(&calypso).await;
    // A crash loop on a covered node is not the firewall's doing.
    p.put(&crash_looping_pod("labelfish-7c9d-x2k4q", "srv712695"))
        .await;

    let out = p.check(&[]).await;
    assert_exit(&out, 0);
    // One list call per kind, nothing else: nodes, pods (for the crash loops), and the rules.
    let requests = p.emu.state()["kubernetes"]["requests"].clone();
    assert_eq!(requests["GET /api/v1/nodes"], 1, "{requests}");
    assert_eq!(requests["GET /api/v1/pods"], 1, "{requests}");
    let requests = requests.as_object().expect("request counts");
    assert!(
        requests.keys().all(|route| route.starts_with("GET ")),
        "nothing but reads: {requests:?}"
    );
    let text = stdout(&out);
    assert!(
        text.contains("srv712695  191.101.1.3      covered"),
        "{text}"
    );
    assert!(text.contains("(191.101.1.0/24)"), "{text}");
    assert!(text.ends_with("\nall 3 nodes covered\n"), "{text}");
    assert!(!text.contains("Likely victims"), "{text}");
    let report = json_of(&p.check(&["--json"]).await);
    assert_eq!(report["ok"], true);
    assert!(
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .all(|c| c["ok"] == true)
    );
}

#[tokio::test]
async fn bad_credentials_unreachable_api_or_unknown_network_is_exit_2() {
    let p = Platform::seeded().await;

    let out = p
        .check_with_key("cbkey_Distinctive-Wrong-Key-0000", &[])
        .await;
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("rejected the credentials"), "{err}");
    assert!(!err.contains("Distinctive-Wrong-Key"), "{err}");

    let unreachable = [
        ("CRUNCHYBRIDGE_API_KEY", API_KEY),
        ("CRUNCHYBRIDGE_API_URL", "http://127.0.0.1:9"),
    ];
    let out = check(p.path(), p.network(), &["--timeout", "2"], &unreachable).await;
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("cannot list the firewall rules") && err.contains("127.0.0.1:9"),
        "{err}"
    );

    let unknown = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    let emulator = [
        ("CRUNCHYBRIDGE_API_KEY", API_KEY),
        ("CRUNCHYBRIDGE_API_URL", p.emu.base_url()),
    ];
    let out = check(p.path(), unknown, &["--json"], &emulator).await;
    assert_exit(&out, 2);
    let body = json_of(&out);
    assert_eq!(body["ok"], false);
    let error = body["error"].as_str().expect("error");
    assert!(
        error.starts_with(&format!(
            "Crunchy Bridge has no network {unknown} that this API key can see"
        )) && error.contains("cb network list"),
        "{error}"
    );
}

#[tokio::test]
async fn no_key_a_malformed_network_id_or_a_bad_kubeconfig_is_exit_2() {
    let p = Platform::seeded().await;

    let out = check(p.path(), p.network(), &[], &[]).await;
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("export CRUNCHYBRIDGE_API_KEY="), "{err}");

    let out = run_oceanid(
        &["allowlist", "check", "--network", "../clusters"],
        KUBE_TOKEN,
    )
    .await;
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("--network `../clusters` is not a Crunchy Bridge network id"),
        "{err}"
    );

    let emulator = [
        ("CRUNCHYBRIDGE_API_KEY", API_KEY),
        ("CRUNCHYBRIDGE_API_URL", p.emu.base_url()),
    ];
    let out = check("/nonexistent/kubeconfig.yaml", p.network(), &[], &emulator).await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("/nonexistent/kubeconfig.yaml"),
        "{}",
        stderr(&out)
    );
}
