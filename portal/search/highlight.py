"""Hits' titles and snippets with the query's words in <mark>, every character of them HTML-escaped."""

import html
import re

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

    def format_fragment(self, fragment, replace=False):
        """A fragment widened to whole words (a sentence start when one is near), with an ellipsis
        where it cuts the text, so a snippet never starts or ends in the middle of a word."""
        text = fragment.text
        start = _word_start(text, fragment.startchar)
        end = _word_end(text, fragment.endchar)
        fragment.startchar, fragment.endchar = start, end
        body = super().format_fragment(fragment, replace=replace)
        return ("…" if start > 0 else "") + body.strip() + ("…" if end < len(text) else "")


SENTENCE_LOOKBACK = 40  # characters back to look for the sentence the fragment starts in
ADJACENT_MARKS = re.compile(r"</mark>([-‐‑ ]?)<mark>")


def _word_start(text: str, i: int) -> int:
    sentence = max(
        text.rfind(". ", max(0, i - SENTENCE_LOOKBACK), i), text.rfind("\n", max(0, i - SENTENCE_LOOKBACK), i)
    )
    if sentence >= 0:
        return sentence + 1 + (text[sentence] == ".")
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i].isspace():
        i += 1
    return i


_analyzer = MultilingualAnalyzer()


def marked(text: str, terms, fragmenter, top: int = 2, minscore: int = 1) -> str:
    """The text's best fragments with the query's words in <mark>, every fragment HTML-escaped."""
    if not text or not terms:
        return ""
    found = highlight(text, terms, _analyzer, fragmenter, EscapingFormatter(), top=top, minscore=minscore)
    return ADJACENT_MARKS.sub(r"\1", found)  # "wet-blue" and "wet blue" marked as one


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
