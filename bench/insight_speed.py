"""Insight speed: the staff dashboard and its exports at 10,000 companies and 100,000 listings, against 500 ms.

    .venv/bin/python bench/insight_speed.py [--companies 10000] [--listings 100000] [--runs 5]
                                            [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/lb_bench]

The budget (issue 13, item 8): every dashboard and export answers in under 500 ms. Why a script rather than
a test: generating the data takes a minute or two and the figures move with the machine, so they are
printed for a person to read, with PASS/FAIL.

What it does: a fresh database (a temporary SQLite file, or the PostgreSQL database named by
--database-url, emptied first: `createdb -h 127.0.0.1 -U postgres lb_bench`), the models' schema, then
generated rows in believable proportions (bench/insight_data.py: companies of both associations, listings
of every type and status with their audit rows, tags, HS headings, supply months, match notices,
interests, conversations, meetings and outcomes over three years), bulk-inserted with SQLAlchemy Core.
PostgreSQL gets VACUUM ANALYZE (autovacuum does it in production); SQLite a WAL checkpoint and no ANALYZE
(nobody runs it). --reuse times the --database-url of an earlier run again without generating anything.
PostgreSQL's JIT compiler (on by default) costs up to a second on these queries: compare a run with
PGOPTIONS="-c jit=off" in the environment.

Then the worker's insight job (`snapshots.refresh`, every figure of every association and of the whole
portal over the fixed periods, and the day-by-day series of the rolled-up ones) is timed once, as the
worker would run it every few minutes. Then, through the Flask test client and logged in through the real
form, each dashboard request (/insight/ for PTA staff, KLA staff, and an admin's side-by-side view) for
each fixed period (30d, quarter, year, all: read from the snapshots) and two custom ranges, this year to
date and the last four years and more (summed from the day-by-day series), and every export route
(/insight/exports/...) the app defines, is timed: one warm-up, then --runs runs; the median and the
maximum are printed with PASS when the maximum is under the budget; then the public scoreboard and
supply calendar, for a visitor. Exports stream: they are judged by
their first byte (when the download starts), and the time to the last byte is printed beside it.
--no-snapshots times every dashboard live (the snapshots are neither computed nor read: an earlier run's
would still be young).
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insight_data import populate  # noqa: E402 - bench/ is on the path when the script runs

BUDGET_MS = 500
LOGINS = {
    "PTA staff": ("staff@pta.bench", "PTA"),
    "KLA staff": ("staff@kla.bench", "KLA"),
    "admin": ("admin@bench.example", None),
}
PERIODS = ("30d", "quarter", "year", "all")
PUBLIC = ("/scoreboard", "/supply-calendar")  # the public insight pages, for anyone
_TODAY = datetime.now().date()
# Custom ranges: this year to date, and the generated data's three years and more (every day of the series).
CUSTOM = [
    f"/insight/?period=custom&from={first.isoformat()}&to={_TODAY.isoformat()}"
    for first in (_TODAY.replace(month=1, day=1), _TODAY.replace(year=_TODAY.year - 4, month=1, day=1))
]
PASSWORD = "bench-password-9-horse"  # noqa: S105 - a throwaway database


def make_logins() -> dict[str, str]:
    """PTA staff, KLA staff and an admin, confirmed and past the Terms gate."""
    import sqlalchemy as sa

    from portal.auth.services import accept_terms, create_user
    from portal.extensions import db
    from portal.main import pages
    from portal.models import Association, Role

    assoc = {a.code: a.id for a in db.session.scalars(sa.select(Association))}
    for email, code in LOGINS.values():
        role = Role.staff if code else Role.admin
        user = create_user(email, "Bench", PASSWORD, role=role, association_id=assoc.get(code))
        user.email_confirmed_at = datetime.now()
        accept_terms(user, pages.TERMS_VERSION)
    db.session.commit()
    return {name: email for name, (email, _code) in LOGINS.items()}


def export_urls(app) -> list[str]:
    """Every export route the app defines (the exports are written alongside: none is not an error)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/insight/exports/") and "GET" in rule.methods:
            urls.append(rule)
    return sorted(urls, key=lambda r: r.rule)


# What issue 13 names, for a route whose converter does not list its values (a plain <kind> or <fmt>).
GUESSES = {"kind": ("members", "listings", "funnel", "outcomes"), "fmt": ("csv", "xlsx")}


def fill(rule) -> list[str]:
    """Concrete URLs of an export rule: each argument's values from its `any(...)` converter, else GUESSES."""

    urls = [rule.rule]
    for name in sorted(rule.arguments):
        pattern = getattr(rule._converters.get(name), "regex", "")  # noqa: SLF001 - the rule's own allowed values
        listed = re.fullmatch(r"\(\?:([\w|]+)\)", pattern)
        values = listed.group(1).split("|") if listed else GUESSES.get(name, ("1",))
        placeholder = re.compile(rf"<(?:[^>:]+:)?{name}>")
        urls = [placeholder.sub(value, url) for url in urls for value in values]
    return urls


