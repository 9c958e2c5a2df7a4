//! The seeded cluster: the operators' 3-node K3s cluster with Flux 2.6.4 healthy, three Helm
//! releases managed by Flux, and the application pods in `apps`; plus, for the benchmark, any
//! number of extra pods and HelmReleases.

use serde_json::{Value, json};

use super::helm_storage::ReleaseRevision;

/// When the seeded objects were made (fixed, so the seed is the same every time).
const SEEDED_AT: &str = "2025-07-14T09:30:00Z";
/// [`SEEDED_AT`] in Unix seconds.
const SEEDED_UNIX: i64 = 1_752_485_400;
/// The K3s version the nodes run (and `/version` reports).
pub(crate) const K3S_VERSION: &str = "v1.32.5+k3s1";
/// The Flux distribution version.
pub(crate) const FLUX_VERSION: &str = "v2.6.4";
/// The revision the `flux-system` GitRepository stored and its Kustomization applied.
pub(crate) const FLUX_REVISION: &str = "main@sha1:4f2c9d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

/// The Flux 2.6.4 controllers and their images' versions.
pub(crate) const FLUX_CONTROLLERS: [(&str, &str); 6] = [
    ("source-controller", "v1.6.2"),
    ("kustomize-controller", "v1.6.1"),
    ("helm-controller", "v1.3.0"),
    ("notification-controller", "v1.6.0"),
    ("image-reflector-controller", "v0.35.2"),
    ("image-automation-controller", "v0.41.2"),
];

/// The nodes, in the order pods are spread over them.
const NODES: [&str; 3] = ["srv712429", "srv712695", "calypso"];

/// How large a seed to make.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SeedSize {
    /// Extra pods in `apps` (`load-NNNN`, Running, spread over the nodes).
    pub extra_pods: usize,
    /// Extra HelmReleases in `apps` (`bench-NN`), each with its deployed release Secret.
    pub extra_helmreleases: usize,
}

/// A hex string of `len` characters derived from `seed` (deterministic, looks like a hash).
fn fake_hex(seed: &str, len: usize) -> String {
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in seed.bytes() {
            state ^= u64::from(b);
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
        // splitmix64's finaliser, so that every output digit depends on every input byte.
        let mut mixed = state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^= mixed >> 31;
        out.push_str(&format!("{mixed:016x}"));
    }
    out.truncate(len);
    out
}

fn namespace(name: &str, labels: Value) -> Value {
    let mut labels = labels;
    labels["kubernetes.io/metadata.name"] = json!(name);
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels, "creationTimestamp": SEEDED_AT},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

/// A K3s node. `external` is the `--node-external-ip`, when the node has one.
fn node(
    name: &str,
    hostname: &str,
    roles: &[&str],
    internal: &str,
    external: Option<&str>,
    pod_cidr: &str,
    gpu: bool,
) -> Value {
    let mut labels = json!({
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "k3s",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "k3s",
    });
    for role in roles {
        labels[format!("node-role.kubernetes.io/{role}")] = json!("true");
    }
    let mut annotations = json!({
        "alpha.kubernetes.io/provided-node-ip": internal,
        "flannel.alpha.coreos.com/backend-type": "wireguard-native",
        "flannel.alpha.coreos.com/kube-subnet-manager": "true",
        "flannel.alpha.coreos.com/public-ip": external.unwrap_or(internal),
        "k3s.io/hostname": hostname,
        "k3s.io/internal-ip": internal,
        "k3s.io/node-args": "[\"agent\"]",
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    });
    let mut addresses = vec![json!({"type": "InternalIP", "address": internal})];
    if let Some(external) = external {
        annotations["k3s.io/external-ip"] = json!(external);
        addresses.push(json!({"type": "ExternalIP", "address": external}));
    }
    addresses.push(json!({"type": "Hostname", "address": hostname}));
    let mut capacity = json!({"cpu": "8", "memory": "32863256Ki", "pods": "110",
        "ephemeral-storage": "406372112Ki"});
    if gpu {
        labels["nvidia.com/gpu.present"] = json!("true");
        capacity["nvidia.com/gpu"] = json!("1");
    }
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": SEEDED_AT, "lastTransitionTime": SEEDED_AT})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": annotations,
            "creationTimestamp": SEEDED_AT},
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr],
            "providerID": format!("k3s://{name}")},
        "status": {
            "addresses": addresses,
            "allocatable": capacity.clone(),
            "capacity": capacity,
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": fake_hex(&format!("{name}-boot"), 32),
                "containerRuntimeVersion": "containerd://2.0.5-k3s1.32",
                "kernelVersion": "6.8.0-63-generic",
                "kubeProxyVersion": K3S_VERSION,
                "kubeletVersion": K3S_VERSION,
                "machineID": fake_hex(&format!("{name}-machine"), 32),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.2 LTS",
                "systemUUID": fake_hex(&format!("{name}-uuid"), 32),
            },
        },
    })
}

