"""Fixtures shared by the matching and search tests of issue 11."""

import pytest

from .. import factories


@pytest.fixture
def pk_company(app):
    """A verified PTA member whose name holds no trade word (company names are searchable text).

    Modules that need another company (capabilities, a name to search for) define their own fixture
    of the same name, which takes precedence."""
    return factories.make_company(name="Kasur Works", country="PK", association="PTA", verified=True)


@pytest.fixture
def kz_company(app):
    """A verified KLA member, named like pk_company."""
    return factories.make_company(name="Qostanai Trading", country="KZ", association="KLA", verified=True)
