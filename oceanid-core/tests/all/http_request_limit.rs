//! The executor's cap on requests on the wire, measured by a server that counts the requests it
//! is answering at once: never more than the cap, and no slot held while a request waits for a
//! `Retry-After`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oceanid_core::crunchybridge::{Bridge, BridgeApi};
use oceanid_core::http::{Executor, RequestLimit};
use reqwest::Method;

/// What the counting server saw.
#[derive(Default)]
struct Counts {
    now: AtomicUsize,
    peak: AtomicUsize,
    served: AtomicUsize,
    /// `/limited/…` answers 429 (`Retry-After: 1`) to its first this-many requests.
    limited_left: AtomicUsize,
}

/// Answers every request after `delay`, counting how many it is answering at once; paths under
/// `/limited/` answer 429 first (see [`Counts::limited_left`]).
async fn counting_server(counts: Arc<Counts>, delay: Duration) -> String {
    async fn answer(
        State((counts, delay)): State<(Arc<Counts>, Duration)>,
        Path(path): Path<String>,
    ) -> Response {
        let now = counts.now.fetch_add(1, Ordering::SeqCst) + 1;
        counts.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(delay).await;
        counts.now.fetch_sub(1, Ordering::SeqCst);
        counts.served.fetch_add(1, Ordering::SeqCst);
        let limited = path.starts_with("limited/")
            && counts
                .limited_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        if limited {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1"), ("content-type", "application/json")],
                r#"{"message":"slow down","request_id":"r-429"}"#,
            )
                .into_response();
        }
        ([("content-type", "application/json")], "{}").into_response()
    }
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::any(answer))
        .with_state((counts, delay));
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("binding the counting server: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn executor(base_url: &str, limit: Option<RequestLimit>) -> Executor<BridgeApi> {
    match Executor::builder(BridgeApi, base_url)
        .token(Some("cbkey_limit_test_Quiet-Otter-71".to_owned().into()))
        .request_limit(limit)
        .build()
    {
        Ok(e) => e,
        Err(e) => panic!("building the executor: {e}"),
    }
}

fn soon() -> Option<Instant> {
    Some(Instant::now() + Duration::from_secs(30))
}

