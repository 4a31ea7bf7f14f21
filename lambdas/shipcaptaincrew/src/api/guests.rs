//! Guests: booking one (admins; the guest is mailed a waiver link),
//! cancelling a booking, and the guest's own waiver page and signature
//! (by the link's token, no session). A booking's states are
//! `domain::GuestState`'s table.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::shared::{address, ensure_open, is_over, load, now, timing_of};
use super::views::{self, GuestView, TimingView};
use crate::app::{App, Body, Ids, User};
use crate::domain::input::{self, GUEST_ID_LEN};
use crate::domain::{Guest, GuestAction, GuestState};
use crate::error::ApiError;
use crate::mail;
use crate::secret::{hash_code, hash_key, random_code};
use crate::store::{Refusal, StoreError};
use crate::timing::moment;

const GUEST_TOKEN_LEN: usize = 32;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/events/{id}/guests", post(add))
        .route("/api/events/{id}/guests/{guest}/cancel", post(cancel))
        .route("/api/events/{id}/guests/{guest}/waiver", get(waiver).post(sign))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGuest {
    name: String,
    email: String,
}

#[derive(Serialize)]
struct Booked {
    guest: GuestView,
    /// The guest's link, for the admin to pass on if the mail fails.
    waiver_url: String,
}

#[derive(Serialize)]
struct OneGuest {
    guest: GuestView,
}

async fn add(
    State(app): State<App>,
    user: User,
    Ids(id): Ids<String>,
    Body(b): Body<NewGuest>,
) -> Result<(StatusCode, Json<Booked>), ApiError> {
    user.require_admin()?;
    let name = input::text("name", &b.name, 100)?;
    let email = address(&b.email)?;
    let all = load(&app, &id).await?;
    ensure_open(&app, &all.event)?;
    let token = random_code(GUEST_TOKEN_LEN);
    // A random id (crew see ids, and cannot test guessed addresses against
    // them); one active booking per address per event is the store's lookup.
    let guest = Guest {
        id: crate::secret::random_hex(GUEST_ID_LEN),
        addr: hash_key(&email),
        name,
        email,
        state: GuestState::OnHold,
        token_hash: hash_code(&token),
    };
    match app
        .store
        .add_guest(&id, &guest, all.event.guests, app.clock.now())
        .await
    {
        Ok(()) => {}
        Err(e) => {
            return Err(match e.refusal() {
                Some(Refusal::AlreadyBooked) => ApiError::Conflict(
                    "already_booked",
                    format!("{} is already booked on this sail", guest.email),
                ),
                Some(Refusal::FullOrNotOpen) => {
                    let e = load(&app, &id).await?.event;
                    if e.status != "booked" {
                        ApiError::Conflict("event_not_open", "the event is cancelled".into())
                    } else {
                        ApiError::Conflict("event_full", format!("all {} guest places are booked", e.guests))
                    }
                }
                _ => e.into(),
            })
        }
    }
    let url = format!("{}/guest.html#/{}/{}/{token}", app.cfg.public_url, id, guest.id);
    let when = match timing_of(&app, &all.event) {
        Some(t) => format!("{} at {}", all.event.date, moment(&t.departure).local),
        None => all.event.date.clone(),
    };
    let msg = mail::waiver_message(&guest.email, &guest.name, &url, &when, &all.event.boat);
    if let Err(e) = app.mailer.send(&msg).await {
        // The booking stands; the admin has the link in this response to pass on.
        tracing::error!(error = %e, "waiver link not sent");
    }
    Ok((
        StatusCode::CREATED,
        Json(Booked {
            guest: views::guest(&guest, true),
            waiver_url: url,
        }),
    ))
}

async fn cancel(
    State(app): State<App>,
    user: User,
    Ids((id, gid)): Ids<(String, String)>,
) -> Result<Json<OneGuest>, ApiError> {
    user.require_admin()?;
    if input::is_guest(&id, &gid) {
        ensure_open(&app, &load(&app, &id).await?.event)?;
    }
    let g = transition(&app, &id, &gid, GuestAction::Cancel, None, &[]).await?;
    Ok(Json(OneGuest {
        guest: views::guest(&g, true),
    }))
}

