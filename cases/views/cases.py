import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from cases.constants import TLP
from cases.forms import (
    CaseCreateForm,
    CaseEditForm,
    CaseFilterForm,
    HandoverForm,
    MilestoneAddForm,
    NoteForm,
    TaskForm,
    TLPForm,
)
from cases.models import Task
from cases.selectors import (
    case_get_for_user,
    case_list,
    case_pending_handover,
    case_shares,
    cases_visible_to,
    organisations_with_case,
)
from cases.services import case_change_tlp, case_create, case_note_add, case_update
from cases.views.common import form_errors_from, require_case_permission
from partners.roles import Capability, role_can


@require_GET
def case_list_view(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    filters = form.filters()
    page = (form.cleaned_data.get("page") if form.is_valid() else None) or 1
    result = case_list(membership=request.membership, filters=filters, page=page)
    audit_record(
        action="case.search" if filters.text else "case.list",
        request=request,
        details={"filters": filters.as_dict(), "page": result.page, "total": result.total},
    )
    query = request.GET.copy()
    query.pop("page", None)
    template = "cases/_case_rows.html" if request.htmx else "cases/list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "result": result,
            "query": query.urlencode(),
            "may_create": role_can(request.membership.role, Capability.CREATE_CASE) if request.membership else False,
        },
    )


@require_http_methods(["GET", "POST"])
def case_create_view(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if membership is None or not role_can(membership.role, Capability.CREATE_CASE):
        raise PermissionDenied
    form = CaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_create(membership=membership, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc, request)
        else:
            messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
            return redirect("cases:detail", uuid=case.uuid)
    return render(request, "cases/create.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def case_detail_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid)
    case = access.case
    orgs_with_case = organisations_with_case(case=case)
    handover_form = None
    if access.is_lead and access.can_share:
        handover_form = HandoverForm(organisations=orgs_with_case.exclude(pk=case.lead_organisation_id))
    role = access.membership.role
    may_manage_milestones = access.can_contribute and role_can(role, Capability.MANAGE_MILESTONES)
    may_task = access.can_contribute and role_can(role, Capability.HANDLE_TASKS)
    return render(
        request,
        "cases/detail.html",
        {
            "handover_form": handover_form,
            "may_manage_milestones": may_manage_milestones,
            "milestone_form": MilestoneAddForm(organisations=orgs_with_case) if may_manage_milestones else None,
            "task_form": TaskForm(organisations=orgs_with_case) if may_task else None,
            "task_status_choices": Task.Status.choices,
            "pending_handover": case_pending_handover(access=access),
            "access": access,
            "case": case,
            "timeline": case.timeline.select_related("author", "organisation")[:200],
            "milestones": case.milestones.select_related("owner_organisation"),
            "tasks": case.tasks.select_related("assigned_organisation", "requesting_organisation", "assignee"),
            "shares": case_shares(case=case) if access.can("share_case") else None,
            "note_form": NoteForm(),
            "tlp_form": TLPForm(initial={"tlp": case.tlp}),
            "tlp_choices": TLP.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def case_edit_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "change_case")
    form = CaseEditForm(request.POST or None, instance=access.case)
    if request.method == "POST" and form.is_valid():
        try:
            changed = case_update(
                access=access, request=request, **{f: form.cleaned_data[f] for f in CaseEditForm.Meta.fields}
            )
        except ValidationError as exc:
            form_errors_from(form, exc, request)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("cases:detail", uuid=access.case.uuid)
    if request.method == "GET":
        audit_record(action="case.view", request=request, obj=access.case, details={"page": "edit"})
    return render(request, "cases/edit.html", {"form": form, "case": access.case}, status=400 if form.errors else 200)


@require_POST
def case_tlp_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "change_case")
    form = TLPForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid TLP level."))
        return redirect("cases:detail", uuid=uuid)
    try:
        revoked = case_change_tlp(access=access, tlp=form.cleaned_data["tlp"], request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("TLP is now %(tlp)s.") % {"tlp": access.case.tlp})
        if revoked:
            messages.warning(
                request,
                _("Revoked because the new TLP forbids them: %(who)s")
                % {"who": ", ".join(str(s.membership.user if s.is_named else s.organisation) for s in revoked)},
            )
    return redirect("cases:detail", uuid=uuid)


@require_POST
def case_note_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(access=access, body=form.cleaned_data["body"], request=request)
        except ValidationError as exc:
            form_errors_from(form, exc, request)
    if form.errors:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("cases:detail", uuid=uuid)


CSV_COLUMNS = [
    "reference",
    "title",
    "crime_type",
    "status",
    "tlp",
    "lead_organisation",
    "countries",
    "opened_at",
    "closed_at",
    "victims_identified",
    "victims_safeguarded",
    "suspects_identified",
    "suspects_arrested",
]


def _csv_safe(value) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ is turned into text.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
def case_export_view(request: HttpRequest) -> HttpResponse:
    """CSV of the visible cases matching the filters. RED cases are never exported."""
    filters = CaseFilterForm(request.GET or None).filters()
    cases = filters.apply(cases_visible_to(membership=request.membership)).exclude(tlp=TLP.RED)
    cases = cases.select_related("lead_organisation").order_by("-opened_at", "-id")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for case in cases.iterator(chunk_size=1000):
        writer.writerow(
            [
                _csv_safe(v)
                for v in (
                    case.reference,
                    case.title,
                    case.crime_type,
                    case.status,
                    case.tlp,
                    case.lead_organisation.short_code,
                    case.countries,
                    case.opened_at.isoformat(),
                    case.closed_at.isoformat() if case.closed_at else "",
                    case.victims_identified,
                    case.victims_safeguarded,
                    case.suspects_identified,
                    case.suspects_arrested,
                )
            ]
        )
        count += 1
    audit_record(action="case.export", request=request, details={"filters": filters.as_dict(), "rows": count})
    return response
