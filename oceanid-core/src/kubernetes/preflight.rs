//! The preflight before `pulumi up` of a cluster stack: Helm ownership conflicts (blocking), CRD
//! ownership mismatches (informational), unfinished Helm operations and crash loops (warnings),
//! and the fix plan: exactly which objects `--fix` would change and how.
//!
//! **Flux 2.6 moves ownership silently.** helm-controller v1.3 installs and upgrades with Helm's
//! take-ownership on (unless `disableTakeOwnership: true`), so an object whose
//! `meta.helm.sh/release-name`/`release-namespace` annotations name another release no longer
//! fails with "invalid ownership metadata": Helm re-annotates it and the object changes hands.
//! The old release, if it still exists, may then delete or overwrite it on uninstall, rollback or
//! upgrade, and two HelmReleases rendering one object flap. The preflight reports these as
//! blocking for that reason, not because an install would fail.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret;
use serde::{Deserialize, Serialize};

use super::crash_loops::CrashLoop;
use super::flux_objects::FluxObject;
use super::helm_storage::{StoredRelease, decode_release_secret};
use super::report::Check;

/// Helm's ownership label (value `Helm`).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The label selector of Helm-managed objects.
pub const MANAGED_BY_HELM_SELECTOR: &str = "app.kubernetes.io/managed-by=Helm";
/// Helm's release-name annotation.
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
/// Helm's release-namespace annotation.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
/// The label helm-controller's post-renderer puts on every object: the HelmRelease's name.
pub const FLUX_HELM_NAME_LABEL: &str = "helm.toolkit.fluxcd.io/name";
/// The label helm-controller's post-renderer puts on every object: the HelmRelease's namespace.
pub const FLUX_HELM_NAMESPACE_LABEL: &str = "helm.toolkit.fluxcd.io/namespace";

/// Which object a finding or fix is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `apps/v1`, `v1`, …
    pub api_version: String,
    /// `Deployment`, `Secret`, …
    pub kind: String,
    /// The resource's plural (`deployments`).
    pub plural: String,
    /// Its namespace (none for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A Helm-managed object as the preflight sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedObject {
    /// Which object.
    pub object: ObjectRef,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
    /// `metadata.uid`, for the fix's precondition.
    pub uid: Option<String>,
    /// `metadata.resourceVersion`, for the fix's precondition.
    pub resource_version: Option<String>,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Blocks the deployment (exit 1).
    Blocking,
    /// Worth knowing before deploying; does not block.
    Warning,
    /// For information only.
    Info,
}

/// What kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum FindingCategory {
    /// A Helm-managed object whose ownership metadata disagrees with its release.
    HelmOwnership,
    /// The same, on a CustomResourceDefinition (informational).
    CrdOwnership,
    /// A Helm release whose last operation never finished (`pending-*`).
    PendingRelease,
    /// A HelmRelease never installed (no history, no deployed revision).
    NeverInstalled,
    /// A release Secret that does not decode.
    UndecodableRelease,
    /// A crash-looping container.
    CrashLoop,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// What kind.
    pub category: FindingCategory,
    /// The object concerned, when there is one.
    pub object: Option<ObjectRef>,
    /// What was found and what it means.
    pub detail: String,
}

/// What a fix step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum FixKind {
    /// Remove the `app.kubernetes.io/managed-by` label and both `meta.helm.sh/*` annotations.
    RemoveHelmOwnership,
    /// Delete a Helm release Secret of an operation that never finished.
    DeleteReleaseSecret,
}

/// One step of the fix plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FixAction {
    /// What it does.
    pub action: FixKind,
    /// To which object.
    pub object: ObjectRef,
    /// The object's uid when planned; the step is refused if it changed.
    pub uid: Option<String>,
    /// The object's resourceVersion when planned; the step is refused if it changed.
    pub resource_version: Option<String>,
    /// Exactly what will be done, in words.
    pub description: String,
}

