"""Roles and the named predicates that decide who may see or change what (templating makes them Jinja globals)."""

from functools import wraps

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .extensions import db
from .models import Interest, InterestStatus, Role


def is_member_of(user, company) -> bool:
    """The user works for this company (owner or invited colleague)."""
    return bool(user.is_authenticated and user.role is Role.member and company and user.company_id == company.id)


def can_edit_company(user, company) -> bool:
    return is_member_of(user, company)


def can_manage_colleagues(user, company) -> bool:
    return is_member_of(user, company) and company.owner_id == user.id


def is_staff_of(user, association_id) -> bool:
    return bool(user.is_authenticated and user.role is Role.staff and user.association_id == association_id)


def can_verify(user, company) -> bool:
    """Only staff of the company's own association decide on its membership."""
    return company is not None and is_staff_of(user, company.association_id)


def can_moderate(user, obj) -> bool:
    """Staff moderate the things of their own association's members and no one else's."""
    company = getattr(obj, "company", obj)
    return company is not None and is_staff_of(user, company.association_id)


def can_see_company(user, company) -> bool:
    """Verified companies are public; others only to their people, their association's staff and admins."""
    if company.is_verified:
        return True
    if not user.is_authenticated:
        return False
    return user.is_admin or is_member_of(user, company) or can_verify(user, company)


def can_see_listing_company(user, listing) -> bool:
    """An anonymous listing names its company only to its people, its staff, admins and accepted partners."""
    if not listing.anonymous:
        return True
    if not user.is_authenticated:
        return False
    if user.is_admin or is_member_of(user, listing.company) or can_moderate(user, listing):
        return True
    if user.role is not Role.member or not user.company_id:
        return False
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Interest)
            .where(
                Interest.listing_id == listing.id,
                Interest.from_company_id == user.company_id,
                Interest.status == InterestStatus.accepted,
            )
        )
        > 0
    )


def can_see_contact_details(user, company, listing=None) -> bool:
    """A company's website and phone, as its profile says: shown to logged-in people (members, staff,
    admins), never to visitors; on an anonymous listing only to those who may know its company."""
    if not user.is_authenticated or company is None:
        return False
    return listing is None or can_see_listing_company(user, listing)


def get_or_404_for(model, object_id, allowed):
    """The object if `allowed(current_user, obj)`; otherwise 404, so others' objects seem not to exist."""
    obj = db.get_or_404(model, object_id)
    if not allowed(current_user, obj):
        abort(404)
    return obj


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def roles_required(*roles):
    """Anonymous users go to the login page (or get 401 JSON); the wrong role gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_confirmed(user) -> bool:
    """The account proved it reads its email: only then may it act towards others (mail, rows they see)."""
    return bool(user.is_authenticated and user.email_confirmed)


def confirmed_required(view):
    """Anonymous users go to the login page; an unconfirmed account may look around but not act:
    403 JSON for API clients, otherwise a flash and the dashboard, which offers to resend the link."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from .extensions import login_manager

            return login_manager.unauthorized()
        if not is_confirmed(current_user):
            message = _("Please confirm your email address first: open the link we sent you, or ask for a new one.")
            if wants_json():
                return jsonify(error=403, message=message), 403
            flash(message, "warning")
            return redirect(url_for("auth.unconfirmed"))
        return view(*args, **kwargs)

    return wrapped


member_required = roles_required(Role.member)
staff_required = roles_required(Role.staff)
admin_required = roles_required(Role.admin)
