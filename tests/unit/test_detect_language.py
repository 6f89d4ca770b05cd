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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bız jünı bar qoi terısın satamyz, aiyna 5 myñ dana", "kk"),
        ("Iri qara mal terisin satamyz, Qostanai, 3 konteiner/ai", "kk"),
        ("Kupim kozhu KRS dlya obuvi, nuzhno 5000 kv. futov v mesyats", "ru"),
        ("My ishchem postavshchika gotovoy kozhi dlya remney i sumok", "ru"),
        ("humein goat skin ki tanning seekhni hai", "ur"),
        ("Hum har mahine chamra bechte hain, rate WhatsApp par bhejein", "ur"),
    ],
    ids=[
        "kazakh-2021-alphabet",
        "kazakh-ascii",
        "russian-latin",
        "russian-latin-endings",
        "roman-urdu",
        "roman-urdu-2",
    ],
)
def test_latin_script_kazakh_russian_and_urdu_are_told_by_their_words(text, expected):
    assert detect_language(text) == expected


def test_a_word_with_a_kazakh_2021_letter_counts_for_kazakh():
    assert detect_language("Ösımdık ilegen bylğary kerek") == "kk"


def test_mixed_text_is_in_the_language_most_of_it_is_written_in():
    urdu_mostly = "Wet blue chahiye. Humein har mahine do container chahiye aur rate bhi batayein, LC ho sakti hai"
    english_mostly = "We need wet blue cow hides every month and will pay by LC; humein jaldi chahiye"
    assert detect_language(urdu_mostly) == "ur"
    assert detect_language(english_mostly) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "We buy wet blue cow hides from Kazakhstan, satamyz style, 20 containers a month",
        "Saddle leather for the Ūlytau workshop, 4-6 mm, vegetable tanned",
        "Offer from Qasim Tanneries: chrome tanned goat nappa for gloves",
        "FG cow lthr, 150k sqft, qty 40 cols, FOB Karachi",
        "Chrome VI test in leather by ISO 17075, my lab or yours",
        "Wet blue hides, chahiye soon, for our tannery in Lahore",
    ],
    ids=[
        "one-kazakh-word",
        "a-kazakh-name",
        "an-urdu-name-with-q",
        "english-shorthand",
        "roman-numeral",
        "one-urdu-word",
    ],
)
def test_english_with_a_stray_foreign_word_or_name_stays_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["Satamyz", "kozha", "chahiye", "WTB WB cow sides TR1-TR3"])
def test_short_or_unclear_latin_text_falls_back_to_english(text):
    assert detect_language(text) == "en"


def test_an_english_capital_i_is_not_the_russian_conjunction():
    # Three capital "I" against two Russian words: counted as Russian they would make it Russian.
    assert detect_language("I said I know I po kozhu") == "en"
    assert detect_language("i said i know i po kozhu") == "ru"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wet blue кожа", "latin"),
        ("Кожа wet blue КРС оптом", "cyrillic"),
        ("LWG سرٹیفائیڈ ٹینری", "arabic"),
        ("Bız jünı", "latin"),
        ("12 345", None),
        ("", None),
    ],
)
def test_dominant_script_is_where_most_letters_are(text, expected):
    from portal.language import dominant_script

    assert dominant_script(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jylqy terisi, tuzdalgan, 500 dana satylady", "kk"),
        ("Prodayu syrye shkury KRS, 2000 shtuk v mesyats", "ru"),
        ("Goat skins ke liye buyer chahiye, 10000 pieces", "ur"),
    ],
    ids=["kazakh-ascii-passive", "russian-latin-first-person", "roman-urdu-with-english-nouns"],
)
def test_code_switched_latin_text_goes_by_its_grammar_words(text, expected):
    # The trade nouns are English in all three; the function words tell the language.
    assert detect_language(text) == expected
