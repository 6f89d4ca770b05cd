"""Throughput and latency of the portal under gunicorn on PostgreSQL: a read mix and a member mix.

    .venv/bin/python bench/load.py [--connections 4,16,64] [--seconds 15] [--listings 5000]

Why a script rather than a test: the figures depend on the machine and on whatever else runs on it,
so they are printed for a person to read (docs/operations.md keeps the last ones), never asserted.

What it does: a fresh PostgreSQL database next to PORTAL_BENCH_DATABASE_URL (dropped afterwards),
the models' schema, `flask seed-demo`, a few thousand generated listings through the real importer
(`flask import-data`, so the data looks like what operators load), one `flask search rebuild`, then
gunicorn with 4 workers and the background `flask worker` beside it, as in production. For each
connection count, threads with keep-alive http.client connections run, first the anonymous read mix
(home, listings index, a listing, a search, the company directory, a profile), then the member mix
(demo members logged in through the real form with its CSRF token: dashboard, search, listings,
inbox). Rate limits are off (the bench is one address) and CSRF stays on, as in production.

faults.py imports the harness from here (Client, Portal, percentile), so both measure the same way.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.e2e.liveserver import (  # noqa: E402
    ACCESS_FORMAT,
    BIN,
    DEMO_PASSWORD,
    build_schema,
    flask,
    free_port,
    fresh_database,
    gunicorn,
    server_env,
    wait_until_up,
)
from tests.functional.test_throttle_gunicorn import Browserless  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')
# The demo companies waiting for verification: their owners may not publish, so they are left out.
UNVERIFIED = ("sialkot-machinery", "kazchem")
SEARCHES = ["chrome tanning", "wet blue", "кожа", "finished leather", "gloves", "effluent treatment", "hides"]
NETWORK_ERRORS = (OSError, http.client.HTTPException)
# The venv's interpreter lives under /root (mode 0700), which a service user cannot enter; it runs
# Debian's python3.11 on the venv's packages instead (same minor version, so the same wheels).
SYSTEM_PYTHON = "/usr/bin/python3"
SITE_PACKAGES = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"), None)


def percentile(values, p):
    """Nearest-rank percentile; None for no values (a run where nothing answered)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


