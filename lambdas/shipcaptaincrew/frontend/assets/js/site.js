// The site's public configuration (GET /api/config: brand, marina, time
// zone), read once per page and passed to the views that need it.

import { $ } from "./dom.js";
import { DEFAULT_TZ } from "./format.js";

export function defaultSite() {
  return { brand: "ShipCaptainCrew", marina: null, timezone: DEFAULT_TZ };
}

// Reads the configuration into `site` (kept as it is on failure) and shows
// the brand and marina in the page's frame.
export async function loadSite(api, site) {
  try {
    const cfg = await api("GET", "/api/config", undefined, { auth: false });
    if (cfg && typeof cfg === "object") Object.assign(site, cfg);
  } catch (err) {
    console.warn("config:", err.message);
  }
  $("#brand").textContent = site.brand || "ShipCaptainCrew";
  const marina = site.marina && site.marina.name;
  $("#marina").textContent = marina ? "Sailing from " + marina : "";
  return site;
}

export function setTitle(site, page) {
  document.title = page ? page + " · " + site.brand : site.brand;
}
