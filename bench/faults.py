"""Faults under a write load: does the portal lose an acknowledged write, or leave search untrue to the database?

    .venv/bin/python bench/faults.py --scenario all [--seconds 60]
    .venv/bin/python bench/faults.py --scenario lock-held

Why a script: kill -9, a database outage and a held lock are measured against one real gunicorn and one
real worker, and the result is a set of figures to compare with issue 9's targets, not a pass/fail.

One portal for all scenarios (a fresh PostgreSQL database next to PORTAL_BENCH_DATABASE_URL, the demo,
gunicorn with 4 workers and `flask worker`), both run as the non-root user `lbbench` (created when
missing) so an unwritable index directory really refuses their writes. Each scenario is a `--seconds`
write mix: 6 demo members create listings and submit them (some as drafts they then edit), 2 staff
(PTA, KLA) approve from their queues, 2 anonymous readers search and open listings. Every write the
server acknowledged (302 after the POST) is recorded; a POST that got no answer is sent again with the
same one-time form token, as a user pressing again would. Then the journal is left to drain (/readyz
backlog 0, at most 60 s) and `flask search check` compares the index with the database.

Scenarios: baseline; kill-worker (kill -9 a gunicorn worker every 10 s); kill-bg-worker (kill -9 the
background worker every 10 s and start it again); db-restart (the bench database refuses connections for
~1 s and its sessions are terminated; the shared PostgreSQL server is never restarted); index-unwritable
(the index directories 0555 for 20 s); lock-held (another process holds the Whoosh write lock for 20 s).
"""

import argparse
import json
import os
import pwd
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from load import ROOT, Client, Portal, Recorder, percentile  # noqa: E402

from portal.demo import COMPANIES, STAFF  # noqa: E402

USER = "lbbench"
SCENARIOS = ["baseline", "kill-worker", "kill-bg-worker", "db-restart", "index-unwritable", "lock-held"]
FAULT_AT = 15.0  # seconds into the mix when a one-off fault starts
HOLD = 20.0  # seconds the index stays unwritable or locked
QUEUE_LINK = re.compile(r'href="/staff/listings/(\d+)"')
VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')
CHECK_LINE = re.compile(r"(\d+) documents indexed, (\d+) expected: (\d+) missing, (\d+) extra, (\d+) stale")
HOLD_LOCK = """
import sys, time, whoosh.index
ix = whoosh.index.open_dir(sys.argv[1])
w = ix.writer(timeout=10, delay=0.05)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
w.cancel()
print("released", flush=True)
"""


def ensure_user() -> None:
    """The service account the server runs as; root would write into a 0555 directory regardless."""
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)


def members_and_staff():
    """Three verified demo members of each association (their listings go to different staff queues)."""
    by_assoc = {"PTA": [], "KLA": []}
    for company in COMPANIES:
        slug, assoc = company[0], company[4]
        if slug not in ("sialkot-machinery", "kazchem") and len(by_assoc[assoc]) < 3:
            by_assoc[assoc].append(f"owner@{slug}.example")
    return by_assoc["PTA"] + by_assoc["KLA"], [email for email, _, _ in STAFF]


def listing_form(title, country, token=None, submit=True):
    form = {
        "direction": "offer",
        "type": "technology_transfer",
        "title": title,
        "summary": "",
        "description": f"{title}: chrome tanning licence and on-site training for partner tanneries.",
        "language": "en",
        "target_countries": "KZ" if country == "PK" else "PK",
        "technology_transfer-form": "licence",
        "interest_deadline": "",
    }
    if token:
        form["form_token"] = token
    form["submit" if submit else "save"] = "x"
    return form


