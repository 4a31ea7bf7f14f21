//! The HTTP routes. Every route that reads or changes crew data takes a
//! `User` (a verified token); guest routes take the guest's own token; only
//! `/api/health`, `/api/config` and the two sign-in steps are open, and those
//! are rate-limited.

use crate::app::{App, Body, ClientIp, Ids, User};
use crate::auth::Role;
use crate::error::ApiError;
use crate::mail;
use crate::secret::{hash_code, hash_key, random_code, random_id};
use crate::store::{CheckItem, EventAll, EventRecord, Guest, GuestAction, GuestState, Refusal, StoreError};
use crate::timing::{self, moment, Timing};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

const GUEST_TOKEN_LEN: usize = 32;
/// Hex characters of a guest id (from the SHA-256 of their address).
const GUEST_ID_LEN: usize = 20;

pub async fn not_found() -> ApiError {
    ApiError::NotFound("route")
}

/// A transaction lost to a concurrent write (not to a failed condition).
pub(crate) fn retry_conflict() -> ApiError {
    ApiError::Conflict(
        "conflict",
        "someone changed this at the same time; reload and try again".into(),
    )
}

pub(crate) fn internal(e: StoreError) -> ApiError {
    ApiError::internal("dynamodb", e)
}

pub(crate) async fn health() -> Json<Value> {
    Json(json!({"ok": true, "service": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")}))
}

pub(crate) async fn config(State(app): State<App>) -> Json<Value> {
    let m = &app.cfg.marina;
    Json(json!({
        "brand": "ShipCaptainCrew",
        "marina": {"name": m.name, "lat": m.lat, "lon": m.lon},
        "timezone": app.cfg.timezone_name,
    }))
}

// ---- sign-in ------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailBody {
    email: String,
}

/// The per-address limits for `ip`: its own (IPv4, or IPv6 /64) and, for
/// IPv6, its /48's, which allows `NETWORK_FACTOR` times as many.
async fn limit_ip(app: &App, what: &str, ip: &ClientIp, per_ip: i64) -> Result<(), ApiError> {
    limit(app, format!("{what}:{}", hash_key(&ip.limit_key())), per_ip).await?;
    if let Some(net) = ip.network_key() {
        limit(app, format!("{what}-net:{}", hash_key(&net)), per_ip * NETWORK_FACTOR).await?;
    }
    Ok(())
}

/// How many /64s' worth of requests a /48 may make together.
const NETWORK_FACTOR: i64 = 4;

pub(crate) async fn limit(app: &App, key: String, limit: i64) -> Result<(), ApiError> {
    let l = app.cfg.limits;
    match app
        .store
        .rate_hit(&key, l.window, limit, app.clock.now())
        .await
        .map_err(internal)?
    {
        None => Ok(()),
        Some(retry) => Err(ApiError::RateLimited(retry)),
    }
}

pub(crate) fn address(raw: &str) -> Result<String, ApiError> {
    crate::email::normalize(raw).ok_or_else(|| ApiError::BadRequest(format!("{raw:?} is not an e-mail address")))
}

/// Creates a code for `email`, stores its hash and mails the link.
pub(crate) async fn auth_request(
    State(app): State<App>,
    ip: ClientIp,
    Body(b): Body<EmailBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let email = address(&b.email)?;
    limit_ip(&app, "request-ip", &ip, app.cfg.limits.per_ip).await?;
    limit(
        &app,
        format!("address:{}", hash_key(&email)),
        app.cfg.limits.per_address,
    )
    .await?;
    // Whether the address is a member, and the link's write and mail, are
    // worked out after the answer has gone (`after.rs`): the answer is the
    // same, and does the same work, for every address.
    app.after.push(crate::after::Job::SignInLink { email });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"message": "If that address is registered, a sign-in link is on its way."})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeBody {
    code: String,
}

/// `POST /api/auth/peek` `{code}`: who a sign-in link is for, without
/// using it. Opening a link signs nobody in: the page shows this and waits
/// for a click (so a mail scanner that runs the page burns nothing, and a
/// link planted by someone else cannot sign a visitor into their account
/// unasked). Counted with the exchanges against the per-IP limit.
pub(crate) async fn auth_peek(
    State(app): State<App>,
    ip: ClientIp,
    Body(b): Body<CodeBody>,
) -> Result<Json<Value>, ApiError> {
    limit_ip(&app, "exchange-ip", &ip, app.cfg.limits.exchange_per_ip).await?;
    if b.code.trim().is_empty() || b.code.len() > 64 {
        return Err(ApiError::InvalidCode);
    }
    let (email, role) = app
        .store
        .peek_invite(&hash_code(&b.code), app.clock.now())
        .await
        .map_err(internal)?
        .ok_or(ApiError::InvalidCode)?;
    Ok(Json(json!({"email": email, "role": role})))
}

pub(crate) async fn auth_exchange(
    State(app): State<App>,
    ip: ClientIp,
    Body(b): Body<CodeBody>,
) -> Result<Json<Value>, ApiError> {
    limit_ip(&app, "exchange-ip", &ip, app.cfg.limits.exchange_per_ip).await?;
    if b.code.trim().is_empty() || b.code.len() > 64 {
        return Err(ApiError::InvalidCode);
    }
    let now = app.clock.now();
    let (email, _, sent) = app
        .store
        .consume_invite(&hash_code(&b.code), now)
        .await
        .map_err(internal)?
        .ok_or(ApiError::InvalidCode)?;
    // "Sign out everywhere" voids the links sent before it too: an unused
    // link is a session not yet started.
    let member = app.store.member(&email).await.map_err(internal)?;
    if member.is_some_and(|m| sent < m.tokens_valid_after) {
        return Err(ApiError::InvalidCode);
    }
    // The role is the member's role now, not when the link was sent.
    let role = app.role_of(&email).await?.ok_or(ApiError::InvalidCode)?;
    let token = app.keys.issue(&email, role, now, app.cfg.session_ttl);
    if let Err(e) = app.store.record_sign_in(&email, now).await {
        tracing::error!(cause = %e, "last sign-in not recorded");
    }
    let expires = jiff::Timestamp::from_second(now + app.cfg.session_ttl)
        .map(|t| t.to_string())
        .unwrap_or_default();
    Ok(Json(
        json!({"token": token, "email": email, "role": role, "expires_at": expires}),
    ))
}

pub(crate) async fn me(user: User) -> Json<Value> {
    Json(json!({"email": user.email, "role": user.role}))
}

// ---- events ---------------------------------------------------------------

fn parse_date(raw: &str) -> Result<jiff::civil::Date, ApiError> {
    let ok = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    ok.then(|| raw.parse::<jiff::civil::Date>().ok())
        .flatten()
        .ok_or_else(|| ApiError::BadRequest(format!("date {raw:?} is not a calendar date (YYYY-MM-DD)")))
}

/// How long after a sail's return its crew may still tick the checklist
/// (lines coiled, boat rinsed) before the event closes.
pub(crate) const CLOSE_AFTER_RETURN_SECS: i64 = 6 * 3600;

/// Whether the sail is over: past its return time plus the grace period.
/// Then claims, releases, assignments, bookings, guest and sail
/// cancellations, checklist changes and waiver signing end (the record of
/// who sailed stays as it was), and guests' waiver links expire.
pub(crate) fn is_over(app: &App, e: &EventRecord) -> bool {
    event_timing(app, e).is_some_and(|t| app.clock.now() > t.ret.timestamp().as_second() + CLOSE_AFTER_RETURN_SECS)
}

pub(crate) fn ensure_open(app: &App, e: &EventRecord) -> Result<(), ApiError> {
    match is_over(app, e) {
        false => Ok(()),
        true => Err(ApiError::Conflict(
            "event_over",
            format!("the sail on {} is over; it can no longer be changed", e.date),
        )),
    }
}

fn event_timing(app: &App, e: &EventRecord) -> Option<Timing> {
    let date = e.date.parse::<jiff::civil::Date>().ok()?;
    let m = &app.cfg.marina;
    timing::timing(
        date,
        m.lat,
        m.lon,
        &app.cfg.timezone,
        e.depart_offset_min,
        e.return_offset_min,
    )
}

fn timing_json(app: &App, t: Option<&Timing>) -> Value {
    match t {
        None => Value::Null,
        Some(t) => {
            let (s, d, r) = (moment(&t.sunset), moment(&t.departure), moment(&t.ret));
            json!({
                "timezone": app.cfg.timezone_name,
                "sunset": s.at, "departure": d.at, "return": r.at,
                "local": {"sunset": s.local, "departure": d.local, "return": r.local},
            })
        }
    }
}

fn summary_json(app: &App, e: &EventRecord) -> Value {
    json!({
        "id": e.id, "date": e.date, "boat": e.boat, "kind": e.kind, "guests": e.guests,
        "crew_slots": e.crew_slots, "status": e.status, "booked_guests": e.booked_guests,
        "depart_offset_min": e.depart_offset_min, "return_offset_min": e.return_offset_min,
        "timing": timing_json(app, event_timing(app, e).as_ref()),
    })
}

pub(crate) fn slot_names(e: &EventRecord) -> Vec<String> {
    std::iter::once("captain".to_string())
        .chain((1..=e.crew_slots).map(|i| format!("crew-{i}")))
        .collect()
}

fn guest_json(g: &Guest, with_email: bool) -> Value {
    let mut v = json!({"id": g.id, "name": g.name, "state": g.state});
    if with_email {
        v["email"] = json!(g.email);
    }
    v
}

pub(crate) fn event_json(app: &App, all: &EventAll, viewer: &User) -> Value {
    let t = event_timing(app, &all.event);
    let mut v = summary_json(app, &all.event);
    v["slots"] = slot_names(&all.event)
        .into_iter()
        .map(|s| json!({"slot": s, "holder": all.slots.get(&s)}))
        .collect();
    let mut checklist = all.checklist.clone();
    checklist.sort_by_key(|c| (c.hook != "departure", c.offset_min, c.id.clone()));
    v["checklist"] = checklist
        .iter()
        .map(|c| {
            let base = t
                .as_ref()
                .map(|t| if c.hook == "return" { &t.ret } else { &t.departure });
            let due = base.and_then(|b| b.checked_add(jiff::SignedDuration::from_mins(c.offset_min)).ok());
            let due = due.as_ref().map(moment);
            let mut item = json!({
                "id": c.id, "label": c.label, "hook": c.hook, "offset_min": c.offset_min,
                "due": due.as_ref().map(|d| d.at.clone()), "due_local": due.map(|d| d.local),
                "done_by": c.done_by, "done_at": c.done_at, "done": c.done_by.is_some(),
            });
            if c.derived.as_deref() == Some(WAIVERS) {
                let booked: Vec<&Guest> = all.guests.iter().filter(|g| g.state != GuestState::Cancelled).collect();
                let signed = booked.iter().filter(|g| g.state == GuestState::Confirmed).count();
                item["derived"] = json!(WAIVERS);
                item["done"] = json!(signed == booked.len());
                item["signed"] = json!(signed);
                item["booked"] = json!(booked.len());
            }
            item
        })
        .collect();
    v["guests_list"] = all.guests.iter().map(|g| guest_json(g, viewer.is_admin())).collect();
    v
}

/// Whether `id` has the shape of an id this app generates (10 of [0-9a-z]):
/// anything else is "not found" without a database call.
fn is_id(id: &str, len: usize) -> bool {
    id.len() == len && id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// Whether (`id`, `gid`) have the shapes of an event and a guest id.
fn is_guest(id: &str, gid: &str) -> bool {
    is_id(id, 10) && gid.len() == GUEST_ID_LEN && gid.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The event, if `slot` is one of its slots (404 `slot` otherwise).
pub(crate) async fn load_slot(app: &App, id: &str, slot: &str) -> Result<EventAll, ApiError> {
    let all = load(app, id).await?;
    if !slot_names(&all.event).iter().any(|s| s == slot) {
        return Err(ApiError::NotFound("slot"));
    }
    Ok(all)
}

pub(crate) async fn load(app: &App, id: &str) -> Result<EventAll, ApiError> {
    if !is_id(id, 10) {
        return Err(ApiError::NotFound("event"));
    }
    app.store
        .event(id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("event"))
}

/// How many sails one page of the list holds.
const PAGE: i32 = 25;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// `upcoming` (today at the marina and later, soonest first; the
    /// default) or `past` (newest first).
    when: Option<String>,
    /// The `next` of the page before.
    after: Option<String>,
}

/// `GET /api/events[?when=upcoming|past][&after=CURSOR]`: one page of sails
/// with their staffing (each slot and its holder), so the list can show
/// which still need a captain or crew, and `next`, the cursor of the page
/// after (null on the last). A page costs one Query of the calendar and
/// one per listed event, whatever the table holds.
pub(crate) async fn list_events(
    State(app): State<App>,
    _user: User,
    query: Result<axum::extract::Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
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
    let after = q.after.as_deref().map(cursor_key).transpose()?;
    let today = marina_today(&app)?.to_string();
    let (events, next) = app
        .store
        .calendar_page(upcoming, &today, after.as_deref(), PAGE)
        .await
        .map_err(internal)?;
    let list: Vec<Value> = events
        .iter()
        .map(|all| {
            let mut v = summary_json(&app, &all.event);
            v["slots"] = slot_names(&all.event)
                .into_iter()
                .map(|s| json!({"slot": s, "holder": all.slots.get(&s)}))
                .collect();
            v
        })
        .collect();
    let next = next.map(|k| k.replacen('#', "_", 1));
    Ok(Json(json!({ "events": list, "next": next })))
}

/// The calendar key a cursor (`{date}_{id}`, as `next` gives it) stands for.
fn cursor_key(cursor: &str) -> Result<String, ApiError> {
    let bad = || ApiError::BadRequest(format!("after={cursor:?}: not a cursor this API gave"));
    let (date, id) = cursor.split_once('_').ok_or_else(bad)?;
    parse_date(date).map_err(|_| bad())?;
    if id.is_empty() || id.len() > 40 || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(format!("{date}#{id}"))
}

/// Today's date at the marina.
fn marina_today(app: &App) -> Result<jiff::civil::Date, ApiError> {
    Ok(jiff::Timestamp::from_second(app.clock.now())
        .map_err(|e| ApiError::internal("clock", e))?
        .to_zoned(app.cfg.timezone.clone())
        .date())
}

pub(crate) async fn get_event(
    State(app): State<App>,
    user: User,
    Ids(id): Ids<String>,
) -> Result<Json<Value>, ApiError> {
    let all = load(&app, &id).await?;
    Ok(Json(event_json(&app, &all, &user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewEvent {
    date: String,
    boat: String,
    kind: String,
    guests: i64,
    crew_slots: Option<i64>,
    depart_offset_min: Option<i64>,
    return_offset_min: Option<i64>,
}

fn text(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{field} must be 1 to {max} characters of text"
        )));
    }
    Ok(v.to_string())
}

fn in_range(field: &str, v: i64, lo: i64, hi: i64) -> Result<i64, ApiError> {
    match (lo..=hi).contains(&v) {
        true => Ok(v),
        false => Err(ApiError::BadRequest(format!(
            "{field} must be between {lo} and {hi} (got {v})"
        ))),
    }
}

/// The checklist every new event starts with: (hook, minutes, label,
/// derived from). "All guest waivers signed" follows the guests' states.
const DEFAULT_CHECKLIST: [(&str, i64, &str, Option<&str>); 5] = [
    ("departure", -60, "Check the weather and marine forecast", None),
    ("departure", -45, "Fuel, water and ice aboard", None),
    ("departure", -20, "Life jackets counted and safety briefing ready", None),
    ("departure", -10, "All guest waivers signed", Some(WAIVERS)),
    ("return", 20, "Sails covered, lines coiled, boat rinsed", None),
];

/// The derived item done when every booked guest has signed their waiver.
const WAIVERS: &str = "waivers";

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

/// Whether a stored event is what `wanted` asks for: the fields a create
/// request sets (not its state since, e.g. booked guests or a cancel).
fn same_request(stored: &EventRecord, wanted: &EventRecord) -> bool {
    (
        &stored.date,
        &stored.boat,
        &stored.kind,
        stored.guests,
        stored.crew_slots,
        stored.depart_offset_min,
        stored.return_offset_min,
    ) == (
        &wanted.date,
        &wanted.boat,
        &wanted.kind,
        wanted.guests,
        wanted.crew_slots,
        wanted.depart_offset_min,
        wanted.return_offset_min,
    )
}

pub(crate) async fn create_event(
    State(app): State<App>,
    user: User,
    headers: HeaderMap,
    Body(b): Body<NewEvent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_admin()?;
    let date = parse_date(&b.date)?;
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
        boat: text("boat", &b.boat, 80)?,
        kind: text("kind", &b.kind, 40)?,
        guests: in_range("guests", b.guests, 1, 150)?,
        crew_slots: in_range("crew_slots", b.crew_slots.unwrap_or(2), 0, 10)?,
        depart_offset_min: in_range(
            "depart_offset_min",
            b.depart_offset_min.unwrap_or(app.cfg.depart_offset_min),
            -720,
            720,
        )?,
        return_offset_min: in_range(
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
    if event_timing(&app, &record).is_none() {
        return Err(ApiError::BadRequest(format!(
            "the sun does not set at the marina on {date}"
        )));
    }
    let checklist: Vec<CheckItem> = DEFAULT_CHECKLIST
        .iter()
        .enumerate()
        .map(|(i, (hook, offset, label, derived))| CheckItem {
            id: format!("{:02}", i + 1),
            label: label.to_string(),
            hook: hook.to_string(),
            offset_min: *offset,
            derived: derived.map(str::to_string),
            done_by: None,
            done_at: None,
        })
        .collect();
    match app
        .store
        .create_event(&record, &checklist, &user.email, app.clock.now())
        .await
    {
        Ok(()) => {}
        // The same Idempotency-Key again: the event the first request
        // created, if this request asks for the same event; a different
        // request under a used key is refused, never answered with the old one.
        Err(e) if fixed_id.is_some() && e.refused(Refusal::EventExists) => {
            let existing = load(&app, &record.id).await?;
            if !same_request(&existing.event, &record) {
                return Err(ApiError::Unprocessable(
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used for a different event; use a new key for a new request"
                        .into(),
                ));
            }
            return Ok((StatusCode::OK, Json(event_json(&app, &existing, &user))));
        }
        Err(e) => return Err(internal(e)),
    }
    let all = load(&app, &record.id).await?;
    Ok((StatusCode::CREATED, Json(event_json(&app, &all, &user))))
}

pub(crate) async fn cancel_event(
    State(app): State<App>,
    user: User,
    Ids(id): Ids<String>,
) -> Result<Json<Value>, ApiError> {
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
        Err(e) => return Err(internal(e)),
    }
    Ok(Json(event_json(&app, &load(&app, &id).await?, &user)))
}

// ---- slots ----------------------------------------------------------------

pub(crate) async fn claim(
    State(app): State<App>,
    user: User,
    Ids((id, slot)): Ids<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let all = load_slot(&app, &id, &slot).await?;
    ensure_open(&app, &all.event)?;
    if !slot_roles(&slot).contains(&user.role) {
        return Err(ApiError::Forbidden("only a captain can claim the captain slot"));
    }
    take_slot(&app, &id, &slot, &user.email).await?;
    Ok(Json(event_json(&app, &load(&app, &id).await?, &user)))
}

/// The roles that may hold `slot`: the captain slot needs a captain (or an
/// admin); crew slots take anyone.
pub(crate) fn slot_roles(slot: &str) -> &'static [Role] {
    match slot {
        "captain" => &[Role::Admin, Role::Captain],
        _ => &[Role::Admin, Role::Captain, Role::Crew],
    }
}

/// Puts `email` into `slot` with the claim's rules (slot free, one slot per
/// person per event, event booked, the member's role still fits — checked
/// in the same transaction). A retry that already succeeded is a success.
pub(crate) async fn take_slot(app: &App, id: &str, slot: &str, email: &str) -> Result<(), ApiError> {
    let roles = (!app.is_configured_admin(email)).then(|| slot_roles(slot));
    match app.store.claim_slot(id, slot, email, roles, app.clock.now()).await {
        Ok(()) => Ok(()),
        Err(e @ StoreError::Refused(_)) => {
            if load(app, id).await?.slots.get(slot).map(String::as_str) == Some(email) {
                return Ok(());
            }
            Err(if e.refused(Refusal::EventNotOpen) {
                ApiError::Conflict("event_not_open", "the event is cancelled".into())
            } else if e.refused(Refusal::AlreadyHolding) {
                ApiError::Conflict(
                    "already_holding",
                    format!("{email} already holds a slot on this event; release it first"),
                )
            } else if e.refused(Refusal::SlotTaken) {
                ApiError::Conflict("slot_taken", format!("{slot} is already taken"))
            } else if e.refused(Refusal::RoleChanged) {
                ApiError::Conflict("role_mismatch", format!("{email}'s role does not fit the {slot} slot"))
            } else {
                retry_conflict()
            })
        }
        Err(e) => Err(internal(e)),
    }
}

pub(crate) async fn release(
    State(app): State<App>,
    user: User,
    Ids((id, slot)): Ids<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let all = load_slot(&app, &id, &slot).await?;
    ensure_open(&app, &all.event)?;
    let holder = all
        .slots
        .get(&slot)
        .cloned()
        .ok_or_else(|| ApiError::Conflict("not_claimed", format!("{slot} is not claimed")))?;
    // The holder, an admin, or — for a crew slot — the event's captain.
    let captain = all.slots.get("captain") == Some(&user.email);
    if holder != user.email && !user.is_admin() && !(captain && slot != "captain") {
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
        Err(e) => return Err(internal(e)),
    }
    Ok(Json(event_json(&app, &load(&app, &id).await?, &user)))
}

// ---- checklist ------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCheck {
    label: String,
    hook: String,
    offset_min: i64,
}

