//! The application state and the request extractors every route uses:
//! who is calling (a verified token), from where (the client IP as the
//! platform saw it, never a header the client chose) and a JSON body whose
//! problems become 400s that say what is wrong.

use crate::auth::Role;
use crate::config::Config;
use crate::error::ApiError;
use crate::mail::Mailer;
use crate::store::Store;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
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
    pub keys: crate::keyring::KeyRing,
    pub clock: Clock,
    /// Work queued by requests, run after their answers (`after.rs`).
    pub after: crate::after::Queue,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// The role an address has: configured admins first, then members.
    /// Whether `email` is an admin by configuration (SCC_ADMINS), which
    /// no API call can change.
    pub fn is_configured_admin(&self, email: &str) -> bool {
        self.cfg.admins.iter().any(|a| a == email)
    }

    pub async fn role_of(&self, email: &str) -> Result<Option<Role>, ApiError> {
        if self.is_configured_admin(email) {
            return Ok(Some(Role::Admin));
        }
        self.store
            .member_role(email)
            .await
            .map_err(|e| ApiError::internal("dynamodb", e))
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

/// The request header a member's session token travels in. A header of its
/// own, not a cookie: a cross-site form cannot send it and a cross-origin
/// script must pass a CORS preflight the API refuses, so it needs no CSRF
/// token; and CloudFront leaves it alone, where it overwrites
/// `Authorization`.
pub const SESSION_HEADER: &str = "x-session-token";

/// A signed-in member, from a valid session token.
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
        // Not `Authorization`: behind CloudFront the origin access control
        // signs every request to the function URL and overwrites it
        // (CloudFront API reference, OriginAccessControlConfig, `always`).
        let token = parts
            .headers
            .get(SESSION_HEADER)
            .and_then(|h| h.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let claims = app
            .keys
            .verify(token.trim(), app.clock.now())
            .await
            .ok_or(ApiError::Unauthorized)?;
        // The role is the member's role now, not when the token was issued,
        // and the same read gives the member's session cut-off: a removed,
        // demoted or signed-out-everywhere member's next request sees it.
        let member = app
            .store
            .member(&claims.sub)
            .await
            .map_err(|e| ApiError::internal("dynamodb", e))?;
        if member.as_ref().is_some_and(|m| claims.iat < m.tokens_valid_after) {
            return Err(ApiError::Unauthorized);
        }
        let role = match app.is_configured_admin(&claims.sub) {
            true => Role::Admin,
            false => member.and_then(|m| m.role).ok_or(ApiError::Unauthorized)?,
        };
        Ok(User {
            email: claims.sub,
            role,
        })
    }
}

/// The caller's IP. On Lambda behind the distribution, with
/// `SCC_TRUST_VIEWER_ADDRESS=true`, the viewer's address from
/// `CloudFront-Viewer-Address` ("IP:port"), which CloudFront sets when the
/// origin request policy names it (bosun's does, with `api.headers`); it is
/// believed only on a signed request (the request context carries
/// `authorizer.iam`: the URL is AWS_IAM, so only principals the resource
/// policy or the account's own IAM policies allow reach it, not a viewer).
/// Otherwise the request context's `sourceIp` (behind CloudFront: the
/// edge's address), or the TCP peer when served locally. X-Forwarded-For is
/// ignored: viewers set it.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<App> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<ClientIp, ApiError> {
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) =
            parts.extensions.get::<lambda_http::request::RequestContext>()
        {
            let signed = ctx.authorizer.as_ref().is_some_and(|a| a.iam.is_some());
            if signed && app.cfg.trust_viewer_address {
                if let Some(ip) = parts
                    .headers
                    .get(VIEWER_ADDRESS)
                    .and_then(|v| v.to_str().ok())
                    .and_then(viewer_ip)
                {
                    return Ok(ClientIp(ip));
                }
            }
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

/// The header CloudFront puts the viewer's address and port in.
pub const VIEWER_ADDRESS: &str = "cloudfront-viewer-address";

/// The IP of a `CloudFront-Viewer-Address` value: `198.51.100.10:46532`, or
/// for IPv6 the address followed by `:port` (brackets tolerated).
pub fn viewer_ip(value: &str) -> Option<String> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

impl ClientIp {
    /// The key rate limits count by: the address, or for IPv6 its /64 (one
    /// subscriber usually holds a whole /64).
    /// The wider network of an IPv6 address (its /48, what one site is
    /// usually given), which gets a bucket of its own as well: rotating
    /// through a /48's 65,536 /64s then buys nothing. None for IPv4.
    pub fn network_key(&self) -> Option<String> {
        match self.0.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
            }
            _ => None,
        }
    }

    pub fn limit_key(&self) -> String {
        match self.0.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            _ => self.0.clone(),
        }
    }
}

/// Path parameters; a malformed one is a JSON 400 like every other error.
#[derive(Debug)]
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Ids<T>, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Ids(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
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

#[cfg(test)]
mod tests {
    use super::ClientIp;

    #[test]
    fn rate_limits_count_ipv6_by_its_64() {
        let key = |ip: &str| ClientIp(ip.into()).limit_key();
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:198.51.100.4"), "198.51.100.4");
        assert_eq!(key("unknown"), "unknown");
        let net = |ip: &str| ClientIp(ip.into()).network_key();
        assert_eq!(net("2001:db8:1:2::1").as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(net("2001:db8:1:ffff::1"), net("2001:db8:1:2::1"));
        assert_eq!(net("203.0.113.7"), None);
        assert_eq!(net("::ffff:198.51.100.4"), None);
    }
}
