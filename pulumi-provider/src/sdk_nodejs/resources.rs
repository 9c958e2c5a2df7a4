//! Resource classes (`pulumi.CustomResource`) and the `Provider` class.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::model::{Model, Prop, Resource, Shape, Ty};
use super::typescript::{
    Flavor, TypeWriter, access, doc, file_with_imports, input_expr, key, member_file, prop_doc,
    quote, replace_paths, string_array,
};

/// `<camelName>.ts`: the resource class with its `…State` and `…Args` interfaces.
pub(super) fn emit_resource(model: &Model, r: &Resource) -> String {
    let mut tw = TypeWriter::new(true);
    let name = &r.name;
    let args_ty = format!("{name}Args");
    let state_ty = format!("{name}State");
    let args_optional = !r
        .inputs
        .props
        .iter()
        .any(|p| r.inputs.is_required(p) && p.default.is_none());
    let q = if args_optional { "?" } else { "" };

    let mut b = String::new();
    doc(
        &mut b,
        0,
        r.description.as_deref(),
        r.deprecation.as_deref(),
    );
    let _ = writeln!(b, "export class {name} extends pulumi.CustomResource {{");
    // get
    b.push_str(&format!(
        "    /**\n     * Get an existing {name} resource's state with the given name, ID, and optional extra\n     * properties used to qualify the lookup.\n     *\n     * @param name The _unique_ name of the resulting resource.\n     * @param id The _unique_ provider ID of the resource to lookup.\n"
    ));
    if r.state.is_some() {
        b.push_str("     * @param state Any extra arguments used during the lookup.\n");
    }
    b.push_str("     * @param opts Optional settings to control the behavior of the CustomResource.\n     */\n");
    if r.state.is_some() {
        let _ = writeln!(
            b,
            "    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: {state_ty}, opts?: pulumi.CustomResourceOptions): {name} {{\n        return new {name}(name, state as any, {{ ...opts, id: id }});\n    }}\n"
        );
    } else {
        let _ = writeln!(
            b,
            "    public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): {name} {{\n        return new {name}(name, undefined as any, {{ ...opts, id: id }});\n    }}\n"
        );
    }
    let _ = writeln!(
        b,
        "    /** @internal */\n    public static readonly __pulumiType = {};\n",
        quote(&r.token)
    );
    let _ = writeln!(
        b,
        "    /**\n     * Returns true if the given object is an instance of {name}.  This is designed to work even\n     * when multiple copies of the Pulumi SDK have been loaded into the same process.\n     */\n    public static isInstance(obj: any): obj is {name} {{\n        if (obj === undefined || obj === null) {{\n            return false;\n        }}\n        return obj['__pulumiType'] === {name}.__pulumiType;\n    }}\n"
    );
    // outputs
    for p in r.outputs.props.iter().filter(|p| is_output_member(&p.name)) {
        prop_doc(&mut b, 4, p);
        let ty = tw.inner(&p.ty, Flavor::Output);
        let ty = if r.outputs.is_required(p) {
            ty
        } else {
            format!("{ty} | undefined")
        };
        let _ = writeln!(
            b,
            "    declare public readonly {}: pulumi.Output<{ty}>;",
            key(&p.name)
        );
    }
    if r.outputs.props.iter().any(|p| is_output_member(&p.name)) {
        b.push('\n');
    }
    // constructor
    let _ = writeln!(
        b,
        "    /**\n     * Create a {name} resource with the given unique name, arguments, and options.\n     *\n     * @param name The _unique_ name of the resource.\n     * @param args The arguments to use to populate this resource's properties.\n     * @param opts A bag of options that control this resource's behavior.\n     */"
    );
    let input_names: BTreeSet<&str> = r.inputs.props.iter().map(|p| p.name.as_str()).collect();
    let outs_only: Vec<&Prop> = r
        .outputs
        .props
        .iter()
        .filter(|p| !input_names.contains(p.name.as_str()) && is_output_member(&p.name))
        .collect();
    let mut new_branch = String::new();
    for p in &r.inputs.props {
        if r.inputs.is_required(p) && p.default.is_none() {
            let _ = writeln!(
                new_branch,
                "            if ((!args || {} === undefined) && !opts.urn) {{\n                throw new Error(\"Missing required property '{}'\");\n            }}",
                access("args", &p.name, false),
                p.name
            );
        }
    }
    for p in &r.inputs.props {
        let _ = writeln!(
            new_branch,
            "            resourceInputs[{}] = {};",
            quote(&p.name),
            input_expr(p, false)
        );
    }
    for p in &outs_only {
        let _ = writeln!(
            new_branch,
            "            resourceInputs[{}] = undefined /*out*/;",
            quote(&p.name)
        );
    }
    if let Some(state) = &r.state {
        let _ = writeln!(
            b,
            "    constructor(name: string, args{q}: {args_ty}, opts?: pulumi.CustomResourceOptions)\n    /** @internal */\n    constructor(name: string, argsOrState?: {args_ty} | {state_ty}, opts?: pulumi.CustomResourceOptions)\n    constructor(name: string, argsOrState?: {args_ty} | {state_ty}, opts?: pulumi.CustomResourceOptions) {{\n        let resourceInputs: pulumi.Inputs = {{}};\n        opts = opts || {{}};\n        if (opts.id) {{\n            const state = argsOrState as {state_ty} | undefined;"
        );
        for p in &state.props {
            let _ = writeln!(
                b,
                "            resourceInputs[{}] = {};",
                quote(&p.name),
                access("state", &p.name, true)
            );
        }
        let _ = writeln!(
            b,
            "        }} else {{\n            const args = argsOrState as {args_ty} | undefined;"
        );
        b.push_str(&new_branch);
        b.push_str("        }\n");
    } else {
        let _ = writeln!(
            b,
            "    constructor(name: string, args{q}: {args_ty}, opts?: pulumi.CustomResourceOptions) {{\n        let resourceInputs: pulumi.Inputs = {{}};\n        opts = opts || {{}};\n        if (!opts.id) {{"
        );
        b.push_str(&new_branch);
        b.push_str("        } else {\n");
        for p in r.outputs.props.iter().filter(|p| is_output_member(&p.name)) {
            let _ = writeln!(
                b,
                "            resourceInputs[{}] = undefined /*out*/;",
                quote(&p.name)
            );
        }
        b.push_str("        }\n");
    }
    options_tail(&mut b, model, r);
    let _ = writeln!(
        b,
        "        super({name}.__pulumiType, name, resourceInputs, opts);\n    }}\n}}"
    );
    // Args / State
    b.push('\n');
    if let Some(state) = &r.state {
        let _ = writeln!(
            b,
            "/**\n * Input properties used for looking up and filtering {name} resources.\n */\nexport interface {state_ty} {{"
        );
        for p in &state.props {
            prop_doc(&mut b, 4, p);
            let _ = writeln!(
                b,
                "    {}?: {};",
                key(&p.name),
                tw.optional_property(&p.ty, Flavor::Input)
            );
        }
        b.push_str("}\n\n");
    }
    let _ = writeln!(
        b,
        "/**\n * The set of arguments for constructing a {name} resource.\n */\nexport interface {args_ty} {{"
    );
    interface_members(&mut b, &mut tw, &r.inputs, Flavor::Input, false);
    b.push_str("}\n");
    let (_, root) = member_file(r.module.as_deref(), name);
    file_with_imports(&b, &tw, root)
}

