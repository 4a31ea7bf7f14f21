//! The application state and the request extractors every route uses:
//! who is calling (a verified token), from where (the client IP as the
//! platform saw it, never a header the client chose) and a JSON body whose
//! problems become 400s that say what is wrong.

use crate::auth::{Keys, Role};
use crate::config::Config;
use crate::error::ApiError;
use crate::mail::Mailer;
use crate::store::Store;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Shared by every request.
#[derive(Clone, Debug)]
pub struct App(pub Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub cfg: Config,
    pub store: Store,
    pub mailer: Mailer,
    pub keys: Keys,
    pub clock: Clock,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Wall-clock seconds, with a skew tests can move forward to expire things.
#[derive(Debug, Default)]
pub struct Clock {
    skew: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        jiff::Timestamp::now().as_second() + self.skew.load(Ordering::Relaxed)
    }
    /// Moves this clock forward by `secs` (tests: codes expiring).
    pub fn advance(&self, secs: i64) {
        self.skew.fetch_add(secs, Ordering::Relaxed);
    }
}

/// A signed-in member, from a valid bearer token.
#[derive(Debug, Clone)]
pub struct User {
    pub email: String,
    pub role: Role,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.is_admin() {
            true => Ok(()),
            false => Err(ApiError::Forbidden("only an admin can do that")),
        }
    }
}

impl FromRequestParts<App> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<User, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let claims = app.keys.verify(token.trim()).ok_or(ApiError::Unauthorized)?;
        Ok(User {
            email: claims.sub,
            role: claims.role,
        })
    }
}

/// The caller's IP: the function URL's request context on Lambda, the TCP
/// peer when served locally. Forwarding headers are ignored: clients set them.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, ApiError> {
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) =
            parts.extensions.get::<lambda_http::request::RequestContext>()
        {
            if let Some(ip) = &ctx.http.source_ip {
                return Ok(ClientIp(ip.clone()));
            }
        }
        if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return Ok(ClientIp(addr.ip().to_string()));
        }
        Ok(ClientIp("unknown".into()))
    }
}

/// A JSON body; a malformed one is a 400 naming the problem.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Body<T>, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}
