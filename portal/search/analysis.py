"""Text analysis for English, Russian, Kazakh and Urdu: one analyzer that reads every script.

Why one field and one analyzer rather than text_en/text_ru/...: listings mix scripts (a Russian
request quotes "wet blue" and an English brand; a Kazakh text borrows Russian words), and a visitor's
query carries no reliable language tag. So every word is handled by its own script:

* Latin words: lower-cased, accents stripped, English Snowball (Porter2) stem.
* Cyrillic words: lower-cased, Kazakh letters folded (ә->а, ғ->г, қ->к, ң->н, ө->о, ұ->у, ү->у, һ->х,
  і->и) and ё->е, then the Russian Snowball stem. Folded Kazakh words mostly pass the Russian
  stemmer unchanged or lose a Russian-looking ending, the same way in documents and queries; the
  concept matcher adds prefix matching for the agglutinative Kazakh forms.
* Arabic-script (Urdu) words: Arabic kaf/yeh/alef maksura/heh mapped to their Urdu forms,
  diacritics, tatweel and zero-width joiners removed, then a light plural-suffix strip.

Stop words (English, Russian, and short Kazakh and Urdu lists) are marked, not dropped, when the
caller asks for them (removestops=False): the concept matcher needs the whole sequence to match
phrases such as "in the blue" or "گائے بیل کی کھالیں".

This module is imported by the pickled schema, so everything here is importable at module level.
"""

import re
import unicodedata
from dataclasses import dataclass

from whoosh.analysis import Analyzer, Token
from whoosh.lang import stemmer_for_language, stopwords_for_language

KAZAKH_FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")
URDU_FOLD = str.maketrans(
    {
        "\u0643": "\u06a9",  # Arabic kaf -> Urdu keheh
        "\u064a": "\u06cc",  # Arabic yeh -> Farsi/Urdu yeh
        "\u0649": "\u06cc",  # alef maksura -> Urdu yeh
        "\u0647": "\u06c1",  # Arabic heh -> Urdu heh goal
        "\u06c0": "\u06c1",  # heh with yeh above -> heh goal (its hamza is a spelling variant)
        "\u06c2": "\u06c1",
        "\u0629": "\u06c1",  # teh marbuta, in Arabic loans
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
    }
)
# A word: letters and digits, plus the marks and joiners that live inside Arabic-script words, so
# offsets stay those of the original text (highlighting needs them) while the marks are cleaned later.
WORD = re.compile(r"(?:[^\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d])+")
ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
URDU_SUFFIXES = ("یاں", "یوں", "وں", "یں")

KAZAKH_STOPS = frozenset(
    "және мен бен пен мен да де та те үшін бар бұл осы сол ол біз сіз олар мен бір екі ғана әр "
    "болып болады бойынша арқылы туралы дейін кейін немесе не ал бірақ тағы өз".split()
)
URDU_STOPS = frozenset(
    "کی کے کا اور میں سے کو ہے ہیں پر یہ وہ نے بھی تک ہم آپ جو کہ ایک کر کرتے کرتی کرنے ہو گا گی گے "
    "لیے لئے یا تھا تھی تھے".split()
)
# The same words in Roman Urdu (no standard spelling, so the common variants). Without them the English
# stemmer reads them as English: "har" (every, as in "har mahine") is the stem of "harness". Left out:
# words that are also English ("main", "par", "per", "to", "men") and the negators "nahi"/"nahin".
ROMAN_URDU_STOPS = frozenset(
    "hai hain hay ka ki ke ko se sey mein mai aur or bhi har hum ham humein hamein hamen hame humain aap ap "
    "yeh ye woh wo kya jo ke liye liay wala wali wale waley tak karna karte karti karein karen kar hota hoti "
    "hote raha rahe rahi rahay saath sath chahiye chahie chahte chahtay hamara hamari hamare humara humari".split()
)


def fold_cyrillic(word: str) -> str:
    return word.translate(KAZAKH_FOLD)


def fold_urdu(word: str) -> str:
    word = unicodedata.normalize("NFKC", word).translate(URDU_FOLD)
    return "".join(ch for ch in word if not unicodedata.combining(ch))


