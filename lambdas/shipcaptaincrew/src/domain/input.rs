//! What a request's values must look like: text fields, numbers in range,
//! calendar dates, the list's cursor, and the shapes of the ids this app
//! makes (anything else is "not found" without a database call).

use super::EventRecord;

/// A value a request sent that the rules refuse, and why (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// Hex characters of a guest id.
pub const GUEST_ID_LEN: usize = 20;

/// `raw` trimmed: 1 to `max` characters, no control characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Invalid(format!("{field} must be 1 to {max} characters of text")));
    }
    Ok(v.to_string())
}

/// `v` if it lies in `lo..=hi`.
pub fn in_range(field: &str, v: i64, lo: i64, hi: i64) -> Result<i64, Invalid> {
    match (lo..=hi).contains(&v) {
        true => Ok(v),
        false => Err(Invalid(format!("{field} must be between {lo} and {hi} (got {v})"))),
    }
}

/// A `YYYY-MM-DD` calendar date.
pub fn date(raw: &str) -> Result<jiff::civil::Date, Invalid> {
    let ok = raw.len() == 10 && raw.as_bytes()[4] == b'-' && raw.as_bytes()[7] == b'-';
    ok.then(|| raw.parse::<jiff::civil::Date>().ok())
        .flatten()
        .ok_or_else(|| Invalid(format!("date {raw:?} is not a calendar date (YYYY-MM-DD)")))
}

/// A checklist hook: `departure` or `return`.
pub fn hook(raw: &str) -> Result<String, Invalid> {
    match raw {
        "departure" | "return" => Ok(raw.to_string()),
        _ => Err(Invalid(format!("hook {raw:?} must be \"departure\" or \"return\""))),
    }
}

/// The calendar key a cursor (`{date}_{id}`, as the list's `next` gives
/// it) stands for.
pub fn cursor_key(cursor: &str) -> Result<String, Invalid> {
    let bad = || Invalid(format!("after={cursor:?}: not a cursor this API gave"));
    let (day, id) = cursor.split_once('_').ok_or_else(bad)?;
    date(day).map_err(|_| bad())?;
    if id.is_empty() || id.len() > 40 || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(format!("{day}#{id}"))
}

/// The cursor the list gives for a calendar key.
pub fn cursor_of(key: &str) -> String {
    key.replacen('#', "_", 1)
}

/// Whether `id` has the shape of an event id (10 of [0-9a-z]).
pub fn is_event_id(id: &str) -> bool {
    id.len() == 10 && id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// Whether (`id`, `gid`) have the shapes of an event and a guest id.
pub fn is_guest(id: &str, gid: &str) -> bool {
    is_event_id(id) && gid.len() == GUEST_ID_LEN && gid.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `item` has the shape of a checklist item id (1 to 4 digits).
pub fn is_check_id(item: &str) -> bool {
    !item.is_empty() && item.len() <= 4 && item.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a stored event is what `wanted` asks for: the fields a create
/// request sets (not its state since, e.g. booked guests or a cancel).
pub fn same_request(stored: &EventRecord, wanted: &EventRecord) -> bool {
    let fields = |e: &EventRecord| {
        (
            e.date.clone(),
            e.boat.clone(),
            e.kind.clone(),
            e.guests,
            e.crew_slots,
            e.depart_offset_min,
            e.return_offset_min,
        )
    };
    fields(stored) == fields(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("boat", "  Example  ", 10).unwrap(), "Example");
        assert!(text("boat", "   ", 10).is_err());
        assert!(text("boat", "a\u{7}b", 10).is_err());
        assert_eq!(
            text("boat", "elevenchars", 10).unwrap_err().0,
            "boat must be 1 to 10 characters of text"
        );
    }

    #[test]
    fn dates_and_cursors_have_one_shape() {
        assert!(date("2027-07-04").is_ok());
        assert!(date("2027-7-4").is_err() && date("2027-02-30").is_err());
        assert_eq!(cursor_key("2027-07-04_abc123").unwrap(), "2027-07-04#abc123");
        assert_eq!(cursor_of("2027-07-04#abc123"), "2027-07-04_abc123");
        assert!(cursor_key("2027-07-04").is_err() && cursor_key("2027-07-04_A!").is_err());
    }

    #[test]
    fn ids_have_the_shapes_this_app_makes() {
        assert!(is_event_id("0123456789") && !is_event_id("012345678A"));
        assert!(is_guest("0123456789", "0123456789abcdef0123"));
        assert!(!is_guest("0123456789", "0123"));
        assert!(is_check_id("07") && !is_check_id("x") && !is_check_id("12345"));
        assert!(hook("return").is_ok() && hook("sunset").is_err());
    }
}
