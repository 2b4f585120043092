from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_record
from cases.forms import TaskForm, TaskStatusForm
from cases.models import Task
from cases.selectors import case_get_for_user, tasks_inbox
from cases.services import task_create, task_set_status
from cases.views.common import message_from_error, require_case_permission
from partners.models import Organisation


@require_POST
def task_create_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    form = TaskForm(request.POST, organisations=Organisation.objects.filter(active=True))
    if form.is_valid():
        data = dict(form.cleaned_data)
        membership = data.pop("assignee")
        try:
            task_create(access=access, request=request, assignee=membership.user if membership else None, **data)
            messages.success(request, _("Task sent."))
        except (ValidationError, PermissionDenied) as exc:
            message_from_error(request, exc)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("cases:detail", uuid=uuid)


@require_POST
def task_status_view(request: HttpRequest, uuid, task_uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    task = Task.objects.filter(case=access.case, uuid=task_uuid).first()
    if task is None:
        raise Http404
    form = TaskStatusForm(request.POST)
    if form.is_valid():
        try:
            task_set_status(access=access, task=task, request=request, **form.cleaned_data)
            messages.success(request, _("Task updated."))
        except (ValidationError, PermissionDenied) as exc:
            message_from_error(request, exc)
    else:
        messages.error(request, _("Choose a valid status."))
    if request.POST.get("back") == "inbox":
        return redirect("cases:tasks")
    return redirect("cases:detail", uuid=uuid)


@require_GET
def task_inbox_view(request: HttpRequest) -> HttpResponse:
    direction = "outgoing" if request.GET.get("direction") == "outgoing" else "incoming"
    tasks = list(tasks_inbox(membership=request.membership, direction=direction)[:500])
    audit_record(action="case.list", request=request, details={"view": f"tasks-{direction}", "total": len(tasks)})
    return render(
        request, "cases/tasks.html", {"tasks": tasks, "direction": direction, "status_form": TaskStatusForm()}
    )
