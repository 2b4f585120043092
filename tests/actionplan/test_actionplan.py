import csv
import io
import itertools
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from actionplan.models import (
    ActionPlan,
    Indicator,
    IndicatorValue,
    Measure,
    Metric,
    ProgressUpdate,
    UpdateReminder,
)
from actionplan.selectors import indicator_chart, indicator_table, measures_overview
from actionplan.services import (
    indicator_value_set,
    indicators_refresh,
    previous_quarter,
    progress_review,
    progress_submit,
)
from actionplan.suppression import NATIONAL, SUM, TOTAL, UNION, Cell, suppress_grid
from cases.constants import TLP, CrimeType
from cases.models import Case, Milestone, MilestoneKind
from cases.services import case_create
from partners.roles import Role
from portal.celery import app as celery_app
from tests.cases.conftest import client_for
from tests.conftest import membership_of
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _computed(plan, metric, *, code: str, name: str, unit: str) -> Indicator:
    """An indicator computed from case data."""
    return Indicator.objects.create(plan=plan, code=code, name=name, unit=unit, source="computed", metric=metric)


SECONDARY_TITLE = 'title="hidden so that a small figure cannot be worked out"'


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


@pytest.fixture
def clock(monkeypatch):
    """clock(day) pins "now" (and so today and the current quarter) to 09:00 on that day."""

    def pin(day: date) -> datetime:
        moment = timezone.make_aware(datetime.combine(day, time(9)))
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return pin


@pytest.fixture
def regional(plan_world, make_member):
    """A second police force with a member who opens cases."""
    return make_member(OrganisationFactory(name="Regional", short_code="reg", kind="police"), role=Role.LIAISON)


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


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
    indicator = _computed(plan_world["plan"], Metric.VICTIMS_IDENTIFIED, code="V", name="Victims", unit="victims")
    _cases(plan_world["liaison"], 1, victims_identified=37, opened_at=timezone.now())
    indicators_refresh(plan=plan_world["plan"])
    table = indicator_table(indicator=indicator)
    assert [c.display for c in table.national] == ["<5"]
    page = client_for(plan_world["monitor"]).get(f"/actionplan/indicators/{indicator.uuid}/").content.decode()
    table_html = page.split("<tbody>")[1].split("</tbody>")[0]
    assert ">37<" not in table_html and "&lt;5" in table_html


HIDDEN = {"<5", "x"}


def _rank(matrix: list[list[Fraction]]) -> int:
    rows, rank = [list(r) for r in matrix], 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i, row in enumerate(rows):
            if i != rank and row[col]:
                factor = row[col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(row, rows[rank], strict=True)]
        rank += 1
    return rank


def _assert_nothing_recoverable(published: dict[tuple, str]) -> None:
    """Check a published table as someone holding it would: every period row (its organisations
    and the national figure), every organisation column and the series with its grand total.

    ``published`` maps (period, organisation) to the text shown; organisation NATIONAL is the
    national figure, period TOTAL the grand total. No additive group may have exactly one hidden
    cell, and no hidden cell may follow from all the sums together (linear algebra: the cell is
    determined exactly when its unit vector lies in the span of the sums' rows)."""
    periods = sorted({p for p, _o in published if p != TOTAL})
    groups = []  # (parts, whole): the parts add up to the whole
    for period in periods:
        parts = [k for k in published if k[0] == period and k[1] is not NATIONAL]
        if parts and (period, NATIONAL) in published:
            groups.append((parts, (period, NATIONAL)))
    if (TOTAL, NATIONAL) in published:
        groups.append(([(p, NATIONAL) for p in periods if (p, NATIONAL) in published], (TOTAL, NATIONAL)))
    for parts, whole in groups:
        hidden = [k for k in (*parts, whole) if published[k] in HIDDEN]
        assert len(hidden) != 1, f"{hidden[0]} is the only hidden cell of the sum {whole}: the rest give it"
    unknowns = sorted((k for k, v in published.items() if v in HIDDEN), key=str)
    index = {k: i for i, k in enumerate(unknowns)}
    sums = []
    for parts, whole in groups:
        row = [Fraction(0)] * len(unknowns)
        for key, sign in [*((k, 1) for k in parts), (whole, -1)]:
            if key in index:
                row[index[key]] += sign
        sums.append(row)
    base = _rank(sums)
    columns = sorted({o for _p, o in published}, key=str)  # the national column and each organisation's
    for column in columns:
        for key in (k for k in unknowns if k[1] == column):
            unit = [Fraction(int(i == index[key])) for i in range(len(unknowns))]
            assert _rank([*sums, unit]) > base, f"{key} follows from the published sums"


