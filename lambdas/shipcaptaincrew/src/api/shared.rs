//! What the handlers share: loading a sail (and checking a slot is one of
//! its), the sail's timing at the marina and whether it is over, today's
//! date there, rate limits, and reading an address.

use crate::app::{App, ClientIp};
use crate::domain::{self, input, slots::slot_names, EventAll, EventRecord};
use crate::error::ApiError;
use crate::secret::hash_key;
use crate::timing::{self, Timing};

/// The sail `id` with everything under it (404 `event` if there is none,
/// or `id` is not an id this app makes).
pub async fn load(app: &App, id: &str) -> Result<EventAll, ApiError> {
    if !input::is_event_id(id) {
        return Err(ApiError::NotFound("event"));
    }
    app.store.event(id).await?.ok_or(ApiError::NotFound("event"))
}

/// The sail, if `slot` is one of its slots (404 `slot` otherwise).
pub async fn load_slot(app: &App, id: &str, slot: &str) -> Result<EventAll, ApiError> {
    let all = load(app, id).await?;
    if !slot_names(&all.event).iter().any(|s| s == slot) {
        return Err(ApiError::NotFound("slot"));
    }
    Ok(all)
}

/// When the sail leaves and comes back (`None`: the sun does not set at
/// the marina that day).
pub fn timing_of(app: &App, e: &EventRecord) -> Option<Timing> {
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

/// Whether the sail is over (`domain::is_over`).
pub fn is_over(app: &App, e: &EventRecord) -> bool {
    timing_of(app, e).is_some_and(|t| domain::is_over(t.ret.timestamp().as_second(), app.clock.now()))
}

/// 409 `event_over` once the sail is over.
pub fn ensure_open(app: &App, e: &EventRecord) -> Result<(), ApiError> {
    match is_over(app, e) {
        false => Ok(()),
        true => Err(ApiError::Conflict(
            "event_over",
            format!("the sail on {} is over; it can no longer be changed", e.date),
        )),
    }
}

/// Whether the sail takes changes: booked and not over.
pub fn takes_changes(app: &App, e: &EventRecord) -> bool {
    e.status == "booked" && !is_over(app, e)
}

/// Today's date at the marina.
pub fn marina_today(app: &App) -> Result<jiff::civil::Date, ApiError> {
    Ok(jiff::Timestamp::from_second(app.clock.now())
        .map_err(|e| ApiError::internal("clock", e))?
        .to_zoned(app.cfg.timezone.clone())
        .date())
}

/// `secs` as RFC 3339 (UTC).
pub fn time(secs: i64) -> Option<String> {
    jiff::Timestamp::from_second(secs).ok().map(|t| t.to_string())
}

/// Now, as RFC 3339 (UTC).
pub fn now(app: &App) -> String {
    time(app.clock.now()).unwrap_or_default()
}

/// Counts one request against `key`'s limit (429 with Retry-After when
/// reached).
pub async fn limit(app: &App, key: String, limit: i64) -> Result<(), ApiError> {
    let l = app.cfg.limits;
    match app.store.rate_hit(&key, l.window, limit, app.clock.now()).await? {
        None => Ok(()),
        Some(retry) => Err(ApiError::RateLimited(retry)),
    }
}

/// How many /64s' worth of requests a /48 may make together.
const NETWORK_FACTOR: i64 = 4;

/// The per-address limits for `ip`: its own (IPv4, or IPv6 /64) and, for
/// IPv6, its /48's, which allows `NETWORK_FACTOR` times as many.
pub async fn limit_ip(app: &App, what: &str, ip: &ClientIp, per_ip: i64) -> Result<(), ApiError> {
    limit(app, format!("{what}:{}", hash_key(&ip.limit_key())), per_ip).await?;
    if let Some(net) = ip.network_key() {
        limit(app, format!("{what}-net:{}", hash_key(&net)), per_ip * NETWORK_FACTOR).await?;
    }
    Ok(())
}

/// A normalized e-mail address (400 if `raw` is not one).
pub fn address(raw: &str) -> Result<String, ApiError> {
    crate::email::normalize(raw).ok_or_else(|| ApiError::BadRequest(format!("{raw:?} is not an e-mail address")))
}
