//! The `pulumirpc.ResourceProvider` gRPC service over a [`Package`].

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::adapter::{ErasedResource, OperationEnv, check_inputs};
use super::context::{EngineLog, NOT_CONFIGURED};
use super::function::ErasedFunction;
use super::package::{Package, config_shape, package_schema_json};
use super::proto::pulumirpc::{
    CallRequest, CallResponse, CheckRequest, CheckResponse, ConfigureRequest, ConfigureResponse,
    ConstructRequest, ConstructResponse, CreateRequest, CreateResponse, DeleteRequest, DiffRequest,
    DiffResponse, GetMappingRequest, GetMappingResponse, GetMappingsRequest, GetMappingsResponse,
    GetSchemaRequest, GetSchemaResponse, InvokeRequest, InvokeResponse, ListRequest, ListResponse,
    ParameterizeRequest, ParameterizeResponse, PluginAttach, PluginInfo, PropertyDiff,
    ProviderHandshakeRequest, ProviderHandshakeResponse, ReadRequest, ReadResponse, UpdateRequest,
    UpdateResponse, diff_response::DiffChanges, property_diff::Kind as DiffKind,
    resource_provider_server::ResourceProvider,
};
use super::value::{PropertyMap, Value, from_opt_struct, to_struct};

/// Why there are no clients after a panic poisoned their lock.
const POISONED: &str = "the provider's configured clients are unusable after an earlier internal \
     error (a panic while configuring); restart the provider (run the Pulumi command again)";

/// The largest message accepted or sent; the engine allows 400 MB.
pub const MAX_MESSAGE_BYTES: usize = 400 * 1024 * 1024;

struct Inner<P: Package> {
    package: P,
    resources: HashMap<&'static str, Arc<dyn ErasedResource<P::Client>>>,
    resource_list: Vec<Arc<dyn ErasedResource<P::Client>>>,
    functions: HashMap<&'static str, Arc<dyn ErasedFunction<P::Client>>>,
    function_list: Vec<Arc<dyn ErasedFunction<P::Client>>>,
    /// The clients Configure built, or why there are none.
    client: RwLock<Result<Arc<P::Client>, String>>,
    cancel: CancellationToken,
    log: EngineLog,
    schema: OnceLock<Result<String, String>>,
}

/// The provider service. Cheap to clone.
pub struct ProviderService<P: Package> {
    inner: Arc<Inner<P>>,
}

