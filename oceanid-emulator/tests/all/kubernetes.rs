//! The emulated Kubernetes API server: discovery, every verb, selectors, paging, `Status`
//! bodies, tokens, TLS, the seeded cluster, the admin objects route, reset, faults, and real
//! kubectl against the written kubeconfig.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oceanid_emulator::{
    DEFAULT_KUBERNETES_TOKEN, Emulator, EmulatorConfig, KUBECONFIG_CONTEXT, VIEWER_TOKEN,
};
use reqwest::Method;
use serde_json::{Value, json};

/// A distinctive token, to check it never leaks.
const TOKEN: &str = "k8s-token-test-Wq81Zx";

/// An emulator and a client of its Kubernetes API.
struct Kube {
    emu: Emulator,
    http: reqwest::Client,
}

/// One answer: status and JSON body.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

impl Answer {
    #[track_caller]
    fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        &self.body
    }

    /// Asserts a Kubernetes `Status` failure with this code and reason; returns its message.
    #[track_caller]
    fn status_failure(&self, code: u16, reason: &str) -> String {
        self.expect(code);
        assert_eq!(self.body["kind"], "Status", "{}", self.body);
        assert_eq!(self.body["apiVersion"], "v1");
        assert_eq!(self.body["status"], "Failure");
        assert_eq!(self.body["code"], code);
        assert_eq!(self.body["reason"], reason, "{}", self.body);
        assert!(self.body["metadata"].is_object());
        self.body["message"].as_str().unwrap_or("").to_owned()
    }

    fn names(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

async fn start_with(config: EmulatorConfig) -> Kube {
    let emu = Emulator::start(EmulatorConfig {
        kubernetes_token: TOKEN.to_owned(),
        ..config
    })
    .await
    .expect("emulator starts");
    Kube {
        emu,
        http: reqwest::Client::new(),
    }
}

async fn start() -> Kube {
    start_with(EmulatorConfig::default()).await
}

impl Kube {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        accept: Option<&str>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emu.base_url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let response = request.send().await.expect("the emulator answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await.unwrap();
        assert!(!text.contains(TOKEN), "the token leaked into an answer");
        Answer {
            status,
            content_type,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, Some(TOKEN), None, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::POST, path, Some(TOKEN), Some(body), None)
            .await
    }

    async fn put(&self, path: &str, body: &Value) -> Answer {
        self.call(Method::PUT, path, Some(TOKEN), Some(body), None)
            .await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, Some(TOKEN), None, None)
            .await
    }

    async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        self.call(method, path, None, body, None).await
    }
}

fn pod(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
}

#[tokio::test]
async fn version_and_discovery() {
    let k = start().await;
    let version = k.call(Method::GET, "/version", None, None, None).await;
    assert_eq!(version.expect(200)["gitVersion"], "v1.32.5+k3s1");
    let api = k.get("/api").await;
    assert_eq!(api.expect(200)["kind"], "APIVersions");
    assert_eq!(api.body["versions"], json!(["v1"]));
    let groups = k.get("/apis").await;
    let names: Vec<&str> = groups.expect(200)["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["preferredVersion"]["groupVersion"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "apps/v1",
            "apiextensions.k8s.io/v1",
            "source.toolkit.fluxcd.io/v1",
            "kustomize.toolkit.fluxcd.io/v1",
            "helm.toolkit.fluxcd.io/v2"
        ]
    );
    let core = k.get("/api/v1").await;
    let resources: Vec<&str> = core.expect(200)["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["namespaces", "nodes", "pods", "secrets"]);
    let hr = k.get("/apis/helm.toolkit.fluxcd.io/v2").await;
    assert_eq!(hr.expect(200)["resources"][0]["kind"], "HelmRelease");
    assert_eq!(hr.body["resources"][0]["namespaced"], true);
    assert_eq!(hr.body["resources"][0]["shortNames"], json!(["hr"]));
    assert_eq!(k.get("/apis/apps").await.expect(200)["kind"], "APIGroup");
    k.get("/apis/batch/v1")
        .await
        .status_failure(404, "NotFound");
    k.get("/apis/helm.toolkit.fluxcd.io/v2beta1")
        .await
        .status_failure(404, "NotFound");
    k.get("/api/v1/namespaces/apps/pods/x/log")
        .await
        .status_failure(404, "NotFound");
}

