"""Moderation pages: the association's queue, one listing's review, bulk decisions, reports, tags and HS
headings, import."""

import io

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..audit_sentences import describe, field_label
from ..extensions import db
from ..listings import corrections, hs, services
from ..listings.details import display
from ..listings.forms import tag_choices
from ..listings.importer import import_csv, import_jsonl
from ..listings.services import ListingError, NotAllowed, StaleVersion, approval_refusal
from ..models import Association, AuditLog, Company, Listing, ListingFlag, ListingStatus, Role
from ..permissions import can_moderate, roles_required, staff_required
from ..utils import is_safe_next, paginate
from . import bp
from .clauses import queue_clause
from .forms import (
    BulkDecisionForm,
    DecisionForm,
    FlagResolutionForm,
    HsHeadingsForm,
    ImportForm,
    QueueFilterForm,
    TagsForm,
)

S = ListingStatus
staff_or_admin = roles_required(Role.staff, Role.admin)
SHOWN_PROBLEMS = 200  # an import page lists the first problems and counts the rest


def moderated_listing(listing_id) -> Listing:
    """Staff see their own association's listings only (404 for others, whatever the URL); admins see all."""
    listing = db.get_or_404(Listing, listing_id)
    if not (current_user.is_admin or can_moderate(current_user, listing)):
        abort(404)
    return listing


@bp.route("/listings/")
@staff_or_admin
def queue():
    form = QueueFilterForm(formdata=request.args, meta={"csrf": False})
    associations = db.session.scalars(sa.select(Association).order_by(Association.code)).all()
    form.association.choices = [("", _("All associations")), *((a.code, a.code) for a in associations)]
    form.validate()
    status = form.status.data if form.status.data and not form.status.errors else "submitted"
    scope = sa.select(Listing).join(Company, Listing.company_id == Company.id)
    if current_user.role is Role.staff:
        scope = scope.where(Company.association_id == current_user.association_id)
    elif form.association.data and not form.association.errors:
        scope = scope.join(Association, Company.association_id == Association.id).where(
            Association.code == form.association.data
        )
    if form.type.data and not form.type.errors:
        scope = scope.where(Listing.type == form.type.data)
    counts = {
        value: db.session.scalar(sa.select(sa.func.count()).select_from(scope.where(queue_clause(value)).subquery()))
        for value, _label in form.status.choices
    }
    oldest_first = status in ("submitted", "flagged")
    moment = sa.func.coalesce(Listing.submitted_at, Listing.updated_at)
    query = (
        scope.where(queue_clause(status))
        .options(selectinload(Listing.company).selectinload(Company.association), selectinload(Listing.revisions))
        .order_by(moment.asc() if oldest_first else moment.desc(), Listing.id)
    )
    page = paginate(query)
    flags = {}
    if page.items:
        flags = dict(
            db.session.execute(
                sa.select(ListingFlag.listing_id, sa.func.count())
                .where(ListingFlag.listing_id.in_([x.id for x in page.items]), ListingFlag.resolved_at.is_(None))
                .group_by(ListingFlag.listing_id)
            ).all()
        )
    return render_template(
        "moderation/queue.html",
        form=form,
        page=page,
        status=status,
        counts=counts,
        flags=flags,
        bulk_form=BulkDecisionForm(formdata=None),
    )


