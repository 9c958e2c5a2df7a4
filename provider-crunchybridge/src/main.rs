//! `pulumi-resource-crunchybridge`: the Crunchy Bridge resource plugin for Pulumi.
//!
//! Launched by the engine as `pulumi-resource-crunchybridge [flags] [ENGINE_ADDRESS]`; prints
//! the port it listens on, then serves. `--version` and `schema` print and exit.

use provider_crunchybridge::provider::CrunchyBridge;

const HELP: &str = "\
pulumi-resource-crunchybridge: the Crunchy Bridge resource plugin for Pulumi

The Pulumi engine starts this program; you rarely run it by hand.
  pulumi-resource-crunchybridge [--logtostderr] [-v=N] [--tracing URL] [ENGINE_ADDRESS]
      listen on 127.0.0.1, print the port, serve (no ENGINE_ADDRESS: attach mode)
  pulumi-resource-crunchybridge --version   print the version
  pulumi-resource-crunchybridge schema      print the package schema (JSON)

Configuration: crunchybridge:apiKey (or CRUNCHYBRIDGE_API_KEY / CB_API_KEY),
crunchybridge:apiUrl (or CRUNCHYBRIDGE_API_URL). Logs go to stderr (RUST_LOG=info for more).";

fn main() -> std::process::ExitCode {
    CrunchyBridge::provider().main(HELP)
}
