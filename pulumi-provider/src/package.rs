//! A provider package: its configuration, its resources and functions, and the package
//! schema generated from them.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value as Json};

use super::adapter::ErasedResource;
use super::function::ErasedFunction;
use super::package_spec::{ConfigSpec, FunctionSpec, ObjectTypeSpec, PackageSpec, ResourceSpec};
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

/// Builds the package schema (what GetSchema answers, as JSON, and the SDK generator reads).
///
/// # Errors
/// When the package's [`Package::metadata`] is not a valid schema fragment (a field of the
/// wrong type); the error names the field.
pub(crate) fn package_schema<P: Package>(
    package: &P,
    resources: &[Arc<dyn ErasedResource<P::Client>>],
    functions: &[Arc<dyn ErasedFunction<P::Client>>],
) -> Result<PackageSpec, serde_json::Error> {
    let mut meta = match package.metadata() {
        Json::Object(meta) => meta,
        Json::Null => Map::new(),
        other => {
            return Err(serde::de::Error::custom(format!(
                "the package metadata must be a JSON object of schema fields, not {other}"
            )));
        }
    };
    meta.insert("name".into(), Json::String(package.name().to_owned()));
    meta.insert("version".into(), Json::String(package.version().to_owned()));
    let mut schema: PackageSpec = serde_json::from_value(Json::Object(meta))?;

    let (config, config_types) = config_shape(package);
    schema.types.extend(config_types.types);
    let mut variables = config.properties_spec();
    // Config variables are never required in the schema: the provider has env fallbacks.
    for v in variables.values_mut() {
        v.replace_on_changes = false;
    }
    schema.config = ConfigSpec {
        variables: variables.clone(),
        required: Vec::new(),
    };
    schema.provider = ResourceSpec {
        description: Some(format!(
            "The provider type for the {} package.",
            package.name()
        )),
        input_properties: variables.clone(),
        properties: variables,
        ..ResourceSpec::default()
    };

    for r in resources {
        let shapes = r.shapes();
        schema.types.extend(shapes.types.types.clone());
        let spec = ResourceSpec {
            description: Some(r.description().to_owned()),
            properties: shapes.outputs.properties_spec(),
            required: Some(shapes.outputs.required.clone()),
            input_properties: shapes.inputs.properties_spec(),
            required_inputs: Some(shapes.inputs.required.clone()),
            state_inputs: Some(ObjectTypeSpec {
                description: Some(format!(
                    "Input properties used for looking up and filtering {} resources.",
                    short_name(r.token())
                )),
                kind: Some("object".into()),
                properties: shapes.outputs.properties_spec(),
                required: None,
            }),
            ..ResourceSpec::default()
        };
        schema.resources.insert(r.token().to_owned(), spec);
    }

    for f in functions {
        let shapes = f.shapes();
        schema.types.extend(shapes.types.types.clone());
        let object = |shape: &ObjectShape| ObjectTypeSpec {
            description: None,
            kind: Some("object".into()),
            properties: shape.properties_spec(),
            required: Some(shape.required.clone()),
        };
        schema.functions.insert(
            f.token().to_owned(),
            FunctionSpec {
                description: Some(f.description().to_owned()),
                inputs: Some(object(&shapes.inputs)),
                outputs: Some(object(&shapes.outputs)),
                deprecation_message: None,
            },
        );
    }
    Ok(schema)
}

/// The package schema as pretty-printed JSON, keys in sorted order (what GetSchema answers).
///
/// # Errors
/// As [`package_schema`], or when the schema cannot be written as JSON (a bug in the layer).
pub(crate) fn package_schema_json<P: Package>(
    package: &P,
    resources: &[Arc<dyn ErasedResource<P::Client>>],
    functions: &[Arc<dyn ErasedFunction<P::Client>>],
) -> Result<String, serde_json::Error> {
    let schema = package_schema(package, resources, functions)?;
    // Through a `Value`, whose objects keep their keys sorted, so the text does not depend
    // on the order of the structs' fields.
    serde_json::to_string_pretty(&serde_json::to_value(&schema)?)
}

/// `Name` of a token `pkg:module:Name`.
pub fn short_name(token: &str) -> &str {
    token.rsplit(':').next().unwrap_or(token)
}
