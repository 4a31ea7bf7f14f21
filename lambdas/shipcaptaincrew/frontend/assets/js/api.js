// The API client. Each page makes its own (`createApi`), handing it how to
// find the session token and what to do on a 401: nothing here is shared
// state.

import { capitalize } from "./format.js";

export class ApiError extends Error {
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

// createApi({ base, token, onUnauthorized }) → api("POST", "/api/events",
// { … }, options) → the parsed JSON body, or throws ApiError.
// `token()` gives the session token (or null); options.auth = false leaves
// it out; options.headers adds headers.
export function createApi({ base, token, onUnauthorized }) {
  const root = String(base || "").replace(/\/+$/, "");
  return async function api(method, path, body, options) {
    const opts = options || {};
    const headers = { Accept: "application/json" };
    const session = opts.auth === false || !token ? null : token();
    // Not Authorization: CloudFront's origin access control overwrites it
    // with its own signature on the way to the function URL.
    if (session) headers["X-Session-Token"] = session;
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
      res = await fetch(root + path, { method, headers, body: text });
    } catch (_) {
      throw new ApiError(0, "network", "Can't reach the server. Check your connection and try again.");
    }

    const data = await readJson(res);
    if (res.ok) return data;
    const err = apiError(res, data);
    if (res.status === 401 && session && onUnauthorized) onUnauthorized(err);
    throw err;
  };
}

// 16 random bytes as hex, from the browser's CSPRNG.
export function randomKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function enc(part) {
  return encodeURIComponent(String(part));
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
