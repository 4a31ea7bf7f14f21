//! DynamoDB persistence. Every state change is one conditional write (or one
//! transaction of them), so concurrent requests cannot both win and a retried
//! request cannot apply twice.
//!
//! Crew table (`pk`, `sk`):
//! - `EVENT#{id}` / `META`: the event (`date` YYYY-MM-DD, `status` booked|cancelled —
//!   the shape exec-reports counts charters by), its offsets and guest counter;
//! - `EVENT#{id}` / `SLOT#{slot}`: a claimed slot and its `holder`;
//! - `EVENT#{id}` / `HOLDER#{email}`: one slot per person per event;
//! - `EVENT#{id}` / `CHECK#{nn}`: a checklist item;
//! - `EVENT#{id}` / `GUEST#{id}`: a guest, their state and waiver token hash;
//! - `EVENTS` / `{date}#{id}`: the calendar, one item per event, written
//!   with it: listing a page of sails is one bounded Query of this
//!   partition (then one Query per listed event), never a scan of the table;
//!   `EVENTS` / `#INDEXED` marks a table whose older events have been added;
//! - `MEMBER#{email}` / `META`: a member: `role` (absent once removed),
//!   `tokens_valid_after` (sessions issued before it are refused),
//!   `last_sign_in`, and `slot_version`, which every claim of a slot by the
//!   member bumps so a role change never misses a slot claimed meanwhile.
//!
//! Invites table (`code_hash`, TTL `expires_at` only cleans up; expiry is
//! checked by the consuming write): invite codes, and `rate#…` counters.

use crate::auth::Role;
use crate::domain::{CheckItem, EventAll, EventRecord, Guest, GuestAction, GuestState, Member};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition was false: someone else won, or the state does not allow it.
    #[error("condition failed")]
    Condition,
    /// A transaction was refused: the named conditions that failed, in the
    /// order of its items (named where the items are built, so reordering
    /// them cannot change what a caller is told).
    #[error("transaction refused: {0:?}")]
    Refused(Vec<Refusal>),
    #[error("{0}")]
    Other(String),
}

/// What a refused transaction's failed condition means, named by the
/// method that built it. Declared most telling first: when several
/// conditions fail, the caller is told the first of them in this order
/// (`StoreError::refusal`), whatever the order of the transaction's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// create_event: an event with this id exists (its Idempotency-Key was used).
    EventExists,
    /// The event is not booked (it was cancelled).
    EventNotOpen,
    /// claim_slot: the person holds another slot of the event.
    AlreadyHolding,
    /// claim_slot: someone holds the slot.
    SlotTaken,
    /// claim_slot: the member's role no longer fits the slot.
    RoleChanged,
    /// set_check: no such checklist item.
    NoSuchCheckItem,
    /// add_guest: the address already has an active booking on the event.
    AlreadyBooked,
    /// add_guest: every guest place is booked, or the event is not booked.
    FullOrNotOpen,
    /// transition_guest: the guest's state (or token) does not allow it.
    GuestState,
    /// add_check_item: an item with this id exists.
    CheckItemExists,
    /// change_member: the member changed or is gone since read.
    MemberChanged,
    /// Something changed at the same time (a slot released, an id taken):
    /// read again and retry.
    Changed,
}

impl StoreError {
    /// Whether the write was refused for `reason`.
    pub fn refused(&self, reason: Refusal) -> bool {
        matches!(self, StoreError::Refused(r) if r.contains(&reason))
    }

    /// The most telling reason a transaction was refused (`None`: not a
    /// refused transaction, or refused for no named condition).
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            StoreError::Refused(r) => r.iter().min().copied(),
            _ => None,
        }
    }
}

