"""Listing pages: the visitors' index and listing page, create/edit, my listings, owner actions, flags."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import search
from ..extensions import db
from ..idempotency import create_once
from ..limits import limited
from ..models import Listing, ListingStatus
from ..partnerships.panels import interest_box
from ..permissions import confirmed_required, get_or_404_for, is_member_of, member_required
from ..utils import paginate
from . import bp, hs, services
from .details import display
from .forms import ActionForm, FlagForm, ListingForm
from .services import ListingError, NotAllowed

S = ListingStatus


# --- helpers --------------------------------------------------------------------------------------


def own_listing(listing_id) -> Listing:
    """The listing if the current user works for its company; 404 for everyone else, whatever the URL."""
    return get_or_404_for(Listing, listing_id, services.is_owner)


def visible_listing(listing_id) -> Listing:
    return get_or_404_for(Listing, listing_id, services.can_view_listing)


def company_or_redirect():
    if current_user.company is None:
        flash(_("Please describe your company first."), "info")
        return None
    return current_user.company


# --- public pages ---------------------------------------------------------------------------------


@bp.route("/")
@limited("search", methods=None)
def index():
    """The listings page is the search page without words (browsing, newest first, same facets)."""
    return search.results_page()


@bp.route("/<int:listing_id>")
def detail(listing_id):
    listing = visible_listing(listing_id)
    flag_form = FlagForm() if services.can_flag(current_user, listing) else None
    return render_detail(listing, flag_form)


def render_detail(listing, flag_form, status=200):
    return render_template(
        "listings/detail.html",
        listing=listing,
        flag_form=flag_form,
        action_form=ActionForm(),
        detail_rows=display(listing.type.value, listing.details),
        hs_rows=[(h.heading, hs.label(h.heading)) for h in listing.hs_headings],
        months_text=hs.months_text(hs.month_numbers(listing)),
        revision=listing.pending_revision,
        matches=shown_matches(listing),
        understood=search.understood_concepts(listing) if is_member_of(current_user, listing.company) else None,
        interest_box=interest_box(listing),
    ), status


def shown_matches(listing) -> list | None:
    """The matches box of a live listing, for its own people and logged-in members; None hides the box."""
    user = current_user
    if not (listing.is_live and user.is_authenticated and (user.is_member or is_member_of(user, listing.company))):
        return None
    return search.listing_matches(listing, limit=5)


@bp.route("/<int:listing_id>/flag", methods=["POST"])
@login_required
@confirmed_required
@limited("flag")
def flag(listing_id):
    listing = visible_listing(listing_id)
    if not services.can_flag(current_user, listing):
        abort(403)
    form = FlagForm()
    if not form.validate_on_submit():
        return render_detail(listing, form, 400)
    try:
        services.flag_listing(listing, current_user, form.reason.data)
    except ListingError as exc:
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("Thank you. The association's staff will review your report."), "success")
    return redirect(url_for(".detail", listing_id=listing.id))


# --- the owner's pages ----------------------------------------------------------------------------


@bp.route("/mine")
@member_required
def mine():
    company = company_or_redirect()
    if company is None:
        return redirect(url_for("companies.create"))
    status = request.args.get("status", "")
    query = sa.select(Listing).where(Listing.company_id == company.id).options(selectinload(Listing.revisions))
    if status in S.__members__:
        query = query.where(Listing.status == S[status])
    page = paginate(query.order_by(Listing.updated_at.desc(), Listing.id.desc()))
    return render_template(
        "listings/mine.html",
        page=page,
        company=company,
        status=status,
        counts=services.status_counts(company),
        action_form=ActionForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@member_required
def create():
    company = company_or_redirect()
    if company is None:
        return redirect(url_for("companies.create"))
    form = ListingForm()
    if request.method == "GET":
        form.target_countries.data = ["KZ"] if company.country == "PK" else ["PK"]
    if form.preview.data and form.validate_on_submit():
        return render_template("listings/form.html", form=form, listing=None, company=company, preview=form.to_data())
    if form.validate_on_submit():

        def new_listing():
            listing = services.create_listing(company, form.to_data(), current_user)
            if form.submit.data:
                submit_or_explain(listing)
            return listing

        # a form sent twice gets the listing the first copy made, and the same answer
        listing = create_once(Listing, form.token, new_listing, Listing.company_id == company.id)
        if listing.status is ListingStatus.draft:
            flash(_("Your draft is saved."), "success")
        else:
            flash(_("Your listing was sent to your association for review."), "success")
        return redirect(url_for(".mine"))
    return render_template("listings/form.html", form=form, listing=None, company=company)


def submit_or_explain(listing) -> str | None:
    """Submit the listing; when a rule refuses, the draft stays and the user reads why."""
    try:
        services.transition(listing, "submit", current_user)
    except ListingError as exc:
        flash(str(exc), "warning")
        return None
    return _("Your listing was sent to your association for review.")


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@member_required
def edit(listing_id):
    listing = own_listing(listing_id)
    if listing.status not in services.EDITABLE_STATUSES:
        flash(
            _("A listing that is %(status)s can no longer be edited.", status=services.status_label(listing.status)),
            "warning",
        )
        return redirect(url_for(".mine"))
    form = ListingForm() if request.method == "POST" else ListingForm.from_data(services.form_data(listing))
    if form.preview.data and form.validate_on_submit():
        return render_template(
            "listings/form.html", form=form, listing=listing, company=listing.company, preview=form.to_data()
        )
    if form.validate_on_submit():
        was_published, was_submitted = listing.status is S.published, listing.status is S.submitted
        try:
            revision = services.edit_listing(listing, form.to_data(), current_user)
        except ListingError as exc:
            flash(str(exc), "danger")
            return render_template("listings/form.html", form=form, listing=listing, company=listing.company), 400
        if was_published:
            message = (
                _("Your changes were sent for review. The published version stays online until they are approved.")
                if revision
                else _("Nothing changed.")
            )
        elif was_submitted:
            message = _("Your changes are saved. The listing goes back to the review queue as a new version.")
        elif form.submit.data and listing.status in TRANSITION_SOURCES_SUBMIT:
            message = submit_or_explain(listing) or _("Your changes are saved.")
        else:
            message = _("Your changes are saved.")
        try:
            db.session.commit()
        except StaleDataError:  # staff decided on the listing while this edit was on its way
            db.session.rollback()
            flash(_("Your listing changed while you were editing it (for example, staff decided on it)."), "danger")
            return redirect(url_for(".mine"))
        flash(message, "success")
        return redirect(url_for(".mine"))
    return render_template("listings/form.html", form=form, listing=listing, company=listing.company)


TRANSITION_SOURCES_SUBMIT = services.TRANSITIONS["submit"].sources
OWNER_MESSAGES = {
    "submit": lambda: _("Your listing was sent to your association for review."),
    "renew": lambda: _("Your listing is renewed and stays online."),
    "withdraw": lambda: _("Your listing was withdrawn."),
    "fulfil": lambda: _("Marked as fulfilled. Congratulations! It stays in your archive."),
}


@bp.route("/<int:listing_id>/<any(submit, renew, withdraw, fulfil):action>", methods=["GET", "POST"])
@member_required
def owner_action(listing_id, action):
    """Withdraw and fulfil ask for confirmation first (GET shows the question); all act on POST."""
    listing = own_listing(listing_id)
    form = ActionForm()
    if request.method == "GET":
        if action not in ("withdraw", "fulfil"):
            return redirect(url_for(".mine"))
        return render_template("listings/confirm.html", listing=listing, action=action, form=form)
    if form.validate_on_submit():
        try:
            services.transition(listing, action, current_user)
        except NotAllowed:
            abort(404)
        except ListingError as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(OWNER_MESSAGES[action](), "success")
    return redirect(url_for(".mine"))
