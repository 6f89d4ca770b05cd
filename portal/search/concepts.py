"""Which taxonomy concepts a text names, in any of the four languages, through labels and synonyms.

Every label and synonym of every term is analysed with the same folding and stemming as the index
(analysis.words) and compiled once per vocabulary into a token-sequence matcher:

* a phrase matches consecutive words of the text (stop words included, so "in the blue" is a phrase
  and not the bare word "blue");
* a synonym word ending in "*" matches any word starting with it (meant for agglutinative Kazakh);
* Kazakh synonym words of five letters or more also match as prefixes (терісі, терілерді ...), and in
  a Kazakh text so do Russian ones, since Kazakh puts its suffixes on Russian loan words;
* a match inside a longer match of another term of the same facet is dropped ("chrome" inside
  "chrome-free" is not chrome tanning), while different facets both count ("chrome tanned hides"
  names the wet-blue stage and the chrome method);
* Latin-script words that are not English are also read as Kazakh and Russian Cyrillic (translit),
  so "iri qara mal terısı" and "shkury KRS" meet the Cyrillic synonyms (not in Urdu texts);
* a word that matches nothing may be a close misspelling of a vocabulary word (typos; never in
  Kazakh texts);
* a match inside a stretch that a negation excludes ("no goat skins", "кроме КРС") is dropped
  (negation), so it neither counts for the listing nor becomes an inferred tag.

The compiled matcher is cached per process and keyed by a fingerprint of the vocabulary, so terms and
synonyms that admins add in the database count from the next request on.
"""

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass

from ..language import detect_language
from ..taxonomy import LANGS, Vocabulary, builtin, merge
from .analysis import STOPS, Word, normalize, script_of, words
from .negation import negated, negators
from .translit import TABLES, to_cyrillic
from .typos import TypoIndex, is_common_word

KAZAKH_PREFIX_MIN = 5


@dataclass(frozen=True, slots=True)
class Element:
    stem: str | None  # equal stems match
    prefix: str | None  # or the word's folded surface starts with this
    prefix_kk_only: bool  # the prefix only counts in Kazakh texts


@dataclass(frozen=True, slots=True)
class Pattern:
    term_id: str
    facet: str
    elements: tuple


