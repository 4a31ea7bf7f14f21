//! The open routes and sign-in: health, the public configuration, asking
//! for a link (`request`), looking at one without using it (`peek`),
//! exchanging it for a session (`exchange`), and who the session is
//! (`me`). The open routes are rate-limited per address and network.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::shared::{address, limit, limit_ip, time};
use crate::app::{App, Body, ClientIp, User};
use crate::auth::Role;
use crate::error::ApiError;
use crate::secret::{hash_code, hash_key};

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/config", get(config))
        .route("/api/auth/request", post(request))
        .route("/api/auth/exchange", post(exchange))
        .route("/api/auth/peek", post(peek))
        .route("/api/me", get(me))
}

#[derive(Serialize)]
struct Health {
    ok: bool,
    service: &'static str,
    version: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health {
        ok: true,
        service: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Serialize)]
struct Marina {
    name: String,
    lat: f64,
    lon: f64,
}

#[derive(Serialize)]
struct PublicConfig {
    brand: &'static str,
    marina: Marina,
    timezone: String,
}

async fn config(State(app): State<App>) -> Json<PublicConfig> {
    let m = &app.cfg.marina;
    Json(PublicConfig {
        brand: "ShipCaptainCrew",
        marina: Marina {
            name: m.name.clone(),
            lat: m.lat,
            lon: m.lon,
        },
        timezone: app.cfg.timezone_name.clone(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// `POST /api/auth/request` `{email}`: a sign-in link, if the address is a
/// member. The answer is the same, and does the same work, for every
/// address: whether it is a member, and the link's write and mail, are
/// worked out after the answer has gone (`after.rs`).
async fn request(
    State(app): State<App>,
    ip: ClientIp,
    Body(b): Body<EmailBody>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let email = address(&b.email)?;
    limit_ip(&app, "request-ip", &ip, app.cfg.limits.per_ip).await?;
    limit(
        &app,
        format!("address:{}", hash_key(&email)),
        app.cfg.limits.per_address,
    )
    .await?;
    app.after.push(crate::after::Job::SignInLink { email });
    Ok((
        StatusCode::ACCEPTED,
        Json(Message {
            message: "If that address is registered, a sign-in link is on its way.",
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

#[derive(Serialize)]
struct Who {
    email: String,
    role: Role,
}

/// `POST /api/auth/peek` `{code}`: who a sign-in link is for, without
/// using it. Opening a link signs nobody in: the page shows this and waits
/// for a click (so a mail scanner that runs the page burns nothing, and a
/// link planted by someone else cannot sign a visitor into their account
/// unasked). Counted with the exchanges against the per-IP limit.
async fn peek(State(app): State<App>, ip: ClientIp, Body(b): Body<CodeBody>) -> Result<Json<Who>, ApiError> {
    limit_ip(&app, "exchange-ip", &ip, app.cfg.limits.exchange_per_ip).await?;
    if b.code.trim().is_empty() || b.code.len() > 64 {
        return Err(ApiError::InvalidCode);
    }
    let (email, role) = app
        .store
        .peek_invite(&hash_code(&b.code), app.clock.now())
        .await?
        .ok_or(ApiError::InvalidCode)?;
    Ok(Json(Who { email, role }))
}

#[derive(Serialize)]
struct Session {
    token: String,
    email: String,
    role: Role,
    expires_at: String,
}

/// `POST /api/auth/exchange` `{code}`: uses the link up and starts a
/// session for the member's role now.
async fn exchange(State(app): State<App>, ip: ClientIp, Body(b): Body<CodeBody>) -> Result<Json<Session>, ApiError> {
    limit_ip(&app, "exchange-ip", &ip, app.cfg.limits.exchange_per_ip).await?;
    if b.code.trim().is_empty() || b.code.len() > 64 {
        return Err(ApiError::InvalidCode);
    }
    let now = app.clock.now();
    let (email, _, sent) = app
        .store
        .consume_invite(&hash_code(&b.code), now)
        .await?
        .ok_or(ApiError::InvalidCode)?;
    // "Sign out everywhere" voids the links sent before it too: an unused
    // link is a session not yet started.
    let member = app.store.member(&email).await?;
    if member.is_some_and(|m| sent < m.tokens_valid_after) {
        return Err(ApiError::InvalidCode);
    }
    // The role is the member's role now, not when the link was sent.
    let role = app.role_of(&email).await?.ok_or(ApiError::InvalidCode)?;
    let token = app.keys.issue(&email, role, now, app.cfg.session_ttl);
    if let Err(e) = app.store.record_sign_in(&email, now).await {
        tracing::error!(cause = %e, "last sign-in not recorded");
    }
    Ok(Json(Session {
        token,
        email,
        role,
        expires_at: time(now + app.cfg.session_ttl).unwrap_or_default(),
    }))
}

async fn me(user: User) -> Json<Who> {
    Json(Who {
        email: user.email,
        role: user.role,
    })
}
