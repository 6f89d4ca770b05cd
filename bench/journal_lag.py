"""Commit-to-searchable lag through the search journal under concurrent writers, and the backlog.

    .venv/bin/python bench/journal_lag.py [--writers 8] [--rate 5] [--seconds 30] [--listings 2000]
        [--poll 1.0] [--no-request-apply] [--database-url postgresql+psycopg://...]

A fresh instance (a temporary SQLite file, or the empty database given, whose tables are dropped and
created) is filled with generated listings (bench/search_speed.py's generator) and indexed. Then:

* N writer processes each commit `--rate` listing changes a second (a new title with a unique token)
  through the ORM session, as a request would; the commit journals the change and, unless
  --no-request-apply, tries to apply the journal at once with the request's short lock wait;
* one applier process calls `portal.search.apply_journal()` every `--poll` seconds, as `flask
  worker` does (WORKER_JOURNAL_SECONDS, 1 s by default);
* this process watches the index every 10 ms: a change is searchable when the index's stored title
  of that listing carries its token. Lag = that moment minus the moment the database commit returned
  (taken in an after_commit listener that runs before the search one). The backlog (journal_status()) is sampled
  every 0.25 s.

Printed: commits, p50/p95/p99/max lag, changes never seen, the backlog's maximum and its value
after the writers stop and the journal drains, and `search check`'s verdict on the index then.
"""

import argparse
import multiprocessing
import os
import queue
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def make_app(url: str, index_dir: str, request_apply: bool = True):
    from config import TestConfig
    from portal import create_app

    conf = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    conf.update(SQLALCHEMY_DATABASE_URI=url, INDEX_DIR=index_dir)
    app = create_app(conf)
    if not request_apply:
        from portal.search import sync

        sync.apply_after_commit = lambda: None  # what a commit would try itself is left to the applier
    return app


def setup(url: str, index_dir: str, listings: int) -> None:
    import sqlalchemy as sa
    from search_speed import populate

    from portal.demo import ensure_associations
    from portal.extensions import db
    from portal.search import index

    app = make_app(url, index_dir)
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_associations()
        db.session.commit()
        populate(listings, random.Random(listings))
        if db.engine.dialect.name == "postgresql":  # the generator inserts explicit ids
            for table in ("company", "listing"):
                db.session.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            db.session.commit()
        stats = index.rebuild(processes=1)
        print(f"setup: {stats['listings']} listings indexed in {stats['seconds']:.1f} s", flush=True)


def writer(n: int, url: str, index_dir: str, ids: list[int], rate: float, seconds: float, request_apply, out) -> None:
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models import Listing

    app = make_app(url, index_dir, request_apply)
    change = {}

    def committed(_session):  # runs before the search listener's own try to apply the journal
        if change:
            out.put((change["pk"], change["token"], time.time()))
            change.clear()

    with app.app_context():
        sa.event.listen(db.session, "after_commit", committed, insert=True)
        rnd = random.Random(n)
        stop, k = time.monotonic() + seconds, 0
        next_at = time.monotonic()
        while time.monotonic() < stop:
            next_at += rnd.expovariate(rate)
            time.sleep(max(0.0, next_at - time.monotonic()))
            pk = rnd.choice(ids)
            token = f"lagw{n}n{k}"
            listing = db.session.get(Listing, pk)
            listing.title = f"Wet blue hides {token}"
            change.update(pk=pk, token=token)
            db.session.commit()
            k += 1
        db.session.remove()
    out.put(None)


def applier(url: str, index_dir: str, poll: float, until: multiprocessing.Event, out) -> None:
    from portal.search import apply_journal

    app = make_app(url, index_dir)
    applied = errors = 0
    with app.app_context():
        while not until.is_set():
            try:
                applied += apply_journal()
            except Exception as exc:  # noqa: BLE001 - counted; the worker goes on too
                errors += 1
                print(f"applier: {type(exc).__name__}: {exc}", flush=True)
            until.wait(poll)
        applied += apply_journal(limit=10**9)  # drain
    out.put((applied, errors))


