"""Partnerships live under /partnerships; the old /deals links of earlier mails and bookmarks answer 308 there."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Interest

from .. import factories

MESSAGE = "We are a hide collector in Kostanay and would like to learn chrome tanning."


@pytest.mark.parametrize(
    "old, new",
    [
        ("/deals/", "/partnerships/"),
        ("/deals/?box=sent&status=open", "/partnerships/?box=sent&status=open"),
        ("/deals/conversations/7", "/partnerships/conversations/7"),
        ("/deals/meetings/3/calendar.ics", "/partnerships/meetings/3/calendar.ics"),
    ],
)
def test_old_deals_url_answers_a_permanent_redirect_keeping_the_query(client, old, new):
    response = client.get(old)
    assert response.status_code == 308
    assert response.headers["Location"] == new


def test_old_deals_url_without_slash_ends_at_the_inbox(client, login, member):
    login(member)
    response = client.get("/deals", follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/partnerships/"


def test_post_to_an_old_deals_url_is_redirected_with_308_and_still_acts(client, login, member, kz_member):
    listing = factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    login(kz_member)
    response = client.post(f"/deals/listings/{listing.id}/interest?from=mail", data={"message": MESSAGE})
    assert response.status_code == 308
    assert response.headers["Location"] == f"/partnerships/listings/{listing.id}/interest?from=mail"
    followed = client.post(f"/deals/listings/{listing.id}/interest", data={"message": MESSAGE}, follow_redirects=True)
    assert followed.status_code == 200 and followed.request.path.startswith("/partnerships/interests/")
    interest = db.session.scalar(sa.select(Interest))
    assert (interest.from_company_id, interest.message) == (kz_member.company_id, MESSAGE)