#[tokio::test]
async fn openapi_v3_declares_server_side_field_validation() {
    let k = start().await;
    let index = k.get("/openapi/v3").await;
    let url = index.expect(200)["paths"]["apis/helm.toolkit.fluxcd.io/v2"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_owned();
    let document = k.get(&url).await;
    let patch = &document.expect(200)["paths"]["/apis/helm.toolkit.fluxcd.io/v2/namespaces/{namespace}/helmreleases/{name}"]
        ["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"]["kind"],
        "HelmRelease"
    );
    assert!(
        patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
    );
    assert!(index.body["paths"]["api/v1"].is_object());
    k.get("/openapi/v3/apis/batch/v1")
        .await
        .status_failure(404, "NotFound");
}

#[tokio::test]
async fn tokens_and_rbac() {
    let k = start().await;
    let none = k.call(Method::GET, "/api/v1/nodes", None, None, None).await;
    assert_eq!(none.status_failure(401, "Unauthorized"), "Unauthorized");
    let wrong = k
        .call(
            Method::GET,
            "/api/v1/nodes",
            Some(DEFAULT_KUBERNETES_TOKEN),
            None,
            None,
        )
        .await;
    wrong.status_failure(401, "Unauthorized");
    let viewer = |method: Method, path: &'static str| {
        let k = &k;
        async move { k.call(method, path, Some(VIEWER_TOKEN), None, None).await }
    };
    assert_eq!(
        viewer(Method::GET, "/api/v1/pods").await.expect(200)["kind"],
        "PodList"
    );
    let message = viewer(Method::GET, "/api/v1/namespaces/flux-system/secrets")
        .await
        .status_failure(403, "Forbidden");
    assert_eq!(
        message,
        "secrets is forbidden: User \"oceanid-viewer\" cannot list resource \"secrets\" in API \
         group \"\" in the namespace \"flux-system\""
    );
    let message = viewer(Method::DELETE, "/api/v1/nodes/calypso")
        .await
        .status_failure(403, "Forbidden");
    assert!(
        message.contains("cannot delete resource \"nodes\""),
        "{message}"
    );
    assert!(message.contains("at the cluster scope"), "{message}");
    k.get("/api/v1/nodes/calypso").await.expect(200);
}

