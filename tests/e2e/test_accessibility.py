"""The accessibility checks beside the journeys' walks (tests/e2e/accessibility.py): the information pages
are in the visitor's walk, and everything the keyboard reaches shows a focus ring, in both directions."""

import pytest

from .accessibility import INFO_PAGES, MARKS, info_page_status, new_context
from .liveserver import choose_language

pytestmark = MARKS


@pytest.mark.parametrize("name", INFO_PAGES)
def test_info_page_is_in_the_visitor_journey(live_server, name):
    """The visitor journey checks /about, /contact, /privacy and /terms once they exist; until then this skips."""
    if info_page_status(live_server, name) == 404:
        pytest.skip(f"/{name} answers 404: the page is not written yet, so the accessibility walk leaves it out")


FOCUS_RING = r"""() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const classes = String(el.className || '').trim().split(/\s+/).filter(Boolean);
  const name = [el.tagName.toLowerCase(), ...classes].join('.');
  return [ring || el === document.body, name];
}"""


@pytest.mark.parametrize("lang", ["en", "ur"])  # both directions
def test_everything_the_keyboard_reaches_shows_a_focus_ring(browser, live_server, lang):
    context = new_context(browser, live_server, 1280)
    page = context.new_page()
    try:
        choose_language(page, lang)
        missing = set()
        for path in ("/auth/login", "/search?q=wet+blue"):
            page.goto(path)
            for _ in range(30):
                page.keyboard.press("Tab")
                ring, element = page.evaluate(FOCUS_RING)
                if not ring:
                    missing.add(f"{path}: {element}")
        assert not missing, "no visible focus ring (outline of 2 px or more) on:\n" + "\n".join(sorted(missing))
    finally:
        context.close()
