"""detect_language: which of en/ru/kk/ur a text is in, from its script and letters (a pure function)."""

import pytest

from portal.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wet blue cattle hides, chrome tanned, 40 containers a year", "en"),
        ("Очистные сооружения для кожевенного завода в Шымкенте", "ru"),
        ("Қой терісін өңдеу бойынша оқыту, Шымкент қаласында", "kk"),
        ("سیالکوٹ میں چمڑے کی رنگائی کے لیے کیمیکل درکار ہیں", "ur"),
    ],
    ids=["english", "russian", "kazakh", "urdu"],
)
def test_each_language_is_told_by_its_script_and_letters(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", None])
def test_no_text_gives_the_default(text):
    assert detect_language(text) == "en"
    assert detect_language(text, default="ru") == "ru"


@pytest.mark.parametrize("text", ["12345", "2024-05-01, 40/60", "!!! ??? …", "   \n\t"])
def test_text_without_letters_gives_the_default(text):
    assert detect_language(text, default="kk") == "kk"


def test_a_russian_text_quoting_an_english_brand_stays_russian():
    assert detect_language("Поставляем хромовые дубители Lanxess и BASF со склада в Алматы") == "ru"


def test_a_mostly_english_text_with_a_russian_word_stays_english():
    assert detect_language("Wet blue hides from Shymkent (шкуры), grade A and B") == "en"


def test_a_russian_text_naming_a_kazakh_company_stays_russian():
    # One or two Kazakh-only letters in a long Russian text are a name, not Kazakh (the 4% threshold).
    assert detect_language("Компания «Ақ Бота» предлагает сырые шкуры крупного рогатого скота оптом") == "ru"


def test_kazakh_needs_at_least_two_kazakh_only_letters():
    assert detect_language("Қой") == "ru"  # one such letter: too little to tell
    assert detect_language("Қой терісі") == "kk"


def test_urdu_wins_a_tie_with_latin_letters():
    assert detect_language("ab چم") == "ur"


def test_cyrillic_wins_a_tie_with_latin_letters():
    assert detect_language("ab шк") == "ru"


def test_urdu_with_a_few_english_words_stays_urdu():
    assert detect_language("LWG سرٹیفائیڈ ٹینری سے تیار شدہ چمڑا") == "ur"
