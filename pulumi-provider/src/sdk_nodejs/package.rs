//! The package-level files: nested types, config, `utilities.ts`, `index.ts`, README,
//! `tsconfig.json` and `package.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::MD_HEADER;
use super::model::{Model, Resource, Shape, Ty, TypeDef};
use super::resources::interface_members;
use super::typescript::{Flavor, TypeWriter, camel, doc, env_call, header, prop_doc, quote};

/// `types/index.ts`: the `input` and `output` namespaces.
pub(super) fn emit_types_index() -> String {
    header(&[
        "import * as input from \"./input\";",
        "import * as output from \"./output\";",
    ]) + "export {\n    input,\n    output,\n};\n"
}

/// `types/input.ts`: every object type as `Foo` (plain) and `FooArgs` (`pulumi.Input`s), a
/// module's types in a namespace named after it.
pub(super) fn emit_types_input(model: &Model) -> String {
    let used = model.input_types();
    let body = types_by_module(model, Some(&used), |b, name, description, shape| {
        let mut tw = TypeWriter::new(false);
        for (suffix, flavor) in [("", Flavor::Plain), ("Args", Flavor::Input)] {
            doc(b, 0, description, None);
            let _ = writeln!(b, "export interface {name}{suffix} {{");
            interface_members(b, &mut tw, shape, flavor, false);
            b.push_str("}\n\n");
        }
    });
    header(&["import * as pulumi from \"@pulumi/pulumi\";"]) + &body
}

/// `types/output.ts`: every object type as resolved outputs, a module's types in a namespace.
pub(super) fn emit_types_output(model: &Model) -> String {
    let body = types_by_module(model, None, |b, name, description, shape| {
        let mut tw = TypeWriter::new(false);
        doc(b, 0, description, None);
        let _ = writeln!(b, "export interface {name} {{");
        interface_members(b, &mut tw, shape, Flavor::Output, false);
        b.push_str("}\n\n");
    });
    header(&["import * as pulumi from \"@pulumi/pulumi\";"]) + &body
}

/// The object types (those in `only`, when given) rendered by `emit`: those of `index` at
/// the top level, then each module's in `export namespace <module> { … }`, as Pulumi's
/// generator nests them.
fn types_by_module(
    model: &Model,
    only: Option<&BTreeSet<String>>,
    mut emit: impl FnMut(&mut String, &str, Option<&str>, &Shape),
) -> String {
    let mut top = String::new();
    let mut modules: BTreeMap<&str, String> = BTreeMap::new();
    for (key, def) in &model.types {
        let TypeDef::Object { description, shape } = def else {
            continue;
        };
        if only.is_some_and(|only| !only.contains(key)) {
            continue;
        }
        match key.split_once('.') {
            Some((module, name)) => emit(
                modules.entry(module).or_default(),
                name,
                description.as_deref(),
                shape,
            ),
            None => emit(&mut top, key, description.as_deref(), shape),
        }
    }
    let mut b = top;
    for (module, body) in modules {
        let _ = writeln!(b, "export namespace {module} {{");
        for line in body.trim_end().lines() {
            if line.is_empty() {
                b.push('\n');
            } else {
                let _ = writeln!(b, "    {line}");
            }
        }
        b.push_str("}\n\n");
    }
    b.trim_end().to_owned() + "\n"
}

// ---------------------------------------------------------------------------------------
// Config.

/// `config/index.ts`.
pub(super) fn emit_config_index() -> String {
    header(&[]) + "// Export members:\nexport * from \"./vars\";\n"
}

