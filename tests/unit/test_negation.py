"""A concept the listing excludes does not count for it."""

import pytest

from portal.search import extract_concepts


@pytest.mark.parametrize(
    "text, excluded",
    [
        ("We buy wet blue. No goat skins.", "hide_goat"),
        ("We don't need machinery.", "svc_machinery"),
        ("Нам не нужно оборудование.", "svc_machinery"),
        ("Оборудование нам не нужно.", "svc_machinery"),
        ("Продаём полуфабрикат wet blue без хрома", "tan_chrome"),
        ("жабдық керек емес", "svc_machinery"),
        ("Qoi terısın satamyz, eşkı terısı joq", "hide_goat"),
        ("Қой терісін сатамыз, ешкі терісі жоқ", "hide_goat"),
        ("humein goat skin nahi chahiye", "hide_goat"),
        ("Shoes and boots are not part of this plan.", "seg_footwear"),
        ("We do not trade mimosa, quebracho or other tree extracts.", "tan_vegetable"),
    ],
)
def test_an_excluded_concept_is_not_found(text, excluded):
    assert excluded not in extract_concepts(text)


def test_the_exclusion_ends_at_a_contrast_word():
    found = extract_concepts("not chrome tanned, only vegetable tanned")
    assert "tan_chrome" not in found and "tan_vegetable" in found


def test_the_exclusion_ends_at_a_clause_boundary():
    found = extract_concepts("We do not need machinery; we buy goat skins.")
    assert "svc_machinery" not in found and "hide_goat" in found


def test_the_exclusion_ends_at_a_new_subject():
    assert "hide_goat" in extract_concepts("no machinery we want goat skins")


def test_russian_except_excludes_what_follows_it_only():
    found = extract_concepts("Принимаем шкуры коз, кроме КРС")
    assert "hide_goat" in found and "hide_cattle" not in found


@pytest.mark.parametrize(
    "text, concept",
    [
        ("not only goat skins but wet blue too", "hide_goat"),
        ("не менее 500 шкур КРС", "hide_cattle"),
        ("no less than 500 goat skins", "hide_goat"),
        ("No. 1 goat skins", "hide_goat"),
        ("We have no experience with goat skins and want training", "hide_goat"),
    ],
)
def test_phrases_that_look_negative_exclude_nothing(text, concept):
    assert concept in extract_concepts(text)


def test_urdu_negation_excludes_the_clause_before_it():
    assert "tan_chrome" not in extract_concepts("کروم والا کام ہم نہیں کرتے")
    assert "tan_chrome" in extract_concepts("کروم والا کام ہم کرتے ہیں")


def test_latin_no_in_russian_text_is_but():
    text = "Prodaem shkury KRS, no goat skins tozhe est"
    assert "hide_goat" in extract_concepts(text, language="ru")
    assert "hide_goat" not in extract_concepts(text, language="en")
