"""Indicators computed from case data, per quarter and lead organisation.

Each function returns {(year, quarter, organisation_id): (value, number of cases behind it)}.
Aggregation happens in the database; only grouped rows come back.
"""

import statistics
from collections import defaultdict

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from actionplan.models import Metric
from cases.models import Case, Milestone, MilestoneKind

Key = tuple[int, int, int]


def _case_counter(field: str | None) -> dict[Key, tuple[float, int]]:
    qs = Case.objects.annotate(y=ExtractYear("opened_at"), q=ExtractQuarter("opened_at")).values(
        "y", "q", "lead_organisation_id"
    )
    if field is None:
        rows = qs.annotate(v=Count("pk"), n=Count("pk"))
    else:
        rows = qs.annotate(v=Sum(field), n=Count("pk", filter=Q(**{f"{field}__gt": 0})))
    return {(r["y"], r["q"], r["lead_organisation_id"]): (float(r["v"] or 0), r["n"]) for r in rows}


def _charges_filed() -> dict[Key, tuple[float, int]]:
    rows = (
        Milestone.objects.filter(kind=MilestoneKind.CHARGES_FILED, done_date__isnull=False)
        .annotate(y=ExtractYear("done_date"), q=ExtractQuarter("done_date"))
        .values("y", "q", "case__lead_organisation_id")
        .annotate(n=Count("case", distinct=True))
    )
    return {(r["y"], r["q"], r["case__lead_organisation_id"]): (float(r["n"]), r["n"]) for r in rows}


def median_days(*, by_organisation: bool = True) -> dict:
    """Median days from a case's report to its first milestone done (other than the report
    itself), by the quarter that milestone was done; per lead organisation or national."""
    firsts = (
        Milestone.objects.filter(done_date__isnull=False)
        .exclude(kind=MilestoneKind.REPORT_RECEIVED)
        .values("case_id", "case__opened_at", "case__lead_organisation_id")
        .annotate(first=Min("done_date"))
    )
    days: dict[tuple, list[int]] = defaultdict(list)
    for row in firsts:
        first = row["first"]
        opened = timezone.localtime(row["case__opened_at"]).date()
        key = (first.year, (first.month - 1) // 3 + 1)
        days[(*key, row["case__lead_organisation_id"]) if by_organisation else key].append(
            max((first - opened).days, 0)
        )
    return {key: (float(statistics.median(values)), len(values)) for key, values in days.items()}


def _hits_past_deadline() -> dict[Key, tuple[float, int]]:
    from deconfliction.models import Hit

    now = timezone.localtime()
    key_quarter = (now.year, (now.month - 1) // 3 + 1)
    counts: dict[int, int] = defaultdict(int)
    for a, b in Hit.objects.filter(status=Hit.Status.NEW, ack_deadline__lt=timezone.now()).values_list(
        "organisation_a_id", "organisation_b_id"
    ):
        counts[a] += 1
        if b != a:
            counts[b] += 1
    return {(*key_quarter, org): (float(n), n) for org, n in counts.items()}


COMPUTE = {
    Metric.CASES_OPENED: lambda: _case_counter(None),
    Metric.VICTIMS_IDENTIFIED: lambda: _case_counter("victims_identified"),
    Metric.VICTIMS_SAFEGUARDED: lambda: _case_counter("victims_safeguarded"),
    Metric.SUSPECTS_ARRESTED: lambda: _case_counter("suspects_arrested"),
    Metric.CHARGES_FILED: _charges_filed,
    Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE: median_days,
    Metric.HITS_PAST_DEADLINE: _hits_past_deadline,
}

# Metrics whose organisation figures add up to the national figure (subtraction is possible).
ADDITIVE = frozenset(set(Metric.values) - {Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE})


def national(rows: dict[Key, tuple[float, int]], metric: str) -> dict[tuple[int, int], tuple[float, int]]:
    """National figures per quarter: the sum of the organisations' (a median is computed anew)."""
    if metric == Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE:
        return median_days(by_organisation=False)
    result: dict[tuple[int, int], list] = defaultdict(lambda: [0.0, 0])
    for (year, quarter, _org), (value, count) in rows.items():
        result[(year, quarter)][0] += value
        result[(year, quarter)][1] += count
    return {k: (v[0], int(v[1])) for k, v in result.items()}
