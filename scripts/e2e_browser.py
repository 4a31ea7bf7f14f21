#!/usr/bin/env python3
"""End-to-end browser check of the ShipCaptainCrew frontend against a local server.

The local server serves the static frontend at / and the API at /api/..., and
writes every e-mail it would send as DIR/<n>.json ({"to", "subject", "text",
"html"}). This script:

  1. creates a sail event and invites crew@example.com (API, admin token);
  2. reads the invitation e-mail from the outbox and takes its magic link;
  3. opens the link in headless Chromium (390x844, a phone) and waits until
     the page shows crew@example.com as signed in;
  4. opens the event page and compares the departure/sunset/return times on
     the page with the API's timing.local;
  5. claims the crew-1 slot in the page and checks it through the API;
  6. checks the page does not scroll sideways at 390 px; as an admin puts the
     member into a slot of a second sail; books a guest and signs the waiver
     from the guest's link;
  7. saves a screenshot if asked, and prints "e2e: ok".

Usage:
  python3 scripts/e2e_browser.py --base-url http://127.0.0.1:8080 \\
      --admin-token TOKEN --outbox /tmp/outbox [--screenshot shot.png]

Needs selenium (pip install selenium==4.50.0) and Debian's chromium and
chromium-driver packages (/usr/bin/chromium, /usr/bin/chromedriver). Both paths
are passed explicitly, so Selenium Manager never downloads anything.
Exit status: 0 ok, 1 a check failed, 2 a setup problem (missing tools).
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

CREW_EMAIL = "crew@example.com"
BOAT = "Queen of San Diego"
KIND = "sunset sail"
GUESTS = 6
WAIT_S = 10
PHONE_W, PHONE_H = 390, 844

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",  # the server is on 127.0.0.1; never go through a proxy
    f"--window-size={PHONE_W},{PHONE_H}",
]


class Failure(Exception):
    """A check failed; the message says what was expected and what was seen."""


def step(text):
    print(f"e2e: {text}", flush=True)


# --------------------------------------------------------------------------
# API over urllib (no proxies: the server is local)
# --------------------------------------------------------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api(base_url, method, path, token=None, body=None, expect=(200,)):
    """Calls the API and returns the decoded JSON; fails on another status."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base_url + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if method not in ("GET", "HEAD"):
        # The API behind CloudFront (and `serve --signed-origin`) needs the body's hash.
        req.add_header("x-amz-content-sha256", hashlib.sha256(data or b"").hexdigest())
    if token:
        req.add_header("X-Session-Token", token)
    try:
        with _OPENER.open(req, timeout=15) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, OSError) as err:
        raise Failure(f"{method} {path}: cannot reach {base_url}: {err}") from err
    text = raw.decode("utf-8", "replace")
    if status not in expect:
        raise Failure(f"{method} {path}: expected HTTP {'/'.join(map(str, expect))}, got {status}: {text[:500]}")
    try:
        return json.loads(text) if text else None
    except ValueError as err:
        raise Failure(f"{method} {path}: HTTP {status} but the body is not JSON: {text[:200]!r}") from err


def slot_holder(event, slot):
    for s in event.get("slots") or []:
        if s.get("slot") == slot:
            return s.get("holder")
    raise Failure(f"event {event.get('id')} has no slot {slot!r}; slots: {event.get('slots')}")


# --------------------------------------------------------------------------
# Outbox
# --------------------------------------------------------------------------


class EmulatorMail:
    """The mail SES accepted, read from the emulator (the deployed app sends
    through SES only): the same interface as an outbox folder."""

    def __init__(self, endpoint, region):
        self.url = f"{endpoint.rstrip('/')}/moto-api/bosun-rules/mail?region={region}"

    def messages(self):
        with _OPENER.open(self.url, timeout=15) as res:
            return json.loads(res.read())


def outbox_snapshot(outbox):
    """{file name: (mtime_ns, size)} of the JSON files in the outbox."""
    if isinstance(outbox, EmulatorMail):
        return {m["id"]: 1 for m in outbox.messages()}
    snap = {}
    if os.path.isdir(outbox):
        for name in os.listdir(outbox):
            if name.endswith(".json"):
                st = os.stat(os.path.join(outbox, name))
                snap[name] = (st.st_mtime_ns, st.st_size)
    return snap


