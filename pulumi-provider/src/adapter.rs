//! The generic controller around a typed [`Resource`]: decoding, Check normalisation and
//! failures, the default Diff, preview, secrets, Read semantics, timeouts, cancellation and
//! `ErrorResourceInitFailed`. Resource files never see protobuf.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::context::{Context, EngineLog};
use super::proto::google_rpc;
use super::proto::pulumirpc::{
    self, CheckRequest, CheckResponse, CreateRequest, CreateResponse, DeleteRequest, DiffRequest,
    DiffResponse, ErrorResourceInitFailed, PropertyDiff, ReadRequest, ReadResponse, UpdateRequest,
    UpdateResponse, diff_response::DiffChanges, property_diff::Kind as DiffKind,
};
use super::resource::{CheckFailure, Resource, ResourceError};
use super::schema::{ObjectShape, TypeRegistry};
use super::value::{PropertyMap, Value, from_opt_struct, to_struct};

/// Extra time the adapter allows past a resource's own deadline before it gives up on it;
/// resources watch their deadline themselves so they can report partial progress.
const DEADLINE_GRACE: Duration = Duration::from_secs(5);

/// How long a cancelled operation may take to wind down and report what exists.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// The input and output shapes of one resource, computed once on first use.
#[derive(Clone, Debug)]
pub struct ResourceShapes {
    /// The inputs (`Args`).
    pub inputs: ObjectShape,
    /// The outputs (`State`).
    pub outputs: ObjectShape,
    /// Named object types the two use.
    pub types: TypeRegistry,
}

/// What the server needs from a resource, with the types erased.
#[async_trait]
pub trait ErasedResource<C>: Send + Sync {
    /// The type token.
    fn token(&self) -> &'static str;
    /// The description.
    fn description(&self) -> &'static str;
    /// The input and output shapes.
    fn shapes(&self) -> &ResourceShapes;
    /// Check.
    fn check(&self, req: &CheckRequest) -> CheckResponse;
    /// Diff.
    fn diff(&self, req: &DiffRequest) -> DiffResponse;
    /// Create.
    async fn create(
        &self,
        env: OperationEnv<C>,
        req: CreateRequest,
    ) -> Result<CreateResponse, tonic::Status>;
    /// Read.
    async fn read(
        &self,
        env: OperationEnv<C>,
        req: ReadRequest,
    ) -> Result<ReadResponse, tonic::Status>;
    /// Update.
    async fn update(
        &self,
        env: OperationEnv<C>,
        req: UpdateRequest,
    ) -> Result<UpdateResponse, tonic::Status>;
    /// Delete.
    async fn delete(&self, env: OperationEnv<C>, req: DeleteRequest) -> Result<(), tonic::Status>;
}

/// What the server hands every operation: clients, cancellation, the engine log.
pub struct OperationEnv<C> {
    /// The configured clients, or why there are none (Configure not called, or failed).
    pub client: Result<Arc<C>, String>,
    /// Fires on Cancel or shutdown.
    pub cancel: CancellationToken,
    /// The engine log.
    pub log: EngineLog,
}

impl<C> OperationEnv<C> {
    fn context(&self, urn: &str, timeout_secs: f64, default: Duration) -> Context<C> {
        let timeout = if timeout_secs.is_finite() && timeout_secs > 0.0 {
            Duration::from_secs_f64(timeout_secs.min(7.0 * 24.0 * 3600.0))
        } else {
            default
        };
        Context::with_client(
            self.client.clone(),
            urn,
            Instant::now() + timeout,
            self.cancel.clone(),
            self.log.clone(),
        )
    }
}

/// Wraps a typed resource for the server.
pub struct ResourceAdapter<R: Resource> {
    resource: R,
    shapes: OnceLock<ResourceShapes>,
}

impl<R: Resource> ResourceAdapter<R> {
    /// Wraps `resource`.
    pub fn new(resource: R) -> ResourceAdapter<R> {
        ResourceAdapter {
            resource,
            shapes: OnceLock::new(),
        }
    }

