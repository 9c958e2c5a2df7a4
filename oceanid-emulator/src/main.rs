//! `oceanid-emulator`: a local stand-in for the Crunchy Bridge API.
//!
//! ```text
//! oceanid-emulator [--listen 127.0.0.1:0] [--api-key KEY] [--postgres auto|none|URL]
//!                  [--postgres-ca PATH] [--provision-delay-ms N] [--kubernetes-token TOKEN] [--kubeconfig-out PATH]
//!                  [--kubernetes-extra-pods N] [--kubernetes-extra-helmreleases N]
//!                  [--cloudflare-token TOKEN]
//! ```
//!
//! The first line on stdout is the base URL (`http://127.0.0.1:PORT`); logs go to stderr
//! (`RUST_LOG` filters them). It runs until interrupted (Ctrl-C or SIGTERM).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use oceanid_emulator::{Emulator, EmulatorConfig, PostgresMode};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

const USAGE: &str = "\
usage: oceanid-emulator [--listen ADDR] [--api-key KEY] [--postgres auto|none|URL] [--postgres-ca PATH]
                        [--provision-delay-ms N]
                        [--kubernetes-token TOKEN] [--kubeconfig-out PATH]
                        [--kubernetes-extra-pods N] [--kubernetes-extra-helmreleases N]
                        [--cloudflare-token TOKEN]

