//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`) and field selectors (`=`,
//! `==`, `!=` on the fields each kind allows), parsed as the API server parses them.

use serde_json::Value;

use super::kinds::Kind;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelRequirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LabelSelector(Vec<LabelRequirement>);

/// Splits on commas outside parentheses.
fn split_requirements(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in raw.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&raw[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&raw[start..]);
    parts
}

/// Whether `key` is a valid label key: an optional DNS prefix and `/`, then a name of up to 63
/// alphanumerics, `-`, `_` and `.`, starting and ending alphanumeric.
fn valid_key(key: &str) -> bool {
    let name = match key.rsplit_once('/') {
        Some((prefix, name)) => {
            if prefix.is_empty()
                || prefix.len() > 253
                || !prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            {
                return false;
            }
            name
        }
        None => key,
    };
    valid_value(name) && !name.is_empty()
}

/// Whether `value` is a valid label value (may be empty).
fn valid_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && (value.is_empty() || alphanumeric_ends(value))
}

/// Whether `text` is non-empty and starts and ends with an ASCII letter or digit, as label
/// values and object names must.
pub(crate) fn alphanumeric_ends(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

fn checked_key(key: &str, raw: &str) -> Result<String, String> {
    if valid_key(key) {
        Ok(key.to_owned())
    } else {
        Err(format!(
            "unable to parse requirement: invalid label key \"{key}\" in {raw:?}: a valid label \
             key is an optional DNS prefix and '/', then up to 63 alphanumeric characters, '-', \
             '_' or '.', starting and ending with an alphanumeric character"
        ))
    }
}

fn checked_value(value: &str, raw: &str) -> Result<String, String> {
    if valid_value(value) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "unable to parse requirement: invalid label value \"{value}\" in {raw:?}: a valid \
             label value is empty or up to 63 alphanumeric characters, '-', '_' or '.', starting \
             and ending with an alphanumeric character"
        ))
    }
}

/// Parses `(a, b)` after `in`/`notin`.
fn parse_set(rest: &str, raw: &str) -> Result<Vec<String>, String> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            format!(
                "unable to parse requirement {raw:?}: `in` and `notin` need a set such as (a,b)"
            )
        })?;
    inner
        .split(',')
        .map(|v| checked_value(v.trim(), raw))
        .collect()
}

impl LabelSelector {
    /// Parses a `labelSelector` query value.
    pub(crate) fn parse(raw: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        if raw.trim().is_empty() {
            return Ok(LabelSelector(requirements));
        }
        for part in split_requirements(raw) {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!(
                    "unable to parse requirement: empty requirement in {raw:?}"
                ));
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                LabelRequirement::DoesNotExist(checked_key(key.trim(), raw)?)
            } else if let Some((key, value)) = part.split_once("!=") {
                LabelRequirement::NotEquals(
                    checked_key(key.trim(), raw)?,
                    checked_value(value.trim(), raw)?,
                )
            } else if let Some((key, value)) = part.split_once("==") {
                LabelRequirement::Equals(
                    checked_key(key.trim(), raw)?,
                    checked_value(value.trim(), raw)?,
                )
            } else if let Some((key, value)) = part.split_once('=') {
                LabelRequirement::Equals(
                    checked_key(key.trim(), raw)?,
                    checked_value(value.trim(), raw)?,
                )
            } else if let Some((key, rest)) = part.split_once(" notin ") {
                LabelRequirement::NotIn(checked_key(key.trim(), raw)?, parse_set(rest, raw)?)
            } else if let Some((key, rest)) = part.split_once(" in ") {
                LabelRequirement::In(checked_key(key.trim(), raw)?, parse_set(rest, raw)?)
            } else {
                LabelRequirement::Exists(checked_key(part, raw)?)
            };
            requirements.push(requirement);
        }
        Ok(LabelSelector(requirements))
    }

    /// Whether an object with these `metadata.labels` matches.
    pub(crate) fn matches(&self, labels: Option<&Value>) -> bool {
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.0.iter().all(|requirement| match requirement {
            LabelRequirement::Equals(k, v) => label(k) == Some(v.as_str()),
            LabelRequirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            LabelRequirement::In(k, set) => label(k).is_some_and(|l| set.iter().any(|v| v == l)),
            LabelRequirement::NotIn(k, set) => label(k).is_none_or(|l| set.iter().all(|v| v != l)),
            LabelRequirement::Exists(k) => label(k).is_some(),
            LabelRequirement::DoesNotExist(k) => label(k).is_none(),
        })
    }
}

