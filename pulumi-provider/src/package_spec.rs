//! Pulumi's package schema as typed values: what the layer builds from a package's
//! resources and functions (GetSchema's answer) and what the SDK generator reads.
//!
//! The structs follow Pulumi's own schema (`pkg/codegen/schema` `PackageSpec`, `ResourceSpec`,
//! `FunctionSpec`, `PropertySpec`, `TypeSpec`, …) with the fields this project uses; anything
//! else a schema carries in `language` is kept as it came. Optional fields are left out when
//! absent, so a schema written from these structs holds only what was set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A whole package: metadata, configuration, provider, resources, functions and types.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageSpec {
    /// The package name (`example` in tokens `example:index:…`).
    #[serde(default)]
    pub name: String,
    /// The package (plugin) version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The name shown in the Pulumi registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What the package manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who publishes the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The package's home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// The source repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The SPDX license identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Registry keywords (`category/…`, `kind/…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Where `pulumi plugin install` downloads the plugin from.
    #[serde(
        default,
        rename = "pluginDownloadURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub plugin_download_url: Option<String>,
    /// Per-language settings.
    #[serde(default, skip_serializing_if = "LanguageSpec::is_empty")]
    pub language: LanguageSpec,
    /// The provider configuration variables.
    #[serde(default)]
    pub config: ConfigSpec,
    /// The provider resource itself.
    #[serde(default)]
    pub provider: ResourceSpec,
    /// Resources by token.
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceSpec>,
    /// Functions (invokes) by token.
    #[serde(default)]
    pub functions: BTreeMap<String, FunctionSpec>,
    /// Named object and enum types by token.
    #[serde(default)]
    pub types: BTreeMap<String, ComplexTypeSpec>,
}

/// The `language` section: Node.js settings typed, other languages kept as they came.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LanguageSpec {
    /// `language.nodejs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodejs: Option<NodejsLanguageSpec>,
    /// The other languages' sections.
    #[serde(flatten)]
    pub other: BTreeMap<String, Json>,
}

impl LanguageSpec {
    fn is_empty(&self) -> bool {
        self.nodejs.is_none() && self.other.is_empty()
    }
}

/// `language.nodejs`: the npm package the SDK becomes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodejsLanguageSpec {
    /// The npm package name (`@scope/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    /// The npm package description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_description: Option<String>,
    /// Extra `dependencies` of the package.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, String>,
    /// Extra `devDependencies` of the package.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dev_dependencies: BTreeMap<String, String>,
    /// Settings this project's generator does not read, kept as they came.
    #[serde(flatten)]
    pub other: BTreeMap<String, Json>,
}

/// The `config` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigSpec {
    /// Configuration variables by name.
    #[serde(default)]
    pub variables: BTreeMap<String, PropertySpec>,
    /// The variables a program must set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
}

/// An object's properties and which are required (function inputs and outputs, state).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectTypeSpec {
    /// What the object is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `object`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Properties by name.
    #[serde(default)]
    pub properties: BTreeMap<String, PropertySpec>,
    /// The required properties (absent and empty are told apart, as Pulumi's schema does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<String>>,
}

/// A named type of `types`: an object, or an enum when `enum` is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplexTypeSpec {
    /// The object part (`type` is the enum's underlying type for an enum).
    #[serde(flatten)]
    pub object: ObjectTypeSpec,
    /// The values of an enum type.
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<EnumValueSpec>>,
}

/// One value of an enum type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnumValueSpec {
    /// The value.
    pub value: Json,
    /// What the value means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A resource (or the provider): its outputs, inputs and lookup state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpec {
    /// What the resource is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Output properties by name.
    #[serde(default)]
    pub properties: BTreeMap<String, PropertySpec>,
    /// The outputs always present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<String>>,
    /// Input properties by name.
    #[serde(default)]
    pub input_properties: BTreeMap<String, PropertySpec>,
    /// The inputs a program must give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_inputs: Option<Vec<String>>,
    /// The properties `get` accepts to qualify a lookup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_inputs: Option<ObjectTypeSpec>,
    /// Former types of the resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<AliasSpec>,
    /// Why the resource is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation_message: Option<String>,
    /// A component resource (not supported by this project's generator).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_component: bool,
}

/// A former type token of a resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AliasSpec {
    /// The former type token.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A function (invoke).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSpec {
    /// What the function does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<ObjectTypeSpec>,
    /// The result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<ObjectTypeSpec>,
    /// Why the function is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation_message: Option<String>,
}

