"""`flask worker`: the one background process that replaces cron.

It goes round a loop: applies the search journal to this host's index, delivers the outbox mail
(retries and backoff live in portal.mail), and runs the periodic jobs when they are due. Every job
is idempotent, so a crash mid-job only means it runs again.

Why a lease table rather than a PostgreSQL advisory lock: the same UPDATE works on the embedded
SQLite and on PostgreSQL, the lease outlives a dropped connection only until `lease_until` (a
worker killed with -9 holds nothing for long), and the row doubles as the schedule (`next_run_at`)
and as the record /readyz and operators read (last run, last error, holder). A claim is one
statement, `UPDATE job_run SET holder=... WHERE name=? AND due AND lease free`, or the INSERT of
the row on a job's very first run; whoever gets rowcount 1 (or wins the INSERT) runs the job.
Workers on several hosts need clocks in step (NTP), as leases compare wall-clock times.

The journal job is per host (each host has its own index directory), so it is scheduled in memory
and never leased: every worker runs it.
"""

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import JobRun
from .models.base import utcnow

log = logging.getLogger(__name__)
HEARTBEAT_PREFIX = "heartbeat:"
MAX_RECHECK = timedelta(seconds=60)  # a worker looks at a job another one holds at least this often


@dataclass
class Job:
    """A periodic task: `run()` returns a short report for the log; `leased` jobs run once for all hosts."""

    name: str
    every: Callable[[], int]  # seconds, read from the config at run time
    run: Callable[[], str]
    leased: bool = True
    quiet: bool = False  # every few seconds: its reports go to the debug log
    next_check: datetime = field(default_factory=lambda: datetime.min)


# --- the jobs ---------------------------------------------------------------------------------------


def apply_journal_job() -> str:
    """Bring this host's index up to the journal."""
    from .search import apply_journal

    return f"{apply_journal(limit=current_app.config['WORKER_JOURNAL_BATCH'])} journal entries applied"


def mail_job() -> str:
    from .mail import send_pending

    if not current_app.config.get("MAIL_SERVER"):
        return "PORTAL_MAIL_SERVER is not set: the mail stays in the outbox"
    sent, failed = send_pending(current_app.config["WORKER_MAIL_BATCH"])
    return f"{sent} sent, {failed} kept for a retry or failed"


def expiry_job() -> str:
    from .listings.services import expire_and_remind

    expired, reminded = expire_and_remind()
    db.session.commit()
    return f"{expired} listing(s) expired, {reminded} reminder(s)"


def matches_job() -> str:
    from .search import notify_new_matches

    pairs, listings = notify_new_matches()
    db.session.commit()
    return f"{pairs} match(es) notified for {listings} listing(s)"


def alerts_job() -> str:
    from .alerts.services import send_alerts

    emails, listings, failures = send_alerts()  # commits each saved search on its own
    if failures:
        raise RuntimeError(f"{failures} saved search(es) failed ({emails} alert emails went out)")
    return f"{emails} alert email(s) with {listings} listing(s)"


def digests_job() -> str:
    from .partnerships.services.conversations import send_message_digests

    sent = send_message_digests(min_age=timedelta(minutes=5))
    db.session.commit()
    return f"{sent} message digest(s)"


def insight_job() -> str:
    from .insight.snapshots import refresh

    return f"{refresh()} dashboard figure(s) computed"


def retention_job() -> str:
    from .retention import enforce_retention

    deleted = enforce_retention()
    return ", ".join(f"{n} {name}" for name, n in deleted.items()) + " deleted past their retention"


def default_jobs() -> list[Job]:
    cfg = lambda key: lambda: current_app.config[key]  # noqa: E731
    return [
        Job("search-journal", cfg("WORKER_JOURNAL_SECONDS"), apply_journal_job, leased=False, quiet=True),
        Job("mail", cfg("WORKER_MAIL_SECONDS"), mail_job),
        Job("alerts", cfg("WORKER_ALERTS_SECONDS"), alerts_job),
        Job("message-digests", cfg("WORKER_DIGESTS_SECONDS"), digests_job),
        Job("match-notices", cfg("WORKER_MATCHES_SECONDS"), matches_job),
        Job("listing-expiry", cfg("WORKER_EXPIRY_SECONDS"), expiry_job),
        Job("insight-figures", cfg("WORKER_INSIGHT_SECONDS"), insight_job),
        Job("retention", cfg("WORKER_RETENTION_SECONDS"), retention_job),
    ]


# --- leases -----------------------------------------------------------------------------------------


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim(name: str, holder: str, lease_seconds: int, now: datetime | None = None) -> bool:
    """Take the job if it is due and nobody holds it; True for exactly one of any racing workers."""
    now = now or utcnow()
    table = JobRun.__table__
    values = {"holder": holder, "lease_until": now + timedelta(seconds=lease_seconds), "last_started_at": now}
    try:
        with db.engine.begin() as conn:
            taken = conn.execute(
                table.update()
                .where(
                    table.c.name == name,
                    sa.or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                    sa.or_(table.c.next_run_at.is_(None), table.c.next_run_at <= now),
                )
                .values(**values)
            ).rowcount
            if taken == 1:
                return True
            if conn.execute(sa.select(table.c.name).where(table.c.name == name)).first() is not None:
                return False
        with db.engine.begin() as conn:  # the job's first run anywhere: the INSERT is the claim
            conn.execute(table.insert().values(name=name, **values))
        return True
    except sa.exc.IntegrityError:
        return False  # another worker inserted it first and holds it
    except sa.exc.OperationalError:
        log.warning("worker: cannot claim %s (database busy or down); trying again later", name, exc_info=True)
        return False


