// The sail list: upcoming sails a page at a time (past ones on request),
// and for admins the new-sail and invite forms.

import { enc, randomKey } from "../api.js";
import { badge, el, fail, field, onSubmit, renderLoading, setView, showNotice, withBusy } from "../dom.js";
import { capitalize, formatDate, sameEmail, slotName, todayIn } from "../format.js";
import { setTitle } from "../site.js";
import { inviteForm } from "./roster.js";

export async function showEvents(app, seq) {
  setTitle(app.site, "Sails");
  renderLoading("Loading sails…");
  let data;
  try {
    data = await app.api("GET", "/api/events");
  } catch (err) {
    if (app.current(seq)) app.session.token() ? app.loadFailed(err) : fail(err);
    return;
  }
  if (!app.current(seq)) return;
  const events = (data && data.events) || [];
  const admin = app.session.isAdmin();
  setView(
    admin ? el("p", { class: "nav" }, el("a", { id: "roster-link", href: "#/crew" }, "Crew roster ›")) : null,
    eventsSection(app, events, data && data.next, seq),
    admin ? createEventForm(app, events) : null,
    admin ? inviteForm(app) : null);
}

// The API lists sails a page at a time: upcoming (soonest first) or past
// (newest first), each page with the cursor of the next.
function eventsSection(app, upcoming, next, seq) {
  const list = el("ul", { id: "event-list", class: "event-list" }, upcoming.map((ev) => eventItem(app, ev)));
  const pastList = el("ul", { id: "past-list", class: "event-list" });
  const past = el("details", { class: "past", id: "past-sails" },
    el("summary", {}, "Past sails"), pastList);
  let pastAsked = false;
  past.addEventListener("toggle", () => {
    if (!past.open || pastAsked) return;
    pastAsked = true;
    loadPage(app, pastList, "past", null, seq);
  });
  return el("section", { id: "events", class: "events" },
    el("h1", {}, "Upcoming sails"),
    upcoming.length ? list : el("p", { class: "card empty" }, "No sails on the calendar yet."),
    moreButton(app, list, "upcoming", next, seq),
    past);
}

// A "More sails" button that appends the page after `next` to `list`
// (none when there is no next page).
function moreButton(app, list, when, next, seq) {
  if (!next) return null;
  const button = el("button", { type: "button", class: "more", dataset: { when },
    onclick: (e) => withBusy(e.currentTarget, async () => {
      if (await loadPage(app, list, when, next, seq)) button.remove();
    }) }, "More sails");
  return button;
}

async function loadPage(app, list, when, after, seq) {
  let data;
  try {
    data = await app.api("GET", "/api/events?when=" + when + (after ? "&after=" + enc(after) : ""));
  } catch (err) {
    if (app.current(seq)) fail(err);
    return false;
  }
  if (!app.current(seq)) return false;
  const events = (data && data.events) || [];
  list.append(...events.map((ev) => eventItem(app, ev)));
  if (!list.children.length) list.replaceWith(el("p", { class: "card empty" }, "No past sails."));
  const more = moreButton(app, list, when, data && data.next, seq);
  if (more) list.after(more);
  return true;
}

