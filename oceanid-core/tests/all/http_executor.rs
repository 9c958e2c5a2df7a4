//! The request executor on its own: an API described as Cloudflare's v4 (envelope errors,
//! `cf-ray`, code 971, page/per_page), capped bodies, redirects and connection failures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use oceanid_core::crunchybridge::Bridge;
use oceanid_core::http::{
    ApiDescription, ConnectFailure, Error, ErrorBody, Executor, PageInfo, RetryPolicy,
    paginate_numbered,
};
use reqwest::Method;
use serde_json::json;

use crate::bridge_mock_server::{MockServer, Reply};

/// Distinctive, so a leak shows up in any output.
const TOKEN: &str = "cf-token-Lanky-Heron-4410";

/// A test description shaped as Cloudflare's v4 API (see shared/reference/cloudflare-zero-trust.md).
#[derive(Debug)]
struct CloudflareLike;

impl ApiDescription for CloudflareLike {
    fn name(&self) -> &'static str {
        "Cloudflare"
    }

    fn credentials_hint(&self) -> &'static str {
        "check the API token (CLOUDFLARE_API_TOKEN)"
    }

    fn decode_error(&self, _status: u16, body: &[u8]) -> Option<ErrorBody> {
        #[derive(serde::Deserialize)]
        struct Envelope {
            #[serde(default)]
            errors: Vec<Item>,
        }
        #[derive(serde::Deserialize)]
        struct Item {
            code: i64,
            message: String,
        }
        let e: Envelope = serde_json::from_slice(body).ok()?;
        let first = e.errors.first()?;
        Some(ErrorBody {
            code: Some(first.code.to_string()),
            message: Some(
                e.errors
                    .iter()
                    .map(|i| format!("{} ({})", i.message, i.code))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            request_id: None,
            is_transient: false,
        })
    }

    fn is_transient(&self, _status: u16, body: &ErrorBody) -> bool {
        body.code.as_deref() == Some("971")
    }

    fn request_id_headers(&self) -> &'static [&'static str] {
        &["cf-ray"]
    }

    fn request_id_header_to_send(&self) -> Option<&'static str> {
        None
    }
}

#[derive(serde::Deserialize)]
struct Envelope<T> {
    result: Option<T>,
    #[serde(default)]
    result_info: Option<PageInfo>,
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .with_min_delay(Duration::from_millis(10))
        .with_max_delay(Duration::from_millis(40))
}

fn cloudflare(base_url: &str) -> Executor<CloudflareLike> {
    match Executor::builder(CloudflareLike, base_url)
        .token(Some(TOKEN.to_owned().into()))
        .retry(fast())
        .build()
    {
        Ok(e) => e,
        Err(e) => panic!("building the executor: {e}"),
    }
}

fn soon() -> Option<Instant> {
    Some(Instant::now() + Duration::from_secs(20))
}

