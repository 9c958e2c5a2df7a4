//! `pulumi-resource-crunchybridge`: the Crunchy Bridge resource plugin for Pulumi.
//!
//! Launched by the engine as `pulumi-resource-crunchybridge [flags] [ENGINE_ADDRESS]`; prints
//! the port it listens on, then serves. `--version` and `schema` print and exit.

use provider_crunchybridge::provider::CrunchyBridge;
use provider_crunchybridge::pulumi::launch::{self, Launch};
use provider_crunchybridge::pulumi::server::ProviderService;

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
    match Launch::parse(std::env::args().skip(1)) {
        Launch::Version => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            std::process::ExitCode::SUCCESS
        }
        Launch::Help => {
            println!("{HELP}");
            std::process::ExitCode::SUCCESS
        }
        Launch::Schema => {
            let service =
                ProviderService::new(CrunchyBridge, Default::default(), Default::default());
            println!("{}", service.schema_json());
            std::process::ExitCode::SUCCESS
        }
        Launch::Serve { engine } => {
            launch::init_logging();
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match runtime.block_on(launch::serve(CrunchyBridge, engine)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}
