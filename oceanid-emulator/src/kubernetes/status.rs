//! Kubernetes `Status` error answers (`kind: Status`, `status: Failure`, `reason`, `code`,
//! `details`), shaped and worded as the API server's.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::kinds::Kind;

/// A failed Kubernetes request.
#[derive(Debug)]
pub(crate) struct KubeError {
    code: StatusCode,
    reason: &'static str,
    message: String,
    details: Option<Value>,
}

impl KubeError {
    fn new(code: StatusCode, reason: &'static str, message: impl Into<String>) -> KubeError {
        KubeError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, kind: &Kind, name: Option<&str>) -> KubeError {
        let mut details = json!({ "kind": kind.plural });
        if !kind.group.is_empty() {
            details["group"] = json!(kind.group);
        }
        if let Some(name) = name {
            details["name"] = json!(name);
        }
        self.details = Some(details);
        self
    }

    /// 404: `pods "x" not found`.
    pub(crate) fn not_found(kind: &Kind, name: &str) -> KubeError {
        KubeError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{} \"{name}\" not found", kind.qualified_resource()),
        )
        .with_details(kind, Some(name))
    }

    /// 404 for a path the server does not serve (the API server's own wording).
    pub(crate) fn no_route() -> KubeError {
        KubeError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 409: `pods "x" already exists`.
    pub(crate) fn already_exists(kind: &Kind, name: &str) -> KubeError {
        KubeError::new(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", kind.qualified_resource()),
        )
        .with_details(kind, Some(name))
    }

    /// 409: a replace carrying a stale `metadata.resourceVersion`.
    pub(crate) fn conflict(kind: &Kind, name: &str) -> KubeError {
        KubeError::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                kind.qualified_resource()
            ),
        )
        .with_details(kind, Some(name))
    }

    /// 400 with the API server's `BadRequest` reason.
    pub(crate) fn bad_request(message: impl Into<String>) -> KubeError {
        KubeError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 422: the object is invalid (a missing name, say).
    pub(crate) fn invalid(kind: &Kind, name: &str, message: impl Into<String>) -> KubeError {
        KubeError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            if kind.group.is_empty() {
                format!("{} \"{name}\" is invalid: {}", kind.kind, message.into())
            } else {
                format!(
                    "{}.{} \"{name}\" is invalid: {}",
                    kind.kind,
                    kind.group,
                    message.into()
                )
            },
        )
        .with_details(kind, Some(name))
    }

    /// 401 without a valid bearer token.
    pub(crate) fn unauthorized() -> KubeError {
        KubeError::new(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
    }

    /// 403: RBAC does not allow `verb` on `kind` (in `namespace`) for `user`.
    pub(crate) fn forbidden(
        user: &str,
        verb: &str,
        kind: &Kind,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> KubeError {
        let subject = match name {
            Some(name) => format!("{} \"{name}\"", kind.qualified_resource()),
            None => kind.qualified_resource(),
        };
        let scope = match namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_owned(),
        };
        KubeError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API \
                 group \"{}\"{scope}",
                kind.plural, kind.group
            ),
        )
        .with_details(kind, name)
    }

    /// 405 for a verb the emulator does not serve (PATCH, watch...).
    pub(crate) fn method_not_allowed(message: impl Into<String>) -> KubeError {
        KubeError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", message)
    }

    /// 406 for an `Accept` the server cannot produce (protobuf only).
    pub(crate) fn not_acceptable() -> KubeError {
        KubeError::new(
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptable",
            "only the following media types are accepted: application/json, \
             application/json;as=Table;v=v1;g=meta.k8s.io",
        )
    }

    /// 415 for a body in a format the route does not take.
    pub(crate) fn unsupported_media_type(content_type: &str, accepted: &str) -> KubeError {
        KubeError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types \
                 include: {accepted} (got {content_type:?})"
            ),
        )
    }

    /// 410: a `continue` token from before the data it pages over changed shape.
    pub(crate) fn expired(message: impl Into<String>) -> KubeError {
        KubeError::new(StatusCode::GONE, "Expired", message)
    }

    /// The `Status` body.
    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code.as_u16(),
        });
        if let Some(details) = &self.details {
            body["details"] = details.clone();
        }
        body
    }
}

impl IntoResponse for KubeError {
    fn into_response(self) -> Response {
        (self.code, Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::kinds::by_resource;

    #[test]
    fn shapes() {
        let pods = by_resource("", "v1", "pods").unwrap();
        let body = KubeError::not_found(pods, "web").body();
        assert_eq!(body["message"], "pods \"web\" not found");
        assert_eq!(body["details"], json!({"name": "web", "kind": "pods"}));
        assert_eq!(body["code"], 404);
        let hr = by_resource("helm.toolkit.fluxcd.io", "v2", "helmreleases").unwrap();
        let body = KubeError::already_exists(hr, "x").body();
        assert_eq!(
            body["message"],
            "helmreleases.helm.toolkit.fluxcd.io \"x\" already exists"
        );
        assert_eq!(body["details"]["group"], "helm.toolkit.fluxcd.io");
        let body = KubeError::forbidden("viewer", "list", pods, None, Some("apps")).body();
        assert_eq!(
            body["message"],
            "pods is forbidden: User \"viewer\" cannot list resource \"pods\" in API group \"\" \
             in the namespace \"apps\""
        );
        let body = KubeError::invalid(pods, "", "metadata.name: Required value").body();
        assert_eq!(
            body["message"],
            "Pod \"\" is invalid: metadata.name: Required value"
        );
    }
}
