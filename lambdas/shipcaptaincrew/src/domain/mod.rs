//! The crew app's rules, apart from HTTP and DynamoDB: what a sail, a
//! slot, a checklist item and a guest booking are (`records`), who may take,
//! release or assign a slot and tick a checklist (`slots`), the checklist a
//! sail starts with (`checklist`), and what a request's values must look
//! like (`input`). No handler, no SDK: each rule is unit-tested alone.

pub mod checklist;
pub mod input;
pub mod records;
pub mod slots;

pub use records::{CheckItem, EventAll, EventRecord, Guest, GuestAction, GuestState, Member};

/// How long after a sail's return its crew may still tick the checklist
/// (lines coiled, boat rinsed) before the event closes.
pub const CLOSE_AFTER_RETURN_SECS: i64 = 6 * 3600;

/// Whether a sail that returns at `return_at` (Unix seconds) is over at
/// `now`: past its return plus the grace period. Then claims, releases,
/// assignments, bookings, guest and sail cancellations, checklist changes
/// and waiver signing end (the record of who sailed stays as it was), and
/// guests' waiver links expire.
pub fn is_over(return_at: i64, now: i64) -> bool {
    now > return_at + CLOSE_AFTER_RETURN_SECS
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sail_closes_six_hours_after_its_return() {
        assert!(!super::is_over(1_000, 1_000 + 6 * 3600));
        assert!(super::is_over(1_000, 1_000 + 6 * 3600 + 1));
    }
}
