//! The one error type of the Kubernetes client: each variant says what failed and how to fix it.

use std::path::PathBuf;

/// What went wrong talking to a Kubernetes API server or loading its kubeconfig.
///
/// Messages never contain credentials: kubeconfig tokens, client keys and passwords are not
/// echoed, and API error bodies are cut to [`MAX_ERROR_DETAIL_CHARS`] characters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No kubeconfig was given and none could be found.
    #[error(
        "no kubeconfig found: pass --kubeconfig PATH, set KUBECONFIG, create ~/.kube/config, \
         or run inside a pod with a service account ({detail})"
    )]
    NoKubeconfig {
        /// Why the in-cluster fallback did not apply either.
        detail: String,
    },
    /// The kubeconfig file could not be read.
    #[error("cannot read kubeconfig {}: {source}", path.display())]
    ReadKubeconfig {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The kubeconfig is not valid YAML or not a kubeconfig.
    #[error("kubeconfig {origin} is malformed{}: {reason}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    MalformedKubeconfig {
        /// Where it came from (a path, `KUBECONFIG`, or "given as content").
        origin: String,
        /// The 1-based line the YAML parser stopped at, when it says.
        line: Option<usize>,
        /// The parser's reason, with quoted values removed.
        reason: String,
    },
    /// The requested context is not in the kubeconfig.
    #[error(
        "context {requested:?} is not in the kubeconfig {origin}; it has: {}. Pass one of them with --context",
        list_or_none(available)
    )]
    UnknownContext {
        /// The context asked for.
        requested: String,
        /// Where the kubeconfig came from.
        origin: String,
        /// Every context the kubeconfig defines.
        available: Vec<String>,
    },
    /// No context was asked for and the kubeconfig sets no `current-context`.
    #[error(
        "the kubeconfig {origin} sets no current-context; pass --context with one of: {}",
        list_or_none(available)
    )]
    NoCurrentContext {
        /// Where the kubeconfig came from.
        origin: String,
        /// Every context the kubeconfig defines.
        available: Vec<String>,
    },
    /// The kubeconfig names a context whose cluster, user or server is unusable.
    #[error("the kubeconfig {origin} cannot be used: {reason}")]
    InvalidKubeconfig {
        /// Where the kubeconfig came from.
        origin: String,
        /// What kube-rs reported.
        reason: String,
    },
    /// The API server could not be reached at all.
    #[error(
        "cannot reach the Kubernetes API server {server} ({detail}); is the VPN/WARP connected \
         that routes to it, and is this the right kubeconfig and context?"
    )]
    Unreachable {
        /// The server URL of the selected context.
        server: String,
        /// The transport's reason (connection refused, timeout, TLS, DNS).
        detail: String,
    },
    /// The kubeconfig's user could not produce credentials (exec plugin, token file).
    #[error(
        "cannot get credentials for {server} from the kubeconfig's user (exec plugin, token file or \
         client certificate): {detail}"
    )]
    Credentials {
        /// The server URL.
        server: String,
        /// kube-rs's reason.
        detail: String,
    },
    /// 401: the credentials were refused.
    #[error(
        "the API server {server} refused the credentials (401 Unauthorized) to {verb} {resource}: \
         the token or client certificate of this context is wrong or expired; refresh the kubeconfig"
    )]
    Unauthorized {
        /// The server URL.
        server: String,
        /// The verb that was attempted (`list`, `update`, `delete`).
        verb: String,
        /// The resource, as RBAC names it (`nodes`, `helmreleases.helm.toolkit.fluxcd.io`).
        resource: String,
    },
    /// 403: RBAC does not allow the call.
    #[error(
        "the API server {server} forbids {verb} on {resource} (403 Forbidden): grant this \
         identity RBAC verb {verb:?} on resource {resource:?}{}",
        if message.is_empty() { String::new() } else { format!(" ({message})") }
    )]
    Forbidden {
        /// The server URL.
        server: String,
        /// The verb RBAC must allow.
        verb: String,
        /// The resource RBAC must allow it on.
        resource: String,
        /// The server's message, cut short.
        message: String,
    },
    /// The API server answered with another error status.
    #[error("the API server {server} answered {code} to {verb} {resource}: {message}")]
    Api {
        /// The server URL.
        server: String,
        /// The HTTP status code.
        code: u16,
        /// The verb.
        verb: String,
        /// The resource.
        resource: String,
        /// The Kubernetes `Status` message, or the start of a non-JSON body, cut short.
        message: String,
    },
    /// A response body was larger than the cap.
    #[error(
        "the API server {server} sent more than {limit} bytes for {verb} {resource}; refusing to \
         read it (is the server URL right, or is a proxy answering?)"
    )]
    ResponseTooLarge {
        /// The server URL.
        server: String,
        /// The verb.
        verb: String,
        /// The resource.
        resource: String,
        /// The cap in bytes ([`super::MAX_RESPONSE_BYTES`]).
        limit: usize,
    },
    /// The server repeated a `continue` token: paging would never end.
    #[error(
        "the API server {server} repeated the continue token while listing {resource}; stopping"
    )]
    RepeatedContinueToken {
        /// The server URL.
        server: String,
        /// The resource.
        resource: String,
    },
    /// A response did not decode as the expected Kubernetes object.
    #[error("the API server {server} sent an undecodable answer to {verb} {resource}: {detail}")]
    Decode {
        /// The server URL.
        server: String,
        /// The verb.
        verb: String,
        /// The resource.
        resource: String,
        /// The decoder's reason.
        detail: String,
    },
    /// A fix step could not be applied because the object changed since the plan.
    #[error("{object} changed since the plan was made ({detail}); run the preflight again")]
    Conflict {
        /// The object (`Kind namespace/name`).
        object: String,
        /// The server's message.
        detail: String,
    },
}

/// How many characters of a server's error message an [`Error`] keeps.
pub const MAX_ERROR_DETAIL_CHARS: usize = 240;

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "no contexts at all".to_owned()
    } else {
        items.join(", ")
    }
}

impl Error {
    /// True when the server could not be reached, as opposed to answering with an error.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Unreachable { .. })
    }

    /// The HTTP status the server answered with, if it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Cuts `text` to [`MAX_ERROR_DETAIL_CHARS`] characters, flattening whitespace.
pub(crate) fn shorten(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_ERROR_DETAIL_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(MAX_ERROR_DETAIL_CHARS).collect();
        format!("{cut}…")
    }
}
