"""Page weight: fingerprinted static URLs cached for a year, compressed assets, and /favicon.ico.

Fingerprints. Every `url_for('static', filename=...)` gets `?v=<first 12 hex of the file's sha256>`
(an `url_defaults` hook, so templates change nothing). The hash is computed once per file version and
process: the cache key is the file's (inode, mtime, size), so an edited file gets a new URL at once, in
development too, with no build step. A request whose `v` is the file's current fingerprint is answered
`Cache-Control: public, max-age=31536000, immutable`; any other static request (no `v`, or a stale one
from a page rendered before a deploy) gets a short max-age, because its content may change under that URL.
deploy/nginx/leather-bridge.conf does the same from disk for `/static/` (it cannot check the hash, only
that `v` is there).

Compression (Flask-Compress, brotli or gzip, whichever the browser prefers): CSS, JavaScript, SVG and
JSON always; HTML pages only for visitors who are not logged in. The reason is BREACH: a page compressed
over TLS that reflects what an attacker chose (a search, a filter, a form error) beside a secret lets
someone who watches response lengths, and can make the victim's browser load the page many times,
recover the secret a byte at a time. SameSite=Lax does not stop it (top-level navigations carry the
cookie). What a page holds:
- the CSRF token (every page: the language form). Flask-WTF signs it with a timestamp in seconds, so
  the only constant part is the unsigned payload, useless without its signature, and the signature
  changes every second: too fast for the thousands of requests the attack needs. Not a reason on its own;
- a logged-in page's content: names, contact details, messages, other companies' files in the staff
  queues. These are secrets worth the attack, so a logged-in user's page is compressed only for a
  request the browser marks as coming from the portal itself or the user (html_may_be_compressed),
  never for one another site started;
- an anonymous visitor's page shows only what anyone can see, so it is compressed (the public listing
  and company indexes are the largest pages, and the repeat-visit budget is met only so).
nginx compresses static files itself and passes the portal's pages through as they are, never gzipping
them on its own (deploy/nginx/leather-bridge.conf; docs/operations.md, "Compression and static caching").
JSON answers (health, readiness, API errors) carry no secret. bench/page_weight.py prints the figures.

Only full 200 answers are compressed (a 206 range answer keeps the bytes it promised), and a static
file's compressed body is kept per process, keyed by its fingerprint, so a file is compressed once
per algorithm.
"""

import hashlib
import os
import re
from dataclasses import dataclass, field
from threading import Lock

from flask import current_app, g, request, session
from flask_compress import Compress, DictCache
from werkzeug.security import safe_join

FINGERPRINT_ARG = "v"
FINGERPRINT_LENGTH = 12
YEAR = 365 * 24 * 3600
SHORT_MAX_AGE = 3600  # an unfingerprinted URL: a change shows within the hour (nginx's `expires 1h` too)
COMPRESSED_TYPES = [
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]  # favicon.ico holds PNGs, already compressed
COMPRESS_SETTINGS = {
    "COMPRESS_MIMETYPES": [*COMPRESSED_TYPES, "text/html"],  # HTML for anonymous visitors only: see above
    "COMPRESS_ALGORITHM": ["br", "gzip"],  # what every current browser accepts; br is ~15% smaller
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_REGISTER": False,  # called from after_request below, which picks the responses
}


@dataclass
class Fingerprints:
    """sha256 prefixes of the files in one static folder, by (path, inode, mtime, size)."""

    folder: str
    known: dict = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)

    def of(self, filename: str) -> str | None:
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None  # a missing file: url_for still builds, the request will answer 404
        key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        digest = self.known.get(key)
        if digest is None:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()[:FINGERPRINT_LENGTH]
            with self.lock:
                self.known = {k: v for k, v in self.known.items() if k[0] != path}  # drop the old version
                self.known[key] = digest
        return digest


def init_app(app) -> None:
    fingerprints = Fingerprints(app.static_folder)
    app.extensions["static_fingerprints"] = fingerprints
    for name, value in COMPRESS_SETTINGS.items():
        app.config.setdefault(name, value)
    compress = Compress()
    compress.init_app(app)
    static_compress = Compress()
    static_compress.init_app(app)
    static_compress.cache = DictCache()  # bounded by the static files and their versions
    static_compress.cache_key = lambda req: f"{req.view_args['filename']}:{fingerprints.of(req.view_args['filename'])}"
    # Browsers ask for /favicon.ico by themselves: a second URL of the static endpoint, so it is cached,
    # fingerprinted and compressed like any static file, and the staff idle check and the route matrix
    # skip it as they skip static. url_for('static', filename='favicon.ico') builds this URL.
    app.add_url_rule("/favicon.ico", endpoint="static", defaults={"filename": "favicon.ico"})

    @app.url_defaults
    def _fingerprint_static_urls(endpoint, values):
        if endpoint == "static" and "filename" in values and FINGERPRINT_ARG not in values:
            digest = fingerprints.of(values["filename"])
            if digest:
                values[FINGERPRINT_ARG] = digest

    @app.after_request
    def _cache_and_compress(response):
        if request.endpoint == "static":
            set_static_cache(response, fingerprints)
            if response.status_code == 200 and response.mimetype in COMPRESSED_TYPES:
                response.direct_passthrough = False
                response.get_data()  # a file is read whole (they are small): a Content-Length, and the cache
                return static_compress.after_request(response)
            return response
        if response.status_code != 200 or (response.mimetype == "text/html" and not html_may_be_compressed()):
            return response
        return compress.after_request(response)


def html_may_be_compressed() -> bool:
    """A visitor's page always; a logged-in user's page only when the browser says the request came from
    the portal's own pages or from the user (Sec-Fetch-Site: same-origin or none). BREACH needs the
    victim's browser to load many pages the attacker chose, from the attacker's site: those requests are
    marked cross-site by the browser (a header no page can forge) and are answered uncompressed, so their
    lengths say nothing about the secret; the member's own clicks stay small."""
    return viewer_is_anonymous() or request.headers.get("Sec-Fetch-Site") in ("same-origin", "none")


def viewer_is_anonymous() -> bool:
    """No one is logged in for this response. Reads the user Flask-Login loaded for the page, without
    loading one (no query in an after_request hook, which must not fail while the database is down)."""
    user = g.get("_login_user")
    if user is not None:
        return not user.is_authenticated
    return "_user_id" not in session


VERSIONED_VENDOR = re.compile(r"vendor/[a-z0-9-]+-\d+(?:\.\d+)+/")


def set_static_cache(response, fingerprints: Fingerprints) -> None:
    """A year and immutable when the URL names this very content (its fingerprint, or a versioned vendor
    directory such as vendor/noto-nastaliq-urdu-5.3.0/, which stylesheets reference without one);
    otherwise a short max-age."""
    if response.status_code not in (200, 206, 304):
        return
    filename = (request.view_args or {}).get("filename", "")
    asked = request.args.get(FINGERPRINT_ARG)
    current = fingerprints.of(filename)
    cache = response.cache_control
    cache.no_cache = None
    cache.public = True
    if (asked and asked == current) or VERSIONED_VENDOR.match(filename):
        cache.max_age = YEAR
        cache.immutable = True
    else:
        cache.max_age = SHORT_MAX_AGE
    response.headers.pop(
        "Expires", None
    )  # Cache-Control's max-age is what counts; one header, not two that could disagree


def fingerprint(filename: str) -> str | None:
    """The current fingerprint of a static file (for tests and scripts), or None when it is missing."""
    return current_app.extensions["static_fingerprints"].of(filename)