/// The preflight report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    /// True when nothing blocks the deployment.
    pub ok: bool,
    /// Every finding, blocking first.
    pub findings: Vec<Finding>,
    /// The crash-looping containers (also findings, as warnings).
    pub crash_loops: Vec<CrashLoop>,
    /// What `--fix` would do; nothing else is ever changed.
    pub fix_plan: Vec<FixAction>,
    /// Named checks: `helm ownership`, `crd ownership`, `helm operations`, `helm releases`,
    /// `crash loops`. Only blocking findings fail a check; warnings are in the detail.
    pub checks: Vec<Check>,
    /// Kinds the server does not serve, so they were not scanned.
    pub not_served: Vec<String>,
}

/// What the preflight reads.
#[derive(Debug, Clone, Default)]
pub struct PreflightInput {
    /// Every HelmRelease, or `None` when the kind is not served.
    pub helm_releases: Option<Vec<FluxObject>>,
    /// Every `helm.sh/release.v1` Secret.
    pub release_secrets: Vec<Secret>,
    /// Every object labelled `app.kubernetes.io/managed-by=Helm`, of the scanned kinds.
    pub managed: Vec<ManagedObject>,
    /// Crash-looping containers.
    pub crash_loops: Vec<CrashLoop>,
    /// Scanned kinds the server does not serve.
    pub not_served: Vec<String>,
}

/// Builds the report.
pub fn preflight_report(input: PreflightInput) -> PreflightReport {
    let mut findings = Vec::new();
    let mut fix_plan = Vec::new();
    let mut releases: Vec<StoredRelease> = Vec::new();
    for secret in &input.release_secrets {
        match decode_release_secret(secret) {
            Ok(r) => releases.push(r),
            Err(reason) => findings.push(Finding {
                severity: Severity::Warning,
                category: FindingCategory::UndecodableRelease,
                object: Some(secret_ref(
                    secret.metadata.namespace.clone().unwrap_or_default(),
                    secret.metadata.name.clone().unwrap_or_default(),
                )),
                detail: format!("{reason}; Helm cannot read this revision either"),
            }),
        }
    }
    let deployed: BTreeSet<(String, String)> = releases
        .iter()
        .filter(|r| r.status == "deployed")
        .map(|r| (r.name.clone(), r.namespace.clone()))
        .collect();
    let helm_releases = input.helm_releases.clone().unwrap_or_default();
    let by_hr: BTreeMap<(String, String), (String, String)> = helm_releases
        .iter()
        .map(|hr| {
            (
                (hr.namespace.clone(), hr.name.clone()),
                hr.helm_release_identity(),
            )
        })
        .collect();
    let rendered: BTreeSet<(String, String)> = by_hr.values().cloned().collect();

    for obj in &input.managed {
        ownership_finding(
            obj,
            &by_hr,
            &rendered,
            &deployed,
            &mut findings,
            &mut fix_plan,
        );
    }
    for r in releases.iter().filter(|r| r.is_pending()) {
        let object = secret_ref(r.secret_namespace.clone(), r.secret_name.clone());
        let secret = input.release_secrets.iter().find(|s| {
            s.metadata.namespace.as_deref() == Some(r.secret_namespace.as_str())
                && s.metadata.name.as_deref() == Some(r.secret_name.as_str())
        });
        findings.push(Finding {
            severity: Severity::Warning,
            category: FindingCategory::PendingRelease,
            object: Some(object.clone()),
            detail: format!(
                "release {} in {} revision {} is {}: the operation never finished, and Helm refuses the next one \
                 (\"another operation (install/upgrade/rollback) is in progress\")",
                r.name, r.namespace, r.version, r.status
            ),
        });
        fix_plan.push(FixAction {
            action: FixKind::DeleteReleaseSecret,
            description: format!(
                "delete Secret {}/{} (release {} revision {}, {}), so Helm sees the last finished revision again",
                r.secret_namespace, r.secret_name, r.name, r.version, r.status
            ),
            object,
            uid: secret.and_then(|s| s.metadata.uid.clone()),
            resource_version: secret.and_then(|s| s.metadata.resource_version.clone()),
        });
    }
    for hr in &helm_releases {
        let (name, namespace) = hr.helm_release_identity();
        if hr.status.history.is_empty() && !deployed.contains(&(name.clone(), namespace.clone())) {
            findings.push(Finding {
                severity: Severity::Warning,
                category: FindingCategory::NeverInstalled,
                object: Some(ObjectRef {
                    api_version: "helm.toolkit.fluxcd.io/v2".into(),
                    kind: "HelmRelease".into(),
                    plural: "helmreleases".into(),
                    namespace: Some(hr.namespace.clone()),
                    name: hr.name.clone(),
                }),
                detail: format!(
                    "HelmRelease {}/{} has no release history and release {name} in {namespace} has no deployed \
                     revision: helm-controller has not installed it yet (see its Ready condition)",
                    hr.namespace, hr.name
                ),
            });
        }
    }
    for c in &input.crash_loops {
        findings.push(Finding {
            severity: Severity::Warning,
            category: FindingCategory::CrashLoop,
            object: None,
            detail: c.summary(),
        });
    }
    findings.sort_by(|a, b| (a.severity, &a.object).cmp(&(b.severity, &b.object)));
    let checks = checks(&findings, input.helm_releases.is_none());
    PreflightReport {
        ok: !findings.iter().any(|f| f.severity == Severity::Blocking),
        findings,
        crash_loops: input.crash_loops,
        fix_plan,
        checks,
        not_served: input.not_served,
    }
}

