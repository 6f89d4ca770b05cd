"""The search journal: written with each change, applied after it, surviving races, kills, an
unwritable index directory and a held index lock, on a real database and a real index."""

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from whoosh import index as whoosh_index

from config import TestConfig
from portal import create_app
from portal.extensions import db
from portal.models import Company, Listing, ListingStatus, SearchCursor, SearchJournal, TaxonomyTerm
from portal.models.base import utcnow
from portal.search import apply_journal, index, journal, journal_status, journal_tables, writing

from .. import factories
from ..conftest import vars_of

ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_PRELUDE = """
import json, os, sys, time
from config import TestConfig
from portal import create_app
from portal.extensions import db
from tests import factories
conf = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
conf.update(SQLALCHEMY_DATABASE_URI=os.environ["LB_DB"], INDEX_DIR=os.environ["LB_INDEX"])
app = create_app(conf)
"""


def nonroot_user() -> dict:
    """Popen arguments that drop root (which ignores file permissions) for `nobody`; {} when not root."""
    if os.geteuid() != 0:
        return {}
    import pwd

    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@pytest.fixture(scope="module")
def shared_dir():
    """A directory a non-root child process can use (pytest's own temporary directories are 0700 root)."""
    path = Path(tempfile.mkdtemp(prefix="lb-journal-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def module_database(shared_dir, _database):
    """The test database, or on SQLite one in `shared_dir`, so the non-root child can write it too."""
    if os.environ.get("PORTAL_TEST_DATABASE_URL"):
        return _database
    url = f"sqlite:///{shared_dir / 'journal.sqlite3'}"
    app = create_app({**vars_of(TestConfig), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    give_away(shared_dir / "journal.sqlite3")
    return url


def give_away(path: Path) -> None:
    """Let the non-root child own it (SQLite gives its -wal/-shm files the database file's owner)."""
    user = nonroot_user()
    if user:
        os.chown(path, user["user"], user["group"])
    path.chmod(0o666 if path.is_file() else 0o777)


@pytest.fixture
def app_config(module_database, shared_dir, tmp_path):
    base = Path(tempfile.mkdtemp(dir=shared_dir))
    give_away(base)
    return {
        "SQLALCHEMY_DATABASE_URI": module_database,
        "INDEX_DIR": str(base / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }


@pytest.fixture
def company(app):
    return factories.make_company(name="Sialkot Tannery", country="PK", association="PTA", verified=True)


def indexed(app) -> dict:
    """{document id: title} of what the index holds now."""
    _name, ix = index.open_index(index.index_dir(app))
    with ix.searcher() as s:
        return {f["id"]: f.get("title", "") for f in s.all_stored_fields()}


def journal_rows() -> list[tuple[str, int | None]]:
    return [(r.kind, r.object_id) for r in db.session.scalars(sa.select(SearchJournal).order_by(SearchJournal.id))]


@functools.cache
def nonroot_python() -> tuple[str, str]:
    """(interpreter, PYTHONPATH) the non-root user can run: this one, or, when it lives somewhere that
    user cannot enter (e.g. a pyenv under /root), the system's Python of the same version with this
    environment's packages on the path."""
    extra, site = nonroot_user(), sysconfig.get_paths()["purelib"]
    candidates = [(sys.executable, str(ROOT))]
    candidates.append(
        (f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}", f"{site}{os.pathsep}{ROOT}")
    )
    for exe, path in candidates:
        try:
            probe = subprocess.run(
                [exe, "-c", "import flask, sqlalchemy, whoosh"],
                env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": path},
                cwd="/",
                capture_output=True,
                check=False,
                **extra,
            )
        except OSError:  # that user may not even execute it
            continue
        if probe.returncode == 0:
            return exe, path
    pytest.skip("no Python interpreter that a non-root user may run")


def child(app, script: str, *, as_nonroot: bool = False, **kwargs) -> subprocess.Popen:
    exe, path = nonroot_python() if as_nonroot else (sys.executable, str(ROOT))
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "PYTHONDONTWRITEBYTECODE": "1",
        "LB_DB": app.config["SQLALCHEMY_DATABASE_URI"],
        "LB_INDEX": index.index_dir(app),
    }
    extra = nonroot_user() if as_nonroot else {}
    if extra:
        env["HOME"] = str(Path(index.index_dir(app)).parent)
    return subprocess.Popen(
        [exe, "-c", SUBPROCESS_PRELUDE + textwrap.dedent(script)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        **extra,
        **kwargs,
    )


def run_child(app, script: str, **kwargs) -> str:
    proc = child(app, script, **kwargs)
    out, _err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out


@contextmanager
def index_lock_held(app):
    """Hold the index's writer lock as another process would (Whoosh's lock is an flock per open file)."""
    base = index.index_dir(app)
    w = whoosh_index.open_dir(os.path.join(base, index.current_version(base))).writer()
    try:
        yield
    finally:
        w.cancel()


# --- written with the change ----------------------------------------------------------------------


def test_a_commit_writes_its_journal_rows_in_the_same_transaction(app, company):
    with index_lock_held(app):  # the commit's own apply gives up, so the rows stay to be seen
        listing = factories.make_live_listing(company, "Goat nappa")
    assert ("listing", listing.id) in journal_rows()


def test_a_rolled_back_change_leaves_no_journal_row(app, company):
    before = journal_rows()
    db.session.add(Listing(company_id=company.id, direction="offer", type="trade", title="Ostrich"))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert journal_rows() == before


def test_a_savepoint_rolled_back_keeps_the_outer_change(app, company):
    kept = Listing(
        company_id=company.id,
        direction="offer",
        type="trade",
        title="Kept through a savepoint",
        status=ListingStatus.published,
        published_at=utcnow(),
    )
    db.session.add(kept)
    db.session.flush()
    with db.session.begin_nested() as savepoint:
        db.session.add(Listing(company_id=company.id, direction="offer", type="trade", title="Dropped"))
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert f"listing:{kept.id}" in indexed(app)


def test_a_bulk_update_is_journaled_and_applied(app, company):
    listing = factories.make_live_listing(company, "Kangaroo leather")
    db.session.execute(sa.update(Listing).where(Listing.id == listing.id).values(status=ListingStatus.withdrawn))
    db.session.commit()
    assert ("listing", listing.id) in journal_rows() or journal_status()["applied_through"] > 0
    assert f"listing:{listing.id}" not in indexed(app)


# --- applied at apply time: order does not matter -----------------------------------------------


def test_an_older_apply_finishing_last_cannot_undo_a_newer_change(app, company, monkeypatch):
    """The race of issue 9: a company edit (re-indexing all its listings) is applied slowly; meanwhile a
    staff approval of one of its listings is committed and applied. The slow apply finishing last must
    not bring back the state it would have read before the approval."""
    listing = factories.make_live_listing(
        company, "Approved while the company is edited", status=ListingStatus.submitted
    )
    company_id, listing_id = company.id, listing.id
    real_writer = index.writer
    entered, go = threading.Event(), threading.Event()
    slow = {}

    @contextmanager
    def writer(*args, **kwargs):
        if threading.current_thread() is slow.get("thread"):
            entered.set()  # the edit's apply is under way (the old code had read its rows by now) ...
            assert go.wait(30)  # ... and stalls until the approval is committed and applied
        with real_writer(*args, **kwargs) as w:
            yield w

    monkeypatch.setattr(writing, "writer", writer)

    def edit_company():
        with app.app_context():
            db.session.get(Company, company_id).name = "Sialkot Tannery (Private) Ltd"
            db.session.commit()

    slow["thread"] = threading.Thread(target=edit_company)
    slow["thread"].start()
    assert entered.wait(30)
    approved = db.session.get(Listing, listing_id)
    approved.status, approved.published_at = ListingStatus.published, utcnow()
    db.session.commit()  # the approval, applied at once by this commit
    go.set()
    slow["thread"].join(30)
    apply_journal()  # and whatever the worker finds left
    assert f"listing:{listing_id}" in indexed(app)
    html = app.test_client().get("/search", query_string={"q": "approved"}).text
    assert "Approved while the company is edited" in re.sub(r"</?mark>", "", html)


def test_a_file_vanishing_under_an_open_is_retried(app, company, monkeypatch):
    factories.make_live_listing(company, "First")
    real_open = whoosh_index.open_dir
    failures = []

    def flaky_open(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise FileNotFoundError("_MAIN_7.toc")  # a concurrent commit removed the TOC it was reading
        return real_open(*args, **kwargs)

    monkeypatch.setattr(whoosh_index, "open_dir", flaky_open)
    listing = factories.make_live_listing(company, "Second, after a vanished file")
    assert failures and f"listing:{listing.id}" in indexed(app)
    assert journal_status()["backlog"] == 0


# --- durable: a kill after the commit loses nothing ----------------------------------------------


def test_a_change_whose_process_is_killed_after_commit_is_applied_by_the_worker(app, company):
    factories.make_live_listing(company, "Before")  # the index exists
    with index_lock_held(app):  # the child's own try to apply waits ~100 ms, then leaves it
        script = f"""
            with app.app_context():
                company = db.session.get(factories.Company, {company.id})
                listing = factories.make_live_listing(company, "Approved, then the worker was killed")
                print(listing.id, flush=True)
                time.sleep(120)
            """
        with child(app, script) as proc:  # leaving the block closes its pipe and reaps it
            listing_id = int(proc.stdout.readline())
            proc.kill()  # SIGKILL: no finally, no atexit, nothing more from that process
        state = journal_status()
        assert state["backlog"] >= 1 and state["oldest_age_seconds"] >= 0
        assert f"listing:{listing_id}" not in indexed(app)
    assert apply_journal() >= 1  # what `flask worker` does every few seconds
    assert f"listing:{listing_id}" in indexed(app)
    assert journal_status()["backlog"] == 0


# --- an unwritable index directory ---------------------------------------------------------------


def test_an_unwritable_index_directory_loses_none_of_50_changes(app, company):
    """Run as a non-root user (root ignores permissions): 50 commits while the index cannot be written
    are all searchable once it can be written again and the journal drains; meanwhile the lag and
    the error are visible in journal_status()."""
    for path in [Path(index.index_dir(app)), *Path(index.index_dir(app)).rglob("*")]:
        give_away(path)  # this process (root) built the index when the company was committed
    base = Path(index.index_dir(app))
    version = base / index.current_version(str(base))
    for path in (base, version):
        path.chmod(0o555)
    try:
        out = run_child(
            app,
            f"""
            from portal.search import journal_status
            with app.app_context():
                company = db.session.get(factories.Company, {company.id})
                for n in range(50):
                    factories.make_live_listing(company, f"Written while the index was read-only {{n}}")
                print(json.dumps(journal_status()))
            """,
            as_nonroot=True,
        )
        during = json.loads(out.strip().splitlines()[-1])
        assert during["backlog"] >= 50, during
        assert during["failing"] and "Permission" in during["last_error"], during
        assert during["oldest_age_seconds"] > 0
        assert journal_status()["backlog"] >= 50  # the same, seen from another process
    finally:
        for path in (base, version):
            path.chmod(0o777)
    out = run_child(
        app,
        """
        from portal.search import apply_journal, journal_status
        with app.app_context():
            print(apply_journal(), json.dumps(journal_status()))
        """,
        as_nonroot=True,
    )
    applied, after = out.strip().split(" ", 1)
    assert int(applied) >= 50 and json.loads(after)["backlog"] == 0
    titles = set(indexed(app).values())
    assert {f"Written while the index was read-only {n}" for n in range(50)} <= titles
    check = app.test_cli_runner().invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output


# --- the request never waits on the index lock ---------------------------------------------------


def test_a_request_does_not_wait_for_a_process_holding_the_index_lock(app, client, login, member):
    listing = factories.make_live_listing(db.session.get(Company, member.company_id), "Horse leather saddles")
    base = index.index_dir(app)
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from whoosh import index; w = index.open_dir(sys.argv[1]).writer(); "
            "print('locked', flush=True); time.sleep(float(sys.argv[2])); w.cancel()",
            os.path.join(base, index.current_version(base)),
            "4",
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:  # leaving the block waits for it and closes its pipe
        assert holder.stdout.readline().strip() == "locked"
        login(member)
        started = time.monotonic()
        response = client.post(f"/listings/{listing.id}/withdraw")
        took = time.monotonic() - started
        assert response.status_code == 302
        assert took < 1.5, f"the request took {took:.2f} s while another process held the index lock"
        assert db.session.get(Listing, listing.id).status is ListingStatus.withdrawn
        state = journal_status()
        assert state["backlog"] >= 1 and not state["failing"]  # contention is not an error: it waits
        started = time.monotonic()
        assert client.get("/search", query_string={"q": "saddles"}).status_code == 200
        assert time.monotonic() - started < 1.5
    assert apply_journal() >= 1
    assert f"listing:{listing.id}" not in indexed(app)


# --- the operator's commands ---------------------------------------------------------------------


def test_search_apply_applies_what_the_commits_left(app, runner, company):
    factories.make_live_listing(company, "Before")
    with index_lock_held(app):
        factories.make_live_listing(company, "Left in the journal")
    result = runner.invoke(args=["search", "apply"])
    assert result.exit_code == 0 and "left" in result.output, result.output
    assert "Left in the journal" in indexed(app).values()
    assert journal_status()["backlog"] == 0


def test_check_repair_fixes_an_index_changed_behind_its_back(app, runner, company):
    kept = factories.make_live_listing(company, "Finished leather")
    base = index.index_dir(app)
    with index.writer(base) as (_name, w):
        w.delete_by_term("id", f"listing:{kept.id}")
    assert runner.invoke(args=["search", "check"]).exit_code == 1
    result = runner.invoke(args=["search", "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Repaired 1 document" in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_check_repair_builds_a_missing_index(app, runner, company):
    listing = factories.make_live_listing(company, "Wet blue splits")
    shutil.rmtree(index.index_dir(app))
    result = runner.invoke(args=["search", "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert f"listing:{listing.id}" in indexed(app)
    assert not journal_status()["needs_rebuild"]


def test_a_taxonomy_change_rebuilds_the_index(app, company):
    factories.make_live_listing(company, "Chrome tanned cattle hides")
    before = index.current_version(index.index_dir(app))
    db.session.add(
        TaxonomyTerm(id="hide_cattle", facet="hide", labels={"en": "Cattle hide"}, synonyms={"en": ["cowhide"]})
    )
    db.session.commit()
    assert index.current_version(index.index_dir(app)) != before
    state = journal_status()
    assert state["backlog"] == 0 and not state["needs_rebuild"]


# --- status and pruning --------------------------------------------------------------------------


def test_journal_status_reports_backlog_age_and_the_last_error(app, company, monkeypatch):
    factories.make_live_listing(company, "Before")
    state = journal_status()
    assert state["backlog"] == 0 and state["oldest_age_seconds"] == 0.0 and not state["failing"]
    with index_lock_held(app):
        factories.make_live_listing(company, "Waiting")
        time.sleep(0.2)
        with pytest.raises(whoosh_index.LockError):
            apply_journal(max_wait=0.05)  # the worker's try fails: that is recorded
    state = journal_status()
    assert state["backlog"] >= 1 and state["oldest_age_seconds"] >= 0.2
    assert state["failing"] and "lock" in state["last_error"] and state["last_error_at"]
    assert apply_journal() >= 1
    state = journal_status()
    assert state["backlog"] == 0 and not state["failing"]


def test_pruning_keeps_what_a_live_cursor_still_needs(app, company, monkeypatch):
    # Applying a commit prunes too, once a minute per process: not while this test sets up its entries (in a
    # worker process that had not pruned for a minute, "One" and "Two" were gone before the test looked).
    monkeypatch.setattr(journal_tables, "_last_prune", time.monotonic())
    factories.make_live_listing(company, "One")
    factories.make_live_listing(company, "Two")
    ours = journal_status()["applied_through"]
    first = db.session.scalar(sa.select(sa.func.min(SearchJournal.id)))
    now = utcnow()
    other = SearchCursor(index_id="other-host", version="v1", last_id=first, location="b:/x", updated_at=now)
    db.session.add(other)
    db.session.commit()
    journal.prune()
    assert db.session.scalar(sa.select(sa.func.min(SearchJournal.id))) == first + 1  # the other host needs these
    db.session.get(SearchCursor, "other-host").updated_at = now - timedelta(days=8)  # ... but it went away
    db.session.commit()
    journal.prune()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchJournal).where(SearchJournal.id <= ours)) == 0
    assert db.session.get(SearchCursor, "other-host") is None  # it rebuilds when it comes back


def test_a_document_is_the_same_whichever_process_builds_it(app):
    """Appliers and `search check` run in different processes, each with its own hash seed: a word
    that names two concepts ("pigmented": a finish and a chemical) must give the same stamp in all."""
    script = (
        "from portal.search import documents; "
        "print(repr(documents.concept_weights([('Пигментированная кожа', 1.5, 1.5)], language='ru')))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": str(seed)},
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in range(1, 7)
    ]
    seen = {proc.communicate(timeout=120)[0] for proc in procs}
    assert len(seen) == 1, seen
