// ShipCaptainCrew frontend: the crew app (index.html) and the guest waiver
// page (guest.html). Plain JavaScript, no build step. Data from the API only
// ever reaches the page through textContent / attribute values, never HTML.
(function () {
  "use strict";

  const CONFIG = window.SCC_CONFIG || {};
  const API_BASE = String(CONFIG.api || "").replace(/\/+$/, "");
  const TOKEN_KEY = "scc.token";
  const DEFAULT_TZ = "America/Los_Angeles";
  const NOTICE_MS = 6000;

  // Public config from GET /api/config (brand, marina, timezone).
  let siteConfig = { brand: "ShipCaptainCrew", marina: null, timezone: DEFAULT_TZ };
  let configReady = Promise.resolve();

  // =========================================================================
  // DOM helpers
  // =========================================================================

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  // el("li", { class: "slot", dataset: { slot: "crew-1" } }, "text", child…)
  // Strings become text nodes; null/undefined/false children are skipped.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // Replaces the page body; null/false entries (optional parts) are skipped.
  function setView(...children) {
    $("#view").replaceChildren(...children.filter(Boolean));
  }

  function renderLoading(text) {
    setView(el("p", { class: "loading" }, text || "Loading…"));
  }

  function setTitle(page) {
    document.title = page ? page + " · " + siteConfig.brand : siteConfig.brand;
  }

  // =========================================================================
  // Banners: #error (stays until dismissed or the next action) and #notice
  // =========================================================================

  let noticeTimer = null;

  function showError(message) {
    $("#error-text").textContent = message;
    $("#error").hidden = false;
    hideNotice();
  }

  function hideError() {
    $("#error").hidden = true;
    $("#error-text").textContent = "";
  }

  function showNotice(message) {
    $("#notice-text").textContent = message;
    $("#notice").hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(hideNotice, NOTICE_MS);
  }

  function hideNotice() {
    clearTimeout(noticeTimer);
    $("#notice").hidden = true;
  }

  function wireBanners() {
    $("#error .banner-close").addEventListener("click", hideError);
    $("#notice .banner-close").addEventListener("click", hideNotice);
  }

  // Shows any error to the user; only ever the human message, never JSON.
  function fail(err) {
    if (err && err.name === "ApiError") showError(err.message);
    else {
      console.error(err);
      showError("Something went wrong. Please reload the page and try again.");
    }
  }

  // =========================================================================
  // API
  // =========================================================================

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.code = code;
    }
  }

  // Hex SHA-256 of a string (UTF-8); null where Web Crypto is unavailable
  // (a page not served over HTTPS or from localhost).
  async function sha256Hex(text) {
    if (!window.crypto || !window.crypto.subtle) return null;
    const digest = await window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Called when an authenticated call answers 401 (set by the crew app).
  let onUnauthorized = null;

  // api("POST", "/api/events", { … }) → parsed JSON body, or throws ApiError.
  // options.auth = false leaves out the session token; options.headers adds headers.
  async function api(method, path, body, options) {
    const opts = options || {};
    const headers = { Accept: "application/json" };
    const token = opts.auth === false ? null : getToken();
    // Not Authorization: CloudFront's origin access control overwrites it
    // with its own signature on the way to the function URL.
    if (token) headers["X-Session-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, opts.headers || {});
    const text = body === undefined ? undefined : JSON.stringify(body);
    // Behind CloudFront the API's function URL is signed by an origin access
    // control, which cannot hash the body itself: a POST or PUT must carry
    // the SHA-256 of its body (CloudFront developer guide, "Restrict access
    // to an AWS Lambda function URL origin").
    if (method !== "GET" && method !== "HEAD") {
      const hash = await sha256Hex(text || "");
      if (hash) headers["x-amz-content-sha256"] = hash;
    }

    let res;
    try {
      res = await fetch(API_BASE + path, { method, headers, body: text });
    } catch (_) {
      throw new ApiError(0, "network", "Can't reach the server. Check your connection and try again.");
    }

    const data = await readJson(res);
    if (res.ok) return data;
    const err = apiError(res, data);
    if (res.status === 401 && token && onUnauthorized) onUnauthorized(err);
    throw err;
  }

  // 16 random bytes as hex, from the browser's CSPRNG.
  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function readJson(res) {
    try {
      const text = await res.text();
      return text ? JSON.parse(text) : null;
    } catch (_) {
      return null;
    }
  }

  function apiError(res, data) {
    const code = (data && typeof data.error === "string" && data.error) || "http_" + res.status;
    let message = data && typeof data.message === "string" && data.message.trim()
      ? capitalize(data.message.trim())
      : fallbackMessage(res.status);
    if (res.status === 429 && !/try again in/i.test(message)) {
      const wait = describeRetryAfter(res.headers.get("Retry-After"));
      if (wait) message += ". Please try again in " + wait + ".";
    }
    return new ApiError(res.status, code, message);
  }

  function fallbackMessage(status) {
    if (status === 401) return "Please sign in again.";
    if (status === 403) return "You don't have permission to do that.";
    if (status === 404) return "Not found.";
    if (status === 409) return "That changed in the meantime; the page has been refreshed.";
    if (status === 429) return "Too many requests.";
    if (status >= 500) return "The server had a problem (HTTP " + status + "). Please try again.";
    return "The request failed (HTTP " + status + ").";
  }

  // Retry-After is either a number of seconds or an HTTP date.
  function describeRetryAfter(value) {
    if (!value) return "";
    const seconds = /^\d+$/.test(value.trim())
      ? Number(value.trim())
      : Math.ceil((Date.parse(value) - Date.now()) / 1000);
    if (!Number.isFinite(seconds) || seconds <= 0) return "";
    if (seconds < 90) return seconds + (seconds === 1 ? " second" : " seconds");
    const minutes = Math.ceil(seconds / 60);
    return minutes + " minutes";
  }

  function enc(part) {
    return encodeURIComponent(String(part));
  }

  async function loadConfig() {
    try {
      const cfg = await api("GET", "/api/config", undefined, { auth: false });
      if (cfg && typeof cfg === "object") siteConfig = Object.assign(siteConfig, cfg);
    } catch (err) {
      console.warn("config:", err.message);
    }
    $("#brand").textContent = siteConfig.brand || "ShipCaptainCrew";
    const marina = siteConfig.marina && siteConfig.marina.name;
    $("#marina").textContent = marina ? "Sailing from " + marina : "";
  }

  // =========================================================================
  // Formatting
  // =========================================================================

  // "2026-07-04" → "Sat, Jul 4, 2026" (a calendar date: no time zone shift).
  function formatDate(isoDate) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDate || ""));
    if (!m) return String(isoDate || "");
    const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return date.toLocaleDateString("en-US", {
      weekday: "short", month: "short", day: "numeric", year: "numeric", timeZone: "UTC",
    });
  }

  // Today's date (YYYY-MM-DD) at the marina.
  function todayAtMarina() {
    const parts = {};
    try {
      const fmt = new Intl.DateTimeFormat("en-US", {
        timeZone: siteConfig.timezone || DEFAULT_TZ, year: "numeric", month: "2-digit", day: "2-digit",
      });
      for (const p of fmt.formatToParts(new Date())) parts[p.type] = p.value;
      return parts.year + "-" + parts.month + "-" + parts.day;
    } catch (_) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  // An RFC 3339 instant → "h:mm" style local time in the given zone.
  function formatTime(instant, timeZone) {
    const date = new Date(instant);
    if (!instant || Number.isNaN(date.getTime())) return "";
    try {
      return date.toLocaleTimeString("en-GB", {
        hour: "2-digit", minute: "2-digit", timeZone: timeZone || siteConfig.timezone || DEFAULT_TZ,
      });
    } catch (_) {
      return date.toISOString().slice(11, 16);
    }
  }

  // "America/Los_Angeles" + an instant → "PDT" (or "" if unknown).
  function zoneAbbreviation(timeZone, instant) {
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
  function describeOffset(offsetMin, hook) {
    const n = Number(offsetMin) || 0;
    if (n === 0) return "at " + hook;
    const abs = Math.abs(n);
    const h = Math.floor(abs / 60);
    const m = abs % 60;
    const amount = h ? h + " h" + (m ? " " + m + " min" : "") : m + " min";
    return amount + (n < 0 ? " before " : " after ") + hook;
  }

  // "crew-1" → "Crew 1", "captain" → "Captain"
  function slotName(slot) {
    const s = String(slot || "");
    const m = /^crew-(\d+)$/.exec(s);
    if (m) return "Crew " + m[1];
    return s.charAt(0).toUpperCase() + s.slice(1).replace(/-/g, " ");
  }

  // "sunset sail" → "Sunset sail"
  function capitalize(text) {
    const s = String(text || "");
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function stateLabel(state) {
    return String(state || "").replace(/_/g, " ");
  }

  function badge(text, kind) {
    return el("span", { class: "badge badge-" + String(kind || text).replace(/[^a-z0-9_-]/gi, "") }, text);
  }

  function sameEmail(a, b) {
    return Boolean(a && b) && String(a).toLowerCase() === String(b).toLowerCase();
  }

  // =========================================================================
  // Shared pieces of UI
  // =========================================================================

  // The timing panel: #timing-departure / #timing-sunset / #timing-return hold
  // exactly the API's timing.local "HH:MM" values.
  function timingSection(timing) {
    const t = timing || {};
    const local = t.local || {};
    const tz = t.timezone || siteConfig.timezone || DEFAULT_TZ;
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

  // Calls fn with the button disabled; errors go to the #error banner.
  async function withBusy(button, fn) {
    hideError();
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
    try {
      await fn();
    } catch (err) {
      fail(err);
    } finally {
      if (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
    }
  }

  // Wires a form's submit to handler(values, form) with trimmed string values.
  function onSubmit(form, handler) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const [key, value] of new FormData(form)) values[key] = String(value).trim();
      withBusy(form.querySelector('button[type="submit"]'), () => handler(values, form));
    });
    return form;
  }

  function field(label, input, hint) {
    return el("label", { class: "field" },
      el("span", { class: "field-label" }, label),
      input,
      hint ? el("span", { class: "field-hint" }, hint) : null);
  }

  // =========================================================================
  // Crew app (index.html)
  // =========================================================================

  let me = null;         // { email, role }
  let routeSeq = 0;      // bumps on every navigation; stale responses are dropped
  let eventView = null;  // containers of the event page currently shown

  function getToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (_) {
      return null;
    }
  }

  function setToken(token) {
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch (_) {
      /* private mode without storage: the session lasts until reload */
    }
  }

  function clearSession() {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      /* nothing stored */
    }
    me = null;
    renderWhoami();
  }

  function isAdmin() {
    return Boolean(me && me.role === "admin");
  }

  function renderWhoami() {
    const who = $("#whoami");
    who.textContent = me ? me.email + " · " + me.role : "";
    who.hidden = !me;
    $("#signout").hidden = !me;
  }

  function signOut() {
    clearSession();
    hideError();
    hideNotice();
    history.replaceState(null, "", location.pathname + location.search + "#/");
    route();
  }

  function parseRoute(hash) {
    const h = String(hash || "").replace(/^#/, "");
    try {
      let m = /^\/auth\/([^/]+)\/?$/.exec(h);
      if (m) return { name: "auth", code: decodeURIComponent(m[1]) };
      m = /^\/events\/([^/]+)\/?$/.exec(h);
      if (m) return { name: "event", id: decodeURIComponent(m[1]) };
      if (/^\/crew\/?$/.test(h)) return { name: "crew" };
    } catch (_) {
      /* a malformed %-escape: fall through to the list */
    }
    return { name: "events" };
  }

  async function route() {
    const seq = ++routeSeq;
    const target = parseRoute(location.hash);
    eventView = null;
    if (target.name === "auth") return signInWithCode(target.code);
    if (!getToken()) return showLogin();
    if (!me) {
      renderLoading();
      try {
        me = await api("GET", "/api/me");
      } catch (err) {
        if (seq === routeSeq && getToken()) loadFailed(err);
        else if (seq === routeSeq) fail(err);
        return;
      }
      renderWhoami();
      if (seq !== routeSeq) return;
    }
    window.scrollTo(0, 0);
    if (target.name === "event") return showEvent(target.id, seq);
    if (target.name === "crew" && isAdmin()) return showRoster(seq);
    return showEvents(seq);
  }

  function loadFailed(err) {
    fail(err);
    setView(el("section", { class: "card empty" },
      el("p", {}, "This page could not be loaded."),
      el("button", { type: "button", class: "primary", onclick: () => route() }, "Try again")));
  }

  // ---- sign-in ------------------------------------------------------------

  // Opening a link signs nobody in: the page says who the link is for and
  // waits for a click (mail scanners that run pages burn nothing; a link
  // someone else planted cannot sign you into their account unasked).
  async function signInWithCode(code) {
    // Out of the address bar straight away; kept in this page only.
    history.replaceState(null, "", location.pathname + location.search + "#/");
    renderLoading("Checking your sign-in link…");
    let who;
    try {
      who = await api("POST", "/api/auth/peek", { code }, { auth: false });
    } catch (err) {
      getToken() ? route() : showLogin();
      fail(err);
      return;
    }
    let current = null;
    if (getToken()) {
      try {
        current = me || (await api("GET", "/api/me"));
      } catch (_) {
        current = null;
      }
    }
    setTitle("Sign in");
    const replace = current && !sameEmail(current.email, who.email);
    setView(el("section", { id: "confirm-sign-in", class: "card" },
      el("h1", {}, "Sign in"),
      el("p", {}, "This link signs in ", el("strong", { id: "confirm-email" }, who.email), " as " + who.role + "."),
      replace ? el("p", { class: "warn", id: "confirm-replace" },
        "You are signed in as " + current.email + " on this device. Signing in replaces that session.") : null,
      el("div", { class: "actions" },
        el("button", { type: "button", class: "primary", id: "confirm-sign-in-button",
          onclick: () => exchangeCode(code) }, replace ? "Switch to " + who.email : "Sign in"),
        el("button", { type: "button", onclick: () => (getToken() ? route() : showLogin()) }, "Cancel"))));
  }

  async function exchangeCode(code) {
    clearSession();
    renderLoading("Signing you in…");
    try {
      const res = await api("POST", "/api/auth/exchange", { code });
      setToken(res.token);
      me = { email: res.email, role: res.role };
      renderWhoami();
    } catch (err) {
      showLogin();
      fail(err);
      return;
    }
    showNotice("Welcome aboard, " + me.email + ".");
    route();
  }

  function showLogin() {
    eventView = null;
    renderWhoami();
    setTitle("Sign in");
    const form = onSubmit(
      el("form", { id: "login-form", class: "stack" },
        field("E-mail", el("input", {
          type: "email", name: "email", required: true, autocomplete: "email",
          inputmode: "email", placeholder: "you@example.com",
        })),
        el("button", { type: "submit", class: "primary" }, "Send me a sign-in link")),
      async (values, f) => {
        const res = await api("POST", "/api/auth/request", { email: values.email });
        showNotice((res && res.message) || "If that address is registered, a sign-in link is on its way.");
        f.reset();
      });
    setView(el("section", { id: "login", class: "card" },
      el("h1", {}, "Sign in"),
      el("p", { class: "muted" },
        "Crew sign in with a link sent by e-mail. Enter the address your invitation went to."),
      form));
  }

  // ---- events list ----------------------------------------------------------

  async function showEvents(seq) {
    setTitle("Sails");
    renderLoading("Loading sails…");
    let data;
    try {
      data = await api("GET", "/api/events");
    } catch (err) {
      if (seq === routeSeq) getToken() ? loadFailed(err) : fail(err);
      return;
    }
    if (seq !== routeSeq) return;
    const events = (data && data.events) || [];
    setView(
      isAdmin() ? el("p", { class: "nav" }, el("a", { id: "roster-link", href: "#/crew" }, "Crew roster ›")) : null,
      eventsSection(events, data && data.next, seq),
      isAdmin() ? createEventForm(events) : null,
      isAdmin() ? inviteForm() : null);
  }

  // The API lists sails a page at a time: upcoming (soonest first) or past
  // (newest first), each page with the cursor of the next.
  function eventsSection(upcoming, next, seq) {
    const list = el("ul", { id: "event-list", class: "event-list" }, upcoming.map(eventItem));
    const pastList = el("ul", { id: "past-list", class: "event-list" });
    const past = el("details", { class: "past", id: "past-sails" },
      el("summary", {}, "Past sails"), pastList);
    let pastAsked = false;
    past.addEventListener("toggle", () => {
      if (!past.open || pastAsked) return;
      pastAsked = true;
      loadPage(pastList, "past", null, seq);
    });
    return el("section", { id: "events", class: "events" },
      el("h1", {}, "Upcoming sails"),
      upcoming.length ? list : el("p", { class: "card empty" }, "No sails on the calendar yet."),
      moreButton(list, "upcoming", next, seq),
      past);
  }

  // A "More sails" button that appends the page after `next` to `list`
  // (none when there is no next page).
  function moreButton(list, when, next, seq) {
    if (!next) return null;
    const button = el("button", { type: "button", class: "more", dataset: { when },
      onclick: (e) => withBusy(e.currentTarget, async () => {
        if (await loadPage(list, when, next, seq)) button.remove();
      }) }, "More sails");
    return button;
  }

  async function loadPage(list, when, after, seq) {
    let data;
    try {
      data = await api("GET", "/api/events?when=" + when + (after ? "&after=" + enc(after) : ""));
    } catch (err) {
      if (seq === routeSeq) fail(err);
      return false;
    }
    if (seq !== routeSeq) return false;
    const events = (data && data.events) || [];
    list.append(...events.map(eventItem));
    if (!list.children.length) list.replaceWith(el("p", { class: "card empty" }, "No past sails."));
    const more = moreButton(list, when, data && data.next, seq);
    if (more) list.after(more);
    return true;
  }

  function eventItem(ev) {
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

  // ---- crew roster (admins) --------------------------------------------------

  async function showRoster(seq) {
    setTitle("Crew");
    renderLoading("Loading the crew…");
    let data;
    try {
      data = await api("GET", "/api/members");
    } catch (err) {
      if (seq === routeSeq) loadFailed(err);
      return;
    }
    if (seq !== routeSeq) return;
    const members = (data && data.members) || [];
    setView(
      el("a", { class: "back", href: "#/" }, "‹ All sails"),
      el("section", { class: "card", id: "roster", "aria-labelledby": "roster-title" },
        el("h1", { id: "roster-title" }, "Crew"),
        el("ul", { class: "members" }, members.map(memberItem))),
      inviteForm());
  }

  function memberItem(m) {
    const configured = Boolean(m.configured);
    const role = el("select", { name: "role", disabled: configured, "aria-label": "Role of " + m.email },
      ["crew", "captain", "admin"].map((r) => el("option", { value: r, selected: r === m.role }, capitalize(r))));
    role.addEventListener("change", async (e) => {
      const select = e.currentTarget;
      try {
        const res = await api("PATCH", "/api/members/" + enc(m.email), { role: select.value });
        const freed = (res.released || []).length;
        showNotice(m.email + " is now " + res.role + (freed ? "; " + freed + " slot(s) they no longer fit were released." : "."));
        route();
      } catch (err) {
        select.value = m.role;
        fail(err);
      }
    });
    const upcoming = (m.upcoming || []).map((u) =>
      el("li", {}, el("a", { href: "#/events/" + enc(u.event) }, formatDate(u.date) + " · " + (u.boat || "") + " · " + slotName(u.slot))));
    return el("li", { class: "member", dataset: { email: m.email } },
      el("div", { class: "member-head" },
        el("span", { class: "member-email" }, m.email),
        configured ? badge("admin by configuration", "info") : role),
      el("p", { class: "muted member-meta" },
        m.last_sign_in ? "Last signed in " + formatDate(String(m.last_sign_in).slice(0, 10)) : "Never signed in"),
      upcoming.length ? el("ul", { class: "member-slots" }, upcoming) : el("p", { class: "muted" }, "No upcoming sails."),
      configured ? null : el("div", { class: "actions" },
        el("button", { type: "button", class: "signout-all", onclick: (e) => withBusy(e.currentTarget, async () => {
          await api("POST", "/api/members/" + enc(m.email) + "/sign-out");
          showNotice(m.email + " is signed out everywhere.");
        }) }, "Sign out everywhere"),
        el("button", { type: "button", class: "danger remove", onclick: (e) => {
          if (!window.confirm("Remove " + m.email + "? Their upcoming slots are released.")) return;
          withBusy(e.currentTarget, async () => {
            await api("DELETE", "/api/members/" + enc(m.email));
            showNotice(m.email + " was removed.");
            route();
          });
        } }, "Remove")));
  }

  function createEventForm(events) {
    const boats = [...new Set(events.map((e) => e.boat).filter(Boolean))];
    const kinds = [...new Set(["sunset sail", "day sail", "whale watching", "private charter"]
      .concat(events.map((e) => e.kind).filter(Boolean)))];
    const form = el("form", { id: "create-event", class: "stack" },
      field("Date", el("input", { type: "date", name: "date", required: true, min: todayAtMarina() })),
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
      const ev = await api("POST", "/api/events", body, { headers: { "Idempotency-Key": idempotencyKey } });
      showNotice("Sail created: " + (ev.kind || body.kind) + " on " + formatDate(ev.date || body.date) + ".");
      location.hash = "#/events/" + enc(ev.id);
    });
    return el("section", { class: "card admin", "aria-labelledby": "create-event-title" },
      el("h2", { id: "create-event-title" }, "New sail"), form);
  }

  function inviteForm() {
    const form = el("form", { id: "invite", class: "stack" },
      field("E-mail", el("input", {
        type: "email", name: "email", required: true, autocomplete: "off", inputmode: "email",
        placeholder: "crew@example.com",
      })),
      field("Role", el("select", { name: "role", required: true },
        el("option", { value: "crew", selected: true }, "Crew"),
        el("option", { value: "captain" }, "Captain"),
        el("option", { value: "admin" }, "Admin"))),
      el("button", { type: "submit", class: "primary" }, "Send invitation"));
    onSubmit(form, async (values, f) => {
      const res = await api("POST", "/api/invites", { email: values.email, role: values.role });
      const email = (res && res.email) || values.email;
      const role = (res && res.role) || values.role;
      showNotice("Invitation sent to " + email + " as " + role + ".");
      f.reset();
    });
    return el("section", { class: "card admin", "aria-labelledby": "invite-title" },
      el("h2", { id: "invite-title" }, "Invite crew"),
      el("p", { class: "muted" }, "They get an e-mail with a sign-in link."),
      form);
  }

  // ---- event page -----------------------------------------------------------

  async function showEvent(id, seq) {
    setTitle("Sail");
    renderLoading("Loading sail…");
    let ev;
    try {
      ev = await api("GET", "/api/events/" + enc(id));
    } catch (err) {
      if (seq === routeSeq) getToken() ? loadFailed(err) : fail(err);
      return;
    }
    if (seq !== routeSeq) return;
    buildEventView(ev);
  }

  // Lays out the page once; fillEvent() refreshes the parts that change, so
  // admin forms keep what was typed into them.
  function buildEventView(ev) {
    const v = {
      id: String(ev.id),
      head: el("header", { class: "card event-head", id: "event-head" }),
      timing: el("div", { id: "timing-wrap" }),
      slots: el("ul", { id: "slots", class: "slots" }),
      checklist: el("div", { id: "checklist", class: "checklist" }),
      guests: el("ul", { id: "guests", class: "guests" }),
      guestCount: el("span", { class: "count" }),
      waiverLink: el("div", { id: "waiver-link", class: "share", hidden: true }),
      cancelButton: null,
    };
    eventView = v;
    const admin = isAdmin();
    if (admin) {
      v.cancelButton = el("button", {
        type: "button", id: "cancel-event", class: "danger cancel",
        onclick: (e) => cancelEvent(e.currentTarget),
      }, "Cancel this sail");
    }
    setView(
      el("a", { class: "back", href: "#/" }, "‹ All sails"),
      el("article", { id: "event", dataset: { event: ev.id } },
        v.head,
        v.timing,
        el("section", { class: "card", id: "crew", "aria-labelledby": "crew-title" },
          el("h2", { id: "crew-title" }, "Captain & crew"), v.slots),
        el("section", { class: "card", id: "checklist-section", "aria-labelledby": "checklist-title" },
          el("h2", { id: "checklist-title" }, "Checklist"), v.checklist,
          admin ? addCheckForm() : null),
        el("section", { class: "card", id: "guests-section", "aria-labelledby": "guests-title" },
          el("h2", { id: "guests-title" }, "Guests ", v.guestCount), v.guests,
          admin ? addGuestForm() : null, v.waiverLink),
        admin ? el("section", { class: "card admin danger-zone" },
          el("h2", {}, "Cancel sail"),
          el("p", { class: "muted" }, "Cancelling keeps the record but frees the date."),
          v.cancelButton) : null));
    fillEvent(ev);
  }

  function fillEvent(ev) {
    const v = eventView;
    if (!v || v.id !== String(ev.id) || !v.head.isConnected) return;
    const cancelled = ev.status === "cancelled";
    setTitle(capitalize(ev.kind || "Sail") + ", " + formatDate(ev.date));
    v.head.replaceChildren(
      el("p", { class: "event-date" }, formatDate(ev.date)),
      el("h1", {}, capitalize(ev.kind || "Sail")),
      el("p", { class: "event-boat" }, ev.boat || ""),
      el("p", { class: "badges" }, badge(ev.status || "booked", cancelled ? "cancelled" : "ok")));
    v.timing.replaceChildren(timingSection(ev.timing));
    v.slots.replaceChildren(...(ev.slots || []).map((s) => slotItem(ev, s)));
    v.checklist.replaceChildren(...checklistGroups(ev));
    fillGuests(ev);
    if (v.cancelButton) v.cancelButton.closest("section").hidden = cancelled;
  }

  async function refreshEvent() {
    const v = eventView;
    if (!v) return;
    try {
      fillEvent(await api("GET", "/api/events/" + enc(v.id)));
    } catch (err) {
      fail(err);
    }
  }

  // Runs an action that answers with the updated Event; a 409 (someone else
  // got there first) reloads the event before showing the message.
  async function eventAction(button, request, notice) {
    await withBusy(button, async () => {
      try {
        fillEvent(await request());
        if (notice) showNotice(notice);
      } catch (err) {
        if (err.status === 409) await refreshEvent();
        throw err;
      }
    });
  }

  function eventPath(suffix) {
    return "/api/events/" + enc(eventView.id) + suffix;
  }

  // ---- slots ----

  // What the viewer may do comes from the API (each slot's `can`, the
  // event's `can_tick`): the server's rules, never re-derived here.
  function canTick(ev) {
    return Boolean(me && ev.can_tick);
  }

  function slotItem(ev, s) {
    const mine = Boolean(me && sameEmail(s.holder, me.email));
    const open = !s.holder;
    let action = null;
    const can = s.can || {};
    const assign = can.assign ? assignForm(s.slot) : null;
    if (can.claim) {
      action = el("button", {
        type: "button", class: "claim primary",
        onclick: (e) => eventAction(e.currentTarget,
          () => api("POST", eventPath("/slots/" + enc(s.slot) + "/claim")),
          "You're on as " + slotName(s.slot) + "."),
      }, "Claim");
    } else if (can.release) {
      action = el("button", {
        type: "button", class: "release",
        onclick: (e) => {
          if (!mine && !window.confirm("Take " + s.holder + " off " + slotName(s.slot) + "?")) return;
          eventAction(e.currentTarget,
            () => api("POST", eventPath("/slots/" + enc(s.slot) + "/release")),
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
      action, assign);
  }

  function assignForm(slot) {
    const form = el("form", { class: "assign", dataset: { slot: slot } },
      el("input", {
        type: "email", name: "email", required: true, autocomplete: "off", inputmode: "email",
        placeholder: "member@example.com", "aria-label": "Member to put into " + slotName(slot),
      }),
      el("button", { type: "submit" }, "Put in"));
    onSubmit(form, async (values) => {
      const ev = await api("POST", eventPath("/slots/" + enc(slot) + "/assign"), { email: values.email });
      showNotice(values.email + " is on as " + slotName(slot) + (ev && ev.mailed === false ? " (the e-mail could not be sent)." : "; they were e-mailed."));
      fillEvent(ev);
    });
    return form;
  }

  // ---- checklist ----

  function checklistGroups(ev) {
    const items = (ev.checklist || []).slice()
      .sort((a, b) => String(a.due || "").localeCompare(String(b.due || "")));
    if (!items.length) return [el("p", { class: "empty" }, "No checklist items yet.")];
    // The hint only where claiming a slot would let the viewer tick items.
    const hint = !canTick(ev) && (ev.slots || []).some((s) => s.can && s.can.claim)
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
        el("ul", { class: "checks" }, list.map((item) => checkItem(ev, item)))))
      .concat(hint ? [hint] : []);
  }

  function checkItem(ev, item) {
    const done = item.done !== undefined ? Boolean(item.done) : Boolean(item.done_by || item.done_at);
    const inputId = "check-" + String(item.id).replace(/\s+/g, "_");
    const tz = (ev.timing && ev.timing.timezone) || siteConfig.timezone;
    // A derived item follows the data (the guests' waivers), never a tick.
    const input = el("input", {
      type: "checkbox", id: inputId, checked: done, disabled: Boolean(item.derived) || !canTick(ev),
      onchange: (e) => toggleCheck(item, e.currentTarget),
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

  async function toggleCheck(item, input) {
    const done = input.checked;
    hideError();
    input.disabled = true;
    try {
      fillEvent(await api("POST", eventPath("/checklist/" + enc(item.id) + "/check"), { done }));
    } catch (err) {
      if (input.isConnected) {
        input.checked = !done;
        input.disabled = false;
      }
      fail(err);
    }
  }

  function addCheckForm() {
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
      await api("POST", eventPath("/checklist"), {
        label: values.label, hook: values.hook, offset_min: Number(values.offset_min),
      });
      f.elements.label.value = "";
      await refreshEvent();
      showNotice("Checklist item added.");
    });
  }

  // ---- guests ----

  function fillGuests(ev) {
    const v = eventView;
    const list = ev.guests_list || [];
    const active = list.filter((g) => g.state !== "cancelled");
    const capacity = Number(ev.guests) || 0;
    v.guestCount.textContent = "(" + active.length + (capacity ? " of " + capacity : "") + ")";
    v.guests.replaceChildren(...(list.length
      ? list.map((g) => guestItem(ev, g))
      : [el("li", { class: "empty" }, "No guests booked yet.")]));
  }

  function guestItem(ev, g) {
    const canCancel = isAdmin() && g.state !== "cancelled" && ev.status !== "cancelled";
    return el("li", { class: "guest", dataset: { guest: g.id } },
      el("span", { class: "guest-who" },
        el("span", { class: "guest-name" }, g.name || "Guest"),
        g.email ? el("span", { class: "guest-email" }, g.email) : null),
      badge(stateLabel(g.state), g.state),
      canCancel
        ? el("button", {
          type: "button", class: "cancel-guest cancel small",
          "aria-label": "Cancel booking for " + (g.name || "guest"),
          onclick: (e) => cancelGuest(g, e.currentTarget),
        }, "Cancel")
        : null);
  }

  async function cancelGuest(guest, button) {
    if (!window.confirm("Cancel the booking for " + (guest.name || "this guest") + "?")) return;
    await withBusy(button, async () => {
      await api("POST", eventPath("/guests/" + enc(guest.id) + "/cancel"));
      await refreshEvent();
      showNotice("Booking for " + (guest.name || "the guest") + " cancelled.");
    });
  }

  function addGuestForm() {
    const form = el("form", { id: "add-guest", class: "stack compact" },
      field("Guest name", el("input", { type: "text", name: "name", required: true, maxlength: 100, autocomplete: "off" })),
      field("Guest e-mail", el("input", {
        type: "email", name: "email", required: true, autocomplete: "off", inputmode: "email",
      })),
      el("button", { type: "submit" }, "Add guest"));
    return onSubmit(form, async (values, f) => {
      const res = await api("POST", eventPath("/guests"), { name: values.name, email: values.email });
      f.reset();
      showWaiverLink((res && res.guest && res.guest.name) || values.name, res && res.waiver_url);
      await refreshEvent();
    });
  }

  // After adding a guest: the waiver link, to copy or share.
  function showWaiverLink(name, url) {
    const box = eventView && eventView.waiverLink;
    if (!box || !url) return;
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

  async function cancelEvent(button) {
    if (!window.confirm("Cancel this sail? Crew and guests will see it as cancelled.")) return;
    await eventAction(button, () => api("POST", eventPath("/cancel")), "Sail cancelled.");
  }

  function bootApp() {
    wireBanners();
    onUnauthorized = () => {
      clearSession();
      showLogin();
    };
    $("#signout").addEventListener("click", signOut);
    window.addEventListener("hashchange", () => {
      hideError();
      route();
    });
    loadConfig();
    route();
  }

  // =========================================================================
  // Guest waiver page (guest.html#/{event_id}/{guest_id}/{token})
  // =========================================================================

  function parseGuestHash(hash) {
    const m = /^#\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(String(hash || ""));
    if (!m) return null;
    try {
      return { eventId: decodeURIComponent(m[1]), guestId: decodeURIComponent(m[2]), token: decodeURIComponent(m[3]) };
    } catch (_) {
      return null;
    }
  }

  function guestApi(link, method, body) {
    const path = "/api/events/" + enc(link.eventId) + "/guests/" + enc(link.guestId) + "/waiver";
    return api(method, path, body, { auth: false, headers: { "X-Guest-Token": link.token } });
  }

  async function loadWaiver(link) {
    renderLoading("Loading your sail…");
    let data;
    try {
      data = await guestApi(link, "GET");
      await configReady;
    } catch (err) {
      fail(err);
      setView(el("section", { class: "card empty" },
        el("h1", {}, "We couldn't open this waiver"),
        el("p", {}, "Please use the full link from your e-mail, or contact the charter office."),
        err.status === 0 || err.status >= 500
          ? el("button", { type: "button", class: "primary", onclick: () => loadWaiver(link) }, "Try again")
          : null));
      return;
    }
    renderWaiver(link, data);
  }

  function renderWaiver(link, data) {
    const ev = data.event || {};
    const guest = data.guest || {};
    setTitle("Waiver");
    const status = el("section", { id: "guest-status", class: "card" });
    const open = ev.status !== "cancelled";
    const form = waiverForm(link, guest, (signed) => {
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
        siteConfig.marina && siteConfig.marina.name
          ? el("p", { class: "muted" }, "From " + siteConfig.marina.name) : null),
      timingSection(ev.timing),
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

  function waiverForm(link, guest, onSigned) {
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
        const res = await guestApi(link, "POST", { signed_name: values.signed_name, accept: true });
        onSigned((res && res.guest) || { state: "confirmed" });
        showNotice("Thank you, the waiver is signed.");
        window.scrollTo(0, 0);
      } catch (err) {
        if (err.status === 409) {
          // Already signed or cancelled: show where the booking stands.
          const fresh = await guestApi(link, "GET").catch(() => null);
          if (fresh && fresh.guest) onSigned(fresh.guest);
        }
        throw err;
      }
    });
  }

  function bootGuest() {
    wireBanners();
    configReady = loadConfig();
    const link = parseGuestHash(location.hash);
    if (!link) {
      setView(el("section", { class: "card empty" },
        el("h1", {}, "Link incomplete"),
        el("p", {}, "This waiver link is missing a part. Please open the full link from your e-mail.")));
      return;
    }
    loadWaiver(link);
  }

  // =========================================================================

  if (document.body.dataset.page === "guest") bootGuest();
  else bootApp();
})();
