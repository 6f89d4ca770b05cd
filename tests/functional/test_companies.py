"""Company profiles through the real HTTP path: create, edit, logo, colleagues, invitations, profile, directory."""

import random
import re
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin

from portal.extensions import db
from portal.models import AuditLog, Certification, Company, Invitation, Notification, OutboxMessage, User
from portal.models.company import VerificationStatus

from .. import factories


def profile_form(**over) -> dict:
    """A complete, valid company form as a browser would post it."""
    data = {
        "name": "Punjab Tanning Co",
        "country": "PK",
        "city": "Lahore",
        "association_id": str(factories.association("PTA").id),
        "membership_no": "PTA-7777",
        "description": "Cow and goat leather.\nWet-blue to finished.",
        "website": "https://punjab-tanning.example",
        "phone": "+92 42 1234 5678",
        "year_founded": "1990",
        "employees_range": "50-249",
        "languages": ["en", "ur"],
        "cap_hide": ["hide_cattle", "hide_goat"],
        "cap_stage": ["stage_wetblue"],
        "cap_tan": ["tan_chrome"],
        "cap_segment": ["seg_footwear"],
        "cap_service": ["svc_training"],
        "capacity_amount": "50000",
        "capacity_unit": "sqft_month",
        "hs_codes": ["41"],
        "cert__cert_lwg-held": "y",
        "cert__cert_lwg-level": "silver",
        "cert__cert_lwg-expires_on": "2030-06-30",
        "cert__cert_iso9001-held": "y",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def png_bytes(size=(800, 600), color=(120, 70, 30), secret=None) -> bytes:
    """A PNG; with `secret`, hidden in a text chunk, an ICC profile and EXIF, as cameras and editors leave them."""
    out = BytesIO()
    extra = {}
    if secret:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", secret)
        exif = Image.Exif()
        exif[0x010E] = secret  # ImageDescription
        extra = {"pnginfo": info, "icc_profile": secret.encode(), "exif": exif.tobytes()}
    Image.new("RGB", size, color).save(out, "PNG", **extra)
    return out.getvalue()


def upload(client, content: bytes, filename="logo.png"):
    return client.post(
        "/companies/mine/logo", data={"logo": (BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def is_checked(html, value) -> bool:
    return any("checked" in tag for tag in re.findall(rf'<input[^>]*value="{value}"[^>]*>', html))


def newcomer():
    return factories.make_user(email="newcomer@tannery.example")


def notifications_of(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)).all()


def last_mail(to):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id.desc())
    ).first()


def invitation_path(message) -> str:
    return re.search(r"http://localhost(/companies/invitations/\S+)", message.body).group(1)


# --- create ----------------------------------------------------------------------------------------


def test_create_company_makes_user_owner_of_unverified_company_and_notifies_its_staff(
    client, login, pta_staff, kla_staff
):
    user = newcomer()
    login(user)
    response = client.post("/companies/new", data=profile_form())
    assert response.status_code == 302
    company = db.session.scalar(sa.select(Company).where(Company.name == "Punjab Tanning Co"))
    db.session.refresh(user)
    assert company.owner_id == user.id and user.company_id == company.id
    assert company.status is VerificationStatus.unverified and company.association.code == "PTA"
    assert sorted(company.capability_ids) == sorted(
        ["hide_cattle", "hide_goat", "stage_wetblue", "tan_chrome", "seg_footwear", "svc_training"]
    )
    certs = {c.term_id: c for c in company.certifications}
    assert set(certs) == {"cert_lwg", "cert_iso9001"}
    assert certs["cert_lwg"].level == "silver" and certs["cert_lwg"].expires_on == date(2030, 6, 30)
    assert company.languages == ["en", "ur"] and company.hs_codes == ["41"] and company.capacity_amount == 50000
    assert any("waiting for verification" in n.text for n in notifications_of(pta_staff))
    assert notifications_of(kla_staff) == []
    assert last_mail(pta_staff.email).subject == "New member company waiting for verification"
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "company.create")).object_id == company.id


