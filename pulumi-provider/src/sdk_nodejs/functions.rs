//! Functions: `getX` over `pulumi.runtime.invoke` and `getXOutput` over
//! `pulumi.runtime.invokeOutput`.

use std::fmt::Write as _;

use super::model::Function;
use super::resources::interface_members;
use super::typescript::{
    Flavor, TypeWriter, access, doc, file_with_imports, member_file, pascal, quote,
};

/// `<functionName>.ts`: `getX`, `getXOutput`, `GetXArgs`, `GetXOutputArgs`, `GetXResult`.
pub(super) fn emit_function(f: &Function) -> String {
    let mut tw = TypeWriter::new(true);
    let name = &f.name;
    let base = pascal(name);
    // As Pulumi's generator: an `args` parameter (and its interfaces, even empty) whenever
    // the schema declares inputs, so `getX({}, { provider })` compiles.
    let has_inputs = f.declares_inputs;
    let args_optional = !f.inputs.props.iter().any(|p| f.inputs.is_required(p));
    let q = if args_optional { "?" } else { "" };
    let tok = quote(&f.token);
    let call_args = |b: &mut String| {
        if !f.inputs.props.is_empty() {
            b.push_str("{\n");
            for p in &f.inputs.props {
                let _ = writeln!(
                    b,
                    "        {}: {},",
                    quote(&p.name),
                    access("args", &p.name, false)
                );
            }
            b.push_str("    }");
        } else {
            b.push_str("{}");
        }
    };

    let mut b = String::new();
    for output in [false, true] {
        doc(
            &mut b,
            0,
            f.description.as_deref(),
            f.deprecation.as_deref(),
        );
        let (fname, args_ty, opts_ty, ret, invoke) = if output {
            (
                format!("{name}Output"),
                format!("{base}OutputArgs"),
                "pulumi.InvokeOutputOptions",
                format!("pulumi.Output<{base}Result>"),
                "invokeOutput",
            )
        } else {
            (
                name.clone(),
                format!("{base}Args"),
                "pulumi.InvokeOptions",
                format!("Promise<{base}Result>"),
                "invoke",
            )
        };
        if has_inputs {
            let _ = writeln!(
                b,
                "export function {fname}(args{q}: {args_ty}, opts?: {opts_ty}): {ret} {{"
            );
            if args_optional {
                b.push_str("    args = args || {};\n");
            }
        } else {
            let _ = writeln!(b, "export function {fname}(opts?: {opts_ty}): {ret} {{");
        }
        let _ = write!(
            b,
            "    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {{}});\n    return pulumi.runtime.{invoke}({tok}, "
        );
        call_args(&mut b);
        b.push_str(", opts);\n}\n\n");
        if has_inputs {
            let _ = writeln!(
                b,
                "/**\n * A collection of arguments for invoking {name}.\n */\nexport interface {args_ty} {{"
            );
            let flavor = if output { Flavor::Input } else { Flavor::Plain };
            interface_members(&mut b, &mut tw, &f.inputs, flavor, false);
            b.push_str("}\n\n");
        }
        if !output {
            let _ = writeln!(
                b,
                "/**\n * A collection of values returned by {name}.\n */\nexport interface {base}Result {{"
            );
            interface_members(&mut b, &mut tw, &f.outputs, Flavor::Output, true);
            b.push_str("}\n\n");
        }
    }
    let body = b.trim_end().to_owned() + "\n";
    let (_, root) = member_file(f.module.as_deref(), name);
    file_with_imports(&body, &tw, root)
}
