//! Crew management: the roster, putting a member into a slot, changing a
//! member's role or removing them, and ending a member's sessions.
//!
//! A role change or removal releases, in the same transaction, the
//! member's upcoming slots their new role no longer fits (all of them on
//! removal); the transaction holds only if the member claimed nothing since
//! their slots were read, so a claim racing the change is never left
//! behind. SCC_ADMINS addresses are admins by configuration: no call here
//! changes them.

use std::collections::{BTreeMap, HashMap};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{App, Body, Ids, User};
use crate::auth::Role;
use crate::error::ApiError;
use crate::mail;
use crate::routes::{address, event_json, internal, limit, load, load_slot, retry_conflict, slot_roles, take_slot};
use crate::secret::hash_key;
use crate::store::{EventRecord, StoreError};

/// Today's date at the marina.
fn today(app: &App) -> Result<String, ApiError> {
    Ok(jiff::Timestamp::from_second(app.clock.now())
        .map_err(|e| ApiError::internal("clock", e))?
        .to_zoned(app.cfg.timezone.clone())
        .date()
        .to_string())
}

fn time(secs: i64) -> Option<String> {
    jiff::Timestamp::from_second(secs).ok().map(|t| t.to_string())
}

/// Every upcoming (today or later) booked event's slots, by holder.
async fn upcoming(app: &App) -> Result<BTreeMap<String, Vec<(EventRecord, String)>>, ApiError> {
    let today = today(app)?;
    let events: HashMap<String, EventRecord> = app
        .store
        .events()
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|e| e.date >= today && e.status == "booked")
        .map(|e| (e.id.clone(), e))
        .collect();
    let mut by_holder: BTreeMap<String, Vec<(EventRecord, String)>> = BTreeMap::new();
    for (event, slot, holder) in app.store.holdings().await.map_err(internal)? {
        if let Some(e) = events.get(&event) {
            by_holder.entry(holder).or_default().push((e.clone(), slot));
        }
    }
    for slots in by_holder.values_mut() {
        slots.sort_by(|a, b| (&a.0.date, &a.0.id).cmp(&(&b.0.date, &b.0.id)));
    }
    Ok(by_holder)
}

