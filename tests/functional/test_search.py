"""Search through real HTTP and a real index: staying true to the database, safety, facets, languages."""

import os
import re
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from whoosh import index as whoosh_index

from portal.extensions import db
from portal.models import Direction, Listing, ListingStatus, ListingType
from portal.models.base import utcnow
from portal.search import apply_journal, index, index_status, journal, journal_status

from .. import factories

ROOT = Path(__file__).resolve().parents[2]


def indexed_ids(app) -> set:
    base = index.index_dir(app)
    _name, ix = index.open_index(base)
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def page(client, raw=False, **params) -> str:
    """The search page's HTML; highlight marks are dropped unless raw=True, so titles read whole."""
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html if raw else re.sub(r"</?mark>", "", html)


@pytest.fixture
def pk_company(app):
    return factories.make_company(
        name="Sialkot Tannery",
        country="PK",
        association="PTA",
        verified=True,
        capabilities=["svc_effluent", "hide_cattle"],
    )


@pytest.fixture
def kz_company(app):
    return factories.make_company(name="Shymkent Teri", country="KZ", association="KLA", verified=True)


def test_published_listing_is_found_after_commit(client, pk_company):
    listing = factories.make_live_listing(pk_company, "Camel leather for upholstery")
    assert f"listing:{listing.id}" in indexed_ids(client.application)
    assert "Camel leather for upholstery" in page(client, q="camel")


def test_rolled_back_listing_never_reaches_index(client, app, pk_company):
    factories.make_live_listing(pk_company, "Cattle hides")
    listing = Listing(
        company_id=pk_company.id,
        direction=Direction.offer,
        type=ListingType.trade,
        title="Ostrich skins",
        status=ListingStatus.published,
        published_at=utcnow(),
    )
    db.session.add(listing)
    db.session.flush()  # the change is recorded at flush ...
    db.session.rollback()  # ... and forgotten on rollback
    factories.make_live_listing(pk_company, "Goat skins")  # the next commit does not carry it
    assert "Ostrich" not in page(client, q="ostrich skins")
    check = app.test_cli_runner().invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output


def test_edited_listing_is_found_by_new_words_only(client, pk_company):
    listing = factories.make_live_listing(pk_company, "Goat suede for gloves")
    listing.title = "Buffalo crust for belts"
    db.session.commit()
    assert "Buffalo crust" in page(client, q="buffalo")
    assert "No results" in page(client, q="suede gloves goat")


@pytest.mark.parametrize("status", [ListingStatus.withdrawn, ListingStatus.expired, ListingStatus.draft])
def test_listing_that_stops_being_live_disappears(client, pk_company, status):
    listing = factories.make_live_listing(pk_company, "Horse leather for saddles")
    listing.status = status
    db.session.commit()
    assert f"listing:{listing.id}" not in indexed_ids(client.application)
    assert "Horse leather" not in page(client, q="horse saddles")


def test_bulk_update_through_the_session_reaches_the_index(client, pk_company):
    listing = factories.make_live_listing(pk_company, "Kangaroo leather for football boots")
    db.session.execute(sa.update(Listing).where(Listing.id == listing.id).values(status=ListingStatus.withdrawn))
    db.session.commit()
    assert f"listing:{listing.id}" not in indexed_ids(client.application)


def test_listing_past_expiry_is_hidden_before_the_expiry_command(client, pk_company):
    factories.make_live_listing(pk_company, "Sheepskin shearling for coats", expires_at=utcnow() + timedelta(seconds=1))
    assert "Sheepskin shearling" in page(client, q="shearling")
    time.sleep(1.1)
    html = page(client, q="shearling")
    assert "Sheepskin shearling" not in html and "0 results" in html


def test_deleted_index_is_rebuilt_and_check_then_passes(app, runner, pk_company):
    listing = factories.make_live_listing(pk_company, "Wet blue splits")
    import shutil

    shutil.rmtree(index.index_dir(app))
    assert runner.invoke(args=["search", "check"]).exit_code != 0
    result = runner.invoke(args=["search", "rebuild", "--quiet"])
    assert result.exit_code == 0 and "listings/s" in result.output
    assert f"listing:{listing.id}" in indexed_ids(app)
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output


def test_check_reports_missing_extra_and_stale(app, runner, pk_company):
    kept = factories.make_live_listing(pk_company, "Finished leather")
    changed = factories.make_live_listing(pk_company, "Crust leather")
    with db.engine.begin() as conn:  # behind the session's back: the index cannot know
        conn.execute(sa.update(Listing.__table__).where(Listing.id == changed.id).values(title="Crust hides"))
        conn.execute(sa.delete(Listing.__table__).where(Listing.id == kept.id))
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"extra: listing:{kept.id}" in result.output and f"stale: listing:{changed.id}" in result.output


