"""Writes the audit events a request deferred (``audit_record(defer=True)``)."""

from audit.services import audit_flush


class PendingAuditMiddleware:
    """A bearer token's use on a read waits for the request's next audit event; when nothing
    else was audited (a list of organisations, a 500), it is written here, before the response
    leaves: if it cannot be written, the response is an error instead (SECURITY.md line 21)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        audit_flush(request)
        return response