def _published(grid: dict[tuple, Cell]) -> dict[tuple, str]:
    return {k: c.display for k, c in grid.items()}


def _reproduction_grid() -> dict[tuple, Cell]:
    """Cases opened: national Q2 was hidden by the series rule with both its organisations shown,
    so it was their sum (13), and the small Q3 followed as 56 - 40 - 13 = 3."""
    figures = {
        ("Q1", "A"): 20,
        ("Q1", "B"): 20,
        ("Q1", NATIONAL): 40,
        ("Q2", "A"): 6,
        ("Q2", "B"): 7,
        ("Q2", NATIONAL): 13,
        ("Q3", "A"): 3,
        ("Q3", NATIONAL): 3,
        (TOTAL, NATIONAL): 56,
    }
    return {k: Cell(v, v) for k, v in figures.items()}


class _TableText(HTMLParser):
    """The text of each cell of each row of an HTML table."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _published_page(page: str) -> dict[tuple, str]:
    """The indicator page's table as {(period, organisation code or NATIONAL): text}."""
    table = page[page.index('<table class="table compact">') :].split("</table>")[0]
    parser = _TableText()
    parser.feed(table)
    head, *rows = parser.rows
    columns = [NATIONAL, *head[2:]]
    published = {}
    for period, *cells in rows:
        for column, text in zip(columns, cells, strict=True):
            if text not in ("", "–"):
                published[(TOTAL if period == "Total" else period, column)] = text
    return published


def _published_csv(export: str, code: str) -> dict[tuple, str]:
    published = {}
    for row in list(csv.reader(io.StringIO(export)))[1:]:
        if row[0] == code:
            published[(row[3], NATIONAL if row[4] == "national" else row[4])] = row[5]
    return published


def test_a_suppressed_cell_cannot_be_recovered_by_subtraction(plan_world, regional):
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
    suppress_grid(grid, relation=SUM)
    shown = _published(grid)
    _assert_nothing_recoverable(shown)
    # Q1: B is small; total minus A minus C would give it, so C (the next smallest) is hidden too.
    assert (shown[("Q1", "B")], shown[("Q1", "C")]) == ("<5", "x")
    # The series: Q4 is small; the grand total minus Q1..Q3 would give it, so Q3 is hidden too.
    assert (shown[("Q4", NATIONAL)], shown[("Q3", NATIONAL)]) == ("<5", "x")

    # The hole the audit found: a national figure hidden by the series rule, all its
    # organisations shown. It has to take an organisation with it.
    grid = _reproduction_grid()
    suppress_grid(grid, relation=SUM, primary_max=4)
    shown = _published(grid)
    _assert_nothing_recoverable(shown)
    assert shown[("Q2", NATIONAL)] == "x" and "x" in (shown[("Q2", "A")], shown[("Q2", "B")])
    assert (shown[("Q3", NATIONAL)], shown[("Q3", "A")], shown[(TOTAL, NATIONAL)]) == ("<5", "<5", "56")

    # The same figures from cases, read back as the ministry reads them: the CSV and the page.
    indicator = _computed(plan_world["plan"], Metric.CASES_OPENED, code="C", name="Cases", unit="cases")
    for member, day, n in (
        (plan_world["liaison"], date(2025, 2, 10), 20),
        (regional, date(2025, 2, 10), 20),
        (plan_world["liaison"], date(2025, 5, 10), 6),
        (regional, date(2025, 5, 10), 7),
        (plan_world["liaison"], date(2025, 8, 10), 3),
    ):
        _cases(member, n, opened_at=_at(day))
    indicators_refresh(plan=plan_world["plan"])
    monitor = client_for(plan_world["monitor"])
    from_csv = _published_csv(monitor.get("/actionplan/indicators.csv").content.decode(), "C")
    from_page = _published_page(monitor.get(f"/actionplan/indicators/{indicator.uuid}/").content.decode())
    _assert_nothing_recoverable(from_csv)
    _assert_nothing_recoverable(from_page)
    assert from_csv == from_page
    assert from_csv == {
        ("2025-Q1", NATIONAL): "40",
        ("2025-Q1", "pol"): "20",
        ("2025-Q1", "reg"): "20",
        ("2025-Q2", NATIONAL): "x",
        ("2025-Q2", "pol"): "x",
        ("2025-Q2", "reg"): "7",
        ("2025-Q3", NATIONAL): "<5",
        ("2025-Q3", "pol"): "<5",
        (TOTAL, NATIONAL): "56",
    }