async fn get_all(exec: &Executor<BridgeApi>, paths: Vec<String>) -> Vec<Result<(), String>> {
    let calls = paths.into_iter().map(|p| {
        let exec = exec.clone();
        async move {
            let req = exec.request(Method::GET, &[&p]);
            exec.send(req, soon())
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    });
    futures::future::join_all(calls).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_the_cap_on_the_wire() {
    let counts = Arc::new(Counts::default());
    let base = counting_server(counts.clone(), Duration::from_millis(30)).await;
    let exec = executor(&base, Some(RequestLimit::new(4)));
    let results = get_all(&exec, (0..40).map(|i| format!("r{i}")).collect()).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(counts.served.load(Ordering::SeqCst), 40);
    let peak = counts.peak.load(Ordering::SeqCst);
    assert_eq!(
        peak, 4,
        "the server saw {peak} requests at once, the cap is 4"
    );
    assert_eq!(exec.request_limit().map(RequestLimit::available), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cap_every_request_goes_at_once() {
    // The control for the test above: the server can see more than 4 at once.
    let counts = Arc::new(Counts::default());
    let base = counting_server(counts.clone(), Duration::from_millis(100)).await;
    let exec = executor(&base, None);
    let results = get_all(&exec, (0..12).map(|i| format!("r{i}")).collect()).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(counts.peak.load(Ordering::SeqCst) > 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_cap_is_ten_and_executors_sharing_a_limit_share_it() {
    let counts = Arc::new(Counts::default());
    let base = counting_server(counts.clone(), Duration::from_millis(30)).await;
    let default = match Executor::builder(BridgeApi, base.clone()).build() {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(default.request_limit().map(RequestLimit::max), Some(10));
    let _ = get_all(&default, (0..30).map(|i| format!("d{i}")).collect()).await;
    assert_eq!(counts.peak.load(Ordering::SeqCst), 10);

    let counts = Arc::new(Counts::default());
    let base = counting_server(counts.clone(), Duration::from_millis(30)).await;
    let shared = RequestLimit::new(3);
    let a = executor(&base, Some(shared.clone()));
    let b = executor(&base, Some(shared));
    let paths = || (0..15).map(|i| format!("s{i}")).collect::<Vec<_>>();
    let (ra, rb) = tokio::join!(get_all(&a, paths()), get_all(&b, paths()));
    assert!(ra.iter().chain(&rb).all(Result::is_ok));
    assert_eq!(counts.peak.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_waiting_for_retry_after_holds_no_slot() {
    let counts = Arc::new(Counts::default());
    counts.limited_left.store(1, Ordering::SeqCst);
    let base = counting_server(counts.clone(), Duration::from_millis(5)).await;
    // One slot: if the 429'd request kept it through its 1 s wait, the other could not go.
    let exec = executor(&base, Some(RequestLimit::new(1)));
    let started = Instant::now();
    let limited = {
        let exec = exec.clone();
        tokio::spawn(async move {
            let req = exec.request(Method::GET, &["limited", "a"]);
            let r = exec.send(req, soon()).await;
            (r.map(drop).map_err(|e| e.to_string()), started.elapsed())
        })
    };
    // Let the first request draw its 429 and start waiting.
    while counts.served.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut others = Vec::new();
    for i in 0..5 {
        let req = exec.request(Method::GET, &[&format!("free{i}")]);
        others.push(exec.send(req, soon()).await.map(drop));
    }
    let others_done = started.elapsed();
    assert!(others.iter().all(Result::is_ok), "{others:?}");
    assert!(
        others_done < Duration::from_millis(800),
        "5 requests took until {others_done:?}: the waiting request held the only slot"
    );
    let (result, limited_done) = match limited.await {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(result.is_ok(), "{result:?}");
    assert!(
        limited_done >= Duration::from_secs(1),
        "the 429'd request came back after {limited_done:?}, before its Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_passing_while_waiting_for_a_slot_is_a_timeout_that_sent_nothing() {
    let counts = Arc::new(Counts::default());
    let base = counting_server(counts.clone(), Duration::from_millis(400)).await;
    let exec = executor(&base, Some(RequestLimit::new(1)));
    let busy = {
        let exec = exec.clone();
        tokio::spawn(async move {
            let req = exec.request(Method::GET, &["slow"]);
            exec.send(req, soon()).await.map(drop)
        })
    };
    while counts.now.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let req = exec
        .request(Method::POST, &["never"])
        .json(&serde_json::json!({}));
    let err = match exec
        .send(req, Some(Instant::now() + Duration::from_millis(50)))
        .await
    {
        Ok(_) => panic!("the request went out although the only slot was taken"),
        Err(e) => e,
    };
    assert!(err.is_timeout(), "{err}");
    assert!(err.is_not_sent() && !err.is_maybe_sent(), "{err:?}");
    assert!(matches!(busy.await, Ok(Ok(()))));
    assert_eq!(
        counts.served.load(Ordering::SeqCst),
        1,
        "only the slow request was served"
    );
}

#[test]
fn the_bridge_client_is_capped_at_ten_unless_told_otherwise() {
    let build = |b: oceanid_core::crunchybridge::BridgeBuilder| match b
        .api_key("cbkey_x")
        .base_url("http://127.0.0.1:9")
        .build()
    {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(build(Bridge::builder()).max_concurrent_requests(), Some(10));
    let seven = build(Bridge::builder().max_concurrent_requests(7));
    assert_eq!(seven.max_concurrent_requests(), Some(7));
    // Deadline handles share the client's slots.
    let handle = seven.with_timeout(Duration::from_secs(5));
    assert_eq!(handle.max_concurrent_requests(), Some(7));
}
