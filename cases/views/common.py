from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit.services import Result, audit_record
from cases.selectors import CaseAccess


def require_case_permission(request: HttpRequest, access: CaseAccess, codename: str) -> None:
    """A visible case the member may not change: 403, audited as denied."""
    if not access.can(codename):
        audit_record(action=f"case.{codename}", result=Result.DENIED, request=request, obj=access.case, durable=True)
        raise PermissionDenied


def audit_refusal(request: HttpRequest, exc: Exception) -> None:
    """Record a refused (PermissionDenied) or failed (ValidationError) request, in a write of its
    own so the rolled-back action does not take the record with it."""
    match = request.resolver_match
    reasons = getattr(exc, "messages", None) or [str(exc)]
    audit_record(
        action=match.view_name if match else request.path[:64],
        result=Result.DENIED if isinstance(exc, PermissionDenied) else Result.FAILURE,
        request=request,
        object_id=str((match.kwargs.get("uuid") if match else "") or ""),
        details={"reasons": [str(r)[:200] for r in reasons[:3]]},
        durable=True,
    )


def message_from_error(request: HttpRequest, exc: Exception) -> None:
    """Show a service's refusal (ValidationError or PermissionDenied) as an error message, and
    audit it."""
    audit_refusal(request, exc)
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])) or _("Not allowed."))


def form_errors_from(form, exc: Exception, request: HttpRequest | None = None) -> None:
    """Put a service's refusal onto the form it came from, and audit it."""
    if request is not None:
        audit_refusal(request, exc)
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("Not allowed."))
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
