"""The words of the audit log: one translatable sentence per action, and the labels of edited fields.

Kept apart from `describe`, which fills them in, so that adding an action means adding one line here.
"""

from flask_babel import lazy_gettext as _l

# One sentence per action. Placeholders: actor, listing (a linked, quoted title inside the msgid's own
# quotes), company (linked; for interests and outcomes the actor's), partner (the other company), outcome
# (kind and value), comment, user, association, term, version, figure, export, token, action, object. Unused ones
# are ignored.
# tests/unit/test_audit_sentences_cover.py fails when an action recorded anywhere has no sentence here.
SENTENCES = {
    "listing.create": _l("%(actor)s (%(company)s) created the listing “%(listing)s”"),
    "listing.submit": _l("%(actor)s (%(company)s) submitted “%(listing)s” for review"),
    "listing.resubmit": _l("%(actor)s (%(company)s) changed “%(listing)s” while it waited for review"),
    "listing.approve": _l("%(actor)s approved “%(listing)s” by %(company)s"),
    "listing.request_changes": _l("%(actor)s asked %(company)s for changes to “%(listing)s”: %(comment)s"),
    "listing.reject": _l("%(actor)s rejected “%(listing)s” by %(company)s: %(comment)s"),
    "listing.unpublish": _l("%(actor)s took “%(listing)s” by %(company)s offline: %(comment)s"),
    "listing.withdraw": _l("%(actor)s (%(company)s) withdrew “%(listing)s”"),
    "listing.fulfil": _l("%(actor)s (%(company)s) marked “%(listing)s” as fulfilled"),
    "listing.renew": _l("%(actor)s (%(company)s) renewed “%(listing)s”"),
    "listing.expire": _l("“%(listing)s” by %(company)s expired"),
    "listing.revision_submit": _l("%(actor)s (%(company)s) proposed an edit of “%(listing)s”"),
    "listing.revision_approve": _l("%(actor)s approved the edit of “%(listing)s” by %(company)s"),
    "listing.revision_request_changes": _l(
        "%(actor)s asked %(company)s for changes to the edit of “%(listing)s”: %(comment)s"
    ),
    "listing.revision_reject": _l("%(actor)s rejected the edit of “%(listing)s” by %(company)s: %(comment)s"),
    "listing.tags": _l("%(actor)s corrected the capabilities of “%(listing)s” by %(company)s"),
    "listing.hs_headings": _l("%(actor)s corrected the HS headings of “%(listing)s” by %(company)s"),
    "listing.flags_dismiss": _l("%(actor)s dismissed the reports on “%(listing)s” by %(company)s"),
    "listing.interest_closed": _l("%(actor)s (%(company)s) closed “%(listing)s” to new interest"),
    "listing.interest_opened": _l("%(actor)s (%(company)s) opened “%(listing)s” to new interest again"),
    "company.create": _l("%(actor)s registered %(company)s"),
    "company.update": _l("%(actor)s edited the profile of %(company)s"),
    "company.resubmit": _l("%(actor)s edited the profile of %(company)s and asked for verification again"),
    "company.verify": _l("%(actor)s verified %(company)s"),
    "company.reject": _l("%(actor)s rejected %(company)s: %(comment)s"),
    "company.revoke": _l("%(actor)s revoked the verification of %(company)s: %(comment)s"),
    "company.logo": _l("%(actor)s changed the logo of %(company)s"),
    "company.logo_remove": _l("%(actor)s removed the logo of %(company)s"),
    "staff.create": _l("%(actor)s created a staff account for %(user)s"),
    "user.deactivate": _l("%(actor)s deactivated the account of %(user)s"),
    "user.reactivate": _l("%(actor)s reactivated the account of %(user)s"),
    "user.password_link": _l("%(actor)s sent a password link to %(user)s"),
    "association.create": _l("%(actor)s created the association %(association)s"),
    "association.update": _l("%(actor)s changed the association %(association)s"),
    "listing.import_draft": _l("%(actor)s imported “%(listing)s” by %(company)s as a draft"),
    "listing.import_submitted": _l("%(actor)s imported “%(listing)s” by %(company)s for review"),
    "listing.import_published": _l("%(actor)s imported “%(listing)s” by %(company)s, published"),
    "import": _l("%(actor)s imported a file of companies and listings"),
    "company.invite": _l("%(actor)s invited %(user)s to join %(company)s"),
    "company.invite_revoke": _l("%(actor)s withdrew the invitation of %(user)s to join %(company)s"),
    "company.join": _l("%(actor)s joined %(company)s through an invitation"),
    "company.colleague_remove": _l("%(actor)s removed %(user)s from %(company)s"),
    "interest.express": _l("%(actor)s (%(company)s) expressed interest in “%(listing)s”"),
    "interest.accepted": _l("%(actor)s (%(company)s) accepted the interest of %(partner)s in “%(listing)s”"),
    "interest.declined": _l(
        "%(actor)s (%(company)s) declined the interest of %(partner)s in “%(listing)s”: %(comment)s"
    ),
    "interest.withdraw": _l("%(actor)s (%(company)s) withdrew their interest in “%(listing)s”"),
    "outcome.record": _l("%(actor)s (%(company)s) recorded an outcome with %(partner)s: %(outcome)s"),
    "outcome.confirm": _l("%(actor)s (%(company)s) confirmed the outcome recorded by %(partner)s: %(outcome)s"),
    "outcome.naming_allow": _l(
        "%(actor)s (%(company)s) allowed the scoreboard to name their company with %(partner)s: %(outcome)s"
    ),
    "outcome.naming_withdraw": _l(
        "%(actor)s (%(company)s) withdrew their consent to be named on the scoreboard with %(partner)s: %(outcome)s"
    ),
    "outcome.dispute": _l(
        "%(actor)s (%(company)s) disputed the outcome recorded by %(partner)s: %(outcome)s; reason: %(comment)s"
    ),
    "taxonomy.create": _l("%(actor)s added the term %(term)s to the taxonomy"),
    "taxonomy.update": _l("%(actor)s changed the labels or synonyms of the term %(term)s"),
    "user.accept_terms": _l("%(actor)s accepted the Terms and Privacy policy of %(version)s"),
    "trade_figure.save": _l("%(actor)s set an official trade figure on the scoreboard: %(figure)s"),
    "trade_figure.remove": _l("%(actor)s removed an official trade figure from the scoreboard: %(figure)s"),
    "export.members": _l("%(actor)s exported the members of %(association)s (%(export)s)"),
    "export.listings": _l("%(actor)s exported the listings of %(association)s (%(export)s)"),
    "export.funnel": _l("%(actor)s exported the partnership funnel of %(association)s (%(export)s)"),
    "export.outcomes": _l("%(actor)s exported the outcomes of %(association)s (%(export)s)"),
    "api_token.create": _l("%(actor)s created the API token %(token)s"),
    "api_token.revoke": _l("%(actor)s revoked the API token %(token)s"),
}
FALLBACK = _l("%(actor)s: %(action)s, %(object)s")


