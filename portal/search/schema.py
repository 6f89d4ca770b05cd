"""The index schema: listings and verified companies in one index, told apart by their `kind` facet.

Built for indexing speed in pure Python as much as for querying:

* one searchable `body` field holds title, summary, company name and description, each word
  weighted by its part (title 3, summary 2, company 1.5, description 1; see analysis.BODY_BOOSTS):
  summing weighted frequencies before saturation is BM25F proper, and one postings list per word
  instead of four makes queries four times lighter; the parts are stored for display and highlights;
* every filter and facet value lives in ONE keyword field, `facet`, as "name:value" terms
  (kind:listing, type:trade, direction:offer, country:PK, association:PTA, verified:1,
  company:12, certification:cert_lwg, expiry:20250301 ...) - one lexicon to turn into cached bitmaps;
* concepts have their own scorable keyword field (ids repeated by weight) for BM25 retrieval;
* dates for sorting are columns, not indexed terms;
* what matching, highlighting and `search check` read back is stored.
"""

from datetime import datetime

from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import MultilingualAnalyzer

# Stands in for "no date" so sorting needs no special case.
FAR_FUTURE = datetime(2200, 1, 1)
STORED_TEXT = ("title", "summary", "company", "text")


def make_schema() -> Schema:
    analyzer = MultilingualAnalyzer()
    return Schema(
        id=ID(unique=True, stored=True),  # "listing:12" / "company:3"
        facet=KEYWORD(lowercase=False, scorable=True),
        concepts=KEYWORD(lowercase=False, scorable=True),
        # Frequencies, no positions: indexing is a third cheaper, and quoted phrases are searched
        # as "all these words" (query.py) - the concepts already catch the multi-word trade terms.
        body=TEXT(analyzer=analyzer, phrase=False),  # (title, summary, company, text), weighted per part
        title=STORED(),
        summary=STORED(),
        company=STORED(),
        text=STORED(),
        published=COLUMN(columns.NumericColumn("Q")),  # yyyymmddHHMMSS, for "newest"
        deadline=COLUMN(columns.NumericColumn("Q")),  # for "deadline" (none: far future)
        stored=STORED(),  # dict: kind, pk, ref, company_id, type, direction, country, city, language,
        # concept_weights, capabilities, certifications, verified, has_capacity, expires, stamp
    )


def sort_number(moment: datetime) -> int:
    return int(moment.strftime("%Y%m%d%H%M%S"))