/// `config/vars.ts`: a lazy getter per config variable, with its fallbacks.
pub(super) fn emit_config_vars(model: &Model) -> String {
    let mut tw = TypeWriter::new(true);
    let mut b = String::new();
    let _ = writeln!(
        b,
        "declare var exports: any;\nconst __config = new pulumi.Config({});\n",
        quote(&model.name)
    );
    for p in &model.config {
        let ty = tw.inner(&p.ty, Flavor::Output);
        let k = quote(&p.name);
        let (getter, value_ty) = match (&p.ty, p.secret) {
            (Ty::String, false) => (format!("__config.get({k})"), ty.clone()),
            (Ty::String, true) => (
                format!("__config.getSecret({k})"),
                format!("pulumi.Output<{ty}>"),
            ),
            (_, false) => (format!("__config.getObject<{ty}>({k})"), ty.clone()),
            (_, true) => (
                format!("__config.getSecretObject<{ty}>({k})"),
                format!("pulumi.Output<{ty}>"),
            ),
        };
        let mut expr = getter;
        let mut always = false;
        if let Some(env) = env_call(p) {
            if p.secret {
                let _ = write!(expr, " ?? utilities.secretIfDefined({env})");
            } else {
                let _ = write!(expr, " ?? {env}");
            }
        }
        if let Some(d) = &p.default {
            always = true;
            if p.secret {
                let _ = write!(expr, " ?? pulumi.secret({d})");
            } else {
                let _ = write!(expr, " ?? {d}");
            }
        }
        let decl_ty = if always {
            value_ty
        } else {
            format!("{value_ty} | undefined")
        };
        prop_doc(&mut b, 0, p);
        let _ = writeln!(
            b,
            "export declare const {}: {decl_ty};\nObject.defineProperty(exports, {k}, {{\n    get() {{\n        return {expr};\n    }},\n    enumerable: true,\n}});\n",
            p.name
        );
    }
    let body = b.trim_end().to_owned() + "\n";
    let mut imports = vec!["import * as pulumi from \"@pulumi/pulumi\";"];
    if tw.uses_outputs {
        imports.push("import * as outputs from \"../types/output\";");
    }
    imports.push("import * as utilities from \"../utilities\";");
    header(&imports) + &body
}

// ---------------------------------------------------------------------------------------
// utilities.ts, index.ts.

/// `utilities.ts`: environment readers, the package version and `resourceOptsDefaults`.
pub(super) fn emit_utilities(model: &Model) -> String {
    let mut b = header(&["import * as pulumi from \"@pulumi/pulumi\";"]);
    let _ = writeln!(
        b,
        "/**\n * The version of this package, which is the version of the `{}` plugin it needs.\n */\nexport const packageVersion = {};\n",
        model.name,
        quote(&model.version)
    );
    b.push_str(
        r#"/**
 * The first of `vars` that is set to a non-empty value in the environment.
 */
export function getEnv(...vars: string[]): string | undefined {
    for (const v of vars) {
        const value = process.env[v];
        if (value) {
            return value;
        }
    }
    return undefined;
}

/**
 * The first of `vars` that is set in the environment, read as a boolean (`1`/`true`/`0`/`false`).
 */
export function getEnvBoolean(...vars: string[]): boolean | undefined {
    const s = getEnv(...vars);
    if (s !== undefined) {
        // NOTE: these values are taken from https://golang.org/src/strconv/atob.go?s=351:391#L1, which is what
        // Terraform uses internally when parsing boolean values.
        if (["1", "t", "T", "true", "TRUE", "True"].find(v => v === s) !== undefined) {
            return true;
        }
        if (["0", "f", "F", "false", "FALSE", "False"].find(v => v === s) !== undefined) {
            return false;
        }
    }
    return undefined;
}

/**
 * The first of `vars` that is set in the environment, read as a number.
 */
export function getEnvNumber(...vars: string[]): number | undefined {
    const s = getEnv(...vars);
    if (s !== undefined) {
        const f = parseFloat(s);
        if (!isNaN(f)) {
            return f;
        }
    }
    return undefined;
}

/**
 * `value` as a secret, or `undefined`.
 */
export function secretIfDefined<T extends string | number | boolean>(value: T | undefined): pulumi.Output<T> | undefined {
    return value === undefined ? undefined : (pulumi.secret(value) as pulumi.Output<T>);
}

/**
 * The version of this package.
 */
export function getVersion(): string {
    return packageVersion;
}

"#,
    );
    let url = model
        .plugin_download_url
        .as_deref()
        .map(|u| format!(", pluginDownloadURL: {}", quote(u)))
        .unwrap_or_default();
    let url_ty = if model.plugin_download_url.is_some() {
        "; pluginDownloadURL: string"
    } else {
        ""
    };
    let _ = writeln!(
        b,
        "/**\n * The options every resource and invoke of this package carries: the plugin version (and\n * where to download it), so the engine loads the plugin this SDK was generated for.\n *\n * @internal\n */\nexport function resourceOptsDefaults(): {{ version: string{url_ty} }} {{\n    return {{ version: getVersion(){url} }};\n}}"
    );
    b
}

