"""How company profiles read in templates: labels in the reader's language, the logo's address.
Registered as template globals in portal/templating.py."""

from flask import url_for

from . import services
from .forms import CAPACITY_UNIT_LABELS, HS_LABELS, LWG_LEVEL_LABELS, SPOKEN_LANGUAGES


def company_capabilities(company):
    return services.capabilities_by_facet(company)


def company_logo_url(company):
    """Versioned by the file name, so a new logo is never hidden by a cached old one."""
    if not company.logo_filename:
        return None
    return url_for("companies.logo", company_id=company.id, v=company.logo_filename[:8])


def lwg_level_label(level):
    return str(LWG_LEVEL_LABELS.get(level, level))


def capacity_unit_label(unit):
    return str(CAPACITY_UNIT_LABELS.get(unit, unit or ""))


def hs_label(code):
    return str(HS_LABELS.get(code, code))


def spoken_language(code):
    return SPOKEN_LANGUAGES.get(code, code)
