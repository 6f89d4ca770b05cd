"""The Content-Security-Policy breaks nothing: a member's main pages load in chromium without one violation."""

import pytest

from .conftest import ARTIFACTS
from .liveserver import open_menu

pytestmark = pytest.mark.e2e

MEMBER = "owner@shymkent-hides.example"  # a KLA member of the demo, with a company
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
});
"""


def visit(page, path, problems):
    response = page.goto(path)
    assert response.status < 400, f"{path}: {response.status}"
    assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
    page.wait_for_load_state("load")
    problems.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))


def test_main_pages_load_without_csp_violations(page, log_in):
    console = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type in ("error", "warning") else None)
    page.add_init_script(WATCH_VIOLATIONS)
    problems = []
    for path in ("/", "/auth/login", "/auth/register", "/companies/", "/search?q=leather"):
        visit(page, path, problems)
    page.goto("/search?q=leather")
    listing = page.locator('a[href^="/listings/"]').first.get_attribute("href")

    log_in(MEMBER)
    for path in ("/dashboard", "/companies/", listing, "/search?q=hides"):
        visit(page, path, problems)
    open_menu(page, "language")  # the header's menus are <details>: no script needed
    page.get_by_role("button", name="Русский").wait_for()
    problems.extend(page.evaluate("window.__cspViolations"))

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "csp-listing-with-language-menu.png"), full_page=True)
    csp_console = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not problems and not csp_console, problems + csp_console
