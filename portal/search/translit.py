"""Cyrillic readings of Latin-script words, so Kazakh and Russian written in Latin letters reach concepts.

Members write Kazakh in the official Latin alphabet of 2021 (ä ğ ı ñ ö ū ü ş ç, i for и/й), in its
2018 acute-accent predecessor (á ǵ ń ó ú ý), or in plain ASCII (sh, ch, zh/j, gh, q, ng, i for ı);
and Russian in informal "translit" or GOST 7.79-2000 system B / BGN-like forms (zh, kh or h, ts or c,
ch, sh, shch or sch, ya/ja, yu/ju, yo/jo, y for ы or й). The taxonomy's Kazakh and Russian synonyms
are Cyrillic, so rather than a second set of Latin synonyms we read such a word back into Cyrillic
and let analysis.normalize fold and stem it like any Cyrillic word.

No library fits: cyrtranslit and transliterate implement one scheme each (and no Kazakh Latin one),
while members mix several; a small table per language, tried longest sequence first, does. The two
readings differ mainly in j (Kazakh ж, Russian й) and y (Kazakh ы, Russian ы or й); after Kazakh
folding (ә->а, қ->к, і->и, ...) most ambiguous Kazakh letters (u/ū/ü, o/ö, i/ı) fall together anyway.
A reading is only a candidate: it counts when it names a vocabulary synonym, and English words
(stop words and the vocabulary's English words) are never read as Cyrillic.
"""

VOWELS = frozenset("aeiouyäöüūıáóúýéíàèìòù")

KAZAKH = {
    "shch": "щ",
    "sh": "ш",
    "ch": "ч",
    "zh": "ж",
    "gh": "ғ",
    "kh": "х",
    "ts": "ц",
    "ia": "ия",
    "iu": "ию",
    "ya": "я",
    "yu": "ю",
    "a": "а",
    "ä": "ә",
    "á": "ә",
    "b": "б",
    "c": "ц",
    "ç": "ч",
    "d": "д",
    "e": "е",
    "é": "е",
    "f": "ф",
    "g": "г",
    "ğ": "ғ",
    "ǵ": "ғ",
    "h": "х",
    "ı": "і",
    "i": "и",
    "í": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "ñ": "ң",
    "ń": "ң",
    "o": "о",
    "ö": "ө",
    "ó": "ө",
    "p": "п",
    "q": "қ",
    "r": "р",
    "s": "с",
    "ş": "ш",
    "t": "т",
    "u": "у",
    "ū": "ұ",
    "ü": "ү",
    "ú": "ү",
    "v": "в",
    "w": "у",
    "ý": "у",
    "x": "кс",
    "y": "ы",
    "z": "з",
}

RUSSIAN = {
    "shch": "щ",
    "sch": "щ",
    "zh": "ж",
    "kh": "х",
    "ts": "ц",
    "ch": "ч",
    "sh": "ш",
    "ya": "я",
    "ja": "я",
    "yu": "ю",
    "ju": "ю",
    "yo": "ё",
    "jo": "ё",
    "ye": "е",
    "je": "е",
    "a": "а",
    "b": "б",
    "c": "ц",
    "d": "д",
    "e": "е",
    "é": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "й",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "в",
    "x": "кс",
    "y": "ы",
    "z": "з",
}

TABLES = {"kk": KAZAKH, "ru": RUSSIAN}
LONGEST = 4


def _short_i(word: str, k: int) -> bool:
    """i (or y in Russian) after a vowel and not before one is й: qoi -> қой, gotovoy -> готовой."""
    return k > 0 and word[k - 1] in VOWELS and (k + 1 >= len(word) or word[k + 1] not in VOWELS)


def to_cyrillic(word: str, lang: str) -> str | None:
    """The word read as Kazakh ("kk") or Russian ("ru") Cyrillic; None if a letter has no reading.

    The word must be lower case and keep its diacritics (ş, ı, ñ are what tell Kazakh letters apart).
    """
    table = TABLES[lang]
    out = []
    k = 0
    n = len(word)
    while k < n:
        ch = word[k]
        if ch.isdigit():
            return None
        if ch in "iy" and _short_i(word, k) and not (lang == "kk" and ch == "y"):
            out.append("й")
            k += 1
            continue
        if lang == "kk" and word.startswith("ng", k) and (k + 2 >= n or word[k + 2] not in VOWELS):
            out.append("ң")
            k += 2
            continue
        for size in range(min(LONGEST, n - k), 0, -1):
            hit = table.get(word[k : k + size])
            if hit is not None:
                out.append(hit)
                k += size
                break
        else:
            return None
    return "".join(out)


def readings(word: str) -> tuple[str, ...]:
    """The distinct Kazakh and Russian Cyrillic readings of a lower-case Latin word."""
    found = []
    for lang in TABLES:
        cyr = to_cyrillic(word, lang)
        if cyr and cyr not in found:
            found.append(cyr)
    return tuple(found)