def _feasible(published: dict[tuple, str], relation: str) -> dict[tuple, set[int]]:
    """Every value each hidden cell of one period can take, by brute force: "<5" is 1 to 4 cases,
    "x" 5 or more (and no more than the national figure, as nothing is negative)."""
    national = int(published[("Q1", NATIONAL)])
    hidden = [k for k, v in published.items() if v in HIDDEN]
    shown = sum(int(v) for k, v in published.items() if v not in HIDDEN and k[1] is not NATIONAL)
    ranges = [range(1, 5) if published[k] == "<5" else range(5, national + 1) for k in hidden]
    values = {k: set() for k in hidden}
    for guess in itertools.product(*ranges):
        parts = [*guess, *(int(v) for k, v in published.items() if v not in HIDDEN and k[1] is not NATIONAL)]
        # Distinct hits: each is between two organisations or within one, so it is counted once
        # or twice among them.
        fits = (
            sum(guess) + shown == national if relation == SUM else max(parts) <= national <= sum(parts) <= 2 * national
        )
        if fits:
            for key, value in zip(hidden, guess, strict=True):
                values[key].add(value)
    return values


@pytest.mark.parametrize(
    ("relation", "figures", "small"),
    [
        # "<5" and "x" beside a national 26: 26 - 20 = 6 can only be 1 + 5.
        (SUM, {"A": 1, "B": 5, "C": 20, NATIONAL: 26}, ["A"]),
        # Two "<5" that add up to 8 can only be 4 and 4 (this leaked with one mark as well).
        (SUM, {"A": 4, "B": 4, "C": 10, NATIONAL: 18}, ["A", "B"]),
        # Distinct hits: 11 hits, 7 of them A's, so C has at least 4, and "<5" says at most 4.
        (UNION, {"A": 7, "C": 4, NATIONAL: 11}, ["C"]),
        # A is in all 6 hits, B's 5 are all with A, so the sixth is A's with C: C is exactly 1.
        (UNION, {"A": 6, "B": 5, "C": 1, NATIONAL: 6}, ["C"]),
    ],
)
def test_the_marks_do_not_pin_a_small_cell_to_one_value(relation, figures, small):
    grid = {("Q1", org): Cell(v, v) for org, v in figures.items()}
    suppress_grid(grid, relation=relation, primary_max=4)
    shown = _published(grid)
    feasible = _feasible(shown, relation)
    for org in small:
        assert shown[("Q1", org)] == "<5"
        assert len(feasible[("Q1", org)]) > 1, f"{org} can only be {feasible[('Q1', org)]}: {shown}"
    assert shown[("Q1", NATIONAL)] == str(figures[NATIONAL])  # the national figure itself survives