/// Labels and annotations that mark an object as rendered by a Flux-managed Helm release.
fn helm_metadata(release: &str, namespace: &str, labels: &mut Value) -> Value {
    labels["app.kubernetes.io/managed-by"] = json!("Helm");
    labels["helm.toolkit.fluxcd.io/name"] = json!(release);
    labels["helm.toolkit.fluxcd.io/namespace"] = json!(namespace);
    json!({
        "meta.helm.sh/release-name": release,
        "meta.helm.sh/release-namespace": namespace,
    })
}

/// What a Deployment and its pods are.
struct Workload<'a> {
    name: &'a str,
    namespace: &'a str,
    image: &'a str,
    replicas: usize,
    labels: Value,
    /// `(release, namespace)` when a Helm release renders it.
    helm: Option<(&'a str, &'a str)>,
    /// The nodes its pods run on, in turn.
    nodes: &'a [&'a str],
}

/// A Deployment, available, and its Running pods.
fn workload(w: &Workload<'_>) -> Vec<Value> {
    let mut labels = w.labels.clone();
    let annotations = match w.helm {
        Some((release, ns)) => helm_metadata(release, ns, &mut labels),
        None => json!({}),
    };
    let selector = json!({"app": w.name});
    let mut pod_labels = selector.clone();
    let template_hash = fake_hex(&format!("{}/{}", w.namespace, w.name), 10);
    pod_labels["pod-template-hash"] = json!(template_hash);
    let container = w.name.trim_end_matches("-controller").to_owned();
    let container = if container.is_empty() {
        w.name.to_owned()
    } else {
        container
    };
    let replicas = w.replicas;
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": w.name, "namespace": w.namespace, "labels": labels,
            "annotations": annotations, "generation": 1, "creationTimestamp": SEEDED_AT},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {"containers": [{"name": container, "image": w.image}]},
            },
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                    "lastUpdateTime": SEEDED_AT, "lastTransitionTime": SEEDED_AT},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                    "message": format!("ReplicaSet \"{}-{template_hash}\" has successfully progressed.", w.name),
                    "lastUpdateTime": SEEDED_AT, "lastTransitionTime": SEEDED_AT},
            ],
        },
    });
    let mut objects = vec![deployment];
    for i in 0..replicas {
        let name = format!(
            "{}-{template_hash}-{}",
            w.name,
            fake_hex(&format!("{}/{}/{i}", w.namespace, w.name), 5)
        );
        let node = w.nodes[i % w.nodes.len()];
        objects.push(running_pod(
            &name,
            w.namespace,
            pod_labels.clone(),
            node,
            &container,
            w.image,
            Some(json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": format!("{}-{template_hash}", w.name), "controller": true,
                "blockOwnerDeletion": true,
                "uid": uuid_like(&format!("{}/{}-rs", w.namespace, w.name))}])),
        ));
    }
    objects
}

/// A UUID-shaped string derived from `seed`.
fn uuid_like(seed: &str) -> String {
    let h = fake_hex(seed, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// A Running, Ready pod with one container.
fn running_pod(
    name: &str,
    namespace: &str,
    labels: Value,
    node: &str,
    container: &str,
    image: &str,
    owners: Option<Value>,
) -> Value {
    let node_index = NODES.iter().position(|n| *n == node).unwrap_or(0);
    let pod_ip = format!(
        "10.42.{node_index}.{}",
        2 + u8::from_str_radix(&fake_hex(name, 2), 16).unwrap_or(0) % 250
    );
    let mut metadata = json!({"name": name, "namespace": namespace, "labels": labels,
        "creationTimestamp": SEEDED_AT});
    if let Some(owners) = owners {
        metadata["ownerReferences"] = owners;
    }
    let condition = |kind: &str| {
        json!({"type": kind, "status": "True", "lastProbeTime": null,
            "lastTransitionTime": SEEDED_AT})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "nodeName": node,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "default",
            "containers": [{"name": container, "image": image}],
        },
        "status": {
            "phase": "Running",
            "hostIP": node,
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": SEEDED_AT,
            "qosClass": "Burstable",
            "conditions": [condition("PodReadyToStartContainers"), condition("Initialized"),
                condition("Ready"), condition("ContainersReady"), condition("PodScheduled")],
            "containerStatuses": [{
                "name": container,
                "image": image,
                "imageID": format!("{}@sha256:{}", image.split(':').next().unwrap_or(image),
                    fake_hex(image, 64)),
                "containerID": format!("containerd://{}", fake_hex(name, 64)),
                "ready": true,
                "started": true,
                "restartCount": 0,
                "state": {"running": {"startedAt": SEEDED_AT}},
                "lastState": {},
            }],
        },
    })
}

