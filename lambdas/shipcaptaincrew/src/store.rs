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
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use serde::Serialize;
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
/// method that built it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// create_event: an event with this id exists (its Idempotency-Key was used).
    EventExists,
    /// The event is not booked (it was cancelled).
    EventNotOpen,
    /// claim_slot: someone holds the slot.
    SlotTaken,
    /// claim_slot: the person holds another slot of the event.
    AlreadyHolding,
    /// claim_slot: the member's role no longer fits the slot.
    RoleChanged,
    /// add_check_item: an item with this id exists.
    CheckItemExists,
    /// set_check: no such checklist item.
    NoSuchCheckItem,
    /// add_guest: every guest place is booked, or the event is not booked.
    FullOrNotOpen,
    /// add_guest: the address already has an active booking on the event.
    AlreadyBooked,
    /// transition_guest: the guest's state (or token) does not allow it.
    GuestState,
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
    fn parse(s: &str) -> Option<GuestState> {
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

fn event_pk(id: &str) -> AttributeValue {
    s(format!("EVENT#{id}"))
}

fn member_pk(email: &str) -> AttributeValue {
    s(format!("MEMBER#{email}"))
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

    // ---- rate limits ----------------------------------------------------

    /// Counts one hit on `key` against `limit` per sliding `window`: the
    /// hits of the current fixed window plus the previous window's, weighted
    /// by how much of it still lies within `window` of now (so a new window
    /// does not hand out a fresh quota at once). Returns the seconds to wait
    /// when the limit is reached.
    pub async fn rate_hit(&self, key: &str, window: i64, limit: i64, now: i64) -> Result<Option<i64>, StoreError> {
        let start = now - now.rem_euclid(window);
        let end = start + window;
        let previous = self
            .db
            .get_item()
            .table_name(&self.invites)
            .key("code_hash", s(format!("rate#{key}#{}", start - window)))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?
            .item()
            .and_then(|i| get_n(i, "hits"))
            .unwrap_or(0);
        // The previous window's hits still inside the sliding window, rounded up.
        let carried = (previous * (end - now) + window - 1) / window;
        let allowance = limit - carried;
        if allowance <= 0 {
            // Wait until enough of the previous window has slid out.
            let wait = (end - now) - (limit - 1) * window / previous.max(1);
            return Ok(Some(wait.clamp(1, window)));
        }
        let r = self
            .db
            .update_item()
            .table_name(&self.invites)
            .key("code_hash", s(format!("rate#{key}#{start}")))
            .update_expression("ADD hits :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":exp", n(end + window + 60))
            .expression_attribute_values(":limit", n(allowance))
            .send()
            .await;
        match r {
            Ok(_) => Ok(None),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(Some(end - now))
            }
            Err(e) => Err(other(e)),
        }
    }

    // ---- members and invites -------------------------------------------

    /// The member record (one consistent read: the role and the token
    /// cut-off come together).
    pub async fn member(&self, email: &str) -> Result<Option<Member>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        Ok(out.item().and_then(parse_member))
    }

    pub async fn member_role(&self, email: &str) -> Result<Option<Role>, StoreError> {
        Ok(self.member(email).await?.and_then(|m| m.role))
    }

    /// Makes `email` a member with `role`. An update, not a put: the token
    /// cut-off of a removed member survives their re-invitation.
    pub async fn put_member(&self, email: &str, role: Role, by: &str, now: i64) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .update_expression("SET email = :e, #role = :r, invited_by = :by, updated_at = :now")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":e", s(email))
            .expression_attribute_values(":r", s(role.as_str()))
            .expression_attribute_values(":by", s(by))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    /// Every member record, removed ones included (a scan: one business's members).
    pub async fn members(&self) -> Result<Vec<Member>, StoreError> {
        let items = self
            .scan(
                "sk = :meta AND begins_with(pk, :p)",
                &[(":meta", "META"), (":p", "MEMBER#")],
            )
            .await?;
        let mut members: Vec<Member> = items.iter().filter_map(parse_member).collect();
        members.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(members)
    }

    /// Every slot holding on every event: (event id, slot, holder).
    pub async fn holdings(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let items = self.scan("begins_with(sk, :h)", &[(":h", "HOLDER#")]).await?;
        Ok(items
            .iter()
            .filter_map(|i| {
                let event = get_s(i, "pk")?.strip_prefix("EVENT#")?.to_string();
                Some((event, get_s(i, "slot")?, get_s(i, "holder")?))
            })
            .collect())
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

    /// Records a sign-in (the roster's "last sign-in").
    pub async fn record_sign_in(&self, email: &str, now: i64) -> Result<(), StoreError> {
        self.set_member_time(email, "last_sign_in", now).await
    }

    /// Refuses every session issued so far: `tokens_valid_after` moves past now.
    pub async fn revoke_sessions(&self, email: &str, now: i64) -> Result<(), StoreError> {
        self.set_member_time(email, "tokens_valid_after", now + 1).await
    }

    async fn set_member_time(&self, email: &str, attribute: &str, at: i64) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .update_expression("SET #a = :at")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":at", n(at))
            .send()
            .await
            .map_err(other)?;
        Ok(())
    }

    /// Changes a member's role (`Some`) or removes them (`None`), and
    /// releases `release` (event id, slot) — their slots that no longer fit —
    /// in one transaction. It holds only if the member still exists and has
    /// claimed nothing since `seen` (their `slot_version` when the slots
    /// were read). A removal also ends every session.
    /// Refused: `MemberChanged`, or `Changed` (a slot moved).
    pub async fn change_member(
        &self,
        email: &str,
        role: Option<Role>,
        seen: i64,
        release: &[(String, String)],
        now: i64,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(&self.crew)
            .key("pk", member_pk(email))
            .key("sk", s("META"))
            .condition_expression("attribute_exists(#role) AND (slot_version = :seen OR (attribute_not_exists(slot_version) AND :seen = :zero))")
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":seen", n(seen))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(now));
        let update = match role {
            Some(r) => update
                .update_expression("SET #role = :r, updated_at = :now")
                .expression_attribute_values(":r", s(r.as_str())),
            None => update
                .update_expression("REMOVE #role SET removed_at = :now, tokens_valid_after = :after")
                .expression_attribute_values(":after", n(now + 1)),
        };
        let mut items = vec![(
            TransactWriteItem::builder()
                .update(update.build().expect("table, key, expression set"))
                .build(),
            Refusal::MemberChanged,
        )];
        for (event, slot) in release {
            items.extend(self.release_items(event, slot, email));
        }
        if items.len() > 100 {
            return Err(StoreError::Other(format!(
                "{email} holds {} slots; a transaction releases at most 49",
                release.len()
            )));
        }
        self.transact(items).await
    }

    /// Stores a new invite code (by hash). Never overwrites one.
    pub async fn put_invite(&self, hash: &str, email: &str, role: Role, now: i64, ttl: i64) -> Result<(), StoreError> {
        self.db
            .put_item()
            .table_name(&self.invites)
            .item("code_hash", s(hash))
            .item("email", s(email))
            .item("role", s(role.as_str()))
            .item("created_at", n(now))
            .item("expires_at", n(now + ttl))
            .condition_expression("attribute_not_exists(code_hash)")
            .send()
            .await
            .map_err(|e| {
                match e
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception())
                {
                    true => StoreError::Condition,
                    false => other(e),
                }
            })?;
        Ok(())
    }

    /// Consumes an invite code: one conditional write that succeeds only if
    /// the code exists, is unused and has not expired at `now`. Returns the
    /// address and role it was issued for.
    /// Who an unused, unexpired code is for, without using it up (the
    /// page asks before it signs in).
    pub async fn peek_invite(&self, hash: &str, now: i64) -> Result<Option<(String, Role)>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.invites)
            .key("code_hash", s(hash))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        Ok(out
            .item()
            .filter(|i| !i.contains_key("used_at") && get_n(i, "expires_at").is_some_and(|e| e > now))
            .and_then(|i| get_s(i, "email").zip(get_s(i, "role").and_then(|r| Role::parse(&r)))))
    }

    /// Uses a sign-in code once: its address, its role and when it was sent.
    pub async fn consume_invite(&self, hash: &str, now: i64) -> Result<Option<(String, Role, i64)>, StoreError> {
        let r = self
            .db
            .update_item()
            .table_name(&self.invites)
            .key("code_hash", s(hash))
            .update_expression("SET used_at = :now")
            .condition_expression(
                "attribute_exists(code_hash) AND attribute_exists(email) AND attribute_not_exists(used_at) AND expires_at > :now",
            )
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match r {
            Ok(out) => {
                let item = out.attributes().cloned().unwrap_or_default();
                let sent = get_n(&item, "created_at").unwrap_or(0);
                Ok(get_s(&item, "email")
                    .zip(get_s(&item, "role").and_then(|r| Role::parse(&r)))
                    .map(|(email, role)| (email, role, sent)))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(other(e)),
        }
    }

    // ---- events ----------------------------------------------------------

    /// Creates an event and its checklist in one transaction. Refused:
    /// `EventExists`, or `Changed`.
    pub async fn create_event(
        &self,
        e: &EventRecord,
        checklist: &[CheckItem],
        by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let event = TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&self.crew)
                    .item("pk", event_pk(&e.id))
                    .item("sk", s("META"))
                    .item("id", s(&e.id))
                    .item("date", s(&e.date))
                    .item("boat", s(&e.boat))
                    .item("kind", s(&e.kind))
                    .item("guests", n(e.guests))
                    .item("crew_slots", n(e.crew_slots))
                    .item("depart_offset_min", n(e.depart_offset_min))
                    .item("return_offset_min", n(e.return_offset_min))
                    .item("status", s(&e.status))
                    .item("booked_guests", n(0))
                    .item("created_by", s(by))
                    .item("created_at", n(now))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .expect("table, item set"),
            )
            .build();
        let mut items = vec![(event, Refusal::EventExists)];
        items.push((
            TransactWriteItem::builder()
                .put(self.calendar_put(&e.date, &e.id))
                .build(),
            Refusal::Changed,
        ));
        for c in checklist {
            items.push((
                TransactWriteItem::builder().put(self.check_put(&e.id, c)).build(),
                Refusal::Changed,
            ));
        }
        self.transact(items).await
    }

    fn check_put(&self, event: &str, c: &CheckItem) -> Put {
        let mut put = Put::builder()
            .table_name(&self.crew)
            .item("pk", event_pk(event))
            .item("sk", s(format!("CHECK#{}", c.id)))
            .item("id", s(&c.id))
            .item("label", s(&c.label))
            .item("hook", s(&c.hook))
            .item("offset_min", n(c.offset_min));
        if let Some(d) = &c.derived {
            put = put.item("derived", s(d));
        }
        put.condition_expression("attribute_not_exists(sk)")
            .build()
            .expect("table, item set")
    }

    /// Adds one checklist item to an existing, booked event. Refused:
    /// `EventNotOpen`, `CheckItemExists`.
    pub async fn add_check_item(&self, event: &str, c: &CheckItem) -> Result<(), StoreError> {
        self.transact(vec![
            (
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ),
            (
                TransactWriteItem::builder().put(self.check_put(event, c)).build(),
                Refusal::CheckItemExists,
            ),
        ])
        .await
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

    /// The event and everything under it; None if there is no such event.
    pub async fn event(&self, id: &str) -> Result<Option<EventAll>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .query()
                .table_name(&self.crew)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", event_pk(id))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(other)?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let Some(event) = items
            .iter()
            .find(|i| get_s(i, "sk").as_deref() == Some("META"))
            .and_then(parse_event)
        else {
            return Ok(None);
        };
        let mut all = EventAll {
            event,
            slots: HashMap::new(),
            checklist: Vec::new(),
            guests: Vec::new(),
        };
        for item in &items {
            let sk = get_s(item, "sk").unwrap_or_default();
            if let Some(slot) = sk.strip_prefix("SLOT#") {
                all.slots
                    .insert(slot.to_string(), get_s(item, "holder").unwrap_or_default());
            } else if sk.starts_with("CHECK#") {
                all.checklist.push(CheckItem {
                    id: get_s(item, "id").unwrap_or_default(),
                    label: get_s(item, "label").unwrap_or_default(),
                    hook: get_s(item, "hook").unwrap_or_default(),
                    offset_min: get_n(item, "offset_min").unwrap_or(0),
                    derived: get_s(item, "derived"),
                    done_by: get_s(item, "done_by"),
                    done_at: get_s(item, "done_at"),
                });
            } else if sk.starts_with("GUEST#") {
                all.guests.extend(parse_guest(item));
            }
        }
        Ok(Some(all))
    }

    fn calendar_put(&self, date: &str, id: &str) -> Put {
        Put::builder()
            .table_name(&self.crew)
            .item("pk", s(CALENDAR))
            .item("sk", s(format!("{date}#{id}")))
            .item("event", s(id))
            .build()
            .expect("table, item set")
    }

    /// One page of the calendar: events on or after `today` in date order
    /// (`upcoming`), or before it, newest first; at most `limit`, after the
    /// key `after` (`{date}#{id}`) when given. Returns the events (each with
    /// everything under it) and the key to continue after, if more may follow.
    pub async fn calendar_page(
        &self,
        upcoming: bool,
        today: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<EventAll>, Option<String>), StoreError> {
        self.index_calendar().await?;
        let condition = if upcoming {
            "pk = :p AND sk >= :today"
        } else {
            "pk = :p AND sk < :today"
        };
        let out = self
            .db
            .query()
            .table_name(&self.crew)
            .key_condition_expression(condition)
            .expression_attribute_values(":p", s(CALENDAR))
            .expression_attribute_values(":today", s(today))
            .scan_index_forward(upcoming)
            .limit(limit)
            .consistent_read(true)
            .set_exclusive_start_key(
                after.map(|a| HashMap::from([("pk".to_string(), s(CALENDAR)), ("sk".to_string(), s(a))])),
            )
            .send()
            .await
            .map_err(other)?;
        let ids: Vec<String> = out.items().iter().filter_map(|i| get_s(i, "event")).collect();
        let next = out.last_evaluated_key().and_then(|k| get_s(k, "sk"));
        let mut loads = tokio::task::JoinSet::new();
        for (i, id) in ids.into_iter().enumerate() {
            let store = self.clone();
            loads.spawn(async move { (i, store.event(&id).await) });
        }
        let mut events = Vec::new();
        while let Some(done) = loads.join_next().await {
            let (i, loaded) = done.map_err(|e| StoreError::Other(e.to_string()))?;
            if let Some(all) = loaded? {
                events.push((i, all));
            }
        }
        events.sort_by_key(|(i, _)| *i);
        Ok((events.into_iter().map(|(_, e)| e).collect(), next))
    }

    /// Adds the calendar items of events written before the calendar
    /// existed, once per table: one scan the first time a table is listed
    /// (then a marker item, and a flag in this process, so no request
    /// scans again). Safe to run twice at once: each write is idempotent.
    async fn index_calendar(&self) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        if self.indexed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let marker = self
            .db
            .get_item()
            .table_name(&self.crew)
            .key("pk", s(CALENDAR))
            .key("sk", s(INDEXED))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        if marker.item().is_none() {
            for e in self.events().await? {
                self.db
                    .put_item()
                    .set_item(Some(self.calendar_put(&e.date, &e.id).item().clone()))
                    .table_name(&self.crew)
                    .send()
                    .await
                    .map_err(other)?;
            }
            self.db
                .put_item()
                .table_name(&self.crew)
                .item("pk", s(CALENDAR))
                .item("sk", s(INDEXED))
                .send()
                .await
                .map_err(other)?;
        }
        self.indexed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Every event's record (a scan: the table holds one business's events).
    pub async fn events(&self) -> Result<Vec<EventRecord>, StoreError> {
        let items = self
            .scan(
                "sk = :meta AND begins_with(pk, :ev)",
                &[(":meta", "META"), (":ev", "EVENT#")],
            )
            .await?;
        let mut events: Vec<EventRecord> = items.iter().filter_map(parse_event).collect();
        events.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
        Ok(events)
    }

    pub async fn cancel_event(&self, id: &str, by: &str, now: i64) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.crew)
            .key("pk", event_pk(id))
            .key("sk", s("META"))
            .update_expression("SET #st = :cancelled, cancelled_by = :by, cancelled_at = :now")
            .condition_expression("#st = :booked")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":cancelled", s("cancelled"))
            .expression_attribute_values(":booked", s("booked"))
            .expression_attribute_values(":by", s(by))
            .expression_attribute_values(":now", n(now))
            .send()
            .await
            .map_err(|e| {
                match e
                    .as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception())
                {
                    true => StoreError::Condition,
                    false => other(e),
                }
            })?;
        Ok(())
    }

    // ---- slots -----------------------------------------------------------

    /// Claims `slot` for `email`: the slot must be free, `email` must hold no
    /// other slot on the event and the event must be booked — all in one
    /// transaction. With `roles` (members; not SCC_ADMINS addresses) the
    /// member must still have one of them, and their `slot_version` is
    /// bumped. Refused: `SlotTaken`, `AlreadyHolding`, `EventNotOpen`, `RoleChanged`.
    pub async fn claim_slot(
        &self,
        event: &str,
        slot: &str,
        email: &str,
        roles: Option<&[Role]>,
        now: i64,
    ) -> Result<(), StoreError> {
        let put = |sk: String| {
            Put::builder()
                .table_name(&self.crew)
                .item("pk", event_pk(event))
                .item("sk", s(sk))
                .item("holder", s(email))
                .item("slot", s(slot))
                .item("claimed_at", n(now))
                .condition_expression("attribute_not_exists(sk)")
                .build()
                .expect("table, item set")
        };
        let mut items = vec![
            (
                TransactWriteItem::builder().put(put(format!("SLOT#{slot}"))).build(),
                Refusal::SlotTaken,
            ),
            (
                TransactWriteItem::builder().put(put(format!("HOLDER#{email}"))).build(),
                Refusal::AlreadyHolding,
            ),
            (
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ),
        ];
        if let Some(roles) = roles {
            let mut update = Update::builder()
                .table_name(&self.crew)
                .key("pk", member_pk(email))
                .key("sk", s("META"))
                .update_expression("ADD slot_version :one")
                .expression_attribute_names("#role", "role")
                .expression_attribute_values(":one", n(1));
            let mut names = Vec::new();
            for (i, r) in roles.iter().enumerate() {
                names.push(format!(":r{i}"));
                update = update.expression_attribute_values(format!(":r{i}"), s(r.as_str()));
            }
            update = update.condition_expression(format!("#role IN ({})", names.join(", ")));
            items.push((
                TransactWriteItem::builder()
                    .update(update.build().expect("table, key, expression set"))
                    .build(),
                Refusal::RoleChanged,
            ));
        }
        self.transact(items).await
    }

    /// Releases `slot` held by `holder` (the caller checked who may).
    /// Refused: `Changed` (it is no longer theirs).
    pub async fn release_slot(&self, event: &str, slot: &str, holder: &str) -> Result<(), StoreError> {
        self.transact(self.release_items(event, slot, holder).into()).await
    }

    /// The two deletes that free `slot` of `event` from `holder` (the slot
    /// and the one-slot-per-person marker), each only if `holder` still holds it.
    fn release_items(&self, event: &str, slot: &str, holder: &str) -> [(TransactWriteItem, Refusal); 2] {
        let del = |sk: String| {
            let delete = Delete::builder()
                .table_name(&self.crew)
                .key("pk", event_pk(event))
                .key("sk", s(sk))
                .condition_expression("holder = :h")
                .expression_attribute_values(":h", s(holder))
                .build()
                .expect("table, key set");
            (TransactWriteItem::builder().delete(delete).build(), Refusal::Changed)
        };
        [del(format!("SLOT#{slot}")), del(format!("HOLDER#{holder}"))]
    }

    // ---- checklist -------------------------------------------------------

    /// Ticks (or unticks) a checklist item of a booked event.
    /// Refused: `EventNotOpen`, `NoSuchCheckItem`.
    pub async fn set_check(&self, event: &str, item: &str, done_by: Option<&str>, at: &str) -> Result<(), StoreError> {
        let mut update = Update::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s(format!("CHECK#{item}")))
            .condition_expression("attribute_exists(sk)");
        update = match done_by {
            Some(who) => update
                .update_expression("SET done_by = :who, done_at = :at")
                .expression_attribute_values(":who", s(who))
                .expression_attribute_values(":at", s(at)),
            None => update.update_expression("REMOVE done_by, done_at"),
        };
        self.transact(vec![
            (
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ),
            (
                TransactWriteItem::builder()
                    .update(update.build().expect("table, key, expression set"))
                    .build(),
                Refusal::NoSuchCheckItem,
            ),
        ])
        .await
    }

    // ---- guests ----------------------------------------------------------

    /// Books a guest (on hold) if the event is booked and has room: the
    /// counter on the event and the guest item change together.
    /// Refused: `FullOrNotOpen`, `AlreadyBooked`, or `Changed` (the new
    /// guest id was taken).
    pub async fn add_guest(&self, event: &str, g: &Guest, capacity: i64, now: i64) -> Result<(), StoreError> {
        let counter = Update::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s("META"))
            .update_expression("ADD booked_guests :one")
            .condition_expression("#st = :booked AND (attribute_not_exists(booked_guests) OR booked_guests < :cap)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":booked", s("booked"))
            .expression_attribute_values(":cap", n(capacity))
            .build()
            .expect("table, key, expression set");
        let put = Put::builder()
            .table_name(&self.crew)
            .item("pk", event_pk(event))
            .item("sk", s(format!("GUEST#{}", g.id)))
            .item("id", s(&g.id))
            .item("name", s(&g.name))
            .item("email", s(&g.email))
            .item("state", s(g.state.as_str()))
            .item("token_hash", s(&g.token_hash))
            .item("addr", s(&g.addr))
            .item("created_at", n(now))
            // A new booking never overwrites another: a rebooking after a
            // cancel is a new item, and the old one keeps its waiver.
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .expect("table, item set");
        // One active booking per address per event: the address's lookup
        // item names it, and may be taken again once that booking is cancelled.
        let lookup = Put::builder()
            .table_name(&self.crew)
            .item("pk", event_pk(event))
            .item("sk", s(format!("GUESTADDR#{}", g.addr)))
            .item("guest", s(&g.id))
            .item("active", AttributeValue::Bool(true))
            .condition_expression("attribute_not_exists(sk) OR active = :no")
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .expect("table, item set");
        self.transact(vec![
            (
                TransactWriteItem::builder().update(counter).build(),
                Refusal::FullOrNotOpen,
            ),
            (TransactWriteItem::builder().put(put).build(), Refusal::Changed),
            (TransactWriteItem::builder().put(lookup).build(), Refusal::AlreadyBooked),
        ])
        .await
    }

    pub async fn guest(&self, event: &str, guest: &str) -> Result<Option<Guest>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s(format!("GUEST#{guest}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(other)?;
        Ok(out.item().and_then(parse_guest))
    }

    /// Moves a guest by `action`, only from a state the transition table
    /// allows (and, for waivers, only with the right token and while the
    /// event is booked). Cancelling frees the guest's place on the event.
    /// Refused: `GuestState`, `EventNotOpen` (waivers), or `Changed`.
    pub async fn transition_guest(
        &self,
        event: &str,
        guest: &str,
        action: GuestAction,
        token_hash: Option<&str>,
        extra: &[(&str, String)],
    ) -> Result<GuestState, StoreError> {
        let sources = GuestState::sources(action);
        let to = sources[0].next(action).expect("sources allow the action");
        let mut names = vec![];
        let placeholders: Vec<String> = (0..sources.len()).map(|i| format!(":from{i}")).collect();
        let mut condition = format!("#state IN ({})", placeholders.join(", "));
        let mut set = vec!["#state = :to".to_string()];
        let mut update = Update::builder()
            .table_name(&self.crew)
            .key("pk", event_pk(event))
            .key("sk", s(format!("GUEST#{guest}")))
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":to", s(to.as_str()));
        for (p, from) in placeholders.iter().zip(&sources) {
            update = update.expression_attribute_values(p, s(from.as_str()));
        }
        if let Some(h) = token_hash {
            condition.push_str(" AND token_hash = :th");
            update = update.expression_attribute_values(":th", s(h));
        }
        for (i, (k, v)) in extra.iter().enumerate() {
            set.push(format!("#x{i} = :x{i}"));
            names.push((format!("#x{i}"), k.to_string()));
            update = update.expression_attribute_values(format!(":x{i}"), s(v.clone()));
        }
        for (p, k) in names {
            update = update.expression_attribute_names(p, k);
        }
        let update = update
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression(condition)
            .build()
            .expect("table, key, expression set");
        let mut items = vec![(TransactWriteItem::builder().update(update).build(), Refusal::GuestState)];
        if action == GuestAction::SignWaiver {
            items.push((
                TransactWriteItem::builder()
                    .condition_check(self.event_booked(event))
                    .build(),
                Refusal::EventNotOpen,
            ));
        }
        if to == GuestState::Cancelled {
            // The address may be booked again: its lookup stops naming this booking.
            if let Some(addr) = self
                .guest(event, guest)
                .await?
                .map(|g| g.addr)
                .filter(|a| !a.is_empty())
            {
                let release = Update::builder()
                    .table_name(&self.crew)
                    .key("pk", event_pk(event))
                    .key("sk", s(format!("GUESTADDR#{addr}")))
                    .update_expression("SET active = :no")
                    .condition_expression("guest = :g")
                    .expression_attribute_values(":no", AttributeValue::Bool(false))
                    .expression_attribute_values(":g", s(guest))
                    .build()
                    .expect("table, key, expression set");
                items.push((TransactWriteItem::builder().update(release).build(), Refusal::Changed));
            }
            let counter = Update::builder()
                .table_name(&self.crew)
                .key("pk", event_pk(event))
                .key("sk", s("META"))
                .update_expression("ADD booked_guests :minus")
                .expression_attribute_values(":minus", n(-1))
                .build()
                .expect("table, key, expression set");
            items.push((TransactWriteItem::builder().update(counter).build(), Refusal::Changed));
        }
        self.transact(items).await?;
        Ok(to)
    }
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
