//! `page`/`per_page` pagination with `result_info`, as Cloudflare's V4 page-paginated lists do.
//! A page past the end is empty (clients page until an empty `result`).

use super::envelope::{CfError, ResultInfo};
use crate::extract::QueryParams;

/// The page a list query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    page: usize,
    per_page: usize,
}

impl PageRequest {
    /// Reads `page` (from 1, default 1) and `per_page` (1 to `max`, default `default`).
    pub(crate) fn parse(
        query: &QueryParams,
        default: usize,
        max: usize,
    ) -> Result<PageRequest, CfError> {
        let number = |name: &str, default: usize, max: usize| match query.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    CfError::invalid_query(format!(
                        "{name} must be a whole number from 1 to {max}, not {raw:?}"
                    ))
                }),
        };
        Ok(PageRequest {
            page: number("page", 1, 1_000_000)?,
            per_page: number("per_page", default, max)?,
        })
    }

    /// The requested page of `items` and its `result_info`.
    pub(crate) fn apply<T>(self, items: Vec<T>) -> (Vec<T>, ResultInfo) {
        let total_count = items.len();
        let total_pages = total_count.div_ceil(self.per_page);
        let skip = (self.page - 1).saturating_mul(self.per_page);
        let page: Vec<T> = items.into_iter().skip(skip).take(self.per_page).collect();
        let info = ResultInfo {
            page: self.page,
            per_page: self.per_page,
            count: page.len(),
            total_count,
            total_pages,
        };
        (page, info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> Result<PageRequest, CfError> {
        PageRequest::parse(&QueryParams::parse(Some(query)), 20, 50)
    }

    #[test]
    fn pages() {
        let (items, info) = request("page=2&per_page=2")
            .unwrap()
            .apply(vec![1, 2, 3, 4, 5]);
        assert_eq!(items, vec![3, 4]);
        assert_eq!(
            info,
            ResultInfo {
                page: 2,
                per_page: 2,
                count: 2,
                total_count: 5,
                total_pages: 3
            }
        );
        let (items, info) = request("page=9&per_page=2").unwrap().apply(vec![1, 2, 3]);
        assert!(items.is_empty());
        assert_eq!(info.count, 0);
        let (items, info) = request("").unwrap().apply(vec![1]);
        assert_eq!((items.len(), info.per_page, info.page), (1, 20, 1));
        for bad in ["page=0", "per_page=51", "per_page=x", "page=-1"] {
            assert!(request(bad).is_err(), "{bad}");
        }
    }
}