fn secret_ref(namespace: String, name: String) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        plural: "secrets".into(),
        namespace: Some(namespace),
        name,
    }
}

fn ownership_finding(
    obj: &ManagedObject,
    by_hr: &BTreeMap<(String, String), (String, String)>,
    rendered: &BTreeSet<(String, String)>,
    deployed: &BTreeSet<(String, String)>,
    findings: &mut Vec<Finding>,
    fix_plan: &mut Vec<FixAction>,
) {
    let is_crd = obj.object.kind == "CustomResourceDefinition";
    let (severity, category) = if is_crd {
        (Severity::Info, FindingCategory::CrdOwnership)
    } else {
        (Severity::Blocking, FindingCategory::HelmOwnership)
    };
    let name = obj
        .annotations
        .get(RELEASE_NAME_ANNOTATION)
        .filter(|v| !v.is_empty());
    let namespace = obj
        .annotations
        .get(RELEASE_NAMESPACE_ANNOTATION)
        .filter(|v| !v.is_empty());
    let renderer = match (
        obj.labels.get(FLUX_HELM_NAMESPACE_LABEL),
        obj.labels.get(FLUX_HELM_NAME_LABEL),
    ) {
        (Some(ns), Some(n)) => Some(((ns.clone(), n.clone()), by_hr.get(&(ns.clone(), n.clone())))),
        _ => None,
    };
    let mut problems = Vec::new();
    let (Some(name), Some(namespace)) = (name, namespace) else {
        problems.push(format!(
            "it is labelled {MANAGED_BY_HELM_SELECTOR} but lacks the {RELEASE_NAME_ANNOTATION}/{RELEASE_NAMESPACE_ANNOTATION} \
             annotations: plain Helm refuses it (\"invalid ownership metadata\"); on Flux 2.6 the release that renders it \
             takes it over silently"
        ));
        findings.push(Finding {
            severity,
            category,
            object: Some(obj.object.clone()),
            detail: problems.join("; "),
        });
        return;
    };
    let claimed = (name.clone(), namespace.clone());
    if let Some(((hr_ns, hr_name), identity)) = &renderer {
        match identity {
            Some(expected) if **expected != claimed => problems.push(format!(
                "its annotations name release {name} in {namespace}, but HelmRelease {hr_ns}/{hr_name} renders it as \
                 release {} in {}: on Flux 2.6 helm-controller takes ownership silently (no \"invalid ownership \
                 metadata\" error), so it moves to {}{}",
                expected.0,
                expected.1,
                expected.0,
                if deployed.contains(&claimed) {
                    format!(", and release {name}, still deployed, may delete or overwrite it on uninstall, rollback or upgrade")
                } else {
                    String::new()
                }
            )),
            Some(_) => {}
            None => problems.push(format!(
                "it is labelled as rendered by HelmRelease {hr_ns}/{hr_name}, which does not exist"
            )),
        }
    }
    let orphan = !deployed.contains(&claimed);
    if orphan {
        let adopter = if rendered.contains(&claimed) {
            "its HelmRelease has no deployed revision yet".to_owned()
        } else {
            "no HelmRelease renders that release".to_owned()
        };
        problems.push(format!(
            "its annotations name release {name} in {namespace}, which has no deployed revision (no \
             helm.sh/release.v1 Secret with status=deployed; {adopter}): the next release that renders it takes it \
             over silently on Flux 2.6"
        ));
    }
    if problems.is_empty() {
        return;
    }
    if orphan && !is_crd && obj.object.kind != "Namespace" && !rendered.contains(&claimed) {
        fix_plan.push(FixAction {
            action: FixKind::RemoveHelmOwnership,
            object: obj.object.clone(),
            uid: obj.uid.clone(),
            resource_version: obj.resource_version.clone(),
            description: format!(
                "remove label {MANAGED_BY_LABEL} and annotations {RELEASE_NAME_ANNOTATION}={name}, \
                 {RELEASE_NAMESPACE_ANNOTATION}={namespace} from {} (release {name} no longer exists), leaving the \
                 object itself in place",
                obj.object
            ),
        });
    }
    let detail = if is_crd {
        format!("{} (informational: CRD ownership)", problems.join("; "))
    } else {
        problems.join("; ")
    };
    findings.push(Finding {
        severity,
        category,
        object: Some(obj.object.clone()),
        detail,
    });
}

