//! The engine's side of a plugin's life: an Engine service for the plugins' logs, a plugin
//! launched as the engine launches it (`pulumi-resource-<name> ENGINE_ADDRESS`, first stdout
//! line the port), configured, and shut down with Cancel then SIGINT.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, ensure};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pulumi_provider::proto::pulumirpc::{
    CheckRequest, ConfigureRequest, LogRequest, ProviderHandshakeRequest,
    engine_server::{Engine, EngineServer},
    resource_provider_client::ResourceProviderClient,
};
use pulumi_provider::value::{PropertyMap, to_struct};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::driver::Driver;

/// A stand-in for the engine's Engine service: prints what the plugins log and keeps it.
#[derive(Clone, Default)]
pub struct EngineLog {
    lines: Arc<Mutex<Vec<String>>>,
}

impl EngineLog {
    /// Serves the Engine service on a free loopback port; its address.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn serve(&self) -> anyhow::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(EngineServer::new(self.clone()))
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        Ok(addr)
    }

    /// How many messages the plugins have logged.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// Whether no plugin has logged anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[tonic::async_trait]
impl Engine for EngineLog {
    async fn log(
        &self,
        req: tonic::Request<LogRequest>,
    ) -> Result<tonic::Response<()>, tonic::Status> {
        let req = req.into_inner();
        let name = req.urn.rsplit("::").next().unwrap_or_default().to_owned();
        let kind = if req.ephemeral { "status" } else { "info" };
        println!("      engine log [{kind}] {name}: {}", req.message);
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(req.message);
        }
        Ok(tonic::Response::new(()))
    }
}

/// Where a plugin binary is: the path after `flag` on the command line, else `name` next to
/// this executable (where `cargo build` puts both).
///
/// # Errors
/// When the flag has no value, or the binary is not there (saying how to build it). Checked
/// before anything starts.
pub fn plugin_path(flag: &str, name: &str, package: &str) -> anyhow::Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == flag {
            let given = args
                .next()
                .map(PathBuf::from)
                .ok_or_else(|| anyhow!("{flag} needs a path"))?;
            ensure!(
                given.is_file(),
                "{flag} {}: no such file; build it with `cargo build -p {package}` (it lands in target/debug/{name})",
                given.display()
            );
            return Ok(given);
        }
    }
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("no directory for {}", exe.display()))?;
    let candidate = dir.join(name);
    ensure!(
        candidate.exists(),
        "{} is missing: build it with `cargo build -p {package}` (scripts/demo does), or pass {flag} PATH",
        candidate.display()
    );
    Ok(candidate)
}

/// A plugin process the walkthrough launched, connected and handshaken.
pub struct Plugin {
    child: tokio::process::Child,
    driver: Driver,
}

impl Plugin {
    /// Launches `bin ENGINE_ADDRESS` as the engine does, reads the port line, connects,
    /// handshakes and prints the plugin's version; its resources belong to `project`.
    ///
    /// # Errors
    /// When the plugin cannot be started, prints no port, or does not answer.
    pub async fn launch(
        bin: &Path,
        engine: SocketAddr,
        project: &'static str,
    ) -> anyhow::Result<Plugin> {
        let launched = Instant::now();
        let mut child = tokio::process::Command::new(bin)
            .arg(engine.to_string())
            // What the provider tells the user reaches the engine (printed); its own stderr
            // log would repeat it.
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("launching {}", bin.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).await?;
        let port: u16 = line
            .trim()
            .parse()
            .with_context(|| format!("port line {line:?} of {}", bin.display()))?;
        println!(
            "    port line {:?} after {:.1} ms",
            line.trim(),
            launched.elapsed().as_secs_f64() * 1e3
        );
        let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))?
            .connect()
            .await?;
        let mut rpc = ResourceProviderClient::new(channel);
        rpc.handshake(ProviderHandshakeRequest {
            engine_address: engine.to_string(),
            ..Default::default()
        })
        .await?;
        let version = rpc.get_plugin_info(()).await?.into_inner().version;
        println!("    GetPluginInfo: version {version}");
        Ok(Plugin {
            child,
            driver: Driver::new(rpc, project),
        })
    }

    /// The driver of this plugin.
    #[must_use]
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// CheckConfig then Configure with `config`, as the engine does before any resource call.
    ///
    /// # Errors
    /// CheckConfig's failures, or Configure's error.
    pub async fn configure(&self, config: &PropertyMap) -> anyhow::Result<()> {
        let mut rpc = self.driver.rpc();
        let checked = rpc
            .check_config(CheckRequest {
                news: Some(to_struct(config)),
                ..Default::default()
            })
            .await?
            .into_inner();
        ensure!(
            checked.failures.is_empty(),
            "CheckConfig failed: {:?}",
            checked.failures
        );
        let configured = rpc
            .configure(ConfigureRequest {
                args: Some(to_struct(config)),
                accept_secrets: true,
                accept_resources: true,
                ..Default::default()
            })
            .await?
            .into_inner();
        println!(
            "    Configure: acceptSecrets={} supportsPreview={} (config keys: {})",
            configured.accept_secrets,
            configured.supports_preview,
            config.keys().cloned().collect::<Vec<_>>().join(", ")
        );
        Ok(())
    }

    /// Cancel, then SIGINT, as the engine does at the end of an operation; fails unless the
    /// plugin exits cleanly.
    ///
    /// # Errors
    /// When the plugin does not exit within 5 s, or exits with a failure.
    pub async fn shut_down(mut self) -> anyhow::Result<()> {
        self.driver.rpc().cancel(()).await?;
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            kill(Pid::from_raw(pid), Signal::SIGINT)?;
        }
        let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await??;
        println!("    provider exited: {status}");
        ensure!(status.success(), "the provider did not exit cleanly");
        Ok(())
    }
}
