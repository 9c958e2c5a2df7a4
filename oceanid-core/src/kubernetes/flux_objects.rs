//! Typed views of the Flux custom resources read here (GitRepository `source.toolkit.fluxcd.io/v1`,
//! Kustomization `kustomize.toolkit.fluxcd.io/v1`, HelmRelease `helm.toolkit.fluxcd.io/v2`),
//! decoded from [`DynamicObject`]s: only the fields the checks use.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde::{Deserialize, Serialize};

/// The Flux kinds the health check and preflight read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FluxKind {
    /// `source.toolkit.fluxcd.io/v1` GitRepository.
    GitRepository,
    /// `kustomize.toolkit.fluxcd.io/v1` Kustomization.
    Kustomization,
    /// `helm.toolkit.fluxcd.io/v2` HelmRelease.
    HelmRelease,
}

impl FluxKind {
    /// All three, in the order they are checked.
    pub const ALL: [FluxKind; 3] = [
        FluxKind::GitRepository,
        FluxKind::Kustomization,
        FluxKind::HelmRelease,
    ];

    /// The kind's API resource (group, version, plural).
    pub fn api_resource(self) -> ApiResource {
        let (group, version, plural) = match self {
            FluxKind::GitRepository => ("source.toolkit.fluxcd.io", "v1", "gitrepositories"),
            FluxKind::Kustomization => ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations"),
            FluxKind::HelmRelease => ("helm.toolkit.fluxcd.io", "v2", "helmreleases"),
        };
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(group, version, self.name()),
            plural,
        )
    }

    /// The kind's name.
    pub fn name(self) -> &'static str {
        match self {
            FluxKind::GitRepository => "GitRepository",
            FluxKind::Kustomization => "Kustomization",
            FluxKind::HelmRelease => "HelmRelease",
        }
    }

    /// `plural.group`, as RBAC names the resource.
    pub fn rbac_resource(self) -> String {
        let ar = self.api_resource();
        format!("{}.{}", ar.plural, ar.group)
    }
}

/// A Flux object's spec and status, as far as the checks need them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FluxObject {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// The spec fields read.
    pub spec: FluxSpec,
    /// The status fields read.
    pub status: FluxStatus,
}

/// The spec fields read from Flux objects (each kind uses some).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxSpec {
    /// `spec.suspend`.
    pub suspend: bool,
    /// Kustomization: `spec.sourceRef`.
    pub source_ref: Option<SourceRef>,
    /// HelmRelease: `spec.releaseName`.
    pub release_name: Option<String>,
    /// HelmRelease and Kustomization: `spec.targetNamespace`.
    pub target_namespace: Option<String>,
    /// HelmRelease: `spec.storageNamespace`.
    pub storage_namespace: Option<String>,
}

/// A Kustomization's source.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SourceRef {
    /// `GitRepository`, `OCIRepository` or `Bucket`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its namespace, when not the Kustomization's.
    pub namespace: Option<String>,
}

/// The status fields read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxStatus {
    /// `status.observedGeneration`.
    pub observed_generation: Option<i64>,
    /// `status.conditions`.
    pub conditions: Vec<FluxCondition>,
    /// GitRepository: `status.artifact`.
    pub artifact: Option<Artifact>,
    /// Kustomization: `status.lastAppliedRevision`.
    pub last_applied_revision: Option<String>,
    /// HelmRelease: `status.history` (newest first).
    pub history: Vec<ReleaseSnapshot>,
}

/// One status condition.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FluxCondition {
    /// `Ready`, `Reconciling`, `Stalled`, `Healthy`, …
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// The machine-readable reason.
    pub reason: String,
    /// The human-readable message.
    pub message: String,
    /// The generation this condition was computed for.
    pub observed_generation: Option<i64>,
}

/// A source artifact.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Artifact {
    /// `main@sha1:…`.
    pub revision: String,
}

/// One entry of a HelmRelease's `status.history`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReleaseSnapshot {
    /// The Helm release name.
    pub name: String,
    /// The Helm release namespace.
    pub namespace: String,
    /// The release revision.
    pub version: i64,
    /// `deployed`, `superseded`, `failed`, …
    pub status: String,
}

