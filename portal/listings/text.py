"""Listing text helpers: safe Markdown and plain-text excerpts."""

import re

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "ul", "ol", "li", "strong", "em", "a", "code", "pre", "blockquote", "h3", "h4", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML, then an allow-list sanitizer: scripts, event handlers and javascript: URLs go.

    Every link gets rel="nofollow noopener": members' links must not borrow the portal's reputation.
    The text inside a dropped <script> or <style> stays as escaped text, as it did before nh3."""
    if not text:
        return Markup("")
    html = markdown.markdown(text, extensions=["sane_lists", "fenced_code"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_PROTOCOLS,
        link_rel="nofollow noopener",
        clean_content_tags=set(),
    )
    return Markup(clean)  # noqa: S704 - sanitized above with an allow-list


_HTML_TAGS = re.compile(r"</?[A-Za-z][^>]*>")
# Markdown marks: headings, quotes and bullets at line starts, emphasis and code marks, link brackets and URLs.
_MARKUP_CHARS = re.compile(r"(?m)^[ \t]*(?:#{1,6}|>+|[-*+](?=\s))|[*_`]+|[\[\]]|\((?:https?|mailto):[^)]*\)")


def excerpt(text: str | None, length: int = 200) -> str:
    """The first `length` characters as plain text (Markdown marks dropped), cut at a word."""
    plain = " ".join(_MARKUP_CHARS.sub(" ", _HTML_TAGS.sub(" ", text or "")).split())
    if len(plain) <= length:
        return plain
    cut = plain[:length].rsplit(" ", 1)[0] or plain[:length]
    return cut.rstrip(",.;:") + "…"