def test_create_form_keeps_typed_values_and_explains_errors(client, login):
    login(newcomer())
    response = client.post(
        "/companies/new",
        data=profile_form(website="javascript:alert(1)", year_founded="1700", **{"cert__cert_lwg-level": ""}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Punjab Tanning Co"' in html and 'value="Lahore"' in html
    assert "Cow and goat leather." in html and is_checked(html, "hide_goat") and not is_checked(html, "hide_sheep")
    assert "http:// or https://" in html and "between 1800 and" in html and "Choose your LWG rating" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://files.example.com", "data:text/html,hi", "https://"])
def test_website_must_be_an_http_or_https_address(client, login, website):
    login(newcomer())
    response = client.post("/companies/new", data=profile_form(website=website))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(Company)) is None


def test_bare_website_host_becomes_https_link(client, login):
    login(newcomer())
    client.post("/companies/new", data=profile_form(website="www.punjab-tanning.pk"))
    assert db.session.scalar(sa.select(Company.website)) == "https://www.punjab-tanning.pk"


def test_create_refuses_an_association_that_does_not_exist(client, login):
    login(newcomer())
    response = client.post("/companies/new", data=profile_form(association_id="9999"))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(Company)) is None


def test_create_ignores_status_owner_and_other_fields_it_does_not_offer(client, login, member):
    user = newcomer()
    login(user)
    client.post(
        "/companies/new",
        data=profile_form(
            status="verified",
            verified_at="2020-01-01",
            owner_id=str(member.id),
            company_id=str(member.company_id),
            id="1",
            logo_filename="../../etc/passwd",
            ref="stolen",
            status_reason="x",
        ),
    )
    company = db.session.scalar(sa.select(Company).where(Company.name == "Punjab Tanning Co"))
    assert company.status is VerificationStatus.unverified and company.verified_at is None
    assert company.owner_id == user.id and company.id != member.company_id
    assert company.logo_filename is None and company.ref is None and company.status_reason is None


def test_member_who_has_a_company_is_sent_from_create_to_edit(client, login, member):
    login(member)
    response = client.post("/companies/new", data=profile_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/companies/mine/edit")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 1


@pytest.mark.parametrize("path", ["/companies/new", "/companies/mine/edit", "/companies/mine/colleagues"])
def test_staff_and_admins_cannot_use_member_company_pages(client, login, pta_staff, admin, path):
    for user in (pta_staff, admin):
        login(user)
        assert client.get(path).status_code == 403
        client.post("/auth/logout")


@pytest.mark.parametrize("path", ["/companies/new", "/companies/mine/edit", "/companies/mine/colleagues"])
def test_visitors_are_sent_to_log_in_for_member_pages(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- edit ------------------------------------------------------------------------------------------


def test_edit_form_shows_the_stored_profile(client, login, member):
    company = member.company
    company.set_capabilities(["hide_sheep"])
    company.certifications = [Certification(term_id="cert_other", name="Halal leather", expires_on=date(2031, 1, 1))]
    db.session.commit()
    login(member)
    html = client.get("/companies/mine/edit").get_data(as_text=True)
    assert is_checked(html, "hide_sheep") and not is_checked(html, "hide_cattle")
    assert 'value="Halal leather"' in html and 'value="2031-01-01"' in html


def test_edit_changes_only_the_members_own_company(client, login, member, kz_member):
    other = kz_member.company
    login(member)
    response = client.post(
        "/companies/mine/edit",
        data=profile_form(
            name="Renamed Tannery", company_id=str(other.id), id=str(other.id), owner_id=str(kz_member.id)
        ),
    )
    assert response.status_code == 302
    assert db.session.get(Company, member.company_id).name == "Renamed Tannery"
    other = db.session.get(Company, other.id)
    assert other.name == "Kostanay Hides" and other.owner_id == kz_member.id


def test_verified_company_cannot_change_association_or_status(client, login, member):
    login(member)
    kla = factories.association("KLA")
    page = client.get("/companies/mine/edit").get_data(as_text=True)
    assert 'name="association_id"' not in page
    client.post("/companies/mine/edit", data=profile_form(association_id=str(kla.id), status="rejected"))
    company = db.session.get(Company, member.company_id)
    assert company.association.code == "PTA" and company.status is VerificationStatus.verified


def test_unverified_company_may_change_its_association_and_new_staff_hear_of_it(client, login, kla_staff):
    company = factories.make_company(country="KZ", association="PTA")
    user = factories.make_user(company=company, owner=True)
    login(user)
    client.post(
        "/companies/mine/edit", data=profile_form(country="KZ", association_id=str(factories.association("KLA").id))
    )
    assert db.session.get(Company, company.id).association.code == "KLA"
    assert len(notifications_of(kla_staff)) == 1


def test_rejected_company_that_edits_goes_back_to_the_queue(client, login, pta_staff):
    company = factories.make_company(status_reason="Membership number unknown")
    company.status = VerificationStatus.rejected
    db.session.commit()
    user = factories.make_user(company=company, owner=True)
    login(user)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Membership number unknown" in dashboard and "Edit and resubmit" in dashboard
    client.post("/companies/mine/edit", data=profile_form(membership_no="PTA-1234"))
    company = db.session.get(Company, company.id)
    assert company.status is VerificationStatus.unverified and company.membership_no == "PTA-1234"
    assert any("after rejection" in n.text for n in notifications_of(pta_staff))
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.object_id == company.id)) == "company.resubmit"