    fn package(&self) -> &'static str {
        R::TOKEN.split(':').next().unwrap_or(R::TOKEN)
    }

    fn input_names(&self) -> impl Iterator<Item = &str> {
        self.shapes()
            .inputs
            .properties
            .iter()
            .map(|p| p.name.as_str())
    }

    /// Input keys whose value is (or holds) a secret.
    fn secret_keys(map: &PropertyMap) -> BTreeSet<String> {
        map.iter()
            .filter(|(_, v)| v.contains_secret())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Turns serialized state into wire properties: nulls dropped, secrets wrapped where the
    /// input was secret or the schema says so.
    fn encode_outputs(&self, state: serde_json::Value, secret: &BTreeSet<String>) -> PropertyMap {
        let shapes = self.shapes();
        let mut out = PropertyMap::new();
        if let serde_json::Value::Object(fields) = state {
            for (k, v) in fields {
                if v.is_null() {
                    continue;
                }
                let schema_secret = shapes.outputs.get(&k).is_some_and(|p| p.secret)
                    || shapes.inputs.get(&k).is_some_and(|p| p.secret);
                let value = Value::from_json(v);
                let value = if schema_secret || secret.contains(&k) {
                    value.into_secret()
                } else {
                    value
                };
                out.insert(k, value);
            }
        }
        out
    }

    /// The inputs that a state implies: its input-named properties, secretness kept.
    fn inputs_from_state(&self, state: &PropertyMap, secret: &BTreeSet<String>) -> PropertyMap {
        let mut inputs = PropertyMap::new();
        for name in self.input_names() {
            if let Some(v) = state.get(name) {
                let v = if secret.contains(name) {
                    v.clone().into_secret()
                } else {
                    v.clone()
                };
                inputs.insert(name.to_owned(), v);
            }
        }
        inputs
    }

    fn decode<T: DeserializeOwned>(map: &PropertyMap, what: &str) -> Result<T, tonic::Status> {
        let json = Value::Object(map.clone()).to_plain();
        if json.unknown {
            return Err(tonic::Status::invalid_argument(format!(
                "{} {what} hold unknown values outside a preview; this is a bug in the caller",
                R::TOKEN
            )));
        }
        serde_path_to_error::deserialize(json.json).map_err(|e| {
            tonic::Status::invalid_argument(format!(
                "{} {what} are not valid at `{}`: {}",
                R::TOKEN,
                e.path(),
                e.inner()
            ))
        })
    }

    fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, tonic::Status> {
        serde_json::to_value(v).map_err(|e| {
            tonic::Status::internal(format!(
                "{} state cannot be encoded: {e}. This is a bug in the provider, please report it",
                R::TOKEN
            ))
        })
    }

    async fn run<T>(
        cx: &Context<R::Client>,
        op: impl Future<Output = Result<T, ResourceError>>,
    ) -> Result<T, ResourceError> {
        let hard_deadline = tokio::time::Instant::from_std(cx.deadline() + DEADLINE_GRACE);
        // On Cancel the resource sees `cx.cancellation()` and gets a moment to report what
        // it made (an init-failed create); only then is it dropped.
        let cancelled = async {
            cx.cancellation().cancelled().await;
            tokio::time::sleep(CANCEL_GRACE).await;
        };
        tokio::select! {
            _ = cancelled => Err(ResourceError::Cancelled),
            r = tokio::time::timeout_at(hard_deadline, op) => match r {
                Ok(r) => r,
                Err(_) => Err(ResourceError::msg(format!(
                    "{} did not finish within its timeout; raise it with the resource option \
                     `customTimeouts`",
                    R::TOKEN
                ))),
            },
        }
    }

    fn error_status(
        &self,
        err: ResourceError,
        inputs: &PropertyMap,
        secret: &BTreeSet<String>,
    ) -> tonic::Status {
        match err {
            ResourceError::Failed(m) => tonic::Status::unknown(m),
            ResourceError::Cancelled => tonic::Status::cancelled(format!(
                "{}: the operation was cancelled before it finished",
                R::TOKEN
            )),
            ResourceError::InitFailed { id, state, reasons } => {
                let properties = self.encode_outputs(state, secret);
                let detail = ErrorResourceInitFailed {
                    id: id.clone(),
                    properties: Some(to_struct(&properties)),
                    reasons: reasons.clone(),
                    inputs: Some(to_struct(inputs)),
                    refresh_before_update: false,
                };
                init_failed_status(
                    &format!("{} {id}: {}", R::TOKEN, reasons.join("; ")),
                    &detail,
                )
            }
        }
    }
}

impl From<CheckFailure> for pulumirpc::CheckFailure {
    fn from(f: CheckFailure) -> Self {
        pulumirpc::CheckFailure {
            property: f.property,
            reason: f.reason,
        }
    }
}