def fetch(browser, url) -> tuple[int, float, float]:
    """One request in its own app context, as a server runs it: (status, ms to the first byte of the body,
    ms to its last byte). The body is read piece by piece, so a streamed export shows when it starts."""
    t = time.perf_counter()
    with browser.application.app_context():
        response = browser.get(url, buffered=False)
        try:
            pieces = iter(response.response)
            next(pieces, b"")
            first = time.perf_counter()
            for _piece in pieces:
                pass
        finally:
            response.close()
    return response.status_code, (first - t) * 1000, (time.perf_counter() - t) * 1000


def timed(browser, url, runs) -> tuple[float, float, float, int]:
    """(median ms to the first byte, its maximum, median ms to the last byte, status) over `runs` runs."""
    fetch(browser, url)  # warm-up: templates compiled, connections open
    firsts, lasts, status = [], [], 0
    for _ in range(runs):
        status, first, last = fetch(browser, url)
        firsts.append(first)
        lasts.append(last)
    return statistics.median(firsts), max(firsts), statistics.median(lasts), status


def report(name, median, worst, whole, status) -> bool:
    ok = status == 200 and worst < BUDGET_MS
    verdict = "PASS" if ok else ("FAIL" if status == 200 else f"FAIL ({status})")
    print(f"{name:58}{median:>10.0f}{worst:>10.0f}{whole:>10.0f}  {verdict}")
    return ok


def run(args) -> bool:
    from config import TestConfig
    from portal import create_app
    from portal.demo import ensure_associations
    from portal.extensions import db
    from portal.insight import snapshots

    tmp = tempfile.mkdtemp(prefix="lb-insight-speed-")
    conf = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    url = args.database_url or f"sqlite:///{tmp}/insight.sqlite3"
    conf.update(SQLALCHEMY_DATABASE_URI=url, INDEX_DIR=f"{tmp}/index", UPLOAD_DIR=f"{tmp}/uploads")
    # The export limits are counted (their cost is part of the answer) but high enough for every run.
    conf.update(RATELIMIT_EXPORT_ADDRESS="100000/hour", RATELIMIT_EXPORT_ACCOUNT="100000/hour")
    if args.no_snapshots:
        conf.update(INSIGHT_SNAPSHOT_MAX_AGE=0)
    app = create_app(conf)
    with app.app_context():
        if args.reuse:  # the database of an earlier run (--database-url), to time a change of the code only
            logins = {name: email for name, (email, _role) in LOGINS.items()}
            db.create_all()  # tables added since that run (create_all leaves the existing ones alone)
        else:
            db.drop_all()
            db.create_all()
            ensure_associations()
            db.session.commit()
            t0 = time.perf_counter()
            counts = populate(args.companies, args.listings, args.interests, args.seed)
            print(f"== {db.engine.dialect.name}: generated and bulk-inserted in {time.perf_counter() - t0:.1f} s")
            print("   " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
            logins = make_logins()
    if not args.no_snapshots:
        with app.app_context():
            t0 = time.perf_counter()
            written = snapshots.refresh()
            print(f"\nworker's insight job: {written} figures computed and stored in {time.perf_counter() - t0:.1f} s")
    print(f"\n{'request':58}{'first ms':>10}{'max':>10}{'last ms':>10}  budget {BUDGET_MS} ms, {args.runs} runs")
    print(f"{'':58}{'(median)':>10}{'':>10}{'(median)':>10}  on the maximum to the first byte")
    verdicts, exports = [], export_urls(app)
    for who, email in logins.items():
        browser = app.test_client()
        answer = browser.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 302, f"{who} could not log in: {answer.status_code}"
        for path in [f"/insight/?period={period}" for period in PERIODS] + CUSTOM:
            verdicts.append(report(f"{who:10} {path}", *timed(browser, path, args.runs)))
        if who == "admin":
            continue  # the admin's exports are the side-by-side's sum: timed as staff, per association
        for rule in exports:
            for path in fill(rule):
                path = f"{path}?period=all"
                verdicts.append(report(f"{who:10} {path}", *timed(browser, path, args.runs)))
    visitor = app.test_client()
    for path in PUBLIC:
        verdicts.append(report(f"{'visitor':10} {path}", *timed(visitor, path, args.runs)))
    if not exports:
        print("exports: no /insight/exports/ route is defined yet (portal/insight/routes/exports.py): not timed")
    print(f"\n{sum(verdicts)} of {len(verdicts)} requests within {BUDGET_MS} ms")
    return all(verdicts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--companies", type=int, default=10_000)
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--interests", type=float, default=0.6, help="expressions of interest per live listing, mean")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--database-url", help="PostgreSQL database to use (emptied first); default a fresh SQLite file")
    ap.add_argument("--reuse", action="store_true", help="time the --database-url of an earlier run, generate nothing")
    ap.add_argument(
        "--no-snapshots", action="store_true", help="time the dashboards live, without the worker's figures"
    )
    args = ap.parse_args()
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
