"""listings.lifecycle.TRANSITIONS: every allowed edge of the listing state machine, and that no other is."""

import pytest

from portal.listings.lifecycle import TRANSITIONS
from portal.models import ListingStatus as S

ALLOWED = {
    ("submit", S.draft, S.submitted, "owner"),
    ("submit", S.changes_requested, S.submitted, "owner"),
    ("approve", S.submitted, S.published, "staff"),
    ("request_changes", S.submitted, S.changes_requested, "staff"),
    ("reject", S.submitted, S.rejected, "staff"),
    ("unpublish", S.published, S.changes_requested, "staff"),
    ("withdraw", S.submitted, S.withdrawn, "owner"),
    ("withdraw", S.changes_requested, S.withdrawn, "owner"),
    ("withdraw", S.published, S.withdrawn, "owner"),
    ("fulfil", S.published, S.fulfilled, "owner"),
    ("renew", S.published, S.published, "owner"),
    ("renew", S.expired, S.published, "owner"),
    ("expire", S.published, S.expired, "system"),
    ("import_draft", S.submitted, S.draft, "import"),
    ("import_draft", S.published, S.draft, "import"),
    ("import_submitted", S.draft, S.submitted, "import"),
    ("import_submitted", S.published, S.submitted, "import"),
    ("import_published", S.draft, S.published, "import"),
    ("import_published", S.submitted, S.published, "import"),
}
EDGES = {(t.name, source, t.target, t.by) for t in TRANSITIONS.values() for source in t.sources}


def test_the_table_holds_exactly_the_allowed_edges():
    assert EDGES == ALLOWED


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
@pytest.mark.parametrize("source", list(S))
def test_an_edge_is_open_only_from_its_sources(name, source):
    allowed = {(n, s) for n, s, _target, _by in ALLOWED}
    assert (source in TRANSITIONS[name].sources) is ((name, source) in allowed)


def test_staff_must_say_why_unless_they_approve():
    needs = {name for name, t in TRANSITIONS.items() if t.needs_comment}
    assert needs == {"request_changes", "reject", "unpublish"}


@pytest.mark.parametrize("final", [S.rejected, S.withdrawn, S.fulfilled])
def test_final_states_have_no_way_out(final):
    assert not [name for name, t in TRANSITIONS.items() if final in t.sources]