impl<P: Package> Clone for ProviderService<P> {
    fn clone(&self) -> Self {
        ProviderService {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P: Package> ProviderService<P> {
    /// A service for `package` with its resources and functions; `cancel` fires on Cancel and
    /// on shutdown, `log` reaches the engine once an address is known.
    pub(crate) fn new(
        package: P,
        resource_list: Vec<Arc<dyn ErasedResource<P::Client>>>,
        function_list: Vec<Arc<dyn ErasedFunction<P::Client>>>,
        cancel: CancellationToken,
        log: EngineLog,
    ) -> ProviderService<P> {
        ProviderService {
            inner: Arc::new(Inner {
                resources: resource_list
                    .iter()
                    .map(|r| (r.token(), Arc::clone(r)))
                    .collect(),
                functions: function_list
                    .iter()
                    .map(|f| (f.token(), Arc::clone(f)))
                    .collect(),
                resource_list,
                function_list,
                package,
                client: RwLock::new(Err(NOT_CONFIGURED.to_owned())),
                cancel,
                log,
                schema: OnceLock::new(),
            }),
        }
    }

    /// The package schema as JSON text (built once).
    ///
    /// # Errors
    /// `Internal` when the schema cannot be written as JSON (a bug in the layer).
    pub fn schema_json(&self) -> Result<&str, Status> {
        self.inner
            .schema
            .get_or_init(|| {
                package_schema_json(
                    &self.inner.package,
                    &self.inner.resource_list,
                    &self.inner.function_list,
                )
                .map_err(|e| format!("the package schema cannot be written: {e}"))
            })
            .as_deref()
            .map_err(|e| Status::internal(e.clone()))
    }

    /// `Unimplemented` with `message`, in which `{package}` names this package.
    fn unsupported(&self, message: &str) -> Status {
        Status::unimplemented(message.replace("{package}", self.inner.package.name()))
    }

    fn env(&self) -> OperationEnv<P::Client> {
        OperationEnv {
            client: match self.inner.client.read() {
                Ok(client) => client.clone(),
                Err(_) => Err(POISONED.to_owned()),
            },
            cancel: self.inner.cancel.clone(),
            log: self.inner.log.clone(),
        }
    }

    fn resource(&self, token: &str) -> Result<Arc<dyn ErasedResource<P::Client>>, Status> {
        self.inner.resources.get(token).cloned().ok_or_else(|| {
            let mut known: Vec<_> = self.inner.resources.keys().copied().collect();
            known.sort_unstable();
            Status::invalid_argument(format!(
                "unknown resource type {token:?}; the {} provider {} offers {}",
                self.inner.package.name(),
                self.inner.package.version(),
                known.join(", ")
            ))
        })
    }

    fn config_map(
        req_args: Option<&prost_types::Struct>,
        variables: &HashMap<String, String>,
        package: &str,
    ) -> PropertyMap {
        let mut map = from_opt_struct(req_args);
        if map.is_empty() {
            // Older engines send only the flat `pkg:config:key` form.
            let prefix = format!("{package}:config:");
            for (k, v) in variables {
                if let Some(key) = k.strip_prefix(&prefix) {
                    map.insert(key.to_owned(), Value::String(v.clone()));
                }
            }
        }
        map
    }
}

fn type_of(urn: &str, explicit: &str) -> String {
    if !explicit.is_empty() {
        return explicit.to_owned();
    }
    // urn:pulumi:stack::project::[parent$]type::name
    let mut parts = urn.split("::");
    let _ = (parts.next(), parts.next());
    parts
        .next()
        .map(|t| t.rsplit('$').next().unwrap_or(t).to_owned())
        .unwrap_or_default()
}

/// Runs a handler; a panic becomes `Internal` with a useful message and the server goes on.
async fn guard<T>(method: &str, fut: impl Future<Output = Result<T, Status>>) -> Result<T, Status> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            tracing::error!("{method} panicked: {what}");
            Err(Status::internal(format!(
                "internal error in {method}: {what}. This is a bug in the provider; the provider \
                 is still serving, please report it"
            )))
        }
    }
}

type ListStream = Pin<Box<dyn futures::Stream<Item = Result<ListResponse, Status>> + Send>>;

#[tonic::async_trait]
impl<P: Package> ResourceProvider for ProviderService<P> {
    async fn handshake(
        &self,
        req: Request<ProviderHandshakeRequest>,
    ) -> Result<Response<ProviderHandshakeResponse>, Status> {
        guard("Handshake", async {
            let req = req.into_inner();
            self.inner.log.connect(&req.engine_address);
            Ok(Response::new(ProviderHandshakeResponse {
                accept_secrets: true,
                accept_resources: true,
                accept_outputs: false,
                supports_autonaming_configuration: false,
            }))
        })
        .await
    }

    async fn parameterize(
        &self,
        _req: Request<ParameterizeRequest>,
    ) -> Result<Response<ParameterizeResponse>, Status> {
        Err(self.unsupported("the {package} provider takes no parameters"))
    }

    async fn get_schema(
        &self,
        req: Request<GetSchemaRequest>,
    ) -> Result<Response<GetSchemaResponse>, Status> {
        guard("GetSchema", async {
            let req = req.into_inner();
            if !req.subpackage_name.is_empty() {
                return Err(Status::invalid_argument(format!(
                    "unknown subpackage {:?}: this provider has none",
                    req.subpackage_name
                )));
            }
            Ok(Response::new(GetSchemaResponse {
                schema: self.schema_json()?.to_owned(),
            }))
        })
        .await
    }