def fold_latin(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def script_of(word: str) -> str:
    """'ur', 'cy' or 'la' (Latin and digits) from the word's first non-digit letter."""
    for ch in word:
        if ch.isdigit():
            continue
        if ARABIC.match(ch):
            return "ur"
        if CYRILLIC.match(ch):
            return "cy"
        return "la"
    return "la"


def _stoplist(lang: str) -> frozenset:
    return frozenset(fold_cyrillic(w) if lang == "ru" else w for w in stopwords_for_language(lang))


STOPS = (
    _stoplist("en")
    | _stoplist("ru")
    | frozenset(fold_cyrillic(w) for w in KAZAKH_STOPS)
    | frozenset(fold_urdu(w) for w in URDU_STOPS)
    | ROMAN_URDU_STOPS
)

_english = stemmer_for_language("en")
_russian = stemmer_for_language("ru")
# Stemming is pure Python (~10-50 µs a word); a per-process memo makes re-analysis nearly free.
_FOLD_CACHE: dict[str, tuple[str, str, bool]] = {}
_CACHE_LIMIT = 500_000


def _stem_urdu(word: str) -> str:
    for suffix in URDU_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)]
    return word


def normalize(raw: str) -> tuple[str, str, bool]:
    """(surface, stem, is_stop) for one raw word; surface is lower-cased and folded, not stemmed."""
    hit = _FOLD_CACHE.get(raw)
    if hit is not None:
        return hit
    word = raw.lower()
    script = script_of(word)
    if script == "cy":
        surface = fold_cyrillic(word)
        stem = _russian(surface)
    elif script == "ur":
        surface = fold_urdu(word)
        stem = _stem_urdu(surface)
    else:
        surface = fold_latin(word)
        stem = _english(surface)
    result = (surface, stem or surface, surface in STOPS or len(surface) < 2)
    if len(_FOLD_CACHE) > _CACHE_LIMIT:
        _FOLD_CACHE.clear()
    _FOLD_CACHE[raw] = result
    return result


@dataclass(slots=True)
class Word:
    surface: str  # lower-cased and folded
    stem: str
    stop: bool
    start: int
    end: int


# The same text is analysed several times when indexing (concepts, then each field): keep the last few.
_TEXT_CACHE: dict[str, list] = {}
_TEXT_CACHE_SIZE = 64


def words(text: str) -> list[Word]:
    """Every word of the text with its folded form, stem, stop flag and character offsets.

    The list is shared with later callers for the same text: do not change it.
    """
    text = text or ""
    hit = _TEXT_CACHE.get(text)
    if hit is not None:
        return hit
    out = []
    for m in WORD.finditer(text):
        surface, stem, stop = normalize(m.group())
        if surface:
            out.append(Word(surface, stem, stop, m.start(), m.end()))
    if len(_TEXT_CACHE) >= _TEXT_CACHE_SIZE:
        _TEXT_CACHE.clear()
    _TEXT_CACHE[text] = out
    return out


def stems(text: str, keep_stops: bool = False) -> list[str]:
    return [w.stem for w in words(text) if keep_stops or not w.stop]


# The parts of a document's searchable body and their weights: a title word counts three times a
# body word. Summing weighted term frequencies across parts before BM25's saturation is BM25F.
BODY_BOOSTS = (3.0, 2.0, 1.5, 1.0)  # title, summary, company name, description
PART_GAP = 100  # positions between parts, so a phrase never spans the title and the description


class Body(str):
    """A document's searchable body: reads as the joined text, and keeps its parts for weighting.

    A str subclass because Whoosh treats a tuple or list value as already-made tokens.
    """

    def __new__(cls, parts):
        body = super().__new__(cls, "\n".join(parts))
        body.parts = tuple(parts)
        return body


class MultilingualAnalyzer(Analyzer):
    """Whoosh analyzer over words(): stems (folded surfaces with no_morph) with positions and chars.

    A Body value (title, summary, company, text) gives each part's tokens its weight from BODY_BOOSTS. Character offsets are only meaningful for a single string (highlighting
    analyses one stored field at a time).
    """

    is_morph = True

    def __init__(self, morph: bool = True):
        self.morph = morph

    def has_morph(self):
        return self.morph

    def __eq__(self, other):
        return type(other) is type(self) and other.morph == self.morph

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        mode="",
        no_morph=False,
        nomorph=False,
        **kwargs,
    ):
        morph = self.morph and not (no_morph or nomorph)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        body_parts = getattr(value, "parts", None)
        parts = zip(body_parts, BODY_BOOSTS, strict=False) if body_parts is not None else ((value, 1.0),)
        pos = start_pos
        for part, boost in parts:
            for w in words(part):
                if w.stop and removestops:
                    continue
                token.text = w.stem if morph else w.surface
                token.stopped = w.stop
                token.boost = boost
                if keeporiginal:
                    token.original = part[w.start : w.end]
                if positions:
                    token.pos = pos
                    pos += 1
                if chars:
                    token.startchar = start_char + w.start
                    token.endchar = start_char + w.end
                yield token
            pos += PART_GAP


def multilingual_analyzer() -> MultilingualAnalyzer:
    return MultilingualAnalyzer()
