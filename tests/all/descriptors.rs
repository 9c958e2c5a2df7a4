//! The project's own protos against the descriptors shipped in PyPI `pulumi` (pinned in
//! `tests/conformance/requirements.txt`): every message, field, enum value and RPC the
//! project declares must equal Pulumi's (name, number, type, label, optional-ness).

use std::collections::HashMap;
use std::process::Command;

use base64::Engine as _;
use prost::Message;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, FileDescriptorSet,
    ServiceDescriptorProto,
};

use crate::support::venv_python;

const PULUMI_MODULES: [&str; 4] = [
    "pulumi.runtime.proto.provider_pb2",
    "pulumi.runtime.proto.plugin_pb2",
    "pulumi.runtime.proto.engine_pb2",
    "pulumi.runtime.proto.status_pb2",
];

fn pulumi_files() -> Vec<FileDescriptorProto> {
    let python = venv_python();
    let script = format!(
        "import base64, importlib\nfor m in {PULUMI_MODULES:?}:\n    \
         print(base64.b64encode(importlib.import_module(m).DESCRIPTOR.serialized_pb).decode())\n"
    );
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "loading Pulumi's descriptors failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(l.trim())
                .expect("base64 from python");
            FileDescriptorProto::decode(bytes.as_slice()).expect("a FileDescriptorProto")
        })
        .collect()
}

#[derive(Default)]
struct Index {
    messages: HashMap<String, DescriptorProto>,
    enums: HashMap<String, EnumDescriptorProto>,
    services: HashMap<String, ServiceDescriptorProto>,
}

impl Index {
    fn add_file(&mut self, f: &FileDescriptorProto) {
        let pkg = f.package();
        for m in &f.message_type {
            self.add_message(pkg, m);
        }
        for e in &f.enum_type {
            self.enums.insert(format!(".{pkg}.{}", e.name()), e.clone());
        }
        for s in &f.service {
            self.services
                .insert(format!(".{pkg}.{}", s.name()), s.clone());
        }
    }

    fn add_message(&mut self, scope: &str, m: &DescriptorProto) {
        let name = format!("{scope}.{}", m.name());
        for nested in &m.nested_type {
            self.add_message(&name, nested);
        }
        for e in &m.enum_type {
            self.enums
                .insert(format!(".{name}.{}", e.name()), e.clone());
        }
        self.messages.insert(format!(".{name}"), m.clone());
    }
}

fn ours() -> Index {
    let set = FileDescriptorSet::decode(provider_crunchybridge::pulumi::proto::FILE_DESCRIPTOR_SET)
        .expect("the project's descriptor set");
    let mut idx = Index::default();
    for f in &set.file {
        if f.package().starts_with("google.protobuf") {
            continue; // well-known types come from protox itself
        }
        idx.add_file(f);
    }
    idx
}

#[test]
fn descriptors_match_pulumi() {
    let mut theirs = Index::default();
    for f in pulumi_files() {
        theirs.add_file(&f);
    }
    let ours = ours();
    let mut problems = Vec::new();
    let mut fields_checked = 0;

    for (name, m) in &ours.messages {
        let Some(up) = theirs.messages.get(name) else {
            problems.push(format!("message {name} does not exist upstream"));
            continue;
        };
        for f in &m.field {
            fields_checked += 1;
            let Some(uf) = up.field.iter().find(|u| u.number() == f.number()) else {
                problems.push(format!(
                    "{name}.{} = {}: no such field number upstream",
                    f.name(),
                    f.number()
                ));
                continue;
            };
            let ours_sig = (
                f.name(),
                f.r#type(),
                f.type_name(),
                f.label(),
                f.proto3_optional(),
            );
            let up_sig = (
                uf.name(),
                uf.r#type(),
                uf.type_name(),
                uf.label(),
                uf.proto3_optional(),
            );
            if ours_sig != up_sig {
                problems.push(format!(
                    "{name} field {}: ours {ours_sig:?}, Pulumi's {up_sig:?}",
                    f.number()
                ));
            }
            let (ours_oneof, up_oneof) = (
                f.oneof_index
                    .map(|i| m.oneof_decl[i as usize].name().to_owned()),
                uf.oneof_index
                    .map(|i| up.oneof_decl[i as usize].name().to_owned()),
            );
            if ours_oneof != up_oneof {
                problems.push(format!(
                    "{name}.{}: oneof {ours_oneof:?} vs {up_oneof:?}",
                    f.name()
                ));
            }
        }
    }
    for (name, e) in &ours.enums {
        let Some(up) = theirs.enums.get(name) else {
            problems.push(format!("enum {name} does not exist upstream"));
            continue;
        };
        for v in &e.value {
            if !up
                .value
                .iter()
                .any(|u| u.name() == v.name() && u.number() == v.number())
            {
                problems.push(format!(
                    "enum {name}: {} = {} differs upstream",
                    v.name(),
                    v.number()
                ));
            }
        }
    }
    for (name, s) in &ours.services {
        let Some(up) = theirs.services.get(name) else {
            problems.push(format!("service {name} does not exist upstream"));
            continue;
        };
        for m in &s.method {
            let Some(um) = up.method.iter().find(|u| u.name() == m.name()) else {
                problems.push(format!("rpc {name}/{} does not exist upstream", m.name()));
                continue;
            };
            let sig = |x: &prost_types::MethodDescriptorProto| {
                (
                    x.input_type().to_owned(),
                    x.output_type().to_owned(),
                    x.client_streaming(),
                    x.server_streaming(),
                )
            };
            if sig(m) != sig(um) {
                problems.push(format!(
                    "rpc {name}/{}: ours {:?}, Pulumi's {:?}",
                    m.name(),
                    sig(m),
                    sig(um)
                ));
            }
        }
    }
    // Every RPC of Pulumi's ResourceProvider is declared (and so served) by the project.
    let up = &theirs.services[".pulumirpc.ResourceProvider"];
    let mine = &ours.services[".pulumirpc.ResourceProvider"];
    for m in &up.method {
        if !mine.method.iter().any(|x| x.name() == m.name()) {
            problems.push(format!(
                "rpc ResourceProvider/{} is missing from proto/",
                m.name()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        fields_checked > 150,
        "only {fields_checked} fields compared"
    );
}

#[test]
fn a_wrong_field_number_would_be_caught() {
    // The comparison is only worth something if it fails on a mismatch: flip one number.
    let mut theirs = Index::default();
    for f in pulumi_files() {
        theirs.add_file(&f);
    }
    let up = &theirs.messages[".pulumirpc.CreateRequest"];
    let timeout = up
        .field
        .iter()
        .find(|f| f.name() == "timeout")
        .expect("timeout field");
    assert_eq!(timeout.number(), 3);
    let ours = ours();
    let mine = &ours.messages[".pulumirpc.CreateRequest"];
    let my_timeout = mine
        .field
        .iter()
        .find(|f| f.name() == "timeout")
        .expect("timeout field");
    assert_eq!(
        (my_timeout.number(), my_timeout.r#type()),
        (timeout.number(), timeout.r#type())
    );
}
