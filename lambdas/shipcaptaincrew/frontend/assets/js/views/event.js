// One sail's page: its timing, captain and crew slots, checklist and
// guests. What the viewer may do comes from the API (each slot's `can`, the
// sail's `can_tick`): the server's rules, never re-derived here. The page's
// state lives in its EventPage, passed to nothing else.

import { enc } from "../api.js";
import { badge, el, fail, field, hideError, onSubmit, renderLoading, setView, showNotice, withBusy } from "../dom.js";
import { capitalize, describeOffset, formatDate, formatTime, sameEmail, slotName, stateLabel } from "../format.js";
import { setTitle } from "../site.js";
import { timingSection } from "../timing.js";

export async function showEvent(app, id, seq) {
  setTitle(app.site, "Sail");
  renderLoading("Loading sail…");
  let ev;
  try {
    ev = await app.api("GET", "/api/events/" + enc(id));
  } catch (err) {
    if (app.current(seq)) app.session.token() ? app.loadFailed(err) : fail(err);
    return;
  }
  if (!app.current(seq)) return;
  new EventPage(app, ev);
}

// Lays out the page once; fill() refreshes the parts that change, so admin
// forms keep what was typed into them.
class EventPage {
  constructor(app, ev) {
    this.app = app;
    this.id = String(ev.id);
    this.head = el("header", { class: "card event-head", id: "event-head" });
    this.timing = el("div", { id: "timing-wrap" });
    this.slots = el("ul", { id: "slots", class: "slots" });
    this.checklist = el("div", { id: "checklist", class: "checklist" });
    this.guests = el("ul", { id: "guests", class: "guests" });
    this.guestCount = el("span", { class: "count" });
    this.waiverLink = el("div", { id: "waiver-link", class: "share", hidden: true });
    this.cancelButton = null;
    const admin = app.session.isAdmin();
    if (admin) {
      this.cancelButton = el("button", {
        type: "button", id: "cancel-event", class: "danger cancel",
        onclick: (e) => this.cancelEvent(e.currentTarget),
      }, "Cancel this sail");
    }
    setView(
      el("a", { class: "back", href: "#/" }, "‹ All sails"),
      el("article", { id: "event", dataset: { event: ev.id } },
        this.head,
        this.timing,
        el("section", { class: "card", id: "crew", "aria-labelledby": "crew-title" },
          el("h2", { id: "crew-title" }, "Captain & crew"), this.slots),
        el("section", { class: "card", id: "checklist-section", "aria-labelledby": "checklist-title" },
          el("h2", { id: "checklist-title" }, "Checklist"), this.checklist,
          admin ? this.addCheckForm() : null),
        el("section", { class: "card", id: "guests-section", "aria-labelledby": "guests-title" },
          el("h2", { id: "guests-title" }, "Guests ", this.guestCount), this.guests,
          admin ? this.addGuestForm() : null, this.waiverLink),
        admin ? el("section", { class: "card admin danger-zone" },
          el("h2", {}, "Cancel sail"),
          el("p", { class: "muted" }, "Cancelling keeps the record but frees the date."),
          this.cancelButton) : null));
    this.fill(ev);
  }

  path(suffix) {
    return "/api/events/" + enc(this.id) + suffix;
  }

  fill(ev) {
    if (this.id !== String(ev.id) || !this.head.isConnected) return;
    const cancelled = ev.status === "cancelled";
    setTitle(this.app.site, capitalize(ev.kind || "Sail") + ", " + formatDate(ev.date));
    this.head.replaceChildren(
      el("p", { class: "event-date" }, formatDate(ev.date)),
      el("h1", {}, capitalize(ev.kind || "Sail")),
      el("p", { class: "event-boat" }, ev.boat || ""),
      el("p", { class: "badges" }, badge(ev.status || "booked", cancelled ? "cancelled" : "ok")));
    this.timing.replaceChildren(timingSection(ev.timing, this.app.site));
    this.slots.replaceChildren(...(ev.slots || []).map((s) => this.slotItem(s)));
    this.checklist.replaceChildren(...this.checklistGroups(ev));
    this.fillGuests(ev);
    if (this.cancelButton) this.cancelButton.closest("section").hidden = cancelled;
  }

  async refresh() {
    try {
      this.fill(await this.app.api("GET", this.path("")));
    } catch (err) {
      fail(err);
    }
  }

  // Runs an action that answers with the updated sail; a 409 (someone else
  // got there first) reloads the sail before showing the message.
  async action(button, request, notice) {
    await withBusy(button, async () => {
      try {
        this.fill(await request());
        if (notice) showNotice(notice);
      } catch (err) {
        if (err.status === 409) await this.refresh();
        throw err;
      }
    });
  }

  // ---- slots ----

