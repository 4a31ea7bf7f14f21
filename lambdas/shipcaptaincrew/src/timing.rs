//! When a sail leaves and comes back: sunset at the marina (NOAA algorithm,
//! `solar.rs`) shifted by the configured offsets, in the marina's time zone.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::Serialize;

/// One instant as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Moment {
    /// RFC 3339 with the local offset: `2027-07-04T20:01:00-07:00`.
    pub at: String,
    /// Local wall-clock `HH:MM`.
    pub local: String,
}

/// The timing of one sail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    pub sunset: Zoned,
    pub departure: Zoned,
    pub ret: Zoned,
}

/// Sunset on the local `date` at (`lat`, `lon`) in `tz`, rounded to the minute.
pub fn sunset(date: Date, lat: f64, lon: f64, tz: &TimeZone) -> Option<Zoned> {
    // The offset in effect at local noon picks the solar day.
    let noon = date.at(12, 0, 0, 0).to_zoned(tz.clone()).ok()?;
    let offset_hours = f64::from(noon.offset().seconds()) / 3600.0;
    let secs = crate::solar::sunset_unix(
        i32::from(date.year()),
        date.month() as u8,
        date.day() as u8,
        lat,
        lon,
        offset_hours,
    )?;
    let rounded = (secs + 30).div_euclid(60) * 60;
    Some(Timestamp::from_second(rounded).ok()?.to_zoned(tz.clone()))
}

/// Departure and return from sunset with offsets in minutes (negative = before).
pub fn timing(date: Date, lat: f64, lon: f64, tz: &TimeZone, depart_min: i64, return_min: i64) -> Option<Timing> {
    let sunset = sunset(date, lat, lon, tz)?;
    let shift = |m: i64| sunset.checked_add(jiff::SignedDuration::from_mins(m)).ok();
    Some(Timing {
        departure: shift(depart_min)?,
        ret: shift(return_min)?,
        sunset,
    })
}

/// An instant as the API shows it.
pub fn moment(z: &Zoned) -> Moment {
    Moment {
        at: z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        local: z.strftime("%H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_apply_and_format_in_local_time() {
        let tz = TimeZone::get("America/Los_Angeles").unwrap();
        let t = timing(jiff::civil::date(2026, 7, 4), 32.7157, -117.1611, &tz, -90, 30).unwrap();
        let s = moment(&t.sunset);
        assert!(s.at.ends_with("-07:00"), "{s:?}");
        assert!(s.local.starts_with("20:0") || s.local.starts_with("19:5"), "{s:?}");
        assert_eq!(t.departure.duration_until(&t.sunset).as_secs(), 90 * 60);
        assert_eq!(t.sunset.duration_until(&t.ret).as_secs(), 30 * 60);
        let w = timing(jiff::civil::date(2026, 12, 21), 32.7157, -117.1611, &tz, -90, 30).unwrap();
        assert!(moment(&w.sunset).at.ends_with("-08:00"));
    }
}