#[tokio::test]
async fn seeded_cluster() {
    let k = start().await;
    let nodes = k.get("/api/v1/nodes").await;
    assert_eq!(nodes.expect(200)["kind"], "NodeList");
    assert_eq!(nodes.names(), ["calypso", "srv712429", "srv712695"]);
    let tethys = &nodes.body["items"][1];
    assert_eq!(
        tethys["metadata"]["annotations"]["k3s.io/external-ip"],
        "157.173.210.123"
    );
    assert_eq!(
        tethys["metadata"]["annotations"]["k3s.io/hostname"],
        "tethys"
    );
    assert!(tethys["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == "true");
    let addresses = &tethys["status"]["addresses"];
    assert!(
        addresses
            .as_array()
            .unwrap()
            .contains(&json!({"type": "ExternalIP", "address": "157.173.210.123"}))
    );
    let calypso = &nodes.body["items"][0];
    assert!(
        calypso["metadata"]["annotations"]
            .get("k3s.io/external-ip")
            .is_none()
    );
    let calypso_addresses = calypso["status"]["addresses"].as_array().unwrap();
    assert!(calypso_addresses.iter().all(|a| a["type"] != "ExternalIP"));
    assert!(
        calypso_addresses.iter().any(|a| a["type"] == "InternalIP"
            && a["address"].as_str().unwrap().starts_with("192.168.2."))
    );
    for node in nodes.body["items"].as_array().unwrap() {
        let ready = node["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Ready")
            .unwrap();
        assert_eq!(ready["status"], "True");
    }

    let flux = k
        .get("/apis/apps/v1/deployments?labelSelector=app.kubernetes.io%2Fpart-of%3Dflux")
        .await;
    let images: Vec<&str> = flux.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["status"]["availableReplicas"], 1);
            assert_eq!(d["metadata"]["namespace"], "flux-system");
            d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        images,
        [
            "ghcr.io/fluxcd/helm-controller:v1.3.0",
            "ghcr.io/fluxcd/image-automation-controller:v0.41.2",
            "ghcr.io/fluxcd/image-reflector-controller:v0.35.2",
            "ghcr.io/fluxcd/kustomize-controller:v1.6.1",
            "ghcr.io/fluxcd/notification-controller:v1.6.0",
            "ghcr.io/fluxcd/source-controller:v1.6.2",
        ]
    );
    let flux_pods = k
        .get("/api/v1/namespaces/flux-system/pods?fieldSelector=status.phase%3DRunning")
        .await;
    assert_eq!(flux_pods.names().len(), 6);

    let repo = k
        .get("/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system")
        .await;
    let ks = k
        .get("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/flux-system")
        .await;
    let revision = repo.expect(200)["status"]["artifact"]["revision"].clone();
    assert!(revision.as_str().unwrap().starts_with("main@sha1:"));
    assert_eq!(ks.expect(200)["status"]["lastAppliedRevision"], revision);
    for object in [&repo.body, &ks.body] {
        assert_eq!(
            object["status"]["observedGeneration"],
            object["metadata"]["generation"]
        );
        assert_eq!(object["status"]["conditions"][0]["type"], "Ready");
        assert_eq!(object["status"]["conditions"][0]["status"], "True");
    }

    let releases = k.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases").await;
    assert_eq!(
        releases.expect(200).clone()["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let secrets = k
        .get("/api/v1/secrets?labelSelector=owner%3Dhelm,status%3Ddeployed&fieldSelector=type%3Dhelm.sh%2Frelease.v1")
        .await;
    assert_eq!(
        secrets.names(),
        [
            "sh.helm.release.v1.cert-manager.v1",
            "sh.helm.release.v1.ingress-nginx.v2",
            "sh.helm.release.v1.nvidia-device-plugin.v1"
        ]
    );
    // data.release: base64 (the Secret's encoding) of Helm's base64(gzip(JSON)).
    let data = secrets.body["items"][1]["data"]["release"]
        .as_str()
        .unwrap();
    let helm_bytes = STANDARD.decode(data).unwrap();
    let gzipped = STANDARD.decode(helm_bytes).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_string(&mut text)
        .unwrap();
    let release: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(release["name"], "ingress-nginx");
    assert_eq!(release["version"], 2);
    assert_eq!(release["info"]["status"], "deployed");

    let managed = k
        .get("/apis/apps/v1/namespaces/cert-manager/deployments?labelSelector=app.kubernetes.io%2Fmanaged-by%3DHelm")
        .await;
    assert_eq!(managed.names().len(), 3);
    assert_eq!(
        managed.body["items"][0]["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "cert-manager"
    );
    let apps = k.get("/api/v1/namespaces/apps/pods").await;
    assert_eq!(apps.names().len(), 3);
    let crds = k
        .get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions?labelSelector=app.kubernetes.io%2Fpart-of%3Dflux")
        .await;
    assert_eq!(crds.names().len(), 13);
    assert!(
        crds.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["status"]["storedVersions"].as_array().unwrap().is_empty())
    );
}

#[tokio::test]
async fn label_and_field_selectors() {
    let k = start().await;
    let list = |query: &'static str| {
        let k = &k;
        async move { k.get(&format!("/api/v1/pods?{query}")).await }
    };
    let count = |answer: Answer| answer.names().len();
    assert_eq!(count(list("labelSelector=app%3Dlabelfish").await), 2);
    assert_eq!(count(list("labelSelector=app%3D%3Dlabelfish").await), 2);
    assert_eq!(
        count(list("labelSelector=app%20in%20(labelfish,labelfish-inference)").await),
        3
    );
    let all = count(list("").await);
    assert_eq!(
        count(list("labelSelector=app%20notin%20(labelfish)").await),
        all - 2
    );
    assert_eq!(count(list("labelSelector=app!%3Dlabelfish").await), all - 2);
    assert_eq!(count(list("labelSelector=pod-template-hash").await), all);
    assert_eq!(count(list("labelSelector=!pod-template-hash").await), 0);
    assert_eq!(
        list("fieldSelector=spec.nodeName%3Dcalypso")
            .await
            .names()
            .len(),
        1
    );
    assert_eq!(
        count(list("fieldSelector=metadata.namespace%3Dapps,metadata.name!%3Dnone").await),
        3
    );
    assert_eq!(count(list("fieldSelector=status.phase%3DPending").await), 0);
    let message = list("fieldSelector=spec.containers%3Dx")
        .await
        .status_failure(400, "BadRequest");
    assert!(
        message.contains("field label not supported: spec.containers"),
        "{message}"
    );
    let message = list("labelSelector=app%20in%20labelfish")
        .await
        .status_failure(400, "BadRequest");
    assert!(message.contains("unable to parse requirement"), "{message}");
    let namespaces = k
        .get("/api/v1/namespaces?fieldSelector=metadata.name%3Dapps")
        .await;
    assert_eq!(namespaces.names(), ["apps"]);
}

#[tokio::test]
async fn limit_and_continue() {
    let k = start_with(EmulatorConfig {
        kubernetes_extra_pods: 25,
        kubernetes_extra_helmreleases: 4,
        ..EmulatorConfig::default()
    })
    .await;
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &token {
            Some(t) => format!("/api/v1/namespaces/apps/pods?limit=10&continue={t}"),
            None => "/api/v1/namespaces/apps/pods?limit=10".to_owned(),
        };
        let page = k.get(&path).await;
        page.expect(200);
        assert!(page.body["metadata"]["resourceVersion"].is_string());
        pages += 1;
        names.extend(page.names());
        match page.body["metadata"]["continue"].as_str() {
            Some(next) => {
                assert!(
                    page.body["metadata"]["remainingItemCount"]
                        .as_u64()
                        .unwrap()
                        > 0
                );
                token = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 28);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 28, "no pod twice");
    k.get("/api/v1/pods?limit=5&continue=not-a-token")
        .await
        .status_failure(400, "BadRequest");
    k.get("/api/v1/pods?limit=many")
        .await
        .status_failure(400, "BadRequest");
    let releases = k
        .get("/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases")
        .await;
    assert_eq!(
        releases.names(),
        ["bench-00", "bench-01", "bench-02", "bench-03"]
    );
    let secrets = k
        .get("/api/v1/namespaces/apps/secrets?labelSelector=owner%3Dhelm")
        .await;
    assert_eq!(secrets.names().len(), 4);
}

#[tokio::test]
async fn create_replace_delete() {
    let k = start().await;
    let path = "/api/v1/namespaces/apps/pods";
    let created = k.post(path, &pod("web", json!({"app": "web"}))).await;
    let created = created.expect(201).clone();
    assert_eq!(created["metadata"]["namespace"], "apps");
    assert!(created["metadata"]["uid"].is_string());
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let message = k
        .post(path, &pod("web", json!({})))
        .await
        .status_failure(409, "AlreadyExists");
    assert_eq!(message, "pods \"web\" already exists");
    let missing = k
        .post("/api/v1/namespaces/nowhere/pods", &pod("web", json!({})))
        .await;
    assert_eq!(
        missing.status_failure(404, "NotFound"),
        "namespaces \"nowhere\" not found"
    );
    k.post(
        path,
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}}),
    )
    .await
    .status_failure(422, "Invalid");
    k.post(
        path,
        &json!({"apiVersion": "apps/v1", "kind": "Pod", "metadata": {"name": "x"}}),
    )
    .await
    .status_failure(400, "BadRequest");
    let got = k.get(&format!("{path}/web")).await;
    assert_eq!(
        got.expect(200)["metadata"]["uid"],
        created["metadata"]["uid"]
    );

    let mut changed = created.clone();
    changed["metadata"]["labels"]["tier"] = json!("front");
    let replaced = k.put(&format!("{path}/web"), &changed).await;
    let replaced = replaced.expect(200).clone();
    assert_ne!(replaced["metadata"]["resourceVersion"], json!(rv));
    assert_eq!(replaced["metadata"]["labels"]["tier"], "front");
    let message = k
        .put(&format!("{path}/web"), &changed)
        .await
        .status_failure(409, "Conflict");
    assert!(
        message.contains("the object has been modified"),
        "{message}"
    );
    k.put(&format!("{path}/other"), &replaced)
        .await
        .status_failure(400, "BadRequest");
    k.put(&format!("{path}/absent"), &pod("absent", json!({})))
        .await
        .status_failure(404, "NotFound");

    let all = k.get("/api/v1/pods?labelSelector=tier%3Dfront").await;
    assert_eq!(all.names(), ["web"]);
    let deleted = k.delete(&format!("{path}/web")).await;
    assert_eq!(deleted.expect(200)["metadata"]["name"], "web");
    k.get(&format!("{path}/web"))
        .await
        .status_failure(404, "NotFound");
    let message = k
        .delete(&format!("{path}/web"))
        .await
        .status_failure(404, "NotFound");
    assert_eq!(message, "pods \"web\" not found");

    // A spec change moves a HelmRelease's generation past its observedGeneration.
    let hr_path =
        "/apis/helm.toolkit.fluxcd.io/v2/namespaces/cert-manager/helmreleases/cert-manager";
    let mut hr = k.get(hr_path).await.expect(200).clone();
    hr["spec"]["values"]["replicaCount"] = json!(2);
    let updated = k.put(hr_path, &hr).await;
    assert_eq!(updated.expect(200)["metadata"]["generation"], 2);
    assert_eq!(updated.body["status"]["observedGeneration"], 1);

    // Cluster-scoped objects, and a namespace that takes its objects with it.
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scratch"}});
    k.post("/api/v1/namespaces", &ns).await.expect(201);
    k.post("/api/v1/namespaces/scratch/pods", &pod("p", json!({})))
        .await
        .expect(201);
    k.delete("/api/v1/namespaces/scratch").await.expect(200);
    assert!(
        k.get("/api/v1/pods?fieldSelector=metadata.namespace%3Dscratch")
            .await
            .names()
            .is_empty()
    );
    let post_only = k
        .call(
            Method::PUT,
            "/api/v1/namespaces/apps/pods",
            Some(TOKEN),
            Some(&json!({})),
            None,
        )
        .await;
    post_only.status_failure(405, "MethodNotAllowed");
    let patched = k
        .http
        .patch(format!("{}/api/v1/nodes/calypso", k.emu.base_url()))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/merge-patch+json")
        .body(r#"{"metadata": {"annotations": {"oceanid.io/egress-ip": "203.0.113.7", "k3s.io/hostname": null}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let node = k.get("/api/v1/nodes/calypso").await;
    let annotations = &node.expect(200)["metadata"]["annotations"];
    assert_eq!(annotations["oceanid.io/egress-ip"], "203.0.113.7");
    assert!(annotations.get("k3s.io/hostname").is_none());
    assert_eq!(
        node.body["status"]["conditions"][3]["type"], "Ready",
        "status is kept"
    );
    let json_patch = k
        .http
        .patch(format!("{}/api/v1/nodes/calypso", k.emu.base_url()))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/json-patch+json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(json_patch.status(), 415);
    let watch = k.get("/api/v1/pods?watch=true").await;
    watch.status_failure(405, "MethodNotAllowed");
}

