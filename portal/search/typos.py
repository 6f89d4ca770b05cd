"""The vocabulary word a misspelt word most likely means ("lether" -> leather, "оборудывания").

Members type fast, and a listing whose one key word is misspelt otherwise gets no concept at all. A
wrong correction is worse than none (it invents a match), so the rules are strict:

* only Latin and Cyrillic words of letters alone, of MIN_LENGTH letters or more: short words have
  too many neighbours (goat/boat, hide/side) and numbers are never typos;
* at most one edit (insertion, deletion, substitution or swap of neighbours) for words of 5 to 8
  letters, two from LONG_WORD letters on; for Cyrillic, stems one edit apart count too, so an
  inflected misspelling (оборудывания) still finds its word (оборудование);
* never in Kazakh texts (the caller's rule): suffixes give every Kazakh stem near neighbours
  (керек/кешек, қосуға/косуха) and wordfreq has no Kazakh list to tell real words;
* the first letter must be right, and for words under seven letters the last one too and the edit
  may not be a substitution: typing errors fall inside words far more often than at their edges,
  and in short words a changed letter mostly makes another real word (hides/sides, goats/coats,
  sheep/sheet, кожуха/косуха), while a dropped or doubled one rarely does (lether, tanery);
* a word that is itself a vocabulary word, a stop word or a common word of English or Russian
  (wordfreq's Zipf frequency of COMMON_ZIPF or more: boats, sheet, castle, steep) is never
  corrected, and a word with two equally near vocabulary words is left alone.

wordfreq is used for the one question no vocabulary can answer, "is this a real word of the
language?"; its word lists load on the first question (a fraction of a second), then answers are
memoised.
"""

from wordfreq import zipf_frequency

from .analysis import script_of

MIN_LENGTH = 5
LONG_WORD = 9
KEEP_LAST_BELOW = 7
# Zipf 3 is once in a million words. wordfreq's "small" lists hold the words at least that common
# (about 14 MB for English and Russian, against about 170 MB for the full lists) and answer 0 for
# the rest, so rarer real words (shins, кожух) rely on the edit rules above instead.
COMMON_ZIPF = 3.0


def is_common_word(word: str, lang: str, zipf: float = COMMON_ZIPF) -> bool:
    """Whether wordfreq knows the word as a common word of English ("en") or Russian ("ru")."""
    return zipf_frequency(word, lang, wordlist="small") >= zipf


def edits_allowed(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1 if len(word) >= MIN_LENGTH else 0


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein plus swaps of neighbours), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2 = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


class TypoIndex:
    """Vocabulary words (folded surface, stem) by first letter, with a memo of answers."""

    def __init__(self, vocabulary_words):
        self.known_stems = set()
        self.known_surfaces = set()
        self.by_first: dict[str, list[tuple[str, str]]] = {}
        for surface, stem in vocabulary_words:
            self.known_stems.add(stem)
            self.known_surfaces.add(surface)
            if len(surface) >= MIN_LENGTH - 1:
                self.by_first.setdefault(surface[0], []).append((surface, stem))
        self._memo: dict[tuple[str, str], tuple[str, str] | None] = {}

    def correct(self, surface: str, stem: str) -> tuple[str, str] | None:
        """(surface, stem) of the one vocabulary word this word misspells, or None."""
        key = (surface, stem)
        if key in self._memo:
            return self._memo[key]
        found = self._correct(surface, stem)
        if len(self._memo) > 100_000:
            self._memo.clear()
        self._memo[key] = found
        return found

    def _correct(self, surface: str, stem: str) -> tuple[str, str] | None:
        limit = edits_allowed(surface)
        if not limit or not surface.isalpha() or script_of(surface) == "ur":
            return None
        if stem in self.known_stems or surface in self.known_surfaces:
            return None
        cyrillic = script_of(surface) == "cy"
        if is_common_word(surface, "ru" if cyrillic else "en"):
            return None
        best, best_d, tied = None, limit + 1, False
        for cand_surface, cand_stem in self.by_first.get(surface[0], ()):
            if len(surface) < KEEP_LAST_BELOW and (
                cand_surface[-1] != surface[-1]
                or (len(cand_surface) == len(surface) and sorted(cand_surface) != sorted(surface))
            ):
                continue
            d = distance(surface, cand_surface, limit)
            if cyrillic and d > limit and len(stem) >= MIN_LENGTH and distance(stem, cand_stem, 1) <= 1:
                d = limit  # one edit between stems; two would join derived words (походн/повод)
            if d < best_d:
                best, best_d, tied = (cand_surface, cand_stem), d, False
            elif d == best_d and best is not None and cand_stem != best[1]:
                tied = True
        return None if best is None or tied or best_d > limit else best