class ConceptMatcher:
    """Patterns indexed by their first element.

    Single words without a prefix rule (most synonyms) resolve with one dict lookup per word; the
    rest are found by stem or by the first three letters of their prefix and checked element by
    element. Prefix rules meant for Kazakh texts are kept apart so other texts skip them.
    """

    def __init__(self, vocab: Vocabulary):
        self.facets = {t.id: t.facet for t in vocab.terms.values()}
        self.single: dict[str, set] = {}
        self.by_stem: dict[str, list[Pattern]] = {}
        self.by_prefix: dict[str, list[Pattern]] = {}
        self.by_prefix_kk: dict[str, list[Pattern]] = {}
        self.short_prefix: list[Pattern] = []
        self._memo: dict = {}
        self._readings: dict = {}
        seen = set()
        vocabulary_words = set()
        self.english = set(STOPS)  # never read as Cyrillic
        for term in vocab.terms.values():
            for lang in LANGS:
                phrases = [term.labels.get(lang, "")] + list(term.synonyms.get(lang, []))
                for phrase in phrases:
                    for w in words((phrase or "").replace("*", " ")):
                        if not w.stop:
                            vocabulary_words.add((w.surface, w.stem))
                            if lang == "en":
                                self.english.add(w.surface)
                    pattern = compile_phrase(term.id, term.facet, phrase, lang)
                    if pattern is None or pattern in seen:
                        continue
                    seen.add(pattern)
                    self._add(pattern)
        self.typos = TypoIndex(vocabulary_words)
        self.element_stems = set()
        self.element_prefixes: dict[str, set] = {}
        for pattern in seen:
            for el in pattern.elements:
                if el.stem is not None:
                    self.element_stems.add(el.stem)
                if el.prefix is not None:
                    self.element_prefixes.setdefault(el.prefix[:3], set()).add(el.prefix)

    def _add(self, pattern: Pattern) -> None:
        first = pattern.elements[0]
        if len(pattern.elements) == 1 and first.prefix is None:
            self.single.setdefault(first.stem, set()).add(pattern.term_id)
            return
        if first.stem is not None:
            self.by_stem.setdefault(first.stem, []).append(pattern)
        if first.prefix is not None:
            if len(first.prefix) < 3:
                self.short_prefix.append(pattern)
            else:
                target = self.by_prefix_kk if first.prefix_kk_only else self.by_prefix
                target.setdefault(first.prefix[:3], []).append(pattern)

    def _starting_at(self, surface: str, stem: str, kazakh: bool) -> tuple:
        """(terms of one-word patterns, longer patterns) whose first element matches this word; memoised,
        as texts repeat the same words and most words start no pattern at all."""
        key = (surface, stem, kazakh)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        terms = set(self.single.get(stem, ()))
        longer = []
        prefix_kk = self.by_prefix_kk.get(surface[:3]) if kazakh else None
        for group in (self.by_stem.get(stem), self.by_prefix.get(surface[:3]), prefix_kk, self.short_prefix):
            for pattern in group or ():
                if _element_matches(pattern.elements[0], surface, stem, kazakh):
                    if len(pattern.elements) == 1:
                        terms.add(pattern.term_id)
                    else:
                        longer.append(pattern)
        hit = (tuple(terms), tuple(dict.fromkeys(longer)))
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[key] = hit
        return hit

    def find(self, text: str, language: str | None = None) -> list[tuple[str, int, int]]:
        """(term id, first word index, end word index) of every match, after overlap pruning.

        The text is read as written (with typo correction), then once more for each Cyrillic
        reading of its Latin words (translit), so "qoi terısı" and "kozha KRS" meet the Cyrillic
        synonyms; matches a negation excludes are dropped last (negation).
        """
        seq = words(text)
        if not seq:
            return []
        language = language or detect_language(text)
        kazakh = language == "kk"
        found = self._scan(seq, kazakh, correct=not kazakh)
        if language != "ur":  # Roman Urdu is read through the taxonomy's synonyms instead
            for alt, read in self._cyrillic_readings(text, seq):
                found |= {m for m in self._scan(alt, kazakh, correct=False) if any(read[m[1] : m[2]])}
        kept = self._prune(found)
        excluded, cue = negated(text, seq, language), negators(seq, language)
        return [m for m in kept if not any(excluded[m[1] : m[2]]) and not (m[2] - m[1] == 1 and cue[m[1]])]

    def _scan(self, seq: list[Word], kazakh: bool, correct: bool) -> set:
        n = len(seq)
        found = set()
        starting_at = self._starting_at
        for i, w in enumerate(seq):
            terms, longer = starting_at(w.surface, w.stem, kazakh)
            if w.stop:  # a function word never names a concept alone, even if its stem is a term's ("har")
                terms = ()
            if correct and not terms and not longer and not w.stop:
                fixed = self.typos.correct(w.surface, w.stem)
                if fixed is not None:
                    terms, longer = starting_at(fixed[0], fixed[1], kazakh)
            for term in terms:
                found.add((term, i, i + 1))
            for pattern in longer:
                elements = pattern.elements
                end = i + len(elements)
                if end > n:
                    continue
                for k in range(1, len(elements)):
                    x = seq[i + k]
                    if not _element_matches(elements[k], x.surface, x.stem, kazakh):
                        break
                else:
                    found.add((pattern.term_id, i, end))
        return found

    def _cyrillic_readings(self, text: str, seq: list[Word]) -> list[tuple[list[Word], list[bool]]]:
        """The word sequence with its Latin words read as Kazakh, then as Russian, each with flags of
        the words whose reading may start a match.

        Common English words (tonne, sum, mal) are read too, since a Kazakh phrase can hold one
        ("iri qara mal"), but a match must include some word that is not one of them.
        """
        out = []
        for lang in TABLES:
            alt, read = [], []
            for w in seq:
                reading = None
                if not w.stop and w.surface not in self.english and script_of(w.surface) == "la":
                    reading = self._reading(text[w.start : w.end].lower(), lang)
                if reading is None or not self._in_vocabulary(reading):
                    alt.append(w)
                    read.append(False)
                else:
                    alt.append(Word(reading[0], reading[1], reading[2], w.start, w.end))
                    read.append(not self._english_word(w.surface))
            if any(read) and (not out or [w.surface for w in alt] != [w.surface for w in out[-1][0]]):
                out.append((alt, read))
        return out

    def _in_vocabulary(self, reading: tuple) -> bool:
        """Whether this (surface, stem, stop) can be any word of any pattern: most readings of
        English words and names cannot, and a sequence with no such reading needs no scan."""
        surface, stem, _stop = reading
        if stem in self.element_stems:
            return True
        short = self.element_prefixes.get(surface[:2], ())  # prefixes of two letters
        prefixes = self.element_prefixes.get(surface[:3], ())
        return any(surface.startswith(p) for group in (prefixes, short) for p in group)

    def _english_word(self, surface: str) -> bool:
        hit = self._readings.get(surface)
        if hit is None:
            hit = self._readings[surface] = is_common_word(surface, "en")
        return hit

    def _reading(self, raw: str, lang: str) -> tuple | None:
        key = (raw, lang)
        if key not in self._readings:
            cyr = to_cyrillic(raw, lang)
            if len(self._readings) > 200_000:
                self._readings.clear()
            self._readings[key] = normalize(cyr) if cyr else None
        return self._readings[key]

    def _prune(self, found) -> list[tuple[str, int, int]]:
        facets = self.facets
        # By position, then term: a set's order changes with each process's hash seed, and document
        # stamps (`search check`) must not depend on which process built the document.
        spans = sorted(found, key=lambda m: (m[1], m[2], m[0]))
        if len(spans) < 2:
            return spans
        kept = []
        for term, start, end in spans:
            facet = facets.get(term)
            inside_longer = any(
                other != term and s <= start and end <= e and (e - s) > (end - start) and facets.get(other) == facet
                for other, s, e in spans
                if s <= start
            )
            if not inside_longer:
                kept.append((term, start, end))
        return kept