def test_cells_hidden_to_protect_others_are_marked_x_everywhere(plan_world, regional):
    """A cell hidden only so a small one cannot be subtracted is not small: "<5" would be false."""
    indicator = _computed(plan_world["plan"], Metric.VICTIMS_IDENTIFIED, code="V", name="Victims", unit="victims")
    _computed(
        plan_world["plan"], Metric.CASES_OPENED, code="C", name="Cases", unit="cases"
    )  # a second series whose chart has only primary marks
    _cases(plan_world["liaison"], 2, opened_at=_at(date(2025, 2, 10)), victims_identified=1)
    _cases(regional, 9, opened_at=_at(date(2025, 2, 10)), victims_identified=1)
    _cases(regional, 8, opened_at=_at(date(2025, 5, 10)), victims_identified=2)
    indicators_refresh(plan=plan_world["plan"])
    table = indicator_table(indicator=indicator)
    # Q1: pol's 2 victims (2 cases) are small; reg's 9 would give them away from the national 11.
    # The series: Q1 and Q2 both shown, so the total stays as well.
    assert [(p, n.display, [c.display for c in row]) for p, n, row in table.rows] == [
        ("2025-Q1", "11", ["<5", "x"]),
        ("2025-Q2", "16", ["–", "16"]),
    ]
    assert table.row("2025-Q1")[1].value == 9  # the true value behind the "x" is not small
    monitor = client_for(plan_world["monitor"])
    page = monitor.get(f"/actionplan/indicators/{indicator.uuid}/").content.decode()
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert ">9<" not in body and body.count("&lt;5") == 1
    assert f'<abbr class="suppressed-secondary" {SECONDARY_TITLE}>x</abbr>' in body
    assert "Figures marked x are hidden so that a small figure cannot be worked out" in page
    rows = list(csv.reader(io.StringIO(monitor.get("/actionplan/indicators.csv").content.decode())))
    assert rows[0] == ["indicator", "name", "unit", "period", "organisation", "value", "note"]
    assert [
        "V",
        "Victims",
        "victims",
        "2025-Q1",
        "reg",
        "x",
        "hidden so that a small figure cannot be worked out",
    ] in rows
    assert ["V", "Victims", "victims", "2025-Q1", "pol", "<5", "fewer than 5 cases"] in rows
    assert ["V", "Victims", "victims", "2025-Q1", "national", "11", ""] in rows


def test_a_national_figure_hidden_to_protect_shows_x_in_the_chart_and_the_report(plan_world, regional):
    indicator = _computed(plan_world["plan"], Metric.CASES_OPENED, code="C", name="Cases", unit="cases")
    for member, day, n in (
        (plan_world["liaison"], date(2025, 2, 10), 20),
        (plan_world["liaison"], date(2025, 5, 10), 6),
        (regional, date(2025, 5, 10), 7),
        (plan_world["liaison"], date(2025, 8, 10), 3),
    ):
        _cases(member, n, opened_at=_at(day))
    indicators_refresh(plan=plan_world["plan"])
    table = indicator_table(indicator=indicator)
    assert [c.display for c in table.national] == ["20", "x", "<5"]
    chart = indicator_chart(table)
    assert [(p["display"], p["visible"]) for p in chart.points] == [("20", True), ("x", False), ("<5", False)]
    assert chart.has_secondary
    monitor = client_for(plan_world["monitor"])
    for url in ("/actionplan/", "/actionplan/report/", f"/actionplan/indicators/{indicator.uuid}/"):
        page = monitor.get(url).content.decode()
        svg = page.split("<svg")[1].split("</svg>")[0]
        assert "2025-Q2: x (hidden so that a small figure cannot be worked out)" in svg, url
        assert "2025-Q3: &lt;5</title>" in svg, url
        assert ">13<" not in svg and ">3<" not in svg, url
        assert "Figures marked x are hidden" in page, url
    report = monitor.get("/actionplan/report/").content.decode()
    assert f"{SECONDARY_TITLE}>x</abbr>" in report.split("report-indicator")[1]


