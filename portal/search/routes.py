"""The /search page: listings for everyone, companies too for logged-in users, with facets."""

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..limits import limited
from .forms import SearchForm
from .query import FACETS, SORTS
from .query import search as run_search

bp = Blueprint("search", __name__)

PER_PAGE = 10


def facet_url(name: str, value: str, selected: bool) -> str:
    """This search with one facet value added or removed (back to page 1)."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    values = [v for v in args.get(name, []) if v != value]
    if not selected:
        values.append(value)
    args[name] = values
    return url_for("search.search", **{k: v for k, v in args.items() if v})


def expand_url(expand: bool) -> str:
    """This search with results from other words and languages included (the default) or left out."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "expand")}
    if not expand:
        args["expand"] = ["0"]
    return url_for("search.search", **args)


def kind_url(kind: str) -> str:
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in FACETS and k not in ("page", "kind")}
    return url_for("search.search", kind=kind, **args)


@bp.route("/search")
@limited("search", methods=None)
def search():
    form = SearchForm(formdata=request.args, meta={"csrf": False})
    form.validate()
    sort = form.sort.data if form.sort.data in SORTS else "relevance"
    filters = {name: request.args.getlist(name) for name in FACETS if request.args.getlist(name)}
    page = request.args.get("page", 1, type=int) or 1
    result = run_search(
        form.q.data or "",
        user=current_user,
        kind=request.args.get("kind", "listing"),
        filters=filters,
        verified_only=form.verified.data,
        sort=sort,
        page=page,
        per_page=PER_PAGE,
        expand=request.args.get("expand") != "0",
    )
    return render_template(
        "search/search.html",
        form=form,
        result=result,
        filters=filters,
        facet_url=facet_url,
        kind_url=kind_url,
        expand_url=expand_url,
        examples=EXAMPLES,
    )


EXAMPLES = ("wet blue", "очистные сооружения", "training chrome tanning", "سیڈلری", "қой терісі")
