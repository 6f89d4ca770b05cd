"""Where a company's free-text city is, and roughly how long a truck takes to the other's (cities.json + helpers).

`find_city("Korangi, Karachi")` maps what a company wrote to a known city of the two leather trades,
whatever the script (English, Russian or Kazakh Cyrillic, Kazakh Latin, Urdu), old name ("Alma-Ata",
"Semipalatinsk", "Ust-Kamenogorsk"), case, punctuation, or district and city words around it ("г. Алматы",
"Karachi (Korangi)", "Medeu district, Almaty"). The first known name in the text wins, so "Daska, Sialkot"
is Daska: people write the precise place first and the bigger one after.

`road_time(a, b)` is an estimate, not a route. It is only made for two cities in the same country:

    road km   = great-circle km (haversine) x DETOUR_FACTOR
    hours     = road km / TRUCK_KMH
    shown as  the nearest whole hour up to one day's driving ("less than an hour" when that is 0),
              else the nearest whole number of days of DRIVING_HOURS_PER_DAY hours (halves round up);
              the sentence always says "about".

Why these factors:
- DETOUR_FACTOR 1.25: roads are longer than the great circle. Published road lengths of the corridors
  this trade uses give 1.15 to 1.3 (Almaty-Shymkent about 700 km against 610 great-circle, Karachi-Lahore
  about 1,200 km against 1,030, Almaty-Astana about 1,200 against 975, Almaty-Kostanay about 1,900 against
  1,480), in line with the 1.2-1.4 of road-circuity studies; 1.25 sits in the middle without pretending
  to know the route.
- TRUCK_KMH 60: a loaded lorry's average over its driving time, with towns, fuel, weigh stations and
  police posts, on roads whose truck limits are 80-90 km/h (motorways M-2/M-5/M-9, Kazakh A- and M-roads);
  planners on both sides count 500-700 km a day for one driver.
- DRIVING_HOURS_PER_DAY 10: one driver. The AETR rules Kazakhstan applies allow 9 hours, 10 twice a week;
  Pakistan has no enforced limit and drivers often do more. Two-driver crews go faster, so "days" is
  what a single-driver shipment takes, not the best case.

So Almaty-Kostanay comes out at about 3 days, Karachi-Lahore about 2 and Lahore-Kasur about 1 hour.

Across the border there is no estimate: the time of a Pakistan-Kazakhstan trip depends on which crossings
are open and how long they queue (Torkham or Chaman and Afghanistan then Uzbekistan, or the Karakoram
Highway through China), on transit permits and TIR carnets, not on distance; a straight-line figure next to
a same-country road time would read as comparable when it is not, so callers keep naming both cities.
"""

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("cities.json")
LANGS = ("en", "ru", "kk", "ur")

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
DETOUR_FACTOR = 1.25
TRUCK_KMH = 60
DRIVING_HOURS_PER_DAY = 10


@dataclass(frozen=True)
class City:
    id: str
    country: str
    lat: float
    lon: float
    labels: dict = field(default_factory=dict)

    def label(self, locale: str = "en") -> str:
        return self.labels.get(locale) or self.labels["en"]


@dataclass(frozen=True)
class RoadTime:
    """An estimate: `unit` is "under_hour", "hours" or "days"; `amount` the whole number shown with it."""

    km: float
    hours: float
    unit: str
    amount: int


# Urdu typed on Arabic keyboards: the Arabic yeh, kaf and heh for the Urdu ones.
_ARABIC_TO_URDU = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ه": "ہ", "ة": "ہ", "ı": "i"})
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    """Casefolded words without accents or Arabic vowel marks, so "Öskemen", "Oskemen" and "ÖSKEMEN" agree."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_ARABIC_TO_URDU))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(unicodedata.normalize("NFC", bare).translate(_ARABIC_TO_URDU))


def _key(name: str) -> str:
    # Words joined: "Alma-Ata", "Alma Ata" and "Almaata" are one key, "فیصل آباد" and "فیصل‌آباد" too.
    return "".join(_words(name))


@dataclass(frozen=True)
class _Gazetteer:
    cities: dict  # id -> City
    names: dict  # key -> City
    longest: int  # most words in one name


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    cities, names, longest = {}, {}, 1
    for row in data["cities"]:
        city = City(row["id"], row["country"], row["lat"], row["lon"], row["labels"])
        cities[city.id] = city
        for name in [*row["labels"].values(), *row.get("names", []), *row.get("districts", [])]:
            key = _key(name)
            if names.get(key, city) is not city:
                raise ValueError(f"{DATA_FILE.name}: {name!r} names both {names[key].id} and {city.id}")
            names[key] = city
            longest = max(longest, len(_words(name)))
    return _Gazetteer(cities, names, longest)


def cities() -> dict[str, City]:
    """Every known city by id, in file order."""
    return _gazetteer().cities


def find_city(text: str | None) -> City | None:
    """The known city a company's city field names (the first one, longest name first), or None."""
    gaz = _gazetteer()
    words = _words(text or "")
    for start in range(len(words)):
        for size in range(min(gaz.longest, len(words) - start), 0, -1):
            city = gaz.names.get("".join(words[start : start + size]))
            if city is not None:
                return city
    return None


def great_circle_km(a: City, b: City) -> float:
    """Haversine distance between two city centres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def road_time(a: City, b: City) -> RoadTime | None:
    """About how long a truck takes from a to b, for two different cities of one country; else None."""
    if a.id == b.id or a.country != b.country:
        return None
    km = great_circle_km(a, b) * DETOUR_FACTOR
    hours = km / TRUCK_KMH
    if hours < 0.5:
        return RoadTime(km, hours, "under_hour", 0)
    if hours <= DRIVING_HOURS_PER_DAY:
        return RoadTime(km, hours, "hours", _round_half_up(hours))
    return RoadTime(km, hours, "days", max(1, _round_half_up(hours / DRIVING_HOURS_PER_DAY)))