/// A parsed field selector; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses a `fieldSelector` query value for `kind`, refusing fields the kind does not index
    /// (as the API server does).
    pub(crate) fn parse(raw: &str, kind: &Kind) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        if raw.trim().is_empty() {
            return Ok(FieldSelector(terms));
        }
        for part in raw.split(',') {
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = part.split_once('=') {
                (p, true, v)
            } else {
                return Err(format!(
                    "invalid field selector {part:?}: use field=value, field==value or \
                     field!=value"
                ));
            };
            let path = path.trim();
            if !kind.accepts_field(path) {
                return Err(format!(
                    "field label not supported: {path} (a {} field selector takes \
                     metadata.name{}{})",
                    kind.kind,
                    if kind.namespaced {
                        ", metadata.namespace"
                    } else {
                        ""
                    },
                    kind.fields
                        .iter()
                        .map(|f| format!(", {f}"))
                        .collect::<String>()
                ));
            }
            terms.push((path.to_owned(), equal, value.trim().to_owned()));
        }
        Ok(FieldSelector(terms))
    }

    /// Whether `object` matches: an absent field compares as the empty string, booleans as
    /// `true`/`false`.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(path, equal, value)| {
            let mut node = Some(object);
            for segment in path.split('.') {
                node = node.and_then(|n| n.get(segment));
            }
            let actual = match node {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kubernetes::kinds::by_resource;

    fn matches(selector: &str, labels: Value) -> bool {
        LabelSelector::parse(selector)
            .unwrap()
            .matches(Some(&labels))
    }

    #[test]
    fn label_operators() {
        let labels = json!({"app": "web", "tier": "front", "app.kubernetes.io/part-of": "flux"});
        assert!(matches("", labels.clone()));
        assert!(matches("app=web", labels.clone()));
        assert!(matches("app==web,tier", labels.clone()));
        assert!(matches("app!=db", labels.clone()));
        assert!(matches("missing!=x", labels.clone()));
        assert!(matches("app in (web, db)", labels.clone()));
        assert!(!matches("app in (db)", labels.clone()));
        assert!(matches("app notin (db),!missing", labels.clone()));
        assert!(matches("missing notin (db)", labels.clone()));
        assert!(!matches("!app", labels.clone()));
        assert!(matches("app.kubernetes.io/part-of=flux", labels.clone()));
        assert!(!matches("app=web,tier=back", labels));
        assert!(LabelSelector::parse("app=").is_ok());
        assert!(LabelSelector::parse("a b=c").is_err());
        assert!(LabelSelector::parse("app in web").is_err());
        assert!(LabelSelector::parse("app=web,").is_err());
        assert!(LabelSelector::parse("app=-bad").is_err());
    }

    #[test]
    fn fields() {
        let pods = by_resource("", "v1", "pods").unwrap();
        let pod = json!({"metadata": {"name": "a", "namespace": "apps"},
            "spec": {"nodeName": "calypso"}, "status": {"phase": "Running"}});
        let select = |raw: &str| FieldSelector::parse(raw, pods).unwrap().matches(&pod);
        assert!(select("spec.nodeName=calypso,status.phase==Running"));
        assert!(select("metadata.namespace!=flux-system"));
        assert!(!select("metadata.name=b"));
        assert!(select("status.podIP="));
        let err = FieldSelector::parse("spec.containers=x", pods).unwrap_err();
        assert!(
            err.contains("field label not supported: spec.containers"),
            "{err}"
        );
        assert!(FieldSelector::parse("nonsense", pods).is_err());
    }
}