def _order(name):
    stem = name[: -len(".json")]
    return (0, int(stem), "") if stem.isdigit() else (1, 0, stem)


def _addressed_to(mail, email):
    to = mail.get("to")
    if isinstance(to, str):
        to = [to]
    return any(email.lower() in str(addr).lower() for addr in to or [])


def wait_for_mail(outbox, email, before, timeout=WAIT_S):
    """Newest outbox mail to `email` that was not there (or changed) since `before`."""
    deadline = time.monotonic() + timeout
    while isinstance(outbox, EmulatorMail):
        for m in reversed(outbox.messages()):
            if m["id"] not in before and _addressed_to(m, email):
                return f"SES message {m['id']}", {"to": m["to"], "subject": m.get("subject"),
                                                  "text": m.get("body") or m.get("raw")}
        if time.monotonic() >= deadline:
            raise Failure(f"no new e-mail to {email} accepted by SES after {timeout} s")
        time.sleep(0.2)
    while True:
        now = outbox_snapshot(outbox)
        fresh = [n for n, sig in now.items() if before.get(n) != sig]
        for name in sorted(fresh, key=_order, reverse=True):
            path = os.path.join(outbox, name)
            try:
                with open(path, encoding="utf-8") as f:
                    mail = json.load(f)
            except (OSError, ValueError):
                continue  # still being written; look again on the next pass
            if isinstance(mail, dict) and _addressed_to(mail, email):
                return path, mail
        if time.monotonic() >= deadline:
            raise Failure(f"no new e-mail to {email} in {outbox} after {timeout} s "
                          f"({len(now)} file(s) there, {len(fresh)} new)")
        time.sleep(0.2)


MAGIC_LINK = re.compile(r"https?://[^\s\"'<>]+#/auth/[^\s\"'<>)\]]+")


def magic_link(mail):
    for part in ("text", "html"):
        found = MAGIC_LINK.search(str(mail.get(part) or ""))
        if found:
            return found.group(0).replace("&amp;", "&").rstrip(".,;:!?&")
    raise Failure("the invitation e-mail has no http…#/auth/… link; its text was:\n"
                  + str(mail.get("text"))[:1000])


# --------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------


def load_selenium():
    """Imports selenium lazily, so --help and the API helpers work without it."""
    try:
        from selenium import webdriver
    except ImportError:
        print("e2e: selenium is not installed; run: pip install selenium==4.50.0", file=sys.stderr)
        sys.exit(2)
    return webdriver


def start_browser(chromium, chromedriver, profile_dir):
    webdriver = load_selenium()
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for path, pkg in ((chromium, "chromium"), (chromedriver, "chromium-driver")):
        if not os.access(path, os.X_OK):
            print(f"e2e: {path} not found or not executable (apt-get install {pkg})", file=sys.stderr)
            sys.exit(2)
    os.environ.setdefault("SE_OFFLINE", "true")  # belt and braces: never let Selenium Manager fetch

    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    try:
        # Pin the viewport to exactly 390x844 whatever the window manager says.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE_W, "height": PHONE_H, "deviceScaleFactor": 1, "mobile": False,
        })
    except Exception as err:  # noqa: BLE001 - only a fallback to the window size
        step(f"note: could not pin the viewport via CDP ({err}); relying on --window-size")
    return driver


def wait_until(driver, what, predicate, timeout=WAIT_S):
    """Polls predicate(driver) until truthy; on timeout fails with `what` and page state."""
    from selenium.common.exceptions import (
        NoSuchElementException, StaleElementReferenceException, TimeoutException)
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(predicate)
    except TimeoutException:
        raise Failure(f"timed out after {timeout} s waiting for {what}; {page_state(driver)}") from None