def test_zero_is_shown_and_medians_are_only_primary():
    grid = {("Q1", NATIONAL): Cell(0, 0), ("Q2", NATIONAL): Cell(12.5, 3), ("Q3", NATIONAL): Cell(20, 8)}
    suppress_grid(grid, relation=None)
    assert [grid[(p, NATIONAL)].display for p in ("Q1", "Q2", "Q3")] == ["0", "<5", "20"]


# --- computed values ------------------------------------------------------------------------------


def test_computed_values_against_seeded_cases(plan_world, make_member):
    other_police = OrganisationFactory(name="Regional", short_code="reg", kind="police")
    regional = make_member(other_police, role=Role.LIAISON)
    indicator = _computed(plan_world["plan"], Metric.CASES_OPENED, code="C", name="Cases", unit="cases")
    arrested = _computed(plan_world["plan"], Metric.SUSPECTS_ARRESTED, code="A", name="Arrests", unit="suspects")
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


def _figures(indicator: Indicator) -> dict[tuple, tuple[float, int]]:
    """The stored figures as {(year, quarter, organisation code or "national"): (value, cases)}."""
    return {
        (v.year, v.quarter, v.organisation.short_code if v.organisation else "national"): (v.value, v.case_count)
        for v in IndicatorValue.objects.filter(indicator=indicator).select_related("organisation")
    }


def test_victims_safeguarded_against_seeded_cases(plan_world, regional):
    indicator = _computed(plan_world["plan"], Metric.VICTIMS_SAFEGUARDED, code="S", name="Safeguarded", unit="victims")
    q1, q2 = _at(date(2026, 2, 10)), _at(date(2026, 5, 10))
    for safeguarded in (2, 2, 2, 1, 0, 0):  # pol, Q1: 7 victims from 4 cases (two cases have none)
        _cases(plan_world["liaison"], 1, opened_at=q1, victims_safeguarded=safeguarded)
    _cases(regional, 7, opened_at=q1, victims_safeguarded=1)  # reg, Q1: 7 victims from 7 cases
    _cases(plan_world["liaison"], 5, opened_at=q2)  # pol, Q2: cases, nobody safeguarded yet
    indicators_refresh(plan=plan_world["plan"])
    assert _figures(indicator) == {
        (2026, 1, "pol"): (7, 4),
        (2026, 1, "reg"): (7, 7),
        (2026, 1, "national"): (14, 11),
        (2026, 2, "pol"): (0, 0),
        (2026, 2, "national"): (0, 0),
    }
    table = indicator_table(indicator=indicator)
    # pol's 7 victims come from 4 cases: "<5", whatever the 7; reg's 7 is hidden to protect it.
    assert [(n.display, [c.display for c in row]) for _p, n, row in table.rows] == [
        ("14", ["<5", "x"]),
        ("0", ["0", "–"]),
    ]
    assert table.total.display == "14"


def test_charges_filed_against_seeded_cases(plan_world, regional):
    indicator = _computed(plan_world["plan"], Metric.CHARGES_FILED, code="CF", name="Charges", unit="cases")
    pol = _cases(plan_world["liaison"], 5, opened_at=_at(date(2026, 1, 5)))
    reg = _cases(regional, 2, opened_at=_at(date(2026, 1, 5)))

    def milestone(case, kind, done):
        Milestone.objects.create(case=case, kind=kind, owner_organisation=case.lead_organisation, done_date=done)

    for case in pol[:3]:  # charges in Q2 for three of pol's cases
        milestone(case, MilestoneKind.CHARGES_FILED, date(2026, 4, 20))
    milestone(pol[3], MilestoneKind.CHARGES_FILED, None)  # planned, not filed: not counted
    milestone(pol[4], MilestoneKind.SEARCH_ARREST, date(2026, 4, 20))  # another milestone: not counted
    milestone(reg[0], MilestoneKind.CHARGES_FILED, date(2026, 9, 30))  # by the quarter filed, not opened
    indicators_refresh(plan=plan_world["plan"])
    assert _figures(indicator) == {
        (2026, 2, "pol"): (3, 3),
        (2026, 2, "national"): (3, 3),
        (2026, 3, "reg"): (1, 1),
        (2026, 3, "national"): (1, 1),
    }


