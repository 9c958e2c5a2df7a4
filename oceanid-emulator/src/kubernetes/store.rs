//! The emulated cluster's objects, kept as JSON (`serde_json::Value`, never a client's types),
//! with a cluster-wide `resourceVersion`, uids, generations and paged, filtered lists.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::kinds::{KINDS, Kind, by_kind};
use super::selectors::{FieldSelector, LabelSelector, alphanumeric_ends};
use super::status::KubeError;

/// Where an object lives: its resource, namespace (empty for cluster-scoped) and name.
type ObjectKey = (&'static str, String, String);

/// Every object of the emulated cluster.
#[derive(Debug, Default)]
pub(crate) struct ObjectStore {
    objects: BTreeMap<ObjectKey, Value>,
    /// The last `resourceVersion` handed out.
    revision: u64,
}

/// What a list asks for.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    /// `None` for every namespace.
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// 0 for no limit.
    pub limit: usize,
    pub continue_token: Option<String>,
}

/// One page of a list.
#[derive(Debug)]
pub(crate) struct Page {
    pub items: Vec<Value>,
    /// Where the next page starts, when there is one.
    pub continue_token: Option<String>,
    /// How many matching items follow this page, when there is a next page.
    pub remaining: Option<usize>,
}

/// The opaque `continue` token: where the previous page ended.
#[derive(Debug, Serialize, Deserialize)]
struct ContinueToken {
    /// The list's `resourceVersion` when paging started.
    rv: u64,
    /// The namespace and name of the last item returned.
    ns: String,
    name: String,
}

/// `name` or `namespace/name`, for messages.
fn object_name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether `name` is a valid object name: a DNS subdomain (lower-case alphanumerics, `-` and
/// `.`, starting and ending alphanumeric, at most 253 characters).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && alphanumeric_ends(name)
}

/// Whether objects of this kind carry `metadata.generation` (those with a spec the controllers
/// reconcile).
fn has_generation(kind: &Kind) -> bool {
    !kind.group.is_empty()
}

impl ObjectStore {
    /// The current `resourceVersion` of the whole cluster.
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    fn key(kind: &'static Kind, namespace: &str, name: &str) -> ObjectKey {
        (kind.plural, namespace.to_owned(), name.to_owned())
    }

    /// Whether the namespace exists.
    pub(crate) fn namespace_exists(&self, namespace: &str) -> bool {
        self.objects
            .contains_key(&("namespaces", String::new(), namespace.to_owned()))
    }

    /// One object.
    pub(crate) fn get(
        &self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
    ) -> Result<&Value, KubeError> {
        self.objects
            .get(&Self::key(kind, namespace, name))
            .ok_or_else(|| KubeError::not_found(kind, name))
    }

