//! Flux health: the six controllers of Flux 2.6 and every GitRepository, Kustomization and
//! HelmRelease.
//!
//! A controller is healthy when its Deployment (labelled `app.kubernetes.io/part-of=flux`)
//! exists, has as many available replicas as it wants (at least one), and every pod its selector
//! matches is `Running`. An object is healthy when `Ready=True` for its current generation
//! (`status.observedGeneration` and the condition's own equal `metadata.generation`), it is not
//! suspended, neither `Stalled` nor `Reconciling` is `True`, and, for a Kustomization whose source
//! is a GitRepository, `status.lastAppliedRevision` equals the source's artifact revision.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use serde::{Deserialize, Serialize};

use super::flux_objects::{FluxKind, FluxObject};
use super::report::Check;

/// The controllers of Flux 2.6 (2.6.4 ships these six; `source-watcher` arrives in 2.7).
pub const FLUX_CONTROLLERS: [&str; 6] = [
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
];
/// The label every Flux object carries.
pub const FLUX_PART_OF_SELECTOR: &str = "app.kubernetes.io/part-of=flux";

/// The Flux health report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FluxHealthReport {
    /// True when every check passed.
    pub ok: bool,
    /// One entry per expected controller.
    pub controllers: Vec<ControllerStatus>,
    /// One entry per GitRepository, Kustomization and HelmRelease.
    pub objects: Vec<FluxObjectStatus>,
    /// Every check: `controller <name>`, `<Kind> <namespace>/<name>`, and `<Kind> objects` when a
    /// kind is not served.
    pub checks: Vec<Check>,
}

/// One controller Deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ControllerStatus {
    /// The controller's name.
    pub name: String,
    /// The Deployment's namespace, when found.
    pub namespace: Option<String>,
    /// Whether the Deployment exists.
    pub found: bool,
    /// `spec.replicas` (default 1).
    pub desired_replicas: i32,
    /// `status.availableReplicas`.
    pub available_replicas: i32,
    /// Pods of the Deployment in phase `Running`.
    pub pods_running: usize,
    /// Pods of the Deployment.
    pub pods_total: usize,
    /// The container images, e.g. `ghcr.io/fluxcd/source-controller:v1.6.2`.
    pub images: Vec<String>,
    /// Whether it is healthy.
    pub ok: bool,
}

/// One Flux object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FluxObjectStatus {
    /// `GitRepository`, `Kustomization` or `HelmRelease`.
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `Ready=True` for the current generation.
    pub ready: bool,
    /// `spec.suspend`.
    pub suspended: bool,
    /// The revision: a source's artifact, a Kustomization's last applied, a HelmRelease's
    /// `<chart release name>.v<version>` of its newest history entry.
    pub revision: Option<String>,
    /// Whether it is healthy.
    pub ok: bool,
    /// Why it is (not) healthy.
    pub detail: String,
}

/// The objects of one Flux kind, or `None` when the kind is not served (CRD missing).
pub type FluxObjects = BTreeMap<FluxKind, Option<Vec<FluxObject>>>;