@pytest.mark.parametrize(
    "q",
    [
        "status:draft",
        "title:secret*",
        "*",
        "owner:*",
        "secret*",
        "kind:listing",
        "sec?et",
        "id:listing*",
        "[a TO z]",
        "status:published OR status:draft",
    ],
)
def test_field_and_wildcard_queries_never_reveal_unpublished(client, pk_company, q):
    factories.make_live_listing(pk_company, "Secret draft tannery plan", status=ListingStatus.draft)
    factories.make_live_listing(pk_company, "Secret submitted plan", status=ListingStatus.submitted)
    html = page(client, q=q)
    assert "Secret draft" not in html and "Secret submitted" not in html


def test_commits_from_two_processes_both_reach_the_index(app, pk_company):
    script = textwrap.dedent(
        """
        import sys
        from config import TestConfig
        from portal import create_app
        from portal.extensions import db
        from tests import factories
        conf = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        conf.update(SQLALCHEMY_DATABASE_URI=sys.argv[1], INDEX_DIR=sys.argv[2])
        app = create_app(conf)
        with app.app_context():
            company = db.session.get(factories.Company, int(sys.argv[3]))
            for n in range(3):
                factories.make_live_listing(company, f"{sys.argv[4]} listing {n}")
        """
    )
    args = [app.config["SQLALCHEMY_DATABASE_URI"], index.index_dir(app), str(pk_company.id)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, *args, name], cwd=ROOT, env=env)  # noqa: S603
        for name in ("Alpha", "Bravo")
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    titles = {t for (t,) in db.session.execute(sa.select(Listing.title))}
    assert len(titles) == 6
    apply_journal()  # what the worker does: a commit whose own try met the other's lock left it here
    ids = {f"listing:{i}" for (i,) in db.session.execute(sa.select(Listing.id))}
    assert ids <= indexed_ids(app)
    assert journal_status()["backlog"] == 0


def test_writes_during_a_rebuild_reach_the_new_version(app, runner, pk_company):
    """The race a rebuild must survive: it reads the journal's newest id, then its snapshot of the
    database; a listing is committed and written to the old version; the swap must not lose it."""
    base = index.index_dir(app)
    before = factories.make_live_listing(pk_company, "Before the rebuild")
    with db.engine.connect() as conn:  # what `search rebuild` does first
        start = journal.max_id(conn)
        new_version, _count = index.build_new(base, index.expected_documents(conn))
    during = factories.make_live_listing(pk_company, "Committed during the rebuild")
    index.install(base, new_version, start)
    assert apply_journal() >= 1
    assert {f"listing:{before.id}", f"listing:{during.id}"} <= indexed_ids(app)
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output


def test_busy_index_keeps_the_row_and_the_change_waits_in_the_journal(client, app, pk_company):
    factories.make_live_listing(pk_company, "First listing")  # creates the index
    name = index.current_version(index.index_dir(app))
    held = whoosh_index.open_dir(os.path.join(index.index_dir(app), name)).writer()  # another "process" writes
    try:
        listing = factories.make_live_listing(pk_company, "Second listing, index busy")
        assert db.session.get(Listing, listing.id) is not None
        assert journal_status()["backlog"] >= 1
        assert "Second listing" not in page(client, q="busy")
    finally:
        held.cancel()
    assert apply_journal() >= 1  # the worker's turn
    assert journal_status()["backlog"] == 0 and index_status() == "ok"
    assert "Second listing" in page(client, q="busy")


def test_readyz_reports_a_missing_index_and_healthz_tells_the_caller_only_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["index"]["state"] == "missing"


def test_script_in_listing_is_escaped_in_highlights(client, pk_company):
    factories.make_live_listing(
        pk_company,
        'Chrome <script>alert("x")</script> leather',
        description='Chrome tanned "quoted" leather <script>alert("hi")</script> for shoes. Chrome again.',
    )
    html = page(client, raw=True, q="chrome script")
    assert "<script>alert" not in html
    assert "&lt;<mark>script</mark>&gt;" in html
    assert "&#34;" in html or "&quot;" in html
    assert '"quoted"' not in html


