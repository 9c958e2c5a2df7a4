//! TLS on the API port, beside plain HTTP: kubectl sends a kubeconfig's credentials only over
//! `https` (client-go drops the user's token and certificates for an `http` server), so the
//! emulator also answers TLS on the same port, with a certificate for `127.0.0.1` and
//! `localhost` signed by a throwaway CA that the written kubeconfig trusts.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::postgres::generate_certificates;

/// The server side of the API's TLS.
#[derive(Clone)]
pub(crate) struct ApiTls {
    /// Accepts TLS connections with the generated certificate.
    pub acceptor: TlsAcceptor,
    /// The CA that signed it (PEM), for clients to trust.
    pub ca_pem: String,
}

impl std::fmt::Debug for ApiTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTls").finish_non_exhaustive()
    }
}

impl ApiTls {
    /// A fresh CA and server certificate.
    pub(crate) fn generate() -> Result<ApiTls, String> {
        let (ca_pem, cert_pem, key_pem) =
            generate_certificates().map_err(|e| format!("generating certificates: {e}"))?;
        let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("reading the generated certificate: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| format!("reading the generated key: {e}"))?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("configuring TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("configuring TLS: {e}"))?;
        let mut config = config;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ApiTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
        })
    }
}