/// A `tonic::Status` carrying `ErrorResourceInitFailed` as a `google.rpc.Status` detail.
pub fn init_failed_status(message: &str, detail: &ErrorResourceInitFailed) -> tonic::Status {
    let status = google_rpc::Status {
        code: tonic::Code::Unknown as i32,
        message: message.to_owned(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/pulumirpc.ErrorResourceInitFailed".to_owned(),
            value: detail.encode_to_vec(),
        }],
    };
    tonic::Status::with_details(
        tonic::Code::Unknown,
        message.to_owned(),
        status.encode_to_vec().into(),
    )
}

#[async_trait]
impl<R: Resource> ErasedResource<R::Client> for ResourceAdapter<R> {
    fn token(&self) -> &'static str {
        R::TOKEN
    }

    fn description(&self) -> &'static str {
        R::DESCRIPTION
    }

    fn shapes(&self) -> &ResourceShapes {
        self.shapes.get_or_init(|| {
            let mut types = TypeRegistry::new(self.package());
            let inputs = ObjectShape::of_inputs::<R::Args>(&mut types);
            let outputs = ObjectShape::of_outputs::<R::State>(&mut types);
            ResourceShapes {
                inputs,
                outputs,
                types,
            }
        })
    }

    fn check(&self, req: &CheckRequest) -> CheckResponse {
        let news = from_opt_struct(req.news.as_ref());
        let (inputs, failures) =
            check_inputs(&self.shapes().inputs, &news, |args: &mut R::Args| {
                self.resource.check(args)
            });
        CheckResponse {
            inputs: Some(to_struct(&inputs)),
            failures: failures.into_iter().map(Into::into).collect(),
        }
    }

    fn diff(&self, req: &DiffRequest) -> DiffResponse {
        let olds = from_opt_struct(req.olds.as_ref());
        let old_inputs = from_opt_struct(req.old_inputs.as_ref());
        let news = from_opt_struct(req.news.as_ref());
        let shapes = self.shapes();
        let mut diffs = Vec::new();
        let mut replaces = Vec::new();
        let mut detailed = std::collections::HashMap::new();
        for prop in &shapes.inputs.properties {
            let name = prop.name.as_str();
            if req.ignore_changes.iter().any(|i| i == name) {
                continue;
            }
            let new = news.get(name);
            // An optional input the program never set may hold a value the cloud chose in
            // the state; leaving it unset is not a change.
            if new.is_none() && !old_inputs.is_empty() && !old_inputs.contains_key(name) {
                continue;
            }
            let old = olds.get(name).or_else(|| old_inputs.get(name));
            let present = |v: Option<&Value>| v.is_some_and(|v| !matches!(v, Value::Null));
            let (old_present, new_present) = (present(old), present(new));
            let changed = match (old, new) {
                _ if !old_present && !new_present => false,
                (Some(o), Some(n)) if old_present && new_present => !o.same_as(n),
                _ => true,
            };
            if !changed {
                continue;
            }
            let replace = prop.replace_on_changes || !R::UPDATABLE;
            let kind = match (old_present, new_present, replace) {
                (false, _, false) => DiffKind::Add,
                (false, _, true) => DiffKind::AddReplace,
                (true, false, false) => DiffKind::Delete,
                (true, false, true) => DiffKind::DeleteReplace,
                (true, true, false) => DiffKind::Update,
                (true, true, true) => DiffKind::UpdateReplace,
            };
            diffs.push(name.to_owned());
            if replace {
                replaces.push(name.to_owned());
            }
            detailed.insert(
                name.to_owned(),
                PropertyDiff {
                    kind: kind as i32,
                    input_diff: true,
                },
            );
        }
        DiffResponse {
            changes: if diffs.is_empty() {
                DiffChanges::DiffNone
            } else {
                DiffChanges::DiffSome
            } as i32,
            delete_before_replace: R::DELETE_BEFORE_REPLACE && !replaces.is_empty(),
            replaces,
            stables: Vec::new(),
            diffs,
            detailed_diff: detailed,
            has_detailed_diff: true,
        }
    }

    async fn create(
        &self,
        env: OperationEnv<R::Client>,
        req: CreateRequest,
    ) -> Result<CreateResponse, tonic::Status> {
        let inputs = from_opt_struct(req.properties.as_ref());
        let secret = Self::secret_keys(&inputs);
        if req.preview {
            // Outputs that are not inputs are not known until the object exists; an input
            // left out stays left out.
            let shapes = self.shapes();
            let mut outputs = inputs.clone();
            for p in &shapes.outputs.properties {
                if shapes.inputs.get(&p.name).is_none() {
                    outputs
                        .entry(p.name.clone())
                        .or_insert(Value::Unknown(super::value::Unknown::Any));
                }
            }
            return Ok(CreateResponse {
                id: String::new(),
                properties: Some(to_struct(&outputs)),
                refresh_before_update: false,
            });
        }
        let args: R::Args = Self::decode(&inputs, "inputs")?;
        let cx = env.context(&req.urn, req.timeout, R::DEFAULT_TIMEOUT);
        let created = Self::run(&cx, self.resource.create(&cx, args))
            .await
            .map_err(|e| self.error_status(e, &inputs, &secret))?;
        if created.id.is_empty() {
            return Err(tonic::Status::internal(format!(
                "{} create returned an empty id; this is a bug in the provider",
                R::TOKEN
            )));
        }
        let properties = self.encode_outputs(Self::to_json(&created.state)?, &secret);
        Ok(CreateResponse {
            id: created.id,
            properties: Some(to_struct(&properties)),
            refresh_before_update: false,
        })
    }

    async fn read(
        &self,
        env: OperationEnv<R::Client>,
        req: ReadRequest,
    ) -> Result<ReadResponse, tonic::Status> {
        let prior_map = from_opt_struct(req.properties.as_ref());
        let req_inputs = from_opt_struct(req.inputs.as_ref());
        let mut secret = Self::secret_keys(&prior_map);
        secret.extend(Self::secret_keys(&req_inputs));
        // On import only the id is known; a stored state that no longer decodes (an older
        // provider wrote it) is treated the same way rather than failing the refresh.
        let prior: Option<R::State> = if prior_map.is_empty() {
            None
        } else {
            Self::decode(&prior_map, "stored state").ok()
        };
        let cx = env.context(&req.urn, req.timeout, R::DEFAULT_TIMEOUT);
        let state = Self::run(&cx, self.resource.read(&cx, &req.id, prior))
            .await
            .map_err(|e| self.error_status(e, &req_inputs, &secret))?;
        let Some(state) = state else {
            return Ok(ReadResponse::default());
        };
        let properties = self.encode_outputs(Self::to_json(&state)?, &secret);
        let inputs = if req_inputs.is_empty() {
            // Import: every input the object implies, less what the configuration supplies.
            let mut inputs = self.inputs_from_state(&properties, &secret);
            for name in self.resource.omitted_on_import(&cx, &state) {
                inputs.remove(name);
            }
            inputs
        } else {
            // Refresh: the inputs the program set, updated from what the cloud holds; an
            // optional input the program left out stays out.
            let mut inputs = self.inputs_from_state(&properties, &secret);
            inputs.retain(|k, _| req_inputs.contains_key(k));
            inputs
        };
        Ok(ReadResponse {
            id: req.id,
            properties: Some(to_struct(&properties)),
            inputs: Some(to_struct(&inputs)),
            refresh_before_update: false,
        })
    }

    async fn update(
        &self,
        env: OperationEnv<R::Client>,
        req: UpdateRequest,
    ) -> Result<UpdateResponse, tonic::Status> {
        let olds_map = from_opt_struct(req.olds.as_ref());
        let news_map = from_opt_struct(req.news.as_ref());
        let mut secret = Self::secret_keys(&news_map);
        for (k, v) in &olds_map {
            // A property that was secret stays secret unless the new input says otherwise.
            if v.contains_secret() && !news_map.contains_key(k) {
                secret.insert(k.clone());
            }
        }
        if req.preview {
            let mut outputs = olds_map.clone();
            for name in self.input_names() {
                match news_map.get(name) {
                    Some(v) => outputs.insert(name.to_owned(), v.clone()),
                    None => outputs.remove(name),
                };
            }
            return Ok(UpdateResponse {
                properties: Some(to_struct(&outputs)),
                refresh_before_update: false,
            });
        }
        let olds: R::State = Self::decode(&olds_map, "stored state")?;
        let news: R::Args = Self::decode(&news_map, "inputs")?;
        let cx = env.context(&req.urn, req.timeout, R::DEFAULT_TIMEOUT);
        let state = Self::run(&cx, self.resource.update(&cx, &req.id, olds, news))
            .await
            .map_err(|e| self.error_status(e, &news_map, &secret))?;
        let properties = self.encode_outputs(Self::to_json(&state)?, &secret);
        Ok(UpdateResponse {
            properties: Some(to_struct(&properties)),
            refresh_before_update: false,
        })
    }

    async fn delete(
        &self,
        env: OperationEnv<R::Client>,
        req: DeleteRequest,
    ) -> Result<(), tonic::Status> {
        let state_map = from_opt_struct(req.properties.as_ref());
        let secret = Self::secret_keys(&state_map);
        let state: R::State = Self::decode(&state_map, "stored state")?;
        let cx = env.context(&req.urn, req.timeout, R::DEFAULT_TIMEOUT);
        Self::run(&cx, self.resource.delete(&cx, &req.id, state))
            .await
            .map_err(|e| self.error_status(e, &state_map, &secret))
    }
}

