//! ShipCaptainCrew: crew scheduling for sail charters, as an axum router that
//! does not care how it is served. `main.rs` runs it under `lambda_http`
//! behind a function URL, or serves it (with the frontend) over plain HTTP on
//! 127.0.0.1 for local use and browser tests.
//!
//! Start-up reads the configuration from the environment (`config.rs`) and
//! the token-signing secret from SSM Parameter Store, and refuses to start on
//! a missing, short or weak secret.

pub mod after;
pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod email;
pub mod error;
pub mod keyring;
pub mod mail;
pub mod secret;
pub mod signin;
pub mod solar;
pub mod store;
pub mod timing;

pub use app::App;
use app::{Clock, Inner};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

/// Why the app would not start. Never contains the secret.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("reading the signing secret from SSM parameter {name}: {cause}")]
    Secret { name: String, cause: String },
    #[error("refusing to start: SSM parameter {name}: {cause}")]
    WeakSecret { name: String, cause: auth::WeakSecret },
}

impl App {
    /// Builds the app from `cfg`: reads the signing secret from SSM (with
    /// decryption) and checks it.
    pub async fn start(
        sdk: &aws_config::SdkConfig,
        cfg: config::Config,
        outbox: Option<PathBuf>,
    ) -> Result<App, StartError> {
        let name = cfg.secret_parameter.clone();
        let source = keyring::Ssm {
            client: aws_sdk_ssm::Client::new(sdk),
            name: name.clone(),
        };
        let now = jiff::Timestamp::now().as_second();
        let keys = keyring::KeyRing::start(source, &cfg.issuer, &cfg.audience, now)
            .await
            .map_err(|failure| match failure {
                keyring::StartFailure::Read(cause) => StartError::Secret {
                    name: name.clone(),
                    cause,
                },
                keyring::StartFailure::Weak(cause) => StartError::WeakSecret {
                    name: name.clone(),
                    cause,
                },
            })?;
        let mut mailer = mail::Mailer::new(aws_sdk_sesv2::Client::new(sdk), &cfg.sender);
        if let Some(dir) = outbox {
            mailer = mailer.with_outbox(dir);
        }
        let store = store::Store::new(aws_sdk_dynamodb::Client::new(sdk), &cfg.crew_table, &cfg.invites_table);
        Ok(App(Arc::new(Inner {
            cfg,
            store,
            mailer,
            keys,
            clock: Clock::default(),
            after: after::Queue::default(),
        })))
    }
}

/// The application: the API, and the frontend from `frontend` when given
/// (local serving; on AWS the frontend is on S3 + CloudFront).
pub fn router(app: App, frontend: Option<PathBuf>) -> Router {
    let origin = app.cfg.allowed_origin.clone();
    let mut api = api::api(app);
    if let Some(origin) = origin.and_then(|o| o.parse::<axum::http::HeaderValue>().ok()) {
        use axum::http::{header, Method};
        api = api.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    header::HeaderName::from_static(app::SESSION_HEADER),
                    header::CONTENT_TYPE,
                    header::HeaderName::from_static("x-guest-token"),
                    header::HeaderName::from_static("idempotency-key"),
                    // The body's SHA-256: CloudFront's origin access control
                    // needs it to sign POSTs to a function URL.
                    header::HeaderName::from_static("x-amz-content-sha256"),
                ])
                .expose_headers([header::RETRY_AFTER])
                .max_age(std::time::Duration::from_secs(600)),
        );
    }
    match frontend {
        Some(dir) => api.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => api.fallback(|| async { api::not_found().await }),
    }
}

/// The API as it is reached behind CloudFront's origin access control,
/// where it matters to a client: CloudFront signs every request and so
/// overwrites the viewer's `Authorization` (CloudFront API reference,
/// OriginAccessControlConfig, signing `always`), and a request with a body
/// (any method but GET, HEAD, OPTIONS) must carry `x-amz-content-sha256`
/// with the hex SHA-256 of its body, or Lambda refuses it with 403 (it
/// accepts no unsigned payload; CloudFront developer guide, "Restrict
/// access to an AWS Lambda function URL origin"). `serve --signed-origin`
/// runs the local server this way, so the frontend is tested as deployed.
pub fn signed_origin(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(sign_like_cloudfront))
}

/// What the origin access control's signature puts in `Authorization`.
pub const ORIGIN_SIGNATURE: &str =
    "AWS4-HMAC-SHA256 Credential=LOCAL/cloudfront/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=local";

async fn sign_like_cloudfront(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue, Method, StatusCode};
    use axum::response::IntoResponse;
    use sha2::{Digest, Sha256};
    req.headers_mut()
        .insert(header::AUTHORIZATION, HeaderValue::from_static(ORIGIN_SIGNATURE));
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let want: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let sent = parts.headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok());
    if sent != Some(want.as_str()) {
        let body = serde_json::json!({
            "error": "unsigned_payload",
            "message": "x-amz-content-sha256 must be the SHA-256 of the request body",
        });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Sets each `NAME: VALUE` header on every response (replacing the app's),
/// as a CloudFront response headers policy does: `serve --header` lets the
/// browser test run the frontend under the deployed security headers.
pub fn with_headers(router: Router, headers: &[String]) -> Result<Router, String> {
    use axum::http::{HeaderName, HeaderValue};
    let mut parsed = Vec::new();
    for h in headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: expected NAME: VALUE"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| format!("--header {h:?}: {e}"))?;
        let value = HeaderValue::from_str(value.trim()).map_err(|e| format!("--header {h:?}: {e}"))?;
        parsed.push((name, value));
    }
    let parsed = Arc::new(parsed);
    Ok(router.layer(axum::middleware::map_response(
        move |mut res: axum::response::Response| {
            let parsed = parsed.clone();
            async move {
                for (name, value) in parsed.iter() {
                    res.headers_mut().insert(name.clone(), value.clone());
                }
                res
            }
        },
    )))
}