def release(name: str, holder: str, every: int, error: str | None, retry_seconds: int) -> None:
    """End the lease; schedule the next run a period after the start, or soon after a failure."""
    now = utcnow()
    table = JobRun.__table__
    with db.engine.begin() as conn:
        started = conn.execute(sa.select(table.c.last_started_at).where(table.c.name == name)).scalar() or now
        due = now + timedelta(seconds=min(every, retry_seconds)) if error else started + timedelta(seconds=every)
        conn.execute(
            table.update()
            .where(table.c.name == name, table.c.holder == holder)
            .values(lease_until=now, last_finished_at=now, next_run_at=due, last_error=error)
        )


def recheck_at(name: str, now: datetime) -> datetime:
    """When a job someone else holds, or that is not due, is worth another claim."""
    table = JobRun.__table__
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(table.c.next_run_at, table.c.lease_until).where(table.c.name == name)).first()
    times = [t for t in (row or ()) if t is not None]
    return min(max(times), now + MAX_RECHECK) if times else now


def heartbeat(holder: str) -> None:
    """Say this host's worker is alive (one row per host, read by /readyz)."""
    name, now = (HEARTBEAT_PREFIX + socket.gethostname())[:80], utcnow()
    table = JobRun.__table__
    try:
        with db.engine.begin() as conn:
            if conn.execute(
                table.update().where(table.c.name == name).values(holder=holder, last_finished_at=now)
            ).rowcount:
                return
        with db.engine.begin() as conn:
            conn.execute(table.insert().values(name=name, holder=holder, last_finished_at=now))
    except sa.exc.SQLAlchemyError:
        log.warning("worker: heartbeat not recorded", exc_info=True)


def last_heartbeat() -> datetime | None:
    """The newest heartbeat of any worker, for /readyz."""
    return db.session.scalar(
        sa.select(sa.func.max(JobRun.last_finished_at)).where(JobRun.name.like(HEARTBEAT_PREFIX + "%"))
    )


# --- running ----------------------------------------------------------------------------------------


def run_job(job: Job, holder: str) -> str | None:
    """Run one job if it is due (and, if leased, ours); returns its report, or None when skipped. Never raises."""
    cfg, now = current_app.config, utcnow()
    if now < job.next_check:
        return None
    every = job.every()
    if job.leased and not claim(job.name, holder, cfg["WORKER_LEASE_SECONDS"], now):
        try:
            job.next_check = recheck_at(job.name, now)
        except sa.exc.SQLAlchemyError:
            job.next_check = now + MAX_RECHECK
        return None
    error = report = None
    try:
        # a request context gives url_for (links in mails) and the translations what they need
        with current_app.test_request_context(base_url=cfg.get("PUBLIC_URL") or None):
            report = job.run()
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded; the loop and the other jobs go on
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.exception("worker: job %s failed", job.name)
    finally:
        db.session.remove()
    if job.leased:
        try:
            release(job.name, holder, every, error, cfg["WORKER_RETRY_SECONDS"])
        except sa.exc.SQLAlchemyError:
            log.exception("worker: job %s finished but its lease was not released; it runs out", job.name)
        job.next_check = utcnow()  # the database says when it is due again
    else:
        job.next_check = utcnow() + timedelta(
            seconds=every if error is None else min(every, cfg["WORKER_RETRY_SECONDS"])
        )
    if error is None:
        log.log(logging.DEBUG if job.quiet else logging.INFO, "worker: %s: %s", job.name, report)
        return report
    return "failed: " + error


def run_due(jobs: list[Job], holder: str) -> dict[str, str]:
    """One pass: every due job once; returns {job name: report} for those that ran."""
    done = {}
    for job in jobs:
        report = run_job(job, holder)
        if report is not None:
            done[job.name] = report
    heartbeat(holder)
    return done


def loop(jobs: list[Job], holder: str, poll: float, should_stop: Callable[[], bool]) -> None:
    while not should_stop():
        try:
            run_due(jobs, holder)
        except Exception:  # noqa: BLE001 - e.g. the database is down: wait and go round again
            log.exception("worker: the pass failed; trying again")
            db.session.remove()
        waited = 0.0
        while waited < poll and not should_stop():
            time.sleep(min(0.2, poll))
            waited += 0.2


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every due job once and exit (for tests and cron).")
def worker_command(once):
    """Apply the search journal, deliver mail and run the periodic jobs until stopped (replaces cron)."""
    jobs, holder = default_jobs(), holder_name()
    if once:
        for name, report in run_due(jobs, holder).items():
            click.echo(f"{name}: {report}")
        return
    stopping = []

    def stop(signum, _frame):
        log.info("worker: signal %s, stopping after the current job", signum)
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Worker {holder} started; Ctrl+C stops it.")
    # The journal goes round in a thread of its own: a long job (match notices take half a minute at
    # a few thousand listings) must not keep changes out of search for that long.
    journal = [job for job in jobs if not job.leased]
    app, poll = current_app._get_current_object(), current_app.config["WORKER_POLL_SECONDS"]

    def journal_loop():
        with app.app_context():
            loop(journal, holder, poll, lambda: bool(stopping))

    thread = threading.Thread(target=journal_loop, name="search-journal", daemon=True)
    thread.start()
    loop([job for job in jobs if job.leased], holder, poll, lambda: bool(stopping))
    thread.join(timeout=30)


def init_app(app) -> None:
    if "worker" not in app.cli.commands:
        app.cli.add_command(worker_command)
