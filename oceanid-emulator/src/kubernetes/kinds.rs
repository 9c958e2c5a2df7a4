//! The kinds the emulated API server serves: group, version, resource (plural), kind, scope and
//! the field selectors each accepts, as the real API server and Flux 2.6.4's CRDs define them.

/// One served resource.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    /// The API group; empty for the core group (`/api/v1`).
    pub group: &'static str,
    /// The version, e.g. `v1`, `v2`.
    pub version: &'static str,
    /// The resource name in paths (plural, lower case).
    pub plural: &'static str,
    /// The singular resource name.
    pub singular: &'static str,
    /// The object kind.
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// `kubectl` short names.
    pub short_names: &'static [&'static str],
    /// Categories (`kubectl get all`, `kubectl get flux`...).
    pub categories: &'static [&'static str],
    /// Field selector paths beyond `metadata.name` and `metadata.namespace`.
    pub fields: &'static [&'static str],
}

impl Kind {
    /// `group/version`, or `version` for the core group.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural` or `plural.group`, as the API server names a resource in its messages.
    pub(crate) fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Whether `path` may be used in a field selector on this kind.
    pub(crate) fn accepts_field(&self, path: &str) -> bool {
        path == "metadata.name"
            || (self.namespaced && path == "metadata.namespace")
            || self.fields.contains(&path)
    }
}

/// The verbs every served resource allows.
pub(crate) const VERBS: &[&str] = &["create", "delete", "get", "list", "patch", "update"];

/// Every served kind.
pub(crate) const KINDS: &[Kind] = &[
    Kind {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        fields: &["status.phase"],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        fields: &["spec.unschedulable"],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        fields: &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
    },
    Kind {
        group: "",
        version: "v1",
        plural: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &["type"],
    },
    Kind {
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        fields: &[],
    },
    Kind {
        group: "apiextensions.k8s.io",
        version: "v1",
        plural: "customresourcedefinitions",
        singular: "customresourcedefinition",
        kind: "CustomResourceDefinition",
        namespaced: false,
        short_names: &["crd", "crds"],
        categories: &["api-extensions"],
        fields: &[],
    },
    Kind {
        group: "source.toolkit.fluxcd.io",
        version: "v1",
        plural: "gitrepositories",
        singular: "gitrepository",
        kind: "GitRepository",
        namespaced: true,
        short_names: &["gitrepo"],
        categories: &["flux"],
        fields: &[],
    },
    Kind {
        group: "kustomize.toolkit.fluxcd.io",
        version: "v1",
        plural: "kustomizations",
        singular: "kustomization",
        kind: "Kustomization",
        namespaced: true,
        short_names: &["ks"],
        categories: &["flux"],
        fields: &[],
    },
    Kind {
        group: "helm.toolkit.fluxcd.io",
        version: "v2",
        plural: "helmreleases",
        singular: "helmrelease",
        kind: "HelmRelease",
        namespaced: true,
        short_names: &["hr"],
        categories: &["flux"],
        fields: &[],
    },
];

/// The kind served at `group`/`version` under `plural`.
pub(crate) fn by_resource(group: &str, version: &str, plural: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.group == group && k.version == version && k.plural == plural)
}

/// The kind of an object with this `apiVersion` and `kind`.
pub(crate) fn by_kind(api_version: &str, kind: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_version() == api_version)
}

/// The groups other than the core group, in discovery order, each with its one version.
pub(crate) fn groups() -> Vec<(&'static str, &'static str)> {
    let mut groups: Vec<(&'static str, &'static str)> = Vec::new();
    for kind in KINDS.iter().filter(|k| !k.group.is_empty()) {
        if !groups.iter().any(|(g, _)| *g == kind.group) {
            groups.push((kind.group, kind.version));
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(
            by_resource("apps", "v1", "deployments").unwrap().kind,
            "Deployment"
        );
        assert!(by_resource("apps", "v1beta1", "deployments").is_none());
        assert_eq!(by_kind("v1", "Pod").unwrap().plural, "pods");
        assert_eq!(
            by_kind("helm.toolkit.fluxcd.io/v2", "HelmRelease")
                .unwrap()
                .plural,
            "helmreleases"
        );
        assert!(by_kind("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease").is_none());
        assert_eq!(groups().len(), 5);
        let pods = by_resource("", "v1", "pods").unwrap();
        assert!(pods.accepts_field("spec.nodeName"));
        assert!(!pods.accepts_field("spec.containers"));
        assert!(
            !by_resource("", "v1", "nodes")
                .unwrap()
                .accepts_field("metadata.namespace")
        );
    }
}