impl FluxObject {
    /// Decodes the fields read from a dynamic object; a missing or odd field becomes its default,
    /// and the checks then report it.
    pub fn from_dynamic(obj: &DynamicObject) -> Result<Self, String> {
        let spec = match obj.data.get("spec") {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("spec: {e}"))?,
            None => FluxSpec::default(),
        };
        let status = match obj.data.get("status") {
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("status: {e}"))?,
            None => FluxStatus::default(),
        };
        Ok(Self {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            generation: obj.metadata.generation,
            spec,
            status,
        })
    }

    /// The condition of the given type.
    pub fn condition(&self, type_: &str) -> Option<&FluxCondition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }

    /// The Helm release this HelmRelease manages, as helm-controller v1.3 names it: `releaseName`,
    /// else `<targetNamespace>-<name>`, else `<name>`; longer than 53 characters, the first 40,
    /// `-`, and 12 hex digits of the SHA-256 of the whole. The namespace is `targetNamespace`, else
    /// the HelmRelease's.
    pub fn helm_release_identity(&self) -> (String, String) {
        use sha2::{Digest, Sha256};
        let full = match (&self.spec.release_name, &self.spec.target_namespace) {
            (Some(name), _) if !name.is_empty() => name.clone(),
            (_, Some(ns)) if !ns.is_empty() => format!("{ns}-{}", self.name),
            _ => self.name.clone(),
        };
        let name = if full.len() > 53 {
            let digest = Sha256::digest(full.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("{}-{}", &full[..40], &hex[..12])
        } else {
            full
        };
        let namespace = self
            .spec
            .target_namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.namespace.clone());
        (name, namespace)
    }

    /// Where the HelmRelease's release secrets live: `storageNamespace`, else its namespace.
    pub fn helm_storage_namespace(&self) -> String {
        self.spec
            .storage_namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.namespace.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helm_release(name: &str, spec: serde_json::Value) -> FluxObject {
        let ar = FluxKind::HelmRelease.api_resource();
        let obj = DynamicObject::new(name, &ar)
            .within("flux-system")
            .data(serde_json::json!({ "spec": spec }));
        FluxObject::from_dynamic(&obj).expect("decodes")
    }

    #[test]
    fn release_identity_follows_helm_controller() {
        let plain = helm_release("podinfo", serde_json::json!({}));
        assert_eq!(
            plain.helm_release_identity(),
            ("podinfo".to_owned(), "flux-system".to_owned())
        );
        let targeted = helm_release("podinfo", serde_json::json!({ "targetNamespace": "apps" }));
        assert_eq!(
            targeted.helm_release_identity(),
            ("apps-podinfo".to_owned(), "apps".to_owned())
        );
        let named = helm_release(
            "podinfo",
            serde_json::json!({ "releaseName": "web", "targetNamespace": "apps" }),
        );
        assert_eq!(
            named.helm_release_identity(),
            ("web".to_owned(), "apps".to_owned())
        );
        assert_eq!(named.helm_storage_namespace(), "flux-system");
    }

    #[test]
    fn names_over_53_characters_are_shortened_with_a_sha256_suffix() {
        let long = helm_release(
            "kube-prometheus-stack-with-a-very-long-release-name",
            serde_json::json!({ "targetNamespace": "monitoring" }),
        );
        assert_eq!(
            long.helm_release_identity().0,
            "monitoring-kube-prometheus-stack-with-a--45c821afa4a6"
        );
        let named = helm_release(
            "x",
            serde_json::json!({ "releaseName": "observability-kube-prometheus-stack-operator-controller-manager" }),
        );
        assert_eq!(
            named.helm_release_identity().0,
            "observability-kube-prometheus-stack-oper-7ec106a06501"
        );
    }

    #[test]
    fn a_wrongly_typed_field_is_a_reason_not_a_panic() {
        let ar = FluxKind::Kustomization.api_resource();
        let obj =
            DynamicObject::new("x", &ar).data(serde_json::json!({ "spec": { "suspend": "yes" } }));
        let err = FluxObject::from_dynamic(&obj).expect_err("suspend is a bool");
        assert!(err.starts_with("spec:"), "{err}");
    }
}
