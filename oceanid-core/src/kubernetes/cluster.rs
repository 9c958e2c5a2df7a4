//! The handle on one cluster and its operations: each reads with one paged list call per kind
//! and hands the objects to the pure report builders.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod, Secret};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, PostParams,
    Preconditions,
};
use serde::{Deserialize, Serialize};

use super::api_call::ApiCall;
use super::config::{self, KubeconfigSource};
use super::crash_loops::{CrashLoop, crash_loops};
use super::error::Error;
use super::flux_health::{
    FLUX_PART_OF_SELECTOR, FluxHealthReport, FluxObjects, flux_health_report,
};
use super::flux_objects::{FluxKind, FluxObject};
use super::helm_storage::{RELEASE_SECRET_LABELS, RELEASE_SECRET_TYPE};
use super::nodes::{NodesReport, nodes_report};
use super::paging::list_all;
use super::preflight::{
    FixAction, FixKind, MANAGED_BY_HELM_SELECTOR, MANAGED_BY_LABEL, ManagedObject, ObjectRef,
    PreflightInput, PreflightReport, RELEASE_NAME_ANNOTATION, RELEASE_NAMESPACE_ANNOTATION,
    preflight_report,
};

/// The kinds the preflight scans for Helm-managed objects: `(group, version, kind, plural)`.
pub const SCANNED_KINDS: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "Namespace", "namespaces"),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
    ),
    ("apps", "v1", "Deployment", "deployments"),
    ("", "v1", "Service", "services"),
    ("", "v1", "ConfigMap", "configmaps"),
    ("", "v1", "Secret", "secrets"),
    ("", "v1", "ServiceAccount", "serviceaccounts"),
];

/// A connection to one Kubernetes cluster.
#[derive(Clone)]
pub struct Kubernetes {
    client: kube::Client,
    server: String,
}

impl std::fmt::Debug for Kubernetes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubernetes")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// What one fix step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixOutcome {
    /// The step.
    pub action: FixAction,
    /// Whether it was applied.
    pub applied: bool,
    /// What happened.
    pub detail: String,
}

impl Kubernetes {
    /// Connects using a kubeconfig and an optional context (else the kubeconfig's
    /// `current-context`). Nothing is sent to the server yet.
    ///
    /// # Errors
    /// [`Error::ReadKubeconfig`], [`Error::MalformedKubeconfig`] (with the line),
    /// [`Error::UnknownContext`] (listing the contexts), [`Error::NoCurrentContext`],
    /// [`Error::NoKubeconfig`], [`Error::InvalidKubeconfig`], [`Error::Credentials`] (an exec plugin
    /// that cannot run).
    pub async fn connect(source: &KubeconfigSource, context: Option<&str>) -> Result<Self, Error> {
        let loaded = config::load(source, context).await?;
        let client = config::client(&loaded)?;
        Ok(Self {
            client,
            server: loaded.server,
        })
    }

    /// Wraps an existing client (tests use a `tower_test` mock); `server` names it in errors.
    pub fn from_client(client: kube::Client, server: impl Into<String>) -> Self {
        Self {
            client,
            server: server.into(),
        }
    }