def test_unticking_a_certificate_removes_it(client, login, member):
    member.company.certifications = [Certification(term_id="cert_iso14001", expires_on=date(2030, 1, 1))]
    db.session.commit()
    login(member)
    client.post(
        "/companies/mine/edit",
        data=profile_form(**{"cert__cert_iso9001-held": None, "cert__cert_iso14001-expires_on": "2030-01-01"}),
    )
    assert [c.term_id for c in db.session.get(Company, member.company_id).certifications] == ["cert_lwg"]


# --- profile ---------------------------------------------------------------------------------------


def test_script_in_description_is_escaped_on_profile_and_in_directory(client, login):
    evil = factories.make_company(name="<script>alert('n')</script> Tannery", verified=True)
    evil.description = "<script>alert(1)</script>\n<img src=x onerror=alert(2)>"
    db.session.commit()
    for path in (f"/companies/{evil.id}", "/companies/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert" in html


def test_profile_shows_capabilities_grouped_and_labelled_in_the_readers_language(client):
    company = factories.make_company(verified=True, capabilities=["hide_cattle", "tan_vegetable"])
    client.post("/auth/language", data={"code": "ru"})
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Шкуры КРС" in html and "Способ дубления" in html


def test_profile_shows_verified_badge_and_marks_expired_certificates(client):
    company = factories.make_company(
        verified=True,
        certifications=[
            Certification(term_id="cert_lwg", level="gold", expires_on=date.today() + timedelta(days=300)),
            Certification(term_id="cert_iso9001", expires_on=date.today() - timedelta(days=1)),
        ],
    )
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Verified member of PTA" in html
    assert "Gold" in html and "valid until" in html and "expired on" in html


def test_contact_details_only_for_logged_in_users(client, login, member, kz_member):
    company = kz_member.company
    company.phone, company.website = "+7 727 555 0101", "https://kostanay.example"
    db.session.commit()
    anonymous = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "555 0101" not in anonymous and "kostanay.example" not in anonymous
    login(member)
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "555 0101" in html and 'href="https://kostanay.example"' in html


@pytest.mark.parametrize(
    "viewer, visible",
    [
        (None, False),
        ("kla_staff", False),
        ("kz_member", False),
        ("pta_staff", True),
        ("admin", True),
        ("owner", True),
    ],
)
def test_unverified_profile_is_only_for_its_people_its_staff_and_admins(request, client, login, viewer, visible):
    company = factories.make_company(name="Waiting Tannery")
    owner = factories.make_user(company=company, owner=True)
    if viewer:
        login(owner if viewer == "owner" else request.getfixturevalue(viewer))
    response = client.get(f"/companies/{company.id}")
    assert response.status_code == (200 if visible else 404)
    assert client.get("/companies/?q=Waiting").get_data(as_text=True).count("Waiting Tannery") == 0


# --- logo ------------------------------------------------------------------------------------------


def test_png_logo_is_reencoded_shrunk_stripped_and_served_as_png(client, login, member, app):
    login(member)
    original = png_bytes(secret="secret camera metadata")
    assert "icc_profile" in Image.open(BytesIO(original)).info
    response = upload(client, original)
    assert response.status_code == 302
    company = db.session.get(Company, member.company_id)
    assert re.fullmatch(r"[0-9a-f]{32}\.png", company.logo_filename)
    served = client.get(f"/companies/{company.id}/logo", buffered=True)
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(BytesIO(served.data))
    assert image.format == "PNG" and max(image.size) == 512
    assert not {"Comment", "icc_profile", "exif"} & set(image.info) and b"secret camera metadata" not in served.data


def test_jpeg_logo_is_accepted_and_stored_as_png(client, login, member):
    login(member)
    out = BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(out, "JPEG")
    assert upload(client, out.getvalue(), "logo.jpg").status_code == 302
    served = client.get(f"/companies/{member.company_id}/logo", buffered=True)
    assert Image.open(BytesIO(served.data)).format == "PNG"


def test_new_logo_replaces_and_deletes_the_old_file(client, login, member, app):
    login(member)
    upload(client, png_bytes())
    first = db.session.get(Company, member.company_id).logo_filename
    upload(client, png_bytes(color=(0, 0, 0)))
    second = db.session.get(Company, member.company_id).logo_filename
    folder = Path(app.config["UPLOAD_DIR"]) / "logos"
    assert first != second and not (folder / first).exists() and (folder / second).exists()


@pytest.mark.parametrize(
    "content, filename",
    [
        (b"<html><script>alert(document.cookie)</script></html>", "logo.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png"),
        (png_bytes()[:200], "logo.png"),  # a truncated, damaged PNG
    ],
)
def test_files_that_are_not_png_or_jpeg_are_refused_whatever_their_name(client, login, member, content, filename):
    login(member)
    response = upload(client, content, filename)
    assert response.status_code == 400
    assert "not a PNG or JPEG image" in response.get_data(as_text=True)
    assert db.session.get(Company, member.company_id).logo_filename is None


def test_gif_logo_is_refused(client, login, member):
    login(member)
    out = BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    assert upload(client, out.getvalue(), "logo.png").status_code == 400


def test_logo_over_the_size_limit_is_refused(client, login, member, app):
    app.config["LOGO_MAX_BYTES"] = 2000
    login(member)
    noise = Image.frombytes("RGB", (200, 200), random.Random(7).randbytes(200 * 200 * 3))
    out = BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 2000
    response = upload(client, out.getvalue())
    assert response.status_code == 400 and "too large" in response.get_data(as_text=True)
    assert db.session.get(Company, member.company_id).logo_filename is None


def test_logo_with_huge_pixel_dimensions_is_refused_before_decoding(client, login, member):
    login(member)
    response = upload(client, png_bytes(size=(4001, 8), color=(0, 0, 0)))
    assert response.status_code == 400 and "4000" in response.get_data(as_text=True)


def test_logo_of_unverified_company_is_hidden_from_visitors(client, login, app):
    company = factories.make_company()
    owner = factories.make_user(company=company, owner=True)
    login(owner)
    upload(client, png_bytes())
    assert client.get(f"/companies/{company.id}/logo", buffered=True).status_code == 200
    client.post("/auth/logout")
    assert client.get(f"/companies/{company.id}/logo").status_code == 404


def test_logo_can_be_removed(client, login, member, app):
    login(member)
    upload(client, png_bytes())
    name = db.session.get(Company, member.company_id).logo_filename
    client.post("/companies/mine/logo/remove")
    assert db.session.get(Company, member.company_id).logo_filename is None
    assert not (Path(app.config["UPLOAD_DIR"]) / "logos" / name).exists()
    assert client.get(f"/companies/{member.company_id}/logo").status_code == 404


# --- colleagues and invitations --------------------------------------------------------------------


def test_invited_visitor_registers_through_the_link_and_joins(client, login, member):
    login(member)
    response = client.post("/companies/mine/colleagues", data={"email": "Colleague@Tannery.example"})
    assert response.status_code == 302
    invitation = db.session.scalar(sa.select(Invitation))
    path = invitation_path(last_mail("colleague@tannery.example"))
    assert path.rsplit("/", 1)[1] not in invitation.token_hash  # only the hash is stored
    client.post("/auth/logout")
    page = client.get(path).get_data(as_text=True)
    assert "colleague@tannery.example" in page and 'name="email"' not in page
    response = client.post(
        path,
        data={
            "name": "Sana",
            "password": "tannery-pass-77",
            "password2": "tannery-pass-77",
            "accept_terms": "y",
            "email": "attacker@evil.example",
            "role": "admin",
            "locale": "ur",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.name == "Sana"))
    assert user.email == "colleague@tannery.example" and user.role.value == "member"
    assert user.company_id == member.company_id and user.email_confirmed and user.locale == "ur"
    assert client.get("/dashboard").status_code == 200  # logged in as Sana
    assert any("Sana joined" in n.text for n in notifications_of(member))


def test_used_invitation_cannot_be_used_again(client, login, member):
    login(member)
    client.post("/companies/mine/colleagues", data={"email": "first@tannery.example"})
    path = invitation_path(last_mail("first@tannery.example"))
    client.post("/auth/logout")
    client.post(
        path, data={"name": "First", "password": "tannery-pass-77", "password2": "tannery-pass-77", "accept_terms": "y"}
    )
    client.post("/auth/logout")
    again = client.post(path, data={"name": "Second", "password": "tannery-pass-88", "password2": "tannery-pass-88"})
    assert again.status_code == 404 and "already used" in again.get_data(as_text=True)
    stranger = factories.make_user(email="stranger@example.org")
    login(stranger)
    client.post(path)
    assert db.session.get(User, stranger.id).company_id is None


def test_logged_in_member_without_company_joins_by_the_link(client, login, member):
    login(member)
    client.post("/companies/mine/colleagues", data={"email": "joiner@tannery.example"})
    path = invitation_path(last_mail("joiner@tannery.example"))
    client.post("/auth/logout")
    joiner = factories.make_user(email="joiner@tannery.example")
    login(joiner)
    assert "Join" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 302
    assert db.session.get(User, joiner.id).company_id == member.company_id


def test_member_of_another_company_cannot_join_by_a_link(client, login, member, kz_member):
    login(member)
    client.post("/companies/mine/colleagues", data={"email": kz_member.email})
    path = invitation_path(last_mail(kz_member.email))
    client.post("/auth/logout")
    login(kz_member)
    assert client.post(path).status_code == 409
    assert db.session.get(User, kz_member.id).company_id == kz_member.company_id


def test_invitation_for_an_existing_account_asks_to_log_in_first(client, login, member):
    factories.make_user(email="has-account@example.org")
    login(member)
    client.post("/companies/mine/colleagues", data={"email": "has-account@example.org"})
    path = invitation_path(last_mail("has-account@example.org"))
    client.post("/auth/logout")
    response = client.post(
        path, data={"name": "Impostor", "password": "tannery-pass-77", "password2": "tannery-pass-77"}
    )
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(Invitation.accepted_at)) is None


