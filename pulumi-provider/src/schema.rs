//! The Pulumi package schema, generated from the resource and function definitions.
//!
//! Each `Args`/`State`/`Output` struct derives `schemars::JsonSchema`; this module turns the
//! JSON Schema (doc comments become descriptions) into Pulumi property specs, reading the
//! per-property extensions declared on the fields:
//! - `x-replace`: a change replaces the resource (`replaceOnChanges`);
//! - `x-secret`: always stored and returned as a secret;
//! - `x-env`: environment variables that provide a default (`defaultInfo.environment`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value as Json, json};

use crate::package_spec::{self, ComplexTypeSpec, DefaultSpec, ObjectTypeSpec, TypeSpec};

/// The extension key marking a replace-on-change property.
pub const X_REPLACE: &str = "x-replace";
/// The extension key marking an always-secret property.
pub const X_SECRET: &str = "x-secret";
/// The extension key listing environment variables that provide a default.
pub const X_ENV: &str = "x-env";

/// One property of an object, as the adapter, the schema and the SDK generator see it.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertySpec {
    /// The wire (camelCase) name.
    pub name: String,
    /// The Pulumi type spec (`{"type": "string"}`, `{"$ref": "#/types/…"}`, …).
    pub type_spec: TypeSpec,
    /// The description from the doc comment.
    pub description: Option<String>,
    /// Always a secret.
    pub secret: bool,
    /// A change replaces the resource.
    pub replace_on_changes: bool,
    /// The default value, if the field declares one.
    pub default: Option<Json>,
    /// Environment variables that provide a default.
    pub env: Vec<String>,
    /// The allowed values of a string enum.
    pub enum_values: Vec<String>,
    /// A value of the right shape, used in place of an unknown so the rest can be checked.
    pub placeholder: Json,
}

/// The properties of one object type, in name order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObjectShape {
    /// The description of the type itself.
    pub description: Option<String>,
    /// Every property.
    pub properties: Vec<PropertySpec>,
    /// The names of the required properties.
    pub required: Vec<String>,
}

impl ObjectShape {
    /// The shape of `T` as deserialized (inputs): a field with a default is not required.
    pub fn of_inputs<T: JsonSchema>(types: &mut TypeRegistry) -> ObjectShape {
        shape_of::<T>(Contract::Deserialize, types)
    }

    /// The shape of `T` as serialized (outputs).
    pub fn of_outputs<T: JsonSchema>(types: &mut TypeRegistry) -> ObjectShape {
        shape_of::<T>(Contract::Serialize, types)
    }

    /// The property named `name`.
    pub fn get(&self, name: &str) -> Option<&PropertySpec> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Whether `name` is required.
    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }

    /// The Pulumi `properties` of the schema, by name.
    pub fn properties_spec(&self) -> BTreeMap<String, package_spec::PropertySpec> {
        self.properties
            .iter()
            .map(|p| (p.name.clone(), p.to_spec()))
            .collect()
    }
}

impl PropertySpec {
    /// The Pulumi property spec of the schema.
    pub fn to_spec(&self) -> package_spec::PropertySpec {
        let mut description = self.description.clone().unwrap_or_default();
        if !self.enum_values.is_empty() {
            let list = self
                .enum_values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(&format!("One of {list}."));
        }
        package_spec::PropertySpec {
            type_spec: self.type_spec.clone(),
            description: Some(description).filter(|d| !d.is_empty()),
            default: self.default.clone().filter(|d| !d.is_null()),
            default_info: (!self.env.is_empty()).then(|| DefaultSpec {
                environment: self.env.clone(),
            }),
            secret: self.secret,
            replace_on_changes: self.replace_on_changes,
            deprecation_message: None,
        }
    }
}

/// Collects the named object types (`types` in the schema) met while converting.
#[derive(Clone, Debug)]
pub struct TypeRegistry {
    package: String,
    /// Token → Pulumi object type spec.
    pub types: BTreeMap<String, ComplexTypeSpec>,
    /// What was malformed in the schemars output the shapes came from (a field of the wrong
    /// type, say), one message each; the package schema refuses to build while any is here.
    pub problems: Vec<String>,
}

impl TypeRegistry {
    /// A registry for the package `package` (tokens are `package:index:Name`).
    pub fn new(package: impl Into<String>) -> TypeRegistry {
        TypeRegistry {
            package: package.into(),
            types: BTreeMap::new(),
            problems: Vec::new(),
        }
    }

