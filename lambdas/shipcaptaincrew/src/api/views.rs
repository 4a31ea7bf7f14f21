//! What the API answers about sails and guests, as types: a sail's summary
//! (the list), the whole sail (its slots with what the viewer may do to
//! each, checklist and guests), a guest. Built from the records, the
//! sail's timing and the viewer.

use serde::Serialize;

use super::shared::{takes_changes, timing_of};
use crate::app::{App, User};
use crate::domain::checklist::{self, WAIVERS};
use crate::domain::slots::{may_assign, may_claim, may_release, may_tick, slot_names};
use crate::domain::{EventAll, EventRecord, Guest, GuestState};
use crate::timing::{moment, Timing};

/// Three moments of a sail.
#[derive(Serialize)]
pub struct Moments {
    pub sunset: String,
    pub departure: String,
    #[serde(rename = "return")]
    pub ret: String,
}

/// When a sail leaves and returns: RFC 3339 instants, and local `HH:MM`.
#[derive(Serialize)]
pub struct TimingView {
    pub timezone: String,
    #[serde(flatten)]
    pub at: Moments,
    pub local: Moments,
}

pub fn timing(app: &App, t: Option<&Timing>) -> Option<TimingView> {
    let t = t?;
    let (s, d, r) = (moment(&t.sunset), moment(&t.departure), moment(&t.ret));
    Some(TimingView {
        timezone: app.cfg.timezone_name.clone(),
        at: Moments {
            sunset: s.at,
            departure: d.at,
            ret: r.at,
        },
        local: Moments {
            sunset: s.local,
            departure: d.local,
            ret: r.local,
        },
    })
}

/// A sail as the list shows it (without its slots).
#[derive(Serialize)]
pub struct Summary {
    pub id: String,
    pub date: String,
    pub boat: String,
    pub kind: String,
    pub guests: i64,
    pub crew_slots: i64,
    pub status: String,
    pub booked_guests: i64,
    pub depart_offset_min: i64,
    pub return_offset_min: i64,
    pub timing: Option<TimingView>,
}

pub fn summary(app: &App, e: &EventRecord) -> Summary {
    Summary {
        id: e.id.clone(),
        date: e.date.clone(),
        boat: e.boat.clone(),
        kind: e.kind.clone(),
        guests: e.guests,
        crew_slots: e.crew_slots,
        status: e.status.clone(),
        booked_guests: e.booked_guests,
        depart_offset_min: e.depart_offset_min,
        return_offset_min: e.return_offset_min,
        timing: timing(app, timing_of(app, e).as_ref()),
    }
}

/// What the viewer may do to a slot now (the API's own rules, so the
/// client shows the buttons that will work and never re-derives them).
#[derive(Serialize)]
pub struct Can {
    pub claim: bool,
    pub release: bool,
    pub assign: bool,
}

/// A slot, its holder (null while open) and what the viewer may do.
#[derive(Serialize)]
pub struct SlotView {
    pub slot: String,
    pub holder: Option<String>,
    pub can: Can,
}

pub fn slots(app: &App, all: &EventAll, viewer: &User) -> Vec<SlotView> {
    let open = takes_changes(app, &all.event);
    let admin = viewer.is_admin();
    slot_names(&all.event)
        .into_iter()
        .map(|slot| {
            let holder = all.slots.get(&slot).cloned();
            let can = Can {
                claim: open && may_claim(all, &slot, &viewer.email, viewer.role),
                release: open && holder.is_some() && may_release(all, &slot, &viewer.email, admin),
                assign: open && holder.is_none() && may_assign(all, &slot, &viewer.email, admin),
            };
            SlotView { slot, holder, can }
        })
        .collect()
}

/// A sail in the list: its summary and slots.
#[derive(Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub summary: Summary,
    pub slots: Vec<SlotView>,
}

/// A checklist item, when it is due and whether it is done; the waivers
/// item also says how many of the booked guests have signed.
#[derive(Serialize)]
pub struct CheckView {
    pub id: String,
    pub label: String,
    pub hook: String,
    pub offset_min: i64,
    pub due: Option<String>,
    pub due_local: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booked: Option<usize>,
}

/// A guest; their address only for admins.
#[derive(Serialize)]
pub struct GuestView {
    pub id: String,
    pub name: String,
    pub state: GuestState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

pub fn guest(g: &Guest, with_email: bool) -> GuestView {
    GuestView {
        id: g.id.clone(),
        name: g.name.clone(),
        state: g.state,
        email: with_email.then(|| g.email.clone()),
    }
}

/// A whole sail as its page shows it.
#[derive(Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub summary: Summary,
    pub slots: Vec<SlotView>,
    /// Whether the viewer may tick the checklist now.
    pub can_tick: bool,
    pub checklist: Vec<CheckView>,
    pub guests_list: Vec<GuestView>,
}

pub fn event(app: &App, all: &EventAll, viewer: &User) -> EventView {
    let t = timing_of(app, &all.event);
    let checklist = checklist::ordered(&all.checklist)
        .into_iter()
        .map(|c| {
            let base = t
                .as_ref()
                .map(|t| if c.hook == "return" { &t.ret } else { &t.departure });
            let due = base.and_then(|b| b.checked_add(jiff::SignedDuration::from_mins(c.offset_min)).ok());
            let due = due.as_ref().map(moment);
            let waivers = (c.derived.as_deref() == Some(WAIVERS)).then(|| checklist::waivers(&all.guests));
            CheckView {
                done: match waivers {
                    Some((signed, booked)) => signed == booked,
                    None => c.done_by.is_some(),
                },
                derived: waivers.map(|_| WAIVERS),
                signed: waivers.map(|w| w.0),
                booked: waivers.map(|w| w.1),
                due: due.as_ref().map(|d| d.at.clone()),
                due_local: due.map(|d| d.local),
                id: c.id,
                label: c.label,
                hook: c.hook,
                offset_min: c.offset_min,
                done_by: c.done_by,
                done_at: c.done_at,
            }
        })
        .collect();
    EventView {
        summary: summary(app, &all.event),
        slots: slots(app, all, viewer),
        can_tick: takes_changes(app, &all.event) && may_tick(all, &viewer.email, viewer.is_admin()),
        checklist,
        guests_list: all.guests.iter().map(|g| guest(g, viewer.is_admin())).collect(),
    }
}
