//! The parts of a package schema the SDK needs, validated and sorted by name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::typescript::{camel, is_ident};
use super::{
    NODE_TYPES_DEPENDENCY, PULUMI_DEPENDENCY, SdkError, TYPESCRIPT_DEPENDENCY, unsupported,
};

/// A package: its metadata, configuration, provider, resources, functions and types.
pub(super) struct Model {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) description: Option<String>,
    pub(super) homepage: Option<String>,
    pub(super) repository: Option<String>,
    pub(super) license: Option<String>,
    pub(super) keywords: Vec<String>,
    pub(super) plugin_download_url: Option<String>,
    pub(super) package_name: String,
    pub(super) package_description: Option<String>,
    pub(super) dependencies: BTreeMap<String, String>,
    pub(super) dev_dependencies: BTreeMap<String, String>,
    pub(super) config: Vec<Prop>,
    pub(super) provider: Resource,
    pub(super) resources: Vec<Resource>,
    pub(super) functions: Vec<Function>,
    /// Type name → definition, from `types`; a type of module `m` is named `m.Name`, as
    /// TypeScript refers to it inside `types/input.ts` and `types/output.ts`.
    pub(super) types: BTreeMap<String, TypeDef>,
}

/// A named type of `types`.
pub(super) enum TypeDef {
    Object {
        description: Option<String>,
        shape: Shape,
    },
    Enum,
}

#[derive(Clone, Debug)]
/// A property type, resolved against `types` (enums become literal unions).
pub(super) enum Ty {
    String,
    Number,
    Boolean,
    Any,
    Asset,
    Archive,
    Array(Box<Ty>),
    Map(Box<Ty>),
    Object(String),
    Literals(Vec<String>),
    Union(Vec<Ty>),
}

/// One property with what the SDK does with it.
pub(super) struct Prop {
    pub(super) name: String,
    pub(super) ty: Ty,
    pub(super) description: Option<String>,
    pub(super) deprecation: Option<String>,
    pub(super) secret: bool,
    pub(super) replace: bool,
    pub(super) default: Option<String>,
    pub(super) env: Vec<String>,
}

#[derive(Default)]
/// The properties of an object, sorted by name, and which are required.
pub(super) struct Shape {
    pub(super) props: Vec<Prop>,
    pub(super) required: BTreeSet<String>,
}

impl Shape {
    pub(super) fn is_required(&self, p: &Prop) -> bool {
        self.required.contains(&p.name)
    }
}

/// A resource (or the provider itself).
pub(super) struct Resource {
    pub(super) token: String,
    /// The module of the token (`None` for `index`): the SDK directory the file goes to.
    pub(super) module: Option<String>,
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) deprecation: Option<String>,
    pub(super) inputs: Shape,
    pub(super) outputs: Shape,
    pub(super) state: Option<Shape>,
    pub(super) aliases: Vec<String>,
}

/// A function (invoke).
pub(super) struct Function {
    pub(super) token: String,
    /// The module of the token (`None` for `index`).
    pub(super) module: Option<String>,
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) deprecation: Option<String>,
    pub(super) inputs: Shape,
    pub(super) outputs: Shape,
}

fn str_field(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(Json::as_str).map(str::to_owned)
}