/// `index.ts`: re-exports of the `index` module's members, the sub-modules (config,
/// modules, types), and the resource module and package registrations.
pub(super) fn emit_index(model: &Model) -> String {
    let mut b = header(&[
        "import * as pulumi from \"@pulumi/pulumi\";",
        "import * as utilities from \"./utilities\";",
    ]);
    let (resources, mut members) = module_members(model, None);
    members.push("provider".to_owned());
    members.sort();
    export_members(&mut b, &members, &resources);
    b.push_str("import { Provider } from \"./provider\";\n\n");
    let mut subs: Vec<&str> = model.modules().into_iter().collect();
    if !model.config.is_empty() {
        subs.push("config");
    }
    if model.has_object_types() {
        subs.push("types");
    }
    subs.sort_unstable();
    if !subs.is_empty() {
        b.push_str("// Export sub-modules:\n");
        for s in &subs {
            let _ = writeln!(b, "import * as {s} from \"./{s}\";");
        }
        b.push_str("\nexport {\n");
        for s in &subs {
            let _ = writeln!(b, "    {s},");
        }
        b.push_str("};\n\n");
    }
    register_resource_module(&mut b, model, "index", &resources);
    let _ = writeln!(
        b,
        "pulumi.runtime.registerResourcePackage({}, {{\n    version: utilities.getVersion(),\n    constructProvider: (name: string, type: string, urn: string): pulumi.ProviderResource => {{\n        if (type !== {}) {{\n            throw new Error(`unknown provider type ${{type}}`);\n        }}\n        return new Provider(name, undefined as any, {{ urn }});\n    }},\n}});",
        quote(&model.name),
        quote(&format!("pulumi:providers:{}", model.name))
    );
    b
}

/// `<module>/index.ts`: re-exports of the module's members and its resource module
/// registration, as Pulumi's generator writes a module's index.
pub(super) fn emit_module_index(model: &Model, module: &str) -> String {
    let (resources, members) = module_members(model, Some(module));
    let mut b = if resources.is_empty() {
        header(&[])
    } else {
        header(&[
            "import * as pulumi from \"@pulumi/pulumi\";",
            "import * as utilities from \"../utilities\";",
        ])
    };
    export_members(&mut b, &members, &resources);
    if !resources.is_empty() {
        b.push('\n');
    }
    register_resource_module(&mut b, model, module, &resources);
    b.trim_end().to_owned() + "\n"
}

/// The resources of `module` (`None`: `index`) and the file names of all its members
/// (resources and functions), sorted.
fn module_members<'m>(model: &'m Model, module: Option<&str>) -> (Vec<&'m Resource>, Vec<String>) {
    let resources: Vec<&Resource> = model
        .resources
        .iter()
        .filter(|r| r.module.as_deref() == module)
        .collect();
    let mut members: Vec<String> = resources
        .iter()
        .map(|r| camel(&r.name))
        .chain(
            model
                .functions
                .iter()
                .filter(|f| f.module.as_deref() == module)
                .map(|f| camel(&f.name)),
        )
        .collect();
    members.sort();
    (resources, members)
}

/// `export * from "./member";` for each member, then an import of each resource class.
fn export_members(b: &mut String, members: &[String], resources: &[&Resource]) {
    b.push_str("// Export members:\n");
    for m in members {
        let _ = writeln!(b, "export * from \"./{m}\";");
    }
    b.push('\n');
    for r in resources {
        let _ = writeln!(b, "import {{ {} }} from \"./{}\";", r.name, camel(&r.name));
    }
}

