"""The accessibility walk: axe-core finds nothing and no page scrolls sideways, for four journeys in four
languages, at a phone's and a laptop's width (390 and 1280 px: axe, the overflow check and a screenshot),
and at 1024 and 1366 px (the overflow check alone: 1366 has the same Bootstrap layout as 1280, xl, with
more room, so axe there found what it found at 1280; the full walk at three widths took a third longer).

Each journey has its own test module, test_accessibility_<journey>.py: the suite's workers take a test
file each (--dist loadfile), and the walk in one file took five minutes on one worker while the other had
finished. Every page is also saved as a full-page screenshot (JPEG) under test-artifacts/screenshots/ (not
committed), so a person can look at what the checks passed."""

import base64
import os
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ARTIFACTS
from .liveserver import DEMO_PASSWORD, choose_language

# Every test module of the walk: `pytestmark = accessibility.MARKS`.
MARKS = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(os.environ.get("PORTAL_TEST_DATABASE_URL")),
        reason="accessibility and layout do not depend on the database engine: run on the SQLite leg only",
    ),
]

AXE = Path(__file__).with_name("vendor") / "axe-core-4.14.1" / "axe.min.js"
SCREENSHOTS = ARTIFACTS / "screenshots"
LANGUAGES = ("en", "ru", "kk", "ur")
WIDTHS = {390: 844, 1280: 800}  # a phone, a small laptop: the full walk
LIGHT_WIDTHS = (1024, 1366)  # an older laptop (the menu folds), the most common office screen: overflow only
ACCOUNTS = {
    "visitor": None,
    "member": "owner@korangi-tanners.example",
    "staff": "staff@pta.example",
    "admin": "admin@leather-bridge.example",
}
INFO_PAGES = ("about", "contact", "privacy", "terms")

# Known problems still to fix, so that the suite passes now and any NEW one fails. Empty them as they are fixed.
# rule id -> (why it is still there, the "journey/page" keys where it is expected; "*" for every page)
EXPECTED_VIOLATIONS: dict[str, tuple[str, set[str]]] = {}
# the start of what sticks out ("tag.class", as the report prints it) -> (why it is still there, "journey/page" keys);
# a page is wider than its window as expected only when everything sticking out is listed here for that page
EXPECTED_OVERFLOW: dict[str, tuple[str, set[str]]] = {}

