"""List endpoints are filtered in the database in a bounded number of queries: the same bound
holds for a few rows and for many."""

from datetime import date, timedelta
from itertools import count

import pytest
from django.test import Client
from django.utils import timezone

from actionplan.models import ActionPlan, Indicator, IndicatorValue, Measure
from cases.constants import TLP
from cases.models import Milestone, MilestoneKind
from cases.services import task_create
from deconfliction.models import Operation
from deconfliction.services import selector_register
from tests.api.conftest import bearer
from tests.cases.conftest import access_for
from tests.deconfliction.conftest import plan_operation

pytestmark = pytest.mark.django_db

SIZES = (2, 9)
_numbers = count()


def _add_hits(world, new_case, n):
    ours = new_case(TLP.GREEN)
    theirs = new_case(TLP.GREEN, by=world.partner_liaison, title="partner case")
    for _ in range(n):
        value = f"held.{next(_numbers)}@example.org"
        selector_register(access=access_for(world.liaison, ours), kind="email", value=value, reason="x")
        selector_register(access=access_for(world.partner_liaison, theirs), kind="email", value=value, reason="x")


def _add_conflicts(world, new_case, n):
    if not Operation.objects.filter(organisation=world.lead).exists():
        plan_operation(world.liaison, hours=(1, 3), point=None)
    for _ in range(n):  # each partner operation meets the lead's one
        plan_operation(world.partner_liaison, hours=(1, 3), point=None)


def _add_operations(world, new_case, n):
    for i in range(n):
        plan_operation(world.liaison, hours=(24 * (i + 1), 24 * (i + 1) + 2), point=None)


def _add_tasks(world, new_case, n):
    case = new_case(TLP.GREEN)
    for i in range(n):
        task_create(access=access_for(world.liaison, case), title=f"t{i}", assigned_organisation=world.lead)


def _add_milestones(world, new_case, n):
    for _ in range(n):
        case = new_case(TLP.GREEN)
        Milestone.objects.create(
            case=case,
            kind=MilestoneKind.VERDICT,
            owner_organisation=world.lead,
            due_date=timezone.localdate() + timedelta(days=next(_numbers) % 300 + 1),
        )


def _add_plan_rows(world, new_case, n):
    plan = ActionPlan.objects.filter(title="Plan").first() or ActionPlan.objects.create(
        title="Plan", period_start=date(2024, 1, 1), period_end=date(2030, 12, 31), owner_organisation=world.lead
    )
    for _ in range(n):
        i = next(_numbers)
        Measure.objects.create(
            plan=plan,
            code=f"M{i}",
            title="m",
            owner_organisation=world.lead,
            start=plan.period_start,
            deadline=plan.period_end,
        )
        indicator = Indicator.objects.create(plan=plan, code=f"I{i}", name="i", unit="u", source="manual")
        for organisation in (None, world.lead, world.partner):
            IndicatorValue.objects.create(indicator=indicator, year=2025, organisation=organisation, value=7)


# (endpoint, how to add n rows to it, the bound). A bound is what the endpoint takes at the
# smaller size (the token check, the audit append and the page), so a query per row, seven more
# at the larger size, breaks it.
LISTS = [
    ("/api/v1/hits/", _add_hits, 7),
    ("/api/v1/conflicts/", _add_conflicts, 7),
    ("/api/v1/operations/", _add_operations, 7),
    ("/api/v1/tasks/", _add_tasks, 5),
    ("/api/v1/milestones/", _add_milestones, 5),
    ("/api/v1/actionplan/indicators/", _add_plan_rows, 5),
    ("/api/v1/actionplan/measures/", _add_plan_rows, 7),
]


@pytest.mark.parametrize(("url", "add_rows", "bound"), LISTS, ids=[row[0] for row in LISTS])
def test_list_endpoints_take_a_bounded_number_of_queries(
    world, new_case, token_for, django_assert_max_num_queries, url, add_rows, bound
):
    headers = bearer(token_for(world.liaison))
    Client().get("/api/v1/organisations/", **headers)  # the token's first use records last_used_at
    total = 0
    for size in SIZES:
        add_rows(world, new_case, size - total)
        total = size
        with django_assert_max_num_queries(bound):
            response = Client().get(f"{url}?page_size=100", **headers)
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