/// What is wrong with `key`, which `shape` does not have, and which properties it accepts.
fn unknown_property(shape: &ObjectShape, key: &str) -> String {
    if shape.properties.is_empty() {
        return format!("unknown property `{key}`: this takes no properties; remove it");
    }
    let known = shape
        .properties
        .iter()
        .map(|p| format!("`{}`", p.name))
        .collect::<Vec<_>>()
        .join(", ");
    format!("unknown property `{key}`; the properties are {known}")
}

/// Check's core, shared by resources and provider configuration: decode `news` into `T`
/// with unknowns replaced by placeholders, run `check`, and return the normalised inputs
/// (unknowns restored, secrets re-wrapped) with every failure that concerns a known value.
pub fn check_inputs<T, F>(
    shape: &ObjectShape,
    news: &PropertyMap,
    check: F,
) -> (PropertyMap, Vec<CheckFailure>)
where
    T: DeserializeOwned + Serialize,
    F: FnOnce(&mut T) -> Vec<CheckFailure>,
{
    let mut failures = Vec::new();
    let mut unknown = BTreeSet::new();
    let mut secret = BTreeSet::new();
    let mut plain = serde_json::Map::new();
    for (key, value) in news {
        if key.starts_with("__") {
            continue; // engine bookkeeping such as `__defaults`
        }
        let Some(prop) = shape.get(key) else {
            failures.push(CheckFailure::new(key.clone(), unknown_property(shape, key)));
            continue;
        };
        let p = value.to_plain();
        if p.secret {
            secret.insert(key.clone());
        }
        if p.unknown {
            unknown.insert(key.clone());
            plain.insert(key.clone(), prop.placeholder.clone());
        } else if !p.json.is_null() {
            plain.insert(key.clone(), p.json);
        }
    }
    for req in &shape.required {
        if !plain.contains_key(req) && !unknown.contains(req) {
            failures.push(CheckFailure::new(
                req.clone(),
                format!("missing required property `{req}`"),
            ));
        }
    }
    if !failures.is_empty() {
        return (news.clone(), failures);
    }
    let mut checked: T = match serde_path_to_error::deserialize(serde_json::Value::Object(plain)) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let top = path.split(['.', '[']).next().unwrap_or_default().to_owned();
            if !unknown.contains(&top) {
                let property = if path == "." { String::new() } else { path };
                failures.push(CheckFailure::new(property, friendly_serde(e.inner())));
            }
            return (news.clone(), failures);
        }
    };
    failures.extend(check(&mut checked).into_iter().filter(|f| {
        let top = f.property.split(['.', '[']).next().unwrap_or_default();
        !unknown.contains(top)
    }));
    if !failures.is_empty() {
        return (news.clone(), failures);
    }
    let mut out = PropertyMap::new();
    // Unknowns go back exactly as they came, whatever the check did to their placeholders.
    for k in &unknown {
        if let Some(orig) = news.get(k) {
            out.insert(k.clone(), orig.clone());
        }
    }
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&checked) {
        for (k, v) in fields {
            if unknown.contains(&k) {
                continue;
            }
            if v.is_null() {
                continue;
            }
            let v = Value::from_json(v);
            let schema_secret = shape.get(&k).is_some_and(|p| p.secret);
            out.insert(
                k.clone(),
                if secret.contains(&k) || schema_secret {
                    v.into_secret()
                } else {
                    v
                },
            );
        }
    }
    (out, failures)
}

