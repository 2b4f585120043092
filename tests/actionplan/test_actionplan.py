import csv
import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from actionplan.models import ActionPlan, Indicator, IndicatorValue, Measure, Metric, ProgressUpdate
from actionplan.selectors import indicator_table, measures_overview
from actionplan.services import (
    indicator_value_set,
    indicators_refresh,
    previous_quarter,
    progress_review,
    progress_submit,
    updates_remind_late,
)
from actionplan.suppression import NATIONAL, TOTAL, Cell, suppress_grid
from cases.constants import TLP, CrimeType
from cases.models import Case
from cases.services import case_create
from partners.roles import Role
from tests.cases.conftest import client_for
from tests.conftest import membership_of
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_world(db, make_member):
    ministry = OrganisationFactory(name="Ministry", short_code="min", kind="ministry")
    police = OrganisationFactory(name="Police", short_code="pol", kind="police")
    ngo = OrganisationFactory(name="NGO", short_code="ngo", kind="ngo")
    people = {
        "monitor": make_member(ministry, role=Role.MINISTRY_MONITOR),
        "liaison": make_member(police, role=Role.LIAISON),
        "ngo": make_member(ngo, role=Role.NGO_CASEWORKER),
    }
    plan = ActionPlan.objects.create(
        title="Plan", period_start=date(2024, 1, 1), period_end=date(2027, 12, 31), owner_organisation=ministry
    )
    measure = Measure.objects.create(
        plan=plan,
        code="M1",
        title="Capacity",
        owner_organisation=police,
        start=date(2024, 1, 1),
        deadline=date(2027, 12, 31),
    )
    return {"plan": plan, "measure": measure, "ministry": ministry, "police": police, "ngo": ngo, **people}


def _cases(user, n, **fields):
    membership = membership_of(user)
    made = [
        case_create(membership=membership, title=f"Op {i}", crime_type=CrimeType.GROOMING, tlp=TLP.GREEN)
        for i in range(n)
    ]
    Case.objects.filter(pk__in=[c.pk for c in made]).update(**fields)
    return made


# --- permissions per role --------------------------------------------------------------------------


def test_monitor_sees_the_dashboard_and_no_case(plan_world):
    case = _cases(plan_world["liaison"], 1)[0]
    monitor = client_for(plan_world["monitor"])
    assert monitor.get("/actionplan/").status_code == 200
    assert monitor.get(f"/cases/{case.uuid}/").status_code == 404
    assert case.reference not in monitor.get("/cases/").content.decode()
    assert "Cases" not in monitor.get("/").content.decode().split("</nav>")[0]


def test_owner_submits_ministry_reviews_others_read(plan_world):
    measure, year_quarter = plan_world["measure"], previous_quarter()
    url = f"/actionplan/measures/{measure.uuid}/"
    data = {
        "year": year_quarter[0],
        "quarter": year_quarter[1],
        "status": "at_risk",
        "percent_done": 35,
        "narrative": "Recruitment slower than planned.",
    }
    assert client_for(plan_world["ngo"]).post(url, data).status_code == 403
    assert client_for(plan_world["ngo"]).get(url).status_code == 200  # everyone else reads
    assert client_for(plan_world["liaison"]).post(url, data).status_code == 302
    update = ProgressUpdate.objects.get()
    with pytest.raises(PermissionDenied):
        progress_review(membership=membership_of(plan_world["liaison"]), update=update, accept=True)
    with pytest.raises(ValidationError):
        progress_review(membership=membership_of(plan_world["monitor"]), update=update, accept=False, comment="")
    progress_review(membership=membership_of(plan_world["monitor"]), update=update, accept=True)
    measure.refresh_from_db()
    assert (measure.status, measure.percent_done) == ("at_risk", 35)


def test_returned_update_can_be_submitted_again_and_future_quarters_are_refused(plan_world):
    member, measure = membership_of(plan_world["liaison"]), plan_world["measure"]
    year, quarter = previous_quarter()
    update = progress_submit(
        membership=member,
        measure=measure,
        year=year,
        quarter=quarter,
        status="on_track",
        percent_done=10,
        narrative="x",
    )
    progress_review(
        membership=membership_of(plan_world["monitor"]), update=update, accept=False, comment="numbers please"
    )
    again = progress_submit(
        membership=member,
        measure=measure,
        year=year,
        quarter=quarter,
        status="on_track",
        percent_done=12,
        narrative="12 of 100 posts filled",
    )
    assert again.pk == update.pk and again.review == "submitted"
    with pytest.raises(ValidationError):
        progress_submit(
            membership=member,
            measure=measure,
            year=year + 1,
            quarter=quarter,
            status="on_track",
            percent_done=1,
            narrative="x",
        )


