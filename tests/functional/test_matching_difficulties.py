"""Members as they really write (issue 11, item 9), difficulty by difficulty, on the real path
(factories -> database -> index -> `flask match --json`).

For each difficulty (shorthand, products naming their segment, chemistry naming its method, typos,
unset language and code-switching, scripts, negation) a listing written that way finds its
complementary listing in another language and script, ranked above a decoy about a different
concept; an excluded concept never counts, and typo tolerance adds no match between unrelated
listings (goat/boat, кожа/кожух).
"""

import pytest

from portal.search.concepts import extract_concepts

from .. import factories
from .test_matching import match_json, matched_refs


def reasons_of(runner, ref, other) -> list[str]:
    """Why `other` was suggested for `ref` ([] when it was not suggested at all)."""
    return next((m["reasons"] for m in match_json(runner, ref)["matches"] if m["ref"] == other), [])


def names(reasons, label) -> bool:
    return any(label.lower() in r.lower() for r in reasons)


# Shorthand and abbreviations


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("WTB WB cow sides TR1-TR3", "en", "stage_wetblue"),
        ("WTB WB cow sides TR1-TR3", "en", "hide_cattle"),
        ("Шкуры КРС", "ru", "hide_cattle"),
        ("Shkury KRS", None, "hide_cattle"),
        ("ETP design and operation", "en", "svc_effluent"),
        ("CETP for a tannery cluster", "en", "svc_effluent"),
        ("LWG certified tannery", "en", "cert_lwg"),
        ("Cr tanned cow sides", "en", "tan_chrome"),
    ],
)
def test_abbreviations_name_their_concept(text, language, concept):
    assert concept in extract_concepts(text, language)


def test_a_shorthand_wet_blue_request_finds_a_russian_offer(runner, pk_company, kz_company):
    factories.make_live_listing(
        pk_company, "WTB WB cow sides TR1-TR3", "CIF Karachi, LC 90 days.", direction="request", ref="pk"
    )
    factories.make_live_listing(kz_company, "Сырые козьи шкуры, мокросоленые", ref="kz-goat")
    factories.make_live_listing(kz_company, "Продаём полуфабрикат вет-блю КРС", "3 сорта, 2 контейнера.", ref="kz-wb")
    assert matched_refs(runner, "pk")[:1] == ["kz-wb"]


def test_krs_in_latin_letters_is_found_by_an_urdu_request(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "ہمیں گائے کی کچی کھالیں چاہئیں", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Ovchina mokrosolenaya, 2 konteynera", ref="kz-sheep")
    factories.make_live_listing(kz_company, "Shkury KRS mokrosolenye, 2 konteynera", ref="kz-krs")
    assert matched_refs(runner, "pk")[:1] == ["kz-krs"]


def test_etp_in_a_russian_request_finds_an_urdu_offer(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company, "Ищем партнёра: ETP и CETP для кожевенного кластера", direction="request", ref="kz"
    )
    factories.make_live_listing(pk_company, "Tannery machinery supply and installation", ref="pk-machines")
    factories.make_live_listing(pk_company, "ٹینریوں کے لیے ٹریٹمنٹ پلانٹ اور گندے پانی کی صفائی", ref="pk-etp")
    assert matched_refs(runner, "kz")[:1] == ["pk-etp"]


# Products name their segment, processes their stage


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("army boots", "en", "seg_footwear"),
        ("Кожа для армейских ботинок", "ru", "seg_footwear"),
        ("jootay banane ke liye chamra", None, "seg_footwear"),
        ("car seats", "en", "seg_upholstery"),
        ("Көлік салондары мен жиһазға арналған былғары", "kk", "seg_upholstery"),
        ("saddles and bridles", "en", "seg_saddlery"),
        ("Ghoray ki zeen aur lagaam", None, "seg_saddlery"),
        ("footballs and keeper gloves", "en", "seg_sports"),
        ("handbags, wallets, belts", "en", "seg_bags"),
        ("بٹوے اور بیلٹ", "ur", "seg_bags"),
        ("sheepskin coats", "en", "seg_garment"),
        ("dublyonki", None, "seg_garment"),
        ("blue stock", "en", "stage_wetblue"),
    ],
)
def test_products_and_processes_name_their_segment_and_stage(text, language, concept):
    assert concept in extract_concepts(text, language)