/// `GET /api/members` (admin): every member with their role, last sign-in
/// and upcoming slots; SCC_ADMINS addresses are marked `configured`.
pub async fn list(State(app): State<App>, user: User) -> Result<Json<Value>, ApiError> {
    user.require_admin()?;
    let mut members: BTreeMap<String, Value> = BTreeMap::new();
    for m in app.store.members().await.map_err(internal)? {
        let Some(role) = m.role else { continue };
        members.insert(
            m.email.clone(),
            json!({"email": m.email, "role": role, "last_sign_in": m.last_sign_in.and_then(time),
                   "invited_by": m.invited_by, "configured": false}),
        );
    }
    for admin in &app.cfg.admins {
        let entry = members.entry(admin.clone()).or_insert_with(|| json!({"email": admin}));
        entry["role"] = json!(Role::Admin);
        entry["configured"] = json!(true);
    }
    let upcoming = upcoming(&app).await?;
    let list: Vec<Value> = members
        .into_iter()
        .map(|(email, mut v)| {
            v["upcoming"] = upcoming
                .get(&email)
                .map(|slots| {
                    slots
                        .iter()
                        .map(|(e, slot)| json!({"event": e.id, "date": e.date, "boat": e.boat, "slot": slot}))
                        .collect()
                })
                .unwrap_or_else(|| json!([]));
            v
        })
        .collect();
    Ok(Json(json!({ "members": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    email: String,
}

/// `POST /api/events/{id}/slots/{slot}/assign` `{email}`: an admin puts a
/// member into any slot; the event's captain into a crew slot. The claim's
/// rules hold, and the member's role must fit the slot. The member is mailed.
pub async fn assign(
    State(app): State<App>,
    user: User,
    Ids((id, slot)): Ids<(String, String)>,
    Body(b): Body<AssignBody>,
) -> Result<Json<Value>, ApiError> {
    let all = load_slot(&app, &id, &slot).await?;
    crate::routes::ensure_open(&app, &all.event)?;
    let crew_slot_of_own_event = slot != "captain" && all.slots.get("captain") == Some(&user.email);
    if !(user.is_admin() || crew_slot_of_own_event) {
        return Err(ApiError::Forbidden(
            "only an admin, or the event's captain for crew slots, can put someone into a slot",
        ));
    }
    let email = address(&b.email)?;
    let role = app.role_of(&email).await?.ok_or(ApiError::NotFound("member"))?;
    if !slot_roles(&slot).contains(&role) {
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
    let mut v = event_json(&app, &load(&app, &id).await?, &user);
    v["mailed"] = json!(mailed);
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    role: String,
}

fn changeable(app: &App, user: &User, raw: &str) -> Result<String, ApiError> {
    user.require_admin()?;
    let email = address(raw)?;
    if app.is_configured_admin(&email) {
        return Err(ApiError::Conflict(
            "configured_admin",
            format!(
                "{email} is an admin by configuration (SCC_ADMINS); change that setting (the stack's environment) \
                 to demote or remove them"
            ),
        ));
    }
    Ok(email)
}

/// Sets `email`'s role (`None`: removes them) and releases the upcoming
/// slots the new role does not fit, in one transaction; retried when the
/// member claimed a slot meanwhile. Returns what was released.
pub(crate) async fn change(app: &App, email: &str, role: Option<Role>) -> Result<Vec<Value>, ApiError> {
    for _ in 0..3 {
        let member = app
            .store
            .member(email)
            .await
            .map_err(internal)?
            .filter(|m| m.role.is_some())
            .ok_or(ApiError::NotFound("member"))?;
        let slots = upcoming(app).await?.remove(email).unwrap_or_default();
        let release: Vec<(EventRecord, String)> = slots
            .into_iter()
            .filter(|(_, slot)| role.is_none_or(|r| !slot_roles(slot).contains(&r)))
            .collect();
        let keys: Vec<(String, String)> = release.iter().map(|(e, s)| (e.id.clone(), s.clone())).collect();
        match app
            .store
            .change_member(email, role, member.slot_version, &keys, app.clock.now())
            .await
        {
            Ok(()) => {
                return Ok(release
                    .iter()
                    .map(|(e, slot)| json!({"event": e.id, "date": e.date, "slot": slot}))
                    .collect())
            }
            Err(StoreError::Refused(_)) => continue,
            Err(e) => return Err(internal(e)),
        }
    }
    Err(retry_conflict())
}

/// `PATCH /api/members/{email}` `{role}` (admin).
pub async fn change_role(
    State(app): State<App>,
    user: User,
    Ids(raw): Ids<String>,
    Body(b): Body<RoleBody>,
) -> Result<Json<Value>, ApiError> {
    let email = changeable(&app, &user, &raw)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::BadRequest(format!("role {:?} is not one of admin, captain, crew", b.role)))?;
    let released = change(&app, &email, Some(role)).await?;
    Ok(Json(json!({"email": email, "role": role, "released": released})))
}

/// `DELETE /api/members/{email}` (admin): the member loses access on their
/// next request and every upcoming slot is released.
pub async fn remove(State(app): State<App>, user: User, Ids(raw): Ids<String>) -> Result<Json<Value>, ApiError> {
    let email = changeable(&app, &user, &raw)?;
    let released = change(&app, &email, None).await?;
    Ok(Json(json!({"email": email, "removed": true, "released": released})))
}

/// `POST /api/members/{email}/sign-out` (admin, or the member): every
/// session issued so far is refused from now on.
pub async fn sign_out_everywhere(
    State(app): State<App>,
    user: User,
    Ids(raw): Ids<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let email = address(&raw)?;
    if email != user.email && !user.is_admin() {
        return Err(ApiError::Forbidden(
            "only the member or an admin can end a member's sessions",
        ));
    }
    app.store
        .revoke_sessions(&email, app.clock.now())
        .await
        .map_err(internal)?;
    Ok((StatusCode::OK, Json(json!({"email": email, "signed_out": true}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteBody {
    email: String,
    role: String,
}

/// `POST /api/invites` `{email, role}` (admins): makes the address a member
/// with `role` (a role change for an existing member) and mails a link.
pub(crate) async fn invite(
    State(app): State<App>,
    user: User,
    Body(b): Body<InviteBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_admin()?;
    let email = address(&b.email)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ApiError::BadRequest(format!("role {:?} is not one of admin, captain, crew", b.role)))?;
    // Invites count apart from sign-in requests, so strangers asking for
    // links to an address cannot block an admin's invite to it.
    limit(&app, format!("invite:{}", hash_key(&email)), app.cfg.limits.per_address).await?;
    // Inviting a member under another role is a role change: it goes
    // through the same transaction, which releases the upcoming slots the
    // new role does not fit.
    let existing = app.store.member(&email).await.map_err(internal)?.and_then(|m| m.role);
    let released = match existing {
        Some(r) if r != role && !app.is_configured_admin(&email) => change(&app, &email, Some(role)).await?,
        _ => {
            app.store
                .put_member(&email, role, &user.email, app.clock.now())
                .await
                .map_err(internal)?;
            Vec::new()
        }
    };
    let expires = crate::signin::send_link(&app, &email, role).await?;
    let expires = jiff::Timestamp::from_second(expires)
        .map(|t| t.to_string())
        .unwrap_or_default();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"email": email, "role": role, "expires_at": expires, "released": released})),
    ))
}
