//! The query string of a Cloudflare list or lookup: text filters, `true`/`false` flags, CIDR
//! filters and `page`/`per_page`, each refused with a 400 (code 9106) that names the parameter.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ipnet::IpNet;

use super::parse_network;
use crate::cloudflare::envelope::CfError;
use crate::cloudflare::pagination::PageRequest;
use crate::extract::QueryParams;

/// A request's decoded query string.
pub(super) struct ListQuery(QueryParams);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ListQuery, Infallible> {
        Ok(ListQuery(QueryParams::parse(parts.uri.query())))
    }
}

impl ListQuery {
    /// A text filter; empty counts as absent.
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).filter(|v| !v.is_empty())
    }

    /// A `true`/`false` flag; empty counts as absent.
    pub(super) fn flag(&self, name: &str) -> Result<Option<bool>, CfError> {
        match self.text(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(CfError::invalid_query(format!(
                "{name} must be true or false, not {other:?}"
            ))),
        }
    }

    /// A CIDR filter.
    pub(super) fn network(&self, name: &str) -> Result<Option<IpNet>, CfError> {
        self.text(name)
            .map(|raw| {
                parse_network(raw).ok_or_else(|| {
                    CfError::invalid_query(format!(
                        "{name} {raw:?} is not a CIDR such as 10.42.0.0/16"
                    ))
                })
            })
            .transpose()
    }

    /// `page` and `per_page` (1 to `max`, default `default`).
    pub(super) fn page(&self, default: usize, max: usize) -> Result<PageRequest, CfError> {
        PageRequest::parse(&self.0, default, max)
    }
}