    /// One page of the objects of `kind` that match `query`.
    pub(crate) fn list(&self, kind: &'static Kind, query: &ListQuery) -> Result<Page, KubeError> {
        let after = match &query.continue_token {
            None => None,
            Some(token) => {
                let decoded = URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<ContinueToken>(&bytes).ok())
                    .ok_or_else(|| {
                        KubeError::bad_request(
                            "continue key is not valid: it must be the metadata.continue value \
                             of the previous page of this list, unchanged",
                        )
                    })?;
                if decoded.rv > self.revision {
                    return Err(KubeError::expired(
                        "The provided continue parameter is too old to display a consistent \
                         list result. You can start a new list without the continue parameter.",
                    ));
                }
                Some((decoded.ns, decoded.name))
            }
        };
        let start = match &after {
            Some((ns, name)) => std::ops::Bound::Excluded((kind.plural, ns.clone(), name.clone())),
            None => std::ops::Bound::Included((kind.plural, String::new(), String::new())),
        };
        let mut matching = self
            .objects
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|((plural, _, _), _)| *plural == kind.plural)
            .filter(|((_, ns, _), _)| query.namespace.as_ref().is_none_or(|want| want == ns))
            .filter(|(_, object)| {
                query.labels.matches(object.pointer("/metadata/labels"))
                    && query.fields.matches(object)
            });
        let mut items = Vec::new();
        let mut last: Option<(&String, &String)> = None;
        for ((_, ns, name), object) in matching.by_ref() {
            if query.limit > 0 && items.len() == query.limit {
                // One more matches: end the page here and count what is left.
                let remaining = 1 + matching.count();
                let (ns, name) = last
                    .map(|(ns, name)| (ns.clone(), name.clone()))
                    .unwrap_or_default();
                let token = ContinueToken {
                    rv: self.revision,
                    ns,
                    name,
                };
                let encoded =
                    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default());
                return Ok(Page {
                    items,
                    continue_token: Some(encoded),
                    remaining: Some(remaining),
                });
            }
            items.push(object.clone());
            last = Some((ns, name));
        }
        Ok(Page {
            items,
            continue_token: None,
            remaining: None,
        })
    }

    /// Checks and completes an object for `kind` in `namespace`: apiVersion and kind, name, and
    /// the namespace (filled in from the path, refused when it disagrees).
    fn check_object(
        &self,
        kind: &'static Kind,
        namespace: &str,
        object: &mut Value,
    ) -> Result<(), KubeError> {
        let Some(map) = object.as_object_mut() else {
            return Err(KubeError::bad_request(format!(
                "the body must be a JSON object: a {} with apiVersion {}",
                kind.kind,
                kind.api_version()
            )));
        };
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let object_kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        if api_version != kind.api_version() || object_kind != kind.kind {
            return Err(KubeError::bad_request(format!(
                "the API version in the data ({api_version}) and kind ({object_kind}) do not \
                 match the path: expected apiVersion {} and kind {}",
                kind.api_version(),
                kind.kind
            )));
        }
        let metadata = map
            .entry("metadata")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| KubeError::bad_request("metadata must be an object"))?;
        if kind.namespaced {
            match metadata.get("namespace").and_then(Value::as_str) {
                None | Some("") => {
                    metadata.insert("namespace".into(), json!(namespace));
                }
                Some(ns) if ns == namespace => {}
                Some(ns) => {
                    return Err(KubeError::bad_request(format!(
                        "the namespace of the provided object ({ns}) does not match the \
                         namespace sent on the request ({namespace})"
                    )));
                }
            }
            if !self.namespace_exists(namespace) {
                let namespaces = by_kind("v1", "Namespace").unwrap_or(&KINDS[0]);
                return Err(KubeError::not_found(namespaces, namespace));
            }
        } else {
            metadata.remove("namespace");
        }
        let name = object_name(object).to_owned();
        if name.is_empty() {
            return Err(KubeError::invalid(
                kind,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        if !valid_name(&name) {
            return Err(KubeError::invalid(
                kind,
                &name,
                format!(
                    "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain \
                     must consist of lower case alphanumeric characters, '-' or '.', and must \
                     start and end with an alphanumeric character"
                ),
            ));
        }
        Ok(())
    }

    /// Fills a `generateName` object's name with five random characters.
    fn generate_name(object: &mut Value) {
        let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
            return;
        };
        let has_name = metadata
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        if has_name {
            return;
        }
        if let Some(prefix) = metadata.get("generateName").and_then(Value::as_str) {
            const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
            let suffix: String = (0..5)
                .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
                .collect();
            let name = format!("{prefix}{suffix}");
            metadata.insert("name".into(), json!(name));
        }
    }

    /// Creates an object (the `POST` of the API): 409 when it exists, 404 when its namespace
    /// does not.
    pub(crate) fn create(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        mut object: Value,
    ) -> Result<Value, KubeError> {
        Self::generate_name(&mut object);
        self.check_object(kind, namespace, &mut object)?;
        let name = object_name(&object).to_owned();
        let key = Self::key(kind, namespace, &name);
        if self.objects.contains_key(&key) {
            return Err(KubeError::already_exists(kind, &name));
        }
        self.stamp_new(kind, &mut object);
        self.objects.insert(key, object.clone());
        Ok(object)
    }

    /// Sets the server-owned metadata of a new object: uid, creationTimestamp,
    /// resourceVersion and (where the kind has one) generation 1.
    fn stamp_new(&mut self, kind: &'static Kind, object: &mut Value) {
        let revision = self.next_revision();
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
            metadata
                .entry("creationTimestamp")
                .or_insert_with(|| json!(kubernetes_now()));
            metadata.insert("resourceVersion".into(), json!(revision));
            if has_generation(kind) {
                metadata.entry("generation").or_insert(json!(1));
            } else {
                metadata.remove("generation");
            }
            metadata.remove("deletionTimestamp");
        }
    }

    /// Replaces an object (the `PUT` of the API): 404 when it does not exist, 409 when the body's
    /// `resourceVersion` is not the stored one. The stored status is kept (status is a
    /// subresource); `generation` grows when the spec changes.
    pub(crate) fn replace(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Result<Value, KubeError> {
        self.check_object(kind, namespace, &mut object)?;
        if object_name(&object) != name {
            return Err(KubeError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                object_name(&object)
            )));
        }
        let key = Self::key(kind, namespace, name);
        let stored = self
            .objects
            .get(&key)
            .ok_or_else(|| KubeError::not_found(kind, name))?;
        let stored_rv = stored.pointer("/metadata/resourceVersion").cloned();
        if let Some(sent) = object
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .filter(|rv| !rv.is_empty())
            && stored_rv.as_ref().and_then(Value::as_str) != Some(sent)
        {
            return Err(KubeError::conflict(kind, name));
        }
        let spec_changed = stored.get("spec") != object.get("spec");
        let generation = stored
            .pointer("/metadata/generation")
            .and_then(Value::as_i64);
        let keep = |field: &str| stored.pointer(&format!("/metadata/{field}")).cloned();
        let (uid, created) = (keep("uid"), keep("creationTimestamp"));
        let status = stored.get("status").cloned();
        let revision = self.next_revision();
        if let Some(map) = object.as_object_mut() {
            match status {
                Some(status) => {
                    map.insert("status".into(), status);
                }
                None => {
                    map.remove("status");
                }
            }
            if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                metadata.insert("uid".into(), uid.unwrap_or(Value::Null));
                metadata.insert("creationTimestamp".into(), created.unwrap_or(Value::Null));
                metadata.insert("resourceVersion".into(), json!(revision));
                match generation {
                    Some(g) => {
                        metadata.insert(
                            "generation".into(),
                            json!(if spec_changed { g + 1 } else { g }),
                        );
                    }
                    None => {
                        metadata.remove("generation");
                    }
                }
            }
        }
        self.objects.insert(key, object.clone());
        Ok(object)
    }

    /// Stores an object as it is given (status, generation and all), creating or replacing it:
    /// the admin route that lets tests break things. Returns the stored object and whether it was
    /// created.
    pub(crate) fn upsert(&mut self, mut object: Value) -> Result<(Value, bool), KubeError> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let kind_name = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let kind = by_kind(&api_version, &kind_name).ok_or_else(|| {
            KubeError::bad_request(format!(
                "apiVersion {api_version:?} and kind {kind_name:?} are not a kind the emulator \
                 serves; it serves {}",
                served_kinds()
            ))
        })?;
        let namespace = if kind.namespaced {
            object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|ns| !ns.is_empty())
                .ok_or_else(|| {
                    KubeError::bad_request(format!("a {} needs metadata.namespace", kind.kind))
                })?
                .to_owned()
        } else {
            String::new()
        };
        self.check_object(kind, &namespace, &mut object)?;
        let name = object_name(&object).to_owned();
        let key = Self::key(kind, &namespace, &name);
        let created = match self.objects.get(&key) {
            None => {
                self.stamp_new(kind, &mut object);
                true
            }
            Some(stored) => {
                let uid = stored.pointer("/metadata/uid").cloned();
                let created_at = stored.pointer("/metadata/creationTimestamp").cloned();
                let revision = self.next_revision();
                if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
                    metadata.insert("uid".into(), uid.unwrap_or(Value::Null));
                    metadata
                        .entry("creationTimestamp")
                        .or_insert(created_at.unwrap_or(Value::Null));
                    metadata.insert("resourceVersion".into(), json!(revision));
                }
                false
            }
        };
        self.objects.insert(key, object.clone());
        Ok((object, created))
    }

    /// Deletes an object and returns it; a namespace takes its objects with it.
    pub(crate) fn delete(
        &mut self,
        kind: &'static Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Value, KubeError> {
        let object = self
            .objects
            .remove(&Self::key(kind, namespace, name))
            .ok_or_else(|| KubeError::not_found(kind, name))?;
        if kind.plural == "namespaces" {
            self.objects.retain(|(_, ns, _), _| ns != name);
        }
        self.next_revision();
        Ok(object)
    }

    /// Every object, as a list in (resource, namespace, name) order.
    pub(crate) fn dump(&self) -> Value {
        Value::Array(self.objects.values().cloned().collect())
    }

    /// How many objects there are.
    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }
}

