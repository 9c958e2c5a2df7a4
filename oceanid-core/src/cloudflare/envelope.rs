//! Cloudflare's answer envelope, decoded leniently: `{success, errors: [{code, message}],
//! messages, result, result_info?}`, with a missing `result_info`, a `null` result, codes sent as
//! strings, unknown fields and non-JSON bodies (an edge HTML page on a 5xx) all handled.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{CloudflareError, ResponseInfo};
use crate::http::redact::body_excerpt;
use crate::http::retry::retry_after;

/// The header that names a request at Cloudflare's edge.
pub const CF_RAY: &str = "cf-ray";

/// How much of an unreadable body an error quotes.
const EXCERPT_CHARS: usize = 200;

/// `result_info` of a paged list; every field is optional, as in Cloudflare's schema.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ResultInfo {
    /// This page's number, from 1.
    pub page: Option<u64>,
    /// The page size asked for.
    pub per_page: Option<u64>,
    /// How many items this page holds.
    pub count: Option<u64>,
    /// How many items all pages hold.
    pub total_count: Option<u64>,
    /// How many pages there are.
    pub total_pages: Option<u64>,
}

impl ResultInfo {
    /// Whether this is the last page, when `result_info` says so (`page ≥ total_pages`, or every
    /// item seen); `None` when it does not tell (then page until an empty `result`).
    #[must_use]
    pub fn is_last_page(&self, items_seen: u64) -> Option<bool> {
        match (self.page, self.total_pages, self.total_count) {
            (Some(page), Some(pages), _) => Some(page >= pages),
            (_, _, Some(total)) => Some(items_seen >= total),
            _ => None,
        }
    }
}

/// A successful answer: the decoded `result` and what came with it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Answer<T> {
    /// The `result`.
    pub result: T,
    /// `result_info`, when the answer had one (lists that page).
    pub result_info: Option<ResultInfo>,
    /// `messages`: notices that came with a success.
    pub messages: Vec<ResponseInfo>,
    /// The `cf-ray` header.
    pub cf_ray: Option<String>,
}

/// The envelope as sent, before `result` is given its type.
#[derive(Deserialize)]
struct RawEnvelope {
    success: Option<bool>,
    #[serde(default)]
    errors: Value,
    #[serde(default)]
    messages: Value,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    result_info: Value,
}

/// `errors` or `messages`: a list of `{code, message}` objects, taken leniently (a code sent as
/// a string, a bare string instead of an object, `null` for none).
pub(super) fn infos(value: Value) -> Vec<ResponseInfo> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| match item {
            Value::Object(map) => {
                let code = match map.get("code") {
                    Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    Some(Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                };
                let message = match map.get("message") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) if !other.is_null() => other.to_string(),
                    _ => String::new(),
                };
                Some(ResponseInfo::new(code.unwrap_or(0), message))
            }
            Value::String(message) => Some(ResponseInfo::new(0, message)),
            Value::Null => None,
            other => Some(ResponseInfo::new(0, other.to_string())),
        })
        .collect()
}

