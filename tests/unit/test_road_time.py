"""Finding a company's city in what it wrote, and the road estimate between two cities of one country."""

import json

import pytest

from portal import geography
from portal.geography import cities, find_city, great_circle_km, road_time


@pytest.mark.parametrize(
    ("written", "city"),
    [
        ("Almaty", "almaty"),
        ("ALMATY", "almaty"),
        ("almaty.", "almaty"),
        ("Alma-Ata", "almaty"),
        ("Alma Ata", "almaty"),
        ("Алма-Ата", "almaty"),
        ("Chimkent", "shymkent"),
        ("Şymkent", "shymkent"),
        ("Чимкент", "shymkent"),
        ("Ust-Kamenogorsk", "oskemen"),
        ("Усть-Каменогорск", "oskemen"),
        ("Öskemen", "oskemen"),
        ("Oskemen", "oskemen"),
        ("Semipalatinsk", "semey"),
        ("Uralsk", "oral"),
        ("Nur-Sultan", "astana"),
        ("Lyallpur", "faisalabad"),
        ("Aktyubinsk", "aktobe"),
    ],
)
def test_old_names_and_spellings_find_the_city(written, city):
    assert find_city(written).id == city


@pytest.mark.parametrize(
    ("written", "city"),
    [
        ("Қостанай", "kostanay"),  # Kazakh Cyrillic
        ("Костанай", "kostanay"),  # Russian
        ("Qostanaı", "kostanay"),  # Kazakh Latin, 2018
        ("Qostanai", "kostanay"),  # Kazakh Latin, 2021
        ("Қарағанды", "karaganda"),
        ("Qarağandy", "karaganda"),
        ("کراچی", "karachi"),
        ("لاہور", "lahore"),
        ("لاهور", "lahore"),  # typed with the Arabic heh
        ("فیصل آباد", "faisalabad"),
        ("فیصل\u200cآباد", "faisalabad"),  # with a zero-width non-joiner instead of the space
        ("سیالکوٹ", "sialkot"),
    ],
)
def test_every_script_members_write_finds_the_city(written, city):
    assert find_city(written).id == city


@pytest.mark.parametrize(
    ("written", "city"),
    [
        ("Korangi, Karachi", "karachi"),
        ("Karachi (Korangi)", "karachi"),
        ("Korangi Industrial Area", "karachi"),
        ("г. Алматы", "almaty"),
        ("Алматы қаласы", "almaty"),
        ("Medeu district, Almaty", "almaty"),
        ("Shymkent city, Turkistan region", "shymkent"),
        ("Daska, Sialkot", "daska"),  # the precise place comes first
    ],
)
def test_districts_and_words_around_the_name_still_find_the_city(written, city):
    assert find_city(written).id == city


@pytest.mark.parametrize("written", ["", None, "Moscow", "Dubai", "Industrial Area", "—"])
def test_an_unknown_city_is_none(written):
    assert find_city(written) is None


def test_no_name_in_the_data_points_at_two_cities_and_every_city_has_four_labels():
    data = json.loads(geography.DATA_FILE.read_text(encoding="utf-8"))
    assert {c["country"] for c in data["cities"]} == {"PK", "KZ"}
    assert all(set(c["labels"]) == set(geography.LANGS) for c in data["cities"])
    geography._gazetteer.cache_clear()
    assert len(geography.cities()) == len(data["cities"])  # loading checks that no name is shared


def test_great_circle_distance_is_the_haversine_one():
    c = cities()
    assert great_circle_km(c["almaty"], c["almaty"]) == 0
    assert 1450 < great_circle_km(c["almaty"], c["kostanay"]) < 1510
    assert 1000 < great_circle_km(c["karachi"], c["lahore"]) < 1060
    assert great_circle_km(c["lahore"], c["kasur"]) == pytest.approx(great_circle_km(c["kasur"], c["lahore"]))


def test_almaty_to_kostanay_is_about_three_days_for_one_driver():
    road = road_time(cities()["almaty"], cities()["kostanay"])
    assert road.unit == "days" and road.amount == 3
    assert 1800 < road.km < 1950  # the published road is about 1,900 km


def test_karachi_to_lahore_is_one_to_two_days():
    road = road_time(cities()["karachi"], cities()["lahore"])
    assert road.unit == "days" and road.amount in (1, 2)


def test_lahore_to_kasur_and_sialkot_are_hours():
    assert road_time(cities()["lahore"], cities()["kasur"]).unit == "hours"
    assert road_time(cities()["lahore"], cities()["kasur"]).amount == 1
    sialkot = road_time(cities()["lahore"], cities()["sialkot"])
    assert sialkot.unit == "hours" and 2 <= sialkot.amount <= 3


def test_twin_cities_are_less_than_an_hour_apart():
    assert road_time(cities()["islamabad"], cities()["rawalpindi"]).unit == "under_hour"


def test_a_day_of_driving_or_less_is_said_in_hours_and_more_in_whole_days():
    c = cities()
    for a in c.values():
        for b in c.values():
            road = road_time(a, b)
            if road is None:
                continue
            if road.unit == "hours":
                assert 0.5 <= road.hours <= geography.DRIVING_HOURS_PER_DAY and road.amount >= 1
            elif road.unit == "days":
                assert road.hours > geography.DRIVING_HOURS_PER_DAY and road.amount >= 1
                assert abs(road.amount - road.hours / geography.DRIVING_HOURS_PER_DAY) <= 0.5


def test_there_is_no_road_time_across_the_border_nor_within_one_city():
    c = cities()
    assert road_time(c["lahore"], c["almaty"]) is None
    assert road_time(c["karachi"], c["shymkent"]) is None
    assert road_time(c["almaty"], c["almaty"]) is None


def test_labels_are_in_the_readers_language_with_english_behind():
    kostanay = find_city("Kostanay")
    assert [kostanay.label(lang) for lang in ("en", "ru", "kk", "ur")] == [
        "Kostanay",
        "Костанай",
        "Қостанай",
        "کوستانائی",
    ]
    assert kostanay.label("de") == "Kostanay"
