//! The API's routes (under `/api`): which handler answers which path, with
//! JSON 404s for anything else. The handlers are in `routes.rs` and
//! `roster.rs`.

use axum::routing::{get, post};
use axum::Router;

use crate::app::App;
use crate::roster;
use crate::routes::{
    add_check, add_guest, auth_exchange, auth_peek, auth_request, cancel_event, cancel_guest, check, claim, config,
    create_event, get_event, health, list_events, me, not_found, release, sign_waiver, waiver,
};

/// The API routes (under `/api`), with JSON 404s for anything else.
pub fn api(app: App) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/config", get(config))
        .route("/api/auth/request", post(auth_request))
        .route("/api/auth/exchange", post(auth_exchange))
        .route("/api/auth/peek", post(auth_peek))
        .route("/api/me", get(me))
        .route("/api/invites", post(roster::invite))
        .route("/api/events", get(list_events).post(create_event))
        .route("/api/events/{id}", get(get_event))
        .route("/api/events/{id}/cancel", post(cancel_event))
        .route("/api/events/{id}/slots/{slot}/claim", post(claim))
        .route("/api/events/{id}/slots/{slot}/release", post(release))
        .route("/api/events/{id}/slots/{slot}/assign", post(roster::assign))
        .route("/api/members", get(roster::list))
        .route(
            "/api/members/{email}",
            axum::routing::patch(roster::change_role).delete(roster::remove),
        )
        .route("/api/members/{email}/sign-out", post(roster::sign_out_everywhere))
        .route("/api/events/{id}/checklist", post(add_check))
        .route("/api/events/{id}/checklist/{item}/check", post(check))
        .route("/api/events/{id}/guests", post(add_guest))
        .route("/api/events/{id}/guests/{guest}/cancel", post(cancel_guest))
        .route("/api/events/{id}/guests/{guest}/waiver", get(waiver).post(sign_waiver))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .with_state(app)
}
