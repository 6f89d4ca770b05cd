"""Small helpers shared by blueprints: safe redirects and token hashing."""

import hashlib
from urllib.parse import urlsplit

from flask import redirect, request, url_for


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths: no scheme, no host, no '//' or backslash tricks, no control characters."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def redirect_next(default_endpoint: str = "main.index", **values):
    target = request.args.get("next") or request.form.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
