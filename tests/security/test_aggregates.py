"""SECURITY.md line 18: ministry monitors see aggregates with small numbers suppressed."""

from datetime import date

import pytest
from django.utils import timezone

from actionplan.models import ActionPlan, Indicator, Metric
from actionplan.services import indicators_refresh
from cases.constants import TLP, CrimeType
from cases.models import Case
from cases.services import case_create
from partners.models import Membership
from partners.roles import Role
from tests.cases.conftest import client_for
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_sec_18_small_figures_are_suppressed_and_cannot_be_subtracted(make_member):
    ministry = OrganisationFactory(kind="ministry")
    big, small = OrganisationFactory(short_code="big"), OrganisationFactory(short_code="small")
    monitor = make_member(ministry, role=Role.MINISTRY_MONITOR)
    plan = ActionPlan.objects.create(
        title="Plan", period_start=date(2024, 1, 1), period_end=date(2027, 12, 31), owner_organisation=ministry
    )
    indicator = Indicator.objects.create(
        plan=plan, code="V", name="Victims", unit="victims", source="computed", metric=Metric.VICTIMS_IDENTIFIED
    )
    when = timezone.now()
    for org, n, victims in ((big, 9, 1), (small, 1, 37)):
        member = make_member(org, role=Role.LIAISON)
        membership = Membership.objects.select_related("organisation").get(user=member)
        for i in range(n):
            case = case_create(membership=membership, title=f"c{i}", crime_type=CrimeType.GROOMING, tlp=TLP.GREEN)
            Case.objects.filter(pk=case.pk).update(victims_identified=victims, opened_at=when)
    indicators_refresh(plan=plan)
    export = client_for(monitor).get("/actionplan/indicators.csv").content.decode()
    rows = {(r.split(",")[4], r.split(",")[3]): r.split(",")[5] for r in export.splitlines()[1:]}
    period = next(p for (o, p) in rows if o == "national" and p != "total")
    # One case's 37 victims is one case: suppressed. The national 46 (10 cases) is shown, so the
    # big organisation's 9 must be hidden too, or 46 - 9 would give the small one's 37. It is
    # marked "x", not "<5": it is not small, it is hidden to protect the small one.
    assert rows[("small", period)] == "<5"
    assert rows[("big", period)] == "x"
    assert rows[("national", period)] == "46"
    page = client_for(monitor).get(f"/actionplan/indicators/{indicator.uuid}/").content.decode()
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert ">37<" not in table and ">9<" not in table and table.count("&lt;5") == 1 and ">x</abbr>" in table
