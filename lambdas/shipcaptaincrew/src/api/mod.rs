//! The API (under `/api`): each area's routes in its own file, merged
//! here, with JSON 404s for anything else. `shared` holds what every
//! handler uses, `views` the typed answers about sails and guests; the
//! rules are in `domain/`, the writes in `store/`.
//!
//! | file | routes |
//! |---|---|
//! | `auth.rs` | health, config, sign-in (request, peek, exchange), me |
//! | `events.rs` | the sail list, one sail, create, cancel |
//! | `slots.rs` | claim, release, assign |
//! | `checklist.rs` | add an item, tick one |
//! | `guests.rs` | book, cancel, the guest's waiver page and signature |
//! | `members.rs` | roster, invites, role changes, removal, sign-out everywhere |

mod auth;
mod checklist;
mod events;
mod guests;
mod members;
pub mod shared;
mod slots;
pub mod views;

use axum::Router;

use crate::app::App;
use crate::error::ApiError;

/// The API routes (under `/api`), with JSON 404s for anything else.
pub fn api(app: App) -> Router {
    Router::new()
        .merge(auth::router())
        .merge(events::router())
        .merge(slots::router())
        .merge(checklist::router())
        .merge(guests::router())
        .merge(members::router())
        .route("/api/{*rest}", axum::routing::any(not_found))
        .with_state(app)
}

/// The JSON 404 for a path no route answers.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}