/// Builds the report from listed Deployments (`part-of=flux`), the pods of their namespaces and
/// the Flux objects.
pub fn flux_health_report(
    deployments: &[Deployment],
    pods: &[Pod],
    objects: &FluxObjects,
) -> FluxHealthReport {
    let mut checks = Vec::new();
    let controllers: Vec<ControllerStatus> = FLUX_CONTROLLERS
        .iter()
        .map(|name| controller_status(name, deployments, pods))
        .collect();
    for c in &controllers {
        let detail = if !c.found {
            format!(
                "Deployment {} with label {FLUX_PART_OF_SELECTOR} not found; install it with `flux install`",
                c.name
            )
        } else {
            format!(
                "{}/{} available, {}/{} pods Running, {}",
                c.available_replicas,
                c.desired_replicas,
                c.pods_running,
                c.pods_total,
                if c.images.is_empty() {
                    "no image".to_owned()
                } else {
                    c.images.join(", ")
                }
            )
        };
        checks.push(Check::new(format!("controller {}", c.name), c.ok, detail));
    }
    let git_revisions: BTreeMap<(String, String), Option<String>> = objects
        .get(&FluxKind::GitRepository)
        .and_then(Option::as_ref)
        .into_iter()
        .flatten()
        .map(|g| {
            (
                (g.namespace.clone(), g.name.clone()),
                g.status.artifact.as_ref().map(|a| a.revision.clone()),
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for kind in FluxKind::ALL {
        match objects.get(&kind) {
            Some(Some(list)) => {
                for obj in list {
                    let status = object_status(kind, obj, &git_revisions);
                    checks.push(Check::new(
                        format!("{} {}/{}", status.kind, status.namespace, status.name),
                        status.ok,
                        status.detail.clone(),
                    ));
                    statuses.push(status);
                }
            }
            _ => checks.push(Check::new(
                format!("{} objects", kind.name()),
                false,
                format!(
                    "the API server does not serve {} ({}): Flux's CRDs are not installed",
                    kind.rbac_resource(),
                    kind.api_resource().api_version
                ),
            )),
        }
    }
    FluxHealthReport {
        ok: checks.iter().all(|c| c.ok),
        controllers,
        objects: statuses,
        checks,
    }
}

fn controller_status(name: &str, deployments: &[Deployment], pods: &[Pod]) -> ControllerStatus {
    let Some(dep) = deployments
        .iter()
        .find(|d| d.metadata.name.as_deref() == Some(name))
    else {
        return ControllerStatus {
            name: name.to_owned(),
            namespace: None,
            found: false,
            desired_replicas: 0,
            available_replicas: 0,
            pods_running: 0,
            pods_total: 0,
            images: Vec::new(),
            ok: false,
        };
    };
    let namespace = dep.metadata.namespace.clone().unwrap_or_default();
    let spec = dep.spec.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let available = dep
        .status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0);
    let selector = spec
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    let mine: Vec<&Pod> = pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(namespace.as_str()))
        .filter(|p| {
            let labels = p.metadata.labels.as_ref();
            !selector.is_empty()
                && selector
                    .iter()
                    .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        })
        .collect();
    let running = mine
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .count();
    let images = spec
        .and_then(|s| s.template.spec.as_ref())
        .map(|ps| {
            ps.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default();
    let ok = available >= desired.max(1) && !mine.is_empty() && running == mine.len();
    ControllerStatus {
        name: name.to_owned(),
        namespace: Some(namespace),
        found: true,
        desired_replicas: desired,
        available_replicas: available,
        pods_running: running,
        pods_total: mine.len(),
        images,
        ok,
    }
}

fn object_status(
    kind: FluxKind,
    obj: &FluxObject,
    git_revisions: &BTreeMap<(String, String), Option<String>>,
) -> FluxObjectStatus {
    let mut problems: Vec<String> = Vec::new();
    let generation = obj.generation;
    let ready_cond = obj.condition("Ready");
    let ready = ready_cond.is_some_and(|c| {
        c.status == "True"
            && (c.observed_generation.is_none() || c.observed_generation == generation)
    }) && (generation.is_none() || obj.status.observed_generation == generation);
    match ready_cond {
        None => problems.push("no Ready condition yet (never reconciled?)".to_owned()),
        Some(c) if c.status != "True" => {
            problems.push(format!("Ready={} ({}): {}", c.status, c.reason, c.message))
        }
        Some(_) if !ready => problems.push(format!(
            "Ready is for an older generation (observed {}, current {})",
            obj.status
                .observed_generation
                .map_or("none".to_owned(), |g| g.to_string()),
            generation.map_or("none".to_owned(), |g| g.to_string())
        )),
        Some(_) => {}
    }
    if obj.spec.suspend {
        problems.push("suspended (spec.suspend=true); resume with `flux resume`".to_owned());
    }
    for flag in ["Stalled", "Reconciling"] {
        if let Some(c) = obj.condition(flag).filter(|c| c.status == "True") {
            problems.push(format!("{flag}=True ({}): {}", c.reason, c.message));
        }
    }
    let revision = match kind {
        FluxKind::GitRepository => {
            let rev = obj.status.artifact.as_ref().map(|a| a.revision.clone());
            if rev.is_none() {
                problems.push("no artifact stored".to_owned());
            }
            rev
        }
        FluxKind::Kustomization => {
            let applied = obj.status.last_applied_revision.clone();
            if let Some(src) = obj
                .spec
                .source_ref
                .as_ref()
                .filter(|s| s.kind == "GitRepository")
            {
                let src_ns = src
                    .namespace
                    .clone()
                    .unwrap_or_else(|| obj.namespace.clone());
                match git_revisions.get(&(src_ns.clone(), src.name.clone())) {
                    None => problems.push(format!("its source GitRepository {src_ns}/{} does not exist", src.name)),
                    Some(source_rev) if source_rev != &applied => problems.push(format!(
                        "applied revision {} differs from its source GitRepository {src_ns}/{} artifact {}",
                        applied.as_deref().unwrap_or("(none)"),
                        src.name,
                        source_rev.as_deref().unwrap_or("(none)")
                    )),
                    Some(_) => {}
                }
            }
            applied
        }
        FluxKind::HelmRelease => match obj.status.history.first() {
            Some(h) => Some(format!("{}.v{} ({})", h.name, h.version, h.status)),
            None => {
                problems
                    .push("no release history: helm-controller has not installed it".to_owned());
                None
            }
        },
    };
    let ok = problems.is_empty();
    let detail = if ok {
        format!(
            "Ready at generation {}{}",
            generation.unwrap_or(0),
            revision
                .as_ref()
                .map(|r| format!(", {r}"))
                .unwrap_or_default()
        )
    } else {
        problems.join("; ")
    };
    FluxObjectStatus {
        kind: kind.name().to_owned(),
        namespace: obj.namespace.clone(),
        name: obj.name.clone(),
        ready,
        suspended: obj.spec.suspend,
        revision,
        ok,
        detail,
    }
}
