from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deconfliction.models import Operation, OperationConflict
from deconfliction.services import distance_m, operation_cancel, operation_plan
from tests.cases.conftest import client_for
from tests.conftest import membership_of
from tests.deconfliction.conftest import AMSTERDAM
from tests.deconfliction.conftest import plan_operation as plan

pytestmark = pytest.mark.django_db
UTRECHT = (52.0907, 5.1214)  # about 35 km from Amsterdam


def test_distance_is_haversine():
    a = Operation(latitude=AMSTERDAM[0], longitude=AMSTERDAM[1])
    b = Operation(latitude=UTRECHT[0], longitude=UTRECHT[1])
    assert 34_000 < distance_m(a, b) < 36_000


def test_overlap_in_time_and_place_raises_a_conflict_for_both(desks):
    plan(desks["user_nl"], title="Dutch search")
    _op, conflicts = plan(desks["user_be"], hours=(28, 40), point=(52.3700, 4.9000), radius=300, title="Belgian op")
    assert len(conflicts) == 1
    for user, other in ((desks["user_nl"], "Belgian police"), (desks["user_be"], "Dutch police")):
        page = client_for(user).get("/deconfliction/").content.decode()
        assert other in page and "Open operation conflicts" in page
    nl_page = client_for(desks["user_nl"]).get("/deconfliction/operations/").content.decode()
    assert "Belgian op" not in nl_page and "52.37" not in nl_page.split("Our upcoming")[0]  # blind to their details


@pytest.mark.parametrize(
    ("hours", "point", "radius", "country"),
    [
        ((31, 40), AMSTERDAM, 500, "NL"),  # later the same day: no overlap in time
        ((24, 30), UTRECHT, 10_000, "NL"),  # 35 km away, radii 500 m + 10 km
        ((24, 30), None, None, "BE"),  # other country only
    ],
)
def test_no_conflict_when_apart(desks, hours, point, radius, country):
    plan(desks["user_nl"])
    _op, conflicts = plan(desks["user_be"], hours=hours, point=point, radius=radius, country=country)
    assert conflicts == []


def test_country_only_operation_conflicts_within_that_country(desks):
    plan(desks["user_nl"])
    _op, conflicts = plan(desks["user_be"], point=None, country="NLD")
    assert len(conflicts) == 1 and conflicts[0].distance_m is None


def test_same_organisation_does_not_conflict_with_itself(desks):
    plan(desks["user_nl"])
    assert plan(desks["user_nl2"])[1] == []


def test_cancelling_closes_its_conflicts(desks):
    ours, _ = plan(desks["user_nl"])
    plan(desks["user_be"])
    operation_cancel(membership=membership_of(desks["user_nl"]), operation=ours)
    assert OperationConflict.objects.get().status == "resolved"
    assert plan(desks["user_be"], title="again")[1] == []


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"starts_in": 2, "ends_in": 1}, id="ends-before-start"),
        pytest.param({"country": "XX"}, id="unknown-country"),
        pytest.param({"latitude": 52.0}, id="latitude-without-longitude"),
    ],
)
def test_bad_input_changes_nothing(desks, bad):
    now = timezone.now()
    fields = {"country": "NL", "starts_in": 1, "ends_in": 2, **bad}
    with pytest.raises(ValidationError):
        operation_plan(
            membership=membership_of(desks["user_nl"]),
            kind="search",
            title="x",
            starts_at=now + timedelta(hours=fields.pop("starts_in")),
            ends_at=now + timedelta(hours=fields.pop("ends_in")),
            **fields,
        )
    assert not Operation.objects.exists()


def test_outsider_cannot_resolve_a_conflict(desks):
    plan(desks["user_nl"])
    conflict = plan(desks["user_be"])[1][0]
    response = client_for(desks["user_outsider"]).post(
        f"/deconfliction/conflicts/{conflict.uuid}/resolve/", {"note": "x"}
    )
    assert response.status_code == 404
    conflict.refresh_from_db()
    assert conflict.status == "open"
    ok = client_for(desks["user_be"]).post(
        f"/deconfliction/conflicts/{conflict.uuid}/resolve/", {"note": "NL goes first, BE waits a day"}
    )
    assert ok.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == "resolved"


def test_plan_page(desks):
    client = client_for(desks["user_nl"])
    now = timezone.localtime() + timedelta(days=1)
    response = client.post(
        "/deconfliction/operations/",
        {
            "title": "Search Damrak",
            "kind": "search",
            "country": "NL",
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "latitude": "52.3765",
            "longitude": "4.8983",
            "radius_m": "200",
        },
    )
    assert response.status_code == 302
    assert "Search Damrak" in client.get("/deconfliction/operations/").content.decode()
