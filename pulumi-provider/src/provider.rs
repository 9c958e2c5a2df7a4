//! [`Provider`]: a package with its resources and functions registered, one call each, and
//! what a plugin binary does with it (serve, print the schema, run its command line).

use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::adapter::{ErasedResource, ResourceAdapter};
use super::context::EngineLog;
use super::function::{ErasedFunction, Function, FunctionAdapter};
use super::launch::{self, Launch};
use super::package::{Package, package_schema, package_schema_json};
use super::package_spec::PackageSpec;
use super::resource::Resource;
use super::server::ProviderService;

/// A provider: a [`Package`] and the resources and functions it offers.
///
/// ```no_run
/// # use pulumi_provider::{Package, Provider};
/// # fn plugin<P: Package>(package: P) -> std::process::ExitCode {
/// // In the plugin binary's `main`, with one `.resource(…)` / `.function(…)` per item:
/// Provider::new(package).main("pulumi-resource-example: the example plugin")
/// # }
/// ```
pub struct Provider<P: Package> {
    package: P,
    resources: Vec<Arc<dyn ErasedResource<P::Client>>>,
    functions: Vec<Arc<dyn ErasedFunction<P::Client>>>,
}

impl<P: Package> Provider<P> {
    /// A provider for `package`, with no resources or functions yet.
    pub fn new(package: P) -> Provider<P> {
        Provider {
            package,
            resources: Vec::new(),
            functions: Vec::new(),
        }
    }

    /// Adds a resource.
    ///
    /// # Panics
    /// When a resource with the same token is already registered (a mistake in the plugin's
    /// own code, found the first time it runs).
    #[must_use]
    pub fn resource<R: Resource<Client = P::Client>>(mut self, resource: R) -> Provider<P> {
        assert!(
            self.resources.iter().all(|r| r.token() != R::TOKEN),
            "resource {} is registered twice; register each resource once",
            R::TOKEN
        );
        self.resources
            .push(Arc::new(ResourceAdapter::new(resource)));
        self
    }

    /// Adds a function.
    ///
    /// # Panics
    /// When a function with the same token is already registered.
    #[must_use]
    pub fn function<F: Function<Client = P::Client>>(mut self, function: F) -> Provider<P> {
        assert!(
            self.functions.iter().all(|f| f.token() != F::TOKEN),
            "function {} is registered twice; register each function once",
            F::TOKEN
        );
        self.functions
            .push(Arc::new(FunctionAdapter::new(function)));
        self
    }

    /// The package.
    pub fn package(&self) -> &P {
        &self.package
    }

    /// The package schema (what the SDK generator reads).
    ///
    /// # Errors
    /// When the package's metadata is not a valid schema fragment.
    pub fn schema(&self) -> Result<PackageSpec, serde_json::Error> {
        package_schema(&self.package, &self.resources, &self.functions)
    }

    /// The package schema as pretty-printed JSON (what `schema` prints and GetSchema answers).
    ///
    /// # Errors
    /// When the schema cannot be written as JSON (a bug in the layer).
    pub fn schema_json(&self) -> Result<String, serde_json::Error> {
        package_schema_json(&self.package, &self.resources, &self.functions)
    }

    /// The gRPC service in process, not yet configured and never cancelled from outside
    /// (for tests and benchmarks; [`Provider::serve`] is what a plugin runs).
    pub fn service(self) -> ProviderService<P> {
        self.service_with(CancellationToken::new(), EngineLog::default())
    }

    pub(crate) fn service_with(
        self,
        cancel: CancellationToken,
        log: EngineLog,
    ) -> ProviderService<P> {
        ProviderService::new(self.package, self.resources, self.functions, cancel, log)
    }

    /// Serves on `127.0.0.1:0`, printing the port first, until SIGINT or SIGTERM;
    /// `engine` is the engine's address when the engine gave one (none: attach mode).
    ///
    /// # Errors
    /// When the port cannot be bound or the server fails.
    pub async fn serve(self, engine: Option<String>) -> std::io::Result<()> {
        launch::serve(self, engine).await
    }

    /// Runs the plugin's command line, as the engine launches it:
    /// `[flags] [ENGINE_ADDRESS]` serves, `--version` and `schema` print and exit, `--help`
    /// prints `help`.
    pub fn main(self, help: &str) -> ExitCode {
        match Launch::parse(std::env::args().skip(1)) {
            Launch::Version => {
                println!("{}", self.package.version());
                ExitCode::SUCCESS
            }
            Launch::Help => {
                println!("{help}");
                ExitCode::SUCCESS
            }
            Launch::Schema => match self.schema_json() {
                Ok(schema) => {
                    println!("{schema}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: the package schema cannot be written as JSON: {e}");
                    ExitCode::FAILURE
                }
            },
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
                        return ExitCode::FAILURE;
                    }
                };
                match runtime.block_on(self.serve(engine)) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    }
}
