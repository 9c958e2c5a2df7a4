//! Cursor pagination: `limit` (1-200, default 100), `cursor`, `order` (`asc`/`desc`) and
//! `order_field`, answering `has_more` and `next_cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;
use crate::extract::QueryParams;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 200;

/// What one list request asks for.
#[derive(Debug)]
pub(crate) struct PageRequest {
    limit: usize,
    descending: bool,
    order_field: String,
    /// The sort key and id of the last item of the previous page.
    after: Option<(String, String)>,
}

/// One page of a list.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

impl PageRequest {
    /// Reads the paging parameters; `fields` are the allowed `order_field`s, the first the default.
    pub(crate) fn parse(query: &QueryParams, fields: &[&str]) -> Result<PageRequest, ApiError> {
        let limit = match query.get("limit") {
            None | Some("") => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "limit must be an integer from 1 to {MAX_LIMIT}, got {raw:?}"
                    )));
                }
            },
        };
        let descending = match query.get("order") {
            None | Some("") | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "order must be `asc` or `desc`, got {other:?}"
                )));
            }
        };
        let order_field = match query.get("order_field") {
            None | Some("") => fields.first().copied().unwrap_or("id").to_owned(),
            Some(f) if fields.contains(&f) => f.to_owned(),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "order_field must be one of {}, got {other:?}",
                    fields.join(", ")
                )));
            }
        };
        let after = match query.get("cursor") {
            None | Some("") => None,
            Some(cursor) => Some(decode_cursor(cursor, &order_field)?),
        };
        Ok(PageRequest {
            limit,
            descending,
            order_field,
            after,
        })
    }

    /// The field to sort on.
    pub(crate) fn order_field(&self) -> &str {
        &self.order_field
    }

    /// Sorts `items` by (`key`, `id`) and cuts the requested page.
    pub(crate) fn page<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        key: impl Fn(&T) -> (String, String),
    ) -> Page<T> {
        let mut keyed: Vec<((String, String), T)> =
            items.into_iter().map(|item| (key(&item), item)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if self.descending {
            keyed.reverse();
        }
        let start = match &self.after {
            None => 0,
            Some(after) => keyed
                .iter()
                .position(|(k, _)| {
                    if self.descending {
                        k < after
                    } else {
                        k > after
                    }
                })
                .unwrap_or(keyed.len()),
        };
        let rest: Vec<((String, String), T)> = keyed.into_iter().skip(start).collect();
        let has_more = rest.len() > self.limit;
        let mut items: Vec<((String, String), T)> = rest.into_iter().take(self.limit).collect();
        let next_cursor = if has_more {
            items
                .last()
                .map(|((k, id), _)| encode_cursor(&self.order_field, k, id))
        } else {
            None
        };
        Page {
            items: items.drain(..).map(|(_, item)| item).collect(),
            has_more,
            next_cursor,
        }
    }
}

fn encode_cursor(field: &str, key: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{field}\n{key}\n{id}"))
}

fn decode_cursor(cursor: &str, field: &str) -> Result<(String, String), ApiError> {
    let invalid = || ApiError::bad_request(format!("invalid cursor {cursor:?}"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, '\n');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(f), Some(key), Some(id)) if f == field => Ok((key.to_owned(), id.to_owned())),
        (Some(_), Some(_), Some(_)) => Err(ApiError::bad_request(format!(
            "cursor {cursor:?} was issued for another order_field"
        ))),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> PageRequest {
        PageRequest::parse(&QueryParams::parse(Some(q)), &["id", "name"]).unwrap()
    }

    #[test]
    fn walks_all_pages_in_both_orders() {
        let items: Vec<u32> = (0..25).collect();
        for order in ["asc", "desc"] {
            let mut seen = Vec::new();
            let mut cursor = String::new();
            loop {
                let page = req(&format!("limit=7&order={order}&cursor={cursor}"))
                    .page(items.clone(), |n| (format!("{n:03}"), n.to_string()));
                seen.extend(page.items);
                match page.next_cursor {
                    Some(c) => cursor = c,
                    None => {
                        assert!(!page.has_more);
                        break;
                    }
                }
            }
            let mut expected = items.clone();
            if order == "desc" {
                expected.reverse();
            }
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let q = |s: &str| PageRequest::parse(&QueryParams::parse(Some(s)), &["id"]);
        assert!(q("limit=0").is_err());
        assert!(q("limit=201").is_err());
        assert!(q("limit=x").is_err());
        assert!(q("order=up").is_err());
        assert!(q("order_field=name").is_err());
        assert!(q("cursor=!!!").is_err());
        assert!(q("limit=200&order=desc&order_field=id").is_ok());
    }
}
