//! Finding and loading a kubeconfig, selecting its context, and building a client whose response
//! bodies are capped.

use std::fmt;
use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::error::{Error, shorten};

/// Where the kubeconfig comes from.
#[derive(Clone, Default)]
pub enum KubeconfigSource {
    /// `KUBECONFIG` (colon-separated files, merged), else `~/.kube/config`, else the in-cluster
    /// service account.
    #[default]
    Infer,
    /// A kubeconfig file.
    Path(PathBuf),
    /// Kubeconfig YAML held in memory (e.g. a Pulumi secret). Never printed.
    Content(String),
}

impl fmt::Debug for KubeconfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Infer => f.write_str("Infer"),
            Self::Path(path) => f.debug_tuple("Path").field(path).finish(),
            Self::Content(_) => f.write_str("Content([redacted])"),
        }
    }
}

impl KubeconfigSource {
    /// A value that is either a path or kubeconfig YAML (as Pulumi's `kubeconfig` setting is):
    /// text with a newline, or starting with `apiVersion:`/`{`, is content; anything else a path.
    pub fn path_or_content(value: &str) -> Self {
        let trimmed = value.trim_start();
        if value.contains('\n') || trimmed.starts_with("apiVersion") || trimmed.starts_with('{') {
            Self::Content(value.to_owned())
        } else {
            Self::Path(PathBuf::from(value))
        }
    }

    fn origin(&self) -> String {
        match self {
            Self::Infer => std::env::var("KUBECONFIG")
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| format!("from KUBECONFIG={v}"))
                .unwrap_or_else(|| "~/.kube/config".to_owned()),
            Self::Path(path) => path.display().to_string(),
            Self::Content(_) => "(given as content)".to_owned(),
        }
    }
}

/// The largest response body the client reads; a larger one fails with
/// [`Error::ResponseTooLarge`] instead of filling memory. List pages hold at most
/// [`super::PAGE_SIZE`] objects, far below this.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A loaded configuration: the kube-rs config and the server it points at.
pub(crate) struct Loaded {
    pub(crate) config: kube::Config,
    pub(crate) server: String,
}

impl Loaded {
    fn new(config: kube::Config) -> Self {
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        Self { config, server }
    }
}

pub(crate) async fn load(
    source: &KubeconfigSource,
    context: Option<&str>,
) -> Result<Loaded, Error> {
    let origin = source.origin();
    let kubeconfig = match source {
        KubeconfigSource::Path(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::ReadKubeconfig {
                path: path.clone(),
                source,
            })?;
            parse(&text, &origin)?
        }
        KubeconfigSource::Content(text) => parse(text, &origin)?,
        KubeconfigSource::Infer => match Kubeconfig::read() {
            Ok(kubeconfig) => kubeconfig,
            Err(KubeconfigError::FindPath) => return in_cluster(),
            Err(KubeconfigError::ReadConfig(source, path))
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                if std::env::var_os("KUBECONFIG").is_some() {
                    return Err(Error::ReadKubeconfig { path, source });
                }
                return in_cluster();
            }
            Err(KubeconfigError::ReadConfig(source, path)) => {
                return Err(Error::ReadKubeconfig { path, source });
            }
            Err(KubeconfigError::Parse(e)) => return Err(malformed(&origin, None, &e.to_string())),
            Err(other) => {
                return Err(Error::InvalidKubeconfig {
                    origin,
                    reason: other.to_string(),
                });
            }
        },
    };
    let available: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let chosen = match context {
        Some(requested) if !available.iter().any(|c| c == requested) => {
            return Err(Error::UnknownContext {
                requested: requested.to_owned(),
                origin,
                available,
            });
        }
        Some(requested) => requested.to_owned(),
        None => match kubeconfig.current_context.clone().filter(|c| !c.is_empty()) {
            Some(current) if available.contains(&current) => current,
            Some(current) => {
                return Err(Error::UnknownContext {
                    requested: current,
                    origin,
                    available,
                });
            }
            None => return Err(Error::NoCurrentContext { origin, available }),
        },
    };
    let options = KubeConfigOptions {
        context: Some(chosen),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| Error::InvalidKubeconfig {
            origin,
            reason: shorten(&e.to_string()),
        })?;
    Ok(Loaded::new(config))
}

fn in_cluster() -> Result<Loaded, Error> {
    let config = kube::Config::incluster().map_err(|e| Error::NoKubeconfig {
        detail: shorten(&e.to_string()),
    })?;
    Ok(Loaded::new(config))
}

/// Parses kubeconfig YAML. On failure, the YAML parser is asked for the line; quoted values are
/// removed from the reason so a token in a broken file is never echoed.
fn parse(text: &str, origin: &str) -> Result<Kubeconfig, Error> {
    match Kubeconfig::from_yaml(text) {
        Ok(kubeconfig) => Ok(kubeconfig),
        Err(err) => {
            let (line, reason) = match serde_norway::from_str::<serde_norway::Value>(text) {
                Err(yaml) => (yaml.location().map(|l| l.line()), yaml.to_string()),
                Ok(_) => (None, err.to_string()),
            };
            Err(malformed(origin, line, &reason))
        }
    }
}

fn malformed(origin: &str, line: Option<usize>, reason: &str) -> Error {
    Error::MalformedKubeconfig {
        origin: origin.to_owned(),
        line,
        reason: shorten(&without_quoted(reason)),
    }
}

/// Replaces the inside of every double-quoted or backquoted span with `…`: parser messages quote
/// the offending value (single quotes are left alone; English uses them as apostrophes).
fn without_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<char> = None;
    for ch in text.chars() {
        match open {
            Some(q) if ch == q => {
                out.push('…');
                out.push(q);
                open = None;
            }
            Some(_) => {}
            None if ch == '"' || ch == '`' => {
                out.push(ch);
                open = Some(ch);
            }
            None => out.push(ch),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// Builds the client: kube-rs's default stack plus a cap on every response body.
pub(crate) fn client(loaded: &Loaded) -> Result<kube::Client, Error> {
    use http_body_util::Limited;
    use tower::util::MapResponseLayer;

    let cap = MapResponseLayer::new(|response: http::Response<Box<kube::client::DynBody>>| {
        response.map(|body| Limited::new(body, MAX_RESPONSE_BYTES))
    });
    let builder =
        kube::client::ClientBuilder::try_from(loaded.config.clone()).map_err(|e| match e {
            kube::Error::Auth(e) => Error::Credentials {
                server: loaded.server.clone(),
                detail: shorten(&e.to_string()),
            },
            other => Error::InvalidKubeconfig {
                origin: format!("for {}", loaded.server),
                reason: shorten(&other.to_string()),
            },
        })?;
    Ok(builder.with_layer(&cap).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_removed_from_parser_messages() {
        assert_eq!(
            without_quoted(r#"invalid type: string "tok-123", expected"#),
            r#"invalid type: string "…", expected"#
        );
        assert_eq!(without_quoted("no quotes"), "no quotes");
        assert_eq!(without_quoted("open \"secret"), "open \"…");
    }

    #[test]
    fn path_or_content_tells_them_apart() {
        assert!(matches!(
            KubeconfigSource::path_or_content("/etc/rancher/k3s/k3s.yaml"),
            KubeconfigSource::Path(_)
        ));
        assert!(matches!(
            KubeconfigSource::path_or_content("apiVersion: v1\nkind: Config\n"),
            KubeconfigSource::Content(_)
        ));
        assert_eq!(
            format!("{:?}", KubeconfigSource::Content("token: abc".into())),
            "Content([redacted])"
        );
    }
}
