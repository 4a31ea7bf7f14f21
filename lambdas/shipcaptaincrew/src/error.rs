//! API errors: a status, a stable code and a message for people. Internal
//! causes are logged with a reference and never sent to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::domain::input::Invalid;
use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first (the token is missing, expired or invalid)")]
    Unauthorized,
    #[error("the sign-in link is invalid, already used or expired; ask for a new one")]
    InvalidCode,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The request cannot be done as sent (e.g. an Idempotency-Key reused
    /// with a different body).
    #[error("{1}")]
    Unprocessable(&'static str, String),
    #[error("too many requests; try again in {0} seconds")]
    RateLimited(i64),
    #[error("something went wrong on our side; try again")]
    Internal(String),
}

impl ApiError {
    pub fn internal(context: &str, e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(format!("{context}: {e}"))
    }

    /// A write lost to a concurrent one (not to a failed rule): try again.
    pub fn retry() -> ApiError {
        ApiError::Conflict(
            "conflict",
            "someone changed this at the same time; reload and try again".into(),
        )
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::InvalidCode => (StatusCode::UNAUTHORIZED, "invalid_code"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(code, _) => (StatusCode::CONFLICT, code),
            ApiError::Unprocessable(code, _) => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = (status, Json(json!({"error": code, "message": self.to_string()}))).into_response();
        if let ApiError::RateLimited(secs) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> ApiError {
        ApiError::BadRequest(e.0)
    }
}

/// The one place a store failure becomes an answer: a refused transaction
/// by its most telling named refusal (`StoreError::refusal`), never by the
/// position of a condition. Handlers that can say more (which slot, whose
/// address) match the refusal first and fall back to this.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let conflict = |code, message: &str| ApiError::Conflict(code, message.to_string());
        match (&e, e.refusal()) {
            // A single write's failed condition is a case its handler names;
            // one that reaches here is a bug, as before.
            (StoreError::Other(_) | StoreError::Condition, _) => ApiError::internal("dynamodb", &e),
            (_, Some(Refusal::EventExists)) => conflict("event_exists", "an event with this id exists"),
            (_, Some(Refusal::EventNotOpen)) => conflict("event_not_open", "the event is cancelled"),
            (_, Some(Refusal::AlreadyHolding)) => conflict(
                "already_holding",
                "that member already holds a slot on this event; release it first",
            ),
            (_, Some(Refusal::SlotTaken)) => conflict("slot_taken", "the slot is already taken"),
            (_, Some(Refusal::RoleChanged)) => conflict("role_mismatch", "the member's role does not fit the slot"),
            (_, Some(Refusal::NoSuchCheckItem)) => ApiError::NotFound("checklist item"),
            (_, Some(Refusal::AlreadyBooked)) => {
                conflict("already_booked", "that address is already booked on this sail")
            }
            (_, Some(Refusal::FullOrNotOpen)) => conflict("event_full", "every guest place is booked"),
            (_, Some(Refusal::GuestState)) => conflict(
                "invalid_transition",
                "the booking is not in a state that change is allowed from",
            ),
            (_, Some(Refusal::CheckItemExists | Refusal::MemberChanged | Refusal::Changed) | None) => ApiError::retry(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_told_by_name_whatever_the_order_of_the_items() {
        let told = |r: Vec<Refusal>| ApiError::from(StoreError::Refused(r)).status_and_code();
        let claim = [Refusal::SlotTaken, Refusal::AlreadyHolding, Refusal::EventNotOpen];
        assert_eq!(told(claim.to_vec()).1, "event_not_open");
        assert_eq!(told(claim.iter().rev().copied().collect()).1, "event_not_open");
        assert_eq!(
            told(vec![Refusal::SlotTaken, Refusal::AlreadyHolding]).1,
            "already_holding"
        );
        assert_eq!(told(vec![Refusal::NoSuchCheckItem]).0, StatusCode::NOT_FOUND);
        assert_eq!(told(vec![Refusal::Changed]).1, "conflict");
        assert_eq!(told(Vec::new()).1, "conflict");
        let other = ApiError::from(StoreError::Other("throttled".into()));
        assert_eq!(other.status_and_code().0, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