def test_median_days_to_first_milestone_against_seeded_cases(plan_world, regional):
    indicator = _computed(
        plan_world["plan"], Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE, code="MD", name="Median days", unit="days"
    )
    opened = _at(date(2026, 2, 10))
    a, b, c = _cases(plan_world["liaison"], 3, opened_at=opened)
    d, e = _cases(regional, 2, opened_at=opened)

    def milestone(case, kind, done):
        Milestone.objects.create(case=case, kind=kind, owner_organisation=case.lead_organisation, done_date=done)

    milestone(a, MilestoneKind.REPORT_RECEIVED, date(2026, 2, 10))  # the report itself does not count
    milestone(a, MilestoneKind.INVESTIGATION_OPENED, date(2026, 2, 20))  # a: first after 10 days
    milestone(a, MilestoneKind.SEARCH_ARREST, date(2026, 3, 1))  # later: not the first
    milestone(b, MilestoneKind.SEARCH_ARREST, date(2026, 2, 14))  # b: 4 days
    milestone(c, MilestoneKind.CHARGES_FILED, date(2026, 4, 11))  # c: 60 days, done in Q2
    milestone(d, MilestoneKind.INVESTIGATION_OPENED, date(2026, 3, 12))  # d: 30 days
    Milestone.objects.create(  # e: nothing done yet
        case=e,
        kind=MilestoneKind.INVESTIGATION_OPENED,
        owner_organisation=e.lead_organisation,
        due_date=date(2026, 3, 1),
    )
    indicators_refresh(plan=plan_world["plan"])
    assert _figures(indicator) == {
        (2026, 1, "pol"): (7, 2),  # median of 10 and 4
        (2026, 1, "reg"): (30, 1),
        (2026, 1, "national"): (10, 3),  # median of 4, 10 and 30, computed anew: not from the medians
        (2026, 2, "pol"): (60, 1),
        (2026, 2, "national"): (60, 1),
    }
    table = indicator_table(indicator=indicator)
    assert table.total is None and {c.display for c in table.cells.values()} == {"<5"}  # medians: primary only


def _hit(org_a, org_b, *, n=1, status="new", deadline: datetime | None = None):
    from deconfliction.models import Hit

    first, second = sorted((org_a, org_b), key=lambda o: o.pk)
    for _i in range(n):
        Hit.objects.create(
            kind="email",
            digest=f"{Hit.objects.count():064d}",
            organisation_a=first,
            organisation_b=second,
            status=status,
            ack_deadline=deadline or timezone.now() - timedelta(days=1),
        )


def test_hits_past_deadline_count_each_hit_once_nationally(plan_world, regional, clock):
    from deconfliction.models import Hit

    clock(date(2026, 5, 20))
    indicator = _computed(plan_world["plan"], Metric.HITS_PAST_DEADLINE, code="H", name="Hits", unit="hits")
    pol, reg = plan_world["police"], regional.memberships.get().organisation
    ngo = OrganisationFactory(name="Hotline", short_code="hot", kind="ngo")
    _hit(pol, reg, n=6)  # 6 overdue between pol and reg: 6 for each, 6 nationally
    _hit(pol, pol)  # two cases of pol: 1 for pol
    _hit(reg, ngo, n=2)  # 2 for reg and for the NGO
    _hit(pol, reg, deadline=timezone.now() + timedelta(hours=2))  # not due yet
    _hit(pol, reg, status=Hit.Status.ACKNOWLEDGED)  # both sides acknowledged
    indicators_refresh(plan=plan_world["plan"])
    assert _figures(indicator) == {
        (2026, 2, "pol"): (7, 7),
        (2026, 2, "reg"): (8, 8),
        (2026, 2, "hot"): (2, 2),
        (2026, 2, "national"): (9, 9),  # distinct hits; the organisations' sum would be 17
    }
    table = indicator_table(indicator=indicator)
    # Distinct hits are no sum, so nothing is subtracted: only the hotline's 2 is hidden, and no
    # grand total adds up quarters of a count taken at a moment.
    assert [o.short_code for o in table.organisations] == ["hot", "pol", "reg"]
    assert [(n.display, [c.display for c in row]) for _p, n, row in table.rows] == [("9", ["<5", "7", "8"])]
    assert table.total is None


