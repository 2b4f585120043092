import csv
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actionplan.forms import IndicatorValueForm, ProgressForm, ReviewForm
from actionplan.models import Indicator, ProgressUpdate
from actionplan.selectors import (
    indicator_chart,
    indicator_get,
    indicator_table,
    indicator_tables,
    measure_get,
    measures_overview,
    plan_current,
)
from actionplan.services import (
    indicator_value_set,
    indicators_refresh,
    previous_quarter,
    progress_review,
    progress_submit,
)
from audit.services import audit_denied, audit_record
from cases.views.common import form_errors_from, message_from_error
from partners.roles import Capability, role_can


def actionplan_reader(view):
    """Everyone whose role reads the action plan; to others the pages do not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        membership = request.membership
        if membership is None or not role_can(membership.role, Capability.VIEW_ACTIONPLAN):
            audit_denied(request, action="actionplan.access")
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _can(request: HttpRequest, capability: str) -> bool:
    return role_can(request.membership.role, capability)


def _plan_or_404():
    plan = plan_current()
    if plan is None:
        raise Http404
    return plan


def _charts(plan):
    indicators = list(plan.indicators.all())
    tables = indicator_tables(indicators=indicators)
    return [
        {"indicator": indicator, "table": tables[indicator.pk], "chart": indicator_chart(tables[indicator.pk])}
        for indicator in indicators
    ]


@actionplan_reader
@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    plan = _plan_or_404()
    audit_record(action="actionplan.view", request=request, obj=plan)
    return render(
        request,
        "actionplan/dashboard.html",
        {
            "plan": plan,
            "rows": measures_overview(plan=plan),
            "charts": _charts(plan),
            "may_review": _can(request, Capability.REVIEW_PROGRESS),
        },
    )


@actionplan_reader
@require_GET
def report_view(request: HttpRequest) -> HttpResponse:
    plan = _plan_or_404()
    audit_record(action="actionplan.export", request=request, obj=plan, details={"format": "report"})
    return render(
        request, "actionplan/report.html", {"plan": plan, "rows": measures_overview(plan=plan), "charts": _charts(plan)}
    )


@actionplan_reader
@require_http_methods(["GET", "POST"])
def measure_view(request: HttpRequest, uuid) -> HttpResponse:
    measure = measure_get(uuid=uuid)
    may_report = (
        _can(request, Capability.REPORT_PROGRESS)
        and request.membership.organisation_id == measure.owner_organisation_id
    )
    year, quarter = previous_quarter()
    form = ProgressForm(
        request.POST or None,
        initial={"year": year, "quarter": quarter, "status": measure.status, "percent_done": measure.percent_done},
    )
    if request.method == "POST":
        if not may_report:
            raise PermissionDenied
        if form.is_valid():
            try:
                progress_submit(membership=request.membership, measure=measure, request=request, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                form_errors_from(form, exc, request)
            else:
                messages.success(request, _("Update submitted to the ministry."))
                return redirect("actionplan:measure", uuid=uuid)
    else:
        audit_record(action="actionplan.view", request=request, obj=measure)
    return render(
        request,
        "actionplan/measure.html",
        {
            "measure": measure,
            "updates": measure.updates.select_related("submitted_by", "reviewed_by"),
            "form": form if may_report else None,
            "may_review": _can(request, Capability.REVIEW_PROGRESS),
            "review_form": ReviewForm(),
        },
        status=400 if form.errors else 200,
    )


@actionplan_reader
@require_POST
def review_view(request: HttpRequest, uuid, decision: str) -> HttpResponse:
    update = ProgressUpdate.objects.select_related("measure").filter(uuid=uuid).first()
    if update is None or decision not in ("accept", "return"):
        raise Http404
    form = ReviewForm(request.POST)
    form.is_valid()
    try:
        progress_review(
            membership=request.membership,
            update=update,
            accept=decision == "accept",
            comment=form.cleaned_data.get("comment", ""),
            request=request,
        )
        messages.success(request, _("Update accepted.") if decision == "accept" else _("Update returned."))
    except (ValidationError, PermissionDenied) as exc:
        message_from_error(request, exc)
    return redirect("actionplan:measure", uuid=update.measure.uuid)


@actionplan_reader
@require_http_methods(["GET", "POST"])
def indicator_view(request: HttpRequest, uuid) -> HttpResponse:
    indicator = indicator_get(uuid=uuid)
    may_enter = _can(request, Capability.REVIEW_PROGRESS) and indicator.source == Indicator.Source.MANUAL
    form = IndicatorValueForm(request.POST or None)
    if request.method == "POST":
        if not may_enter:
            raise PermissionDenied
        if form.is_valid():
            try:
                indicator_value_set(
                    membership=request.membership, indicator=indicator, request=request, **form.cleaned_data
                )
            except (ValidationError, PermissionDenied) as exc:
                form_errors_from(form, exc, request)
            else:
                messages.success(request, _("Value saved."))
                return redirect("actionplan:indicator", uuid=uuid)
    else:
        audit_record(action="actionplan.view", request=request, obj=indicator)
    table = indicator_table(indicator=indicator)
    return render(
        request,
        "actionplan/indicator.html",
        {
            "indicator": indicator,
            "table": table,
            "chart": indicator_chart(table),
            "form": form if may_enter else None,
        },
        status=400 if form.errors else 200,
    )


@actionplan_reader
@require_POST
def refresh_view(request: HttpRequest) -> HttpResponse:
    if not _can(request, Capability.REVIEW_PROGRESS):
        raise PermissionDenied
    indicators_refresh(plan=_plan_or_404())
    messages.success(request, _("Indicators recomputed from the cases."))
    return redirect("actionplan:dashboard")


def _csv_response(name: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response, csv.writer(response)


@actionplan_reader
@require_GET
def measures_csv_view(request: HttpRequest) -> HttpResponse:
    plan = _plan_or_404()
    response, writer = _csv_response("measures.csv")
    writer.writerow(
        ["code", "title", "owner", "contributors", "start", "deadline", "status", "percent_done", "last_update", "late"]
    )
    for row in measures_overview(plan=plan):
        m = row.measure
        writer.writerow(
            [
                m.code,
                m.title,
                m.owner_organisation.short_code,
                " ".join(o.short_code for o in m.contributors.all()),
                m.start,
                m.deadline,
                m.status,
                m.percent_done,
                row.last.period if row.last else "",
                "yes" if row.late else "no",
            ]
        )
    audit_record(action="actionplan.export", request=request, obj=plan, details={"format": "measures.csv"})
    return response


def _csv_note(cell) -> str:
    """What a mark in the value column means, so the file explains itself in a spreadsheet."""
    if not cell.suppressed:
        return ""
    return _("hidden so that a small figure cannot be worked out") if cell.secondary else _("fewer than 5 cases")


@actionplan_reader
@require_GET
def indicators_csv_view(request: HttpRequest) -> HttpResponse:
    """Every indicator series, national and per organisation, suppressed as on the page: "<5"
    for a figure from fewer than 5 cases, "x" for one hidden to protect it (see the note)."""
    plan = _plan_or_404()
    response, writer = _csv_response("indicators.csv")
    writer.writerow(["indicator", "name", "unit", "period", "organisation", "value", "note"])
    indicators = list(plan.indicators.all())
    tables = indicator_tables(indicators=indicators)
    for indicator in indicators:
        table = tables[indicator.pk]
        head = [indicator.code, indicator.name, indicator.unit]
        for period, org, cell in table.figures():
            writer.writerow([*head, period, org.short_code if org else "national", cell.display, _csv_note(cell)])
        if table.total is not None:
            writer.writerow([*head, "total", "national", table.total.display, _csv_note(table.total)])
    audit_record(action="actionplan.export", request=request, obj=plan, details={"format": "indicators.csv"})
    return response
