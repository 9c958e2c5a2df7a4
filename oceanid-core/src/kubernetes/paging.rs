//! Listing a kind with `limit`/`continue` paging: one list call per page, never a GET per object.

use kube::api::{Api, ListParams};
use serde::de::DeserializeOwned;

use super::api_call::ApiCall;
use super::error::Error;

/// How many objects one list page asks for.
pub const PAGE_SIZE: u32 = 500;

/// Lists every object matching `params`, following `continue` tokens until the last page.
///
/// A 404 (the kind is not served, e.g. Flux's CRDs are not installed) is `Ok(None)`.
pub(crate) async fn list_all<K>(
    api: &Api<K>,
    params: &ListParams,
    call: &ApiCall<'_>,
) -> Result<Option<Vec<K>>, Error>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut page_params = params.clone().limit(PAGE_SIZE);
        if let Some(token) = &token {
            page_params = page_params.continue_token(token);
        }
        let page = match api.list(&page_params).await {
            Ok(page) => page,
            Err(kube::Error::Api(status)) if status.code == 404 && token.is_none() => {
                return Ok(None);
            }
            Err(e) => return Err(call.error(e)),
        };
        items.extend(page.items);
        match page.metadata.continue_.filter(|t| !t.is_empty()) {
            Some(next) if token.as_deref() == Some(next.as_str()) => {
                return Err(Error::RepeatedContinueToken {
                    server: call.server.to_owned(),
                    resource: call.resource.clone(),
                });
            }
            Some(next) => token = Some(next),
            None => return Ok(Some(items)),
        }
    }
}