A local stand-in for the Crunchy Bridge API. Prints its base URL as the first line on stdout,
logs to stderr, and runs until interrupted.

  --listen ADDR             address to listen on (default 127.0.0.1:0: a free port)
  --api-key KEY             the bearer token to accept (default cbkey_emulator;
                            or set OCEANID_EMULATOR_API_KEY)
  --postgres MODE           none (default): no database; auto: a throwaway PostgreSQL
                            (needs initdb and postgres); or a superuser URL of an existing server
  --postgres-ca PATH        with --postgres URL: the PEM file of the CA that signed that server's
                            certificate (whose names must include the URL's host). It is served
                            as the team chain (GET /teams/{id}.pem), which the provider verifies
                            the server against (verify-full); the emulator verifies it too.
                            Without it the URL must say sslmode=disable, the team chain is a
                            placeholder, and Database resources fail their TLS check
  --provision-delay-ms N    how long cluster provisioning and upgrades take (default 50)
  --kubernetes-token TOKEN  the bearer token of the Kubernetes API's admin
                            (default oceanid-emulator-kubernetes-token)
  --kubeconfig-out PATH     write a kubeconfig for the Kubernetes API there (context
                            oceanid-emulator) once listening
  --kubernetes-extra-pods N          add N Running pods to the seeded cluster (benchmarks)
  --kubernetes-extra-helmreleases N  add N HelmReleases with their release Secrets
  --cloudflare-token TOKEN  the bearer token the Cloudflare API under /client/v4 accepts
                            (default: any non-empty token)
  -h, --help                this help
  -V, --version             the version
";

/// What the command line asks for.
enum Command {
    /// Run with this configuration, writing a kubeconfig to the path when there is one.
    Run(Box<EmulatorConfig>, Option<std::path::PathBuf>),
    Help,
    Version,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = EmulatorConfig::default();
    if let Ok(key) = std::env::var("OCEANID_EMULATOR_API_KEY")
        && !key.is_empty()
    {
        config.api_key = key;
    }
    let mut kubeconfig_out = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => {
                let raw = value("--listen")?;
                config.listen = raw.parse::<SocketAddr>().map_err(|_| {
                    format!("--listen {raw:?} is not an address such as 127.0.0.1:0")
                })?;
            }
            "--api-key" => config.api_key = value("--api-key")?,
            "--cloudflare-token" => {
                let token = value("--cloudflare-token")?;
                if token.is_empty() {
                    return Err("--cloudflare-token needs a non-empty token".to_owned());
                }
                config.cloudflare_token = Some(token);
            }
            "--postgres" => {
                config.postgres = match value("--postgres")?.as_str() {
                    "none" => PostgresMode::None,
                    "auto" => PostgresMode::Auto,
                    url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                        PostgresMode::Url(url.to_owned())
                    }
                    _ => {
                        return Err(
                            "--postgres must be none, auto, or a postgres:// URL".to_owned()
                        );
                    }
                };
            }
            "--postgres-ca" => {
                config.postgres_ca_pem = Some(read_ca(&value("--postgres-ca")?)?);
            }
            "--provision-delay-ms" => {
                let raw = value("--provision-delay-ms")?;
                let ms = raw.parse::<u64>().map_err(|_| {
                    format!("--provision-delay-ms {raw:?} is not a number of milliseconds")
                })?;
                config.provision_delay = Duration::from_millis(ms);
            }
            "--kubernetes-token" => config.kubernetes_token = value("--kubernetes-token")?,
            "--kubeconfig-out" => {
                kubeconfig_out = Some(std::path::PathBuf::from(value("--kubeconfig-out")?));
            }
            "--kubernetes-extra-pods" => {
                config.kubernetes_extra_pods = count(&value("--kubernetes-extra-pods")?, &flag)?;
            }
            "--kubernetes-extra-helmreleases" => {
                config.kubernetes_extra_helmreleases =
                    count(&value("--kubernetes-extra-helmreleases")?, &flag)?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if config.postgres_ca_pem.is_some() && !matches!(config.postgres, PostgresMode::Url(_)) {
        return Err(
            "--postgres-ca needs --postgres URL (a throwaway server's own CA is served \
             with --postgres auto)"
                .to_owned(),
        );
    }
    Ok(Command::Run(Box::new(config), kubeconfig_out))
}

/// The CA chain at `path`: a PEM file with at least one certificate.
fn read_ca(path: &str) -> Result<String, String> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| format!("--postgres-ca {path:?} cannot be read: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--postgres-ca {path:?} is not a PEM certificate chain: {e}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "--postgres-ca {path:?} holds no certificate (expected -----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(pem)
}

/// A count of extra seeded objects (at most 100000).
fn count(raw: &str, flag: &str) -> Result<usize, String> {
    raw.parse::<usize>()
        .ok()
        .filter(|n| *n <= 100_000)
        .ok_or_else(|| format!("{flag} {raw:?} is not a whole number from 0 to 100000"))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let (config, kubeconfig_out) = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(config, kubeconfig_out)) => (*config, kubeconfig_out),
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("oceanid-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("oceanid-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("oceanid-emulator: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    if matches!(config.postgres, PostgresMode::Url(_)) && config.postgres_ca_pem.is_none() {
        tracing::warn!(
            "--postgres URL without --postgres-ca: the team chain (GET /teams/{{id}}.pem) is a \
             placeholder, so clients that verify the server (the provider's Database resources) \
             refuse it; pass the CA of that server with --postgres-ca PATH"
        );
    }
    runtime.block_on(async {
        let emulator = match Emulator::start(config).await {
            Ok(emulator) => emulator,
            Err(error) => {
                eprintln!("oceanid-emulator: {error}");
                return ExitCode::FAILURE;
            }
        };
        if let Some(path) = &kubeconfig_out
            && let Err(error) = std::fs::write(path, emulator.kubeconfig())
        {
            eprintln!(
                "oceanid-emulator: cannot write the kubeconfig to {}: {error}; give \
                 --kubeconfig-out a path in a writable directory",
                path.display()
            );
            emulator.shutdown().await;
            return ExitCode::FAILURE;
        }
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{}", emulator.base_url())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            eprintln!("oceanid-emulator: cannot write the base URL to stdout");
        }
        drop(stdout);
        wait_for_signal().await;
        tracing::info!("shutting down");
        emulator.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<EmulatorConfig, String> {
        match parse_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(config, _) => Ok(*config),
            _ => Err("not a run".to_owned()),
        }
    }

    #[test]
    fn postgres_ca_is_a_pem_chain_for_an_external_server() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("ca.pem");
        let pem = rcgen::generate_simple_self_signed(vec!["db.internal".to_owned()])
            .unwrap()
            .cert
            .pem();
        std::fs::write(&good, &pem).unwrap();
        let good = good.to_str().unwrap();
        let c = run(&["--postgres", "postgres://u:p@h/db", "--postgres-ca", good]).unwrap();
        assert_eq!(c.postgres_ca_pem.as_deref(), Some(pem.as_str()));

        let e = run(&["--postgres", "auto", "--postgres-ca", good]).unwrap_err();
        assert!(e.contains("needs --postgres URL"), "{e}");
        let missing = dir.path().join("missing.pem");
        let e = run(&["--postgres-ca", missing.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("cannot be read"), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let e = run(&["--postgres-ca", empty.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("holds no certificate"), "{e}");
    }

    #[test]
    fn parses_flags() {
        let c = run(&[
            "--listen",
            "127.0.0.1:8080",
            "--api-key=cbkey_x",
            "--postgres",
            "auto",
            "--provision-delay-ms",
            "5",
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.api_key, "cbkey_x");
        assert_eq!(c.postgres, PostgresMode::Auto);
        assert_eq!(c.provision_delay, Duration::from_millis(5));
        assert_eq!(
            run(&["--postgres", "postgres://u:p@h/db"])
                .unwrap()
                .postgres,
            PostgresMode::Url("postgres://u:p@h/db".to_owned())
        );
        assert!(run(&["--listen", "nowhere"]).is_err());
        assert!(run(&["--postgres", "maybe"]).is_err());
        assert!(run(&["--provision-delay-ms"]).is_err());
        assert!(run(&["--bogus"]).is_err());
        let c = run(&[
            "--kubernetes-token=tok",
            "--kubernetes-extra-pods",
            "1000",
            "--kubernetes-extra-helmreleases",
            "50",
        ])
        .unwrap();
        assert_eq!(c.kubernetes_token, "tok");
        assert_eq!(c.kubernetes_extra_pods, 1000);
        assert_eq!(c.kubernetes_extra_helmreleases, 50);
        assert!(run(&["--kubernetes-extra-pods", "-1"]).is_err());
        assert!(matches!(
            parse_args(["--kubeconfig-out".to_owned(), "/tmp/k".to_owned()]),
            Ok(Command::Run(_, Some(path))) if path == std::path::Path::new("/tmp/k")
        ));
        assert_eq!(
            run(&["--cloudflare-token", "cf_tok"])
                .unwrap()
                .cloudflare_token,
            Some("cf_tok".to_owned())
        );
        assert_eq!(run(&[]).unwrap().cloudflare_token, None);
        assert!(run(&["--cloudflare-token="]).is_err());
        assert!(matches!(
            parse_args(["--help".to_owned()]),
            Ok(Command::Help)
        ));
    }
}
