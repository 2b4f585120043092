from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from audit.services import Result, audit_record
from cases.selectors import CaseAccess


def require_case_permission(request: HttpRequest, access: CaseAccess, codename: str) -> None:
    """A visible case the member may not change: 403, audited as denied."""
    if not access.can(codename):
        audit_record(action=f"case.{codename}", result=Result.DENIED, request=request, obj=access.case, durable=True)
        raise PermissionDenied


def form_errors_from(form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form it came from."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