class Client(Browserless):
    """Browserless's CSRF-aware session on one keep-alive connection, with every cookie the server sets.

    gunicorn's sync workers answer `Connection: close`, so http.client then opens a new connection
    by itself; a connection the server dropped (a killed worker) is reopened once for the next call."""

    def __init__(self, base_url, timeout=30):
        super().__init__(base_url)
        self.timeout = timeout
        self.cookies = {}
        self.conn = None

    def request(self, method, path, form=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({"csrf_token": self.csrf, **form}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except NETWORK_ERRORS:
            self.close()
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return response.status, response.getheader("Location"), text

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def form_page(self, path):
        """GET a form: (status, its one-time form token or None); the CSRF token is kept for the POST."""
        status, _, html = self.request("GET", path)
        if match := CSRF.search(html):
            self.csrf = match.group(1)
        token = FORM_TOKEN.search(html)
        return status, token.group(1) if token else None, html

    def login(self, email, password=DEMO_PASSWORD):
        self.form_page("/auth/login")
        status, location, _ = self.request("POST", "/auth/login", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"login of {email} answered {status}")
        return location


def generated_listings(path: Path, count: int, seed: int = 7) -> None:
    """A JSON Lines file (docs/import-format.md) with `count` published listings of 100 new companies."""
    rng = random.Random(seed)
    words = {
        "en": "chrome vegetable tanning wet blue crust finished cattle goat sheep buffalo hides skins gloves "
        "footwear upholstery effluent training licence equipment drum splitting dyeing".split(),
        "ru": "кожа дубление хромовое выделка шкуры обувь перчатки оборудование обучение".split(),
    }
    companies = 100
    with open(path, "w", encoding="utf-8") as out:
        for c in range(companies):
            country, association = ("PK", "PTA") if c % 2 else ("KZ", "KLA")
            record = {"record": "company", "ref": f"bench-c{c:03d}", "name": f"Bench Tannery {c:03d}"}
            record.update(country=country, association=association, city="Bench City", verified=True)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        for n in range(count):
            language = "ru" if n % 5 == 0 else "en"
            text = " ".join(rng.choice(words[language]) for _ in range(40))
            listing = {
                "record": "listing",
                "ref": f"bench-l{n:05d}",
                "company_ref": f"bench-c{n % companies:03d}",
                "direction": "offer" if n % 2 else "request",
                "type": "technology_transfer",
                "language": language,
                "title": f"{' '.join(rng.choice(words[language]) for _ in range(5))} {n}".capitalize(),
                "description": text,
                "status": "published",
                "details": {"form": rng.choice(["licence", "consulting", "turnkey", "equipment"])},
            }
            out.write(json.dumps(listing, ensure_ascii=False) + "\n")


class Portal:
    """A fresh database, the demo (and optionally generated listings), an index, gunicorn and the worker.

    `user` runs gunicorn's workers and the worker as that (non-root) account, so a directory made
    unwritable really refuses their writes; the temporary directory is handed to it first."""

    def __init__(self, listings=0, workers=4, user=None, background=True, **settings):
        self.listings, self.workers, self.user, self.settings = listings, workers, user, settings
        self.background = background  # False: no `flask worker` (a version without one, for comparison)
        self.stack = ExitStack()
        self.worker_proc = None
        self.timings = {}

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self.stop_worker()
        self.keep_logs()
        self.stack.close()

    def keep_logs(self):
        """gunicorn's and the worker's logs outlive the temporary directory: a 5xx is explained there."""
        if not hasattr(self, "tmp"):
            return
        self.kept = Path(tempfile.mkdtemp(prefix=f"lb-bench-logs-{time.strftime('%H%M%S')}-"))
        for name in ("gunicorn.log", "worker.log"):
            if (self.tmp / name).exists():
                shutil.copy(self.tmp / name, self.kept / name)
        print(f"logs kept in {self.kept}", flush=True)

    def _start(self):
        started = time.monotonic()
        os.environ["PORTAL_TEST_DATABASE_URL"] = os.environ.get("PORTAL_BENCH_DATABASE_URL", DEFAULT_DATABASE)
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="lb-bench-")))
        self.database_url = self.stack.enter_context(fresh_database(self.tmp))
        self.env = server_env(
            self.database_url,
            self.tmp,
            RATELIMIT_ENABLED="false",
            LOGIN_MAX_FAILURES=100_000,
            LOGIN_IP_MAX_FAILURES=100_000,
            **self.settings,
        )
        build_schema(self.env, migrations=False)
        self.seed_output = flask(self.env, "seed-demo")
        self.timings["seed"] = time.monotonic() - started
        if self.listings:
            t = time.monotonic()
            generated_listings(self.tmp / "bench.jsonl", self.listings)
            flask(self.env, "import-data", str(self.tmp / "bench.jsonl"))
            self.timings["import"] = time.monotonic() - t
        t = time.monotonic()
        flask(self.env, "search", "rebuild", "--quiet")
        self.timings["rebuild"] = time.monotonic() - t
        self.index_dir = Path(self.env["PORTAL_INDEX_DIR"])
        self.engine = sa.create_engine(self.database_url, pool_pre_ping=True)
        self.stack.callback(self.engine.dispose)
        if self.user:
            subprocess.run(["chown", "-R", f"{self.user}:{self.user}", str(self.tmp)], check=True)
            self.tmp.chmod(0o755)
        self.log = self.tmp / "gunicorn.log"
        if self.user:
            self.env["PYTHONPATH"] = str(SITE_PACKAGES)
            self.base_url = self.stack.enter_context(self.gunicorn_as_user())
        else:
            self.base_url = self.stack.enter_context(gunicorn(self.env, self.log, workers=self.workers, timeout=60))
        self.master_pid = self._master_pid()
        if self.background:
            self.start_worker()
            self.wait_for_worker_pass()
        self.timings["ready"] = time.monotonic() - started

    def wait_for_worker_pass(self, timeout=60):
        """The worker's first pass (match notices, expiry, alerts over the whole demo) is heavy: measuring
        during it would charge its CPU to the web server, so wait until it logged its last job."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and "listing-expiry" not in (self.tmp / "worker.log").read_text():
            time.sleep(0.5)

    @contextmanager
    def gunicorn_as_user(self):
        """liveserver.gunicorn's command line, master and workers started as the service user."""
        port = free_port()
        env = {"PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}", **self.env}
        args = f"-w {self.workers} -b 127.0.0.1:{port} --graceful-timeout 3 --access-logfile -".split()
        with open(self.log, "w") as log:
            proc = subprocess.Popen(
                [*self.python(), "-m", "gunicorn", *args, "--access-logformat", ACCESS_FORMAT, "portal:create_app()"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self.run_as(),
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(proc, base_url, self.log, 60)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def python(self) -> list[str]:
        return [SYSTEM_PYTHON] if self.user else [str(BIN / "python")]

    def _master_pid(self) -> int:
        """gunicorn's master: the process listening on our port whose children are the workers."""
        port = self.base_url.rsplit(":", 1)[1]
        out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if f"127.0.0.1:{port}" in line and "gunicorn" in line:
                pid = int(line.split()[0])
                if self.worker_pids(pid):
                    return pid
        raise RuntimeError("gunicorn master not found")

    def worker_pids(self, master=None) -> list[int]:
        out = subprocess.run(
            ["ps", "--ppid", str(master or self.master_pid), "-o", "pid="], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def run_as(self) -> dict:
        return {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}

    def start_worker(self):
        self.worker_log = open(self.tmp / "worker.log", "a")  # noqa: SIM115 - closed in stop_worker
        self.worker_proc = subprocess.Popen(
            [*self.python(), "-m", "flask", "--app", "portal", "worker"],
            env=self.env,
            cwd=ROOT,
            stdout=self.worker_log,
            stderr=subprocess.STDOUT,
            **self.run_as(),
        )

    def stop_worker(self, kill=False):
        if self.worker_proc is None:
            return
        if kill:
            self.worker_proc.kill()
        else:
            self.worker_proc.terminate()
        try:
            self.worker_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.worker_proc.kill()
            self.worker_proc.wait(timeout=5)
        self.worker_proc = None
        self.worker_log.close()

    def flask(self, *args, timeout=120) -> subprocess.CompletedProcess:
        """`flask --app portal ARGS` as the service user, whatever its exit status (check exits 1)."""
        return subprocess.run(
            [*self.python(), "-m", "flask", "--app", "portal", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **self.run_as(),
        )

    def logins(self, verified_only=True) -> list[str]:
        """The demo members' emails from seed-demo's output (owner@<slug>.example)."""
        emails = re.findall(r"(owner@([a-z0-9-]+)\.example)", self.seed_output)
        return [e for e, slug in emails if not (verified_only and slug in UNVERIFIED)]

    def ids(self, sql) -> list[int]:
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(sa.text(sql))]


class Recorder:
    """Latency and status of every request, thread-safe, each with the moment it started."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (start monotonic, seconds, status or 0 for a network error, label)

    def call(self, client, method, path, form=None, label=None):
        start = time.monotonic()
        try:
            status, location, html = client.request(method, path, form)
        except NETWORK_ERRORS:
            status, location, html = 0, None, ""
        with self.lock:
            self.samples.append((start, time.monotonic() - start, status, label or path))
        return status, location, html


def read_mix(listing_ids, company_ids):
    """The anonymous pages in the proportions a visitor browses them."""
    return [
        lambda: "/",
        lambda: "/listings/",
        lambda: f"/listings/{random.choice(listing_ids)}",
        lambda: f"/listings/{random.choice(listing_ids)}",
        lambda: "/search?" + urlencode({"q": random.choice(SEARCHES)}),
        lambda: "/companies/",
        lambda: f"/companies/{random.choice(company_ids)}",
    ]


def member_mix(listing_ids):
    return [
        lambda: "/dashboard",
        lambda: "/search?" + urlencode({"q": random.choice(SEARCHES)}),
        lambda: f"/listings/{random.choice(listing_ids)}",
        lambda: f"/listings/{random.choice(listing_ids)}",
        lambda: "/partnerships/",
    ]


LOGIN_ERRORS = []


def login_retrying(client, email):
    """Log in, trying again after a failed answer; every failure is noted and printed with the figures.
    (Parallel logins of one account from one address used to answer 500, fixed with a test in
    tests/functional/test_login_race.py; a new "logins tried again" line means something regressed.)"""
    for attempt in range(3):
        try:
            return client.login(email)
        except (RuntimeError, *NETWORK_ERRORS) as exc:
            LOGIN_ERRORS.append(str(exc))
            if attempt == 2:
                raise
            time.sleep(0.2)


def run_mix(portal, mix, connections, seconds, members=None, max_requests=100_000):
    """`connections` threads, each on its own keep-alive connection, until `seconds` or `max_requests` in all."""
    clients = [Client(portal.base_url) for _ in range(connections)]
    if members:  # logged in before the clock starts: the figures are about browsing, not about logins
        threads = [
            threading.Thread(target=login_retrying, args=(c, members[i % len(members)])) for i, c in enumerate(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    recorder, budget = Recorder(), [max_requests]
    deadline = time.monotonic() + seconds

    def browse(client):
        while time.monotonic() < deadline:
            with recorder.lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            path = random.choice(mix)()
            status, _, _ = recorder.call(client, "GET", path, label=path.split("?")[0].rstrip("0123456789"))
            if status == 0:
                time.sleep(0.05)  # a refused connection: do not spin

    started = time.monotonic()
    threads = [threading.Thread(target=browse, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    for c in clients:
        c.close()
    return summarize(recorder.samples, elapsed)


def summarize(samples, elapsed):
    latencies = [s[1] * 1000 for s in samples]
    bad = [s for s in samples if not 200 <= s[2] < 300]
    by_status = {}
    for s in bad:
        by_status[s[2]] = by_status.get(s[2], 0) + 1
    return {
        "requests": len(samples),
        "rate": len(samples) / elapsed if elapsed else 0.0,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "non2xx": len(bad),
        "by_status": by_status,
        "bad_paths": sorted({s[3] for s in bad})[:5],
    }


def fmt(value):
    return "-" if value is None else f"{value:.0f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", default="4,16,64", help="comma-separated connection counts")
    parser.add_argument("--seconds", type=float, default=15.0, help="per mix and connection count")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per mix and connection count")
    parser.add_argument("--listings", type=int, default=5000, help="generated listings on top of the demo")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--no-worker", action="store_true", help="without `flask worker` (e.g. an older checkout)")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.connections.split(",")]
    started = time.monotonic()
    with Portal(listings=args.listings, workers=args.workers, background=not args.no_worker) as portal:
        listing_ids = portal.ids("SELECT id FROM listing WHERE status = 'published'")
        company_ids = portal.ids("SELECT id FROM company WHERE status = 'verified'")
        members = portal.logins()
        print(
            f"portal: {len(listing_ids)} published listings, {len(company_ids)} verified companies, "
            f"{len(members)} demo members; gunicorn {args.workers} workers + flask worker; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in portal.timings.items()),
            flush=True,
        )
        warm = read_mix(listing_ids, company_ids)
        run_mix(portal, warm, args.workers * 2, 5, max_requests=400)  # every worker opens the index, fills caches
        print(f"{'conns':>5}  {'mix':<7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'non-2xx':>8}")
        for connections in counts:
            for name, mix, who in (
                ("read", read_mix(listing_ids, company_ids), None),
                ("member", member_mix(listing_ids), members),
            ):
                r = run_mix(portal, mix, connections, args.seconds, members=who, max_requests=args.max_requests)
                extra = f"  {r['by_status']} {r['bad_paths']}" if r["non2xx"] else ""
                print(
                    f"{connections:>5}  {name:<7} {r['rate']:>7.1f} {fmt(r['p50']):>7} {fmt(r['p95']):>7} "
                    f"{fmt(r['p99']):>7} {r['non2xx']:>8}{extra}",
                    flush=True,
                )
    if LOGIN_ERRORS:
        print(f"logins tried again: {len(LOGIN_ERRORS)} ({sorted(set(LOGIN_ERRORS))[:3]})")
    print(
        f"total {time.monotonic() - started:.0f} s; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus"
    )


if __name__ == "__main__":
    main()