    async fn check_config(
        &self,
        req: Request<CheckRequest>,
    ) -> Result<Response<CheckResponse>, Status> {
        guard("CheckConfig", async {
            let req = req.into_inner();
            let news = from_opt_struct(req.news.as_ref());
            let (shape, _) = config_shape(&self.inner.package);
            // The engine also passes `version` and other bookkeeping keys; keep them as they are.
            let (known, passthrough): (PropertyMap, PropertyMap) =
                news.into_iter().partition(|(k, _)| shape.get(k).is_some());
            let (mut inputs, failures) = check_inputs(&shape, &known, |c: &mut P::Config| {
                self.inner.package.check_config(c)
            });
            inputs.extend(passthrough);
            Ok(Response::new(CheckResponse {
                inputs: Some(to_struct(&inputs)),
                failures: failures.into_iter().map(Into::into).collect(),
            }))
        })
        .await
    }

    async fn diff_config(
        &self,
        req: Request<DiffRequest>,
    ) -> Result<Response<DiffResponse>, Status> {
        guard("DiffConfig", async {
            let req = req.into_inner();
            let olds = from_opt_struct(req.old_inputs.as_ref().or(req.olds.as_ref()));
            let news = from_opt_struct(req.news.as_ref());
            let (shape, _) = config_shape(&self.inner.package);
            let mut diffs = Vec::new();
            let mut detailed = HashMap::new();
            for p in &shape.properties {
                let (o, n) = (olds.get(&p.name), news.get(&p.name));
                let changed = match (o, n) {
                    (None, None) => false,
                    (Some(o), Some(n)) => !o.same_as(n),
                    _ => true,
                };
                if changed {
                    let kind = match (o, n) {
                        (None, _) => DiffKind::Add,
                        (_, None) => DiffKind::Delete,
                        _ => DiffKind::Update,
                    };
                    diffs.push(p.name.clone());
                    // Never a replace: a new key or URL must not replace every resource.
                    detailed.insert(
                        p.name.clone(),
                        PropertyDiff {
                            kind: kind as i32,
                            input_diff: true,
                        },
                    );
                }
            }
            Ok(Response::new(DiffResponse {
                changes: if diffs.is_empty() {
                    DiffChanges::DiffNone
                } else {
                    DiffChanges::DiffSome
                } as i32,
                diffs,
                detailed_diff: detailed,
                has_detailed_diff: true,
                ..DiffResponse::default()
            }))
        })
        .await
    }

    async fn configure(
        &self,
        req: Request<ConfigureRequest>,
    ) -> Result<Response<ConfigureResponse>, Status> {
        guard("Configure", async {
            let req = req.into_inner();
            let map =
                Self::config_map(req.args.as_ref(), &req.variables, self.inner.package.name());
            let plain = Value::Object(map).to_plain();
            if plain.unknown {
                // The engine skips Configure when config is unknown; be lenient anyway.
                return Ok(Response::new(configure_response()));
            }
            let outcome = match serde_path_to_error::deserialize::<_, P::Config>(plain.json) {
                Ok(config) => self
                    .inner
                    .package
                    .configure(config)
                    .await
                    .map(Arc::new)
                    .map_err(|reason| (Status::failed_precondition(reason.clone()), reason)),
                Err(e) => {
                    let reason = format!(
                        "provider configuration `{}` is not valid: {}",
                        e.path(),
                        e.inner()
                    );
                    Err((Status::invalid_argument(reason.clone()), reason))
                }
            };
            let mut slot = self
                .inner
                .client
                .write()
                .map_err(|_| Status::internal(POISONED))?;
            match outcome {
                Ok(client) => {
                    *slot = Ok(client);
                    Ok(Response::new(configure_response()))
                }
                Err((status, reason)) => {
                    // Later calls say why they cannot run, not that Configure never came.
                    *slot = Err(format!(
                        "the provider is not configured: Configure failed: {reason}"
                    ));
                    Err(status)
                }
            }
        })
        .await
    }

    async fn invoke(
        &self,
        req: Request<InvokeRequest>,
    ) -> Result<Response<InvokeResponse>, Status> {
        guard("Invoke", async {
            let req = req.into_inner();
            let f = self
                .inner
                .functions
                .get(req.tok.as_str())
                .cloned()
                .ok_or_else(|| {
                    let mut known: Vec<_> = self.inner.functions.keys().copied().collect();
                    known.sort_unstable();
                    Status::invalid_argument(format!(
                        "unknown function {:?}; this provider offers {}",
                        req.tok,
                        known.join(", ")
                    ))
                })?;
            f.invoke(self.env(), req).await.map(Response::new)
        })
        .await
    }