#[tokio::test]
async fn tables_for_kubectl() {
    let k = start().await;
    let table = k
        .call(
            Method::GET,
            "/api/v1/namespaces/apps/pods",
            Some(TOKEN),
            None,
            Some("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
        )
        .await;
    assert_eq!(table.expect(200)["kind"], "Table");
    assert!(table.content_type.starts_with("application/json"));
    let columns: Vec<&str> = table.body["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Name", "Status", "Node", "Age"]);
    assert_eq!(table.body["rows"].as_array().unwrap().len(), 3);
    assert_eq!(table.body["rows"][0]["cells"][1], "Running");
    assert_eq!(
        table.body["rows"][0]["object"]["kind"],
        "PartialObjectMetadata"
    );
    let protobuf = k
        .call(
            Method::GET,
            "/api/v1/pods",
            Some(TOKEN),
            None,
            Some("application/vnd.kubernetes.protobuf"),
        )
        .await;
    protobuf.status_failure(406, "NotAcceptable");
}

#[tokio::test]
async fn objects_admin_route_reset_and_state() {
    let k = start().await;
    let path = "/apis/apps/v1/namespaces/flux-system/deployments/helm-controller";
    let mut broken = k.get(path).await.expect(200).clone();
    broken["status"]["availableReplicas"] = json!(0);
    broken["status"]["readyReplicas"] = json!(0);
    let stored = k
        .admin(
            Method::POST,
            "/__emulator/kubernetes/objects",
            Some(&broken),
        )
        .await;
    assert_eq!(stored.expect(200)["status"]["availableReplicas"], 0);
    assert_eq!(
        k.get(path).await.expect(200)["status"]["availableReplicas"],
        0
    );
    let crashing = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "crashy", "namespace": "apps"},
        "spec": {"nodeName": "calypso", "containers": [{"name": "c", "image": "x"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": 14,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
    k.admin(
        Method::POST,
        "/__emulator/kubernetes/objects",
        Some(&crashing),
    )
    .await
    .expect(201);
    let state = k.admin(Method::GET, "/__emulator/state", None).await;
    let objects = state.expect(200)["kubernetes"]["objects"]
        .as_array()
        .unwrap();
    assert!(objects.iter().any(|o| o["metadata"]["name"] == "crashy"));
    k.admin(
        Method::DELETE,
        "/__emulator/kubernetes/objects",
        Some(&json!({"apiVersion": "v1", "kind": "Node", "name": "calypso"})),
    )
    .await
    .expect(200);
    k.get("/api/v1/nodes/calypso")
        .await
        .status_failure(404, "NotFound");
    k.admin(
        Method::DELETE,
        "/__emulator/kubernetes/objects",
        Some(&json!({"apiVersion": "v1", "kind": "Pod", "name": "crashy"})),
    )
    .await
    .status_failure(400, "BadRequest");
    k.admin(
        Method::DELETE,
        "/__emulator/kubernetes/objects?apiVersion=v1&kind=Pod&namespace=apps&name=crashy",
        None,
    )
    .await
    .expect(200);
    let unknown = k
        .admin(
            Method::POST,
            "/__emulator/kubernetes/objects",
            Some(&json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}})),
        )
        .await;
    let message = unknown.status_failure(400, "BadRequest");
    assert!(
        message.contains("not a kind the emulator serves"),
        "{message}"
    );

    k.admin(Method::POST, "/__emulator/reset", None)
        .await
        .expect(200);
    assert_eq!(
        k.get(path).await.expect(200)["status"]["availableReplicas"],
        1
    );
    k.get("/api/v1/nodes/calypso").await.expect(200);
}

