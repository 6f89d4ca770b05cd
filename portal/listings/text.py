"""Listing text helpers: safe Markdown, plain-text excerpts, and gettext that also works outside a request."""

import re

import markdown
from bleach.html5lib_shim import Filter
from bleach.sanitizer import Cleaner
from flask_babel import gettext
from markupsafe import Markup

ALLOWED_TAGS = ["p", "ul", "ol", "li", "strong", "em", "a", "code", "pre", "blockquote", "h3", "h4", "br"]
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


class NoFollowFilter(Filter):
    """Every link gets rel="nofollow noopener": members' links must not borrow the portal's reputation."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                token["data"][(None, "rel")] = "nofollow noopener"
            yield token


# bleach.linkify would add rel too, but it double-escapes text inside <pre>/<code>.
_cleaner = Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True, filters=[NoFollowFilter]
)


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML, then an allow-list sanitizer: scripts, event handlers and javascript: URLs go."""
    if not text:
        return Markup("")
    html = markdown.markdown(text, extensions=["sane_lists", "fenced_code"], output_format="html")
    return Markup(_cleaner.clean(html))  # noqa: S704 - sanitized above with an allow-list


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


def _(text: str, **values) -> str:
    """gettext in a request or under force_locale; plain English in the CLI and scripts otherwise."""
    try:
        return gettext(text, **values)
    except RuntimeError:  # no request and no forced locale: the locale selector needs a request
        return text % values if values else text