    fn token(&self, name: &str) -> String {
        format!("{}:index:{}", self.package, name)
    }
}

fn shape_of<T: JsonSchema>(contract: Contract, types: &mut TypeRegistry) -> ObjectShape {
    let mut settings = SchemaSettings::draft2020_12();
    settings.contract = contract;
    let root = settings.into_generator().into_root_schema_for::<T>();
    let root = root.as_value().clone();
    let defs = match root.get("$defs") {
        None => Map::new(),
        Some(Json::Object(defs)) => defs.clone(),
        Some(other) => {
            types.problems.push(format!(
                "{}: `$defs` is not an object but {other}",
                std::any::type_name::<T>()
            ));
            Map::new()
        }
    };
    let mut cx = Converter {
        defs: &defs,
        types,
        visiting: Vec::new(),
    };
    cx.object_shape(&root)
}

struct Converter<'a> {
    defs: &'a Map<String, Json>,
    types: &'a mut TypeRegistry,
    visiting: Vec<String>,
}

impl Converter<'_> {
    /// The text at `key` of `schema`: absent is `None`; anything but a string is a problem.
    fn text(&mut self, schema: &Json, key: &str) -> Option<String> {
        match schema.get(key) {
            None => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => {
                self.types
                    .problems
                    .push(format!("`{key}` is not a string but {other}"));
                None
            }
        }
    }

    /// The strings listed at `key` of `schema`: absent is none; anything but a list of
    /// strings is a problem.
    fn strings(&mut self, schema: &Json, key: &str) -> Vec<String> {
        match schema.get(key) {
            None => Vec::new(),
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect(),
            Some(other) => {
                self.types
                    .problems
                    .push(format!("`{key}` is not a list of strings but {other}"));
                Vec::new()
            }
        }
    }

    fn object_shape(&mut self, schema: &Json) -> ObjectShape {
        let description = self
            .text(schema, "description")
            .map(|d| tidy_description(&d));
        let mut required = self.strings(schema, "required");
        let mut properties = Vec::new();
        if let Some(props) = schema.get("properties").and_then(Json::as_object) {
            for (name, prop) in props {
                properties.push(self.property(name, prop));
            }
            // A value that may be null (an `Option` serialized as `null`) reaches Pulumi as an
            // absent property, so it is not required: the SDK types it `name?: T`.
            required.retain(|name| props.get(name).is_none_or(|p| !self.admits_null(p)));
        }
        properties.sort_by(|a, b| a.name.cmp(&b.name));
        ObjectShape {
            description,
            properties,
            required,
        }
    }

    fn property(&mut self, name: &str, schema: &Json) -> PropertySpec {
        let flag = |k: &str| schema.get(k).and_then(Json::as_bool).unwrap_or(false);
        let env = self.strings(schema, X_ENV);
        let (type_spec, enum_values, placeholder) = self.type_of(schema);
        let description = self
            .text(schema, "description")
            .or_else(|| self.ref_description(schema))
            .map(|d| tidy_description(&d));
        PropertySpec {
            name: name.to_owned(),
            type_spec,
            description,
            secret: flag(X_SECRET),
            replace_on_changes: flag(X_REPLACE),
            default: schema.get("default").cloned(),
            env,
            enum_values,
            placeholder,
        }
    }

    /// Whether `schema` accepts `null`: `type: "null"`, a `type` list naming `null`, or an
    /// `anyOf`/`oneOf` member (followed through `$ref`) that does.
    fn admits_null(&self, schema: &Json) -> bool {
        match schema.get("type") {
            Some(Json::String(t)) if t == "null" => return true,
            Some(Json::Array(ts)) if ts.iter().any(|t| t.as_str() == Some("null")) => return true,
            _ => {}
        }
        if let Some(target) = self.deref(schema) {
            return self.admits_null(target);
        }
        schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Json::as_array)
            .is_some_and(|any| any.iter().any(|s| self.admits_null(s)))
    }

    fn ref_description(&mut self, schema: &Json) -> Option<String> {
        let target = self.deref(schema)?.clone();
        self.text(&target, "description")
    }

    fn deref(&self, schema: &Json) -> Option<&Json> {
        let r = schema.get("$ref").and_then(Json::as_str)?;
        self.defs.get(r.strip_prefix("#/$defs/")?)
    }

    /// Returns (Pulumi type spec, enum values, placeholder).
    fn type_of(&mut self, schema: &Json) -> (TypeSpec, Vec<String>, Json) {
        // Option<T>: `anyOf: [T, {type: null}]` or `type: [t, "null"]`.
        if let Some(any) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Json::as_array)
        {
            let non_null: Vec<&Json> = any
                .iter()
                .filter(|s| s.get("type").and_then(Json::as_str) != Some("null"))
                .collect();
            let consts: Vec<String> = non_null
                .iter()
                .filter_map(|s| s.get("const").and_then(Json::as_str).map(str::to_owned))
                .collect();
            if !consts.is_empty() && consts.len() == non_null.len() {
                let first = Json::String(consts[0].clone());
                return (TypeSpec::primitive("string"), consts, first);
            }
            if non_null.len() == 1 {
                return self.type_of(non_null[0]);
            }
            return (TypeSpec::any(), Vec::new(), Json::Null);
        }
        if let Some(r) = schema.get("$ref").and_then(Json::as_str) {
            let name = r.rsplit('/').next().unwrap_or(r).to_owned();
            let Some(def) = self.defs.get(&name).cloned() else {
                return (TypeSpec::any(), Vec::new(), Json::Null);
            };
            if def.get("properties").is_some() {
                let token = self.types.token(&name);
                if !self.types.types.contains_key(&token) && !self.visiting.contains(&name) {
                    self.visiting.push(name.clone());
                    let shape = self.object_shape(&def);
                    let spec = ComplexTypeSpec {
                        object: ObjectTypeSpec {
                            description: shape.description.clone(),
                            kind: Some("object".into()),
                            properties: shape.properties_spec(),
                            required: Some(shape.required.clone()).filter(|r| !r.is_empty()),
                        },
                        enum_values: None,
                    };
                    self.types.types.insert(token.clone(), spec);
                    self.visiting.pop();
                }
                let placeholder = self.placeholder_object(&def);
                return (
                    TypeSpec::reference(format!("#/types/{token}")),
                    Vec::new(),
                    placeholder,
                );
            }
            return self.type_of(&def);
        }
        if schema.get("enum").is_some() {
            let values = self.strings(schema, "enum");
            let first = values.first().cloned().map_or(Json::Null, Json::String);
            return (TypeSpec::primitive("string"), values, first);
        }
        let ty = match schema.get("type") {
            Some(Json::String(t)) => t.clone(),
            Some(Json::Array(ts)) => ts
                .iter()
                .filter_map(Json::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null")
                .to_owned(),
            _ => String::new(),
        };
        match ty.as_str() {
            "string" => (TypeSpec::primitive("string"), Vec::new(), json!("")),
            "integer" => (TypeSpec::primitive("integer"), Vec::new(), json!(0)),
            "number" => (TypeSpec::primitive("number"), Vec::new(), json!(0)),
            "boolean" => (TypeSpec::primitive("boolean"), Vec::new(), json!(false)),
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(Json::Bool(true));
                let (item, _, _) = self.type_of(&items);
                (TypeSpec::array(item), Vec::new(), json!([]))
            }
            "object" if schema.get("properties").is_none() => {
                let ap = schema
                    .get("additionalProperties")
                    .cloned()
                    .unwrap_or(Json::Bool(true));
                let (item, _, _) = self.type_of(&ap);
                (TypeSpec::map(item), Vec::new(), json!({}))
            }
            _ => (TypeSpec::any(), Vec::new(), Json::Null),
        }
    }

    fn placeholder_object(&mut self, def: &Json) -> Json {
        let mut out = Map::new();
        let required = self.strings(def, "required");
        if let Some(props) = def.get("properties").and_then(Json::as_object) {
            for name in required {
                if let Some(p) = props.get(&name) {
                    let (_, _, ph) = self.type_of(p);
                    out.insert(name.to_owned(), ph);
                }
            }
        }
        Json::Object(out)
    }
}

