//! Slots: which a sail has, who may hold each, and who may release or
//! assign one. The API enforces these and tells the client what the viewer
//! may do (`can`), so the client never re-derives them.

use super::{EventAll, EventRecord};
use crate::auth::Role;

/// The captain slot's name; crew slots are `crew-1` … `crew-N`.
pub const CAPTAIN: &str = "captain";

/// A sail's slots: the captain's, then `crew-1` … `crew-{crew_slots}`.
pub fn slot_names(e: &EventRecord) -> Vec<String> {
    std::iter::once(CAPTAIN.to_string())
        .chain((1..=e.crew_slots).map(|i| format!("crew-{i}")))
        .collect()
}

/// The roles that may hold `slot`: the captain slot needs a captain (or an
/// admin); crew slots take anyone.
pub fn slot_roles(slot: &str) -> &'static [Role] {
    match slot {
        CAPTAIN => &[Role::Admin, Role::Captain],
        _ => &[Role::Admin, Role::Captain, Role::Crew],
    }
}

/// Whether `role` may hold `slot`.
pub fn fits(slot: &str, role: Role) -> bool {
    slot_roles(slot).contains(&role)
}

/// Whether `who` is the sail's captain and `slot` one of its crew slots.
fn captain_of_crew_slot(all: &EventAll, slot: &str, who: &str) -> bool {
    slot != CAPTAIN && all.slots.get(CAPTAIN).is_some_and(|c| c == who)
}

/// Whether `who`, as `role`, may claim `slot`: it is free, they hold no
/// other slot of the sail, and their role fits.
pub fn may_claim(all: &EventAll, slot: &str, who: &str, role: Role) -> bool {
    !all.slots.contains_key(slot) && !all.slots.values().any(|h| h == who) && fits(slot, role)
}

/// Whether `who` may release `slot` (held by someone): its holder, an
/// admin, or — for a crew slot — the sail's captain.
pub fn may_release(all: &EventAll, slot: &str, who: &str, admin: bool) -> bool {
    all.slots.get(slot).is_some_and(|h| h == who) || admin || captain_of_crew_slot(all, slot, who)
}

/// Whether `who` may put someone into `slot`: an admin into any slot, the
/// sail's captain into its crew slots.
pub fn may_assign(all: &EventAll, slot: &str, who: &str, admin: bool) -> bool {
    admin || captain_of_crew_slot(all, slot, who)
}

/// Whether `who` may tick the sail's checklist: its crew (anyone holding
/// a slot) and admins.
pub fn may_tick(all: &EventAll, who: &str, admin: bool) -> bool {
    admin || all.slots.values().any(|h| h == who)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sail(slots: &[(&str, &str)]) -> EventAll {
        EventAll {
            event: EventRecord {
                id: "0123456789".into(),
                date: "2027-07-04".into(),
                boat: "Example".into(),
                kind: "sunset".into(),
                guests: 6,
                crew_slots: 2,
                depart_offset_min: -90,
                return_offset_min: 30,
                status: "booked".into(),
                booked_guests: 0,
            },
            slots: slots
                .iter()
                .map(|(s, h)| (s.to_string(), h.to_string()))
                .collect::<HashMap<_, _>>(),
            checklist: Vec::new(),
            guests: Vec::new(),
        }
    }

    #[test]
    fn a_sail_has_a_captain_slot_then_its_crew_slots() {
        assert_eq!(slot_names(&sail(&[]).event), ["captain", "crew-1", "crew-2"]);
    }

    #[test]
    fn only_captains_and_admins_fit_the_captain_slot() {
        assert!(fits("captain", Role::Captain) && fits("captain", Role::Admin));
        assert!(!fits("captain", Role::Crew));
        assert!(fits("crew-1", Role::Crew));
    }

    #[test]
    fn a_free_slot_is_claimed_by_someone_holding_none_whose_role_fits() {
        let s = sail(&[("crew-1", "deck@example.com")]);
        assert!(may_claim(&s, "crew-2", "mate@example.com", Role::Crew));
        assert!(!may_claim(&s, "crew-1", "mate@example.com", Role::Crew));
        assert!(!may_claim(&s, "crew-2", "deck@example.com", Role::Crew));
        assert!(!may_claim(&s, "captain", "mate@example.com", Role::Crew));
        assert!(may_claim(&s, "captain", "mate@example.com", Role::Captain));
    }

    #[test]
    fn the_holder_an_admin_or_the_captain_for_crew_slots_may_release() {
        let s = sail(&[("captain", "cap@example.com"), ("crew-1", "deck@example.com")]);
        assert!(may_release(&s, "crew-1", "deck@example.com", false));
        assert!(may_release(&s, "crew-1", "cap@example.com", false));
        assert!(may_release(&s, "crew-1", "admin@example.com", true));
        assert!(!may_release(&s, "crew-1", "other@example.com", false));
        assert!(!may_release(&s, "captain", "deck@example.com", false));
        assert!(may_release(&s, "captain", "cap@example.com", false));
    }

    #[test]
    fn admins_assign_anywhere_and_the_captain_to_crew_slots() {
        let s = sail(&[("captain", "cap@example.com")]);
        assert!(may_assign(&s, "crew-2", "cap@example.com", false));
        assert!(!may_assign(&s, "captain", "cap@example.com", false));
        assert!(may_assign(&s, "captain", "admin@example.com", true));
        assert!(!may_assign(&s, "crew-2", "deck@example.com", false));
    }

    #[test]
    fn crew_on_the_sail_and_admins_tick_its_checklist() {
        let s = sail(&[("crew-1", "deck@example.com")]);
        assert!(may_tick(&s, "deck@example.com", false));
        assert!(may_tick(&s, "admin@example.com", true));
        assert!(!may_tick(&s, "other@example.com", false));
    }
}
