// Formatting: dates, times in a time zone, offsets, slot and state names.
// Pure functions; the time zone is always passed in.

export const DEFAULT_TZ = "America/Los_Angeles";

// "2026-07-04" → "Sat, Jul 4, 2026" (a calendar date: no time zone shift).
export function formatDate(isoDate) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDate || ""));
  if (!m) return String(isoDate || "");
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toLocaleDateString("en-US", {
    weekday: "short", month: "short", day: "numeric", year: "numeric", timeZone: "UTC",
  });
}

// Today's date (YYYY-MM-DD) in `timeZone` (the marina's).
export function todayIn(timeZone) {
  const parts = {};
  try {
    const fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: timeZone || DEFAULT_TZ, year: "numeric", month: "2-digit", day: "2-digit",
    });
    for (const p of fmt.formatToParts(new Date())) parts[p.type] = p.value;
    return parts.year + "-" + parts.month + "-" + parts.day;
  } catch (_) {
    return new Date().toISOString().slice(0, 10);
  }
}

// An RFC 3339 instant → "hh:mm" local time in `timeZone`.
export function formatTime(instant, timeZone) {
  const date = new Date(instant);
  if (!instant || Number.isNaN(date.getTime())) return "";
  try {
    return date.toLocaleTimeString("en-GB", {
      hour: "2-digit", minute: "2-digit", timeZone: timeZone || DEFAULT_TZ,
    });
  } catch (_) {
    return date.toISOString().slice(11, 16);
  }
}

// "America/Los_Angeles" + an instant → "PDT" (or "" if unknown).
export function zoneAbbreviation(timeZone, instant) {
  try {
    const date = instant ? new Date(instant) : new Date();
    const parts = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" })
      .formatToParts(Number.isNaN(date.getTime()) ? new Date() : date);
    const name = parts.find((p) => p.type === "timeZoneName");
    return name ? name.value : "";
  } catch (_) {
    return "";
  }
}

// -30, "departure" → "30 min before departure"
export function describeOffset(offsetMin, hook) {
  const n = Number(offsetMin) || 0;
  if (n === 0) return "at " + hook;
  const abs = Math.abs(n);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  const amount = h ? h + " h" + (m ? " " + m + " min" : "") : m + " min";
  return amount + (n < 0 ? " before " : " after ") + hook;
}

// "crew-1" → "Crew 1", "captain" → "Captain"
export function slotName(slot) {
  const s = String(slot || "");
  const m = /^crew-(\d+)$/.exec(s);
  if (m) return "Crew " + m[1];
  return s.charAt(0).toUpperCase() + s.slice(1).replace(/-/g, " ");
}

// "sunset sail" → "Sunset sail"
export function capitalize(text) {
  const s = String(text || "");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function stateLabel(state) {
  return String(state || "").replace(/_/g, " ");
}

export function sameEmail(a, b) {
  return Boolean(a && b) && String(a).toLowerCase() === String(b).toLowerCase();
}
