"""Which of the portal's four languages a text is written in, told from its script, letters and words."""

import re

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# The 2021 official Latin alphabet's own letters; a word with one of them is Kazakh (ö and ü are
# shared with German and Turkish, which the portal does not serve).
KAZAKH_LATIN_LETTERS = re.compile("[äğıñöūüşÄĞÑÖŪÜŞİ]")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
# Latin with its accented letters (Latin-1 and Extended-A/B, without the × and ÷ signs).
LATIN = re.compile(r"[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F]")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

# Frequent function words (and a few of the commonest trade words) of each language as members
# write it in Latin letters, from general orthography and frequency. A word that two languages
# share in writing (Kazakh "men" and Urdu "men" for "mein"; "na", "ya", "to", "net", "bar") is in
# neither list, so it cannot tip the balance; "my" and "ne" are in both lists they belong to.
ENGLISH_WORDS = frozenset(
    """the and of in for with a an is are was were be been being we our ours you your they their
    this that these those from on by at as or will can would could should have has had per not no
    any all also which who whom what when where into than more other each such only up out about
    it its my me us need needs needed want wants wanted looking offer offers offered buy buying
    sell sells selling supply supplies supplied please via both every new using used""".split()
)
RUSSIAN_WORDS = frozenset(
    """v vo i po ot iz bez pri pod nad dlya dlja dla ili eto kak chto shto ochen takzhe tozhe uzhe
    mozhem mozhno nuzhno nuzhen nuzhna nuzhny trebuetsya ishchem ishem ischem kupim kupit kuplyu
    prodaem prodayom prodaiom prodayu prodaju prodam prodaetsya predlagaem postavlyaem nash nasha
    nashe nashi nashego nashey nashu vash vasha vashi my vy nam nas oni ne est kotoryy kotorye kotoraya kotorogo
    kozha kozhi kozhu kozhey kozhevennyy kozhevennogo shkury shkur shkura shkuru postavka postavki
    postavshchik postavshchika tsena cena dostavka zavod zavoda proizvodstvo proizvodstva
    oborudovanie oborudovaniya obuchenie""".split()
)
URDU_WORDS = frozenset(
    """hai hain hei ki ka ke kay mein humein hamein humen hum hamara hamari hamare humara humari
    humare aap aapka aapki aapke apka apki apke aur chahiye chahiyen chahiyein chahte chahta chahti
    nahi nahin nahein ko se par pe bhi koi kuch kya kia yeh ye woh wo apne apni apna liye liay lie
    karte karta karti karna karni karein karen kar ho hota hoti hote hoga hogi wala wali wale
    saath sath abhi tak har zyada ziada jo jis jab agar lekin magar sirf bohat bahut kaam mahine
    rozana hazaar hazar tayyar tayar ne gaya gayi raha rahe rahi sakte sakta sakti chamra chamre
    chamray khaal khaalein khalein""".split()
)
KAZAKH_WORDS = frozenset(
    """jäne jane bız biz bızge bizge bızdıñ bizdiñ bizdin bizding satamyz satamız satady satyp
    satylady satylatyn alamyz alady kerek qajet kajet üşın üşin ushin ushyn üshin ūsynamyz usynamyz ūsynady usynady
    ızdeimız izdeimiz izdeymiz emes joq jok osy būl bul degen arqyly arkyly boiynşa boiynsha
    boyynsha turaly siaqty siyaqty tağy tagy jyl jyly jylyna jylda aiyna ayyna myñ myng dana
    bolady bolyp sonymen sondai sondyqtan ğana gana terısı terisi terısın terisin bylğary bylgary
    bylğarysy bylgarysy""".split()
)
# Kazakh first person plural verbs (satamyz, alamyz, ızdeimız) end so; no English, Russian or
# Urdu word does.
KAZAKH_ENDINGS = ("myz", "mız", "miz")
# Russian adjective and case endings in their usual Latin spellings.
RUSSIAN_ENDINGS = ("ogo", "ykh", "uyu", "yy", "iy")
# Kazakh written in ASCII keeps q for қ, one of its commonest letters, mostly before a vowel; English
# q is followed by u, and abbreviations (sqft, qty) put a consonant after it.
BARE_Q = re.compile(r"q[aeioyäöıū]")
# A language other than English needs this many words of its own, and more than English has.
MIN_EVIDENCE = 2


def count_scripts(text: str) -> dict[str, int]:
    """Letters of each script in the text: latin, cyrillic, arabic."""
    return {
        "latin": len(LATIN.findall(text)),
        "cyrillic": len(CYRILLIC.findall(text)),
        "arabic": len(ARABIC_SCRIPT.findall(text)),
    }


def dominant_script(text: str) -> str | None:
    """The script most of the text's letters are in (ties go Arabic, then Cyrillic), or None."""
    counts = count_scripts(text or "")
    best = max(("arabic", "cyrillic", "latin"), key=lambda s: counts[s])
    return best if counts[best] else None


def _latin_evidence(text: str) -> dict[str, int]:
    """How many words of the text speak for each language; one word counts once per language."""
    score = {"en": 0, "ru": 0, "kk": 0, "ur": 0}
    for word in WORD.findall(text):
        lower = word.lower()
        # English "I" is always a capital; the Russian conjunction "i" is not.
        if lower in ENGLISH_WORDS or word == "I":
            score["en"] += 1
        if (lower in RUSSIAN_WORDS and word != "I") or (len(lower) >= 5 and lower.endswith(RUSSIAN_ENDINGS)):
            score["ru"] += 1
        if lower in URDU_WORDS:
            score["ur"] += 1
        if (
            lower in KAZAKH_WORDS
            or KAZAKH_LATIN_LETTERS.search(word)
            or (len(lower) >= 5 and lower.endswith(KAZAKH_ENDINGS))
            # Capitalised words are left out of the q test: names such as Qasim are Urdu too.
            or (len(lower) >= 4 and word[0].islower() and BARE_Q.search(lower))
        ):
            score["kk"] += 1
    return score


def _latin_language(text: str) -> str:
    """English unless Russian, Kazakh or Urdu words clearly outnumber English ones."""
    score = _latin_evidence(text)
    best = max(("kk", "ru", "ur"), key=lambda lang: score[lang])
    if score[best] >= MIN_EVIDENCE and score[best] > score["en"]:
        return best
    return "en"


def detect_language(text: str, default: str = "en") -> str:
    """Urdu if Arabic script dominates; Kazakh if Cyrillic with Kazakh-only letters; Russian; else by words.

    Counting letters rather than looking at the first word copes with mixed texts such as a Russian
    description that quotes an English brand name, or a Kazakh text that is mostly shared Cyrillic.
    Latin letters are English, Kazakh (the 2021 alphabet or its ASCII forms), Russian or Roman Urdu:
    there the words decide, and short or unclear text stays English as it always did.
    """
    if not text:
        return default
    counts = count_scripts(text)
    arabic, cyrillic, latin = counts["arabic"], counts["cyrillic"], counts["latin"]
    if arabic and arabic >= max(cyrillic, latin):
        return "ur"
    if cyrillic and cyrillic >= latin:
        kazakh = sum(1 for ch in text if ch in KAZAKH_LETTERS)
        # Kazakh-only letters make up over a tenth of Kazakh text; a Russian text quoting a Kazakh
        # company name has a handful at most, so a share of 4% separates the two.
        return "kk" if kazakh >= max(2, 0.04 * cyrillic) else "ru"
    if latin:
        return _latin_language(text)
    return default