def test_keeper_gloves_are_sports_goods_not_gloves():
    assert extract_concepts("footballs and keeper gloves", "en") == ["seg_sports"]


def test_a_russian_army_boots_request_finds_an_urdu_footwear_offer(runner, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Кожа для армейских ботинок", direction="request", ref="kz")
    factories.make_live_listing(pk_company, "Upholstery leather for sofas", ref="pk-sofa")
    factories.make_live_listing(pk_company, "جوتوں کے لیے تیار چمڑا", ref="pk-shoes")
    assert matched_refs(runner, "kz")[:1] == ["pk-shoes"]


def test_a_car_seats_request_finds_a_kazakh_upholstery_offer(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Leather for car seats", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Аяқ киімге арналған былғары", ref="kz-shoes")
    factories.make_live_listing(kz_company, "Көлік салондары мен жиһазға арналған былғары", ref="kz-car")
    assert matched_refs(runner, "pk")[:1] == ["kz-car"]


def test_a_footballs_offer_finds_a_russian_sports_request_not_a_gloves_one(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Footballs and keeper gloves, hand stitched", ref="pk")
    factories.make_live_listing(kz_company, "Кожа для рабочих перчаток", direction="request", ref="kz-gloves")
    factories.make_live_listing(kz_company, "Кожа для футбольных мячей", direction="request", ref="kz-balls")
    assert matched_refs(runner, "pk")[:1] == ["kz-balls"]
    assert not names(reasons_of(runner, "pk", "kz-gloves"), "Gloves")


def test_a_roman_urdu_saddlery_offer_finds_a_kazakh_request(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Leather belts and wallets", ref="pk-belts")
    factories.make_live_listing(pk_company, "Ghoray ki zeen aur lagaam", ref="pk-saddles")
    factories.make_live_listing(kz_company, "Ер-тұрман мен жүгенге былғары керек", direction="request", ref="kz")
    assert matched_refs(runner, "kz")[:1] == ["pk-saddles"]


def test_a_sheepskin_coats_request_finds_dublyonki_in_latin_letters(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Sheepskin coats wanted", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Ovchina mokrosolenaya", ref="kz-raw")
    factories.make_live_listing(kz_company, "Dublyonki i kurtki iz ovchiny", ref="kz-coats")
    assert matched_refs(runner, "pk")[:1] == ["kz-coats"]


def test_a_blue_stock_offer_finds_a_kazakh_wet_blue_request(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Blue stock, cow, TR2", ref="pk")
    factories.make_live_listing(kz_company, "Тұздалған сиыр терісі керек", direction="request", ref="kz-raw")
    factories.make_live_listing(kz_company, "Вет-блю жартылай фабрикат керек", direction="request", ref="kz-wb")
    assert matched_refs(runner, "pk")[:1] == ["kz-wb"]


# Chemistry names its method


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("basic chromium sulphate", "en", "tan_chrome"),
        ("mimosa and quebracho", "en", "tan_vegetable"),
        ("babul bark", "en", "tan_vegetable"),
        ("babool ki chhaal", None, "tan_vegetable"),
        ("Мимоза и квебрахо", "ru", "tan_vegetable"),
        ("Mimoza jäne kvebraho", None, "tan_vegetable"),
        ("glutaraldehyde", "en", "tan_chromefree"),
        ("metal-free tanning", "en", "tan_chromefree"),
        ("wet-white", "en", "tan_chromefree"),
    ],
)
def test_chemistry_names_its_method(text, language, concept):
    assert concept in extract_concepts(text, language)


def test_basic_chromium_sulphate_finds_a_russian_chrome_tanning_request(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Basic chromium sulphate, 33% basicity", ref="pk")
    factories.make_live_listing(kz_company, "Нужны растительные дубители: мимоза", direction="request", ref="kz-veg")
    factories.make_live_listing(
        kz_company, "Покупаем дубители для хромового дубления", direction="request", ref="kz-chrome"
    )
    assert matched_refs(runner, "pk")[:1] == ["kz-chrome"]


def test_mimosa_and_quebracho_find_a_kazakh_vegetable_tanning_request(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Mimosa and quebracho extract, ex-Karachi", ref="pk")
    factories.make_live_listing(kz_company, "Хромсыз илеу: глутаральдегид керек", direction="request", ref="kz-free")
    factories.make_live_listing(
        kz_company, "Өсімдікпен илеуге арналған илегіштер керек", direction="request", ref="kz-veg"
    )
    assert matched_refs(runner, "pk")[:1] == ["kz-veg"]


def test_a_glutaraldehyde_request_finds_a_russian_chrome_free_offer(runner, pk_company, kz_company):
    factories.make_live_listing(
        pk_company, "Glutaraldehyde and metal-free syntans for wet-white", direction="request", ref="pk"
    )
    factories.make_live_listing(kz_company, "Хромовое дубление, готовые хромовые растворы", ref="kz-chrome")
    factories.make_live_listing(kz_company, "Бесхромовое дубление, альдегидный дубитель", ref="kz-free")
    assert matched_refs(runner, "pk")[:1] == ["kz-free"]


# Typos, and what typo tolerance must not do


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("Finished lether for shoes", "en", "stage_finished"),
        ("finnished leather", "en", "stage_finished"),
        ("Upholstrey leather", "en", "seg_upholstery"),
        ("effluant treatment", "en", "svc_effluent"),
        ("Поставка оборудывания", "ru", "svc_machinery"),
    ],
)
def test_a_misspelt_word_still_names_its_concept(text, language, concept):
    assert concept in extract_concepts(text, language)


@pytest.mark.parametrize(
    ("near_miss", "real", "language", "concept"),
    [
        ("Fibreglass boats and boat trailers", "Goat skins and goat hides", "en", "hide_goat"),
        ("boat", "goat", "en", "hide_goat"),
        ("coats", "goats", "en", "hide_goat"),
        ("Стальной кожух для верха насоса", "Кожа для верха обуви", "ru", "seg_footwear"),
        ("готовый кожух", "готовая кожа", "ru", "stage_finished"),
    ],
)
def test_a_near_miss_word_is_not_corrected_into_a_concept(near_miss, real, language, concept):
    assert concept in extract_concepts(real, language)
    assert concept not in extract_concepts(near_miss, language)


def test_a_russian_request_with_a_typo_finds_an_english_machinery_offer(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company, "Нужна поставка оборудывания для кожевенного завода", direction="request", ref="kz"
    )
    factories.make_live_listing(pk_company, "Leather chemicals and dyes", ref="pk-chem")
    factories.make_live_listing(pk_company, "Tannery machinery: splitting and shaving machines", ref="pk-machines")
    assert matched_refs(runner, "kz")[:1] == ["pk-machines"]


def test_a_misspelt_english_request_finds_a_russian_finished_leather_offer(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Finished lether for shoes", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Сырые шкуры КРС", ref="kz-raw")
    factories.make_live_listing(kz_company, "Готовая кожа для обуви", ref="kz-finished")
    assert matched_refs(runner, "pk")[:1] == ["kz-finished"]


def test_a_boats_listing_shares_no_goat_concept_with_a_goat_skins_request(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Raw goat skins wanted", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Fibreglass boats and boat trailers", ref="kz-boats")
    factories.make_live_listing(kz_company, "Козьи шкуры мокросоленые", ref="kz-goat")
    assert matched_refs(runner, "pk")[:1] == ["kz-goat"]
    assert not names(reasons_of(runner, "pk", "kz-boats"), "Goatskins")


def test_a_casings_listing_shares_no_footwear_concept_with_an_upper_leather_request(runner, pk_company, kz_company):
    factories.make_live_listing(kz_company, "Кожа для верха обуви", direction="request", ref="kz")
    factories.make_live_listing(pk_company, "Стальные кожухи для верха насосов", ref="pk-casings")
    factories.make_live_listing(pk_company, "Upper leather for shoes", ref="pk-uppers")
    assert matched_refs(runner, "kz")[:1] == ["pk-uppers"]
    assert not names(reasons_of(runner, "kz", "pk-casings"), "Footwear")


# Unset language, Latin-script Kazakh and Russian, Roman Urdu, code-switching


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        ("Biz ırı qara mal terısın satamyz, tūzdalğan", {"hide_cattle", "stage_raw"}),  # Kazakh, 2021 alphabet
        ("Qoy terisi, shikizat", {"hide_sheep", "stage_raw"}),  # Kazakh, informal ASCII
        ("Shkury yalovki, khromovoe dublenie", {"hide_cattle", "tan_chrome"}),  # Russian in Latin letters
        ("Kurtki iz ovchiny", {"seg_garment", "hide_sheep"}),
        ("Gaye ki khaal, namak lagi", {"hide_cattle", "stage_raw"}),  # Roman Urdu
        ("Kroom dabaghat ki tarbiyat", {"tan_chrome", "svc_training"}),
        ("Know-how по chrome tanning и очистным сооружениям", {"tan_chrome", "svc_effluent"}),  # code-switched
        ("Know-how по finishing: из краста в готовую кожу", {"stage_finished", "stage_crust"}),
    ],
)
def test_a_text_with_no_language_set_names_its_concepts(text, concepts):
    assert concepts <= set(extract_concepts(text, None))