def test_unknown_invitation_token_gets_a_clear_message(client):
    response = client.get("/companies/invitations/not-a-real-token")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


def test_expired_invitation_is_refused(client, login, member):
    login(member)
    client.post("/companies/mine/colleagues", data={"email": "late@tannery.example"})
    path = invitation_path(last_mail("late@tannery.example"))
    invitation = db.session.scalar(sa.select(Invitation))
    invitation.created_at -= timedelta(days=15)
    db.session.commit()
    client.post("/auth/logout")
    response = client.post(path, data={"name": "Late", "password": "tannery-pass-77", "password2": "tannery-pass-77"})
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "late@tannery.example")) is None


def test_colleague_who_is_not_the_owner_cannot_invite(client, login, member):
    colleague = factories.make_user(email="colleague@tannery.example", company=member.company)
    login(colleague)
    assert client.get("/companies/mine/colleagues").status_code == 403
    assert client.post("/companies/mine/colleagues", data={"email": "friend@example.org"}).status_code == 403
    assert db.session.scalar(sa.select(Invitation)) is None


def test_owner_withdraws_an_invitation_and_its_link_stops_working(client, login, member):
    login(member)
    client.post("/companies/mine/colleagues", data={"email": "maybe@tannery.example"})
    path = invitation_path(last_mail("maybe@tannery.example"))
    invitation = db.session.scalar(sa.select(Invitation))
    assert client.post(f"/companies/mine/invitations/{invitation.id}/revoke").status_code == 302
    client.post("/auth/logout")
    assert client.get(path).status_code == 404


