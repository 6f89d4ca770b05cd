"""listings.details.check: the one table of type-specific fields, as the form and the importer read it."""

import pytest

from portal.listings.details import check

TRAINING = {"duration": "3 days", "mode": "on_site"}
TRADE = {"product": "Wet blue", "quantity": 1000, "unit": "sqft", "incoterms": "FOB"}


def test_complete_details_have_no_problems():
    assert check("training", {**TRAINING, "seats": 12}) == []
    assert check("trade", {**TRADE, "price_min": 1.5, "price_max": 2}) == []
    assert check("joint_venture", {"investment_min": 10, "investment_max": 10, "equity_pct": 100}) == []
    assert check("technology_transfer", {"form": "licence"}) == []


def test_details_must_be_an_object():
    assert check("training", ["duration"]) == [("details", "must be an object")]


def test_missing_required_fields_are_named_unless_not_required():
    assert check("training", {}) == [("duration", "is required"), ("mode", "is required")]
    assert check("training", {}, require=False) == []
    assert check("training", {"duration": "", "mode": None}) == [("duration", "is required"), ("mode", "is required")]


def test_a_field_of_another_type_is_unknown():
    assert check("training", {**TRAINING, "product": "x"}) == [("product", "unknown field for type training")]


@pytest.mark.parametrize(
    ("type_value", "details", "problem"),
    [
        ("training", {**TRAINING, "mode": "by_post"}, ("mode", "must be one of on_site, remote, both")),
        ("training", {**TRAINING, "duration": "x" * 61}, ("duration", "must be text of at most 60 characters")),
        ("training", {**TRAINING, "duration": 3}, ("duration", "must be text of at most 60 characters")),
        ("training", {**TRAINING, "seats": -1}, ("seats", "must be a number of zero or more")),
        ("training", {**TRAINING, "seats": True}, ("seats", "must be a number of zero or more")),
        ("training", {**TRAINING, "seats": "12"}, ("seats", "must be a number of zero or more")),
        ("training", {**TRAINING, "seats": 1.5}, ("seats", "must be a whole number")),
        ("trade", {**TRADE, "quantity": 0.5}, None),
        (
            "joint_venture",
            {"investment_min": 1, "investment_max": 2, "equity_pct": 101},
            ("equity_pct", "must be between 0 and 100"),
        ),
    ],
)
def test_each_kind_of_field_is_checked(type_value, details, problem):
    assert check(type_value, details) == ([problem] if problem else [])


def test_a_range_must_not_be_upside_down():
    assert check("joint_venture", {"investment_min": 5, "investment_max": 4}) == [
        ("investment_max", "must not be less than investment_min")
    ]
    assert check("trade", {**TRADE, "price_min": 3, "price_max": 2.5}) == [
        ("price_max", "must not be less than price_min")
    ]


def test_an_unknown_type_accepts_no_fields():
    assert check("barter", {}) == []
    assert check("barter", {"x": 1}) == [("x", "unknown field for type barter")]
