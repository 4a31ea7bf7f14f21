//! Crew management: the roster, inviting a member, changing a member's
//! role or removing them, and ending a member's sessions.
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
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::shared::{address, limit, marina_today, time};
use crate::app::{App, Body, Ids, User};
use crate::auth::Role;
use crate::domain::{slots::fits, EventRecord};
use crate::error::ApiError;
use crate::secret::hash_key;
use crate::store::StoreError;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/invites", post(invite))
        .route("/api/members", get(list))
        .route("/api/members/{email}", patch(change_role).delete(remove))
        .route("/api/members/{email}/sign-out", post(sign_out_everywhere))
}

/// Every upcoming (today or later) booked event's slots, by holder.
async fn upcoming(app: &App) -> Result<BTreeMap<String, Vec<(EventRecord, String)>>, ApiError> {
    let today = marina_today(app)?.to_string();
    let events: HashMap<String, EventRecord> = app
        .store
        .events()
        .await?
        .into_iter()
        .filter(|e| e.date >= today && e.status == "booked")
        .map(|e| (e.id.clone(), e))
        .collect();
    let mut by_holder: BTreeMap<String, Vec<(EventRecord, String)>> = BTreeMap::new();
    for (event, slot, holder) in app.store.holdings().await? {
        if let Some(e) = events.get(&event) {
            by_holder.entry(holder).or_default().push((e.clone(), slot));
        }
    }
    for slots in by_holder.values_mut() {
        slots.sort_by(|a, b| (&a.0.date, &a.0.id).cmp(&(&b.0.date, &b.0.id)));
    }
    Ok(by_holder)
}

/// An upcoming slot a member holds.
#[derive(Serialize)]
struct Holding {
    event: String,
    date: String,
    boat: String,
    slot: String,
}

/// A member on the roster.
#[derive(Serialize)]
struct MemberView {
    email: String,
    role: Role,
    last_sign_in: Option<String>,
    invited_by: Option<String>,
    /// An admin by configuration (SCC_ADMINS).
    configured: bool,
    upcoming: Vec<Holding>,
}

#[derive(Serialize)]
struct Roster {
    members: Vec<MemberView>,
}

/// `GET /api/members` (admin): every member with their role, last sign-in
/// and upcoming slots; SCC_ADMINS addresses are marked `configured`.
async fn list(State(app): State<App>, user: User) -> Result<Json<Roster>, ApiError> {
    user.require_admin()?;
    let mut members: BTreeMap<String, MemberView> = BTreeMap::new();
    for m in app.store.members().await? {
        let Some(role) = m.role else { continue };
        let view = MemberView {
            email: m.email.clone(),
            role,
            last_sign_in: m.last_sign_in.and_then(time),
            invited_by: m.invited_by,
            configured: false,
            upcoming: Vec::new(),
        };
        members.insert(m.email, view);
    }
    for admin in &app.cfg.admins {
        let entry = members.entry(admin.clone()).or_insert_with(|| MemberView {
            email: admin.clone(),
            role: Role::Admin,
            last_sign_in: None,
            invited_by: None,
            configured: true,
            upcoming: Vec::new(),
        });
        entry.role = Role::Admin;
        entry.configured = true;
    }
    let mut upcoming = upcoming(&app).await?;
    let members = members
        .into_values()
        .map(|mut m| {
            m.upcoming = upcoming
                .remove(&m.email)
                .unwrap_or_default()
                .into_iter()
                .map(|(e, slot)| Holding {
                    event: e.id,
                    date: e.date,
                    boat: e.boat,
                    slot,
                })
                .collect();
            m
        })
        .collect();
    Ok(Json(Roster { members }))
}

/// A slot a role change or removal released.
#[derive(Serialize)]
struct Released {
    event: String,
    date: String,
    slot: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| ApiError::BadRequest(format!("role {raw:?} is not one of admin, captain, crew")))
}