def pct(values, p) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--rate", type=float, default=5.0, help="commits per second per writer")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--listings", type=int, default=2000)
    ap.add_argument("--poll", type=float, default=1.0, help="the applier's period (flask worker: 1 s)")
    ap.add_argument("--no-request-apply", dest="request_apply", action="store_false")
    ap.add_argument("--database-url", default=None, help="an EMPTY database: its tables are dropped")
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lb-lag-"))
    url = args.database_url or f"sqlite:///{workdir / 'lag.sqlite3'}"
    index_dir = str(workdir / "index")
    try:
        run(args, url, index_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, url: str, index_dir: str) -> None:
    import sqlalchemy as sa
    from whoosh import index as whoosh_index

    from portal.extensions import db
    from portal.search import index, journal_status

    setup(url, index_dir, args.listings)
    app = make_app(url, index_dir)
    with app.app_context():
        ids = list(db.session.scalars(sa.select(db.metadata.tables["listing"].c.id)))
    random.Random(1).shuffle(ids)
    ctx = multiprocessing.get_context("spawn")
    commits, done = ctx.Queue(), ctx.Event()
    results = ctx.Queue()
    share = max(1, len(ids) // args.writers)
    writers = [
        ctx.Process(
            target=writer,
            args=(
                n,
                url,
                index_dir,
                ids[n * share : (n + 1) * share],
                args.rate,
                args.seconds,
                args.request_apply,
                commits,
            ),
        )
        for n in range(args.writers)
    ]
    worker = ctx.Process(target=applier, args=(url, index_dir, args.poll, done, results))
    worker.start()
    for w in writers:
        w.start()

    pending: dict[int, tuple[str, float]] = {}  # listing id -> (latest token, its commit time)
    lags, superseded, total, finished = [], 0, 0, 0
    backlog_max, next_sample = 0, 0.0
    searcher, generation, opened, ix = None, None, None, None
    with app.app_context():
        base = index.index_dir()
        deadline = None
        while True:
            try:
                while True:
                    item = commits.get_nowait()
                    if item is None:
                        finished += 1
                        continue
                    pk, token, at = item
                    total += 1
                    if pk in pending:
                        superseded += 1  # a newer change to the same listing: the older one is never seen
                    pending[pk] = (token, at)
            except queue.Empty:
                pass
            version = index.current_version(base)
            if version != opened:  # a rebuild swapped it (only if the applier had to rebuild)
                ix, opened = whoosh_index.open_dir(os.path.join(base, version)), version
            if ix.latest_generation() != generation:  # a directory listing: cheap enough every 10 ms
                if searcher is not None:
                    searcher.close()
                searcher, generation = ix.searcher(), ix.latest_generation()
            now = time.time()
            for pk, (token, at) in list(pending.items()):
                doc = searcher.document(id=f"listing:{pk}")
                if doc and token in doc.get("title", ""):
                    lags.append(now - at)
                    del pending[pk]
            if time.monotonic() >= next_sample:
                backlog_max = max(backlog_max, journal_status()["backlog"])
                next_sample = time.monotonic() + 0.25
            if finished == args.writers and deadline is None:
                done.set()  # the applier drains and stops
                deadline = time.monotonic() + 60
            if deadline is not None and (not pending or time.monotonic() > deadline):
                break
            time.sleep(0.01)
        for w in writers:
            w.join()
        applied, errors = results.get(timeout=120)
        worker.join()
        final = journal_status()
        report = index.check()
        listing = db.metadata.tables["listing"]
        titles = {f"listing:{pk}": t for pk, t in db.session.execute(sa.select(listing.c.id, listing.c.title))}
        _name, current = index.open_index(base)
        with current.searcher() as s:
            stored = list(s.all_stored_fields())
        indexed_titles = {f["id"]: f.get("title") for f in stored}
        duplicates = len(stored) - len(indexed_titles)
        if searcher is not None:
            searcher.close()
    mode = "commits try to apply (~100 ms lock wait) + worker" if args.request_apply else "worker only"
    print(
        f"{args.writers} writers x {args.rate:g}/s for {args.seconds:g} s on {sa.engine.make_url(url).get_backend_name()}, "
        f"{mode} every {args.poll:g} s"
    )
    print(
        f"commits: {total} ({total / args.seconds:.1f}/s); superseded before seen: {superseded}; never seen: {len(pending)}"
    )
    if lags:
        print(
            "commit -> searchable: "
            f"p50 {pct(lags, 50) * 1000:.0f} ms, p95 {pct(lags, 95) * 1000:.0f} ms, "
            f"p99 {pct(lags, 99) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms ({len(lags)} measured)"
        )
    print(
        f"backlog: max {backlog_max} entries while writing; after the drain {final['backlog']} "
        f"(applier: {applied} entries, {errors} errors)"
    )
    print(
        f"index against the database after the drain: {len(report.missing)} missing, {len(report.stale)} stale, "
        f"{len(report.extra)} extra; {duplicates} duplicate documents"
    )
    for key in report.missing + report.stale + report.extra:
        print(f"  {key}: database {titles.get(key)!r}, index {indexed_titles.get(key)!r}")
    if report.stale:
        from portal.search import documents

        with app.app_context(), db.engine.connect() as conn:
            for key in report.stale:
                pk = int(key.split(":")[1])
                expected = dict(documents.listing_documents(conn, [pk]))[key]
                got = next(f for f in stored if f["id"] == key)
                for field in sorted(set(expected["stored"]) | set(got["stored"])):
                    if expected["stored"].get(field) != got["stored"].get(field):
                        print(
                            f"    stored[{field}]: database {expected['stored'].get(field)!r}, index {got['stored'].get(field)!r}"
                        )


if __name__ == "__main__":
    main()