def test_an_unset_language_kazakh_latin_offer_finds_an_urdu_request(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company, "Biz ırı qara mal terısın satamyz", "Tūzdalğan, ai saiyn 2 konteiner.", language=None, ref="kz"
    )
    factories.make_live_listing(kz_company, "Qoy terisi, shikizat", language=None, ref="kz-sheep")
    factories.make_live_listing(pk_company, "ہمیں گائے کی کچی کھالیں چاہئیں", direction="request", ref="pk")
    assert matched_refs(runner, "pk")[:1] == ["kz"]


def test_an_unset_language_roman_urdu_request_finds_a_kazakh_offer(runner, pk_company, kz_company):
    factories.make_live_listing(
        pk_company, "Humein chamra chahiye, jootay banane ke liye", direction="request", language=None, ref="pk"
    )
    factories.make_live_listing(kz_company, "Жиһазға арналған былғары", ref="kz-furniture")
    factories.make_live_listing(kz_company, "Аяқ киімге арналған былғары", ref="kz-shoes")
    assert matched_refs(runner, "pk")[:1] == ["kz-shoes"]


def test_a_code_switched_request_finds_both_halves_in_an_english_offer(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company,
        "Know-how по chrome tanning и очистным сооружениям",
        direction="request",
        type="technology_transfer",
        language=None,
        ref="kz",
    )
    factories.make_live_listing(pk_company, "Vegetable tanning know-how", type="technology_transfer", ref="pk-veg")
    factories.make_live_listing(
        pk_company, "Chrome tanning and effluent treatment know-how", type="technology_transfer", ref="pk-both"
    )
    assert matched_refs(runner, "kz")[:1] == ["pk-both"]
    reasons = reasons_of(runner, "kz", "pk-both")
    assert names(reasons, "Chrome tanning") and names(reasons, "Effluent treatment")