/// A property: its type and what Pulumi does with it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertySpec {
    /// The type.
    #[serde(flatten)]
    pub type_spec: TypeSpec,
    /// What the property is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Json>,
    /// Where else a default comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_info: Option<DefaultSpec>,
    /// Always a secret.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// A change replaces the resource.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replace_on_changes: bool,
    /// Why the property is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation_message: Option<String>,
}

/// `defaultInfo`: environment variables that provide a default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DefaultSpec {
    /// The variables, first set wins.
    #[serde(default)]
    pub environment: Vec<String>,
}

/// A type: a primitive (`type`), an array (`items`), a map (`additionalProperties`), a
/// reference (`$ref`) or a union (`oneOf`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSpec {
    /// `string`, `integer`, `number`, `boolean`, `array` or `object`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The element type of an array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<TypeSpec>>,
    /// The value type of a map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<Box<TypeSpec>>,
    /// A reference: `#/types/<token>` or `pulumi.json#/Any` and the like.
    #[serde(default, rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The alternatives of a union.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<TypeSpec>>,
}

impl TypeSpec {
    /// A primitive or container type named `kind`.
    pub fn primitive(kind: &str) -> TypeSpec {
        TypeSpec {
            kind: Some(kind.to_owned()),
            ..TypeSpec::default()
        }
    }

    /// A reference to `target` (`#/types/…` or `pulumi.json#/…`).
    pub fn reference(target: impl Into<String>) -> TypeSpec {
        TypeSpec {
            reference: Some(target.into()),
            ..TypeSpec::default()
        }
    }

    /// `pulumi.json#/Any`.
    pub fn any() -> TypeSpec {
        TypeSpec::reference("pulumi.json#/Any")
    }

    /// An array of `item`.
    pub fn array(item: TypeSpec) -> TypeSpec {
        TypeSpec {
            items: Some(Box::new(item)),
            ..TypeSpec::primitive("array")
        }
    }

    /// A map from strings to `value`.
    pub fn map(value: TypeSpec) -> TypeSpec {
        TypeSpec {
            additional_properties: Some(Box::new(value)),
            ..TypeSpec::primitive("object")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_a_schema_and_keeps_unknown_language_settings() {
        let schema = json!({
            "name": "demo",
            "version": "1.0.0",
            "keywords": ["pulumi"],
            "pluginDownloadURL": "https://example.com/",
            "language": {"nodejs": {"packageName": "@acme/demo", "respectSchemaVersion": true},
                         "python": {"packageName": "acme_demo"}},
            "config": {"variables": {"token": {"type": "string", "secret": true,
                "defaultInfo": {"environment": ["DEMO_TOKEN"]}}}},
            "provider": {"inputProperties": {}, "properties": {}},
            "resources": {"demo:index:Widget": {
                "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
                "required": [],
                "inputProperties": {"spec": {"$ref": "#/types/demo:index:Spec",
                                             "replaceOnChanges": true}},
                "requiredInputs": ["spec"],
                "stateInputs": {"type": "object", "properties": {}},
                "aliases": [{"type": "demo:index:Old"}]
            }},
            "functions": {"demo:index:get": {"outputs": {"type": "object", "properties": {
                "v": {"oneOf": [{"type": "string"}, {"type": "number"}]}}}}},
            "types": {
                "demo:index:Spec": {"type": "object", "properties": {
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}},
                    "required": ["labels"]},
                "demo:index:Tier": {"type": "string", "properties": {}, "enum": [{"value": "a"}]}
            }
        });
        let spec: PackageSpec = serde_json::from_value(schema.clone()).unwrap();
        assert_eq!(
            spec.language
                .nodejs
                .as_ref()
                .unwrap()
                .package_name
                .as_deref(),
            Some("@acme/demo")
        );
        assert_eq!(
            spec.resources["demo:index:Widget"].required_inputs,
            Some(vec!["spec".to_string()])
        );
        assert_eq!(
            spec.types["demo:index:Tier"].enum_values,
            Some(vec![EnumValueSpec {
                value: json!("a"),
                description: None
            }])
        );
        assert_eq!(serde_json::to_value(&spec).unwrap(), schema);
    }

    #[test]
    fn a_wrong_field_is_an_error_naming_it() {
        let err = serde_json::from_value::<PackageSpec>(json!({
            "name": "demo", "resources": {"demo:index:W": {"properties": {"x": {"secret": "yes"}}}}
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("expected a boolean"), "{err}");
    }
}
