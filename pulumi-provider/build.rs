//! Compiles the project's own protos in `proto/` with protox (no system `protoc`) and
//! generates tonic server and client code for `pulumirpc` and `google.rpc.Status`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let files = [
        "pulumi/provider.proto",
        "pulumi/engine.proto",
        "pulumi/plugin.proto",
        "google/rpc/status.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", proto_dir.join(f).display());
    }
    let fds = protox::compile(files, [&proto_dir])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // Kept so tests can compare every message and field with Pulumi's own descriptors.
    std::fs::write(
        out_dir.join("pulumirpc_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
