"""Logs and metrics in one place: JSON log lines carrying each request's id, and Prometheus metrics at /metrics.

Why here and not spread out: the request id must be chosen before any other code logs, appear on every
line, every response and every error page, and the metrics need the same per-request hooks; one module
keeps the order of those hooks visible."""

import hmac
import ipaddress
import logging
import os
import re
import sys
import time
import uuid

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, has_request_context, request
from flask.logging import default_handler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics
from pythonjsonlogger.json import JsonFormatter

from .extensions import db
from .security import allow_plain_http

log = logging.getLogger(__name__)
access_log = logging.getLogger("portal.access")

HEADER = "X-Request-ID"
ENVIRON_KEY = "portal.request_id"
START_KEY = "portal.request_start"
# An incoming id goes into every log line: accept only a short plain token, never arbitrary text.
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HANDLER_MARK = "_portal_handler"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

bp = Blueprint("observability", __name__)


def init_app(app) -> None:
    configure_logging(app)
    configure_request_ids(app)
    configure_metrics(app)


# --- logs -------------------------------------------------------------------------------------------


class RequestContextFilter(logging.Filter):
    """Stamps the current request's id on every record a handler sees, whichever logger made it.

    A handler filter (not a logger filter) so records propagated from any module's logger get it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            request_id = request.environ.get(ENVIRON_KEY)
            if request_id:
                record.request_id = request_id
        return True


class TextFormatter(logging.Formatter):
    """Development's readable lines; control characters escaped so a crafted path cannot forge a line."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_tag = f" [{record.request_id}]" if getattr(record, "request_id", None) else ""
        record.msg, record.args = _escape_controls(record.getMessage()), None
        return super().format(record)


