//! HTTPS served by the binary itself (rustls with ring; no OpenSSL), for deployments without a
//! TLS-terminating proxy in front.

use std::path::Path;

use anyhow::Context;
use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::STRICT_TRANSPORT_SECURITY;
use axum_server::tls_rustls::RustlsConfig;
use tower_http::set_header::SetResponseHeaderLayer;

/// Browsers keep to HTTPS for this long once they have seen it (one year).
const HSTS: &str = "max-age=31536000";

/// The TLS configuration from PEM files: a certificate chain and its private key.
pub async fn server_config(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    // One provider for the whole process (sqlx's TLS uses ring too); installing it twice is
    // harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "reading TLS certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })
}

/// The router, with `Strict-Transport-Security` on every answer.
pub fn with_hsts(router: Router) -> Router {
    router.layer(SetResponseHeaderLayer::if_not_present(
        STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(HSTS),
    ))
}