/// A CustomResourceDefinition, established, serving and storing `version`.
#[allow(clippy::too_many_arguments)]
fn crd(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    short_names: &[&str],
    categories: &[&str],
    labels: Value,
    annotations: Value,
) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}"), "labels": labels,
            "annotations": annotations, "generation": 1, "creationTimestamp": SEEDED_AT},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural,
                "singular": kind.to_lowercase(), "shortNames": short_names,
                "categories": categories},
            "scope": "Namespaced",
            "versions": [{
                "name": version, "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}},
            }],
        },
        "status": {
            "acceptedNames": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural,
                "singular": kind.to_lowercase(), "shortNames": short_names,
                "categories": categories},
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                    "message": "no conflicts found", "lastTransitionTime": SEEDED_AT},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": SEEDED_AT},
            ],
            "storedVersions": [version],
        },
    })
}

fn flux_labels(component: &str) -> Value {
    json!({
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": "flux-system",
        "app.kubernetes.io/part-of": "flux",
        "app.kubernetes.io/version": FLUX_VERSION,
        "kustomize.toolkit.fluxcd.io/name": "flux-system",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
    })
}

/// A Flux CRD: group, version, kind, plural, short names and the controller that owns it.
type FluxCrd = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// Flux 2.6.4: its CRDs, the 6 controllers and the `flux-system` sync objects, all healthy.
fn flux() -> Vec<Value> {
    let mut objects = Vec::new();
    let crds: [FluxCrd; 13] = [
        (
            "source.toolkit.fluxcd.io",
            "v1",
            "GitRepository",
            "gitrepositories",
            &["gitrepo"],
            "source-controller",
        ),
        (
            "source.toolkit.fluxcd.io",
            "v1",
            "HelmRepository",
            "helmrepositories",
            &["helmrepo"],
            "source-controller",
        ),
        (
            "source.toolkit.fluxcd.io",
            "v1",
            "HelmChart",
            "helmcharts",
            &["hc"],
            "source-controller",
        ),
        (
            "source.toolkit.fluxcd.io",
            "v1",
            "OCIRepository",
            "ocirepositories",
            &["ocirepo"],
            "source-controller",
        ),
        (
            "source.toolkit.fluxcd.io",
            "v1",
            "Bucket",
            "buckets",
            &[],
            "source-controller",
        ),
        (
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "Kustomization",
            "kustomizations",
            &["ks"],
            "kustomize-controller",
        ),
        (
            "helm.toolkit.fluxcd.io",
            "v2",
            "HelmRelease",
            "helmreleases",
            &["hr"],
            "helm-controller",
        ),
        (
            "notification.toolkit.fluxcd.io",
            "v1beta3",
            "Alert",
            "alerts",
            &[],
            "notification-controller",
        ),
        (
            "notification.toolkit.fluxcd.io",
            "v1beta3",
            "Provider",
            "providers",
            &[],
            "notification-controller",
        ),
        (
            "notification.toolkit.fluxcd.io",
            "v1",
            "Receiver",
            "receivers",
            &[],
            "notification-controller",
        ),
        (
            "image.toolkit.fluxcd.io",
            "v1beta2",
            "ImageRepository",
            "imagerepositories",
            &[],
            "image-reflector-controller",
        ),
        (
            "image.toolkit.fluxcd.io",
            "v1beta2",
            "ImagePolicy",
            "imagepolicies",
            &[],
            "image-reflector-controller",
        ),
        (
            "image.toolkit.fluxcd.io",
            "v1beta2",
            "ImageUpdateAutomation",
            "imageupdateautomations",
            &[],
            "image-automation-controller",
        ),
    ];
    for (group, version, kind, plural, short, component) in crds {
        objects.push(crd(
            group,
            version,
            kind,
            plural,
            short,
            &["flux"],
            flux_labels(component),
            json!({}),
        ));
    }
    for (controller, version) in FLUX_CONTROLLERS {
        let mut labels = flux_labels(controller);
        labels["control-plane"] = json!("controller");
        objects.extend(workload(&Workload {
            name: controller,
            namespace: "flux-system",
            image: &format!("ghcr.io/fluxcd/{controller}:{version}"),
            replicas: 1,
            labels,
            helm: None,
            nodes: &["srv712429"],
        }));
    }
    let ready = |reason: &str, message: &str| {
        json!({"type": "Ready", "status": "True", "reason": reason, "message": message,
            "observedGeneration": 1, "lastTransitionTime": SEEDED_AT})
    };
    let sync_labels = json!({"kustomize.toolkit.fluxcd.io/name": "flux-system",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system"});
    objects.push(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system", "generation": 1,
            "labels": sync_labels, "finalizers": ["finalizers.fluxcd.io"],
            "creationTimestamp": SEEDED_AT},
        "spec": {"interval": "1m0s", "ref": {"branch": "main"},
            "secretRef": {"name": "flux-system"}, "timeout": "60s",
            "url": "ssh://git@github.com/oceanid-platform/fleet"},
        "status": {
            "observedGeneration": 1,
            "conditions": [
                ready("Succeeded", &format!("stored artifact for revision '{FLUX_REVISION}'")),
                {"type": "ArtifactInStorage", "status": "True", "reason": "Succeeded",
                    "message": format!("stored artifact for revision '{FLUX_REVISION}'"),
                    "observedGeneration": 1, "lastTransitionTime": SEEDED_AT},
            ],
            "artifact": {
                "revision": FLUX_REVISION,
                "digest": format!("sha256:{}", fake_hex(FLUX_REVISION, 64)),
                "lastUpdateTime": SEEDED_AT,
                "path": "gitrepository/flux-system/flux-system/4f2c9d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d.tar.gz",
                "size": 48213,
                "url": "http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/flux-system/4f2c9d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d.tar.gz",
            },
        },
    }));
    objects.push(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system", "generation": 1,
            "labels": sync_labels, "finalizers": ["finalizers.fluxcd.io"],
            "creationTimestamp": SEEDED_AT},
        "spec": {"interval": "10m0s", "path": "./clusters/production", "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {
            "observedGeneration": 1,
            "lastAppliedRevision": FLUX_REVISION,
            "lastAttemptedRevision": FLUX_REVISION,
            "conditions": [ready("ReconciliationSucceeded",
                &format!("Applied revision: {FLUX_REVISION}"))],
        },
    }));
    objects.push(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "flux-system", "namespace": "flux-system",
            "labels": sync_labels, "creationTimestamp": SEEDED_AT},
        "type": "Opaque",
        "data": {
            "identity": "ZW11bGF0b3IgcGxhY2Vob2xkZXIsIG5vdCBhIGtleQo=",
            "identity.pub": "ZW11bGF0b3IgcGxhY2Vob2xkZXIK",
            "known_hosts": "Z2l0aHViLmNvbSBlbXVsYXRvci1wbGFjZWhvbGRlcgo=",
        },
    }));
    objects
}

