"""Which new passwords the portal refuses: common and breached-style ones, repeats, sequences, the person's own name."""

import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

MIN_PASSWORD = 10
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# Rows a finger slides along; a password inside one of them (either way round) is no secret.
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "йцукенгшщзхъфывапролджэячсмитьбю",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
)
EDGE_NOISE = re.compile(r"^[\W\d_]+|[\W\d_]+$")  # the digits and symbols people tack on: "password2026!"
REPEATED_UNIT = re.compile(r"^(.{1,5}?)\1+$", re.DOTALL)
MIN_DISTINCT = 5


@cache
def common_passwords() -> frozenset[str]:
    with open(COMMON_PASSWORDS, encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and not line.startswith("#"))


def _in_sequence(text: str) -> bool:
    return any(text in row or text in row[::-1] for row in SEQUENCES)


def _personal_parts(email: str | None, name: str | None) -> list[str]:
    parts = []
    if email:
        local = email.strip().lower().partition("@")[0]
        parts += [local, *re.split(r"[\W_]+", local)]
    if name:
        parts += [name.strip().lower().replace(" ", "")]
        parts += re.split(r"[\W_]+", name.strip().lower())
    return [part for part in parts if len(part) >= 3]


def password_problem(password: str, email: str | None = None, name: str | None = None):
    """Why this password may not be used, as a message for the person; None when it is fine."""
    value = password or ""
    lower = value.lower()
    if len(value) < MIN_PASSWORD:
        return _l("Use at least %(n)s characters.", n=MIN_PASSWORD)
    if value.isdigit():
        return _l("Use letters as well as digits.")
    core = EDGE_NOISE.sub("", lower)
    common = common_passwords()
    if lower in common or (core and core in common) or lower.replace(" ", "") in common:
        return _l("This is one of the most common passwords, the first ones attackers try. Choose another.")
    if len(set(lower)) < MIN_DISTINCT or REPEATED_UNIT.match(lower):
        return _l("Do not repeat the same few characters. Choose a longer mix, such as a few unrelated words.")
    if _in_sequence(lower) or (core and len(core) >= 4 and _in_sequence(core)):
        return _l("Do not use a run of letters, digits or keys in a row. Choose a few unrelated words.")
    if any(part in lower for part in _personal_parts(email, name)):
        return _l("Your password must not contain your email address or your name.")
    return None
