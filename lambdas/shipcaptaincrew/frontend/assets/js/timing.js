// The timing panel, shared by the event page and the guest's waiver page:
// #timing-departure / #timing-sunset / #timing-return hold exactly the
// API's timing.local "HH:MM" values.

import { el } from "./dom.js";
import { DEFAULT_TZ, zoneAbbreviation } from "./format.js";

export function timingSection(timing, site) {
  const t = timing || {};
  const local = t.local || {};
  const tz = t.timezone || site.timezone || DEFAULT_TZ;
  const abbr = zoneAbbreviation(tz, t.departure);
  const tile = (id, label, value, extra) =>
    el("div", { class: "time" + (extra ? " " + extra : "") },
      el("span", { class: "time-label" }, label),
      el("span", { class: "time-value", id }, value || "--:--"));
  return el("section", { id: "timing", class: "card timing", "aria-label": "Timing" },
    el("div", { class: "times" },
      tile("timing-departure", "Departure", local.departure),
      tile("timing-sunset", "Sunset", local.sunset, "time-sunset"),
      tile("timing-return", "Return", local.return)),
    el("p", { class: "timezone", id: "timing-zone" },
      "Local times · " + tz + (abbr ? " (" + abbr + ")" : "")));
}