/// Applies a guest transition; failures say whether the guest is unknown
/// (404) or in a state the transition does not start from (409).
async fn transition(
    app: &App,
    id: &str,
    gid: &str,
    action: GuestAction,
    token_hash: Option<&str>,
    extra: &[(&str, String)],
) -> Result<Guest, ApiError> {
    if !input::is_guest(id, gid) {
        return Err(ApiError::NotFound("guest"));
    }
    match app.store.transition_guest(id, gid, action, token_hash, extra).await {
        Ok(_) => {}
        Err(e @ StoreError::Refused(_)) => {
            let refusal = e.refusal();
            if !matches!(refusal, Some(Refusal::EventNotOpen | Refusal::GuestState)) {
                return Err(ApiError::retry());
            }
            // Who asks comes before what state things are in: a wrong
            // token learns nothing, not even that the sail was cancelled.
            let g = app.store.guest(id, gid).await?;
            let Some(g) = g.filter(|g| token_hash.is_none_or(|h| h == g.token_hash)) else {
                return Err(ApiError::NotFound("guest"));
            };
            return Err(if refusal == Some(Refusal::EventNotOpen) {
                ApiError::Conflict("event_not_open", "the sail is cancelled".into())
            } else {
                ApiError::Conflict(
                    "invalid_transition",
                    format!(
                        "the booking is {}; that change is not allowed from there",
                        g.state.as_str()
                    ),
                )
            });
        }
        Err(e) => return Err(e.into()),
    }
    app.store.guest(id, gid).await?.ok_or(ApiError::NotFound("guest"))
}

/// The guest's token (from their link), hashed as stored.
fn guest_token(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("x-guest-token")
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty() && t.len() <= 64)
        .map(hash_code)
        .ok_or(ApiError::NotFound("guest"))
}

const WAIVER_TEXT: &str = "I understand that sailing involves risks, including injury from the boat, its rigging and \
the sea. I will follow the captain's and crew's instructions, wear a life jacket when asked, and tell the crew about any \
condition that affects my safety. I accept these risks for myself.";

/// The sail as its guest sees it.
#[derive(Serialize)]
struct GuestsSail {
    date: String,
    boat: String,
    kind: String,
    status: String,
    timing: Option<TimingView>,
}

#[derive(Serialize)]
struct Waiver {
    event: GuestsSail,
    guest: GuestView,
    waiver_text: &'static str,
}

async fn waiver(
    State(app): State<App>,
    headers: HeaderMap,
    Ids((id, gid)): Ids<(String, String)>,
) -> Result<Json<Waiver>, ApiError> {
    let token_hash = guest_token(&headers)?;
    if !input::is_guest(&id, &gid) {
        return Err(ApiError::NotFound("guest"));
    }
    let g = app
        .store
        .guest(&id, &gid)
        .await?
        .filter(|g| g.token_hash == token_hash)
        .ok_or(ApiError::NotFound("guest"))?;
    let e = load(&app, &id).await?.event;
    if is_over(&app, &e) {
        // The link expires with the sail.
        return Err(ApiError::NotFound("guest"));
    }
    let timing = views::timing(&app, timing_of(&app, &e).as_ref());
    Ok(Json(Waiver {
        event: GuestsSail {
            date: e.date,
            boat: e.boat,
            kind: e.kind,
            status: e.status,
            timing,
        },
        guest: views::guest(&g, false),
        waiver_text: WAIVER_TEXT,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Signature {
    signed_name: String,
    accept: bool,
}

async fn sign(
    State(app): State<App>,
    headers: HeaderMap,
    Ids((id, gid)): Ids<(String, String)>,
    Body(b): Body<Signature>,
) -> Result<Json<OneGuest>, ApiError> {
    let token_hash = guest_token(&headers)?;
    if !b.accept {
        return Err(ApiError::BadRequest("accept must be true to sign the waiver".into()));
    }
    let name = input::text("signed_name", &b.signed_name, 100)?;
    if input::is_guest(&id, &gid) && is_over(&app, &load(&app, &id).await?.event) {
        return Err(ApiError::NotFound("guest"));
    }
    let g = transition(
        &app,
        &id,
        &gid,
        GuestAction::SignWaiver,
        Some(&token_hash),
        &[("waiver_signed_name", name), ("waiver_signed_at", now(&app))],
    )
    .await?;
    Ok(Json(OneGuest {
        guest: views::guest(&g, false),
    }))
}
