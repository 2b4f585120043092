"""Request-size guard that runs before anything reads a body."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from deconfliction.services.imports import MAX_BYTES as IMPORT_MAX_BYTES

# Routes that may carry a larger body, with their limit: a batch of 10,000 selectors is tens of
# megabytes (DATA_UPLOAD_MAX_MEMORY_SIZE); a CSV import is up to 5 MB plus the form around it, so
# the import itself can say "larger than 5 MB; split it". Every other route, the sign-in form
# included, is held to REQUEST_BODY_MAX.
MULTIPART_OVERHEAD = 64 * 1024
LARGE_BODY_ROUTES = {
    "api:selectors_batch": lambda: settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    "deconfliction:import_create": lambda: IMPORT_MAX_BYTES + MULTIPART_OVERHEAD,
}


class RequestBodyLimitMiddleware:
    """Refuse by Content-Length, before any body is read, a body larger than the route allows.

    Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is one number for every request; raising it
    for the selector batch alone would otherwise let anyone, signed in or not, make every
    process read tens of megabytes into memory per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_BODY_MAX and length > (limit := self._limit(request)):
            message = _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _limit(request: HttpRequest) -> int:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return settings.REQUEST_BODY_MAX
        route_limit = LARGE_BODY_ROUTES.get(match.view_name)
        return route_limit() if route_limit else settings.REQUEST_BODY_MAX