class Mix:
    """The write mix of one scenario: its actors, the acknowledged writes and every request's timing."""

    def __init__(self, portal, scenario, seconds):
        self.portal, self.scenario, self.seconds = portal, scenario, seconds
        self.recorder = Recorder()
        self.ledger = []  # {"kind": create|draft|approve, "title", "id"}: what the server acknowledged
        self.lock = threading.Lock()
        self.refused = 0  # POSTs answered with something else than a redirect (validation, stale, outage)
        self.retried = 0
        self.deadline = 0.0
        self.attempted = set()
        self.probes = []  # (moment, /readyz status, journal backlog, index writable)

    def acknowledge(self, **entry):
        with self.lock:
            self.ledger.append(entry)
        return entry

    def post(self, client, path, form):
        """POST; when no answer or a 5xx arrives, up to 3 times more a second apart with the same form and
        token, as a user pressing again would (the token makes that safe for creates)."""
        status, location, html = self.recorder.call(client, "POST", path, form, label="POST " + path)
        for _ in range(3):
            if status != 0 and status < 500:
                break
            with self.lock:
                self.retried += 1
            time.sleep(1.0)
            status, location, html = self.recorder.call(client, "POST", path, form, label="POST " + path)
        if status != 302:
            with self.lock:
                self.refused += 1
        return status, location, html

    def get_form(self, client, path):
        for _ in range(3):
            start = time.monotonic()
            try:
                status, token, html = client.form_page(path)
            except (OSError, ConnectionError):
                status, token, html = 0, None, ""
            with self.recorder.lock:
                self.recorder.samples.append((start, time.monotonic() - start, status, "GET form"))
            if status == 200:
                return token, html
            time.sleep(0.3)
        return None, None

    def listing_id(self, title):
        for _ in range(20):
            try:
                with self.portal.engine.connect() as conn:
                    return conn.scalar(sa.text("SELECT max(id) FROM listing WHERE title = :t"), {"t": title})
            except sa.exc.OperationalError:
                time.sleep(0.3)
        return None

    def member(self, k, email, country):
        client = Client(self.portal.base_url)
        self.login(client, email)
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            draft = n % 3 == 0
            title = f"Bench {self.scenario} m{k} #{n} {random.randrange(10**6):06d}"
            token, _ = self.get_form(client, "/listings/new")
            if token is None:
                continue
            status, _, _ = self.post(client, "/listings/new", listing_form(title, country, token, submit=not draft))
            if status != 302:
                continue
            entry = self.acknowledge(kind="draft" if draft else "create", title=title, id=None)
            if not draft:
                continue
            entry["id"] = self.listing_id(title)
            if entry["id"] is None or self.get_form(client, f"/listings/{entry['id']}/edit")[1] is None:
                continue
            edited = title + " (edited)"
            form = listing_form(edited, country, submit=False)
            status, _, _ = self.post(client, f"/listings/{entry['id']}/edit", form)
            if status == 302:
                entry["title"] = edited

    def login(self, client, email):
        for _ in range(10):
            try:
                client.login(email)
                return
            except (OSError, RuntimeError, ConnectionError):
                time.sleep(0.5)
        raise RuntimeError(f"{email} could not log in")

    def staff(self, email):
        client = Client(self.portal.base_url)
        self.login(client, email)
        while time.monotonic() < self.deadline:
            status, _, html = self.recorder.call(client, "GET", "/staff/listings/", label="GET queue")
            with self.lock:
                ids = [int(i) for i in QUEUE_LINK.findall(html) if int(i) not in self.attempted]
                pick = ids[-1] if ids else None  # the oldest waits longest
                if pick:
                    self.attempted.add(pick)
            if pick is None:
                time.sleep(0.5)
                continue
            _, page = self.get_form(client, f"/staff/listings/{pick}")
            version = VERSION.search(page or "")
            if not version:
                continue
            form = {"action": "approve", "comment": "", "version": version.group(1)}
            status, _, _ = self.post(client, f"/staff/listings/{pick}/decide", form)
            if status == 302:
                self.acknowledge(kind="approve", id=pick, title=None)

    def probe(self):
        """/readyz once a second: shows that a fault bit (backlog growing, index not writable) and recovered."""
        while time.monotonic() < self.deadline:
            status, report = readyz(self.portal)
            journal = report.get("journal") or {}
            index = report.get("index") or {}
            self.probes.append((time.monotonic(), status, journal.get("backlog"), index.get("writable")))
            time.sleep(1.0)

    def reader(self):
        client = Client(self.portal.base_url)
        ids = self.portal.ids("SELECT id FROM listing WHERE status = 'published'")
        paths = ["/search?q=chrome+tanning", "/search?q=hides", "/listings/", "/healthz", "/"]
        while time.monotonic() < self.deadline:
            path = random.choice([*paths, f"/listings/{random.choice(ids)}"])
            status, _, _ = self.recorder.call(client, "GET", path, label="GET " + path.split("?")[0])
            time.sleep(0.05 if status else 0.3)

    def run(self, fault):
        members, staff = members_and_staff()
        countries = {f"owner@{c[0]}.example": c[2] for c in COMPANIES}
        self.start = time.monotonic()
        self.deadline = self.start + self.seconds
        actors = [
            threading.Thread(target=self.member, args=(k, email, countries[email])) for k, email in enumerate(members)
        ]
        actors += [threading.Thread(target=self.staff, args=(email,)) for email in staff]
        actors += [threading.Thread(target=self.reader) for _ in range(2)]
        actors.append(threading.Thread(target=self.probe))
        for t in actors:
            t.start()
        windows = fault(self) if fault else []
        for t in actors:
            t.join(timeout=self.seconds + 120)
        return windows