def _escape_controls(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def make_formatter(kind: str) -> logging.Formatter:
    """'json': one object a line (time, level, logger, process, message and any extra fields); else text."""
    if kind == "json":
        formatter = JsonFormatter(
            "{asctime}{levelname}{name}{process}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,  # Cyrillic and Urdu stay readable; control characters are still escaped
        )
        # ISO 8601 in UTC, so lines from several hosts sort and join whatever their time zones
        formatter.converter = time.gmtime
        formatter.default_time_format, formatter.default_msec_format = "%Y-%m-%dT%H:%M:%S", "%s.%03dZ"
        return formatter
    return TextFormatter()


def make_handler(stream, kind: str) -> logging.Handler:
    """The portal's handler on any stream; tests attach one to a StringIO to read exactly what is written."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(kind))
    handler.addFilter(RequestContextFilter())
    return handler


def configure_logging(app) -> None:
    """One handler on the root logger, replaced (not added) each time an app is built in this process.

    Tests build many apps and read records through caplog, so under TESTING no handler is installed: a
    handler bound to pytest's captured stderr would outlive the test that owns it."""
    if app.testing:
        return
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = make_handler(sys.stderr, app.config.get("LOG_FORMAT", "text"))
    setattr(handler, HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO").upper())
    app.logger.removeHandler(default_handler)  # its records reach the root handler; no second copy


# --- request ids ------------------------------------------------------------------------------------


def choose_request_id(incoming: str | None) -> str:
    """The caller's id when it is a sane token (a proxy's, so its log and ours join up); else a new one."""
    if incoming and SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Chooses the id at the WSGI edge and puts it on every response Flask sends, error pages included."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        request_id = choose_request_id(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        environ[START_KEY] = time.perf_counter()

        def start_with_id(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_id)


def current_request_id() -> str | None:
    """For templates (the error page's "Reference"): the id of the request being answered, if any."""
    return g.get("request_id") if has_request_context() else None


def configure_request_ids(app) -> None:
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)

    @app.before_request
    def _remember_request_id():
        g.request_id = request.environ.get(ENVIRON_KEY) or choose_request_id(None)

    @app.after_request
    def _access_line(response):
        started = request.environ.get(START_KEY)
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response


# --- metrics ----------------------------------------------------------------------------------------


class QueueCollector:
    """Gauges read from the database when Prometheus scrapes, so idle workers never poll it.

    Registered on each scrape's registry in multiprocess mode: every worker could answer the scrape, and
    the numbers are the database's, the same whichever does."""

    def describe(self):
        return []  # nothing to check for clashes; collect() queries the database only at scrape time

    def collect(self):
        up = GaugeMetricFamily("portal_metrics_database_up", "1 when the scrape could read the database")
        try:
            families = list(self._database_families())
        except Exception:  # noqa: BLE001 - a scrape reports the outage instead of failing
            db.session.rollback()
            log.warning("metrics: could not read the queues from the database", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        yield from self._journal_families()

    def _database_families(self):
        from .models.base import utcnow
        from .models.user import OutboxMessage

        pending = sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        count, oldest = db.session.execute(
            sa.select(sa.func.count(OutboxMessage.id), sa.func.min(OutboxMessage.created_at)).where(pending)
        ).one()
        db.session.rollback()  # end the read transaction; the scrape changes nothing
        yield GaugeMetricFamily("portal_mail_outbox_pending", "Outbox messages neither sent nor given up", count)
        age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest else 0.0
        yield GaugeMetricFamily(
            "portal_mail_outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox message", age
        )

    def _journal_families(self):
        """This host's index against the search journal."""
        from .search import journal_status

        try:
            status = journal_status()
        except Exception:  # noqa: BLE001 - the index is a cache; its metrics may be missing, the scrape not
            db.session.rollback()
            log.warning("metrics: search.journal_status() failed", exc_info=True)
            return
        gauges = (
            ("backlog", "portal_search_journal_backlog", "Search journal entries this host's index has not applied"),
            ("oldest_age_seconds", "portal_search_journal_oldest_age_seconds", "Age of the oldest unapplied entry"),
            ("failing", "portal_search_index_failing", "1 when the last attempt to apply the journal failed"),
            ("needs_rebuild", "portal_search_index_needs_rebuild", "1 when this host's index must be rebuilt"),
        )
        for key, name, documentation in gauges:
            if status.get(key) is not None:
                yield GaugeMetricFamily(name, documentation, float(status[key]))


def multiprocess() -> bool:
    """gunicorn's workers share counters through files in PROMETHEUS_MULTIPROC_DIR (prometheus_client's own)."""
    return bool(os.environ.get(MULTIPROC_ENV))


def configure_metrics(app) -> None:
    """Request latency by endpoint (prometheus-flask-exporter), login failures, and the queue gauges.

    Each app has its own registry so tests may build many; in multiprocess mode the exporter's
    gunicorn class checks the directory exists, and values land in its files whatever the registry."""
    registry = CollectorRegistry()
    options = dict(path=None, registry=registry, group_by="endpoint", excluded_paths=["^/metrics$"])
    if multiprocess():
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        exporter = GunicornInternalPrometheusMetrics.for_app_factory(**options)
    else:
        exporter = PrometheusMetrics.for_app_factory(**options)
    exporter.init_app(app)
    queues = QueueCollector()
    if not multiprocess():
        registry.register(queues)
    login_failures = Counter(
        "portal_login_failures_total", "Logins refused for a wrong email or password", registry=registry
    )
    app.extensions["observability"] = {"registry": registry, "queues": queues, "login_failures": login_failures}
    app.register_blueprint(bp)


def count_login_failure() -> None:
    """Called where the login view refuses a password; the rows in login_failure stay the throttle's."""
    current_app.extensions["observability"]["login_failures"].inc()


def scrape_allowed() -> bool:
    """The bearer token when one is set; else a client address in METRICS_ALLOW.

    A request that came through a proxy (X-Forwarded-For) needs the token: behind nginx without
    PROXY_HOPS every visitor would otherwise look like the loopback."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
            return True
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for allowed in current_app.config.get("METRICS_ALLOW", ()):
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            log.warning("metrics: ignoring %r in PORTAL_METRICS_ALLOW", allowed)
    return False


@bp.route("/metrics")
@allow_plain_http  # Prometheus scrapes over plain HTTP on the inside
def metrics():
    """Prometheus's text format; 404 to anyone else, so the route reveals nothing either."""
    if not scrape_allowed():
        abort(404)
    state = current_app.extensions["observability"]
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(state["queues"])
    else:
        registry = state["registry"]
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