#[tokio::test]
async fn faults_on_kubernetes_routes() {
    let k = start().await;
    k.admin(
        Method::POST,
        "/__emulator/faults",
        Some(&json!({"method": "GET", "path": "/api/v1/nodes", "status": 503, "count": 1})),
    )
    .await
    .expect(201);
    assert_eq!(k.get("/api/v1/nodes").await.status, 503);
    k.get("/api/v1/nodes").await.expect(200);
    k.admin(
        Method::POST,
        "/__emulator/faults",
        Some(
            &json!({"path": "/apis/apps/v1/namespaces/*/deployments", "status": 500,
            "body": "<html><body>502 Bad Gateway</body></html>"}),
        ),
    )
    .await
    .expect(201);
    let html = k
        .get("/apis/apps/v1/namespaces/flux-system/deployments")
        .await;
    assert_eq!(html.status, 500);
    assert!(html.content_type.starts_with("text/html"));
}

#[tokio::test]
async fn tls_on_the_same_port() {
    let k = start().await;
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(k.emu.tls_ca_pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let nodes: Value = client
        .get(format!("{}/api/v1/nodes", k.emu.https_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nodes["items"].as_array().unwrap().len(), 3);
    // Plain HTTP keeps working beside it.
    k.get("/api/v1/nodes").await.expect(200);
}

/// Runs kubectl with the kubeconfig; fails (never skips) when kubectl is missing.
async fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "kubectl could not be run ({e}): install a kubectl client (Debian: apt-get \
                 install kubernetes-client) so this test can prove kubectl accepts the emulator"
            )
        });
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn real_kubectl_accepts_the_emulator() {
    let k = start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, k.emu.kubeconfig()).unwrap();
    let (ok, context, _) = kubectl(&kubeconfig, &["config", "current-context"]).await;
    assert!(ok);
    assert_eq!(context.trim(), KUBECONFIG_CONTEXT);
    let kinds: [(&str, Option<&str>, usize); 9] = [
        ("nodes", None, 3),
        ("namespaces", None, 9),
        ("customresourcedefinitions", None, 14),
        ("pods", Some("apps"), 3),
        ("secrets", Some("cert-manager"), 1),
        ("deployments", Some("flux-system"), 6),
        ("gitrepositories", Some("flux-system"), 1),
        ("kustomizations", Some("flux-system"), 1),
        ("helmreleases", Some("ingress-nginx"), 1),
    ];
    for (resource, namespace, expected) in kinds {
        let mut args = vec!["get", resource, "-o", "json"];
        if let Some(ns) = namespace {
            args.extend(["-n", ns]);
        }
        let (ok, stdout, stderr) = kubectl(&kubeconfig, &args).await;
        assert!(ok, "kubectl get {resource} failed: {stderr}");
        let list: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            expected,
            "kubectl get {resource}"
        );
        if namespace.is_some() {
            let (ok, stdout, stderr) =
                kubectl(&kubeconfig, &["get", resource, "-A", "-o", "json"]).await;
            assert!(ok, "kubectl get {resource} -A failed: {stderr}");
            let list: Value = serde_json::from_str(&stdout).unwrap();
            assert!(list["items"].as_array().unwrap().len() >= expected);
        }
    }
    let (ok, stdout, stderr) = kubectl(
        &kubeconfig,
        &["get", "deploy", "-A", "-l", "app.kubernetes.io/part-of=flux,app.kubernetes.io/component in (helm-controller,source-controller)", "-o", "json"],
    )
    .await;
    assert!(ok, "{stderr}");
    let list: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (ok, stdout, stderr) =
        kubectl(&kubeconfig, &["get", "pods", "-A", "-l", "app!=load"]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("NAMESPACE"), "{stdout}");
    assert!(stdout.contains("labelfish-inference"), "{stdout}");
    let (ok, stdout, stderr) = kubectl(
        &kubeconfig,
        &["get", "hr", "-n", "cert-manager", "cert-manager"],
    )
    .await;
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("READY") && stdout.contains("True"),
        "{stdout}"
    );

    // Debian's kubectl 1.20 validates against /openapi/v2 (protobuf), which is not served;
    // kubectl 1.32 reads /openapi/v3 and leaves validation to the server.
    let manifest = dir.path().join("pod.json");
    std::fs::write(
        &manifest,
        pod("probe", json!({"app": "probe"}))
            .to_string()
            .replace("\"metadata\":{", "\"metadata\":{\"namespace\":\"apps\","),
    )
    .unwrap();
    let manifest = manifest.to_str().unwrap();
    for verb in ["create", "replace", "apply"] {
        let (ok, _, stderr) =
            kubectl(&kubeconfig, &[verb, "--validate=false", "-f", manifest]).await;
        assert!(ok, "kubectl {verb} -f failed: {stderr}");
    }
    let (ok, stdout, _) = kubectl(
        &kubeconfig,
        &["get", "pods", "-n", "apps", "-l", "app=probe", "-o", "name"],
    )
    .await;
    assert!(ok);
    assert_eq!(stdout.trim(), "pod/probe");
    let (ok, _, stderr) = kubectl(
        &kubeconfig,
        &[
            "annotate",
            "node",
            "calypso",
            "oceanid.io/egress-ip=198.51.100.4",
        ],
    )
    .await;
    assert!(ok, "kubectl annotate failed: {stderr}");
    let (ok, _, stderr) = kubectl(
        &kubeconfig,
        &[
            "label",
            "hr",
            "-n",
            "cert-manager",
            "cert-manager",
            "team=platform",
        ],
    )
    .await;
    assert!(ok, "kubectl label failed: {stderr}");
    let (ok, stdout, _) = kubectl(
        &kubeconfig,
        &["get", "hr", "-A", "-l", "team=platform", "-o", "name"],
    )
    .await;
    assert!(ok);
    assert_eq!(
        stdout.trim(),
        "helmrelease.helm.toolkit.fluxcd.io/cert-manager"
    );
    let (ok, stdout, stderr) = kubectl(
        &kubeconfig,
        &[
            "delete",
            "helmrelease",
            "-n",
            "ingress-nginx",
            "ingress-nginx",
        ],
    )
    .await;
    assert!(ok, "kubectl delete failed: {stderr}");
    assert!(stdout.contains("deleted"), "{stdout}");
    let (ok, _, stderr) = kubectl(
        &kubeconfig,
        &["get", "hr", "-n", "ingress-nginx", "ingress-nginx"],
    )
    .await;
    assert!(!ok);
    assert!(
        stderr.contains("NotFound") || stderr.contains("not found"),
        "{stderr}"
    );
    let (ok, _, stderr) = kubectl(&kubeconfig, &["get", "nodes", "--token", "wrong"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("Unauthorized") || stderr.contains("credentials"),
        "{stderr}"
    );
}

#[tokio::test]
async fn binary_writes_the_kubeconfig() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_oceanid-emulator"))
        .arg("--kubeconfig-out")
        .arg(&path)
        .args(["--kubernetes-token", TOKEN, "--kubernetes-extra-pods", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
        .await
        .expect("a first line in time")
        .unwrap();
    let url = line.trim();
    let text = std::fs::read_to_string(&path).expect("the kubeconfig is written before the URL");
    let port = url.rsplit(':').next().unwrap();
    assert!(
        text.contains(&format!("server: \"https://127.0.0.1:{port}\"")),
        "{text}"
    );
    assert!(
        text.contains("current-context: \"oceanid-emulator\""),
        "{text}"
    );
    assert!(text.contains("certificate-authority-data: "), "{text}");
    let (ok, stdout, stderr) = kubectl(
        &path,
        &["get", "pods", "-n", "apps", "-l", "app=load", "-o", "json"],
    )
    .await;
    assert!(ok, "{stderr}");
    let list: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    child.kill().await.unwrap();
}
