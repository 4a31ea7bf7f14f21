// Signing in: the e-mail form, and a magic link's page. Opening a link
// signs nobody in: the page says who the link is for and waits for a click
// (mail scanners that run pages burn nothing; a link someone else planted
// cannot sign you into their account unasked).

import { el, fail, field, onSubmit, renderLoading, setView, showNotice } from "../dom.js";
import { sameEmail } from "../format.js";
import { setTitle } from "../site.js";

export function showLogin(app) {
  app.renderWhoami();
  setTitle(app.site, "Sign in");
  const form = onSubmit(
    el("form", { id: "login-form", class: "stack" },
      field("E-mail", el("input", {
        type: "email", name: "email", required: true, autocomplete: "email",
        inputmode: "email", placeholder: "you@example.com",
      })),
      el("button", { type: "submit", class: "primary" }, "Send me a sign-in link")),
    async (values, f) => {
      const res = await app.api("POST", "/api/auth/request", { email: values.email });
      showNotice((res && res.message) || "If that address is registered, a sign-in link is on its way.");
      f.reset();
    });
  setView(el("section", { id: "login", class: "card" },
    el("h1", {}, "Sign in"),
    el("p", { class: "muted" },
      "Crew sign in with a link sent by e-mail. Enter the address your invitation went to."),
    form));
}

export async function signInWithCode(app, code) {
  const { api, session } = app;
  // Out of the address bar straight away; kept in this page only.
  history.replaceState(null, "", location.pathname + location.search + "#/");
  renderLoading("Checking your sign-in link…");
  let who;
  try {
    who = await api("POST", "/api/auth/peek", { code }, { auth: false });
  } catch (err) {
    session.token() ? app.route() : showLogin(app);
    fail(err);
    return;
  }
  let current = null;
  if (session.token()) {
    try {
      current = session.me || (await api("GET", "/api/me"));
    } catch (_) {
      current = null;
    }
  }
  setTitle(app.site, "Sign in");
  const replace = current && !sameEmail(current.email, who.email);
  setView(el("section", { id: "confirm-sign-in", class: "card" },
    el("h1", {}, "Sign in"),
    el("p", {}, "This link signs in ", el("strong", { id: "confirm-email" }, who.email), " as " + who.role + "."),
    replace ? el("p", { class: "warn", id: "confirm-replace" },
      "You are signed in as " + current.email + " on this device. Signing in replaces that session.") : null,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", id: "confirm-sign-in-button",
        onclick: () => exchangeCode(app, code) }, replace ? "Switch to " + who.email : "Sign in"),
      el("button", { type: "button", onclick: () => (session.token() ? app.route() : showLogin(app)) }, "Cancel"))));
}

async function exchangeCode(app, code) {
  const { api, session } = app;
  session.clear();
  app.renderWhoami();
  renderLoading("Signing you in…");
  try {
    const res = await api("POST", "/api/auth/exchange", { code });
    session.start(res.token, { email: res.email, role: res.role });
    app.renderWhoami();
  } catch (err) {
    showLogin(app);
    fail(err);
    return;
  }
  showNotice("Welcome aboard, " + session.me.email + ".");
  app.route();
}
