"""Indicators computed from case data, per quarter and lead organisation.

Each function returns {(year, quarter, organisation_id): (value, number of cases behind it)};
``compute`` adds the national figures per (year, quarter). Aggregation happens in the database;
only grouped rows come back.
"""

import statistics
from collections import defaultdict

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from actionplan.models import Metric
from actionplan.suppression import SUM, UNION
from cases.models import Case, Milestone, MilestoneKind

Key = tuple[int, int, int]
Period = tuple[int, int]
Figure = tuple[float, int]  # (value, cases or hits behind it)


def _case_counter(field: str | None) -> dict[Key, Figure]:
    qs = Case.objects.annotate(y=ExtractYear("opened_at"), q=ExtractQuarter("opened_at")).values(
        "y", "q", "lead_organisation_id"
    )
    if field is None:
        rows = qs.annotate(v=Count("pk"), n=Count("pk"))
    else:
        rows = qs.annotate(v=Sum(field), n=Count("pk", filter=Q(**{f"{field}__gt": 0})))
    return {(r["y"], r["q"], r["lead_organisation_id"]): (float(r["v"] or 0), r["n"]) for r in rows}


def _charges_filed() -> dict[Key, Figure]:
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


def _hits_past_deadline() -> tuple[dict[Key, Figure], dict[Period, Figure]]:
    """Open hits nobody acknowledged in time, as they stand now: a snapshot stored under the
    current quarter, so a past quarter keeps the last figure computed in it.

    A hit between two organisations is open for both, so it counts for each of them; the national
    figure counts every hit once (a hit is one row of exactly one pair below), which is why it is
    not the organisations' sum: 6 hits between A and B are 6 for A, 6 for B and 6 nationally."""
    from deconfliction.models import Hit

    now = timezone.now()
    local = timezone.localtime(now)
    period = (local.year, (local.month - 1) // 3 + 1)
    pairs = (
        Hit.objects.filter(status=Hit.Status.NEW, ack_deadline__lt=now)
        .values("organisation_a_id", "organisation_b_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, int] = defaultdict(int)
    hits = 0
    for row in pairs:
        a, b, n = row["organisation_a_id"], row["organisation_b_id"], row["n"]
        hits += n
        counts[a] += n
        if b != a:
            counts[b] += n
    # The national figure is written even when it is 0: "no overdue hits" is this quarter's news.
    return {(*period, org): (float(n), n) for org, n in counts.items()}, {period: (float(hits), hits)}


def _summed(rows: dict[Key, Figure]) -> dict[Period, Figure]:
    """National figures of an additive metric: the sum of the organisations'."""
    result: dict[Period, list] = defaultdict(lambda: [0.0, 0])
    for (year, quarter, _org), (value, count) in rows.items():
        result[(year, quarter)][0] += value
        result[(year, quarter)][1] += count
    return {k: (v[0], int(v[1])) for k, v in result.items()}


_ADDITIVE_COUNTERS = {
    Metric.CASES_OPENED: lambda: _case_counter(None),
    Metric.VICTIMS_IDENTIFIED: lambda: _case_counter("victims_identified"),
    Metric.VICTIMS_SAFEGUARDED: lambda: _case_counter("victims_safeguarded"),
    Metric.SUSPECTS_ARRESTED: lambda: _case_counter("suspects_arrested"),
    Metric.CHARGES_FILED: _charges_filed,
}


def compute(metric: str) -> tuple[dict[Key, Figure], dict[Period, Figure]]:
    """The metric's figures per (year, quarter, organisation) and nationally per (year, quarter)."""
    if metric == Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE:
        return median_days(by_organisation=True), median_days(by_organisation=False)  # a median anew
    if metric == Metric.HITS_PAST_DEADLINE:
        return _hits_past_deadline()
    rows = _ADDITIVE_COUNTERS[metric]()
    return rows, _summed(rows)


# How a period's organisation figures relate to its national figure, for secondary suppression:
# sums can be subtracted; distinct hits only bound each other (see suppression.UNION); medians
# say nothing about each other.
RELATION = dict.fromkeys(_ADDITIVE_COUNTERS, SUM) | {
    Metric.HITS_PAST_DEADLINE: UNION,
    Metric.MEDIAN_DAYS_TO_FIRST_MILESTONE: None,
}

# Metrics whose figures add up, over organisations and over quarters (to a grand total). Hits
# are neither: a hit counts for both its organisations, and they are a stock counted at a
# moment, not a flow, so adding quarters would count one slow hit once per quarter it stayed open.
ADDITIVE = frozenset(_ADDITIVE_COUNTERS)

# Snapshots of "now": a refresh replaces only the quarter it computed and keeps earlier ones,
# which cannot be computed again (the hits have moved on since).
SNAPSHOT = frozenset({Metric.HITS_PAST_DEADLINE})

# Metrics whose value is the number of cases (or hits) itself, so a "<5" is at most 4; for the
# others one case can stand for any value (37 victims).
VALUE_IS_COUNT = frozenset({Metric.CASES_OPENED, Metric.CHARGES_FILED, Metric.HITS_PAST_DEADLINE})
