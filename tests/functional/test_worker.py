"""`flask worker`: due jobs run once, leases keep racing workers from doubling a job, a failing job is
recorded without stopping the others, and the demo's first worker pass mails an alert."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal import worker
from portal.extensions import db
from portal.models import Company, JobRun, Listing, ListingStatus, OutboxMessage
from portal.models.base import utcnow

from .. import factories
from ..e2e.liveserver import build_schema, flask, fresh_database, server_env
from .test_mail_smtp import body, smtp  # noqa: F401 - the real aiosmtpd server fixture


@pytest.fixture
def app_config(app_config, smtp):  # noqa: F811
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.controller.port}


def job_row(name) -> JobRun | None:
    db.session.expire_all()
    return db.session.get(JobRun, name)


def expired_listing(company, title):
    listing = factories.make_live_listing(company, title)
    listing.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return listing.id


def status_of(listing_id) -> ListingStatus:
    db.session.expire_all()
    return db.session.get(Listing, listing_id).status


def test_once_runs_every_due_job_and_a_second_pass_does_not_repeat_the_daily_one(runner, smtp, member, kz_member):  # noqa: F811
    factories.make_saved_search(kz_member, name="Training", query="training", frequency="daily")
    factories.make_live_listing(member.company, "Chrome tanning training in Karachi", type="training")
    gone = expired_listing(member.company, "Old wet blue offer")
    company_id, alert_to = member.company_id, kz_member.email  # each job ends its session: keep plain values
    # a row left pending by an earlier outage: only the worker's mail job sends it
    db.session.add(OutboxMessage(recipient="buyer@example.org", subject="Left in the outbox", body="Still here."))
    db.session.commit()

    first = runner.invoke(args=["worker", "--once"])
    assert first.exit_code == 0, first.output
    assert "listing-expiry:" in first.output and "alerts: 1 alert email(s)" in first.output
    [left] = smtp.to("buyer@example.org")
    assert body(left).strip() == "Still here."
    [alert] = smtp.to(alert_to)  # queued by the alert job, delivered after its commit
    assert "Chrome tanning training in Karachi" in body(alert)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        == 0
    )
    assert status_of(gone) is ListingStatus.expired
    started = job_row("listing-expiry").last_started_at

    later = expired_listing(db.session.get(Company, company_id), "Another old offer")
    second = runner.invoke(args=["worker", "--once"])
    assert second.exit_code == 0, second.output
    assert "listing-expiry" not in second.output and "alerts" not in second.output
    assert "search-journal" in second.output  # per host and every few seconds: it always runs
    assert status_of(later) is ListingStatus.published  # the daily job waits for its day
    assert job_row("listing-expiry").last_started_at == started
    assert job_row("listing-expiry").next_run_at >= started + timedelta(hours=23)


def race(app, count, target):
    """Run target() in `count` threads released at the same instant; their results."""
    barrier, results = threading.Barrier(count), [None] * count

    def one(i):
        with app.app_context():
            barrier.wait()
            results[i] = target()
            db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_racing_claims_give_a_job_to_exactly_one_worker(app):
    for round_ in range(5):
        name = f"race-{round_}"
        # the very first run (an INSERT race), then a due row (an UPDATE race)
        assert race(app, 4, lambda n=name: worker.claim(n, threading.current_thread().name, 60)).count(True) == 1
        db.session.execute(sa.update(JobRun).where(JobRun.name == name).values(lease_until=None, next_run_at=None))
        db.session.commit()
        assert race(app, 4, lambda n=name: worker.claim(n, threading.current_thread().name, 60)).count(True) == 1


def test_a_killed_workers_lease_runs_out_and_another_takes_the_job(app):
    assert worker.claim("digest", "host-a:1", 900)  # host a starts the job, then is killed -9
    assert not worker.claim("digest", "host-b:1", 900)  # held: b leaves it alone
    db.session.execute(sa.update(JobRun).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert worker.claim("digest", "host-b:1", 900)
    worker.release("digest", "host-a:1", 3600, None, 60)  # a late release by the old holder changes nothing
    assert job_row("digest").holder == "host-b:1" and job_row("digest").lease_until > utcnow()


def test_two_workers_racing_run_a_leased_job_once(app):
    runs = []

    def slow_job():
        runs.append(threading.current_thread().name)
        time.sleep(0.3)  # still running when the other worker tries
        return "done"

    def one_worker():
        job = worker.Job("slow", lambda: 3600, slow_job)
        return worker.run_job(job, threading.current_thread().name)

    results = race(app, 2, one_worker)
    assert len(runs) == 1 and sorted(results, key=str) == [None, "done"]
    row = job_row("slow")
    assert row.holder == runs[0] and row.last_error is None and row.lease_until <= utcnow()


def test_a_failing_job_records_its_error_and_the_others_still_run(app, member):
    gone = expired_listing(member.company, "Old wet blue offer")

    def broken():
        raise RuntimeError("the partner API is down")

    jobs = [worker.Job("broken", lambda: 3600, broken)] + [
        j for j in worker.default_jobs() if j.name == "listing-expiry"
    ]
    done = worker.run_due(jobs, "host:1")
    assert done["broken"].startswith("failed: RuntimeError") and "expired" in done["listing-expiry"]
    assert status_of(gone) is ListingStatus.expired
    row = job_row("broken")
    assert row.last_error == "RuntimeError: the partner API is down"
    assert row.lease_until <= utcnow()  # released: no one waits out the lease
    assert row.next_run_at <= utcnow() + timedelta(seconds=61)  # retried soon, not in an hour
    assert job_row("listing-expiry").last_error is None
    assert worker.last_heartbeat() is not None


def test_seed_demo_then_one_worker_pass_puts_a_demo_alert_in_the_outbox(tmp_path):
    """What `make run` does on a fresh SQLite file: seed the demo, and the worker's first pass mails an alert."""
    with fresh_database(tmp_path) as url:
        env = server_env(url, tmp_path)
        build_schema(env, migrations=False)  # the job table's migration is written separately
        seeded = flask(env, "seed-demo")
        assert "Created 14 companies, 17 accounts, 28 listings, 1 saved search(es)" in seeded
        passed = flask(env, "worker", "--once")
        assert "alerts: 1 alert email(s)" in passed, passed
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                subjects = conn.execute(
                    sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == "owner@shymkent-shoes.example")
                ).scalars()
                assert any("Finished cattle leather offers" in s for s in subjects)
        finally:
            engine.dispose()
        assert "Created 0 companies, 0 accounts, 0 listings, 0 saved search(es)" in flask(env, "seed-demo")