def test_facets_count_and_combine(client, login, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Wet blue cattle hides", type="trade")
    factories.make_live_listing(pk_company, "Wet blue training course", type="training")
    factories.make_live_listing(kz_company, "Wet blue wanted", direction="request", type="trade")
    html = page(client, q="wet blue")
    assert "3 results" in html
    assert 'href="/search?q=wet+blue&amp;type=trade"' in html
    combined = page(client, q="wet blue", type="trade", country="PK")
    assert "1 result" in combined and "Wet blue cattle hides" in combined
    assert "Wet blue wanted" not in combined and "training course" not in combined


def test_filters_that_leave_nothing_stay_visible_and_removable(client, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Wet blue cattle hides", type="trade")
    factories.make_live_listing(kz_company, "Wet blue training", type="training")
    html = page(client, q="wet blue", type="training", country="PK")
    assert "0 results" in html
    assert 'aria-label="Remove filter Training"' in html and 'aria-label="Remove filter Pakistan"' in html


def test_empty_symbol_and_huge_queries_get_a_helpful_page(client, pk_company):
    factories.make_live_listing(pk_company, "Wet blue")
    assert "What are you looking for?" in page(client, q="")
    assert "nothing in this search" in page(client, q="!!! @@@ ***")
    html = page(client, q="wet blue " * 800)
    assert "first 200 characters" in html or "first 19" in html


@pytest.mark.parametrize("q", ["(((", '"unclosed', "AND OR NOT", "^2", "wet^abc", "-", "+"])
def test_odd_syntax_never_fails(client, pk_company, q):
    factories.make_live_listing(pk_company, "Wet blue")
    assert client.get("/search", query_string={"q": q}).status_code == 200


def test_quoted_words_must_all_be_there(client, pk_company):
    factories.make_live_listing(pk_company, "Goat nappa for garments")
    factories.make_live_listing(pk_company, "Goat suede for gloves")
    html = page(client, q='"goat nappa"')
    assert "Goat nappa" in html and "Goat suede" not in html


def test_russian_query_finds_english_offer(client, pk_company):
    factories.make_live_listing(
        pk_company,
        "ETP operation and effluent treatment training",
        description="We teach wastewater treatment for tanneries.",
        type="training",
    )
    assert "ETP operation" in page(client, q="очистные сооружения")


def test_visitors_see_listings_only_members_also_companies(client, login, member, pk_company):
    factories.make_live_listing(pk_company, "Gloves")  # the company's description: "We tan cattle hides."
    visitor = page(client, q="tan cattle hides", kind="company")
    assert "0 results" in visitor and "Sialkot Tannery" not in visitor
    login(member)
    html = page(client, q="tan cattle hides", kind="company")
    assert f'href="/companies/{pk_company.id}" dir="auto">Sialkot Tannery</a>' in html


def test_unverified_companies_are_not_searchable(client, login, member):
    factories.make_company(name="Hidden Leather Works", verified=False)
    login(member)
    assert "Hidden Leather Works" not in page(client, q="hidden leather works", kind="company")


def test_anonymous_listing_is_not_found_by_company_name(client, pk_company):
    factories.make_live_listing(pk_company, "Discreet joint venture", anonymous=True, type="joint_venture")
    assert "Discreet joint venture" not in page(client, q="Sialkot Tannery")
    assert "Discreet joint venture" in page(client, q="discreet venture")


@pytest.mark.parametrize("typo, fixed", [("efluent", "effluent"), ("дубление", None), ("очисные", "очистные")])
def test_did_you_mean_for_misspelt_english_and_russian(client, pk_company, typo, fixed):
    factories.make_live_listing(pk_company, "Effluent treatment", description="Очистные сооружения и дубление.")
    html = page(client, q=typo)
    if fixed:
        assert "Did you mean" in html and f">{fixed}</a>" in html
    else:
        assert "Did you mean" not in html


def test_did_you_mean_does_not_replace_a_word_by_one_with_another_first_letter(client, pk_company):
    factories.make_live_listing(pk_company, "Готовую кожу продаём", description="Шкуры вет-блю.")
    assert "Did you mean" not in page(client, q="коровьи шкуры")


@pytest.mark.parametrize("query", ["status:draft", "owner:*", "staus:drat", "durat*"])
def test_did_you_mean_never_rewrites_field_or_wildcard_syntax(client, pk_company, query):
    factories.make_live_listing(pk_company, "Training: duration four weeks", description="Status of operation.")
    assert "Did you mean" not in page(client, q=query)


def test_results_paginate_and_sort_by_newest(app, client, pk_company):
    app.config["PAGE_SIZE"] = 10
    for n in range(12):
        listing = factories.make_live_listing(pk_company, f"Saddle leather lot {n}")
        listing.published_at = utcnow() - timedelta(days=12 - n)
    db.session.commit()
    first = page(client, q="saddle", sort="newest")
    assert "12 results" in first and first.index("lot 11") < first.index("lot 10")
    second = page(client, q="saddle", sort="newest", page=2)
    assert "lot 1<" in second and "lot 11" not in second
