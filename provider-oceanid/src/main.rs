//! `pulumi-resource-oceanid`: the `oceanid` plugin for Pulumi (Kubernetes checks, Cloudflare).
//!
//! Launched by the engine as `pulumi-resource-oceanid [flags] [ENGINE_ADDRESS]`; prints the port
//! it listens on, then serves. `--version` and `schema` print and exit.

use provider_oceanid::provider::Oceanid;

const HELP: &str = "\
pulumi-resource-oceanid: the oceanid plugin for Pulumi (Kubernetes checks, Cloudflare Zero Trust)

The Pulumi engine starts this program; you rarely run it by hand.
  pulumi-resource-oceanid [--logtostderr] [-v=N] [--tracing URL] [ENGINE_ADDRESS]
      listen on 127.0.0.1, print the port, serve (no ENGINE_ADDRESS: attach mode)
  pulumi-resource-oceanid --version   print the version
  pulumi-resource-oceanid schema      print the package schema (JSON)

Configuration: oceanid:kubeconfig (a path or the content; or KUBECONFIG), oceanid:kubeContext,
oceanid:cloudflareApiToken (or CLOUDFLARE_API_TOKEN), oceanid:cloudflareAccountId (or
CLOUDFLARE_ACCOUNT_ID), oceanid:cloudflareApiUrl (or CLOUDFLARE_API_URL),
oceanid:protectedSplitTunnelAddresses. Logs go to stderr (RUST_LOG=info for more).";

fn main() -> std::process::ExitCode {
    Oceanid::provider().main(HELP)
}