def _element_matches(el: Element, surface: str, stem: str, kazakh: bool) -> bool:
    if el.stem is not None and stem == el.stem:
        return True
    return el.prefix is not None and (kazakh or not el.prefix_kk_only) and surface.startswith(el.prefix)


def compile_phrase(term_id: str, facet: str, phrase: str, lang: str) -> Pattern | None:
    phrase = (phrase or "").strip()
    if not phrase:
        return None
    elements = []  # (word, is a "*" prefix)
    for raw in phrase.split():
        pieces = words(raw.rstrip("*"))
        for k, w in enumerate(pieces):
            elements.append((w, raw.endswith("*") and k == len(pieces) - 1))
    if not elements or all(w.stop for w, _ in elements):
        return None
    compiled = []
    for w, star in elements:
        if star:
            compiled.append(Element(None, w.surface, False))
        elif lang == "kk" and len(w.surface) >= KAZAKH_PREFIX_MIN and script_of(w.surface) == "cy":
            compiled.append(Element(w.stem, w.surface, False))
        elif lang == "ru" and len(w.surface) >= KAZAKH_PREFIX_MIN:
            compiled.append(Element(w.stem, w.surface, True))
        else:
            compiled.append(Element(w.stem, None, False))
    return Pattern(term_id, facet, tuple(compiled))


def fingerprint(vocab: Vocabulary) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for term in vocab.terms.values():
        digest.update(
            repr(
                (
                    term.id,
                    term.facet,
                    sorted(term.labels.items()),
                    sorted((k, tuple(v)) for k, v in term.synonyms.items()),
                )
            ).encode()
        )
    return digest.hexdigest()


_lock = threading.Lock()
_by_fingerprint: dict[str, ConceptMatcher] = {}
_by_identity: dict[int, tuple[Vocabulary, ConceptMatcher]] = {}  # skips the fingerprint for a known object


def matcher(vocab: Vocabulary | None = None) -> ConceptMatcher:
    """The compiled matcher for this vocabulary (the live one by default), built once per fingerprint."""
    vocab = vocab if vocab is not None else current_vocabulary()
    known = _by_identity.get(id(vocab))
    if known is not None and known[0] is vocab:
        return known[1]
    key = fingerprint(vocab)
    with _lock:
        found = _by_fingerprint.get(key)
        if found is None:
            if len(_by_fingerprint) > 8:
                _by_fingerprint.clear()
            found = _by_fingerprint[key] = ConceptMatcher(vocab)
        if len(_by_identity) > 8:
            _by_identity.clear()
        _by_identity[id(vocab)] = (vocab, found)
    return found


def current_vocabulary() -> Vocabulary:
    from flask import has_app_context

    if has_app_context():
        from ..taxonomy import vocabulary

        return vocabulary()
    return builtin()


def load_vocabulary(conn) -> Vocabulary:
    """The live vocabulary read on the given connection (after a commit the session must not be used)."""
    import sqlalchemy as sa

    from ..models import TaxonomyTerm

    return merge(builtin(), conn.execute(sa.select(TaxonomyTerm.__table__)).all())


def concept_counts(text: str, language: str | None = None, vocab: Vocabulary | None = None) -> Counter:
    """How many times the text names each concept."""
    return Counter(term for term, _s, _e in matcher(vocab).find(text, language))


def extract_concepts(text: str, language: str | None = None, vocab: Vocabulary | None = None) -> list[str]:
    """The term ids the text names, most often named first (ties: first named first)."""
    found = matcher(vocab).find(text, language)
    counts = Counter(term for term, _s, _e in found)
    first = {}
    for term, start, _e in found:
        first.setdefault(term, start)
    return sorted(counts, key=lambda t: (-counts[t], first[t]))


def general_words(text: str, language: str | None = None, vocab: Vocabulary | None = None) -> list[str]:
    """Ids of the general trade words the text names ("кожа", "hides"; see taxonomy): for search only."""
    vocab = vocab if vocab is not None else current_vocabulary()
    return extract_concepts(text, language, vocab.words) if vocab.words and vocab.words.terms else []


__all__ = ["extract_concepts", "general_words", "concept_counts", "matcher", "normalize"]