/// The `_module` that constructs `resources` by type token, registered for `module`.
fn register_resource_module(b: &mut String, model: &Model, module: &str, resources: &[&Resource]) {
    if resources.is_empty() {
        return;
    }
    b.push_str("const _module = {\n    version: utilities.getVersion(),\n    construct: (name: string, type: string, urn: string): pulumi.Resource => {\n        switch (type) {\n");
    for r in resources {
        let _ = writeln!(
            b,
            "            case {}:\n                return new {}(name, undefined as any, {{ urn }});",
            quote(&r.token),
            r.name
        );
    }
    b.push_str("            default:\n                throw new Error(`unknown resource type ${type}`);\n        }\n    },\n};\n");
    let _ = writeln!(
        b,
        "pulumi.runtime.registerResourceModule({}, {}, _module);",
        quote(&model.name),
        quote(module)
    );
}

/// `README.md`.
pub(super) fn emit_readme(model: &Model) -> String {
    let mut b = format!("{MD_HEADER}\n\n# {}\n\n", model.package_name);
    if let Some(d) = model
        .package_description
        .as_deref()
        .or(model.description.as_deref())
    {
        let _ = writeln!(b, "{d}\n");
    }
    let _ = writeln!(
        b,
        "The Node.js SDK of the `{name}` Pulumi package, version {v}. Programs using it need the \
         resource plugin `pulumi-resource-{name}` {v}.\n",
        name = model.name,
        v = model.version
    );
    if !model.config.is_empty() {
        b.push_str("## Configuration\n\n");
        if model.config.iter().any(|p| p.secret) {
            let _ = writeln!(
                b,
                "The `config` module reads each variable lazily. A secret variable is read with \
                 `getSecret` and typed `pulumi.Output<T> | undefined`, where Pulumi's own SDKs \
                 give `T | undefined`: the value stays a secret in the program (use it through \
                 `apply` or pass it as an input).\n"
            );
        }
        for p in &model.config {
            let mut line = format!("- `{}:{}`", model.name, p.name);
            if p.secret {
                line.push_str(" (secret)");
            }
            if !p.env.is_empty() {
                let envs = p
                    .env
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = write!(line, "; environment: {envs}");
            }
            if let Some(d) = &p.description {
                let _ = write!(line, ": {}", first_paragraph(d));
            }
            let _ = writeln!(b, "{line}");
        }
        b.push('\n');
    }
    if !model.resources.is_empty() {
        b.push_str("## Resources\n\n");
        for r in &model.resources {
            let d = r
                .description
                .as_deref()
                .map(first_paragraph)
                .unwrap_or_default();
            let _ = writeln!(b, "- `{}` (`{}`): {d}", r.name, r.token);
        }
        b.push('\n');
    }
    if !model.functions.is_empty() {
        b.push_str("## Functions\n\n");
        for f in &model.functions {
            let d = f
                .description
                .as_deref()
                .map(first_paragraph)
                .unwrap_or_default();
            let _ = writeln!(
                b,
                "- `{}` / `{}Output` (`{}`): {d}",
                f.name, f.name, f.token
            );
        }
        b.push('\n');
    }
    b.trim_end().to_owned() + "\n"
}

fn first_paragraph(text: &str) -> String {
    let para = text.split("\n\n").next().unwrap_or(text).trim();
    para.replace('\n', " ")
}

/// A JSON value with a fixed key order (npm's conventional order in `package.json`).
enum Ordered {
    Str(String),
    Bool(bool),
    Arr(Vec<Ordered>),
    Obj(Vec<(String, Ordered)>),
}