/// An answer's status, headers and body, decoded into `T`.
///
/// # Errors
/// [`ErrorKind::Api`](super::ErrorKind::Api) with every `{code, message}` for a failure
/// envelope or an error status; [`ErrorKind::Unreadable`](super::ErrorKind::Unreadable) for a
/// body that is not the envelope (with a short redacted excerpt);
/// [`ErrorKind::Decode`](super::ErrorKind::Decode) when `result` does not fit `T` (naming the
/// JSON path). A `null` result decodes only into a `T` that accepts `null` (`Option`, `()`);
/// use [`decode_list`] for lists.
pub fn decode<T: DeserializeOwned>(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Answer<T>, CloudflareError> {
    let (envelope, cf_ray) = open(status, headers, body)?;
    let result = serde_path_to_error::deserialize(envelope.result).map_err(|error| {
        let path = error.path().to_string();
        CloudflareError::decode(
            status,
            cf_ray.clone(),
            format!("at `result{}`: {}", path_suffix(&path), error.into_inner()),
        )
    })?;
    Ok(Answer {
        result,
        result_info: serde_json::from_value::<Option<ResultInfo>>(envelope.result_info)
            .ok()
            .flatten(),
        messages: infos(envelope.messages),
        cf_ray,
    })
}

/// Like [`decode`] for a list: a `null` result is an empty list.
///
/// # Errors
/// As [`decode`].
pub fn decode_list<T: DeserializeOwned>(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Answer<Vec<T>>, CloudflareError> {
    let answer = decode::<Option<Vec<T>>>(status, headers, body)?;
    Ok(Answer {
        result: answer.result.unwrap_or_default(),
        result_info: answer.result_info,
        messages: answer.messages,
        cf_ray: answer.cf_ray,
    })
}

/// For `#[serde(deserialize_with)]`: a list sent as `null` is empty.
pub(super) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

fn path_suffix(path: &str) -> String {
    match path {
        "." | "" => String::new(),
        p if p.starts_with('[') => p.to_owned(),
        p => format!(".{p}"),
    }
}

/// The envelope of a successful answer, or the error it is.
fn open(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(RawEnvelope, Option<String>), CloudflareError> {
    let cf_ray = headers
        .get(CF_RAY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let wait: Option<Duration> = retry_after(headers, SystemTime::now());
    let envelope = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(|v| {
            v.as_object().is_some_and(|map| {
                ["success", "errors", "result"]
                    .iter()
                    .any(|k| map.contains_key(*k))
            })
        })
        .and_then(|v| serde_json::from_value::<RawEnvelope>(v).ok());
    let Some(envelope) = envelope else {
        let excerpt = if body.iter().all(u8::is_ascii_whitespace) {
            "(an empty body)".to_owned()
        } else {
            body_excerpt(body, EXCERPT_CHARS, &[])
        };
        return Err(CloudflareError::unreadable(status, cf_ray, wait, excerpt));
    };
    let success = envelope.success.unwrap_or(status < 400);
    if !success || status >= 400 {
        return Err(CloudflareError::api(
            status,
            cf_ray,
            infos(envelope.errors),
            wait,
        ));
    }
    Ok((envelope, cf_ray))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::cloudflare::ErrorKind;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Named {
        id: String,
        name: String,
    }

    #[test]
    fn a_dns_conflict_as_cloudflare_sends_it() {
        // jeessy2/ddns-go#1378, verbatim shape.
        let body = br#"{"result":null,"success":false,"errors":[{"code":81058,"message":"An identical record already exists."}],"messages":[]}"#;
        let error = decode::<Named>(400, &headers(&[("cf-ray", "8f1b2c3d4e5f6a7b-FRA")]), body)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api);
        assert!(error.is_identical_record());
        assert_eq!(error.status(), 400);
        assert_eq!(error.cf_ray(), Some("8f1b2c3d4e5f6a7b-FRA"));
        assert_eq!(
            error.errors(),
            &[ResponseInfo::new(
                81058,
                "An identical record already exists."
            )]
        );
    }

    #[test]
    fn every_error_is_kept_in_order() {
        let body = br#"{"success":false,"errors":[{"code":7003,"message":"Could not route to /zones/x, perhaps your object identifier is invalid?"},{"code":"7000","message":"No route for that URI","documentation_url":"https://x","source":{"pointer":"/a"}},"bare text",null,{"message":"no code"}],"messages":null,"result":null}"#;
        let error = decode::<Named>(400, &HeaderMap::new(), body).unwrap_err();
        let codes: Vec<u32> = error.errors().iter().map(|e| e.code).collect();
        assert_eq!(codes, vec![7003, 7000, 0, 0]);
        assert_eq!(error.errors()[2].message, "bare text");
        assert_eq!(error.errors()[3].message, "no code");
        let text = error.to_string();
        assert!(text.contains("[7003] Could not route") && text.contains("[7000] No route"));
    }

    #[test]
    fn a_rate_limit_with_retry_after() {
        let body = br#"{"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null}"#;
        let error = decode::<Named>(
            429,
            &headers(&[("retry-after", "30"), ("cf-ray", "1-EMU")]),
            body,
        )
        .unwrap_err();
        assert!(error.is_rate_limited() && error.is_retryable());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    }

    #[test]
    fn an_html_page_from_the_edge() {
        let body = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>";
        let error = decode::<Named>(502, &headers(&[("cf-ray", "9a-AMS")]), body).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unreadable);
        assert!(error.is_retryable());
        assert!(error.errors().is_empty());
        let text = error.to_string();
        assert!(
            text.contains("HTTP 502") && text.contains("502 Bad Gateway"),
            "{text}"
        );
        assert!(text.contains("cf-ray 9a-AMS"));
        assert!(!text.contains('\n'));
        let empty = decode::<Named>(503, &HeaderMap::new(), b"").unwrap_err();
        assert!(empty.to_string().contains("an empty body"));
        // JSON that is not the envelope is not mistaken for one.
        let other = decode::<Named>(200, &HeaderMap::new(), br#"{"id":"a","name":"b"}"#);
        assert_eq!(other.unwrap_err().kind(), ErrorKind::Unreadable);
    }

    #[test]
    fn null_results_and_missing_result_info() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":null}"#;
        let list = decode_list::<Named>(200, &HeaderMap::new(), body).unwrap();
        assert!(list.result.is_empty());
        assert_eq!(list.result_info, None);
        let optional = decode::<Option<Named>>(200, &HeaderMap::new(), body).unwrap();
        assert_eq!(optional.result, None);
        let required = decode::<Named>(200, &HeaderMap::new(), body).unwrap_err();
        assert_eq!(required.kind(), ErrorKind::Decode);
        assert!(required.to_string().contains("null"), "{required}");

        // A list with a partial result_info and a success message; unknown fields ignored.
        let body = br#"{"success":true,"errors":[],"messages":[{"code":10500,"message":"deprecated"}],"result":[{"id":"1","name":"a","extra":true}],"result_info":{"page":1,"per_page":20,"total_pages":1},"extra":1}"#;
        let page = decode_list::<Named>(200, &HeaderMap::new(), body).unwrap();
        assert_eq!(page.result.len(), 1);
        let info = page.result_info.unwrap();
        assert_eq!(info.count, None);
        assert_eq!(info.is_last_page(1), Some(true));
        assert_eq!(page.messages, vec![ResponseInfo::new(10500, "deprecated")]);
        // A mistyped result_info is dropped rather than failing the answer.
        let body = br#"{"success":true,"result":[],"result_info":{"page":"one"}}"#;
        let page = decode_list::<Named>(200, &HeaderMap::new(), body).unwrap();
        assert_eq!(page.result_info, None);
    }

    #[test]
    fn a_result_of_the_wrong_shape_names_the_path() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"id":"1","name":"a"},{"id":"2","name":7}]}"#;
        let error = decode_list::<Named>(200, &HeaderMap::new(), body).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert!(error.to_string().contains("`result[1].name`"), "{error}");
    }

    #[test]
    fn pages_know_when_they_end() {
        let info = |page, pages, total| ResultInfo {
            page,
            total_pages: pages,
            total_count: total,
            ..ResultInfo::default()
        };
        assert_eq!(info(Some(1), Some(2), None).is_last_page(5), Some(false));
        assert_eq!(info(Some(2), Some(2), None).is_last_page(5), Some(true));
        assert_eq!(info(None, None, Some(5)).is_last_page(5), Some(true));
        assert_eq!(info(None, None, None).is_last_page(5), None);
    }
}