fn other<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    StoreError::Other(aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string())
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn get_s(item: &Item, k: &str) -> Option<String> {
    item.get(k).and_then(|v| v.as_s().ok()).cloned()
}
fn get_n(item: &Item, k: &str) -> Option<i64> {
    item.get(k).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

fn event_pk(id: &str) -> AttributeValue {
    s(format!("EVENT#{id}"))
}

fn member_pk(email: &str) -> AttributeValue {
    s(format!("MEMBER#{email}"))
}

fn parse_member(item: &Item) -> Option<Member> {
    Some(Member {
        email: get_s(item, "pk")?.strip_prefix("MEMBER#")?.to_string(),
        role: get_s(item, "role").and_then(|r| Role::parse(&r)),
        tokens_valid_after: get_n(item, "tokens_valid_after").unwrap_or(0),
        last_sign_in: get_n(item, "last_sign_in"),
        invited_by: get_s(item, "invited_by"),
        slot_version: get_n(item, "slot_version").unwrap_or(0),
    })
}

fn parse_event(item: &Item) -> Option<EventRecord> {
    Some(EventRecord {
        id: get_s(item, "id")?,
        date: get_s(item, "date")?,
        boat: get_s(item, "boat").unwrap_or_default(),
        kind: get_s(item, "kind").unwrap_or_default(),
        guests: get_n(item, "guests").unwrap_or(0),
        crew_slots: get_n(item, "crew_slots").unwrap_or(0),
        depart_offset_min: get_n(item, "depart_offset_min").unwrap_or(0),
        return_offset_min: get_n(item, "return_offset_min").unwrap_or(0),
        status: get_s(item, "status").unwrap_or_default(),
        booked_guests: get_n(item, "booked_guests").unwrap_or(0),
    })
}

fn parse_guest(item: &Item) -> Option<Guest> {
    Some(Guest {
        id: get_s(item, "id")?,
        addr: get_s(item, "addr").unwrap_or_default(),
        name: get_s(item, "name").unwrap_or_default(),
        email: get_s(item, "email").unwrap_or_default(),
        state: GuestState::parse(&get_s(item, "state")?)?,
        token_hash: get_s(item, "token_hash").unwrap_or_default(),
    })
}

/// The app's tables.
#[derive(Debug, Clone)]
pub struct Store {
    db: Client,
    crew: String,
    invites: String,
    /// Whether this table's calendar is known complete (`index_calendar`).
    indexed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The calendar's partition, and its marker item (`index_calendar`).
const CALENDAR: &str = "EVENTS";
const INDEXED: &str = "#INDEXED";

fn cancelled_reasons<R>(
    e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<Vec<bool>> {
    let svc = e.as_service_error()?;
    match svc {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
            Some(
                t.cancellation_reasons()
                    .iter()
                    .map(|r| r.code() == Some("ConditionalCheckFailed"))
                    .collect(),
            )
        }
        _ => None,
    }
}

impl Store {
    pub fn new(db: Client, crew: &str, invites: &str) -> Store {
        Store {
            db,
            crew: crew.to_string(),
            invites: invites.to_string(),
            indexed: Default::default(),
        }
    }

    /// Writes `items` in one transaction, each beside the name of what its
    /// condition failing means.
    async fn transact(&self, items: Vec<(TransactWriteItem, Refusal)>) -> Result<(), StoreError> {
        let (items, names): (Vec<_>, Vec<_>) = items.into_iter().unzip();
        match self
            .db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match cancelled_reasons(&e) {
                Some(failed) => Err(StoreError::Refused(
                    failed
                        .iter()
                        .zip(&names)
                        .filter(|(f, _)| **f)
                        .map(|(_, n)| *n)
                        .collect(),
                )),
                None => Err(other(e)),
            },
        }
    }

    async fn scan(&self, filter: &str, values: &[(&str, &str)]) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut req = self
                .db
                .scan()
                .table_name(&self.crew)
                .filter_expression(filter)
                .consistent_read(true)
                .set_exclusive_start_key(start);
            for (k, v) in values {
                req = req.expression_attribute_values(*k, s(*v));
            }
            let out = req.send().await.map_err(other)?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(items)
    }

    fn event_booked(&self, event: &str) -> ConditionCheck {
        ConditionCheck::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s("META"))
            .condition_expression("#st = :booked")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":booked", s("booked"))
            .build()
            .expect("table, key, condition set")
    }
}

mod events;
mod guests;
mod members;
mod rates;
mod slots;