impl Ordered {
    pub(super) fn render(&self, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        let close = "  ".repeat(indent);
        match self {
            Ordered::Str(s) => out.push_str(&quote(s)),
            Ordered::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
            Ordered::Arr(items) if items.is_empty() => out.push_str("[]"),
            Ordered::Obj(items) if items.is_empty() => out.push_str("{}"),
            Ordered::Arr(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(&pad);
                    item.render(indent + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&close);
                out.push(']');
            }
            Ordered::Obj(items) => {
                out.push_str("{\n");
                for (i, (k, v)) in items.iter().enumerate() {
                    out.push_str(&pad);
                    out.push_str(&quote(k));
                    out.push_str(": ");
                    v.render(indent + 1, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&close);
                out.push('}');
            }
        }
    }

    pub(super) fn to_text(&self) -> String {
        let mut out = String::new();
        self.render(0, &mut out);
        out.push('\n');
        out
    }
}

fn str_obj(map: &BTreeMap<String, String>) -> Ordered {
    Ordered::Obj(
        map.iter()
            .map(|(k, v)| (k.clone(), Ordered::Str(v.clone())))
            .collect(),
    )
}

fn strs(items: &[&str]) -> Ordered {
    Ordered::Arr(
        items
            .iter()
            .map(|s| Ordered::Str((*s).to_owned()))
            .collect(),
    )
}

/// `tsconfig.json` (strict) compiling `sources` and the hand-written `tests/` into `bin/`.
pub(super) fn emit_tsconfig(sources: &[String]) -> String {
    let options = Ordered::Obj(vec![
        ("outDir".into(), Ordered::Str("bin".into())),
        ("rootDir".into(), Ordered::Str(".".into())),
        ("target".into(), Ordered::Str("ES2020".into())),
        ("module".into(), Ordered::Str("commonjs".into())),
        ("moduleResolution".into(), Ordered::Str("node".into())),
        ("declaration".into(), Ordered::Bool(true)),
        ("sourceMap".into(), Ordered::Bool(true)),
        ("stripInternal".into(), Ordered::Bool(true)),
        ("experimentalDecorators".into(), Ordered::Bool(true)),
        ("noFallthroughCasesInSwitch".into(), Ordered::Bool(true)),
        (
            "forceConsistentCasingInFileNames".into(),
            Ordered::Bool(true),
        ),
        ("strict".into(), Ordered::Bool(true)),
    ]);
    Ordered::Obj(vec![
        ("compilerOptions".into(), options),
        (
            "files".into(),
            Ordered::Arr(sources.iter().map(|s| Ordered::Str(s.clone())).collect()),
        ),
        ("include".into(), strs(&["tests/**/*.ts"])),
    ])
    .to_text()
}

/// `package.json`, with the `pulumi` section that names the plugin the SDK needs.
pub(super) fn emit_package_json(model: &Model) -> String {
    let mut fields: Vec<(String, Ordered)> = vec![
        ("name".into(), Ordered::Str(model.package_name.clone())),
        ("version".into(), Ordered::Str(model.version.clone())),
    ];
    if let Some(d) = model
        .package_description
        .as_deref()
        .or(model.description.as_deref())
    {
        fields.push(("description".into(), Ordered::Str(d.to_owned())));
    }
    if !model.keywords.is_empty() {
        fields.push((
            "keywords".into(),
            Ordered::Arr(
                model
                    .keywords
                    .iter()
                    .map(|k| Ordered::Str(k.clone()))
                    .collect(),
            ),
        ));
    }
    for (k, v) in [
        ("homepage", &model.homepage),
        ("repository", &model.repository),
        ("license", &model.license),
    ] {
        if let Some(v) = v {
            fields.push((k.into(), Ordered::Str(v.clone())));
        }
    }
    fields.extend([
        ("main".into(), Ordered::Str("bin/index.js".into())),
        ("types".into(), Ordered::Str("bin/index.d.ts".into())),
        ("files".into(), strs(&["bin/", "!bin/tests/", "README.md"])),
        (
            "scripts".into(),
            Ordered::Obj(vec![
                ("build".into(), Ordered::Str("tsc".into())),
                (
                    "test".into(),
                    Ordered::Str("node --test bin/tests/*.test.js".into()),
                ),
            ]),
        ),
        ("dependencies".into(), str_obj(&model.dependencies)),
        ("devDependencies".into(), str_obj(&model.dev_dependencies)),
        (
            "engines".into(),
            Ordered::Obj(vec![("node".into(), Ordered::Str(">=20".into()))]),
        ),
    ]);
    let mut pulumi = vec![
        ("resource".into(), Ordered::Bool(true)),
        ("name".into(), Ordered::Str(model.name.clone())),
        ("version".into(), Ordered::Str(model.version.clone())),
    ];
    if let Some(url) = &model.plugin_download_url {
        pulumi.push(("server".into(), Ordered::Str(url.clone())));
    }
    fields.push(("pulumi".into(), Ordered::Obj(pulumi)));
    Ordered::Obj(fields).to_text()
}
