"""The admin area through real HTTP: overview, associations, staff accounts, (de)activation, taxonomy, full audit log."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Association, AuditLog, OutboxMessage, TaxonomyTerm, User
from portal.models.company import VerificationStatus
from portal.taxonomy import vocabulary

from .. import factories


def last_mail(to):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id.desc())
    ).first()


def link_in(message) -> str:
    return re.search(r"http://localhost(/\S+)", message.body).group(1)


def actions():
    return [row.action for row in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]


def fresh_vocabulary():
    from flask import g

    g.pop("vocabulary", None)  # the test's long-lived app context caches it like a request would
    return vocabulary()


# --- overview --------------------------------------------------------------------------------------


def test_overview_counts_companies_by_status_per_association_and_users_by_role(client, login, admin):
    factories.make_company(verified=True)
    factories.make_company()
    factories.make_company(country="KZ", association="KLA")
    factories.make_user(role="staff", association="KLA", active=False)
    login(admin)
    html = client.get("/admin/").get_data(as_text=True)
    pta_row = re.search(r"PTA <span.*?</tr>", html, re.S).group(0)
    kla_row = re.search(r"KLA <span.*?</tr>", html, re.S).group(0)
    assert re.findall(r">(\d+)</td>", pta_row) == ["1", "1", "0"]
    assert re.findall(r">(\d+)</td>", kla_row) == ["1", "0", "0"]
    staff_row = re.search(r"role=staff\">Staff</a></th>.*?</tr>", html, re.S).group(0)
    assert re.findall(r">(\d+)</td>", staff_row) == ["0", "1"]


# --- associations ----------------------------------------------------------------------------------


def test_admin_creates_association_with_uppercased_code_and_audit(client, login, admin):
    login(admin)
    response = client.post(
        "/admin/associations/new", data={"code": " tla ", "name": "Turkestan Leather Alliance", "country": "kz"}
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Association).where(Association.code == "TLA"))
    assert created.name == "Turkestan Leather Alliance" and created.country == "KZ"
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "association.create"))
    assert row.actor_id == admin.id and row.object_id == created.id and row.detail["code"] == "TLA"


@pytest.mark.parametrize(
    "code, message", [("pta", "already uses this code"), ("X", "2 to 16"), ("TOO-LONG!", "2 to 16")]
)
def test_association_code_must_be_unique_and_well_formed(client, login, admin, code, message):
    login(admin)
    response = client.post("/admin/associations/new", data={"code": code, "name": "Typed Name Stays", "country": "PK"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and 'value="Typed Name Stays"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Association)) == 2


def test_admin_edits_association_and_keeps_own_code(client, login, admin):
    pta = factories.association("PTA")
    login(admin)
    response = client.post(
        f"/admin/associations/{pta.id}/edit",
        data={"code": "PTA", "name": "Pakistan Tanners Association (Lahore)", "country": "PK"},
    )
    assert response.status_code == 302
    assert db.session.get(Association, pta.id).name == "Pakistan Tanners Association (Lahore)"
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "association.update"))
    assert "Lahore" in row.detail["name"]


def test_association_code_cannot_take_another_ones(client, login, admin):
    pta = factories.association("PTA")
    login(admin)
    response = client.post(f"/admin/associations/{pta.id}/edit", data={"code": "KLA", "name": "x", "country": "PK"})
    assert "already uses this code" in response.get_data(as_text=True)
    assert db.session.get(Association, pta.id).code == "PTA"


# --- staff accounts --------------------------------------------------------------------------------


def test_new_staff_sets_password_by_mailed_link_and_sees_only_their_association(app, client, login, admin):
    login(admin)
    client.post("/admin/associations/new", data={"code": "TLA", "name": "Turkestan Leather Alliance", "country": "KZ"})
    tla = db.session.scalar(sa.select(Association).where(Association.code == "TLA"))
    response = client.post(
        "/admin/staff/new", data={"name": "Aruzhan Bekova", "email": "Aruzhan@TLA.example", "association": tla.id}
    )
    assert response.status_code == 302
    staff = db.session.scalar(sa.select(User).where(User.email == "aruzhan@tla.example"))
    assert staff.role.value == "staff" and staff.association_id == tla.id
    assert actions()[-1] == "staff.create"
    factories.make_company(name="Turkestan Sheepskins", country="KZ", association="TLA")
    factories.make_company(name="Karachi Unverified Tannery")

    newcomer = app.test_client()
    path = link_in(last_mail("aruzhan@tla.example"))
    assert (
        newcomer.post(path, data={"password": "her-own-secret-77", "password2": "her-own-secret-77"}).status_code == 302
    )
    assert (
        newcomer.post("/auth/login", data={"email": "aruzhan@tla.example", "password": "her-own-secret-77"}).status_code
        == 302
    )
    # An account an admin made has accepted nothing: the Terms come first (auth/consent.py), then the work.
    assert newcomer.get("/staff/verification").headers["Location"].startswith("/auth/terms")
    assert newcomer.post("/auth/terms", data={"accept_terms": "y"}).status_code == 302
    html = newcomer.get("/staff/verification").get_data(as_text=True)
    assert "Turkestan Sheepskins" in html and "Karachi Unverified Tannery" not in html


def test_staff_form_refuses_existing_email_and_keeps_input(client, login, admin, pta_staff):
    login(admin)
    response = client.post(
        "/admin/staff/new",
        data={"name": "Second Try", "email": pta_staff.email, "association": pta_staff.association_id},
    )
    html = response.get_data(as_text=True)
    assert "already exists" in html and 'value="Second Try"' in html
    assert actions() == []


def test_staff_role_and_association_come_from_the_form_choice_only(client, login, admin):
    login(admin)
    kla = factories.association("KLA")
    client.post(
        "/admin/staff/new",
        data={
            "name": "Forger",
            "email": "forger@example.org",
            "association": kla.id,
            "role": "admin",
            "active": "0",
            "association_id": 1,
        },
    )
    user = db.session.scalar(sa.select(User).where(User.email == "forger@example.org"))
    assert user.role.value == "staff" and user.association_id == kla.id and user.active


def test_unknown_association_is_refused(client, login, admin):
    login(admin)
    response = client.post(
        "/admin/staff/new", data={"name": "Nobody", "email": "nobody@example.org", "association": 999}
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "nobody@example.org")) is None


def test_deactivated_staff_is_logged_out_and_cannot_log_in_until_reactivated(app, client, login, admin, pta_staff):
    staff_client = app.test_client()
    staff_client.post("/auth/login", data={"email": pta_staff.email, "password": factories.PASSWORD})
    assert staff_client.get("/staff/verification").status_code == 200
    login(admin)
    assert client.get(f"/admin/users/{pta_staff.id}/deactivate").status_code == 200  # the confirmation page
    assert client.post(f"/admin/users/{pta_staff.id}/deactivate").status_code == 302
    response = staff_client.get("/staff/verification")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert (
        staff_client.post("/auth/login", data={"email": pta_staff.email, "password": factories.PASSWORD}).status_code
        == 200
    )
    client.post(f"/admin/users/{pta_staff.id}/reactivate")
    assert (
        staff_client.post("/auth/login", data={"email": pta_staff.email, "password": factories.PASSWORD}).status_code
        == 302
    )
    assert actions() == ["user.deactivate", "user.reactivate"]


def test_admin_cannot_deactivate_themselves(client, login, admin):
    login(admin)
    client.post(f"/admin/users/{admin.id}/deactivate")
    assert db.session.get(User, admin.id).active
    assert client.get("/admin/").status_code == 200


def test_admin_can_mail_a_new_password_link(client, login, admin, pta_staff):
    login(admin)
    assert client.post(f"/admin/users/{pta_staff.id}/send-link").status_code == 302
    assert "/auth/reset/" in last_mail(pta_staff.email).body
    assert actions() == ["user.password_link"]


def test_users_list_searches_filters_and_paginates(app, client, login, admin):
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        factories.make_user(email=f"saddler{n}@sialkot.example", name=f"Saddler {n}")
    factories.make_user(email="other@example.kz", name="Someone Else")
    login(admin)
    first = client.get("/admin/users?q=SADDLER").get_data(as_text=True)
    second = client.get("/admin/users?q=saddler&page=2").get_data(as_text=True)
    assert (
        "saddler0@" in first and "saddler1@" in first and "saddler2@" not in first and "other@example.kz" not in first
    )
    assert "saddler2@" in second and "3 in all" in second
    staff_only = client.get("/admin/users?role=staff").get_data(as_text=True)
    assert "saddler0@" not in staff_only
    assert "No accounts match" in client.get("/admin/users?q=%25_nothing").get_data(as_text=True)


# --- taxonomy --------------------------------------------------------------------------------------


def test_added_term_shows_up_in_the_vocabulary(client, login, admin):
    login(admin)
    response = client.post(
        "/admin/taxonomy/new",
        data={
            "id": "seg_belts",
            "facet": "segment",
            "label_en": "Belts",
            "label_ru": "Ремни",
            "label_kk": "Белдіктер",
            "label_ur": "بیلٹ",
            "synonyms_en": "belt, waist belt,  belts ,belt",
            "synonyms_ur": "بیلٹ، کمر بند",
        },
    )
    assert response.status_code == 302
    term = fresh_vocabulary().terms["seg_belts"]
    assert term.facet == "segment" and term.label("ru") == "Ремни"
    assert term.synonyms == {"en": ["belt", "waist belt", "belts"], "ur": ["بیلٹ", "کمر بند"]}
    assert actions() == ["taxonomy.create"]
    assert "seg_belts" in client.get("/admin/taxonomy").get_data(as_text=True)


@pytest.mark.parametrize("term_id", ["hide_cattle", "Seg Belts", "x"])
def test_term_id_must_be_a_new_slug(client, login, admin, term_id):
    login(admin)
    response = client.post("/admin/taxonomy/new", data={"id": term_id, "facet": "segment", "label_en": "Belts"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(TaxonomyTerm)) is None


def test_label_override_of_a_builtin_term_shows_up_and_keeps_builtin_synonyms(client, login, admin):
    builtin_synonyms = fresh_vocabulary().terms["hide_cattle"].synonyms["en"]
    login(admin)
    form = client.get("/admin/taxonomy/hide_cattle/edit").get_data(as_text=True)
    assert 'value="Cattle hides"' in form
    response = client.post(
        "/admin/taxonomy/hide_cattle/edit",
        data={
            "label_en": "Cow and buffalo hides",
            "label_ru": "Шкуры КРС",
            "label_kk": "",
            "label_ur": "",
            "synonyms_en": "rawhide, cow",
            "facet": "cert",
            "id": "hijacked",
        },
    )
    assert response.status_code == 302
    term = fresh_vocabulary().terms["hide_cattle"]
    assert term.label("en") == "Cow and buffalo hides" and term.facet == "hide"
    assert term.label("kk") == "ІҚМ терілері"  # a blank label falls back to the built-in one
    assert term.synonyms["en"][: len(builtin_synonyms)] == builtin_synonyms and "rawhide" in term.synonyms["en"]
    assert "hijacked" not in fresh_vocabulary().terms
    assert actions() == ["taxonomy.update"]


def test_unknown_term_is_404(client, login, admin):
    login(admin)
    assert client.get("/admin/taxonomy/no_such_term/edit").status_code == 404


# --- access and audit ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "pta_staff"])
def test_non_admins_cannot_create_associations_or_staff(request, client, login, who):
    user = request.getfixturevalue(who)
    login(user)
    assert (
        client.post("/admin/associations/new", data={"code": "EVIL", "name": "Evil", "country": "PK"}).status_code
        == 403
    )
    assert (
        client.post(
            "/admin/staff/new", data={"name": "Evil", "email": "evil@example.org", "association": 1}
        ).status_code
        == 403
    )
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 403
    assert db.session.scalar(sa.select(Association).where(Association.code == "EVIL")) is None
    assert db.session.scalar(sa.select(User).where(User.email == "evil@example.org")) is None


def test_admin_audit_log_shows_every_association_newest_first_and_filters(client, login, admin, pta_staff, kla_staff):
    pta_company = factories.make_company(name="Punjab Hides")
    kla_company = factories.make_company(name="Steppe Hides", country="KZ", association="KLA")
    staff_client = client.application.test_client()
    staff_client.post("/auth/login", data={"email": pta_staff.email, "password": factories.PASSWORD})
    staff_client.post(f"/staff/companies/{pta_company.id}/reject", data={"reason": "Pakistani reason"})
    staff_client.post("/auth/logout")
    staff_client.post("/auth/login", data={"email": kla_staff.email, "password": factories.PASSWORD})
    staff_client.post(f"/staff/companies/{kla_company.id}/verify")
    login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Pakistani reason" in html and html.index("verified <a") < html.index("rejected <a")
    filtered = client.get("/admin/audit?action=company.verify").get_data(as_text=True)
    assert "Pakistani reason" not in filtered and "Steppe Hides" in filtered and "Punjab Hides" not in filtered
    assert db.session.get(type(kla_company), kla_company.id).status is VerificationStatus.verified
