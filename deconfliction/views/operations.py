from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import audit_record
from cases.views.common import form_errors_from, message_from_error
from deconfliction.forms import ConflictResolveForm, OperationForm
from deconfliction.selectors import conflict_get_for_member, conflicts_of, operations_of
from deconfliction.services import conflict_resolve, operation_cancel, operation_plan
from partners.roles import Capability, role_can


@require_http_methods(["GET", "POST"])
def operations_view(request: HttpRequest) -> HttpResponse:
    """Our upcoming operations and their conflicts, as a table (no map tiles on closed networks)."""
    membership = request.membership
    if membership is None or not role_can(membership.role, Capability.HANDLE_HITS):
        raise Http404
    form = OperationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _operation, conflicts = operation_plan(membership=membership, request=request, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form_errors_from(form, exc, request)
        else:
            if conflicts:
                messages.warning(
                    request,
                    _("Planned. It CONFLICTS with %(n)s operation(s) of other organisations: call their desk now.")
                    % {"n": len(conflicts)},
                )
            else:
                messages.success(request, _("Planned. No other organisation plans anything there and then."))
            return redirect("deconfliction:operations")
    audit_record(action="operation.list", request=request)
    return render(
        request,
        "deconfliction/operations.html",
        {
            "form": form,
            "operations": operations_of(membership=membership),
            "conflicts": conflicts_of(membership=membership, open_only=False),
            "resolve_form": ConflictResolveForm(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def operation_cancel_view(request: HttpRequest, uuid) -> HttpResponse:
    operation = operations_of(membership=request.membership).filter(uuid=uuid).first()
    if operation is None:
        audit_record(
            action="operation.cancel",
            result="denied",
            request=request,
            object_type="deconfliction.operation",
            object_id=str(uuid),
            durable=True,
        )
        raise Http404
    try:
        operation_cancel(membership=request.membership, operation=operation, request=request)
    except PermissionDenied as exc:
        message_from_error(request, exc)
    else:
        messages.success(request, _("Operation cancelled; its conflicts are closed."))
    return redirect("deconfliction:operations")


@require_POST
def conflict_resolve_view(request: HttpRequest, uuid) -> HttpResponse:
    conflict = conflict_get_for_member(request=request, uuid=uuid)
    form = ConflictResolveForm(request.POST)
    if form.is_valid():
        try:
            conflict_resolve(
                membership=request.membership, conflict=conflict, note=form.cleaned_data["note"], request=request
            )
        except (ValidationError, PermissionDenied) as exc:
            message_from_error(request, exc)
        else:
            messages.success(request, _("Conflict resolved."))
    else:
        messages.error(request, _("Say what was agreed."))
    return redirect("deconfliction:operations")
