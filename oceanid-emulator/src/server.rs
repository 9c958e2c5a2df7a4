//! The HTTP/1.1 server: an accept loop that can drop one connection without answering (for the
//! `drop_after_commit` fault), which `axum::serve` cannot.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::tls::ApiTls;

/// Closes the connection a request came on, without an answer. In every request's extensions.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionKiller(Arc<Notify>);

impl ConnectionKiller {
    pub(crate) fn kill(&self) {
        self.0.notify_one();
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then closes every connection.
/// A connection whose first byte is a TLS handshake record is served over `tls`; any other as
/// plain HTTP.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    tls: ApiTls,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            // Reap finished connection tasks as we go.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let kill = Arc::new(Notify::new());
            let killer = ConnectionKiller(kill.clone());
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(killer.clone());
                let router = router.clone();
                async move {
                    Ok::<_, Infallible>(
                        router
                            .oneshot(req.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|never| match never {}),
                    )
                }
            });
            let mut first = [0u8; 1];
            let is_tls = tokio::select! {
                peeked = stream.peek(&mut first) => matches!(peeked, Ok(1)) && first[0] == TLS_HANDSHAKE,
                () = shutdown.cancelled() => return,
            };
            let result = if is_tls {
                let accepted = tokio::select! {
                    accepted = tls.acceptor.accept(stream) => accepted,
                    () = shutdown.cancelled() => return,
                };
                match accepted {
                    Ok(stream) => serve_connection(TokioIo::new(stream), service, &kill, &shutdown).await,
                    Err(error) => {
                        tracing::debug!(%peer, %error, "TLS handshake failed");
                        return;
                    }
                }
            } else {
                serve_connection(TokioIo::new(stream), service, &kill, &shutdown).await
            };
            match result {
                Ended::Error(error) => tracing::debug!(%peer, %error, "connection ended with an error"),
                Ended::Killed => tracing::debug!(%peer, "connection dropped on purpose"),
                Ended::Done => {}
            }
        });
    }
    connections.shutdown().await;
}

/// The first byte of a TLS connection (a handshake record).
const TLS_HANDSHAKE: u8 = 0x16;

/// How a connection ended.
enum Ended {
    Done,
    Killed,
    Error(hyper::Error),
}

/// Serves HTTP/1.1 on `io` until the client closes, the connection is killed or the server
/// shuts down.
async fn serve_connection<I, S>(
    io: I,
    service: S,
    kill: &Notify,
    shutdown: &CancellationToken,
) -> Ended
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming> + Send,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::select! {
        result = connection => match result {
            Ok(()) => Ended::Done,
            Err(error) => Ended::Error(error),
        },
        () = kill.notified() => Ended::Killed,
        () = shutdown.cancelled() => Ended::Done,
    }
}
