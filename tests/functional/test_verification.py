"""Staff verification through real HTTP: the queue, verify/reject/revoke, audit rows, owner notices, association walls."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditLog, Company, Notification, OutboxMessage
from portal.models.audit import AuditLogIsAppendOnly
from portal.models.base import utcnow
from portal.models.company import VerificationStatus

from .. import factories


def pending_company(name, association="PTA", days_waiting=1, owner_email=None):
    country = "PK" if association == "PTA" else "KZ"
    company = factories.make_company(
        name=name, country=country, association=association, created_at=utcnow() - timedelta(days=days_waiting)
    )
    factories.make_user(email=owner_email, company=company, owner=True)
    return company


def audit_rows(**where):
    query = sa.select(AuditLog).order_by(AuditLog.id)
    for key, value in where.items():
        query = query.where(getattr(AuditLog, key) == value)
    return db.session.scalars(query).all()


def mails_to(email):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email)).all()


def notices_for(user_id):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)).all()


# --- the queue -------------------------------------------------------------------------------------


def test_queue_lists_own_association_waiting_companies_oldest_first(client, login, pta_staff):
    pending_company("Newer Tannery", days_waiting=1, owner_email="newer@example.pk")
    pending_company("Older Tannery", days_waiting=9)
    pending_company("Steppe Hides", association="KLA")
    factories.make_company(name="Already Verified Ltd", verified=True)
    login(pta_staff)
    html = client.get("/staff/verification").get_data(as_text=True)
    assert html.index("Older Tannery") < html.index("Newer Tannery")
    assert "Steppe Hides" not in html and "Already Verified Ltd" not in html
    assert "newer@example.pk" in html and "PTA-" in html and "Sialkot" in html
    assert "9 days" in html


def test_queue_tabs_show_verified_and_rejected_companies(client, login, pta_staff):
    factories.make_company(name="Verified Works", verified=True)
    rejected = factories.make_company(name="Rejected Works")
    rejected.status, rejected.status_reason = VerificationStatus.rejected, "Unknown number"
    db.session.commit()
    login(pta_staff)
    verified = client.get("/staff/verification?status=verified").get_data(as_text=True)
    rejected = client.get("/staff/verification?status=rejected").get_data(as_text=True)
    assert "Verified Works" in verified and "Rejected Works" not in verified
    assert "Rejected Works" in rejected and "Unknown number" in rejected


def test_empty_queue_says_so(client, login, pta_staff):
    login(pta_staff)
    assert "No companies are waiting for verification." in client.get("/staff/verification").get_data(as_text=True)


def test_queue_is_paginated(app, client, login, pta_staff):
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        pending_company(f"Queue Tannery {n}", days_waiting=10 - n)
    login(pta_staff)
    first = client.get("/staff/verification").get_data(as_text=True)
    second = client.get("/staff/verification?page=2").get_data(as_text=True)
    assert "Queue Tannery 0" in first and "Queue Tannery 2" not in first
    assert "Queue Tannery 2" in second and "Queue Tannery 0" not in second


# --- decisions -------------------------------------------------------------------------------------


def test_verify_sets_status_writes_audit_and_notifies_owner(client, login, pta_staff):
    company = pending_company("Sialkot Gloves", owner_email="gloves@example.pk")
    login(pta_staff)
    response = client.post(f"/staff/companies/{company.id}/verify")
    assert response.status_code == 302
    company = db.session.get(Company, company.id)
    assert company.status is VerificationStatus.verified and company.verified_at is not None
    assert company.status_reason is None
    [row] = audit_rows(action="company.verify")
    assert (row.actor_id, row.association_id, row.object_type, row.object_id) == (
        pta_staff.id,
        company.association_id,
        "company",
        company.id,
    )
    assert "Sialkot Gloves" in notices_for(company.owner_id)[0].text
    assert len(mails_to("gloves@example.pk")) == 1


def test_reject_stores_reason_writes_audit_and_tells_owner_why(client, login, pta_staff):
    company = pending_company("Doubtful Leather", owner_email="doubt@example.pk")
    login(pta_staff)
    reason = "Membership number PTA-9999 is not in our register."
    response = client.post(f"/staff/companies/{company.id}/reject", data={"reason": reason})
    assert response.status_code == 302
    company = db.session.get(Company, company.id)
    assert company.status is VerificationStatus.rejected and company.status_reason == reason
    [row] = audit_rows(action="company.reject")
    assert row.reason == reason and row.actor_id == pta_staff.id and row.object_id == company.id
    assert reason in notices_for(company.owner_id)[0].text
    [mail] = mails_to("doubt@example.pk")
    assert reason in mail.body


def test_reject_without_reason_is_refused_and_changes_nothing(client, login, pta_staff):
    company = pending_company("Hasty Tannery")
    login(pta_staff)
    response = client.post(f"/staff/companies/{company.id}/reject", data={"reason": "   "})
    assert response.status_code == 400
    assert "Please give a reason" in response.get_data(as_text=True)
    assert db.session.get(Company, company.id).status is VerificationStatus.unverified
    assert audit_rows() == []


def test_reject_form_keeps_what_the_staff_member_typed(client, login, pta_staff):
    company = pending_company("Wordy Tannery")
    login(pta_staff)
    typed = "Our register has no such member. " * 70  # over the length limit
    html = client.post(f"/staff/companies/{company.id}/reject", data={"reason": typed}).get_data(as_text=True)
    assert typed.strip()[:200] in html and 'aria-invalid="true"' in html
    assert db.session.get(Company, company.id).status is VerificationStatus.unverified


def test_revoking_a_verification_rejects_with_reason_and_audits(client, login, pta_staff):
    company = factories.make_company(name="Lapsed Member Ltd", verified=True, verified_at=utcnow())
    owner = factories.make_user(company=company, owner=True)
    login(pta_staff)
    assert client.post(f"/staff/companies/{company.id}/revoke", data={"reason": ""}).status_code == 400
    response = client.post(
        f"/staff/companies/{company.id}/revoke", data={"reason": "Membership fees unpaid since 2024."}
    )
    assert response.status_code == 302
    company = db.session.get(Company, company.id)
    assert company.status is VerificationStatus.rejected and company.verified_at is None
    [row] = audit_rows(action="company.revoke")
    assert row.reason == "Membership fees unpaid since 2024." and row.actor_id == pta_staff.id
    assert "Membership fees unpaid" in notices_for(owner.id)[0].text


def test_verifying_a_verified_company_again_changes_nothing(client, login, pta_staff):
    company = factories.make_company(verified=True)
    login(pta_staff)
    client.post(f"/staff/companies/{company.id}/verify")
    assert audit_rows() == []


def test_rejecting_a_verified_company_needs_a_revoke(client, login, pta_staff):
    company = factories.make_company(verified=True)
    login(pta_staff)
    client.post(f"/staff/companies/{company.id}/reject", data={"reason": "Try to skip the revoke"})
    assert db.session.get(Company, company.id).status is VerificationStatus.verified
    assert audit_rows() == []


def test_review_page_shows_company_and_history(client, login, pta_staff):
    company = pending_company("History Tannery")
    login(pta_staff)
    client.post(f"/staff/companies/{company.id}/reject", data={"reason": "Send your PTA certificate."})
    html = client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert f'rejected <a href="/companies/{company.id}"><bdi>History Tannery</bdi></a>' in html
    assert "Send your PTA certificate." in html


# --- the association wall --------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["verify", "reject", "revoke"])
def test_staff_cannot_decide_on_another_associations_company_even_with_forged_ids(client, login, pta_staff, action):
    kla = factories.association("KLA")
    company = factories.make_company(
        name="Steppe Hides", country="KZ", association="KLA", verified=(action == "revoke")
    )
    before = company.status
    login(pta_staff)
    response = client.post(
        f"/staff/companies/{company.id}/{action}",
        data={"reason": "forged", "association_id": kla.id, "company_id": company.id},
    )
    assert response.status_code == 404
    assert db.session.get(Company, company.id).status is before
    assert audit_rows() == []


def test_staff_cannot_open_another_associations_review_page(client, login, pta_staff):
    company = pending_company("Steppe Hides", association="KLA")
    login(pta_staff)
    assert client.get(f"/staff/companies/{company.id}").status_code == 404
    assert client.get(f"/staff/companies/{company.id}?association_id={company.association_id}").status_code == 404


def test_queue_ignores_a_forged_association_parameter(client, login, pta_staff):
    kla = factories.association("KLA")
    pending_company("Steppe Hides", association="KLA")
    login(pta_staff)
    html = client.get(f"/staff/verification?association_id={kla.id}&association=KLA").get_data(as_text=True)
    assert "Steppe Hides" not in html


def test_unknown_company_is_404(client, login, pta_staff):
    login(pta_staff)
    assert client.post("/staff/companies/999999/verify").status_code == 404


@pytest.mark.parametrize("path", ["/staff/verification", "/staff/audit"])
def test_member_cannot_reach_staff_pages(client, login, member, path):
    login(member)
    assert client.get(path).status_code == 403


def test_member_cannot_verify_even_their_own_company(client, login):
    company = factories.make_company()
    owner = factories.make_user(company=company, owner=True)
    login(owner)
    assert client.post(f"/staff/companies/{company.id}/verify").status_code == 403
    assert db.session.get(Company, company.id).status is VerificationStatus.unverified


def test_admin_does_not_decide_for_associations(client, login, admin):
    company = factories.make_company()
    login(admin)
    assert client.post(f"/staff/companies/{company.id}/verify").status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/staff/verification")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_staff_cannot_reach_admin_area(client, login, pta_staff):
    login(pta_staff)
    assert client.get("/admin/").status_code == 403


def test_staff_dashboard_leads_to_the_queue(client, login, pta_staff):
    login(pta_staff)
    assert client.get("/dashboard").headers["Location"].endswith("/staff/verification")


# --- the audit log ---------------------------------------------------------------------------------


def test_staff_audit_log_shows_only_their_association_newest_first(client, login, pta_staff, kla_staff, app):
    first = pending_company("First Tannery", days_waiting=3)
    second = pending_company("Second Tannery", days_waiting=2)
    kla_company = pending_company("Steppe Hides", association="KLA")
    login(pta_staff)
    client.post(f"/staff/companies/{first.id}/verify")
    client.post(f"/staff/companies/{second.id}/reject", data={"reason": "Second reason"})
    client.post("/auth/logout")
    login(kla_staff)
    client.post(f"/staff/companies/{kla_company.id}/reject", data={"reason": "Kazakh secret reason"})
    client.post("/auth/logout")
    login(pta_staff)
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "Kazakh secret reason" not in html
    assert html.index("rejected <a") < html.index("verified <a")
    filtered = client.get("/staff/audit?action=company.verify").get_data(as_text=True)
    assert "Second reason" not in filtered and "First Tannery" in filtered and "Second Tannery" not in filtered


def test_audit_log_has_no_edit_or_delete_routes(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods - {"GET", "HEAD", "OPTIONS"} == set(), rule.rule


def test_audit_row_refuses_update_and_delete_through_the_orm(app, pta_staff):
    row = AuditLog(
        actor_id=pta_staff.id, action="company.verify", object_type="company", object_id=1, reason="original"
    )
    db.session.add(row)
    db.session.commit()
    row.reason = "rewritten history"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditLog, row.id).reason == "original"
    db.session.delete(db.session.get(AuditLog, row.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditLog, row.id) is not None