/// A Flux HelmRelease (in its release's namespace, so the release is named after it),
/// installed or upgraded to `revisions` and Ready, with its Helm storage Secrets (the last
/// `deployed`, earlier ones `superseded`).
fn helm_release(r: &Release<'_>, manifest: String) -> Vec<Value> {
    let Release {
        name,
        namespace,
        chart,
        version: chart_version,
        repository,
        revisions,
        ..
    } = *r;
    let values = r.values.clone();
    let action = if revisions > 1 { "upgrade" } else { "install" };
    let reason = if revisions > 1 {
        "UpgradeSucceeded"
    } else {
        "InstallSucceeded"
    };
    let message = format!(
        "Helm {action} succeeded for release {namespace}/{name}.v{revisions} with chart \
         {chart}@{chart_version}"
    );
    let config_digest = format!("sha256:{}", fake_hex(&values.to_string(), 64));
    let condition = |kind: &str| {
        json!({"type": kind, "status": "True", "reason": reason, "message": message,
            "observedGeneration": 1, "lastTransitionTime": SEEDED_AT})
    };
    let history: Vec<Value> = (1..=revisions)
        .rev()
        .map(|version| {
            json!({"name": name, "namespace": namespace, "version": version,
                "status": if version == revisions { "deployed" } else { "superseded" },
                "chartName": chart, "chartVersion": chart_version, "appVersion": chart_version,
                "configDigest": config_digest,
                "digest": format!("sha256:{}", fake_hex(&format!("{name}.v{version}"), 64)),
                "firstDeployed": SEEDED_AT, "lastDeployed": SEEDED_AT})
        })
        .collect();
    let mut objects = vec![json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace, "generation": 1,
            "labels": {"kustomize.toolkit.fluxcd.io/name": "flux-system",
                "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
            "finalizers": ["finalizers.fluxcd.io"], "creationTimestamp": SEEDED_AT},
        "spec": {
            "interval": "30m",
            "chart": {"spec": {"chart": chart, "version": chart_version,
                "reconcileStrategy": "ChartVersion",
                "sourceRef": {"kind": "HelmRepository", "name": repository,
                    "namespace": "flux-system"}}},
            "install": {"crds": "CreateReplace"},
            "upgrade": {"crds": "CreateReplace"},
            "values": values,
        },
        "status": {
            "observedGeneration": 1,
            "conditions": [condition("Ready"), condition("Released")],
            "helmChart": format!("flux-system/{namespace}-{name}"),
            "history": history,
            "lastAttemptedConfigDigest": config_digest,
            "lastAttemptedGeneration": 1,
            "lastAttemptedReleaseAction": action,
            "lastAttemptedRevision": chart_version,
            "storageNamespace": namespace,
        },
    })];
    for version in 1..=revisions {
        objects.push(
            ReleaseRevision {
                name,
                namespace,
                revision: version,
                status: if version == revisions {
                    "deployed"
                } else {
                    "superseded"
                },
                chart,
                chart_version,
                app_version: chart_version,
                deployed_at: SEEDED_AT,
                deployed_unix: SEEDED_UNIX,
                values: values.clone(),
                manifest: manifest.clone(),
            }
            .secret(),
        );
    }
    objects
}