fn sorted_entries(v: Option<&Json>) -> Vec<(String, Json)> {
    let mut out: Vec<(String, Json)> = v
        .and_then(Json::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn string_list(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn string_map(v: Option<&Json>) -> BTreeMap<String, String> {
    sorted_entries(v)
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
        .collect()
}

/// `(module, Name)` of `pkg:module:Name`, with `None` for the `index` module (or an empty
/// one). A module other than `index` must be an identifier: it names a directory of the SDK
/// and a TypeScript namespace.
fn split_token(token: &str) -> Result<(Option<String>, String), SdkError> {
    let parts: Vec<&str> = token.split(':').collect();
    match parts.as_slice() {
        [_, module, name] if is_ident(name) => {
            if module.is_empty() || *module == "index" {
                Ok((None, (*name).to_owned()))
            } else if is_ident(module) && !RESERVED_DIRS.contains(module) {
                Ok((Some((*module).to_owned()), (*name).to_owned()))
            } else {
                Err(unsupported(
                    token,
                    format!(
                        "the module `{module}` must be an identifier other than {}, since it \
                         names a directory of the SDK",
                        RESERVED_DIRS.join(", ")
                    ),
                ))
            }
        }
        [_, _, _] => Err(unsupported(
            token,
            "the name of a token `<package>:<module>:<Name>` must be an identifier",
        )),
        _ => Err(unsupported(
            token,
            "a token must be `<package>:<module>:<Name>`",
        )),
    }
}

/// Directories (and sub-module names) of the SDK root that a module cannot take.
const RESERVED_DIRS: [&str; 6] = ["config", "types", "bin", "tests", "node_modules", "index"];

/// The name a type has in `types/input.ts` and `types/output.ts`: `Name` in `index`,
/// `module.Name` in a module (its namespace).
fn type_key(module: Option<&str>, name: &str) -> String {
    match module {
        Some(m) => format!("{m}.{name}"),
        None => name.to_owned(),
    }
}

impl Model {
    pub(super) fn from_schema(schema: &Json) -> Result<Model, SdkError> {
        let name = str_field(schema, "name").ok_or(SdkError::Missing("name"))?;
        let version = str_field(schema, "version").ok_or(SdkError::Missing("version"))?;
        let node = schema
            .pointer("/language/nodejs")
            .cloned()
            .unwrap_or(Json::Null);

        // Type names first: properties refer to them.
        let mut names: BTreeMap<String, (String, Json)> = BTreeMap::new();
        for (token, spec) in sorted_entries(schema.get("types")) {
            let (module, short) = split_token(&token)?;
            let key = type_key(module.as_deref(), &short);
            if names.insert(key, (token.clone(), spec)).is_some() {
                return Err(unsupported(token, "two types share this name"));
            }
        }
        // Inside a module's namespace an index type of the same name would be shadowed.
        for key in names.keys() {
            if let Some((_, short)) = key.split_once('.')
                && names.contains_key(short)
            {
                return Err(unsupported(
                    &names[key].0,
                    format!(
                        "a type of a module cannot share its name with the index type `{short}`"
                    ),
                ));
            }
        }
        let enum_types: BTreeSet<String> = names
            .iter()
            .filter(|(_, (_, spec))| spec.get("enum").is_some())
            .map(|(n, _)| n.clone())
            .collect();
        let resolver = Resolver {
            types: &names,
            enums: &enum_types,
        };
        let mut types = BTreeMap::new();
        for (short, (token, spec)) in &names {
            let def = if spec.get("enum").is_some() {
                TypeDef::Enum
            } else {
                if spec.get("type").and_then(Json::as_str).unwrap_or("object") != "object" {
                    return Err(unsupported(token, "a type must be an object or an enum"));
                }
                TypeDef::Object {
                    description: str_field(spec, "description"),
                    shape: resolver.shape(token, spec.get("properties"), spec.get("required"))?,
                }
            };
            types.insert(short.clone(), def);
        }

        let config_vars = schema.pointer("/config/variables");
        let config = resolver
            .shape("config", config_vars, schema.pointer("/config/required"))?
            .props;

        let provider_spec = schema.get("provider").cloned().unwrap_or(Json::Null);
        let provider = resolver.resource(&format!("pulumi:providers:{name}"), &provider_spec)?;

        let mut resources = Vec::new();
        for (token, spec) in sorted_entries(schema.get("resources")) {
            if spec.get("isComponent").and_then(Json::as_bool) == Some(true) {
                return Err(unsupported(token, "component resources are not supported"));
            }
            resources.push(resolver.resource(&token, &spec)?);
        }
        let mut functions = Vec::new();
        for (token, spec) in sorted_entries(schema.get("functions")) {
            let (module, fname) = split_token(&token)?;
            let inputs = spec.get("inputs").cloned().unwrap_or(Json::Null);
            let outputs = spec.get("outputs").cloned().unwrap_or(Json::Null);
            if outputs.get("properties").is_none() && !outputs.is_null() {
                return Err(unsupported(
                    &token,
                    "function outputs must be an object with `properties`",
                ));
            }
            functions.push(Function {
                module,
                name: fname,
                description: str_field(&spec, "description"),
                deprecation: str_field(&spec, "deprecationMessage"),
                inputs: resolver.shape(&token, inputs.get("properties"), inputs.get("required"))?,
                outputs: resolver.shape(
                    &token,
                    outputs.get("properties"),
                    outputs.get("required"),
                )?,
                token,
            });
        }
        let mut names_seen = BTreeSet::new();
        let modules: BTreeSet<&str> = resources
            .iter()
            .filter_map(|r| r.module.as_deref())
            .chain(functions.iter().filter_map(|f| f.module.as_deref()))
            .collect();
        for (module, n) in resources
            .iter()
            .map(|r| (r.module.as_deref(), camel(&r.name)))
            .chain(
                functions
                    .iter()
                    .map(|f| (f.module.as_deref(), camel(&f.name))),
            )
        {
            let clashes = ["index", "provider", "utilities"].contains(&n.as_str())
                || (module.is_none() && modules.contains(n.as_str()));
            if clashes || !names_seen.insert((module, n.clone())) {
                return Err(unsupported(n, "this name clashes with another SDK file"));
            }
        }

        let mut dependencies = string_map(node.get("dependencies"));
        dependencies.insert("@pulumi/pulumi".into(), PULUMI_DEPENDENCY.into());
        let mut dev_dependencies = string_map(node.get("devDependencies"));
        dev_dependencies.insert("typescript".into(), TYPESCRIPT_DEPENDENCY.into());
        dev_dependencies.insert("@types/node".into(), NODE_TYPES_DEPENDENCY.into());

        Ok(Model {
            package_name: str_field(&node, "packageName")
                .unwrap_or_else(|| format!("@pulumi/{name}")),
            package_description: str_field(&node, "packageDescription"),
            dependencies,
            dev_dependencies,
            description: str_field(schema, "description"),
            homepage: str_field(schema, "homepage"),
            repository: str_field(schema, "repository"),
            license: str_field(schema, "license"),
            keywords: string_list(schema.get("keywords")),
            plugin_download_url: str_field(schema, "pluginDownloadURL"),
            name,
            version,
            config,
            provider,
            resources,
            functions,
            types,
        })
    }

    /// The modules other than `index` that hold a resource or function, sorted.
    pub(super) fn modules(&self) -> BTreeSet<&str> {
        self.resources
            .iter()
            .filter_map(|r| r.module.as_deref())
            .chain(self.functions.iter().filter_map(|f| f.module.as_deref()))
            .collect()
    }

    pub(super) fn has_object_types(&self) -> bool {
        self.types
            .values()
            .any(|t| matches!(t, TypeDef::Object { .. }))
    }
}

/// Turns property specs into [`Shape`]s and [`Ty`]s, knowing the named types.
struct Resolver<'a> {
    pub(super) types: &'a BTreeMap<String, (String, Json)>,
    pub(super) enums: &'a BTreeSet<String>,
}

impl Resolver<'_> {
    fn resource(&self, token: &str, spec: &Json) -> Result<Resource, SdkError> {
        let (module, name) = if token.starts_with("pulumi:providers:") {
            (None, "Provider".to_owned())
        } else {
            split_token(token)?
        };
        let state = match spec.get("stateInputs") {
            Some(s) => Some(self.shape(token, s.get("properties"), None)?),
            None => None,
        };
        let aliases = spec
            .get("aliases")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("type").and_then(Json::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Resource {
            token: token.to_owned(),
            module,
            name,
            description: str_field(spec, "description"),
            deprecation: str_field(spec, "deprecationMessage"),
            inputs: self.shape(
                token,
                spec.get("inputProperties"),
                spec.get("requiredInputs"),
            )?,
            outputs: self.shape(token, spec.get("properties"), spec.get("required"))?,
            state,
            aliases,
        })
    }

    fn shape(
        &self,
        owner: &str,
        props: Option<&Json>,
        required: Option<&Json>,
    ) -> Result<Shape, SdkError> {
        let mut out = Vec::new();
        for (name, spec) in sorted_entries(props) {
            let location = format!("{owner} `{name}`");
            let default = match spec.get("default") {
                None | Some(Json::Null) => None,
                Some(d @ (Json::String(_) | Json::Number(_) | Json::Bool(_))) => {
                    Some(d.to_string())
                }
                Some(_) => {
                    return Err(unsupported(location, "only scalar defaults are supported"));
                }
            };
            out.push(Prop {
                ty: self.ty(&location, &spec)?,
                description: str_field(&spec, "description"),
                deprecation: str_field(&spec, "deprecationMessage"),
                secret: spec.get("secret").and_then(Json::as_bool) == Some(true),
                replace: spec.get("replaceOnChanges").and_then(Json::as_bool) == Some(true),
                default,
                env: string_list(spec.pointer("/defaultInfo/environment")),
                name,
            });
        }
        Ok(Shape {
            props: out,
            required: string_list(required).into_iter().collect(),
        })
    }

    fn ty(&self, location: &str, spec: &Json) -> Result<Ty, SdkError> {
        if let Some(r) = spec.get("$ref").and_then(Json::as_str) {
            return match r {
                "pulumi.json#/Any" | "pulumi.json#/Json" => Ok(Ty::Any),
                "pulumi.json#/Asset" => Ok(Ty::Asset),
                "pulumi.json#/Archive" => Ok(Ty::Archive),
                _ => {
                    let token = r.strip_prefix("#/types/").ok_or_else(|| {
                        unsupported(location, format!("the reference `{r}` is not supported"))
                    })?;
                    let (module, short) = split_token(token)?;
                    let short = type_key(module.as_deref(), &short);
                    let Some((_, def)) = self.types.get(&short) else {
                        return Err(unsupported(location, format!("`{r}` is not in `types`")));
                    };
                    if self.enums.contains(&short) {
                        let values = def
                            .get("enum")
                            .and_then(Json::as_array)
                            .map(|vs| {
                                vs.iter()
                                    .filter_map(|v| v.get("value"))
                                    .map(Json::to_string)
                                    .collect::<Vec<_>>()
                            })
                            .unwrap_or_default();
                        if values.is_empty() {
                            return Err(unsupported(token, "an enum needs values"));
                        }
                        Ok(Ty::Literals(values))
                    } else {
                        Ok(Ty::Object(short))
                    }
                }
            };
        }
        if let Some(one_of) = spec.get("oneOf").and_then(Json::as_array) {
            let tys = one_of
                .iter()
                .map(|s| self.ty(location, s))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Ty::Union(tys));
        }
        match spec.get("type").and_then(Json::as_str) {
            Some("string") => Ok(Ty::String),
            Some("integer" | "number") => Ok(Ty::Number),
            Some("boolean") => Ok(Ty::Boolean),
            Some("array") => {
                let items = spec.get("items").cloned().unwrap_or(Json::Null);
                Ok(Ty::Array(Box::new(self.ty(location, &items)?)))
            }
            Some("object") => {
                let items = spec
                    .get("additionalProperties")
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"type": "string"}));
                Ok(Ty::Map(Box::new(self.ty(location, &items)?)))
            }
            None if spec.is_null() => Ok(Ty::Any),
            other => Err(unsupported(
                location,
                format!("the type {other:?} is not supported"),
            )),
        }
    }
}