def text_of(driver, css):
    """textContent of the first element matching css ('' if none)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;", css)


def page_state(driver):
    try:
        error = text_of(driver, "#error")
        hidden = driver.execute_script("const e = document.querySelector('#error'); return !e || e.hidden;")
        shown = f"error banner: {error!r}" if error and not hidden else "no error banner"
        return f"url={driver.current_url}, {shown}"
    except Exception as err:  # noqa: BLE001 - diagnostics only
        return f"(page state unavailable: {err})"


def dump_console(driver):
    try:
        for entry in driver.get_log("browser"):
            print(f"e2e: console {entry.get('level')}: {entry.get('message')}", file=sys.stderr)
    except Exception:  # noqa: BLE001 - not every driver keeps logs
        pass


def check_security_headers(base_url, csp, driver):
    """The page came with the Content-Security-Policy (and the other headers
    CloudFront's response headers policy sets), and the browser reported no
    violation of it while the test ran."""
    with _OPENER.open(urllib.request.Request(base_url + "/", method="GET"), timeout=15) as res:
        headers = {k.lower(): v for k, v in res.headers.items()}
    if headers.get("content-security-policy") != csp:
        raise Failure(f"the page's Content-Security-Policy is {headers.get('content-security-policy')!r}, not {csp!r}")
    for name in ("strict-transport-security", "x-content-type-options", "x-frame-options", "referrer-policy"):
        if name not in headers:
            raise Failure(f"the page was served without {name}")
    with _OPENER.open(urllib.request.Request(base_url + "/api/config", method="GET"), timeout=15) as res:
        api_headers = {k.lower(): v for k, v in res.headers.items()}
    for name in ("content-security-policy", "strict-transport-security", "x-content-type-options",
                 "x-frame-options", "referrer-policy"):
        if api_headers.get(name) != headers.get(name):
            raise Failure(f"the API answered with {name} = {api_headers.get(name)!r}, the page with {headers.get(name)!r}")
    try:
        logs = driver.get_log("browser")
    except Exception:  # noqa: BLE001 - a driver without logs cannot show violations
        logs = []
    violations = [e.get("message", "") for e in logs if "Content Security Policy" in e.get("message", "")]
    if violations:
        raise Failure("the page broke its Content-Security-Policy: " + "; ".join(violations[:3]))
    step("7. page and API served with the security headers; no Content-Security-Policy violation")


def check_no_sideways_scroll(driver, where):
    scroll_w, inner_w = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];")
    if inner_w != PHONE_W:
        step(f"note: window.innerWidth is {inner_w}, not {PHONE_W}")
    if scroll_w > inner_w:
        wide = driver.execute_script("""
            const w = window.innerWidth, out = [];
            for (const e of document.querySelectorAll('body *')) {
              const r = e.getBoundingClientRect();
              if (r.right > w + 0.5) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
                ' right=' + Math.round(r.right));
              if (out.length >= 5) break;
            }
            return out;""")
        raise Failure(f"{where}: page scrolls sideways at {inner_w} px "
                      f"(scrollWidth {scroll_w}); widest elements: {wide}")
    step(f"{where}: no sideways scroll (scrollWidth {scroll_w} <= innerWidth {inner_w})")


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


def sign_in_by_mail(base, outbox, email):
    """A session token for `email` the way a member gets one: ask for a
    link, read it from the mail, exchange its code."""
    before = outbox_snapshot(outbox)
    api(base, "POST", "/api/auth/request", None, {"email": email}, expect=(200, 202))
    _, mail = wait_for_mail(outbox, email, before)
    code = magic_link(mail).split("#/auth/", 1)[1]
    answer = api(base, "POST", "/api/auth/exchange", None, {"code": code})
    if not isinstance(answer, dict) or not answer.get("token"):
        raise Failure(f"POST /api/auth/exchange answered without a token: {answer}")
    return answer["token"]


def check_api_refuses_bearer(base, token):
    """A session sent as `Authorization: Bearer` is not one: behind
    CloudFront that header is the origin access control's signature."""
    req = urllib.request.Request(base + "/api/me", method="GET")
    req.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(req, timeout=15) as res:
            status = res.status
    except urllib.error.HTTPError as err:
        status = err.code
    if status != 401:
        raise Failure(f"GET /api/me with the session only in Authorization answered {status}, not 401")


