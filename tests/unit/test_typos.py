"""Close misspellings of vocabulary words reach their concept; near-miss real words never do."""

import pytest

from portal.search import extract_concepts
from portal.search.typos import distance, edits_allowed


@pytest.mark.parametrize(
    "typo, concept",
    [
        ("vegetabel tanned", "tan_vegetable"),  # two letters swapped
        ("vegetble tanned", "tan_vegetable"),  # one left out
        ("лизинг оборудывания", "svc_machinery"),  # an inflected Russian misspelling
    ],
)
def test_a_close_misspelling_finds_its_concept(typo, concept):
    assert concept in extract_concepts(typo)


@pytest.mark.parametrize(
    "word, near_miss, concept",
    [
        ("goat skins", "boat skins", "hide_goat"),
        ("goat skins", "coat skins", "hide_goat"),
        ("sheep skins", "sheet skins", "hide_sheep"),
        ("cattle hides", "castle hides", "hide_cattle"),
        ("wet blue", "wet glue", "stage_wetblue"),
        ("wet blue boots", "wet blue boats", "seg_footwear"),
    ],
)
def test_a_near_miss_real_word_does_not_borrow_the_concept(word, near_miss, concept):
    assert concept in extract_concepts(word)
    assert concept not in extract_concepts(near_miss)


@pytest.mark.parametrize("near_miss", ["кожух", "sides", "side leather", "кожуха"])
def test_near_misses_of_short_words_find_nothing_new(near_miss):
    assert extract_concepts(near_miss) == []


def test_short_words_and_numbers_are_never_corrected():
    assert edits_allowed("goat") == 0
    assert extract_concepts("12345") == []


def test_long_words_allow_two_edits_and_short_ones_one():
    assert edits_allowed("tanning") == 1
    assert edits_allowed("vegetables") == 2


def test_distance_counts_a_swap_of_neighbours_as_one_edit():
    assert distance("vegetabel", "vegetable", 2) == 1
    assert distance("hides", "sides", 1) == 1
    assert distance("кожа", "кожух", 1) == 2


def test_kazakh_texts_are_not_corrected():
    # Kazakh suffixes make near neighbours of real words (керек "needed" is not a typo).
    assert extract_concepts("бізге жабдық керек", language="kk") == extract_concepts("бізге жабдық")


def test_a_dropped_letter_in_a_short_word_is_corrected_but_a_changed_one_is_not():
    from portal.taxonomy import Term, Vocabulary, builtin

    vocab = Vocabulary(builtin().facets, {"stage_finished": Term("stage_finished", "stage", {}, {"en": ["leather"]})})
    assert extract_concepts("lether", vocab=vocab) == ["stage_finished"]
    assert extract_concepts("leathar", vocab=vocab) == ["stage_finished"]  # seven letters: any one edit
    assert extract_concepts("feather", vocab=vocab) == []  # first letter changed, and a common word
