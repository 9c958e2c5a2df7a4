//! The engine's side of the resource-provider protocol: the gRPC calls `pulumi preview`, `up`,
//! `refresh` and `destroy` make for one resource, against any plugin.

use anyhow::{bail, ensure};
use pulumi_provider::proto::pulumirpc::{
    CheckRequest, CreateRequest, DeleteRequest, DiffRequest, InvokeRequest, ReadRequest,
    UpdateRequest, diff_response::DiffChanges, resource_provider_client::ResourceProviderClient,
};
use pulumi_provider::value::{PropertyMap, from_opt_struct, to_struct};
use tonic::transport::Channel;

/// How long the engine lets one create, update or delete take (the resource's
/// `customTimeouts`), in seconds.
const OPERATION_TIMEOUT_SECS: f64 = 120.0;

/// Drives one plugin the way the engine does, for the resources of one Pulumi project. Cheap
/// to clone: clones share the connection, so the engine's parallel steps are parallel calls.
#[derive(Clone)]
pub struct Driver {
    rpc: ResourceProviderClient<Channel>,
    project: &'static str,
}

/// What Diff answered: the changed properties and whether any of them replaces the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The properties that differ.
    pub diffs: Vec<String>,
    /// The properties whose change replaces the resource.
    pub replaces: Vec<String>,
}

impl Planned {
    /// Whether nothing changes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.diffs.is_empty() && self.replaces.is_empty()
    }
}

impl std::fmt::Display for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            f.write_str("no changes")
        } else if self.replaces.is_empty() {
            write!(f, "update in place: {}", self.diffs.join(", "))
        } else {
            write!(f, "replace (because of {})", self.replaces.join(", "))
        }
    }
}