def test_owner_cannot_withdraw_another_companys_invitation(client, login, member, kz_member):
    login(kz_member)
    client.post("/companies/mine/colleagues", data={"email": "kz-friend@example.org"})
    invitation = db.session.scalar(sa.select(Invitation))
    client.post("/auth/logout")
    login(member)
    assert client.post(f"/companies/mine/invitations/{invitation.id}/revoke").status_code == 404
    assert db.session.get(Invitation, invitation.id) is not None


def test_inviting_someone_already_in_the_company_is_refused(client, login, member):
    factories.make_user(email="colleague@tannery.example", company=member.company)
    login(member)
    response = client.post("/companies/mine/colleagues", data={"email": "colleague@tannery.example"})
    assert response.status_code == 400 and "already works with you" in response.get_data(as_text=True)


def test_owner_removes_a_colleague_after_confirming(client, login, member):
    colleague = factories.make_user(name="Imran", company=member.company)
    login(member)
    confirm = client.get(f"/companies/mine/colleagues/{colleague.id}/remove")
    assert confirm.status_code == 200 and "Remove <bdi>Imran</bdi>?" in confirm.get_data(as_text=True)
    assert db.session.get(User, colleague.id).company_id == member.company_id  # GET changes nothing
    client.post(f"/companies/mine/colleagues/{colleague.id}/remove")
    assert db.session.get(User, colleague.id).company_id is None


