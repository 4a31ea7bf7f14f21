//! Slots: claiming one, releasing one, and putting a member into one
//! (`assign`, which mails them). The rules are `domain::slots`; a claim's
//! conditions are checked again in its transaction.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::shared::{address, ensure_open, load, load_slot};
use super::views::{self, EventView};
use crate::app::{App, Body, Ids, User};
use crate::domain::slots::{fits, may_assign, may_release, slot_roles};
use crate::error::ApiError;
use crate::mail;
use crate::store::{Refusal, StoreError};

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/events/{id}/slots/{slot}/claim", post(claim))
        .route("/api/events/{id}/slots/{slot}/release", post(release))
        .route("/api/events/{id}/slots/{slot}/assign", post(assign))
}

async fn claim(
    State(app): State<App>,
    user: User,
    Ids((id, slot)): Ids<(String, String)>,
) -> Result<Json<EventView>, ApiError> {
    let all = load_slot(&app, &id, &slot).await?;
    ensure_open(&app, &all.event)?;
    if !fits(&slot, user.role) {
        return Err(ApiError::Forbidden("only a captain can claim the captain slot"));
    }
    take_slot(&app, &id, &slot, &user.email).await?;
    Ok(Json(views::event(&app, &load(&app, &id).await?, &user)))
}

/// Puts `email` into `slot` with the claim's rules (slot free, one slot per
/// person per event, event booked, the member's role still fits — checked
/// in the same transaction). A retry that already succeeded is a success.
async fn take_slot(app: &App, id: &str, slot: &str, email: &str) -> Result<(), ApiError> {
    let roles = (!app.is_configured_admin(email)).then(|| slot_roles(slot));
    match app.store.claim_slot(id, slot, email, roles, app.clock.now()).await {
        Ok(()) => Ok(()),
        Err(e @ StoreError::Refused(_)) => {
            if load(app, id).await?.slots.get(slot).map(String::as_str) == Some(email) {
                return Ok(());
            }
            Err(match e.refusal() {
                Some(Refusal::AlreadyHolding) => ApiError::Conflict(
                    "already_holding",
                    format!("{email} already holds a slot on this event; release it first"),
                ),
                Some(Refusal::SlotTaken) => ApiError::Conflict("slot_taken", format!("{slot} is already taken")),
                Some(Refusal::RoleChanged) => {
                    ApiError::Conflict("role_mismatch", format!("{email}'s role does not fit the {slot} slot"))
                }
                _ => e.into(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

async fn release(
    State(app): State<App>,
    user: User,
    Ids((id, slot)): Ids<(String, String)>,
) -> Result<Json<EventView>, ApiError> {
    let all = load_slot(&app, &id, &slot).await?;
    ensure_open(&app, &all.event)?;
    let holder = all
        .slots
        .get(&slot)
        .cloned()
        .ok_or_else(|| ApiError::Conflict("not_claimed", format!("{slot} is not claimed")))?;
    if !may_release(&all, &slot, &user.email, user.is_admin()) {
        return Err(ApiError::Forbidden(
            "only the holder, an admin or (for crew slots) the event's captain can release a slot",
        ));
    }
    match app.store.release_slot(&id, &slot, &holder).await {
        Ok(()) => {}
        Err(StoreError::Refused(_)) => {
            return Err(ApiError::Conflict(
                "conflict",
                "the slot changed at the same time; reload and try again".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(views::event(&app, &load(&app, &id).await?, &user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    email: String,
}

/// A sail after an assignment, and whether the member was mailed.
#[derive(Serialize)]
struct Assigned {
    #[serde(flatten)]
    event: EventView,
    mailed: bool,
}

/// `POST /api/events/{id}/slots/{slot}/assign` `{email}`: an admin puts a
/// member into any slot; the event's captain into a crew slot. The claim's
/// rules hold, and the member's role must fit the slot. The member is mailed.
async fn assign(
    State(app): State<App>,
    user: User,
    Ids((id, slot)): Ids<(String, String)>,
    Body(b): Body<AssignBody>,
) -> Result<Json<Assigned>, ApiError> {
    let all = load_slot(&app, &id, &slot).await?;
    ensure_open(&app, &all.event)?;
    if !may_assign(&all, &slot, &user.email, user.is_admin()) {
        return Err(ApiError::Forbidden(
            "only an admin, or the event's captain for crew slots, can put someone into a slot",
        ));
    }
    let email = address(&b.email)?;
    let role = app.role_of(&email).await?.ok_or(ApiError::NotFound("member"))?;
    if !fits(&slot, role) {
        return Err(ApiError::Conflict(
            "role_mismatch",
            format!("{email} is {}; the captain slot needs a captain", role.as_str()),
        ));
    }
    take_slot(&app, &id, &slot, &email).await?;
    let link = format!("{}/#/events/{id}", app.cfg.public_url);
    let msg = mail::assignment_message(&email, &slot, &all.event.date, &all.event.boat, &user.email, &link);
    // The slot is taken either way; a mail failure is logged and reported.
    let mailed = match app.mailer.send(&msg).await {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(cause = %e, "assignment mail not sent");
            false
        }
    };
    Ok(Json(Assigned {
        event: views::event(&app, &load(&app, &id).await?, &user),
        mailed,
    }))
}
