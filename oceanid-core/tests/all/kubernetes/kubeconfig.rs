//! Loading kubeconfigs: malformed YAML (with the line), unknown and unset contexts (listing the
//! contexts), an unreachable server (naming it and the likely cause), and the response cap
//! against a loopback socket that never stops sending.

use std::io::Write;

use oceanid_core::kubernetes::{Error, KubeconfigSource, Kubernetes, MAX_RESPONSE_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Distinctive, so a leak shows up in any output.
const TOKEN: &str = "tok-Distinctive-Walrus-4411";

fn kubeconfig(server: &str, current: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n- name: tethys\n  cluster:\n    server: {server}\n\
         contexts:\n- name: tethys\n  context:\n    cluster: tethys\n    user: admin\n- name: oceanid-emulator\n  context:\n    cluster: tethys\n    user: admin\n\
         users:\n- name: admin\n  user:\n    token: {TOKEN}\n"
    )
}

async fn connect_err(source: KubeconfigSource, context: Option<&str>) -> Error {
    match Kubernetes::connect(&source, context).await {
        Ok(k) => panic!("connected to {}", k.server()),
        Err(e) => e,
    }
}

#[tokio::test]
async fn malformed_yaml_names_the_line_and_never_echoes_the_token() {
    let text = format!(
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: \"{TOKEN}\n   bad: [\n"
    );
    let err = connect_err(KubeconfigSource::Content(text), None).await;
    let message = err.to_string();
    assert!(
        matches!(err, Error::MalformedKubeconfig { line: Some(_), .. }),
        "{err:?}"
    );
    assert!(
        message.contains("(given as content) is malformed at line"),
        "{message}"
    );
    assert!(
        !message.contains(TOKEN) && !format!("{err:?}").contains(TOKEN),
        "{message}"
    );
}

#[tokio::test]
async fn a_kubeconfig_of_the_wrong_shape_is_malformed_too() {
    let err = connect_err(
        KubeconfigSource::Content("apiVersion: v1\nclusters: 7\n".into()),
        None,
    )
    .await;
    assert!(matches!(err, Error::MalformedKubeconfig { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unknown_context_lists_the_contexts() {
    let source = KubeconfigSource::Content(kubeconfig("https://127.0.0.1:6443", "tethys"));
    let err = connect_err(source, Some("styx")).await;
    let message = err.to_string();
    assert!(
        message.contains(r#"context "styx" is not in the kubeconfig"#),
        "{message}"
    );
    assert!(
        message.contains("it has: tethys, oceanid-emulator"),
        "{message}"
    );
}

#[tokio::test]
async fn no_current_context_asks_for_one() {
    let text =
        kubeconfig("https://127.0.0.1:6443", "tethys").replace("current-context: tethys\n", "");
    let err = connect_err(KubeconfigSource::Content(text), None).await;
    assert!(
        err.to_string().contains(
            "sets no current-context; pass --context with one of: tethys, oceanid-emulator"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_file_is_named() {
    let err = connect_err(
        KubeconfigSource::Path("/nonexistent/oceanid/kubeconfig".into()),
        None,
    )
    .await;
    assert!(
        err.to_string()
            .contains("cannot read kubeconfig /nonexistent/oceanid/kubeconfig"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_named_with_the_likely_cause() {
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let server = format!("http://127.0.0.1:{port}");
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(kubeconfig(&server, "tethys").as_bytes())
        .expect("write");
    let cluster = Kubernetes::connect(&KubeconfigSource::Path(file.path().to_owned()), None)
        .await
        .expect("connects lazily");
    assert_eq!(cluster.server(), server);
    let err = cluster.nodes().await.expect_err("unreachable");
    assert!(err.is_unreachable(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("cannot reach the Kubernetes API server {server}")),
        "{message}"
    );
    assert!(message.contains("VPN/WARP"), "{message}");
    assert!(!message.contains(TOKEN));
}

#[tokio::test]
async fn a_response_larger_than_the_cap_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 1 << 20];
                let framed = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk,
                    b"\r\n".to_vec(),
                ]
                .concat();
                for _ in 0..(MAX_RESPONSE_BYTES / (1 << 20) + 8) {
                    if socket.write_all(&framed).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let source = KubeconfigSource::Content(kubeconfig(&server, "tethys"));
    let cluster = Kubernetes::connect(&source, None).await.expect("connect");
    let err = cluster.nodes().await.expect_err("too large");
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "sent more than {MAX_RESPONSE_BYTES} bytes for list nodes"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn an_exec_plugin_that_cannot_run_is_a_credentials_error() {
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: tethys\nclusters:\n- name: tethys\n  cluster:\n    server: http://127.0.0.1:9\n\
         contexts:\n- name: tethys\n  context:\n    cluster: tethys\n    user: sso\n\
         users:\n- name: sso\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /nonexistent/oceanid-credential-plugin\n      args: [\"{TOKEN}\"]\n"
    );
    let err = connect_err(KubeconfigSource::Content(text), None).await;
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN), "{err}");
    assert!(
        err.to_string()
            .contains("cannot get credentials for http://127.0.0.1:9"),
        "{err}"
    );
}
