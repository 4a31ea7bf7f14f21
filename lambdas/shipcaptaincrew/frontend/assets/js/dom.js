// DOM helpers and the two banners (#error stays until dismissed or the next
// action; #notice fades). Data only ever reaches the page through
// textContent and attribute values, never HTML.

const NOTICE_MS = 6000;

export function $(selector, root) {
  return (root || document).querySelector(selector);
}

// el("li", { class: "slot", dataset: { slot: "crew-1" } }, "text", child…)
// Strings become text nodes; null/undefined/false children are skipped.
export function el(tag, attrs, ...children) {
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
export function setView(...children) {
  $("#view").replaceChildren(...children.filter(Boolean));
}

export function renderLoading(text) {
  setView(el("p", { class: "loading" }, text || "Loading…"));
}

let noticeTimer = null;

export function showError(message) {
  $("#error-text").textContent = message;
  $("#error").hidden = false;
  hideNotice();
}

export function hideError() {
  $("#error").hidden = true;
  $("#error-text").textContent = "";
}

export function showNotice(message) {
  $("#notice-text").textContent = message;
  $("#notice").hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(hideNotice, NOTICE_MS);
}

export function hideNotice() {
  clearTimeout(noticeTimer);
  $("#notice").hidden = true;
}

export function wireBanners() {
  $("#error .banner-close").addEventListener("click", hideError);
  $("#notice .banner-close").addEventListener("click", hideNotice);
}

// Shows any error to the user; only ever the human message, never JSON.
export function fail(err) {
  if (err && err.name === "ApiError") showError(err.message);
  else {
    console.error(err);
    showError("Something went wrong. Please reload the page and try again.");
  }
}

// Calls fn with the button disabled; errors go to the #error banner.
export async function withBusy(button, fn) {
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
export function onSubmit(form, handler) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = {};
    for (const [key, value] of new FormData(form)) values[key] = String(value).trim();
    withBusy(form.querySelector('button[type="submit"]'), () => handler(values, form));
  });
  return form;
}

export function field(label, input, hint) {
  return el("label", { class: "field" },
    el("span", { class: "field-label" }, label),
    input,
    hint ? el("span", { class: "field-hint" }, hint) : null);
}

export function badge(text, kind) {
  return el("span", { class: "badge badge-" + String(kind || text).replace(/[^a-z0-9_-]/gi, "") }, text);
}
