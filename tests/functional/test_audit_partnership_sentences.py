"""The audit log tells interests, outcomes, invitations and colleagues as sentences with links (issue 12)."""

from portal.companies import services as companies
from portal.extensions import db
from portal.models import OutcomeKind
from portal.partnerships.services import interests, outcomes

from .. import factories


def audit_page(client_for, admin) -> str:
    return client_for(admin).get("/admin/audit").get_data(as_text=True)


def test_an_interest_its_acceptance_and_the_outcome_read_as_sentences(client_for, member, kz_member, admin):
    listing = factories.make_live_listing(member.company, title="Wet-blue cattle hides")
    interest = interests.express_interest(kz_member, listing, "We buy wet-blue every month.")
    db.session.commit()
    conversation = interests.accept_interest(member, interest, "Welcome")
    db.session.commit()
    outcome = outcomes.record_outcome(member, conversation, OutcomeKind.trade_contract, 57000)
    db.session.commit()
    outcomes.confirm_outcome(kz_member, outcome)
    db.session.commit()
    html = audit_page(client_for, admin)
    pk, kz = member.company, kz_member.company
    title = f'<a href="/listings/{listing.id}"><bdi>Wet-blue cattle hides</bdi></a>'
    pk_link = f'<a href="/companies/{pk.id}"><bdi>{pk.name}</bdi></a>'
    kz_link = f'<a href="/companies/{kz.id}"><bdi>{kz.name}</bdi></a>'
    assert f"<bdi>{kz_member.name}</bdi> ({kz_link}) expressed interest in “{title}”" in html
    assert f"<bdi>{member.name}</bdi> ({pk_link}) accepted the interest of {kz_link} in “{title}”" in html
    assert f"({pk_link}) recorded an outcome with {kz_link}: Trade contract, $57,000.00" in html
    assert f"({kz_link}) confirmed the outcome recorded by {pk_link}: Trade contract, $57,000.00" in html
    assert "/partnerships/" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # no way into the conversation
    assert "interest #" not in html and "outcome #" not in html  # no fallback sentence


def test_invitations_and_colleagues_read_as_sentences(client_for, member, admin):
    invitation = companies.invite(member.company, member, "colleague@example.com")
    db.session.commit()
    companies.revoke_invitation(member.company, member, invitation.id)
    db.session.commit()
    html = audit_page(client_for, admin)
    company = f'<a href="/companies/{member.company.id}"><bdi>{member.company.name}</bdi></a>'
    assert f"<bdi>{member.name}</bdi> invited <bdi>colleague@example.com</bdi> to join {company}" in html
    assert f"withdrew the invitation of <bdi>colleague@example.com</bdi> to join {company}" in html


def test_a_declined_interest_names_its_reason_escaped(client_for, member, kz_member, admin):
    listing = factories.make_live_listing(member.company, title="Crust leather")
    interest = interests.express_interest(kz_member, listing, "Interested.")
    db.session.commit()
    interests.decline_interest(member, interest, "<b>Not this season</b>")
    db.session.commit()
    html = audit_page(client_for, admin)
    assert "declined the interest of" in html
    assert "&lt;b&gt;Not this season&lt;/b&gt;" in html and "<b>Not this season</b>" not in html