    /// The API server's URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    fn call(&self, verb: &'static str, resource: impl Into<String>) -> ApiCall<'_> {
        ApiCall {
            server: &self.server,
            verb,
            resource: resource.into(),
        }
    }

    async fn list<K>(
        &self,
        api: Api<K>,
        params: ListParams,
        resource: &str,
    ) -> Result<Option<Vec<K>>, Error>
    where
        K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        list_all(&api, &params, &self.call("list", resource)).await
    }

    async fn list_required<K>(
        &self,
        api: Api<K>,
        params: ListParams,
        resource: &str,
    ) -> Result<Vec<K>, Error>
    where
        K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        self.list(api, params, resource)
            .await?
            .ok_or_else(|| Error::Api {
                server: self.server.clone(),
                code: 404,
                verb: "list".into(),
                resource: resource.into(),
                message:
                    "the server does not serve this resource; is this a Kubernetes API server?"
                        .into(),
            })
    }

    /// Every node with its addresses and egress address (one list call: `GET /api/v1/nodes`).
    ///
    /// # Errors
    /// [`Error`] when the list fails (unreachable, 401, 403 `list nodes`, …).
    pub async fn nodes(&self) -> Result<NodesReport, Error> {
        let nodes: Vec<Node> = self
            .list_required(
                Api::all(self.client.clone()),
                ListParams::default(),
                "nodes",
            )
            .await?;
        Ok(nodes_report(&nodes))
    }

    /// Every crash-looping container in every namespace (one list call: `GET /api/v1/pods`).
    ///
    /// # Errors
    /// [`Error`] when the list fails.
    pub async fn crash_loops(&self) -> Result<Vec<CrashLoop>, Error> {
        let pods: Vec<Pod> = self
            .list_required(Api::all(self.client.clone()), ListParams::default(), "pods")
            .await?;
        Ok(crash_loops(&pods))
    }

    async fn flux_objects(&self, kind: FluxKind) -> Result<Option<Vec<FluxObject>>, Error> {
        let ar = kind.api_resource();
        let resource = kind.rbac_resource();
        let Some(list) = self
            .list(
                Api::<DynamicObject>::all_with(self.client.clone(), &ar),
                ListParams::default(),
                &resource,
            )
            .await?
        else {
            return Ok(None);
        };
        list.iter()
            .map(|obj| {
                FluxObject::from_dynamic(obj).map_err(|detail| Error::Decode {
                    server: self.server.clone(),
                    verb: "list".into(),
                    resource: resource.clone(),
                    detail: format!(
                        "{} {}/{}: {detail}",
                        kind.name(),
                        obj.metadata.namespace.as_deref().unwrap_or(""),
                        obj.metadata.name.as_deref().unwrap_or("")
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Flux health: the controller Deployments (`labelSelector=app.kubernetes.io/part-of=flux`),
    /// the pods of their namespaces, and every GitRepository, Kustomization and HelmRelease; one
    /// list call each.
    ///
    /// # Errors
    /// [`Error`] when a list fails; a Flux kind that is not served is a failed check instead.
    pub async fn flux_health(&self) -> Result<FluxHealthReport, Error> {
        let deployments: Vec<Deployment> = self
            .list_required(
                Api::all(self.client.clone()),
                ListParams::default().labels(FLUX_PART_OF_SELECTOR),
                "deployments.apps",
            )
            .await?;
        let namespaces: BTreeSet<String> = deployments
            .iter()
            .filter_map(|d| d.metadata.namespace.clone())
            .collect();
        let mut pods: Vec<Pod> = Vec::new();
        for ns in &namespaces {
            pods.extend(
                self.list_required(
                    Api::namespaced(self.client.clone(), ns),
                    ListParams::default(),
                    "pods",
                )
                .await?,
            );
        }
        let mut objects: FluxObjects = BTreeMap::new();
        for kind in FluxKind::ALL {
            objects.insert(kind, self.flux_objects(kind).await?);
        }
        Ok(flux_health_report(&deployments, &pods, &objects))
    }

    /// The preflight: every HelmRelease, every Helm release Secret
    /// (`labelSelector=owner=helm`, `fieldSelector=type=helm.sh/release.v1`), every object of
    /// [`SCANNED_KINDS`] labelled `app.kubernetes.io/managed-by=Helm`, and every pod; one list
    /// call each.
    ///
    /// # Errors
    /// [`Error`] when a list fails; a scanned kind that is not served is listed in
    /// `notServed`.
    pub async fn preflight(&self) -> Result<PreflightReport, Error> {
        let helm_releases = self.flux_objects(FluxKind::HelmRelease).await?;
        let release_secrets: Vec<Secret> = self
            .list_required(
                Api::all(self.client.clone()),
                ListParams::default()
                    .labels(RELEASE_SECRET_LABELS)
                    .fields(&format!("type={RELEASE_SECRET_TYPE}")),
                "secrets",
            )
            .await?;
        let mut managed = Vec::new();
        let mut not_served = Vec::new();
        for (group, version, kind, plural) in SCANNED_KINDS {
            let ar = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk(group, version, kind),
                plural,
            );
            let resource = if group.is_empty() {
                (*plural).to_owned()
            } else {
                format!("{plural}.{group}")
            };
            let api = Api::<DynamicObject>::all_with(self.client.clone(), &ar);
            match self
                .list(
                    api,
                    ListParams::default().labels(MANAGED_BY_HELM_SELECTOR),
                    &resource,
                )
                .await?
            {
                Some(list) => managed.extend(list.into_iter().map(|obj| managed_object(&ar, obj))),
                None => not_served.push(format!("{kind} ({})", ar.api_version)),
            }
        }
        let pods: Vec<Pod> = self
            .list_required(Api::all(self.client.clone()), ListParams::default(), "pods")
            .await?;
        Ok(preflight_report(PreflightInput {
            helm_releases,
            release_secrets,
            managed,
            crash_loops: crash_loops(&pods),
            not_served,
        }))
    }

    /// Applies exactly the given fix steps, in order, stopping at the first failure. Each object
    /// is read once and changed only if its uid and resourceVersion are still those of the plan;
    /// otherwise the step is refused with [`Error::Conflict`].
    ///
    /// # Errors
    /// [`Error`] of the first step that failed; the outcomes of the steps before it are lost
    /// only in that the error says which step failed.
    pub async fn apply_fix(&self, plan: &[FixAction]) -> Result<Vec<FixOutcome>, Error> {
        let mut outcomes = Vec::new();
        for step in plan {
            let detail = match step.action {
                FixKind::RemoveHelmOwnership => self.remove_helm_ownership(step).await?,
                FixKind::DeleteReleaseSecret => self.delete_release_secret(step).await?,
            };
            outcomes.push(FixOutcome {
                action: step.clone(),
                applied: true,
                detail,
            });
        }
        Ok(outcomes)
    }

    fn dynamic_api(&self, object: &ObjectRef) -> Api<DynamicObject> {
        let (group, version) = object
            .api_version
            .rsplit_once('/')
            .unwrap_or(("", object.api_version.as_str()));
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(group, version, &object.kind),
            &object.plural,
        );
        match &object.namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    async fn remove_helm_ownership(&self, step: &FixAction) -> Result<String, Error> {
        let object = &step.object;
        let api = self.dynamic_api(object);
        let mut current = api
            .get(&object.name)
            .await
            .map_err(|e| self.call("get", object.plural.clone()).error(e))?;
        if step.uid.is_some() && current.metadata.uid != step.uid
            || step.resource_version.is_some()
                && current.metadata.resource_version != step.resource_version
        {
            return Err(Error::Conflict {
                object: object.to_string(),
                detail: "its uid or resourceVersion differs from the plan's".into(),
            });
        }
        if let Some(labels) = current.metadata.labels.as_mut() {
            labels.remove(MANAGED_BY_LABEL);
        }
        if let Some(annotations) = current.metadata.annotations.as_mut() {
            annotations.remove(RELEASE_NAME_ANNOTATION);
            annotations.remove(RELEASE_NAMESPACE_ANNOTATION);
        }
        api.replace(&object.name, &PostParams::default(), &current)
            .await
            .map_err(|e| self.call("update", object.plural.clone()).error(e))?;
        Ok(format!("removed Helm ownership metadata from {object}"))
    }

    async fn delete_release_secret(&self, step: &FixAction) -> Result<String, Error> {
        let object = &step.object;
        let api = self.dynamic_api(object);
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: step.uid.clone(),
                resource_version: step.resource_version.clone(),
            }),
            ..DeleteParams::default()
        };
        api.delete(&object.name, &params)
            .await
            .map_err(|e| self.call("delete", object.plural.clone()).error(e))?;
        Ok(format!("deleted {object}"))
    }
}

fn managed_object(ar: &ApiResource, obj: DynamicObject) -> ManagedObject {
    let meta = obj.metadata;
    ManagedObject {
        object: ObjectRef {
            api_version: ar.api_version.clone(),
            kind: ar.kind.clone(),
            plural: ar.plural.clone(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone().unwrap_or_default(),
        },
        labels: meta.labels.unwrap_or_default(),
        annotations: meta.annotations.unwrap_or_default(),
        uid: meta.uid,
        resource_version: meta.resource_version,
    }
}
