// ShipCaptainCrew's crew app (index.html), an ES module: no bundler, no
// build step. It makes the app's context — the API client, the session, the
// site's configuration, navigation — and passes it to each view (js/views/,
// one module per view); no view keeps state another reads. The guest's
// waiver page is guest.js.

import { createApi } from "./js/api.js";
import { $, el, fail, hideError, hideNotice, renderLoading, setView, wireBanners } from "./js/dom.js";
import { createSession } from "./js/session.js";
import { defaultSite, loadSite } from "./js/site.js";
import { showEvent } from "./js/views/event.js";
import { showEvents } from "./js/views/events.js";
import { showRoster } from "./js/views/roster.js";
import { showLogin, signInWithCode } from "./js/views/signin.js";

const CONFIG = window.SCC_CONFIG || {};

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

// The context every view gets. `seq` bumps on every navigation; a view
// drops a response whose navigation is no longer current.
function createApp() {
  let seq = 0;
  const session = createSession();
  const app = {
    session,
    site: defaultSite(),
    api: createApi({
      base: CONFIG.api,
      token: () => session.token(),
      onUnauthorized: () => {
        session.clear();
        showLogin(app);
      },
    }),
    current: (s) => s === seq,
    renderWhoami() {
      const me = session.me;
      const who = $("#whoami");
      who.textContent = me ? me.email + " · " + me.role : "";
      who.hidden = !me;
      $("#signout").hidden = !me;
    },
    loadFailed(err) {
      fail(err);
      setView(el("section", { class: "card empty" },
        el("p", {}, "This page could not be loaded."),
        el("button", { type: "button", class: "primary", onclick: () => app.route() }, "Try again")));
    },
    async route() {
      const mine = ++seq;
      const target = parseRoute(location.hash);
      if (target.name === "auth") return signInWithCode(app, target.code);
      if (!session.token()) return showLogin(app);
      if (!session.me) {
        renderLoading();
        try {
          session.me = await app.api("GET", "/api/me");
        } catch (err) {
          if (mine === seq && session.token()) app.loadFailed(err);
          else if (mine === seq) fail(err);
          return;
        }
        app.renderWhoami();
        if (mine !== seq) return;
      }
      window.scrollTo(0, 0);
      if (target.name === "event") return showEvent(app, target.id, mine);
      if (target.name === "crew" && session.isAdmin()) return showRoster(app, mine);
      return showEvents(app, mine);
    },
  };
  return app;
}

const app = createApp();
wireBanners();
$("#signout").addEventListener("click", () => {
  app.session.clear();
  app.renderWhoami();
  hideError();
  hideNotice();
  history.replaceState(null, "", location.pathname + location.search + "#/");
  app.route();
});
window.addEventListener("hashchange", () => {
  hideError();
  app.route();
});
loadSite(app.api, app.site);
app.route();