@bp.route("/listings/bulk", methods=["POST"])
@staff_required
def bulk():
    form = BulkDecisionForm()
    back = request.form.get("back")
    back = back if is_safe_next(back) else url_for(".queue")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(back)
    seen = dict(form.ids.data)  # {listing id: the version the queue showed}
    ids = list(seen)
    listings = db.session.scalars(sa.select(Listing).where(Listing.id.in_(ids))).all()
    # Any listing outside the staff's association refuses the whole request, as a single one would.
    if len(listings) != len(ids) or not all(can_moderate(current_user, x) for x in listings):
        abort(404)
    done, skipped, changed, unverified = 0, [], [], []
    try:
        for listing in listings:
            if form.action.data == "approve" and approval_refusal(listing):  # the service refuses it too
                unverified.append(listing.title)
                continue
            try:
                services.decide(listing, form.action.data, current_user, form.comment.data, version=seen[listing.id])
                done += 1
            except NotAllowed:
                abort(404)
            except StaleVersion:
                changed.append(listing.title)
            except ListingError:
                skipped.append(listing.title)
        db.session.commit()
    except StaleDataError:  # an edit committed while we decided: decide nothing rather than unseen text
        db.session.rollback()
        flash(
            _("A ticked listing changed while your decision was saved; nothing was decided. Please try again."),
            "danger",
        )
        return redirect(back)
    if done:
        flash(_("Decision applied to %(n)s listing(s).", n=done), "success")
    if changed:
        flash(
            _(
                "Not decided because they changed since you opened the queue; review them again: %(titles)s",
                titles="; ".join(changed),
            ),
            "danger",
        )
    if skipped:
        flash(_("Skipped because their status does not allow it: %(titles)s", titles="; ".join(skipped)), "warning")
    if unverified:
        flash(
            _(
                "%(n)s listing(s) skipped because their company is not verified by its association; verify the "
                "company first: %(titles)s",
                n=len(unverified),
                titles="; ".join(unverified),
            ),
            "warning",
        )
    return redirect(back)


@bp.route("/listings/<int:listing_id>")
@staff_or_admin
def review(listing_id):
    listing = moderated_listing(listing_id)
    return render_review(listing)


def render_review(listing, decision_form=None, flag_form=None, tags_form=None, hs_form=None, status=200):
    revision = listing.pending_revision
    decision_form = decision_form or DecisionForm(formdata=None)
    if decision_form.version.data is None:  # this page shows the current text: decide on it
        decision_form.version.data = listing.version
    if tags_form is None:
        tags_form = TagsForm(formdata=None, data={"tags": listing.tag_ids})
        tags_form.tags.choices = tag_choices()
    if hs_form is None:
        hs_form = HsHeadingsForm(formdata=None, data={"hs_headings": [h.heading for h in listing.hs_headings]})
        hs_form.hs_headings.choices = hs.choices()
    history = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.object_type == "listing", AuditLog.object_id == listing.id)
        .options(selectinload(AuditLog.actor))
        .order_by(AuditLog.id.desc())
    ).all()
    return render_template(
        "moderation/review.html",
        listing=listing,
        revision=revision,
        changes=services.revision_changes(listing, revision) if revision else [],
        flags=services.open_flags(listing),
        history=describe(history),
        field_label=field_label,
        decision_form=decision_form,
        flag_form=flag_form or FlagResolutionForm(formdata=None),
        tags_form=tags_form,
        hs_form=hs_form,
        hs_rows=[(h.heading, hs.label(h.heading)) for h in listing.hs_headings],
        hs_inferred=any(h.inferred for h in listing.hs_headings),
        months_text=hs.months_text(hs.month_numbers(listing)),
        detail_rows=display(listing.type.value, listing.details),
        may_decide=can_moderate(current_user, listing),
    ), status


