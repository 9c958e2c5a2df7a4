//! Launching a provider the way the engine does: `pulumi-resource-<pkg> [flags] [ENGINE]`,
//! listen on `127.0.0.1:0`, print only the port and a newline, serve until a signal.

use std::io::Write;

use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;

use super::context::EngineLog;
use super::package::Package;
use super::proto::pulumirpc::resource_provider_server::ResourceProviderServer;
use super::provider::Provider;
use super::server::MAX_MESSAGE_BYTES;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Launch {
    /// `--version` alone: print the version.
    Version,
    /// `schema` alone: print the package schema.
    Schema,
    /// `--help` alone.
    Help,
    /// Serve; the engine address when one was given (none = attach mode).
    Serve {
        /// The engine's gRPC address.
        engine: Option<String>,
    },
}

impl Launch {
    /// Parses the arguments after the program name. Unknown flags are accepted and ignored
    /// (the engine may add new ones); `--tracing` takes a value; the engine address is the
    /// last positional argument.
    pub fn parse<I, S>(args: I) -> Launch
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        if args.len() == 1 {
            match args[0].as_str() {
                "--version" | "-version" | "version" => return Launch::Version,
                "schema" => return Launch::Schema,
                "--help" | "-h" | "help" => return Launch::Help,
                _ => {}
            }
        }
        let mut engine = None;
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "--tracing" || arg == "-tracing" {
                let _ = it.next();
            } else if arg.starts_with('-') {
                continue;
            } else {
                engine = Some(arg);
            }
        }
        Launch::Serve { engine }
    }
}

/// Starts stderr logging at the level `RUST_LOG` asks for (default: warnings).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Serves `provider` on `127.0.0.1:0`, printing the port first. Returns when SIGINT or
/// SIGTERM arrives (after cancelling in-flight work) or the server fails.
pub(crate) async fn serve<P: Package>(
    provider: Provider<P>,
    engine: Option<String>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    // The handlers are installed before the port line: once the engine knows the port it may
    // signal at any moment, and a SIGTERM that arrived before the shutdown future's first poll
    // would otherwise kill the process with the default action (exit -15, nothing cancelled).
    let signals = ShutdownSignals::install();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{port}")?;
        out.flush()?;
    }
    let cancel = CancellationToken::new();
    let log = EngineLog::default();
    if let Some(addr) = &engine {
        log.connect(addr);
    }
    let service = provider.service_with(cancel.clone(), log);
    let server = ResourceProviderServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let shutdown_cancel = cancel.clone();
    let shutdown = async move {
        signals.recv().await;
        tracing::info!("shutting down: cancelling in-flight operations");
        shutdown_cancel.cancel();
    };
    // TCP_NODELAY on every accepted connection (tonic sets it only on listeners it binds
    // itself): without it, a response written a few ms after the request (Create, Update:
    // anything that waits on the API) sits behind Nagle until the engine's delayed ACK,
    // about 40 ms later.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_service(server)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(std::io::Error::other)
}

/// SIGINT and SIGTERM, listened for from the moment [`ShutdownSignals::install`] returns.
enum ShutdownSignals {
    /// Both handlers installed.
    Unix {
        interrupt: tokio::signal::unix::Signal,
        terminate: tokio::signal::unix::Signal,
    },
    /// Installing them failed (no signal driver): fall back to Ctrl-C.
    CtrlC,
}

impl ShutdownSignals {
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(interrupt), Ok(terminate)) => Self::Unix {
                interrupt,
                terminate,
            },
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("signal handlers not installed ({e}): stopping on Ctrl-C only");
                Self::CtrlC
            }
        }
    }

    async fn recv(self) {
        match self {
            Self::Unix {
                mut interrupt,
                mut terminate,
            } => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            Self::CtrlC => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_ignored_and_the_engine_address_is_last() {
        assert_eq!(
            Launch::parse([
                "--logtostderr",
                "-v=9",
                "--tracing",
                "http://t:1",
                "127.0.0.1:5000"
            ]),
            Launch::Serve {
                engine: Some("127.0.0.1:5000".into())
            }
        );
        assert_eq!(
            Launch::parse(["--unknown-future-flag", "127.0.0.1:1"]),
            Launch::Serve {
                engine: Some("127.0.0.1:1".into())
            }
        );
        assert_eq!(
            Launch::parse(Vec::<String>::new()),
            Launch::Serve { engine: None }
        );
        assert_eq!(Launch::parse(["--version"]), Launch::Version);
        assert_eq!(Launch::parse(["schema"]), Launch::Schema);
        assert_eq!(
            Launch::parse(["--tracing=x", "-v=3"]),
            Launch::Serve { engine: None }
        );
    }
}
