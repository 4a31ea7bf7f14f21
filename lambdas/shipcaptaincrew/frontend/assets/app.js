// Asks the API's health route and shows the answer. The API base URL comes
// from the page's <meta name="api"> when set, else the same origin.
(function () {
  const meta = document.querySelector('meta[name="api"]');
  const base = meta ? meta.content.replace(/\/$/, "") : "";
  const el = document.getElementById("status");
  fetch(base + "/health")
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then((body) => { el.textContent = body.ok ? "ok (" + body.service + " " + body.version + ")" : "not ok"; })
    .catch((err) => { el.textContent = "unreachable: " + err.message; });
})();
