"""Eid ul-Adha from the Umm al-Qura calendar (hijridate), and the hides season that follows it."""

from datetime import date

import pytest

from portal.insight.supply_calendar import SEASON_DAYS, Season, eid_al_adha, seasons


@pytest.mark.parametrize(
    ("year", "eid"), [(2024, date(2024, 6, 16)), (2025, date(2025, 6, 6)), (2026, date(2026, 5, 27))]
)
def test_eid_ul_adha_falls_on_the_published_day(year, eid):
    assert eid_al_adha(year) == [eid]


def test_a_gregorian_year_can_hold_two_eids():
    # The Hijri year is ~11 days shorter: in 2039 Eid falls in January and again in December.
    assert [d.month for d in eid_al_adha(2039)] == [1, 12]


@pytest.mark.parametrize("year", [1, 1900, 1924, 2078, 2200, 9999])
def test_years_outside_the_calendars_tables_give_no_date_and_no_error(year):
    assert eid_al_adha(year) == []


def test_the_first_and_last_years_the_tables_cover_still_give_their_eid():
    assert eid_al_adha(1925) == [date(1925, 7, 2)]
    assert eid_al_adha(2077) == [date(2077, 10, 27)]


def test_the_hides_season_is_three_weeks_from_eid():
    season = Season(date(2025, 6, 6))
    assert SEASON_DAYS == 21
    assert season.last_day == date(2025, 6, 26)
    assert season.months == [6]


def test_a_season_that_runs_into_the_next_month_marks_both():
    season = Season(date(2026, 5, 27))
    assert season.last_day == date(2026, 6, 16)
    assert season.months == [5, 6] and season.touches(5) and season.touches(6) and not season.touches(7)


def test_a_season_over_new_year_marks_december_and_january():
    assert Season(date(2039, 12, 26)).months == [1, 12]


def test_seasons_of_years_partly_outside_the_tables_keep_the_years_inside():
    assert [s.eid.year for s in seasons(range(2076, 2080))] == [2076, 2077]