# Negation


@pytest.mark.parametrize(
    ("text", "language", "excluded", "kept"),
    [
        ("We buy cow hides, no goat skins", "en", "hide_goat", "hide_cattle"),
        ("not chrome tanning, only vegetable tanning", "en", "tan_chrome", "tan_vegetable"),
        ("Нам не нужно оборудование, нужно обучение", "ru", "svc_machinery", "svc_training"),
        ("Покупаем овчину, кроме КРС", "ru", "hide_cattle", "hide_sheep"),
        ("Жабдық керек емес, оқыту керек", "kk", "svc_machinery", "svc_training"),
        ("Хром керек емес, өсімдікпен илеу керек", "kk", "tan_chrome", "tan_vegetable"),
        ("ہمیں بکری کی کھال نہیں چاہیے، گائے کی کھال چاہیے", "ur", "hide_goat", "hide_cattle"),
        ("Humein machinery nahi chahiye, sirf training", None, "svc_machinery", "svc_training"),
    ],
)
def test_an_excluded_concept_is_not_named(text, language, excluded, kept):
    concepts = extract_concepts(text, language)
    assert excluded not in concepts and kept in concepts


def test_a_kazakh_request_that_excludes_machinery_finds_english_training(runner, pk_company, kz_company):
    factories.make_live_listing(
        kz_company,
        "Жабдық керек емес, бізге былғары өңдеуді оқыту керек",
        direction="request",
        type="training",
        ref="kz",
    )
    factories.make_live_listing(
        pk_company, "Tannery machinery installation and commissioning", type="training", ref="pk-machines"
    )
    factories.make_live_listing(pk_company, "Training for tannery staff", type="training", ref="pk-training")
    assert matched_refs(runner, "kz")[:1] == ["pk-training"]
    assert not names(reasons_of(runner, "kz", "pk-machines"), "Machinery")


