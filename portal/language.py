"""Which of the portal's four languages a text is written in, told from its script and letters."""

import re

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str, default: str = "en") -> str:
    """Urdu if Arabic script dominates; Kazakh if Cyrillic with Kazakh-only letters; Russian; else English.

    Counting letters rather than looking at the first word copes with mixed texts such as a Russian
    description that quotes an English brand name, or a Kazakh text that is mostly shared Cyrillic.
    """
    if not text:
        return default
    arabic = len(ARABIC_SCRIPT.findall(text))
    cyrillic = len(CYRILLIC.findall(text))
    latin = len(LATIN.findall(text))
    if arabic and arabic >= max(cyrillic, latin):
        return "ur"
    if cyrillic and cyrillic >= latin:
        kazakh = sum(1 for ch in text if ch in KAZAKH_LETTERS)
        # Kazakh-only letters make up over a tenth of Kazakh text; a Russian text quoting a Kazakh
        # company name has a handful at most, so a share of 4% separates the two.
        return "kk" if kazakh >= max(2, 0.04 * cyrillic) else "ru"
    if latin:
        return "en"
    return default
