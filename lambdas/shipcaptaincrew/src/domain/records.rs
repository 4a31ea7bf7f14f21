//! What the app keeps: a sail (event) and what hangs under it (slots,
//! checklist items, guests), a member, and the one table of a guest
//! booking's states. Plain data; the store reads and writes it.

use crate::auth::Role;
use serde::Serialize;
use std::collections::HashMap;

/// A guest's booking state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestState {
    OnHold,
    Confirmed,
    Cancelled,
}

/// What can happen to a guest's booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestAction {
    SignWaiver,
    Cancel,
}

impl GuestState {
    pub fn as_str(self) -> &'static str {
        match self {
            GuestState::OnHold => "on_hold",
            GuestState::Confirmed => "confirmed",
            GuestState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<GuestState> {
        [GuestState::OnHold, GuestState::Confirmed, GuestState::Cancelled]
            .into_iter()
            .find(|g| g.as_str() == s)
    }
    /// The one table of allowed transitions; everything else is refused.
    pub fn next(self, action: GuestAction) -> Option<GuestState> {
        match (self, action) {
            (GuestState::OnHold, GuestAction::SignWaiver) => Some(GuestState::Confirmed),
            (GuestState::OnHold | GuestState::Confirmed, GuestAction::Cancel) => Some(GuestState::Cancelled),
            _ => None,
        }
    }
    /// The states `action` may start from.
    pub fn sources(action: GuestAction) -> Vec<GuestState> {
        [GuestState::OnHold, GuestState::Confirmed, GuestState::Cancelled]
            .into_iter()
            .filter(|g| g.next(action).is_some())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub id: String,
    pub date: String,
    pub boat: String,
    pub kind: String,
    pub guests: i64,
    pub crew_slots: i64,
    pub depart_offset_min: i64,
    pub return_offset_min: i64,
    pub status: String,
    pub booked_guests: i64,
}

#[derive(Debug, Clone)]
pub struct CheckItem {
    pub id: String,
    pub label: String,
    pub hook: String,
    pub offset_min: i64,
    /// Set for an item that follows the data instead of a tick
    /// (`waivers`: done when every booked guest has signed).
    pub derived: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Guest {
    /// Random: crew see guest ids, and nothing about the guest follows from one.
    pub id: String,
    /// Hash of the address: the key of the booking's duplicate check
    /// (`GUESTADDR#{addr}` names the address's active booking).
    pub addr: String,
    pub name: String,
    pub email: String,
    pub state: GuestState,
    pub token_hash: String,
}

/// An event and everything under it, read in one query.
#[derive(Debug, Clone)]
pub struct EventAll {
    pub event: EventRecord,
    /// slot name → holder.
    pub slots: HashMap<String, String>,
    pub checklist: Vec<CheckItem>,
    pub guests: Vec<Guest>,
}

/// A member record.
#[derive(Debug, Clone)]
pub struct Member {
    pub email: String,
    /// `None` once removed.
    pub role: Option<Role>,
    /// Sessions issued (`iat`) before this second are refused.
    pub tokens_valid_after: i64,
    pub last_sign_in: Option<i64>,
    pub invited_by: Option<String>,
    /// Bumped by every claim; a role change conditions on it.
    pub slot_version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_transitions_are_explicit() {
        use GuestAction::*;
        use GuestState::*;
        assert_eq!(OnHold.next(SignWaiver), Some(Confirmed));
        assert_eq!(OnHold.next(Cancel), Some(Cancelled));
        assert_eq!(Confirmed.next(Cancel), Some(Cancelled));
        assert_eq!(Confirmed.next(SignWaiver), None);
        assert_eq!(Cancelled.next(SignWaiver), None);
        assert_eq!(Cancelled.next(Cancel), None);
        assert_eq!(GuestState::sources(SignWaiver), vec![OnHold]);
        assert_eq!(GuestState::sources(Cancel), vec![OnHold, Confirmed]);
    }
}