function eventItem(app, ev) {
  const me = app.session.me;
  const local = (ev.timing && ev.timing.local) || {};
  // The list holds summaries: slots only when the API includes them.
  const slots = ev.slots || [];
  const crew = slots.filter((s) => s.slot !== "captain");
  const captain = slots.find((s) => s.slot === "captain");
  const mine = me ? slots.filter((s) => sameEmail(s.holder, me.email)) : [];
  const cancelled = ev.status === "cancelled";
  const booked = Number(ev.booked_guests);
  const capacity = Number(ev.guests);
  return el("li", { class: "event" + (cancelled ? " is-cancelled" : ""), dataset: { event: ev.id } },
    el("a", { class: "event-link", href: "#/events/" + enc(ev.id) },
      el("span", { class: "event-date" }, formatDate(ev.date)),
      el("span", { class: "event-title" }, capitalize(ev.kind || "Sail") + " · " + (ev.boat || "")),
      el("span", { class: "event-meta" },
        "Departs " + (local.departure || "--:--") + " · back " + (local.return || "--:--")),
      el("span", { class: "badges" },
        cancelled ? badge("cancelled") : null,
        captain ? badge(captain.holder ? "captain ✓" : "captain needed", captain.holder ? "ok" : "warn") : null,
        crew.length
          ? badge("crew " + crew.filter((s) => s.holder).length + "/" + crew.length,
            crew.every((s) => s.holder) ? "ok" : "warn")
          : null,
        !crew.length && Number(ev.crew_slots) >= 0 && ev.crew_slots !== undefined
          ? badge(ev.crew_slots + " crew " + (Number(ev.crew_slots) === 1 ? "slot" : "slots"), "info")
          : null,
        Number.isFinite(booked) && capacity ? badge("guests " + booked + "/" + capacity, "info") : null,
        mine.map((s) => badge("you: " + slotName(s.slot), "mine")))));
}

function createEventForm(app, events) {
  const boats = [...new Set(events.map((e) => e.boat).filter(Boolean))];
  const kinds = [...new Set(["sunset sail", "day sail", "whale watching", "private charter"]
    .concat(events.map((e) => e.kind).filter(Boolean)))];
  const form = el("form", { id: "create-event", class: "stack" },
    field("Date", el("input", { type: "date", name: "date", required: true, min: todayIn(app.site.timezone) })),
    field("Boat", el("input", {
      type: "text", name: "boat", required: true, maxlength: 80, list: "boat-options", autocomplete: "off",
      placeholder: "Queen of San Diego",
    })),
    el("datalist", { id: "boat-options" }, boats.map((b) => el("option", { value: b }))),
    field("Kind", el("input", {
      type: "text", name: "kind", required: true, maxlength: 40, list: "kind-options", autocomplete: "off",
      value: "sunset sail",
    })),
    el("datalist", { id: "kind-options" }, kinds.map((k) => el("option", { value: k }))),
    el("div", { class: "row" },
      field("Guests", el("input", {
        type: "number", name: "guests", required: true, min: 1, max: 150, step: 1, value: 6,
        inputmode: "numeric",
      })),
      field("Crew slots", el("input", {
        type: "number", name: "crew_slots", min: 0, max: 10, step: 1, inputmode: "numeric",
        placeholder: "default",
      }))),
    el("div", { class: "row" },
      field("Depart (min from sunset)", el("input", {
        type: "number", name: "depart_offset_min", min: -720, max: 720, step: 5, inputmode: "numeric",
        placeholder: "default",
      })),
      field("Return (min from sunset)", el("input", {
        type: "number", name: "return_offset_min", min: -720, max: 720, step: 5, inputmode: "numeric",
        placeholder: "default",
      }))),
    el("p", { class: "field-hint" },
      "Departure and return are set from sunset at the marina; leave the offsets empty for the usual times."),
    el("button", { type: "submit", class: "primary" }, "Create sail"));
  // One key per form: a double tap or a retried request creates one sail.
  const idempotencyKey = "ev-" + randomKey();
  onSubmit(form, async (values) => {
    const body = { date: values.date, boat: values.boat, kind: values.kind, guests: Number(values.guests) };
    if (values.crew_slots !== "") body.crew_slots = Number(values.crew_slots);
    if (values.depart_offset_min !== "") body.depart_offset_min = Number(values.depart_offset_min);
    if (values.return_offset_min !== "") body.return_offset_min = Number(values.return_offset_min);
    const ev = await app.api("POST", "/api/events", body, { headers: { "Idempotency-Key": idempotencyKey } });
    showNotice("Sail created: " + (ev.kind || body.kind) + " on " + formatDate(ev.date || body.date) + ".");
    location.hash = "#/events/" + enc(ev.id);
  });
  return el("section", { class: "card admin", "aria-labelledby": "create-event-title" },
    el("h2", { id: "create-event-title" }, "New sail"), form);
}