  slotItem(s) {
    const { api, session } = this.app;
    const mine = Boolean(session.me && sameEmail(s.holder, session.me.email));
    const open = !s.holder;
    const can = s.can || {};
    let action = null;
    if (can.claim) {
      action = el("button", {
        type: "button", class: "claim primary",
        onclick: (e) => this.action(e.currentTarget,
          () => api("POST", this.path("/slots/" + enc(s.slot) + "/claim")),
          "You're on as " + slotName(s.slot) + "."),
      }, "Claim");
    } else if (can.release) {
      action = el("button", {
        type: "button", class: "release",
        onclick: (e) => {
          if (!mine && !window.confirm("Take " + s.holder + " off " + slotName(s.slot) + "?")) return;
          this.action(e.currentTarget,
            () => api("POST", this.path("/slots/" + enc(s.slot) + "/release")),
            slotName(s.slot) + " is open again.");
        },
      }, "Release");
    }
    return el("li", {
      class: "slot" + (open ? " is-open" : "") + (mine ? " is-mine" : ""), dataset: { slot: s.slot },
    },
      el("span", { class: "slot-who" },
        el("span", { class: "slot-name" }, slotName(s.slot)),
        el("span", { class: "holder" }, s.holder || "open")),
      action, can.assign ? this.assignForm(s.slot) : null);
  }

  assignForm(slot) {
    const form = el("form", { class: "assign", dataset: { slot: slot } },
      el("input", {
        type: "email", name: "email", required: true, autocomplete: "off", inputmode: "email",
        placeholder: "member@example.com", "aria-label": "Member to put into " + slotName(slot),
      }),
      el("button", { type: "submit" }, "Put in"));
    onSubmit(form, async (values) => {
      const ev = await this.app.api("POST", this.path("/slots/" + enc(slot) + "/assign"), { email: values.email });
      showNotice(values.email + " is on as " + slotName(slot) + (ev && ev.mailed === false ? " (the e-mail could not be sent)." : "; they were e-mailed."));
      this.fill(ev);
    });
    return form;
  }

  // ---- checklist ----

  checklistGroups(ev) {
    const items = (ev.checklist || []).slice()
      .sort((a, b) => String(a.due || "").localeCompare(String(b.due || "")));
    if (!items.length) return [el("p", { class: "empty" }, "No checklist items yet.")];
    // The hint only where claiming a slot would let the viewer tick items.
    const hint = !ev.can_tick && (ev.slots || []).some((s) => s.can && s.can.claim)
      ? el("p", { class: "field-hint" }, "Claim a slot on this sail to tick items off.")
      : null;
    const groups = [["departure", "Before departure"], ["return", "After return"]];
    const known = groups.map((g) => g[0]);
    const other = items.filter((i) => !known.includes(i.hook));
    return groups
      .map(([hook, title]) => [title, items.filter((i) => i.hook === hook)])
      .concat(other.length ? [["Other", other]] : [])
      .filter(([, list]) => list.length)
      .map(([title, list]) => el("div", { class: "check-group" },
        el("h3", {}, title),
        el("ul", { class: "checks" }, list.map((item) => this.checkItem(ev, item)))))
      .concat(hint ? [hint] : []);
  }

  checkItem(ev, item) {
    const done = item.done !== undefined ? Boolean(item.done) : Boolean(item.done_by || item.done_at);
    const inputId = "check-" + String(item.id).replace(/\s+/g, "_");
    const tz = (ev.timing && ev.timing.timezone) || this.app.site.timezone;
    // A derived item follows the data (the guests' waivers), never a tick.
    const input = el("input", {
      type: "checkbox", id: inputId, checked: done, disabled: Boolean(item.derived) || !ev.can_tick,
      onchange: (e) => this.toggleCheck(item, e.currentTarget),
    });
    const doneText = item.derived === "waivers"
      ? "From the guests' waivers: " + item.signed + " of " + item.booked + " signed"
      : done
      ? "Done" + (item.done_by ? " by " + item.done_by : "") +
        (item.done_at && formatTime(item.done_at, tz) ? " at " + formatTime(item.done_at, tz) : "")
      : describeOffset(item.offset_min, item.hook);
    return el("li", { class: "check" + (done ? " is-done" : ""), dataset: { item: item.id } },
      el("label", { class: "check-row", for: inputId },
        input,
        el("span", { class: "check-text" },
          el("span", { class: "check-label" }, item.label || ""),
          el("span", { class: "check-meta" }, doneText)),
        el("span", { class: "due", title: "Due" }, item.due_local || "")));
  }

