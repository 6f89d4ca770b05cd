"""Small helpers shared by blueprints: safe redirects, token hashing, one-line text, pagination, downloads."""

import hashlib
import unicodedata
from urllib.parse import quote, unquote, urlsplit

from flask import abort, current_app, redirect, request, url_for

from .extensions import db


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths: no scheme, no host, no '//' or backslash tricks, no control characters.

    The path is checked again percent-decoded: a proxy or browser that decodes `/%5Cevil.example` or
    `/%2F/evil.example` before resolving it would otherwise leave the site."""
    if not target or not target.startswith("/"):
        return False
    parts = urlsplit(target)
    for text in (target, unquote(parts.path)):
        if text.startswith("//") or "\\" in text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            return False
    return not parts.scheme and not parts.netloc


def redirect_next(default_endpoint: str = "main.index", **values):
    target = request.args.get("next") or request.form.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Format characters that reorder or hide text (Trojan Source bidi overrides and isolates, zero-width
# space, word joiner, BOM, interlinear annotation). ZWJ/ZWNJ and the LRM/RLM/ALM marks stay allowed:
# Urdu and mixed-script names need them.
DANGEROUS_FORMAT = frozenset(
    [*range(0x202A, 0x202F), *range(0x2066, 0x2070), 0x200B, 0x2060, 0xFEFF, *range(0xFFF9, 0xFFFC)]
)


def is_unsafe_char(ch: str) -> bool:
    """Control characters (CR, LF, tab, NUL, DEL, C1), line/paragraph separators, dangerous format characters."""
    category = unicodedata.category(ch)
    return category in ("Cc", "Zl", "Zp", "Cs") or (category == "Cf" and ord(ch) in DANGEROUS_FORMAT)


def has_unsafe_chars(text: str) -> bool:
    return any(is_unsafe_char(ch) for ch in text)


def clean_line(text: str, max_length: int | None = None) -> str:
    """One line of text: unsafe characters become spaces, runs of whitespace collapse, then capped."""
    text = " ".join("".join(" " if is_unsafe_char(ch) else ch for ch in text or "").split())
    return text[: max_length - 1] + "…" if max_length and len(text) > max_length else text


def page_number(default: int = 1) -> int:
    """The `?page=` number. Missing, not a number or below 1: `default`. Above MAX_PAGE: 404, before any
    query, so `?page=10000000000000000000` never becomes an OFFSET the database cannot hold."""
    raw = request.args.get("page", "")
    digits = raw.lstrip("0")
    if not raw.isascii() or not raw.isdigit() or not digits:
        return default
    if len(digits) > 9 or int(digits) > current_app.config["MAX_PAGE"]:  # no int() of a 5,000-digit string
        abort(404)
    return int(digits)


def paginate(select, per_page: int | None = None, default_page: int = 1):
    """The one way pages are cut: db.paginate with a safe page number; beyond the last page is 404.

    `per_page` is fixed by the view (PAGE_SIZE by default); `?per_page=` from the URL is never read."""
    page = page_number(default_page)
    result = db.paginate(select, page=page, per_page=per_page or current_app.config["PAGE_SIZE"], error_out=False)
    if page > max(result.pages, 1):
        abort(404)
    return result


def is_safe_web_url(url: str, max_length: int = 500) -> bool:
    """An absolute http(s) link on one line: no whitespace, no control characters, no user:password@,
    a host, a sane length. Such a value can go into a calendar's URL or an href as it is."""
    if not isinstance(url, str) or not url or len(url) > max_length:
        return False
    if any(ch.isspace() or is_unsafe_char(ch) for ch in url):
        return False
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an invalid IPv6 literal
        return False
    return parts.scheme.lower() in ("http", "https") and bool(hostname) and "@" not in parts.netloc


def as_download(response, filename: str):
    """Private file headers: saved, never rendered or sniffed by the browser, never cached on the way."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