def test_roles_without_the_plan_get_404(plan_world, make_member):
    admin = make_member(plan_world["police"], role=Role.ORG_ADMIN)
    assert client_for(admin).get("/actionplan/").status_code == 200
    investigator = make_member(OrganisationFactory(kind="police"), role=Role.INVESTIGATOR)
    assert client_for(investigator).get("/actionplan/").status_code == 200
    from tests.factories import UserFactory

    operator = UserFactory(is_platform_operator=True)
    from django.test import Client

    from tests.conftest import login_verified

    assert login_verified(Client(), operator).get("/actionplan/").status_code == 404


# --- suppression ----------------------------------------------------------------------------------


def test_suppression_is_by_cases_not_by_value(plan_world):
    indicator = Indicator.objects.create(
        plan=plan_world["plan"],
        code="V",
        name="Victims",
        unit="victims",
        source="computed",
        metric=Metric.VICTIMS_IDENTIFIED,
    )
    _cases(plan_world["liaison"], 1, victims_identified=37, opened_at=timezone.now())
    indicators_refresh(plan=plan_world["plan"])
    table = indicator_table(indicator=indicator)
    assert [c.display for c in table.national] == ["<5"]
    page = client_for(plan_world["monitor"]).get(f"/actionplan/indicators/{indicator.uuid}/").content.decode()
    table_html = page.split("<tbody>")[1].split("</tbody>")[0]
    assert ">37<" not in table_html and "&lt;5" in table_html


def test_a_suppressed_cell_cannot_be_recovered_by_subtraction():
    grid = {
        ("Q1", "A"): Cell(30, 30),
        ("Q1", "B"): Cell(2, 2),
        ("Q1", "C"): Cell(12, 12),
        ("Q1", NATIONAL): Cell(44, 44),
        ("Q2", "A"): Cell(20, 20),
        ("Q2", NATIONAL): Cell(20, 20),
        ("Q3", NATIONAL): Cell(9, 9),
        ("Q4", NATIONAL): Cell(3, 3),
        (TOTAL, NATIONAL): Cell(76, 76),
    }
    suppress_grid(grid, additive=True)
    shown = {k: c.display for k, c in grid.items()}
    # Q1: B is small; total minus A minus C would give it, so C (the next smallest) is hidden too.
    assert shown[("Q1", "B")] == shown[("Q1", "C")] == "<5"
    # The series: Q4 is small; the grand total minus Q1..Q3 would give it, so Q3 is hidden too.
    assert shown[("Q4", NATIONAL)] == shown[("Q3", NATIONAL)] == "<5"
    # Every additive group now has zero or at least two hidden cells.
    for period in ("Q1", "Q2"):  # the periods with a breakdown by organisation
        row = [c for (p, o), c in grid.items() if p == period]
        assert sum(c.suppressed for c in row) != 1
    assert (
        sum(grid[(p, NATIONAL)].suppressed for p in ("Q1", "Q2", "Q3", "Q4")) + grid[(TOTAL, NATIONAL)].suppressed != 1
    )


def test_zero_is_shown_and_medians_are_only_primary():
    grid = {("Q1", NATIONAL): Cell(0, 0), ("Q2", NATIONAL): Cell(12.5, 3), ("Q3", NATIONAL): Cell(20, 8)}
    suppress_grid(grid, additive=False)
    assert [grid[(p, NATIONAL)].display for p in ("Q1", "Q2", "Q3")] == ["0", "<5", "20"]


# --- computed values ------------------------------------------------------------------------------


