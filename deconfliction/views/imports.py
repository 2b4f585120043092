from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import audit_denied, audit_record
from cases.selectors import case_get_for_user
from cases.views.common import form_errors_from, require_case_permission
from deconfliction.forms import ImportForm
from deconfliction.models import ImportJob
from deconfliction.services import selector_import_create


@require_http_methods(["GET", "POST"])
def import_create_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    if request.method == "GET":
        audit_record(action="case.view", request=request, obj=access.case, details={"page": "import"})
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = selector_import_create(
                access=access,
                file_name=upload.name,
                data=upload.read(),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            form_errors_from(form, exc, request)
        else:
            return redirect("deconfliction:import", uuid=job.uuid)
    return render(
        request,
        "deconfliction/import_form.html",
        {"form": form, "case": access.case},
        status=400 if form.errors else 200,
    )


def _job_for(request: HttpRequest, uuid) -> ImportJob:
    job = ImportJob.objects.select_related("case").filter(uuid=uuid, membership=request.membership).first()
    if job is None:
        audit_denied(request, action="selector.import_view", object_type="deconfliction.importjob", object_id=uuid)
        raise Http404
    audit_record(action="selector.import_view", request=request, obj=job)
    return job


@require_GET
def import_view(request: HttpRequest, uuid) -> HttpResponse:
    return render(request, "deconfliction/import.html", {"job": _job_for(request, uuid)})


@require_GET
def import_progress_view(request: HttpRequest, uuid) -> HttpResponse:
    """The progress fragment htmx polls (as background traffic: it does not keep a session alive)."""
    return render(request, "deconfliction/_import_progress.html", {"job": _job_for(request, uuid)})
