//! TypeScript rendering: types in their input, plain and output flavours, names, doc
//! comments, and the expressions a constructor sends.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::TS_HEADER;
use super::model::{Model, Prop, Resource, Shape, Ty, TypeDef};

#[derive(Clone, Copy, PartialEq)]
/// Which flavour of a type to render.
pub(super) enum Flavor {
    /// Plain values (invoke arguments): `inputs.Foo`.
    Plain,
    /// `pulumi.Input`s (resource arguments and state, `…OutputArgs`): `inputs.FooArgs`.
    Input,
    /// Resolved outputs: `outputs.Foo`.
    Output,
}

/// Renders types; `qualify` prefixes object types with `inputs.`/`outputs.` (the module
/// names in resource and function files) and records which of the two a file needs.
pub(super) struct TypeWriter {
    pub(super) qualify: bool,
    pub(super) uses_inputs: bool,
    pub(super) uses_outputs: bool,
}

impl TypeWriter {
    pub(super) fn new(qualify: bool) -> TypeWriter {
        TypeWriter {
            qualify,
            uses_inputs: false,
            uses_outputs: false,
        }
    }

    /// The type of a property: `pulumi.Input<…>` for the input flavour.
    pub(super) fn property(&mut self, ty: &Ty, flavor: Flavor) -> String {
        let inner = self.inner(ty, flavor);
        match flavor {
            Flavor::Input => format!("pulumi.Input<{inner}>"),
            _ => inner,
        }
    }

    /// The type of a property that may be left out: in the input flavour
    /// `pulumi.Input<T | undefined>`, so another resource's optional output fits, as
    /// Pulumi's generator types it; other flavours as [`TypeWriter::property`].
    pub(super) fn optional_property(&mut self, ty: &Ty, flavor: Flavor) -> String {
        let inner = self.inner(ty, flavor);
        match flavor {
            Flavor::Input => format!("pulumi.Input<{inner} | undefined>"),
            _ => inner,
        }
    }

    pub(super) fn inner(&mut self, ty: &Ty, flavor: Flavor) -> String {
        match ty {
            Ty::String => "string".into(),
            Ty::Number => "number".into(),
            Ty::Boolean => "boolean".into(),
            Ty::Any => "any".into(),
            Ty::Asset => "pulumi.asset.Asset | pulumi.asset.Archive".into(),
            Ty::Archive => "pulumi.asset.Archive".into(),
            Ty::Literals(values) => values.join(" | "),
            Ty::Union(tys) => tys
                .iter()
                .map(|t| self.inner(t, flavor))
                .collect::<Vec<_>>()
                .join(" | "),
            Ty::Array(item) => {
                let item = self.element(item, flavor);
                if item.contains(" | ") && !item.starts_with("pulumi.Input<") {
                    format!("({item})[]")
                } else {
                    format!("{item}[]")
                }
            }
            Ty::Map(item) => format!("{{[key: string]: {}}}", self.element(item, flavor)),
            Ty::Object(name) => {
                let (module, suffix) = match flavor {
                    Flavor::Plain => {
                        self.uses_inputs = true;
                        ("inputs.", "")
                    }
                    Flavor::Input => {
                        self.uses_inputs = true;
                        ("inputs.", "Args")
                    }
                    Flavor::Output => {
                        self.uses_outputs = true;
                        ("outputs.", "")
                    }
                };
                let module = if self.qualify { module } else { "" };
                format!("{module}{name}{suffix}")
            }
        }
    }

    pub(super) fn element(&mut self, ty: &Ty, flavor: Flavor) -> String {
        let inner = self.inner(ty, flavor);
        match flavor {
            Flavor::Input => format!("pulumi.Input<{inner}>"),
            _ => inner,
        }
    }
}

/// Whether `s` can be written as a bare TypeScript identifier / property name.
pub(super) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key in an interface or object literal.
pub(super) fn key(name: &str) -> String {
    if is_ident(name) {
        name.to_owned()
    } else {
        quote(name)
    }
}

/// `obj.name`, or `obj["na-me"]` when the name is not an identifier.
pub(super) fn access(obj: &str, name: &str, optional: bool) -> String {
    match (is_ident(name), optional) {
        (true, true) => format!("{obj}?.{name}"),
        (true, false) => format!("{obj}.{name}"),
        (false, true) => format!("{obj}?.[{}]", quote(name)),
        (false, false) => format!("{obj}[{}]", quote(name)),
    }
}

/// A double-quoted TypeScript string literal.
pub(super) fn quote(s: &str) -> String {
    Json::String(s.to_owned()).to_string()
}

/// `FirewallRule` → `firewallRule` (file names, Pulumi's convention).
pub(super) fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The path of a resource's or function's file (`name.ts`, or `module/name.ts`) and the
/// relative path from it to the SDK's root.
pub(super) fn member_file(module: Option<&str>, name: &str) -> (String, &'static str) {
    match module {
        Some(m) => (format!("{m}/{}.ts", camel(name)), "../"),
        None => (format!("{}.ts", camel(name)), "./"),
    }
}

