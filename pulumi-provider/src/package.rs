//! A provider package: its configuration, its resources and functions, and the package
//! schema generated from them.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value as Json, json};

use super::adapter::ErasedResource;
use super::function::ErasedFunction;
use super::resource::CheckFailure;
use super::schema::{ObjectShape, TypeRegistry};

/// Everything the protocol layer needs to know about one provider package.
#[async_trait]
pub trait Package: Send + Sync + 'static {
    /// The configured clients resources and functions use.
    type Client: Send + Sync + 'static;
    /// The provider configuration (`pulumi config set pkg:key …`).
    type Config: DeserializeOwned + Serialize + JsonSchema + Send + Sync + 'static;

    /// The package name (`example` for tokens `example:index:…`).
    fn name(&self) -> &'static str;
    /// The plugin version.
    fn version(&self) -> &'static str;
    /// Schema metadata: `displayName`, `description`, `publisher`, `repository`,
    /// `pluginDownloadURL`, `keywords`, `homepage`, `license`, `language`.
    fn metadata(&self) -> Json;
    /// Validates (and may normalise) the configuration (CheckConfig). Environment fallbacks
    /// are applied in `configure`, never stored.
    fn check_config(&self, config: &mut Self::Config) -> Vec<CheckFailure>;
    /// Builds the clients from the configuration (Configure).
    ///
    /// # Errors
    /// A message for the user when the configuration cannot be used.
    async fn configure(&self, config: Self::Config) -> Result<Self::Client, String>;
}

/// The shape of a package's configuration.
pub fn config_shape<P: Package>(package: &P) -> (ObjectShape, TypeRegistry) {
    let mut types = TypeRegistry::new(package.name());
    let shape = ObjectShape::of_inputs::<P::Config>(&mut types);
    (shape, types)
}

/// Builds the package schema (the JSON GetSchema answers and the SDK generator reads).
pub(crate) fn package_schema<P: Package>(
    package: &P,
    resources: &[Arc<dyn ErasedResource<P::Client>>],
    functions: &[Arc<dyn ErasedFunction<P::Client>>],
) -> Json {
    let mut schema = Map::new();
    schema.insert("name".into(), json!(package.name()));
    schema.insert("version".into(), json!(package.version()));
    if let Json::Object(meta) = package.metadata() {
        for (k, v) in meta {
            schema.insert(k, v);
        }
    }

    let mut all_types: BTreeMap<String, Json> = BTreeMap::new();
    let (config, config_types) = config_shape(package);
    all_types.extend(config_types.types);
    let mut variables = config.properties_json();
    // Config variables are never required in the schema: the provider has env fallbacks.
    if let Json::Object(vars) = &mut variables {
        for v in vars.values_mut() {
            if let Json::Object(v) = v {
                v.remove("replaceOnChanges");
            }
        }
    }
    schema.insert("config".into(), json!({ "variables": variables }));
    schema.insert(
        "provider".into(),
        json!({
            "description": format!("The provider type for the {} package.", package.name()),
            "inputProperties": variables,
            "properties": variables,
        }),
    );

    let mut res = Map::new();
    for r in resources {
        let shapes = r.shapes();
        all_types.extend(shapes.types.types.clone());
        let mut spec = Map::new();
        spec.insert("description".into(), json!(r.description()));
        spec.insert("properties".into(), shapes.outputs.properties_json());
        spec.insert("required".into(), json!(shapes.outputs.required));
        spec.insert("inputProperties".into(), shapes.inputs.properties_json());
        spec.insert("requiredInputs".into(), json!(shapes.inputs.required));
        spec.insert(
            "stateInputs".into(),
            json!({
                "description": format!("Input properties used for looking up and filtering {} resources.", short_name(r.token())),
                "type": "object",
                "properties": shapes.outputs.properties_json(),
            }),
        );
        res.insert(r.token().to_owned(), Json::Object(spec));
    }
    schema.insert("resources".into(), Json::Object(res));

    let mut fns = Map::new();
    for f in functions {
        let shapes = f.shapes();
        all_types.extend(shapes.types.types.clone());
        fns.insert(
            f.token().to_owned(),
            json!({
                "description": f.description(),
                "inputs": {
                    "type": "object",
                    "properties": shapes.inputs.properties_json(),
                    "required": shapes.inputs.required,
                },
                "outputs": {
                    "type": "object",
                    "properties": shapes.outputs.properties_json(),
                    "required": shapes.outputs.required,
                },
            }),
        );
    }
    schema.insert("functions".into(), Json::Object(fns));
    schema.insert(
        "types".into(),
        Json::Object(all_types.into_iter().collect()),
    );
    Json::Object(schema)
}

/// `Name` of a token `pkg:module:Name`.
pub fn short_name(token: &str) -> &str {
    token.rsplit(':').next().unwrap_or(token)
}
