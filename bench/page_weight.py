"""Page weight: the bytes a browser transfers for each page, on a first visit and on a repeat visit.

    .venv/bin/python bench/page_weight.py [--languages en,ru,kk,ur] [--roles visitor,member,staff,admin]

The budget (issue 12, "Page weight and caching"): a first visit to any page at most 100 KB, a repeat
visit at most 20 KB. Why a script rather than a test: the figures move with every template, string and
translation, so they are printed for a person to read (and kept in docs/operations.md), with PASS/FAIL.

What it does: a fresh database (SQLite, or next to PORTAL_TEST_DATABASE_URL), the models' schema,
`flask seed-demo`, `flask search rebuild`, then gunicorn in production mode (PORTAL_ENV=production, over
plain HTTP on the loopback, as tests/functional/test_nginx.py runs it) straight from the portal, so
static files are served, cached and compressed by the portal itself (portal/static_files.py; nginx does
the same from disk). Debian's chromium (through Playwright, never `playwright install`) logs each role
in through the real form and picks each language with the footer's language form; then every page is
opened in a new browser context that has those cookies and an empty cache, and opened again.

What it counts, from the DevTools protocol (Network.loadingFinished's encodedDataLength: headers and
body as they came over the wire, compressed as served to chromium's Accept-Encoding):
- first visit: the page and everything it loads (CSS, JS, fonts, images, the favicon);
- repeat visit: what the browser fetched the second time (the page; fingerprinted assets come from its
  cache), plus, as if their short max-age had run out, every asset of the first visit whose
  Cache-Control promises less than a year.
"""

import argparse
import re
import sys
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.liveserver import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    build_schema,
    flask,
    fresh_database,
    gunicorn,
    server_env,
)

FIRST_BUDGET = 100 * 1024
REPEAT_BUDGET = 20 * 1024
YEAR = 365 * 24 * 3600
LANGUAGES = ("en", "ru", "kk", "ur")
LISTING = "{listing}"  # the first live listing of /listings/, found at run time
PAGES = {
    "visitor": ["/", "/listings/", "/search?q=wet+blue", "/companies/", LISTING, "/auth/login", "/auth/register"],
    "member": ["/dashboard", LISTING],
    "staff": ["/staff/verification", "/staff/listings/"],
    "admin": ["/admin/"],
}
KINDS = {"Document": "html", "Stylesheet": "css", "Script": "js", "Font": "font", "Image": "img"}
BOOTSTRAP_JS = "/static/vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js"


def accounts(seed_output: str) -> dict[str, str]:
    """One demo login per role, from what `flask seed-demo` printed ("  email   who")."""
    found = {}
    for email, who in re.findall(r"^\s+(\S+@\S+)\s+(.+)$", seed_output, flags=re.MULTILINE):
        role = "admin" if who.strip() == "admin" else "staff" if who.startswith("staff") else "member"
        found.setdefault(role, email)
    return found


def max_age(cache_control: str) -> int:
    found = re.search(r"max-age=(\d+)", cache_control or "")
    return int(found.group(1)) if found and "no-store" not in cache_control else 0


