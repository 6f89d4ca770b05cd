"""The one page for finding listings: /search (words) and /listings/ (browsing) render the same page,
with the same facets, cards and tags; companies too for logged-in users."""

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from ..limits import limited
from ..models import Direction, ListingType
from ..models.company import COUNTRIES
from ..taxonomy import vocabulary
from .forms import SearchForm
from .query import FACETS, SORTS
from .query import search as run_search

bp = Blueprint("search", __name__)


def hs_table():
    """The HS headings' table; it lives with the listings, which import this package, so it is read late."""
    from ..listings import hs

    return hs


def hs_label(value: str) -> str:
    return f"{value} · {hs_table().label(value)}"


def known_values(name: str, value: str) -> bool:
    """Whether a facet value from the URL names something real; others are ignored, not matched."""
    if name == "type":
        return value in ListingType.__members__
    if name == "direction":
        return value in Direction.__members__
    if name == "country":
        return value in COUNTRIES
    if name == "hs":
        return value in hs_table().headings()
    if name in ("capability", "certification"):
        term = vocabulary().terms.get(value)
        return term is not None and (name == "capability") != (term.facet == "cert")
    return bool(value) and len(value) <= 40


def facet_url(name: str, value: str, selected: bool) -> str:
    """This search with one facet value added or removed (back to page 1)."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    values = [v for v in args.get(name, []) if v != value]
    if not selected:
        values.append(value)
    args[name] = values
    return url_for(request.endpoint, **{k: v for k, v in args.items() if v})


def expand_url(expand: bool) -> str:
    """This search with results from other words and languages included (the default) or left out."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "expand")}
    if not expand:
        args["expand"] = ["0"]
    return url_for(request.endpoint, **args)


def sort_url(sort: str) -> str:
    """This search in another order (back to page 1)."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "sort")}
    return url_for(request.endpoint, **args, **({"sort": sort} if sort != "relevance" else {}))


def kind_url(kind: str) -> str:
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in FACETS and k not in ("page", "kind")}
    return url_for(request.endpoint, kind=kind, **args)


@bp.route("/search")
@limited("search", methods=None)
def search():
    return results_page()


def results_page():
    """The page for the current request's endpoint (search.search or listings.index): links stay on it."""
    form = SearchForm(formdata=request.args, meta={"csrf": False})
    form.validate()
    sort = form.sort.data if form.sort.data in SORTS else "relevance"
    if not (form.q.data or "").strip() and sort == "relevance":
        sort = "newest"  # browsing: nothing to be relevant to
    filters = {name: [v for v in request.args.getlist(name) if known_values(name, v)] for name in FACETS}
    filters = {name: values for name, values in filters.items() if values}
    page = request.args.get("page", 1, type=int) or 1
    result = run_search(
        form.q.data or "",
        user=current_user,
        kind=request.args.get("kind", "listing"),
        filters=filters,
        verified_only=form.verified.data,
        sort=sort,
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        expand=request.args.get("expand") != "0",
    )
    return render_template(
        "search/search.html",
        form=form,
        result=result,
        filters=filters,
        facet_url=facet_url,
        hs_label=hs_label,
        kind_url=kind_url,
        sort_url=sort_url,
        sort=sort,
        sorts=[(v, label) for v, label in form.sort.choices if not (v == "relevance" and not form.q.data)],
        expand_url=expand_url,
        examples=EXAMPLES,
    )


EXAMPLES = ("wet blue", "очистные сооружения", "training chrome tanning", "سیڈلری", "қой терісі")
