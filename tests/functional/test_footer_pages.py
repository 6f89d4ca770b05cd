"""The footer's public pages in four languages, and consent to the terms when an account is created."""

import re

import pytest
import sqlalchemy as sa
from flask import render_template

from portal.extensions import db
from portal.main.pages import TERMS_VERSION
from portal.models import User

HEADINGS = {
    "about": {
        "en": "About Leather Bridge",
        "ru": "О портале Leather Bridge",
        "kk": "Leather Bridge порталы туралы",
        "ur": "لیدر برج کے بارے میں",
    },
    "contact": {"en": "Contact", "ru": "Контакты", "kk": "Байланыс", "ur": "رابطہ"},
    "privacy": {
        "en": "Privacy policy",
        "ru": "Политика конфиденциальности",
        "kk": "Құпиялылық саясаты",
        "ur": "رازداری کی پالیسی",
    },
    "terms": {"en": "Terms of use", "ru": "Условия использования", "kk": "Пайдалану шарттары", "ur": "شرائطِ استعمال"},
}
PASSWORD = "hides-and-skins-42"  # noqa: S105 - a test password


def heading(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()


@pytest.mark.parametrize("lang", ["en", "ru", "kk", "ur"])
@pytest.mark.parametrize("page", sorted(HEADINGS))
def test_each_page_answers_in_the_chosen_language(client, page, lang):
    client.post("/auth/language", data={"code": lang, "next": "/"})
    response = client.get(f"/{page}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'lang="{lang}"' in html
    assert heading(html) == HEADINGS[page][lang]


def test_terms_page_shows_the_version_accounts_accept(client):
    html = client.get("/terms").get_data(as_text=True)
    assert f'<time datetime="{TERMS_VERSION}">' in html and "December 2, 2026" in html


def test_contact_page_links_phones_and_emails(client):
    html = client.get("/contact").get_data(as_text=True)
    assert 'href="tel:+922100000000"' in html and 'href="tel:+77270000000"' in html
    assert (
        'href="mailto:leatherbridge@pta.example.org"' in html and 'href="mailto:leatherbridge@kla.example.org"' in html
    )


def test_footer_links_lead_to_the_public_pages(app, client):
    with app.test_request_context("/"):
        html = render_template("_footer_links.html")
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == ["/about", "/contact", "/privacy", "/terms", "/scoreboard", "/supply-calendar"]
    assert all(client.get(href).status_code == 200 for href in hrefs)


def register(client, **extra):
    data = {"name": "Aigerim Bekova", "email": "aigerim@hides.example", "password": PASSWORD, "password2": PASSWORD}
    return client.post("/auth/register", data={"locale": "ru", **data, **extra})


def test_register_form_links_to_terms_and_privacy(client):
    html = client.get("/auth/register").get_data(as_text=True)
    assert 'name="accept_terms"' in html and 'href="/terms"' in html and 'href="/privacy"' in html


def test_register_without_accepting_the_terms_fails_and_keeps_what_was_typed(client):
    response = register(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please accept the Terms of use and the Privacy policy to create an account." in html
    assert 'value="Aigerim Bekova"' in html and 'value="aigerim@hides.example"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_register_with_the_terms_accepted_records_when_and_which_version(client):
    response = register(client, accept_terms="y")
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "aigerim@hides.example"))
    assert user.terms_accepted_at is not None and user.terms_version == TERMS_VERSION


def invitation_path(client, login, member, email) -> str:
    from portal.models import OutboxMessage

    login(member)
    client.post("/companies/mine/colleagues", data={"email": email})
    client.post("/auth/logout")
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email)).first()
    return re.search(r"http://localhost(/companies/invitations/\S+)", mail.body).group(1)


def test_accepting_an_invitation_with_a_new_account_asks_for_consent_and_records_it(client, login, member):
    path = invitation_path(client, login, member, "sana@tannery.example")
    data = {"name": "Sana", "password": "tannery-pass-77", "password2": "tannery-pass-77", "locale": "en"}
    refused = client.post(path, data=data)
    assert refused.status_code == 400 and "Please accept the Terms of use" in refused.get_data(as_text=True)
    assert 'value="Sana"' in refused.get_data(as_text=True)
    assert client.post(path, data={**data, "accept_terms": "y"}).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "sana@tannery.example"))
    assert user.terms_accepted_at is not None and user.terms_version == TERMS_VERSION