    async fn call(&self, _req: Request<CallRequest>) -> Result<Response<CallResponse>, Status> {
        Err(self.unsupported("the {package} provider has no methods"))
    }

    async fn check(&self, req: Request<CheckRequest>) -> Result<Response<CheckResponse>, Status> {
        guard("Check", async {
            let req = req.into_inner();
            let r = self.resource(&type_of(&req.urn, &req.r#type))?;
            Ok(Response::new(r.check(&req)))
        })
        .await
    }

    async fn diff(&self, req: Request<DiffRequest>) -> Result<Response<DiffResponse>, Status> {
        guard("Diff", async {
            let req = req.into_inner();
            let r = self.resource(&type_of(&req.urn, &req.r#type))?;
            Ok(Response::new(r.diff(&req)))
        })
        .await
    }

    async fn create(
        &self,
        req: Request<CreateRequest>,
    ) -> Result<Response<CreateResponse>, Status> {
        guard("Create", async {
            let req = req.into_inner();
            let r = self.resource(&type_of(&req.urn, &req.r#type))?;
            r.create(self.env(), req).await.map(Response::new)
        })
        .await
    }

    async fn read(&self, req: Request<ReadRequest>) -> Result<Response<ReadResponse>, Status> {
        guard("Read", async {
            let req = req.into_inner();
            let r = self.resource(&type_of(&req.urn, &req.r#type))?;
            r.read(self.env(), req).await.map(Response::new)
        })
        .await
    }

    type ListStream = ListStream;

    async fn list(&self, _req: Request<ListRequest>) -> Result<Response<Self::ListStream>, Status> {
        Err(self.unsupported("List is not supported by the {package} provider"))
    }

    async fn update(
        &self,
        req: Request<UpdateRequest>,
    ) -> Result<Response<UpdateResponse>, Status> {
        guard("Update", async {
            let req = req.into_inner();
            let r = self.resource(&type_of(&req.urn, &req.r#type))?;
            r.update(self.env(), req).await.map(Response::new)
        })
        .await
    }

    async fn delete(&self, req: Request<DeleteRequest>) -> Result<Response<()>, Status> {
        guard("Delete", async {
            let req = req.into_inner();
            let r = self.resource(&type_of(&req.urn, &req.r#type))?;
            r.delete(self.env(), req).await.map(Response::new)
        })
        .await
    }

    async fn construct(
        &self,
        _req: Request<ConstructRequest>,
    ) -> Result<Response<ConstructResponse>, Status> {
        Err(self.unsupported("the {package} provider has no components"))
    }

    async fn cancel(&self, _req: Request<()>) -> Result<Response<()>, Status> {
        tracing::info!("Cancel received: stopping in-flight operations");
        self.inner.cancel.cancel();
        Ok(Response::new(()))
    }

    async fn get_plugin_info(&self, _req: Request<()>) -> Result<Response<PluginInfo>, Status> {
        Ok(Response::new(PluginInfo {
            version: self.inner.package.version().to_owned(),
        }))
    }

    async fn attach(&self, req: Request<PluginAttach>) -> Result<Response<()>, Status> {
        self.inner.log.connect(&req.into_inner().address);
        Ok(Response::new(()))
    }

    async fn get_mapping(
        &self,
        _req: Request<GetMappingRequest>,
    ) -> Result<Response<GetMappingResponse>, Status> {
        // No mappings: an empty answer tells the engine so.
        Ok(Response::new(GetMappingResponse::default()))
    }

    async fn get_mappings(
        &self,
        _req: Request<GetMappingsRequest>,
    ) -> Result<Response<GetMappingsResponse>, Status> {
        Ok(Response::new(GetMappingsResponse::default()))
    }
}

fn configure_response() -> ConfigureResponse {
    ConfigureResponse {
        accept_secrets: true,
        supports_preview: true,
        accept_resources: true,
        accept_outputs: false,
        supports_autonaming_configuration: false,
    }
}
