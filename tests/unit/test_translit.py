"""Kazakh and Russian written in Latin letters reach the concepts of their Cyrillic forms."""

import pytest

from portal.search import extract_concepts
from portal.search.translit import readings, to_cyrillic
from portal.taxonomy import Term, Vocabulary, builtin

# Cyrillic synonyms only, so the Latin forms can only be found through their readings.
CYRILLIC_ONLY = Vocabulary(builtin().facets, {"hide_sheep": Term("hide_sheep", "hide", {}, {"kk": ["қой терісі"]})})


@pytest.mark.parametrize(
    "latin, cyrillic",
    [
        ("terısın", "терісін"),  # 2021 alphabet: ı is і
        ("öñdeu", "өңдеу"),
        ("şyğys", "шығыс"),
        ("qoi", "қой"),  # i after a vowel is й
        ("tehnologiasy", "технологиясы"),
        ("qazaqstannyng", "қазақстанның"),  # informal ASCII: ng for ң
    ],
)
def test_kazakh_latin_reads_as_kazakh_cyrillic(latin, cyrillic):
    assert to_cyrillic(latin, "kk") == cyrillic


@pytest.mark.parametrize(
    "latin, cyrillic",
    [
        ("shkury", "шкуры"),
        ("postavshchika", "поставщика"),
        ("kozhu", "кожу"),
        ("gotovoy", "готовой"),  # y after a vowel is й
        ("dlya", "для"),
        ("khrom", "хром"),
        ("hrom", "хром"),
        ("cveta", "цвета"),
        ("tsena", "цена"),
    ],
)
def test_russian_latin_reads_as_russian_cyrillic(latin, cyrillic):
    assert to_cyrillic(latin, "ru") == cyrillic


def test_a_word_with_digits_has_no_reading():
    assert readings("tr1") == ()


@pytest.mark.parametrize(
    "latin, cyrillic, concept",
    [
        ("Iri qara mal terısın satamyz", "Ірі қара мал терісін сатамыз", "hide_cattle"),
        ("iri qara mal terisin satamyz", "Ірі қара мал терісін сатамыз", "hide_cattle"),
        ("Qoi terısı", "Қой терісі", "hide_sheep"),
        ("Prodaem shkury KRS", "Продаём шкуры КРС", "hide_cattle"),
        ("khromovyy polufabrikat", "хромовый полуфабрикат", "stage_wetblue"),
        ("hromovyj polufabrikat", "хромовый полуфабрикат", "stage_wetblue"),
        ("Ishchem oborudovanie dlya dubleniya", "Ищем оборудование для дубления", "svc_machinery"),
    ],
)
def test_latin_script_text_finds_the_concepts_of_its_cyrillic_form(latin, cyrillic, concept):
    assert concept in extract_concepts(cyrillic)
    assert concept in extract_concepts(latin)


def test_common_english_words_are_not_read_as_cyrillic():
    assert extract_concepts("one tonne of the sum") == []


def test_a_reading_reaches_a_cyrillic_only_synonym():
    assert extract_concepts("Qoi terısı", vocab=CYRILLIC_ONLY) == ["hide_sheep"]
    assert extract_concepts("qoy terisi", vocab=CYRILLIC_ONLY) == ["hide_sheep"]


def test_roman_urdu_text_gets_no_cyrillic_reading():
    assert extract_concepts("qoi terısı", language="ur", vocab=CYRILLIC_ONLY) == []
