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


def message_from_error(request: HttpRequest, exc: Exception) -> None:
    """Show a service's refusal (ValidationError or PermissionDenied) as an error message."""
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])) or _("Not allowed."))


def form_errors_from(form, exc: Exception) -> None:
    """Put a service's refusal onto the form it came from (a PermissionDenied as a form error)."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("Not allowed."))
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
