//! Reading request bodies and query strings, with 400 answers that say what is wrong.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;

/// Parses a JSON body; an empty body reads as `{}`. Unknown or mistyped fields are a 400 that
/// names the field.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(format!("request body is not valid JSON: {inner}"))
        } else if path == "." {
            ApiError::bad_request(format!("invalid request body: {inner}"))
        } else {
            ApiError::bad_request(format!("invalid request body at `{path}`: {inner}"))
        }
    })
}

/// The body as a JSON object, to check for fields by name.
pub(crate) fn json_object(body: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| match v {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default()
}

/// A field that distinguishes "absent" (`None`) from `null` (`Some(None)`); use with
/// `#[serde(default, deserialize_with = "double_option")]`.
pub(crate) fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// A decoded query string.
#[derive(Debug, Default)]
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub(crate) fn parse(raw: Option<&str>) -> QueryParams {
        QueryParams(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The last value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        rule: String,
    }

    #[test]
    fn errors_name_the_problem() {
        let e = json_body::<Body>(b"{").unwrap_err();
        assert!(e.message().contains("not valid JSON"), "{}", e.message());
        let e = json_body::<Body>(br#"{"rule": 1}"#).unwrap_err();
        assert!(e.message().contains("`rule`"), "{}", e.message());
        let e = json_body::<Body>(br#"{"rule": "x", "other": 1}"#).unwrap_err();
        assert!(e.message().contains("other"), "{}", e.message());
        let e = json_body::<Body>(b"").unwrap_err();
        assert!(e.message().contains("rule"), "{}", e.message());
        assert!(json_body::<Body>(br#"{"rule": "x"}"#).is_ok());
    }

    #[test]
    fn query() {
        let q = QueryParams::parse(Some("limit=5&a=1&a=2&cursor=x%2By"));
        assert_eq!(q.get("limit"), Some("5"));
        assert_eq!(q.all("a"), vec!["1", "2"]);
        assert_eq!(q.get("cursor"), Some("x+y"));
        assert_eq!(q.get("none"), None);
    }
}