/// The member `raw` names, if an admin may change them (not an admin by
/// configuration).
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
async fn change(app: &App, email: &str, role: Option<Role>) -> Result<Vec<Released>, ApiError> {
    for _ in 0..3 {
        let member = app
            .store
            .member(email)
            .await?
            .filter(|m| m.role.is_some())
            .ok_or(ApiError::NotFound("member"))?;
        let slots = upcoming(app).await?.remove(email).unwrap_or_default();
        let release: Vec<(EventRecord, String)> = slots
            .into_iter()
            .filter(|(_, slot)| role.is_none_or(|r| !fits(slot, r)))
            .collect();
        let keys: Vec<(String, String)> = release.iter().map(|(e, s)| (e.id.clone(), s.clone())).collect();
        match app
            .store
            .change_member(email, role, member.slot_version, &keys, app.clock.now())
            .await
        {
            Ok(()) => {
                return Ok(release
                    .into_iter()
                    .map(|(e, slot)| Released {
                        event: e.id,
                        date: e.date,
                        slot,
                    })
                    .collect())
            }
            Err(StoreError::Refused(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::retry())
}

#[derive(Serialize)]
struct RoleChanged {
    email: String,
    role: Role,
    released: Vec<Released>,
}

/// `PATCH /api/members/{email}` `{role}` (admin).
async fn change_role(
    State(app): State<App>,
    user: User,
    Ids(raw): Ids<String>,
    Body(b): Body<RoleBody>,
) -> Result<Json<RoleChanged>, ApiError> {
    let email = changeable(&app, &user, &raw)?;
    let role = role(&b.role)?;
    let released = change(&app, &email, Some(role)).await?;
    Ok(Json(RoleChanged { email, role, released }))
}

#[derive(Serialize)]
struct Removed {
    email: String,
    removed: bool,
    released: Vec<Released>,
}

/// `DELETE /api/members/{email}` (admin): the member loses access on their
/// next request and every upcoming slot is released.
async fn remove(State(app): State<App>, user: User, Ids(raw): Ids<String>) -> Result<Json<Removed>, ApiError> {
    let email = changeable(&app, &user, &raw)?;
    let released = change(&app, &email, None).await?;
    Ok(Json(Removed {
        email,
        removed: true,
        released,
    }))
}

#[derive(Serialize)]
struct SignedOut {
    email: String,
    signed_out: bool,
}

/// `POST /api/members/{email}/sign-out` (admin, or the member): every
/// session issued so far is refused from now on.
async fn sign_out_everywhere(
    State(app): State<App>,
    user: User,
    Ids(raw): Ids<String>,
) -> Result<(StatusCode, Json<SignedOut>), ApiError> {
    let email = address(&raw)?;
    if email != user.email && !user.is_admin() {
        return Err(ApiError::Forbidden(
            "only the member or an admin can end a member's sessions",
        ));
    }
    app.store.revoke_sessions(&email, app.clock.now()).await?;
    Ok((
        StatusCode::OK,
        Json(SignedOut {
            email,
            signed_out: true,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: String,
    role: String,
}

#[derive(Serialize)]
struct Invited {
    email: String,
    role: Role,
    expires_at: String,
    released: Vec<Released>,
}

/// `POST /api/invites` `{email, role}` (admins): makes the address a member
/// with `role` (a role change for an existing member) and mails a link.
async fn invite(
    State(app): State<App>,
    user: User,
    Body(b): Body<InviteBody>,
) -> Result<(StatusCode, Json<Invited>), ApiError> {
    user.require_admin()?;
    let email = address(&b.email)?;
    let role = role(&b.role)?;
    // Invites count apart from sign-in requests, so strangers asking for
    // links to an address cannot block an admin's invite to it.
    limit(&app, format!("invite:{}", hash_key(&email)), app.cfg.limits.per_address).await?;
    // Inviting a member under another role is a role change: it goes
    // through the same transaction, which releases the upcoming slots the
    // new role does not fit.
    let existing = app.store.member(&email).await?.and_then(|m| m.role);
    let released = match existing {
        Some(r) if r != role && !app.is_configured_admin(&email) => change(&app, &email, Some(role)).await?,
        _ => {
            app.store.put_member(&email, role, &user.email, app.clock.now()).await?;
            Vec::new()
        }
    };
    let expires = crate::signin::send_link(&app, &email, role).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Invited {
            email,
            role,
            expires_at: time(expires).unwrap_or_default(),
            released,
        }),
    ))
}