/// The manifest Helm records for a release rendering these Deployments.
fn manifest(chart: &str, deployments: &[&str]) -> String {
    deployments
        .iter()
        .map(|d| {
            format!(
                "---\n# Source: {chart}/templates/{d}.yaml\napiVersion: apps/v1\nkind: \
                 Deployment\nmetadata:\n  name: {d}\n"
            )
        })
        .collect()
}

/// A Helm release rendered by Flux: the HelmRelease, its Secrets and its Deployments and pods.
struct Release<'a> {
    name: &'a str,
    namespace: &'a str,
    chart: &'a str,
    version: &'a str,
    repository: &'a str,
    values: Value,
    revisions: u32,
    /// `(deployment, image)`.
    deployments: &'a [(&'a str, &'a str)],
}

fn release(r: &Release<'_>) -> Vec<Value> {
    let names: Vec<&str> = r.deployments.iter().map(|(d, _)| *d).collect();
    let mut objects = helm_release(r, manifest(r.chart, &names));
    for (deployment, image) in r.deployments {
        objects.extend(workload(&Workload {
            name: deployment,
            namespace: r.namespace,
            image,
            replicas: 1,
            labels: json!({"app.kubernetes.io/name": deployment,
                "app.kubernetes.io/instance": r.name,
                "app.kubernetes.io/version": r.version}),
            helm: Some((r.name, r.namespace)),
            nodes: &["srv712695", "srv712429"],
        }));
    }
    objects
}

