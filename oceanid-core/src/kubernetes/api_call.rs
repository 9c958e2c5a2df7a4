//! One API call's identity (server, verb, resource), used to turn kube-rs errors into [`Error`]s
//! that name what RBAC must allow or why the server could not be reached.

use std::error::Error as _;

use super::error::{Error, shorten};

/// The call being made, for error messages: `list nodes` on `https://…:6443`.
#[derive(Debug, Clone)]
pub(crate) struct ApiCall<'a> {
    pub(crate) server: &'a str,
    pub(crate) verb: &'static str,
    pub(crate) resource: String,
}

impl ApiCall<'_> {
    /// Classifies a kube-rs error of this call.
    pub(crate) fn error(&self, err: kube::Error) -> Error {
        let server = self.server.to_owned();
        let verb = self.verb.to_owned();
        let resource = self.resource.clone();
        match err {
            kube::Error::Api(status) => {
                let code = status.code;
                // kube-rs wraps a non-JSON error body (an HTML proxy page) as a Status whose
                // reason says so and whose message is the body text.
                let non_json = status.reason == "Failed to parse error data";
                let message = if non_json {
                    format!(
                        "a non-Kubernetes body (not a Status object): {}",
                        shorten(&status.message)
                    )
                } else {
                    shorten(&status.message)
                };
                match code {
                    401 => Error::Unauthorized {
                        server,
                        verb,
                        resource,
                    },
                    403 => Error::Forbidden {
                        server,
                        verb,
                        resource,
                        message,
                    },
                    409 => Error::Conflict {
                        object: resource,
                        detail: message,
                    },
                    _ => Error::Api {
                        server,
                        code,
                        verb,
                        resource,
                        message,
                    },
                }
            }
            kube::Error::SerdeError(e) => Error::Decode {
                server,
                verb,
                resource,
                detail: e.to_string(),
            },
            kube::Error::Auth(e) => Error::Credentials {
                server,
                detail: shorten(&e.to_string()),
            },
            kube::Error::FromUtf8(e) => Error::Decode {
                server,
                verb,
                resource,
                detail: e.to_string(),
            },
            other => {
                if has_length_limit(&other) {
                    Error::ResponseTooLarge {
                        server,
                        verb,
                        resource,
                        limit: super::MAX_RESPONSE_BYTES,
                    }
                } else {
                    Error::Unreachable {
                        server,
                        detail: shorten(&source_chain(&other)),
                    }
                }
            }
        }
    }
}

fn has_length_limit(err: &kube::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// The error's messages from outermost to innermost, without repeats.
fn source_chain(err: &kube::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = err.source();
    if current.is_none() {
        parts.push(err.to_string());
    }
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
