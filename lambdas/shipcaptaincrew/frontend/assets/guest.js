// The guest's waiver page (guest.html#/{event_id}/{guest_id}/{token}), an
// ES module: the guest's own token (from the link, sent as X-Guest-Token)
// opens their booking and signs the waiver; there is no session.

import { ApiError, createApi, enc } from "./js/api.js";
import { el, fail, field, onSubmit, renderLoading, setView, showNotice, wireBanners } from "./js/dom.js";
import { capitalize, formatDate, stateLabel } from "./js/format.js";
import { defaultSite, loadSite, setTitle } from "./js/site.js";
import { timingSection } from "./js/timing.js";

const CONFIG = window.SCC_CONFIG || {};

function parseGuestHash(hash) {
  const m = /^#\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(String(hash || ""));
  if (!m) return null;
  try {
    return { eventId: decodeURIComponent(m[1]), guestId: decodeURIComponent(m[2]), token: decodeURIComponent(m[3]) };
  } catch (_) {
    return null;
  }
}

function guestApi(page, method, body) {
  const { link } = page;
  const path = "/api/events/" + enc(link.eventId) + "/guests/" + enc(link.guestId) + "/waiver";
  return page.api(method, path, body, { auth: false, headers: { "X-Guest-Token": link.token } });
}

async function loadWaiver(page) {
  renderLoading("Loading your sail…");
  let data;
  try {
    data = await guestApi(page, "GET");
    await page.siteReady;
  } catch (err) {
    fail(err);
    setView(el("section", { class: "card empty" },
      el("h1", {}, "We couldn't open this waiver"),
      el("p", {}, "Please use the full link from your e-mail, or contact the charter office."),
      err.status === 0 || err.status >= 500
        ? el("button", { type: "button", class: "primary", onclick: () => loadWaiver(page) }, "Try again")
        : null));
    return;
  }
  renderWaiver(page, data);
}

function renderWaiver(page, data) {
  const ev = data.event || {};
  const guest = data.guest || {};
  const site = page.site;
  setTitle(site, "Waiver");
  const status = el("section", { id: "guest-status", class: "card" });
  const open = ev.status !== "cancelled";
  const form = waiverForm(page, guest, (signed) => {
    setGuestState(status, signed);
    form.hidden = !open || signed.state !== "on_hold";
  });
  setGuestState(status, guest);
  form.hidden = !open || guest.state !== "on_hold";
  setView(
    el("section", { id: "guest-event", class: "card event-head" },
      el("p", { class: "muted" }, guest.name ? "Ahoy, " + guest.name + "! Your sail:" : "Your sail:"),
      el("p", { class: "event-date", id: "guest-date" }, formatDate(ev.date)),
      el("h1", { id: "guest-kind" }, capitalize(ev.kind || "Sail")),
      el("p", { class: "event-boat", id: "guest-boat" }, ev.boat || ""),
      site.marina && site.marina.name
        ? el("p", { class: "muted" }, "From " + site.marina.name) : null),
    timingSection(ev.timing, site),
    ev.status === "cancelled"
      ? el("p", { class: "card banner-error", id: "event-cancelled" },
        "This sail has been cancelled. The charter office will be in touch.")
      : null,
    status,
    el("section", { id: "waiver", class: "card" },
      el("h2", {}, "Waiver"),
      el("div", { id: "waiver-text", class: "waiver-text", tabindex: 0 }, data.waiver_text || ""),
      form));
}

function setGuestState(container, guest) {
  const state = guest.state || "on_hold";
  const messages = {
    on_hold: "Your place is on hold until you sign the waiver below.",
    confirmed: "You're confirmed. See you aboard!",
    cancelled: "This booking has been cancelled. Please contact the charter office with any questions.",
  };
  container.className = "card guest-status state-" + state;
  container.replaceChildren(
    el("p", {}, "Booking: ", el("span", { id: "guest-state", class: "badge badge-" + state }, stateLabel(state))),
    el("p", { class: "guest-status-text" }, messages[state] || ""));
}

function waiverForm(page, guest, onSigned) {
  const form = el("form", { id: "waiver-form", class: "stack" },
    field("Your full name", el("input", {
      type: "text", name: "signed_name", id: "signed-name", required: true, autocomplete: "name",
      value: guest.name || "",
    })),
    el("label", { class: "accept" },
      el("input", { type: "checkbox", name: "accept", id: "accept", required: true }),
      el("span", {}, "I have read and accept the waiver.")),
    el("button", { type: "submit", id: "sign", class: "primary" }, "Sign waiver"));
  return onSubmit(form, async (values, f) => {
    if (!values.signed_name) throw new ApiError(0, "input", "Please type your full name.");
    if (!f.elements.accept.checked) throw new ApiError(0, "input", "Please tick \"I accept\" to sign.");
    try {
      const res = await guestApi(page, "POST", { signed_name: values.signed_name, accept: true });
      onSigned((res && res.guest) || { state: "confirmed" });
      showNotice("Thank you, the waiver is signed.");
      window.scrollTo(0, 0);
    } catch (err) {
      if (err.status === 409) {
        // Already signed or cancelled: show where the booking stands.
        const fresh = await guestApi(page, "GET").catch(() => null);
        if (fresh && fresh.guest) onSigned(fresh.guest);
      }
      throw err;
    }
  });
}

wireBanners();
const link = parseGuestHash(location.hash);
const api = createApi({ base: CONFIG.api });
const site = defaultSite();
const page = { api, link, site, siteReady: loadSite(api, site) };
if (!link) {
  setView(el("section", { class: "card empty" },
    el("h1", {}, "Link incomplete"),
    el("p", {}, "This waiver link is missing a part. Please open the full link from your e-mail.")));
} else {
  loadWaiver(page);
}
