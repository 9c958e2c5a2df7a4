//! Pagination strategies: one page at a time, or a stream over every item of every page.
//!
//! - **Cursor** ([`paginate`]): each page says whether more follow and gives the cursor of the
//!   next (Crunchy Bridge's `has_more`/`next_cursor`). The stream follows cursors until the
//!   server says there is no more, and stops (with a warning) if a cursor comes back that it has
//!   already followed, so a server bug cannot loop the client forever.
//! - **Page number** ([`paginate_numbered`]): `page`/`per_page` query parameters, and a
//!   [`PageInfo`] (Cloudflare's `result_info`) with the totals. The stream asks for pages 1, 2,
//!   … until a page is empty or the totals say it was the last.

use std::collections::HashSet;
use std::future::Future;

use futures::stream::{self, Stream, TryStreamExt};

/// One page of a cursor-paginated list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items on this page, in the server's order.
    pub items: Vec<T>,
    /// Whether the server says another page follows.
    pub has_more: bool,
    /// The cursor to pass for the next page, when there is one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page that ends the list.
    #[must_use]
    pub fn last(items: Vec<T>) -> Self {
        Self {
            items,
            has_more: false,
            next_cursor: None,
        }
    }

    /// Build a page from what a list response says. `has_more` may be absent (some lists do
    /// not document it): then a present, non-empty `next_cursor` means there is more.
    #[must_use]
    pub fn from_parts(items: Vec<T>, has_more: Option<bool>, next_cursor: Option<String>) -> Self {
        let next_cursor = next_cursor.filter(|c| !c.is_empty());
        let has_more = has_more.unwrap_or(next_cursor.is_some());
        Self {
            items,
            has_more,
            next_cursor,
        }
    }

    /// The cursor of the next page, if the list goes on.
    #[must_use]
    pub fn next(&self) -> Option<&str> {
        if self.has_more {
            self.next_cursor.as_deref()
        } else {
            None
        }
    }

    /// Map the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_more: self.has_more,
            next_cursor: self.next_cursor,
        }
    }
}

struct Cursors<F> {
    fetch: F,
    /// `None` once the list has ended; `Some(cursor)` for the next page to fetch.
    next: Option<Option<String>>,
    seen: HashSet<String>,
}