/// `getCluster` → `GetCluster`.
pub(super) fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A JSDoc block at `indent` spaces, or nothing when there is nothing to say.
pub(super) fn doc(out: &mut String, indent: usize, text: Option<&str>, deprecation: Option<&str>) {
    let mut lines: Vec<String> = Vec::new();
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        lines.extend(text.lines().map(str::to_owned));
    }
    if let Some(d) = deprecation.map(str::trim).filter(|d| !d.is_empty()) {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!("@deprecated {d}"));
    }
    if lines.is_empty() {
        return;
    }
    let pad = " ".repeat(indent);
    out.push_str(&format!("{pad}/**\n"));
    for line in lines {
        let line = line.replace("*/", "*&#47;");
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(&format!("{pad} *\n"));
        } else {
            out.push_str(&format!("{pad} * {line}\n"));
        }
    }
    out.push_str(&format!("{pad} */\n"));
}

/// The doc comment of a property.
pub(super) fn prop_doc(out: &mut String, indent: usize, p: &Prop) {
    doc(
        out,
        indent,
        p.description.as_deref(),
        p.deprecation.as_deref(),
    );
}

/// The generated-file header and the imports.
pub(super) fn header(imports: &[&str]) -> String {
    let mut out = format!("{TS_HEADER}\n\n");
    for i in imports {
        out.push_str(i);
        out.push('\n');
    }
    if !imports.is_empty() {
        out.push('\n');
    }
    out
}

/// The standard imports of a resource or function file, given what its body uses; `root` is
/// the relative path from the file to the SDK's root (`./`, or `../` in a module).
pub(super) fn file_with_imports(body: &str, types: &TypeWriter, root: &str) -> String {
    let mut imports = vec!["import * as pulumi from \"@pulumi/pulumi\";".to_owned()];
    if types.uses_inputs {
        imports.push(format!("import * as inputs from \"{root}types/input\";"));
    }
    if types.uses_outputs {
        imports.push(format!("import * as outputs from \"{root}types/output\";"));
    }
    imports.push(format!("import * as utilities from \"{root}utilities\";"));
    let refs: Vec<&str> = imports.iter().map(String::as_str).collect();
    header(&refs) + body
}

fn env_getter(ty: &Ty) -> Option<&'static str> {
    match ty {
        Ty::String => Some("getEnv"),
        Ty::Boolean => Some("getEnvBoolean"),
        Ty::Number => Some("getEnvNumber"),
        _ => None,
    }
}

/// `utilities.getEnv…("A", "B")` for a property with environment fallbacks of a scalar type.
pub(super) fn env_call(p: &Prop) -> Option<String> {
    if p.env.is_empty() {
        return None;
    }
    let getter = env_getter(&p.ty)?;
    let vars = p
        .env
        .iter()
        .map(|v| quote(v))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!("utilities.{getter}({vars})"))
}

/// The expression sent for input `p`: the argument, then the schema default, then (for
/// non-secret properties) the environment fallbacks, wrapped with `pulumi.secret` when the
/// property is secret. Secret environment fallbacks are left to the plugin, which applies
/// the same ones when it is configured, so the value never enters the program's state.
pub(super) fn input_expr(p: &Prop, provider: bool) -> String {
    // The engine passes provider configuration as strings: Pulumi's providers receive
    // non-string values JSON-encoded.
    let encode = |v: String| {
        if provider && !matches!(p.ty, Ty::String) {
            format!("pulumi.output({v}).apply(JSON.stringify)")
        } else {
            v
        }
    };
    let arg = access("args", &p.name, true);
    let mut fallbacks = Vec::new();
    if let Some(d) = &p.default {
        fallbacks.push(d.clone());
    }
    if !p.secret {
        fallbacks.extend(env_call(p));
    }
    if p.secret && fallbacks.is_empty() {
        let value = encode(access("args", &p.name, false));
        return format!("{arg} === undefined ? undefined : pulumi.secret({value})");
    }
    let value = if fallbacks.is_empty() {
        arg
    } else {
        format!("{arg} ?? {}", fallbacks.join(" ?? "))
    };
    let value = encode(value);
    if p.secret {
        format!("pulumi.secret({value})")
    } else {
        value
    }
}

/// Top-level property paths (and nested ones through object types) that replace.
pub(super) fn replace_paths(model: &Model, r: &Resource) -> Vec<String> {
    pub(super) fn walk(
        model: &Model,
        prefix: &str,
        shape: &Shape,
        seen: &mut Vec<String>,
        out: &mut BTreeSet<String>,
    ) {
        for p in &shape.props {
            let path = if prefix.is_empty() {
                p.name.clone()
            } else {
                format!("{prefix}.{}", p.name)
            };
            if p.replace {
                out.insert(path.clone());
            }
            let (ty, path) = match &p.ty {
                Ty::Array(t) => (t.as_ref(), format!("{path}[*]")),
                Ty::Map(t) => (t.as_ref(), format!("{path}.*")),
                t => (t, path),
            };
            if let Ty::Object(name) = ty
                && !seen.contains(name)
                && let Some(TypeDef::Object { shape, .. }) = model.types.get(name)
            {
                seen.push(name.clone());
                walk(model, &path, shape, seen, out);
                seen.pop();
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(model, "", &r.inputs, &mut Vec::new(), &mut out);
    walk(model, "", &r.outputs, &mut Vec::new(), &mut out);
    out.into_iter().collect()
}

/// A TypeScript array literal of strings.
pub(super) fn string_array(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
