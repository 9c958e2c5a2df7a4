//! The resource paths of the emulated API server under `/api` and `/apis`: get, list (label and
//! field selectors, `limit`/`continue`), create, replace and delete, namespaced, cluster-scoped
//! and across all namespaces, answering JSON or (for kubectl's `get`) a `Table`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::access::Caller;
use super::discovery::{core_versions, group_document, group_list, resource_list};
use super::kinds::{Kind, by_resource};
use super::merge_patch;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::KubeError;
use super::store::ListQuery;
use super::table;
use crate::state::AppState;

/// What a path under `/api` or `/apis` names.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    /// `/apis`.
    Groups,
    /// `/api` or `/apis/{group}`.
    Group(&'a str),
    /// `/api/v1` or `/apis/{group}/{version}`.
    Resources(&'a str, &'a str),
    /// A collection: `(kind, namespace)`; no namespace lists every namespace.
    Collection(&'static Kind, Option<&'a str>),
    /// One object: `(kind, namespace, name)`.
    Object(&'static Kind, Option<&'a str>, &'a str),
}

/// Parses a request path; `None` for paths the server does not serve.
fn parse_path(path: &str) -> Option<Target<'_>> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let (group, rest) = match segments.as_slice() {
        ["api"] => return Some(Target::Group("")),
        ["apis"] => return Some(Target::Groups),
        ["apis", group] => return Some(Target::Group(group)),
        ["api", rest @ ..] => ("", rest),
        ["apis", group, rest @ ..] => (*group, rest),
        _ => return None,
    };
    let (version, rest) = rest.split_first()?;
    let kind = |plural: &str| by_resource(group, version, plural);
    match rest {
        [] => Some(Target::Resources(group, version)),
        [plural] => Some(Target::Collection(kind(plural)?, None)),
        [plural, name] => {
            let kind = kind(plural)?;
            (!kind.namespaced).then_some(Target::Object(kind, None, name))
        }
        ["namespaces", namespace, plural] => {
            let kind = kind(plural)?;
            kind.namespaced
                .then_some(Target::Collection(kind, Some(namespace)))
        }
        ["namespaces", namespace, plural, name] => {
            let kind = kind(plural)?;
            kind.namespaced
                .then_some(Target::Object(kind, Some(namespace), name))
        }
        _ => None,
    }
}

/// The query parameters the server reads.
#[derive(Debug, Default)]
struct Params {
    label_selector: String,
    field_selector: String,
    limit: Option<String>,
    continue_token: Option<String>,
    watch: bool,
    include_object: Option<String>,
}

fn parse_query(raw: Option<&str>) -> Params {
    let mut params = Params::default();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "labelSelector" => params.label_selector = value.into_owned(),
            "fieldSelector" => params.field_selector = value.into_owned(),
            "limit" => params.limit = Some(value.into_owned()),
            "continue" if !value.is_empty() => params.continue_token = Some(value.into_owned()),
            "watch" => params.watch = value == "true" || value == "1",
            "includeObject" => params.include_object = Some(value.into_owned()),
            _ => {}
        }
    }
    params
}

/// How the client wants the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Table,
}

fn negotiate(headers: &HeaderMap) -> Result<Format, KubeError> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Format::Json);
    };
    let mut json = false;
    for part in accept.split(',') {
        let part = part.trim().to_ascii_lowercase();
        let media = part.split(';').next().unwrap_or("").trim();
        if media == "application/json" && part.contains("as=table") {
            return Ok(Format::Table);
        }
        if media == "application/json" || media == "*/*" || media == "application/*" {
            json = true;
        }
    }
    if json {
        Ok(Format::Json)
    } else {
        Err(KubeError::not_acceptable())
    }
}