def test_owner_cannot_remove_themselves_or_people_of_other_companies(client, login, member, kz_member):
    login(member)
    client.post(f"/companies/mine/colleagues/{member.id}/remove")
    assert db.session.get(User, member.id).company_id is not None
    assert client.post(f"/companies/mine/colleagues/{kz_member.id}/remove").status_code == 404
    assert db.session.get(User, kz_member.id).company_id is not None


# --- directory -------------------------------------------------------------------------------------


@pytest.fixture
def listed(app):
    """Four verified companies and one unverified, with capabilities and certifications to filter on."""
    soon = date.today() + timedelta(days=100)
    return {
        "karachi": factories.make_company(
            name="Karachi Hides",
            capabilities=["hide_cattle", "tan_chrome"],
            verified=True,
            certifications=[Certification(term_id="cert_lwg", level="gold", expires_on=soon)],
        ),
        "sialkot": factories.make_company(
            name="Sialkot Saddles",
            capabilities=["tan_vegetable"],
            verified=True,
            certifications=[
                Certification(term_id="cert_lwg", level="bronze", expires_on=date.today() - timedelta(days=1))
            ],
        ),
        "almaty": factories.make_company(
            name="Almaty Leather", country="KZ", association="KLA", verified=True, capabilities=["hide_cattle"]
        ),
        "shymkent": factories.make_company(
            name="Shymkent Wool", country="KZ", association="KLA", verified=True, capabilities=["hide_sheep"]
        ),
        "hidden": factories.make_company(name="Hidden Cattle Co", capabilities=["hide_cattle"]),
    }