/// Every seeded object, namespaces first.
pub(crate) fn objects(size: SeedSize) -> Vec<Value> {
    let mut objects = vec![
        namespace("default", json!({})),
        namespace("kube-system", json!({})),
        namespace("kube-public", json!({})),
        namespace("kube-node-lease", json!({})),
        namespace("flux-system", flux_labels("flux-system")),
        namespace("cert-manager", json!({})),
        namespace("ingress-nginx", json!({})),
        namespace("nvidia-device-plugin", json!({})),
        namespace("apps", json!({})),
        node(
            "srv712429",
            "tethys",
            &["control-plane", "master", "worker"],
            "10.8.0.1",
            Some("157.173.210.123"),
            "10.42.0.0/24",
            false,
        ),
        node(
            "srv712695",
            "styx",
            &["worker"],
            "10.8.0.2",
            Some("191.101.1.3"),
            "10.42.1.0/24",
            false,
        ),
        node(
            "calypso",
            "calypso",
            &["worker", "gpu"],
            "192.168.2.40",
            None,
            "10.42.2.0/24",
            true,
        ),
    ];
    objects.extend(workload(&Workload {
        name: "coredns",
        namespace: "kube-system",
        image: "rancher/mirrored-coredns-coredns:1.12.1",
        replicas: 1,
        labels: json!({"k8s-app": "kube-dns", "objectset.rio.cattle.io/hash":
            fake_hex("coredns", 40)}),
        helm: None,
        nodes: &["srv712429"],
    }));
    objects.extend(flux());
    objects.push(crd(
        "cert-manager.io",
        "v1",
        "Certificate",
        "certificates",
        &["cert", "certs"],
        &["cert-manager"],
        json!({"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance":
            "cert-manager", "helm.toolkit.fluxcd.io/name": "cert-manager",
            "helm.toolkit.fluxcd.io/namespace": "cert-manager"}),
        json!({"meta.helm.sh/release-name": "cert-manager",
            "meta.helm.sh/release-namespace": "cert-manager"}),
    ));
    objects.extend(release(&Release {
        name: "cert-manager",
        namespace: "cert-manager",
        chart: "cert-manager",
        version: "v1.17.2",
        repository: "jetstack",
        values: json!({"crds": {"enabled": true}}),
        revisions: 1,
        deployments: &[
            (
                "cert-manager",
                "quay.io/jetstack/cert-manager-controller:v1.17.2",
            ),
            (
                "cert-manager-cainjector",
                "quay.io/jetstack/cert-manager-cainjector:v1.17.2",
            ),
            (
                "cert-manager-webhook",
                "quay.io/jetstack/cert-manager-webhook:v1.17.2",
            ),
        ],
    }));
    objects.extend(release(&Release {
        name: "ingress-nginx",
        namespace: "ingress-nginx",
        chart: "ingress-nginx",
        version: "4.12.3",
        repository: "ingress-nginx",
        values: json!({"controller": {"kind": "Deployment", "service": {"type": "LoadBalancer"}}}),
        revisions: 2,
        deployments: &[(
            "ingress-nginx-controller",
            "registry.k8s.io/ingress-nginx/controller:v1.12.3",
        )],
    }));
    objects.extend(release(&Release {
        name: "nvidia-device-plugin",
        namespace: "nvidia-device-plugin",
        chart: "nvidia-device-plugin",
        version: "0.17.2",
        repository: "nvdp",
        values: json!({"nodeSelector": {"nvidia.com/gpu.present": "true"}}),
        revisions: 1,
        deployments: &[(
            "nvidia-device-plugin",
            "nvcr.io/nvidia/k8s-device-plugin:v0.17.2",
        )],
    }));
    objects.extend(workload(&Workload {
        name: "labelfish",
        namespace: "apps",
        image: "ghcr.io/oceanid-platform/labelfish:1.8.0",
        replicas: 2,
        labels: json!({"app.kubernetes.io/name": "labelfish", "app.kubernetes.io/part-of":
            "labelfish"}),
        helm: None,
        nodes: &["srv712429", "srv712695"],
    }));
    objects.extend(workload(&Workload {
        name: "labelfish-inference",
        namespace: "apps",
        image: "ghcr.io/oceanid-platform/labelfish-inference:1.8.0",
        replicas: 1,
        labels: json!({"app.kubernetes.io/name": "labelfish-inference",
            "app.kubernetes.io/part-of": "labelfish"}),
        helm: None,
        nodes: &["calypso"],
    }));
    for i in 0..size.extra_pods {
        objects.push(running_pod(
            &format!("load-{i:04}"),
            "apps",
            json!({"app": "load"}),
            NODES[i % NODES.len()],
            "load",
            "docker.io/library/busybox:1.37",
            None,
        ));
    }
    for i in 0..size.extra_helmreleases {
        let name = format!("bench-{i:02}");
        let bench = Release {
            name: &name,
            namespace: "apps",
            chart: "podinfo",
            version: "6.9.0",
            repository: "podinfo",
            values: json!({"replicaCount": 1}),
            revisions: 1,
            deployments: &[],
        };
        objects.extend(helm_release(&bench, manifest("podinfo", &[&name])));
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_names_are_stable() {
        let base = objects(SeedSize::default());
        let again = objects(SeedSize::default());
        assert_eq!(base, again);
        let bigger = objects(SeedSize {
            extra_pods: 10,
            extra_helmreleases: 3,
        });
        assert_eq!(bigger.len(), base.len() + 10 + 3 * 2);
        let names: std::collections::BTreeSet<String> = base
            .iter()
            .map(|o| {
                format!(
                    "{}/{}/{}",
                    o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
                )
            })
            .collect();
        assert_eq!(
            names.len(),
            base.len(),
            "no two seeded objects share a name"
        );
    }
}