# --- the faults: each runs in the main thread during the mix and returns its (start, end) windows ---------


def sleep_until(mix, offset):
    time.sleep(max(0.0, mix.start + offset - time.monotonic()))


def kill_worker(mix):
    windows = []
    for offset in range(5, int(mix.seconds), 10):
        sleep_until(mix, offset)
        pids = mix.portal.worker_pids()
        if pids:
            os.kill(random.choice(pids), signal.SIGKILL)
            windows.append((time.monotonic(), time.monotonic()))
    return windows


def kill_bg_worker(mix):
    windows = []
    for offset in range(5, int(mix.seconds), 10):
        sleep_until(mix, offset)
        t = time.monotonic()
        mix.portal.stop_worker(kill=True)
        time.sleep(1.0)  # a supervisor (systemd) restarts it after RestartSec
        mix.portal.start_worker()
        windows.append((t, time.monotonic()))
    return windows


def db_restart(mix):
    """The bench's own database refuses connections and its sessions are cut, for about a second."""
    sleep_until(mix, FAULT_AT)
    url = sa.engine.make_url(mix.portal.database_url)
    name = url.database
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            t = time.monotonic()
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
            )
            time.sleep(1.0)
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            end = time.monotonic()
    finally:
        admin.dispose()
    return [(t, end)]


def index_dirs(portal):
    base = portal.index_dir
    return [base, *[p for p in base.iterdir() if p.is_dir()]]


def index_unwritable(mix):
    sleep_until(mix, FAULT_AT)
    dirs = index_dirs(mix.portal)
    modes = {d: d.stat().st_mode & 0o7777 for d in dirs}
    t = time.monotonic()
    try:
        for d in dirs:
            d.chmod(0o555)
        time.sleep(HOLD)
    finally:
        for d, mode in modes.items():
            d.chmod(mode)
    return [(t, time.monotonic())]


def lock_held(mix):
    """A separate process (as the service user, so no root-owned lock file is left) takes the writer."""
    sleep_until(mix, FAULT_AT)
    base = mix.portal.index_dir
    version = base / (base / "CURRENT").read_text().strip()
    holder = subprocess.Popen(
        [*mix.portal.python(), "-c", HOLD_LOCK, str(version), str(HOLD)],
        env=mix.portal.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        **mix.portal.run_as(),
    )
    line = holder.stdout.readline().strip()
    t = time.monotonic()
    if line != "held":
        holder.kill()
        raise RuntimeError(f"could not take the index lock: {line} {holder.stdout.read()}")
    try:
        holder.wait(timeout=HOLD + 15)
    finally:
        if holder.poll() is None:
            holder.kill()
    return [(t, time.monotonic())]


