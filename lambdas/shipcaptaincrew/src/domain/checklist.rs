//! The checklist: the items every sail starts with, where an added item
//! goes, the order items are shown in, and the derived item that follows
//! the guests' waivers.

use super::{CheckItem, Guest, GuestState};

/// The derived item done when every booked guest has signed their waiver.
pub const WAIVERS: &str = "waivers";

/// The checklist every new event starts with: (hook, minutes, label,
/// derived from). "All guest waivers signed" follows the guests' states.
const DEFAULT_CHECKLIST: [(&str, i64, &str, Option<&str>); 5] = [
    ("departure", -60, "Check the weather and marine forecast", None),
    ("departure", -45, "Fuel, water and ice aboard", None),
    ("departure", -20, "Life jackets counted and safety briefing ready", None),
    ("departure", -10, "All guest waivers signed", Some(WAIVERS)),
    ("return", 20, "Sails covered, lines coiled, boat rinsed", None),
];

/// The items a new sail starts with, ids `01`, `02`, ….
pub fn default_items() -> Vec<CheckItem> {
    DEFAULT_CHECKLIST
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
        .collect()
}

/// The id an item added to `items` gets: one past the highest.
pub fn next_id(items: &[CheckItem]) -> String {
    let next = items.iter().filter_map(|c| c.id.parse::<u32>().ok()).max().unwrap_or(0) + 1;
    format!("{next:02}")
}

/// The order items are shown in: departure's, then return's, each by
/// minutes from its moment.
pub fn ordered(items: &[CheckItem]) -> Vec<CheckItem> {
    let mut items = items.to_vec();
    items.sort_by_key(|c| (c.hook != "departure", c.offset_min, c.id.clone()));
    items
}

/// (signed, booked): how many active bookings have a signed waiver.
pub fn waivers(guests: &[Guest]) -> (usize, usize) {
    let booked: Vec<&Guest> = guests.iter().filter(|g| g.state != GuestState::Cancelled).collect();
    let signed = booked.iter().filter(|g| g.state == GuestState::Confirmed).count();
    (signed, booked.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(state: GuestState) -> Guest {
        Guest {
            id: "g".into(),
            addr: String::new(),
            name: "Guest".into(),
            email: "guest@example.com".into(),
            state,
            token_hash: String::new(),
        }
    }

    #[test]
    fn a_new_sail_starts_with_five_items_and_added_ones_follow() {
        let items = default_items();
        assert_eq!(items.len(), 5);
        assert_eq!(next_id(&items), "06");
        assert_eq!(
            items.iter().filter(|c| c.derived.as_deref() == Some(WAIVERS)).count(),
            1
        );
        let order: Vec<String> = ordered(&items).into_iter().map(|c| c.id).collect();
        assert_eq!(order, ["01", "02", "03", "04", "05"]);
    }

    #[test]
    fn cancelled_bookings_do_not_count_toward_the_waivers() {
        use GuestState::*;
        assert_eq!(waivers(&[guest(Confirmed), guest(OnHold), guest(Cancelled)]), (1, 2));
        assert_eq!(waivers(&[]), (0, 0));
    }
}
