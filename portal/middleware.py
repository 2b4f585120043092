"""Request-size guard that runs before anything reads a body."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

# Routes that may carry a body up to DATA_UPLOAD_MAX_MEMORY_SIZE (a batch of 10,000 selectors is
# tens of megabytes); every other route, the sign-in form included, is held to REQUEST_BODY_MAX.
LARGE_BODY_ROUTES = frozenset({"api:selectors_batch"})


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
        if length > settings.REQUEST_BODY_MAX and not self._may_be_large(request):
            message = _("The request body is larger than %(limit)s bytes.") % {"limit": settings.REQUEST_BODY_MAX}
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _may_be_large(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in LARGE_BODY_ROUTES
