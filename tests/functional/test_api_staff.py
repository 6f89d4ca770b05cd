"""GET /api/v1/staff/statistics: the dashboard's figures, for staff only their own association's, for admins
any association's or the whole portal's, matching the rows made here; members and visitors refused."""

from portal.extensions import db
from portal.models import Outcome, OutcomeKind, OutcomeStatus
from portal.models.base import utcnow

from .. import factories

URL = "/api/v1/staff/statistics"


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def world():
    """Two PTA listings and one KLA listing created now; one confirmed PTA-KLA trade contract of $50,000."""
    pta = factories.make_company(association="PTA", verified=True)
    kla = factories.make_company(association="KLA", country="KZ", verified=True)
    offer = factories.make_live_listing(pta, title="Wet blue cattle hides for sale")
    factories.make_listing(pta, status="draft")
    factories.make_live_listing(kla, title="Raw sheep skins, salted")
    interest = factories.make_interest(offer, kla, status="accepted")
    db.session.add(
        Outcome(
            conversation_id=interest.conversation.id,
            kind=OutcomeKind.trade_contract,
            value_usd=50_000,
            status=OutcomeStatus.confirmed,
            recorded_by_company_id=kla.id,
            confirmed_by_company_id=pta.id,
            decided_at=utcnow(),
        )
    )
    db.session.commit()
    return pta, kla


def counted(body) -> int:
    return sum(row["count"] for row in body["listings"])


def trade_value(body) -> int:
    return next(row["value_usd"] for row in body["outcomes"] if row["kind"] == "trade_contract")


def test_staff_get_their_own_association_s_figures(client, pta_staff, kla_staff):
    world()
    pta = client.get(URL, headers=bearer(factories.make_api_token(pta_staff))).get_json()
    assert pta["association"] == "PTA" and pta["period"]["key"] == "quarter"
    assert counted(pta) == 2 and trade_value(pta) == 50_000
    assert {s["key"]: s["count"] for s in pta["funnel"]}["confirmed"] == 1
    kla = client.get(URL, headers=bearer(factories.make_api_token(kla_staff))).get_json()
    assert kla["association"] == "KLA" and counted(kla) == 1
    assert trade_value(kla) == 50_000  # an outcome between a PTA and a KLA member counts for both


def test_pta_staff_cannot_get_kla_figures(client, pta_staff):
    secret = factories.make_api_token(pta_staff)
    response = client.get(URL + "?association=KLA", headers=bearer(secret))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert client.get(URL + "?association=PTA", headers=bearer(secret)).status_code == 200


def test_admins_choose_an_association_or_see_the_whole_portal(client, admin):
    world()
    secret = factories.make_api_token(admin)
    kla = client.get(URL + "?association=KLA", headers=bearer(secret)).get_json()
    assert kla["association"] == "KLA" and counted(kla) == 1
    everyone = client.get(URL, headers=bearer(secret)).get_json()
    assert everyone["association"] is None and counted(everyone) == 3
    missing = client.get(URL + "?association=XYZ", headers=bearer(secret))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_members_and_visitors_are_refused(client, member):
    response = client.get(URL, headers=bearer(factories.make_api_token(member)))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert client.get(URL).status_code == 401


def test_the_period_is_read_as_on_the_dashboard(client, pta_staff):
    world()
    secret = factories.make_api_token(pta_staff)
    today = utcnow().date()
    body = client.get(URL + f"?period=custom&from={today.isoformat()}&to={today.isoformat()}", headers=bearer(secret))
    assert body.status_code == 200 and counted(body.get_json()) == 2
    backwards = client.get(URL + "?period=custom&from=2026-03-01&to=2026-02-01", headers=bearer(secret))
    assert backwards.status_code == 422 and backwards.get_json()["error"]["code"] == "validation_failed"
    unknown = client.get(URL + "?period=decade", headers=bearer(secret))
    assert unknown.status_code == 422