FAULTS = {
    "baseline": None,
    "kill-worker": kill_worker,
    "kill-bg-worker": kill_bg_worker,
    "db-restart": db_restart,
    "index-unwritable": index_unwritable,
    "lock-held": lock_held,
}


# --- afterwards ------------------------------------------------------------------------------------------


def readyz(portal):
    client = Client(portal.base_url, timeout=10)
    try:
        status, _, body = client.request("GET", "/readyz")
        return status, json.loads(body)
    except (OSError, ValueError):
        return 0, {}
    finally:
        client.close()


def drain(portal, timeout=60.0):
    """Seconds until /readyz shows an empty journal (None when it did not within `timeout`)."""
    start = time.monotonic()
    if portal.worker_proc is None or portal.worker_proc.poll() is not None:
        portal.stop_worker()
        portal.start_worker()
    while time.monotonic() - start < timeout:
        _, report = readyz(portal)
        if (report.get("journal") or {}).get("backlog") == 0:
            return time.monotonic() - start
        time.sleep(0.5)
    return None


def lost_writes(portal, ledger):
    """Acknowledged writes the database does not show, and creates that were made twice."""
    lost, duplicates = [], 0
    with portal.engine.connect() as conn:
        for entry in ledger:
            if entry["kind"] == "approve":
                status = conn.scalar(sa.text("SELECT status FROM listing WHERE id = :i"), {"i": entry["id"]})
                ok = status is not None and str(status).lower() == "published"
            elif entry.get("id"):
                title = conn.scalar(sa.text("SELECT title FROM listing WHERE id = :i"), {"i": entry["id"]})
                ok = title == entry["title"]
            else:
                count = conn.scalar(sa.text("SELECT count(*) FROM listing WHERE title = :t"), {"t": entry["title"]})
                ok, duplicates = count >= 1, duplicates + (count > 1)
            if not ok:
                lost.append(entry)
    return lost, duplicates


def search_check(portal):
    result = portal.flask("search", "check")
    match = CHECK_LINE.search(result.stdout)
    if not match:
        return None, (result.stdout + result.stderr)[-600:]
    indexed, expected, missing, extra, stale = map(int, match.groups())
    return {"indexed": indexed, "expected": expected, "missing": missing, "extra": extra, "stale": stale}, ""


def in_any(moment, windows, after=0.0):
    return any(start <= moment <= end + after for start, end in windows)


def overlaps(sample, windows):
    start, seconds = sample[0], sample[1]
    return any(start <= end and start + seconds >= w_start for w_start, end in windows)


def run_scenario(portal, scenario, seconds):
    mix = Mix(portal, scenario, seconds)
    windows = mix.run(FAULTS[scenario])
    drained = drain(portal)
    lost, duplicates = lost_writes(portal, mix.ledger)
    check, check_error = search_check(portal)
    samples = mix.recorder.samples
    grace = 3.0 if scenario == "db-restart" else 0.0  # the outage and the pool's reconnects just after it
    errors = [s for s in samples if s[2] >= 500]
    inside = [s for s in errors if in_any(s[0], windows, grace) or overlaps(s, windows)] if grace else []
    held = scenario in ("lock-held", "index-unwritable")
    during = sorted((s[1], s[3]) for s in samples if held and overlaps(s, windows))
    outside = sorted((s[1], s[3]) for s in samples if not (held and overlaps(s, windows)))
    backlogs = [p[2] for p in mix.probes if p[2] is not None]
    statuses = {}
    for s in samples:
        if s[2] >= 500 or s[2] == 0:
            statuses[s[2]] = statuses.get(s[2], 0) + 1
    latencies = [s[1] * 1000 for s in samples]
    return {
        "scenario": scenario,
        "requests": len(samples),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "acked": len(mix.ledger),
        "kinds": {k: sum(e["kind"] == k for e in mix.ledger) for k in ("create", "draft", "approve")},
        "lost": len(lost),
        "lost_sample": lost[:3],
        "duplicates": duplicates,
        "refused": mix.refused,
        "retried": mix.retried,
        "no_answer": sum(s[2] == 0 for s in samples),
        "5xx": len(errors) - len(inside),
        "5xx_window": len(inside),
        "5xx_paths": sorted({f"{s[2]} {s[3]}" for s in errors})[:4],
        "slowest_during": during[-1][0] if during else None,
        "slowest_during_label": during[-1][1] if during else None,
        "slowest_outside": outside[-1] if outside else None,
        "backlog_max": max(backlogs) if backlogs else None,
        "unwritable_seen": any(p[3] is False for p in mix.probes),
        "readyz_statuses": sorted({p[1] for p in mix.probes}),
        "bad_statuses": statuses,
        "drained": drained,
        "check": check,
        "check_error": check_error,
    }


