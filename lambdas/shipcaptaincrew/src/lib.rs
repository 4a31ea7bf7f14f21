//! The ShipCaptainCrew HTTP API as an axum router, independent of how it is
//! served: `main.rs` runs it under `lambda_http` behind a function URL, and the
//! same router can be served over plain HTTP for local use and tests.
//!
//! Today the router answers `GET /health`; events, invites, roles, checklists
//! and waivers are issue 8. Unknown routes get a JSON 404.

use axum::{http::StatusCode, routing::get, Json, Router};
use serde_json::{json, Value};

/// Builds the application router.
pub fn router() -> Router {
    Router::new().route("/health", get(health)).fallback(not_found)
}

async fn health() -> Json<Value> {
    Json(json!({
        "ok": true,
        "service": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn not_found() -> (StatusCode, Json<Value>) {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get_json(path: &str) -> (StatusCode, Value) {
        let response = router()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn health_reports_ok() {
        let (status, body) = get_json("/health").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["service"], json!("shipcaptaincrew"));
        assert_eq!(body["ok"], json!(true));
    }

    #[tokio::test]
    async fn unknown_route_is_a_json_404() {
        let (status, body) = get_json("/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], json!("not found"));
    }
}
