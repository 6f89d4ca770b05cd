"""The one rule for new passwords: common, breached-style, repeated, sequential and personal ones are refused."""

import pytest

from portal.auth.passwords import common_passwords, password_problem


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaa",  # one character repeated
        "abcabcabcabc",  # a short unit repeated
        "1234567890",  # digits only, and a run
        "abcdefghijk",  # a run of the alphabet
        "qwertyuiopas",  # a keyboard row
        "password2026!",  # a common password with digits and a symbol tacked on
        "iloveyou123",  # common once the trailing digits go
        "short-9",  # under ten characters
        "йцукенгшщзх",  # the Russian keyboard row
    ],
)
def test_weak_passwords_are_refused(password):
    assert password_problem(password) is not None


def test_the_shipped_list_is_large_and_is_used():
    common = common_passwords()
    assert len(common) > 10_000
    assert all(password_problem(p) is not None for p in sorted(common)[:200] if len(p) >= 10)


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [("bilal.ahmed-tannery", "bilal.ahmed@tannery.pk", "Bilal Ahmed"), ("sialkot-ahmed-77", "x@y.pk", "Bilal Ahmed")],
)
def test_passwords_holding_the_email_or_name_are_refused(password, email, name):
    assert password_problem(password, email=email, name=name) is not None


@pytest.mark.parametrize("password", ["correct-horse-battery-9", "tannery river blue 88", "Шымкент-тери-2026"])
def test_long_unrelated_words_are_accepted(password):
    assert password_problem(password, email="owner@tannery.example", name="Test User") is None
