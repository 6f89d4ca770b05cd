"""Every `next`-style parameter of the moderation views goes through utils.is_safe_next (real HTTP path)."""

import pytest

from .. import factories
from ..unit.test_safe_next import REFUSED
from .test_moderation import pick

HOSTILE = [t for t in REFUSED if t]  # an empty or missing `back` falls back to the queue anyway


@pytest.mark.parametrize("back", HOSTILE)
def test_bulk_decision_never_redirects_off_site(client_for, member, pta_staff, back):
    listing = factories.make_listing(member.company, status="submitted")
    response = client_for(pta_staff).post(
        "/staff/listings/bulk", data={"ids": [pick(listing)], "action": "approve", "back": back}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/listings/"


@pytest.mark.parametrize("back", ["//evil.example", "/\\evil.example", "/%5Cevil.example"])
def test_refused_bulk_form_never_redirects_off_site(client_for, pta_staff, back):
    response = client_for(pta_staff).post("/staff/listings/bulk", data={"action": "approve", "back": back})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/listings/"


def test_bulk_decision_returns_to_a_same_site_back(client_for, member, pta_staff):
    listing = factories.make_listing(member.company, status="submitted")
    back = "/staff/listings/?status=submitted"
    response = client_for(pta_staff).post(
        "/staff/listings/bulk", data={"ids": [pick(listing)], "action": "approve", "back": back}
    )
    assert response.headers["Location"] == back
