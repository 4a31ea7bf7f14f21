// The crew roster (admins): each member's role, last sign-in and upcoming
// slots; role changes, removal, sign-out everywhere; inviting crew.

import { enc } from "../api.js";
import { badge, el, fail, field, onSubmit, renderLoading, setView, showNotice, withBusy } from "../dom.js";
import { capitalize, formatDate, slotName } from "../format.js";
import { setTitle } from "../site.js";

export async function showRoster(app, seq) {
  setTitle(app.site, "Crew");
  renderLoading("Loading the crew…");
  let data;
  try {
    data = await app.api("GET", "/api/members");
  } catch (err) {
    if (app.current(seq)) app.loadFailed(err);
    return;
  }
  if (!app.current(seq)) return;
  const members = (data && data.members) || [];
  setView(
    el("a", { class: "back", href: "#/" }, "‹ All sails"),
    el("section", { class: "card", id: "roster", "aria-labelledby": "roster-title" },
      el("h1", { id: "roster-title" }, "Crew"),
      el("ul", { class: "members" }, members.map((m) => memberItem(app, m)))),
    inviteForm(app));
}

function memberItem(app, m) {
  const { api } = app;
  const configured = Boolean(m.configured);
  const role = el("select", { name: "role", disabled: configured, "aria-label": "Role of " + m.email },
    ["crew", "captain", "admin"].map((r) => el("option", { value: r, selected: r === m.role }, capitalize(r))));
  role.addEventListener("change", async (e) => {
    const select = e.currentTarget;
    try {
      const res = await api("PATCH", "/api/members/" + enc(m.email), { role: select.value });
      const freed = (res.released || []).length;
      showNotice(m.email + " is now " + res.role + (freed ? "; " + freed + " slot(s) they no longer fit were released." : "."));
      app.route();
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
          app.route();
        });
      } }, "Remove")));
}

export function inviteForm(app) {
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
    const res = await app.api("POST", "/api/invites", { email: values.email, role: values.role });
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