/// Joins the lines of a paragraph (doc comments wrap at ~100 columns), keeps blank lines
/// between paragraphs, and turns rustdoc's intra-doc links (`` [`SplitTunnelView`] ``), which
/// mean nothing outside rustdoc, into plain code spans.
pub fn tidy_description(text: &str) -> String {
    text.split("\n\n")
        .map(|para| {
            let joined = para
                .split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            without_intra_doc_links(&joined)
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `` [`Name`] `` becomes `` `Name` ``; a Markdown link (`` [`name`](url) ``, `` [`a`][b] ``)
/// is kept.
fn without_intra_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after[1..].find('`').map(|i| i + 1) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let tail = &after[end + 1..];
        if tail.starts_with(']') && !tail[1..].starts_with(['(', '[']) {
            out.push_str(&after[..=end]);
            rest = &tail[1..];
        } else {
            out.push('[');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    /// An example.
    #[derive(Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct ExampleArgs {
        /// Where it lives.
        #[schemars(extend("x-replace" = true))]
        network_id: String,
        /// A count.
        count: Option<u16>,
        /// Tags.
        #[serde(default)]
        tags: Vec<String>,
        /// The kind.
        #[serde(default)]
        kind: ExampleKind,
        /// A nested thing.
        nested: Option<Nested>,
        /// A password.
        #[schemars(extend("x-secret" = true))]
        password: Option<String>,
    }

    /// Which way.
    #[derive(Deserialize, Serialize, JsonSchema, Default)]
    #[serde(rename_all = "lowercase")]
    enum ExampleKind {
        #[default]
        Ingress,
        Egress,
    }

    /// Nested.
    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        /// A name.
        name: String,
    }

    #[test]
    fn intra_doc_links_become_code_spans() {
        assert_eq!(
            tidy_description("One entry of [`SplitTunnelView`].\nAt most\n[`MAX`] characters."),
            "One entry of `SplitTunnelView`. At most `MAX` characters."
        );
        // Markdown links, unclosed spans and plain brackets are left alone.
        for kept in [
            "see [`docs`](https://example.com) and [`a`][b]",
            "a [`dangling span",
            "[`a` b] and [x]",
            "`x` [`",
        ] {
            assert_eq!(tidy_description(kept), kept);
        }
    }

    #[test]
    fn an_output_that_may_be_null_is_not_required() {
        // Serialized, every field is present, but an `Option` may be `null`, which reaches
        // Pulumi as an absent property: the SDK must type it optional.
        let mut reg = TypeRegistry::new("pkg");
        let shape = ObjectShape::of_outputs::<ExampleArgs>(&mut reg);
        assert_eq!(shape.required, vec!["networkId", "tags", "kind"]);
        let nested = reg.types.get("pkg:index:Nested").expect("the nested type");
        assert_eq!(nested.object.required, Some(vec!["name".to_string()]));
    }

    #[test]
    fn shapes_carry_types_flags_and_descriptions() {
        let mut reg = TypeRegistry::new("pkg");
        let shape = ObjectShape::of_inputs::<ExampleArgs>(&mut reg);
        assert_eq!(shape.required, vec!["networkId".to_string()]);
        let net = shape.get("networkId").unwrap();
        assert!(net.replace_on_changes);
        assert_eq!(net.description.as_deref(), Some("Where it lives."));
        assert_eq!(net.type_spec, TypeSpec::primitive("string"));
        assert_eq!(
            shape.get("count").unwrap().type_spec,
            TypeSpec::primitive("integer")
        );
        assert_eq!(
            shape.get("tags").unwrap().type_spec,
            TypeSpec::array(TypeSpec::primitive("string"))
        );
        let kind = shape.get("kind").unwrap();
        assert_eq!(kind.enum_values, vec!["ingress", "egress"]);
        assert_eq!(kind.default, Some(json!("ingress")));
        assert!(shape.get("password").unwrap().secret);
        assert_eq!(
            shape.get("nested").unwrap().type_spec,
            TypeSpec::reference("#/types/pkg:index:Nested")
        );
        assert!(reg.types.contains_key("pkg:index:Nested"));
        assert!(reg.problems.is_empty(), "{:?}", reg.problems);
    }

    /// A type whose schema (hand-written, as a `JsonSchema` impl may be) is malformed.
    struct Malformed;

    impl JsonSchema for Malformed {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "Malformed".into()
        }

        fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
            schemars::json_schema!({
                "type": "object",
                "description": 7,
                "required": "name",
                "properties": {"name": {"type": "string", "x-env": ["A", 1]}}
            })
        }
    }

    #[test]
    fn malformed_schemars_output_is_a_problem_not_silence() {
        let mut reg = TypeRegistry::new("pkg");
        let shape = ObjectShape::of_inputs::<Malformed>(&mut reg);
        assert_eq!(shape.properties.len(), 1);
        assert_eq!(
            reg.problems,
            vec![
                "`description` is not a string but 7".to_string(),
                "`required` is not a list of strings but \"name\"".to_string(),
                "`x-env` is not a list of strings but [\"A\",1]".to_string(),
            ]
        );
    }
}
