"""The taxonomy's trade vocabulary: Roman Urdu, Latin-script Kazakh and Russian, products, chemistry and
abbreviations reach their concepts through the public extract_concepts."""

import json

import pytest

from portal.search import extract_concepts
from portal.taxonomy import DATA_FILE, LANGS, builtin


@pytest.mark.parametrize(
    "text, language, concept",
    [
        # Roman Urdu
        ("humein bakri ki khaal chahiye", "ur", "hide_goat"),
        ("bhains aur gaaye ki khaalein", "ur", "hide_buffalo"),
        ("bher ki khal ke liye", "ur", "hide_sheep"),
        ("namak lagi kachi khaalein chahiye", "ur", "stage_raw"),
        ("hum jootay aur chappal banate hain", "ur", "seg_footwear"),
        ("zeen aur lagaam ka chamra", "ur", "seg_saddlery"),
        ("chamray ke batwe aur belts", "ur", "seg_bags"),
        ("babool ki chhaal se dabaghat", "ur", "tan_vegetable"),
        ("karigaron ko tarbiyat chahiye", "ur", "svc_training"),
        ("gande pani ki safai ka plant", "ur", "svc_effluent"),
        # Urdu script
        ("قصور میں کاٹھیاں بنانے والے", "ur", "seg_saddlery"),
        # Latin-script Kazakh and Russian
        ("Irı qara mal terısın satamyz", "kk", "hide_cattle"),
        ("qoi terısın satamyz", "kk", "hide_sheep"),
        ("Kupim remennuyu kozhu KRS", "ru", "hide_cattle"),
        ("Prodaem dublyonki optom", "ru", "seg_garment"),
        # Russian and Kazakh abbreviations and products
        ("Продаём шкуры МРС", "ru", "hide_sheep"),
        ("Продаём шкуры МРС", "ru", "hide_goat"),
        ("ұсақ малдың терісі сатылады", "kk", "hide_goat"),
        ("Ищем поставщика берцы и рабочие ботинки", "ru", "seg_footwear"),
        # Indirect English mentions: products, chemistry, stage
        ("army boots and school shoes", "en", "seg_footwear"),
        ("leather for car interiors and seat covers", "en", "seg_upholstery"),
        ("keeper gloves and batting gloves", "en", "seg_sports"),
        ("gilets, parkas and trench coats", "en", "seg_garment"),
        ("saddle skirting and latigo", "en", "seg_saddlery"),
        ("tanned with basic chromium sulphate", "en", "tan_chrome"),
        ("mimosa extract and tara tannin", "en", "tan_vegetable"),
        ("heavy metal free, aldehyde pre-tan", "en", "tan_chromefree"),
        # Trade abbreviations
        ("WTB WB cow sides TR1-TR3", "en", "stage_wetblue"),
        ("WTB WB cow sides TR1-TR3", "en", "hide_cattle"),
        ("Cr-tanned splits", "en", "tan_chrome"),
        ("tannery ETP and CETP", "en", "svc_effluent"),
        ("LWG gold rated tannery", "en", "cert_lwg"),
    ],
)
def test_trade_vocabulary_reaches_its_concept(text, language, concept):
    assert concept in extract_concepts(text, language)


@pytest.mark.parametrize(
    "text, concept",
    [
        ("We bought new web based software", "stage_wetblue"),  # "wb" only as a whole word
        ("Mrs Khan, Karachi", "hide_sheep"),
        ("Rs 2 crore turnover", "tan_chrome"),  # no bare "cr"
        ("sodium chloride and salt recovery", "stage_raw"),
        ("ho gaye hain, chale gaye", "hide_cattle"),  # Roman Urdu verb, not "gaaye" (cow)
        ("dyed crust for shoes", "svc_chemicals"),
        ("the latest technology in our plant", "svc_techtransfer"),
        ("kursi ke liye", "svc_training"),  # Roman Urdu "chair" is not the Kazakh "kurs" (course)
    ],
)
def test_short_and_ambiguous_words_do_not_fire(text, concept):
    assert concept not in extract_concepts(text)


def test_a_roman_urdu_function_word_is_not_an_english_stem():
    """ "har" (every) is what the English stemmer makes of "harness": in Roman Urdu it names nothing."""
    assert extract_concepts("Humein bakri ki khaal chahiye, har mahine 2000", "ur") == ["hide_goat"]
    assert "seg_saddlery" in extract_concepts("Saddles, bridles and harness for export", "en")


def test_terms_file_keeps_its_shape_and_format():
    raw = DATA_FILE.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert raw == json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    facets = {f["id"] for f in data["facets"]}
    for term in data["terms"]:
        assert list(term) == ["id", "facet", "labels", "synonyms"]
        assert term["facet"] in facets
        assert set(term["synonyms"]) <= set(LANGS)
        for words in term["synonyms"].values():
            assert len(words) == len({w.lower() for w in words}), term["id"]
            assert all(w.strip() == w and w for w in words), term["id"]
    assert len(builtin().terms) == len(data["terms"])
