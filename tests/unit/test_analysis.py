"""Text analysis and concept extraction in four languages, without an app or an index."""

import pickle

import pytest

from portal.search.analysis import MultilingualAnalyzer, normalize, stems, words
from portal.search.concepts import extract_concepts, matcher
from portal.search.schema import make_schema
from portal.taxonomy import Term, Vocabulary, builtin


def test_english_words_are_stemmed():
    assert stems("tanning tanned hides") == ["tan", "tan", "hide"]


def test_russian_words_are_stemmed_and_yo_folded():
    assert stems("очистных сооружений") == stems("очистные сооружения")
    assert normalize("Ёмкость")[0] == "емкость"


def test_kazakh_letters_are_folded():
    assert normalize("ӘҒҚҢӨҰҮҺІ")[0] == "агкноуухи"
    assert stems("Қой") == stems("кой")


def test_urdu_arabic_kaf_and_yeh_become_urdu_forms():
    arabic_spelling = "\u0643\u06be\u0627\u0644"  # kaf + heh doachashmee + alef + lam
    urdu_spelling = "\u06a9\u06be\u0627\u0644"
    assert normalize(arabic_spelling)[0] == normalize(urdu_spelling)[0]
    assert normalize("\u0628\u064a\u0644")[0] == normalize("\u0628\u06cc\u0644")[0]  # Arabic yeh -> Urdu yeh


def test_urdu_diacritics_and_tatweel_are_removed_but_offsets_kept():
    text = "چمـڑا کی کَھال"
    found = words(text)
    assert [w.surface for w in found][0] == "چمڑا"
    assert all(text[w.start : w.end].strip() for w in found)
    assert normalize("کَھال")[0] == normalize("کھال")[0]


def test_stop_words_are_flagged_not_dropped_for_phrases():
    flags = [(w.surface, w.stop) for w in words("in the blue")]
    assert flags == [("in", True), ("the", True), ("blue", False)]


def test_analyzer_gives_char_offsets_for_highlighting():
    text = "Wet-blue <b>hides</b>"
    tokens = [(t.text, text[t.startchar : t.endchar]) for t in MultilingualAnalyzer()(text, chars=True)]
    assert tokens == [("wet", "Wet"), ("blue", "blue"), ("hide", "hides")]


def test_schema_with_its_analyzers_pickles():
    loaded = pickle.loads(pickle.dumps(make_schema()))  # noqa: S301 - our own bytes, as Whoosh does
    assert [t.text for t in loaded["body"].analyzer("Шкуры КРС")] == ["шкур", "крс"]


@pytest.mark.parametrize(
    "text, concept",
    [
        ("We sell wet blue cattle hides", "stage_wetblue"),
        ("Продаём хромовый полуфабрикат", "stage_wetblue"),
        ("Ищем специалистов по очистным сооружениям", "svc_effluent"),
        ("Сиырлардың терісін сатамыз", "hide_cattle"),  # Kazakh "*" synonym: сиыр*
        ("ویٹ بلیو چمڑا برآمد", "stage_wetblue"),
    ],
)
def test_concepts_are_named_in_every_language(text, concept):
    assert concept in extract_concepts(text)


def test_stop_word_phrase_does_not_match_its_last_word_alone():
    assert "stage_wetblue" in extract_concepts("hides tanned and kept in the blue")
    vocab = Vocabulary(builtin().facets, {"stage_wetblue": Term("stage_wetblue", "stage", {}, {"en": ["in the blue"]})})
    assert extract_concepts("a blue bag", vocab=vocab) == []


def test_longer_match_of_same_facet_wins():
    found = extract_concepts("chrome-free leather for car seats")
    assert "tan_chromefree" in found and "tan_chrome" not in found


def test_kazakh_synonyms_of_five_letters_match_as_prefixes():
    vocab = Vocabulary(builtin().facets, {"seg_saddlery": Term("seg_saddlery", "segment", {}, {"kk": ["ертоқым"]})})
    assert extract_concepts("ертоқымдарды жасаймыз", vocab=vocab) == ["seg_saddlery"]
    short = Vocabulary(builtin().facets, {"hide_horse": Term("hide_horse", "hide", {}, {"kk": ["жылқы"]})})
    assert extract_concepts("жылқылар", vocab=short) == ["hide_horse"]


def test_concepts_most_named_first():
    assert extract_concepts("Saddles. Saddle trees, saddle leather and a wet blue offer.")[0] == "seg_saddlery"


def test_matcher_is_cached_per_vocabulary():
    vocab = builtin()
    assert matcher(vocab) is matcher(vocab)
    other = Vocabulary(vocab.facets, {**vocab.terms, "x_new": Term("x_new", "service", {"en": "Embossing"}, {})})
    assert matcher(other) is not matcher(vocab)
    assert "x_new" in extract_concepts("embossing rollers", vocab=other)
    assert "x_new" not in extract_concepts("embossing rollers", vocab=vocab)
