"""Editing the company profile (issue 12): one form and one Save for every section and the logo, an error summary
linked to the fields, an optional logo checked by its content, Cancel, and a Save bar that stays in view."""

import re
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Company

from .. import factories
from .test_companies import is_checked, png_bytes, profile_form

EDIT = "/companies/mine/edit"


def post_profile(client, path=EDIT, logo=None, **over):
    data = profile_form(**over)
    if logo is not None:
        data["logo"] = (BytesIO(logo[0]), logo[1])
    return client.post(path, data=data, content_type="multipart/form-data")


def profile_form_html(html: str) -> str:
    """The profile <form> element of the page, from its start tag to its end."""
    match = re.search(r'<form [^>]*class="profile-form"[^>]*>.*?</form>', html, re.S)
    assert match, "no profile form on the page"
    return match.group(0)


def tag(html: str, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def stored_logos(app) -> set[str]:
    folder = Path(app.config["UPLOAD_DIR"]) / "logos"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_edit_page_has_one_multipart_form_with_one_save_for_every_section_and_the_logo(client, login, member):
    login(member)
    html = client.get(EDIT).get_data(as_text=True)
    form = profile_form_html(html)
    assert 'enctype="multipart/form-data"' in form.split(">", 1)[0]
    for field in ('name="name"', 'name="description"', 'name="cap_hide"', 'name="cert__cert_lwg-held"', 'name="logo"'):
        assert field in form
    assert len(re.findall(r'type="submit"', form)) == 1
    assert "/companies/mine/logo" not in html  # no second form that saves the logo on its own


def test_one_post_saves_every_section_and_the_logo(client, login, member, app):
    login(member)
    response = post_profile(
        client,
        logo=(png_bytes(), "logo.png"),
        name="Lahore Leather Works",
        city="Kasur",
        description="Goat nappa for gloves.",
        cap_hide=["hide_goat"],
        capacity_amount="12000",
        **{"cert__cert_iso9001-held": None, "cert__cert_lwg-level": "gold"},
    )
    assert response.status_code == 302
    company = db.session.get(Company, member.company_id)
    assert (company.name, company.city, company.description) == (
        "Lahore Leather Works",
        "Kasur",
        "Goat nappa for gloves.",
    )
    assert "hide_goat" in company.capability_ids and "hide_cattle" not in company.capability_ids
    assert company.capacity_amount == 12000
    assert {c.term_id: c.level for c in company.certifications} == {"cert_lwg": "gold"}
    assert company.logo_filename and stored_logos(app) == {company.logo_filename}


def test_failed_save_keeps_typed_values_and_lists_each_error_linked_to_its_field(client, login, member, app):
    login(member)
    response = post_profile(
        client,
        logo=(png_bytes(), "logo.png"),
        name="",
        city="Typed City",
        description="Typed description of the tannery.",
        website="javascript:alert(1)",
        year_founded="1700",
        cap_hide=["hide_sheep"],
        **{"cert__cert_lwg-level": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Typed City"' in html and "Typed description of the tannery." in html
    assert is_checked(html, "hide_sheep") and not is_checked(html, "hide_cattle")
    summary = re.search(r'<div [^>]*id="error-summary"[^>]*>.*?</div>', html, re.S).group(0)
    assert 'tabindex="-1"' in summary and 'role="alert"' in summary
    for field_id in ("name", "website", "year_founded", "cert__cert_lwg-level", "logo"):
        assert f'href="#{field_id}"' in summary and f'id="{field_id}"' in html
    assert "Choose the logo again" in summary  # the browser dropped the chosen file
    assert html.index('id="error-summary"') < html.index('class="profile-form"')
    assert "Please correct the marked fields below." not in html
    company = db.session.get(Company, member.company_id)
    assert company.name != "" and company.city != "Typed City" and company.logo_filename is None
    assert stored_logos(app) == set()


def test_failed_create_shows_the_error_summary_too(client, login):
    login(factories.make_user(email="newcomer@tannery.example"))
    response = client.post("/companies/new", data=profile_form(name="", city="Sialkot"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-summary"' in html and 'href="#name"' in html and 'value="Sialkot"' in html
    assert 'name="logo"' not in html  # a company that does not exist yet has no logo to upload


def test_logo_is_optional_not_marked_required_and_explained(client, login, member):
    login(member)
    html = client.get(EDIT).get_data(as_text=True)
    logo = tag(html, "logo")
    assert "required" not in logo and 'accept="image/png,image/jpeg"' in logo
    assert not re.search(r'<label [^>]*for="logo"[^>]*>[^<]*</label>\s*<span class="text-danger"', html)
    assert 'aria-describedby="logo-help"' in logo
    help_text = re.search(r'<div id="logo-help"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "PNG or JPEG" in help_text and "KB" in help_text


def test_saving_without_a_logo_works_and_keeps_the_current_one(client, login, member, app):
    login(member)
    assert post_profile(client, logo=(png_bytes(), "logo.png")).status_code == 302
    logo = db.session.get(Company, member.company_id).logo_filename
    response = post_profile(client, name="Renamed Without Logo")
    assert response.status_code == 302
    company = db.session.get(Company, member.company_id)
    assert company.name == "Renamed Without Logo" and company.logo_filename == logo
    assert stored_logos(app) == {logo}


def test_ticking_remove_logo_removes_it_with_the_save(client, login, member, app):
    login(member)
    post_profile(client, logo=(png_bytes(), "logo.png"))
    assert 'name="remove_logo"' in client.get(EDIT).get_data(as_text=True)
    assert post_profile(client, remove_logo="y", city="Multan").status_code == 302
    company = db.session.get(Company, member.company_id)
    assert company.logo_filename is None and company.city == "Multan" and stored_logos(app) == set()


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(document.cookie)</script></html>", b'<svg xmlns="http://www.w3.org/2000/svg"/>'],
)
def test_a_logo_that_is_not_an_image_is_refused_by_its_content_and_nothing_is_saved(
    client, login, member, app, content
):
    login(member)
    before = db.session.get(Company, member.company_id).name
    response = post_profile(client, logo=(content, "logo.png"), name="Should Not Be Saved")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not a PNG or JPEG image" in html and 'href="#logo"' in html
    assert 'value="Should Not Be Saved"' in html  # typed values kept
    db.session.expire_all()
    company = db.session.get(Company, member.company_id)
    assert company.name == before and company.logo_filename is None and stored_logos(app) == set()


def test_cancel_sits_next_to_save_and_leads_back_to_the_profile(client, login, member):
    login(member)
    bar = re.search(r'<div class="profile-save-bar[^"]*">(.*?)</div>', client.get(EDIT).get_data(as_text=True), re.S)
    assert 'type="submit"' in bar.group(1)
    assert re.search(rf'<a [^>]*href="/companies/{member.company_id}"[^>]*>Cancel</a>', bar.group(1))


def test_cancel_on_the_new_company_page_leads_to_the_dashboard(client, login):
    login(factories.make_user(email="newcomer@tannery.example"))
    html = client.get("/companies/new").get_data(as_text=True)
    assert re.search(r'<a [^>]*href="/dashboard"[^>]*>Cancel</a>', profile_form_html(html))


def test_save_bar_is_sticky_in_its_own_stylesheet_section(app):
    css = (Path(app.static_folder) / "css" / "portal.css").read_text()
    section = css[css.index("/* Profile form (issue 12) */") :]
    rule = re.search(r"\.profile-save-bar\s*\{([^}]*)\}", section).group(1)
    assert "position: sticky" in rule and "bottom: 0" in rule


def test_a_member_of_another_company_cannot_change_this_company(client, login, member, kz_member, app):
    ours = db.session.get(Company, member.company_id)
    name, city = ours.name, ours.city
    login(kz_member)
    response = post_profile(
        client,
        logo=(png_bytes(), "logo.png"),
        name="Hijacked",
        country="KZ",
        association_id=str(factories.association("KLA").id),
        company_id=str(member.company_id),
        id=str(member.company_id),
        owner_id=str(kz_member.id),
    )
    assert response.status_code == 302
    db.session.expire_all()
    ours = db.session.get(Company, member.company_id)
    assert (ours.name, ours.city, ours.logo_filename, ours.owner_id) == (name, city, None, member.id)
    theirs = db.session.get(Company, kz_member.company_id)
    assert theirs.name == "Hijacked" and theirs.logo_filename  # the post only ever reaches one's own company


@pytest.mark.parametrize("path", [EDIT, "/companies/mine/logo"])
def test_staff_and_visitors_cannot_post_a_profile_or_logo(client, login, member, pta_staff, path):
    response = post_profile(client, path, logo=(png_bytes(), "logo.png"), name="Anonymous Edit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(pta_staff)
    assert post_profile(client, path, logo=(png_bytes(), "logo.png"), name="Staff Edit").status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(Company.name).where(Company.id == member.company_id)) not in (
        "Anonymous Edit",
        "Staff Edit",
    )