def names_in(response) -> set[str]:
    html = response.get_data(as_text=True)
    return {
        n
        for n in ("Karachi Hides", "Sialkot Saddles", "Almaty Leather", "Shymkent Wool", "Hidden Cattle Co")
        if n in html
    }


def test_directory_lists_verified_companies_only(client, listed):
    response = client.get("/companies/")
    assert names_in(response) == {"Karachi Hides", "Sialkot Saddles", "Almaty Leather", "Shymkent Wool"}
    assert "4 companies" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("country=KZ", {"Almaty Leather", "Shymkent Wool"}),
        ("association=PTA", {"Karachi Hides", "Sialkot Saddles"}),
        ("capability=hide_cattle", {"Karachi Hides", "Almaty Leather"}),
        ("certification=cert_lwg", {"Karachi Hides"}),  # Sialkot's LWG certificate has expired
        ("q=wOOl", {"Shymkent Wool"}),  # name, any case
        ("q=SIALkot", {"Karachi Hides", "Sialkot Saddles"}),  # the factory puts every PK company in Sialkot
        ("country=PK&capability=hide_cattle", {"Karachi Hides"}),
        ("capability=not_a_term&country=KZ", {"Almaty Leather", "Shymkent Wool"}),  # a bad value is ignored
    ],
)
def test_directory_filters(client, listed, query, expected):
    assert names_in(client.get(f"/companies/?{query}")) == expected


def test_directory_search_text_is_not_a_pattern(client, listed):
    assert names_in(client.get("/companies/?q=%25")) == set()


def test_directory_shows_empty_state_when_nothing_matches(client, listed):
    html = client.get("/companies/?q=nothing-like-this").get_data(as_text=True)
    assert "No company matches these filters." in html and "Clear all filters" in html


def test_directory_paginates_and_keeps_filters_in_page_links(client, app, listed):
    app.config["PAGE_SIZE"] = 1
    first = client.get("/companies/?country=KZ")
    assert names_in(first) == {"Almaty Leather"}
    html = first.get_data(as_text=True)
    assert "country=KZ" in re.search(r'href="([^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert names_in(client.get("/companies/?country=KZ&page=2")) == {"Shymkent Wool"}


def test_directory_card_shows_at_most_six_capabilities(client):
    many = [
        "hide_cattle",
        "hide_buffalo",
        "hide_sheep",
        "hide_goat",
        "hide_camel",
        "hide_horse",
        "stage_raw",
        "stage_crust",
    ]
    factories.make_company(name="Many Skills", verified=True, capabilities=many)
    html = client.get("/companies/").get_data(as_text=True)
    assert html.count("capability-badge") == 6 and "and 2 more" in html


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_shows_waiting_state_and_what_to_complete(client, login):
    company = factories.make_company()
    owner = factories.make_user(company=company, owner=True)
    login(owner)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Waiting for verification by <bdi>Pakistan Tanners Association</bdi>" in html
    assert "Add your certifications" in html and "Upload your logo" in html


def test_dashboard_shows_verified_badge(client, login, member):
    login(member)
    assert "Verified member of PTA" in client.get("/dashboard").get_data(as_text=True)