  async toggleCheck(item, input) {
    const done = input.checked;
    hideError();
    input.disabled = true;
    try {
      this.fill(await this.app.api("POST", this.path("/checklist/" + enc(item.id) + "/check"), { done }));
    } catch (err) {
      if (input.isConnected) {
        input.checked = !done;
        input.disabled = false;
      }
      fail(err);
    }
  }

  addCheckForm() {
    const form = el("form", { id: "add-check", class: "stack compact" },
      field("New item", el("input", {
        type: "text", name: "label", required: true, maxlength: 120, placeholder: "Fuel and water topped up",
      })),
      el("div", { class: "row" },
        field("Relative to", el("select", { name: "hook" },
          el("option", { value: "departure", selected: true }, "Departure"),
          el("option", { value: "return" }, "Return"))),
        field("Minutes", el("input", {
          type: "number", name: "offset_min", required: true, step: 5, value: -30, min: -720, max: 720,
          inputmode: "numeric",
        }), "negative = before")),
      el("button", { type: "submit" }, "Add item"));
    return onSubmit(form, async (values, f) => {
      await this.app.api("POST", this.path("/checklist"), {
        label: values.label, hook: values.hook, offset_min: Number(values.offset_min),
      });
      f.elements.label.value = "";
      await this.refresh();
      showNotice("Checklist item added.");
    });
  }

  // ---- guests ----

  fillGuests(ev) {
    const list = ev.guests_list || [];
    const active = list.filter((g) => g.state !== "cancelled");
    const capacity = Number(ev.guests) || 0;
    this.guestCount.textContent = "(" + active.length + (capacity ? " of " + capacity : "") + ")";
    this.guests.replaceChildren(...(list.length
      ? list.map((g) => this.guestItem(ev, g))
      : [el("li", { class: "empty" }, "No guests booked yet.")]));
  }

  guestItem(ev, g) {
    const canCancel = this.app.session.isAdmin() && g.state !== "cancelled" && ev.status !== "cancelled";
    return el("li", { class: "guest", dataset: { guest: g.id } },
      el("span", { class: "guest-who" },
        el("span", { class: "guest-name" }, g.name || "Guest"),
        g.email ? el("span", { class: "guest-email" }, g.email) : null),
      badge(stateLabel(g.state), g.state),
      canCancel
        ? el("button", {
          type: "button", class: "cancel-guest cancel small",
          "aria-label": "Cancel booking for " + (g.name || "guest"),
          onclick: (e) => this.cancelGuest(g, e.currentTarget),
        }, "Cancel")
        : null);
  }

  async cancelGuest(guest, button) {
    if (!window.confirm("Cancel the booking for " + (guest.name || "this guest") + "?")) return;
    await withBusy(button, async () => {
      await this.app.api("POST", this.path("/guests/" + enc(guest.id) + "/cancel"));
      await this.refresh();
      showNotice("Booking for " + (guest.name || "the guest") + " cancelled.");
    });
  }

  addGuestForm() {
    const form = el("form", { id: "add-guest", class: "stack compact" },
      field("Guest name", el("input", { type: "text", name: "name", required: true, maxlength: 100, autocomplete: "off" })),
      field("Guest e-mail", el("input", {
        type: "email", name: "email", required: true, autocomplete: "off", inputmode: "email",
      })),
      el("button", { type: "submit" }, "Add guest"));
    return onSubmit(form, async (values, f) => {
      const res = await this.app.api("POST", this.path("/guests"), { name: values.name, email: values.email });
      f.reset();
      this.showWaiverLink((res && res.guest && res.guest.name) || values.name, res && res.waiver_url);
      await this.refresh();
    });
  }

  // After adding a guest: the waiver link, to copy or share.
  showWaiverLink(name, url) {
    const box = this.waiverLink;
    if (!url) return;
    const input = el("input", { type: "text", readonly: true, class: "copy-field", "aria-label": "Waiver link" });
    input.value = url;
    const copy = el("button", {
      type: "button", class: "small",
      onclick: async () => {
        input.select();
        try {
          await navigator.clipboard.writeText(url);
          showNotice("Waiver link copied.");
        } catch (_) {
          showNotice("Select the link and copy it.");
        }
      },
    }, "Copy");
    const share = navigator.share
      ? el("button", {
        type: "button", class: "small",
        onclick: () => navigator.share({ title: "Sail waiver", url }).catch(() => {}),
      }, "Share")
      : null;
    box.replaceChildren(
      el("p", {}, "Waiver link for " + name + ". The booking stays on hold until the waiver is signed."),
      input,
      el("div", { class: "share-actions" }, copy, share));
    box.hidden = false;
  }

  async cancelEvent(button) {
    if (!window.confirm("Cancel this sail? Crew and guests will see it as cancelled.")) return;
    await this.action(button, () => this.app.api("POST", this.path("/cancel")), "Sail cancelled.");
  }
}