#[tokio::test]
async fn cloudflare_errors_decode_with_code_and_cf_ray() {
    let mock = MockServer::start().await;
    mock.expect(
        "POST",
        "/client/v4/zones/z/dns_records",
        [Reply::json(
            400,
            json!({"result": null, "success": false, "messages": [],
                   "errors": [{"code": 81058, "message": "An identical record already exists."}]}),
        )
        .header("cf-ray", "8f1c2d3e4a5b6c7d-AMS")],
    );
    let cf = cloudflare(&format!("{}/client/v4", mock.base_url()));
    let req = cf
        .request(Method::POST, &["zones", "z", "dns_records"])
        .json(&json!({"type": "A"}));
    let err = cf.send(req, soon()).await.expect_err("a 400");
    assert_eq!(err.code(), Some("81058"));
    assert_eq!(err.request_id(), Some("8f1c2d3e4a5b6c7d-AMS"));
    let text = err.to_string();
    assert!(
        text.starts_with("Cloudflare: POST /zones/z/dns_records answered HTTP 400")
            && text.contains("An identical record already exists. (81058)"),
        "{text}"
    );
    let hit = &mock.hits("POST", "/client/v4/zones/z/dns_records")[0];
    assert_eq!(
        hit.header("authorization").as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(hit.header("x-request-id"), None, "Cloudflare reads none");
    assert!(!format!("{err:?} {cf:?}").contains(TOKEN));
}

#[tokio::test]
async fn cloudflare_rate_limit_971_waits_for_retry_after_then_succeeds() {
    let mock = MockServer::start().await;
    let limited = Reply::json(
        429,
        json!({"success": false, "errors": [{"code": 971, "message": "Please wait and consider throttling your request speed"}], "messages": [], "result": null}),
    )
    .header("retry-after", "1");
    mock.expect(
        "GET",
        "/client/v4/user/tokens/verify",
        [
            limited,
            Reply::json(
                200,
                json!({"success": true, "errors": [], "messages": [], "result": {"id": "t", "status": "active"}}),
            ),
        ],
    );
    let cf = cloudflare(&format!("{}/client/v4", mock.base_url()));
    let started = Instant::now();
    let answer = cf
        .send_json::<Envelope<serde_json::Value>>(
            cf.request(Method::GET, &["user", "tokens", "verify"]),
            soon(),
        )
        .await
        .expect("the retry gets through");
    let waited = started.elapsed();
    assert_eq!(answer.value.result.expect("result")["status"], "active");
    assert_eq!(mock.hits("GET", "/client/v4/user/tokens/verify").len(), 2);
    // Exactly the server's second plus at most a small spread: not an exponential guess.
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_millis(1_600),
        "{waited:?}"
    );
}

#[tokio::test]
async fn cloudflare_post_without_an_idempotency_header_is_never_retried() {
    let mock = MockServer::start().await;
    mock.expect(
        "POST",
        "/client/v4/accounts/a/tunnels",
        [Reply::json(
            503,
            json!({"success": false, "errors": [{"code": 10001, "message": "busy"}]}),
        )],
    );
    let cf = cloudflare(&format!("{}/client/v4", mock.base_url()));
    let req = cf
        .request(Method::POST, &["accounts", "a", "tunnels"])
        .idempotency_key("k-1")
        .json(&json!({"name": "t"}));
    let err = cf.send(req, soon()).await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(mock.hits("POST", "/client/v4/accounts/a/tunnels").len(), 1);
    assert_eq!(
        mock.hits("POST", "/client/v4/accounts/a/tunnels")[0].header("idempotency-key"),
        None,
        "an API without an idempotency header gets no key"
    );
}

#[tokio::test]
async fn cloudflare_pages_by_number_until_result_info_says_the_last() {
    let mock = MockServer::start().await;
    // The mock matches paths without the query: answer pages 1, 2, 3 in turn.
    let page = |items: serde_json::Value, page: u64| {
        Reply::json(
            200,
            json!({"success": true, "errors": [], "messages": [], "result": items,
                   "result_info": {"page": page, "per_page": 2, "count": 2, "total_count": 5, "total_pages": 3}}),
        )
    };
    mock.expect(
        "GET",
        "/client/v4/accounts/a/teamnet/routes",
        [
            page(json!([{"id": 1}, {"id": 2}]), 1),
            page(json!([{"id": 3}, {"id": 4}]), 2),
            page(json!([{"id": 5}]), 3),
        ],
    );
    let cf = cloudflare(&format!("{}/client/v4", mock.base_url()));
    let ids: Vec<u64> = paginate_numbered(|n| {
        let cf = cf.clone();
        async move {
            let req = cf
                .request(Method::GET, &["accounts", "a", "teamnet", "routes"])
                .query("page", &n.to_string())
                .query("per_page", "2");
            let env = cf
                .send_json::<Envelope<Vec<serde_json::Value>>>(req, soon())
                .await?
                .value;
            let items = env.result.unwrap_or_default();
            Ok::<_, Error>((
                items.iter().filter_map(|i| i["id"].as_u64()).collect(),
                env.result_info,
            ))
        }
    })
    .try_collect()
    .await
    .expect("every page");
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let hits = mock.hits("GET", "/client/v4/accounts/a/teamnet/routes");
    let queries: Vec<_> = hits.iter().filter_map(|h| h.query.clone()).collect();
    assert_eq!(
        queries,
        [
            "page=1&per_page=2",
            "page=2&per_page=2",
            "page=3&per_page=2"
        ],
        "no fourth request after total_pages"
    );
}

