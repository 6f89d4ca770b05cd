"""What other blueprints' pages show of partnerships: the listing page's interest box and the member
dashboard's figures. Their routes call these and pass the result, so no template starts a query."""

from flask_login import current_user

from .forms import ActionForm, InterestForm
from .services import dashboard, interests
from .services.common import is_listing_owner


def interest_box(listing) -> dict:
    """What the listing page shows about interest: the owner's counts, or the viewer's state and form."""
    user = current_user
    box = {
        "owner": is_listing_owner(user, listing),
        "closed": interests.closed_to_interest(listing),
        "deadline_passed": interests.deadline_passed(listing),
        "action_form": ActionForm(),
    }
    if box["owner"]:
        box["counts"] = interests.interest_counts(listing.id)
        return box
    box["mine"] = None
    if user.is_authenticated and user.company_id:
        box["mine"] = interests.current_interest(user.company_id, listing.id)
    box["refusal"] = interests.interest_refusal(user, listing)
    box["form"] = None if box["refusal"] else InterestForm()
    return box


def dashboard_summary() -> dict:
    """The member dashboard's figures (see services.dashboard.summary)."""
    return dashboard.summary(current_user)
