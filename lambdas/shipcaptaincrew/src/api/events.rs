//! Sails: the list (a bounded page at a time), one sail, creating one
//! (safe to retry with an `Idempotency-Key`) and cancelling one.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::shared::{ensure_open, load, marina_today, timing_of};
use super::views::{self, EventView, Listed};
use crate::app::{App, Body, Ids, User};
use crate::domain::{checklist, input, EventRecord};
use crate::error::ApiError;
use crate::secret::{hash_key, random_id};
use crate::store::{Refusal, StoreError};

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/events", get(list).post(create))
        .route("/api/events/{id}", get(one))
        .route("/api/events/{id}/cancel", post(cancel))
}

/// How many sails one page of the list holds.
const PAGE: i32 = 25;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// `upcoming` (today at the marina and later, soonest first; the
    /// default) or `past` (newest first).
    when: Option<String>,
    /// The `next` of the page before.
    after: Option<String>,
}

#[derive(Serialize)]
struct Page {
    events: Vec<Listed>,
    /// The cursor of the page after (null on the last).
    next: Option<String>,
}

/// `GET /api/events[?when=upcoming|past][&after=CURSOR]`: one page of sails
/// with their staffing (each slot and its holder), so the list can show
/// which still need a captain or crew, and `next`, the cursor of the page
/// after (null on the last). A page costs one Query of the calendar and
/// one per listed event, whatever the table holds.
async fn list(
    State(app): State<App>,
    user: User,
    query: Result<axum::extract::Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let axum::extract::Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let upcoming = match q.when.as_deref() {
        None | Some("upcoming") => true,
        Some("past") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "when={other:?}: expected upcoming or past"
            )))
        }
    };
    let after = q.after.as_deref().map(input::cursor_key).transpose()?;
    let today = marina_today(&app)?.to_string();
    let (events, next) = app
        .store
        .calendar_page(upcoming, &today, after.as_deref(), PAGE)
        .await?;
    let events = events
        .iter()
        .map(|all| Listed {
            summary: views::summary(&app, &all.event),
            slots: views::slots(&app, all, &user),
        })
        .collect();
    Ok(Json(Page {
        events,
        next: next.as_deref().map(input::cursor_of),
    }))
}

async fn one(State(app): State<App>, user: User, Ids(id): Ids<String>) -> Result<Json<EventView>, ApiError> {
    let all = load(&app, &id).await?;
    Ok(Json(views::event(&app, &all, &user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEvent {
    date: String,
    boat: String,
    kind: String,
    guests: i64,
    crew_slots: Option<i64>,
    depart_offset_min: Option<i64>,
    return_offset_min: Option<i64>,
}

/// An event id derived from the admin and their `Idempotency-Key`, so a
/// retried create finds the event the first attempt made.
fn idempotent_id(headers: &HeaderMap, admin: &str) -> Result<Option<String>, ApiError> {
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| (8..=128).contains(&k.len()))
        .ok_or_else(|| ApiError::BadRequest("Idempotency-Key must be 8 to 128 visible characters".into()))?;
    let digest = hash_key(&format!("{admin}\n{key}"));
    Ok(Some(crate::secret::id_from_hex(&digest)))
}

/// `POST /api/events` (admins): a sail with the default checklist.
async fn create(
    State(app): State<App>,
    user: User,
    headers: HeaderMap,
    Body(b): Body<NewEvent>,
) -> Result<(StatusCode, Json<EventView>), ApiError> {
    user.require_admin()?;
    let date = input::date(&b.date)?;
    let today = marina_today(&app)?;
    if date < today {
        return Err(ApiError::BadRequest(format!(
            "date {date} is in the past (today is {today} at the marina)"
        )));
    }
    let fixed_id = idempotent_id(&headers, &user.email)?;
    let record = EventRecord {
        id: fixed_id.clone().unwrap_or_else(random_id),
        date: date.to_string(),
        boat: input::text("boat", &b.boat, 80)?,
        kind: input::text("kind", &b.kind, 40)?,
        guests: input::in_range("guests", b.guests, 1, 150)?,
        crew_slots: input::in_range("crew_slots", b.crew_slots.unwrap_or(2), 0, 10)?,
        depart_offset_min: input::in_range(
            "depart_offset_min",
            b.depart_offset_min.unwrap_or(app.cfg.depart_offset_min),
            -720,
            720,
        )?,
        return_offset_min: input::in_range(
            "return_offset_min",
            b.return_offset_min.unwrap_or(app.cfg.return_offset_min),
            -720,
            720,
        )?,
        status: "booked".into(),
        booked_guests: 0,
    };
    if record.depart_offset_min >= record.return_offset_min {
        return Err(ApiError::BadRequest(
            "departure must come before return (depart_offset_min < return_offset_min)".into(),
        ));
    }
    if timing_of(&app, &record).is_none() {
        return Err(ApiError::BadRequest(format!(
            "the sun does not set at the marina on {date}"
        )));
    }
    match app
        .store
        .create_event(&record, &checklist::default_items(), &user.email, app.clock.now())
        .await
    {
        Ok(()) => {}
        // The same Idempotency-Key again: the event the first request
        // created, if this request asks for the same event; a different
        // request under a used key is refused, never answered with the old one.
        Err(e) if fixed_id.is_some() && e.refused(Refusal::EventExists) => {
            let existing = load(&app, &record.id).await?;
            if !input::same_request(&existing.event, &record) {
                return Err(ApiError::Unprocessable(
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used for a different event; use a new key for a new request"
                        .into(),
                ));
            }
            return Ok((StatusCode::OK, Json(views::event(&app, &existing, &user))));
        }
        // Anything else (a random id that exists, a transaction lost to
        // another): a 500, as it always was.
        Err(e) => return Err(ApiError::internal("dynamodb", e)),
    }
    let all = load(&app, &record.id).await?;
    Ok((StatusCode::CREATED, Json(views::event(&app, &all, &user))))
}

/// `POST /api/events/{id}/cancel` (admins).
async fn cancel(State(app): State<App>, user: User, Ids(id): Ids<String>) -> Result<Json<EventView>, ApiError> {
    user.require_admin()?;
    ensure_open(&app, &load(&app, &id).await?.event)?;
    match app.store.cancel_event(&id, &user.email, app.clock.now()).await {
        Ok(()) => {}
        Err(StoreError::Condition) => {
            return Err(ApiError::Conflict(
                "invalid_transition",
                "the event is already cancelled".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(views::event(&app, &load(&app, &id).await?, &user)))
}