def test_an_urdu_request_that_excludes_goat_finds_kazakh_cattle_hides(runner, pk_company, kz_company):
    factories.make_live_listing(
        pk_company, "ہمیں بکری کی کھال نہیں چاہیے، گائے کی کھال چاہیے", direction="request", ref="pk"
    )
    factories.make_live_listing(kz_company, "Ешкі терісі, тұздалған", ref="kz-goat")
    factories.make_live_listing(kz_company, "Сиыр терісі, тұздалған", ref="kz-cattle")
    assert matched_refs(runner, "pk")[:1] == ["kz-cattle"]
    assert not names(reasons_of(runner, "pk", "kz-goat"), "Goatskins")


def test_an_english_request_that_excludes_goat_finds_russian_cattle_hides(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Wet salted cow hides wanted, no goat skins", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Козьи шкуры мокросоленые", ref="kz-goat")
    factories.make_live_listing(kz_company, "Шкуры КРС мокросоленые", ref="kz-cattle")
    assert matched_refs(runner, "pk")[:1] == ["kz-cattle"]
    assert not names(reasons_of(runner, "pk", "kz-goat"), "Goatskins")


# Cases the issue names that do not work yet


def test_no_pig_skins_excludes_pig_skins():
    assert "hide_pig" in extract_concepts("Pig skins, wet salted", "en")
    assert "hide_pig" not in extract_concepts("Cow hides wanted, no pig skins", "en")


def test_not_chrome_only_vegetable():
    assert extract_concepts("not chrome, only vegetable", "en") == ["tan_vegetable"]


def test_krome_krs_in_latin_letters_excludes_cattle_and_names_no_chrome():
    assert set(extract_concepts("Shkury MRS, krome KRS", None)) == {"hide_goat", "hide_sheep"}


def test_roman_urdu_krome_still_names_chrome():
    assert "tan_chrome" in extract_concepts("humein krome tanning seekhni hai", "ur")


def test_a_request_that_excludes_pig_skins_is_not_matched_with_pig_skin_offers(runner, pk_company, kz_company):
    factories.make_live_listing(pk_company, "Cow hides wanted, no pig skins", direction="request", ref="pk")
    factories.make_live_listing(kz_company, "Свиные шкуры, мокросоленые", ref="kz-pig")
    factories.make_live_listing(kz_company, "Шкуры КРС, мокросоленые", ref="kz-cattle")
    found = match_json(runner, "pk")["matches"]
    assert found[0]["ref"] == "kz-cattle"
    pig = [m for m in found if m["ref"] == "kz-pig"]
    assert not pig or not any("Pig" in r for r in pig[0]["reasons"])
