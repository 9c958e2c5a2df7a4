//! The typed function trait (Invoke) and its adapter.

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

use super::adapter::{OperationEnv, check_inputs};
use super::context::Context;
use super::proto::pulumirpc::{self, InvokeRequest, InvokeResponse};
use super::resource::{CheckFailure, ResourceError};
use super::schema::{ObjectShape, TypeRegistry};
use super::value::{PropertyMap, Value, from_opt_struct, to_struct};

/// A provider function (`getX`), invoked with typed arguments.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    /// The configured clients.
    type Client: Send + Sync + 'static;
    /// The arguments.
    type Args: DeserializeOwned + Serialize + JsonSchema + Send + Sync + 'static;
    /// The result.
    type Output: Serialize + JsonSchema + Send + Sync + 'static;

    /// The token, e.g. `example:index:getThing`.
    const TOKEN: &'static str;
    /// The description in the schema and SDK.
    const DESCRIPTION: &'static str;
    /// How long an invocation may take.
    const TIMEOUT: Duration = Duration::from_secs(2 * 60);

    /// Normalises the arguments in place and returns what is wrong with them.
    fn check(&self, args: &mut Self::Args) -> Vec<CheckFailure> {
        let _ = args;
        Vec::new()
    }

    /// Runs the function.
    async fn invoke(
        &self,
        cx: &Context<Self::Client>,
        args: Self::Args,
    ) -> Result<Self::Output, ResourceError>;
}

/// The argument and result shapes of a function.
#[derive(Clone, Debug)]
pub struct FunctionShapes {
    /// The arguments.
    pub inputs: ObjectShape,
    /// The result.
    pub outputs: ObjectShape,
    /// Named object types the two use.
    pub types: TypeRegistry,
}

/// What the server needs from a function, with the types erased.
#[async_trait]
pub trait ErasedFunction<C>: Send + Sync {
    /// The token.
    fn token(&self) -> &'static str;
    /// The description.
    fn description(&self) -> &'static str;
    /// The shapes.
    fn shapes(&self) -> &FunctionShapes;
    /// Invoke.
    async fn invoke(
        &self,
        env: OperationEnv<C>,
        req: InvokeRequest,
    ) -> Result<InvokeResponse, tonic::Status>;
}

/// Wraps a typed function for the server.
pub struct FunctionAdapter<F: Function> {
    function: F,
    shapes: OnceLock<FunctionShapes>,
}

impl<F: Function> FunctionAdapter<F> {
    /// Wraps `function`.
    pub fn new(function: F) -> FunctionAdapter<F> {
        FunctionAdapter {
            function,
            shapes: OnceLock::new(),
        }
    }
}

fn secret_strings(v: &Value, inside_secret: bool, out: &mut Vec<String>) {
    match v {
        Value::Secret(inner) => secret_strings(inner, true, out),
        Value::Output(o) => {
            if let Some(inner) = &o.value {
                secret_strings(inner, inside_secret || o.secret, out);
            }
        }
        Value::String(s) if inside_secret && s.len() >= 4 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| secret_strings(v, inside_secret, out)),
        Value::Object(o) => o
            .values()
            .for_each(|v| secret_strings(v, inside_secret, out)),
        _ => {}
    }
}

#[async_trait]
impl<F: Function> ErasedFunction<F::Client> for FunctionAdapter<F> {
    fn token(&self) -> &'static str {
        F::TOKEN
    }

    fn description(&self) -> &'static str {
        F::DESCRIPTION
    }

    fn shapes(&self) -> &FunctionShapes {
        self.shapes.get_or_init(|| {
            let package = F::TOKEN.split(':').next().unwrap_or(F::TOKEN);
            let mut types = TypeRegistry::new(package);
            let inputs = ObjectShape::of_inputs::<F::Args>(&mut types);
            let outputs = ObjectShape::of_outputs::<F::Output>(&mut types);
            FunctionShapes {
                inputs,
                outputs,
                types,
            }
        })
    }

    async fn invoke(
        &self,
        env: OperationEnv<F::Client>,
        req: InvokeRequest,
    ) -> Result<InvokeResponse, tonic::Status> {
        let args_map = from_opt_struct(req.args.as_ref());
        let shapes = self.shapes();
        let mut checked: Option<F::Args> = None;
        let (normalised, failures) = check_inputs(&shapes.inputs, &args_map, |a: &mut F::Args| {
            let failures = self.function.check(a);
            if failures.is_empty() {
                checked = serde_json::to_value(&*a)
                    .ok()
                    .and_then(|v| serde_json::from_value(v).ok());
            }
            failures
        });
        let failures: Vec<pulumirpc::CheckFailure> = failures.into_iter().map(Into::into).collect();
        if !failures.is_empty() {
            return Ok(InvokeResponse {
                r#return: None,
                failures,
            });
        }
        if Value::Object(normalised.clone()).contains_unknown() {
            // Nothing to compute yet (preview with unknown arguments).
            return Ok(InvokeResponse::default());
        }
        let Some(args) = checked else {
            return Ok(InvokeResponse::default());
        };
        let mut secrets = Vec::new();
        for v in args_map.values() {
            secret_strings(v, false, &mut secrets);
        }
        let cx = env_context::<F>(&env);
        let result = tokio::select! {
            biased;
            _ = env.cancel.cancelled() => Err(ResourceError::Cancelled),
            r = tokio::time::timeout(F::TIMEOUT, self.function.invoke(&cx, args)) => {
                r.unwrap_or_else(|_| Err(ResourceError::msg(format!("{} timed out", F::TOKEN))))
            }
        };
        let output = result.map_err(|e| tonic::Status::unknown(format!("{}: {e}", F::TOKEN)))?;
        let mut ret = PropertyMap::new();
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&output) {
            let secret_names: BTreeSet<&str> = shapes
                .outputs
                .properties
                .iter()
                .filter(|p| p.secret)
                .map(|p| p.name.as_str())
                .collect();
            for (k, v) in fields {
                if v.is_null() {
                    continue;
                }
                let text = v.to_string();
                let leaks = secrets.iter().any(|s| text.contains(s.as_str()));
                let value = Value::from_json(v);
                ret.insert(
                    k.clone(),
                    if leaks || secret_names.contains(k.as_str()) {
                        value.into_secret()
                    } else {
                        value
                    },
                );
            }
        }
        Ok(InvokeResponse {
            r#return: Some(to_struct(&ret)),
            failures: Vec::new(),
        })
    }
}

fn env_context<F: Function>(env: &OperationEnv<F::Client>) -> Context<F::Client> {
    Context::with_client(
        env.client.clone(),
        "",
        std::time::Instant::now() + F::TIMEOUT,
        env.cancel.clone(),
        env.log.clone(),
    )
}