/// Every request under `/api` and `/apis`.
pub(crate) async fn dispatch(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(
        &app,
        caller,
        &method,
        &uri,
        query.as_deref(),
        &headers,
        &body,
    ) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn handle(
    app: &AppState,
    caller: Caller,
    method: &Method,
    uri: &Uri,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, KubeError> {
    let target = parse_path(uri.path()).ok_or_else(KubeError::no_route)?;
    let discovery = |document: Option<Value>| -> Result<Response, KubeError> {
        if method != Method::GET {
            return Err(KubeError::method_not_allowed(format!(
                "{method} is not supported on discovery documents; use GET"
            )));
        }
        document
            .map(|d| Json(d).into_response())
            .ok_or_else(KubeError::no_route)
    };
    match target {
        Target::Groups => discovery(Some(group_list())),
        Target::Group("") => discovery(Some(core_versions())),
        Target::Group(group) => discovery(group_document(group)),
        Target::Resources(group, version) => discovery(resource_list(group, version)),
        Target::Collection(kind, namespace) => {
            let params = parse_query(query);
            if *method == Method::GET {
                if params.watch {
                    return Err(KubeError::method_not_allowed(
                        "watch is not supported by the oceanid emulator; list instead",
                    ));
                }
                caller.authorize("list", kind, None, namespace)?;
                let format = negotiate(headers)?;
                list(app, kind, namespace, &params, format)
            } else if *method == Method::POST {
                let Some(namespace) = namespace.or((!kind.namespaced).then_some("")) else {
                    return Err(KubeError::method_not_allowed(format!(
                        "create a {} in a namespace: POST /…/namespaces/NAMESPACE/{}",
                        kind.kind, kind.plural
                    )));
                };
                caller.authorize(
                    "create",
                    kind,
                    None,
                    Some(namespace).filter(|n| !n.is_empty()),
                )?;
                let object = json_body(headers, body)?;
                let created = app.kubernetes.objects().create(kind, namespace, object)?;
                Ok((StatusCode::CREATED, Json(created)).into_response())
            } else {
                Err(KubeError::method_not_allowed(format!(
                    "{method} is not supported on a collection; the emulator serves GET (list) \
                     and POST (create)"
                )))
            }
        }
        Target::Object(kind, namespace, name) => {
            let ns = namespace.unwrap_or("");
            if *method == Method::GET {
                caller.authorize("get", kind, Some(name), namespace)?;
                let format = negotiate(headers)?;
                let object = app.kubernetes.objects().get(kind, ns, name)?.clone();
                Ok(match format {
                    Format::Json => Json(object).into_response(),
                    Format::Table => {
                        let revision = app.kubernetes.objects().revision();
                        Json(table::render(
                            kind,
                            &[object],
                            revision,
                            params_include(query),
                        ))
                        .into_response()
                    }
                })
            } else if *method == Method::PUT {
                caller.authorize("update", kind, Some(name), namespace)?;
                let object = json_body(headers, body)?;
                let replaced = app.kubernetes.objects().replace(kind, ns, name, object)?;
                Ok(Json(replaced).into_response())
            } else if *method == Method::PATCH {
                caller.authorize("patch", kind, Some(name), namespace)?;
                let patch = patch_body(headers, body)?;
                let mut objects = app.kubernetes.objects();
                let mut object = objects.get(kind, ns, name)?.clone();
                merge_patch::apply(&mut object, &patch);
                let patched = objects.replace(kind, ns, name, object)?;
                Ok(Json(patched).into_response())
            } else if *method == Method::DELETE {
                caller.authorize("delete", kind, Some(name), namespace)?;
                let deleted = app.kubernetes.objects().delete(kind, ns, name)?;
                Ok(Json(deleted).into_response())
            } else {
                Err(KubeError::method_not_allowed(format!(
                    "{method} is not supported on an object; the emulator serves GET, PUT \
                     (replace), PATCH (merge patch) and DELETE"
                )))
            }
        }
    }
}

fn params_include(query: Option<&str>) -> Option<String> {
    parse_query(query).include_object
}

/// The request body as a JSON object (415 for another content type, 400 for bad JSON).
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, KubeError> {
    if let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media != "application/json" {
            return Err(KubeError::unsupported_media_type(media, "application/json"));
        }
    }
    serde_json::from_slice(body).map_err(|e| {
        KubeError::bad_request(format!(
            "the request body is not valid JSON ({e}); send the object as application/json"
        ))
    })
}

/// A `PATCH` body: a JSON merge patch, or kubectl's strategic merge patch (applied as a merge
/// patch); 415 for JSON patch and server-side apply.
fn patch_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, KubeError> {
    let media = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim();
    if media != "application/merge-patch+json" && media != "application/strategic-merge-patch+json"
    {
        return Err(KubeError::unsupported_media_type(
            media,
            "application/merge-patch+json, application/strategic-merge-patch+json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| KubeError::bad_request(format!("the patch is not valid JSON ({e})")))
}

fn list(
    app: &AppState,
    kind: &'static Kind,
    namespace: Option<&str>,
    params: &Params,
    format: Format,
) -> Result<Response, KubeError> {
    let limit = match &params.limit {
        None => 0,
        Some(raw) => raw.parse::<i64>().map_err(|_| {
            KubeError::bad_request(format!(
                "limit {raw:?} is not a whole number; give the most items to return per page"
            ))
        })?,
    };
    let query = ListQuery {
        namespace: namespace.map(str::to_owned),
        labels: LabelSelector::parse(&params.label_selector).map_err(KubeError::bad_request)?,
        fields: FieldSelector::parse(&params.field_selector, kind)
            .map_err(KubeError::bad_request)?,
        limit: usize::try_from(limit.max(0)).unwrap_or(0),
        continue_token: params.continue_token.clone(),
    };
    let store = app.kubernetes.objects();
    let super::store::Page {
        items,
        continue_token,
        remaining,
    } = store.list(kind, &query)?;
    let revision = store.revision();
    drop(store);
    if format == Format::Table {
        let mut table = table::render(kind, &items, revision, params.include_object.clone());
        if let Some(token) = continue_token {
            table["metadata"]["continue"] = json!(token);
        }
        return Ok(Json(table).into_response());
    }
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    Ok(Json(json!({
        "kind": format!("{}List", kind.kind),
        "apiVersion": kind.api_version(),
        "metadata": metadata,
        "items": items,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse_path("/apis"), Some(Target::Groups));
        assert_eq!(parse_path("/api"), Some(Target::Group("")));
        assert_eq!(parse_path("/api/v1"), Some(Target::Resources("", "v1")));
        assert!(matches!(
            parse_path("/api/v1/namespaces/apps/pods"),
            Some(Target::Collection(k, Some("apps"))) if k.plural == "pods"
        ));
        assert!(matches!(
            parse_path("/api/v1/pods"),
            Some(Target::Collection(k, None)) if k.plural == "pods"
        ));
        assert!(matches!(
            parse_path("/api/v1/namespaces/apps"),
            Some(Target::Object(k, None, "apps")) if k.plural == "namespaces"
        ));
        assert!(matches!(
            parse_path("/apis/helm.toolkit.fluxcd.io/v2/namespaces/a/helmreleases/b"),
            Some(Target::Object(k, Some("a"), "b")) if k.kind == "HelmRelease"
        ));
        assert_eq!(parse_path("/api/v1/pods/x"), None);
        assert_eq!(parse_path("/api/v1/namespaces/a/nodes"), None);
        assert_eq!(parse_path("/api/v1/namespaces/a/pods/b/log"), None);
        assert_eq!(parse_path("/apis/batch/v1/jobs"), None);
    }

    #[test]
    fn accept() {
        let mut headers = HeaderMap::new();
        assert_eq!(negotiate(&headers).unwrap(), Format::Json);
        headers.insert(
            ACCEPT,
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
                .parse()
                .unwrap(),
        );
        assert_eq!(negotiate(&headers).unwrap(), Format::Table);
        headers.insert(
            ACCEPT,
            "application/vnd.kubernetes.protobuf".parse().unwrap(),
        );
        assert!(negotiate(&headers).is_err());
    }
}
