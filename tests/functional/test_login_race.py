"""Two right passwords for one account from one address at once (a double-click on "Log in", two tabs):
the first to finish clears the pair's attempt rows, the other request's own new row included."""

import pytest
import sqlalchemy as sa

from portal.auth import services
from portal.extensions import db
from portal.models import LoginFailure

from .. import factories


@pytest.fixture
def race():
    state = parallel_login_clears_the_pair_after_the_next_commit()
    yield state
    sa.event.remove(sa.orm.Session, "before_flush", state["listeners"][0])
    sa.event.remove(sa.orm.Session, "after_commit", state["listeners"][1])


def parallel_login_clears_the_pair_after_the_next_commit():
    """What the other request does, at the worst moment: right after a session commits a new attempt row."""
    state = {"done": False}

    def note_attempt(session, _context, _instances):
        if any(isinstance(obj, LoginFailure) for obj in session.new):
            session.info["attempt_written"] = True

    def clear(session):
        if session.info.pop("attempt_written", False) and not state["done"]:
            state["done"] = True
            with db.engine.begin() as other_request:
                other_request.execute(sa.delete(LoginFailure))

    sa.event.listen(sa.orm.Session, "before_flush", note_attempt)
    sa.event.listen(sa.orm.Session, "after_commit", clear)
    state["listeners"] = (note_attempt, clear)
    return state


def test_an_attempt_whose_row_a_parallel_login_deleted_is_still_counted_and_checked(app, member, race):
    attempt = services.begin_attempt(member.email, "198.51.100.7")  # used to raise ObjectDeletedError
    assert attempt is not None and race["done"]
    services.attempt_succeeded(attempt)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_the_login_form_logs_in_when_a_parallel_login_cleared_the_attempts(app, member, client, race):
    response = client.post("/auth/login", data={"email": member.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert race["done"]