def test_hits_indicator_keeps_its_history(plan_world, regional, clock):
    """Hits past their deadline are counted as they stand; earlier quarters cannot be computed
    again, so a refresh replaces only the current quarter."""
    from deconfliction.models import Hit

    hits = _computed(plan_world["plan"], Metric.HITS_PAST_DEADLINE, code="H", name="Hits", unit="hits")
    cases = _computed(plan_world["plan"], Metric.CASES_OPENED, code="C", name="Cases", unit="cases")
    pol, reg = plan_world["police"], regional.memberships.get().organisation
    _cases(plan_world["liaison"], 6, opened_at=_at(date(2026, 2, 10)))
    clock(date(2026, 3, 20))
    _hit(pol, reg, n=6)
    indicators_refresh(plan=plan_world["plan"])
    clock(date(2026, 5, 20))
    Hit.objects.filter(pk__in=Hit.objects.values("pk")[:4]).update(status=Hit.Status.RESOLVED)
    indicators_refresh(plan=plan_world["plan"])
    _hit(pol, pol)
    indicators_refresh(plan=plan_world["plan"])  # the same quarter again: replaced, not added
    assert _figures(hits) == {
        (2026, 1, "pol"): (6, 6),
        (2026, 1, "reg"): (6, 6),
        (2026, 1, "national"): (6, 6),
        (2026, 2, "pol"): (3, 3),
        (2026, 2, "reg"): (2, 2),
        (2026, 2, "national"): (3, 3),
    }
    Hit.objects.update(status=Hit.Status.RESOLVED)
    indicators_refresh(plan=plan_world["plan"])  # none left: this quarter is 0, nobody has a figure
    assert {k: v for k, v in _figures(hits).items() if k[:2] == (2026, 2)} == {(2026, 2, "national"): (0, 0)}
    assert [p["label"] for p in indicator_chart(indicator_table(indicator=hits)).points] == ["2026-Q1", "2026-Q2"]
    # Figures the cases give again are still recomputed whole: no duplicates after four refreshes.
    assert _figures(cases) == {(2026, 1, "pol"): (6, 6), (2026, 1, "national"): (6, 6)}