class Visit:
    """What one page load transferred, request by request (DevTools protocol events of one page)."""

    def __init__(self, cdp):
        self.responses, self.sizes = {}, {}
        cdp.on("Network.responseReceived", lambda e: self.responses.__setitem__(e["requestId"], e))
        cdp.on("Network.loadingFinished", lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def reset(self):
        self.responses.clear()
        self.sizes.clear()

    def rows(self):
        """(url, kind, bytes, max-age) for every finished request."""
        for request_id, size in self.sizes.items():
            event = self.responses.get(request_id)
            if event is None or not event["response"]["url"].startswith("http"):
                continue  # data: URLs (Bootstrap's inline SVG icons) never touch the network
            response = event["response"]
            headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
            kind = KINDS.get(event.get("type"), "other")
            yield response["url"], kind, int(size), max_age(headers.get("cache-control", ""))


def measure(browser, base_url, state, path):
    """(first visit bytes by kind, repeat visit bytes, short-cached assets, the first visit's rows)."""
    context = browser.new_context(base_url=base_url, storage_state=state, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        visit = Visit(cdp)
        response = page.goto(path, wait_until="networkidle")
        if response is None or response.status != 200:
            raise RuntimeError(f"{path} answered {response and response.status}")
        first = list(visit.rows())
        visit.reset()
        page.goto(path, wait_until="networkidle")
        repeat = list(visit.rows())
        fetched_again = {url for url, *_ in repeat}
        short = [(url, size) for url, kind, size, age in first if kind != "html" and age < YEAR]
        repeat_bytes = sum(size for _, _, size, _ in repeat) + sum(s for u, s in short if u not in fetched_again)
        by_kind = Counter()
        for _, kind, size, _ in first:
            by_kind[kind] += size
        return by_kind, repeat_bytes, short, first
    finally:
        context.close()


def log_in(browser, base_url, email, language):
    """A context's cookies after logging in (unless email is None) and choosing the language."""
    context = browser.new_context(base_url=base_url, locale="en-GB")
    try:
        page = context.new_page()
        if email:
            page.goto("/auth/login")
            page.get_by_label("Email", exact=True).fill(email)
            page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_load_state()
            if "/auth/login" in page.url:
                raise RuntimeError(f"could not log in as {email}")
        else:
            page.goto("/")
        page.select_option("#footer-language", language)
        page.locator("form:has(#footer-language) button[type=submit]").click()
        page.wait_for_load_state()
        if page.locator("html").get_attribute("lang") != language:
            raise RuntimeError(f"the language switch to {language} did not take")
        return context.storage_state()
    finally:
        context.close()


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--roles", default=",".join(PAGES))
    args = parser.parse_args()
    languages, roles = args.languages.split(","), args.roles.split(",")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lb-weight-") as tmp_name, fresh_database(Path(tmp_name)) as db_url:
        tmp = Path(tmp_name)
        env = server_env(
            db_url,
            tmp,
            TRUSTED_HOSTS="127.0.0.1",
            FORCE_HTTPS="false",  # plain HTTP on the loopback: no redirect to HTTPS, no Secure cookies
            COOKIE_SECURE="false",
            RATELIMIT_ENABLED="false",
            PUBLIC_URL="http://127.0.0.1",  # links in mail only; none is sent
        )
        env["PORTAL_ENV"] = "production"
        build_schema(env, migrations=False)
        logins = accounts(flask(env, "seed-demo"))
        flask(env, "search", "rebuild", "--quiet")
        with gunicorn(env, tmp / "gunicorn.log", workers=2, timeout=60) as base_url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            rows, short_cached, bootstrap_js = [], set(), set()
            for language in languages:
                for role in roles:
                    state = log_in(browser, base_url, logins.get(role) if role != "visitor" else None, language)
                    for path in PAGES[role]:
                        if path == LISTING:
                            path = listing_path(browser, base_url, state)
                        by_kind, repeat, short, first = measure(browser, base_url, state, path)
                        short_cached.update(url.removeprefix(base_url) for url, _ in short)
                        bootstrap_js.update(size for url, _, size, _ in first if BOOTSTRAP_JS in url)
                        rows.append((role, path, language, by_kind, repeat))
                        print(".", end="", flush=True, file=sys.stderr)
            browser.close()
            bundle = {encoding: served_size(base_url + BOOTSTRAP_JS, encoding) for encoding in ("br", "gzip", "")}
        print(file=sys.stderr)
        report(rows, short_cached, bootstrap_js, bundle)


def listing_path(browser, base_url, state):
    context = browser.new_context(base_url=base_url, storage_state=state)
    try:
        page = context.new_page()
        page.goto("/listings/")
        href = page.locator("a[href^='/listings/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href')).find(h => /^\\/listings\\/\\d+$/.test(h))"
        )
        if not href:
            raise RuntimeError("no listing link on /listings/")
        return href
    finally:
        context.close()


def served_size(url, encoding):
    """The body's bytes as the portal sends them with this Accept-Encoding."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=20) as response:
        return len(response.read())


def report(rows, short_cached, bootstrap_js, bundle):
    header = f"{'role':<8} {'page':<22} {'lang':<4} {'first KB':>8} {'html':>6} {'css':>6} {'js':>6} {'other':>6}"
    header += f" {'':<4} {'repeat KB':>9} {'':<4}"
    print(f"Budget: first visit <= {kb(FIRST_BUDGET)} KB, repeat visit <= {kb(REPEAT_BUDGET)} KB (transferred)")
    print(header)
    print("-" * len(header))
    failed = 0
    for role, path, language, by_kind, repeat in rows:
        first = sum(by_kind.values())
        other = first - by_kind["html"] - by_kind["css"] - by_kind["js"]
        first_ok, repeat_ok = first <= FIRST_BUDGET, repeat <= REPEAT_BUDGET
        failed += (not first_ok) + (not repeat_ok)
        print(
            f"{role:<8} {path[:22]:<22} {language:<4} {kb(first):>8} {kb(by_kind['html']):>6} {kb(by_kind['css']):>6}"
            f" {kb(by_kind['js']):>6} {kb(other):>6} {'PASS' if first_ok else 'FAIL':<4}"
            f" {kb(repeat):>9} {'PASS' if repeat_ok else 'FAIL':<4}"
        )
    print("-" * len(header))
    loaded = (
        f"loaded by these pages: {', '.join(kb(s) for s in sorted(bootstrap_js))} KB"
        if bootstrap_js
        else "no page loads it"
    )
    print(
        f"Bootstrap's JS bundle: {kb(bundle['br'])} KB brotli, {kb(bundle['gzip'])} KB gzip, {kb(bundle[''])} KB plain; "
        + loaded
    )
    if short_cached:
        print("Assets without a year's cache (counted again on the repeat visit):", ", ".join(sorted(short_cached)))
    print(f"{len(rows)} page loads, {failed} over budget: {'FAIL' if failed else 'PASS'}")
    return failed


if __name__ == "__main__":
    main()
