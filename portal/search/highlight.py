"""Hits' titles and snippets with the query's words in <mark>, every character of them HTML-escaped."""

import html

from markupsafe import Markup
from whoosh.highlight import ContextFragmenter, WholeFragmenter, get_text, highlight

from .analysis import MultilingualAnalyzer
from .whoosh_private import TextEscapingFormatter


class EscapingFormatter(TextEscapingFormatter):
    """Every fragment is HTML-escaped, quotes included (Whoosh's HtmlFormatter leaves quotes); hits
    are wrapped in <mark>."""

    between = " … "

    def escape_text(self, text):
        return html.escape(text, quote=True)

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(get_text(text, token, replace), quote=True)}</mark>"


_analyzer = MultilingualAnalyzer()


def marked(text: str, terms, fragmenter, top: int = 2, minscore: int = 1) -> str:
    """The text's best fragments with the query's words in <mark>, every fragment HTML-escaped."""
    if not text or not terms:
        return ""
    return highlight(text, terms, _analyzer, fragmenter, EscapingFormatter(), top=top, minscore=minscore)


def title(text: str, terms) -> Markup:
    """The whole title, its query words marked."""
    found = marked(text, terms, WholeFragmenter(), top=1, minscore=0) or html.escape(text, quote=True)
    return Markup(found)  # noqa: S704 - escaped by EscapingFormatter or here


def snippet(hit, terms) -> Markup:
    """The best fragments of the description or summary, or the summary's start when no word is in them."""
    for fieldname in ("text", "summary"):
        found = marked(hit.get(fieldname) or "", terms, ContextFragmenter(maxchars=240, surround=60))
        if found:
            return Markup(found)  # noqa: S704 - escaped by EscapingFormatter
    plain = hit.get("summary") or hit.get("text") or ""
    if len(plain) > 240:
        plain = plain[:240].rsplit(" ", 1)[0] + "…"
    return Markup(html.escape(plain, quote=True))  # noqa: S704 - escaped here
