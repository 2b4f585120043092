from datetime import timedelta

import pytest
from django.utils import timezone

from cases.constants import TLP, CrimeType
from cases.services import case_create
from deconfliction.models import Operation
from deconfliction.services import operation_plan
from partners.models import Membership
from partners.roles import Role
from tests.cases.conftest import access_for, client_for  # noqa: F401 - shared helpers
from tests.conftest import membership_of
from tests.factories import OrganisationFactory

AMSTERDAM = (52.3676, 4.9041)


def plan_operation(user, *, hours=(24, 30), point=AMSTERDAM, radius=500, country="NL", title="Op"):
    """A search ``hours`` from now (start, end) by ``user``'s organisation, around ``point`` or,
    with point None, anywhere in ``country``. Returns (operation, conflicts)."""
    now = timezone.now()
    lat, lon = point if point else (None, None)
    return operation_plan(
        membership=membership_of(user),
        kind=Operation.Kind.SEARCH,
        title=title,
        country=country,
        starts_at=now + timedelta(hours=hours[0]),
        ends_at=now + timedelta(hours=hours[1]),
        latitude=lat,
        longitude=lon,
        radius_m=radius if point else None,
    )


@pytest.fixture
def desks(db, make_member):
    """Two police forces and their investigators, each with a case."""
    nl = OrganisationFactory(
        name="Dutch police",
        short_code="nl-pol",
        kind="police",
        country="NL",
        desk_name="NL desk",
        desk_phone="+31 88 000 1111",
        desk_email="desk@nl.example",
    )
    be = OrganisationFactory(
        name="Belgian police",
        short_code="be-pol",
        kind="police",
        country="BE",
        desk_name="BE desk",
        desk_phone="+32 2 000 2222",
        desk_email="desk@be.example",
    )
    ngo = OrganisationFactory(name="Hotline", short_code="hot", kind="ngo", country="NL")
    ministry = OrganisationFactory(name="Ministry", short_code="min", kind="ministry", country="NL")
    people = {
        "nl": make_member(nl, role=Role.INVESTIGATOR, email="inv@nl.example"),
        "nl2": make_member(nl, role=Role.INVESTIGATOR, email="inv2@nl.example"),
        "be": make_member(be, role=Role.LIAISON, email="liaison@be.example"),
        "ngo": make_member(ngo, role=Role.NGO_CASEWORKER, email="worker@hot.example"),
        "outsider": make_member(OrganisationFactory(name="Elsewhere", kind="police"), role=Role.LIAISON),
    }
    return {"nl": nl, "be": be, "ngo": ngo, "ministry": ministry, **{f"user_{k}": v for k, v in people.items()}}


@pytest.fixture
def case_of():
    def _case(user, title="Operation Test", tlp=TLP.AMBER):
        membership = Membership.objects.select_related("organisation").get(user=user, active=True)
        return case_create(membership=membership, title=title, crime_type=CrimeType.SEXTORTION, tlp=tlp)

    return _case
