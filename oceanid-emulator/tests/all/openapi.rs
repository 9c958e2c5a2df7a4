//! Checks answers against `openapi/crunchybridge-openapi.yaml`: the status is documented for the
//! operation (or covered by `default`), the required headers are there, and the body matches the
//! schema for that status, error bodies included.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Value, json};

const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/openapi/crunchybridge-openapi.yaml"
);

pub struct Spec {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The spec, loaded once. A missing or unreadable file fails the test that needs it.
pub static SPEC: LazyLock<Spec> = LazyLock::new(|| {
    let text = std::fs::read_to_string(SPEC_PATH)
        .unwrap_or_else(|e| panic!("the OpenAPI description {SPEC_PATH} must exist: {e}"));
    let doc: Value = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{SPEC_PATH} is not valid YAML: {e}"));
    assert!(doc["paths"].is_object(), "{SPEC_PATH} has no paths");
    Spec {
        doc,
        validators: Mutex::new(HashMap::new()),
    }
});

impl Spec {
    /// The documented path template that `path` matches, preferring the most literal one.
    pub fn template(&self, path: &str) -> Option<String> {
        let paths = self.doc["paths"].as_object()?;
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, &String)> = None;
        for template in paths.keys() {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let ok = parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| match_segment(t, s, &mut literal));
            if ok && best.is_none_or(|(score, _)| literal > score) {
                best = Some((literal, template));
            }
        }
        best.map(|(_, t)| t.clone())
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                self.doc.pointer(pointer).unwrap_or(&Value::Null)
            }
            None => value,
        }
    }

    fn validator(&self, key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(key) {
            return v.clone();
        }
        let wrapper = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let validator = Arc::new(
            jsonschema::options()
                .should_validate_formats(true)
                .build(&wrapper)
                .unwrap_or_else(|e| panic!("schema for {key} does not compile: {e}")),
        );
        cache.insert(key.to_owned(), validator.clone());
        validator
    }

    /// Checks one answer; `Err` says what does not match.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let template = self
            .template(path)
            .ok_or_else(|| format!("{path} is not a documented path"))?;
        let op = self.doc["paths"][&template]
            .get(method.to_ascii_lowercase())
            .ok_or_else(|| format!("{method} {template} is not a documented operation"))?;
        let responses = &op["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))
            .ok_or_else(|| format!("status {status} is not documented for {method} {template}"))?;
        let response = self.resolve(response);
        if let Some(documented) = response["headers"].as_object() {
            for (name, header) in documented {
                let header = self.resolve(header);
                if header["required"] == json!(true) && !headers.contains_key(name.as_str()) {
                    return Err(format!(
                        "{method} {path} → {status}: required header {name} is missing"
                    ));
                }
                if name == "Retry-After"
                    && let Some(v) = headers.get(name.as_str())
                    && v.to_str()
                        .ok()
                        .and_then(|s| s.parse::<u64>().ok())
                        .is_none()
                {
                    return Err(format!(
                        "{method} {path}: Retry-After {v:?} is not whole seconds"
                    ));
                }
            }
        }
        let Some(content) = response["content"].as_object() else {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{method} {path} → {status}: documented without a body, got one"
                ))
            };
        };
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let (media, media_def) = content
            .iter()
            .find(|(media, _)| content_type.starts_with(media.as_str()))
            .ok_or_else(|| {
                format!(
                    "{method} {path} → {status}: content type {content_type:?} is not one of {:?}",
                    content.keys().collect::<Vec<_>>()
                )
            })?;
        let instance: Value = if media.contains("json") {
            serde_json::from_slice(body)
                .map_err(|e| format!("{method} {path} → {status}: body is not JSON: {e}"))?
        } else {
            Value::String(String::from_utf8_lossy(body).into_owned())
        };
        let key = format!("{template} {method} {status} {media}");
        let validator = self.validator(&key, &media_def["schema"]);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("at {}: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {path} → {status} does not match the schema of {template}:\n  {}\nbody: {}",
                errors.join("\n  "),
                String::from_utf8_lossy(body)
            ))
        }
    }
}

/// `{name}` matches one non-empty segment, `{name}.pem` one ending in `.pem`.
fn match_segment(template: &str, segment: &str, literal: &mut usize) -> bool {
    match template.find('{') {
        None => {
            *literal += template.len();
            template == segment
        }
        Some(start) => {
            let Some(end) = template.find('}') else {
                return false;
            };
            let (prefix, suffix) = (&template[..start], &template[end + 1..]);
            *literal += prefix.len() + suffix.len();
            segment.len() > prefix.len() + suffix.len()
                && segment.starts_with(prefix)
                && segment.ends_with(suffix)
        }
    }
}

#[test]
fn spec_loads_and_templates_match() {
    let spec = &*SPEC;
    assert_eq!(
        spec.template("/clusters/abc").as_deref(),
        Some("/clusters/{cluster_id}")
    );
    assert_eq!(
        spec.template("/teams/abc.pem").as_deref(),
        Some("/teams/{team_id}.pem")
    );
    assert_eq!(
        spec.template("/teams/abc").as_deref(),
        Some("/teams/{team_id}")
    );
    assert_eq!(
        spec.template("/clusters/abc/actions/enable-ha").as_deref(),
        Some("/clusters/{cluster_id}/actions/enable-ha")
    );
    assert_eq!(spec.template("/nowhere"), None);
}

#[test]
fn the_checker_rejects_wrong_answers() {
    let spec = &*SPEC;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    headers.insert(
        "x-request-id",
        "5f0c7d5e-6b0a-4a39-9a39-3f1b2f5c2d11".parse().unwrap(),
    );
    // A firewall rule without its required fields.
    let err = spec
        .check(
            "GET",
            "/networks/x/firewall-rules/y",
            200,
            &headers,
            br#"{"id": "x"}"#,
        )
        .unwrap_err();
    assert!(err.contains("does not match"), "{err}");
    // An error body without request_id.
    assert!(
        spec.check("GET", "/account", 401, &headers, br#"{"message": "no"}"#)
            .is_err()
    );
    // A method the path does not have.
    assert!(
        spec.check("DELETE", "/networks", 200, &headers, b"{}")
            .is_err()
    );
    // A good error body.
    spec.check(
        "GET",
        "/account",
        401,
        &headers,
        br#"{"message": "no", "request_id": "5f0c7d5e-6b0a-4a39-9a39-3f1b2f5c2d11", "code": null, "is_transient": false}"#,
    )
    .unwrap();
    // 429 needs Retry-After.
    assert!(
        spec.check(
            "GET",
            "/account",
            429,
            &headers,
            br#"{"message": "slow", "request_id": "5f0c7d5e-6b0a-4a39-9a39-3f1b2f5c2d11"}"#
        )
        .unwrap_err()
        .contains("Retry-After")
    );
}
