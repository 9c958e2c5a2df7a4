//! The parts of a package schema the SDK needs, validated and sorted by name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::package_spec::{ComplexTypeSpec, PackageSpec, PropertySpec, ResourceSpec, TypeSpec};

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
    /// Whether the schema has `inputs` (even without properties).
    pub(super) declares_inputs: bool,
    pub(super) inputs: Shape,
    pub(super) outputs: Shape,
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
    pub(super) fn from_spec(schema: &PackageSpec) -> Result<Model, SdkError> {
        if schema.name.is_empty() {
            return Err(SdkError::Missing("name"));
        }
        let name = schema.name.clone();
        let version = schema.version.clone().ok_or(SdkError::Missing("version"))?;
        let node = schema.language.nodejs.clone().unwrap_or_default();

        // Type names first: properties refer to them.
        let mut names: BTreeMap<String, (String, &ComplexTypeSpec)> = BTreeMap::new();
        for (token, spec) in &schema.types {
            let (module, short) = split_token(token)?;
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
            .filter(|(_, (_, spec))| spec.enum_values.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        let resolver = Resolver {
            types: &names,
            enums: &enum_types,
        };
        let mut types = BTreeMap::new();
        for (short, (token, spec)) in &names {
            let def = if spec.enum_values.is_some() {
                TypeDef::Enum
            } else {
                if spec.object.kind.as_deref().unwrap_or("object") != "object" {
                    return Err(unsupported(token, "a type must be an object or an enum"));
                }
                TypeDef::Object {
                    description: spec.object.description.clone(),
                    shape: resolver.shape(
                        token,
                        &spec.object.properties,
                        spec.object.required.as_deref(),
                    )?,
                }
            };
            types.insert(short.clone(), def);
        }

        let config = resolver
            .shape(
                "config",
                &schema.config.variables,
                Some(&schema.config.required),
            )?
            .props;

        let provider = resolver.resource(&format!("pulumi:providers:{name}"), &schema.provider)?;

        let mut resources = Vec::new();
        for (token, spec) in &schema.resources {
            if spec.is_component {
                return Err(unsupported(token, "component resources are not supported"));
            }
            resources.push(resolver.resource(token, spec)?);
        }
        let mut functions = Vec::new();
        for (token, spec) in &schema.functions {
            let (module, fname) = split_token(token)?;
            let no_object = Default::default();
            let inputs = spec.inputs.as_ref().unwrap_or(&no_object);
            let outputs = spec.outputs.as_ref().unwrap_or(&no_object);
            if outputs.kind.as_deref().is_some_and(|k| k != "object") {
                return Err(unsupported(
                    token,
                    "function outputs must be an object with `properties`",
                ));
            }
            functions.push(Function {
                module,
                name: fname,
                description: spec.description.clone(),
                deprecation: spec.deprecation_message.clone(),
                declares_inputs: spec.inputs.is_some(),
                inputs: resolver.shape(token, &inputs.properties, inputs.required.as_deref())?,
                outputs: resolver.shape(token, &outputs.properties, outputs.required.as_deref())?,
                token: token.clone(),
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

        let mut dependencies = node.dependencies.clone();
        dependencies.insert("@pulumi/pulumi".into(), PULUMI_DEPENDENCY.into());
        let mut dev_dependencies = node.dev_dependencies.clone();
        dev_dependencies.insert("typescript".into(), TYPESCRIPT_DEPENDENCY.into());
        dev_dependencies.insert("@types/node".into(), NODE_TYPES_DEPENDENCY.into());

        Ok(Model {
            package_name: node
                .package_name
                .clone()
                .unwrap_or_else(|| format!("@pulumi/{name}")),
            package_description: node.package_description.clone(),
            dependencies,
            dev_dependencies,
            description: schema.description.clone(),
            homepage: schema.homepage.clone(),
            repository: schema.repository.clone(),
            license: schema.license.clone(),
            keywords: schema.keywords.clone(),
            plugin_download_url: schema.plugin_download_url.clone(),
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

    /// The object types a program passes in (through resource arguments and state, function
    /// arguments or the provider's), directly or nested: only those get input interfaces,
    /// as Pulumi's generator does; a type only ever returned stays an output type.
    pub(super) fn input_types(&self) -> BTreeSet<String> {
        fn walk(model: &Model, ty: &Ty, out: &mut BTreeSet<String>) {
            match ty {
                Ty::Array(t) | Ty::Map(t) => walk(model, t, out),
                Ty::Union(ts) => ts.iter().for_each(|t| walk(model, t, out)),
                Ty::Object(name) => {
                    if out.insert(name.clone())
                        && let Some(TypeDef::Object { shape, .. }) = model.types.get(name)
                    {
                        shape.props.iter().for_each(|p| walk(model, &p.ty, out));
                    }
                }
                _ => {}
            }
        }
        let mut out = BTreeSet::new();
        let shapes = self
            .resources
            .iter()
            .chain([&self.provider])
            .flat_map(|r| [Some(&r.inputs), r.state.as_ref()])
            .flatten()
            .chain(self.functions.iter().map(|f| &f.inputs));
        for shape in shapes {
            shape.props.iter().for_each(|p| walk(self, &p.ty, &mut out));
        }
        out
    }

    pub(super) fn has_object_types(&self) -> bool {
        self.types
            .values()
            .any(|t| matches!(t, TypeDef::Object { .. }))
    }
}

/// Turns property specs into [`Shape`]s and [`Ty`]s, knowing the named types.
struct Resolver<'a> {
    pub(super) types: &'a BTreeMap<String, (String, &'a ComplexTypeSpec)>,
    pub(super) enums: &'a BTreeSet<String>,
}

impl Resolver<'_> {
    fn resource(&self, token: &str, spec: &ResourceSpec) -> Result<Resource, SdkError> {
        let (module, name) = if token.starts_with("pulumi:providers:") {
            (None, "Provider".to_owned())
        } else {
            split_token(token)?
        };
        let state = match &spec.state_inputs {
            Some(s) => Some(self.shape(token, &s.properties, None)?),
            None => None,
        };
        let aliases = spec
            .aliases
            .iter()
            .filter_map(|a| a.token.clone())
            .collect();
        Ok(Resource {
            token: token.to_owned(),
            module,
            name,
            description: spec.description.clone(),
            deprecation: spec.deprecation_message.clone(),
            inputs: self.shape(
                token,
                &spec.input_properties,
                spec.required_inputs.as_deref(),
            )?,
            outputs: self.shape(token, &spec.properties, spec.required.as_deref())?,
            state,
            aliases,
        })
    }

    fn shape(
        &self,
        owner: &str,
        props: &BTreeMap<String, PropertySpec>,
        required: Option<&[String]>,
    ) -> Result<Shape, SdkError> {
        let mut out = Vec::new();
        for (name, spec) in props {
            let location = format!("{owner} `{name}`");
            let default = match &spec.default {
                None | Some(Json::Null) => None,
                Some(d @ (Json::String(_) | Json::Number(_) | Json::Bool(_))) => {
                    Some(d.to_string())
                }
                Some(_) => {
                    return Err(unsupported(location, "only scalar defaults are supported"));
                }
            };
            out.push(Prop {
                ty: self.ty(&location, &spec.type_spec)?,
                description: spec.description.clone(),
                deprecation: spec.deprecation_message.clone(),
                secret: spec.secret,
                replace: spec.replace_on_changes,
                default,
                env: spec
                    .default_info
                    .as_ref()
                    .map(|d| d.environment.clone())
                    .unwrap_or_default(),
                name: name.clone(),
            });
        }
        Ok(Shape {
            props: out,
            required: required.unwrap_or_default().iter().cloned().collect(),
        })
    }

    fn ty(&self, location: &str, spec: &TypeSpec) -> Result<Ty, SdkError> {
        if let Some(r) = spec.reference.as_deref() {
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
                        let values: Vec<String> = def
                            .enum_values
                            .iter()
                            .flatten()
                            .map(|v| v.value.to_string())
                            .collect();
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
        if let Some(one_of) = &spec.one_of {
            let tys = one_of
                .iter()
                .map(|s| self.ty(location, s))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Ty::Union(tys));
        }
        match spec.kind.as_deref() {
            Some("string") => Ok(Ty::String),
            Some("integer" | "number") => Ok(Ty::Number),
            Some("boolean") => Ok(Ty::Boolean),
            Some("array") => match &spec.items {
                Some(items) => Ok(Ty::Array(Box::new(self.ty(location, items)?))),
                None => Ok(Ty::Array(Box::new(Ty::Any))),
            },
            Some("object") => match &spec.additional_properties {
                Some(items) => Ok(Ty::Map(Box::new(self.ty(location, items)?))),
                None => Ok(Ty::Map(Box::new(Ty::String))),
            },
            None if *spec == TypeSpec::default() => Ok(Ty::Any),
            other => Err(unsupported(
                location,
                format!("the type {other:?} is not supported"),
            )),
        }
    }
}
