"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py "portal:create_app()"`.

It lives in deploy/ rather than at the top level on purpose: gunicorn reads ./gunicorn.conf.py by
itself, so a top-level file would silently change every gunicorn the tests and bench scripts start.
Every value can be overridden by an environment variable (GUNICORN_*) or by a command-line flag.
"""

import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Loopback only: nginx in front is the one thing that talks to gunicorn.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: 2 per core plus one, bounded so a large host does not open more database connections
# (each worker has its own pool) and Whoosh readers than it can use. WEB_CONCURRENCY is gunicorn's
# conventional override; GUNICORN_WORKERS wins over it.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", min(max(2, multiprocessing.cpu_count() * 2 + 1), 8)))
worker_class = "sync"  # nginx buffers slow clients, so a sync worker is never held by one

# A request may take at most `timeout` seconds before the arbiter kills its worker (nginx's
# proxy_read_timeout is a little longer, so nginx answers 504 only after gunicorn gave up).
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (systemctl stop/restart) workers finish their requests for this long, then are killed.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Recycle each worker after about this many requests, so a slow leak cannot grow for weeks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# The heartbeat file in memory, not on a disk that may stall (and /tmp is private under systemd).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No preload: each worker imports the app and opens its own database pool and Whoosh index after the
# fork. With preload_app = True the master's SQLAlchemy connections and open index files would be
# inherited by every worker and used by several processes at once (corrupt protocol state, wrong locks).
preload_app = False

# Logs to stdout/stderr: systemd's journal keeps them. The first address is nginx's; the client's is
# the forwarded one (the portal itself trusts it only through PORTAL_PROXY_HOPS).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s fwd=%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s" pid=%(p)s'
proc_name = "leather-bridge"

# The service user comes from the systemd unit (User=leather); gunicorn never needs root, since it binds
# a port above 1024. Production refuses to start as root, so a forgotten User= cannot give every request
# root's rights (an upload bug would then write anywhere). GUNICORN_ALLOW_ROOT=1 is for throwaway
# containers and the test suite, which run as root.
if (
    os.environ.get("PORTAL_ENV") == "production"
    and hasattr(os, "geteuid")
    and os.geteuid() == 0
    and os.environ.get("GUNICORN_ALLOW_ROOT") != "1"
):
    sys.exit(
        "leather-bridge: refusing to run gunicorn as root in production; run it as the service user (User=leather)."
    )


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, drop a dead worker's live gauges from the shared metric files."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    try:
        from prometheus_client import multiprocess
    except ImportError:
        return
    multiprocess.mark_process_dead(worker.pid)
