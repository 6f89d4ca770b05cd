"""The leather capability vocabulary: built-in terms from terms.json plus those admins add in the database.

Each term has an id (``hide_cattle``), a facet (``hide``), labels in en/ru/kk/ur and synonyms per
language. Search and matching read the synonyms; pages show the labels in the user's language.

The file's "words" are general trade words ("leather", "hides", "tannery") in the same shape: too
broad to be a capability, so they are never tags, facets or match concepts, but search uses them to
carry a query to the other languages ("кожа" also finds "leather" and "былғары").
"""

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

DATA_FILE = Path(__file__).with_name("terms.json")
LANGS = ("en", "ru", "kk", "ur")


@dataclass(frozen=True)
class Term:
    id: str
    facet: str
    labels: dict = field(default_factory=dict)
    synonyms: dict = field(default_factory=dict)

    def label(self, locale: str = "en") -> str:
        return self.labels.get(locale) or self.labels.get("en") or self.id


@dataclass(frozen=True)
class Vocabulary:
    facets: dict  # facet id -> labels
    terms: dict  # term id -> Term, in file order
    words: "Vocabulary | None" = None  # the general words, as a vocabulary of their own (search only)

    def facet_terms(self, facet: str) -> list[Term]:
        return [t for t in self.terms.values() if t.facet == facet]

    def facet_label(self, facet: str, locale: str = "en") -> str:
        labels = self.facets.get(facet, {})
        return labels.get(locale) or labels.get("en") or facet

    def label(self, term_id: str, locale: str = "en") -> str:
        term = self.terms.get(term_id)
        return term.label(locale) if term else term_id

    def valid(self, term_ids, facet: str | None = None) -> bool:
        return all(t in self.terms and (facet is None or self.terms[t].facet == facet) for t in term_ids)


@lru_cache(maxsize=1)
def builtin() -> Vocabulary:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    facets = {f["id"]: f["labels"] for f in data["facets"]}
    terms = {t["id"]: Term(t["id"], t["facet"], t["labels"], t.get("synonyms", {})) for t in data["terms"]}
    words = {w["id"]: Term(w["id"], "word", w["labels"], w.get("synonyms", {})) for w in data.get("words", [])}
    return Vocabulary(facets, terms, Vocabulary({}, words))


def merge(base: Vocabulary, rows) -> Vocabulary:
    """Database rows add terms or override a built-in term's labels and synonyms (per language)."""
    terms = dict(base.terms)
    for row in rows:
        old = terms.get(row.id)
        labels = {**(old.labels if old else {}), **(row.labels or {})}
        synonyms = dict(old.synonyms) if old else {}
        for lang, words in (row.synonyms or {}).items():
            synonyms[lang] = list(dict.fromkeys([*synonyms.get(lang, []), *words]))
        terms[row.id] = Term(row.id, row.facet, labels, synonyms)
    return Vocabulary(base.facets, terms, base.words)


def vocabulary() -> Vocabulary:
    """The live vocabulary, cached per request (admins' edits show up on the next request)."""
    from flask import g, has_app_context

    if not has_app_context():
        return builtin()
    if "vocabulary" not in g:
        from ..extensions import db
        from ..models import TaxonomyTerm

        g.vocabulary = merge(builtin(), db.session.scalars(sa.select(TaxonomyTerm)).all())
    return g.vocabulary
