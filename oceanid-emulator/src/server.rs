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

/// Closes the connection a request came on, without an answer. In every request's extensions.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionKiller(Arc<Notify>);

impl ConnectionKiller {
    pub(crate) fn kill(&self) {
        self.0.notify_one();
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then closes every connection.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
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
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                }
                () = kill.notified() => {
                    tracing::debug!(%peer, "connection dropped on purpose");
                }
                () = shutdown.cancelled() => {}
            }
        });
    }
    connections.shutdown().await;
}
