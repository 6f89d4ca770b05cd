"""The accessibility walk of the admin's journey (tests/e2e/accessibility.py): no axe violation and no
sideways scroll in any of the four languages."""

from .accessibility import MARKS, full_walk, light_walk

pytestmark = MARKS


def test_no_axe_violations_and_no_sideways_scroll_at_390_and_1280_px(browser, live_server):
    full_walk(browser, live_server, "admin")


def test_no_page_is_wider_than_a_1024_or_1366_px_window(browser, live_server):
    light_walk(browser, live_server, "admin")