# Each violation: rule id, impact, and per node a selector, its html and (for contrast) the colours axe measured.
RUN_AXE = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, nodes: v.nodes.map(n => {
    const d = (n.any[0] || n.all[0] || n.none[0] || {}).data || {};
    const colours = d.contrastRatio ? `${d.fgColor} on ${d.bgColor} = ${d.contrastRatio}:1` : '';
    return {target: n.target.join(' '), html: n.html, detail: colours};
  })})))"""
# The page's width, the window's, and the elements that stick out of the window while their parent does not (where
# the fix goes), as "tag.class" plus the start of their text; what a scroll box (.table-responsive) holds is left out.
OVERFLOW = r"""() => {
  const width = window.innerWidth;
  const out = (el) => {
    if (!el.checkVisibility({visibilityProperty: true})) return false;  // e.g. inside a closed <details>
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > width + 1 || r.left < -1);
  };
  const scrolled = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const culprits = [...document.body.querySelectorAll('*')]
    .filter(el => out(el) && !out(el.parentElement) && !scrolled(el))
    .map(el => [el.tagName.toLowerCase(), ...el.classList].join('.') + ' "' +
      (el.innerText || '').trim().slice(0, 30).replace(/\s+/g, ' ') + '"');
  return [document.documentElement.scrollWidth, width, culprits];
}"""


def one_id(live_server, statement, **params) -> int:
    rows = live_server.query(statement, **params)
    assert rows, f"the demo data has nothing for {statement} {params}"
    return rows[0][0]


def info_page_status(live_server, name) -> int:
    try:
        with urllib.request.urlopen(f"{live_server.url}/{name}", timeout=10) as response:  # noqa: S310 - our server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def journey_pages(journey: str, live_server) -> dict[str, str]:
    """The pages a person in that role goes through, short ASCII name -> path (ids from the demo data)."""

    def listing(ref):
        return one_id(live_server, "SELECT id FROM listing WHERE ref = :r", r=ref)

    def company(ref):
        return one_id(live_server, "SELECT id FROM company WHERE ref = :r", r=ref)

    if journey == "visitor":
        return {
            "home": "/",
            "listings": "/listings/",
            "search": "/search?q=wet+blue",
            "listing": f"/listings/{listing('demo-l03')}",
            "companies": "/companies/",
            "company": f"/companies/{company('demo-korangi-tanners')}",
            "login": "/auth/login",
            "register": "/auth/register",
            "reset": "/auth/reset",
            "scoreboard": "/scoreboard",
            "supply-calendar": "/supply-calendar",
            "api-docs": "/api/v1/docs",
            **{name: f"/{name}" for name in INFO_PAGES if info_page_status(live_server, name) != 404},
        }
    if journey == "member":
        return {
            "dashboard": "/dashboard",
            "my-listings": "/listings/mine",
            "new-listing": "/listings/new",
            "listing-matches": f"/listings/{listing('demo-l02')}",  # its own request: the matches box shows
            "partnerships": "/partnerships/",
            "notifications": "/notifications",
            "settings": "/auth/settings",
            "api-tokens": "/auth/settings/tokens",
            "company-edit": "/companies/mine/edit",
        }
    if journey == "staff":
        return {
            "verification": "/staff/verification",
            "verification-review": f"/staff/companies/{company('demo-sialkot-machinery')}",  # unverified, PTA
            "moderation": "/staff/listings/",
            "moderation-review": f"/staff/listings/{listing('demo-l13')}",  # submitted, PTA
            "audit": "/staff/audit",
            "insight": "/insight/",
        }
    return {
        "admin": "/admin/",
        "users": "/admin/users",
        "associations": "/admin/associations",
        "taxonomy": "/admin/taxonomy",
        "import": "/staff/import",
        "insight-side-by-side": "/insight/",
        "trade-figures": "/admin/trade-figures",
    }


def new_context(browser, live_server, width, storage_state=None):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": WIDTHS.get(width, 768)},
        locale="en-GB",
        storage_state=storage_state,
    )
    context.set_default_timeout(15_000)
    # An init script, not add_script_tag: the portal's CSP refuses inline scripts, and bypass_csp would test
    # a page the portal never serves. Scripts injected by the browser itself are outside the policy.
    context.add_init_script(path=str(AXE))
    return context


def logged_in_state(browser, live_server, email):
    """Log in once through the real form; every context of the journey starts with that session's cookies."""
    context = new_context(browser, live_server, max(WIDTHS))
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/auth/login" not in page.url, f"{email} could not log in"
    state = context.storage_state()
    context.close()
    return state


@dataclass
class Problem:
    """One rule broken on one page load: an axe rule id, or "overflow" / "http" for the suite's own checks."""

    rule: str
    impact: str
    page: str  # "journey/page"
    lang: str
    width: int
    count: int = 1
    example: str = ""


