//! A sail's checklist: adding an item (admins) and ticking one (its crew
//! and admins). The waivers item is derived and cannot be ticked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::shared::{ensure_open, load, now};
use super::views::{self, EventView};
use crate::app::{App, Body, Ids, User};
use crate::domain::{checklist, input, slots::may_tick, CheckItem};
use crate::error::ApiError;
use crate::store::StoreError;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/events/{id}/checklist", post(add))
        .route("/api/events/{id}/checklist/{item}/check", post(check))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCheck {
    label: String,
    hook: String,
    offset_min: i64,
}

async fn add(
    State(app): State<App>,
    user: User,
    Ids(id): Ids<String>,
    Body(b): Body<NewCheck>,
) -> Result<(StatusCode, Json<EventView>), ApiError> {
    user.require_admin()?;
    let hook = input::hook(&b.hook)?;
    let all = load(&app, &id).await?;
    ensure_open(&app, &all.event)?;
    let item = CheckItem {
        id: checklist::next_id(&all.checklist),
        label: input::text("label", &b.label, 120)?,
        hook,
        offset_min: input::in_range("offset_min", b.offset_min, -720, 720)?,
        derived: None,
        done_by: None,
        done_at: None,
    };
    match app.store.add_check_item(&id, &item).await {
        Ok(()) => {}
        Err(StoreError::Refused(_)) => {
            return Err(ApiError::Conflict(
                "conflict",
                "the event is cancelled or changed; reload".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::CREATED,
        Json(views::event(&app, &load(&app, &id).await?, &user)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    done: bool,
}

async fn check(
    State(app): State<App>,
    user: User,
    Ids((id, item)): Ids<(String, String)>,
    Body(b): Body<CheckBody>,
) -> Result<Json<EventView>, ApiError> {
    let all = load(&app, &id).await?;
    ensure_open(&app, &all.event)?;
    if !input::is_check_id(&item) {
        return Err(ApiError::NotFound("checklist item"));
    }
    if !may_tick(&all, &user.email, user.is_admin()) {
        return Err(ApiError::Forbidden(
            "only crew on this event (or an admin) can tick its checklist",
        ));
    }
    if all.checklist.iter().any(|c| c.id == item && c.derived.is_some()) {
        return Err(ApiError::Conflict(
            "derived_item",
            "this item follows the guests' waivers; it is done when every booked guest has signed".into(),
        ));
    }
    // A refusal says whether the sail is cancelled or the item unknown
    // (`From<StoreError>`); anything else was a concurrent change.
    app.store
        .set_check(&id, &item, b.done.then_some(user.email.as_str()), &now(&app))
        .await?;
    Ok(Json(views::event(&app, &load(&app, &id).await?, &user)))
}