def run(args, state):
    base = args.base_url.rstrip("/")
    if args.mail_endpoint:
        args.outbox = EmulatorMail(args.mail_endpoint, args.region)
    if not args.admin_token:
        step(f"0. signing in as {args.admin_email} from the mailed link (API)")
        args.admin_token = sign_in_by_mail(base, args.outbox, args.admin_email)
        check_api_refuses_bearer(base, args.admin_token)
        step("   signed in; the same session sent as Authorization: Bearer is refused (401)")

    # 1. Event and invitation through the API.
    date = f"{datetime.date.today().year + 1}-07-04"
    step(f"1. creating a {KIND} on {date} and inviting {CREW_EMAIL}")
    event = api(base, "POST", "/api/events", args.admin_token,
                {"date": date, "boat": BOAT, "kind": KIND, "guests": GUESTS}, expect=(201,))
    if not isinstance(event, dict) or "id" not in event:
        raise Failure(f"POST /api/events answered without an id: {event}")
    event_id = str(event["id"])
    event_path = "/api/events/" + urllib.parse.quote(event_id, safe="")
    before = outbox_snapshot(args.outbox)
    api(base, "POST", "/api/invites", args.admin_token, {"email": CREW_EMAIL, "role": "crew"}, expect=(202,))
    event = api(base, "GET", event_path, args.admin_token)
    local = (event.get("timing") or {}).get("local") or {}
    for key in ("departure", "sunset", "return"):
        if not re.fullmatch(r"\d{2}:\d{2}", str(local.get(key, ""))):
            raise Failure(f"event {event_id}: timing.local.{key} is {local.get(key)!r}, not HH:MM")
    if slot_holder(event, "crew-1") is not None:
        raise Failure(f"the new event's crew-1 is already held by {slot_holder(event, 'crew-1')}")
    step(f"   event {event_id}: departure {local['departure']}, sunset {local['sunset']}, "
         f"return {local['return']} ({event['timing'].get('timezone')})")

    # 2. The magic link from the outbox.
    path, mail = wait_for_mail(args.outbox, CREW_EMAIL, before)
    link = magic_link(mail)
    step(f"2. magic link from {os.path.basename(path)} ({mail.get('subject')!r}): {link.split('#')[0]}#/auth/…")
    if not link.startswith(base + "/"):
        fragment = link[link.index("#"):]
        step(f"   note: the link points at {link.split('#')[0]}, not {base}/; opening {base}/{fragment[:8]}… instead")
        link = f"{base}/{fragment}"

    # 3. Sign in by opening the link.
    step("3. opening the magic link in Chromium (390x844)")
    state["profile"] = tempfile.mkdtemp(prefix="scc-e2e-chromium-")
    driver = state["driver"] = start_browser(args.chromium, args.chromedriver, state["profile"])
    driver.get(link)
    # Opening the link signs nobody in: the page names the address and waits for a click.
    from selenium.webdriver.common.by import By as _By

    confirm = wait_until(driver, "the confirm-sign-in button",
                         lambda d: d.find_element(_By.CSS_SELECTOR, "#confirm-sign-in-button"))
    shown = text_of(driver, "#confirm-email")
    if shown != CREW_EMAIL:
        raise Failure(f"the confirm page names {shown!r}, not {CREW_EMAIL}")
    if driver.execute_script("return sessionStorage.getItem('scc.token');"):
        raise Failure("opening the link signed in before the click")
    step(f"   the page asks first: sign in as {shown}?")
    confirm.click()
    wait_until(driver, f"#whoami to show {CREW_EMAIL}",
               lambda d: CREW_EMAIL in (text_of(d, "#whoami") or ""))
    step(f"   signed in: #whoami = {text_of(driver, '#whoami')!r}")
    url = driver.current_url
    if "#/auth/" in url:
        raise Failure(f"the sign-in code is still in the address bar: {url}")
    if not driver.execute_script("return sessionStorage.getItem('scc.token');"):
        raise Failure("no token in sessionStorage['scc.token'] after signing in")
    wait_until(driver, f"event {event_id} in the events list",
               lambda d: d.execute_script(
                   "return [...document.querySelectorAll('.event')].some(e => e.dataset.event === arguments[0]);",
                   event_id))
    check_no_sideways_scroll(driver, "events list")

    # 4. The event page shows the API's local times.
    step(f"4. opening #/events/{event_id}")
    driver.execute_script("location.hash = arguments[0];", "#/events/" + urllib.parse.quote(event_id, safe=""))
    wait_until(driver, "the timing panel (#timing-departure)",
               lambda d: re.fullmatch(r"\d{2}:\d{2}", text_of(d, "#timing-departure") or ""))
    for key in ("departure", "sunset", "return"):
        shown = text_of(driver, f"#timing-{key}")
        if shown != local[key]:
            raise Failure(f"#timing-{key} reads {shown!r}, the API's timing.local.{key} is {local[key]!r}")
    zone = text_of(driver, "#timing") or ""
    tz = event["timing"].get("timezone")
    if tz and tz not in zone:
        raise Failure(f"the timing panel does not name the time zone {tz}: {zone!r}")
    step(f"   times match: departure {local['departure']}, sunset {local['sunset']}, return {local['return']}")

    # 5. Claim crew-1 in the page; check it in the page and through the API.
    step("5. claiming crew-1")
    slot_css = '.slot[data-slot="crew-1"]'
    holder_before = text_of(driver, f"{slot_css} .holder")
    if holder_before != "open":
        raise Failure(f"crew-1 should read 'open' before claiming, reads {holder_before!r}")
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.common.by import By

    button = wait_until(driver, f"{slot_css} button.claim",
                        lambda d: d.find_element(By.CSS_SELECTOR, f"{slot_css} button.claim"))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    try:
        button.click()
    except ElementClickInterceptedException as err:
        raise Failure(f"the crew-1 claim button is covered by another element: {err.msg}") from None
    wait_until(driver, f"crew-1's holder to read {CREW_EMAIL}",
               lambda d: text_of(d, f"{slot_css} .holder") == CREW_EMAIL)
    if not driver.find_elements(By.CSS_SELECTOR, f"{slot_css} button.release"):
        raise Failure("crew-1 is mine now but shows no button.release")
    holder = slot_holder(api(base, "GET", event_path, args.admin_token), "crew-1")
    if holder != CREW_EMAIL:
        raise Failure(f"the page says crew-1 is {CREW_EMAIL}, the API says {holder!r}")
    step(f"   crew-1 held by {holder} (page and API agree)")

    # 6. Phone width: nothing wider than the screen.
    step("6. checking the layout at 390 px")
    check_no_sideways_scroll(driver, "event page")

    # 6b. Crew management: the roster and an assignment, as an admin; then
    # the member sees the slot they were put into.
    step("6b. roster and assignment as an admin")
    second = api(base, "POST", "/api/events", args.admin_token,
                 {"date": f"{datetime.date.today().year + 1}-07-05", "boat": BOAT, "kind": KIND, "guests": GUESTS},
                 expect=(201,))
    second_id = str(second["id"])
    crew_token = driver.execute_script("return sessionStorage.getItem('scc.token');")
    driver.execute_script(
        "sessionStorage.setItem('scc.token', arguments[0]); location.hash = '#/crew'; location.reload();",
        args.admin_token)
    member_css = f'.member[data-email="{CREW_EMAIL}"]'
    wait_until(driver, f"{CREW_EMAIL} in the roster",
               lambda d: d.find_elements(By.CSS_SELECTOR, member_css))
    slots_text = text_of(driver, f"{member_css} .member-slots") or ""
    if "Crew 1" not in slots_text and "crew-1" not in slots_text.lower():
        raise Failure(f"the roster does not show {CREW_EMAIL}'s upcoming crew-1 slot: {slots_text!r}")
    check_no_sideways_scroll(driver, "roster")
    driver.execute_script("location.hash = arguments[0];", "#/events/" + urllib.parse.quote(second_id, safe=""))
    assign_css = '.slot[data-slot="crew-1"] form.assign'
    field_el = wait_until(driver, "the crew-1 assign form",
                          lambda d: d.find_element(By.CSS_SELECTOR, f"{assign_css} input[name=email]"))
    field_el.send_keys(CREW_EMAIL)
    driver.find_element(By.CSS_SELECTOR, f"{assign_css} button[type=submit]").click()
    wait_until(driver, f"crew-1 of the second sail to read {CREW_EMAIL}",
               lambda d: text_of(d, '.slot[data-slot="crew-1"] .holder') == CREW_EMAIL)
    step(f"   put {CREW_EMAIL} into crew-1 of {second_id} from the page")
    driver.execute_script(
        "sessionStorage.setItem('scc.token', arguments[0]); location.reload();", crew_token)
    wait_until(driver, "the member to see crew-1 as theirs",
               lambda d: d.find_elements(By.CSS_SELECTOR, '.slot[data-slot="crew-1"].is-mine'))
    step("   the member sees the slot as theirs")

    # 6c. A guest: booked by the admin, the waiver signed from the guest's
    # link in the page (the guest's own token, in X-Guest-Token).
    step("6c. booking a guest and signing the waiver from the guest link")
    booked = api(base, "POST", event_path + "/guests", args.admin_token,
                 {"name": "Pat Guest", "email": "pat.guest@example.com"}, expect=(201,))
    link = str(booked.get("waiver_url") or "")
    if "#" not in link:
        raise Failure(f"the booking answered without a waiver link: {booked}")
    page, fragment = link.split("#", 1)
    link = f"{base}/{page.rsplit('/', 1)[-1]}#{fragment}"
    driver.get(link)
    name_el = wait_until(driver, "the waiver form (#signed-name)",
                         lambda d: d.find_element(By.CSS_SELECTOR, "#signed-name"))
    name_el.send_keys("Pat Guest")
    driver.find_element(By.CSS_SELECTOR, "#accept").click()
    driver.find_element(By.CSS_SELECTOR, "#sign").click()
    wait_until(driver, "the booking to read confirmed",
               lambda d: (text_of(d, "#guest-state") or "").lower() == "confirmed")
    guests = api(base, "GET", event_path, args.admin_token).get("guests_list") or []
    states = {g.get("name"): g.get("state") for g in guests}
    if states.get("Pat Guest") != "confirmed":
        raise Failure(f"the page says the waiver is signed; the API's guests say {states}")
    step("   the guest signed the waiver; the booking is confirmed (page and API agree)")

    # 7. Served with the deployed security headers, and nothing broke them.
    if args.csp:
        check_security_headers(base, args.csp, driver)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8080")
    parser.add_argument("--admin-token", help="a session token with the admin role")
    parser.add_argument("--admin-email", help="without --admin-token: sign in as this admin from the mailed link")
    mail = parser.add_mutually_exclusive_group(required=True)
    mail.add_argument("--outbox", help="folder the local server writes e-mails to")
    mail.add_argument("--mail-endpoint", help="the emulator: read the mail SES accepted there")
    parser.add_argument("--region", default="us-west-2", help="with --mail-endpoint: SES's region")
    parser.add_argument("--screenshot", help="save a PNG of the page here at the end")
    parser.add_argument("--csp", help="the Content-Security-Policy the page must be served with and work under")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    if not args.admin_token and not args.admin_email:
        parser.error("give --admin-token or --admin-email")

    state = {"driver": None, "profile": None}
    ok = False
    try:
        run(args, state)
        ok = True
    except Failure as err:
        print(f"e2e: FAIL: {err}", file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - e.g. a WebDriverException: report, don't trace
        print(f"e2e: FAIL: {type(err).__name__}: {err}", file=sys.stderr)
    finally:
        driver = state["driver"]
        if driver is not None:
            if not ok:
                dump_console(driver)
            if args.screenshot:
                try:
                    os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
                    driver.execute_script("window.scrollTo(0, 0);")
                    if driver.save_screenshot(args.screenshot):
                        step(f"8. screenshot saved to {args.screenshot}")
                    else:
                        print(f"e2e: could not save the screenshot to {args.screenshot}", file=sys.stderr)
                except Exception as err:  # noqa: BLE001
                    print(f"e2e: could not save the screenshot: {err}", file=sys.stderr)
            try:
                driver.quit()
            except Exception:  # noqa: BLE001
                pass
        if state["profile"]:
            shutil.rmtree(state["profile"], ignore_errors=True)
    if not ok:
        sys.exit(1)
    print("e2e: ok", flush=True)


if __name__ == "__main__":
    main()
