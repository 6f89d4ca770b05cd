"""utils.is_safe_next: the one check every ?next= / back= redirect goes through."""

import pytest

from portal.utils import is_safe_next

REFUSED = [
    None,
    "",
    "dashboard",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/\x00",
    "/\x7f",
]
ALLOWED = ["/", "/dashboard", "/staff/listings/?status=submitted&page=2", "/search?q=a%2Fb", "/listings/3#flags"]


@pytest.mark.parametrize("target", REFUSED)
def test_refuses_anything_that_could_leave_the_site(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ALLOWED)
def test_accepts_same_site_paths(target):
    assert is_safe_next(target)