pub(crate) async fn add_check(
    State(app): State<App>,
    user: User,
    Ids(id): Ids<String>,
    Body(b): Body<NewCheck>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_admin()?;
    if !matches!(b.hook.as_str(), "departure" | "return") {
        return Err(ApiError::BadRequest(format!(
            "hook {:?} must be \"departure\" or \"return\"",
            b.hook
        )));
    }
    let all = load(&app, &id).await?;
    ensure_open(&app, &all.event)?;
    let next = all
        .checklist
        .iter()
        .filter_map(|c| c.id.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let item = CheckItem {
        id: format!("{next:02}"),
        label: text("label", &b.label, 120)?,
        hook: b.hook,
        offset_min: in_range("offset_min", b.offset_min, -720, 720)?,
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
        Err(e) => return Err(internal(e)),
    }
    Ok((
        StatusCode::CREATED,
        Json(event_json(&app, &load(&app, &id).await?, &user)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckBody {
    done: bool,
}

pub(crate) async fn check(
    State(app): State<App>,
    user: User,
    Ids((id, item)): Ids<(String, String)>,
    Body(b): Body<CheckBody>,
) -> Result<Json<Value>, ApiError> {
    let all = load(&app, &id).await?;
    ensure_open(&app, &all.event)?;
    if item.is_empty() || item.len() > 4 || !item.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::NotFound("checklist item"));
    }
    if !user.is_admin() && !all.slots.values().any(|h| *h == user.email) {
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
    let at = jiff::Timestamp::from_second(app.clock.now())
        .map(|t| t.to_string())
        .unwrap_or_default();
    match app
        .store
        .set_check(&id, &item, b.done.then_some(user.email.as_str()), &at)
        .await
    {
        Ok(()) => {}
        Err(e) if e.refused(Refusal::EventNotOpen) => {
            return Err(ApiError::Conflict("event_not_open", "the event is cancelled".into()))
        }
        Err(e) if e.refused(Refusal::NoSuchCheckItem) => return Err(ApiError::NotFound("checklist item")),
        Err(StoreError::Refused(_)) => return Err(retry_conflict()),
        Err(e) => return Err(internal(e)),
    }
    Ok(Json(event_json(&app, &load(&app, &id).await?, &user)))
}

// ---- guests ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGuest {
    name: String,
    email: String,
}

pub(crate) async fn add_guest(
    State(app): State<App>,
    user: User,
    Ids(id): Ids<String>,
    Body(b): Body<NewGuest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_admin()?;
    let name = text("name", &b.name, 100)?;
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
        Err(e) if e.refused(Refusal::AlreadyBooked) => {
            return Err(ApiError::Conflict(
                "already_booked",
                format!("{} is already booked on this sail", guest.email),
            ));
        }
        Err(e) if e.refused(Refusal::FullOrNotOpen) => {
            let e = load(&app, &id).await?.event;
            return Err(if e.status != "booked" {
                ApiError::Conflict("event_not_open", "the event is cancelled".into())
            } else {
                ApiError::Conflict("event_full", format!("all {} guest places are booked", e.guests))
            });
        }
        Err(StoreError::Refused(_)) => return Err(retry_conflict()),
        Err(e) => return Err(internal(e)),
    }
    let url = format!("{}/guest.html#/{}/{}/{token}", app.cfg.public_url, id, guest.id);
    let when = match event_timing(&app, &all.event) {
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
        Json(json!({"guest": guest_json(&guest, true), "waiver_url": url})),
    ))
}

pub(crate) async fn cancel_guest(
    State(app): State<App>,
    user: User,
    Ids((id, gid)): Ids<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    user.require_admin()?;
    if is_guest(&id, &gid) {
        ensure_open(&app, &load(&app, &id).await?.event)?;
    }
    transition(&app, &id, &gid, GuestAction::Cancel, None, &[])
        .await
        .map(|g| Json(json!({"guest": guest_json(&g, true)})))
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
    if !is_guest(id, gid) {
        return Err(ApiError::NotFound("guest"));
    }
    match app.store.transition_guest(id, gid, action, token_hash, extra).await {
        Ok(_) => {}
        Err(e @ StoreError::Refused(_)) => {
            let sail_closed = e.refused(Refusal::EventNotOpen);
            if !sail_closed && !e.refused(Refusal::GuestState) {
                return Err(retry_conflict());
            }
            // Who asks comes before what state things are in: a wrong
            // token learns nothing, not even that the sail was cancelled.
            let g = app.store.guest(id, gid).await.map_err(internal)?;
            let Some(g) = g.filter(|g| token_hash.is_none_or(|h| h == g.token_hash)) else {
                return Err(ApiError::NotFound("guest"));
            };
            return Err(if sail_closed {
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
        Err(e) => return Err(internal(e)),
    }
    app.store
        .guest(id, gid)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("guest"))
}

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

pub(crate) async fn waiver(
    State(app): State<App>,
    headers: HeaderMap,
    Ids((id, gid)): Ids<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let token_hash = guest_token(&headers)?;
    if !is_guest(&id, &gid) {
        return Err(ApiError::NotFound("guest"));
    }
    let g = app
        .store
        .guest(&id, &gid)
        .await
        .map_err(internal)?
        .filter(|g| g.token_hash == token_hash)
        .ok_or(ApiError::NotFound("guest"))?;
    let e = load(&app, &id).await?.event;
    if is_over(&app, &e) {
        // The link expires with the sail.
        return Err(ApiError::NotFound("guest"));
    }
    Ok(Json(json!({
        "event": {"date": e.date, "boat": e.boat, "kind": e.kind, "status": e.status, "timing": timing_json(&app, event_timing(&app, &e).as_ref())},
        "guest": guest_json(&g, false),
        "waiver_text": WAIVER_TEXT,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Signature {
    signed_name: String,
    accept: bool,
}

pub(crate) async fn sign_waiver(
    State(app): State<App>,
    headers: HeaderMap,
    Ids((id, gid)): Ids<(String, String)>,
    Body(b): Body<Signature>,
) -> Result<Json<Value>, ApiError> {
    let token_hash = guest_token(&headers)?;
    if !b.accept {
        return Err(ApiError::BadRequest("accept must be true to sign the waiver".into()));
    }
    let name = text("signed_name", &b.signed_name, 100)?;
    if is_guest(&id, &gid) && is_over(&app, &load(&app, &id).await?.event) {
        return Err(ApiError::NotFound("guest"));
    }
    let at = jiff::Timestamp::from_second(app.clock.now())
        .map(|t| t.to_string())
        .unwrap_or_default();
    let g = transition(
        &app,
        &id,
        &gid,
        GuestAction::SignWaiver,
        Some(&token_hash),
        &[("waiver_signed_name", name), ("waiver_signed_at", at)],
    )
    .await?;
    Ok(Json(json!({"guest": guest_json(&g, false)})))
}