def fmt(value, spec=".0f"):
    return "-" if value is None else format(value, spec)


def print_result(r):
    c = r["check"] or {}
    index = f"{c.get('missing', '?')}/{c.get('stale', '?')}/{c.get('extra', '?')}" if c else "check failed"
    print(
        f"{r['scenario']:<17} {r['acked']:>5} {r['lost']:>4} {r['duplicates']:>4} {index:>10} "
        f"{r['5xx']:>4} {r['5xx_window']:>6} {r['no_answer']:>6} {fmt(r['slowest_during'], '.2f'):>9} "
        f"{fmt(r['drained'], '.1f'):>7} {fmt(r['p50']):>6} {fmt(r['p99']):>6}",
        flush=True,
    )
    notes = []
    if r["lost"]:
        notes.append(f"lost e.g. {r['lost_sample']}")
    if r["5xx_paths"]:
        notes.append(f"5xx on {r['5xx_paths']}")
    if r["check_error"]:
        notes.append(f"search check: {r['check_error']!r}")
    notes.append(f"writes {r['kinds']}, refused {r['refused']}, resent {r['retried']}, requests {r['requests']}")
    if r["bad_statuses"]:
        notes.append(f"5xx/no-answer by status {r['bad_statuses']}")
    slow = r["slowest_outside"]
    notes.append(
        f"/readyz: statuses {r['readyz_statuses']}, journal backlog max {r['backlog_max']}"
        + (", index reported not writable" if r["unwritable_seen"] else "")
        + (f"; slowest request outside the fault {slow[0]:.2f} s ({slow[1]})" if slow else "")
        + (f"; slowest during it: {r['slowest_during_label']}" if r["slowest_during_label"] else "")
    )
    for note in notes:
        print(f"{'':<17}   {note}", flush=True)


HEADER = (
    f"{'scenario':<17} {'acked':>5} {'lost':>4} {'dups':>4} {'idx m/s/x':>10} {'5xx':>4} {'5xx@db':>6} "
    f"{'noans':>6} {'slow@hold':>9} {'drain s':>7} {'p50ms':>6} {'p99ms':>6}"
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="all", choices=[*SCENARIOS, "all"])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each scenario's write mix")
    args = parser.parse_args(argv)
    scenarios = SCENARIOS if args.scenario == "all" else [args.scenario]
    ensure_user()
    started = time.monotonic()
    with Portal(listings=0, workers=4, user=USER) as portal:
        print(
            f"portal as {USER}: gunicorn 4 workers (master {portal.master_pid}) + flask worker; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in portal.timings.items()),
            flush=True,
        )
        print(HEADER, flush=True)
        for scenario in scenarios:
            print_result(run_scenario(portal, scenario, args.seconds))
    print(
        f"total {time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus. "
        "idx m/s/x: documents missing/stale/extra in `flask search check` after the drain; "
        "slow@hold: slowest request (s) overlapping the lock hold or the unwritable window; "
        "noans: requests without an answer (a killed worker's connections)."
    )


if __name__ == "__main__":
    main()