/// `id` and `urn` are the base class's; Pulumi never redeclares them.
pub(super) fn is_output_member(name: &str) -> bool {
    name != "id" && name != "urn"
}

/// The members of an interface over `shape` in the given flavour.
pub(super) fn interface_members(
    b: &mut String,
    tw: &mut TypeWriter,
    shape: &Shape,
    flavor: Flavor,
    readonly: bool,
) {
    let ro = if readonly { "readonly " } else { "" };
    for p in &shape.props {
        prop_doc(b, 4, p);
        let (opt, ty) = if shape.is_required(p) {
            ("", tw.property(&p.ty, flavor))
        } else {
            ("?", tw.optional_property(&p.ty, flavor))
        };
        let _ = writeln!(b, "    {ro}{}{opt}: {ty};", key(&p.name));
    }
}

/// Merges the package defaults, secret outputs, replace-on-change paths and aliases into
/// `opts`, as Pulumi's generated constructors do.
pub(super) fn options_tail(b: &mut String, model: &Model, r: &Resource) {
    b.push_str("        opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);\n");
    let secrets: BTreeSet<String> = r
        .outputs
        .props
        .iter()
        .filter(|p| p.secret && is_output_member(&p.name))
        .map(|p| p.name.clone())
        .collect();
    if !secrets.is_empty() {
        let list: Vec<String> = secrets.into_iter().collect();
        let _ = writeln!(
            b,
            "        const secretOpts = {{ additionalSecretOutputs: {} }};\n        opts = pulumi.mergeOptions(opts, secretOpts);",
            string_array(&list)
        );
    }
    let replaces = replace_paths(model, r);
    if !replaces.is_empty() {
        let _ = writeln!(
            b,
            "        const replaceOnChanges = {{ replaceOnChanges: {} }};\n        opts = pulumi.mergeOptions(opts, replaceOnChanges);",
            string_array(&replaces)
        );
    }
    if !r.aliases.is_empty() {
        let list = r
            .aliases
            .iter()
            .map(|a| format!("{{ type: {} }}", quote(a)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            b,
            "        const aliasOpts = {{ aliases: [{list}] }};\n        opts = pulumi.mergeOptions(opts, aliasOpts);"
        );
    }
}

/// `provider.ts`: the `Provider` class (`pulumi.ProviderResource`) and `ProviderArgs`.
pub(super) fn emit_provider(model: &Model) -> String {
    let mut tw = TypeWriter::new(true);
    let r = &model.provider;
    let args_optional = !r
        .inputs
        .props
        .iter()
        .any(|p| r.inputs.is_required(p) && p.default.is_none());
    let q = if args_optional { "?" } else { "" };
    let mut b = String::new();
    let fallback = format!("The provider type for the {} package.", model.name);
    doc(
        &mut b,
        0,
        Some(r.description.as_deref().unwrap_or(&fallback)),
        r.deprecation.as_deref(),
    );
    let _ = writeln!(
        b,
        "export class Provider extends pulumi.ProviderResource {{\n    /** @internal */\n    public static readonly __pulumiType = {};\n",
        quote(&model.name)
    );
    b.push_str("    /**\n     * Returns true if the given object is an instance of Provider.  This is designed to work even\n     * when multiple copies of the Pulumi SDK have been loaded into the same process.\n     */\n    public static isInstance(obj: any): obj is Provider {\n        if (obj === undefined || obj === null) {\n            return false;\n        }\n        return obj['__pulumiType'] === \"pulumi:providers:\" + Provider.__pulumiType;\n    }\n\n");
    // A provider's state holds its configuration as strings; only those are outputs.
    let string_outputs: Vec<&Prop> = r
        .outputs
        .props
        .iter()
        .filter(|p| matches!(p.ty, Ty::String) && is_output_member(&p.name))
        .collect();
    for p in &string_outputs {
        prop_doc(&mut b, 4, p);
        let ty = if r.outputs.is_required(p) {
            "string"
        } else {
            "string | undefined"
        };
        let _ = writeln!(
            b,
            "    declare public readonly {}: pulumi.Output<{ty}>;",
            key(&p.name)
        );
    }
    if !string_outputs.is_empty() {
        b.push('\n');
    }
    let _ = writeln!(
        b,
        "    /**\n     * Create a Provider resource with the given unique name, arguments, and options.\n     *\n     * @param name The _unique_ name of the resource.\n     * @param args The arguments to use to populate this resource's properties.\n     * @param opts A bag of options that control this resource's behavior.\n     */\n    constructor(name: string, args{q}: ProviderArgs, opts?: pulumi.ResourceOptions) {{\n        let resourceInputs: pulumi.Inputs = {{}};\n        opts = opts || {{}};\n        {{"
    );
    for p in &r.inputs.props {
        if r.inputs.is_required(p) && p.default.is_none() {
            let _ = writeln!(
                b,
                "            if ((!args || {} === undefined) && !opts.urn) {{\n                throw new Error(\"Missing required property '{}'\");\n            }}",
                access("args", &p.name, false),
                p.name
            );
        }
    }
    for p in &r.inputs.props {
        let _ = writeln!(
            b,
            "            resourceInputs[{}] = {};",
            quote(&p.name),
            input_expr(p, true)
        );
    }
    b.push_str("        }\n");
    options_tail(&mut b, model, r);
    b.push_str("        super(Provider.__pulumiType, name, resourceInputs, opts);\n    }\n}\n\n");
    b.push_str(
        "/**\n * The set of arguments for constructing a Provider resource.\n */\nexport interface ProviderArgs {\n",
    );
    interface_members(&mut b, &mut tw, &r.inputs, Flavor::Input, false);
    b.push_str("}\n");
    file_with_imports(&b, &tw, "./")
}
