"""Schemathesis against the API's own OpenAPI description: generated requests (valid and not) to every
operation, with a real write token of a member with a live listing; no answer may be a server error,
an undocumented status, or a body that breaks its documented schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .. import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def app_config(app_config):
    """Generated requests come fast: the search page's rate limit would answer most of them 429."""
    return {**app_config, "RATELIMIT_ENABLED": False}


@pytest.fixture
def api_world(app, member):
    factories.make_live_listing(member.company, title="Wet blue cattle hides for sale")
    factories.make_listing(member.company, status="draft")
    # identity: the WSGI transport does not decompress what Flask-Compress would send
    return {"Authorization": f"Bearer {factories.make_api_token(member, scope='write')}", "Accept-Encoding": "identity"}


def operations(app) -> list:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_api_keeps_to_its_spec(app, api_world):
    """Every operation in turn, inside one test: the app (its database, its token) is this test's.
    (schemathesis.pytest.from_fixture, one test per operation, fails under pytest 9: it sets a node
    attribute pytest no longer has.)"""
    ran = []
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case):
            case.call_and_validate(headers=api_world, checks=CHECKS)

        check()
        ran.append(f"{operation.method.upper()} {operation.path}")
    assert len(ran) == 12, ran
