//! The sign-in link: a one-time code written (by hash) and mailed. Sent
//! for a sign-in request (after the answer, `after.rs`) and with an invite.

use crate::app::App;
use crate::auth::Role;
use crate::error::ApiError;
use crate::mail;
use crate::secret::{hash_code, random_code};

/// Characters in an invite code (5 bits each: 110 bits).
const CODE_LEN: usize = 22;

/// Writes a new code for `email` and mails the link; returns when it expires.
pub(crate) async fn send_link(app: &App, email: &str, role: Role) -> Result<i64, ApiError> {
    let now = app.clock.now();
    let code = random_code(CODE_LEN);
    app.store
        .put_invite(&hash_code(&code), email, role, now, app.cfg.code_ttl)
        .await?;
    let link = format!("{}/#/auth/{code}", app.cfg.public_url);
    let msg = mail::sign_in_message(email, &link, role.as_str(), app.cfg.code_ttl / 60);
    app.mailer.send(&msg).await.map_err(|e| ApiError::internal("ses", e))?;
    Ok(now + app.cfg.code_ttl)
}

/// The queued half of `POST /api/auth/request`: mails a link to `email`
/// if it has a role, and nothing otherwise. The error says what failed,
/// never the address.
pub(crate) async fn mail_sign_in_link(app: &App, email: &str) -> Result<(), String> {
    let cause = |e: ApiError| match e {
        ApiError::Internal(cause) => cause,
        other => other.to_string(),
    };
    if let Some(role) = app.role_of(email).await.map_err(cause)? {
        send_link(app, email, role).await.map_err(cause)?;
    }
    Ok(())
}