/// A server whose one route streams an endless body, counting the bytes it managed to send.
async fn endless_body_server(sent: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().route(
        "/huge",
        axum::routing::get(move || {
            let sent = Arc::clone(&sent);
            async move {
                let chunk = vec![b'x'; 64 * 1024];
                let stream = futures::stream::repeat(chunk).map(move |c| {
                    sent.fetch_add(c.len(), Ordering::SeqCst);
                    Ok::<_, std::io::Error>(c)
                });
                axum::response::Response::builder()
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from_stream(stream))
                    .expect("response")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_endless_body_stops_at_the_limit_with_a_clear_error() {
    let sent = Arc::new(AtomicUsize::new(0));
    let base = endless_body_server(Arc::clone(&sent)).await;
    let cf = cloudflare(&base);
    let limit = 1024 * 1024;
    let req = cf.request(Method::GET, &["huge"]).body_limit(limit);
    let err = cf.send(req, soon()).await.expect_err("too large");
    let text = err.to_string();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: l, .. } if l == limit),
        "{err:?}"
    );
    assert!(
        text.contains(&format!("{base}/huge")) && text.contains("1048576 bytes"),
        "{text}"
    );
    assert!(!err.is_retryable(), "a huge body will be huge again");
    // The read stopped early: the server got only socket buffers' worth past the limit out.
    let streamed = sent.load(Ordering::SeqCst);
    assert!(
        streamed < 16 * limit,
        "the client kept reading: {streamed} bytes"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let mock = MockServer::start().await;
    mock.expect(
        "GET",
        "/clusters",
        [Reply::raw(200, "application/json", &"x".repeat(10_000))],
    );
    let bridge = Bridge::builder()
        .api_key("cbkey_x")
        .base_url(mock.base_url())
        .build()
        .expect("client");
    let err = bridge
        .request(Method::GET, "/clusters")
        .body_limit(1_000)
        .send::<serde_json::Value>()
        .await
        .expect_err("over the limit");
    assert!(err.to_string().contains("limit of 1000 bytes"), "{err}");
}

#[tokio::test]
async fn redirects_are_errors_and_never_resend_the_body() {
    let elsewhere = MockServer::start().await;
    let mock = MockServer::start().await;
    mock.expect(
        "POST",
        "/clusters",
        [Reply::raw(307, "text/plain", "").header(
            "location",
            &format!("{}/clusters?steal=1", elsewhere.base_url()),
        )],
    );
    let bridge = Bridge::builder()
        .api_key("cbkey_Redirected-Walrus-1")
        .base_url(mock.base_url())
        .build()
        .expect("client");
    let err = bridge
        .request(Method::POST, "/clusters")
        .json(&json!({"name": "c"}))
        .send::<serde_json::Value>()
        .await
        .expect_err("a redirect");
    let text = err.to_string();
    assert!(
        matches!(err, Error::Redirect { status: 307, .. }),
        "{err:?}"
    );
    assert!(
        text.contains("HTTP 307") && text.contains(elsewhere.base_url()) && !text.contains("steal"),
        "{text}"
    );
    assert!(elsewhere.hits("POST", "/clusters").is_empty());
    assert_eq!(mock.hits("POST", "/clusters").len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_not_sent_and_names_host_and_port() {
    // Bind then drop: nothing listens on this port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let cf = cloudflare(&format!("http://127.0.0.1:{port}"));
    let err = cf
        .send(cf.request(Method::POST, &["things"]), soon())
        .await
        .expect_err("refused");
    let Error::NotSent { cause, target, .. } = &err else {
        panic!("expected NotSent: {err:?}");
    };
    assert_eq!(*cause, ConnectFailure::Refused);
    assert_eq!(target, &format!("127.0.0.1:{port}"));
    assert!(err.is_not_sent() && !err.is_maybe_sent());
    let text = err.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) && text.contains("refused"),
        "{text}"
    );

    // GETs retry until the deadline: a timeout made only of refusals was never sent either.
    let cf = cloudflare(&format!("http://127.0.0.1:{port}"));
    let err = cf
        .send(
            cf.request(Method::GET, &["things"]),
            Some(Instant::now() + Duration::from_millis(300)),
        )
        .await
        .expect_err("refused until the deadline");
    assert!(err.is_timeout() && err.is_not_sent(), "{err:?}");
    assert!(
        err.to_string().contains("no attempt reached the server"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unresolvable_host_is_a_dns_failure_not_sent() {
    let cf = match Executor::builder(CloudflareLike, "https://no-such-host.invalid")
        .retry(RetryPolicy::never())
        .build()
    {
        Ok(e) => e,
        Err(e) => panic!("building: {e}"),
    };
    let err = cf
        .send(cf.request(Method::POST, &["x"]), soon())
        .await
        .expect_err("no such host");
    let Error::NotSent { cause, target, .. } = &err else {
        panic!("expected NotSent: {err:?}");
    };
    assert_eq!(*cause, ConnectFailure::Dns, "{err}");
    assert_eq!(target, "no-such-host.invalid:443");
    assert!(err.to_string().contains("DNS"), "{err}");
}

#[test]
fn the_bridge_client_refuses_plain_http_off_loopback_and_embedded_credentials() {
    let err = Bridge::builder()
        .base_url("http://api.crunchybridge.com")
        .build()
        .expect_err("plain http to a remote host");
    let text = err.to_string();
    assert!(
        text.contains("https://") && text.contains("loopback"),
        "{text}"
    );
    let err = Bridge::builder()
        .base_url("https://ops:Hidden-Pass-55@api.crunchybridge.com")
        .build()
        .expect_err("credentials in the URL");
    let text = err.to_string();
    assert!(
        !text.contains("Hidden-Pass-55") && !text.contains("ops:") && text.contains("credentials"),
        "{text}"
    );
    let err = Bridge::builder()
        .base_url(&format!("not a url {}", "z".repeat(10_000)))
        .build()
        .expect_err("not a URL");
    assert!(err.to_string().len() < 500, "{}", err.to_string().len());
    assert!(
        Bridge::builder()
            .base_url("http://localhost:8080")
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn a_send_once_request_is_never_sent_again() {
    let mock = MockServer::start().await;
    let path = "/client/v4/accounts/a/devices/policy/include";
    let unavailable = || {
        Reply::json(
            503,
            json!({"result": null, "success": false, "messages": [],
                   "errors": [{"code": 10000, "message": "temporarily unavailable"}]}),
        )
    };
    mock.expect(
        "PUT",
        path,
        [
            unavailable(),
            unavailable(),
            Reply::json(
                200,
                json!({"result": [], "success": true, "errors": [], "messages": []}),
            ),
        ],
    );
    let cf = cloudflare(&format!("{}/client/v4", mock.base_url()));
    let once = cf
        .request(
            Method::PUT,
            &["accounts", "a", "devices", "policy", "include"],
        )
        .json(&json!([]))
        .send_once();
    let err = cf
        .send(once, soon())
        .await
        .expect_err("the 503 is returned");
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(
        mock.hits("PUT", path).len(),
        1,
        "a send-once PUT was sent again"
    );
    // The same PUT without the option is retried after its 503, and then succeeds.
    let retried = cf
        .request(
            Method::PUT,
            &["accounts", "a", "devices", "policy", "include"],
        )
        .json(&json!([]));
    assert!(cf.send(retried, soon()).await.is_ok());
    assert_eq!(mock.hits("PUT", path).len(), 3);
}