fn checks(findings: &[Finding], helm_releases_missing: bool) -> Vec<Check> {
    let summarize = |category: FindingCategory, none: &str| -> (bool, String) {
        let hits: Vec<&Finding> = findings.iter().filter(|f| f.category == category).collect();
        if hits.is_empty() {
            return (true, none.to_owned());
        }
        let blocking = hits.iter().any(|f| f.severity == Severity::Blocking);
        let label = match hits[0].severity {
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let lines: Vec<String> = hits
            .iter()
            .map(|f| match &f.object {
                Some(o) => format!("{o}: {}", f.detail),
                None => f.detail.clone(),
            })
            .collect();
        (!blocking, format!("{label}: {}", lines.join(" | ")))
    };
    let mut out = Vec::new();
    for (name, category, none) in [
        (
            "helm ownership",
            FindingCategory::HelmOwnership,
            "every Helm-managed object belongs to a deployed release that renders it",
        ),
        (
            "crd ownership",
            FindingCategory::CrdOwnership,
            "no CRD ownership mismatch",
        ),
        (
            "helm operations",
            FindingCategory::PendingRelease,
            "no Helm operation left pending",
        ),
        (
            "helm releases",
            FindingCategory::NeverInstalled,
            "every HelmRelease has a release",
        ),
        (
            "helm storage",
            FindingCategory::UndecodableRelease,
            "every release Secret decodes",
        ),
        (
            "crash loops",
            FindingCategory::CrashLoop,
            "no pod is crash-looping",
        ),
    ] {
        let (ok, mut detail) = summarize(category, none);
        if category == FindingCategory::NeverInstalled && helm_releases_missing {
            detail = "HelmRelease (helm.toolkit.fluxcd.io/v2) is not served: Flux is not installed, nothing to check".into();
        }
        out.push(Check::new(name, ok, detail));
    }
    out
}
