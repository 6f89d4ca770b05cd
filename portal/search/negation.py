"""Which words of a text a negation excludes ("no pig skins", "кроме КРС", "керек емес", "نہیں").

A concept named inside an excluded stretch must not count for the listing: "not chrome, only
vegetable" is about vegetable tanning, and a buyer writing "no pig skins" must not be matched with
pig-skin sellers. The scope is kept small and explicit, since a wrong guess loses a real concept:

* a forward negator (no, not, without, except, don't, не, нет, без, кроме, ни, сиз..., siwaye, سوائے)
  excludes the words after it;
* a backward negator, for the verb-final Kazakh and Urdu clause and the Russian "X не нужно"
  (емес, жоқ, нахи/nahi/nahin, نہیں, بغیر/baghair, "не нужно" family) excludes the words before it;
* either way the stretch ends at a clause boundary (. , ; : ! ? brackets, dashes, line breaks), at a
  contrast word (but, only, instead, но, а, только, лишь, тек, бірақ, ал, صرف, بلکہ, لیکن, sirf,
  balki, lekin, magar; "no" is English here, never Russian "но") or after MAX_SCOPE content words;
* "not only", "no more/less than", "не только", "не менее/более", "ғана емес", "نہ صرف", "na sirf"
  are not exclusions, and neither is "No." before a number.
"""

from .analysis import Word, normalize


def _folded(text: str) -> frozenset:
    return frozenset(normalize(w)[0] for w in text.split())


FORWARD = _folded(
    "no not without except excluding nor neither cannot не нет без кроме ни исключая سوائے siwaye siwa sivaye"
)
# Russian negators in Latin letters; not in Urdu texts, where "ne" is a particle and "krome" is chrome.
FORWARD_RU_LATIN = _folded("ne net bez krome")
BACKWARD = _folded("емес жоқ emes joq zhoq jok نہیں nahi nahin nai")
# Urdu "without" follows its noun after کے ("X کے بغیر") and precedes it otherwise ("بغیر X").
WITHOUT_UR = _folded("بغیر baghair bagair begair")
POSTPOSITION_UR = _folded("کے ke")
# English contractions split into two words: "don't" -> "don", "t".
CONTRACTED = _folded("don doesn didn isn aren wasn weren won can couldn wouldn shouldn haven hasn")
CONTRAST = _folded(
    "but only instead rather however just "
    "но а только лишь однако зато "
    "тек бірақ ал алайда "
    "tolko lish tek biraq "
    "صرف بلکہ لیکن مگر sirf balki bulki lekin magar"
)
# A negator followed by one of these is a quantity or "not only", not an exclusion.
NOT_AN_EXCLUSION_AFTER = _folded(
    "only more less fewer later earlier than "
    "только менее более меньше больше позднее позже свыше "
    "صرف sirf tolko menee bolee"
)
# A backward negator preceded by one of these reads "not only" (ғана емес) and excludes nothing.
NOT_AN_EXCLUSION_BEFORE = _folded("ғана қана gana qana")
# "не" that follows its object: "оборудование нам не нужно" negates backwards too.
NEED = _folded(
    "нужно нужен нужна нужны требуется интересует интересуют надо "
    "needed required wanted included accepted considered part"
)
# Lacking experience of a thing is a reason to ask for know-how about it, not an exclusion of it.
EXPERIENCE = _folded(
    "experience expertise knowledge know how опыт опыта опыту знаний знания тәжірибе тәжірибесі "
    "تجربہ tajurba tajruba tajarba maloomat"
)
# A subject starting a new clause ends a forward scope ("no machinery we want wet blue").
SUBJECTS = _folded("we i they мы я они біз мен олар")
DISJUNCTION = _folded("or nor или либо ни немесе یا ya")
BOUNDARY = set(".,;:!?()[]{}\n—–|•")
MAX_SCOPE = 5


def _boundary_between(text: str, left: Word, right: Word) -> bool:
    return any(ch in BOUNDARY for ch in text[left.end : right.start])


def _negator(seq: list[Word], i: int, russian: bool, urdu: bool = False) -> str | None:
    """'fwd', 'back', 'both' or None for the word at i."""
    w = seq[i].surface
    if (russian and w == "no") or (urdu and w in FORWARD_RU_LATIN):
        return None
    nxt = seq[i + 1].surface if i + 1 < len(seq) else ""
    prev = seq[i - 1].surface if i else ""
    if w in WITHOUT_UR:
        return "back" if prev in POSTPOSITION_UR else "fwd"
    if w in FORWARD or w in FORWARD_RU_LATIN or (w == "t" and prev in CONTRACTED):
        if nxt in NOT_AN_EXCLUSION_AFTER or (w == "no" and (not nxt or nxt[0].isdigit())):
            return None
        if nxt in NEED:
            return "both"
        return "fwd"
    if w in BACKWARD:
        return None if prev in NOT_AN_EXCLUSION_BEFORE else "back"
    return None


def _list_goes_on(text: str, seq: list[Word], k: int) -> bool:
    """After a comma at seq[k], whether the clause is still a list ("no pig, goat or horse skins")."""
    for m in range(k + 1, len(seq)):
        if seq[m].surface in DISJUNCTION:
            return True
        if m + 1 < len(seq) and _boundary_between(text, seq[m], seq[m + 1]):
            return False
    return False


def _walk(text: str, seq: list[Word], i: int, step: int, russian: bool) -> list[int]:
    """Indices of the words a negator at i excludes, walking forward (step 1) or backward (-1)."""
    scope = []
    content = 0
    k = i
    while 0 <= k + step < len(seq) and content < MAX_SCOPE:
        here, there = seq[k], seq[k + step]
        left, right = (here, there) if step > 0 else (there, here)
        between = text[left.end : right.start]
        if any(ch in BOUNDARY for ch in between):
            if not (step > 0 and between.strip() == "," and _list_goes_on(text, seq, k)):
                break
        if there.surface in CONTRAST or (step > 0 and there.surface in SUBJECTS) or (russian and there.surface == "no"):
            break
        k += step
        scope.append(k)
        content += not there.stop
    if any(seq[m].surface in EXPERIENCE for m in scope):
        return []
    return scope


def negated(text: str, seq: list[Word], language: str | None = None) -> list[bool]:
    """For each word of seq (analysis.words(text)), whether a negation excludes it.

    In Russian ("ru") text a Latin "no" is Russian "но" (but) written in Latin letters.
    """
    russian, urdu = language == "ru", language == "ur"
    out = [False] * len(seq)
    for i in range(len(seq)):
        kind = _negator(seq, i, russian, urdu)
        steps = {"fwd": (1,), "back": (-1,), "both": (1, -1)}.get(kind, ())
        for step in steps:
            for k in _walk(text, seq, i, step, russian):
                out[k] = True
    return out


def negators(seq: list[Word], language: str | None = None) -> list[bool]:
    """For each word, whether it acts as a negator here: such a word never names a concept itself
    ("krome KRS" is Russian "кроме КРС", not the Roman Urdu "krome" for chrome)."""
    russian, urdu = language == "ru", language == "ur"
    return [_negator(seq, i, russian, urdu) is not None for i in range(len(seq))]
