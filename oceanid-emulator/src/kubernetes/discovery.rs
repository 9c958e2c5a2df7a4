//! `/version` and the legacy discovery documents (`/api`, `/apis`, `/apis/{group}`, and each
//! group-version's `APIResourceList`), which kubectl and client-go read before any request.
//! The aggregated discovery format (`as=APIGroupDiscoveryList`) is not offered: a plain
//! `application/json` answer makes clients fall back to these documents.

use axum::Json;
use serde_json::{Value, json};

use super::kinds::{KINDS, VERBS, groups};
use super::seed::K3S_VERSION;

/// `GET /version`, as K3s answers it.
pub(crate) async fn version() -> Json<Value> {
    Json(json!({
        "major": "1",
        "minor": "32",
        "gitVersion": K3S_VERSION,
        "gitCommit": "8e8f2a4726fdb4ca628eb62b2a526b64d0e6a763",
        "gitTreeState": "clean",
        "buildDate": "2025-05-23T20:21:14Z",
        "goVersion": "go1.23.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    }))
}

/// `GET /api`: the core group's versions.
pub(crate) fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
    })
}

fn group(name: &str, version: &str) -> Value {
    let group_version = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({
        "name": name,
        "versions": [group_version],
        "preferredVersion": group_version,
    })
}

/// `GET /apis`: every named group.
pub(crate) fn group_list() -> Value {
    let groups: Vec<Value> = groups().into_iter().map(|(g, v)| group(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`, when the group is served.
pub(crate) fn group_document(name: &str) -> Option<Value> {
    groups()
        .into_iter()
        .find(|(g, _)| *g == name)
        .map(|(g, v)| {
            let mut document = group(g, v);
            document["kind"] = json!("APIGroup");
            document["apiVersion"] = json!("v1");
            document
        })
}

/// `GET /api/v1` or `GET /apis/{group}/{version}`: the resources served there, when any are.
pub(crate) fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = KINDS
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .map(|k| {
            let mut resource = json!({
                "name": k.plural,
                "singularName": k.singular,
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": VERBS,
            });
            if !k.short_names.is_empty() {
                resource["shortNames"] = json!(k.short_names);
            }
            if !k.categories.is_empty() {
                resource["categories"] = json!(k.categories);
            }
            resource
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents() {
        assert_eq!(group_list()["groups"].as_array().unwrap().len(), 5);
        assert_eq!(
            group_document("apps").unwrap()["preferredVersion"]["groupVersion"],
            "apps/v1"
        );
        assert!(group_document("batch").is_none());
        let core = resource_list("", "v1").unwrap();
        assert_eq!(core["groupVersion"], "v1");
        assert_eq!(core["resources"].as_array().unwrap().len(), 4);
        assert!(resource_list("apps", "v1beta1").is_none());
    }
}