fn friendly_serde(e: &serde_json::Error) -> String {
    let m = e.to_string();
    // serde_json appends " at line 1 column N" only for text input; values have none.
    m.replace("invalid type: ", "wrong type: got ")
}

/// In-process lifecycle tests of the adapter with a small in-memory resource: no network, no
/// protobuf client, just the controller's rules.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use schemars::JsonSchema;
    use serde::Deserialize;

    use super::*;
    use crate::resource::Created;
    use crate::value::Unknown;

    /// A widget's inputs.
    #[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct WidgetArgs {
        /// Its name; changing it replaces the widget.
        #[schemars(extend("x-replace" = true))]
        name: String,
        /// Its size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u32>,
        /// A note.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    /// A widget's state.
    #[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct WidgetState {
        #[serde(flatten)]
        args: WidgetArgs,
        /// Assigned by the store.
        widget_id: String,
        /// A credential, always secret.
        #[schemars(extend("x-secret" = true))]
        token: String,
    }

    /// The in-memory "cloud".
    #[derive(Default)]
    struct Store {
        widgets: Mutex<BTreeMap<String, WidgetState>>,
    }

    struct Widget;

    #[async_trait]
    impl Resource for Widget {
        type Client = Store;
        type Args = WidgetArgs;
        type State = WidgetState;
        const TOKEN: &'static str = "test:index:Widget";
        const DESCRIPTION: &'static str = "A widget.";
        const DELETE_BEFORE_REPLACE: bool = true;

        fn check(&self, args: &mut WidgetArgs) -> Vec<CheckFailure> {
            args.name = args.name.trim().to_owned();
            let mut failures = Vec::new();
            if args.name.is_empty() {
                failures.push(CheckFailure::new("name", "the name is empty"));
            }
            if args.size.is_some_and(|s| s > 100) {
                failures.push(CheckFailure::new("size", "at most 100"));
            }
            failures
        }

        async fn create(
            &self,
            cx: &Context<Store>,
            args: WidgetArgs,
        ) -> Result<Created<WidgetState>, ResourceError> {
            if args.name == "slow" {
                cx.cancellation().cancelled().await;
                let state = WidgetState {
                    args,
                    widget_id: "w-slow".into(),
                    token: "tok-slow".into(),
                };
                return Err(ResourceError::init_failed(
                    "w-slow",
                    &state,
                    vec!["cancelled while waiting".into()],
                ));
            }
            let mut widgets = cx.client()?.widgets.lock().map_err(ResourceError::msg)?;
            let id = format!("w-{}", widgets.len() + 1);
            let state = WidgetState {
                args,
                widget_id: id.clone(),
                token: format!("tok-{id}"),
            };
            widgets.insert(id.clone(), state.clone());
            Ok(Created { id, state })
        }

        async fn read(
            &self,
            cx: &Context<Store>,
            id: &str,
            _prior: Option<WidgetState>,
        ) -> Result<Option<WidgetState>, ResourceError> {
            let widgets = cx.client()?.widgets.lock().map_err(ResourceError::msg)?;
            Ok(widgets.get(id).cloned())
        }

        async fn update(
            &self,
            cx: &Context<Store>,
            id: &str,
            olds: WidgetState,
            news: WidgetArgs,
        ) -> Result<WidgetState, ResourceError> {
            let mut widgets = cx.client()?.widgets.lock().map_err(ResourceError::msg)?;
            let state = WidgetState { args: news, ..olds };
            widgets.insert(id.to_owned(), state.clone());
            Ok(state)
        }

        async fn delete(
            &self,
            cx: &Context<Store>,
            id: &str,
            _state: WidgetState,
        ) -> Result<(), ResourceError> {
            cx.client()?
                .widgets
                .lock()
                .map_err(ResourceError::msg)?
                .remove(id);
            Ok(())
        }
    }

    const URN: &str = "urn:pulumi:test::test::test:index:Widget::w";

    fn env(store: &Arc<Store>, cancel: &CancellationToken) -> OperationEnv<Store> {
        OperationEnv {
            client: Ok(Arc::clone(store)),
            cancel: cancel.clone(),
            log: EngineLog::default(),
        }
    }

    fn map(pairs: &[(&str, Value)]) -> PropertyMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn check(
        a: &ResourceAdapter<Widget>,
        news: PropertyMap,
    ) -> (PropertyMap, Vec<(String, String)>) {
        let r = ErasedResource::check(
            a,
            &CheckRequest {
                urn: URN.into(),
                news: Some(to_struct(&news)),
                ..Default::default()
            },
        );
        let failures = r
            .failures
            .into_iter()
            .map(|f| (f.property, f.reason))
            .collect();
        (from_opt_struct(r.inputs.as_ref()), failures)
    }

    fn diff(a: &ResourceAdapter<Widget>, olds: &PropertyMap, news: &PropertyMap) -> DiffResponse {
        ErasedResource::diff(
            a,
            &DiffRequest {
                urn: URN.into(),
                olds: Some(to_struct(olds)),
                old_inputs: Some(to_struct(olds)),
                news: Some(to_struct(news)),
                ..Default::default()
            },
        )
    }

    #[test]
    fn check_normalises_and_reports_every_failure_with_its_property() {
        let a = ResourceAdapter::new(Widget);
        let (inputs, failures) = check(
            &a,
            map(&[("name", s("  w  ")), ("size", Value::Number(3.0))]),
        );
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(inputs.get("name"), Some(&s("w")));
        let (_, failures) = check(&a, map(&[("name", s(" ")), ("size", Value::Number(500.0))]));
        let props: Vec<_> = failures.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(props, ["name", "size"]);
        let (_, failures) = check(&a, map(&[("size", s("big"))]));
        assert_eq!(failures[0].0, "name");
        assert!(failures[0].1.contains("missing required"));
        let (_, failures) = check(&a, map(&[("name", s("w")), ("size", s("big"))]));
        assert_eq!(failures[0].0, "size");
        assert!(failures[0].1.contains("wrong type"), "{}", failures[0].1);
    }

    #[test]
    fn unknowns_survive_check_and_their_placeholders_never_fail() {
        let a = ResourceAdapter::new(Widget);
        let unknown = Value::Unknown(Unknown::Any);
        let (inputs, failures) = check(
            &a,
            map(&[("name", unknown.clone()), ("size", Value::Number(7.0))]),
        );
        assert!(
            failures.is_empty(),
            "the empty placeholder name must not fail: {failures:?}"
        );
        assert_eq!(inputs.get("name"), Some(&unknown));
        assert_eq!(inputs.get("size"), Some(&Value::Number(7.0)));
        // A known bad value next to an unknown one is still reported.
        let (_, failures) = check(
            &a,
            map(&[("name", unknown), ("size", Value::Number(700.0))]),
        );
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, "size");
    }

    /// Arguments of a function that takes none.
    #[derive(Debug, Deserialize, Serialize, JsonSchema)]
    struct NoArgs {}

    #[test]
    fn an_unknown_property_lists_the_accepted_ones_or_says_there_are_none() {
        let stray = map(&[("region", Value::String("x".into()))]);

        let mut types = TypeRegistry::new("test");
        let none = ObjectShape::of_inputs::<NoArgs>(&mut types);
        let (_, failures) = check_inputs(&none, &stray, |_: &mut NoArgs| Vec::new());
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0]
                .reason
                .contains("takes no properties; remove it"),
            "{}",
            failures[0].reason
        );

        let widget = ObjectShape::of_inputs::<WidgetArgs>(&mut types);
        let (_, failures) = check_inputs(&widget, &stray, |_: &mut WidgetArgs| Vec::new());
        let unknown = failures
            .iter()
            .find(|f| f.property == "region")
            .expect("a failure for `region`");
        assert!(
            unknown.reason.contains("the properties are `") && unknown.reason.contains("`name`"),
            "{}",
            unknown.reason
        );
    }

    #[test]
    fn diff_kinds_replaces_and_delete_before_replace() {
        let a = ResourceAdapter::new(Widget);
        let olds = map(&[
            ("name", s("w")),
            ("size", Value::Number(1.0)),
            ("widgetId", s("w-1")),
        ]);
        let same = diff(
            &a,
            &olds,
            &map(&[("name", s("w")), ("size", Value::Number(1.0))]),
        );
        assert_eq!(same.changes, DiffChanges::DiffNone as i32);
        let resized = diff(
            &a,
            &olds,
            &map(&[("name", s("w")), ("size", Value::Number(2.0))]),
        );
        assert_eq!(resized.diffs, ["size"]);
        assert!(resized.replaces.is_empty() && !resized.delete_before_replace);
        assert_eq!(resized.detailed_diff["size"].kind, DiffKind::Update as i32);
        let renamed = diff(
            &a,
            &olds,
            &map(&[("name", s("v")), ("size", Value::Number(1.0))]),
        );
        assert_eq!(renamed.replaces, ["name"]);
        assert!(renamed.delete_before_replace);
        assert_eq!(
            renamed.detailed_diff["name"].kind,
            DiffKind::UpdateReplace as i32
        );
        let noted = diff(
            &a,
            &olds,
            &map(&[
                ("name", s("w")),
                ("size", Value::Number(1.0)),
                ("note", s("n")),
            ]),
        );
        assert_eq!(noted.detailed_diff["note"].kind, DiffKind::Add as i32);
        let unsized_ = diff(&a, &olds, &map(&[("name", s("w"))]));
        assert_eq!(unsized_.detailed_diff["size"].kind, DiffKind::Delete as i32);
    }

    #[tokio::test]
    async fn lifecycle_keeps_secrets_and_reads_back_imports() {
        let a = ResourceAdapter::new(Widget);
        let store = Arc::new(Store::default());
        let cancel = CancellationToken::new();
        let inputs = map(&[
            ("name", s("w")),
            ("note", Value::Secret(Box::new(s("hush")))),
        ]);

        // Preview: no call, unknown outputs, no invented inputs.
        let preview = a
            .create(
                env(&store, &cancel),
                CreateRequest {
                    urn: URN.into(),
                    properties: Some(to_struct(&inputs)),
                    preview: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let outs = from_opt_struct(preview.properties.as_ref());
        assert_eq!(outs.get("widgetId"), Some(&Value::Unknown(Unknown::Any)));
        assert!(!outs.contains_key("size"));
        assert!(store.widgets.lock().unwrap().is_empty());

        // Create: the secret input stays secret, the schema-secret output is wrapped.
        let created = a
            .create(
                env(&store, &cancel),
                CreateRequest {
                    urn: URN.into(),
                    properties: Some(to_struct(&inputs)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(created.id, "w-1");
        let state = from_opt_struct(created.properties.as_ref());
        assert!(matches!(state.get("note"), Some(Value::Secret(_))));
        assert!(matches!(state.get("token"), Some(Value::Secret(_))));
        assert_eq!(state.get("widgetId"), Some(&s("w-1")));

        // Import: only the id; the inputs come back from the state.
        let imported = a
            .read(
                env(&store, &cancel),
                ReadRequest {
                    id: "w-1".into(),
                    urn: URN.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let imported_inputs = from_opt_struct(imported.inputs.as_ref());
        assert_eq!(imported_inputs.get("name"), Some(&s("w")));
        assert!(!imported_inputs.contains_key("widgetId"));
        assert!(matches!(
            from_opt_struct(imported.properties.as_ref()).get("token"),
            Some(Value::Secret(_))
        ));

        // Refresh after the object is gone: an empty id.
        store.widgets.lock().unwrap().clear();
        let gone = a
            .read(
                env(&store, &cancel),
                ReadRequest {
                    id: "w-1".into(),
                    urn: URN.into(),
                    properties: Some(to_struct(&state)),
                    inputs: Some(to_struct(&inputs)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(gone.id, "");
    }

    #[tokio::test]
    async fn cancel_lets_the_resource_report_what_exists() {
        let a = ResourceAdapter::new(Widget);
        let store = Arc::new(Store::default());
        let cancel = CancellationToken::new();
        let inputs = map(&[("name", s("slow"))]);
        let pending = a.create(
            env(&store, &cancel),
            CreateRequest {
                urn: URN.into(),
                properties: Some(to_struct(&inputs)),
                timeout: 600.0,
                ..Default::default()
            },
        );
        let trigger = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            cancel.cancel();
        };
        let (result, ()) = tokio::join!(pending, trigger);
        let status = result.expect_err("a cancelled create fails");
        let detail = google_rpc::Status::decode(status.details()).expect("a google.rpc.Status");
        let any = &detail.details[0];
        assert_eq!(
            any.type_url,
            "type.googleapis.com/pulumirpc.ErrorResourceInitFailed"
        );
        let init = ErrorResourceInitFailed::decode(any.value.as_slice()).unwrap();
        assert_eq!(init.id, "w-slow");
        let props = from_opt_struct(init.properties.as_ref());
        assert!(matches!(props.get("token"), Some(Value::Secret(_))));
    }
}
