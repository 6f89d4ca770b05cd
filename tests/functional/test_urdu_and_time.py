"""Urdu and time: WTForms' own messages in ru/kk/ur, times in the reader's zone with the zone named, the Urdu
webfont, and lists joined the reader's way."""

import html
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email

from portal.extensions import db
from portal.forms import PortalForm
from portal.lists import join_list
from portal.models import Notification, User
from portal.search.reasons import labels

STATIC = Path(__file__).resolve().parents[2] / "static"
MESSAGES = {
    "ur": ("یہ فیلڈ لازمی ہے۔", "ای میل پتہ درست نہیں۔"),
    "ru": ("Обязательное поле.", "Неверный адрес электронной почты."),
    "kk": ("Бұл өріс міндетті түрде керек.", "Жарамсыз эл. пошта адресі."),
}


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("lang", ["ur", "ru", "kk"])
def test_a_registration_with_an_empty_name_and_a_bad_email_is_refused_in_the_readers_language(client, lang):
    response = client.post(
        "/auth/register",
        data={"name": "", "email": "not-an-email", "password": "x", "password2": "x"},
        headers={"Accept-Language": lang},
    )
    text = page(response)
    required, bad_email = MESSAGES[lang]
    assert required in text and bad_email in text
    assert "This field is required." not in text and "Invalid email address." not in text


@pytest.mark.parametrize("lang", ["ur", "ru", "kk"])
def test_a_signed_in_users_language_decides_the_form_messages(client, login, member, lang):
    member.locale = lang
    db.session.commit()
    login(member)
    text = page(client.post("/auth/settings", data={"name": "", "locale": lang, "submit": "1"}))
    assert MESSAGES[lang][0] in text


class _MailForm(PortalForm):
    name = StringField("Name", validators=[DataRequired()])
    email = EmailField("Email", validators=[DataRequired(), Email()])


@pytest.mark.parametrize(
    ("lang", "missing"),
    [("ur", "سی ایس آر ایف ٹوکن موجود نہیں۔"), ("ru", "Отсутствует токен CSRF."), ("kk", "CSRF токені жоқ.")],
)
def test_flask_wtf_csrf_messages_are_translated(app, lang, missing):
    with app.test_request_context("/", method="POST", data={"name": "A"}, headers={"Accept-Language": lang}):
        form = _MailForm(meta={"csrf": True})
        assert not form.validate()
        assert form.csrf_token.errors == [missing]


def test_english_keeps_the_libraries_own_words(app):
    with app.test_request_context("/", method="POST", data={"email": "x"}, headers={"Accept-Language": "en"}):
        form = _MailForm()
        form.validate()
        assert form.name.errors == ["This field is required."]
        assert form.email.errors == ["Invalid email address."]


def _notify(user, moment):
    db.session.add(Notification(user_id=user.id, text="Hello", created_at=moment))
    db.session.commit()


def test_times_follow_the_country_of_the_users_company_and_name_the_zone(client, login, member, kz_member):
    moment = datetime(2026, 3, 10, 7, 30)  # UTC: 12:30 in Karachi and in Almaty (both UTC+5)
    _notify(member, moment)
    login(member)
    text = page(client.get("/notifications"))
    assert "12:30" in text and "(Asia/Karachi)" in text
    assert 'datetime="2026-03-10T07:30:00+00:00"' in text
    assert "07:30 UTC" not in text

    client.post("/auth/logout")
    _notify(kz_member, moment)
    login(kz_member)
    assert "(Asia/Almaty)" in page(client.get("/notifications"))


def test_staff_get_the_zone_of_their_associations_country(client, login, kla_staff):
    _notify(kla_staff, datetime(2026, 3, 10, 7, 30))
    login(kla_staff)
    assert "(Asia/Almaty)" in page(client.get("/notifications"))


def test_a_chosen_zone_wins_over_the_country(client, login, member):
    member.timezone = "Europe/Berlin"
    db.session.commit()
    _notify(member, datetime(2026, 7, 1, 10, 0))  # summer: Berlin is UTC+2
    login(member)
    text = page(client.get("/notifications"))
    assert "12:00" in text and "(Europe/Berlin)" in text


def test_settings_save_a_zone_and_automatic_clears_it(client, login, member):
    login(member)
    form = page(client.get("/auth/settings"))
    assert 'value="Asia/Karachi"' in form and "Asia/Qostanay" in form and "America/New_York" in form
    response = client.post(
        "/auth/settings", data={"name": "Test User", "locale": "en", "timezone": "Asia/Almaty", "submit": "1"}
    )
    assert response.status_code == 302
    assert db.session.get(User, member.id).timezone == "Asia/Almaty"
    client.post("/auth/settings", data={"name": "Test User", "locale": "en", "timezone": "", "submit": "1"})
    assert db.session.get(User, member.id).timezone is None


def test_settings_refuse_an_unknown_zone(client, login, member):
    login(member)
    response = client.post(
        "/auth/settings", data={"name": "Test User", "locale": "en", "timezone": "Mars/Olympus", "submit": "1"}
    )
    assert response.status_code == 200
    assert "Not a valid choice." in page(response)
    assert db.session.scalar(sa.select(User.timezone).where(User.id == member.id)) is None


def test_the_urdu_stylesheet_is_served_and_its_fonts_exist(client):
    css = client.get("/static/css/urdu.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    assert "font-display: swap" in text and ":lang(ur)" in text and "line-height" in text
    vendor = STATIC / "vendor" / "noto-nastaliq-urdu-5.3.0"
    for weight in (400,):  # one weight: bold is synthesised (a second file would double the first visit)
        name = f"noto-nastaliq-urdu-urdu-{weight}-normal.woff2"
        assert name in text
        assert (vendor / name).read_bytes()[:4] == b"wOF2"
        assert client.get(f"/static/vendor/noto-nastaliq-urdu-5.3.0/{name}").status_code == 200
    assert "Open Font License" in (vendor / "OFL.txt").read_text()


def test_an_urdu_list_of_labels_uses_the_urdu_comma(app):
    with app.test_request_context("/"), force_locale("ur"):
        assert join_list(["کروم", "اسپلٹ", "نوبک"]) == "کروم، اسپلٹ، اور نوبک"
    with app.test_request_context("/"), force_locale("ru"):
        assert join_list(["a", "b", "c"]) == "a, b и c"


def test_match_reasons_list_their_labels_the_urdu_way(app):
    from portal.taxonomy import vocabulary

    ids = list(vocabulary().terms)[:3]
    with app.test_request_context("/"), force_locale("ur"):
        assert labels(ids).count("،") == 2
    with app.test_request_context("/"), force_locale("en"):
        assert "،" not in labels(ids) and labels(ids).count(", ") == 2