# --- reminders and exports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "late"),
    [
        (date(2026, 4, 3), False),  # Q1 just ended: reminded, but within the grace period
        (date(2026, 5, 20), True),  # past the grace period: the ministry sees it is late
    ],
)
def test_reminder_task_tells_owners_once_and_the_ministry_sees_who_is_late(
    plan_world, clock, today, late, django_capture_on_commit_callbacks
):
    clock(today)  # 2026-Q1 is the quarter just ended, whatever the date the tests run
    plan, police = plan_world["plan"], plan_world["police"]
    reported = Measure.objects.create(
        plan=plan,
        code="M2",
        title="Technology",
        owner_organisation=police,
        start=date(2024, 1, 1),
        deadline=date(2027, 12, 31),
    )
    progress_submit(
        membership=membership_of(plan_world["liaison"]),
        measure=reported,
        year=2026,
        quarter=1,
        status="on_track",
        percent_done=20,
        narrative="Hash sets shared with two units.",
    )
    Measure.objects.create(
        plan=plan,
        code="M3",
        title="Finished",
        owner_organisation=police,
        start=date(2024, 1, 1),
        deadline=date(2025, 12, 31),
        status="done",
    )
    # Through the task beat schedules, found by the name beat sends once the app has imported
    # its task modules as a worker does at start (run in-process: tests are eager).
    celery_app.loader.import_default_modules()
    task = celery_app.tasks[settings.CELERY_BEAT_SCHEDULE["actionplan-remind-updates"]["task"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert task.delay().get() == 1  # M1 only: M2 has its update, M3 is done
    assert [(m.to, m.subject) for m in mail.outbox] == [([plan_world["liaison"].email], "Progress update due: M1")]
    with django_capture_on_commit_callbacks(execute=True):
        assert task.delay().get() == 0  # once per measure and quarter
    assert len(mail.outbox) == 1
    assert list(UpdateReminder.objects.values_list("measure__code", "year", "quarter")) == [("M1", 2026, 1)]
    rows = {row.measure.code: row.late for row in measures_overview(plan=plan)}
    assert rows == {"M1": late, "M2": False, "M3": False}
    page = client_for(plan_world["monitor"]).get("/actionplan/").content.decode()
    assert page.count("update late") == int(late)


def test_csv_exports_suppress_and_are_audited(plan_world):
    from audit.models import AuditEvent

    indicator = _computed(plan_world["plan"], Metric.CASES_OPENED, code="C", name="Cases", unit="cases")
    _cases(plan_world["liaison"], 2, opened_at=timezone.now())
    indicators_refresh(plan=plan_world["plan"])
    client = client_for(plan_world["monitor"])
    rows = list(csv.reader(io.StringIO(client.get("/actionplan/indicators.csv").content.decode())))
    assert rows[0] == ["indicator", "name", "unit", "period", "organisation", "value", "note"]
    values = [(r[5], r[6]) for r in rows[1:] if r[0] == indicator.code]
    assert values and set(values) == {("<5", "fewer than 5 cases")}
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


# --- demo data ------------------------------------------------------------------------------------


def test_seed_demo_loads_the_action_plan():
    call_command("seed_demo", quiet=True)
    plan = ActionPlan.objects.get()
    assert plan.title.startswith("National action plan") and plan.owner_organisation.short_code == "nl-jenv"
    measures = {m.code: m for m in plan.measures.select_related("owner_organisation")}
    assert list(measures) == ["M1", "M2", "M3", "M4", "M5", "M6", "M7"]
    assert measures["M1"].title == "Specialised capacity of 150 investigators and analysts"
    assert measures["M2"].title == "Hash matching and dark-web detection in every unit"
    assert measures["M4"].owner_organisation.short_code == "nl-hotline"
    assert "transit hub" in measures["M4"].description
    assert "eu-europol-ec3" in measures["M3"].contributors.values_list("short_code", flat=True)
    assert {m.status for m in measures.values()} >= {"on_track", "at_risk", "delayed"}
    updates = {code: m.updates.count() for code, m in measures.items()}
    assert updates == {"M1": 2, "M2": 2, "M3": 2, "M4": 2, "M5": 2, "M6": 0, "M7": 2}  # M6: late
    indicators = {i.code: i for i in plan.indicators.all()}
    assert list(indicators) == [f"I{n}" for n in range(1, 10)]
    assert {i.metric for i in indicators.values() if i.source == "computed"} == set(Metric.values)
    assert dict(indicators["I1"].values.values_list("year", "value")) == {2012: 2000, 2017: 20000}
    assert list(indicators["I2"].values.values_list("value", flat=True)) == [1400]
    assert (indicators["I8"].target, indicators["I9"].name) == (30, "Deconfliction hits past their deadline")
    # The computed indicators were refreshed: the hits one has at least this quarter's figure.
    assert indicators["I9"].values.filter(organisation=None).exists()