/// Every item of every page, fetching pages lazily: `fetch(None)` gets the first page, then
/// `fetch(Some(cursor))` each following one.
///
/// The stream ends after the last page, after the first error (which it yields), or when the
/// server hands back a cursor the stream has already followed (logged as a warning).
///
/// ```
/// # futures::executor::block_on(async {
/// use futures::TryStreamExt;
/// use oceanid_core::http::{Page, paginate};
///
/// // A server that keeps answering the same cursor: the stream still ends.
/// let items: Vec<u32> = paginate(|cursor: Option<String>| async move {
///     Ok::<_, std::convert::Infallible>(match cursor {
///         None => Page::from_parts(vec![1, 2], Some(true), Some("a".into())),
///         Some(_) => Page::from_parts(vec![3], Some(true), Some("a".into())),
///     })
/// })
/// .try_collect()
/// .await
/// .unwrap();
/// assert_eq!(items, [1, 2, 3]);
/// # });
/// ```
pub fn paginate<T, E, F, Fut>(fetch: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
{
    let state = Cursors {
        fetch,
        next: Some(None),
        seen: HashSet::new(),
    };
    stream::unfold(state, |mut state| async move {
        let cursor = state.next.take()?;
        match (state.fetch)(cursor).await {
            Ok(page) => {
                if let Some(next) = page.next() {
                    if state.seen.insert(next.to_owned()) {
                        state.next = Some(Some(next.to_owned()));
                    } else {
                        tracing::warn!(
                            cursor = next,
                            "the server repeated a pagination cursor; stopping the list here"
                        );
                    }
                } else if page.has_more {
                    tracing::warn!("the server said more pages follow but gave no cursor");
                }
                Some((Ok(page.items), state))
            }
            Err(e) => Some((Err(e), state)),
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// What a page-numbered list says about where it stands (Cloudflare's `result_info`); every
/// field is optional, as APIs leave some out.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct PageInfo {
    /// This page's number (from 1).
    pub page: Option<u64>,
    /// Items per page.
    pub per_page: Option<u64>,
    /// Items on this page.
    pub count: Option<u64>,
    /// Items in the whole list.
    pub total_count: Option<u64>,
    /// Pages in the whole list.
    pub total_pages: Option<u64>,
}

impl PageInfo {
    /// Whether the page numbered `page` (holding `items` items, after `seen` items on earlier
    /// pages) was the last, by the totals the server gave.
    #[must_use]
    pub fn is_last(&self, page: u64, seen: u64, items: u64) -> bool {
        self.total_pages.is_some_and(|total| page >= total)
            || self.total_count.is_some_and(|total| seen + items >= total)
    }
}

/// The most pages [`paginate_numbered`] fetches: a bound against a server that never ends a
/// list.
pub const MAX_PAGES: u64 = 10_000;

/// Every item of every page of a page-numbered list: `fetch(1)`, `fetch(2)`, … until a page is
/// empty, the [`PageInfo`] says it was the last, or [`MAX_PAGES`] pages were read.
///
/// ```
/// # futures::executor::block_on(async {
/// use futures::TryStreamExt;
/// use oceanid_core::http::pagination::{PageInfo, paginate_numbered};
///
/// let items: Vec<u64> = paginate_numbered(|page| async move {
///     let info = PageInfo { total_pages: Some(2), ..PageInfo::default() };
///     Ok::<_, std::convert::Infallible>((vec![page * 10, page * 10 + 1], Some(info)))
/// })
/// .try_collect()
/// .await
/// .unwrap();
/// assert_eq!(items, [10, 11, 20, 21]);
/// # });
/// ```
pub fn paginate_numbered<T, E, F, Fut>(fetch: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<PageInfo>), E>>,
{
    // (fetch, next page to ask for, items seen so far); `None` page once the list has ended.
    stream::unfold(
        (fetch, Some(1_u64), 0_u64),
        |(mut fetch, page, seen)| async move {
            let page = page?;
            match fetch(page).await {
                Ok((items, info)) => {
                    let n = items.len() as u64;
                    let last = n == 0
                        || info.is_some_and(|i| i.is_last(page, seen, n))
                        || page >= MAX_PAGES;
                    let next = (!last).then_some(page + 1);
                    Some((Ok(items), (fetch, next, seen + n)))
                }
                Err(e) => Some((Err(e), (fetch, None, seen))),
            }
        },
    )
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use futures::executor::block_on;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn follows_cursors_to_the_end() {
        let calls = AtomicUsize::new(0);
        let items: Vec<u32> = block_on(
            paginate(|c: Option<String>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    Ok::<_, ()>(match c.as_deref() {
                        None => Page::from_parts(vec![1], Some(true), Some("b".into())),
                        Some("b") => Page::from_parts(vec![2], Some(true), Some("c".into())),
                        _ => Page::from_parts(vec![3], Some(false), None),
                    })
                }
            })
            .try_collect(),
        )
        .unwrap();
        assert_eq!(items, [1, 2, 3]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn stops_on_a_cursor_seen_before() {
        // a -> b -> a would loop forever without the guard.
        let items: Vec<u32> = block_on(
            paginate(|c: Option<String>| async move {
                Ok::<_, ()>(match c.as_deref() {
                    None => Page::from_parts(vec![1], Some(true), Some("a".into())),
                    Some("a") => Page::from_parts(vec![2], Some(true), Some("b".into())),
                    _ => Page::from_parts(vec![3], Some(true), Some("a".into())),
                })
            })
            .try_collect(),
        )
        .unwrap();
        assert_eq!(items, [1, 2, 3]);
    }

    #[test]
    fn numbered_pages_stop_on_an_empty_page_or_the_totals() {
        let calls = AtomicUsize::new(0);
        // No totals: ends on the first empty page.
        let items: Vec<u64> = block_on(
            paginate_numbered(|p| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { Ok::<_, ()>((if p <= 2 { vec![p] } else { vec![] }, None)) }
            })
            .try_collect(),
        )
        .unwrap();
        assert_eq!(items, [1, 2]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // total_count says the second page was the last: no third request.
        calls.store(0, Ordering::SeqCst);
        let info = PageInfo {
            total_count: Some(4),
            ..PageInfo::default()
        };
        let items: Vec<u64> = block_on(
            paginate_numbered(|p| {
                calls.fetch_add(1, Ordering::SeqCst);
                let info = info.clone();
                async move { Ok::<_, ()>((vec![p, p], Some(info))) }
            })
            .try_collect(),
        )
        .unwrap();
        assert_eq!(items, [1, 1, 2, 2]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn missing_has_more_follows_a_present_cursor() {
        let p = Page::from_parts(vec![1], None, Some("x".into()));
        assert_eq!(p.next(), Some("x"));
        let p = Page::from_parts(vec![1], None, Some(String::new()));
        assert_eq!(p.next(), None);
        let p = Page::from_parts(vec![1], Some(true), None);
        assert_eq!(p.next(), None);
        assert_eq!(Page::last(vec![1]).map(|x| x + 1).items, [2]);
    }

    #[test]
    fn an_error_ends_the_stream() {
        let out: Vec<Result<u32, &str>> = block_on(
            paginate(|c: Option<String>| async move {
                match c {
                    None => Ok(Page::from_parts(vec![1], Some(true), Some("a".into()))),
                    Some(_) => Err("boom"),
                }
            })
            .collect(),
        );
        assert_eq!(out, [Ok(1), Err("boom")]);
    }
}
