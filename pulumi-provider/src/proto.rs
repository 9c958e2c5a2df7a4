//! Code generated from the project's own protos in `proto/` (see `build.rs`).
#![allow(missing_docs, clippy::all, clippy::pedantic, rust_2018_idioms)]

/// Package `pulumirpc`: the resource-provider service, Engine.Log and plugin messages.
pub mod pulumirpc {
    tonic::include_proto!("pulumirpc");
}

/// Package `google.rpc`: the `Status` message that carries typed error details.
pub mod google_rpc {
    tonic::include_proto!("google.rpc");
}

/// The encoded `FileDescriptorSet` of every proto the provider is built from; tests compare it
/// with the descriptors shipped in PyPI `pulumi`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pulumirpc_descriptor.bin"));