def save_screenshot(page, path: Path) -> None:
    """A full-page JPEG, by Chromium's own capture: page.screenshot(full_page=True) as PNG spent more time encoding
    than axe spent checking, and 380 pictures made 118 MB; JPEG at quality 70 is a fraction of both."""
    # document.fonts.ready: the Nastaliq web font, not the fallback's empty boxes, in the Urdu pictures
    width, height = page.evaluate(
        "document.fonts.ready.then(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])"
    )
    cdp = page.context.new_cdp_session(page)
    try:
        shot = cdp.send(
            "Page.captureScreenshot",
            {
                "format": "jpeg",
                "quality": 70,
                "optimizeForSpeed": True,
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
    finally:
        cdp.detach()
    path.write_bytes(base64.b64decode(shot["data"]))


def check_page(page, key, path, lang, width, problems, full=True):
    """Load one page, run axe and the overflow check, save the screenshot; append what is wrong to problems.
    `full=False`: the overflow check alone (the extra width of item 1 of issue 12)."""
    journey, name = key.split("/")
    response = page.goto(path)
    page.wait_for_load_state("load")
    if response is None or response.status != 200:
        problems.append(Problem("http", "error", key, lang, width, example=f"{path}: {response and response.status}"))
        return
    if (html_lang := page.locator("html").get_attribute("lang")) != lang:
        problems.append(Problem("lang", "error", key, lang, width, example=f"{path}: <html lang={html_lang!r}>"))
    for violation in page.evaluate(RUN_AXE) if full else ():
        expected = EXPECTED_VIOLATIONS.get(violation["id"])
        if expected and (key in expected[1] or "*" in expected[1]):
            continue
        node = violation["nodes"][0]
        example = " ".join(f"{node['target']} {node['detail']} {node['html'][:120]}".split())
        problems.append(
            Problem(violation["id"], violation["impact"], key, lang, width, len(violation["nodes"]), example)
        )

    scroll_width, inner_width, culprits = page.evaluate(OVERFLOW)
    unexpected = [
        c for c in culprits if not any(c.startswith(k) and {key, "*"} & v[1] for k, v in EXPECTED_OVERFLOW.items())
    ]
    if scroll_width > inner_width and (unexpected or not culprits):
        shown = ", ".join(unexpected[:3]) or "nothing found"
        example = f"{path}: {scroll_width} px wide in a {inner_width} px window; sticking out: {shown}"
        problems.append(Problem("overflow", "layout", key, lang, width, example=example))
    if full:
        folder = SCREENSHOTS / journey
        folder.mkdir(parents=True, exist_ok=True)
        save_screenshot(page, folder / f"{lang}-{width}-{name}.jpg")


def walk(browser, live_server, pages: dict[str, str], email=None, widths=WIDTHS, full=True) -> list[Problem]:
    """Every page in every language at every width: one context per (language, width)."""
    state = logged_in_state(browser, live_server, email) if email else None
    problems: list[Problem] = []
    try:
        for lang in LANGUAGES:
            for width in widths:
                context = new_context(browser, live_server, width, state)
                try:
                    page = context.new_page()
                    choose_language(page, lang)
                    for key, path in pages.items():
                        check_page(page, key, path, lang, width, problems, full)
                finally:
                    context.close()
    finally:
        if email:  # leave the demo account as seeded (English) for whatever runs next on this server
            context = new_context(browser, live_server, max(WIDTHS), state)
            choose_language(context.new_page(), "en")
            context.close()
    return problems


PER_PAGE_EXAMPLES = {"overflow", "http"}  # what sticks out differs from page to page


def report(problems: list[Problem]) -> str:
    """Grouped by rule: how many page loads and elements, one example, then each page with its language/widths."""
    by_rule = defaultdict(list)
    for problem in problems:
        by_rule[(problem.rule, problem.impact)].append(problem)
    lines = [f"{len(problems)} problem(s) in {len(by_rule)} rule(s):"]
    for (rule, impact), found in sorted(by_rule.items(), key=lambda item: -len(item[1])):
        lines.append(f"- {rule} ({impact}): {len(found)} page load(s), {sum(p.count for p in found)} element(s)")
        lines.append(f"    e.g. [{found[0].page} {found[0].lang} {found[0].width}] {found[0].example}")
        where = defaultdict(list)
        for problem in found:
            where[problem.page].append(f"{problem.lang}-{problem.width}")
            if rule in PER_PAGE_EXAMPLES and problem is not found[0]:
                where[problem.page][-1] += f" ({problem.example})"
        every = len(LANGUAGES) * len(WIDTHS)
        lines.extend(
            f"    {page}: {'all' if len(loads) == every else ' '.join(loads)}" for page, loads in where.items()
        )
    return "\n".join(lines)


def full_walk(browser, live_server, journey: str) -> None:
    """The journey at 390 and 1280 px: axe, the overflow check and a screenshot of every page."""
    pages = {f"{journey}/{name}": path for name, path in journey_pages(journey, live_server).items()}
    problems = walk(browser, live_server, pages, ACCOUNTS[journey])
    assert not problems, report(problems)


def light_walk(browser, live_server, journey: str) -> None:
    """Issue 12 names 1024 px (an older laptop: the menu folds there) and 1366 px; the overflow check alone."""
    pages = {f"{journey}/{name}": path for name, path in journey_pages(journey, live_server).items()}
    problems = walk(browser, live_server, pages, ACCOUNTS[journey], widths=LIGHT_WIDTHS, full=False)
    assert not problems, report(problems)