/// `apiVersion kind` of every served kind, for messages.
pub(crate) fn served_kinds() -> String {
    KINDS
        .iter()
        .map(|k| format!("{} {}", k.api_version(), k.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Now, as Kubernetes writes timestamps (RFC 3339, whole seconds, `Z`).
pub(crate) fn kubernetes_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubernetes::kinds::by_resource;

    fn pods() -> &'static Kind {
        by_resource("", "v1", "pods").unwrap()
    }

    fn store() -> ObjectStore {
        let mut store = ObjectStore::default();
        store
            .upsert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}))
            .unwrap();
        store
    }

    fn pod(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}})
    }

    #[test]
    fn create_get_replace_delete() {
        let mut store = store();
        let created = store.create(pods(), "apps", pod("web")).unwrap();
        assert_eq!(created["metadata"]["namespace"], "apps");
        assert!(created["metadata"]["uid"].is_string());
        assert!(store.create(pods(), "apps", pod("web")).is_err());
        assert!(store.create(pods(), "nowhere", pod("web")).is_err());
        assert!(store.create(pods(), "apps", pod("Bad_Name")).is_err());
        let mut stale = created.clone();
        stale["metadata"]["resourceVersion"] = json!("1");
        assert!(store.replace(pods(), "apps", "web", stale).is_err());
        let replaced = store
            .replace(pods(), "apps", "web", created.clone())
            .unwrap();
        assert_ne!(
            replaced["metadata"]["resourceVersion"],
            created["metadata"]["resourceVersion"]
        );
        assert_eq!(replaced["metadata"]["uid"], created["metadata"]["uid"]);
        assert!(store.replace(pods(), "apps", "other", created).is_err());
        store.delete(pods(), "apps", "web").unwrap();
        assert!(store.get(pods(), "apps", "web").is_err());
    }

    #[test]
    fn pages() {
        let mut store = store();
        for i in 0..5 {
            store.create(pods(), "apps", pod(&format!("p{i}"))).unwrap();
        }
        let mut query = ListQuery {
            limit: 2,
            ..ListQuery::default()
        };
        let mut names = Vec::new();
        loop {
            let page = store.list(pods(), &query).unwrap();
            names.extend(page.items.iter().map(|i| object_name(i).to_owned()));
            match page.continue_token {
                Some(token) => {
                    assert!(page.remaining.unwrap() > 0);
                    query.continue_token = Some(token);
                }
                None => break,
            }
        }
        assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
        query.continue_token = Some("garbage!".into());
        assert!(store.list(pods(), &query).is_err());
    }
}