/// Check failures as one line, `property: reason` each.
fn failures_of(failures: &[pulumi_provider::proto::pulumirpc::CheckFailure]) -> String {
    failures
        .iter()
        .map(|f| format!("{}: {}", f.property, f.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Driver {
    /// A driver over a connected plugin, for the resources of `project` (their URNs).
    #[must_use]
    pub fn new(rpc: ResourceProviderClient<Channel>, project: &'static str) -> Driver {
        Driver { rpc, project }
    }

    /// The same plugin, for the resources of another project.
    #[must_use]
    pub fn for_project(&self, project: &'static str) -> Driver {
        Driver {
            rpc: self.rpc.clone(),
            project,
        }
    }

    /// The raw gRPC client, for the calls that are not about one resource.
    #[must_use]
    pub fn rpc(&self) -> ResourceProviderClient<Channel> {
        self.rpc.clone()
    }

    /// The URN the engine gives resource `name` of type `ty` in stack `dev`.
    #[must_use]
    pub fn urn(&self, ty: &str, name: &str) -> String {
        format!("urn:pulumi:dev::{}::{ty}::{name}", self.project)
    }

    /// Check: the provider's defaults and normalisation, or its failures as an error.
    ///
    /// # Errors
    /// The transport's error, or the check failures (`property: reason`).
    pub async fn check(
        &self,
        ty: &str,
        name: &str,
        news: PropertyMap,
    ) -> anyhow::Result<PropertyMap> {
        let r = self
            .rpc
            .clone()
            .check(CheckRequest {
                urn: self.urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                news: Some(to_struct(&news)),
                ..Default::default()
            })
            .await?
            .into_inner();
        if !r.failures.is_empty() {
            bail!("Check of {name} failed: {}", failures_of(&r.failures));
        }
        Ok(from_opt_struct(r.inputs.as_ref()))
    }

    /// Create (with `preview`, what `pulumi preview` shows): the id and outputs, or the
    /// provider's refusal as it sent it.
    ///
    /// # Errors
    /// The provider's status.
    pub async fn create(
        &self,
        ty: &str,
        name: &str,
        inputs: &PropertyMap,
        preview: bool,
    ) -> Result<(String, PropertyMap), tonic::Status> {
        let r = self
            .rpc
            .clone()
            .create(CreateRequest {
                urn: self.urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                properties: Some(to_struct(inputs)),
                preview,
                timeout: OPERATION_TIMEOUT_SECS,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((r.id, from_opt_struct(r.properties.as_ref())))
    }

    /// Read (refresh): the id (empty when the object is gone), the state and the inputs.
    ///
    /// # Errors
    /// The transport's error or the provider's status.
    pub async fn read(
        &self,
        ty: &str,
        name: &str,
        id: &str,
        state: &PropertyMap,
        inputs: &PropertyMap,
    ) -> anyhow::Result<(String, PropertyMap, PropertyMap)> {
        let r = self
            .rpc
            .clone()
            .read(ReadRequest {
                id: id.into(),
                urn: self.urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                properties: Some(to_struct(state)),
                inputs: Some(to_struct(inputs)),
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((
            r.id,
            from_opt_struct(r.properties.as_ref()),
            from_opt_struct(r.inputs.as_ref()),
        ))
    }

    /// Diff: what `pulumi preview` plans for a resource whose inputs are now `news`.
    ///
    /// # Errors
    /// The transport's error, the provider's status, or an answer of `DIFF_UNKNOWN`.
    pub async fn diff(
        &self,
        ty: &str,
        name: &str,
        id: &str,
        olds: &PropertyMap,
        old_inputs: &PropertyMap,
        news: &PropertyMap,
    ) -> anyhow::Result<Planned> {
        let r = self
            .rpc
            .clone()
            .diff(DiffRequest {
                id: id.into(),
                urn: self.urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                olds: Some(to_struct(olds)),
                old_inputs: Some(to_struct(old_inputs)),
                news: Some(to_struct(news)),
                ..Default::default()
            })
            .await?
            .into_inner();
        ensure!(
            r.changes != DiffChanges::DiffUnknown as i32,
            "the provider answered DIFF_UNKNOWN"
        );
        Ok(Planned {
            diffs: r.diffs,
            replaces: r.replaces,
        })
    }

    /// Update in place: the new state.
    ///
    /// # Errors
    /// The transport's error or the provider's status.
    pub async fn update(
        &self,
        ty: &str,
        name: &str,
        id: &str,
        olds: &PropertyMap,
        news: &PropertyMap,
    ) -> anyhow::Result<PropertyMap> {
        let r = self
            .rpc
            .clone()
            .update(UpdateRequest {
                id: id.into(),
                urn: self.urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                olds: Some(to_struct(olds)),
                news: Some(to_struct(news)),
                timeout: OPERATION_TIMEOUT_SECS,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(from_opt_struct(r.properties.as_ref()))
    }

    /// Delete.
    ///
    /// # Errors
    /// The provider's status as it sent it.
    pub async fn delete(
        &self,
        ty: &str,
        name: &str,
        id: &str,
        state: &PropertyMap,
    ) -> Result<(), tonic::Status> {
        self.rpc
            .clone()
            .delete(DeleteRequest {
                id: id.into(),
                urn: self.urn(ty, name),
                r#type: ty.into(),
                name: name.into(),
                properties: Some(to_struct(state)),
                old_inputs: Some(to_struct(state)),
                timeout: OPERATION_TIMEOUT_SECS,
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Invoke a function: its result, or its failures as an error.
    ///
    /// # Errors
    /// The transport's error, the provider's status (a `failOnError` report), or the failures.
    pub async fn invoke(&self, token: &str, args: PropertyMap) -> anyhow::Result<PropertyMap> {
        let r = self
            .rpc
            .clone()
            .invoke(InvokeRequest {
                tok: token.into(),
                args: Some(to_struct(&args)),
                preview: false,
            })
            .await?
            .into_inner();
        if !r.failures.is_empty() {
            bail!("{token} failed: {}", failures_of(&r.failures));
        }
        Ok(from_opt_struct(r.r#return.as_ref()))
    }
}

/// One resource as the engine tracks it in the stack's state.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// Its type token.
    pub ty: &'static str,
    /// Its name in the program.
    pub name: String,
    /// Its id.
    pub id: String,
    /// The inputs it was made from.
    pub inputs: PropertyMap,
    /// Its outputs.
    pub state: PropertyMap,
}
