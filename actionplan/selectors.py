"""Reads for the action plan. Every figure computed from cases leaves here suppressed."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.http import Http404
from django.utils import timezone

from actionplan.metrics import ADDITIVE, RELATION, VALUE_IS_COUNT
from actionplan.models import ActionPlan, Indicator, IndicatorValue, Measure, ProgressUpdate
from actionplan.services import previous_quarter
from actionplan.suppression import NATIONAL, THRESHOLD, TOTAL, Cell, suppress_grid
from partners.models import Organisation

GRACE_DAYS = 14  # an update is late this long after its quarter ended


def plan_current() -> ActionPlan | None:
    return ActionPlan.objects.order_by("-period_end").first()


@dataclass
class MeasureRow:
    measure: Measure
    last: ProgressUpdate | None
    trend: int | None  # change in percent done between the last two accepted updates
    late: bool
    awaiting_review: int


def measures_overview(*, plan: ActionPlan, today: date | None = None) -> list[MeasureRow]:
    today = today or timezone.localdate()
    year, quarter = previous_quarter(today)
    quarter_end = date(year, 3 * quarter, 1).replace(day=28) + timedelta(days=4)
    quarter_end = quarter_end - timedelta(days=quarter_end.day)
    measures = list(plan.measures.select_related("owner_organisation").prefetch_related("updates", "contributors"))
    rows = []
    for measure in measures:
        updates = list(measure.updates.all())  # newest first (Meta.ordering)
        accepted = [u for u in updates if u.review == ProgressUpdate.Review.ACCEPTED]
        has_previous = any(u.year == year and u.quarter == quarter for u in updates)
        rows.append(
            MeasureRow(
                measure=measure,
                last=updates[0] if updates else None,
                trend=accepted[0].percent_done - accepted[1].percent_done if len(accepted) >= 2 else None,
                late=measure.status != "done" and not has_previous and today > quarter_end + timedelta(days=GRACE_DAYS),
                awaiting_review=sum(u.review == ProgressUpdate.Review.SUBMITTED for u in updates),
            )
        )
    return rows


@dataclass
class IndicatorTable:
    indicator: Indicator
    periods: list[str]
    organisations: list[Organisation]
    cells: dict[tuple, Cell]
    national: list[Cell] = field(default_factory=list)
    total: Cell | None = None

    def row(self, period: str) -> list[Cell]:
        return [self.cells.get((period, org.pk), Cell(None, None)) for org in self.organisations]

    @property
    def rows(self) -> list[tuple[str, Cell, list[Cell]]]:
        """(period, national cell, organisation cells) for tables."""
        return [(p, n, self.row(p)) for p, n in zip(self.periods, self.national, strict=True)]

    def figures(self):
        """Every published figure as (period, organisation or None for national, cell): the
        national figure, then each organisation that has one. Exports and the API read this."""
        for period, national, cells in self.rows:
            yield period, None, national
            for organisation, cell in zip(self.organisations, cells, strict=True):
                if cell.value is not None:
                    yield period, organisation, cell

    @property
    def has_secondary(self) -> bool:
        """Whether a cell is marked "x", so the page explains the mark where it is used."""
        return any(c.secondary for c in self.cells.values())


def _period(year: int, quarter: int) -> str:
    return f"{year}" if not quarter else f"{year}-Q{quarter}"


def indicator_tables(*, indicators: list[Indicator]) -> dict[int, IndicatorTable]:
    """Each indicator's figures: national per period, per organisation, and a grand total, all
    suppressed together (see actionplan.suppression); for any number of indicators in two queries."""
    values: dict[int, list[IndicatorValue]] = defaultdict(list)
    for value in IndicatorValue.objects.filter(indicator__in=indicators).order_by("indicator_id", "year", "quarter"):
        values[value.indicator_id].append(value)
    org_ids = {v.organisation_id for rows in values.values() for v in rows if v.organisation_id}
    organisations = list(Organisation.objects.filter(pk__in=org_ids).order_by("name"))
    return {indicator.pk: _suppressed_table(indicator, values[indicator.pk], organisations) for indicator in indicators}


def indicator_table(*, indicator: Indicator) -> IndicatorTable:
    return indicator_tables(indicators=[indicator])[indicator.pk]


def _suppressed_table(
    indicator: Indicator, values: list[IndicatorValue], organisations: list[Organisation]
) -> IndicatorTable:
    grid: dict[tuple, Cell] = {}
    org_ids: set[int] = set()
    for v in values:
        grid[(_period(v.year, v.quarter), v.organisation_id)] = Cell(v.value, v.case_count)
        if v.organisation_id:
            org_ids.add(v.organisation_id)
    periods = sorted({p for p, _o in grid})
    computed = indicator.source == Indicator.Source.COMPUTED
    national = [grid[(p, NATIONAL)] for p in periods if (p, NATIONAL) in grid]
    if computed and national and indicator.metric in ADDITIVE:
        grid[(TOTAL, NATIONAL)] = Cell(sum(c.value or 0 for c in national), sum(c.count or 0 for c in national))
    # Entered figures count no cases: nothing in them is small, nothing needs protecting.
    suppress_grid(
        grid,
        relation=RELATION[indicator.metric] if computed else None,
        primary_max=THRESHOLD - 1 if computed and indicator.metric in VALUE_IS_COUNT else None,
    )
    return IndicatorTable(
        indicator=indicator,
        periods=periods,
        organisations=[org for org in organisations if org.pk in org_ids],
        cells=grid,
        national=[grid.get((p, NATIONAL), Cell(None, None)) for p in periods],
        total=grid.get((TOTAL, NATIONAL)),
    )


@dataclass
class Chart:
    width: int
    height: int
    points: list[dict]
    path: str
    target_y: float | None
    y_max: float
    y_ticks: list[dict]
    has_secondary: bool = False  # a point is marked "x": the caption explains the mark


def indicator_chart(table: IndicatorTable, *, width: int = 560, height: int = 220) -> Chart:
    """Server-rendered SVG geometry of the national series with the target line. Suppressed
    points are drawn as open markers labelled with their mark ("<5" or "x") and break the line."""
    left, right, top, bottom = 48, 34, 12, 32
    values = [c.value for c in table.national if c.value is not None and not c.suppressed]
    target = table.indicator.target
    y_max = max([*values, target or 0, 1]) * 1.1
    n = max(len(table.periods), 1)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / y_max)

    points, segments, pen_down = [], [], False
    for i, (period, cell) in enumerate(zip(table.periods, table.national, strict=True)):
        visible = cell.value is not None and not cell.suppressed
        py = y(cell.value) if visible else y(0)
        points.append(
            {
                "x": round(x(i), 1),
                "y": round(py, 1),
                "label": period,
                "display": cell.display,
                "suppressed": cell.suppressed,
                "secondary": cell.secondary,
                "visible": visible,
            }
        )
        if visible:
            segments.append(f"{'L' if pen_down else 'M'}{x(i):.1f},{py:.1f}")
        pen_down = visible
    ticks = [{"y": round(y(y_max * f / 1.1), 1), "label": f"{y_max * f / 1.1:,.0f}"} for f in (0, 0.5, 1)]
    return Chart(
        width=width,
        height=height,
        points=points,
        path=" ".join(segments),
        target_y=round(y(target), 1) if target is not None else None,
        y_max=y_max,
        y_ticks=ticks,
        has_secondary=any(p["secondary"] for p in points),
    )


def indicator_get(*, uuid) -> Indicator:
    """The one way to an indicator by its public id (Http404 otherwise), for the page and the
    API alike."""
    indicator = Indicator.objects.filter(uuid=uuid).first()
    if indicator is None:
        raise Http404
    return indicator


def measure_get(*, uuid) -> Measure:
    """The one way to a measure by its public id (Http404 otherwise). The plan is readable by
    every role that may read it at all; what a member may do with a measure, services decide."""
    measure = Measure.objects.select_related("owner_organisation", "plan").filter(uuid=uuid).first()
    if measure is None:
        raise Http404
    return measure