@bp.route("/listings/<int:listing_id>/decide", methods=["POST"])
@staff_required
def decide(listing_id):
    listing = moderated_listing(listing_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_review(listing, decision_form=form, status=400)
    try:
        services.decide(listing, form.action.data, current_user, form.comment.data, version=form.version.data)
        db.session.commit()
    except NotAllowed:
        abort(404)
    except StaleVersion as exc:
        return render_stale(listing, form, str(exc))
    except ListingError as exc:
        flash(str(exc), "warning")
        return redirect(url_for(".review", listing_id=listing.id))
    except StaleDataError:  # an edit committed between our read and our write
        db.session.rollback()
        return render_stale(moderated_listing(listing_id), form, str(StaleVersion()))
    flash(_("Decision saved; the company was notified."), "success")
    return redirect(url_for(".queue"))


def render_stale(listing, form, message):
    """The review page again with the current text and version; the comment typed is kept."""
    flash(message, "danger")
    fresh = DecisionForm(formdata=None, data={"comment": form.comment.data, "version": listing.version})
    return render_review(listing, decision_form=fresh, status=409)


@bp.route("/listings/<int:listing_id>/flags", methods=["POST"])
@staff_required
def resolve_flags(listing_id):
    listing = moderated_listing(listing_id)
    form = FlagResolutionForm()
    if not form.validate_on_submit():
        return render_review(listing, flag_form=form, status=400)
    try:
        services.resolve_flags(listing, current_user, form.action.data, form.comment.data)
    except NotAllowed:
        abort(404)
    except ListingError as exc:
        flash(str(exc), "warning")
        return redirect(url_for(".review", listing_id=listing.id))
    db.session.commit()
    flash(_("The reports are resolved."), "success")
    return redirect(url_for(".queue", status="flagged"))


@bp.route("/listings/<int:listing_id>/tags", methods=["POST"])
@staff_required
def tags(listing_id):
    listing = moderated_listing(listing_id)
    form = TagsForm()
    form.tags.choices = tag_choices()
    if not form.validate_on_submit():
        return render_review(listing, tags_form=form, status=400)
    corrections.set_tags_by_staff(listing, form.tags.data or [], current_user)
    db.session.commit()
    flash(_("Capabilities saved."), "success")
    return redirect(url_for(".review", listing_id=listing.id))


@bp.route("/listings/<int:listing_id>/hs", methods=["POST"])
@staff_required
def hs_headings(listing_id):
    listing = moderated_listing(listing_id)
    form = HsHeadingsForm()
    form.hs_headings.choices = hs.choices()
    if not form.validate_on_submit():
        return render_review(listing, hs_form=form, status=400)
    try:
        corrections.set_hs_by_staff(listing, form.hs_headings.data or [], current_user)
    except NotAllowed:
        abort(404)
    except ListingError as exc:
        flash(str(exc), "warning")
        return redirect(url_for(".review", listing_id=listing.id))
    db.session.commit()
    flash(_("HS headings saved."), "success")
    return redirect(url_for(".review", listing_id=listing.id))


@bp.route("/import", methods=["GET", "POST"])
@staff_or_admin
def import_data():
    """Upload a JSON Lines or CSV file; it is checked whole, and refused whole if any line is wrong."""
    form = ImportForm()
    if current_user.role is Role.staff:
        own = current_user.association
        form.association.choices = [(own.code, own.code)] if own else []
    else:
        codes = db.session.scalars(sa.select(Association.code).order_by(Association.code)).all()
        form.association.choices = [("", _("From the file's association column")), *((c, c) for c in codes)]
    errors, error_count, report = [], 0, None
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or ""
        fmt = form.format.data or ("csv" if name.lower().endswith(".csv") else "jsonl")
        try:
            # lines end at \n only (str.splitlines would also cut at U+2028 and friends inside a value)
            lines = list(io.StringIO(upload.read().decode("utf-8-sig")))
        except UnicodeDecodeError:
            errors, error_count = [_("line %(n)s: file: is not UTF-8 text", n=1)], 1
        else:
            if fmt == "csv":
                association = (
                    current_user.association.code if current_user.role is Role.staff else form.association.data or None
                )
                report = import_csv(lines, association=association, actor=current_user, max_errors=SHOWN_PROBLEMS)
            else:
                report = import_jsonl(lines, actor=current_user, max_errors=SHOWN_PROBLEMS)
            errors, error_count = report.errors, report.error_count
        if not errors:
            flash(_("Imported %(name)s: %(summary)s.", name=name, summary=report.summary()), "success")
            return redirect(url_for(".import_data"))
    return render_template("moderation/import.html", form=form, errors=errors, error_count=error_count), (
        400 if errors else 200
    )