def test_computed_values_against_seeded_cases(plan_world, make_member):
    other_police = OrganisationFactory(name="Regional", short_code="reg", kind="police")
    regional = make_member(other_police, role=Role.LIAISON)
    indicator = Indicator.objects.create(
        plan=plan_world["plan"], code="C", name="Cases", unit="cases", source="computed", metric=Metric.CASES_OPENED
    )
    arrested = Indicator.objects.create(
        plan=plan_world["plan"],
        code="A",
        name="Arrests",
        unit="suspects",
        source="computed",
        metric=Metric.SUSPECTS_ARRESTED,
    )
    q1 = timezone.make_aware(timezone.datetime(2026, 2, 10, 12))
    q2 = timezone.make_aware(timezone.datetime(2026, 5, 10, 12))
    _cases(plan_world["liaison"], 6, opened_at=q1, suspects_arrested=2)
    _cases(regional, 7, opened_at=q1)
    _cases(plan_world["liaison"], 5, opened_at=q2, suspects_arrested=1)
    indicators_refresh(plan=plan_world["plan"])
    national = {
        (v.year, v.quarter): (v.value, v.case_count)
        for v in IndicatorValue.objects.filter(indicator=indicator, organisation=None)
    }
    assert national == {(2026, 1): (13, 13), (2026, 2): (5, 5)}
    per_org = {
        (v.quarter, v.organisation.short_code): v.value
        for v in IndicatorValue.objects.filter(indicator=indicator, organisation__isnull=False)
    }
    assert per_org == {(1, "pol"): 6, (1, "reg"): 7, (2, "pol"): 5}
    arrests = {
        (v.quarter): (v.value, v.case_count)
        for v in IndicatorValue.objects.filter(indicator=arrested, organisation=None)
    }
    assert arrests == {1: (12, 6), 2: (5, 5)}
    table = indicator_table(indicator=indicator)
    assert [c.display for c in table.national] == ["13", "5"] and table.total.display == "18"


# --- reminders and exports ------------------------------------------------------------------------


def test_reminder_task_tells_owners_once_and_the_ministry_sees_who_is_late(
    plan_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert updates_remind_late() == 1
    assert [m.to for m in mail.outbox] == [[plan_world["liaison"].email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert updates_remind_late() == 0
    year, quarter = previous_quarter()
    quarter_end = date(year, 3 * quarter, 28)
    rows = measures_overview(plan=plan_world["plan"], today=quarter_end + timedelta(days=30))
    assert rows[0].late is True
    assert "update late" in client_for(plan_world["monitor"]).get("/actionplan/").content.decode()


def test_csv_exports_suppress_and_are_audited(plan_world):
    from audit.models import AuditEvent

    indicator = Indicator.objects.create(
        plan=plan_world["plan"], code="C", name="Cases", unit="cases", source="computed", metric=Metric.CASES_OPENED
    )
    _cases(plan_world["liaison"], 2, opened_at=timezone.now())
    indicators_refresh(plan=plan_world["plan"])
    client = client_for(plan_world["monitor"])
    rows = list(csv.reader(io.StringIO(client.get("/actionplan/indicators.csv").content.decode())))
    assert rows[0] == ["indicator", "name", "unit", "period", "organisation", "value"]
    values = [r[5] for r in rows[1:] if r[0] == indicator.code]
    assert values and set(values) == {"<5"}
    measures = list(csv.reader(io.StringIO(client.get("/actionplan/measures.csv").content.decode())))
    assert measures[1][:3] == ["M1", "Capacity", "pol"]
    assert AuditEvent.objects.filter(action="actionplan.export").count() == 2
    assert client.get("/actionplan/report/").status_code == 200


def test_manual_values_only_by_the_ministry(plan_world):
    indicator = Indicator.objects.create(
        plan=plan_world["plan"], code="R", name="Reports", unit="reports", source="manual", yearly=True
    )
    with pytest.raises(PermissionDenied):
        indicator_value_set(
            membership=membership_of(plan_world["liaison"]), indicator=indicator, year=2017, quarter=None, value=20000
        )
    indicator_value_set(
        membership=membership_of(plan_world["monitor"]), indicator=indicator, year=2017, quarter=None, value=20000
    )
    indicator_value_set(
        membership=membership_of(plan_world["monitor"]), indicator=indicator, year=2017, quarter=None, value=20100
    )
    assert list(IndicatorValue.objects.values_list("value", flat=True)) == [20100]
    assert indicator_table(indicator=indicator).national[0].display == "20,100"
