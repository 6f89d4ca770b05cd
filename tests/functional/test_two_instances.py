"""Two portal instances, each with its own index directory, on one database (the test database:
PostgreSQL in CI's second leg, a SQLite file otherwise) converge through the search journal."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config import TestConfig
from portal import create_app
from portal.extensions import db
from portal.models import Listing, SearchCursor
from portal.models.base import utcnow
from portal.search import apply_journal, index, journal, journal_status

from .. import factories
from ..conftest import FreshContextClient, vars_of


@pytest.fixture
def app_b(app, tmp_path):
    """A second instance: the same database, its own index directory (as on a second host)."""
    other = create_app({**vars_of(TestConfig), **app.config, "INDEX_DIR": str(tmp_path / "host-b" / "index")})
    other.test_client_class = FreshContextClient
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def company(app):
    return factories.make_company(name="Sialkot Tannery", country="PK", association="PTA", verified=True)


def found(instance, q: str) -> str:
    html = instance.test_client().get("/search", query_string={"q": q}).get_data(as_text=True)
    return re.sub(r"</?mark>", "", html)


def on(instance, fn, *args):
    with instance.app_context():
        return fn(*args)


def converge(instance, q: str, text: str, present: bool = True, within: float = 2.0) -> float:
    """Apply `instance`'s journal as its worker would, until the search answers as expected; seconds taken."""
    started = time.monotonic()
    while True:
        on(instance, apply_journal)
        if (text in found(instance, q)) is present:
            return time.monotonic() - started
        assert time.monotonic() - started < within, f"{instance.config['INDEX_DIR']} did not converge on {q!r}"
        time.sleep(0.05)


def test_a_write_through_one_instance_is_found_through_the_other(app, app_b, company):
    on(app_b, apply_journal)  # B joins: it has no index yet, so it builds one from the database
    listing = factories.make_live_listing(company, "Camel leather for upholstery")  # through A
    assert "Camel leather" in found(app, "camel")  # A applied its own commit at once
    assert "Camel leather" not in found(app_b, "camel")  # B has not applied it yet
    assert converge(app_b, "camel", "Camel leather") < 2.0

    def retitle():  # now through B: A must follow
        db.session.get(Listing, listing.id).title = "Buffalo crust for belts"
        db.session.commit()

    on(app_b, retitle)
    assert "Buffalo crust" in found(app_b, "buffalo")
    converge(app, "buffalo", "Buffalo crust")
    converge(app, "camel", "Camel leather", present=False)
    for instance in (app, app_b):
        assert on(instance, journal_status)["backlog"] == 0
        check = instance.test_cli_runner().invoke(args=["search", "check"])
        assert check.exit_code == 0, check.output


def test_each_instance_keeps_its_own_cursor_and_pruning_waits_for_the_slower(app, app_b, company):
    on(app_b, apply_journal)
    factories.make_live_listing(company, "Goat suede for gloves")  # applied by A only
    cursors = {c.index_id: c.last_id for c in db.session.scalars(sa.select(SearchCursor))}
    a_id, b_id = index.read_index_id(index.index_dir(app)), index.read_index_id(index.index_dir(app_b))
    assert set(cursors) == {a_id, b_id} and cursors[a_id] > cursors[b_id]
    on(app, journal.prune)
    assert on(app_b, journal_status)["backlog"] >= 1  # B's entries were kept for B
    converge(app_b, "suede", "Goat suede")


def test_an_instance_away_longer_than_the_idle_limit_rebuilds_when_it_is_back(app, app_b, company):
    on(app_b, apply_journal)
    factories.make_live_listing(company, "Sheepskin shearling for coats")
    b_id = index.read_index_id(index.index_dir(app_b))
    db.session.get(SearchCursor, b_id).updated_at = utcnow() - timedelta(days=8)  # B's host was down
    db.session.commit()
    on(app, journal.prune)  # A no longer waits for B: B's entries are pruned and its cursor dropped
    assert db.session.get(SearchCursor, b_id) is None
    assert on(app_b, journal_status)["needs_rebuild"]
    converge(app_b, "shearling", "Sheepskin shearling")  # B's worker rebuilds it from the database
    assert not on(app_b, journal_status)["needs_rebuild"]
