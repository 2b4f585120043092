import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partners.roles import ROLE_CAPABILITIES, Capability

logger = logging.getLogger(__name__)
DATABASE_DOWN = (OperationalError, InterfaceError)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    # The capabilities' descriptions in the user's language, in the table's order (not their codes).
    held = ROLE_CAPABILITIES.get(membership.role, ()) if membership else ()
    capabilities = [capability.label for capability in Capability if capability in held]
    return render(request, "portal/home.html", {"role_capabilities": capabilities})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers; reveals nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DATABASE_DOWN:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def service_unavailable_response() -> HttpResponse:
    # Rendered without a request context: the context processors would touch the database.
    return HttpResponse(render_to_string("503.html"), status=503)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return HttpResponse(render_to_string("404.html", request=None), status=404)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return HttpResponse(render_to_string("403.html", request=None), status=403)


def error_500(request: HttpRequest) -> HttpResponse:
    """A clear 503 when the database is unreachable, the plain 500 page otherwise.

    Django calls this handler while the exception is being handled, so sys.exc_info() holds it.
    Every write goes through transaction.atomic, so a failure here leaves nothing half-written.
    """
    exc = sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, DATABASE_DOWN):
            logger.error("database unreachable: %s", exc)
            if _is_api(request):
                return JsonResponse({"detail": "The database is unreachable; try again later."}, status=503)
            return service_unavailable_response()
        exc = exc.__cause__ or exc.__context__
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)