class _Blanks(dict):
    def __missing__(self, key):
        return "…"


def action_label(action: str) -> str:
    """An action as the audit filter lists it: its sentence with "…" for every name, so the list reads in
    the reader's language ("… approved “…” by …") with no second set of labels to translate."""
    sentence = SENTENCES.get(action)
    return str(sentence) % _Blanks() if sentence is not None else action


# The edited fields in the reader's language (the labels of the forms that edit them).
FIELD_LABELS = {
    "listing": {
        "direction": _l("Offer or request"),
        "type": _l("Type"),
        "title": _l("Title"),
        "summary": _l("Summary"),
        "description": _l("Description"),
        "language": _l("Language of the text"),
        "target_countries": _l("Target countries"),
        "details": _l("Details"),
        "anonymous": _l("Anonymous"),
        "interest_deadline": _l("Expressions of interest until"),
        "tags": _l("Capabilities"),
        "hs_headings": _l("HS headings"),
        "available_months": _l("Available in these months"),
    },
    "association": {"code": _l("Code"), "name": _l("Name"), "country": _l("Country"), "website": _l("Website")},
    "company": {
        "name": _l("Legal name"),
        "country": _l("Country"),
        "city": _l("City or region"),
        "association": _l("Association"),
        "membership_no": _l("Membership number"),
        "description": _l("About the company"),
        "website": _l("Website"),
        "phone": _l("Phone"),
        "year_founded": _l("Year founded"),
        "employees_range": _l("Employees"),
        "languages": _l("Languages you do business in"),
        "capacity_amount": _l("Production capacity"),
        "capacity_unit": _l("Unit"),
        "hs_codes": _l("Products you trade (HS chapters)"),
        "capabilities": _l("Capabilities"),
        "certifications": _l("Certifications"),
    },
}
REVISION_ACTIONS = frozenset(
    {
        "listing.revision_submit",
        "listing.revision_approve",
        "listing.revision_request_changes",
        "listing.revision_reject",
    }
)


def field_label(object_type: str, key: str) -> str:
    """A field's label in the reader's language; an unknown key as it is."""
    label = FIELD_LABELS.get(object_type, {}).get(key)
    return str(label) if label is not None else key
